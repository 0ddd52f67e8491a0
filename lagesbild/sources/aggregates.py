"""Aggregated tables: Brå-like reported-crime counts, SCB-like population, survey indicators."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from lagesbild.core.dataset import Dataset
from lagesbild.core.errors import InputError, Rejection
from lagesbild.core.intervals import wilson_ci
from lagesbild.sources import tables as t
from lagesbild.sources.kommun_names import (
    NATIONAL_ID,
    area_code_or_name,
    is_national,
    kommun_code_or_name,
)

SEX_KMT = {k: v for k, v in t.SEX_WORDS.items() if v is not None}

# canonical key -> header aliases; a UI shows these in its column-mapping form
CRIME_COLUMNS: dict[str, list[str]] = {
    "area_id": ["Kommunkod", "Kommun kod", "Regionkod", "Kod", "Kommunnummer"],
    "area_name": ["Kommun", "Kommunnamn", "Region", "Regionnamn", "Område"],
    "period": ["År", "Period", "Year"],
    "category": ["Brottskategori", "Brottstyp", "Brott", "Brottsbenämning"],
    "sex": ["Kön", "Brottsoffrets kön"],
    "count": ["Antal", "Antal anmälda brott", "Anmälda brott"],
}
CRIME_OPTIONAL: tuple[str, ...] = ("sex",)
# the kommun by code or by name ('Upplands Väsby', '0114 Upplands Väsby'); codes win
CRIME_ONE_OF: tuple[tuple[str, ...], ...] = (("area_id",), ("area_name",))
# period + count may instead be one column per year ("2023", "2024"), as Brå's database exports
CRIME_WIDE: tuple[str, ...] = ("period", "count")
CRIME_SPEC = t.ColumnSpec(CRIME_COLUMNS, CRIME_OPTIONAL, CRIME_ONE_OF)

POPULATION_COLUMNS: dict[str, list[str]] = {
    "area_id": ["region", "Kommun", "Kommunkod", "Kommunnamn", "Område"],
    "sex": ["kön"],
    # SCB's "ålder" (ettårsklasser, 5-årsklasser or "totalt ålder"), grouped by `core.age`
    "age": ["ålder", "åldersgrupp", "ålder (5-årsklasser)", "ålder (ettårsklasser)"],
}
# sex may instead sit in the year headers ("2023 män") or be absent (totals)
POPULATION_OPTIONAL: tuple[str, ...] = ("sex",)
POPULATION_SPEC = t.ColumnSpec(POPULATION_COLUMNS, POPULATION_OPTIONAL)

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

_SEX_IN_HEADER = {"män": "M", "man": "M", "pojkar": "M", "kvinnor": "K", "kvinna": "K",
                  "flickor": "K", "totalt": "T", "samtliga": "T", "båda könen": "T",
                  "män och kvinnor": "T", "kvinnor och män": "T", "": None}
_MEASURE = re.compile(r"\b(folkmängd|befolkning|antal|invånare|personer)\b")


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


def _name_note(raw: t.RawTable, column: str, matched: Mapping[str, str]) -> list[str]:
    if not matched:
        return []
    first, code = next(iter(matched.items()))
    kommuner = len(set(matched.values()))
    return [f"{len(matched)} kommunnamn i kolumnen '{column}' matchades mot "
            f"{kommuner} {'kommun' if kommuner == 1 else 'kommuner'} (t.ex. '{first}' → {code})."]


def _code_or_national(value: str) -> str:
    return NATIONAL_ID if is_national(value) else t.kommun_code(value)


def _area_parser(matched: dict[str, str]):  # type: ignore[no-untyped-def]
    """Code-or-name parser that remembers which names it matched, for the reader's note."""
    def parse(value: str) -> str:
        code = area_code_or_name(value)
        text = str(value).strip()
        if not re.match(r"\d", text) and code != NATIONAL_ID:
            matched.setdefault(text, code)
        return code
    return parse


def read_crime_counts(source: str | Path | bytes, *, name: str | None = None,
                      mapping: Mapping[str, str | None] | None = None,
                      sheet: str | int | None = None) -> t.ReadResult:
    """Reported offences per kommun × category × year × sex (Brå-like export, CSV or XLSX).

    The kommun is a code column or, when the file has none, a name column matched against the
    290 official names (case-, dash- and space-insensitive; 'Region Gotland', '0114 Upplands
    Väsby'). Years may be one column ("År" with "Antal") or one column per year.
    """
    raw = t.read_table(source, name=name, sheet=sheet)
    mapping = dict(mapping or {})
    years = [h for h in raw.header if re.fullmatch(r"(19|20)\d\d", h.strip())
             and h not in mapping.values()]
    wide_ok = bool(years) and not any(mapping.get(k) for k in CRIME_WIDE)
    optional = CRIME_OPTIONAL + (CRIME_WIDE if wide_ok else ())
    cols = t.find_columns(raw, CRIME_COLUMNS, optional=optional, mapping=mapping,
                          one_of=CRIME_ONE_OF)
    wide = wide_ok and not any(k in cols for k in CRIME_WIDE)
    if not wide and not all(k in cols for k in CRIME_WIDE):
        t.find_columns(raw, CRIME_COLUMNS, optional=CRIME_OPTIONAL, mapping=mapping,
                       one_of=CRIME_ONE_OF)  # raises, naming what is missing
    matched: dict[str, str] = {}
    area_key = "area_id" if "area_id" in cols else "area_name"
    area = t.required(_code_or_national if area_key == "area_id" else _area_parser(matched))
    parsers = {
        "area_id": area, "category": t.required(t.text),
        "sex": (lambda v: "T" if str(v).strip() == "" else t.choice(SEX_KMT, "kön")(v)),
    }
    col_of = {**cols, "area_id": cols[area_key]}
    if wide:
        rows, rejected = t.validate_rows(raw, col_of, parsers)
        rows, more = _wide(raw, rows, years, "period", lambda y: str(int(y.strip())),
                           "count", t.parse_count)
        rejected += more
    else:
        rows, rejected = t.validate_rows(raw, col_of, {
            **parsers, "period": t.required(_year), "count": t.required(t.parse_count)})
    rows, dups = _duplicates(rows, ["area_id", "period", "category", "sex"], raw.name, cols["category"])
    frame = rows[["_line", "area_id", "period", "category", "sex", "count"]].assign(source="")
    periods = sorted(frame["period"].unique())
    notes = [*raw.notes, *_name_note(raw, cols[area_key], matched)]
    if wide:
        notes.append(f"Ett år per kolumn: {', '.join(years)}.")
    return t.ReadResult(frame, sorted(rejected + dups, key=lambda r: r.row), Dataset(
        "", "incident_counts", "crime_counts", raw.name,
        f"{periods[0]}–{periods[-1]}" if periods else ""), notes=notes,
        columns={**cols, "area_id": cols[area_key]})


def _wide(raw: t.RawTable, rows: pd.DataFrame, value_columns: list[str], key: str,
          key_of, value: str, parse) -> tuple[pd.DataFrame, list[Rejection]]:  # type: ignore[no-untyped-def]
    """One output row per (input row, value column); each cell checked on its own."""
    cells = raw.rows.set_index("_line")
    out: list[dict[str, object]] = []
    rejected: list[Rejection] = []
    for rec in rows.to_dict("records"):
        for col in value_columns:
            text = cells.at[rec["_line"], col]
            try:
                number = parse(text)
            except ValueError as exc:
                rejected.append(Rejection(raw.name, int(rec["_line"]), col, str(text), str(exc)))
                continue
            out.append({**rec, key: key_of(col), value: number})
    return pd.DataFrame(out, columns=[*rows.columns, key, value]), rejected


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


def indicator_parser(known: set[str] | None):  # type: ignore[no-untyped-def]
    """An indicator id cell: any text, or one of `known` (the ids in layers/indicators.toml)."""
    def indicator(value: str) -> str:
        text = str(value).strip()
        if known is not None and text not in known:
            raise ValueError(f"okänd indikator; kända: {', '.join(sorted(known))}")
        return text
    return indicator


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
