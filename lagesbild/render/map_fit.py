"""Fit a folium map to its area when it is shown, not only when its script runs.

folium's `fit_bounds` runs once, while the page is built. A map inside an ``<iframe srcdoc>``
(the HTML report embeds every map that way) often runs that script before the frame has been
laid out: Leaflet sees a 0 × 0 map, fits the bounds at zoom 0 and the map opens showing the
whole world, with the county a speck in the middle. `FitArea` fits the bounds as soon as the
map has a size (at once, on Leaflet's "resize", on the window's "load" or when its container
is first laid out: a ResizeObserver), once; after that
the user's zoom and pan are left alone.
"""

from __future__ import annotations

import json

import folium
from branca.element import MacroElement
from jinja2 import Template


class FitArea(MacroElement):
    """`map.fitBounds(bounds)` the first time the map has a non-zero size."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            var bounds = {{ this.bounds_json }};
            var fitted = false;
            function fit() {
                if (fitted) { return; }
                var size = map.getSize();
                if (size.x > 0 && size.y > 0) { map.fitBounds(bounds); fitted = true; }
            }
            fit();
            map.on("resize", fit);
            window.addEventListener("load", function() { map.invalidateSize(); fit(); });
            window.addEventListener("resize", function() { map.invalidateSize(); fit(); });
            if (window.ResizeObserver) {  // a frame laid out late (offscreen, throttled)
                new ResizeObserver(function() {
                    if (!fitted) { map.invalidateSize(); fit(); }
                }).observe(map.getContainer());
            }
        })();
        {% endmacro %}
    """)

    def __init__(self, bounds: list[list[float]]) -> None:
        super().__init__()
        self._name = "FitArea"
        self.bounds_json = json.dumps(bounds)


def fit_area(m: folium.Map, minx: float, miny: float, maxx: float, maxy: float) -> None:
    """Open `m` on the box (lon/lat), however late its frame is laid out."""
    FitArea([[float(miny), float(minx)], [float(maxy), float(maxx)]]).add_to(m)
