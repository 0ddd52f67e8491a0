"""Assign points to the areas that contain them, losing none."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely


def assign_points(points: gpd.GeoSeries, areas: gpd.GeoDataFrame, *, id_col: str = "area_id"
                  ) -> pd.Series:
    """The `id_col` of the area covering each point, aligned to `points`' index.

    A point on a shared border goes to the first area in `areas` order that covers it, so every
    point is counted once. Points outside every area (or empty) get NA: none is dropped.
    """
    if points.crs is not None and areas.crs is not None and points.crs != areas.crs:
        points = points.to_crs(areas.crs)
    geoms = points.values
    result = np.full(len(geoms), -1, dtype=np.int64)
    valid = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if valid.any() and len(areas):
        tree = shapely.STRtree(areas.geometry.values)
        pt_idx, area_idx = tree.query(geoms[valid], predicate="covered_by")
        # keep, per point, the lowest area position: deterministic on shared borders
        order = np.lexsort((area_idx, pt_idx))
        pt_idx, area_idx = pt_idx[order], area_idx[order]
        first = np.unique(pt_idx, return_index=True)[1]
        chosen = np.full(int(valid.sum()), -1, dtype=np.int64)
        chosen[pt_idx[first]] = area_idx[first]
        result[valid] = chosen
    ids = areas[id_col].astype("string").to_numpy()
    out = pd.array([ids[i] if i >= 0 else pd.NA for i in result], dtype="string")
    return pd.Series(out, index=points.index, name=id_col)
