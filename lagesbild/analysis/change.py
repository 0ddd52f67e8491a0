"""Change between two periods, flagged only when it is larger than chance.

Rates: the exact conditional test for two Poisson counts with exposures (given k1 + k2, k2 is
binomial with p = e2 / (e1 + e2) when the rates are equal) and the rate ratio with its exact
(Clopper–Pearson) interval. The p-value is the central one (twice the smaller one-sided
binomial p), the test the Clopper–Pearson interval inverts: the ratio is "larger than chance"
exactly when its interval leaves out 1, so the verdict never contradicts the interval (and the
verdict also checks the interval itself, so that rounding can never flag a change whose
interval still holds 1). A point estimate above or below 1 is never enough on its own.

Survey shares: the difference in percentage points with Newcombe's hybrid Wilson interval and
the pooled two-proportion z-test. These two can disagree at the margin; a change is called
larger than chance only when both say so.

`change_table` works on two `layer_figures` frames, i.e. on published figures only, and gives
no numbers for a cell hidden in either period (a ratio and one count would reveal the other).
Each row is a separate test: with many kommuner some "changes" are chance (no correction for
multiple comparisons is made); `change_flags` counts the changes flagged against the number
expected by chance alone, which the pages and the report state beside them.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats as sps

from lagesbild.analysis.chance import FlagCount
from lagesbild.analysis.stats import wilson_ci
from lagesbild.core.settings import Settings

CHANGE_COLUMNS = ["area_id", "name", "level", "sex", "period_from", "period_to", "unit",
                  "value_from", "value_to", "measure", "ratio", "difference", "ci_low",
                  "ci_high", "p_value", "significant", "verdict", "verdict_en", "display",
                  "display_from", "display_to", "note"]
VERDICTS = {  # key -> (Swedish, English)
    "up": ("ökning utöver slumpen", "increase beyond chance"),
    "down": ("minskning utöver slumpen", "decrease beyond chance"),
    "none": ("ingen säker förändring (kan vara slump)", "no certain change (may be chance)"),
    "hidden": ("dold", "hidden"),
    "missing": ("uppgift saknas", "no data"),
    "part_year": ("jämförs inte: delår", "not compared: part year"),
}
NUMBERS = ["value_from", "value_to", "ratio", "difference", "ci_low", "ci_high", "p_value"]


class Change(NamedTuple):
    estimate: float  # rate ratio (to / from) or difference in shares (to - from)
    ci_low: float
    ci_high: float
    p_value: float


def rate_change(count_from: int, exposure_from: float, count_to: int, exposure_to: float, *,
                confidence: float = 0.95, phi: float = 1.0) -> Change:
    """Rate ratio (to / from) with its exact conditional interval and central p-value.

    Exposures are person-years (population). With no events in either period there is no
    information: ratio NaN, interval (0, inf), p = 1. No events in the first period gives an
    infinite ratio and upper bound. `phi` > 1 (an overdispersed area, `analysis.dispersion`):
    the test and interval use the counts divided by phi (rounded), as counts with phi times
    the Poisson variance carry that much information; the ratio itself is the observed one.
    """
    if phi > 1:
        scaled = rate_change(round(count_from / phi), exposure_from, round(count_to / phi),
                             exposure_to, confidence=confidence)
        observed = rate_change(count_from, exposure_from, count_to, exposure_to,
                               confidence=confidence).estimate
        low = scaled.ci_low if np.isnan(observed) else min(scaled.ci_low, observed)
        high = scaled.ci_high if np.isnan(observed) else max(scaled.ci_high, observed)
        return Change(observed, low, high, scaled.p_value)
    k1, k2 = int(count_from), int(count_to)
    e1, e2 = float(exposure_from), float(exposure_to)
    n = k1 + k2
    if n == 0:
        return Change(float("nan"), 0.0, float("inf"), 1.0)
    alpha = 1 - confidence
    null = e2 / (e1 + e2)
    less = sps.binomtest(k2, n, null, alternative="less").pvalue
    greater = sps.binomtest(k2, n, null, alternative="greater").pvalue
    p_value = min(1.0, 2 * min(less, greater))
    low = sps.beta.ppf(alpha / 2, k2, n - k2 + 1) if k2 > 0 else 0.0
    high = sps.beta.ppf(1 - alpha / 2, k2 + 1, n - k2) if k2 < n else 1.0

    def to_ratio(share: float) -> float:  # share of events in the second period -> rate ratio
        return float("inf") if share >= 1 else float(share / (1 - share) * e1 / e2)

    ratio = float("inf") if k1 == 0 else (k2 / e2) / (k1 / e1)
    return Change(ratio, to_ratio(low), to_ratio(high), float(p_value))


def share_change(share_from: float, n_from: float, share_to: float, n_to: float, *,
                 confidence: float = 0.95) -> Change:
    """Difference of two shares in [0, 1] (to - from), Newcombe interval, pooled z-test p."""
    p1, p2, n1, n2 = float(share_from), float(share_to), float(n_from), float(n_to)
    (l1, l2), (u1, u2) = wilson_ci(np.array([p1, p2]), np.array([n1, n2]), confidence=confidence)
    diff = p2 - p1
    low = diff - np.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
    high = diff + np.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    p_value = 1.0 if se == 0 else float(2 * sps.norm.sf(abs(diff) / se))
    return Change(diff, float(low), float(high), p_value)


def _span(period: str) -> tuple[int, int] | None:
    found = re.fullmatch(r"\s*(\d{4})\s*(?:[–-]\s*(\d{4}))?\s*", str(period))
    if not found:
        return None
    return int(found[1]), int(found[2] or found[1])


def _check_periods(before: str, after: str) -> None:
    a, b = _span(before), _span(after)
    if before == after or (a and b and a[0] <= b[1] and b[0] <= a[1]):
        raise ValueError(f"change: periods {before} and {after} overlap; the test needs "
                         "independent counts")


def change_table(before: pd.DataFrame, after: pd.DataFrame, *, settings: Settings,
                 dispersion: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per area × sex comparing two figure frames of one rate or survey layer.

    `before` and `after` come from `layer_figures` (or `rolling_rates`, for windows that do
    not overlap) for the same layer. Rates (unit "per...") are compared by rate ratio, survey
    shares (unit "percent", with n) by difference in percentage points; `significant` means
    p < 1 - settings.confidence (and, for shares, an interval that leaves out 0).
    `dispersion` (`analysis.dispersion.layer_dispersion` of the layer): overdispersed areas are
    tested with their φ (`rate_change`), and the row's note says so.
    """
    units = set(before["unit"].astype(str)) | set(after["unit"].astype(str))
    if len(units) != 1:
        raise ValueError(f"change: both frames must have one and the same unit, got {units}")
    unit = units.pop()
    is_rate = re.fullmatch(r"per\d+", unit) is not None
    if unit != "percent" and not is_rate:
        raise ValueError(f"change: unknown unit {unit}")
    if any("smoothed" in f.columns and f["smoothed"].astype(bool).any() for f in (before, after)):
        raise ValueError("change: smoothed figures cannot be tested; use the published ones")
    if not is_rate and before["n"].isna().all() and before["value"].notna().any():
        raise ValueError("change: shares without n (e.g. programme coverage) have no sampling "
                         "uncertainty to test")
    p_from, p_to = str(before["period"].iloc[0]), str(after["period"].iloc[0])
    _check_periods(p_from, p_to)
    cols = ["area_id", "sex", "name", "level", "count", "denominator", "value", "n",
            "suppressed", "display", "part_year"]
    before, after = (f if "part_year" in f.columns else f.assign(part_year="")
                     for f in (before, after))
    merged = before[cols].merge(after[cols], on=["area_id", "sex"], how="outer",
                                suffixes=("_from", "_to"), sort=False)
    phis: dict[tuple[str, str], float] = {}
    if dispersion is not None and len(dispersion):
        over = dispersion[dispersion["overdispersed"].astype(bool)]
        phis = {(str(a), str(x)): float(f) for a, x, f in zip(over["area_id"], over["sex"],
                                                              over["phi"])}
    merged["period_from"], merged["period_to"] = p_from, p_to
    rows = [_row(r, is_rate=is_rate, settings=settings,
                 phi=phis.get((str(r["area_id"]), str(r["sex"])), 1.0))
            for r in merged.to_dict("records")]
    out = pd.DataFrame(rows, columns=CHANGE_COLUMNS)
    out["period_from"], out["period_to"], out["unit"] = p_from, p_to, unit
    out["measure"] = "ratio" if is_rate else "difference"
    for col in NUMBERS:
        out[col] = pd.to_numeric(out[col]).astype("Float64")
    out["significant"] = out["significant"].astype(bool)
    return out


def _row(r: dict, *, is_rate: bool, settings: Settings, phi: float = 1.0) -> dict:
    name = r["name_to"] if isinstance(r["name_to"], str) else r["name_from"]
    level = r["level_to"] if isinstance(r["level_to"], str) else r["level_from"]
    row = {"area_id": r["area_id"], "name": name, "level": level, "sex": r["sex"],
           "display_from": _text(r["display_from"]), "display_to": _text(r["display_to"]),
           "significant": False, "display": "", "note": "", **dict.fromkeys(NUMBERS, np.nan)}
    if _flag(r["suppressed_from"]) or _flag(r["suppressed_to"]):
        return {**row, **_verdict("hidden"), "note": "dold i minst en av perioderna"}
    part = [f"{r[f'period_{k}']} {r[f'part_year_{k}']}" for k in ("from", "to")
            if isinstance(r[f"part_year_{k}"], str) and r[f"part_year_{k}"]]
    if part:  # a part year against a whole one: the calendar, not a change
        return {**row, **_verdict("part_year"),
                "note": f"delår ({'; '.join(part)}) jämförs inte med ett helt år"}
    if is_rate:
        needed = ("count_from", "denominator_from", "count_to", "denominator_to")
    else:
        needed = ("value_from", "n_from", "value_to", "n_to")
    if any(pd.isna(r[k]) for k in needed) or \
            (is_rate and not (r["denominator_from"] > 0 and r["denominator_to"] > 0)) or \
            (not is_rate and not (r["n_from"] > 0 and r["n_to"] > 0)):
        return {**row, **_verdict("missing")}
    row["value_from"], row["value_to"] = float(r["value_from"]), float(r["value_to"])
    conf = settings.confidence
    if is_rate:
        ch = rate_change(r["count_from"], r["denominator_from"], r["count_to"],
                         r["denominator_to"], confidence=conf, phi=phi)
        if phi > 1:
            row["note"] = (f"testad med åren spridning ({_num(phi, 1)} gånger Poissons, "
                           "kvasi-Poisson)")
        significant = ch.p_value < 1 - conf and (ch.ci_low > 1 or ch.ci_high < 1)
        row["ratio"] = ch.estimate
        display = (f"kvot {_num(ch.estimate, 2)} ({_ci_label(conf)} {_num(ch.ci_low, 2)}–"
                   f"{_num(ch.ci_high, 2)})" if not np.isnan(ch.estimate)
                   else "inga brott under någon av perioderna")
        up = ch.estimate > 1
    else:
        ch = share_change(float(r["value_from"]) / 100, r["n_from"], float(r["value_to"]) / 100,
                          r["n_to"], confidence=conf)
        ch = Change(*(100 * v for v in ch[:3]), ch.p_value)
        significant = ch.p_value < 1 - conf and (ch.ci_low > 0 or ch.ci_high < 0)
        row["difference"] = ch.estimate
        display = (f"{_signed(ch.estimate)} procentenheter ({_ci_label(conf)} "
                   f"{_signed(ch.ci_low)} till {_signed(ch.ci_high)})")
        up = ch.estimate > 0
    key = ("up" if up else "down") if significant else "none"
    return {**row, "ci_low": ch.ci_low, "ci_high": ch.ci_high, "p_value": ch.p_value,
            "significant": bool(significant), "display": display, **_verdict(key)}


def change_flags(table: pd.DataFrame, confidence: float) -> FlagCount:
    """The rows tested (verdict up, down or none: not hidden, not missing) and those flagged as
    a change beyond chance, with the number chance alone would flag at `confidence`."""
    tested = table["verdict"].isin([VERDICTS[k][0] for k in ("up", "down", "none")])
    return FlagCount(confidence, int(tested.sum()),
                     int((tested & table["significant"].astype(bool)).sum()))


def _verdict(key: str) -> dict:
    sv, en = VERDICTS[key]
    return {"verdict": sv, "verdict_en": en}


def _flag(value: object) -> bool:
    """A suppressed flag from a merged row; a row missing on one side is not hidden."""
    return False if value is None or pd.isna(value) else bool(value)


def _text(value: object) -> str:
    return value if isinstance(value, str) else "uppgift saknas"


def _ci_label(confidence: float) -> str:
    return f"{_num(confidence * 100, 0)}\u00a0% KI"


def _num(value: float, digits: int) -> str:
    if np.isinf(value):
        return "∞"
    return f"{value:,.{digits}f}".replace(",", "\u00a0").replace(".", ",")


def _signed(value: float) -> str:
    return ("+" if value > 0 else "−" if value < 0 else "±") + _num(abs(value), 1)
