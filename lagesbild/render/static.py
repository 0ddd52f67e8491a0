"""Static images for reports (PDF, PowerPoint): the map and the pyramid here, the ranking and
trend charts in `static_charts` (re-exported).

`map_png` draws a `MapView` like the interactive map (`lagesbild.render.map`): the same class
breaks (`class_breaks`/`class_of` with the layer's scheme and k), the same ColorBrewer palette
(`branca.utilities.color_brewer`, no network), `MISSING` for no data or hidden values, and the
category colours of the change and hot-spot views, with a legend of class ranges. Areas are
drawn in EPSG:3006 (metres) without tiles; incident points are never drawn. This module imports
neither folium nor `analysis.map_views` (whose spatial dependencies pull in HTTP clients): the
view is duck-typed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.utilities import color_brewer
from matplotlib.collections import PatchCollection
from matplotlib.patches import PathPatch, Polygon, Rectangle
from matplotlib.path import Path

from lagesbild.analysis.classify import class_breaks, class_of
from lagesbild.analysis.pyramid_view import PyramidView
from lagesbild.core import schema
from lagesbild.core.i18n import sex_label, t
from lagesbild.core.layers import LayerSpec
from lagesbild.core.taxonomy import ALL, Taxonomy
from lagesbild.render import static_geo
from lagesbild.render.static_charts import (
    BODY_PT,
    SMALL_PT,
    Frame,
    floats,
    footer,
    hidden,
    highlighted,
    line_in,
    num,
    plain,
    png_bytes,
    ranking_png,
    sources_text,
    style,
    title_with,
    trend_png,
    unit_label,
    wrap,
)

if TYPE_CHECKING:
    from lagesbild.analysis.map_views import MapView

__all__ = ["MISSING", "map_classes", "map_png", "pyramid_png", "ranking_png", "trend_png"]

MISSING = "#d9d9d9"  # = lagesbild.render.map.MISSING
EDGE = "#444444"
PYRAMID_COLORS = {3: "#b2182b", 2: "#ef8a62", 1: "#fddbc7"}  # as the pyramid page


def map_classes(figures: pd.DataFrame, area_ids: pd.Series, spec: LayerSpec
                ) -> tuple[list[float], list[str], pd.DataFrame]:
    """Breaks, palette and the kommun rows of `figures` for `area_ids`, with a ``fill`` colour.

    As `render.map.choropleth`: breaks over the kommuner that have a geometry, palette
    ``color_brewer(spec.colors, max(len(breaks), 3))[-len(breaks):]``; a row without value or
    marked suppressed gets `MISSING`.
    """
    kommun = figures[figures["level"] == schema.AreaLevel.KOMMUN.value]
    data = pd.DataFrame({"area_id": area_ids.astype(str)}).merge(
        kommun.assign(area_id=kommun["area_id"].astype(str)), on="area_id", how="inner")
    values = pd.Series(floats(data["value"]), index=data.index).mask(hidden(data))
    breaks = class_breaks(values, scheme=spec.scheme, k=spec.k)
    palette = color_brewer(spec.colors, n=max(len(breaks), 3))[-len(breaks):] if breaks else []
    classes = class_of(values, breaks)
    data["fill"] = [palette[int(c)] if pd.notna(c) else MISSING for c in classes]
    return breaks, list(palette), data


def _class_labels(breaks: list[float]) -> list[str]:
    labels, low = [], None
    for upper in breaks:
        labels.append(f"≤ {num(upper)}" if low is None else f"{num(low)} – {num(upper)}")
        low = upper
    return labels


def _paths(geoms: np.ndarray) -> list[Path | None]:
    """One compound path per (multi)polygon; exteriors counter-clockwise, holes clockwise."""
    out: list[Path | None] = []
    for geom in shapely.orient_polygons(geoms, exterior_cw=False):
        verts, codes = [], []
        for part in shapely.get_parts(geom) if geom is not None else []:
            if part.geom_type != "Polygon" or part.is_empty:
                continue
            for ring in (part.exterior, *part.interiors):
                xy = np.asarray(ring.coords, dtype="float64")[:, :2]
                if len(xy) < 4:
                    continue
                code = np.full(len(xy), Path.LINETO, dtype=Path.code_type)
                code[0], code[-1] = Path.MOVETO, Path.CLOSEPOLY
                verts.append(xy)
                codes.append(code)
        out.append(Path(np.concatenate(verts), np.concatenate(codes)) if verts else None)
    return out


def map_png(view: MapView, areas: gpd.GeoDataFrame, spec: LayerSpec, *, lang: str = "sv",
            width_px: int = 1600, dpi: int = 200, sex: str | None = None,
            threshold: int | None = None,
            highlight: str | Iterable[str] | None = None) -> bytes:
    """The map of `view` on the kommun `areas` (area_id, geometry, optional name; reprojected
    to EPSG:3006 if needed) as PNG bytes: title (layer, period, sex), the areas' names (up to
    `static_geo.MAX_LABELS` areas), a scale bar, legend, footer (source, disclosure note).

    `sex` names the sex in the title of a category view (classed views take it from the
    figures); `threshold` is the disclosure limit in the note (default: the settings');
    `highlight` (an area_id, or several: a group's kommuner) is drawn with a thick outline, its
    name in bold, and named in the legend.
    """
    geo = areas if areas.crs is None or areas.crs == schema.CRS_STORE else \
        areas.to_crs(schema.CRS_STORE)
    names = geo["name"].astype(str) if "name" in geo.columns else geo["area_id"].astype(str)
    geo = geo[["area_id", "geometry"]].assign(area_id=geo["area_id"].astype(str),
                                              name=names.to_numpy())
    width = width_px / dpi
    if view.figures is not None:
        breaks, palette, data = map_classes(view.figures, geo["area_id"], spec)
        legend = list(zip(palette, _class_labels(breaks)))
        legend.append((MISSING, t("no_data", lang)))
        head = title_with(view.title or spec.title(lang), view.period,
                          sex or (view.figures["sex"].iloc[0] if len(view.figures) else None),
                          lang)
        heading = unit_label(data["unit"].iloc[0] if len(data) else spec.unit, lang)
        sources = sources_text(data["source"])
    else:
        rows = view.categories if view.categories is not None else pd.DataFrame(
            columns=["area_id", "name", "category", "lines", "source"])
        colors = {str(key): color for key, _, color in view.legend}
        data = geo[["area_id"]].merge(rows.assign(area_id=rows["area_id"].astype(str)),
                                      on="area_id", how="inner")
        data["fill"] = [colors.get(str(c), MISSING) for c in data["category"]]
        legend = [(color, plain(label)) for _, label, color in view.legend]
        if not any(color == MISSING for color, _ in legend):
            legend.append((MISSING, t("no_data", lang)))
        head = title_with(view.title, view.period, sex, lang)
        heading = ""
        sources = sources_text(data["source"])
    fills = dict(zip(data["area_id"], data["fill"]))
    shapes = geo[geo["area_id"].isin(fills)]
    mine = shapes[highlighted(shapes["area_id"], highlight)]
    if len(mine):
        legend.append(("outline", ", ".join(mine["name"].astype(str)) if len(mine) <= 4
                       else (f"{len(mine)} areas" if lang == "en" else f"{len(mine)} områden")))
    foot = footer(lang, sources, threshold=threshold)
    with style():
        frame = Frame(head, foot, width)
        usable = width - 2 * frame.margin
        legend_w = min(2.4, 0.34 * usable)
        map_w = usable - legend_w - 0.15
        if len(shapes):
            minx, miny, maxx, maxy = shapes.total_bounds
        else:
            minx, miny, maxx, maxy = 0.0, 0.0, 1.0, 1.0
        pad = 0.02 * max(maxx - minx, maxy - miny, 1.0)
        minx, miny, maxx, maxy = minx - pad, miny - pad, maxx + pad, maxy + pad
        map_h = float(np.clip(map_w * (maxy - miny) / (maxx - minx), 2.0, 2.2 * map_w))
        entries = [(c, wrap(label, legend_w - 0.35, BODY_PT)) for c, label in legend]
        said = " ".join(x for x in (view.note, view.summary) if x)
        note = wrap(plain(said), legend_w - 0.1, SMALL_PT, slant="italic") if said else []
        head_lines = wrap(heading, legend_w - 0.1, BODY_PT, weight="bold") if heading else []
        legend_h = (line_in(BODY_PT, len(head_lines)) + 0.08
                    + sum(max(line_in(BODY_PT, len(ls)), 0.2) + 0.05 for _, ls in entries)
                    + (line_in(SMALL_PT, len(note)) + 0.1 if note else 0))
        body = max(map_h, legend_h)
        fig = frame.figure(body, dpi)
        ax = frame.axes(fig, frame.margin, body - map_h, map_w, map_h)
        ax.set_xlim(minx, maxx)
        ax.set_ylim(miny, maxy)
        ax.set_aspect("equal", adjustable="datalim")
        ax.set_axis_off()
        patches, colors = [], []
        for path, area in zip(_paths(shapes.geometry.values), shapes["area_id"]):
            if path is not None:
                patches.append(PathPatch(path))
                colors.append(fills[area])
        ax.add_collection(PatchCollection(patches, facecolors=colors, edgecolors=EDGE,
                                          linewidths=0.4, match_original=False))
        static_geo.outline(ax, _paths(mine.geometry.values))
        static_geo.label_areas(ax, shapes.geometry.values, shapes["name"],
                               bold=highlighted(shapes["area_id"], highlight))
        ax.apply_aspect()
        static_geo.scale_bar(ax, ax.get_xlim(), ax.get_ylim())
        _draw_legend(frame.axes(fig, frame.margin + map_w + 0.15, body - legend_h, legend_w,
                                legend_h), legend_w, legend_h, head_lines, entries, note)
        return png_bytes(fig, dpi)


def _draw_legend(ax, width: float, height: float, head: list[str],  # noqa: ANN001
                 entries: list[tuple[str, list[str]]], note: list[str]) -> None:
    """Swatches and labels in an axes measured in inches (y downwards)."""
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.set_axis_off()
    y = 0.0
    if head:
        ax.text(0, y, "\n".join(head), ha="left", va="top", fontsize=BODY_PT,
                fontweight="bold", parse_math=False, usetex=False)
        y += line_in(BODY_PT, len(head)) + 0.08
    for color, lines in entries:
        h = max(line_in(BODY_PT, len(lines)), 0.2)
        own = color == "outline"  # the report's own area: a thick outline, as on the map
        ax.add_patch(Rectangle((0, y + (h - 0.16) / 2), 0.22, 0.16,
                               facecolor="white" if own else color,
                               edgecolor=static_geo.HIGHLIGHT if own else "#777777",
                               linewidth=2.0 if own else 0.6))
        ax.text(0.32, y + h / 2, "\n".join(lines), ha="left", va="center", fontsize=BODY_PT,
                parse_math=False, usetex=False)
        y += h + 0.05
    if note:
        ax.text(0, y + 0.05, "\n".join(note), ha="left", va="top", fontsize=SMALL_PT,
                fontstyle="italic", color="#333333", parse_math=False, usetex=False)


# --- the violence pyramid ------------------------------------------------------------------

def pyramid_png(view: PyramidView, taxonomy: Taxonomy, *, lang: str = "sv", sex: str = "T",
                width_px: int = 1600, dpi: int = 200) -> bytes:
    """The pyramid as stacked trapezoids (level 3 on top, narrowest): each level's title and
    its K/M/T totals (levels with crime categories), the base with its survey items for `sex`."""
    width = width_px / dpi
    title = f"{t('page_pyramid', lang)}: {plain(view.area_name)}, {plain(view.period)}"
    inds = view.indicators[view.indicators["sex"] == sex]
    src = sources_text([view.source_label, *inds["source"]])
    foot = footer(lang, src, f"{t('pyramid_source', lang)}: {t('src_' + view.source, lang)}.",
                  threshold=view.threshold)
    with style():
        frame = Frame(title, foot, width)
        usable = width - 2 * frame.margin
        top_w, pad, gap = 0.36 * usable, 0.10, 0.06
        tiers = []
        for level in taxonomy.levels:
            lines = [(plain(level.title_en if lang == "en" else level.title_sv), "bold")]
            totals = view.counts[(view.counts["level"] == level.level)
                                 & (view.counts["category"] == ALL)]
            if level.categories and len(totals):
                by_sex = dict(zip(totals["sex"], totals["display"]))
                lines.append((" · ".join(f"{sex_label(s, lang)}: {plain(by_sex[s])}"
                                         for s in ("K", "M", "T") if s in by_sex), "normal"))
            if level.level == min(lv.level for lv in taxonomy.levels):
                items = inds[inds["level"] == level.level]
                lines.append((f"{t('survey_items', lang)} ({sex_label(sex, lang).lower()}):",
                              "italic"))
                lines += [(f"{plain(r['title_en'] if lang == 'en' else r['title_sv'])}: "
                           f"{plain(r['display'])}", "normal") for _, r in items.iterrows()]
                if not len(items):
                    lines.append((t("no_survey", lang), "normal"))
            tiers.append((level.level, lines))
        # widths grow linearly downwards; text wraps to the narrowest edge of its tier, so lay
        # out twice: the second pass uses the pyramid's height from the first
        def half(y: float, total: float) -> float:
            return (top_w + (usable - top_w) * min(y / total, 1.0)) / 2

        body = sum(line_in(BODY_PT, 2 * len(lines)) + 2 * pad + gap for _, lines in tiers)
        for _ in range(2):
            blocks, heights, y = [], [], 0.0
            for level, lines in tiers:
                wrapped = [(w, kind) for text, kind in lines
                           for w in wrap(text, 2 * half(y, body) - 0.25, BODY_PT,
                                     weight="bold" if kind == "bold" else "normal",
                                     slant="italic" if kind == "italic" else "normal")]
                h = line_in(BODY_PT, len(wrapped)) + 2 * pad
                blocks.append((level, wrapped))
                heights.append(h)
                y += h + gap
            body = max(y - gap, 0.3)
        fig = frame.figure(body + 0.1, dpi)
        ax = frame.axes(fig, frame.margin, 0.05, usable, body)
        ax.set_xlim(-usable / 2, usable / 2)
        ax.set_ylim(body, 0)
        ax.set_axis_off()
        y = 0.0
        for (level, wrapped), h in zip(blocks, heights):
            y0, y1 = y, y + h
            w0, w1 = half(y0, body), half(y1, body)
            color = PYRAMID_COLORS.get(level, "#dddddd")
            ax.add_patch(Polygon([(-w0, y0), (w0, y0), (w1, y1), (-w1, y1)], closed=True,
                                 facecolor=color, edgecolor="none"))
            ink = "#ffffff" if level == 3 else "#222222"
            ly = y0 + pad + line_in(BODY_PT) / 2
            for text, kind in wrapped:
                ax.text(0, ly, text, ha="center", va="center", fontsize=BODY_PT, color=ink,
                        fontweight="bold" if kind == "bold" else "normal",
                        fontstyle="italic" if kind == "italic" else "normal",
                        parse_math=False, usetex=False)
                ly += line_in(BODY_PT)
            y = y1 + gap
        return png_bytes(fig, dpi)
