"""The audit trail inside a GeoPackage workspace: one plain SQLite table, `lagesbild_audit`.

An event is written in place (an insert of one row), not through the copy-and-rename
transaction an import uses: copying a national workspace per download would take minutes. The
writer lock is held meanwhile, so an import's copy never misses an event written beside it.
The table is not registered in gpkg_contents: GDAL and QGIS list the data layers only, and the
canonical tables are untouched.

An in-place write changes the file's modification time and size, which `GpkgWorkspace.key`
reads; `same_data` remembers, per process, that the file after the write holds the same data
as before it, so the app's caches stay valid across its own audit events.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from lagesbild.core.errors import WorkspaceError, os_error_line
from lagesbild.store import derived, gpkg_safety

TABLE = "lagesbild_audit"
COLUMNS = ["actor", "role", "action", "target", "at"]
ACTIONS = ("import", "restore", "fetch", "export", "snapshot", "report_police")
MAX_TEXT = 500
_SAME: dict[tuple[str, int, int, int], tuple[str, int, int, int]] = {}
_LOCK = threading.Lock()


@functools.lru_cache(maxsize=64)
def _resolved(path: str) -> str:
    """The absolute path, resolved once per process (every run of every session asks)."""
    return str(Path(path).resolve())


def signature(path: Path) -> tuple[str, int, int, int]:
    """(path, inode, mtime_ns, size) of the file as of its last data change: the signature
    after one of this process's audit writes maps back to the one before it."""
    sig = raw_signature(path)
    with _LOCK:
        return _SAME.get(sig, sig)


def raw_signature(path: Path) -> tuple[str, int, int, int]:
    """(path, inode, mtime_ns, size) of the file as it is now, as a new process reads it."""
    st = path.stat()
    return (_resolved(str(path)), st.st_ino, st.st_mtime_ns, st.st_size)


def record(path: Path, actor: str, role: str, action: str, target: str = "",
           derived_state: Callable[[bool], object] | None = None) -> None:
    """Append one event (UTC, to the second); WorkspaceError when the file cannot take it.

    `derived_state(raw)` names the workspace's derived tables (`store.derived`) as this process
    keeps them (raw False) or as a new process will name the file (raw True). It is asked
    before and after the write, under the writer lock: no figure reads the trail, so the tables
    kept before are the new file's too (`derived.carry_over`). Without that, each download or
    export made every later process compute every figure and audit again."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}; valid: {ACTIONS}")
    if not path.exists():
        raise WorkspaceError(f"Arbetsytan {path} finns inte; händelsen kunde inte loggas.")
    at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    row = (str(actor)[:MAX_TEXT], str(role)[:MAX_TEXT], action, str(target)[:MAX_TEXT], at)
    try:
        with gpkg_safety.writer_lock(path):
            before = signature(path)
            kept = _state(derived_state, raw=False)
            with contextlib.closing(sqlite3.connect(path, timeout=30)) as con, con:
                con.execute(f'CREATE TABLE IF NOT EXISTS "{TABLE}" (id INTEGER PRIMARY KEY '
                            "AUTOINCREMENT, actor TEXT NOT NULL, role TEXT NOT NULL, action "
                            "TEXT NOT NULL, target TEXT NOT NULL, at TEXT NOT NULL)")
                con.execute(f'INSERT INTO "{TABLE}" (actor, role, action, target, at) '
                            "VALUES (?, ?, ?, ?, ?)", row)
            st = path.stat()
            with _LOCK:
                _SAME[(str(path.resolve()), st.st_ino, st.st_mtime_ns, st.st_size)] = before
            if kept is not None:
                derived.carry_over(kept, _state(derived_state, raw=True))  # type: ignore[arg-type]
    except sqlite3.Error as exc:
        raise WorkspaceError(f"Händelsen kunde inte loggas i {path} ({exc}).") from exc
    except OSError as exc:
        raise WorkspaceError(f"Händelsen kunde inte loggas: {os_error_line(exc)}") from exc


def _state(derived_state: Callable[[bool], object] | None, raw: bool) -> object:
    """`derived_state(raw)`, or None when it fails: the event is written all the same (a
    miss costs time, never a figure)."""
    if derived_state is None:
        return None
    try:
        return derived_state(raw)
    except Exception:  # noqa: BLE001 - an unreadable dataset list: computed again next time
        return None


def read(path: Path) -> pd.DataFrame:
    """Every event, oldest first (an empty frame with the columns when there is none)."""
    if not path.exists():
        return pd.DataFrame(columns=COLUMNS)
    uri = f"file:{os.fspath(path.resolve())}?mode=ro"
    try:
        with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=30)) as con:
            found = con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                                (TABLE,)).fetchone()
            rows = con.execute(f'SELECT {", ".join(COLUMNS)} FROM "{TABLE}" ORDER BY id'
                               ).fetchall() if found else []
    except sqlite3.Error as exc:
        raise WorkspaceError(f"Händelseloggen i {path} går inte att läsa ({exc}).") from exc
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["at"] = pd.to_datetime(frame["at"], utc=True, format="ISO8601")
    return frame
