"""The cached map path: the same page and component arguments as folium and st_folium make them."""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path

import folium
import geopandas as gpd
import pytest
import streamlit_folium as sf

from lagesbild.core import schema
from lagesbild.analysis.coverage import site_status
from lagesbild.analysis.figures import layer_figures
from lagesbild.core.taxonomy import load_taxonomy
from lagesbild.core.layers import LayerSpec, load_layers
from lagesbild.render.assets import use_static
from lagesbild.render.escape import esc
from lagesbild.render.map import choropleth, web_geometry
from lagesbild.ui.folium_payload import folium_payload, metric_scale
from lagesbild.core.settings import Settings
from lagesbild.store.gpkg import GpkgWorkspace
from lagesbild.ui import common

from frames_support import tiny_frames

ROOT = Path(__file__).resolve().parents[1]
TAXONOMY = load_taxonomy(ROOT / "layers" / "pyramid.toml")
LAYERS = load_layers(ROOT / "layers")
HOSTILE = "<img src=x onerror=alert(1)>${document.cookie}`\\'\"&</script>"
FOLIUM_ID = re.compile(r"_[0-9a-f]{32}")


def _map(lang: str = "sv", sites: bool = True, hostile: bool = True) -> folium.Map:
    frames = tiny_frames(area_names=(HOSTILE, "Sorsele") if hostile else ("Norsjö", "Sorsele"))
    status = site_status(frames, period="HT2024") if sites else None
    if status is not None and hostile:
        status.loc[status["site_id"] == "2417-S01", "name"] = HOSTILE
    spec = LayerSpec(id="x", title_sv="Våld " + HOSTILE, title_en="Violence", kind="count_rate",
                     pyramid_level=3)
    figs = layer_figures(frames, spec, period="2024", sex="T", taxonomy=TAXONOMY,
                         settings=Settings())
    return use_static(choropleth(figs, web_geometry(frames.kommuner), spec, lang=lang,
                                 sites=status))


def _folium_reference(m: folium.Map) -> folium.Map:
    """The same map drawn the plain way: folium.GeoJson of geopandas' __geo_interface__."""
    out = folium.Map(tiles=None, control_scale=True, prefer_canvas=False, zoom_snap=0.25)
    for child in m._children.values():
        if isinstance(child, folium.GeoJson):
            data = child.data
            frame = gpd.GeoDataFrame.from_features(data["features"], crs=schema.CRS_WEB)
            props = list(data["features"][0]["properties"])
            folium.GeoJson(
                frame[[*props, "geometry"]].__geo_interface__, name=child.layer_name,
                marker=child.marker, style_function=child.style_function,
                highlight_function=getattr(child, "highlight_function", None),
                tooltip=next(iter(child._children.values())),
            ).add_to(out)
        else:
            child.add_to(out)
    out.options = m.options
    out.default_js, out.default_css = m.default_js, m.default_css  # use_static
    return out


def _htmlsafe(text: str) -> str:
    """How folium's tojson writes a string into the page."""
    return (json.dumps(text)[1:-1].replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("&", "\\u0026").replace("'", "\\u0027"))


def _capture(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    calls: list[dict] = []
    monkeypatch.setattr(sf, "_component_func", lambda **kw: calls.append(kw) or None)
    return calls


def _plain(kwargs: dict) -> dict:
    return {k: FOLIUM_ID.sub("_ID", v) if isinstance(v, str) else v
            for k, v in kwargs.items() if k != "on_change"}


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_page_is_the_one_folium_makes(lang: str) -> None:
    m = _map(lang)
    page = FOLIUM_ID.sub("_ID", m.get_root().render())
    reference = FOLIUM_ID.sub("_ID", _folium_reference(_map(lang)).get_root().render())
    assert page == reference
    assert "<img src=x onerror" not in page and "${document" not in page


@pytest.mark.parametrize(("lang", "sites"), [("sv", True), ("en", True), ("sv", False)])
def test_payload_is_what_st_folium_sends(monkeypatch: pytest.MonkeyPatch, lang: str,
                                         sites: bool) -> None:
    monkeypatch.setenv("LAGESBILD_MAP_REDRAW", "full")  # the fast path: test_map_restyle
    calls = _capture(monkeypatch)
    sf.st_folium(metric_scale(_map(lang, sites)), key="map", height=560, use_container_width=True,
                 returned_objects=["last_active_drawing"])
    payload = folium_payload(_map(lang, sites))
    common.st_map(payload, key="map", height=560, returned_objects=["last_active_drawing"])
    assert len(calls) == 2
    assert _plain(calls[0]) == _plain(calls[1])
    assert callable(calls[1]["on_change"])
    script = calls[1]["script"]
    assert "<img src=x onerror" not in script and "${document" not in script
    assert "</script>" not in script
    assert script.count(_htmlsafe(esc(HOSTILE))) >= (3 if sites else 2)  # name, tooltip(s)


def test_payload_keeps_every_feature_and_the_map_object_reusable() -> None:
    m = _map()
    layers = [c for c in m._children.values() if isinstance(c, folium.GeoJson)]
    before = [len(layer.data["features"]) for layer in layers]
    payload = folium_payload(m)
    assert [len(layer.data["features"]) for layer in layers] == before
    assert len(before) == 2 and before[0] == 2 and before[1] > 2  # kommuner, then sites
    assert payload["script"].count('"type": "Feature"') == sum(before)
    assert payload["id"] == "map_div"
    assert payload["js_links"] == ["/app/static/vendor/leaflet/leaflet.js"]
    (south, west), (north, east) = (payload["bounds"]["_southWest"].values(),
                                    payload["bounds"]["_northEast"].values())
    assert south < north and west < east


def test_style_maps_match_folium() -> None:
    ours = [c for c in _map()._children.values() if isinstance(c, folium.GeoJson)]
    plain = [c for c in _folium_reference(_map())._children.values()
             if isinstance(c, folium.GeoJson)]
    for a, b in zip(ours, plain):
        a.render()
        b.render()
        assert a.style_map == b.style_map
        assert getattr(a, "highlight_map", None) == getattr(b, "highlight_map", None)
        assert a.get_bounds() == b.get_bounds()


# --- the warmer ----------------------------------------------------------------------------------

def test_warmer_runs_the_latest_plan_in_order_and_survives_errors() -> None:
    warmer = common.Warmer()
    done: list[str] = []
    threads: set[str] = set()
    release = threading.Event()

    def job(name: str):  # noqa: ANN202
        def run() -> None:
            threads.add(threading.current_thread().name)
            if name == "boom":
                raise RuntimeError("a failed job only leaves a cold cache")
            if name == "slow":
                release.wait(5)
            done.append(name)
        return run

    warmer.start(iter([("slow", job("slow")), ("never", job("never"))]))
    time.sleep(0.05)
    warmer.start(iter([(k, job(k)) for k in ("a", "boom", "b")]))  # replaces the plan
    release.set()
    assert warmer.wait_idle(5) and warmer.idle()
    assert done == ["slow", "a", "b"]  # "never" dropped with its plan, "boom" swallowed
    assert threads == {"lagesbild-warm"}
    warmer.start(iter([("a", job("a"))]))
    assert warmer.wait_idle(5) and done[-1] == "a"


def test_warmer_waits_while_a_run_is_going_on() -> None:
    warmer = common.Warmer()
    done: list[float] = []
    warmer.start(iter(()))
    assert warmer.wait_idle(5)
    warmer.pause()
    paused = time.monotonic()
    with warmer._cond:  # a plan handed over without resuming, as if set mid-run
        warmer._plan = iter([("x", lambda: done.append(time.monotonic()))])
        warmer._cond.notify_all()
    time.sleep(0.2)
    assert done == [] and not warmer.idle()
    warmer.start(iter([("y", lambda: done.append(time.monotonic()))]))  # a page resumes it
    assert warmer.wait_idle(5) and len(done) == 1 and done[0] - paused < warmer.PAUSE_S
    warmer.start(iter([("z", lambda: time.sleep(0.2))]))
    time.sleep(0.05)
    warmer.stop()
    assert not warmer.idle() and warmer.wait_idle(5)  # the running job finishes


def test_warm_is_off_with_the_environment_switch(monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    monkeypatch.setenv("LAGESBILD_WARM", "0")
    started: list[object] = []
    monkeypatch.setattr(common._WARMER, "start", lambda plan, owner=None: started.append(plan))
    workspace = tmp_path / "ws.gpkg"
    workspace.write_bytes(b"")
    ctx = common.Context(lang="sv", workspace=GpkgWorkspace(workspace),
                         settings=Settings())
    common.warm(ctx, lambda: iter(()))
    assert started == []
    monkeypatch.setenv("LAGESBILD_WARM", "1")
    common.warm(ctx, lambda: iter(()))
    assert len(started) == 1


def test_warmer_waits_for_the_runs_of_other_sessions_too() -> None:
    """Fifty sessions at once: one session's run ending does not start warming beside the
    runs of the others still going on."""
    warmer = common.Warmer()
    done: list[str] = []
    warmer.start(iter(()))
    assert warmer.wait_idle(5)
    warmer.pause("a")
    warmer.pause("b")
    warmer.start(iter([("x", lambda: done.append("x"))]), "a")  # a's run is over, b's is not
    time.sleep(0.2)
    assert done == [] and not warmer.idle()
    warmer.start(iter([("y", lambda: done.append("y"))]), "b")
    assert warmer.wait_idle(5) and done == ["y"]
    warmer.pause("c")  # a run that never hands a plan back keeps the thread only PAUSE_S
    warmer.start(iter([("z", lambda: done.append("z"))]), "d")
    assert warmer.wait_idle(warmer.PAUSE_S + 5) and done == ["y", "z"]
