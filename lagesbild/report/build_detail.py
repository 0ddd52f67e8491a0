"""Kartläggning's finer "var": one kommun's areas below the kommun (both audiences, protected
area figures) and, in the police's own report only, the extract's offences as points."""

from __future__ import annotations

import geopandas as gpd

from lagesbild.analysis.small_area_views import small_area_view, small_spec
from lagesbild.analysis.small_places import level_areas, level_name, small_levels, supports
from lagesbild.analysis.cube import incident_periods
from lagesbild.core import schema
from lagesbild.core.frames import incident_points
from lagesbild.render import static
from lagesbild.render.static_points import points_png
from lagesbild.report.build_context import Context, pick_period
from lagesbild.report.model import Figure


def _period(ctx: Context) -> str | None:
    years = incident_periods(ctx.frames)
    return pick_period(years, ctx.period)


def small_area_figure(ctx: Context, paras: list[str]) -> Figure | None:
    """The first incident layer per DeSO/RegSO/stadsdel in the report's kommun, if any."""
    if ctx.is_county:
        return None
    period = _period(ctx)
    spec = next((s for s in ctx.chosen() if s.kind == "incident_rate"), None)
    if period is None or spec is None:
        return None
    level = next((lv for lv in small_levels(ctx.frames) if supports(spec, ctx.frames, lv)
                  and len(level_areas(ctx.frames, lv, ctx.area_id))), None)
    if level is None:
        return None
    view = ctx.cited(small_area_view(ctx.frames, spec, level=level, kommun=ctx.area_id,
                                     view="value", period=period, sex="T", taxonomy=ctx.taxonomy,
                                     settings=ctx.settings, lang=ctx.lang))
    areas = level_areas(ctx.frames, level, ctx.area_id)
    png = ctx.draw(static.map_png, view, areas, small_spec(spec), lang=ctx.lang, sex="T",
                   threshold=ctx.settings.suppress_below)
    figs = view.figures
    shown = figs[(figs["level"] == level) & figs["value"].notna()]
    name = level_name(level, ctx.lang)
    paras.append(ctx.tr(
        f"Var inom kommunen: {small_spec(spec).title('sv')} per {name} ({period}); "
        f"{len(shown)} av {int((figs['level'] == level).sum())} områden har ett visat värde. "
        "Små områden har få fall: läs intervallen i tabellen i Excel-filen.",
        f"Where in the municipality: {small_spec(spec).title('en')} per {name} ({period}); "
        f"{len(shown)} of {int((figs['level'] == level).sum())} areas have a shown value. "
        "Small areas have few cases: read the intervals in the Excel file's table."))
    frame = figs[["name", "display", "ci_low", "ci_high", "note"]].copy()
    frame.columns = [ctx.tr("Område", "Area"), ctx.tr("Värde", "Value"),
                     ctx.tr("95 % KI, från", "95% CI, from"), ctx.tr("95 % KI, till", "95% CI, to"),
                     ctx.tr("Anmärkning", "Note")]
    frame[frame.columns[1]] = [ctx.display(v) for v in frame[frame.columns[1]]]
    title = ctx.tr(f"Karta per {name}: {ctx.area_name}", f"Map per {name}: {ctx.area_name}")
    table = ctx.table(f"{title}, {period}", frame, note=ctx.suppression_note())
    source = figs["source"].replace("", None).dropna()
    caption = " ".join([f"{ctx.tr('Källa', 'Source')}: {ctx.display(source.iloc[0]) if len(source) else '–'}.",
                        f"{ctx.tr('Period', 'Period')} {period}.", ctx.suppression_note()])
    return Figure(title, png, caption, table=table)


def police_points(ctx: Context, paras: list[str]) -> Figure | None:
    """Violent offences of the extract as points: only in the police's own report."""
    if ctx.audience != "police":
        return None
    period = _period(ctx)
    if period is None:
        return None
    inc = ctx.frames.incidents
    areas = ctx.kommun_ids() if ctx.is_county else [ctx.area_id]
    level = ctx.taxonomy.level_of(inc["category"])
    keep = (inc["area_id"].astype(str).isin(areas) & (inc["year"].astype("string") == period)
            & (inc["precision"].astype("string") == "point") & level.isin([2, 3])
            & inc["x"].notna() & inc["y"].notna()).to_numpy(dtype=bool)
    if not keep.any():
        return None
    points = gpd.GeoDataFrame({"level": level[keep].to_numpy()},
                              geometry=incident_points(inc[keep]).values, crs=schema.CRS_STORE)
    outline = ctx.kommuner() if ctx.is_county else \
        ctx.frames.kommuner[ctx.frames.kommuner["area_id"] == ctx.area_id]
    titles = {lv.level: lv.title_en if ctx.en else lv.title_sv for lv in ctx.taxonomy.levels}
    source = ctx.display(ctx.frames.source_label(inc["source"].unique().tolist()))
    title = ctx.tr(f"Brottsplatser i polisens utdrag, {ctx.area_name} {period} – endast polisen",
                   f"Offence locations in the police extract, {ctx.area_name} {period} – "
                   "police only")
    foot = ctx.tr(f"Källa: {source}. Punktuppgifter: får inte spridas utanför polisen och "
                  "samverkansgruppen.",
                  f"Source: {ctx.display(source)}. Point data: not for distribution beyond the "
                  "police and the joint working group.")
    png = ctx.draw(points_png, outline, points, title=title, foot=foot, labels=titles,
                   lang=ctx.lang)
    ctx._memo["point_data"] = f"police: {int(keep.sum())} points"
    paras.append(ctx.tr(
        f"Brottsplatser ({int(keep.sum())} våldsbrott med läge i polisens utdrag {period}) "
        "visas som punkter i polisens version av rapporten.",
        f"Offence locations ({int(keep.sum())} violent offences with a position in the police "
        f"extract, {period}) are shown as points in the police's version of the report."))
    return Figure(title, png, foot)
