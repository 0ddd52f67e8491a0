"""When offences happen: the police extract's incidents by weekday × time of day, protected.

The table has a row per weekday and a column per six-hour band, with row, column and grand
totals; disclosure control treats both margins as additive relations, and every kommun's table
is protected together with its county's (their sum), so no hidden cell follows from the totals
or from setting a kommun's table beside the county's. Only incidents with a true time (the police extract) are used; Polisen's event
notices are never counted here (they are not crime statistics).
"""

from __future__ import annotations

import pandas as pd

from lagesbild.analysis import disclosure
from lagesbild.analysis.cube import incident_rows, protected_cube
from lagesbild.analysis.memo import memoised
from lagesbild.core.frames import Frames
from lagesbild.core.settings import Settings
from lagesbild.core.taxonomy import ALL, Taxonomy

BANDS = ((0, 6), (6, 12), (12, 18), (18, 24))
WEEKDAYS = {"sv": ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag"),
            "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")}


def band_label(band: int) -> str:
    start, end = BANDS[band]
    return f"{start:02d}–{end:02d}"


def when_table(frames: Frames, *, area_ids: list[str], period: str, taxonomy: Taxonomy,
               settings: Settings, levels: tuple[int, ...] = (2, 3)) -> pd.DataFrame:
    """Counts per weekday (0 = Monday … 6, or ALL) × band (0..3, or ALL), protected.

    `area_ids`: one kommun, or every kommun of a county (the county's table). Every kommun's
    table and its county's (their sum) are protected together, once per frames object, so no
    hidden cell follows from comparing a kommun's table with the county's. Another set of
    kommuner gets its summed table protected on its own. `levels`: the pyramid levels counted
    (default the violence levels 2 and 3). Returns the columns weekday, band, count,
    suppressed, suppression, display; one row per cell, totals included, zeros kept.
    """
    wanted = sorted(str(a) for a in area_ids)
    joint = memoised(frames, ("when_tables", str(period), tuple(levels), taxonomy, settings),
                     lambda: _protected_tables(frames, period=str(period), levels=levels,
                                               taxonomy=taxonomy, settings=settings))
    if len(wanted) == 1 and wanted[0] in set(joint["area_id"]):
        area: str | None = wanted[0]
    else:
        kommuner = frames.kommuner["area_id"].astype(str)
        area = next((lan for lan in frames.lan["area_id"].astype(str)
                     if sorted(kommuner[kommuner.str[:2] == lan[:2]]) == wanted), None)
    if area is not None:
        out = joint[joint["area_id"] == area].drop(columns="area_id")
    else:
        table = _counts(frames, area_ids=wanted, period=str(period), levels=levels,
                        taxonomy=taxonomy).groupby(["weekday", "band"], as_index=False,
                                                   sort=False)["count"].sum()
        out = disclosure.suppress(table, keys=["weekday", "band"],
                                  threshold=settings.suppress_below,
                                  additive=[("weekday", ALL), ("band", ALL)])
    out = out.copy()
    out["display"] = [disclosure.display_count(c, s, threshold=settings.suppress_below)
                      for c, s in zip(out["count"], out["suppression"])]
    return out.reset_index(drop=True)


def _protected_tables(frames: Frames, *, period: str, levels: tuple[int, ...],
                      taxonomy: Taxonomy, settings: Settings) -> pd.DataFrame:
    """Every kommun's table and each county's (their sum), protected as one table per county:
    area × weekday × band with the weekday and band margins and kommuner within the county."""
    kommuner = frames.kommuner["area_id"].astype(str).tolist()
    cells = _counts(frames, area_ids=kommuner, period=period, levels=levels, taxonomy=taxonomy)
    lan = frames.lan["area_id"].astype(str).tolist()
    county = cells.assign(area_id=cells["area_id"].str[:2].map({c[:2]: c for c in lan}))
    county = county[county["area_id"].notna()].groupby(
        ["area_id", "weekday", "band"], as_index=False, sort=False)["count"].sum()
    cells = pd.concat([cells, county], ignore_index=True)
    counts = cells["count"].to_numpy()
    small = (counts >= 1) & (counts < settings.suppress_below)
    # an area's grand total is its offences of levels 2 and 3 with a time: about what the
    # incident cube publishes of those levels. Where the cube hides either level's total, the
    # time table hides its total too (else it would bound the hidden one); where the cube shows
    # both, the total is as good as published, so no box may count on hiding it.
    cube = protected_cube(frames, period=period, source="incidents", taxonomy=taxonomy,
                          settings=settings)
    tops = cube[(cube["category"] == ALL) & (cube["sex"] == "T") & cube["level"].isin(levels)]
    veiled = set(tops.loc[tops["suppressed"].astype(bool), "area_id"].astype(str))
    grand = ((cells["weekday"] == ALL) & (cells["band"] == ALL)).to_numpy()
    veil = grand & cells["area_id"].isin(veiled).to_numpy()
    cells["_published"] = grand & ~veil
    out = disclosure.suppress_by_county(cells, keys=["area_id", "weekday", "band"],
                                        threshold=settings.suppress_below, counties=lan,
                                        additive=[("weekday", ALL), ("band", ALL)],
                                        primary=small | veil, fixed="_published")
    return out.drop(columns="_published")


def _counts(frames: Frames, *, area_ids: list[str], period: str, levels: tuple[int, ...],
            taxonomy: Taxonomy) -> pd.DataFrame:
    """area × weekday × band counts with the weekday and band margins, every cell present."""
    data = frames.incidents.iloc[incident_rows(frames, period)]  # the year's rows
    data = data[data["area_id"].isin(area_ids)
                & taxonomy.level_of(data["category"]).isin(levels)
                & data["occurred_at"].notna()]
    when = pd.to_datetime(data["occurred_at"])
    cells = pd.DataFrame({"area_id": data["area_id"].astype(str).to_numpy(),
                          "weekday": when.dt.day_of_week.astype(str).to_numpy(),
                          "band": (when.dt.hour // 6).astype(str).to_numpy()})
    counts = cells.value_counts().rename("count").reset_index()
    grid = pd.MultiIndex.from_product([area_ids, [*map(str, range(7)), ALL],
                                       [*map(str, range(4)), ALL]],
                                      names=["area_id", "weekday", "band"]).to_frame(index=False)
    inner = grid.merge(counts, on=["area_id", "weekday", "band"], how="left").fillna({"count": 0})
    inner = inner[(inner["weekday"] != ALL) & (inner["band"] != ALL)]
    by_day = inner.groupby(["area_id", "weekday"], as_index=False, sort=False)["count"].sum()
    by_band = inner.groupby(["area_id", "band"], as_index=False, sort=False)["count"].sum()
    total = inner.groupby("area_id", as_index=False, sort=False)["count"].sum()
    table = pd.concat([inner, by_day.assign(band=ALL), by_band.assign(weekday=ALL),
                       total.assign(weekday=ALL, band=ALL)], ignore_index=True)
    table["count"] = table["count"].astype("int64")
    return table[["area_id", "weekday", "band", "count"]]


def when_wide(table: pd.DataFrame, lang: str = "sv") -> pd.DataFrame:
    """The table as people read it: weekdays down, time bands across, totals last."""
    total = "Total" if lang == "en" else "Totalt"
    days = [*WEEKDAYS["en" if lang == "en" else "sv"], total]
    bands = [*(band_label(b) for b in range(4)), total]
    cell = {(w, b): d for w, b, d in zip(table["weekday"], table["band"], table["display"])}
    keys_w = [*map(str, range(7)), ALL]
    keys_b = [*map(str, range(4)), ALL]
    label = "Day" if lang == "en" else "Veckodag"
    return pd.DataFrame({label: days, **{bands[j]: [cell.get((w, b), "–") for w in keys_w]
                                          for j, b in enumerate(keys_b)}})
