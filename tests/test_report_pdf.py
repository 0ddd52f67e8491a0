"""The PDF writer: read the file back with pypdf (pages, text, metadata) and render pages with
pypdfium2 to check that they are drawn and that a figure's colour is on the page."""

from __future__ import annotations

import io
from datetime import date, datetime, timezone

import numpy as np
import pandas as pd
import pypdfium2 as pdfium
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure as MplFigure
from pypdf import PdfReader

from lagesbild.report.model import Figure, Report, Section, Table
from lagesbild.report.pdf import to_pdf

BLUE = (31, 119, 180)  # "#1f77b4"
DISCLOSURE = ('Dolda uppgifter visas som "..": antal 1–4 och andra uppgifter som annars '
              'kunde räknas fram eller ringas in ur de visade siffrorna.')


def png(color: str, size: tuple[float, float] = (3, 2)) -> bytes:
    fig = MplFigure(figsize=size, dpi=40, facecolor=color)
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", facecolor=color, metadata={"Software": None})
    return buf.getvalue()


def kommun_table(n: int, title: str = "Anmälda brott per kommun") -> Table:
    names = ["Umeå", "Skellefteå", "Lycksele", "Åsele", "Vännäs"]
    counts = ("<5", "dold", "12", "1\u00a0204", "–")
    frame = pd.DataFrame({"Kommun": [f"{names[i % 5]} {i}" for i in range(n)],
                          "Antal": [counts[i % 5] for i in range(n)]})
    return Table(title, frame, "Källa: Brå 2024.")


def report(**changes: object) -> Report:
    sections = (
        Section("kartlaggning", "Kartläggning: vad, var, när och vem",
                ("Våldet i nära relationer har ökat sedan 2022; flest anmälningar i Umeå.",),
                (Figure("Karta: misshandel", png("#1f77b4"),
                        "Källa: Brå, 2024. Antal 1–4 visas som <5."),),
                (kommun_table(6),)),
        Section("analys", "Analys", ("Skillnaden mellan kvinnor och män är stor.",)),
        Section("atgarder", "Åtgärder, lokala mål och uppföljning",
                ("Tre åtgärder pågår.",)),
    )
    values = dict(title="Lägesbild Västerbotten", area_id="24", area_name="Västerbottens län",
                  period="2024", audience="wide", lang="sv", created=date(2025, 3, 14),
                  sections=sections, sources=("Brå 2024", "SCB"),
                  snapshot="snap-7 sha256:0f1e2d")
    values.update(changes)
    return Report(**values)  # type: ignore[arg-type]


def pages_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def render(data: bytes, index: int) -> np.ndarray:
    pdf = pdfium.PdfDocument(data)
    try:
        page = pdf[index]
        image = page.render(scale=1.5).to_pil().convert("RGB")
        page.close()
    finally:
        pdf.close()
    return np.asarray(image)


def test_title_page_then_a_page_per_section_with_footer_on_every_page() -> None:
    data = to_pdf(report())
    assert data.startswith(b"%PDF-")
    texts = pages_text(data)
    assert len(texts) == 4
    for i, text in enumerate(texts, start=1):
        assert f"Lägesbild Västerbotten – sida {i} av 4" in text
        assert DISCLOSURE in text
    for part in ("Västerbottens län (24)", "Period: 2024", "Skapad: 2025-03-14",
                 "För bred spridning (inga punktuppgifter)", "snap-7 sha256:0f1e2d", "Brå 2024"):
        assert part in texts[0]
    assert texts[1].lstrip().startswith("Kartläggning: vad, var, när och vem")
    assert "Analys" in texts[2] and "Åtgärder, lokala mål och uppföljning" in texts[3]
    for part in ("Karta: misshandel", "Källa: Brå, 2024. Antal 1–4 visas som <5.",
                 "Anmälda brott per kommun", "Kommun Antal", "Umeå 0 <5", "Skellefteå 1 dold",
                 "Vännäs 4 –", "Källa: Brå 2024.", "flest anmälningar i Umeå"):
        assert part in texts[1], part


def test_long_table_breaks_pages_and_repeats_its_header() -> None:
    rep = report(sections=(Section("kartlaggning", "Kartläggning", (), (),
                                   (kommun_table(150),)),))
    texts = pages_text(to_pdf(rep))
    table_pages = texts[1:]
    assert len(table_pages) >= 3
    assert all("Kommun Antal" in text for text in table_pages)
    cells = "\n".join(table_pages)
    assert all(f"{name} {i} " in cells for i, name in
               zip(range(150), ["Umeå", "Skellefteå", "Lycksele", "Åsele", "Vännäs"] * 30))
    lines = cells.splitlines()
    assert sum(line.endswith(" dold") for line in lines) == 30
    assert sum(line.endswith(" <5") for line in lines) == 30
    assert "Källa: Brå 2024." in table_pages[-1]


def test_rendered_pages_are_drawn_and_show_the_figure() -> None:
    data = to_pdf(report())
    title = render(data, 0)
    assert (title < 128).all(axis=2).sum() > 500  # dark text on the title page
    page = render(data, 1).astype(int)
    near = (np.abs(page - np.array(BLUE)).max(axis=2) <= 6).sum()
    assert near > 0.1 * page.shape[0] * page.shape[1]  # the figure fills a good part of the page
    assert (page > 245).all(axis=2).sum() > 0.3 * page.shape[0] * page.shape[1]  # white paper


def test_hostile_text_is_plain_and_unknown_glyphs_become_question_marks() -> None:
    hostile = '<script>alert(1)</script> ${x} =HYPERLINK("u") **fet** a\x00b\x07c\x1bd🙂e'
    frame = pd.DataFrame({"Kolumn": [hostile, "<5", "dold"]}, dtype=object)
    rep = report(title="Titel <b> {nb}", sections=(
        Section("kallor", "Källor <i>", (hostile,), (Figure("Figur", png("#2ca02c"), hostile),),
                (Table("Tabell", frame, hostile),)),))
    data = to_pdf(rep)
    texts = pages_text(data)
    assert len(texts) == 2
    body = texts[1]
    literal = '<script>alert(1)</script> ${x} =HYPERLINK("u") **fet** abcd?e'
    assert body.count(literal) >= 3  # paragraph, caption, table cell, note (some may wrap)
    assert "Källor <i>" in body and "Titel <b> {nb} – sida 2 av 2" in body
    assert not any(ch in "".join(texts) for ch in "\x00\x07\x1b🙂")


def test_english_and_another_threshold() -> None:
    rep = report(lang="en", audience="police", meta={"suppress_below": "3"})
    texts = pages_text(to_pdf(rep))
    assert "page 1 of 4" in texts[0] and "Created: 2025-03-14" in texts[0]
    assert "not for further distribution" in texts[0]
    assert 'Hidden figures are shown as "..": counts 1–2' in texts[2]


def test_unreadable_image_becomes_a_note() -> None:
    rep = report(sections=(Section("analys", "Analys", (),
                                   (Figure("Trasig", b"not a png", "cap"),)),))
    text = pages_text(to_pdf(rep))[1]
    assert "(bilden kunde inte läsas)" in text and "cap" in text


def test_same_report_gives_same_bytes_dated_from_the_report() -> None:
    rep = report()
    data = to_pdf(rep)
    assert data == to_pdf(rep)
    meta = PdfReader(io.BytesIO(data)).metadata
    assert meta.creation_date == datetime(2025, 3, 14, tzinfo=timezone.utc)
    assert meta.author == "lagesbild" and meta.title == "Lägesbild Västerbotten"


def test_wide_table_fits_in_column_groups() -> None:
    frame = pd.DataFrame({"Kommun med ett långt namn": ["Umeå", "Åsele"],
                          **{f"Kolumn med långt namn {i}": ["https://example.org/" + "x" * 60,
                                                            "dold"] for i in range(15)}})
    frame.index = pd.Index(["a", "b"], name="rad")
    rep = report(sections=(Section("analys", "Analys", (), (), (Table("Bred", frame),)),))
    text = "\n".join(pages_text(to_pdf(rep))[1:])
    assert "Bred (1/2)" in text and "Bred (2/2)" in text
    assert text.count("dold") == 15  # the cells (the footer writes ".." for hidden figures)
    words = " ".join(text.split())  # headers wrap at spaces
    assert all(f"Kolumn med långt namn {i}" in words for i in range(15))
    assert text.count("\nrad\n") == 2  # the first column is repeated in each group
