"""Programmes in a term per area: each programme against its own target group, units reached per
kind (fritidsgårdar, parklekar ...), participants, the registry's own counts, and who funds it.

Built on `coverage.site_coverage` (the per-unit table); counts come from
programme_activity.counts ("sessions=12;tryggbassamtal=40", keys in layers/programmes.toml).
"""

from __future__ import annotations

import pandas as pd

from lagesbild.analysis.coverage import (
    RUNNING,
    load_registry,
    county_of_kommun,
    coverage_by_area,
    in_area,
    site_coverage,
)
from lagesbild.core.frames import Frames
from lagesbild.core.programmes import Registry, parse_counts


def _areas(frames: Frames) -> list[tuple[str, str]]:
    areas = pd.concat([frames.kommuner, frames.lan])
    return [(str(a), str(level)) for a, level in zip(areas["area_id"], areas["level"])]


def _running(frames: Frames, period: str, programmes: tuple[str, ...]) -> pd.DataFrame:
    act = frames.programme_activity
    act = act[(act["period"] == period) & (act["status"] == RUNNING)]
    act = act[act["programme"].isin(programmes)] if programmes else act
    kinds = dict(zip(frames.sites["site_id"].astype(str), frames.sites["kind"].astype(str)))
    areas = dict(zip(frames.sites["site_id"].astype(str), frames.sites["area_id"].astype(str)))
    return pd.DataFrame(act).assign(kind=act["site_id"].astype(str).map(kinds),
                                    area_id=act["site_id"].astype(str).map(areas))


def programme_table(frames: Frames, *, period: str, programmes: tuple[str, ...] = (),
                    registry: Registry | None = None) -> pd.DataFrame:
    """Per area (kommun and län) and programme run in `period`: organiser, target group, units
    reached, participants, pupils reached over the programme's own target group (share in %,
    pupils whose target group has no count kept apart), and one column per registry count
    (<NA> where the count does not belong to the programme)."""
    registry = load_registry(registry)
    act = _running(frames, period, programmes)
    counts = registry.counts()
    counties = county_of_kommun(frames)
    rows = []
    for name in sorted(act["programme"].dropna().astype(str).unique()):
        found = registry.find(name)
        cov = coverage_by_area(frames, period=period, programmes=(name,),
                               registry=registry).set_index("area_id")
        mine = act[act["programme"] == name]
        own = {c.key for c in found.counts} if found else set()
        for area_id, level in _areas(frames):
            part = in_area(mine, area_id, level, counties)
            if not len(part):
                continue
            summed: dict[str, int] = {}
            for text in part["counts"]:
                for k, v in parse_counts(text).items():
                    summed[k] = summed.get(k, 0) + v
            c = cov.loc[area_id]
            rows.append({
                "area_id": area_id, "programme": name,
                "organiser": found.organiser if found else "",
                "target": found.target() if found else "",
                "units_reached": int(part["site_id"].nunique()),
                "participants": int(pd.to_numeric(part["pupils_reached"]).fillna(0).sum()),
                "eligible_pupils": int(c["eligible_pupils"]), "pupils_reached": int(c["pupils_reached"]),
                "share_pupils": c["share_pupils"], "pupils_no_eligible": int(c["pupils_no_eligible"]),
                # a count no row gives is unknown, not 0
                **{k: (summed[k] if k in own and k in summed else pd.NA) for k in counts},
            })
    cols = ["area_id", "programme", "organiser", "target", "units_reached", "participants",
            "eligible_pupils", "pupils_reached", "share_pupils", "pupils_no_eligible", *counts]
    out = pd.DataFrame(rows, columns=cols)
    return out.astype({"share_pupils": "Float64", **{k: "Int64" for k in counts}})


def units_by_kind(frames: Frames, *, period: str, programmes: tuple[str, ...] = (),
                  registry: Registry | None = None) -> pd.DataFrame:
    """Per area and kind of unit (grundskola, fritidsgård, parklek ...): units, units reached
    by the selected programmes in `period`, and participants (pupils or young people)."""
    sites = site_coverage(frames, period=period, programmes=programmes, registry=registry)
    counties = county_of_kommun(frames)
    rows = []
    for area_id, level in _areas(frames):
        part = in_area(sites, area_id, level, counties)
        for kind, group in part.groupby("kind", sort=True):
            rows.append({"area_id": area_id, "kind": kind, "units": len(group),
                         "units_reached": int(group["reached"].sum()),
                         "participants": int(group["participants"].sum())})
    return pd.DataFrame(rows, columns=["area_id", "kind", "units", "units_reached", "participants"])


def by_funder(frames: Frames, *, period: str, programmes: tuple[str, ...] = (),
              registry: Registry | None = None) -> pd.DataFrame:
    """Per kommun and funder (the district or förvaltning named on the activity rows, else on
    the unit): units reached, participants and the programmes it funds in `period`. Units with
    no funder named are one row with funder ""."""
    sites = site_coverage(frames, period=period, programmes=programmes, registry=registry)
    sites = sites[sites["reached"]]
    rows = []
    for (area_id, funder), group in sites.groupby(["area_id", "funder"], sort=True):
        names = sorted({p for text in group["programmes"] for p in str(text).split(", ") if p})
        rows.append({"area_id": str(area_id), "funder": str(funder), "units_reached": len(group),
                     "participants": int(group["participants"].sum()),
                     "programmes": ", ".join(names)})
    return pd.DataFrame(rows, columns=["area_id", "funder", "units_reached", "participants",
                                       "programmes"])


def missing_denominators(frames: Frames, *, period: str, programmes: tuple[str, ...] = (),
                         registry: Registry | None = None) -> pd.DataFrame:
    """The schools where pupils were reached in a target group the sites file gives no pupil
    count for (site_id, name, area_id, programmes, pupils_no_eligible, missing_groups)."""
    sites = site_coverage(frames, period=period, programmes=programmes, registry=registry)
    return sites.loc[sites["pupils_no_eligible"] > 0,
                     ["site_id", "name", "area_id", "programmes", "pupils_no_eligible",
                      "missing_groups"]].reset_index(drop=True)
