"""How each kind of dataset is written back out: one writer per reader format.

Every dataset is written in the format of the reader that made it (README: "Data formats it
reads"), so an export is also a backup that the ordinary importers understand:

| dataset kind | file | read back as |
|---|---|---|
| boundaries | GeoPackage, EPSG:3006, one layer per level; columns code, name, level, parent | boundaries (`layer`, `level`, column options in the manifest) |
| incidents | police extract CSV, WGS84 with 9 decimals (≈0.1 mm), Områdeskod for area precision | incidents |
| crime_counts | Brå-like CSV | crime_counts |
| population | SCB CSV: region ("2417 Norsjö"), kön, one column per year | population |
| population_simple | kommun_kod, kommun_namn, År, population | population_simple |
| scb_pxweb | PX-Web API v1 JSON (Region, Kon 1/2/1+2, Tid) | scb_pxweb |
| indicators | survey CSV | indicators |
| kolada | Kolada API v2 JSON (KPI ids from layers/indicators.toml) | kolada |
| sites, programme_activity, actions | their CSVs | the same kinds |
| polisen_events | the events API's JSON list | polisen_events |

A kind this module does not know is written in the format of its table's usual kind.

Cells, CSV bytes (with the formula escape) and writing a file are `export_cells`'; the boundaries'
GeoPackage is `export_boundaries`'.

What the formats cannot hold is not exported: an incident's `category` (the police extract has
only Brottsbenämning, read into both), times finer than seconds, Kolada's value status, and
and a point-precision incident's DeSO (found again from its point). Area-precision incidents are
written with their finest code in an Områdeskod column and no coordinates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import geopandas as gpd
import numpy as np
import pandas as pd

from lagesbild.core import schema
from lagesbild.core.errors import WorkspaceError
from lagesbild.core.programmes import load_programmes, parse_counts
from lagesbild.core.settings import get_settings
from lagesbild.store import export_trainings, importer
from lagesbild.store.export_boundaries import _write_boundaries
from lagesbild.store.export_cells import (
    SEX_GROUP,
    SEX_PERSON,
    SEX_PXWEB,
    SEX_SCB,
    YES_NO,
    _Context,
    _coord,
    _csv,
    _decimal,
    _int,
    _json,
    _missing,
    _plain,
    _text,
    _write,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")

# --- writers, one per reader format ------------------------------------------------------------

Writer = Callable[[pd.DataFrame, Path, _Context], list[dict[str, str]]]


def _region_name(ctx: _Context, area_id: object) -> str:
    return " ".join(ctx.area_names.get(str(area_id), "").split())  # one line, for the code regex


def _write_incidents(frame: pd.DataFrame, path: Path, ctx: _Context) -> list[dict[str, str]]:
    """Points as WGS84 coordinates; area-precision incidents as an Områdeskod (their finest code)."""
    geoms = frame.geometry if isinstance(frame, gpd.GeoDataFrame) else gpd.GeoSeries(
        [None] * len(frame), crs=schema.CRS_STORE)
    no_point = np.array(frame["precision"].astype(str) != schema.Precision.POINT.value)
    missing = np.array(geoms.isna() | geoms.is_empty) & ~no_point
    if missing.any():
        raise WorkspaceError(f"{int(missing.sum())} brott har punktprecision men ingen punkt; "
                             "arbetsytan är skadad. Importera utdraget på nytt.")
    wgs = geoms.to_crs(schema.CRS_WEB)
    codes = [_plain(sub) if not _missing(sub) else _plain(area)
             for sub, area in zip(frame.get("sub_area_id", frame["area_id"]), frame["area_id"])]
    rows = []
    for i, t, c, s_, r, p, code, area in zip(
            frame["incident_id"], frame["occurred_at"], frame["source_category"],
            frame["victim_sex"], frame["relation"], wgs, codes, no_point):
        row = [_text(i), _when(t), _text(c), SEX_PERSON.get(_plain(s_), ""),
               YES_NO.get(r, "") if not _missing(r) else "",
               "" if area else _coord(p.y), "" if area else _coord(p.x)]
        rows.append(row + ([code if area else ""] if no_point.any() else []))
    header = ["Ärendenummer", "Brottsdatum", "Brottsbenämning", "Målsägandes kön",
              "Nära relation", "Latitud", "Longitud"]
    _write(path, _csv(header + (["Områdeskod"] if no_point.any() else []), rows))
    return [{}]


def _when(value: object) -> str:
    ts = pd.Timestamp(value)  # type: ignore[arg-type]
    return ts.strftime("%Y-%m-%d %H:%M" if ts.second == 0 else "%Y-%m-%d %H:%M:%S")


def _write_crime_counts(frame: pd.DataFrame, path: Path, ctx: _Context) -> list[dict[str, str]]:
    rows = [[_text(_region_name(ctx, a)), _plain(a), _plain(p), _text(c),
             SEX_GROUP.get(_plain(s), ""), _int(n)]
            for a, p, c, s, n in zip(frame["area_id"], frame["period"], frame["category"],
                                     frame["sex"], frame["count"])]
    _write(path, _csv(["Kommun", "Kommunkod", "År", "Brottskategori", "Kön", "Antal"], rows))
    return [{}]


def _write_population(frame: pd.DataFrame, path: Path, ctx: _Context) -> list[dict[str, str]]:
    """SCB's wide table; a cell the workspace lacks is SCB's '..' (read back as a rejected cell)."""
    years = sorted({int(y) for y in frame["year"]})
    cells = {(str(a), int(y), str(s)): int(p) for a, y, s, p in
             zip(frame["area_id"], frame["year"], frame["sex"], frame["population"])}
    order = list(SEX_SCB)
    lines = sorted({(a, s) for a, _, s in cells}, key=lambda k: (k[0], order.index(k[1])))
    rows = [[_text(f"{a} {_region_name(ctx, a)}".strip()), SEX_SCB[s],
             *[str(cells[(a, y, s)]) if (a, y, s) in cells else ".." for y in years]]
            for a, s in lines]
    _write(path, _csv(["region", "kön", *map(str, years)], rows))
    return [{}]


def _write_population_simple(frame: pd.DataFrame, path: Path,
                             ctx: _Context) -> list[dict[str, str]]:
    if (frame["sex"].astype(str) != schema.Sex.T.value).any():
        raise WorkspaceError("En enkel folkmängdslista har bara totaler (T); datasetet har "
                             "uppdelning på kön.")
    rows = [[_plain(a), _text(_region_name(ctx, a)), _int(y), _int(p)]
            for a, y, p in zip(frame["area_id"], frame["year"], frame["population"])]
    _write(path, _csv(["kommun_kod", "kommun_namn", "År", "population"], rows))
    return [{}]


def _write_pxweb(frame: pd.DataFrame, path: Path, ctx: _Context) -> list[dict[str, str]]:
    doc = {
        "columns": [{"code": "Region", "text": "region", "type": "d"},
                    {"code": "Kon", "text": "kön", "type": "d"},
                    {"code": "Tid", "text": "år", "type": "t"},
                    {"code": "BE0101N1", "text": "Folkmängd", "type": "c"}],
        "comments": [],
        "data": [{"key": [str(a), SEX_PXWEB[str(s)], str(int(y))], "values": [str(int(p))]}
                 for a, s, y, p in zip(frame["area_id"], frame["sex"], frame["year"],
                                       frame["population"])],
    }
    _write(path, _json(doc, compact=True))
    return [{}]


def _write_indicators(frame: pd.DataFrame, path: Path, ctx: _Context) -> list[dict[str, str]]:
    # the interval as stored (the source's own, or from its design) goes with the share
    # a school grade or age group (blank: the total row) keeps grades apart on the way back
    grades = frame["age_group"] if "age_group" in frame else pd.Series([None] * len(frame))
    rows = [[_plain(a), _plain(p), _text(i), SEX_GROUP.get(_plain(s), ""), _decimal(v), _int(n),
             _decimal(lo), _decimal(hi), "" if pd.isna(g) else _text(g)]
            for a, p, i, s, v, n, lo, hi, g in zip(
                frame["area_id"], frame["period"], frame["indicator_id"], frame["sex"],
                frame["value"], frame["n"], frame["ci_low"], frame["ci_high"], grades)]
    _write(path, _csv(["Kommunkod", "År", "Indikator", "Kön", "Andel (%)", "Antal svarande",
                       "KI nedre (%)", "KI övre (%)", "Årskurs"], rows))
    return [{}]


def _write_kolada(frame: pd.DataFrame, path: Path, ctx: _Context) -> list[dict[str, str]]:
    kpi_of = {indicator: kpi for kpi, indicator in importer.kolada_map().items()}
    records: dict[tuple[str, str, str], list[dict[str, object]]] = {}
    for a, p, i, s, v in zip(frame["area_id"], frame["period"], frame["indicator_id"],
                             frame["sex"], frame["value"]):
        key = (kpi_of.get(str(i), str(i)), str(a), str(p))
        records.setdefault(key, []).append({"gender": str(s), "value": float(v), "status": ""})
    values = [{"kpi": k, "municipality": a, "period": int(p), "values": inner}
              for (k, a, p), inner in records.items()]
    _write(path, _json({"count": len(values), "values": values}, compact=True))
    return [{}]


def _write_sites(frame: pd.DataFrame, path: Path, ctx: _Context) -> list[dict[str, str]]:
    wgs = frame.geometry.to_crs(schema.CRS_WEB)
    rows = [[_text(i), _text(n), _text(k), _plain(a), _coord(p.y), _coord(p.x), _int(e),
             _int(e46), _int(e79), _int(egy), _text(f)]
            for i, n, k, a, p, e, e46, e79, egy, f in zip(
                frame["site_id"], frame["name"], frame["kind"], frame["area_id"], wgs,
                frame["eligible_pupils"], frame["eligible_ak4_6"], frame["eligible_ak7_9"],
                frame["eligible_gy"], frame["funder"])]
    _write(path, _csv(["Enhets-ID", "Namn", "Typ", "Kommunkod", "Latitud", "Longitud",
                       "Elever i målgrupp", "Elever åk 4–6", "Elever åk 7–9", "Elever gymnasiet",
                       "Förvaltning"], rows))
    return [{}]


def _write_activity(frame: pd.DataFrame, path: Path, ctx: _Context) -> list[dict[str, str]]:
    parsed = [parse_counts(c) for c in frame["counts"]]
    keys = list(dict.fromkeys(k for counts in parsed for k in counts))
    labels = load_programmes(get_settings().layers_dir).counts()
    rows = [[_text(i), _text(p), _plain(t), _text(s), _int(c), _int(r), _int(st), _text(f),
             *(str(counts[k]) if k in counts else "" for k in keys)]
            for i, p, t, s, c, r, st, f, counts in zip(
                frame["site_id"], frame["programme"], frame["period"], frame["status"],
                frame["classes"], frame["pupils_reached"], frame["staff_trained"],
                frame["funder"], parsed)]
    _write(path, _csv(["Enhets-ID", "Program", "Termin", "Status", "Klasser", "Elever som nåtts",
                       "Personal utbildad", "Finansierar",
                       *(labels[k].label_sv if k in labels else k for k in keys)], rows))
    return [{}]


def _write_actions(frame: pd.DataFrame, path: Path, ctx: _Context) -> list[dict[str, str]]:
    def focus(key: object) -> str:
        return schema.FOCUS_AREAS[str(key)][0] if str(key) in schema.FOCUS_AREAS else _text(key)

    def codes(value: object) -> str:
        # "2417, 2422": with the space Swedish Excel keeps it text instead of reading 2417,2422
        return ", ".join(c for c in _plain(value).split(",") if c)

    plan = ("problem", "cause", "start", "end", "baseline", "target", "follow_up")
    frame = frame.assign(**{c: None for c in plan if c not in frame.columns})
    rows = [[_text(i), focus(f), _text(t), _text(r), _text(p), _text(s), codes(a), _text(ind),
             *(_text(x) for x in more)]
            for i, f, t, r, p, s, a, ind, *more in zip(
                frame["action_id"], frame["focus_area"], frame["title"], frame["responsible"],
                frame["period"], frame["status"], frame["area_ids"], frame["indicator_ids"],
                *(frame[c] for c in plan))]
    _write(path, _csv(["Åtgärds-ID", "Fokusområde", "Insats", "Ansvarig", "Period", "Status",
                       "Kommunkoder", "Indikatorer", "Problem", "Orsak", "Start", "Slut",
                       "Utgångsläge", "Mål", "Uppföljning"], rows))
    return [{}]


def _write_events(frame: pd.DataFrame, path: Path, ctx: _Context) -> list[dict[str, str]]:
    records = [{"id": _event_id(i), "datetime": event_time(t), "name": _plain(n), "summary": "",
                "url": "", "type": _plain(k), "location": {"name": _plain(loc), "gps": ""}}
               for i, t, n, k, loc in zip(frame["event_id"], frame["occurred_at"], frame["title"],
                                          frame["type"], frame["location_name"])]
    _write(path, _json(records))
    return [{}]


def _event_id(value: object) -> int | str:
    text = _plain(value)
    return int(text) if text.isdigit() and str(int(text)) == text else text  # the API's ids are numbers


def event_time(value: object) -> str:
    """Local Swedish time as the events API writes it: '2024-01-05 9:13:04 +01:00'."""
    ts = pd.Timestamp(value).to_pydatetime()  # type: ignore[arg-type]
    offset = ts.replace(tzinfo=STOCKHOLM).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 60
    sign = "+" if minutes >= 0 else "-"
    return (f"{ts:%Y-%m-%d} {ts.hour}:{ts:%M:%S} "
            f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}")


@dataclass(frozen=True)
class Format:
    """How one kind of dataset is written: the reader kind that reads it back, suffix, writer."""

    kind: str
    suffix: str
    write: Writer
    csv: bool = False  # text cells are neutralised (and restored by import_exported)


def _write_notes(frame: pd.DataFrame, path: Path, ctx: _Context) -> list[dict[str, str]]:
    rows = [[_text(a), _text(p), _text(k), _text(x),
             "" if _missing(u) else pd.Timestamp(u).strftime("%Y-%m-%d %H:%M:%S")]  # type: ignore[arg-type]
            for a, p, k, x, u in zip(frame["area_id"], frame["period"], frame["key"],
                                     frame["text"], frame["updated_at"])]
    _write(path, _csv(["Område", "Period", "Nyckel", "Text", "Uppdaterad"], rows))
    return [{}]


def _write_groups(frame: pd.DataFrame, path: Path, ctx: _Context) -> list[dict[str, str]]:
    from lagesbild.store.groups import write_csv

    _write(path, write_csv(frame))
    return [{}]


def _write_trainings(frame: pd.DataFrame, path: Path, ctx: _Context) -> list[dict[str, str]]:
    return export_trainings.write_trainings(frame, path, ctx)


def _write_staff(frame: pd.DataFrame, path: Path, ctx: _Context) -> list[dict[str, str]]:
    return export_trainings.write_staff(frame, path, ctx)


FORMATS: dict[str, Format] = {
    "boundaries": Format("boundaries", ".gpkg", _write_boundaries),
    "incidents": Format("incidents", ".csv", _write_incidents, csv=True),
    "crime_counts": Format("crime_counts", ".csv", _write_crime_counts, csv=True),
    "population": Format("population", ".csv", _write_population, csv=True),
    "population_simple": Format("population_simple", ".csv", _write_population_simple,
                                csv=True),
    "scb_pxweb": Format("scb_pxweb", ".json", _write_pxweb),
    "indicators": Format("indicators", ".csv", _write_indicators, csv=True),
    "kolada": Format("kolada", ".json", _write_kolada),
    "sites": Format("sites", ".csv", _write_sites, csv=True),
    "programme_activity": Format("programme_activity", ".csv", _write_activity, csv=True),
    "actions": Format("actions", ".csv", _write_actions, csv=True),
    "polisen_events": Format("polisen_events", ".json", _write_events),
    "notes": Format("notes", ".csv", _write_notes, csv=True),
    "groups": Format("groups", ".csv", _write_groups),
    "trainings": Format("trainings", ".csv", _write_trainings, csv=True),
    "staff": Format("staff", ".csv", _write_staff, csv=True),
}
# a kind this module does not know is written like its table's usual kind
TABLE_KINDS = {"areas": "boundaries", "incidents": "incidents", "incident_counts": "crime_counts",
               "population": "population", "indicators": "indicators", "sites": "sites",
               "programme_activity": "programme_activity", "actions": "actions",
               "events": "polisen_events", "notes": "notes",
               "groups": "groups", "trainings": "trainings", "staff": "staff"}


def format_for(kind: str, table: str) -> Format:
    if kind in FORMATS:
        return FORMATS[kind]
    if table in TABLE_KINDS:
        return FORMATS[TABLE_KINDS[table]]
    raise WorkspaceError(f"Dataset av typen '{kind}' (tabell {table}) kan inte exporteras.")


