"""`web_payload`'s geometry: coverage-simplified, quantised, fingerprinted and cached."""

from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import cached_property

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from lagesbild.core import schema
from lagesbild.render.escape import esc
from lagesbild.render.web_pack import _js, pack

# Design zoom of a view: the zoom at which the map is read. A national DeSO map is read at
# kommun scale (zoom 8 shows a county and its towns); a county map at zoom 9; a kommun at 11.
VIEW_ZOOM = {"national": 8, "lan": 9, "kommun": 11}
DESIGN_LAT = 59.0  # where most people live (Stockholm 59.3, Göteborg 57.7, Malmö 55.6)
MIN_TOLERANCE = 10.0  # metres; below this the data's own precision dominates
# Area fidelity that `auto_tolerance` keeps: share of areas allowed to change by more than
# CHANGE_SOME of their area, and the largest change allowed for any area.
CHANGE_SOME, SHARE_SOME, CHANGE_MAX = 0.10, 0.01, 0.25
CACHE_SIZE = 8


def metres_per_pixel(zoom: float, lat: float = DESIGN_LAT) -> float:
    """Ground size of one 256-px-tile Web Mercator pixel at `zoom` and latitude `lat`."""
    return 156_543.033_928 * math.cos(math.radians(lat)) / 2.0 ** zoom


def tolerance_cap(view: str | float) -> float:
    """Largest tolerance (m) for a view name (VIEW_ZOOM) or zoom: one pixel, to 2 significant digits."""
    zoom = VIEW_ZOOM[view] if isinstance(view, str) else float(view)
    return float(f"{metres_per_pixel(zoom):.2g}")


def digits_for(tolerance: float) -> int:
    """Fewest decimals of a degree whose latitude step (111 km / 10^d) is at most tolerance / 10."""
    step = max(float(tolerance), 1e-9) / 10.0
    return int(min(max(math.ceil(math.log10(111_320.0 / step)), 4), 7))


def fingerprint(areas: gpd.GeoDataFrame, id_col: str = "area_id") -> str:
    """Hash of the areas' CRS, ids (in order) and exact geometry (WKB)."""
    h = hashlib.blake2b(digest_size=16)
    h.update(str(areas.crs).encode())
    h.update("\x1f".join(areas[id_col].astype(str)).encode("utf-8", "surrogatepass"))
    wkb = shapely.to_wkb(np.asarray(areas.geometry.values, dtype=object))
    h.update(b"".join(b"" if w is None else w for w in wkb))
    return h.hexdigest()


@dataclass(frozen=True, eq=False)


class WebGeometry:
    """Simplified, rounded EPSG:4326 areas and their compact serialisation (read-only, cached)."""

    key: tuple
    ids: pd.Index  # area ids (str) in payload order, as given
    geometry: np.ndarray  # shapely (Multi)Polygons in EPSG:4326, aligned with ids
    tolerance: float  # metres
    digits: int
    packed: str  # JSON for the page's decoder; safe inside <script>
    bounds: tuple[float, float, float, float]  # lon/lat
    source: np.ndarray = field(repr=False)  # the input geometries (metric CRS)
    source_crs: str = ""
    cleaned: bool = False  # the input was not a valid coverage and was re-noded
    quantise_rounds: int = 0  # re-noding rounds needed after rounding
    fidelity_ok: bool = True  # auto tolerance: the area-change bounds were met

    @cached_property
    def geojson(self) -> str:
        """Compact GeoJSON FeatureCollection (area_id only, escaped); safe inside <script>."""
        texts = shapely.to_geojson(self.geometry)
        empty = shapely.is_empty(self.geometry) | shapely.is_missing(self.geometry)
        # one feature per area, in order (the page styles features by position)
        feats = [f'{{"type":"Feature","properties":{{"area_id":{_js(esc(i))}}},'
                 f'"geometry":{"null" if e else g}}}'
                 for i, g, e in zip(self.ids, texts, empty)]
        return '{"type":"FeatureCollection","features":[' + ",".join(feats) + "]}"


# --------------------------------------------------------------------------- cache

_CACHE: OrderedDict[tuple, WebGeometry] = OrderedDict()
_LOCK = threading.Lock()
_STATS = {"hits": 0, "misses": 0}


def cache_clear() -> None:
    with _LOCK:
        _CACHE.clear()
        _STATS.update(hits=0, misses=0)


def cache_info() -> dict[str, int]:
    with _LOCK:
        return {**_STATS, "size": len(_CACHE), "maxsize": CACHE_SIZE}


def prepare_geometry(areas: gpd.GeoDataFrame, *, view: str | float = "national",
                     tolerance: float | None = None, digits: int | None = None,
                     key: object = None, id_col: str = "area_id") -> WebGeometry:
    """The browser geometry of `areas` (metric CRS, unique `id_col`), from the cache when it can.

    `tolerance` None chooses one for `view` (`auto_tolerance`); `digits` None follows the
    tolerance (`digits_for`). The cache key is (`key` or the areas' `fingerprint`, tolerance,
    digits): pass `key` (e.g. the boundary file and its version) to skip hashing the geometry.
    """
    ident = ("key", key) if key is not None else ("fp", fingerprint(areas, id_col))
    tol_key = ("auto", view) if tolerance is None else float(tolerance)
    cache_key = (ident, tol_key, digits, id_col)
    with _LOCK:
        hit = _CACHE.get(cache_key)
        if hit is not None:
            _CACHE.move_to_end(cache_key)
            _STATS["hits"] += 1
            return hit
        _STATS["misses"] += 1
    web = build_geometry(areas, view=view, tolerance=tolerance, digits=digits, id_col=id_col,
                         key=cache_key)
    with _LOCK:
        _CACHE[cache_key] = web
        _CACHE.move_to_end(cache_key)
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return web


def build_geometry(areas: gpd.GeoDataFrame, *, view: str | float = "national",
                   tolerance: float | None = None, digits: int | None = None,
                   id_col: str = "area_id", key: tuple = ()) -> WebGeometry:
    """`prepare_geometry` without the cache."""
    if areas.crs is None:
        raise ValueError("areas have no CRS")
    if not areas.crs.is_projected:
        areas = areas.to_crs(schema.CRS_STORE)
    ids = pd.Index(areas[id_col].astype(str).to_numpy(), dtype=object)
    if ids.has_duplicates:
        raise ValueError(f"duplicate {id_col}: {sorted(set(ids[ids.duplicated()]))[:5]}")
    source = np.asarray(areas.geometry.values, dtype=object)
    geoms = np.array([_polygonal(g) for g in source], dtype=object)
    cleaned = False
    present = ~shapely.is_empty(geoms)
    if present.any() and not bool(shapely.coverage_is_valid(geoms[present])):
        geoms = geoms.copy()
        geoms[present] = [_polygonal(g) for g in shapely.coverage_clean(geoms[present])]
        cleaned = True
    fidelity_ok = True
    if tolerance is None:
        tolerance, simplified, fidelity_ok = auto_tolerance(geoms, tolerance_cap(view))
    else:
        simplified = shapely.coverage_simplify(geoms, float(tolerance))
    auto_digits = digits is None
    digits = digits_for(tolerance) if digits is None else int(digits)
    wgs = np.asarray(gpd.GeoSeries(simplified, crs=areas.crs).to_crs(schema.CRS_WEB).values,
                     dtype=object)
    web, rounds = quantise(wgs, digits)
    # an area smaller than the grid step vanishes when rounded: with automatic digits, refine
    # the grid rather than lose it
    while auto_digits and digits < 7 and (shapely.is_empty(web) & present).any():
        digits += 1
        web, rounds = quantise(wgs, digits)
    web.flags.writeable = False
    present = ~shapely.is_empty(web)
    bounds = (tuple(float(b) for b in shapely.total_bounds(web[present])) if present.any()
              else (10.0, 55.0, 25.0, 69.0))
    return WebGeometry(key=key, ids=ids, geometry=web, tolerance=float(tolerance),
                       digits=digits, packed=pack(ids, web, digits), bounds=bounds,
                       source=source, source_crs=str(areas.crs), cleaned=cleaned,
                       quantise_rounds=rounds, fidelity_ok=fidelity_ok)


def _polygonal(geom: shapely.Geometry | None) -> shapely.Geometry:
    if geom is None:
        return shapely.Polygon()
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def auto_tolerance(coverage: np.ndarray, cap: float) -> tuple[float, np.ndarray, bool]:
    """Largest tolerance on a ladder cap, cap/√2, … ≥ MIN_TOLERANCE at which the areas keep
    their size (see CHANGE_* above); (tolerance, simplified, bounds met). Bisection: the area
    change grows with the tolerance."""
    before = shapely.area(coverage)
    ok = before > 0
    ladder = []
    tol = float(cap)
    while tol >= MIN_TOLERANCE or not ladder:
        ladder.append(float(f"{tol:.2g}"))
        tol /= math.sqrt(2.0)
    tried: dict[int, tuple[bool, np.ndarray]] = {}

    def passes(i: int) -> bool:
        if i not in tried:
            s = shapely.coverage_simplify(coverage, ladder[i])
            change = np.abs(shapely.area(s)[ok] - before[ok]) / before[ok]
            good = (not len(change)) or (float(np.mean(change > CHANGE_SOME)) <= SHARE_SOME
                                         and float(change.max()) <= CHANGE_MAX)
            tried[i] = (good, s)
        return tried[i][0]

    if passes(0):
        return ladder[0], tried[0][1], True
    lo, hi = 0, len(ladder) - 1  # lo fails; find the first index that passes
    if not passes(hi):
        return ladder[hi], tried[hi][1], False
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if passes(mid):
            hi = mid
        else:
            lo = mid
    return ladder[hi], tried[hi][1], True


def _round(geoms: np.ndarray, digits: int) -> np.ndarray:
    out = shapely.transform(geoms, lambda xy: np.round(xy, digits))
    try:
        return shapely.remove_repeated_points(out)
    except shapely.errors.GEOSException:  # a ring collapsed: keep it for the clean step
        res = out.copy()
        for i, g in enumerate(out):
            try:
                res[i] = shapely.remove_repeated_points(g)
            except shapely.errors.GEOSException:
                pass
        return res


def _valid(geoms: np.ndarray) -> bool:
    return bool(shapely.is_valid(geoms).all()) and bool(shapely.coverage_is_valid(geoms))


def quantise(geoms: np.ndarray, digits: int, max_rounds: int = 4) -> tuple[np.ndarray, int]:
    """Round every vertex to `digits` decimals; re-node with coverage_clean while invalid.

    Rounding is a function of the vertex, so shared vertices stay shared. Returns the rounded
    geometries and the number of re-noding rounds used.
    """
    out = _round(geoms, digits)
    rounds = 0
    while rounds < max_rounds and not _valid(out):
        rounds += 1
        present = ~shapely.is_empty(out)
        fixed = out.copy()
        fixed[present] = [_polygonal(g) for g in
                          shapely.coverage_clean(out[present], snapping_distance=0.0)]
        out = _round(fixed, digits)
    return out, rounds


# --------------------------------------------------------------------------- packing
