"""The two sides of a 'what changed since the last meeting' comparison, loaded from snapshots or
the live workspace: data, layers, taxonomy, settings and layer-file checksums, each as that side
had them. The comparison itself is `analysis.snapshot_diff.compare_snapshots`:

    compare_snapshots(*load_sides(old, new))
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lagesbild.core.frames import Frames
from lagesbild.core.layers import LayerSpec, load_layers
from lagesbild.core.settings import Settings
from lagesbild.core.taxonomy import Taxonomy, load_taxonomy
from lagesbild.store.frames import load_frames
from lagesbild.store.snapshot import OpenedSnapshot, open_snapshot, settings_to_dict
from lagesbild.store.snapshot_copy import file_sha256

Side = OpenedSnapshot | str | os.PathLike[str]


@dataclass(frozen=True)
class SnapshotSide:
    """One side as the meeting saw it (satisfies `analysis.snapshot_diff.ComparedSide`)."""

    frames: Frames
    layers: dict[str, LayerSpec]
    taxonomy: Taxonomy
    settings: Settings
    settings_compared: dict[str, Any]  # settings without paths (those differ between any two)
    layer_hashes: dict[str, str]  # layer file name -> SHA-256
    identity: tuple[object, ...]  # equal for two sides whose figures must be equal


def load_sides(old: Side, new: Side) -> tuple[SnapshotSide, SnapshotSide]:
    """Both sides, opened with checksum verification when given as paths; pass
    `current_state(...)` for the live workspace. Two sides with the same data, taxonomy and
    settings share one loaded copy of the data."""
    a, b = _opened(old), _opened(new)
    ia, ib = _identity(a), _identity(b)
    fa = load_frames(a.workspace())
    fb = fa if ia == ib else load_frames(b.workspace())
    return _side(a, fa, ia), _side(b, fb, ib)


def _side(opened: OpenedSnapshot, frames: Frames, identity: tuple[object, ...]) -> SnapshotSide:
    own = opened.settings.own_layers_dir
    return SnapshotSide(frames=frames, layers=load_layers(opened.layers_dir, own=own),
                        taxonomy=load_taxonomy(opened.layers_dir / "pyramid.toml"),
                        settings=opened.settings, settings_compared=_comparable(opened.settings),
                        layer_hashes={**_hashes(opened.layers_dir), **(_hashes(own) if own else {})},
                        identity=identity)


def _opened(side: Side) -> OpenedSnapshot:
    return side if isinstance(side, OpenedSnapshot) else open_snapshot(side, verify=True)


def _identity(side: OpenedSnapshot) -> tuple[object, ...]:
    """Equal for two sides whose figures must be equal: same data, taxonomy and settings."""
    data = side.workspace_sha256 or (side.workspace().key if side.live_location
                                     else file_sha256(side.workspace_path))
    return (data, _hashes(side.layers_dir).get("pyramid.toml"),
            sorted(_comparable(side.settings).items()))


def _comparable(settings: Settings) -> dict[str, object]:
    """Settings without paths: those differ between any two snapshots (layer files are compared
    by content instead)."""
    return {k: v for k, v in settings_to_dict(settings).items()
            if not isinstance(getattr(settings, k), Path) and k != "own_layers_dir"}


def _hashes(folder: Path) -> dict[str, str]:  # (a folder not there has none)
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.glob("*.toml"))}
