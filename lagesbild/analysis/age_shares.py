"""Survey shares by school grade or age group (the indicator rows with an age group,
`frames.indicators_age`): each grade's share with its Wilson interval (or the source's own)
and n, after the survey disclosure rule, beside the indicator's total ("alla åldrar").

The total is the layer's own published figure (`shares.indicator_figures`), so nothing a map or
a comparison shows changes. Protection follows `shares._protect_shares`: a grade answered by
fewer than `settings.min_survey_n`, or whose yes-answers are 1–4 people, is hidden; the
yes-answers (share × n) of the grades are protected together with the total's, grades within
"alla åldrar" and K + M within T, and a grade is hidden too where it could be worked out from
the total. The total is hidden where the layer hides it and otherwise never a hiding place
(`fixed`). The grades are treated as adding up to the total: where the total also holds
respondents of other grades this hides more than needed, never less.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lagesbild.analysis import disclosure, stats
from lagesbild.analysis.shares import (NATIONAL_ID, POOLED_NOTE, SOURCE_INTERVAL_NOTE, _county_sums,
                                       _display, _num, indicator_figures, kommuner_of_county)
from lagesbild.core.age import ALL_AGES
from lagesbild.core.frames import Frames
from lagesbild.core.settings import Settings

GRADE_COLUMNS = ["area_id", "name", "period", "indicator_id", "age_group", "sex", "value", "n",
                 "ci_low", "ci_high", "suppressed", "suppression", "display", "note"]
KEYS = ["area_id", "age_group", "sex"]


def grade_periods(frames: Frames, indicator_id: str) -> list[str]:
    """The periods in which `indicator_id` has rows by grade or age group, oldest first."""
    data = frames.indicators_age
    return sorted({str(p) for p in data.loc[data["indicator_id"] == indicator_id, "period"]})


def indicator_by_age(frames: Frames, indicator_id: str, *, period: str, area: str | None,
                     settings: Settings) -> pd.DataFrame:
    """Per grade or age group (then "alla åldrar") × K/M/T of `area` (every area when None):
    share, n, interval, suppression and display text, in GRADE_COLUMNS; empty when the
    indicator has no rows by age in `period`."""
    lan = frames.lan["area_id"].astype(str).tolist()
    data = grade_rows(frames, indicator_id, period=period)
    if not len(data):
        return pd.DataFrame(columns=GRADE_COLUMNS)
    parts = _shares(data, settings)
    total = indicator_figures(frames, indicator_id, period=period, settings=settings)
    total = total[total["area_id"].astype(str).isin(set(parts["area_id"].astype(str)))]
    total = total.assign(age_group=ALL_AGES)[[*KEYS, "value", "n", "ci_low", "ci_high", "note",
                                              "suppressed", "suppression"]]
    layer_hidden = np.concatenate([np.zeros(len(parts), dtype=bool),
                                   total["suppressed"].to_numpy(dtype=bool)])
    whole = np.concatenate([np.zeros(len(parts), dtype=bool), np.ones(len(total), dtype=bool)])
    cells = pd.concat([parts, total.drop(columns=["suppressed", "suppression"])],
                      ignore_index=True)
    n = pd.to_numeric(cells["n"]).astype("float64").to_numpy()
    yes = pd.to_numeric(cells["value"]).astype("float64").to_numpy() * n / 100
    too_few = ~whole & (np.nan_to_num(n) < settings.min_survey_n)
    rounded = np.round(np.nan_to_num(yes))
    few_yes = ~whole & (rounded >= 1) & (rounded < settings.suppress_below)
    out = disclosure.suppress_by_county(
        cells.assign(_yes=yes, _fixed=whole & ~layer_hidden), keys=KEYS,
        threshold=settings.suppress_below, counties=lan,
        additive=[("sex", "T"), ("age_group", ALL_AGES)], count="_yes",
        primary=too_few | few_yes | layer_hidden, fixed="_fixed")
    kind = out["suppression"].astype(str).to_numpy()
    out["suppression"] = np.where(too_few, "few_respondents", kind)
    out = out.drop(columns=["_yes", "_fixed"])
    out["display"] = [
        f"{disclosure.HIDDEN} (n={int(k)})" if s and not pd.isna(k) else disclosure.HIDDEN if s
        else f"{_num(float(v), 1)} % (n={int(k)})"
        for v, k, s in zip(out["value"], out["n"], out["suppression"])]
    if area is not None:
        out = out[out["area_id"].astype(str) == str(area)]
    out = out.assign(name=[frames.area_name(str(a)) for a in out["area_id"]],
                     period=str(period), indicator_id=indicator_id)
    order = {g: i for i, g in enumerate(_ordered(out["age_group"]))}
    out = out.assign(_o=out["age_group"].map(order), _s=out["sex"].map({"K": 0, "M": 1, "T": 2}))
    out = out.sort_values(["area_id", "_o", "_s"], kind="stable").drop(columns=["_o", "_s"])
    out["n"] = pd.to_numeric(out["n"]).astype("Int64")
    for col in ("value", "ci_low", "ci_high"):
        out[col] = pd.to_numeric(out[col]).astype("Float64")
    return out[GRADE_COLUMNS].reset_index(drop=True)


def grade_rows(frames: Frames, indicator_id: str, *, period: str) -> pd.DataFrame:
    """The indicator's rows by grade or age group in `period` for the workspace's kommuner and
    counties, with `yes` (share × n, rounded: the people answering yes) and a `note`. A county
    without rows of its own gets its kommuner's rows pooled per grade and sex (yes-answers and
    respondents summed), saying how many of its kommuner it holds: Jämförelse, the report and
    the release audit all read these same rows, so one decision protects them."""
    data = frames.indicators_age
    data = data[(data["indicator_id"] == indicator_id) & (data["period"].astype(str) == str(period))
                & (data["area_id"] != NATIONAL_ID)]
    lan = frames.lan["area_id"].astype(str).tolist()
    data = pd.DataFrame(data[data["area_id"].astype(str).isin(
        {*lan, *frames.kommuner["area_id"].astype(str)})])
    data = data.assign(area_id=data["area_id"].astype(str), age_group=data["age_group"].astype(str),
                       sex=data["sex"].astype(str), note="")
    value = pd.to_numeric(data["value"]).astype("float64")
    n = pd.to_numeric(data["n"]).astype("float64")
    data["yes"] = np.round(value * n / 100)
    own = set(data["area_id"])
    known = data[data["yes"].notna() & pd.to_numeric(data["n"]).notna()].assign(k=1)
    sums = _county_sums(known, [c for c in lan if c not in own], ["age_group", "sex"],
                        ["yes", "n", "k"])
    sources = dict(zip(known["area_id"].str[:2], known["source"].astype(str)))
    pooled = [sums.assign(
        indicator_id=indicator_id, period=str(period), value=100 * sums["yes"] / sums["n"],
        ci_low=np.nan, ci_high=np.nan,
        source=[sources.get(a[:2], "") for a in sums["area_id"]],
        note=[f"{POOLED_NOTE} ({int(k)} av {len(kommuner_of_county(frames, a))} kommuner)"
              for a, k in zip(sums["area_id"], sums["k"])]).drop(columns="k")] if len(sums) else []
    if pooled:
        data = pd.concat([data, *pooled], ignore_index=True)
    return data.reset_index(drop=True)


def grade_figures(frames: Frames, indicator_id: str, *, period: str, settings: Settings,
                  grade: str) -> pd.DataFrame:
    """One grade's shares per area × sex in the columns of `shares.indicator_figures`, cut from
    `indicator_by_age` (the same hidden cells as the report's table by grade, and the county
    pooled per grade there too), so a map or a comparison of one grade and the report's table
    by grade can never be combined to give a hidden share away."""
    from lagesbild.core.indicator_kinds import indicator_kind

    kind = indicator_kind(settings.layers_dir, indicator_id)
    table = indicator_by_age(frames, indicator_id, period=period, area=None, settings=settings)
    rows = table[table["age_group"].astype(str) == grade]
    data = grade_rows(frames, indicator_id, period=period)
    data = data[data["age_group"] == grade]
    sources = dict(zip(data["area_id"], data["source"].astype(str)))
    out = pd.DataFrame({
        "area_id": rows["area_id"].astype(str).to_numpy(), "sex": rows["sex"].astype(str).to_numpy(),
        "value": pd.to_numeric(rows["value"]).astype("float64").to_numpy(),
        "n": pd.to_numeric(rows["n"]).astype("float64").to_numpy(),
        "ci_low": pd.to_numeric(rows["ci_low"]).astype("float64").to_numpy(),
        "ci_high": pd.to_numeric(rows["ci_high"]).astype("float64").to_numpy(),
        "note": rows["note"].fillna("").astype(str).to_numpy(),
        "suppressed": rows["suppressed"].astype(bool).to_numpy(),
        "suppression": rows["suppression"].astype(str).to_numpy()})
    labels = {s: frames.source_label([s]) for s in set(sources.values())}
    out["source"] = [labels.get(sources.get(a, ""), "") for a in out["area_id"]]
    out["count"] = pd.array([pd.NA] * len(out), dtype="Int64")  # typed: kept on disk as it is
    out["denominator"] = out["n"]
    out["unit"] = "percent"
    out["display"] = [_display(v, n, k, kind) for v, n, k in
                      zip(out["value"], out["n"], out["suppression"])]
    return out


def _shares(data: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """The grade rows with their interval: the source's own where given, else Wilson's."""
    rows = data[[*KEYS, "value", "n", "ci_low", "ci_high"]].copy()
    for col in ("ci_low", "ci_high", "value"):
        rows[col] = pd.to_numeric(rows[col]).astype("float64")
    given = (rows["ci_low"].notna() & rows["ci_high"].notna()).to_numpy()
    low, high = stats.wilson_ci(rows["value"] / 100, pd.to_numeric(rows["n"]).astype("float64"),
                                confidence=settings.confidence)
    rows["ci_low"] = np.where(given, rows["ci_low"], np.asarray(low) * 100)
    rows["ci_high"] = np.where(given, rows["ci_high"], np.asarray(high) * 100)
    own = data["note"].fillna("").astype(str).to_numpy() if "note" in data else ""
    rows["note"] = np.where(given, SOURCE_INTERVAL_NOTE, own)
    return rows.reset_index(drop=True)


def _ordered(groups: pd.Series) -> list[str]:
    """Grades first (åk 1…9, then gy 1…3), then age groups by their first age, all ages last."""
    def key(label: str) -> tuple[int, int, str]:
        digits = "".join(c if c.isdigit() else " " for c in label).split()
        first = int(digits[0]) if digits else 10_000
        rank = 0 if label.startswith("åk") else 1 if label.startswith("gy") else \
            3 if label == ALL_AGES else 2
        return rank, first, label
    return sorted({str(g) for g in groups}, key=key)
