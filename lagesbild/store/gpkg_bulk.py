"""Writing a large canonical table into a GeoPackage fast, stored exactly as before.

`write_layer` hands the table to GDAL as Arrow columns (pyogrio.write_arrow) instead of feature
by feature, with the columns typed as the workspace always stored them (booleans and integers as
reals, missing values as NULL) and the layer's geometry type and CRS as pyogrio's
write_dataframe infers them. Points are encoded as WKB straight from their coordinates.

The spatial index of a large new layer is bulk-loaded here rather than by GDAL, which inserts
entry by entry into an R*-tree (several seconds for a million points): the layer is written
without one, then the same SQLite R-tree table, triggers and gpkg_extensions row that GDAL makes
(taken from a one-point layer GDAL writes with its index) are created, the tree packed with
sort-tile-recursive from the entries' boxes, rounded outwards to float32 as SQLite stores them.

SQLite runs with synchronous=OFF and an in-memory journal while writing: the workspace writes
only to a working copy that is fsynced before it replaces the workspace and thrown away on any
error, so neither protects anything there.
"""

from __future__ import annotations

import contextlib
import functools
import math
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
import shapely

from lagesbild.core import schema

BULK_RTREE_ROWS = 20_000  # smaller layers get GDAL's own spatial index
_SQLITE = {"OGR_SQLITE_SYNCHRONOUS": "OFF", "OGR_SQLITE_JOURNAL": "MEMORY",
           "OGR_SQLITE_CACHE": "64"}
# canonical dtype -> how GPKG stores it (it has no nullable boolean or integer here)
_ARROW = {schema.BOOL: pa.float64(), schema.INT: pa.float64(), schema.FLOAT: pa.float64(),
          schema.STR: pa.large_string(), schema.TIME: pa.timestamp("ms")}
OGR_TYPES = {pa.float64(): "OFTReal", pa.large_string(): "OFTString",
             pa.timestamp("ms"): "OFTDateTime"}
_GEOMETRY_TYPES = {0: "Point", 1: "LineString", 2: "LinearRing", 3: "Polygon", 4: "MultiPoint",
                   5: "MultiLineString", 6: "MultiPolygon", 7: "GeometryCollection"}


@dataclass
class Shapes:
    """What the writer needs to know of a geometry column, found once."""

    geoms: np.ndarray
    missing: np.ndarray  # per row
    solid: np.ndarray  # per row: present and not empty
    kind: str  # the layer's geometry type, as pyogrio's write_dataframe infers it
    xy: np.ndarray | None  # when every present geometry is a 2D point: their coordinates

    @classmethod
    def of(cls, geoms: np.ndarray) -> Shapes:
        type_ids = shapely.get_type_id(geoms)
        missing = type_ids < 0
        present, type_ids = geoms[~missing], type_ids[~missing]
        if (type_ids == 0).all() and not shapely.has_z(present).any():  # 2D points, usually
            xy = shapely.get_coordinates(present)
            if len(xy) == len(present):  # none empty (an empty point has no coordinate)
                return cls(geoms, missing, ~missing, "Point" if len(xy) else "Unknown", xy)
        empty = shapely.is_empty(present)
        z = shapely.has_z(present[~empty])
        used = np.flatnonzero(np.bincount(type_ids, minlength=8))
        kind = _GEOMETRY_TYPES.get(int(used[0]), "Unknown") if len(used) == 1 else "Unknown"
        if kind != "Unknown" and z.any():
            kind += " Z"
        solid = ~missing
        solid[~missing] = ~empty
        points = bool((type_ids == 0).all() and not empty.any() and not z.any())
        return cls(geoms, missing, solid, kind,
                   shapely.get_coordinates(present) if points else None)


def arrow_table(frame: pd.DataFrame) -> tuple[pa.Table, str | None, str | None]:
    """(table, geometry type, CRS) of a conformed frame; type and CRS None without geometry."""
    table, shapes, crs = _arrow_table(frame)
    return table, shapes.kind if shapes else None, crs


def _arrow_table(frame: pd.DataFrame) -> tuple[pa.Table, Shapes | None, str | None]:
    columns, names = [], []
    spatial = isinstance(frame, gpd.GeoDataFrame)
    for col in frame.columns:
        if spatial and col == frame.geometry.name:
            continue
        series = frame[col]
        dtype = str(series.dtype)
        if dtype in (schema.BOOL, schema.INT, schema.FLOAT):
            series = series.astype("Float64")
        columns.append(pa.array(series, type=_ARROW.get(dtype), from_pandas=True))
        names.append(str(col))
    if not spatial:
        return pa.table(columns, names=names), None, None
    shapes = Shapes.of(np.asarray(frame.geometry.values, dtype=object))
    columns.append(wkb(shapes))
    names.append("geometry")
    epsg = frame.crs.to_epsg() if frame.crs else None
    crs = f"EPSG:{epsg}" if epsg else frame.crs.to_wkt("WKT1_GDAL") if frame.crs else None
    return pa.table(columns, names=names), shapes, crs


def wkb(shapes: Shapes) -> pa.Array:
    """WKB per geometry (null for a missing one); 2D points straight from their coordinates
    (little-endian, as shapely writes them), anything else by shapely."""
    if shapes.xy is None:
        return pa.array(shapely.to_wkb(shapes.geoms), type=pa.large_binary())
    xy, missing = shapes.xy, shapes.missing
    out = np.empty(len(xy), dtype=[("order", "u1"), ("type", "<u4"), ("x", "<f8"), ("y", "<f8")])
    out["order"], out["type"], out["x"], out["y"] = 1, 1, xy[:, 0], xy[:, 1]
    offsets = np.zeros(len(missing) + 1, dtype=np.int64)
    np.cumsum(np.where(missing, 0, out.itemsize), out=offsets[1:])
    validity = pa.py_buffer(np.packbits(~missing, bitorder="little")) if missing.any() else None
    return pa.Array.from_buffers(pa.large_binary(), len(missing),
                                 [validity, pa.py_buffer(offsets), pa.py_buffer(out.tobytes())],
                                 null_count=int(missing.sum()))


@contextlib.contextmanager
def fast_sqlite() -> Iterator[None]:
    """GDAL's SQLite settings for writing a working copy (see the module docstring)."""
    old = {key: pyogrio.get_gdal_config_option(key) for key in _SQLITE}
    pyogrio.set_gdal_config_options(_SQLITE)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(old)


def write_layer(path: Path, layer: str, frame: pd.DataFrame, *, append: bool = False) -> None:
    """Write (or append to) `layer`, as pyogrio's write_dataframe wrote it (module docstring)."""
    table, shapes, crs = _arrow_table(frame)
    options: dict[str, object] = {}
    if shapes:
        options = {"geometry_name": "geometry", "geometry_type": shapes.kind, "crs": crs}
    bulk = shapes is not None and not append and len(frame) >= BULK_RTREE_ROWS
    with fast_sqlite():
        pyogrio.write_arrow(table, path, layer=layer, driver="GPKG", append=append,
                            layer_options={"SPATIAL_INDEX": "NO"} if bulk else None, **options)
    if bulk and not _bulk_rtree(path, layer, shapes):
        with fast_sqlite():  # not the layer the bulk load expects: GDAL indexes it itself
            pyogrio.write_arrow(table, path, layer=layer, driver="GPKG", **options)


@functools.cache
def _template(layer: str) -> tuple[str, str, list[str], list[tuple], str]:
    """What GDAL makes for the spatial index of a point layer named `layer`: (geometry column,
    R-tree DDL, trigger DDL, gpkg_extensions rows, gpkg_extensions DDL)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "template.gpkg"
        one = gpd.GeoDataFrame({"x": [1.0]}, geometry=[shapely.Point(0, 0)],
                               crs=schema.CRS_STORE)
        pyogrio.write_dataframe(one, path, layer=layer, driver="GPKG")
        with contextlib.closing(sqlite3.connect(path)) as con:
            geom = con.execute("SELECT column_name FROM gpkg_geometry_columns WHERE "
                               "table_name = ?", (layer,)).fetchone()[0]
            ddl = dict(con.execute("SELECT name, sql FROM sqlite_master"))
            triggers = [sql for (sql,) in con.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? AND "
                "name LIKE 'rtree%' ORDER BY rowid", (layer,))]
            extension = con.execute("SELECT * FROM gpkg_extensions WHERE table_name = ? AND "
                                    "extension_name = 'gpkg_rtree_index'", (layer,)).fetchall()
    return geom, ddl[f"rtree_{layer}_{geom}"], triggers, extension, ddl["gpkg_extensions"]


def _bulk_rtree(path: Path, layer: str, shapes: Shapes) -> bool:
    """Create and fill the layer's spatial index as GDAL would; False (nothing done) when the
    layer is not as expected: another geometry column, or feature ids other than 1..n."""
    geom, rtree_ddl, triggers, extension, extensions_ddl = _template(layer)
    rtree = f"rtree_{layer}_{geom}"
    with contextlib.closing(sqlite3.connect(path)) as con:
        con.execute("PRAGMA synchronous = OFF")
        con.execute("PRAGMA journal_mode = MEMORY")
        column = con.execute("SELECT column_name FROM gpkg_geometry_columns WHERE "
                             "table_name = ?", (layer,)).fetchone()
        ids = con.execute(f'SELECT min(fid), max(fid) FROM "{layer}"').fetchone()
        count = con.execute("SELECT feature_count FROM gpkg_ogr_contents WHERE "
                            "table_name = ?", (layer,)).fetchone()
        n = len(shapes.missing)
        if column != (geom,) or ids != (1, n) or count != (n,):
            return False
        with con:  # one SQLite transaction
            con.execute(rtree_ddl)
            size = con.execute(f'SELECT length(data) FROM "{rtree}_node" WHERE nodeno = 1'
                               ).fetchone()[0]
            _fill(con, rtree, shapes, size)
            for sql in triggers:
                con.execute(sql)
            if not con.execute("SELECT 1 FROM sqlite_master WHERE name = 'gpkg_extensions'"
                               ).fetchone():
                con.execute(extensions_ddl)
            con.executemany("INSERT OR REPLACE INTO gpkg_extensions VALUES (?, ?, ?, ?, ?)",
                            extension)
    return True


_DOWN, _UP = 1.0 - 1.0 / 8388608.0, 1.0 + 1.0 / 8388608.0  # SQLite's RNDTOWARDS, RNDAWAY
_CELL = np.dtype([("id", ">i8"), ("minx", ">f4"), ("maxx", ">f4"), ("miny", ">f4"),
                  ("maxy", ">f4")])


def _float32(values: np.ndarray, *, up: bool) -> np.ndarray:
    """float64 -> float32 rounded down (or up), as SQLite's rtreeValueDown/Up."""
    out = values.astype(np.float32)
    wrong = out > values if not up else out < values
    if wrong.any():
        v = values[wrong]
        out[wrong] = (v * np.where((v < 0) != up, _UP, _DOWN)).astype(np.float32)
    return out


def _fill(con: sqlite3.Connection, rtree: str, shapes: Shapes, size: int) -> None:
    """Pack the boxes of the present, non-empty geometries (feature id = position + 1) into the
    R-tree's node, parent and rowid tables, sort-tile-recursive, root = node 1."""
    ids = np.flatnonzero(shapes.solid).astype(np.int64) + 1
    if not len(ids):
        return  # GDAL too leaves SQLite's empty root node
    box = np.concatenate([shapes.xy, shapes.xy], axis=1) if shapes.xy is not None \
        else shapely.bounds(shapes.geoms[shapes.solid])
    boxes = np.stack([_float32(box[:, 0], up=False), _float32(box[:, 2], up=True),
                      _float32(box[:, 1], up=False), _float32(box[:, 3], up=True)], axis=1)
    capacity = (size - 4) // _CELL.itemsize
    levels = []  # from the leaves up: (entry ids in node order, boxes, entries per node)
    while True:
        order = _str_order(boxes, capacity)
        ids, boxes = ids[order], boxes[order]
        starts = np.arange(0, len(ids), capacity)
        levels.append((ids, boxes, starts))
        if len(starts) == 1:
            break
        # the next level's entries are this level's nodes (ids: their index in this level)
        boxes = np.stack([np.minimum.reduceat(boxes[:, 0], starts),
                          np.maximum.reduceat(boxes[:, 1], starts),
                          np.minimum.reduceat(boxes[:, 2], starts),
                          np.maximum.reduceat(boxes[:, 3], starts)], axis=1)
        ids = np.arange(len(starts), dtype=np.int64)
    con.execute(f'DELETE FROM "{rtree}_node"')  # SQLite's empty root
    # node numbers top down: the root is 1, then each level's nodes in order
    first = {}
    number = 1
    for depth in range(len(levels) - 1, -1, -1):
        first[depth] = number
        number += len(levels[depth][2])
    for depth, (entry_ids, boxes, starts) in enumerate(levels):
        nodes = len(starts)
        if depth:  # entries are nodes of the level below: their node numbers
            entry_ids = entry_ids + first[depth - 1]
            con.executemany(f'INSERT INTO "{rtree}_parent" VALUES (?, ?)', zip(
                entry_ids.tolist(), (first[depth] + np.arange(len(entry_ids)) // capacity
                                     ).tolist()))
        else:
            _rowids(con, rtree, entry_ids, first[0] + np.arange(len(entry_ids)) // capacity,
                    len(shapes.missing))
        cells = np.zeros(nodes * capacity, dtype=_CELL)
        cells["id"][:len(entry_ids)] = entry_ids
        for k, name in enumerate(("minx", "maxx", "miny", "maxy")):
            cells[name][:len(entry_ids)] = boxes[:, k]
        blobs = np.zeros((nodes, size), dtype=np.uint8)
        blobs[:, 4:4 + capacity * _CELL.itemsize] = cells.view(np.uint8).reshape(nodes, -1)
        counts = np.diff(np.append(starts, len(entry_ids)))
        head = np.zeros((nodes, 2), dtype=">u2")
        head[:, 1] = counts
        if depth == len(levels) - 1:
            head[0, 0] = depth  # the root's depth: the tree's height - 1
        blobs[:, :4] = head.view(np.uint8).reshape(nodes, 4)
        con.executemany(f'INSERT INTO "{rtree}_node" VALUES (?, ?)', zip(
            (first[depth] + np.arange(nodes)).tolist(), (bytes(b) for b in blobs)))


def _str_order(boxes: np.ndarray, capacity: int) -> np.ndarray:
    """Sort-tile-recursive order: vertical slices of whole nodes by x, each sorted by y."""
    n = len(boxes)
    per_slice = math.ceil(math.sqrt(math.ceil(n / capacity))) * capacity
    cx = boxes[:, 0].astype(np.float64) + boxes[:, 1]
    cy = boxes[:, 2].astype(np.float64) + boxes[:, 3]
    order = np.argsort(cx)
    for start in range(0, n, per_slice):
        part = order[start:start + per_slice]
        order[start:start + per_slice] = part[np.argsort(cy[part])]
    return order


def _rowids(con: sqlite3.Connection, rtree: str, ids: np.ndarray, nodes: np.ndarray,
            n: int) -> None:
    """rowid -> leaf node for every entry, parsed by SQLite from one JSON array (index: fid - 1;
    null for a feature without a box): far faster than a million bound statements. The array
    is printed by numpy, each number right-aligned in a fixed width (JSON allows the spaces)."""
    leaf = np.zeros(n, dtype=np.int64)
    leaf[ids - 1] = nodes
    width = max(4, len(str(int(leaf.max()))))
    text = np.full((n, width + 1), ord(" "), dtype=np.uint8)
    text[:, width] = ord(",")
    rest = leaf.copy()
    for k in range(width - 1, -1, -1):
        digit = (rest % 10 + ord("0")).astype(np.uint8)
        text[:, k] = np.where((rest > 0) | (k == width - 1), digit, ord(" "))
        rest //= 10
    text[leaf == 0, :width] = np.frombuffer(b" " * (width - 4) + b"null", dtype=np.uint8)
    array = "[" + text.tobytes()[:-1].decode("ascii") + "]"
    where = " WHERE type = 'integer'" if len(ids) < n else ""
    con.execute(f'INSERT INTO "{rtree}_rowid"(rowid, nodeno) SELECT key + 1, value '
                f"FROM json_each(?){where}", (array,))
