"""Programme coverage: which schools and pupils a prevention programme reaches, per area and term."""

from __future__ import annotations

import pandas as pd

from lagesbild.analysis.memo import memoised
from lagesbild.core import programmes as programmes_registry
from lagesbild.core import schema
from lagesbild.core.frames import Frames
from lagesbild.core.programmes import TARGET_GROUPS, Registry

SCHOOL_KINDS = programmes_registry.SCHOOL_KINDS
RUNNING = "genomförs"
UNKNOWN_GROUP = "okänd målgrupp"  # a programme not in the registry: its target group is unknown


def load_registry(registry: Registry | None) -> Registry:
    if registry is not None:
        return registry
    from lagesbild.core.settings import get_settings

    return programmes_registry.load_programmes(get_settings().layers_dir)


def county_of_kommun(frames: Frames) -> dict[str, str]:
    """Kommun area_id -> its county's area_id: the kommun's parent when that is a county of the
    workspace, else the county whose code starts the kommun's (kommuner without a parent)."""
    lan = [str(a) for a in frames.lan["area_id"]]
    out: dict[str, str] = {}
    for area_id, parent in zip(frames.kommuner["area_id"].astype(str),
                               frames.kommuner["parent_id"]):
        if isinstance(parent, str) and parent in lan:
            out[area_id] = parent
        else:
            found = next((c for c in lan if area_id[:2] == c[:2]), None)
            if found is not None:
                out[area_id] = found
    return out


def in_area(rows: pd.DataFrame, area_id: str, level: str, counties: dict[str, str]
            ) -> pd.DataFrame:
    """The rows (with area_id of a kommun) of one kommun, or of the county's own kommuner."""
    ids = rows["area_id"].astype(str)
    if level == schema.AreaLevel.LAN.value:
        return rows[ids.map(counties).eq(str(area_id)).fillna(False).to_numpy(dtype=bool)]
    return rows[(ids == str(area_id)).to_numpy(dtype=bool)]


def _running(frames: Frames, period: str, programmes: tuple[str, ...]) -> pd.DataFrame:
    act = frames.programme_activity
    act = act[(act["period"] == period) & (act["status"] == RUNNING)]
    return act[act["programme"].isin(programmes)] if programmes else act


def _pools(rows: list[tuple[str, int]], registry: Registry) -> list[tuple[set[str], int]]:
    """The programmes run at one unit joined where their target groups overlap: (groups, pupils
    reached). Pupils are capped within a pool (they may be the same pupils), never across pools.
    A programme without grades (not in the registry) is a pool of its own without groups."""
    pools: list[tuple[set[str], int]] = []
    for programme, reached in rows:
        groups, total = set(registry.groups(programme)), int(reached)
        keep = []
        for g, r in pools:
            if groups & g:
                groups, total = groups | g, total + r
            else:
                keep.append((g, r))
        pools = [*keep, (groups, total)]
    return pools


def site_coverage(frames: Frames, *, period: str, programmes: tuple[str, ...] = (),
                  registry: Registry | None = None) -> pd.DataFrame:
    """Per unit (every site, any kind): what the selected programmes reach there in `period`.

    Columns: site_id, name, kind, area_id, funder, programmes (those run there, "genomförs"),
    reached (bool), participants (pupils or young people reached, as reported), in_target
    (a school counted in the denominator), eligible (pupils in the union of the selected
    programmes' target groups, <NA> when unknown), pupils_reached (capped per target group),
    pupils_no_eligible (reached in a target group whose pupils the sites file lacks),
    missing_groups (those groups, Swedish labels), classes, staff_trained.

    A school with pupils per target group ("Elever åk 7–9" ...) is counted per group: several
    programmes sum their pupils, capped per (unit, target group) where groups overlap. A school
    with the old single "Elever i målgrupp" has one target group for all it runs (capped at it).
    """
    registry = load_registry(registry)
    # every rerun of the Insatser page and every layer's figures ask again: kept per frames
    # (the registry itself, a frozen dataclass of its programmes, is part of the key)
    return memoised(frames, ("site_coverage", str(period), tuple(programmes), registry),
                    lambda: _site_coverage(frames, str(period), tuple(programmes), registry))


def _site_coverage(frames: Frames, period: str, programmes: tuple[str, ...],
                   registry: Registry) -> pd.DataFrame:
    act = _running(frames, period, programmes)
    # no choice: every programme of the workspace (any term), so a term's denominator does not
    # shrink because a programme happens not to run in it
    chosen = programmes or tuple(sorted(frames.programme_activity["programme"].dropna().unique()))
    wanted = {g for p in chosen for g in registry.groups(p)}
    sites = pd.DataFrame(frames.sites.drop(columns="geometry"))
    by_site: dict[str, pd.DataFrame] = dict(tuple(act.groupby("site_id")))
    every = frames.programme_activity  # what each unit runs in any term, whatever its status
    ran = {str(k): set(v) for k, v in every.groupby("site_id")["programme"].agg(set).items()}
    chosen_school = [p for p in chosen if _in_school(p, registry)]
    out = []
    for rec in sites.to_dict("records"):
        sid = str(rec["site_id"])
        here = by_site.get(sid, act.iloc[:0])
        funders = [f for f in here["funder"].dropna().astype(str) if f.strip()] \
            or ([str(rec["funder"])] if isinstance(rec.get("funder"), str) and rec["funder"] else [])
        row = {"site_id": sid, "name": rec["name"], "kind": rec["kind"], "area_id": rec["area_id"],
               "funder": ", ".join(dict.fromkeys(funders)),
               "programmes": ", ".join(sorted(here["programme"].astype(str).unique())),
               "reached": len(here) > 0,
               "participants": int(pd.to_numeric(here["pupils_reached"]).fillna(0).sum()),
               "classes": int(pd.to_numeric(here["classes"]).fillna(0).sum()),
               "staff_trained": int(pd.to_numeric(here["staff_trained"]).fillna(0).sum()),
               "in_target": False, "eligible": pd.NA, "pupils_reached": 0,
               "pupils_no_eligible": 0, "missing_groups": ""}
        if rec["kind"] in SCHOOL_KINDS:
            row.update(_school(rec, here, wanted, registry))
            if not _legacy_in_target(rec, chosen_school, ran.get(sid, set()), registry):
                row["in_target"] = False
        out.append(row)
    cols = ["site_id", "name", "kind", "area_id", "funder", "programmes", "reached",
            "participants", "in_target", "eligible", "pupils_reached", "pupils_no_eligible",
            "missing_groups", "classes", "staff_trained"]
    frame = pd.DataFrame(out, columns=cols)
    return frame.astype({"eligible": "Int64", "pupils_reached": "int64", "participants": "int64",
                         "pupils_no_eligible": "int64", "reached": bool, "in_target": bool})


def _in_school(programme: str, registry: Registry) -> bool:
    """Run in school grades: a registry programme with grades, or one the registry lacks."""
    found = registry.find(programme)
    return found is None or bool(found.grades)


def _legacy_in_target(rec: dict, chosen: list[str], ran: set[str], registry: Registry) -> bool:
    """Whether a school with the old single "Elever i målgrupp" (the target group of what runs
    there) belongs to the chosen programmes' denominator: no school programme chosen, no; it
    runs no school programme (its group is unknown), yes; else when a chosen programme runs
    there or shares a target group with one that does."""
    if any(not pd.isna(rec.get(f"eligible_{g}")) for g in TARGET_GROUPS if f"eligible_{g}" in rec):
        return True  # pupils per target group: `_school` decides
    if not chosen:
        return False
    ran_school = [p for p in ran if _in_school(p, registry)]
    if not ran_school:
        return True
    return any(p == q or set(registry.groups(p)) & set(registry.groups(q))
               for p in chosen for q in ran_school)


def _school(rec: dict, here: pd.DataFrame, wanted: set[str], registry: Registry) -> dict:
    """A school's denominator and capped pupils reached (see `site_coverage`)."""
    per_group = {g: int(rec[f"eligible_{g}"]) for g in TARGET_GROUPS
                 if f"eligible_{g}" in rec and not pd.isna(rec[f"eligible_{g}"])}
    reach = list(zip(here["programme"].astype(str), pd.to_numeric(here["pupils_reached"]).fillna(0)))
    if not per_group:  # the old single target group: everything run there counts against it
        total = int(sum(r for _, r in reach))
        legacy = rec.get("eligible_pupils")
        if legacy is None or pd.isna(legacy) or int(legacy) <= 0:
            return {"in_target": True, "pupils_no_eligible": total,
                    "missing_groups": "målgrupp" if total else ""}
        return {"in_target": True, "eligible": int(legacy), "pupils_reached": min(total, int(legacy))}
    known = [g for g in wanted if g in per_group]
    out = {"in_target": bool(known) or bool(reach),
           "eligible": sum(per_group[g] for g in known) if known else pd.NA}
    capped = missing_pupils = 0
    missing: list[str] = []
    for groups, total in _pools(reach, registry):
        limit = sum(per_group[g] for g in groups if g in per_group)
        if any(g in per_group for g in groups):
            capped += min(total, limit)
        else:
            missing_pupils += total
            missing += [TARGET_GROUPS[g][0] for g in sorted(groups)] or [UNKNOWN_GROUP]
    return {**out, "pupils_reached": capped, "pupils_no_eligible": missing_pupils,
            "missing_groups": ", ".join(dict.fromkeys(missing))}


def coverage_by_area(frames: Frames, *, period: str, programmes: tuple[str, ...] = (),
                     registry: Registry | None = None) -> pd.DataFrame:
    """Per kommun (and län): eligible schools and pupils, those reached in `period`, shares in %.

    A site counts as reached when a selected programme runs there ("genomförs") in the term. A
    county counts the schools of its own kommuner only (a workspace may hold several counties).
    Pupils reached where the school's target group has no pupil count are `pupils_no_eligible`:
    outside the share (its denominator is missing), never counted as covering everyone.
    """
    registry = load_registry(registry)
    return memoised(frames, ("coverage_by_area", str(period), tuple(programmes), registry),
                    lambda: _coverage_by_area(frames, str(period), tuple(programmes), registry))


def _coverage_by_area(frames: Frames, period: str, programmes: tuple[str, ...],
                      registry: Registry) -> pd.DataFrame:
    per_site = site_coverage(frames, period=period, programmes=programmes, registry=registry)
    schools = per_site[per_site["kind"].isin(SCHOOL_KINDS) & per_site["in_target"]]
    rows = []
    areas = pd.concat([frames.kommuner, frames.lan])
    counties = county_of_kommun(frames)
    for area_id, level in zip(areas["area_id"], areas["level"]):
        part = in_area(schools, area_id, level, counties)
        rows.append({
            "area_id": area_id, "schools": len(part), "schools_reached": int(part["reached"].sum()),
            "eligible_pupils": int(part["eligible"].fillna(0).sum()),
            "pupils_reached": int(part["pupils_reached"].sum()),
            "pupils_no_eligible": int(part["pupils_no_eligible"].sum()),
            "schools_no_eligible": int((part["pupils_no_eligible"] > 0).sum()),
            "classes": int(part["classes"].sum()), "staff_trained": int(part["staff_trained"].sum()),
        })
    out = pd.DataFrame(rows)
    out["share_schools"] = (100 * out["schools_reached"] / out["schools"].where(out["schools"] > 0)).astype("Float64")
    out["share_pupils"] = (100 * out["pupils_reached"] / out["eligible_pupils"].where(out["eligible_pupils"] > 0)).astype("Float64")
    out["source"] = frames.source_label(list(frames.programme_activity["source"].unique())
                                        + list(frames.sites["source"].unique()))
    return out


def site_status(frames: Frames, *, period: str, programmes: tuple[str, ...] = ()) -> pd.DataFrame:
    """Each site with its programme status in `period`: 'genomförs', 'planerad', ... or 'inget program'."""
    act = frames.programme_activity
    act = act[act["period"] == period]
    if programmes:
        act = act[act["programme"].isin(programmes)]
    rank = {"genomförs": 0, "planerad": 1, "avslutad": 2, "ej startad": 3}
    act = act.assign(_rank=act["status"].map(rank)).sort_values(["_rank", "programme"])
    # a site running several programmes (MVP and MVP Mellanstadiet) shows them all, with the
    # classes and pupils of those at its best status summed
    best = act[act["_rank"] == act.groupby("site_id")["_rank"].transform("min")]
    first = best.groupby("site_id", as_index=False, sort=False).agg(
        programme=("programme", ", ".join), status=("status", "first"),
        classes=("classes", "sum"), pupils_reached=("pupils_reached", "sum"))
    sites = frames.sites.merge(first, on="site_id", how="left")
    sites["status"] = sites["status"].fillna("inget program")
    sites["programme"] = sites["programme"].fillna("")
    return sites


def actions_by_focus(frames: Frames, *, lang: str = "sv") -> pd.DataFrame:
    """Actions with their focus-area title, ordered as the six focus areas are."""
    actions = frames.actions.copy()
    order = {key: i for i, key in enumerate(schema.FOCUS_AREAS)}
    actions["focus_title"] = actions["focus_area"].map(
        lambda k: schema.FOCUS_AREAS.get(k, (k, k))[1 if lang == "en" else 0])
    actions["_order"] = actions["focus_area"].map(order).fillna(len(order))  # own areas last
    return actions.sort_values(["_order", "action_id"]).drop(columns="_order").reset_index(drop=True)
