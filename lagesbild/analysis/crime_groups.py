"""Counts of a main group of crime (brottslighet i stort), read off the protected count cube.

A group (layers/brottsgrupper.toml) is a set of whole categories, and the cube
(`cube.protected_cube`: kommun and county × level × category × sex) already publishes every
category's cell, on the pyramid page and in `pyramid --json`. The group's count is therefore the
sum of its categories' cube cells of the same area and sex (a level's total cell instead of its
categories' where the group holds the whole level), and it is shown only where every one of
those cells is shown: then it is a sum of published numbers and tells nothing new, and where a
member cell is hidden the group is hidden too (secondary), since a shown group count minus the
shown members would give the hidden one. The release audit reads it that way
(`release.subset_layer_release`: the group cell equals the sum of the cube's cells).
"""

from __future__ import annotations

import pandas as pd

from lagesbild.analysis.cube import count_cube, protected_cube
from lagesbild.core.crime_groups import category_key
from lagesbild.core.frames import Frames
from lagesbild.core.layers import LayerSpec
from lagesbild.core.settings import Settings
from lagesbild.core.taxonomy import ALL, Taxonomy


def member_cells(frames: Frames, spec: LayerSpec, *, period: str, taxonomy: Taxonomy
                 ) -> pd.DataFrame:
    """The raw cube's category cells of the group (area, level, category, sex, count)."""
    raw = count_cube(frames, period=period, source="counts", taxonomy=taxonomy)
    return raw[_members(raw, spec)].reset_index(drop=True)


def group_counts(frames: Frames, spec: LayerSpec, *, period: str, taxonomy: Taxonomy,
                 settings: Settings) -> pd.DataFrame:
    """Counts per area × sex for a crime-group layer (area_id, sex, count, suppressed,
    suppression), every kommun and county of the cube: hidden where a member cell is."""
    raw = count_cube(frames, period=period, source="counts", taxonomy=taxonomy)
    shown = protected_cube(frames, period=period, source="counts", taxonomy=taxonomy,
                           settings=settings)
    keep = _members(raw, spec).to_numpy()
    cells = raw.loc[keep, ["area_id", "sex", "count"]].assign(
        hidden=shown.loc[keep, "suppressed"].to_numpy(dtype=bool))
    grid = raw.loc[raw["category"] == ALL, ["area_id", "sex"]].drop_duplicates()
    summed = cells.groupby(["area_id", "sex"], as_index=False, sort=False).agg(
        count=("count", "sum"), hidden=("hidden", "any"))
    out = grid.merge(summed, on=["area_id", "sex"], how="left")
    out["hidden"] = out["hidden"].astype("boolean").fillna(False).astype(bool)
    out["count"] = pd.to_numeric(out["count"]).fillna(0).astype("Int64").mask(out["hidden"])
    out["suppressed"] = out["hidden"]
    out["suppression"] = pd.Series(["secondary" if h else "" for h in out["hidden"]],
                                   index=out.index, dtype="string")
    return out.drop(columns="hidden").reset_index(drop=True)


def _members(raw: pd.DataFrame, spec: LayerSpec) -> pd.Series:
    """The cube cells a group is the sum of: its categories' cells, or a level's total cell
    where the group holds every category of that level (brott mot person holds the pyramid's
    top and middle): fewer cells, so fewer of them hidden."""
    wanted = {category_key(c) for c in spec.categories}
    is_total = raw["category"] == ALL
    member = ~is_total & raw["category"].map(lambda c: category_key(c) in wanted).astype(bool)
    whole = [lv for lv, cats in raw[~is_total].groupby("level")["category"]
             if len(cats) and member[cats.index].all()]
    in_whole = raw["level"].isin(whole)
    return (member & ~in_whole) | (is_total & in_whole)


def group_sex_known(frames: Frames, spec: LayerSpec, *, period: str) -> frozenset[str]:
    """Kommuner and län where every category of the group the crime table lists for `period`
    also has rows for women or men: a category without a victim (narkotikabrott) or given as a
    total only makes the group's K and M unknown there ("uppgift saknas"), not 0."""
    data = frames.incident_counts
    data = data[data["period"].astype(str) == str(period)]
    wanted = {category_key(c) for c in spec.categories}
    data = data[data["category"].map(lambda c: category_key(c) in wanted).astype(bool)]
    told = data.assign(_told=data["sex"].isin(["K", "M"])).groupby(
        ["area_id", "category"])["_told"].any()
    unknown = {str(a) for (a, _), ok in told.items() if not ok}
    kommuner = frames.kommuner["area_id"].astype(str)
    known = set(kommuner) - unknown
    known |= {c for c in frames.lan["area_id"].astype(str)
              if all(k in known for k in kommuner if k[:2] == c[:2])}
    return frozenset(known)
