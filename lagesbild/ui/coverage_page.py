"""Insatser: programme coverage per kommun and term, and the strategy's actions by focus area."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from lagesbild.ui.folium_payload import metric_scale

from lagesbild.analysis.coverage import actions_by_focus, coverage_by_area
from lagesbild.analysis.map_views import need_view
from lagesbild.analysis.need import DOSE_NOTE, bands_note, labelled
from lagesbild.core.frames import Frames
from lagesbild.core.layers import LayerSpec
from lagesbild.render.assets import use_static
from lagesbild.render.map import view_map
from lagesbild.ui import cited, common, district_section, programme_tables, trainings_section
from lagesbild.ui.shown import view_in
from lagesbild.ui.views import number_text

STATUS_ICONS = {"genomförd": "✅", "pågår": "🔄", "försenad": "⚠️", "ej påbörjad": "⏳"}


def _need(ctx: common.Context, frames: Frames, term: str, programmes: tuple[str, ...]) -> None:
    """Coverage versus need: kommuner with high violence or insecurity and low coverage first."""
    st.subheader(ctx.t("coverage_need"))
    specs, taxonomy, meta = common.specs(ctx)
    usable = [i for i, s in specs.items() if s.kind != "coverage"]
    default = [i for i in ("vald_topp", "otrygghet") if i in usable] or usable[:1]
    need = st.multiselect(ctx.t("need_from"), usable, default=default, key="cov_need", placeholder=ctx.t("choose"),
                          format_func=lambda i: specs[i].title(ctx.lang))
    if not need:
        st.info(ctx.t("need_pick"))
        return
    _bands(ctx)
    ctx = common.context()  # with the bands just set
    view = need_view(frames, _programme_spec(programmes), term=term,
                     need=tuple(need), taxonomy=taxonomy, settings=ctx.settings, lang=ctx.lang,
                     layers=specs)
    table = view.table if view.table is not None else pd.DataFrame()
    left, right = st.columns([3, 2])
    with left:
        m = use_static(view_map(view_in(cited.citation(ctx).cited(view), ctx.lang),
                                common.geometry(ctx), specs[need[0]],
                                lang=ctx.lang))
        st_folium(metric_scale(m), key="cov_map", height=460, use_container_width=True, returned_objects=[])
    with right:
        lang = ctx.lang
        shown = labelled(table[["rank", "name", "need_pct", "coverage_pct", "gap", "status"]]
                         .assign(rank=lambda f: number_text(f["rank"], 0),
                                 need_pct=lambda f: number_text(f["need_pct"], 0),
                                 coverage_pct=lambda f: number_text(f["coverage_pct"], 1),
                                 gap=lambda f: number_text(f["gap"], 0)), lang)
        common.table(shown)
    st.caption(ctx.t("need_note") + " " + bands_note(ctx.settings.coverage_bands, ctx.lang)
               + " " + DOSE_NOTE["en" if ctx.lang == "en" else "sv"])


def _bands(ctx: common.Context) -> None:
    """The coverage limits (låg/medel/hög), set for the session: kept in "coverage_bands",
    which `common.context` reads on every page."""
    low, high = ctx.settings.coverage_bands
    # whole per cents: the number box writes a decimal point ("25.00"), never a Swedish comma
    shown_low, shown_high = round(low), round(high)
    for key, value in (("cov_band_low", shown_low), ("cov_band_high", shown_high)):
        if key not in st.session_state:  # a widget's state goes when another page is shown
            st.session_state[key] = int(value)
    with st.expander(ctx.t("coverage_bands")):
        c1, c2 = st.columns(2)
        new_low = c1.number_input(ctx.t("coverage_low"), min_value=0, max_value=100,
                                  step=5, key="cov_band_low")
        new_high = c2.number_input(ctx.t("coverage_high"), min_value=0, max_value=100,
                                   step=5, key="cov_band_high")
        if new_low >= new_high:
            st.warning(ctx.t("coverage_bands_order"))
        elif (new_low, new_high) != (shown_low, shown_high):  # changed by the user
            st.session_state["coverage_bands"] = (float(new_low), float(new_high))


def _programme_spec(programmes: tuple[str, ...]) -> LayerSpec:
    return LayerSpec(id="programmes", title_sv="Program", title_en="Programmes", kind="coverage",
                     programmes=programmes)


def render(ctx: common.Context) -> None:
    st.title(ctx.t("page_coverage"))
    if not common.require_workspace(ctx):
        return
    frames = common.frames(ctx)
    act = frames.programme_activity
    terms = sorted(act["period"].dropna().unique(), key=lambda p: (p[2:], p[:2] == "HT"))
    programmes = sorted(act["programme"].dropna().unique())
    if terms:
        c1, c2 = st.columns([1, 3])
        if st.session_state.get("cov_term") not in terms:
            st.session_state["cov_term"] = terms[-1]
        term = c1.selectbox(ctx.t("term"), terms, key="cov_term")
        chosen = c2.multiselect(ctx.t("programme"), programmes, default=programmes, key="cov_programmes",
                                placeholder=ctx.t("choose"))
    if terms and not chosen:  # no programme is not every programme
        st.info(ctx.t("programme_pick"))
    elif terms:
        table = coverage_by_area(frames, period=term, programmes=tuple(chosen))
        names = dict(zip(frames.areas["area_id"], frames.areas["name"]))
        en = ctx.lang == "en"

        def whole(values: pd.Series) -> list[str]:  # counts: "14 484", "–" where unknown
            return number_text(values, 0)  # Swedish: common.table translates once

        st.subheader(ctx.t("coverage_table"))
        common.table(pd.DataFrame({
            ctx.t("area"): table["area_id"].map(names),
            "Schools" if en else "Skolor": whole(table["schools"]),
            "Schools reached" if en else "Skolor som nås": whole(table["schools_reached"]),
            "Pupils in target group" if en else "Elever i målgruppen": whole(table["eligible_pupils"]),
            "Pupils reached" if en else "Elever som nåtts": whole(table["pupils_reached"]),
            "Share of pupils (%)" if en else "Andel elever (%)": number_text(
                table["share_pupils"], 1),
            "Classes" if en else "Klasser": whole(table["classes"]),
            "Staff trained" if en else "Utbildad personal": whole(table["staff_trained"]),
            "Staff per 100 pupils reached" if en else "Personal per 100 nådda elever": number_text(
                pd.to_numeric(table["staff_trained"]) * 100
                / pd.to_numeric(table["pupils_reached"]).where(lambda v: v > 0), 1),
        }))
        cited.caption(ctx, table["source"].iloc[0] if len(table) else None)
        programme_tables.warn_missing(ctx, frames, term, tuple(chosen))
        _need(ctx, frames, term, tuple(chosen))
        programme_tables.render(ctx, frames, term, tuple(chosen))
        district_section.render(ctx, frames, term, tuple(chosen))
    trainings_section.render(ctx, frames)
    st.subheader(ctx.t("actions"))
    actions = actions_by_focus(frames, lang=ctx.lang)
    names = dict(zip(frames.areas["area_id"], frames.areas["name"]))
    for focus, group in actions.groupby("focus_title", sort=False):
        with st.expander(f"{focus} ({len(group)})", expanded=True):
            common.table(pd.DataFrame({
                "ID": group["action_id"],
                "Action" if ctx.lang == "en" else "Insats": group["title"],
                "Responsible" if ctx.lang == "en" else "Ansvarig": group["responsible"],
                ctx.t("period"): group["period"],
                "Status": [f"{STATUS_ICONS.get(s, '')} {s}" for s in group["status"]],
                "Municipalities" if ctx.lang == "en" else "Kommuner": [
                    ", ".join(names.get(c, c) for c in str(codes).split(",") if c)
                    for codes in group["area_ids"].fillna("")],
            }))


if __name__ == "__main__":  # run as a page by st.navigation
    render(common.context())
