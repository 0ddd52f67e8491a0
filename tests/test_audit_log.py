"""The audit trail: stored in the GeoPackage beside the canonical tables, written in place
without disturbing the app's caches or an import's transaction, shown by `lagesbild audit-log`."""

from __future__ import annotations

import getpass
import json
import shutil
import sqlite3
from pathlib import Path

import pyogrio
import pytest
from click.testing import CliRunner

from lagesbild.cli.main import main
from lagesbild.core.errors import WorkspaceError
from lagesbild.store.gpkg import GpkgWorkspace
from lagesbild.store.snapshot import FrozenWorkspace

from frames_support import shared_demo


@pytest.fixture
def ws(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> GpkgWorkspace:
    path = tmp_path / "ws.gpkg"
    shutil.copyfile(shared_demo(tmp_path_factory), path)
    return GpkgWorkspace(path)


def test_events_are_kept_in_order_with_actor_role_and_time(ws: GpkgWorkspace) -> None:
    assert list(ws.events().columns) == ["actor", "role", "action", "target", "at"]
    assert not len(ws.events())
    ws.record_event("per@polisen.se", "polis", "report_police", "2480 2024 pdf")
    ws.record_event("anna@umea.se", "kommun:2480", "snapshot", "abc 2480 2024")
    events = ws.events()
    assert events[["actor", "role", "action", "target"]].values.tolist() == [
        ["per@polisen.se", "polis", "report_police", "2480 2024 pdf"],
        ["anna@umea.se", "kommun:2480", "snapshot", "abc 2480 2024"]]
    assert str(events["at"].dt.tz) == "UTC"


def test_an_event_keeps_the_workspace_key_and_its_data_layers(ws: GpkgWorkspace) -> None:
    """The app's caches are keyed on `key`: a download logged must not reload the workspace."""
    layers = sorted(str(n) for n, _ in pyogrio.list_layers(ws.path))
    key = ws.key
    ws.record_event("per@polisen.se", "polis", "report_police", "2480 2024 html")
    assert ws.key == key
    assert sorted(str(n) for n, _ in pyogrio.list_layers(ws.path)) == layers  # QGIS sees the same


def test_a_change_made_by_another_program_still_changes_the_key(ws: GpkgWorkspace) -> None:
    ws.record_event("a", "polis", "export", "x")
    key = ws.key
    with sqlite3.connect(ws.path) as con:  # e.g. an edit in QGIS, in place
        con.execute("UPDATE population SET population = population + 1 WHERE rowid = 1")
    assert ws.key != key


def test_an_import_after_an_event_keeps_it(ws: GpkgWorkspace) -> None:
    ws.record_event("per", "cli", "export", "before")
    from lagesbild.store.notes import save_notes

    key = ws.key
    save_notes(ws, "2480", "2024", notes={"analys": "Ny text"}, goals={})
    assert ws.key != key  # a commit is a data change
    assert ws.events()["target"].tolist() == ["before"]


def test_a_snapshot_refuses_events(ws: GpkgWorkspace) -> None:
    with pytest.raises(WorkspaceError, match="ögonblicksbild"):
        FrozenWorkspace(ws.path).record_event("a", "polis", "export")
    with pytest.raises(WorkspaceError, match="finns inte"):
        GpkgWorkspace(ws.path.with_name("saknas.gpkg")).record_event("a", "polis", "export")


def test_cli_actions_are_logged_with_the_os_user(ws: GpkgWorkspace, tmp_path: Path) -> None:
    runner = CliRunner()
    out = runner.invoke(main, ["export", "--workspace", str(ws.path), "--out",
                               str(tmp_path / "ut")])
    assert out.exit_code == 0, out.output
    report = runner.invoke(main, ["report", "--workspace", str(ws.path), "--area", "2417",
                                  "--period", "2024", "--format", "xlsx", "--audience", "police",
                                  "--out", str(tmp_path / "r.xlsx")])
    assert report.exit_code == 0, report.output
    events = ws.events()
    assert set(events["actor"]) == {getpass.getuser()} and set(events["role"]) == {"cli"}
    assert events["action"].tolist() == ["export", "report_police"]
    assert events["target"].iloc[1].startswith("2417 2024 xlsx")
    shown = runner.invoke(main, ["audit-log", "--workspace", str(ws.path), "--json"])
    doc = json.loads(shown.output)
    assert doc["schema"] == "lagesbild.audit-log/1"
    assert [e["action"] for e in doc["events"]] == events["action"].tolist()
    text = runner.invoke(main, ["audit-log", "--workspace", str(ws.path)]).output
    assert "report_police" in text and getpass.getuser() in text


def test_a_wide_report_is_not_logged_and_an_empty_log_says_so(ws: GpkgWorkspace) -> None:
    out = CliRunner().invoke(main, ["audit-log", "--workspace", str(ws.path)])
    assert out.exit_code == 0 and "Inga händelser" in out.output
