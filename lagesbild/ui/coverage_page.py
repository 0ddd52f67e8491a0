"""Insatser: programme coverage per kommun and term, and the strategy's actions by focus area."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lagesbild.analysis.coverage import actions_by_focus, coverage_by_area
from lagesbild.ui import common

STATUS_ICONS = {"genomförd": "✅", "pågår": "🔄", "försenad": "⚠️", "ej påbörjad": "⏳"}


def render(ctx: common.Context) -> None:
    st.title(ctx.t("page_coverage"))
    if not common.require_workspace(ctx):
        return
    frames = common.frames(ctx)
    act = frames.programme_activity
    terms = sorted(act["period"].dropna().unique(), key=lambda p: (p[2:], p[:2] == "HT"))
    programmes = sorted(act["programme"].dropna().unique())
    if terms:
        c1, c2 = st.columns([1, 3])
        if st.session_state.get("cov_term") not in terms:
            st.session_state["cov_term"] = terms[-1]
        term = c1.selectbox(ctx.t("term"), terms, key="cov_term")
        chosen = c2.multiselect(ctx.t("programme"), programmes, default=programmes, key="cov_programmes")
        table = coverage_by_area(frames, period=term, programmes=tuple(chosen))
        names = dict(zip(frames.areas["area_id"], frames.areas["name"]))
        en = ctx.lang == "en"
        st.subheader(ctx.t("coverage_table"))
        common.table(pd.DataFrame({
            ctx.t("area"): table["area_id"].map(names),
            "Schools" if en else "Skolor": table["schools"],
            "Schools reached" if en else "Skolor som nås": table["schools_reached"],
            "Pupils in target group" if en else "Elever i målgruppen": table["eligible_pupils"],
            "Pupils reached" if en else "Elever som nåtts": table["pupils_reached"],
            "Share of pupils (%)" if en else "Andel elever (%)": table["share_pupils"].round(1),
            "Classes" if en else "Klasser": table["classes"],
            "Staff trained" if en else "Utbildad personal": table["staff_trained"],
        }))
        st.caption(f"{ctx.t('source')}: {table['source'].iloc[0] if len(table) else '–'}")
    st.subheader(ctx.t("actions"))
    actions = actions_by_focus(frames, lang=ctx.lang)
    names = dict(zip(frames.areas["area_id"], frames.areas["name"]))
    for focus, group in actions.groupby("focus_title", sort=False):
        with st.expander(f"{focus} ({len(group)})", expanded=True):
            common.table(pd.DataFrame({
                "ID": group["action_id"],
                "Action" if ctx.lang == "en" else "Insats": group["title"],
                "Responsible" if ctx.lang == "en" else "Ansvarig": group["responsible"],
                ctx.t("period"): group["period"],
                "Status": [f"{STATUS_ICONS.get(s, '')} {s}" for s in group["status"]],
                "Municipalities" if ctx.lang == "en" else "Kommuner": [
                    ", ".join(names.get(c, c) for c in str(codes).split(",") if c)
                    for codes in group["area_ids"].fillna("")],
            }))


if __name__ == "__main__":  # run as a page by st.navigation
    render(common.context())
