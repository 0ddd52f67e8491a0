"""The adversary's solver (analysis/audit.py) on hand-made tables whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lagesbild.analysis.audit import (Relation, at_least, audit, hidden_cell, shown_cell,
                                      total_of)

SMALL = {"low": 1, "high": 4}  # what "<5" says
DOLD = {"zero_or_at_least": 5}  # what "dold" says when small cells carry their own label


def test_level_total_and_two_small_categories_pin_both_to_one() -> None:
    # the example: total 66, shown categories 64, two "<5" categories: both are 1
    cells = [shown_cell("tot", "pyramid", 66), shown_cell("a", "pyramid", 40),
             shown_cell("b", "pyramid", 24), hidden_cell("c", "pyramid", 1, **SMALL),
             hidden_cell("d", "pyramid", 1, **SMALL)]
    result = audit(cells, [total_of("tot", ["a", "b", "c", "d"])])
    got = result.cells.set_index("cell")
    assert got.loc["c", ["low", "high"]].tolist() == [1, 1]
    assert got.loc["d", ["low", "high"]].tolist() == [1, 1]
    assert not result.passed and len(result.disclosed) == 2


def test_the_same_table_with_one_symbol_for_every_hidden_cell_still_leaks_by_subtraction() -> None:
    # without the label, only non-negativity: c + d = 2, so each lies in 0..2 (too narrow)
    cells = [shown_cell("tot", "t", 66), shown_cell("a", "t", 40), shown_cell("b", "t", 24),
             hidden_cell("c", "t", 1), hidden_cell("d", "t", 1)]
    got = audit(cells, [total_of("tot", ["a", "b", "c", "d"])]).cells.set_index("cell")
    assert got.loc["c", ["low", "high"]].tolist() == [0, 2]


def test_a_large_hidden_partner_protects() -> None:
    cells = [shown_cell("tot", "t", 66), shown_cell("a", "t", 40), hidden_cell("b", "t", 24),
             hidden_cell("c", "t", 1), shown_cell("d", "t", 1)]
    result = audit(cells, [total_of("tot", ["a", "b", "c", "d"])])
    got = result.cells.set_index("cell")
    assert got.loc["c", ["low", "high"]].tolist() == [0, 25]
    assert result.passed


def test_weekday_row_with_a_five_three_small_cells_and_a_total_of_eight() -> None:
    # the county's weekday row: 5 shown, three "<5", row total 8 -> all three are exactly 1
    cells = [shown_cell("row", "when", 8), shown_cell("b0", "when", 5)]
    cells += [hidden_cell(f"b{i}", "when", 1, **SMALL) for i in (1, 2, 3)]
    got = audit(cells, [total_of("row", ["b0", "b1", "b2", "b3"])]).cells
    assert got["low"].tolist() == got["high"].tolist() == [1, 1, 1]


def test_dold_means_zero_or_at_least_five() -> None:
    # total 7 = shown 2 + "dold" + "<5": dold cannot be 1..4, so it is 5 and the small one 0?
    # no: "<5" is 1..4, so dold = 7 - 2 - small >= 5 forces small = ... only dold 5, small 0 is
    # excluded, hence no solution except dold in {0} (then small = 5: impossible) -> small must be
    # 0 or dold = 5 with small 0: the labels allow dold = 5 only with small = 0, which "<5"
    # forbids. The published table below is consistent: total 9 = 2 + dold 5 + small 2.
    cells = [shown_cell("tot", "t", 9), shown_cell("a", "t", 2),
             hidden_cell("s", "t", 5, **DOLD), hidden_cell("x", "t", 2, **SMALL)]
    got = audit(cells, [total_of("tot", ["a", "s", "x"])]).cells.set_index("cell")
    # s + x = 7, x in 1..4, s = 0 or s >= 5: s in {5, 6}, x in {1, 2}
    assert got.loc["s", ["low", "high"]].tolist() == [5, 6]
    assert got.loc["x", ["low", "high"]].tolist() == [1, 2]


def test_unknown_sex_makes_t_at_least_k_plus_m() -> None:
    # T = 9 shown, K hidden, M = 3 shown: with T = K + M, K is 6; with T >= K + M it is 0..6
    cells = [shown_cell("T", "t", 9), hidden_cell("K", "t", 4), shown_cell("M", "t", 3)]
    exact = audit(cells, [total_of("T", ["K", "M"])]).cells.set_index("cell")
    assert exact.loc["K", ["low", "high"]].tolist() == [6, 6]
    cells[1] = hidden_cell("K", "t", 4)
    loose = audit(cells, [at_least("T", ["K", "M"])], exact=True).cells.set_index("cell")
    assert loose.loc["K", ["low", "high"]].tolist() == [0, 6]


def test_a_subset_layer_bounds_the_level_it_belongs_to() -> None:
    # level 3 hidden; violence in close relationships (a subset of it) shown as 12; level 3 of
    # the other sex and T shown: 3 <= ... the subset alone gives level3_K >= 12
    cells = [shown_cell("T", "t", 20), hidden_cell("K", "t", 14), hidden_cell("M", "t", 6),
             shown_cell("rel_K", "relation", 12)]
    got = audit(cells, [total_of("T", ["K", "M"]), at_least("K", ["rel_K"])], exact=True).cells
    got = got.set_index("cell")
    assert got.loc["K", ["low", "high"]].tolist() == [12, 20]
    assert got.loc["M", ["low", "high"]].tolist() == [0, 8]


def test_a_cell_published_in_two_tables_is_one_unknown() -> None:
    # hidden in the kommun view, shown in the county view: it is known
    cells = [hidden_cell("k1", "kommun", 3, **SMALL), shown_cell("k1", "county", 3),
             shown_cell("lan", "county", 10), hidden_cell("k2", "kommun", 7)]
    result = audit(cells, [total_of("lan", ["k1", "k2"])])
    assert result.cells["cell"].tolist() == ["k2"]
    assert result.cells.iloc[0][["low", "high"]].tolist() == [7, 7]
    assert result.by_table().set_index("table").loc["kommun", "disclosed"] == 1


def test_unbounded_cells_are_protected() -> None:
    cells = [hidden_cell("tot", "t", 9), hidden_cell("a", "t", 4), shown_cell("b", "t", 5)]
    result = audit(cells, [total_of("tot", ["a", "b"])], exact=True)
    got = result.cells.set_index("cell")
    assert got.loc["a", "low"] == 0 and got.loc["a", "high"] == np.inf
    assert got.loc["tot", "low"] == 5 and result.passed


def test_labels_that_contradict_the_truth_are_a_bug() -> None:
    with pytest.raises(ValueError, match="contradict"):
        audit([hidden_cell("a", "t", 7, **SMALL)], [])
    with pytest.raises(ValueError, match="break a relation"):
        audit([shown_cell("t", "t", 3), shown_cell("a", "t", 2)], [total_of("t", ["a"])])
    with pytest.raises(ValueError, match="sense"):
        Relation((("a", 1),), "<=")


def test_integer_answer_where_the_relaxation_is_fractional() -> None:
    # x + y = 1, y + z = 1, x + z = 1 has only the fractional solution 1/2 each over the
    # reals; with one more unknown w in each relation the integers differ from the relaxation
    cells = [shown_cell("r1", "t", 3), shown_cell("r2", "t", 3), shown_cell("r3", "t", 3),
             hidden_cell("x", "t", 1), hidden_cell("y", "t", 2), hidden_cell("z", "t", 1),
             shown_cell("w", "t", 0)]
    rel = [total_of("r1", ["x", "y"]), total_of("r2", ["y", "z", "w"]), Relation(
        (("r3", 1), ("x", -2), ("z", -1)), "==")]
    got = audit(cells, rel).cells.set_index("cell")
    # x + y = 3, y + z = 3, 2x + z = 3 -> x = z, 3x = 3: x = 1, y = 2, z = 1
    assert got["low"].to_dict() == got["high"].to_dict() == {"x": 1, "y": 2, "z": 1}


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 9), min_size=2, max_size=5),
       st.lists(st.booleans(), min_size=5, max_size=5), st.booleans())
def test_ranges_equal_brute_force_on_small_tables(values: list[int], hide: list[bool],
                                                   small_label: bool) -> None:
    """One total and its members: the solver's range is the brute-force range of the same
    constraints (every combination of hidden values up to the total)."""
    total = sum(values)
    names = [f"m{i}" for i in range(len(values))]
    hidden = [h for h in hide[:len(values)]]
    cells = [shown_cell("tot", "t", total)]
    for name, value, h in zip(names, values, hidden):
        if not h:
            cells.append(shown_cell(name, "t", value))
        elif small_label and 1 <= value <= 4:
            cells.append(hidden_cell(name, "t", value, **SMALL))
        else:
            cells.append(hidden_cell(name, "t", value))
    result = audit(cells, [total_of("tot", names)], exact=True).cells.set_index("cell")
    quick = audit(cells, [total_of("tot", names)]).cells.set_index("cell")
    labels = {c["cell"]: (c["low"], c["high"]) for c in cells if not c["shown"]}
    free = list(labels)
    rest = total - sum(v for n, v, h in zip(names, values, hidden) if not h)
    seen: dict[str, set[int]] = {n: set() for n in free}
    for combo in _compositions(rest, len(free)):
        if all(labels[n][0] <= x <= labels[n][1] for n, x in zip(free, combo)):
            for n, x in zip(free, combo):
                seen[n].add(x)
    for n in free:
        assert (result.loc[n, "low"], result.loc[n, "high"]) == (min(seen[n]), max(seen[n]))
        # without `exact`: the same verdict, exact ranges for disclosed cells, feasible witnesses
        assert quick.loc[n, "disclosed"] == result.loc[n, "disclosed"]
        assert {quick.loc[n, "low"], quick.loc[n, "high"]} <= seen[n]
        if result.loc[n, "disclosed"]:
            assert (quick.loc[n, "low"], quick.loc[n, "high"]) == (min(seen[n]), max(seen[n]))


def _compositions(total: int, parts: int):  # noqa: ANN202
    """Every tuple of `parts` non-negative integers summing to `total`."""
    if parts <= 1:
        if parts == 1 or total == 0:
            yield (total,)[:parts]
        return
    for first in range(total + 1):
        for rest in _compositions(total - first, parts - 1):
            yield (first, *rest)
