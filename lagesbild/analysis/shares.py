"""Survey shares per area: Wilson intervals (or the source's own), pooled county values, and
the disclosure control of shares (`indicator_figures`, re-exported by `analysis.figures`).

An interval the file gives (the source's own, or computed from its design: effective n or
design effect, `sources.aggregates`) is used as given; a county pooled from its kommuner gets
Wilson's interval with the summed effective n of its kommuner.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lagesbild.analysis import disclosure, stats
from lagesbild.analysis.memo import memoised as _memo
from lagesbild.core.frames import Frames
from lagesbild.core.settings import Settings

NATIONAL_ID = "00"  # the whole country's rows (reference values; see analysis.national)


def _county_sums(rows: pd.DataFrame, lan: list[str], by: list[str], values: list[str]
                 ) -> pd.DataFrame:
    """Per county in `lan`: the sums of `values` by `by` over its kommuner's rows (those whose
    area code starts with the county's, as `disclosure.suppress_by_county` groups them), with
    area_id = the county. A county without kommuner in `rows` gets no row."""
    prefix = rows["area_id"].astype(str).str[:2]
    parts = [rows[prefix == lan_id[:2]].groupby(by, as_index=False)[values].sum()
             .assign(area_id=lan_id) for lan_id in lan]
    parts = [part for part in parts if len(part)]
    return pd.concat(parts, ignore_index=True) if parts else rows.iloc[:0][["area_id", *by,
                                                                            *values]]


def _num(value: float, digits: int) -> str:
    return f"{value:,.{digits}f}".replace(",", "\u00a0").replace(".", ",")


def indicator_figures(frames: Frames, indicator_id: str, *, period: str, settings: Settings,
                      area_ids: list[str] | None = None) -> pd.DataFrame:
    """Survey shares per area × sex with Wilson intervals; too few respondents means hidden.

    With `area_ids` (areas below the kommun, such as a city's stadsdelar) only their rows are
    read and no county share is pooled from them.
    """
    key = ("indicator", indicator_id, period, settings,
           None if area_ids is None else tuple(area_ids))
    return _memo(frames, key, lambda: _indicator_figures(frames, indicator_id, period=period,
                                                         settings=settings, area_ids=area_ids))


def raw_indicator_figures(frames: Frames, indicator_id: str, *, period: str, settings: Settings,
                          area_ids: list[str] | None = None) -> pd.DataFrame:
    """The rows `indicator_figures` publishes with nothing hidden (same order): for the audit."""
    key = ("raw_indicator", indicator_id, period, settings,
           None if area_ids is None else tuple(area_ids))
    return _memo(frames, key, lambda: _indicator_figures(
        frames, indicator_id, period=period, settings=settings, area_ids=area_ids, protect=False))


def _indicator_figures(frames: Frames, indicator_id: str, *, period: str, settings: Settings,
                       area_ids: list[str] | None, protect: bool = True) -> pd.DataFrame:
    data = frames.indicators
    data = pd.DataFrame(data[(data["indicator_id"] == indicator_id) & (data["period"] == period)
                             & (data["area_id"] != NATIONAL_ID)])
    lan = frames.lan["area_id"].astype(str).tolist()
    if area_ids is not None:
        data = data[data["area_id"].isin(area_ids)]
        lan = []
    else:  # kommuner and counties only: a city's stadsdel rows are no kommun of the county
        data = data[data["area_id"].astype(str).isin(
            {*lan, *frames.kommuner["area_id"].astype(str)})]
    rows = data[["area_id", "sex", "value", "n", "ci_low", "ci_high", "source"]].copy()
    for col in ("ci_low", "ci_high"):
        rows[col] = pd.to_numeric(rows[col]).astype("float64")
    # an interval the file gives (the source's own, or from its design) is used as given
    given = (rows["ci_low"].notna() & rows["ci_high"].notna()).to_numpy()
    rows["note"] = np.where(given, SOURCE_INTERVAL_NOTE, "")
    rows["n_eff"] = np.nan
    # a county without its own rows: its kommuner's answers pooled (weighted by respondents)
    missing = [lan_id for lan_id in lan if not (rows["area_id"] == lan_id).any()]
    if missing and len(rows):
        known = rows.dropna(subset=["value", "n"])
        known = known.assign(x=known["value"] * known["n"],
                             n_eff=_effective_n(known, settings.confidence))
        pooled = _county_sums(known, missing, ["sex"], ["x", "n", "n_eff"])
        source = dict(zip(known["area_id"].astype(str).str[:2], known["source"]))
        pooled["value"] = pooled["x"] / pooled["n"]
        designed = pooled["n_eff"] < pooled["n"] - 1e-9
        note = "länsvärde: kommunernas svar sammanvägda efter antal svarande"
        pooled = pooled.drop(columns="x").assign(
            source=[source.get(a[:2], rows["source"].iloc[0]) for a in pooled["area_id"]],
            note=np.where(designed, f"{note}; intervall med effektivt antal svarande", note))
        if len(pooled):
            rows = pd.concat([rows, pooled], ignore_index=True)
            given = np.concatenate([given, np.zeros(len(pooled), dtype=bool)])
    basis = pd.to_numeric(rows["n_eff"]).fillna(pd.to_numeric(rows["n"]).astype("float64"))
    low, high = stats.wilson_ci(rows["value"].astype("float64") / 100, basis,
                                confidence=settings.confidence)
    rows["ci_low"] = np.where(given, rows["ci_low"], low * 100)
    rows["ci_high"] = np.where(given, rows["ci_high"], high * 100)
    rows = rows.drop(columns="n_eff")
    too_few = (pd.to_numeric(rows["n"]).fillna(0) < settings.min_survey_n).to_numpy()
    rows = rows.reset_index(drop=True)
    rows = _protect_shares(rows, too_few, lan, settings) if protect else \
        rows.assign(suppressed=False, suppression="")
    rows["count"] = pd.NA
    rows["denominator"] = rows["n"]
    rows["unit"] = "percent"
    rows["display"] = [
        f"{disclosure.HIDDEN} (n={int(n)})" if kind in ("few_respondents", "small", "secondary")
        and not pd.isna(n) else disclosure.HIDDEN if kind else
        f"{_num(float(v), 1)} % (n={int(n)})"
        for v, n, kind in zip(rows["value"], rows["n"], rows["suppression"])]
    labels = {s: frames.source_label([s]) for s in rows["source"].unique()}
    rows["source"] = [labels[s] for s in rows["source"]]
    return rows


SOURCE_INTERVAL_NOTE = "intervall enligt källan (dess urvalsdesign)"


def _effective_n(rows: pd.DataFrame, confidence: float) -> pd.Series:
    """Each row's effective number of respondents: n, or where the file gave an interval the n
    a simple random sample would need for that width (normal approximation), never above n."""
    from scipy.stats import norm

    z = norm.ppf(1 - (1 - confidence) / 2)
    p = pd.to_numeric(rows["value"]).astype("float64") / 100
    half = (rows["ci_high"] - rows["ci_low"]).astype("float64") / 200
    n = pd.to_numeric(rows["n"]).astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        implied = z ** 2 * p * (1 - p) / half ** 2
    usable = implied.notna() & (half > 0) & (p > 0) & (p < 1)
    return n.where(~usable, np.minimum(implied, n))


def _protect_shares(rows: pd.DataFrame, too_few: np.ndarray, lan: list[str],
                    settings: Settings) -> pd.DataFrame:
    """Hide shares from too few respondents, and every share that would give one away.

    A county share pooled from its kommuner, or a total share from women's and men's, is a
    weighted sum: with the n shown, a single hidden share is the total minus the others. The
    number answering yes (share × n) adds up like a count, so the one disclosure policy
    (`disclosure.suppress`) decides the secondary cells; a share whose yes-answers are 1–4
    people is hidden like such a count. Every hidden share is shown as `disclosure.HIDDEN`.
    """
    yes = (pd.to_numeric(rows["value"]).astype("float64")
           * pd.to_numeric(rows["n"]).astype("float64") / 100).to_numpy()
    # a share whose yes-answers are 1..threshold-1 people is hidden like such a count
    few_yes = (np.round(np.nan_to_num(yes)) >= 1) & (np.round(np.nan_to_num(yes))
                                                      < settings.suppress_below)
    rows = rows.assign(_yes=yes)
    out = disclosure.suppress_by_county(rows, keys=["area_id", "sex"],
                                        threshold=settings.suppress_below, counties=lan,
                                        additive=[("sex", "T")], count="_yes",
                                        primary=too_few | few_yes)
    out["suppression"] = np.where(too_few, "few_respondents", out["suppression"].astype(str))
    return out.drop(columns="_yes")
