"""SCB Statistikdatabasen (PX-Web API v1 JSON and JSON-stat 2.0) -> population, plus a client."""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import product
from pathlib import Path
from typing import Any

import pandas as pd

from lagesbild.errors import InputError, Rejection
from lagesbild.sources import _api
from lagesbild.sources import tables as t
from lagesbild.workspace import Dataset

FIX_REFETCH = "Filen är ofullständig eller ändrad; hämta den igen från SCB."
SCB_BASE_URL = "https://api.scb.se/OV0104/v1/doris/sv/ssd"
# SCB allows 30 requests per 10 seconds from one address; one every 1/3 s never exceeds it.
SCB_MIN_INTERVAL = 10 / 30

FIX_FORMAT = ("Spara svaret från SCB:s API oförändrat, i formatet json (PX-Web) eller "
              "json-stat2; en CSV-export läses som 'Folkmängd (SCB)'.")

# Region codes carry the vintage of the division: "1480R001_RegSO2025" -> "1480R001".
_VINTAGE = re.compile(r"_(?:RegSO|DeSO)\d{4}$", re.IGNORECASE)
_REGION = re.compile(r"[0-9A-Za-z]+")
_YEAR = re.compile(r"(19|20)\d\d")
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")
MAX_CELLS = 20_000_000  # a national DeSO × age × sex × ten-year table is about 4 million
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
_POPULATION_WORDS = ("folkmängd", "befolkning", "population", "be0101n1")
_SEX_IDS = {"kon", "kön", "sex", "gender"}
_TIME_IDS = {"tid", "år", "ar", "year", "time", "period"}
_REGION_IDS = {"region", "geo", "kommun", "lan", "län", "område", "omrade", "regso", "deso"}
_METRIC_IDS = {"contentscode", "tabellinnehåll", "contents"}
SEX_CODES = {k: v for k, v in t.SEX_WORDS.items() if v is not None}


@dataclass
class _Dim:
    code: str
    label: str
    codes: list[str]
    labels: dict[str, str] = field(default_factory=dict)
    role: str = ""  # "region", "sex", "time" or "" (summed over)


@dataclass
class _Cell:
    row: int
    codes: tuple[str, ...]  # one per dimension, in _Cube.dims order
    value: object
    status: str = ""


@dataclass
class _Cube:
    """Either format, decoded: dimensions, cells with their locators, and provenance."""

    name: str
    dims: list[_Dim]
    cells: list[_Cell]
    measure: str  # the value field's name, for rejections
    row_note: str
    description: str = ""
    notes: list[str] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)  # malformed records


# --- public reader ---------------------------------------------------------------------------

def read_pxweb(source: str | Path | bytes, *, name: str | None = None,
               measure: str = "population") -> t.ReadResult:
    """Population from an SCB API answer: PX-Web API v1 JSON or JSON-stat 2.0 (also 1.x bundles).

    Rows are summed over every dimension that is not region, sex or year (e.g. age). A dimension
    with a total value ("totalt", "tot") gives the total instead, and its parts are only compared
    against it. `measure` picks the content variable when the answer has several (its code or text;
    the default takes the only one, or the one about folkmängd). T = K + M is added only where the
    file has no total and both K and M are complete.
    """
    doc, name = _api.load_json(source, name, fix=FIX_FORMAT)
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


# --- PX-Web API v1 JSON ----------------------------------------------------------------------

def _pxweb_cube(doc: dict[str, Any], name: str, measure: str) -> _Cube:
    columns, data = doc.get("columns"), doc.get("data")
    if not isinstance(columns, list) or not columns:
        raise _api.shape_error(name, "columns", "en lista med kolumner", fix=FIX_FORMAT)
    if not isinstance(data, list):
        raise _api.shape_error(name, "data", "en lista med celler", fix=FIX_FORMAT)
    dims: list[_Dim] = []
    contents: list[tuple[str, str]] = []
    for i, col in enumerate(columns):
        if not isinstance(col, dict) or not isinstance(col.get("code"), str):
            raise _api.shape_error(name, f"columns[{i}].code", "kolumnens kod (text)",
                                   fix=FIX_FORMAT)
        code, label, kind = col["code"], str(col.get("text") or col["code"]), col.get("type")
        if kind == "c":
            contents.append((code, label))
        else:
            dims.append(_Dim(code, label, [], role="time" if kind == "t" else ""))
    if not contents:
        raise InputError("Svaret har ingen innehållskolumn (type \"c\").", file=name,
                         field="columns", fix=FIX_FORMAT)
    which = _pick_measure(contents, measure, name)
    _assign_roles(dims, {}, name)
    cells: list[_Cell] = []
    bad_rows: list[Rejection] = []
    seen: dict[tuple[str, ...], int] = {}
    for i, item in enumerate(data):
        row = i + 1
        key = item.get("key") if isinstance(item, dict) else None
        values = item.get("values") if isinstance(item, dict) else None
        if not isinstance(key, list) or len(key) != len(dims) or not all(
                isinstance(k, str) for k in key):
            expected = ", ".join(d.code for d in dims)
            bad_rows.append(Rejection(name, row, "key", _short(key),
                                      f"väntade {len(dims)} koder ({expected})."))
            continue
        if not isinstance(values, list) or len(values) != len(contents):
            bad_rows.append(Rejection(name, row, "values", _short(values),
                                      f"väntade {len(contents)} värden (ett per innehåll)."))
            continue
        codes = tuple(key)
        if codes in seen:
            bad_rows.append(Rejection(name, row, "key", " / ".join(codes),
                                      f"Samma kombination finns redan i post {seen[codes]}."))
            continue
        seen[codes] = row
        cells.append(_Cell(row, codes, values[which]))
        for dim, code in zip(dims, codes):
            if code not in dim.labels:  # a dict as an ordered set
                dim.labels[code] = code
                dim.codes.append(code)
    meta = doc.get("metadata")
    label = meta[0].get("label", "") if isinstance(meta, list) and meta and isinstance(
        meta[0], dict) else ""
    return _Cube(name, dims, cells, contents[which][0],
                 "Radnummer avser posten i data[] (1 = första).", description=str(label),
                 notes=_content_note(contents, which), rejected=bad_rows)


# --- JSON-stat -------------------------------------------------------------------------------

def _jsonstat_cube(doc: dict[str, Any], name: str, measure: str) -> _Cube:
    if isinstance(doc.get("dataset"), dict):  # JSON-stat 1.x bundle: {"dataset": {...}}
        ds = doc["dataset"]
        dimension = ds.get("dimension")
        if not isinstance(dimension, dict):
            raise _api.shape_error(name, "dataset.dimension", "ett objekt", fix=FIX_FORMAT)
        ids, sizes, role = dimension.get("id"), dimension.get("size"), dimension.get("role")
    else:
        ds = doc
        dimension = ds.get("dimension")
        ids, sizes, role = ds.get("id"), ds.get("size"), ds.get("role")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise _api.shape_error(name, "id", "en lista med dimensionernas namn", fix=FIX_FORMAT)
    if not isinstance(sizes, list) or not all(isinstance(s, int) and not isinstance(s, bool)
                                              and s >= 0 for s in sizes):
        raise _api.shape_error(name, "size", "en lista med heltal", fix=FIX_FORMAT)
    if len(sizes) != len(ids):
        raise InputError(f"'id' har {len(ids)} dimensioner men 'size' {len(sizes)} storlekar.",
                         file=name, field="size", fix=FIX_FORMAT)
    if not isinstance(dimension, dict):
        raise _api.shape_error(name, "dimension", "ett objekt per dimension", fix=FIX_FORMAT)
    role = role if isinstance(role, dict) else {}
    total = math.prod(sizes)
    if total > MAX_CELLS:
        raise InputError(f"Dimensionerna ger {total} celler; högst {MAX_CELLS} läses.", file=name,
                         field="size", fix="Hämta en mindre tabell (färre regioner eller år).")
    all_dims = [_jsonstat_dim(dimension, d, s, name) for d, s in zip(ids, sizes)]
    values = _jsonstat_values(ds.get("value"), total, sizes, name)
    status = _jsonstat_status(ds.get("status"), total)

    metrics = {str(m) for m in role.get("metric", []) or []} | {
        d.code for d in all_dims if d.code.casefold() in _METRIC_IDS}
    fixed: dict[int, int] = {}  # dimension position -> the only index read
    notes: list[str] = []
    measure_name = "value"
    for pos, dim in enumerate(all_dims):
        if dim.code in metrics:
            contents = [(c, dim.labels.get(c, c)) for c in dim.codes]
            which = _pick_measure(contents, measure, name)
            fixed[pos] = which
            measure_name = dim.codes[which]
            notes.extend(_content_note(contents, which))
    dims = [d for pos, d in enumerate(all_dims) if pos not in fixed]
    _assign_roles(dims, role, name)

    cells: list[_Cell] = []
    ranges = [range(fixed[p], fixed[p] + 1) if p in fixed else range(s)
              for p, s in enumerate(sizes)]
    strides = [math.prod(sizes[p + 1:]) for p in range(len(sizes))]
    kept = [p for p in range(len(sizes)) if p not in fixed]
    for index in product(*ranges):
        flat = sum(i * s for i, s in zip(index, strides))
        codes = tuple(all_dims[p].codes[index[p]] for p in kept)
        cells.append(_Cell(flat + 1, codes, values.get(flat), status.get(flat, "")))
    label = ds.get("label", "")
    return _Cube(name, dims, cells, measure_name,
                 "Radnummer avser positionen i value[] (1 = första).",
                 description=str(label) if isinstance(label, str) else "", notes=notes)


def _jsonstat_dim(dimension: dict[str, Any], dim_id: str, size: int, name: str) -> _Dim:
    spec = dimension.get(dim_id)
    where = f"dimension.{dim_id}"
    if not isinstance(spec, dict) or not isinstance(spec.get("category"), dict):
        raise _api.shape_error(name, f"{where}.category", "ett objekt med index och label",
                               fix=FIX_FORMAT)
    category = spec["category"]
    index, labels = category.get("index"), category.get("label")
    labels = {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}
    if isinstance(index, list):
        codes = [str(c) for c in index]
    elif isinstance(index, dict):
        try:
            by_pos = sorted((int(p), str(c)) for c, p in index.items())
        except (TypeError, ValueError):
            raise _api.shape_error(name, f"{where}.category.index",
                                   "heltal per kategori", fix=FIX_FORMAT) from None
        codes = [c for _, c in by_pos]
        if [p for p, _ in by_pos] != list(range(len(codes))):
            raise InputError("Kategoriernas positioner måste vara 0, 1, 2 … utan luckor.",
                             file=name, field=f"{where}.category.index", fix=FIX_FORMAT)
    elif index is None and len(labels) == 1:  # the spec allows leaving out a lone index
        codes = list(labels)
    else:
        raise _api.shape_error(name, f"{where}.category.index", "en lista eller ett objekt",
                               fix=FIX_FORMAT)
    if len(codes) != size:
        raise InputError(f"Dimensionen '{dim_id}' har {len(codes)} kategorier men 'size' säger "
                         f"{size}.", file=name, field=f"{where}.category.index", fix=FIX_FORMAT)
    label = spec.get("label")
    return _Dim(dim_id, str(label) if isinstance(label, str) else dim_id, codes,
                {c: labels.get(c, c) for c in codes})


def _jsonstat_values(value: object, total: int, sizes: list[int],
                     name: str) -> dict[int, object]:
    if isinstance(value, list):
        if len(value) != total:
            shape = " × ".join(str(s) for s in sizes)
            raise InputError(f"'value' har {len(value)} värden men dimensionerna ger {shape} = "
                             f"{total}.", file=name, field="value",
                             fix=FIX_REFETCH)
        return dict(enumerate(value))
    if isinstance(value, dict):  # sparse: {"index": value}; absent cells have no value
        out: dict[int, object] = {}
        for key, v in value.items():
            if not str(key).isdigit() or int(key) >= total:
                raise InputError(f"'value' har nyckeln {key!r}, men positionerna går från 0 till "
                                 f"{total - 1}.", file=name, field="value",
                                 fix=FIX_REFETCH)
            out[int(key)] = v
        return out
    raise _api.shape_error(name, "value", "en lista eller ett objekt med värden", fix=FIX_FORMAT)


def _jsonstat_status(status: object, total: int) -> dict[int, str]:
    if isinstance(status, str):
        return dict.fromkeys(range(total), status)
    if isinstance(status, list):
        return {i: str(s) for i, s in enumerate(status) if s is not None}
    if isinstance(status, dict):
        return {int(k): str(s) for k, s in status.items() if str(k).isdigit() and s is not None}
    return {}


# --- shared by both formats ------------------------------------------------------------------

def _pick_measure(contents: list[tuple[str, str]], measure: str, name: str) -> int:
    """Index of the content variable to read: named by `measure`, the only one, or folkmängd."""
    if not contents:
        raise InputError("Svaret har inget innehåll (ingen kategori i innehållsdimensionen).",
                         file=name, field="measure", fix=FIX_FORMAT)
    wanted = measure.strip().casefold()
    for i, (code, label) in enumerate(contents):
        if wanted in (code.casefold(), label.casefold()):
            return i
    if measure == "population":
        if len(contents) == 1:
            return 0
        hits = [i for i, (code, label) in enumerate(contents)
                if any(w in f"{code} {label}".casefold() for w in _POPULATION_WORDS)]
        if len(hits) == 1:
            return hits[0]
    listed = "; ".join(f"{code} ({label})" for code, label in contents)
    raise InputError(f"Vilket innehåll ska läsas? Filen har: {listed}.", file=name,
                     field="measure", fix="Ange innehållets kod som measure, t.ex. "
                     f"measure=\"{contents[0][0]}\".")


def _content_note(contents: list[tuple[str, str]], which: int) -> list[str]:
    others = [code for i, (code, _) in enumerate(contents) if i != which]
    if not others:
        return []
    return [f"Innehållet {contents[which][0]} lästes; {', '.join(others)} lästes inte "
            "(välj med measure)."]


def _assign_roles(dims: list[_Dim], role: Mapping[str, Any], name: str) -> None:
    """Mark region, sex and time dimensions; everything else is summed over."""
    def ids(key: str) -> set[str]:
        found = role.get(key)
        return {str(x) for x in found} if isinstance(found, list) else set()

    by_role = {"region": ids("geo"), "time": ids("time")}
    for dim in dims:
        code, label = dim.code.casefold(), dim.label.casefold()
        if dim.code in by_role["time"] or code in _TIME_IDS or label in _TIME_IDS:
            dim.role = "time"
        elif dim.code in by_role["region"] or code in _REGION_IDS or label in _REGION_IDS:
            dim.role = dim.role or "region"
        elif code in _SEX_IDS or label in _SEX_IDS:
            dim.role = dim.role or "sex"
    for wanted, what in (("region", "region"), ("time", "år (tid)")):
        found = [d for d in dims if d.role == wanted]
        if not found:
            raise InputError(f"Svaret har ingen dimension för {what}. Dimensionerna är: "
                             f"{', '.join(d.code for d in dims)}.", file=name, field=wanted,
                             fix="Ta med variabeln i frågan till SCB (t.ex. Region och Tid).")
        for extra in found[1:]:
            extra.role = ""  # only the first counts; the others are summed like age
    sexes = [d for d in dims if d.role == "sex"]
    for extra in sexes[1:]:
        extra.role = ""


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


def _short(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= 80 else text[:77] + "..."


def _keys(doc: Mapping[str, Any]) -> str:
    keys = list(doc)
    return ", ".join(keys[:8]) + (" …" if len(keys) > 8 else "") if keys else "inga nycklar"


# --- client ----------------------------------------------------------------------------------

FIX_QUERY = "Kopiera frågan från SCB:s webbplats (länken API för tabellen under tabellen)."
_TABLE_PATH = re.compile(r"[A-Za-z0-9_\-]+(?:/[A-Za-z0-9_\-]+)*")
_ERRORS: _api.ErrorTexts = {
    400: ("SCB kunde inte tolka frågan (HTTP 400).",
          "Kontrollera variabelkoder och värden mot tabellens metadata (PxWebClient.metadata)."),
    403: ("SCB vägrade frågan (HTTP 403); oftast är den för stor (över 150 000 celler).",
          "Dela upp frågan, t.ex. färre regioner eller år per fråga."),
    404: ("Tabellen finns inte hos SCB (HTTP 404).",
          "Kontrollera tabellens sökväg, t.ex. BE/BE0101/BE0101Y/FolkmRegSOKonAlder."),
}


class PxWebClient:
    """SCB's PX-Web API v1: POST a query, get the answer's bytes (for read_pxweb).

    Requests are spaced by `min_interval` (SCB allows 30 per 10 s), 429/503 are retried after
    Retry-After, redirects to other hosts are refused. Pass `opener` (anything with urllib's
    `open(request, timeout=…)`), `clock` and `sleep` to test without the network.
    """

    def __init__(self, base_url: str = SCB_BASE_URL, *, min_interval: float = SCB_MIN_INTERVAL,
                 timeout: float = 60.0, max_retries: int = 3, max_wait: float = 60.0,
                 max_bytes: int = 200_000_000, opener: _api.Opener | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.base_url = _api.check_base_url(base_url)
        self.http = _api.HttpService(
            "SCB:s statistikdatabas", min_interval=min_interval, timeout=timeout,
            max_retries=max_retries, max_wait=max_wait, max_bytes=max_bytes, opener=opener,
            clock=clock, sleep=sleep, errors=_ERRORS)

    def url(self, table_path: str) -> str:
        path = table_path.strip().strip("/")
        if not _TABLE_PATH.fullmatch(path):
            raise InputError(f"Ogiltig tabellsökväg {table_path!r}.", field="table_path",
                             fix="Ange sökvägen under databasen, t.ex. "
                                 "BE/BE0101/BE0101Y/FolkmRegSOKonAlder (bara bokstäver, siffror, "
                                 "_ och -, åtskilda av /).")
        return f"{self.base_url}/{path}"

    def metadata(self, table_path: str) -> bytes:
        """The table's variables and values (GET), to build a query from."""
        return self.http.request(self.url(table_path))

    def query(self, table_path: str, query_json: Mapping[str, Any] | str | bytes) -> bytes:
        """POST a PX-Web query ({"query": [...], "response": {...}}) and return the answer.

        Without a "response" part the format is "json" (PX-Web v1); read_pxweb reads that and
        "json-stat2".
        """
        url = self.url(table_path)
        body = _query_body(query_json)
        return self.http.request(url, body=body)


def _query_body(query_json: Mapping[str, Any] | str | bytes) -> bytes:
    if isinstance(query_json, (str, bytes)):
        try:
            query: Any = json.loads(query_json)
        except json.JSONDecodeError as exc:
            raise InputError(f"Frågan är inte giltig JSON ({exc.msg}).", field="query_json",
                             fix=FIX_QUERY) from exc
    else:
        query = query_json
    if not isinstance(query, Mapping) or not isinstance(query.get("query"), list):
        raise InputError("Frågan saknar nyckeln 'query' (en lista med variabler).",
                         field="query", fix=FIX_QUERY)
    body = dict(query)  # never change the caller's dict
    body.setdefault("response", {"format": "json"})
    return json.dumps(body, ensure_ascii=False).encode("utf-8")

