"""Map views inside one kommun at a level below it: value, smoothed rate and hot spots.

Every view reads `small_areas.small_area_figures` (protected); the smoothed rates pull each
area toward its kommun's published rate, and hot spots (Gi*) use the shown area rates only.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pandas as pd

from lagesbild.analysis import hotspots, smoothing
from lagesbild.analysis.map_views import MapView, view_title
from lagesbild.analysis.pyramid import Taxonomy
from lagesbild.analysis.small_areas import (SMALL_KINDS, SMALL_PER, level_areas, level_name,
                                            small_area_figures)
from lagesbild.errors import InputError
from lagesbild.frames import Frames
from lagesbild.layers import LayerSpec
from lagesbild.settings import Settings

SMALL_VIEWS = ("value", "smoothed", "hotspots")
_PER = re.compile(r"per 100[\s\u00a0,.]?000")


def small_spec(spec: LayerSpec) -> LayerSpec:
    """The layer as shown below the kommun: rates per 1 000, and titles that say so."""
    if spec.kind != "incident_rate":
        return spec
    return replace(spec, per=SMALL_PER, title_sv=_PER.sub("per 1\u00a0000", spec.title_sv),
                   title_en=_PER.sub("per 1,000", spec.title_en))


def small_views(spec: LayerSpec) -> list[str]:
    if spec.kind == "incident_rate":
        return list(SMALL_VIEWS)
    return ["value", "hotspots"] if spec.kind in SMALL_KINDS else []


def small_area_view(frames: Frames, spec: LayerSpec, *, level: str, kommun: str, view: str,
                    period: str, sex: str, taxonomy: Taxonomy, settings: Settings,
                    lang: str = "sv") -> MapView:
    if view not in small_views(spec):
        raise InputError(f"Visningen '{view}' finns inte per {level_name(level, lang)} för "
                         f"lagret {spec.id}.", field="view",
                         fix=f"Välj en av: {', '.join(small_views(spec)) or 'värde per kommun'}.")
    shown = small_spec(spec)
    figs = small_area_figures(frames, spec, level=level, period=period, sex=sex,
                              taxonomy=taxonomy, settings=settings, kommun=kommun)
    place = f"{frames.area_name(kommun)}, {level_name(level, lang)}"
    en = lang == "en"
    if view == "value":
        return MapView(view, f"{shown.title(lang)} ({place})", period, figures=figs, level=level)
    if view == "smoothed":
        out = smoothing.empirical_bayes(figs, per=SMALL_PER, unit_level=level,
                                        parent_level="kommun")
        note = ("Smoothed values pull small areas' rates towards the kommun's; no interval is "
                "shown for them." if en else "Utjämnade värden drar små områdens takt mot "
                "kommunens; inget intervall visas för dem.")
        return MapView(view, f"{shown.title(lang)}: {view_title(view, lang)} ({place})", period,
                       figures=out, level=level, note=note)
    table = small_area_hotspots(frames, figs, level=level, kommun=kommun)
    rows = pd.DataFrame({
        "area_id": table["area_id"], "name": table["name"], "category": table["class"],
        "lines": [[lab_en if en else lab, disp] for lab, lab_en, disp in
                  zip(table["label"], table["label_en"], table["display"])],
        "source": table["source"],
    })
    return MapView("hotspots", f"{shown.title(lang)}: {view_title(view, lang)} ({place})",
                   period, categories=rows, legend=hotspots.legend(lang=lang),
                   note=hotspots.CAVEAT[lang], level=level)


def small_area_hotspots(frames: Frames, figures: pd.DataFrame, *, level: str, kommun: str,
                        **options: object) -> pd.DataFrame:
    """Gi* on the protected area figures of one kommun (`small_area_figures` rows of `level`).

    Hidden areas are left out (their neighbours have fewer neighbours), as for kommuner.
    Returns area_id, name, display and source beside `hotspots.COLUMNS`.
    """
    rows = figures[figures["level"] == level]
    reasons = {"few_respondents": "hidden_few_respondents", "secondary": "hidden_secondary"}
    hidden = {str(a): reasons.get(str(s), "hidden_few_cases")
              for a, s, h in zip(rows["area_id"], rows["suppression"], rows["suppressed"]) if h}
    values = rows.set_index("area_id")["value"].mask(rows.set_index("area_id")["suppressed"])
    areas = level_areas(frames, level, kommun)
    result = hotspots.hotspots(areas, values, hidden=hidden, **options)  # type: ignore[arg-type]
    shown = rows[["area_id", "name", "display", "source"]].astype({"area_id": str})
    return shown.merge(result, on="area_id", how="right")
