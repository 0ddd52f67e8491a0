"""What counts as a raw value in the text a user sees (the browser walk in test_browser_raw.py).

`raw_values(text, lang)` returns each offending fragment with the rule it breaks: missing-value
tokens, numbers not written the language's way, internal ids, Streamlit's own English in the
Swedish interface and Swedish words in the English one.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_MISSING = re.compile(r"(?<![\w.])(None|nan|NaN|<NA>|NaT|undefined|null|inf)(?![\w.])")
# "44.9": a decimal point between digits, but not a date, a file name nor a version number
_POINT = re.compile(r"(?<![\w.\-/])\d+\.\d+(?![\w.\-/])")
# "1,500": an English thousands separator (Swedish), "44,9": a decimal comma (English)
_COMMA_THOUSANDS = re.compile(r"(?<![\w.,])\d{1,3}(?:,\d{3})+(?![\w,])")
_POINT_THOUSANDS = re.compile(r"(?<![\w.,])[1-9]\d{0,2}(?:\.\d{3})+(?:\.\d+)?(?![\w.])")  # 1.028.7
_COMMA_DECIMAL = re.compile(r"(?<![\w.,])\d+,\d{1,2}(?![\w,])")
# "14484": five digits or more without a thousands space (not inside a name or a checksum)
_BIG = re.compile(r"(?<![\w.,\-/:])\d{5,}(?![\w.\-/:])")
# a snake_case token that is not part of a file name (files keep their names) nor an env variable
_SNAKE = re.compile(r"(?<![\w.\-/])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w\-/]|\.\w)")
_WORD = re.compile(r"(?<![\w.\-/])\w+(?![\w\-/]|\.\w)")  # a word, not a file name's part
_AREA_ID = re.compile(r"\b(Område|Area) \d{3,}\b")
_COLUMNS = ("area_id", "sub_area_id", "indicator_id", "age_group", "site_id",
            "source_category", "victim_sex", "pyramid_level", "parent_id", "ci_low", "ci_high",
            "pupils_reached", "staff_trained", "eligible_pupils", "focus_area")
# Streamlit's and Leaflet's own English in the Swedish interface (text, and the aria-labels and
# tooltips of its buttons: lagesbild/ui/frontend_texts.py gives them in Swedish)
_ENGLISH_UI = ("Choose an option", "Choose options", "Drag and drop", "Browse files",
               "per file", "Page not found", "No results", "Upload", "Add row", "Show/hide",
               "Download as", "Search", "Fullscreen", "Close fullscreen", "Clear all",
               "Running...", "Skip to main content", "Show data", "Clear selection",
               "Delete row", "Collapse sidebar", "Expand sidebar", "Link to heading")
_MILES = re.compile(r"(?<![\w.,])\d+ (mi|ft)\b")
# Swedish words the analysis writes, in the English interface
# (not "och", "av", "Kvinnor": they are in the data too, in category names and in a file's rows)
_SWEDISH = re.compile(r"(?<![\w_])(brott|dold|dolda|importerad|uppgift saknas|kommuner|elever|"
                      r"delår|folkmängd|för få svar|Område|Källa)(?![\w_])")
_ALLOWED: tuple[str, ...] = ()


@cache  # read once: the walk checks thousands of lines, each against every layer id
def layer_ids() -> frozenset[str]:
    from lagesbild.core.layers import load_layers

    return frozenset(load_layers(ROOT / "layers"))


def raw_values(text: str, lang: str) -> list[tuple[str, str]]:
    """(rule, fragment) for every raw value in `text` shown in language `lang`."""
    for allowed in _ALLOWED:
        text = text.replace(allowed, "")
    found: list[tuple[str, str]] = []

    def add(rule: str, pattern: re.Pattern[str]) -> None:
        found.extend((rule, m.group(0)) for m in pattern.finditer(text))

    add("missing value", _MISSING)
    add("big number without thousands space", _BIG)
    add("internal id", _SNAKE)
    add("area id for a name", _AREA_ID)
    words = _WORD.findall(text)
    ids = layer_ids()
    found.extend(("layer id", w) for w in words if w in ids)
    found.extend(("column name", w) for w in words if w in _COLUMNS)
    if lang == "sv":
        found.extend(("column name", w) for w in words if w in ("category", "count", "value"))
        add("decimal point", _POINT)
        add("English thousands separator", _COMMA_THOUSANDS)
        add("miles", _MILES)
        found.extend(("Streamlit English", s) for s in _ENGLISH_UI if s in text)
    else:
        add("decimal comma", _COMMA_DECIMAL)
        add("point as thousands separator", _POINT_THOUSANDS)
        add("Swedish word", _SWEDISH)
    return found
