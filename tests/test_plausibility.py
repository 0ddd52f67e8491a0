"""Rows that cannot be true are rejected on their own row: a year after today (which would
become every view's default period), an incident dated in the future, a total below women +
men. T > K + M stays: victims of unknown sex."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from frames_support import shared_demo
from lagesbild.analysis.pyramid_view import count_periods
from lagesbild.store import importer
from lagesbild.store.frames import load_frames
from lagesbild.store.gpkg import GpkgWorkspace

HEADER = "Kommunkod;År;Brottskategori;Kön;Antal\n"


@pytest.fixture
def ws(tmp_path: Path, tmp_path_factory) -> GpkgWorkspace:
    path = tmp_path / "demo.gpkg"
    shutil.copyfile(shared_demo(tmp_path_factory), path)
    return GpkgWorkspace(path)


def _file(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_a_year_after_today_is_rejected_and_never_the_default_period(ws, tmp_path) -> None:
    future = date.today().year + 5
    path = _file(tmp_path, "brå_2025.csv", f"2417;2025;Olaga hot;T;4\n2417;{future};Olaga hot;T;9\n")
    result = importer.import_file(ws, "crime_counts", path, name=path.name)
    (rejection,) = result.rejected
    assert (rejection.row, rejection.field, rejection.value) == (3, "År", str(future))
    assert "efter dagens datum" in rejection.reason
    assert count_periods(load_frames(ws), "counts")[-1] == "2025"
    assert ws.datasets().set_index("dataset").loc[path.name, "period"] == "2025–2025"


def test_a_total_below_women_and_men_rejects_the_three_rows(ws, tmp_path) -> None:
    path = _file(tmp_path, "brå_2025.csv",
                 "2417;2025;Olaga hot;K;4\n2417;2025;Olaga hot;M;3\n2417;2025;Olaga hot;T;5\n"
                 "2417;2025;Misshandel;K;4\n2417;2025;Misshandel;M;3\n2417;2025;Misshandel;T;9\n")
    result = importer.import_file(ws, "crime_counts", path, name=path.name)
    assert [r.row for r in result.rejected] == [2, 3, 4]
    assert all("totalt (5) är mindre än kvinnor + män (4 + 3)" in r.reason
               for r in result.rejected)
    assert {r.field for r in result.rejected} == {"Antal"}
    stored = ws.read("incident_counts")
    mine = stored[stored["source"] == path.name]
    # T > K + M is kept: two victims of unknown sex
    assert sorted(zip(mine["category"], mine["sex"], mine["count"])) == [
        ("Misshandel", "K", 4), ("Misshandel", "M", 3), ("Misshandel", "T", 9)]


def test_an_incident_dated_in_the_future_is_rejected(ws, tmp_path) -> None:
    future = date.today().year + 1
    lines = ["Ärendenummer;Brottsdatum;Brott;Målsägande kön;Nära relation;Kommunkod",
             f"N-1;{future - 2}-05-01 12:00;Misshandel;Kvinna;Nej;2417",
             f"N-2;{future}-05-01 12:00;Misshandel;Kvinna;Nej;2417"]
    path = tmp_path / "utdrag_ny.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = importer.import_file(ws, "incidents", path, name=path.name)
    (rejection,) = [r for r in result.rejected if r.row == 3]
    assert "efter dagens datum" in rejection.reason and rejection.field == "Brottsdatum"


def test_a_count_above_the_population_is_rejected(ws, tmp_path) -> None:
    """A population column taken for the count: Norsjö has about 4 000 inhabitants."""
    path = _file(tmp_path, "brå_egen.csv", "2417;2024;Egen kategori;T;3\n"
                                          "2417;2019;Egen kategori;T;99999\n")
    result = importer.import_file(ws, "crime_counts", path, name=path.name)
    (rejection,) = result.rejected
    assert rejection.row == 3 and rejection.field == "Antal"
    assert "fler brott (99999) än invånare" in rejection.reason


ACTIVITY_HEADER = "Enhets-ID;Program;Termin;Status;Klasser;Elever som nåtts;Personal utbildad\n"


def test_pupils_reached_above_the_target_group_are_rejected_naming_both(ws, tmp_path) -> None:
    """2401-S01 (Nordmaling centralskola) has 281 pupils in its target group in the demo's
    sites file; 2401-F01 (a fritidsgård) gives none, so nothing is checked there. Two
    programmes at one school are not summed: they may reach the same pupils."""
    sites = ws.read("sites").set_index("site_id")
    assert int(sites.loc["2401-S01", "eligible_pupils"]) == 281
    assert int(sites.loc["2401-F01", "eligible_pupils"]) == 0
    path = tmp_path / "program_ht2025.csv"
    path.write_text(ACTIVITY_HEADER
                    + "2401-S01;Trygg skolväg;HT2025;genomförs;12;282;5\n"
                    + "2401-S01;Trygg skolväg;VT2026;genomförs;12;281;5\n"
                    + "2401-S01;Stopp nu;HT2025;genomförs;8;200;3\n"
                    + "2401-F01;Trygg skolväg;HT2025;genomförs;1;500;2\n", encoding="utf-8")
    result = importer.import_file(ws, "programme_activity", path)
    (rejection,) = result.rejected
    assert (rejection.file, rejection.row, rejection.field, rejection.value) == (
        "program_ht2025.csv", 2, "Elever som nåtts", "282")
    assert ("fler elever nådda (282) än elever i målgruppen (281) på 2401-S01 "
            "(Nordmaling centralskola) HT2025") in rejection.reason
    stored = ws.read("programme_activity")
    mine = stored[stored["source"] == path.name]
    assert sorted(zip(mine["site_id"], mine["programme"], mine["period"], mine["pupils_reached"])) == [
        ("2401-F01", "Trygg skolväg", "HT2025", 500), ("2401-S01", "Stopp nu", "HT2025", 200),
        ("2401-S01", "Trygg skolväg", "VT2026", 281)]
