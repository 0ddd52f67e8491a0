"""Browser tests on a laptop screen (1366 × 768): tooltips stay inside the map, the legend hides
no area. The offline HTML map and the app's Karta, in Debian's Chromium through Playwright."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Frame, Page, expect

import browser_support as bs
from test_browser import Tab, open_app_map, open_offline, wait_idle

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 768}
HALF = {"width": 683, "height": 768}
TOOLTIP = ".leaflet-tooltip"

# Marks the polygon path that reaches farthest toward `side` ("right" or "bottom") and returns
# the farthest point toward that side where the path is surely under the pointer (its
# neighbours 2 px away too), relative to the path's box; only points inside the map count.
_EDGE_JS = """
(side) => {
  let map = null;
  for (const key of Object.keys(window)) {
    try { if (window[key] instanceof L.Map) { map = window[key]; break; } } catch (e) {}
  }
  if (!map) return {error: "no L.Map on window"};
  const box = map.getContainer().getBoundingClientRect();
  let best = null;
  map.eachLayer(layer => {
    const f = layer.feature;
    if (!f || !layer._path || !f.geometry || !f.geometry.type.endsWith("Polygon")) return;
    const el = layer._path, r = el.getBoundingClientRect();
    const on = (x, y) => document.elementFromPoint(x, y) === el;
    const sure = (x, y) => on(x, y) && on(x - 2, y - 2) && on(x + 2, y - 2) && on(x - 2, y + 2)
                           && on(x + 2, y + 2);
    const n = 60;
    for (let i = 0; i <= n; i++) {
      for (let j = 0; j <= n; j++) {
        const x = r.left + r.width * i / n, y = r.top + r.height * j / n;
        if (x < box.left || x > box.right || y < box.top || y > box.bottom || !sure(x, y)) continue;
        const score = side === "right" ? x : y;
        if (!best || score > best.score) best = {score, el, x: x - r.left, y: y - r.top, id: f.properties.area_id};
      }
    }
  });
  if (!best) return {error: "no polygon under the pointer anywhere"};
  document.querySelectorAll("[data-test-target]").forEach(e => e.removeAttribute("data-test-target"));
  best.el.setAttribute("data-test-target", "1");
  return {x: best.x, y: best.y, id: best.id,
          from_edge: side === "right" ? box.right - best.score : box.bottom - best.score};
}
"""

_BOXES_JS = """
() => {
  const rect = e => { const r = e.getBoundingClientRect();
                      return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; };
  const map = document.querySelector(".leaflet-container");
  const legend = document.querySelector(".lagesbild-legend-box");  // the fold and its contents
  const tip = document.querySelector(".leaflet-tooltip");
  let areas = [];
  for (const key of Object.keys(window)) {
    try {
      if (window[key] instanceof L.Map) {
        window[key].eachLayer(l => {
          const f = l.feature;
          if (f && l._path && f.geometry && f.geometry.type.endsWith("Polygon"))
            areas.push({id: String(f.properties.area_id), box: rect(l._path)});
        });
        break;
      }
    } catch (e) {}
  }
  return {map: rect(map), legend: legend ? rect(legend) : null, tip: tip ? rect(tip) : null,
          tip_text: tip ? tip.textContent : "", areas};
}
"""


@pytest.fixture
def laptop(browser: Browser) -> Iterator[Tab]:  # noqa: F811
    """A fresh page on a 1366 × 768 laptop screen, recording what it fetched and its errors."""
    context = browser.new_context(viewport=LAPTOP, locale="sv-SE")
    context.set_default_timeout(15_000)
    tab = Tab(context.new_page())
    context.on("request", lambda r: tab.requests.append(r.url))
    tab.page.on("websocket", lambda ws: tab.websockets.append(ws.url))
    tab.page.on("pageerror", lambda e: tab.errors.append(str(e)))
    tab.page.on("dialog", lambda d: (tab.dialogs.append(d.message), d.dismiss()))
    try:
        yield tab
    finally:
        context.close()


def _inside(inner: dict, outer: dict, slack: float = 0.5) -> bool:
    return (inner["left"] >= outer["left"] - slack and inner["right"] <= outer["right"] + slack
            and inner["top"] >= outer["top"] - slack and inner["bottom"] <= outer["bottom"] + slack)


def _overlap(a: dict, b: dict, slack: float = 0.5) -> bool:
    return (a["left"] < b["right"] - slack and b["left"] < a["right"] - slack
            and a["top"] < b["bottom"] - slack and b["top"] < a["bottom"] - slack)


_VIEW_JS = """() => { for (const k of Object.keys(window)) { try { if (window[k] instanceof L.Map) {
  const m = window[k]; return JSON.stringify([m.getZoom(), m.getCenter(), m.getSize()]); } } catch (e) {} }
  return ""; }"""


def wait_settled(frame: Frame | Page, quiet_ms: int = 600, timeout_s: float = 20.0) -> None:
    """Wait until the map's view (zoom, centre, size) has not changed for `quiet_ms`: the fit
    follows the frame's layout and may animate."""
    deadline = time.monotonic() + timeout_s
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        view = frame.evaluate(_VIEW_JS)
        if view != last:
            last, since = view, time.monotonic()
        elif view and (time.monotonic() - since) * 1000 >= quiet_ms:
            return
        time.sleep(0.1)
    raise AssertionError(f"the map did not settle: {last}")


_FOLD_JS = """() => { const d = document.querySelector(".lagesbild-legend-box");
  return d ? {open: d.open, label: d.querySelector("summary").textContent,
              focused: document.activeElement === d.querySelector("summary")} : null; }"""


def unfold_by_keyboard(frame: Frame | Page, *, label: str = "Teckenförklaring") -> None:
    """The folded legend (a narrow map) opens with the keyboard: Tab to its summary, Enter."""
    assert frame.evaluate(_FOLD_JS) == {"open": False, "label": label, "focused": False}
    summary = frame.locator(".lagesbild-legend-box > summary")
    summary.focus()
    summary.press("Enter")
    assert frame.evaluate(_FOLD_JS) == {"open": True, "label": label, "focused": True}
    expect(frame.locator(".lagesbild-legend")).to_be_visible()


def assert_legend_hides_no_area(frame: Frame | Page) -> dict:
    """No kommun's box (its whole drawn extent) reaches under the legend, unfolded."""
    boxes = frame.evaluate(_BOXES_JS)
    assert boxes["legend"] is not None and len(boxes["areas"]) >= 15
    assert _inside(boxes["legend"], boxes["map"])
    under = [a["id"] for a in boxes["areas"] if _overlap(a["box"], boxes["legend"])]
    assert under == [], f"legend {boxes['legend']} covers {under}: {boxes['areas']}"
    return boxes


def assert_edge_tooltips_inside(frame: Frame | Page) -> list[str]:
    """Hover the kommun nearest the map's right edge, then the one nearest its bottom edge, at
    their outermost point: each tooltip, name to source line, lies inside the map."""
    seen = []
    for side in ("right", "bottom"):
        found = frame.evaluate(_EDGE_JS, side)
        assert "error" not in found, found
        # the pointer is near that edge (the legend's padding may keep the areas off the right
        # edge); a tooltip is 250-1 100 px wide, so Leaflet alone would let it leave the map
        assert found["from_edge"] < 150, found
        frame.locator("[data-test-target]").hover(position={"x": found["x"], "y": found["y"]})
        expect(frame.locator(TOOLTIP)).to_have_count(1)
        expect(frame.locator(TOOLTIP)).to_contain_text("Källa")
        boxes = frame.evaluate(_BOXES_JS)
        assert boxes["tip"] is not None
        assert _inside(boxes["tip"], boxes["map"]), (side, found, boxes["tip"], boxes["map"])
        assert "95 % konfidensintervall" in boxes["tip_text"] or "–" in boxes["tip_text"]
        seen.append(found["id"])
        frame.mouse.move(1, 1) if isinstance(frame, Page) else frame.page.mouse.move(1, 1)
    return seen


def test_offline_map_on_laptop_keeps_tooltips_and_areas_visible(laptop: Tab, demo_gpkg: Path,  # noqa: F811
                                                                tmp_path: Path) -> None:
    html = bs.write_map(demo_gpkg, tmp_path / "karta.html")
    laptop.page.set_viewport_size(HALF)  # the file beside another window: narrower than tall
    open_offline(laptop, html)
    wait_settled(laptop.page)
    unfold_by_keyboard(laptop.page)  # narrower than the legend's width for opening unfolded
    wait_settled(laptop.page)
    assert_legend_hides_no_area(laptop.page)
    ids = assert_edge_tooltips_inside(laptop.page)
    assert len(ids) == 2
    laptop.assert_clean()


def test_app_map_on_laptop_keeps_tooltips_and_areas_visible(laptop: Tab,
                                                            demo_server: bs.Server) -> None:  # noqa: F811
    frame = open_app_map(laptop, demo_server)
    wait_idle(laptop.page)
    wait_settled(frame)
    view = frame.evaluate(_VIEW_JS)
    unfold_by_keyboard(frame)  # the Karta column on a laptop: the legend opens folded
    wait_settled(frame)
    assert frame.evaluate(_VIEW_JS) == view  # the fit left room for it: unfolding moves nothing
    assert_legend_hides_no_area(frame)
    ids = assert_edge_tooltips_inside(frame)
    assert len(ids) == 2
    assert laptop.external() == [] and laptop.errors == []


def test_offline_map_on_a_wide_screen_opens_its_legend(laptop: Tab, demo_gpkg: Path,  # noqa: F811
                                                       tmp_path: Path) -> None:
    """A map as wide as the laptop's screen has room: its legend opens unfolded, and folds and
    unfolds on a click."""
    html = bs.write_map(demo_gpkg, tmp_path / "karta.html")
    open_offline(laptop, html)
    wait_settled(laptop.page)
    assert laptop.page.evaluate(_FOLD_JS) == {"open": True, "label": "Teckenförklaring",
                                              "focused": False}
    assert_legend_hides_no_area(laptop.page)
    laptop.page.locator(".lagesbild-legend-box > summary").click()
    assert laptop.page.evaluate(_FOLD_JS)["open"] is False
    expect(laptop.page.locator(".lagesbild-legend")).to_be_hidden()
    laptop.assert_clean()
