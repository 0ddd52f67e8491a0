"""Spans of days within a year: what a dataset covers, and how to say it ("1 jan–31 mar").

A year is whole when the covered days reach within `EDGE_DAYS` of 1 January and of
31 December with no gap longer than that inside: events are sparse in a small kommun, and the
first of the year may fall on 6 January. `analysis.time_coverage` applies this to the incident
extracts; `store.time_cover` to an extract's declared span at import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

EDGE_DAYS = 14
MONTHS_SV = ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec")
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class YearCover:
    """The covered days of one year (a list of inclusive date spans) and what they say."""

    year: int
    spans: tuple[tuple[date, date], ...]

    @property
    def days_in_year(self) -> int:
        return (date(self.year, 12, 31) - date(self.year, 1, 1)).days + 1

    @property
    def days(self) -> int:
        return sum((b - a).days + 1 for a, b in self.spans)

    @property
    def whole(self) -> bool:
        if not self.spans:
            return False
        edge = timedelta(days=EDGE_DAYS)
        gaps = [(b[0] - a[1]).days - 1 for a, b in zip(self.spans, self.spans[1:])]
        return (self.spans[0][0] - date(self.year, 1, 1) <= edge
                and date(self.year, 12, 31) - self.spans[-1][1] <= edge
                and all(g <= EDGE_DAYS for g in gaps))

    def label(self, lang: str = "sv") -> str:
        """'' for a whole year, else the covered spans: '1 jan–31 mar' (Swedish) by default."""
        if self.whole:
            return ""
        if not self.spans:
            return "inga dagar" if lang == "sv" else "no days"
        months = MONTHS_SV if lang == "sv" else MONTHS_EN
        return ", ".join(f"{a.day} {months[a.month - 1]}–{b.day} {months[b.month - 1]}"
                         for a, b in self.spans)


def _union(spans: list[tuple[date, date]]) -> tuple[tuple[date, date], ...]:
    merged: list[tuple[date, date]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1] + timedelta(days=1):
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return tuple(merged)


def year_cover(extents: list[tuple[date, date]], year: int) -> YearCover:
    """The part of `year` the extents (inclusive first and last days) cover."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    clipped = [(max(a, first), min(b, last)) for a, b in extents if a <= last and b >= first]
    return YearCover(year, _union(clipped))


_DECLARED = re.compile(r"\s*(\d{4}-\d{2}-\d{2})\s*(?:–|—|:|/|\.\.|\s-\s)\s*(\d{4}-\d{2}-\d{2})\s*")


def declared_extent(text: object) -> tuple[date, date] | None:
    """The span a dataset's period declares ('2024-01-01–2024-03-31'), else None."""
    found = _DECLARED.fullmatch(str(text)) if isinstance(text, str) else None
    if not found:
        return None
    try:
        first, last = date.fromisoformat(found[1]), date.fromisoformat(found[2])
    except ValueError:
        return None
    return (first, last) if first <= last else None
