"""Demo programme work of issue 17: MVP Fritid at fritidsgårdar, as Stockholm runs MVP at
fritidsgårdar and parklekar (seed 000), with the young people reached, the sessions held (the
registry's "Pass genomförda") and the förvaltning that funds it; and the pupils of the schools
running MVP Mellanstadiet given for åk 4–6 (`target_columns`).

Its own file and its own random stream: every other demo figure stays as it was. The
fritidsgårdar are the demo's own (`store.demo` names them "<kommun>-F01" ...).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

SEED = 1717
FILES = {"programme_activity_fritid": "programdeltagande_fritid.csv"}
KIND_OF = {"programme_activity_fritid": "programme_activity"}  # the importer's kind of each file
# kommun -> who funds and runs MVP Fritid there
FUNDERS = {"2480": "Fritidsförvaltningen", "2482": "Kultur- och fritidsförvaltningen",
           "2417": "Norsjö kommun, fritid"}


def target_columns(code: str, index: int, eligible: int) -> list[object]:
    """A demo school's "Elever i målgrupp" and "Elever åk 4–6": a school running MVP
    Mellanstadiet (`store.demo._activity`'s choice) gives its pupils for åk 4–6, the same
    number, so every figure of MVP and MVP Mellanstadiet together stays as it was; the others
    keep the single target group."""
    mellan = code in ("2480", "2482") and index % 3 == 0 and index % 2 == 1
    return ["", eligible] if mellan else [eligible, ""]


def fritid_rows(rng: np.random.Generator, populations: Mapping[str, float],
                terms: Sequence[str]) -> list[list[object]]:
    """MVP Fritid at the first fritidsgårdar of the kommuner in FUNDERS, from a random term on."""
    rows: list[list[object]] = []
    for code, funder in FUNDERS.items():
        n_fritid = max(1, round(populations[code] / 30000))
        for f in range(min(2, n_fritid)):
            start = int(rng.integers(1, len(terms) - 1))
            for term in terms[start:]:
                people = int(rng.integers(12, 41))
                sessions = int(rng.integers(4, 11))
                rows.append([f"{code}-F{f + 1:02d}", "MVP Fritid", term, "genomförs", people,
                             sessions, funder])
    return rows


def generate(out: Path, populations: Mapping[str, float], terms: Sequence[str]) -> dict[str, Path]:
    """Write this module's demo files into `out`."""
    rng = np.random.default_rng(SEED)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Enhets-ID", "Program", "Termin", "Status", "Deltagare", "Pass genomförda",
                     "Finansierar"])
    writer.writerows(fritid_rows(rng, populations, terms))
    path = out / FILES["programme_activity_fritid"]
    path.write_bytes(buffer.getvalue().encode("utf-8-sig"))
    return {"programme_activity_fritid": path}
