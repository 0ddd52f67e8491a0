"""The days a police extract covers: declared at import, or read from its first and last event.

A year the extract covers only in part (it ends 31 March) has no annual rate and is never
tested against a whole year (`analysis.time_coverage`). What the extract covers is its first to
its last event unless the user declares the span (`covers`, "2024-01-01:2024-12-31"): a small
kommun's own extract may have no event in the last days of December and still cover them.
A declared span is stored as the dataset's period ("2024-01-01–2024-12-31"); events outside it
are rejected on their own rows (the span is wrong, or the rows belong to another extract).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pandas as pd

from lagesbild.core.time_spans import declared_extent, year_cover
from lagesbild.core.errors import InputError, Rejection
from lagesbild.sources.tables import ReadResult


def parse_covers(text: object) -> tuple[date, date]:
    """'2024-01-01:2024-12-31' (or with '–', '/', '..') -> the two days; InputError else."""
    found = declared_extent(str(text))
    if found is None:
        raise InputError(f"'{text}' är ingen period med två datum.", field="covers",
                         fix="Ange första och sista dagen som utdraget täcker, t.ex. "
                             "2024-01-01:2024-12-31.")
    return found


def declare(result: ReadResult, covers: object | None) -> ReadResult:
    """An incident extract's span: declared (rows outside it rejected), or noted from its
    events with the part years it leaves."""
    if result.dataset.table != "incidents" or not len(result.accepted):
        return result
    when = pd.to_datetime(result.accepted["occurred_at"], errors="coerce")
    if covers is None:
        first, last = when.min().date(), when.max().date()
        return replace(result, notes=[*result.notes, _note(first, last, declared=False)])
    first, last = parse_covers(covers)
    days = when.dt.normalize()
    outside = (days < pd.Timestamp(first)) | (days > pd.Timestamp(last))
    header = result.columns.get("occurred_at", "occurred_at")
    bad = [Rejection(result.dataset.file, int(line), header, str(value),
                     f"händelsen ligger utanför perioden som utdraget sades täcka "
                     f"({first.isoformat()}–{last.isoformat()})")
           for line, value in zip(result.accepted.loc[outside, "_line"], when[outside])]
    accepted = result.accepted[~outside.to_numpy()].reset_index(drop=True)
    dataset = replace(result.dataset, period=f"{first.isoformat()}–{last.isoformat()}")
    return replace(result, accepted=accepted, dataset=dataset,
                   rejected=sorted([*result.rejected, *bad], key=lambda r: r.row),
                   notes=[*result.notes, _note(first, last, declared=True)])


def _note(first: date, last: date, *, declared: bool) -> str:
    part = [f"{y} ({c.label()})" for y in range(first.year, last.year + 1)
            if not (c := year_cover([(first, last)], y)).whole]
    how = "enligt angiven period" if declared else "enligt första och sista händelsedatum"
    text = f"Utdraget täcker {first.isoformat()}–{last.isoformat()} ({how})."
    if part:
        text += (f" Delår: {', '.join(part)}: där visas antal men ingen årstakt, och året "
                 "jämförs inte med hela år.")
        if not declared:
            text += " Täcker utdraget mer, ange perioden (--covers FÖRSTA:SISTA) och importera igen."
    return text
