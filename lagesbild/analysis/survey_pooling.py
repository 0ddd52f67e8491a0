"""Survey shares pooled over several years, so that small kommuner's K/M shares can be shown.

A small kommun's women's and men's shares are hidden year by year (too few respondents, or
1–4 answering yes). Over a window of three survey years the respondents add up: the pooled
share of an area × sex is Σ yes / Σ n over the window's years (yes = share × n of each year,
the number of respondents answering yes), with Wilson's interval on the pooled effective n
(each year's n, or where the file gave an interval the n its width implies, `shares.
_effective_n`: the design-based equivalent for weighted surveys).

Protection, in three steps:

1. the same rules as a single year's shares (`shares._protect_shares`): too few pooled
   respondents, 1–4 answering yes, and secondary cells over T = K + M and the county;
2. the adversary reads the pooled yes-count as the sum of the window's yearly ones (the
   yearly tables stay published beside it): every window of the indicator is audited together
   with every yearly table (`release_survey.survey_release`) by integer programming
   (`audit.audit`), and while a hidden cell (yearly or pooled) can be narrowed, the shown
   pooled cells next to it are hidden (same area and sex, then the whole area, then the whole
   window). Hiding pooled cells only takes information away;
3. a pooled cell hidden only for another cell (secondary, or by step 2) whose every year is
   published for the same area and sex is shown again (`_publish_implied`): it is the sum of
   published yes-counts, so it tells nothing new, and hidden it would be "found" by the
   audit exactly (on the national workspace every window then failed its audit);
4. when step 2 can change nothing more (a pooled sum the yearly tables pin down, whatever is
   hidden), the windows of each disclosed cell's county are not published at all: counties
   share no relation, so what is left is the yearly release plus the other counties' windows.
   A withdrawn county's pooled figures are "uppgift saknas", as for a missing year.

`pooled_survey_release` gives the audited cells and relations to the release audit
(`release._survey_parts`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lagesbild.analysis import disclosure, stats
from lagesbild.analysis.audit import Relation, audit, total_of
from lagesbild.analysis.memo import memo_dict
from lagesbild.analysis.memo import memoised as _memo
from lagesbild.analysis.release import cell_id
from lagesbild.analysis.shares import (NATIONAL_ID, _effective_n, _num, raw_indicator_figures)
from lagesbild.core.errors import InputError
from lagesbild.core.frames import Frames
from lagesbild.core.settings import Settings

YEARS = 3
POOLED_KIND = "pooled_hidden"  # a pooled share hidden so that no single year can be narrowed


def window(end: str, years: int = YEARS) -> list[str]:
    last = int(str(end))
    return [str(y) for y in range(last - years + 1, last + 1)]


def window_label(end: str, years: int = YEARS) -> str:
    w = window(end, years)
    return f"{w[0]}–{w[-1]}"


def pooled_periods(frames: Frames, indicator_id: str, *, years: int = YEARS) -> list[str]:
    """End years for which the indicator has every year of the window (survey years are
    calendar years: "2024"), oldest first."""
    from lagesbild.core.indicator_kinds import indicator_kind
    from lagesbild.core.settings import get_settings

    if indicator_kind(get_settings().layers_dir, indicator_id).census:
        return []  # every unit counted each year: nothing to gain by pooling years
    data = frames.indicators
    have = {str(p) for p in data.loc[data["indicator_id"] == indicator_id, "period"].dropna()}
    return [p for p in sorted(have) if p.isdigit() and all(y in have for y in window(p, years))]


def pooled_indicator_figures(frames: Frames, indicator_id: str, *, end: str,
                             settings: Settings, years: int = YEARS) -> pd.DataFrame:
    """The protected pooled shares of the window ending with `end`: the columns of
    `indicator_figures`, one row per kommun and county × sex present in every year of the
    window; note "2022–2024 sammantaget"."""
    if end not in pooled_periods(frames, indicator_id, years=years):
        raise InputError(f"Enkäten {indicator_id} saknar något av åren {window_label(end, years)};"
                         f" en sammanvägning över {years} år kräver alla åren.", field="period",
                         fix="Välj ett slutår där alla åren finns.")
    shown = _protected_windows(frames, indicator_id, settings, years)[0]
    return shown[end].copy()


def pooled_figures(frames: Frames, indicator_id: str, *, end: str, sex: str,
                   settings: Settings, years: int = YEARS) -> pd.DataFrame:
    """`pooled_indicator_figures` of one sex shaped like `figures.layer_figures` (name, level
    "kommun"/"lan", no part year), so that the ranking views take it as a period's figures."""
    rows = pooled_indicator_figures(frames, indicator_id, end=end, settings=settings,
                                    years=years)
    rows = rows[rows["sex"] == sex].reset_index(drop=True)
    kommuner = set(frames.kommuner["area_id"].astype(str))
    ids = rows["area_id"].astype(str)
    return rows.assign(name=[frames.area_name(a) for a in ids],
                       level=["kommun" if a in kommuner else "lan" for a in ids], part_year="")


def withdrawn_counties(frames: Frames, indicator_id: str, *, end: str, settings: Settings,
                       years: int = YEARS) -> list[str]:
    """The county codes whose window ending with `end` is not published (step 4 of the module
    docstring): pages say so instead of leaving "uppgift saknas" unexplained."""
    if end not in pooled_periods(frames, indicator_id, years=years):
        return []
    raw = _pooled_raw(frames, indicator_id, end, settings, years)
    shown = _protected_windows(frames, indicator_id, settings, years)[0][end]
    return sorted(set(raw["area_id"].astype(str).str[:2])
                  - set(shown["area_id"].astype(str).str[:2]))


def raw_pooled_indicator_figures(frames: Frames, indicator_id: str, *, end: str,
                                 settings: Settings, years: int = YEARS) -> pd.DataFrame:
    """The rows `pooled_indicator_figures` publishes with nothing hidden (same order)."""
    return _pooled_raw(frames, indicator_id, end, settings, years).copy()


def pooled_survey_release(frames: Frames, indicator_id: str, *, settings: Settings,
                          years: int = YEARS) -> tuple[list[dict[str, object]], list[Relation]]:
    """(cells, relations) of every yearly table of the indicator that a window covers and of
    every window, as published: for the release audit."""
    return _protected_windows(frames, indicator_id, settings, years)[1]


def _protected_windows(frames: Frames, indicator_id: str, settings: Settings, years: int
                       ) -> tuple[dict[str, pd.DataFrame], tuple[list, list]]:
    key = ("pooled_survey", indicator_id, settings, years)
    memo = memo_dict(frames)
    if key not in memo:
        memo[key] = _protect_windows(frames, indicator_id, settings, years)
    return memo[key]  # type: ignore[return-value]


# --- the pooled rows ---------------------------------------------------------------------------

def _yes(value: object, n: object) -> float:
    return float(np.round(float(value) * float(n) / 100))


def _yearly_yes(raw: pd.DataFrame, kommun_ids: set[str]) -> pd.DataFrame:
    """Per area × sex of one year's raw rows: yes (as `release_survey` reads it: a county
    pooled from its kommuner has their yes-counts' sum), n and effective n."""
    rows = raw.dropna(subset=["value", "n"]).reset_index(drop=True)
    eff = _effective_n(rows, 0.95) if len(rows) else pd.Series(dtype="float64")
    pooled = rows["note"].astype(str).str.startswith("länsvärde").to_numpy()
    yes = np.array([_yes(v, n) for v, n in zip(rows["value"], rows["n"])], dtype="float64")
    area, sex = rows["area_id"].astype(str).to_numpy(), rows["sex"].astype(str).to_numpy()
    for i in np.flatnonzero(pooled):
        members = [j for j in range(len(rows)) if not pooled[j] and area[j] in kommun_ids
                   and area[j][:2] == area[i][:2] and sex[j] == sex[i]]
        yes[i] = yes[members].sum()
    given = rows["note"].astype(str).str.contains("intervall").to_numpy()
    return pd.DataFrame({"area_id": area, "sex": sex, "yes": yes,
                         "n": pd.to_numeric(rows["n"]).astype("float64").to_numpy(),
                         "n_eff": pd.to_numeric(eff).astype("float64").to_numpy(),
                         "designed": given, "county_pool": pooled,
                         "source": rows["source"].astype(str).to_numpy()})


def _pooled_raw(frames: Frames, indicator_id: str, end: str, settings: Settings,
                years: int) -> pd.DataFrame:
    key = ("pooled_survey_raw", indicator_id, end, settings, years)
    return _memo(frames, key, lambda: _build_raw(frames, indicator_id, end, settings, years))


def _build_raw(frames: Frames, indicator_id: str, end: str, settings: Settings,
               years: int) -> pd.DataFrame:
    kommun_ids = set(frames.kommuner["area_id"].astype(str))
    span = window(end, years)
    label = window_label(end, years)
    parts = [_yearly_yes(raw_indicator_figures(frames, indicator_id, period=y, settings=settings),
                         kommun_ids).assign(_year=y) for y in span]
    long = pd.concat(parts, ignore_index=True)
    long = long[long["area_id"] != NATIONAL_ID]
    grouped = long.groupby(["area_id", "sex"], sort=False)
    rows = grouped.agg(yes=("yes", "sum"), n=("n", "sum"), n_eff=("n_eff", "sum"),
                       designed=("designed", "any"), county_pool=("county_pool", "all"),
                       years=("_year", "nunique"),
                       source=("source", lambda s: "; ".join(dict.fromkeys(s)))).reset_index()
    rows = rows[rows["years"] == len(span)].drop(columns="years").reset_index(drop=True)
    rows["value"] = np.where(rows["n"] > 0, rows["yes"] / rows["n"].where(rows["n"] > 0) * 100,
                             np.nan)
    low, high = stats.wilson_ci(rows["value"] / 100, rows["n_eff"],
                                confidence=settings.confidence)
    rows["ci_low"], rows["ci_high"] = low * 100, high * 100
    note = f"{label} sammantaget"
    rows["note"] = [
        ("länsvärde: kommunernas svar sammanvägda efter antal svarande; " if c else "")
        + note + ("; intervall med effektivt antal svarande" if d else "")
        for c, d in zip(rows["county_pool"], rows["designed"])]
    rows["period"] = label
    return rows[["area_id", "sex", "period", "value", "n", "ci_low", "ci_high", "note",
                 "source"]]


# --- protection --------------------------------------------------------------------------------

def _protect_one(raw: pd.DataFrame, lan: list[str], settings: Settings,
                 extra: set[tuple[str, str]]) -> pd.DataFrame:
    """The single-year rules over the pooled table; `extra` (area, sex) hidden as well."""
    too_few = (pd.to_numeric(raw["n"]).fillna(0) < settings.min_survey_n).to_numpy()
    forced = np.array([(a, s) in extra for a, s in zip(raw["area_id"], raw["sex"])], dtype=bool)
    yes = np.round(pd.to_numeric(raw["value"]).astype("float64").fillna(0)
                   * pd.to_numeric(raw["n"]).astype("float64").fillna(0) / 100).to_numpy()
    few_yes = (yes >= 1) & (yes < settings.suppress_below)
    rows = raw.assign(_yes=yes).reset_index(drop=True)
    out = disclosure.suppress_by_county(rows, keys=["area_id", "sex"],
                                        threshold=settings.suppress_below, counties=lan,
                                        additive=[("sex", "T")], count="_yes",
                                        primary=too_few | few_yes | forced)
    out["suppression"] = np.where(too_few, "few_respondents",
                                  np.where(forced & ~(few_yes | too_few), POOLED_KIND,
                                           out["suppression"].astype(str)))
    return out.drop(columns="_yes")


def _finish(rows: pd.DataFrame, frames: Frames) -> pd.DataFrame:
    rows = rows.copy()
    rows["count"] = pd.array([pd.NA] * len(rows), dtype="Int64")  # typed: kept on disk as it is
    rows["denominator"] = rows["n"]
    rows["unit"] = "percent"
    rows["display"] = [
        f"{disclosure.HIDDEN} (n={int(n)})" if h else f"{_num(float(v), 1)} % (n={int(n)})"
        for v, n, h in zip(rows["value"], rows["n"], rows["suppressed"])]
    labels = {s: "; ".join(dict.fromkeys(frames.source_label([p.strip()]) for p in
                                         str(s).split(";"))) for s in rows["source"].unique()}
    rows["source"] = [labels[s] for s in rows["source"]]
    return rows


def _protect_windows(frames: Frames, indicator_id: str, settings: Settings, years: int
                     ) -> tuple[dict[str, pd.DataFrame], tuple[list, list]]:
    from lagesbild.analysis.release_survey import _table, survey_release

    ends = pooled_periods(frames, indicator_id, years=years)
    lan = frames.lan["area_id"].astype(str).tolist()
    kommun_ids = set(frames.kommuner["area_id"].astype(str))
    raws = {e: _pooled_raw(frames, indicator_id, e, settings, years) for e in ends}
    extra: dict[str, set[tuple[str, str]]] = {e: set() for e in ends}
    base_cells: list[dict[str, object]] = []
    base_relations: list[Relation] = []
    for y in sorted({y for e in ends for y in window(e, years)}):
        more, linked = survey_release(frames, indicator_id, period=y, settings=settings)
        base_cells += more
        base_relations += linked
    published = {str(c["cell"]) for c in base_cells if c["shown"]}
    withdrawn: dict[str, set[str]] = {e: set() for e in ends}  # county codes per window
    before = None
    while True:
        shown = {e: _without(_publish_implied(
            _protect_one(raws[e], lan, settings, extra[e]), raws[e], indicator_id, e, years,
            published), withdrawn[e]) for e in ends}
        kept = {e: _without(raws[e], withdrawn[e]) for e in ends}
        cells, relations = list(base_cells), list(base_relations)
        for e in ends:
            more, linked = _table(kept[e], shown[e], indicator_id, window_label(e, years),
                                  pooled=True, kommun_ids=kommun_ids, kommun_of={})
            cells += more
            relations += linked + _year_relations(kept[e], indicator_id, e, years)
        result = audit(cells, relations, protection=settings.suppress_below)
        if result.passed:
            break
        state = {e: (tuple(shown[e]["suppressed"].astype(bool)), len(shown[e])) for e in ends}
        hid = state != before and _hide_more(result.disclosed["cell"], shown, extra, years)
        before = state
        if not hid and not _withdraw(result.disclosed["cell"], withdrawn, years):
            break  # nothing left to take away: the audit's failure stands
    return ({e: _finish(shown[e], frames) for e in ends}, (cells, relations))


def _without(rows: pd.DataFrame, counties: set[str]) -> pd.DataFrame:
    """`rows` without the areas of the withdrawn `counties` (county codes)."""
    if not counties:
        return rows
    return rows[~rows["area_id"].astype(str).str[:2].isin(counties)].reset_index(drop=True)


def _withdraw(disclosed: pd.Series, withdrawn: dict[str, set[str]], years: int) -> bool:
    """Step 4 (module docstring): take the windows of each disclosed cell's county out of the
    release; False when they all are already."""
    changed = False
    for cell in disclosed:
        parts = str(cell).split("|")
        period, county = parts[2], parts[-2][:2]
        for e in withdrawn:
            if (period in window(e, years) or period == window_label(e, years)) \
                    and county not in withdrawn[e]:
                withdrawn[e].add(county)
                changed = True
    return changed


def _publish_implied(rows: pd.DataFrame, raw: pd.DataFrame, indicator_id: str, end: str,
                     years: int, published: set[str]) -> pd.DataFrame:
    """`rows` (a protected window) with the pooled cells shown again that were hidden only for
    another cell (secondary, or step 2's pooled_hidden) while every year of the window is
    published for the same area and sex: such a cell is the sum of published yes-counts, so
    hiding it takes nothing away from the reader, and showing it tells nothing new. (Left
    hidden, the audit finds it exactly, and step 2 could only hide more of them: a release
    that never passes.)"""
    kind = rows["suppression"].astype(str).to_numpy()
    implied = np.array([
        k in ("secondary", POOLED_KIND) and not (pd.isna(v) or pd.isna(n))
        and all(cell_id("survey", indicator_id, y, a, s) in published for y in window(end, years))
        for a, s, k, v, n in zip(rows["area_id"].astype(str), rows["sex"].astype(str), kind,
                                 raw["value"], raw["n"])], dtype=bool)
    if not implied.any():
        return rows
    rows = rows.copy()
    rows["suppressed"] = rows["suppressed"].astype(bool) & ~implied
    rows["suppression"] = rows["suppression"].mask(implied, "")
    for col in disclosure.REVEALING:  # the values `suppress` cleared, from the same rows
        if col in rows.columns and col in raw.columns:
            rows[col] = rows[col].mask(implied, pd.Series(
                raw[col].to_numpy(), index=rows.index).astype(rows[col].dtype))
    return rows


def _year_relations(raw: pd.DataFrame, indicator_id: str, end: str, years: int
                    ) -> list[Relation]:
    """A window's yes-count is the sum of its years' (area and sex alike)."""
    label = window_label(end, years)
    return [total_of(cell_id("survey", indicator_id, label, a, s),
                     [cell_id("survey", indicator_id, y, a, s) for y in window(end, years)])
            for a, s, v, n in zip(raw["area_id"], raw["sex"], raw["value"], raw["n"])
            if not (pd.isna(v) or pd.isna(n))]


def _hide_more(disclosed: pd.Series, shown: dict[str, pd.DataFrame],
               extra: dict[str, set[tuple[str, str]]], years: int) -> bool:
    """Hide the shown pooled cells next to each disclosed cell (module docstring, step 2);
    False when nothing was left to hide."""
    changed = False
    for cell in disclosed:
        parts = str(cell).split("|")
        period, area, sex = parts[2], parts[-2], parts[-1]
        ends = [e for e in shown if period in window(e, years) or period == window_label(e, years)]
        for choose in (lambda a, s: a == area and s == sex, lambda a, s: a == area,
                       lambda a, s: a[:2] == area[:2], lambda a, s: True):
            found = False
            for e in ends:
                rows = shown[e]
                for a, s, hidden in zip(rows["area_id"].astype(str), rows["sex"].astype(str),
                                        rows["suppressed"].astype(bool)):
                    if not hidden and choose(a, s):
                        extra[e].add((a, s))
                        found = True
            if found:
                changed = True
                break
    return changed
