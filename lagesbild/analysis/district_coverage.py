"""Programme coverage per district of a city (stadsdel): schools placed by point in polygon.

A city such as Stockholm runs MVP through its stadsdelsförvaltningar, so the coordinator asks
which districts the programme reaches. The workspace's sites carry a true position (EPSG:3006)
and their kommun; each school is placed in the district of its kommun that holds its point
(`place_sites`). A school whose point lies in no district of its kommun (water, a gap in the
district file, a district file that covers only part of the city) is never dropped: it is
counted, named and said in `DistrictCoverage.notes` ("2 enheter ligger utanför stadsdelarna").

Coverage per district (`district_coverage`) adds up `coverage.site_coverage` per school: schools
reached / schools, pupils reached / eligible, the programmes that run, and — when the activity
rows carry them — which förvaltning runs it and who funds it.

Coverage versus need (`district_need`): need is a layer's protected figure per district (a
survey share given per stadsdel, or a police-extract rate per 1 000), ranked as a percentile
among the kommun's districts; coverage is the share of eligible pupils reached, classed by the
fixed bands of `Settings.coverage_bands` (`need.quadrants`), never by a median.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from lagesbild.analysis.coverage import SCHOOL_KINDS, site_coverage
from lagesbild.analysis.need import percentile_rank, quadrants
from lagesbild.analysis.small_places import level_areas, level_name
from lagesbild.core.frames import Frames

DISTRICT_LEVEL = "stadsdel"
# optional columns of programme_activity saying who runs and who funds a programme at a site
RUN_BY_COLUMNS = ("forvaltning", "run_by", "organiser")
FUNDED_BY_COLUMNS = ("funded_by", "finansierar", "funder")
TABLE_COLUMNS = ["area_id", "name", "schools", "schools_reached", "share_schools",
                 "eligible_pupils", "pupils_reached", "share_pupils", "programmes", "run_by",
                 "funded_by"]


@dataclass(frozen=True)
class DistrictCoverage:
    """One kommun's districts with their coverage in one term, and the schools outside them."""

    kommun: str
    level: str
    period: str
    table: pd.DataFrame  # TABLE_COLUMNS, one row per district of the kommun, by name
    outside: pd.DataFrame  # the kommun's schools in no district: site_id, name
    notes: list[str] = field(default_factory=list)
    source: str = ""


def place_sites(sites: gpd.GeoDataFrame, districts: gpd.GeoDataFrame) -> pd.Series:
    """site_id -> the id of the district (of the site's own kommun) holding its point; NA for
    a site in none. `districts` has area_id and kommun_id (`small_places.level_areas`); a point
    on a shared border goes to the first district by id."""
    if not len(sites):
        return pd.Series(dtype="string", name="district_id")
    points = gpd.GeoDataFrame({"site_id": sites["site_id"].astype(str).to_numpy(),
                               "kommun": sites["area_id"].astype(str).to_numpy()},
                              geometry=sites.geometry.to_numpy(), crs=sites.crs)
    polygons = gpd.GeoDataFrame({"district_id": districts["area_id"].astype(str).to_numpy(),
                                 "district_kommun": districts["kommun_id"].astype(str).to_numpy()},
                                geometry=districts.geometry.to_numpy(), crs=districts.crs)
    if polygons.crs is not None and points.crs is not None and polygons.crs != points.crs:
        polygons = polygons.to_crs(points.crs)
    joined = gpd.sjoin(points, polygons, how="left", predicate="intersects")
    joined = joined[joined["district_kommun"].isna() | (joined["district_kommun"] == joined["kommun"])]
    first = joined.sort_values(["site_id", "district_id"]).drop_duplicates("site_id")
    found = dict(zip(first["site_id"], first["district_id"]))
    return pd.Series([found.get(s) for s in points["site_id"]], index=points["site_id"],
                     dtype="string", name="district_id")


def _column(act: pd.DataFrame, names: Iterable[str]) -> str | None:
    return next((c for c in names if c in act.columns), None)


def _joined(values: pd.Series) -> str:
    return ", ".join(sorted({str(v).strip() for v in values.dropna() if str(v).strip()}))


def district_coverage(frames: Frames, *, kommun: str, period: str,
                      programmes: tuple[str, ...] = (), level: str = DISTRICT_LEVEL
                      ) -> DistrictCoverage:
    """Coverage per district of `kommun` in `period` (see the module's docstring)."""
    districts = level_areas(frames, level, kommun)
    per_site = site_coverage(frames, period=period, programmes=programmes)
    # the schools `coverage_by_area` counts for the kommun: districts + outside = its total
    per_site = per_site[(per_site["area_id"].astype(str) == str(kommun))
                        & per_site["kind"].isin(SCHOOL_KINDS) & per_site["in_target"]]
    per_site = per_site.assign(eligible_pupils=per_site["eligible"].fillna(0).astype("int64"))
    geometry = frames.sites.set_index(frames.sites["site_id"].astype(str)).geometry
    located = gpd.GeoDataFrame(per_site[["site_id", "area_id"]].astype(str),
                               geometry=geometry.reindex(per_site["site_id"].astype(str)).to_numpy(),
                               crs=frames.sites.crs)
    where = place_sites(located, districts)
    per_site = per_site.assign(district_id=where.reindex(per_site["site_id"].astype(str)).to_numpy())
    act = frames.programme_activity
    act = act[(act["period"] == period) & (act["status"] == "genomförs")]
    if programmes:
        act = act[act["programme"].isin(programmes)]
    act = act.merge(per_site[["site_id", "district_id"]], on="site_id")
    run_col, fund_col = _column(act, RUN_BY_COLUMNS), _column(act, FUNDED_BY_COLUMNS)
    rows = []
    for area_id, name in zip(districts["area_id"].astype(str), districts["name"]):
        part = per_site[per_site["district_id"] == area_id]
        runs = act[act["district_id"] == area_id]
        rows.append({
            "area_id": area_id, "name": str(name), "schools": len(part),
            "schools_reached": int(part["reached"].sum()),
            "eligible_pupils": int(part["eligible_pupils"].sum()),
            "pupils_reached": int(part["pupils_reached"].sum()),
            "programmes": _joined(runs["programme"]),
            "run_by": _joined(runs[run_col]) if run_col else "",
            "funded_by": _joined(runs[fund_col]) if fund_col else "",
        })
    table = pd.DataFrame(rows, columns=[c for c in TABLE_COLUMNS
                                        if c not in ("share_schools", "share_pupils")])
    table["share_schools"] = (100 * table["schools_reached"]
                              / table["schools"].where(table["schools"] > 0)).astype("Float64")
    table["share_pupils"] = (100 * table["pupils_reached"] / table["eligible_pupils"].where(
        table["eligible_pupils"] > 0)).astype("Float64")
    table = table[TABLE_COLUMNS].sort_values("name", kind="stable").reset_index(drop=True)
    outside = per_site.loc[per_site["district_id"].isna(), ["site_id", "name"]].reset_index(drop=True)
    notes = [outside_note(len(outside), level, list(outside["name"].astype(str)))] \
        if len(outside) else []
    source = frames.source_label(list(frames.programme_activity["source"].unique())
                                 + list(frames.sites["source"].unique()))
    return DistrictCoverage(kommun=str(kommun), level=level, period=str(period), table=table,
                            outside=outside, notes=notes, source=source)


def outside_note(count: int, level: str, names: list[str], lang: str = "sv") -> str:
    """'2 enheter ligger utanför stadsdelarna (Skola A, Skola B) och räknas inte i någon av dem.'"""
    listed = f" ({', '.join(names)})" if names else ""
    if lang == "en":
        unit, verb = ("unit lies", "counts") if count == 1 else ("units lie", "count")
        return (f"{count} {unit} outside the {level_name(level, 'en')}{listed} and "
                f"{verb} in none of them.")
    unit = "enhet ligger" if count == 1 else "enheter ligger"
    return (f"{count} {unit} utanför {level_name(level)}na{listed} och räknas inte i "
            "någon av dem.") if level == DISTRICT_LEVEL else (
        f"{count} {unit} utanför områdena ({level_name(level)}){listed} och räknas inte i "
        "något av dem.")


def district_need(coverage: DistrictCoverage, need: pd.DataFrame,
                  bands: tuple[float, float]) -> pd.DataFrame:
    """The coverage table with need: `need` holds protected figures per district (area_id,
    value, display; `small_areas.small_area_figures`); need_pct is the percentile rank of
    the shown values among the kommun's districts, quadrant the class of need × coverage
    (`need.quadrants` with the fixed `bands`). A hidden or missing need value has no rank."""
    values = need.loc[~need["suppressed"].astype(bool), ["area_id", "value"]] \
        if "suppressed" in need else need[["area_id", "value"]]
    out = coverage.table.merge(values.rename(columns={"value": "need_value"}), on="area_id",
                               how="left")
    shown = need.set_index(need["area_id"].astype(str))["display"] if "display" in need else None
    out["need_display"] = out["area_id"].map(shown) if shown is not None else ""
    out["need_value"] = pd.to_numeric(out["need_value"]).astype("Float64")
    out["need_pct"] = percentile_rank(out["need_value"]).astype("Float64")
    out["coverage_pct"] = out["share_pupils"]
    out["quadrant"] = quadrants(out, bands).to_numpy()
    out["gap"] = (out["need_pct"] - out["coverage_pct"]).astype("Float64")
    ranks = out["gap"].astype("float64").rank(ascending=False, method="min")
    out["rank"] = pd.array(np.where(ranks.isna(), pd.NA, ranks), dtype="Int64")
    return out.sort_values(["gap", "name"], ascending=[False, True], na_position="last",
                           kind="stable").reset_index(drop=True)


BAND_COLORS = {"low": ("Låg täckning", "Low coverage", "#fee0d2"),
               "mid": ("Medel täckning", "Medium coverage", "#a1d99b"),
               "high": ("Hög täckning", "High coverage", "#31a354"),
               "no_schools": ("Inga skolor i målgruppen", "No schools in the target group",
                              "#f0f0f0")}


def coverage_band(share: object, bands: tuple[float, float]) -> str:
    """'low', 'mid' or 'high' by the fixed bands; 'no_schools' where nobody is eligible."""
    if share is None or pd.isna(share):
        return "no_schools"
    low, high = bands
    return "high" if float(share) >= high else "mid" if float(share) >= low else "low"


def band_labels(bands: tuple[float, float], lang: str = "sv") -> dict[str, str]:
    low, high = (f"{b:g}" if lang == "en" else f"{b:g}".replace(".", ",") for b in bands)
    limits = {"low": f" (< {low} %)", "mid": f" ({low}–{high} %)", "high": f" (≥ {high} %)",
              "no_schools": ""}
    return {k: v[1 if lang == "en" else 0] + limits[k] for k, v in BAND_COLORS.items()}


def district_view(coverage: DistrictCoverage, bands: tuple[float, float], *,
                  need: pd.DataFrame | None = None, need_title: str = "", lang: str = "sv"):
    """A category map view (`map_views.MapView`) of the kommun's districts: the coverage band
    of each, or — with `need` (a `district_need` table) — its class of need × coverage."""
    from lagesbild.analysis.map_views import MapView
    from lagesbild.analysis.need import QUADRANTS, quadrant_labels

    en = lang == "en"
    table = coverage.table if need is None else need
    pct = (lambda v: "–" if v is None or pd.isna(v) else
           (f"{float(v):.1f}" if en else f"{float(v):.1f}".replace(".", ",")))
    lines = []
    for _, r in table.iterrows():
        row = [f"{'Schools reached' if en else 'Skolor som nås'}: {r['schools_reached']} "
               f"{'of' if en else 'av'} {r['schools']}",
               f"{'Pupils reached' if en else 'Elever som nås'}: {r['pupils_reached']} "
               f"{'of' if en else 'av'} {r['eligible_pupils']} ({pct(r['share_pupils'])} %)"]
        row += [f"{'Programmes' if en else 'Program'}: {r['programmes']}"] if r["programmes"] else []
        row += [f"{'Run by' if en else 'Förvaltning'}: {r['run_by']}"] if r["run_by"] else []
        row += [f"{'Funded by' if en else 'Finansierar'}: {r['funded_by']}"] if r["funded_by"] else []
        if need is not None:
            row.append(f"{need_title}: {r['need_display'] if isinstance(r['need_display'], str) else '–'}")
        lines.append(row)
    if need is None:
        keys = [coverage_band(v, bands) for v in table["share_pupils"]]
        labels = band_labels(bands, lang)
        legend = [(k, labels[k], v[2]) for k, v in BAND_COLORS.items()]
        title = district_title(coverage.level, lang)
    else:
        keys = list(table["quadrant"])
        labels = quadrant_labels(bands, lang)
        legend = [(k, labels[k], v[2]) for k, v in QUADRANTS.items()]
        title = "Coverage versus need" if en else "Täckning mot behov"
    rows = pd.DataFrame({"area_id": table["area_id"].to_numpy(), "name": table["name"].to_numpy(),
                         "category": keys, "lines": lines, "source": coverage.source})
    note = outside_note(len(coverage.outside), coverage.level,
                        list(coverage.outside["name"].astype(str)), lang) if len(coverage.outside) else ""
    return MapView("need" if need is not None else "value", title, coverage.period,
                   categories=rows, legend=legend, note=note, level=coverage.level)


def need_note(bands: tuple[float, float], level: str, lang: str = "sv") -> str:
    """How need and coverage are classed at district level, in one sentence."""
    low, high = (f"{b:g}" if lang == "en" else f"{b:g}".replace(".", ",") for b in bands)
    if lang == "en":
        return (f"Need: the percentile of the layer's value among the municipality's "
                f"{level_name(level, 'en')} (hidden or missing values have none); high need "
                f"above 50. Coverage: share of target pupils reached; low below {low} %, "
                f"medium {low}–{high} %, high from {high} %.")
    return (f"Behov: percentil för lagrets värde bland kommunens {level_name(level)} (dolda "
            f"eller saknade värden får ingen); högt behov över 50. Täckning: andel elever i "
            f"målgruppen som nås; låg under {low} %, medel {low}–{high} %, hög från {high} %.")


def district_title(level: str, lang: str = "sv") -> str:
    """'Täckning per stadsdel' (or per the level's areas)."""
    if level == DISTRICT_LEVEL:
        return "Coverage by city district" if lang == "en" else "Täckning per stadsdel"
    return (f"Coverage by area ({level_name(level, 'en')})" if lang == "en"
            else f"Täckning per område ({level_name(level)})")
