"""One report in any of its formats: the writer for each format, chosen by name."""

from __future__ import annotations

FORMATS = ("html", "pdf", "pptx", "xlsx")


def write_report(report: object, fmt: str) -> bytes:
    """The report's bytes in `fmt` (the app's download buttons use this too)."""
    from lagesbild.report import html, pdf, pptx, xlsx

    if fmt == "html":
        return html.to_html(report).encode("utf-8")  # type: ignore[arg-type]
    writers = {"pdf": pdf.to_pdf, "pptx": pptx.to_pptx, "xlsx": xlsx.to_xlsx}
    return writers[fmt](report)  # type: ignore[operator]
