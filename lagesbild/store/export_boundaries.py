"""Boundaries written back out as a GeoPackage in EPSG:3006, one layer per level (columns code,
name, level, parent and SKR's kommungrupp where set), stamped so the same data give the same bytes.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from lagesbild.core import schema
from lagesbild.store.export_cells import _Context, _missing, _tmp


def _write_boundaries(frame: pd.DataFrame, path: Path, ctx: _Context) -> list[dict[str, str]]:
    """One layer per level (the reader reads one level at a time)."""
    imports: list[dict[str, str]] = []
    tmp = _tmp(path)
    tmp.unlink(missing_ok=True)
    try:
        if not len(frame):  # still a GeoPackage, with one empty layer
            pyogrio.write_dataframe(gpd.GeoDataFrame(
                {"code": [], "name": [], "level": [], "parent": []}, geometry=[],
                crs=schema.CRS_STORE), tmp, layer="areas", driver="GPKG")
        for level in dict.fromkeys(frame["level"].astype(str)):
            part = frame[frame["level"].astype(str) == level]
            columns = {"code": _objects(part["code"]), "name": _objects(part["name"]),
                       "level": level, "parent": _objects(part["parent_id"])}
            if "kommungrupp" in part and part["kommungrupp"].notna().any():  # SKR's groups
                columns["kommungrupp"] = _objects(part["kommungrupp"])
            layer = gpd.GeoDataFrame(columns, geometry=part.geometry.values,
                                     crs=schema.CRS_STORE)
            pyogrio.write_dataframe(layer, tmp, layer=level, driver="GPKG",
                                    promote_to_multi=False)
            options = {"layer": level, "level": level}
            if part["code"].notna().any():  # areas without codes get their ids from their names
                options["code_column"] = "code"
            imports.append({**options, "name_column": "name", "parent_column": "parent"})
        _stamp_gpkg(tmp, ctx.imported_at)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return imports


def _objects(series: pd.Series) -> list[object]:
    # pd.NA must become None: pyogrio would store the text "<NA>" instead of NULL
    return [None if _missing(v) else str(v) for v in series]


def _stamp_gpkg(path: Path, imported_at: str) -> None:
    """GeoPackage's last_change := the import time, and the file rewritten by SQLite's VACUUM
    INTO, so the same data give the same bytes (GDAL's number of write transactions, kept in
    the file's header, varies from run to run)."""
    try:
        when = datetime.fromisoformat(imported_at).astimezone(timezone.utc)
        stamp = when.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    except (TypeError, ValueError):
        stamp = None  # no import time recorded: GDAL's own (the writing time) stays
    canonical = path.with_name(f".{path.name}.vacuum")
    canonical.unlink(missing_ok=True)
    try:
        with contextlib.closing(sqlite3.connect(path)) as con:
            if stamp is not None:
                con.execute("UPDATE gpkg_contents SET last_change = ?", (stamp,))
                con.commit()
            con.execute("VACUUM INTO ?", (str(canonical),))
        os.replace(canonical, path)
    finally:
        canonical.unlink(missing_ok=True)
