"""Both stores (GeoPackage and PostGIS, the `store` fixture): lossless round trips, dataset
replacement, atomic transactions, a killed import; the GeoPackage's own file handling."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import signal
import sys
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from conftest import left_in, state_of
from shapely.geometry import MultiPolygon, Point, box

from lagesbild.core import schema
from lagesbild.core.dataset import DATASET_COLUMNS, Dataset
from lagesbild.core.errors import LagesbildError, WorkspaceError
from lagesbild.store.gpkg import GpkgWorkspace
from lagesbild.store.workspace import open_workspace, require

NA = None


def _geo(data: dict, geoms: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(data, geometry=geoms, crs=schema.CRS_STORE)


# One small frame per canonical table, with the values that tend to get lost: codes with
# leading zeros, å/ä/ö, missing values of every dtype, empty strings, mixed geometry types.
SAMPLES: dict[str, pd.DataFrame] = {
    "areas": _geo({
        "area_id": ["0114", "2417", "24"], "level": ["kommun", "kommun", "lan"],
        "code": ["0114", "2417", "24"], "name": ["Upplands Väsby", "Åsele–Ö", "Västerbottens län"],
        "parent_id": ["01", "24", NA], "source": ""},
        [box(0, 0, 1, 1), MultiPolygon([box(1, 0, 2, 1), box(3, 0, 4, 1)]), box(0, 0, 4, 1)]),
    "population": pd.DataFrame({
        "area_id": ["0114", "0114", "2417"], "year": [2024, 2024, NA], "sex": ["K", "M", "T"],
        "population": [24000, NA, 0], "source": ""}),
    "incidents": _geo({
        "incident_id": ["5000-K000001-24", "å-2", "3"],
        "occurred_at": [datetime(2024, 3, 15, 21, 40, 5), datetime(2024, 2, 29), NA],
        "year": [2024, 2024, NA], "category": ["Misshandel", "Våldtäkt", "Olaga hot"],
        "source_category": ["Misshandel", "Våldtäkt", "Olaga hot"],
        "relation": [True, NA, False], "victim_sex": ["K", NA, "M"],
        "area_id": ["0114", "2417", NA], "precision": ["point", "point", "area"], "source": ""},
        [Point(700_000.25, 7_190_000.5), Point(1, 2), None]),
    "incident_counts": pd.DataFrame({
        "area_id": ["0114", "2417"], "period": ["2024", "2023"], "category": ["Rån", "Övrigt"],
        "sex": ["T", "K"], "count": [0, 1_234_567], "source": ""}),
    "indicators": pd.DataFrame({
        "area_id": ["0114", "2417"], "period": ["2024", "2024"],
        "indicator_id": ["otrygghet", "utsatt_hot"], "sex": ["K", "M"], "value": [24.5, NA],
        "unit": ["percent", "percent"], "n": [120, NA], "ci_low": [20.1, NA],
        "ci_high": [29.75, NA], "source": ""}),
    "sites": _geo({
        "site_id": ["0114-S01", "2417-F01"], "name": ["Väsbyskolan", "Fritidsgården Åsele"],
        "kind": ["grundskola", "fritidsgård"], "area_id": ["0114", "2417"],
        "eligible_pupils": [281, NA], "source": ""}, [Point(1, 1), Point(2, 2)]),
    "programme_activity": pd.DataFrame({
        "site_id": ["0114-S01", NA], "area_id": ["0114", "2417"], "programme": ["MVP", "MVP"],
        "period": ["HT2024", "VT2025"], "classes": [3, 0], "pupils_reached": [66, NA],
        "staff_trained": [4, 0], "status": ["genomförs", "planerad"], "source": ""}),
    "actions": pd.DataFrame({
        "action_id": ["A1", "A2"], "focus_area": ["valdsforebyggande", "kunskap"],
        "title": ["Införa MVP på högstadiet", "Grundutbildning"], "responsible": ["Ö", ""],
        "period": ["2023–2026", ""], "status": ["pågår", "ej påbörjad"],
        "area_ids": ["0114,2417", ""], "indicator_ids": ["otrygghet", NA], "source": ""}),
    "trainings": pd.DataFrame({
        "training": ["Gävlemodellen", "MVP-utbildning"], "training_given": ["GM", "=MVP"],
        "date": ["2024-03-05", ""], "term": ["VT2024", "HT2024"], "year": [2024, 2024],
        "organiser": ["BIG", NA], "profession": ["lärare", NA], "unit_kind": ["skola", "förskola"],
        "site_id": [NA, "0114-S01"], "area_id": ["2417", "0114"], "participants": [24, 3],
        "hours": [2.5, NA], "source": ""}),
    "staff": pd.DataFrame({"area_id": ["2417", "0114"], "unit_kind": ["skola", "förskola"],
                           "year": [2024, 2024], "staff": [61, 1480], "source": ""}),
    "groups": pd.DataFrame({
        "group_id": ["sodra-lappland", "norra"], "name": ["Södra Lappland", "Norra"],
        "kommun_ids": ["2417,2422,2462,2463", "2482,2418"], "source": ""}),
    "notes": pd.DataFrame({
        "area_id": ["2417", "24"], "period": ["2024", "2024"],
        "key": ["note:analys", "goal:valdsforebyggande"],
        "text": ["Ökning i <b>Norsjö</b>\n${x}", "=HYPERLINK(1) MVP i alla åk 8"],
        "updated_at": pd.to_datetime(["2026-03-01 10:00", "2026-03-02 11:30"]), "source": ""}),
    "events": pd.DataFrame({
        "event_id": ["480687", "480688"],
        "occurred_at": pd.to_datetime(["2024-01-01 00:40:16", "2024-07-01 09:05:00"]),
        "year": [2024, 2024], "type": ["Misshandel", "Sammanfattning natt"],
        "title": ["1 januari 00.40, Misshandel, Upplands väsby", "Åsele ${x}"],
        "location_name": ["Upplands väsby", "Västerbottens län"], "area_id": ["0114", "24"],
        "area_level": ["kommun", "lan"], "source": ""}),
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def store(ws: GpkgWorkspace, table: str, frame: pd.DataFrame, name: str = "d1", **kw) -> None:
    with ws.transaction() as writer:
        writer.replace_dataset(Dataset(name, table, "test", f"{name}.csv", **kw), frame)


def assert_same_table(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Equal values and dtypes; geometries compared by shape (missing equals missing)."""
    pd.testing.assert_frame_equal(pd.DataFrame(got.drop(columns="geometry", errors="ignore")),
                                  pd.DataFrame(expected.drop(columns="geometry", errors="ignore")))
    if "geometry" in expected:
        assert isinstance(got, gpd.GeoDataFrame) and got.crs == schema.CRS_STORE
        for a, b in zip(got.geometry, expected.geometry):
            assert (a is None and b is None) or a.equals(b), (a, b)


def expected_table(table: str, name: str = "d1") -> pd.DataFrame:
    return schema.conform(SAMPLES[table].assign(source=name), table)


@pytest.fixture
def workspace(store_workspace):  # noqa: ANN001, ANN201 - every test here runs on both stores
    return store_workspace


@pytest.fixture
def gpkg_workspace(tmp_path: Path) -> GpkgWorkspace:
    return GpkgWorkspace(tmp_path / "ws.gpkg")


@pytest.fixture(params=sorted(schema.TABLES))
def table(request) -> str:
    return request.param


def test_samples_cover_every_table():
    assert set(SAMPLES) == set(schema.TABLES)


def test_round_trip_every_table(workspace, table):
    store(workspace, table, SAMPLES[table])
    got = workspace.read(table)
    expected = expected_table(table)
    assert_same_table(got, expected)
    assert list(got.columns) == [*schema.TABLES[table], *(["geometry"] if table in schema.SPATIAL
                                                          else [])]
    assert {c: str(got[c].dtype) for c in schema.TABLES[table]} == {
        c: ("string" if d == schema.STR else d) for c, d in schema.TABLES[table].items()}


def test_round_trip_survives_a_second_import_into_the_same_table(workspace, table):
    # The first dataset's rows are read back from the file and rewritten: no dtype may drift.
    store(workspace, table, SAMPLES[table], name="d1")
    store(workspace, table, SAMPLES[table].iloc[:1], name="d2")
    got = workspace.read(table)
    expected = pd.concat([expected_table(table, "d1"), expected_table(table, "d2").iloc[:1]],
                         ignore_index=True)
    assert_same_table(got, schema.conform(expected, table))


def test_codes_and_letters_exactly(workspace):
    store(workspace, "areas", SAMPLES["areas"])
    areas = workspace.read("areas")
    assert areas["area_id"].tolist() == ["0114", "2417", "24"]
    assert areas["name"].tolist() == ["Upplands Väsby", "Åsele–Ö", "Västerbottens län"]
    assert areas["parent_id"].isna().tolist() == [False, False, True]


def test_read_missing_table_gives_empty_conformed_frame(workspace):
    for table in schema.TABLES:
        frame = workspace.read(table)
        assert len(frame) == 0 and list(frame.columns[:len(schema.TABLES[table])]) == list(
            schema.TABLES[table])
    assert not workspace.exists()  # reading creates nothing


def test_read_unknown_table(workspace):
    with pytest.raises(KeyError, match="valid"):
        workspace.read("brott")


def test_replacing_a_dataset_replaces_only_its_rows(workspace):
    counts = SAMPLES["incident_counts"]
    store(workspace, "incident_counts", counts, name="brå_2023.csv")
    store(workspace, "incident_counts", counts.iloc[:1], name="brå_2024.csv")
    new = counts.iloc[1:].assign(count=[99])
    store(workspace, "incident_counts", new, name="brå_2023.csv")
    got = workspace.read("incident_counts")
    assert sorted(zip(got["source"], got["area_id"], got["count"])) == [
        ("brå_2023.csv", "2417", 99), ("brå_2024.csv", "0114", 0)]
    meta = workspace.datasets()
    assert meta["dataset"].tolist() == ["brå_2024.csv", "brå_2023.csv"]
    assert meta["rows"].tolist() == [1, 1]


def test_replacing_with_no_rows_empties_the_dataset(workspace):
    store(workspace, "sites", SAMPLES["sites"], name="a")
    store(workspace, "sites", SAMPLES["sites"].iloc[:0], name="a")
    assert len(workspace.read("sites")) == 0
    assert workspace.datasets()["rows"].tolist() == [0]


def test_datasets_lists_provenance(workspace):
    assert workspace.datasets().columns.tolist() == DATASET_COLUMNS
    before = datetime.now().astimezone()
    with workspace.transaction() as writer:
        writer.replace_dataset(Dataset("scb.csv", "population", "population", "scb.csv",
                                       period="2019–2024", description="Folkmängd",
                                       sha256="ab" * 32, source_path="/data/scb.csv"),
                               SAMPLES["population"], rejected=2)
        writer.replace_dataset(Dataset("åtgärder", "actions", "actions", "åtgärder.csv"),
                               SAMPLES["actions"])
    meta = workspace.datasets()
    assert meta.columns.tolist() == DATASET_COLUMNS
    rows = meta.drop(columns="imported_at").to_dict("records")
    assert rows == [
        {"dataset": "scb.csv", "table": "population", "kind": "population", "file": "scb.csv",
         "rows": 3, "rejected": 2, "period": "2019–2024", "description": "Folkmängd",
             "sha256": "ab" * 32, "source_path": "/data/scb.csv"},
        {"dataset": "åtgärder", "table": "actions", "kind": "actions", "file": "åtgärder.csv",
         "rows": 2, "rejected": 0, "period": "", "description": "",
             "sha256": "", "source_path": ""},
    ]
    for stamp in meta["imported_at"]:
        when = datetime.fromisoformat(stamp)
        assert when.tzinfo is not None and abs((when - before).total_seconds()) < 60
    assert set(workspace.read("population")["source"]) == {"scb.csv"}


def test_same_dataset_name_in_another_table_is_refused(workspace):
    store(workspace, "incident_counts", SAMPLES["incident_counts"], name="data.csv")
    before = state_of(workspace)
    with pytest.raises(WorkspaceError, match="data.csv") as err:
        store(workspace, "population", SAMPLES["population"], name="data.csv")
    assert "incident_counts" in str(err.value)
    assert state_of(workspace) == before  # the first dataset keeps its rows and provenance
    assert workspace.datasets()["table"].tolist() == ["incident_counts"]
    assert len(workspace.read("incident_counts")) == 2


def test_key_changes_with_every_commit(workspace):
    keys = {workspace.key}
    for i in range(3):
        store(workspace, "actions", SAMPLES["actions"], name=f"d{i}")
        keys.add(workspace.key)
    assert len(keys) == 4


# --- atomicity ------------------------------------------------------------------------------

def test_failed_transaction_leaves_file_byte_identical(workspace):
    store(workspace, "areas", SAMPLES["areas"])
    before, key = state_of(workspace), workspace.key
    with pytest.raises(RuntimeError, match="mitt i"):
        with workspace.transaction() as writer:
            writer.replace_dataset(Dataset("d1", "areas", "t", "f"), SAMPLES["areas"].iloc[:1])
            writer.replace_dataset(Dataset("d2", "actions", "t", "f"), SAMPLES["actions"])
            raise RuntimeError("mitt i importen")
    assert state_of(workspace) == before and workspace.key == key
    if isinstance(workspace, GpkgWorkspace):
        assert left_in(workspace.path.parent) == [workspace.path.name]
    assert len(workspace.read("areas")) == 3 and len(workspace.read("actions")) == 0


def test_failed_write_leaves_file_unchanged(workspace):
    store(workspace, "actions", SAMPLES["actions"])
    before = state_of(workspace)
    with pytest.raises(KeyError):
        store(workspace, "actions", SAMPLES["actions"].drop(columns="title"), name="d2")
    assert state_of(workspace) == before
    if isinstance(workspace, GpkgWorkspace):
        assert left_in(workspace.path.parent) == [workspace.path.name]


def test_failed_first_transaction_creates_nothing(workspace):
    with pytest.raises(RuntimeError):
        with workspace.transaction() as writer:
            writer.replace_dataset(Dataset("d1", "actions", "t", "f"), SAMPLES["actions"])
            raise RuntimeError("avbruten")
    assert not workspace.exists()
    if isinstance(workspace, GpkgWorkspace):
        assert left_in(workspace.path.parent) == []


def test_transaction_that_writes_nothing_on_a_new_workspace(workspace):
    key = workspace.key
    with pytest.raises(WorkspaceError, match="skrev ingenting"):
        with workspace.transaction():
            pass
    assert workspace.key == key and not workspace.exists()
    if isinstance(workspace, GpkgWorkspace):
        assert left_in(workspace.path.parent) == []


def _die_inside_transaction(location: str, how: str, ready) -> None:  # runs in a child process
    ws = open_workspace(location)
    with ws.transaction() as writer:
        writer.replace_dataset(Dataset("d1", "areas", "t", "f"), SAMPLES["areas"].iloc[:1])
        writer.replace_dataset(Dataset("d2", "actions", "t", "f"), SAMPLES["actions"])
        if how == "exit":
            os._exit(1)
        ready.set()
        signal.pause() if hasattr(signal, "pause") else __import__("time").sleep(60)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
@pytest.mark.parametrize("how", ["exit", "sigkill"])
def test_process_killed_mid_import_leaves_workspace_unchanged(workspace, how):
    store(workspace, "areas", SAMPLES["areas"])
    before = state_of(workspace)
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    child = ctx.Process(target=_die_inside_transaction, args=(workspace.location, how, ready))
    child.start()
    if how == "sigkill":
        assert ready.wait(60), "child never reached the middle of its transaction"
        os.kill(child.pid, signal.SIGKILL)
    child.join(60)
    assert child.exitcode == (1 if how == "exit" else -signal.SIGKILL)
    assert state_of(workspace) == before
    assert_same_table(workspace.read("areas"), expected_table("areas"))
    assert len(workspace.read("actions")) == 0
    assert workspace.datasets()["dataset"].tolist() == ["d1"]
    # the dead child's working copy (its open transaction, for PostGIS) is cleared by the next
    # transaction, which still works
    store(workspace, "actions", SAMPLES["actions"], name="d3")
    if isinstance(workspace, GpkgWorkspace):
        assert left_in(workspace.path.parent) == [workspace.path.name]
    assert workspace.read("actions")["source"].tolist() == ["d3", "d3"]


def test_working_copy_of_a_live_process_is_kept(gpkg_workspace):
    workspace = gpkg_workspace
    store(workspace, "actions", SAMPLES["actions"])
    alive = workspace.path.parent / f".{workspace.path.name}.{os.getppid()}.abc.tmp.gpkg"
    alive.write_bytes(b"x")
    store(workspace, "actions", SAMPLES["actions"], name="d2")
    assert alive.exists()


# --- opening --------------------------------------------------------------------------------

def test_open_workspace_and_require(tmp_path):
    ws = open_workspace(tmp_path / "x.gpkg")
    assert isinstance(ws, GpkgWorkspace) and ws.path == tmp_path / "x.gpkg"
    with pytest.raises(WorkspaceError, match="finns inte"):
        require(ws)
    with pytest.raises(WorkspaceError, match="går inte att nå"):  # no server listens there
        open_workspace("postgresql://lagesbild@127.0.0.1:9/lagesbild?connect_timeout=2")
    store(ws, "actions", SAMPLES["actions"])
    assert require(ws) is ws


def test_not_a_geopackage_is_a_workspace_error(tmp_path):
    path = tmp_path / "fel.gpkg"
    path.write_text("Kommunkod;Antal\n2417;3\n", encoding="utf-8")
    with pytest.raises(WorkspaceError, match="GeoPackage") as err:
        GpkgWorkspace(path).read("areas")
    assert isinstance(err.value, LagesbildError)


@pytest.mark.parametrize("table", sorted(schema.ADDED_LATER))
def test_a_workspace_written_before_a_column_was_added_still_reads_and_grows(gpkg_workspace,
                                                                             table):
    import pyogrio

    workspace = gpkg_workspace
    store(workspace, table, SAMPLES[table], name="old")
    later = list(schema.ADDED_LATER[table])
    # rewrite the layer as an older version of the tool wrote it: without the later columns
    frame = pyogrio.read_dataframe(workspace.path, layer=table)
    pyogrio.write_dataframe(frame.drop(columns=later), workspace.path, layer=table)
    got = workspace.read(table)
    assert got[later].isna().all().all() and len(got) == len(SAMPLES[table])
    store(workspace, table, SAMPLES[table].iloc[:1], name="new")  # a new import still lands
    assert len(workspace.read(table)) == len(SAMPLES[table]) + 1


def test_the_layer_list_is_asked_once_per_schema_and_sees_a_table_made_in_place(
        gpkg_workspace: GpkgWorkspace, kommun_areas: gpd.GeoDataFrame,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Reads ask GDAL for the file's layers once per state of its schema. A table made in
    place (as the audit trail's first event makes its own), with the file's time and size set
    back to what they were, is still seen: SQLite's schema cookie in the header changed."""
    import sqlite3

    import pyogrio

    from lagesbild.store import gpkg

    with gpkg_workspace.transaction() as writer:
        writer.replace_dataset(Dataset("gränser", "areas", "areas", "k.gpkg"), kommun_areas)
    path = gpkg_workspace.path
    with sqlite3.connect(path) as con:  # a free page, so that the table below keeps the size
        con.execute("CREATE TABLE spare (a TEXT)")
    with sqlite3.connect(path) as con:
        con.execute("DROP TABLE spare")
    asked = []
    listing = pyogrio.list_layers

    def counted(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        asked.append(args)
        return listing(*args, **kwargs)

    pytest.MonkeyPatch.setattr(monkeypatch, pyogrio, "list_layers", counted)
    gpkg._LISTED.clear()
    first = gpkg._layers(path)
    for _ in range(3):
        gpkg_workspace.read("areas")
        gpkg_workspace.read("notes")
    assert len(asked) == 1 and "areas" in first and "notes" not in first
    st = path.stat()
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE extra (fid INTEGER PRIMARY KEY, a TEXT)")
        con.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier) "
                    "VALUES ('extra', 'attributes', 'extra')")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_ino) == (st.st_size, st.st_ino)
    assert "extra" in gpkg._layers(path) and len(asked) == 2
    (path.parent / "not.gpkg").write_bytes(b"no database here" * 10)
    with pytest.raises(WorkspaceError, match="ingen GeoPackage"):
        gpkg._layers(path.parent / "not.gpkg")
