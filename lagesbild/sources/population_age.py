"""Population by age (SCB's "Folkmängd efter region, ålder, kön och år"): ages or age bands
summed into the groups of layers/aldersgrupper.toml (`core.age`), beside the total rows.

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


def by_age_group(frame: pd.DataFrame, column: str, notes: list[str]) -> pd.DataFrame:
    """`frame` (with `_age` text) as total rows and age-group rows (column age_group)."""
    grouping = load_age_groups(get_settings().layers_dir / FILE)
    text = frame["_age"].astype(str).str.strip()
    total = text.map(is_total).to_numpy(dtype=bool) | (text == "").to_numpy(dtype=bool)
    totals = frame[total].drop(columns="_age").assign(age_group=None)
    ages = frame[~total]
    groups = grouping.group_of(ages["_age"])
    broken = _incomplete(grouping, ages.loc[groups.isna().to_numpy(), "_age"])
    unplaced = sorted(set(ages.loc[groups.isna().to_numpy(), "_age"]), key=_first_number)
    if unplaced:
        notes.append(f"Åldrarna {', '.join(unplaced[:4])} i '{column}' passar inte i en "
                     f"åldersgrupp ({FILE}); "
                     + (f"grupperna {', '.join(broken)} blir därför ofullständiga och får "
                        "ingen folkmängd (uppgift saknas)." if broken else "de räknas bara i "
                        "totalen."))
    keep = groups.notna().to_numpy() & ~groups.isin(broken).fillna(False).to_numpy()
    parts = ages[keep].assign(age_group=groups[keep].to_numpy())
    parts = parts.groupby(["area_id", "year", "sex", "age_group"], as_index=False).agg(
        population=("population", "sum"), _line=("_line", "min"))
    if not len(totals) and len(ages):  # no total rows: every age row adds up to it
        totals = ages.groupby(["area_id", "year", "sex"], as_index=False).agg(
            population=("population", "sum"), _line=("_line", "min")).assign(age_group=None)
        notes.append(f"Filen har ingen rad för alla åldrar; totalen är summan av åldrarna i "
                     f"'{column}'.")
    if len(parts):
        notes.append(f"Folkmängd per åldersgrupp lästes för {parts['age_group'].nunique()} "
                     f"grupper ({', '.join(sorted(parts['age_group'].unique(), key=_first_number))}).")
    return pd.concat([totals, parts], ignore_index=True)


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
