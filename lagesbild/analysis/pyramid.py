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


def incident_pyramid(incidents: pd.DataFrame, taxonomy: Taxonomy, *, by: str | None = None
                     ) -> pd.DataFrame:
    """Count incidents per level × category × sex (K, M, T), with a level total row (ALL).

    `incidents` needs `category` and `victim_sex` (K/M/NA); T counts every incident, so an
    unknown sex adds to T only. Levels 3 and 2 plus 0 (outside) are listed, and 1 when the
    taxonomy gives it categories. With `by` (a column, e.g. "area_id"), one cube per value of
    it, in one pass, that column first.
    """
    return _cube(incidents.assign(count=1), taxonomy, sex_col="victim_sex", by=by)


def count_pyramid(counts: pd.DataFrame, taxonomy: Taxonomy, *, by: str | None = None
                  ) -> pd.DataFrame:
    """Same cube from aggregated counts (Brå-like: category, sex K/M/T, count)."""
    return _cube(counts, taxonomy, sex_col="sex", by=by)


def pyramid_levels(taxonomy: Taxonomy) -> list[int]:
    """The levels a count cube lists, top first: 3, 2, (1), 0."""
    # level 1 is for surveys, but an edited taxonomy may give it categories: keep their counts
    return [3, 2, *([1] if any(lv.categories for lv in taxonomy.levels if lv.level == 1) else []), 0]


def _cube(frame: pd.DataFrame, taxonomy: Taxonomy, *, sex_col: str, by: str | None = None
          ) -> pd.DataFrame:
    extra = [by] if by else []
    f = pd.DataFrame({
        **{col: frame[col].astype("string") for col in extra},
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
    levels = pyramid_levels(taxonomy)
    cats = f.groupby([*extra, "level", "category", "sex"], as_index=False)["count"].sum()
    tot = f.groupby([*extra, "level", "sex"], as_index=False)["count"].sum().assign(category=ALL)
    out = pd.concat([tot, cats], ignore_index=True)
    # make the cube complete: every level × sex has a total row, even when zero
    grid = pd.MultiIndex.from_product(
        [*([f[by].drop_duplicates().tolist()] if by else []), levels, [ALL], ["K", "M", "T"]],
        names=[*extra, "level", "category", "sex"]).to_frame(index=False)
    out = grid.merge(out, how="outer", on=[*extra, "level", "category", "sex"])
    out["count"] = out["count"].fillna(0).astype("int64")
    out = out[out["level"].isin(levels)]
    out["is_total"] = out["category"] == ALL
    out = out.sort_values([*extra, "level", "is_total", "category", "sex"],
                          ascending=[*[True] * len(extra), False, False, True, True], kind="stable")
    return out.drop(columns="is_total").reset_index(drop=True)[
        [*extra, "level", "category", "sex", "count"]]


def level_totals(cube: pd.DataFrame) -> pd.DataFrame:
    return cube[cube["category"] == ALL].reset_index(drop=True)


