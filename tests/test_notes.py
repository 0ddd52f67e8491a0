"""Report notes and local goals: saved per area and period, frozen by export and restore; on
both stores (the `store` fixture)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
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


ACTIONS = ("Åtgärds-ID;Fokusområde;Insats;Ansvarig;Period;Status;Kommunkoder;Indikatorer\n"
           "A1;Våldsförebyggande arbete;Insats A1;Skolan;2024–2026;pågår;2417;\n").encode()


def _save_one(location: str, ready: str) -> None:  # a spawned process
    from lagesbild.store.notes import save_notes
    from lagesbild.store.workspace import open_workspace

    ws = open_workspace(location)
    Path(ready).touch()
    save_notes(ws, "2417", "2024", notes={"analys": "Norsjös"}, goals={})


def test_two_people_saving_at_once_both_keep_their_text(area_workspace, tmp_path: Path) -> None:
    """One person's save holds the writer lock while another's starts: the second reads the
    notes under the lock, after the first committed, so it does not write back the table as
    it was before the first (which lost the first person's text)."""
    import multiprocessing
    import time

    from lagesbild.core import schema
    from lagesbild.core.dataset import Dataset
    from lagesbild.store.notes import DATASET

    ready = tmp_path / "ready"
    other = multiprocessing.get_context("spawn").Process(
        target=_save_one, args=(area_workspace.location, str(ready)))
    first = schema.conform(pd.DataFrame({
        "area_id": ["2422"], "period": ["2024"], "key": ["note:analys"], "text": ["Sorseles"],
        "updated_at": pd.Timestamp("2026-12-07 10:00"), "source": DATASET}), "notes")
    with area_workspace.transaction() as writer:
        other.start()
        for _ in range(600):
            if ready.exists():
                break
            time.sleep(0.1)
        time.sleep(1.5)  # the other save has started and waits for the lock
        writer.replace_dataset(Dataset(DATASET, "notes", "notes", DATASET), first)
    other.join(120)
    assert other.exitcode == 0
    assert read_notes(area_workspace, "2422", "2024")[0] == {"analys": "Sorseles"}
    assert read_notes(area_workspace, "2417", "2024")[0] == {"analys": "Norsjös"}


def test_a_saved_note_keeps_the_figures_kept_for_the_state_before(
        area_workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No figure reads the notes: what was kept for the workspace before a note was saved is
    the new state's too, in both stores; an import is a new state with nothing carried."""
    from lagesbild.store import derived, importer

    monkeypatch.setenv(derived.ENV, str(tmp_path / "kept"))
    before = derived.state_of(area_workspace)
    before.put(("a question",), pd.DataFrame({"value": [1, 2]}))
    save_notes(area_workspace, "2417", "2024", notes={"analys": "Ny"}, goals={})
    after = derived.state_of(area_workspace)
    assert after.folder != before.folder
    assert after.get(("a question",)).equals(pd.DataFrame({"value": [1, 2]}))
    importer.import_file(area_workspace, "actions", ACTIONS, name="plan.csv")
    assert derived.state_of(area_workspace).get(("a question",)) is None
