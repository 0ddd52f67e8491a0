"""The GeoPackage workspace: one file per workspace, each transaction swapped in atomically."""

from __future__ import annotations

import contextlib
import hashlib
import glob
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pyogrio
import pyogrio.errors

from lagesbild.core import schema
from lagesbild.core.dataset import DATASET_ADDED_LATER, DATASET_COLUMNS, DATASETS, Dataset
from lagesbild.core.errors import WorkspaceError
from lagesbild.store import derived, gpkg_audit, gpkg_bulk, gpkg_safety
from lagesbild.store.workspace import Workspace, WorkspaceWriter


class _GpkgWriter(WorkspaceWriter):
    def __init__(self, path: Path) -> None:
        self.path = path

    def replace_dataset(self, dataset: Dataset, frame: pd.DataFrame, *, rejected: int = 0) -> None:
        frame = frame.assign(source=dataset.name)
        new = schema.conform(_strings_as_arrow(frame, dataset.table), dataset.table)
        layers = _layers(self.path)
        meta = _dataset_records(_read_layer(self.path, DATASETS)) if DATASETS in layers \
            else pd.DataFrame(columns=DATASET_COLUMNS)
        # A row's `source` must name exactly one dataset: a same-named file of another kind would
        # either take over the first one's provenance or silently delete its rows.
        clash = meta[(meta["dataset"] == dataset.name) & (meta["table"] != dataset.table)]
        if len(clash):
            raise WorkspaceError(
                f"Det finns redan ett dataset som heter '{dataset.name}' (tabell "
                f"{clash['table'].iloc[0]}). Ge filen ett annat namn och importera igen.")
        if dataset.table not in layers or not _replace_rows(self.path, dataset.table,
                                                            dataset.name, new):
            if dataset.table in layers:
                old = _read_table(self.path, dataset.table)
                old = old[old["source"] != dataset.name]
                new = schema.conform(pd.concat([old, new], ignore_index=True), dataset.table) \
                    if len(old) else new
            _write_layer(self.path, dataset.table, new)
        meta = meta[meta["dataset"] != dataset.name]
        row = {"dataset": dataset.name, "table": dataset.table, "kind": dataset.kind,
               "file": dataset.file, "rows": len(frame), "rejected": rejected,
               "period": dataset.period,
               "imported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "description": dataset.description, "sha256": dataset.sha256,
               "source_path": dataset.source_path}
        meta = pd.concat([meta, pd.DataFrame([row])], ignore_index=True)
        meta["rows"] = meta["rows"].astype("int64")
        meta["rejected"] = meta["rejected"].astype("int64")
        _write_layer(self.path, DATASETS, meta[DATASET_COLUMNS])


def _dataset_records(meta: pd.DataFrame) -> pd.DataFrame:
    """The dataset list with every column, "" for those an older workspace lacks."""
    for col in DATASET_ADDED_LATER:
        if col not in meta.columns:
            meta[col] = ""
        meta[col] = meta[col].where(meta[col].notna(), "")
    return meta[DATASET_COLUMNS]


def _strings_as_arrow(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Text columns held as Python objects made Arrow strings by pyarrow, which does it far
    faster than `astype("string")` in `schema.conform` (same values: a column holding anything
    but text and missing values is left to conform)."""
    text = {col for col, dtype in schema.TABLES[table].items() if dtype == schema.STR}
    changed = {}
    for col in frame.columns:
        if col not in text or frame[col].dtype != object:
            continue
        values = frame[col].to_numpy()
        if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
            continue  # numbers, bytes …: astype("string") writes them out its own way
        arrow = pa.array(values, type=pa.large_string(), from_pandas=True)
        changed[col] = pd.Series(pd.arrays.ArrowStringArray(arrow), index=frame.index)
    return frame.assign(**changed) if changed else frame


# file signature -> its layer names: GDAL opens the file to list them, and every table read
# asked (a few ms each, 15 per load of a workspace)
_LISTED: dict[tuple, frozenset[str]] = {}
_LISTED_MAX = 256


def _schema_signature(path: Path) -> tuple | None:
    """What changes whenever a table is created or dropped: the file's inode, size and time,
    and SQLite's schema cookie and change counter from its header (bytes 40 and 24: SQLite
    raises the cookie on every schema change, whatever the clock's granularity); None for a
    file that is not SQLite (then GDAL's own error is given)."""
    try:
        st = path.stat()
        with open(path, "rb") as handle:
            head = handle.read(100)
    except OSError:
        return None
    if len(head) < 100 or not head.startswith(b"SQLite format 3\x00"):
        return None
    return (str(path.resolve()), st.st_ino, st.st_size, st.st_mtime_ns, head[24:28], head[40:44])


def _layers(path: Path) -> set[str]:
    if not path.exists():
        return set()
    key = _schema_signature(path)
    known = _LISTED.get(key) if key is not None else None
    if known is not None:
        return set(known)
    try:
        names = {str(name) for name, _ in pyogrio.list_layers(path)}
    except pyogrio.errors.DataSourceError as exc:
        raise WorkspaceError(f"{path} är ingen GeoPackage-arbetsyta ({exc}).") from exc
    if key is not None:
        if len(_LISTED) >= _LISTED_MAX:
            _LISTED.clear()
        _LISTED[key] = frozenset(names)
    return names


# what reading a damaged GeoPackage raises (a truncated file, overwritten pages, not SQLite)
READ_ERRORS = (sqlite3.DatabaseError, pyogrio.errors.DataSourceError,
               pyogrio.errors.DataLayerError)


def _read_layer(path: Path, layer: str) -> pd.DataFrame:
    try:
        frame = pyogrio.read_dataframe(path, layer=layer)
    except READ_ERRORS as exc:
        raise WorkspaceError(f"{path}: tabellen '{layer}' går inte att läsa, filen är skadad "
                             f"({exc}).") from exc
    if isinstance(frame, gpd.GeoDataFrame) and frame.crs is None:
        frame = frame.set_crs(schema.CRS_STORE)
    return frame


def _read_table(path: Path, table: str) -> pd.DataFrame:
    """A stored canonical table, conformed: booleans come back from GPKG's 0/1 reals."""
    frame = _read_layer(path, table)
    for col, dtype in schema.TABLES[table].items():
        if col not in frame.columns:
            continue  # a column added after the workspace was written (schema.ADDED_LATER)
        if dtype == schema.BOOL:
            frame[col] = frame[col].map(
                lambda v: pd.NA if pd.isna(v) else bool(v)).astype(schema.BOOL)
        elif dtype == schema.STR:
            frame[col] = frame[col].where(frame[col].notna(), None)
    return schema.conform(frame, table)


def _replace_rows(path: Path, table: str, name: str, new: pd.DataFrame) -> bool:
    """Replace the rows of dataset `name` in a stored table without reading the others back:
    the whole layer is overwritten when no other rows remain; otherwise `name`'s rows are deleted
    in SQL and `new` appended, when the layer's columns and geometry type are those `new` would
    be written with. False: not done, nothing changed (the caller rewrites the whole table)."""
    # what the read-and-rewrite keeps: rows with another source (a row without one goes)
    keep = 'WHERE "source" IS NOT NULL AND "source" != ?'
    with contextlib.closing(sqlite3.connect(path)) as con:
        try:
            kept = con.execute(f'SELECT count(*) FROM "{table}" {keep}', (name,)).fetchone()[0]
        except sqlite3.Error:
            return False
    if not kept:
        _write_layer(path, table, new)
        return True
    if not len(new):
        return False
    info = pyogrio.read_info(path, layer=table)
    arrow, geometry_type, _ = gpkg_bulk.arrow_table(new)
    fields = [(f.name, gpkg_bulk.OGR_TYPES.get(f.type)) for f in arrow.schema
              if f.name != "geometry"]
    no_geometry = isinstance(new, gpd.GeoDataFrame) and new.geometry.isna().all()
    if list(zip(info["fields"], info["ogr_types"])) != fields or (
            info["geometry_type"] != geometry_type and not no_geometry):
        return False
    with contextlib.closing(sqlite3.connect(path)) as con:
        con.execute("PRAGMA synchronous = OFF")  # a working copy: see gpkg_bulk
        try:
            with con:  # one SQLite transaction: on any error nothing is deleted
                con.execute(f'DELETE FROM "{table}" WHERE NOT ("source" IS NOT NULL AND '
                            '"source" != ?)', (name,))
        except sqlite3.Error:
            return False
    gpkg_bulk.write_layer(path, table, new, append=True)
    return True


def _write_layer(path: Path, layer: str, frame: pd.DataFrame) -> None:
    if layer in schema.TABLES and len(frame):
        gpkg_bulk.write_layer(path, layer, frame)
        return
    out = frame.copy()
    for col in out.columns:
        if str(out[col].dtype) == schema.BOOL:
            out[col] = out[col].astype("float64")  # GPKG has no nullable boolean
        elif str(out[col].dtype) in (schema.INT, schema.FLOAT):
            out[col] = out[col].astype("float64")
        elif str(out[col].dtype) in ("string", "str"):
            # pd.NA must become None: pyogrio would store the text "<NA>" instead of NULL
            values = out[col].astype(object)
            out[col] = values.where(out[col].notna(), None)
    if isinstance(out, gpd.GeoDataFrame):
        pyogrio.write_dataframe(out, path, layer=layer, driver="GPKG", promote_to_multi=False)
    else:
        pyogrio.write_dataframe(out, path, layer=layer, driver="GPKG")


def write_copy(source: Workspace, path: Path) -> None:
    """Write every table and the dataset list of `source` (any store) into a new GeoPackage at
    `path`, as the GeoPackage workspace stores them: a snapshot of a PostGIS workspace is such a
    file, and reads back the same frames."""
    if path.exists():
        raise WorkspaceError(f"{path} finns redan.")
    for table in schema.TABLES:
        frame = source.read(table)
        if len(frame):
            _write_layer(path, table, frame)
    meta = source.datasets()
    if len(meta):
        meta = meta.assign(rows=meta["rows"].astype("int64"),
                           rejected=meta["rejected"].astype("int64"))
        _write_layer(path, DATASETS, meta[DATASET_COLUMNS])


CONTENT_HASH_MAX = 256 * 1024 * 1024  # bytes: `GpkgWorkspace.content_key`


def _key_text(signature: tuple[str, int, int, int]) -> str:
    """`GpkgWorkspace.key` of a file signature (path, inode, mtime_ns, size)."""
    path, ino, mtime, size = signature
    return f"{path}:{ino}:{mtime}:{size}"


class GpkgWorkspace(Workspace):
    """One GeoPackage file per workspace (OGC standard, opens in QGIS, no server).

    A transaction works on a copy beside the file and swaps it in with an atomic rename, so a
    process killed mid-import leaves the workspace exactly as it was.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"GpkgWorkspace({str(self.path)!r})"

    @property
    def location(self) -> str:
        return str(self.path)

    @property
    def files_path(self) -> Path:
        return self.path

    @property
    def key(self) -> str:
        if not self.path.exists():
            return f"{self.path}:missing"
        # every commit renames a new file into place, so the inode changes even within one
        # tick; an audit event written in place by this process keeps the key (gpkg_audit)
        return _key_text(gpkg_audit.signature(self.path))

    def content_key(self) -> str | None:
        """The SHA-256 of the file's bytes, for a file of at most CONTENT_HASH_MAX bytes (a
        kommun's or a county's workspace: milliseconds); None for a larger one (the national
        workspace: seconds to read), whose derived tables are kept by its location. An audit
        line written in place changes it too; `record_event` carries the kept tables over."""
        try:
            if self.path.stat().st_size > CONTENT_HASH_MAX:
                return None
            with open(self.path, "rb") as handle:
                return "gpkg-sha256:" + hashlib.file_digest(handle, "sha256").hexdigest()
        except OSError:
            return None

    def exists(self) -> bool:
        return self.path.exists()

    def read(self, table: str) -> pd.DataFrame:
        if table not in schema.TABLES:
            raise KeyError(f"unknown table {table!r}; valid: {sorted(schema.TABLES)}")
        if table not in _layers(self.path):
            return schema.empty(table)
        return _read_table(self.path, table)

    def read_columns(self, table: str, columns: list[str]) -> pd.DataFrame:
        """The columns straight from SQLite: an incidents table's case numbers without its
        millions of geometries."""
        if table not in schema.TABLES or not set(columns) <= set(schema.TABLES[table]):
            raise KeyError(f"unknown table or columns: {table!r} {columns!r}")
        if table not in _layers(self.path):
            return schema.empty(table)[columns]
        with contextlib.closing(sqlite3.connect(self.path)) as con:
            stored = {r[1] for r in con.execute(f'PRAGMA table_info("{table}")')}
            # a column added after the workspace was written (schema.ADDED_LATER) reads as NULL
            names = ", ".join(f'"{c}"' if c in stored else f'NULL AS "{c}"' for c in columns)
            rows = con.execute(f'SELECT {names} FROM "{table}"').fetchall()
        return pd.DataFrame(rows, columns=columns)

    def read_incidents(self) -> pd.DataFrame:
        from lagesbild.store.gpkg_incidents import read_incidents

        found = read_incidents(self.path)
        return super().read_incidents() if found is None else found

    def incident_cube(self) -> pd.DataFrame:
        """Counted by SQLite in the file (`store.gpkg_cube`)."""
        from lagesbild.store.gpkg_cube import incident_cube

        return incident_cube(self.path)

    def datasets(self) -> pd.DataFrame:
        if DATASETS not in _layers(self.path):
            return pd.DataFrame(columns=DATASET_COLUMNS)
        return _dataset_records(_read_layer(self.path, DATASETS))

    def record_event(self, actor: str, role: str, action: str, target: str = "") -> None:
        gpkg_audit.record(self.path, actor, role, action, target, self._derived_state)

    def _derived_state(self, raw: bool) -> derived.DerivedStore | None:
        """The derived tables of the file as this process names them (`key`, which an audit
        event of its own leaves unchanged), or (`raw`) as a new process will (the file's own
        signature)."""
        if not raw:
            return derived.state_of(self)
        key = _key_text(gpkg_audit.raw_signature(self.path))
        return derived.derived_store(key, self.datasets(), self.content_key())

    def events(self) -> pd.DataFrame:
        return gpkg_audit.read(self.path)

    def check_writable(self) -> None:
        """WorkspaceError before any work when the file or its folder is read-only."""
        gpkg_safety.refuse_read_only(self.path)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[WorkspaceWriter]:
        self.check_writable()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WorkspaceError(f"Mappen {self.path.parent} kan inte skapas "
                                 f"({exc.strerror}); inget ändrades.") from exc
        # one writer at a time, from the copy to the rename: a second import would otherwise
        # copy the same old file and its rename would drop this one's rows
        with gpkg_safety.writer_lock(self.path):
            self._remove_stale_copies()
            fd, tmp_name = tempfile.mkstemp(prefix=f"{self._tmp_prefix}{os.getpid()}.",
                                            suffix=_TMP_SUFFIX, dir=self.path.parent)
            os.close(fd)
            tmp = Path(tmp_name)
            try:
                if self.path.exists():
                    shutil.copyfile(self.path, tmp)
                else:
                    tmp.unlink()
                yield _GpkgWriter(tmp)
                if not tmp.exists():
                    raise WorkspaceError("Importen skrev ingenting; arbetsytan är oförändrad.")
                gpkg_safety.keep_mode(tmp, self.path)  # not mkstemp's 0600
                _fsync(tmp)  # the data must be on disk before the rename makes them the workspace
                os.replace(tmp, self.path)
                _fsync(self.path.parent)
            finally:
                for leftover in (tmp, *(Path(f"{tmp}{s}") for s in _SQLITE_SIDECARS)):
                    if leftover.exists():
                        leftover.unlink()

    @property
    def _tmp_prefix(self) -> str:
        return f".{self.path.name}."

    def _remove_stale_copies(self) -> None:
        """Delete working copies left by transactions whose process died (killed mid-import)."""
        for copy in self.path.parent.glob(f"{glob.escape(self._tmp_prefix)}*{_TMP_SUFFIX}*"):
            pid_text = copy.name[len(self._tmp_prefix):].split(".", 1)[0]
            if pid_text.isdigit() and not _alive(int(pid_text)):
                copy.unlink(missing_ok=True)


_TMP_SUFFIX = ".tmp.gpkg"
_SQLITE_SIDECARS = ("-journal", "-wal", "-shm")


def _alive(pid: int) -> bool:
    if pid == os.getpid() or os.name == "nt":
        return True  # on Windows os.kill would terminate the process: never probe there
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def _fsync(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return  # directories cannot be opened on some platforms
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
