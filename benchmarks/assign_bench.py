"""Points to areas at national scale: naive geopandas sjoin against `AreaIndex`, in one run.

    python -m benchmarks.assign_bench --points 200000

Both paths start from the same x/y arrays (synthetic, seeded: `benchmarks.synthetic`):

- naive: build a GeoDataFrame of shapely points (`geopandas.points_from_xy`) and
  `geopandas.sjoin(points, areas, predicate="within")`; building the frame is timed, as a user
  must do it.
- fast: `AreaIndex(areas.geometry)` + `.assign(x, y)`; the index build is timed too.

Each path runs in a fresh child process (multiprocessing "spawn") that loads the data, then
resets the kernel's resident-set high-water mark (/proc/self/clear_refs) and runs the path; its
peak memory is the high-water mark minus the resident set just before it ran, so numpy and GEOS
allocations count, imports and data do not. Runs alternate naive/fast; the best time and the
highest peak over the repeats are reported. The assignments are compared point by point (within
vs covered_by differ only for points exactly on a border) and as counts per area.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import tempfile
import time
from pathlib import Path

import numpy as np


def _status() -> dict[str, int]:
    """VmRSS / VmHWM of this process in bytes (Linux)."""
    out = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":")
                out[key] = int(value.split()[0]) * 1024
    return out


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")  # reset the resident-set high-water mark to the current size
        return True
    except OSError:
        return False


def _child(method: str, folder: str, chunk: int, conn) -> None:
    import geopandas as gpd

    from lagesbild.core.fast_assign import AreaIndex

    folder = Path(folder)
    areas = gpd.read_parquet(folder / "areas.parquet")
    x, y = np.load(folder / "x.npy"), np.load(folder / "y.npy")
    geoms = areas.geometry.values
    reset = _reset_peak()
    base = _status()
    build = None
    start = time.perf_counter()
    if method == "naive":
        points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=areas.crs)
        joined = gpd.sjoin(points, areas, predicate="within")
        elapsed = time.perf_counter() - start
        peak = _status()["VmHWM"]
        # (not timed) per point, the first area: within never matches two areas of a coverage
        # except where they overlap
        pt, ar = joined.index.to_numpy(), joined["index_right"].to_numpy()
        order = np.lexsort((ar, pt))
        pt, ar = pt[order], ar[order]
        first = np.unique(pt, return_index=True)[1]
        result = np.full(len(x), -1, dtype=np.int64)
        result[pt[first]] = ar[first]
        del points, joined
    else:
        index = AreaIndex(geoms)
        build = time.perf_counter() - start
        result = index.assign(x, y, chunk=chunk)
        elapsed = time.perf_counter() - start
        peak = _status()["VmHWM"]
    np.save(folder / f"result_{method}.npy", result)
    conn.send({"seconds": elapsed, "build_seconds": build,
               "peak_bytes": peak - base["VmRSS"] if reset else peak - base["VmHWM"],
               "peak_reset": reset})
    conn.close()


def _run_child(method: str, folder: str, chunk: int) -> dict:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(method, folder, chunk, child))
    proc.start()
    child.close()
    out = parent.recv()
    proc.join()
    if proc.exitcode != 0:
        raise RuntimeError(f"{method} child failed with exit code {proc.exitcode}")
    return out


def run(n_points: int = 5_000_000, seed: int = 2024, repeats: int = 1, *,
        n_small: int = 6000, chunk: int = 500_000, areas=None, label: str = "synthetic") -> dict:
    """Time and measure both paths on `n_points` points over ~`n_small` synthetic areas, or
    over the given `areas` (real boundaries; points spread by area)."""
    from benchmarks.synthetic import national_areas, points_where_people_live

    if areas is None:
        _, small = national_areas(seed=seed, n_small=n_small)
    else:
        small = areas[["area_id", "geometry"]].reset_index(drop=True)
    x, y = points_where_people_live(small, n_points, seed=seed)
    runs: dict[str, list[dict]] = {"naive": [], "fast": []}
    with tempfile.TemporaryDirectory(prefix="assign_bench_") as tmp:
        small[["area_id", "geometry"]].to_parquet(Path(tmp) / "areas.parquet")
        np.save(Path(tmp) / "x.npy", x)
        np.save(Path(tmp) / "y.npy", y)
        for _ in range(max(int(repeats), 1)):
            for method in ("naive", "fast"):
                runs[method].append(_run_child(method, tmp, chunk))
        naive_res = np.load(Path(tmp) / "result_naive.npy")
        fast_res = np.load(Path(tmp) / "result_fast.npy")
    n = len(x)
    naive_s = min(r["seconds"] for r in runs["naive"])
    fast_s = min(r["seconds"] for r in runs["fast"])
    naive_peak = max(r["peak_bytes"] for r in runs["naive"])
    fast_peak = max(r["peak_bytes"] for r in runs["fast"])
    counts = [np.bincount(r + 1, minlength=len(small) + 1) for r in (naive_res, fast_res)]
    return {
        "label": label, "n_points": n, "n_areas": len(small), "repeats": max(int(repeats), 1),
        "naive_seconds": naive_s, "fast_seconds": fast_s,
        "fast_build_seconds": min(r["build_seconds"] for r in runs["fast"]),
        "naive_points_per_second": n / naive_s, "fast_points_per_second": n / fast_s,
        "speedup": naive_s / fast_s,
        "naive_peak_mb": naive_peak / 2**20, "fast_peak_mb": fast_peak / 2**20,
        "memory_ratio": fast_peak / naive_peak if naive_peak > 0 else float("nan"),
        "peak_reset": all(r["peak_reset"] for rs in runs.values() for r in rs),
        "points_differing": int((naive_res != fast_res).sum()),
        "outside_points": int((fast_res < 0).sum()),
        "counts_identical": bool((counts[0] == counts[1]).all()),
    }


def format_table(res: dict) -> str:
    rows = [
        ("points / s", f"{res['naive_points_per_second']:,.0f}",
         f"{res['fast_points_per_second']:,.0f}", f"{res['speedup']:.1f}x"),
        ("seconds", f"{res['naive_seconds']:.2f}", f"{res['fast_seconds']:.2f}",
         f"{res['speedup']:.1f}x"),
        ("  of which index build", "-", f"{res['fast_build_seconds']:.2f}", ""),
        ("peak memory (MB)", f"{res['naive_peak_mb']:,.0f}", f"{res['fast_peak_mb']:,.0f}",
         f"{res['memory_ratio']:.3f}"),
    ]
    width = [max(len(r[i]) for r in rows + [("figure", "naive", "fast", "ratio")])
             for i in range(4)]
    lines = [f"{res.get('label', 'synthetic')}: {res['n_points']:,} points, {res['n_areas']:,} "
             f"areas, best of {res['repeats']}"]
    for row in [("figure", "naive", "fast", "ratio")] + rows:
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                               for i, (c, w) in enumerate(zip(row, width))))
    lines.append(f"same area for every point: {res['points_differing'] == 0} "
                 f"({res['points_differing']} differ); same counts per area: "
                 f"{res['counts_identical']}; outside every area: {res['outside_points']:,}")
    if not res["peak_reset"]:
        lines.append("(could not reset the memory high-water mark: peaks include data loading)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=5_000_000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--areas", type=int, default=6000, help="about this many small areas")
    parser.add_argument("--chunk", type=int, default=500_000)
    args = parser.parse_args(argv)
    res = run(args.points, args.seed, args.repeats, n_small=args.areas, chunk=args.chunk)
    print(format_table(res))
    return res


if __name__ == "__main__":
    main()
