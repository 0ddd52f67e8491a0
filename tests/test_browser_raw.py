"""Browser walk: every page in Swedish and in English shows no raw value (tests/raw_values.py
says what counts as one), and Streamlit's own texts follow the language.

The walk goes once per language over the demo after a partial import (Brå's 2025 for Norsjö
only), stored under a demo name: it shows what the demo shows (the demo notice, every table,
chart and map of the demo's periods) and the partial import's notes besides. Measured when the
demo's and the partial workspace's walks were merged: every line of the demo's walk was in the
partial one but the workspace's file name and the source captions' periods. The test asserts
that both kinds of text were seen, so a walk that lost either would fail.

What is read is what the user sees or hears: the page's visible text, the buttons' and links'
aria-labels (Streamlit's toolbars, skip link, sidebar buttons), the table cells (the grid is a
canvas; its accessible table holds the cells), the chart axes and legends (Vega's SVG), the
select boxes' and inputs' values and placeholders, and the map frame (legend, scale bar), with
every expander opened.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from pprint import pformat

import pytest
from playwright.sync_api import Browser, Page

import browser_support as bs
from lagesbild.core.i18n import t
from raw_values import raw_values
from test_browser import _count_finished_runs, rerun_after, wait_idle

pytestmark = pytest.mark.browser

PAGES = 7  # Karta, Lägesbild, Våldspyramid, Jämförelse, Insatser, Rapport, Data

# Everything the user can read, as lines: the page, its tables, charts, inputs and map frames.
_SEEN = """() => {
  const out = [];
  const icons = new Set(Array.from(document.querySelectorAll('[data-testid="stIconMaterial"]'))
                        .map(e => e.textContent));
  for (const line of document.body.innerText.split("\\n")) {
    if (!icons.has(line.trim())) out.push(line);
  }
  document.querySelectorAll('[data-testid="stDataFrame"] table th, '
                            + '[data-testid="stDataFrame"] table td').forEach(e => out.push(e.textContent));
  document.querySelectorAll('[data-testid="stVegaLiteChart"] svg text').forEach(e => out.push(e.textContent));
  // what a screen reader says for Streamlit's buttons and links (toolbars, skip link, sidebar)
  document.querySelectorAll('button[aria-label], a[aria-label], [role="button"][aria-label]')
    .forEach(e => out.push(e.getAttribute("aria-label")));
  document.querySelectorAll('[data-testid="stTooltipContent"]').forEach(e => out.push(e.innerText));
  document.querySelectorAll('input, textarea').forEach(e => {
    if (e.type !== "file" && e.type !== "checkbox" && e.type !== "radio") {
      out.push(e.value || e.placeholder || "");  // a placeholder shows only in an empty box
    }
  });
  return out.filter(s => s && s.trim());
}"""


# The map's legend and tooltips are drawn by render/map.py, whose number format ignores the
# language (English shows "143,0–517,2"): that module belongs to the map work of issue 16, and
# this allowance goes when it formats by language. Nothing else is allowed.
KNOWN_MAP_FRAME: set[tuple[str, str]] = set()  # the map formats numbers by language


def seen(page: Page) -> tuple[list[str], list[str]]:
    """(the page's lines, the map frames' lines)."""
    lines, frames = list(page.evaluate(_SEEN)), []
    for frame in page.frames:
        if frame is not page.main_frame and not frame.is_detached():
            try:
                frames += frame.locator("body").inner_text(timeout=5_000).split("\n")
            except Exception:  # noqa: BLE001 - a frame that went away while read
                pass
    return lines, frames


Found = dict[str, list[tuple[str, str]]]  # page title -> [(rule, fragment)]


_TWO_FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


def hits_in(page: Page, lang: str, shown: set[str] | None = None) -> list[tuple[str, str]]:
    """The raw values on the page; the lines read are added to `shown` when given."""
    # the page's text script swaps Streamlit's English on the animation frame after an element
    # is drawn: two frames later it has run for whatever drew last (on a loaded machine the
    # fixed pause alone read a table toolbar between its drawing and its swap)
    page.evaluate(_TWO_FRAMES)
    lines, frames = seen(page)
    if shown is not None:
        shown.update(lines, frames)
    found = {hit for line in set(lines) for hit in raw_values(line, lang)}
    found |= {hit for line in set(frames) for hit in raw_values(line, lang)
              if (lang, hit[0]) not in KNOWN_MAP_FRAME}
    return sorted(found)


# a click on each closed expander's summary, all at once (a Playwright click per expander waits
# for each to be actionable: seconds on a page with several)
_OPEN_EXPANDERS = """() => document.querySelectorAll(
    '[data-testid="stExpander"] details:not([open]) > summary').forEach(s => s.click())"""


def open_expanders(page: Page) -> None:
    page.evaluate(_OPEN_EXPANDERS)
    page.wait_for_function("() => !document.querySelector("
                           "'[data-testid=\"stExpander\"] details:not([open])')")


def walk(page: Page, lang: str, shown: set[str]) -> Found:
    """Every page in `lang`: {page title: [(rule, fragment)]} for the raw values found."""
    found: Found = {}
    nav = page.get_by_test_id("stSidebarNav").get_by_role("link")
    for i in range(PAGES):
        title = nav.nth(i).inner_text()
        rerun_after(page, lambda: nav.nth(i).click())
        open_expanders(page)
        page.wait_for_timeout(300)  # the map frame, charts and opened expanders draw
        if hits := hits_in(page, lang, shown):
            found[title] = hits
    return found


def _walk_both(browser: Browser, server: bs.Server, upload: Path
               ) -> tuple[dict[str, Found], dict[str, set[str]]]:
    """({language: raw values per page}, {language: every line read}) for one walk per
    language, the import wizard's preview of `upload` included."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="sv-SE")
    context.set_default_timeout(30_000)
    page = context.new_page()
    _count_finished_runs(page)
    mark = len(server.log_text())
    found: dict[str, Found] = {}
    shown: dict[str, set[str]] = {"sv": set(), "en": set()}
    try:
        page.goto(server.url + "/")
        wait_idle(page)
        for lang in ("sv", "en"):
            if lang == "en":
                radio = page.get_by_test_id("stSidebar").get_by_text("English", exact=True)
                rerun_after(page, radio.click)
            found[lang] = walk(page, lang, shown[lang])
            # the wizard's preview and column mapping, on the Data page (the last one walked)
            found[lang].update(_wizard(page, upload, lang, shown[lang]))
        log = server.log_text()[mark:]
        assert "Traceback" not in log, log[-3000:]
        return found, shown
    finally:
        context.close()


def _wizard(page: Page, upload: Path, lang: str, shown: set[str]) -> Found:
    """On the Data page: a file chosen in the uploader (the first file type, the police's
    extract: its preview and column mapping)."""
    rerun_after(page, lambda: page.get_by_test_id("stFileUploaderDropzoneInput")
                .set_input_files(str(upload)))
    page.wait_for_timeout(300)
    hits = hits_in(page, lang, shown)
    return {"Data (import)": hits} if hits else {}


@pytest.fixture(scope="module")
def partial(demo_gpkg: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the demo with Brå's table for 2025 for Norsjö only imported, that table's file)."""
    from frames_support import with_norsjo_2025

    folder = tmp_path_factory.mktemp("partial")
    # a demo name: the Data page shows the demo notice, as on the demo itself
    return with_norsjo_2025(demo_gpkg, folder, name="demo_norsjo_2025.gpkg"), \
        folder / "bra_norsjo_2025.csv"


@pytest.fixture(scope="module")
def partial_server(browser: Browser, partial: tuple[Path, Path],
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[bs.Server]:
    with bs.streamlit_server(partial[0], tmp_path_factory.mktemp("partial-server")) as server:
        yield server


def test_pages_show_no_raw_value(browser: Browser, partial: tuple[Path, Path],
                                 partial_server: bs.Server) -> None:
    found, shown = _walk_both(browser, partial_server, partial[1])
    assert found == {"sv": {}, "en": {}}, pformat(found, width=100)
    # the walk saw the demo's own text and the partial import's note, in both languages
    notes = {"sv": "Senare period med uppgifter för bara några kommuner: 2025 (1 av 15 kommuner)",
             "en": "Later period with data for only some municipalities: 2025 (1 of 15"}
    for lang in ("sv", "en"):
        assert t("demo_notice", lang) in shown[lang], lang
        assert any(notes[lang] in line for line in shown[lang]), lang


# --- Streamlit's own texts and addresses (the demo) --------------------------------------------

def test_map_address_says_nothing_in_english(browser: Browser,
                                             demo_server: bs.Server) -> None:
    """/karta (the map's own name) opens the map at "/"; a mistyped address says so in Swedish
    and shows the map; neither shows Streamlit's English "Page not found" dialog."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="sv-SE")
    page = context.new_page()
    try:
        for path, note in (("/karta", None), ("/kartan", "Adressen /kartan leder inte till någon "
                                                        "sida; kartan visas i stället.")):
            page.goto(demo_server.url + path)
            wait_idle(page)
            page.get_by_test_id("stSelectbox").first.wait_for()
            page.wait_for_timeout(500)
            body = page.inner_text("body")
            assert "Page not found" not in body and "page_not_found" not in body, path
            assert page.url.rstrip("/") == demo_server.url, path  # the map's address is "/"
            assert page.get_by_role("heading", name="Karta").count() >= 1, path
            alerts = page.get_by_test_id("stAlert").all_inner_texts()
            if note:
                assert note in alerts, alerts
            else:
                assert not any("Adressen" in a for a in alerts), alerts
    finally:
        context.close()


def _said(page: Page) -> dict[str, object]:
    """The skip link, the table toolbar's aria-labels and the tooltip of its first button."""
    page.get_by_test_id("stDataFrame").first.hover()
    buttons = page.get_by_test_id("stDataFrame").first.locator("xpath=..").get_by_test_id(
        "stElementToolbarButton")
    buttons.first.wait_for()
    labels = [b.get_attribute("aria-label") for b in buttons.locator("button").all()]
    buttons.first.hover()
    tooltip = page.get_by_test_id("stTooltipContent")
    tooltip.first.wait_for()
    return {"skip": page.get_by_test_id("stSkipToContent").text_content(), "toolbar": labels,
            "tooltip": tooltip.first.inner_text()}


def test_streamlit_own_texts_follow_the_language(browser: Browser,
                                                 demo_server: bs.Server) -> None:
    """Streamlit's skip link and table toolbar (aria-labels, tooltips) in Swedish, and back in
    English; the skip link is still the first stop of the keyboard and still leads to the page."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="sv-SE")
    page = context.new_page()
    _count_finished_runs(page)
    try:
        page.goto(demo_server.url + "/jamforelse")
        wait_idle(page)
        page.get_by_test_id("stDataFrame").first.wait_for()
        page.keyboard.press("Tab")
        focused = page.evaluate("() => [document.activeElement.dataset.testid, "
                                "document.activeElement.textContent]")
        assert focused == ["stSkipToContent", "Hoppa till huvudinnehållet"]
        page.keyboard.press("Enter")
        assert page.evaluate("() => document.activeElement.id") == "stMain"
        said = _said(page)
        assert said == {"skip": "Hoppa till huvudinnehållet",
                        "toolbar": ["Visa/dölj kolumner", "Ladda ner som CSV", "Sök", "Helskärm"],
                        "tooltip": "Visa/dölj kolumner"}, said
        radio = page.get_by_test_id("stSidebar").get_by_text("English", exact=True)
        rerun_after(page, radio.click)
        page.mouse.move(0, 0)
        said = _said(page)
        assert said == {"skip": "Skip to main content",
                        "toolbar": ["Show/hide columns", "Download as CSV", "Search", "Fullscreen"],
                        "tooltip": "Show/hide columns"}, said
    finally:
        context.close()
