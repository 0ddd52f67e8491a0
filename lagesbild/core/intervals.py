"""Confidence intervals every stage may need: exact Poisson for counts, Wilson for shares.

In `core` because readers use them too (a survey file with design weights or a design effect
gets its interval from the effective n when it is read); `analysis.stats` builds rates on them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats


def poisson_ci(count: pd.Series | np.ndarray, *, confidence: float = 0.95
               ) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Garwood) interval for a Poisson mean given observed counts; NaN where count is NaN."""
    k = np.asarray(pd.to_numeric(pd.Series(count)).astype("float64"), dtype=float)
    alpha = 1.0 - confidence
    with np.errstate(invalid="ignore"):
        low = np.where(k > 0, stats.chi2.ppf(alpha / 2, 2 * k) / 2, 0.0)
        high = stats.chi2.ppf(1 - alpha / 2, 2 * (k + 1)) / 2
    low = np.where(np.isnan(k), np.nan, low)
    return low, np.where(np.isnan(k), np.nan, high)


def wilson_ci(share: pd.Series | np.ndarray, n: pd.Series | np.ndarray, *,
              confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for proportions in [0, 1] from `n` respondents."""
    p = np.asarray(pd.to_numeric(pd.Series(share)).astype("float64"), dtype=float)
    m = np.asarray(pd.to_numeric(pd.Series(n)).astype("float64"), dtype=float)
    z = stats.norm.ppf(1 - (1 - confidence) / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        denom = 1 + z**2 / m
        centre = (p + z**2 / (2 * m)) / denom
        half = z * np.sqrt(p * (1 - p) / m + z**2 / (4 * m**2)) / denom
    return centre - half, centre + half


def kish_n(weights: np.ndarray) -> float:
    """Kish's effective sample size of weighted answers: (Σw)² / Σw²."""
    w = np.asarray(weights, dtype="float64")
    total = float((w ** 2).sum())
    return float(w.sum() ** 2 / total) if total > 0 else 0.0
