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

from collections.abc import Iterable, Mapping

import pandas as pd

from lagesbild.analysis.audit import (RESULT_COLUMNS, Audit, Relation, at_least, audit,
                                      hidden_cell, shown_cell, total_of)
from lagesbild.analysis.cube import KEYS, count_cube, protect
from lagesbild.core.frames import Frames
from lagesbild.core.layers import LayerSpec
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
        kommuner = _kommuner(value, county)
        for key in [k for k in value if k[0] == county]:
            _, level, category, sex = key
            members = [(a, level, category, sex) for a in kommuner]
            relations.append(total_of(name(key), [name(m) for m in members if m in value]))
    return relations


def _kommuner(keys: Iterable[tuple[object, ...]], county: str) -> list[str]:
    """The kommuner of `county` among the areas (first element) of `keys`."""
    return sorted({str(k[0]) for k in keys
                   if str(k[0]) != county and str(k[0])[:2] == county[:2] and len(str(k[0])) == 4})


def release_audit(frames: Frames, *, taxonomy: Taxonomy, settings: Settings,
                  periods: Iterable[str] | None = None,
                  specs: Mapping[str, LayerSpec] | None = None,
                  county: str | None = None) -> Audit:
    """The adversary over every protected cube a wide audience can get (both sources, every
    period, or those in `periods`), each together with the count layers of `specs` that are
    protected on their own (subsets of a level: tied to the cube by their relations). One
    Audit; its tables are "pyramid <source> <period>", "layer <id> <period>" and, with the
    incident cube, every area's weekday × time-of-day table ("när <period>") and, for incident
    layers, every level below the kommun ("<level> <layer> <period>": DeSO, RegSO, stadsdelar
    with each kommun's count without a position), and every survey indicator's shares as
    yes-counts ("enkät <indicator> <period>", with its 3-year pooled shares "enkät <indicator>
    2022–2024" audited together with the years they sum), the pyramid's levels by age group
    tied to the cube ("ålder <source> <period> nivå <level>") and the surveys' grades tied to
    their indicator ("enkät <indicator> <period> efter ålder", `release_age`). `county` (a län
    code) keeps that county and its kommuner only: no relation links two counties, so a report
    needs only its own county audited. Computed once per frames object and arguments, and
    kept with the workspace's derived tables (`analysis.memo.memoised`)."""
    from lagesbild.analysis.memo import memoised

    key = ("release_audit", None if periods is None else tuple(sorted(map(str, periods))),
           tuple(sorted((specs or {}).items())), county, taxonomy, settings)
    # kept with the derived tables too: a restarted server does not audit the same data again
    cells = memoised(frames, key, lambda: _release_audit(
        frames, taxonomy=taxonomy, settings=settings, periods=periods, specs=specs,
        county=county).cells)
    return Audit(cells, settings.suppress_below)  # each caller its own frame (memoised)


def _release_audit(frames: Frames, *, taxonomy: Taxonomy, settings: Settings,
                   periods: Iterable[str] | None, specs: Mapping[str, LayerSpec] | None,
                   county: str | None) -> Audit:
    from lagesbild.analysis.pyramid_view import count_periods

    wanted = None if periods is None else {str(p) for p in periods}
    parts = []
    for source in ("counts", "incidents"):
        for period in count_periods(frames, source):
            if wanted is not None and period not in wanted:
                continue
            cells, relations = source_release(frames, period=period, source=source,
                                              taxonomy=taxonomy, settings=settings,
                                              specs=list((specs or {}).values()))
            if len(frames.groups):  # the stored groups' sums of kommun cells
                from lagesbild.analysis.groups import stored_group_parts

                kind = "count_rate" if source == "counts" else "incident_rate"
                more, linked = stored_group_parts(
                    frames, [s for s in (specs or {}).values() if s.kind == kind],
                    period=period, taxonomy=taxonomy, settings=settings)
                cells, relations = cells + more, relations + linked
            if county is not None:
                cells, relations = _one_county(frames, cells, relations, county)
            parts.append(audit(cells, relations, protection=settings.suppress_below).cells)
    parts += _survey_parts(frames, settings, wanted, county, taxonomy=taxonomy,
                           specs=[s for s in (specs or {}).values() if s.kind == "indicator"])
    cells = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=RESULT_COLUMNS)
    return Audit(cells, settings.suppress_below)


def source_release(frames: Frames, *, period: str, source: str, taxonomy: Taxonomy,
                   settings: Settings, specs: Iterable[LayerSpec]
                   ) -> tuple[list[dict[str, object]], list[Relation]]:
    """(cells, relations) of what a wide audience gets from one source ("counts" or
    "incidents") and period, groups aside: the protected cube, with the incidents every area's
    weekday × time-of-day table and each incident layer's small areas, and every count layer of
    `specs` protected on its own (a subset of a level). Memoised per frames object."""
    from lagesbild.analysis.memo import memo_dict

    specs = sorted(specs, key=lambda s: s.id)
    key = ("source_release", period, source, tuple(specs), taxonomy, settings)
    memo = memo_dict(frames)
    if key not in memo:
        memo[key] = _source_release(frames, period, source, taxonomy, settings, specs)
    cells, relations = memo[key]  # type: ignore[misc]
    return list(cells), list(relations)


def _source_release(frames: Frames, period: str, source: str, taxonomy: Taxonomy,
                    settings: Settings, specs: list[LayerSpec]
                    ) -> tuple[list[dict[str, object]], list[Relation]]:
    from lagesbild.analysis.cube import protected_cube
    from lagesbild.analysis.figures import periods as layer_periods
    from lagesbild.analysis.release_small import small_area_release

    shown = protected_cube(frames, period=period, source=source, taxonomy=taxonomy,
                           settings=settings)
    cells, relations = cube_release(frames, period=period, source=source, taxonomy=taxonomy,
                                    settings=settings, shown=shown)
    if source == "incidents":
        more, linked = when_release(frames, period=period, taxonomy=taxonomy, settings=settings)
        cells, relations = cells + more, relations + linked
    for spec in specs:
        if spec.kind in ("count_rate", "incident_rate") and not spec.whole_level and \
                (spec.kind == "count_rate") == (source == "counts") and \
                period in layer_periods(frames, spec):
            more, linked = subset_layer_release(frames, spec, period=period, taxonomy=taxonomy,
                                                settings=settings)
            cells, relations = cells + more, relations + linked
    for spec in specs:
        if spec.kind == "incident_rate" and source == "incidents" and \
                period in layer_periods(frames, spec):
            more, linked = small_area_release(frames, spec, period=period, taxonomy=taxonomy,
                                              settings=settings)
            cells, relations = cells + more, relations + linked
    from lagesbild.analysis.release_age import age_release, has_ages

    if has_ages(frames, source):  # the pyramid's levels by age group
        more, linked = age_release(frames, period=period, source=source, taxonomy=taxonomy,
                                   settings=settings)
        cells, relations = cells + more, relations + linked
    return cells, relations


def _survey_parts(frames: Frames, settings: Settings, wanted: set[str] | None,
                  county: str | None, *, taxonomy: Taxonomy | None = None,
                  specs: list[LayerSpec] = ()) -> list[pd.DataFrame]:
    """The audit of every indicator's shares, one indicator at a time (no relation ties a
    survey to another survey or to the counts): the years its 3-year pooled shares cover
    together with those windows, any other year on its own."""
    from lagesbild.analysis.release_age import grade_release
    from lagesbild.analysis.release_survey import survey_release
    from lagesbild.analysis.survey_pooling import pooled_periods, pooled_survey_release, window

    data = frames.indicators[["indicator_id", "period"]].astype(str).drop_duplicates()
    parts = []
    pooled: dict[str, set[str]] = {}  # indicator -> the years its pooled release covers
    for indicator_id in sorted(set(data["indicator_id"])):
        ends = pooled_periods(frames, indicator_id)
        if ends and (wanted is None or wanted & {y for e in ends for y in window(e)}):
            # every window with every yearly table it sums (survey_pooling)
            cells, relations = pooled_survey_release(frames, indicator_id, settings=settings)
            for year in sorted({y for e in ends for y in window(e)}):
                more, linked = _group_survey(frames, specs, indicator_id, year, taxonomy,
                                             settings)
                cells, relations = cells + more, relations + linked
                more, linked = grade_release(frames, indicator_id, period=year,
                                             settings=settings)
                cells, relations = cells + more, relations + linked
            if county is not None:
                cells, relations = _one_county(frames, cells, relations, county)
            parts.append(audit(cells, relations, protection=settings.suppress_below).cells)
            pooled[indicator_id] = {y for e in ends for y in window(e)}
    for indicator_id, period in sorted(data.itertuples(index=False, name=None)):
        if (wanted is not None and period not in wanted) or period in pooled.get(indicator_id, ()):
            continue
        cells, relations = survey_release(frames, indicator_id, period=period, settings=settings)
        more, linked = _group_survey(frames, specs, indicator_id, period, taxonomy, settings)
        cells, relations = cells + more, relations + linked
        more, linked = grade_release(frames, indicator_id, period=period, settings=settings)
        cells, relations = cells + more, relations + linked
        if county is not None:
            cells, relations = _one_county(frames, cells, relations, county)
        parts.append(audit(cells, relations, protection=settings.suppress_below).cells)
    return parts


def _group_survey(frames: Frames, specs: list[LayerSpec], indicator_id: str, period: str,
                  taxonomy: Taxonomy | None, settings: Settings
                  ) -> tuple[list[dict[str, object]], list[Relation]]:
    """The stored groups' pooled shares of the indicator's layers (`analysis.groups`)."""
    mine = [s for s in specs if s.indicator == indicator_id]
    if not len(frames.groups) or not mine:
        return [], []
    from lagesbild.analysis.groups import stored_group_parts

    return stored_group_parts(frames, mine, period=period, taxonomy=taxonomy, settings=settings)


def _one_county(frames: Frames, cells: list[dict[str, object]], relations: list[Relation],
                county: str) -> tuple[list[dict[str, object]], list[Relation]]:
    """The cells of `county` and its kommuner (an area code is one part of every cell's name),
    and the relations among them alone."""
    areas = {county, *(k for k in frames.kommuner["area_id"].astype(str) if k[:2] == county[:2])}
    kept = [c for c in cells if areas & set(str(c["cell"]).split("|"))
            or str(c["cell"]).startswith("const|")]
    names = {str(c["cell"]) for c in kept}
    return kept, [r for r in relations if all(cell in names for cell, _ in r.terms)]


def subset_layer_release(frames: Frames, spec: LayerSpec, *, period: str, taxonomy: Taxonomy,
                         settings: Settings, labels: str = "one_symbol"
                         ) -> tuple[list[dict[str, object]], list[Relation]]:
    """(cells, relations) of a count layer protected on its own (a subset of a pyramid level:
    some of its categories, or only violence in close relationships): its kommun and county
    cells, T against K + M, kommuner within the county, and the layer within its level's cube
    cell of the same area and sex (at most it; exactly the sum of its categories when the layer
    is a set of whole categories without a relation filter)."""
    from lagesbild.analysis.figures import _filtered_counts, protected_counts

    source = "counts" if spec.kind == "count_rate" else "incidents"
    raw = _filtered_counts(frames, spec, period=period, taxonomy=taxonomy)
    shown = protected_counts(frames, spec, period=period, taxonomy=taxonomy, settings=settings)
    shown = shown.set_index(["area_id", "sex"]).loc[
        list(raw[["area_id", "sex"]].itertuples(index=False, name=None))].reset_index()
    prefix = ("layer", spec.id, period)
    keys = ["area_id", "sex"]
    cells = label_cells(raw, shown, table=f"layer {spec.id} {period}", prefix=prefix,
                        threshold=settings.suppress_below, keys=keys, labels=labels)
    value = {k: int(v) for k, v in zip(raw[keys].itertuples(index=False, name=None), raw["count"])}
    relations: list[Relation] = []
    for (area, sex), v in value.items():
        if sex == "T" and (area, "K") in value and (area, "M") in value:
            build = total_of if v == value[(area, "K")] + value[(area, "M")] else at_least
            relations.append(build(cell_id(*prefix, area, "T"),
                                   [cell_id(*prefix, area, "K"), cell_id(*prefix, area, "M")]))
    for county in frames.lan["area_id"].astype(str):
        kommuner = _kommuner(value, county)
        for sex in ("K", "M", "T"):
            if (county, sex) in value:
                members = [cell_id(*prefix, a, sex) for a in kommuner if (a, sex) in value]
                relations.append(total_of(cell_id(*prefix, county, sex), members))
    if spec.crime_group and source == "counts":
        # a main group of crime is the sum of its categories' cells in the cube
        from lagesbild.analysis.crime_groups import member_cells

        members: dict[tuple[str, str], list[str]] = {}
        for area, level, category, sex in member_cells(
                frames, spec, period=period, taxonomy=taxonomy)[KEYS].itertuples(index=False):
            members.setdefault((str(area), str(sex)), []).append(
                cell_id("pyramid", source, period, area, level, category, sex))
        for (area, sex) in value:
            relations.append(total_of(cell_id(*prefix, area, sex),
                                      members.get((str(area), str(sex)), [])))
    if spec.pyramid_level is not None:
        level = int(spec.pyramid_level)
        for (area, sex) in value:  # only kommuner and counties of the cube are in `value`
            cube_cell = cell_id("pyramid", source, period, area, level, ALL, sex)
            relations.append(at_least(cube_cell, [cell_id(*prefix, area, sex)]))
    return cells, relations


def when_release(frames: Frames, *, period: str, taxonomy: Taxonomy, settings: Settings,
                 labels: str = "one_symbol") -> tuple[list[dict[str, object]], list[Relation]]:
    """(cells, relations) of every kommun's and county's weekday × time-of-day table for
    `period`: the margins, kommuner within their county cell by cell, and each area's total
    within its violence levels (2 and 3) of the incident cube."""
    from lagesbild.analysis.timing import _counts, when_table

    kommuner = frames.kommuner["area_id"].astype(str).tolist()
    counties = {lan: sorted(k for k in kommuner if k[:2] == lan[:2])
                for lan in frames.lan["area_id"].astype(str)}
    keys = ["area_id", "weekday", "band"]
    raw = _counts(frames, area_ids=kommuner, period=period, levels=(2, 3), taxonomy=taxonomy)
    shown = [when_table(frames, area_ids=[k], period=period, taxonomy=taxonomy,
                        settings=settings).assign(area_id=k) for k in kommuner]
    for lan, members in counties.items():
        if members:
            county = raw[raw["area_id"].isin(members)].groupby(
                ["weekday", "band"], as_index=False, sort=False)["count"].sum()
            raw = pd.concat([raw, county.assign(area_id=lan)], ignore_index=True)
            shown.append(when_table(frames, area_ids=members, period=period, taxonomy=taxonomy,
                                    settings=settings).assign(area_id=lan))
    published = pd.concat(shown, ignore_index=True).set_index(keys)
    published = published.loc[list(raw[keys].itertuples(index=False, name=None))].reset_index()
    prefix = ("when", period)
    cells = label_cells(raw, published, table=f"när {period}", prefix=prefix,
                        threshold=settings.suppress_below, keys=keys, labels=labels)
    value = {k: int(v) for k, v in zip(raw[keys].itertuples(index=False, name=None), raw["count"])}

    def name(*key: object) -> str:
        return cell_id(*prefix, *key)

    relations: list[Relation] = []
    areas = sorted({k[0] for k in value})
    days, bands = [*map(str, range(7))], [*map(str, range(4))]
    for area in areas:
        for d in [*days, ALL]:
            relations.append(total_of(name(area, d, ALL), [name(area, d, b) for b in bands]))
        for b in bands:
            relations.append(total_of(name(area, ALL, b), [name(area, d, b) for d in days]))
        level_cells = [cell_id("pyramid", "incidents", period, area, lv, ALL, "T") for lv in (2, 3)]
        relations.append(Relation((*((c, 1) for c in level_cells), (name(area, ALL, ALL), -1)),
                                  ">="))
    for lan, members in counties.items():
        if members:
            for d in [*days, ALL]:
                for b in [*bands, ALL]:
                    relations.append(total_of(name(lan, d, b), [name(m, d, b) for m in members]))
    return cells, relations
