"""The Streamlit app through AppTest: every page in both languages, and the main widgets by key."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from lagesbild.core.i18n import t
from lagesbild.store import demo
from lagesbild.store.gpkg import GpkgWorkspace

from app_support import open_page
from frames_support import shared_demo

Start = Callable[..., AppTest]  # (page=None, lang="sv") -> a started app
APP = Path(__file__).resolve().parents[1] / "app.py"
PAGES = {"map_page": "page_map", "pyramid_page": "page_pyramid", "compare_page": "page_compare",
         "coverage_page": "page_coverage", "report_page": "page_report", "data_page": "page_data",
         "assessment_page": "page_assessment"}


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_demo(tmp_path_factory)


def _start(monkeypatch: pytest.MonkeyPatch, workspace: Path, page: str | None = None,
           lang: str = "sv") -> AppTest:
    monkeypatch.setenv("LAGESBILD_WORKSPACE", str(workspace))
    at = open_page(page)  # its first run on `page`, not on Karta first
    if lang != "sv":
        at.radio(key="lang").set_value(lang).run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch, ws: Path) -> Start:
    return lambda page=None, lang="sv": _start(monkeypatch, ws, page, lang)


def _cells(at: AppTest) -> list[str]:
    return [str(v) for df in at.dataframe for v in df.value.astype(str).to_numpy().ravel()]


@pytest.mark.parametrize("lang", ["sv", "en"])
@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_opens(app: Start, page: str, lang: str) -> None:
    at = app(page, lang)
    assert not at.exception
    assert at.title[0].value == t(PAGES[page], lang)
    assert len(at.dataframe) >= 1 or page == "report_page"
    assert not at.warning  # the workspace is there
    # one symbol for every hidden figure: no cell says "<5" (one to four) or names a reason
    assert not _reason_labels(_cells(at))


def _reason_labels(cells: list[str]) -> list[str]:
    """Cells that name why a figure is hidden ("<5", "dold …", "för få svar"): each says more
    than ".." and, for "<5", that one to four people are behind it."""
    return [c for c in cells if c.startswith(("<", "dold", "hidden", "för få svar", "too few"))]


def test_map_page_detail_follows_the_chosen_kommun(app: Start) -> None:
    at = app()
    assert at.selectbox(key="map_layer").value == "vald_topp"
    assert at.selectbox(key="map_period").value == "2024"
    at.selectbox(key="map_area").set_value("2463").run()
    detail = at.dataframe[0].value
    assert "Åsele" in detail.columns and "Västerbottens län" in detail.columns
    assert detail.iloc[:, 0].tolist() == ["Kvinnor", "Män", "Totalt"]
    before = detail["Åsele"].tolist()
    at.selectbox(key="map_period").set_value("2019").run()
    assert not at.exception
    assert at.dataframe[0].value["Åsele"].tolist() != before
    at.selectbox(key="map_area").set_value("2417").run()
    assert "Norsjö" in at.dataframe[0].value.columns and "Åsele" not in at.dataframe[0].value.columns


def test_map_page_layer_sex_and_sites(app: Start) -> None:
    at = app()
    at.selectbox(key="map_layer").set_value("otrygghet").run()
    assert at.selectbox(key="map_period").options == ["2021", "2022", "2023", "2024"]
    assert at.selectbox(key="map_period").value == "2024"
    assert any("%" in cell and "n=" in cell for cell in _cells(at))
    at.radio(key="map_sex").set_value("K").run()
    assert not at.exception and at.radio(key="map_sex").value == "K"
    at.toggle(key="map_sites").set_value(False).run()
    assert not at.exception and at.toggle(key="map_sites").value is False
    at.selectbox(key="map_layer").set_value("mvp_tackning").run()
    assert at.selectbox(key="map_period").value == "HT2024"
    assert any("elever" in cell for cell in _cells(at))


@pytest.mark.parametrize(("layer", "views"), [
    ("vald_topp", ["value", "smoothed", "rolling", "change", "hotspots"]),
    ("otrygghet", ["value", "change", "hotspots"]),
    ("mvp_tackning", ["value", "need"]),
])
def test_map_page_every_view_of_a_layer(app: Start, layer: str, views: list[str]) -> None:
    at = app()
    at.selectbox(key="map_layer").set_value(layer).run()
    assert at.selectbox(key="map_view").options == [
        {"value": "Värde", "smoothed": "Utjämnad takt (Empirical Bayes)", "rolling": "3-årsmedel",
         "change": "Förändring sedan föregående period",
         "hotspots": "Heta och kalla punkter (Gi*)", "need": "Täckning mot behov"}[v]
        for v in views]
    for view in views:
        at.selectbox(key="map_view").set_value(view).run()
        assert not at.exception, (view, at.exception)
        periods = at.selectbox(key="map_period").options
        assert periods and at.selectbox(key="map_period").value == periods[-1]
        if view == "change":
            assert periods[0] != "2019" if layer == "vald_topp" else True  # no period before 2019
        if layer == "mvp_tackning":  # coverage has no K/M split: Totalt only
            assert at.radio(key="map_sex").options == ["Totalt"]
            continue
        at.radio(key="map_sex").set_value("K").run()
        assert not at.exception, (view, "K", at.exception)
        at.radio(key="map_sex").set_value("T").run()


def test_pyramid_page_area_source_and_period(app: Start) -> None:
    at = app("pyramid_page")
    assert at.selectbox(key="pyr_area").value == "24"
    assert at.selectbox(key="pyr_period").options == [str(y) for y in range(2019, 2025)]
    county = _cells(at)
    at.selectbox(key="pyr_area").set_value("2463").run()
    assert not at.exception
    small = _cells(at)
    assert ".." in small and small != county
    assert not _reason_labels(small)  # the dark-figure table of a small kommun too
    assert "Åsele" not in county
    at.radio(key="pyr_source").set_value("incidents").run()
    assert at.selectbox(key="pyr_period").options == ["2022", "2023", "2024"]
    assert at.selectbox(key="pyr_period").value == "2024"
    latest = _cells(at)
    at.selectbox(key="pyr_period").set_value("2022").run()
    assert not at.exception and _cells(at) != latest
    html = " ".join(m.value for m in at.markdown)
    assert "Toppen: fysiskt och sexuellt våld" in html


def test_compare_page_ranks_all_kommuner(app: Start) -> None:
    at = app("compare_page")
    table = at.dataframe[0].value
    assert len(table) == 15
    assert table["#"].iloc[0] == "1" and "Skellefteå" in table["Område"].tolist()
    at.selectbox(key="cmp_layer").set_value("otrygghet").run()
    assert at.selectbox(key="cmp_period").options == ["2021", "2022", "2023", "2024"]
    total = at.dataframe[0].value
    assert len(total) == 15 and total["Värde"].str.contains("%").any()
    at.radio(key="cmp_sex").set_value("K").run()
    women = at.dataframe[0].value
    assert len(women) == 15 and women["Värde"].tolist() != total["Värde"].tolist()
    at.selectbox(key="cmp_period").set_value("2021").run()
    assert not at.exception and at.dataframe[0].value["Värde"].tolist() != women["Värde"].tolist()


def test_compare_page_band_and_similar_kommuner(app: Start) -> None:
    at = app("compare_page")
    table = at.dataframe[0].value
    positions = set(table["Länets mittersta hälft"]) - {""}
    assert positions <= {"över länets mittersta hälft", "inom länets mittersta hälft",
                         "under länets mittersta hälft"} and len(positions) >= 2
    assert any("25:e–75:e percentilen" in c.value for c in at.caption)
    at.selectbox(key="cmp_similar_area").set_value("2417").run()
    at.multiselect(key="cmp_similar_on").set_value(["vald_topp", "otrygghet"]).run()
    assert not at.exception
    similar = at.dataframe[1].value
    assert 0 < len(similar) <= 14 and "Norsjö" not in similar["Område"].tolist()
    distances = [float(d.replace(",", ".")) for d in similar["Avstånd"]]
    assert distances == sorted(distances)
    assert any("standardiserat euklidiskt avstånd" in c.value for c in at.caption)


def _numbers(column: pd.Series) -> list[float | None]:
    """A table column as the page writes it ("14 484", "12,3", "–") back to numbers."""
    return [None if v == "–" else float(str(v).replace("\u00a0", "").replace(",", "."))
            for v in column]


def test_coverage_page_term_and_programmes(app: Start) -> None:
    at = app("coverage_page")
    term = at.selectbox(key="cov_term")
    assert term.value == "HT2024" and term.options[0] == "HT2022"
    chosen = at.multiselect(key="cov_programmes").value
    assert sorted(chosen) == ["MVP", "MVP Fritid", "MVP Mellanstadiet"]
    table = at.dataframe[0].value
    reached = sum(_numbers(table["Elever som nåtts"]))
    assert "7\u00a0540" in table["Elever i målgruppen"].tolist()  # Umeå, with a thousands space
    assert not [c for c in _cells(at) if c in ("None", "nan", "<NA>")]  # unknown dose: "–"
    at.multiselect(key="cov_programmes").set_value(["MVP Mellanstadiet"]).run()
    fewer = sum(_numbers(at.dataframe[0].value["Elever som nåtts"]))
    assert 0 < fewer < reached
    at.selectbox(key="cov_term").set_value("HT2022").run()
    assert not at.exception
    assert sum(_numbers(at.dataframe[0].value["Elever som nåtts"])) != fewer
    # the actions, one table per focus area
    assert len(at.dataframe) >= 2 and any("A8" in c for c in _cells(at))


def test_coverage_page_no_programme_is_not_every_programme(app: Start) -> None:
    at = app("coverage_page")
    tables = len(at.dataframe)
    at.multiselect(key="cov_programmes").set_value([]).run()
    assert not at.exception
    assert [i.value for i in at.info] == ["Välj minst ett program."]
    # no coverage, programmes, units per kind, funders or need ranking; the actions stay
    assert len(at.dataframe) == tables - 5
    assert any("A8" in c for c in _cells(at))


def test_coverage_page_need_ranking(app: Start) -> None:
    at = app("coverage_page")
    assert at.multiselect(key="cov_need").value == ["vald_topp", "otrygghet"]
    need = at.dataframe[1].value
    assert list(need.columns)[:2] == ["Prioritet", "Kommun"] and len(need) == 15
    ranked = [r for r in _numbers(need["Prioritet"]) if r is not None]
    assert ranked == sorted(ranked) and ranked[0] == 1
    gaps = [g for r, g in zip(_numbers(need["Prioritet"]), _numbers(need["Behov minus täckning"]))
            if r is not None]
    assert gaps == sorted(gaps, reverse=True)
    at.multiselect(key="cov_need").set_value(["otrygghet"]).run()
    assert not at.exception and any(r != "–" for r in at.dataframe[1].value["Prioritet"])
    at.multiselect(key="cov_need").set_value([]).run()
    assert not at.exception and any("minst ett lager" in i.value for i in at.info)


def test_coverage_page_bands_are_stated_and_set(app: Start) -> None:
    """Umeå reaches 13 % of its pupils and Skellefteå 12 %; most kommuner 0 %. The caption
    states the limits, and the user's limits hold on the Karta page's need view too."""
    at = app("coverage_page")
    caption = " ".join(c.value for c in at.caption)
    assert "låg under 25 %, medel 25–50 %, hög från 50 %" in caption
    at.number_input(key="cov_band_low").set_value(10).run()
    at.number_input(key="cov_band_high").set_value(30).run()
    assert not at.exception
    caption = " ".join(c.value for c in at.caption)
    assert "låg under 10 %, medel 10–30 %, hög från 30 %" in caption
    at.switch_page("lagesbild/ui/map_page.py").run()
    at.selectbox(key="map_layer").set_value("mvp_tackning").run()
    at.selectbox(key="map_view").set_value("need").run()
    assert not at.exception
    at.switch_page("lagesbild/ui/coverage_page.py").run()
    assert at.number_input(key="cov_band_low").value == 10.0  # kept over the page switch
    at.number_input(key="cov_band_low").set_value(40).run()  # above "hög": refused
    assert any("lägre än gränsen för hög" in w.value for w in at.warning)
    assert "låg under 10 %, medel 10–30 %" in " ".join(c.value for c in at.caption)


def test_data_page_lists_the_datasets(app: Start, ws: Path) -> None:
    at = app("data_page")
    table = at.dataframe[0].value
    expected = GpkgWorkspace(ws).datasets()
    assert len(table) == len(expected) == 1 + len(demo.IMPORT_ORDER)  # with the boundaries
    assert set(table["Dataset"]) == set(expected["dataset"])
    assert "scb_folkmangd_2019-2024.csv" in set(table["Dataset"])
    assert (pd.to_numeric(table["Rader"]) > 0).all()


@pytest.mark.parametrize("page", list(PAGES))
def test_missing_workspace_shows_how_to_build_the_demo(monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path, page: str) -> None:
    at = _start(monkeypatch, tmp_path / "saknas.gpkg", page)
    assert not at.exception
    assert at.warning and at.warning[0].value == t("no_workspace")
    assert any("lagesbild demo" in c.value for c in at.code)
    assert not at.dataframe


def test_pyramid_page_dark_figure_where_a_survey_exists(app: Start) -> None:
    at = app("pyramid_page")
    at.selectbox(key="pyr_area").set_value("2480").run()
    assert not at.exception
    cells = _cells(at)
    assert any("anmälda brott per uppskattad utsatt person" in c for c in cells)
    assert any("Vad kvoten inte säger" in c.value for c in at.caption)
    at.selectbox(key="pyr_period").set_value("2019").run()  # no survey that year
    assert not at.exception
    assert not any("anmälda brott per uppskattad utsatt person" in c for c in _cells(at))


def test_report_page_saves_notes_and_makes_the_pack(monkeypatch: pytest.MonkeyPatch, ws: Path,
                                                    tmp_path: Path) -> None:
    import shutil

    from openpyxl import load_workbook

    from lagesbild.store.notes import read_notes

    copy = tmp_path / "w.gpkg"
    shutil.copy(ws, copy)
    at = _start(monkeypatch, copy, "report_page")
    at.selectbox(key="rep_area").set_value("2417").run()
    at.text_area(key="rep_note_analys_2417_2024").input("<script>x</script> Våldet ökade i Norsjö.")
    at.text_input(key="rep_goal_valdsforebyggande_2417_2024").input("=HYPERLINK(1) MVP i åk 8")
    at.button[0].click().run()  # the form's Spara
    assert not at.exception and any("Sparat" in s.value for s in at.success)
    notes, goals = read_notes(GpkgWorkspace(copy), "2417", "2024")
    assert notes["analys"].startswith("<script>") and goals["valdsforebyggande"].startswith("=")
    at.selectbox(key="rep_format").set_value("xlsx").run()
    at.button(key="rep_build").click().run(timeout=180)  # a wide report runs the audit
    assert not at.exception and not at.error
    made = at.session_state["rep_file"]
    assert made["name"] == "lagesbild_2417_2024.xlsx"
    path = tmp_path / made["name"]
    path.write_bytes(made["data"])
    book = load_workbook(path)
    cells = [str(c.value) for ws_ in book.worksheets for row in ws_.iter_rows() for c in row
             if c.value is not None]
    assert any("Våldet ökade i Norsjö" in c for c in cells)
    assert any(c.startswith("'=HYPERLINK(1) MVP") for c in cells)
    assert not any(c.data_type == "f" for ws_ in book.worksheets for row in ws_.iter_rows()
                   for c in row)
    # frozen first: the snapshot is listed and nothing has changed since
    at.checkbox(key="rep_snapshot").check().run()
    at.button(key="rep_build").click().run(timeout=180)  # a wide report runs the audit
    assert not at.exception and "kontrollsumma" in at.session_state["rep_file"]["caption"]
    at.button(key="rep_diff").click().run()
    assert not at.exception and any("Inget har ändrats" in s.value for s in at.success)
