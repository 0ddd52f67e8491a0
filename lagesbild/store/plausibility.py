"""Rows that cannot be true, rejected on their own row before anything is stored.

- A period after today (a typo "2031" became every view's default period): the row is rejected
  naming its year; so is an incident dated after now.
- A crime table's total below women + men (T < K + M) for one area, year and category: the
  three rows are rejected together (which of them is wrong cannot be told). T > K + M is valid:
  victims of unknown sex. Each age group of a table by age is checked on its own.
- A crime count above the area's population that year (a population or code column read as
  the count).
- Pupils reached by a programme in a term above the site's target group (`eligible_pupils` in
  the sites file; 0 there means not given and checks nothing). Each row on its own: two
  programmes may reach the same pupils.

Every rejection names the file, the row and the file's own column, like the readers' do.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime

import pandas as pd

from lagesbild.core.errors import Rejection
from lagesbild.core.programmes import TARGET_GROUPS, load_programmes
from lagesbild.core.settings import get_settings
from lagesbild.sources.tables import ReadResult

PERIOD_COLUMNS = {"incident_counts": "period", "indicators": "period", "population": "year",
                  "programme_activity": "period", "actions": "period", "trainings": "term",
                  "staff": "year"}


def check(result: ReadResult, *, today: date | None = None,
          population: pd.DataFrame | None = None,
          sites: pd.DataFrame | None = None) -> ReadResult:
    """`result` with implausible rows moved from accepted to rejected (module docstring).
    `population` (the workspace's): a crime count above its area's population that year is
    rejected too; `sites` (the workspace's): pupils reached above a site's target group."""
    today = today or date.today()
    frame = result.accepted
    if not len(frame) or "_line" not in frame.columns:
        return result
    bad: dict[int, Rejection] = {}
    table = result.dataset.table
    column = PERIOD_COLUMNS.get(table)
    if column in frame.columns:
        for pos, (line, value) in enumerate(zip(frame["_line"], frame[column])):
            year = _first_year(value)
            if year is not None and year > today.year and not pd.isna(line):
                bad[pos] = Rejection(result.dataset.file, int(line), _header(result, column),
                                     str(value), f"perioden {value} ligger efter dagens datum "
                                     f"({today.isoformat()}); kontrollera året")
    if table == "incidents" and "occurred_at" in frame.columns:
        now = pd.Timestamp(datetime.combine(today, datetime.max.time()))
        when = pd.to_datetime(frame["occurred_at"], errors="coerce")
        for pos, (line, value) in enumerate(zip(frame["_line"], when)):
            if not pd.isna(value) and value > now and not pd.isna(line):
                bad[pos] = Rejection(result.dataset.file, int(line),
                                     _header(result, "occurred_at"), str(value),
                                     f"händelsen är daterad efter dagens datum ({today.isoformat()})")
    if table == "incident_counts":
        bad.update(_totals_below_parts(result, frame, exclude=set(bad)))
        if population is not None and len(population):
            bad.update(_above_population(result, frame, population, exclude=set(bad)))
    if table == "programme_activity" and sites is not None and len(sites):
        bad.update(_above_target_group(result, frame, sites, exclude=set(bad)))
    if not bad:
        return result
    keep = [pos not in bad for pos in range(len(frame))]
    rejected = sorted([*result.rejected, *bad.values()], key=lambda r: r.row)
    accepted = frame[keep].reset_index(drop=True)
    dataset = result.dataset
    if column in accepted.columns and dataset.period:  # the dataset's span without the rejected
        periods = sorted(accepted[column].dropna().astype(str).unique())
        dataset = replace(dataset, period=f"{periods[0]}–{periods[-1]}" if periods else "")
    return replace(result, accepted=accepted, rejected=rejected, dataset=dataset)


def _first_year(value: object) -> int | None:
    found = re.search(r"(19|20)\d\d", str(value))
    return int(found.group(0)) if found else None


def _header(result: ReadResult, column: str) -> str:
    return result.columns.get(column, column)


def _totals_below_parts(result: ReadResult, frame: pd.DataFrame, *,
                        exclude: set[int]) -> dict[int, Rejection]:
    out: dict[int, Rejection] = {}
    rows = frame.reset_index(drop=True)
    age = rows["age_group"].astype("string").fillna("") if "age_group" in rows else \
        pd.Series("", index=rows.index, dtype="string")  # each age group on its own
    groups = rows.groupby(["area_id", "period", rows["category"].astype("string").str.strip()
                           .str.casefold(), age], sort=False).indices
    for _, positions in groups.items():
        sexes = {str(rows.at[p, "sex"]): p for p in positions if p not in exclude}
        if not {"K", "M", "T"} <= set(sexes):
            continue
        k, m, t = (int(rows.at[sexes[s], "count"]) for s in ("K", "M", "T"))
        if t < k + m:
            for sex in ("K", "M", "T"):
                pos = sexes[sex]
                out[pos] = Rejection(result.dataset.file, int(rows.at[pos, "_line"]),
                                     _header(result, "count"), str(rows.at[pos, "count"]),
                                     f"totalt ({t}) är mindre än kvinnor + män ({k} + {m}) för "
                                     f"{rows.at[pos, 'area_id']}, {rows.at[pos, 'period']}, "
                                     f"{rows.at[pos, 'category']}; alla tre raderna avvisades")
    return out


def _above_population(result: ReadResult, frame: pd.DataFrame, population: pd.DataFrame, *,
                      exclude: set[int]) -> dict[int, Rejection]:
    """Crime counts above the area's population of that year and sex (a misplaced column: the
    population or a code read as a count)."""
    pop = population.assign(year=population["year"].astype("string"))
    people = pop.groupby(["area_id", "year", "sex"])["population"].max()
    out: dict[int, Rejection] = {}
    for pos, (area, period, sex, count, line) in enumerate(zip(
            frame["area_id"].astype(str), frame["period"].astype(str), frame["sex"].astype(str),
            frame["count"], frame["_line"])):
        limit = people.get((area, period[:4], sex))
        if pos in exclude or limit is None or pd.isna(count) or pd.isna(line):
            continue
        if int(count) > int(limit):
            out[pos] = Rejection(result.dataset.file, int(line), _header(result, "count"),
                                 str(count), f"fler brott ({int(count)}) än invånare ({int(limit)}) "
                                 f"i {area} {period[:4]}; kontrollera kolumnerna")
    return out


def _above_target_group(result: ReadResult, frame: pd.DataFrame, sites: pd.DataFrame, *,
                        exclude: set[int]) -> dict[int, Rejection]:
    """Pupils reached above the site's pupils in the target group (a class count or the
    school's whole roll read as pupils reached, or a target group out of date). A school with
    pupils per target group is checked against the programme's own groups (the registry)."""
    registry = load_programmes(get_settings().layers_dir)
    keys = sites["site_id"].astype(str).str.strip().str.casefold()
    eligible = pd.to_numeric(sites["eligible_pupils"], errors="coerce")
    target = dict(zip(keys, eligible))
    groups = {k: {g: int(v) for g in TARGET_GROUPS
                  if f"eligible_{g}" in sites and not pd.isna(v := rec.get(f"eligible_{g}"))}
              for k, rec in zip(keys, sites.to_dict("records"))}
    names = dict(zip(keys, sites["name"].astype(str)))
    out: dict[int, Rejection] = {}
    for pos, (site, programme, period, reached, line) in enumerate(zip(
            frame["site_id"].astype(str), frame["programme"].astype(str),
            frame["period"].astype(str), frame["pupils_reached"], frame["_line"])):
        key = site.strip().casefold()
        limit, what = target.get(key), "elever i målgruppen"
        if groups.get(key):
            own = [g for g in registry.groups(programme) if g in groups[key]]
            limit = sum(groups[key][g] for g in own) if own else None
            what = "elever i " + ", ".join(TARGET_GROUPS[g][0] for g in own)
        if pos in exclude or limit is None or pd.isna(limit) or int(limit) <= 0 \
                or pd.isna(reached) or pd.isna(line):
            continue
        if int(reached) > int(limit):
            out[pos] = Rejection(result.dataset.file, int(line), _header(result, "pupils_reached"),
                                 str(reached), f"fler elever nådda ({int(reached)}) än {what} "
                                 f"({int(limit)}) på {site} ({names[key]}) {period}; "
                                 "kontrollera kolumnerna eller målgruppen i skolfilen")
    return out
