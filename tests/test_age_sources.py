"""Age in the other sources: Brå-like crime counts by the victim's age, survey shares by school
grade or age. (SCB's PX-Web population by age: tests/test_pxweb.py.) The population by age
and the workspace are those of tests/test_age.py."""

from __future__ import annotations

import pandas as pd
import pytest

from lagesbild.analysis.age import age_figures, age_counts, pyramid_by_age
from lagesbild.analysis.age_shares import indicator_by_age
from lagesbild.analysis.figures import layer_figures
from lagesbild.core.age import ALL_AGES, UNKNOWN
from lagesbild.core.errors import InputError
from lagesbild.core.layers import LayerSpec
from lagesbild.sources.aggregates import read_crime_counts, read_indicators
from lagesbild.store import importer
from lagesbild.store.frames import load_frames
from test_age import SETTINGS, TAXONOMY, _scb_population, age_workspace  # noqa: F401 - fixture
from app_support import open_page

TOP_COUNTS = LayerSpec(id="top_counts", title_sv="Topp", title_en="Top", kind="count_rate",
                       pyramid_level=3)

# A Brå-like table by the victim's age: a total row and age rows per cell; Sorsele without a
# total row; one band spelled twice; Rån's ages adding up to more than its total.
BRA_BY_AGE = """Kommunkod;År;Brottskategori;Kön;Målsägandes ålder;Antal
2417;2024;Misshandel;Totalt;Totalt;40
2417;2024;Misshandel;Totalt;18-24 år;20
2417;2024;Misshandel;Totalt;25-44 år;12
2417;2024;Misshandel;Totalt;25–44;12
2417;2024;Misshandel;Totalt;65 år och äldre;3
2422;2024;Misshandel;Totalt;18-24;9
2422;2024;Misshandel;Totalt;25-44;8
2417;2024;Rån;Totalt;Totalt;3
2417;2024;Rån;Totalt;25-44;5
"""


def _cells(result) -> dict[tuple[str, str, str], int]:
    frame = result.accepted
    return {(a, c, "" if pd.isna(g) else g): int(n) for a, c, g, n in zip(
        frame["area_id"], frame["category"], frame["age_group"], frame["count"])}


def test_crime_counts_by_age_read_as_parts_of_the_total() -> None:
    result = read_crime_counts(BRA_BY_AGE.encode("cp1252"), name="brå_ålder.csv")
    assert _cells(result) == {
        ("2417", "Misshandel", ""): 40, ("2417", "Misshandel", "18–24"): 20,
        ("2417", "Misshandel", "25–44"): 12, ("2417", "Misshandel", "65+"): 3,
        ("2422", "Misshandel", ""): 17, ("2422", "Misshandel", "18–24"): 9,
        ("2422", "Misshandel", "25–44"): 8, ("2417", "Rån", ""): 3}
    reasons = {r.row: (r.field, r.reason) for r in result.rejected}
    assert reasons[5] == ("Målsägandes ålder",
                          "Samma kombination finns redan på en tidigare rad.")  # "25–44" again
    assert reasons[10][0] == "Målsägandes ålder"
    assert "åldrarnas summa (5) är större än totalen (3)" in reasons[10][1]
    assert any("ingen rad för alla åldrar i 1 fall" in n for n in result.notes)
    assert any("Antal brott per åldersgrupp lästes för 3 grupper (18–24, 25–44, 65+)" in n
               for n in result.notes)


def test_a_band_across_two_groups_leaves_them_out() -> None:
    text = ("Kommunkod;År;Brottskategori;Ålder;Antal\n2417;2024;Misshandel;Totalt;30\n"
            "2417;2024;Misshandel;15-19 år;10\n2417;2024;Misshandel;20-24 år;8\n"
            "2417;2024;Misshandel;25-44 år;12\n")
    result = read_crime_counts(text.encode(), name="brå.csv")
    groups = set(result.accepted["age_group"].dropna())
    assert groups == {"25–44"}  # 18–24 would hold 8 of its victims, not all: left out
    assert any("grupperna 0–17, 18–24 blir därför ofullständiga" in n for n in result.notes)
    assert result.rejected == []


def test_an_age_column_of_totals_only_reads_as_before() -> None:
    plain = "Kommunkod;År;Brottskategori;Kön;Antal\n2417;2024;Rån;Män;3\n2417;2024;Rån;Totalt;4\n"
    aged = ("Kommunkod;År;Brottskategori;Kön;Ålder;Antal\n2417;2024;Rån;Män;Totalt ålder;3\n"
            "2417;2024;Rån;Totalt;Totalt ålder;4\n")
    a = read_crime_counts(plain.encode(), name="a.csv").accepted
    b = read_crime_counts(aged.encode(), name="b.csv").accepted
    assert a.equals(b) and a["age_group"].isna().all()


def _workspace_with_counts(workspace):
    importer.import_file(workspace, "crime_counts", BRA_BY_AGE.encode("cp1252"),
                         name="brå_ålder.csv")
    importer.import_file(workspace, "population", _scb_population(), name="scb.csv")
    return load_frames(workspace)


def test_count_layer_by_age_as_an_incident_layer(age_workspace) -> None:  # noqa: F811
    frames = _workspace_with_counts(age_workspace)
    # the map's count is the table's total, once: the age rows are kept apart
    figs = layer_figures(frames, TOP_COUNTS, period="2024", sex="T", taxonomy=TAXONOMY,
                         settings=SETTINGS).set_index("area_id")
    assert figs.loc["2417", "count"] == 40 and figs.loc["2422", "count"] == 17
    table = age_figures(frames, TOP_COUNTS, period="2024", area="2417", taxonomy=TAXONOMY,
                        settings=SETTINGS).set_index(["age_group", "sex"])
    assert table.loc[("25–44", "T"), "display"] == "500,0 per 100\u00a0000 (12 brott)"
    assert table.loc[("25–44", "T"), "population"] == 2400
    # SCB's 15–19 straddles 0–17/18–24: the count, no rate
    assert table.loc[("18–24", "T"), "display"] == "20 brott (ingen folkmängd för åldersgruppen)"
    assert table.loc[(ALL_AGES, "T"), "count"] == 40
    # 40 − 20 − 12 − 3 = 5 victims the table gives no age for
    raw = age_counts(frames, TOP_COUNTS, period="2024", taxonomy=TAXONOMY)
    raw = raw.set_index(["area_id", "age_group", "sex"])["count"]
    assert raw[("2417", UNKNOWN, "T")] == 5 and raw[("24", "18–24", "T")] == 29
    # 65+ (3) is hidden, and so is what would give it away from the total of 40
    assert table.loc[("65+", "T"), "display"] == ".."
    shown = [g for g in ("18–24", "25–44", UNKNOWN) if table.loc[(g, "T"), "display"] != ".."]
    assert len(shown) < 3
    # the table has no K/M by age: not shown as 0
    assert table.loc[("25–44", "K"), "display"] == "ej könsuppdelat"
    assert pd.isna(table.loc[("25–44", "K"), "count"])
    levels = pyramid_by_age(frames, TAXONOMY, area="2417", period="2024", settings=SETTINGS,
                            source="counts")
    top = levels[levels["level"] == 3].set_index(["age_group", "sex"])
    assert top.loc[("25–44", "T"), "display"] == table.loc[("25–44", "T"), "display"]


def test_an_age_file_beside_a_total_file_is_refused_not_doubled(age_workspace) -> None:  # noqa: F811
    """Ages without a total row beside a stored total of another dataset: the file's own
    total (the sum of its ages) would count the cell twice; the import is refused."""
    importer.import_file(age_workspace, "crime_counts",
                         b"Kommunkod;\xc5r;Brottskategori;Antal\n2422;2024;Misshandel;17\n",
                         name="brå.csv")
    ages = "Kommunkod;År;Brottskategori;Ålder;Antal\n2422;2024;Misshandel;18-24;9\n"
    with pytest.raises(InputError) as err:
        importer.import_file(age_workspace, "crime_counts", ages.encode(), name="ålder.csv")
    assert "finns redan i datasetet 'brå.csv'" in str(err.value)
    frames = load_frames(age_workspace)
    assert frames.incident_counts["count"].sum() == 17


# A school survey (Skolenkät-like): totals per kommun, and the grades in a second file.
SURVEY_TOTAL = """Kommunkod;År;Indikator;Kön;Andel (%);Antal svarande
2417;2024;otrygghet;T;20,0;300
2417;2024;otrygghet;K;24,0;150
2417;2024;otrygghet;M;16,0;150
"""
SURVEY_GRADES = """Kommunkod;År;Indikator;Kön;Årskurs;Andel (%);Antal svarande
2417;2024;otrygghet;T;åk 9;25,0;160
2417;2024;otrygghet;T;Årskurs 2 gy;14,0;120
2417;2024;otrygghet;T;årskurs 9;25,0;160
2417;2024;otrygghet;K;åk 9;30,0;80
2417;2024;otrygghet;M;åk 9;20,0;80
2417;2024;otrygghet;T;åk 5;10,0;20
"""


def test_survey_grades_are_cells_of_their_own(age_workspace) -> None:  # noqa: F811
    result = read_indicators(SURVEY_GRADES.encode(), name="skolenkät.csv")
    groups = result.accepted.set_index(["sex", "age_group"])["n"]
    assert groups[("T", "åk 9")] == 160 and groups[("T", "gy 2")] == 120
    assert [(r.row, r.field) for r in result.rejected] == [(4, "Årskurs")]  # åk 9 twice
    # a band across two groups is no share of either
    band = read_indicators(("Kommunkod;År;Indikator;Kön;Ålder;Andel (%);Antal svarande\n"
                            "2417;2024;otrygghet;T;15-19 år;20;100\n").encode(), name="b.csv")
    assert band.accepted.empty and "passar inte i en åldersgrupp" in band.rejected[0].reason
    totals = read_indicators(("Kommunkod;År;Indikator;Kön;Ålder;Andel (%);Antal svarande\n"
                              "2417;2024;otrygghet;T;Totalt;20;300\n").encode(), name="t.csv")
    assert totals.accepted["age_group"].isna().all()


def test_grade_shares_beside_the_unchanged_total(age_workspace) -> None:  # noqa: F811
    importer.import_file(age_workspace, "indicators", SURVEY_TOTAL.encode(), name="enkät.csv")
    before = load_frames(age_workspace)
    spec = LayerSpec(id="o", title_sv="", title_en="", kind="indicator", indicator="otrygghet")
    want = layer_figures(before, spec, period="2024", sex="T", taxonomy=TAXONOMY,
                         settings=SETTINGS).set_index("area_id").loc["2417", "display"]
    # the grades without a total row, as a dataset of another name: no overlap, no new total
    importer.import_file(age_workspace, "indicators", SURVEY_GRADES.encode(),
                         name="skolenkät.csv")
    frames = load_frames(age_workspace)
    figs = layer_figures(frames, spec, period="2024", sex="T", taxonomy=TAXONOMY,
                         settings=SETTINGS).set_index("area_id")
    assert figs.loc["2417", "display"] == want == "20,0 % (n=300)"
    table = indicator_by_age(frames, "otrygghet", period="2024", area="2417",
                             settings=SETTINGS).set_index(["age_group", "sex"])
    assert list(dict.fromkeys(table.index.get_level_values(0))) == ["åk 5", "åk 9", "gy 2",
                                                                    ALL_AGES]
    nine = table.loc[("åk 9", "T")]
    assert nine["display"] == "25,0 % (n=160)" and nine["ci_low"] < 25 < nine["ci_high"]
    assert table.loc[("åk 9", "K"), "display"] == "30,0 % (n=80)"
    assert table.loc[("åk 5", "T"), "display"] == ".. (n=20)"  # fewer than 30 answered
    # åk 5's 2 yes-answers would be the total's 60 − 40 − 17 (shown): another grade is hidden
    assert ".." in table.loc[("gy 2", "T"), "display"] or ".." in nine["display"]
    assert table.loc[(ALL_AGES, "T"), "display"] == want


def test_pyramid_page_and_report_show_the_brå_and_survey_ages(
        monkeypatch: pytest.MonkeyPatch, age_workspace) -> None:  # noqa: F811
    """The pyramid page's "Efter ålder" with the Brå source: the table's ages and the survey's
    grades; the report's kartläggning holds the same two tables."""


    from lagesbild.core.layers import load_layers
    from lagesbild.report.build import build_report

    frames = _workspace_with_counts(age_workspace)
    importer.import_file(age_workspace, "indicators", SURVEY_TOTAL.encode(), name="enkät.csv")
    importer.import_file(age_workspace, "indicators", SURVEY_GRADES.encode(),
                         name="skolenkät.csv")
    monkeypatch.setenv("LAGESBILD_WORKSPACE", str(age_workspace.path))
    at = open_page("pyramid_page", timeout=120)
    at.radio(key="pyr_source").set_value("counts").run()
    at.selectbox(key="pyr_area").set_value("2417").run()
    assert not at.exception, at.exception
    expander = next(e for e in at.expander if e.label == "Efter ålder")
    ages = expander.dataframe[0].value.set_index("Åldersgrupp")
    assert ages.loc["25–44", "Totalt"] == "500,0 per 100\u00a0000 (12 brott)"
    assert ages.loc["25–44", "Kvinnor"] == "ej könsuppdelat"
    grades = expander.dataframe[1].value.set_index("Årskurs/ålder")
    assert grades.loc["åk 9", "Totalt"] == "25,0 % (n=160)"
    assert grades.loc["alla åldrar", "Totalt"] == "20,0 % (n=300)"
    frames = load_frames(age_workspace)
    report = build_report(frames, load_layers(SETTINGS.layers_dir), TAXONOMY, SETTINGS,
                          area_id="2417", period="2024", layers=[])
    titles = [t.title for t in report.section("kartlaggning").tables]
    assert "Efter ålder (anmälda brott, Brå): Norsjö 2024" in titles
    survey = next(t for t in report.section("kartlaggning").tables
                  if t.title.startswith("Enkäter efter årskurs/ålder"))
    assert survey.frame.equals(expander.dataframe[1].value)


def test_the_release_audit_reads_the_brå_ages_and_the_grades(age_workspace) -> None:  # noqa: F811
    """The adversary over every published table: the Brå table's levels by age group (tied to
    the cube's level cells) and the survey's grades (tied to the indicator's own cells) are in
    the release audit, and no hidden cell can be narrowed."""
    from lagesbild.analysis.release import release_audit

    frames = _workspace_with_counts(age_workspace)
    importer.import_file(age_workspace, "indicators", SURVEY_TOTAL.encode(), name="enkät.csv")
    importer.import_file(age_workspace, "indicators", SURVEY_GRADES.encode(),
                         name="skolenkät.csv")
    frames = load_frames(age_workspace)
    result = release_audit(frames, taxonomy=TAXONOMY, settings=SETTINGS, periods=["2024"])
    tables = " ".join(sorted(set(result.cells["tables"].astype(str))))
    assert "ålder counts 2024 nivå 3" in tables
    assert "enkät otrygghet 2024 efter ålder" in tables
    cells = result.cells.set_index("cell")
    hidden = cells[cells["width"] > 0]
    assert hidden.index.str.startswith("grade|").any()  # åk 5 (n=20) and what gives it away
    assert result.passed, result.disclosed.head()
