"""Brå-like reported-crime counts per kommun × category × year × sex (× age group)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from lagesbild.core.age import age_key
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
from lagesbild.sources.population_age import by_age_group

# canonical key -> header aliases; a UI shows these in its column-mapping form
CRIME_COLUMNS: dict[str, list[str]] = {
    "area_id": ["Kommunkod", "Kommun kod", "Regionkod", "Kod", "Kommunnummer"],
    "area_name": ["Kommun", "Kommunnamn", "Region", "Regionnamn", "Område"],
    "period": ["År", "Period", "Year"],
    "category": ["Brottskategori", "Brottstyp", "Brott", "Brottsbenämning"],
    "sex": ["Kön", "Brottsoffrets kön"],
    "count": ["Antal", "Antal anmälda brott", "Anmälda brott"],
    # the victim's age or age band (Brå's "Målsägandes ålder"), grouped by `core.age`
    "age": ["Ålder", "Åldersgrupp", "Målsägandes ålder", "Brottsoffrets ålder"],
}
CRIME_OPTIONAL: tuple[str, ...] = ("sex", "age")
# the kommun by code or by name ('Upplands Väsby', '0114 Upplands Väsby'); codes win
CRIME_ONE_OF: tuple[tuple[str, ...], ...] = (("area_id",), ("area_name",))
# period + count may instead be one column per year ("2023", "2024"), as Brå's database exports
CRIME_WIDE: tuple[str, ...] = ("period", "count")
CRIME_SPEC = t.ColumnSpec(CRIME_COLUMNS, CRIME_OPTIONAL, CRIME_ONE_OF)
CELL = ["area_id", "period", "category", "sex"]  # one count (of one age group, or the total)


def read_crime_counts(source: str | Path | bytes, *, name: str | None = None,
                      mapping: Mapping[str, str | None] | None = None,
                      sheet: str | int | None = None) -> t.ReadResult:
    """Reported offences per kommun × category × year × sex (Brå-like export, CSV or XLSX).

    The kommun is a code column or, when the file has none, a name column matched against the
    290 official names (case-, dash- and space-insensitive; 'Region Gotland', '0114 Upplands
    Väsby'). Years may be one column ("År" with "Antal") or one column per year.

    An age column (the victim's age or band) makes rows with an age parts of the cell's total
    row (age_group blank), grouped as population by age is (`population_age.by_age_group`): a
    cell without a total row gets the sum of its ages, a band across two groups leaves those
    groups out. Age rows adding up to more than their total are rejected (`_ages_above_total`).
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
        "age": t.text,
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
    ages = rows["age"].astype(str).str.strip() if "age" in cols else pd.Series(
        "", index=rows.index, dtype=str)
    rows = rows.assign(_age=ages.to_numpy(), _age_key=[age_key(a) for a in ages])
    rows, dups = _duplicates(rows, [*CELL, *(["_age_key"] if "age" in cols else [])], raw.name,
                             cols["age"] if "age" in cols else cols["category"])
    notes = [*raw.notes, *_name_note(raw, cols[area_key], matched)]
    if wide:
        notes.append(f"Ett år per kolumn: {', '.join(years)}.")
    frame = rows[["_line", *CELL, "count", "_age", "_age_key"]]
    if "age" in cols and (frame["_age_key"] != "").any():
        frame, above = _ages_above_total(frame, raw.name, cols["age"])
        dups += above
        frame = by_age_group(frame.drop(columns="_age_key"), cols["age"], notes,
                             keys=tuple(CELL), value="count", what="antal brott")
        frame = frame.assign(_line=frame["_line"].astype("Int64"),
                             count=frame["count"].astype("int64"))
    else:
        frame = frame.drop(columns=["_age", "_age_key"]).assign(age_group=None)
    frame = frame[["_line", *CELL, "count", "age_group"]].assign(source="")
    periods = sorted(frame["period"].unique())
    return t.ReadResult(frame, sorted(rejected + dups, key=lambda r: r.row), Dataset(
        "", "incident_counts", "crime_counts", raw.name,
        f"{periods[0]}–{periods[-1]}" if periods else ""), notes=notes,
        columns={**cols, "area_id": cols[area_key]})


def _ages_above_total(frame: pd.DataFrame, name: str, field: str
                      ) -> tuple[pd.DataFrame, list[Rejection]]:
    """The age rows of a cell whose ages add up to more than the cell's total row: rejected,
    each on its own line (which of them is wrong cannot be told; the total is kept)."""
    is_age = (frame["_age_key"] != "").to_numpy()
    totals = frame[~is_age].set_index(CELL)["count"]
    sums = frame[is_age].groupby(CELL)["count"].sum()
    over = sums[sums > totals.reindex(sums.index).fillna(float("inf"))]
    if not len(over):
        return frame, []
    keys = list(frame[CELL].itertuples(index=False, name=None))
    bad = np.array([k in over.index for k in keys], dtype=bool) & is_age
    rejected = [Rejection(name, int(line), field, str(age),
                          f"åldrarnas summa ({int(over[key])}) är större än totalen "
                          f"({int(totals[key])}) för {key[0]}, {key[1]}, {key[2]}, kön {key[3]}; "
                          "åldersraderna avvisades, totalen behölls")
                for line, age, key in zip(frame.loc[bad, "_line"], frame.loc[bad, "_age"],
                                          [k for k, b in zip(keys, bad) if b])]
    return frame[~bad], rejected


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
