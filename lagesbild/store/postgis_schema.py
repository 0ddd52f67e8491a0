"""The PostGIS workspace's schema and its numbered migrations.

A workspace is one PostgreSQL schema. `schema_version` lists the migrations applied; `migrate`
applies the missing ones in order in one transaction, and refuses a database written
by a newer lagesbild. A migration is frozen once released: a column added to `core.schema` later
gets a new numbered migration here (`test_postgis.py` checks that the tables match
`core.schema.TABLES`).
"""

from __future__ import annotations

from lagesbild.core.errors import WorkspaceError

# The canonical tables as of migration 1 (every row keeps its insertion order in `fid`).
_TABLES_1 = """
CREATE TABLE areas (fid bigserial PRIMARY KEY,
    "area_id" text, "level" text, "code" text, "name" text, "parent_id" text, "source" text,
    "kommungrupp" text, geometry geometry(Geometry, 3006)
);
CREATE TABLE population (fid bigserial PRIMARY KEY,
    "area_id" text, "year" bigint, "sex" text, "population" bigint, "source" text, "age_group"
    text
);
CREATE TABLE incidents (fid bigserial PRIMARY KEY,
    "incident_id" text, "occurred_at" timestamp(3), "year" bigint, "category" text,
    "source_category" text, "relation" boolean, "victim_sex" text, "area_id" text, "sub_area_id"
    text, "precision" text, "source" text, "age_group" text, geometry geometry(Geometry, 3006)
);
CREATE TABLE incident_counts (fid bigserial PRIMARY KEY,
    "area_id" text, "period" text, "category" text, "sex" text, "count" bigint, "source" text,
    "age_group" text
);
CREATE TABLE indicators (fid bigserial PRIMARY KEY,
    "area_id" text, "period" text, "indicator_id" text, "sex" text, "value" double precision,
    "unit" text, "n" bigint, "ci_low" double precision, "ci_high" double precision, "source"
    text, "age_group" text
);
CREATE TABLE sites (fid bigserial PRIMARY KEY,
    "site_id" text, "name" text, "kind" text, "area_id" text, "eligible_pupils" bigint, "source"
    text, "eligible_ak4_6" bigint, "eligible_ak7_9" bigint, "eligible_gy" bigint, "funder" text,
    geometry geometry(Geometry, 3006)
);
CREATE TABLE programme_activity (fid bigserial PRIMARY KEY,
    "site_id" text, "area_id" text, "programme" text, "period" text, "classes" bigint,
    "pupils_reached" bigint, "staff_trained" bigint, "status" text, "source" text, "counts"
    text, "funder" text
);
CREATE TABLE events (fid bigserial PRIMARY KEY,
    "event_id" text, "occurred_at" timestamp(3), "year" bigint, "type" text, "title" text,
    "location_name" text, "area_id" text, "area_level" text, "source" text
);
CREATE TABLE actions (fid bigserial PRIMARY KEY,
    "action_id" text, "focus_area" text, "title" text, "responsible" text, "period" text,
    "status" text, "area_ids" text, "indicator_ids" text, "source" text, "problem" text, "cause"
    text, "start" text, "end" text, "baseline" text, "target" text, "follow_up" text
);
CREATE TABLE groups (fid bigserial PRIMARY KEY,
    "group_id" text, "name" text, "kommun_ids" text, "source" text
);
CREATE TABLE trainings (fid bigserial PRIMARY KEY,
    "training" text, "training_given" text, "date" text, "term" text, "year" bigint, "organiser"
    text, "profession" text, "unit_kind" text, "site_id" text, "area_id" text, "participants"
    bigint, "hours" double precision, "source" text
);
CREATE TABLE staff (fid bigserial PRIMARY KEY,
    "area_id" text, "unit_kind" text, "year" bigint, "staff" bigint, "source" text
);
CREATE TABLE notes (fid bigserial PRIMARY KEY,
    "area_id" text, "period" text, "key" text, "text" text, "updated_at" timestamp(3), "source"
    text
);
"""

# number -> (what it does, SQL run inside the workspace's schema)
MIGRATIONS: dict[int, tuple[str, str]] = {
    1: ("the canonical tables, the dataset list and the change counter", _TABLES_1 + """
CREATE TABLE datasets (seq bigserial PRIMARY KEY, dataset text UNIQUE NOT NULL, "table" text,
    kind text, file text, rows bigint, rejected bigint, period text, imported_at text,
    description text, sha256 text, source_path text);
CREATE TABLE state (id integer PRIMARY KEY CHECK (id = 1), workspace_id text NOT NULL,
    generation bigint NOT NULL, changed_at timestamptz NOT NULL);
INSERT INTO state VALUES (1, md5(random()::text || clock_timestamp()::text), 0, now());
""" + "".join(f"CREATE INDEX {t}_source ON {t} (source);\n" for t in (
        "areas", "population", "incidents", "incident_counts", "indicators", "sites",
        "programme_activity", "events", "actions", "groups", "trainings", "staff", "notes"))),
    2: ("the audit trail (who imported, exported, froze a snapshot, made a police report)", """
CREATE TABLE audit (id bigserial PRIMARY KEY, actor text NOT NULL, role text NOT NULL,
    action text NOT NULL, target text NOT NULL, at text NOT NULL);
"""),
}
LATEST = max(MIGRATIONS)
MIGRATION_LOCK = 0x6C6167_6D  # advisory lock key of a schema's migrations ("lagm")


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def current_version(conn, schema: str) -> int | None:  # noqa: ANN001 - a psycopg connection
    """The highest migration applied to `schema`; None when the schema has no workspace yet."""
    found = conn.execute("SELECT to_regclass(%s)", (f"{quote_ident(schema)}.schema_version",))
    if found.fetchone()[0] is None:
        return None
    return conn.execute(f"SELECT max(version) FROM {quote_ident(schema)}.schema_version"
                        ).fetchone()[0] or 0


def refuse_newer(version: int | None, label: str) -> None:
    if version is not None and version > LATEST:
        raise WorkspaceError(
            f"Databasen {label} har schemaversion {version}, men den här versionen av lagesbild "
            f"känner bara till version {LATEST}. Uppdatera lagesbild innan du öppnar den; "
            "databasen ändrades inte.")


def migrate(conn, schema: str, label: str) -> list[int]:  # noqa: ANN001 - a psycopg connection
    """Apply the missing migrations to `schema` in order; the numbers applied (may be none).

    Two processes opening a new workspace at once: the second waits for the first's migration
    (an advisory lock per schema) and then finds nothing left to do."""
    version = current_version(conn, schema)
    conn.commit()
    refuse_newer(version, label)
    if version == LATEST:
        return []
    applied = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (MIGRATION_LOCK, schema))
        version = current_version(conn, schema)
        refuse_newer(version, label)
        if version is None:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(schema)}")
            conn.execute(f"CREATE TABLE {quote_ident(schema)}.schema_version (version integer "
                         "PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT "
                         "NULL DEFAULT now())")
            version = 0
        conn.execute(f"SET LOCAL search_path TO {quote_ident(schema)}, public")
        for number in sorted(n for n in MIGRATIONS if n > version):
            what, sql = MIGRATIONS[number]
            conn.execute(sql)
            conn.execute("INSERT INTO schema_version (version, description) VALUES (%s, %s)",
                         (number, what))
            applied.append(number)
    return applied
