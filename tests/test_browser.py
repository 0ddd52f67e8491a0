"""Browser tests: the offline HTML map and the running app, in Debian's Chromium through Playwright.

They check what only a browser can: Leaflet draws, nothing is fetched from the internet, hostile
names stay text in tooltips and select boxes, and a click on the map reaches the detail panel.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Error, Frame, Locator, Page, expect

import browser_support as bs

pytestmark = pytest.mark.browser

MAP_TIMEOUT_S = 90.0  # the first run of a fresh server imports the package and loads the workspace
TOOLTIP = ".leaflet-tooltip"


# --- fixtures: tests/browser_fixtures.py (browser, tab, demo_gpkg, hostile_gpkg, demo_server,
# hostile_server), one of each per test worker ----------------------------------------------------

Tab = bs.Tab
_count_finished_runs = bs.count_finished_runs
_FINISHED_RUNS = bs.FINISHED_RUNS


# --- helpers -------------------------------------------------------------------------------------

def open_offline(tab: Tab, html: Path) -> None:
    """Open the file with every non-file request aborted (and recorded by the context)."""
    tab.page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                   else route.abort())
    tab.page.goto(html.as_uri())
    tab.page.locator("path.leaflet-interactive").first.wait_for()


def open_app_map(tab: Tab, server: bs.Server) -> Frame:
    """Open the map page and return the streamlit-folium frame once Leaflet has drawn in it.

    The map is the default page, so it is served at "/": Streamlit ignores a default page's
    url_path, and "/karta" only shows "Page not found" before falling back to it.
    """
    page = tab.page
    page.goto(server.url + "/")
    deadline = time.monotonic() + MAP_TIMEOUT_S
    while time.monotonic() < deadline:
        for frame in page.frames:
            if frame is page.main_frame or frame.is_detached():
                continue
            try:
                if frame.locator(".leaflet-container path.leaflet-interactive").count():
                    return frame
            except Error:
                pass  # the frame navigated or went away while we looked
        page.wait_for_timeout(200)
    raise AssertionError(f"no Leaflet map drawn within {MAP_TIMEOUT_S} s; external requests: "
                         f"{tab.external()}; server log:\n{server.log_text()[-3000:]}")


def hover_tooltip(frame: Frame | Page, **feature: str) -> str:
    """Hover the feature's path and return the text of the one tooltip it opens."""
    target, point = bs.target_feature(frame, **feature)
    target.hover(position=point)
    tip = frame.locator(TOOLTIP)
    expect(tip).to_have_count(1)
    return str(tip.text_content())


def assert_no_script_ran(frame: Frame | Page, title: str) -> None:
    assert frame.evaluate("typeof window.__xss") == "undefined"
    assert frame.evaluate("document.title") == title
    assert frame.locator(f"{TOOLTIP} img, {TOOLTIP} script, img[src='x']").count() == 0


_IDLE = """() => document.querySelector('[data-testid="stApp"]')
  ?.getAttribute("data-test-script-state") === "notRunning"
"""


def wait_idle(page: Page) -> None:
    """Wait until no script run is going on (the first one of a fresh server is the slow one)."""
    page.wait_for_function(_IDLE, timeout=MAP_TIMEOUT_S * 1000)


def assert_app_healthy(tab: Tab, server: bs.Server, log_mark: int) -> None:
    """Once the script run is over: no exception on the page or in the server log since `log_mark`.

    The config hides error details (client.showErrorDetails = "none"), so the page shows only a
    generic stException box; the traceback is in the server's log.
    """
    wait_idle(tab.page)
    assert tab.page.get_by_test_id("stException").count() == 0
    log = server.log_text()[log_mark:]
    assert "Traceback" not in log and "Uncaught app" not in log, log
    tab.assert_clean()


def area_box(page: Page) -> Locator:
    """The combobox of the select box labelled "Område" (the area chooser)."""
    return page.get_by_test_id("stSelectbox").filter(has_text="Område").get_by_role("combobox")


RERUN_TIMEOUT_S = 60.0  # a rerun on a loaded 2-core CI machine, next to another test worker


def rerun_after(page: Page, action: Callable[[], None]) -> None:
    """Do `action` and wait until the script run it triggers has finished.

    The run counts once the server has sent a script_finished message after the action; then the
    page is waited on until it shows no run going on.
    """
    counter = _FINISHED_RUNS.get(page)
    assert counter is not None, "rerun_after needs a page made by the tab fixture"
    before = counter[0]
    action()
    deadline = time.monotonic() + RERUN_TIMEOUT_S
    while counter[0] <= before:
        if time.monotonic() > deadline:
            raise AssertionError(f"no script run finished within {RERUN_TIMEOUT_S} s of the action")
        page.wait_for_timeout(50)  # lets Playwright deliver the websocket events
    wait_idle(page)


def choose(page: Page, combobox: Locator, option: str) -> None:
    """Pick `option` in a Streamlit select box and wait for the rerun."""
    def pick() -> None:
        combobox.click()
        page.get_by_role("option", name=option, exact=True).click()
    rerun_after(page, pick)


def click_feature(page: Page, frame: Frame, **feature: str) -> None:
    """Click a map feature and wait for the rerun that streamlit-folium's return value starts."""
    target, point = bs.target_feature(frame, **feature)
    rerun_after(page, lambda: target.click(position=point))


# --- the offline HTML map ------------------------------------------------------------------------

def test_offline_map_opens_without_network(tab: Tab, demo_gpkg: Path, tmp_path: Path) -> None:
    html = bs.write_map(demo_gpkg, tmp_path / "karta.html")
    open_offline(tab, html)
    assert tab.page.evaluate("typeof window.L") == "object"
    assert tab.page.locator("path.leaflet-interactive").count() >= 15
    expect(tab.page.locator(".lagesbild-legend")).to_be_visible()
    assert tab.requests == [html.as_uri()] and tab.websockets == []
    tab.assert_clean()


def test_offline_map_tooltips_show_hostile_names_as_text(tab: Tab, hostile_gpkg: Path,
                                                         tmp_path: Path) -> None:
    html = bs.write_map(hostile_gpkg, tmp_path / "karta.html")
    open_offline(tab, html)
    assert tab.page.locator("path.leaflet-interactive").count() >= 15
    title = tab.page.title()

    area_tip = hover_tooltip(tab.page, geometry="Polygon", prop="area_id", equals=bs.HOSTILE_KOMMUN)
    assert bs.HOSTILE in area_tip and "per 100 000" in area_tip
    assert_no_script_ran(tab.page, title)
    site_tip = hover_tooltip(tab.page, geometry="Point", prop="tip", contains="onerror")
    assert bs.HOSTILE in site_tip and "Programstatus" in site_tip
    assert_no_script_ran(tab.page, title)
    tab.assert_clean()


# --- the running app -----------------------------------------------------------------------------

def test_app_map_draws_from_local_assets(tab: Tab, demo_server: bs.Server) -> None:
    mark = len(demo_server.log_text())
    frame = open_app_map(tab, demo_server)
    assert frame.locator("path.leaflet-interactive").count() >= 15
    assert frame.evaluate("typeof window.L") == "object"
    expect(frame.locator(".lagesbild-legend-box")).to_be_visible()
    expect(tab.page.get_by_test_id("stSelectbox").filter(has_text="Område")).to_be_visible()
    assert_app_healthy(tab, demo_server, mark)
    assert any(u.endswith("/app/static/vendor/leaflet/leaflet.js") for u in tab.requests)
    assert tab.websockets  # the recording works: Streamlit's own socket is seen


def test_app_map_click_selects_kommun(tab: Tab, demo_server: bs.Server) -> None:
    mark = len(demo_server.log_text())
    frame = open_app_map(tab, demo_server)
    wait_idle(tab.page)
    box = area_box(tab.page)
    expect(box).to_have_value("Bjurholm")  # the first kommun by name, before any click
    click_feature(tab.page, frame, geometry="Polygon", prop="area_id", equals="2417")
    expect(box).to_have_value("Norsjö")
    assert_app_healthy(tab, demo_server, mark)


def test_app_area_choice_after_map_click_sticks(tab: Tab, demo_server: bs.Server) -> None:
    """The last click comes back on every rerun; it must not override a later choice in the box."""
    mark = len(demo_server.log_text())
    frame = open_app_map(tab, demo_server)
    wait_idle(tab.page)
    box = area_box(tab.page)
    click_feature(tab.page, frame, geometry="Polygon", prop="area_id", equals="2417")
    expect(box).to_have_value("Norsjö")
    choose(tab.page, box, "Umeå")
    expect(box).to_have_value("Umeå")
    choose(tab.page, box, "Malå")
    expect(box).to_have_value("Malå")
    assert_app_healthy(tab, demo_server, mark)


def test_app_map_tooltips_show_hostile_names_as_text(tab: Tab, hostile_server: bs.Server) -> None:
    mark = len(hostile_server.log_text())
    frame = open_app_map(tab, hostile_server)
    wait_idle(tab.page)
    top_title, frame_title = tab.page.title(), frame.evaluate("document.title")

    area_tip = hover_tooltip(frame, geometry="Polygon", prop="area_id", equals=bs.HOSTILE_KOMMUN)
    assert bs.HOSTILE in area_tip and "per 100 000" in area_tip
    assert_no_script_ran(frame, frame_title)
    site_tip = hover_tooltip(frame, geometry="Point", prop="tip", contains="onerror")
    assert bs.HOSTILE in site_tip and "Programstatus" in site_tip
    assert_no_script_ran(frame, frame_title)

    # a click puts the name into the detail panel: select box, table, headings
    click_feature(tab.page, frame, geometry="Polygon", prop="area_id", equals=bs.HOSTILE_KOMMUN)
    expect(area_box(tab.page)).to_have_value(bs.HOSTILE)
    assert_app_healthy(tab, hostile_server, mark)
    assert_no_script_ran(frame, frame_title)
    assert_no_script_ran(tab.page, top_title)


def test_app_pyramid_shows_hostile_name_as_text(tab: Tab, hostile_server: bs.Server) -> None:
    mark = len(hostile_server.log_text())
    page = tab.page
    page.goto(hostile_server.url + "/pyramid")
    box = area_box(page)
    expect(box).to_have_value("Västerbottens län", timeout=MAP_TIMEOUT_S * 1000)
    wait_idle(page)
    title = page.title()
    choose(page, box, bs.HOSTILE)
    expect(box).to_have_value(bs.HOSTILE)
    expect(page.get_by_test_id("stMarkdown").filter(
        has_text="Toppen: fysiskt och sexuellt våld").first).to_be_visible()
    assert_app_healthy(tab, hostile_server, mark)
    assert_no_script_ran(page, title)
