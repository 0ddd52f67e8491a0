"""Police extracts with true coordinates (CSV, Swedish Excel dialect) -> incidents."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from lagesbild import schema
from lagesbild.errors import InputError, Rejection
from lagesbild.sources import tables as t
from lagesbild.workspace import Dataset

COLUMNS = {
    "incident_id": ["Ärendenummer", "Diarienummer", "Händelse-ID", "id"],
    "occurred_at": ["Brottsdatum", "Datum", "Händelsedatum", "Tidpunkt"],
    "source_category": ["Brottsbenämning", "Brottskategori", "Brottstyp", "Brott"],
    "victim_sex": ["Målsägandes kön", "Brottsoffrets kön", "Offrets kön", "Kön"],
    "relation": ["Nära relation", "Relation"],
    "lat": ["Latitud", "Lat", "WGS84 lat"],
    "lon": ["Longitud", "Lon", "Long", "WGS84 lon"],
}
YES_NO = {"ja": True, "j": True, "1": True, "nej": False, "n": False, "0": False, "": None}
# Sweden's extent in WGS84, generously: anything outside is a wrong or swapped coordinate.
LAT_RANGE, LON_RANGE = (55.0, 69.5), (10.5, 24.5)


def read_police_extract(source: str | Path | bytes, *, name: str | None = None) -> t.ReadResult:
    """Incidents with WGS84 latitude/longitude; returns points in EPSG:3006, area not yet set."""
    raw = t.read_delimited(source, name=name)
    cols = t.find_columns(raw, COLUMNS, optional=["victim_sex", "relation"])
    parsers = {
        "incident_id": t.required(t.text),
        "occurred_at": t.required(t.parse_datetime),
        "source_category": t.required(t.text),
        "victim_sex": t.choice(t.SEX_WORDS, "kön"),
        "relation": t.choice(YES_NO, "nära relation"),
        "lat": t.required(t.parse_number),
        "lon": t.required(t.parse_number),
    }
    rows, rejected = t.validate_rows(raw, cols, parsers)
    notes: list[str] = []
    if len(rows):
        lat, lon = rows["lat"].astype(float), rows["lon"].astype(float)
        swapped = lat.between(*LON_RANGE) & lon.between(*LAT_RANGE) & ~lat.between(*LAT_RANGE)
        if swapped.mean() > 0.5:
            raise InputError(
                "Latitud och longitud verkar ha bytt plats (latituden ligger mellan 10 och 25).",
                file=raw.name, row=int(rows["_line"].iloc[0]), field=cols["lat"],
                fix="Byt namn på kolumnerna Latitud och Longitud, eller byt plats på dem.")
        outside = ~(lat.between(*LAT_RANGE) & lon.between(*LON_RANGE))
        for line, la, lo in zip(rows.loc[outside, "_line"], lat[outside], lon[outside]):
            rejected.append(Rejection(raw.name, int(line), cols["lat"], f"{la}, {lo}",
                                      "Koordinaten ligger utanför Sverige (väntade WGS84 i grader)."))
        rows = rows[~outside]
        dup = rows["incident_id"].duplicated(keep="first")
        for line, value in zip(rows.loc[dup, "_line"], rows.loc[dup, "incident_id"]):
            rejected.append(Rejection(raw.name, int(line), cols["incident_id"], str(value),
                                      "Ärendenumret finns redan på en tidigare rad."))
        rows = rows[~dup]
    occurred = pd.to_datetime(rows["occurred_at"]) if len(rows) else pd.Series([], dtype="datetime64[ms]")
    frame = pd.DataFrame({
        "_line": rows["_line"].values,
        "incident_id": rows["incident_id"].values,
        "occurred_at": occurred.values,
        "year": occurred.dt.year.values if len(rows) else np.array([], dtype=int),
        "category": rows["source_category"].values,
        "source_category": rows["source_category"].values,
        "relation": rows["relation"].values if len(rows) else [],
        "victim_sex": rows["victim_sex"].values,
        "area_id": None,
        "precision": schema.Precision.POINT.value,
    })
    geometry = gpd.points_from_xy(rows["lon"].astype(float), rows["lat"].astype(float),
                                  crs=schema.CRS_WEB)
    points = gpd.GeoDataFrame(frame, geometry=geometry, crs=schema.CRS_WEB).to_crs(schema.CRS_STORE)
    points["source"] = ""
    periods = sorted({str(y) for y in points["year"]})
    dataset = Dataset(name="", table="incidents", kind="incidents", file=raw.name,
                      period=f"{periods[0]}–{periods[-1]}" if periods else "")
    notes.append(f"Läst som {raw.encoding}, avgränsare '{raw.separator}'.")
    return t.ReadResult(points, sorted(rejected, key=lambda r: r.row), dataset, notes,
                        columns=dict(cols))
