"""The fast map path: borders stay shared after simplification and rounding, the geometry is cached,
the payload carries only area_id, and hostile text reaches the page only escaped."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import subprocess

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, box, shape

from lagesbild.core import schema
from lagesbild.render import web_layer, web_pack, web_shapes
from lagesbild.render import web_payload as wp
from lagesbild.render.escape import esc

HOSTILE_NAME = "</script><img src=x onerror=alert(1)>"
HOSTILE_TIP = "${alert(1)}`{{7*7}}{%raw%}"
HOSTILE_ID = "r1c1</script><img src=x onerror=alert(2)>"


def wiggly_grid(n: int = 3, size: float = 1000.0, step: float = 25.0, amp: float = 15.0,
                seed: int = 1) -> gpd.GeoDataFrame:
    """n x n squares (EPSG:3006, near Stockholm) whose inner borders wiggle by +-amp metres and
    are shared vertex for vertex; ids "r{row}c{col}", plus columns that must not reach the page."""
    rng = np.random.default_rng(seed)
    x0, y0 = 670_000.0, 6_580_000.0
    t = np.arange(0.0, n * size + step / 2, step)
    lines = []
    for k in range(n + 1):
        for vertical in (True, False):
            off = rng.uniform(-amp, amp, len(t))
            off[np.isclose(t % size, 0.0)] = 0.0  # straight through the grid nodes
            if k in (0, n):
                off[:] = 0.0  # a straight outer boundary
            a, b = x0 + k * size + off, (y0 if vertical else x0) + t
            if vertical:
                lines.append(LineString(np.column_stack([a, b])))
            else:
                lines.append(LineString(np.column_stack([b, y0 + k * size + off])))
    cells = shapely.get_parts(shapely.polygonize(shapely.get_parts(shapely.union_all(lines))))
    assert len(cells) == n * n
    c = shapely.centroid(cells)
    col = ((shapely.get_x(c) - x0) // size).astype(int)
    row = ((shapely.get_y(c) - y0) // size).astype(int)
    order = np.lexsort((col, row))
    frame = gpd.GeoDataFrame({
        "area_id": [f"r{row[i]}c{col[i]}" for i in order],
        "name": [f"Område {row[i]}-{col[i]}" for i in order],
        "population": np.arange(n * n) * 100 + 1234567,
    }, geometry=cells[order], crs=schema.CRS_STORE)
    assert shapely.coverage_is_valid(frame.geometry.values)
    return frame


@pytest.fixture(autouse=True)
def empty_cache():
    wp.cache_clear()
    yield
    wp.cache_clear()


@pytest.fixture
def grid() -> gpd.GeoDataFrame:
    return wiggly_grid()


def decode(packed: str) -> list[dict]:
    """A Python reading of `pack`'s format, the same steps as the page's decoder."""
    p = json.loads(packed)
    ids, prev = [], ""
    for part in (p["ids"].split(wp.ID_SEP) if p["n"] else []):
        prev = prev[:wp.PREFIX_KEYS.index(part[0])] + part[1:]
        ids.append(prev)
    s, f = p["g"], p["f"]
    state = {"i": 0, "lat": 0, "lon": 0}
    tla: list[int] = []
    tlo: list[int] = []
    feats: list[dict] = []
    polys: list = []
    rings: list = []
    ring: list = []

    def uint() -> int:
        r, m = 0, 1
        while True:
            b = ord(s[state["i"]]) - 63
            state["i"] += 1
            r += (b & 31) * m
            m *= 32
            if b < 32:
                return r

    def sint() -> int:
        u = uint()
        return -(u + 1) // 2 if u % 2 else u // 2

    def close(c: str) -> None:
        nonlocal ring, rings, polys
        if ring:
            rings.append([*ring, ring[0]])
            ring = []
        if c != wp.RING_SEP and rings:
            polys.append(rings)
            rings = []
        if c == wp.AREA_SEP:
            geom = (None if not polys else {"type": "Polygon", "coordinates": polys[0]}
                    if len(polys) == 1 else {"type": "MultiPolygon", "coordinates": polys})
            feats.append({"type": "Feature", "id": len(feats),
                          "properties": {"area_id": ids[len(feats)]}, "geometry": geom})
            polys = []

    while state["i"] < len(s):
        c = s[state["i"]]
        if c in (wp.AREA_SEP, wp.POLY_SEP, wp.RING_SEP):
            close(c)
            state["i"] += 1
        elif c == wp.RUN:
            state["i"] += 1
            k = len(tla) - uint()
            code = uint()
            d = -1 if code % 2 else 1
            for _ in range(code // 2):
                ring.append([tlo[k] / f, tla[k] / f])
                k += d
            state["lat"], state["lon"] = tla[k - d], tlo[k - d]
        else:
            state["lat"] += sint()
            state["lon"] += sint()
            tla.append(state["lat"])
            tlo.append(state["lon"])
            ring.append([state["lon"] / f, state["lat"] / f])
    if p["n"]:
        close(wp.AREA_SEP)
    return feats


def same_shapes(feats: list[dict], web: wp.WebGeometry) -> bool:
    got = [shape(f["geometry"]) if f["geometry"] else shapely.Polygon() for f in feats]
    return len(got) == len(web.geometry) and all(
        shapely.equals_exact(shapely.normalize(a), shapely.normalize(b), 1e-9)
        for a, b in zip(got, web.geometry))


# --- geometry: shared borders stay shared -------------------------------------------------------

def test_simplification_keeps_shared_borders_shared(grid: gpd.GeoDataFrame) -> None:
    web = wp.build_geometry(grid, tolerance=40.0, digits=5)
    assert not web.cleaned  # the grid is already a valid coverage
    before = shapely.get_num_coordinates(grid.geometry.values).sum()
    assert shapely.get_num_coordinates(web.geometry).sum() < before / 3  # the wiggles went
    assert bool(shapely.coverage_is_valid(web.geometry))  # edge-matched, no overlaps
    assert shapely.is_valid(web.geometry).all() and not shapely.is_empty(web.geometry).any()
    # no gap and no overlap: the union is one square without holes, of the grid's area
    metric = gpd.GeoSeries(web.geometry, crs=schema.CRS_WEB).to_crs(schema.CRS_STORE).values
    union = shapely.union_all(metric)
    assert union.geom_type == "Polygon" and len(union.interiors) == 0
    assert union.area == pytest.approx(shapely.area(metric).sum(), rel=1e-9)
    assert union.area == pytest.approx(9e6, rel=1e-3)
    report = wp.gap_free(web)
    assert report["ok"], report
    assert report["coverage_valid"] and report["invalid_edges_m"] == 0.0
    assert report["holes_after"] == report["holes_before"] == 0
    assert report["parts_after"] == report["parts_before"] == 1


@pytest.mark.parametrize("digits", [3, 4, 5])
def test_rounding_keeps_shared_borders_shared(grid: gpd.GeoDataFrame, digits: int) -> None:
    web = wp.build_geometry(grid, tolerance=20.0, digits=digits)
    xy = shapely.get_coordinates(web.geometry)
    assert np.allclose(xy, np.round(xy, digits), rtol=0, atol=1e-12)  # on the grid
    assert bool(shapely.coverage_is_valid(web.geometry))
    assert shapely.is_valid(web.geometry).all()
    assert wp.gap_free(web)["ok"]


def test_rounding_a_thin_spike_is_repaired_without_breaking_the_neighbour() -> None:
    # a spike 4e-6 degrees wide: both its sides round onto one point at 5 decimals
    spiky = shapely.Polygon([(18.0, 59.0), (18.001, 59.0), (18.001, 59.001), (18.000502, 59.001),
                             (18.0005, 59.0005), (18.000498, 59.001), (18.0, 59.001)])
    right = box(18.001, 59.0, 18.002, 59.001)
    geoms = np.array([spiky, right], dtype=object)
    assert shapely.coverage_is_valid(geoms)
    assert not shapely.is_valid(web_shapes._round(geoms, 5)[0])  # plain rounding breaks it
    out, rounds = wp.quantise(geoms, 5)
    assert rounds >= 1
    assert shapely.is_valid(out).all() and bool(shapely.coverage_is_valid(out))
    assert not shapely.is_empty(out).any()
    xy = shapely.get_coordinates(out)
    assert np.allclose(xy, np.round(xy, 5), rtol=0, atol=1e-12)


def test_an_area_smaller_than_the_grid_step_is_kept_with_automatic_digits() -> None:
    big = box(670_000, 6_580_000, 671_000, 6_581_000)
    tiny = box(671_000, 6_580_000, 671_003, 6_580_003)  # 3 m: gone on a 11 m (4 decimal) grid
    rest = box(671_000, 6_580_003, 672_000, 6_581_000).union(
        box(671_003, 6_580_000, 672_000, 6_580_003))
    frame = gpd.GeoDataFrame({"area_id": ["a", "b", "c"]}, geometry=[big, tiny, rest],
                             crs=schema.CRS_STORE)
    fixed = wp.build_geometry(frame, tolerance=150.0, digits=4)
    assert shapely.is_empty(fixed.geometry[1])  # explicit digits: reported, not hidden
    assert wp.gap_free(fixed)["empty"] == 1 and not wp.gap_free(fixed)["ok"]
    auto = wp.build_geometry(frame, tolerance=150.0)
    assert auto.digits > wp.digits_for(150.0) and not shapely.is_empty(auto.geometry).any()
    assert wp.gap_free(auto)["ok"]


def test_messy_input_is_made_a_coverage_first() -> None:
    # neighbours that do not share vertices: the left square's edge has a vertex the right lacks
    left = shapely.Polygon([(0, 0), (500, 0), (500, 250), (500, 500), (0, 500)])
    right = shapely.Polygon([(500, 0), (1000, 0), (1000, 500), (500, 500)])
    frame = gpd.GeoDataFrame({"area_id": ["a", "b"]}, geometry=[left, right], crs=schema.CRS_STORE)
    frame = frame.set_geometry(frame.translate(670_000, 6_580_000))
    assert not shapely.coverage_is_valid(frame.geometry.values)
    web = wp.build_geometry(frame, tolerance=20.0)
    assert web.cleaned and bool(shapely.coverage_is_valid(web.geometry))
    assert wp.gap_free(web)["ok"]


def test_gap_free_reports_a_gap(grid: gpd.GeoDataFrame) -> None:
    web = wp.build_geometry(grid, tolerance=40.0)
    shrunk = web.geometry.copy()
    shrunk[4] = shapely.affinity.scale(shrunk[4], 0.9, 0.9)  # the middle square pulls away
    report = wp.gap_free(dataclasses.replace(web, geometry=shrunk))
    assert not report["ok"]
    assert not report["coverage_valid"] or report["holes_after"] > report["holes_before"]
    assert report["holes_after"] == 1


def test_tolerance_and_digits_follow_the_view(grid: gpd.GeoDataFrame) -> None:
    assert wp.tolerance_cap("national") == 310.0  # one pixel at zoom 8, 59°N
    assert wp.tolerance_cap("lan") == 160.0 and wp.tolerance_cap("kommun") == 39.0
    assert wp.digits_for(310) == wp.digits_for(150) == 4
    assert wp.digits_for(55) == 5 and wp.digits_for(10) == 6
    # a cap far above the squares' size: the fidelity bounds bring the tolerance down
    tol, simplified, ok = wp.auto_tolerance(grid.geometry.values, cap=5000.0)
    assert ok and web_shapes.MIN_TOLERANCE <= tol < 5000.0
    change = np.abs(shapely.area(simplified) / shapely.area(grid.geometry.values) - 1)
    assert change.max() <= web_shapes.CHANGE_MAX
    assert bool(shapely.coverage_is_valid(simplified))
    web = wp.build_geometry(grid, view=6)  # cap 1 300 m
    assert web.tolerance <= wp.tolerance_cap(6) == 1300.0 and web.fidelity_ok
    assert web.tolerance == wp.auto_tolerance(grid.geometry.values, cap=1300.0)[0]


# --- cache --------------------------------------------------------------------------------------

def test_cache_returns_the_same_geometry_for_the_same_areas(grid: gpd.GeoDataFrame) -> None:
    first = wp.prepare_geometry(grid, tolerance=40.0)
    again = wp.prepare_geometry(grid.copy(), tolerance=40.0)  # an equal frame, another object
    assert again is first and again.packed == first.packed
    assert wp.cache_info()["hits"] == 1 and wp.cache_info()["misses"] == 1
    # another tolerance or other digits is another entry
    assert wp.prepare_geometry(grid, tolerance=80.0) is not first


def test_cache_tells_different_geometry_apart(grid: gpd.GeoDataFrame) -> None:
    first = wp.prepare_geometry(grid, tolerance=40.0)
    moved = grid.set_geometry(grid.translate(250.0, 0.0))
    other = wp.prepare_geometry(moved, tolerance=40.0)
    assert other is not first and other.packed != first.packed
    renamed = grid.assign(area_id=[f"x{i}" for i in range(len(grid))])
    assert wp.prepare_geometry(renamed, tolerance=40.0).packed != first.packed
    assert wp.fingerprint(grid) != wp.fingerprint(moved)
    assert wp.cache_info()["misses"] == 3


def test_cache_by_caller_key_and_lru(grid: gpd.GeoDataFrame, monkeypatch: pytest.MonkeyPatch
                                     ) -> None:
    web = wp.prepare_geometry(grid, tolerance=40.0, key=("deso", 2025))

    def no_hashing(*args: object, **kwargs: object) -> str:
        raise AssertionError("a caller key must spare the fingerprint")

    monkeypatch.setattr(web_shapes, "fingerprint", no_hashing)
    assert wp.prepare_geometry(grid, tolerance=40.0, key=("deso", 2025)) is web
    monkeypatch.undo()
    monkeypatch.setattr(web_shapes, "CACHE_SIZE", 2)
    wp.prepare_geometry(grid, tolerance=50.0, key=("deso", 2025))
    wp.prepare_geometry(grid, tolerance=60.0, key=("deso", 2025))
    assert wp.cache_info()["size"] == 2
    assert wp.prepare_geometry(grid, tolerance=40.0, key=("deso", 2025)) is not web  # evicted


# --- payload ------------------------------------------------------------------------------------

def test_payload_has_only_area_id(grid: gpd.GeoDataFrame) -> None:
    web = wp.prepare_geometry(grid, tolerance=40.0)
    assert set(json.loads(web.packed)) == {"v", "n", "f", "ids", "g"}
    feats = decode(web.packed)
    assert [f["properties"] for f in feats] == [{"area_id": i} for i in grid["area_id"]]
    assert same_shapes(feats, web)  # the packing loses nothing
    gj = json.loads(web.geojson)
    assert [f["properties"] for f in gj["features"]] == [{"area_id": i} for i in grid["area_id"]]
    for text in (web.packed, web.geojson):
        assert "Område" not in text and "population" not in text and "1234567" not in text
    assert wp.RUN in json.loads(web.packed)["g"]  # shared borders refer to stored vertices


def test_pack_round_trips_holes_multipolygons_empty_and_odd_ids() -> None:
    outer = box(18.0, 59.0, 18.01, 59.01)
    hole = box(18.004, 59.004, 18.006, 59.006)
    donut = outer.difference(hole)
    inner = hole
    multi = shapely.MultiPolygon([box(18.01, 59.0, 18.02, 59.01), box(18.03, 59.0, 18.04, 59.01)])
    geoms = np.array([donut, inner, shapely.Polygon(), multi, shapely.Polygon()], dtype=object)
    ids = pd.Index(["0114A0001", "0114A0002", "", "ö😀x}", "0114A0002x"], dtype=object)
    web = wp.WebGeometry(key=(), ids=ids, geometry=geoms, tolerance=0.0, digits=5,
                         packed=wp.pack(ids, geoms, 5), bounds=(0, 0, 0, 0), source=geoms)
    feats = decode(web.packed)
    assert [f["properties"]["area_id"] for f in feats] == [esc(i) for i in ids]
    assert feats[2]["geometry"] is None and feats[4]["geometry"] is None
    assert feats[3]["geometry"]["type"] == "MultiPolygon"
    assert same_shapes(feats, web)
    assert wp.RUN in json.loads(web.packed)["g"]  # the hole's ring reuses the donut's vertices
    assert decode(wp.pack(pd.Index([], dtype=object), np.array([], dtype=object), 5)) == []
    gj = json.loads(web.geojson)["features"]  # the plain GeoJSON keeps one feature per area
    assert [f["properties"]["area_id"] for f in gj] == [esc(i) for i in ids]
    assert gj[2]["geometry"] is None and gj[4]["geometry"] is None
    assert same_shapes(gj, web)


@pytest.mark.skipif(shutil.which("node") is None, reason="no node to run the page's decoder")
def test_page_decoder_reads_the_payload(grid: gpd.GeoDataFrame) -> None:
    grid.loc[0, "area_id"] = "ö😀<x>"
    web = wp.prepare_geometry(grid, tolerance=40.0, digits=4)
    script = ("const dec = " + web_layer._DECODE_PACKED + ";\n"
              "const p = JSON.parse(require('fs').readFileSync(0, 'utf8'));\n"
              "process.stdout.write(JSON.stringify(dec(p)));")
    run = subprocess.run(["node", "-e", script], input=web.packed, capture_output=True,
                         text=True, check=True, timeout=60)
    feats = json.loads(run.stdout)
    assert feats == decode(web.packed)
    assert feats[0]["properties"] == {"area_id": esc("ö😀<x>")}
    assert same_shapes(feats, web)


def test_script_json_survives_branca_jinja_pass() -> None:
    text = web_pack._js({"g": "a{{b{%c{#d}}e</script>", "x": "\u2028"})
    assert "{{" not in text and "{%" not in text and "{#" not in text and "</" not in text
    assert json.loads(text) == {"g": "a{{b{%c{#d}}e</script>", "x": "\u2028"}


# --- the map ------------------------------------------------------------------------------------

def hostile_page(grid: gpd.GeoDataFrame, **kwargs: object) -> tuple[str, wp.WebGeometry]:
    grid = grid.copy()
    grid.loc[4, "area_id"] = HOSTILE_ID
    web = wp.prepare_geometry(grid, tolerance=40.0)
    data = pd.DataFrame({"area_id": grid["area_id"], "value": np.arange(len(grid)) * 10.0,
                         "name": grid["name"], "display": None})
    data.loc[0, "name"] = HOSTILE_NAME
    data.loc[1, "display"] = HOSTILE_TIP
    data.loc[2, "value"] = np.nan
    m = wp.fast_choropleth(web, data, title="Våld " + HOSTILE_NAME, source=HOSTILE_TIP,
                           period="2024", note=HOSTILE_TIP, **kwargs)
    return m.get_root().render(), web


@pytest.mark.parametrize("encoding", ["packed", "geojson"])
def test_hostile_text_is_escaped_in_the_page(grid: gpd.GeoDataFrame, encoding: str) -> None:
    page, _ = hostile_page(grid, encoding=encoding)
    assert "<img src=x" not in page and "onerror=alert(1)>" not in page
    assert "${alert" not in page and "{{7*7}}" not in page and "{%raw%}" not in page
    assert page.count("</script>") == page.count("<script")  # no script ends early
    assert esc(HOSTILE_NAME) in page  # the name, the title and the legend, as inert text
    assert esc(HOSTILE_TIP) in page
    # the hostile id reaches the page escaped only (front-coded after "r1c" in the packed one)
    assert esc(HOSTILE_ID)[3:] in page and "alert(2)>" not in page


def test_style_and_tooltip_tables(grid: gpd.GeoDataFrame) -> None:
    web = wp.prepare_geometry(grid, tolerance=40.0)
    data = pd.DataFrame({"area_id": grid["area_id"][:6], "value": [1.0, 2, 3, 4, 5, np.nan]})
    values_js, breaks, palette = wp.values_payload(web, data, title="T")
    table = json.loads(values_js)
    assert len(table["c"]) == len(grid)  # one class character per area, in payload order
    assert table["pal"][-1] == web_layer.MISSING and table["pal"][:-1] == palette
    missing = chr(48 + len(palette))
    assert table["c"][5:] == missing * 4  # no value and no row: the missing colour
    assert table["c"][:5] == "".join(chr(48 + int(c)) for c in range(5))
    assert table["names"] is None and table["tips"].split(wp.ID_SEP)[0] == "1,0"
    hidden = json.loads(wp.values_payload(web, data, title="T", hide_missing=True)[0])
    assert hidden["c"][5:] == "-" * 4
    with pytest.raises(ValueError, match="duplicate"):
        wp.values_payload(web, pd.concat([data, data]), title="T")


def test_duplicate_area_ids_are_refused(grid: gpd.GeoDataFrame) -> None:
    grid.loc[1, "area_id"] = grid.loc[0, "area_id"]
    with pytest.raises(ValueError, match="duplicate"):
        wp.build_geometry(grid, tolerance=40.0)


def hover_text(page, x: float, y: float, expected: str) -> str:
    """The tooltip's text once it shows `expected`: Leaflet's canvas ignores hover moves within
    32 ms of the last one it handled, so move (a pixel back and forth) until it has."""
    text = ""
    for attempt in range(40):
        page.mouse.move(x + attempt % 2, y)
        page.wait_for_timeout(60)
        tip = page.query_selector(".leaflet-tooltip")
        text = tip.inner_text() if tip is not None else ""
        if expected in text:
            return text
    raise AssertionError(f"no tooltip with {expected!r}; last: {text!r}")


@pytest.mark.browser
def test_browser_draws_every_area_and_shows_hostile_text_as_text(grid: gpd.GeoDataFrame,
                                                                 tmp_path, browser) -> None:
    from lagesbild.render.assets import inline_html

    grid = grid.copy()
    grid.loc[4, "area_id"] = HOSTILE_ID
    web = wp.prepare_geometry(grid, tolerance=40.0)
    data = pd.DataFrame({"area_id": grid["area_id"], "value": np.arange(9.0), "name": None})
    data.loc[0, "name"] = HOSTILE_NAME
    m = wp.fast_choropleth(web, data, title="Våld", source=HOSTILE_TIP)
    html = tmp_path / "map.html"
    html.write_text(inline_html(m), encoding="utf-8")
    layer = re.search(r"var (fast_geo_json_[0-9a-f]+) =", html.read_text("utf-8")).group(1)
    context = browser.new_context(viewport={"width": 900, "height": 700})  # the worker's Chromium
    try:
        page = context.new_page()
        errors: list[str] = []
        dialogs: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:")
                   else r.abort())
        page.goto(html.as_uri())
        page.wait_for_function(f"typeof {layer} !== 'undefined'")
        assert page.evaluate(f"{layer}.getLayers().length") == 9
        ids = page.evaluate(f"{layer}.getLayers().map(l => l.feature.properties.area_id)")
        assert ids[4] == esc(HOSTILE_ID)
        tips = []
        for k, expected in ((0, HOSTILE_NAME), (4, HOSTILE_ID)):
            x, y = page.evaluate(f"""(() => {{
                const l = {layer}.getLayers()[{k}], map = l._map;
                const pt = map.latLngToContainerPoint(l.getBounds().getCenter());
                const r = map.getContainer().getBoundingClientRect();
                return [r.left + pt.x, r.top + pt.y]; }})()""")
            tips.append(hover_text(page, x, y, expected))
        assert tips[0].startswith(HOSTILE_NAME)  # shown as the text it is
        assert HOSTILE_ID in tips[1] and HOSTILE_TIP in tips[1]
        assert page.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0
        assert errors == [] and dialogs == []  # no alert(1) or alert(2) ran
    finally:
        context.close()
