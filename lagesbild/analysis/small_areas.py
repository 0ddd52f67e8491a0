"""Figures for areas below the kommun (DeSO, RegSO, stadsdelar, …): counts and rates per 1 000.

Where the numbers come from:

- Incident layers: an incident with a true position is located in the level's areas by its
  point; an area-coded incident by the code it carries (`incidents.sub_area_id`: a DeSO code
  counts in its DeSO and in the RegSO that DeSO lies in). Incidents that cannot be placed at
  the level are counted as "utan läge" (without a position) in their kommun, so the areas and
  that remainder add up to the kommun's published count.
- Survey layers: indicator rows given per small area (a city's own survey per stadsdel).
- Count layers (aggregated tables such as Brå's) have no detail below the kommun.

The levels, their areas and where an incident lies are `small_places`'.

Rates are per 1 000 inhabitants (`SMALL_PER`) with exact Poisson intervals; the population comes
from the workspace's population table for the same areas (PX-Web per RegSO or DeSO).

Disclosure control: each kommun is protected on its own as a table whose members (its small
areas and the remainder without a position; for DeSO and RegSO both levels at once, each RegSO
the sum of its DeSOs) add up to the kommun's count, with K + M = T in every area. The kommun's
own cells keep the state they have in the kommun figures (a kommun hidden there is a hidden
total here). If protecting the areas would have to hide a kommun cell that the kommun view
shows, every area of that kommun is hidden instead. DeSO and RegSO are protected together, so
a DeSO hidden in one view cannot be recovered from its RegSO in the other. Stadsdelar do not
nest with DeSO: their borders differ, so no exact sum links the two (geographic differencing of
overlapping areas is not modelled).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from lagesbild.analysis.known import blank_uncovered, blank_unknown_sex, covered_areas, sex_known
from lagesbild.analysis.time_coverage import apply_part_year, part_year_table
from lagesbild.analysis import disclosure, stats
from lagesbild.analysis.figures import (
    FIGURE_COLUMNS,
    _rate_text,
    indicator_figures,
    layer_figures,
    population_for,
    protected_counts,
    source_label,
)
from lagesbild.analysis.layer_rows import layer_incidents
from lagesbild.analysis.memo import memoised
from lagesbild.analysis.small_places import (  # noqa: F401 - re-exported: ui.common.fact, tests
    SMALL_LEVELS,
    deso_to_regso,
    kommuner_with,
    level_areas,
    level_name,
    locate,
    small_levels,
    supports,
)
from lagesbild.analysis.small_protect import protect_kommun, remainder
from lagesbild.core import schema
from lagesbild.core.errors import InputError
from lagesbild.core.frames import Frames
from lagesbild.core.layers import LayerSpec
from lagesbild.core.settings import Settings
from lagesbild.core.taxonomy import ALL, Taxonomy

SMALL_PER = 1000
SMALL_KINDS = ("incident_rate", "indicator")
UNLOCATED = "_utan_lage"
SEXES = ("K", "M", "T")


def _counts_by(incidents: pd.DataFrame, where: pd.Series) -> pd.DataFrame:
    """Counts per (kommun, place, sex) with T for all and K/M by victim sex."""
    frame = pd.DataFrame({"kommun_id": incidents["area_id"].astype("string"),
                          "place": where.fillna(UNLOCATED).astype("string"),
                          "victim_sex": incidents["victim_sex"].astype("string")})
    total = frame.groupby(["kommun_id", "place"]).size().rename("count").reset_index()
    split = frame[frame["victim_sex"].isin(["K", "M"])]
    by_sex = split.groupby(["kommun_id", "place", "victim_sex"]).size().rename("count")
    by_sex = by_sex.reset_index().rename(columns={"victim_sex": "sex"})
    return pd.concat([total.assign(sex="T"), by_sex], ignore_index=True)


def protected_small_counts(frames: Frames, spec: LayerSpec, *, level: str, period: str,
                           taxonomy: Taxonomy, settings: Settings) -> pd.DataFrame:
    """Counts per small area × sex (and each kommun's remainder without a position), protected.

    Columns: kommun_id, area_id (UNLOCATED for the remainder), sex, count, suppressed,
    suppression. Only incident layers have counts below the kommun. Computed once per frames
    object and arguments (K, M and T together: a change of sex reads the same table).
    """
    if spec.kind != "incident_rate":
        raise InputError(f"Lagret {spec.id} har inga antal under kommunnivå.", field="level",
                         fix="Välj ett lager byggt på enskilda brott (polisens utdrag).")
    return memoised(frames, ("small_counts", spec, level, str(period), taxonomy, settings),
                 lambda: _protected_small_counts(frames, spec, level=level, period=period,
                                                 taxonomy=taxonomy, settings=settings))


def raw_small_counts(frames: Frames, spec: LayerSpec, *, level: str, period: str,
                     taxonomy: Taxonomy, settings: Settings) -> pd.DataFrame:
    """The true counts of the cells `protected_small_counts` publishes (same rows), nothing
    hidden: for the audit, which needs the truth beside what is shown."""
    return memoised(frames, ("raw_small_counts", spec, level, str(period), taxonomy, settings),
                    lambda: _protected_small_counts(frames, spec, level=level, period=period,
                                                    taxonomy=taxonomy, settings=settings,
                                                    protect=False))


def _protected_small_counts(frames: Frames, spec: LayerSpec, *, level: str, period: str,
                            taxonomy: Taxonomy, settings: Settings,
                            protect: bool = True) -> pd.DataFrame:
    nested = level in ("deso", "regso") and {"deso", "regso"} <= set(small_levels(frames))
    incidents = layer_incidents(frames, spec, period=period, taxonomy=taxonomy)
    kommun_cells = protected_counts(frames, spec, period=period, taxonomy=taxonomy,
                                    settings=settings)
    kommun_hidden = {(str(a), str(s)): bool(h) for a, s, h in zip(
        kommun_cells["area_id"], kommun_cells["sex"], kommun_cells["suppressed"])}
    kommun_count = {(str(a), str(s)): c for a, s, c in zip(
        kommun_cells["area_id"], kommun_cells["sex"], kommun_cells["count"])}
    # only kommuner the layer has a figure for (missing is not zero: no relation field, …)
    with_figure = set(kommun_cells["area_id"].astype(str))
    incidents = incidents[incidents["area_id"].astype(str).isin(with_figure)]
    if nested:
        up = deso_to_regso(frames)
        deso_at = locate(frames, incidents, "deso")
        regso_at = locate(frames, incidents, "regso")
        cells = _nested_cells(frames, incidents, deso_at, regso_at, up)
    else:
        cells = _flat_cells(frames, incidents, locate(frames, incidents, level), level)
    parts = []
    # plain Python strings: each kommun's table is small, and Arrow-backed columns would be
    # converted to NumPy again on every comparison inside the protection
    cells = cells.astype({col: object for col in ("kommun_id", "l1", "l2", "sex")})
    cells = cells[cells["kommun_id"].isin(with_figure)]
    for kommun, rows in cells.groupby("kommun_id", sort=True):
        if not protect:
            parts.append(rows.reset_index(drop=True).assign(suppressed=False, suppression=""))
            continue
        parts.append(protect_kommun(rows.reset_index(drop=True), str(kommun), kommun_hidden,
                                     kommun_count, settings.suppress_below))
    if not parts:
        return pd.DataFrame(columns=["kommun_id", "area_id", "sex", "count", "suppressed",
                                     "suppression"])
    out = pd.concat(parts, ignore_index=True)
    solo = out["l1"].str.startswith("_solo:")
    if nested and level == "deso":
        is_area = ~out["l2"].isin([ALL, UNLOCATED])
        area = out["l2"]
        rest = (out["l2"] == UNLOCATED) | ((out["l1"] == UNLOCATED) & (out["l2"] == ALL))
    elif nested:
        is_area = (out["l2"] == ALL) & ~out["l1"].isin([ALL, UNLOCATED]) & ~solo
        area = out["l1"]
        rest = (out["l2"] == ALL) & ((out["l1"] == UNLOCATED) | solo)
    else:
        is_area = ~out["l1"].isin([ALL, UNLOCATED])
        area = out["l1"]
        rest = out["l1"] == UNLOCATED
    shown = out[is_area].assign(area_id=area[is_area])
    return pd.concat([shown, remainder(out[rest], UNLOCATED)], ignore_index=True)[
        ["kommun_id", "area_id", "sex", "count", "suppressed", "suppression"]]


def _grid(kommun_places: pd.DataFrame, counts: pd.DataFrame) -> pd.DataFrame:
    """Every (kommun, l1, l2) row × K/M/T with its count (zeros kept)."""
    grid = kommun_places.merge(pd.DataFrame({"sex": list(SEXES)}), how="cross")
    out = grid.merge(counts, on=["kommun_id", "l1", "l2", "sex"], how="left")
    out["count"] = out["count"].fillna(0).astype("int64")
    return out


def _flat_cells(frames: Frames, incidents: pd.DataFrame, where: pd.Series, level: str
                ) -> pd.DataFrame:
    areas = level_areas(frames, level)
    counted = _counts_by(incidents, where).rename(columns={"place": "l1"}).assign(l2=ALL)
    kommuner = sorted(set(areas["kommun_id"].astype(str)))
    places = pd.concat([
        pd.DataFrame({"kommun_id": areas["kommun_id"].astype(str), "l1": areas["area_id"].astype(str)}),
        pd.DataFrame({"kommun_id": kommuner, "l1": UNLOCATED}),
        pd.DataFrame({"kommun_id": kommuner, "l1": ALL})], ignore_index=True).assign(l2=ALL)
    totals = counted.groupby(["kommun_id", "sex"], as_index=False)["count"].sum().assign(l1=ALL)
    return _grid(places, pd.concat([counted, totals], ignore_index=True))


def _nested_cells(frames: Frames, incidents: pd.DataFrame, deso_at: pd.Series,
                  regso_at: pd.Series, up: dict[str, str]) -> pd.DataFrame:
    """Rows l1 = RegSO (or UNLOCATED), l2 = DeSO inside it (or ALL for the RegSO's total, or
    UNLOCATED for its incidents placed in the RegSO but in no DeSO). A DeSO without a RegSO
    gets a one-member group of its own ("_solo:<id>"), never shown."""
    deso = level_areas(frames, "deso")
    regso = level_areas(frames, "regso")
    parent = {d: up.get(d, f"_solo:{d}") for d in deso["area_id"].astype(str)}
    l1 = regso_at.copy()
    placed = deso_at.notna()
    l1.loc[placed] = [parent[str(d)] for d in deso_at[placed]]
    deso_rows = _counts_by(incidents[placed], deso_at[placed]).rename(columns={"place": "l2"})
    deso_rows["l1"] = [parent[str(d)] for d in deso_rows["l2"]]
    in_regso = ~placed & l1.notna()
    rest = _counts_by(incidents[in_regso], l1[in_regso]).rename(columns={"place": "l1"})
    rest = rest.assign(l2=UNLOCATED)
    nowhere = _counts_by(incidents[l1.isna()], l1[l1.isna()]).rename(columns={"place": "l1"})
    nowhere = nowhere.assign(l2=ALL)
    members = pd.concat([deso_rows, rest], ignore_index=True)
    group_totals = members.groupby(["kommun_id", "l1", "sex"], as_index=False)["count"].sum()
    top = pd.concat([group_totals, nowhere], ignore_index=True)
    kommun_totals = top.groupby(["kommun_id", "sex"], as_index=False)["count"].sum()
    counts = pd.concat([members, group_totals.assign(l2=ALL), nowhere,
                        kommun_totals.assign(l1=ALL, l2=ALL)], ignore_index=True)
    kommun_of_regso = dict(zip(regso["area_id"].astype(str), regso["kommun_id"].astype(str)))
    kommun_of_deso = dict(zip(deso["area_id"].astype(str), deso["kommun_id"].astype(str)))
    kommuner = sorted(set(kommun_of_regso.values()) | set(kommun_of_deso.values()))
    places = pd.concat([
        pd.DataFrame({"kommun_id": list(kommun_of_deso.values()),
                      "l1": [parent[d] for d in kommun_of_deso], "l2": list(kommun_of_deso)}),
        pd.DataFrame({"kommun_id": list(kommun_of_regso.values()), "l1": list(kommun_of_regso),
                      "l2": UNLOCATED}),
        pd.DataFrame({"kommun_id": list(kommun_of_regso.values()), "l1": list(kommun_of_regso),
                      "l2": ALL}),
        pd.DataFrame({"kommun_id": [kommun_of_deso[d] for d, p in parent.items()
                                    if p.startswith("_solo:")],
                      "l1": [p for p in parent.values() if p.startswith("_solo:")], "l2": ALL}),
        pd.DataFrame({"kommun_id": kommuner, "l1": UNLOCATED, "l2": ALL}),
        pd.DataFrame({"kommun_id": kommuner, "l1": ALL, "l2": ALL})], ignore_index=True)
    return _grid(places.drop_duplicates(), counts)


def small_area_figures(frames: Frames, spec: LayerSpec, *, level: str, period: str, sex: str,
                       taxonomy: Taxonomy, settings: Settings, kommun: str | None = None
                       ) -> pd.DataFrame:
    """FIGURE_COLUMNS (+ parent_id) for the areas of `level` and their kommun(s), one `sex`.

    Incident layers give rates per 1 000 (SMALL_PER) with Poisson intervals; the kommun rows
    carry the kommun's published count as a rate per 1 000 too, and a note with the count that
    has no position at this level. Survey layers give the shares given for the areas.
    """
    if level not in SMALL_LEVELS:
        raise InputError(f"Okänd områdesnivå '{level}'.", field="level",
                         fix=f"Välj en av: {', '.join(SMALL_LEVELS)}.")
    if spec.kind not in SMALL_KINDS:
        raise InputError(
            f"Lagret {spec.id} finns bara per kommun: källan har inga uppgifter för mindre "
            "områden.", field="level", fix="Välj ett lager från polisens utdrag eller en enkät "
            "med svar per område.")
    areas = level_areas(frames, level, kommun)
    if spec.kind == "incident_rate":
        rows = _incident_rows(frames, spec, areas, level=level, period=period, taxonomy=taxonomy,
                              settings=settings)
    else:
        rows = _indicator_rows(frames, spec, areas, period=period, settings=settings)
    rows = rows[rows["sex"] == sex]
    kommuner = areas["kommun_id"].astype(str).unique().tolist() if kommun is None else [kommun]
    meta = pd.concat([
        pd.DataFrame({"area_id": areas["area_id"].astype(str), "name": areas["name"],
                      "level": level, "parent_id": areas["kommun_id"].astype(str)}),
        pd.DataFrame({"area_id": kommuner, "name": [frames.area_name(k) for k in kommuner],
                      "level": schema.AreaLevel.KOMMUN.value,
                      "parent_id": [frames.parent_of(k) for k in kommuner]})], ignore_index=True)
    out = meta.merge(rows, on="area_id", how="left")
    out["period"], out["sex"] = str(period), sex
    unit = f"per{SMALL_PER}" if spec.kind == "incident_rate" else "percent"
    out["unit"] = out["unit"].fillna(unit) if "unit" in out else unit
    out["display"] = out["display"].fillna("uppgift saknas")
    out["note"] = out["note"].fillna("")
    out["suppressed"] = out["suppressed"].fillna(False).astype(bool)
    out["suppression"] = out["suppression"].fillna("").astype(str)
    out["source"] = out["source"].fillna("")
    out["part_year"] = out["part_year"].fillna("").astype(str) if "part_year" in out else ""
    for col in ("count", "denominator", "n"):
        out[col] = pd.to_numeric(out[col]).astype("Int64")
    for col in ("value", "ci_low", "ci_high"):
        out[col] = pd.to_numeric(out[col]).astype("Float64")
    out.attrs.update(area_level=level, per=SMALL_PER)
    return out[[*FIGURE_COLUMNS, "parent_id"]].reset_index(drop=True)


def _incident_rows(frames: Frames, spec: LayerSpec, areas: pd.DataFrame, *, level: str,
                   period: str, taxonomy: Taxonomy, settings: Settings) -> pd.DataFrame:
    small = replace(spec, per=SMALL_PER)
    cells = protected_small_counts(frames, spec, level=level, period=period, taxonomy=taxonomy,
                                   settings=settings)
    cells = cells[cells["kommun_id"].isin(set(areas["kommun_id"].astype(str)))]
    label = source_label(frames, "incidents")  # memoised: millions of rows nationally
    shown = cells[cells["area_id"] != UNLOCATED]
    pop = population_for(frames, period)
    out = shown.merge(pop, on=["area_id", "sex"], how="left")
    rates = stats.rate(out["count"].astype("Float64"), out["population"], per=SMALL_PER,
                       confidence=settings.confidence)
    out = pd.concat([out, rates], axis=1).rename(columns={"population": "denominator"})
    out["note"] = np.where(out["denominator"].isna(), "folkmängd saknas för området och året", "")
    out["display"] = [_rate_text(v, c, s, SMALL_PER, settings.suppress_below)
                      for v, c, s in zip(out["value"], out["count"], out["suppression"])]
    # a year the extracts cover in part: the area's kommun's days, no annual rate unless asked
    out = apply_part_year(out, part_year_table(frames, period, pop), per=SMALL_PER,
                          confidence=settings.confidence, threshold=settings.suppress_below,
                          annualise=settings.annualise, kommun_of=out["kommun_id"])
    out = blank_uncovered(out, covered_areas(frames, period, "incidents"),
                          kommun_of=out["kommun_id"])
    out = blank_unknown_sex(out, sex_known(frames, period, "incidents"),
                            kommun_of=out["kommun_id"])
    kommun_rows = pd.concat([layer_figures(frames, small, period=period, sex=s, taxonomy=taxonomy,
                                           settings=settings)
                             for s in SEXES])
    kommun_rows = kommun_rows[kommun_rows["area_id"].isin(set(areas["kommun_id"].astype(str)))]
    rest = cells[cells["area_id"] == UNLOCATED].set_index(["kommun_id", "sex"])
    notes = []
    for a, s, note in zip(kommun_rows["area_id"], kommun_rows["sex"], kommun_rows["note"]):
        extra = ""
        r = rest.loc[(a, s)] if (a, s) in rest.index else None
        if r is not None and (bool(r["suppressed"]) or int(r["count"]) > 0):
            shown_count = disclosure.display_count(r["count"], str(r["suppression"]),
                                                   threshold=settings.suppress_below)
            extra = f"{shown_count} brott utan läge på {level_name(level)}-nivå"
        notes.append("; ".join(x for x in (note, extra) if x))
    kommun_rows = kommun_rows.assign(note=notes)
    keep = ["area_id", "sex", "count", "denominator", "value", "ci_low", "ci_high", "suppressed",
            "suppression", "display", "note", "part_year"]
    out = pd.concat([out[keep], kommun_rows[keep]], ignore_index=True)
    return out.assign(n=pd.NA, unit=small.unit, source=label)


def _indicator_rows(frames: Frames, spec: LayerSpec, areas: pd.DataFrame, *, period: str,
                    settings: Settings) -> pd.DataFrame:
    ids = areas["area_id"].astype(str).tolist()
    rows = indicator_figures(frames, spec.indicator or "", period=period, settings=settings,
                             area_ids=ids)
    kommun = indicator_figures(frames, spec.indicator or "", period=period, settings=settings)
    kommun = kommun[kommun["area_id"].isin(set(areas["kommun_id"].astype(str)))]
    return pd.concat([rows, kommun], ignore_index=True)
