"""The choropleth: kommun values by class with escaped tooltips, a legend and programme sites."""

from __future__ import annotations

import json
from dataclasses import dataclass

import folium
import folium.elements
import folium.features
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from branca.utilities import color_brewer
from folium.utilities import get_obj_in_upper_tree
from jinja2 import Template

from lagesbild.analysis.classify import class_breaks, class_of
from lagesbild.core import schema
from lagesbild.core.i18n import sex_label, t
from lagesbild.core.layers import LayerSpec
from lagesbild.render.escape import esc
from lagesbild.render.map_fit import fit_area

MISSING = "#d9d9d9"
# a map at least this wide opens with its legend expanded; a narrower one (the Karta page's
# column on a 1366 × 768 laptop is about 600 px) with the legend folded to its heading
LEGEND_WIDE_PX = 760
STATUS_COLORS = {"genomförs": "#1a9641", "planerad": "#fdae61", "avslutad": "#7b3294",
                 "ej startad": "#d7191c", "inget program": "#8c8c8c"}


def web_geometry(areas: gpd.GeoDataFrame, *, tolerance: float = 150.0, digits: int = 5
                 ) -> gpd.GeoDataFrame:
    """Areas for the browser: simplified as a coverage (shared borders stay shared), WGS84, rounded."""
    simplified = shapely.coverage_simplify(areas.geometry.values, tolerance)
    out = gpd.GeoDataFrame(areas.drop(columns="geometry"), geometry=simplified,
                           crs=areas.crs).to_crs(schema.CRS_WEB)
    out["geometry"] = shapely.transform(out.geometry.values, lambda xy: np.round(xy, digits))
    return out


def _fmt(value: object, digits: int = 1, lang: str = "sv") -> str:
    """A number the way the language writes it: "1 234,5" (Swedish) or "1,234.5" (English)."""
    if value is None or pd.isna(value):
        return "–"
    text = f"{float(value):,.{digits}f}"
    return text if lang == "en" else text.replace(",", "\u00a0").replace(".", ",")


def tooltip_html(row: pd.Series, spec: LayerSpec, *, lang: str) -> str:
    """Escaped tooltip: name, value, interval, note, source and period."""
    return _tips(spec, lang)(row["name"], row["display"], row["ci_low"], row["ci_high"],
                             row.get("note"), row["source"], row["period"], row["sex"])


def _tips(spec: LayerSpec, lang: str):  # noqa: ANN202 - a closure over the translated labels
    """The tooltip builder for one layer and language: the labels are translated once."""
    title, ci, source_label = esc(spec.title(lang)), esc(t("ci", lang)), esc(t("source", lang))
    period_label = esc(t("period", lang).lower())

    def tip(name: object, display: object, ci_low: object, ci_high: object, note: object,
            source: object, period: object, sex: str) -> str:
        parts = [f"<b>{esc(name)}</b>", f"{title}: {esc(display)}"]
        if pd.notna(ci_low) and pd.notna(ci_high):
            parts.append(f"{ci}: {esc(_fmt(ci_low, lang=lang))}–{esc(_fmt(ci_high, lang=lang))}")
        if note:
            parts.append(f"<i>{esc(note)}</i>")
        parts.append(f"<small>{source_label}: {esc(source or '–')}; "
                     f"{period_label} {esc(period)}, {esc(sex_label(sex, lang).lower())}</small>")
        return "<br>".join(parts)

    return tip


class Legend(MacroElement):
    """A Leaflet control holding pre-escaped legend HTML, passed to JS as a JSON string.

    The legend folds: a <details> whose <summary> ("Teckenförklaring"/"Legend") is a button
    for the keyboard and screen readers. It opens expanded on a map at least `WIDE_PX` wide
    and collapsed on a narrower one (a laptop's column), until the user opens or closes it.
    Its contents (`.lagesbild-legend`) are what a restyle replaces; the fold stays as it is.
    The map's fit always leaves room for the expanded legend (`map_fit.FitArea`).
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            var legend = L.control({position: "topright"});
            legend.onAdd = function() {
                var box = L.DomUtil.create("details", "lagesbild-legend-box");
                var head = L.DomUtil.create("summary", "", box);
                head.textContent = {{ this.label_json }};
                var div = L.DomUtil.create("div", "lagesbild-legend", box);
                div.innerHTML = {{ this.html_json }};
                // clicks and the wheel on the legend neither zoom nor count as moving the map
                L.DomEvent.disableClickPropagation(box);
                L.DomEvent.disableScrollPropagation(box);
                var chosen = false;  // by the user (a click, or Enter/Space on the summary)
                head.addEventListener("click", function() { chosen = true; });
                function initial() {
                    var width = map.getSize().x;
                    if (!chosen && width > 0) { box.open = width >= {{ this.wide_px }}; }
                }
                box.open = true;  // until the map has a size
                initial();
                map.on("resize", initial);
                window.addEventListener("load", initial);
                if (window.ResizeObserver) {
                    new ResizeObserver(initial).observe(map.getContainer());
                }
                return box;
            };
            legend.addTo(map);
        })();
        {% endmacro %}
    """)

    def __init__(self, html: str, lang: str = "sv") -> None:
        super().__init__()
        self._name = "Legend"
        self.html_json = json.dumps(html).replace("</", "<\\/")
        self.label_json = json.dumps(t("legend", lang)).replace("</", "<\\/")
        self.wide_px = LEGEND_WIDE_PX


def legend_html(title: str, breaks: list[float], colors: list[str], *, lang: str,
                sites: bool, note: str = "") -> str:
    rows = [f"<div style='font-weight:600;margin-bottom:4px;max-width:220px'>{esc(title)}</div>"]
    low = None
    for upper, color in zip(breaks, colors):
        label = f"≤ {_fmt(upper, lang=lang)}" if low is None else \
            f"{_fmt(low, lang=lang)} – {_fmt(upper, lang=lang)}"
        rows.append(f"<div><span style='background:{color}' class='sw'></span>{esc(label)}</div>")
        low = upper
    rows.append(f"<div><span style='background:{MISSING}' class='sw'></span>{esc(t('no_data', lang))}</div>")
    if note:
        rows.append(f"<div style='max-width:240px;margin-top:4px;font-style:italic'>{esc(note)}</div>")
    if sites:
        rows.append(_sites_legend(lang))
    return _LEGEND_STYLE + "".join(rows)


_LEGEND_STYLE = (
    "<style>.lagesbild-legend-box{background:#fff;padding:5px 7px;font:11px sans-serif;"
    "border-radius:4px;box-shadow:0 0 4px rgba(0,0,0,.3)}"
    ".lagesbild-legend-box>summary{cursor:pointer;font-weight:600;color:#333}"
    ".lagesbild-legend-box>summary:focus-visible{outline:2px solid #1a5fb4;outline-offset:2px}"
    ".lagesbild-legend{margin-top:4px}.lagesbild-legend .sw{display:inline-block;"
    "width:12px;height:12px;margin-right:6px;vertical-align:middle;border:1px solid #777}</style>")


def _sites_legend(lang: str) -> str:
    rows = [f"<div style='margin-top:4px;font-weight:600'>{esc(t('site_status', lang))}</div>"]
    for status, color in STATUS_COLORS.items():
        rows.append(f"<div><span style='background:{color};border-radius:50%' class='sw'></span>"
                    f"{esc(t('status_' + status, lang))}</div>")
    return "".join(rows)


def choropleth(figures: pd.DataFrame, geometry: gpd.GeoDataFrame, spec: LayerSpec, *,
               lang: str = "sv", sites: gpd.GeoDataFrame | SiteLayer | None = None,
               title: str | None = None, note: str = "",
               level: str = schema.AreaLevel.KOMMUN.value) -> folium.Map:
    """Map of the `level` rows of `figures` (layer_figures output) on web `geometry`.

    `sites` (optional) has name, kind, status, programme and geometry (or is their `site_layer`);
    drawn as true-position circles because schools are public places, never incident points.
    """
    shown = figures[figures["level"] == level]
    data = geometry[["area_id", "geometry"]].merge(shown, on="area_id", how="inner")
    breaks = class_breaks(data["value"], scheme=spec.scheme, k=spec.k)
    palette = color_brewer(spec.colors, n=max(len(breaks), 3))[-len(breaks):] if breaks else []
    classes = class_of(data["value"], breaks)
    fills = [palette[int(c)] if pd.notna(c) else MISSING for c in classes]
    period = figures["period"].iloc[0] if len(figures) else ""
    sex = figures["sex"].iloc[0] if len(figures) else "T"
    heading = f"{title or spec.title(lang)}, {period}, {sex_label(sex, lang).lower()}"
    tip = _tips(spec, lang)
    notes = data["note"] if "note" in data.columns else [None] * len(data)
    tips = [tip(*values) for values in zip(data["name"], data["display"], data["ci_low"],
                                            data["ci_high"], notes, data["source"],
                                            data["period"], data["sex"])]
    has_sites = sites is not None and len(sites) > 0
    return _draw(data, fills, tips, layer_name=spec.title(lang), sites=sites, lang=lang,
                 legend=legend_html(heading, breaks, palette, lang=lang, sites=has_sites,
                                    note=note))


def category_tip(name: str, lines: list[str], *, source: str, period: str, lang: str) -> str:
    """Escaped tooltip for a category view: name, text lines, source and period."""
    parts = [f"<b>{esc(name)}</b>", *(esc(line) for line in lines if line)]
    parts.append(f"<small>{esc(t('source', lang))}: {esc(source or '–')}; "
                 f"{esc(t('period', lang).lower())} {esc(period)}</small>")
    return "<br>".join(parts)


def view_map(view: object, geometry: gpd.GeoDataFrame, spec: LayerSpec, *, lang: str = "sv",
             sites: gpd.GeoDataFrame | SiteLayer | None = None) -> folium.Map:
    """The map of an `analysis.map_views.MapView`: classed values or categories."""
    from lagesbild.analysis.map_views import MapView

    assert isinstance(view, MapView)
    note = " ".join(x for x in (view.note, view.summary) if x)  # the caveat, then the flags
    if view.figures is not None:
        return choropleth(view.figures, geometry, spec, lang=lang, sites=sites,
                          title=view.title, note=note, level=view.level)
    rows = view.categories if view.categories is not None else pd.DataFrame(
        columns=["area_id", "name", "category", "lines", "source"])
    tips = [category_tip(n, lines, source=src, period=view.period, lang=lang)
            for n, lines, src in zip(rows["name"], rows["lines"], rows["source"])]
    return category_map(rows, geometry, title=view.title, legend=view.legend, tips=tips,
                        lang=lang, note=note, sites=sites)


def category_map(rows: pd.DataFrame, geometry: gpd.GeoDataFrame, *, title: str,
                 legend: list[tuple[str, str, str]], tips: list[str], lang: str = "sv",
                 note: str = "", sites: gpd.GeoDataFrame | SiteLayer | None = None) -> folium.Map:
    """Areas coloured by a category (hot spot class, change verdict …), not by classed values.

    `rows` has area_id, name and `category` (a key of `legend`: (key, label, colour)); `tips`
    are escaped tooltip HTML per row. `note` (a caveat) is shown under the legend.
    """
    data = geometry[["area_id", "geometry"]].merge(rows, on="area_id", how="inner")
    colors = {key: color for key, _, color in legend}
    fills = [colors.get(str(c), MISSING) for c in data["category"]]
    by_area = dict(zip(rows["area_id"], tips))
    html = [f"<div style='font-weight:600;margin-bottom:4px;max-width:240px'>{esc(title)}</div>"]
    for key, label, color in legend:
        html.append(f"<div><span style='background:{color}' class='sw'></span>{esc(label)}</div>")
    if note:
        html.append(f"<div style='max-width:240px;margin-top:4px;font-style:italic'>{esc(note)}</div>")
    has_sites = sites is not None and len(sites) > 0
    if has_sites:
        html.append(_sites_legend(lang))
    return _draw(data, fills, [by_area[a] for a in data["area_id"]], layer_name=title,
                 sites=sites, lang=lang, legend=_LEGEND_STYLE + "".join(html))


def _draw(data: gpd.GeoDataFrame, fills: list[str], tips: list[str], *, layer_name: str,
          sites: gpd.GeoDataFrame | SiteLayer | None, lang: str, legend: str) -> folium.Map:
    geoms = np.asarray(data.geometry.values, dtype=object)
    features = _collection(geoms, {"area_id": [esc(str(a)) for a in data["area_id"]],
                                   "name": [esc(n) for n in data["name"]],
                                   "fill": list(fills), "tip": list(tips)})
    m = folium.Map(tiles=None, control_scale=True, prefer_canvas=False, zoom_snap=0.25)
    _Features(
        features, geoms, style_property="fill", name=esc(layer_name),
        style_function=lambda f: {"fillColor": f["properties"]["fill"], "color": "#444",
                                  "weight": 1, "fillOpacity": 0.8},
        highlight_function=lambda f: {"weight": 3, "color": "#000"},
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False, sticky=True),
    ).add_to(m)
    if sites is not None and len(sites):
        _add_sites(m, sites, lang=lang)
    Legend(legend, lang).add_to(m)
    if len(geoms):
        fit_area(m, *shapely.total_bounds(geoms))
    return m


@dataclass(frozen=True, eq=False)
class SiteLayer:
    """Programme sites ready to draw: their features (escaped tooltips) built once, for reuse
    by every map that shows the same status table in the same language."""

    data: dict
    geoms: np.ndarray
    label: str

    def __len__(self) -> int:
        return len(self.data["features"])


def site_layer(sites: gpd.GeoDataFrame, *, lang: str) -> SiteLayer:
    """`sites` (name, kind, status, programme, geometry) as map features with escaped tooltips."""
    pts = sites.to_crs(schema.CRS_WEB)
    label = esc(t("site_status", lang))
    programmes = pts["programme"] if "programme" in pts.columns else [None] * len(pts)
    tips = [
        f"<b>{esc(name)}</b><br>{esc(kind)}<br>{label}: "
        f"{esc(t('status_' + status, lang) if ('status_' + status) in _STATUS_KEYS else status)}"
        + (f" ({esc(programme)})" if programme else "")
        for name, kind, status, programme in zip(pts["name"], pts["kind"], pts["status"],
                                                 programmes)]
    geoms = np.asarray(pts.geometry.values, dtype=object)
    return SiteLayer(_collection(geoms, {
        "name": [esc(n) for n in pts["name"]],
        "color": [STATUS_COLORS.get(s, "#8c8c8c") for s in pts["status"]], "tip": tips}),
        geoms, label)


def _add_sites(m: folium.Map, sites: gpd.GeoDataFrame | SiteLayer, *, lang: str) -> None:
    layer = sites if isinstance(sites, SiteLayer) else site_layer(sites, lang=lang)
    _Features(
        layer.data, layer.geoms, style_property="color", name=layer.label,
        marker=folium.CircleMarker(radius=6, weight=1, fill=True, fill_opacity=0.9),
        style_function=lambda f: {"fillColor": f["properties"]["color"], "color": "#222"},
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
    ).add_to(m)


def _collection(geoms: np.ndarray, properties: dict[str, list]) -> dict:
    """What geopandas' __geo_interface__ gives for these geometries and properties (ids "0",
    "1", ..., bounding boxes), built directly: the same page, without a GeoDataFrame per map."""
    keys = list(properties)
    features = []
    for i, (g, values) in enumerate(zip(geoms, zip(*properties.values()))):
        present = g is not None and not g.is_empty
        features.append({"id": str(i), "type": "Feature", "properties": dict(zip(keys, values)),
                         "geometry": g.__geo_interface__ if present else None,
                         "bbox": g.bounds if present else None})
    bounds = shapely.total_bounds(geoms) if len(geoms) else np.full(4, np.nan)
    return {"type": "FeatureCollection", "features": features, "bbox": tuple(bounds.tolist())}


class _Features(folium.GeoJson):
    """folium.GeoJson whose style depends on one property only, with known bounds.

    The page is the same as folium's: the style maps are grouped by that property's value (one
    style_function call per value instead of one json.dumps per feature) and the bounds come
    from the geometry instead of a walk over every coordinate.
    """

    def __init__(self, data: dict, geoms: np.ndarray, *, style_property: str, **kwargs: object
                 ) -> None:
        super().__init__(data, **kwargs)
        self._style_property = style_property
        if len(geoms) and not shapely.is_missing(geoms).all():
            minx, miny, maxx, maxy = (float(v) for v in shapely.total_bounds(geoms))
            self._bounds = [[miny, minx], [maxy, maxx]]
        else:
            self._bounds = [[None, None], [None, None]]

    def _get_self_bounds(self) -> list[list[float | None]]:
        return self._bounds

    def _grouped(self, func: object) -> dict:
        mapping: dict[str, list[str]] = {}
        keys: dict[object, str] = {}
        for feature in self.data["features"]:
            value = feature["properties"][self._style_property]
            if value not in keys:
                keys[value] = folium.features.GeoJsonStyleMapper._to_key(func(feature))
            mapping.setdefault(keys[value], []).append(feature["id"])
        folium.features.GeoJsonStyleMapper._set_default_key(mapping)
        return mapping

    def render(self, **kwargs: object) -> None:
        self.parent_map = get_obj_in_upper_tree(self, folium.Map)
        restyle(self)
        folium.map.Layer.render(self, **kwargs)  # GeoJson.render without its own style mapping


def restyle(layer: folium.GeoJson) -> None:
    """The style (and highlight) maps of a GeoJson layer's full data, as GeoJson.render makes them."""
    if not ((layer.style or layer.highlight) and layer.data["features"]):
        return
    if isinstance(layer, _Features) and layer.feature_identifier == "feature.id":
        layer.style_map = layer._grouped(layer.style_function)
        if layer.highlight:
            layer.highlight_map = layer._grouped(layer.highlight_function)
        return
    mapper = folium.features.GeoJsonStyleMapper(layer.data, layer.feature_identifier, layer)
    if layer.style:
        layer.style_map = mapper.get_style_map(layer.style_function)
    if layer.highlight:
        layer.highlight_map = mapper.get_highlight_map(layer.highlight_function)


_STATUS_KEYS = {f"status_{s}" for s in STATUS_COLORS}
