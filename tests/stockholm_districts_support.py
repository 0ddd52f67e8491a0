"""A small Stockholm workspace: the real kommun and stadsdel boundaries of ../shared/data, and
schools with MVP activity made here, in the shape Stockholm's MVP report describes (MVP run
by the stadsdelsförvaltningar in some districts, not in others)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from lagesbild.core import schema
from lagesbild.core.dataset import Dataset
from lagesbild.sources.boundary_files import read_boundaries
from lagesbild.store import importer
from lagesbild.store.gpkg import GpkgWorkspace

from conftest import csv_bytes, latlon

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "boundaries"
KOMMUNER = DATA / "kommuner_2025_skr_fa_la_epsg3006.gpkg"
STADSDELAR = DATA / "stockholm_stadsdelar.geo.json"
# (site id, name, x, y in EPSG:3006, eligible pupils): points inside the named stadsdelar;
# the last two lie in Stockholm but in no stadsdel of the file (gaps along the water)
SCHOOLS = [
    ("0180-S01", "Rinkebyskolan", 666230, 6586954, 420),
    ("0180-S02", "Tensta skola", 664726, 6587618, 300),
    ("0180-S03", "Kista grundskola", 666939, 6588196, 260),
    ("0180-S04", "Husbyskolan", 665830, 6588813, 240),
    ("0180-S05", "Södermalmsskolan", 674537, 6578957, 500),
    ("0180-S06", "Skola vid vattnet", 667959, 6587462, 120),
    ("0180-S07", "Strandskolan", 672669, 6583344, 80),
]
# Rinkeby and Tensta run MVP through their förvaltningar; Södermalm and Husby do not
ACTIVITY = [
    ("0180-S01", "MVP", "HT2024", "genomförs", 6, 150, 12),
    ("0180-S01", "MVP Mellanstadiet", "HT2024", "genomförs", 4, 90, 6),
    ("0180-S02", "MVP", "HT2024", "genomförs", 5, 120, 9),
    ("0180-S03", "MVP", "HT2024", "planerad", "", "", ""),
    ("0180-S06", "MVP", "HT2024", "genomförs", 2, 40, 3),
]


def need_real() -> None:
    if not DATA.is_dir():
        pytest.skip(f"{DATA} is absent (shared test data: the real Stockholm stadsdelar)")


def sites_csv() -> bytes:
    lines = ["Enhets-ID;Namn;Typ;Kommunkod;Latitud;Longitud;Elever i målgrupp"]
    for site, name, x, y, pupils in SCHOOLS:
        lat, lon = latlon(x, y)
        lines.append(f"{site};{name};grundskola;0180;{lat};{lon};{pupils}")
    return csv_bytes("\n".join(lines))


def activity_csv() -> bytes:
    lines = ["Enhets-ID;Program;Termin;Status;Klasser;Elever som nåtts;Personal utbildad"]
    lines += [";".join(str(v) for v in row) for row in ACTIVITY]
    return csv_bytes("\n".join(lines))


def stockholm_workspace(path: Path) -> GpkgWorkspace:
    """Stockholm and Solna (real), Stockholm's 117 stadsdelar (real), the schools above, and
    a survey share "otrygghet" per stadsdel in Rinkeby, Tensta and Södermalm (n = 400)."""
    need_real()
    ws = GpkgWorkspace(path)
    kommuner = read_boundaries(KOMMUNER).accepted
    kommuner = kommuner[kommuner["area_id"].isin(["0180", "0184"])].drop(columns="_line")
    importer.store_boundaries(ws, schema.conform(kommuner, "areas"), name="kommuner")
    importer.import_file(ws, "boundaries", STADSDELAR, name="stadsdelar")
    importer.import_file(ws, "sites", sites_csv(), name="skolor_stockholm.csv")
    importer.import_file(ws, "programme_activity", activity_csv(), name="mvp_stockholm.csv")
    areas = ws.read("areas")
    ids = dict(zip(areas["name"].str.upper(), areas["area_id"]))
    shares = {"RINKEBY": 42.0, "TENSTA": 38.0, "SÖDERMALM": 12.0, "KISTA": 30.0}
    rows = pd.DataFrame([(ids[n], "2024", "otrygghet", "T", v, "percent", 400, pd.NA, pd.NA,
                          "trygghetsenkat_stockholm", pd.NA) for n, v in shares.items()],
                        columns=list(schema.TABLES["indicators"]))
    with ws.transaction() as writer:
        writer.replace_dataset(Dataset("trygghetsenkat_stockholm", "indicators", "indicators",
                                       "trygghet.csv"), schema.conform(rows, "indicators"))
    return ws
