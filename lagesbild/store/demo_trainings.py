"""The demo's trainings of staff and staff counts (data/demo/utbildningar.csv, personal.csv).

Drawn from their own random stream, so every other demo file stays as it was. Shaped like the
seed documents: Våldsprevention Västerbotten's four kommuner (Norsjö, Sorsele, Vilhelmina,
Åsele) train staff with Länsstyrelsen; Umeå and Skellefteå train school staff in MVP (two days)
and Gävlemodellen, förskola staff in "Tala om oron", fritidsledare and kuratorer in "Våga fråga".
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

SEED = 20231 + 17
FILES = {"staff": "personal.csv", "trainings": "utbildningar.csv"}
YEARS = (2023, 2024)
FOUR = ("2417", "2422", "2462", "2463")
# training, organiser, profession, unit kind (or a unit id suffix: "S01", "F01"), kommuner,
# hours per participant as written, participants (low, high)
PLAN = [
    ("Processledarutbildning i våldsprevention", "Länsstyrelsen Västerbotten",
     "folkhälsosamordnare", "arbetsplats", FOUR, "24", (2, 5)),
    ("Grundutbildning VINR", "Länsstyrelsen Västerbotten", "socialsekreterare", "arbetsplats",
     FOUR, "3,5", (6, 14)),
    ("MVP", "MVP Sverige", "lärare", "S01", ("2417", "2422", "2462", "2463", "2480", "2482"),
     "16", (8, 22)),
    ("Gävlemodellen", "Utbildningsförvaltningen", "lärare", "skola", ("2480", "2482"), "6",
     (15, 40)),
    ("Tala om oron", "Socialtjänsten", "förskollärare", "förskola", ("2480", "2482"), "3",
     (10, 30)),
    ("Våga fråga", "Socialtjänsten", "fritidsledare", "F01", ("2480", "2482", "2462"), "2,5",
     (4, 12)),
]
# staff per kommun and kind of unit, 2024 (the four kommuner and Umeå's schools)
STAFF = {("2417", "skola"): 61, ("2417", "arbetsplats"): 38, ("2422", "skola"): 37,
         ("2422", "arbetsplats"): 29, ("2462", "skola"): 96, ("2462", "arbetsplats"): 55,
         ("2463", "skola"): 41, ("2463", "arbetsplats"): 27, ("2480", "skola"): 2350,
         ("2480", "förskola"): 1480}


def trainings_rows(seed: int = SEED) -> list[list[object]]:
    rng = np.random.default_rng(seed)
    rows: list[list[object]] = []
    for year in YEARS:
        for name, organiser, profession, unit, kommuner, hours, (low, high) in PLAN:
            for code in kommuner:
                if rng.random() < 0.25:  # not every kommun every year
                    continue
                day = np.datetime64(f"{year}-01-15") + int(rng.integers(0, 320))
                site = f"{code}-{unit}" if unit in ("S01", "F01") else ""
                kind = "" if site else unit
                when = str(day)
                if rng.random() < 0.3:  # some offices write 5/3 2024
                    y, m, d = when.split("-")
                    when = f"{int(d)}/{int(m)} {y}"
                rows.append([name, when, organiser, profession, kind, site,
                             "" if site else code, int(rng.integers(low, high + 1)), hours])
    return rows


def write_inputs(out: Path, seed: int = SEED) -> None:
    """Write utbildningar.csv and personal.csv into `out` (UTF-8 with BOM, semicolons)."""
    _write(out / FILES["trainings"], ["Utbildning", "Datum", "Arrangör", "Yrkesgrupp",
                                      "Verksamhet", "Enhets-ID", "Kommunkod", "Deltagare",
                                      "Timmar"], trainings_rows(seed))
    _write(out / FILES["staff"], ["Kommunkod", "Verksamhet", "År", "Personal"],
           [[code, kind, 2024, n] for (code, kind), n in STAFF.items()])


def _write(path: Path, header: list[str], rows: list[list[object]]) -> None:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buf.getvalue().encode("utf-8-sig"))
