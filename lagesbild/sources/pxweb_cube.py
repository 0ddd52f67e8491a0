"""SCB answers decoded: PX-Web API v1 JSON and JSON-stat 2.0 (also 1.x bundles) -> one cube.

Either format becomes a `_Cube`: its dimensions (with the region, sex and time roles found), its
cells with their locators and status, the content variable picked, and malformed records as
rejections. `pxweb.read_pxweb` turns the cube into population.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import product
from typing import Any

from lagesbild.core.errors import InputError, Rejection
from lagesbild.sources import json_input

FIX_REFETCH = "Filen är ofullständig eller ändrad; hämta den igen från SCB."
FIX_FORMAT = ("Spara svaret från SCB:s API oförändrat, i formatet json (PX-Web) eller "
              "json-stat2; en CSV-export läses som 'Folkmängd (SCB)'.")
MAX_CELLS = 20_000_000  # a national DeSO × age × sex × ten-year table is about 4 million
_POPULATION_WORDS = ("folkmängd", "befolkning", "population", "be0101n1")
_SEX_IDS = {"kon", "kön", "sex", "gender"}
_TIME_IDS = {"tid", "år", "ar", "year", "time", "period"}
_REGION_IDS = {"region", "geo", "kommun", "lan", "län", "område", "omrade", "regso", "deso"}
_METRIC_IDS = {"contentscode", "tabellinnehåll", "contents"}


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


# --- PX-Web API v1 JSON ----------------------------------------------------------------------

def _pxweb_cube(doc: dict[str, Any], name: str, measure: str) -> _Cube:
    columns, data = doc.get("columns"), doc.get("data")
    if not isinstance(columns, list) or not columns:
        raise json_input.shape_error(name, "columns", "en lista med kolumner", fix=FIX_FORMAT)
    if not isinstance(data, list):
        raise json_input.shape_error(name, "data", "en lista med celler", fix=FIX_FORMAT)
    dims: list[_Dim] = []
    contents: list[tuple[str, str]] = []
    for i, col in enumerate(columns):
        if not isinstance(col, dict) or not isinstance(col.get("code"), str):
            raise json_input.shape_error(name, f"columns[{i}].code", "kolumnens kod (text)",
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
            raise json_input.shape_error(name, "dataset.dimension", "ett objekt", fix=FIX_FORMAT)
        ids, sizes, role = dimension.get("id"), dimension.get("size"), dimension.get("role")
    else:
        ds = doc
        dimension = ds.get("dimension")
        ids, sizes, role = ds.get("id"), ds.get("size"), ds.get("role")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise json_input.shape_error(name, "id", "en lista med dimensionernas namn", fix=FIX_FORMAT)
    if not isinstance(sizes, list) or not all(isinstance(s, int) and not isinstance(s, bool)
                                              and s >= 0 for s in sizes):
        raise json_input.shape_error(name, "size", "en lista med heltal", fix=FIX_FORMAT)
    if len(sizes) != len(ids):
        raise InputError(f"'id' har {len(ids)} dimensioner men 'size' {len(sizes)} storlekar.",
                         file=name, field="size", fix=FIX_FORMAT)
    if not isinstance(dimension, dict):
        raise json_input.shape_error(name, "dimension", "ett objekt per dimension", fix=FIX_FORMAT)
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
        raise json_input.shape_error(name, f"{where}.category", "ett objekt med index och label",
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
            raise json_input.shape_error(name, f"{where}.category.index",
                                   "heltal per kategori", fix=FIX_FORMAT) from None
        codes = [c for _, c in by_pos]
        if [p for p, _ in by_pos] != list(range(len(codes))):
            raise InputError("Kategoriernas positioner måste vara 0, 1, 2 … utan luckor.",
                             file=name, field=f"{where}.category.index", fix=FIX_FORMAT)
    elif index is None and len(labels) == 1:  # the spec allows leaving out a lone index
        codes = list(labels)
    else:
        raise json_input.shape_error(name, f"{where}.category.index", "en lista eller ett objekt",
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
    raise json_input.shape_error(name, "value", "en lista eller ett objekt med värden", fix=FIX_FORMAT)


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


def _short(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= 80 else text[:77] + "..."
