"""The groups' crime cells of one source and period, decided together with everything a wide
audience gets from that source and period.

A group's cell of a crime layer is the sum of its kommuner's cells. Deciding it against its own
layer alone is not enough: the layers of one source share the cube's category cells (Brå's
main crime groups are sums of categories, violence in close relationships lies within level 3),
so a group's "skadegörelse" beside the kommuner's "stöld och inbrott" and the cube can pin a
hidden category cell that neither release pins alone (the demo's Södra Lappland did: 17 cells).

So the decision starts from the full release of the source and period (`release.source_release`
for every layer of that kind: the loaded layers and any given), restricted to the group's county
(no relation links two counties), and adds every group cell at once; when the adversary then
narrows a hidden cell, the cells are added one (group, layer) at a time in a fixed order instead,
each audited with all cells decided before it: a (group, layer) whose cells let the
adversary narrow a hidden cell gets cells hidden (the disclosed sexes first, then all) until the
audit passes. The last audit holds every group cell, so the whole release passes.
"""

from __future__ import annotations

import numpy as np

from lagesbild.analysis.audit import audit, hidden_cell, shown_cell, total_of
from lagesbild.analysis.memo import memo_dict
from lagesbild.analysis.release import cell_id
from lagesbild.core.frames import Frames
from lagesbild.core.layers import LayerSpec
from lagesbild.core.settings import Settings
from lagesbild.core.taxonomy import ALL, Taxonomy

SEXES = ("K", "M", "T")
Decision = dict[tuple[str, str], dict[str, dict[str, object]]]  # (gid, layer) -> sex -> cell


def rate_specs(frames: Frames, kind: str, period: str, settings: Settings,
               given: list[LayerSpec] = ()) -> tuple[LayerSpec, ...]:
    """Every layer of `kind` with data in `period`: the workspace's layer files but the
    police-only ones (`core.layers.wide_layers`) and `given` (a given layer replaces a loaded
    one of the same id), in id order."""
    from lagesbild.analysis.figures import periods
    from lagesbild.core.errors import InputError
    from lagesbild.core.layers import wide_layers

    try:
        found = dict(wide_layers(settings))
    except (InputError, OSError):
        found = {}
    found.update({s.id: s for s in given})
    return tuple(sorted((s for s in found.values()
                         if s.kind == kind and period in periods(frames, s)),
                        key=lambda s: s.id))


def groups_of(frames: Frames, extra: tuple[str, tuple[str, ...]] | None = None
              ) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(group id, kommun codes) of the stored groups, and `extra` (an ad-hoc group) last."""
    out = [(str(g), tuple(c.strip() for c in str(k).split(",") if c.strip()))
           for g, k in zip(frames.groups["group_id"], frames.groups["kommun_ids"])]
    if extra is not None and extra[0] not in {g for g, _ in out}:
        out.append(extra)
    return tuple(out)


def rate_decision(frames: Frames, *, kind: str, period: str, county: str,
                  specs: tuple[LayerSpec, ...], groups: tuple[tuple[str, tuple[str, ...]], ...],
                  taxonomy: Taxonomy, settings: Settings):  # noqa: ANN201
    """(decision, group cells, group relations) for the groups of `county` (memoised)."""
    key = ("group_rate_decision", kind, period, county, specs, groups, taxonomy, settings)
    memo = memo_dict(frames)
    if key not in memo:
        memo[key] = _decide(frames, kind, period, county, specs, groups, taxonomy, settings)
    return memo[key]


def _decide(frames: Frames, kind: str, period: str, county: str, specs: tuple[LayerSpec, ...],
            groups: tuple[tuple[str, tuple[str, ...]], ...], taxonomy: Taxonomy,
            settings: Settings):  # noqa: ANN202
    from lagesbild.analysis.release import _one_county, source_release

    source = "counts" if kind == "count_rate" else "incidents"
    cells, relations = source_release(frames, period=period, source=source, taxonomy=taxonomy,
                                      settings=settings, specs=list(specs))
    lan = next((c for c in frames.lan["area_id"].astype(str) if c[:2] == county[:2]), None)
    if lan is not None:
        cells, relations = _one_county(frames, cells, relations, lan)
    base = len(cells), len(relations)
    value = {str(c["cell"]): int(c["value"]) for c in cells}
    published = {str(c["cell"]) for c in cells if c["shown"]}
    todo: list[tuple[str, str, dict[str, dict[str, object]]]] = []
    for gid, members in groups:
        if not members or members[0][:2] != county[:2]:
            continue
        for spec in specs:
            if spec.whole_level:
                level = int(spec.pyramid_level)
                name = (lambda a, s, lv=level: cell_id("pyramid", source, period, a, lv, ALL, s))
            else:
                name = (lambda a, s, i=spec.id: cell_id("layer", i, period, a, s))
            found: dict[str, dict[str, object]] = {}
            for sex in SEXES:
                names = [name(a, sex) for a in members]
                if all(n in value for n in names):
                    total = sum(value[n] for n in names)
                    known = all(n in published for n in names)  # a sum of shown cells
                    found[sex] = {"value": total, "n": None, "known": known, "members": names,
                                  "hidden": bool(1 <= total < settings.suppress_below
                                                 and not known)}
            if found:
                todo.append((gid, spec.id, found))
    # usually every group cell can be shown at once: one audit; else one (group, layer) at a time
    trial, linked = _with(cells, relations, todo, county, period)
    if not audit(trial, linked, protection=settings.suppress_below).passed:
        for i, (gid, layer, found) in enumerate(todo):
            while True:
                trial, linked = _with(cells, relations, [todo[i]], county, period)
                result = audit(trial, linked, protection=settings.suppress_below)
                shown = [s for s, c in found.items() if not c["hidden"] and not c["known"]]
                if result.passed or not shown:
                    break
                sexes = {str(c).split("|")[-1] for c in result.disclosed["cell"]}
                for s in [s for s in shown if s in sexes] or shown:
                    found[s]["hidden"] = True
            cells, relations = trial, linked
        trial, linked = cells, relations
    decision: Decision = {(gid, layer): found for gid, layer, found in todo}
    cells, relations = trial, linked
    return decision, cells[base[0]:], relations[base[1]:]


def _with(cells: list, relations: list, todo: list, county: str, period: str):  # noqa: ANN202
    """`cells` and `relations` with the group cells of `todo` and their sums."""
    trial, linked = list(cells), list(relations)
    for gid, layer, found in todo:
        for sex, cell in found.items():
            cname = cell_id("group", county[:2], gid, layer, period, sex)
            table = f"grupp {gid} {layer} {period}"
            trial.append(hidden_cell(cname, table, cell["value"], high=np.inf)
                         if cell["hidden"] else shown_cell(cname, table, cell["value"]))
            linked.append(total_of(cname, cell["members"]))
    return trial, linked
