"""The report as an Excel workbook: every table behind the figures, one sheet each.

The first sheet ("Om rapporten") holds the title, area, period, audience, creation date,
snapshot, the sources, every section's text (the caveats among them) and a list of the table
sheets. Each table sheet has the table's title and note on top and the table below.

No cell is ever a formula: every text cell is cleaned of characters XML cannot carry, then
neutralised with `csv_out.neutralise` (a leading =, +, -, @, tab or CR gets an apostrophe, as
in every CSV the tool writes), and typed as a string. Numbers stay numbers, codes ("0114")
stay text, hidden values stay as their display text ("..") or an empty cell.
"""

from __future__ import annotations

import io
import math
import re
from datetime import date, datetime

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from lagesbild.core.csv_out import neutralise
from lagesbild.report.model import Report, Table

MAX_CELL = 32_767  # Excel's limit on the characters of one cell
_BAD_NAME = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
_LABELS = {
    "about": ("Om rapporten", "About the report"), "title": ("Titel", "Title"),
    "area": ("Område", "Area"), "period": ("Period", "Period"),
    "audience": ("Målgrupp", "Audience"), "created": ("Skapad", "Created"),
    "lang": ("Språk", "Language"), "snapshot": ("Ögonblicksbild", "Snapshot"),
    "none": ("ingen (arbetsytans aktuella data)", "none (the workspace's current data)"),
    "sources": ("Källor", "Sources"), "texts": ("Rapportens texter och förbehåll",
                                                "The report's texts and caveats"),
    "sheets": ("Tabeller", "Tables"), "sheet": ("Blad", "Sheet"), "table": ("Tabell", "Table"),
    "note": ("Anmärkning", "Note"),
    "police": ("Polisen och kommunens samverkan – inte för vidare spridning",
               "The police and the municipality's joint work – not for further distribution"),
    "wide": ("Bred spridning (inga punktuppgifter)", "Wide distribution (no point data)"),
}
_BOLD = Font(bold=True)
_POLICE = Font(bold=True, color="B2182B")
_HEAD_FILL = PatternFill("solid", fgColor="F0F0F0")
_WRAP = Alignment(wrap_text=True, vertical="top")


def _label(key: str, lang: str) -> str:
    sv, en = _LABELS[key]
    return en if lang == "en" else sv


def safe_text(text: str) -> str:
    """Text Excel shows but never runs: XML-illegal characters removed, then neutralised."""
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    text = re.sub(r"[\ud800-\udfff\ufffe\uffff]", "", text)
    text = neutralise(text)
    return text if len(text) <= MAX_CELL else text[:MAX_CELL - 1] + "…"


def cell_value(value: object) -> object:
    """A frame value as openpyxl should store it: None, bool, int, float, date or safe text."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) or math.isinf(value) else float(value)
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime().replace(tzinfo=None)
    if isinstance(value, (datetime, date)):
        return value.replace(tzinfo=None) if isinstance(value, datetime) else value
    return safe_text(str(value))


def put(ws: Worksheet, row: int, col: int, value: object, *, font: Font | None = None):  # noqa: ANN201
    """Write one cell; text is always a string cell (never a formula)."""
    c = ws.cell(row=row, column=col)
    c.value = cell_value(value)
    if isinstance(c.value, str):
        c.data_type = "s"
    if isinstance(c.value, date):
        c.number_format = "yyyy-mm-dd"
    if font is not None:
        c.font = font
    return c


def sheet_name(title: str, number: int, taken: set[str]) -> str:
    """'03 Title…': at most 31 characters, none of []:*?/\\, unique (case-insensitive)."""
    base = _BAD_NAME.sub(" ", f"{number:02d} {title}")
    base = re.sub(r"\s+", " ", base).strip().strip("'")
    name, i = base[:31].rstrip().strip("'"), 1
    while name.casefold() in taken or name.casefold() == "history":
        i += 1
        suffix = f" ({i})"
        name = base[:31 - len(suffix)].rstrip().strip("'") + suffix
    taken.add(name.casefold())
    return name


def _widths(ws: Worksheet, lengths: dict[int, int], *, cap: int = 60) -> None:
    for col, width in lengths.items():
        ws.column_dimensions[get_column_letter(col)].width = max(6, min(cap, width + 2))


def police_mark(ws: Worksheet, report: Report, row: int) -> None:
    """The police-only marking on a sheet (in `row`, red and bold) and in its printed header."""
    if report.audience != "police":
        return
    text = _label("police", report.lang)
    put(ws, row, 1, text, font=_POLICE)
    ws.oddHeader.center.text = text
    ws.oddHeader.center.color = "B2182B"


def _table_sheet(ws: Worksheet, table: Table, report: Report) -> None:
    put(ws, 1, 1, table.title, font=Font(bold=True, size=12))
    if table.note:
        put(ws, 2, 1, table.note).font = Font(italic=True)
    police_mark(ws, report, 3)
    header = 4
    lengths: dict[int, int] = {}
    for j, name in enumerate(table.frame.columns, start=1):
        c = put(ws, header, j, str(name), font=_BOLD)
        c.fill = _HEAD_FILL
        lengths[j] = len(str(name))
    fills = table.fills
    for i, values in enumerate(table.frame.itertuples(index=False, name=None), start=header + 1):
        for j, value in enumerate(values, start=1):
            c = put(ws, i, j, value)
            fill = fills.iat[i - header - 1, j - 1] if fills is not None else ""
            if isinstance(fill, str) and fill.startswith("#"):
                c.fill = PatternFill("solid", fgColor=fill[1:].upper())
            if c.value is not None:
                lengths[j] = max(lengths[j], len(str(c.value)))
    _widths(ws, lengths)
    ws.freeze_panes = ws.cell(row=header + 1, column=1)
    if len(table.frame.columns) and len(table.frame):
        last = get_column_letter(len(table.frame.columns))
        ws.auto_filter.ref = f"A{header}:{last}{header + len(table.frame)}"


def _about(ws: Worksheet, report: Report, sheets: list[tuple[str, Table]]) -> None:
    lang = report.lang
    put(ws, 1, 1, report.title, font=Font(bold=True, size=14))
    police_mark(ws, report, 2)
    audience = _label(report.audience, lang) if report.audience in ("police", "wide") \
        else report.audience
    facts = [("title", report.title), ("area", f"{report.area_name} ({report.area_id})"),
             ("period", report.period), ("audience", audience), ("created", report.created),
             ("lang", report.lang), ("snapshot", report.snapshot or _label("none", lang))]
    row = 3
    for key, value in facts:
        put(ws, row, 1, _label(key, lang), font=_BOLD)
        put(ws, row, 2, value).alignment = _WRAP
        row += 1
    row += 1
    put(ws, row, 1, _label("sources", lang), font=_BOLD)
    for source in report.sources:
        put(ws, row, 2, source).alignment = _WRAP
        row += 1
    row += 1
    put(ws, row, 1, _label("texts", lang), font=_BOLD)
    row += 1
    for section in report.sections:
        put(ws, row, 1, section.title, font=_BOLD).alignment = _WRAP
        for paragraph in section.paragraphs or ("",):
            put(ws, row, 2, paragraph).alignment = _WRAP
            row += 1
    row += 1
    put(ws, row, 1, _label("sheets", lang), font=_BOLD)
    for j, key in enumerate(("sheet", "table", "note"), start=2):
        put(ws, row, j, _label(key, lang), font=_BOLD)
    row += 1
    for name, table in sheets:
        put(ws, row, 2, name)
        put(ws, row, 3, table.title).alignment = _WRAP
        put(ws, row, 4, table.note).alignment = _WRAP
        row += 1
    _widths(ws, {1: 28, 2: 100, 3: 60, 4: 60}, cap=100)


def to_xlsx(report: Report) -> bytes:
    """The workbook as bytes: "Om rapporten" first, then one sheet per table in report order."""
    wb = Workbook()
    about = wb.active
    about.title = _label("about", report.lang)
    taken = {about.title.casefold()}
    sheets = []
    for number, table in enumerate(report.all_tables(), start=1):
        name = sheet_name(table.title, number, taken)
        _table_sheet(wb.create_sheet(name), table, report)
        sheets.append((name, table))
    _about(about, report, sheets)
    created = datetime.combine(report.created, datetime.min.time())
    wb.properties.title = safe_text(report.title)[:255]
    wb.properties.creator = "lagesbild"
    wb.properties.created = created
    wb.properties.modified = created
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
