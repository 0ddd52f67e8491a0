"""`lagesbild audit` and the report's refusal to publish a release the adversary can read."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner, Result

from frames_support import demo_inputs, shared_demo
from lagesbild.analysis import cube
from lagesbild.cli.main import main
from lagesbild.core.errors import DisclosureError
from lagesbild.report.build import build_report
from lagesbild.store.frames import load_frames
from lagesbild.store.gpkg import GpkgWorkspace


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_demo(tmp_path_factory)


def run(*args: object) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _leaky_protect(real):  # noqa: ANN001, ANN202
    """The cube's protection with every secondary cell put back: small cells stay hidden but
    can be worked out."""
    def protect(raw: pd.DataFrame, frames, *, settings) -> pd.DataFrame:  # noqa: ANN001
        out = real(raw, frames, settings=settings)
        back = (out["suppression"] == "secondary").to_numpy()
        out.loc[back, "suppressed"] = False
        out.loc[back, "suppression"] = ""
        out.loc[back, "count"] = raw.loc[back, "count"].to_numpy()
        return out
    return protect


def test_the_demo_passes_and_says_so(ws: Path) -> None:
    result = run("audit", "-w", ws, "--period", "2024", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["schema"] == "lagesbild.audit/1" and doc["passed"] and doc["disclosed"] == []
    tables = {t["table"]: t for t in doc["tables"]}
    # the cubes, and the layer of violence in close relationships (a subset of level 3,
    # protected on its own) audited together with the incident cube it lies within; the
    # weekday × time tables; the surveys' shares as yes-counts
    assert {"pyramid counts 2024", "pyramid incidents 2024", "layer vald_nara_relation 2024",
            "när 2024"} <= set(tables)
    # and Brå's main crime groups that are parts of a pyramid table (sums of its cells)
    assert {t for t in tables if not t.startswith("enkät ")} == {
        "pyramid counts 2024", "pyramid incidents 2024", "layer vald_nara_relation 2024",
        "när 2024", "layer brott_stold_inbrott 2024", "layer brott_fordonsbrott 2024",
        "layer brott_skadegorelse 2024"}
    assert {"enkät otrygghet 2024", "enkät utsatt_hot 2024"} <= set(tables)
    for table in tables.values():
        assert table["hidden"] > 0 and table["disclosed"] == 0
        low, high = table["narrowest"]["low"], table["narrowest"]["high"]
        assert high is None or high - low >= 4
    text = run("audit", "-w", ws, "--period", "2024")
    assert text.exit_code == 0 and "Granskningen godkänd: ingen av" in text.output
    assert "dolda uppgifter kan ringas in" in text.output
    police = json.loads(run("audit", "-w", ws, "--audience", "police", "--json").stdout)
    assert police["passed"] and police["tables"] == []


def test_a_leaking_protection_exits_1_and_names_the_cells(ws: Path, monkeypatch) -> None:
    monkeypatch.setattr(cube, "protect", _leaky_protect(cube.protect))
    result = run("audit", "-w", ws, "--period", "2024", "--json")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert not doc["passed"] and doc["disclosed"]
    for cell in doc["disclosed"]:
        assert cell["cell"].startswith(("pyramid|", "layer|", "when|"))
        assert cell["high"] - cell["low"] < 4
    assert sum(t["disclosed"] for t in doc["tables"]) == len(doc["disclosed"])


def test_the_report_refuses_a_release_that_leaks(tmp_path_factory, monkeypatch) -> None:
    _, specs, taxonomy, settings = demo_inputs(tmp_path_factory)
    monkeypatch.setattr(cube, "protect", _leaky_protect(cube.protect))
    frames = load_frames(GpkgWorkspace(shared_demo(tmp_path_factory)))  # fresh: no memo
    with pytest.raises(DisclosureError, match="lagesbild audit"):
        build_report(frames, specs, taxonomy, settings, area_id="2417", period="2024",
                     audience="wide", created=date(2026, 1, 2), layers=["vald_topp"])
    police = build_report(frames, specs, taxonomy, settings, area_id="2417", period="2024",
                          audience="police", created=date(2026, 1, 2), layers=["vald_topp"])
    assert police.audience == "police"
    assert np.isfinite(len(police.sections))


def test_a_workspace_with_nothing_hidden_says_so(tmp_path: Path, tmp_path_factory) -> None:
    """Boundaries and population only: nothing is hidden, and the audit does not claim to have
    checked hidden cells."""
    from lagesbild.core.dataset import Dataset
    from lagesbild.store.gpkg import GpkgWorkspace

    ws = GpkgWorkspace(tmp_path / "bare.gpkg")
    source = GpkgWorkspace(shared_demo(tmp_path_factory))
    with ws.transaction() as writer:
        for name, table in (("gränser", "areas"), ("folkmängd", "population")):
            writer.replace_dataset(Dataset(name, table, table, name),
                                   source.read(table).assign(source=name))
    result = run("audit", "-w", tmp_path / "bare.gpkg")
    assert result.exit_code == 0 and "Inget är dolt i utgåvan" in result.output
