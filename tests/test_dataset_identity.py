"""Dataset identity: the same file under another name is refused, a same-named file from another
folder does not silently replace the first, and duplicate case numbers are never counted twice."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyogrio
import pytest
from click.testing import CliRunner
from frames_support import shared_demo

from lagesbild.analysis.darkfigure import load_indicator_meta
from lagesbild.analysis.pyramid_view import pyramid_view, to_json
from lagesbild.cli.main import main
from lagesbild.core.dataset import DATASETS
from lagesbild.core.errors import InputError
from lagesbild.core.settings import get_settings
from lagesbild.core.taxonomy import load_taxonomy
from lagesbild.store import export, importer
from lagesbild.store.frames import load_frames
from lagesbild.store.gpkg import GpkgWorkspace

EXTRACT = "polisens_utdrag_2022-2024.csv"
ACTIONS_HEADER = "Åtgärds-ID;Fokusområde;Insats;Ansvarig;Period;Status;Kommunkoder;Indikatorer"


@pytest.fixture
def demo_ws(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> GpkgWorkspace:
    path = tmp_path / "demo.gpkg"
    shutil.copyfile(shared_demo(tmp_path_factory), path)
    return GpkgWorkspace(path)


def _pyramid_2024(ws: GpkgWorkspace, area: str = "24") -> dict[int, int]:
    """The police extract's pyramid for the county in 2024: level -> count, as the page shows."""
    settings = get_settings()
    taxonomy = load_taxonomy(settings.layers_dir / "pyramid.toml")
    view = pyramid_view(load_frames(ws), taxonomy, load_indicator_meta(settings), area_id=area,
                        period="2024", source="incidents", settings=settings)
    return {lv["level"]: int(lv["total"]["count"]) for lv in to_json(view, taxonomy, sex="T")[
        "levels"] if lv["total"] and lv["total"].get("count") is not None}


def _actions(path: Path, *ids: str, title: str = "Insats") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [ACTIONS_HEADER] + [f"{i};Våldsförebyggande arbete;{title} {i};Skolan;2024–2026;"
                                f"pågår;;" for i in ids]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8-sig"))
    return path


def _import(ws: Path, kind: str, file: Path, *extra: str):  # noqa: ANN202
    return CliRunner().invoke(main, ["import", kind, str(file), "-w", str(ws), *extra])


# --- (a) the same content under another name --------------------------------------------------

def test_the_police_extract_again_under_another_name_is_refused_and_the_pyramid_stays(
        demo_ws: GpkgWorkspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    copy = tmp_path / "utdrag_kopia.csv"
    shutil.copyfile(get_settings().demo_dir / EXTRACT, copy)
    before = _pyramid_2024(demo_ws)
    assert sum(before.values()) > 0
    result = _import(demo_ws.path, "incidents", copy)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"Samma fil (samma innehåll) finns redan som datasetet '{EXTRACT}'" in result.output
    assert "utdrag_kopia.csv" in result.output and "inget sparades" in result.output
    assert _pyramid_2024(demo_ws) == before  # not doubled


def test_an_identical_actions_file_is_caught_though_actions_have_no_natural_key(
        tmp_path: Path) -> None:
    """Actions are not in store.overlap's tables: only the content hash tells the copy."""
    ws = GpkgWorkspace(tmp_path / "w.gpkg")
    first = _actions(tmp_path / "insatser.csv", "A1", "A2")
    importer.import_file(ws, "actions", first)
    copy = tmp_path / "insatser (1).csv"
    shutil.copyfile(first, copy)
    with pytest.raises(InputError) as err:
        importer.import_file(ws, "actions", copy)
    assert "finns redan som datasetet 'insatser.csv'" in str(err.value)
    assert err.value.file == "insatser (1).csv" and "--name 'insatser.csv'" in err.value.fix
    assert len(ws.read("actions")) == 2


def test_one_workbook_read_sheet_by_sheet_is_not_a_duplicate(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Plan 2024"
    book.active.append(ACTIONS_HEADER.split(";"))
    book.active.append(["A1", "Våldsförebyggande arbete", "MVP", "Skolan", "2024", "pågår"])
    second = book.create_sheet("Plan 2025")
    second.append(ACTIONS_HEADER.split(";"))
    second.append(["B1", "Våldsförebyggande arbete", "Fältare", "Fritid", "2025", "pågår"])
    path = tmp_path / "plan.xlsx"
    book.save(path)
    ws = GpkgWorkspace(tmp_path / "w.gpkg")
    importer.import_file(ws, "actions", path, name="plan 2024", options={"sheet": "Plan 2024"})
    importer.import_file(ws, "actions", path, name="plan 2025", options={"sheet": "Plan 2025"})
    assert sorted(ws.read("actions")["action_id"]) == ["A1", "B1"]
    with pytest.raises(InputError, match="finns redan som datasetet 'plan 2024'"):
        importer.import_file(ws, "actions", path, name="igen", options={"sheet": "Plan 2024"})


def test_two_checks_then_two_commits_the_second_is_checked_again(tmp_path: Path) -> None:
    """Checked at the same time (two windows): the later commit sees the earlier one."""
    ws = GpkgWorkspace(tmp_path / "w.gpkg")
    importer.import_file(ws, "actions", _actions(tmp_path / "annat.csv", "X1"))
    first = _actions(tmp_path / "a.csv", "A1")
    copy = tmp_path / "b.csv"
    shutil.copyfile(first, copy)
    one = importer.check_file(ws, "actions", first)
    two = importer.check_file(ws, "actions", copy)
    importer.commit(ws, one)
    with pytest.raises(InputError, match="finns redan som datasetet 'a.csv'"):
        importer.commit(ws, two)
    assert sorted(ws.datasets()["dataset"]) == ["a.csv", "annat.csv"]


# --- (b) the same file name from another folder ----------------------------------------------

def test_same_name_from_another_folder_is_refused_then_replaced_on_purpose(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    ws = tmp_path / "w.gpkg"
    a = _actions(tmp_path / "a" / "utdrag.csv", "A1", "A2")
    b = _actions(tmp_path / "b" / "utdrag.csv", "B1")
    assert _import(ws, "actions", a).exit_code == 0
    refused = _import(ws, "actions", b)
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    text = refused.output
    assert "Det finns redan ett dataset 'utdrag.csv' från en annan fil" in text
    assert str(a.resolve()) in text and str(b.resolve()) in text
    assert "--name 'utdrag.csv'" in text and "annat namn" in text
    stored = GpkgWorkspace(ws)
    assert sorted(stored.read("actions")["action_id"]) == ["A1", "A2"]

    # under another name it lands beside the first
    beside = _import(ws, "actions", b, "--name", "utdrag b")
    assert beside.exit_code == 0, beside.output
    assert sorted(stored.read("actions")["action_id"]) == ["A1", "A2", "B1"]
    # the name given explicitly: replaced on purpose (a's rows go, b's come)
    c = _actions(tmp_path / "c" / "utdrag.csv", "C1")
    on_purpose = _import(ws, "actions", c, "--name", "utdrag.csv")
    assert on_purpose.exit_code == 0, on_purpose.output
    assert "ersattes med den nya versionen" in on_purpose.output
    meta = stored.datasets().set_index("dataset")
    assert meta.loc["utdrag.csv", "source_path"] == str(c.resolve())
    assert sorted(stored.read("actions")["action_id"]) == ["B1", "C1"]


def test_a_corrected_version_of_the_same_file_replaces_with_a_note(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    ws = tmp_path / "w.gpkg"
    path = _actions(tmp_path / "utdrag.csv", "A1", "A2")
    assert _import(ws, "actions", path).exit_code == 0
    _actions(path, "A1", title="Rättad")
    again = _import(ws, "actions", path)
    assert again.exit_code == 0, again.output
    assert "Datasetet 'utdrag.csv' ersattes med den nya versionen" in again.output
    actions = GpkgWorkspace(ws).read("actions")
    assert actions["title"].tolist() == ["Rättad A1"]
    meta = GpkgWorkspace(ws).datasets().iloc[0]
    assert len(meta["sha256"]) == 64 and meta["source_path"] == str(path.resolve())


def test_an_older_workspace_without_hash_and_path_opens_and_is_replaced_with_a_note(
        tmp_path: Path) -> None:
    ws = GpkgWorkspace(tmp_path / "w.gpkg")
    path = _actions(tmp_path / "utdrag.csv", "A1")
    importer.import_file(ws, "actions", path)
    old = pyogrio.read_dataframe(ws.path, layer=DATASETS).drop(columns=["sha256", "source_path"])
    pyogrio.write_dataframe(old, ws.path, layer=DATASETS, driver="GPKG")
    assert pyogrio.read_info(ws.path, layer=DATASETS)["fields"].tolist()[-1] == "description"
    meta = ws.datasets()
    assert (meta["sha256"].tolist(), meta["source_path"].tolist()) == ([""], [""])
    other = _actions(tmp_path / "annan" / "utdrag.csv", "B1")
    result = importer.import_file(ws, "actions", other)
    assert any("har ingen kontrollsumma" in n for n in result.notes)
    assert ws.datasets()["source_path"].tolist() == [str(other.resolve())]


def test_export_and_restore_keep_hash_and_path(tmp_path: Path) -> None:
    ws = GpkgWorkspace(tmp_path / "w.gpkg")
    path = _actions(tmp_path / "utdrag.csv", "A1")
    importer.import_file(ws, "actions", path)
    record = ws.datasets().iloc[0]
    export.export_all(ws, tmp_path / "ut")
    restored = GpkgWorkspace(tmp_path / "r.gpkg")
    export.import_exported(restored, tmp_path / "ut")
    again = restored.datasets().iloc[0]
    assert (again["sha256"], again["source_path"]) == (record["sha256"], record["source_path"])
    # the restored workspace still knows the original file: a copy of it is a duplicate
    copy = tmp_path / "kopia.csv"
    shutil.copyfile(path, copy)
    with pytest.raises(InputError, match="finns redan som datasetet 'utdrag.csv'"):
        importer.import_file(restored, "actions", copy)


# --- (c) case numbers ------------------------------------------------------------------------

def test_an_extract_overlapping_the_last_months_is_refused_by_case_number(
        demo_ws: GpkgWorkspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A second extract starting in November 2024 shares its last two months with the first."""
    monkeypatch.chdir(tmp_path)
    lines = (get_settings().demo_dir / EXTRACT).read_bytes().decode("cp1252").splitlines()
    autumn = [ln for ln in lines[1:] if ln.split(";")[1][:7] in ("2024-11", "2024-12")]
    assert len(autumn) > 10
    extract = tmp_path / "utdrag_2024-11_2025-01.csv"
    extract.write_bytes(("\r\n".join([lines[0], *autumn]) + "\r\n").encode("cp1252"))
    before = _pyramid_2024(demo_ws)
    result = _import(demo_ws.path, "incidents", extract)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"{len(autumn)} rader finns redan i datasetet '{EXTRACT}'" in result.output
    assert f"ärendenummer {autumn[0].split(';')[0]}" in result.output
    assert _pyramid_2024(demo_ws) == before


def test_a_case_number_twice_in_one_file_is_rejected_on_its_own_row(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, area_workspace: GpkgWorkspace,
        to_latlon) -> None:  # noqa: ANN001
    monkeypatch.chdir(tmp_path)
    lat, lon = to_latlon(705_000, 7_195_000)
    rows = ["Ärendenummer;Brottsdatum;Brottsbenämning;Målsägandes kön;Nära relation;Latitud;"
            "Longitud"] + [f"{case};2024-05-0{i} 12:00;Misshandel;Kvinna;Nej;{lat};{lon}"
                           for i, case in enumerate(["P-1", "P-2", "P-1"], start=1)]
    path = tmp_path / "utdrag.csv"
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode("cp1252"))
    result = _import(area_workspace.location, "incidents", path)
    assert result.exit_code == 2  # stored, with one row rejected
    rejected = (tmp_path / "utdrag.csv.avvisade.csv").read_text(encoding="utf-8-sig")
    assert "Ärendenumret finns redan på en tidigare rad" in rejected and ";4;" in rejected
    assert sorted(area_workspace.read("incidents")["incident_id"]) == ["P-1", "P-2"]
