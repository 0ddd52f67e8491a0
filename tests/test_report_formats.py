"""One report, every format: the PDF and the PowerPoint built from the demo report show the same
protected figures as the model, and never a hidden cell's true value."""

from __future__ import annotations

import io

import pytest
from pptx import Presentation
from pypdf import PdfReader

from lagesbild.report import pdf, pptx
from test_report_build import demo_report, suppressed_cells


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    return demo_report(tmp_path_factory)


def _pdf_text(report) -> str:
    reader = PdfReader(io.BytesIO(pdf.to_pdf(report)))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def _pptx_text(report) -> str:
    deck = Presentation(io.BytesIO(pptx.to_pptx(report)))
    out = []
    for slide in deck.slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                out.append(shape.text_frame.text)
            if shape.has_table:
                out += [cell.text for row in shape.table.rows for cell in row.cells]
        if slide.has_notes_slide:
            out.append(slide.notes_slide.notes_text_frame.text)
    return "\n".join(out)


def _normal(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())


@pytest.mark.parametrize("render", [_pdf_text, _pptx_text], ids=["pdf", "pptx"])
def test_no_hidden_true_value_and_the_same_statements(report, tmp_path_factory, render) -> None:
    text = _normal(render(report))
    for cell in suppressed_cells(tmp_path_factory):
        assert cell["raw"] == 0 or _normal(cell["leak"]) not in text, cell  # a 0 reads like any 0
    # every section title, the kommun statement and the disclosure policy are there
    for section in report.sections:
        assert _normal(section.title)[:40] in text
    first = _normal(report.section("kartlaggning").paragraphs[1])
    assert first[:60] in text
    assert ".." in text
