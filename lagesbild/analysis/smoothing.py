"""Steadier rates for small kommuner: Empirical Bayes smoothing and pooled 3-year rates.

Both work on figures that have already passed disclosure control (`figures.layer_figures`) and
use nothing but what those figures publish, so neither can give a hidden count away:

- `empirical_bayes` shrinks each shown kommun rate toward the county's rate; the prior comes
  from the county total and the shown kommuner only, and hidden kommuner stay hidden.
- `rolling_rates` pools the published yearly figures of a window (default 3 years). A pooled
  cell is shown only when every one of its yearly cells is shown: otherwise the pooled count
  minus the shown years would give a hidden year (or, over several windows, a chain of
  differences would). So a pooled cell never says more than the yearly figures already say.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from lagesbild.analysis import disclosure, stats
from lagesbild.analysis.figures import FIGURE_COLUMNS, layer_figures, periods
from lagesbild.core.errors import InputError
from lagesbild.core.frames import Frames
from lagesbild.core.layers import LayerSpec
from lagesbild.core.settings import Settings
from lagesbild.core.taxonomy import Taxonomy

EB_NOTE = "utjämnad (Empirical Bayes)"
EB_COLUMNS = ["raw_value", "raw_ci_low", "raw_ci_high", "weight", "smoothed"]
RATE_KINDS = ("count_rate", "incident_rate")


def _num(value: float, digits: int) -> str:
    return f"{value:,.{digits}f}".replace(",", "\u00a0").replace(".", ",")


# --- Empirical Bayes ------------------------------------------------------------------------

def empirical_bayes(figures: pd.DataFrame, *, per: int, unit_level: str = "kommun",
                    parent_level: str = "lan") -> pd.DataFrame:
    """Global Empirical Bayes rates (Marshall 1991, `esda.smoothing.Empirical_Bayes`) per kommun.

    `figures` are a rate layer's figures (FIGURE_COLUMNS; count and denominator = population),
    e.g. from `layer_figures` or `rolling_rates`. Returns the same rows and columns plus
    EB_COLUMNS: every shown kommun rate is replaced by its smoothed rate per `per`
    (``smoothed`` True, ``raw_value``/``raw_ci_*`` keep the published rate and its interval,
    ``weight`` is the share of the kommun's own rate in the smoothed one, ``note`` says
    "utjämnad (Empirical Bayes)"). The smoothed rows have no interval (ci_low/ci_high NA): the
    method-of-moments prior has no exact interval and a plug-in one would be too narrow.
    County rows and rows without a rate are returned unchanged (``smoothed`` False).
    For areas below the kommun, `unit_level` is their level (e.g. "deso") and `parent_level`
    "kommun": the rates are pulled toward their kommun's.

    Disclosure: a hidden kommun stays hidden (value NA, same display), and no hidden count is
    used, even if the frame carried one. The prior is the county's rate (its count and
    population are published) and the spread of the shown kommun rates around it, with the
    hidden kommuner entering as one pooled area: the county total minus the shown kommuner,
    which anyone can compute from the published figures. So every number returned is a
    function of published numbers only. With no single shown county row, the prior comes
    from the shown kommuner alone (``attrs["prior_source"]`` says which).
    """
    if not figures["unit"].astype("string").str.fullmatch(r"per\d+").fillna(False).all():
        raise ValueError("empirical_bayes: only rate figures (unit per...) can be smoothed")
    out = figures.copy()
    hidden = out["suppressed"].astype(bool).to_numpy()
    for col in disclosure.REVEALING:  # a hidden count stays hidden, whatever the frame carried
        out[col] = out[col].astype("Float64" if col != "count" else "Int64").mask(hidden)
    count = pd.to_numeric(out["count"]).astype("float64").to_numpy()
    pop = pd.to_numeric(out["denominator"]).astype("float64").to_numpy()
    level = out["level"].astype("string").to_numpy()
    with np.errstate(invalid="ignore"):
        use = (level == unit_level) & ~hidden & ~np.isnan(count) & (pop > 0)
    events, at_risk = list(count[use]), list(pop[use])
    county = (level == parent_level)
    source = "kommuner"
    if county.sum() == 1 and not hidden[county].any():
        rest_e = float(count[county][0]) - sum(events)
        rest_b = float(pop[county][0]) - sum(at_risk)
        if rest_e >= 0 and rest_b > 0:  # the hidden (and unpopulated) kommuner as one area
            source = "län" if parent_level == "lan" else parent_level
            events.append(rest_e)
            at_risk.append(rest_b)
        elif rest_e == 0 and rest_b == 0:  # every kommun is shown: nothing left over
            source = "län" if parent_level == "lan" else parent_level
    out["raw_value"] = out["value"].astype("Float64")
    out["raw_ci_low"] = out["ci_low"].astype("Float64")
    out["raw_ci_high"] = out["ci_high"].astype("Float64")
    out["weight"] = pd.array([pd.NA] * len(out), dtype="Float64")
    out["smoothed"] = use
    prior_rate = prior_var = float("nan")
    if use.any():
        smoothed, weight, prior_rate, prior_var = _eb(np.array(events), np.array(at_risk))
        n = int(use.sum())
        rows = np.flatnonzero(use)
        value = out["value"].astype("Float64").to_numpy(copy=True)
        value[rows] = smoothed[:n] * per
        out["value"] = pd.array(value, dtype="Float64")
        weights = out["weight"].to_numpy(copy=True)
        weights[rows] = weight[:n]
        out["weight"] = pd.array(weights, dtype="Float64")
        for col in ("ci_low", "ci_high"):
            out[col] = out[col].astype("Float64").mask(use)
        notes = out["note"].fillna("").astype(str).to_numpy(copy=True)
        display = out["display"].astype(str).to_numpy(copy=True)
        for i, rate in zip(rows, smoothed[:n] * per):
            notes[i] = EB_NOTE + (f"; {notes[i]}" if notes[i] else "")
            display[i] = (f"{_num(rate, 1)} per {_num(per, 0)} utjämnat "
                          f"({_num(count[i], 0)} brott)")
        out["note"], out["display"] = notes, display
    out.attrs.update(smoothing="empirical_bayes", prior_source=source,
                     prior_rate=prior_rate * per, prior_variance=prior_var * per**2)
    return out


def _eb(events: np.ndarray, at_risk: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Smoothed rates (per inhabitant), weights, prior mean and prior variance.

    esda's estimator does not truncate a negative moment estimate of the between-area
    variance (its weights then change sign); Marshall's rule sets it to zero, which gives
    every area the pooled rate. Only the positive case is left to esda.
    """
    mean = events.sum() / at_risk.sum()
    between = float((at_risk * (events / at_risk - mean) ** 2).sum() / at_risk.sum()
                    - mean / at_risk.mean())
    if not between > 0:
        return np.full(len(events), mean), np.zeros(len(events)), float(mean), 0.0
    from esda.smoothing import Empirical_Bayes  # imported here: esda takes seconds to load

    smoothed = Empirical_Bayes(events, at_risk).r.ravel()
    return smoothed, between / (between + mean / at_risk), float(mean), between


# --- pooled rates over several years ----------------------------------------------------------

def rolling_window(end: str, years: int = 3) -> list[str]:
    """The years of the window that ends with `end`, oldest first: "2024" -> 2022, 2023, 2024."""
    last = int(str(end))
    return [str(y) for y in range(last - years + 1, last + 1)]


def rolling_label(window: list[str]) -> str:
    return f"{window[0]}–{window[-1]}"


def rolling_periods(frames: Frames, spec: LayerSpec, *, years: int = 3) -> list[str]:
    """End years for which the layer and the population cover the whole window."""
    if spec.kind not in RATE_KINDS:
        return []
    have = set(periods(frames, spec))
    if spec.kind == "incident_rate":  # a window needs whole years
        from lagesbild.analysis.time_coverage import part_years

        have -= set(part_years(frames))
    pop_years = {str(y) for y in frames.population["year"].dropna()}
    return [p for p in sorted(have) if p.isdigit()
            and all(y in have and y in pop_years for y in rolling_window(p, years))]


def rolling_rates(frames: Frames, spec: LayerSpec, *, end: str, sex: str, taxonomy: Taxonomy,
                  settings: Settings, years: int = 3) -> pd.DataFrame:
    """Pooled rates over the `years` years ending with `end`, one row per kommun and län.

    Rows in FIGURE_COLUMNS, period "2022–2024", note "3-årsmedel 2022–2024": count is the
    window's count, denominator its person-years (population summed over the years), value the
    mean yearly rate per `spec.per` with the exact Poisson interval of the pooled count.
    Built from the published yearly figures only (see `pool_figures`).
    """
    if spec.kind not in RATE_KINDS:
        raise ValueError("rolling_rates: only count and incident rate layers can be pooled")
    window = rolling_window(end, years)
    missing = sorted(set(window) - set(periods(frames, spec)))
    if missing:
        raise InputError(f"Data saknas för {', '.join(missing)}; ett {years}-årsmedel "
                         f"{rolling_label(window)} kräver alla åren.", field="period",
                         fix="Välj ett slutår där alla åren finns.")
    yearly = [layer_figures(frames, spec, period=y, sex=sex, taxonomy=taxonomy, settings=settings)
              for y in window]
    return pool_figures(yearly, per=spec.per, settings=settings)


def _sources(long: pd.DataFrame, areas: pd.Index) -> list[str]:
    """Each area's distinct source labels over the years, in order, joined."""
    joined = long.groupby("area_id", sort=False)["source"].agg(
        lambda s: "; ".join(dict.fromkeys(x for x in s.astype(str) if x)))
    return joined.reindex(areas).fillna("").tolist()


def pool_figures(yearly: list[pd.DataFrame], *, per: int, settings: Settings) -> pd.DataFrame:
    """Pool protected yearly rate figures (one sex, same areas) into one window's figures.

    A pooled cell is shown only when every yearly cell of it is shown, so its count is a sum of
    published counts; else it is hidden ("..", the note says why). The pooled cells then pass
    `disclosure.suppress` over the area relation (county = sum of kommuner) as every published
    count does; by construction nothing is left for it to hide (sums of counts that are 0 or
    at least the threshold are never small).
    """
    sexes = {str(s) for f in yearly for s in f["sex"].unique()}
    units = {str(u) for f in yearly for u in f["unit"].unique()}
    if len(sexes) != 1 or len(units) != 1 or not re.fullmatch(r"per\d+", units.pop()):
        raise ValueError("pool_figures: yearly rate figures of one sex and one unit are needed")
    window = [str(f["period"].iloc[0]) for f in yearly]
    label = rolling_label(window)
    long = pd.concat([f.assign(_year=i) for i, f in enumerate(yearly)], ignore_index=True)
    first = yearly[-1].set_index("area_id")
    grouped = long.groupby("area_id", sort=False)
    hidden_any = grouped["suppressed"].any()
    complete = grouped["_year"].nunique() == len(yearly)
    count = grouped["count"].agg(lambda s: s.sum() if s.notna().all() else pd.NA)
    denominator = grouped["denominator"].agg(lambda s: s.sum() if s.notna().all() else pd.NA)
    cells = pd.DataFrame({"area_id": first.index, "name": first["name"].to_numpy(),
                          "level": first["level"].to_numpy(), "period": label,
                          "sex": first["sex"].to_numpy(), "unit": first["unit"].to_numpy(),
                          "source": _sources(long, first.index)})
    idx = cells["area_id"]
    forced = (hidden_any.reindex(idx).fillna(True)
              | ~complete.reindex(idx).fillna(False)).to_numpy()
    cells["count"] = pd.array(count.reindex(idx).to_numpy(), dtype="Float64")
    cells.loc[forced, "count"] = pd.NA
    cells["denominator"] = pd.array(denominator.reindex(idx).to_numpy(), dtype="Float64")
    lan = cells.loc[cells["level"] == "lan", "area_id"].astype(str).tolist()
    checked = disclosure.suppress_by_county(cells, keys=["area_id"],
                                            threshold=settings.suppress_below, counties=lan)
    hidden = forced | checked["suppressed"].to_numpy(dtype=bool)
    cells["suppressed"] = hidden
    cells["suppression"] = np.where(hidden, "secondary", "")
    cells["count"] = cells["count"].mask(hidden)
    rates = stats.rate(cells["count"], cells["denominator"], per=per,
                       confidence=settings.confidence)
    for col in ("value", "ci_low", "ci_high"):
        cells[col] = pd.array(rates[col].to_numpy(), dtype="Float64")
    no_pop = cells["denominator"].isna().to_numpy()
    note = f"{len(window)}-årsmedel {label}"
    cells["note"] = np.where(hidden, f"{note}; dold eftersom minst ett av åren är dolt", note)
    cells.loc[no_pop & ~hidden, "note"] = f"{note}; folkmängd saknas för något år"
    cells["n"] = pd.NA
    cells["part_year"] = ""  # a part year has no denominator: its window is "uppgift saknas"
    cells["display"] = [
        disclosure.HIDDEN if h else "uppgift saknas" if pd.isna(c)
        else f"{_num(float(c), 0)} brott {label}" if pd.isna(v)
        else f"{_num(float(v), 1)} per {_num(per, 0)} och år ({_num(float(c), 0)} brott {label})"
        for h, c, v in zip(hidden, cells["count"], cells["value"])]
    for col in ("count", "denominator", "n"):
        cells[col] = pd.to_numeric(cells[col]).astype("Float64").round().astype("Int64")
    out = cells[FIGURE_COLUMNS].reset_index(drop=True)
    out.attrs.update(window=window, label=label)
    return out
