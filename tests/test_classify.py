"""Class breaks for choropleths: the string-keyed façade over mapclassify."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lagesbild.analysis.classify import SCHEMES, class_breaks, class_of
from lagesbild.core.errors import InputError

TEN = pd.Series(np.arange(1.0, 11.0))


def test_unknown_scheme_lists_the_valid_ones() -> None:
    with pytest.raises(InputError) as info:
        class_breaks(TEN, scheme="jenks_magic")
    text = str(info.value)
    assert "jenks_magic" in text and info.value.field == "scheme"
    for name in SCHEMES:
        assert name in text


def test_quantiles_match_numpy() -> None:
    assert class_breaks(TEN, scheme="quantiles", k=5) == pytest.approx(
        np.quantile(TEN, [0.2, 0.4, 0.6, 0.8, 1.0]).tolist())


def test_equal_interval_by_hand() -> None:
    assert class_breaks(TEN, scheme="equal_interval", k=3) == pytest.approx([4.0, 7.0, 10.0])


@pytest.mark.parametrize("scheme", ["natural_breaks", "fisher_jenks"])
def test_clustered_values_break_between_clusters(scheme: str) -> None:
    values = pd.Series([1, 5, 9, 20, 21, 22, 50, 51, 52, 90.0])
    breaks = class_breaks(values, scheme=scheme, k=3)
    assert breaks[-1] == 90.0 and len(breaks) == 3
    assert breaks == sorted(breaks)


def test_fewer_distinct_values_than_classes() -> None:
    assert class_breaks(pd.Series([3.0, 1.0, 1.0, 3.0, 2.0]), k=5) == [1.0, 2.0, 3.0]
    assert class_breaks(pd.Series([7.0] * 4), k=5) == [7.0]


def test_missing_values_are_ignored() -> None:
    values = pd.Series(pd.array([1.0, None, 2.0, None], dtype="Float64"))
    assert class_breaks(values, k=5) == [1.0, 2.0]
    assert class_breaks(pd.Series([np.nan, None], dtype="float64"), k=5) == []
    assert class_breaks(pd.Series(["3,5", "x", 4], dtype="object"), k=5) == [4.0]


def test_ties_give_fewer_breaks_without_warning() -> None:
    values = pd.Series([1.0] * 8 + [2.0, 3.0, 4.0, 5.0, 6.0, 7.0])
    breaks = class_breaks(values, scheme="quantiles", k=5)
    assert breaks == sorted(set(breaks)) and breaks[-1] == 7.0 and breaks[0] == 1.0


def test_a_heavy_tie_keeps_its_class_and_the_rest_is_cut_into_the_classes_left() -> None:
    # DeSO rates: most areas have no incident (0), the others spread out
    rest = np.random.default_rng(1).gamma(2.0, 1.0, 150)
    values = pd.Series([0.0] * 400 + list(rest))
    breaks = class_breaks(values, scheme="quantiles", k=5)
    assert len(breaks) == 5 and breaks[0] == 0.0 and breaks[-1] == float(rest.max())
    above = class_of(pd.Series(rest), breaks).value_counts()
    assert above.min() >= 30  # the 150 values above the tie fill the four classes left evenly
    # the plain quantiles would have given three classes: ≤ 0, a narrow one, and the rest
    assert len(np.unique(np.quantile(values, [0.2, 0.4, 0.6, 0.8, 1.0]))) == 3


def test_class_of_upper_bounds_are_inclusive() -> None:
    values = pd.Series([0.5, 1.0, 1.5, 2.0, 3.0, 99.0, np.nan], index=list("abcdefg"))
    classes = class_of(values, [1.0, 2.0, 3.0])
    assert classes.index.tolist() == list("abcdefg")
    assert str(classes.dtype) == "Int64"
    assert classes.iloc[:6].tolist() == [0, 0, 1, 1, 2, 2]  # above the top: the top class
    assert pd.isna(classes["g"])


@settings(max_examples=50, deadline=None)
@given(st.lists(st.one_of(st.floats(0, 1000, allow_nan=False), st.none()), min_size=1, max_size=40),
       st.sampled_from(sorted(SCHEMES)), st.integers(2, 7))
def test_every_value_falls_in_a_class_whose_bounds_hold(values: list[float | None], scheme: str,
                                                        k: int) -> None:
    series = pd.Series(values, dtype="float64")
    breaks = class_breaks(series, scheme=scheme, k=k)
    known = series.dropna()
    if known.empty:
        assert breaks == []
        return
    assert breaks == sorted(set(breaks)) and 1 <= len(breaks) <= k
    assert breaks[-1] == pytest.approx(known.max())
    classes = class_of(series, breaks)
    assert classes.isna().equals(series.isna())
    for v, c in zip(known, classes[known.index]):
        assert v <= breaks[c] + 1e-9
        assert c == 0 or v > breaks[c - 1]
