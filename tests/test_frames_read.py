"""load_frames reads the incidents compact (`core.frames.compact_incidents`): through Arrow from a
GeoPackage, through SQL from PostGIS, the same frame as compacting `workspace.read`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from lagesbild.core import schema
from lagesbild.core.frames import INCIDENT_CATEGORIES, INCIDENT_COLUMNS, Frames, compact_incidents
from lagesbild.store.frames import load_frames
from lagesbild.store.gpkg_incidents import read_incidents
from lagesbild.core.dataset import Dataset
from lagesbild.store.gpkg import GpkgWorkspace


def _store(ws: GpkgWorkspace, frame: pd.DataFrame, name: str) -> None:
    with ws.transaction() as writer:
        writer.replace_dataset(Dataset(name, "incidents", "test", f"{name}.csv"), frame)


def _assert_same(got: pd.DataFrame, stored: gpd.GeoDataFrame) -> None:
    """`got` is the compact form of `stored`: the same values, points as their coordinates."""
    assert not isinstance(got, gpd.GeoDataFrame) and tuple(got.columns) == INCIDENT_COLUMNS
    assert all(isinstance(got[c].dtype, pd.CategoricalDtype) for c in INCIDENT_CATEGORIES)
    for col in INCIDENT_COLUMNS[:-2]:
        pd.testing.assert_series_equal(got[col].astype(stored[col].dtype), stored[col],
                                       check_exact=True, check_names=False)
    has = stored.geometry.notna().to_numpy()
    assert list(got["x"].notna()) == list(has)
    assert list(got.loc[has, "x"]) == list(stored.geometry[has].x)
    assert list(got.loc[has, "y"]) == list(stored.geometry[has].y)
    pd.testing.assert_frame_equal(got, compact_incidents(stored), check_exact=True)


def test_arrow_read_gives_what_workspace_read_gives(tmp_path: Path) -> None:
    ws = GpkgWorkspace(tmp_path / "ws.gpkg")
    # the values that tend to get lost: missing values of every dtype, å/ä/ö, no geometry
    _store(ws, gpd.GeoDataFrame({
        "incident_id": ["5000-K000001-24", "å-2", "3", "4"],
        "occurred_at": [datetime(2024, 3, 15, 21, 40, 5), datetime(2024, 2, 29), None,
                        datetime(2023, 12, 31, 23, 59)],
        "year": [2024, 2024, None, 2023], "category": ["Misshandel", "Våldtäkt", "Olaga hot", ""],
        "source_category": ["Misshandel", None, "Olaga hot", "x"],
        "relation": [True, None, False, True], "victim_sex": ["K", None, "M", "K"],
        "area_id": ["0114", "2417", None, "0114"], "sub_area_id": ["0114A0010", None, None, ""],
        "precision": ["point", "point", "area", "point"]},
        geometry=[Point(700_000.25, 7_190_000.5), Point(1, 2), None, Point(3, 4)],
        crs=schema.CRS_STORE), "d1")
    _store(ws, gpd.GeoDataFrame({  # a second dataset, without sub-area codes
        "incident_id": ["9"], "occurred_at": [datetime(2022, 1, 1)], "year": [2022],
        "category": ["Rån"], "source_category": ["Rån"], "relation": [None],
        "victim_sex": [None], "area_id": ["2417"], "precision": ["area"]},
        geometry=[None], crs=schema.CRS_STORE), "d2")
    expected = ws.read("incidents")
    assert len(expected) == 5 and expected["relation"].isna().sum() == 2
    _assert_same(read_incidents(ws.path), expected)
    _assert_same(load_frames(ws).incidents, expected)


def test_missing_or_empty_incidents_are_read_the_usual_way(tmp_path: Path) -> None:
    ws = GpkgWorkspace(tmp_path / "none.gpkg")
    assert read_incidents(ws.path) is None
    with ws.transaction() as writer:
        writer.replace_dataset(Dataset("a", "actions", "test", "a.csv"), schema.empty("actions"))
    assert read_incidents(ws.path) is None
    frames = load_frames(ws)
    pd.testing.assert_frame_equal(frames.incidents, compact_incidents(ws.read("incidents")))
    assert tuple(frames.incidents.columns) == INCIDENT_COLUMNS and not len(frames.incidents)


def test_area_name_and_parent_are_those_of_the_first_row() -> None:
    from shapely.geometry import box

    empty = {name: schema.empty(name) for name in schema.TABLES if name != "areas"}
    areas = schema.conform(gpd.GeoDataFrame({
        "area_id": ["24", "2417", "2417", "2417A0010", None],
        "level": ["lan", "kommun", "kommun", "deso", "deso"], "code": None,
        "name": ["Västerbottens län", "Norsjö", "Norsjö (old)", None, "x"],
        "parent_id": [None, "24", "25", "2417", "2417"], "source": "", "kommungrupp": None},
        geometry=[box(0, 0, 1, 1)] * 5, crs=schema.CRS_STORE), "areas")
    frames = Frames(
        areas=areas, datasets=pd.DataFrame(), **empty)
    for area_id in ["24", "2417", "2417A0010", "9999", 2417, None]:
        match = areas.loc[areas["area_id"] == area_id]
        name = str(match["name"].iloc[0]) if len(match) else area_id
        parent = None if not len(match) or pd.isna(match["parent_id"].iloc[0]) \
            else str(match["parent_id"].iloc[0])
        assert frames.area_name(area_id) == name and frames.parent_of(area_id) == parent
    assert frames.area_name("2417") == "Norsjö" and frames.parent_of("2417") == "24"
    assert frames.parent_of("24") is None and frames.area_name("2417A0010") == "<NA>"


def test_kommuner_and_lan_are_the_levels_rows_and_a_caller_s_write_stays_its_own() -> None:
    """`kommuner` and `lan` are filtered once and handed out as new objects: a caller that
    writes into one (a column set, a cell changed) changes neither the next caller's nor
    `areas`."""
    from shapely.geometry import box

    empty = {name: schema.empty(name) for name in schema.TABLES if name != "areas"}
    areas = schema.conform(gpd.GeoDataFrame({
        "area_id": ["24", "2417", "2418", "2417A0010"], "level": ["lan", "kommun", "kommun", "deso"],
        "code": None, "name": ["Västerbottens län", "Norsjö", "Malå", "x"],
        "parent_id": [None, "24", "24", "2417"], "source": "", "kommungrupp": None},
        geometry=[box(0, 0, 1, 1)] * 4, crs=schema.CRS_STORE), "areas")
    frames = Frames(areas=areas, datasets=pd.DataFrame(), **empty)
    before = areas.copy()
    for level, rows in (("kommun", frames.kommuner), ("lan", frames.lan)):
        pd.testing.assert_frame_equal(rows, areas[areas["level"] == level])
        assert isinstance(rows, gpd.GeoDataFrame)
    mine = frames.kommuner
    mine["name"] = "ändrad"
    mine.loc[mine.index[0], "area_id"] = "9999"
    lan = frames.lan
    lan.iloc[0, lan.columns.get_loc("name")] = "ändrat"
    assert list(frames.kommuner["name"]) == ["Norsjö", "Malå"]
    assert list(frames.kommuner["area_id"]) == ["2417", "2418"]
    assert list(frames.lan["name"]) == ["Västerbottens län"]
    pd.testing.assert_frame_equal(frames.areas, before)


@pytest.mark.parametrize("batch", ["1", "2", "1000000"])
def test_read_incidents_on_both_stores(store_workspace, batch: str,  # noqa: ANN001
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """`Workspace.read_incidents` of each store: the compact frame of what `read` gives, the
    points' coordinates exact to the last bit (a point on a DeSO border stays on its side),
    rows without a point NaN, text as categories; the frames the app loads hold that. PostGIS
    reads in batches (`store.postgis_rows`): a row a batch, batches whose column is all
    missing, and one batch give the same frame."""
    monkeypatch.setenv("LAGESBILD_INCIDENT_BATCH", batch)
    ws = store_workspace
    _store(ws, gpd.GeoDataFrame({
        "incident_id": ["1", "2", "3"],
        "occurred_at": [datetime(2024, 3, 15, 21, 40, 5), None, datetime(2023, 1, 1)],
        "year": [2024, None, 2023], "category": ["Misshandel", "Våldtäkt", None],
        "source_category": ["Misshandel", None, "x"], "relation": [True, None, False],
        "victim_sex": ["K", None, "M"], "area_id": ["0114", "2417", None],
        "sub_area_id": ["0114A0010", None, "2417B"], "precision": ["point", "area", "point"],
        "age_group": ["18–24", None, None]},
        geometry=[Point(674_032.123456789, 6_580_824.987654321), None, Point(1e-9, 7e6)],
        crs=schema.CRS_STORE), "d1")
    stored = ws.read("incidents")
    got = ws.read_incidents()
    _assert_same(got, stored)
    assert got["x"].iloc[0] == 674_032.123456789 and got["y"].iloc[0] == 6_580_824.987654321
    assert got["category"].cat.categories.tolist() == ["Misshandel", "Våldtäkt"]
    pd.testing.assert_frame_equal(load_frames(ws).incidents, got)


def test_years_and_flags_stored_as_real_numbers(tmp_path: Path) -> None:
    """A GeoPackage written in bulk (`store.gpkg_bulk`) stores year and relation as REAL: the
    compact read gives the years as integers ("2024", never "2024.0", which no period matches)
    and the flags as booleans, the frame the analysis gets from any other workspace."""
    import pyogrio

    path = tmp_path / "bulk.gpkg"
    pyogrio.write_dataframe(gpd.GeoDataFrame({
        "incident_id": ["1", "2"], "occurred_at": [datetime(2024, 5, 1, 12), datetime(2023, 1, 2)],
        "year": [2024.0, 2023.0], "category": ["Misshandel", "Rån"],
        "source_category": ["Misshandel", "Rån"], "relation": [1.0, None],
        "victim_sex": ["K", "M"], "area_id": ["0114", "0114"], "sub_area_id": [None, None],
        "precision": ["point", "area"], "source": ["a.csv", "a.csv"], "age_group": [None, None]},
        geometry=[Point(674_032.5, 6_580_824.25), None], crs=schema.CRS_STORE),
        path, layer="incidents")
    assert pyogrio.read_info(path, layer="incidents")["ogr_types"][2] == "OFTReal"
    got = read_incidents(path)
    assert got["year"].dtype == "Int64" and list(got["year"]) == [2024, 2023]
    assert got["relation"].tolist()[0] is True and pd.isna(got["relation"].iloc[1])
    assert [str(y) for y in got["year"]] == ["2024", "2023"]
    assert got["x"].iloc[0] == 674_032.5 and np.isnan(got["x"].iloc[1])
    pd.testing.assert_frame_equal(got, compact_incidents(got))  # already compact


def test_read_in_batches_gives_the_same_frame(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """Read two rows at a time, each batch's words seen in another order (and a batch with no
    age group at all), the frame is the one read whole: the same categories, sorted, the same
    code for the same word in every batch."""
    from lagesbild.store import gpkg_incidents

    ws = GpkgWorkspace(tmp_path / "ws.gpkg")
    n = 7
    _store(ws, gpd.GeoDataFrame({
        "incident_id": [str(i) for i in range(n)], "occurred_at": [datetime(2024, 1, 1 + i)
                                                                 for i in range(n)],
        "year": [2024] * n, "category": ["Rån", "Misshandel", "Misshandel", "Rån", "Olaga hot",
                                         None, "Misshandel"],
        "source_category": ["x"] * n, "relation": [True, None, False, True, None, None, False],
        "victim_sex": ["M", "K", None, "K", "M", "K", None],
        "area_id": ["2417", "0114", "0114", "2417", "0180", "0180", "2417"],
        "sub_area_id": [None] * n, "precision": ["point", "area"] * 3 + ["point"],
        "age_group": [None, None, "18–24", "0–17", None, None, "18–24"]},
        geometry=[Point(600_000 + i, 6_600_000 + i / 3) if i % 2 == 0 else None
                  for i in range(n)], crs=schema.CRS_STORE), "d1")
    whole = read_incidents(ws.path)
    monkeypatch.setattr(gpkg_incidents, "BATCH", 2)
    batched = read_incidents(ws.path)
    pd.testing.assert_frame_equal(batched, whole, check_exact=True)
    _assert_same(batched, ws.read("incidents"))
    assert batched["area_id"].cat.categories.tolist() == ["0114", "0180", "2417"]


def test_postgis_batches_come_from_one_snapshot_while_an_import_commits(pg_url: str) -> None:
    """An import committed between two batches of a PostGIS read: every batch is still the
    table as it was when the read began (one REPEATABLE READ transaction), never half old,
    half new; the next read sees the import whole."""
    from lagesbild.store import postgis_rows
    from lagesbild.store.postgis import PostgisWorkspace
    from lagesbild.store.postgis_copy import copy_batches

    ws = PostgisWorkspace(pg_url)

    def incidents(n: int, category: str) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame({
            "incident_id": [str(i) for i in range(n)], "occurred_at": datetime(2024, 5, 1),
            "year": 2024, "category": category, "source_category": category, "relation": None,
            "victim_sex": "K", "area_id": "2417", "sub_area_id": None, "precision": "point",
            "age_group": None},
            geometry=[Point(700_000 + i, 7_190_000) for i in range(n)], crs=schema.CRS_STORE)

    _store(ws, incidents(5, "Misshandel"), "d1")
    names = ["category"]
    batches = copy_batches(ws.connect, "incidents", "category", names,
                           {"category": postgis_rows.pa.string()}, rows=2)
    first = next(batches)
    _store(ws, incidents(3, "Rån"), "d1")  # the same dataset replaced, committed
    rest = list(batches)
    seen = [v for b in (first, *rest) for v in b.column("category").to_pylist()]
    assert [len(b) for b in (first, *rest)] == [2, 2, 1]
    assert seen == ["Misshandel"] * 5
    assert ws.read_incidents()["category"].astype(str).tolist() == ["Rån"] * 3
