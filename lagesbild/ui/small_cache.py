"""Cached values of the Karta page below the kommun (DeSO, RegSO, stadsdelar).

One kommun: its areas' web geometry and map views (drawn by `render.map.view_map`, one feature
and tooltip per area). All kommuner: the fast big-map path (`render.web_payload`): the geometry
of every area of a level is prepared once per workspace and level (`_all_geometry`), and a
filter change only recomputes the figures (`_all_view`) and the values sent with the cached
geometry (`_all_payload`, ready for `common.st_map`). Keys follow `common`: workspace key and
path, small frozen dataclasses hashed by `common.FAST_HASH`.
"""

from __future__ import annotations

from collections.abc import Callable

import geopandas as gpd
import streamlit as st

from lagesbild.analysis.map_views import MapView
from lagesbild.core.layers import LayerSpec
from lagesbild.core.settings import Settings
from lagesbild.core.taxonomy import Taxonomy
from lagesbild.render.assets import use_static
from lagesbild.render.map import web_geometry
from lagesbild.ui.common import FAST_HASH, Context, _names, frames_for, specs
from lagesbild.ui.folium_payload import folium_payload

SEXES = ("T", "K", "M")
ALL_CACHE = 32  # all-kommuner payloads kept (about 70 kB each for Göteborgsregionen's DeSO)


# --- one kommun ----------------------------------------------------------------------------------

@st.cache_resource(max_entries=8, show_spinner=False)
def _small_geometry(key: str, path: str, level: str, kommun: str) -> gpd.GeoDataFrame:
    from lagesbild.analysis.small_places import level_areas

    areas = level_areas(frames_for(key, path), level, kommun)
    return web_geometry(gpd.GeoDataFrame(areas, geometry="geometry"), tolerance=20.0)


def small_geometry(ctx: Context, level: str, kommun: str) -> gpd.GeoDataFrame:
    """Web geometry of one kommun's areas at `level` (simplified less than kommuner)."""
    return _small_geometry(ctx.key, ctx.location, level, kommun)


@st.cache_data(max_entries=64, show_spinner=False, hash_funcs=FAST_HASH)
def _small_view(key: str, path: str, spec: LayerSpec, level: str, kommun: str, view: str,
                period: str, sex: str, taxonomy: Taxonomy, settings: Settings, lang: str,
                fdr: bool = False) -> MapView:
    from lagesbild.analysis.small_area_views import small_area_view

    return small_area_view(frames_for(key, path), spec, level=level, kommun=kommun, view=view,
                           period=period, sex=sex, taxonomy=taxonomy, settings=settings,
                           lang=lang, fdr=fdr)


def small_view(ctx: Context, spec: LayerSpec, level: str, kommun: str, view_id: str,
               period: str, sex: str, fdr: bool = False) -> MapView:
    """Cached map view of one kommun's areas below the kommun level (`fdr`: hot spots with
    the false-discovery-rate cut-off)."""
    _, taxonomy, _ = specs(ctx)
    return _small_view(ctx.key, ctx.location, spec, level, kommun, view_id, period,
                       sex, taxonomy, ctx.settings, ctx.lang, fdr and view_id == "hotspots")


@st.cache_resource(max_entries=ALL_CACHE, show_spinner=False, hash_funcs=FAST_HASH)
def _small_payload(key: str, path: str, spec: LayerSpec, level: str, kommun: str, view: str,
                   period: str, sex: str, taxonomy: Taxonomy, settings: Settings, lang: str,
                   fdr: bool = False) -> dict:
    from lagesbild.analysis.small_area_views import small_spec
    from lagesbild.render.map import view_map
    from lagesbild.ui.shown import view_in

    shown = _small_view(key, path, spec, level, kommun, view, period, sex, taxonomy, settings,
                        lang, fdr)
    m = view_map(view_in(shown, lang), _small_geometry(key, path, level, kommun),
                 small_spec(spec), lang=lang)
    return folium_payload(use_static(m))


def small_payload(ctx: Context, spec: LayerSpec, level: str, kommun: str, view_id: str,
                  period: str, sex: str, fdr: bool = False) -> dict:
    """One kommun's map of a view, ready for `common.st_map`: drawn once per session, a filter
    change restyles it (same areas: only colours, tooltips and legend are sent)."""
    _, taxonomy, _ = specs(ctx)
    return _small_payload(ctx.key, ctx.location, spec, level, kommun, view_id, period,
                          sex, taxonomy, ctx.settings, ctx.lang, fdr and view_id == "hotspots")


# --- all kommuner: the fast path -----------------------------------------------------------------

@st.cache_resource(max_entries=4, show_spinner=False)
def _all_geometry(key: str, path: str, level: str):  # noqa: ANN202 - a web_payload.WebGeometry
    """Every area of `level` in the workspace, simplified as a coverage, quantised and packed."""
    from lagesbild.analysis.small_places import level_areas
    from lagesbild.render.web_payload import all_areas_geometry

    return all_areas_geometry(level_areas(frames_for(key, path), level),
                              key=("small-all", key, path, level))


@st.cache_data(max_entries=64, show_spinner=False, hash_funcs=FAST_HASH)
def _all_view(key: str, path: str, spec: LayerSpec, level: str, view: str, period: str,
              sex: str, taxonomy: Taxonomy, settings: Settings, lang: str) -> MapView:
    from lagesbild.analysis.small_area_views import all_kommuner_view

    figures = None
    if view != "value":  # the same protected figures as the value view, cached once
        figures = _all_view(key, path, spec, level, "value", period, sex, taxonomy, settings,
                            lang).figures
    return all_kommuner_view(frames_for(key, path), spec, level=level, view=view, period=period,
                             sex=sex, taxonomy=taxonomy, settings=settings, lang=lang,
                             figures=figures)


def all_view(ctx: Context, spec: LayerSpec, level: str, view_id: str, period: str,
             sex: str) -> MapView:
    """Cached map view of every kommun's areas at `level` (value or smoothed)."""
    _, taxonomy, _ = specs(ctx)
    return _all_view(ctx.key, ctx.location, spec, level, view_id, period, sex,
                     taxonomy, ctx.settings, ctx.lang)


@st.cache_resource(max_entries=ALL_CACHE, show_spinner=False, hash_funcs=FAST_HASH)
def _all_payload(key: str, path: str, spec: LayerSpec, level: str, view: str, period: str,
                 sex: str, taxonomy: Taxonomy, settings: Settings, lang: str) -> dict:
    from lagesbild.analysis.small_area_views import all_map_rows, figures_source, small_spec
    from lagesbild.core.i18n import sex_label
    from lagesbild.render import web_payload

    shown = _all_view(key, path, spec, level, view, period, sex, taxonomy, settings, lang)
    assert shown.figures is not None
    layer = small_spec(spec)
    data = all_map_rows(shown.figures, level, _names(key, path))
    m = web_payload.fast_choropleth(
        _all_geometry(key, path, level), data, title=shown.title, lang=lang,
        scheme=layer.scheme, k=layer.k, colors=layer.colors, source=figures_source(shown.figures),
        period=f"{period}, {sex_label(sex, lang).lower()}", note=shown.note)
    return folium_payload(use_static(m))


def all_payload(ctx: Context, spec: LayerSpec, level: str, view_id: str, period: str,
                sex: str) -> dict:
    """The all-kommuner map of a view, ready for `common.st_map`."""
    _, taxonomy, _ = specs(ctx)
    return _all_payload(ctx.key, ctx.location, spec, level, view_id, period, sex,
                        taxonomy, ctx.settings, ctx.lang)


def all_plan(ctx: Context, spec: LayerSpec, level: str, view_id: str, period: str, sex: str,
             periods: list[str], views: list[str]) -> Callable[[], object]:
    """A warming plan (for `common.warm`): the maps one change away (sex, period, view)."""
    _, taxonomy, _ = specs(ctx)
    path = ctx.location

    def plan():  # noqa: ANN202 - a common.Plan
        states = [(view_id, period, s) for s in SEXES]
        near = sorted(periods, key=lambda p: abs(periods.index(p) - periods.index(period))
                      if period in periods else 0)
        states += [(view_id, p, sex) for p in near]
        states += [(v, period, sex) for v in views]
        seen = {(view_id, period, sex)}
        for state in states:
            if state in seen:
                continue
            seen.add(state)
            v, p, s = state
            yield (("small-all", level, *state, ctx.lang),
                   lambda v=v, p=p, s=s: _all_payload(ctx.key, path, spec, level, v, p, s,
                                                      taxonomy, ctx.settings, ctx.lang))
    return plan


def small_plan(ctx: Context, spec: LayerSpec, level: str, kommun: str, view_id: str,
               period: str, sex: str, periods: list[str], all_kommuner: bool
               ) -> Callable[[], object]:
    """A warming plan (for `common.warm`) for one kommun's map: the "Alla kommuner" map of the
    same choice first when offered (its geometry takes seconds at national scale), then this
    kommun's maps one change away (sex, period)."""
    _, taxonomy, _ = specs(ctx)
    path = ctx.location

    def plan():  # noqa: ANN202 - a common.Plan
        from lagesbild.analysis.small_area_views import all_views

        if all_kommuner and view_id in all_views(spec):
            yield (("small-all", level, view_id, period, sex, ctx.lang),
                   lambda: _all_payload(ctx.key, path, spec, level, view_id, period, sex,
                                        taxonomy, ctx.settings, ctx.lang))
        near = sorted(periods, key=lambda p: abs(periods.index(p) - periods.index(period))
                      if period in periods else 0)
        for v, p, s in [(view_id, period, s) for s in SEXES] + [(view_id, p, sex) for p in near]:
            if (v, p, s) != (view_id, period, sex):
                yield (("small", level, kommun, v, p, s, ctx.lang),
                       lambda v=v, p=p, s=s: _small_payload(ctx.key, path, spec, level, kommun,
                                                            v, p, s, taxonomy, ctx.settings,
                                                            ctx.lang))
    return plan
