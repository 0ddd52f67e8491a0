"""Karta: choropleth of any layer by period and sex, school sites, and a kommun detail panel."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from lagesbild.analysis.coverage import site_status
from lagesbild.analysis.figures import periods
from lagesbild.analysis.map_views import available_views, view_periods, view_title
from lagesbild.analysis.small_areas import level_name, small_levels, supports
from lagesbild.frames import Frames
from lagesbild.i18n import sex_label
from lagesbild.layers import LayerSpec
from lagesbild.render.assets import use_static
from lagesbild.render.map import view_map
from lagesbild.ui import common, small_map
from lagesbild.ui.views import detail_table, overview_table


def _overview(ctx: common.Context, frames: Frames, specs: dict[str, LayerSpec], area_id: str
              ) -> pd.DataFrame:
    """Every layer's latest period, totals, for the kommun and its county."""
    rows = []
    for spec in specs.values():
        available = periods(frames, spec)
        if not available:
            continue
        figs = common.figures(ctx, spec, available[-1], "T")
        mine = figs[figs["area_id"] == area_id]
        county = figs[figs["level"] == "lan"]
        rows.append({"layer": spec.title(ctx.lang), "period": available[-1],
                     "value": mine["display"].iloc[0] if len(mine) else "–",
                     "county": county["display"].iloc[0] if len(county) else "–"})
    return pd.DataFrame(rows, columns=["layer", "period", "value", "county"])


def render(ctx: common.Context) -> None:
    st.title(ctx.t("page_map"))
    if not common.require_workspace(ctx):
        return
    frames = common.frames(ctx)
    specs, _, _ = common.specs(ctx)
    c1, c2, c3 = st.columns([3, 1, 1])
    layer_id = c1.selectbox(ctx.t("layer"), list(specs), key="map_layer",
                            format_func=lambda i: specs[i].title(ctx.lang))
    spec = specs[layer_id]
    levels = ["kommun", *[lv for lv in small_levels(frames) if supports(spec, frames, lv)]]
    if st.session_state.get("map_level") not in levels:
        st.session_state["map_level"] = "kommun"
    if len(levels) > 1:
        l1, l2 = st.columns([1, 2])
        level = l1.selectbox(ctx.t("area_level"), levels, key="map_level",
                             format_func=lambda lv: ctx.t("kommuner") if lv == "kommun"
                             else level_name(lv, ctx.lang))
        if level != "kommun":
            small_map.render(ctx, frames, spec, level, l2)
            return
    views = available_views(spec)
    if st.session_state.get("map_view") not in views:
        st.session_state["map_view"] = "value"
    v1, v2 = st.columns([3, 2])
    view_id = v1.selectbox(ctx.t("view"), views, key="map_view",
                           format_func=lambda v: view_title(v, ctx.lang))
    available = view_periods(frames, spec, view_id)
    if not available:
        st.info(ctx.t("no_view_data"))
        return
    if st.session_state.get("map_period") not in available:
        st.session_state["map_period"] = available[-1]
    period = c2.selectbox(ctx.t("period"), available, key="map_period")
    sex = c3.radio(ctx.t("sex"), common.sex_options(), key="map_sex", horizontal=True,
                   format_func=lambda s: sex_label(s, ctx.lang))
    show_sites = v2.toggle(ctx.t("show_sites"), value=True, key="map_sites")
    shown = common.view(ctx, spec, view_id, period, sex)
    figures = common.figures(ctx, spec, period, sex)
    sites = None
    if show_sites and len(frames.sites):
        terms = periods(frames, specs.get("mvp_tackning", spec)) if spec.kind != "coverage" else [period]
        term = period if spec.kind == "coverage" else (terms[-1] if terms else "")
        sites = site_status(frames, period=term)
    m = use_static(view_map(shown, common.geometry(ctx), spec, lang=ctx.lang, sites=sites))
    left, right = st.columns([3, 2])
    with left:
        state = st_folium(m, key="map", height=560, use_container_width=True,
                          returned_objects=["last_active_drawing"])
        st.caption(ctx.t("click_hint") + " " + ctx.suppression_note())
    clicked = (state or {}).get("last_active_drawing") or {}
    area_id = (clicked.get("properties") or {}).get("area_id")
    with right:
        st.subheader(ctx.t("detail"))
        kommuner = frames.kommuner.sort_values("name")
        options = list(kommuner["area_id"])
        # follow a new click only: the last clicked feature is returned on every rerun
        if area_id in options and area_id != st.session_state.get("map_clicked"):
            st.session_state["map_area"] = area_id
        st.session_state["map_clicked"] = area_id
        chosen = st.selectbox(ctx.t("area"), options, key="map_area",
                              format_func=lambda a: frames.area_name(a))
        rows = [common.figures(ctx, spec, period, s) for s in ("K", "M", "T")]
        detail = pd.concat(rows)
        lan_ids = set(frames.lan["area_id"])
        detail = detail[(detail["area_id"] == chosen) | detail["area_id"].isin(lan_ids)]
        detail_table(detail, ctx.lang)
        source = figures.loc[figures["area_id"] == chosen, "source"]
        if len(source):
            st.caption(f"{ctx.t('source')}: {source.iloc[0]}")
    st.markdown(f"**{frames.area_name(chosen)}: {ctx.t('overview').lower()}**")
    overview_table(_overview(ctx, frames, specs, chosen), ctx.lang)


if __name__ == "__main__":  # run as a page by st.navigation
    render(common.context())
