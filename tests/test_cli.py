"""The command line on the demo workspace: layers, pyramid, map and import, with exit codes."""

from __future__ import annotations

import functools
import json
import re
import shutil
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner, Result

from lagesbild.analysis.figures import periods
from lagesbild.core.taxonomy import load_taxonomy
from lagesbild.analysis.pyramid_view import pyramid_view, to_json
from lagesbild.cli.main import main
from lagesbild.core.frames import Frames
from lagesbild.store.frames import load_frames
from lagesbild.core.layers import load_layers
from lagesbild.core.settings import get_settings
from lagesbild.store.gpkg import GpkgWorkspace

from frames_support import shared_demo

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_demo(tmp_path_factory)


def run(*args: object) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_layers_json(ws: Path) -> None:
    result = run("layers", "--json", "-w", ws)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    specs = load_layers(ROOT / "layers")
    assert [r["id"] for r in rows] == list(specs)
    frames = _frames(ws)
    for row in rows:
        assert row["periods"] == periods(frames, specs[row["id"]])
        assert row["kind"] == specs[row["id"]].kind
    by_id = {r["id"]: r for r in rows}
    assert by_id["vald_topp"]["periods"] == [str(y) for y in range(2019, 2025)]
    assert by_id["vald_nara_relation"]["periods"] == ["2022", "2023", "2024"]
    assert by_id["mvp_tackning"]["periods"][-1] == "HT2024"


def test_layers_text(ws: Path) -> None:
    result = run("layers", "-w", ws)
    assert result.exit_code == 0
    assert re.search(r"^vald_topp\s+Anmält grövre våld", result.stdout, flags=re.M)


@functools.cache
def _frames(ws: Path) -> Frames:
    return load_frames(GpkgWorkspace(ws))


def _expected(ws: Path, area: str, period: str, sex: str, source: str = "counts") -> dict:
    settings = get_settings()
    taxonomy = load_taxonomy(settings.layers_dir / "pyramid.toml")
    meta = tomllib.loads((settings.layers_dir / "indicators.toml").read_text(encoding="utf-8"))
    view = pyramid_view(_frames(ws), taxonomy, meta, area_id=area,
                        period=period, source=source, settings=settings)
    return json.loads(json.dumps(to_json(view, taxonomy, sex=sex)))


def test_pyramid_json_matches_the_analysis(ws: Path) -> None:
    result = run("pyramid", "--area", "2417", "--period", "2024", "--sex", "K", "--json", "-w", ws)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc == _expected(ws, "2417", "2024", "K")
    assert doc["schema"] == "lagesbild.pyramid/1" and doc["area"] == {"id": "2417", "name": "Norsjö"}
    assert [lv["level"] for lv in doc["levels"]] == [3, 2, 1, 0]


def test_pyramid_small_kommun_shows_suppressed_cells(ws: Path) -> None:
    result = run("pyramid", "--area", "2463", "--period", "2024", "--sex", "K", "--json", "-w", ws)
    doc = json.loads(result.stdout)
    cells = [c for lv in doc["levels"] for c in ([lv["total"]] if lv["total"] else []) + lv["categories"]]
    hidden = [c for c in cells if c["suppressed"]]
    assert hidden and all(c["count"] is None and c["rate_per_100000"] is None for c in hidden)
    assert {c["display"] for c in hidden} == {".."}  # one symbol: no label says "1 to 4"


def test_pyramid_county_and_incident_source(ws: Path) -> None:
    result = run("pyramid", "--area", "24", "--source", "incidents", "--json", "-w", ws)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["period"] == "2024" and doc["sex"] == "T" and doc["count_source"] == "incidents"
    assert doc["area"]["name"] == "Västerbottens län"
    assert doc == _expected(ws, "24", "2024", "T", "incidents")
    assert doc["levels"][0]["total"]["count"] > 100


def test_pyramid_text(ws: Path) -> None:
    result = run("pyramid", "--area", "24", "--period", "2023", "-w", ws)
    assert result.exit_code == 0
    assert result.stdout.startswith("Västerbottens län 2023 (T)")
    assert "Toppen: fysiskt och sexuellt våld" in result.stdout


def test_pyramid_unknown_area_is_a_clear_error(ws: Path) -> None:
    result = run("pyramid", "--area", "9999", "-w", ws)
    assert result.exit_code == 1
    assert result.stderr.startswith("Fel: ")
    assert "'area'" in result.stderr and "9999" in result.stderr and "2417" in result.stderr
    assert "Traceback" not in result.output


def test_pyramid_unknown_period(ws: Path) -> None:
    result = run("pyramid", "--area", "2417", "--period", "1990", "-w", ws)
    assert result.exit_code == 1 and "1990" in result.stderr and "2024" in result.stderr


def test_map_writes_self_contained_html(ws: Path, tmp_path: Path) -> None:
    out = tmp_path / "karta.html"
    result = run("map", "--layer", "vald_topp", "--out", out, "-w", ws)
    assert result.exit_code == 0, result.output
    assert "vald_topp, value, 2024, T" in result.stdout
    page = out.read_text(encoding="utf-8")
    assert "leaflet" in page.lower() and "Leaflet 1.9" in page
    assert not re.search(r"<script[^>]*\bsrc=[\"']?(https?:)?//", page, flags=re.I)
    assert not re.search(r"<link[^>]*\bhref=[\"']?(https?:)?//", page, flags=re.I)
    assert "Norsj" in page and "Skellefte" in page


def test_map_english_coverage_layer(ws: Path, tmp_path: Path) -> None:
    out = tmp_path / "mvp.html"
    result = run("map", "--layer", "mvp_tackning", "--period", "HT2023", "--lang", "en",
                 "--no-sites", "--out", out, "-w", ws)
    assert result.exit_code == 0, result.output
    assert "Share of target pupils reached by MVP" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(("view", "said"), [
    ("smoothed", "Empirical Bayes"), ("rolling", "3-årsmedel"), ("change", "utöver slumpen"),
    ("hotspots", "Het punkt")])
def test_map_views(ws: Path, tmp_path: Path, view: str, said: str) -> None:
    out = tmp_path / f"{view}.html"
    result = run("map", "--layer", "vald_topp", "--view", view, "--out", out, "-w", ws)
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert said in page or json.dumps(said)[1:-1] in page  # JSON in the page escapes å, ö


def test_map_hotspots_say_flags_against_chance_and_take_fdr(ws: Path, tmp_path: Path) -> None:
    out = tmp_path / "hot.html"
    result = run("map", "--layer", "vald_topp", "--view", "hotspots", "--period", "2024",
                 "--out", out, "-w", ws)
    assert result.exit_code == 0, result.output
    first, second = result.stdout.splitlines()[:2]
    assert first.startswith("Karta skriven:")
    assert second.strip().startswith("Flaggade mot vad slumpen ensam ger: 90\u00a0%-nivån")
    assert "av 15 områden (väntat av slumpen ensam: 1,5)" in second
    adjusted = run("map", "--layer", "vald_topp", "--view", "hotspots", "--period", "2024",
                   "--fdr", "--lang", "en", "--out", tmp_path / "fdr.html", "-w", ws)
    assert adjusted.exit_code == 0, adjusted.output
    assert "false-discovery-rate adjustment" in adjusted.stdout
    refused = run("map", "--layer", "vald_topp", "--view", "value", "--fdr", "--out",
                  tmp_path / "x.html", "-w", ws)
    assert refused.exit_code == 1 and "--fdr" in refused.stderr
    too_few = run("map", "--layer", "vald_nara_relation", "--view", "hotspots", "--period",
                  "2023", "--sex", "M", "--out", tmp_path / "few.html", "-w", ws)
    assert too_few.exit_code == 0, too_few.output
    assert "beräknas inte: färre än 15 områden" in too_few.stdout


def test_map_coverage_need_view(ws: Path, tmp_path: Path) -> None:
    out = tmp_path / "need.html"
    result = run("map", "--layer", "mvp_tackning", "--view", "need", "--out", out, "-w", ws)
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    # the legend states the limits (escaped in the map's script)
    assert "H\\u00f6gt behov (percentil &gt; 50), l\\u00e5g t\\u00e4ckning (&lt; 25 %)" in page


def test_map_view_not_for_this_layer(ws: Path, tmp_path: Path) -> None:
    result = run("map", "--layer", "mvp_tackning", "--view", "hotspots", "--out",
                 tmp_path / "x.html", "-w", ws)
    assert result.exit_code == 1 and "Visningen 'hotspots' finns inte" in result.stderr


def test_map_unknown_layer_lists_valid_layers(ws: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.html"
    result = run("map", "--layer", "finns_inte", "--out", out, "-w", ws)
    assert result.exit_code == 1
    assert "finns_inte" in result.stderr and "'layer'" in result.stderr
    for layer in load_layers(ROOT / "layers"):
        assert layer in result.stderr
    assert not out.exists()


def test_missing_workspace_is_a_clear_error(tmp_path: Path) -> None:
    result = run("layers", "-w", tmp_path / "saknas.gpkg")
    assert result.exit_code == 1 and result.stderr.startswith("Fel: ")


def test_import_with_a_bad_row(ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # rejected rows are written to the working directory
    copy = tmp_path / "ws.gpkg"
    shutil.copy(ws, copy)
    csv = tmp_path / "bra_2025.csv"
    csv.write_bytes(("Kommun;Kommunkod;År;Brottskategori;Kön;Antal\r\n"
                     "Norsjö;2417;2025;Misshandel;Kvinnor;4\r\n"
                     "Norsjö;2417;2025;Misshandel;Män;tre\r\n"
                     "Norsjö;2417;2025;Misshandel;Totalt;9\r\n").encode("utf-8-sig"))
    result = run("import", "crime_counts", csv, "-w", copy)
    assert result.exit_code == 2, result.output
    assert "Importerade 2 rader" in result.stdout
    rejected = tmp_path / "bra_2025.csv.avvisade.csv"
    assert rejected.exists() and "avvisades" in result.stderr
    table = pd.read_csv(rejected, sep=";", encoding="utf-8-sig", dtype=str)
    assert table.to_dict("records") == [{"fil": "bra_2025.csv", "rad": "3", "fält": "Antal",
                                         "värde": "tre", "orsak": table["orsak"].iloc[0]}]
    counts = GpkgWorkspace(copy).read("incident_counts")
    assert sorted(counts.loc[counts["period"] == "2025", "count"].tolist()) == [4, 9]


def test_import_strict_refuses_the_whole_file(ws: Path, tmp_path: Path) -> None:
    copy = tmp_path / "ws.gpkg"
    shutil.copy(ws, copy)
    csv = tmp_path / "bra.csv"
    csv.write_text("Kommun;Kommunkod;År;Brottskategori;Kön;Antal\nNorsjö;9999;2025;Misshandel;Totalt;9\n"
                   "Norsjö;2417;2025;Misshandel;Totalt;8\n", encoding="utf-8")
    out = tmp_path / "avvisade.csv"
    result = run("import", "crime_counts", csv, "-w", copy, "--strict", "--rejected-out", out)
    assert result.exit_code == 1 and "rad 2" in result.stderr
    counts = GpkgWorkspace(copy).read("incident_counts")
    assert not (counts["period"] == "2025").any()


def test_compare_json_is_protected_and_ranked(ws: Path) -> None:
    result = run("compare", "--indicator", "vald_nara_relation", "--sex", "K", "--json", "-w", ws)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["schema"] == "lagesbild.compare/1" and doc["layer"] == "vald_nara_relation"
    assert doc["period"] == "2024" and doc["sex"] == "K" and doc["source"]
    assert len(doc["kommuner"]) == 15 and doc["county"]["area_id"] == "24"
    hidden = [k for k in doc["kommuner"] if k["suppressed"]]
    assert hidden and all(k["value"] is None and k["rank"] is None for k in hidden)
    assert all(k["display"] == ".." for k in hidden)
    shown = [k for k in doc["kommuner"] if not k["suppressed"] and k["value"] is not None]
    assert [k["rank"] for k in shown] == sorted(k["rank"] for k in shown)
    assert all(k["ci_low"] <= k["value"] <= k["ci_high"] for k in shown)
    # the same cells as the map's figures (one policy, one exit)
    from lagesbild.analysis.figures import layer_figures
    from lagesbild.core.taxonomy import load_taxonomy
    from lagesbild.store.frames import load_frames
    from lagesbild.core.settings import get_settings
    settings = get_settings()
    figs = layer_figures(load_frames(GpkgWorkspace(ws)), load_layers(ROOT / "layers")["vald_nara_relation"],
                         period="2024", sex="K", settings=settings,
                         taxonomy=load_taxonomy(ROOT / "layers" / "pyramid.toml"))
    assert {k["area_id"] for k in hidden} == set(
        figs.loc[figs["suppressed"] & (figs["level"] == "kommun"), "area_id"])


def test_compare_json_flags_only_intervals_outside_the_band(ws: Path) -> None:
    doc = json.loads(run("compare", "--indicator", "vald_topp", "--json", "-w", ws).stdout)
    band = doc["reference"]
    shown = [k for k in doc["kommuner"] if k["band_position"] is not None]
    for k in shown:
        outside = k["ci_low"] > band["p75"] or k["ci_high"] < band["p25"]
        assert (k["band_position"] != "within") == outside
        assert k["band_position"] != "above" or k["ci_low"] > band["p75"]
        assert k["band_position"] != "below" or k["ci_high"] < band["p25"]
    flags = doc["band_flags"]
    assert flags["n_tested"] == len(shown) and flags["confidence"] == 0.95
    assert flags["n_above"] == sum(k["band_position"] == "above" for k in shown)
    assert flags["expected_by_chance"] == pytest.approx(len(shown) * 0.05)


def test_compare_text(ws: Path) -> None:
    result = run("compare", "--indicator", "otrygghet", "-w", ws)
    assert result.exit_code == 0 and "Län: Västerbottens län" in result.stdout
    assert "percentilen" in result.stdout
    assert "av slumpen ensam väntas upp till" in result.stdout


@pytest.mark.parametrize("fmt", ["html", "xlsx"])
def test_report_cli_writes_the_pack_with_the_saved_notes(ws: Path, tmp_path: Path, fmt: str) -> None:
    import shutil

    from lagesbild.store.notes import save_notes

    copy = tmp_path / "w.gpkg"
    shutil.copy(ws, copy)
    save_notes(GpkgWorkspace(copy), "2417", "2024", notes={"analys": "Våldet i Norsjö ökade."},
               goals={"valdsforebyggande": "MVP i alla åk 8 senast 2026"})
    out = tmp_path / f"rapport.{fmt}"
    result = run("report", "-w", copy, "--area", "2417", "--period", "2024", "--format", fmt,
                 "--out", out, "--layers", "otrygghet,mvp_tackning", "--snapshot")
    assert result.exit_code == 0, result.output
    assert "Ögonblicksbild" in result.stdout and out.exists()
    if fmt == "html":
        page = out.read_text(encoding="utf-8")
        assert "Våldet i Norsjö ökade." in page and "MVP i alla åk 8 senast 2026" in page
        assert "kontrollsumma" in page
    else:
        from openpyxl import load_workbook
        book = load_workbook(out)
        assert book.sheetnames[0] == "Om rapporten" and len(book.sheetnames) > 2


def test_report_cli_unknown_area(ws: Path, tmp_path: Path) -> None:
    result = run("report", "-w", ws, "--area", "9999", "--period", "2024", "--format", "pdf",
                 "--out", tmp_path / "x.pdf")
    assert result.exit_code == 1 and "9999" in result.stderr and not (tmp_path / "x.pdf").exists()


def test_report_from_a_snapshot_a_year_later_is_unchanged(ws: Path, tmp_path: Path) -> None:
    import shutil

    from openpyxl import load_workbook

    copy = tmp_path / "w.gpkg"
    shutil.copy(ws, copy)
    made = run("snapshot", "create", "-w", copy, "--title", "Möte", "--area", "24",
               "--period", "2024")
    assert made.exit_code == 0, made.output
    snap = json.loads(run("snapshot", "list", "-w", copy, "--json").stdout)[0]["path"]
    args = ["--area", "24", "--period", "2024", "--format", "xlsx", "--layers", "otrygghet"]
    before = tmp_path / "before.xlsx"
    assert run("report", "-w", copy, *args, "--out", before).exit_code == 0
    # the live workspace changes: the survey is replaced by one with other shares
    indicators = GpkgWorkspace(copy).read("indicators")
    name = indicators["source"].iloc[0]
    indicators["value"] = indicators["value"] / 2
    from lagesbild.core.dataset import Dataset
    with GpkgWorkspace(copy).transaction() as writer:
        writer.replace_dataset(Dataset(name, "indicators", "indicators", name), indicators)
    later, frozen = tmp_path / "later.xlsx", tmp_path / "frozen.xlsx"
    assert run("report", "-w", copy, *args, "--out", later).exit_code == 0
    result = run("report", "--from-snapshot", snap, *args, "--out", frozen)
    assert result.exit_code == 0, result.output

    def cells(path: Path) -> list[str]:
        book = load_workbook(path)
        return [str(c.value) for sheet in book.worksheets[1:] for row in sheet.iter_rows()
                for c in row if c.value is not None]
    assert cells(frozen) == cells(before) and cells(later) != cells(before)
