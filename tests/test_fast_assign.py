"""lagesbild.core.fast_assign against the reference assign_points; the synthetic generator."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Point, Polygon, box

from lagesbild.core import schema
from lagesbild.core.assign import assign_points
from lagesbild.core.fast_assign import AreaIndex, assign_points_fast, assign_xy

# `benchmarks` sits at the repository root, outside the installed package: plain `pytest`
# (unlike `python -m pytest` from the root) does not put the root on sys.path
_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
from benchmarks.synthetic import national_areas, points_where_people_live  # noqa: E402

# index settings that exercise every path: splitting at once, deep and shallow, never splitting
SETTINGS = [
    {},
    {"refine_at": 1},
    {"refine_at": 1, "fanout": 2, "base_cells": 4},
    {"refine_at": 1, "fanout": 8, "base_cells": 1000},
    {"refine_at": 0},
]


def _reference(x, y, geoms) -> np.ndarray:
    """Positions from the reference: assign_points with the position as id."""
    areas = gpd.GeoDataFrame({"area_id": [str(i) for i in range(len(geoms))]},
                             geometry=list(geoms), crs=schema.CRS_STORE)
    points = gpd.GeoSeries(shapely.points(x, y), crs=schema.CRS_STORE)
    ids = assign_points(points, areas)
    return np.array([-1 if pd.isna(v) else int(v) for v in ids], dtype=np.int64)


def _check_all_settings(x, y, geoms, *, chunk=None):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    expected = _reference(x, y, geoms)
    for kw in SETTINGS:
        index = AreaIndex(geoms, **kw)
        got = index.assign(x, y) if chunk is None else index.assign(x, y, chunk=chunk)
        np.testing.assert_array_equal(got, expected, err_msg=str(kw))
        # the index keeps its splits; a second pass must agree
        np.testing.assert_array_equal(index.assign(x, y), expected, err_msg=str(kw))
    return expected


def _series(xy, index=None) -> gpd.GeoSeries:
    geoms = [Point() if p == "empty" else (None if p is None else Point(p)) for p in xy]
    return gpd.GeoSeries(geoms, index=index, crs=schema.CRS_STORE)


# --- hand-made squares ---------------------------------------------------------------------

CASES = [(0.5, 0.5), (1.5, 0.5), (1.0, 0.5), (1.0, 1.0), (0.0, 0.0), (2.0, 0.5), (1.0, 0.0),
         (2.0, 1.0), (1.5, 1.0000001), (1.5, 1.0), (3.0, 3.0), (-0.0, 0.25), "empty", None]


def test_same_as_reference_on_borders_corners_outside_and_empty(unit_squares):
    index = [100 + 7 * i for i in range(len(CASES))][::-1]
    points = _series(CASES, index=index)
    expected = assign_points(points, unit_squares)
    got = assign_points_fast(points, unit_squares)
    pd.testing.assert_series_equal(got, expected)
    assert got.tolist()[:8] == ["A", "B", "A", "A", "A", "B", "A", "B"]
    assert got.index.tolist() == index and got.name == "area_id" and str(got.dtype) == "string"


def test_border_goes_to_first_area_in_given_order(unit_squares):
    points = _series([(1.0, 0.5), (1.0, 0.0), (1.0, 1.0)])
    assert assign_points_fast(points, unit_squares).tolist() == ["A", "A", "A"]
    assert assign_points_fast(points, unit_squares.iloc[::-1]).tolist() == ["B", "B", "B"]


def test_custom_id_column_non_default_index_and_na_ids(unit_squares):
    areas = unit_squares.rename(columns={"area_id": "kod"}).set_axis([5, 3])
    points = _series([(1.5, 0.5), (0.2, 0.2), (9.0, 9.0)])
    got = assign_points_fast(points, areas, id_col="kod")
    pd.testing.assert_series_equal(got, assign_points(points, areas, id_col="kod"))
    areas.loc[3, "kod"] = None
    pd.testing.assert_series_equal(assign_points_fast(points, areas, id_col="kod"),
                                   assign_points(points, areas, id_col="kod"))


def test_no_areas_no_points_missing_areas(unit_squares):
    points = _series([(0.5, 0.5)])
    assert assign_points_fast(points, unit_squares.iloc[:0]).isna().tolist() == [True]
    empty = assign_points_fast(gpd.GeoSeries([], crs=schema.CRS_STORE), unit_squares)
    assert len(empty) == 0 and str(empty.dtype) == "string"
    assert assign_xy(np.array([]), np.array([]), unit_squares.geometry.values).shape == (0,)
    geoms = np.array([None, shapely.Polygon(), box(0, 0, 1, 1)], dtype=object)
    assert assign_xy(np.array([0.5, 2.0]), np.array([0.5, 0.5]), geoms).tolist() == [2, -1]
    only_missing = np.array([None, shapely.Polygon()], dtype=object)
    assert assign_xy(np.array([0.5]), np.array([0.5]), only_missing).tolist() == [-1]


def test_nan_and_infinite_coordinates_get_minus_one():
    geoms = np.array([box(0, 0, 1, 1), box(1, 0, 2, 1)], dtype=object)
    x = np.array([np.nan, 0.5, np.inf, -np.inf, 0.5, 1.0])
    y = np.array([0.5, np.nan, 0.5, 0.5, np.inf, 0.5])
    assert AreaIndex(geoms).assign(x, y).tolist() == [-1, -1, -1, -1, -1, 0]


def test_points_in_another_crs_are_reprojected(kommun_areas):
    centres = gpd.GeoSeries([Point(705_000, 7_195_000), Point(715_000, 7_195_000),
                             Point(710_000, 7_195_000)],
                            crs=schema.CRS_STORE).to_crs(schema.CRS_WEB)
    got = assign_points_fast(centres, kommun_areas)
    pd.testing.assert_series_equal(got, assign_points(centres, kommun_areas))
    assert got.tolist()[:2] == ["2417", "2422"]


def test_inputs_not_modified(unit_squares):
    points = _series(CASES)
    before_points, before_areas = points.copy(), unit_squares.copy()
    assign_points_fast(points, unit_squares)
    pd.testing.assert_series_equal(points, before_points)
    pd.testing.assert_frame_equal(unit_squares, before_areas)
    assert not shapely.is_prepared(unit_squares.geometry.values).any()


def test_non_point_geometries_follow_the_reference(unit_squares):
    points = gpd.GeoSeries([box(0.1, 0.1, 0.2, 0.2), shapely.LineString([(0.5, 0.5), (1.5, 0.5)]),
                            Point(1.5, 0.5)], crs=schema.CRS_STORE)
    pd.testing.assert_series_equal(assign_points_fast(points, unit_squares),
                                   assign_points(points, unit_squares))


def test_points_on_grid_cell_edges_at_every_level():
    # a 4 x 3 grid of unit squares in a shuffled order, at Swedish coordinates
    rng = np.random.default_rng(1)
    x0, y0 = 612_345.5, 6_712_345.25
    geoms = np.array([box(x0 + i, y0 + j, x0 + i + 1, y0 + j + 1)
                      for i in range(4) for j in range(3)], dtype=object)
    rng.shuffle(geoms)
    for kw in SETTINGS[1:4]:
        index = AreaIndex(geoms, **kw)
        index.assign(x0 + rng.random(5000) * 4, y0 + rng.random(5000) * 3)  # split busy cells
        xs, ys = [], []
        for level in range(index.depth + 1):
            s = index._s0 / index.fanout ** level
            k = rng.integers(0, int(5 / s) + 2, 60)
            xs += [index._x0 + k * s, x0 + rng.random(60) * 4, index._x0 + k * s]
            ys += [y0 + rng.random(60) * 3, index._y0 + k * s, index._y0 + k[::-1] * s]
        corners = shapely.get_coordinates(geoms)
        xs.append(corners[:, 0])
        ys.append(corners[:, 1])
        x, y = np.concatenate(xs), np.concatenate(ys)
        np.testing.assert_array_equal(index.assign(x, y), _reference(x, y, geoms), str(kw))


def test_sloped_borders_points_exactly_on_and_next_to_them():
    # a square cut along its diagonals into four triangles; points on the diagonals and one
    # float step off them on either side
    c = (5.0, 5.0)
    geoms = np.array([Polygon([(0, 0), (10, 0), c]), Polygon([(10, 0), (10, 10), c]),
                      Polygon([(10, 10), (0, 10), c]), Polygon([(0, 10), (0, 0), c])],
                     dtype=object)
    t = np.linspace(0, 10, 41)
    x = np.concatenate([t, t, np.nextafter(t, 20), np.nextafter(t, -20), [5.0, 5.0, 2.5, 7.5]])
    y = np.concatenate([t, 10 - t, t, t, [5.0, np.nextafter(5.0, 0), 7.5, 2.5]])
    _check_all_settings(x, y, geoms)
    _check_all_settings(x, y, geoms[::-1].copy())


def test_holes_multipolygons_and_overlaps():
    ring = box(0, 0, 10, 10).difference(box(3, 3, 6, 6))  # a square with a hole
    plug = box(3, 3, 6, 6)  # fills the hole exactly
    islands = MultiPolygon([box(11, 0, 12, 1), box(13, 0, 14, 1)])
    inner = box(4, 4, 5, 5)  # inside the plug: an overlap, the first area wins
    big = box(-1, -1, 15, 2)  # overlaps the ring bottom and the islands
    geoms = np.array([ring, plug, islands, inner, big], dtype=object)
    rng = np.random.default_rng(2)
    edge = shapely.get_coordinates(geoms)
    x = np.concatenate([rng.random(3000) * 17 - 2, edge[:, 0], [4.5, 12.5, 11.5, 3.0, 12.0]])
    y = np.concatenate([rng.random(3000) * 13 - 2, edge[:, 1], [4.5, 0.5, 0.5, 4.5, 1.0]])
    got = _check_all_settings(x, y, geoms)
    assert got[-5:].tolist() == [1, 4, 2, 0, 2]
    _check_all_settings(x, y, geoms[::-1].copy())


def test_gaps_between_areas_and_chunks():
    geoms = np.array([box(0, 0, 1, 1), box(2, 0, 3, 1), box(0, 2, 3, 3)], dtype=object)
    rng = np.random.default_rng(3)
    x, y = rng.random(2000) * 4 - 0.5, rng.random(2000) * 4 - 0.5
    got = _check_all_settings(x, y, geoms, chunk=7)
    assert (got == -1).any() and (got >= 0).any()


def test_index_is_reusable_and_grows_where_points_are():
    rng = np.random.default_rng(4)
    seeds = rng.random((30, 2)) * 1000
    geoms = _voronoi(seeds, 1000)
    index = AreaIndex(geoms, refine_at=4)
    cells_before = sum(index.stats["cells"])
    x, y = rng.random(20_000) * 1000, rng.random(20_000) * 1000
    first = index.assign(x, y)
    assert sum(index.stats["cells"]) > cells_before
    np.testing.assert_array_equal(first, _reference(x, y, geoms))
    np.testing.assert_array_equal(index.assign(x, y), first)
    np.testing.assert_array_equal(assign_xy(x, y, geoms, chunk=1000), first)


# --- property: random Voronoi coverages ----------------------------------------------------

def _voronoi(seeds, size) -> np.ndarray:
    frame = box(0, 0, size, size)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seeds),
                                                       extend_to=frame))
    return np.asarray(shapely.intersection(cells, frame), dtype=object)


coord = st.one_of(st.floats(-1, 11, allow_nan=False), st.integers(-2, 22).map(lambda q: q / 2),
                  st.floats(-1e-300, 1e-300))


@st.composite
def coverages_and_points(draw):
    # seeds on a 0.01 grid: GEOS's Voronoi and clipping stay well-conditioned
    seed = st.integers(0, 1000).map(lambda v: v / 100)
    seeds = np.array(draw(st.lists(st.tuples(seed, seed), min_size=2, max_size=12, unique=True)))
    # nearly collinear seeds can make GEOS's Voronoi fail or overflow: such draws are skipped
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            geoms = _voronoi(seeds, 10)
    except (shapely.errors.GEOSException, RuntimeWarning):
        assume(False)
    assume(bool(shapely.is_valid(geoms).all()) and not shapely.is_empty(geoms).any())
    order = draw(st.permutations(range(len(geoms))))
    geoms = geoms[list(order)]
    xy = draw(st.lists(st.tuples(coord, coord), max_size=60))
    # also the vertices of the cells and points along their edges
    corners = shapely.get_coordinates(geoms)
    t = draw(st.floats(0, 1))
    along = corners[:-1] + t * (corners[1:] - corners[:-1])
    pts = np.concatenate([np.array(xy, dtype=float).reshape(-1, 2), corners, along])
    kw = draw(st.sampled_from(SETTINGS))
    return geoms, pts[:, 0], pts[:, 1], kw


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(coverages_and_points())
def test_same_as_reference_on_random_voronoi_coverages(case):
    geoms, x, y, kw = case
    expected = _reference(x, y, geoms)
    index = AreaIndex(geoms, **kw)
    np.testing.assert_array_equal(index.assign(x, y, chunk=17), expected)
    np.testing.assert_array_equal(index.assign(x, y), expected)
    areas = gpd.GeoDataFrame({"area_id": [f"a{i}" for i in range(len(geoms))]},
                             geometry=list(geoms), crs=schema.CRS_STORE)
    points = gpd.GeoSeries(shapely.points(x, y), crs=schema.CRS_STORE)
    pd.testing.assert_series_equal(assign_points_fast(points, areas), assign_points(points, areas))


# --- the synthetic national setting ---------------------------------------------------------

KOMMUNER = ["0114", "0180", "1280", "2480"]


@pytest.fixture(scope="module")
def synthetic():
    return national_areas(seed=11, n_small=60, kommuner=KOMMUNER)


def test_generator_is_seeded(synthetic):
    kom, small = synthetic
    kom2, small2 = national_areas(seed=11, n_small=60, kommuner=KOMMUNER)
    pd.testing.assert_frame_equal(small.drop(columns="geometry"), small2.drop(columns="geometry"))
    assert shapely.equals_exact(small.geometry.values, small2.geometry.values, 0).all()
    assert shapely.equals_exact(kom.geometry.values, kom2.geometry.values, 0).all()
    other = national_areas(seed=12, n_small=60, kommuner=KOMMUNER)[1]
    assert not (len(other) == len(small) and shapely.equals_exact(
        other.geometry.values, small.geometry.values, 0).all())
    x, y = points_where_people_live(small, 3000, seed=5)
    x2, y2 = points_where_people_live(small, 3000, seed=5)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(x, points_where_people_live(small, 3000, seed=6)[0])


def test_small_areas_cover_each_kommun_without_gaps(synthetic):
    kom, small = synthetic
    assert kom.crs == small.crs == "EPSG:3006"
    assert set(small["kommun_kod"]) == set(KOMMUNER)
    assert small["area_id"].is_unique
    assert small["area_id"].str.fullmatch(r"\d{4}A\d{4}").all()
    assert (small["area_id"].str[:4] == small["kommun_kod"]).all()
    assert 60 <= len(small) <= 60 + len(KOMMUNER)
    # more people, more small areas (real populations when ../shared/data is there, else a
    # seeded draw: either way the most populous kommun gets the most areas)
    per = small.groupby("kommun_kod").size()
    biggest = kom.set_index("area_id")["population"].idxmax()
    assert per[biggest] == per.max()
    assert shapely.is_valid(small.geometry.values).all()
    for code, geom in zip(kom["area_id"], kom.geometry.values):
        parts = small.geometry.values[(small["kommun_kod"] == code).to_numpy()]
        union = shapely.union_all(parts)
        tol = 1e-6 * geom.area
        assert abs(shapely.area(parts).sum() - geom.area) < tol  # no overlaps ...
        assert shapely.symmetric_difference(union, geom).area < tol  # ... and no gaps


def test_points_where_people_live(synthetic):
    _, small = synthetic
    x, y = points_where_people_live(small, 4000, seed=2)
    assert x.shape == y.shape == (4000,) and x.dtype == np.float64
    got = assign_xy(x, y, small.geometry.values)
    assert (got == -1).sum() == 20  # 0.5 % outside every area
    counts = np.bincount(got[got >= 0], minlength=len(small))
    # proportional to the population weight, roughly
    share = small["population"].to_numpy() / small["population"].sum()
    assert np.corrcoef(counts, share)[0, 1] > 0.9
