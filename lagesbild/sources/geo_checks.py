"""Geometry of boundary files: polygons only, coordinate systems, repairs and coverage checks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from lagesbild.core import schema
from lagesbild.core.errors import InputError
from lagesbild.sources.geo_safety import GeoFile

# Sweden in SWEREF 99 TM (EPSG:3006), with a margin for the sea: (minx, miny, maxx, maxy).
SWEDEN_3006 = (180_000.0, 6_050_000.0, 1_000_000.0, 7_750_000.0)
# What undeclared coordinates look like, in the x = east, y = north order files use. A local
# SWEREF 99 zone (EPSG:3007–3018) cannot be told from another zone: it must be declared or chosen.
RECOGNISED = (
    ("EPSG:3006", SWEDEN_3006),
    ("EPSG:4326", (10.0, 55.0, 24.5, 69.5)),
    ("EPSG:3021", (1_150_000.0, 6_050_000.0, 1_950_000.0, 7_750_000.0)),  # RT90 2.5 gon V
)
MAJORITY = 0.5  # share of areas that must land in Sweden for a coordinate system to be right
OVERLAP_MIN_M2 = 1.0  # overlaps and gaps below this are rounding, not worth a note
_LIST_MAX = 6
Reject = Callable[[int, str, str, str], None]  # (feature index, column, value, reason)
# Where a local SWEREF 99 zone (false easting 150 000 m) puts Sweden: only a hint in messages.
LOCAL_ZONES = (0.0, 6_050_000.0, 400_000.0, 7_750_000.0)
STORE_LABEL = "SWEREF99 TM (EPSG:3006)"


def _crs_fix(prj: bool = False) -> str:
    return ("Välj rätt koordinatsystem vid importen (t.ex. EPSG:3006 för SWEREF 99 TM, EPSG:3010 "
            "för en lokal SWEREF-zon, EPSG:3021 för RT90)"
            + (", lägg med .prj-filen i zip-filen" if prj else "")
            + ", eller ange det i GIS-programmet (QGIS: Lager → Ange lagrets koordinatsystem) "
            "och spara filen igen.")


@dataclass
class Placed:
    """Geometries in EPSG:3006, which of them lie in Sweden, and what was done to get there."""

    geoms: np.ndarray
    inside: np.ndarray
    crs_label: str
    notes: list[str] = field(default_factory=list)


def label(crs: CRS) -> str:
    epsg = crs.to_epsg(min_confidence=70)
    return f"{crs.name} (EPSG:{epsg})" if epsg else crs.name


def place(geoms: np.ndarray, *, declared: CRS | None, assumed: CRS | None, gf: GeoFile) -> Placed:
    """Reproject polygons to EPSG:3006 from the declared, assumed or recognised system.

    Refuses (InputError) coordinates that fit no plausible system, and explains why; swapped
    axes are put right when only the swapped reading lands in Sweden, and said so.
    """
    if not len(geoms):
        return Placed(geoms, np.zeros(0, dtype=bool), schema.CRS_STORE)
    raw = shapely.bounds(geoms)
    example = _example(raw)
    notes: list[str] = []
    crs = declared
    if crs is None:
        missing = ("Shapefilen saknar .prj-fil, så den anger inget koordinatsystem."
                   if gf.missing_prj else "GeoJSON-filen anger inget koordinatsystem (\"crs\")."
                   if gf.format == "geojson" else "Filen anger inget koordinatsystem.")
        if assumed is not None:
            crs = assumed
            notes.append(f"{missing} {label(crs)} användes, som valt vid importen.")
        else:
            guess, swapped = recognise(raw)
            if guess is None:
                raise InputError(f"{missing} Koordinaterna ({example}) liknar inget svenskt "
                                 f"koordinatsystem som kan kännas igen.{_zone_hint(raw)}",
                                 file=gf.label, field="geometri", fix=_crs_fix(gf.missing_prj))
            crs = CRS.from_user_input(guess)
            if swapped:
                geoms = _swap(geoms)
            if not (gf.format == "geojson" and guess == "EPSG:4326" and not swapped):
                # RFC 7946 makes WGS84 the default of GeoJSON: nothing to report then
                notes.append(f"{missing} Koordinaterna ({example}) ser ut som {label(crs)}"
                             f"{' med x och y omkastade (de byttes tillbaka)' if swapped else ''}"
                             ", så det antogs. Välj koordinatsystem vid importen om det är fel.")
    placed = _fit(geoms, crs)
    if placed.inside.mean() >= MAJORITY:
        placed.notes = notes + placed.notes
        return placed
    if declared is not None and assumed is not None:
        other = _fit(geoms, assumed)
        if other.inside.mean() >= MAJORITY:
            other.notes = notes + [f"Filen anger {label(declared)}, men koordinaterna passar inte "
                                   f"det; {label(assumed)} användes, som valt vid importen."]
            return other
    raise _mismatch(raw, crs, example, declared is not None, gf)


def _fit(geoms: np.ndarray, crs: CRS) -> Placed:
    """`geoms` in EPSG:3006 from `crs`, or from `crs` with x and y swapped if only that fits."""
    for swapped in (False, True):
        src = _swap(geoms) if swapped else geoms
        # metres read as degrees transform to inf, which lies nowhere: no special case needed
        out = gpd.GeoSeries(src, crs=crs).to_crs(schema.CRS_STORE).to_numpy()
        inside = _within(shapely.bounds(out), SWEDEN_3006)
        if inside.mean() >= MAJORITY or swapped:
            notes = []
            if label(crs) != STORE_LABEL:
                notes.append(f"Koordinatsystem {label(crs)}; omräknat till SWEREF 99 TM (EPSG:3006).")
            if swapped and inside.mean() >= MAJORITY:
                notes.append("x och y var omkastade (nord före öst, eller latitud före longitud); "
                             "de byttes tillbaka.")
            return Placed(out, inside, label(crs), notes)
    raise AssertionError("unreachable: the swapped pass always returns")


def recognise(bounds: np.ndarray) -> tuple[str | None, bool]:
    """The system undeclared coordinates look like, and whether x and y are swapped."""
    for swapped in (False, True):
        b = bounds[:, [1, 0, 3, 2]] if swapped else bounds
        for code, box in RECOGNISED:
            if _within(b, box).mean() >= MAJORITY:
                return code, swapped
    return None, False


def _mismatch(raw: np.ndarray, crs: CRS, example: str, declared: bool, gf: GeoFile) -> InputError:
    said = "filen anger" if declared else "valdes vid importen"
    guess, swapped = recognise(raw)
    looks = (f" De ser ut som {label(CRS.from_user_input(guess))}"
             f"{' med x och y omkastade' if swapped else ''}." if guess else "")
    if crs.is_geographic and _metres(raw):
        text = (f"Koordinaterna är i meter ({example}), men koordinatsystemet som {said} är "
                f"{label(crs)}, som räknar i grader.{looks}")
    else:
        text = (f"Koordinaterna ({example}) passar inte koordinatsystemet som {said} "
                f"({label(crs)}): områdena hamnar utanför Sverige.{looks or _zone_hint(raw)}")
    return InputError(text, file=gf.label, field="geometri", fix=_crs_fix())


def _zone_hint(raw: np.ndarray) -> str:
    if _within(raw, LOCAL_ZONES).mean() >= MAJORITY:
        return (" De kan vara i en lokal SWEREF 99-zon (EPSG:3007–3018), som inte går att känna "
                "igen utan att zonen anges.")
    return ""


def _within(bounds: np.ndarray, box: Sequence[float]) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return ((bounds[:, 0] >= box[0]) & (bounds[:, 1] >= box[1])
                & (bounds[:, 2] <= box[2]) & (bounds[:, 3] <= box[3]))


def _metres(bounds: np.ndarray) -> bool:
    with np.errstate(invalid="ignore"):
        return bool((np.nanmax(np.abs(bounds), axis=1) > 360).mean() >= MAJORITY)


def _swap(geoms: np.ndarray) -> np.ndarray:
    return shapely.transform(geoms, lambda c: c[:, ::-1])


def _example(bounds: np.ndarray) -> str:
    x, y = np.nanmedian(bounds[:, 0]), np.nanmedian(bounds[:, 1])
    return f"x ≈ {_num(x)}, y ≈ {_num(y)}"


def _num(value: float) -> str:
    if abs(value) < 1000:
        return f"{value:.3f}".replace(".", ",")
    return f"{value:,.0f}".replace(",", " ")


def _area(m2: float) -> str:
    """Swedish style: '5 442,3 km²', '37 665 m²'."""
    if m2 >= 1e6:
        return f"{m2 / 1e6:,.1f} km²".replace(",", " ").replace(".", ",")
    return f"{m2:,.0f} m²".replace(",", " ")


def coverage_notes(geoms: np.ndarray, names: Sequence[str]) -> list[str]:
    """Overlaps between areas and holes inside their union, reported, never changed."""
    if len(geoms) < 2:
        return []
    edges = shapely.coverage_invalid_edges(geoms)
    bad = np.flatnonzero(~shapely.is_empty(edges))
    notes: list[str] = []
    overlaps: list[tuple[float, int, int]] = []
    if len(bad):
        # only areas whose edges disagree with a neighbour can overlap it
        left, right = shapely.STRtree(geoms).query(geoms[bad], predicate="overlaps")
        pairs = sorted({(min(int(bad[a]), int(b)), max(int(bad[a]), int(b))) for a, b in zip(left, right)})
        for a, b in pairs:
            area = shapely.intersection(geoms[a], geoms[b]).area
            if area >= OVERLAP_MIN_M2:
                overlaps.append((area, a, b))
    if overlaps:
        overlaps.sort(reverse=True)
        listed = ", ".join(f"{names[a]} och {names[b]} ({_area(area)})"
                           for area, a, b in overlaps[:_LIST_MAX])
        more = f" och {len(overlaps) - _LIST_MAX} par till" if len(overlaps) > _LIST_MAX else ""
        notes.append(f"{len(overlaps)} par av områden överlappar varandra: {listed}{more}. "
                     "Inget har ändrats; en yta i överlappet räknas till båda områdena.")
    try:
        # coverage_union_all is only right for a valid coverage; disjoint_subset_union_all is
        # exact for any input and several times faster than union_all on boundary files
        union = (shapely.coverage_union_all(geoms) if not len(bad)
                 else shapely.disjoint_subset_union_all(geoms))
    except shapely.errors.GEOSException:
        return notes  # the overlaps are reported; the gap check needs a union GEOS refused
    holes = [shapely.Polygon(ring).area for part in shapely.get_parts(union)
             for ring in getattr(part, "interiors", [])]
    holes = [h for h in holes if h >= OVERLAP_MIN_M2]
    if holes:
        notes.append(f"Inom områdenas yttre gräns finns {len(holes)} ytor som inget område täcker "
                     f"(totalt {_area(sum(holes))}, största {_area(max(holes))}): sjöar eller "
                     "luckor mellan områdena. Inget har ändrats.")
    if len(bad) and not overlaps and not holes:
        notes.append(f"{len(bad)} områden har gränser som inte exakt följer grannarnas "
                     "(skillnader under 1 m², avrundning). Inget har ändrats.")
    return notes


def polygons(geoms: np.ndarray, reject: Reject, notes: list[str]) -> np.ndarray:
    """Only polygonal rows stay (others are rejected); Z is dropped; polygon-only collections merge."""
    out = np.full(len(geoms), None, dtype=object)
    merged = 0
    for i, g in enumerate(geoms):
        if g is None:
            reject(i, "geometri", "", "geometri saknas.")
        elif g.is_empty:
            reject(i, "geometri", g.geom_type, "geometrin är tom.")
        elif g.geom_type in ("Polygon", "MultiPolygon"):
            out[i] = g
        elif g.geom_type == "GeometryCollection" and all(
                p.geom_type in ("Polygon", "MultiPolygon") for p in g.geoms):
            out[i], merged = shapely.union_all(list(g.geoms)), merged + 1
        else:
            kinds = sorted({p.geom_type for p in getattr(g, "geoms", [g])})
            reject(i, "geometri", g.geom_type,
                   f"väntade en yta (Polygon eller MultiPolygon), fick {'/'.join(kinds)}. "
                   "Punkter och linjer hör inte hemma i en gränsfil; ta bort dem.")
    present = np.array([g is not None for g in out], dtype=bool)
    if present.any() and shapely.has_z(out[present]).any():
        out[present] = shapely.force_2d(out[present])
        notes.append("Höjdvärden (Z) i geometrierna togs bort.")
    if merged:
        notes.append(f"{merged} samlingar av ytor (GeometryCollection) slogs ihop till en yta var.")
    return out


def repair(geoms: np.ndarray, rows: Sequence[int], names: Sequence[str], reject: Reject,
           notes: list[str]) -> np.ndarray:
    """Invalid polygons among `rows` made valid (make_valid, polygonal parts kept) and listed."""
    out = geoms.copy()
    fixed: list[str] = []
    for i in rows:
        if shapely.is_valid(out[i]):
            continue
        parts = shapely.get_parts(shapely.make_valid(out[i]))
        polys = [p for p in parts if p.geom_type in ("Polygon", "MultiPolygon") and not p.is_empty]
        if not polys:
            reject(i, "geometri", names[i], "geometrin är ogiltig och blir ingen yta när den lagas.")
            continue
        out[i] = shapely.union_all(polys) if len(polys) > 1 else polys[0]
        fixed.append(f"objekt {i + 1} ({names[i]})")
    if fixed:
        notes.append(f"Ogiltiga geometrier lagades med make_valid i {len(fixed)} objekt: "
                     f"{some(fixed)}. Kontrollera dem på kartan.")
    return out


def some(items: Sequence[str], limit: int = _LIST_MAX) -> str:
    """The first `limit` items, and how many more."""
    head = ", ".join(items[:limit])
    return head + (f" och {len(items) - limit} till" if len(items) > limit else "")
