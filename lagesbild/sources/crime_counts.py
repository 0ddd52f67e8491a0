"""Brå-like reported-crime counts per kommun × category × year × sex (× age group)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from lagesbild.core.dataset import Dataset
from lagesbild.core.errors import Rejection
from lagesbild.sources import tables as t
from lagesbild.sources.aggregate_cells import (
    SEX_KMT,
    _area_parser,
    _code_or_national,
    _duplicates,
    _name_note,
    _year,
)

# canonical key -> header aliases; a UI shows these in its column-mapping form
CRIME_COLUMNS: dict[str, list[str]] = {
    "area_id": ["Kommunkod", "Kommun kod", "Regionkod", "Kod", "Kommunnummer"],
    "area_name": ["Kommun", "Kommunnamn", "Region", "Regionnamn", "Område"],
    "period": ["År", "Period", "Year"],
    "category": ["Brottskategori", "Brottstyp", "Brott", "Brottsbenämning"],
    "sex": ["Kön", "Brottsoffrets kön"],
    "count": ["Antal", "Antal anmälda brott", "Anmälda brott"],
}
CRIME_OPTIONAL: tuple[str, ...] = ("sex",)
# the kommun by code or by name ('Upplands Väsby', '0114 Upplands Väsby'); codes win
CRIME_ONE_OF: tuple[tuple[str, ...], ...] = (("area_id",), ("area_name",))
# period + count may instead be one column per year ("2023", "2024"), as Brå's database exports
CRIME_WIDE: tuple[str, ...] = ("period", "count")
CRIME_SPEC = t.ColumnSpec(CRIME_COLUMNS, CRIME_OPTIONAL, CRIME_ONE_OF)


def read_crime_counts(source: str | Path | bytes, *, name: str | None = None,
                      mapping: Mapping[str, str | None] | None = None,
                      sheet: str | int | None = None) -> t.ReadResult:
    """Reported offences per kommun × category × year × sex (Brå-like export, CSV or XLSX).

    The kommun is a code column or, when the file has none, a name column matched against the
    290 official names (case-, dash- and space-insensitive; 'Region Gotland', '0114 Upplands
    Väsby'). Years may be one column ("År" with "Antal") or one column per year.
    """
    raw = t.read_table(source, name=name, sheet=sheet)
    mapping = dict(mapping or {})
    years = [h for h in raw.header if re.fullmatch(r"(19|20)\d\d", h.strip())
             and h not in mapping.values()]
    wide_ok = bool(years) and not any(mapping.get(k) for k in CRIME_WIDE)
    optional = CRIME_OPTIONAL + (CRIME_WIDE if wide_ok else ())
    cols = t.find_columns(raw, CRIME_COLUMNS, optional=optional, mapping=mapping,
                          one_of=CRIME_ONE_OF)
    wide = wide_ok and not any(k in cols for k in CRIME_WIDE)
    if not wide and not all(k in cols for k in CRIME_WIDE):
        t.find_columns(raw, CRIME_COLUMNS, optional=CRIME_OPTIONAL, mapping=mapping,
                       one_of=CRIME_ONE_OF)  # raises, naming what is missing
    matched: dict[str, str] = {}
    area_key = "area_id" if "area_id" in cols else "area_name"
    area = t.required(_code_or_national if area_key == "area_id" else _area_parser(matched))
    parsers = {
        "area_id": area, "category": t.required(t.text),
        "sex": (lambda v: "T" if str(v).strip() == "" else t.choice(SEX_KMT, "kön")(v)),
    }
    col_of = {**cols, "area_id": cols[area_key]}
    if wide:
        rows, rejected = t.validate_rows(raw, col_of, parsers)
        rows, more = _wide(raw, rows, years, "period", lambda y: str(int(y.strip())),
                           "count", t.parse_count)
        rejected += more
    else:
        rows, rejected = t.validate_rows(raw, col_of, {
            **parsers, "period": t.required(_year), "count": t.required(t.parse_count)})
    rows, dups = _duplicates(rows, ["area_id", "period", "category", "sex"], raw.name, cols["category"])
    frame = rows[["_line", "area_id", "period", "category", "sex", "count"]].assign(source="")
    periods = sorted(frame["period"].unique())
    notes = [*raw.notes, *_name_note(raw, cols[area_key], matched)]
    if wide:
        notes.append(f"Ett år per kolumn: {', '.join(years)}.")
    return t.ReadResult(frame, sorted(rejected + dups, key=lambda r: r.row), Dataset(
        "", "incident_counts", "crime_counts", raw.name,
        f"{periods[0]}–{periods[-1]}" if periods else ""), notes=notes,
        columns={**cols, "area_id": cols[area_key]})


def _wide(raw: t.RawTable, rows: pd.DataFrame, value_columns: list[str], key: str,
          key_of, value: str, parse) -> tuple[pd.DataFrame, list[Rejection]]:  # type: ignore[no-untyped-def]
    """One output row per (input row, value column); each cell checked on its own."""
    cells = raw.rows.set_index("_line")
    out: list[dict[str, object]] = []
    rejected: list[Rejection] = []
    for rec in rows.to_dict("records"):
        for col in value_columns:
            text = cells.at[rec["_line"], col]
            try:
                number = parse(text)
            except ValueError as exc:
                rejected.append(Rejection(raw.name, int(rec["_line"]), col, str(text), str(exc)))
                continue
            out.append({**rec, key: key_of(col), value: number})
    return pd.DataFrame(out, columns=[*rows.columns, key, value]), rejected
