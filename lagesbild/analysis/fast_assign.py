"""Assign millions of points to areas from coordinate arrays: an adaptive grid, exact on borders.

Same answer as `lagesbild.analysis.assign.assign_points` (a point goes to the first area, in the
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
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from lagesbild.analysis.fast_assign_kit import (Grow, csr_rows, edges, expand, orient,
                                                pair_in, unique_pairs)

_NONE = np.iinfo(np.int64).max  # "no covering area" while building (compares above every area)
_UNKNOWN = -2  # a leaf face whose answer is not known yet
_MAX_LINES = 8  # leaves with more distinct edges test their points directly
_INT32_MAX = np.iinfo(np.int32).max
_EXACT_BATCH = 1 << 17  # leaf points handled at a time
_EAGER = 0.25  # leaves whose points are tested one by one split at this share of refine_at


class AreaIndex:
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

    # ---------------------------------------------------------------- build

    def _segments(self, present: np.ndarray) -> None:
        """All edges of all areas: coordinates, owner, and a line id shared by equal edges."""
        (self._sown, self._sx0, self._sy0, self._sx1, self._sy1, self._sline,
         (self._lx0, self._ly0, self._lx1, self._ly1)) = edges(self._geoms, present)

    def _build(self, present: np.ndarray, base_cells: int | None, max_depth: int) -> None:
        self._segments(present)  # before preparing: rings of prepared polygons come slowly
        shapely.prepare(self._geoms[present])
        bounds = shapely.bounds(self._geoms[present])
        xmin, ymin = bounds[:, 0].min(), bounds[:, 1].min()
        xmax, ymax = bounds[:, 2].max(), bounds[:, 3].max()
        self._bounds = (xmin, ymin, xmax, ymax)
        scale = max(abs(xmin), abs(ymin), abs(xmax), abs(ymax), xmax - xmin, ymax - ymin)
        scale = scale if scale > 0 else 1.0
        self._delta = 1e-10 * scale  # far above the ~1e-15 * scale rounding of the cell maths
        self._tol_x = 16 * np.finfo(np.float64).eps * scale
        n_target = base_cells or int(np.clip(4 * self.n_areas, 64, 1 << 20))
        side = max(xmax - xmin, ymax - ymin, 1e4 * self._delta)
        w, h = max(xmax - xmin, side * 1e-3), max(ymax - ymin, side * 1e-3)
        s0 = float(np.sqrt(w * h / n_target))
        pad = 0.5 * s0
        self._x0, self._y0 = xmin - pad, ymin - pad
        nx = int(np.ceil((xmax + pad - self._x0) / s0))
        ny = int(np.ceil((ymax + pad - self._y0) / s0))
        self._nx0, self._ny0, self._s0 = nx, ny, s0
        # the deepest level: cells no smaller than 1e3 margins; a point's place inside its
        # level-0 cell packs into 62 bits
        depth = 0
        while (depth < max_depth and s0 / self.fanout ** (depth + 1) >= 1e3 * self._delta
               and 2 * self._bits * (depth + 1) <= 62):
            depth += 1
        self.depth = depth
        self._inv_fine = self.fanout ** depth / s0

        self._codes = [Grow(np.int32) for _ in range(depth + 1)]
        self._leaf = {k: Grow(np.int64) for k in ("pos", "ix", "iy", "default")}
        self._leaf_level = Grow(np.int8)
        self._cand_ptr, self._cand = Grow(np.int64, [0]), Grow(np.int64)
        self._seg_ptr, self._seg = Grow(np.int64, [0]), Grow(np.int64)
        self._n_lines, self._leaf_lines = Grow(np.int8), Grow(np.int64)
        self._face_ptr, self._faces = Grow(np.int64), Grow(np.int32)

        # level 0: rasterise every edge over the whole grid
        n_seg = len(self._sown)
        zeros = np.zeros(n_seg, dtype=np.int64)
        sp, cx, cy = self._raster(np.arange(n_seg), zeros, zeros + nx - 1, zeros, zeros + ny - 1,
                                  s0)
        seg_cell = cy * nx + cx
        t_cell, t_area = unique_pairs(seg_cell, self._sown[sp])
        # covering areas at every cell centre: exact, and it settles the cell for every area
        # whose edges miss the cell
        ix = np.arange(nx * ny) % nx
        iy = np.arange(nx * ny) // nx
        centres = shapely.points(self._x0 + (ix + 0.5) * s0, self._y0 + (iy + 0.5) * s0)
        c_cell, c_area = shapely.STRtree(self._geoms).query(centres, predicate="intersects")
        drop = pair_in(c_cell, c_area, t_cell, t_area)
        default = np.full(nx * ny, _NONE, dtype=np.int64)
        np.minimum.at(default, c_cell[~drop], c_area[~drop])
        self._codes[0].extend(np.zeros(nx * ny, dtype=np.int32))
        self._settle(0, 0, ix, iy, default, t_cell, t_area, seg_cell, sp)

    def _settle(self, level, first, ix, iy, default, t_cell, t_area, seg_cell, seg_id) -> None:
        """Write the codes of new cells (from position `first` of `level`): pure or a leaf.

        Per cell: ix, iy, default; (t_cell, t_area): sorted distinct pairs of areas with an edge
        touching the cell; (seg_cell, seg_id): the edges touching it. Cells numbered from 0."""
        keep = t_area < default[t_cell]  # areas after the default never decide a point
        t_cell, t_area = t_cell[keep], t_area[keep]
        keep = self._sown[seg_id] < default[seg_cell]
        seg_cell, seg_id = seg_cell[keep], seg_id[keep]
        n = len(ix)
        code = np.where(default == _NONE, -1, default)
        mixed = np.zeros(n, dtype=bool)
        mixed[t_cell] = True
        cells = np.flatnonzero(mixed)
        k = len(cells)
        base = self._leaf["pos"].n
        if base + k >= _INT32_MAX // 2:
            raise MemoryError("area index too large")
        leaf_no = np.full(n, -1, dtype=np.int64)
        leaf_no[cells] = np.arange(k)
        code[cells] = -3 - 2 * (base + np.arange(k))  # odd; a split cell gets -2 - 2 * block
        self._codes[level].v[first:first + n] = code
        self._leaf["pos"].extend(first + cells)
        self._leaf["ix"].extend(ix[cells])
        self._leaf["iy"].extend(iy[cells])
        self._leaf["default"].extend(np.where(default[cells] == _NONE, -1, default[cells]))
        self._leaf_level.extend(np.full(k, level, dtype=np.int8))
        # candidates (pairs are sorted by cell, then area) and edges, as CSR tables
        self._cand_ptr.extend(self._cand.n + np.cumsum(np.bincount(leaf_no[t_cell], minlength=k)))
        self._cand.extend(t_area)
        order = np.argsort(seg_cell, kind="stable")
        self._seg_ptr.extend(self._seg.n + np.cumsum(np.bincount(leaf_no[seg_cell], minlength=k)))
        self._seg.extend(seg_id[order])
        # distinct lines per leaf, padded to _MAX_LINES (more: 0 lines, test points directly),
        # and room for the answers of the 2 ** lines side patterns
        l_leaf, l_id = unique_pairs(leaf_no[seg_cell], self._sline[seg_id])
        count = np.bincount(l_leaf, minlength=k)
        rank = np.arange(len(l_leaf)) - (np.cumsum(count) - count)[l_leaf]
        table = np.zeros((k, _MAX_LINES), dtype=np.int64)
        fits = rank < _MAX_LINES
        table[l_leaf[fits], rank[fits]] = l_id[fits]
        count = np.where(count <= _MAX_LINES, count, 0)
        self._n_lines.extend(count.astype(np.int8))
        self._leaf_lines.extend(table.ravel())
        room = np.where(count > 0, 1 << count, 0)
        self._face_ptr.extend(self._faces.n + np.cumsum(room) - room)
        self._faces.extend(np.full(int(room.sum()), _UNKNOWN, dtype=np.int32))

    def _split(self, leaves: np.ndarray) -> None:
        """Split leaf cells (all of one level) into fanout x fanout children on the next level."""
        lv = self._leaf
        level = int(self._leaf_level.v[leaves[0]])
        f, f2 = self.fanout, self.fanout ** 2
        k = len(leaves)
        pos, pix, piy = lv["pos"].v[leaves], lv["ix"].v[leaves], lv["iy"].v[leaves]
        e = lv["default"].v[leaves]
        e = np.where(e < 0, _NONE, e)
        codes = self._codes[level + 1]
        first = codes.n
        block = first // f2 + np.arange(k)
        if first + k * f2 >= _INT32_MAX // 2:
            raise MemoryError("area index too large")
        codes.extend(np.zeros(k * f2, dtype=np.int32))
        self._codes[level].v[pos] = -2 - 2 * block
        s = self._s0 / f ** (level + 1)
        # the parents' edges, rasterised inside each parent at the child resolution
        sj, sid = csr_rows(self._seg_ptr.v, self._seg.v, leaves)
        sp, cx, cy = self._raster(sid, f * pix[sj], f * pix[sj] + f - 1,
                                  f * piy[sj], f * piy[sj] + f - 1, s)
        pj = sj[sp]
        seg_cell = pj * f2 + (cy - f * piy[pj]) * f + (cx - f * pix[pj])
        seg_id = sid[sp]
        t_cell, t_area = unique_pairs(seg_cell, self._sown[seg_id])
        # a parent candidate whose edges miss a child covers all of it or none of it
        aj, area = csr_rows(self._cand_ptr.v, self._cand.v, leaves)
        q_cell = ((aj * f2)[:, None] + np.arange(f2)).ravel()
        q_area = np.repeat(area, f2)
        miss = ~pair_in(q_cell, q_area, t_cell, t_area)
        q_cell, q_area = q_cell[miss], q_area[miss]
        child = np.arange(k * f2)
        cix = f * pix[child // f2] + child % f
        ciy = f * piy[child // f2] + (child % f2) // f
        hit = shapely.intersects_xy(self._geoms[q_area], self._x0 + (cix[q_cell] + 0.5) * s,
                                    self._y0 + (ciy[q_cell] + 0.5) * s)
        default = np.repeat(e, f2)
        np.minimum.at(default, q_cell[hit], q_area[hit])
        self._settle(level + 1, first, cix, ciy, default, t_cell, t_area, seg_cell, seg_id)

    def _raster(self, sid, wx0, wx1, wy0, wy1, s):
        """Cells (ix, iy) at cell size s whose margin-expanded box an edge touches, limited to
        each edge's window [wx0, wx1] x [wy0, wy1]; returns (position in sid, ix, iy)."""
        d, x0g, y0g = self._delta, self._x0, self._y0
        ax, ay, bx, by = self._sx0[sid], self._sy0[sid], self._sx1[sid], self._sy1[sid]
        xlo, xhi = np.minimum(ax, bx), np.maximum(ax, bx)
        ylo, yhi = np.minimum(ay, by), np.maximum(ay, by)
        c0 = np.maximum(np.floor((xlo - d - x0g) / s).astype(np.int64), wx0)
        c1 = np.minimum(np.floor((xhi + d - x0g) / s).astype(np.int64), wx1)
        rep, col = expand(c0, c1)
        ax, ay, xlo, xhi, ylo, yhi = ax[rep], ay[rep], xlo[rep], xhi[rep], ylo[rep], yhi[rep]
        dx, dy = bx[rep] - ax, by[rep] - ay
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            m = dy / dx
        steep = ~(np.abs(m) <= 1e12)  # vertical, nearly so, or a point: the edge's y-range
        m = np.where(steep, 0.0, m)
        # the edge's y-range over the column's x-range, widened by the rounding of the slope
        xl = np.maximum(x0g + col * s - d, xlo)
        xr = np.minimum(x0g + (col + 1) * s + d, xhi)
        ya = ay + (xl - ax) * m
        yb = ay + (xr - ax) * m
        err = d + np.abs(m) * self._tol_x
        lo = np.where(steep, ylo, np.maximum(np.minimum(ya, yb) - err, ylo - d))
        hi = np.where(steep, yhi, np.minimum(np.maximum(ya, yb) + err, yhi + d))
        r0 = np.maximum(np.floor((lo - d - y0g) / s).astype(np.int64), wy0[rep])
        r1 = np.minimum(np.floor((hi + d - y0g) / s).astype(np.int64), wy1[rep])
        rep2, row = expand(r0, r1)
        return rep[rep2], col[rep2], row

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
