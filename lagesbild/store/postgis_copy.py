"""Rows out of PostgreSQL through COPY … TO STDOUT (CSV) and Arrow's CSV reader: what the
PostGIS workspace reads a table with (`PostgisWorkspace._select`) and the incident cube
(`postgis_cube`). Faster than fetching rows one by one, and a NULL (unquoted, empty) stays
apart from an empty text ("" quoted)."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable, Iterator

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv


def copy_out(connect: Callable, sql: str, names: list[str], types: dict[str, pa.DataType],
             *, setup: str | None = None) -> pa.Table:
    """The result of `sql` (a `COPY (SELECT …) TO STDOUT (FORMAT csv)`) as an Arrow table with
    the columns `names` of `types`; `setup` runs first on the same connection."""
    buffer = io.BytesIO()
    with contextlib.closing(connect()) as conn:
        if setup:
            conn.execute(setup)
        with conn.cursor().copy(sql) as copy:
            for chunk in copy:
                buffer.write(chunk)
    return _parse(buffer, names, types)


def copy_batches(connect: Callable, table: str, select: str, names: list[str],
                 types: dict[str, pa.DataType], *, rows: int, setup: str | None = None
                 ) -> Iterator[pa.Table]:
    """`SELECT {select} FROM {table}` in `fid` order as Arrow tables of at most `rows` rows
    each, all read in one read-only REPEATABLE READ transaction (one snapshot: an import
    committed meanwhile is in none of them or, read again later, in all). Only one batch's
    CSV and table are in memory at a time, so a caller converting and dropping each keeps the
    peak near one batch above what it keeps."""
    import psycopg

    with contextlib.closing(connect()) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        if setup:
            conn.execute(setup)
        starts = [r[0] for r in conn.execute(
            f"SELECT fid FROM (SELECT fid, row_number() OVER (ORDER BY fid) AS n FROM {table}) s "
            "WHERE (n - 1) %% %s = 0 ORDER BY fid", (max(1, rows),)).fetchall()]
        for i, start in enumerate(starts):
            end = f" AND fid < {int(starts[i + 1])}" if i + 1 < len(starts) else ""
            buffer = io.BytesIO()
            sql = (f"COPY (SELECT {select} FROM {table} WHERE fid >= {int(start)}{end} "
                   "ORDER BY fid) TO STDOUT (FORMAT csv)")
            with conn.cursor().copy(sql) as copy:
                for chunk in copy:
                    buffer.write(chunk)
            yield _parse(buffer, names, types)
            del buffer
        conn.rollback()


def _parse(buffer: io.BytesIO, names: list[str], types: dict[str, pa.DataType]) -> pa.Table:
    if not buffer.tell():
        return pa.table({n: pa.array([], type=types[n]) for n in names})
    buffer.seek(0)
    return pacsv.read_csv(
        buffer, read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 24),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types=types, null_values=[""], strings_can_be_null=True,
            quoted_strings_can_be_null=False, true_values=["t"], false_values=["f"],
            timestamp_parsers=["%Y-%m-%d %H:%M:%S", pacsv.ISO8601]))


def pandas_type(arrow_type: pa.DataType):  # noqa: ANN201 - a pandas extension dtype or None
    """The pandas dtype an Arrow column becomes (`to_pandas(types_mapper=…)`)."""
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return pd.StringDtype()
    if pa.types.is_int64(arrow_type):
        return pd.Int64Dtype()
    if pa.types.is_float64(arrow_type):
        return pd.Float64Dtype()
    if pa.types.is_boolean(arrow_type):
        return pd.BooleanDtype()
    return None
