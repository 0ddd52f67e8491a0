"""Plain population lists (kommun code, name, population; the year from a column or the caller)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from lagesbild.core.dataset import Dataset
from lagesbild.core.errors import InputError, Rejection
from lagesbild.sources import tables as t
from lagesbild.sources.aggregates import _duplicates, _year
from lagesbild.sources.kommun_names import area_code_or_name

COLUMNS = {
    "area_id": ["kommun_kod", "Kommunkod", "Kommun kod", "Kod", "Regionkod", "Region", "Kommun"],
    "name": ["kommun_namn", "Kommunnamn", "Namn", "Name"],
    "year": ["År", "Ar", "year", "Year"],
    "population": ["population", "Folkmängd", "Befolkning", "Invånare", "Antal invånare",
                   "Folkmängd 31 december", "Antal"],
}
OPTIONAL: tuple[str, ...] = ("name", "year")
SPEC = t.ColumnSpec(COLUMNS, OPTIONAL)


def read_population_simple(source: str | Path | bytes, *, name: str | None = None,
                           year: int | None = None,
                           mapping: Mapping[str, str | None] | None = None,
                           sheet: str | int | None = None) -> t.ReadResult:
    """Total population (sex T) per kommun from a plain list (kommun_kod, kommun_namn, population).

    The year comes from a year column or, when the file has none, from `year`; when both are
    given, rows whose year differs from `year` are rejected. Codes keep their leading zeros
    ("0114"; "114" from Excel becomes "0114"); a kommun name ('Upplands Väsby') is matched to
    its code.
    """
    raw = t.read_table(source, name=name, sheet=sheet)
    cols = t.find_columns(raw, COLUMNS, optional=OPTIONAL, mapping=mapping)
    if "year" not in cols and year is None:
        raise InputError("Året saknas: filen har ingen årskolumn och inget år angavs.",
                         file=raw.name, row=raw.header_line, field="År",
                         fix="Ange året vid importen (t.ex. 2024) eller lägg till kolumnen År.")
    if year is not None and not 1900 <= int(year) <= 2099:
        raise InputError(f"Ogiltigt år {year}.", file=raw.name, field="År",
                         fix="Ange ett årtal som 2024.")

    def year_of(value: str) -> int:
        if "year" not in cols:
            return int(year)  # type: ignore[arg-type]  # checked above
        found = int(_year(value))
        if year is not None and found != int(year):
            raise ValueError(f"året {found} skiljer sig från det angivna året {year}")
        return found

    rows, rejected = t.validate_rows(raw, cols, {
        "area_id": t.required(area_code_or_name), "year": year_of,
        "population": t.required(t.parse_count),
    })
    rows, dups = _duplicates(rows, ["area_id", "year"], raw.name, cols["area_id"])
    frame = rows.assign(_line=rows["_line"].astype("Int64"), sex="T", source="")[
        ["_line", "area_id", "year", "sex", "population", "source"]]
    years = sorted(set(frame["year"].tolist()))
    period = "" if not years else str(years[0]) if years[0] == years[-1] else \
        f"{years[0]}–{years[-1]}"
    notes = list(raw.notes)
    notes += [] if "name" in cols else ["Filen har inga kommunnamn; koderna kontrolleras mot "
                                       "arbetsytans kommuner vid importen."]
    all_rejected: list[Rejection] = sorted(rejected + dups, key=lambda r: r.row)
    return t.ReadResult(frame.reset_index(drop=True), all_rejected, Dataset(
        "", "population", "population_simple", raw.name, period,
        description="Folkmängd per kommun (totalt)"), notes=notes, columns=dict(cols))

