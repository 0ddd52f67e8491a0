"""The protected count cube: area × pyramid level × category × sex, suppressed once for all views.

The map's pyramid layers, the pyramid page and the CLI read their counts from this one cube, so
a cell hidden in one view is hidden in every view and cannot be recovered by comparing them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lagesbild.analysis import disclosure
from lagesbild.analysis.memo import memo_dict, memoised
from lagesbild.analysis.pyramid import count_pyramid, incident_cube_pyramid, pyramid_levels
from lagesbild.core.frames import Frames
from lagesbild.core.settings import Settings
from lagesbild.core.taxonomy import ALL, Taxonomy

SOURCES = ("counts", "incidents")
KEYS = ["area_id", "level", "category", "sex"]


def count_cube(frames: Frames, *, period: str, source: str, taxonomy: Taxonomy) -> pd.DataFrame:
    """Raw counts per kommun and for the län (their sum) × level × category × sex; from the
    incidents: from `frames.incident_cube` (counted by the store with SQL), not the rows.
    Computed once per frames object and arguments (each caller gets its own copy): the
    protected cube and every layer that is part of a level read it."""
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}")
    key = ("count_cube", str(period), source, taxonomy)
    memo = memo_dict(frames)
    if key not in memo:
        memo[key] = _count_cube(frames, period=str(period), source=source, taxonomy=taxonomy)
    return memo[key].copy()  # type: ignore[attr-defined]


def _count_cube(frames: Frames, *, period: str, source: str, taxonomy: Taxonomy
                ) -> pd.DataFrame:
    if source == "counts":
        data = frames.incident_counts[frames.incident_counts["period"] == str(period)]
        build = count_pyramid
    else:  # the store's cube (counted with SQL), not the rows
        data = frames.incident_cube.iloc[cube_rows(frames, period)]
        build = incident_cube_pyramid
    kommuner = frames.kommuner["area_id"].astype(str).tolist()
    cube = build(data[data["area_id"].isin(kommuner)], taxonomy, by="area_id")
    # a category present in one kommun is listed (as 0) in every kommun, so totals add up;
    # every level has its total row in every kommun, even without any data
    pairs = cube[["level", "category"]].drop_duplicates()
    totals = pd.DataFrame({"level": pyramid_levels(taxonomy), "category": ALL})
    pairs = pd.concat([totals, pairs], ignore_index=True).drop_duplicates()
    pairs = pairs.assign(_total=pairs["category"] == ALL).sort_values(
        ["level", "_total", "category"], ascending=[False, False, True]).drop(columns="_total")
    grid = pd.DataFrame([(a, lv, c, s) for a in kommuner
                         for lv, c in pairs.itertuples(index=False) for s in ("K", "M", "T")],
                        columns=KEYS)
    cube = grid.merge(cube, on=KEYS, how="left").fillna({"count": 0})
    cube["count"] = cube["count"].astype("int64")
    for lan_id in frames.lan["area_id"].astype(str):
        county = cube[cube["area_id"].str[:2] == lan_id[:2]]
        county = county.groupby(["level", "category", "sex"], as_index=False)["count"].sum()
        cube = pd.concat([cube, county.assign(area_id=lan_id)], ignore_index=True)
    return cube[[*KEYS, "count"]]


def cube_rows(frames: Frames, period: str) -> np.ndarray:
    """Positions in `frames.incident_cube` of the counts of `period` (those whose year, as
    text, is `period`): one comparison of a small table's years, nothing kept."""
    text = str(period)
    if not text.isdigit() or len(text) > 9 or str(int(text)) != text:
        return np.empty(0, dtype=np.intp)
    years = frames.incident_cube["year"]
    return np.flatnonzero((years == int(text)).fillna(False).to_numpy(dtype=bool))


def incident_periods(frames: Frames) -> list[str]:
    """The years the incidents have (as text, sorted), from the cube: not a pass over the
    rows."""
    return sorted({str(y) for y in frames.incident_cube["year"].dropna().unique()})


def _positions(years: pd.Series) -> dict[str, np.ndarray]:
    """Each year (as text) with the positions of its rows in order; missing years in none."""
    codes, uniques = pd.factorize(years, sort=True)
    order = np.argsort(codes, kind="stable")
    starts = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    found = {}
    for i, year in enumerate(uniques):
        rows = order[starts[i]:starts[i + 1]]
        rows.flags.writeable = False
        found[str(year)] = rows
    return found


def incident_years(frames: Frames) -> dict[str, np.ndarray]:
    """Every year of `frames.incidents` (as text, "2024") with the positions of its rows in
    order: one pass over the table per frames object (millions of rows nationally) instead of
    one per period asked for. Read-only arrays; rows without a year are in none."""
    memo = memo_dict(frames)
    years = memo.get(("incident_years",))
    if years is None:
        years = memo[("incident_years",)] = _positions(frames.incidents["year"])
    return years  # type: ignore[return-value]


def incident_rows(frames: Frames, period: str) -> np.ndarray:
    """Positions of the incidents of `period` (those whose year, as text, is `period`)."""
    return incident_years(frames).get(str(period), np.empty(0, dtype=np.intp))


def protect(cube: pd.DataFrame, frames: Frames, *, settings: Settings) -> pd.DataFrame:
    """Apply the disclosure policy over every additive relation the views expose."""
    additive: list[tuple[str, str]] = [("sex", "T"), ("category", ALL)]
    lan = frames.lan["area_id"].astype(str).tolist()
    return disclosure.suppress_by_county(cube, keys=KEYS, threshold=settings.suppress_below,
                                         counties=lan, additive=additive)


def protected_cube(frames: Frames, *, period: str, source: str, taxonomy: Taxonomy,
                   settings: Settings) -> pd.DataFrame:
    """The protected cube, computed once per frames object and arguments (Frames is frozen:
    its tables are not replaced, and nothing here writes to them)."""
    return memoised(frames, ("protected_cube", str(period), source, taxonomy, settings),
                    lambda: protect(count_cube(frames, period=period, source=source,
                                               taxonomy=taxonomy), frames, settings=settings))
