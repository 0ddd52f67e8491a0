"""The map page below the kommun: DeSO-like areas inside Umeå, through AppTest."""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from streamlit.testing.v1 import AppTest

from lagesbild.core import schema
from lagesbild.store.frames import load_frames
from lagesbild.core.dataset import Dataset
from lagesbild.store.gpkg import GpkgWorkspace

from frames_support import shared_demo

APP = Path(__file__).resolve().parents[1] / "app.py"


def grid_areas(kommun: gpd.GeoDataFrame, code: str, n: int = 4) -> gpd.GeoDataFrame:
    """The kommun cut into an n × n grid (empty cells dropped): a coverage of DeSO-like areas."""
    geom = kommun.geometry.iloc[0]
    x0, y0, x1, y1 = geom.bounds
    xs, ys = np.linspace(x0, x1, n + 1), np.linspace(y0, y1, n + 1)
    cells = [shapely.box(xs[i], ys[j], xs[i + 1], ys[j + 1]) for i in range(n) for j in range(n)]
    parts = [shapely.intersection(geom, c) for c in cells]
    parts = [p for p in parts if not p.is_empty and p.area > 0]
    ids = [f"{code}A{i + 1:04d}" for i in range(len(parts))]
    return gpd.GeoDataFrame({"area_id": ids, "level": "deso", "code": ids,
                             "name": [f"Ruta {i + 1}" for i in range(len(parts))],
                             "parent_id": code, "source": "rutor"},
                            geometry=parts, crs=kommun.crs)


@pytest.fixture(scope="module")
def small_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("small") / "ws.gpkg"
    shutil.copy(shared_demo(tmp_path_factory), path)
    ws = GpkgWorkspace(path)
    frames = load_frames(ws)
    umea = frames.kommuner[frames.kommuner["area_id"] == "2480"]
    areas = grid_areas(umea, "2480")
    pop = pd.DataFrame([(a, 2024, s, p, "rutor-folk") for a in areas["area_id"]
                        for s, p in (("K", 4000), ("M", 4000), ("T", 8000))],
                       columns=["area_id", "year", "sex", "population", "source"])
    with ws.transaction() as writer:
        writer.replace_dataset(Dataset("rutor", "areas", "boundaries", "rutor.gpkg"),
                               schema.conform(areas, "areas"))
        writer.replace_dataset(Dataset("rutor-folk", "population", "population", "folk.csv"),
                               schema.conform(pop, "population"))
    return path


def test_map_page_shows_one_kommuns_areas(monkeypatch: pytest.MonkeyPatch, small_ws: Path) -> None:
    monkeypatch.setenv("LAGESBILD_WORKSPACE", str(small_ws))
    at = AppTest.from_file(str(APP), default_timeout=90)
    at.run()
    at.switch_page("lagesbild/ui/map_page.py").run()
    assert not at.exception, at.exception
    at.selectbox(key="map_layer").set_value("vald_nara_relation").run()
    assert at.selectbox(key="map_level").options == ["Kommuner", "DeSO"]
    at.selectbox(key="map_level").set_value("deso").run()
    assert not at.exception, at.exception
    assert at.selectbox(key="map_small_kommun").value == "2480"
    table = at.dataframe[0].value
    assert "Ruta 1" in set(table["Område"]) and "Umeå" in set(table["Område"])
    shown = " ".join(table["Värde"].astype(str))
    assert "per 1\u00a0000" in shown
    umea_note = table.loc[table["Område"] == "Umeå", "Anmärkning"].iloc[0]
    assert "DeSO-nivå" in umea_note or umea_note == ""
    for view in ("smoothed", "hotspots"):
        at.selectbox(key="map_small_view").set_value(view).run()
        assert not at.exception, at.exception
    # a count layer has no figures below the kommun: the level choice is not offered
    at.selectbox(key="map_layer").set_value("vald_topp").run()
    assert not at.exception, at.exception
    assert not any(s.key == "map_level" for s in at.selectbox)


def test_one_kommuns_map_warms_the_all_kommuner_map_first(small_ws: Path) -> None:
    from lagesbild.core.settings import get_settings
    from lagesbild.ui import common, small_cache

    from test_warm_plans import _run

    ctx = common.Context(lang="sv", workspace=GpkgWorkspace(small_ws), settings=get_settings())
    spec = common.specs(ctx)[0]["vald_nara_relation"]
    periods = common.layer_periods(ctx, spec)
    period = periods[-1]
    keys = _run(small_cache.small_plan(ctx, spec, "deso", "2480", "value", period, "T",
                                       periods, True)(), 3)
    assert keys[0] == ("small-all", "deso", "value", period, "T", "sv")
    assert keys[1:] == [("small", "deso", "2480", "value", period, s, "sv") for s in ("K", "M")]
    # the jobs filled what the page reads: the same cached payloads
    assert small_cache.all_payload(ctx, spec, "deso", "value", period, "T") is \
        small_cache.all_payload(ctx, spec, "deso", "value", period, "T")
    kvinnor = small_cache.small_payload(ctx, spec, "deso", "2480", "value", period, "K")
    assert "Ruta 1" in kvinnor["script"] and "kvinnor" in kvinnor["restyle"]["script"]
    # one kommun only, or a view the big map does not draw: no all-kommuner map
    plan = small_cache.small_plan(ctx, spec, "deso", "2480", "hotspots", period, "T", periods,
                                  True)()
    assert all(key[0] == "small" for key, _ in plan)
    plan = small_cache.small_plan(ctx, spec, "deso", "2480", "value", period, "T", periods,
                                  False)()
    assert all(key[0] == "small" for key, _ in plan)


def test_the_first_page_reads_no_incident_rows_and_the_warmer_reads_them_for_the_deso_views(
        monkeypatch: pytest.MonkeyPatch, small_ws: Path, tmp_path: Path) -> None:
    """With the first page's results kept (an earlier process, or `lagesbild prepare`), a new
    process opens it without the incident rows (`core.frames.DeferredIncidents`); the warmer
    reads them after it when the workspace has areas below the kommun."""
    import streamlit as st

    from lagesbild.store import derived
    from lagesbild.ui import common

    path = tmp_path / "ws.gpkg"
    shutil.copy(small_ws, path)
    monkeypatch.setenv(derived.ENV, str(tmp_path / "kept"))
    monkeypatch.setenv("LAGESBILD_WORKSPACE", str(path))
    monkeypatch.setenv("LAGESBILD_APP_AUDIT", "off")
    ws = GpkgWorkspace(path)

    def first_page(warm: str):  # noqa: ANN202 - the frames the page read
        monkeypatch.setenv("LAGESBILD_WARM", warm)
        st.cache_resource.clear()
        st.cache_data.clear()
        at = AppTest.from_file(str(APP), default_timeout=90)
        at.run()
        assert not at.exception, at.exception
        return common.frames_for(ws.key, ws.location)

    first_page("0")  # computes and keeps the first page's results
    assert not first_page("0").incidents_loaded
    frames = first_page("1")
    assert common.warmer().wait_idle(60)
    assert frames.incidents_loaded
