"""Shared UI state: language, workspace, cached loaders keyed on small hashable values, the
cached map and the background thread that warms the caches the next rerun will read. The layer
files are cached by `ui.layer_cache` (its functions re-exported here)."""

from __future__ import annotations

import atexit
import dataclasses
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import streamlit as st

from lagesbild.analysis.citing import Citation
from lagesbild.analysis.coverage import site_status
from lagesbild.analysis.figures import layer_figures, periods
from lagesbild.analysis.map_views import MapView, map_view, view_periods
from lagesbild.core.access import Access
from lagesbild.core.frames import Frames
from lagesbild.core.i18n import LANGS, t
from lagesbild.core.layers import LayerSpec
from lagesbild.core.settings import ROOT, Settings, get_settings
from lagesbild.core.taxonomy import Taxonomy
from lagesbild.render.assets import use_static
from lagesbild.render.map import SiteLayer, site_layer, view_map, web_geometry
from lagesbild.store.frames import load_frames
from lagesbild.store.workspace import Workspace, is_database, open_workspace
from lagesbild.ui import frontend_texts, map_frame
from lagesbild.ui.shown import view_in
from lagesbild.ui.folium_payload import folium_payload
from lagesbild.ui.layer_cache import (  # noqa: F401 - re-exported: the pages call common.*
    _specs,
    forget_layer_stamps,
    layers_stamp,
    settings_specs,
)
from lagesbild.ui.shown import frame as shown_frame, lang as shown_lang
from lagesbild.ui.warming import Plan, Warmer

DEFAULT_WORKSPACE = ROOT / "workspace" / "demo.gpkg"
# The cached functions below take these frozen dataclasses as arguments; their repr is all of
# their fields and hashes in microseconds, where Streamlit's own hashing takes milliseconds.
FAST_HASH: dict[Any, Callable[[Any], str]] = {LayerSpec: repr, Taxonomy: repr, Settings: repr}
_LOG = logging.getLogger(__name__)
MAP_CACHE = 64  # map payloads kept (about 1-2 MB each for all of Sweden with its schools)


@dataclass(frozen=True)
class Context:
    lang: str
    workspace: Workspace
    settings: Settings
    # what this session may see and do (ui.login; everything without a login setting)
    access: Access = dataclasses.field(default_factory=Access.full)

    @property
    def key(self) -> str:
        return self.workspace.key

    @property
    def location(self) -> str:
        """The workspace's location string: cached functions take it (with `key`) and reopen
        the workspace by it (`opened`)."""
        return self.workspace.location

    def t(self, key: str, **fmt: object) -> str:
        return t(key, self.lang, **fmt)

    def suppression_note(self) -> str:
        limit = self.settings.suppress_below
        return t("suppression_note", self.lang, t=limit, last=limit - 1)


def workspace_location() -> str:
    """LAGESBILD_WORKSPACE (set by `lagesbild serve`): a .gpkg path or a postgresql:// URL."""
    return os.environ.get("LAGESBILD_WORKSPACE", str(DEFAULT_WORKSPACE))


def workspace_path() -> Path:
    """The location as a path (a damaged GeoPackage's message names the file)."""
    return Path(workspace_location())


def opened(location: str) -> Workspace:
    """The workspace at `location`; a database's is opened (and its schema checked) once per
    process, a GeoPackage costs nothing to open."""
    return _opened_database(location) if is_database(location) else open_workspace(location)


@st.cache_resource(max_entries=8, show_spinner=False)
def _opened_database(location: str) -> Workspace:
    return open_workspace(location)


def context() -> Context:
    """The context every page receives: language from the sidebar, workspace, settings."""
    lang = st.session_state.get("lang", "sv")
    settings = get_settings()
    if st.session_state.get("annualise"):  # the sidebar's choice for part years
        settings = dataclasses.replace(settings, annualise=True)
    if bands := st.session_state.get("coverage_bands"):  # set on Insatser for the session
        settings = dataclasses.replace(settings, coverage_bands=tuple(bands))
    workspace = opened(workspace_location())
    from lagesbild.ui import login

    # its own layers folder beside it (`layers.own_layers_dir`)
    return Context(lang=lang if lang in LANGS else "sv", workspace=workspace,
                   settings=settings.for_workspace(workspace.files_path), access=login.current())


def sidebar() -> Context:
    """Language switch and workspace facts, drawn once per run by app.py."""
    _WARMER.pause(_session())  # a run has started: the background thread starts no new job
    lang = st.session_state.get("lang", "sv")
    st.sidebar.radio(t("language", lang), LANGS, key="lang", horizontal=True,
                     format_func=lambda code: {"sv": "Svenska", "en": "English"}[code])
    ctx = context()
    frontend_texts.install(ctx.lang)  # Streamlit's skip link and table toolbar in the language
    shown = ctx.workspace.label if is_database(ctx.location) else Path(ctx.location).name
    st.sidebar.caption(f"{t('workspace', ctx.lang)}: `{shown}`")
    part = part_years(ctx) if ctx.workspace.exists() else {}
    if part:  # a year the extracts cover in part: said on every page, annualised on request
        st.sidebar.warning(t("part_years", ctx.lang, years="; ".join(
            f"{y} ({label})" for y, label in part.items())))
        st.sidebar.toggle(t("annualise", ctx.lang), key="annualise",
                          help=t("annualise_help", ctx.lang))
        ctx = context()
    return ctx


@st.cache_data(max_entries=4, show_spinner=False)
def _part_years(key: str, path: str) -> dict[str, str]:
    from lagesbild.analysis.time_coverage import part_years as find

    return find(frames_for(key, path))


def part_years(ctx: Context) -> dict[str, str]:
    """Incident years the extracts cover only in part -> the days covered ('1 jan–31 mar')."""
    return _part_years(ctx.key, ctx.location)


def period_label(ctx: Context, spec: LayerSpec | None, period: str) -> str:
    """'2024' or '2024 (delår 1 jan–31 mar)' for a period of an incident layer (`spec` None:
    the police extract's own periods, as on the pyramid page)."""
    if spec is not None and spec.kind != "incident_rate":
        return str(period)
    label = part_years(ctx).get(str(period))
    return t("period_part", ctx.lang, period=period, days=label) if label else str(period)


@st.cache_resource(max_entries=4, show_spinner=False)
def frames_for(key: str, path: str) -> Frames:
    return load_frames(opened(path))


def frames(ctx: Context) -> Frames:
    return frames_for(ctx.key, ctx.location)


def specs(ctx: Context) -> tuple[dict[str, LayerSpec], Taxonomy, dict[str, Any]]:
    """The layers this session may see, taxonomy and indicator metadata."""
    found, taxonomy, meta = settings_specs(ctx.settings, layers_stamp(ctx.settings),
                                           ctx.access.level)
    return ctx.access.allowed_layers(found), taxonomy, meta


@st.cache_resource(max_entries=4, show_spinner=False)
def _web_geometry(key: str, path: str) -> gpd.GeoDataFrame:
    return web_geometry(frames_for(key, path).kommuner)


def geometry(ctx: Context) -> gpd.GeoDataFrame:
    return _web_geometry(ctx.key, ctx.location)


@st.cache_data(max_entries=256, show_spinner=False, hash_funcs=FAST_HASH)
def _figures(key: str, path: str, spec: LayerSpec, period: str, sex: str, taxonomy: Taxonomy,
             settings: Settings) -> pd.DataFrame:
    return layer_figures(frames_for(key, path), spec, period=period, sex=sex, taxonomy=taxonomy,
                         settings=settings)


def figures(ctx: Context, spec: LayerSpec, period: str, sex: str) -> pd.DataFrame:
    """Cached layer figures (after disclosure control) for one layer, period and sex."""
    _, taxonomy, _ = specs(ctx)
    return _figures(ctx.key, ctx.location, spec, period, sex, taxonomy, ctx.settings)


@st.cache_data(max_entries=256, show_spinner=False, hash_funcs=FAST_HASH)
def _map_view(key: str, path: str, spec: LayerSpec, view: str, period: str, sex: str,
              taxonomy: Taxonomy, settings: Settings, lang: str, fdr: bool = False) -> MapView:
    return map_view(frames_for(key, path), spec, view=view, period=period, sex=sex,
                    taxonomy=taxonomy, settings=settings, lang=lang, fdr=fdr)


def view(ctx: Context, spec: LayerSpec, view_id: str, period: str, sex: str,
         fdr: bool = False) -> MapView:
    """Cached map view (value, smoothed, 3-year mean, change, hot spots) of one layer; `fdr`
    applies the false-discovery-rate cut-off to hot spots."""
    _, taxonomy, _ = specs(ctx)
    return _map_view(ctx.key, ctx.location, spec, view_id, period, sex, taxonomy,
                     ctx.settings, ctx.lang, fdr and view_id == "hotspots")


def require_workspace(ctx: Context) -> bool:
    """Show how to build the demo when the workspace is missing; True when data are there."""
    if ctx.workspace.exists():
        return True
    st.warning(ctx.t("no_workspace"))
    option = "--database" if is_database(ctx.location) else "--workspace"
    st.code(f"lagesbild demo {option} {ctx.workspace.label}")
    return False


def sex_options() -> list[str]:
    return ["T", "K", "M"]


def table(frame: pd.DataFrame, *, translate: bool = True, **kwargs: Any) -> None:
    """A full-width table tall enough to show every row (tables here are short).

    Its texts are written the Swedish way, as the analysis writes them ("1 045,1", "dold");
    in English mode they are translated here, once (`translate=False`: shown as they are)."""
    kwargs.setdefault("height", 38 + 35 * min(len(frame), 40))
    if translate:
        frame = shown_frame(frame, shown_lang())
    st.dataframe(frame, hide_index=True, width="stretch", **kwargs)


@st.cache_data(max_entries=128, show_spinner=False, hash_funcs=FAST_HASH)
def _national(key: str, path: str, spec: LayerSpec, period: str, sex: str, taxonomy: Taxonomy,
              settings: Settings, lang: str) -> dict | None:
    from lagesbild.analysis.national import national_figure

    return national_figure(frames_for(key, path), spec, period=period, sex=sex,
                           taxonomy=taxonomy, settings=settings, lang=lang)


def national(ctx: Context, spec: LayerSpec, period: str, sex: str) -> dict | None:
    """The layer's national reference value (None when the workspace has none)."""
    _, taxonomy, _ = specs(ctx)
    return _national(ctx.key, ctx.location, spec, period, sex, taxonomy,
                     ctx.settings, ctx.lang)


# --- small lookups every rerun makes, cached per workspace ---------------------------------------

@st.cache_resource(max_entries=4, show_spinner=False)
def _names(key: str, path: str) -> dict[str, str]:
    areas = frames_for(key, path).areas
    names: dict[str, str] = {}
    for area_id, name in zip(areas["area_id"], areas["name"]):
        names.setdefault(area_id, str(name))  # the first match, as Frames.area_name
    return names


def area_name(ctx: Context) -> Callable[[str], str]:
    """Frames.area_name as a dict lookup: select boxes call it once per option on every rerun."""
    names = _names(ctx.key, ctx.location)
    return lambda area_id: names.get(area_id, area_id)


@st.cache_data(max_entries=4, show_spinner=False)
def _kommun_options(key: str, path: str) -> list[str]:
    return list(frames_for(key, path).kommuner.sort_values("name")["area_id"])


def kommun_options(ctx: Context) -> list[str]:
    """Kommun ids ordered by name."""
    return _kommun_options(ctx.key, ctx.location)


@st.cache_data(max_entries=256, show_spinner=False, hash_funcs=FAST_HASH)
def _periods(key: str, path: str, spec: LayerSpec, view: str | None) -> list[str]:
    frames = frames_for(key, path)
    return periods(frames, spec) if view is None else view_periods(frames, spec, view)


def layer_periods(ctx: Context, spec: LayerSpec, view: str | None = None) -> list[str]:
    """The layer's periods (analysis.figures.periods), or its view's (map_views.view_periods)."""
    return _periods(ctx.key, ctx.location, spec, view)


@st.cache_data(max_entries=8, show_spinner=False)
def _fact(key: str, path: str, name: str, *args: Any) -> Any:
    from lagesbild.analysis import pyramid_view, small_areas

    module = pyramid_view if name == "count_periods" else small_areas
    return getattr(module, name)(frames_for(key, path), *args)


def fact(ctx: Context, name: str, *args: Any) -> Any:
    """`count_periods(frames, source)`, `small_levels(frames)` or `kommuner_with(frames, level)`
    of the workspace, cached."""
    return _fact(ctx.key, ctx.location, name, *args)


@st.cache_resource(max_entries=16, show_spinner=False)
def _sites(key: str, path: str, term: str, lang: str) -> SiteLayer:
    return site_layer(site_status(frames_for(key, path), period=term), lang=lang)


@st.cache_resource(max_entries=8, show_spinner=False, hash_funcs=FAST_HASH)
def citation_for(key: str, path: str, lang: str, settings: Settings) -> Citation:
    """One workspace's publisher labels in `lang` (`analysis.citing`; a new import gives a new
    key): sources named as the report names them."""
    return Citation(frames_for(key, path), settings, lang)


# --- the map, built once per choice and sent as streamlit_folium would send it -------------------

@st.cache_resource(max_entries=MAP_CACHE, show_spinner=False, hash_funcs=FAST_HASH)
def _map_payload(key: str, path: str, spec: LayerSpec, view_id: str, period: str, sex: str,
                 taxonomy: Taxonomy, settings: Settings, lang: str, term: str | None,
                 fdr: bool = False) -> dict:
    shown = _map_view(key, path, spec, view_id, period, sex, taxonomy, settings, lang, fdr)
    sites = None if term is None else _sites(key, path, term, lang)
    shown = citation_for(key, path, lang, settings).cited(shown)  # tooltips name publishers
    m = use_static(view_map(view_in(shown, lang), _web_geometry(key, path), spec, lang=lang,
                            sites=sites))
    return folium_payload(m)


def map_payload(ctx: Context, spec: LayerSpec, view_id: str, period: str, sex: str,
                term: str | None, fdr: bool = False) -> dict:
    """The kommun map of a view (with the sites' status in `term` unless None), ready to send;
    `fdr` (hot spots only) the false-discovery-rate cut-off."""
    _, taxonomy, _ = specs(ctx)
    return _map_payload(ctx.key, ctx.location, spec, view_id, period, sex, taxonomy,
                        ctx.settings, ctx.lang, term, fdr and view_id == "hotspots")


st_map = map_frame.st_map  # the map's frame: drawn once, restyled on a change


# --- background warming --------------------------------------------------------------------------
# After a page is drawn it hands the warmer a plan: a generator of (key, job) pairs, the values
# the next filter changes will read, nearest first. One daemon thread runs the latest plan.
# Jobs only call the cached functions above with plain values: no st.* element, no session
# state, no ScriptRunContext. Streamlit's caches lock per key, so a rerun that needs a value the
# thread is computing waits for it instead of computing it twice; a job whose value is cached
# costs a lookup and keeps the value recent in its cache. The thread starts no job while a run
# is going on (sidebar() pauses it, the page's plan resumes it). LAGESBILD_WARM=0 turns it off.

_WARMER = Warmer()
# at exit, let a running job finish rather than tear pandas down under it
atexit.register(lambda: (_WARMER.stop(), _WARMER.wait_idle(30.0)))


def warmer() -> Warmer:
    return _WARMER


def warm(ctx: Context, plan: Callable[[], Plan]) -> None:
    """Hand the background thread `plan()` (called in that thread)."""
    if os.environ.get("LAGESBILD_WARM", "1") != "0" and ctx.workspace.exists():
        _WARMER.start(_lazy(plan), _session())


def _session() -> str | None:
    """The id of the session whose script runs in this thread (None outside a run)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    run = get_script_run_ctx(suppress_warning=True)
    return run.session_id if run is not None else None


def _lazy(plan: Callable[[], Plan]) -> Plan:
    yield from plan()
