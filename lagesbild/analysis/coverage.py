"""Programme coverage: which schools and pupils a prevention programme reaches, per area and term."""

from __future__ import annotations

import pandas as pd

from lagesbild.core import schema
from lagesbild.core.frames import Frames

SCHOOL_KINDS = ("grundskola", "gymnasium")


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


def site_coverage(frames: Frames, *, period: str, programmes: tuple[str, ...] = ()) -> pd.DataFrame:
    """One row per school site: its eligible pupils, those reached in `period` (capped at the
    eligible), classes, staff trained and whether a selected programme runs there ("genomförs")."""
    sites = pd.DataFrame(frames.sites.drop(columns="geometry"))
    schools = sites[sites["kind"].isin(SCHOOL_KINDS)]
    act = frames.programme_activity
    act = act[(act["period"] == period) & (act["status"] == "genomförs")]
    if programmes:
        act = act[act["programme"].isin(programmes)]
    per_site = act.groupby("site_id", as_index=False)[["classes", "pupils_reached", "staff_trained"]].sum()
    merged = schools.merge(per_site, on="site_id", how="left").fillna(
        {"classes": 0, "pupils_reached": 0, "staff_trained": 0})
    merged["reached"] = merged["site_id"].isin(per_site["site_id"])
    merged["eligible_pupils"] = merged["eligible_pupils"].fillna(0)
    # two programmes at one school can count the same pupils: a school reaches at most all of them
    merged["pupils_reached"] = merged[["pupils_reached", "eligible_pupils"]].min(axis=1)
    return merged


def coverage_by_area(frames: Frames, *, period: str, programmes: tuple[str, ...] = ()) -> pd.DataFrame:
    """Per kommun (and län): eligible schools and pupils, those reached in `period`, shares in %.

    A site counts as reached when a selected programme runs there ("genomförs") in the term. A
    county counts the schools of its own kommuner only (a workspace may hold several counties).
    """
    merged = site_coverage(frames, period=period, programmes=programmes)
    rows = []
    areas = pd.concat([frames.kommuner, frames.lan])
    counties = county_of_kommun(frames)
    for area_id, level in zip(areas["area_id"], areas["level"]):
        part = in_area(merged, area_id, level, counties)
        eligible = int(part["eligible_pupils"].sum())
        reached = int(part["pupils_reached"].sum())
        rows.append({
            "area_id": area_id, "schools": len(part), "schools_reached": int(part["reached"].sum()),
            "eligible_pupils": eligible, "pupils_reached": reached,
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
    act = act.assign(_rank=act["status"].map(rank)).sort_values("_rank")
    first = act.drop_duplicates("site_id")[["site_id", "programme", "status", "classes", "pupils_reached"]]
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
