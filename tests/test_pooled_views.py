"""Survey shares pooled over three years (`analysis.survey_pooling`) where a coordinator sees
them: the Jämförelse page's toggle "3 år sammantaget" and the report's pooled K/M line for a
small kommun whose single-year K/M cells are hidden (Vilhelmina in the demo)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from frames_support import shared_demo
from app_support import open_page

APP = Path(__file__).resolve().parents[1] / "app.py"


@pytest.fixture
def compare_page(monkeypatch: pytest.MonkeyPatch,
                 tmp_path_factory: pytest.TempPathFactory) -> AppTest:
    monkeypatch.setenv("LAGESBILD_WORKSPACE", str(shared_demo(tmp_path_factory)))
    at = open_page("compare_page", timeout=120)
    assert not at.exception, at.exception
    return at


def _row(at: AppTest, name: str) -> dict:
    table = at.dataframe[0].value
    return table[table["Område"] == name].iloc[0].to_dict()


def _charts(at: AppTest) -> list[bytes]:
    """The page's Vega-Lite charts as their serialised protos (spec and data), in page order."""
    found: list[bytes] = []

    def walk(node) -> None:  # noqa: ANN001
        proto = getattr(node, "proto", None)
        if proto is not None and type(proto).__name__ in ("ArrowVegaLiteChart", "VegaLiteChart"):
            found.append(proto.SerializeToString())
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return found


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
    assert women["Värde"] == "27,7 % (n=101)" and int(women["#"]) >= 1
    assert any("2022–2024 sammantaget: tre enkätår sammanvägda" in c.value for c in at.caption)
    assert not any("Sammanvägningen visas inte" in c.value for c in at.caption)
    # the similar kommuner show the pooled values, labelled as pooled
    similar = at.dataframe[1].value
    assert "Otrygghet ute sent en kväll (%) (2022–2024 sammantaget)" in similar.columns
    # the small multiples over time follow the toggle: the pooled windows, not single years
    charts = _charts(at)
    assert len(charts) == 2, len(charts)
    over_time = charts[1]
    assert "2021–2023".encode() in over_time and "2022–2024".encode() in over_time
    at.radio(key="cmp_sex").set_value("M").run()
    assert _row(at, "Vilhelmina")["Värde"] == "8,4 % (n=131)"
    # a kommun still hidden pooled stays hidden and unranked (Norsjö: a hidden year nearby)
    norsjo = _row(at, "Norsjö")
    assert norsjo["Värde"].startswith("..") and norsjo["#"] == "–"  # not "None"
    at.toggle(key="cmp_pooled").set_value(False).run()
    assert at.selectbox(key="cmp_period").options == ["2021", "2022", "2023", "2024"]
    over_time = _charts(at)[1]
    assert "2022–2024".encode() not in over_time
    assert _row(at, "Vilhelmina")["Värde"].startswith("..")


def test_a_withdrawn_county_window_is_said_not_left_blank(
        monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """A county whose window hiding could not protect is not published (survey_pooling, step
    4): the page names it and says why."""
    import streamlit as st

    from lagesbild.analysis import survey_pooling

    monkeypatch.setattr(survey_pooling, "withdrawn_counties", lambda *a, **k: ["24"])
    st.cache_data.clear()  # the comparison is cached by its arguments, not by this swap
    monkeypatch.setenv("LAGESBILD_WORKSPACE", str(shared_demo(tmp_path_factory)))
    at = open_page("compare_page", timeout=120)
    at.selectbox(key="cmp_layer").set_value("otrygghet").run()
    at.toggle(key="cmp_pooled").set_value(True).run()
    assert not at.exception, at.exception
    assert any("Sammanvägningen visas inte för Västerbottens län" in c.value for c in at.caption)
    st.cache_data.clear()


# --- the report --------------------------------------------------------------------------------

REPORT_LAYERS = ["otrygghet", "vald_topp"]


def _kartlaggning(report):  # noqa: ANN001, ANN202
    return next(s for s in report.sections if s.key == "kartlaggning")


def test_report_gives_a_small_kommuns_pooled_women_and_men(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    from lagesbild.report.build import build_report
    from lagesbild.report.html import to_html

    from frames_support import demo_inputs

    frames, specs, taxonomy, settings = demo_inputs(tmp_path_factory)
    report = build_report(frames, specs, taxonomy, settings, area_id="2462", period="2024",
                          layers=REPORT_LAYERS, images=False)
    section = _kartlaggning(report)
    line = ("Otrygghet ute sent en kväll (%), 2022–2024 sammantaget: Vilhelmina kvinnor "
            "27,7 % (n=101), män 8,4 % (n=131) (länet kvinnor 26,0 % (n=5204), män 8,4 % "
            "(n=4834)). Andelen för kvinnor och män är dold för 2024 ensamt")
    found = [i for i, p in enumerate(section.paragraphs) if p.startswith(line)]
    assert len(found) == 1
    # right after the indicator's single-year line, which shows the hidden K/M cells
    before = section.paragraphs[found[0] - 1]
    assert before.startswith("Otrygghet ute sent en kväll (%). Vilhelmina:") and "kvinnor .." in before
    table = next(tb for tb in section.tables if tb.title == "Otrygghet ute sent en kväll (%), "
                 "2022–2024 sammantaget")
    rows = table.frame.set_index(["Område", "Kön"])
    assert rows.loc[("Vilhelmina", "Kvinnor"), "Värde"] == "27,7 % (n=101)"
    assert rows.loc[("Vilhelmina", "Män"), "Antal svarande"] == 131
    low, high = rows.loc[("Vilhelmina", "Kvinnor"), ["95 % KI, från", "95 % KI, till"]]
    assert low < 27.7 < high
    assert "Västerbottens län" in rows.index.get_level_values(0)
    assert line in to_html(report)  # what the coordinator opens
    # the English report says it in English
    english = build_report(frames, specs, taxonomy, settings, area_id="2462", period="2024",
                           layers=REPORT_LAYERS, images=False, lang="en")
    assert any(p.startswith("Feeling unsafe outdoors in the evening (%), 2022–2024 combined: "
                            "Vilhelmina women 27.7 % (n=101), men 8.4 % (n=131)")
               for p in _kartlaggning(english).paragraphs)


@pytest.mark.parametrize("area, why", [
    ("2417", "Norsjö: women and men still hidden pooled (nothing to give back)"),
    ("2482", "Skellefteå: women and men shown in the single year (nothing hidden)"),
])
def test_no_pooled_line_where_it_adds_nothing(tmp_path_factory: pytest.TempPathFactory,
                                              area: str, why: str) -> None:
    from lagesbild.report.build_context import Context
    from lagesbild.report.build_pooled import pooled_line

    from frames_support import demo_inputs

    frames, specs, taxonomy, settings = demo_inputs(tmp_path_factory)
    ctx = Context(frames, specs, taxonomy, settings, area, "2024", "sv", "wide",
                  tuple(REPORT_LAYERS), False)
    paras: list[str] = []
    tables: list = []
    pooled_line(ctx, specs["otrygghet"], "2024", paras, tables)
    pooled_line(ctx, specs["vald_topp"], "2024", paras, tables)  # a crime layer: never
    assert paras == [] and tables == [], why
    pooled_line(ctx, specs["otrygghet"], "2021", paras, tables)  # no window ends in 2021
    assert paras == []
