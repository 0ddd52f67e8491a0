"""A release as the adversary sees it: every published count cell and the relations between the
true cells, for `audit.audit`.

`cube_release` covers the protected pyramid cube (kommuner and county × level × category × sex,
for one source and period): what the pyramid page, `pyramid --json`, the map's pyramid layers,
`compare` and the report show of it. Cells are named "pyramid|<source>|<period>|<area>|<level>|
<category>|<sex>", so the same true cell published by two views is one unknown; the table is
"pyramid <source> <period>".

Relations, the strongest the truth allows: T = K + M where the true counts satisfy it, else
T ≥ K + M (victims of unknown sex); a level's total = the sum of its categories; the county =
the sum of its kommuner. Labels: a shown count is exact; every hidden cell is written
`disclosure.HIDDEN` whatever hid it, so its label says only that it is a count (≥ 0).
`labels="reasons"` reads hidden cells as a policy that told them apart would ("<5": 1 to
threshold − 1; "dold": 0 or at least the threshold): what the audit measures of such a policy.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from lagesbild.analysis.audit import (RESULT_COLUMNS, Audit, Relation, at_least, audit,
                                      hidden_cell, shown_cell, total_of)
from lagesbild.analysis.cube import KEYS, count_cube, protect
from lagesbild.core.frames import Frames
from lagesbild.core.settings import Settings
from lagesbild.core.taxonomy import ALL, Taxonomy


def cell_id(table: str, *parts: object) -> str:
    return "|".join([table, *map(str, parts)])


def cube_release(frames: Frames, *, period: str, source: str, taxonomy: Taxonomy,
                 settings: Settings, labels: str = "one_symbol",
                 shown: pd.DataFrame | None = None
                 ) -> tuple[list[dict[str, object]], list[Relation]]:
    """(cells, relations) of the protected cube of one source and period (`shown`: the
    protected cube to read instead of protecting the raw one here)."""
    raw = count_cube(frames, period=period, source=source, taxonomy=taxonomy)
    if shown is None:
        shown = protect(raw, frames, settings=settings)
    return label_cells(raw, shown, table=f"pyramid {source} {period}",
                       prefix=("pyramid", source, period),
                       threshold=settings.suppress_below, labels=labels), \
        cube_relations(raw, prefix=("pyramid", source, period),
                       counties=frames.lan["area_id"].astype(str).tolist())


def label_cells(raw: pd.DataFrame, shown: pd.DataFrame, *, table: str, prefix: Iterable[object],
                threshold: int, keys: list[str] = KEYS,
                labels: str = "one_symbol") -> list[dict[str, object]]:
    """One audit cell per row of a protected table: exact when shown, what its label says when
    hidden (module docstring)."""
    if labels not in ("one_symbol", "reasons"):
        raise ValueError("labels must be 'one_symbol' or 'reasons'")
    prefix = tuple(prefix)
    cells = []
    for key, value, kind in zip(raw[keys].itertuples(index=False, name=None), raw["count"],
                                shown["suppression"].fillna("")):
        name = cell_id(*prefix, *key)
        if kind and labels == "one_symbol":
            cells.append(hidden_cell(name, table, int(value)))
        elif kind == "small":
            cells.append(hidden_cell(name, table, int(value), low=1, high=threshold - 1))
        elif kind == "secondary":
            cells.append(hidden_cell(name, table, int(value), zero_or_at_least=threshold))
        else:
            cells.append(shown_cell(name, table, int(value)))
    return cells


def cube_relations(raw: pd.DataFrame, *, prefix: tuple[object, ...],
                   counties: list[str]) -> list[Relation]:
    """K/M within T, categories within their level's total, kommuner within their county."""
    value = {key: int(v) for key, v in zip(raw[KEYS].itertuples(index=False, name=None),
                                           raw["count"])}

    def name(key: tuple[object, ...]) -> str:
        return cell_id(*prefix, *key)

    relations: list[Relation] = []
    for (area, level, category, sex), _ in value.items():
        if sex != "T":
            continue
        t, k, m = (area, level, category, "T"), (area, level, category, "K"), \
            (area, level, category, "M")
        if k in value and m in value:
            build = total_of if value[t] == value[k] + value[m] else at_least
            relations.append(build(name(t), [name(k), name(m)]))
    by_level: dict[tuple[object, ...], list[tuple[object, ...]]] = {}
    for key in value:
        area, level, category, sex = key
        if category != ALL:
            by_level.setdefault((area, level, sex), []).append(key)
    for (area, level, sex), members in by_level.items():
        total = (area, level, ALL, sex)
        if total in value:
            relations.append(total_of(name(total), [name(m) for m in members]))
    for county in counties:
        for key in value:
            area, level, category, sex = key
            if area != county:
                continue
            members = [(a, level, category, sex) for a in _kommuner(value, county)]
            relations.append(total_of(name(key), [name(m) for m in members if m in value]))
    return relations


def _kommuner(value: dict[tuple[object, ...], int], county: str) -> list[str]:
    return sorted({str(k[0]) for k in value
                   if str(k[0]) != county and str(k[0])[:2] == county[:2] and len(str(k[0])) == 4})


def release_audit(frames: Frames, *, taxonomy: Taxonomy, settings: Settings,
                  periods: Iterable[str] | None = None) -> Audit:
    """The adversary over every protected cube a wide audience can get (both sources, every
    period, or those in `periods`): one Audit whose tables are "pyramid <source> <period>"."""
    from lagesbild.analysis.cube import protected_cube
    from lagesbild.analysis.pyramid_view import count_periods

    wanted = None if periods is None else {str(p) for p in periods}
    parts = []
    for source in ("counts", "incidents"):
        for period in count_periods(frames, source):
            if wanted is not None and period not in wanted:
                continue
            shown = protected_cube(frames, period=period, source=source, taxonomy=taxonomy,
                                   settings=settings)
            cells, relations = cube_release(frames, period=period, source=source,
                                            taxonomy=taxonomy, settings=settings, shown=shown)
            parts.append(audit(cells, relations, protection=settings.suppress_below).cells)
    cells = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=RESULT_COLUMNS)
    return Audit(cells, settings.suppress_below)
