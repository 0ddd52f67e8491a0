"""The one-kommun DeSO map in Chromium: a filter change restyles the frame already on the page
(new colours and tooltips), and the map's geometry is not sent again."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Browser, Frame, Page, expect
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

import browser_support as bs
from lagesbild.core import schema
from lagesbild.core.dataset import Dataset
from lagesbild.store.frames import load_frames
from lagesbild.store.gpkg import GpkgWorkspace
from test_app_small_areas import grid_areas
from test_browser import Tab, choose, rerun_after, wait_idle

pytestmark = pytest.mark.browser

LAYER = "Våld i nära relation (polisens utdrag) per 100 000 inv."
_FILLS_JS = "() => [...document.querySelectorAll('path.leaflet-interactive')].map(p => p.getAttribute('fill')).join(' ')"


@pytest.fixture(scope="module")
def deso_gpkg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo with Umeå cut into a 4 × 4 grid of DeSO-like areas, each with a population."""
    from frames_support import shared_demo

    path = tmp_path_factory.mktemp("deso-map") / "ws.gpkg"
    shutil.copy(shared_demo(tmp_path_factory), path)
    ws = GpkgWorkspace(path)
    frames = load_frames(ws)
    areas = grid_areas(frames.kommuner[frames.kommuner["area_id"] == "2480"], "2480")
    pop = pd.DataFrame([(a, 2024, s, p, "rutor-folk") for a in areas["area_id"]
                        for s, p in (("K", 4000), ("M", 4000), ("T", 8000))],
                       columns=["area_id", "year", "sex", "population", "source"])
    with ws.transaction() as writer:
        writer.replace_dataset(Dataset("rutor", "areas", "boundaries", "rutor.gpkg"),
                               schema.conform(areas, "areas"))
        writer.replace_dataset(Dataset("rutor-folk", "population", "population", "folk.csv"),
                               schema.conform(pop, "population"))
    return path


@pytest.fixture(scope="module")
def deso_server(browser: Browser, deso_gpkg: Path,  # noqa: F811
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[bs.Server]:
    with bs.streamlit_server(deso_gpkg, tmp_path_factory.mktemp("deso-server")) as server:
        yield server


def _map_args(page: Page) -> list[str]:
    """The json_args of every streamlit-folium element the server sends to `page`, in order."""
    seen: list[str] = []

    def on_frame(payload: bytes | str) -> None:
        if not isinstance(payload, bytes):
            return
        message = ForwardMsg()
        with contextlib.suppress(Exception):
            message.ParseFromString(payload)
            element = message.delta.new_element
            if (message.WhichOneof("type") == "delta"
                    and element.WhichOneof("type") == "component_instance"
                    and "folium" in element.component_instance.component_name):
                seen.append(element.component_instance.json_args)

    page.on("websocket", lambda ws: ws.on("framereceived", on_frame))
    return seen


def _box(page: Page, label: str):  # noqa: ANN202
    return page.get_by_test_id("stSelectbox").filter(has_text=label).get_by_role("combobox")


def _deso_frame(page: Page) -> Frame:
    """The map frame once it draws the 16 grid areas."""
    for _ in range(300):
        for frame in page.frames:
            if frame is page.main_frame or frame.is_detached():
                continue
            with contextlib.suppress(Exception):
                if frame.locator("path.leaflet-interactive").count() >= 10:
                    return frame
        page.wait_for_timeout(200)
    raise AssertionError("no DeSO map drawn")


def _tip(frame: Frame, name: str) -> str:
    target, point = bs.target_feature(frame, geometry="Polygon", prop="name", equals=name)
    target.hover(position=point)
    tip = frame.locator(".leaflet-tooltip")
    expect(tip).to_have_count(1)
    text = str(tip.text_content())
    frame.page.mouse.move(1, 1)
    return text


def test_a_filter_change_restyles_the_deso_map_without_sending_its_geometry(
        tab: Tab, deso_server: bs.Server) -> None:  # noqa: F811
    page = tab.page
    args = _map_args(page)
    page.goto(deso_server.url + "/")
    wait_idle(page)
    choose(page, _box(page, "Kartlager"), LAYER)
    choose(page, _box(page, "Områdesnivå"), "DeSO")
    frame = _deso_frame(page)
    expect(frame.locator(".lagesbild-legend")).to_contain_text("totalt")
    before_fills, before_tip = frame.evaluate(_FILLS_JS), _tip(frame, "Ruta 1")
    assert "totalt" in before_tip
    first = args[-1]
    assert 'coordinates' in first and "Ruta 1" in first  # the map came with its geometry
    frame.evaluate("() => { window.__kept = true; }")  # gone if the frame is drawn anew
    sent = len(args)

    radio = page.locator("[data-testid=stMain] [data-testid=stRadio] label").filter(
        has_text="Kvinnor").first
    rerun_after(page, radio.click)
    frame.wait_for_function("() => (window.__lagesbild_restyled || 0) >= 2")
    assert frame.evaluate("() => window.__kept") is True  # the same frame, restyled in place
    after_tip = _tip(frame, "Ruta 1")
    assert "kvinnor" in after_tip and after_tip != before_tip
    assert frame.evaluate(_FILLS_JS) != before_fills
    expect(frame.locator(".lagesbild-legend")).to_contain_text("kvinnor")
    # what the change sent: the new values, tooltips and legend, no geometry
    change = args[sent:]
    assert change and all('coordinates' not in a for a in change), [len(a) for a in change]
    assert all(len(a) < len(first) / 2 for a in change), (len(first), [len(a) for a in change])
    assert "kvinnor" in change[-1]
    tab.assert_clean()
