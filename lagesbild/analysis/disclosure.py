"""Disclosure control: the one policy every figure passes before it leaves the analysis layer."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

# Columns that reveal a count when shown; blanked together with it.
REVEALING = ("count", "value", "ci_low", "ci_high")


def suppress(cells: pd.DataFrame, *, keys: Sequence[str], threshold: int,
             additive: Sequence[tuple[str, str]] = (), count: str = "count") -> pd.DataFrame:
    """Hide small counts and every cell that would let them be recovered by subtraction.

    Primary: counts 1..threshold-1 are hidden. Secondary: for each additive relation
    ``(dimension, total_value)`` (members of `dimension` add up to the row where it equals
    `total_value`, other keys equal), no group (its total and its members) has exactly one
    hidden cell, since that cell is the total minus the others, or the sum of the members.
    The smallest visible non-zero member is hidden too (a zero partner would let "<5" plus a
    known sum give the small cell away), else the smallest visible member, else the total.
    Returns a copy with a boolean ``suppressed`` column and revealing columns set to NA.
    """
    out = cells.copy()
    counts = pd.to_numeric(out[count]).astype("float64")
    hidden = np.array(((counts >= 1) & (counts < threshold)).to_numpy(), dtype=bool)
    primary = hidden.copy()
    changed = True
    while changed:
        changed = False
        for dim, total in additive:
            others = [k for k in keys if k != dim]
            is_total = (out[dim].astype("string") == total).fillna(False).to_numpy(dtype=bool)
            group_ids = (out.groupby(others, sort=False, dropna=False).ngroup().to_numpy()
                         if others else pd.Series(0, index=out.index).to_numpy())
            for gid in pd.unique(group_ids):
                in_group = group_ids == gid
                totals = in_group & is_total
                members = in_group & ~is_total
                if not totals.any() or not members.any():
                    continue
                # a hidden total with every member shown is their sum: the same leak
                if ((totals | members) & hidden).sum() != 1:
                    continue
                candidates = members & ~hidden
                positive = candidates & (counts.to_numpy() > 0)
                if positive.any():
                    candidates = positive
                if candidates.any():
                    idx = pd.Series(counts.to_numpy()).where(candidates).idxmin()
                    hidden[idx] = True
                else:
                    hidden[totals] = True
                changed = True
    out["suppressed"] = hidden
    # "small" cells are shown as "<threshold"; "secondary" ones may be large and are only "dold".
    out["suppression"] = pd.Series(
        ["small" if p else ("secondary" if h else "") for p, h in zip(primary, hidden)],
        index=out.index, dtype="string")
    for col in REVEALING:
        if col in out.columns:
            out[col] = out[col].astype("Float64").mask(hidden) if col != count else \
                pd.to_numeric(out[col]).astype("Int64").mask(hidden)
    return out


def display_count(count: object, suppression: str, *, threshold: int) -> str:
    """How a (possibly hidden) count is written: '<5' for small ones, 'dold' for secondary ones."""
    if suppression == "small":
        return f"<{threshold}"
    if suppression == "secondary":
        return "dold"
    if count is None or pd.isna(count):
        return "–"
    return f"{int(count):,}".replace(",", "\u00a0")
