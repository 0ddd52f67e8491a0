"""Build the meeting pack's content (`model.Report`) for one area and period.

The sections follow the law (2023:196) and Brå's method: kartläggning (pyramid; per layer a
map, the trend and the comparison of the county's kommuner), analys (the user's notes and
changes beyond chance), förebyggande arbete (programme coverage, coverage against need),
åtgärder (actions by focus area, local goals) and källor (provenance, disclosure, caveats).

Every figure and table comes from protected figures (`layer_figures` and the views on it):
the writers only lay out what is here, so every format shows the same cells. No incident
point is ever used: the maps are per kommun, and the only points drawn on the interactive maps
are schools and youth centres (public places).

    report = build_report(frames, specs, taxonomy, settings, area_id="2417", period="2024",
                          notes=notes, goals=goals, audience="wide")
"""

from __future__ import annotations

import dataclasses

from datetime import date

import pandas as pd

from lagesbild.analysis.compare import comparison
from lagesbild.analysis.darkfigure import load_indicator_meta
from lagesbild.analysis.map_views import MapView
from lagesbild.analysis.pyramid_view import count_periods, pyramid_view
from lagesbild.analysis.references import (
    BAND_LABELS,
    band_flags,
    band_position,
    band_positions,
    reference_band,
)
from lagesbild.core.frames import Frames
from lagesbild.core.i18n import t
from lagesbild.core.layers import LayerSpec, wide_only
from lagesbild.core.settings import Settings
from lagesbild.core.taxonomy import ALL, Taxonomy
from lagesbild.render import static
from lagesbild.report import (build_age, build_crime, build_detail, build_overview, build_pooled,
                              build_when)
from lagesbild.report import build_findings as findings
from lagesbild.report import build_sections as sections
from lagesbild.report.build_checks import (check_arguments, refuse_a_disclosing_release,
                                           report_meta)
from lagesbild.report.build_summary import plan_tables, sammanfattning
from lagesbild.report.build_trainings import with_trainings
from lagesbild.report.build_context import (
    LAN,
    Context,
    area_value,
    count_cell,
    paragraphs,
    pick_period,
    rounded,
)
from lagesbild.report.model import Figure, Report, Section, Table

__all__ = ["build_report"]


def build_report(frames: Frames, specs: dict[str, LayerSpec], taxonomy: Taxonomy,
                 settings: Settings, *, area_id: str, period: str,
                 notes: dict[str, str] | None = None, goals: dict[str, str] | None = None,
                 audience: str = "wide", lang: str = "sv", created: date | None = None,
                 layers: list[str] | None = None, snapshot: str | None = None,
                 assessment: tuple[list, dict] | None = None,
                 images: bool = True) -> Report:
    """The report for `area_id` (a kommun, or a län for Länsstyrelsen) and `period`.

    `notes` holds the user's analysis text per section key (`schema.SECTION_KEYS`), `goals` the
    local goal per focus area (`schema.FOCUS_AREAS`). `layers` limits the map layers (default:
    every layer with data; each at `period`, or its latest period containing it, or its
    latest). `audience` "wide" (beyond the police) or "police"; `snapshot` names the snapshot
    (id and checksum) the figures come from; `assessment` the chosen findings and their cause
    analysis (`store.assessment.read_assessment`), which open the report (else the drafts).
    `images=False` draws no image and no interactive map (the figures keep their tables): for
    the Excel workbook, which shows tables only.
    """
    notes, goals, chosen = check_arguments(frames, specs, area_id=area_id, notes=notes,
                                           goals=goals, audience=audience, lang=lang,
                                           layers=layers)
    if audience == "wide":
        specs = wide_only(specs)
        refuse_a_disclosing_release(frames, specs, taxonomy, settings, str(period),
                                     str(area_id))
    ctx = Context(frames, specs, taxonomy, settings, str(area_id), str(period), lang, audience,
                  tuple(chosen), images)
    built = all_sections(ctx, kartlaggning, notes, goals, assessment, snapshot)
    title = ctx.tr(f"Lägesbild våld och trygghet: {ctx.area_name} {period}",
                   f"Situation picture, violence and safety: {ctx.area_name} {period}")
    labels = list(dict.fromkeys(ctx.publishers().values()))  # by publisher and table
    meta = report_meta(ctx)
    return Report(title=title, area_id=ctx.area_id, area_name=ctx.area_name, period=str(period),
                  audience=audience, lang=lang, created=created or date.today(),
                  sections=built, sources=tuple(labels), snapshot=snapshot, meta=meta)


def all_sections(ctx: Context, mapping, notes: dict[str, str], goals: dict[str, str],  # noqa: ANN001
                 assessment: tuple[list, dict] | None, snapshot: str | None
                 ) -> tuple[Section, ...]:
    """The report's sections in order; `mapping(ctx, note)` builds the kartläggning."""
    picked, causes = assessment or ([], {})
    return (
        sammanfattning(ctx, notes.get("sammanfattning"), picked, causes),
        mapping(ctx, notes.get("kartlaggning")),
        sections.analys(ctx, notes.get("analys")),
        with_trainings(ctx, sections.forebyggande(ctx, notes.get("forebyggande"))),
        with_plan(ctx, sections.atgarder(ctx, notes.get("atgarder"), goals)),
        sections.kallor(ctx, notes.get("kallor"), snapshot),
    )


def with_plan(ctx: Context, section: Section) -> Section:
    """The actions section with the åtgärdsplan and the uppföljning of its indicators."""
    return dataclasses.replace(section, tables=section.tables + plan_tables(ctx))


# --- kartläggning --------------------------------------------------------------------------

def kartlaggning(ctx: Context, note: str | None) -> Section:
    """The pyramid for the area, then per layer its map, trend and comparison."""
    where = ctx.tr(f"länets {len(ctx.kommun_ids())} kommuner",
                   f"the county's {len(ctx.kommun_ids())} municipalities") if ctx.county_id \
        else ctx.tr("arbetsytans kommuner", "the workspace's municipalities")
    paras = [ctx.tr(
        f"Kartläggning för {ctx.area_name}, {ctx.period}: vad (våldspyramiden och lagren), var "
        f"(kartor över {where}), när (över åren, veckodag och tid på dygnet) och vem (kvinnor och "
        "män). "
        "Värden per 100 000 invånare eller andel i procent, med 95 % konfidensintervall.",
        f"Mapping for {ctx.area_name}, {ctx.period}: what (the violence pyramid and the "
        f"layers), where (maps of {where}), when (over the years, weekday and time of day) and "
        "who (women and men). Values per "
        "100,000 inhabitants or shares in per cent, with 95% confidence intervals."),
        *paragraphs(note)]
    figures: list[Figure] = []
    tables: list[Table] = []
    pyramid = _pyramid(ctx, paras, tables)
    if pyramid is not None:
        figures.append(pyramid)
    build_when.when(ctx, paras, tables)
    build_crime.crime_overview(ctx, paras, tables)
    build_age.age_table(ctx, paras, tables)  # when the extract carries the victims' ages
    build_overview.county_overview(ctx, paras, tables)  # a county's report only
    for extra in (build_detail.small_area_figure(ctx, paras), build_detail.police_points(ctx, paras)):
        if extra is not None:
            figures.append(extra)
    term = ctx.term()  # the programme status of the schools on the interactive maps
    for spec in ctx.chosen():
        period = ctx.layer_period(spec)
        figs = ctx.figures(spec, period, "T")
        paras.append(_layer_text(ctx, spec, period, figs))
        build_pooled.pooled_line(ctx, spec, period, paras, tables)
        figures += [_map(ctx, spec, period, figs, term), _trend(ctx, spec),
                    _ranking(ctx, spec, period, figs)]
    if not ctx.chosen():
        paras.append(ctx.tr("Inget kartlager har data.", "No map layer has data."))
    return sections.section(ctx, "kartlaggning", paras, figures, tables)


def _caption(ctx: Context, sources: str, period: str, extra: str = "") -> str:
    parts = [f"{t('source', ctx.lang)}: {ctx.display(sources) or '–'}.",
             f"{t('period', ctx.lang)} {period}, {ctx.sex('T').lower()}.", extra,
             ctx.suppression_note()]
    return " ".join(p for p in parts if p)


def _sources(values: pd.Series) -> str:
    return "; ".join(dict.fromkeys(str(s) for s in values if isinstance(s, str) and s))


def _layer_text(ctx: Context, spec: LayerSpec, period: str, figs: pd.DataFrame) -> str:
    """"Norsjö: 5,3 per 100 000 (länet 4,1)", women and men, rank and band; or, for the
    county, the county value and the highest and lowest kommun."""
    title = spec.title(ctx.lang).rstrip(".")
    latest = "" if period == ctx.period else ctx.tr(f" (senaste period: {period})",
                                                     f" (latest period: {period})")
    by_sex = [f"{ctx.sex(s).lower()} {area_value(ctx, ctx.figures(spec, period, s), ctx.area_id)}"
              for s in ("K", "M") if spec.kind != "coverage"]  # pupils are not split by sex
    sexes = ("; " + ", ".join(by_sex)) if by_sex else ""
    own = area_value(ctx, figs, ctx.area_id)
    table = comparison(figs).table
    ranked = table[table["rank"].notna()]
    if ctx.is_county:
        nat = ctx.national(spec, period)
        nation = "" if nat is None else f" ({ctx.tr('riket', 'Sweden')} {ctx.display(nat['display'])})"
        text = f"{title}{latest}. {ctx.area_name}: {own}{nation}{sexes}."
        if len(ranked):
            top, low = ranked.iloc[0], ranked.iloc[-1]
            text += ctx.tr(f" Högst bland kommunerna: {top['name']} ({ctx.display(top['display'])}); "
                           f"lägst: {low['name']} ({ctx.display(low['display'])}).",
                           f" Highest among the municipalities: {top['name']} "
                           f"({ctx.display(top['display'])}); lowest: {low['name']} "
                           f"({ctx.display(low['display'])}).")
        return text
    county = area_value(ctx, figs, ctx.county_id)
    nat = ctx.national(spec, period)
    nation = "" if nat is None else f", {ctx.tr('riket', 'Sweden')} {ctx.display(nat['display'])}"
    text = (f"{title}{latest}. {ctx.area_name}: {own} ({ctx.tr('länet', 'county')} {county}"
            f"{nation}){sexes}.")
    mine = table[table["area_id"].astype(str) == ctx.area_id]
    if len(mine) and pd.notna(mine["rank"].iloc[0]):
        band = reference_band(figs, county_id=ctx.county_id)
        position = band_position(mine["value"].iloc[0], band, mine["ci_low"].iloc[0],
                                 mine["ci_high"].iloc[0])
        where = f", {BAND_LABELS[ctx.lang][position]}" if position else ""
        text += ctx.tr(f" Plats {mine['rank'].iloc[0]} av {len(ranked)} i länet (1 = högst){where}.",
                       f" Rank {mine['rank'].iloc[0]} of {len(ranked)} in the county "
                       f"(1 = highest){where}.")
    return text


def _map(ctx: Context, spec: LayerSpec, period: str, figs: pd.DataFrame,
         term: str | None) -> Figure:
    # the same view as map_views.map_view(view="value"), on the memoised county figures
    view = MapView("value", spec.title(ctx.lang), period, figures=figs)
    png = ctx.draw(static.map_png, view, ctx.kommuner(), spec, lang=ctx.lang, sex="T",
                   threshold=ctx.settings.suppress_below, highlight=ctx.highlight)
    when = _part_period(ctx, period, figs["part_year"])
    table = ctx.table(f"{spec.title(ctx.lang)}, {when}", ctx.figure_table(spec, period),
                      source_col=t("source", ctx.lang))
    title = ctx.tr(f"Karta: {spec.title(ctx.lang)}", f"Map: {spec.title(ctx.lang)}")
    return Figure(title, png, _caption(ctx, _sources(figs["source"]), when),
                  html=ctx.map_html(view, spec, term), table=table,
                  finding=findings.position_finding(ctx, spec, period, figs))


def _part_period(ctx: Context, period: str, part_year: pd.Series) -> str:
    """'2024', or '2024 (delår 1 jan–31 mar)' when the extracts cover the year in part."""
    labels = sorted({str(x) for x in part_year.dropna() if str(x)})
    if not labels:
        return str(period)
    days = labels[0] if len(labels) == 1 else ctx.tr("olika för kommunerna", "differs by kommun")
    return ctx.tr(f"{period} (delår {days})", f"{period} (part year {ctx.display(days)})")


def _trend(ctx: Context, spec: LayerSpec) -> Figure:
    found = ctx.periods(spec)
    upto = found[:found.index(ctx.layer_period(spec)) + 1]
    series = pd.concat([ctx.figures(spec, p, "T") for p in upto], ignore_index=True)
    areas = [a for a in dict.fromkeys([ctx.area_id, ctx.county_id]) if a]
    png = ctx.draw(static.trend_png, series, areas, lang=ctx.lang,
                   title=spec.title(ctx.lang), threshold=ctx.settings.suppress_below)
    rows = series[series["area_id"].astype(str).isin(areas)]
    rows = rows.assign(_c=rows["level"] == LAN).sort_values(["_c", "period"], kind="stable")
    frame = pd.DataFrame({
        t("area", ctx.lang): rows["name"].astype(str),
        t("period", ctx.lang): [_part_period(ctx, p, pd.Series([y])) for p, y in
                                zip(rows["period"].astype(str), rows["part_year"])],
        t("value", ctx.lang): [ctx.display(d) for d in rows["display"]],
        ctx.tr("Värde (tal)", "Value (number)"): rounded(rows["value"]),
        ctx.tr("95 % KI, från", "95% CI, from"): rounded(rows["ci_low"]),
        ctx.tr("95 % KI, till", "95% CI, to"): rounded(rows["ci_high"]),
        t("source", ctx.lang): rows["source"].astype(str)})
    span = f"{upto[0]}–{upto[-1]}" if len(upto) > 1 else upto[0]
    title = ctx.tr(f"Över tid: {spec.title(ctx.lang)}", f"Over time: {spec.title(ctx.lang)}")
    table = ctx.table(f"{title}, {span}", frame, note=t("over_time_note", ctx.lang),
                      source_col=t("source", ctx.lang))
    return Figure(title, png, _caption(ctx, _sources(rows["source"]), span,
                                       t("over_time_note", ctx.lang)), table=table,
                  finding=findings.trend_finding(ctx, spec, upto))


def _ranking(ctx: Context, spec: LayerSpec, period: str, figs: pd.DataFrame) -> Figure:
    band = reference_band(figs, county_id=ctx.county_id)
    png = ctx.draw(static.ranking_png, figs, lang=ctx.lang, band=band,
                   title=spec.title(ctx.lang), threshold=ctx.settings.suppress_below,
                   highlight=ctx.highlight, national=ctx.national(spec, period))
    ranked = comparison(figs).table
    labels = BAND_LABELS[ctx.lang]
    positions = band_positions(ranked, band)
    frame = pd.DataFrame({
        "#": pd.to_numeric(ranked["rank"]).astype("Int64"),
        t("area", ctx.lang): [f"{n} ◀" if a == ctx.area_id else n
                              for a, n in zip(ranked["area_id"].astype(str), ranked["name"])],
        t("value", ctx.lang): [ctx.display(d) for d in ranked["display"]],
        ctx.tr("Värde (tal)", "Value (number)"): rounded(ranked["value"]),
        ctx.tr("95 % KI, från", "95% CI, from"): rounded(ranked["ci_low"]),
        ctx.tr("95 % KI, till", "95% CI, to"): rounded(ranked["ci_high"]),
        t("band", ctx.lang): [labels.get(p or "", "") for p in positions],
        t("source", ctx.lang): ranked["source"].astype(str)})
    note = str(band["note_en" if ctx.en else "note_sv"]) + " " + str(
        band_flags(positions, ctx.settings.confidence)["note_en" if ctx.en else "note_sv"])
    county = area_value(ctx, figs, ctx.county_id)
    if ctx.county_id:
        note += ctx.tr(f" Länet: {county}.", f" County: {county}.")
    title = ctx.tr(f"Jämförelse: {spec.title(ctx.lang)}", f"Comparison: {spec.title(ctx.lang)}")
    table = ctx.table(f"{title}, {period}", frame, note=note, source_col=t("source", ctx.lang))
    return Figure(title, png, _caption(ctx, _sources(ranked["source"]), period, note),
                  table=table, finding=findings.position_finding(ctx, spec, period, figs))


def pyramid_source(ctx: Context) -> tuple[str, str | None]:
    """(source, period) of the report's pyramid: reported crime, else the police extract."""
    source, period = "counts", pick_period(count_periods(ctx.frames, "counts"), ctx.period)
    if period is None:
        source, period = "incidents", pick_period(count_periods(ctx.frames, "incidents"),
                                                  ctx.period)
    return source, period


def _pyramid(ctx: Context, paras: list[str], tables: list[Table]) -> Figure | None:
    """The violence pyramid for the area (reported crime, else the police extract)."""
    source, period = pyramid_source(ctx)
    if period is None:
        return None
    meta = load_indicator_meta(ctx.settings)
    view = ctx.cited(pyramid_view(ctx.frames, ctx.taxonomy, meta, area_id=ctx.area_id,
                                  period=period, source=source, settings=ctx.settings))
    png = ctx.draw(static.pyramid_png, view, ctx.taxonomy, lang=ctx.lang, sex="T")
    titles = {lv.level: lv.title_en if ctx.en else lv.title_sv for lv in ctx.taxonomy.levels}
    titles[0] = t("outside", ctx.lang)
    counts = view.counts
    wide = counts.pivot_table(index=["level", "category"], columns="sex", values="display",
                              aggfunc="first", sort=False)
    total = counts[counts["sex"] == "T"].set_index(["level", "category"])
    keys = list(wide.index)
    frame = pd.DataFrame({
        t("level_word", ctx.lang): [titles.get(lv, str(lv)) for lv, _ in keys],
        t("category", ctx.lang): [t("total_row", ctx.lang).upper() if c == ALL else c
                                  for _, c in keys],
        **{f"{t('count', ctx.lang)} ({ctx.sex(s).lower()})": [
            count_cell(wide.loc[k].get(s, "–")) for k in keys] for s in ("K", "M", "T")},
        t("rate", ctx.lang): rounded(total["rate"].reindex(keys), 1).to_numpy(),
        ctx.tr("95 % KI, från", "95% CI, from"): rounded(total["ci_low"].reindex(keys), 1).to_numpy(),
        ctx.tr("95 % KI, till", "95% CI, to"): rounded(total["ci_high"].reindex(keys), 1).to_numpy(),
    })
    for level in ctx.taxonomy.levels:
        row = counts[(counts["level"] == level.level) & (counts["category"] == ALL)]
        if len(row):
            shown = dict(zip(row["sex"], row["display"]))
            paras.append(f"{titles[level.level]}, {ctx.area_name} {period}: " + ", ".join(
                f"{ctx.sex(s).lower()} {shown.get(s, '–')}" for s in ("K", "M", "T")) + ".")
    title = ctx.tr(f"Våldspyramiden: {ctx.area_name}, {period}",
                   f"The violence pyramid: {ctx.area_name}, {period}")
    source_text = t(f"src_{source}", ctx.lang)
    table = ctx.table(title, frame, note=ctx.tr(
        f"Antal per nivå och brottskategori ({source_text}). Källa: {view.source_label}.",
        f"Counts per level and offence category ({source_text}). Source: "
        f"{ctx.display(view.source_label)}."))
    inds = view.indicators
    if len(inds):
        tables.append(ctx.table(ctx.tr(f"Pyramidens enkätindikatorer: {ctx.area_name}, {period}",
                                       f"The pyramid's survey indicators: {ctx.area_name}, {period}"),
                                pd.DataFrame({
            t("level_word", ctx.lang): [titles.get(lv, str(lv)) for lv in inds["level"]],
            t("indicator", ctx.lang): inds["title_en" if ctx.en else "title_sv"].astype(str),
            t("sex", ctx.lang): [ctx.sex(s) for s in inds["sex"]],
            t("value", ctx.lang): [ctx.display(d) for d in inds["display"]],
            ctx.tr("Andel (%)", "Share (%)"): rounded(inds["value"], 1),
            ctx.tr("95 % KI, från", "95% CI, from"): rounded(inds["ci_low"], 1),
            ctx.tr("95 % KI, till", "95% CI, to"): rounded(inds["ci_high"], 1),
            "n": pd.to_numeric(inds["n"]).astype("Int64"),
            t("source", ctx.lang): inds["source"].astype(str)}),
            source_col=t("source", ctx.lang)))
    caption = _caption(ctx, view.source_label, period,
                       f"{t('pyramid_source', ctx.lang)}: {source_text}.")
    return Figure(title, png, caption, table=table)
