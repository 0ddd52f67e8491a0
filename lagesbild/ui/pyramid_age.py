"""The pyramid page's expander "Efter ålder": the pyramid's top and middle levels from the
police extract per age group of the victim (`analysis.age.pyramid_by_age`), K/M/T, with the
"okänd ålder" row and how the table is protected. Shown when the workspace's incidents carry
age groups; the reported-crime tables (Brå) have no age."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lagesbild.core.settings import Settings
from lagesbild.report.build_age import age_rows
from lagesbild.ui import common


@st.cache_data(max_entries=4, show_spinner=False)
def _has_ages(key: str, path: str) -> bool:
    incidents = common.frames_for(key, path).incidents
    return "age_group" in incidents and bool(incidents["age_group"].notna().any())


@st.cache_data(max_entries=256, show_spinner=False, hash_funcs=common.FAST_HASH)
def age_table(key: str, path: str, area_id: str, period: str, settings: Settings,
              stamp: float, lang: str) -> pd.DataFrame | None:
    """`report.build_age.age_rows` of the workspace, cached."""
    _, taxonomy, _ = common._specs(str(settings.layers_dir), stamp)
    return age_rows(common.frames_for(key, path), taxonomy, settings, area_id=area_id,
                    period=period, lang=lang)


def age_expander(ctx: common.Context, area_id: str, period: str, source: str,
                 stamp: float) -> None:
    """The expander; nothing when no incident of the workspace carries an age."""
    path = str(ctx.workspace.path)
    if not _has_ages(ctx.key, path):
        return
    with st.expander(ctx.t("age_title")):
        if source != "incidents":
            st.info(ctx.t("age_pick_incidents"))
            return
        table = age_table(ctx.key, path, area_id, period, ctx.settings, stamp, ctx.lang)
        if table is None:
            st.info(ctx.t("age_none", period=period))
            return
        common.table(table)
        st.caption(ctx.t("age_caption") + " " + ctx.suppression_note())
