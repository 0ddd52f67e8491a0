"""Polisen's event notices for one area and year: counts per type and month, never as crime data.

The notices on polisen.se are a selection the police chose to tell the public about, placed at a
kommun or a län (their gps is the area's centre, which is never stored or drawn). They show what
the police reported publicly, not how much crime there was: every table here carries that caveat,
and they never enter a rate, a pyramid or a comparison. Each notice is public on its own, so
counting them discloses nothing the notices do not: no suppression applies (the suppression
policy protects people behind registered offences).

A county's table holds its kommuner's notices and those placed only at the län ("Västerbottens
län"); a kommun's table holds its own, and says how many of its county's were placed at the län
only (they may have happened in the kommun).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from lagesbild.core import schema
from lagesbild.core.frames import Frames

CAVEAT = (
    "Polisens händelsenotiser (polisen.se): ett urval händelser som polisen valt att berätta om, "
    "inte brottsstatistik. Platsen är kommunen eller länet, aldrig en adress.",
    "The police's event notices (polisen.se): a selection of events the police chose to tell "
    "the public about, not crime statistics. The place is the kommun or the län, never an "
    "address.")
MONTHS = ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec")


@dataclass(frozen=True)
class EventCounts:
    area_id: str
    year: str
    by_type: pd.DataFrame  # type, count, then one column per month (jan … dec)
    total: int
    lan_only: int  # the county's notices placed at the län only (for a kommun: not counted in)
    sources: str
    first: str  # the first and last notice of the year found ('' without notices)
    last: str


def years(frames: Frames) -> list[str]:
    return sorted({str(int(y)) for y in frames.events["year"].dropna()})


def event_counts(frames: Frames, *, area_id: str, year: str) -> EventCounts:
    """The notices of `year` in `area_id` (a kommun or a län) per type and month."""
    events = frames.events
    events = events[events["year"].astype("Int64").astype(str) == str(year)]
    lan_level = schema.AreaLevel.LAN.value
    is_lan = area_id in set(frames.lan["area_id"].astype(str))
    county = area_id if is_lan else (frames.parent_of(area_id) or area_id[:2])
    kommuner = set(frames.kommuner["area_id"].astype(str))
    in_county = {k for k in kommuner if k[:2] == str(county)[:2]}
    area = events["area_id"].astype(str)
    at_lan = (events["area_level"].astype(str) == lan_level) & (area == str(county))
    if is_lan:
        mine = events[area.isin(in_county) | at_lan]
    else:
        mine = events[area == str(area_id)]
    month = pd.to_datetime(mine["occurred_at"]).dt.month
    table = pd.crosstab(mine["type"].astype(str), month) if len(mine) else pd.DataFrame()
    table = table.reindex(columns=range(1, 13), fill_value=0)
    table.columns = list(MONTHS)
    table.insert(0, "count", table.sum(axis=1))
    table = table.sort_values("count", ascending=False, kind="stable")
    table = table.rename_axis("type").reset_index()
    when = pd.to_datetime(mine["occurred_at"])
    return EventCounts(
        area_id=str(area_id), year=str(year), by_type=table, total=int(len(mine)),
        lan_only=0 if is_lan else int(at_lan.sum()),
        sources=frames.source_label(mine["source"].unique().tolist()),
        first=str(when.min().date()) if len(mine) else "",
        last=str(when.max().date()) if len(mine) else "")


def caveat(lang: str = "sv") -> str:
    return CAVEAT[1 if lang == "en" else 0]


def lan_only_note(counts: EventCounts, lang: str = "sv") -> str:
    """For a kommun: how many of its county's notices name only the län."""
    if not counts.lan_only:
        return ""
    if lang == "en":
        return (f"{counts.lan_only} notices of the county that year name only the län; some may "
                "have happened here and are not counted.")
    return (f"{counts.lan_only} notiser i länet det året anger bara länet; några kan ha hänt här "
            "och räknas inte med.")
