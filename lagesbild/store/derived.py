"""Results of the analysis kept on disk between processes: the derived tables of a workspace.

The protected figures of every DeSO in the country take seconds per period to compute (the
suppression runs kommun by kommun), and a server that restarts, or a second server beside it,
would compute them again. `DerivedStore` keeps each memoised result (`analysis.memo.memoised`)
as a Parquet file, under a folder named by a digest of

- the workspace's `key` (it changes with every committed change: a new import, a note; a
  commit of text no figure reads, the notes, carries the kept tables over: `carry_over`), or,
  for a GeoPackage of at most 256 MB, the digest of its bytes (`Workspace.content_key`): then
  copies of one workspace (a restored export, the copies a test suite makes) share one folder,
- the code of the package (any change to it can change a figure), and
- the memo key itself (layer, level, period, taxonomy, settings: `repr` of frozen dataclasses
  and tuples of plain values; a key holding anything else is not kept).

So a kept result is only ever read back for the same data, the same code and the same question.
Parquet holds data, never code: a file planted in the folder cannot run anything. The folders
are made readable by the server's own user only (0700, files 0600): exact counts are kept too. A file is
written whole (a temporary file renamed) and kept only if it reads back equal to what was
computed, so a value Parquet would change (a dtype, a mixed column) is recomputed instead.
A folder that cannot be written only costs the time: the result is computed as before.

The folder is `LAGESBILD_CACHE_DIR` (default `~/.cache/lagesbild`); `LAGESBILD_CACHE_DIR=off`
keeps nothing (also for frames loaded before it was switched off). Folders of a workspace's
earlier states are removed when a new state is kept; of the folders named by content, the
16 most recently used are kept (`LAGESBILD_CACHE_KEEP`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
from functools import lru_cache
from enum import Enum
from pathlib import Path, PurePath

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

import lagesbild

ENV = "LAGESBILD_CACHE_DIR"
SHARED = "by-content"  # the folder of the states named by content (`Workspace.content_key`)
KEEP_ENV = "LAGESBILD_CACHE_KEEP"  # content-named states kept (most recently used); 16
PLAIN = (str, int, float, bool, type(None))
DTYPES = b"lagesbild_dtypes"


def cache_root() -> Path | None:
    """The folder derived tables are kept in, or None when switched off."""
    text = os.environ.get(ENV, "").strip()
    if text.lower() in ("off", "0", "no", "false"):
        return None
    if text:
        return Path(text)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lagesbild"


@lru_cache(maxsize=1)
def code_digest() -> str:
    """A digest of every Python file of the package: any code change gives new folders."""
    root = Path(lagesbild.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def key_text(key: object) -> str | None:
    """A text that names `key` exactly, or None when it holds a value whose `repr` might not
    (a frame, a set, an object without a dataclass `repr`)."""
    if isinstance(key, PLAIN):
        return repr(key)
    if isinstance(key, (PurePath, Enum)):
        return f"{type(key).__qualname__}({key_text(str(key.value if isinstance(key, Enum) else key))})"
    if isinstance(key, tuple):
        parts = [key_text(part) for part in key]
        return None if any(p is None for p in parts) else "(" + ",".join(parts) + ")"  # type: ignore[arg-type]
    if dataclasses.is_dataclass(key) and not isinstance(key, type) \
            and key.__dataclass_params__.frozen:  # type: ignore[attr-defined]
        values = [(f.name, key_text(getattr(key, f.name))) for f in dataclasses.fields(key)]
        if any(text is None for _, text in values):
            return None
        fields = [f"{name}={text}" for name, text in values]
        return f"{type(key).__module__}.{type(key).__qualname__}(" + ",".join(fields) + ")"
    return None


class DerivedStore:
    """`core.frames.PersistentMemo` on disk for one state of one workspace."""

    def __init__(self, root: Path, workspace_key: str, content: str = "",
                 content_key: str | None = None) -> None:
        self.root = root
        self.shared = content_key is not None
        if self.shared:  # named by the data alone: copies of one workspace share it
            self.workspace = SHARED
            named = f"{content_key}|{content}|{code_digest()}"
        else:
            self.workspace = hashlib.sha256(
                workspace_key.rsplit(":", 3)[0].encode()).hexdigest()[:16]
            named = f"{workspace_key}|{content}|{code_digest()}"
        self.state = hashlib.sha256(named.encode()).hexdigest()[:24]
        self.folder = root / self.workspace / self.state
        self._pruned = False

    def _path(self, key: tuple) -> Path | None:
        text = key_text(key)
        if text is None:
            return None
        return self.folder / (hashlib.sha256(text.encode()).hexdigest()[:32] + ".parquet")

    def get(self, key: tuple) -> pd.DataFrame | None:
        path = self._path(key)
        if path is None or cache_root() is None or not path.is_file():
            return None  # (switched off since these frames were loaded: nothing is read)
        return _read(path)

    def put(self, key: tuple, frame: pd.DataFrame) -> None:
        path = self._path(key)
        if path is None or type(frame) is not pd.DataFrame or cache_root() is None:
            return  # GeoDataFrames are not kept
        try:
            # exact counts live here too: readable by the server's own user only (the files
            # themselves are made 0600 by mkstemp); the folders below the root are ours alone
            self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
            for folder in (self.root / self.workspace, self.folder):
                folder.mkdir(mode=0o700, exist_ok=True)
                os.chmod(folder, 0o700)
            self._prune()
            fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            os.close(fd)
            try:
                _write(frame, tmp)
                if not _plain(frame):  # a type Parquet might change: read back and compare
                    back = _read(Path(tmp))
                    if back is None or not _same(frame, back):
                        return
                os.replace(tmp, path)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        except Exception:  # noqa: BLE001 - a full disk or read-only folder: computed next time
            return

    def _prune(self) -> None:
        """Remove the folders of this workspace's other states (older data or code); of the
        folders named by content, all but the `shared_keep()` most recently used (their other
        copies may still be open)."""
        if self._pruned:
            return
        self._pruned = True
        others = [o for o in (self.root / self.workspace).iterdir()
                  if o.is_dir() and o.name != self.state]
        if self.shared:
            os.utime(self.folder)
            others = sorted(others, key=_mtime, reverse=True)[shared_keep() - 1:]
        for other in others:
            shutil.rmtree(other, ignore_errors=True)


def shared_keep() -> int:
    """How many content-named states are kept (`LAGESBILD_CACHE_KEEP`, default 16)."""
    try:
        return max(1, int(os.environ.get(KEEP_ENV, "16")))
    except ValueError:
        return 16


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _write(frame: pd.DataFrame, path: str) -> None:
    """The frame as Parquet, with each column's pandas dtype named in the file's metadata
    (Parquet alone gives text columns back as objects)."""
    table = pa.Table.from_pandas(frame)
    dtypes = {str(col): [str(dtype), getattr(dtype, "storage", "")]
              for col, dtype in frame.dtypes.items()}
    meta = {**(table.schema.metadata or {}), DTYPES: json.dumps(dtypes).encode()}
    pq.write_table(table.replace_schema_metadata(meta), path)


def _read(path: Path) -> pd.DataFrame | None:
    """A frame `_write` wrote, with its dtypes; None for a damaged or foreign file."""
    try:
        table = pq.ParquetFile(path).read()  # one file: no dataset discovery
        dtypes = json.loads((table.schema.metadata or {})[DTYPES])
        frame = table.to_pandas()
        wanted = {}
        for col in frame.columns:
            name, storage = dtypes[str(col)]
            dtype = pd.StringDtype(storage) if name == "string" and storage \
                else pd.api.types.pandas_dtype(name)
            if frame[col].dtype != dtype:  # the others came back as they were written
                wanted[col] = dtype
        frame = frame.astype(wanted) if wanted else frame
    except Exception:  # noqa: BLE001 - a damaged or foreign file is a miss, never an error
        return None
    return frame if type(frame) is pd.DataFrame else None


_PLAIN_MASKED = ("Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64",
                 "Float32", "Float64", "boolean")


def _plain(frame: pd.DataFrame) -> bool:
    """Whether Parquet gives `frame` back exactly whatever its values: text column labels, a
    range or int64 index, and only numbers, booleans and pandas' own nullable numbers, booleans
    and strings (`_write` names each dtype). Anything else (objects, categories, dates) is read
    back and compared before it is kept."""
    index = frame.index
    if not (isinstance(index, pd.RangeIndex) or (type(index) is pd.Index
                                                 and index.dtype == "int64")):
        return False
    if frame.columns.has_duplicates or not all(isinstance(c, str) for c in frame.columns):
        return False
    for dtype in frame.dtypes:
        if isinstance(dtype, pd.StringDtype) or getattr(dtype, "name", "") in _PLAIN_MASKED:
            continue
        if isinstance(dtype, np.dtype) and (dtype.kind in "biu" or (dtype.kind == "f"
                                                                     and dtype.itemsize >= 4)):
            continue
        return False
    return True


def _same(frame: pd.DataFrame, back: pd.DataFrame) -> bool:
    try:
        pd.testing.assert_frame_equal(back, frame, check_exact=True)
    except (AssertionError, TypeError, ValueError):
        return False
    return True


def state_of(workspace) -> DerivedStore | None:  # noqa: ANN001 - a store.workspace.Workspace
    """The derived tables of the workspace's current state (as `load_frames` names them);
    None, without reading the workspace, when nothing is kept."""
    if cache_root() is None:
        return None
    return derived_store(workspace.key, workspace.datasets(), workspace.content_key())


def carry_over(before: DerivedStore | None, after: DerivedStore | None) -> int:
    """Give the state `after` the tables kept for `before` (hard links, else copies; how many).

    Only for a commit that changed nothing a figure is computed from (the notes, goals and
    chosen findings: `store.notes`), read while that commit held the workspace's writer lock,
    so no other commit came between the two states. Without it every note saved made the
    next page compute every figure and audit again (national workspace: 61 s instead of 5.6 s
    after `prepare`)."""
    if before is None or after is None or before.folder == after.folder or \
            not before.folder.is_dir() or cache_root() is None:
        return 0
    done = 0
    try:
        after.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        for folder in (after.root / after.workspace, after.folder):
            folder.mkdir(mode=0o700, exist_ok=True)
            os.chmod(folder, 0o700)
        for source in before.folder.glob("*.parquet"):
            target = after.folder / source.name
            if target.exists():
                continue
            try:
                os.link(source, target)
            except OSError:
                shutil.copy2(source, target)
            done += 1
    except OSError:  # a full disk or a read-only folder: computed again, as before
        return done
    return done


def derived_store(workspace_key: str, datasets: pd.DataFrame | None = None,
                  content_key: str | None = None) -> DerivedStore | None:
    """The derived tables of the workspace whose `key` is given (None when switched off).
    The dataset list (each import's file digest, rows and time) is part of the state too: a
    workspace file replaced by another with the same inode, size and modification tick (a
    coarse clock) still gives a new state unless the same files were imported the same second.
    `content_key` (`Workspace.content_key`, a digest of the whole workspace) names the folder
    instead of the location: two copies of one workspace share their derived tables."""
    root = cache_root()
    if root is None or workspace_key.endswith(":missing"):
        return None
    content = ""
    if datasets is not None and len(datasets):
        cols = [c for c in ("dataset", "table", "sha256", "rows", "rejected", "period",
                            "imported_at") if c in datasets.columns]
        content = hashlib.sha256(
            datasets[cols].astype(str).to_csv(index=False).encode()).hexdigest()
    return DerivedStore(root, workspace_key, content, content_key)
