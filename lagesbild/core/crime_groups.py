"""Brå's main groups of reported crime (layers/brottsgrupper.toml): which source categories
belong to which group. A declarative spec, like the pyramid taxonomy; the violence pyramid stays
the core, these are "brottslighet i stort" beside it.

Category names are compared by `category_key`: without case, surrounding or repeated spaces
and the kind of dash, so "Stöld  och tillgrepp " and "stöld och tillgrepp" are one name.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from lagesbild.core.errors import InputError

FILE = "brottsgrupper.toml"
_DASHES = re.compile(r"[\u2010-\u2015\u2212]")
_SPACES = re.compile(r"\s+")


def category_key(name: object) -> str:
    """The form two spellings of one category share (case, spaces and dashes ignored)."""
    text = _DASHES.sub("-", str(name)).casefold().strip()
    return _SPACES.sub(" ", text)


@dataclass(frozen=True)
class CrimeGroup:
    id: str
    title_sv: str
    title_en: str
    categories: tuple[str, ...]

    def title(self, lang: str = "sv") -> str:
        return self.title_en if lang == "en" else self.title_sv


@dataclass(frozen=True)
class CrimeGroups:
    groups: tuple[CrimeGroup, ...]

    def get(self, group_id: str) -> CrimeGroup:
        for group in self.groups:
            if group.id == group_id:
                return group
        raise KeyError(group_id)

    def spelling(self) -> dict[str, str]:
        """category_key -> the spelling this file gives."""
        return {category_key(c): c for g in self.groups for c in g.categories}

    def group_of(self, categories: pd.Series) -> pd.Series:
        """The group id of each category (missing where it is in no group)."""
        lookup = {category_key(c): g.id for g in self.groups for c in g.categories}
        keys = categories.astype("string").map(lambda c: category_key(c) if pd.notna(c) else c)
        return keys.map(lookup).astype("string")


def load_crime_groups(path: str | Path) -> CrimeGroups:
    """Read and check the groups file: unique ids, each category in one group only."""
    return _load(str(Path(path).resolve()), Path(path).stat().st_mtime_ns)


@lru_cache(maxsize=8)
def _load(path: str, _mtime: int) -> CrimeGroups:
    name = Path(path).name
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"Ogiltig TOML: {exc}", file=name, fix="Rätta syntaxen.") from exc
    groups: list[CrimeGroup] = []
    seen: dict[str, str] = {}
    for i, item in enumerate(data.get("group", []), start=1):
        for key in ("id", "title_sv", "categories"):
            if key not in item:
                raise InputError("Nyckeln saknas.", file=name, row=i, field=key,
                                 fix="Varje [[group]] behöver id, title_sv och categories.")
        gid = str(item["id"])
        if any(g.id == gid for g in groups):
            raise InputError(f"Gruppen '{gid}' står två gånger.", file=name, row=i, field="id",
                             fix="Samla gruppens kategorier i en [[group]].")
        cats = tuple(str(c) for c in item["categories"])
        for c in cats:
            key = category_key(c)
            if key in seen and seen[key] != gid:
                raise InputError(f"Kategorin '{c}' står i två grupper ({seen[key]} och {gid}).",
                                 file=name, row=i, field="categories",
                                 fix="En kategori får bara höra till en huvudgrupp.")
            seen[key] = gid
        groups.append(CrimeGroup(gid, str(item["title_sv"]),
                                 str(item.get("title_en", item["title_sv"])), cats))
    return CrimeGroups(tuple(groups))
