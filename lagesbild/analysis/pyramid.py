"""The violence pyramid: taxonomy from layers/pyramid.toml, counts per level split K/M/T."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from lagesbild.errors import InputError
from lagesbild.schema import PyramidLevel

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
        """Pyramid level (3, 2, 1, or 0 = outside) of each category, matched case-insensitively."""
        lookup = {c.casefold().strip(): lv.level for lv in self.levels for c in lv.categories}
        folded = categories.astype("string").str.casefold().str.strip()
        return folded.map(lookup).fillna(PyramidLevel.OUTSIDE.value).astype("int64")

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
        lv = int(item.get("level", 0))
        if lv not in (1, 2, 3):
            raise InputError(f"Nivå {lv} finns inte; pyramiden har nivå 1, 2 och 3.",
                             file=path.name, row=i, field="level")
        cats = tuple(str(c) for c in item.get("categories", []))
        for c in cats:
            if c.casefold() in seen and seen[c.casefold()] != lv:
                raise InputError(f"Kategorin '{c}' står i två nivåer ({seen[c.casefold()]} och {lv}).",
                                 file=path.name, row=i, field="categories",
                                 fix="En kategori får bara höra till en nivå.")
            seen[c.casefold()] = lv
        levels.append(Level(lv, item.get("title_sv", f"Nivå {lv}"), item.get("title_en", f"Level {lv}"),
                            item.get("description_sv", ""), item.get("description_en", ""),
                            cats, tuple(str(x) for x in item.get("indicators", []))))
    return Taxonomy(tuple(sorted(levels, key=lambda lv: -lv.level)))


def incident_pyramid(incidents: pd.DataFrame, taxonomy: Taxonomy) -> pd.DataFrame:
    """Count incidents per level × category × sex (K, M, T), with a level total row (ALL).

    `incidents` needs `category` and `victim_sex` (K/M/NA); T counts every incident, so an
    unknown sex adds to T only. Levels 3 and 2 plus 0 (outside) are listed.
    """
    return _cube(incidents.assign(count=1), taxonomy, sex_col="victim_sex")


def count_pyramid(counts: pd.DataFrame, taxonomy: Taxonomy) -> pd.DataFrame:
    """Same cube from aggregated counts (Brå-like: category, sex K/M/T, count)."""
    return _cube(counts, taxonomy, sex_col="sex")


def _cube(frame: pd.DataFrame, taxonomy: Taxonomy, *, sex_col: str) -> pd.DataFrame:
    f = pd.DataFrame({
        "category": frame["category"].astype("string").fillna("okänd"),
        "sex": frame[sex_col].astype("string"),
        "count": pd.to_numeric(frame["count"]).astype("int64"),
    })
    f["level"] = taxonomy.level_of(f["category"])
    if sex_col == "victim_sex":
        # every incident counts in T; K and M only where the victim's sex is known
        by_sex = f[f["sex"].isin(["K", "M"])]
        total = f.assign(sex="T")
        f = pd.concat([by_sex, total], ignore_index=True)
    else:
        f = f[f["sex"].isin(["K", "M", "T"])]
    levels = [3, 2, 0]
    cats = f.groupby(["level", "category", "sex"], as_index=False)["count"].sum()
    tot = f.groupby(["level", "sex"], as_index=False)["count"].sum().assign(category=ALL)
    out = pd.concat([tot, cats], ignore_index=True)
    # make the cube complete: every level × sex has a total row, even when zero
    grid = pd.MultiIndex.from_product([levels, [ALL], ["K", "M", "T"]],
                                      names=["level", "category", "sex"]).to_frame(index=False)
    out = grid.merge(out, how="outer", on=["level", "category", "sex"])
    out["count"] = out["count"].fillna(0).astype("int64")
    out = out[out["level"].isin(levels)]
    out["is_total"] = out["category"] == ALL
    out = out.sort_values(["level", "is_total", "category", "sex"],
                          ascending=[False, False, True, True], kind="stable")
    return out.drop(columns="is_total").reset_index(drop=True)[["level", "category", "sex", "count"]]


def level_totals(cube: pd.DataFrame) -> pd.DataFrame:
    return cube[cube["category"] == ALL].reset_index(drop=True)


