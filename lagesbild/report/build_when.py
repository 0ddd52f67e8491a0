"""Kartläggning's "när" and the small-area "var": time of day × weekday, and the areas below
the kommun, both from the police extract and both protected like every other figure."""

from __future__ import annotations

import pandas as pd

from lagesbild.analysis.cube import incident_periods
from lagesbild.analysis.time_coverage import incident_sources
from lagesbild.analysis.timing import when_table, when_wide
from lagesbild.core.taxonomy import ALL
from lagesbild.report.build_context import Context, count_cell, pick_period
from lagesbild.report.model import Table


def when(ctx: Context, paras: list[str], tables: list[Table]) -> None:
    """Adds the weekday × time-of-day table and one sentence, when the extract has the period."""
    years = incident_periods(ctx.frames)
    period = pick_period(years, ctx.period)
    if period is None:
        return
    areas = ctx.kommun_ids() if ctx.is_county else [ctx.area_id]
    table = when_table(ctx.frames, area_ids=areas, period=period, taxonomy=ctx.taxonomy,
                       settings=ctx.settings)
    cells = table.set_index(["weekday", "band"])
    total = cells.loc[(ALL, ALL)]
    if total["suppressed"] or not total["count"]:
        return
    night = [cells.loc[(ALL, b)] for b in ("3", "0")]
    weekend = [cells.loc[(d, ALL)] for d in ("4", "5", "6")]  # Friday to Sunday
    source = ctx.display(ctx.frames.source_label(incident_sources(ctx.frames)))
    sentence = ctx.tr(f"När, {ctx.area_name} {period} (våldsbrott i polisens utdrag, "
                      f"{total['display']} brott): ",
                      f"When, {ctx.area_name} {period} (violent offences in the police "
                      f"extract, {ctx.display(total['display'])} offences): ")
    parts = []
    if not any(c["suppressed"] for c in night):
        share = sum(int(c["count"]) for c in night) / int(total["count"]) * 100
        parts.append(ctx.tr(f"{ctx.num(share, 0)} % skedde kl. 18–06",
                            f"{ctx.num(share, 0)}% happened between 18:00 and 06:00"))
    if not any(c["suppressed"] for c in weekend):
        share = sum(int(c["count"]) for c in weekend) / int(total["count"]) * 100
        parts.append(ctx.tr(f"{ctx.num(share, 0)} % fredag–söndag",
                            f"{ctx.num(share, 0)}% Friday to Sunday"))
    if parts:
        paras.append(sentence + "; ".join(parts) + ".")
    frame = when_wide(table, ctx.lang)
    label = frame.columns[0]  # the weekday (or time band) names; the cells are counts
    frame = pd.DataFrame({c: [ctx.display(v) if c == label else count_cell(ctx.display(v))
                              for v in frame[c]] for c in frame.columns})
    tables.append(ctx.table(
        ctx.tr(f"När: veckodag och tid på dygnet, {ctx.area_name} {period}",
               f"When: weekday and time of day, {ctx.area_name} {period}"), frame,
        note=ctx.tr(f"Våldsbrott (pyramidens nivå 2–3) i polisens utdrag efter brottets tid. "
                    f"Källa: {source}. {ctx.suppression_note()}",
                    f"Violent offences (pyramid levels 2–3) in the police extract by the time "
                    f"of the offence. Source: {ctx.display(source)}. {ctx.suppression_note()}")))
