"""A GeoPackage's incidents as the analysis holds them (`core.frames.compact_incidents`).

Millions of rows nationally (7.5 million for five years of the police extract): read through
pyogrio's Arrow reader batch by batch (the peak is one batch, not the table), only the columns
a figure reads, the repeated text dictionary-encoded in Arrow (it reaches pandas as category
codes, never as one string per row) and the point
geometries as their coordinates, taken from the WKB bytes (a 2-D point is 21 bytes: byte
order, type, x, y) without making a geometry object per row. The frame equals
`compact_incidents(workspace.read("incidents"))`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from lagesbild.core import schema
from lagesbild.core.frames import INCIDENT_CATEGORIES, INCIDENT_COLUMNS, compact_incidents

BATCH = 262_144  # rows per Arrow batch
_READABLE = ("OFTString", "OFTInteger", "OFTInteger64", "OFTReal", "OFTDateTime", "OFTDate")


def read_incidents(path: Path) -> pd.DataFrame | None:
    """The compact incidents of the GeoPackage at `path`; None (read them the usual way) when
    the table is missing or empty or a stored column is not of a type expected."""
    import pyogrio

    if not path.exists() or "incidents" not in {str(n) for n, _ in pyogrio.list_layers(path)}:
        return None
    info = pyogrio.read_info(path, layer="incidents")
    types = dict(zip(info["fields"], info["ogr_types"]))
    wanted = [c for c in INCIDENT_COLUMNS[:-2] if c in types]
    if not info["features"] or any(types[c] not in _READABLE for c in wanted):
        return None
    texts = {c: _Codes() for c in wanted if c in INCIDENT_CATEGORIES}
    parts: dict[str, list[pd.Series]] = {c: [] for c in wanted if c not in texts}
    xs, ys = [], []
    with pyogrio.open_arrow(path, layer="incidents", columns=wanted, batch_size=BATCH,
                            use_pyarrow=True) as (meta, reader):
        geometry = meta.get("geometry_name") or "wkb_geometry"
        for batch in reader:
            names = batch.schema.names
            x, y = _coordinates(batch.column(geometry) if geometry in names else None,
                                batch.num_rows)
            xs.append(x)
            ys.append(y)
            for col in wanted:
                if col in texts:
                    texts[col].add(batch.column(col))
                else:
                    parts[col].append(_values(batch.column(col), col))
    pa.default_memory_pool().release_unused()
    out = {c: texts[c].series() if c in texts else pd.concat(parts[c], ignore_index=True)
           for c in wanted}
    return compact_incidents(pd.DataFrame({**out, "x": np.concatenate(xs),
                                           "y": np.concatenate(ys)}))


def _values(column: pa.Array, col: str) -> pd.Series:
    """A batch's numeric, date or flag column in the schema's dtype."""
    dtype = schema.TABLES["incidents"][col]
    if dtype == schema.BOOL:  # GeoPackage booleans are 0/1
        values = pd.Series(column.to_numpy(zero_copy_only=False), dtype="float64")
        return (values != 0).astype(schema.BOOL).mask(values.isna())
    values = column.to_pandas()
    if col == "occurred_at" and getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_localize(None)  # GDAL marks the stored wall time UTC
    return schema.conform_column(values, dtype)  # a year stored as REAL: Int64


class _Codes:
    """A text column read batch by batch as category codes: each batch dictionary-encoded by
    Arrow (a few hundred distinct values among a quarter million rows), its words numbered in
    the order first seen; `series` sorts the categories as pandas sorts them."""

    def __init__(self) -> None:
        self.number: dict[object, int] = {}
        self.parts: list[np.ndarray] = []

    def add(self, column: pa.Array) -> None:
        encoded = pc.dictionary_encode(column)
        if isinstance(encoded, pa.ChunkedArray):
            encoded = encoded.combine_chunks()
        words = encoded.dictionary.to_pylist()
        remap = np.array([*(self.number.setdefault(w, len(self.number)) for w in words), -1],
                         dtype=np.int32)
        self.parts.append(remap[encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)])

    def series(self) -> pd.Series:
        codes = np.concatenate(self.parts) if self.parts else np.empty(0, dtype=np.int32)
        words = pd.Index(list(self.number), dtype=schema.STR)
        order = words.sort_values()
        rank = np.append(order.get_indexer(words), -1).astype(np.int32)
        return pd.Series(pd.Categorical.from_codes(rank[codes], categories=order))


def _coordinates(wkb: pa.Array | pa.ChunkedArray | None, n: int) -> tuple[np.ndarray, np.ndarray]:
    """x and y of each row's point (NaN without one) from the WKB column."""
    x, y = np.full(n, np.nan), np.full(n, np.nan)
    if wkb is None or not n:
        return x, y
    array = wkb.combine_chunks() if isinstance(wkb, pa.ChunkedArray) else wkb
    if isinstance(array, pa.ExtensionArray):
        array = array.storage
    width = np.int64 if pa.types.is_large_binary(array.type) else np.int32
    offsets = np.frombuffer(array.buffers()[1], dtype=width)[
        array.offset:array.offset + len(array) + 1].astype(np.int64)
    valid = ~array.is_null().to_numpy(zero_copy_only=False)
    lengths = np.diff(offsets)
    data = np.frombuffer(array.buffers()[2], dtype=np.uint8) if array.buffers()[2] else \
        np.empty(0, dtype=np.uint8)
    starts = offsets[:-1][valid & (lengths == 21)]
    if len(starts):
        head = data[starts[:, None] + np.arange(5)]
        simple = (head[:, 0] == 1) & (head[:, 1] == 1) & (head[:, 2:] == 0).all(axis=1)
        if simple.all():  # little-endian 2-D points: read the coordinates in place
            rows = np.flatnonzero(valid & (lengths == 21))
            coords = data[starts[:, None] + np.arange(5, 21)].copy().view("<f8")
            x[rows], y[rows] = coords[:, 0], coords[:, 1]
            valid = valid & (lengths != 21)
    if valid.any():  # anything else through shapely
        rows = np.flatnonzero(valid)
        shapes = shapely.from_wkb(array.take(pa.array(rows)).to_numpy(zero_copy_only=False))
        point = (shapely.get_type_id(shapes) == 0) & ~shapely.is_empty(shapes)
        x[rows[point]] = shapely.get_x(shapes[point])
        y[rows[point]] = shapely.get_y(shapes[point])
    return x, y
