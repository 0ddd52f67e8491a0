"""Cell values as Swedish offices write them: numbers, counts, dates, kommun codes, sex words,
closed vocabularies; and a table's rows validated with one parser per column."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

import pandas as pd

from lagesbild.core.errors import Rejection

if TYPE_CHECKING:  # raw_tables imports this module (parse_number)
    from lagesbild.sources.raw_tables import RawTable


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


def parse_number_or_blank(text: str) -> float | None:
    """A number as `parse_number` reads it, or None for a blank cell."""
    return None if str(text).strip() == "" else parse_number(text)


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
    wrapped.required_of = parser  # type: ignore[attr-defined]  # for fast_cells' column kernels
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
