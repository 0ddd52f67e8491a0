"""`web_payload`'s map: one canvas GeoJSON layer, palette lookup and escaped tooltip pieces."""

from __future__ import annotations

import folium
import numpy as np
import pandas as pd
from branca.utilities import color_brewer
from folium.map import Layer
from jinja2 import Template

from lagesbild.analysis.classify import class_breaks, class_of
from lagesbild.core.i18n import t
from lagesbild.render.escape import esc
from lagesbild.render.map import MISSING, Legend, legend_html
from lagesbild.render.map_fit import fit_area
from lagesbild.render.web_pack import ID_SEP, PREFIX_KEYS, _js
from lagesbild.render.web_shapes import WebGeometry


class FastGeoJson(Layer):
    """One Leaflet GeoJSON layer from a cached `WebGeometry` and a per-build style/tooltip table.

    `values_js` is script-safe JSON: {"pal": colours, "c": one character per area (palette index
    + 48, "-" hidden), "names": escaped names joined by "}" or null, "tips": escaped value texts
    joined by "}" or null, "label": escaped "title: ", "foot": escaped HTML after the value}.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function() {
            var geo = {{ this.geometry_js }};
            var features = {{ this.decode_fn }}(geo);
            function values(val) {  // also what render.web_restyle sends on a filter change
                return {pal: val.pal, c: val.c, label: val.label, foot: val.foot,
                        rawNames: val.names, rawTips: val.tips,
                        names: val.names === null ? null : val.names.split("}"),
                        tips: val.tips === null ? null : val.tips.split("}")};
            }
            var layer = L.geoJson(null, {
                renderer: L.canvas({padding: 0.5}),
                smoothFactor: 0.5,
                filter: function(f) { return layer.lagesbildValues.c.charAt(f.id) !== "-"; },
                style: function(f) {
                    var v = layer.lagesbildValues;
                    return {fillColor: v.pal[v.c.charCodeAt(f.id) - 48], color: "#444",
                            weight: {{ this.weight }}, fillOpacity: 0.8};
                }
            });
            layer.lagesbildValues = values({{ this.values_js }});
            layer.lagesbildFeatures = features;
            layer.lagesbildPrepare = values;
            layer.addData(features);
            layer.bindTooltip(function(l) {
                var i = l.feature.id, v = layer.lagesbildValues;
                var name = v.names === null || !v.names[i] ? l.feature.properties.area_id
                    : v.names[i];
                return "<b>" + name + "</b>" + (v.tips === null ? "" :
                    "<br>" + v.label + v.tips[i]) + v.foot;
            }, {sticky: true});
            layer.on("mouseover", function(e) { e.layer.setStyle({weight: 2.5, color: "#000"}); });
            layer.on("mouseout", function(e) { layer.resetStyle(e.layer); });
            return layer;
        })();
        {% endmacro %}
    """)

    def __init__(self, web: WebGeometry, values_js: str, *, encoding: str = "packed",
                 name: str | None = None, weight: float = 0.5) -> None:
        super().__init__(name=esc(name) if name else None, overlay=True, control=True)
        self._name = "FastGeoJson"
        if encoding == "packed":
            self.geometry_js, self.decode_fn = web.packed, _DECODE_PACKED
        elif encoding == "geojson":
            self.geometry_js, self.decode_fn = web.geojson, _DECODE_GEOJSON
        else:
            raise ValueError(f"unknown encoding {encoding!r}")
        self.values_js = values_js
        self.weight = float(weight)


# decodes `pack` output into GeoJSON features (id = position, properties.area_id)
_DECODE_PACKED = """(function(p) {
    var s = p.g, n = s.length, f = p.f, i = 0, lat = 0, lon = 0;
    var tla = [], tlo = [], feats = [], polys = [], rings = [], ring = [];
    var keys = "PREFIX_KEYS", parts = p.n ? p.ids.split("}") : [], ids = [], prev = "";
    for (var a = 0; a < parts.length; a++) {
        prev = prev.slice(0, keys.indexOf(parts[a].charAt(0))) + parts[a].slice(1);
        ids.push(prev);
    }
    function uint() {
        var r = 0, m = 1, b;
        do { b = s.charCodeAt(i++) - 63; r += (b & 31) * m; m *= 32; } while (b >= 32);
        return r;
    }
    function sint() { var u = uint(); return u % 2 ? -(u + 1) / 2 : u / 2; }
    function close(c) {
        if (ring.length) { ring.push(ring[0]); rings.push(ring); ring = []; }
        if (c !== 44 && rings.length) { polys.push(rings); rings = []; }
        if (c === 33) {
            var k = feats.length;
            feats.push({type: "Feature", id: k, properties: {area_id: ids[k]},
                        geometry: polys.length === 0 ? null : polys.length === 1 ?
                            {type: "Polygon", coordinates: polys[0]} :
                            {type: "MultiPolygon", coordinates: polys}});
            polys = [];
        }
    }
    while (i < n) {
        var c = s.charCodeAt(i);
        if (c === 33 || c === 59 || c === 44) { close(c); i++; }
        else if (c === 61) {
            i++;
            var k = tla.length - uint(), code = uint(), len = Math.floor(code / 2);
            var d = code % 2 ? -1 : 1;
            for (var j = 0; j < len; j++, k += d) { ring.push([tlo[k] / f, tla[k] / f]); }
            lat = tla[k - d]; lon = tlo[k - d];
        } else {
            lat += sint(); lon += sint(); tla.push(lat); tlo.push(lon);
            ring.push([lon / f, lat / f]);
        }
    }
    if (p.n) { close(33); }
    return feats;
})""".replace("PREFIX_KEYS", PREFIX_KEYS)

_DECODE_GEOJSON = """(function(p) {
    p.features.forEach(function(x, k) { x.id = k; });
    return p.features;
})"""


def _fmt(value: object, digits: int = 1) -> str:
    if value is None or pd.isna(value):
        return "–"
    return f"{float(value):,.{digits}f}".replace(",", "\u00a0").replace(".", ",")


def values_payload(web: WebGeometry, data: pd.DataFrame, *, title: str, scheme: str = "quantiles",
                   k: int = 5, colors: str = "YlOrRd", foot: str = "",
                   hide_missing: bool = False, digits: int = 1, tooltips: bool = True,
                   ) -> tuple[str, list[float], list[str]]:
    """(script-safe JSON for FastGeoJson, class breaks, palette) for `data` on `web`.

    `data` has area_id and value, optionally display (the value's text) and name. Areas of
    `web` without a row (or with a missing value) are drawn in MISSING, or hidden. Names,
    texts and the title are escaped here; `foot` is HTML and must be built from escaped text.
    """
    frame = data.copy()
    frame["area_id"] = frame["area_id"].astype(str)
    if frame["area_id"].duplicated().any():
        raise ValueError("duplicate area_id in data")
    frame = frame.set_index("area_id").reindex(web.ids)
    values = pd.to_numeric(frame["value"], errors="coerce")
    breaks = class_breaks(values, scheme=scheme, k=k)
    palette = color_brewer(colors, n=max(len(breaks), 3))[-len(breaks):] if breaks else []
    classes = class_of(values, breaks)
    codes = np.asarray(classes.fillna(len(palette)).to_numpy(dtype=np.int64) + 48)
    missing = values.isna().to_numpy()
    if hide_missing:
        codes[missing] = ord("-")
    c = codes.astype(np.uint8).tobytes().decode("ascii")
    names = tips = None
    if tooltips:
        if "name" in frame:
            names = ID_SEP.join(esc(v) if pd.notna(v) else "" for v in frame["name"])
        if "display" in frame:
            shown = [esc(d) if pd.notna(d) else esc(_fmt(v, digits))
                     for d, v in zip(frame["display"], values)]
        else:
            shown = [esc(_fmt(v, digits)) for v in values]
        tips = ID_SEP.join(shown)
    payload = {"pal": [*palette, MISSING], "c": c, "names": names, "tips": tips,
               "label": esc(title) + ": ", "foot": foot}
    return _js(payload), breaks, palette


def fast_choropleth(web: WebGeometry, data: pd.DataFrame, *, title: str, lang: str = "sv",
                    scheme: str = "quantiles", k: int = 5, colors: str = "YlOrRd",
                    source: str = "", period: str = "", note: str = "",
                    hide_missing: bool = False, encoding: str = "packed", digits: int = 1,
                    tooltips: bool = True) -> folium.Map:
    """A classed map of `data` (area_id, value[, display, name]) on the cached `web` geometry."""
    foot = ""
    if source or period:
        bits = [f"{esc(t('source', lang))}: {esc(source or '–')}"] if source else []
        if period:
            bits.append(esc(period))
        foot = "<br><small>" + "; ".join(bits) + "</small>"
    values_js, breaks, palette = values_payload(
        web, data, title=title, scheme=scheme, k=k, colors=colors, foot=foot,
        hide_missing=hide_missing, digits=digits, tooltips=tooltips)
    m = folium.Map(tiles=None, control_scale=True, prefer_canvas=True, zoom_snap=0.25)
    FastGeoJson(web, values_js, encoding=encoding, name=title).add_to(m)
    heading = f"{title}, {period}" if period else title
    Legend(legend_html(heading, breaks, palette, lang=lang, sites=False, note=note),
           lang).add_to(m)
    fit_area(m, *web.bounds)
    return m


# --------------------------------------------------------------------------- checks
