"""Rows that another dataset already holds: refused before they are counted twice.

Two files that cover the same cells (the same area, year, category and sex in two crime tables;
the same area, year and sex in two population files; the same case number in two police
extracts) would be summed by every figure: a pyramid doubles, a town's rate halves. An import
whose rows overlap a dataset of another name is refused, naming that dataset, how many rows
overlap and one of them, and how to replace it instead (import under the same name). Text keys
are compared without case and surrounding spaces ("Misshandel " is "misshandel").
"""

from __future__ import annotations

import pandas as pd

from lagesbild.core import schema
from lagesbild.core.errors import InputError
from lagesbild.sources.tables import ReadResult
from lagesbild.store.workspace import Workspace

NATURAL_KEYS: dict[str, tuple[str, ...]] = {
    # age_group (blank for the total row): a file by age group beside a total file of another
    # name overlaps only where both give the same group, or both a total
    "incident_counts": ("area_id", "period", "category", "sex", "age_group"),
    "population": ("area_id", "year", "sex", "age_group"),
    "indicators": ("area_id", "period", "indicator_id", "sex", "age_group"),
    "incidents": ("incident_id",),
    "sites": ("site_id",),
    "programme_activity": ("site_id", "programme", "period"),
    "trainings": ("training", "date", "term", "area_id", "site_id", "unit_kind", "profession",
                  "organiser"),  # one occasion (sources.trainings.OCCASION)
    "staff": ("area_id", "unit_kind", "year"),
}
WORDS = {"area_id": "område", "period": "period", "year": "år", "category": "kategori",
         "sex": "kön", "indicator_id": "indikator", "incident_id": "ärendenummer",
         "site_id": "enhet", "programme": "program", "age_group": "åldersgrupp",
         "training": "utbildning", "date": "datum", "term": "termin", "unit_kind": "verksamhet",
         "profession": "yrkesgrupp", "organiser": "arrangör"}


def _normal(frame: pd.DataFrame, keys: tuple[str, ...], table: str) -> pd.DataFrame:
    """Keys as comparable text: integers as integers (SQLite may hand back 2024.0), text
    without case and surrounding spaces."""
    out = {}
    for k in keys:
        if k not in frame.columns:  # a reader or an old workspace without the column: blank
            out[k] = pd.Series("", index=frame.index, dtype="string")
            continue
        column = frame[k]
        if schema.TABLES[table].get(k) == schema.INT:
            column = pd.to_numeric(column).round().astype("Int64")
        out[k] = column.astype("string").str.strip().str.casefold().fillna("")
    return pd.DataFrame(out).reset_index(drop=True)


def refuse_overlaps(workspace: Workspace, result: ReadResult) -> None:
    """Raise InputError when `result`'s rows overlap a dataset of another name."""
    table, name = result.dataset.table, result.dataset.name
    keys = NATURAL_KEYS.get(table)
    if keys is None or not len(result.accepted):
        return
    stored = workspace.read_columns(table, [*keys, "source"])
    stored = stored[stored["source"].astype("string") != name]
    if not len(stored):
        return
    shown = {f"_as_given_{k}": (result.accepted[k].astype("string").fillna("–").to_numpy()
                                if k in result.accepted.columns else "–") for k in keys}
    new = _normal(result.accepted, keys, table).assign(**shown).drop_duplicates(list(keys))
    old = _normal(stored, keys, table).assign(source=stored["source"].astype("string").to_numpy())
    both = new.merge(old, on=list(keys), how="inner")
    if not len(both):
        return
    other = str(both["source"].mode().iloc[0])
    first = both.iloc[0]
    example = ", ".join(f"{WORDS.get(k, k)} {first[f'_as_given_{k}']}" for k in keys)
    raise InputError(
        f"{len(both)} rader finns redan i datasetet '{other}' (samma "
        f"{', '.join(WORDS.get(k, k) for k in keys)}; t.ex. {example}). De skulle räknas två "
        "gånger; inget sparades.", file=result.dataset.file, field=", ".join(keys),
        fix=f"Ska filen ersätta '{other}'? Importera den under samma namn ('{other}'). "
            "Annars: ta bort de överlappande raderna ur filen.")
