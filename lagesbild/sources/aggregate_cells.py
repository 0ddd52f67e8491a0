"""Cells shared by the aggregated-table readers (crime counts, population, indicators): the
year, the kommun by code or name, duplicates, the note on matched names, the sex words."""

from __future__ import annotations

import re
from collections.abc import Mapping

import pandas as pd

from lagesbild.core.errors import Rejection
from lagesbild.sources import tables as t
from lagesbild.sources.kommun_names import NATIONAL_ID, area_code_or_name, is_national

SEX_KMT = {k: v for k, v in t.SEX_WORDS.items() if v is not None}


def _year(value: str) -> str:
    text = str(value).strip()
    if not re.fullmatch(r"(19|20)\d\d", text):
        raise ValueError("väntade ett årtal, t.ex. 2024")
    return text


def _duplicates(frame: pd.DataFrame, keys: list[str], name: str, field: str) -> tuple[pd.DataFrame, list[Rejection]]:
    dup = frame.duplicated(keys, keep="first")
    rejected = [Rejection(name, int(line), field, " / ".join(str(v) for v in vals),
                          "Samma kombination finns redan på en tidigare rad.")
                for line, vals in zip(frame.loc[dup, "_line"], frame.loc[dup, keys].to_numpy())]
    return frame[~dup], rejected


def _name_note(raw: t.RawTable, column: str, matched: Mapping[str, str]) -> list[str]:
    if not matched:
        return []
    first, code = next(iter(matched.items()))
    kommuner = len(set(matched.values()))
    return [f"{len(matched)} kommunnamn i kolumnen '{column}' matchades mot "
            f"{kommuner} {'kommun' if kommuner == 1 else 'kommuner'} (t.ex. '{first}' → {code})."]


def _code_or_national(value: str) -> str:
    return NATIONAL_ID if is_national(value) else t.kommun_code(value)


def _area_parser(matched: dict[str, str]):  # type: ignore[no-untyped-def]
    """Code-or-name parser that remembers which names it matched, for the reader's note."""
    def parse(value: str) -> str:
        code = area_code_or_name(value)
        text = str(value).strip()
        if not re.match(r"\d", text) and code != NATIONAL_ID:
            matched.setdefault(text, code)
        return code
    return parse


def indicator_parser(known: set[str] | None):  # type: ignore[no-untyped-def]
    """An indicator id cell: any text, or one of `known` (the ids in layers/indicators.toml)."""
    def indicator(value: str) -> str:
        text = str(value).strip()
        if known is not None and text not in known:
            raise ValueError(f"okänd indikator; kända: {', '.join(sorted(known))}")
        return text
    return indicator
