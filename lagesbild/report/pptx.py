"""The report as a PowerPoint deck (python-pptx): a title slide, then each section on its own
slide with its title, its paragraphs (shortened if long; the full text goes in the slide notes)
and its first figure; every further figure and every chunk of a table on a continuation slide
("(forts.)").

Figures are pictures with their caption in a text box under them (and title and caption as the
picture's alt text); tables are native PowerPoint tables of at most `ROWS_PER_SLIDE` rows, the
header repeated on every slide. All text goes in as plain text, with the characters XML cannot
carry (control characters, lone surrogates) removed (`plain_text`, shared with the PDF). The
output is deterministic: the core properties are dated from `report.created` and the zip members
get a fixed timestamp.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, time

from PIL import Image
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.text import PP_ALIGN
from pptx.util import Emu, Inches, Pt

from lagesbild.report.model import Figure, Report, Section, Table
from lagesbild.report.plain_text import (
    audience_line,
    clean,
    column_groups,
    frame_rows,
    label,
    numeric_columns,
    shorten,
)

ROWS_PER_SLIDE = 12       # data rows of a table on one slide (the header row comes on top)
COLS_PER_SLIDE = 8        # wider tables continue on further slides, the first column repeated
TABLE_PT = 12             # table text on a slide: readable from the back of a meeting room
TEXT_BUDGET = (700, 1600)  # characters of paragraph text on a slide with / without a figure
_W, _H, _M = 13.333, 7.5, 0.5           # 16:9 slide and its margin, inches
_TOP, _BOTTOM = 1.35, 7.1               # the content area under the title
_CAPTION_H, _HEAD_H = 0.85, 0.4


def slide_text(paragraphs: list[str], budget: int, max_paragraphs: int = 6
               ) -> tuple[list[str], bool]:
    """The paragraphs that fit `budget` characters (the last one cut); True if anything was cut."""
    out: list[str] = []
    used = 0
    for text in paragraphs[:max_paragraphs]:
        if used + len(text) <= budget:
            out.append(text)
            used += len(text) + 60  # a paragraph break costs about part of a line
            continue
        if budget - used >= 80:
            out.append(shorten(text, budget - used))
        return out, True
    return out, len(out) < len(paragraphs)


# --- slides --------------------------------------------------------------------------------

def _title(slide, text: str, size: int = 28) -> None:  # noqa: ANN001
    shape = slide.shapes.title
    shape.left, shape.top, shape.width, shape.height = (
        Inches(_M), Inches(0.3), Inches(_W - 2 * _M), Inches(0.95))
    frame = shape.text_frame
    frame.word_wrap = True
    frame.text = shorten(clean(text), 120)
    for para in frame.paragraphs:
        for run in para.runs:
            run.font.size = Pt(size)


def _textbox(slide, left: float, top: float, width: float, height: float,  # noqa: ANN001
             paragraphs: list[str], size: float, *, italic_last: bool = False,
             bold_first: bool = False) -> None:
    box = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
    frame = box.text_frame
    frame.word_wrap = True
    for i, text in enumerate(paragraphs):
        para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        run = para.add_run()
        run.text = text
        run.font.size = Pt(size)
        run.font.italic = italic_last and i == len(paragraphs) - 1
        run.font.bold = bold_first and i == 0
        if i and not (italic_last and i == len(paragraphs) - 1):
            para.space_before = Pt(size * 0.6)


def _notes(slide, paragraphs: list[str]) -> None:  # noqa: ANN001
    texts = [p for p in paragraphs if p]
    if texts:
        slide.notes_slide.notes_text_frame.text = "\n\n".join(texts)


def _picture(slide, figure: Figure, left: float, top: float, width: float,  # noqa: ANN001
             height: float, lang: str, head: str | None = None) -> None:
    """The figure's title (or `head`), its picture fitted into the box (centred) and its
    caption under it."""
    _textbox(slide, left, top, width, _HEAD_H, [shorten(clean(head or figure.title), 150)], 14,
             bold_first=True)
    room_h = height - _HEAD_H - _CAPTION_H
    try:
        with Image.open(io.BytesIO(figure.png)) as img:
            px_w, px_h = img.size
    except Exception:  # noqa: BLE001 - any unreadable image becomes a note, never a crash
        _textbox(slide, left, top + _HEAD_H, width, room_h, [label("no_image", lang)], 12)
    else:
        scale = min(width / px_w, room_h / px_h)
        w_in, h_in = px_w * scale, px_h * scale
        pic = slide.shapes.add_picture(
            io.BytesIO(figure.png), Inches(left + (width - w_in) / 2),
            Inches(top + _HEAD_H + (room_h - h_in) / 2), Emu(int(Inches(w_in))),
            Emu(int(Inches(h_in))))
        alt = " – ".join(t for t in (clean(figure.title), clean(figure.caption)) if t)
        pic._element.nvPicPr.cNvPr.set("descr", alt)  # noqa: SLF001 - no public API for alt text
    caption = shorten(clean(figure.caption), 400)
    if caption:
        _textbox(slide, left, top + height - _CAPTION_H, width, _CAPTION_H, [caption], 10)


def _font_pt(columns: int) -> int:  # noqa: ARG001 - one size for every table
    return TABLE_PT


def _row_inches(values: list[str], size: int) -> float:
    """Estimated height of a table row: its tallest cell's wrapped lines plus the cell margins
    (the columns share the slide width equally)."""
    per_line = max(1, int((_W - 2 * _M) / max(len(values), 1) * 72 / (size * 0.55)) - 1)
    lines = max((-(-len(v) // per_line) for v in values), default=1)
    return max(lines, 1) * size * 1.2 / 72 + 0.1


def row_chunks(header: list[str], rows: list[list[str]]) -> list[list[list[str]]]:
    """`rows` in slide-sized chunks: at most `ROWS_PER_SLIDE`, and no more than fit under the
    header row by their estimated height (long cells wrap); at least one row per chunk."""
    size = _font_pt(len(header))
    room = _BOTTOM - 0.5 - (_TOP + _HEAD_H + 0.1) - _row_inches(header, size)
    chunks: list[list[list[str]]] = [[]]
    used = 0.0
    for row in rows:
        height = _row_inches(row, size)
        if chunks[-1] and (len(chunks[-1]) >= ROWS_PER_SLIDE or used + height > room):
            chunks.append([])
            used = 0.0
        chunks[-1].append(row)
        used += height
    return chunks


def table_headline(table: Table, part: tuple[int, int]) -> str:
    return shorten(clean(table.title), 150) + (f" ({part[0]}/{part[1]})" if part[1] > 1 else "")


def _table(slide, table: Table, header: list[str], rows: list[list[str]],  # noqa: ANN001
           part: tuple[int, int], *, head: bool = True) -> None:
    """The table chunk under the slide's title; `head` repeats the table's title above it
    (when the slide is titled with something else)."""
    top, bottom = _TOP, _BOTTOM
    if head:
        _textbox(slide, _M, top, _W - 2 * _M, _HEAD_H, [table_headline(table, part)], 14,
                 bold_first=True)
        top += _HEAD_H + 0.1
    note = shorten(clean(table.note), 300)
    if note:
        _textbox(slide, _M, bottom - 0.45, _W - 2 * _M, 0.45, [note], 10)
    if not header:
        return
    size = _font_pt(len(header))
    right = numeric_columns(rows, len(header))
    height = sum(_row_inches(r, size) for r in [header, *rows])
    shape = slide.shapes.add_table(len(rows) + 1, len(header), Inches(_M), Inches(top),
                                   Inches(_W - 2 * _M), Inches(height))
    grid = shape.table
    for r, values in enumerate([header, *rows]):
        grid.rows[r].height = Inches(_row_inches(values, size))
        for c, value in enumerate(values):
            frame = grid.cell(r, c).text_frame
            frame.word_wrap = True
            frame.text = value
            for para in frame.paragraphs:
                para.alignment = PP_ALIGN.RIGHT if right[c] else PP_ALIGN.LEFT
                for run in para.runs:
                    run.font.size = Pt(size)


def _section_slides(prs, section: Section, lang: str) -> None:  # noqa: ANN001
    layout = prs.slide_layouts[5]  # "Title Only"
    cont = f"{clean(section.title)} ({label('cont', lang)})"
    paragraphs = [p for p in (clean(x) for x in section.paragraphs) if p]
    figures = list(section.figures)
    chunks = []
    for table in section.tables:
        header, rows = frame_rows(table.frame)
        groups = column_groups(len(header), COLS_PER_SLIDE)
        parts = []
        for cols in groups:
            head = [header[c] for c in cols]
            parts += [(head, part) for part in row_chunks(head, [[r[c] for c in cols]
                                                                  for r in rows])]
        chunks += [(table, head, part, (i, len(parts)))
                   for i, (head, part) in enumerate(parts, start=1)]
    width = _W - 2 * _M
    first = prs.slides.add_slide(layout)
    _title(first, section.title)
    _notes(first, [clean(x, lines=True) for x in section.paragraphs])
    if paragraphs:
        text_w = 5.0 if figures else width
        shown, cut = slide_text(paragraphs, TEXT_BUDGET[0 if figures else 1])
        if cut:
            shown.append(label("more", lang))
        _textbox(first, _M, _TOP, text_w, _BOTTOM - _TOP, shown, 14 if figures else 16,
                 italic_last=cut)
        if figures:
            figure = figures.pop(0)
            _picture(first, figure, _M + text_w + 0.3, _TOP, width - text_w - 0.3,
                     _BOTTOM - _TOP, lang, head=figure.headline)
            _notes_append(first, figure)
    elif figures:
        figure = figures.pop(0)
        _picture(first, figure, _M, _TOP, width, _BOTTOM - _TOP, lang, head=figure.headline)
        _notes_append(first, figure)
    elif chunks:
        _table(first, *chunks.pop(0))
    for figure in figures:  # each slide titled with the figure's finding, else its title
        slide = prs.slides.add_slide(layout)
        _title(slide, figure.headline or cont, 24)
        _picture(slide, figure, _M, _TOP, width, _BOTTOM - _TOP, lang)
        _notes(slide, [clean(figure.title), clean(figure.caption, lines=True)])
    for chunk in chunks:
        slide = prs.slides.add_slide(layout)
        _title(slide, table_headline(chunk[0], chunk[3]) or cont, 24)
        _table(slide, *chunk, head=False)
        _notes(slide, [clean(chunk[0].title), clean(chunk[0].note, lines=True)])


def _notes_append(slide, figure: Figure) -> None:  # noqa: ANN001
    """The figure's title and full caption after the paragraphs already in the notes."""
    before = slide.notes_slide.notes_text_frame.text if slide.has_notes_slide else ""
    _notes(slide, [before, clean(figure.title), clean(figure.caption, lines=True)])


def _title_slide(prs, report: Report) -> None:  # noqa: ANN001
    slide = prs.slides.add_slide(prs.slide_layouts[0])
    lang = report.lang
    _title(slide, report.title, 36)
    slide.shapes.title.top, slide.shapes.title.height = Inches(1.6), Inches(1.5)
    area = clean(report.area_name) + (f" ({clean(report.area_id)})" if report.area_id else "")
    lines = [area, f"{label('period', lang)}: {clean(report.period)}",
             f"{label('created', lang)}: {report.created.isoformat()}", audience_line(report)]
    if report.snapshot:
        lines.append(f"{label('snapshot', lang)}: {clean(report.snapshot)}")
    sub = slide.placeholders[1]
    sub.left, sub.top, sub.width, sub.height = (Inches(_M + 1), Inches(3.4),
                                                Inches(_W - 2 * _M - 2), Inches(3.4))
    frame = sub.text_frame
    frame.word_wrap = True
    for i, text in enumerate(t for t in lines if t):
        para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        run = para.add_run()
        run.text = text
        run.font.size = Pt(20 if i == 0 else 16)
    sources = [clean(s) for s in report.sources if clean(s)]
    if sources:
        _notes(slide, [f"{label('sources', lang)}:", "\n".join(sources)])


def _police_mark(slide, lang: str) -> None:  # noqa: ANN001
    """The police-only marking along the slide's bottom edge (red, bold), on every slide."""
    box = slide.shapes.add_textbox(Inches(_M), Inches(_BOTTOM + 0.05), Inches(_W - 2 * _M),
                                   Inches(_H - _BOTTOM - 0.08))
    box.name = "police-mark"
    para = box.text_frame.paragraphs[0]
    para.alignment = PP_ALIGN.CENTER
    run = para.add_run()
    run.text = label("police", lang)
    run.font.size, run.font.bold = Pt(12), True
    run.font.color.rgb = RGBColor(0xB2, 0x18, 0x2B)


def _stamp(created: date) -> datetime:
    return datetime.combine(created, time(0, 0))


def _repack(data: bytes, when: date) -> bytes:
    """The same zip with every member dated `when` (python-pptx dates them 'now')."""
    stamp = (max(when.year, 1980), when.month, when.day, 0, 0, 0)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=stamp)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o600 << 16
            dst.writestr(member, src.read(info.filename))
    return out.getvalue()


def to_pptx(report: Report) -> bytes:
    """The report as .pptx bytes (16:9); the same report gives the same bytes."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(_W), Inches(_H)
    props = prs.core_properties
    props.title = shorten(clean(report.title), 250)
    props.subject = shorten(clean(f"{report.area_name} {report.period}"), 250)
    props.author = props.last_modified_by = "lagesbild"
    props.description = props.keywords = props.category = ""
    props.language = "en-GB" if report.lang == "en" else "sv-SE"
    props.revision = 1
    props.created = props.modified = props.last_printed = _stamp(report.created)
    _title_slide(prs, report)
    for section in report.sections:
        _section_slides(prs, section, report.lang)
    if report.audience == "police":
        for slide in prs.slides:
            _police_mark(slide, report.lang)
    buf = io.BytesIO()
    prs.save(buf)
    return _repack(buf.getvalue(), report.created)
