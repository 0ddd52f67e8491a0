"""What `streamlit_folium.st_folium` sends to its component for a folium map, computed once so the
pages can cache it (the drawing itself is `render.map`)."""

from __future__ import annotations

import folium
import streamlit_folium as sf

from lagesbild.render.map import restyle
from lagesbild.render.web_restyle import restyle_update

METRIC_SCALE = "L.control.scale({imperial: false})"


def metric_scale(m: folium.Map) -> folium.Map:
    """`m` with its scale bar in km only (folium's control_scale adds miles), for maps drawn
    with st_folium directly and by `folium_payload`."""
    if m.control_scale:
        m.control_scale = False
        scale = folium.MacroElement()
        scale._template = folium.template.Template(
            "{% macro script(this, kwargs) %}" + METRIC_SCALE
            + ".addTo({{ this._parent.get_name() }});{% endmacro %}")
        m.add_child(scale)
    return m


def folium_payload(m: folium.Map) -> dict:
    """What `streamlit_folium.st_folium(m)` sends to its component, computed once to be cached.

    The same steps as st_folium 0.27 (render the figure, then read its header, html and the
    Leaflet script), except that the figure is rendered with one feature per GeoJson layer: the
    header and html do not depend on the data, and folium compiles every rendered script as a
    Jinja template, which for 290 kommuner and their sites costs more than all the rest. The
    script is then generated from the full data, as st_folium does. "restyle" is
    `render.web_restyle.restyle_update(m)`: what turns a map of the same areas into this one.
    """
    metric_scale(m)  # folium's scale bar shows miles beside km; a Swedish map is metric only
    layers = [c for c in m._children.values() if isinstance(c, folium.GeoJson)]
    full = [layer.data for layer in layers]
    try:
        for layer in layers:
            layer.data = {**layer.data, "features": layer.data["features"][:1]}
        m.get_root().render()
        m.render()
    finally:
        for layer, data in zip(layers, full):
            layer.data = data
    for layer in layers:  # the style maps of the full data, as GeoJson.render makes them
        restyle(layer)
    html, header = sf._get_html(m), sf._get_header(m)
    script = sf._get_map_string(m)
    css: list[str] = []
    js: list[str] = []
    stack: list[object] = [m]
    while stack:  # st_folium's walk: the links of every JS/CSS element, depth first, in order
        element = stack.pop()
        if isinstance(element, folium.elements.JSCSSMixin):
            css.extend(href for _, href in element.default_css)
            js.extend(src for _, src in element.default_js)
        stack.extend(reversed(list(getattr(element, "_children", {}).values())))
    (south, west), (north, east) = m.get_bounds()
    return {"script": script, "header": header, "html": html, "id": sf.get_full_id(m),
            "bounds": {"_southWest": {"lat": south, "lng": west},
                       "_northEast": {"lat": north, "lng": east}},
            "zoom": m.options.get("zoom"), "css_links": list(dict.fromkeys(css)),
            "js_links": list(dict.fromkeys(js)), "restyle": restyle_update(m)}
