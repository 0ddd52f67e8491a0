"""Secondary suppression by hypercubes (Repsilber's method, as in tau-argus for linked tables).

A small cell is protected when it sits on the corners of a hidden box: along each additive
relation of the table (K + M = T, categories within their level, kommuner within their county)
the box holds the cell's own position and one partner in the same sum (another member, or the
total). Adding δ to the corners with sign +1 and subtracting it from those with sign −1 leaves
every published sum unchanged, so the reader cannot tell the true table from the shifted one:
the cell can be anything from its value − `down` to its value + `up`, where `down` is the
smallest value on the + corners and `up` the smallest on the − corners. A box is good when
`up + down` reaches the protection (at least `need` + 1 consecutive values).

For each small cell (in a fixed order) the good box that hides the fewest new cells, then the
smallest sum of new hidden values, is hidden; a cell that already lies in a good box of hidden
cells costs nothing. The integer-programming audit (`audit.audit`) checks the result.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pandas as pd


def protect_with_boxes(cells: pd.DataFrame, *, keys: Sequence[str],
                       additive: Sequence[tuple[str, str]], counts: np.ndarray,
                       hidden: np.ndarray, sensitive: np.ndarray, need: int) -> None:
    """Hide, in `hidden` (changed in place), a good box around every `sensitive` cell."""
    table = _Table(cells, keys, additive, counts)
    order = np.flatnonzero(sensitive)
    order = order[np.lexsort((order, counts[order]))]  # smallest first, then by position
    for cell in order:
        best = table.best_box(int(cell), hidden, need)
        if best is not None:
            hidden[best] = True


class _Table:
    def __init__(self, cells: pd.DataFrame, keys: Sequence[str],
                 additive: Sequence[tuple[str, str]], counts: np.ndarray) -> None:
        self.keys = list(keys)
        self.counts = counts
        self.rows = [tuple("" if _missing(v) else str(v) for v in row)
                     for row in cells[self.keys].itertuples(index=False, name=None)]
        self.position = {row: i for i, row in enumerate(self.rows)}
        # per relation: the dimension's index in the key and the total's value; and for each
        # row the values its dimension takes within the row's group (the others fixed)
        self.relations = [(self.keys.index(dim), str(total)) for dim, total in additive]
        self.choices: list[dict[tuple[str, ...], list[str]]] = []
        for axis, _ in self.relations:
            groups: dict[tuple[str, ...], list[str]] = {}
            for row in self.rows:
                groups.setdefault(row[:axis] + row[axis + 1:], []).append(row[axis])
            self.choices.append(groups)

    def best_box(self, cell: int, hidden: np.ndarray, need: int) -> np.ndarray | None:
        """The corners of the cheapest good box around `cell`, or None when every box needs a
        cell the table lacks (the audit then widens the protection cell by cell)."""
        row = self.rows[cell]
        options = []  # per relation: the partner values (with the sign of a step along it)
        for (axis, total), groups in zip(self.relations, self.choices):
            values = groups.get(row[:axis] + row[axis + 1:], [])
            own = row[axis]
            partners = [(v, 1 if total in (v, own) else -1) for v in values if v != own]
            if partners:
                options.append((axis, partners))
        if not options:
            return None
        best_key, best = None, None
        for combo in itertools.product(*(p for _, p in options)):
            corners, signs = self._corners(row, [a for a, _ in options], combo)
            if corners is None:
                continue
            values = self.counts[corners]
            down = values[signs > 0].min()
            up = values[signs < 0].min() if (signs < 0).any() else np.inf
            if up + down < need:
                continue
            new = corners[~hidden[corners]]
            key = (len(new), float(self.counts[new].sum()))
            if best_key is None or key < best_key:
                best_key, best = key, corners
                if key == (0, 0.0):
                    break
        return best

    def _corners(self, row: tuple[str, ...], axes: list[int],
                 combo: tuple[tuple[str, int], ...]) -> tuple[np.ndarray | None, np.ndarray]:
        corners, signs = [], []
        for use in itertools.product((False, True), repeat=len(axes)):
            key = list(row)
            sign = 1
            for axis, (value, step), take in zip(axes, combo, use):
                if take:
                    key[axis] = value
                    sign *= step
            found = self.position.get(tuple(key))
            if found is None:
                return None, np.empty(0)
            corners.append(found)
            signs.append(sign)
        return np.asarray(corners), np.asarray(signs)


def _missing(value: object) -> bool:
    missing = pd.isna(value)
    return bool(missing) if np.ndim(missing) == 0 else False
