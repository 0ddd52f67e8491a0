"""What every report builder checks and records: its arguments, the release audit a report for a
wide audience must pass, and the report's metadata (`build.build_report` for a kommun or a
county, `build_group.build_group_report` for a group of kommuner)."""

from __future__ import annotations

from lagesbild.core.errors import DisclosureError, InputError
from lagesbild.core.frames import Frames
from lagesbild.core.layers import LayerSpec, get_layer, wide_only
from lagesbild.core.schema import FOCUS_AREAS, SECTION_KEYS
from lagesbild.core.settings import Settings
from lagesbild.core.taxonomy import Taxonomy
from lagesbild.report.build_context import Context
from lagesbild.report.model import AUDIENCES


def refuse_a_disclosing_release(frames: Frames, specs: dict[str, LayerSpec],
                                  taxonomy: Taxonomy, settings: Settings, period: str,
                                  area_id: str) -> None:
    """The adversary over the period's protected cubes; a report is not built from a release
    that would let a hidden cell be narrowed (a bug in the protection, never the user's). Only
    the report's county is audited: no relation links two counties."""
    from lagesbild.analysis.release import release_audit

    county = next((lan for lan in frames.lan["area_id"].astype(str)
                   if lan[:2] == str(area_id)[:2]), None)
    result = release_audit(frames, taxonomy=taxonomy, settings=settings, periods=[period],
                           specs=specs, county=county)
    if not result.passed:
        cells = ", ".join(result.disclosed["cell"].head(3))
        raise DisclosureError(
            f"Rapporten skapas inte: granskningen av röjanderisken hittade {len(result.disclosed)} "
            f"dolda uppgifter som kan ringas in ({cells} …). Kör 'lagesbild audit' och rapportera "
            "felet; rapporten för polisen påverkas inte.")

def check_arguments(frames: Frames, specs: dict[str, LayerSpec], *, area_id: str,
                    notes: dict[str, str] | None, goals: dict[str, str] | None, audience: str,
                    lang: str, layers: list[str] | None
                    ) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """(notes, goals, chosen layer ids) after checking the arguments of a report."""
    notes, goals = dict(notes or {}), dict(goals or {})
    if audience not in AUDIENCES:
        raise InputError(f"Okänd målgrupp '{audience}'.", field="audience",
                         fix=f"Välj en av: {', '.join(AUDIENCES)}.")
    if lang not in ("sv", "en"):
        raise InputError(f"Okänt språk '{lang}'.", field="lang", fix="Välj sv eller en.")
    for given, known, name in ((notes, SECTION_KEYS, "notes"), (goals, FOCUS_AREAS, "goals")):
        unknown = sorted(set(given) - set(known))
        if unknown:
            raise InputError(f"Okänd nyckel: {', '.join(unknown)}.", field=name,
                             fix=f"Använd någon av: {', '.join(known)}.")
    known_areas = set(frames.kommuner["area_id"].astype(str)) | set(frames.lan["area_id"].astype(str))
    if str(area_id) not in known_areas:
        raise InputError(f"Området '{area_id}' finns inte i arbetsytan.", field="area",
                         fix=f"Välj en av: {', '.join(sorted(known_areas))}.")
    # the main groups of crime beyond violence are one compact table (`build_crime`), not a map,
    # trend and ranking each, unless asked for by name
    if audience == "wide":  # a police-only layer never reaches a report beyond the police
        # (the builders drop them from their specs too: `wide_only`)
        asked = [i for i in (layers or ()) if i in specs and i not in wide_only(specs)]
        if asked:
            raise InputError(f"Lagret '{asked[0]}' är bara för polisen.", field="layers",
                             fix="Välj målgruppen polisen, eller ta bort lagret ur rapporten.")
        specs = wide_only(specs)
    chosen = [get_layer(specs, i).id for i in layers] if layers is not None else \
        [i for i, s in specs.items() if not s.crime_group]
    return notes, goals, chosen

def report_meta(ctx: Context) -> dict[str, str]:
    """The report's metadata (the writers' document properties)."""
    return {
        "county_id": ctx.county_id or "", "county_name": ctx.county_name,
        "layers": ", ".join(s.id for s in ctx.chosen()),
        "layer_periods": "; ".join(f"{s.id}={ctx.layer_period(s)}" for s in ctx.chosen()),
        "suppress_below": str(ctx.settings.suppress_below),
        "min_survey_n": str(ctx.settings.min_survey_n),
        # "none", or how many offence points the police's own report shows
        "point_data": str(ctx._memo.get("point_data", "none")),
    }
