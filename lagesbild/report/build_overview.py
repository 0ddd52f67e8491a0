"""The county report's table "Länsöversikt": each kommun of the län against the county, one
column per report layer (`analysis.county_overview`).

Every cell is the kommun's protected display followed by its position to the county as text
("över", "inom", "under", "dold", "saknas"), so every format shows the position; the writers that
can colour cells (HTML, Excel) also get the position's background colour (`Table.fills`).
"""

from __future__ import annotations

import pandas as pd

from lagesbild.analysis.county_overview import (COLOURS, POSITION_EN, overview_cells,
                                                overview_tables)
from lagesbild.report.build_context import Context
from lagesbild.report.model import Table


def overview_specs(ctx: Context) -> list:
    """The layers of the overview: the report's layers with data, then the crime groups'."""
    chosen = ctx.chosen()
    extra = [s for s in ctx.specs.values() if s.crime_group and ctx.layer_period(s)
             and s not in chosen]
    return [*chosen, *extra]


def county_overview(ctx: Context, paras: list[str], tables: list[Table]) -> None:
    """Append the table "Länsöversikt" and a sentence on it (only in a county's report)."""
    if not ctx.is_county:
        return
    cells = overview_cells(ctx.frames, overview_specs(ctx), county_id=ctx.area_id,
                           period=ctx.period, taxonomy=ctx.taxonomy, settings=ctx.settings)
    if cells.empty:
        return
    area = ctx.tr("Kommun", "Municipality")
    displays, positions = overview_tables(cells, lang=ctx.lang, period=ctx.period, area=area)
    label = (lambda p: POSITION_EN.get(p, p)) if ctx.en else (lambda p: p)
    frame = displays.copy()
    for col in displays.columns[1:]:
        frame[col] = [f"{ctx.display(d)} · {label(p)}"
                      for d, p in zip(displays[col], positions[col])]
    firsts = cells.drop_duplicates("layer")
    county = {area: ctx.area_name, **{c: ctx.display(d) for c, d in
                                      zip(displays.columns[1:], firsts["county_display"])}}
    frame = pd.concat([pd.DataFrame([county]), frame], ignore_index=True)
    fills = positions.copy()
    fills[area] = ""
    for col in positions.columns[1:]:
        fills[col] = [COLOURS.get(p, "") for p in positions[col]]
    fills = pd.concat([pd.DataFrame([{c: "" for c in fills.columns}]), fills], ignore_index=True)
    counts = cells["position"].value_counts()
    paras.append(ctx.tr(
        f"Länsöversikt: länets {len(displays)} kommuner på {len(displays.columns) - 1} lager, "
        f"var och en mot länets eget värde. {counts.get('över', 0)} värden ligger över länet och "
        f"{counts.get('under', 0)} under (hela 95 %-intervallet på ena sidan), "
        f"{counts.get('dold', 0)} är dolda.",
        f"County overview: the county's {len(displays)} municipalities on "
        f"{len(displays.columns) - 1} layers, each against the county's own value. "
        f"{counts.get('över', 0)} values lie above the county and {counts.get('under', 0)} below "
        f"(the whole 95% interval on one side), {counts.get('dold', 0)} are hidden."))
    tables.append(Table(
        title=ctx.tr(f"Länsöversikt: {ctx.area_name}", f"County overview: {ctx.area_name}"),
        frame=frame, fills=fills, note=ctx.tr(
            "Första raden är länets eget värde. Läge mot länets värde: över/under när kommunens "
            "hela 95 %-intervall ligger över/under länets värde, annars inom; dold där värdet "
            "skyddas (röjandekontroll), saknas där kommunen saknar uppgift. Ett lager utan data "
            "för perioden visar sin senaste tidigare period i rubriken. Färg: orange över, blå "
            "under, grå inom eller dold.",
            "The first row is the county's own value. Position against the county's value: "
            "above/below when the municipality's whole 95% interval lies above/below it, else "
            "within; hidden where the value is protected (disclosure control), missing where "
            "the municipality has no data. A layer without data for the period shows its latest "
            "earlier period in the heading. Colour: orange above, blue below, grey within or "
            "hidden.")))
