"""A workspace of several counties: each county's figure is its own kommuner's, not Sweden's.

Counts, populations and pooled survey shares of a county without its own rows are summed from
the kommuner whose codes start with the county's code (as disclosure control groups them).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from benchmarks import national_workspace
from lagesbild.analysis.figures import indicator_figures, population_for, protected_counts
from lagesbild.core.taxonomy import load_taxonomy
from lagesbild.core.frames import Frames
from lagesbild.store.frames import load_frames
from lagesbild.core.layers import load_layers
from lagesbild.core.settings import ROOT, get_settings
from lagesbild.store.gpkg import GpkgWorkspace

YEAR = "2024"


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> Frames:
    path = national_workspace.build(tmp_path_factory.mktemp("counties") / "ws.gpkg",
                                    years=(2024,), sites=False)
    return load_frames(GpkgWorkspace(Path(path)))


def _kommuner_of(frames: Frames, lan_id: str) -> list[str]:
    ids = frames.kommuner["area_id"].astype(str)
    return ids[ids.str[:2] == lan_id[:2]].tolist()


def test_a_countys_population_is_its_own_kommuners(frames: Frames) -> None:
    pop = population_for(frames, YEAR)
    total = pop[pop["sex"] == "T"].set_index("area_id")["population"] if (
        pop["sex"] == "T").any() else pop.groupby("area_id")["population"].sum()
    sums = {lan: total.reindex(_kommuner_of(frames, lan)).sum() for lan in frames.lan["area_id"]}
    assert len(sums) == 21 and len(set(sums.values())) == 21  # not one county holding all
    for lan, expected in sums.items():
        assert total[lan] == expected


def test_a_countys_count_is_its_own_kommuners(frames: Frames) -> None:
    settings = get_settings()
    taxonomy = load_taxonomy(ROOT / "layers" / "pyramid.toml")
    # a count layer that does not read the shared cube (as a layer with its own categories)
    spec = dataclasses.replace(load_layers(ROOT / "layers")["hot_trakasserier"],
                               pyramid_level=None)
    cells = protected_counts(frames, spec, period=YEAR, taxonomy=taxonomy, settings=settings)
    total = cells[cells["sex"] == "T"].set_index("area_id")["count"]
    for lan in frames.lan["area_id"]:
        assert total[lan] == total.reindex(_kommuner_of(frames, lan)).sum()
    assert total[frames.lan["area_id"]].sum() == total[frames.kommuner["area_id"]].sum()


def test_a_countys_survey_share_pools_its_own_kommuners(frames: Frames) -> None:
    settings = get_settings()
    indicator = str(frames.indicators["indicator_id"].iloc[0])
    rows = indicator_figures(frames, indicator, period=YEAR, settings=settings)
    rows = rows[rows["sex"] == "T"].set_index("area_id")
    raw = frames.indicators
    raw = raw[(raw["indicator_id"] == indicator) & (raw["period"] == YEAR) & (raw["sex"] == "T")]
    raw = raw.set_index("area_id")
    shares = []
    for lan in frames.lan["area_id"]:
        own = raw.reindex(_kommuner_of(frames, lan)).dropna(subset=["value", "n"])
        expected = (own["value"] * own["n"]).sum() / own["n"].sum()
        assert rows.loc[lan, "n"] == own["n"].sum()
        assert float(rows.loc[lan, "value"]) == pytest.approx(float(expected))
        shares.append(round(float(expected), 6))
    assert len(set(shares)) > 1
    assert pd.notna(rows.loc[frames.lan["area_id"], "value"]).all()
