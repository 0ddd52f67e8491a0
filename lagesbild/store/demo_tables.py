"""The demo's statistical tables in the formats their publishers use: SCB population, Brå-like
offence counts and survey indicators with n, drawn from the rates below (`store.demo` calls these
with its fixed seed; the national benchmark workspace reuses them)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

# category -> (reported per 100 000 per year, share of victims who are women, share in close relation)
CATEGORIES: dict[str, tuple[float, float, float]] = {
    "Misshandel": (560.0, 0.42, 0.35),
    "Grov misshandel": (60.0, 0.25, 0.20),
    "Våldtäkt": (85.0, 0.93, 0.45),
    "Grov kvinnofridskränkning": (14.0, 1.0, 1.0),
    "Grov fridskränkning": (4.0, 0.4, 1.0),
    "Försök till mord, dråp": (8.0, 0.25, 0.2),
    "Köp av sexuell tjänst": (3.0, 0.9, 0.0),
    "Olaga hot": (640.0, 0.45, 0.25),
    "Ofredande": (480.0, 0.60, 0.35),
    "Sexuellt ofredande": (95.0, 0.85, 0.10),
    "Olaga förföljelse": (30.0, 0.80, 0.60),
    "Kränkande fotografering": (12.0, 0.80, 0.15),
    "Skadegörelse": (900.0, 0.50, 0.05),
    "Stöld och snatteri": (1500.0, 0.50, 0.0),
}
# Brottslighet i stort beyond the pyramid (Brå's main groups; layers/brottsgrupper.toml), drawn
# from their own random stream so the rows above stay as they were: category -> (reported per
# 100 000 per year, share of victims who are women, or None where there is no victim: a drug
# offence has none, so Brå-like rows give the total only)
MORE_CATEGORIES: dict[str, tuple[float, float | None]] = {
    "Inbrott": (330.0, 0.50),
    "Biltillgrepp": (55.0, 0.35),
    "Narkotikabrott": (850.0, None),
    "Bedrägeri": (1900.0, 0.52),
}

# indicator -> (share women, share men) in percent
INDICATORS: dict[str, tuple[float, float]] = {
    "otrygghet": (24.0, 8.0),
    "utsatt_misshandel": (2.0, 3.0),
    "utsatt_trakasserier": (9.0, 2.0),
    "utsatt_hot": (7.0, 6.0),
    "sexistiska_kommentarer": (55.0, 44.0),
    "hedersbegransningar": (8.0, 6.0),
}


def population_table(rng: np.random.Generator, base: Mapping[str, float],
                     trend: Mapping[str, float], years: Sequence[int]) -> pd.DataFrame:
    """Men and women per kommun × year: `base` people in the last year, growing by `trend` a year."""
    rows = []
    for code, pop in base.items():
        men_share = 0.505 if pop < 15000 else 0.499
        for year in years:
            total = pop * (1 + trend[code]) ** (year - years[-1])
            men = int(round(total * men_share + rng.normal(0, total * 0.001)))
            women = int(round(total * (1 - men_share) + rng.normal(0, total * 0.001)))
            rows += [(code, year, "M", men), (code, year, "K", women)]
    return pd.DataFrame(rows, columns=["area_id", "year", "sex", "population"])


def kommun_effect(rng: np.random.Generator, population: Mapping[str, float]) -> dict[str, float]:
    """Reported violence relative to the national rate: larger towns more, small kommuner vary."""
    return {code: float(np.exp(rng.normal(0.1 if pop > 50000 else -0.15, 0.18)))
            for code, pop in population.items()}


def population_rows(population: pd.DataFrame, names: Mapping[str, str], years: Sequence[int]
                    ) -> list[list[object]]:
    """SCB "Folkmängd efter region, kön och år" rows (wide: one column per year) for `names`."""
    wide = population.pivot_table(index=["area_id", "sex"], columns="year", values="population")
    cells = dict(zip(wide.index, wide[list(years)].to_numpy().tolist()))
    return [[f"{code} {name}", "kvinnor" if sex == "K" else "män", *map(int, cells[(code, sex)])]
            for code, name in names.items() for sex in ("M", "K")]


def count_rows(rng: np.random.Generator, population: Mapping[tuple[str, int], float],
               effect: Mapping[str, float], names: Mapping[str, str], years: Sequence[int]
               ) -> list[list[object]]:
    """Brå-like offences per kommun × year × category × sex (Poisson; `population` per (code,
    year)): rows of name, code, year, category, Kvinnor/Män/Totalt and the count as an int."""
    rows: list[list[object]] = []
    for code, name in names.items():
        for year in years:
            for cat, (per100k, women, _) in CATEGORIES.items():
                lam = population[(code, year)] / 1e5 * per100k * effect[code] * (1 + 0.03 * (year - 2019))
                total = int(rng.poisson(lam))
                known = rng.binomial(total, 0.97)
                k = int(rng.binomial(known, women))
                for label, value in (("Kvinnor", k), ("Män", int(known - k)), ("Totalt", total)):
                    rows.append([name, code, year, cat, label, value])
    return rows


def more_count_rows(rng: np.random.Generator, population: Mapping[tuple[str, int], float],
                    effect: Mapping[str, float], names: Mapping[str, str], years: Sequence[int]
                    ) -> list[list[object]]:
    """Rows as `count_rows` for `MORE_CATEGORIES` (Totalt only where there is no victim)."""
    rows: list[list[object]] = []
    for code, name in names.items():
        for year in years:
            for cat, (per100k, women) in MORE_CATEGORIES.items():
                lam = population[(code, year)] / 1e5 * per100k * effect[code] ** 0.5 * \
                    (1 - 0.02 * (year - 2019))
                total = int(rng.poisson(lam))
                if women is None:
                    rows.append([name, code, year, cat, "Totalt", total])
                    continue
                known = rng.binomial(total, 0.97)
                k = int(rng.binomial(known, women))
                for label, value in (("Kvinnor", k), ("Män", int(known - k)), ("Totalt", total)):
                    rows.append([name, code, year, cat, label, value])
    return rows


def _interleave(rows: list[list[object]], more: list[list[object]]) -> list[list[object]]:
    """`rows` with each kommun-year's rows of `more` after its own (as one Brå table lists them)."""
    extra: dict[tuple[object, object], list[list[object]]] = {}
    for row in more:
        extra.setdefault((row[1], row[2]), []).append(row)
    out: list[list[object]] = []
    for i, row in enumerate(rows):
        out.append(row)
        if i + 1 == len(rows) or (rows[i + 1][1], rows[i + 1][2]) != (row[1], row[2]):
            out += extra.pop((row[1], row[2]), [])
    return out + [r for block in extra.values() for r in block]


def survey_rows(rng: np.random.Generator, population: Mapping[tuple[str, int], float],
                codes: Iterable[str], years: Sequence[int], *,
                national: np.random.Generator | None = None) -> list[list[object]]:
    """Survey shares and respondents per kommun × year × sex (more asked where `population`, per
    (code, year), is larger), then an NTU-sized national survey ("00") from `national` or `rng`."""
    national = rng if national is None else national
    rows: list[list[object]] = []
    for code in codes:
        local = {ind: rng.normal(0, 0.15) for ind in INDICATORS}
        for year in years:
            pop = population[(code, year)]
            n_total = int(min(1600, max(60, pop * 0.012)) * rng.uniform(0.85, 1.15))
            nk = int(rng.binomial(n_total, 0.52))
            rows += _answers(rng, code, year, nk, n_total - nk, local)
    for year in years:
        nk, nm = int(national.integers(34_000, 37_000)), int(national.integers(33_000, 36_000))
        rows += _answers(national, "00", year, nk, nm, dict.fromkeys(INDICATORS, 0.0))
    return rows


def _answers(rng: np.random.Generator, code: str, year: int, nk: int, nm: int,
             local: Mapping[str, float]) -> list[list[object]]:
    rows: list[list[object]] = []
    for ind, (pk, pm) in INDICATORS.items():
        drift = 1 + 0.02 * (year - 2021) * (1 if ind == "otrygghet" else -1)
        xk = rng.binomial(nk, min(0.95, pk / 100 * np.exp(local[ind]) * drift))
        xm = rng.binomial(nm, min(0.95, pm / 100 * np.exp(local[ind]) * drift))
        for label, x, n in (("Kvinnor", xk, nk), ("Män", xm, nm), ("Totalt", xk + xm, nk + nm)):
            rows.append([code, year, ind, label, _dec(100 * x / n, 1), n])
    return rows


def write_population(path: Path, rows: list[list[object]], years: Sequence[int]) -> None:
    """SCB's CSV export: Windows-1252, commas, every field quoted."""
    _write_csv(path, ["region", "kön", *[str(y) for y in years]], rows, encoding="cp1252",
               sep=",", quote_all=True)


def write_counts(path: Path, rows: list[list[object]]) -> None:
    """Brå-like counts (`count_rows`): UTF-8 with BOM, semicolons, thousands spaced."""
    _write_csv(path, ["Kommun", "Kommunkod", "År", "Brottskategori", "Kön", "Antal"],
               [[*row[:-1], _thousands(int(row[-1]))] for row in rows],
               encoding="utf-8-sig", sep=";")


def write_indicators(path: Path, rows: list[list[object]]) -> None:
    """Survey indicators with n (`survey_rows`): UTF-8 with BOM, decimal comma."""
    _write_csv(path, ["Kommunkod", "År", "Indikator", "Kön", "Andel (%)", "Antal svarande"],
               rows, encoding="utf-8-sig", sep=";")


def _write_csv(path: Path, header: list[str], rows: list[list[object]], *, encoding: str,
               sep: str, quote_all: bool = False) -> None:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=sep, lineterminator="\r\n",
                        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))


def _dec(value: float, digits: int) -> str:
    return f"{value:.{digits}f}".replace(".", ",")


def _thousands(value: int) -> str:
    return f"{value:,}".replace(",", " ")
