"""The national reference value of a layer: the whole country's rate or share.

Where it comes from, in this order:

1. A national row in the workspace's own tables (area_id "00": "Riket" in a Brå table, in an
   SCB population table, or in a survey's national result). A national count needs a national
   population for the same year (a "Riket" row, or every one of the 290 kommuner).
2. For count layers in a workspace that holds every län (the national SKR kommun file): the sum
   of the published county figures. It is used only when every county's figure is shown, so the
   national value is a sum of published numbers and gives nothing hidden away.

Survey shares use the national row alone, with its n (Wilson interval; too few respondents
means no value). Layers from the police's extract (local data) have no national value.
"""

from __future__ import annotations

import pandas as pd

from lagesbild.analysis import disclosure, stats
from lagesbild.analysis.figures import (
    FIGURE_COLUMNS,
    NATIONAL_ID,
    _num,
    _rate_text,
    layer_figures,
)
from lagesbild.analysis.layer_rows import category_mask
from lagesbild.core.frames import Frames
from lagesbild.core.layers import LayerSpec
from lagesbild.core.settings import Settings
from lagesbild.core.taxonomy import Taxonomy

N_KOMMUNER = 290
N_LAN = 21
NATIONAL_NAME = ("Riket", "Sweden")


def national_figure(frames: Frames, spec: LayerSpec, *, period: str, sex: str,
                    taxonomy: Taxonomy, settings: Settings, lang: str = "sv") -> dict | None:
    """One figure (FIGURE_COLUMNS as a dict, level "riket", plus ``basis``) or None."""
    if spec.kind == "count_rate":
        return _count_rate(frames, spec, period=period, sex=sex, taxonomy=taxonomy,
                           settings=settings, lang=lang)
    if spec.kind == "indicator":
        return _share(frames, spec, period=period, sex=sex, settings=settings, lang=lang)
    return None


def _row(lang: str, **values: object) -> dict:
    row = {c: None for c in FIGURE_COLUMNS}
    row.update(area_id=NATIONAL_ID, name=NATIONAL_NAME[lang == "en"], level="riket",
               suppressed=False, suppression="", note="", part_year="")
    row.update(values)
    return row


def national_population(frames: Frames, year: str, sex: str) -> float | None:
    pop = frames.population
    pop = pop[(pop["year"].astype("string") == str(year)) & (pop["sex"] == sex)]
    own = pd.to_numeric(pop.loc[pop["area_id"] == NATIONAL_ID, "population"]).dropna()
    if len(own):
        return float(own.iloc[0])
    kommuner = pop[pop["area_id"].astype(str).str.fullmatch(r"\d{4}")]
    if kommuner["area_id"].nunique() == N_KOMMUNER:
        return float(pd.to_numeric(kommuner.groupby("area_id")["population"].first()).sum())
    return None


def _count_rate(frames: Frames, spec: LayerSpec, *, period: str, sex: str, taxonomy: Taxonomy,
                settings: Settings, lang: str) -> dict | None:
    data = frames.incident_counts
    data = data[(data["area_id"] == NATIONAL_ID) & (data["period"] == str(period))
                & (data["sex"] == sex)]
    data = data[category_mask(data["category"], spec, taxonomy)]
    basis = "file"
    source = frames.source_label(data["source"].unique().tolist())
    if len(data):
        count: float | None = float(pd.to_numeric(data["count"]).sum())
    else:
        count, source = _sum_of_counties(frames, spec, period=period, sex=sex,
                                         taxonomy=taxonomy, settings=settings)
        basis = "counties"
    if count is None:
        return None
    population = national_population(frames, period, sex)
    cell = pd.DataFrame({"count": [int(count)]})
    hidden = disclosure.suppress(cell, keys=[], threshold=settings.suppress_below)
    suppression = str(hidden["suppression"].iloc[0])
    rate = stats.rate(pd.Series([count]), pd.Series([population]), per=spec.per,
                      confidence=settings.confidence).iloc[0]
    shown = not suppression and population is not None
    en = lang == "en"
    note = (("the sum of the counties' published figures" if en else
             "summan av länens publicerade tal") if basis == "counties" else
            ("national value from the source" if en else "riksvärde ur källan"))
    if population is None:
        note += "; no national population" if en else "; folkmängd för riket saknas"
    return _row(lang, period=str(period), sex=sex, count=None if suppression else int(count),
                denominator=population, value=rate["value"] if shown else None,
                ci_low=rate["ci_low"] if shown else None, ci_high=rate["ci_high"] if shown else None,
                unit=spec.unit, suppressed=bool(suppression), suppression=suppression,
                display=_rate_text(rate["value"] if shown else None, None if suppression else count,
                                   suppression, spec.per, settings.suppress_below),
                note=note, source=source, basis=basis)


def _sum_of_counties(frames: Frames, spec: LayerSpec, *, period: str, sex: str,
                     taxonomy: Taxonomy, settings: Settings) -> tuple[float | None, str]:
    if len(frames.lan) != N_LAN or len(frames.kommuner) != N_KOMMUNER:
        return None, ""
    figs = layer_figures(frames, spec, period=period, sex=sex, taxonomy=taxonomy,
                         settings=settings)
    counties = figs[figs["level"] == "lan"]
    if counties["suppressed"].any() or counties["count"].isna().any():
        return None, ""
    return float(counties["count"].sum()), str(counties["source"].iloc[0])


def _share(frames: Frames, spec: LayerSpec, *, period: str, sex: str, settings: Settings,
           lang: str) -> dict | None:
    data = frames.indicators
    rows = data[(data["area_id"] == NATIONAL_ID) & (data["indicator_id"] == spec.indicator)
                & (data["period"] == str(period)) & (data["sex"] == sex)]
    rows = rows.dropna(subset=["value"])
    if not len(rows):
        return None
    row = rows.iloc[0]
    n = None if pd.isna(row["n"]) else int(row["n"])
    too_few = n is None or n < settings.min_survey_n
    low, high = stats.wilson_ci(pd.Series([float(row["value"]) / 100]), pd.Series([n or 0]),
                                confidence=settings.confidence)
    value = None if too_few else float(row["value"])
    display = (f"för få svar (n={n})" if n is not None else "antal svarande saknas") if too_few \
        else f"{_num(float(row['value']), 1)} % (n={_num(n, 0)})"
    return _row(lang, period=str(period), sex=sex, value=value, n=n, denominator=n,
                ci_low=None if too_few else float(low[0]) * 100,
                ci_high=None if too_few else float(high[0]) * 100, unit="percent",
                suppressed=too_few, suppression="few_respondents" if too_few else "",
                display=display,
                note="national value from the source" if lang == "en" else "riksvärde ur källan",
                source=frames.source_label([row["source"]]), basis="file")
