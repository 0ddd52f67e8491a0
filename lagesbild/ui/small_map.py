"""Karta below the kommun: one kommun's DeSO, RegSO or stadsdelar, rates per 1 000."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from lagesbild.analysis.figures import periods
from lagesbild.analysis.map_views import view_title
from lagesbild.analysis.small_area_views import small_spec, small_views
from lagesbild.analysis.small_areas import kommuner_with
from lagesbild.frames import Frames
from lagesbild.i18n import sex_label
from lagesbild.layers import LayerSpec
from lagesbild.render.assets import use_static
from lagesbild.render.map import view_map
from lagesbild.ui import common


def _fmt(value: object) -> str:
    if value is None or pd.isna(value):
        return ""
    return f"{float(value):,.1f}".replace(",", "\u00a0").replace(".", ",")


def area_table(figures: pd.DataFrame, level: str, lang: str) -> pd.DataFrame:
    """The areas highest first (hidden and missing last), then the kommun for reference."""
    rows = figures[figures["level"] == level].copy()
    rows = rows.sort_values("value", ascending=False, na_position="last", kind="stable")
    rows = pd.concat([rows, figures[figures["level"] == "kommun"]])
    ci = [f"{_fmt(lo)}–{_fmt(hi)}" if pd.notna(lo) and pd.notna(hi) else ""
          for lo, hi in zip(rows["ci_low"], rows["ci_high"])]
    en = lang == "en"
    return pd.DataFrame({
        ("Area" if en else "Område"): rows["name"].to_numpy(),
        ("Value" if en else "Värde"): rows["display"].to_numpy(),
        ("95% interval" if en else "95 % intervall"): ci,
        ("Note" if en else "Anmärkning"): rows["note"].to_numpy(),
    })


def render(ctx: common.Context, frames: Frames, spec: LayerSpec, level: str, column) -> None:
    kommuner = kommuner_with(frames, level)
    if st.session_state.get("map_small_kommun") not in kommuner:
        st.session_state["map_small_kommun"] = kommuner[0]
    kommun = column.selectbox(ctx.t("kommun"), kommuner, key="map_small_kommun",
                              format_func=frames.area_name)
    views = small_views(spec)
    if st.session_state.get("map_small_view") not in views:
        st.session_state["map_small_view"] = "value"
    c1, c2, c3 = st.columns([3, 1, 1])
    view_id = c1.selectbox(ctx.t("view"), views, key="map_small_view",
                           format_func=lambda v: view_title(v, ctx.lang))
    available = periods(frames, spec)
    if not available:
        st.info(ctx.t("small_none"))
        return
    if st.session_state.get("map_small_period") not in available:
        st.session_state["map_small_period"] = available[-1]
    period = c2.selectbox(ctx.t("period"), available, key="map_small_period")
    sex = c3.radio(ctx.t("sex"), common.sex_options(), key="map_small_sex", horizontal=True,
                   format_func=lambda s: sex_label(s, ctx.lang))
    shown = common.small_view(ctx, spec, level, kommun, view_id, period, sex)
    geometry = common.small_geometry(ctx, level, kommun)
    m = use_static(view_map(shown, geometry, small_spec(spec), lang=ctx.lang))
    left, right = st.columns([3, 2])
    with left:
        st_folium(m, key="map_small", height=560, use_container_width=True, returned_objects=[])
        st.caption(ctx.t("small_caveat") + " " + ctx.suppression_note())
    with right:
        st.subheader(ctx.t("small_table"))
        values = common.small_view(ctx, spec, level, kommun, "value", period, sex)
        assert values.figures is not None
        common.table(area_table(values.figures, level, ctx.lang))
        sources = values.figures["source"].replace("", pd.NA).dropna()
        if len(sources):
            st.caption(f"{ctx.t('source')}: {sources.iloc[0]}; {ctx.t('period').lower()} {period}")
