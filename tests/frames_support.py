"""A tiny hand-made `Frames`: län 24 with kommuner 2417 (Norsjö) and 2422 (Sorsele).

Every number is small enough to check by hand; the tests that use it say what they expect.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from lagesbild.core import schema
from lagesbild.core.frames import Frames

WEST = box(700_000, 7_190_000, 710_000, 7_200_000)
EAST = box(710_000, 7_190_000, 720_000, 7_200_000)
LAN = box(700_000, 7_190_000, 720_000, 7_200_000)

POPULATION = {  # (area, year, sex) -> inhabitants
    ("2417", 2024, "K"): 2000, ("2417", 2024, "M"): 2000, ("2417", 2024, "T"): 4000,
    ("2422", 2024, "K"): 1000, ("2422", 2024, "M"): 1000, ("2422", 2024, "T"): 2000,
    ("2417", 2023, "K"): 2010, ("2417", 2023, "M"): 1990, ("2417", 2023, "T"): 4000,
    ("2422", 2023, "K"): 1000, ("2422", 2023, "M"): 1000, ("2422", 2023, "T"): 2000,
}

# (area, period, category) -> (K, M, T); T also counts victims of unknown sex
COUNTS = {
    ("2417", "2024", "Misshandel"): (6, 10, 16),
    ("2417", "2024", "Våldtäkt"): (5, 0, 5),
    ("2417", "2024", "Olaga hot"): (3, 9, 12),
    ("2417", "2024", "Skadegörelse"): (20, 20, 40),
    ("2422", "2024", "Misshandel"): (2, 7, 9),
    ("2422", "2024", "Olaga hot"): (8, 8, 16),
    ("2422", "2024", "Skadegörelse"): (1, 3, 4),
    ("2417", "2023", "Misshandel"): (10, 10, 20),
    ("2422", "2023", "Misshandel"): (10, 10, 20),
}

# (area, year, category, victim sex, relation) per single incident
INCIDENTS = [
    ("2417", 2024, "Misshandel", "K", True), ("2417", 2024, "Misshandel", "K", True),
    ("2417", 2024, "Misshandel", "K", True), ("2417", 2024, "Misshandel", "K", True),
    ("2417", 2024, "Misshandel", "K", True), ("2417", 2024, "Misshandel", "M", True),
    ("2417", 2024, "Misshandel", "M", False), ("2417", 2024, "Våldtäkt", "K", False),
    ("2417", 2024, "Olaga hot", None, False),
    ("2422", 2024, "Misshandel", "M", False), ("2422", 2024, "Olaga hot", "K", True),
    ("2422", 2023, "Misshandel", "K", True),
]

# (area, period, indicator, sex) -> (share %, respondents)
INDICATORS = {
    ("2417", "2024", "otrygghet", "K"): (20.0, 100), ("2417", "2024", "otrygghet", "M"): (10.0, 100),
    ("2417", "2024", "otrygghet", "T"): (15.0, 200),
    ("2422", "2024", "otrygghet", "K"): (30.0, 20), ("2422", "2024", "otrygghet", "M"): (10.0, 40),
    ("2422", "2024", "otrygghet", "T"): (50.0 / 3, 60),
    ("2417", "2024", "utsatt_misshandel", "T"): (2.0, 250),  # 5 answering yes: shown
    ("2417", "2023", "otrygghet", "T"): (12.0, 150),
}

SITES = [  # id, name, kind, area, eligible pupils, x, y
    ("2417-S01", "Norsjö centralskola", "grundskola", "2417", 100, 705_000, 7_195_000),
    ("2417-S02", "Norsjö byskola", "grundskola", "2417", 50, 703_000, 7_193_000),
    ("2417-F01", "Fritidsgården Norsjö", "fritidsgård", "2417", None, 706_000, 7_196_000),
    ("2422-S01", "Sorsele skola", "grundskola", "2422", 40, 715_000, 7_195_000),
]

ACTIVITY = [  # site, area, programme, term, classes, pupils, staff, status
    ("2417-S01", "2417", "MVP", "HT2024", 2, 45, 3, "genomförs"),
    ("2417-S02", "2417", "MVP", "HT2024", 0, 0, 0, "planerad"),
    ("2422-S01", "2422", "MVP Mellanstadiet", "HT2024", 1, 20, 2, "genomförs"),
    ("2417-S01", "2417", "MVP", "VT2024", 2, 40, 2, "genomförs"),
    ("2417-S01", "2417", "MVP Mellanstadiet", "VT2024", 0, 0, 0, "avslutad"),
]

ACTIONS = [  # id, focus area, title, responsible, period, status, areas, indicators
    ("A3", "samverkan", "Gemensam lägesbild", "Samordnaren", "2024", "pågår", "2417,2422", ""),
    ("A1", "valdsforebyggande", "MVP i åk 7–9", "Skolan", "2024", "genomförd", "2417", "otrygghet"),
    ("A2", "valdsforebyggande", "Trygghetsvandring", "Samhällsbyggnad", "2024", "försenad", "2422", ""),
    ("A4", "kunskap", "Utbildning för personal", "HR", "2025", "ej påbörjad", "", ""),
]


def tiny_frames(*, area_names: tuple[str, str] = ("Norsjö", "Sorsele")) -> Frames:
    areas = gpd.GeoDataFrame({
        "area_id": ["24", "2417", "2422"], "level": ["lan", "kommun", "kommun"],
        "code": ["24", "2417", "2422"], "name": ["Västerbottens län", *area_names],
        "parent_id": [None, "24", "24"], "source": "gränser",
    }, geometry=[LAN, WEST, EAST], crs=schema.CRS_STORE)
    population = pd.DataFrame(
        [(a, y, s, p, "folkmängd") for (a, y, s), p in POPULATION.items()],
        columns=["area_id", "year", "sex", "population", "source"])
    counts = pd.DataFrame(
        [(a, p, c, sex, n, "brå.csv") for (a, p, c), kmt in COUNTS.items()
         for sex, n in zip("KMT", kmt)],
        columns=["area_id", "period", "category", "sex", "count", "source"])
    incidents = gpd.GeoDataFrame({
        "incident_id": [f"i{i}" for i in range(len(INCIDENTS))],
        "occurred_at": [pd.Timestamp(y, 6, 1) for _, y, *_ in INCIDENTS],
        "year": [y for _, y, *_ in INCIDENTS],
        "category": [c for _, _, c, *_ in INCIDENTS],
        "source_category": [c for _, _, c, *_ in INCIDENTS],
        "relation": [r for *_, r in INCIDENTS],
        "victim_sex": [s for *_, s, _ in INCIDENTS],
        "area_id": [a for a, *_ in INCIDENTS], "precision": "point", "source": "utdrag.csv",
    }, geometry=[Point(705_000 if a == "2417" else 715_000, 7_195_000) for a, *_ in INCIDENTS],
        crs=schema.CRS_STORE)
    indicators = pd.DataFrame(
        [(a, p, i, s, v, "percent", n, None, None, "enkät.csv")
         for (a, p, i, s), (v, n) in INDICATORS.items()],
        columns=["area_id", "period", "indicator_id", "sex", "value", "unit", "n", "ci_low",
                 "ci_high", "source"])
    sites = gpd.GeoDataFrame(
        [(i, n, k, a, e, "skolor.csv") for i, n, k, a, e, *_ in SITES],
        columns=["site_id", "name", "kind", "area_id", "eligible_pupils", "source"],
        geometry=[Point(x, y) for *_, x, y in SITES], crs=schema.CRS_STORE)
    activity = pd.DataFrame([(*row, "program.csv") for row in ACTIVITY],
                            columns=["site_id", "area_id", "programme", "period", "classes",
                                     "pupils_reached", "staff_trained", "status", "source"])
    actions = pd.DataFrame([(*row, "åtgärder.csv") for row in ACTIONS],
                           columns=["action_id", "focus_area", "title", "responsible", "period",
                                    "status", "area_ids", "indicator_ids", "source"])
    datasets = pd.DataFrame({
        "dataset": ["brå.csv", "utdrag.csv", "enkät.csv"], "table": "x", "kind": "x",
        "file": ["brå.csv", "utdrag.csv", "enkät.csv"], "rows": 1, "rejected": 0,
        # the extract declares the days it covers: its dozen events alone would say one day
        "period": ["2023–2024", "2023-01-01–2024-12-31", "2024"], "imported_at": "2026-01-02T10:00:00+00:00",
        "description": ""})
    given = {"areas": areas, "population": population, "incidents": incidents,
             "incident_counts": counts, "indicators": indicators, "sites": sites,
             "programme_activity": activity, "actions": actions}
    # tables this module does not know (added later to the schema) are empty
    tables = {name: schema.conform(given[name], name) if name in given else schema.empty(name)
              for name in schema.TABLES}
    return Frames(**tables, datasets=datasets)

_DEMO: dict[str, Path] = {}


def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The temporary folder of the whole run, shared by its xdist workers."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def shared_build(tmp_path_factory: pytest.TempPathFactory, name: str,
                 build: Callable[[Path], object]) -> Path:
    """The file `name` made by `build(path)` once per test run for all its xdist workers (the
    first to ask builds it under a lock; the others wait and get the same file). A workspace
    built twice differs in its import times, and its derived tables are kept by content
    (`store.derived`): one file is computed once. Callers must not write to it."""
    folder = run_folder(tmp_path_factory) / "shared"
    folder.mkdir(exist_ok=True)
    path = folder / name
    with open(folder / f"{name}.build-lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not path.exists():
            building = folder / f"building-{os.getpid()}" / name
            building.parent.mkdir(exist_ok=True)
            build(building)
            os.replace(building, path)
    return path


def shared_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo workspace, built once per test run for all its xdist workers
    (`shared_build`); callers must not write to it."""
    if "path" not in _DEMO:
        from lagesbild.store import demo

        _DEMO["path"] = shared_build(tmp_path_factory, "demo.gpkg", demo.build_workspace)
    return _DEMO["path"]


def demo_inputs(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """(frames, specs, taxonomy, settings) of the shared demo workspace, loaded once."""
    if "inputs" not in _DEMO:
        from lagesbild.core.taxonomy import load_taxonomy
        from lagesbild.store.frames import load_frames
        from lagesbild.core.layers import load_layers
        from lagesbild.core.settings import get_settings
        from lagesbild.store.gpkg import GpkgWorkspace

        settings = get_settings()
        frames = load_frames(GpkgWorkspace(shared_demo(tmp_path_factory)))
        _DEMO["inputs"] = (frames, load_layers(settings.layers_dir),  # type: ignore[assignment]
                           load_taxonomy(settings.layers_dir / "pyramid.toml"), settings)
    return _DEMO["inputs"]


def norsjo_2025_counts(folder: Path) -> Path:
    """Brå's table for 2025 for Norsjö only (the demo's 2024 rows, relabelled): a partial year
    of one kommun, as the browser walk and the period tests import it."""
    counts = Path(__file__).resolve().parents[1] / "data" / "demo" / "bra_anmalda_brott_2019-2024.csv"
    lines = counts.read_text(encoding="utf-8-sig").splitlines()
    rows = [line.replace(";2024;", ";2025;") for line in lines[1:]
            if line.startswith("Norsjö;2417;2024;")]
    source = folder / "bra_norsjo_2025.csv"
    source.write_text("\n".join([lines[0], *rows]) + "\n", encoding="utf-8")
    return source


def with_norsjo_2025(demo: Path, folder: Path, name: str = "partial.gpkg") -> Path:
    """A copy of the demo workspace `demo` in `folder` with `norsjo_2025_counts` imported."""
    import shutil

    from lagesbild.store import importer
    from lagesbild.store.gpkg import GpkgWorkspace

    path = folder / name
    shutil.copyfile(demo, path)
    source = norsjo_2025_counts(folder)
    importer.import_file(GpkgWorkspace(path), "crime_counts", source, name=source.name)
    return path
