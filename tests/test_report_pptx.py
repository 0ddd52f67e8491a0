"""The PowerPoint writer: open the deck with python-pptx and check slides, titles, pictures,
native tables, notes, hostile text and deterministic bytes."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import pandas as pd
import pytest
from lxml import etree
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure as MplFigure
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.enum.text import PP_ALIGN

from lagesbild.report.model import Figure, Report, Section, Table
from lagesbild.report.pptx import ROWS_PER_SLIDE, to_pptx

HOSTILE = '<script>alert(1)</script> ${x} =HYPERLINK("http://x";"y") a\x00b\x07c\x1bd\ud800e'


def png(color: str, size: tuple[float, float] = (3, 2)) -> bytes:
    fig = MplFigure(figsize=size, dpi=40, facecolor=color)
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", facecolor=color, metadata={"Software": None})
    return buf.getvalue()


def kommun_table(n: int, title: str = "Anmälda brott per kommun") -> Table:
    names = ["Umeå", "Skellefteå", "Lycksele", "Åsele", "Vännäs"]
    counts = ("<5", "dold", "12", "1\u00a0204", "–")
    frame = pd.DataFrame({"Kommun": [names[i % 5] for i in range(n)],
                          "Antal": [counts[i % 5] for i in range(n)],
                          "Andel %": [f"{i},5" for i in range(n)]})
    return Table(title, frame, "Källa: Brå 2024.")


def report(**changes: object) -> Report:
    sections = (
        Section("kartlaggning", "Kartläggning: vad, var, när och vem",
                ("Våldet i nära relationer har ökat sedan 2022.", "Flest anmälningar i Umeå."),
                (Figure("Karta: misshandel", png("#1f77b4"), "Källa: Brå, 2024. Antal 1–4 "
                        "visas som <5.", table=kommun_table(3)),
                 Figure("Våldspyramiden", png("#d62728", (2, 3)), "Källa: polisen, 2024.")),
                (kommun_table(30),)),
        Section("analys", "Analys", ("Skillnaden mellan kvinnor och män är stor.",)),
        Section("forebyggande", "Förebyggande arbete och dess täckning", (),
                (), (kommun_table(5, "Täckning per skola"),)),
        Section("atgarder", "Åtgärder, lokala mål och uppföljning", (),
                (Figure("Åtgärder per fokusområde", png("#2ca02c"), "Källa: kommunen."),)),
    )
    values = dict(title="Lägesbild Västerbotten", area_id="24", area_name="Västerbottens län",
                  period="2024", audience="wide", lang="sv", created=date(2025, 3, 14),
                  sections=sections, sources=("Brå 2024", "SCB"),
                  snapshot="snap-7 sha256:0f1e2d")
    values.update(changes)
    return Report(**values)  # type: ignore[arg-type]


def deck(rep: Report):  # noqa: ANN201
    return Presentation(io.BytesIO(to_pptx(rep)))


def texts(slide) -> str:  # noqa: ANN001
    parts = [s.text_frame.text for s in slide.shapes if s.has_text_frame]
    for shape in slide.shapes:
        if shape.has_table:
            parts += [c.text for row in shape.table.rows for c in row.cells]
    return "\n".join(parts)


def pictures(slide) -> list:  # noqa: ANN001
    return [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]


def test_title_slide_then_one_slide_per_section_with_continuations() -> None:
    prs = deck(report())
    titles = [s.shapes.title.text_frame.text for s in prs.slides]
    # a continuation slide is titled with its figure's finding, else the figure's or the
    # table's own title (never "… (forts.)")
    assert titles == (["Lägesbild Västerbotten", "Kartläggning: vad, var, när och vem",
                       "Våldspyramiden"]  # the second figure, then 30 rows in 3 table slides
                      + [f"Anmälda brott per kommun ({i}/3)" for i in (1, 2, 3)]
                      + ["Analys", "Förebyggande arbete och dess täckning",
                         "Åtgärder, lokala mål och uppföljning"])
    assert prs.slide_width > prs.slide_height  # 16:9


def test_title_slide_carries_area_period_date_audience_and_snapshot() -> None:
    slide = deck(report()).slides[0]
    text = texts(slide)
    for part in ("Västerbottens län (24)", "Period: 2024", "Skapad: 2025-03-14",
                 "För bred spridning (inga punktuppgifter)", "snap-7 sha256:0f1e2d"):
        assert part in text
    assert "Brå 2024" in slide.notes_slide.notes_text_frame.text
    police = texts(deck(report(audience="police", lang="en", snapshot=None)).slides[0])
    assert "not for further distribution" in police and "Created: 2025-03-14" in police
    assert "Snapshot" not in police


def test_every_figure_is_one_picture_with_its_caption_under_it() -> None:
    rep = report()
    prs = deck(rep)
    figures = [f for s in rep.sections for f in s.figures]
    pics = [(slide, p) for slide in prs.slides for p in pictures(slide)]
    assert len(pics) == len(figures) == 3
    assert all(len(pictures(slide)) <= 1 for slide in prs.slides)
    for (slide, pic), figure in zip(pics, figures, strict=True):
        assert pic.image.blob == figure.png
        assert pic.image.content_type == "image/png"
        assert figure.title in pic._element.nvPicPr.cNvPr.get("descr")
        captions = [s for s in slide.shapes if s.has_text_frame and s.text_frame.text ==
                    figure.caption]
        assert captions and captions[0].top >= pic.top + pic.height
        # fitted inside the slide, aspect ratio kept
        assert pic.left >= 0 and pic.left + pic.width <= prs.slide_width
        assert pic.top + pic.height <= prs.slide_height
        assert pic.width / pic.height == pytest.approx(pic.image.size[0] / pic.image.size[1],
                                                       rel=0.01)
    # the first section slide shows its paragraphs beside the first figure
    first = prs.slides[1]
    assert "Våldet i nära relationer har ökat sedan 2022." in texts(first)
    assert len(pictures(first)) == 1


def test_tables_are_native_with_header_repeated_and_limited_rows() -> None:
    prs = deck(report())
    slides = [s for s in prs.slides if "Anmälda brott per kommun" in texts(s)]
    assert len(slides) == 3
    rows: list[list[str]] = []
    for i, slide in enumerate(slides, start=1):
        assert f"Anmälda brott per kommun ({i}/3)" in texts(slide)
        assert "Källa: Brå 2024." in texts(slide)
        (table,) = [s.table for s in slide.shapes if s.has_table]
        cells = [[c.text for c in row.cells] for row in table.rows]
        assert cells[0] == ["Kommun", "Antal", "Andel %"]
        assert len(cells) - 1 <= ROWS_PER_SLIDE
        rows += cells[1:]
        # counts are right-aligned, names left
        assert table.cell(1, 1).text_frame.paragraphs[0].alignment == PP_ALIGN.RIGHT
        assert table.cell(1, 0).text_frame.paragraphs[0].alignment == PP_ALIGN.LEFT
    assert rows == kommun_table(30).frame.astype(str).values.tolist()
    assert {"<5", "dold", "–", "1\u00a0204"} <= {r[1] for r in rows}
    # a section without paragraphs or figures starts with its table
    (cover,) = [s for s in prs.slides if "Täckning per skola" in texts(s)]
    assert cover.shapes.title.text_frame.text == "Förebyggande arbete och dess täckning"


def test_long_text_is_shortened_on_the_slide_and_whole_in_the_notes() -> None:
    long = " ".join(f"Mening nummer {i} om läget i kommunen." for i in range(120))
    rep = report(sections=(Section("analys", "Analys", (long, "Andra stycket.")),))
    slide = deck(rep).slides[1]
    shown = texts(slide)
    assert len(shown) < 2000 and "Hela texten finns i anteckningarna." in shown
    assert "Andra stycket." not in shown
    notes = slide.notes_slide.notes_text_frame.text
    assert long in notes and "Andra stycket." in notes


def test_hostile_text_is_literal_and_the_file_stays_valid() -> None:
    frame = pd.DataFrame({"=cmd|' /C calc'!A0": [HOSTILE, "<5"]}, dtype=object)
    table = Table(HOSTILE, frame, HOSTILE)
    rep = report(title=HOSTILE, area_name=HOSTILE, sources=(HOSTILE,), sections=(
        Section("kallor", HOSTILE, (HOSTILE, "rad ett\nrad två\r\nrad tre"),
                (Figure(HOSTILE, png("#9467bd"), HOSTILE),), (table,)),))
    data = to_pptx(rep)
    literal = '<script>alert(1)</script> ${x} =HYPERLINK("http://x";"y") abcde'
    prs = Presentation(io.BytesIO(data))
    everything = "\n".join(texts(s) for s in prs.slides)
    assert literal in everything
    assert "=cmd|' /C calc'!A0" in everything
    assert not any(ch in everything for ch in "\x00\x07\x1b\ud800")
    assert prs.slides[1].shapes.title.text_frame.text == literal
    assert literal in prs.slides[1].notes_slide.notes_text_frame.text
    assert "rad ett\nrad två\nrad tre" in prs.slides[1].notes_slide.notes_text_frame.text
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.testzip() is None
        for name in z.namelist():
            if name.endswith((".xml", ".rels")):
                root = etree.fromstring(z.read(name))  # every part is well-formed XML
                assert not root.xpath("//*[local-name()='script']"), name
        slide_xml = z.read("ppt/slides/slide2.xml").decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in slide_xml


def test_unreadable_image_and_empty_parts_do_not_break_the_deck() -> None:
    rep = report(sections=(
        Section("kartlaggning", "Kartläggning", (), (Figure("Trasig", b"not a png", "cap"),)),
        Section("analys", "Analys"),
        Section("kallor", "Källor", (), (), (Table("Tom", pd.DataFrame({"A": []})),
                                             Table("Ingen kolumn", pd.DataFrame())))))
    prs = deck(rep)
    assert len(prs.slides) == 1 + 1 + 1 + 2
    assert "(bilden kunde inte läsas)" in texts(prs.slides[1])
    assert not pictures(prs.slides[1])
    (table,) = [s.table for s in prs.slides[3].shapes if s.has_table]
    assert [c.text for c in table.rows[0].cells] == ["A"] and len(table.rows) == 1


def test_same_report_gives_same_bytes_and_fixed_properties() -> None:
    rep = report()
    data = to_pptx(rep)
    assert data == to_pptx(rep)
    props = Presentation(io.BytesIO(data)).core_properties
    assert props.author == props.last_modified_by == "lagesbild"
    assert props.created == props.modified == datetime(2025, 3, 14)
    assert props.title == "Lägesbild Västerbotten" and props.revision == 1
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert {i.date_time for i in z.infolist()} == {(2025, 3, 14, 0, 0, 0)}


def test_wide_table_continues_in_column_groups_repeating_the_first_column() -> None:
    frame = pd.DataFrame({"Kommun": ["Umeå", "Åsele"],
                          **{f"År {2000 + i}": ["<5", "dold"] for i in range(20)}})
    rep = report(sections=(Section("analys", "Analys", (), (), (Table("Bred", frame),)),))
    slides = list(deck(rep).slides)
    assert len(slides) == 1 + 3  # at most 8 columns at 12 pt on a slide
    heads = []
    for i, slide in enumerate(slides[1:], start=1):
        assert f"Bred ({i}/3)" in texts(slide)  # the section's slide, then titled by it
        (table,) = [s.table for s in slide.shapes if s.has_table]
        heads.append([c.text for c in table.rows[0].cells])
        assert [r.cells[0].text for r in table.rows] == ["Kommun", "Umeå", "Åsele"]
    assert [len(h) for h in heads] == [8, 8, 7]
    assert [h for head in heads for h in head[1:]] == [f"År {2000 + i}" for i in range(20)]


def test_rows_with_long_cells_take_fewer_rows_per_slide() -> None:
    text = " ".join(["Lång beskrivning av åtgärden och vem som ansvarar för den."] * 3)
    frame = pd.DataFrame({"Åtgärd": [f"{i}: {text}" for i in range(10)], "Status": "pågår"})
    rep = report(sections=(Section("atgarder", "Åtgärder", (), (),
                                   (Table("Åtgärder", frame),)),))
    prs = deck(rep)
    slides = list(prs.slides)[1:]
    assert 1 < len(slides) and 10 / len(slides) < ROWS_PER_SLIDE
    cells = [[c.text for c in row.cells] for slide in slides for shape in slide.shapes
             if shape.has_table for row in list(shape.table.rows)[1:]]
    assert cells == frame.values.tolist()
    for slide in slides:  # the estimated table height stays on the slide
        (shape,) = [s for s in slide.shapes if s.has_table]
        assert shape.top + sum(r.height for r in shape.table.rows) <= prs.slide_height
