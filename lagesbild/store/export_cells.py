"""The cells and files every export writer uses: text, numbers and coordinates as the readers
read them back, CSV and JSON bytes, the writers' context, and writing through a temporary file.

CSV files are what Swedish Excel opens directly: UTF-8 with BOM, ';', decimal comma, CRLF. Text
cells a spreadsheet would run as a formula (starting with =, +, -, @, tab or CR) get a leading
apostrophe (OWASP's advice against CSV injection); a lone "-" is left alone, it is a common "none"
and no formula. The escape is reversible: text that already starts with apostrophes before such a
character gets one more, and `export.import_exported` removes exactly one. The ordinary importers
do not remove it (yet), so such a cell reads back with its apostrophe.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lagesbild.core.csv_out import neutralise

COORD_DECIMALS = 9  # 1e-9 degrees is about 0.1 mm: a re-import lands on the same point

# --- cell formatting ---------------------------------------------------------------------------

def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))


def _text(value: object) -> str:
    return "" if _missing(value) else neutralise(str(value))


def _plain(value: object) -> str:
    return "" if _missing(value) else str(value)


def _int(value: object) -> str:
    return "" if _missing(value) else str(int(value))  # type: ignore[call-overload]


def _decimal(value: object) -> str:
    """The shortest decimal that reads back as the same float, with a decimal comma, no exponent."""
    if _missing(value):
        return ""
    return np.format_float_positional(float(value), unique=True, trim="-").replace(".", ",")  # type: ignore[arg-type]


def _coord(value: float) -> str:
    text = f"{value:.{COORD_DECIMALS}f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def _csv(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8-sig")


def _json(document: object, *, compact: bool = False) -> bytes:
    """UTF-8 JSON; compact like the statistics APIs send it, or indented for reading."""
    text = json.dumps(document, ensure_ascii=False, indent=None if compact else 2,
                      separators=(",", ":") if compact else None)
    return (text + "\n").encode("utf-8")


SEX_PERSON = {"K": "Kvinna", "M": "Man", "T": "Totalt"}
SEX_GROUP = {"K": "Kvinnor", "M": "Män", "T": "Totalt"}
SEX_SCB = {"M": "män", "K": "kvinnor", "T": "totalt"}  # SCB's order: män first
SEX_PXWEB = {"M": "1", "K": "2", "T": "1+2"}
YES_NO = {True: "Ja", False: "Nej"}


@dataclass(frozen=True)
class _Context:
    """What a writer needs besides its rows: the areas' names and the dataset's import time."""

    area_names: dict[str, str]
    imported_at: str


# --- files -------------------------------------------------------------------------------------

def _tmp(path: Path) -> Path:
    return path.with_name(f".{path.stem}.tmp{path.suffix}")  # GDAL wants the .gpkg suffix


def _write(path: Path, data: bytes) -> None:
    """Write through a temporary file, so a crash never leaves half a file under the real name."""
    tmp = _tmp(path)
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
