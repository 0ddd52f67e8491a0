"""Police extracts (CSV or XLSX) with true coordinates or area codes -> incidents.

Locations, in this order of preference per file:
- SWEREF 99 TM northing/easting in metres (EPSG:3006, the official Swedish grid);
- WGS84 latitude/longitude in degrees;
- an area code per row (DeSO '0114A0010', RegSO '0114R001', kommun '0114' or a kommun name):
  the incident gets precision "area", no geometry, and area_id = the code. In a file with
  coordinates, rows whose coordinates are both blank use the area code when there is one.

Axes: SWEREF northing (6 100 000–7 700 000) and easting (250 000–930 000) cannot be confused,
so when every row fits only with the two columns swapped (X/Y named the geodetic way, X =
north) they are swapped for the whole file and a note says so; single swapped rows in an
otherwise right file are rejected. Swapped WGS84 columns and metres under Latitud/Longitud
stop the import with an InputError that explains the fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from lagesbild.core import schema
from lagesbild.core.dataset import Dataset
from lagesbild.core.errors import InputError, Rejection
from lagesbild.sources import area_codes
from lagesbild.sources import tables as t
from lagesbild.sources.cell_values import parse_number_or_blank
from lagesbild.sources.fast_cells import duplicated, paused_gc, validate_columns
from lagesbild.sources.kommun_names import kommun_code_or_name

COLUMNS: dict[str, list[str]] = {
    "incident_id": ["Ärendenummer", "Diarienummer", "Händelse-ID", "id"],
    "occurred_at": ["Brottsdatum", "Datum", "Händelsedatum", "Tidpunkt"],
    "source_category": ["Brottsbenämning", "Brottskategori", "Brottstyp", "Brott"],
    "victim_sex": ["Målsägandes kön", "Brottsoffrets kön", "Offrets kön", "Kön"],
    "relation": ["Nära relation", "Relation"],
    # the victim's age or age group, grouped by layers/aldersgrupper.toml (`core.age`)
    "victim_age": ["Målsägandes ålder", "Målsägandes åldersgrupp", "Brottsoffrets ålder",
                   "Offrets ålder", "Åldersgrupp", "Ålder"],
    "lat": ["Latitud", "Lat", "WGS84 lat", "Latitude"],
    "lon": ["Longitud", "Lon", "Long", "WGS84 lon", "Longitude", "Lng"],
    "northing": ["N (SWEREF99TM)", "N (SWEREF 99 TM)", "SWEREF99TM N", "SWEREF 99 TM N",
                 "Northing", "Nordkoordinat", "Y-koordinat", "Nord", "N", "Y"],
    "easting": ["E (SWEREF99TM)", "E (SWEREF 99 TM)", "SWEREF99TM E", "SWEREF 99 TM E",
                "Easting", "Östkoordinat", "Ostkoordinat", "X-koordinat", "Öst", "Ost", "E", "X"],
    "area_code": ["DeSO", "DeSO-kod", "Desokod", "RegSO", "RegSO-kod", "Områdeskod",
                  "Kommunkod", "Kommun kod", "Kommun"],
    # a kommun column beside a DeSO/RegSO one: where the small-area code is blank, the incident
    # is counted in its kommun (kommun precision) instead of being rejected
    "kommun_code": ["Kommunkod", "Kommun kod", "Kommun", "Kommunnamn"],
}
OPTIONAL: tuple[str, ...] = ("victim_sex", "relation", "kommun_code", "victim_age")
# at least one complete location group
ONE_OF: tuple[tuple[str, ...], ...] = (("lat", "lon"), ("northing", "easting"), ("area_code",))
SPEC = t.ColumnSpec(COLUMNS, OPTIONAL, ONE_OF)
YES_NO = {"ja": True, "j": True, "1": True, "nej": False, "n": False, "0": False, "": None}
# Sweden's extent in WGS84, generously: anything outside is a wrong or swapped coordinate.
LAT_RANGE, LON_RANGE = (55.0, 69.5), (10.5, 24.5)
# ... and in SWEREF 99 TM metres
NORTHING_RANGE, EASTING_RANGE = (6_100_000.0, 7_700_000.0), (250_000.0, 930_000.0)
RT90_EASTING_RANGE = (1_200_000.0, 1_900_000.0)  # RT 90 2.5 gon V shares SWEREF's northings
_TO_STORE = Transformer.from_crs(schema.CRS_WEB, schema.CRS_STORE, always_xy=True)


def area_code(value: str) -> str:
    """DeSO / RegSO / kommun code (vintage suffix '_DeSO2025' dropped) or kommun name -> code."""
    text = str(value).strip()
    for level in ("deso", "regso", "kommun"):
        code, _ = area_codes.official_code(text, level)
        if code:
            return code
    for level in ("deso", "regso"):
        code, reason = area_codes.official_code(text, level)
        if "känd" in reason:  # the shape of a DeSO/RegSO code, but no such kommun
            raise ValueError(reason.rstrip(".") + " (DeSO-koder börjar med kommunkoden)")
    if any(c.isdigit() for c in text):
        raise ValueError("väntade en DeSO-kod (t.ex. 0114A0010), RegSO-kod (0114R001), "
                         "kommunkod med fyra siffror (0114) eller ett kommunnamn")
    return kommun_code_or_name(text)


def read_police_extract(source: str | Path | bytes, *, name: str | None = None,
                        mapping: Mapping[str, str | None] | None = None,
                        sheet: str | int | None = None, fast: bool = True) -> t.ReadResult:
    """Incidents with coordinates (points in EPSG:3006, area_id not yet set) or area codes
    (precision "area", geometry None, area_id set). See the module docstring.

    `fast` reads a plain CSV file with pyarrow and parses whole columns at once, leaving only
    the rows it is unsure of to the row-wise parsers (`fast_read`, `fast_cells`): the same
    result; False reads and parses row by row.
    """
    raw = t.read_table(source, name=name, sheet=sheet, fast=fast)
    cols = t.find_columns(raw, COLUMNS, optional=OPTIONAL, mapping=mapping, one_of=ONE_OF)
    notes = list(raw.notes)
    sweref = "northing" in cols and "easting" in cols
    wgs = not sweref and "lat" in cols and "lon" in cols
    y_key, x_key = ("northing", "easting") if sweref else ("lat", "lon") if wgs else ("", "")
    ignored = [cols[k] for k in ("lat", "lon") if sweref and k in cols]
    if ignored:
        notes.append(f"Koordinaterna lästes från SWEREF 99 TM-kolumnerna; {', '.join(ignored)} "
                     "användes inte.")
    parsers = {
        "incident_id": t.required(t.text),
        "occurred_at": t.required(t.parse_datetime),
        "source_category": t.required(t.text),
        "victim_sex": t.choice(t.SEX_WORDS, "kön"),
        "relation": t.choice(YES_NO, "nära relation"),
        "victim_age": t.text,
    }
    if y_key:
        parsers |= {y_key: parse_number_or_blank, x_key: parse_number_or_blank}
    if cols.get("kommun_code") == cols.get("area_code"):
        cols.pop("kommun_code", None)  # one kommun column: it is the area code itself
    use = {k: v for k, v in cols.items() if k in parsers or k in ("area_code", "kommun_code")}
    validate = validate_columns if fast else t.validate_rows
    extra = {"kommun_code": t.text} if "kommun_code" in cols else {}
    rows, rejected = validate(raw, use, {**parsers, "area_code": t.text, **extra})
    rows, points, areas, more = _locate(raw, rows, cols, y_key, x_key, notes)
    rejected += more
    if y_key and len(points):
        if sweref:
            points, more = _check_sweref(raw, points, cols, notes)
        else:
            points, more = _check_wgs(raw, points, cols)
        rejected += more
    parts = [p for p in (points, areas) if len(p)]
    frame = pd.concat(parts) if len(parts) > 1 else parts[0] if parts else points
    if not frame["_line"].is_monotonic_increasing:
        frame = frame.sort_values("_line", kind="stable")
    dup = duplicated(frame["incident_id"])
    if dup.any():
        for line, value in zip(frame.loc[dup, "_line"], frame.loc[dup, "incident_id"]):
            rejected.append(Rejection(raw.name, int(line), cols["incident_id"], str(value),
                                      "Ärendenumret finns redan på en tidigare rad."))
        frame = frame[~dup]
    incidents = _frame(frame)
    incidents["age_group"] = age_groups(frame["victim_age"], cols.get("victim_age"), notes)
    periods = sorted(str(y) for y in pd.unique(incidents["year"].to_numpy()))
    dataset = Dataset(name="", table="incidents", kind="incidents", file=raw.name,
                      period=f"{periods[0]}–{periods[-1]}" if periods else "")
    if len(areas):
        n = int((incidents["precision"] == "area").sum())
        notes.append(f"{n} {'händelse' if n == 1 else 'händelser'} har bara ett område "
                     f"(kolumnen '{cols['area_code']}'), ingen punkt.")
    notes.append(raw.describe())
    return t.ReadResult(incidents, sorted(rejected, key=lambda r: r.row), dataset, notes,
                        columns=_columns(cols, y_key, x_key))


def age_groups(values: pd.Series, column: str | None, notes: list[str]) -> np.ndarray:
    """The age group of each row (`core.age`: layers/aldersgrupper.toml), missing where the
    file has no age column, the cell is blank, or the value fits no one group (noted)."""
    if column is None:
        return np.full(len(values), None, dtype=object)
    from lagesbild.core.age import FILE, load_age_groups
    from lagesbild.core.settings import get_settings

    path = get_settings().layers_dir / FILE
    if not path.exists():
        notes.append(f"Kolumnen '{column}' lästes inte: {FILE} saknas bland lagren.")
        return np.full(len(values), None, dtype=object)
    grouping = load_age_groups(path)
    groups = grouping.group_of(values.astype("string"))
    given = values.astype("string").str.strip().fillna("")
    unplaced = groups.isna().to_numpy() & (given != "").to_numpy()
    unplaced &= ~given.str.casefold().isin(["okänd", "uppgift saknas", "-"]).to_numpy()
    if unplaced.any():
        example = given[unplaced].iloc[0]
        notes.append(f"{int(unplaced.sum())} rader har en ålder i '{column}' som inte passar "
                     f"i en åldersgrupp (t.ex. '{example}'); de räknas utan åldersgrupp. "
                     f"Grupperna: {', '.join(grouping.labels)} ({FILE}).")
    blank = int((given == "").sum())
    if blank:
        notes.append(f"{blank} rader saknar ålder i '{column}': de räknas i totalen men i "
                     "ingen åldersgrupp (okänd ålder).")
    return groups.astype(object).where(groups.notna(), None).to_numpy()


def _columns(cols: dict[str, str], y_key: str, x_key: str) -> dict[str, str]:
    """The file's headers; the area column also under "area_id" so area checks name it."""
    out = {k: v for k, v in cols.items() if k not in ("lat", "lon", "northing", "easting")
           or k in (y_key, x_key)}
    if "area_code" in cols:
        out["area_id"] = cols["area_code"]
    return out


def _locate(raw: t.RawTable, rows: pd.DataFrame, cols: dict[str, str], y_key: str,
            x_key: str, notes: list[str]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame,
                                                   list[Rejection]]:
    """Split parsed rows into points (both coordinates) and area rows (an area code only)."""
    rejected: list[Rejection] = []
    has_area = "area_code" in cols
    if y_key:
        y_blank, x_blank = rows[y_key].isna(), rows[x_key].isna()
    else:
        y_blank = x_blank = pd.Series(True, index=rows.index)
    point = ~y_blank & ~x_blank
    area = y_blank & x_blank & has_area
    for rec in rows[~point & ~area].to_dict("records"):  # only with coordinate columns
        key = y_key if pd.isna(rec[y_key]) else x_key
        rejected.append(Rejection(raw.name, int(rec["_line"]), cols[key], "", "värde saknas"))
    area_rows = rows[area]
    if "kommun_code" in cols and len(area_rows):
        blank = area_rows["area_code"].fillna("").astype(str).str.strip() == ""
        given = area_rows["kommun_code"].fillna("").astype(str).str.strip() != ""
        fallback = blank & given
        if fallback.any():
            area_rows = area_rows.assign(area_code=area_rows["area_code"].where(
                ~fallback, area_rows["kommun_code"]))
            notes.append(f"{int(fallback.sum())} händelser utan kod i kolumnen "
                         f"'{cols['area_code']}' räknades i sin kommun (kolumnen "
                         f"'{cols['kommun_code']}').")
    texts = area_rows["area_code"].tolist()
    found = _area_codes(texts, "värde saknas" if not y_key else
                        "både koordinater och områdeskod saknas")
    codes = [found[text][0] for text in texts]
    for line, text, code in zip(area_rows["_line"], texts, codes):
        if code is None:
            rejected.append(Rejection(raw.name, int(line), cols["area_code"], text,
                                      found[text][1]))
    suffixed = sum("_" in text for text, code in zip(texts, codes) if code is not None)
    area_rows = area_rows.assign(area_id=codes)
    area_rows = area_rows[area_rows["area_id"].notna()].assign(geometry=None, precision="area")
    if suffixed:
        notes.append(f"Årgångsändelsen (t.ex. '_DeSO2025') togs bort från {suffixed} "
                     "områdeskoder.")
    points = rows if point.all() else rows[point]
    if has_area:
        # a point that also names its area: the importer checks that the point lies in it
        texts = points["area_code"].tolist()
        found = _area_codes(texts, None)
        claimed = [found[text][0] if found[text][1] is None else "" for text in texts]
        for line, text, code in zip(points["_line"], texts, claimed):
            if code == "":
                rejected.append(Rejection(raw.name, int(line), cols["area_code"], text,
                                          found[text][1]))
        points = points.assign(_claimed=claimed)
        points = points[points["_claimed"] != ""]
    else:
        points = points.assign(_claimed=None)
    points = points.assign(area_id=None, precision="point",
                           _y=points[y_key].astype(float) if y_key else np.nan,
                           _x=points[x_key].astype(float) if y_key else np.nan)
    return rows, points, area_rows, rejected


def _area_codes(texts: list[str], blank: str | None) -> dict[str, tuple[str | None, str | None]]:
    """`area_code` once per distinct text: text -> (code, None) or (None, the reason it is
    refused). A blank text is refused with `blank`, or has no code (None, None)."""
    found: dict[str, tuple[str | None, str | None]] = {}
    for text in dict.fromkeys(texts):
        try:
            if not text and blank is not None:
                raise ValueError(blank)
            found[text] = (area_code(text) if text else None, None)
        except ValueError as exc:
            found[text] = (None, str(exc))
    return found


def _majority(mask: pd.Series) -> bool:
    return bool(len(mask)) and mask.mean() > 0.5


def _check_wgs(raw: t.RawTable, points: pd.DataFrame,
               cols: dict[str, str]) -> tuple[pd.DataFrame, list[Rejection]]:
    lat, lon = points["_y"], points["_x"]
    la, lo = lat.to_numpy(), lon.to_numpy()  # the masks in numpy: faster on a million rows
    first = int(points["_line"].iloc[0])
    metres = (np.abs(la) > 180) | (np.abs(lo) > 180)
    if _majority(metres):
        north, east = (lat, lon) if lat.median() > lon.median() else (lon, lat)
        rt90 = north.between(*NORTHING_RANGE) & east.between(*RT90_EASTING_RANGE)
        grid = "RT 90 (2,5 gon V)" if _majority(rt90) else "SWEREF 99 TM"
        raise InputError(
            f"Värdena i {cols['lat']}/{cols['lon']} ser ut som {grid}-koordinater i meter "
            f"(t.ex. {points['_y'].iloc[0]:.0f} / {points['_x'].iloc[0]:.0f}), inte "
            "latitud/longitud i grader.", file=raw.name, row=first, field=cols["lat"],
            fix=("Räkna om koordinaterna till SWEREF 99 TM eller WGS84." if grid.startswith("RT")
                 else "Byt namn på kolumnerna till N (SWEREF99TM) och E (SWEREF99TM), eller "
                 "välj dem som northing och easting i kolumnmappningen."))
    swapped = _between(la, LON_RANGE) & _between(lo, LAT_RANGE) & ~_between(la, LAT_RANGE)
    if _majority(swapped):
        raise InputError(
            "Latitud och longitud verkar ha bytt plats (latituden ligger mellan 10 och 25).",
            file=raw.name, row=first, field=cols["lat"],
            fix="Byt namn på kolumnerna Latitud och Longitud, eller byt plats på dem.")
    outside = ~(_between(la, LAT_RANGE) & _between(lo, LON_RANGE))
    rejected = [Rejection(raw.name, int(line), cols["lat"], f"{la}, {lo}",
                          _outside_reason(float(la), float(lo)))
                for line, la, lo in zip(points.loc[outside, "_line"], lat[outside], lon[outside])]
    if outside.any():
        points, la, lo = points[~outside], la[~outside], lo[~outside]
    x, y = _TO_STORE.transform(lo, la)
    return points.assign(_x=x, _y=y), rejected


def _between(values: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    """`Series.between` (both ends included) on a numpy array."""
    return (values >= bounds[0]) & (values <= bounds[1])


def _outside_reason(lat: float, lon: float) -> str:
    """Why a WGS84 row is refused, naming the grid when the numbers are metres."""
    north, east = max(lat, lon), min(lat, lon)
    if north >= NORTHING_RANGE[0] and north <= NORTHING_RANGE[1]:
        grid = "RT 90" if RT90_EASTING_RANGE[0] <= east <= RT90_EASTING_RANGE[1] else \
            "SWEREF 99 TM"
        return (f"Koordinaten är i meter ({grid}?), inte latitud/longitud i grader; rätta raden "
                "eller ange hela filen i ett och samma koordinatsystem.")
    return "Koordinaten ligger utanför Sverige (väntade WGS84 i grader)."


def _check_sweref(raw: t.RawTable, points: pd.DataFrame, cols: dict[str, str],
                  notes: list[str]) -> tuple[pd.DataFrame, list[Rejection]]:
    north, east = points["_y"], points["_x"]
    first, field = int(points["_line"].iloc[0]), cols["northing"]
    where = f"{cols['northing']}/{cols['easting']}"
    if _majority((north.abs() <= 180) & (east.abs() <= 180)):
        raise InputError(
            f"Värdena i {where} ser ut som latitud/longitud i grader (t.ex. {north.iloc[0]}), "
            "inte SWEREF 99 TM i meter.", file=raw.name, row=first, field=field,
            fix="Byt namn på kolumnerna till Latitud och Longitud, eller välj dem som lat och "
            "lon i kolumnmappningen.")
    rt90 = (north.between(*NORTHING_RANGE) & east.between(*RT90_EASTING_RANGE)) | \
        (east.between(*NORTHING_RANGE) & north.between(*RT90_EASTING_RANGE))
    if _majority(rt90):
        raise InputError(
            f"Värdena i {where} ser ut som RT 90-koordinater (östvärden kring 1 200 000–"
            f"1 900 000, t.ex. {east.iloc[0]:.0f}), inte SWEREF 99 TM.", file=raw.name,
            row=first, field=cols["easting"],
            fix="Räkna om koordinaterna till SWEREF 99 TM (EPSG:3006) i GIS-programmet.")
    fits = north.between(*NORTHING_RANGE) & east.between(*EASTING_RANGE)
    swapped = east.between(*NORTHING_RANGE) & north.between(*EASTING_RANGE)
    if swapped.any() and not fits.any():
        notes.append(f"Kolumnerna {cols['northing']} och {cols['easting']} hade nord- och "
                     "östvärdena omvända (X = nord, som i geodetisk konvention); de byttes för "
                     "hela filen.")
        points = points.assign(_y=east, _x=north)
        north, east, fits, swapped = east, north, swapped, fits
    rejected = [Rejection(raw.name, int(line), field, f"{n:.0f}, {e:.0f}",
                          "Nord- och östvärdet har bytt plats på raden." if s else
                          "Koordinaten ligger utanför Sverige (väntade SWEREF 99 TM i meter: "
                          "nord 6 100 000–7 700 000, öst 250 000–930 000).")
                for line, n, e, s in zip(points.loc[~fits, "_line"], north[~fits], east[~fits],
                                         swapped[~fits])]
    return points[fits], rejected


def _values(column: pd.Series) -> object:
    """A column's values for a new frame: Arrow-backed strings as they are (to_numpy would make
    Python objects that the frame turns back into the same Arrow strings)."""
    if isinstance(column.dtype, pd.StringDtype) and column.dtype.storage == "pyarrow":
        return column.array
    return column.to_numpy()


def _frame(rows: pd.DataFrame) -> gpd.GeoDataFrame:
    """The canonical incidents table (plus _line) from located rows."""
    if not len(rows):
        occurred = pd.Series([], dtype="datetime64[ms]")
    elif rows["occurred_at"].dtype == "datetime64[us]":  # what to_datetime makes of datetimes
        occurred = rows["occurred_at"]
    else:
        occurred = pd.to_datetime(pd.Series(list(rows["occurred_at"]), dtype=object))
    frame = pd.DataFrame({
        "_line": rows["_line"].to_numpy(dtype=int),
        "incident_id": _values(rows["incident_id"]),
        "occurred_at": occurred.to_numpy(),
        "year": occurred.dt.year.to_numpy() if len(rows) else np.array([], dtype=int),
        "category": _values(rows["source_category"]),
        "source_category": _values(rows["source_category"]),
        "relation": rows["relation"].to_numpy() if len(rows) else [],
        "victim_sex": _values(rows["victim_sex"]),
        "area_id": rows["area_id"].to_numpy(),
        "precision": _values(rows["precision"]),
        "_claimed": rows["_claimed"].to_numpy() if "_claimed" in rows else None,
    })
    point = (rows["precision"] == "point").to_numpy()
    geometry = np.full(len(rows), None, dtype=object)
    if point.any():
        xs, ys = rows["_x"].to_numpy(dtype=float), rows["_y"].to_numpy(dtype=float)
        with paused_gc():  # a million new objects: the collector would walk them again and again
            geometry[point] = shapely.points(xs[point], ys[point])
    out = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry, crs=schema.CRS_STORE).values,
                           crs=schema.CRS_STORE)
    out["source"] = ""
    return out
