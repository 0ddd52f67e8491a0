"""Where the table is among a file's lines: title rows above the header, a two-row header, note
rows below the data (SCB and Brå exports). Works on (line, stripped cells) records, the same for
text files and workbooks; `raw_tables` and `fast_read` use it.
"""

from __future__ import annotations

import itertools
import re

from lagesbild.core.errors import InputError
from lagesbild.sources.cell_values import parse_number

_YEAR = re.compile(r"(19|20)\d\d")


def _is_number(text: str) -> bool:
    try:
        parse_number(text)
    except ValueError:
        return False
    return True


def _header_like(cells: list[str]) -> bool:
    """Every cell is text or a year: a header line, not a data line."""
    return all(c.strip() and (_YEAR.fullmatch(c.strip()) or not _is_number(c)) for c in cells)


# Lines below a table that are notes, not data (SCB: "Källa", "Senaste uppdatering", "..").
_NOTE = re.compile(
    r"^(källa|källor|kalla|anm\.?|anmärkning(ar)?|fotnot(er)?|not(er)?|senaste uppdatering|"
    r"uppdaterad|publicerad|hämtad|data hämtad|förklaring|teckenförklaring|definition(er)?|"
    r"kommentar(er)?|observera|obs|statistiska centralbyrån|scb|brå|brottsförebyggande rådet|"
    r"senast (uppdaterad|ändrad)|uttag|uttagsdatum|enhet|tabellinnehåll|"
    r"uppgifterna|uppgift saknas|source|note|copyright)\b|^(\.\.|\*|©|\(\w\))",
    re.IGNORECASE)


def _filled(cells: list[str]) -> int:
    return sum(bool(c) for c in cells)


HEADER_SEARCH = 50  # the header (and any title lines above it) is among the first non-blank lines


def find_header(records: list[tuple[int, list[str]]], name: str,
                notes: list[str]) -> tuple[list[str], int, int]:
    """(header cells, index of the first data record, header line) of (line, cells) records.

    Reads only the first HEADER_SEARCH non-blank records and the one after the header; title
    lines skipped and a two-row header merged are told in `notes`.
    """
    body = list(itertools.islice((i for i, (_, row) in enumerate(records) if any(row)),
                                 HEADER_SEARCH))
    if not body:
        raise InputError("Filen är tom.", file=name, fix="Kontrollera att rätt fil valdes.")
    # The header is the first line with two or more values; when the first line has a single
    # value, it is a title above the table if a header-like line follows (SCB, Brå exports).
    rows = [records[i][1] for i in body]
    h = 0
    if _filled(rows[0]) < 2:
        h = next((k for k, row in enumerate(rows) if _filled(row) >= 2
                  and _header_like([c for c in row if c])), 0)
    while _title_pair(rows, h):  # 'Uttag: | 2025-03-01' above the real header
        h = next(k for k in range(h + 1, len(rows)) if _filled(rows[k]) >= 2
                 and _header_like([c for c in rows[k] if c]))
    header_line, top = records[body[h]]
    start = body[h] + 1
    if h:
        first = next(c for c in records[body[0]][1] if c)
        notes.append(f"{'Raden' if h == 1 else 'Raderna'} "
                     f"{_span(records[body[0]][0], records[body[h - 1]][0])} ovanför tabellen "
                     f"hoppades över (rubrik: '{first[:60]}'); tabellens rubrikrad är rad "
                     f"{header_line}.")
    cells = top
    if start < len(records) and _filled(records[start][1]):
        merged = _merge_header(top, records[start][1])
        if merged is not None:
            example = next((m for m in merged if " " in m), " | ".join(merged[:4]))
            notes.append(f"Rubriken står på två rader ({header_line}–{records[start][0]}) och "
                         f"slogs ihop, t.ex. '{example}'.")
            cells, start = merged, start + 1
    return cells, start, header_line


def _title_pair(rows: list[list[str]], h: int) -> bool:
    """True when header-like row `h` is a title line with a few values ('Uttag: | 2025-03-01',
    'Folkmängd 31 december | … | Antal personer'): a later header-like row with more values sits
    directly above the data (or above the second row of a two-row header), and `h` is no two-row
    header with the row after it."""
    width = _filled(rows[h])
    if width < 2 or not _header_like([c for c in rows[h] if c]):
        return False
    nxt = h + 1
    if nxt < len(rows) and _merge_header(rows[h], rows[nxt]) is not None:
        return False
    for k in range(nxt, len(rows) - 1):
        if not _header_like([c for c in rows[k] if c]):
            return False  # data reached: `h` is the header above it
        if _filled(rows[k]) > width:
            after = rows[k + 1]
            if not _header_like([c for c in after if c]) or _merge_header(rows[k], after):
                return True
    return False


def _span(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}–{last}"


def _merge_header(top: list[str], bottom: list[str]) -> list[str] | None:
    """One header from two rows ('2023' above 'män' -> '2023 män'), or None when `bottom` is data.

    Two rows are a header when each is incomplete on its own (blank or repeated cells, as
    merged cells leave them), together they name every column, and `bottom` holds no numbers
    other than years.
    """
    width = max(len(top), len(bottom))
    top, bottom = top + [""] * (width - len(top)), bottom + [""] * (width - len(bottom))

    def incomplete(row: list[str]) -> bool:
        values = [c for c in row if c]
        return len(values) < width or len(set(values)) < len(values)

    if not (incomplete(top) and incomplete(bottom)):
        return None
    if any(not a and not b for a, b in zip(top, bottom)):
        return None
    if any(b and not _YEAR.fullmatch(b) and _is_number(b) for b in bottom):
        return None
    merged: list[str] = []
    group = ""  # a top cell spanning the following blank ones (a merged cell in Excel)
    for a, b in zip(top, bottom):
        if a:
            group = a if b else ""
        label = a or (group if b else "")
        merged.append(" ".join(p for p in (label, b) if p))
    return merged


def _split_footer(data: list[tuple[int, list[str]]]) -> tuple[
        list[tuple[int, list[str]]], list[tuple[int, list[str]]]]:
    """(data, footer): the footer is a trailing block of notes that starts at a blank line or a
    note line ('Källa: SCB') and holds only blank, single-value or note lines."""
    i = trailing_notes(data)
    for j in range(i, len(data)):
        row = data[j][1]
        if not _filled(row) or _NOTE.match(next((c for c in row if c), "")):
            if any(_filled(r) for _, r in data[j:]):
                return data[:j], data[j:]
            return data[:j], []
    return data, []


def trailing_notes(data: list[tuple[int, list[str]]]) -> int:
    """Where the trailing block of blank, single-value or note lines starts (len: none)."""
    i = len(data)
    while i > 0:
        row = data[i - 1][1]
        if _filled(row) <= 1 or _NOTE.match(next((c for c in row if c), "")):
            i -= 1
        else:
            break
    return i
