"""The adversary over DeSO, RegSO and the kommun figures together: the demo with DeSO and RegSO
grids in three kommuner (sparse areas, victims of unknown sex) discloses nothing, and a DeSO
table with one secondary suppression put back is caught."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from frames_support import demo_inputs, shared_demo
from lagesbild.analysis import release_small
from lagesbild.analysis.audit import audit
from lagesbild.analysis.release import (_one_county, cube_release, release_audit,
                                        subset_layer_release)
from lagesbild.analysis.small_areas import protected_small_counts
from lagesbild.store.frames import load_frames
from lagesbild.store.gpkg import GpkgWorkspace
from small_areas_support import KOMMUNER, all_small_workspace

LAYER = "vald_nara_relation"


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    _, specs, taxonomy, settings = demo_inputs(tmp_path_factory)
    path = all_small_workspace(tmp_path_factory.mktemp("release-small") / "ws.gpkg",
                               shared_demo(tmp_path_factory))
    return load_frames(GpkgWorkspace(Path(path))), specs, taxonomy, settings


def _release(small, period: str):  # noqa: ANN001, ANN202
    """The incident cube, the layer and its small areas of one period: (cells, relations)."""
    frames, specs, taxonomy, settings = small
    spec = specs[LAYER]
    cells, relations = cube_release(frames, period=period, source="incidents",
                                    taxonomy=taxonomy, settings=settings)
    for part in (subset_layer_release, release_small.small_area_release):
        more, linked = part(frames, spec, period=period, taxonomy=taxonomy, settings=settings)
        cells, relations = cells + more, relations + linked
    return cells, relations


def test_every_small_area_table_with_the_kommun_figures_passes(small) -> None:
    frames, specs, taxonomy, settings = small
    result = release_audit(frames, taxonomy=taxonomy, settings=settings, specs=specs)
    assert result.passed, result.disclosed.head().to_dict("records")
    tables = result.by_table().set_index("table")
    for period in ("2022", "2023", "2024"):
        for level in ("deso", "regso"):
            assert tables.loc[f"{level} {LAYER} {period}", "hidden"] > 0
    # the county's audit keeps every small area and its relations (the kommun is part of each
    # cell's name)
    cells, relations = _release(small, "2024")
    kept, linked = _one_county(frames, cells, relations, "24")
    small_cells = [c["cell"] for c in cells if str(c["cell"]).startswith("small|")]
    assert small_cells and set(small_cells) <= {c["cell"] for c in kept}
    assert {str(c).split("|")[4] for c in small_cells} == set(KOMMUNER)
    assert len(linked) == len(relations)


def test_the_relations_are_what_the_truth_allows(small) -> None:
    """K + M = T or T ≥ K + M as the true counts are; every DeSO within its RegSO; each level
    of a kommun adds up to the layer's kommun cell."""
    _, relations = _release(small, "2024")
    small_rel = [r for r in relations if r.terms[0][0].startswith("small|")]
    nested = [r for r in small_rel if "|regso|" in r.terms[0][0] and
              all("|deso|" in cell for cell, _ in r.terms[1:])]
    assert nested and all(r.sense == ">=" for r in nested)
    sexes = [r for r in small_rel if r.terms[0][0].endswith("|T") and len(r.terms) == 3
             and r.terms[1][0].endswith("|K")]
    assert {r.sense for r in sexes} == {"==", ">="}  # some areas have victims of unknown sex
    totals = [r for r in relations if r.terms[0][0].startswith(f"layer|{LAYER}|2024|")
              and any("|deso|" in cell for cell, _ in r.terms[1:])]
    assert len(totals) == 3 * len(KOMMUNER)  # K, M and T of each kommun with DeSO


def test_putting_back_one_secondary_small_area_cell_is_caught(small, monkeypatch) -> None:
    """A mutation of the protection: one secondary DeSO cell shown. The adversary must narrow a
    hidden cell for at least one such mutation (else the audit could not see the DeSO tables)."""
    frames, specs, taxonomy, settings = small
    spec = specs[LAYER]
    honest = protected_small_counts(frames, spec, level="deso", period="2024",
                                    taxonomy=taxonomy, settings=settings)
    raw = release_small.raw_small_counts(frames, spec, level="deso", period="2024",
                                         taxonomy=taxonomy, settings=settings)
    secondary = honest.index[honest["suppression"] == "secondary"]
    assert len(secondary)
    caught = 0
    for row in secondary[:10]:
        mutated = honest.copy()
        mutated.loc[row, ["suppressed", "suppression"]] = [False, ""]
        mutated.loc[row, "count"] = int(raw.loc[row, "count"])

        def fake(frames_, spec_, *, level, period, taxonomy, settings,  # noqa: ANN001, ANN202
                 _m=mutated):
            return _m if level == "deso" else protected_small_counts(
                frames_, spec_, level=level, period=period, taxonomy=taxonomy, settings=settings)

        monkeypatch.setattr(release_small, "protected_small_counts", fake)
        cells, relations = _release(small, "2024")
        caught += not audit(cells, relations, protection=settings.suppress_below).passed
    assert caught >= 1


def test_the_small_area_cells_are_what_the_maps_publish(small) -> None:
    """Each shown cell of the audit is the count the DeSO figures show (the audit reads the
    published table, not a copy of its own)."""
    frames, specs, taxonomy, settings = small
    from lagesbild.analysis.small_areas import small_area_figures

    cells, _ = _release(small, "2024")
    shown = {c["cell"]: c["value"] for c in cells if c["shown"] and "|deso|" in str(c["cell"])}
    figs = small_area_figures(frames, specs[LAYER], level="deso", period="2024", sex="T",
                              taxonomy=taxonomy, settings=settings)
    deso = figs[figs["level"] == "deso"]
    for area, kommun, count, hidden in zip(deso["area_id"], deso["parent_id"], deso["count"],
                                           deso["suppressed"]):
        name = f"small|{LAYER}|2024|deso|{kommun}|{area}|T"
        if hidden:
            assert name not in shown and pd.isna(count)
        else:
            assert shown[name] == int(count)
