"""Writing workspace tables through Arrow, the bulk-loaded spatial index, and rows replaced in
place: stored exactly as before, a valid SQLite R-tree, and an import that lands whole or not
at all."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import sqlite3

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from conftest import left_in
from test_workspace import SAMPLES

from lagesbild.core import schema
from lagesbild.core.dataset import Dataset
from lagesbild.sources import incidents
from lagesbild.store import gpkg, gpkg_bulk, importer
from lagesbild.store.gpkg import GpkgWorkspace


@pytest.fixture
def workspace(gpkg_workspace):  # noqa: ANN001, ANN201 - this module is about the GeoPackage file
    return gpkg_workspace


def old_write(path, layer: str, frame: pd.DataFrame) -> None:
    """How the workspace wrote a table before: pyogrio's write_dataframe, feature by feature."""
    out = frame.copy()
    for col in out.columns:
        if str(out[col].dtype) in (schema.BOOL, schema.INT, schema.FLOAT):
            out[col] = out[col].astype("float64")
        elif str(out[col].dtype) in ("string", "str"):
            out[col] = out[col].astype(object).where(out[col].notna(), None)
    if isinstance(out, gpd.GeoDataFrame):
        pyogrio.write_dataframe(out, path, layer=layer, driver="GPKG", promote_to_multi=False)
    else:
        pyogrio.write_dataframe(out, path, layer=layer, driver="GPKG")


def dump(path, table: str) -> dict[str, object]:
    """Everything stored about a table, but the time of the last change."""
    with contextlib.closing(sqlite3.connect(path)) as con:
        out = {
            "ddl": con.execute("SELECT type, name, sql FROM sqlite_master WHERE tbl_name = ? "
                               "ORDER BY name", (table,)).fetchall(),
            "rows": con.execute(f'SELECT * FROM "{table}"').fetchall(),
            "contents": [r[:4] + r[5:] for r in con.execute(
                "SELECT * FROM gpkg_contents WHERE table_name = ?", (table,))],
            "geometry": con.execute("SELECT * FROM gpkg_geometry_columns").fetchall(),
            "count": con.execute("SELECT * FROM gpkg_ogr_contents").fetchall(),
        }
        names = {n for (n,) in con.execute("SELECT name FROM sqlite_master")}
        if "gpkg_extensions" in names:
            out["extensions"] = con.execute("SELECT * FROM gpkg_extensions").fetchall()
        rtree = [n for n in names if n.startswith(f"rtree_{table}_") and n.count("_") == 2]
        for name in rtree:
            out["rtree"] = con.execute(f'SELECT * FROM "{name}" ORDER BY id').fetchall()
            out["rtreecheck"] = con.execute("SELECT rtreecheck(?)", (name,)).fetchone()[0]
    return out


@pytest.fixture(params=["gdal index", "bulk index"])
def bulk(request, monkeypatch):
    if request.param == "bulk index":
        monkeypatch.setattr(gpkg_bulk, "BULK_RTREE_ROWS", 0)
    return request.param


@pytest.mark.parametrize("table", sorted(SAMPLES))
def test_stored_exactly_as_write_dataframe_stored_it(tmp_path, bulk, table):
    frame = schema.conform(SAMPLES[table].assign(source="d1"), table)
    old_write(tmp_path / "old.gpkg", table, frame)
    gpkg_bulk.write_layer(tmp_path / "new.gpkg", table, frame)
    old, new = dump(tmp_path / "old.gpkg", table), dump(tmp_path / "new.gpkg", table)
    assert new == old
    if "rtree" in new:
        assert new["rtreecheck"] == "ok"


def points(n: int, seed: int = 1, missing: float = 0.05) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    geoms = shapely.points(rng.uniform(300_000, 900_000, n),
                           rng.uniform(6.1e6, 7.6e6, n)).astype(object)
    geoms[rng.random(n) < missing] = None
    frame = gpd.GeoDataFrame({"incident_id": [f"P-{i}" for i in range(n)], "source": "s"},
                             geometry=geoms, crs=schema.CRS_STORE)
    return schema.conform(frame.assign(
        occurred_at=np.datetime64("2024-01-01"), year=2024, category="Rån",
        source_category="Rån", relation=True, victim_sex="K", area_id="0114", sub_area_id=None,
        precision="point"), "incidents")


@pytest.mark.parametrize("n", [1, 51, 52, 2_700, 12_000])
def test_bulk_loaded_index_is_a_valid_rtree_with_the_same_entries(tmp_path, monkeypatch, n):
    frame = points(n)
    gpkg_bulk.write_layer(tmp_path / "gdal.gpkg", "incidents", frame)
    monkeypatch.setattr(gpkg_bulk, "BULK_RTREE_ROWS", 0)
    gpkg_bulk.write_layer(tmp_path / "bulk.gpkg", "incidents", frame)
    gdal, ours = dump(tmp_path / "gdal.gpkg", "incidents"), dump(tmp_path / "bulk.gpkg", "incidents")
    assert ours == gdal and ours["rtreecheck"] == "ok"
    rng = np.random.default_rng(2)
    query = ("SELECT id FROM rtree_incidents_geom WHERE maxx >= ? AND minx <= ? AND maxy >= ? "
             "AND miny <= ? ORDER BY id")
    with contextlib.closing(sqlite3.connect(tmp_path / "gdal.gpkg")) as a, \
            contextlib.closing(sqlite3.connect(tmp_path / "bulk.gpkg")) as b:
        for _ in range(50):
            x, y, w = rng.uniform(3e5, 9e5), rng.uniform(6.1e6, 7.6e6), rng.uniform(10, 3e5)
            box = (x, x + w, y, y + w)
            assert a.execute(query, box).fetchall() == b.execute(query, box).fetchall()
    box = (500_000, 6_500_000, 700_000, 7_000_000)
    got = pyogrio.read_dataframe(tmp_path / "bulk.gpkg", layer="incidents", bbox=box)
    want = pyogrio.read_dataframe(tmp_path / "gdal.gpkg", layer="incidents", bbox=box)
    assert sorted(got["incident_id"]) == sorted(want["incident_id"])


def test_bulk_index_of_polygons_and_a_layer_without_geometry(tmp_path, monkeypatch):
    monkeypatch.setattr(gpkg_bulk, "BULK_RTREE_ROWS", 0)
    areas = schema.conform(SAMPLES["areas"].assign(source="d"), "areas")
    gpkg_bulk.write_layer(tmp_path / "a.gpkg", "areas", areas)
    assert dump(tmp_path / "a.gpkg", "areas")["rtreecheck"] == "ok"
    empty = points(3, missing=1.0)
    gpkg_bulk.write_layer(tmp_path / "e.gpkg", "incidents", empty)
    old_write(tmp_path / "o.gpkg", "incidents", empty)
    assert dump(tmp_path / "e.gpkg", "incidents") == dump(tmp_path / "o.gpkg", "incidents")


@pytest.mark.parametrize("geoms", [
    [None, None], [shapely.Point(1, 2), None], [shapely.Point(1, 2, 3)],
    [shapely.from_wkt("POINT EMPTY"), shapely.Point(1, 2)],
    [shapely.box(0, 0, 1, 1), shapely.Point(0, 0)], [shapely.box(0, 0, 1, 1)],
])
def test_geometry_facts_as_the_general_way_finds_them(geoms):
    geoms = np.array(geoms, dtype=object)
    shapes = gpkg_bulk.Shapes.of(geoms)
    missing = shapely.is_missing(geoms)
    assert shapes.missing.tolist() == missing.tolist()
    assert shapes.solid.tolist() == (~missing & ~shapely.is_empty(geoms)).tolist()
    frame = gpd.GeoDataFrame({"a": np.arange(len(geoms))}, geometry=geoms, crs=3006)
    kinds = pd.Series(frame.geom_type.unique()).dropna().tolist()
    kind = kinds[0] if len(kinds) == 1 else "Unknown"
    if kind != "Unknown" and shapely.has_z(geoms[~missing & ~shapely.is_empty(geoms)]).any():
        kind += " Z"
    assert shapes.kind == kind


def test_sqlite_settings_are_put_back(tmp_path):
    pyogrio.set_gdal_config_options({"OGR_SQLITE_CACHE": "7"})
    try:
        gpkg_bulk.write_layer(tmp_path / "x.gpkg", "incidents", points(5))
        assert pyogrio.get_gdal_config_option("OGR_SQLITE_CACHE") in (7, "7")
        assert pyogrio.get_gdal_config_option("OGR_SQLITE_SYNCHRONOUS") is None
    finally:
        pyogrio.set_gdal_config_options({"OGR_SQLITE_CACHE": None})


# --- rows replaced without reading the table back --------------------------------------------

def replace_all(ws: GpkgWorkspace, steps) -> None:
    for name, frame in steps:
        with ws.transaction() as writer:
            writer.replace_dataset(Dataset(name, "incidents", "incidents", f"{name}.csv"), frame)


def test_replacing_rows_in_place_stores_what_the_rewrite_stored(tmp_path, monkeypatch, bulk):
    coded = points(4, seed=9, missing=1.0).assign(precision="area")
    steps = [("a", points(300, seed=1)), ("b", points(200, seed=2)), ("a", points(100, seed=3)),
             ("c", coded), ("b", points(50, seed=4)), ("a", points(0))]
    fast = GpkgWorkspace(tmp_path / "fast.gpkg")
    appended = []
    real_write = gpkg_bulk.write_layer
    monkeypatch.setattr(gpkg_bulk, "write_layer", lambda *a, append=False: appended.append(
        append) or real_write(*a, append=append))
    replace_all(fast, steps)
    assert appended.count(True) >= 3  # b and c appended, a's rows replaced by SQL and append
    calls = []
    monkeypatch.setattr(gpkg, "_replace_rows",
                        lambda *a: calls.append(1) or False)  # the old read-and-rewrite
    slow = GpkgWorkspace(tmp_path / "slow.gpkg")
    replace_all(slow, steps)
    assert calls
    pd.testing.assert_frame_equal(fast.read("incidents").drop(columns="geometry"),
                                  slow.read("incidents").drop(columns="geometry"))
    assert list(fast.read("incidents").geometry.to_wkb()) == \
        list(slow.read("incidents").geometry.to_wkb())
    meta = ["dataset", "table", "kind", "file", "rows", "rejected", "period"]
    assert fast.datasets()[meta].equals(slow.datasets()[meta])
    assert dump(fast.path, "incidents")["rtreecheck"] == "ok"


def test_strings_made_arrow_before_conform_are_what_conform_makes():
    for values in (["a", None, np.nan, pd.NA, "b"], [None, None], [1, "a"], [b"x", "a"], [],
                   ["å", None]):
        frame = pd.DataFrame({"area_id": pd.Series(values, dtype=object)})
        got = gpkg._strings_as_arrow(frame, "incidents")["area_id"].astype("string")
        pd.testing.assert_series_equal(got, frame["area_id"].astype("string"))


# --- an import lands whole or not at all -----------------------------------------------------

def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def national(make_csv, to_latlon):
    """A police extract of n rows in the two test kommuner, some outside both."""
    def build(n: int, start: int = 0) -> bytes:
        rng = np.random.default_rng(n + start)
        lines = ["Ärendenummer;Brottsdatum;Brottsbenämning;Målsägandes kön;Nära relation;"
                 "Latitud;Longitud"]
        for i in range(start, start + n):
            lat, lon = to_latlon(rng.uniform(700_500, 729_500), rng.uniform(7_190_500, 7_199_500))
            lines.append(f"P-{i};2024-05-{1 + i % 28:02d} 12:{i % 60:02d};Misshandel;"
                         f"{'Kvinna' if i % 2 else 'Man'};{'Ja' if i % 3 else ''};{lat};{lon}")
        return make_csv("\n".join(lines) + "\n", "cp1252")
    return build


@pytest.mark.parametrize(("failing", "name"), [
    ("_fill", "p.csv"),  # the file again: its rows are replaced, the layer written anew
    ("write_arrow", "p.csv"), ("write_arrow", "q.csv"),  # another file: rows appended
    ("datasets", "p.csv"), ("datasets", "q.csv"),
])
def test_a_failed_import_leaves_the_workspace_byte_identical(area_workspace, national,
                                                              monkeypatch, failing, name):
    monkeypatch.setattr(gpkg_bulk, "BULK_RTREE_ROWS", 0)
    importer.import_file(area_workspace, "incidents", national(400), name="p.csv")
    before = sha256(area_workspace.path)

    def boom(*args, **kw):
        raise RuntimeError("mitt i skrivningen")
    if failing == "_fill":
        monkeypatch.setattr(gpkg_bulk, "_fill", boom)
    elif failing == "write_arrow":
        real = pyogrio.write_arrow

        def half(*args, **kw):  # the rows are written, then the write fails
            real(*args, **kw)
            raise RuntimeError("mitt i skrivningen")
        monkeypatch.setattr(pyogrio, "write_arrow", half)
    else:
        real_layer = gpkg._write_layer
        monkeypatch.setattr(gpkg, "_write_layer", lambda path, layer, frame: boom()
                            if layer == gpkg.DATASETS else real_layer(path, layer, frame))
    with pytest.raises(RuntimeError, match="mitt i"):
        importer.import_file(area_workspace, "incidents", national(300, start=1000),
                             name=name)
    assert sha256(area_workspace.path) == before
    assert left_in(area_workspace.path.parent) == [area_workspace.path.name]
    assert area_workspace.read("incidents")["source"].unique().tolist() == ["p.csv"]


def test_an_import_stores_what_the_row_wise_import_stored(area_workspace, national, tmp_path,
                                                            monkeypatch):
    monkeypatch.setattr(gpkg_bulk, "BULK_RTREE_ROWS", 0)
    data = national(2_000)
    fast = importer.import_file(area_workspace, "incidents", data, name="p.csv")
    assert len(fast.rejected) and len(fast.accepted) > 1_000
    slow_ws = GpkgWorkspace(tmp_path / "slow.gpkg")
    importer.store_boundaries(slow_ws, area_workspace.read("areas"), name="gränser")
    monkeypatch.setitem(importer.READERS, "incidents",
                        functools.partial(incidents.read_police_extract, fast=False))
    monkeypatch.setattr(gpkg_bulk, "BULK_RTREE_ROWS", 10**9)
    slow = importer.import_file(slow_ws, "incidents", data, name="p.csv")
    assert fast.rejected == slow.rejected and fast.notes == slow.notes
    got, want = area_workspace.read("incidents"), slow_ws.read("incidents")
    pd.testing.assert_frame_equal(got.drop(columns="geometry"), want.drop(columns="geometry"))
    assert list(got.geometry.to_wkb()) == list(want.geometry.to_wkb())
    assert dump(area_workspace.path, "incidents") == dump(slow_ws.path, "incidents")
