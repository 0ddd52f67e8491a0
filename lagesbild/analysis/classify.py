"""Class breaks for choropleths: a string-keyed façade over mapclassify."""

from __future__ import annotations

import warnings

import mapclassify
import numpy as np
import pandas as pd

from lagesbild.core.errors import InputError
from lagesbild.core.layers import SCHEME_NAMES

_CLASSIFIERS = {
    "quantiles": mapclassify.Quantiles,
    "equal_interval": mapclassify.EqualInterval,
    # Jenks' natural breaks, computed exactly (Fisher): the k-means NaturalBreaks is random and can
    # fail on clustered values, and a map must look the same every time it is drawn
    "natural_breaks": mapclassify.FisherJenks,
    "fisher_jenks": mapclassify.FisherJenks,
}
SCHEMES = {name: _CLASSIFIERS[name] for name in SCHEME_NAMES}  # every name a layer may give


def class_breaks(values: pd.Series, *, scheme: str = "quantiles", k: int = 5) -> list[float]:
    """Upper bounds of each class for the non-missing `values` (fewer classes if few values)."""
    if scheme not in SCHEMES:
        raise InputError(f"Okänd klassindelning '{scheme}'.", field="scheme",
                         fix=f"Välj en av: {', '.join(SCHEMES)}.")
    y = pd.to_numeric(values, errors="coerce").astype("float64").dropna().to_numpy()
    if len(y) == 0:
        return []
    distinct = np.unique(y)
    if len(distinct) <= k:
        return [float(v) for v in distinct]
    breaks = _bins(scheme, y, k)
    if scheme == "quantiles" and len(breaks) < k:
        breaks = _quantiles_past_ties(y, k)
    return breaks


def _bins(scheme: str, y: np.ndarray, k: int) -> list[float]:
    with warnings.catch_warnings():
        # mapclassify warns when quantile classes collapse on ties (we handle that ourselves)
        warnings.simplefilter("ignore", UserWarning)
        classifier = SCHEMES[scheme](y, k=k)
    return sorted({float(b) for b in classifier.bins})


def _quantiles_past_ties(y: np.ndarray, k: int) -> list[float]:
    """Quantile breaks when ties collapse classes (small areas: many rates of exactly 0): the
    lowest break keeps its class, and the values above it are cut into the classes left, until
    there are k classes or no more distinct values (deterministic, like the plain quantiles)."""
    breaks: list[float] = []
    rest = y
    while len(rest) and len(breaks) < k:
        left = k - len(breaks)
        distinct = np.unique(rest)
        if len(distinct) <= left:
            breaks += [float(v) for v in distinct]
            break
        bins = _bins("quantiles", rest, left)
        if len(bins) == left:
            breaks += bins
            break
        breaks.append(bins[0])
        rest = rest[rest > bins[0]]
    return sorted(set(breaks))


def class_of(values: pd.Series, breaks: list[float]) -> pd.Series:
    """Index of the class each value falls in (0-based), NA for missing values."""
    v = pd.to_numeric(values, errors="coerce").astype("float64")
    idx = np.searchsorted(np.asarray(breaks), v.to_numpy(), side="left")
    idx = np.minimum(idx, max(len(breaks) - 1, 0))
    return pd.Series(idx, index=values.index).where(v.notna()).astype("Int64")
