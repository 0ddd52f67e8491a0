"""National scale against the naive stack: every figure measured in one run on this machine.

`python -m benchmarks` or `lagesbild bench`; the machine is described first.

Sections: assign (points to areas vs geopandas sjoin), map (browser payload and build time vs
folium.Choropleth of unsimplified geometry), app (rerun after a filter change vs rebuilding
everything), import (a national year of police-extract rows from CSV), browser (the demo in
Chromium: first load, a later session's first map, a filter change until the map is redrawn, a
page switch; the app vs the full folium re-render), load (50 concurrent websocket sessions
switching filters; the app vs every session re-rendering the whole map), audit (the release
audit's linear programs: a kept HiGHS model vs linprog per question), cube (the incident
count cube by SQL in the store vs the rows grouped in pandas, and the kommun cube from it vs
from the rows, on a two-län national-like workspace). Real boundaries in
../shared/data/boundaries/ are used too when present.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path

SECTIONS = ("assign", "map", "app", "import", "browser", "load", "audit", "cube")
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "boundaries"


def machine() -> dict:
    mem = ""
    try:
        with open("/proc/meminfo") as fh:
            mem = next(line.split()[1] for line in fh if line.startswith("MemTotal"))
    except OSError:
        pass
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next((line.split(":", 1)[1].strip() for line in fh
                        if line.startswith("model name")), cpu)
    except OSError:
        pass
    return {"cpu": cpu, "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
            else os.cpu_count(), "memory_gb": round(int(mem) / 2**20, 1) if mem else None,
            "python": platform.python_version(), "system": platform.platform()}


def _real_areas(file: str, code: str):  # noqa: ANN202
    path = SHARED / file
    if not path.is_file():
        return None
    import geopandas as gpd

    frame = gpd.read_file(path)
    return frame.assign(area_id=frame[code].astype(str))[["area_id", "geometry"]]


def run(sections: tuple[str, ...], *, points: int, rows: int, quick: bool,
        browser_n: int | None = None, load_workspace: str | None = None) -> dict:
    out: dict = {"machine": machine()}
    if "assign" in sections:
        from benchmarks import assign_bench

        out["assign"] = [assign_bench.run(points)]
        for file, code, label in (("deso_2025_goteborgsregionen_epsg3006.gpkg", "desokod",
                                   "real DeSO, Göteborgsregionen"),
                                  ("kommuner_2025_skr_fa_la_epsg3006.gpkg", "kommun_kod",
                                   "real kommuner (SKR)")):
            areas = _real_areas(file, code)
            if areas is not None:
                out["assign"].append(assign_bench.run(min(points, 1_000_000), areas=areas,
                                                      label=label))
        for res in out["assign"]:
            print(assign_bench.format_table(res), end="\n\n", flush=True)
    if "map" in sections:
        from benchmarks import map_bench

        out["map"] = map_bench.run(repeats=2 if quick else 3)
        print(map_bench._table(out["map"]), end="\n\n", flush=True)
    if "app" in sections:
        from benchmarks import app_bench

        out["app"] = app_bench.run(quick=quick)
        print(app_bench.format_table(out["app"]), end="\n\n", flush=True)
    if "import" in sections:
        from benchmarks import import_bench

        out["import"] = import_bench.run(rows, repeats=1 if quick else 3)
        print(import_bench.format_table(out["import"]), end="\n\n", flush=True)
    if "browser" in sections:
        from benchmarks import browser_bench

        n = browser_n if browser_n is not None else 3 if quick else 10
        out["browser"] = browser_bench.run(n=n)
        print(out["browser"]["report"], end="\n\n", flush=True)
    if "load" in sections:
        from benchmarks import load_bench

        out["load"] = load_bench.run(workspace=load_workspace, sessions=10 if quick else 50)
        print(out["load"]["report"], end="\n\n", flush=True)
    if "audit" in sections:
        from benchmarks import audit_bench

        out["audit"] = audit_bench.run(per_component=20 if quick else 60)
        print(audit_bench.format_table(out["audit"]), end="\n\n", flush=True)
    if "cube" in sections:
        from benchmarks import cube_bench

        out["cube"] = cube_bench.run(repeats=1 if quick else 3)
        print(cube_bench.format_table(out["cube"]), end="\n\n", flush=True)
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="lagesbild bench", description=__doc__.split("\n")[0])
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help=f"comma-separated sections: {', '.join(SECTIONS)}")
    parser.add_argument("--points", type=int, default=5_000_000, help="assign: points")
    parser.add_argument("--rows", type=int, default=1_500_000, help="import: CSV rows")
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--browser-n", type=int, default=None,
                        help="browser: repetitions (default 10, 3 with --quick)")
    parser.add_argument("--load-workspace", default=None,
                        help="load: the workspace to serve (default: the demo)")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args(argv)
    sections = tuple(s.strip() for s in args.only.split(",") if s.strip())
    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown section(s): {', '.join(unknown)}")
    info = machine()
    print(f"machine: {info['cpu']}, {info['cores']} cores, {info['memory_gb']} GB; "
          f"Python {info['python']}", end="\n\n", flush=True)
    result = run(sections, points=args.points, rows=args.rows, quick=args.quick,
                 browser_n=args.browser_n, load_workspace=args.load_workspace)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
