"""lagesbild.core.assign.assign_points on hand-built squares, plus the no-point-lost property."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, box

from lagesbild.core import schema
from lagesbild.core.assign import assign_points

CASES = [  # (x, y) or None -> area for squares A=[0,1]x[0,1] (first), B=[1,2]x[0,1]
    ((0.5, 0.5), "A"),
    ((1.5, 0.5), "B"),
    ((1.0, 0.5), "A"),    # shared border: the first area
    ((1.0, 1.0), "A"),    # shared corner
    ((0.0, 0.0), "A"),    # outer corner, covered though not contained
    ((2.0, 0.5), "B"),    # outer edge of B
    ((1.5, 1.0000001), None),  # just outside
    ((3.0, 3.0), None),
    ("empty", None),
    (None, None),
]


def _points(cases, index=None, crs=schema.CRS_STORE) -> gpd.GeoSeries:
    geoms = [Point() if xy == "empty" else (Point(xy) if xy is not None else None)
             for xy, _ in cases]
    return gpd.GeoSeries(geoms, index=index, crs=crs)


def test_inside_border_outside_and_empty(unit_squares):
    index = [100 + 7 * i for i in range(len(CASES))][::-1]  # unordered, non-default index
    points = _points(CASES, index=index)
    result = assign_points(points, unit_squares)
    assert result.index.tolist() == index  # nothing dropped, same order
    assert result.name == "area_id" and str(result.dtype) == "string"
    assert [None if pd.isna(v) else v for v in result] == [area for _, area in CASES]


def test_border_goes_to_first_area_in_given_order(unit_squares):
    points = _points([((1.0, 0.5), None), ((1.0, 0.0), None)])
    assert assign_points(points, unit_squares).tolist() == ["A", "A"]
    assert assign_points(points, unit_squares.iloc[::-1]).tolist() == ["B", "B"]


def test_custom_id_column_and_area_index(unit_squares):
    areas = unit_squares.rename(columns={"area_id": "kod"}).set_axis([5, 3])
    result = assign_points(_points([((1.5, 0.5), None), ((0.2, 0.2), None)]), areas, id_col="kod")
    assert result.name == "kod" and result.tolist() == ["B", "A"]


def test_no_areas_or_no_points(unit_squares):
    points = _points([((0.5, 0.5), None)])
    assert assign_points(points, unit_squares.iloc[:0]).isna().tolist() == [True]
    empty = assign_points(gpd.GeoSeries([], crs=schema.CRS_STORE), unit_squares)
    assert len(empty) == 0


def test_points_in_another_crs_are_reprojected(kommun_areas):
    # centres of the two 10 km test kommuner, given in WGS84
    centres = gpd.GeoSeries([Point(705_000, 7_195_000), Point(715_000, 7_195_000)],
                            crs=schema.CRS_STORE).to_crs(schema.CRS_WEB)
    assert assign_points(centres, kommun_areas).tolist() == ["2417", "2422"]


def test_input_not_modified(unit_squares):
    points = _points(CASES)
    before_points, before_areas = points.copy(), unit_squares.copy()
    assign_points(points, unit_squares)
    pd.testing.assert_series_equal(points, before_points)
    pd.testing.assert_frame_equal(unit_squares, before_areas)


# --- property: assigning points to a grid of squares never loses a point ----------------------

# quarter steps hit interior points, edges and corners alike
coords = st.integers(-4, 20).map(lambda q: q / 4)


@st.composite
def grids_and_points(draw):
    width, height = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    cells = [(i, j) for i in range(width) for j in range(height)]
    order = draw(st.permutations(cells))
    areas = gpd.GeoDataFrame({"area_id": [f"{i}-{j}" for i, j in order]},
                             geometry=[box(i, j, i + 1, j + 1) for i, j in order],
                             crs=schema.CRS_STORE)
    xy = draw(st.lists(st.tuples(coords, coords), max_size=40))
    index = draw(st.permutations(range(len(xy))))
    points = gpd.GeoSeries([Point(x, y) for x, y in xy], index=list(index),
                           crs=schema.CRS_STORE)
    return areas, points, width, height


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grids_and_points())
def test_assigning_loses_no_point(case):
    areas, points, width, height = case
    result = assign_points(points, areas)
    assert len(result) == len(points)
    assert result.index.equals(points.index)
    for point, area in zip(points, result):
        inside = 0 <= point.x <= width and 0 <= point.y <= height
        assert pd.notna(area) == inside
        # brute force: the first area (in the given order) that covers the point
        expected = next((a for a, g in zip(areas["area_id"], areas.geometry)
                         if g.covers(point)), None)
        assert (None if pd.isna(area) else area) == expected
    counts = result.value_counts().to_dict()
    brute: dict[str, int] = {}
    for point in points:
        hit = next((a for a, g in zip(areas["area_id"], areas.geometry) if g.covers(point)), None)
        if hit is not None:
            brute[hit] = brute.get(hit, 0) + 1
    assert counts == brute
    assert sum(counts.values()) + int(result.isna().sum()) == len(points)


@pytest.mark.parametrize("n", [0, 1, 1000])
def test_many_points_same_answer_as_brute_force(unit_squares, n):
    import numpy as np

    rng = np.random.default_rng(7)
    xy = rng.uniform(-0.5, 2.5, size=(n, 2)).round(1)
    points = gpd.GeoSeries([Point(x, y) for x, y in xy], crs=schema.CRS_STORE)
    result = assign_points(points, unit_squares)
    expected = ["A" if (0 <= x <= 1 and 0 <= y <= 1) else
                "B" if (1 < x <= 2 and 0 <= y <= 1) else None for x, y in xy]
    assert [None if pd.isna(v) else v for v in result] == expected
