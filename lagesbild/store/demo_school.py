"""Demo inputs for the school survey by grade and the census indicator: their own random stream,
so the demo's other figures stay as they were.

* `skolenkat_ak5_ak8_2023-2024.csv`: a Stockholm-"Trygghet och studiero"-shaped school survey,
  one row per kommun × term × grade (åk 5, åk 8) × sex, share and respondents (a whole grade
  is asked, so n follows the kommun's size).
* `enheter_hrv_vinr_2023-2024.csv`: a Kalmar-shaped follow-up of the kommun's own units: how
  many of its units know the routines on honour-based and domestic violence (a census, not a
  sample: "4 av 6 enheter").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

SCHOOL_FILE = "skolenkat_ak5_ak8_2023-2024.csv"
CENSUS_FILE = "enheter_hrv_vinr_2023-2024.csv"
FILES = {"indicators_school": SCHOOL_FILE, "indicators_census": CENSUS_FILE}
KINDS = dict.fromkeys(FILES, "indicators")  # the import kind of each file
SCHOOL_TERMS = ("VT2023", "VT2024")
GRADES = {"Åk 5": (11.0, 9.0), "Åk 8": (21.0, 14.0)}  # (women, men) % feeling unsafe at school
SCHOOL_INDICATOR = "otrygg_i_skolan"
CENSUS_INDICATOR = "enheter_kunskap_hrv_vinr"
CENSUS_YEARS = (2023, 2024)


def school_rows(rng: np.random.Generator, population: Mapping[str, float],
                terms: Sequence[str] = SCHOOL_TERMS) -> list[list[object]]:
    """Kommunkod;Termin;Årskurs;Indikator;Kön;Andel (%);Antal svarande — one grade is about
    1.1 % of the kommun, four in five answer; K, M and T rows."""
    rows: list[list[object]] = []
    for code, pop in population.items():
        local = rng.normal(0, 0.2)
        for t, term in enumerate(terms):
            for grade, (pk, pm) in GRADES.items():
                n = max(8, int(pop * 0.011 * 0.8 * rng.uniform(0.9, 1.1)))
                nk = int(rng.binomial(n, 0.5))
                drift = 1 + 0.05 * t
                xk = int(rng.binomial(nk, min(0.9, pk / 100 * np.exp(local) * drift)))
                xm = int(rng.binomial(n - nk, min(0.9, pm / 100 * np.exp(local) * drift)))
                for label, x, m in (("Flickor", xk, nk), ("Pojkar", xm, n - nk),
                                    ("Totalt", xk + xm, n)):
                    rows.append([code, term, grade, SCHOOL_INDICATOR, label,
                                 _dec(100 * x / m if m else 0.0), m])
    return rows


def census_rows(rng: np.random.Generator, names: Mapping[str, str], units: Mapping[str, int],
                years: Sequence[int] = CENSUS_YEARS) -> list[list[object]]:
    """Kommun;År;Indikator;Kön;Antal enheter;Antal med — the kommun's units (schools,
    förskolor, fritidsgårdar, socialtjänst) and how many of them know the routines; the share
    grows as the kommun trains its staff."""
    rows: list[list[object]] = []
    for code, name in names.items():
        total = units[code]
        share = rng.uniform(0.2, 0.6)
        for year in years:
            have = min(total, int(rng.binomial(total, share)))
            rows.append([name, year, CENSUS_INDICATOR, "T", total, have])
            share = min(0.95, share + rng.uniform(0.0, 0.2))
    return rows


def _dec(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def write_school_inputs(out: Path, *, seed: int, population: Mapping[str, float],
                        names: Mapping[str, str], units: Mapping[str, int],
                        write_csv) -> dict[str, Path]:
    """Write both files into `out` with `write_csv(path, header, rows, encoding=, sep=)`."""
    rng = np.random.default_rng(seed + 29)
    write_csv(out / SCHOOL_FILE, ["Kommunkod", "Termin", "Årskurs", "Indikator", "Kön",
                                  "Andel (%)", "Antal svarande"],
              school_rows(rng, population), encoding="utf-8-sig", sep=";")
    write_csv(out / CENSUS_FILE, ["Kommun", "År", "Indikator", "Kön", "Antal enheter",
                                  "Antal med"],
              census_rows(rng, names, units), encoding="cp1252", sep=";")
    return {key: out / name for key, name in FILES.items()}
