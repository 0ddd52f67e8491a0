"""Small display helpers shared by pages: figure tables with translated headers."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lagesbild.i18n import sex_label, t


def figure_table(figures: pd.DataFrame, lang: str) -> None:
    """Area, sex, shown value, interval and n/denominator for rows of layer_figures output."""
    out = pd.DataFrame({
        t("area", lang): figures["name"],
        t("sex", lang): [sex_label(s, lang) for s in figures["sex"]],
        t("value", lang): figures["display"],
        t("interval", lang): [
            "" if pd.isna(lo) or pd.isna(hi) else f"{lo:.1f}–{hi:.1f}".replace(".", ",")
            for lo, hi in zip(figures["ci_low"], figures["ci_high"])],
    })
    st.dataframe(out, hide_index=True, width="stretch")
