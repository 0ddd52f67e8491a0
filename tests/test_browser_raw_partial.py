"""Browser walk after a partial import (Brå's 2025 for Norsjö only): every page in Swedish and
in English shows no raw value. A module of its own so that it runs beside the demo's walk
(`test_browser_raw.py`) on the other test worker."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from pprint import pformat

import pytest
from playwright.sync_api import Browser, Page

import browser_support as bs
from test_browser import _count_finished_runs, rerun_after, wait_idle
from test_browser_raw import _walk_both

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def partial_gpkg(demo_gpkg: Path,  # noqa: F811
                  tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo with Brå's table for 2025 for Norsjö only (its 2024 rows, relabelled)."""
    from frames_support import with_norsjo_2025

    return with_norsjo_2025(demo_gpkg, tmp_path_factory.mktemp("partial"))


@pytest.fixture(scope="module")
def partial_server(browser: Browser, partial_gpkg: Path,  # noqa: F811
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[bs.Server]:
    with bs.streamlit_server(partial_gpkg, tmp_path_factory.mktemp("partial-server")) as server:
        yield server



def test_partial_import_pages_show_no_raw_value(browser: Browser,  # noqa: F811
                                                partial_server: bs.Server) -> None:
    found = _walk_both(browser, partial_server)
    assert found == {"sv": {}, "en": {}}, pformat(found, width=100)


def test_map_address_says_nothing_in_english(browser: Browser,  # noqa: F811
                                             partial_server: bs.Server) -> None:
    """/karta (the map's own name) opens the map at "/"; a mistyped address says so in Swedish
    and shows the map; neither shows Streamlit's English "Page not found" dialog."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="sv-SE")
    page = context.new_page()
    try:
        for path, note in (("/karta", None), ("/kartan", "Adressen /kartan leder inte till någon "
                                                        "sida; kartan visas i stället.")):
            page.goto(partial_server.url + path)
            wait_idle(page)
            page.get_by_test_id("stSelectbox").first.wait_for()
            page.wait_for_timeout(500)
            body = page.inner_text("body")
            assert "Page not found" not in body and "page_not_found" not in body, path
            assert page.url.rstrip("/") == partial_server.url, path  # the map's address is "/"
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


def test_streamlit_own_texts_follow_the_language(browser: Browser,  # noqa: F811
                                                 partial_server: bs.Server) -> None:
    """Streamlit's skip link and table toolbar (aria-labels, tooltips) in Swedish, and back in
    English; the skip link is still the first stop of the keyboard and still leads to the page."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="sv-SE")
    page = context.new_page()
    _count_finished_runs(page)
    try:
        page.goto(partial_server.url + "/jamforelse")
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
