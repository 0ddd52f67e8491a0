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
from lagesbild.core.indicator_kinds import IndicatorKind, indicator_kind
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
                      area_ids: list[str] | None = None, grade: str = "") -> pd.DataFrame:
    """Survey shares per area × sex with Wilson intervals; too few respondents means hidden.

    With `area_ids` (areas below the kommun, such as a city's stadsdelar) only their rows are
    read and no county share is pooled from them. `grade` ("åk 8", `core.age`) reads that
    school grade's rows (`frames.indicators_age`) and nothing else; "" the rows for all grades
    (the survey's total). A census indicator (`core.indicator_kinds`: a kommun's own units or
    staff counted whole) gets no sampling interval and no minimum of respondents: it shows
    "4 av 6 enheter (67 %)", and is hidden only where its units are persons (the small-count
    rule on the number having the property).
    """
    key = ("indicator", indicator_id, period, settings,
           None if area_ids is None else tuple(area_ids), grade)
    if grade and area_ids is None:  # one decision with the report's table by grade
        from lagesbild.analysis.age_shares import grade_figures

        return _memo(frames, key, lambda: grade_figures(frames, indicator_id, period=period,
                                                        settings=settings, grade=grade))
    return _memo(frames, key, lambda: _indicator_figures(frames, indicator_id, period=period,
                                                         settings=settings, area_ids=area_ids,
                                                         grade=grade))


def raw_indicator_figures(frames: Frames, indicator_id: str, *, period: str, settings: Settings,
                          area_ids: list[str] | None = None, grade: str = "") -> pd.DataFrame:
    """The rows `indicator_figures` publishes with nothing hidden (same order): for the audit."""
    key = ("raw_indicator", indicator_id, period, settings,
           None if area_ids is None else tuple(area_ids), grade)
    return _memo(frames, key, lambda: _indicator_figures(
        frames, indicator_id, period=period, settings=settings, area_ids=area_ids, protect=False,
        grade=grade))


def indicator_grades(frames: Frames, indicator_id: str) -> list[str]:
    """The school grades (or age groups) `indicator_id` has rows for, in grade order; "" first
    where it also has rows for all grades."""
    from lagesbild.analysis.age_shares import _ordered

    parts = frames.indicators_age
    grades = _ordered(pd.Series(sorted({str(g) for g in parts.loc[
        parts["indicator_id"] == indicator_id, "age_group"].dropna()})))
    whole = bool((frames.indicators["indicator_id"] == indicator_id).any())
    return ([""] if whole or not grades else []) + list(grades)


def _indicator_figures(frames: Frames, indicator_id: str, *, period: str, settings: Settings,
                       area_ids: list[str] | None, protect: bool = True,
                       grade: str = "") -> pd.DataFrame:
    kind = indicator_kind(settings.layers_dir, indicator_id)
    data = frames.indicators_age if grade else frames.indicators
    chosen = (data["indicator_id"] == indicator_id) & (data["period"] == period) \
        & (data["area_id"] != NATIONAL_ID)
    if grade:  # one grade only: another grade's share is never this one's
        chosen &= data["age_group"].astype(str) == grade
    data = pd.DataFrame(data[chosen])
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
    if kind.census:  # every unit counted: no sampling interval, whatever the file says
        rows["ci_low"] = rows["ci_high"] = np.nan
    # an interval the file gives (the source's own, or from its design) is used as given
    given = (rows["ci_low"].notna() & rows["ci_high"].notna()).to_numpy()
    rows["note"] = np.where(given, SOURCE_INTERVAL_NOTE, "")
    rows["n_eff"] = np.nan
    rows, given = _counties(frames, rows, given, lan, kind, settings)
    basis = pd.to_numeric(rows["n_eff"]).fillna(pd.to_numeric(rows["n"]).astype("float64"))
    low, high = stats.wilson_ci(rows["value"].astype("float64") / 100, basis,
                                confidence=settings.confidence)
    if kind.census:
        low = high = np.full(len(rows), np.nan)
    rows["ci_low"] = np.where(given, rows["ci_low"], low * 100)
    rows["ci_high"] = np.where(given, rows["ci_high"], high * 100)
    rows = rows.drop(columns="n_eff")
    too_few = (pd.to_numeric(rows["n"]).fillna(0) < settings.min_survey_n).to_numpy()
    if kind.census:  # a census has no sample: six units are all the units there are
        too_few = np.zeros(len(rows), dtype=bool)
    rows = rows.reset_index(drop=True)
    rows = _protect_shares(rows, too_few, lan, settings) if protect and kind.persons else \
        rows.assign(suppressed=False, suppression="")
    rows["count"] = pd.array([pd.NA] * len(rows), dtype="Int64")  # typed: kept on disk as it is
    rows["denominator"] = rows["n"]
    rows["unit"] = "percent"
    rows["display"] = [_display(v, n, k, kind) for v, n, k in
                       zip(rows["value"], rows["n"], rows["suppression"])]
    labels = {s: frames.source_label([s]) for s in rows["source"].unique()}
    rows["source"] = [labels[s] for s in rows["source"]]
    return rows


def census_count(value: object, n: object) -> int:
    """The number of units having the property (the share of `n` units, counted whole)."""
    return int(np.round(float(value) * float(n) / 100))  # type: ignore[arg-type]


def _display(value: object, n: object, kind_hidden: str, kind: IndicatorKind) -> str:
    if kind.census and not kind_hidden and not pd.isna(value) and not pd.isna(n):
        return (f"{census_count(value, n)} av {int(n)} {kind.units} "  # type: ignore[arg-type]
                f"({_num(float(value), 0)} %)")  # type: ignore[arg-type]
    if kind.census and kind_hidden:
        return disclosure.HIDDEN if pd.isna(n) else \
            f"{disclosure.HIDDEN} av {int(n)} {kind.units}"  # type: ignore[arg-type]
    if kind_hidden in ("few_respondents", "small", "secondary") and not pd.isna(n):
        return f"{disclosure.HIDDEN} (n={int(n)})"  # type: ignore[arg-type]
    if kind_hidden:
        return disclosure.HIDDEN
    return f"{_num(float(value), 1)} % (n={int(n)})"  # type: ignore[arg-type]


POOLED_NOTE = "länsvärde: kommunernas svar sammanvägda efter antal svarande"
POOLED_CENSUS_NOTE = "länsvärde: kommunernas enheter summerade"
OWN_COUNTY_NOTE = ("länets eget värde enligt källan; kommunernas värden sammanvägs inte till "
                   "det")


def kommuner_of_county(frames: Frames, lan_id: str) -> list[str]:
    ids = frames.kommuner["area_id"].astype(str)
    return sorted(ids[ids.str[:2] == str(lan_id)[:2]])


def _counties(frames: Frames, rows: pd.DataFrame, given: np.ndarray, lan: list[str],
              kind: IndicatorKind, settings: Settings) -> tuple[pd.DataFrame, np.ndarray]:
    """A county with its own rows (a län row in the file: NTU and others) keeps them, saying
    so where its kommuner have rows too; a county without: its kommuner's answers pooled
    (weighted by respondents; a census summed), saying how many of its kommuner it holds."""
    ids = rows["area_id"].astype(str)
    own = [lan_id for lan_id in lan if (ids == lan_id).any()]
    for lan_id in own:
        if ((ids.str[:2] == lan_id[:2]) & (ids != lan_id)).any():
            at = (ids == lan_id).to_numpy()
            rows.loc[at, "note"] = [f"{OWN_COUNTY_NOTE}; {n}" if n else OWN_COUNTY_NOTE
                                    for n in rows.loc[at, "note"]]
    missing = [lan_id for lan_id in lan if lan_id not in own]
    if not (missing and len(rows)):
        return rows, given
    known = rows.dropna(subset=["value", "n"])
    known = known.assign(x=known["value"] * known["n"],
                         n_eff=_effective_n(known, settings.confidence),
                         k=1)
    pooled = _county_sums(known, missing, ["sex"], ["x", "n", "n_eff", "k"])
    if not len(pooled):
        return rows, given
    source = dict(zip(known["area_id"].astype(str).str[:2], known["source"]))
    pooled["value"] = pooled["x"] / pooled["n"]
    designed = (pooled["n_eff"] < pooled["n"] - 1e-9).to_numpy()
    notes = []
    for lan_id, k, d in zip(pooled["area_id"], pooled["k"], designed):
        of = len(kommuner_of_county(frames, lan_id))
        note = (POOLED_CENSUS_NOTE if kind.census else POOLED_NOTE) + \
            f" ({int(k)} av {of} kommuner)"
        notes.append(f"{note}; intervall med effektivt antal svarande" if d and not kind.census
                     else note)
    pooled = pooled.drop(columns=["x", "k"]).assign(
        source=[source.get(a[:2], rows["source"].iloc[0]) for a in pooled["area_id"]],
        note=notes)
    rows = pd.concat([rows, pooled], ignore_index=True)
    return rows, np.concatenate([given, np.zeros(len(pooled), dtype=bool)])


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
