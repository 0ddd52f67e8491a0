"""What a printed map needs beyond its colours: the areas' names, the report's own area
outlined, and a scale bar. Drawn on axes in EPSG:3006 (metres), as `static.map_png` and
`static_points.points_png` draw them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import shapely
from matplotlib import patheffects
from matplotlib.collections import PatchCollection
from matplotlib.patches import PathPatch, Rectangle

from lagesbild.render.static_kit import SMALL_PT, plain

MAX_LABELS = 40           # more areas than this (DeSO in a town) are not named on the map
HIGHLIGHT = "#000000"
_HALO = [patheffects.withStroke(linewidth=2.4, foreground="white")]


def nice_length(span_m: float) -> float:
    """A round length (1, 2 or 5 × 10^n metres) near a fifth of `span_m`."""
    target = max(span_m / 5.0, 1.0)
    power = 10 ** math.floor(math.log10(target))
    return max((f * power for f in (1, 2, 5) if f * power <= target), default=power)


def length_text(metres: float) -> str:
    if metres >= 1000:
        km = metres / 1000
        return f"{km:,.0f} km".replace(",", "\u00a0") if km >= 1 and km == int(km) \
            else f"{km:.1f} km".replace(".", ",")
    return f"{metres:,.0f} m".replace(",", "\u00a0")


def scale_bar(ax, xlim: tuple[float, float], ylim: tuple[float, float]) -> float:  # noqa: ANN001
    """A black-and-white scale bar in the lower left corner of `ax`; returns its length (m)."""
    (x0, x1), (y0, y1) = xlim, ylim
    length = nice_length(x1 - x0)
    x, y = x0 + 0.03 * (x1 - x0), y0 + 0.04 * (y1 - y0)
    h = 0.012 * (y1 - y0)
    half = length / 2
    for i, color in enumerate(("#222222", "#ffffff")):
        ax.add_patch(Rectangle((x + i * half, y), half, h, facecolor=color, edgecolor="#222222",
                               linewidth=0.6, zorder=8))
    ax.text(x + length / 2, y + 1.8 * h, length_text(length), ha="center", va="bottom",
            fontsize=SMALL_PT, zorder=8, path_effects=_HALO, parse_math=False, usetex=False)
    return length


def label_areas(ax, geoms: Sequence[object], names: Sequence[object],  # noqa: ANN001
                bold: Sequence[bool] | None = None) -> int:
    """Each area's name at a point inside it (white halo); none when there are more than
    `MAX_LABELS` areas. Returns how many names were drawn."""
    if len(geoms) > MAX_LABELS:
        return 0
    points = shapely.point_on_surface(np.asarray(geoms, dtype=object))
    drawn = 0
    for i, (point, name) in enumerate(zip(points, names)):
        text = plain(name)
        if point is None or point.is_empty or not text:
            continue
        strong = bool(bold[i]) if bold is not None else False
        ax.text(point.x, point.y, text, ha="center", va="center",
                fontsize=SMALL_PT + (1 if strong else 0),
                fontweight="bold" if strong else "normal", color="#111111", zorder=7,
                path_effects=_HALO, parse_math=False, usetex=False, clip_on=True)
        drawn += 1
    return drawn


def outline(ax, paths: Sequence[object]) -> None:  # noqa: ANN001
    """The report's own area drawn with a thick outline above the others."""
    patches = [PathPatch(p) for p in paths if p is not None]
    if patches:
        ax.add_collection(PatchCollection(patches, facecolors="none", edgecolors=HIGHLIGHT,
                                          linewidths=2.2, zorder=6, match_original=False))
