"""`lagesbild import` with per-kind options: boundaries, plain population CSV, Polisen events."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from lagesbild.cli.main import main
from lagesbild.store.gpkg import GpkgWorkspace


def _square(x: float, y: float, size: float = 0.2) -> list[list[list[float]]]:
    return [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]]


@pytest.fixture
def boundary_file(tmp_path: Path) -> Path:
    features = [{"type": "Feature", "properties": {"kod": code, "namn": name},
                 "geometry": {"type": "Polygon", "coordinates": _square(19.0 + i * 0.2, 64.0)}}
                for i, (code, name) in enumerate([("2417", "Norsjö"), ("2422", "Sorsele")])]
    path = tmp_path / "kommuner.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def test_import_boundaries_then_population_with_year(tmp_path: Path, boundary_file: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    ws = tmp_path / "w.gpkg"
    runner = CliRunner()
    result = runner.invoke(main, ["import", "boundaries", str(boundary_file), "-w", str(ws),
                                  "--level", "kommun", "--code-column", "kod", "--name-column", "namn"])
    assert result.exit_code == 0, result.output
    assert "nivå kommun" in result.output
    areas = GpkgWorkspace(ws).read("areas")
    assert sorted(areas["area_id"]) == ["2417", "2422"] and set(areas["level"]) == {"kommun"}

    pop = tmp_path / "folkmangd.csv"
    pop.write_bytes("kommun_kod;kommun_namn;population\r\n2417;Norsjö;4 008\r\n2422;Sorsele;2 431\r\n"
                    "9999;Ingenstans;5\r\n".encode("cp1252"))
    missing_year = runner.invoke(main, ["import", "population_simple", str(pop), "-w", str(ws)])
    assert missing_year.exit_code == 1 and "År" in missing_year.output
    ok = runner.invoke(main, ["import", "population_simple", str(pop), "-w", str(ws), "--year", "2024"])
    assert ok.exit_code == 2  # one unknown kommun rejected and written next to us, not the input
    rejected = (tmp_path / "folkmangd.csv.avvisade.csv").read_text(encoding="utf-8-sig")
    assert "9999" in rejected and ";4;" in rejected  # line 4 of the file
    population = GpkgWorkspace(ws).read("population")
    assert dict(zip(population["area_id"], population["population"])) == {"2417": 4008, "2422": 2431}
    assert set(population["year"]) == {2024} and set(population["sex"]) == {"T"}


def test_an_option_of_another_kind_is_refused(tmp_path: Path, boundary_file: Path) -> None:
    result = CliRunner().invoke(main, ["import", "boundaries", str(boundary_file),
                                       "-w", str(tmp_path / "w.gpkg"), "--year", "2024"])
    assert result.exit_code == 1
    assert "year" in result.output and "gäller inte" in result.output


def test_columns_mapped_and_sheet_chosen_on_the_command_line(
        tmp_path: Path, boundary_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from openpyxl import Workbook

    monkeypatch.chdir(tmp_path)
    ws = tmp_path / "w.gpkg"
    runner = CliRunner()
    assert runner.invoke(main, ["import", "boundaries", str(boundary_file), "-w", str(ws),
                                "--code-column", "kod", "--name-column", "namn"]).exit_code == 0
    book = Workbook()
    book.active.title = "Om tabellen"
    sheet = book.create_sheet("Brott")
    for row in (["Kommunkod", "År", "Brottskategori", "Kön", "Summa"],
                ["2417", 2024, "Misshandel", "Kvinnor", 4],
                ["2417", 2024, "Misshandel", "Män", "@tre"],
                ["2417", 2024, "Misshandel", "Totalt", 9]):
        sheet.append(row)
    path = tmp_path / "bra.xlsx"
    book.save(path)
    unmapped = runner.invoke(main, ["import", "crime_counts", str(path), "-w", str(ws),
                                    "--sheet", "Brott"])
    assert unmapped.exit_code == 1 and "Summa" in unmapped.output and "count" in unmapped.output
    bad = runner.invoke(main, ["import", "crime_counts", str(path), "-w", str(ws),
                               "--column", "Summa"])
    assert bad.exit_code == 2 and "FIELD=HEADER" in bad.output
    ok = runner.invoke(main, ["import", "crime_counts", str(path), "-w", str(ws),
                              "--sheet", "Brott", "--column", "count=Summa"])
    assert ok.exit_code == 2, ok.output  # one rejected cell
    counts = GpkgWorkspace(ws).read("incident_counts")
    assert sorted(counts["count"].tolist()) == [4, 9]
    rejected = (tmp_path / "bra.xlsx.avvisade.csv").read_text(encoding="utf-8-sig")
    assert ";'@tre;" in rejected  # a formula in a rejected cell is neutralised for Excel


def test_export_then_restore_into_a_new_workspace(tmp_path: Path, boundary_file: Path) -> None:
    runner = CliRunner()
    ws, ws2, out = tmp_path / "w.gpkg", tmp_path / "w2.gpkg", tmp_path / "export"
    assert runner.invoke(main, ["import", "boundaries", str(boundary_file), "-w", str(ws),
                                "--code-column", "kod", "--name-column", "namn"]).exit_code == 0
    exported = runner.invoke(main, ["export", "-w", str(ws), "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    restored = runner.invoke(main, ["restore", "-w", str(ws2), str(out)])
    assert restored.exit_code == 0, restored.output
    a, b = GpkgWorkspace(ws).read("areas"), GpkgWorkspace(ws2).read("areas")
    assert a.drop(columns="geometry").equals(b.drop(columns="geometry"))
    assert a.geometry.geom_equals_exact(b.geometry, 1e-3).all()


def test_a_file_with_no_usable_row_still_writes_its_rejected_rows(
        tmp_path: Path, boundary_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    ws = tmp_path / "w.gpkg"
    runner = CliRunner()
    assert runner.invoke(main, ["import", "boundaries", str(boundary_file), "-w", str(ws),
                                "--code-column", "kod", "--name-column", "namn"]).exit_code == 0
    pop = tmp_path / "regso.csv"
    pop.write_bytes("kommun_kod;population\r\n2417R001;400\r\n2417R002;500\r\n".encode("cp1252"))
    result = runner.invoke(main, ["import", "population_simple", str(pop), "-w", str(ws),
                                  "--year", "2024"])
    assert result.exit_code == 1
    assert "Alla 2 rader avvisades" in result.output and "rad 2" in result.output
    rejected = (tmp_path / "regso.csv.avvisade.csv").read_text(encoding="utf-8-sig")
    assert "2417R001" in rejected and "2417R002" in rejected
