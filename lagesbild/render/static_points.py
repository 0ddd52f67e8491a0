"""A static map of incident points for the police's own report (never for a wider audience)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
from matplotlib.collections import PatchCollection
from matplotlib.patches import PathPatch

from lagesbild.core import schema
from lagesbild.render.static import _paths
from lagesbild.render.static_kit import Frame, png_bytes, style

LEVEL_COLORS = {3: "#b2182b", 2: "#ef8a62"}


def points_png(areas: gpd.GeoDataFrame, points: gpd.GeoDataFrame, *, title: str, foot: str,
               labels: dict[int, str], width_px: int = 1600, dpi: int = 200) -> bytes:
    """`points` (geometry, level) over the outlines of `areas`, coloured by pyramid level."""
    geo = areas.to_crs(schema.CRS_STORE)
    pts = points.to_crs(schema.CRS_STORE)
    width = width_px / dpi
    with style():
        frame = Frame(title, foot, width)
        usable = width - 2 * frame.margin
        minx, miny, maxx, maxy = geo.total_bounds
        pad = 0.02 * max(maxx - minx, maxy - miny, 1.0)
        minx, miny, maxx, maxy = minx - pad, miny - pad, maxx + pad, maxy + pad
        map_h = float(np.clip(usable * (maxy - miny) / (maxx - minx), 2.0, 1.6 * usable))
        # widen the data range to the box's shape, so one metre is as long across as up
        cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
        half_w = max(maxx - minx, (maxy - miny) * usable / map_h) / 2
        half_h = half_w * map_h / usable
        fig = frame.figure(map_h, dpi)
        ax = frame.axes(fig, frame.margin, 0, usable, map_h)
        ax.set_xlim(cx - half_w, cx + half_w)
        ax.set_ylim(cy - half_h, cy + half_h)
        ax.set_axis_off()
        patches = [PathPatch(p) for p in _paths(geo.geometry.values) if p is not None]
        ax.add_collection(PatchCollection(patches, facecolors="#f7f7f7", edgecolors="#555555",
                                          linewidths=0.5))
        for level, color in LEVEL_COLORS.items():
            part = pts[pts["level"] == level]
            if len(part):
                ax.scatter(part.geometry.x, part.geometry.y, s=6, color=color, alpha=0.6,
                           linewidths=0, label=f"{labels.get(level, level)} ({len(part)})")
        if len(pts):
            ax.legend(loc="upper left", fontsize=7, frameon=True)
        return png_bytes(fig, dpi)
