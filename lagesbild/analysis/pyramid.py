"""The violence pyramid: counts per level split K/M/T, by the taxonomy in `core.taxonomy`."""

from __future__ import annotations

import pandas as pd

from lagesbild.core.taxonomy import ALL, Taxonomy


def incident_pyramid(incidents: pd.DataFrame, taxonomy: Taxonomy, *, by: str | None = None
                     ) -> pd.DataFrame:
    """Count incidents per level × category × sex (K, M, T), with a level total row (ALL).

    `incidents` needs `category` and `victim_sex` (K/M/NA); T counts every incident, so an
    unknown sex adds to T only. Levels 3 and 2 plus 0 (outside) are listed, and 1 when the
    taxonomy gives it categories. With `by` (a column, e.g. "area_id"), one cube per value of
    it, in one pass, that column first.
    """
    return _cube(incidents.assign(count=1), taxonomy, sex_col="victim_sex", by=by)


def incident_cube_pyramid(cube: pd.DataFrame, taxonomy: Taxonomy, *, by: str | None = None
                          ) -> pd.DataFrame:
    """`incident_pyramid` of the incidents counted in `cube` (`core.incident_cube`: category,
    victim_sex and their count): the same cube, from the groups instead of the rows."""
    return _cube(cube, taxonomy, sex_col="victim_sex", by=by)


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


