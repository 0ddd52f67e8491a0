"""Jämförelse: the county's kommuner side by side for one indicator, with county and median."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from lagesbild.analysis.compare import comparison
from lagesbild.analysis.references import (BAND_LABELS, band_position, reference_band,
                                           similar_municipalities)
from lagesbild.errors import LagesbildError
from lagesbild.frames import Frames
from lagesbild.layers import LayerSpec
from lagesbild.analysis.figures import periods
from lagesbild.i18n import sex_label
from lagesbild.ui import common


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


def _similar(ctx: common.Context, frames: Frames, specs: dict[str, LayerSpec], spec: LayerSpec,
             period: str, sex: str, figures: pd.DataFrame) -> None:
    """Similar kommuner (SKR kommungrupp, else nearest on chosen indicators) and their values."""
    st.subheader(ctx.t("similar"))
    kommuner = frames.kommuner.sort_values("name")
    c1, c2 = st.columns([1, 2])
    area_id = c1.selectbox(ctx.t("area"), list(kommuner["area_id"]), key="cmp_similar_area",
                           format_func=frames.area_name)
    usable = [i for i, s in specs.items() if s.kind != "coverage"]
    chosen = c2.multiselect(ctx.t("similar_on"), usable, default=[spec.id] if spec.id in usable
                            else usable[:1], key="cmp_similar_on",
                            format_func=lambda i: specs[i].title(ctx.lang))
    _, taxonomy, _ = common.specs(ctx)
    try:
        similar = similar_municipalities(frames, area_id, indicators=chosen, layers=specs,
                                         taxonomy=taxonomy, settings=ctx.settings, sex=sex)
    except LagesbildError as exc:
        st.info(str(exc))
        return
    shown = similar.table.merge(figures[["area_id", "display"]], on="area_id", how="left")
    common.table(pd.DataFrame({
        "#": shown["rank"], ctx.t("area"): shown["name"],
        f"{spec.title(ctx.lang)} ({period})": shown["display"].fillna("–"),
        ctx.t("distance"): shown["distance"].map(
            lambda d: "" if pd.isna(d) else f"{d:.2f}".replace(".", ",")),
    }))
    st.caption(similar.note(ctx.lang))


def render(ctx: common.Context) -> None:
    st.title(ctx.t("page_compare"))
    if not common.require_workspace(ctx):
        return
    frames = common.frames(ctx)
    specs, _, _ = common.specs(ctx)
    c1, c2, c3 = st.columns([3, 1, 1])
    layer_id = c1.selectbox(ctx.t("indicator"), list(specs), key="cmp_layer",
                            format_func=lambda i: specs[i].title(ctx.lang))
    spec = specs[layer_id]
    available = periods(frames, spec)
    if not available:
        st.info(ctx.t("no_data"))
        return
    if st.session_state.get("cmp_period") not in available:
        st.session_state["cmp_period"] = available[-1]
    period = c2.selectbox(ctx.t("period"), available, key="cmp_period")
    sex = c3.radio(ctx.t("sex"), common.sex_options(), key="cmp_sex", horizontal=True,
                   format_func=lambda s: sex_label(s, ctx.lang))
    figures = common.figures(ctx, spec, period, sex)
    result = comparison(figures)
    lan = frames.lan["area_id"].astype(str).tolist()
    nat = common.national(ctx, spec, period, sex)
    band = reference_band(figures, county_id=lan[0] if len(lan) == 1 else None,
                          national=None if nat is None else nat["value"])
    unit = "%" if spec.unit == "percent" else ctx.t("rate")
    st.altair_chart(_chart(result.table, result.county, result.median, ctx.lang, unit, band,
                           national=band["national"]), width="stretch")  # type: ignore[arg-type]
    national_text = "" if nat is None else (
        f"{ctx.t('national_value')}: {nat['display']} ({ctx.t('source').lower()}: "
        f"{nat['source']}; {nat['note']}). ")
    st.caption(national_text + str(band["note_en" if ctx.lang == "en" else "note_sv"]) + " "
               + ctx.suppression_note())
    labels = BAND_LABELS[ctx.lang]
    common.table(pd.DataFrame({
        "#": result.table["rank"],
        ctx.t("area"): result.table["name"],
        ctx.t("value"): result.table["display"],
        ctx.t("interval"): [
            "" if pd.isna(lo) else f"{lo:.1f}–{hi:.1f}".replace(".", ",")
            for lo, hi in zip(result.table["ci_low"], result.table["ci_high"])],
        ctx.t("band"): [labels.get(band_position(v, band) or "", "")
                        for v in result.table["value"]],
        ctx.t("source"): result.table["source"],
    }))
    _similar(ctx, frames, specs, spec, period, sex, figures)
    st.subheader(ctx.t("over_time"))
    series = pd.concat([common.figures(ctx, spec, p, sex) for p in available], ignore_index=True)
    st.altair_chart(_small_multiples(series, ctx.lang, unit), width="content")
    st.caption(ctx.t("over_time_note"))


if __name__ == "__main__":  # run as a page by st.navigation
    render(common.context())
