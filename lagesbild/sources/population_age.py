"""Population by age (SCB's "Folkmängd efter region, ålder, kön och år"): ages or age bands
summed into the groups of layers/aldersgrupper.toml (`core.age`), beside the total rows. The
same rule serves Brå-like crime counts by the victim's age (`sources.crime_counts`) and SCB's
PX-Web answers by age (`sources.pxweb`).

A row whose age is a total ("totalt ålder") is the total (age_group blank). Without such rows
the total is the sum of every age row. A band that fits no one group (SCB's 15–19 år across
the default 0–17 / 18–24) makes the groups it overlaps incomplete: they get no population (a
rate on part of a group's people would be too high), and a note says so. Missing, not zero.
"""

from __future__ import annotations

import re

import pandas as pd

from lagesbild.core.age import FILE, AgeGroups, is_total, load_age_groups
from lagesbild.core.settings import get_settings


def by_age_group(frame: pd.DataFrame, column: str, notes: list[str], *,
                 keys: tuple[str, ...] = ("area_id", "year", "sex"), value: str = "population",
                 what: str = "folkmängd") -> pd.DataFrame:
    """`frame` (with `_age` text) as total rows and age-group rows (column age_group).

    `keys` and `value` name the cell and its number (a crime table: area, period, category and
    sex, count); `what` is the number's name in the notes. A cell with age rows but no total
    row gets the sum of its age rows as its total (and a note)."""
    grouping = load_age_groups(get_settings().layers_dir / FILE)
    keys_l = list(keys)
    text = frame["_age"].astype(str).str.strip()
    total = text.map(is_total).to_numpy(dtype=bool) | (text == "").to_numpy(dtype=bool)
    totals = frame[total].drop(columns="_age").assign(age_group=None)
    ages = frame[~total]
    parts = age_parts(ages, column, notes, grouping=grouping, keys=keys, value=value,
                      what=what)
    given = set(totals[keys_l].itertuples(index=False, name=None))
    sums = ages.groupby(keys_l, as_index=False).agg(**{value: (value, "sum"),
                                                       "_line": ("_line", "min")})
    lacking = [k not in given for k in sums[keys_l].itertuples(index=False, name=None)]
    sums = sums[pd.Series(lacking, index=sums.index, dtype=bool)]
    if len(sums):  # no total row: every age row of the cell adds up to it
        totals = pd.concat([totals, sums.assign(age_group=None)], ignore_index=True)
        notes.append(f"Filen har ingen rad för alla åldrar i {len(sums)} "
                     "fall; totalen är där summan av "
                     f"åldrarna i '{column}'.")
    return pd.concat([totals, parts], ignore_index=True)


def age_parts(ages: pd.DataFrame, column: str, notes: list[str], *, grouping: AgeGroups,
              keys: tuple[str, ...] = ("area_id", "year", "sex"),
              value: str = "population", what: str = "folkmängd") -> pd.DataFrame:
    """Rows with an age (not a total) summed into their age groups; a band across two groups
    leaves those groups out (incomplete: missing, not a smaller number), with a note."""
    groups = grouping.group_of(ages["_age"])
    broken = _incomplete(grouping, ages.loc[groups.isna().to_numpy(), "_age"])
    unplaced = sorted(set(ages.loc[groups.isna().to_numpy(), "_age"]), key=_first_number)
    if unplaced:
        notes.append(f"Åldrarna {', '.join(unplaced[:4])} i '{column}' passar inte i en "
                     f"åldersgrupp ({FILE}); "
                     + (f"grupperna {', '.join(broken)} blir därför ofullständiga och får "
                        f"ingen uppgift om {what} (saknas, inte noll)." if broken else "de räknas bara i "
                        "totalen."))
    keep = groups.notna().to_numpy() & ~groups.isin(broken).fillna(False).to_numpy()
    parts = ages[keep].assign(age_group=groups[keep].to_numpy())
    parts = parts.groupby([*keys, "age_group"], as_index=False).agg(
        **{value: (value, "sum"), "_line": ("_line", "min")})
    if len(parts):
        found = sorted(parts["age_group"].unique(), key=_first_number)
        notes.append(f"{what[0].upper() + what[1:]} per åldersgrupp lästes för {len(found)} "
                     f"grupper ({', '.join(found)}).")
    return parts


def totals_by_sex(parts: pd.DataFrame) -> pd.DataFrame:
    """Age-group rows with T = K + M added where the file gives K and M but no T."""
    has_t = set(parts.loc[parts["sex"] == "T", ["area_id", "year", "age_group"]].itertuples(
        index=False))
    km = parts[parts["sex"].isin(["K", "M"])]
    sums = km.groupby(["area_id", "year", "age_group"], as_index=False).agg(
        population=("population", "sum"), sexes=("sex", "nunique"))
    given = [(a, y, g) in has_t for a, y, g in zip(sums["area_id"], sums["year"],
                                                    sums["age_group"])]
    sums = sums[(sums["sexes"] == 2).to_numpy() & ~pd.Series(given, dtype=bool).to_numpy()]
    return pd.concat([parts, sums.drop(columns="sexes").assign(sex="T", _line=pd.NA)],
                     ignore_index=True)


def _incomplete(grouping: AgeGroups, bands: pd.Series) -> list[str]:
    """The groups an unplaceable band overlaps (each has people the band does not tell)."""
    out: set[str] = set()
    for band in set(bands):
        numbers = [int(n) for n in re.findall(r"\d+", str(band))]
        if not numbers:
            continue
        low, high = numbers[0], numbers[1] if len(numbers) > 1 else 10_000
        for g in grouping.groups:
            top = g.high if g.high is not None else 10_000
            if g.low <= high and low <= top:
                out.add(g.label)
    return sorted(out, key=_first_number)


def _first_number(text: str) -> int:
    found = re.search(r"\d+", str(text))
    return int(found.group()) if found else 10_000
