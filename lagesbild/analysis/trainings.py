"""Trainings of staff per kommun (and county) and kind of unit: occasions, participants, hours,
and the share of staff trained where the staff is known.

Participants are counted per occasion: a teacher at two trainings counts twice. Summed over
trainings they are attendances, not persons, so a share of staff is an upper bound ("högst"),
and is shown only with its denominator (the staff count, `staff` table) for one year; where no
staff count is known, or several years are summed, there is no share.

Disclosure: these counts are not passed through `analysis.disclosure`. That policy protects
persons counted as victims, suspects or respondents (crime and survey cells), where a small
count can say something about a person's exposure to violence. A training count says only
that staff of a unit took part in a work training: the organisers publish exactly these
figures (BIG's newsletters, Länsstyrelsen's reports), and nothing about any person's exposure
can be learnt from them. They never enter a crime or survey table, so no hidden cell there can
be recovered from them.
"""

from __future__ import annotations

import pandas as pd

from lagesbild.analysis.coverage import county_of_kommun
from lagesbild.core import schema
from lagesbild.core.frames import Frames

KEYS = ["training", "area_id", "unit_kind"]
COLUMNS = ["training", "area_id", "name", "level", "unit_kind", "occasions", "participants",
           "hours", "hours_missing", "staff", "share_staff", "source"]
ALL_TRAININGS = ("Alla utbildningar", "All trainings")
UNIT_EN = {"skola": "school", "förskola": "preschool", "fritidsgård": "youth centre",
           "parklek": "playground", "arbetsplats": "workplace"}
NOTES = {
    "sv": ("Deltagare räknas per tillfälle: den som gått två utbildningar räknas två gånger, så "
           "andelen av personalen är en övre gräns. Timmar = deltagare × timmar per deltagare. "
           "Andelen visas bara för ett år och där antalet anställda är känt."),
    "en": ("Participants are counted per occasion: someone at two trainings counts twice, so the "
           "share of staff is an upper bound. Hours = participants × hours per participant. The "
           "share is shown only for one year and where the number of staff is known."),
}


def years(frames: Frames) -> list[int]:
    """The years with trainings, oldest first."""
    return sorted({int(y) for y in frames.trainings["year"].dropna()})


def _rows(frames: Frames, year: int | None) -> pd.DataFrame:
    rows = frames.trainings
    if year is not None:
        rows = rows[rows["year"] == year]
    rows = pd.DataFrame(rows).assign(
        person_hours=lambda f: pd.to_numeric(f["participants"]) * pd.to_numeric(f["hours"]),
        no_hours=lambda f: f["hours"].isna())
    return rows


def _summed(rows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    if not len(rows):
        return pd.DataFrame(columns=[*keys, "occasions", "participants", "hours",
                                     "hours_missing"])
    out = rows.groupby(keys, as_index=False, dropna=False).agg(
        occasions=("participants", "size"), participants=("participants", "sum"),
        hours=("person_hours", lambda v: v.sum(min_count=1)), hours_missing=("no_hours", "sum"))
    return out


def _with_county(frames: Frames, rows: pd.DataFrame) -> pd.DataFrame:
    """The rows and, for each county of the workspace, its kommuner's rows as the county."""
    counties = county_of_kommun(frames)
    county = rows.assign(area_id=rows["area_id"].astype(str).map(counties))
    return pd.concat([rows, county[county["area_id"].notna()]], ignore_index=True)


def _staff(frames: Frames, year: int | None) -> dict[tuple[str, str], int]:
    """(area_id, unit kind) -> staff in `year`, kommuner and counties. A county's staff is
    known only when every kommun of it in the workspace has its count (else a share would
    divide the whole county's participants by part of its staff)."""
    if year is None or not len(frames.staff):
        return {}
    staff = frames.staff[frames.staff["year"] == year]
    found = {(str(a), str(k)): int(n) for a, k, n in zip(staff["area_id"], staff["unit_kind"],
                                                         staff["staff"])}
    counties = county_of_kommun(frames)
    for lan in set(counties.values()):
        own = [k for k, c in counties.items() if c == lan]
        for kind in schema.TRAINING_UNIT_KINDS:
            if all((k, kind) in found for k in own):
                found[(lan, kind)] = sum(found[(k, kind)] for k in own)
    return found


def _finish(frames: Frames, out: pd.DataFrame, year: int | None) -> pd.DataFrame:
    staff = _staff(frames, year)
    names = dict(zip(frames.areas["area_id"].astype(str), frames.areas["name"].astype(str)))
    levels = dict(zip(frames.areas["area_id"].astype(str), frames.areas["level"].astype(str)))
    out = out.assign(
        name=out["area_id"].astype(str).map(names),
        level=out["area_id"].astype(str).map(levels),
        staff=pd.array([staff.get((str(a), str(k))) for a, k in zip(out["area_id"],
                                                                    out["unit_kind"])],
                       dtype="Int64"))
    share = 100 * pd.to_numeric(out["participants"]).astype("Float64") / out["staff"].astype(
        "Float64")
    out["share_staff"] = share.round(1)
    out["source"] = frames.source_label(list(frames.trainings["source"].unique())
                                        + list(frames.staff["source"].unique()))
    for col in ("occasions", "participants", "hours_missing"):
        out[col] = pd.to_numeric(out[col]).astype("Int64")
    out["hours"] = pd.to_numeric(out["hours"]).astype("Float64").round(1)
    out = out.assign(_county=out["level"] == schema.AreaLevel.LAN.value)
    return out.sort_values(["_county", "name", "training", "unit_kind"]).drop(
        columns="_county")[COLUMNS].reset_index(drop=True)


def by_training(frames: Frames, *, year: int | None = None) -> pd.DataFrame:
    """Per training × kommun (and county) × kind of unit: occasions, participants, hours (sum of
    participants × hours per participant; `hours_missing` occasions gave none), staff and the
    share of staff in % (both only for one `year` and where the staff count is known)."""
    rows = _with_county(frames, _rows(frames, year))
    return _finish(frames, _summed(rows, KEYS), year)


def totals(frames: Frames, *, year: int | None = None, lang: str = "sv") -> pd.DataFrame:
    """Per kommun (and county) × kind of unit, every training together (training "Alla
    utbildningar"): the figures of `by_training` summed; its share of staff is an upper
    bound (someone at two trainings counts twice)."""
    rows = _with_county(frames, _rows(frames, year))
    out = _summed(rows, ["area_id", "unit_kind"]).assign(
        training=ALL_TRAININGS[1 if lang == "en" else 0])
    return _finish(frames, out, year)


def summary(frames: Frames, area_ids: list[str], *, year: int | None = None) -> dict:
    """The trainings of the kommuner `area_ids` in `year`: occasions, participants, hours, the
    trainings and kinds of unit, for a sentence ("Under 2024 har 120 deltagare …")."""
    rows = _rows(frames, year)
    rows = rows[rows["area_id"].astype(str).isin([str(a) for a in area_ids])]
    hours = rows["person_hours"].sum(min_count=1)
    return {"occasions": len(rows), "participants": int(rows["participants"].sum()),
            "hours": None if pd.isna(hours) else float(hours),
            "hours_missing": int(rows["no_hours"].sum()),
            "trainings": sorted(rows["training"].astype(str).unique()),
            "unit_kinds": [k for k in schema.TRAINING_UNIT_KINDS
                           if k in set(rows["unit_kind"].astype(str))]}
