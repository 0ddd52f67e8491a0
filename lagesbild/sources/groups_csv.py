"""Named groups of kommuner as a CSV: `namn;kommuner`, the codes comma-separated in the cell
(`Södra Lappland;2417,2422,2462,2463`); what `lagesbild export` writes for them."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from lagesbild.core.dataset import Dataset
from lagesbild.core.errors import Rejection
from lagesbild.sources import tables as t

COLUMNS: dict[str, list[str]] = {"name": ["namn", "grupp", "Namn"],
                                 "kommun_ids": ["kommuner", "Kommuner", "kommunkoder"]}
SPEC = t.ColumnSpec(COLUMNS, ())


def group_id(name: str) -> str:
    """A stable id from the name: 'Södra Lappland' -> 'sodra-lappland'."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-") or "grupp"


def _codes(value: str) -> str:
    codes = [c.strip() for c in re.split(r"[,\s]+", str(value)) if c.strip()]
    bad = [c for c in codes if not re.fullmatch(r"\d{4}", c)]
    if bad:
        raise ValueError(f"'{bad[0]}' är ingen kommunkod: väntade fyra siffror, t.ex. 2417")
    if len(codes) < 2:
        raise ValueError("väntade minst två kommunkoder med komma emellan, t.ex. 2417,2422")
    if len(set(codes)) < len(codes):
        raise ValueError("samma kommun står två gånger")
    return ",".join(codes)


def read_groups(source: str | Path | bytes, *, name: str | None = None,
                mapping: Mapping[str, str | None] | None = None,
                sheet: str | int | None = None) -> t.ReadResult:
    raw = t.read_table(source, name=name, sheet=sheet)
    cols = t.find_spec(raw, SPEC, mapping=mapping)
    rows, rejected = t.validate_rows(raw, cols, {"name": t.required(t.text),
                                                 "kommun_ids": t.required(_codes)})
    rows = pd.DataFrame(rows)
    rows["group_id"] = [group_id(str(n)) for n in rows["name"]] if len(rows) else []
    dup = rows.duplicated(["group_id"]) if len(rows) else pd.Series(dtype=bool)
    rejected += [Rejection(raw.name, int(r["_line"]), cols["name"], r["name"],
                           "En grupp med samma namn finns redan på en tidigare rad.")
                 for r in rows[dup].to_dict("records")]
    frame = rows[~dup].assign(source="") if len(rows) else \
        pd.DataFrame(columns=["group_id", "name", "kommun_ids", "source"])
    return t.ReadResult(frame, sorted(rejected, key=lambda r: r.row),
                        Dataset("", "groups", "groups", raw.name), notes=list(raw.notes),
                        columns=dict(cols))
