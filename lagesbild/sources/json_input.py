"""Saved API answers (PX-Web, Kolada, Polisen JSON) as documents: one clear error for bad JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lagesbild.core.errors import InputError
from lagesbild.sources import tables as t


def load_json(source: str | Path | bytes, name: str | None, *, fix: str) -> tuple[Any, str]:
    """Parse a saved API answer; return (document, file name). Bad JSON is one clear InputError."""
    if isinstance(source, bytes):
        data, name = source, name or "uppladdad fil"
    else:
        path = Path(source)
        data, name = path.read_bytes(), name or path.name
    text, _ = t.decode(data, name)  # BOM (SCB sends one), UTF-16, binary and empty files
    try:
        return json.loads(text), name
    except json.JSONDecodeError as exc:
        raise InputError(f"Filen är inte giltig JSON ({exc.msg}, tecken {exc.pos + 1}).",
                         file=name, row=exc.lineno, fix=fix) from exc
    except RecursionError as exc:  # absurdly deep nesting: not an API answer
        raise InputError("Filen är för djupt nästlad för att vara ett API-svar.", file=name,
                         fix=fix) from exc


def shape_error(name: str, key: str, expected: str, *, fix: str) -> InputError:
    """The file parsed as JSON but lacks `key`: name the key and what was expected there."""
    return InputError(f"Nyckeln '{key}' saknas eller har fel typ (väntade {expected}).",
                      file=name, field=key, fix=fix)
