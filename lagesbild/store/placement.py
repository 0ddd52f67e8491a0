"""Placing a file's rows in the workspace: incidents in their kommun (and DeSO), sites, codes
checked against the workspace's areas, and new boundary files fitted to the areas already there.

Every check returns the result with the rows it refuses moved to `rejected`, each naming the
file's own line and column, so nothing is lost and the user sees what to fix.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from lagesbild.core import schema
from lagesbild.core.errors import Rejection, WorkspaceError
from lagesbild.core.fast_assign import assign_points_fast as assign_points
from lagesbild.sources.kommun_names import NATIONAL_ID
from lagesbild.sources.tables import ReadResult
from lagesbild.store import boundary_fit


def refuse_id_clashes(result: ReadResult, areas: pd.DataFrame) -> None:
    """Area ids are unique across datasets: a file may not redefine another dataset's areas."""
    others = areas[areas["source"] != (result.dataset.name or result.dataset.file)]
    clash = sorted(set(result.accepted["area_id"]) & set(others["area_id"]))
    if clash:
        owner = others.loc[others["area_id"] == clash[0], "source"].iloc[0]
        raise WorkspaceError(
            f"{len(clash)} områden finns redan i arbetsytan från '{owner}' (t.ex. {clash[0]}); "
            "inget sparades. Välj en annan nivå för filen, eller börja i en ny arbetsyta.")


def place_in_kommuner(result: ReadResult, areas: pd.DataFrame) -> ReadResult:
    """Sub-kommun areas: a coded kommun is checked (`boundary_fit.check_coded`); areas without
    one (stadsdelar, own divisions) get the kommun holding them (`boundary_fit.place_by_geometry`).

    Shares of area, never a single point, decide: kommun files often leave out lakes and the
    sea, where a district's inner point may lie.
    """
    kommuner = kommun_areas(areas)
    if not len(kommuner):
        return result
    result = boundary_fit.check_coded(result, kommuner)
    found = result.accepted
    sub_levels = (schema.AreaLevel.STADSDEL.value, schema.AreaLevel.POLISOMRADE.value,
                  schema.AreaLevel.CUSTOM.value)
    orphan = found["level"].isin(sub_levels) & found["parent_id"].isna() & found.geometry.notna()
    if not orphan.any():
        return result
    kommun, fit_notes = boundary_fit.place_by_geometry(
        found.loc[orphan].geometry.to_numpy(), found.loc[orphan, "name"].astype(str).tolist(),
        kommuner)
    placed = found.copy()
    placed.loc[orphan, "parent_id"] = kommun
    missing = sum(k is None for k in kommun)
    notes = [*result.notes, f"{len(kommun) - missing} områden utan överordnad kod placerades i "
                            "den kommun i arbetsytan som de hör till enligt gränserna."
             + (f" {missing} ligger utanför arbetsytans kommuner och saknar kommun." if missing
                else ""), *fit_notes]
    return replace(result, accepted=placed, notes=notes)


def add_whole_lan(result: ReadResult, areas: pd.DataFrame) -> ReadResult:
    """A kommun file holding every kommun of a län the workspace lacks also gives that län.

    The län is the union of its kommuner in the file (so their borders agree); its name is the
    official one. A län with only some of its kommuner in the file is not made up: a county
    value from part of a county would mislead.
    """
    from lagesbild.sources.area_codes import KOMMUN_CODES
    from lagesbild.sources.boundaries import lan_names

    found = result.accepted
    kommun = found[found["level"] == schema.AreaLevel.KOMMUN.value]
    have = set(areas["area_id"].astype(str)) | set(found["area_id"].astype(str))
    names = lan_names()
    rows, notes = [], list(result.notes)
    for lan in sorted({str(c)[:2] for c in kommun["code"].astype(str)} - have):
        expected = {c for c in KOMMUN_CODES if c[:2] == lan}
        members = kommun[kommun["code"].astype(str).str[:2] == lan]
        if set(members["code"].astype(str)) != expected:
            notes.append(f"Filen har {len(members)} av {len(expected)} kommuner i "
                         f"{names.get(lan, 'län ' + lan)}; inget länsvärde visas för dem.")
            continue
        rows.append({"area_id": lan, "level": schema.AreaLevel.LAN.value, "code": lan,
                     "name": names.get(lan, f"Län {lan}"), "parent_id": None,
                     "geometry": shapely.union_all(members.geometry.values)})
        notes.append(f"{names.get(lan, lan)} bildades av filens {len(members)} "
                     f"{'kommun' if len(members) == 1 else 'kommuner'}.")
    if not rows:
        return replace(result, notes=notes)
    lan_rows = gpd.GeoDataFrame(rows, geometry="geometry", crs=found.crs)
    accepted = found.copy()
    is_kommun = accepted["level"] == schema.AreaLevel.KOMMUN.value
    accepted.loc[is_kommun & accepted["parent_id"].isna(), "parent_id"] = \
        accepted.loc[is_kommun, "code"].astype(str).str[:2]
    accepted = pd.concat([lan_rows.assign(source=accepted["source"].iloc[0]), accepted],
                         ignore_index=True)
    return replace(result, accepted=gpd.GeoDataFrame(accepted, geometry="geometry",
                                                     crs=found.crs), notes=notes)


def _line(value: object) -> int:
    if isinstance(value, (int, np.integer)):  # the usual case, without pd.isna's cost
        return int(value)
    return int(value) if value is not None and not pd.isna(value) else 0


def _column(result: ReadResult, key: str, default: str) -> str:
    """The file's own header for canonical column `key`, so rejections name what the user sees."""
    return result.columns.get(key, default)


def kommun_areas(areas: pd.DataFrame) -> pd.DataFrame:
    return areas[areas["level"] == schema.AreaLevel.KOMMUN.value]


def assign_incidents(result: ReadResult, areas: pd.DataFrame) -> ReadResult:
    """Place each incident in its kommun (area_id) and, when known, its DeSO (sub_area_id).

    Points are located in the workspace's kommuner (and DeSO areas, when imported); incidents
    coded with an area take the code's kommun. A point outside every kommun, or a code whose
    kommun is not in the workspace, is rejected with its line.
    """
    frame = result.accepted
    is_point = (frame["precision"].astype(str) == schema.Precision.POINT.value).to_numpy()
    rejected = list(result.rejected)
    notes = list(result.notes)
    # (a mask that keeps every row, or an order already right, would only copy the frame)
    points = _assign_points(result, frame if is_point.all() else frame[is_point], areas,
                            rejected)
    coded = _assign_codes(result, frame[~is_point], areas, rejected, notes)
    accepted = pd.concat([points, coded])
    if not accepted["_line"].is_monotonic_increasing:
        accepted = accepted.sort_values("_line", kind="stable")
    accepted = gpd.GeoDataFrame(accepted, geometry="geometry", crs=frame.crs)
    return replace(result, accepted=accepted.reset_index(drop=True), rejected=rejected, notes=notes)


def _assign_points(result: ReadResult, points: pd.DataFrame, areas: pd.DataFrame,
                   rejected: list[Rejection]) -> pd.DataFrame:
    area_id = assign_points(points.geometry, kommun_areas(areas))
    outside = area_id.isna()
    keys = ("northing", "easting") if "northing" in result.columns else ("lat", "lon")
    field = "/".join(_column(result, c, c) for c in keys)
    for line, inc_id in zip(points.loc[outside, "_line"], points.loc[outside, "incident_id"]):
        rejected.append(Rejection(result.dataset.file, _line(line), field, str(inc_id),
                                  "Punkten ligger utanför arbetsytans kommuner."))
    placed = points.assign(area_id=area_id)[~outside]
    deso = areas[areas["level"] == schema.AreaLevel.DESO.value]
    sub = assign_points(placed.geometry, deso) if len(deso) and len(placed) else None
    placed = placed.assign(sub_area_id=sub)
    claimed_elsewhere = _outside_claimed(result, placed, areas, rejected)
    return placed[~claimed_elsewhere] if claimed_elsewhere.any() else placed


def _outside_claimed(result: ReadResult, placed: pd.DataFrame, areas: pd.DataFrame,
                     rejected: list[Rejection]) -> pd.Series:
    """Points whose row also names an area (kommun or DeSO) they do not lie in."""
    if "_claimed" not in placed or not placed["_claimed"].notna().any():
        return pd.Series(False, index=placed.index)
    kommun_of = _kommun_of(areas)
    field = _column(result, "area_id", "Områdeskod")
    bad = []
    for line, claimed, kommun, sub in zip(placed["_line"], placed["_claimed"], placed["area_id"],
                                          placed["sub_area_id"]):
        if claimed is None or pd.isna(claimed):
            bad.append(False)
            continue
        claimed = str(claimed)
        wrong = (kommun_of(claimed) != str(kommun) if len(claimed) <= 4 or pd.isna(sub)
                 else claimed != str(sub))
        bad.append(wrong)
        if wrong:
            rejected.append(Rejection(
                result.dataset.file, _line(line), field, claimed,
                f"Punkten ligger inte i området som raden anger (den ligger i {kommun}"
                + (f", {sub}" if not pd.isna(sub) else "") + "). Kontrollera koordinaterna "
                "eller koden."))
    return pd.Series(bad, index=placed.index, dtype=bool)


def _kommun_of(areas: pd.DataFrame) -> Callable[[str], str | None]:
    """code -> the workspace kommun it belongs to (itself, its parent, or its first 4 digits)."""
    kommuner = set(kommun_areas(areas)["area_id"].astype(str))
    parents = dict(zip(areas["area_id"].astype(str), areas["parent_id"]))

    def kommun(code: str) -> str | None:
        if code in kommuner:
            return code
        parent = parents.get(code)
        if parent is not None and not pd.isna(parent) and str(parent) in kommuner:
            return str(parent)
        return code[:4] if len(code) > 4 and code[:4] in kommuner else None
    return kommun


def _assign_codes(result: ReadResult, coded: pd.DataFrame, areas: pd.DataFrame,
                  rejected: list[Rejection], notes: list[str]) -> pd.DataFrame:
    """Area-coded incidents: area_id becomes the code's kommun, a finer code goes to sub_area_id."""
    if not len(coded):
        return coded.assign(sub_area_id=None)
    kommun_of = _kommun_of(areas)
    known = set(areas["area_id"].astype(str))
    kommun_ids: list[str | None] = []
    subs: list[str | None] = []
    unknown_fine = 0
    for code in coded["area_id"].astype(str):
        kommun = kommun_of(code)
        kommun_ids.append(kommun)
        subs.append(code if kommun is not None and kommun != code else None)
        unknown_fine += kommun is not None and code not in known
    kommun_id = pd.Series(kommun_ids, index=coded.index, dtype="string")
    bad = kommun_id.isna()
    field = _column(result, "area_id", "Områdeskod")
    for line, code in zip(coded.loc[bad, "_line"], coded.loc[bad, "area_id"]):
        rejected.append(Rejection(result.dataset.file, _line(line), field, str(code),
                                  "Koden hör inte till någon av arbetsytans kommuner."))
    if unknown_fine:
        notes.append(f"{unknown_fine} händelser har DeSO- eller RegSO-koder vars gränser inte "
                     "finns i arbetsytan; de räknas i sin kommun, och koden sparas så att de kan "
                     "visas på DeSO-nivå när gränserna importeras.")
    out = coded.assign(area_id=kommun_id, sub_area_id=pd.Series(subs, index=coded.index,
                                                                dtype="string"))
    return out[~bad]


def check_sites(result: ReadResult, areas: pd.DataFrame) -> ReadResult:
    sites = result.accepted
    found = assign_points(sites.geometry, kommun_areas(areas))
    bad = found.isna() | (found.astype("string") != sites["area_id"].astype("string"))
    rejected = list(result.rejected) + [
        Rejection(result.dataset.file, _line(line), _column(result, "area_id", "Kommunkod"),
                  f"{site}: {code}",
                  "Koordinaten ligger inte i den angivna kommunen." if pd.notna(f) else
                  "Koordinaten ligger utanför arbetsytans kommuner.")
        for line, site, code, f in zip(sites.loc[bad, "_line"], sites.loc[bad, "site_id"],
                                       sites.loc[bad, "area_id"], found[bad])]
    return replace(result, accepted=sites[~bad].reset_index(drop=True), rejected=rejected)


def known_areas(result: ReadResult, areas: pd.DataFrame, col: str) -> ReadResult:
    frame = result.accepted
    # the whole country ("Riket" in a Brå, SCB or survey table) is kept as a reference value
    known = set(areas["area_id"].astype(str)) | {NATIONAL_ID}
    bad = ~frame[col].astype(str).isin(known)
    # One rejection per file line (a wide SCB line holds several years); rows the reader derived
    # (no line of their own, e.g. T = K + M) go with the lines they came from.
    seen: set[int] = set()
    rejected = list(result.rejected)
    for line, code in zip(frame.loc[bad, "_line"], frame.loc[bad, col]):
        if line is None or pd.isna(line) or int(line) in seen:
            continue
        seen.add(int(line))
        rejected.append(Rejection(result.dataset.file, int(line), _column(result, col, col),
                                  str(code), "Koden finns inte bland arbetsytans områden."
                                  + _missing_level_hint(str(code), areas)))
    return replace(result, accepted=frame[~bad].reset_index(drop=True), rejected=rejected)


_CODE_LEVELS = ((re.compile(r"\d{4}[A-C]\d{4}"), "deso", "DeSO"),
                (re.compile(r"\d{4}R\d{3}"), "regso", "RegSO"),
                (re.compile(r"\d{4}"), "kommun", "kommun"), (re.compile(r"\d{2}"), "lan", "län"))


def _missing_level_hint(code: str, areas: pd.DataFrame) -> str:
    """' Arbetsytan har inga RegSO-områden; …' when the code's level is absent altogether."""
    for pattern, level, label in _CODE_LEVELS:
        if pattern.fullmatch(code):
            if not (areas["level"] == level).any():
                return (f" Arbetsytan har inga {label}-områden alls: importera "
                        f"{label}-gränserna först.")
            return ""
    return ""


def known_action_areas(result: ReadResult, areas: pd.DataFrame) -> ReadResult:
    frame = result.accepted
    known = set(areas["area_id"].astype(str))
    unknown = [[c for c in str(v).split(",") if c and c not in known] if pd.notna(v) else []
               for v in frame["area_ids"]]
    bad = pd.Series([bool(u) for u in unknown], index=frame.index, dtype=bool)
    rejected = list(result.rejected) + [
        Rejection(result.dataset.file, _line(line), _column(result, "area_ids", "Kommunkoder"),
                  ", ".join(u), "Koden finns inte bland arbetsytans områden.")
        for line, u in zip(frame.loc[bad, "_line"], (u for u in unknown if u))]
    return replace(result, accepted=frame[~bad].reset_index(drop=True), rejected=rejected)


def known_sites(result: ReadResult, sites: pd.DataFrame) -> ReadResult:
    frame = result.accepted
    lookup = dict(zip(sites["site_id"].astype(str), sites["area_id"].astype(str)))
    bad = ~frame["site_id"].astype(str).isin(lookup)
    rejected = list(result.rejected) + [
        Rejection(result.dataset.file, _line(line), _column(result, "site_id", "Enhets-ID"), str(s),
                  "Enheten finns inte i arbetsytans skolor och fritidsgårdar; importera dem först.")
        for line, s in zip(frame.loc[bad, "_line"], frame.loc[bad, "site_id"])]
    ok = frame[~bad].assign(area_id=lambda f: f["site_id"].astype(str).map(lookup))
    return replace(result, accepted=ok.reset_index(drop=True), rejected=rejected)
