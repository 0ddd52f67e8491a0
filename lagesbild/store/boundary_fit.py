"""Where a new boundary file's sub-kommun areas lie among the workspace's kommuner.

Codes before geometry. A DeSO or RegSO code carries its kommun in its first four digits, and a
district file may have a kommun column: that code is the area's kommun (`parent_id`), whatever
the geometry says, because kommun borders in a workspace are often generalised (the real
national kommun file puts 21 of the 584 DeSO of Göteborgsregionen mostly in a neighbouring
kommun). Geometry only checks the code:

- a code naming a kommun the workspace lacks: the row is refused (its figures could not be
  summed to any kommun, and the area would show as empty);
- more than half of the areas mostly outside their coded kommun: the file is refused (a wrong
  coordinate system, or a wrong code column);
- an area lying mostly in another kommun *and* more than `FAR_M` from its own: refused (the
  code or the coordinates are wrong; generalised borders do not move an area that far);
- an area lying mostly in another kommun, near its own: kept in its coded kommun, named in a
  note (with the kommun it mostly lies in and the share);
- areas of a kommun the file barely covers (below `EDGE`) next to a kommun it mostly covers:
  refused as edge pieces clipped from a neighbouring file (a piece of a DeSO would give that
  DeSO wrong figures);
- areas reaching into a neighbour by a strip (`STRIP` or more of them): a note.

Areas without any kommun code (stadsdelar named only) are placed by geometry, in the kommun
(or kommuner) the file divides: a file covering at least `COVERED` of a kommun is taken to
divide it, so a detailed district that generalised kommun borders put mostly in a neighbour
stays in the divided kommun; each such case is named in a note.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import shapely

from lagesbild.core import schema
from lagesbild.core.errors import InputError, Rejection
from lagesbild.sources.tables import ReadResult

SUB_LEVELS = (schema.AreaLevel.DESO.value, schema.AreaLevel.REGSO.value,
              schema.AreaLevel.STADSDEL.value, schema.AreaLevel.POLISOMRADE.value,
              schema.AreaLevel.CUSTOM.value)
MOSTLY = 0.5  # an area lies mostly in a kommun when at least this share of it does
FAR_M = 5_000.0  # farther than this from its coded kommun, an area is not a generalisation slip
COVERED = 0.25  # a file covering this share of a kommun divides that kommun
EDGE = 0.05  # a kommun the file covers less of, beside one it mostly covers, is an edge
STRIP = 0.10  # a neighbour's share of an area worth naming
_LIST_MAX = 4
_KOMMUN_PART = r"^(\d{4})(?:[A-C]\d{4}|R\d{3})?$"


@dataclass
class Overlaps:
    """Shared area of each (area, kommun) pair that intersects, and the areas' own areas."""

    left: np.ndarray  # index into the areas
    right: np.ndarray  # index into the kommuner
    shared: np.ndarray  # m²
    area: np.ndarray  # m² of each area

    def share(self) -> np.ndarray:
        return self.shared / np.maximum(self.area[self.left], 1e-9)


def overlaps(geoms: np.ndarray, kommuner: np.ndarray) -> Overlaps:
    """Vectorised: an STRtree gives the pairs; areas wholly inside a kommun skip the overlay."""
    shapely.prepare(kommuner)
    left, right = shapely.STRtree(kommuner).query(geoms, predicate="intersects")
    area = shapely.area(geoms)
    shared = area[left].astype(float)
    partly = ~shapely.contains_properly(kommuner[right], geoms[left])
    shared[partly] = shapely.area(shapely.intersection(geoms[left[partly]], kommuner[right[partly]]))
    return Overlaps(left, right, shared, area)


def _km(metres: float) -> str:
    return f"{metres / 1000:.1f} km".replace(".", ",")


def _pct(share: float) -> str:
    return f"{round(100 * share)} %"


def _who(frame: pd.DataFrame, i: int) -> str:
    code, name = frame["code"].iloc[i], frame["name"].iloc[i]
    parts = [str(v) for v in (code, name) if v is not None and not pd.isna(v)]
    if len(parts) == 2 and parts[0] != parts[1]:
        return f"{parts[0]} ({parts[1]})"
    return parts[0] if parts else "utan namn"


def _some(items: list[str], total: int) -> str:
    return "; ".join(items[:_LIST_MAX]) + (f" och {total - _LIST_MAX} till" if total > _LIST_MAX
                                           else "")


def check_coded(result: ReadResult, kommuner: pd.DataFrame) -> ReadResult:
    """Sub-kommun areas with a coded kommun, checked against the workspace's kommuner."""
    found = result.accepted
    # the kommun of the parent: a kommun code, or the first four digits of a RegSO/DeSO parent
    coded_kommun = found["parent_id"].astype("string").str.extract(
        _KOMMUN_PART, expand=False)
    coded = (found["level"].isin(SUB_LEVELS) & coded_kommun.notna()
             & found.geometry.notna()).to_numpy()
    if not coded.any() or not len(kommuner):
        return result
    file = result.dataset.file
    field = result.columns.get("parent_id") or result.columns.get("code") or "kod"
    k_ids = kommuner["area_id"].astype(str).to_numpy()
    k_names = dict(zip(k_ids, kommuner["name"].astype(str)))
    k_geoms = kommuner.geometry.to_numpy()
    index = {k: j for j, k in enumerate(k_ids)}
    rows = np.flatnonzero(coded)
    parent = coded_kommun.astype(str).to_numpy()[rows]
    own = np.array([index.get(p, -1) for p in parent])
    lines = found["_line"].to_numpy()[rows]
    geoms = found.geometry.to_numpy()[rows]
    ov = overlaps(geoms, k_geoms)
    share = ov.share()
    is_own = ov.right == own[ov.left]
    own_share = np.bincount(ov.left[is_own], share[is_own], minlength=len(rows))
    other_share = np.zeros(len(rows))  # the largest share in one other kommun, and which
    np.maximum.at(other_share, ov.left[~is_own], share[~is_own])
    other = _argmax_by(ov.left[~is_own], ov.right[~is_own], share[~is_own], len(rows))

    def kommun(j: int) -> str:
        return f"{k_names[k_ids[j]]} ({k_ids[j]})"

    refused: dict[int, str] = {}
    for a in np.flatnonzero(own < 0):
        where = (f"; området ligger mest i {kommun(other[a])}" if other[a] >= 0 else "")
        refused[a] = (f"{_who(found, rows[a])} hör enligt koden till kommun {parent[a]}, som "
                      f"inte finns i arbetsytan{where}. Importera den kommunens gräns först, "
                      "eller ta bort området ur filen.")
    known = own >= 0
    outside = known & (own_share < MOSTLY)
    if known.sum() and outside.sum() > MOSTLY * known.sum():
        a = int(np.flatnonzero(outside)[0])
        elsewhere = f", {_pct(other_share[a])} i {kommun(other[a])}" if other[a] >= 0 else ""
        raise InputError(
            f"{outside.sum()} av {known.sum()} områden ligger till största delen utanför "
            f"kommunen som deras kod anger (t.ex. objekt {lines[a] - 1}, {_who(found, rows[a])}: "
            f"{_pct(own_share[a])} i {kommun(own[a])}{elsewhere}). Koordinatsystemet eller "
            "kodkolumnen är troligen fel.", file=file, row=int(lines[a]), field="geometri",
            fix="Välj rätt koordinatsystem (--crs) eller rätt kodkolumn (--code-column) vid "
                "importen.")
    mostly_other = known & (other_share >= MOSTLY) & (own_share < MOSTLY)
    far = [a for a in np.flatnonzero(mostly_other) if a not in refused]
    if far:
        dist = shapely.distance(geoms[far], k_geoms[own[far]])
        for a, d in zip(far, dist):
            if d > FAR_M:
                refused[a] = (f"{_who(found, rows[a])} ligger {_km(d)} från "
                              f"{kommun(own[a])}, som koden anger, och till "
                              f"{_pct(other_share[a])} i {kommun(other[a])}. Koden eller "
                              "koordinaterna är fel.")
    # edge pieces: a kommun the file barely covers beside one it mostly covers
    cover = np.bincount(own[known], _own_shared(ov, is_own, len(rows))[known],
                        minlength=len(k_ids)) / np.maximum(shapely.area(k_geoms), 1e-9)
    best = int(np.argmax(cover))
    if cover[best] >= MOSTLY:
        for a in np.flatnonzero(known & (cover[np.maximum(own, 0)] < EDGE)):
            if a not in refused:
                j = other[a] if other[a] >= 0 and cover[other[a]] >= MOSTLY else best
                covered = f"{cover[own[a]] * 100:.1f}".replace(".", ",")
                refused[a] = (f"{_who(found, rows[a])}: filen täcker bara {covered} % av "
                              f"{kommun(own[a])} men {_pct(cover[j])} av {kommun(j)}, så "
                              "området är troligen en bit som klipptes med vid gränsen; en bit "
                              "av ett område ger fel tal för hela området. Ta med hela områden "
                              "för den kommunen.")
    notes = list(result.notes)
    kept_other = [a for a in np.flatnonzero(mostly_other) if a not in refused]
    if kept_other:
        listed = [f"objekt {lines[a] - 1}, {_who(found, rows[a])}: {_pct(other_share[a])} i "
                  f"{kommun(other[a])}, {_pct(own_share[a])} i {kommun(own[a])}"
                  for a in kept_other]
        notes.append(f"{len(kept_other)} områden ligger till största delen i en annan kommun än "
                     "den som koden anger, enligt arbetsytans kommungränser "
                     f"({_some(listed, len(listed))}). "
                     "De räknas i kommunen som koden anger; arbetsytans kommungränser är "
                     "troligen grövre än filens.")
    strips = [a for a in np.flatnonzero(known & (own_share >= MOSTLY) & (other_share >= STRIP))
              if a not in refused]
    if strips:
        top = max(strips, key=lambda a: other_share[a])
        notes.append(f"{len(strips)} områden når in i en grannkommun med en remsa enligt "
                     f"arbetsytans kommungränser (mest objekt {lines[top] - 1}, "
                     f"{_who(found, rows[top])}: {_pct(other_share[top])} i {kommun(other[top])}); "
                     "de räknas bara i kommunen som koden anger.")
    if not refused:
        return replace(result, notes=notes)
    drop = np.zeros(len(found), dtype=bool)
    rejected = list(result.rejected)
    for a, reason in refused.items():
        drop[rows[a]] = True
        rejected.append(Rejection(file, int(lines[a]), field, str(parent[a]),
                                  f"Objekt {lines[a] - 1}: {reason}"))
    return replace(result, accepted=found[~drop].reset_index(drop=True),
                   rejected=sorted(rejected, key=lambda r: r.row), notes=notes)


def _own_shared(ov: Overlaps, is_own: np.ndarray, n: int) -> np.ndarray:
    """Per area, the m² it shares with its coded kommun."""
    return np.bincount(ov.left[is_own], ov.shared[is_own], minlength=n)


def place_by_geometry(geoms: np.ndarray, names: list[str],
                      kommuner: pd.DataFrame) -> tuple[list[str | None], list[str]]:
    """Per area without a kommun code, the kommun it belongs to (None: none), and notes.

    When the file covers at least `COVERED` of some kommuner, it divides those: an area goes to
    the divided kommun it shares most with, else to the nearest one within `FAR_M`. Otherwise
    (a file of scattered areas, or covering no kommun well) an area goes to the kommun it shares
    most with. Areas placed otherwise than their largest overlap are named in a note.
    """
    k_ids = kommuner["area_id"].astype(str).to_numpy()
    k_names = kommuner["name"].astype(str).to_numpy()
    k_geoms = kommuner.geometry.to_numpy()
    n = len(geoms)
    ov = overlaps(geoms, k_geoms)
    cover = np.bincount(ov.right, ov.shared, minlength=len(k_ids)) / \
        np.maximum(shapely.area(k_geoms), 1e-9)
    divided = cover >= COVERED
    best = _argmax_by(ov.left, ov.right, ov.shared, n)
    in_divided = divided[ov.right]
    chosen = _argmax_by(ov.left[in_divided], ov.right[in_divided], ov.shared[in_divided], n)
    if divided.any():
        loose = np.flatnonzero(chosen < 0)
        if len(loose):
            d_idx = np.flatnonzero(divided)
            near_in, near_k = shapely.STRtree(k_geoms[d_idx]).query_nearest(
                geoms[loose], max_distance=FAR_M, all_matches=False)
            chosen[loose[near_in]] = d_idx[near_k]
    chosen = np.where(chosen >= 0, chosen, best)
    notes: list[str] = []
    moved = np.flatnonzero((chosen != best) & (chosen >= 0))
    if len(moved):
        share = ov.share()
        where: list[str] = []
        for a in moved:
            pairs = (ov.left == a) & (ov.right == best[a])
            s = float(share[pairs].sum()) if best[a] >= 0 else 0.0
            lies = (f"{_pct(s)} i {k_names[best[a]]} ({k_ids[best[a]]})" if best[a] >= 0
                    else "i ingen kommun")
            where.append(f"{names[a]}: {lies}, placerat i {k_names[chosen[a]]}")
        covered = ", ".join(f"{k_names[j]} ({k_ids[j]}) till {_pct(cover[j])}"
                            for j in np.flatnonzero(divided)[:_LIST_MAX])
        notes.append(f"{len(moved)} områden ligger enligt arbetsytans kommungränser mest "
                     f"utanför kommunen som filen delar in ({covered}): "
                     f"{_some(where, len(where))}. De placerades där ändå, eftersom filen bara "
                     "täcker en liten del av grannkommunerna; kommungränserna är troligen grövre "
                     "än filens. Om det är fel: lägg till en kolumn med kommunkod och välj den som "
                     "Kommunkolumn i importen (--parent-column i kommandoraden).")
    return [str(k_ids[j]) if j >= 0 else None for j in chosen], notes


def _argmax_by(left: np.ndarray, right: np.ndarray, value: np.ndarray, n: int) -> np.ndarray:
    """Per left index (0..n-1), the right index with the largest positive value (-1: none)."""
    out = np.full(n, -1)
    if not len(left):
        return out
    order = np.lexsort((-value, left))  # by left, largest value first
    first = order[np.r_[True, left[order][1:] != left[order][:-1]]]
    ok = value[first] > 0
    out[left[first][ok]] = right[first][ok]
    return out
