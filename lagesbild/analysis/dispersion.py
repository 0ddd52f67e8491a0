"""Overdispersion: when an area's counts vary from year to year more than Poisson chance allows.

A rate's exact Poisson interval assumes that the count, given the rate, varies only by chance.
Real counts often vary more (one family's repeated reports, a changed police routine, a big
event), and the Poisson interval is then too narrow. For each area and sex, the layer's yearly
counts are tested against a constant rate with Pearson's dispersion test: X² = Σ (c_t − E_t)² /
E_t with E_t = e_t × Σc / Σe (e_t the population) has k − 1 degrees of freedom under Poisson;
φ = X² / (k − 1) estimates how many times the variance exceeds the Poisson variance. Where the
test rejects Poisson (p < 1 − confidence) and φ > 1, intervals are widened the quasi-Poisson way:
the exact interval of the count c / φ, scaled back by φ (the same interval a count with φ times
the variance has), and the figure's note says so. A real trend also raises X²: the widened
interval is then conservative, never falsely narrow.

Disclosure: only published counts enter (years hidden in an area are left out), so φ and the
widened interval are functions of published numbers only. At least `MIN_YEARS` shown years
are needed for a test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as sps

from lagesbild.analysis import stats
from lagesbild.analysis.memo import memoised
from lagesbild.core.frames import Frames
from lagesbild.core.layers import LayerSpec
from lagesbild.core.settings import Settings
from lagesbild.core.taxonomy import Taxonomy

MIN_YEARS = 3
COLUMNS = ["area_id", "sex", "phi", "p_value", "years", "overdispersed"]


def pearson_dispersion(counts: np.ndarray, exposures: np.ndarray) -> tuple[float, float]:
    """(φ, p-value) of Pearson's test of one constant rate over the years; NaN when it cannot
    be tested (fewer than MIN_YEARS years, no events, no exposure)."""
    c = np.asarray(counts, dtype="float64")
    e = np.asarray(exposures, dtype="float64")
    if len(c) < MIN_YEARS or c.sum() <= 0 or (e <= 0).any():
        return float("nan"), float("nan")
    expected = e * c.sum() / e.sum()
    x2 = float(((c - expected) ** 2 / expected).sum())
    df = len(c) - 1
    return x2 / df, float(sps.chi2.sf(x2, df))


def dispersion_table(series: pd.DataFrame, *, confidence: float) -> pd.DataFrame:
    """COLUMNS per area × sex from `series` (area_id, sex, period, count, population; shown
    counts only)."""
    rows = []
    usable = series.dropna(subset=["count", "population"])
    usable = usable[pd.to_numeric(usable["population"]) > 0]
    for (area, sex), part in usable.groupby(["area_id", "sex"], sort=True):
        phi, p = pearson_dispersion(pd.to_numeric(part["count"]).to_numpy(dtype="float64"),
                                    pd.to_numeric(part["population"]).to_numpy(dtype="float64"))
        over = bool(not np.isnan(p) and p < 1 - confidence and phi > 1)
        rows.append({"area_id": str(area), "sex": str(sex), "phi": phi, "p_value": p,
                     "years": ", ".join(sorted(part["period"].astype(str))),
                     "overdispersed": over})
    return pd.DataFrame(rows, columns=COLUMNS)


def layer_dispersion(frames: Frames, spec: LayerSpec, *, taxonomy: Taxonomy,
                     settings: Settings) -> pd.DataFrame:
    """`dispersion_table` of a count or incident layer over all its periods (memoised)."""
    return memoised(frames, ("dispersion", spec, taxonomy, settings),
                    lambda: _layer_dispersion(frames, spec, taxonomy=taxonomy, settings=settings))


def _layer_dispersion(frames: Frames, spec: LayerSpec, *, taxonomy: Taxonomy,
                      settings: Settings) -> pd.DataFrame:
    from lagesbild.analysis.figures import periods, population_for, protected_counts
    from lagesbild.analysis.time_coverage import part_year_table

    parts = []
    for period in periods(frames, spec):
        cells = protected_counts(frames, spec, period=period, taxonomy=taxonomy,
                                 settings=settings)
        cells = cells[~cells["suppressed"].astype(bool)]
        if spec.kind == "incident_rate":  # a part year's count is not a year's: left out
            part = part_year_table(frames, period)
            partial = set(part.loc[part["label"] != "", "area_id"].astype(str))
            cells = cells[~cells["area_id"].astype(str).isin(partial)]
        pop = population_for(frames, period)
        parts.append(cells[["area_id", "sex", "count"]].merge(pop, on=["area_id", "sex"],
                                                              how="left").assign(period=period))
    if not parts:
        return pd.DataFrame(columns=COLUMNS)
    return dispersion_table(pd.concat(parts, ignore_index=True), confidence=settings.confidence)


def widen(figures: pd.DataFrame, table: pd.DataFrame, *, per: float,
          confidence: float) -> pd.DataFrame:
    """`figures` (rates with count and denominator) with the intervals of overdispersed areas
    widened (module docstring) and a note that says so; other rows unchanged."""
    over = table[table["overdispersed"].astype(bool)].set_index(["area_id", "sex"])["phi"]
    if over.empty:
        return figures
    out = figures.copy()
    keys = list(zip(out["area_id"].astype(str), out["sex"].astype(str)))
    phi = pd.Series([over.get(k, np.nan) for k in keys], index=out.index, dtype="float64")
    shown = ~out["suppressed"].astype(bool) & phi.notna() & out["count"].notna() & \
        (pd.to_numeric(out["denominator"]) > 0)
    if not shown.any():
        return out
    c = pd.to_numeric(out.loc[shown, "count"]).astype("float64")
    f = phi[shown]
    low, high = stats.poisson_ci(c / f, confidence=confidence)
    pop = pd.to_numeric(out.loc[shown, "denominator"]).astype("float64")
    out.loc[shown, "ci_low"] = (low * f / pop * per).to_numpy()
    out.loc[shown, "ci_high"] = (high * f / pop * per).to_numpy()
    notes = [_note(p) for p in f]
    out.loc[shown, "note"] = [f"{n}; {x}" if n else x
                              for n, x in zip(out.loc[shown, "note"].fillna(""), notes)]
    return out


def _note(phi: float) -> str:
    shown = f"{phi:.1f}".replace(".", ",")
    return (f"intervallet vidgat: åren varierar mer än slumpen ger (spridning {shown} gånger "
            "Poissons, kvasi-Poisson)")
