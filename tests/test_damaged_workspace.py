"""A damaged workspace: the store says so in its own words, and every page shows that message
(AppTest here; the browser in test_browser_hardening.py), never a traceback."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lagesbild.core.errors import WorkspaceError
from lagesbild.store.frames import load_frames
from lagesbild.store.gpkg import GpkgWorkspace
from lagesbild.ui import failure

from frames_support import shared_demo

APP = Path(__file__).resolve().parents[1] / "app.py"

PAGES = ("map_page", "assessment_page", "pyramid_page", "compare_page", "coverage_page",
         "report_page", "data_page")


def truncated(demo: Path, out: Path) -> Path:
    """The first 300 kB of the demo: a copy cut off mid-write (a full disk, a broken transfer)."""
    out.write_bytes(demo.read_bytes()[:300_000])
    return out


def overwritten(demo: Path, out: Path, table: str = "incident_counts") -> Path:
    """The demo with most pages of one table's data overwritten: the file still opens and lists
    its tables, and fails only when that table is read."""
    data = bytearray(demo.read_bytes())
    with sqlite3.connect(demo) as con:
        size = con.execute("PRAGMA page_size").fetchone()[0]
        pages = [p for (p,) in con.execute("SELECT pageno FROM dbstat WHERE name = ?", (table,))]
    for page in pages[1:]:  # the root page stays: the schema and the table list are intact
        data[(page - 1) * size:page * size] = b"\xff" * size
    out.write_bytes(bytes(data))
    return out


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_demo(tmp_path_factory)


@pytest.mark.parametrize("damage", [truncated, overwritten])
def test_store_reports_a_damaged_file_as_workspace_error(demo: Path, tmp_path: Path,
                                                         damage) -> None:
    path = damage(demo, tmp_path / "skadad.gpkg")
    with pytest.raises(WorkspaceError, match="skadad.gpkg") as info:
        load_frames(GpkgWorkspace(path))
    assert isinstance(info.value.__cause__, failure.READ_ERRORS)
    what, fix, detail = failure.message(info.value, "sv", path)
    assert what == "Arbetsytan skadad.gpkg går inte att läsa: filen är skadad eller ingen " \
                   "lägesbild-arbetsyta."
    assert f"lagesbild restore --workspace {path}" in fix and detail


def test_a_garbage_file_is_refused_when_listed(tmp_path: Path) -> None:
    path = tmp_path / "text.gpkg"
    path.write_text("inte en GeoPackage\n" * 100, encoding="utf-8")
    with pytest.raises(WorkspaceError, match="ingen GeoPackage-arbetsyta") as info:
        GpkgWorkspace(path).datasets()
    assert failure.message(info.value, "en", path)[0].startswith("The workspace text.gpkg cannot")


def test_other_app_errors_keep_their_own_message(tmp_path: Path) -> None:
    from lagesbild.core.errors import InputError

    exc = InputError("okänd kommunkod '9999'", file="brott.csv", row=7, field="kommun",
                     fix="Rätta koden.")
    what, fix, detail = failure.message(exc, "sv", tmp_path / "ws.gpkg")
    assert what == "Sidan kan inte visas." and detail == ""
    assert fix == "fil brott.csv, rad 7, fält 'kommun': okänd kommunkod '9999' Åtgärd: Rätta koden."


@pytest.mark.parametrize("damage", [truncated, overwritten])
@pytest.mark.parametrize("lang", ["sv", "en"])
def test_every_page_shows_the_app_message(monkeypatch: pytest.MonkeyPatch, demo: Path,
                                          tmp_path: Path, damage, lang: str) -> None:
    path = damage(demo, tmp_path / "skadad.gpkg")
    monkeypatch.setenv("LAGESBILD_WORKSPACE", str(path))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["lang"] = lang
    at.run()
    for page in PAGES:
        if page != "map_page":
            at.switch_page(f"lagesbild/ui/{page}.py").run()
        assert not at.exception, (page, at.exception)
        errors = [e.value for e in at.error]
        expected = ("Arbetsytan skadad.gpkg går inte att läsa" if lang == "sv"
                    else "The workspace skadad.gpkg cannot be read")
        assert len(errors) == 1 and errors[0].startswith(expected), (page, errors)
        assert "lagesbild restore" in errors[0] and "Traceback" not in errors[0]
