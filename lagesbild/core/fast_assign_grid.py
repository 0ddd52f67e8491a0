"""The adaptive grid of `fast_assign.AreaIndex`: building the first grid and splitting cells.

Cells are coded per level in `_codes` (int32): an area position (>= 0), -1 (no area), a leaf
(odd, <= -3: its row in the leaf tables) or a split cell (even, <= -2: its block of
fanout x fanout children on the next level). A leaf keeps its candidate areas in order, the
edges touching it, and the distinct lines of those edges with room for the answers of their
side patterns (faces); `fast_assign` looks points up in these tables and fills the faces.
"""

from __future__ import annotations

import numpy as np
import shapely

from lagesbild.core.fast_assign_kit import Grow, csr_rows, edges, expand, pair_in, unique_pairs

_NONE = np.iinfo(np.int64).max  # "no covering area" while building (compares above every area)
_UNKNOWN = -2  # a leaf face whose answer is not known yet
_MAX_LINES = 8  # leaves with more distinct edges test their points directly
_INT32_MAX = np.iinfo(np.int32).max


class GridBuilder:
    """Building and refining the grid; the state lives on the `AreaIndex` that mixes this in."""

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
