"""Disclosure control: small cells hidden, and never recoverable from the totals that are shown."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from lagesbild.analysis.disclosure import display_count, suppress

from disclosure_support import differencing_attack, linear_attack, primary_cells

KEYS = ["area_id", "sex"]
ADDITIVE = [("sex", "T"), ("area_id", "24")]


def _cube(counts: dict[str, tuple[int, int]]) -> pd.DataFrame:
    """kommun -> (K, M); adds T = K + M and the county "24" as the sum over kommuner."""
    rows = []
    for area, (k, m) in counts.items():
        rows += [(area, "K", k), (area, "M", m), (area, "T", k + m)]
    ks = sum(k for k, _ in counts.values())
    ms = sum(m for _, m in counts.values())
    rows += [("24", "K", ks), ("24", "M", ms), ("24", "T", ks + ms)]
    return pd.DataFrame(rows, columns=["area_id", "sex", "count"])


def test_primary_suppression_hides_1_to_4_and_shows_0_and_5() -> None:
    cells = pd.DataFrame({"area_id": list("abcdefg"), "sex": "T", "count": [0, 1, 2, 3, 4, 5, 40],
                          "value": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 40.0],
                          "ci_low": 0.5, "ci_high": 9.0, "other": "x"})
    out = suppress(cells, keys=KEYS, threshold=5)
    assert out["suppressed"].tolist() == [False, True, True, True, True, False, False]
    assert out["suppression"].tolist() == ["", "small", "small", "small", "small", "", ""]
    assert out["count"].isna().tolist() == out["suppressed"].tolist()
    for col in ("value", "ci_low", "ci_high"):
        assert out[col].isna().tolist() == out["suppressed"].tolist()
    assert out["count"].tolist()[0] == 0 and out["count"].tolist()[-1] == 40
    assert out["other"].tolist() == ["x"] * 7  # non-revealing columns untouched
    assert cells["count"].tolist() == [0, 1, 2, 3, 4, 5, 40]  # input not changed


def test_threshold_is_configurable() -> None:
    cells = pd.DataFrame({"area_id": ["a", "b", "c"], "sex": "T", "count": [2, 3, 10]})
    out = suppress(cells, keys=KEYS, threshold=3)
    assert out["suppressed"].tolist() == [True, False, False]


def test_secondary_hides_the_smallest_other_member() -> None:
    # kommun a: K = 3 is small; M = 10 must go too or T - M gives K away
    cells = pd.DataFrame({"area_id": "a", "sex": ["K", "M", "T"], "count": [3, 10, 13]})
    out = suppress(cells, keys=KEYS, threshold=5, additive=[("sex", "T")])
    assert out["suppression"].tolist() == ["small", "secondary", ""]
    assert out["count"].iloc[2] == 13


def test_secondary_is_never_a_zero_partner() -> None:
    # a = 1 is small. Hiding b = 0 as its partner would leave a + b = 31 - 30 = 1 and, with
    # a shown as "<5" (so at least 1), give a = 1 away; the partner must be c = 30.
    cells = pd.DataFrame({"area_id": ["a", "b", "c", "24"], "sex": "T", "count": [1, 0, 30, 31]})
    out = suppress(cells, keys=KEYS, threshold=5, additive=[("area_id", "24")])
    assert out["suppression"].tolist() == ["small", "", "secondary", ""]


def test_zero_partner_only_when_nothing_else_is_left() -> None:
    # T also counts victims of unknown sex (7 here), so K + M < T; M = 0 is the only partner
    cells = pd.DataFrame({"area_id": "a", "sex": ["K", "M", "T"], "count": [2, 0, 9]})
    out = suppress(cells, keys=KEYS, threshold=5, additive=[("sex", "T")])
    # read as T = K + M (what the reader may assume), the zero M cannot let K vary by 4: the
    # box of K and T can (K anywhere from 0 to 9 whatever the unknown-sex victims)
    assert out["suppression"].tolist() == ["small", "", "secondary"]


def test_hidden_total_with_all_members_shown_is_protected() -> None:
    # found by the differencing test: hiding kommun k0's T (as partner of k1's T = 4) left
    # k0's K and M shown, so T = K + M came back, then k1's T from the county total
    cells = _cube({"k0": (0, 6), "k1": (2, 2), "k2": (6, 8), "k3": (12, 2)})
    out = suppress(cells, keys=KEYS, threshold=5, additive=ADDITIVE)
    assert not differencing_attack(out, KEYS, ADDITIVE) & primary_cells(out)
    k0 = out[out["area_id"] == "k0"].set_index("sex")["suppressed"]
    if k0["T"]:
        assert k0["K"] or k0["M"]


def test_lone_small_member_hides_total_when_nothing_else_is_left() -> None:
    cells = pd.DataFrame({"area_id": ["a", "a"], "sex": ["K", "T"], "count": [2, 9]})
    out = suppress(cells, keys=KEYS, threshold=5, additive=[("sex", "T")])
    assert out["suppression"].tolist() == ["small", "secondary"]


def test_nothing_small_nothing_hidden() -> None:
    cells = _cube({"a": (10, 20), "b": (0, 7)})
    out = suppress(cells, keys=KEYS, threshold=5, additive=ADDITIVE)
    assert not out["suppressed"].any()
    assert out["count"].tolist() == cells["count"].tolist()


def test_empty_input_and_missing_counts() -> None:
    empty = suppress(pd.DataFrame({"area_id": [], "sex": [], "count": []}), keys=KEYS, threshold=5,
                     additive=ADDITIVE)
    assert empty.empty and {"suppressed", "suppression"} <= set(empty.columns)
    # a missing M is still the only partner left for the small K
    cells = pd.DataFrame({"area_id": "a", "sex": ["K", "M", "T"],
                          "count": pd.array([2, None, 9], dtype="Int64")})
    out = suppress(cells, keys=KEYS, threshold=5, additive=[("sex", "T")])
    assert out["suppression"].tolist() == ["small", "", "secondary"]


small_counts = st.one_of(st.integers(0, 6), st.integers(0, 40))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(small_counts, small_counts), min_size=1, max_size=7),
       st.sampled_from([3, 5, 10]))
def test_differencing_attack_never_recovers_a_small_cell(pairs: list[tuple[int, int]],
                                                         threshold: int) -> None:
    cells = _cube({f"24{i:02d}": km for i, km in enumerate(pairs)})
    out = suppress(cells, keys=KEYS, threshold=threshold, additive=ADDITIVE)
    counts = cells["count"].to_numpy()
    primary = primary_cells(out)
    assert primary == set(np.flatnonzero((counts >= 1) & (counts < threshold)).tolist())
    assert not differencing_attack(out, KEYS, ADDITIVE) & primary
    # the stronger attacker: any chain of additions and subtractions over the shown totals
    assert not linear_attack(out, KEYS, ADDITIVE) & primary


# found by random search: the singleton rule alone left a small cell of k1 recoverable
# through a chain of category, sex and county totals (no single group had one hidden cell)
CHAIN = [[(6, 5), (8, 0), (6, 4), (0, 4)], [(6, 3), (30, 30), (2, 30), (1, 0)],
         [(6, 0), (2, 3), (6, 12), (12, 5)]]


@settings(max_examples=30, deadline=None)
@example(CHAIN)
@given(st.lists(st.lists(st.tuples(small_counts, small_counts), min_size=2, max_size=4),
                min_size=2, max_size=4).filter(lambda rows: len({len(r) for r in rows}) == 1))
def test_three_way_cube_small_cells_not_recoverable(table: list[list[tuple[int, int]]]) -> None:
    """area × category × sex with category totals ("alla"), sex totals and county totals."""
    rows = []
    for a, cats in enumerate(table):
        for c, (k, m) in enumerate(cats):
            rows += [(f"k{a}", f"c{c}", "K", k), (f"k{a}", f"c{c}", "M", m),
                     (f"k{a}", f"c{c}", "T", k + m)]
    frame = pd.DataFrame(rows, columns=["area_id", "category", "sex", "count"])
    alla = frame.groupby(["area_id", "sex"], as_index=False)["count"].sum().assign(category="alla")
    frame = pd.concat([frame, alla], ignore_index=True)
    county = frame.groupby(["category", "sex"], as_index=False)["count"].sum().assign(area_id="24")
    frame = pd.concat([frame, county], ignore_index=True)
    keys = ["area_id", "category", "sex"]
    additive = [("sex", "T"), ("category", "alla"), ("area_id", "24")]
    out = suppress(frame, keys=keys, threshold=5, additive=additive)
    primary = primary_cells(out)
    assert not differencing_attack(out, keys, additive) & primary
    assert not linear_attack(out, keys, additive) & primary


@pytest.mark.parametrize(("count", "suppression", "expected"), [
    (None, "small", ".."), (pd.NA, "secondary", ".."), (0, "", "0"), (7, "", "7"),
    (12345, "", "12\u00a0345"), (pd.NA, "", "–"), (None, "", "–"),
])
def test_display_count(count: object, suppression: str, expected: str) -> None:
    assert display_count(count, suppression, threshold=5) == expected


def test_display_count_uses_threshold() -> None:
    assert display_count(None, "small", threshold=3) == ".."  # one symbol whatever the limit


def test_every_county_protects_its_own_kommuner() -> None:
    """Two counties: a small kommun cell in one cannot be recovered from its county's total,
    and the other county is left alone (a national workspace has 21 of them)."""
    from lagesbild.analysis.disclosure import suppress_by_county

    cells = pd.DataFrame({"area_id": ["0101", "0102", "01", "0201", "0202", "02"],
                          "count": [3, 20, 23, 30, 40, 70]})
    out = suppress_by_county(cells, keys=["area_id"], threshold=5, counties=["01", "02"])
    assert out["suppressed"].tolist() == [True, True, False, False, False, False]
    assert out["suppression"].tolist() == ["small", "secondary", "", "", "", ""]
    assert out.index.equals(cells.index)
    # the attack the old single-county rule allowed: county total minus the shown kommun
    shown = out.set_index("area_id")["count"]
    assert pd.isna(shown["0102"]) and shown["01"] == 23


def test_every_county_with_a_primary_mask_and_sex_split() -> None:
    from lagesbild.analysis.disclosure import suppress_by_county

    rows = [(a, s, n) for a, ns in {"0101": (10, 20, 30), "0102": (40, 50, 90), "01": (50, 70, 120),
                                     "0201": (5, 6, 11), "0202": (7, 8, 15), "02": (12, 14, 26)}.items()
            for s, n in zip("KMT", ns)]
    cells = pd.DataFrame(rows, columns=["area_id", "sex", "count"])
    primary = ((cells["area_id"] == "0101") & (cells["sex"] == "K")).to_numpy()
    out = suppress_by_county(cells, keys=["area_id", "sex"], threshold=5, counties=["01", "02"],
                             additive=[("sex", "T")], primary=primary)
    hidden = {(a, s) for a, s, h in zip(out["area_id"], out["sex"], out["suppressed"]) if h}
    groups = [[(a, s) for s in "KMT"] for a in ("0101", "0102", "01")]
    groups += [[("0101", s), ("0102", s), ("01", s)] for s in "KMT"]
    assert ("0101", "K") in hidden and not any(a.startswith("02") for a, _ in hidden)
    for group in groups:
        assert sum(cell in hidden for cell in group) != 1, (group, sorted(hidden))
