"""Survey indicators: share in percent per kommun × year × indicator × sex (× age or school
grade), with n and the source's own interval or design when it gives one."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from lagesbild.core.dataset import Dataset
from lagesbild.core.errors import Rejection
from lagesbild.core.intervals import wilson_ci
from lagesbild.sources import tables as t
from lagesbild.sources.aggregate_cells import (
    SEX_KMT,
    _area_parser,
    _duplicates,
    _name_note,
    _year,
    indicator_parser,
)

INDICATOR_COLUMNS: dict[str, list[str]] = {
    "area_id": ["Kommunkod", "Kod", "Område"],
    "period": ["År", "Period"],
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
}
INDICATOR_OPTIONAL: tuple[str, ...] = ("ci_low", "ci_high", "n_eff", "deff")
INDICATOR_SPEC = t.ColumnSpec(INDICATOR_COLUMNS, INDICATOR_OPTIONAL)


def read_indicators(source: str | Path | bytes, *, name: str | None = None,
                    known: set[str] | None = None,
                    mapping: Mapping[str, str | None] | None = None,
                    sheet: str | int | None = None) -> t.ReadResult:
    """Survey indicators: share in percent per kommun × year × indicator × sex, with n."""
    raw = t.read_table(source, name=name, sheet=sheet)
    cols = t.find_columns(raw, INDICATOR_COLUMNS, optional=INDICATOR_OPTIONAL, mapping=mapping)

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
        "area_id": t.required(_area_parser(matched)), "period": t.required(_year),
        "indicator_id": t.required(indicator), "sex": t.required(t.choice(SEX_KMT, "kön")),
        "value": t.required(percent), "n": t.required(respondents),
        "ci_low": maybe(percent), "ci_high": maybe(percent), "n_eff": maybe(positive),
        "deff": maybe(positive),
    })
    rows, bad = _design_intervals(rows, raw.name, cols)
    rows, dups = _duplicates(rows, ["area_id", "period", "indicator_id", "sex"], raw.name,
                             cols["indicator_id"])
    given = int(rows["_given"].sum()) if len(rows) else 0
    designed = int(rows["_designed"].sum()) if len(rows) else 0
    notes = [f"{given} rader har källans eget intervall; det används som det är."] if given else []
    if designed:
        notes.append(f"{designed} rader har effektivt antal svarande eller designeffekt: "
                     "intervallet räknas med det effektiva antalet.")
    frame = rows.drop(columns=["n_eff", "deff", "_given", "_designed"]).assign(
        unit="percent", source="")
    rejected = rejected + bad
    periods = sorted(frame["period"].unique())
    return t.ReadResult(frame, sorted(rejected + dups, key=lambda r: r.row), Dataset(
        "", "indicators", "indicators", raw.name, f"{periods[0]}–{periods[-1]}" if periods else ""),
        notes=[*raw.notes, *_name_note(raw, cols["area_id"], matched), *notes],
        columns=dict(cols))


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
