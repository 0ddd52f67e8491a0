"""Static PNGs for reports (map, pyramid, ranking, trend) on the demo workspace: bytes, pixels,
determinism, hostile text drawn literally, no network and no change to matplotlib's globals."""

from __future__ import annotations

import io
import socket
import subprocess
import sys
import tomllib
from dataclasses import replace

import matplotlib
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from lagesbild.analysis.figures import layer_figures, periods
from lagesbild.analysis.map_views import map_view, view_periods
from lagesbild.analysis.pyramid_view import count_periods, pyramid_view
from lagesbild.analysis.references import reference_band
from lagesbild.render import static, static_charts

from frames_support import demo_inputs

PNG = b"\x89PNG\r\n\x1a\n"
# an even number of unescaped "$" would start mathtext, and \undefinedcommand makes it raise
HOSTILE = r"<img src=x onerror=alert(1)>${x}$ $\undefinedcommand{$ \$ 100 %"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    return demo_inputs(tmp_path_factory)


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> list:
    """The figures handed to png_bytes, kept for inspection."""
    figs: list = []
    original = static_charts.png_bytes

    def spy(fig, dpi):  # noqa: ANN001, ANN202
        out = original(fig, dpi)
        figs.append(fig)
        return out

    monkeypatch.setattr(static_charts, "png_bytes", spy)
    monkeypatch.setattr(static, "png_bytes", spy)
    return figs


def _view(demo, layer: str, view: str = "value", sex: str = "T"):
    frames, specs, taxonomy, settings = demo
    spec = specs[layer]
    period = view_periods(frames, spec, view)[-1]
    return spec, map_view(frames, spec, view=view, period=period, sex=sex, taxonomy=taxonomy,
                          settings=settings)


def _figures(demo, layer: str, sex: str = "T", period: str | None = None) -> pd.DataFrame:
    frames, specs, taxonomy, settings = demo
    spec = specs[layer]
    return layer_figures(frames, spec, period=period or periods(frames, spec)[-1], sex=sex,
                         taxonomy=taxonomy, settings=settings)


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def _count(pixels: np.ndarray, color: str) -> int:
    rgb = np.array([int(color[i:i + 2], 16) for i in (1, 3, 5)], dtype=np.uint8)
    return int((pixels == rgb).all(axis=-1).sum())


def _texts(fig) -> list:  # noqa: ANN001
    return fig.findobj(matplotlib.text.Text)


# swatches in the legend are 0.22 × 0.16 in: at 200 dpi at most 44 × 32 = 1408 pixels
SWATCH = 44 * 32


# --- map -----------------------------------------------------------------------------------

def test_map_png_is_a_png_of_the_asked_width_and_deterministic(demo) -> None:
    frames = demo[0]
    spec, view = _view(demo, "vald_topp")
    first = static.map_png(view, frames.kommuner, spec)
    second = static.map_png(view, frames.kommuner, spec)
    assert first.startswith(PNG)
    assert first == second
    image = Image.open(io.BytesIO(first))
    assert image.size[0] == 1600 and 600 < image.size[1] < 4000
    assert not image.info.get("Software")
    small = static.map_png(view, frames.kommuner, spec, width_px=800, dpi=100)
    assert Image.open(io.BytesIO(small)).size[0] == 800


def test_map_classes_match_the_interactive_map(demo) -> None:
    import folium

    from lagesbild.render.map import MISSING, web_geometry
    from lagesbild.render.map import choropleth

    frames = demo[0]
    for layer, sex in (("vald_topp", "T"), ("vald_nara_relation", "K"), ("otrygghet", "K")):
        spec, view = _view(demo, layer, sex=sex)
        m = choropleth(view.figures, web_geometry(frames.kommuner), spec)
        layers = [c for c in m._children.values() if isinstance(c, folium.GeoJson)]
        interactive = {f["properties"]["area_id"]: f["properties"]["fill"]
                       for f in layers[0].data["features"]}
        _, _, data = static.map_classes(view.figures, frames.kommuner["area_id"], spec)
        assert dict(zip(data["area_id"], data["fill"])) == interactive
        assert static.MISSING == MISSING


def test_every_class_colour_is_drawn_and_hidden_areas_are_missing(demo) -> None:
    frames = demo[0]
    spec, view = _view(demo, "vald_nara_relation", sex="K")
    breaks, palette, data = static.map_classes(view.figures, frames.kommuner["area_id"], spec)
    pixels = _pixels(static.map_png(view, frames.kommuner, spec))
    assert (pixels != 255).any(axis=-1).mean() > 0.2  # not blank
    used = set(data["fill"])
    assert static.MISSING in used  # this view hides kommuner (counts 1–4 for women)
    for color in used:
        # an area's colour covers far more than its legend swatch
        assert _count(pixels, color) > 3 * SWATCH, color
    for color in set(palette) - used:
        assert _count(pixels, color) <= SWATCH


def test_a_hidden_value_is_never_coloured_even_if_a_value_is_left(demo) -> None:
    frames = demo[0]
    spec, view = _view(demo, "vald_topp")
    plain = _pixels(static.map_png(view, frames.kommuner, spec))
    assert _count(plain, static.MISSING) <= SWATCH  # only the legend swatch
    figs = view.figures.copy()
    umea = figs["area_id"] == "2480"
    figs.loc[umea, "suppressed"] = True  # value left in place on purpose
    figs.loc[umea, "display"] = "dold"
    _, _, data = static.map_classes(figs, frames.kommuner["area_id"], spec)
    assert data.set_index("area_id").loc["2480", "fill"] == static.MISSING
    hidden = _pixels(static.map_png(replace(view, figures=figs), frames.kommuner, spec))
    assert _count(hidden, static.MISSING) > 3 * SWATCH


def test_category_views_use_their_legend_colours(demo) -> None:
    frames = demo[0]
    for kind in ("change", "hotspots"):
        spec, view = _view(demo, "vald_topp", kind)
        colors = {key: color for key, _, color in view.legend}
        pixels = _pixels(static.map_png(view, frames.kommuner, spec, sex="T"))
        for color in {colors.get(c, static.MISSING) for c in view.categories["category"]}:
            assert _count(pixels, color) > 3 * SWATCH, (kind, color)


def test_map_reprojects_areas_and_draws_no_points(demo, captured: list) -> None:
    frames = demo[0]
    spec, view = _view(demo, "vald_topp")
    wgs = frames.kommuner.to_crs("EPSG:4326")
    static.map_png(view, wgs, spec)
    ax = captured[-1].axes[0]
    x0, x1 = ax.get_xlim()
    assert x1 - x0 > 100_000  # metres (EPSG:3006), not degrees
    # only polygons: no markers, no scatter points
    assert not [c for c in ax.collections if type(c).__name__ == "PathCollection"]
    assert not ax.lines


def test_map_title_legend_and_footer(demo, captured: list) -> None:
    frames = demo[0]
    spec, view = _view(demo, "vald_topp", sex="K")
    static.map_png(view, frames.kommuner, spec)
    text = " ".join(t.get_text() for t in _texts(captured[-1]))
    assert spec.title_sv.split(" (")[0] in text.replace("\n", " ")
    assert view.period in text and "kvinnor" in text
    assert "Uppgift saknas eller dold" in text and "Källa: " in text
    assert 'Dolda uppgifter visas som ".."' in text.replace("\n", " ")
    static.map_png(view, frames.kommuner, spec, lang="en")
    text = " ".join(t.get_text() for t in _texts(captured[-1]))
    assert "No data or suppressed" in text and "Source: " in text


# --- hostile text --------------------------------------------------------------------------

def test_the_hostile_string_would_break_mathtext() -> None:
    with static_charts.style():
        fig = static_charts.new_figure(2, 1, 50)
        fig.text(0, 0, HOSTILE)  # parse_math left on: this is what the module must avoid
        with pytest.raises(ValueError):
            fig.savefig(io.BytesIO(), format="png")


def test_hostile_names_are_drawn_literally_everywhere(demo, captured: list) -> None:
    frames, _, taxonomy, settings = demo
    spec, view = _view(demo, "vald_topp")
    view = replace(view, title=HOSTILE, note=HOSTILE,
                   figures=view.figures.assign(source=HOSTILE))
    static.map_png(view, frames.kommuner, spec)

    figs = _figures(demo, "vald_nara_relation", sex="K")
    figs = figs.assign(name=[HOSTILE + n for n in figs["name"]], source=HOSTILE)
    static.ranking_png(figs, band=reference_band(figs), title=HOSTILE)

    series = pd.concat([_figures(demo, "vald_topp", period=p)
                        for p in periods(frames, demo[1]["vald_topp"])])
    series = series.assign(name=HOSTILE, period=series["period"] + "$")
    static.trend_png(series, ["2480", "2417"], title=HOSTILE)

    meta = tomllib.loads((settings.layers_dir / "indicators.toml").read_text(encoding="utf-8"))
    pv = pyramid_view(frames, taxonomy, meta, area_id="2480",
                      period=count_periods(frames, "counts")[-1], source="counts",
                      settings=settings)
    pv = replace(pv, area_name=HOSTILE, source_label=HOSTILE,
                 indicators=pv.indicators.assign(title_sv=HOSTILE))
    static.pyramid_png(pv, taxonomy)

    assert len(captured) == 4
    for fig in captured:
        texts = _texts(fig)
        assert all(not t.get_parse_math() and not t.get_usetex() for t in texts)
        joined = "\n".join(t.get_text() for t in texts)
        assert r"$\undefinedcommand{$" in joined and "${x}" in joined and r"\$" in joined


def test_control_characters_and_missing_glyphs_do_not_warn() -> None:
    assert static_charts.plain("a\nb\tc\x00") == "a b c "
    assert static_charts.plain("Umeå漢") == "Umeå?"
    assert static_charts.plain(None) == "" and static_charts.plain(float("nan")) == ""


# --- pyramid, ranking, trend ---------------------------------------------------------------

def test_pyramid_png_levels_narrow_to_the_top(demo, captured: list) -> None:
    frames, _, taxonomy, settings = demo
    meta = tomllib.loads((settings.layers_dir / "indicators.toml").read_text(encoding="utf-8"))
    pv = pyramid_view(frames, taxonomy, meta, area_id="2480",
                      period=count_periods(frames, "counts")[-1], source="counts",
                      settings=settings)
    png = static.pyramid_png(pv, taxonomy)
    assert png.startswith(PNG) and png == static.pyramid_png(pv, taxonomy)
    pixels = _pixels(png)
    assert Image.open(io.BytesIO(png)).size[0] == 1600

    def widest_row(color: str) -> int:
        rgb = np.array([int(color[i:i + 2], 16) for i in (1, 3, 5)], dtype=np.uint8)
        return int((pixels == rgb).all(axis=-1).sum(axis=1).max())

    top, middle, base = (widest_row(static.PYRAMID_COLORS[lv]) for lv in (3, 2, 1))
    assert 0 < top < middle < base
    text = "\n".join(t.get_text() for t in _texts(captured[-1]))
    totals = pv.counts[(pv.counts["level"] == 3) & (pv.counts["category"] == "(alla)")]
    for display in totals["display"]:
        assert display in text.replace("\n", " ")
    assert "Kvinnor" in text and "Män" in text and "Totalt" in text
    assert "Enkätindikatorer" in text


def test_ranking_png_bars_whiskers_reference_lines_and_hidden_rows(demo, captured: list) -> None:
    figs = _figures(demo, "vald_nara_relation", sex="K")
    kommun = figs[figs["level"] == "kommun"]
    n_hidden = int((kommun["suppressed"] | kommun["value"].isna()).sum())
    assert n_hidden > 0
    band = reference_band(figs)
    png = static.ranking_png(figs, band=band)
    assert png.startswith(PNG) and png == static.ranking_png(figs, band=band)
    ax = captured[-1].axes[0]
    bar_rgba = matplotlib.colors.to_rgba(static_charts.BAR)
    bars = [p for p in ax.patches if p.get_facecolor() == bar_rgba]
    assert len(bars) == len(kommun) - n_hidden
    text = "\n".join(t.get_text() for t in _texts(captured[-1]))
    hidden = kommun[kommun["suppressed"] | kommun["value"].isna()]
    for display in hidden["display"]:
        assert display in text
    assert "Länets värde" in text and "Median av kommunerna" in text
    assert "25:e–75:e percentilen" in text
    assert _count(_pixels(png), static_charts.BAR) > 1000
    # without a band: nothing shaded, no band in the legend
    static.ranking_png(figs)
    assert "percentilen" not in "\n".join(t.get_text() for t in _texts(captured[-1]))


def test_trend_png_lines_and_bands(demo) -> None:
    frames, specs, _, _ = demo
    spec = specs["vald_topp"]
    series = pd.concat([_figures(demo, "vald_topp", period=p) for p in periods(frames, spec)],
                       ignore_index=True)
    png = static.trend_png(series, ["2480", "2482", "24"], lang="en")
    assert png.startswith(PNG) and png == static.trend_png(series, ["2480", "2482", "24"],
                                                           lang="en")
    pixels = _pixels(png)
    for color in static_charts.SERIES_COLORS[:3]:
        assert _count(pixels, color) > 200
    # unknown or entirely hidden areas still render
    assert static.trend_png(series, ["9999"]).startswith(PNG)


# --- globals and network -------------------------------------------------------------------

def test_rendering_leaves_matplotlib_globals_alone(demo) -> None:
    import matplotlib.pyplot as plt  # loaded anyway: mapclassify imports it

    frames = demo[0]
    spec, view = _view(demo, "vald_topp")
    before = dict(matplotlib.rcParams)
    backend = matplotlib.get_backend()
    static.map_png(view, frames.kommuner, spec)
    static.ranking_png(_figures(demo, "vald_topp"))
    assert dict(matplotlib.rcParams) == before
    assert matplotlib.get_backend() == backend
    assert plt.get_fignums() == []  # our figures never register with pyplot


def test_rendering_uses_no_network(demo, monkeypatch: pytest.MonkeyPatch) -> None:
    frames = demo[0]
    spec, view = _view(demo, "vald_topp")

    def refuse(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise AssertionError("network access")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    assert static.map_png(view, frames.kommuner, spec).startswith(PNG)
    assert static.ranking_png(_figures(demo, "vald_topp")).startswith(PNG)


def test_the_module_imports_nothing_that_fetches() -> None:
    code = ("import sys, lagesbild.render.static; "
            "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(out.stdout.split())
    assert "matplotlib" in loaded
    for name in ("requests", "urllib3", "httpx", "aiohttp", "pooch", "folium", "streamlit",
                 "contextily", "xyzservices", "libpysal", "esda"):
        assert name not in loaded, name
