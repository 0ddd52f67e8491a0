"""Tables as Swedish offices write them: CSV dialects, Excel workbooks, SCB/Brå export layouts."""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import pandas as pd

from lagesbild.errors import InputError, Rejection
from lagesbild.sources import spreadsheet
from lagesbild.workspace import Dataset

ENCODINGS = ("utf-8", "cp1252")
SEPARATORS = (";", "\t", ",")


@dataclass
class ReadResult:
    """What a reader returns: accepted canonical rows, rejected rows with reasons, provenance."""

    accepted: pd.DataFrame
    rejected: list[Rejection]
    dataset: Dataset
    notes: list[str] = field(default_factory=list)
    # canonical column -> the file's header for it, so later checks can name the user's column
    columns: dict[str, str] = field(default_factory=dict)

    def rejected_frame(self) -> pd.DataFrame:
        return pd.DataFrame([r.as_dict() for r in self.rejected],
                            columns=["fil", "rad", "fält", "värde", "orsak"])


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

    def describe(self) -> str:
        """One Swedish line on how the file was read, for the reader's notes."""
        if self.is_workbook:
            return f"Läst som Excel-arbetsbok, bladet '{self.sheet}'."
        return f"Läst som {self.encoding}, avgränsare '{self.separator}'."


@dataclass(frozen=True)
class ColumnSpec:
    """A reader's expected columns: canonical key -> header aliases, which are optional, and
    groups of which at least one must be complete (e.g. lat+lon or northing+easting)."""

    columns: Mapping[str, Sequence[str]]
    optional: tuple[str, ...] = ()
    one_of: tuple[tuple[str, ...], ...] = ()

    def required(self) -> list[str]:
        grouped = {k for group in self.one_of for k in group}
        return [k for k in self.columns if k not in self.optional and k not in grouped]


def decode(data: bytes, name: str) -> tuple[str, str]:
    """Decode bytes the way Excel writes them; return (text, encoding name)."""
    if not data.strip():
        raise InputError("Filen är tom.", file=name, fix="Kontrollera att rätt fil valdes.")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    if b"\x00" in data[:4096]:
        raise InputError("Filen innehåller binära data, inte text.", file=name,
                         fix="Spara filen som CSV (semikolonseparerad) från Excel.")
    for enc in ENCODINGS:
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise InputError("Okänd teckenkodning.", file=name, fix="Spara filen som UTF-8 eller Windows-1252.")


_YEAR = re.compile(r"(19|20)\d\d")


def _is_number(text: str) -> bool:
    try:
        parse_number(text)
    except ValueError:
        return False
    return True


def _split(line: str, sep: str) -> list[str]:
    return next(csv.reader([line], delimiter=sep))


def _header_like(cells: list[str]) -> bool:
    """Every cell is text or a year: a header line, not a data line."""
    return all(c.strip() and (_YEAR.fullmatch(c.strip()) or not _is_number(c)) for c in cells)


def sniff_separator(text: str) -> str:
    """The separator that splits the header and first lines most consistently.

    A line that splits differently from most lines after it (a title line above an SCB table,
    perhaps with a comma in it) does not decide: the first line that splits into header-like
    cells, consistently with the lines below it, does.
    """
    lines = [ln for ln in text.splitlines()[:30] if ln.strip()]
    for start in range(min(len(lines), 10)):
        best = _best_separator(lines[start:start + 20], consistent=True, titled=start > 0)
        if best is not None:
            return best
    return _best_separator(lines[:20], consistent=False, titled=False) or ";"


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
               sheet: str | int | None = None, limit: int | None = None) -> RawTable:
    """Read a CSV/text table or an Excel workbook (.xlsx, found by content) as strings.

    Title rows above the header and note rows below the data (SCB and Brå exports) are
    skipped, a two-row header is merged ("2023" over "män" -> "2023 män"); both are told in
    `notes`. Rows with the wrong number of fields are rejected. `sheet` picks a workbook sheet
    (name or 0-based position; the first by default). `limit` keeps only the first rows, for a
    preview.
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
    if not data.strip():
        raise InputError("Filen är tom.", file=name, fix="Kontrollera att rätt fil valdes.")
    if spreadsheet.is_xlsx(data):
        title, records, notes, first = spreadsheet.read_rows(
            data, name, sheet=sheet, limit=None if limit is None else limit + 50)
        raw = _table(name, records, notes, encoding="xlsx", separator="", sheet=title,
                     limit=limit)
        return replace(raw, first_column=first)
    spreadsheet.refuse_other_formats(data, name)
    text, encoding = decode(data, name)
    notes = [f"Filen heter '{name}' men är en textfil; den lästes som CSV."] \
        if spreadsheet.looks_like_spreadsheet_name(name) else []
    sep = sniff_separator(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    records: list[tuple[int, list[str]]] = []
    end = 0
    for row in _rows(reader, name):
        # A quoted field may span lines: a record starts on the line after the previous one ended.
        line, end = end + 1, reader.line_num
        records.append((line, [c.strip() for c in row]))
        if limit is not None and len(records) > limit + 50:
            break
    return _table(name, records, notes, encoding=encoding, separator=sep, sheet="", limit=limit)


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


# Lines below a table that are notes, not data (SCB: "Källa", "Senaste uppdatering", "..").
_NOTE = re.compile(
    r"^(källa|källor|kalla|anm\.?|anmärkning(ar)?|fotnot(er)?|not(er)?|senaste uppdatering|"
    r"uppdaterad|publicerad|hämtad|data hämtad|förklaring|teckenförklaring|definition(er)?|"
    r"kommentar(er)?|observera|obs|statistiska centralbyrån|scb|brå|brottsförebyggande rådet|"
    r"uppgifterna|uppgift saknas|source|note|copyright)\b|^(\.\.|\*|©|\(\w\))",
    re.IGNORECASE)


def _filled(cells: list[str]) -> int:
    return sum(bool(c) for c in cells)


def _table(name: str, records: list[tuple[int, list[str]]], notes: list[str], *, encoding: str,
           separator: str, sheet: str, limit: int | None) -> RawTable:
    """A RawTable from (line, stripped cells) records: header found, titles and footer cut."""
    # the first non-blank lines: where the header and any title lines above it are
    body = list(itertools.islice((i for i, (_, row) in enumerate(records) if any(row)), 50))
    if not body:
        raise InputError("Filen är tom.", file=name, fix="Kontrollera att rätt fil valdes.")
    # The header is the first line with two or more values; when the first line has a single
    # value, it is a title above the table if a header-like line follows (SCB, Brå exports).
    h = 0
    if _filled(records[body[0]][1]) < 2:
        h = next((k for k, i in enumerate(body) if _filled(records[i][1]) >= 2
                  and _header_like([c for c in records[i][1] if c])), 0)
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
    i = len(data)
    while i > 0:
        row = data[i - 1][1]
        if _filled(row) <= 1 or _NOTE.match(next((c for c in row if c), "")):
            i -= 1
        else:
            break
    for j in range(i, len(data)):
        row = data[j][1]
        if not _filled(row) or _NOTE.match(next((c for c in row if c), "")):
            if any(_filled(r) for _, r in data[j:]):
                return data[:j], data[j:]
            return data[:j], []
    return data, []


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


def fold_header(text: str) -> str:
    """A header as the readers compare it: case-, dash-, space-, bracket- and %-insensitive."""
    return re.sub(r"[\s_\-()%]+", " ", text.casefold()).strip()


_fold = fold_header


def guess_columns(raw: RawTable | Sequence[str], wanted: Mapping[str, Iterable[str]], *,
                  exclude: Iterable[str] = ()) -> dict[str, str]:
    """Canonical key -> the file's header found by alias (case-, dash- and space-insensitive).

    `raw` is a table or just its header. Never raises: keys without a matching header are left
    out. Headers in `exclude` (already chosen for another key) are not offered again.
    """
    header = raw.header if isinstance(raw, RawTable) else list(raw)
    taken = set(exclude)
    folded: dict[str, str] = {}
    for h in header:
        folded.setdefault(_fold(h), h)
    found: dict[str, str] = {}
    for key, aliases in wanted.items():
        for alias in aliases:
            match = folded.get(_fold(alias))
            if match is not None and match not in taken:
                found[key] = match
                taken.add(match)
                break
    return found


def _apply_mapping(raw: RawTable, wanted: Mapping[str, Sequence[str]],
                   mapping: Mapping[str, str | None]) -> tuple[dict[str, str], set[str]]:
    """(key -> header chosen by the user, keys the user marked as absent); bad choices raise."""
    chosen: dict[str, str] = {}
    absent: set[str] = set()
    for key, header in mapping.items():
        if key not in wanted:
            raise InputError(f"Kolumnmappningen nämner '{key}', som filtypen inte har.",
                             file=raw.name, field=key,
                             fix=f"Använd någon av: {', '.join(wanted)}.")
        if header is None or str(header).strip() == "":
            absent.add(key)
            continue
        text = str(header).strip()
        match = text if text in raw.header else next(
            (h for h in raw.header if _fold(h) == _fold(text)), None)
        if match is None:
            raise InputError(f"Kolumnen '{text}' (vald för {key}) finns inte i filen. "
                             f"Filen har: {', '.join(raw.header)}.", file=raw.name,
                             row=raw.header_line, field=text,
                             fix="Välj en av filens kolumner i kolumnmappningen.")
        other = next((k for k, h in chosen.items() if h == match), None)
        if other is not None:
            raise InputError(f"Kolumnen '{match}' är vald både för {other} och för {key}.",
                             file=raw.name, row=raw.header_line, field=match,
                             fix="Välj olika kolumner.")
        chosen[key] = match
    return chosen, absent


def find_columns(raw: RawTable, wanted: Mapping[str, Iterable[str]],
                 *, optional: Iterable[str] = (), mapping: Mapping[str, str | None] | None = None,
                 one_of: Sequence[Sequence[str]] = ()) -> dict[str, str]:
    """Map canonical names to the file's headers via aliases (case-, dash- and space-insensitive).

    `mapping` (canonical key -> the file's header) overrides detection; a key mapped to None or
    "" is taken as absent from the file. For each group in `one_of` at least one group must be
    found complete; the keys of these groups are optional on their own. Missing columns are
    named all at once with their aliases and the file's headers.
    """
    wanted = {key: list(aliases) for key, aliases in wanted.items()}
    chosen, absent = _apply_mapping(raw, wanted, mapping or {})
    rest = {k: v for k, v in wanted.items() if k not in chosen and k not in absent}
    found = {**chosen, **guess_columns(raw, rest, exclude=chosen.values())}
    found = {k: found[k] for k in wanted if k in found}  # in the reader's order
    grouped = {k for group in one_of for k in group}
    optional = set(optional) | grouped
    missing = [key for key in wanted if key not in found and key not in optional]
    groups_ok = not one_of or any(all(k in found for k in group) for group in one_of)
    if missing or not groups_ok:
        # Name every missing column at once, so one round of fixes is enough.
        parts = [f"{key}: en av {' / '.join(wanted[key])}" for key in missing]
        if not groups_ok:
            parts.append("en av kolumngrupperna " + " eller ".join(
                " + ".join(f"{k} ({' / '.join(wanted[k][:3])})" for k in group)
                for group in one_of))
        fields = missing + ([] if groups_ok else ["/".join("+".join(g) for g in one_of)])
        raise InputError(
            f"{'Kolumnen saknas' if len(fields) == 1 else 'Kolumner saknas'}. Förväntade "
            f"{'; '.join(parts)}. Filen har: {', '.join(raw.header)}.", file=raw.name,
            row=raw.header_line, field=", ".join(fields),
            fix="Byt namn på kolumnen, välj den i kolumnmappningen eller välj rätt filtyp."
            + (" Filen verkar använda ett annat avgränsningstecken." if len(raw.header) == 1
               else ""))
    return found


def find_spec(raw: RawTable, spec: ColumnSpec, *,
              mapping: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """`find_columns` with a reader's `ColumnSpec`."""
    return find_columns(raw, spec.columns, optional=spec.optional, mapping=mapping,
                        one_of=spec.one_of)


_NUM_SPACE = re.compile(r"[\s\u00a0\u202f\u2007\u2009']")
# Only plain decimal numbers: float() alone would also take 'nan', 'inf' and '1e5'.
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_GROUPS = {".": re.compile(r"[+-]?\d{1,3}(\.\d{3}){2,}(,\d+)?"),
           ",": re.compile(r"[+-]?\d{1,3}(,\d{3}){2,}(\.\d+)?")}


def parse_number(text: str) -> float:
    """'1 234,5' / '1234.5' / '12,3 %' / '−5' / '1.234.567' -> float.

    Raises ValueError when it is no number; SCB's '..' (no value) says so.
    """
    t = _NUM_SPACE.sub("", str(text)).rstrip("%")
    if t[:1] in ("\u2212", "\u2013"):  # unicode minus, or an en dash Word/Excel put in its place
        t = "-" + t[1:]
    if not t:
        raise ValueError("värde saknas")
    if t in ("..", "…", "."):
        raise ValueError("värde saknas i källan ('..'); väntade ett tal")
    for mark, groups in _GROUPS.items():
        if groups.fullmatch(t):  # several thousands groups: '1.234.567' or '1,234,567'
            t = t.replace(mark, "")
    if "," in t and "." in t:
        t = t.replace(".", "").replace(",", ".") if t.rfind(",") > t.rfind(".") else t.replace(",", "")
    else:
        t = t.replace(",", ".")
    if not _NUMBER.fullmatch(t):
        raise ValueError("väntade ett tal, t.ex. 1 234 eller 12,5")
    return float(t)


def parse_count(text: str) -> int:
    value = parse_number(text)
    if value < 0 or value != int(value):
        raise ValueError("väntade ett heltal ≥ 0")
    return int(value)


MONTHS = {"januari": 1, "jan": 1, "februari": 2, "feb": 2, "mars": 3, "mar": 3, "april": 4,
          "apr": 4, "maj": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7, "augusti": 8, "aug": 8,
          "september": 9, "sep": 9, "sept": 9, "oktober": 10, "okt": 10, "november": 11,
          "nov": 11, "december": 12, "dec": 12}
_CLOCK = (r"(?:\s*(?:,|T|kl\.?|klockan)?\s*(?P<H>\d{1,2})[:.](?P<M>\d{2})"
          r"(?:[:.](?P<S>\d{2})(?:[.,](?P<F>\d{1,6}))?)?)?")
_DATES = [re.compile(p + _CLOCK + r"$", re.IGNORECASE) for p in (
    r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})",          # 2024-03-15
    r"^(?P<y>\d{4})/(?P<m>\d{1,2})/(?P<d>\d{1,2})",          # 2024/03/15
    r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})",                # 20240315
    r"^(?P<d>\d{1,2})[/.\-](?P<m>\d{1,2})[/.\-](?P<y>\d{4})",  # 15/3/2024, 15.03.2024: day first
    # 15 mars 2024, 15 mar. 2024, fredag 15 mars 2024
    r"^(?:[a-zåäö]+,?\s+)?(?P<d>\d{1,2})\.?\s+(?P<mon>[a-zåäö]+)\.?\s+(?P<y>\d{4})",
)]


def parse_datetime(text: str) -> datetime:
    """Dates as Swedish offices write them -> datetime (no time zone).

    '2024-03-15 21:40', '2024-03-15T21:40:05', '2024-03-15 kl. 21.40', '20240315',
    '15/3/2024' and '15.03.2024' (day first), '15 mars 2024', '15 mar 2024 kl 21:40'.
    Dates that do not exist (2024-02-30) are refused.
    """
    t = re.sub(r"\s+", " ", str(text).strip())
    for pattern in _DATES:
        m = pattern.match(t)
        if not m:
            continue
        parts = m.groupdict()
        if parts.get("mon") is not None:
            month = MONTHS.get(parts["mon"].casefold())
            if month is None:
                raise ValueError(f"okänt månadsnamn '{parts['mon']}' (väntade t.ex. mars eller "
                                 "mar); kontrollera datumformatet")
        else:
            month = int(parts["m"])
        try:
            return datetime(int(parts["y"]), month, int(parts["d"]), int(parts["H"] or 0),
                            int(parts["M"] or 0), int(parts["S"] or 0),
                            int((parts["F"] or "0").ljust(6, "0")))
        except ValueError:
            raise ValueError("datumet eller klockslaget finns inte (t.ex. 30 februari eller "
                             "kl. 25); kontrollera datumformatet (väntade t.ex. 2024-03-15 21:40 "
                             "eller 15/3/2024 med dagen först)") from None
    raise ValueError("okänt datumformat (väntade t.ex. 2024-03-15 21:40, 15 mars 2024 eller "
                     "15/3/2024)")


def validate_rows(raw: RawTable, columns: Mapping[str, str],
                  parsers: Mapping[str, Callable[[str], object]]) -> tuple[pd.DataFrame, list[Rejection]]:
    """Apply a parser per canonical column; a row failing any parser is rejected with its reason.

    `columns` maps canonical names to file headers; missing optional columns give None.
    """
    out: list[dict[str, object]] = []
    rejected = list(raw.ragged)
    for rec in raw.rows.to_dict("records"):
        parsed: dict[str, object] = {"_line": rec["_line"]}
        for key, parser in parsers.items():
            header = columns.get(key)
            value = rec.get(header, "") if header else ""
            try:
                parsed[key] = parser(value)
            except (ValueError, KeyError) as exc:
                rejected.append(Rejection(raw.name, int(rec["_line"]), header or key, str(value),
                                          str(exc)))
                break
        else:
            out.append(parsed)
    frame = pd.DataFrame(out, columns=["_line", *parsers])
    return frame, rejected


def required(parser: Callable[[str], object]) -> Callable[[str], object]:
    def wrapped(text: str) -> object:
        if text is None or str(text).strip() == "":
            raise ValueError("värde saknas")
        return parser(text)
    return wrapped


def text(value: str) -> str:
    return str(value).strip()


def choice(mapping: Mapping[str, object], what: str) -> Callable[[str], object]:
    """Parser for a closed vocabulary, case-insensitive; the error lists what is allowed."""
    folded = {k.casefold(): v for k, v in mapping.items()}

    def parse(value: str) -> object:
        key = str(value).strip().casefold()
        if key not in folded:
            allowed = ", ".join(sorted({k for k in mapping if k}))
            raise ValueError(f"okänt värde för {what}; tillåtna: {allowed}")
        return folded[key]
    return parse


SEX_WORDS: dict[str, str | None] = {
    "k": "K", "kvinna": "K", "kvinnor": "K", "flicka": "K", "flickor": "K", "2": "K",
    "m": "M", "man": "M", "män": "M", "pojke": "M", "pojkar": "M", "1": "M",
    "t": "T", "totalt": "T", "samtliga": "T", "alla": "T", "1+2": "T",
    "": None, "okänt": None, "uppgift saknas": None,
}


def kommun_code(value: str) -> str:
    """'2417', '2417 Norsjö', 2417.0 -> '2417'; leading zeros restored for 3-digit codes."""
    t = str(value).strip()
    m = re.match(r"^(\d{3,4})(?:\.0)?(?:\s.*)?$", t)
    if not m:
        raise ValueError("väntade en kommunkod med fyra siffror, t.ex. 2417 eller 0114")
    return m.group(1).zfill(4)
