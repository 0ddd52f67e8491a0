"""The Data page's import wizard through AppTest: upload, check (dry run), mapping, import."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_support import open_page
from frames_support import shared_demo
from lagesbild.store.gpkg import GpkgWorkspace



@pytest.fixture(scope="module")
def demo_gpkg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the session's demo workspace (built once per worker), this module's own."""
    path = tmp_path_factory.mktemp("wiz") / "demo.gpkg"
    shutil.copyfile(shared_demo(tmp_path_factory), path)
    return path


def _data_page(path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("LAGESBILD_WORKSPACE", str(path))
    return open_page("data_page")  # its first run on the Data page: no map computed for nothing


def _upload(at: AppTest, name: str, data: bytes, mime: str = "text/csv") -> None:
    at.file_uploader(key="imp_file").set_value((name, data, mime))
    at.run()
    assert not at.exception, at.exception


def _counts_wizard(demo_gpkg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The wizard on a copy of the demo workspace, set to Brå-like crime counts."""
    ws_path = tmp_path / "w.gpkg"
    shutil.copy(demo_gpkg, ws_path)
    at = _data_page(ws_path, monkeypatch)
    at.selectbox(key="imp_kind").set_value("crime_counts").run()
    return at


COUNTS = ("Kommun;{code};År;Brottskategori;Kön;{count}\r\n"
          "Norsjö;2417;2025;Misshandel;Kvinnor;4\r\n"
          "Norsjö;2417;2025;Misshandel;Män;tre\r\n"
          "Norsjö;2417;2025;Misshandel;Totalt;9\r\n")


def test_check_stores_nothing_and_lists_rejected_rows_then_import_stores(
        demo_gpkg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws_path = tmp_path / "w.gpkg"
    before = GpkgWorkspace(demo_gpkg).datasets()
    at = _counts_wizard(demo_gpkg, tmp_path, monkeypatch)
    _upload(at, "bra_2025.csv", COUNTS.format(code="Kommunkod", count="Antal").encode("utf-8-sig"))
    at.button(key="imp_check").click().run()
    assert not at.exception
    assert [m.value for m in at.metric] == ["2"]
    assert any("1 rader avvisades" in w.value for w in at.warning)
    rejected = at.dataframe[-1].value
    assert rejected["rad"].tolist() == [3] and rejected["fält"].tolist() == ["Antal"]
    assert len(GpkgWorkspace(ws_path).datasets()) == len(before)  # a check stores nothing

    at.button(key="imp_go").click().run()
    assert not at.exception
    assert any("Importerade 2 rader" in s.value for s in at.success)
    after = GpkgWorkspace(ws_path).datasets()
    assert "bra_2025.csv" in set(after["dataset"]) and len(after) == len(before) + 1


def test_a_header_the_readers_do_not_know_can_be_mapped(
        demo_gpkg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _counts_wizard(demo_gpkg, tmp_path, monkeypatch)
    _upload(at, "bra_summa.csv", COUNTS.format(code="Kommunkod", count="Summa").encode("utf-8-sig"))
    assert at.selectbox(key="imp_map_crime_counts_count").value == ""  # not detected
    assert at.selectbox(key="imp_map_crime_counts_area_id").value == "Kommunkod"
    at.button(key="imp_check").click().run()
    error = " ".join(e.value for e in at.error)
    assert "Summa" in error and "Antal" in error and "rad 1" in error  # names the file's headers
    at.selectbox(key="imp_map_crime_counts_count").set_value("Summa").run()
    at.button(key="imp_check").click().run()
    assert not at.error and [m.value for m in at.metric] == ["2"]


def test_a_workbook_sheet_is_chosen_and_previewed(
        demo_gpkg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Info"
    book.active.append(["Anmälda brott, Västerbotten"])
    sheet = book.create_sheet("Data")
    for line in COUNTS.format(code="Kommunkod", count="Antal").strip().split("\r\n"):
        sheet.append([int(c) if c.isdigit() else c for c in line.split(";")])
    buffer = io.BytesIO()
    book.save(buffer)
    at = _counts_wizard(demo_gpkg, tmp_path, monkeypatch)
    _upload(at, "bra.xlsx", buffer.getvalue(),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    at.selectbox(key="imp_sheet").set_value("Data").run()
    assert any("bladet 'Data'" in c.value for c in at.caption)
    at.button(key="imp_check").click().run()
    assert not at.error, [e.value for e in at.error]
    assert [m.value for m in at.metric] == ["2"]
    rejected = at.dataframe[-1].value
    assert rejected["fält"].tolist() == ["Antal"]


def test_rejected_rows_download_is_neutralised_csv(
        demo_gpkg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _counts_wizard(demo_gpkg, tmp_path, monkeypatch)
    body = COUNTS.format(code="Kommunkod", count="Antal").replace(";tre", ";=HYPERLINK(1)")
    _upload(at, "bra.csv", body.encode("utf-8-sig"))
    at.button(key="imp_check").click().run()
    download = at.get("download_button")[0]
    assert download.proto.label.startswith("Ladda ned")
    rejected = at.dataframe[-1].value
    assert rejected["värde"].tolist() == ["=HYPERLINK(1)"]  # shown as the file has it
    from lagesbild.core.csv_out import csv_bytes
    text = csv_bytes(rejected).decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in text and ";=HYPERLINK" not in text


def test_boundaries_start_a_new_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws_path = tmp_path / "new.gpkg"
    at = _data_page(ws_path, monkeypatch)
    assert any("lagesbild demo" in c.value for c in at.code)  # the hint for an empty workspace
    square = [[[19.0, 64.0], [19.2, 64.0], [19.2, 64.2], [19.0, 64.2], [19.0, 64.0]]]
    geojson = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"kommunkod": "2417", "namn": "Norsjö"},
         "geometry": {"type": "Polygon", "coordinates": square}}]}
    at.selectbox(key="imp_kind").set_value("boundaries").run()
    _upload(at, "norsjo.geojson", json.dumps(geojson).encode(), "application/geo+json")
    at.button(key="imp_go").click().run()
    assert not at.exception and not at.error
    areas = GpkgWorkspace(ws_path).read("areas")
    assert areas["area_id"].tolist() == ["2417"] and areas.crs == "EPSG:3006"


def test_a_repeating_code_column_is_named_and_another_can_be_chosen(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A police file whose area code repeats: the wizard says which codes and columns, and the
    code column field takes the user's choice."""
    ws_path = tmp_path / "new.gpkg"
    at = _data_page(ws_path, monkeypatch)
    squares = [[[[19.0 + d, 64.0], [19.1 + d, 64.0], [19.1 + d, 64.1], [19.0 + d, 64.1],
                 [19.0 + d, 64.0]]] for d in (0.0, 0.1)]
    geojson = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"polisomrade_kod": "2417P", "namn": name, "lnr": lnr},
         "geometry": {"type": "Polygon", "coordinates": sq}}
        for sq, name, lnr in zip(squares, ["Centrum", "Norr"], ["U1", "U2"])]}
    at.selectbox(key="imp_kind").set_value("boundaries").run()
    _upload(at, "utsatta.geojson", json.dumps(geojson).encode(), "application/geo+json")
    at.button(key="imp_check").click().run()
    assert "'2417P' i objekt 1 (rad 2), objekt 2 (rad 3): 'Centrum', 'Norr'" in at.error[0].value
    assert "Kodkolumn i importen" in at.error[0].value
    at.text_input(key="imp_code_column").set_value("lnr").run()
    at.button(key="imp_go").click().run()
    assert not at.exception and not at.error
    areas = GpkgWorkspace(ws_path).read("areas")
    assert areas["code"].tolist() == ["U1", "U2"] and areas["name"].tolist() == ["Centrum", "Norr"]


def test_an_upload_replaces_a_same_named_dataset_only_when_asked(
        demo_gpkg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An upload has no folder to tell two files apart: another file of the same name is
    refused with the checkbox named; ticked, it replaces; the same content again is a note."""
    ws_path = tmp_path / "w.gpkg"
    at = _counts_wizard(demo_gpkg, tmp_path, monkeypatch)
    first = COUNTS.format(code="Kommunkod", count="Antal").encode("utf-8-sig")
    _upload(at, "bra_2025.csv", first)
    at.button(key="imp_go").click().run()
    assert any("Importerade 2 rader" in s.value for s in at.success)
    other = first.replace(b";4\r\n", b";5\r\n")
    _upload(at, "bra_2025.csv", other)
    at.button(key="imp_go").click().run()
    assert not at.exception
    (error,) = at.error
    assert "Det finns redan ett dataset 'bra_2025.csv' från en annan fil" in error.value
    assert "Ersätt datasetet med samma namn" in error.value
    counts = GpkgWorkspace(ws_path).read("incident_counts")
    assert counts.loc[counts["source"] == "bra_2025.csv", "count"].tolist() == [4, 9]
    at.checkbox(key="imp_replace").check().run()
    at.button(key="imp_go").click().run()
    assert not at.exception and not at.error
    counts = GpkgWorkspace(ws_path).read("incident_counts")
    assert counts.loc[counts["source"] == "bra_2025.csv", "count"].tolist() == [5, 9]


def test_the_dataset_list_shows_the_import_at_once(
        demo_gpkg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """After Importera the page runs again: the list above the wizard has the new dataset, and
    the outcome (rows, rejected rows) is still shown."""
    at = _counts_wizard(demo_gpkg, tmp_path, monkeypatch)
    listed = at.dataframe[0].value["Dataset"].tolist()
    _upload(at, "bra_2025.csv", COUNTS.format(code="Kommunkod", count="Antal").encode("utf-8-sig"))
    at.button(key="imp_go").click().run()
    assert not at.exception
    now = at.dataframe[0].value["Dataset"].tolist()
    assert len(now) == len(listed) + 1 and set(now) == {*listed, "bra_2025.csv"}
    assert any("Importerade 2 rader från bra_2025.csv" in s.value for s in at.success)
    assert any("1 rader avvisades" in w.value for w in at.warning)
    at.button(key="imp_check").click().run()  # a new check: the old outcome goes
    assert not at.success and [m.value for m in at.metric] == ["2"]


def test_an_error_does_not_leave_the_progress_bar_reading(
        demo_gpkg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _counts_wizard(demo_gpkg, tmp_path, monkeypatch)
    _upload(at, "bra_summa.csv", COUNTS.format(code="Kommunkod", count="Summa").encode("utf-8-sig"))
    at.button(key="imp_go").click().run()
    assert not at.exception and at.error  # the file lacks the count column
    assert not at.get("progress")  # no bar left on "Läser filen…"
    at.selectbox(key="imp_map_crime_counts_count").set_value("Summa").run()
    at.button(key="imp_check").click().run()
    (bar,) = at.get("progress")
    assert bar.proto.text == "Inget sparat ännu"
