"""`web_payload`'s gap check: the simplified, rounded coverage against the areas it came from."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from lagesbild.core import schema
from lagesbild.render.web_shapes import WebGeometry, _polygonal


def _holes(union: shapely.Geometry) -> np.ndarray:
    parts = shapely.get_parts(union)
    parts = parts[shapely.get_type_id(parts) == 3]
    rings = [r for p in parts for r in p.interiors]
    return shapely.polygons(np.asarray(rings, dtype=object)) if rings else np.empty(0, object)


def gap_free(web: WebGeometry, *, gap_width: float = 1.0) -> dict[str, object]:
    """Check that the simplified, rounded areas still tile what the input areas tiled.

    - coverage_valid: `coverage_is_valid` of the EPSG:4326 result (edge-matched, no overlaps),
      with the invalid-edge length in metres; polygon validity; areas that became empty.
    - the union, in the input's metric CRS: parts and holes must not grow, its area must not
      change by more than the tolerance along its boundary, and the summed area of the areas
      must equal the union's (no overlaps).
    - narrow gaps (`gap_width` m): invalid edges of `coverage_is_valid(gap_width=...)`, after
      vs the input made a coverage; new hole area against the input's holes.
    - per area: largest relative area change and how many changed by more than 10 %.
    `ok` is true when nothing grew and no gap or overlap appeared.
    """
    crs = web.source_crs
    metric = np.asarray(gpd.GeoSeries(web.geometry, crs=schema.CRS_WEB).to_crs(crs).values,
                        dtype=object)
    source = np.array([_polygonal(g) for g in web.source], dtype=object)
    cov_valid = bool(shapely.coverage_is_valid(web.geometry))
    edges = shapely.coverage_invalid_edges(metric)
    invalid_edges_m = float(np.nansum(shapely.length(edges)))
    invalid_polys = int((~shapely.is_valid(web.geometry)).sum())
    empty = int((shapely.is_empty(web.geometry) & ~shapely.is_empty(source)).sum())

    u0 = shapely.union_all(source)
    u1 = shapely.union_all(metric)
    parts0, parts1 = int(shapely.get_num_geometries(u0)), int(shapely.get_num_geometries(u1))
    holes0, holes1 = _holes(u0), _holes(u1)
    new_gap = shapely.difference(shapely.union_all(holes1), shapely.union_all(holes0))
    new_gap_m2 = float(shapely.area(new_gap))
    overlap_m2 = float(shapely.area(metric).sum() - shapely.area(u1))
    area_change = float(abs(shapely.area(u1) - shapely.area(u0)))
    # the boundary may move by about the tolerance plus a rounding step
    reach = web.tolerance + 111_320.0 * 10.0 ** -web.digits
    area_bound = float(shapely.length(u0)) * reach
    hole_bound = float(shapely.length(holes0).sum()) * reach if len(holes0) else 0.0

    present = ~shapely.is_empty(source)
    base = source.copy()
    if present.any() and not bool(shapely.coverage_is_valid(base[present])):
        base[present] = [_polygonal(g) for g in shapely.coverage_clean(base[present])]
    narrow_before = float(np.nansum(shapely.length(
        shapely.coverage_invalid_edges(base, gap_width=gap_width))))
    narrow_after = float(np.nansum(shapely.length(
        shapely.coverage_invalid_edges(metric, gap_width=gap_width))))
    a0 = shapely.area(source)
    pos = a0 > 0
    change = np.abs(shapely.area(metric)[pos] - a0[pos]) / a0[pos]

    tiny = 1e-6 * max(float(shapely.area(u0)), 1.0)  # float noise of re-projection
    ok = (cov_valid and invalid_polys == 0 and empty == 0 and parts1 <= parts0
          and len(holes1) <= len(holes0) and abs(overlap_m2) <= tiny
          and narrow_after <= narrow_before + gap_width and new_gap_m2 <= hole_bound + tiny
          and area_change <= area_bound)
    return {
        "ok": bool(ok), "coverage_valid": cov_valid, "invalid_edges_m": invalid_edges_m,
        "invalid_polygons": invalid_polys, "empty": empty,
        "parts_before": parts0, "parts_after": parts1,
        "holes_before": int(len(holes0)), "holes_after": int(len(holes1)),
        "new_gap_area_m2": new_gap_m2, "overlap_area_m2": overlap_m2,
        "union_area_change_m2": area_change, "union_area_bound_m2": area_bound,
        "narrow_gaps_before_m": narrow_before, "narrow_gaps_after_m": narrow_after,
        "max_area_change": float(change.max()) if len(change) else 0.0,
        "areas_changed_over_10pct": int((change > 0.10).sum()),
        "tolerance": web.tolerance, "digits": web.digits, "cleaned": web.cleaned,
        "quantise_rounds": web.quantise_rounds,
    }
