"""The prevention section's coverage per stadsdel, for a kommun report where the workspace has the
kommun's district boundaries (`analysis.district_coverage`): one short table, a row per district
with schools in the target group, and the schools outside every district said in the text."""

from __future__ import annotations

import pandas as pd

from lagesbild.analysis.district_coverage import DISTRICT_LEVEL, district_coverage, outside_note
from lagesbild.analysis.small_places import kommuner_with
from lagesbild.report.build_context import Context, rounded
from lagesbild.report.model import Table


def district_tables(ctx: Context, programmes: tuple[str, ...], term: str,
                    paras: list[str], level: str = DISTRICT_LEVEL) -> list[Table]:
    """Coverage per district of the report's kommun in `term` ([] for a county, or a kommun
    without districts); adds the schools outside every district to `paras`."""
    if ctx.is_county or ctx.area_id not in kommuner_with(ctx.frames, level):
        return []
    cov = district_coverage(ctx.frames, kommun=ctx.area_id, period=term, programmes=programmes,
                            level=level)
    if len(cov.outside):
        paras.append(outside_note(len(cov.outside), level, list(cov.outside["name"].astype(str)),
                                  ctx.lang))
    rows = cov.table[cov.table["schools"] > 0]
    if not len(rows):
        return []
    frame = pd.DataFrame({
        ctx.tr("Stadsdel", "District"): rows["name"].astype(str),
        ctx.tr("Skolor som nås", "Schools reached"): rows["schools_reached"].astype("Int64"),
        ctx.tr("Skolor", "Schools"): rows["schools"].astype("Int64"),
        ctx.tr("Elever som nås", "Pupils reached"): rows["pupils_reached"].astype("Int64"),
        ctx.tr("Elever i målgruppen", "Pupils in target group"):
            rows["eligible_pupils"].astype("Int64"),
        ctx.tr("Andel elever (%)", "Share of pupils (%)"): rounded(rows["share_pupils"], 1),
        ctx.tr("Program", "Programmes"): rows["programmes"].astype(str),
    })
    for col, sv, en in (("run_by", "Förvaltning", "Run by"), ("funded_by", "Finansierar",
                                                               "Funded by")):
        if rows[col].astype(bool).any():
            frame[ctx.tr(sv, en)] = rows[col].astype(str)
    without = int((cov.table["schools"] == 0).sum())
    source = ctx.cite(cov.source)  # the publisher, as every other source of the report
    note = ctx.tr(f"Skolorna placeras i stadsdel efter sitt läge. Källa: {source}.",
                  f"Schools are placed in a district by their position. Source: {source}.")
    if without:
        note += ctx.tr(f" {without} stadsdelar utan skolor i målgruppen visas inte.",
                       f" {without} districts without schools in the target group are not shown.")
    return [ctx.table(ctx.tr(f"Programtäckning per stadsdel, {ctx.area_name}, {term}",
                             f"Programme coverage by district, {ctx.area_name}, {term}"),
                      frame.reset_index(drop=True), note=note)]
