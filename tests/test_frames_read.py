"""load_frames reads a GeoPackage's incidents through Arrow: the same frame as workspace.read."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from lagesbild.core import schema
from lagesbild.core.frames import Frames
from lagesbild.store.frames import _read_arrow, load_frames
from lagesbild.core.dataset import Dataset
from lagesbild.store.gpkg import GpkgWorkspace


def _store(ws: GpkgWorkspace, frame: pd.DataFrame, name: str) -> None:
    with ws.transaction() as writer:
        writer.replace_dataset(Dataset(name, "incidents", "test", f"{name}.csv"), frame)


def _assert_same(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert isinstance(got, gpd.GeoDataFrame) and got.crs == expected.crs
    pd.testing.assert_frame_equal(pd.DataFrame(got.drop(columns="geometry")),
                                  pd.DataFrame(expected.drop(columns="geometry")),
                                  check_exact=True)
    assert list(got.geometry.isna()) == list(expected.geometry.isna())
    assert got.geometry.dropna().geom_equals_exact(expected.geometry.dropna(), 0).all()


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
    _assert_same(_read_arrow(ws, "incidents"), expected)
    _assert_same(load_frames(ws).incidents, expected)


def test_missing_or_empty_incidents_are_read_the_usual_way(tmp_path: Path) -> None:
    ws = GpkgWorkspace(tmp_path / "none.gpkg")
    assert _read_arrow(ws, "incidents") is None
    with ws.transaction() as writer:
        writer.replace_dataset(Dataset("a", "actions", "test", "a.csv"), schema.empty("actions"))
    assert _read_arrow(ws, "incidents") is None
    frames = load_frames(ws)
    pd.testing.assert_frame_equal(pd.DataFrame(frames.incidents),
                                  pd.DataFrame(ws.read("incidents")))


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
