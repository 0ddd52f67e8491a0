"""Conditional permutation p-values (analysis.permutation) against hand counts and brute force."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings as hyp_settings, strategies as st

from lagesbild.analysis import permutation as pm


def brute_force(y: list[float], i: int, neighbours: list[int]) -> tuple[Fraction, Fraction]:
    """(lower, upper) tails of area i's neighbour sum over every permutation of the others'
    values into the other positions (the conditional permutation null, done the slow way)."""
    others = [p for p in range(len(y)) if p != i]
    observed = sum(Fraction(y[p]) for p in neighbours)
    at_most = at_least = total = 0
    for order in itertools.permutations([Fraction(y[p]) for p in others]):
        placed = dict(zip(others, order))
        s = sum(placed[p] for p in neighbours)
        at_most += s <= observed
        at_least += s >= observed
        total += 1
    return Fraction(at_most, total), Fraction(at_least, total)


def test_a_tiny_example_by_hand_with_ties() -> None:
    # area 0 has neighbours 1 and 2 (values 2 and 2: sum 4). The other values are 2, 2, 3, 5;
    # their six pairs sum to 4, 5, 7, 5, 7, 8: one sum at most 4, all six at least 4.
    y = [1.0, 2.0, 2.0, 3.0, 5.0]
    near = [[1, 2], [0, 2], [0, 1, 3], [2, 4], [3]]
    tests = pm.local_sum_tests(y, near)
    assert tests.exact.all()
    assert tests.lower[0] == pytest.approx(1 / 6) and tests.upper[0] == pytest.approx(1.0)
    assert tests.p_value[0] == pytest.approx(2 / 6)  # twice the smaller tail
    assert tests.direction[0] == -1
    for i in range(len(y)):
        lower, upper = brute_force(y, i, near[i])
        assert (tests.lower[i], tests.upper[i]) == pytest.approx((float(lower), float(upper)))
        assert tests.p_value[i] == pytest.approx(min(1.0, 2 * float(min(lower, upper))))


def test_ties_count_in_both_tails_and_the_p_value_is_capped_at_1() -> None:
    # the others 1, 2, 3, 4 in pairs: 3, 4, 5, 5, 6, 7; the observed 5 is tied with another
    lower, upper = pm.tails(5.0, np.array([3.0, 4.0, 5.0, 5.0, 6.0, 7.0]), exact=True)
    assert (lower, upper) == (4 / 6, 4 / 6)
    assert pm.two_sided(lower, upper) == 1.0  # 2 × 4/6 capped
    # sums equal but for rounding are ties: 0.1 + 0.2 is 0.30000000000000004
    assert pm.tails(0.3, np.array([0.1 + 0.2, 1.0]), exact=True) == (0.5, 1.0)
    # every value equal (areas without incidents): nothing is significant
    flat = pm.local_sum_tests(np.zeros(6), [[1], [0, 2], [1, 3], [2, 4], [3, 5], [4]])
    assert (flat.p_value == 1.0).all() and (flat.direction == 0).all()


def test_random_draws_count_the_observed_arrangement_once() -> None:
    # 999 draws, 4 at least as high: (4 + 1) / 1000; 995 at most as high: (995 + 1) / 1000
    draws = np.array([10.0] * 4 + [1.0] * 995)
    assert pm.tails(10.0, draws, exact=False) == (1.0, 5 / 1000)
    assert pm.two_sided(1.0, 5 / 1000) == pytest.approx(0.01)


def test_random_draws_approach_the_exact_distribution_and_are_seeded() -> None:
    rng = np.random.default_rng(3)
    y = rng.gamma(2.0, 10.0, size=12)
    near = [[(i + 1) % 12, (i - 1) % 12, (i + 5) % 12] for i in range(12)]
    exact = pm.local_sum_tests(y, near)
    assert exact.exact.all()
    drawn = pm.local_sum_tests(y, near, permutations=19_999, exact_limit=0, seed=5)
    assert not drawn.exact.any()
    np.testing.assert_allclose(drawn.upper, exact.upper, atol=0.02)
    np.testing.assert_allclose(drawn.lower, exact.lower, atol=0.02)
    again = pm.local_sum_tests(y, near, permutations=19_999, exact_limit=0, seed=5)
    np.testing.assert_array_equal(again.p_value, drawn.p_value)
    assert (drawn.p_value >= 2 / 20_000).all() and (drawn.p_value <= 1).all()


def test_the_exact_limit_decides_per_area() -> None:
    y = np.arange(1.0, 21.0)
    near = [[1], list(range(2, 10))] + [[0]] * 18  # 19 choose 1 and 19 choose 8 arrangements
    tests = pm.local_sum_tests(y, near, exact_limit=1000)
    assert math.comb(19, 1) <= 1000 < math.comb(19, 8)
    assert tests.exact[0] and not tests.exact[1]
    with pytest.raises(ValueError):
        pm.local_sum_tests(y, near[:3])


@hyp_settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=3, max_size=6), st.data())
def test_exact_tails_equal_brute_force_over_every_permutation(values: list[int], data) -> None:
    y = [float(v) for v in values]  # small integers: many ties
    n = len(y)
    near = [sorted(data.draw(st.sets(st.sampled_from([p for p in range(n) if p != i]),
                                     min_size=1, max_size=n - 1))) for i in range(n)]
    tests = pm.local_sum_tests(y, near)
    for i in range(n):
        lower, upper = brute_force(y, i, near[i])
        assert tests.lower[i] == pytest.approx(float(lower))
        assert tests.upper[i] == pytest.approx(float(upper))
        assert 0 < tests.p_value[i] <= 1
        assert tests.p_value[i] == pytest.approx(min(1.0, 2 * float(min(lower, upper))))


def test_benjamini_hochberg_by_hand() -> None:
    # sorted 0.01, 0.03, 0.04, 0.20 against 0.0125, 0.025, 0.0375, 0.05: only the first holds
    assert pm.bh_threshold(np.array([0.04, 0.01, 0.20, 0.03]), 0.05) == 0.01
    # every one under its line: the largest is the threshold
    assert pm.bh_threshold(np.array([0.01, 0.02, 0.03, 0.04]), 0.05) == 0.04
    # a later p under its line carries the earlier ones with it (step-up)
    assert pm.bh_threshold(np.array([0.02, 0.03, 0.035, 0.9]), 0.05) == 0.035
    assert pm.bh_threshold(np.array([0.5, 0.6]), 0.05) == -1.0
    assert pm.bh_threshold(np.array([]), 0.05) == -1.0


@hyp_settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.0001, 1.0), min_size=1, max_size=30), st.sampled_from([0.1, 0.05, 0.01]))
def test_benjamini_hochberg_rejects_no_more_than_the_plain_level(p: list[float], alpha: float) -> None:
    values = np.array(p)
    cut = pm.bh_threshold(values, alpha)
    rejected = values <= cut
    assert rejected.sum() <= (values <= alpha).sum()
    if rejected.any():  # the definition: k rejected, the k-th smallest under k alpha / m
        k = int(rejected.sum())
        assert np.sort(values)[k - 1] <= k * alpha / len(values) + 1e-12
