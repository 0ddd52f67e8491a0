"""Coverage in time: which part of each year the incident extracts cover, per kommun and län.

A police extract covers the days from its first to its last event (a dataset's extent). An
extract that ends 31 March covers only January–March of its last year: counted as a year it
would show a rate a quarter of the true one, and a change test against a full year would find
a "decrease beyond chance" that is only the calendar. So every year of the incidents is
measured per kommun: the union of the extents of the datasets that hold the kommun's rows
(a kommun no dataset mentions is covered by all of them: its zero is a count), clipped to the
year. A year is whole when the covered days reach within `EDGE_DAYS` of 1 January and of
31 December with no gap longer than that inside (events are sparse in a small kommun: the
first of the year may fall on 6 January); otherwise it is a part year, labelled "1 jan–31 mar".

A county is a part year when any of its kommuner is; its covered share of the year is the
population-weighted mean of its kommuner's (`part_year_table`), so an annualised county rate
has the person-time of its kommuner.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from lagesbild.analysis.memo import memo_dict, memoised
from lagesbild.core.frames import Frames
from lagesbild.core.time_spans import YearCover, declared_extent, year_cover  # noqa: F401

COLUMNS = ["area_id", "year", "days", "days_in_year", "fraction", "label"]


def incident_spans(frames: Frames) -> pd.DataFrame:
    """Per incident dataset (`source`) and kommun (`area_id`, missing kept as None): its rows
    and its first and last event time (NaT without dates). A small table, computed once per
    workspace state and kept with the derived tables (`analysis.memo.memoised`): the sidebar's
    part years and the sources' labels need it, not millions of rows."""
    return memoised(frames, ("incident_spans",), lambda: _incident_spans(frames))


def _incident_spans(frames: Frames) -> pd.DataFrame:
    data = frames.incidents
    when = pd.to_datetime(data["occurred_at"])
    found = pd.DataFrame({"source": data["source"], "area_id": data["area_id"], "when": when})
    found = found[found["source"].notna()]
    grouped = found.groupby(["source", "area_id"], observed=True, dropna=False, sort=True)
    out = grouped["when"].agg(["size", "min", "max"]).reset_index()
    out = out.rename(columns={"size": "rows", "min": "first", "max": "last"})
    return pd.DataFrame({
        "source": out["source"].astype(str).astype(object),
        "area_id": [None if pd.isna(a) else str(a) for a in out["area_id"]],
        "rows": out["rows"].astype("int64"),
        "first": pd.to_datetime(out["first"]).astype("datetime64[ns]"),
        "last": pd.to_datetime(out["last"]).astype("datetime64[ns]")})


def incident_sources(frames: Frames) -> list[str]:
    """The incident datasets (sorted names) the incidents come from."""
    return sorted(set(incident_spans(frames)["source"]))


def dataset_extents(frames: Frames) -> dict[str, tuple[date, date]]:
    """Each incident dataset's span: the one its record declares (imported with `covers`),
    else its first and last event day (memoised per frames object)."""
    key = ("dataset_extents",)
    memo = memo_dict(frames)
    if key not in memo:
        spans = incident_spans(frames).dropna(subset=["first", "last"])
        grouped = spans.groupby("source").agg(first=("first", "min"), last=("last", "max"))
        found = {str(s): (lo.date(), hi.date())
                 for s, lo, hi in zip(grouped.index, grouped["first"], grouped["last"])}
        sets = frames.datasets
        if len(sets) and "period" in sets.columns:
            for name, period in zip(sets["dataset"].astype(str), sets["period"]):
                declared = declared_extent(period)
                if declared is not None and name in found:
                    found[name] = declared
        memo[key] = found
    return dict(memo[key])  # type: ignore[arg-type]


def sources_by_kommun(frames: Frames) -> dict[str, list[str]]:
    """Kommun -> the incident datasets holding any of its rows (memoised per frames object)."""
    key = ("sources_by_kommun",)
    memo = memo_dict(frames)
    if key not in memo:
        spans = incident_spans(frames)
        found: dict[str, list[str]] = {}
        for area, source in zip(spans["area_id"], spans["source"]):
            if pd.notna(area):  # rows without a kommun hold no kommun's source
                found.setdefault(str(area), []).append(str(source))
        memo[key] = found
    return memo[key]  # type: ignore[return-value]


def kommun_covers(frames: Frames, year: int | str) -> dict[str, YearCover]:
    """Per kommun of the workspace, the part of `year` its incident datasets cover
    (memoised per frames object and year)."""
    key = ("kommun_covers", str(year))
    memo = memo_dict(frames)
    if key not in memo:
        extents = dataset_extents(frames)
        every = list(extents.values())
        by_kommun = sources_by_kommun(frames)
        covers = {}
        for kommun in frames.kommuner["area_id"].astype(str):
            mine = [extents[s] for s in by_kommun.get(kommun, []) if s in extents] or every
            covers[kommun] = year_cover(mine, int(year))
        memo[key] = covers
    return dict(memo[key])  # type: ignore[arg-type]


def part_year_table(frames: Frames, year: int | str,
                    population: pd.DataFrame | None = None) -> pd.DataFrame:
    """COLUMNS per kommun and län for `year` (label '' = the whole year is covered).

    A county's fraction is its kommuner's, weighted by their total population in `population`
    (area_id, sex, population) when given, else unweighted; its label is its kommuner's common
    label, or 'olika för kommunerna' when they differ.
    """
    covers = kommun_covers(frames, year)
    if not covers:
        return pd.DataFrame(columns=COLUMNS)
    rows = [{"area_id": k, "year": int(year), "days": c.days, "days_in_year": c.days_in_year,
             "fraction": 1.0 if c.whole else c.days / c.days_in_year, "label": c.label()}
            for k, c in covers.items()]
    out = pd.DataFrame(rows)
    weights = pd.Series(1.0, index=out["area_id"])
    if population is not None and len(population):
        total = population[population["sex"] == "T"].groupby("area_id")["population"].sum()
        weights = total.reindex(out["area_id"]).astype("float64").fillna(0.0)
        weights.index = out["area_id"]
    for lan in frames.lan["area_id"].astype(str):
        part = out[out["area_id"].str[:2] == lan[:2]]
        if not len(part):
            continue
        w = weights.reindex(part["area_id"]).to_numpy(dtype="float64")
        w = w if w.sum() > 0 else np.ones(len(part))
        labels = set(part["label"])
        label = labels.pop() if len(labels) == 1 else "olika för kommunerna"
        fraction = float(np.average(part["fraction"].to_numpy(dtype="float64"), weights=w))
        rows.append({"area_id": lan, "year": int(year), "days": int(round(fraction * part[
            "days_in_year"].iloc[0])), "days_in_year": int(part["days_in_year"].iloc[0]),
            "fraction": 1.0 if label == "" else fraction, "label": label})
    return pd.DataFrame(rows, columns=COLUMNS)


def part_years(frames: Frames) -> dict[str, str]:
    """Year -> label of the incident years that are a part year somewhere ('' never appears):
    the label is the kommuner's common one, or 'delvis' with the count of part-year kommuner."""
    from lagesbild.analysis.cube import incident_periods

    found = {}
    for year in incident_periods(frames):
        covers = kommun_covers(frames, year)
        labels = {c.label() for c in covers.values() if not c.whole}
        if not labels:
            continue
        partial = sum(not c.whole for c in covers.values())
        found[str(year)] = labels.pop() if len(labels) == 1 and partial == len(covers) else \
            f"delår i {partial} av {len(covers)} kommuner"
    return found


def period_label(frames: Frames, period: str) -> str:
    """'2024' or '2024 (delår 1 jan–31 mar)' for an incident year."""
    label = part_years(frames).get(str(period))
    return f"{period} (delår {label})" if label else str(period)


def apply_part_year(out: pd.DataFrame, table: pd.DataFrame, *, per: int, confidence: float,
                    threshold: int, annualise: bool, kommun_of: pd.Series | None = None
                    ) -> pd.DataFrame:
    """Rate figures (count, denominator = population, value, ci_low, ci_high, display, note,
    suppression) of one year with the part-year rule applied; adds the column `part_year`
    ('' for a whole year, else the covered days' label).

    A part-year row has no annual rate: value, interval and denominator are cleared and the
    display says the count and the days it covers. With `annualise` the rate is per year of
    person-time instead (population × covered share of the year), and says so. `table` is
    `part_year_table` of the year; `kommun_of` maps each row's area to the kommun whose
    coverage it has (areas below the kommun), else the row's own area_id is looked up.
    """
    from lagesbild.analysis import disclosure, stats
    from lagesbild.analysis.shares import _num

    out = out.copy()
    keys = (kommun_of if kommun_of is not None else out["area_id"]).astype(str)
    info = table.set_index("area_id") if len(table) else pd.DataFrame(
        columns=["label", "fraction"])
    label = keys.map(info["label"]).fillna("").astype(str).to_numpy()
    fraction = keys.map(info["fraction"]).fillna(1.0).astype("float64").to_numpy()
    part = label != ""
    out["part_year"] = label
    if not part.any():
        return out
    cols = ["value", "ci_low", "ci_high"]
    for col in cols:
        out[col] = pd.to_numeric(out[col]).astype("Float64")
    out["denominator"] = pd.to_numeric(out["denominator"]).astype("Float64")
    shown = [disclosure.display_count(c, s, threshold=threshold)
             for c, s in zip(out["count"], out["suppression"])]
    if annualise:
        exposure = (out["denominator"].to_numpy(dtype="float64", na_value=np.nan)
                    * fraction).round()
        exposure = pd.Series(exposure, index=out.index).where(lambda s: s > 0)
        rates = stats.rate(pd.to_numeric(out["count"]).astype("Float64"), exposure, per=per,
                           confidence=confidence)
        idx = out.index[part]
        for col in cols:
            out.loc[idx, col] = rates.loc[idx, col].astype("Float64")
        out.loc[idx, "denominator"] = exposure.loc[idx].astype("Float64")
        hidden = out["suppression"].astype(str).to_numpy() != ""
        out.loc[idx, "display"] = [
            s if h or pd.isna(v) else
            f"{_num(float(v), 1)} per {_num(per, 0)} och år, uppräknat från {lab} ({s} brott)"
            for h, v, lab, s in zip(hidden[part], out.loc[idx, "value"], label[part],
                                    np.array(shown, dtype=object)[part])]
        note = [f"delår {lab}: årstakt uppräknad (antal ÷ andel av året)" for lab in label[part]]
    else:
        idx = out.index[part]
        for col in cols:
            out.loc[idx, col] = pd.NA
        out.loc[idx, "denominator"] = pd.NA
        hidden = out["suppression"].astype(str).to_numpy() != ""
        out.loc[idx, "display"] = [
            s if h else f"{s} brott {lab} (delår, ingen årstakt)"
            for h, lab, s in zip(hidden[part], label[part], np.array(shown, dtype=object)[part])]
        note = [f"delår {lab}: ingen årstakt (välj uppräkning för en årstakt)"
                for lab in label[part]]
    old = out.loc[idx, "note"].fillna("").astype(str).to_numpy()
    out.loc[idx, "note"] = [f"{n}; {o}" if o else n for n, o in zip(note, old)]
    out["denominator"] = out["denominator"].round().astype("Int64")
    return out

