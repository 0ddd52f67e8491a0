"""The layer files, cached: the layers (shared and the workspace's own), the taxonomy and the
indicator metadata, reloaded when a file changes (`layers_stamp`, looked up at most once a
second), and the layers an access level may see."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import streamlit as st

from lagesbild.core.layers import LayerSpec, load_indicator_meta, load_layers
from lagesbild.core.settings import Settings
from lagesbild.core.taxonomy import Taxonomy, load_taxonomy


@st.cache_resource(show_spinner=False)
def _specs(layers_dir: str, stamp: float, own: str = ""
           ) -> tuple[dict[str, LayerSpec], Taxonomy, dict[str, Any]]:
    directory = Path(layers_dir)
    meta = load_indicator_meta(directory, own or None)
    return (load_layers(directory, own=own or None), load_taxonomy(directory / "pyramid.toml"),
            meta)


def layers_stamp(settings: Settings) -> float:
    """The newest change to a layer file, shared or the workspace's own (a cache key).
    Looked up at most once a second per pair of folders: every run of every session asks, and
    globbing the folders cost 7 % of the server's time with 40 sessions at once."""
    folders = (str(settings.layers_dir), str(settings.own_layers_dir or ""))
    now = time.monotonic()
    found = _STAMPS.get(folders)
    if found is None or now - found[0] > STAMP_TTL_S:
        stamp = max((p.stat().st_mtime for d in folders if d for p in Path(d).glob("*.toml")),
                    default=0.0)
        found = _STAMPS[folders] = (now, stamp)
    return found[1]


STAMP_TTL_S = 1.0
_STAMPS: dict[tuple[str, str], tuple[float, float]] = {}


def forget_layer_stamps() -> None:
    """After this process wrote a layer file: the next `layers_stamp` looks again."""
    _STAMPS.clear()


def settings_specs(settings: Settings, stamp: float, level: str
                   ) -> tuple[dict[str, LayerSpec], Taxonomy, dict[str, Any]]:
    """The layers (shared and the workspace's own) an access `level` may see (`Access.level`:
    "protected" drops the police-only layers), taxonomy and indicator metadata."""
    found, taxonomy, meta = _specs(str(settings.layers_dir), stamp,
                                   str(settings.own_layers_dir or ""))
    if level != "police":
        found = {k: s for k, s in found.items() if s.audience != "police"}
    return found, taxonomy, meta
