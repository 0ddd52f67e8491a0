"""Survey answers one row per respondent, with design weights when the survey has them.

A local or school survey often arrives as its answers: area, year, question, the respondent's
sex, the answer (ja/nej, 1/0) and, for a weighted design, a weight. They are aggregated here to
the workspace's indicator rows (area × year × indicator × K/M/T): the share is the weighted
share of yes-answers, n the number of respondents (what the disclosure rules count), and the
interval Wilson's with Kish's effective n, (Σw)² / Σw², so that unequal weights widen it.
T holds every respondent, also those who gave no sex. Without a weight column every answer
weighs 1 (the effective n is n).

A grade or age column ("Årskurs", "Ålder", …) adds each grade's (age group's, `core.age`) rows
beside the totals: the totals hold every respondent, a grade row those of that grade, so a
school survey of åk 5 and åk 8 gives the kommun's share and each grade's. A respondent whose age
fits no one group (a band across two) counts in the totals only, and a note says how many.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from lagesbild.core.dataset import Dataset
from lagesbild.core.intervals import kish_n, wilson_ci
from lagesbild.sources import tables as t
from lagesbild.sources.aggregates import _area_parser, _name_note, _year, indicator_parser

RESPONSE_COLUMNS: dict[str, list[str]] = {
    "area_id": ["Kommunkod", "Kod", "Område", "Kommun"],
    "period": ["År", "Period", "Enkätår"],
    "indicator_id": ["Indikator", "Indikator-ID", "Fråga"],
    "sex": ["Kön"],
    "answer": ["Svar", "Ja/nej", "Answer"],
    "weight": ["Vikt", "Designvikt", "Kalibreringsvikt", "Weight"],
    "age": ["Årskurs", "Åk", "Ålder", "Åldersgrupp", "Skolår"],
}
RESPONSE_OPTIONAL: tuple[str, ...] = ("sex", "weight", "age")
RESPONSE_SPEC = t.ColumnSpec(RESPONSE_COLUMNS, RESPONSE_OPTIONAL)
YES = {"ja": 1, "j": 1, "1": 1, "yes": 1, "y": 1, "sant": 1, "true": 1,
       "nej": 0, "n": 0, "0": 0, "no": 0, "falskt": 0, "false": 0}


def _answer(value: str) -> int:
    text = str(value).strip().casefold()
    if text not in YES:
        raise ValueError("väntade ja eller nej (1 eller 0)")
    return YES[text]


def _weight(value: str) -> float:
    if str(value).strip() == "":
        raise ValueError("vikt saknas (en rad utan vikt kan inte vägas in)")
    number = t.parse_number(value)
    if not number > 0:
        raise ValueError("en vikt måste vara större än 0")
    return number


def _sex(value: str) -> str | None:
    text = str(value).strip().casefold()
    if text not in t.SEX_WORDS:
        raise ValueError("väntade kvinna, man eller tomt")
    sex = t.SEX_WORDS[text]
    if sex == "T":
        raise ValueError("en svarande har kvinna, man eller tomt som kön, inte totalt")
    return sex


def read_survey_responses(source: str | Path | bytes, *, name: str | None = None,
                          known: set[str] | None = None,
                          mapping: Mapping[str, str | None] | None = None,
                          sheet: str | int | None = None) -> t.ReadResult:
    """One row per respondent and question -> indicator rows with shares, n and intervals."""
    raw = t.read_table(source, name=name, sheet=sheet)
    cols = t.find_columns(raw, RESPONSE_COLUMNS, optional=RESPONSE_OPTIONAL, mapping=mapping)

    matched: dict[str, str] = {}
    parsers = {"area_id": t.required(_area_parser(matched)), "period": t.required(_year),
               "indicator_id": t.required(indicator_parser(known)), "sex": _sex,
               "answer": t.required(_answer)}
    if "weight" in cols:
        parsers["weight"] = _weight
    if "age" in cols:
        parsers["age"] = t.text
    rows, rejected = t.validate_rows(raw, cols, parsers)
    if "weight" not in cols:
        rows["weight"] = 1.0
    rows, age_notes = _age_groups(rows)
    out = _aggregate(rows, weighted="weight" in cols)
    periods = sorted(out["period"].unique()) if len(out) else []
    weighted = "weight" in cols
    notes = [f"{len(rows)} svar blev {len(out)} rader (andel ja per område, år, fråga och kön)"
             + ("; andelarna är vägda och intervallen räknas med effektivt antal svarande "
                "(Kish)." if weighted else "; utan viktkolumn väger varje svar lika.")]
    return t.ReadResult(out, rejected, Dataset(
        "", "indicators", "survey_responses", raw.name,
        f"{periods[0]}–{periods[-1]}" if periods else ""),
        notes=[*raw.notes, *_name_note(raw, cols["area_id"], matched), *notes, *age_notes],
        columns=dict(cols))


def _age_groups(rows: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """`rows` with age_group ("" for none: the totals only) from the age column, if any."""
    if "age" not in rows.columns or rows.empty:
        return rows.assign(age_group=""), []
    from lagesbild.core.age import FILE, is_total, load_age_groups
    from lagesbild.core.settings import get_settings

    text = rows["age"].astype(str).str.strip()
    blank = text.map(lambda v: v == "" or is_total(v)).to_numpy(dtype=bool)
    groups = load_age_groups(get_settings().layers_dir / FILE).group_of(text)
    label = groups.astype(object).where(groups.notna() & ~blank, "")
    unplaced = int((label == "").sum() - blank.sum())
    notes = [f"{unplaced} svar har en ålder som inte ryms i en åldersgrupp "
             f"(layers/{FILE}); de räknas bara i totalen."] if unplaced else []
    return rows.assign(age_group=label.to_numpy()), notes


def _aggregate(rows: pd.DataFrame, *, weighted: bool) -> pd.DataFrame:
    """Indicator rows from answers: K and M from those who gave their sex, T from all. Only a
    weighted survey carries its interval (Wilson with Kish's n); an unweighted one gets
    Wilson's with n where it is shown, at the workspace's confidence."""
    columns = ["_line", "area_id", "period", "indicator_id", "sex", "value", "n", "unit",
               "ci_low", "ci_high", "source", "age_group"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    rows = rows.assign(sex=rows["sex"].astype(object))
    if "age_group" not in rows.columns:
        rows = rows.assign(age_group="")
    by_sex = [rows[rows["sex"].isin(["K", "M"])], rows.assign(sex="T")]
    # the totals hold every respondent; a grade's rows those of the grade
    parts = [p.assign(age_group="") for p in by_sex] + \
        [p[p["age_group"] != ""] for p in by_sex]
    out = []
    for part in parts:
        for (area, period, indicator, sex, age), group in part.groupby(
                ["area_id", "period", "indicator_id", "sex", "age_group"], sort=True):
            w = group["weight"].to_numpy(dtype="float64")
            y = group["answer"].to_numpy(dtype="float64")
            share = float((w * y).sum() / w.sum())
            low, high = wilson_ci(np.array([share]), np.array([kish_n(w)])) if weighted \
                else (np.array([np.nan]), np.array([np.nan]))
            out.append({"_line": int(group["_line"].min()), "area_id": area, "period": period,
                        "indicator_id": indicator, "sex": sex, "value": 100 * share,
                        "n": len(group), "unit": "percent", "ci_low": float(low[0]) * 100,
                        "ci_high": float(high[0]) * 100, "source": "",
                        "age_group": age or None})
    return pd.DataFrame(out, columns=columns)
