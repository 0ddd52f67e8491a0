"""Survey answers one per respondent: weighted shares, n as respondents, Kish's effective n in
the interval, T with respondents of unknown sex, bad cells refused naming row and field, and a
workspace round trip through the import and the export."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from frames_support import shared_demo
from lagesbild.analysis.stats import wilson_ci
from lagesbild.store import export, importer
from lagesbild.store.gpkg import GpkgWorkspace
from lagesbild.sources.survey_responses import read_survey_responses

HEADER = "Kommunkod;År;Fråga;Kön;Svar;Vikt\n"


def _answers(n_women: int = 40, n_men: int = 40, unknown: int = 5) -> str:
    """Women: every fourth says yes, weights 1 and 3 alternating; men: every fifth, weight 1;
    respondents of unknown sex all say yes."""
    lines = [f"2417;2024;otrygghet;Kvinna;{'ja' if i % 4 == 0 else 'nej'};{1 + 2 * (i % 2)}"
             for i in range(n_women)]
    lines += [f"2417;2024;otrygghet;Man;{1 if i % 5 == 0 else 0};1" for i in range(n_men)]
    lines += ["2417;2024;otrygghet;;ja;1" for _ in range(unknown)]
    return HEADER + "\n".join(lines) + "\n"


def test_weighted_shares_respondents_and_effective_n() -> None:
    result = read_survey_responses(_answers().encode(), name="enkät.csv", known={"otrygghet"})
    rows = result.accepted.set_index("sex")
    assert result.rejected == []
    assert list(rows["n"]) == [40, 40, 85] and list(rows.index) == ["K", "M", "T"]
    # women: yes at i = 0, 4, 8, ... (even i: weight 1) -> 10 of weight 1 over total weight 80
    assert rows.loc["K", "value"] == pytest.approx(100 * 10 / 80)
    assert rows.loc["M", "value"] == pytest.approx(100 * 8 / 40)
    assert rows.loc["T", "value"] == pytest.approx(100 * (10 + 8 + 5) / (80 + 40 + 5))
    w = np.array([1.0, 3.0] * 20)
    kish = w.sum() ** 2 / (w ** 2).sum()  # 32 of 40
    low, high = wilson_ci(np.array([10 / 80]), np.array([kish]))
    assert rows.loc["K", "ci_low"] == pytest.approx(low[0] * 100)
    assert rows.loc["K", "ci_high"] == pytest.approx(high[0] * 100)
    plain_low, plain_high = wilson_ci(np.array([10 / 80]), np.array([40.0]))
    assert rows.loc["K", "ci_high"] - rows.loc["K", "ci_low"] > 100 * (plain_high - plain_low)[0]
    assert any("Kish" in note for note in result.notes)


def test_without_weights_every_answer_weighs_one_and_no_interval_is_stored() -> None:
    text = "Kommunkod;År;Fråga;Kön;Svar\n" + "\n".join(
        f"2417;2024;otrygghet;K;{'ja' if i < 6 else 'nej'}" for i in range(30)) + "\n"
    rows = read_survey_responses(text.encode(), name="e.csv").accepted.set_index("sex")
    assert rows.loc["K", "value"] == pytest.approx(20.0) and rows.loc["K", "n"] == 30
    assert pd.isna(rows.loc["K", "ci_low"])  # Wilson with n, at the workspace's confidence


@pytest.mark.parametrize(("line", "field", "reason"), [
    ("2417;2024;otrygghet;K;kanske;1", "Svar", "ja eller nej"),
    ("2417;2024;otrygghet;K;ja;0", "Vikt", "större än 0"),
    ("2417;2024;otrygghet;K;ja;", "Vikt", "vikt saknas"),
    ("2417;2024;otrygghet;Totalt;ja;1", "Kön", "inte totalt"),
    ("2417;2024;okänd;K;ja;1", "Fråga", "okänd indikator"),
])
def test_bad_answers_are_refused_naming_row_and_field(line: str, field: str, reason: str) -> None:
    text = HEADER + "2417;2024;otrygghet;K;ja;1\n" + line + "\n"
    result = read_survey_responses(text.encode(), name="e.csv", known={"otrygghet"})
    (rejection,) = result.rejected
    assert rejection.row == 3 and rejection.field == field and reason in rejection.reason
    assert result.accepted.set_index("sex").loc["K", "n"] == 1  # the good answer is kept


def test_import_and_export_round_trip(tmp_path, tmp_path_factory) -> None:
    path = tmp_path / "ws.gpkg"
    shutil.copyfile(shared_demo(tmp_path_factory), path)
    ws = GpkgWorkspace(path)
    source = tmp_path / "skolenkat_svar.csv"
    source.write_bytes(_answers().replace("otrygghet", "sexistiska_kommentarer")
                       .replace("2024", "2025").encode("utf-8"))
    result = importer.import_file(ws, "survey_responses", source, name=source.name)
    assert result.rejected == []
    stored = ws.read("indicators")
    mine = stored[stored["source"] == source.name]
    assert len(mine) == 3 and set(mine["sex"]) == {"K", "M", "T"}
    kind = ws.datasets().set_index("dataset").loc[source.name, "kind"]
    assert kind == "survey_responses"
    export.export_all(ws, tmp_path / "out")
    again = GpkgWorkspace(tmp_path / "restored.gpkg")
    export.import_exported(again, tmp_path / "out")
    back = again.read("indicators")
    back = back[back["source"] == source.name].sort_values("sex").reset_index(drop=True)
    mine = mine.sort_values("sex").reset_index(drop=True)
    for col in ("value", "n", "ci_low", "ci_high"):
        assert list(pd.to_numeric(back[col])) == list(pd.to_numeric(mine[col])), col


def _school(with_grade: bool = True) -> str:
    """A school survey, one row per pupil: åk 5 (30 pupils, every third says yes) and åk 8
    (40 pupils, every second says yes), girls and boys alternating; two pupils gave no grade and
    two an age band across two groups ("15-19")."""
    lines = []
    for grade, count, every in (("åk 5", 30, 3), ("Årskurs 8", 40, 2), ("", 2, 1),
                                ("15-19", 2, 1)):
        for i in range(count):
            sex = "Flicka" if i % 2 == 0 else "Pojke"
            answer = "ja" if i % every == 0 else "nej"
            lines.append(f"2417;2024;otrygghet;{sex};{answer}" + (f";{grade}" if with_grade
                                                                   else ""))
    head = "Kommunkod;År;Fråga;Kön;Svar" + (";Årskurs" if with_grade else "")
    return head + "\n" + "\n".join(lines) + "\n"


def test_a_school_survey_by_grade_gives_each_grade_beside_the_totals() -> None:
    result = read_survey_responses(_school().encode(), name="skolenkat.csv",
                                   known={"otrygghet"})
    assert result.rejected == []
    rows = result.accepted
    totals = rows[rows["age_group"].isna()].set_index("sex")
    assert totals.loc["T", "n"] == 74  # every pupil, with or without a placeable grade
    grades = rows[rows["age_group"].notna()].set_index(["age_group", "sex"])
    assert sorted(set(rows["age_group"].dropna())) == ["åk 5", "åk 8"]  # "Årskurs 8" = åk 8
    assert grades.loc[("åk 5", "T"), "n"] == 30 and grades.loc[("åk 8", "T"), "n"] == 40
    assert grades.loc[("åk 5", "T"), "value"] == pytest.approx(100 * 10 / 30)
    assert grades.loc[("åk 8", "T"), "value"] == pytest.approx(50.0)
    assert grades.loc[("åk 8", "K"), "n"] == 20
    assert any("2 svar har en ålder som inte ryms" in note for note in result.notes)


def test_without_a_grade_column_nothing_changes() -> None:
    """The file that would make the grades silently wrong: the same answers without the column
    give the same totals and no grade rows (not one grade of everyone)."""
    plain = read_survey_responses(_school(with_grade=False).encode(), name="s.csv").accepted
    graded = read_survey_responses(_school().encode(), name="s.csv").accepted
    assert plain["age_group"].isna().all()
    cols = ["sex", "value", "n"]
    pd.testing.assert_frame_equal(
        plain[cols].reset_index(drop=True),
        graded[graded["age_group"].isna()][cols].reset_index(drop=True))


def test_grade_rows_import_beside_the_totals(tmp_path, tmp_path_factory) -> None:
    path = tmp_path / "ws.gpkg"
    shutil.copyfile(shared_demo(tmp_path_factory), path)
    ws = GpkgWorkspace(path)
    source = tmp_path / "skolenkat.csv"
    source.write_bytes(_school().replace("otrygghet", "sexistiska_kommentarer")
                       .replace("2024", "2025").encode("utf-8"))
    result = importer.import_file(ws, "survey_responses", source, name=source.name)
    assert result.rejected == []
    stored = ws.read("indicators")
    mine = stored[stored["source"] == source.name]
    assert len(mine) == 9  # K, M, T for the totals, åk 5 and åk 8
    assert set(mine["age_group"].dropna()) == {"åk 5", "åk 8"}
