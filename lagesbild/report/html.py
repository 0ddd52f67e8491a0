"""The report as one self-contained HTML file: opens offline, prints cleanly.

No external address at all: images are data: URIs, the interactive maps are whole documents
(Leaflet inlined by `render.assets.inline_html`) embedded in ``<iframe srcdoc="…"
sandbox="allow-scripts">`` (escaped, so the map's markup can never close the attribute, and
sandboxed, so its scripts run in an opaque origin without access to this page). A Content
Security Policy forbids every network request, for the maps too (srcdoc frames inherit it).
Every text from the report (titles, notes, goals, table cells) is escaped with
`render.escape.esc`. On screen the interactive maps are shown; in print their static images.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from lagesbild.render.escape import esc
from lagesbild.report.model import Figure, Report, Section, Table

CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
       "script-src 'unsafe-inline'; font-src data:; base-uri 'none'; form-action 'none'")
_LABELS = {
    "contents": ("Innehåll", "Contents"), "area": ("Område", "Area"),
    "period": ("Period", "Period"), "audience": ("Målgrupp", "Audience"),
    "created": ("Skapad", "Created"), "snapshot": ("Ögonblicksbild", "Snapshot"),
    "sources": ("Källor", "Sources"), "table": ("Tabell", "Table"),
    "behind": ("Tabellen bakom figuren", "The table behind the figure"),
    "map_hint": ("Interaktiv karta: för muspekaren över en kommun. Utskriften visar kartan som "
                 "bild.", "Interactive map: hover over a municipality. The printout shows the "
                 "map as an image."),
    "police": ("För polisen och kommunens samverkan – inte för vidare spridning",
               "For the police and the municipality's joint work – not for further distribution"),
    "wide": ("För bred spridning (inga punktuppgifter)", "For wide distribution (no point data)"),
    "none": ("ingen (arbetsytans aktuella data)", "none (the workspace's current data)"),
}
STYLE = """
:root{--ink:#222;--muted:#555;--line:#ccc;--accent:#b2182b}
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
color:var(--ink);margin:0 auto;max-width:1100px;padding:1.5rem}
h1{font-size:1.7rem;margin:.2rem 0 .6rem}h2{font-size:1.35rem;border-bottom:2px solid var(--accent);
padding-bottom:.2rem;margin-top:2.2rem}h3{font-size:1.05rem;margin:1.4rem 0 .4rem}
.meta{display:grid;grid-template-columns:max-content 1fr;gap:.1rem 1rem;margin:0 0 .8rem}
.meta dt{font-weight:600}.meta dd{margin:0}
.audience{display:inline-block;padding:.2rem .6rem;border:1px solid var(--accent);
color:var(--accent);border-radius:3px;font-weight:600}
nav.toc{background:#f6f6f6;padding:.6rem 1rem;border-radius:4px;margin:1rem 0}
nav.toc h2{margin-top:.2rem}nav.toc ol{margin:.2rem 0;padding-left:1.4rem}nav.toc a{color:inherit}
figure{margin:1.2rem 0;page-break-inside:avoid}
figure img{max-width:100%;height:auto;border:1px solid #eee}
iframe.map{width:100%;height:520px;border:1px solid var(--line);display:block}
figure.has-map img.static{display:none}
figcaption{font-size:.85rem;color:var(--muted);margin-top:.3rem}
.hint{font-size:.8rem;color:var(--muted);margin:.2rem 0}
details{margin:.5rem 0}summary{cursor:pointer;font-weight:600;font-size:.9rem}
.tablewrap{overflow-x:auto}
table{border-collapse:collapse;font-size:.82rem;margin:.4rem 0;min-width:50%}
th,td{border:1px solid var(--line);padding:.2rem .45rem;vertical-align:top;text-align:left}
th{background:#f0f0f0}td.num{text-align:right;white-space:nowrap}
.note{font-size:.8rem;color:var(--muted);margin:.2rem 0 1rem}
.finding{font-weight:700;margin:.2rem 0 .1rem}
.police-mark{position:sticky;top:0;z-index:5;background:var(--accent);color:#fff;
font-weight:700;text-align:center;padding:.25rem .5rem;margin:0 -1.5rem 1rem}
footer{margin-top:2.5rem;font-size:.8rem;color:var(--muted);border-top:1px solid var(--line)}
@media print{
body{max-width:none;padding:0;font-size:10.5pt}nav.toc{page-break-after:always}
section{page-break-before:always}h2,h3{page-break-after:avoid}
iframe.map,.hint{display:none!important}figure.has-map img.static{display:block}
details>summary{list-style:none}tr{page-break-inside:avoid}a{color:inherit;text-decoration:none}
.police-mark{position:fixed;top:0;left:0;right:0;margin:0;
-webkit-print-color-adjust:exact;print-color-adjust:exact}
body.police{padding-top:8mm}
@page{size:A4;margin:15mm}}
"""


def _label(key: str, lang: str) -> str:
    sv, en = _LABELS[key]
    return en if lang == "en" else sv


def _text(value: object) -> str:
    """Escaped text; line breaks kept."""
    return esc(value).replace("\r\n", "\n").replace("\n", "<br>")


def cell(value: object, lang: str = "sv", digits: int | None = None) -> tuple[str, bool]:
    """(escaped HTML, is a number) for one table cell; NA is empty. Numbers get `digits`
    decimals (default: none for whole numbers, else as many as needed up to four)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return "", False
    if isinstance(value, (bool, np.bool_)):
        return esc(("yes" if value else "no") if lang == "en" else ("ja" if value else "nej")), False
    if not isinstance(value, (int, float, np.integer, np.floating)):
        return _text(value), False
    number = float(value)
    if math.isnan(number) or math.isinf(number):
        return "", False
    text = f"{number:,.{decimals([number]) if digits is None else digits}f}"
    if lang != "en":
        text = text.replace(",", "\u00a0").replace(".", ",")
    return esc(text), True


def decimals(values: Iterable[object], most: int = 4) -> int:
    """The fewest decimals (up to `most`) that show every number of `values` exactly."""
    numbers = [float(v) for v in values if isinstance(v, (int, float, np.integer, np.floating))
               and not pd.isna(v)]
    for d in range(most + 1):
        if all(abs(round(v, d) - v) < 1e-9 * max(1.0, abs(v)) for v in numbers):
            return d
    return most


def table_html(table: Table, lang: str = "sv") -> str:
    frame = table.frame
    head = "".join(f'<th scope="col">{esc(c)}</th>' for c in frame.columns)
    digits = [decimals(frame[c]) if pd.api.types.is_float_dtype(frame[c]) else None
              for c in frame.columns]  # one number of decimals per column
    rows = []
    fills = table.fills.itertuples(index=False, name=None) if table.fills is not None else None
    for values in frame.itertuples(index=False, name=None):
        colours = next(fills, ()) if fills is not None else ()
        cells = []
        for k, (value, d) in enumerate(zip(values, digits)):
            text, numeric = cell(value, lang, d)
            fill = colours[k] if k < len(colours) else ""
            style = (f' style="background:{esc(fill)}"'
                     if isinstance(fill, str) and fill.startswith("#") else "")
            cells.append(f'<td class="num"{style}>{text}</td>' if numeric
                         else f"<td{style}>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    note = f'<p class="note">{_text(table.note)}</p>' if table.note else ""
    return (f'<div class="tablewrap"><table><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>{note}')


def _png(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def figure_html(fig: Figure, anchor: str, lang: str) -> str:
    parts = [f'<figure id="{esc(anchor)}" class="{"has-map" if fig.html else "image"}">']
    if fig.finding:
        parts.append(f'<p class="finding">{esc(fig.finding)}</p>')
    parts.append(f"<h3>{esc(fig.title)}</h3>")
    if fig.html:
        parts.append(f'<p class="hint">{esc(_label("map_hint", lang))}</p>')
        parts.append(f'<iframe class="map" sandbox="allow-scripts" title="{esc(fig.title)}" '
                     f'srcdoc="{esc(fig.html)}"></iframe>')
    parts.append(f'<img class="static" src="{_png(fig.png)}" alt="{esc(fig.title)}">')
    parts.append(f"<figcaption>{_text(fig.caption)}</figcaption>")
    if fig.table is not None:
        parts.append(f"<details open><summary>{esc(_label('behind', lang))}: "
                     f"{esc(fig.table.title)}</summary>{table_html(fig.table, lang)}</details>")
    parts.append("</figure>")
    return "".join(parts)


def _anchors(report: Report) -> Iterable[tuple[Section, int, list[tuple[str, object]]]]:
    """Each section with its number and its (anchor, figure or table) items in order."""
    count = 0
    for number, section in enumerate(report.sections, start=1):
        items: list[tuple[str, object]] = []
        for item in (*section.figures, *section.tables):
            count += 1
            items.append((f"item-{count}", item))
        yield section, number, items


def to_html(report: Report) -> str:
    """The whole report as one HTML document (a str; write it as UTF-8)."""
    lang = report.lang
    blocks = list(_anchors(report))
    toc = []
    for section, number, items in blocks:
        sub = "".join(f'<li><a href="#{a}">{esc(item.title)}</a></li>' for a, item in items)
        toc.append(f'<li><a href="#sec-{esc(section.key)}">{esc(section.title)}</a>'
                   + (f"<ol>{sub}</ol>" if sub else "") + "</li>")
    body = []
    for section, number, items in blocks:
        parts = [f'<section id="sec-{esc(section.key)}"><h2>{number}. {esc(section.title)}</h2>']
        parts += [f"<p>{_text(p)}</p>" for p in section.paragraphs]
        for anchor, item in items:
            if isinstance(item, Figure):
                parts.append(figure_html(item, anchor, lang))
            else:
                parts.append(f'<div class="table" id="{anchor}"><h3>{esc(item.title)}</h3>'
                             f"{table_html(item, lang)}</div>")
        parts.append("</section>")
        body.append("".join(parts))
    audience = f"{_label('audience', lang)}: " + (
        _label(report.audience, lang) if report.audience in ("police", "wide") else report.audience)
    meta = [("area", f"{report.area_name} ({report.area_id})"), ("period", report.period),
            ("created", report.created.isoformat()),
            ("snapshot", report.snapshot or _label("none", lang))]
    dl = "".join(f"<dt>{esc(_label(k, lang))}</dt><dd>{esc(v)}</dd>" for k, v in meta)
    sources = "".join(f"<li>{esc(s)}</li>" for s in report.sources)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{esc(lang)}"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="referrer" content="no-referrer"><title>{esc(report.title)}</title>'
        f"<style>{STYLE}</style></head>"
        + (f'<body class="police"><div class="police-mark" role="note">'
           f'{esc(_label("police", lang))}</div>' if report.audience == "police" else "<body>")
        + f'<header><h1>{esc(report.title)}</h1><dl class="meta">{dl}</dl>'
        f'<p class="audience">{esc(audience)}</p></header>'
        f'<nav class="toc"><h2>{esc(_label("contents", lang))}</h2><ol>{"".join(toc)}</ol></nav>'
        f'<main>{"".join(body)}</main>'
        f'<footer><p>{esc(_label("sources", lang))}:</p><ul>{sources}</ul></footer>'
        "</body></html>\n")
