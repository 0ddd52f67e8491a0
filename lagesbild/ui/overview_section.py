"""The Jämförelse page's section "Länsöversikt": every kommun of a län on every layer, each cell
the published figure and its position to the county, coloured by that position
(`analysis.county_overview`)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lagesbild.analysis.county_overview import (COLOURS, POSITION_EN, overview_cells,
                                                overview_tables)
from lagesbild.core.layers import LayerSpec
from lagesbild.core.settings import Settings
from lagesbild.core.taxonomy import Taxonomy
from lagesbild.ui import common, shown


@st.cache_data(max_entries=64, show_spinner=False, hash_funcs=common.FAST_HASH)
def overview(key: str, path: str, specs: tuple[LayerSpec, ...], county: str, period: str,
             sex: str, taxonomy: Taxonomy, settings: Settings, lang: str
             ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """(cell texts, background colours, the county's own displays) for the section."""
    cells = overview_cells(common.frames_for(key, path), specs, county_id=county, period=period,
                           taxonomy=taxonomy, settings=settings, sex=sex)
    area = "Municipality" if lang == "en" else "Kommun"
    displays, positions = overview_tables(cells, lang=lang, period=period, area=area)
    label = (lambda p: POSITION_EN.get(p, p)) if lang == "en" else (lambda p: p)
    texts, colours = displays.copy(), positions.copy()
    colours[area] = ""
    for col in displays.columns[1:]:
        texts[col] = [f"{shown.text(d, lang)} · {label(p)}" for d, p in zip(displays[col], positions[col])]
        colours[col] = [f"background-color: {COLOURS[p]}" if p in COLOURS else ""
                        for p in positions[col]]
    firsts = cells.drop_duplicates("layer")
    county_values = dict(zip(displays.columns[1:], [shown.text(v, lang)
                                                    for v in firsts["county_display"]]))
    return texts, colours, county_values


def render(ctx: common.Context, specs: dict[str, LayerSpec], taxonomy: Taxonomy, period: str,
           sex: str, county: str | None) -> None:
    """The section; with several län and none chosen it asks for one."""
    en = ctx.lang == "en"
    st.subheader("County overview" if en else "Länsöversikt")
    lan = common.frames(ctx).lan
    counties = lan["area_id"].astype(str).tolist()
    chosen = county if county is not None else counties[0] if len(counties) == 1 else None
    if chosen is None:
        st.info("Choose a county above to see its overview." if en else
                "Välj ett län ovan för att se länsöversikten.")
        return
    texts, colours, county_values = overview(
        ctx.key, ctx.location, tuple(specs.values()), chosen, str(period), sex,
        taxonomy, ctx.settings, ctx.lang)
    if len(texts.columns) <= 1:
        st.info(ctx.t("no_data"))
        return
    st.dataframe(texts.style.apply(lambda _: colours, axis=None), hide_index=True,
                 width="stretch", height=38 + 35 * min(len(texts), 40))
    name = dict(zip(lan["area_id"].astype(str), lan["name"].astype(str))).get(chosen, chosen)
    values = "; ".join(f"{c}: {v}" for c, v in county_values.items())
    st.caption((
        f"Each municipality against {name}'s own value ({period}, or a layer's latest earlier "
        "period, named in its heading). Orange: above (the whole 95% interval lies above the "
        "county's value); blue: below; grey: within (the interval reaches the county's value) "
        f"or hidden (disclosure control); white: missing. County values: {values}."
    ) if en else (
        f"Varje kommun mot {name}s eget värde ({period}, eller ett lagers senaste tidigare "
        "period, angiven i rubriken). Orange: över (hela 95 %-intervallet ligger över länets "
        "värde); blå: under; grå: inom (intervallet når länets värde) eller dold "
        f"(röjandekontroll); vit: saknas. Länets värden: {values}.")
        + " " + ctx.suppression_note())
