"""The self-contained HTML report: offline (no external address, images as data: URIs, maps in
escaped sandboxed srcdoc frames), escaped text, the same hidden cells as layer_figures, and no
incident coordinates for a wide audience."""

from __future__ import annotations

import base64
import re
from html import unescape
from html.parser import HTMLParser

import pandas as pd
import pytest
from pyproj import Transformer

from lagesbild.core import schema
from lagesbild.core.i18n import sex_label
from lagesbild.render.escape import esc
from lagesbild.report.html import cell, to_html
from lagesbild.report.model import Figure, Report, Section, Table

from test_report_build import (GOALS, HOSTILE_GOAL, HOSTILE_NOTE, PNG, SMALL_LAYER, demo_inputs,
                               demo_report, suppressed_cells)

URL_ATTRS = {"src", "href", "action", "data", "poster", "srcset", "formaction", "background"}
EXTERNAL = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//|^\s*(?:https?|ftp|ws|wss):", re.I)


class Page(HTMLParser):
    """Tags with attributes, the text, and every table with the heading or summary above it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.tables: list[tuple[str, list[list[str]]]] = []
        self._heading, self._capture, self._row, self._cell = "", None, None, None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("h3", "summary"):
            self._capture = []
        elif tag == "table":
            self.tables.append((self._heading, []))
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("h3", "summary") and self._capture is not None:
            self._heading, self._capture = "".join(self._capture), None
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell))
            self._cell = None
        elif tag == "tr" and self._row is not None and self.tables:
            self.tables[-1][1].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        for buf in (self._capture, self._cell):
            if buf is not None:
                buf.append(data)


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Report:
    return demo_report(tmp_path_factory)


@pytest.fixture(scope="module")
def html(report: Report) -> str:
    return to_html(report)


@pytest.fixture(scope="module")
def page(html: str) -> Page:
    return parse(html)


def srcdocs(page: Page) -> list[str]:
    return [attrs["srcdoc"] or "" for tag, attrs in page.tags
            if tag == "iframe" and attrs.get("srcdoc")]


def test_structure_toc_and_sections_in_order(html: str, page: Page, report: Report) -> None:
    assert html.startswith("<!DOCTYPE html>") and "@media print" in html
    ids = [a["id"] for tag, a in page.tags if tag == "section"]
    assert ids == [f"sec-{s.key}" for s in report.sections]
    links = [a["href"] for tag, a in page.tags if tag == "a"]
    assert all(f"#sec-{s.key}" in links for s in report.sections)
    anchors = {a.get("id") for _, a in page.tags}
    assert all(link[1:] in anchors for link in links if link.startswith("#"))
    h2 = [t for t in re.findall(r"<h2>(.*?)</h2>", html)][1:]
    assert h2 == [f"{i}. {esc(s.title)}" for i, s in enumerate(report.sections, start=1)]


def test_no_external_address_anywhere(html: str, page: Page) -> None:
    frames = srcdocs(page)
    assert len(frames) == 4  # three layer maps and coverage versus need
    for doc in [page, *map(parse, frames)]:
        for tag, attrs in doc.tags:
            for name, value in attrs.items():
                if name in URL_ATTRS and value:
                    assert not EXTERNAL.search(value), (tag, name, value[:80])
            assert not (tag == "link" and attrs.get("rel") == "stylesheet" and attrs.get("href"))
    assert not re.search(r"url\(\s*['\"]?\s*(?:https?:)?//", html)
    csp = [a["content"] for t, a in page.tags
           if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in csp[0] and "connect-src" not in csp[0]
    for frame in frames:  # Leaflet is inlined, not loaded
        assert "L.map(" in frame and "<script src" not in frame


def test_images_are_data_uris(page: Page) -> None:
    images = [a["src"] for tag, a in page.tags if tag == "img"]
    assert images and all(src.startswith("data:image/png;base64,") for src in images)
    assert all(base64.b64decode(src.split(",", 1)[1]).startswith(PNG) for src in images)


def test_maps_are_sandboxed_frames(page: Page) -> None:
    frames = [a for tag, a in page.tags if tag == "iframe"]
    assert frames and all(a.get("sandbox") == "allow-scripts" for a in frames)
    assert all("src" not in a for a in frames)


def test_hostile_notes_and_goals_are_escaped(html: str, page: Page) -> None:
    # the outer page has no script at all, and no element or attribute came from user text
    assert not [t for t, _ in page.tags if t == "script"]
    assert not [a for t, a in page.tags if "onerror" in a]
    assert "<script>alert" not in html and "${" not in html and "`x`" not in html
    text = "".join(page.text)
    assert HOSTILE_NOTE in text and HOSTILE_GOAL in text  # shown literally
    assert esc(HOSTILE_GOAL) in html
    assert GOALS["samverkan"] in text and "inget lokalt mål angivet" in text


def _table(page: Page, heading: str) -> list[list[str]]:
    return next(rows for title, rows in page.tables if title.endswith(heading))


def test_same_hidden_cells_as_layer_figures(page: Page, tmp_path_factory) -> None:
    frames, specs, _, _ = demo_inputs(tmp_path_factory)
    title = f"{specs[SMALL_LAYER].title('sv')}, 2024"
    rows = _table(page, title)
    header, body = rows[0], rows[1:]
    assert header[:4] == ["Kod", "Område", "Kön", "Värde"]
    cells = suppressed_cells(tmp_path_factory)
    assert cells
    for c in cells:
        match = [r for r in body if r[0] == c["area_id"] and r[2] == sex_label(c["sex"])]
        assert len(match) == 1 and match[0][3] == c["display"], c
        # nothing but the code, name, sex, display and the population: no count, no rate
        numbers = [v for v in match[0][4:] if v.strip()]
        assert all(v.replace("\u00a0", "").isdigit() and int(v.replace("\u00a0", "")) > 100
                   for v in numbers), (c, match[0])
        assert str(c["raw"]) not in match[0][4:]


def test_no_true_value_of_a_hidden_cell(html: str, page: Page, tmp_path_factory) -> None:
    text = "".join(page.text) + "".join(unescape(d) for d in srcdocs(page))
    for c in suppressed_cells(tmp_path_factory):
        assert c["raw"] == 0 or (c["leak"] not in text and esc(c["leak"]) not in html), c


def test_wide_audience_has_no_incident_coordinates(html: str, page: Page,
                                                   tmp_path_factory) -> None:
    frames = demo_inputs(tmp_path_factory)[0]
    to_web = Transformer.from_crs(schema.CRS_STORE, schema.CRS_WEB, always_xy=True)
    points = frames.incidents.dropna(subset=["x"])
    assert len(points)
    xs, ys = points["x"].to_numpy(), points["y"].to_numpy()
    lon, lat = to_web.transform(xs, ys)
    incidents = {(round(a, 5), round(b, 5)) for a, b in zip(lon, lat)}
    docs = [unescape(d) for d in srcdocs(page)]
    pairs = set()
    for doc in docs:
        for a, b in re.findall(r"\[\s*(-?\d+\.\d+)\s*,\s*(-?\d+\.\d+)\s*\]", doc):
            pairs.add((round(float(a), 5), round(float(b), 5)))
    assert not pairs & incidents
    # a few incidents as text, in both orders, anywhere in the file
    for a, b in list(incidents)[:25]:
        for text in (f"{a:.5f}, {b:.5f}", f"{b:.5f}, {a:.5f}", f"{b:.5f},{a:.5f}"):
            assert text not in html and all(text not in d for d in docs)
    # the check sees points: the schools (public places) are on the maps
    sx, sy = frames.sites.geometry.x.to_numpy(), frames.sites.geometry.y.to_numpy()
    slon, slat = to_web.transform(sx, sy)
    sites = {(round(a, 5), round(b, 5)) for a, b in zip(slon, slat)}
    assert sites & pairs


def test_a_hand_made_report_escapes_everything() -> None:
    hostile = "<b onmouseover=alert(1)>x</b>\n${y} `z` \" ' & </iframe>"
    table = Table(hostile, pd.DataFrame({hostile: [hostile, None], "n": [1.5, pd.NA]}), hostile)
    figure = Figure(hostile, PNG + b"0", hostile, html=f"<html><body>{hostile}</body></html>",
                    table=table)
    report = Report(title=hostile, area_id=hostile, area_name=hostile, period=hostile,
                    audience="police", lang="en", created=pd.Timestamp("2026-01-02").date(),
                    sections=(Section("analys", hostile, (hostile,), (figure,), (table,)),),
                    sources=(hostile,), snapshot=hostile)
    out = to_html(report)
    page = parse(out)
    assert [t for t, _ in page.tags].count("b") == 0
    assert not [a for _, a in page.tags if "onmouseover" in a]
    assert "${" not in out and "`" not in out
    frame = srcdocs(page)[0]
    assert frame == f"<html><body>{hostile}</body></html>"  # the attribute holds the document
    assert "For the police" in "".join(page.text)


@pytest.mark.parametrize("value, lang, digits, expected", [
    (1234.5, "sv", None, ("1\u00a0234,5", True)), (1234.5, "en", 2, ("1,234.50", True)),
    (3, "sv", None, ("3", True)), (float("nan"), "sv", None, ("", False)),
    (pd.NA, "sv", None, ("", False)), (True, "sv", None, ("ja", False)),
    ("<5", "sv", None, ("&lt;5", False)), ("a\nb", "sv", None, ("a<br>b", False))])
def test_cell(value: object, lang: str, digits: int | None, expected: tuple[str, bool]) -> None:
    assert cell(value, lang, digits) == expected
