"""The prevention section's programme part: each programme run in the term against its own
target group (registry: layers/programmes.toml), its counts, units reached per kind, funders."""

from __future__ import annotations

import pandas as pd

from lagesbild.analysis.programme_summary import (
    by_funder,
    missing_denominators,
    programme_table,
    units_by_kind,
)
from lagesbild.core.programmes import load_programmes
from lagesbild.report.build_context import Context, rounded
from lagesbild.report.model import Table

KIND_PLURAL = {"grundskola": ("grundskolor", "compulsory schools"),
               "gymnasium": ("gymnasier", "upper secondary schools"),
               "förskola": ("förskolor", "preschools"), "fritidsgård": ("fritidsgårdar", "youth centres"),
               "parklek": ("parklekar", "play parks"), "arbetsplats": ("arbetsplatser", "workplaces")}


def _own(ctx: Context, frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of the report's own area: the county's row, else its own kommuner's."""
    ids = [ctx.area_id] if ctx.is_county else ctx.own_ids()
    return frame[frame["area_id"].astype(str).isin(ids)]


def programme_parts(ctx: Context, term: str) -> tuple[list[str], list[Table]]:
    """Paragraphs and tables on every programme run in `term` in the report's area."""
    registry = load_programmes(ctx.settings.layers_dir)
    table = _own(ctx, programme_table(ctx.frames, period=term, registry=registry))
    paras: list[str] = []
    counts = registry.counts()
    for name, rows in table.groupby("programme", sort=True):
        found = registry.find(name)
        head = f"{name} ({', '.join(p for p in (found.organiser, found.target(ctx.lang)) if p)})" \
            if found else name
        eligible, reached = int(rows["eligible_pupils"].sum()), int(rows["pupils_reached"].sum())
        units, people = int(rows["units_reached"].sum()), int(rows["participants"].sum())
        parts = [ctx.tr(f"{ctx.num(reached, 0)} av {ctx.num(eligible, 0)} elever i målgruppen "
                        f"({ctx.num(100 * reached / eligible)} %)",
                        f"{ctx.num(reached, 0)} of {ctx.num(eligible, 0)} pupils in the target "
                        f"group ({ctx.num(100 * reached / eligible)}%)")] if eligible else []
        parts.append(ctx.tr(f"{ctx.num(people, 0)} deltagare vid {ctx.num(units, 0)} "
                            + ("enhet" if units == 1 else "enheter"),
                            f"{ctx.num(people, 0)} participants at {ctx.num(units, 0)} "
                            + ("unit" if units == 1 else "units")))
        parts += [f"{ctx.num(rows[k].sum(), 0)} {c.label(ctx.lang).lower()}"
                  for k, c in counts.items() if rows[k].notna().any()]
        paras.append(f"{head}: {'; '.join(parts)}.")
    missing = _own(ctx, missing_denominators(ctx.frames, period=term, registry=registry))
    if len(missing):
        groups = ", ".join(dict.fromkeys(g for s in missing["missing_groups"] for g in s.split(", ")))
        paras.append(ctx.tr(
            f"{ctx.num(missing['pupils_no_eligible'].sum(), 0)} elever som nåtts vid "
            f"{', '.join(missing['name'].astype(str))} saknar antal elever i målgruppen ({groups}) "
            "och ingår inte i andelen (nämnaren saknas).",
            f"{ctx.num(missing['pupils_no_eligible'].sum(), 0)} pupils reached at "
            f"{', '.join(missing['name'].astype(str))} have no pupil count for their target group "
            f"({groups}) and are left out of the share (no denominator)."))
    kinds = _own(ctx, units_by_kind(ctx.frames, period=term, registry=registry))
    kinds = kinds.groupby("kind", sort=True)[["units", "units_reached", "participants"]].sum()
    kinds = kinds[kinds["units_reached"] > 0]
    if len(kinds):
        paras.append(ctx.tr("Enheter som nås: ", "Units reached: ") + ", ".join(
            f"{ctx.num(r['units_reached'], 0)} " + ctx.tr("av", "of") + f" {ctx.num(r['units'], 0)} "
            + KIND_PLURAL.get(str(k), (str(k), str(k)))[1 if ctx.en else 0]
            for k, r in kinds.iterrows()) + ".")
    tables = []
    if len(table):
        names = ctx.names()
        shown = {c.label(ctx.lang): table[k] for k, c in counts.items() if table[k].notna().any()}
        tables.append(ctx.table(ctx.tr(f"Program och målgrupper, {term}",
                                       f"Programmes and their target groups, {term}"),
                                pd.DataFrame({
            ctx.tr("Område", "Area"): table["area_id"].astype(str).map(names),
            ctx.tr("Program", "Programme"): table["programme"],
            ctx.tr("Organisatör", "Organiser"): table["organiser"],
            ctx.tr("Målgrupp", "Target group"): [
                registry.find(p).target(ctx.lang) if registry.find(p) else "" for p in table["programme"]],
            ctx.tr("Enheter som nås", "Units reached"): table["units_reached"],
            ctx.tr("Deltagare", "Participants"): table["participants"],
            ctx.tr("Elever i målgruppen", "Pupils in target group"):
                table["eligible_pupils"].astype("Int64").where(table["eligible_pupils"] > 0),
            ctx.tr("Andel elever (%)", "Share of pupils (%)"): rounded(table["share_pupils"], 1),
            **shown}), note=ctx.tr(
                "Varje program mot sin egen målgrupp; deltagare vid fritidsgårdar och parklekar "
                "är unga som nåtts.", "Each programme against its own target group; participants "
                "at youth centres and play parks are young people reached.")))
    funders = _own(ctx, by_funder(ctx.frames, period=term, registry=registry))
    if len(funders) and (funders["funder"] != "").any():
        tables.append(ctx.table(ctx.tr(f"Finansiering och förvaltning, {term}",
                                       f"Funded and run by, {term}"), pd.DataFrame({
            ctx.tr("Finansierar / förvaltning", "Funder / administration"):
                funders["funder"].where(funders["funder"] != "", ctx.tr("(ej angiven)", "(not given)")),
            ctx.tr("Enheter som nås", "Units reached"): funders["units_reached"],
            ctx.tr("Deltagare", "Participants"): funders["participants"],
            ctx.tr("Program", "Programme"): funders["programmes"]})))
    return paras, tables
