"""The levels below the kommun (DeSO, RegSO, stadsdelar, polisområden, custom areas): which the
workspace has boundaries for, their areas and the kommun each lies in, whether a layer has
figures there, and where an incident lies at a level (by its point, or the code it carries)."""

from __future__ import annotations

import pandas as pd
import shapely

from lagesbild.core import schema
from lagesbild.core.fast_assign import assign_points_fast as assign_points
from lagesbild.core.frames import Frames, incident_points
from lagesbild.core.layers import LayerSpec

SMALL_LEVELS = ("regso", "deso", "stadsdel", "polisomrade", "custom")
LEVEL_NAMES = {"regso": ("RegSO", "RegSO"), "deso": ("DeSO", "DeSO"),
               "stadsdel": ("stadsdelar", "city districts"),
               "polisomrade": ("polisområden", "police areas"),
               "custom": ("egna områden", "custom areas")}


def level_name(level: str, lang: str = "sv") -> str:
    sv, en = LEVEL_NAMES.get(level, (level, level))
    return en if lang == "en" else sv


def small_levels(frames: Frames) -> list[str]:
    """The levels below the kommun that the workspace has boundaries for."""
    present = set(frames.areas["level"].astype(str))
    return [lv for lv in SMALL_LEVELS if lv in present]


def level_areas(frames: Frames, level: str, kommun: str | None = None) -> pd.DataFrame:
    """The areas of `level` (with their kommun in `kommun_id`), in one kommun or all."""
    areas = frames.areas[frames.areas["level"] == level].copy()
    areas["kommun_id"] = _kommun_ids(frames, areas)
    areas = areas[areas["kommun_id"].notna()]
    if kommun is not None:
        areas = areas[areas["kommun_id"] == kommun]
    return areas.sort_values("area_id")


def kommuner_with(frames: Frames, level: str) -> list[str]:
    """Kommun ids that have areas of `level`, those with the most areas first."""
    counts = level_areas(frames, level)["kommun_id"].value_counts()
    return sorted(counts.index.astype(str), key=lambda k: (-int(counts[k]), k))


def supports(spec: LayerSpec, frames: Frames, level: str) -> bool:
    """Whether the layer has figures at `level` (incidents always; surveys when given there)."""
    if spec.kind == "incident_rate":
        return level in small_levels(frames)
    if spec.kind == "indicator":
        ids = set(level_areas(frames, level)["area_id"].astype(str))
        rows = frames.indicators[frames.indicators["indicator_id"] == spec.indicator]
        return bool(rows["area_id"].astype(str).isin(ids).any())
    return False


def _kommun_ids(frames: Frames, areas: pd.DataFrame) -> pd.Series:
    kommuner = set(frames.kommuner["area_id"].astype(str))
    parent = areas["parent_id"].astype("string")
    by_code = areas["area_id"].astype("string").str[:4]
    out = parent.where(parent.isin(kommuner), by_code.where(by_code.isin(kommuner)))
    return out.astype("string")


def deso_to_regso(frames: Frames) -> dict[str, str]:
    """The RegSO each DeSO lies in (DeSO nest in RegSO; matched by an inner point)."""
    deso = frames.areas[frames.areas["level"] == schema.AreaLevel.DESO.value]
    regso = frames.areas[frames.areas["level"] == schema.AreaLevel.REGSO.value]
    if not len(deso) or not len(regso):
        return {}
    inner = pd.Series(shapely.point_on_surface(deso.geometry.values), index=deso.index)
    import geopandas as gpd

    found = assign_points(gpd.GeoSeries(inner, crs=deso.crs), regso)
    return {str(d): str(r) for d, r in zip(deso["area_id"], found) if not pd.isna(r)}


def locate(frames: Frames, incidents: pd.DataFrame, level: str) -> pd.Series:
    """The `level` area of each incident (NA where it cannot be placed at that level)."""
    out = pd.Series(pd.NA, index=incidents.index, dtype="string")
    if not len(incidents):
        return out
    areas = level_areas(frames, level)
    point = (incidents["precision"].astype("string") == schema.Precision.POINT.value).fillna(False)
    if "x" in incidents and point.any():  # compact incidents: points as x, y (EPSG:3006)
        found = assign_points(incident_points(incidents.loc[point]), areas)
        out.loc[point] = found.to_numpy()
    coded = incidents.loc[~point, "sub_area_id"].astype("string") if "sub_area_id" in incidents \
        else pd.Series(dtype="string")
    if len(coded):
        ids = set(areas["area_id"].astype(str))
        up = deso_to_regso(frames) if level == schema.AreaLevel.REGSO.value else {}
        out.loc[coded.index] = [c if c in ids else up.get(c, pd.NA) if isinstance(c, str) else pd.NA
                                for c in coded.to_numpy(dtype=object, na_value=None)]
    return out
