"""Survey indicators: share in percent per kommun × year × indicator × sex (× age or school
grade), with n and the source's own interval or design when it gives one."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from lagesbild.core.age import FILE, age_key, load_age_groups
from lagesbild.core.dataset import Dataset
from lagesbild.core.errors import Rejection
from lagesbild.core.intervals import wilson_ci
from lagesbild.core.settings import get_settings
from lagesbild.sources import tables as t
from lagesbild.sources.aggregate_cells import (
    SEX_KMT,
    _duplicates,
    _name_note,
    indicator_parser,
)
from lagesbild.sources.indicator_cells import (
    CENSUS_COLUMNS,
    area_or_county,
    fill_cells,
    margin,
    period,
    period_order,
)
from lagesbild.sources.population_age import _first_number

INDICATOR_COLUMNS: dict[str, list[str]] = {
    "area_id": ["Kommunkod", "Kod", "Område", "Kommun", "Län"],
    "period": ["År", "Period", "Termin", "Läsår", "Mättillfälle"],
    "indicator_id": ["Indikator", "Indikator-ID", "Fråga"],
    "sex": ["Kön"],
    "value": ["Andel (%)", "Andel", "Värde", "Procent"],
    "n": ["Antal svarande", "n", "Antal"],
    # the source's own interval (NTU and other weighted surveys publish one), used as given
    "ci_low": ["KI nedre (%)", "KI nedre", "Konfidensintervall nedre", "Nedre gräns",
               "Undre gräns", "KI, nedre", "Lower CI"],
    "ci_high": ["KI övre (%)", "KI övre", "Konfidensintervall övre", "Övre gräns", "KI, övre",
                "Upper CI"],
    # or what the design does to it: the effective number of respondents, or the design effect
    "n_eff": ["Effektivt antal svarande", "Effektivt n", "Effektiv urvalsstorlek", "n_eff"],
    "deff": ["Designeffekt", "Deff"],
    # the respondents' school grade ("åk 9", "Årskurs 2 gy") or age group, grouped by `core.age`
    "age": ["Årskurs", "Åk", "Ålder", "Åldersgrupp", "Skolår"],
}
INDICATOR_OPTIONAL: tuple[str, ...] = ("ci_low", "ci_high", "n_eff", "deff", "age")
INDICATOR_SPEC = t.ColumnSpec(INDICATOR_COLUMNS, INDICATOR_OPTIONAL)
# a census ("4 av 6 enheter") gives its counts instead of share and n; a margin of error
ALL_COLUMNS = {**INDICATOR_COLUMNS, **CENSUS_COLUMNS}
ALL_OPTIONAL = (*INDICATOR_OPTIONAL, "value", "n", *CENSUS_COLUMNS)


def read_indicators(source: str | Path | bytes, *, name: str | None = None,
                    known: set[str] | None = None,
                    mapping: Mapping[str, str | None] | None = None,
                    sheet: str | int | None = None) -> t.ReadResult:
    """Survey indicators: share in percent per kommun × year × indicator × sex, with n.

    An age or grade column makes each grade's (or age group's) row a cell of its own
    (age_group set, `core.age`: "åk 9" and "Årskurs 9" are one grade); a row whose age is a
    total ("Totalt", or blank) is the total. A share cannot be split or added: a band across
    two groups is rejected, and so is a second row of the same group. No total is made from
    the grades (the survey's own total stands, or none).
    """
    raw = t.read_table(source, name=name, sheet=sheet)
    cols = t.find_columns(raw, ALL_COLUMNS, optional=ALL_OPTIONAL, mapping=mapping)
    if not ({"value", "n"} <= set(cols) or {"units_total", "units_with"} <= set(cols)):
        # neither share and n nor census counts: the usual message naming what is missing
        cols = t.find_columns(raw, INDICATOR_COLUMNS, optional=INDICATOR_OPTIONAL,
                              mapping=mapping)

    indicator = indicator_parser(known)

    def percent(value: str) -> float:
        number = t.parse_number(value)
        if not 0 <= number <= 100:
            raise ValueError("en andel måste ligga mellan 0 och 100 %")
        return number

    def respondents(value: str) -> int:
        n = t.parse_count(value)
        if n == 0:
            raise ValueError("antal svarande måste vara minst 1")
        return n

    def maybe(parser):  # type: ignore[no-untyped-def]  # an optional cell: empty is None
        return lambda value: None if str(value or "").strip() == "" else parser(value)

    def positive(value: str) -> float:
        number = t.parse_number(value)
        if not number > 0:
            raise ValueError("väntade ett tal större än 0")
        return number

    matched: dict[str, str] = {}
    rows, rejected = t.validate_rows(raw, cols, {
        "area_id": t.required(area_or_county(matched)), "period": t.required(period),
        "indicator_id": t.required(indicator), "sex": t.required(t.choice(SEX_KMT, "kön")),
        "value": maybe(percent), "n": maybe(respondents),
        "ci_low": maybe(percent), "ci_high": maybe(percent), "n_eff": maybe(positive),
        "deff": maybe(positive), "age": t.text, "units_total": maybe(t.parse_count),
        "units_with": maybe(t.parse_count), "margin": maybe(margin),
    })
    rows, unfilled = fill_cells(rows, raw.name, cols)
    rejected = rejected + unfilled
    rows, bad = _design_intervals(rows, raw.name, cols)
    rows, unplaced, age_notes = _age_groups(rows, raw.name, cols.get("age"))
    bad += unplaced
    rows, dups = _duplicates(rows, ["area_id", "period", "indicator_id", "sex", "_group"],
                             raw.name, cols.get("age", cols["indicator_id"]))
    rows = rows.assign(age_group=rows["_group"].replace("", None)).drop(columns="_group")
    given = int(rows["_given"].sum()) if len(rows) else 0
    designed = int(rows["_designed"].sum()) if len(rows) else 0
    notes = [f"{given} rader har källans eget intervall; det används som det är."] if given else []
    if designed:
        notes.append(f"{designed} rader har effektivt antal svarande eller designeffekt: "
                     "intervallet räknas med det effektiva antalet.")
    frame = rows.drop(columns=["n_eff", "deff", "_given", "_designed", "age"],
                      errors="ignore").assign(
        unit="percent", source="")
    rejected = rejected + bad
    periods = sorted(frame["period"].unique(), key=period_order)
    return t.ReadResult(frame, sorted(rejected + dups, key=lambda r: r.row), Dataset(
        "", "indicators", "indicators", raw.name, f"{periods[0]}–{periods[-1]}" if periods else ""),
        notes=[*raw.notes, *_name_note(raw, cols["area_id"], matched), *notes, *age_notes],
        columns=dict(cols))


def _age_groups(rows: pd.DataFrame, name: str, column: str | None
                ) -> tuple[pd.DataFrame, list[Rejection], list[str]]:
    """Each row's age group in `_group` ("" for a total row); rows whose age fits no one group
    rejected (a share of 15–19-year-olds is no share of 0–17 nor of 18–24)."""
    if column is None or not len(rows):
        return rows.assign(_group=""), [], []
    grouping = load_age_groups(get_settings().layers_dir / FILE)
    ages = rows["age"].astype(str).str.strip()
    total = ages.map(lambda a: age_key(a) == "").to_numpy(dtype=bool)
    groups = grouping.group_of(ages).fillna("").to_numpy(dtype=object)
    groups[total] = ""
    unplaced = ~total & (groups == "")
    rejected = [Rejection(name, int(line), column, str(age),
                          f"passar inte i en åldersgrupp eller årskurs ({FILE}); en andel "
                          "kan inte delas på två grupper")
                for line, age in zip(rows.loc[unplaced, "_line"], ages[unplaced])]
    out = rows[~unplaced].assign(_group=groups[~unplaced])
    found = sorted({g for g in out["_group"] if g}, key=_first_number)
    notes = [f"Andelar per årskurs/åldersgrupp lästes för {len(found)} grupper "
             f"({', '.join(found)}); raderna för alla är totalen."] if found else []
    return out, rejected, notes


def _design_intervals(rows: pd.DataFrame, name: str, cols: dict[str, str]
                      ) -> tuple[pd.DataFrame, list[Rejection]]:
    """The interval each row is to be shown with: the source's own when it gives one (both
    bounds, around the share), else Wilson's with the effective n (n_eff, or n / deff) when the
    file gives the design, else none (Wilson with n is computed later). Rows whose interval
    cannot be right are rejected naming the field."""
    rejected: list[Rejection] = []
    kept, low, high, given, designed = [], [], [], [], []
    def given_or_none(value: object) -> float | None:  # the frame holds missing cells as NaN
        return None if value is None or pd.isna(value) else float(value)

    for rec in rows.to_dict("records"):
        rec.update({k: given_or_none(rec[k]) for k in ("ci_low", "ci_high", "n_eff", "deff")})
        lo, hi, value = rec["ci_low"], rec["ci_high"], float(rec["value"])
        line = int(rec["_line"])
        if (lo is None) != (hi is None):
            field = "ci_high" if hi is None else "ci_low"
            rejected.append(Rejection(name, line, cols.get(field, field), "",
                                      "intervallet behöver både nedre och övre gräns"))
            continue
        if lo is not None and not (lo - 0.05 <= value <= hi + 0.05):
            rejected.append(Rejection(name, line, cols.get("ci_low", "ci_low"), f"{lo}–{hi}",
                                      f"intervallet {lo}–{hi} omsluter inte andelen {value}; "
                                      "kontrollera kolumnerna"))
            continue
        n_eff = rec["n_eff"] if rec["n_eff"] is not None else (
            float(rec["n"]) / rec["deff"] if rec["deff"] is not None else None)
        if lo is None and n_eff is not None:
            w_low, w_high = wilson_ci(np.array([value / 100]), np.array([n_eff]))
            lo, hi = float(w_low[0]) * 100, float(w_high[0]) * 100
        kept.append(line)
        low.append(lo)
        high.append(hi)
        given.append(rec["ci_low"] is not None)
        designed.append(rec["ci_low"] is None and n_eff is not None)
    out = rows[rows["_line"].astype(int).isin(set(kept))].reset_index(drop=True)
    return out.assign(ci_low=low, ci_high=high, _given=given, _designed=designed), rejected
