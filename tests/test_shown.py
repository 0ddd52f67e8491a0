"""Values as the user reads them (ui/shown.py) and the rule the browser walk applies
(tests/raw_values.py): what it catches, and what it must let through."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from lagesbild.ui import shown
from lagesbild.ui.folium_payload import METRIC_SCALE, metric_scale
from lagesbild.ui.import_wizard import field_title
from raw_values import raw_values


@pytest.mark.parametrize(("value", "digits", "lang", "text"), [
    (14484, 0, "sv", "14\u00a0484"), (14484, 0, "en", "14,484"), (44.94, 1, "sv", "44,9"),
    (44.94, 1, "en", "44.9"), (1045.06, 1, "sv", "1\u00a0045,1"), (None, 1, "sv", "–"),
    (math.nan, 1, "sv", "–"), ("x", 0, "en", "–"), (pd.NA, 0, "sv", "–"),
])
def test_numbers_are_written_the_languages_way(value, digits, lang, text) -> None:  # noqa: ANN001
    assert shown.number(value, digits, lang) == text


def test_analysis_texts_in_english_mode_only() -> None:
    sv = "905,8 per 100 000 (2\u00a0531 brott); dold; uppgift saknas; importerad 2026-12-07"
    assert shown.text(sv, "sv") == sv
    en = shown.text(sv, "en")
    assert en == "905.8 per 100 000 (2,531 offences); hidden; no data; imported 2026-12-07"
    assert raw_values(en, "en") == []
    assert shown.text(None, "en") == "–"


def test_tables_in_english_keep_numbers_numeric() -> None:
    table = pd.DataFrame({"Värde": ["1\u00a0045,1 per 100 000", "dold"], "n": [3381, 12]})
    out = shown.frame(table, "en")
    assert list(out["Värde"]) == ["1,045.1 per 100 000", "hidden"]
    assert out["n"].dtype.kind == "i"  # still sorts as numbers
    assert shown.frame(table, "sv") is table


def test_english_numbers_stay_english() -> None:
    """A layer's English title ("per 100,000") and an English count pass unchanged."""
    title = "Reported fraud per 100,000 inhabitants: 1,717.5 (4,799 offences)"
    assert shown.text(title, "en") == title
    assert shown.text("1\u00a0717,5 per 100 000 (4\u00a0799 brott)", "en") == \
        "1,717.5 per 100 000 (4,799 offences)"


def once_text() -> str:
    return "1,028.7–1,266.5"


def test_a_table_is_translated_once() -> None:
    """An English number translated again stays English (to_english alone would make it
    "1.028.7", which the walk's rule catches: see test_the_walk_catches)."""
    twice = shown.frame(shown.frame(pd.DataFrame({"v": ["1\u00a0028,7–1\u00a0266,5"]}), "en"),
                        "en")
    assert twice["v"][0] == once_text() and raw_values(twice["v"][0], "en") == []
    once = shown.frame(pd.DataFrame({"v": ["1\u00a0028,7–1\u00a0266,5"]}), "en")
    assert once["v"][0] == "1,028.7–1,266.5" and raw_values(once["v"][0], "en") == []


def test_chart_spec_carries_the_number_locale() -> None:
    spec = {"mark": "bar", "config": {"view": {"stroke": None}}}
    sv = shown.vega(spec, "sv")
    assert sv["config"]["locale"]["number"]["decimal"] == ","
    assert sv["config"]["locale"]["number"]["thousands"] == "\u00a0"
    assert sv["config"]["view"] == {"stroke": None} and "locale" not in spec["config"]
    assert shown.vega(spec, "en")["config"]["locale"]["number"]["thousands"] == ","


def test_scale_bar_is_metric() -> None:
    import folium

    html = metric_scale(folium.Map(control_scale=True)).get_root().render()
    assert METRIC_SCALE in html and "L.control.scale()" not in html


def test_wizard_fields_by_title() -> None:
    assert field_title("area_id", ["Kommunkod", "Kommun kod"], en=False) == "Kommunkod"
    assert field_title("area_id", ["kommun_kod", "Kommunkod"], en=False) == "Kommunkod"
    assert field_title("area_id", ["region", "Kommun"], en=False) == "Region"
    assert field_title("category", ["Brottskategori"], en=True) == "Category"
    assert field_title("ci_low", ["KI nedre (%)"], en=True) == "CI lower"


# --- the walk's rule -------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "lang", "rule"), [
    ("Rang: None", "sv", "missing value"), ("värde nan", "sv", "missing value"),
    ("<NA>", "en", "missing value"), ("undefined", "sv", "missing value"),
    ("Andel 44.9 %", "sv", "decimal point"), ("1,500", "sv", "English thousands separator"),
    ("Elever 14484", "sv", "big number without thousands space"),
    ("vald_topp, otrygghet", "sv", "layer id"), ("area_id", "en", "column name"),
    ("category", "sv", "column name"), ("Område 2463", "sv", "area id for a name"),
    ("Choose an option", "sv", "Streamlit English"), ("200MB per file", "sv", "Streamlit English"),
    ("Page not found", "sv", "Streamlit English"), ("30 mi", "sv", "miles"),
    ("Skip to main content", "sv", "Streamlit English"),
    ("Download as CSV: Tabell", "sv", "Streamlit English"), ("Fullscreen", "sv", "Streamlit English"),
    ("89 790 brott", "en", "Swedish word"), ("dold", "en", "Swedish word"),
    ("importerad 2026-12-07", "en", "Swedish word"), ("uppgift saknas", "en", "Swedish word"),
    ("44,9 %", "en", "decimal comma"), ("1.028.7–1.266.5", "en", "point as thousands separator"),
    ("14.484 pupils", "en", "point as thousands separator"),
])
def test_the_walk_catches(text: str, lang: str, rule: str) -> None:
    assert rule in {r for r, _ in raw_values(text, lang)}, raw_values(text, lang)


@pytest.mark.parametrize(("text", "lang"), [
    ("Källa: bra_anmalda_brott_2019-2024.csv (2019–2024, importerad 2026-12-07)", "sv"),
    ("Fil: vald_topp.toml; layers/pyramid.toml", "sv"),
    ("14\u00a0484 elever; 44,9 %; 2024; kommun 2417; n=3381", "sv"),
    ("14,484 pupils; 44.9%; 2024; 0.75; 1,045.1 per 100 000", "en"),
    ("Röjandeskyddet granskas inte i appen (LAGESBILD_APP_AUDIT=off)", "sv"),
    ("Offence category", "en"), ("Kontrollsumma 3f2a91c04b7e55d1", "sv"),
    ("Skip to main content", "en"), ("Hoppa till huvudinnehållet", "sv"),
    ("Ladda ner som CSV", "sv"), ("Västerbottens län, Umeå, Norsjö", "en"),
])
def test_the_walk_lets_through(text: str, lang: str) -> None:
    assert raw_values(text, lang) == []


def test_an_english_map_view_reads_in_english() -> None:
    """The map's tooltips come from the view's texts: in English mode they are English."""
    from lagesbild.analysis.map_views import MapView
    from lagesbild.render.map import legend_html
    from lagesbild.ui.shown import view_in

    figures = pd.DataFrame({"area_id": ["2462"], "display": ["1\u00a0234,5 per 100\u00a0000 (12 brott)"],
                            "note": ["delår 1 jan–31 mar: ingen årstakt (välj uppräkning för en "
                                     "årstakt)"], "source": ["Brå, anmälda brott (2019–2024)"]})
    view = MapView("value", "T", "2024", figures=figures, note="dold")
    english = view_in(view, "en")
    assert english.figures["display"].iloc[0] == "1,234.5 per 100,000 (12 offences)"
    assert english.figures["note"].iloc[0].startswith("part year 1 Jan–31 Mar")
    assert english.note == "hidden"
    assert view_in(view, "sv") is view
    # the legend's class limits the way the language writes numbers
    assert "1,234.5 – 2,000.0" in legend_html("T", [1234.5, 2000.0], ["#fff", "#000"],
                                              lang="en", sites=False)
    assert "1\u00a0234,5 – 2\u00a0000,0" in legend_html("T", [1234.5, 2000.0], ["#fff", "#000"],
                                                        lang="sv", sites=False)
