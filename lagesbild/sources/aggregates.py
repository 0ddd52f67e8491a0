"""Aggregated tables: SCB-like population here; Brå-like reported-crime counts
(`sources.crime_counts`) and survey indicators (`sources.indicator_table`) re-exported, so
`aggregates.read_crime_counts` and friends stay where the importer and the forms find them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from lagesbild.core.dataset import Dataset
from lagesbild.core.errors import InputError, Rejection
from lagesbild.sources import tables as t
from lagesbild.sources.aggregate_cells import (  # noqa: F401 - re-exported for other readers
    SEX_KMT,
    _area_parser,
    _code_or_national,
    _duplicates,
    _name_note,
    _year,
    indicator_parser,
)
from lagesbild.sources.crime_counts import (  # noqa: F401 - re-exported
    CRIME_COLUMNS,
    CRIME_ONE_OF,
    CRIME_OPTIONAL,
    CRIME_SPEC,
    CRIME_WIDE,
    read_crime_counts,
)
from lagesbild.sources.indicator_table import (  # noqa: F401 - re-exported
    INDICATOR_COLUMNS,
    INDICATOR_OPTIONAL,
    INDICATOR_SPEC,
    read_indicators,
)
from lagesbild.sources.kommun_names import kommun_code_or_name

POPULATION_COLUMNS: dict[str, list[str]] = {
    "area_id": ["region", "Kommun", "Kommunkod", "Kommunnamn", "Område"],
    "sex": ["kön"],
    # SCB's "ålder" (ettårsklasser, 5-årsklasser or "totalt ålder"), grouped by `core.age`
    "age": ["ålder", "åldersgrupp", "ålder (5-årsklasser)", "ålder (ettårsklasser)"],
}
# sex may instead sit in the year headers ("2023 män") or be absent (totals)
POPULATION_OPTIONAL: tuple[str, ...] = ("sex",)
POPULATION_SPEC = t.ColumnSpec(POPULATION_COLUMNS, POPULATION_OPTIONAL)

_SEX_IN_HEADER = {"män": "M", "man": "M", "pojkar": "M", "kvinnor": "K", "kvinna": "K",
                  "flickor": "K", "totalt": "T", "samtliga": "T", "båda könen": "T",
                  "män och kvinnor": "T", "kvinnor och män": "T", "": None}
_MEASURE = re.compile(r"\b(folkmängd|befolkning|antal|invånare|personer)\b")


def year_header(header: str) -> tuple[int, str | None] | None:
    """'2023' -> (2023, None); '2023 män', 'kvinnor 2024', 'Folkmängd 2023' -> (year, sex).

    None when the header is no year column.
    """
    text = re.sub(r"\s+", " ", str(header).casefold().replace("_", " ")).strip()
    years = re.findall(r"(?<!\d)((?:19|20)\d\d)(?!\d)", text)
    if len(years) != 1:
        return None
    rest = _MEASURE.sub(" ", text.replace(years[0], " "))
    rest = re.sub(r"\s+", " ", re.sub(r"[,;:()\-]", " ", rest)).strip()
    if rest not in _SEX_IN_HEADER:
        return None
    return int(years[0]), _SEX_IN_HEADER[rest]


def read_population(source: str | Path | bytes, *, name: str | None = None,
                    mapping: Mapping[str, str | None] | None = None,
                    sheet: str | int | None = None) -> t.ReadResult:
    """SCB Statistikdatabasen export (CSV or XLSX): region ('2417 Norsjö' or a name), one
    column per year; sex as a column ('kön'), inside the year headers ('2023 män') or absent
    (the figures are totals).

    Title rows, a two-row header (years over män/kvinnor) and footnotes are handled by
    `tables.read_table`. A region written only on the first line of its group (SCB's Excel
    layout) is carried down. Totals (T) are computed as K + M when the file has none.
    """
    raw = t.read_table(source, name=name, sheet=sheet)
    notes = list(raw.notes)
    mapping = dict(mapping or {})
    cols = t.find_columns(raw, POPULATION_COLUMNS, optional=("area_id", "sex", "age"),
                          mapping=mapping)
    unnamed = [h for h in raw.header if h.startswith("_tom") and h not in cols.values()]
    if "area_id" not in cols:
        found = None if "area_id" in mapping else next(
            (h for h in unnamed if _share(raw, h, _is_kommun) >= 0.5), None)
        if found is None:
            t.find_columns(raw, POPULATION_COLUMNS, optional=POPULATION_OPTIONAL,
                           mapping=mapping)  # raises, naming the missing region column
        raw, cols["area_id"] = _name_unnamed(raw, str(found), "region", notes)
    if "sex" not in cols and "sex" not in mapping:
        found = next((h for h in unnamed if h in raw.header
                      and _share(raw, h, _is_sex_word) >= 0.8), None)
        if found is not None:
            raw, cols["sex"] = _name_unnamed(raw, found, "kön", notes)
    years = {h: year_header(h) for h in raw.header if h not in cols.values()}
    years = {h: ys for h, ys in years.items() if ys is not None}
    if not years:
        raise InputError("Inga årskolumner hittades (väntade rubriker som 2023, 2024 eller "
                         f"'2023 män'). {raw.header_guess()}", file=raw.name,
                         row=raw.header_line, field="år",
                         fix="Exportera från SCB med åren som kolumner. " + t.HEADER_FIX)
    header_sex = any(s is not None for _, s in years.values())
    if header_sex and "sex" in cols:
        raise InputError(f"Könet står både i kolumnen '{cols['sex']}' och i årsrubrikerna "
                         f"(t.ex. '{next(h for h, (_, s) in years.items() if s)}').",
                         file=raw.name, row=raw.header_line, field=cols["sex"],
                         fix="Ta bort den ena, eller exportera igen med kön som egen kolumn.")
    if not header_sex and "sex" not in cols:
        notes.append("Filen anger inget kön; talen lästes som totalt (T).")
    area_col, sex_col = cols["area_id"], cols.get("sex")
    matched: dict[str, str] = {}
    parse_area = _area_parser(matched)
    accepted, rejected = [], list(raw.ragged)
    sex_parse = t.choice(SEX_KMT, "kön")
    carried, last_area = 0, ""
    for rec in raw.rows.to_dict("records"):
        line = int(rec["_line"])
        region = str(rec[area_col]).strip()
        if not region and last_area and (sex_col is None or str(rec[sex_col]).strip()):
            region, carried = last_area, carried + 1  # SCB writes a group's region once
        last_area = region or last_area
        # Region and sex are checked once per line; each year's value on its own.
        try:
            code = parse_area(region)
        except ValueError as exc:
            rejected.append(Rejection(raw.name, line, area_col, region, str(exc)))
            continue
        row_sex: str | None = None
        if sex_col is not None:
            try:
                row_sex = str(sex_parse(rec[sex_col]))
            except ValueError as exc:
                rejected.append(Rejection(raw.name, line, sex_col, str(rec[sex_col]), str(exc)))
                continue
        for header, (year, head_sex) in years.items():
            try:
                pop = t.parse_count(rec[header])
            except ValueError as exc:
                rejected.append(Rejection(raw.name, line, header, str(rec[header]), str(exc)))
                continue
            accepted.append({"_line": line, "area_id": code, "year": year,
                             "sex": row_sex or head_sex or "T", "population": pop,
                             "_age": str(rec[cols["age"]]).strip() if "age" in cols else ""})
    if carried:
        notes.append("Regionen stod bara på gruppens första rad; den fördes ned till "
                     f"{carried} {'rad' if carried == 1 else 'rader'}.")
    notes += _name_note(raw, area_col, matched)
    frame = pd.DataFrame(accepted, columns=["_line", "area_id", "year", "sex", "population",
                                            "_age"])
    frame, dups = _duplicates(frame, ["area_id", "year", "sex", "_age"], raw.name, area_col)
    if "age" in cols:
        from lagesbild.sources.population_age import by_age_group

        frame = by_age_group(frame, cols["age"], notes)
    else:
        frame = frame.drop(columns="_age").assign(age_group=None)
    # T = K + M only where the file gives no total and both K and M were read: a total from one
    # sex alone would be wrong. Derived rows have no line of their own (_line NA).
    parts = frame[frame["age_group"].notna()]
    frame = frame[frame["age_group"].isna()]
    has_total = set(frame.loc[frame["sex"] == "T", ["area_id", "year"]].itertuples(index=False))
    km = frame[frame["sex"].isin(["K", "M"])]
    sums = km.groupby(["area_id", "year"], as_index=False).agg(
        population=("population", "sum"), sexes=("sex", "nunique"))
    given = pd.Series([(a, y) in has_total for a, y in zip(sums["area_id"], sums["year"])],
                      index=sums.index, dtype=bool)
    sums = sums[(sums["sexes"] == 2) & ~given]
    sums = sums.drop(columns="sexes").assign(sex="T", _line=pd.NA)
    frame = pd.concat([frame, sums], ignore_index=True) if len(sums) else frame
    if len(parts):  # age groups: T = K + M in the same way
        from lagesbild.sources.population_age import totals_by_sex

        frame = pd.concat([frame, totals_by_sex(parts)], ignore_index=True)
    frame = frame.assign(_line=frame["_line"].astype("Int64"), source="")
    periods = sorted(str(y) for y in frame["year"].unique())
    return t.ReadResult(frame, sorted(rejected + dups, key=lambda r: r.row), Dataset(
        "", "population", "population", raw.name,
        f"{periods[0]}–{periods[-1]}" if periods else ""), notes=notes,
        columns={k: v for k, v in cols.items() if v is not None})


def _name_unnamed(raw: t.RawTable, header: str, what: str,
                  notes: list[str]) -> tuple[t.RawTable, str]:
    """Give a column without a header a name that says what it was read as, and where it is."""
    label = raw.column_label(header)
    new = f"{what} ({label})"
    notes.append(f"{label[0].upper() + label[1:]} saknar rubrik; den lästes som {what}.")
    return raw.renamed({header: new}), new


def _is_kommun(value: str) -> bool:
    try:
        kommun_code_or_name(value)
    except ValueError:
        return False
    return True


def _is_sex_word(value: str) -> bool:
    return not value.isdigit() and value.casefold() in SEX_KMT


def _share(raw: t.RawTable, column: str, test) -> float:  # type: ignore[no-untyped-def]
    values = [str(v).strip() for v in raw.rows[column] if str(v).strip()]
    return sum(bool(test(v)) for v in values) / len(values) if values else 0.0
