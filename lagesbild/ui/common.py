"""Shared UI state: language, workspace, cached loaders keyed on small hashable values."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import streamlit as st

from lagesbild.analysis.figures import layer_figures
from lagesbild.analysis.map_views import MapView, map_view
from lagesbild.analysis.pyramid import Taxonomy, load_taxonomy
from lagesbild.frames import Frames, load_frames
from lagesbild.i18n import LANGS, t
from lagesbild.layers import LayerSpec, load_layers
from lagesbild.render.map import web_geometry
from lagesbild.settings import ROOT, Settings, get_settings
from lagesbild.workspace import GpkgWorkspace

DEFAULT_WORKSPACE = ROOT / "workspace" / "demo.gpkg"


@dataclass(frozen=True)
class Context:
    lang: str
    workspace: GpkgWorkspace
    settings: Settings

    @property
    def key(self) -> str:
        return self.workspace.key

    def t(self, key: str, **fmt: object) -> str:
        return t(key, self.lang, **fmt)

    def suppression_note(self) -> str:
        limit = self.settings.suppress_below
        return t("suppression_note", self.lang, t=limit, last=limit - 1)


def workspace_path() -> Path:
    return Path(os.environ.get("LAGESBILD_WORKSPACE", DEFAULT_WORKSPACE))


def context() -> Context:
    """The context every page receives: language from the sidebar, workspace, settings."""
    lang = st.session_state.get("lang", "sv")
    return Context(lang=lang if lang in LANGS else "sv", workspace=GpkgWorkspace(workspace_path()),
                   settings=get_settings())


def sidebar() -> Context:
    """Language switch and workspace facts, drawn once per run by app.py."""
    lang = st.session_state.get("lang", "sv")
    st.sidebar.radio(t("language", lang), LANGS, key="lang", horizontal=True,
                     format_func=lambda code: {"sv": "Svenska", "en": "English"}[code])
    ctx = context()
    st.sidebar.caption(f"{t('workspace', ctx.lang)}: `{ctx.workspace.path.name}`")
    return ctx


@st.cache_resource(max_entries=4, show_spinner=False)
def frames_for(key: str, path: str) -> Frames:
    return load_frames(GpkgWorkspace(path))


def frames(ctx: Context) -> Frames:
    return frames_for(ctx.key, str(ctx.workspace.path))


@st.cache_resource(show_spinner=False)
def _specs(layers_dir: str, stamp: float) -> tuple[dict[str, LayerSpec], Taxonomy, dict[str, Any]]:
    directory = Path(layers_dir)
    meta = tomllib.loads((directory / "indicators.toml").read_text(encoding="utf-8"))
    return load_layers(directory), load_taxonomy(directory / "pyramid.toml"), meta


def specs(ctx: Context) -> tuple[dict[str, LayerSpec], Taxonomy, dict[str, Any]]:
    directory = ctx.settings.layers_dir
    stamp = max((p.stat().st_mtime for p in Path(directory).glob("*.toml")), default=0.0)
    return _specs(str(directory), stamp)


@st.cache_resource(max_entries=4, show_spinner=False)
def _web_geometry(key: str, path: str) -> gpd.GeoDataFrame:
    return web_geometry(frames_for(key, path).kommuner)


def geometry(ctx: Context) -> gpd.GeoDataFrame:
    return _web_geometry(ctx.key, str(ctx.workspace.path))


@st.cache_data(max_entries=128, show_spinner=False)
def _figures(key: str, path: str, spec: LayerSpec, period: str, sex: str, taxonomy: Taxonomy,
             settings: Settings) -> pd.DataFrame:
    return layer_figures(frames_for(key, path), spec, period=period, sex=sex, taxonomy=taxonomy,
                         settings=settings)


def figures(ctx: Context, spec: LayerSpec, period: str, sex: str) -> pd.DataFrame:
    """Cached layer figures (after disclosure control) for one layer, period and sex."""
    _, taxonomy, _ = specs(ctx)
    return _figures(ctx.key, str(ctx.workspace.path), spec, period, sex, taxonomy, ctx.settings)


@st.cache_data(max_entries=64, show_spinner=False)
def _map_view(key: str, path: str, spec: LayerSpec, view: str, period: str, sex: str,
              taxonomy: Taxonomy, settings: Settings, lang: str) -> MapView:
    return map_view(frames_for(key, path), spec, view=view, period=period, sex=sex,
                    taxonomy=taxonomy, settings=settings, lang=lang)


def view(ctx: Context, spec: LayerSpec, view_id: str, period: str, sex: str) -> MapView:
    """Cached map view (value, smoothed, 3-year mean, change, hot spots) of one layer."""
    _, taxonomy, _ = specs(ctx)
    return _map_view(ctx.key, str(ctx.workspace.path), spec, view_id, period, sex, taxonomy,
                     ctx.settings, ctx.lang)


def require_workspace(ctx: Context) -> bool:
    """Show how to build the demo when the workspace is missing; True when data are there."""
    if ctx.workspace.exists():
        return True
    st.warning(ctx.t("no_workspace"))
    st.code(f"lagesbild demo --workspace {ctx.workspace.path}")
    return False


def sex_options() -> list[str]:
    return ["T", "K", "M"]


def table(frame: pd.DataFrame, **kwargs: Any) -> None:
    """A full-width table tall enough to show every row (tables here are short)."""
    kwargs.setdefault("height", 38 + 35 * min(len(frame), 40))
    st.dataframe(frame, hide_index=True, width="stretch", **kwargs)


@st.cache_resource(max_entries=8, show_spinner=False)
def _small_geometry(key: str, path: str, level: str, kommun: str) -> gpd.GeoDataFrame:
    from lagesbild.analysis.small_areas import level_areas

    areas = level_areas(frames_for(key, path), level, kommun)
    return web_geometry(gpd.GeoDataFrame(areas, geometry="geometry"), tolerance=20.0)


def small_geometry(ctx: Context, level: str, kommun: str) -> gpd.GeoDataFrame:
    """Web geometry of one kommun's areas at `level` (simplified less than kommuner)."""
    return _small_geometry(ctx.key, str(ctx.workspace.path), level, kommun)


@st.cache_data(max_entries=64, show_spinner=False)
def _small_view(key: str, path: str, spec: LayerSpec, level: str, kommun: str, view: str,
                period: str, sex: str, taxonomy: Taxonomy, settings: Settings, lang: str
                ) -> MapView:
    from lagesbild.analysis.small_area_views import small_area_view

    return small_area_view(frames_for(key, path), spec, level=level, kommun=kommun, view=view,
                           period=period, sex=sex, taxonomy=taxonomy, settings=settings,
                           lang=lang)


def small_view(ctx: Context, spec: LayerSpec, level: str, kommun: str, view_id: str,
               period: str, sex: str) -> MapView:
    """Cached map view of one kommun's areas below the kommun level."""
    _, taxonomy, _ = specs(ctx)
    return _small_view(ctx.key, str(ctx.workspace.path), spec, level, kommun, view_id, period,
                       sex, taxonomy, ctx.settings, ctx.lang)


@st.cache_data(max_entries=64, show_spinner=False)
def _national(key: str, path: str, spec: LayerSpec, period: str, sex: str, taxonomy: Taxonomy,
              settings: Settings, lang: str) -> dict | None:
    from lagesbild.analysis.national import national_figure

    return national_figure(frames_for(key, path), spec, period=period, sex=sex,
                           taxonomy=taxonomy, settings=settings, lang=lang)


def national(ctx: Context, spec: LayerSpec, period: str, sex: str) -> dict | None:
    """The layer's national reference value (None when the workspace has none)."""
    _, taxonomy, _ = specs(ctx)
    return _national(ctx.key, str(ctx.workspace.path), spec, period, sex, taxonomy,
                     ctx.settings, ctx.lang)
