"""Large plain CSV files read with pyarrow into the same `RawTable` as `raw_tables.read_table`.

Only a file whose physical lines are its records qualifies: no quote character (so no quoted
separator or line break), no NUL, no carriage return outside CRLF, no line longer than the csv
module's field limit. The header (and any title lines or two-row header) is found by
`find_header` on the first lines and a footer of notes by `trailing_notes` on the last lines,
exactly as the row-wise reader finds them; when the header region or a footer reaches beyond
those lines, `fast_table` returns None and the row-wise reader reads the file.

pyarrow splits every line with as many fields as the header (and, by its own rule, gives an empty
line as a row of empty cells). Lines with another number of fields are found with numpy on the
bytes and handled here one at a time, as the row-wise reader does: blank ones are skipped, the
others rejected as ragged. Cells are stripped of exactly what `str.strip` strips.
"""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from lagesbild.core.errors import Rejection
from lagesbild.sources.raw_tables import RawTable, _header
from lagesbild.sources.table_layout import (
    HEADER_SEARCH,
    _split_footer,
    find_header,
    trailing_notes,
)

HEAD_LINES = 400  # first lines parsed row-wise to find the header
TAIL_LINES = 100  # last lines parsed row-wise to find a footer
BLOCK_SIZE = 1 << 24  # bytes pyarrow parses at a time, in one thread (threads only cost here)
# what str.strip() strips: every character str.isspace() calls whitespace (all below U+3001)
WHITESPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())


# bytes that may start (or end) a whitespace character in UTF-8: ASCII whitespace, and the
# lead (or last) bytes of U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028/9, U+202F, U+205F, U+3000
_ASCII_SPACE = [9, 10, 11, 12, 13, 28, 29, 30, 31, 32]
_MAY_START = np.zeros(256, dtype=bool)
_MAY_START[_ASCII_SPACE + [0xC2, 0xE1, 0xE2, 0xE3]] = True
_MAY_END = np.zeros(256, dtype=bool)
_MAY_END[_ASCII_SPACE + [0x85, 0xA0, *range(0x80, 0x8B), 0xA8, 0xA9, 0xAF, 0x9F]] = True


def strip(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """`str.strip()` on every cell (skipped when no cell starts or ends with a byte that may
    belong to whitespace: the usual case, checked from the first and last bytes alone)."""
    if all(_stripped(chunk) for chunk in values.chunks):
        return values
    return pc.utf8_trim(values, characters=WHITESPACE)


def _stripped(chunk: pa.Array) -> bool:
    if chunk.null_count or not (pa.types.is_string(chunk.type)
                                or pa.types.is_large_string(chunk.type)):
        return False
    width = np.int32 if pa.types.is_string(chunk.type) else np.int64
    offsets = np.frombuffer(chunk.buffers()[1], dtype=width)[
        chunk.offset:chunk.offset + len(chunk) + 1]
    if not len(chunk) or offsets[-1] == offsets[0]:
        return True
    data = np.frombuffer(chunk.buffers()[2], dtype=np.uint8)
    filled = offsets[1:] > offsets[:-1]
    first, end = offsets[:-1][filled], offsets[1:][filled]
    return not (_MAY_START[data[first]].any() or _MAY_END[data[end - 1]].any())


def plain(text: str) -> bool:
    """True when every physical line of `text` is one record the csv module splits at its
    separators alone (a carriage return outside CRLF is looked for in `_Lines`)."""
    return '"' not in text and "\x00" not in text


def fast_table(text: str, name: str, *, encoding: str, separator: str,
               notes: list[str]) -> RawTable | None:
    """The file as `read_table` reads it, or None when it is no plain table (see module doc)."""
    if len(separator) != 1 or not separator.isascii() or not plain(text):
        return None
    head_end = _after_lines(text, HEAD_LINES)
    if text.count("\r", 0, head_end) != text.count("\r\n", 0, head_end):
        return None  # a lone carriage return: a line break to the csv module
    try:
        head = _records(text[:head_end], separator, first_line=1)
    except csv.Error:
        return None  # a field over the csv module's limit: the row-wise reader says so
    whole = head_end >= len(text)
    if not whole and sum(1 for _, row in head if any(row)) < HEADER_SEARCH + 2:
        return None  # many blank lines: the header search might reach beyond the head
    own_notes = list(notes)
    cells, start, header_line = find_header(head, name, own_notes)
    if start >= len(head):
        return None  # nothing (or only blank lines) after the header in the head: a tiny file
    header = _header(cells, name, header_line)
    first_line = head[start][0]
    body = text[_line_start(text, first_line):].encode("utf-8")
    lines = _Lines(body, separator, first_line)
    if not lines.n or lines.lone_cr or lines.longest > csv.field_size_limit():
        return None
    tail = lines.records(range(max(0, lines.n - TAIL_LINES), lines.n))
    if trailing_notes(tail) == 0 and len(tail) < lines.n:
        return None  # the trailing block of note-like lines may go on above the tail
    if _split_footer(tail)[1]:
        return None  # a footer of notes: the row-wise reader cuts it and says so
    width = len(header)
    table = _arrow_rows(body, separator, width)
    if table is None:
        return None
    if table.num_rows == lines.n:  # every line has the header's fields, or is empty
        regular = np.ones(lines.n, dtype=bool)
    else:
        regular = lines.fields() == width
        if table.num_rows != int((regular | lines.empty).sum()):
            return None
    columns = [strip(table.column(i)) for i in range(width)]
    blank = pc.equal(pc.binary_length(columns[0]), 0)
    for col in columns[1:]:
        blank = pc.and_(blank, pc.equal(pc.binary_length(col), 0))
    line_numbers = lines.line_numbers[regular | lines.empty]
    if pc.any(blank).as_py():
        keep = pc.invert(blank)
        columns = [col.filter(keep) for col in columns]
        line_numbers = line_numbers[keep.to_numpy(zero_copy_only=False)]
    frame = pd.DataFrame({h: col.to_pandas() for h, col in zip(header, columns)})
    frame["_line"] = line_numbers
    ragged = []
    other = np.flatnonzero(~regular & ~lines.empty)
    for line, row in lines.records(other):
        if any(row):
            ragged.append(Rejection(name, line, "", separator.join(row)[:80],
                                    f"Raden har {len(row)} fält, rubrikraden {width}."))
    return RawTable(name, header, frame, encoding, separator, ragged, own_notes, header_line, "")


def _after_lines(text: str, n: int) -> int:
    """The offset just after the n-th line break (len(text) when there are fewer)."""
    pos = 0
    for _ in range(n):
        pos = text.find("\n", pos) + 1
        if not pos:
            return len(text)
    return pos


def _line_start(text: str, line: int) -> int:
    """The offset where physical line `line` (1-based) starts."""
    pos = 0
    for _ in range(line - 1):
        pos = text.index("\n", pos) + 1
    return pos


def _records(text: str, separator: str, *, first_line: int) -> list[tuple[int, list[str]]]:
    """(line, stripped cells) per physical line, as the row-wise reader makes them."""
    lines = (text[:-1] if text.endswith("\n") else text).split("\n")
    rows = csv.reader([ln[:-1] if ln.endswith("\r") else ln for ln in lines],
                      delimiter=separator)
    return [(first_line + i, [c.strip() for c in row]) for i, row in enumerate(rows)]


class _Lines:
    """The physical lines of UTF-8 bytes: where each starts and ends, how many fields it has."""

    def __init__(self, body: bytes, separator: str, first_line: int) -> None:
        self.body = body
        buf = np.frombuffer(body, dtype=np.uint8)
        breaks = np.flatnonzero(buf == 10)
        ends = breaks if body.endswith(b"\n") else np.append(breaks, len(buf))
        starts = np.concatenate(([0], breaks + 1))[:len(ends)]
        cr = np.zeros(len(ends), dtype=bool)
        if len(ends):
            cr = (ends > starts) & (buf[np.maximum(ends - 1, 0)] == 13)
        self.starts, self.ends = starts, ends - cr  # without the CR of a CRLF
        self.lone_cr = bool(cr.sum() != body.count(b"\r"))
        self.n = len(ends)
        self.longest = int((self.ends - self.starts).max()) if self.n else 0
        self.empty = self.ends == self.starts
        self.line_numbers = first_line + np.arange(self.n, dtype=np.int64)
        self.separator = separator

    def fields(self) -> np.ndarray:
        """The number of fields on each line."""
        buf = np.frombuffer(self.body, dtype=np.uint8)
        seps = np.flatnonzero(buf == ord(self.separator))
        return 1 + np.searchsorted(seps, self.ends) - np.searchsorted(seps, self.starts)

    def text(self, i: int) -> str:
        return self.body[self.starts[i]:self.ends[i]].decode("utf-8")

    def records(self, which) -> list[tuple[int, list[str]]]:
        rows = csv.reader([self.text(i) for i in which], delimiter=self.separator)
        return [(int(self.line_numbers[i]), [c.strip() for c in row])
                for i, row in zip(which, rows)]


def _arrow_rows(body: bytes, separator: str, width: int) -> pa.Table | None:
    """Every line with `width` fields (and every empty line) split into string columns."""
    names = [f"c{i}" for i in range(width)]
    try:
        return pcsv.read_csv(
            pa.py_buffer(body),
            read_options=pcsv.ReadOptions(column_names=names, use_threads=False,
                                          block_size=BLOCK_SIZE),
            parse_options=pcsv.ParseOptions(
                delimiter=separator, quote_char=False, double_quote=False, escape_char=False,
                newlines_in_values=False, ignore_empty_lines=False,
                invalid_row_handler=lambda row: "skip"),
            convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False,
                quoted_strings_can_be_null=False))
    except (pa.ArrowException, ValueError):
        return None
