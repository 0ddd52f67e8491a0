"""Insatser: the section "Utbildningar", trainings of staff by training, kommun and kind of unit."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lagesbild.analysis import trainings
from lagesbild.core.frames import Frames
from lagesbild.ui import cited, common
from lagesbild.ui.views import number_text

ALL_YEARS = "alla"


def _shown(table: pd.DataFrame, ctx: common.Context) -> pd.DataFrame:
    en = ctx.lang == "en"
    return pd.DataFrame({
        ctx.t("training"): table["training"].astype(str),
        ctx.t("area"): table["name"].astype(str),
        ctx.t("unit_kind"): [trainings.UNIT_EN.get(k, k) if en else k
                             for k in table["unit_kind"].astype(str)],
        ctx.t("training_occasions"): number_text(table["occasions"], 0),
        ctx.t("training_participants"): number_text(table["participants"], 0),
        ctx.t("training_hours"): number_text(table["hours"], 1),
        ctx.t("training_staff"): number_text(table["staff"], 0),
        ctx.t("training_share"): number_text(table["share_staff"], 1),
    })


def render(ctx: common.Context, frames: Frames) -> None:
    """The trainings held in a year (or all years): a table by training × kommun × kind of
    unit, the totals per kommun and kind, and the whole workspace's figures."""
    st.subheader(ctx.t("trainings"))
    found = trainings.years(frames)
    if not found:
        st.info(ctx.t("trainings_none"))
        return
    options = [*[str(y) for y in reversed(found)], ALL_YEARS]
    if st.session_state.get("tr_year") not in options:
        st.session_state["tr_year"] = options[0]
    chosen = st.selectbox(ctx.t("year"), options, key="tr_year",
                          format_func=lambda y: ctx.t("all_years") if y == ALL_YEARS else y)
    year = None if chosen == ALL_YEARS else int(chosen)
    kommuner = [str(a) for a in frames.kommuner["area_id"]]
    whole = trainings.summary(frames, kommuner, year=year)
    c1, c2, c3 = st.columns(3)
    c1.metric(ctx.t("training_occasions"), number_text(pd.Series([whole["occasions"]]), 0)[0])
    c2.metric(ctx.t("training_participants"),
              number_text(pd.Series([whole["participants"]]), 0)[0])
    c3.metric(ctx.t("training_hours"), number_text(pd.Series([whole["hours"]]), 0)[0])
    table = trainings.by_training(frames, year=year)
    common.table(_shown(table, ctx))
    st.markdown(f"**{ctx.t('training_totals')}**")
    common.table(_shown(trainings.totals(frames, year=year, lang=ctx.lang), ctx))
    note = trainings.NOTES["en" if ctx.lang == "en" else "sv"]
    st.caption(note)
    cited.caption(ctx, *(table["source"].iloc[:1] if len(table) else []))
