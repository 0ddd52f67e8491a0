"""A filter change restyles the map already on the page: same areas, new colours, tooltips and
legend, everything escaped; the full re-render stays behind a switch."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import folium
import pandas as pd
import pytest
import streamlit_folium as sf

from lagesbild.analysis.coverage import site_status
from lagesbild.analysis.figures import layer_figures
from lagesbild.core.layers import LayerSpec
from lagesbild.core.settings import Settings
from lagesbild.render.assets import inline_html, use_static
from lagesbild.render.escape import esc
from lagesbild.render.map import choropleth, web_geometry
from lagesbild.render.web_restyle import restyle_update
from lagesbild.ui import map_frame
from lagesbild.ui.folium_payload import folium_payload

from frames_support import tiny_frames
from test_map_payload import HOSTILE, TAXONOMY

SPEC = LayerSpec(id="x", title_sv="Våld " + HOSTILE, title_en="Violence", kind="count_rate",
                 pyramid_level=3)


def _map(*, swap: bool = False, sites: bool = True, names: tuple[str, str] = (HOSTILE, "Sorsele"),
         static: bool = True) -> folium.Map:
    """The tiny two-kommun map; `swap`: the two kommuner's figures swapped (other colours,
    other tooltips, another legend), as a change of sex or period gives."""
    frames = tiny_frames(area_names=names)
    status = site_status(frames, period="HT2024") if sites else None
    figs = layer_figures(frames, SPEC, period="2024", sex="T", taxonomy=TAXONOMY,
                         settings=Settings())
    if swap:
        kommun = figs["level"] == "kommun"
        cols = ["value", "display", "ci_low", "ci_high"]
        figs.loc[kommun, cols] = figs.loc[kommun, cols].iloc[::-1].to_numpy()
        figs.loc[kommun, "value"] = pd.to_numeric(figs.loc[kommun, "value"]) * 3
        figs["display"] = figs["display"].astype(str) + " " + HOSTILE
    m = choropleth(figs, web_geometry(frames.kommuner), SPEC, lang="sv", sites=status)
    return use_static(m) if static else m


def _fills(m: folium.Map) -> list[str]:
    return [f["properties"].get("fill") or f["properties"]["color"]
            for c in m._children.values() if isinstance(c, folium.GeoJson)
            for f in c.data["features"]]


def test_a_change_of_values_keeps_the_signature_and_a_change_of_areas_does_not() -> None:
    a, b = restyle_update(_map()), restyle_update(_map(swap=True))
    assert _fills(_map()) != _fills(_map(swap=True))  # the change is visible
    assert a["signature"] == b["signature"] and a["script"] != b["script"]
    assert restyle_update(_map(sites=False))["signature"] != a["signature"]
    assert restyle_update(_map(names=("Norsjö", "Sorsele")))["signature"] != a["signature"]


def test_the_restyle_script_is_escaped() -> None:
    script = restyle_update(_map(swap=True))["script"]
    assert "<img src=x onerror" not in script and "${document" not in script
    assert "</script>" not in script and "</" not in script
    assert esc(HOSTILE).replace("/", "\\/") not in script  # "</" written "<\/" ...
    assert esc(HOSTILE).replace("</", "<\\/") in script  # ... the escaped name is there


def _calls(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    calls: list[dict] = []
    monkeypatch.setattr(sf, "_component_func", lambda **kw: calls.append(kw) or None)
    return calls


def test_st_map_keeps_the_frame_and_sends_the_restyle(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LAGESBILD_MAP_REDRAW", raising=False)
    calls = _calls(monkeypatch)
    first, second = folium_payload(_map()), folium_payload(_map(swap=True))
    for payload in (first, second):
        map_frame.st_map(payload, key="map", height=560, returned_objects=["last_active_drawing"])
    assert calls[0]["key"] == calls[1]["key"]  # the same frame: no new Leaflet map
    assert calls[1]["script"] == calls[0]["script"] == first["script"]
    assert calls[1]["feature_group"] == second["restyle"]["script"]
    assert calls[0]["feature_group"] == first["restyle"]["script"]
    other = folium_payload(_map(sites=False))
    map_frame.st_map(other, key="map", height=560, returned_objects=["last_active_drawing"])
    assert calls[2]["key"] != calls[0]["key"] and calls[2]["script"] == other["script"]


def test_a_frame_holding_the_map_gets_no_geometry_and_a_new_frame_asks_for_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LAGESBILD_MAP_REDRAW", raising=False)
    calls = _calls(monkeypatch)
    state: dict = {}  # stands in for the session's state
    monkeypatch.setattr(map_frame.st, "session_state", state)
    monkeypatch.setattr(map_frame, "_where", lambda: (0, (1, 0), 2))
    first, second = folium_payload(_map()), folium_payload(_map(swap=True))

    def show(payload: dict) -> dict:
        map_frame.st_map(payload, key="map", height=560, returned_objects=[])
        state.setdefault(calls[-1]["key"], {})  # Streamlit keeps a rendered frame's state
        return calls[-1]

    assert show(first)["script"] == first["script"]  # a new frame: the whole map
    change = show(second)  # the same frame: no script, only the restyle
    assert change["key"] == calls[0]["key"] and change["script"] == map_frame.REMOUNT
    assert change["feature_group"] == second["restyle"]["script"]
    assert "coordinates" not in str({k: v for k, v in change.items() if k != "on_change"})
    # another element above the map: Streamlit mounts a new frame, which gets the whole map
    monkeypatch.setattr(map_frame, "_where", lambda: (0, (1, 0), 3))
    assert show(second)["script"] == first["script"]
    assert show(first)["script"] == map_frame.REMOUNT
    # a frame mounted anew that got no map asks for it: a new frame key, the whole map
    state[calls[-1]["key"]] = {"lagesbild_remount": True}
    again = show(first)
    assert again["key"] != calls[0]["key"] and again["script"] == first["script"]
    assert show(second)["script"] == map_frame.REMOUNT and calls[-1]["key"] == again["key"]
    # a page switch drops the frame's state: the whole map again
    state.pop(again["key"])
    assert show(second)["script"] == first["script"]


def test_the_switch_turns_the_full_re_render_back_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAGESBILD_MAP_REDRAW", "full")
    calls = _calls(monkeypatch)
    for payload in (folium_payload(_map()), folium_payload(_map(swap=True))):
        map_frame.st_map(payload, key="map", height=560, returned_objects=[])
    assert calls[0]["key"] != calls[1]["key"]
    assert calls[0]["feature_group"] is None and calls[1]["feature_group"] is None


# --- in Chromium: the restyled map is the map of the new values ----------------------------------

pytest.importorskip("playwright")  # `browser`: tests/browser_fixtures.py

_STATE_JS = """() => {
  let map = null;
  for (const k of Object.keys(window)) {
    try { if (window[k] instanceof L.Map) { map = window[k]; break; } } catch (e) {}
  }
  window.map = map;
  const paths = [...document.querySelectorAll('path.leaflet-interactive')];
  return {fills: paths.map(p => p.getAttribute('fill')),
          legend: document.querySelector('.lagesbild-legend').innerHTML};
}"""


@pytest.fixture
def page(browser) -> Iterator:  # noqa: ANN001, F811
    context = browser.new_context(viewport={"width": 1000, "height": 700})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
    tab.errors = errors
    try:
        yield tab
    finally:
        context.close()


def _open(page, m: folium.Map, path: Path) -> dict:  # noqa: ANN001
    path.write_text(inline_html(m), encoding="utf-8")
    page.goto(path.as_uri())
    page.locator("path.leaflet-interactive").first.wait_for()
    return page.evaluate(_STATE_JS)


@pytest.mark.browser
def test_restyled_map_shows_the_new_colours_tooltips_and_legend(page, tmp_path: Path) -> None:  # noqa: ANN001
    want = _open(page, _map(swap=True, static=False), tmp_path / "b.html")
    tip_b = _tip(page)
    before = _open(page, _map(static=False), tmp_path / "a.html")
    assert before["fills"] != want["fills"]
    page.evaluate(restyle_update(_map(swap=True, static=False))["script"])
    after = page.evaluate(_STATE_JS)
    assert after == want
    assert len(tip_b) == 2 and _tip(page) == tip_b  # both kommuner
    assert all(HOSTILE in tip for tip in tip_b)  # shown as text, never run
    box = page.locator("path.leaflet-interactive").first.bounding_box()
    page.mouse.move(box["x"] + 2, box["y"] + box["height"] / 2)  # hover, then leave
    page.mouse.move(1, 1)  # mouseout: Leaflet's resetStyle keeps the new colours
    assert page.evaluate(_STATE_JS)["fills"] == want["fills"]
    assert page.evaluate("() => window.__xss") is None
    assert page.evaluate("() => document.querySelectorAll('img[src=x]').length") == 0
    assert page.errors == []


_TIPS_JS = """() => {
  const out = [];
  window.map.eachLayer(group => {  // folium binds one tooltip function to the GeoJSON layer
    const tip = group instanceof L.GeoJSON && group.getTooltip();
    if (!tip) { return; }
    group.eachLayer(l => {
      if (!l.feature || l.feature.properties.area_id === undefined) { return; }
      const html = typeof tip._content === 'function' ? tip._content(l) : tip._content;
      const text = typeof html === 'string' ? html : html.outerHTML;
      out.push(new DOMParser().parseFromString(text, 'text/html').body.textContent);
    });
  });
  return out;
}"""


def _tip(page) -> list[str]:  # noqa: ANN001
    """The text of every kommun's tooltip, as Leaflet would show it."""
    page.evaluate(_STATE_JS)  # finds window.map
    return page.evaluate(_TIPS_JS)


# --- the big map's canvas layer (render.web_layer.FastGeoJson) ----------------------------------

def _fast(*, swap: bool = False, areas: int = 3) -> folium.Map:
    """Three areas (one with a hostile name) on the big-map path; `swap` reverses the values."""
    import geopandas as gpd
    import shapely

    from lagesbild.render import web_payload

    boxes = [shapely.box(600_000 + 10_000 * i, 6_600_000, 610_000 + 10_000 * i, 6_610_000)
             for i in range(areas)]
    ids = [f"2480A{i:04d}" for i in range(areas)]
    web = web_payload.all_areas_geometry(gpd.GeoDataFrame({"area_id": ids}, geometry=boxes,
                                                          crs=3006))
    values = [1.0, 4.0, 9.0][:areas]
    data = pd.DataFrame({"area_id": ids, "value": values[::-1] if swap else values,
                         "name": [HOSTILE, "Ruta 2", "Ruta 3"][:areas]})
    data["display"] = [f"{v:.1f} ({'kvinnor' if swap else 'totalt'})" for v in data["value"]]
    m = web_payload.fast_choropleth(web, data, title="Våld", source="Polisen",
                                    period="2024, " + ("kvinnor" if swap else "totalt"))
    return m


def test_the_big_maps_signature_is_its_geometry_and_its_script_the_new_values() -> None:
    a, b = restyle_update(_fast()), restyle_update(_fast(swap=True))
    assert a["signature"] == b["signature"] and a["script"] != b["script"]
    assert restyle_update(_fast(areas=2))["signature"] != a["signature"]  # other areas
    assert "kvinnor" in b["script"] and "</" not in b["script"]
    assert esc(HOSTILE).replace("</", "<\\/") in b["script"]
    fast = folium_payload(_fast())
    assert fast["restyle"]["signature"] == a["signature"]
    assert len(b["script"]) < len(fast["script"]) / 2  # the geometry stays behind


_FAST_JS = """() => {
  let map = null;
  for (const k of Object.keys(window)) {
    try { if (window[k] instanceof L.Map) { map = window[k]; break; } } catch (e) {}
  }
  window.map = map;
  const out = {fills: [], tips: [], legend: document.querySelector('.lagesbild-legend').innerHTML};
  map.eachLayer(group => {
    if (!(group instanceof L.GeoJSON) || !group.getTooltip()) { return; }
    group.eachLayer(l => {
      out.fills.push(l.options.fillColor);
      const html = group.getTooltip()._content(l);
      out.tips.push(new DOMParser().parseFromString(html, 'text/html').body.textContent);
    });
  });
  return out;
}"""


@pytest.mark.browser
def test_restyled_big_map_shows_the_new_colours_tooltips_and_legend(page, tmp_path: Path) -> None:  # noqa: ANN001
    def open_(m: folium.Map, name: str) -> dict:
        path = tmp_path / name
        path.write_text(inline_html(m), encoding="utf-8")
        page.goto(path.as_uri())
        page.wait_for_function("() => !!document.querySelector('.lagesbild-legend')")
        return page.evaluate(_FAST_JS)

    want = open_(_fast(swap=True), "b.html")
    before = open_(_fast(), "a.html")
    assert before["fills"] != want["fills"] and len(want["fills"]) == 3
    # the frame's first draw runs the restyle of the map it just drew: nothing is redrawn
    page.evaluate("() => { window.map.eachLayer(l => { l.__first = true; }); }")
    page.evaluate(restyle_update(_fast())["script"])
    assert page.evaluate(_FAST_JS) == before
    assert page.evaluate("() => { let n = 0; window.map.eachLayer(l => { n += l.__first ? 0 : 1; });"
                         " return n; }") == 0  # the same features, not drawn anew
    page.evaluate(restyle_update(_fast(swap=True))["script"])
    after = page.evaluate(_FAST_JS)
    assert after == want
    assert HOSTILE in after["tips"][0] and "kvinnor" in after["tips"][0]  # shown as text
    assert page.evaluate("() => window.__lagesbild_restyled") == 2
    assert page.evaluate("() => window.__xss") is None
    assert page.evaluate("() => document.querySelectorAll('img[src=x]').length") == 0
    assert page.errors == []
