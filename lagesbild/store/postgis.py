"""The PostGIS workspace: one PostgreSQL schema per workspace, for a shared server.

Location: `postgresql://user[:password]@host[:port]/database[?schema=name]` (libpq's own query
parameters such as `host=/run/postgresql` or `sslmode=require` pass through); the schema is
`lagesbild` unless named, so many workspaces can share one database. Opening applies the
missing migrations (`store.postgis_schema`).

An import is one PostgreSQL transaction: the new rows are copied (COPY, CSV written by Arrow)
into a staging table, then the dataset's old rows are deleted, the staged rows inserted and the
dataset list and the change counter updated; a failure anywhere, or the process killed, leaves
the old state. Writers are serialised by an advisory lock per schema: a second import waits up
to LAGESBILD_LOCK_TIMEOUT seconds (as for a GeoPackage) and is then refused, naming the holder.
Tables are read the same way back (COPY … TO, parsed by Arrow) and conformed exactly as
`GpkgWorkspace.read` conforms them, so both stores give the same frames.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import shapely

from lagesbild.core import schema
from lagesbild.core.dataset import DATASET_COLUMNS
from lagesbild.core.errors import WorkspaceError
from lagesbild.store import postgis_schema
from lagesbild.store.gpkg_safety import lock_timeout
from lagesbild.store.postgis_copy import copy_out, pandas_type
from lagesbild.store.postgis_writer import PostgisWriter
from lagesbild.store.postgis_schema import quote_ident
from lagesbild.store.workspace import Workspace, WorkspaceWriter

DEFAULT_SCHEMA = "lagesbild"
WRITER_LOCK = 0x6C6167_77  # advisory lock key of a schema's writers ("lagw"), with the schema
_ARROW_TYPES = {schema.STR: pa.string(), schema.INT: pa.int64(), schema.FLOAT: pa.float64(),
                schema.BOOL: pa.bool_(), schema.TIME: pa.timestamp("ms")}


def split_location(url: str) -> tuple[str, str]:
    """(libpq conninfo URL, schema) of a workspace location; `schema=` is lagesbild's own."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    names = [v for k, v in query if k == "schema"]
    rest = [(k, v) for k, v in query if k != "schema"]
    target = names[-1] if names else DEFAULT_SCHEMA
    if not target or len(target) > 63:
        raise WorkspaceError(f"Schemanamnet '{target}' i {redact(url)} går inte att använda; "
                             "ange 1–63 tecken, t.ex. ?schema=vasterbotten.")
    return urlunsplit(parts._replace(query=urlencode(rest))), target


def redact(url: str) -> str:
    """The location without its password (for messages and the sidebar)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


class PostgisWorkspace(Workspace):
    """A workspace in one schema of a PostgreSQL database with PostGIS (a shared server)."""

    KEY_TTL_S = 0.5  # `key` asks the server at most this often (every run asks many times)

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.url = url
        self.conninfo, self.schema = split_location(url)
        self._key: tuple[float, str] | None = None
        self._key_conn = None
        self._key_lock = threading.Lock()
        self._datasets: tuple[str, pd.DataFrame] | None = None  # (key read under, the list)
        if migrate:
            self.upgrade()

    def __repr__(self) -> str:
        return f"PostgisWorkspace({self.label!r})"

    @property
    def location(self) -> str:
        return self.url

    @property
    def label(self) -> str:
        return redact(self.url)

    @property
    def files_path(self) -> Path:
        """Where this workspace's files live on this machine (own layers, snapshots): a folder
        per database and schema under LAGESBILD_POSTGIS_FILES (default ./workspace/postgis)."""
        from lagesbild.core.settings import ROOT

        base = Path(os.environ.get("LAGESBILD_POSTGIS_FILES", ROOT / "workspace" / "postgis"))
        parts = urlsplit(self.conninfo)
        name = "-".join(p for p in (parts.hostname or "local", parts.path.strip("/"),
                                    self.schema) if p)
        return base / "".join(c if c.isalnum() or c in "-_." else "_" for c in name) \
            / "workspace.postgis"

    # --- connections ---------------------------------------------------------------------------
    def connect(self):  # noqa: ANN201 - a psycopg connection
        """A new connection with the workspace's schema first on the search path."""
        import psycopg

        who = f"lagesbild {getpass.getuser()}@{socket.gethostname()} pid {os.getpid()}"
        try:
            conn = psycopg.connect(self.conninfo, application_name=who[:63], connect_timeout=10)
        except psycopg.OperationalError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise WorkspaceError(f"Databasen {self.label} går inte att nå ({first}). Kontrollera "
                                 "adressen, användaren och att servern är igång.") from exc
        conn.execute(f"SET search_path TO {quote_ident(self.schema)}, public")
        conn.commit()
        return conn

    def upgrade(self) -> list[int]:
        """Apply the missing migrations (`lagesbild db upgrade`); the numbers applied."""
        import psycopg

        with contextlib.closing(self.connect()) as conn:
            try:
                return postgis_schema.migrate(conn, self.schema, self.label)
            except psycopg.errors.InsufficientPrivilege as exc:
                raise WorkspaceError(
                    f"Databasen {self.label}: behörighet saknas för att skapa eller uppdatera "
                    f"schemat '{self.schema}' ({exc}). Be databasens ägare köra 'lagesbild db "
                    "upgrade' eller ge användaren rätt att skapa schemat.") from exc

    def drop(self) -> None:
        """Remove the workspace's schema and everything in it (`lagesbild demo --database`
        rebuilds it); waits for a running import like any writer."""
        with contextlib.closing(self.connect()) as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))",
                         (WRITER_LOCK, self.schema))
            conn.execute(f"DROP SCHEMA IF EXISTS {quote_ident(self.schema)} CASCADE")
        self._forget_key()  # the schema made anew has another id: no kept list answers for it

    def version(self) -> int | None:
        with contextlib.closing(self.connect()) as conn:
            return postgis_schema.current_version(conn, self.schema)

    # --- the Workspace interface ------------------------------------------------------------------
    @property
    def key(self) -> str:
        """The workspace's id and change counter, asked on one kept connection at most every
        KEY_TTL_S (a commit by another process shows within that; this process's own commits
        at once). Fifty sessions each asking several times a run would otherwise open a
        connection per question. A fresh key is answered without the lock: under fifty
        sessions every question waiting for it queued the sessions behind one another."""
        kept = self._key  # one read of the attribute: a tuple, replaced whole
        if kept is not None and time.monotonic() - kept[0] < self.KEY_TTL_S:
            return kept[1]
        with self._key_lock:
            now = time.monotonic()
            if self._key is not None and now - self._key[0] < self.KEY_TTL_S:
                return self._key[1]
            for attempt in (1, 2):
                try:
                    if self._key_conn is None or self._key_conn.closed:
                        self._key_conn = self.connect()
                        self._key_conn.autocommit = True
                    wid, generation = self._key_conn.execute(
                        "SELECT workspace_id, generation FROM state WHERE id = 1").fetchone()
                    break
                except Exception:
                    if self._key_conn is not None:  # a dropped connection: one new try
                        with contextlib.suppress(Exception):
                            self._key_conn.close()
                    self._key_conn = None
                    if attempt == 2:
                        raise
            key = f"{self.label}:{wid}:{generation}"
            self._key = (now, key)
            return key

    def close(self) -> None:
        """Close the connection `key` keeps (a new one opens when asked again)."""
        with self._key_lock:
            conn, self._key_conn = self._key_conn, None
        if conn is not None:
            conn.close()

    def __del__(self) -> None:
        conn = getattr(self, "_key_conn", None)
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()

    def _forget_key(self) -> None:
        with self._key_lock:
            self._key = None

    def record_event(self, actor: str, role: str, action: str, target: str = "") -> None:
        """One audit line in its own transaction; the change counter (`key`) is untouched."""
        from lagesbild.store.gpkg_audit import ACTIONS, MAX_TEXT

        if action not in ACTIONS:
            raise ValueError(f"unknown audit action {action!r}; valid: {ACTIONS}")
        at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with contextlib.closing(self.connect()) as conn, conn.transaction():
            conn.execute("INSERT INTO audit (actor, role, action, target, at) "
                         "VALUES (%s, %s, %s, %s, %s)",
                         (str(actor)[:MAX_TEXT], str(role)[:MAX_TEXT], action,
                          str(target)[:MAX_TEXT], at))

    def events(self) -> pd.DataFrame:
        from lagesbild.store.gpkg_audit import COLUMNS

        with contextlib.closing(self.connect()) as conn:
            rows = conn.execute(f"SELECT {', '.join(COLUMNS)} FROM audit ORDER BY id").fetchall()
        frame = pd.DataFrame(rows, columns=COLUMNS)
        frame["at"] = pd.to_datetime(frame["at"], utc=True, format="ISO8601")
        return frame

    def exists(self) -> bool:
        """Whether the workspace holds any dataset (a schema without data is still empty)."""
        return bool(len(self.datasets()))

    def read(self, table: str) -> pd.DataFrame:
        if table not in schema.TABLES:
            raise KeyError(f"unknown table {table!r}; valid: {sorted(schema.TABLES)}")
        columns = list(schema.TABLES[table])
        frame = self._select(table, columns, geometry=table in schema.SPATIAL)
        return schema.conform(frame, table)

    def read_columns(self, table: str, columns: list[str]) -> pd.DataFrame:
        """Only the columns asked for leave the server (SELECT of those columns)."""
        if table not in schema.TABLES or not set(columns) <= set(schema.TABLES[table]):
            raise KeyError(f"unknown table or columns: {table!r} {columns!r}")
        return self._select(table, list(columns), geometry=False)

    def datasets(self) -> pd.DataFrame:
        """The dataset list, kept with the `key` it was read under: asked again while the key
        is the same, it costs no connection (every run of the app asks `exists()`, several
        times, and fifty sessions would each open a connection per question). Every change of
        the list bumps the change counter in the same transaction, so a kept list is never
        older than the key `key` gives."""
        key = self.key
        kept = self._datasets
        if kept is not None and kept[0] == key:
            return kept[1].copy()
        names = ", ".join(quote_ident(c) for c in DATASET_COLUMNS)
        with contextlib.closing(self.connect()) as conn, conn.transaction():
            # one snapshot for the counter and the list: a commit between them cannot file
            # the new list under the old key
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            wid, generation = conn.execute(
                "SELECT workspace_id, generation FROM state WHERE id = 1").fetchone()
            rows = conn.execute(f"SELECT {names} FROM datasets ORDER BY seq").fetchall()
        meta = pd.DataFrame(rows, columns=DATASET_COLUMNS)
        if not len(meta):
            meta = pd.DataFrame(columns=DATASET_COLUMNS)
        else:
            meta["rows"] = meta["rows"].astype("int64")
            meta["rejected"] = meta["rejected"].astype("int64")
            for col in DATASET_COLUMNS:
                if col not in ("rows", "rejected"):
                    meta[col] = meta[col].fillna("").astype(str)
        self._datasets = (f"{self.label}:{wid}:{generation}", meta)
        return meta.copy()

    def check_writable(self) -> None:
        """WorkspaceError before any work when this user may not write the workspace."""
        with contextlib.closing(self.connect()) as conn:
            allowed = conn.execute(
                "SELECT bool_and(has_table_privilege(format('%%I.%%I', %s::text, t), "
                "'INSERT,DELETE')) FROM unnest(%s::text[]) AS t",
                (self.schema, [*schema.TABLES, "datasets", "state"])).fetchone()[0]
        if not allowed:
            raise WorkspaceError(f"Användaren i {self.label} får inte ändra arbetsytan "
                                 f"(schemat '{self.schema}'); inget ändrades. Be databasens ägare "
                                 "om skrivrätt.")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[WorkspaceWriter]:
        import psycopg

        conn = self.connect()
        try:
            with conn.transaction():
                wait = lock_timeout()  # the GeoPackage's setting, shared
                conn.execute(f"SET LOCAL lock_timeout = '{int(wait * 1000)}ms'")
                try:
                    conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))",
                                 (WRITER_LOCK, self.schema))
                except psycopg.errors.LockNotAvailable as exc:
                    raise WorkspaceError(
                        f"Arbetsytan {self.label} används av en annan import "
                        f"({self._holder()}); väntade {wait:g} s. Försök igen när den är klar; "
                        "inget ändrades.") from exc
                conn.execute("SET LOCAL lock_timeout = 0")
                writer = PostgisWriter(conn)
                yield writer
                if not writer.wrote:
                    raise WorkspaceError("Importen skrev ingenting; arbetsytan är oförändrad.")
                conn.execute("UPDATE state SET generation = generation + 1, changed_at = now() "
                             "WHERE id = 1")
        finally:
            conn.close()
            self._forget_key()

    def _holder(self) -> str:
        """Who holds the writer lock: the other connection's application name and start."""
        with contextlib.closing(self.connect()) as conn:
            row = conn.execute(
                "SELECT a.application_name, a.usename, a.xact_start FROM pg_locks l "
                "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' "
                "AND l.granted AND l.classid = %s AND l.objid = hashtext(%s)::oid "
                "AND l.database = (SELECT oid FROM pg_database WHERE datname = "
                "current_database())", (WRITER_LOCK, self.schema)).fetchone()
        if row is None:
            return "okänd process"
        name, user, start = row
        when = f", startad {start.astimezone():%Y-%m-%d %H:%M:%S}" if start else ""
        return f"{name or 'okänt program'}, användare {user}{when}"

    def read_incidents(self) -> pd.DataFrame:
        """The points' coordinates from the server (ST_X, ST_Y), no geometry leaves it; read
        in batches of `INCIDENT_BATCH` rows from one snapshot, each made compact before the
        next is read (`store.postgis_rows`: national workspace, 7.5 M rows)."""
        from lagesbild.store.postgis_rows import read_compact_incidents

        return read_compact_incidents(self)

    counts_in_store = True  # only the groups leave the server, not millions of rows

    def incident_cube(self) -> pd.DataFrame:
        """Counted on the server (`store.postgis_cube`)."""
        from lagesbild.store.postgis_cube import incident_cube

        return incident_cube(self)

    def _select(self, table: str, columns: list[str], *, geometry: bool, xy: bool = False
                ) -> pd.DataFrame:
        """The columns (in insertion order) through COPY … TO and Arrow's CSV reader; `xy`:
        the geometry's x and y (points) as two more columns."""
        exprs = [quote_ident(c) for c in columns]
        if geometry:
            exprs.append("encode(ST_AsEWKB(geometry), 'hex')")
        if xy:
            exprs += ["ST_X(geometry)", "ST_Y(geometry)"]
        sql = (f"COPY (SELECT {', '.join(exprs)} FROM {quote_ident(table)} ORDER BY fid) "
               "TO STDOUT (FORMAT csv)")
        names = [*columns, "geometry"] if geometry else [*columns, "x", "y"] if xy else columns
        dtypes = schema.TABLES[table]
        types = {c: _ARROW_TYPES[dtypes[c]] for c in columns}
        if xy:
            types.update(x=pa.float64(), y=pa.float64())
        if geometry:
            types["geometry"] = pa.string()
        arrow = copy_out(self.connect, sql, names, types,
                         setup="SET DateStyle = ISO; SET extra_float_digits = 1")
        frame = arrow.select(names if xy else columns).to_pandas(types_mapper=pandas_type)
        if not geometry:
            return frame
        shapes = shapely.from_wkb(arrow.column("geometry").to_numpy(zero_copy_only=False))
        return gpd.GeoDataFrame(frame, geometry=shapes, crs=schema.CRS_STORE)
