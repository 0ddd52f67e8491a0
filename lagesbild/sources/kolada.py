"""Kolada (municipal key figures, API v2 JSON; v1 accepted) -> indicators. The client that fetches
the answers is `sources.clients.kolada.KoladaClient`."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from lagesbild.core.dataset import Dataset
from lagesbild.core.errors import InputError, Rejection
from lagesbild.sources import json_input
from lagesbild.sources import tables as t

FIX_FORMAT = ("Spara svaret från Kolada oförändrat, från /v2/data/kpi/<KPI>/municipality/<kod>/"
              "year/<år> (eller använd KoladaClient).")
SEXES = ("K", "M", "T")
# v1 records carry one value per sex in separate fields.
_V1_FIELDS = (("value", "T"), ("value_f", "K"), ("value_m", "M"))
_YEAR = re.compile(r"(19|20)\d\d")


def read_kolada(source: str | Path | bytes, *, name: str | None = None,
                kpi_map: Mapping[str, str] | None = None) -> t.ReadResult:
    """Indicators from a Kolada answer: one row per KPI × kommun × year × sex (K/M/T).

    `kpi_map` renames Kolada's KPI ids to the workspace's indicator ids (unmapped ids are kept).
    Null values are rejected rows that say their status; nothing is dropped silently. Row numbers
    are positions in values[] (1 = first).
    """
    doc, name = json_input.load_json(source, name, fix=FIX_FORMAT)
    records = _records(doc, name)
    kpi_map = dict(kpi_map or {})
    rejected: list[Rejection] = []
    accepted: list[dict[str, object]] = []
    seen: dict[tuple[str, str, str, str], int] = {}
    statuses: dict[str, int] = {}
    for i, rec in enumerate(records):
        found, bad = _read_record(rec, i + 1, name, kpi_map)
        rejected += bad
        for entry in found:
            row, kpi, status = entry.pop("_line"), entry.pop("kpi"), entry.pop("status")
            key = (entry["area_id"], entry["period"], entry["indicator_id"], entry["sex"])
            if key in seen:
                renamed = f" ({kpi} heter {key[2]} efter kpi_map)" if key[2] != kpi else ""
                rejected.append(Rejection(name, int(row), "kpi", str(kpi), "Samma indikator, "
                                          f"kommun, år och kön finns redan i post {seen[key]}"
                                          f"{renamed}."))
                continue
            seen[key] = int(row)
            if status:
                statuses[str(status)] = statuses.get(str(status), 0) + 1
            accepted.append({"_line": row, **entry})
    frame = pd.DataFrame(accepted, columns=["_line", "area_id", "period", "indicator_id", "sex",
                                            "value"])
    frame = frame.assign(_line=frame["_line"].astype("Int64"), value=frame["value"].astype(float),
                         unit="kolada", n=None, ci_low=None, ci_high=None, source="")
    notes = ["Radnummer avser posten i values[] (1 = första)."]
    notes += [f"{n} värden har status '{s}' men lästes in." for s, n in sorted(statuses.items())]
    if isinstance(doc, dict) and doc.get("next_page"):
        notes.append("Filen är bara en sida av svaret (next_page finns): hämta alla sidor, "
                     "t.ex. med KoladaClient, annars saknas värden.")
    periods = sorted(set(frame["period"]))
    period = "" if not periods else periods[0] if periods[0] == periods[-1] else \
        f"{periods[0]}–{periods[-1]}"
    kpis = sorted({str(r.get("kpi")) for r in records if isinstance(r, dict) and r.get("kpi")})
    description = "Kolada: " + ", ".join(kpis[:10]) + (" …" if len(kpis) > 10 else "")
    return t.ReadResult(frame, sorted(rejected, key=lambda r: r.row), Dataset(
        "", "indicators", "kolada", name, period, description=description if kpis else "Kolada"),
        notes=notes, columns={"area_id": "municipality", "period": "period",
                              "indicator_id": "kpi", "sex": "gender", "value": "value"})


def _read_record(rec: object, row: int, name: str,
                 kpi_map: Mapping[str, str]) -> tuple[list[dict[str, object]], list[Rejection]]:
    """One record of values[]: a row per sex with a value, a rejection for everything else."""
    if not isinstance(rec, dict):
        return [], [Rejection(name, row, "values", _short(rec),
                              "väntade ett objekt med kpi, municipality, period och values.")]
    try:
        kpi = _kpi(rec.get("kpi"))
        area = _area(rec.get("municipality"))
        period = _period(rec.get("period"))
    except _FieldError as exc:
        return [], [Rejection(name, row, exc.field, _short(rec.get(exc.field)), exc.reason)]
    where = f"{kpi}, {area}, {period}"
    entries = _entries(rec)
    if not entries:
        return [], [Rejection(name, row, "values", _short(rec.get("values")),
                              f"posten för {where} har inga värden.")]
    found: list[dict[str, object]] = []
    rejected: list[Rejection] = []
    for field, gender, raw, status in entries:
        if field == "values":
            reason = f"väntade ett objekt med gender och value för {where}."
            rejected.append(Rejection(name, row, field, _short(raw), reason))
            continue
        if gender not in SEXES:
            rejected.append(Rejection(name, row, field, _short(gender),
                                      f"okänt kön för {where}; väntade K, M eller T."))
            continue
        shown = "" if status is None else str(status)
        try:
            value = _value(raw, shown)
        except ValueError as exc:
            rejected.append(Rejection(name, row, field if field.startswith("value") else "value",
                                      _short(raw), f"{exc} för {where}, kön {gender}."))
            continue
        found.append({"_line": row, "kpi": kpi, "status": shown, "area_id": area,
                      "period": period, "indicator_id": kpi_map.get(kpi, kpi), "sex": gender,
                      "value": value})
    return found, rejected


def _records(doc: object, name: str) -> list[Any]:
    """values[] of an answer (or a bare list of records); refuse what is not Kolada data."""
    records = doc.get("values") if isinstance(doc, dict) else doc
    if not isinstance(records, list):
        keys = ", ".join(list(doc)[:8]) if isinstance(doc, dict) else type(doc).__name__
        raise InputError(f"Nyckeln 'values' saknas eller är ingen lista (filen har: {keys}).",
                         file=name, field="values", fix=FIX_FORMAT)
    dicts = [r for r in records if isinstance(r, dict)]
    if dicts and not any("kpi" in r for r in dicts):
        if any("ou" in r for r in dicts):
            why = "Filen innehåller data per enhet (ou), inte per kommun."
        elif any("id" in r and "title" in r for r in dicts):
            why = "Filen innehåller metadata (id, title), inte värden."
        else:
            why = "Posterna saknar nyckeln 'kpi'."
        raise InputError(why, file=name, row=1, field="kpi", fix=FIX_FORMAT)
    return records


class _FieldError(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field, self.reason = field, reason


def _kpi(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _FieldError("kpi", "KPI-id saknas.")
    return value.strip()


def _area(value: object) -> str:
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(
        value, bool) else ""
    if not text.isdigit() or len(text) > 4:
        raise _FieldError("municipality", "väntade en kommunkod med fyra siffror, t.ex. 0180 "
                                          "(kommungrupper läses inte).")
    return text.zfill(4)


def _period(value: object) -> str:
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(
        value, bool) else ""
    if not _YEAR.fullmatch(text):
        raise _FieldError("period", "väntade ett årtal, t.ex. 2024.")
    return text


def _entries(rec: Mapping[str, Any]) -> list[tuple[str, object, object, object]]:
    """(field, gender, value, status) per sex: v2's inner values[]; v1's value, value_f, value_m."""
    inner = rec.get("values")
    if isinstance(inner, list):
        out: list[tuple[str, object, object, object]] = []
        for entry in inner:
            if isinstance(entry, dict):
                out.append(("gender", entry.get("gender"), entry.get("value"),
                            entry.get("status")))
            else:
                out.append(("values", None, entry, None))
        return out
    return [(f, sex, rec.get(f), None) for f, sex in _V1_FIELDS if f in rec]


def _value(raw: object, status: str) -> float:
    if raw is None:
        raise ValueError(f"värde saknas (status {status!r})" if status else
                         "värde saknas (status tom)")
    if isinstance(raw, bool):
        raise ValueError("väntade ett tal, inte true/false")
    if isinstance(raw, (int, float)):
        number = float(raw)
    elif isinstance(raw, str):
        number = t.parse_number(raw)
    else:
        raise ValueError("väntade ett tal")
    if not math.isfinite(number):
        raise ValueError("väntade ett ändligt tal")
    return number


def _short(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."
