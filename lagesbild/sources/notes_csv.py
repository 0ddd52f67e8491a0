"""Report notes and local goals as a CSV (what `lagesbild export` writes for them)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from lagesbild.core import schema
from lagesbild.core.dataset import Dataset
from lagesbild.core.errors import Rejection
from lagesbild.sources import tables as t

COLUMNS: dict[str, list[str]] = {
    "area_id": ["Område", "Områdeskod", "Kommunkod"], "period": ["Period"],
    "key": ["Nyckel"], "text": ["Text", "Anteckning"], "updated_at": ["Uppdaterad"],
}
SPEC = t.ColumnSpec(COLUMNS, ("updated_at",))
SECTIONS = ("kartlaggning", "analys", "forebyggande", "atgarder", "kallor")  # report.model


def _key(value: str) -> str:
    kind, _, name = value.strip().partition(":")
    if kind == "note" and name in SECTIONS:
        return value.strip()
    if kind == "goal" and name in schema.FOCUS_AREAS:
        return value.strip()
    raise ValueError("väntade note:<avsnitt> (" + ", ".join(SECTIONS) + ") eller goal:<fokusområde> ("
                     + ", ".join(schema.FOCUS_AREAS) + ")")


def read_notes(source: str | Path | bytes, *, name: str | None = None,
               mapping: Mapping[str, str | None] | None = None,
               sheet: str | int | None = None) -> t.ReadResult:
    raw = t.read_table(source, name=name, sheet=sheet)
    cols = t.find_spec(raw, SPEC, mapping=mapping)
    rows, rejected = t.validate_rows(raw, cols, {
        "area_id": t.required(t.text), "period": t.required(t.text), "key": t.required(_key),
        "text": t.text, "updated_at": t.parse_datetime,
    })
    dup = rows.duplicated(["area_id", "period", "key"])
    rejected += [Rejection(raw.name, int(r["_line"]), cols["key"], r["key"],
                           "Samma område, period och nyckel finns redan på en tidigare rad.")
                 for r in rows[dup].to_dict("records")]
    frame = pd.DataFrame(rows[~dup]).assign(source="")
    if "updated_at" not in frame:
        frame["updated_at"] = pd.NaT
    return t.ReadResult(frame, sorted(rejected, key=lambda r: r.row),
                        Dataset("", "notes", "notes", raw.name), notes=list(raw.notes),
                        columns=dict(cols))
