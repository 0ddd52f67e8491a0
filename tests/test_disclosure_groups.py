"""The additive groups found with integer codes are pandas' groups, in the same order."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from lagesbild.analysis import disclosure


def _groups_by_pandas(cells: pd.DataFrame, keys: list[str], additive: list[tuple[str, str]]):
    """The former implementation: pandas groupby per relation (the reference)."""
    groups = []
    for dim, total in additive:
        others = [k for k in keys if k != dim]
        is_total = (cells[dim].astype("string") == total).fillna(False).to_numpy(dtype=bool)
        group_ids = (cells.groupby(others, sort=False, dropna=False).ngroup().to_numpy()
                     if others else np.zeros(len(cells), dtype=np.int64))
        order = np.argsort(group_ids, kind="stable")
        bounds = np.flatnonzero(np.diff(group_ids[order])) + 1
        for part in np.split(order, bounds):
            totals, members = part[is_total[part]], part[~is_total[part]]
            if len(totals) and len(members):
                groups.append((totals, members))
    return groups


VALUES = st.sampled_from(["T", "K", "M", "a", "b", "_alla", None])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(VALUES, VALUES, VALUES), min_size=0, max_size=40),
       st.booleans())
def test_groups_are_pandas_groups_in_the_same_order(rows, arrow) -> None:
    cells = pd.DataFrame(rows, columns=["l1", "l2", "sex"], dtype="string[pyarrow]" if arrow
                         else object)
    keys = ["l1", "l2", "sex"]
    additive = [("sex", "T"), ("l2", "_alla"), ("l1", "_alla")]
    ours = disclosure._groups(cells, keys, additive)
    reference = _groups_by_pandas(cells, keys, additive)
    assert len(ours) == len(reference)
    for (t1, m1), (t2, m2) in zip(ours, reference):
        assert t1.tolist() == t2.tolist() and m1.tolist() == m2.tolist()


def test_one_key_and_no_other_key() -> None:
    cells = pd.DataFrame({"sex": ["K", "M", "T"]})
    [(totals, members)] = disclosure._groups(cells, ["sex"], [("sex", "T")])
    assert totals.tolist() == [2] and members.tolist() == [0, 1]
