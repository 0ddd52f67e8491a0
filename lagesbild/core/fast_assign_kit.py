"""Numpy building blocks of `fast_assign.AreaIndex`: a growable array, the exact orientation
filter, and CSR/pair helpers. Pure functions on arrays; no geometry library."""

from __future__ import annotations

import numpy as np
import shapely

_CCW_BOUND = 3.3306690738754716e-16  # (3 + 16 eps) eps, Shewchuk's ccwerrboundA


class Grow:
    """An append-only numpy array (amortised doubling)."""

    def __init__(self, dtype, values=None):
        self._a = np.empty(1024, dtype=dtype)
        self.n = 0
        if values is not None:
            self.extend(values)

    def extend(self, values) -> None:
        values = np.asarray(values)
        need = self.n + len(values)
        if need > len(self._a):
            grown = np.empty(max(need, 2 * len(self._a)), dtype=self._a.dtype)
            grown[:self.n] = self._a[:self.n]
            self._a = grown
        self._a[self.n:need] = values
        self.n = need

    @property
    def v(self) -> np.ndarray:
        return self._a[:self.n]


def orient(ax, ay, bx, by, px, py):
    """Orientation determinant of (a, b, p) (> 0: p left of a->b) and its rounding bound: where
    |det| > bound its sign is exact (Shewchuk's orient2d filter)."""
    left = (ax - px) * (by - py)
    right = (ay - py) * (bx - px)
    return left - right, _CCW_BOUND * (np.abs(left) + np.abs(right))


def csr_rows(ptr: np.ndarray, values: np.ndarray, rows: np.ndarray):
    """(position in rows, value) for every value of the given CSR rows."""
    rep, at = expand(ptr[rows], ptr[rows + 1] - 1)
    return rep, values[at]


def expand(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For ranges [lo_i, hi_i] (empty when hi < lo): (i repeated, each value in the range)."""
    n = np.maximum(hi - lo + 1, 0)
    rep = np.repeat(np.arange(len(lo)), n)
    offset = np.arange(len(rep)) - np.repeat(np.cumsum(n) - n, n)
    return rep, lo[rep] + offset


def unique_pairs(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (a, b) pairs, sorted by a then b."""
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    if len(a) == 0:
        return a, b
    order = np.lexsort((b, a))
    a, b = a[order], b[order]
    keep = np.ones(len(a), dtype=bool)
    keep[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    return a[keep], b[keep]


def pair_in(a, b, ref_a, ref_b) -> np.ndarray:
    """Whether each (a, b) pair occurs among the sorted, distinct (ref_a, ref_b) pairs."""
    if len(ref_a) == 0 or len(a) == 0:
        return np.zeros(len(a), dtype=bool)
    width = int(max(b.max(), ref_b.max())) + 1
    ref_key = ref_a.astype(np.int64) * width + ref_b
    key = a.astype(np.int64) * width + b
    pos = np.minimum(np.searchsorted(ref_key, key), len(ref_key) - 1)
    return ref_key[pos] == key


def edges(geoms: np.ndarray, present: np.ndarray):  # noqa: ANN201
    """Every edge of the present geometries (exterior and hole rings, all parts): its owner's
    position, its end coordinates (x0, y0, x1, y1), and a line id shared by equal edges (a border
    shared by two areas is one line), with the distinct lines' coordinates."""
    idx = np.flatnonzero(present)
    parts, owner = shapely.get_parts(geoms[idx], return_index=True)
    owner = idx[owner]
    while True:  # nested collections
        multi = shapely.get_type_id(parts) >= 4
        if not multi.any():
            break
        sub, where = shapely.get_parts(parts[multi], return_index=True)
        parts = np.concatenate([parts[~multi], sub])
        owner = np.concatenate([owner[~multi], owner[multi][where]])
    keep = ~shapely.is_empty(parts)
    parts, owner = parts[keep], owner[keep]
    kind = shapely.get_type_id(parts)
    poly, line = kind == 3, (kind == 1) | (kind == 2)
    rings, ring_of = shapely.get_rings(parts[poly], return_index=True)
    lines = np.concatenate([rings, parts[line]])
    line_owner = np.concatenate([owner[poly][ring_of], owner[line]])
    xy, which = shapely.get_coordinates(lines, return_index=True)
    same = which[1:] == which[:-1]
    a, b = xy[:-1][same], xy[1:][same]
    seg_owner = line_owner[which[:-1][same]]
    pxy = shapely.get_coordinates(parts[kind == 0])  # a point "area": a zero-length edge
    a, b = np.concatenate([a, pxy]), np.concatenate([b, pxy])
    sown = np.concatenate([seg_owner, owner[kind == 0]]).astype(np.int64)
    sx0, sy0 = np.ascontiguousarray(a[:, 0]), np.ascontiguousarray(a[:, 1])
    sx1, sy1 = np.ascontiguousarray(b[:, 0]), np.ascontiguousarray(b[:, 1])
    # a border shared by two areas is two edges with the same ends: one line
    swap = (a[:, 0] > b[:, 0]) | ((a[:, 0] == b[:, 0]) & (a[:, 1] > b[:, 1]))
    canon = np.column_stack([np.where(swap[:, None], b, a), np.where(swap[:, None], a, b)])
    order = np.lexsort(canon.T[::-1])
    canon = canon[order]
    new = np.ones(len(canon), dtype=bool)
    new[1:] = (canon[1:] != canon[:-1]).any(axis=1)
    sline = np.empty(len(canon), dtype=np.int64)
    sline[order] = np.cumsum(new) - 1
    table = canon[new]
    lines4 = tuple(np.ascontiguousarray(c) for c in table.T)
    return sown, sx0, sy0, sx1, sy1, sline, lines4
