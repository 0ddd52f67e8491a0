"""Attackers for disclosure tests: what can be learnt from the shown cells and the totals."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def equations(cells: pd.DataFrame, keys: Sequence[str], additive: Sequence[tuple[str, str]]
              ) -> list[tuple[int, list[int]]]:
    """(total position, member positions) for every group the attacker can see."""
    eqs = []
    for dim, total in additive:
        others = [k for k in keys if k != dim]
        for _, group in cells.reset_index(drop=True).groupby(others, sort=False):
            tot = group.index[group[dim] == total].tolist()
            members = group.index[group[dim] != total].tolist()
            if len(tot) == 1 and members:
                eqs.append((tot[0], members))
    return eqs


def differencing_attack(out: pd.DataFrame, keys: Sequence[str],
                        additive: Sequence[tuple[str, str]]) -> set[int]:
    """Positions the attacker learns: any equation with one unknown gives it, repeated to a fixed point."""
    known = ~out["suppressed"].to_numpy(dtype=bool)
    eqs = equations(out, keys, additive)
    recovered: set[int] = set()
    changed = True
    while changed:
        changed = False
        for total, members in eqs:
            unknown = [c for c in (total, *members) if not known[c]]
            if len(unknown) == 1:
                known[unknown[0]] = True
                recovered.add(unknown[0])
                changed = True
    return recovered


def linear_attack(out: pd.DataFrame, keys: Sequence[str],
                  additive: Sequence[tuple[str, str]]) -> set[int]:
    """Positions pinned down by any linear combination of the equations.

    Hidden cell j is determined iff the unit vector e_j is a combination of the equations'
    rows (restricted to hidden cells): solved for all j at once by least squares.
    """
    hidden = np.flatnonzero(out["suppressed"].to_numpy(dtype=bool))
    col = {int(c): i for i, c in enumerate(hidden)}
    rows = []
    for total, members in equations(out, keys, additive):
        row = np.zeros(len(hidden))
        for c in members:
            if c in col:
                row[col[c]] += 1
        if total in col:
            row[col[total]] -= 1
        if row.any():
            rows.append(row)
    if not rows:
        return set()
    a = np.array(rows)
    unit = np.eye(len(hidden))
    coef = np.linalg.lstsq(a.T, unit, rcond=None)[0]
    residual = np.abs(a.T @ coef - unit).max(axis=0)
    return {int(c) for c, i in col.items() if residual[i] < 1e-8}


def primary_cells(out: pd.DataFrame) -> set[int]:
    return set(np.flatnonzero((out["suppression"] == "small").to_numpy(dtype=bool)).tolist())
