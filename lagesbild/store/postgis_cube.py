"""A PostGIS workspace's incident count cube (`core.incident_cube`), counted on the server:
one GROUP BY over the schema's `incidents` table; only the groups leave it, through COPY … TO
and Arrow's CSV reader (`postgis_copy`), as a table is read."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from lagesbild.core.incident_cube import CUBE_COLUMNS, CUBE_KEYS, conform_cube
from lagesbild.store.postgis_copy import copy_out, pandas_type
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
    arrow = copy_out(workspace.connect, sql, list(CUBE_COLUMNS), _TYPES)
    frame = arrow.to_pandas(types_mapper=pandas_type)
    return conform_cube(frame)
