"""How trainings and staff counts are written back out: the CSVs `sources.trainings` reads.

A training is written with its name as given (read back, it normalises to the same name), its
day, or its term when no day was given, and both its unit id and kommun code.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from lagesbild.store.export_cells import _Context, _csv, _decimal, _int, _text, _write

TRAINING_HEADER = ["Utbildning", "Datum", "Arrangör", "Yrkesgrupp", "Verksamhet", "Enhets-ID",
                   "Kommunkod", "Deltagare", "Timmar"]
STAFF_HEADER = ["Kommunkod", "Verksamhet", "År", "Personal"]


def write_trainings(frame: pd.DataFrame, path: Path, ctx: _Context) -> list[dict[str, str]]:
    rows = [[_text(name), _text(day) or _text(term), _text(org), _text(prof), _text(kind),
             _text(site), _text(area), _int(n), _decimal(hours)]
            for name, day, term, org, prof, kind, site, area, n, hours in zip(
                frame["training_given"], frame["date"], frame["term"], frame["organiser"],
                frame["profession"], frame["unit_kind"], frame["site_id"], frame["area_id"],
                frame["participants"], frame["hours"])]
    _write(path, _csv(TRAINING_HEADER, rows))
    return [{}]


def write_staff(frame: pd.DataFrame, path: Path, ctx: _Context) -> list[dict[str, str]]:
    rows = [[_text(a), _text(k), _int(y), _int(n)]
            for a, k, y, n in zip(frame["area_id"], frame["unit_kind"], frame["year"],
                                  frame["staff"])]
    _write(path, _csv(STAFF_HEADER, rows))
    return [{}]
