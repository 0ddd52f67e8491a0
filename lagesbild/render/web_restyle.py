"""Redraw a map in the browser without rebuilding it: what changed between two folium maps of
the same areas (colours, tooltips, legend), as one script for the map already on the page.

A filter change (another sex, period, view or layer) gives a map with the same features in the
same order: only each feature's style and tooltip text and the legend differ. Rebuilding the
whole Leaflet map for it (a new frame, Leaflet and its plugins loaded again, every path drawn
anew) costs the user most of a second. `restyle_update(m)` returns

- `signature`: a hash of what the map draws that a restyle cannot change (per GeoJSON layer:
  its features' ids, the area or site each stands for and its geometry). Two maps with the same
  signature differ only in what `script` changes;
- `script`: JavaScript that, run in the frame of any map of that signature (`window.map`, the
  Leaflet map streamlit-folium keeps), gives every feature of every GeoJSON layer the new
  properties (`fill`/`color`, `tip`) and style, makes that style the layer's style (so that
  Leaflet's `resetStyle` after a hover keeps it), and puts the new legend HTML in the legend.

The big map's layer (`render.web_layer.FastGeoJson`: packed geometry on a canvas) is restyled
the same way: its signature is its geometry (the packed text, which holds the area ids), and
the script hands it the new value table (palette, classes, escaped names and value texts, the
escaped tooltip foot) and redraws it from the features it decoded once; the geometry, a few
megabytes for every DeSO, is not sent again.

Everything in the script comes from the built map, already escaped by `render.map` (tooltips,
names and the legend are `esc`-aped HTML), and is passed as JSON written safely for a script
(`web_pack._js`: "</" as "<\\/", U+2028/9 escaped). Nothing is turned into HTML that the full
map would not show the same way: a tooltip is still built by folium's GeoJsonTooltip from
`feature.properties.tip`.
"""

from __future__ import annotations

import hashlib
import json

import folium

from lagesbild.render.map import Legend
from lagesbild.render.web_layer import FastGeoJson
from lagesbild.render.web_pack import _js

# the feature properties a restyle may change; every other property is part of the signature
CHANGING = ("fill", "color", "tip")

_SCRIPT = """(function(u) {
    var map = window.map;
    if (!map || !window.L) { return; }
    var layers = [];
    map.eachLayer(function(layer) {
        if (layer instanceof L.GeoJSON && layers.indexOf(layer) < 0) { layers.push(layer); }
    });
    if (layers.length !== u.layers.length) { return; }
    layers.forEach(function(layer, i) {
        var part = u.layers[i], styles = {};
        if (part.fast !== undefined) {
            var was = layer.lagesbildValues, v = part.fast;
            if (!layer.lagesbildPrepare) { return; }
            if (was.c === v.c && was.pal.join() === v.pal.join() && was.label === v.label
                    && was.foot === v.foot && was.rawNames === v.names
                    && was.rawTips === v.tips) { return; }  // the map as drawn (a first draw)
            layer.lagesbildValues = layer.lagesbildPrepare(v);
            var hidden = function(c) { return c.replace(/[^-]/g, "."); };
            if (hidden(was.c) === hidden(v.c)) {
                layer.eachLayer(function(f) { layer.resetStyle(f); });  // the same features
            } else {
                layer.clearLayers();
                layer.addData(layer.lagesbildFeatures);
            }
            return;
        }
        layer.eachLayer(function(f) {
            var k = f.feature && part.index[f.feature.id];
            if (k === undefined) { return; }
            var props = f.feature.properties;
            part.keys.forEach(function(key, j) { props[key] = part.values[j][k]; });
            styles[f.feature.id] = part.styles[part.style[k]];
        });
        layer.options.style = function(feature) { return styles[feature.id] || {}; };
        layer.eachLayer(function(f) { layer.resetStyle(f); });
    });
    var legend = map.getContainer().querySelector(".lagesbild-legend");
    if (legend && u.legend !== null) { legend.innerHTML = u.legend; }
    window.__lagesbild_restyled = (window.__lagesbild_restyled || 0) + 1;
})(%s);
"""


def _layers(m: folium.Map) -> list[folium.GeoJson | FastGeoJson]:
    return [c for c in m._children.values() if isinstance(c, (folium.GeoJson, FastGeoJson))]


def restyle_update(m: folium.Map) -> dict[str, str]:
    """{"signature": ..., "script": ...} for the folium map `m` (see the module docstring)."""
    digest = hashlib.sha256()
    layers = []
    for layer in _layers(m):
        if isinstance(layer, FastGeoJson):
            digest.update(json.dumps(["fast", layer.decode_fn, layer.weight]).encode())
            digest.update(layer.geometry_js.encode())
            digest.update(b"|layer|")
            layers.append({"fast": json.loads(layer.values_js)})
            continue
        features = layer.data["features"]
        keys = [k for k in CHANGING if features and k in features[0]["properties"]]
        styles: list[dict] = []
        seen: dict[str, int] = {}
        style_of = []
        for feature in features:
            style = layer.style_function(feature) if layer.style else {}
            text = json.dumps(style, sort_keys=True)
            style_of.append(seen.setdefault(text, len(seen)))
            if style_of[-1] == len(styles):
                styles.append(style)
            fixed = {k: v for k, v in feature["properties"].items() if k not in CHANGING}
            digest.update(json.dumps([feature.get("id"), fixed, feature.get("geometry")],
                                     sort_keys=True, default=str).encode())
        digest.update(b"|layer|")
        layers.append({"index": {str(f.get("id")): i for i, f in enumerate(features)},
                       "keys": keys,
                       "values": [[f["properties"][k] for f in features] for k in keys],
                       "styles": styles, "style": style_of})
    legends = [c for c in m._children.values() if isinstance(c, Legend)]
    legend = json.loads(legends[0].html_json) if legends else None
    digest.update(str(legend is not None).encode())
    payload = {"layers": layers, "legend": legend}
    return {"signature": digest.hexdigest()[:20], "script": _SCRIPT % _js(payload)}
