"""The incident rows of a PostGIS workspace, compact, read batch by batch (issue 18: app memory
≤ 1.5 GB on the national workspace). Read whole, 7.5 M rows went through a CSV buffer, an Arrow
table and a pandas frame of strings before becoming the compact frame: 2.5 GB for a frame that
holds 0.5 GB. Here each batch is made compact before the next is read, and the batches' columns
are joined one column at a time, each batch's column dropped as it is joined."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.api.types import union_categoricals

from lagesbild.core import schema
from lagesbild.core.frames import INCIDENT_CATEGORIES, INCIDENT_COLUMNS, compact_incidents
from lagesbild.store.postgis_copy import copy_batches, pandas_type
from lagesbild.store.postgis_schema import quote_ident

# rows per batch: 1 M rows of CSV are about 100 MB; LAGESBILD_INCIDENT_BATCH for the tests
INCIDENT_BATCH = 1_000_000


def read_compact_incidents(workspace) -> pd.DataFrame:  # noqa: ANN001 - a PostgisWorkspace
    """`compact_incidents` of the workspace's incidents table, in `fid` order, from one
    snapshot of the table."""
    from lagesbild.store.postgis import _ARROW_TYPES

    columns = list(INCIDENT_COLUMNS[:-2])
    names = [*columns, "x", "y"]
    types = {c: _ARROW_TYPES[schema.TABLES["incidents"][c]] for c in columns}
    types.update(x=pa.float64(), y=pa.float64())
    select = ", ".join([*(quote_ident(c) for c in columns), "ST_X(geometry)", "ST_Y(geometry)"])
    rows = int(os.environ.get("LAGESBILD_INCIDENT_BATCH", INCIDENT_BATCH))
    parts = []
    for arrow in copy_batches(workspace.connect, "incidents", select, names, types, rows=rows,
                              setup="SET DateStyle = ISO; SET extra_float_digits = 1"):
        frame = arrow.to_pandas(types_mapper=pandas_type)
        del arrow
        parts.append(compact_incidents(frame))
        del frame
    if not parts:
        return compact_incidents(schema.empty("incidents"))
    return join_compact(parts)


def join_compact(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Compact incident frames one after the other, as one compact frame (categories sorted,
    as `compact_incidents` makes them). Empties `parts` column by column as it goes."""
    if len(parts) == 1:
        return parts.pop()
    total = sum(len(p) for p in parts)
    out = pd.DataFrame(index=pd.RangeIndex(total))
    for col in INCIDENT_COLUMNS:
        pieces = [p[col] for p in parts]
        if col in INCIDENT_CATEGORIES:
            joined = union_categoricals(pieces, sort_categories=True, ignore_order=True)
            out[col] = pd.Categorical.from_codes(
                joined.codes, dtype=pd.CategoricalDtype(joined.categories))
        elif col in ("x", "y"):
            out[col] = np.concatenate([piece.to_numpy() for piece in pieces])
        else:
            out[col] = pd.concat(pieces, ignore_index=True)
        del pieces
        for part in parts:
            del part[col]
    parts.clear()
    return out
