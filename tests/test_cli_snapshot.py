"""`lagesbild snapshot create|list|show|diff` on a copy of the demo workspace."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from lagesbild.cli.main import main
from lagesbild.store.gpkg import GpkgWorkspace

from frames_support import shared_demo


@pytest.fixture
def ws(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Path:
    copy = tmp_path / "w.gpkg"
    shutil.copy(shared_demo(tmp_path_factory), copy)
    return copy


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_create_list_show_and_diff_since_the_last_meeting(ws: Path, tmp_path: Path) -> None:
    notes = tmp_path / "notes.json"
    notes.write_text(json.dumps({"analys": "Ökning i Norsjö", "mål": {"valdsforebyggande": "MVP i alla åk 8"}},
                                ensure_ascii=False), encoding="utf-8")
    made = run("snapshot", "create", "-w", ws, "--title", "Samverkansmöte mars", "--area", "24",
               "--period", "2024", "--notes", notes)
    assert made.exit_code == 0, made.output
    assert "Kontrollsumma: " in made.output
    listed = json.loads(run("snapshot", "list", "-w", ws, "--json").output)
    assert len(listed) == 1 and listed[0]["title"] == "Samverkansmöte mars"
    path = listed[0]["path"]
    shown = run("snapshot", "show", path)
    assert shown.exit_code == 0 and "alla filer stämmer" in shown.output
    assert "Ökning i Norsjö" in shown.output
    same = run("snapshot", "diff", "-w", ws)
    assert same.exit_code == 0 and "Inget har ändrats." in same.output
    # a year later: the Brå table is replaced by one with one kommun's counts changed
    counts = GpkgWorkspace(ws).read("incident_counts")
    name = counts["source"].iloc[0]
    counts.loc[counts["area_id"] == "2417", "count"] += 7
    from lagesbild.core.dataset import Dataset
    meta = GpkgWorkspace(ws).datasets().set_index("dataset").loc[name]
    with GpkgWorkspace(ws).transaction() as writer:
        writer.replace_dataset(Dataset(name, "incident_counts", str(meta["kind"]), str(meta["file"]),
                                       period=str(meta["period"])), counts)
    changed = run("snapshot", "diff", "-w", ws)
    assert changed.exit_code == 0, changed.output
    assert "dataset:" in changed.output and "[replaced]" in changed.output
    assert "Norsjö (2417)" in changed.output


def test_diff_without_snapshots_and_tampered_snapshot(ws: Path) -> None:
    none = run("snapshot", "diff", "-w", ws)
    assert none.exit_code == 1 and "ingen ögonblicksbild" in none.output
    assert run("snapshot", "create", "-w", ws, "--title", "x").exit_code == 0
    path = Path(json.loads(run("snapshot", "list", "-w", ws, "--json").output)[0]["path"])
    target = path / "settings.json"
    target.chmod(0o644)
    target.write_text(target.read_text(encoding="utf-8").replace("5", "3"), encoding="utf-8")
    shown = run("snapshot", "show", path)
    assert shown.exit_code == 1 and "settings.json" in shown.output
    assert "Traceback" not in shown.output


def test_bad_notes_file_is_one_clear_error(ws: Path, tmp_path: Path) -> None:
    bad = tmp_path / "n.json"
    bad.write_text("{not json", encoding="utf-8")
    result = run("snapshot", "create", "-w", ws, "--title", "x", "--notes", bad)
    assert result.exit_code == 1 and "inte giltig JSON" in result.output
