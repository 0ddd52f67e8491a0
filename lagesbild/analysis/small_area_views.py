"""Map views at a level below the kommun: value, smoothed rate and hot spots.

Every view reads `small_areas.small_area_figures` (protected); the smoothed rates pull each
area toward its kommun's published rate, and hot spots (Gi*) use the shown area rates only.
`small_area_view` shows one kommun's areas; `all_kommuner_view` every kommun's at once (value
and smoothed only, see `all_views`).
"""

from __future__ import annotations

import re
from dataclasses import replace

import pandas as pd

from lagesbild.analysis import hotspots, smoothing
from lagesbild.analysis.map_views import MapView, hotspot_map_view, view_title
from lagesbild.analysis.small_areas import SMALL_KINDS, SMALL_PER, small_area_figures
from lagesbild.analysis.small_places import level_areas, level_name
from lagesbild.core.errors import InputError
from lagesbild.core.frames import Frames
from lagesbild.core.layers import LayerSpec
from lagesbild.core.settings import Settings
from lagesbild.core.taxonomy import Taxonomy

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


def all_views(spec: LayerSpec) -> list[str]:
    """The views of every kommun's areas at once: the one-kommun views without hot spots.

    Gi* is left out on purpose. Over all areas (about 6 000 DeSO nationally) its permutation
    p-values at 5 % flag hundreds of areas by chance alone, and the neighbours would cross
    kommun borders although each kommun's areas are protected (hidden) as a table of their own;
    per kommun it would be the one-kommun view repeated, with 290 permutation runs per rerun and
    the same multiple-testing problem summed over kommuner. Neither is sound at this scale, so
    hot spots stay a one-kommun view.
    """
    return [v for v in small_views(spec) if v != "hotspots"]


def smooth_per_kommun(figures: pd.DataFrame, *, level: str) -> pd.DataFrame:
    """`smoothing.empirical_bayes` run inside each kommun: areas toward their own kommun.

    `figures` are `small_area_figures(..., kommun=None)`: area rows (parent_id = kommun) and
    kommun rows. Each kommun with its areas is smoothed as the one-kommun view smooths it, so a
    kommun's smoothed rates are the same whether it is shown alone or among all.
    """
    owner = figures["parent_id"].where(figures["level"] == level, figures["area_id"])
    parts = [smoothing.empirical_bayes(rows, per=SMALL_PER, unit_level=level,
                                       parent_level="kommun")
             for _, rows in figures.groupby(owner.astype(str), sort=False)]
    if not parts:
        out = smoothing.empirical_bayes(figures, per=SMALL_PER, unit_level=level,
                                        parent_level="kommun")
    else:
        for part in parts:
            part.attrs = {}
        out = pd.concat(parts).loc[figures.index]
    out.attrs = {**figures.attrs, "smoothing": "empirical_bayes", "prior_source": "kommun"}
    return out


def all_kommuner_view(frames: Frames, spec: LayerSpec, *, level: str, view: str, period: str,
                      sex: str, taxonomy: Taxonomy, settings: Settings, lang: str = "sv",
                      figures: pd.DataFrame | None = None) -> MapView:
    """Every kommun's areas at `level`, each kommun protected as its own table (as shown alone).

    `small_area_figures(kommun=None)` protects each kommun separately (the same cells as the
    one-kommun view; the protection is computed for every kommun either way, so this costs
    what one kommun costs). `figures`: those figures when the caller has them already (the
    value view's), so that the smoothed view does not protect the same table again.
    """
    if view not in all_views(spec):
        raise InputError(f"Visningen '{view}' finns inte för alla kommuners "
                         f"{level_name(level, lang)} i lagret {spec.id}.", field="view",
                         fix=f"Välj en av: {', '.join(all_views(spec)) or 'värde per kommun'}.")
    shown = small_spec(spec)
    figs = figures if figures is not None else small_area_figures(
        frames, spec, level=level, period=period, sex=sex, taxonomy=taxonomy, settings=settings,
        kommun=None)
    en = lang == "en"
    place = f"{'all kommuner' if en else 'alla kommuner'}, {level_name(level, lang)}"
    if view == "value":
        return MapView(view, f"{shown.title(lang)} ({place})", period, figures=figs, level=level)
    out = smooth_per_kommun(figs, level=level)
    return MapView(view, f"{shown.title(lang)}: {view_title(view, lang)} ({place})", period,
                   figures=out, level=level, note=_smooth_note(lang))


def _smooth_note(lang: str) -> str:
    return ("Smoothed values pull small areas' rates towards the kommun's; no interval is "
            "shown for them." if lang == "en" else "Utjämnade värden drar små områdens takt "
            "mot kommunens; inget intervall visas för dem.")


def small_area_view(frames: Frames, spec: LayerSpec, *, level: str, kommun: str, view: str,
                    period: str, sex: str, taxonomy: Taxonomy, settings: Settings,
                    lang: str = "sv", fdr: bool = False) -> MapView:
    """One kommun's areas at `level`; `fdr` applies the false-discovery-rate cut-off to hot
    spots (which need at least `hotspots.MIN_AREAS` areas taking part)."""
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
        note = _smooth_note(lang)
        return MapView(view, f"{shown.title(lang)}: {view_title(view, lang)} ({place})", period,
                       figures=out, level=level, note=note)
    table = small_area_hotspots(frames, figs, level=level, kommun=kommun, fdr=fdr)
    rows = pd.DataFrame({
        "area_id": table["area_id"], "name": table["name"], "category": table["class"],
        "lines": [[lab_en if en else lab, disp] for lab, lab_en, disp in
                  zip(table["label"], table["label_en"], table["display"])],
        "source": table["source"],
    })
    return hotspot_map_view(table, rows, title=f"{shown.title(lang)}: {view_title(view, lang)} "
                            f"({place})", period=period, lang=lang, fdr=fdr, level=level)


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


def all_map_rows(figures: pd.DataFrame, level: str, names: dict[str, str]) -> pd.DataFrame:
    """area_id, value, display, name ("area, kommun") of the areas, for `fast_choropleth`.

    Hidden areas keep value NA and their display ("<5", "dold"): drawn in the no-data class."""
    rows = figures[figures["level"] == level]
    return pd.DataFrame({
        "area_id": rows["area_id"].astype(str).to_numpy(),
        "value": pd.to_numeric(rows["value"]).astype("float64").to_numpy(),
        "display": rows["display"].astype(str).to_numpy(),
        "name": [f"{n}, {names.get(str(k), str(k))}"
                 for n, k in zip(rows["name"], rows["parent_id"])],
    })


def figures_source(figures: pd.DataFrame) -> str:
    sources = figures["source"].replace("", pd.NA).dropna()
    return str(sources.iloc[0]) if len(sources) else ""
