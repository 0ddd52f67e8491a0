"""Plain text for the PDF and PowerPoint writers: any value as text XML can carry, shortened at a
sentence or word, a table as one-line cells in column groups (numbers right-aligned), and the
labels the two share."""

from __future__ import annotations

import re

import pandas as pd

from lagesbild.report.model import Report

CELL_CHARS = 200
_LABELS = {
    "cont": ("forts.", "cont."), "period": ("Period", "Period"),
    "created": ("Skapad", "Created"), "snapshot": ("Ögonblicksbild", "Snapshot"),
    "sources": ("Källor", "Sources"), "more": ("Hela texten finns i anteckningarna.",
                                               "The full text is in the speaker notes."),
    "no_image": ("(bilden kunde inte läsas)", "(the image could not be read)"),
    "police": ("För polisen och kommunens samverkan – inte för vidare spridning",
               "For the police and the municipality's joint work – not for further distribution"),
    "wide": ("För bred spridning (inga punktuppgifter)", "For wide distribution (no point data)"),
}
# Not allowed in XML 1.0 (lxml refuses them) or meaningless on a slide; line-like ones -> "\n".
_XML_BAD = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")
_LINE_LIKE = re.compile(r"\r\n|[\r\x0b\x0c\x85\u2028\u2029]")


def label(key: str, lang: str) -> str:
    sv, en = _LABELS[key]
    return en if lang == "en" else sv


def clean(value: object, *, lines: bool = False) -> str:
    """Any value as plain text XML can carry: control characters removed, tabs as spaces, line
    breaks kept only with `lines` (else spaces); None and NA as ""."""
    if value is None:
        return ""
    if not isinstance(value, str):
        try:
            if bool(pd.isna(value)):
                return ""
        except (TypeError, ValueError):
            pass
    text = _LINE_LIKE.sub("\n", str(value)).replace("\t", " ")
    text = _XML_BAD.sub("", text)
    if not lines:
        text = " ".join(part.strip() for part in text.split("\n") if part.strip())
    return text.strip()


def shorten(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters: at a sentence end if one is in the second half,
    else at a word boundary, with "…"."""
    if len(text) <= limit:
        return text
    head = text[: max(limit - 1, 1)]
    stop = max(head.rfind(". "), head.rfind("! "), head.rfind("? "))
    if stop >= limit // 2:
        return head[: stop + 1]
    space = head.rfind(" ")
    return (head[:space] if space >= limit // 2 else head).rstrip(" ,;:–-") + "…"


def frame_rows(frame: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """The header and the rows of a display-ready frame as plain one-line strings (a named index
    becomes columns; a MultiIndex header is joined with " / ")."""
    if any(name is not None for name in frame.index.names):
        frame = frame.reset_index()
    header = [" / ".join(clean(p) for p in c) if isinstance(c, tuple) else clean(c)
              for c in frame.columns]
    rows = [[shorten(clean(v), CELL_CHARS) for v in row]
            for row in frame.itertuples(index=False, name=None)]
    return header, rows


def column_groups(n: int, most: int) -> list[list[int]]:
    """Column indexes in groups of at most `most`, each after the first repeating column 0 (the
    label column), for tables too wide for one page or slide."""
    if n <= most:
        return [list(range(n))]
    step = most - 1
    return [[0, *range(start, min(start + step, n))] for start in range(1, n, step)]


_NUM = r"[\d\s\u00a0.,%‰]"
_NUMERIC = re.compile(rf"^(?:[<>≤≥~±+−–-]?\s?{_NUM}*\d{_NUM}*|\.\.|dold|–|-)$")


def numeric_columns(rows: list[list[str]], n: int) -> list[bool]:
    """True for columns whose every non-empty cell is a number, "..", "<5", "dold" or "–" (to be
    right-aligned)."""
    return [any(r[c] for r in rows) and all(not r[c] or bool(_NUMERIC.match(r[c])) for r in rows)
            for c in range(n)]


def audience_line(report: Report) -> str:
    if report.meta.get("audience_label"):
        return clean(report.meta["audience_label"])
    return label(report.audience, report.lang) if report.audience in ("police", "wide") else ""
