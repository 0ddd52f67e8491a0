"""Delimited text as Swedish offices write it: encoding, separator, decimal comma, ragged rows."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd

from lagesbild.errors import InputError, Rejection
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
    """A delimited file read as text: header, rows (with their line numbers), dialect found."""

    name: str
    header: list[str]
    rows: pd.DataFrame  # all str, plus "_line"
    encoding: str
    separator: str
    ragged: list[Rejection]


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


def sniff_separator(text: str) -> str:
    """The separator that splits the header and first lines most consistently."""
    lines = [ln for ln in text.splitlines()[:20] if ln.strip()]
    best, best_score = ";", -1
    if not lines:
        return best
    for sep in SEPARATORS:
        counts = [len(next(csv.reader([ln], delimiter=sep))) for ln in lines]
        if counts[0] < 2:
            continue
        score = sum(c == counts[0] for c in counts) * 100 + counts[0]
        if score > best_score:
            best, best_score = sep, score
    return best


def read_delimited(source: str | Path | bytes, *, name: str | None = None) -> RawTable:
    """Read a delimited file as strings. Rows with the wrong number of fields are rejected."""
    if isinstance(source, bytes):
        data, name = source, name or "uppladdad fil"
    else:
        path = Path(source)
        data, name = path.read_bytes(), name or path.name
    text, encoding = decode(data, name)
    sep = sniff_separator(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    header: list[str] | None = None
    records: list[list[str]] = []
    lines: list[int] = []
    ragged: list[Rejection] = []
    end = 0
    for row in _rows(reader, name):
        # A quoted field may span lines: a record starts on the line after the previous one ended.
        line, end = end + 1, reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if header is None:
            header = _header(row, name, line)
            continue
        if len(row) != len(header):
            ragged.append(Rejection(name, line, "", sep.join(row)[:80],
                                    f"Raden har {len(row)} fält, rubrikraden {len(header)}."))
            continue
        records.append([c.strip() for c in row])
        lines.append(line)
    if header is None:
        raise InputError("Filen är tom.", file=name, fix="Kontrollera att rätt fil valdes.")
    frame = pd.DataFrame(records, columns=header, dtype=object)
    frame["_line"] = lines
    return RawTable(name, header, frame, encoding, sep, ragged)


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


def _fold(text: str) -> str:
    return re.sub(r"[\s_\-()%]+", " ", text.casefold()).strip()


def find_columns(raw: RawTable, wanted: Mapping[str, Iterable[str]],
                 *, optional: Iterable[str] = ()) -> dict[str, str]:
    """Map canonical names to the file's headers via aliases (case-, dash- and space-insensitive)."""
    wanted = {key: list(aliases) for key, aliases in wanted.items()}
    folded = {_fold(h): h for h in raw.header}
    found: dict[str, str] = {}
    optional = set(optional)
    missing: list[str] = []
    for key, aliases in wanted.items():
        for alias in aliases:
            if _fold(alias) in folded:
                found[key] = folded[_fold(alias)]
                break
        else:
            if key not in optional:
                missing.append(key)
    if missing:
        # Name every missing column at once, so one round of fixes is enough.
        expected = "; ".join(f"{key}: en av {' / '.join(wanted[key])}" for key in missing)
        raise InputError(
            f"{'Kolumnen saknas' if len(missing) == 1 else 'Kolumner saknas'}. Förväntade "
            f"{expected}. Filen har: {', '.join(raw.header)}.", file=raw.name, row=1,
            field=", ".join(missing),
            fix="Byt namn på kolumnen eller välj rätt filtyp."
            + (" Filen verkar använda ett annat avgränsningstecken." if len(raw.header) == 1
               else ""))
    return found


_NUM_SPACE = re.compile(r"[\s\u00a0\u202f']")
# Only plain decimal numbers: float() alone would also take 'nan', 'inf' and '1e5'.
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


def parse_number(text: str) -> float:
    """'1 234,5' / '1234.5' / '12,3 %' -> float. Raises ValueError when it is no number."""
    t = _NUM_SPACE.sub("", str(text)).rstrip("%").replace("\u2212", "-")
    if not t:
        raise ValueError("värde saknas")
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


_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y%m%d", "%d/%m/%Y", "%d.%m.%Y")


def parse_datetime(text: str) -> datetime:
    t = str(text).strip().replace("T", " ")
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(t, fmt)
        except ValueError:
            continue
    raise ValueError("okänt datumformat (väntade t.ex. 2024-03-15 21:40)")


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
