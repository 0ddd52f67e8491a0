"""The two stores side by side: building the demo, and storing and reading back a 1 M-row
incidents dataset, in seconds and peak resident memory (each run in a process of its own).

    python -m benchmarks.store_bench [--database URL] [--rows 1000000]

Without --database a throwaway local PostgreSQL + PostGIS server is started (tests/pg_server.py).
Not part of `lagesbild bench`: a measurement for the README's "Delad server (PostGIS)".
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _incidents(rows: int):  # noqa: ANN202 - a GeoDataFrame
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    import shapely

    from lagesbild.core import schema

    rng = np.random.default_rng(2024)
    kommuner = np.array(["2480", "2482", "2401", "2403", "2404", "2409", "2417", "2418"])
    when = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 366 * 86400, rows), "s")
    frame = pd.DataFrame({
        "incident_id": [f"5000-K{i:07d}-24" for i in range(rows)], "occurred_at": when,
        "year": 2024, "category": rng.choice(["Misshandel", "Olaga hot", "Rån", "Våldtäkt"], rows),
        "source_category": "Misshandel", "relation": rng.random(rows) < 0.2,
        "victim_sex": rng.choice(["K", "M"], rows), "area_id": rng.choice(kommuner, rows),
        "sub_area_id": None, "precision": "point", "source": "", "age_group": None})
    points = shapely.points(rng.uniform(600_000, 800_000, rows),
                            rng.uniform(7_100_000, 7_300_000, rows))
    return schema.conform(gpd.GeoDataFrame(frame, geometry=points, crs=schema.CRS_STORE),
                          "incidents")


def _one(what: str, location: str, rows: int) -> dict[str, float]:
    """Runs in the child process: one measurement, printed as JSON."""
    from lagesbild.core.dataset import Dataset
    from lagesbild.store import demo
    from lagesbild.store.workspace import open_workspace

    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out: dict[str, float] = {}
    if what == "demo":
        started = time.perf_counter()
        demo.build_workspace(location)
        out["demo_s"] = time.perf_counter() - started
    else:
        frame = _incidents(rows)
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        ws = open_workspace(location)
        started = time.perf_counter()
        with ws.transaction() as writer:
            writer.replace_dataset(Dataset("stor.csv", "incidents", "incidents", "stor.csv"),
                                   frame)
        out["store_s"] = time.perf_counter() - started
        del frame
        started = time.perf_counter()
        back = ws.read("incidents")
        out["read_s"] = time.perf_counter() - started
        out["rows"] = len(back)
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["peak_above_start_mb"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", default=None)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--child", nargs=2, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_one(args.child[0], args.child[1], args.rows)))
        return
    server = None
    if args.database is None:
        sys.path.insert(0, str(ROOT / "tests"))
        from pg_server import LocalServer

        server = LocalServer().start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for what in ("demo", "big"):
                for store in ("gpkg", "postgis"):
                    location = str(Path(tmp) / f"{what}.gpkg") if store == "gpkg" else (
                        server.workspace_url(f"bench_{what}") if server else args.database)
                    done = subprocess.run(
                        [sys.executable, "-m", "benchmarks.store_bench", "--rows",
                         str(args.rows), "--child", what, location],
                        cwd=ROOT, capture_output=True, text=True, check=True)
                    result = json.loads(done.stdout.strip().splitlines()[-1])
                    print(f"{what:5} {store:8} " + "  ".join(
                        f"{k} {v:.1f}" for k, v in result.items()), flush=True)
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
