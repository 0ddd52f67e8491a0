"""Every page names its sources as the report does: publisher, table and period ("Källa: Brå,
anmälda brott (2019–2024)"), never the file; the file and its import date are the caption's
tooltip (lagesbild/analysis/citing.py, lagesbild/ui/cited.py)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from lagesbild.analysis.citing import Citation
from frames_support import demo_inputs, shared_demo

APP = Path(__file__).resolve().parents[1] / "app.py"
BRA = {"sv": "Brå, anmälda brott (2019–2024)", "en": "Brå, reported offences (2019–2024)"}
SCB = {"sv": "SCB, folkmängd (2019–2024)", "en": "Statistics Sweden, population (2019–2024)"}
SOURCE = {"sv": "Källa: ", "en": "Source: "}
# page -> what its source caption names, by language
EXPECTED = {
    "map_page": lambda lang: f"{SOURCE[lang]}{BRA[lang]}; {SCB[lang]}",
    "pyramid_page": lambda lang: f"{SOURCE[lang]}{BRA[lang]}; {SCB[lang]}. ",
    "assessment_page": lambda lang: f"{BRA[lang]}; {SCB[lang]}",
    "compare_page": lambda lang: f"{SOURCE[lang].lower().rstrip()} {BRA[lang]}; ",
    "coverage_page": lambda lang: SOURCE[lang] + {
        "sv": "Kommunens uppföljning av förebyggande program (HT2022–HT2024); Kommunens "
              "förteckning över skolor och fritidsgårdar",
        "en": "The municipality's follow-up of prevention programmes (HT2022–HT2024); The "
              "municipality's list of schools and youth centres"}[lang],
}
FILES = {"map_page": ["bra_anmalda_brott_2019-2024.csv", "scb_folkmangd_2019-2024.csv"],
         "pyramid_page": ["bra_anmalda_brott_2019-2024.csv", "scb_folkmangd_2019-2024.csv"],
         "assessment_page": ["bra_anmalda_brott_2019-2024.csv", "scb_folkmangd_2019-2024.csv"],
         "compare_page": ["bra_anmalda_brott_2019-2024.csv"],
         "coverage_page": ["programdeltagande_mvp.csv", "skolor_fritidsgardar.csv"]}


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_demo(tmp_path_factory)


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_every_page_names_publishers_with_files_as_detail(
        ws: Path, lang: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAGESBILD_WORKSPACE", str(ws))
    at = AppTest.from_file(str(APP), default_timeout=90)
    at.run()
    if lang == "en":
        at.radio(key="lang").set_value("en").run()
    imported = {"sv": "importerad ", "en": "imported "}[lang]
    for page, expected in EXPECTED.items():
        at.switch_page(f"lagesbild/ui/{page}.py").run()
        assert not at.exception, (page, at.exception)
        captions = [c for c in at.caption if expected(lang) in c.value]
        assert len(captions) == 1, (page, [c.value for c in at.caption])
        caption = captions[0]
        assert ".csv" not in caption.value and imported not in caption.value, caption.value
        # the detail: each file with its import date, in the language
        for name in FILES[page]:
            assert name in caption.proto.help, (page, caption.proto.help)
        assert imported in caption.proto.help and "Data" in caption.proto.help
        if lang == "en":
            assert "importerad" not in caption.proto.help and "Källa" not in caption.value
    # a table's source column names the publisher too (Jämförelse)
    at.switch_page("lagesbild/ui/compare_page.py").run()
    column = {"sv": "Källa", "en": "Source"}[lang]
    sources = {str(s) for df in at.dataframe if column in df.value.columns
               for s in df.value[column]}
    assert sources == {f"{BRA[lang]}; {SCB[lang]}"}, sources


def _dataset(name: str, kind: str, period: str = "") -> dict[str, object]:
    return {"dataset": name, "table": "incident_counts", "kind": kind, "file": name, "rows": 1,
            "rejected": 0, "period": period, "imported_at": "2026-12-01T10:00:00",
            "description": "", "sha256": "", "source_path": ""}


def test_a_file_label_inside_another_is_not_cited_inside_it(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """"brott.csv (importerad …)" is the tail of "gamla_brott.csv (importerad …)": replacing the
    shorter first would show "gamla_Brå, anmälda brott"."""
    frames = demo_inputs(tmp_path_factory)[0]
    settings = demo_inputs(tmp_path_factory)[3]
    frames = dataclasses.replace(frames, datasets=pd.DataFrame(
        [_dataset("brott.csv", "crime_counts"), _dataset("gamla_brott.csv", "incidents", "2023"),
         _dataset("egen_tabell.csv", "own_kind")]))
    citation = Citation(frames, settings, "sv")
    old, new = frames.source_label(["gamla_brott.csv"]), frames.source_label(["brott.csv"])
    assert old == "gamla_brott.csv (2023, importerad 2026-12-01)"
    assert citation.cite(f"{old}; {new}") == (
        "Polisen, utdrag ur anmälningsregistret (2023); Brå, anmälda brott")
    assert citation.files(f"{old}; {new}") == [old, new]
    # a kind without a publisher keeps its dataset's name; a text naming no dataset stays
    assert citation.cite(frames.source_label(["egen_tabell.csv"])) == "egen_tabell.csv"
    assert citation.cite("riksvärde ur källan") == "riksvärde ur källan"
    assert citation.cite(None) == "" and citation.files(None) == []


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_map_tooltips_name_the_publisher(ws: Path, lang: str) -> None:
    """The Karta map as the page sends it: every kommun's tooltip names Brå and SCB, no file."""
    import json

    from lagesbild.core.settings import get_settings
    from lagesbild.store.gpkg import GpkgWorkspace
    from lagesbild.ui import common

    ctx = common.Context(lang=lang, workspace=GpkgWorkspace(ws), settings=get_settings())
    spec = common.specs(ctx)[0]["vald_topp"]
    sent = json.dumps(common.map_payload(ctx, spec, "value", "2024", "T", None),
                      ensure_ascii=False)
    assert sent.count(f"{BRA[lang]}; {SCB[lang]}") == 15  # one tooltip per kommun
    assert ".csv (" not in sent and "importer" not in sent


def test_one_publisher_twice_is_named_once_without_inventing_a_span() -> None:
    """Two activity files of one publisher (MVP's and MVP Fritid's) are one source; a later
    file for one year beside a series is listed, never joined into a span the files do not
    cover; a period that is not years or terms stays as it is."""
    from lagesbild.analysis.citing import merged_sources

    assert merged_sources(["Kommunens uppföljning (VT2023–HT2024)",
                           "Kommunens uppföljning (HT2022–HT2024)", "Skolförteckning"]) == [
        "Kommunens uppföljning (HT2022–HT2024)", "Skolförteckning"]
    assert merged_sources(["Brå, anmälda brott (2019–2024)", "SCB, folkmängd (2019–2024)",
                           "Brå, anmälda brott (2025)"]) == [
        "Brå, anmälda brott (2019–2024, 2025)", "SCB, folkmängd (2019–2024)"]
    assert merged_sources(["Brå (2019–2020)", "Brå (2023–2024)"]) == ["Brå (2019–2020, 2023–2024)"]
    assert merged_sources(["X (jan–jun 2025)", "X (2024)"]) == ["X (jan–jun 2025)", "X (2024)"]
