"""The audit's programs are solved once per content: the same numbers again (another name, another
copy of the workspace) are answered from memory, and any changed number is solved anew."""

from __future__ import annotations

import shutil
from collections import OrderedDict
from pathlib import Path

import pytest

from lagesbild.analysis import audit as audit_module
from lagesbild.analysis.audit import Relation, at_least, audit, hidden_cell, shown_cell, total_of
from lagesbild.analysis.release import release_audit
from lagesbild.core.settings import get_settings
from lagesbild.core.taxonomy import load_taxonomy
from lagesbild.store import importer
from lagesbild.store.frames import load_frames
from lagesbild.store.gpkg import GpkgWorkspace

SETTINGS = get_settings()
TAXONOMY = load_taxonomy(SETTINGS.layers_dir / "pyramid.toml")


@pytest.fixture
def workspace(gpkg_workspace):  # noqa: ANN001, ANN201 - copies of the file are audited here
    return gpkg_workspace


def _table(prefix: str = "t", *, total: int | None = None, small: tuple[int, int] = (2, 3),
           gap: int | None = None, sense: str = "==", coefficient: int = -1,
           large_extra: int = 0, low: int = 1, high: float = 4):
    """A level total shown, two hidden categories a and b and a shown one c = 5 + `large_extra`:
    total = a + `coefficient` × −b + c ("==", the default total) or total ≥ that (">=")."""
    a, b = small
    large = 5 + large_extra
    total = a - coefficient * b + large if total is None else total
    cells = [shown_cell(f"{prefix}|total", "t", total),
             hidden_cell(f"{prefix}|a", "t", a, low=low, high=high, zero_or_at_least=gap),
             hidden_cell(f"{prefix}|b", "t", b, low=low, high=high, zero_or_at_least=gap),
             shown_cell(f"{prefix}|c", "t", large)]
    terms = ((f"{prefix}|total", 1), (f"{prefix}|a", -1), (f"{prefix}|b", coefficient),
             (f"{prefix}|c", -1))
    return cells, [Relation(terms, sense)]


@pytest.fixture(autouse=True)
def nothing_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts from an empty memory of this process alone (the cases share their
    numbers; conftest shares the suite's memory between workers)."""
    monkeypatch.setattr(audit_module, "_SOLVED", OrderedDict())


def _counts() -> tuple[int, int]:
    # this thread's: an app test's background audit may solve programs in this process too
    counts = audit_module.solved_stats()
    return counts["solved"], counts["reused"]


def _fresh(cells, relations, **kwargs):  # noqa: ANN001, ANN202
    """The audit with nothing remembered: what the memo must agree with."""
    saved = dict(audit_module._SOLVED)
    audit_module._SOLVED.clear()
    try:
        return audit(cells, relations, **kwargs)
    finally:
        audit_module._SOLVED.update(saved)


def test_the_same_numbers_under_other_names_are_solved_once() -> None:
    first = audit(*_table("x"))
    solved, reused = _counts()
    again = audit(*_table("y"))
    assert _counts() == (solved, reused + 1)
    # the answer is the same, under the second call's names
    assert again.cells["cell"].tolist() == ["y|a", "y|b"]
    assert again.cells.drop(columns="cell").equals(first.cells.drop(columns="cell"))
    assert not again.passed
    # each caller gets its own frame
    again.cells.loc[:, "low"] = -1
    assert audit(*_table("y")).cells["low"].tolist() == first.cells["low"].tolist()


DOLD = {"small": (0, 5), "low": 0, "high": float("inf")}


@pytest.mark.parametrize(("before", "after"), [
    ({"sense": ">="}, {"sense": ">=", "total": 11}),  # a shown number (a right-hand side)
    ({}, {"small": (1, 4)}),                           # a hidden cell's true value
    (DOLD, {**DOLD, "gap": 5}),                        # a label: "0 or at least 5"
    ({}, {"sense": ">="}),                             # T ≥ K + M instead of T = K + M
    ({"sense": ">=", "total": 20}, {"sense": ">=", "total": 20, "coefficient": -2}),
])
def test_any_changed_number_is_solved_again(before: dict, after: dict) -> None:
    audit(*_table("base", **before))
    cells, relations = _table("base", **after)
    solved, _ = _counts()
    result = audit(cells, relations)
    assert _counts()[0] == solved + 1
    assert result.cells.equals(_fresh(cells, relations).cells)


def test_shown_numbers_that_leave_the_program_alike_are_not_solved_again() -> None:
    """A total one higher with its shown part one higher asks the same of the hidden cells."""
    audit(*_table("s"))
    solved, _ = _counts()
    cells, relations = _table("s", large_extra=1)  # 11 = a + b + 6
    result = audit(cells, relations)
    assert _counts()[0] == solved
    assert result.cells.equals(_fresh(cells, relations).cells)


def test_another_protection_or_exact_ranges_are_solved_again() -> None:
    cells, relations = _table("p", small=(3, 4), large_extra=20)
    audit(cells, relations)
    solved, _ = _counts()
    wider = audit(cells, relations, protection=10)
    exact = audit(cells, relations, exact=True)
    assert _counts()[0] == solved + 2
    assert wider.cells.equals(_fresh(cells, relations, protection=10).cells)
    assert exact.cells.equals(_fresh(cells, relations, exact=True).cells)


def test_a_leak_found_once_is_found_again_from_memory() -> None:
    """A remembered answer is the answer: a disclosing release stays refused."""
    cells = [shown_cell("T", "t", 8), hidden_cell("K", "t", 3, low=1, high=4),
             shown_cell("M", "t", 5)]
    relations = [at_least("T", ["K", "M"]), total_of("T", ["K", "M"])]
    for _ in range(2):
        result = audit(cells, relations)
        assert not result.passed
        assert result.disclosed[["low", "high"]].values.tolist() == [[3, 3]]


# --- a workspace on disk -----------------------------------------------------------------------

BRA = ("Kommun;Kommunkod;År;Brottskategori;Kön;Antal\n"
       "Norsjö;2417;2024;Misshandel;Kvinnor;3\n"
       "Norsjö;2417;2024;Misshandel;Män;9\n"
       "Norsjö;2417;2024;Misshandel;Totalt;12\n"
       "Norsjö;2417;2024;Olaga hot;Kvinnor;6\n"
       "Norsjö;2417;2024;Olaga hot;Män;{men}\n"
       "Norsjö;2417;2024;Olaga hot;Totalt;{total}\n"
       "Sorsele;2422;2024;Misshandel;Kvinnor;2\n"
       "Sorsele;2422;2024;Misshandel;Män;7\n"
       "Sorsele;2422;2024;Misshandel;Totalt;9\n")


def _audit(path: Path):  # noqa: ANN202
    frames = load_frames(GpkgWorkspace(path))
    return release_audit(frames, taxonomy=TAXONOMY, settings=SETTINGS, periods=["2024"])


def test_a_changed_workspace_is_audited_again(area_workspace: GpkgWorkspace, make_csv,
                                              tmp_path: Path) -> None:
    importer.import_file(area_workspace, "crime_counts",
                         make_csv(BRA.format(men=8, total=14), "utf-8-sig"), name="brå.csv")
    first = _audit(area_workspace.path)
    assert len(first.cells) > 0  # hidden cells to solve
    hidden = first.cells.set_index("cell")["value"]

    # the same content in another file: nothing solved again, the same answer
    copy = tmp_path / "kopia" / "ws.gpkg"
    copy.parent.mkdir()
    shutil.copyfile(area_workspace.path, copy)
    solved, reused = _counts()
    same = _audit(copy)
    assert _counts()[0] == solved and _counts()[1] > reused
    assert same.cells.equals(first.cells)

    # the same dataset imported again with one count changed: audited anew, on the new numbers
    importer.import_file(area_workspace, "crime_counts",
                         make_csv(BRA.format(men=1, total=7), "utf-8-sig"), name="brå.csv")
    solved, _ = _counts()
    changed = _audit(area_workspace.path)
    assert _counts()[0] > solved
    values = changed.cells.set_index("cell")["value"]
    assert values.to_dict() != hidden.to_dict()
    assert (values == 1).any()  # the new small count is among the hidden cells
    assert changed.cells.equals(_fresh_release(area_workspace.path).cells)


def _fresh_release(path: Path):  # noqa: ANN202
    saved = dict(audit_module._SOLVED)
    audit_module._SOLVED.clear()
    try:
        return _audit(path)
    finally:
        audit_module._SOLVED.update(saved)


def test_the_workers_of_one_run_share_what_they_solved(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """conftest's shared memory: what one worker solved another reads, under the same key only."""
    from audit_memory_support import SharedSolved

    folder = tmp_path / "audit-solved"
    monkeypatch.setattr(audit_module, "_SOLVED", SharedSolved(folder))
    first = audit(*_table("w"))
    assert len(list(folder.glob("*.npy"))) == 1 and not list(folder.glob("*.tmp"))
    monkeypatch.setattr(audit_module, "_SOLVED", SharedSolved(folder))  # another worker
    solved, reused = _counts()
    again = audit(*_table("w"))
    assert _counts() == (solved, reused + 1)
    assert again.cells.equals(first.cells)
    other = audit(*_table("w", small=(1, 4)))  # other numbers: solved, not read
    assert _counts()[0] == solved + 1 and len(list(folder.glob("*.npy"))) == 2
    assert other.cells.equals(_fresh(*_table("w", small=(1, 4))).cells)
