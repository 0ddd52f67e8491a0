"""Codes that repeat in a boundary file.

A code column is the areas' key, so a code may stand for one area only:

- rows that share a code *and* a name (or the file has no names) are parts of one area split
  over several rows (multipart features written as single parts): they are dissolved into one
  area, and a note names the code and the rows;
- rows that share a code but carry different names are different areas (a police "utsatta
  områden" file where several polygons carry their police area's code): the column is not the
  areas' key. A detected column then gives way to another column whose code-like values are
  unique (said in a note); when there is none, or the user chose the column, the import stops
  with the repeated codes, their rows, and the columns the user can choose instead.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from lagesbild.core.errors import InputError
from lagesbild.sources import area_codes as ac

_EXAMPLES = 3


def key(text: str, level: str | None) -> str:
    """The code as the file means it ('114' and '0114' are one kommun code)."""
    if level in ac.OFFICIAL and text:
        return ac.official_code(text, level)[0] or text
    return text


def groups(codes: Sequence[str]) -> dict[str, list[int]]:
    """Code -> the feature indices carrying it, for codes on more than one feature."""
    found: dict[str, list[int]] = {}
    for i, code in enumerate(codes):
        if code:
            found.setdefault(code, []).append(i)
    return {c: rows for c, rows in found.items() if len(rows) > 1}


def _name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def conflicting(repeats: dict[str, list[int]], names: Sequence[str]) -> dict[str, list[int]]:
    """The repeated codes whose rows name different areas."""
    return {c: rows for c, rows in repeats.items() if len({_name_key(names[i]) for i in rows}) > 1}


def _unique(values: pd.Series) -> bool:
    texts = [ac.cell_text(v) for v in values]
    return all(texts) and len(set(texts)) == len(texts)


def _is_measure(values: pd.Series) -> bool:
    """Float columns with fractions (areas, centroids) are measurements, never keys."""
    return pd.api.types.is_float_dtype(values) and not np.all(np.mod(values.dropna(), 1) == 0)


def candidates(frame: gpd.GeoDataFrame, exclude: str | None) -> list[str]:
    """Columns with a value on every row, none repeated: what could be the areas' key."""
    return [c for c in ac.attribute_columns(frame)
            if c != exclude and not _is_measure(frame[c]) and _unique(frame[c])]


def _code_like(col: str) -> bool:
    folded = ac.fold(col)
    return bool(ac._ANY_CODE.search(folded)) or any(p.match(folded) for p in ac._CODE_NAMES.values())


def _rows(rows: list[int]) -> str:
    return ", ".join(f"objekt {i + 1} (rad {i + 2})" for i in rows[:4]) + (
        f" och {len(rows) - 4} till" if len(rows) > 4 else "")


def keys(frame: gpd.GeoDataFrame, code_col: str, level: str | None,
         parents: Sequence[str | None]) -> list[str]:
    """What must be unique: the official code, or a local code within its kommun."""
    codes = [key(ac.cell_text(v), level) for v in frame[code_col]]
    if level in ac.OFFICIAL:
        return codes
    return [f"{p or ''}|{c}" if c else "" for p, c in zip(parents, codes)]


def choose_column(frame: gpd.GeoDataFrame, code_col: str, codes: Sequence[str],
                  names: Sequence[str], *, given: bool, file: str) -> tuple[str | None, str]:
    """(None, '') when `code_col` is a key (each code one area, parts of one area allowed);
    else the unique code-like column to use instead and a note saying so. Raises InputError
    when the user has to choose."""
    clash = conflicting(groups(codes), names)
    if not clash:
        return None, ""
    shown = [ac.cell_text(v) for v in frame[code_col]]
    others = candidates(frame, code_col)
    if not given:
        pick = next((c for c in others if _code_like(c)), None)
        if pick is not None:
            rows = next(iter(clash.values()))
            return pick, (f"Kolumnen '{code_col}' upprepar koder för områden med olika namn "
                          f"(t.ex. '{shown[rows[0]]}' i {_rows(rows)}), så koden togs från "
                          f"'{pick}', som har en egen kod för varje område.")
    examples = "; ".join(
        f"'{shown[rows[0]]}' i {_rows(rows)}: " + ", ".join(f"'{names[i]}'" for i in rows[:4])
        for rows in list(clash.values())[:_EXAMPLES])
    more = f" ({len(clash)} koder i allt)" if len(clash) > _EXAMPLES else ""
    first = min(min(rows) for rows in clash.values())
    fix = (f"Välj en kolumn med en egen kod för varje område som kodkolumn (Kodkolumn i "
           f"importen, --code-column i kommandoraden): {', '.join(others)}." if others else
           "Ingen kolumn i filen har en egen kod för varje område: lägg till en sådan kolumn "
           "(eller ge områdena olika koder) och importera igen.")
    raise InputError(f"Koderna i '{code_col}' upprepas för områden med olika namn, så de kan "
                     f"inte vara områdenas nycklar: {examples}{more}.",
                     file=file, row=first + 2, field=code_col, fix=fix)


def parts(codes: Sequence[str], alive: np.ndarray) -> dict[str, list[int]]:
    """Repeated codes among the rows still kept: the parts of one area, to be dissolved."""
    kept = [c if alive[i] else "" for i, c in enumerate(codes)]
    return groups(kept)


def parts_note(merged: dict[str, list[int]], field: str) -> str:
    listed = "; ".join(f"'{code}' i {_rows(rows)}" for code, rows in list(merged.items())[:_EXAMPLES])
    more = f" och {len(merged) - _EXAMPLES} koder till" if len(merged) > _EXAMPLES else ""
    return (f"{len(merged)} koder i '{field}' finns på flera objekt med samma namn: {listed}{more}. "
            "Varje sådan kod är ett område i flera delar; delarna slogs ihop till ett område.")
