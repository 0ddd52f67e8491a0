"""Polisen's public events (the API's JSON list) -> events at area precision, never points.

The API's `gps` is the centre of the kommun or län named in `location.name`, not where anything
happened, so it is not stored: an event keeps only the area it names.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pandas as pd

from lagesbild.core import schema
from lagesbild.core.dataset import Dataset
from lagesbild.core.errors import InputError, Rejection
from lagesbild.sources import tables as t

_DATETIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2}) (\d{1,2}):(\d{2}):(\d{2}) ([+-]\d{2}):?(\d{2})$")


def fold_name(name: str) -> str:
    """'Upplands väsby' == 'Upplands Väsby'; 'Malung-Sälen' == 'Malung Sälen'."""
    return re.sub(r"[\s\-–]+", " ", str(name).casefold()).strip()


def parse_event_time(text: str) -> datetime:
    """'2024-01-01 0:40:16 +01:00' (hours not always padded) -> local Swedish time, naive."""
    m = _DATETIME.match(str(text).strip())
    if not m:
        raise ValueError("okänt tidsformat (väntade t.ex. 2024-01-05 21:13:04 +01:00)")
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    return datetime(year, month, day, hour, minute, second)


def area_lookup(areas: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """Folded kommun and län names -> (area_id, level), from a canonical areas table."""
    keep = areas[areas["level"].isin(["kommun", "lan"])]
    return {fold_name(n): (str(a), str(lv)) for a, n, lv in zip(keep["area_id"], keep["name"], keep["level"])}


def sweden_names() -> set[str]:
    """Folded names of all 290 kommuner and 21 län: places that exist, if not in a workspace."""
    from lagesbild.sources.boundaries import lan_names
    from lagesbild.sources.kommun_names import kommuner

    return {fold_name(n) for n in [*kommuner().values(), *lan_names().values()]}


def read_polisen_events(source: str | Path | bytes, *, lookup: dict[str, tuple[str, str]],
                        name: str | None = None,
                        elsewhere: set[str] | frozenset[str] = frozenset()) -> t.ReadResult:
    """Events with their area (kommun or län, matched by name); unmatched names are rejected.

    Events for places in `elsewhere` (folded names of real kommuner and län outside the
    workspace) are not errors: they are left out and counted in a note.
    """
    if isinstance(source, bytes):
        data, name = source, name or "polisen.json"
    else:
        data, name = Path(source).read_bytes(), name or Path(source).name
    try:
        records = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"Filen är inte JSON ({exc.__class__.__name__}).", file=name,
                         fix="Spara svaret från Polisens API (api/events) som en .json-fil.") from exc
    if not isinstance(records, list):
        raise InputError("Väntade en JSON-lista med händelser, som Polisens API svarar.", file=name,
                         fix="Filen ska börja med '['.")
    rows, rejected, seen = [], [], set()
    outside: dict[str, int] = {}
    to_kommun: list[str] = []
    for i, rec in enumerate(records, start=1):
        if not isinstance(rec, dict):
            rejected.append(Rejection(name, i, "", str(rec)[:60], "Händelsen är inte ett JSON-objekt."))
            continue
        event_id = str(rec.get("id", "")).strip()
        location = rec.get("location") or {}
        place = str(location.get("name", "")).strip() if isinstance(location, dict) else ""
        if not event_id:
            rejected.append(Rejection(name, i, "id", "", "id saknas."))
            continue
        if event_id in seen:
            rejected.append(Rejection(name, i, "id", event_id, "Händelsen finns redan tidigare i filen."))
            continue
        try:
            when = parse_event_time(rec.get("datetime", ""))
        except ValueError as exc:
            rejected.append(Rejection(name, i, "datetime", str(rec.get("datetime", "")), str(exc)))
            continue
        match = lookup.get(fold_name(place))
        if match is None and fold_name(place) in elsewhere:
            outside[place] = outside.get(place, 0) + 1
            continue
        if match is None:
            rejected.append(Rejection(name, i, "location.name", place,
                                      "Platsen är varken en kommun eller ett län i arbetsytan."))
            continue
        title = str(rec.get("name", "")).strip()
        if match[1] == schema.AreaLevel.LAN.value:  # "…, Trafikbrott, Sollentuna" in a län
            named = lookup.get(fold_name(title.rsplit(",", 1)[-1]))
            if named is not None and named[1] == schema.AreaLevel.KOMMUN.value and \
                    named[0][:2] == match[0][:2]:
                match = named
                to_kommun.append(title.rsplit(",", 1)[-1].strip())
        seen.add(event_id)
        rows.append({"_line": i, "event_id": event_id, "occurred_at": when, "year": when.year,
                     "type": str(rec.get("type", "")).strip() or "Okänd",
                     "title": title, "location_name": place,
                     "area_id": match[0], "area_level": match[1]})
    frame = pd.DataFrame(rows, columns=["_line", "event_id", "occurred_at", "year", "type", "title",
                                        "location_name", "area_id", "area_level"]).assign(source="")
    years = sorted({str(y) for y in frame["year"]})
    notes = []
    if to_kommun:
        notes.append(f"{len(to_kommun)} {'händelse' if len(to_kommun) == 1 else 'händelser'} "
                     "med ett län som plats men en kommun i rubriken "
                     f"(t.ex. {to_kommun[0]}) placerades i kommunen.")
    if outside:
        common = sorted(outside, key=lambda p: (-outside[p], p))[:3]
        notes.append(f"{sum(outside.values())} händelser gäller kommuner eller län utanför "
                     f"arbetsytan (t.ex. {', '.join(common)}) och importerades inte.")
    return t.ReadResult(frame, rejected, Dataset("", "events", "polisen_events", name,
                                                 f"{years[0]}–{years[-1]}" if years else ""),
                        notes)
