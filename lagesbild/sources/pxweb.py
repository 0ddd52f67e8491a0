"""SCB Statistikdatabasen (PX-Web API v1 JSON and JSON-stat 2.0) -> population.

`read_pxweb` decodes the answer into a cube (`pxweb_cube`) and collapses it into population per
region, year and sex here. The API client is `sources.clients.pxweb.PxWebClient`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from lagesbild.core.dataset import Dataset
from lagesbild.core.errors import InputError, Rejection
from lagesbild.sources import json_input
from lagesbild.sources import tables as t
from lagesbild.sources.pxweb_cube import (
    FIX_FORMAT,
    _Cell,
    _Cube,
    _Dim,
    _jsonstat_cube,
    _pxweb_cube,
    _short,
)

__all__ = ["read_pxweb", "FIX_FORMAT", "MISSING_SYMBOLS", "SEX_CODES"]

# Region codes carry the vintage of the division: "1480R001_RegSO2025" -> "1480R001".
_VINTAGE = re.compile(r"_(?:RegSO|DeSO)\d{4}$", re.IGNORECASE)
_REGION = re.compile(r"[0-9A-Za-z]+")
_YEAR = re.compile(r"(19|20)\d\d")
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")
# SCB's symbols for cells without a number (www.scb.se: teckenförklaring).
MISSING_SYMBOLS = {
    "..": "uppgift inte tillgänglig eller för osäker",
    ".": "uppgift kan inte förekomma",
    "-": "inget finns att redovisa (noll hos SCB); lästes inte som 0",
    "…": "uppgift inte tillgänglig",
    "": "tomt värde",
}
# Codes and labels that mean "all values of this dimension": used instead of summing parts.
_TOTAL_WORDS = {"tot", "totalt", "total", "samtliga", "alla", "summa", "totalt ålder",
                "samtliga åldrar", "totalt alla åldrar"}
SEX_CODES = {k: v for k, v in t.SEX_WORDS.items() if v is not None}


# --- public reader ---------------------------------------------------------------------------

def read_pxweb(source: str | Path | bytes, *, name: str | None = None,
               measure: str = "population") -> t.ReadResult:
    """Population from an SCB API answer: PX-Web API v1 JSON or JSON-stat 2.0 (also 1.x bundles).

    Rows are summed over every dimension that is not region, sex or year (e.g. age). A dimension
    with a total value ("totalt", "tot") gives the total instead, and its parts are only compared
    against it. An age dimension (SCB's "Alder") with several ages is also kept by age group
    (`core.age`; rows with age_group set beside the total, as the population CSV by age). `measure` picks the content variable when the answer has several (its code or text;
    the default takes the only one, or the one about folkmängd). T = K + M is added only where the
    file has no total and both K and M are complete.
    """
    doc, name = json_input.load_json(source, name, fix=FIX_FORMAT)
    if not isinstance(doc, dict):
        raise InputError("Filen är JSON men inget SCB-svar (väntade ett objekt { … }).",
                         file=name, fix=FIX_FORMAT)
    if "columns" in doc or "data" in doc:
        cube = _pxweb_cube(doc, name, measure)
    elif (isinstance(doc.get("dataset"), dict) or doc.get("class") == "dataset"
          or {"id", "size", "dimension"} & doc.keys()):
        cube = _jsonstat_cube(doc, name, measure)
    elif doc.get("class") == "collection":
        raise InputError("Filen är en JSON-stat-samling, inte ett enskilt dataset.", file=name,
                         field="class", fix="Hämta tabellen som ett dataset (json-stat2).")
    else:
        raise InputError(
            "Filen är varken ett PX-Web-svar (nycklarna 'columns' och 'data') eller JSON-stat "
            f"(nycklarna 'id', 'size', 'dimension', 'value'). Den har: {_keys(doc)}.",
            file=name, field="columns", fix=FIX_FORMAT)
    return _population(cube)


# --- the cube as population ------------------------------------------------------------------

def _is_total(dim: _Dim, code: str) -> bool:
    return (code.strip().casefold() in _TOTAL_WORDS
            or dim.labels.get(code, code).strip().casefold() in _TOTAL_WORDS)


def _count(raw: object, status: str) -> int:
    """A cell's value as an exact non-negative integer; ValueError (Swedish reason) otherwise."""
    if raw is None:
        meaning = MISSING_SYMBOLS.get(status.strip(), "") if status else ""
        shown = f"status '{status}'" + (f": {meaning}" if meaning else "") if status else "null"
        raise ValueError(f"värde saknas ({shown})")
    if isinstance(raw, bool):
        raise ValueError("väntade ett heltal ≥ 0, inte true/false")
    if isinstance(raw, int):
        number = Decimal(raw)
    elif isinstance(raw, float):
        if not math.isfinite(raw):
            raise ValueError("väntade ett heltal ≥ 0")
        number = Decimal(repr(raw))
    elif isinstance(raw, str):
        text = raw.strip()
        if text in MISSING_SYMBOLS:
            raise ValueError(f"värde saknas ('{text}': {MISSING_SYMBOLS[text]})")
        text = text.replace("\u2212", "-")
        # Only plain decimals: Decimal() alone would also take 'NaN', 'Infinity' and '1e3'.
        if not _NUMBER.fullmatch(text):
            raise ValueError("väntade ett heltal ≥ 0, t.ex. 1674")
        number = Decimal(text)
    else:
        raise ValueError("väntade ett heltal ≥ 0, inte en lista eller ett objekt")
    if number < 0:
        raise ValueError("negativt värde; väntade ett heltal ≥ 0")
    if number != number.to_integral_value():
        raise ValueError("väntade ett heltal ≥ 0 (folkmängd har inga decimaler)")
    return int(number)


def _region(code: str) -> str:
    stripped = _VINTAGE.sub("", code.strip())
    if not _REGION.fullmatch(stripped):
        raise ValueError("väntade en regionkod som 0180, 0180R001 eller 0180A0010")
    return stripped


def _year(code: str) -> int:
    text = code.strip()
    if not _YEAR.fullmatch(text):
        raise ValueError("väntade ett årtal, t.ex. 2024 (månader och kvartal läses inte)")
    return int(text)


def _sex_parser(dim: _Dim) -> Callable[[str], str]:
    def parse(code: str) -> str:
        for text in (code, dim.labels.get(code, code)):
            found = SEX_CODES.get(text.strip().casefold())
            if found is not None:
                return str(found)
        raise ValueError("okänt kön; väntade 1 (män), 2 (kvinnor) eller 1+2 (totalt)")
    return parse


_Group = tuple[str, int, str]  # (area_id, year, sex)


def _population(cube: _Cube) -> t.ReadResult:
    name, dims = cube.name, cube.dims
    rejected: list[Rejection] = list(cube.rejected)
    pos = {d.role: i for i, d in enumerate(dims) if d.role}
    region_dim, time_dim = dims[pos["region"]], dims[pos["time"]]
    sex_dim = dims[pos["sex"]] if "sex" in pos else None
    # Codes are checked once each: a bad region code is one rejection, not one per age and sex.
    regions = _parse_codes(region_dim, _region)
    years = _parse_codes(time_dim, _year)
    sexes = _parse_codes(sex_dim, _sex_parser(sex_dim)) if sex_dim is not None else {}
    bad_rows: dict[tuple[int, str], list[int]] = {}
    other = [i for i, d in enumerate(dims) if not d.role]

    groups: dict[_Group, dict[tuple[str, ...], int | None]] = {}
    first_row: dict[_Group, int] = {}
    for cell in cube.cells:
        region = regions[cell.codes[pos["region"]]]
        year = years[cell.codes[pos["time"]]]
        sex = sexes[cell.codes[pos["sex"]]] if sex_dim is not None else "T"
        bad = next((p for p, v in ((pos["region"], region), (pos["time"], year),
                                   (pos.get("sex", -1), sex)) if isinstance(v, ValueError)), None)
        if bad is not None:
            bad_rows.setdefault((bad, cell.codes[bad]), []).append(cell.row)
            continue
        group: _Group = (str(region), int(year), str(sex))  # type: ignore[call-overload]
        rest = tuple(cell.codes[i] for i in other)
        if rest in groups.get(group, {}):
            # Two codes that become the same region (e.g. with and without a vintage suffix).
            rejected.append(Rejection(name, cell.row, region_dim.code, cell.codes[pos["region"]],
                                      f"Samma område, år och kön finns redan ({group[0]})."))
            continue
        try:
            value: int | None = _count(cell.value, cell.status)
        except ValueError as exc:
            value = None
            rejected.append(Rejection(name, cell.row, cube.measure, _short(cell.value),
                                      f"{exc} för {_describe(cube, cell)}."))
        groups.setdefault(group, {})[rest] = value
        first_row.setdefault(group, cell.row)
    parsed = {pos["region"]: regions, pos["time"]: years, pos.get("sex", -1): sexes}
    for (p, code), rows in bad_rows.items():
        rejected.append(Rejection(name, rows[0], dims[p].code, code,
                                  f"{parsed[p][code]}; {len(rows)} celler med koden lästes inte."))

    summed = [dims[i] for i in other]
    expected = math.prod(len(d.codes) for d in summed)
    mismatches: dict[str, list[str]] = {}
    accepted: list[dict[str, object]] = []
    for group, cells in groups.items():
        value = _collapse(cells, summed, lambda label, text, g=group: mismatches.setdefault(
            label, []).append(f"{g[0]} {g[2]} {g[1]}: {text}"))
        if value is None:
            missing = sum(v is None for v in cells.values()) + expected - len(cells)
            over = ", ".join(d.label for d in summed)
            rejected.append(Rejection(
                name, first_row[group], cube.measure, " / ".join(map(str, group)),
                f"Folkmängden för {group[0]}, kön {group[2]}, {group[1]} kunde inte bildas"
                + (f" (summa över {over})" if over else "")
                + f": {missing} av {expected} celler saknas eller avvisades."))
            continue
        accepted.append({"_line": first_row[group], "area_id": group[0], "year": group[1],
                         "sex": group[2], "population": value})
    frame = _add_totals(pd.DataFrame(accepted, columns=["_line", "area_id", "year", "sex",
                                                        "population"]))
    notes = [cube.row_note, *cube.notes]
    age = next((j for j, d in enumerate(summed) if _is_age(d)), None)
    if age is not None:
        frame = pd.concat([frame.assign(age_group=None),
                           _by_age(groups, summed, age, first_row, notes)], ignore_index=True)
    for dim in summed:
        totals = [c for c in dim.codes if _is_total(dim, c)]
        parts = len(dim.codes) - len(totals)
        notes.append(f"{dim.label}: värdet '{totals[0]}' användes; de övriga {parts} "
                     "jämfördes med det." if totals else
                     f"{dim.label}: summerat över {len(dim.codes)} värden.")
    for label, examples in mismatches.items():
        notes.append(f"{label}: totalen skiljer sig från summan av delarna i {len(examples)} fall "
                     f"(t.ex. {examples[0]}); totalen användes.")
    found = sorted(set(frame["year"].tolist()))
    period = "" if not found else str(found[0]) if found[0] == found[-1] else \
        f"{found[0]}–{found[-1]}"
    columns = {"area_id": region_dim.code, "year": time_dim.code, "population": cube.measure}
    if sex_dim is not None:
        columns["sex"] = sex_dim.code
    return t.ReadResult(frame, sorted(rejected, key=lambda r: r.row), Dataset(
        "", "population", "scb_pxweb", name, period, description=cube.description),
        notes=notes, columns=columns)


def _is_age(dim: _Dim) -> bool:
    """An age dimension (SCB's "Alder") with more than one age or band besides its total."""
    words = {dim.code.strip().casefold(), dim.label.strip().casefold()}
    return bool(words & {"alder", "ålder", "age", "ålder (5-årsklasser)"}) and \
        sum(not _is_total(dim, c) for c in dim.codes) > 1


def _by_age(groups: Mapping[_Group, Mapping[tuple[str, ...], int | None]], summed: list[_Dim],
            age: int, first_row: Mapping[_Group, int], notes: list[str]) -> pd.DataFrame:
    """Population per age group (`core.age`, as the population CSV by age): each age code's
    cells collapsed over the other summed dimensions, then grouped by `population_age`. A
    region × year × sex with a missing age cell gets no age groups (a group would be short)."""
    from lagesbild.core.age import FILE, load_age_groups
    from lagesbild.core.settings import get_settings
    from lagesbild.sources.population_age import age_parts, totals_by_sex

    dim, rest = summed[age], summed[:age] + summed[age + 1:]
    rows, short = [], []
    for group, cells in groups.items():
        values = {}
        for code in (c for c in dim.codes if not _is_total(dim, c)):
            sub = {k[:age] + k[age + 1:]: v for k, v in cells.items() if k[age] == code}
            values[code] = _collapse(sub, rest, lambda *_: None) if sub else None
        if any(v is None for v in values.values()):
            short.append(group)
            continue
        rows += [{"_line": first_row[group], "area_id": group[0], "year": group[1],
                  "sex": group[2], "population": v, "_age": dim.labels.get(c, c)}
                 for c, v in values.items()]
    if short:
        notes.append(f"{dim.label}: {len(short)} kombinationer av område, kön och år saknar "
                     f"någon ålder (t.ex. {' '.join(map(str, short[0]))}) och får inga "
                     "åldersgrupper.")
    frame = pd.DataFrame(rows, columns=["_line", "area_id", "year", "sex", "population",
                                        "_age"])
    grouping = load_age_groups(get_settings().layers_dir / FILE)
    parts = age_parts(frame, dim.label, notes, grouping=grouping)
    if not len(parts):
        return parts.assign(source="")
    parts = totals_by_sex(parts)
    return parts.assign(_line=parts["_line"].astype("Int64"),
                        population=parts["population"].astype("int64"), source="")


def _parse_codes(dim: _Dim, parser: Callable[[str], object]) -> dict[str, object]:
    """code -> parsed value, or the ValueError saying why the code cannot be used."""
    out: dict[str, object] = {}
    for code in dim.codes:
        try:
            out[code] = parser(code)
        except ValueError as exc:
            out[code] = exc
    return out


def _collapse(cells: Mapping[tuple[str, ...], int | None], dims: list[_Dim],
              mismatch: Callable[[str, str], object]) -> int | None:
    """One number from the cells of a region × year × sex: each dimension's total if it has one
    (its parts then only checked against it), else the sum of its parts. None if incomplete."""
    if not dims:
        return cells.get(())
    dim, rest = dims[0], dims[1:]
    by_code: dict[str, dict[tuple[str, ...], int | None]] = {}
    for key, value in cells.items():
        by_code.setdefault(key[0], {})[key[1:]] = value
    totals = [c for c in dim.codes if _is_total(dim, c)]
    parts = [c for c in dim.codes if c not in totals]

    def sub(code: str) -> int | None:
        return _collapse(by_code[code], rest, mismatch) if code in by_code else None

    part_values = [sub(c) for c in parts]
    parts_sum = sum(v for v in part_values if v is not None) if parts and all(
        v is not None for v in part_values) else None
    total = next((v for v in map(sub, totals) if v is not None), None)
    if total is None:
        return parts_sum
    if parts_sum is not None and parts_sum != total:
        mismatch(dim.label, f"totalt {total}, delarna {parts_sum}")
    return total


def _add_totals(frame: pd.DataFrame) -> pd.DataFrame:
    """T = K + M where the file has no total and both K and M are there (derived: no _line)."""
    if not len(frame):
        return frame.assign(source="")
    have = {(r.area_id, r.year) for r in frame[frame["sex"] == "T"].itertuples()}
    km: dict[tuple[str, int], dict[str, int]] = {}
    for r in frame[frame["sex"].isin(["K", "M"])].itertuples():
        km.setdefault((r.area_id, r.year), {})[r.sex] = r.population
    derived = [{"_line": None, "area_id": a, "year": y, "sex": "T", "population": s["K"] + s["M"]}
               for (a, y), s in km.items() if (a, y) not in have and {"K", "M"} <= s.keys()]
    if derived:
        frame = pd.concat([frame, pd.DataFrame(derived, columns=frame.columns)],
                          ignore_index=True)
    return frame.assign(_line=frame["_line"].astype("Int64"),
                        population=frame["population"].astype("int64"), source="")


def _describe(cube: _Cube, cell: _Cell) -> str:
    return ", ".join(f"{d.code} {c}" for d, c in zip(cube.dims, cell.codes))


def _keys(doc: Mapping[str, Any]) -> str:
    keys = list(doc)
    return ", ".join(keys[:8]) + (" …" if len(keys) > 8 else "") if keys else "inga nycklar"
