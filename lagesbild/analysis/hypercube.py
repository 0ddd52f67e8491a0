"""Secondary suppression by hypercubes (Repsilber's method, as in tau-argus for linked tables).

A small cell is protected when it sits on the corners of a hidden box: along each additive
relation of the table (K + M = T, categories within their level, kommuner within their county)
the box holds the cell's own position and one partner in the same sum (another member, or the
total). Adding δ to the corners with sign +1 and subtracting it from those with sign −1 leaves
every published sum unchanged, so the reader cannot tell the true table from the shifted one:
the cell can be anything from its value − `down` to its value + `up`, where `down` is the
smallest value on the + corners and `up` the smallest on the − corners. A box is good when
`up + down` reaches the protection (at least `need` + 1 consecutive values); then every corner,
not only the small cell, can take that many values.

A box is a valid move only when no corner also sits in an equation along a relation the box
does not span (in a nested table a RegSO total, paired with one of its DeSOs, is also part of
the kommun's sum): such boxes are not used. For each small cell (smallest first) the good box
that hides the fewest new cells, then the smallest sum of new hidden values, is hidden; a cell that already lies in a good box of hidden
cells costs nothing. The boxes of one cell are scored together with numpy over a dense grid of
the table's keys. The integer-programming audit (`audit.audit`) checks what no box covers.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pandas as pd

MAX_GRID = 20_000_000  # dense key grid cells at most; a sparser table is looked up by key


def protect_with_boxes(cells: pd.DataFrame, *, keys: Sequence[str],
                       additive: Sequence[tuple[str, str]], counts: np.ndarray,
                       hidden: np.ndarray, sensitive: np.ndarray, need: int,
                       fixed: np.ndarray | None = None) -> np.ndarray:
    """Hide, in `hidden` (changed in place), a good box around every `sensitive` cell.

    `fixed`: cells another table publishes anyway (hiding them here would hide nothing), never
    a corner of a box. Returns the cells that lie in a chosen good box (they can each take more than `need`
    values); a sensitive cell for which the table has no good box is not among them."""
    covered = np.zeros(len(cells), dtype=bool)
    if not sensitive.any() or not additive:
        return covered
    table = _Table(cells, keys, additive, counts)
    table.fixed = np.zeros(len(cells), dtype=bool) if fixed is None else np.asarray(fixed, bool)
    order = np.flatnonzero(sensitive)
    # smallest first, then by the keys' values: the same boxes whatever the order of the rows
    order = order[np.lexsort((*table.codes[order].T[::-1], counts[order]))]
    for cell in order:
        best = table.best_box(int(cell), hidden, need)
        if best is not None:
            hidden[best] = True
            covered[best] = True
    return covered


class _Table:
    def __init__(self, cells: pd.DataFrame, keys: Sequence[str],
                 additive: Sequence[tuple[str, str]], counts: np.ndarray) -> None:
        self.counts = np.asarray(counts, dtype="float64")
        codes, self.uniques = [], []
        for key in keys:
            text = cells[key].map(lambda v: "" if _missing(v) else str(v))
            c, u = pd.factorize(text, sort=True)
            codes.append(c)
            self.uniques.append(list(u))
        self.codes = np.stack(codes, axis=1) if codes else np.zeros((len(cells), 0), int)
        self.shape = tuple(len(u) for u in self.uniques)
        self.grid = np.full(self.shape, -1, dtype=np.int64) if np.prod(self.shape) <= MAX_GRID \
            else None
        if self.grid is not None:
            self.grid[tuple(self.codes.T)] = np.arange(len(cells))
        self.lookup = None if self.grid is not None else {
            tuple(row): i for i, row in enumerate(self.codes.tolist())}
        # per relation: its axis and the code of its total (-1 when no row has that value)
        self.relations = []
        for dim, total in additive:
            axis = list(keys).index(dim)
            values = self.uniques[axis]
            self.relations.append((axis, values.index(str(total)) if str(total) in values
                                   else -1))
        # per relation: how many rows each row's group along it has (1: in no equation)
        self.group_size = [np.asarray([len(self._fibre(own, axis)) for own in self.codes])
                           if self.grid is None else
                           (self.grid >= 0).sum(axis=axis)[
                               tuple(np.delete(self.codes, axis, axis=1).T)]
                           for axis, _ in self.relations]

    def best_box(self, cell: int, hidden: np.ndarray, need: int) -> np.ndarray | None:
        """The corners of the cheapest good box around `cell`, or None when none is good."""
        own = self.codes[cell]
        axes, partners, steps = [], [], []
        for axis, total in self.relations:
            others = self._fibre(own, axis)
            others = others[others != own[axis]]
            if len(others):
                axes.append(axis)
                partners.append(others)
                is_total = (others == total) | (own[axis] == total)
                steps.append(np.where(is_total, 1, -1))
        if not axes:
            return None
        combos = np.stack([g.ravel() for g in np.meshgrid(*[np.arange(len(p)) for p in partners],
                                                          indexing="ij")], axis=1)
        corners, signs = [], []
        for use in itertools.product((False, True), repeat=len(axes)):
            coords = np.tile(own, (len(combos), 1))
            sign = np.ones(len(combos), dtype=np.int64)
            for r, take in enumerate(use):
                if take:
                    coords[:, axes[r]] = partners[r][combos[:, r]]
                    sign *= steps[r][combos[:, r]]
            corners.append(self._rows(coords))
            signs.append(sign)
        rows, sign = np.stack(corners, axis=1), np.stack(signs, axis=1)
        valid = (rows >= 0).all(axis=1)
        # a corner in an equation along a relation the box does not span would break that sum
        # (a RegSO total next to a DeSO: the kommun is the sum of the RegSO totals)
        spans = {axis for axis in axes}
        for (axis, _), size in zip(self.relations, self.group_size):
            if axis not in spans:
                valid &= (size[np.where(rows >= 0, rows, 0)] <= 1).all(axis=1)
        valid &= ~self.fixed[np.where(rows >= 0, rows, 0)].any(axis=1)
        if not valid.any():
            return None
        rows, sign = rows[valid], sign[valid]
        values = self.counts[rows]
        down = np.where(sign > 0, values, np.inf).min(axis=1)
        up = np.where(sign < 0, values, np.inf).min(axis=1)
        good = np.flatnonzero(up + down >= need)
        if not len(good):
            return None
        new = ~hidden[rows[good]]
        n_new = new.sum(axis=1)
        cost = np.where(new, values[good], 0.0).sum(axis=1)
        pick = good[np.lexsort((np.arange(len(good)), cost, n_new))[0]]
        return rows[pick]

    def _fibre(self, own: np.ndarray, axis: int) -> np.ndarray:
        """The codes along `axis` of the rows that share every other key with `own`."""
        if self.grid is not None:
            index = list(own)
            index[axis] = slice(None)
            line = self.grid[tuple(index)]
            return np.flatnonzero(line >= 0)
        found = []
        for code in range(self.shape[axis]):
            key = list(own)
            key[axis] = code
            if tuple(key) in self.lookup:
                found.append(code)
        return np.asarray(found, dtype=np.int64)

    def _rows(self, coords: np.ndarray) -> np.ndarray:
        if self.grid is not None:
            return self.grid[tuple(coords.T)]
        return np.asarray([self.lookup.get(tuple(c), -1) for c in coords.tolist()],
                          dtype=np.int64)


def _missing(value: object) -> bool:
    missing = pd.isna(value)
    return bool(missing) if np.ndim(missing) == 0 else False
