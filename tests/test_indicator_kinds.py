"""Census indicators ("4 av 6 enheter"), school surveys by grade and term, and county values
that say what they hold (pooled from some kommuner, or the source's own län row): read from
files shaped like Kalmar's follow-up, Stockholm's "Trygghet och studiero" and NTU's län table,
and checked as the coordinator sees them."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from conftest import csv_bytes
from frames_support import tiny_frames
from lagesbild.analysis.audit import audit
from lagesbild.analysis.figures import indicator_figures
from lagesbild.analysis.release_survey import survey_release
from lagesbild.analysis.shares import indicator_grades
from lagesbild.analysis.survey_pooling import pooled_periods
from lagesbild.core import schema
from lagesbild.core.frames import Frames
from lagesbild.core.settings import Settings
from lagesbild.sources.indicator_table import read_indicators
from lagesbild.store.frames import AGE_SPLIT

SETTINGS = Settings()
CENSUS = "enheter_kunskap_hrv_vinr"

KALMAR = """Kommun;År;Indikator;Kön;Antal enheter;Antal med
Norsjö;2024;enheter_kunskap_hrv_vinr;T;6;4
Sorsele;2024;enheter_kunskap_hrv_vinr;T;3;3
"""

STOCKHOLM = """Kommunkod;Termin;Årskurs;Fråga;Kön;Andel (%);Antal svarande
2417;VT2024;Åk 5;otrygghet;T;10,0;200
2417;VT2024;Åk 8;otrygghet;T;30,0;180
2422;VT2024;åk 5;otrygghet;T;12,0;100
2422;VT2024;Årskurs 8;otrygghet;T;40,0;90
2417;HT2023;Åk 8;otrygghet;T;28,0;170
"""

NTU = """Område;År;Indikator;Kön;Andel (%);KI nedre;KI övre;Antal svarande
24;2024;otrygghet;T;25,3;23,1;27,5;1800
Västerbottens län;2023;otrygghet;T;24,0;21,9;26,1;1750
"""


def _frames(result, *, keep_tiny: bool = False) -> Frames:
    """tiny_frames (län 24; kommuner 2417 Norsjö and 2422 Sorsele) holding the rows read,
    split into totals and grades as the workspace loads them (`store.frames.load_frames`)."""
    frames = tiny_frames()
    rows = result.accepted.drop(columns="_line").assign(source="fil.csv")
    if keep_tiny:
        rows = pd.concat([frames.indicators, rows], ignore_index=True)
    rows = schema.conform(rows, "indicators")
    assert "indicators" in AGE_SPLIT
    graded = rows["age_group"].notna()
    return replace(frames, indicators=rows[~graded].reset_index(drop=True),
                   indicators_age=rows[graded].reset_index(drop=True))


def _shown(frames: Frames, indicator: str = "otrygghet", period: str = "2024", grade: str = ""
           ) -> pd.DataFrame:
    return indicator_figures(frames, indicator, period=period, settings=SETTINGS,
                             grade=grade).set_index(["area_id", "sex"])


# --- census -------------------------------------------------------------------------------------

def test_kalmar_census_of_six_units_is_shown_as_counts_without_interval() -> None:
    """4 of Norsjö's 6 units know the routines: "4 av 6 enheter (67 %)", never "för få svar"
    (n = 6 is all the units there are) and no Wilson interval; the county sums the units."""
    result = read_indicators(csv_bytes(KALMAR), name="uppfoljning.csv")
    assert not result.rejected
    rows = _shown(_frames(result), CENSUS)
    norsjo = rows.loc[("2417", "T")]
    assert norsjo["display"] == "4 av 6 enheter (67 %)"
    assert not norsjo["suppressed"] and norsjo["suppression"] == ""
    assert pd.isna(norsjo["ci_low"]) and pd.isna(norsjo["ci_high"])
    assert rows.loc[("2422", "T"), "display"] == "3 av 3 enheter (100 %)"
    county = rows.loc[("24", "T")]
    assert county["display"] == "7 av 9 enheter (78 %)"
    assert "2 av 2 kommuner" in county["note"] and pd.isna(county["ci_low"])
    # the release audit sees every unit count shown: nothing to protect among organisations
    assert audit(*survey_release(_frames(result), CENSUS, period="2024",
                                 settings=SETTINGS)).passed
    # a census is no survey to pool over three years, even with three years of counts
    years = pd.concat([result.accepted.assign(period=y) for y in ("2022", "2023", "2024")])
    three = replace(result, accepted=years)
    assert pooled_periods(_frames(three), CENSUS) == []
    assert pooled_periods(_frames(replace(three, accepted=years.replace(
        {CENSUS: "otrygghet"}))), "otrygghet") == ["2024"]


def test_the_same_six_as_a_survey_would_be_hidden() -> None:
    """What the census rule prevents: a survey indicator with n = 6 is "för få svar"."""
    text = KALMAR.replace(CENSUS, "otrygghet")
    rows = _shown(_frames(read_indicators(csv_bytes(text), name="enkät.csv")))
    assert rows.loc[("2417", "T"), "suppression"] == "few_respondents"
    assert rows.loc[("2417", "T"), "display"] == ".. (n=6)"


def test_census_of_staff_hides_one_to_four_persons(tmp_path) -> None:
    """units = "personal": the number of staff having the property is a count of persons, so
    2 of 40 is hidden (and the county, which would give it away by subtraction)."""
    toml = (SETTINGS.layers_dir / "indicators.toml").read_text(encoding="utf-8")
    layers = tmp_path / "layers"
    layers.mkdir()
    (layers / "indicators.toml").write_text(
        toml + '\n[personal_utbildad]\ntitle_sv = "Personal utbildad"\nunit = "percent"\n'
        'kind = "census"\nunits = "personal"\n', encoding="utf-8")
    for f in SETTINGS.layers_dir.glob("aldersgrupper.toml"):
        (layers / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    settings = replace(SETTINGS, layers_dir=layers)
    text = KALMAR.replace(CENSUS, "personal_utbildad").replace("6;4", "40;2").replace(
        "3;3", "20;12")
    frames = _frames(read_indicators(csv_bytes(text), name="personal.csv"))
    rows = indicator_figures(frames, "personal_utbildad", period="2024",
                             settings=settings).set_index(["area_id", "sex"])
    assert rows.loc[("2417", "T"), "suppressed"]
    assert rows.loc[("2417", "T"), "display"] == ".. av 40 personal"
    # the county (14 of 60) minus Sorsele (12 of 20) would give Norsjö's 2: one more is hidden
    assert rows.loc[("2422", "T"), "suppressed"] or rows.loc[("24", "T"), "suppressed"]
    assert all(d.startswith("..") or " av " in d for d in rows["display"])


def test_census_counts_that_cannot_be_right_are_rejected() -> None:
    text = KALMAR + "Norsjö;2023;enheter_kunskap_hrv_vinr;T;6;7\n" \
        "Sorsele;2023;enheter_kunskap_hrv_vinr;T;;2\n"
    result = read_indicators(csv_bytes(text), name="uppfoljning.csv")
    assert [(r.row, r.field) for r in result.rejected] == [(4, "Antal med"), (5, "Antal enheter")]
    assert "större än antalet enheter" in result.rejected[0].reason


# --- grades and terms ---------------------------------------------------------------------------

def test_stockholm_survey_keeps_each_grade_and_term() -> None:
    """Åk 5 and åk 8 of one kommun and term are two rows, not a duplicate; terms are periods."""
    result = read_indicators(csv_bytes(STOCKHOLM), name="trygghet_studiero.csv")
    assert not result.rejected
    got = result.accepted.set_index(["area_id", "period", "age_group"])["value"].to_dict()
    assert got == {("2417", "VT2024", "åk 5"): 10.0, ("2417", "VT2024", "åk 8"): 30.0,
                   ("2422", "VT2024", "åk 5"): 12.0, ("2422", "VT2024", "åk 8"): 40.0,
                   ("2417", "HT2023", "åk 8"): 28.0}
    assert result.dataset.period == "HT2023–VT2024"


def test_a_grade_never_mixes_into_another_grades_value() -> None:
    """Åk 8 of Norsjö is 30 %, not an average with åk 5 (10 %); the county's åk 8 is pooled
    from the kommuner's åk 8 only: (30·180 + 40·90) / 270 = 33,3 %."""
    frames = _frames(read_indicators(csv_bytes(STOCKHOLM), name="trygghet_studiero.csv"))
    assert indicator_grades(frames, "otrygghet") == ["åk 5", "åk 8"]
    ak8 = _shown(frames, period="VT2024", grade="åk 8")
    assert ak8.loc[("2417", "T"), "value"] == 30.0
    assert round(ak8.loc[("24", "T"), "value"], 1) == 33.3
    assert "2 av 2 kommuner" in ak8.loc[("24", "T"), "note"]
    ak5 = _shown(frames, period="VT2024", grade="åk 5")
    assert ak5.loc[("2417", "T"), "value"] == 10.0
    # without a grade only the rows for all grades count: this survey has none
    assert _shown(frames, period="VT2024").empty


def test_same_grade_twice_in_one_term_is_a_duplicate() -> None:
    text = STOCKHOLM + "2417;VT2024;årskurs 5;otrygghet;T;11,0;190\n"
    result = read_indicators(csv_bytes(text), name="trygghet_studiero.csv")
    assert [r.row for r in result.rejected] == [7]


# --- county values ------------------------------------------------------------------------------

def test_ntu_lan_rows_are_the_countys_own_value_with_the_sources_interval() -> None:
    result = read_indicators(csv_bytes(NTU), name="ntu_lan.csv")
    assert not result.rejected
    assert set(result.accepted["area_id"]) == {"24"}
    frames = _frames(result)
    rows = _shown(frames)
    county = rows.loc[("24", "T")]
    assert (county["value"], county["ci_low"], county["ci_high"]) == (25.3, 23.1, 27.5)
    assert "enligt källan" in county["note"]


def test_lan_row_beside_kommun_rows_is_shown_as_the_countys_own_not_pooled() -> None:
    """Kommun rows (tiny_frames: Norsjö 15 %, Sorsele 16,7 %) and NTU's län row: the county
    shows NTU's 25,3 % and says the kommuner are not pooled into it."""
    frames = _frames(read_indicators(csv_bytes(NTU), name="ntu_lan.csv"), keep_tiny=True)
    county = _shown(frames).loc[("24", "T")]
    assert county["value"] == 25.3 and county["ci_low"] == 23.1
    assert "länets eget värde" in county["note"] and "sammanvägs inte" in county["note"]


def test_pooled_county_says_how_many_kommuner_it_holds() -> None:
    frames = tiny_frames()
    only = frames.indicators[frames.indicators["area_id"] != "2422"]
    county = _shown(replace(frames, indicators=only)).loc[("24", "T")]
    assert "(1 av 2 kommuner)" in county["note"]


def test_margin_of_error_gives_the_interval() -> None:
    text = "Område;År;Indikator;Kön;Andel (%);Felmarginal;Antal svarande\n" \
           "24;2024;otrygghet;T;25,0;± 2,5;1800\n"
    result = read_indicators(csv_bytes(text), name="ntu.csv")
    row = result.accepted.iloc[0]
    assert (row["ci_low"], row["ci_high"]) == (22.5, 27.5)


GRADE_FEW = """Kommunkod;Termin;Årskurs;Fråga;Kön;Andel (%);Antal svarande
2417;VT2024;Åk 8;otrygghet;T;30,0;180
2422;VT2024;Åk 8;otrygghet;T;40,0;20
2417;VT2024;Åk 5;otrygghet;T;10,0;200
2422;VT2024;Åk 5;otrygghet;T;12,0;100
"""


def test_one_grades_county_value_cannot_give_away_a_hidden_kommun() -> None:
    """Sorsele's åk 8 has 20 respondents (fewer than 30: hidden). Jämförelse pools the county's
    åk 8 from its kommuner: with Norsjö's share and n shown, the county's share and n would
    give Sorsele's back (county yes − Norsjö's yes). One decision, shared with the report's
    table by grade, hides enough; the integer-programming audit over both tables (and the
    grades within the total) narrows nothing."""
    from lagesbild.analysis.age_shares import indicator_by_age
    from lagesbild.analysis.release import cell_id
    from lagesbild.analysis.release_age import grade_release

    frames = _frames(read_indicators(csv_bytes(GRADE_FEW), name="skolenkat.csv"))
    shown = _shown(frames, period="VT2024", grade="åk 8")
    assert shown.loc[("2422", "T"), "suppressed"]
    assert shown.loc[("2422", "T"), "display"].endswith("(n=20)")
    county, norsjo = shown.loc[("24", "T")], shown.loc[("2417", "T")]
    assert "2 av 2 kommuner" in county["note"]
    assert county["suppressed"] or norsjo["suppressed"]  # never both shown with Sorsele hidden
    table = indicator_by_age(frames, "otrygghet", period="VT2024", area=None, settings=SETTINGS)
    eight = table[table["age_group"] == "åk 8"].set_index(["area_id", "sex"])
    for key in shown.index:  # the same cells hidden in Jämförelse and in the report
        assert bool(eight.loc[key, "suppressed"]) == bool(shown.loc[key, "suppressed"]), key
    cells, relations = grade_release(frames, "otrygghet", period="VT2024", settings=SETTINGS)
    county_cell = cell_id("grade", "otrygghet", "VT2024", "24", "åk 8", "T")
    assert county_cell in {str(c["cell"]) for c in cells}  # the pooled county is audited
    result = audit(cells, relations)
    assert result.passed, result


def test_the_english_report_translates_the_county_and_census_notes() -> None:
    from lagesbild.report.english import to_english

    assert to_english("länsvärde: kommunernas svar sammanvägda efter antal svarande "
                      "(3 av 15 kommuner)") == ("county value: the municipalities' answers "
                                                 "weighted by their respondents "
                                                 "(3 of 15 municipalities)")
    assert to_english("4 av 6 enheter (67 %)").startswith("4 of 6 units")
    english = to_english("länets eget värde enligt källan; kommunernas värden sammanvägs inte "
                         "till det; intervall enligt källan (dess urvalsdesign)")
    assert not any(word in english for word in ("länets", "källan", "kommunernas"))
