"""Conditional permutation p-values for local sums (Gi* and its kin), exact when small enough.

Under the conditional permutation null of a local statistic (Anselin 1995; Getis & Ord 1992)
the focal area keeps its own value and its k neighbours' values are k values drawn without
replacement from the other n - 1 areas. Gi* with binary weights is an increasing function of
the neighbours' sum (the focal value and the total are fixed), so its null distribution is that
of the sum of every k-subset of the other values.

- Exact: when there are at most `exact_limit` k-subsets, every one is enumerated and the
  one-sided p-values are the shares of subsets whose sum is at least (upper) or at most (lower)
  the observed sum. The observed arrangement is one of them, so neither is ever 0.
- Random: otherwise `permutations` k-subsets are drawn (seeded) and each one-sided p-value is
  (m + 1) / (R + 1), m the draws at least (at most) as extreme; this is a valid p-value too.

Ties count in both tails (a sum equal to the observed one is "as extreme"), so many equal values
(small areas without incidents: rate 0) make the test conservative, never liberal. The
two-sided p-value is twice the smaller tail, capped at 1.

esda's `p_sim` is not this. Its default ("directed") is the smaller tail alone, half a two-sided
p-value, so twice as many areas come out significant as the level says; its "two-sided" option
reflects the observed value's percentile through interpolated quantiles, which miscounts ties
and can exceed 1.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

EXACT_LIMIT = 20_000  # k-subsets enumerated at most per area; beyond it, random draws
_TIE = 1e-9  # relative tolerance: sums that differ by rounding alone are ties


@dataclass(frozen=True)
class LocalTests:
    """One entry per area: two-sided p, the lower and upper tails, and whether it is exact."""

    p_value: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    exact: np.ndarray

    @property
    def direction(self) -> np.ndarray:
        """+1 where the upper tail is the smaller one (a high sum), -1 the lower, 0 a draw."""
        return np.sign(self.lower - self.upper).astype(int)


def tails(observed: float, reference: np.ndarray, *, exact: bool,
          scale: float | None = None) -> tuple[float, float]:
    """(lower, upper) one-sided p-values of `observed` against the null sums `reference`.

    `exact`: `reference` is the whole null distribution, the observed arrangement included
    (shares); otherwise random draws without it ((m + 1) / (R + 1)). Ties count in both tails;
    `scale` (default: the largest absolute value involved) sets the tie tolerance.
    """
    ref = np.asarray(reference, dtype="float64")
    if scale is None:
        scale = max(abs(float(observed)), float(np.abs(ref).max(initial=0.0)))
    tol = _TIE * max(scale, 1.0)
    at_most = int((ref <= observed + tol).sum())
    at_least = int((ref >= observed - tol).sum())
    if exact:
        return at_most / len(ref), at_least / len(ref)
    return (at_most + 1) / (len(ref) + 1), (at_least + 1) / (len(ref) + 1)


def two_sided(lower: float | np.ndarray, upper: float | np.ndarray) -> float | np.ndarray:
    """Twice the smaller one-sided p-value, capped at 1."""
    return np.minimum(1.0, 2 * np.minimum(lower, upper))


def subset_count(others: int, k: int) -> int:
    """How many k-subsets of `others` values there are (the size of the exact distribution)."""
    return math.comb(others, k)


def _all_subsets(others: int, k: int) -> np.ndarray:
    count = subset_count(others, k)
    flat = np.fromiter(itertools.chain.from_iterable(itertools.combinations(range(others), k)),
                       dtype=np.intp, count=count * k)
    return flat.reshape(count, k)


def local_sum_tests(y: np.ndarray, neighbours: Sequence[Sequence[int]], *,
                    permutations: int = 999, seed: int = 2023,
                    exact_limit: int = EXACT_LIMIT) -> LocalTests:
    """Conditional permutation tests of each area's neighbour sum.

    `y`: the n values; `neighbours[i]`: positions of area i's neighbours (not i itself). An
    area whose neighbours are all the others has one arrangement only: p = 1. The random draws
    use their own generator (seeded), never numpy's global one.
    """
    y = np.asarray(y, dtype="float64")
    n = len(y)
    if len(neighbours) != n:
        raise ValueError("one neighbour list per value")
    lower, upper = np.ones(n), np.ones(n)
    exact = np.zeros(n, dtype=bool)
    sizes = [len(nb) for nb in neighbours]
    rng = np.random.default_rng(seed)
    drawn = None
    cache: dict[int, np.ndarray] = {}
    positions = np.arange(n)
    for i in range(n):
        k = sizes[i]
        others = y[positions != i]
        observed = float(y[list(neighbours[i])].sum()) if k else 0.0
        scale = float(np.sort(np.abs(others))[::-1][:k].sum()) if k else 0.0
        if subset_count(n - 1, k) <= exact_limit:
            if k not in cache:
                cache[k] = _all_subsets(n - 1, k)
            sums = others[cache[k]].sum(axis=1)
            exact[i] = True
        else:
            if drawn is None:  # the same subsets of positions for every area, relabelled below
                width = max(sizes)
                drawn = np.stack([rng.choice(n - 1, size=width, replace=False)
                                  for _ in range(permutations)])
            sums = others[rng.permutation(n - 1)][drawn[:, :k]].sum(axis=1)
        lower[i], upper[i] = tails(observed, sums, exact=exact[i], scale=scale)
    return LocalTests(np.asarray(two_sided(lower, upper), dtype="float64"), lower, upper, exact)


def bh_threshold(p_values: np.ndarray, alpha: float) -> float:
    """Benjamini–Hochberg: the largest p(j) with p(j) <= j * alpha / m; -1 when none is.

    Reject the hypotheses whose p-value is at most the threshold; the expected share of false
    rejections among the rejected is then at most alpha (Benjamini & Hochberg 1995; it holds
    under the positive dependence neighbouring tests have, Benjamini & Yekutieli 2001).
    """
    p = np.sort(np.asarray(p_values, dtype="float64"))
    p = p[np.isfinite(p)]
    if not len(p):
        return -1.0
    line = alpha * np.arange(1, len(p) + 1) / len(p)
    ok = np.flatnonzero(p <= line + 1e-12)
    return float(p[ok[-1]]) if len(ok) else -1.0
