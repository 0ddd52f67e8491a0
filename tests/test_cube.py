"""The protected count cube: counts by hand, one suppression for every view, no recovery."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lagesbild.analysis.cube import KEYS, count_cube, protect, protected_cube
from lagesbild.core.taxonomy import ALL, load_taxonomy
from lagesbild.core.frames import Frames
from lagesbild.store.frames import load_frames
from lagesbild.core.settings import Settings
from lagesbild.store.gpkg import GpkgWorkspace

from disclosure_support import differencing_attack, linear_attack, primary_cells
from frames_support import COUNTS, shared_demo, tiny_frames

ROOT = Path(__file__).resolve().parents[1]
TAXONOMY = load_taxonomy(ROOT / "layers" / "pyramid.toml")
SETTINGS = Settings(suppress_below=5)
ADDITIVE = [("sex", "T"), ("category", ALL), ("area_id", "24")]


def _get(cube: pd.DataFrame, area: str, level: int, category: str, sex: str) -> object:
    row = cube[(cube["area_id"] == area) & (cube["level"] == level)
               & (cube["category"] == category) & (cube["sex"] == sex)]
    assert len(row) == 1, (area, level, category, sex)
    return row.iloc[0]


@pytest.fixture(scope="module")
def frames() -> Frames:
    return tiny_frames()


def test_count_cube_by_hand(frames: Frames) -> None:
    cube = count_cube(frames, period="2024", source="counts", taxonomy=TAXONOMY)
    assert list(cube.columns) == [*KEYS, "count"]
    # level 3 = Misshandel + Våldtäkt; Sorsele has no Våldtäkt rows: listed as 0
    assert _get(cube, "2417", 3, ALL, "K")["count"] == 6 + 5
    assert _get(cube, "2417", 3, ALL, "T")["count"] == 16 + 5
    assert _get(cube, "2422", 3, "Våldtäkt", "M")["count"] == 0
    assert _get(cube, "2422", 2, ALL, "M")["count"] == 8
    assert _get(cube, "2422", 0, "Skadegörelse", "T")["count"] == 4
    # the county is the sum of its kommuner, cell by cell
    for level, category, sex in cube.loc[cube["area_id"] == "24", ["level", "category", "sex"]].itertuples(index=False):
        total = sum(int(_get(cube, a, level, category, sex)["count"]) for a in ("2417", "2422"))
        assert _get(cube, "24", level, category, sex)["count"] == total
    assert _get(cube, "24", 3, "Misshandel", "K")["count"] == 8
    # every (area, level, category) has K, M and T
    assert (cube.groupby(["area_id", "level", "category"])["sex"].nunique() == 3).all()
    # one row per cell
    assert not cube.duplicated(KEYS).any()


def test_count_cube_from_incidents_by_hand(frames: Frames) -> None:
    cube = count_cube(frames, period="2024", source="incidents", taxonomy=TAXONOMY)
    assert _get(cube, "2417", 3, ALL, "K")["count"] == 6  # 5 Misshandel + 1 Våldtäkt
    assert _get(cube, "2417", 3, ALL, "M")["count"] == 2
    assert _get(cube, "2417", 2, ALL, "T")["count"] == 1  # unknown sex: in T only
    assert _get(cube, "2417", 2, ALL, "K")["count"] == 0
    assert _get(cube, "24", 3, ALL, "T")["count"] == 9
    old = count_cube(frames, period="2023", source="incidents", taxonomy=TAXONOMY)
    assert _get(old, "2422", 3, ALL, "K")["count"] == 1


def test_count_cube_rejects_unknown_source(frames: Frames) -> None:
    with pytest.raises(ValueError, match="source"):
        count_cube(frames, period="2024", source="rykten", taxonomy=TAXONOMY)


def test_protect_hides_small_cells_and_their_partners(frames: Frames) -> None:
    out = protected_cube(frames, period="2024", source="counts", taxonomy=TAXONOMY,
                         settings=SETTINGS)
    raw = count_cube(frames, period="2024", source="counts", taxonomy=TAXONOMY)
    assert len(out) == len(raw)
    small = (raw["count"] >= 1) & (raw["count"] < 5)
    assert (out.loc[small, "suppression"] == "small").all()
    assert out.loc[~small & out["suppressed"], "suppression"].eq("secondary").all()
    # Sorsele level 3 K = 2 is small; M must go too or T - M gives it away
    assert _get(out, "2422", 3, ALL, "K")["suppression"] == "small"
    assert _get(out, "2422", 3, ALL, "M")["suppressed"]
    assert _get(out, "2422", 3, ALL, "T")["count"] == 9
    # shown counts are the raw counts
    shown = ~out["suppressed"]
    assert (out.loc[shown, "count"].astype(int).to_numpy() == raw.loc[shown, "count"].to_numpy()).all()
    assert out["count"].isna().equals(out["suppressed"])
    assert not differencing_attack(out, KEYS, ADDITIVE) & primary_cells(out)
    assert not linear_attack(out, KEYS, ADDITIVE) & primary_cells(out)


def test_threshold_comes_from_settings(frames: Frames) -> None:
    out = protected_cube(frames, period="2024", source="counts", taxonomy=TAXONOMY,
                         settings=Settings(suppress_below=3))
    assert _get(out, "2422", 3, ALL, "K")["suppression"] == "small"  # 2 < 3
    assert _get(out, "2417", 2, ALL, "K")["count"] == 3  # 3 is shown now
    raw = count_cube(frames, period="2023", source="counts", taxonomy=TAXONOMY)
    assert not protect(raw, frames, settings=SETTINGS)["suppressed"].any()  # all 10s and 0s


def test_inputs_are_not_changed(frames: Frames) -> None:
    before = frames.incident_counts.copy()
    raw = count_cube(frames, period="2024", source="counts", taxonomy=TAXONOMY)
    copy = raw.copy()
    protect(raw, frames, settings=SETTINGS)
    pd.testing.assert_frame_equal(raw, copy)
    pd.testing.assert_frame_equal(frames.incident_counts, before)
    assert len(COUNTS) * 3 == len(before)


@pytest.mark.parametrize(("source", "period"), [("counts", "2024"), ("incidents", "2024")])
def test_demo_cube_small_cells_cannot_be_recovered(tmp_path_factory: pytest.TempPathFactory,
                                                   source: str, period: str) -> None:
    """On the demo county (15 kommuner), no chain of shown totals pins a small cell down."""
    frames = load_frames(GpkgWorkspace(shared_demo(tmp_path_factory)))
    out = protected_cube(frames, period=period, source=source, taxonomy=TAXONOMY,
                         settings=SETTINGS)
    primary = primary_cells(out)
    assert len(primary) > 50  # the test has something to protect
    assert not differencing_attack(out, KEYS, ADDITIVE) & primary
    assert not linear_attack(out, KEYS, ADDITIVE) & primary
    hidden = out["suppressed"].to_numpy()
    assert out["count"].isna().to_numpy().tolist() == hidden.tolist()
    assert np.isin(out.loc[hidden, "suppression"], ["small", "secondary"]).all()


def _per_kommun_reference(frames: Frames, period: str, source: str) -> pd.DataFrame:
    """The cube built the slow, obvious way: one pyramid per kommun, zeros filled in, county summed."""
    from lagesbild.analysis.pyramid import count_pyramid, incident_pyramid

    if source == "counts":
        data, build = frames.incident_counts[frames.incident_counts["period"] == period], count_pyramid
    else:
        data = frames.incidents[frames.incidents["year"].astype("string") == period]
        build = incident_pyramid
    parts = [build(data[data["area_id"] == a], TAXONOMY).assign(area_id=a)
             for a in frames.kommuner["area_id"]]
    cube = pd.concat(parts, ignore_index=True)
    pairs = cube[["level", "category"]].drop_duplicates()
    grid = pairs.merge(pd.DataFrame({"area_id": frames.kommuner["area_id"].astype(str)}), how="cross") \
        .merge(pd.DataFrame({"sex": list("KMT")}), how="cross")
    cube = grid.merge(cube, how="left", on=KEYS).fillna({"count": 0})
    county = cube.groupby(["level", "category", "sex"], as_index=False)["count"].sum().assign(area_id="24")
    return pd.concat([cube, county], ignore_index=True)


@pytest.mark.parametrize(("source", "period"), [("counts", "2024"), ("incidents", "2023")])
def test_count_cube_matches_per_kommun_pyramids(tmp_path_factory: pytest.TempPathFactory,
                                               source: str, period: str) -> None:
    frames = load_frames(GpkgWorkspace(shared_demo(tmp_path_factory)))
    cube = count_cube(frames, period=period, source=source, taxonomy=TAXONOMY)
    ref = _per_kommun_reference(frames, period, source)
    def key(f: pd.DataFrame) -> pd.Series:
        f = f.assign(area_id=f["area_id"].astype(str), category=f["category"].astype(str),
                     count=f["count"].astype("int64"))
        return f.set_index(KEYS)["count"].sort_index()

    pd.testing.assert_series_equal(key(cube), key(ref))
    # ordered for reading: kommuner as listed, then the county; level 3 first, its total first
    first = cube[cube["area_id"] == cube["area_id"].iloc[0]]
    assert first["level"].tolist() == sorted(first["level"], reverse=True)
    assert first["category"].iloc[0] == ALL


def test_count_cube_without_data_still_lists_level_totals(frames: Frames) -> None:
    cube = count_cube(frames, period="1999", source="counts", taxonomy=TAXONOMY)
    assert (cube["category"] == ALL).all() and (cube["count"] == 0).all()
    assert len(cube) == 3 * 3 * 3  # (2 kommuner + county) × levels 3, 2, 0 × K, M, T
