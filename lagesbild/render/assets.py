"""Leaflet from the pinned django-js-lib-leaflet wheel: served locally or inlined, never a CDN."""

from __future__ import annotations

import functools
import importlib.util
import shutil
from pathlib import Path

import folium

from lagesbild.core.errors import LagesbildError

STATIC_URL = "/app/static/vendor/leaflet/"  # where Streamlit's static serving exposes ./static
FILES = ("leaflet.js", "leaflet.css")


@functools.lru_cache(maxsize=1)
def leaflet_dir() -> Path:
    spec = importlib.util.find_spec("js_lib_leaflet")
    if spec is None or not spec.submodule_search_locations:
        raise LagesbildError("Leaflet saknas: installera beroendena med 'make setup'.")
    return Path(next(iter(spec.submodule_search_locations))) / "static" / "js_lib_leaflet"


def ensure_static(static_dir: str | Path) -> Path:
    """Copy Leaflet into `static_dir`/vendor/leaflet (idempotent); return that folder."""
    target = Path(static_dir) / "vendor" / "leaflet"
    source = leaflet_dir()
    for name in FILES:
        src, dst = source / name, target / name
        if not dst.exists() or dst.stat().st_size != src.stat().st_size:
            target.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
    return target


def strip_cdn(m: folium.Map) -> None:
    """Remove every CDN asset folium would load (jQuery, Bootstrap, Font Awesome, Leaflet)."""
    m.default_js = []
    m.default_css = []


def use_static(m: folium.Map, base_url: str = STATIC_URL) -> folium.Map:
    """Point the map at the locally served Leaflet (for the Streamlit app)."""
    m.default_js = [("leaflet", base_url + "leaflet.js")]
    m.default_css = [("leaflet_css", base_url + "leaflet.css")]
    return m


def inline_html(m: folium.Map) -> str:
    """The map as one self-contained HTML file: Leaflet's JS and CSS inlined, opens offline."""
    strip_cdn(m)
    html = m.get_root().render()
    source = leaflet_dir()
    js = (source / "leaflet.js").read_text(encoding="utf-8").replace("</script", "<\\/script")
    css = (source / "leaflet.css").read_text(encoding="utf-8")
    head = f"<style>{css}</style>\n<script>{js}</script>\n"
    return html.replace("<head>", "<head>\n" + head, 1)
