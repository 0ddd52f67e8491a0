"""When offences happen: the police extract's incidents by weekday × time of day, protected.

The table has a row per weekday and a column per six-hour band, with row, column and grand
totals; disclosure control treats both margins as additive relations, so no hidden cell follows
from the totals. Only incidents with a true time (the police extract) are used; Polisen's event
notices are never counted here (they are not crime statistics).
"""

from __future__ import annotations

import pandas as pd

from lagesbild.analysis import disclosure
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

    `levels`: the pyramid levels counted (default the violence levels 2 and 3). Returns the
    columns weekday, band, count, suppressed, suppression, display; one row per cell, totals
    included, every cell present (zeros kept).
    """
    data = frames.incidents
    data = data[data["area_id"].astype(str).isin(area_ids)
                & (data["year"].astype("string") == str(period))
                & taxonomy.level_of(data["category"]).isin(levels)
                & data["occurred_at"].notna()]
    when = pd.to_datetime(data["occurred_at"])
    cells = pd.DataFrame({"weekday": when.dt.day_of_week.astype(str),
                          "band": (when.dt.hour // 6).astype(str)})
    counts = cells.value_counts().rename("count").reset_index()
    grid = pd.MultiIndex.from_product([[*map(str, range(7)), ALL], [*map(str, range(4)), ALL]],
                                      names=["weekday", "band"]).to_frame(index=False)
    inner = grid.merge(counts, on=["weekday", "band"], how="left").fillna({"count": 0})
    inner = inner[(inner["weekday"] != ALL) & (inner["band"] != ALL)]
    by_day = inner.groupby("weekday", as_index=False)["count"].sum().assign(band=ALL)
    by_band = inner.groupby("band", as_index=False)["count"].sum().assign(weekday=ALL)
    total = pd.DataFrame({"weekday": [ALL], "band": [ALL], "count": [inner["count"].sum()]})
    table = pd.concat([inner, by_day, by_band, total], ignore_index=True)
    table["count"] = table["count"].astype("int64")
    out = disclosure.suppress(table, keys=["weekday", "band"], threshold=settings.suppress_below,
                              additive=[("weekday", ALL), ("band", ALL)])
    out["display"] = [disclosure.display_count(c, s, threshold=settings.suppress_below)
                      for c, s in zip(out["count"], out["suppression"])]
    return out.reset_index(drop=True)


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
