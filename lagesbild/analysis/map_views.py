"""What the map can show for a layer: the value, a smoothed rate, a 3-year mean, the change since
the previous period, or hot and cold spots. Every view is built from protected figures only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from lagesbild.analysis import change, hotspots, smoothing
from lagesbild.analysis.chance import FlagCount, flags_text
from lagesbild.analysis.figures import layer_figures, periods
from lagesbild.analysis.view_names import VIEW_TITLES
from lagesbild.core import schema
from lagesbild.core.errors import InputError
from lagesbild.core.frames import Frames
from lagesbild.core.layers import LayerSpec, wide_layers
from lagesbild.core.settings import Settings
from lagesbild.core.taxonomy import Taxonomy

DEFAULT_NEED = ("vald_topp", "otrygghet")  # layers measuring need for the coverage-gap view
CHANGE_COLORS = {"up": "#d6604d", "down": "#4393c3", "none": "#f7f7f7", "hidden": "#bdbdbd",
                 "missing": "#d9d9d9", "part_year": "#e7d4e8"}
CHANGE_CAVEAT = (
    "Varje kommun prövas för sig: några 'utöver slumpen' väntas ändå av en slump.",
    "Each kommun is tested on its own: some 'beyond chance' are expected by chance alone.")


@dataclass(frozen=True)
class MapView:
    """Either classed values (`figures`, layer_figures columns) or categories (`categories`:
    area_id, name, category, lines (text lines for the tooltip), source)."""

    view: str
    title: str
    period: str
    figures: pd.DataFrame | None = None
    categories: pd.DataFrame | None = None
    legend: list[tuple[str, str, str]] = field(default_factory=list)
    note: str = ""
    table: pd.DataFrame | None = None  # the view's own table, when it has one (coverage_need)
    level: str = "kommun"  # the area level drawn (small-area views: deso, regso, stadsdel…)
    # what the flags add up to, shown beside the map: the areas flagged against the number
    # expected by chance alone (change, hot spots), or why hot spots were not computed
    summary: str = ""
    flags: tuple[FlagCount, ...] = ()


def available_views(spec: LayerSpec) -> list[str]:
    if spec.kind in smoothing.RATE_KINDS:
        return ["value", "smoothed", "rolling", "change", "hotspots"]
    if spec.kind in hotspots.ACCEPTED_KINDS:
        return ["value", "change", "hotspots"]
    return ["value", "need"]


def view_periods(frames: Frames, spec: LayerSpec, view: str) -> list[str]:
    """Periods the view can be shown for, newest last."""
    if view == "rolling":
        return smoothing.rolling_periods(frames, spec)
    found = periods(frames, spec)
    return found[1:] if view == "change" else found


def view_title(view: str, lang: str) -> str:
    sv, en = VIEW_TITLES[view]
    return en if lang == "en" else sv


def map_view(frames: Frames, spec: LayerSpec, *, view: str, period: str, sex: str,
             taxonomy: Taxonomy, settings: Settings, lang: str = "sv",
             need: tuple[str, ...] = DEFAULT_NEED,
             layers: dict[str, LayerSpec] | None = None, fdr: bool = False) -> MapView:
    """The map of `view`; `fdr` applies the false-discovery-rate cut-off to hot spots."""
    if view not in available_views(spec):
        raise InputError(f"Visningen '{view}' finns inte för lagret {spec.id}.", field="view",
                         fix=f"Välj en av: {', '.join(available_views(spec))}.")
    title = f"{spec.title(lang)}: {view_title(view, lang)}"
    args = dict(taxonomy=taxonomy, settings=settings)
    if view == "value":
        return MapView(view, spec.title(lang), period,
                       figures=layer_figures(frames, spec, period=period, sex=sex, **args))
    if view == "smoothed":
        figs = layer_figures(frames, spec, period=period, sex=sex, **args)
        smoothed = smoothing.empirical_bayes(figs, per=spec.per)
        return MapView(view, title, period, figures=_with_raw_note(smoothed, lang),
                       note=("Utjämnade värden drar små kommuners takt mot länets; inget "
                             "intervall visas för dem." if lang != "en" else
                             "Smoothed values pull small kommuner's rates towards the county's; "
                             "no interval is shown for them."))
    if view == "rolling":
        figs = smoothing.rolling_rates(frames, spec, end=period, sex=sex, **args)
        return MapView(view, title, figs["period"].iloc[0] if len(figs) else period, figures=figs)
    if view == "need":
        return need_view(frames, spec, term=period, need=need, taxonomy=taxonomy,
                         settings=settings, lang=lang, layers=layers)
    if view == "change":
        return _change_view(frames, spec, period=period, sex=sex, title=title, lang=lang, **args)
    return _hotspot_view(frames, spec, period=period, sex=sex, title=title, lang=lang,
                         fdr=fdr, **args)


def _with_raw_note(figures: pd.DataFrame, lang: str) -> pd.DataFrame:
    out = figures.copy()
    smoothed = out.get("smoothed", pd.Series(False, index=out.index)).fillna(False).astype(bool)
    raw = [f"{'unsmoothed' if lang == 'en' else 'ej utjämnat'}: {_num(v)} "
           f"({_num(lo)}–{_num(hi)})" if s and pd.notna(v) else ""
           for s, v, lo, hi in zip(smoothed, out["raw_value"], out["raw_ci_low"],
                                   out["raw_ci_high"])]
    out["note"] = [f"{n}; {r}" if n and r else n or r for n, r in zip(out["note"], raw)]
    return out


def _num(value: object) -> str:
    if value is None or pd.isna(value):
        return "–"
    return f"{float(value):,.1f}".replace(",", "\u00a0").replace(".", ",")


def _dispersion(frames: Frames, spec: LayerSpec, *, taxonomy: Taxonomy, settings: Settings,
                **_: object) -> pd.DataFrame | None:
    from lagesbild.analysis.dispersion import layer_dispersion

    if spec.kind not in ("count_rate", "incident_rate"):
        return None
    return layer_dispersion(frames, spec, taxonomy=taxonomy, settings=settings)


def _change_view(frames: Frames, spec: LayerSpec, *, period: str, sex: str, title: str,
                 lang: str, taxonomy: Taxonomy, settings: Settings) -> MapView:
    found = periods(frames, spec)
    if period not in found or found.index(period) == 0:
        raise InputError(f"Det finns ingen period före {period} att jämföra med.",
                         field="period", fix="Välj en senare period.")
    before = found[found.index(period) - 1]
    args = dict(sex=sex, taxonomy=taxonomy, settings=settings)
    figs_to = layer_figures(frames, spec, period=period, **args)
    table = change.change_table(layer_figures(frames, spec, period=before, **args), figs_to,
                                settings=settings, dispersion=_dispersion(frames, spec, **args))
    table = table[table["level"] == schema.AreaLevel.KOMMUN.value]
    keys = {sv: key for key, (sv, _) in change.VERDICTS.items()}
    sources = dict(zip(figs_to["area_id"], figs_to["source"]))
    en = lang == "en"
    rows = pd.DataFrame({
        "area_id": table["area_id"], "name": table["name"],
        "category": [keys.get(v, "missing") for v in table["verdict"]],
        "lines": [[v_en if en else v, d, f"{before}: {a}", f"{period}: {b}"]
                  for v, v_en, d, a, b in zip(table["verdict"], table["verdict_en"],
                                              table["display"], table["display_from"],
                                              table["display_to"])],
        "source": [sources.get(a, "") for a in table["area_id"]],
    })
    legend = [(key, (en_label if en else sv_label), CHANGE_COLORS[key])
              for key, (sv_label, en_label) in change.VERDICTS.items()]
    flags = (change.change_flags(table, settings.confidence),)
    return MapView("change", f"{title} ({before}–{period})", period, categories=rows,
                   legend=legend, note=CHANGE_CAVEAT[1 if en else 0],
                   summary=flags_text(flags, lang, "kommuner"), flags=flags)


def _hotspot_view(frames: Frames, spec: LayerSpec, *, period: str, sex: str, title: str,
                  lang: str, taxonomy: Taxonomy, settings: Settings, fdr: bool) -> MapView:
    table = hotspots.hotspot_figures(frames, spec, period=period, sex=sex, taxonomy=taxonomy,
                                     settings=settings, fdr=fdr)
    figs = layer_figures(frames, spec, period=period, sex=sex, taxonomy=taxonomy,
                         settings=settings)
    sources = dict(zip(figs["area_id"], figs["source"]))
    en = lang == "en"
    rows = pd.DataFrame({
        "area_id": table["area_id"], "name": table["name"], "category": table["class"],
        "lines": [[lab_en if en else lab, disp] for lab, lab_en, disp in
                  zip(table["label"], table["label_en"], table["display"])],
        "source": [sources.get(a, "") for a in table["area_id"]],
    })
    return hotspot_map_view(table, rows, title=title, period=period, lang=lang, fdr=fdr)


def hotspot_map_view(table: pd.DataFrame, rows: pd.DataFrame, *, title: str, period: str,
                     lang: str, fdr: bool, level: str = "kommun") -> MapView:
    """The hot-spot MapView of a `hotspots` result: classes, legend, caveat and the flags
    against chance; when no area took part for lack of areas, only "not computed" and why."""
    flags = tuple(hotspots.flag_counts(table, fdr=fdr))
    legend = hotspots.legend(lang=lang)
    if flags[0].n_tested == 0:
        legend, flags = legend[-1:], ()
    caveat = hotspots.CAVEAT[lang]
    if fdr:
        caveat += (" Justerat för falska upptäckter (Benjamini–Hochberg)." if lang != "en" else
                   " Adjusted for false discoveries (Benjamini–Hochberg).")
    return MapView("hotspots", title, period, categories=rows, legend=legend, note=caveat,
                   level=level, summary=hotspots.summary(table, lang, fdr=fdr), flags=flags)


def need_view(frames: Frames, spec: LayerSpec, *, term: str, need: tuple[str, ...],
              taxonomy: Taxonomy, settings: Settings, lang: str = "sv",
              layers: dict[str, LayerSpec] | None = None) -> MapView:
    """Coverage of the layer's programmes in `term` against need on the `need` layers."""
    from lagesbild.analysis.need import (QUADRANTS, bands_note, coverage_need, quadrant_labels,
                                         quadrants)

    known = layers or wide_layers(settings)
    available = set(known)
    usable = tuple(n for n in need if n in available) or tuple(
        i for i in DEFAULT_NEED if i in available)
    table = coverage_need(frames, term=term, need=usable, programmes=spec.programmes,
                          layers=known, taxonomy=taxonomy, settings=settings)
    en = lang == "en"
    keys = quadrants(table, settings.coverage_bands)
    labels = quadrant_labels(settings.coverage_bands, lang)
    rows = pd.DataFrame({
        "area_id": table["area_id"], "name": table["name"], "category": keys,
        "lines": [[labels[k],
                   f"{'Need (percentile)' if en else 'Behov (percentil i länet)'}: {_pct(n)}",
                   f"{'Coverage' if en else 'Täckning'}: {_pct(c)} %"]
                  for k, n, c in zip(keys, table["need_pct"], table["coverage_pct"])],
        "source": table["source"].fillna("")})
    note = (("Need = the mean percentile on: " if en else "Behov = genomsnittlig percentil på: ")
            + ", ".join(known[u].title(lang) for u in usable) + ". "
            + bands_note(settings.coverage_bands, lang).rstrip("."))
    return MapView("need", view_title("need", lang), term, categories=rows,
                   legend=[(k, labels[k], v[2]) for k, v in QUADRANTS.items()],
                   note=note, table=table)


def _pct(value: object) -> str:
    return "–" if value is None or pd.isna(value) else f"{float(value):.0f}"
