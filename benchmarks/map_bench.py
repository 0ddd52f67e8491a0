"""The national DeSO-scale map sent to the browser: naive folium.Choropleth vs the cached fast path.

    python -m benchmarks.map_bench [--repeats 3] [--n-small 6000] [--no-real]

Both paths make the page a browser gets, `m.get_root().render()`, from the same areas (EPSG:3006)
and values, in this process; the payload is the page's size in UTF-8 bytes, the time is the best
of `repeats` runs with `time.perf_counter` (garbage collected before each run).

- naive: what a user of this stack writes first: the unsimplified areas with all their columns,
  reprojected to EPSG:4326 at full precision, in `folium.Choropleth` keyed on area_id. It has no
  cache, so a "warm" build (new values, same geometry) runs the same code again.
- fast: `lagesbild.render.web_payload`: `prepare_geometry` (fingerprint of the areas; on a miss,
  coverage simplification, quantisation, packing) and `fast_choropleth` with tooltips (name or
  id, value, source). Cold: the geometry cache is cleared before every run. Warm: the cache holds
  the geometry, the values are new (another draw, 15 % of the areas without a value).

Cases: the synthetic national setting (`benchmarks.synthetic.national_areas`: the real kommun
borders cut into ~6 000 DeSO-like areas), and, when ../shared/data/boundaries holds them, the real
DeSO of Göteborgsregionen (584) and the real kommuner (290). Targets: the fast page at most 1/14
of the naive one, warm build at least 10x faster, shared borders gap-free (`gap_free`).
"""

from __future__ import annotations

import argparse
import gc
import os
import time
from collections.abc import Callable
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from lagesbild.render import web_payload as wp

BOUNDARIES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "boundaries"
REAL = {
    "DeSO Göteborgsregionen (real)": ("deso_2025_goteborgsregionen_epsg3006.gpkg", "desokod"),
    "kommuner (real)": ("kommuner_2025_skr_fa_la_epsg3006.gpkg", "kommun_kod"),
}
PAYLOAD_TARGET = 14.0  # naive / fast bytes
WARM_TARGET = 10.0  # naive / fast warm seconds


def naive_html(areas: gpd.GeoDataFrame, values: pd.DataFrame) -> str:
    """The first thing a folium user writes: Choropleth of the full geometry, all columns."""
    m = folium.Map(location=[62.0, 16.0], zoom_start=5)
    folium.Choropleth(geo_data=areas.to_crs("EPSG:4326"), data=values,
                      columns=["area_id", "value"], key_on="feature.properties.area_id",
                      fill_color="YlOrRd", nan_fill_color="lightgray", fill_opacity=0.8,
                      line_weight=0.5, legend_name="Våld per 100 000").add_to(m)
    return m.get_root().render()


def fast_html(areas: gpd.GeoDataFrame, values: pd.DataFrame, *, encoding: str = "packed",
              tooltips: bool = True) -> str:
    web = wp.prepare_geometry(areas)
    m = wp.fast_choropleth(web, values, title="Våld per 100 000", source="synthetic",
                           period="2024", encoding=encoding, tooltips=tooltips)
    return m.get_root().render()


def _best(fn: Callable[[], str], repeats: int, before: Callable[[], None] | None = None
          ) -> tuple[float, str]:
    best, out = float("inf"), ""
    for _ in range(max(int(repeats), 1)):
        if before is not None:
            before()
        gc.collect()
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def _values(areas: gpd.GeoDataFrame, seed: int, *, drop: float = 0.0) -> pd.DataFrame:
    """Seeded rates per area (log-normal, per 100 000); `drop` of the areas left out."""
    rng = np.random.default_rng([seed, 7])
    values = pd.DataFrame({"area_id": areas["area_id"].astype(str).to_numpy(),
                           "value": np.round(rng.lognormal(np.log(800.0), 0.6, len(areas)), 1)})
    if drop:
        values = values[rng.random(len(values)) >= drop].reset_index(drop=True)
    return values


def bench_case(areas: gpd.GeoDataFrame, *, repeats: int = 3, seed: int = 2024) -> dict:
    """Payload and build times of both paths on `areas` (EPSG:3006, area_id) and gap_free."""
    first = _values(areas, seed)
    second = _values(areas, seed + 1, drop=0.15)  # new values and a filter, same geometry
    out: dict = {"areas": len(areas),
                 "vertices": int(shapely.get_num_coordinates(areas.geometry.values).sum())}

    naive_cold, naive_page = _best(lambda: naive_html(areas, first), repeats)
    naive_warm, _ = _best(lambda: naive_html(areas, second), repeats)
    fast_cold, fast_page = _best(lambda: fast_html(areas, first), repeats, before=wp.cache_clear)
    fast_html(areas, first)  # the geometry is cached from here on
    fast_warm, fast_warm_page = _best(lambda: fast_html(areas, second), repeats)
    info = wp.cache_info()
    web = wp.prepare_geometry(areas)
    geojson_page = fast_html(areas, first, encoding="geojson")
    bare_page = fast_html(areas, first, tooltips=False)

    out.update({
        "naive_bytes": len(naive_page.encode()), "fast_bytes": len(fast_page.encode()),
        "fast_warm_bytes": len(fast_warm_page.encode()),
        "fast_geometry_bytes": len(web.packed.encode()),
        "fast_geojson_page_bytes": len(geojson_page.encode()),
        "fast_no_tooltip_bytes": len(bare_page.encode()),
        "naive_cold_s": naive_cold, "naive_warm_s": naive_warm,
        "fast_cold_s": fast_cold, "fast_warm_s": fast_warm,
        "tolerance_m": web.tolerance, "digits": web.digits,
        "fast_vertices": int(shapely.get_num_coordinates(web.geometry).sum()),
        "cache": info,
    })
    out["payload_ratio"] = out["naive_bytes"] / out["fast_bytes"]
    out["warm_speedup"] = naive_warm / fast_warm
    out["cold_speedup"] = naive_cold / fast_cold
    start = time.perf_counter()
    out["gap_free"] = wp.gap_free(web)
    out["gap_free_s"] = time.perf_counter() - start
    out["payload_ok"] = out["payload_ratio"] >= PAYLOAD_TARGET
    out["warm_ok"] = out["warm_speedup"] >= WARM_TARGET
    return out


def _real(file: str, id_col: str) -> gpd.GeoDataFrame | None:
    path = BOUNDARIES / file
    if not path.is_file():
        return None
    frame = gpd.read_file(path)
    frame.insert(0, "area_id", frame[id_col].astype(str))
    # columns the naive page could not serialise (dates) become text; all columns stay
    for col in frame.columns:
        if col != "geometry" and not (pd.api.types.is_numeric_dtype(frame[col])
                                      or pd.api.types.is_string_dtype(frame[col])):
            frame[col] = frame[col].astype(str)
    return frame


def run(*, repeats: int = 3, seed: int = 2024, n_small: int = 6000, real: bool = True) -> dict:
    """Every case: {"cases": {name: bench_case(...)}, "skipped": [...], "cpus": n}."""
    from benchmarks.synthetic import national_areas

    # untimed warm-up of both code paths (imports, template compilation) on a tiny frame
    _, tiny = national_areas(seed=seed, n_small=300, kommuner=["0114", "0115"])
    naive_html(tiny, _values(tiny, seed))
    fast_html(tiny, _values(tiny, seed))
    wp.cache_clear()

    cases: dict[str, dict] = {}
    skipped: list[str] = []
    _, small = national_areas(seed=seed, n_small=n_small)
    cases[f"synthetic national ({len(small)})"] = bench_case(small, repeats=repeats, seed=seed)
    if real:
        for name, (file, id_col) in REAL.items():
            frame = _real(file, id_col)
            if frame is None:
                skipped.append(f"{name}: {BOUNDARIES / file} not found")
                continue
            cases[f"{name} ({len(frame)})"] = bench_case(frame, repeats=repeats, seed=seed)
    return {"cases": cases, "skipped": skipped, "cpus": os.cpu_count(), "repeats": repeats}


def _table(result: dict) -> str:
    cases = result["cases"]
    names = list(cases)
    rows: list[tuple[str, Callable[[dict], str]]] = [
        ("areas / input vertices", lambda c: f"{c['areas']:,} / {c['vertices']:,}"),
        ("tolerance m / digits / vertices", lambda c: f"{c['tolerance_m']:g} / {c['digits']} / "
                                                     f"{c['fast_vertices']:,}"),
        ("payload naive (bytes)", lambda c: f"{c['naive_bytes']:,}"),
        ("payload fast (bytes)", lambda c: f"{c['fast_bytes']:,}"),
        ("  of which geometry", lambda c: f"{c['fast_geometry_bytes']:,}"),
        ("  fast, no tooltips", lambda c: f"{c['fast_no_tooltip_bytes']:,}"),
        ("  fast, compact GeoJSON", lambda c: f"{c['fast_geojson_page_bytes']:,}"),
        (f"ratio naive/fast (>= {PAYLOAD_TARGET:g})",
         lambda c: f"{c['payload_ratio']:.1f} {'ok' if c['payload_ok'] else 'MISSED'}"),
        ("cold build naive / fast (s)", lambda c: f"{c['naive_cold_s']:.3f} / {c['fast_cold_s']:.3f}"),
        ("warm build naive / fast (s)", lambda c: f"{c['naive_warm_s']:.3f} / {c['fast_warm_s']:.4f}"),
        (f"warm speedup (>= {WARM_TARGET:g}x)",
         lambda c: f"{c['warm_speedup']:.1f}x {'ok' if c['warm_ok'] else 'MISSED'}"),
        ("cold speedup", lambda c: f"{c['cold_speedup']:.1f}x"),
        ("gap-free", lambda c: "ok" if c["gap_free"]["ok"] else "FAILED"),
        ("  coverage valid / invalid edges m", lambda c: f"{c['gap_free']['coverage_valid']} / "
                                                         f"{c['gap_free']['invalid_edges_m']:.1f}"),
        ("  union parts / holes before->after",
         lambda c: f"{c['gap_free']['parts_before']}->{c['gap_free']['parts_after']} / "
                   f"{c['gap_free']['holes_before']}->{c['gap_free']['holes_after']}"),
        ("  overlap m2 / narrow gaps m after",
         lambda c: f"{c['gap_free']['overlap_area_m2']:.2g} / "
                   f"{c['gap_free']['narrow_gaps_after_m']:.1f}"),
        ("  max area change / areas > 10 %",
         lambda c: f"{c['gap_free']['max_area_change']:.1%} / "
                   f"{c['gap_free']['areas_changed_over_10pct']}"),
    ]
    width = max(len(r[0]) for r in rows)
    cols = [max(len(n), *(len(f(cases[n])) for _, f in rows)) for n in names]
    lines = [" " * width + " | " + " | ".join(n.ljust(w) for n, w in zip(names, cols))]
    lines.append("-" * len(lines[0]))
    for label, f in rows:
        lines.append(label.ljust(width) + " | "
                     + " | ".join(f(cases[n]).ljust(w) for n, w in zip(names, cols)))
    lines.append(f"best of {result['repeats']} runs, one process, {result['cpus']} CPUs; "
                 "page = m.get_root().render() in UTF-8 bytes")
    lines += [f"skipped {s}" for s in result["skipped"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--n-small", type=int, default=6000)
    parser.add_argument("--no-real", action="store_true", help="only the synthetic case")
    args = parser.parse_args(argv)
    result = run(repeats=args.repeats, seed=args.seed, n_small=args.n_small, real=not args.no_real)
    print(_table(result))
    ok = all(c["payload_ok"] and c["warm_ok"] and c["gap_free"]["ok"]
             for c in result["cases"].values())
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
