"""Trainings of staff as an activity log: one row per training occasion; and staff counts.

A trainings file (`utbildningar.csv`) has one row per occasion: the training (free text; known
names such as "GM" or "Mentors in Violence Prevention" are normalised to one name, so the same
occasion written twice is found), when (a date, 2024-03-05 or 5/3 2024, or a term, HT2024),
organiser, target group (profession and kind of unit), where (a kommun code, or a unit id of the
workspace's sites that gives both the kommun and the kind of unit), participants and hours per
participant ("2,5").

A staff file (`personal.csv`) gives the number of staff per kommun, kind of unit and year: the
denominator of "share of staff trained". It is optional; without it no share is shown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from lagesbild.core import schema
from lagesbild.core.dataset import Dataset
from lagesbild.core.errors import InputError, Rejection
from lagesbild.sources import tables as t

TRAINING_COLUMNS: dict[str, list[str]] = {
    "training": ["Utbildning", "Utbildningens namn", "Insats", "Program"],
    "when": ["Datum", "Termin", "Tidpunkt", "Period", "När"],
    "organiser": ["Arrangör", "Anordnare", "Utbildare", "Genomförd av"],
    "profession": ["Yrkesgrupp", "Målgrupp", "Yrke", "Profession"],
    "unit_kind": ["Verksamhet", "Enhetstyp", "Typ av enhet", "Verksamhetstyp"],
    "site_id": ["Enhets-ID", "Enhetsid", "Skolenhetskod", "Enhet"],
    "area_id": ["Kommunkod", "Kommun"],
    "participants": ["Deltagare", "Antal deltagare", "Antal"],
    "hours": ["Timmar", "Timmar per deltagare", "Antal timmar", "Tid (timmar)"],
}
TRAINING_OPTIONAL: tuple[str, ...] = ("organiser", "profession", "unit_kind", "site_id",
                                      "area_id", "hours")
TRAINING_SPEC = t.ColumnSpec(TRAINING_COLUMNS, TRAINING_OPTIONAL)
STAFF_COLUMNS: dict[str, list[str]] = {
    "area_id": ["Kommunkod", "Kommun"],
    "unit_kind": ["Verksamhet", "Enhetstyp", "Typ av enhet", "Verksamhetstyp"],
    "year": ["År", "Year"],
    "staff": ["Personal", "Antal anställda", "Anställda", "Antal personal"],
}
STAFF_SPEC = t.ColumnSpec(STAFF_COLUMNS, ())

# Known trainings: the name shown -> the names offices write for it (compared without case,
# dashes and quotes). Any other name is kept as written.
KNOWN_TRAININGS: dict[str, tuple[str, ...]] = {
    "Gävlemodellen": ("gävlemodellen", "gävlemodell", "gm", "gävlemodellen gm"),
    "MVP-utbildning": ("mvp", "mvp utbildning", "mvputbildning", "mentors in violence prevention",
                       "mentorer i våldsprevention", "utbildning i mvp"),
    "Våga fråga": ("våga fråga", "vaga fraga", "våga fråga om våld"),
    "Tala om oron": ("tala om oron",),
    "Grundutbildning våld i nära relationer": (
        "grundutbildning våld i nära relationer", "grundutbildning vinr", "vinr",
        "våld i nära relationer", "grundutbildning om våld i nära relationer"),
    "Processledarutbildning i våldsprevention": (
        "processledarutbildning", "processledarutbildning i våldsprevention"),
}
# The kinds of unit a training's target group works in (schema.TRAINING_UNIT_KINDS), and the
# words offices use for them; a site's kind (schema.SITE_KINDS) maps here too.
UNIT_WORDS: dict[str, str] = {
    "skola": "skola", "skolor": "skola", "grundskola": "skola", "gymnasium": "skola",
    "gymnasieskola": "skola", "grundsärskola": "skola", "elevhälsa": "skola",
    "förskola": "förskola", "förskolor": "förskola", "dagbarnvård": "förskola",
    "pedagogisk omsorg": "förskola",
    "fritidsgård": "fritidsgård", "fritidsgårdar": "fritidsgård", "fritid": "fritidsgård",
    "ungdomsgård": "fritidsgård",
    "parklek": "parklek", "parkleken": "parklek", "öppen lekplats": "parklek",
    "arbetsplats": "arbetsplats", "förvaltning": "arbetsplats", "socialtjänst": "arbetsplats",
    "polis": "arbetsplats", "kommunal arbetsplats": "arbetsplats",
}


def _fold(text: str) -> str:
    return re.sub(r"[\s\-–_\"'”“’.]+", " ", str(text).casefold()).strip()


_TRAINING_LOOKUP = {_fold(alias): name for name, aliases in KNOWN_TRAININGS.items()
                    for alias in (name, *aliases)}


def training_name(value: str) -> str:
    """A known training's one name ("GM" -> "Gävlemodellen"); other names as written."""
    given = " ".join(str(value).split()).strip("”“\"' ")
    if not given:
        raise ValueError("värde saknas")
    found = _TRAINING_LOOKUP.get(_fold(given))
    if found is None:  # "MVP – mentorer i våldsprevention", "GM (Gävlemodellen)": its first part
        head = re.split(r"\s[–-]\s|\(|:", given, maxsplit=1)[0]
        found = _TRAINING_LOOKUP.get(_fold(head)) if head != given else None
    return found or given


def unit_kind(value: str) -> str:
    key = " ".join(str(value).casefold().split())
    if key not in UNIT_WORDS:
        raise ValueError("okänd verksamhet; väntade " + ", ".join(schema.TRAINING_UNIT_KINDS))
    return UNIT_WORDS[key]


_TERM = re.compile(r"(HT|VT)\s*-?\s*(20\d\d)", re.IGNORECASE)


def when(value: str) -> tuple[str, str, int]:
    """(ISO date or "", term, year) from a date (2024-03-05, 5/3 2024, 5 mars 2024) or a term
    (HT2024, vt 2025). A date in January to June is in the spring term (VT), else HT."""
    text = " ".join(str(value).split())
    term = _TERM.fullmatch(text)
    if term:
        return "", f"{term.group(1).upper()}{term.group(2)}", int(term.group(2))
    # "5/3 2024" (day/month year, as Swedish offices write it) -> "5/3/2024"
    short = re.fullmatch(r"(\d{1,2})/(\d{1,2})\s+(\d{4})", text)
    if short:
        text = "/".join(short.groups())
    try:
        day = t.parse_datetime(text)
    except ValueError:
        raise ValueError("väntade ett datum (2024-03-05 eller 5/3 2024) eller en termin "
                         "(HT2024, VT2025)") from None
    return day.date().isoformat(), f"{'VT' if day.month <= 6 else 'HT'}{day.year}", day.year


def _hours(value: str) -> float | None:
    if str(value).strip() == "":
        return None
    hours = t.parse_number(value)
    if not 0 < hours <= 200:
        raise ValueError("väntade timmar per deltagare, större än 0 och högst 200 (t.ex. 2,5)")
    return hours


def _code_or_blank(value: str) -> str | None:
    return None if str(value).strip() == "" else t.kommun_code(value)


def _text_or_blank(value: str) -> str | None:
    text = " ".join(str(value).split())
    return text or None


def _unit_or_blank(value: str) -> str | None:
    return None if str(value).strip() == "" else unit_kind(value)


def read_trainings(source: str | Path | bytes, *, name: str | None = None,
                   mapping: Mapping[str, str | None] | None = None,
                   sheet: str | int | None = None,
                   sites: pd.DataFrame | None = None) -> t.ReadResult:
    """Read a trainings log. `sites` (the workspace's) resolves unit ids to kommun and kind."""
    raw = t.read_table(source, name=name, sheet=sheet)
    cols = t.find_spec(raw, TRAINING_SPEC, mapping=mapping)
    if "area_id" not in cols and "site_id" not in cols:
        raise InputError("Filen anger varken kommun eller enhet för utbildningarna.",
                         file=raw.name, row=raw.header_line, field="Kommunkod / Enhets-ID",
                         fix="Lägg till en kolumn Kommunkod (t.ex. 2417) eller Enhets-ID.")
    rows, rejected = t.validate_rows(raw, cols, {
        "training": t.required(_text_or_blank), "when": t.required(when),
        "organiser": _text_or_blank, "profession": _text_or_blank,
        "unit_kind": _unit_or_blank, "site_id": _text_or_blank, "area_id": _code_or_blank,
        "participants": t.required(t.parse_count), "hours": _hours,
    })
    rows = rows.rename(columns={"training": "training_given"})
    rows["training"] = [training_name(v) for v in rows["training_given"]]
    rows["date"] = [w[0] for w in rows["when"]]
    rows["term"] = [w[1] for w in rows["when"]]
    rows["year"] = [w[2] for w in rows["when"]]
    rows["profession"] = rows["profession"].map(lambda p: p.casefold() if isinstance(p, str) else p)
    rows, more = _resolve_units(rows, sites, raw.name, cols)
    rejected += more
    rows, more, notes = _duplicates(rows, raw.name, cols)
    rejected += more
    frame = rows.drop(columns=["when"]).assign(source="")
    terms = sorted(frame["term"].unique(), key=lambda p: (p[2:], p[:2] == "HT"))
    return t.ReadResult(frame, sorted(rejected, key=lambda r: r.row), Dataset(
        "", "trainings", "trainings", raw.name, _span(terms)),
        notes=[*raw.notes, *notes], columns=dict(cols))


def _resolve_units(rows: pd.DataFrame, sites: pd.DataFrame | None, file: str,
                   cols: Mapping[str, str]) -> tuple[pd.DataFrame, list[Rejection]]:
    """Each row's kommun and kind of unit from its unit id, where it gives one. A unit id the
    workspace does not hold is rejected even when a kommun is given: the row names a unit that
    is not there (a typo, or the sites were not imported), so where it belongs is unknown."""
    if sites is None or not len(sites):
        sites = pd.DataFrame({"site_id": [], "area_id": [], "kind": []})
    ids = sites["site_id"].astype(str)
    area_of = dict(zip(ids, sites["area_id"].astype(str)))
    kind_of = dict(zip(ids, sites["kind"].astype(str)))
    site = rows["site_id"].astype(object)
    has_site = site.notna().to_numpy(dtype=bool)
    site_area = site.map(area_of).astype(object)
    given = rows["area_id"].astype(object)
    unknown = has_site & site_area.isna().to_numpy(dtype=bool)
    placed = has_site & ~unknown
    clash = placed & given.notna().to_numpy(dtype=bool) & (
        given.astype(str) != site_area.astype(str)).to_numpy(dtype=bool)
    no_area = ~has_site & given.isna().to_numpy(dtype=bool)
    rows = rows.assign(
        area_id=given.where(~placed, site_area),
        unit_kind=rows["unit_kind"].astype(object).where(
            rows["unit_kind"].notna() | ~placed,
            site.map(lambda v: UNIT_WORDS.get(kind_of.get(v, ""), "arbetsplats"))))
    no_kind = rows["unit_kind"].isna().to_numpy(dtype=bool) & ~(unknown | clash | no_area)
    reasons = [
        (unknown, "site_id", lambda r: r["site_id"],
         lambda r: "Enheten finns inte bland arbetsytans enheter; importera enheterna först "
                   "eller rätta Enhets-ID."),
        (clash, "area_id", lambda r: given.get(r["_pos"]),  # as the row gave it
         lambda r: f"Enheten {r['site_id']} ligger i kommun {r['area_id']}, inte i den kommun "
                   "raden anger."),
        (no_area, "area_id", lambda r: "", lambda r: "Kommun saknas: ange kommunkod eller "
                                                     "Enhets-ID."),
        (no_kind, "unit_kind", lambda r: "", lambda r: "Verksamhet saknas; väntade "
         + ", ".join(schema.TRAINING_UNIT_KINDS) + "."),
    ]
    rejected = []
    positioned = rows.assign(_pos=rows.index)
    for mask, key, value, reason in reasons:
        for r in positioned[mask].to_dict("records"):
            rejected.append(Rejection(file, int(r["_line"]), cols.get(key, key),
                                      str(value(r) or ""), reason(r)))
    bad = unknown | clash | no_area | no_kind
    return rows[~bad].reset_index(drop=True), rejected


OCCASION = ("training", "date", "term", "area_id", "site_id", "unit_kind", "profession",
            "organiser")


def _joined(rows: pd.DataFrame, columns: list[str]) -> pd.Series:
    """One text per row of `columns` (blank for missing): a key to group and compare by."""
    parts = [rows[c].astype("string").fillna("") for c in columns]
    return parts[0].str.cat(parts[1:], sep="\x1f")


def _duplicates(rows: pd.DataFrame, file: str, cols: Mapping[str, str]
                ) -> tuple[pd.DataFrame, list[Rejection], list[str]]:
    """The same occasion twice (same training after normalisation, day or term, place, target
    group and organiser) is rejected: its participants would be counted twice. Rows alike in
    everything but a training name this module does not know are kept, with a note."""
    notes: list[str] = []
    if not len(rows):
        return rows, [], notes
    key = _joined(rows, list(OCCASION))
    dup = key.duplicated().to_numpy(dtype=bool)
    first = rows["_line"].groupby(key.to_numpy()).transform("first")
    rejected = [Rejection(file, int(r["_line"]), cols.get("training", "training"),
                          r["training_given"],
                          f"Samma utbildningstillfälle ({r['training']}, {r['date'] or r['term']}) "
                          f"finns redan på rad {int(f)}; deltagarna skulle räknas två gånger. "
                          "Två tillfällen samma dag: ange Enhets-ID eller slå ihop raderna.")
                for r, f in zip(rows[dup].to_dict("records"), first[dup])]
    rows = rows[~dup].reset_index(drop=True)
    alike = _joined(rows, [c for c in OCCASION if c != "training"] + ["participants"])
    many = alike.map(alike.value_counts()).gt(1).to_numpy(dtype=bool) & (
        rows["date"].astype(str) != "").to_numpy(dtype=bool)
    for _, group in rows[many].groupby(alike[many].to_numpy(), sort=False):
        lines = ", ".join(str(int(v)) for v in group["_line"])
        names = "', '".join(group["training_given"].astype(str))
        notes.append(f"Raderna {lines} har samma datum, plats, målgrupp och antal deltagare "
                     f"men olika utbildningar ('{names}'); kontrollera att det inte är samma "
                     "tillfälle.")
    return rows, rejected, notes


def read_staff(source: str | Path | bytes, *, name: str | None = None,
               mapping: Mapping[str, str | None] | None = None,
               sheet: str | int | None = None) -> t.ReadResult:
    """Staff per kommun, kind of unit and year: the denominator of the share trained."""
    raw = t.read_table(source, name=name, sheet=sheet)
    cols = t.find_spec(raw, STAFF_SPEC, mapping=mapping)
    rows, rejected = t.validate_rows(raw, cols, {
        "area_id": t.required(t.kommun_code), "unit_kind": t.required(unit_kind),
        "year": t.required(_year), "staff": t.required(_staff)})
    dup = rows.duplicated(["area_id", "unit_kind", "year"])
    rejected += [Rejection(raw.name, int(r["_line"]), cols["unit_kind"], r["unit_kind"],
                           "Samma kommun, verksamhet och år finns redan på en tidigare rad.")
                 for r in rows[dup].to_dict("records")]
    frame = rows[~dup].reset_index(drop=True).assign(source="")
    years = sorted(frame["year"].unique())
    return t.ReadResult(frame, sorted(rejected, key=lambda r: r.row), Dataset(
        "", "staff", "staff", raw.name, _span([str(y) for y in years])),
        notes=list(raw.notes), columns=dict(cols))


def _span(periods: list[str]) -> str:
    """'VT2024–HT2025', one period alone, "" for none."""
    return "" if not periods else periods[0] if periods[0] == periods[-1] \
        else f"{periods[0]}–{periods[-1]}"


def _year(value: str) -> int:
    text = str(value).strip()
    if not re.fullmatch(r"(19|20)\d\d", text):
        raise ValueError("väntade ett år med fyra siffror, t.ex. 2024")
    return int(text)


def _staff(value: str) -> int:
    count = t.parse_count(value)
    if count == 0:
        raise ValueError("väntade antalet anställda, minst 1 (lämna bort raden om det är okänt)")
    return count
