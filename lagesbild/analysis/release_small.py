"""The small-area part of a release: every DeSO, RegSO and other sub-kommun cell of an incident
layer, as the adversary sees it beside the kommun figures.

What is published per level (the one-kommun map, the "alla kommuner" map, the tables and the
report read the same protected cells): each area's count (K, M, T) with its rate, and in the
kommun's note the count without a position at that level ("utan läge"). Cells are named
"small|<layer>|<period>|<level>|<kommun>|<area>|<sex>" (area "_utan_lage" for the remainder),
so a DeSO published by two views is one unknown, and the kommun in the name keeps it in its
county's audit.

Relations, the strongest the truth allows: T = K + M (or T ≥ K + M with victims of unknown
sex) in every area and remainder; at each level, the kommun's layer cell (the one the kommun map
and the pyramid publish) = the sum of the level's areas in the kommun + the remainder; with both
DeSO and RegSO, each RegSO ≥ the sum of the DeSOs inside it (the difference is its incidents
placed in the RegSO but in no DeSO, which are not published on their own). Stadsdelar and other
levels that do not nest with DeSO are linked only through the kommun (their overlaps with DeSO
are not modelled: no exact sum ties them).
"""

from __future__ import annotations

from collections import defaultdict


from lagesbild.analysis.audit import Relation, at_least, total_of
from lagesbild.analysis.release import cell_id, label_cells
from lagesbild.analysis.small_areas import UNLOCATED, protected_small_counts, raw_small_counts
from lagesbild.analysis.small_places import deso_to_regso, small_levels, supports
from lagesbild.core.frames import Frames
from lagesbild.core.layers import LayerSpec
from lagesbild.core.settings import Settings
from lagesbild.core.taxonomy import ALL, Taxonomy

KEYS = ["kommun_id", "area_id", "sex"]


def layer_cell(spec: LayerSpec, period: str, area: str, sex: str) -> str:
    """The audit name of a layer's kommun or county count: the cube's level cell when the layer
    is a whole pyramid level (it reads the cube), else the layer's own cell."""
    if spec.whole_level:
        source = "counts" if spec.kind == "count_rate" else "incidents"
        return cell_id("pyramid", source, period, area, int(spec.pyramid_level), ALL, sex)
    return cell_id("layer", spec.id, period, area, sex)


def small_area_release(frames: Frames, spec: LayerSpec, *, period: str, taxonomy: Taxonomy,
                       settings: Settings, labels: str = "one_symbol"
                       ) -> tuple[list[dict[str, object]], list[Relation]]:
    """(cells, relations) of every level below the kommun for one incident layer and period
    (module docstring); nothing for other layers or a workspace without small areas."""
    levels = [lv for lv in small_levels(frames) if supports(spec, frames, lv)]
    if spec.kind != "incident_rate" or not levels:
        return [], []
    cells: list[dict[str, object]] = []
    relations: list[Relation] = []
    values: dict[str, dict[tuple[str, str, str], int]] = {}
    for level in levels:
        shown = protected_small_counts(frames, spec, level=level, period=period,
                                       taxonomy=taxonomy, settings=settings)
        raw = raw_small_counts(frames, spec, level=level, period=period, taxonomy=taxonomy,
                               settings=settings)
        keys = list(raw[KEYS].astype(str).itertuples(index=False, name=None))
        shown = shown.assign(**{k: shown[k].astype(str) for k in KEYS}).set_index(KEYS).loc[
            keys].reset_index()
        raw = raw.assign(name=[_name(spec, period, level, *k) for k in keys])
        cells += label_cells(raw, shown, table=f"{level} {spec.id} {period}", prefix=(),
                             threshold=settings.suppress_below, keys=["name"], labels=labels)
        value = {k: int(v) for k, v in zip(keys, raw["count"])}
        values[level] = value
        relations += _sex_relations(spec, period, level, value)
        members: dict[tuple[str, str], list[str]] = defaultdict(list)
        for kommun, area, sex in value:
            members[(kommun, sex)].append(_name(spec, period, level, kommun, area, sex))
        relations += [total_of(layer_cell(spec, period, kommun, sex), names)
                      for (kommun, sex), names in members.items()]
    if {"deso", "regso"} <= set(values):
        relations += _nested(frames, spec, period, values["deso"], values["regso"])
    return cells, relations


def _name(spec: LayerSpec, period: str, level: str, kommun: str, area: str, sex: str) -> str:
    return cell_id("small", spec.id, period, level, kommun, area, sex)


def _sex_relations(spec: LayerSpec, period: str, level: str,
                   value: dict[tuple[str, str, str], int]) -> list[Relation]:
    out = []
    for (kommun, area, sex), total in value.items():
        k, m = (kommun, area, "K"), (kommun, area, "M")
        if sex == "T" and k in value and m in value:
            build = total_of if total == value[k] + value[m] else at_least
            out.append(build(_name(spec, period, level, kommun, area, "T"),
                             [_name(spec, period, level, *k), _name(spec, period, level, *m)]))
    return out


def _nested(frames: Frames, spec: LayerSpec, period: str,
            deso: dict[tuple[str, str, str], int],
            regso: dict[tuple[str, str, str], int]) -> list[Relation]:
    """Each RegSO at least the sum of its DeSOs (same kommun and sex)."""
    up = deso_to_regso(frames)
    inside: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for kommun, area, sex in deso:
        parent = up.get(area)
        if area != UNLOCATED and parent is not None and (kommun, parent, sex) in regso:
            inside[(kommun, parent, sex)].append(_name(spec, period, "deso", kommun, area, sex))
    return [at_least(_name(spec, period, "regso", *key), names) for key, names in inside.items()]
