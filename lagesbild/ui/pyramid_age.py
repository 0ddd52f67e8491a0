"""The pyramid page's expander "Efter ålder": the pyramid's top and middle levels from the
police extract per age group of the victim (`analysis.age.pyramid_by_age`), K/M/T, with the
"okänd ålder" row and how the table is protected; the same from the reported-crime table (Brå)
when its rows carry the victim's age, and the survey's shares by school grade or age. Shown
when any of them carries age groups."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lagesbild.core.settings import Settings
from lagesbild.report.build_age import age_rows, has_ages
from lagesbild.report.build_age_survey import grade_rows
from lagesbild.ui import common


@st.cache_data(max_entries=8, show_spinner=False)
def _has_ages(key: str, path: str, source: str) -> bool:
    frames = common.frames_for(key, path)
    if source == "survey":
        return bool(len(frames.indicators_age))
    return has_ages(frames, source)


@st.cache_data(max_entries=256, show_spinner=False, hash_funcs=common.FAST_HASH)
def age_table(key: str, path: str, area_id: str, period: str, settings: Settings,
              stamp: float, lang: str, source: str = "incidents") -> pd.DataFrame | None:
    """`report.build_age.age_rows` of the workspace, cached."""
    _, taxonomy, _ = common._specs(str(settings.layers_dir), stamp)
    return age_rows(common.frames_for(key, path), taxonomy, settings, area_id=area_id,
                    period=period, lang=lang, source=source)


@st.cache_data(max_entries=64, show_spinner=False, hash_funcs=common.FAST_HASH)
def grade_table(key: str, path: str, area_id: str, settings: Settings,
                lang: str) -> pd.DataFrame | None:
    """`report.build_age_survey.grade_rows` of the workspace (each indicator's latest year)."""
    return grade_rows(common.frames_for(key, path), settings, area_id=area_id, lang=lang)


def age_expander(ctx: common.Context, area_id: str, period: str, source: str,
                 stamp: float) -> None:
    """The expander; nothing when neither source nor the surveys carry an age."""
    path = ctx.location
    aged = {s: _has_ages(ctx.key, path, s) for s in ("incidents", "counts", "survey")}
    if not any(aged.values()):
        return
    with st.expander(ctx.t("age_title")):
        if aged[source]:
            table = age_table(ctx.key, path, area_id, period, ctx.settings, stamp, ctx.lang,
                              source)
            if table is None:
                st.info(ctx.t("age_none" if source == "incidents" else "age_none_counts",
                              period=period))
            else:
                common.table(table)
                st.caption(ctx.t("age_caption" if source == "incidents"
                                 else "age_caption_counts") + " " + ctx.suppression_note())
        elif aged["incidents"] or aged["counts"]:
            st.info(ctx.t("age_pick_incidents" if aged["incidents"] else "age_pick_counts"))
        if aged["survey"]:
            grades = grade_table(ctx.key, path, area_id, ctx.settings, ctx.lang)
            if grades is not None:
                st.markdown(f"**{ctx.t('age_grades_title')}**")
                common.table(grades)
                st.caption(ctx.t("age_grades_caption"))
