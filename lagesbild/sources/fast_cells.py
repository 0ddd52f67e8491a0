"""Row validation by whole columns: the same frame and rejections as `cell_values.validate_rows`.

Each parser gets a column kernel that says per cell whether its vectorised reading is certainly
what the parser itself returns (`ok`), and gives that value. A kernel only has to be sound, not
complete: every row with a cell some kernel is unsure of goes, whole, through `validate_rows`,
so rejections (field, value, Swedish reason) and those rows' values come from the row-wise
parsers themselves. The kernels:

- `text`, `required(text)`: the stripped cell (required: when not blank);
- `required(parse_datetime)`: 'YYYY-MM-DD', 'YYYY-MM-DD HH:MM' or 'YYYY-MM-DD HH:MM:SS' (space
  or T), ASCII digits, a day and time that exist;
- `parse_number_or_blank`: a blank cell, or '-digits' with at most one decimal point or comma
  (15 digits each side at most);
- any other parser (closed vocabularies such as sex words): the parser itself, called once per
  distinct cell value.

The frame's columns get the dtypes pandas infers for the parsed values, as the record-wise
frame of `validate_rows` does.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from lagesbild.core.errors import Rejection
from lagesbild.sources import cell_values as cv
from lagesbild.sources.fast_read import strip
from lagesbild.sources.raw_tables import RawTable

Parser = Callable[[str], object]
_DATE = r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?$"
_NUMBER = r"^-?\d{1,15}(?:[.,]\d{1,15})?$"


@dataclass
class _Column:
    """One column read whole: `ok` per row, values per row (anything where not ok)."""

    ok: np.ndarray
    values: object  # pa.ChunkedArray ("text"), ndarray datetime64[us] / float64 / object
    kind: str  # "text", "datetime", "number" or "object"
    codes: np.ndarray | None = None  # "object": the row's distinct value, an index into
    results: np.ndarray | None = None  # the parser's result per distinct value


def validate_columns(raw: RawTable, columns: Mapping[str, str],
                     parsers: Mapping[str, Parser]) -> tuple[pd.DataFrame, list[Rejection]]:
    """`validate_rows(raw, columns, parsers)`, with the parsing done column by column."""
    n = len(raw.rows)
    parsed = {key: _read(raw, columns.get(key), parser, n) for key, parser in parsers.items()}
    ok = np.ones(n, dtype=bool)
    for col in parsed.values():
        ok &= col.ok
    slow, rejected = cv.validate_rows(replace(raw, rows=raw.rows[~ok], ragged=[]), columns,
                                      parsers)
    rejected = [*raw.ragged, *rejected]
    if not ok.any():
        return slow, rejected
    lines = np.concatenate([raw.rows["_line"].to_numpy(dtype=np.int64)[ok],
                            slow["_line"].to_numpy(dtype=np.int64)])
    order = np.argsort(lines, kind="stable")
    if np.array_equal(order, np.arange(len(order))):
        order = None
    out: dict[str, object] = {"_line": lines if order is None else lines[order]}
    for key, col in parsed.items():
        out[key] = _merge(col, ok, slow[key], order)
    return pd.DataFrame(out, columns=["_line", *parsers]), rejected


def _arrow(values: pd.Series) -> pa.ChunkedArray:
    arr = pa.array(values, from_pandas=True)
    return arr if isinstance(arr, pa.ChunkedArray) else pa.chunked_array([arr])


def _mask(values: pa.ChunkedArray) -> np.ndarray:
    """A boolean column as numpy, nulls False."""
    return pc.fill_null(values, False).to_numpy(zero_copy_only=False).astype(bool, copy=False)


def _read(raw: RawTable, header: str | None, parser: Parser, n: int) -> _Column:
    if not header:
        return _per_value(None, parser, n)  # validate_rows gives every row ""
    try:
        values = _arrow(raw.rows[header])
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # not text: every row to the parsers
        return _Column(np.zeros(n, dtype=bool), None, "object")
    if values.type not in (pa.string(), pa.large_string()):
        return _per_value(values, parser, n)
    inner = getattr(parser, "required_of", None)
    if parser is cv.text or inner is cv.text:
        stripped = strip(values)
        ok = ~_mask(pc.is_null(values))
        if inner is cv.text:
            ok &= _mask(pc.greater(pc.binary_length(stripped), 0))
        return _Column(ok, stripped, "text")
    if inner is cv.parse_datetime:
        return _dates(values, n)
    if parser is cv.parse_number_or_blank:
        return _numbers(values, n)
    return _per_value(values, parser, n)


def _dates(values: pa.ChunkedArray, n: int) -> _Column:
    ok = np.zeros(n, dtype=bool)
    stamps = np.zeros(n, dtype="datetime64[us]")
    matrix = _fixed_width(values)
    if matrix is not None and matrix.shape[1] in (10, 16, 19):  # the usual case: one layout
        rows, d = np.arange(n), matrix
        match = (d[:, 4] == 45) & (d[:, 7] == 45)  # '-'
        for i in (0, 1, 2, 3, 5, 6, 8, 9, *_TIME_DIGITS[d.shape[1]]):
            match &= (d[:, i] - 48) < 10  # an ASCII digit (uint8 wraps below '0')
        if d.shape[1] > 10:
            match &= ((d[:, 10] == 32) | (d[:, 10] == 84)) & (d[:, 13] == 58)  # ' ' or 'T', ':'
        if d.shape[1] > 16:
            match &= d[:, 16] == 58
    else:
        match = _mask(pc.match_substring_regex(values, _DATE))
        rows = np.flatnonzero(match)
        if not len(rows):
            return _Column(ok, stamps, "datetime")
        # every match is ASCII: padded to 'YYYY-MM-DD HH:MM:SS' with zeros, 19 bytes each
        padded = pc.utf8_rpad(values.filter(pa.array(match)), width=19, padding="0")
        d = _fixed_width(padded)
        match = np.ones(len(rows), dtype=bool)

    def number(*at: int) -> np.ndarray:
        out = np.zeros(len(d), dtype=np.int64)
        for i in at:
            if i < d.shape[1]:
                out = out * 10 + (d[:, i].astype(np.int64) - 48)
        return out

    year, month, day = number(0, 1, 2, 3), number(5, 6), number(8, 9)
    hour, minute, second = number(11, 12), number(14, 15), number(17, 18)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_index = np.clip(month, 1, 12) - 1
    days_in_month = _MONTH_DAYS[month_index] + ((month_index == 1) & leap)
    good = match & ((year >= 1) & (month >= 1) & (month <= 12) & (day >= 1)
                    & (day <= days_in_month) & (hour <= 23) & (minute <= 59) & (second <= 59))
    # days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil)
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * ((month + 9) % 12) + 2) // 5 + day - 1
    days = era * 146_097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719_468
    micros = (days * 86_400 + hour * 3_600 + minute * 60 + second) * 1_000_000
    ok[rows] = good
    stamps[rows] = np.where(good, micros, 0).view("datetime64[us]")
    return _Column(ok, stamps, "datetime")


_TIME_DIGITS = {10: [], 16: [11, 12, 14, 15], 19: [11, 12, 14, 15, 17, 18]}
_MONTH_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def _fixed_width(values: pa.ChunkedArray) -> np.ndarray | None:
    """The cells' UTF-8 bytes as an (n, width) matrix when every cell has the same byte length
    and none is missing; None otherwise."""
    arr = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if arr.null_count or not len(arr) or not (pa.types.is_string(arr.type)
                                              or pa.types.is_large_string(arr.type)):
        return None
    width = np.int32 if pa.types.is_string(arr.type) else np.int64
    offsets = np.frombuffer(arr.buffers()[1], dtype=width)[arr.offset:arr.offset + len(arr) + 1]
    size = int(offsets[1] - offsets[0])
    if not size or int(offsets[-1] - offsets[0]) != size * len(arr) or \
            not (np.diff(offsets) == size).all():
        return None
    data = np.frombuffer(arr.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]]
    return data.reshape(len(arr), size)


def _numbers(values: pa.ChunkedArray, n: int) -> _Column:
    blank = _mask(pc.equal(pc.binary_length(values), 0))  # whitespace only: row-wise
    match = _mask(pc.match_substring_regex(values, _NUMBER))
    out = np.full(n, np.nan)
    if match.all():
        out = pc.cast(pc.replace_substring(values, ",", "."), pa.float64()).to_numpy()
    elif match.any():
        text = pc.replace_substring(values.filter(pa.array(match)), ",", ".")
        out[match] = pc.cast(text, pa.float64()).to_numpy()
    return _Column(blank | match, out, "number")


def _per_value(values: pa.ChunkedArray | None, parser: Parser, n: int) -> _Column:
    """The parser itself on each distinct value; a row's value is its cell's."""
    if values is None:
        uniques, codes = [""], np.zeros(n, dtype=np.int64)
    else:
        encoded = values.combine_chunks().dictionary_encode()
        uniques = encoded.dictionary.to_pylist()
        codes = pc.fill_null(encoded.indices, len(uniques)).to_numpy().astype(np.int64)
    results = np.empty(len(uniques) + 1, dtype=object)  # the last: a null cell, not ok
    good = np.zeros(len(uniques) + 1, dtype=bool)
    for i, value in enumerate(uniques):
        try:
            results[i] = parser(value)
        except (ValueError, KeyError):
            continue
        good[i] = True
    return _Column(good[codes], results[codes], "object", codes, results)


def _merge(col: _Column, ok: np.ndarray, slow: pd.Series, order: np.ndarray | None) -> pd.Series:
    """The accepted rows' values: the fast rows', then the row-wise ones, in line order."""
    reps = _fast_reps(col, ok) + _slow_reps(slow)
    dtype = pd.DataFrame([{"v": r} for r in reps], columns=["v"])["v"].dtype
    fast = _fast_series(col, ok, dtype)
    if len(slow):
        fast = pd.concat([fast, _convert(slow.reset_index(drop=True), dtype)],
                         ignore_index=True)
    return fast if order is None else fast.take(order).reset_index(drop=True)


def _one_per_type(values) -> list[object]:
    return list({type(v): v for v in values}.values())


def _fast_reps(col: _Column, ok: np.ndarray) -> list[object]:
    """Values of every type the fast rows hold (pandas infers a column's dtype from its types)."""
    if not ok.any():
        return []
    if col.kind == "text":
        return ["x"]
    if col.kind == "datetime":
        return [datetime(2000, 1, 1)]
    if col.kind == "number":
        missing = np.isnan(col.values[ok])
        return ([1.0] if not missing.all() else []) + ([None] if missing.any() else [])
    used = np.bincount(col.codes[ok], minlength=len(col.results)) > 0  # np.unique is slow
    return _one_per_type(col.results[used])


def _slow_reps(slow: pd.Series) -> list[object]:
    if not len(slow):
        return []
    missing = [None] if slow.isna().any() else []
    if isinstance(slow.dtype, pd.StringDtype):
        return (["x"] if slow.notna().any() else []) + missing
    if pd.api.types.is_float_dtype(slow.dtype):
        return ([1.0] if slow.notna().any() else []) + missing
    if pd.api.types.is_datetime64_dtype(slow.dtype):
        return [datetime(2000, 1, 1)] + missing
    if pd.api.types.is_bool_dtype(slow.dtype):
        return [True]
    return _one_per_type(slow.to_numpy(dtype=object))


def _fast_series(col: _Column, ok: np.ndarray, dtype) -> pd.Series:
    if col.kind == "text":
        out = (col.values if ok.all() else col.values.filter(pa.array(ok))).to_pandas()
        return out if out.dtype == dtype else out.astype(dtype)
    if col.kind == "object" and isinstance(dtype, pd.StringDtype) and all(
            v is None or isinstance(v, str) for v in col.results):
        # distinct values as Arrow strings, taken per row: no Python object per row
        distinct = pa.array(list(col.results), type=pa.large_string())
        out = distinct.take(pa.array(col.codes[ok])).to_pandas()
        if out.dtype == dtype:
            return out
    values = col.values[ok]
    if col.kind == "number" and dtype == object:
        values = values.astype(object)
        values[pd.isna(values)] = None
    return pd.Series(values, dtype=dtype)


def _convert(slow: pd.Series, dtype) -> pd.Series:
    if slow.dtype == dtype:
        return slow
    values = np.array(slow.to_numpy(dtype=object), dtype=object)  # a writable copy
    values[pd.isna(values)] = None
    return pd.Series(values, dtype=dtype)


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection while a million objects are made (none of them cyclic)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def duplicated(ids: pd.Series) -> np.ndarray:
    """`ids.duplicated(keep="first")` as a numpy mask. Equal-length Arrow strings without
    missing values are first hashed with numpy: all hashes distinct means no duplicates."""
    arr = pa.array(ids, from_pandas=True) if len(ids) else None
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr is not None and arr.null_count == 0 and (
            pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        width = np.int32 if pa.types.is_string(arr.type) else np.int64
        offsets = np.frombuffer(arr.buffers()[1], dtype=width)[arr.offset:arr.offset + len(arr) + 1]
        size = int(offsets[1] - offsets[0])
        if 0 < size <= 64 and (np.diff(offsets) == size).all():
            data = np.frombuffer(arr.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]]
            words = np.zeros((len(arr), (size + 7) // 8 * 8), dtype=np.uint8)
            words[:, :size] = data.reshape(len(arr), size)
            words = words.view(np.uint64)
            key = words[:, 0].copy()
            for i in range(1, words.shape[1]):
                key = key * np.uint64(0x9E3779B97F4A7C15) ^ words[:, i]
            key.sort()  # sorting and comparing neighbours: far faster than np.unique here
            if not (key[1:] == key[:-1]).any():
                return np.zeros(len(arr), dtype=bool)
    return ids.duplicated(keep="first").to_numpy()
