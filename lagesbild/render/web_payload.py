"""The fast path for big maps (thousands of DeSO): simplified, quantised, compact, cached geometry.

A national DeSO map drawn the way `render.map.choropleth` draws kommuner (one GeoJSON feature
per area with its tooltip HTML and colour, reprojected and serialised on every build) sends
megabytes to the browser and takes seconds to build. Here the geometry is prepared once and
cached; a new set of values (another layer, period or filter) only recomputes classes, colours
and tooltip text.

Geometry (`prepare_geometry`, cached per (areas fingerprint or caller key, tolerance, digits)):

1. The areas (metric CRS, EPSG:3006) are made a valid coverage if they are not one
   (`coverage_clean`, no gap closing): `coverage_simplify` keeps shared borders shared only
   when neighbours share their vertices exactly.
2. `coverage_simplify` simplifies every shared edge once, so borders stay shared (no gaps, no
   overlaps) and junctions between three or more areas are kept, which keeps small areas from
   collapsing: it never drops a polygon. The tolerance is the caller's, or chosen for the view
   (`auto_tolerance`): at most one screen pixel at the view's design zoom (national: zoom 8,
   about 310 m at 59°N, where a DeSO map is read at kommun scale) and lowered until the areas
   keep their size (at most 1 % of areas change area by more than 10 %, none by more than 25 %).
3. Reprojected to EPSG:4326 and rounded to `digits` decimals: by default the fewest decimals
   whose step is at most a tenth of the tolerance (4 decimals, 11 m, for 150-310 m; 5, 1.1 m,
   below 110 m): finer steps than the simplification error only cost bytes. Every vertex is
   rounded by the same function, so a vertex shared by two areas stays shared. Where rounding
   makes a polygon invalid (two vertices of a thin neck falling on one grid point), the rounded
   coverage is re-noded with `coverage_clean` and rounded again until it is valid.
4. Serialised compactly (`WebGeometry.packed`): a vertex table in which every distinct vertex
   is stored once, as a Google "encoded polyline" delta from the previous vertex (ASCII 63-126),
   and a ring that runs along vertices already stored refers back to them as a run (start, length,
   direction): a border shared by two areas is sent once. Area ids are front-coded. A ~1.5 kB
   decoder in the page rebuilds GeoJSON features with one property, `area_id` (escaped with
   `esc`, as `render.map` does). `WebGeometry.geojson` is the same geometry as plain compact
   GeoJSON, for other consumers and for comparison.

Map (`fast_choropleth`): one Leaflet GeoJSON layer on a canvas renderer. Its style is a lookup
from the area's position (fixed by the cached geometry, i.e. its area_id) to a palette index (one
character per area), and one tooltip function builds the text from escaped pieces (name or
area_id, title, value text, source) instead of one HTML string per feature. Everything that
reaches the page is escaped with `esc` and passed to JavaScript as JSON with "</" written "<\\/".

`gap_free(web)` checks the result against the areas it came from.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from lagesbild.render.web_checks import gap_free
from lagesbild.render.web_layer import FastGeoJson, fast_choropleth, values_payload
from lagesbild.render.web_pack import (
    AREA_SEP,
    FORMAT_VERSION,
    ID_SEP,
    POLY_SEP,
    PREFIX_KEYS,
    RING_SEP,
    RUN,
    front_code,
    pack,
)
from lagesbild.render.web_shapes import (
    CACHE_SIZE,
    VIEW_ZOOM,
    WebGeometry,
    auto_tolerance,
    build_geometry,
    cache_clear,
    cache_info,
    digits_for,
    fingerprint,
    metres_per_pixel,
    prepare_geometry,
    quantise,
    tolerance_cap,
)

__all__ = ["AREA_SEP", "NATIONAL_SPAN_M", "all_areas_geometry", "CACHE_SIZE", "FORMAT_VERSION", "FastGeoJson", "ID_SEP", "POLY_SEP",
           "PREFIX_KEYS", "RING_SEP", "RUN", "VIEW_ZOOM", "WebGeometry", "auto_tolerance",
           "build_geometry", "cache_clear", "cache_info", "digits_for", "fast_choropleth",
           "fingerprint", "front_code", "gap_free", "metres_per_pixel", "pack",
           "prepare_geometry", "quantise", "tolerance_cap", "values_payload"]

NATIONAL_SPAN_M = 500_000  # areas spread wider than this are drawn as a national map


def all_areas_geometry(areas: pd.DataFrame, *, key: object = None) -> WebGeometry:
    """The fast-path browser geometry of every area at a level: simplified for county scale
    (Göteborgsregionen's 584 DeSO), or for kommun scale when the areas span the country."""
    frame = gpd.GeoDataFrame(areas[["area_id", "geometry"]], geometry="geometry")
    x0, y0, x1, y1 = frame.total_bounds if len(frame) else (0.0, 0.0, 0.0, 0.0)
    view = "national" if max(x1 - x0, y1 - y0) > NATIONAL_SPAN_M else "lan"
    return prepare_geometry(frame, view=view, key=key)
