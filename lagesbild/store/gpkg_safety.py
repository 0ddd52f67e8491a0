"""What keeps a GeoPackage workspace safe to write: one writer at a time, and its permissions.

- `writer_lock`: an OS file lock on `.<workspace>.lock` beside the workspace, held from the copy
  to the rename of a transaction. Two imports into one workspace would otherwise each copy the
  file and the later rename would silently drop the earlier import. A second writer waits up to
  `timeout` seconds and is then refused with a Swedish message. Readers take no lock: they open
  the file the last rename put in place, never a half-written one.
- `refuse_read_only`: a workspace file or folder that may not be written is refused before any
  work is done. A file or folder without any write bit (chmod a-w) is read-only on purpose and
  refused for everyone, root included; for other users `os.access` decides as well (ownership,
  groups, ACLs). Root bypasses `os.access`, so only the mode bits can say "read-only" to it.
- `keep_mode`: the new file gets the old file's permission bits and group (mkstemp makes 0600),
  or, for a new workspace, the mode the user's umask gives new files.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path

from lagesbild.core.errors import WorkspaceError

DEFAULT_TIMEOUT = 30.0  # seconds a second importer waits for the first one
_POLL = 0.05
_ANY_WRITE = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]
    import msvcrt


def lock_path(path: Path) -> Path:
    return path.parent / f".{path.name}.lock"


def lock_timeout() -> float:
    """Seconds a second writer waits for the first (LAGESBILD_LOCK_TIMEOUT), in either store."""
    text = os.environ.get("LAGESBILD_LOCK_TIMEOUT", "")
    try:
        return float(text) if text else DEFAULT_TIMEOUT
    except ValueError:
        return DEFAULT_TIMEOUT


@contextlib.contextmanager
def writer_lock(path: Path, timeout: float | None = None) -> Iterator[None]:
    """Hold the workspace's writer lock for the block (see module docstring)."""
    timeout = lock_timeout() if timeout is None else timeout
    lock = lock_path(path)
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
    except PermissionError:
        try:  # another user's lock file in a shared folder: a read-only handle locks as well
            fd = os.open(lock, os.O_RDONLY)
        except OSError as exc:
            raise WorkspaceError(f"Låsfilen {lock} kan inte öppnas ({exc.strerror}); kontrollera "
                                 "behörigheten till arbetsytans mapp.") from exc
    except OSError as exc:
        raise WorkspaceError(f"Låsfilen {lock} kan inte skapas ({exc.strerror}); kontrollera "
                             "behörigheten till arbetsytans mapp.") from exc
    try:
        deadline = time.monotonic() + timeout
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                raise WorkspaceError(
                    f"Arbetsytan {path} används av en annan import (väntade {timeout:g} s); "
                    "försök igen när den är klar.")
            time.sleep(_POLL)
        try:
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)


def _try_lock(fd: int) -> bool:
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK, errno.EDEADLK):
            return False
        raise
    return True


def _unlock(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_UN)
    else:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)


def may_write(path: Path) -> bool:
    """Whether this process may change `path` (a file, or a folder's entries)."""
    mode = path.stat().st_mode
    if not mode & _ANY_WRITE:
        return False  # read-only on purpose, whoever asks
    need = os.W_OK | (os.X_OK if stat.S_ISDIR(mode) else 0)
    return os.access(path, need)


def refuse_read_only(path: Path) -> None:
    """WorkspaceError when the workspace `path`, or the folder it is (to be) in, is read-only."""
    if path.exists() and not may_write(path):
        raise WorkspaceError(
            f"Arbetsytan {path} är skrivskyddad; inget ändrades. Be den som äger filen om "
            "skrivrätt (eller kopiera den och arbeta i kopian).")
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent  # the first folder that exists is where the new ones are made
    if folder.exists() and not may_write(folder):
        raise WorkspaceError(
            f"Mappen {folder} är skrivskyddad, så arbetsytan {path.name} kan inte sparas där "
            "(varje import skriver en ny fil bredvid den gamla); inget ändrades. Välj en mapp "
            "du får skriva i, eller be om skrivrätt.")


def keep_mode(new: Path, old: Path) -> None:
    """Give `new` the permission bits and group of `old` (the default file mode if none)."""
    if old.exists():
        st = old.stat()
        os.chmod(new, stat.S_IMODE(st.st_mode))
        if hasattr(os, "chown"):
            with contextlib.suppress(OSError):  # only the owner's groups may be given
                os.chown(new, -1, st.st_gid)
    else:
        os.chmod(new, 0o666 & ~_umask())


def _umask() -> int:
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)  # no /proc: read it by setting it (and put it straight back)
    os.umask(mask)
    return mask
