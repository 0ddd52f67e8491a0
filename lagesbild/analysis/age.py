"""Figures by age group for an incident or a count layer: count, population of the group, rate
with its Poisson interval, after the same disclosure policy, and the violence pyramid by age.

Age comes from the incidents (the victim's age, grouped by layers/aldersgrupper.toml at import)
or from the rows by age of a reported-crime table (`frames.incident_counts_age`, Brå-like), and
the population by age (`frames.population_age`, SCB by 1- or 5-year groups). Incidents
without an age, and the part of a table's count its age rows do not give, count in "okänd
ålder", so the groups add up to the layer's count ("alla åldrar"), which the map and the
pyramid publish. A table whose age rows give no K/M has no K/M by age ("ej könsuppdelat"). Missing is not zero: a period whose incidents
carry no age gives no age table, and a group without population gives a count but no rate.

Protection: every kommun's and the county's cells (age group × K/M/T) are protected together
with `disclosure.suppress_by_county` over two additive relations, age groups within "alla
åldrar" and K + M within T, with kommuner within their county. The "alla åldrar" cells are the
layer's own published counts: hidden where the layer hides them (primary) and otherwise never a
hiding place (`fixed`), exactly as a subset layer is tied to its level (`figures._within_level`).
So a hidden age cell cannot be worked out from the age table, from the layer's map, or from the
two together. The release audit (`analysis.release`) does not yet list the age tables; what it
would check there (the groups' sums and the tie to the layer's cells) is what the suppression
above is built on, and `tests/test_age.py` runs the audit on an age table and its relations.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lagesbild.analysis import disclosure, stats
from lagesbild.analysis.figures import (SEXES, _filtered_counts, layer_figures, population_for,
                                        protected_counts)
from lagesbild.analysis.layer_rows import category_mask, layer_incidents
from lagesbild.analysis.shares import _county_sums
from lagesbild.core.age import ALL_AGES, UNKNOWN
from lagesbild.core.frames import Frames
from lagesbild.core.layers import LayerSpec
from lagesbild.core.settings import Settings
from lagesbild.core.taxonomy import Taxonomy

AGE_COLUMNS = ["area_id", "name", "period", "age_group", "sex", "count", "population", "value",
               "ci_low", "ci_high", "suppressed", "suppression", "display", "note"]
KEYS = ["area_id", "age_group", "sex"]


def age_counts(frames: Frames, spec: LayerSpec, *, period: str, taxonomy: Taxonomy
               ) -> pd.DataFrame:
    """Raw counts per kommun and county × age group (with "okänd ålder" and "alla åldrar")
    × sex; empty when the period's data carry no age group.

    An incident layer counts its incidents by the victim's age group. A count layer (a Brå-like
    table, `spec.kind == "count_rate"`) sums the table's rows by age group
    (`frames.incident_counts_age`) for the layer's categories; "okänd ålder" is then the layer's
    count minus its groups' (ages the table does not give, or groups a band straddled)."""
    if spec.kind == "count_rate":
        return _table_age_counts(frames, spec, period=period, taxonomy=taxonomy)
    if spec.kind != "incident_rate":
        raise ValueError("age figures need counts (an incident or a count layer)")
    from lagesbild.analysis.layer_cube import layer_cube, served_by_cube

    if served_by_cube(spec):  # the store's cube (counted with SQL), not the rows
        data = layer_cube(frames, spec, period=period, taxonomy=taxonomy)
    else:  # a relation filter: the rows, each counting one
        data = pd.DataFrame(layer_incidents(frames, spec, period=period,
                                            taxonomy=taxonomy)).assign(count=1)
    if "age_group" not in data or not data["age_group"].notna().any():
        return pd.DataFrame(columns=[*KEYS, "count"])
    data = data.assign(age_group=data["age_group"].astype("string").fillna(UNKNOWN))
    by_sex = data[data["victim_sex"].isin(["K", "M"])].groupby(
        ["area_id", "age_group", "victim_sex"])["count"].sum()
    by_sex.index = by_sex.index.set_names(KEYS)
    total = data.groupby(["area_id", "age_group"])["count"].sum()
    total = pd.concat({"T": total}, names=["sex"]).reorder_levels([1, 2, 0])
    groups = sorted(set(data["age_group"]) - {UNKNOWN}, key=_order) + [UNKNOWN]
    return _with_totals(frames, pd.concat([by_sex, total]), groups)


def _table_age_counts(frames: Frames, spec: LayerSpec, *, period: str, taxonomy: Taxonomy
                      ) -> pd.DataFrame:
    data = frames.incident_counts_age
    data = data[(data["period"].astype("string") == str(period)) & data["sex"].isin(SEXES)]
    data = data[category_mask(data["category"], spec, taxonomy).to_numpy(dtype=bool)]
    if not len(data):
        return pd.DataFrame(columns=[*KEYS, "count"])
    parts = data.groupby(KEYS)["count"].sum()
    groups = sorted(set(data["age_group"].astype(str)), key=_order)
    kommuner = frames.kommuner["area_id"].astype(str).tolist()
    grid = pd.MultiIndex.from_product([kommuner, groups, SEXES], names=KEYS)
    parts = parts.reindex(grid, fill_value=0)
    whole = _filtered_counts(frames, spec, period=period, taxonomy=taxonomy)
    whole = whole.set_index(["area_id", "sex"])["count"]
    told = parts.groupby(["area_id", "sex"]).sum()
    unknown = (whole.reindex(told.index).fillna(0) - told).clip(lower=0).astype("int64")
    unknown = pd.concat({UNKNOWN: unknown}, names=["age_group"]).reorder_levels([1, 0, 2])
    return _with_totals(frames, pd.concat([parts, unknown]), [*groups, UNKNOWN])


def _with_totals(frames: Frames, counts: pd.Series, groups: list[str]) -> pd.DataFrame:
    """Counts by (area, age group, sex) on the grid of every kommun, with "alla åldrar" (the
    groups' sum, "okänd ålder" included) and the counties' sums."""
    kommuner = frames.kommuner["area_id"].astype(str).tolist()
    grid = pd.MultiIndex.from_product([kommuner, groups, SEXES], names=KEYS)
    cube = counts.reindex(grid, fill_value=0).rename("count").reset_index()
    alls = cube.groupby(["area_id", "sex"], as_index=False)["count"].sum().assign(
        age_group=ALL_AGES)
    cube = pd.concat([cube, alls], ignore_index=True)
    cube["count"] = cube["count"].astype("int64")
    lan = frames.lan["area_id"].astype(str).tolist()
    counties = _county_sums(cube, lan, ["age_group", "sex"], ["count"])
    return pd.concat([cube, counties], ignore_index=True)[[*KEYS, "count"]]


def protected_age_counts(frames: Frames, spec: LayerSpec, *, period: str, taxonomy: Taxonomy,
                         settings: Settings) -> pd.DataFrame:
    """`age_counts` after disclosure control (module docstring)."""
    cells = age_counts(frames, spec, period=period, taxonomy=taxonomy)
    if not len(cells):
        return cells.assign(suppressed=pd.Series(dtype=bool), suppression=pd.Series(dtype=str))
    layer = protected_counts(frames, spec, period=period, taxonomy=taxonomy, settings=settings)
    hidden = {(str(a), str(s)): bool(h) for a, s, h in zip(layer["area_id"], layer["sex"],
                                                          layer["suppressed"])}
    whole = (cells["age_group"] == ALL_AGES).to_numpy()
    keys = list(zip(cells["area_id"].astype(str), cells["sex"].astype(str)))
    layer_hidden = np.array([hidden.get(k, False) for k in keys], dtype=bool) & whole
    counts = cells["count"].to_numpy(dtype="float64")
    small = (counts >= 1) & (counts < settings.suppress_below)
    out = disclosure.suppress_by_county(
        cells.assign(_fixed=whole & ~layer_hidden), keys=KEYS,
        threshold=settings.suppress_below, counties=frames.lan["area_id"].astype(str).tolist(),
        additive=[("sex", "T"), ("age_group", ALL_AGES)], primary=small | layer_hidden,
        fixed="_fixed")
    return out.drop(columns="_fixed")


def age_figures(frames: Frames, spec: LayerSpec, *, period: str, area: str | None,
                taxonomy: Taxonomy, settings: Settings) -> pd.DataFrame:
    """Per age group of `area` (every area when None): count, the group's population, rate per
    `spec.per` with its Poisson interval, suppression and display text, in AGE_COLUMNS."""
    cells = protected_age_counts(frames, spec, period=period, taxonomy=taxonomy,
                                 settings=settings)
    if not len(cells):
        return pd.DataFrame(columns=AGE_COLUMNS)
    if area is not None:
        cells = cells[cells["area_id"].astype(str) == str(area)]
    pop = _population(frames, period)
    out = cells.merge(pop, on=KEYS, how="left")
    rates = stats.rate(out["count"].astype("Float64"), out["population"], per=spec.per,
                       confidence=settings.confidence)
    out = pd.concat([out.reset_index(drop=True), rates.reset_index(drop=True)], axis=1)
    out["note"] = np.where(out["age_group"] == UNKNOWN, "åldern saknas i källan",
                           np.where(out["population"].isna(),
                                    "folkmängd per åldersgrupp saknas", ""))
    # a year the extracts cover in part has no annual rate (as on the map: `time_coverage`)
    layer = layer_figures(frames, spec, period=period, sex="T", taxonomy=taxonomy,
                          settings=settings)
    part = {str(a): str(p) for a, p in zip(layer["area_id"], layer["part_year"]) if str(p)}
    if part and not settings.annualise:
        partial = out["area_id"].astype(str).isin(list(part)).to_numpy()
        for col in ("value", "ci_low", "ci_high"):
            out[col] = out[col].astype("Float64").mask(partial)
        out.loc[partial, "note"] = [f"delår {part[str(a)]}: ingen årstakt"
                                    for a in out.loc[partial, "area_id"]]
    out["display"] = [_text(v, c, s, spec.per, settings.suppress_below)
                      for v, c, s in zip(out["value"], out["count"], out["suppression"])]
    out["display"] = [f"{d} brott (ingen folkmängd för åldersgruppen)"
                      if not s and pd.isna(p) and pd.notna(c) and g != UNKNOWN else d
                      for d, s, p, c, g in zip(out["display"], out["suppression"],
                                               out["population"], out["count"],
                                               out["age_group"])]
    if spec.kind == "count_rate" and not _ages_by_sex(frames, period):
        # a table whose age rows are totals only: no K/M by age (missing, not 0)
        part = (out["sex"].isin(["K", "M"]) & (out["age_group"] != ALL_AGES)).to_numpy()
        out["count"] = pd.to_numeric(out["count"]).astype("Int64").mask(part)
        for col in ("value", "ci_low", "ci_high"):
            out[col] = out[col].astype("Float64").mask(part)
        out.loc[part, "display"] = "ej könsuppdelat"
        out.loc[part, "note"] = "tabellen delar inte åldrarna på kön"
    out["name"] = [frames.area_name(str(a)) for a in out["area_id"]]
    out["period"] = str(period)
    out["population"] = pd.to_numeric(out["population"]).astype("Int64")
    return out[AGE_COLUMNS].reset_index(drop=True)


def pyramid_by_age(frames: Frames, taxonomy: Taxonomy, *, area: str, period: str,
                   settings: Settings, source: str = "incidents") -> pd.DataFrame:
    """The violence pyramid's levels (top and middle) per age group of `area`, from the police
    extract (`source` "incidents") or the reported-crime table ("counts"): `age_figures` of
    each level with a column `level`."""
    kind = "count_rate" if source == "counts" else "incident_rate"
    parts = []
    for level in (3, 2):
        spec = LayerSpec(id=f"pyramid_{level}", title_sv="", title_en="", kind=kind,
                         pyramid_level=level)
        rows = age_figures(frames, spec, period=period, area=area, taxonomy=taxonomy,
                           settings=settings)
        parts.append(rows.assign(level=level))
    return pd.concat(parts, ignore_index=True)


def _ages_by_sex(frames: Frames, period: str) -> bool:
    """Whether the reported-crime table's age rows of `period` give women or men."""
    data = frames.incident_counts_age
    return bool(data.loc[data["period"].astype("string") == str(period), "sex"]
                .isin(["K", "M"]).any())


def _population(frames: Frames, year: str) -> pd.DataFrame:
    """Population per area × age group × sex for `year` (county summed from its kommuner when
    absent), with "alla åldrar" from the total population."""
    pop = frames.population_age
    pop = pop[pop["year"].astype("string") == str(year)]
    pop = pop.groupby(KEYS, as_index=False)["population"].sum()
    lan = [c for c in frames.lan["area_id"].astype(str) if not (pop["area_id"] == c).any()]
    kommuner = pop[pop["area_id"].isin(frames.kommuner["area_id"].astype(str))]
    sums = _county_sums(kommuner, lan, ["age_group", "sex"], ["population"]) if lan and \
        len(kommuner) else pop.iloc[0:0]
    total = population_for(frames, year).assign(age_group=ALL_AGES)
    return pd.concat([pop, sums, total[KEYS + ["population"]]], ignore_index=True)


def _text(value: object, count: object, suppression: str, per: int, threshold: int) -> str:
    shown = disclosure.display_count(count, suppression, threshold=threshold)
    if suppression or value is None or pd.isna(value):
        return shown
    return f"{float(value):,.1f}".replace(",", "\u00a0").replace(".", ",") + \
        f" per {per:,}".replace(",", "\u00a0") + f" ({shown} brott)"


def _order(label: str) -> tuple[int, str]:
    digits = "".join(c if c.isdigit() else " " for c in str(label)).split()
    return (int(digits[0]) if digits else 10_000, str(label))
