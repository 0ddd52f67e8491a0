"""Canonical tables: their columns, dtypes and closed vocabularies, defined once."""

from __future__ import annotations

from enum import Enum, IntEnum

import geopandas as gpd
import pandas as pd

CRS_STORE = "EPSG:3006"  # SWEREF 99 TM: every geometry is stored in it
CRS_WEB = "EPSG:4326"  # what the browser gets


class Sex(str, Enum):
    K = "K"  # kvinnor
    M = "M"  # män
    T = "T"  # totalt


class AreaLevel(str, Enum):
    LAN = "lan"
    KOMMUN = "kommun"
    REGSO = "regso"
    DESO = "deso"
    STADSDEL = "stadsdel"
    POLISOMRADE = "polisomrade"
    CUSTOM = "custom"


class PyramidLevel(IntEnum):
    OUTSIDE = 0  # utanför pyramiden
    BASE = 1
    MIDDLE = 2
    TOP = 3


class Precision(str, Enum):
    POINT = "point"
    AREA = "area"


STR = "string"
INT = "Int64"
FLOAT = "Float64"
BOOL = "boolean"
TIME = "datetime64[ms]"

# table -> {column: dtype}; geometry columns are listed separately.
TABLES: dict[str, dict[str, str]] = {
    "areas": {
        "area_id": STR, "level": STR, "code": STR, "name": STR, "parent_id": STR, "source": STR,
        "kommungrupp": STR,  # SKR kommungrupp code (A1..C9) when the boundary file carries it
    },
    "population": {
        "area_id": STR, "year": INT, "sex": STR, "population": INT, "source": STR,
        "age_group": STR,
    },
    "incidents": {
        "incident_id": STR, "occurred_at": TIME, "year": INT, "category": STR,
        "source_category": STR, "relation": BOOL, "victim_sex": STR, "area_id": STR,
        "sub_area_id": STR, "precision": STR, "source": STR, "age_group": STR,
    },
    "incident_counts": {
        "area_id": STR, "period": STR, "category": STR, "sex": STR, "count": INT, "source": STR,
        "age_group": STR,
    },
    "indicators": {
        "area_id": STR, "period": STR, "indicator_id": STR, "sex": STR, "value": FLOAT,
        "unit": STR, "n": INT, "ci_low": FLOAT, "ci_high": FLOAT, "source": STR,
        "age_group": STR,
    },
    "sites": {
        "site_id": STR, "name": STR, "kind": STR, "area_id": STR, "eligible_pupils": INT,
        "source": STR,
        # pupils per target group (core.programmes.TARGET_GROUPS); eligible_pupils is the old
        # single "Elever i målgrupp": the target group of the programme(s) run there
        "eligible_ak4_6": INT, "eligible_ak7_9": INT, "eligible_gy": INT,
        "funder": STR,  # the district or förvaltning that runs/funds the unit
    },
    "programme_activity": {
        "site_id": STR, "area_id": STR, "programme": STR, "period": STR, "classes": INT,
        "pupils_reached": INT, "staff_trained": INT, "status": STR, "source": STR,
        # pupils_reached holds the participants (young people reached at a fritidsgård);
        # counts: the registry's own counts of the programme, "sessions=12;tryggbassamtal=40"
        "counts": STR, "funder": STR,
    },
    # Polisen's public events: area precision only (their gps is the area's centre, never stored)
    "events": {
        "event_id": STR, "occurred_at": TIME, "year": INT, "type": STR, "title": STR,
        "location_name": STR, "area_id": STR, "area_level": STR, "source": STR,
    },
    "actions": {
        "action_id": STR, "focus_area": STR, "title": STR, "responsible": STR, "period": STR,
        "status": STR, "area_ids": STR, "indicator_ids": STR, "source": STR,
        # the åtgärdsplan: the problem (a finding) and cause it answers, its dates, the baseline
        # period, the target on its indicator, and when it is followed up
        "problem": STR, "cause": STR, "start": STR, "end": STR, "baseline": STR,
        "target": STR, "follow_up": STR,
    },
    # Named groups of kommuner for a joint lägesbild (a lokalpolisområde, a regional
    # collaboration): kommun_ids comma-separated, as actions.area_ids
    "groups": {"group_id": STR, "name": STR, "kommun_ids": STR, "source": STR},
    # Trainings of staff, one row per occasion (`sources.trainings`): the training's one name
    # and as written, its day (ISO, blank when only the term is known), term and year, the
    # target group (profession, kind of unit: TRAINING_UNIT_KINDS), where (kommun; the unit when
    # given), participants and hours per participant; and staff per kommun, kind and year, the
    # denominator of the share of staff trained
    "trainings": {
        "training": STR, "training_given": STR, "date": STR, "term": STR, "year": INT,
        "organiser": STR, "profession": STR, "unit_kind": STR, "site_id": STR, "area_id": STR,
        "participants": INT, "hours": FLOAT, "source": STR,
    },
    "staff": {"area_id": STR, "unit_kind": STR, "year": INT, "staff": INT, "source": STR},
    # What the users write for a report: analysis notes per section ("note:analys") and local
    # goals per focus area ("goal:valdsforebyggande"), per area and period.
    "notes": {
        "area_id": STR, "period": STR, "key": STR, "text": STR, "updated_at": TIME, "source": STR,
    },
}
SPATIAL = {"areas", "sites", "incidents"}  # tables that carry a geometry column
# Columns added after a table was first defined: a workspace written before reads them as empty.
# incidents.area_id is always the kommun (the unit every figure counts by); sub_area_id is the
# finer official area (DeSO) the incident lies in or was coded with, when known.
# age_group (`core.age`, layers/aldersgrupper.toml): the victim's age group of an incident; in
# population, incident_counts and indicators a row with an age group is one part of the total
# row without (blank) — `store.frames.load_frames` keeps those parts apart from the totals.
ADDED_LATER: dict[str, tuple[str, ...]] = {
    "incidents": ("sub_area_id", "age_group"), "areas": ("kommungrupp",),
    "population": ("age_group",), "incident_counts": ("age_group",),
    "indicators": ("age_group",),
    "sites": ("eligible_ak4_6", "eligible_ak7_9", "eligible_gy", "funder"),
    "programme_activity": ("counts", "funder"),
    "actions": ("problem", "cause", "start", "end", "baseline", "target", "follow_up")}


_DTYPES = {name: pd.api.types.pandas_dtype(name) for name in (STR, INT, FLOAT, BOOL, TIME)}


def empty(table: str) -> pd.DataFrame:
    """An empty frame with the table's columns and dtypes (a GeoDataFrame for spatial tables)."""
    return conform(pd.DataFrame({c: [] for c in TABLES[table]}), table)


def conform_column(s: pd.Series, dtype: str) -> pd.Series:
    """One column of a table in the schema's `dtype` (as `conform` gives it)."""
    if s.dtype == _DTYPES[dtype]:
        return s  # already so: every branch below would give it back unchanged
    if dtype == INT:
        return pd.to_numeric(s).round().astype(INT)
    if dtype == FLOAT:
        return pd.to_numeric(s).astype(FLOAT)
    if dtype == BOOL:
        return s.astype(BOOL)
    if dtype == TIME:
        return pd.to_datetime(s).astype(TIME)
    return s.astype(STR)


def conform(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Return `frame` with exactly the table's columns in order and dtypes (plus geometry)."""
    cols = TABLES[table]
    later = [c for c in ADDED_LATER.get(table, ()) if c not in frame.columns]
    if later:
        frame = frame.assign(**{c: None for c in later})
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise KeyError(f"table {table!r} lacks columns {missing}")
    out = pd.DataFrame({col: conform_column(frame[col], dtype) for col, dtype in cols.items()},
                       index=frame.index)
    if table in SPATIAL:
        geom = frame.geometry if isinstance(frame, gpd.GeoDataFrame) else gpd.GeoSeries(
            [None] * len(frame), index=frame.index)
        crs = geom.crs or CRS_STORE
        out = gpd.GeoDataFrame(out, geometry=geom.values, crs=crs)
        if out.crs != CRS_STORE:
            out = out.to_crs(CRS_STORE)
    return out.reset_index(drop=True)


# The six focus areas of Kalmar's strategy 2022–2026 (seed 003): key -> (sv, en).
# A report's sections, in the order the law (2023:196) and Brå's method ask for them (their
# titles are in `report.model.SECTION_TITLES`); notes are stored per section.
SECTION_KEYS = ("sammanfattning", "kartlaggning", "analys", "forebyggande", "atgarder", "kallor")

FOCUS_AREAS: dict[str, tuple[str, str]] = {
    "valdsforebyggande": ("Våldsförebyggande arbete", "Violence prevention"),
    "tidig_upptackt": ("Tidig upptäckt av våld samt stärkt skydd och stöd för våldsutsatta",
                       "Early detection, protection and support for victims"),
    "ungas_parrelationer": ("Motverka våld i ungas parrelationer",
                            "Countering violence in young people's relationships"),
    "valdsutovare": ("Tidiga insatser riktade till personer som utövar våld",
                     "Early interventions for perpetrators"),
    "kunskap": ("Kunskap och kompetens", "Knowledge and competence"),
    "samverkan": ("Samverkan med myndigheter, föreningsliv och övriga aktörer", "Collaboration"),
}
SITE_KINDS = ("grundskola", "gymnasium", "förskola", "fritidsgård", "parklek", "arbetsplats")
TRAINING_UNIT_KINDS = ("skola", "förskola", "fritidsgård", "parklek", "arbetsplats")
PROGRAMME_STATUS = ("genomförs", "planerad", "avslutad", "ej startad")
ACTION_STATUS = ("ej påbörjad", "pågår", "genomförd", "försenad")
