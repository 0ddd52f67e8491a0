"""The incident count cube: one row per kommun × year × category × victim's sex × age group
with the number of incidents, what the kommun figures read instead of the rows.

The stores compute it with SQL (a GROUP BY in SQLite for a GeoPackage, on the server for
PostGIS: `Workspace.incident_cube`); `cube_of` computes the same table from the incidents held
in memory (any store, frames built by tests). Missing values are groups of their own: a missing
category is counted as "okänd" by the pyramid, a missing victim's sex in T only, a missing year
in no period, a missing age group as "okänd ålder". Rows are in one order whatever computed
them (`conform_cube`): sorted by the keys, missing values last.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lagesbild.core import schema

CUBE_KEYS = ("area_id", "year", "category", "victim_sex", "age_group")
CUBE_COLUMNS = (*CUBE_KEYS, "count")
CUBE_DTYPES = {"area_id": schema.STR, "year": schema.INT, "category": schema.STR,
               "victim_sex": schema.STR, "age_group": schema.STR, "count": "int64"}


def empty_cube() -> pd.DataFrame:
    """The cube of no incidents: its columns and dtypes, no row."""
    return conform_cube(pd.DataFrame({c: [] for c in CUBE_COLUMNS}))


def conform_cube(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` (a cube as some store returned it: a year as REAL, text as objects) with the
    cube's columns and dtypes, in the one order: sorted by the keys, missing values last (SQLite
    sorts NULL first, PostgreSQL last and by its own collation: the order is made here)."""
    out = pd.DataFrame(index=pd.RangeIndex(len(frame)))
    for col in CUBE_KEYS:
        out[col] = schema.conform_column(frame[col].reset_index(drop=True), CUBE_DTYPES[col])
    out["count"] = pd.to_numeric(frame["count"].reset_index(drop=True)).astype("int64")
    if len(out) > 1:
        out = out.sort_values(list(CUBE_KEYS), na_position="last", kind="stable",
                              ignore_index=True)
    return out


def cube_of(incidents: pd.DataFrame) -> pd.DataFrame:
    """The cube of `incidents` (the canonical or the compact table: `CUBE_KEYS` are read), by
    pandas: each key column factorised with its missing values as one code, the codes of a
    row combined into one number and counted."""
    n = len(incidents)
    if not n:
        return empty_cube()
    codes = np.zeros(n, dtype=np.int64)
    uniques = []
    for col in CUBE_KEYS:
        values = incidents[col] if col in incidents.columns else pd.Series(pd.NA, index=range(n))
        if col == "year":
            values = pd.to_numeric(values).astype(schema.INT)
        elif isinstance(values.dtype, pd.CategoricalDtype):
            values = values.cat.remove_unused_categories()
        code, unique = pd.factorize(values, use_na_sentinel=False)
        codes = codes * len(unique) + code  # a few thousand groups per column at most
        uniques.append((unique, len(unique)))
    found, counts = np.unique(codes, return_counts=True)
    columns = {}
    for col, (unique, size) in zip(reversed(CUBE_KEYS), reversed(uniques)):
        columns[col] = np.asarray(unique, dtype=object)[found % size]
        found = found // size
    frame = pd.DataFrame({c: columns[c] for c in CUBE_KEYS})
    frame = frame.where(frame.notna(), None)
    return conform_cube(frame.assign(count=counts))
