"""CSV for Swedish Excel users: UTF-8 with BOM, semicolons, CRLF, formulas neutralised.

Excel and LibreOffice run a text cell starting with =, +, -, @, tab or CR as a formula (CSV
injection). Such cells get a leading apostrophe (OWASP's advice); a lone "-" is a common "none"
and no formula, so it is left alone. The escape is reversible: text that already starts with
apostrophes before such a character gets one more, and `unneutralise` removes exactly one.
Every CSV the tool writes (rejected rows in the app and the CLI, exports) goes through here.
"""

from __future__ import annotations

import re

import pandas as pd

_FORMULA = re.compile(r"'*[=+\-@\t\r]")
_ESCAPED = re.compile(r"'+[=+\-@\t\r]")


def neutralise(text: str) -> str:
    """`text` as a spreadsheet shows it but never runs it: "=1+1" -> "'=1+1" (reversible)."""
    return "'" + text if text != "-" and _FORMULA.match(text) else text


def unneutralise(text: str) -> str:
    """Undo `neutralise`: one leading apostrophe before =, +, -, @, tab or CR is removed."""
    return text[1:] if _ESCAPED.match(text) else text


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells neutralised; numbers untouched (a negative number is no formula)."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or str(out[col].dtype) in ("string", "str"):
            out[col] = out[col].map(lambda v: neutralise(v) if isinstance(v, str) else v)
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return neutralise_frame(frame).to_csv(index=False, sep=";",
                                          lineterminator="\r\n").encode("utf-8-sig")
