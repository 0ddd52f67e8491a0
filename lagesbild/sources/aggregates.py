"""Aggregated tables: Brå-like reported-crime counts, SCB-like population, survey indicators."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from lagesbild.errors import InputError, Rejection
from lagesbild.sources import tables as t
from lagesbild.workspace import Dataset

SEX_KMT = {k: v for k, v in t.SEX_WORDS.items() if v is not None}


def _year(value: str) -> str:
    text = str(value).strip()
    if not re.fullmatch(r"(19|20)\d\d", text):
        raise ValueError("väntade ett årtal, t.ex. 2024")
    return text


def _duplicates(frame: pd.DataFrame, keys: list[str], name: str, field: str) -> tuple[pd.DataFrame, list[Rejection]]:
    dup = frame.duplicated(keys, keep="first")
    rejected = [Rejection(name, int(line), field, " / ".join(str(v) for v in vals),
                          "Samma kombination finns redan på en tidigare rad.")
                for line, vals in zip(frame.loc[dup, "_line"], frame.loc[dup, keys].to_numpy())]
    return frame[~dup], rejected


def read_crime_counts(source: str | Path | bytes, *, name: str | None = None) -> t.ReadResult:
    """Reported offences per kommun × category × year × sex (Brå-like export)."""
    raw = t.read_delimited(source, name=name)
    cols = t.find_columns(raw, {
        "area_id": ["Kommunkod", "Kommun kod", "Regionkod", "Kod"],
        "period": ["År", "Period", "Year"],
        "category": ["Brottskategori", "Brottstyp", "Brott"],
        "sex": ["Kön", "Brottsoffrets kön"],
        "count": ["Antal", "Antal anmälda brott", "Anmälda brott"],
    }, optional=["sex"])
    rows, rejected = t.validate_rows(raw, cols, {
        "area_id": t.required(t.kommun_code), "period": t.required(_year),
        "category": t.required(t.text),
        "sex": (lambda v: "T" if str(v).strip() == "" else t.choice(SEX_KMT, "kön")(v)),
        "count": t.required(t.parse_count),
    })
    rows, dups = _duplicates(rows, ["area_id", "period", "category", "sex"], raw.name, cols["category"])
    frame = rows.assign(source="")
    periods = sorted(frame["period"].unique())
    return t.ReadResult(frame, sorted(rejected + dups, key=lambda r: r.row), Dataset(
        "", "incident_counts", "crime_counts", raw.name,
        f"{periods[0]}–{periods[-1]}" if periods else ""), columns=dict(cols))


def read_population(source: str | Path | bytes, *, name: str | None = None) -> t.ReadResult:
    """SCB Statistikdatabasen CSV: region ('2417 Norsjö'), kön, one column per year.

    Totals (T) are computed as K + M when the file has no total rows.
    """
    raw = t.read_delimited(source, name=name)
    cols = t.find_columns(raw, {"area_id": ["region", "Kommun", "Kommunkod"],
                                "sex": ["kön", "Kön"]})
    years = [h for h in raw.header if re.fullmatch(r"(19|20)\d\d", h.strip())]
    if not years:
        raise InputError("Inga årskolumner hittades (väntade rubriker som 2023, 2024).",
                         file=raw.name, row=1, field="år",
                         fix="Exportera från SCB med åren som kolumner.")
    accepted, rejected = [], list(raw.ragged)
    sex_parse = t.choice(SEX_KMT, "kön")
    for rec in raw.rows.to_dict("records"):
        line = int(rec["_line"])
        # Region and sex are checked once per line; each year's value on its own.
        try:
            code = t.kommun_code(rec[cols["area_id"]])
        except ValueError as exc:
            rejected.append(Rejection(raw.name, line, cols["area_id"], str(rec[cols["area_id"]]), str(exc)))
            continue
        try:
            sex = sex_parse(rec[cols["sex"]])
        except ValueError as exc:
            rejected.append(Rejection(raw.name, line, cols["sex"], str(rec[cols["sex"]]), str(exc)))
            continue
        for year in years:
            try:
                pop = t.parse_count(rec[year])
            except ValueError as exc:
                rejected.append(Rejection(raw.name, line, year, str(rec[year]), str(exc)))
                continue
            accepted.append({"_line": line, "area_id": code, "year": int(year.strip()),
                             "sex": sex, "population": pop})
    frame = pd.DataFrame(accepted, columns=["_line", "area_id", "year", "sex", "population"])
    frame, dups = _duplicates(frame, ["area_id", "year", "sex"], raw.name, cols["area_id"])
    # T = K + M only where the file gives no total and both K and M were read: a total from one
    # sex alone would be wrong. Derived rows have no line of their own (_line NA).
    has_total = set(frame.loc[frame["sex"] == "T", ["area_id", "year"]].itertuples(index=False))
    km = frame[frame["sex"].isin(["K", "M"])]
    sums = km.groupby(["area_id", "year"], as_index=False).agg(
        population=("population", "sum"), sexes=("sex", "nunique"))
    given = pd.Series([(a, y) in has_total for a, y in zip(sums["area_id"], sums["year"])],
                      index=sums.index, dtype=bool)
    sums = sums[(sums["sexes"] == 2) & ~given]
    sums = sums.drop(columns="sexes").assign(sex="T", _line=pd.NA)
    frame = pd.concat([frame, sums], ignore_index=True) if len(sums) else frame
    frame = frame.assign(_line=frame["_line"].astype("Int64"), source="")
    periods = sorted(str(y) for y in frame["year"].unique())
    return t.ReadResult(frame, sorted(rejected + dups, key=lambda r: r.row), Dataset(
        "", "population", "population", raw.name,
        f"{periods[0]}–{periods[-1]}" if periods else ""), columns=dict(cols))


def read_indicators(source: str | Path | bytes, *, name: str | None = None,
                    known: set[str] | None = None) -> t.ReadResult:
    """Survey indicators: share in percent per kommun × year × indicator × sex, with n."""
    raw = t.read_delimited(source, name=name)
    cols = t.find_columns(raw, {
        "area_id": ["Kommunkod", "Kod", "Område"],
        "period": ["År", "Period"],
        "indicator_id": ["Indikator", "Indikator-ID", "Fråga"],
        "sex": ["Kön"],
        "value": ["Andel (%)", "Andel", "Värde", "Procent"],
        "n": ["Antal svarande", "n", "Antal"],
    })

    def indicator(value: str) -> str:
        text = str(value).strip()
        if known is not None and text not in known:
            raise ValueError(f"okänd indikator; kända: {', '.join(sorted(known))}")
        return text

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

    rows, rejected = t.validate_rows(raw, cols, {
        "area_id": t.required(t.kommun_code), "period": t.required(_year),
        "indicator_id": t.required(indicator), "sex": t.required(t.choice(SEX_KMT, "kön")),
        "value": t.required(percent), "n": t.required(respondents),
    })
    rows, dups = _duplicates(rows, ["area_id", "period", "indicator_id", "sex"], raw.name,
                             cols["indicator_id"])
    frame = rows.assign(unit="percent", ci_low=None, ci_high=None, source="")
    periods = sorted(frame["period"].unique())
    return t.ReadResult(frame, sorted(rejected + dups, key=lambda r: r.row), Dataset(
        "", "indicators", "indicators", raw.name, f"{periods[0]}–{periods[-1]}" if periods else ""),
        columns=dict(cols))
