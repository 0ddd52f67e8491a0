"""A GeoPackage's incidents as the analysis holds them (`core.frames.compact_incidents`).

Millions of rows nationally (7.5 million for five years of the police extract): read through
pyogrio's Arrow reader, only the columns a figure reads, the repeated text dictionary-encoded
in Arrow (it reaches pandas as categories, never as one string per row) and the point
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
    meta, table = pyogrio.read_arrow(path, layer="incidents", columns=wanted)
    geometry = meta.get("geometry_name") or "wkb_geometry"
    x, y = _coordinates(table.column(geometry) if geometry in table.column_names else None,
                        table.num_rows)
    dtypes = schema.TABLES["incidents"]
    out: dict[str, pd.Series] = {}
    for col in wanted:
        column = table.column(col)
        table = table.drop_columns([col])  # let Arrow free each column once converted
        if col in INCIDENT_CATEGORIES:
            out[col] = _categories(column)
        elif dtypes[col] == schema.BOOL:  # GeoPackage booleans are 0/1
            values = pd.Series(column.to_numpy(zero_copy_only=False), dtype="float64")
            out[col] = (values != 0).astype(schema.BOOL).mask(values.isna())
        else:
            values = column.to_pandas()
            if col == "occurred_at" and getattr(values.dt, "tz", None) is not None:
                values = values.dt.tz_localize(None)  # GDAL marks the stored wall time UTC
            out[col] = schema.conform_column(values, dtypes[col])  # a REAL year: Int64
    del table
    pa.default_memory_pool().release_unused()
    return compact_incidents(pd.DataFrame({**out, "x": x, "y": y}))


def _categories(column: pa.ChunkedArray) -> pd.Series:
    """A text column as a pandas categorical, encoded in Arrow (no string per row in pandas)."""
    encoded = pc.dictionary_encode(column).combine_chunks() if column.num_chunks else \
        pa.array([], type=pa.dictionary(pa.int32(), pa.string()))
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32)
    categories = pd.Index(encoded.dictionary.to_pylist(), dtype=schema.STR)
    return pd.Series(pd.Categorical.from_codes(codes, categories=categories))


def _coordinates(wkb: pa.ChunkedArray | None, n: int) -> tuple[np.ndarray, np.ndarray]:
    """x and y of each row's point (NaN without one) from the WKB column."""
    x, y = np.full(n, np.nan), np.full(n, np.nan)
    if wkb is None or not n:
        return x, y
    array = wkb.combine_chunks()
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
