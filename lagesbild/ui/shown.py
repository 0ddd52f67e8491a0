"""Values as the user reads them: numbers written the language's way, the analysis' Swedish
display texts in English when the interface is English, and the Vega format locale of charts.

The analysis writes its display texts in Swedish ("1 045,1 per 100 000 (313 brott)", "dold",
"uppgift saknas"); `text` gives them in English through the report's own translation
(report.english.to_english), so the app and the English report say the same thing.
"""

from __future__ import annotations

import copy
import math
import re
from typing import Any

import pandas as pd
import streamlit as st

from lagesbild.report.english import to_english

# d3-format locales (Vega's `config.locale.number`): Swedish writes 1 500,5, English 1,500.5
NUMBER_LOCALE = {
    "sv": {"decimal": ",", "thousands": "\u00a0", "grouping": [3], "currency": ["", "\u00a0kr"]},
    "en": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["", " SEK"]},
}


# An English thousands comma ("100,000" in a layer's English title): to_english reads a comma
# between digits as a Swedish decimal comma, so these are kept aside while it runs. The
# analysis never writes three decimals, so a Swedish "0,750" is not among them.
_EN_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_KEEP = "\u2063"


def _english(value: str) -> str:
    return to_english(_EN_THOUSANDS.sub(_KEEP, value)).replace(_KEEP, ",")


def lang() -> str:
    """The interface language the sidebar set for this session."""
    value = st.session_state.get("lang", "sv")
    return value if value in NUMBER_LOCALE else "sv"


def text(value: object, lang: str) -> str:
    """An analysis display text as the interface shows it (English when `lang` is "en")."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    out = str(value)
    return _english(out) if lang == "en" else out


def number(value: object, digits: int = 0, lang: str = "sv") -> str:
    """1 500,5 (en: 1,500.5); "–" where there is no number (never "None" or "nan")."""
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "–"
    if math.isnan(v) or math.isinf(v):
        return "–"
    out = f"{v:,.{digits}f}"
    return out if lang == "en" else out.replace(",", "\u00a0").replace(".", ",")


def frame(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """`table` with its headers and text cells in the interface language (numbers untouched, so
    a numeric column still sorts as numbers)."""
    if lang != "en":
        return table
    out = table.rename(columns=lambda c: _english(c) if isinstance(c, str) else c)
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = [_english(v) if isinstance(v, str) else v for v in out[column]]
    return out


def vega(spec: dict[str, Any], lang: str) -> dict[str, Any]:
    """A Vega-Lite spec whose axes, legends and tooltips format numbers the language's way."""
    out = copy.copy(spec)
    config = dict(out.get("config") or {})
    config["locale"] = {"number": NUMBER_LOCALE.get(lang, NUMBER_LOCALE["sv"])}
    out["config"] = config
    return out


def view_in(view, lang: str):  # noqa: ANN001, ANN201 - analysis.map_views.MapView
    """A map view whose tooltip texts (values, notes, sources, category lines) read in `lang`:
    the analysis writes them in Swedish; an English map shows them in English."""
    if lang != "en":
        return view
    import dataclasses

    changes = {}
    if view.figures is not None:
        changes["figures"] = view.figures.assign(**{
            c: [text(v, lang) if isinstance(v, str) else v for v in view.figures[c]]
            for c in ("display", "note", "source") if c in view.figures.columns})
    if view.categories is not None and "lines" in view.categories.columns:
        changes["categories"] = view.categories.assign(lines=[
            [text(x, lang) for x in lines] if isinstance(lines, (list, tuple)) else lines
            for lines in view.categories["lines"]])
    changes["note"] = text(view.note, lang) if view.note else view.note
    return dataclasses.replace(view, **changes)
