"""What the import wizard shows before anything is read for real: layers, sheets, preview, columns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import import_module

import pandas as pd

from lagesbild.sources import boundary_files, tables

# kind -> (module in lagesbild.sources, its ColumnSpec constant)
_COLUMN_SPECS = {
    "incidents": ("incidents", "SPEC"),
    "crime_counts": ("aggregates", "CRIME_SPEC"),
    "population": ("aggregates", "POPULATION_SPEC"),
    "indicators": ("aggregates", "INDICATOR_SPEC"),
    "survey_responses": ("survey_responses", "RESPONSE_SPEC"),
    "sites": ("programmes", "SITE_SPEC"),
    "programme_activity": ("programmes", "ACTIVITY_SPEC"),
    "actions": ("programmes", "ACTION_SPEC"),
    "population_simple": ("population_csv", "SPEC"),
    "notes": ("notes_csv", "SPEC"),
    "trainings": ("trainings", "TRAINING_SPEC"),
    "staff": ("trainings", "STAFF_SPEC"),
}


@dataclass(frozen=True)
class Preview:
    header: list[str]
    rows: pd.DataFrame
    note: str


def expected_columns(kind: str) -> tables.ColumnSpec | None:
    """A table kind's columns: canonical key -> accepted headers, optional keys, one-of groups."""
    if kind not in _COLUMN_SPECS:
        return None
    module_name, attribute = _COLUMN_SPECS[kind]
    spec = getattr(import_module(f"lagesbild.sources.{module_name}"), attribute)
    assert isinstance(spec, tables.ColumnSpec)
    return spec


def sheets(data: bytes, name: str) -> list[str]:
    """The sheets of an uploaded workbook ([] for a text file)."""
    return tables.sheet_names(data, name=name)


def preview_table(data: bytes, name: str, *, rows: int = 20, sheet: str | None = None) -> Preview:
    raw = tables.read_header_and_preview(data, name=name, rows=rows, sheet=sheet)
    shown = raw.rows.drop(columns="_line").head(rows)
    note = " ".join([raw.describe(), *raw.notes])
    return Preview(list(raw.header), shown, note)


def detect_columns(header: Sequence[str], wanted: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """The header each canonical column would be read from, exactly as the readers detect it."""
    return tables.guess_columns(header, wanted)


def boundary_layers(data: bytes, name: str) -> list[str]:
    return boundary_files.list_layers(data, name=name)
