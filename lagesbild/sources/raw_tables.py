"""Tables as Swedish offices write them: CSV dialects, Excel workbooks, SCB/Brå export layouts.

A file is read as text into a `RawTable`: encoding (`text_decoding`) and separator found, title
rows above the header and note rows below the data cut, a two-row header merged
(`table_layout`). Which column holds what is `column_mapping`'s business, what a cell means
`cell_values`'.
"""

from __future__ import annotations

import bisect
import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from lagesbild.core.errors import InputError, Rejection
from lagesbild.sources import spreadsheet
from lagesbild.sources.table_layout import (
    _filled,
    _header_like,
    _span,
    _split_footer,
    find_header,
)
from lagesbild.sources.text_decoding import FIX_UTF8, decode_lines
from lagesbild.sources.text_decoding import decode as decode  # re-exported

ENCODINGS = ("utf-8", "cp1252")
HEADER_FIX = ("Står tabellens rubrikrad längre ned, ta bort raderna ovanför den (titel, enhet, "
              "tomma rader), eller välj kolumnerna i kolumnmappningen (--column FÄLT=RUBRIK).")
SEPARATORS = (";", "\t", ",")


@dataclass
class RawTable:
    """A table read as text: header, rows (with their line numbers), dialect found."""

    name: str
    header: list[str]
    rows: pd.DataFrame  # all str, plus "_line"
    encoding: str  # "xlsx" for a workbook
    separator: str  # "" for a workbook
    ragged: list[Rejection]
    notes: list[str] = field(default_factory=list)  # title/footer rows skipped, header merged …
    header_line: int = 1  # the (first) header line; rows above it were titles
    sheet: str = ""  # the workbook sheet read, "" for text files
    first_column: int = 0  # sheet columns left of the table (all empty) that were dropped

    @property
    def is_workbook(self) -> bool:
        return self.encoding == "xlsx"

    def column_label(self, header: str) -> str:
        """'kolumn C' (workbook) or 'kolumn 3' (text file) for one of the headers."""
        index = self.header.index(header)
        if self.is_workbook:
            return f"kolumn {spreadsheet.column_letter(index + self.first_column)}"
        return f"kolumn {index + 1}"

    def renamed(self, names: Mapping[str, str]) -> RawTable:
        """A copy with headers renamed (e.g. an unnamed column to 'region (kolumn A)')."""
        return replace(self, header=[names.get(h, h) for h in self.header],
                       rows=self.rows.rename(columns=dict(names)))

    def header_guess(self) -> str:
        """One Swedish sentence naming the row read as the header and the columns seen there,
        for errors about missing columns (the guess may have been a title row)."""
        where = f" i bladet '{self.sheet}'" if self.sheet else ""
        seen = [f"(tom {self.column_label(h)})" if h.startswith("_tom") else h
                for h in self.header]
        return f"Som rubrikrad lästes rad {self.header_line}{where}, med: {', '.join(seen)}."

    def describe(self) -> str:
        """One Swedish line on how the file was read, for the reader's notes."""
        if self.is_workbook:
            return f"Läst som Excel-arbetsbok, bladet '{self.sheet}'."
        return f"Läst som {self.encoding}, avgränsare '{self.separator}'."


def _split(line: str, sep: str) -> list[str]:
    return next(csv.reader([line], delimiter=sep))


def sniff_separator(text: str) -> str:
    """The separator that splits the header and first lines most consistently.

    A line that splits differently from most lines after it (a title line above an SCB table,
    perhaps with a comma in it) does not decide: the first line that splits into header-like
    cells, consistently with the lines below it, does.
    """
    lines = [ln for ln in _first_lines(text, 30) if ln.strip()]
    for start in range(min(len(lines), 10)):
        best = _best_separator(lines[start:start + 20], consistent=True, titled=start > 0)
        if best is not None:
            return best
    return _best_separator(lines[:20], consistent=False, titled=False) or ";"


def _first_lines(text: str, n: int) -> list[str]:
    """`text.splitlines()[:n]` without splitting a whole large file: a prefix that holds more
    than n lines has the same first n lines as the whole text."""
    size = 1 << 16
    while True:
        lines = text[:size].splitlines()
        if size >= len(text) or len(lines) > n:
            return lines[:n]
        size *= 4


def _best_separator(lines: list[str], *, consistent: bool, titled: bool) -> str | None:
    best, best_score = None, -1
    for sep in SEPARATORS:
        counts = [len(_split(ln, sep)) for ln in lines]
        if not counts or counts[0] < 2:
            continue
        same = sum(c == counts[0] for c in counts)
        if consistent and same < 0.5 * len(counts):
            continue
        if titled and not _header_like(_split(lines[0], sep)):
            continue
        score = same * 100 + counts[0]
        if score > best_score:
            best, best_score = sep, score
    return best


def read_table(source: str | Path | bytes, *, name: str | None = None,
               sheet: str | int | None = None, limit: int | None = None,
               fast: bool = False) -> RawTable:
    """Read a CSV/text table or an Excel workbook (.xlsx, found by content) as strings.

    Title rows above the header and note rows below the data (SCB and Brå exports) are
    skipped, a two-row header is merged ("2023" over "män" -> "2023 män"); both are told in
    `notes`. Rows with the wrong number of fields are rejected. `sheet` picks a workbook sheet
    (name or 0-based position; the first by default). `limit` keeps only the first rows, for a
    preview. `fast` reads a large plain text file (no quotes) with pyarrow instead (see
    `fast_read`): the same table, its cells in Arrow-backed string columns.
    """
    if isinstance(source, bytes):
        data, name = source, name or "uppladdad fil"
    else:
        path = Path(source)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"Filen kan inte öppnas ({exc.strerror}).", file=str(path),
                             fix="Kontrollera sökvägen.") from exc
        name = name or path.name
    if not data or data.isspace():  # bytes.strip() would copy the file
        raise InputError("Filen är tom.", file=name, fix="Kontrollera att rätt fil valdes.")
    if spreadsheet.is_xlsx(data):
        title, records, notes, first = spreadsheet.read_rows(
            data, name, sheet=sheet, limit=None if limit is None else limit + 50)
        raw = _table(name, records, notes, encoding="xlsx", separator="", sheet=title,
                     limit=limit)
        return replace(raw, first_column=first)
    spreadsheet.refuse_other_formats(data, name)
    decoded = decode_lines(data, name)
    text, encoding = decoded.text, decoded.encoding
    notes = [f"Filen heter '{name}' men är en textfil; den lästes som CSV."] \
        if spreadsheet.looks_like_spreadsheet_name(name) else []
    notes += decoded.notes
    sep = sniff_separator(text)
    if fast and limit is None:
        from lagesbild.sources.fast_read import fast_table

        raw = fast_table(text, name, encoding=encoding, separator=sep, notes=notes)
        if raw is not None:  # physical lines are records there
            return _reject_lines(raw, decoded.bad_lines)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    records: list[tuple[int, list[str]]] = []
    end = 0
    for row in _rows(reader, name):
        # A quoted field may span lines: a record starts on the line after the previous one ended.
        line, end = end + 1, reader.line_num
        records.append((line, [c.strip() for c in row]))
        if limit is not None and len(records) > limit + 50:
            break
    raw = _table(name, records, notes, encoding=encoding, separator=sep, sheet="", limit=limit)
    if not decoded.bad_lines:
        return raw
    starts = [line for line, _ in records]  # a bad line belongs to the record it is part of
    return _reject_lines(raw, {starts[bisect.bisect_right(starts, line) - 1]: reason
                               for line, reason in decoded.bad_lines.items()
                               if starts and line >= starts[0]})


def _reject_lines(raw: RawTable, bad: Mapping[int, str]) -> RawTable:
    """`raw` with the records on lines that could not be decoded safely rejected; such a line in
    the header is an InputError. Titles and footnotes are skipped anyway."""
    if not bad:
        return raw
    lines = raw.rows["_line"]
    first_data = int(lines.min()) if len(lines) else 1 << 62
    for line in sorted(bad):
        if raw.header_line <= line < first_data:
            raise InputError(f"Rubrikraden kan inte läsas: {bad[line]}", file=raw.name, row=line,
                             fix=FIX_UTF8)
    hit = lines.isin(list(bad)).to_numpy()
    if not hit.any():
        return raw
    cells = raw.rows.loc[hit, raw.header]
    rejected = [Rejection(raw.name, int(line), "", (raw.separator or ";").join(map(str, row))[:80],
                          f"{bad[int(line)]} Åtgärd: {FIX_UTF8}")
                for line, row in zip(lines[hit], cells.itertuples(index=False))]
    ragged = sorted([*raw.ragged, *rejected], key=lambda r: r.row)
    return replace(raw, rows=raw.rows[~hit].reset_index(drop=True), ragged=ragged)


def read_delimited(source: str | Path | bytes, *, name: str | None = None,
                   sheet: str | int | None = None) -> RawTable:
    """Read a delimited file (or an .xlsx workbook) as strings; see `read_table`."""
    return read_table(source, name=name, sheet=sheet)


def read_header_and_preview(source: str | Path | bytes, *, name: str | None = None,
                            rows: int = 20, sheet: str | int | None = None) -> RawTable:
    """The header and the first `rows` data rows, for a column-mapping form or a preview."""
    return read_table(source, name=name, sheet=sheet, limit=rows)


def sheet_names(source: str | Path | bytes, *, name: str | None = None) -> list[str]:
    """The sheets of an .xlsx workbook; [] for a text file."""
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    if not spreadsheet.is_xlsx(data):
        return []
    return spreadsheet.sheet_names(data, name or ("uppladdad fil" if isinstance(source, bytes)
                                                  else Path(source).name))


def _table(name: str, records: list[tuple[int, list[str]]], notes: list[str], *, encoding: str,
           separator: str, sheet: str, limit: int | None) -> RawTable:
    """A RawTable from (line, stripped cells) records: header found, titles and footer cut."""
    cells, start, header_line = find_header(records, name, notes)
    data = records[start:]
    footer: list[tuple[int, list[str]]] = []
    if limit is None or len(data) <= limit:
        data, footer = _split_footer(data)
    if footer:
        filled = [(line, next(c for c in row if c)) for line, row in footer if _filled(row)]
        notes.append(f"{len(filled)} {'rad' if len(filled) == 1 else 'rader'} under tabellen "
                     f"hoppades över som fotnoter (rad {_span(filled[0][0], filled[-1][0])}, "
                     f"t.ex. '{filled[0][1][:60]}').")
    workbook = encoding == "xlsx"
    if workbook:
        width = max([len(cells), *(len(row) for _, row in data)])
        cells = cells + [""] * (width - len(cells))
    header = _header(cells, name, header_line)
    records_out: list[list[str]] = []
    lines: list[int] = []
    ragged: list[Rejection] = []
    for line, row in data:
        if not any(row):
            continue
        if workbook:
            row = row + [""] * (len(header) - len(row))
        elif len(row) != len(header):
            ragged.append(Rejection(name, line, "", separator.join(row)[:80],
                                    f"Raden har {len(row)} fält, rubrikraden {len(header)}."))
            continue
        records_out.append(row)
        lines.append(line)
    if limit is not None:
        records_out, lines = records_out[:limit], lines[:limit]
    frame = pd.DataFrame(records_out, columns=header, dtype=object)
    frame["_line"] = lines
    return RawTable(name, header, frame, encoding, separator, ragged, notes, header_line, sheet)


def _rows(reader: Iterator[list[str]], name: str) -> Iterator[list[str]]:
    """The csv module's rows; its errors (NUL bytes, unclosed quotes) become InputErrors."""
    try:
        yield from reader
    except csv.Error as exc:
        line = getattr(reader, "line_num", None)
        raise InputError(f"Filen kan inte läsas som text med avgränsare ({exc}).", file=name,
                         row=line, fix="Spara filen som CSV (semikolonseparerad) från Excel.") from exc


def _header(row: list[str], name: str, line: int) -> list[str]:
    """Stripped header names; blank ones (trailing separators) get placeholders, repeats are refused."""
    header = [h.strip().strip("\ufeff").strip() for h in row]
    header = [h or f"_tom{i + 1}" for i, h in enumerate(header)]
    seen: set[str] = set()
    for h in header:
        if h in seen:
            raise InputError(f"Kolumnnamnet '{h}' finns flera gånger i rubrikraden.", file=name,
                             row=line, field=h, fix="Ge kolumnerna olika namn.")
        seen.add(h)
    return header
