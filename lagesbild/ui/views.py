"""Small display helpers shared by pages: figure tables with translated headers, and what a
map view's flags add up to."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lagesbild.analysis.map_views import MapView
from lagesbild.core.i18n import sex_label, t
from lagesbild.ui import shown


def detail_table(figures: pd.DataFrame, lang: str) -> None:
    """One row per sex, one column per area, kommuner before the county."""
    st.dataframe(detail_frame(figures, lang), hide_index=True, width="stretch")


def detail_frame(figures: pd.DataFrame, lang: str) -> pd.DataFrame:
    """`detail_table`'s frame: a sex's row holds each area's first shown figure (built by hand:
    `pivot_table` took a fifth of every Karta run under load)."""
    names = [str(n) for n in figures["name"]]
    kommun_first = [n for n, lv in zip(names, figures["level"]) if lv == "kommun"]
    columns = list(dict.fromkeys(kommun_first + names))
    cells: dict[str, dict[str, str]] = {}
    for sex, name, display in zip(figures["sex"], names, figures["display"]):
        cells.setdefault(sex, {}).setdefault(name, shown.text(display, lang))
    rows = [{t("sex", lang): sex_label(s, lang), **{c: cells[s].get(c, "–") for c in columns}}
            for s in ("K", "M", "T") if s in cells]
    return pd.DataFrame(rows, columns=[t("sex", lang), *columns])


def overview_table(overview: pd.DataFrame, lang: str) -> None:
    """Layer, period, the kommun's value and the county's value."""
    st.dataframe(shown.frame(overview.rename(columns={
        "layer": t("layer", lang), "period": t("period", lang), "value": t("value", lang),
        "county": t("county_value", lang)}), lang), hide_index=True, width="stretch")


def flags_note(view: MapView) -> None:
    """Beside a change or hot-spot map: the areas flagged against the number chance alone
    would flag, or (as a notice) why hot spots were not computed."""
    if not view.summary:
        return
    if view.view == "hotspots" and not view.flags:
        st.info(view.summary)
    else:
        st.caption(view.summary)


def number_text(values: pd.Series, digits: int = 1, lang: str = "sv") -> list[str]:
    """Numbers as a table shows them: a decimal comma in Swedish, "–" where there is none
    (never "None" or "nan")."""
    out = []
    for v in pd.to_numeric(values, errors="coerce"):
        if pd.isna(v):
            out.append("–")
            continue
        text = f"{float(v):,.{digits}f}"
        out.append(text if lang == "en" else text.replace(",", "\u00a0").replace(".", ","))
    return out
