"""Insatser: programme coverage per stadsdel of a city, on a map of its districts and in a table,
with coverage versus need at that level (`analysis.district_coverage`)."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from lagesbild.analysis.district_coverage import (
    DISTRICT_LEVEL,
    DistrictCoverage,
    district_coverage,
    district_need,
    district_title,
    district_view,
    need_note,
    outside_note,
)
from lagesbild.analysis.small_areas import small_area_figures, supports
from lagesbild.core.frames import Frames
from lagesbild.core.layers import LayerSpec
from lagesbild.render.assets import use_static
from lagesbild.render.map import view_map
from lagesbild.ui import common, small_cache
from lagesbild.ui import shown as fmt
from lagesbild.ui.folium_payload import metric_scale
from lagesbild.ui.shown import view_in
from lagesbild.ui.views import number_text

NO_NEED = ""  # the need choice "none": coverage bands only


@st.cache_data(max_entries=16, show_spinner=False)
def _coverage(key: str, path: str, kommun: str, term: str, programmes: tuple[str, ...],
              level: str) -> DistrictCoverage:
    return district_coverage(common.frames_for(key, path), kommun=kommun, period=term,
                             programmes=programmes, level=level)


def _need_layers(ctx: common.Context, frames: Frames, level: str) -> dict[str, LayerSpec]:
    specs, _, _ = common.specs(ctx)
    return {i: s for i, s in specs.items()
            if s.kind in ("indicator", "incident_rate") and supports(s, frames, level)
            and common.layer_periods(ctx, s)}


def render(ctx: common.Context, frames: Frames, term: str, programmes: tuple[str, ...],
           level: str = DISTRICT_LEVEL) -> None:
    """The section, when the workspace has districts at `level` (nothing otherwise)."""
    kommuner = common.fact(ctx, "kommuner_with", level)
    if not kommuner:
        return
    en = ctx.lang == "en"
    st.subheader(district_title(level, ctx.lang))
    name = common.area_name(ctx)
    if st.session_state.get("cov_district_kommun") not in kommuner:
        st.session_state["cov_district_kommun"] = kommuner[0]
    c1, c2 = st.columns([1, 2])
    kommun = c1.selectbox(ctx.t("kommun"), kommuner, key="cov_district_kommun", format_func=name)
    layers = _need_layers(ctx, frames, level)
    options = [NO_NEED, *layers]
    need_id = c2.selectbox(ctx.t("need_from"), options, key="cov_district_need",
                           format_func=lambda i: ("– (bara täckning)" if not en else
                                                  "– (coverage only)") if i == NO_NEED
                           else layers[i].title(ctx.lang))
    cov = _coverage(ctx.key, ctx.location, kommun, term, programmes, level)
    if len(cov.outside):  # schools in no district: counted and said, never dropped
        st.warning(outside_note(len(cov.outside), level, list(cov.outside["name"].astype(str)),
                                ctx.lang))
    bands = ctx.settings.coverage_bands
    need_table, need_title, need_period = None, "", ""
    if need_id:
        spec = layers[need_id]
        periods = common.layer_periods(ctx, spec)
        if periods:
            need_period = periods[-1]
            _, taxonomy, _ = common.specs(ctx)
            figures = small_area_figures(frames, spec, level=level, period=need_period, sex="T",
                                         taxonomy=taxonomy, settings=ctx.settings, kommun=kommun)
            need_table = district_need(cov, figures[figures["level"] == level], bands)
            need_title = f"{spec.title(ctx.lang)} {need_period}"
    view = district_view(cov, bands, need=need_table, need_title=need_title, lang=ctx.lang)
    left, right = st.columns([3, 2])
    with left:
        geometry = small_cache.small_geometry(ctx, level, kommun)
        m = use_static(view_map(view_in(view, ctx.lang), geometry, _spec(level), lang=ctx.lang))
        st_folium(metric_scale(m), key="cov_district_map", height=460, use_container_width=True,
                  returned_objects=[])
    with right:
        common.table(district_table(cov, need_table, ctx.lang))
    without = int((cov.table["schools"] == 0).sum())
    caption = [f"{ctx.t('source')}: {fmt.text(cov.source, ctx.lang)}; {term}."]
    if without:
        caption.append(f"{without} districts without schools in the target group are not listed."
                       if en else f"{without} stadsdelar utan skolor i målgruppen visas inte i "
                                  "tabellen.")
    if need_table is not None:
        caption.append(need_note(bands, level, ctx.lang))
    st.caption(" ".join(caption))


def _spec(level: str) -> LayerSpec:
    return LayerSpec(id=f"district_{level}", title_sv="Täckning per stadsdel",
                     title_en="Coverage by district", kind="coverage")


def district_table(cov: DistrictCoverage, need: pd.DataFrame | None, lang: str) -> pd.DataFrame:
    """The districts with schools in the target group (need first when given), for display."""
    en = lang == "en"
    rows = (cov.table if need is None else need)
    rows = rows[rows["schools"] > 0]
    out = {
        ("District" if en else "Stadsdel"): rows["name"].to_numpy(),
        ("Schools reached" if en else "Skolor som nås"): [
            f"{a} {'of' if en else 'av'} {b}" for a, b in zip(rows["schools_reached"], rows["schools"])],
        ("Pupils reached" if en else "Elever som nås"): number_text(rows["pupils_reached"], 0),
        ("Pupils in target group" if en else "Elever i målgruppen"): number_text(
            rows["eligible_pupils"], 0),
        ("Share of pupils (%)" if en else "Andel elever (%)"): number_text(rows["share_pupils"], 1),
        ("Programmes" if en else "Program"): rows["programmes"].to_numpy(),
    }
    if rows["run_by"].astype(bool).any():
        out["Run by" if en else "Förvaltning"] = rows["run_by"].to_numpy()
    if rows["funded_by"].astype(bool).any():
        out["Funded by" if en else "Finansierar"] = rows["funded_by"].to_numpy()
    if need is not None:
        out["Need (value)" if en else "Behov (värde)"] = rows["need_display"].fillna("–").to_numpy()
        out["Need (percentile)" if en else "Behov (percentil)"] = number_text(rows["need_pct"], 0)
        out["Priority" if en else "Prioritet"] = number_text(rows["rank"], 0)
    return pd.DataFrame(out)
