"""Assign millions of points to areas from coordinate arrays: an adaptive grid, exact on borders.

Same answer as `lagesbild.core.assign.assign_points` (a point goes to the first area, in the
given order, that covers it; -1 / NA when none does), without a GeoSeries of the points.

How `AreaIndex` works:

- Every edge of every area (exterior and hole rings, all parts) is rasterised conservatively onto
  a grid over the areas' extent: a cell is "touched" when an edge comes within a tiny margin of
  its closed box. The margin (1e-10 of the coordinates' magnitude) is far above the rounding of
  the cell arithmetic, so points on or near cell edges are safe.
- An untouched cell lies wholly inside or wholly outside each area, so its answer is that of its
  centre (one exact test); its points are a numpy lookup.
- A touched cell (a leaf) keeps the short, ordered list of areas with an edge in it, up to the
  first area that covers the whole cell (its default). Leaves where many points fall are split
  into `fanout` x `fanout` children the same way, while assigning: work goes where the points
  are, and the index keeps the splits for the next call.
- In a leaf with a few edges, the edges' lines cut it into convex faces that no border crosses,
  so points on the same side of every line share one answer. Sides come from an exact
  orientation sign (Shewchuk's error bound); the answer of a face is found once, from one of
  its points, by exact shapely tests. Points whose side is uncertain (on a border, or within
  rounding of a line) and points of busier leaves are tested directly: `shapely.intersects_xy`
  (for a point the same as covered_by) against the leaf's areas in order, first hit winning. So
  shared borders and corners go to the first area, as in `assign_points`.

Building the grid and splitting cells is in `fast_assign_grid` (mixed into `AreaIndex`); this
module looks points up and tests them. Numpy helpers are in `fast_assign_kit`.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from lagesbild.core.fast_assign_grid import _INT32_MAX, _MAX_LINES, _NONE, _UNKNOWN, GridBuilder
from lagesbild.core.fast_assign_kit import orient

_EXACT_BATCH = 1 << 17  # leaf points handled at a time
_EAGER = 0.25  # leaves whose points are tested one by one split at this share of refine_at


class AreaIndex(GridBuilder):
    """A reusable point-to-area index over `geometries` (shapely geometries, one CRS).

    `assign(x, y)` gives, per point, the position in `geometries` of the first geometry that
    covers the point, or -1. Tuning only (results never change): `base_cells`, the cells of the
    first grid (default 4 per area); `fanout`, the split per side of a busy cell (a power of 2);
    `refine_at`, the points expected in a leaf cell that make it split; `max_depth`, the most
    nested splits. `assign` refines the index in place, so one index must not be shared by
    threads assigning at the same time.
    """

    def __init__(self, geometries, *, base_cells: int | None = None, fanout: int = 4,
                 refine_at: float = 128.0, max_depth: int = 6):
        geoms = np.asarray(geometries, dtype=object).ravel()
        if len(geoms) >= _INT32_MAX:
            raise ValueError("too many areas")
        present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        own = np.full(len(geoms), None, dtype=object)
        if present.any():  # private copies: preparing must not change the caller's objects
            own[present] = shapely.from_wkb(shapely.to_wkb(geoms[present]))
        self._geoms = own
        self.n_areas = len(own)
        if fanout < 2 or fanout & (fanout - 1):
            raise ValueError("fanout must be a power of 2")
        self.fanout = int(fanout)
        self._bits = self.fanout.bit_length() - 1
        self.refine_at = float(refine_at)
        self._bounds = None
        if present.any():
            self._build(present, base_cells, int(max_depth))

    # ---------------------------------------------------------------- lookup

    def assign(self, x, y, *, chunk: int = 500_000) -> np.ndarray:
        """Position of the first geometry covering each (x, y), or -1 (also for NaN)."""
        x = np.asarray(x, dtype=np.float64).ravel()
        y = np.asarray(y, dtype=np.float64).ravel()
        if x.shape != y.shape:
            raise ValueError("x and y must have the same length")
        out = np.full(len(x), -1, dtype=np.int64)
        if self._bounds is None or len(x) == 0:
            return out
        chunk = max(int(chunk), 1)
        for start in range(0, len(x), chunk):
            stop = min(start + chunk, len(x))
            # a leaf splits when the points expected in it over the whole call are many
            weight = (len(x) - start) / (stop - start)
            out[start:stop] = self._assign_chunk(x[start:stop], y[start:stop], weight)
        return out

    def _assign_chunk(self, x: np.ndarray, y: np.ndarray, weight: float) -> np.ndarray:
        out = np.full(len(x), -1, dtype=np.int64)
        xmin, ymin, xmax, ymax = self._bounds
        valid = np.flatnonzero((x >= xmin) & (x <= xmax) & (y >= ymin) & (y <= ymax))
        if len(valid) == 0:  # (NaN compares False: never valid)
            return out
        f, bits, depth = self.fanout, self._bits, self.depth
        # cell indices at the deepest level; every coarser cell is a bit shift of them, so the
        # levels always agree about which cell a point is in
        low = bits * depth
        gx = ((x[valid] - self._x0) * self._inv_fine).astype(np.int64)
        gy = ((y[valid] - self._y0) * self._inv_fine).astype(np.int64)
        np.clip(gx, 0, (self._nx0 << low) - 1, out=gx)
        np.clip(gy, 0, (self._ny0 << low) - 1, out=gy)
        res = self._codes[0].v[(gy >> low) * self._nx0 + (gx >> low)]
        mask = (1 << low) - 1
        key = ((gy & mask) << low) | (gx & mask)  # the point's place inside its level-0 cell
        if 2 * low <= 31:
            key = key.astype(np.int32)
        del gx, gy
        res = self._split_busy(0, res, weight)
        act = np.flatnonzero((res < -1) & ((res & 1) == 0))  # in split cells: go down
        for level in range(depth):
            if len(act) == 0:
                break
            sh = bits * (depth - level - 1)
            k = key[act]
            local = (((k >> (low + sh)) & (f - 1)) << bits) | ((k >> sh) & (f - 1))
            code = self._codes[level + 1].v[((-2 - res[act]) >> 1) * (f * f) + local]
            code = self._split_busy(level + 1, code, weight)
            res[act] = code
            act = act[(code < -1) & ((code & 1) == 0)]
        out[valid] = res
        at = np.flatnonzero(res < -1)  # in leaves
        del res, key, act
        for start in range(0, len(at), _EXACT_BATCH):  # batches: fewer big temporaries
            part = valid[at[start:start + _EXACT_BATCH]]
            self._exact(part, (-3 - out[part]) >> 1, x, y, out)
        return out

    def _split_busy(self, level: int, code: np.ndarray, weight: float) -> np.ndarray:
        """Split the leaves of `level` that many of these points fall in; their new codes."""
        if level >= self.depth or self.refine_at <= 0:
            return code
        at = np.flatnonzero((code < -1) & ((code & 1) == 1))
        if len(at) == 0:
            return code
        leaf = (-3 - code[at].astype(np.int64)) >> 1
        expected = np.bincount(leaf) * weight
        # leaves with too many lines test every point with shapely: split those sooner
        eager = self._n_lines.v[:len(expected)] == 0
        busy = np.flatnonzero(expected >= np.where(eager, _EAGER, 1.0) * self.refine_at)
        if len(busy):
            self._split(busy)
            code[at] = self._codes[level].v[self._leaf["pos"].v[leaf]]
        return code

    def _exact(self, pts, leaf, x, y, out) -> None:
        """Points in leaf cells: by the face of the leaf's lines they are in, when the sides are
        certain and the face's answer is known (else found now); the rest tested directly."""
        n_lines = self._n_lines.v[leaf]
        # busiest leaves first, so the points a line applies to are a prefix
        at = np.argsort(-n_lines, kind="stable")
        at = at[:np.count_nonzero(n_lines)]
        if len(at):
            lf, p, n_lines = leaf[at], pts[at], n_lines[at]
            px, py = x[p], y[p]
            side = np.zeros(len(at), dtype=np.int64)
            unsure = np.zeros(len(at), dtype=bool)
            lines = self._leaf_lines.v
            more = len(at) - np.cumsum(np.bincount(n_lines, minlength=_MAX_LINES + 1))
            for j in range(int(n_lines[0])):
                on = int(more[j])  # points whose leaf has more than j lines
                ln = lines[lf[:on] * _MAX_LINES + j]
                det, bound = orient(self._lx0[ln], self._ly0[ln], self._lx1[ln], self._ly1[ln],
                                     px[:on], py[:on])
                side[:on] |= (det > 0).astype(np.int64) << j
                unsure[:on] |= np.abs(det) <= bound
            sure = np.flatnonzero(~unsure)
            face = self._face_ptr.v[lf[sure]] + side[sure]
            ans = self._faces.v[face]
            new = np.flatnonzero(ans == _UNKNOWN)
            if len(new):
                faces, first = np.unique(face[new], return_index=True)
                rep = sure[new[first]]
                self._faces.v[faces] = self._candidates(p[rep], lf[rep], x, y)
                ans[new] = self._faces.v[face[new]]
            out[p[sure]] = ans
            rest = np.ones(len(pts), dtype=bool)
            rest[at[sure]] = False
            pts, leaf = pts[rest], leaf[rest]
        if len(pts):
            out[pts] = self._candidates(pts, leaf, x, y)

    def _candidates(self, pts, leaf, x, y) -> np.ndarray:
        """Exact answers for points in leaves: candidates in area order, first covering wins."""
        ptr = self._cand_ptr.v
        start = ptr[leaf]
        count = ptr[leaf + 1] - start
        result = self._leaf["default"].v[leaf]
        cand, geoms = self._cand.v, self._geoms
        act = np.arange(len(pts))
        k = 0
        while len(act):
            act = act[count[act] > k]
            if len(act) == 0:
                break
            area = cand[start[act] + k]
            p = pts[act]
            hit = shapely.intersects_xy(geoms[area], x[p], y[p])
            result[act[hit]] = area[hit]
            act = act[~hit]
            k += 1
        return result

    @property
    def stats(self) -> dict:
        """Sizes of the index: cells per level, leaves, edges, deepest level."""
        if self._bounds is None:
            return {"cells": [], "leaves": 0, "edges": 0, "depth": 0}
        return {"cells": [c.n for c in self._codes], "leaves": self._leaf["pos"].n,
                "edges": len(self._sown), "depth": self.depth}


def assign_xy(x: np.ndarray, y: np.ndarray, geometries: np.ndarray, *,
              chunk: int = 500_000) -> np.ndarray:
    """Position of the first geometry (in `geometries` order) covering each point, or -1."""
    return AreaIndex(geometries).assign(x, y, chunk=chunk)


def assign_points_fast(points: gpd.GeoSeries, areas: gpd.GeoDataFrame, *,
                       id_col: str = "area_id") -> pd.Series:
    """Drop-in for `assign_points`: the `id_col` of the covering area per point (string, NA when
    none), aligned to `points`' index; built on `AreaIndex`."""
    if points.crs is not None and areas.crs is not None and points.crs != areas.crs:
        points = points.to_crs(areas.crs)
    geoms = np.asarray(points.values, dtype=object)
    result = np.full(len(geoms), -1, dtype=np.int64)
    valid = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if valid.any() and len(areas):
        area_geoms = np.asarray(areas.geometry.values, dtype=object)
        is_point = valid & (shapely.get_type_id(geoms) == 0)
        if is_point.any():
            xy = shapely.get_coordinates(geoms[is_point])
            result[is_point] = AreaIndex(area_geoms).assign(xy[:, 0], xy[:, 1])
        other = np.flatnonzero(valid & ~is_point)
        if len(other):  # not points: the reference way, for the few there are
            pt, ar = shapely.STRtree(area_geoms).query(geoms[other], predicate="covered_by")
            first = np.full(len(other), _NONE, dtype=np.int64)
            np.minimum.at(first, pt, ar)
            result[other] = np.where(first == _NONE, -1, first)
    ids = areas[id_col].astype("string").to_numpy(dtype=object, na_value=pd.NA)
    lookup = np.append(ids, np.array([pd.NA], dtype=object))  # -1 -> the last: NA
    out = pd.array(lookup[result], dtype="string")
    return pd.Series(out, index=points.index, name=id_col)
