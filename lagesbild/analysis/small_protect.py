"""Disclosure control of one kommun's table of small areas, and the remainder without a place.

Used by `small_areas.protected_small_counts`: each kommun's areas (and the incidents with no
position at the level) are one table that adds up to the kommun's published count.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lagesbild.analysis import disclosure
from lagesbild.core.taxonomy import ALL


def protect_kommun(cells: pd.DataFrame, kommun: str, kommun_hidden: dict, kommun_count: dict,
                   threshold: int) -> pd.DataFrame:
    """One kommun's table protected, its total cells held at their kommun-view state."""
    is_total = ((cells["l1"] == ALL) & (cells["l2"] == ALL)).to_numpy()
    # the published kommun count is the total: the table must add up to what the map shows
    published = [kommun_count.get((kommun, s)) for s in cells.loc[is_total, "sex"]]
    cells.loc[is_total, "count"] = [c if c is not None and not pd.isna(c) else n for c, n in
                                    zip(published, cells.loc[is_total, "count"])]
    counts = pd.to_numeric(cells["count"]).to_numpy(dtype="float64")
    small = (counts >= 1) & (counts < threshold) & ~is_total
    held = np.array([kommun_hidden.get((kommun, s), False) for s in cells["sex"]]) & is_total
    out = disclosure.suppress(cells, keys=["l1", "l2", "sex"], threshold=threshold,
                              additive=[("sex", "T"), ("l2", ALL), ("l1", ALL)],
                              primary=small | held)
    changed = out.loc[is_total, "suppressed"].to_numpy() != held[is_total]
    if changed.any():  # the areas cannot be shown without hiding what the kommun view shows
        out["suppressed"] = True
        out["suppression"] = np.where(small, "small", "secondary")
        out["count"] = pd.array([pd.NA] * len(out), dtype="Int64")
    out["suppression"] = out["suppression"].astype(str)
    return out


def remainder(parts: pd.DataFrame, unlocated: str) -> pd.DataFrame:
    """Each kommun's incidents without a position at the level: the sum of its remainder cells,
    hidden when any of them is (a sum with one hidden part would give that part away)."""
    rows = []
    for (kommun, sex), group in parts.groupby(["kommun_id", "sex"], sort=True):
        hidden = bool(group["suppressed"].any())
        kind = ("small" if (group["suppression"] == "small").all() and len(group) == 1
                else "secondary") if hidden else ""
        rows.append({"kommun_id": kommun, "area_id": unlocated, "sex": sex,
                     "count": pd.NA if hidden else int(group["count"].sum()),
                     "suppressed": hidden, "suppression": kind})
    return pd.DataFrame(rows, columns=["kommun_id", "area_id", "sex", "count", "suppressed",
                                       "suppression"]).astype({"count": "Int64"})
