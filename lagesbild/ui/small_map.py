"""Karta below the kommun: DeSO, RegSO or stadsdelar, rates per 1 000.

One kommun's areas (`view_map`: one feature with its own tooltip per area, every view; drawn
once per session and restyled in place on a filter change, as the kommun map is), or
"Alla kommuner": every area of the level in the workspace at once, drawn through the fast
big-map path (`small_cache.all_payload`: cached packed geometry, values only per filter), in
the value and smoothed views (`small_area_views.all_views` says why not hot spots).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lagesbild.analysis.map_views import view_title
from lagesbild.analysis.small_area_views import all_views, figures_source, small_views
from lagesbild.core.frames import Frames
from lagesbild.core.layers import LayerSpec
from lagesbild.ui import cited, common, period_ui, small_cache
from lagesbild.ui.views import flags_note

ALL = "*"  # the "Alla kommuner" choice (no area id is "*")


def _fmt(value: object, lang: str = "sv") -> str:
    if value is None or pd.isna(value):
        return ""
    text = f"{float(value):,.1f}"
    return text if lang == "en" else text.replace(",", "\u00a0").replace(".", ",")


def area_table(figures: pd.DataFrame, level: str, lang: str,
               kommun_names: dict[str, str] | None = None) -> pd.DataFrame:
    """The areas highest first (hidden and missing last), then the kommun for reference.

    With `kommun_names` (all kommuner): a Kommun column and no kommun rows."""
    rows = figures[figures["level"] == level].copy()
    rows = rows.sort_values("value", ascending=False, na_position="last", kind="stable")
    if kommun_names is None:
        rows = pd.concat([rows, figures[figures["level"] == "kommun"]])
    ci = [f"{_fmt(lo, lang=lang)}–{_fmt(hi, lang=lang)}" if pd.notna(lo) and pd.notna(hi) else ""
          for lo, hi in zip(rows["ci_low"], rows["ci_high"])]
    en = lang == "en"
    out = {("Area" if en else "Område"): rows["name"].to_numpy()}
    if kommun_names is not None:
        out["Municipality" if en else "Kommun"] = [kommun_names.get(str(k), str(k))
                                                   for k in rows["parent_id"]]
    out.update({
        ("Value" if en else "Värde"): rows["display"].to_numpy(),
        ("95% interval" if en else "95 % intervall"): ci,
        ("Note" if en else "Anmärkning"): rows["note"].to_numpy(),
    })
    return pd.DataFrame(out)


def render(ctx: common.Context, frames: Frames, spec: LayerSpec, level: str, column) -> None:
    kommuner = common.fact(ctx, "kommuner_with", level)
    options = [ALL, *kommuner] if len(kommuner) > 1 else kommuner
    if st.session_state.get("map_small_kommun") not in options:
        st.session_state["map_small_kommun"] = kommuner[0]
    name = common.area_name(ctx)
    kommun = column.selectbox(ctx.t("kommun"), options, key="map_small_kommun",
                              format_func=lambda k: ctx.t("all_kommuner") if k == ALL else name(k))
    views = all_views(spec) if kommun == ALL else small_views(spec)
    if st.session_state.get("map_small_view") not in views:
        st.session_state["map_small_view"] = "value"
    c1, c2, c3 = st.columns([3, 1, 1])
    view_id = c1.selectbox(ctx.t("view"), views, key="map_small_view",
                           format_func=lambda v: view_title(v, ctx.lang))
    available = common.layer_periods(ctx, spec)
    if not available:
        st.info(ctx.t("small_none"))
        return
    period_ui.keep_or_default(ctx, "map_small_period", spec, available)
    period = c2.selectbox(ctx.t("period"), available, key="map_small_period",
                          format_func=lambda p: common.period_label(ctx, spec, p))
    sex = period_ui.sex_radio(ctx, c3, spec, period, "map_small_sex")
    if partial := period_ui.note(ctx, spec, available, period):
        st.caption(partial)
    if kommun == ALL:
        _render_all(ctx, spec, level, view_id, period, sex, available, views)
        return
    fdr = view_id == "hotspots" and st.toggle(ctx.t("fdr"), value=False, key="map_small_fdr",
                                              help=ctx.t("fdr_help"))
    shown = small_cache.small_view(ctx, spec, level, kommun, view_id, period, sex, fdr)
    payload = small_cache.small_payload(ctx, spec, level, kommun, view_id, period, sex, fdr)
    left, right = st.columns([3, 2])
    with left:
        common.st_map(payload, key="map_small", height=560, returned_objects=[])
        st.caption(ctx.t("small_caveat") + " " + ctx.suppression_note())
        flags_note(shown)
    with right:
        st.subheader(ctx.t("small_table"))
        values = small_cache.small_view(ctx, spec, level, kommun, "value", period, sex)
        assert values.figures is not None
        common.table(area_table(values.figures, level, ctx.lang))
        _source_caption(ctx, values.figures, period)
    common.warm(ctx, small_cache.small_plan(ctx, spec, level, kommun, view_id, period, sex,
                                            available, len(options) > 1))


def _source_caption(ctx: common.Context, figures: pd.DataFrame, period: str) -> None:
    source = figures_source(figures)
    if source:
        cited.caption(ctx, source, after=f"; {ctx.t('period').lower()} {period}")


def _render_all(ctx: common.Context, spec: LayerSpec, level: str, view_id: str, period: str,
                sex: str, available: list[str], views: list[str]) -> None:
    """Every kommun's areas: the fast map, and the table of areas with their kommun."""
    payload = small_cache.all_payload(ctx, spec, level, view_id, period, sex)
    left, right = st.columns([3, 2])
    with left:
        common.st_map(payload, key="map_small_all", height=560, returned_objects=[])
        st.caption(" ".join((ctx.t("small_caveat"), ctx.t("small_all_caveat"),
                             ctx.suppression_note())))
    with right:
        st.subheader(ctx.t("small_table"))
        values = small_cache.all_view(ctx, spec, level, "value", period, sex)
        assert values.figures is not None
        names = common.area_name(ctx)
        kommun_ids = values.figures.loc[values.figures["level"] == "kommun", "area_id"]
        common.table(area_table(values.figures, level, ctx.lang,
                                {str(k): names(str(k)) for k in kommun_ids}))
        _source_caption(ctx, values.figures, period)
    common.warm(ctx, small_cache.all_plan(ctx, spec, level, view_id, period, sex, available,
                                          views))
