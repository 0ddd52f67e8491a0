"""Survey shares pooled over three years (`analysis.survey_pooling`) where a coordinator sees
them: the Jämförelse page's toggle "3 år sammantaget" and the report's pooled K/M line for a
small kommun whose single-year K/M cells are hidden (Vilhelmina in the demo)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from frames_support import shared_demo

APP = Path(__file__).resolve().parents[1] / "app.py"


@pytest.fixture
def compare_page(monkeypatch: pytest.MonkeyPatch,
                 tmp_path_factory: pytest.TempPathFactory) -> AppTest:
    monkeypatch.setenv("LAGESBILD_WORKSPACE", str(shared_demo(tmp_path_factory)))
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.run()
    at.switch_page("lagesbild/ui/compare_page.py").run()
    assert not at.exception, at.exception
    return at


def _row(at: AppTest, name: str) -> dict:
    table = at.dataframe[0].value
    return table[table["Område"] == name].iloc[0].to_dict()


def test_compare_page_ranks_the_pooled_window(compare_page: AppTest) -> None:
    at = compare_page
    # a crime layer has no survey years to pool: no toggle
    assert not [w for w in at.toggle if w.key == "cmp_pooled"]
    at.selectbox(key="cmp_layer").set_value("otrygghet").run()
    at.radio(key="cmp_sex").set_value("K").run()
    assert _row(at, "Vilhelmina")["Värde"].startswith("..")  # hidden in 2024 alone
    at.toggle(key="cmp_pooled").set_value(True).run()
    assert not at.exception, at.exception
    period = at.selectbox(key="cmp_period")
    # the complete windows of the demo's survey years 2021–2024, the latest chosen
    assert period.options == ["2021–2023 sammantaget", "2022–2024 sammantaget"]
    assert period.value == "2024"
    women = _row(at, "Vilhelmina")
    assert women["Värde"] == "27,7 % (n=101)" and women["#"] >= 1
    assert any("2022–2024 sammantaget: tre enkätår sammanvägda" in c.value for c in at.caption)
    at.radio(key="cmp_sex").set_value("M").run()
    assert _row(at, "Vilhelmina")["Värde"] == "8,4 % (n=131)"
    # a kommun still hidden pooled stays hidden and unranked (Norsjö: a hidden year nearby)
    norsjo = _row(at, "Norsjö")
    assert norsjo["Värde"].startswith("..") and str(norsjo["#"]) in ("<NA>", "nan", "None")
    at.toggle(key="cmp_pooled").set_value(False).run()
    assert at.selectbox(key="cmp_period").options == ["2021", "2022", "2023", "2024"]
    assert _row(at, "Vilhelmina")["Värde"].startswith("..")
