"""Karta: choropleth of any layer by period and sex, school sites, and a kommun detail panel."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import streamlit as st

from lagesbild.analysis.map_views import available_views, view_title
from lagesbild.analysis.small_places import level_name, supports
from lagesbild.core.frames import Frames
from lagesbild.core.layers import LayerSpec
from lagesbild.core.settings import Settings
from lagesbild.core.taxonomy import Taxonomy
from lagesbild.ui import cited, common, grade_ui, period_ui, release_guard, small_map
from lagesbild.ui.views import detail_table, flags_note, overview_table

SEXES = ("K", "M", "T")
# choices warmed after each run: fewer than the map cache holds, so that they stay there
PLAN_STATES = common.MAP_CACHE * 5 // 8


@st.cache_data(max_entries=16, show_spinner=False, hash_funcs=common.FAST_HASH)
def _overview_all(key: str, path: str, specs: tuple[LayerSpec, ...], taxonomy: Taxonomy,
                  settings: Settings, lang: str) -> list[tuple[str, str, dict[str, str]]]:
    """Per layer with data: title, the period it opens on (the latest with data for most
    kommuner), display per area (kommuner and län, totals)."""
    out = []
    for spec in specs:
        available = common._periods(key, path, spec, None)
        if not available:
            continue
        found = period_ui._choice(key, path, spec, tuple(available), taxonomy, settings)
        period = found.period if found is not None else available[-1]
        figs = common._figures(key, path, spec, period, "T", taxonomy, settings)
        shown: dict[str, str] = {}
        for area_id, display in zip(figs["area_id"], figs["display"]):
            shown.setdefault(area_id, display)  # the first row, as .iloc[0]
        out.append((spec.title(lang), period, shown))
    return out


def _overview(parts: list[tuple[str, str, dict[str, str]]], area_id: str,
              county_id: str | None) -> pd.DataFrame:
    """Every layer's period (as it opens), totals, for the kommun and its own county."""
    rows = [{"layer": title, "period": period, "value": shown.get(area_id, "–"),
             "county": shown.get(county_id, "–") if county_id else "–"}
            for title, period, shown in parts]
    return pd.DataFrame(rows, columns=["layer", "period", "value", "county"])


@st.cache_data(max_entries=256, show_spinner=False, hash_funcs=common.FAST_HASH)
def _detail_all(key: str, path: str, spec: LayerSpec, period: str, taxonomy: Taxonomy,
                settings: Settings) -> pd.DataFrame:
    """The figures of every area for K, M and T."""
    return pd.concat([common._figures(key, path, spec, period, s, taxonomy, settings)
                      for s in SEXES])


def _levels(ctx: common.Context, frames: Frames, spec: LayerSpec) -> list[str]:
    small = common.fact(ctx, "small_levels")
    return ["kommun", *[lv for lv in small if supports(spec, frames, lv)]] if small else ["kommun"]


def _choice(ctx: common.Context, specs: dict[str, LayerSpec], layer_id: str, view_id: str | None,
            period: str | None) -> tuple[str, str] | None:
    """(view, period) the page shows for a layer after a change: the view and period kept when
    the layer has them, else the value view and the period it opens on; None without data."""
    spec = specs[layer_id]
    view_id = view_id if view_id in available_views(spec) else "value"
    available = common.layer_periods(ctx, spec, view_id)
    if not available:
        return None
    return view_id, period if period in available else period_ui.default(ctx, spec, available)


def _term(ctx: common.Context, frames: Frames, specs: dict[str, LayerSpec], spec: LayerSpec,
          period: str, show_sites: bool) -> str | None:
    """The term whose programme status the sites show (None: no sites drawn)."""
    if not (show_sites and len(frames.sites)):
        return None
    if spec.kind == "coverage":
        return period
    terms = common.layer_periods(ctx, specs.get("mvp_tackning", spec))
    return terms[-1] if terms else ""


def _plan(ctx: common.Context, frames: Frames, specs: dict[str, LayerSpec], layer_id: str,
          view_id: str, period: str, sex: str, show_sites: bool, fdr: bool = False) -> Iterator:
    """What the next reruns will read, nearest choices first: every choice one change away
    (sex, period, view, layer), then two changes away: its map and the detail's figures.
    Hot-spot maps are warmed with the page's false-discovery-rate choice `fdr`."""
    _, taxonomy, _ = common.specs(ctx)
    path = ctx.location

    def jobs(state: tuple[str, str, str, str]) -> Iterator:
        layer, view, when, who = state
        spec = specs[layer]
        term = _term(ctx, frames, specs, spec, when, show_sites)
        adjust = fdr and view == "hotspots"
        yield ("map", ctx.lang, state, term, adjust), lambda: common.map_payload(
            ctx, spec, view, when, who, term, adjust)
        yield ("detail", layer, when), lambda: _detail_all(ctx.key, path, spec, when, taxonomy,
                                                            ctx.settings)

    def neighbours(state: tuple[str, str, str, str]) -> Iterator[tuple[str, str, str, str]]:
        layer, view, when, who = state
        for s in SEXES:
            yield layer, view, when, s
        for p in common.layer_periods(ctx, specs[layer], view):
            yield layer, view, p, who
        for v in available_views(specs[layer]):
            if (choice := _choice(ctx, specs, layer, v, when)) is not None:
                yield layer, *choice, who
        for other in specs:
            if (choice := _choice(ctx, specs, other, view, when)) is not None:
                yield other, *choice, who

    if not frames.incidents_loaded and common.fact(ctx, "small_levels"):
        # the views below the kommun count the incident rows, which the kommun pages never
        # read (`core.frames.DeferredIncidents`): read them now, not on the first DeSO view
        yield ("incident_rows",), lambda: frames.incidents
    start = (layer_id, view_id, period, sex)
    seen, ring = {start}, [start]
    for _ in range(2):
        next_ring = []
        for state in ring:
            for near in neighbours(state):
                if near not in seen and len(seen) <= PLAN_STATES:
                    seen.add(near)
                    next_ring.append(near)
                    yield from jobs(near)
        ring = next_ring


def render(ctx: common.Context) -> None:
    st.title(ctx.t("page_map"))
    if not common.require_workspace(ctx):
        return
    frames = common.frames(ctx)
    specs, taxonomy, _ = common.specs(ctx)
    path = ctx.location
    c1, c2, c3 = st.columns([3, 1, 1])
    layer_id = c1.selectbox(ctx.t("layer"), list(specs), key="map_layer",
                            format_func=lambda i: specs[i].title(ctx.lang))
    spec = specs[layer_id]
    levels = _levels(ctx, frames, spec)
    if st.session_state.get("map_level") not in levels:
        st.session_state["map_level"] = "kommun"
    if len(levels) > 1:
        l1, l2 = st.columns([1, 2])
        level = l1.selectbox(ctx.t("area_level"), levels, key="map_level",
                             format_func=lambda lv: ctx.t("kommuner") if lv == "kommun"
                             else level_name(lv, ctx.lang))
        if level != "kommun":
            # the kommun maps' plan is no use here, and at national scale it would take the
            # CPU from this run for many seconds; the small map hands the warmer its own plan
            common.warmer().stop()
            small_map.render(ctx, frames, spec, level, l2)
            return
    # a survey given by school grade: one grade at a time on the kommun map
    spec = grade_ui.grade_choice(ctx, c1, spec, "map_grade")
    views = available_views(spec)
    if st.session_state.get("map_view") not in views:
        st.session_state["map_view"] = "value"
    v1, v2 = st.columns([3, 2])
    view_id = v1.selectbox(ctx.t("view"), views, key="map_view",
                           format_func=lambda v: view_title(v, ctx.lang))
    available = common.layer_periods(ctx, spec, view_id)
    if not available:
        st.info(ctx.t("no_view_data"))
        return
    period_ui.keep_or_default(ctx, "map_period", spec, available)
    period = c2.selectbox(ctx.t("period"), available, key="map_period",
                          format_func=lambda p: common.period_label(ctx, spec, p))
    release_guard.guard(ctx, period)
    sex = period_ui.sex_radio(ctx, c3, spec, period, "map_sex")
    if partial := period_ui.note(ctx, spec, available, period):
        st.caption(partial)
    show_sites = v2.toggle(ctx.t("show_sites"), value=True, key="map_sites")
    fdr = view_id == "hotspots" and v2.toggle(ctx.t("fdr"), value=False, key="map_fdr",
                                              help=ctx.t("fdr_help"))
    term = _term(ctx, frames, specs, spec, period, show_sites)
    payload = common.map_payload(ctx, spec, view_id, period, sex, term, fdr)
    left, right = st.columns([3, 2])
    with left:
        state = common.st_map(payload, key="map", height=560,
                              returned_objects=["last_active_drawing"])
        st.caption(ctx.t("click_hint") + " " + ctx.suppression_note())
        if view_id in ("change", "hotspots"):
            flags_note(common.view(ctx, spec, view_id, period, sex, fdr))
    clicked = (state or {}).get("last_active_drawing") or {}
    area_id = (clicked.get("properties") or {}).get("area_id")
    with right:
        st.subheader(ctx.t("detail"))
        options = common.kommun_options(ctx)
        # follow a new click only: the last clicked feature is returned on every rerun
        if area_id in options and area_id != st.session_state.get("map_clicked"):
            st.session_state["map_area"] = area_id
        st.session_state["map_clicked"] = area_id
        name = common.area_name(ctx)
        chosen = st.selectbox(ctx.t("area"), options, key="map_area", format_func=name)
        detail = _detail_all(ctx.key, path, spec, period, taxonomy, ctx.settings)
        county_id = frames.parent_of(chosen)
        detail = detail[detail["area_id"].isin({chosen, county_id} - {None})]
        detail_table(detail, ctx.lang)
        source = detail.loc[(detail["area_id"] == chosen) & (detail["sex"] == sex), "source"]
        if len(source):
            cited.caption(ctx, source.iloc[0])
    st.markdown(f"**{name(chosen)}: {ctx.t('overview').lower()}**")
    parts = _overview_all(ctx.key, path, tuple(specs.values()), taxonomy, ctx.settings, ctx.lang)
    overview_table(_overview(parts, chosen, county_id), ctx.lang)
    common.warm(ctx, lambda: _plan(ctx, frames, specs, layer_id, view_id, period, sex,
                                   show_sites, fdr))


if __name__ == "__main__":  # run as a page by st.navigation
    render(common.context())
