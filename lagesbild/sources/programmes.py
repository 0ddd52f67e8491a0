"""Prevention work: sites (schools, fritidsgårdar), programme activity per term, strategy actions."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd

from lagesbild.core import schema
from lagesbild.core.dataset import Dataset
from lagesbild.core.errors import Rejection
from lagesbild.core.programmes import TARGET_GROUPS, Registry, format_counts, load_programmes
from lagesbild.sources import tables as t
from lagesbild.sources.incidents import LAT_RANGE, LON_RANGE

# canonical key -> header aliases, and the optional keys; a UI shows these in its mapping form
SITE_COLUMNS: dict[str, list[str]] = {
    "site_id": ["Enhets-ID", "Enhetsid", "Skolenhetskod", "ID"],
    "name": ["Namn", "Enhetsnamn", "Skola"],
    "kind": ["Typ", "Verksamhetstyp"],
    "area_id": ["Kommunkod", "Kommun"],
    "lat": ["Latitud", "Lat"], "lon": ["Longitud", "Lon", "Long"],
    "eligible_pupils": ["Elever i målgrupp", "Antal elever", "Elever"],
    "eligible_ak4_6": ["Elever åk 4–6", "Elever åk 4-6", "Elever åk4-6", "Åk 4–6", "Åk 4-6"],
    "eligible_ak7_9": ["Elever åk 7–9", "Elever åk 7-9", "Elever åk7-9", "Åk 7–9", "Åk 7-9"],
    "eligible_gy": ["Elever gymnasiet", "Elever gymnasium", "Gymnasiet"],
    "funder": ["Förvaltning", "Finansierar", "Finansiär", "Stadsdelsförvaltning", "Huvudman"],
}
SITE_OPTIONAL: tuple[str, ...] = ("eligible_pupils", "eligible_ak4_6", "eligible_ak7_9",
                                  "eligible_gy", "funder")
GROUP_COLUMNS = tuple(f"eligible_{g}" for g in TARGET_GROUPS)
SITE_SPEC = t.ColumnSpec(SITE_COLUMNS, SITE_OPTIONAL)
ACTIVITY_COLUMNS: dict[str, list[str]] = {
    "site_id": ["Enhets-ID", "Enhetsid", "Skolenhetskod"],
    "programme": ["Program"], "period": ["Termin", "Period"], "status": ["Status"],
    "classes": ["Klasser", "Antal klasser"],
    "pupils_reached": ["Elever som nåtts", "Elever nådda", "Antal elever", "Deltagare",
                       "Antal deltagare", "Unga som nåtts"],
    "staff_trained": ["Personal utbildad", "Utbildad personal"],
    "funder": ["Finansierar", "Finansiär", "Förvaltning", "Stadsdelsförvaltning"],
}
ACTIVITY_OPTIONAL: tuple[str, ...] = ("classes", "staff_trained", "funder")
ACTIVITY_SPEC = t.ColumnSpec(ACTIVITY_COLUMNS, ACTIVITY_OPTIONAL)
ACTION_COLUMNS: dict[str, list[str]] = {
    "action_id": ["Åtgärds-ID", "ID", "Insats-ID"], "focus_area": ["Fokusområde"],
    "title": ["Insats", "Åtgärd", "Titel"], "responsible": ["Ansvarig", "Ansvar"],
    "period": ["Period"], "status": ["Status"],
    "area_ids": ["Kommunkoder", "Kommuner", "Områden"],
    "indicator_ids": ["Indikatorer", "Indikator"],
    "problem": ["Problem", "Prioriterat problem"], "cause": ["Orsak", "Orsaker"],
    "start": ["Start", "Startdatum", "Från"], "end": ["Slut", "Slutdatum", "Till"],
    "baseline": ["Utgångsläge", "Baslinje", "Baseline", "Utgångsår"],
    "target": ["Mål", "Målvärde"], "follow_up": ["Uppföljning", "Uppföljningsdatum"],
}
ACTION_OPTIONAL: tuple[str, ...] = ("responsible", "period", "area_ids", "indicator_ids",
                                    "problem", "cause", "start", "end", "baseline", "target",
                                    "follow_up")
ACTION_SPEC = t.ColumnSpec(ACTION_COLUMNS, ACTION_OPTIONAL)


def _term(value: str) -> str:
    text = str(value).strip().upper().replace(" ", "")
    if not re.fullmatch(r"(HT|VT)20\d\d", text):
        raise ValueError("väntade en termin som HT2024 eller VT2025")
    return text


def _count_or_zero(value: str) -> int:
    return 0 if str(value).strip() == "" else t.parse_count(value)


def _count_or_none(value: str) -> int | None:
    return None if str(value).strip() == "" else t.parse_count(value)


def read_sites(source: str | Path | bytes, *, name: str | None = None,
               mapping: Mapping[str, str | None] | None = None,
               sheet: str | int | None = None) -> t.ReadResult:
    raw = t.read_table(source, name=name, sheet=sheet)
    cols = t.find_columns(raw, SITE_COLUMNS, optional=SITE_OPTIONAL, mapping=mapping)
    kinds = {k: k for k in schema.SITE_KINDS}
    rows, rejected = t.validate_rows(raw, cols, {
        "site_id": t.required(t.text), "name": t.required(t.text),
        "kind": t.required(t.choice(kinds, "typ")), "area_id": t.required(t.kommun_code),
        "lat": t.required(t.parse_number), "lon": t.required(t.parse_number),
        "eligible_pupils": _count_or_zero, **{c: _count_or_none for c in GROUP_COLUMNS},
        "funder": t.text,
    })
    notes = list(raw.notes) + _eligible_notes(rows, cols)
    outside = ~(rows["lat"].astype(float).between(*LAT_RANGE) & rows["lon"].astype(float).between(*LON_RANGE))
    rejected += [Rejection(raw.name, int(r["_line"]), cols["lat"], f"{r['lat']}, {r['lon']}",
                           "Koordinaten ligger utanför Sverige (väntade WGS84 i grader).")
                 for r in rows[outside].to_dict("records")]
    rows = rows[~outside]
    dup = rows["site_id"].duplicated()
    rejected += [Rejection(raw.name, int(r["_line"]), cols["site_id"], r["site_id"],
                           "Enhets-ID finns redan på en tidigare rad.") for r in rows[dup].to_dict("records")]
    rows = rows[~dup]
    geometry = gpd.points_from_xy(rows["lon"].astype(float), rows["lat"].astype(float), crs=schema.CRS_WEB)
    frame = gpd.GeoDataFrame(rows.drop(columns=["lat", "lon"]).assign(source=""),
                             geometry=geometry, crs=schema.CRS_WEB).to_crs(schema.CRS_STORE)
    return t.ReadResult(frame, sorted(rejected, key=lambda r: r.row),
                        Dataset("", "sites", "sites", raw.name), notes=notes,
                        columns=dict(cols))


def _eligible_notes(rows: pd.DataFrame, cols: Mapping[str, str]) -> list[str]:
    """How the pupils in the target group are read: per target group, or the old single
    "Elever i målgrupp", which stands for the programme(s) run at the unit together."""
    given = [c for c in GROUP_COLUMNS if c in cols]
    if "eligible_pupils" not in cols:
        return []
    if not given:
        return [f"'{cols['eligible_pupils']}' räknas som målgruppen för alla program som genomförs "
                "på enheten tillsammans (elever som nås av flera program begränsas till den); ange "
                "'Elever åk 4–6', 'Elever åk 7–9' och 'Elever gymnasiet' för täckning per program."]
    both = rows[rows[given].notna().any(axis=1) & rows["eligible_pupils"].gt(0)]
    if both.empty:
        return []
    return [f"{len(both)} enheter har både '{cols['eligible_pupils']}' och elever per målgrupp: "
            "eleverna per målgrupp används (rad " + ", ".join(str(int(r)) for r in both["_line"][:5])
            + (" …" if len(both) > 5 else "") + ")."]


def _programme(registry: Registry):
    def parse(value: str) -> str:
        found = registry.find(value)
        return found.name if found else str(value).strip()
    return parse


def _unknown_note(rows: pd.DataFrame, registry: Registry, header: str) -> list[str]:
    """A programme not in the registry is kept (a kommun's own programme is real work), but
    without a target group its pupils have no denominator: say so, with rows and the fix."""
    notes = []
    unknown = rows["programme"].map(lambda p: registry.find(p) is None).astype(bool)
    for name, part in rows[unknown].groupby("programme"):
        lines = ", ".join(str(int(r)) for r in part["_line"][:5]) + (" …" if len(part) > 5 else "")
        notes.append(f"Fält '{header}', rad {lines}: programmet '{name}' finns inte i "
                     f"programregistret ({registry.file}); raderna lagras men eleverna räknas utan "
                     "egen målgrupp (de räknas bara mot skolans 'Elever i målgrupp'). Rätta namnet (kända: " + ", ".join(registry.names())
                     + f") eller lägg till programmet som ett [[programme]]-block i {registry.file}.")
    return notes


def read_activity(source: str | Path | bytes, *, name: str | None = None,
                  mapping: Mapping[str, str | None] | None = None,
                  sheet: str | int | None = None, registry: Registry | None = None) -> t.ReadResult:
    """Programme activity per unit and term. A programme is named as in the registry
    (layers/programmes.toml, aliases allowed); one not there is kept with a note. Its own counts
    (Tryggbassamtal, Pass genomförda) are extra columns."""
    from lagesbild.core.settings import get_settings

    registry = registry or load_programmes(get_settings().layers_dir)
    raw = t.read_table(source, name=name, sheet=sheet)
    cols = t.find_columns(raw, ACTIVITY_COLUMNS, optional=ACTIVITY_OPTIONAL, mapping=mapping)
    counts = registry.counts()
    count_cols = {f"count:{k}": h for k, h in t.guess_columns(
        raw, {k: [c.label_sv, c.label_en, k] for k, c in counts.items()},
        exclude=cols.values()).items()}
    statuses = {s: s for s in schema.PROGRAMME_STATUS}
    rows, rejected = t.validate_rows(raw, {**cols, **count_cols}, {
        "site_id": t.required(t.text), "programme": t.required(_programme(registry)),
        "period": t.required(_term), "status": t.required(t.choice(statuses, "status")),
        "classes": _count_or_zero, "pupils_reached": _count_or_zero, "staff_trained": _count_or_zero,
        "funder": t.text, **{c: _count_or_none for c in count_cols},
    })
    notes = list(raw.notes) + _unknown_note(rows, registry, cols["programme"])
    stored, foreign = [], []
    for rec in rows.to_dict("records"):
        found = registry.find(rec["programme"])
        own = {c.key for c in found.counts} if found else set()
        values = {c.removeprefix("count:"): int(rec[c]) for c in count_cols if pd.notna(rec[c])}
        foreign += [(int(rec["_line"]), counts[k].label_sv, rec["programme"])
                    for k, v in values.items() if k not in own and v]
        stored.append(format_counts({k: v for k, v in values.items() if k in own}))
    rows = rows.drop(columns=list(count_cols)).assign(counts=stored)
    if foreign:
        line, label, prog = foreign[0]
        notes.append(f"{len(foreign)} {'värde hör' if len(foreign) == 1 else 'värden hör'} inte "
                     "till radens program och lagras inte "
                     f"(t.ex. rad {line}: '{label}' för {prog}); programmets räkningar står i "
                     f"{registry.file}.")
    dup = rows.duplicated(["site_id", "programme", "period"])
    rejected += [Rejection(raw.name, int(r["_line"]), cols["site_id"], r["site_id"],
                           "Samma enhet, program och termin finns redan på en tidigare rad.")
                 for r in rows[dup].to_dict("records")]
    frame = rows[~dup].assign(area_id=None, source="")
    terms = sorted(frame["period"].unique(), key=lambda p: (p[2:], p[:2] == "HT"))
    return t.ReadResult(frame, sorted(rejected, key=lambda r: r.row), Dataset(
        "", "programme_activity", "programme_activity", raw.name,
        f"{terms[0]}–{terms[-1]}" if terms else ""), notes=notes,
        columns={**cols, **count_cols})


def _focus_area(value: str) -> str:
    """Kalmar's six focus areas (an example, `schema.FOCUS_AREAS`) by their key or name; any
    other name is the user's own focus area, kept as written."""
    given = " ".join(str(value).split())
    text = given.casefold()
    for key, (sv, en) in schema.FOCUS_AREAS.items():
        if text in (key, sv.casefold(), en.casefold()) or sv.casefold().startswith(text) and len(text) > 8:
            return key
    if not given:
        raise ValueError("fokusområdet saknas")
    return given


def _codes(value: str) -> str:
    parts = [p for p in re.split(r"[,\s]+", str(value).strip()) if p]
    return ",".join(t.kommun_code(p) for p in parts)


def read_actions(source: str | Path | bytes, *, name: str | None = None,
                 mapping: Mapping[str, str | None] | None = None,
                 sheet: str | int | None = None) -> t.ReadResult:
    raw = t.read_table(source, name=name, sheet=sheet)
    cols = t.find_columns(raw, ACTION_COLUMNS, optional=ACTION_OPTIONAL, mapping=mapping)
    statuses = {s: s for s in schema.ACTION_STATUS}
    rows, rejected = t.validate_rows(raw, cols, {
        "action_id": t.required(t.text), "focus_area": t.required(_focus_area),
        "title": t.required(t.text), "responsible": t.text, "period": t.text,
        "status": t.required(t.choice(statuses, "status")), "area_ids": _codes,
        "indicator_ids": t.text, "problem": t.text, "cause": t.text, "start": t.text,
        "end": t.text, "baseline": t.text, "target": t.text, "follow_up": t.text,
    })
    dup = rows["action_id"].duplicated()
    rejected += [Rejection(raw.name, int(r["_line"]), cols["action_id"], r["action_id"],
                           "Åtgärds-ID finns redan på en tidigare rad.") for r in rows[dup].to_dict("records")]
    frame = pd.DataFrame(rows[~dup]).assign(source="")
    return t.ReadResult(frame, sorted(rejected, key=lambda r: r.row),
                        Dataset("", "actions", "actions", raw.name), notes=list(raw.notes),
                        columns=dict(cols))
