"""The report's trainings of staff, in the prevention section: one paragraph and a table.

"Under 2024 har 120 deltagare från skola och fritidsgård utbildats i Gävlemodellen och
MVP-utbildning (6 tillfällen), sammanlagt 340 timmar." The year is the report's (its last year
when the period spans several); a year without trainings says so rather than showing another.
"""

from __future__ import annotations

import dataclasses
import re

import pandas as pd

from lagesbild.analysis import trainings
from lagesbild.core.i18n import t
from lagesbild.report.build_context import Context
from lagesbild.report.model import Section, Table


def _joined(words: list[str], en: bool) -> str:
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {'and' if en else 'och'} {words[-1]}"


def _occasions(n: int, en: bool) -> str:
    if en:
        return f"{n} occasion{'' if n == 1 else 's'}"
    return f"{n} tillfälle{'' if n == 1 else 'n'}"


def _year(ctx: Context) -> int | None:
    found = re.findall(r"(?:19|20)\d\d", str(ctx.period))
    return int(found[-1]) if found else None


def with_trainings(ctx: Context, section: Section) -> Section:
    """`section` (the prevention section) with the trainings of the report's kommuner."""
    if not len(ctx.frames.trainings):
        return section
    year = _year(ctx)
    own = ctx.own_ids()
    s = trainings.summary(ctx.frames, own, year=year)
    when = str(year) if year is not None else ctx.tr("alla år", "all years")
    if not s["occasions"]:
        text = ctx.tr(f"Inga utbildningar av personal är registrerade för {ctx.area_name} {when}.",
                      f"No trainings of staff are recorded for {ctx.area_name} in {when}.")
        return dataclasses.replace(section, paragraphs=section.paragraphs + (text,))
    kinds = _joined([trainings.UNIT_EN.get(k, k) if ctx.en else k for k in s["unit_kinds"]],
                    ctx.en)
    names = _joined(s["trainings"], ctx.en)
    hours = "" if s["hours"] is None else ctx.tr(
        f", sammanlagt {ctx.num(s['hours'], 0)} timmar", f", {ctx.num(s['hours'], 0)} hours in all")
    missing = "" if not s["hours_missing"] or s["hours"] is None else ctx.tr(
        f" (timmar saknas för {_occasions(s['hours_missing'], False)})",
        f" (hours missing for {_occasions(s['hours_missing'], True)})")
    text = ctx.tr(
        f"Under {when} har {ctx.num(s['participants'], 0)} deltagare från {kinds} utbildats i "
        f"{names} ({_occasions(s['occasions'], False)}){hours}{missing}.",
        f"In {when}, {ctx.num(s['participants'], 0)} participants from {kinds} were trained in "
        f"{names} ({_occasions(s['occasions'], True)}){hours}{missing}.")
    return dataclasses.replace(section, paragraphs=section.paragraphs + (text,),
                               tables=section.tables + (_table(ctx, year, when),))


def _table(ctx: Context, year: int | None, when: str) -> Table:
    rows = trainings.by_training(ctx.frames, year=year)
    keep = [*ctx.own_ids(), *([ctx.county_id] if ctx.is_county and ctx.county_id else [])]
    rows = rows[rows["area_id"].astype(str).isin(keep)]
    frame = pd.DataFrame({
        t("training", ctx.lang): rows["training"].astype(str),
        ctx.tr("Kommun", "Municipality"): rows["name"].astype(str),
        t("unit_kind", ctx.lang): [trainings.UNIT_EN.get(k, k) if ctx.en else k
                                   for k in rows["unit_kind"].astype(str)],
        t("training_occasions", ctx.lang): rows["occasions"],
        t("training_participants", ctx.lang): rows["participants"],
        t("training_hours", ctx.lang): rows["hours"],
        t("training_staff", ctx.lang): rows["staff"],
        t("training_share", ctx.lang): rows["share_staff"],
        t("source", ctx.lang): rows["source"],
    })
    return ctx.table(ctx.tr(f"Utbildningar av personal, {when}", f"Trainings of staff, {when}"),
                     frame, note=trainings.NOTES["en" if ctx.en else "sv"],
                     source_col=t("source", ctx.lang))
