"""The app states its flags against chance (issue 13): the Karta page beside change and hot-spot
maps, with a false-discovery-rate choice for hot spots, and the Jämförelse page's band."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from frames_support import shared_demo
from app_support import open_page

APP = Path(__file__).resolve().parents[1] / "app.py"


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_demo(tmp_path_factory)


def _start(monkeypatch: pytest.MonkeyPatch, ws: Path, page: str) -> AppTest:
    monkeypatch.setenv("LAGESBILD_WORKSPACE", str(ws))
    at = open_page(page, timeout=90)
    assert not at.exception, at.exception
    return at


def _captions(at: AppTest) -> str:
    return " ".join(c.value for c in at.caption)


def test_map_page_hot_spots_flags_and_fdr(monkeypatch: pytest.MonkeyPatch, ws: Path) -> None:
    at = _start(monkeypatch, ws, "map_page")
    assert not any(t.key == "map_fdr" for t in at.toggle)  # offered with hot spots only
    at.selectbox(key="map_view").set_value("hotspots").run()
    assert not at.exception, at.exception
    assert at.selectbox(key="map_period").value == "2024"
    assert "Flaggade mot vad slumpen ensam ger: 90\u00a0%-nivån" in _captions(at)
    assert "av 15 områden" in _captions(at)
    at.toggle(key="map_fdr").set_value(True).run()
    assert not at.exception, at.exception
    assert "justerat för falska upptäckter (FDR)" in _captions(at)
    at.selectbox(key="map_view").set_value("change").run()
    assert not at.exception and not any(t.key == "map_fdr" for t in at.toggle)
    assert "95\u00a0%-nivån" in _captions(at) and "kommuner (väntat av slumpen" in _captions(at)
    # too few kommuner left to analyse: the page says why instead of showing flags
    at.selectbox(key="map_layer").set_value("vald_nara_relation").run()
    at.selectbox(key="map_view").set_value("hotspots").run()
    at.selectbox(key="map_period").set_value("2023").run()
    at.radio(key="map_sex").set_value("M").run()
    assert not at.exception, at.exception
    assert any("färre än 15 områden" in i.value for i in at.info)


def test_compare_page_counts_band_flags_against_chance(monkeypatch: pytest.MonkeyPatch,
                                                       ws: Path) -> None:
    at = _start(monkeypatch, ws, "compare_page")
    captions = _captions(at)
    assert "Över eller under bandet bara när hela 95\u00a0%-intervallet ligger utanför" in captions
    assert "av slumpen ensam väntas upp till" in captions
    table = at.dataframe[0].value
    above = (table["Länets mittersta hälft"] == "över länets mittersta hälft").sum()
    assert f"{above} över och" in captions
