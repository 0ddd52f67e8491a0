"""The report as a PDF (fpdf2, pure Python): A4 portrait, a title page, then each section on a
new page with its heading, paragraphs, figures (PNG, fitted to the text width) with their
captions, and tables (page breaks with the header row repeated).

Every page has a footer with the report title, "sida N av M" and the disclosure line ("Dolda
uppgifter visas som .. …"). Text is embedded in DejaVu Sans, the TrueType font matplotlib ships (å ä ö,
"–", "≤"), subset; everything is written as plain text (no markdown, no HTML), with control
characters removed and characters the font lacks drawn as "?". The same report gives the same
bytes: the creation date comes from `report.created` and fpdf2 derives the file id from the
content.
"""

from __future__ import annotations

import io
from datetime import datetime, time, timezone
from functools import lru_cache
from pathlib import Path

import matplotlib
from fpdf import FPDF
from fpdf.enums import Align, TableCellFillMode, WrapMode, XPos, YPos
from fpdf.fonts import FontFace
from PIL import Image

from lagesbild.core.i18n import t
from lagesbild.core.settings import get_settings
from lagesbild.report.model import Figure, Report, Section, Table
from lagesbild.report.plain_text import (
    audience_line,
    clean,
    column_groups,
    label,
    frame_rows,
    numeric_columns,
    shorten,
)

FONT = "DejaVu"
_FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}
MARGIN, BOTTOM = 18.0, 22.0     # mm; the footer sits in the bottom margin
MAX_FIGURE_H = 150.0           # mm
TEXT_PT, SMALL_PT, TABLE_PT = 10.5, 8.5, 8.5
COLS_PER_TABLE, MAX_COL, _PAD = 10, 70.0, 1.0  # wider tables go on in column groups
_GREY = (90, 90, 90)
_POLICE = (178, 24, 43)
_NB = "{lagesbild:nb}"  # the page-count alias (fpdf2's "{nb}" could occur in a report's text)
_LABELS = {
    "page": ("sida {n} av {nb}", "page {n} of {nb}"), "period": ("Period", "Period"),
    "created": ("Skapad", "Created"), "snapshot": ("Ögonblicksbild", "Snapshot"),
    "sources": ("Källor", "Sources"),
    "no_image": ("(bilden kunde inte läsas)", "(the image could not be read)"),
}


def _label(key: str, lang: str, **fmt: object) -> str:
    sv, en = _LABELS[key]
    text = en if lang == "en" else sv
    return text.format(**fmt) if fmt else text


def font_path(style: str = "") -> Path:
    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / _FONT_FILES[style]


@lru_cache(maxsize=1)
def _glyphs() -> frozenset[int]:
    """Code points all three embedded faces can draw."""
    from fontTools.ttLib import TTFont

    maps = []
    for style in _FONT_FILES:
        with TTFont(font_path(style), lazy=True) as font:
            maps.append(set(font.getBestCmap()))
    return frozenset(set.intersection(*maps))


def drawable(value: object, *, lines: bool = False) -> str:
    """`clean` text with every character the font lacks replaced by "?" (no missing glyphs)."""
    glyphs = _glyphs()
    return "".join(ch if ord(ch) in glyphs or ch in " \n" else "?"
                   for ch in clean(value, lines=lines))


def disclosure_line(report: Report) -> str:
    """The report's own disclosure note (meta "disclosure") or the policy's, at the report's
    threshold (meta "suppress_below") or the settings'."""
    if report.meta.get("disclosure"):
        return drawable(report.meta["disclosure"])
    try:
        limit = int(report.meta.get("suppress_below", ""))
    except ValueError:
        limit = get_settings().suppress_below
    return drawable(t("suppression_note", report.lang, t=limit, last=limit - 1))


class _Doc(FPDF):
    def __init__(self, report: Report) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.lang = report.lang
        self.footer_title = shorten(drawable(report.title), 90)
        self.disclosure = disclosure_line(report)
        # the police-only marking, at the top of every page of a police report
        self.police_mark = drawable(label("police", report.lang)) \
            if report.audience == "police" else ""
        for style in _FONT_FILES:
            self.add_font(FONT, style, font_path(style))
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=BOTTOM)
        self.set_creation_date(datetime.combine(report.created, time(0, 0), timezone.utc))
        self.set_title(drawable(report.title))
        self.set_subject(drawable(f"{report.area_name} {report.period}"))
        self.set_author("lagesbild")
        self.set_creator("lagesbild")
        self.set_lang("en" if report.lang == "en" else "sv-SE")
        self.alias_nb_pages(_NB)

    def header(self) -> None:
        if not self.police_mark:
            return
        self.set_y(7)
        self.set_font(FONT, "B", 9)
        self.set_text_color(*_POLICE)
        self.cell(0, 5, self.police_mark, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0)
        self.set_y(MARGIN)

    def footer(self) -> None:
        self.set_y(-BOTTOM + 6)
        self.set_font(FONT, "", 7.5)
        self.set_text_color(*_GREY)
        page = _label("page", self.lang, n=self.page_no(), nb=_NB)
        self.cell(0, 4, f"{self.footer_title} – {page}", align=Align.C,
                  new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.cell(0, 4, self._fit(self.disclosure, self.epw), align=Align.C)
        self.set_text_color(0)

    def _fit(self, text: str, width: float) -> str:
        while len(text) > 1 and self.get_string_width(text) > width:
            text = text[:-2].rstrip() + "…"
        return text

    def text_block(self, text: str, size: float, style: str = "", *, height: float | None = None,
                   align: Align = Align.L, gap: float = 0.0) -> None:
        if not text:
            return
        self.set_font(FONT, style, size)
        self.multi_cell(0, height or size * 0.5, text, align=align,
                        new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if gap:
            self.ln(gap)

    def room(self) -> float:
        return self.page_break_trigger - self.y


def _title_page(doc: _Doc, report: Report) -> None:
    lang = report.lang
    doc.add_page()
    doc.set_y(70)
    doc.text_block(drawable(report.title), 24, "B", height=11, align=Align.C, gap=8)
    area = drawable(report.area_name) + (f" ({drawable(report.area_id)})"
                                         if report.area_id else "")
    doc.text_block(area, 15, height=8, align=Align.C, gap=3)
    lines = [f"{_label('period', lang)}: {drawable(report.period)}",
             f"{_label('created', lang)}: {report.created.isoformat()}",
             drawable(audience_line(report))]
    if report.snapshot:
        lines.append(f"{_label('snapshot', lang)}: {drawable(report.snapshot)}")
    for line in lines:
        doc.text_block(line, 12, height=7, align=Align.C)
    sources = [s for s in (drawable(x) for x in report.sources) if s]
    if sources:
        doc.ln(12)
        doc.text_block(f"{_label('sources', lang)}:", SMALL_PT + 1, "B", height=5)
        for source in sources:
            doc.text_block(source, SMALL_PT + 1, height=4.5)


def _figure(doc: _Doc, figure: Figure, lang: str) -> None:
    title, caption = drawable(figure.title), drawable(figure.caption, lines=True)
    try:
        with Image.open(io.BytesIO(figure.png)) as img:
            px_w, px_h = img.size
    except Exception:  # noqa: BLE001 - an unreadable image becomes a note, never a crash
        px_w = px_h = 0
    if px_w and px_h:
        width = doc.epw
        height = width * px_h / px_w
        if height > MAX_FIGURE_H:
            width, height = width * MAX_FIGURE_H / height, MAX_FIGURE_H
    else:
        width, height = doc.epw, 10.0
    if doc.room() < height + 8 + (10 if caption else 0) + (6 if figure.finding else 0):
        doc.add_page()
    if figure.finding:  # the finding leads, the neutral title follows
        doc.text_block("▶ " + drawable(figure.finding), TEXT_PT + 0.5, "B", height=5.4,
                       gap=0.5)
    doc.text_block(title, 11, "B", height=5.5, gap=1.5)
    if px_w and px_h:
        doc.image(io.BytesIO(figure.png), x=doc.l_margin + (doc.epw - width) / 2, y=doc.y,
                  w=width, h=height, alt_text=" – ".join(x for x in (title, caption) if x))
        doc.set_y(doc.y + height + 1.5)
    else:
        doc.text_block(_label("no_image", lang), TEXT_PT, "I", height=5)
    doc.set_text_color(*_GREY)
    doc.text_block(caption, SMALL_PT, "I", height=4, gap=5)
    doc.set_text_color(0)


def _col_widths(doc: _Doc, header: list[str], rows: list[list[str]]) -> list[float]:
    """Column widths in mm: each column's widest cell (bold header words; clipped to
    `MAX_COL`), then, if that is wider than the page, the widest columns narrowed equally
    (narrow ones keep their width)."""
    natural = []
    for c, head in enumerate(header):
        doc.set_font(FONT, "B", TABLE_PT)
        widest = max((doc.get_string_width(w) for w in head.split()), default=0.0)
        doc.set_font(FONT, "", TABLE_PT)
        widest = max([widest, *(doc.get_string_width(r[c]) for r in rows[:300])])
        natural.append(min(max(widest, 6.0) + 2 * _PAD + 0.5, MAX_COL))
    fixed: set[int] = set()
    while sum(natural) > doc.epw:
        free = [i for i in range(len(natural)) if i not in fixed]
        share = (doc.epw - sum(natural[i] for i in fixed)) / len(free)
        small = [i for i in free if natural[i] <= share]
        if not small:
            return [natural[i] if i in fixed else share for i in range(len(natural))]
        fixed.update(small)
    return natural


def _table(doc: _Doc, table: Table) -> None:
    header, rows = frame_rows(table.frame)
    header = [drawable(h) for h in header]
    rows = [[drawable(v) for v in row] for row in rows]
    fills = ([[f if isinstance(f, str) else "" for f in r]
              for r in table.fills.itertuples(index=False, name=None)]
             if table.fills is not None else None)
    groups = column_groups(len(header), COLS_PER_TABLE)
    for n, cols in enumerate(groups, start=1):
        if doc.room() < 30:
            doc.add_page()
        title = drawable(table.title) + (f" ({n}/{len(groups)})" if len(groups) > 1 else "")
        doc.text_block(title, 11, "B", height=5.5, gap=1.5)
        if cols:
            _grid(doc, [header[c] for c in cols], [[r[c] for c in cols] for r in rows],
                  None if fills is None else [[r[c] for c in cols] for r in fills])
    doc.set_text_color(*_GREY)
    doc.text_block(drawable(table.note, lines=True), SMALL_PT, "I", height=4)
    doc.set_text_color(0)
    doc.ln(5)


def _grid(doc: _Doc, header: list[str], rows: list[list[str]],
          fills: list[list[str]] | None = None) -> None:
    """One fpdf2 table: header row repeated on every page, numeric columns right-aligned;
    `fills` ("#rrggbb" or "" per body cell) colours cells' backgrounds."""
    widths = _col_widths(doc, header, rows)
    aligns = tuple(Align.R if n else Align.L for n in numeric_columns(rows, len(header)))
    doc.set_font(FONT, "", TABLE_PT)
    width = min(sum(widths), doc.epw)  # col_widths become fractions of it
    with doc.table(col_widths=widths, width=width, align=Align.L, text_align=aligns,
                   line_height=TABLE_PT * 0.5, padding=_PAD, wrapmode=WrapMode.WORD,
                   repeat_headings=1, first_row_as_headings=True,
                   headings_style=FontFace(emphasis="BOLD", fill_color=(230, 230, 230)),
                   cell_fill_mode=TableCellFillMode.NONE) as grid:
        for r, values in enumerate([header, *rows]):
            row = grid.row()
            colours = fills[r - 1] if fills is not None and r else []
            for c, value in enumerate(values):
                fill = colours[c] if c < len(colours) else ""
                if fill.startswith("#") and len(fill) == 7:
                    rgb = tuple(int(fill[i:i + 2], 16) for i in (1, 3, 5))
                    row.cell(value, style=FontFace(fill_color=rgb))
                else:
                    row.cell(value)
    doc.ln(1.5)


def _section(doc: _Doc, section: Section, lang: str) -> None:
    doc.add_page()
    doc.text_block(drawable(section.title), 16, "B", height=8, gap=3)
    for paragraph in section.paragraphs:
        doc.text_block(drawable(paragraph, lines=True), TEXT_PT, height=5.2, gap=2.5)
    doc.ln(2)
    for figure in section.figures:
        _figure(doc, figure, lang)
    for table in section.tables:
        _table(doc, table)


def to_pdf(report: Report) -> bytes:
    """The report as PDF bytes (A4 portrait); the same report gives the same bytes."""
    doc = _Doc(report)
    _title_page(doc, report)
    for section in report.sections:
        _section(doc, section, report.lang)
    return bytes(doc.output())
