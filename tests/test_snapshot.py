"""Frozen snapshots: the figures of a meeting reopen unchanged after the workspace moved on."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest

from lagesbild.analysis.figures import layer_figures, periods
from lagesbild.core.taxonomy import load_taxonomy
from lagesbild.core.errors import LagesbildError, WorkspaceError
from lagesbild.store.frames import load_frames
from lagesbild.core.layers import load_layers
from lagesbild.core.settings import Settings
from lagesbild.store.snapshot import (FORMAT, OpenedSnapshot, create_snapshot, current_state,
                                      default_root, list_snapshots, open_snapshot, overall_checksum,
                                      verify_snapshot)
from lagesbild.analysis.snapshot_diff import COLUMNS, compare_snapshots
from lagesbild.store.snapshot_sides import load_sides
from lagesbild.core.dataset import Dataset
from lagesbild.store.gpkg import GpkgWorkspace

from frames_support import shared_demo

ROOT = Path(__file__).resolve().parents[1]
BRA = "bra_anmalda_brott_2019-2024.csv"
MARCH = datetime(2026, 3, 12, 9, 0, tzinfo=timezone.utc)
NOTES = {"analysis": {"pyramid": "Våld i nära relation ökar i inlandet."},
         "goals": {"samverkan": ["Gemensam lägesbild två gånger per år"]}}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def live(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Settings]:
    """A private copy of the demo workspace and of layers/, with explicit settings."""
    ws = tmp_path / "ws" / "lagesbild.gpkg"
    ws.parent.mkdir()
    shutil.copyfile(shared_demo(tmp_path_factory), ws)
    layers = tmp_path / "layers"
    shutil.copytree(ROOT / "layers", layers)
    return ws, layers, Settings(suppress_below=5, min_survey_n=30, layers_dir=layers)


def _snap(live: tuple[Path, Path, Settings], *, title: str = "Samverkansmöte mars",
          now: datetime = MARCH, settings: Settings | None = None, root: Path | None = None):
    ws, layers, default = live
    return create_snapshot(ws, layers_dir=layers, settings=settings or default, notes=NOTES,
                           title=title, area_id="2480", period="2024", root=root, now=now)


def _figures(workspace: GpkgWorkspace, layers_dir: Path, settings: Settings,
             only: str | None = None) -> dict:
    """Every layer's (or one layer's) protected figures for its latest period: T, and K for one."""
    frames = load_frames(workspace)
    taxonomy = load_taxonomy(layers_dir / "pyramid.toml")
    out = {}
    for layer_id, spec in load_layers(layers_dir).items():
        found = periods(frames, spec) if only in (None, layer_id) else []
        for sex in (("K", "T") if layer_id == "vald_nara_relation" else ("T",)) if found else ():
            out[(layer_id, sex)] = layer_figures(frames, spec, period=found[-1], sex=sex,
                                                 taxonomy=taxonomy, settings=settings)
    return out


def _double_bra_counts(ws: Path) -> None:
    """Re-import the Brå table with every count doubled (a 'replaced' dataset)."""
    workspace = GpkgWorkspace(ws)
    counts = workspace.read("incident_counts")
    counts = counts[counts["source"] == BRA].assign(count=lambda f: f["count"] * 2)
    with workspace.transaction() as writer:
        writer.replace_dataset(Dataset(name=BRA, table="incident_counts", kind="crime_counts",
                                       file=BRA, period="2019–2024"), counts)


def test_create_writes_copies_and_a_manifest_of_checksums(live) -> None:
    ws, layers, settings = live
    before = _sha(ws), GpkgWorkspace(ws).key
    snap = _snap(live)
    assert snap.id == "2026-03-12-samverkansmote-mars"
    assert snap.path == default_root(ws) / snap.id == ws.parent / "snapshots" / snap.id
    assert (snap.title, snap.area_id, snap.period) == ("Samverkansmöte mars", "2480", "2024")
    assert snap.created_at == MARCH
    assert (_sha(ws), GpkgWorkspace(ws).key) == before  # the live workspace is untouched
    assert _sha(snap.path / "workspace.gpkg") == before[0]  # a byte copy
    manifest = json.loads((snap.path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format"] == FORMAT == "lagesbild-snapshot/1"
    assert manifest["created_at"] == "2026-03-12T09:00:00+00:00"
    assert manifest["tool_version"]
    tomls = {f"layers/{p.name}" for p in layers.glob("*.toml")}
    assert {"layers/pyramid.toml", "layers/indicators.toml", "layers/vald_topp.toml"} <= tomls
    assert set(manifest["files"]) == {"workspace.gpkg", "settings.json", "notes.json", *tomls}
    for name, sha in manifest["files"].items():
        assert _sha(snap.path / name) == sha, name
    lines = "".join(f"{sha}  {name}\n" for name, sha in sorted(manifest["files"].items()))
    assert manifest["checksum"] == snap.checksum == hashlib.sha256(lines.encode()).hexdigest()
    assert overall_checksum(manifest["files"]) == snap.checksum
    stored = json.loads((snap.path / "settings.json").read_text(encoding="utf-8"))
    assert stored["suppress_below"] == 5 and stored["min_survey_n"] == 30
    assert stored["confidence"] == 0.95
    notes = json.loads((snap.path / "notes.json").read_text(encoding="utf-8"))
    assert notes == {"title": "Samverkansmöte mars", "area_id": "2480", "period": "2024",
                     "notes": NOTES}
    assert [p.name for p in snap.path.parent.iterdir()] == [snap.id]  # no working folder left
    verify_snapshot(snap.path)


def test_a_snapshot_reopens_with_the_same_figures_a_year_later(live, monkeypatch) -> None:
    ws, layers, settings = live
    original = _figures(GpkgWorkspace(ws), layers, settings)
    snap = _snap(live)
    # a year later: the Brå table was re-imported, a layer edited, the environment changed
    _double_bra_counts(ws)
    vald = layers / "vald_topp.toml"
    vald.write_text(vald.read_text(encoding="utf-8").replace("pyramid_level = 3",
                                                             "pyramid_level = 2"), encoding="utf-8")
    monkeypatch.setenv("LAGESBILD_SUPPRESS_BELOW", "10")
    monkeypatch.setenv("LAGESBILD_MIN_SURVEY_N", "500")
    monkeypatch.setenv("LAGESBILD_LAYERS", str(layers))
    today = _figures(GpkgWorkspace(ws), layers, Settings(), only="vald_topp")
    assert not today[("vald_topp", "T")]["display"].equals(original[("vald_topp", "T")]["display"])

    opened = open_snapshot(snap.path)
    assert opened.snapshot == snap
    assert opened.notes == NOTES
    assert opened.layers_dir == snap.path / "layers"
    assert opened.settings == Settings(suppress_below=5, min_survey_n=30, confidence=0.95,
                                       layers_dir=snap.path / "layers",
                                       demo_dir=settings.demo_dir)
    frozen = _figures(opened.workspace(), opened.layers_dir, opened.settings)
    assert frozen.keys() == original.keys() and len(frozen) >= 6
    for key, figures in original.items():
        pd.testing.assert_frame_equal(frozen[key], figures, check_exact=True, obj=str(key))
    verify_snapshot(snap.path)  # reading the frozen workspace wrote nothing
    with pytest.raises(WorkspaceError, match="ögonblicksbild"):
        with opened.workspace().transaction():
            pass


@pytest.mark.parametrize("damage", ["flip", "truncate", "delete", "extra", "manifest"])
def test_a_damaged_snapshot_is_refused_naming_the_file(live, damage: str) -> None:
    snap = _snap(live)
    gpkg, toml = snap.path / "workspace.gpkg", snap.path / "layers" / "vald_topp.toml"
    for path in (gpkg, toml, snap.path / "manifest.json"):
        path.chmod(0o644)
    if damage == "flip":
        data = bytearray(gpkg.read_bytes())
        data[len(data) // 2] ^= 0x01
        gpkg.write_bytes(bytes(data))
        expected = "Filen workspace.gpkg i ögonblicksbilden .* har ändrats eller är skadad"
    elif damage == "truncate":
        toml.write_bytes(toml.read_bytes()[:20])
        expected = r"Filen layers/vald_topp.toml .*\(kontrollsumman stämmer inte\)"
    elif damage == "delete":
        toml.unlink()
        expected = "saknar filen layers/vald_topp.toml"
    elif damage == "extra":
        (snap.path / "layers" / "nytt.toml").write_text('id = "nytt"\n', encoding="utf-8")
        expected = "innehåller filen layers/nytt.toml"
    else:
        manifest = json.loads((snap.path / "manifest.json").read_text(encoding="utf-8"))
        manifest["files"]["notes.json"] = "0" * 64
        (snap.path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
        expected = "manifest.json har ändrats"
    with pytest.raises(LagesbildError, match=expected):
        open_snapshot(snap.path)
    if damage in ("flip", "extra"):
        assert open_snapshot(snap.path, verify=False).snapshot == snap


def test_a_workspace_being_written_in_place_is_copied_through_sqlite(live) -> None:
    ws, _, _ = live
    Path(f"{ws}-journal").write_bytes(b"")  # another program's (finished) transaction
    before = _sha(ws)
    snap = _snap(live)
    opened = open_snapshot(snap.path)
    assert _sha(ws) == before
    assert _sha(snap.path / "workspace.gpkg") != before  # SQLite's backup, not a byte copy
    assert [p.name for p in snap.path.iterdir() if "journal" in p.name] == []
    pd.testing.assert_frame_equal(opened.workspace().datasets(), GpkgWorkspace(ws).datasets())
    pd.testing.assert_frame_equal(opened.workspace().read("incident_counts"),
                                  GpkgWorkspace(ws).read("incident_counts"))


def test_bad_inputs_give_swedish_errors(live, tmp_path: Path) -> None:
    ws, layers, settings = live
    with pytest.raises(WorkspaceError, match="finns inte"):
        create_snapshot(tmp_path / "saknas.gpkg", layers_dir=layers, settings=settings, notes={},
                        title="x", now=MARCH)
    with pytest.raises(LagesbildError, match="JSON"):
        create_snapshot(ws, layers_dir=layers, settings=settings, notes={"x": object()},
                        title="x", now=MARCH)
    not_gpkg = tmp_path / "text.gpkg"
    not_gpkg.write_text("hej", encoding="utf-8")
    with pytest.raises(WorkspaceError, match="ingen GeoPackage"):
        create_snapshot(not_gpkg, layers_dir=layers, settings=settings, notes={}, title="x",
                        root=tmp_path / "snaps", now=MARCH)
    assert list_snapshots(tmp_path / "snaps") == []
    with pytest.raises(LagesbildError, match="ingen ögonblicksbild"):
        open_snapshot(tmp_path)


def test_snapshots_are_listed_newest_first(live, tmp_path: Path) -> None:
    root = tmp_path / "moten"
    assert list_snapshots(root) == []
    march = _snap(live, root=root)
    june = _snap(live, title="Juni", now=datetime(2026, 6, 1, 8, tzinfo=timezone.utc), root=root)
    again = _snap(live, root=root, now=datetime(2026, 3, 12, 15, tzinfo=timezone.utc))
    (root / ".2026-07-01-halvfardig.tmp-1").mkdir()  # an interrupted snapshot is not listed
    assert again.id == "2026-03-12-samverkansmote-mars-2"
    assert [s.id for s in list_snapshots(root)] == [june.id, again.id, march.id]


def test_compare_shows_what_changed_since_the_last_meeting(live) -> None:
    ws, layers, settings = live
    march = _snap(live)
    _double_bra_counts(ws)
    otrygghet = layers / "otrygghet.toml"  # a colour change alters the file, not the figures
    otrygghet.write_text(otrygghet.read_text(encoding="utf-8") + "\n# ny färg senare\n",
                         encoding="utf-8")
    june = _snap(live, title="Juni", now=datetime(2026, 6, 1, 8, tzinfo=timezone.utc),
                 settings=Settings(suppress_below=5, min_survey_n=30, confidence=0.9,
                                   layers_dir=layers))
    diff = compare_snapshots(*load_sides(march.path, june.path))
    assert list(diff.columns) == COLUMNS
    by = diff.set_index(["kind", "item"])
    datasets = diff[diff["kind"] == "dataset"].set_index("item")["status"]
    assert datasets[BRA] == "replaced"
    assert (datasets.drop(BRA) == "unchanged").all() and len(datasets) == 9  # + MVP Fritid file
    assert by.loc[("setting", "confidence"), ["old", "new", "status"]].tolist() == [
        "0.95", "0.9", "changed"]
    assert by.loc[("setting", "suppress_below"), "status"] == "unchanged"
    files = diff[diff["kind"] == "layer_file"].set_index("item")["status"]
    assert files["otrygghet.toml"] == "changed" and files["vald_topp.toml"] == "unchanged"

    figures = diff[diff["kind"] == "figure"]
    assert set(figures["sex"]) == {"T"}
    top = figures[figures["item"] == "vald_topp"].set_index("area_id")
    assert top["period"].unique().tolist() == ["2024"]
    assert len(top) == 16 and top["changed"].any()
    assert top["old"].str.contains("per 100").any()  # display texts, not raw counts
    survey = figures[figures["item"] == "otrygghet"]
    assert len(survey) and not survey["changed"].any()
    assert (survey["old"] == survey["new"]).all()
    assert set(diff["status"]) <= {"added", "removed", "replaced", "changed", "unchanged"}

    now = compare_snapshots(*load_sides(open_snapshot(june.path),
                                        current_state(ws, layers_dir=layers, settings=Settings(
                                            suppress_below=5, min_survey_n=30, confidence=0.9,
                                            layers_dir=layers))))
    assert not now["changed"].any()
    assert isinstance(open_snapshot(march.path), OpenedSnapshot)
