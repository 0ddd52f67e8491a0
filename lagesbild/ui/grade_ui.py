"""The school grade of a survey layer given by grade (Karta, Jämförelse): one grade at a time,
never mixed with another grade's share (`analysis.shares.indicator_figures(grade=...)`)."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from lagesbild.core.layers import LayerSpec
from lagesbild.ui import common


@st.cache_data(max_entries=16, show_spinner=False)
def _grades(key: str, path: str, indicator_id: str) -> list[str]:
    from lagesbild.analysis.shares import indicator_grades

    return indicator_grades(common.frames_for(key, path), indicator_id)


def grade_choice(ctx: common.Context, column: object, spec: LayerSpec, key: str) -> LayerSpec:
    """`spec` with the school grade chosen, where its survey has rows by grade (one grade at
    a time: another grade's share is never mixed into a kommun's value)."""
    if spec.kind != "indicator":
        return spec
    grades = _grades(ctx.key, ctx.location, spec.indicator or "")
    if grades in ([], [""]):
        return spec
    grade = column.selectbox(ctx.t("grade_choice"), grades, key=key,  # type: ignore[attr-defined]
                             help=ctx.t("grade_help"),
                             format_func=lambda g: g or ctx.t("all_grades"))
    return replace(spec, grade=grade or "")
