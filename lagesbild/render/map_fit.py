"""How a folium map sits in its frame: fitted to its area beside the legend, tooltips kept inside.

folium's `fit_bounds` runs once, while the page is built. A map inside an ``<iframe srcdoc>``
(the HTML report embeds every map that way) often runs that script before the frame has been
laid out: Leaflet sees a 0 × 0 map, fits the bounds at zoom 0 and the map opens showing the
whole world, with the county a speck in the middle. `FitArea` fits the bounds as soon as the
map has a size (at once, on Leaflet's "resize", on the window's "load" or when its container
is laid out: a ResizeObserver), and again whenever the frame's size changes until the user
has moved or zoomed the map; after that the user's zoom and pan are left alone.

The legend (`.lagesbild-legend`, a control in a corner) must not hide areas: the bounds are
fitted with padding on the legend's side, beside it or below it, whichever leaves the larger
zoom. A folded legend (`map.Legend`) is measured unfolded: unfolding it hides no area. Leaflet places a tooltip left or right of the pointer and centred on it vertically; near
the map's edge on a laptop screen part of it (the name, the interval) is cut off by the frame.
`TooltipsInside` moves an open tooltip back inside the map, and wraps one wider than the map.
"""

from __future__ import annotations

import json

import folium
from branca.element import MacroElement
from jinja2 import Template

LEGEND_CLASS = "lagesbild-legend"
MARGIN_PX = 6  # between the areas (or a tooltip) and the legend or the map's edge


class FitArea(MacroElement):
    """`map.fitBounds(bounds)` beside the legend whenever the map gets a size, until the user moves it."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            var bounds = L.latLngBounds({{ this.bounds_json }});
            var margin = {{ this.margin }};
            function padding() {  // room on the legend's side: beside it or below it
                // the legend as the user may unfold it: measured open, its fold then restored
                var inner = map.getContainer().querySelector(".{{ this.legend_class }}");
                var fold = inner && inner.closest("details");
                var folded = fold && !fold.open;
                if (folded) { fold.open = true; }
                try { return around(fold || inner); } finally { if (folded) { fold.open = false; } }
            }
            function around(legend) {
                if (!legend || !legend.offsetWidth) { return {}; }
                var corner = legend.parentNode;
                if (getComputedStyle(corner).position !== "absolute") {
                    // Leaflet's stylesheet, which puts the legend in its corner, is not applied
                    // yet (a page that loads it late): fit again once it is
                    if (retries++ < 100) { setTimeout(fit, 100); }
                    return {};
                }
                var box = map.getContainer().getBoundingClientRect();
                var r = legend.getBoundingClientRect();
                var right = r.left - box.left > box.right - r.right;
                var top = r.top - box.top < box.bottom - r.bottom;
                var across = Math.max(0, right ? box.right - r.left : r.right - box.left) + margin;
                var down = Math.max(0, top ? r.bottom - box.top : box.bottom - r.top) + margin;
                var size = map.getSize(), best = null;
                [[across, 0], [0, down]].forEach(function(p) {
                    // leave at least 40 % of the map to the areas, else the legend may cover
                    if (size.x - p[0] < 0.4 * size.x || size.y - p[1] < 0.4 * size.y) { return; }
                    var zoom = map.getBoundsZoom(bounds, false, L.point(p));
                    if (isFinite(zoom) && (best === null || zoom > best.zoom)) {
                        best = {zoom: zoom, x: p[0], y: p[1]};
                    }
                });
                if (best === null) { return {}; }
                return {paddingTopLeft: [right ? 0 : best.x, top ? best.y : 0],
                        paddingBottomRight: [right ? best.x : 0, top ? 0 : best.y]};
            }
            var retries = 0;
            var moved = false;  // by the user: from then on their view is left alone
            ["mousedown", "wheel", "touchstart", "keydown", "dblclick"].forEach(function(type) {
                L.DomEvent.on(map.getContainer(), type, function() { moved = true; });
            });
            function fit() {
                var size = map.getSize();
                if (moved || size.x <= 0 || size.y <= 0) { return; }
                // not animated: a fit during a running zoom animation would be dropped
                map.fitBounds(bounds, L.extend(padding(), {animate: false}));
            }
            fit();
            map.on("resize", fit);
            // until the user moves the map, the view follows the frame's size: a frame laid
            // out late (offscreen, throttled) or resized by its page is fitted anew
            window.addEventListener("load", function() { map.invalidateSize(); fit(); });
            window.addEventListener("resize", function() { map.invalidateSize(); fit(); });
            if (window.ResizeObserver) {
                var observer = new ResizeObserver(function() {
                    if (!moved) { map.invalidateSize(); fit(); }
                });
                observer.observe(map.getContainer());
                var legend = map.getContainer().querySelector(".{{ this.legend_class }}");
                if (legend) { observer.observe(legend); }
            }
        })();
        {% endmacro %}
    """)

    def __init__(self, bounds: list[list[float]]) -> None:
        super().__init__()
        self._name = "FitArea"
        self.bounds_json = json.dumps(bounds)
        self.legend_class = LEGEND_CLASS
        self.margin = MARGIN_PX


class TooltipsInside(MacroElement):
    """Every tooltip of the map stays inside the map's frame.

    Leaflet positions a tooltip when it opens, when a sticky tooltip follows the pointer (the
    layer's "mousemove", fired before the map's) and after a zoom. After each of these the
    tooltip's box is compared with the map's and shifted back inside; a tooltip wider or taller
    than the map is wrapped to the map's width first. Only Leaflet's public API and the DOM.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            var margin = {{ this.margin }};
            var open = null;
            function inside(tip) {
                var el = tip && tip.getElement();
                if (!el || !tip.isOpen()) { return; }
                var box = map.getContainer().getBoundingClientRect();
                var room = Math.max(80, box.width - 2 * margin);
                if (el.style.width === "" && el.offsetWidth > room) {
                    el.style.whiteSpace = "normal";
                    el.style.boxSizing = "border-box";
                    el.style.width = room + "px";
                }
                var r = el.getBoundingClientRect(), dx = 0, dy = 0;
                if (r.right > box.right - margin) { dx = box.right - margin - r.right; }
                if (r.left + dx < box.left + margin) { dx = box.left + margin - r.left; }
                if (r.bottom > box.bottom - margin) { dy = box.bottom - margin - r.bottom; }
                if (r.top + dy < box.top + margin) { dy = box.top + margin - r.top; }
                if (dx || dy) {
                    L.DomUtil.setPosition(el, L.DomUtil.getPosition(el).add(L.point(dx, dy)));
                }
            }
            map.on("tooltipopen", function(e) { open = e.tooltip; inside(open); });
            map.on("tooltipclose", function(e) {
                var el = e.tooltip.getElement();  // measured afresh when it opens again
                if (el) { el.style.whiteSpace = el.style.boxSizing = el.style.width = ""; }
                if (open === e.tooltip) { open = null; }
            });
            map.on("mousemove zoomend moveend resize", function() { inside(open); });
        })();
        {% endmacro %}
    """)

    def __init__(self) -> None:
        super().__init__()
        self._name = "TooltipsInside"
        self.margin = MARGIN_PX


def fit_area(m: folium.Map, minx: float, miny: float, maxx: float, maxy: float) -> None:
    """Open `m` on the box (lon/lat) beside its legend, however late its frame is laid out,
    with every tooltip kept inside the map. Add the legend first: the fit measures it."""
    FitArea([[float(miny), float(minx)], [float(maxy), float(maxx)]]).add_to(m)
    TooltipsInside().add_to(m)
