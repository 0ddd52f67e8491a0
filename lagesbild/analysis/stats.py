"""Intervals: exact Poisson for counts and rates, Wilson for survey shares (in `core.intervals`,
re-exported here), and rates per population."""

from __future__ import annotations

import pandas as pd

from lagesbild.core.intervals import kish_n, poisson_ci, wilson_ci

__all__ = ["kish_n", "poisson_ci", "rate", "wilson_ci"]


def rate(count: pd.Series, population: pd.Series, *, per: float = 100_000,
         confidence: float = 0.95) -> pd.DataFrame:
    """Rate per `per` inhabitants with its exact Poisson interval, aligned to `count`'s index."""
    c = pd.to_numeric(count).astype("float64")
    p = pd.to_numeric(population).astype("float64").where(lambda s: s > 0)
    low, high = poisson_ci(c, confidence=confidence)
    return pd.DataFrame({
        "value": c / p * per, "ci_low": low / p.to_numpy() * per,
        "ci_high": high / p.to_numpy() * per,
    }, index=count.index)
