"""The PostGIS store against a real local server (conftest `pg_server`): migrations, the same
frames and figures as the GeoPackage for the demo (digest), a real import process killed
mid-transaction, two imports at once, the CLI's --database, snapshots of a database."""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pandas as pd
import psycopg
import pytest
from click.testing import CliRunner
from conftest import state_of
from frames_support import shared_demo

from lagesbild.cli.main import main
from lagesbild.core import schema
from lagesbild.core.dataset import DATASET_COLUMNS
from lagesbild.core.errors import WorkspaceError
from lagesbild.core.layers import own_layers_dir
from lagesbild.core.settings import ROOT
from lagesbild.store import importer, postgis_schema
from lagesbild.store.frames import load_frames
from lagesbild.store.gpkg import GpkgWorkspace
from lagesbild.store.postgis import PostgisWorkspace, redact, split_location
from lagesbild.store.workspace import open_workspace, require

PG_TYPES = {schema.STR: "text", schema.INT: "bigint", schema.FLOAT: "double precision",
            schema.BOOL: "boolean", schema.TIME: "timestamp without time zone"}


@pytest.fixture
def pg(pg_url: str) -> PostgisWorkspace:
    return PostgisWorkspace(pg_url)


# --- locations and migrations ---------------------------------------------------------------

def test_location_schema_and_password_are_lagesbild_s_own():
    conninfo, name = split_location("postgresql://anna:hemligt@db.lan:5433/lage?schema=ac&"
                                    "sslmode=require")
    assert name == "ac" and "schema" not in conninfo and "sslmode=require" in conninfo
    assert split_location("postgresql://db/lage")[1] == "lagesbild"
    assert redact("postgresql://anna:hemligt@db.lan/lage") == "postgresql://anna:***@db.lan/lage"


def test_migrations_make_the_canonical_tables(pg: PostgisWorkspace):
    with pg.connect() as conn:
        rows = conn.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE "
            "table_schema = %s ORDER BY table_name, ordinal_position", (pg.schema,)).fetchall()
        versions = conn.execute("SELECT version FROM schema_version").fetchall()
        geometry = conn.execute("SELECT f_table_name, srid FROM geometry_columns WHERE "
                                "f_table_schema = %s ORDER BY 1", (pg.schema,)).fetchall()
    stored: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in rows:
        stored.setdefault(table, []).append((column, kind))
    # a column added to core.schema needs a new numbered migration: this fails until it has one
    for table, columns in schema.TABLES.items():
        expected = [("fid", "bigint"), *((c, PG_TYPES[d]) for c, d in columns.items())]
        if table in schema.SPATIAL:
            expected.append(("geometry", "USER-DEFINED"))
        assert stored[table] == expected, table
    assert [v for (v,) in versions] == sorted(postgis_schema.MIGRATIONS)
    assert geometry == [(t, 3006) for t in sorted(schema.SPATIAL)]
    assert pg.upgrade() == []  # opening again applies nothing


def test_a_database_newer_than_the_code_is_refused(pg: PostgisWorkspace):
    with pg.connect() as conn:
        conn.execute("INSERT INTO schema_version (version, description) VALUES (%s, 'framtid')",
                     (postgis_schema.LATEST + 1,))
    with pytest.raises(WorkspaceError, match=f"schemaversion {postgis_schema.LATEST + 1}.*"
                                             "Uppdatera lagesbild"):
        open_workspace(pg.location)
    result = CliRunner().invoke(main, ["db", "upgrade", "--database", pg.location])
    assert result.exit_code == 1 and "Uppdatera lagesbild" in result.output


def test_db_upgrade_creates_then_has_nothing_to_do(pg_url: str):
    runner = CliRunner()
    first = runner.invoke(main, ["db", "upgrade", "--database", pg_url])
    assert first.exit_code == 0, first.output
    assert f"från version 0 till {postgis_schema.LATEST}" in first.output
    again = runner.invoke(main, ["db", "upgrade", "--database", pg_url])
    assert again.exit_code == 0 and "inget att göra" in again.output


def test_require_names_the_empty_database(pg: PostgisWorkspace):
    with pytest.raises(WorkspaceError, match="är tom.*lagesbild demo --database"):
        require(pg)


# --- the same frames and figures as the GeoPackage ----------------------------------------------

@pytest.fixture(scope="module")
def demo_pair(pg_server, tmp_path_factory) -> tuple[GpkgWorkspace, PostgisWorkspace]:  # noqa: ANN001
    from lagesbild.store import demo

    gpkg = GpkgWorkspace(shared_demo(tmp_path_factory))
    started = time.perf_counter()
    pg = demo.build_workspace(pg_server.workspace_url("demo"))
    print(f"demo into PostGIS: {time.perf_counter() - started:.1f} s")
    assert isinstance(pg, PostgisWorkspace)
    return gpkg, pg


def test_demo_digest_every_table_the_same_in_both_stores(demo_pair):
    gpkg, pg = demo_pair
    for table in schema.TABLES:
        a, b = gpkg.read(table), pg.read(table)
        assert type(a) is type(b) and list(a.columns) == list(b.columns), table
        assert dict(a.dtypes.astype(str)) == dict(b.dtypes.astype(str)), table
        if "geometry" in a:
            assert a.crs == b.crs == schema.CRS_STORE
            assert [g.wkb if g is not None else None for g in a.geometry] == \
                [g.wkb if g is not None else None for g in b.geometry], table
        pd.testing.assert_frame_equal(pd.DataFrame(a.drop(columns="geometry", errors="ignore")),
                                      pd.DataFrame(b.drop(columns="geometry", errors="ignore")))
        assert _digest(a) == _digest(b), table
        # text columns as text from both (other dtypes are each backend's own in read_columns)
        columns = [c for c, d in schema.TABLES[table].items() if d == schema.STR][:3]
        pd.testing.assert_frame_equal(gpkg.read_columns(table, columns).astype(object),
                                      pg.read_columns(table, columns).astype(object))
    da, db = gpkg.datasets(), pg.datasets()
    assert list(db.columns) == DATASET_COLUMNS and len(da) > 10
    pd.testing.assert_frame_equal(da.drop(columns="imported_at"), db.drop(columns="imported_at"),
                                  check_dtype=False)


def test_demo_frames_the_same_from_both_stores(demo_pair, monkeypatch: pytest.MonkeyPatch):
    """What every analysis, render and report test consumes is `Frames`: loaded from either
    store (nothing kept between loads), every table, the incident rows, the
    store's count cube and the kept small tables are the same, dtypes included. So the tests of
    the stages after the store hold for both stores."""
    import dataclasses

    from lagesbild.analysis.time_coverage import incident_spans

    monkeypatch.setenv("LAGESBILD_CACHE_DIR", "off")
    a, b = (load_frames(ws) for ws in demo_pair)
    assert not b.incidents_loaded  # counted by the server, the rows read here on first use
    assert a.incident_total == b.incident_total > 1000
    for field in dataclasses.fields(a):
        x, y = getattr(a, field.name), getattr(b, field.name)
        assert type(x) is type(y), field.name
        if "geometry" in x:
            assert x.crs == y.crs, field.name
            assert list(x.geometry.to_wkb()) == list(y.geometry.to_wkb()), field.name
        other = ["geometry", "imported_at"]  # two builds: imported seconds apart
        pd.testing.assert_frame_equal(pd.DataFrame(x.drop(columns=other, errors="ignore")),
                                      pd.DataFrame(y.drop(columns=other, errors="ignore")),
                                      obj=field.name)
    pd.testing.assert_frame_equal(a.incident_cube, b.incident_cube)
    pd.testing.assert_frame_equal(incident_spans(a), incident_spans(b))


def test_demo_incidents_read_in_batches_are_the_rows_read_whole(demo_pair,
                                                               monkeypatch: pytest.MonkeyPatch):
    """PostGIS reads the incident rows batch by batch (`store.postgis_rows`, for memory): in
    batches of 499 rows (categories missing from some batches, met in others) the frame is the
    GeoPackage's, codes and categories included."""
    gpkg, pg = demo_pair
    monkeypatch.setenv("LAGESBILD_INCIDENT_BATCH", "499")
    got, want = pg.read_incidents(), gpkg.read_incidents()
    assert len(got) > 10 * 499
    pd.testing.assert_frame_equal(got, want)
    for col in ("area_id", "sub_area_id", "category"):
        assert (got[col].cat.codes.to_numpy() == want[col].cat.codes.to_numpy()).all()


WHEN = r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d)?"  # the two demo builds' import times


def _shown(at) -> list[tuple[str, str]]:  # noqa: ANN001 - an AppTest after a run
    """Everything a page shows, in order, but the sidebar's caption naming the location."""
    out = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "metric", "info",
                 "warning", "error", "success", "dataframe", "table", "selectbox", "radio",
                 "multiselect", "download_button"):
        for element in getattr(at, kind):
            if kind == "dataframe" or kind == "table":
                value = element.value.to_csv()
            elif kind in ("selectbox", "radio", "multiselect"):
                value = f"{element.label}: {element.options} = {element.value}"
            elif kind == "metric":
                value = f"{element.label} {element.value} {element.delta}"
            elif kind == "download_button":
                value = str(element.label)
            else:
                value = str(element.value)
            out.append((kind, value))
    return out


PAGES = ["map_page", "pyramid_page", "compare_page", "coverage_page", "assessment_page",
         "report_page", "data_page"]


@pytest.mark.parametrize(("role", "pages"), [
    (None, PAGES),  # one person, no login: everything
    ("lasare", ["map_page", "pyramid_page", "report_page"]),  # the protected release
    ("lansstyrelsen:24", ["compare_page", "assessment_page"]),
    ("kommun:2480", ["assessment_page", "report_page"]),
    ("polis", ["map_page", "report_page"])])
def test_every_page_shows_the_same_from_both_stores(demo_pair, role: str | None,
                                                    pages: list[str], tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch):
    """The app's own tests run on the GeoPackage; here every page of the demo, in Swedish, for
    one person without a login and for the signed-in roles (the protected release, a county,
    a kommun, the police), shows the same text, tables, choices and figures when the demo is in
    PostGIS (the lines naming the location aside). One session per store walks the pages, as
    a user does."""
    from streamlit.testing.v1 import AppTest

    from test_app_roles import SECRETS, user

    monkeypatch.setenv("LAGESBILD_WARM", "0")
    monkeypatch.setenv("LAGESBILD_APP_AUDIT", "off")
    monkeypatch.setenv("LAGESBILD_POSTGIS_FILES", str(tmp_path / "files"))
    shown: list[list[tuple[str, str]]] = []
    for ws in demo_pair:
        monkeypatch.setenv("LAGESBILD_WORKSPACE", ws.location)
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        if role:
            at.secrets = SECRETS
            at.user = user([role])
        at.run()
        # where the workspace is: its name, and its own layers' folder
        own = str(own_layers_dir(ws.files_path))
        side = []
        for page in pages:
            at.switch_page(f"lagesbild/ui/{page}.py").run()
            assert not at.exception, (page, at.exception)
            found = [(k, re.sub(WHEN, "<tid>", v.replace(own, "<eget>"))) for k, v in _shown(at)
                     if ws.label not in v and not v.startswith("Arbetsyta: ")]
            assert len(found) > 5, page
            side += [("page", page), *found]
        shown.append(side)
    lines = [[f"{k}: {v}"[:300] for k, v in side] for side in shown]
    assert shown[0] == shown[1], "\n".join(difflib.unified_diff(*lines, lineterm="", n=0))


def test_demo_report_the_same_bytes_from_both_stores(demo_pair):
    """What the meeting reads: a kommun's HTML report (two layers: the whole report takes 25 s
    a store) and the figures of every layer, byte for byte."""
    from lagesbild.analysis.figures import layer_figures, periods
    from lagesbild.core.layers import load_layers
    from lagesbild.core.settings import get_settings
    from lagesbild.core.taxonomy import load_taxonomy
    from lagesbild.report.build import build_report
    from lagesbild.report.writers import write_report

    settings = get_settings()
    specs = load_layers(settings.layers_dir)
    taxonomy = load_taxonomy(settings.layers_dir / "pyramid.toml")
    out = []
    for ws in demo_pair:
        frames = load_frames(ws)
        report = build_report(frames, specs, taxonomy, settings, area_id="2480", period="2024",
                              created=date(2026, 3, 1), images=False,
                              layers=["vald_topp", "otrygghet"])
        figures = [layer_figures(frames, spec, period=periods(frames, spec)[-1], sex="T",
                                 taxonomy=taxonomy, settings=settings).to_csv()
                   for spec in specs.values() if periods(frames, spec)]
        out.append((write_report(report, "html"), figures))
    assert "Umeå" in out[0][0].decode() and len(out[0][1]) > 10
    assert hashlib.sha256(out[0][0]).hexdigest() == hashlib.sha256(out[1][0]).hexdigest()
    assert out[0][1] == out[1][1]


def _digest(frame: pd.DataFrame) -> str:
    plain = pd.DataFrame(frame.drop(columns="geometry", errors="ignore"))
    digest = hashlib.sha256(pd.util.hash_pandas_object(plain, index=False).to_numpy().tobytes())
    if "geometry" in frame:
        digest.update(b"".join(g.wkb if g is not None else b"-" for g in frame.geometry))
    return digest.hexdigest()


# --- real import processes: killed mid-way, two at once ----------------------------------------

COUNTS_HEADER = "Kommun;Kommunkod;År;Brottskategori;Kön;Antal\n"


def _counts_file(folder: Path, name: str, value: int, rows: int = 200) -> Path:
    lines = [f"Norsjö;2417;{2000 + i % 25};Kategori {i // 25};Totalt;{value}" for i in range(rows)]
    path = folder / name
    path.write_text(COUNTS_HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def counted(pg: PostgisWorkspace, kommun_areas, tmp_path: Path) -> PostgisWorkspace:
    """Two kommuner and a committed crime-count file "brå.csv" (every count 1)."""
    importer.store_boundaries(pg, kommun_areas, name="gränser")
    importer.import_file(pg, "crime_counts", _counts_file(tmp_path, "brå.csv", 1), name="brå.csv")
    return pg


def _cli_import(location: str, path: Path, *, wait: float, name: str = "brå.csv"):  # noqa: ANN202
    env = {**os.environ, "LAGESBILD_LOCK_TIMEOUT": str(wait),
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen(
        [sys.executable, "-m", "lagesbild.cli", "import", "crime_counts", str(path),
         "--database", location, "--name", name], cwd=path.parent, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


class _HeldCommit:
    """Holds an EXCLUSIVE lock on the workspace's change counter: an import runs its whole
    transaction (staging, delete, insert, dataset list) and then waits at its last statement,
    the counter's UPDATE, until `release()`: a process caught after staging, before commit."""

    def __init__(self, ws: PostgisWorkspace) -> None:
        self.conn = ws.connect()
        self.conn.execute("LOCK TABLE state IN EXCLUSIVE MODE")

    def wait_for(self, pid: int, timeout: float = 60) -> None:
        """Until process `pid`'s connection waits at the counter (its rows are staged)."""
        deadline = time.monotonic() + timeout
        with psycopg.connect(self.conn.info.dsn, autocommit=True) as watch:
            while time.monotonic() < deadline:
                row = watch.execute(
                    "SELECT query FROM pg_stat_activity WHERE application_name LIKE %s AND "
                    "wait_event_type = 'Lock'", (f"% pid {pid}",)).fetchone()
                if row and row[0].startswith("UPDATE state"):
                    return
                time.sleep(0.05)
        raise AssertionError(f"process {pid} never reached its commit")

    def release(self) -> None:
        self.conn.rollback()
        self.conn.close()


def test_import_process_killed_after_staging_loses_nothing_committed(counted, tmp_path: Path):
    before = state_of(counted)
    held = _HeldCommit(counted)
    try:
        child = _cli_import(counted.location, _counts_file(tmp_path, "ny.csv", 7), wait=30)
        held.wait_for(child.pid)
        os.kill(child.pid, signal.SIGKILL)  # kill -9 with its rows staged and inserted
        child.communicate(timeout=30)
    finally:
        held.release()
    assert child.returncode == -signal.SIGKILL
    assert state_of(counted) == before  # the committed counts (all 1) are all still there
    assert set(counted.read("incident_counts")["count"]) == {1}
    again = _cli_import(counted.location, _counts_file(tmp_path, "ny.csv", 7), wait=30)
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert "Importerade 200 rader" in out and "***" not in out
    assert set(counted.read("incident_counts")["count"]) == {7}


def test_second_import_is_refused_naming_the_first_then_waits_and_lands(counted, tmp_path: Path):
    held = _HeldCommit(counted)
    try:
        first = _cli_import(counted.location, _counts_file(tmp_path, "a.csv", 2), wait=30)
        held.wait_for(first.pid)
        # a second import while the first holds the workspace: refused after its wait
        refused = _cli_import(counted.location, _counts_file(tmp_path, "b.csv", 3), wait=0.5)
        out, err = refused.communicate(timeout=120)
        assert refused.returncode == 1, out + err
        assert "används av en annan import" in err and f"pid {first.pid}" in err
        assert "inget ändrades" in err
        # a third waits long enough: it lands after the first
        third = _cli_import(counted.location, _counts_file(tmp_path, "c.csv", 4), wait=60)
        time.sleep(1.0)
        assert third.poll() is None  # still waiting for the first
    finally:
        held.release()
    first.communicate(timeout=60)
    assert first.returncode == 0
    out, err = third.communicate(timeout=120)
    assert third.returncode == 0, err
    counts = counted.read("incident_counts")
    # never a mix: the dataset holds the last import's 200 rows, nothing of the others
    assert counts["count"].tolist() == [4] * 200
    assert counted.datasets().set_index("dataset").loc["brå.csv", "rows"] == 200


# --- CLI and snapshots on a database --------------------------------------------------------

def test_cli_on_a_database_layers_export_report_snapshot(demo_pair, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch):
    _, pg = demo_pair
    monkeypatch.setenv("LAGESBILD_POSTGIS_FILES", str(tmp_path / "files"))
    runner = CliRunner()
    layers = runner.invoke(main, ["layers", "--database", pg.location, "--json"])
    assert layers.exit_code == 0, layers.output
    via_workspace = runner.invoke(main, ["layers", "--workspace", pg.location, "--json"])
    assert json.loads(via_workspace.output) == json.loads(layers.output)
    both = runner.invoke(main, ["layers", "--database", pg.location, "-w", "x.gpkg"])
    assert both.exit_code == 2 and "inte båda" in both.output
    exported = runner.invoke(main, ["export", "--database", pg.location, "--out",
                                    str(tmp_path / "ut")])
    assert exported.exit_code == 0, exported.output
    assert (tmp_path / "ut" / "lagesbild-export.json").is_file()
    snap = runner.invoke(main, ["snapshot", "create", "--database", pg.location, "--title",
                                "Möte", "--area", "2480", "--period", "2024"])
    assert snap.exit_code == 0, snap.output
    listed = runner.invoke(main, ["snapshot", "list", "--database", pg.location, "--json"])
    found = json.loads(listed.output)
    assert len(found) == 1 and Path(found[0]["path"]).is_relative_to(tmp_path / "files")
    frozen = Path(found[0]["path"]) / "workspace.gpkg"
    assert frozen.is_file()
    for table in ("areas", "incidents", "notes"):
        a, b = GpkgWorkspace(frozen).read(table), pg.read(table)
        assert _digest(a) == _digest(b)
    same = runner.invoke(main, ["snapshot", "diff", "--database", pg.location])
    assert same.exit_code == 0 and "Inget har ändrats" in same.output, same.output
    report = runner.invoke(main, ["report", "--database", pg.location, "--area", "2480",
                                  "--period", "2024", "--format", "xlsx", "--layers", "vald_topp", "--out",
                                  str(tmp_path / "r.xlsx")])
    assert report.exit_code == 0, report.output


def test_export_from_a_database_restores_into_either_store(demo_pair, pg_url: str,
                                                          tmp_path: Path):
    """A PostGIS workspace's export restores into a new PostGIS schema and into a GeoPackage,
    both the same as the source, and exports the same files again (the GeoPackage's own round
    trip: test_export_roundtrip)."""
    from lagesbild.store import export
    from test_export_roundtrip import assert_same_files, assert_same_workspace

    _, pg = demo_pair
    first = export.export_all(pg, tmp_path / "ut1")
    for target in (PostgisWorkspace(pg_url), GpkgWorkspace(tmp_path / "restored.gpkg")):
        export.import_exported(target, tmp_path / "ut1")
        assert_same_workspace(pg, target)
        assert_same_files(first, export.export_all(target, tmp_path / f"ut-{type(target).__name__}"))


# --- the app on a database ----------------------------------------------------------------------

@pytest.mark.parametrize("page", ["map_page", "data_page"])
def test_app_pages_open_on_a_database(demo_pair, page: str, monkeypatch: pytest.MonkeyPatch,
                                      tmp_path: Path):
    """`lagesbild serve --database URL` sets LAGESBILD_WORKSPACE to the URL: the pages open on
    it, the sidebar names it without a password, the datasets are the database's."""
    from streamlit.testing.v1 import AppTest

    _, pg = demo_pair
    monkeypatch.setenv("LAGESBILD_WORKSPACE", pg.location)
    monkeypatch.setenv("LAGESBILD_WARM", "0")
    monkeypatch.setenv("LAGESBILD_POSTGIS_FILES", str(tmp_path / "files"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    at.switch_page(f"lagesbild/ui/{page}.py").run()
    assert not at.exception, at.exception
    assert any(pg.schema in c.value for c in at.sidebar.caption)
    assert not at.warning and len(at.dataframe) >= 1
    if page == "data_page":
        shown = {str(v) for df in at.dataframe for v in df.value.astype(str).to_numpy().ravel()}
        assert set(pg.datasets()["dataset"]) & shown


def test_serve_refuses_an_empty_database(pg: PostgisWorkspace):
    result = CliRunner().invoke(main, ["serve", "--database", pg.location, "--headless"])
    assert result.exit_code == 1 and "är tom" in result.output


def test_the_audit_trail_on_a_database_keeps_order_and_the_key(pg: PostgisWorkspace):
    """Migration 2's audit table: events in order with UTC times; an event is not a change of
    the data (the app's caches keyed on `key` stay), an import is; an unknown action is refused."""
    assert not len(pg.events()) and list(pg.events().columns) == [
        "actor", "role", "action", "target", "at"]
    pg._forget_key()
    key = pg.key
    pg.record_event("per@polisen.se", "polis", "report_police", "2480 2024 pdf")
    pg.record_event("anna@umea.se", "kommun:2480", "snapshot", "abc")
    pg._forget_key()
    assert pg.key == key
    events = pg.events()
    assert events[["actor", "action"]].values.tolist() == [
        ["per@polisen.se", "report_police"], ["anna@umea.se", "snapshot"]]
    assert str(events["at"].dt.tz) == "UTC"
    with pytest.raises(ValueError):
        pg.record_event("x", "polis", "drop_everything")
    assert pg.version() == 2
