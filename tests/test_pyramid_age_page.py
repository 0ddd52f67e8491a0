"""The pyramid page's "Efter ålder" expander through AppTest, on a workspace whose police
extract carries "Målsägandes ålder" (the extract and population of tests/test_age.py)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from lagesbild.store import importer
from test_age import ROWS, _extract, _scb_population, age_workspace  # noqa: F401 - fixture
from app_support import open_page

APP = Path(__file__).resolve().parents[1] / "app.py"


def _start(monkeypatch: pytest.MonkeyPatch, path: Path, lang: str = "sv") -> AppTest:
    monkeypatch.setenv("LAGESBILD_WORKSPACE", str(path))
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.run()
    if lang != "sv":
        at.radio(key="lang").set_value(lang).run()
    at.switch_page("lagesbild/ui/pyramid_page.py").run()
    at.radio(key="pyr_source").set_value("incidents").run()
    at.selectbox(key="pyr_area").set_value("2417").run()
    assert not at.exception, at.exception
    return at


def _age_table(at: AppTest, label: str = "Efter ålder") -> pd.DataFrame:
    expander = next(e for e in at.expander if e.label == label)
    return expander.dataframe[0].value


def test_pyramid_page_shows_the_age_table(monkeypatch: pytest.MonkeyPatch,
                                          age_workspace) -> None:  # noqa: F811
    importer.import_file(age_workspace, "incidents", _extract(ROWS), name="utdrag.csv")
    importer.import_file(age_workspace, "population", _scb_population(), name="scb.csv")
    at = _start(monkeypatch, age_workspace.path)
    table = _age_table(at)
    top = table[table["Nivå"] == table["Nivå"].iloc[0]].set_index("Åldersgrupp")
    assert list(top.index) == ["18–24", "25–44", "65+", "okänd ålder", "alla åldrar"]
    assert top.loc["25–44", "Totalt"] == "250,0 per 100\u00a0000 (6 brott)"
    assert top.loc["25–44", "Män"] == "500,0 per 100\u00a0000 (6 brott)"
    assert top.loc["25–44", "Intervall"] != ""
    # 3 victims without age: hidden, and so is what would give them away (41 − 6 − 30 − 2)
    assert top.loc["okänd ålder", "Totalt"] == ".."
    assert top.loc["okänd ålder", "Anmärkning"] == "åldern saknas i källan"
    assert top.loc["65+", "Totalt"] == ".." and top.loc["18–24", "Totalt"] == ".."
    assert "(41 brott)" in top.loc["alla åldrar", "Totalt"]  # the pyramid's own count
    caption = " ".join(c.value for c in next(e for e in at.expander
                                              if e.label == "Efter ålder").caption)
    assert "okänd ålder" in caption and "skyddas tillsammans" in caption
    english = _start(monkeypatch, age_workspace.path, lang="en")
    rows = _age_table(english, "By age").set_index("Age group")
    assert rows.loc["25–44", "Total"] == "250.0 per 100,000 (6 offences)"
    assert "unknown age" in rows.index


def test_no_age_expander_when_the_extract_has_no_age(monkeypatch: pytest.MonkeyPatch,
                                                     age_workspace) -> None:  # noqa: F811
    data = ("Ärendenummer;Brottsdatum;Brottsbenämning;Målsägandes kön;Kommunkod\r\n"
            + "".join(f"K{i};2024-03-01 21:00;Misshandel;Man;2417\r\n" for i in range(9))
            ).encode("cp1252")
    importer.import_file(age_workspace, "incidents", data, name="utdrag.csv")
    at = _start(monkeypatch, age_workspace.path)
    assert "Efter ålder" not in [e.label for e in at.expander]
    assert any(e.label for e in at.expander)  # the pyramid's own expanders are there


def test_with_bra_counts_the_expander_points_to_the_extract(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """The demo (Brå tables and an extract without age) plus an extract with age: the Brå
    source has no age, so the expander names the source that has; the extract's table counts
    the demo's incidents without age in "okänd ålder"."""
    import shutil

    from frames_support import shared_demo
    from lagesbild.store.gpkg import GpkgWorkspace

    path = tmp_path / "demo.gpkg"
    shutil.copyfile(shared_demo(tmp_path_factory), path)
    importer.import_file(GpkgWorkspace(path), "incidents", _extract(ROWS), name="utdrag.csv")
    monkeypatch.setenv("LAGESBILD_WORKSPACE", str(path))
    at = open_page("pyramid_page", timeout=120)
    at.selectbox(key="pyr_area").set_value("2417").run()
    assert not at.exception, at.exception
    expander = next(e for e in at.expander if e.label == "Efter ålder")
    assert [i.value for i in expander.info] == [
        "Åldersgrupper finns i polisens utdrag: välj den källan ovan."]
    at.radio(key="pyr_source").set_value("incidents").run()
    at.selectbox(key="pyr_period").set_value("2024").run()
    table = _age_table(at).set_index(["Nivå", "Åldersgrupp"])
    assert not at.exception and "okänd ålder" in table.index.get_level_values(1)


def test_the_report_has_the_same_age_table(age_workspace) -> None:  # noqa: F811
    """The report's kartläggning holds the page's age table, cell for cell, in every format."""
    import io

    from lagesbild.core.layers import load_layers
    from lagesbild.core.settings import get_settings
    from lagesbild.core.taxonomy import load_taxonomy
    from lagesbild.report.build import build_report
    from lagesbild.report.build_age import age_rows
    from lagesbild.report.writers import write_report
    from lagesbild.store.frames import load_frames

    importer.import_file(age_workspace, "incidents", _extract(ROWS), name="utdrag.csv")
    importer.import_file(age_workspace, "population", _scb_population(), name="scb.csv")
    settings = get_settings()
    taxonomy = load_taxonomy(settings.layers_dir / "pyramid.toml")
    frames = load_frames(age_workspace)
    period = str(int(frames.incidents["year"].max()))
    report = build_report(frames, load_layers(settings.layers_dir), taxonomy, settings,
                          area_id="24", period=period, layers=[])
    table = next(t for t in report.section("kartlaggning").tables
                 if t.title.startswith("Efter ålder"))
    want = age_rows(frames, taxonomy, settings, area_id="24", period=period)
    assert table.frame.equals(want)
    assert "okänd ålder" in table.note
    # all ages is the pyramid's own published count of the level
    from lagesbild.analysis.pyramid_view import pyramid_view
    from lagesbild.core.taxonomy import ALL

    counts = pyramid_view(frames, taxonomy, {}, area_id="24", period=period, source="incidents",
                          settings=settings).counts
    top = counts[(counts["level"] == 3) & (counts["category"] == ALL) & (counts["sex"] == "T")]
    whole = table.frame[(table.frame["Åldersgrupp"] == "alla åldrar")
                        & table.frame["Nivå"].str.startswith("Toppen")]
    assert f"({int(top['count'].iloc[0])} brott)" in whole["Totalt"].iloc[0]
    from pypdf import PdfReader

    text = " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(
        write_report(report, "pdf"))).pages)
    assert "Efter ålder" in text
