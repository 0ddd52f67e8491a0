"""What a report holds, independent of its format: sections of text, figures and tables.

`build.build_report` fills it from protected figures only; the writers (HTML, PDF, PowerPoint,
Excel) lay it out. Everything here is already disclosure-controlled and display-ready: a writer
never computes a figure, so every format shows the same cells.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

SECTION_TITLES = {
    "sammanfattning": ("Sammanfattning: samlad bedömning och prioriterade problem",
                       "Summary: overall assessment and prioritised problems"),
    "kartlaggning": ("Kartläggning: vad, var, när och vem", "Mapping: what, where, when and who"),
    "analys": ("Analys", "Analysis"),
    "forebyggande": ("Förebyggande arbete och dess täckning", "Prevention work and its coverage"),
    "atgarder": ("Åtgärder, lokala mål och uppföljning", "Actions, local goals and follow-up"),
    "kallor": ("Datakällor och förbehåll", "Data sources and caveats"),
}
AUDIENCES = ("police", "wide")  # "wide": anyone beyond the police; never any point data


@dataclass(frozen=True)
class Table:
    """A table behind a figure, display-ready (text cells already formatted and protected)."""

    title: str
    frame: pd.DataFrame
    note: str = ""
    # optional background colours, same shape as `frame` ("#rrggbb" or ""): writers that can
    # colour cells use them; the cell text always says the same (colour is never the only cue)
    fills: pd.DataFrame | None = None


@dataclass(frozen=True)
class Figure:
    """An image (PNG, for PDF and PowerPoint) and, for the HTML report, optional interactive
    HTML (a self-contained folium map); `caption` carries source, period and disclosure note;
    `finding` the figure's finding in one line ("" when there is none: the slide is titled
    with `title` then)."""

    title: str
    png: bytes
    caption: str
    html: str | None = None
    table: Table | None = None
    finding: str = ""

    @property
    def headline(self) -> str:
        """What a slide showing the figure is titled: the finding, else the neutral title."""
        return self.finding or self.title


@dataclass(frozen=True)
class Section:
    key: str  # one of SECTION_KEYS
    title: str
    paragraphs: tuple[str, ...] = ()
    figures: tuple[Figure, ...] = ()
    tables: tuple[Table, ...] = ()


@dataclass(frozen=True)
class Report:
    title: str
    area_id: str
    area_name: str
    period: str
    audience: str  # one of AUDIENCES
    lang: str
    created: date
    sections: tuple[Section, ...]
    sources: tuple[str, ...] = ()
    snapshot: str | None = None  # the snapshot id and checksum the figures come from
    meta: dict[str, str] = field(default_factory=dict)

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)

    def all_tables(self) -> list[Table]:
        """Every table behind every figure, in report order (for the Excel workbook)."""
        out: list[Table] = []
        for section in self.sections:
            out += [f.table for f in section.figures if f.table is not None]
            out += list(section.tables)
        return out
