"""The age tables a wide audience gets (the violence pyramid's levels 3 and 2 by age group, on
the pyramid page and in the report: `analysis.age.pyramid_by_age`) as audit cells, tied to the
cube they split.

Each table's "alla åldrar" cell is the cube's level cell of the same area and sex (the same
number, published or hidden there), so the age groups are related to the cube's own cell: the
groups (with "okänd ålder") sum to it, K and M lie within T in each group, and the kommuner sum
to their county in each group and sex. Audited together with the cube, the layers and the
weekday tables (`release.source_release`), the adversary sees what a reader combining the age
table with every other table sees.
"""

from __future__ import annotations

import pandas as pd

from lagesbild.analysis.audit import Relation, at_least, total_of
from lagesbild.core.age import ALL_AGES
from lagesbild.core.frames import Frames
from lagesbild.core.layers import LayerSpec
from lagesbild.core.settings import Settings
from lagesbild.core.taxonomy import ALL, Taxonomy

LEVELS = (3, 2)  # the levels pyramid_by_age publishes


def age_release(frames: Frames, *, period: str, source: str, taxonomy: Taxonomy,
                settings: Settings) -> tuple[list[dict[str, object]], list[Relation]]:
    """(cells, relations) of the period's age tables of `source` ("counts" or "incidents");
    nothing when the data carry no age group."""
    from lagesbild.analysis.age import _ages_by_sex, age_counts, protected_age_counts
    from lagesbild.analysis.release import cell_id, label_cells

    kind = "count_rate" if source == "counts" else "incident_rate"
    cells: list[dict[str, object]] = []
    relations: list[Relation] = []
    counties = frames.lan["area_id"].astype(str).tolist()
    for level in LEVELS:
        spec = LayerSpec(id=f"pyramid_{level}", title_sv="", title_en="", kind=kind,
                         pyramid_level=level)
        raw = age_counts(frames, spec, period=period, taxonomy=taxonomy)
        if not len(raw):
            continue
        shown = protected_age_counts(frames, spec, period=period, taxonomy=taxonomy,
                                     settings=settings)
        keys = ["area_id", "age_group", "sex"]
        order = list(raw[keys].astype(str).itertuples(index=False, name=None))
        shown = shown.assign(**{k: shown[k].astype(str) for k in keys}).set_index(keys) \
            .loc[order].reset_index()  # row for row as `raw`
        if source == "counts" and not _ages_by_sex(frames, period):
            # a table whose age rows are totals only publishes no K/M by age ("ej
            # könsuppdelat"): only its T cells are published
            keep = ((raw["sex"] == "T") | (raw["age_group"] == ALL_AGES)).to_numpy()
            raw, shown = raw[keep].reset_index(drop=True), shown[keep].reset_index(drop=True)
        parts = raw["age_group"] != ALL_AGES  # "alla åldrar" is the cube's cell itself
        prefix = ("age", source, period, level)
        cells += label_cells(raw[parts].reset_index(drop=True),
                             shown[parts.to_numpy()].reset_index(drop=True),
                             table=f"ålder {source} {period} nivå {level}", prefix=prefix,
                             threshold=settings.suppress_below, keys=keys)
        value = {k: int(v) for k, v in zip(raw[keys].itertuples(index=False, name=None),
                                           raw["count"])}

        def name(area: str, group: str, sex: str) -> str:
            if group == ALL_AGES:
                return cell_id("pyramid", source, period, area, level, ALL, sex)
            return cell_id(*prefix, area, group, sex)

        groups = sorted({g for _, g, _ in value} - {ALL_AGES})
        areas = sorted({a for a, _, _ in value})
        for area in areas:
            for sex in ("K", "M", "T"):
                if (area, ALL_AGES, sex) in value:
                    relations.append(total_of(name(area, ALL_AGES, sex),
                                              [name(area, g, sex) for g in groups
                                               if (area, g, sex) in value]))
            for group in groups:
                t, k, m = ((area, group, s) for s in ("T", "K", "M"))
                if t in value and k in value and m in value:
                    build = total_of if value[t] == value[k] + value[m] else at_least
                    relations.append(build(name(*t), [name(*k), name(*m)]))
        for county in counties:
            kommuner = [a for a in areas if a != county and a[:2] == county[:2]
                        and frames.parent_of(a) in (county, None)]
            for group in groups:
                for sex in ("K", "M", "T"):
                    if (county, group, sex) in value:
                        relations.append(total_of(name(county, group, sex),
                                                  [name(a, group, sex) for a in kommuner
                                                   if (a, group, sex) in value]))
    return cells, relations


def has_ages(frames: Frames, source: str) -> bool:
    """Whether any row of `source` carries an age group (else there is no age table)."""
    if source == "counts":
        data = getattr(frames, "incident_counts_age", None)
        return data is not None and len(data) > 0
    return bool(frames.incident_cube["age_group"].notna().any())  # the cube, not the rows


def grade_release(frames: Frames, indicator_id: str, *, period: str, settings: Settings
                  ) -> tuple[list[dict[str, object]], list[Relation]]:
    """(cells, relations) of the indicator's shares by school grade or age group in `period`
    (`analysis.age_shares.indicator_by_age`) as yes-answers, tied to the indicator's own cells
    of the survey release (the same area and sex): the grades lie within the total (exactly
    its sum where the grades add up to it), K and M within T in each grade, the kommuner within
    their county's grade where the county's grade is their sum. Nothing without grade rows."""
    from lagesbild.analysis.age_shares import indicator_by_age
    from lagesbild.analysis.audit import hidden_cell, shown_cell
    from lagesbild.analysis.figures import raw_indicator_figures
    from lagesbild.analysis.release import cell_id

    shown = indicator_by_age(frames, indicator_id, period=period, area=None, settings=settings)
    if not len(shown):
        return [], []
    from lagesbild.analysis.age_shares import grade_rows

    data = grade_rows(frames, indicator_id, period=period)  # with the counties pooled per grade
    yes = {(str(a), str(g), str(s)): int(y)
           for a, g, s, y, n in zip(data["area_id"], data["age_group"], data["sex"],
                                    data["yes"], data["n"]) if pd.notna(y) and pd.notna(n)}
    n_of = {(str(a), str(g), str(s)): int(n) for a, g, s, n in
            zip(data["area_id"], data["age_group"], data["sex"], data["n"]) if pd.notna(n)}
    raw = raw_indicator_figures(frames, indicator_id, period=period, settings=settings)
    total = {(str(a), str(s)): int(round(float(v) * float(n) / 100))
             for a, s, v, n in zip(raw["area_id"], raw["sex"], raw["value"], raw["n"])
             if pd.notna(v) and pd.notna(n)}
    table = f"enkät {indicator_id} {period} efter ålder"

    def name(area: str, group: str, sex: str) -> str:
        return cell_id("grade", indicator_id, period, area, group, sex)

    cells: list[dict[str, object]] = []
    parts = shown[shown["age_group"] != ALL_AGES]
    for a, g, s, hidden in zip(parts["area_id"].astype(str), parts["age_group"].astype(str),
                               parts["sex"].astype(str), parts["suppressed"].astype(bool)):
        if (a, g, s) not in yes:
            continue
        cells.append(hidden_cell(name(a, g, s), table, yes[(a, g, s)], high=n_of[(a, g, s)])
                     if hidden else shown_cell(name(a, g, s), table, yes[(a, g, s)]))
    known = {str(c["cell"]) for c in cells}
    relations: list[Relation] = []

    def tie(whole: str, whole_value: int, members: list[tuple[str, int]]) -> None:
        members = [(m, v) for m, v in members if m in known]
        if not members:
            return
        summed = sum(v for _, v in members)
        if summed == whole_value:
            relations.append(total_of(whole, [m for m, _ in members]))
        elif summed < whole_value:
            relations.append(at_least(whole, [m for m, _ in members]))
        # a sum above the whole is rounding of shares: no relation (never a false one)

    areas = sorted({a for a, _, _ in yes})
    groups = sorted({g for _, g, _ in yes})
    for a in areas:
        for s in ("K", "M", "T"):
            if (a, s) in total:
                tie(cell_id("survey", indicator_id, period, a, s), total[(a, s)],
                    [(name(a, g, s), yes[(a, g, s)]) for g in groups if (a, g, s) in yes])
        for g in groups:
            if (a, g, "T") in yes and name(a, g, "T") in known:
                tie(name(a, g, "T"), yes[(a, g, "T")],
                    [(name(a, g, s), yes[(a, g, s)]) for s in ("K", "M") if (a, g, s) in yes])
    for county in frames.lan["area_id"].astype(str):
        for g in groups:
            for s in ("K", "M", "T"):
                if (county, g, s) in yes and name(county, g, s) in known:
                    kommuner = [a for a in areas if a != county and a[:2] == county[:2]]
                    members = [(name(a, g, s), yes[(a, g, s)]) for a in kommuner
                               if (a, g, s) in yes]
                    if sum(v for _, v in members) == yes[(county, g, s)]:
                        tie(name(county, g, s), yes[(county, g, s)], members)
    return cells, relations
