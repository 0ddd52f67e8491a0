"""What changed since the last meeting: two snapshots, or a snapshot and the live workspace.

Datasets, settings and layer files are compared by their provenance and content; figures are
compared as the meeting saw them: each side's protected display text from `layer_figures`, computed
with that side's own layers, taxonomy and settings. Raw counts never leave this module.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pandas as pd

from lagesbild.analysis.figures import layer_figures, periods
from lagesbild.analysis.pyramid import load_taxonomy
from lagesbild.frames import Frames, load_frames
from lagesbild.layers import load_layers
from lagesbild.settings import Settings
from lagesbild.snapshot import OpenedSnapshot, file_sha256, open_snapshot, settings_to_dict

COLUMNS = ["kind", "item", "area_id", "name", "period", "sex", "old", "new", "status", "changed"]
KINDS = ("dataset", "setting", "layer_file", "periods", "figure")
STATUSES = ("added", "removed", "replaced", "changed", "unchanged")
_PROVENANCE = ("table", "file", "rows", "rejected", "period", "imported_at")

Side = OpenedSnapshot | str | os.PathLike[str]


def compare_snapshots(old: Side, new: Side, *, sexes: tuple[str, ...] = ("T",)) -> pd.DataFrame:
    """One row per dataset, setting, layer file, layer's periods and figure, in COLUMNS.

    `status` is one of STATUSES and `changed` says whether it is anything but "unchanged".
    Figures are compared per layer for the latest period both sides have, per kommun and län and
    per sex in `sexes`; `old` and `new` are then the protected display texts ("<5", "dold", …).
    Paths are opened with checksum verification; pass `current_state(...)` for the live workspace.
    """
    a, b = _opened(old), _opened(new)
    fa = load_frames(a.workspace())
    same_data = _identity(a) == _identity(b)
    fb = fa if same_data else load_frames(b.workspace())
    rows = [*_datasets(fa.datasets, fb.datasets), *_settings(a, b), *_layer_files(a, b),
            *_figures(a, fa, b, fb, sexes, same_data=same_data)]
    out = pd.DataFrame(rows, columns=COLUMNS)
    out["changed"] = (out["status"] != "unchanged").astype(bool)
    return out


def _opened(side: Side) -> OpenedSnapshot:
    return side if isinstance(side, OpenedSnapshot) else open_snapshot(side, verify=True)


def _identity(side: OpenedSnapshot) -> tuple[object, ...]:
    """Equal for two sides whose figures must be equal: same data, taxonomy and settings."""
    data = side.workspace_sha256 or file_sha256(side.workspace_path)
    return (data, _hashes(side.layers_dir).get("pyramid.toml"),
            sorted(_comparable(side.settings).items()))


def _row(kind: str, item: str, old: object, new: object, status: str, *, area_id: str = "",
         name: str = "", period: str = "", sex: str = "") -> dict[str, object]:
    return {"kind": kind, "item": item, "area_id": area_id, "name": name, "period": period,
            "sex": sex, "old": "" if old is None else str(old),
            "new": "" if new is None else str(new), "status": status,
            "changed": status != "unchanged"}


def _status(old: object, new: object, *, differ: bool, changed: str = "changed") -> str:
    if old is None:
        return "added"
    if new is None:
        return "removed"
    return changed if differ else "unchanged"


def _datasets(old: pd.DataFrame, new: pd.DataFrame) -> list[dict[str, object]]:
    a = {str(r["dataset"]): r for _, r in old.iterrows()}
    b = {str(r["dataset"]): r for _, r in new.iterrows()}
    rows = []
    for name in sorted(set(a) | set(b)):
        ra, rb = a.get(name), b.get(name)
        differ = ra is not None and rb is not None and any(
            _text(ra[c]) != _text(rb[c]) for c in _PROVENANCE)
        rows.append(_row("dataset", name, _describe(ra), _describe(rb),
                         _status(ra, rb, differ=differ, changed="replaced"),
                         period=_text((rb if rb is not None else ra)["period"])))
    return rows


def _describe(row: pd.Series | None) -> str | None:
    if row is None:
        return None
    period = _text(row["period"])
    return (f"{_text(row['rows'])} rader" + (f", period {period}" if period else "")
            + f", importerad {_text(row['imported_at'])[:16].replace('T', ' ')}")


def _text(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _comparable(settings: Settings) -> dict[str, object]:
    """Settings without paths: those differ between any two snapshots (layer files are compared
    by content instead)."""
    return {k: v for k, v in settings_to_dict(settings).items()
            if not isinstance(getattr(settings, k), Path)}


def _settings(a: OpenedSnapshot, b: OpenedSnapshot) -> list[dict[str, object]]:
    sa, sb = _comparable(a.settings), _comparable(b.settings)
    return [_row("setting", key, sa.get(key), sb.get(key),
                 _status(sa.get(key), sb.get(key), differ=sa.get(key) != sb.get(key)))
            for key in sorted(set(sa) | set(sb))]


def _layer_files(a: OpenedSnapshot, b: OpenedSnapshot) -> list[dict[str, object]]:
    ha, hb = _hashes(a.layers_dir), _hashes(b.layers_dir)
    return [_row("layer_file", name, ha.get(name, "")[:12] or None, hb.get(name, "")[:12] or None,
                 _status(ha.get(name), hb.get(name), differ=ha.get(name) != hb.get(name)))
            for name in sorted(set(ha) | set(hb))]


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.glob("*.toml"))}


def _figures(a: OpenedSnapshot, fa: Frames, b: OpenedSnapshot, fb: Frames,
             sexes: tuple[str, ...], *, same_data: bool) -> list[dict[str, object]]:
    la, lb = load_layers(a.layers_dir), load_layers(b.layers_dir)
    ta = load_taxonomy(a.layers_dir / "pyramid.toml")
    tb = load_taxonomy(b.layers_dir / "pyramid.toml")
    rows = []
    for layer_id in [k for k in lb if k in la]:
        pa, pb = periods(fa, la[layer_id]), periods(fb, lb[layer_id])
        rows.append(_row("periods", layer_id, ", ".join(pa), ", ".join(pb),
                         _status(pa, pb, differ=pa != pb)))
        common = [p for p in pb if p in pa]
        if not common:
            continue
        period = common[-1]
        for sex in sexes:
            old = layer_figures(fa, la[layer_id], period=period, sex=sex, taxonomy=ta,
                                settings=a.settings).set_index("area_id")
            new = old if same_data and la[layer_id] == lb[layer_id] else layer_figures(
                fb, lb[layer_id], period=period, sex=sex, taxonomy=tb,
                settings=b.settings).set_index("area_id")
            for area in [*new.index, *(i for i in old.index if i not in new.index)]:
                da = old.at[area, "display"] if area in old.index else None
                db = new.at[area, "display"] if area in new.index else None
                name = (new if area in new.index else old).at[area, "name"]
                rows.append(_row("figure", layer_id, da, db, _status(da, db, differ=da != db),
                                 area_id=str(area), name=str(name), period=period, sex=sex))
    return rows
