"""What changed since the last meeting: two loaded sides (snapshots, or a snapshot and the live
workspace; `store.snapshot_sides.load_sides` loads them).

Datasets, settings and layer files are compared by their provenance and content; figures are
compared as the meeting saw them: each side's protected display text from `layer_figures`, computed
with that side's own layers, taxonomy and settings. Raw counts never leave this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import pandas as pd

from lagesbild.analysis.figures import layer_figures, periods
from lagesbild.core.frames import Frames
from lagesbild.core.layers import LayerSpec
from lagesbild.core.settings import Settings
from lagesbild.core.taxonomy import Taxonomy

COLUMNS = ["kind", "item", "area_id", "name", "period", "sex", "old", "new", "status", "changed"]
KINDS = ("dataset", "setting", "layer_file", "periods", "figure")
STATUSES = ("added", "removed", "replaced", "changed", "unchanged")
_PROVENANCE = ("table", "file", "rows", "rejected", "period", "imported_at")


class ComparedSide(Protocol):
    """What one side of the comparison holds (`store.snapshot_sides.SnapshotSide`)."""

    frames: Frames
    layers: Mapping[str, LayerSpec]
    taxonomy: Taxonomy
    settings: Settings
    settings_compared: Mapping[str, Any]
    layer_hashes: Mapping[str, str]
    identity: tuple[object, ...]


def compare_snapshots(old: ComparedSide, new: ComparedSide, *,
                      sexes: tuple[str, ...] = ("T",)) -> pd.DataFrame:
    """One row per dataset, setting, layer file, layer's periods and figure, in COLUMNS.

    `status` is one of STATUSES and `changed` says whether it is anything but "unchanged".
    Figures are compared per layer for the latest period both sides have, per kommun and län and
    per sex in `sexes`; `old` and `new` are then the protected display texts ("..", …).
    """
    rows = [*_datasets(old.frames.datasets, new.frames.datasets), *_settings(old, new),
            *_layer_files(old, new), *_figures(old, new, sexes)]
    out = pd.DataFrame(rows, columns=COLUMNS)
    out["changed"] = (out["status"] != "unchanged").astype(bool)
    return out


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


def _settings(a: ComparedSide, b: ComparedSide) -> list[dict[str, object]]:
    sa, sb = a.settings_compared, b.settings_compared
    return [_row("setting", key, sa.get(key), sb.get(key),
                 _status(sa.get(key), sb.get(key), differ=sa.get(key) != sb.get(key)))
            for key in sorted(set(sa) | set(sb))]


def _layer_files(a: ComparedSide, b: ComparedSide) -> list[dict[str, object]]:
    ha, hb = a.layer_hashes, b.layer_hashes
    return [_row("layer_file", name, ha.get(name, "")[:12] or None, hb.get(name, "")[:12] or None,
                 _status(ha.get(name), hb.get(name), differ=ha.get(name) != hb.get(name)))
            for name in sorted(set(ha) | set(hb))]


def _figures(a: ComparedSide, b: ComparedSide,
             sexes: tuple[str, ...]) -> list[dict[str, object]]:
    fa, fb, la, lb, ta, tb = a.frames, b.frames, a.layers, b.layers, a.taxonomy, b.taxonomy
    same_data = a.identity == b.identity
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
