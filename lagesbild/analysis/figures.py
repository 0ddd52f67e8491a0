"""Figures per area for a layer: counts, rates, shares with intervals, after disclosure control.

This is the single exit of the analysis layer for the map, comparison and CLI: every frame it
returns has passed `disclosure.suppress` with the same settings.

Survey shares and populations do not depend on the area a page shows: they are computed for
every area once per frames object and arguments (`analysis/memo.py`, which
`cube.protected_cube` uses too), so choosing another area costs a lookup. So are an incident
layer's rows (`layer_rows.layer_incidents`: a national police extract holds millions) and its
protected counts per kommun.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lagesbild.analysis import disclosure, stats
from lagesbild.analysis.cube import count_cube, incident_periods, protected_cube
from lagesbild.analysis.layer_rows import category_mask, layer_incidents, relation_known
from lagesbild.analysis.memo import memo_dict as _memo_dict
from lagesbild.analysis.memo import memoised as _memo
from lagesbild.analysis.shares import (  # noqa: F401 - re-exported: the single exit
    NATIONAL_ID, SOURCE_INTERVAL_NOTE, _county_sums, _num, indicator_figures,
    raw_indicator_figures)
from lagesbild.core.frames import Frames
from lagesbild.core.layers import LayerSpec
from lagesbild.core.settings import Settings
from lagesbild.core.taxonomy import ALL, Taxonomy

FIGURE_COLUMNS = ["area_id", "name", "level", "period", "sex", "count", "denominator", "value",
                  "ci_low", "ci_high", "n", "unit", "suppressed", "suppression", "display",
                  "note", "source", "part_year"]
SEXES = ("K", "M", "T")


def periods(frames: Frames, spec: LayerSpec) -> list[str]:
    """Periods the layer has data for, newest last."""
    if spec.kind == "count_rate":
        values = frames.incident_counts["period"]
        if spec.crime_group:  # missing is not zero: only periods whose tables have the group
            values = values[category_mask(frames.incident_counts["category"], spec, None)]
    elif spec.kind == "incident_rate":
        years = incident_periods(frames)
        if spec.relation is not None:  # only years whose sources had the relation field
            years = [y for y in years if relation_known(frames, y)]
        values = pd.Series(years, dtype="string")
    elif spec.kind == "indicator":
        data = frames.indicators_age if spec.grade else frames.indicators
        chosen = data["indicator_id"] == spec.indicator
        if spec.grade:  # the periods of the chosen grade only
            chosen &= data["age_group"].astype(str) == spec.grade
        values = data.loc[chosen, "period"]
    else:
        values = frames.programme_activity["period"]
    found = sorted({str(v) for v in values.dropna().drop_duplicates()})  # the distinct first
    if spec.kind == "indicator":  # terms in time order: VT2024, 2024, HT2024
        from lagesbild.core.indicator_kinds import period_order

        found.sort(key=period_order)
    if spec.kind == "coverage":
        found.sort(key=lambda p: (p[2:], p[:2] == "HT"))
    return found


def layer_figures(frames: Frames, spec: LayerSpec, *, period: str, sex: str,
                  taxonomy: Taxonomy, settings: Settings) -> pd.DataFrame:
    """One row per kommun plus one per län for `period` and `sex`, in FIGURE_COLUMNS.

    An incident year the extracts cover only in part (`time_coverage`) has counts but no
    annual rate in the areas concerned, unless `settings.annualise` asks for one per year of
    person-time; `part_year` says which days were covered.
    Computed once per frames object and arguments (`_memo`): the views below the kommun ask
    for the kommun figures of every sex on each change."""
    return _memo(frames, ("layer_figures", spec, period, sex, taxonomy, settings),
                 lambda: _layer_figures(frames, spec, period=period, sex=sex, taxonomy=taxonomy,
                                        settings=settings))


def _layer_figures(frames: Frames, spec: LayerSpec, *, period: str, sex: str,
                   taxonomy: Taxonomy, settings: Settings) -> pd.DataFrame:
    if spec.kind in ("count_rate", "incident_rate"):
        from lagesbild.analysis.dispersion import layer_dispersion, widen
        from lagesbild.analysis.known import (blank_uncovered, blank_unknown_sex, covered_areas,
                                              sex_known)
        from lagesbild.analysis.time_coverage import apply_part_year, part_year_table

        out = _rates(frames, protected_counts(frames, spec, period=period, taxonomy=taxonomy,
                                              settings=settings),
                     spec, period=period, settings=settings)
        if spec.kind == "incident_rate":  # extracts have dates: a year may be covered in part
            out = apply_part_year(out, part_year_table(frames, period,
                                                       population_for(frames, period)),
                                  per=spec.per, confidence=settings.confidence,
                                  threshold=settings.suppress_below,
                                  annualise=settings.annualise)
        # areas whose years vary more than Poisson chance: wider (quasi-Poisson) intervals
        out = widen(out, layer_dispersion(frames, spec, taxonomy=taxonomy, settings=settings),
                    per=spec.per, confidence=settings.confidence)
        # a source that does not tell the victim's sex has no K/M figure (not 0)
        source = "counts" if spec.kind == "count_rate" else "incidents"
        out = blank_uncovered(out, covered_areas(frames, period, source))  # not in the data
        if source == "counts":  # a category's rows missing for a kommun: no figure, not 0
            from lagesbild.analysis.count_gaps import GAP_NOTE_SV, GAP_SV, count_gaps

            gaps = count_gaps(frames, spec, period=period, taxonomy=taxonomy)
            if gaps:
                out = blank_unknown_sex(out, frozenset(set(out["area_id"].astype(str)) - gaps),
                                        sexes=("K", "M", "T"), display=GAP_SV, note=GAP_NOTE_SV)
        out = blank_unknown_sex(out, sex_known(frames, period, source))
        if spec.crime_group and source == "counts":  # e.g. drug offences: no victim, no sex
            from lagesbild.analysis.crime_groups import group_sex_known

            out = blank_unknown_sex(out, group_sex_known(frames, spec, period=period))
    elif spec.kind == "indicator":
        out = indicator_figures(frames, spec.indicator or "", period=period, settings=settings,
                                grade=spec.grade)
    else:
        out = _coverage(frames, spec, period=period)
    out = out[out["sex"] == sex].copy()
    return _finish(frames, out, period=period, sex=sex, unit=spec.unit).reset_index(drop=True)


def _areas(frames: Frames) -> pd.DataFrame:
    areas = pd.concat([frames.lan, frames.kommuner])
    return pd.DataFrame(areas[["area_id", "name", "level", "parent_id"]])


def protected_counts(frames: Frames, spec: LayerSpec, *, period: str, taxonomy: Taxonomy,
                     settings: Settings) -> pd.DataFrame:
    """Counts per area × sex for a count layer, after disclosure control.

    A layer that is exactly one pyramid level reads the shared protected cube, so the map and
    the pyramid page hide the same cells.
    """
    source = "counts" if spec.kind == "count_rate" else "incidents"
    key = ("protected_counts", source, spec.pyramid_level, tuple(spec.categories), spec.relation,
           period, taxonomy, settings)
    return _memo(frames, key, lambda: _protected_counts(frames, spec, source, period=period,
                                                        taxonomy=taxonomy, settings=settings))


def source_label(frames: Frames, source: str) -> str:
    """`frames.source_label` of every dataset in the counts' or the incidents' table."""
    key = ("source_label", source)
    if key not in _memo_dict(frames):
        from lagesbild.analysis.time_coverage import incident_sources

        _memo_dict(frames)[key] = frames.source_label(
            frames.incident_counts["source"].unique().tolist() if source == "counts"
            else incident_sources(frames))
    return _memo_dict(frames)[key]


def _protected_counts(frames: Frames, spec: LayerSpec, source: str, *, period: str,
                      taxonomy: Taxonomy, settings: Settings) -> pd.DataFrame:
    label = source_label(frames, source)
    if spec.crime_group and source == "counts":  # a sum of the cube's category cells
        from lagesbild.analysis.crime_groups import group_counts

        return group_counts(frames, spec, period=period, taxonomy=taxonomy,
                            settings=settings).assign(source=label)
    if spec.whole_level:
        cube = protected_cube(frames, period=period, source=source, taxonomy=taxonomy,
                              settings=settings)
        cells = cube[(cube["level"] == int(spec.pyramid_level)) & (cube["category"] == ALL)]
        return cells[["area_id", "sex", "count", "suppressed", "suppression"]].assign(source=label)
    cells = _filtered_counts(frames, spec, period=period, taxonomy=taxonomy)
    lan = frames.lan["area_id"].astype(str).tolist()
    counts = pd.to_numeric(cells["count"]).to_numpy(dtype="float64")
    small = (counts >= 1) & (counts < settings.suppress_below)
    primary, fixed = _within_level(frames, spec, source, cells, period=period, taxonomy=taxonomy,
                                   settings=settings)
    cells = disclosure.suppress_by_county(cells.assign(_fixed=fixed), keys=["area_id", "sex"],
                                          threshold=settings.suppress_below, counties=lan,
                                          additive=[("sex", "T")], primary=primary | small,
                                          fixed="_fixed")
    # hidden because the level's cell is hidden, not because it is small: a secondary reason
    kind = cells["suppression"].astype(str).to_numpy()
    cells["suppression"] = np.where((kind == "small") & ~small, "secondary", kind)
    return cells.drop(columns="_fixed").assign(source=label)


def _within_level(frames: Frames, spec: LayerSpec, source: str, cells: pd.DataFrame, *,
                  period: str, taxonomy: Taxonomy, settings: Settings
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(primary, fixed) for a layer that is a subset of a pyramid level (some categories, or
    only violence in close relationships), protected together with the level's cube cell of
    the same area and sex: the layer's count is at most that cell's. A layer cell is hidden
    where its level cell is hidden and the part is within threshold − 1 of the whole (else the
    shown part would bound the hidden whole from below too tightly),
    and it is fixed (never a hiding place) where the level cell is shown as 0 (then it is 0 for
    everyone to see)."""
    if spec.pyramid_level is None:
        return np.zeros(len(cells), dtype=bool), np.zeros(len(cells), dtype=bool)
    cube = protected_cube(frames, period=period, source=source, taxonomy=taxonomy,
                          settings=settings)
    level = cube[(cube["level"] == int(spec.pyramid_level)) & (cube["category"] == ALL)]
    state = {(str(a), str(x)): (bool(h), c) for a, x, h, c in zip(
        level["area_id"], level["sex"], level["suppressed"], level["count"])}
    raw = count_cube(frames, period=period, source=source, taxonomy=taxonomy)
    raw = raw[(raw["level"] == int(spec.pyramid_level)) & (raw["category"] == ALL)]
    whole = {(str(a), str(x)): int(c) for a, x, c in zip(raw["area_id"], raw["sex"], raw["count"])}
    keys = list(zip(cells["area_id"].astype(str), cells["sex"].astype(str)))
    part = pd.to_numeric(cells["count"]).to_numpy(dtype="float64")
    # a shown part L puts the hidden whole C in [L, …]: only a part within threshold − 1 of the
    # whole can narrow it below the protection, so only such parts are hidden
    near = np.array([whole.get(k, 0) - v < settings.suppress_below - 1
                     for k, v in zip(keys, part)], dtype=bool)
    hidden_level = np.array([state.get(k, (False, None))[0] for k in keys], dtype=bool) & near
    zero_level = np.array([not state.get(k, (True, None))[0] and state[k][1] == 0
                           for k in keys], dtype=bool)
    return hidden_level, zero_level


def _filtered_counts(frames: Frames, spec: LayerSpec, *, period: str, taxonomy: Taxonomy) -> pd.DataFrame:
    """Counts per kommun × sex (K, M, T) for the layer's categories and period (zeros kept)."""
    from lagesbild.analysis.layer_cube import layer_cube, served_by_cube, sex_counts

    if spec.kind == "count_rate":
        data = frames.incident_counts
        data = data[data["period"] == period]
        keep = category_mask(data["category"], spec, taxonomy)
        data = data[keep & data["sex"].isin(SEXES)]
        counts = data.groupby(["area_id", "sex"])["count"].sum()
    elif served_by_cube(spec):  # the store's cube, not the rows
        counts = sex_counts(layer_cube(frames, spec, period=period, taxonomy=taxonomy))
    else:  # a relation filter: the rows, each counting one
        counts = sex_counts(pd.DataFrame(layer_incidents(frames, spec, period=period,
                                                         taxonomy=taxonomy)).assign(count=1))
    kommuner = frames.kommuner["area_id"].astype(str).tolist()
    lan = frames.lan["area_id"].astype(str).tolist()
    if spec.kind == "incident_rate" and spec.relation is not None:
        # missing is not zero: a kommun whose incidents carry no relation field has no figure
        known = relation_known(frames, period)
        lan = [c for c in lan if all(k in known for k in kommuner if k[:2] == c[:2])]
        kommuner = [k for k in kommuner if k in known]
    grid = pd.MultiIndex.from_product([kommuner, SEXES], names=["area_id", "sex"])
    cube = counts.reindex(grid, fill_value=0).rename("count").reset_index()
    cube["count"] = cube["count"].astype("int64")
    counties = _county_sums(cube, lan, ["sex"], ["count"])
    return pd.concat([cube, counties], ignore_index=True) if len(counties) else cube




def population_for(frames: Frames, year: str) -> pd.DataFrame:
    """Population per area × sex for `year`, kommuner and their län (summed when absent)."""
    return _memo(frames, ("population", str(year)), lambda: _population_for(frames, year))


def population_label(frames: Frames, year: str) -> str:
    """The datasets the population of `year` comes from ('' when none)."""
    key = ("population_label", str(year))
    if key not in _memo_dict(frames):
        pop = frames.population
        names = pop.loc[pop["year"].astype("string") == str(year), "source"].unique().tolist()
        _memo_dict(frames)[key] = frames.source_label(names) if names else ""
    return _memo_dict(frames)[key]  # type: ignore[return-value]


def _population_for(frames: Frames, year: str) -> pd.DataFrame:
    pop = frames.population
    pop = pop[pop["year"].astype("string") == str(year)]
    pop = pop.groupby(["area_id", "sex"], as_index=False)["population"].sum()
    # a county without its own population rows: the sum of its kommuner's
    missing = [lan_id for lan_id in frames.lan["area_id"].astype(str)
               if not (pop["area_id"] == lan_id).any()]
    if missing:
        kommuner = pop[pop["area_id"].isin(frames.kommuner["area_id"])]
        sums = _county_sums(kommuner, missing, ["sex"], ["population"])
        if len(sums):
            pop = pd.concat([pop, sums], ignore_index=True)
    return pop


def _rates(frames: Frames, cells: pd.DataFrame, spec: LayerSpec, *, period: str,
           settings: Settings) -> pd.DataFrame:
    """Rates with Poisson intervals from protected counts; hidden counts give hidden rates."""
    pop = population_for(frames, period)
    out = cells.merge(pop, on=["area_id", "sex"], how="left")
    out["denominator"] = out["population"]
    rates = stats.rate(out["count"].astype("Float64"), out["population"], per=spec.per,
                       confidence=settings.confidence)
    out = pd.concat([out, rates], axis=1)
    out["note"] = np.where(out["population"].isna(), "folkmängd saknas för året", "")
    # provenance of the denominator too: which file the population came from
    people = population_label(frames, period)
    if people:
        out["source"] = [f"{s}; folkmängd: {people}" if s else s for s in out["source"]]
    out["n"] = pd.NA
    out["unit"] = spec.unit
    out["display"] = [
        _rate_text(v, c, s, spec.per, settings.suppress_below)
        for v, c, s in zip(out["value"], out["count"], out["suppression"])]
    return out


def _rate_text(value: object, count: object, suppression: str, per: int, threshold: int) -> str:
    shown = disclosure.display_count(count, suppression, threshold=threshold)
    if suppression:
        return shown
    if value is None or pd.isna(value):  # a count without population: no rate, not a bare number
        return shown if count is None or pd.isna(count) else f"{shown} brott (ingen folkmängd)"
    return f"{_num(float(value), 1)} per {_num(per, 0)} ({shown} brott)"


def _coverage(frames: Frames, spec: LayerSpec, *, period: str) -> pd.DataFrame:
    from lagesbild.analysis.coverage import coverage_by_area

    table = coverage_by_area(frames, period=period, programmes=spec.programmes)
    rows = pd.DataFrame({
        "area_id": table["area_id"], "sex": "T", "count": table["pupils_reached"],
        "denominator": table["eligible_pupils"], "value": table["share_pupils"],
        "ci_low": pd.NA, "ci_high": pd.NA, "n": pd.NA, "suppressed": False, "suppression": "",
        "note": "hela målgruppen (ingen urvalsosäkerhet)", "source": table["source"],
    })
    rows["unit"] = "percent"
    rows["display"] = [
        "inga elever i målgruppen" if pd.isna(v)
        else f"{_num(float(v), 1)} % ({_num(c, 0)} av {_num(d, 0)} elever)"
        for v, c, d in zip(rows["value"], rows["count"], rows["denominator"])]
    # programme data count pupils, not women and men: K and M rows say so instead of a value
    unsplit = [rows[["area_id", "source"]].assign(
        sex=sex, count=pd.NA, denominator=pd.NA, value=pd.NA, ci_low=pd.NA, ci_high=pd.NA, n=pd.NA,
        suppressed=False, suppression="", unit="percent", note="", display="ej könsuppdelat")
        for sex in ("K", "M")]
    return pd.concat([rows, *unsplit], ignore_index=True)


def _finish(frames: Frames, out: pd.DataFrame, *, period: str, sex: str, unit: str) -> pd.DataFrame:
    areas = _areas(frames)
    merged = areas.merge(out, on="area_id", how="left")
    merged["period"] = period
    # areas without data keep the asked-for sex and the layer's unit
    merged["sex"] = sex
    # text columns as objects first: with no row of data they arrive as all-NaN floats
    if "part_year" not in merged.columns:
        merged["part_year"] = ""
    for col, missing in (("unit", unit), ("display", "uppgift saknas"), ("note", ""),
                         ("suppression", ""), ("source", ""), ("part_year", "")):
        merged[col] = merged[col].astype(object).where(merged[col].notna(), missing)
    merged["suppressed"] = merged["suppressed"].astype("boolean").fillna(False).astype(bool)
    for col in ("count", "denominator", "n"):
        merged[col] = pd.to_numeric(merged[col]).astype("Int64")
    for col in ("value", "ci_low", "ci_high"):
        merged[col] = pd.to_numeric(merged[col]).astype("Float64")
    return merged[FIGURE_COLUMNS]
