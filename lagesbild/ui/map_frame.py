"""The map's frame on a page: drawn once per session, restyled in place on a filter change.

`st_folium` keys its component with a hash of the map's script, so every filter change mounts
a new frame: the browser loads Leaflet and its plugins again and draws every path anew (most
of a second on a laptop). Here the component's key is the map's restyle signature (its areas
and sites, see `render.web_restyle`): a change that only recolours the map keeps the frame,
and the new colours, tooltips and legend reach it through the component's `feature_group`
argument, which streamlit-folium evaluates in the frame whenever it changes (on the first
draw too, so a frame mounted later shows the current choice). The script sent is the first
one seen for that signature, so the arguments stay the same apart from that update.

Once the frame holds the map, a rerun does not send the map's script again: while the frame's
widget state is alive (Streamlit keeps it for a component rendered in the last completed run
and drops it otherwise, e.g. after a page switch) and the element stays where it was (another
element appearing above it makes Streamlit mount a new frame), the script argument is
`REMOUNT`, a few lines the frame runs only when it is mounted anew and has no map yet. That
happens only where the position could not be told (`_where`): it draws an empty map and asks
for the map again (`{"lagesbild_remount": true}` as the component's value), and the rerun that
follows sends the whole script under a new frame key. So a filter change sends only the new
colours, tooltips and legend, never the geometry.

The full re-render stays available, for the benchmark and as a way out: LAGESBILD_MAP_REDRAW=full
for the whole server, or `?redraw=full` in the address for one session.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from typing import Any

import streamlit as st

# what st_folium can return, in its order
_RETURNS = ("last_clicked", "last_object_clicked", "last_object_clicked_count",
            "last_object_clicked_tooltip", "last_object_clicked_popup", "all_drawings",
            "last_active_drawing", "bounds", "zoom", "last_circle_radius", "last_circle_polygon",
            "selected_layers", "selected_tags", "last_geocoder_result")
# signature -> the first payload seen for it (its script, html, header and id belong together)
_BASE: OrderedDict[str, dict] = OrderedDict()
_BASE_SIZE = 64
_LOCK = threading.Lock()  # sessions run their scripts in threads of their own


# the frame's script while it already holds the map (see the module docstring)
REMOUNT = """var map_div = L.map("map_div", {attributionControl: false, zoomControl: false})
    .setView([62.5, 16.5], 4);
window.Streamlit.setComponentValue({"lagesbild_remount": true});
"""
_GEN = "_map_frame_gen_"  # session-state prefix: a key's frame generation (bumped on a remount)
_AT = "_map_frame_at_"  # session-state prefix: where the key's frame was last put on the page


def full_redraw() -> bool:
    """True when every change re-renders the whole map (server switch or this session's)."""
    if os.environ.get("LAGESBILD_MAP_REDRAW", "").lower() == "full":
        return True
    if st.query_params.get("redraw") == "full":
        st.session_state["_map_redraw_full"] = True
    return bool(st.session_state.get("_map_redraw_full"))


def _base(signature: str, payload: dict) -> dict:
    with _LOCK:
        return _base_locked(signature, payload)


def _base_locked(signature: str, payload: dict) -> dict:
    if signature in _BASE:
        _BASE.move_to_end(signature)
        return _BASE[signature]
    _BASE[signature] = {k: payload[k] for k in ("script", "html", "header", "id")}
    while len(_BASE) > _BASE_SIZE:
        _BASE.popitem(last=False)
    return _BASE[signature]


def st_map(payload: dict, *, key: str, height: int, returned_objects: list[str]) -> Any:
    """Show a `ui.folium_payload` map as `st_folium(m, key=key, height=height,
    use_container_width=True, returned_objects=returned_objects)` would (streamlit-folium
    0.27's component and arguments), restyling the frame already shown where it can."""
    import streamlit_folium as sf

    restyle = payload.get("restyle")
    if restyle is None or full_redraw():
        hashes = payload.setdefault("hashes", {})
        if key not in hashes:  # as st_folium makes it: a hash of the script
            hashes[key] = sf.generate_js_hash(payload["script"], key, False)
        hash_key, base, update = hashes[key], payload, None
    else:
        base, update = _base(restyle["signature"], payload), restyle["script"]
        hash_key, mounted = _frame(key, restyle["signature"])
        if mounted:
            base = {**base, "script": REMOUNT}
    defaults = {k: payload[k] if k in ("bounds", "zoom") else None for k in _RETURNS
                if k in returned_objects}

    def on_change() -> None:
        st.session_state[key] = st.session_state.get(hash_key, {})

    return sf._component_func(
        script=base["script"], header=base["header"], html=base["html"],
        id=base["id"], key=hash_key, height=height, width=None,
        returned_objects=returned_objects, default=defaults, zoom=None, center=None,
        feature_group=update, return_on_hover=False, layer_control=None, pixelated=False,
        css_links=payload["css_links"], js_links=payload["js_links"], on_change=on_change,
        wrap_longitude=False)


def _frame_key(key: str, signature: str, generation: int) -> str:
    return hashlib.sha256(f"{key}|{signature}|{generation}".encode()).hexdigest()


def _frame(key: str, signature: str) -> tuple[str, bool]:
    """The frame key for the map of `signature` under `key`, and whether that frame holds the
    map already (its widget state survived the last run). A frame that asked for the map again
    gets a new key: a new frame, drawn from the whole script."""
    generation = st.session_state.get(_GEN + key, 0)
    hash_key = _frame_key(key, signature, generation)
    value = st.session_state.get(hash_key) if hash_key in st.session_state else None
    asked = isinstance(value, dict) and bool(value.get("lagesbild_remount"))
    if asked:
        st.session_state[_GEN + key] = generation + 1
        hash_key = _frame_key(key, signature, generation + 1)
    where, before = _where(), st.session_state.get(_AT + key)
    st.session_state[_AT + key] = (hash_key, where)
    # Streamlit mounts a new frame where the element moved (another element appeared above it)
    moved = where is None or before != (hash_key, where)
    return hash_key, not asked and not moved and hash_key in st.session_state


def _where() -> tuple | None:
    """The position the next element takes on the page (its delta path), None if unknown."""
    try:
        cursor = st._main._active_dg._cursor
        return (cursor.root_container, tuple(cursor.parent_path), cursor.index)
    except Exception:  # noqa: BLE001 - Streamlit internals: then a moved frame asks again
        return None
