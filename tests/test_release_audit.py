"""The adversary over the demo's published pyramid cubes: nothing is disclosed under the one
policy, a cube with one secondary cell put back is caught, and labels that told small cells from
the others would have given them away."""

from __future__ import annotations

import pytest

from frames_support import demo_inputs
from lagesbild.analysis.audit import audit
from lagesbild.analysis.cube import protected_cube
from lagesbild.analysis.pyramid_view import count_periods
from lagesbild.analysis.release import cube_release, release_audit, when_release


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    frames, _, taxonomy, settings = demo_inputs(tmp_path_factory)
    return frames, taxonomy, settings


def test_the_linked_demo_release_passes(tmp_path_factory) -> None:
    """Every cube with the layer of violence in close relationships, which is protected on its
    own but lies within level 3: audited together, nothing can be narrowed."""
    frames, specs, taxonomy, settings = demo_inputs(tmp_path_factory)
    result = release_audit(frames, taxonomy=taxonomy, settings=settings, specs=specs)
    tables = result.by_table()
    assert result.passed, result.disclosed.head().to_dict("records")
    assert {"layer vald_nara_relation 2024", "pyramid incidents 2024",
            "när 2024"} <= set(tables["table"])
    # every survey indicator and period is in it, as yes-counts; most have hidden shares
    expected = {f"enkät {i} {p}" for i, p in frames.indicators[["indicator_id", "period"]]
                .astype(str).drop_duplicates().itertuples(index=False, name=None)}
    assert len(expected & set(tables["table"])) >= len(expected) // 2


def _releases(demo):  # noqa: ANN001, ANN202
    frames, taxonomy, settings = demo
    for source in ("counts", "incidents"):
        for period in count_periods(frames, source):
            yield source, period


def test_no_hidden_cell_of_any_demo_cube_can_be_narrowed(demo) -> None:
    frames, taxonomy, settings = demo
    checked = 0
    for source, period in _releases(demo):
        shown = protected_cube(frames, period=period, source=source, taxonomy=taxonomy,
                               settings=settings)
        cells, relations = cube_release(frames, period=period, source=source, taxonomy=taxonomy,
                                        settings=settings, shown=shown)
        result = audit(cells, relations, protection=settings.suppress_below)
        assert result.passed, (source, period, result.disclosed.head().to_dict("records"))
        checked += len(result.cells)
    assert checked > 1000  # thousands of hidden cells over every source and period


def test_dropping_one_secondary_suppression_is_caught(demo) -> None:
    frames, taxonomy, settings = demo
    source, period = "counts", count_periods(frames, "counts")[-1]
    shown = protected_cube(frames, period=period, source=source, taxonomy=taxonomy,
                           settings=settings).copy()
    caught = 0
    secondary = shown.index[shown["suppression"] == "secondary"][:12]
    assert len(secondary)
    for row in secondary:
        mutated = shown.copy()
        mutated.loc[row, ["suppressed", "suppression"]] = [False, ""]
        cells, relations = cube_release(frames, period=period, source=source,
                                        taxonomy=taxonomy, settings=settings, shown=mutated)
        caught += not audit(cells, relations, protection=settings.suppress_below).passed
    # a box has no spare corner: putting any one back opens it (a cell hidden by two boxes may
    # be spared, so most, not all, are caught)
    assert caught >= len(secondary) // 2


def test_labels_that_tell_small_cells_apart_disclose_them(demo) -> None:
    frames, taxonomy, settings = demo
    source, period = "incidents", count_periods(frames, "incidents")[-1]
    cells, relations = cube_release(frames, period=period, source=source, taxonomy=taxonomy,
                                    settings=settings, labels="reasons")
    result = audit(cells, relations, protection=settings.suppress_below)
    small = {c["cell"] for c in cells if not c["shown"] and c["high"] == settings.suppress_below - 1}
    assert small and small <= set(result.disclosed["cell"])  # "<5" itself says one to four


def test_kommun_and_county_time_tables_together_narrow_nothing(tmp_path_factory) -> None:
    """Every kommun's weekday × time table and the county's (their sum), protected together:
    no hidden cell of them follows from setting them side by side."""
    from lagesbild.analysis.audit import Relation

    frames, _, taxonomy, settings = demo_inputs(tmp_path_factory)
    cells, relations = when_release(frames, period="2024", taxonomy=taxonomy, settings=settings)
    own = [r for r in relations if not any(c.startswith("pyramid|") for c, _ in r.terms)]
    assert all(isinstance(r, Relation) for r in own) and len(own) < len(relations)
    result = audit(cells, own, protection=settings.suppress_below)
    assert result.passed, result.disclosed.head().to_dict("records")


def test_time_tables_with_the_incident_cube_narrow_nothing(tmp_path_factory) -> None:
    frames, _, taxonomy, settings = demo_inputs(tmp_path_factory)
    shown = protected_cube(frames, period="2024", source="incidents", taxonomy=taxonomy,
                           settings=settings)
    cube_cells, cube_relations = cube_release(frames, period="2024", source="incidents",
                                              taxonomy=taxonomy, settings=settings, shown=shown)
    cells, relations = when_release(frames, period="2024", taxonomy=taxonomy, settings=settings)
    result = audit(cube_cells + cells, cube_relations + relations,
                   protection=settings.suppress_below)
    assert result.passed


def test_one_county_is_the_whole_release_restricted_to_it(tmp_path_factory) -> None:
    frames, specs, taxonomy, settings = demo_inputs(tmp_path_factory)
    whole = release_audit(frames, taxonomy=taxonomy, settings=settings, specs=specs,
                          periods=["2024"])
    county = release_audit(frames, taxonomy=taxonomy, settings=settings, specs=specs,
                           periods=["2024"], county="24")
    # the demo is one county: the same hidden cells either way, and none of another county
    assert sorted(county.cells["cell"]) == sorted(whole.cells["cell"]) and county.passed
    other = release_audit(frames, taxonomy=taxonomy, settings=settings, specs=specs,
                          periods=["2024"], county="25")
    assert other.cells.empty
