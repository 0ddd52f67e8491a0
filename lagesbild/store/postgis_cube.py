"""A PostGIS workspace's incident count cube (`core.incident_cube`), counted on the server:
one GROUP BY over the schema's `incidents` table; only the groups leave it, through COPY … TO
and Arrow's CSV reader as `PostgisWorkspace._select` reads a table."""

from __future__ import annotations

import contextlib
import io

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from lagesbild.core.incident_cube import CUBE_COLUMNS, CUBE_KEYS, conform_cube
from lagesbild.store.postgis_schema import quote_ident

_TYPES = {"area_id": pa.string(), "year": pa.int64(), "category": pa.string(),
          "victim_sex": pa.string(), "age_group": pa.string(), "count": pa.int64()}


def incident_cube(workspace) -> pd.DataFrame:  # noqa: ANN001 - a PostgisWorkspace
    """The cube of the incidents of `workspace` (its schema holds the table from migration 1
    on: an empty table gives an empty cube)."""
    keys = ", ".join(quote_ident(c) for c in CUBE_KEYS)
    groups = ", ".join(str(i + 1) for i in range(len(CUBE_KEYS)))
    sql = (f"COPY (SELECT {keys}, count(*) FROM incidents GROUP BY {groups}) "
           "TO STDOUT (FORMAT csv)")
    buffer = io.BytesIO()
    with contextlib.closing(workspace.connect()) as conn:
        with conn.cursor().copy(sql) as copy:
            for chunk in copy:
                buffer.write(chunk)
    names = list(CUBE_COLUMNS)
    if buffer.tell():
        buffer.seek(0)
        # an empty string is quoted ("") in PostgreSQL's CSV, a NULL is not: kept apart
        arrow = pacsv.read_csv(
            buffer, read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=_TYPES, null_values=[""], strings_can_be_null=True,
                quoted_strings_can_be_null=False))
    else:
        arrow = pa.table({n: pa.array([], type=_TYPES[n]) for n in names})
    frame = arrow.to_pandas(types_mapper=lambda t: pd.StringDtype() if pa.types.is_string(t)
                            else pd.Int64Dtype() if pa.types.is_int64(t) else None)
    return conform_cube(frame)
