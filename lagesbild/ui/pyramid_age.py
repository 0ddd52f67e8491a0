"""The pyramid page's expander "Efter ålder": the pyramid's top and middle levels from the
police extract per age group of the victim (`analysis.age.pyramid_by_age`), K/M/T, with the
"okänd ålder" row and how the table is protected. Shown when the workspace's incidents carry
age groups; the reported-crime tables (Brå) have no age."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lagesbild.analysis.age import pyramid_by_age
from lagesbild.core.age import ALL_AGES, UNKNOWN
from lagesbild.core.i18n import sex_label, t
from lagesbild.core.settings import Settings
from lagesbild.report.english import to_english
from lagesbild.ui import common


@st.cache_data(max_entries=4, show_spinner=False)
def _has_ages(key: str, path: str) -> bool:
    incidents = common.frames_for(key, path).incidents
    return "age_group" in incidents and bool(incidents["age_group"].notna().any())


@st.cache_data(max_entries=256, show_spinner=False, hash_funcs=common.FAST_HASH)
def age_table(key: str, path: str, area_id: str, period: str, settings: Settings,
              stamp: float, lang: str) -> pd.DataFrame | None:
    """Level × age group (then "okänd ålder" and all ages) × K/M/T display texts and the total's
    interval; None when the period's incidents carry no age."""
    frames = common.frames_for(key, path)
    _, taxonomy, _ = common._specs(str(settings.layers_dir), stamp)
    rows = pyramid_by_age(frames, taxonomy, area=area_id, period=period, settings=settings)
    if rows.empty:
        return None
    titles = {lv.level: lv.title_en if lang == "en" else lv.title_sv for lv in taxonomy.levels}
    labels = {UNKNOWN: t("age_unknown", lang), ALL_AGES: t("age_all", lang)}
    english = to_english if lang == "en" else str
    out = []
    for level in (3, 2):
        part = rows[rows["level"] == level]
        whole = part[(part["age_group"] == ALL_AGES) & (part["sex"] == "T")]
        if not len(whole) or not (pd.to_numeric(whole["count"]).fillna(0) > 0).any():
            continue  # no incident of the level in the extract: no rows of zeros
        for group in pd.unique(part["age_group"]):
            cells = part[part["age_group"] == group].set_index("sex")
            total = cells.loc["T"]
            out.append({
                t("level_word", lang): titles.get(level, str(level)),
                t("age_group", lang): labels.get(str(group), str(group)),
                **{sex_label(s, lang): english(str(cells.loc[s, "display"])) if s in cells.index
                   else "" for s in ("K", "M", "T")},
                t("interval", lang): "" if pd.isna(total["ci_low"]) else
                f"{total['ci_low']:.1f}–{total['ci_high']:.1f}".replace(".", ","),
                t("note_word", lang): english(str(total["note"] or "")),
            })
    return pd.DataFrame(out) if out else None


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
