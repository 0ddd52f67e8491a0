"""Browser walk: every page in Swedish and in English, on the demo and after a partial import,
shows no raw value (tests/raw_values.py says what counts as one).

What is read is what the user sees or hears: the page's visible text, the buttons' and links'
aria-labels (Streamlit's toolbars, skip link, sidebar buttons), the table cells (the grid is a
canvas; its accessible table holds the cells), the chart axes and legends (Vega's SVG), the
select boxes' and inputs' values and placeholders, and the map frame (legend, scale bar), with
every expander opened. One server per workspace, one browser for the module.
"""

from __future__ import annotations

from pathlib import Path
from pprint import pformat

import pytest
from playwright.sync_api import Browser, Page

import browser_support as bs
from raw_values import raw_values
from test_browser import _count_finished_runs, rerun_after, wait_idle

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
DEMO_COUNTS = ROOT / "data" / "demo" / "bra_anmalda_brott_2019-2024.csv"
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


def hits_in(page: Page, lang: str) -> list[tuple[str, str]]:
    lines, frames = seen(page)
    found = {hit for line in set(lines) for hit in raw_values(line, lang)}
    found |= {hit for line in set(frames) for hit in raw_values(line, lang)
              if (lang, hit[0]) not in KNOWN_MAP_FRAME}
    return sorted(found)


def open_expanders(page: Page) -> None:
    closed = page.locator('[data-testid="stExpander"] details:not([open]) > summary')
    for _ in range(closed.count()):
        closed.first.click()
    page.wait_for_timeout(300)


def walk(page: Page, server: bs.Server, lang: str) -> dict[str, list[tuple[str, str]]]:
    """Every page in `lang`: {page title: [(rule, fragment)]} for the raw values found."""
    found: dict[str, list[tuple[str, str]]] = {}
    nav = page.get_by_test_id("stSidebarNav").get_by_role("link")
    for i in range(PAGES):
        title = nav.nth(i).inner_text()
        rerun_after(page, lambda: nav.nth(i).click())
        open_expanders(page)
        page.wait_for_timeout(300)  # the map frame and charts draw after the run
        if hits := hits_in(page, lang):
            found[title] = hits
    return found


def _walk_both(browser: Browser, server: bs.Server, upload: Path | None = None  # noqa: F811
               ) -> dict[str, dict[str, list[tuple[str, str]]]]:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="sv-SE")
    context.set_default_timeout(30_000)
    page = context.new_page()
    _count_finished_runs(page)
    try:
        page.goto(server.url + "/")
        wait_idle(page)
        found = {"sv": walk(page, server, "sv")}
        if upload is not None:  # the wizard's preview and column mapping, in Swedish
            found["sv"].update(_wizard(page, upload, "sv"))
        radio = page.get_by_test_id("stSidebar").get_by_text("English", exact=True)
        rerun_after(page, radio.click)
        found["en"] = walk(page, server, "en")
        if upload is not None:
            found["en"].update(_wizard(page, upload, "en"))
        assert "Traceback" not in server.log_text(), server.log_text()[-3000:]
        return found
    finally:
        context.close()


def _wizard(page: Page, upload: Path, lang: str) -> dict[str, list[tuple[str, str]]]:
    """On the Data page (the last one walked): a file chosen in the uploader (the first file
    type, the police's extract: its preview and column mapping)."""
    rerun_after(page, lambda: page.get_by_test_id("stFileUploaderDropzoneInput")
                .set_input_files(str(upload)))
    page.wait_for_timeout(300)
    hits = hits_in(page, lang)
    return {"Data (import)": hits} if hits else {}


def test_demo_pages_show_no_raw_value(browser: Browser, demo_server: bs.Server,  # noqa: F811
                                      tmp_path: Path) -> None:
    lines = DEMO_COUNTS.read_text(encoding="utf-8-sig").splitlines()
    upload = tmp_path / "bra_norsjo_2025.csv"
    upload.write_text("\n".join([lines[0], *[line.replace(";2024;", ";2025;") for line in lines[1:]
                                             if line.startswith("Norsjö;2417;2024;")]]) + "\n",
                      encoding="utf-8")
    found = _walk_both(browser, demo_server, upload)
    assert found == {"sv": {}, "en": {}}, pformat(found, width=100)
