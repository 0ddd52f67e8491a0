"""Jämförelse: the county's kommuner side by side for one indicator, with county and median."""

from __future__ import annotations


import altair as alt
import pandas as pd
import streamlit as st

from lagesbild.analysis.compare import comparison, in_county
from lagesbild.analysis.survey_pooling import pooled_periods, window_label
from lagesbild.analysis.references import (
    BAND_LABELS,
    band_flags,
    band_positions,
    reference_band,
    similar_municipalities,
)
from lagesbild.core.errors import LagesbildError
from lagesbild.core.layers import LayerSpec
from lagesbild.core.settings import Settings
from lagesbild.core.taxonomy import Taxonomy
from lagesbild.ui import cited, common, grade_ui, overview_section, period_ui, release_guard
from lagesbild.ui import shown as fmt

SEXES = ("T", "K", "M")


def _chart(table: pd.DataFrame, county: float | None, median: float | None, lang: str,
           unit: str, band: dict[str, object], national: float | None = None) -> alt.LayerChart:
    shown = table.dropna(subset=["value"])
    order = list(shown.sort_values("value", ascending=False)["name"])
    base = alt.Chart(shown).encode(y=alt.Y("name:N", sort=order, title=None))
    layers: list[alt.Chart] = []
    if band.get("p25") is not None and band.get("p75") is not None:
        layers.append(alt.Chart(pd.DataFrame([{"p25": band["p25"], "p75": band["p75"],
                                                "label": common.t("band", lang)}]))
                      .mark_rect(color="#9ecae1", opacity=0.35)
                      .encode(x="p25:Q", x2="p75:Q",
                              tooltip=[alt.Tooltip("label:N", title="")]))
    bars = base.mark_bar(color="#c2553f").encode(
        x=alt.X("value:Q", title=unit),
        tooltip=[alt.Tooltip("name:N", title=common.t("area", lang)),
                 alt.Tooltip("display:N", title=common.t("value", lang))])
    errors = base.mark_rule(color="#222").encode(x="ci_low:Q", x2="ci_high:Q")
    layers += [bars, errors]
    refs = pd.DataFrame([
        {"label": common.t("county_value", lang), "value": county},
        {"label": common.t("median", lang), "value": median},
        {"label": common.t("national_value", lang), "value": national}]).dropna()
    if len(refs):
        colors = {common.t("county_value", lang): "#2166ac", common.t("median", lang): "#5aae61",
                  common.t("national_value", lang): "#762a83"}
        layers.append(alt.Chart(refs).mark_rule(strokeDash=[5, 3], size=2).encode(
            x="value:Q", color=alt.Color("label:N", title=None, scale=alt.Scale(
                domain=list(refs["label"]), range=[colors[x] for x in refs["label"]]))))
    return alt.layer(*layers).properties(height=max(260, 26 * len(shown)))


def _ranks(ranks: pd.Series) -> list[str]:
    """Ranks as the table shows them: "–" for an area without a rank (hidden or missing)."""
    return ["–" if pd.isna(r) else str(int(r)) for r in ranks]


def _small_multiples(series: pd.DataFrame, lang: str, unit: str) -> alt.FacetChart:
    """One small chart per kommun: value and interval over the periods (hidden periods blank)."""
    data = series[series["level"] == "kommun"].dropna(subset=["value"])
    base = alt.Chart(data).encode(x=alt.X("period:O", title=None))
    band = base.mark_area(opacity=0.25, color="#c2553f").encode(
        y=alt.Y("ci_low:Q", title=unit), y2="ci_high:Q")
    line = base.mark_line(point=True, color="#c2553f").encode(
        y="value:Q", tooltip=[alt.Tooltip("name:N", title=common.t("area", lang)),
                              alt.Tooltip("period:O", title=common.t("period", lang)),
                              alt.Tooltip("display:N", title=common.t("value", lang))])
    return alt.layer(band, line, data=data).properties(width=150, height=90).facet(
        facet=alt.Facet("name:N", title=None), columns=4)


def _spec_of(chart: alt.TopLevelMixin) -> dict | alt.TopLevelMixin:
    """The Vega-Lite spec st.altair_chart makes of `chart` (its private converter, so that the
    spec can be cached: Altair validates a spec against the schema on every conversion)."""
    try:
        from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec
    except ImportError:  # another Streamlit: draw the chart itself
        return chart
    return _convert_altair_to_vega_lite_spec(chart)


def _draw(spec: dict | alt.TopLevelMixin, width: str) -> None:
    """Draw the chart with numbers on its axes written the interface language's way."""
    lang = fmt.lang()
    if isinstance(spec, dict):  # the spec is consumed while it is sent: send a copy
        st.vega_lite_chart(spec=fmt.vega({**spec, "datasets": dict(spec.get("datasets", {}))},
                                           lang), width=width)
    else:
        st.altair_chart(spec.configure(locale={"number": fmt.NUMBER_LOCALE[lang]}),  # type: ignore[union-attr]
                        width=width)


@st.cache_data(max_entries=256, show_spinner=False, hash_funcs=common.FAST_HASH)
def _comparison(key: str, path: str, spec: LayerSpec, period: str, sex: str,
                available: tuple[str, ...], taxonomy: Taxonomy, settings: Settings,
                lang: str, county: str | None = None, pooled: bool = False) -> dict:
    """Everything the page shows for one indicator, period and sex (not the similar kommuner);
    `county`: only that län's kommuner (a workspace of several län); `pooled`: the survey
    shares of the three years ending with `period` (`survey_pooling`), ranked instead."""
    t = lambda k: common.t(k, lang)  # noqa: E731

    def chosen(frame: pd.DataFrame) -> pd.DataFrame:
        return frame if county is None else in_county(frame, county)

    withdrawn = ""
    if pooled:  # no national figure is pooled: the band is the county's
        from lagesbild.analysis.survey_pooling import pooled_figures, withdrawn_counties

        frames = common.frames_for(key, path)
        figures = chosen(pooled_figures(frames, spec.indicator or "", end=period, sex=sex,
                                        settings=settings))
        nat = None
        gone = [c for c in withdrawn_counties(frames, spec.indicator or "", end=period,
                                              settings=settings)
                if county is None or c == str(county)[:2]]
        names = {str(a)[:2]: n for a, n in zip(frames.lan["area_id"], frames.lan["name"])}
        if gone:
            withdrawn = t("pooled_withdrawn").format(
                names=", ".join(names.get(c, c) for c in gone)) + " "
    else:
        figures = chosen(common._figures(key, path, spec, period, sex, taxonomy, settings))
        nat = common._national(key, path, spec, period, sex, taxonomy, settings, lang)
    result = comparison(figures)
    lan = common.frames_for(key, path).lan["area_id"].astype(str).tolist()
    one = county if county is not None else lan[0] if len(lan) == 1 else None
    band = reference_band(figures, county_id=one, national=None if nat is None else nat["value"])
    unit = "%" if spec.unit == "percent" else t("rate")
    citing = cited.citation_for(key, path, lang, settings)  # sources named by publisher
    national_text = "" if nat is None else (
        f"{t('national_value')}: {nat['display']} ({t('source').lower()}: "
        f"{citing.cite(nat['source'])}; {nat['note']}). ")
    labels = BAND_LABELS[lang]
    positions = band_positions(result.table, band)
    flags = band_flags(positions, settings.confidence)
    table = pd.DataFrame({
        "#": _ranks(result.table["rank"]),
        t("area"): result.table["name"],
        t("value"): result.table["display"],
        t("interval"): [
            # Swedish, as the analysis writes: common.table translates the table once
            "" if pd.isna(lo) else f"{fmt.number(lo, 1)}–{fmt.number(hi, 1)}"
            for lo, hi in zip(result.table["ci_low"], result.table["ci_high"])],
        t("band" if one is not None else "band_all"): [labels.get(p or "", "") for p in positions],
        t("source"): [citing.cite(s) for s in result.table["source"]],
    })
    if pooled:  # the pooled windows over time ("2020–2022 sammantaget" … up to the period)
        from lagesbild.analysis.survey_pooling import pooled_figures, pooled_periods

        frames = common.frames_for(key, path)
        ends = [e for e in pooled_periods(frames, spec.indicator or "") if e <= period]
        series = pd.concat([chosen(pooled_figures(frames, spec.indicator or "", end=e, sex=sex,
                                                  settings=settings)).assign(
            period=window_label(e)) for e in ends], ignore_index=True)
    else:
        series = pd.concat([chosen(common._figures(key, path, spec, p, sex, taxonomy, settings))
                            for p in available], ignore_index=True)
    county_note = _county_note(figures) if spec.kind == "indicator" else ""
    return {
        "county_note": f"{t('county_note')}: {county_note}." if county_note else "",
        "chart": _spec_of(_chart(result.table.assign(display=[  # tooltips in the language
            fmt.text(d, lang) for d in result.table["display"]]), result.county, result.median, lang, unit, band,
                                 national=band["national"])),  # type: ignore[arg-type]
        "caption": (f"{spec.title(lang)}, {period}. " if spec.grade else "")
        + (t("pooled_note").format(span=window_label(period)) + " " if pooled
                    else "") + withdrawn + national_text + str(band["note_en" if lang == "en" else "note_sv"]) + " "
        + str(flags["note_en" if lang == "en" else "note_sv"]),
        "table": table, "display": figures[["area_id", "display"]],
        "files": citing.files(*([] if nat is None else [nat["source"]]),
                              *result.table["source"].drop_duplicates()),
        "small": _spec_of(_small_multiples(series, lang, unit)),
        # a chart without bars has an axis of zeros ("0.000000"): the page says why instead
        "has_values": bool(result.table["value"].notna().any()),
        "has_series": bool(series.loc[series["level"] == "kommun", "value"].notna().any()),
    }


@st.cache_data(max_entries=128, show_spinner=False, hash_funcs=common.FAST_HASH)
def _similar_to(key: str, path: str, area_id: str, chosen: tuple[str, ...],
                specs: tuple[LayerSpec, ...], taxonomy: Taxonomy, settings: Settings, sex: str
                ) -> tuple[pd.DataFrame, dict[str, str]] | str:
    """Similar kommuner and their note in both languages, or the reason there are none."""
    try:
        similar = similar_municipalities(common.frames_for(key, path), area_id,
                                         indicators=list(chosen),
                                         layers={s.id: s for s in specs}, taxonomy=taxonomy,
                                         settings=settings, sex=sex)
    except LagesbildError as exc:
        return str(exc)
    return similar.table, {lang: similar.note(lang) for lang in ("sv", "en")}


def _similar(ctx: common.Context, specs: dict[str, LayerSpec], spec: LayerSpec, period: str,
             sex: str, display: pd.DataFrame) -> tuple[str, tuple[str, ...]]:
    """Similar kommuner (SKR kommungrupp, else nearest on chosen indicators) and their values."""
    st.subheader(ctx.t("similar"))
    c1, c2 = st.columns([1, 2])
    area_id = c1.selectbox(ctx.t("area"), common.kommun_options(ctx), key="cmp_similar_area",
                           format_func=common.area_name(ctx))
    usable = [i for i, s in specs.items() if s.kind != "coverage"]
    chosen = c2.multiselect(ctx.t("similar_on"), usable, default=[spec.id] if spec.id in usable
                            else usable[:1], key="cmp_similar_on", placeholder=ctx.t("choose"),
                            format_func=lambda i: specs[i].title(ctx.lang))
    _, taxonomy, _ = common.specs(ctx)
    found = _similar_to(ctx.key, ctx.location, area_id, tuple(chosen),
                        tuple(specs.values()), taxonomy, ctx.settings, sex)
    if isinstance(found, str):
        st.info(found)
        return area_id, tuple(chosen)
    table, notes = found
    shown = table.merge(display, on="area_id", how="left")
    common.table(pd.DataFrame({
        "#": _ranks(shown["rank"]), ctx.t("area"): shown["name"],
        f"{spec.title(ctx.lang)} ({period})": shown["display"].fillna("–"),
        ctx.t("distance"): shown["distance"].map(
            lambda d: "" if pd.isna(d) else fmt.number(d, 2)),
    }))
    st.caption(notes[ctx.lang])
    return area_id, tuple(chosen)


def _plan(ctx: common.Context, specs: dict[str, LayerSpec], layer_id: str, period: str,
          sex: str, similar: tuple[str, tuple[str, ...]]):  # noqa: ANN202 - warming jobs
    """The comparisons one change away (sex, period, indicator), then the rest of the
    indicator's; the similar kommuner of the chosen kommun for the other sexes."""
    _, taxonomy, _ = common.specs(ctx)
    path = ctx.location
    for who in SEXES:
        yield ("similar", similar, who), lambda who=who: _similar_to(
            ctx.key, path, *similar, tuple(specs.values()), taxonomy, ctx.settings, who)
    states = [(layer_id, period, s) for s in SEXES]
    available = {i: tuple(common.layer_periods(ctx, s)) for i, s in specs.items()}
    states += [(layer_id, p, sex) for p in available[layer_id]]
    states += [(i, period if period in available[i]
                else period_ui.default(ctx, specs[i], available[i]), sex)
               for i in specs if available[i]]
    states += [(layer_id, p, s) for p in available[layer_id] for s in SEXES]
    for state in dict.fromkeys(states):
        layer, when, who = state
        yield ("cmp", ctx.lang, state), lambda layer=layer, when=when, who=who: _comparison(
            ctx.key, path, specs[layer], when, who, available[layer], taxonomy, ctx.settings,
            ctx.lang)


@st.cache_data(max_entries=16, show_spinner=False)
def _pooled_ends(key: str, path: str, indicator_id: str) -> list[str]:
    return pooled_periods(common.frames_for(key, path), indicator_id)


def _pooled_toggle(ctx: common.Context, column: object, spec: LayerSpec,
                   available: list[str]) -> tuple[bool, list[str]]:
    """The toggle "3 år sammantaget" for a survey indicator: (on, the periods to choose from:
    the end years of complete three-year windows when on)."""
    if spec.kind != "indicator" or spec.grade:  # windows are pooled for all grades only
        return False, available
    ends = _pooled_ends(ctx.key, ctx.location, spec.indicator or "")
    on = column.toggle(ctx.t("pooled_toggle"), key="cmp_pooled",  # type: ignore[attr-defined]
                       disabled=not ends, help=ctx.t("pooled_help" if ends else "pooled_none"))
    return (True, ends) if on and ends else (False, available)


grade_choice = grade_ui.grade_choice  # the school grade of a survey layer (Karta too)


def _county_note(figures: pd.DataFrame) -> str:
    """What the county value holds ("länsvärde: … (3 av 15 kommuner)", or the source's own)."""
    lan = figures[figures["level"] == "lan"]
    notes = [str(n) for n in lan.get("note", pd.Series(dtype=str)).dropna() if str(n)]
    return "; ".join(dict.fromkeys(notes))


def render(ctx: common.Context) -> None:
    st.title(ctx.t("page_compare"))
    if not common.require_workspace(ctx):
        return
    specs, taxonomy, _ = common.specs(ctx)
    c1, c2, c3 = st.columns([3, 1, 1])
    layer_id = c1.selectbox(ctx.t("indicator"), list(specs), key="cmp_layer",
                            format_func=lambda i: specs[i].title(ctx.lang))
    spec = grade_choice(ctx, c1, specs[layer_id], "cmp_grade")
    available = common.layer_periods(ctx, spec)
    if not available:
        st.info(ctx.t("no_data"))
        return
    pooled, choices = _pooled_toggle(ctx, c1, spec, available)
    period_ui.keep_or_default(ctx, "cmp_period", spec, choices)
    period = c2.selectbox(ctx.t("period"), choices, key="cmp_period",
                          format_func=lambda p: ctx.t("pooled_period", span=window_label(p))
                          if pooled else common.period_label(ctx, spec, p))
    release_guard.guard(ctx, period)
    sex = period_ui.sex_radio(ctx, c3, spec, period, "cmp_sex")
    if partial := period_ui.note(ctx, spec, choices, period):
        st.caption(partial)
    counties = common.frames(ctx).lan["area_id"].astype(str).tolist()
    county = None
    if len(counties) > 1:  # a national workspace: one län, or every kommun of the country
        names = dict(zip(common.frames(ctx).lan["area_id"].astype(str),
                         common.frames(ctx).lan["name"].astype(str)))
        county = st.selectbox(ctx.t("county_choice"), [None, *sorted(counties)], key="cmp_county",
                              format_func=lambda c: ctx.t("all_counties") if c is None
                              else names.get(c, c))
    shown = _comparison(ctx.key, ctx.location, spec, period, sex, tuple(available),
                        taxonomy, ctx.settings, ctx.lang, county, pooled)
    if shown["has_values"]:
        _draw(shown["chart"], "stretch")
    else:
        st.info(ctx.t("no_chart_values"))
    st.caption(fmt.text(shown["caption"], ctx.lang) + " " + ctx.suppression_note(),
               help=ctx.t("source_files", files="  \n".join(fmt.text(f, ctx.lang)
                                                            for f in shown["files"]))
               if shown["files"] else None)
    if shown["county_note"]:
        st.caption(fmt.text(shown["county_note"], ctx.lang))
    common.table(shown["table"])
    similar = _similar(ctx, specs, spec, ctx.t("pooled_period", span=window_label(period))
                       if pooled else period, sex, shown["display"])
    st.subheader(ctx.t("over_time"))
    if shown["has_series"]:
        _draw(shown["small"], "content")
    else:
        st.info(ctx.t("no_chart_values"))
    st.caption(ctx.t("over_time_note"))
    overview_section.render(ctx, specs, taxonomy, period, sex, county)
    common.warm(ctx, lambda: _plan(ctx, specs, layer_id, period, sex, similar))


if __name__ == "__main__":  # run as a page by st.navigation
    render(common.context())
