"""The incident count cube counted by the store (SQL) against the pandas path, in one run.

    python -m benchmarks.cube_bench [--workspace PATH] [--deso 600] [--incidents 200000]
                                    [--counties 01,14] [--database URL | --postgis]

Without --workspace a national-like workspace is built (`benchmarks.national_workspace`, the
län given by --counties; --counties all for the whole country). Measured, each the best of
--repeats: `Workspace.incident_cube()` (one GROUP BY in SQLite; on PostGIS too with --database,
the same incidents stored there) against reading the rows (`read_incidents`) and grouping them
in pandas (`core.incident_cube.cube_of`, and a plain `DataFrame.groupby`); and the kommun cube of
every year (`analysis.cube.count_cube(source="incidents")`) from the store's cube against the
rows grouped as before (`rows_count_cube`). Also `lagesbild bench --only cube`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from lagesbild.analysis.cube import KEYS, incident_rows
from lagesbild.analysis.pyramid import incident_pyramid, pyramid_levels
from lagesbild.core.frames import Frames
from lagesbild.core.taxonomy import ALL, Taxonomy


def rows_count_cube(frames: Frames, *, period: str, taxonomy: Taxonomy) -> pd.DataFrame:
    """`count_cube(source="incidents")` as it was before the store's cube: the period's rows
    grouped in pandas (kept verbatim: the reference the tests compare the cube's result with,
    and the "before" here)."""
    data = frames.incidents.iloc[incident_rows(frames, period)]
    kommuner = frames.kommuner["area_id"].astype(str).tolist()
    cube = incident_pyramid(data[data["area_id"].isin(kommuner)], taxonomy, by="area_id")
    pairs = cube[["level", "category"]].drop_duplicates()
    totals = pd.DataFrame({"level": pyramid_levels(taxonomy), "category": ALL})
    pairs = pd.concat([totals, pairs], ignore_index=True).drop_duplicates()
    pairs = pairs.assign(_total=pairs["category"] == ALL).sort_values(
        ["level", "_total", "category"], ascending=[False, False, True]).drop(columns="_total")
    grid = pd.DataFrame([(a, lv, c, s) for a in kommuner
                         for lv, c in pairs.itertuples(index=False) for s in ("K", "M", "T")],
                        columns=KEYS)
    cube = grid.merge(cube, on=KEYS, how="left").fillna({"count": 0})
    cube["count"] = cube["count"].astype("int64")
    for lan_id in frames.lan["area_id"].astype(str):
        county = cube[cube["area_id"].str[:2] == lan_id[:2]]
        county = county.groupby(["level", "category", "sex"], as_index=False)["count"].sum()
        cube = pd.concat([cube, county.assign(area_id=lan_id)], ignore_index=True)
    return cube[[*KEYS, "count"]]


def _best(fn: Callable[[], object], repeats: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def _store_side(workspace, repeats: int) -> dict:  # noqa: ANN001 - a Workspace
    from lagesbild.core.incident_cube import CUBE_KEYS, cube_of

    sql_s, cube = _best(workspace.incident_cube, repeats)
    read_s, rows = _best(workspace.read_incidents, repeats)
    group_s, counted = _best(lambda: cube_of(rows), repeats)
    plain_s, _ = _best(lambda: rows.groupby(list(CUBE_KEYS), dropna=False, observed=True)
                       .size(), repeats)
    pd.testing.assert_frame_equal(cube, counted)  # the same table, or the timing is moot
    return {"rows": len(rows), "cube_rows": len(cube), "sql_s": sql_s, "read_rows_s": read_s,
            "pandas_group_s": group_s, "pandas_groupby_s": plain_s,
            "ratio_vs_read_and_group": (read_s + group_s) / sql_s,
            "ratio_vs_group_alone": group_s / sql_s}


def run(*, workspace: str | None = None, deso: int = 600, incidents: int = 200_000,
        counties: tuple[str, ...] | None = ("01", "14"), database: str | None = None,
        repeats: int = 3) -> dict:
    from lagesbild.analysis.cube import count_cube
    from lagesbild.core.settings import get_settings
    from lagesbild.core.taxonomy import load_taxonomy
    from lagesbild.store.frames import load_frames
    from lagesbild.store.gpkg import GpkgWorkspace

    out: dict = {}
    with tempfile.TemporaryDirectory(prefix="lagesbild-cube-") as tmp:
        if workspace is None:
            from benchmarks import national_workspace

            start = time.perf_counter()
            workspace = str(national_workspace.build(
                Path(tmp) / "national.gpkg", deso=deso, incidents=incidents, counties=counties,
                sites=False))
            out["build_s"] = time.perf_counter() - start
        ws = GpkgWorkspace(workspace)
        out["workspace"] = workspace
        out["gpkg"] = _store_side(ws, repeats)
        if database:
            out["postgis"] = _postgis_side(ws, database, repeats)
        frames = load_frames(ws)
        taxonomy = load_taxonomy(get_settings().layers_dir / "pyramid.toml")
        periods = sorted({str(y) for y in frames.incidents["year"].dropna()})

        def fresh(with_cube: bool) -> Frames:  # a new memo (incident_years, cube_years)
            copy = dataclasses.replace(frames)
            return copy.with_incident_cube(frames.incident_cube) if with_cube else copy

        def before() -> list[pd.DataFrame]:
            copy = fresh(False)
            return [rows_count_cube(copy, period=p, taxonomy=taxonomy) for p in periods]

        def after() -> list[pd.DataFrame]:
            copy = fresh(True)
            return [count_cube(copy, period=p, source="incidents", taxonomy=taxonomy)
                    for p in periods]

        before_s, old = _best(before, repeats)
        after_s, new = _best(after, repeats)
        for a, b in zip(old, new):  # type: ignore[arg-type]
            pd.testing.assert_frame_equal(a, b)
        out["count_cube"] = {"periods": periods, "kommuner": len(frames.kommuner),
                             "before_rows_s": before_s, "after_cube_s": after_s,
                             "ratio": before_s / after_s}
    return out


def _postgis_side(ws, database: str, repeats: int) -> dict:  # noqa: ANN001
    """The GeoPackage's incidents stored in a new schema of `database`, measured there."""
    import uuid
    from urllib.parse import urlsplit

    from lagesbild.core.dataset import Dataset
    from lagesbild.store.postgis import PostgisWorkspace

    sep = "&" if urlsplit(database).query else "?"
    pg = PostgisWorkspace(f"{database}{sep}schema=cube_bench_{uuid.uuid4().hex[:8]}")
    try:
        with pg.transaction() as writer:
            writer.replace_dataset(Dataset("utdrag", "incidents", "bench", "utdrag.csv"),
                                   ws.read("incidents"))
        return _store_side(pg, repeats)
    finally:
        pg.drop()
        pg.close()


def format_table(res: dict) -> str:
    lines = ["incident count cube (area × year × category × sex × age group)"]
    for store in ("gpkg", "postgis"):
        if store not in res:
            continue
        r = res[store]
        lines.append(
            f"  {store}: {r['rows']:,} rows -> {r['cube_rows']:,} groups; SQL GROUP BY "
            f"{r['sql_s']:.3f} s; rows read {r['read_rows_s']:.3f} s + pandas grouping "
            f"{r['pandas_group_s']:.3f} s (plain groupby {r['pandas_groupby_s']:.3f} s): "
            f"{r['ratio_vs_read_and_group']:.1f}x (grouping alone "
            f"{r['ratio_vs_group_alone']:.1f}x)")
    c = res["count_cube"]
    lines.append(f"  count_cube, {len(c['periods'])} years × {c['kommuner']} kommuner: rows "
                 f"{c['before_rows_s']:.3f} s, cube {c['after_cube_s']:.3f} s: "
                 f"{c['ratio']:.1f}x")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workspace", default=None, help="a GeoPackage workspace to measure")
    parser.add_argument("--deso", type=int, default=600)
    parser.add_argument("--incidents", type=int, default=200_000, help="incidents a year")
    parser.add_argument("--counties", default="01,14", help="län codes, or 'all'")
    parser.add_argument("--database", default=None, help="postgresql:// URL: PostGIS too")
    parser.add_argument("--postgis", action="store_true",
                        help="PostGIS too, on a throwaway local server (tests/pg_server.py)")
    parser.add_argument("--out", type=Path, default=None,
                        help="build the workspace here and keep it (default: a temp folder)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    counties = None if args.counties == "all" else tuple(
        c.strip() for c in args.counties.split(",") if c.strip())
    workspace = args.workspace
    if workspace is None and args.out is not None:
        from benchmarks import national_workspace

        workspace = str(national_workspace.build(args.out, deso=args.deso,
                                                 incidents=args.incidents, counties=counties,
                                                 sites=False))
    server = None
    if args.postgis and args.database is None:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
        from pg_server import LocalServer

        server = LocalServer().start()
    try:
        res = run(workspace=workspace, deso=args.deso, incidents=args.incidents,
                  counties=counties, database=args.database or (server.url if server else None),
                  repeats=args.repeats)
    finally:
        if server is not None:
            server.stop()
    print(format_table(res), flush=True)
    if args.json:
        args.json.write_text(json.dumps(res, indent=2, default=str), encoding="utf-8")
    return res


if __name__ == "__main__":
    main(sys.argv[1:])
