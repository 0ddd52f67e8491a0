"""Report notes and local goals: saved per area and period, frozen by export and restore; on
both stores (the `store` fixture)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from lagesbild.store import export
from lagesbild.core.errors import InputError
from lagesbild.store.notes import read_notes, save_notes
from lagesbild.store.gpkg import GpkgWorkspace

@pytest.fixture
def workspace(store_workspace):  # noqa: ANN001, ANN201 - area_workspace builds on it
    return store_workspace


HOSTILE = "=HYPERLINK(\"x\") <script>alert(1)</script> ${x}\nandra raden; med semikolon"


def test_save_read_replace_and_keep_other_areas(area_workspace) -> None:
    save_notes(area_workspace, "2417", "2024", notes={"analys": HOSTILE},
               goals={"valdsforebyggande": "MVP i alla åk 8"}, now=datetime(2026, 3, 1, 10))
    save_notes(area_workspace, "24", "2024", notes={"analys": "Länet"}, goals={})
    assert read_notes(area_workspace, "2417", "2024") == (
        {"analys": HOSTILE}, {"valdsforebyggande": "MVP i alla åk 8"})
    save_notes(area_workspace, "2417", "2024", notes={"analys": "Ny text", "atgarder": ""},
               goals={})
    assert read_notes(area_workspace, "2417", "2024") == ({"analys": "Ny text"}, {})
    assert read_notes(area_workspace, "24", "2024") == ({"analys": "Länet"}, {})
    assert read_notes(area_workspace, "2417", "2023") == ({}, {})


def test_unknown_focus_area_and_overlong_text_are_refused(area_workspace) -> None:
    with pytest.raises(InputError, match="Okänt avsnitt: inledning"):
        save_notes(area_workspace, "2417", "2024", notes={"inledning": "x"}, goals={})
    with pytest.raises(InputError, match="Okänt fokusområde"):
        save_notes(area_workspace, "2417", "2024", notes={}, goals={"x": "y"})
    with pytest.raises(InputError, match="längre än"):
        save_notes(area_workspace, "2417", "2024", notes={"analys": "x" * 20_001}, goals={})


def test_notes_survive_export_and_restore(area_workspace, tmp_path: Path) -> None:
    save_notes(area_workspace, "2417", "2024", notes={"analys": HOSTILE, "kallor": "Brå 2024"},
               goals={"ungas_parrelationer": "+10 % i åk 9", "valdsforebyggande": "-"},
               now=datetime(2026, 3, 1, 10, 30))
    paths = export.export_all(area_workspace, tmp_path / "out")
    text = next(p for p in paths if "anteckningar" in p.name).read_bytes().decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'+10 %" in text  # neutralised for Excel
    fresh = GpkgWorkspace(tmp_path / "restored.gpkg")
    export.import_exported(fresh, tmp_path / "out")
    assert read_notes(fresh, "2417", "2024") == read_notes(area_workspace, "2417", "2024")
    a, b = area_workspace.read("notes"), fresh.read("notes")
    assert a.drop(columns="source").equals(b.drop(columns="source"))
