"""Intervals: exact Poisson for counts and rates, Wilson for shares, checked independently."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize
from scipy import stats as sps

from lagesbild.analysis.stats import poisson_ci, rate, wilson_ci


def _garwood(k: int, confidence: float = 0.95) -> tuple[float, float]:
    """Exact Poisson limits by root-finding on the Poisson CDF (no chi-square shortcut)."""
    alpha = 1 - confidence
    # upper: the mean at which seeing k or fewer has probability alpha/2
    high = optimize.brentq(lambda mu: sps.poisson.cdf(k, mu) - alpha / 2, 1e-12, 10 * k + 50)
    if k == 0:
        return 0.0, high
    # lower: the mean at which seeing k or more has probability alpha/2
    low = optimize.brentq(lambda mu: sps.poisson.sf(k - 1, mu) - alpha / 2, 1e-12, 10 * k + 50)
    return low, high


@pytest.mark.parametrize(("k", "low", "high"), [
    (0, 0.0, 3.689),  # textbook values at 95 %
    (1, 0.0253, 5.572),
    (5, 1.623, 11.668),
    (10, 4.795, 18.390),
])
def test_poisson_ci_textbook_values(k: int, low: float, high: float) -> None:
    lo, hi = poisson_ci(np.array([k]))
    assert lo[0] == pytest.approx(low, abs=1e-3)
    assert hi[0] == pytest.approx(high, abs=1e-3)


@pytest.mark.parametrize("confidence", [0.8, 0.9, 0.95, 0.99])
def test_poisson_ci_matches_root_finding(confidence: float) -> None:
    ks = np.array([0, 1, 2, 3, 4, 7, 19, 50, 333])
    lo, hi = poisson_ci(ks, confidence=confidence)
    for k, a, b in zip(ks, lo, hi):
        ref_lo, ref_hi = _garwood(int(k), confidence)
        assert a == pytest.approx(ref_lo, rel=1e-7, abs=1e-10)
        assert b == pytest.approx(ref_hi, rel=1e-7)


def test_poisson_ci_missing_count_gives_missing_interval() -> None:
    lo, hi = poisson_ci(pd.Series([3, None, 0], dtype="Int64"))
    assert np.isnan(lo[1]) and np.isnan(hi[1])
    assert lo[2] == 0.0 and hi[2] == pytest.approx(3.68888, abs=1e-4)
    assert not np.isnan(lo[0])


def test_rate_per_100000_with_scaled_interval() -> None:
    count = pd.Series([5, 0, 12], index=["a", "b", "c"])
    population = pd.Series([2_000, 4_000, 0], index=["a", "b", "c"])
    out = rate(count, population)
    assert list(out.index) == ["a", "b", "c"]
    assert out.loc["a", "value"] == pytest.approx(250.0)  # 5 / 2000 * 100 000
    assert out.loc["a", "ci_low"] == pytest.approx(1.62349 / 2000 * 100_000, rel=1e-5)
    assert out.loc["a", "ci_high"] == pytest.approx(11.66833 / 2000 * 100_000, rel=1e-5)
    assert out.loc["b", "value"] == 0.0
    assert out.loc["b", "ci_low"] == 0.0
    assert out.loc["b", "ci_high"] == pytest.approx(3.68888 / 4000 * 100_000, rel=1e-5)
    # no population: no rate rather than infinity
    assert out.loc["c", ["value", "ci_low", "ci_high"]].isna().all()


def test_rate_other_denominator() -> None:
    out = rate(pd.Series([30]), pd.Series([1_500]), per=1_000)
    assert out["value"].iloc[0] == pytest.approx(20.0)


def test_rate_hidden_count_gives_hidden_rate() -> None:
    out = rate(pd.Series([pd.NA, 8], dtype="Float64"), pd.Series([1000, 1000]))
    assert out.iloc[0].isna().all()
    assert out["value"].iloc[1] == pytest.approx(800.0)


@pytest.mark.parametrize(("k", "n"), [(0, 10), (10, 10), (1, 1), (7, 33), (120, 400), (1, 1600)])
def test_wilson_ci_matches_scipy(k: int, n: int) -> None:
    ref = sps.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    lo, hi = wilson_ci(np.array([k / n]), np.array([n]))
    assert lo[0] == pytest.approx(ref.low, abs=1e-12)
    assert hi[0] == pytest.approx(ref.high, abs=1e-12)


def test_wilson_ci_other_confidence_and_missing_n() -> None:
    ref = sps.binomtest(12, 40).proportion_ci(confidence_level=0.9, method="wilson")
    lo, hi = wilson_ci(pd.Series([0.3, 0.3]), pd.Series([40, None], dtype="Int64"), confidence=0.9)
    assert (lo[0], hi[0]) == pytest.approx((ref.low, ref.high))
    assert np.isnan(lo[1]) and np.isnan(hi[1])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 5000), min_size=1, max_size=30))
def test_poisson_interval_contains_count(ks: list[int]) -> None:
    lo, hi = poisson_ci(np.array(ks))
    k = np.array(ks, dtype=float)
    assert (lo <= k).all() and (k <= hi).all()
    assert (lo >= 0).all() and (lo[k == 0] == 0).all()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 3000), st.floats(0, 1)), min_size=1, max_size=20))
def test_wilson_interval_contains_share(pairs: list[tuple[int, float]]) -> None:
    n = np.array([p[0] for p in pairs], dtype=float)
    share = np.array([round(p[1] * p[0]) / p[0] for p in pairs])
    lo, hi = wilson_ci(share, n)
    assert (lo <= share + 1e-12).all() and (share <= hi + 1e-12).all()
    assert (lo >= -1e-12).all() and (hi <= 1 + 1e-12).all()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 500), st.integers(1, 100_000)), min_size=2, max_size=20),
       st.randoms(use_true_random=False))
def test_rates_do_not_depend_on_row_order(rows: list[tuple[int, int]], rnd: random.Random) -> None:
    frame = pd.DataFrame(rows, columns=["count", "population"])
    shuffled = frame.sample(frac=1.0, random_state=rnd.randint(0, 2**31))
    a = rate(frame["count"], frame["population"])
    b = rate(shuffled["count"], shuffled["population"]).loc[frame.index]
    pd.testing.assert_frame_equal(a, b)
    assert (a["ci_low"] <= a["value"]).all() and (a["value"] <= a["ci_high"]).all()
