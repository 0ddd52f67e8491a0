"""A static map of incident points for the police's own report (never for a wider audience)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
from matplotlib.collections import PatchCollection
from matplotlib.patches import PathPatch

from lagesbild.core import schema
from lagesbild.render import static_geo
from lagesbild.render.static import _paths
from lagesbild.render.static_kit import SMALL_PT, Frame, png_bytes, style

LEVEL_COLORS = {3: "#b2182b", 2: "#ef8a62"}


MIN_EXTENT = 4_000.0  # metres: a few points in one village still show their streets' scale


def view_box(points: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    """Where the points are: their box, or, when a few stray points would make it more than
    four times as large, the box of the central 90 % in each direction (grown by a third);
    at least `MIN_EXTENT` across either way."""
    xs, ys = points.geometry.x.to_numpy(), points.geometry.y.to_numpy()
    box = [xs.min(), ys.min(), xs.max(), ys.max()]
    if len(xs) >= 10:
        (x0, x1), (y0, y1) = np.quantile(xs, [0.05, 0.95]), np.quantile(ys, [0.05, 0.95])
        full = max(box[2] - box[0], 1.0) * max(box[3] - box[1], 1.0)
        if max(x1 - x0, 1.0) * max(y1 - y0, 1.0) * 4 < full:
            gx, gy = (x1 - x0) / 3, (y1 - y0) / 3
            box = [x0 - gx, y0 - gy, x1 + gx, y1 + gy]
    for low, high in ((0, 2), (1, 3)):  # grow a tight cluster to MIN_EXTENT
        grow = max(MIN_EXTENT - (box[high] - box[low]), 0.0) / 2
        box[low], box[high] = box[low] - grow, box[high] + grow
    return float(box[0]), float(box[1]), float(box[2]), float(box[3])


def points_png(areas: gpd.GeoDataFrame, points: gpd.GeoDataFrame, *, title: str, foot: str,
               labels: dict[int, str], width_px: int = 1600, dpi: int = 200,
               lang: str = "sv") -> bytes:
    """`points` (geometry, level) over the outlines of `areas` (with their names), coloured by
    pyramid level, zoomed to where the points are (at least `MIN_EXTENT` across), with a scale
    bar."""
    geo = areas.to_crs(schema.CRS_STORE)
    pts = points.to_crs(schema.CRS_STORE)
    width = width_px / dpi
    with style():
        frame = Frame(title, foot, width)
        usable = width - 2 * frame.margin
        minx, miny, maxx, maxy = view_box(pts) if len(pts) else geo.total_bounds
        pad = 0.06 * max(maxx - minx, maxy - miny, 1.0)
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
        if "name" in geo.columns:
            static_geo.label_areas(ax, geo.geometry.values, geo["name"])
        static_geo.scale_bar(ax, ax.get_xlim(), ax.get_ylim())
        (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
        xs, ys = pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy()
        outside = int((~((xs >= x0) & (xs <= x1) & (ys >= y0) & (ys <= y1))).sum())
        if outside:
            words = (("point", "points"), ("punkt", "punkter"))[lang != "en"][outside != 1]
            where = "outside the view" if lang == "en" else "utanför utsnittet"
            ax.text(0.99, 0.02, f"{outside} {words} {where}",
                    transform=ax.transAxes, ha="right", va="bottom", fontsize=SMALL_PT,
                    color="#333333", parse_math=False, usetex=False)
        for level, color in LEVEL_COLORS.items():
            part = pts[pts["level"] == level]
            if len(part):
                ax.scatter(part.geometry.x, part.geometry.y, s=12, color=color, alpha=0.6,
                           linewidths=0, label=f"{labels.get(level, level)} ({len(part)})")
        if len(pts):
            ax.legend(loc="upper left", fontsize=7, frameon=True)
        return png_bytes(fig, dpi)
