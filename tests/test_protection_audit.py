"""After `disclosure.suppress`, the adversary's integer programs narrow no hidden cell, on random
small tables with random relations (K/M/T with victims of unknown sex, categories within a
level, kommuner within a county); the protection is deterministic and ignores row order."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from lagesbild.analysis.audit import Relation, audit, hidden_cell, shown_cell
from lagesbild.analysis.disclosure import suppress

ALL = "(alla)"
THRESHOLD = 5


@st.composite
def tables(draw):  # noqa: ANN001, ANN201
    """area × category × sex counts: T = K + M + unknown; categories sum to ALL; kommuner to
    the county "24" (when `county`). Returns (cells, keys, additive)."""
    areas = [f"24{i:02d}" for i in range(draw(st.integers(1, 4)))]
    cats = [f"c{i}" for i in range(draw(st.integers(1, 3)))]
    county = draw(st.booleans()) and len(areas) > 1
    small = st.one_of(st.integers(0, 5), st.integers(0, 30))
    rows = {}
    for a in areas:
        for c in cats:
            k, m, u = draw(small), draw(small), draw(st.integers(0, 2))
            rows[(a, c, "K")], rows[(a, c, "M")], rows[(a, c, "T")] = k, m, k + m + u
        for s in ("K", "M", "T"):
            rows[(a, ALL, s)] = sum(rows[(a, c, s)] for c in cats)
    if county:
        for c in [*cats, ALL]:
            for s in ("K", "M", "T"):
                rows[("24", c, s)] = sum(rows[(a, c, s)] for a in areas)
    cells = pd.DataFrame([(*k, v) for k, v in rows.items()],
                         columns=["area_id", "category", "sex", "count"])
    additive = [("sex", "T"), ("category", ALL)] + ([("area_id", "24")] if county else [])
    return cells, ["area_id", "category", "sex"], additive


def _release(out: pd.DataFrame, cells: pd.DataFrame, keys: list[str],
             additive: list[tuple[str, str]]) -> tuple[list[dict], list[Relation]]:
    """The published table as the adversary reads it, with the true relations (T >= K + M)."""
    value = {tuple(r[:-1]): int(r[-1]) for r in cells[[*keys, "count"]].itertuples(index=False)}
    name = {k: "|".join(k) for k in value}
    published = []
    for key, hidden in zip(cells[keys].itertuples(index=False, name=None), out["suppressed"]):
        maker = hidden_cell if hidden else shown_cell
        published.append(maker(name[key], "t", value[key]))
    relations = []
    for dim, total in additive:
        axis = keys.index(dim)
        groups: dict[tuple, list[tuple]] = {}
        for key in value:
            rest = key[:axis] + key[axis + 1:]
            groups.setdefault(rest, []).append(key)
        for rest, members in groups.items():
            totals = [m for m in members if m[axis] == total]
            parts = [m for m in members if m[axis] != total]
            if totals and parts:
                t = totals[0]
                sense = "==" if value[t] == sum(value[p] for p in parts) else ">="
                relations.append(Relation(((name[t], 1), *((name[p], -1) for p in parts)),
                                          sense))
    return published, relations


@settings(max_examples=60, deadline=None)
@given(tables(), st.randoms())
def test_after_protection_the_adversary_narrows_nothing(table, rnd) -> None:
    cells, keys, additive = table
    out = suppress(cells, keys=keys, threshold=THRESHOLD, additive=additive)
    published, relations = _release(out, cells, keys, additive)
    result = audit(published, relations, protection=THRESHOLD)
    assert result.passed, result.disclosed.to_dict("records")
    small = (cells["count"] >= 1) & (cells["count"] < THRESHOLD)
    assert out.loc[small, "suppressed"].all()
    # deterministic, and the same cells whatever the order of the rows
    again = suppress(cells, keys=keys, threshold=THRESHOLD, additive=additive)
    assert again["suppressed"].tolist() == out["suppressed"].tolist()
    order = list(range(len(cells)))
    rnd.shuffle(order)
    shuffled = suppress(cells.iloc[order].reset_index(drop=True), keys=keys,
                        threshold=THRESHOLD, additive=additive)
    by_key = dict(zip(cells[keys].itertuples(index=False, name=None), out["suppressed"]))
    assert {k: h for k, h in zip(shuffled[keys].itertuples(index=False, name=None),
                                 shuffled["suppressed"])} == by_key


def test_a_warm_start_without_an_answer_is_solved_again_from_scratch() -> None:
    """The table the property test above found: re-solved from the previous basis, HiGHS
    answered "Unknown" for one cell's minimum (the audit raised); from scratch the cell is
    unbounded below in the relaxation, and the audit passes."""
    rows = [("c0", "K", 0), ("c0", "M", 5), ("c0", "T", 5), ("c1", "K", 1), ("c1", "M", 0),
            ("c1", "T", 1), ("c2", "K", 1), ("c2", "M", 5), ("c2", "T", 7),
            (ALL, "K", 2), (ALL, "M", 10), (ALL, "T", 13)]
    cells = pd.DataFrame([("2400", *r) for r in rows],
                         columns=["area_id", "category", "sex", "count"])
    keys, additive = ["area_id", "category", "sex"], [("sex", "T"), ("category", ALL)]
    out = suppress(cells, keys=keys, threshold=THRESHOLD, additive=additive)
    assert out["suppressed"].any()
    published, relations = _release(out, cells, keys, additive)
    assert audit(published, relations, protection=THRESHOLD).passed


@st.composite
def nested_tables(draw):  # noqa: ANN001, ANN201
    """A kommun's small areas: DeSO (l2) within RegSO (l1) within the kommun, × sex, with
    victims of unknown sex in T; the shape `small_protect.protect_kommun` protects."""
    n_regso = draw(st.integers(1, 3))
    rows = {}
    for r in range(n_regso):
        desos = [f"D{r}{i}" for i in range(draw(st.integers(1, 3)))]
        for d in desos:
            k, m = draw(st.integers(0, 8)), draw(st.integers(0, 8))
            rows[(f"R{r}", d, "K")], rows[(f"R{r}", d, "M")] = k, m
            rows[(f"R{r}", d, "T")] = k + m + draw(st.integers(0, 2))
        for s in ("K", "M", "T"):
            rows[(f"R{r}", ALL, s)] = sum(rows[(f"R{r}", d, s)] for d in desos)
    for s in ("K", "M", "T"):
        rows[(ALL, ALL, s)] = sum(rows[(f"R{r}", ALL, s)] for r in range(n_regso))
    cells = pd.DataFrame([(*k, v) for k, v in rows.items()], columns=["l1", "l2", "sex", "count"])
    return cells, ["l1", "l2", "sex"], [("sex", "T"), ("l2", ALL), ("l1", ALL)]


@settings(max_examples=60, deadline=None)
@given(nested_tables())
def test_nested_small_area_tables_are_protected_too(table) -> None:
    cells, keys, additive = table
    out = suppress(cells, keys=keys, threshold=THRESHOLD, additive=additive)
    published, relations = _release(out, cells, keys, additive)
    result = audit(published, relations, protection=THRESHOLD)
    assert result.passed, result.disclosed.to_dict("records")
