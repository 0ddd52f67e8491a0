"""The pyramid for one area and period: protected counts, rates and survey items per level."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from lagesbild.analysis.known import blank_uncovered, blank_unknown_sex, covered_areas, sex_known
from lagesbild.analysis import disclosure, stats
from lagesbild.analysis.cube import incident_periods, protected_cube
from lagesbild.analysis.figures import population_label, indicator_figures, population_for
from lagesbild.core.errors import InputError
from lagesbild.core.frames import Frames
from lagesbild.core.settings import Settings
from lagesbild.core.taxonomy import ALL, Taxonomy

SCHEMA = "lagesbild.pyramid/1"


@dataclass(frozen=True)
class PyramidView:
    area_id: str
    area_name: str
    period: str
    source: str  # "counts" or "incidents"
    source_label: str
    counts: pd.DataFrame  # level, category, sex, count, population, rate, ci_low, ci_high, suppressed, suppression, display
    indicators: pd.DataFrame  # level, indicator_id, title_sv, title_en, sex, value, ci_low, ci_high, n, suppressed, display, source
    threshold: int
    confidence: float
    # the days of a part year the police extracts cover ('1 jan–31 mar'); '' for a whole year.
    # A part year's rates are empty, or per year of person-time when settings.annualise.
    part_year: str = ""


def count_periods(frames: Frames, source: str) -> list[str]:
    if source == "counts":
        return sorted({str(p) for p in frames.incident_counts["period"].dropna()})
    return incident_periods(frames)


def pyramid_view(frames: Frames, taxonomy: Taxonomy, indicator_meta: dict[str, dict[str, Any]], *,
                 area_id: str, period: str, source: str, settings: Settings) -> PyramidView:
    known = set(frames.kommuner["area_id"]) | set(frames.lan["area_id"])
    if area_id not in known:
        raise InputError(f"Området '{area_id}' finns inte i arbetsytan.", field="area",
                         fix=f"Välj en av: {', '.join(sorted(known))}.")
    cube = protected_cube(frames, period=period, source=source, taxonomy=taxonomy, settings=settings)
    counts = cube[cube["area_id"] == area_id].drop(columns="area_id").reset_index(drop=True)
    every = population_for(frames, period)
    pop = every[every["area_id"] == area_id][["sex", "population"]]
    counts = counts.merge(pop, on="sex", how="left")
    exposure = counts["population"].astype("Float64")
    part_year = ""
    if source == "incidents":  # a year the extracts cover in part has no plain annual rate
        from lagesbild.analysis.time_coverage import part_year_table

        cover = part_year_table(frames, period, every)
        cover = cover[cover["area_id"].astype(str) == str(area_id)]
        if len(cover) and cover["label"].iloc[0]:
            part_year = str(cover["label"].iloc[0])
            exposure = (exposure * float(cover["fraction"].iloc[0])).round() \
                if settings.annualise else exposure * pd.NA
    rates = stats.rate(counts["count"].astype("Float64"), exposure,
                       confidence=settings.confidence)
    counts = pd.concat([counts, rates.rename(columns={"value": "rate"})], axis=1)
    counts["display"] = [disclosure.display_count(c, s, threshold=settings.suppress_below)
                         for c, s in zip(counts["count"], counts["suppression"])]
    # a source without the victim's sex: K and M say so instead of 0
    rates_of = ("rate", "ci_low", "ci_high")
    counts = blank_uncovered(counts.assign(area_id=area_id),
                             covered_areas(frames, period, source), value_columns=rates_of)
    counts = blank_unknown_sex(counts, sex_known(frames, period, source),
                               value_columns=rates_of).drop(columns="area_id")
    rows = []
    for level in taxonomy.levels:
        for ind in level.indicators:
            figs = indicator_figures(frames, ind, period=period, settings=settings)
            figs = figs[figs["area_id"] == area_id]
            meta = indicator_meta.get(ind, {})
            for rec in figs.to_dict("records"):
                rows.append({"level": level.level, "indicator_id": ind,
                             "title_sv": meta.get("title_sv", ind), "title_en": meta.get("title_en", ind),
                             **{k: rec[k] for k in ("sex", "value", "ci_low", "ci_high", "n",
                                                   "suppressed", "display", "source")}})
    indicators = pd.DataFrame(rows, columns=["level", "indicator_id", "title_sv", "title_en", "sex",
                                             "value", "ci_low", "ci_high", "n", "suppressed",
                                             "display", "source"])
    from lagesbild.analysis.time_coverage import incident_sources

    label = frames.source_label(frames.incident_counts["source"].unique().tolist()
                                if source == "counts" else incident_sources(frames))
    people = population_label(frames, period)  # the rates' denominator
    label = f"{label}; folkmängd: {people}" if label and people else label
    return PyramidView(area_id, frames.area_name(area_id), str(period), source,
                       label, counts, indicators,
                       settings.suppress_below, settings.confidence, part_year)


def _num(value: object) -> float | int | None:
    if value is None or pd.isna(value):
        return None
    return round(float(value), 2)


def _count_json(row: pd.Series) -> dict[str, Any]:
    return {"count": None if pd.isna(row["count"]) else int(row["count"]),
            "display": row["display"], "suppressed": bool(row["suppressed"]),
            "rate_per_100000": _num(row["rate"]), "ci_low": _num(row["ci_low"]),
            "ci_high": _num(row["ci_high"]),
            "population": None if pd.isna(row["population"]) else int(row["population"])}


def to_json(view: PyramidView, taxonomy: Taxonomy, *, sex: str, lang: str = "sv") -> dict[str, Any]:
    """The stable JSON document (schema lagesbild.pyramid/1) for one sex; see README."""
    counts = view.counts[view.counts["sex"] == sex]
    inds = view.indicators[view.indicators["sex"] == sex]
    levels = []
    for level in [*taxonomy.levels, None]:
        number = 0 if level is None else level.level
        part = counts[counts["level"] == number]
        total = part[part["category"] == ALL]
        entry: dict[str, Any] = {
            "level": number,
            "title": ("Utanför pyramiden" if lang == "sv" else "Outside the pyramid") if level is None
            else (level.title_en if lang == "en" else level.title_sv),
            "total": _count_json(total.iloc[0]) if len(total) else None,
            "categories": [{"category": r["category"], **_count_json(r)}
                           for _, r in part[part["category"] != ALL].iterrows()],
            "indicators": [{"id": r["indicator_id"], "title": r["title_en"] if lang == "en" else r["title_sv"],
                            "value_percent": _num(r["value"]), "ci_low": _num(r["ci_low"]),
                            "ci_high": _num(r["ci_high"]),
                            "n": None if pd.isna(r["n"]) else int(r["n"]),
                            "suppressed": bool(r["suppressed"]), "display": r["display"],
                            "source": r["source"]}
                           for _, r in inds[inds["level"] == number].iterrows()],
        }
        levels.append(entry)
    return {"schema": SCHEMA, "area": {"id": view.area_id, "name": view.area_name},
            "period": view.period, "part_year": view.part_year,
            "rates_annualised": bool(view.part_year) and not counts["rate"].isna().all(),
            "sex": sex, "count_source": view.source,
            "source": view.source_label, "suppress_below": view.threshold,
            "confidence": view.confidence, "levels": levels}
