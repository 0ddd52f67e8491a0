"""The pyramid taxonomy (layers/pyramid.toml): which crime categories and survey indicators belong
to which level of the violence pyramid. A declarative spec, like the layer specs."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lagesbild.core.errors import InputError
from lagesbild.core.schema import PyramidLevel

ALL = "(alla)"  # the category value of a level's total row


@dataclass(frozen=True)
class Level:
    level: int
    title_sv: str
    title_en: str
    description_sv: str
    description_en: str
    categories: tuple[str, ...]
    indicators: tuple[str, ...]


@dataclass(frozen=True)
class Taxonomy:
    levels: tuple[Level, ...]

    def level_of(self, categories: pd.Series) -> pd.Series:
        """Pyramid level (3, 2, 1, or 0 = outside) of each category, matched case-insensitively.

        Each distinct name is looked up once and each row takes its name's level by code: a
        national table has millions of rows and a few dozen names (folding every row's text
        took seconds a year)."""
        if isinstance(categories.dtype, pd.CategoricalDtype):
            codes, names = categories.cat.codes.to_numpy(), categories.cat.categories
        else:
            codes, names = pd.factorize(categories)  # a missing name gets code -1
        lookup = {c.casefold().strip(): lv.level for lv in self.levels for c in lv.categories}
        folded = pd.Series(names, dtype=object).astype("string").str.casefold().str.strip()
        levels = folded.map(lookup).fillna(PyramidLevel.OUTSIDE.value).astype("int64")
        # code -1 (missing) takes the last entry: outside
        levels = np.append(levels.to_numpy(), PyramidLevel.OUTSIDE.value)
        return pd.Series(levels[codes], index=categories.index, dtype="int64")

    def indicator_level(self, indicator_id: str) -> int | None:
        for lv in self.levels:
            if indicator_id in lv.indicators:
                return lv.level
        return None

    def get(self, level: int) -> Level:
        for lv in self.levels:
            if lv.level == level:
                return lv
        raise KeyError(level)


def load_taxonomy(path: str | Path) -> Taxonomy:
    """Read and check the taxonomy file: levels 1-3, each category in at most one level."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"Ogiltig TOML: {exc}", file=path.name,
                         fix="Rätta syntaxen i taxonomifilen.") from exc
    levels = []
    seen: dict[str, int] = {}
    for i, item in enumerate(data.get("level", []), start=1):
        lv = item.get("level", 0)
        if isinstance(lv, bool) or lv not in (1, 2, 3):
            raise InputError(f"Nivå {lv} finns inte; pyramiden har nivå 1, 2 och 3.",
                             file=path.name, row=i, field="level")
        if any(other.level == lv for other in levels):
            raise InputError(f"Nivå {lv} står två gånger.", file=path.name, row=i, field="level",
                             fix="Samla nivåns kategorier och indikatorer i en [[level]].")
        cats = tuple(str(c) for c in item.get("categories", []))
        for c in cats:
            key = c.casefold().strip()  # as level_of matches them
            if key in seen and seen[key] != lv:
                raise InputError(f"Kategorin '{c}' står i två nivåer ({seen[key]} och {lv}).",
                                 file=path.name, row=i, field="categories",
                                 fix="En kategori får bara höra till en nivå.")
            seen[key] = lv
        levels.append(Level(lv, item.get("title_sv", f"Nivå {lv}"), item.get("title_en", f"Level {lv}"),
                            item.get("description_sv", ""), item.get("description_en", ""),
                            cats, tuple(str(x) for x in item.get("indicators", []))))
    return Taxonomy(tuple(sorted(levels, key=lambda lv: -lv.level)))
