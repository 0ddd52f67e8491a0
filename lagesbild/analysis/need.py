"""Programme coverage per kommun and term, its dose, and coverage set against need.

Coverage (`programme_coverage`): the share of eligible schools and of eligible pupils a programme
reaches (as `coverage.coverage_by_area`), classes and staff trained where every running activity
row reports them, and a dose: staff trained per 100 pupils reached. The number of lessons or
sessions per class is not in the data (programme_activity has classes, pupils_reached and
staff_trained only), so no dose in lessons is given.

Need against coverage (`coverage_need`): need is the percentile rank among the kommuner of a
violence rate layer and/or an insecurity indicator (the mean when several are chosen), coverage
is the share of eligible pupils reached; gap = need percentile − coverage share (both 0–100),
and kommuner with high need and low coverage come first. Only figures that passed disclosure
control are used: a kommun whose need input is hidden or missing gets "behov okänt" and no rank,
and the percentile ranks of the others are computed without it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from lagesbild.analysis.coverage import SCHOOL_KINDS, county_of_kommun, coverage_by_area, in_area
from lagesbild.analysis.darkfigure import load_indicator_meta
from lagesbild.analysis.references import indicator_matrix, resolve_spec
from lagesbild.core import schema
from lagesbild.core.frames import Frames
from lagesbild.core.layers import LayerSpec, wide_layers
from lagesbild.core.settings import Settings, get_settings
from lagesbild.core.taxonomy import Taxonomy, load_taxonomy

DOSE_NOTE = {
    "sv": "Dos: utbildad personal per 100 nådda elever. Antal lektioner eller tillfällen per klass "
          "finns inte i data.",
    "en": "Dose: staff trained per 100 pupils reached. The number of lessons or sessions per class "
          "is not in the data.",
}
STATUS_LABELS = {
    "sv": {"": "", "need_unknown": "behov okänt", "coverage_unknown": "täckning okänd"},
    "en": {"": "", "need_unknown": "need unknown", "coverage_unknown": "coverage unknown"},
}
COLUMN_LABELS: dict[str, dict[str, str]] = {
    "sv": {
        "area_id": "Kod", "name": "Kommun", "level": "Nivå", "period": "Termin",
        "need_period": "Period (behov)", "schools": "Skolor i målgruppen",
        "schools_reached": "Skolor som nås", "share_schools": "Andel skolor (%)",
        "eligible_pupils": "Elever i målgruppen", "pupils_reached": "Elever som nås",
        "share_pupils": "Andel elever (%)", "classes": "Klasser", "staff_trained": "Utbildad personal",
        "staff_per_100_pupils": "Utbildad personal per 100 nådda elever",
        "need_pct": "Behov (percentil)", "need_inputs": "Underlag för behov (antal)",
        "coverage_pct": "Täckning (% av eleverna)", "gap": "Behov minus täckning",
        "rank": "Prioritet", "status": "Anmärkning", "source": "Källa",
    },
    "en": {
        "area_id": "Code", "name": "Municipality", "level": "Level", "period": "Term",
        "need_period": "Period (need)", "schools": "Schools in target group",
        "schools_reached": "Schools reached", "share_schools": "Share of schools (%)",
        "eligible_pupils": "Pupils in target group", "pupils_reached": "Pupils reached",
        "share_pupils": "Share of pupils (%)", "classes": "Classes", "staff_trained": "Staff trained",
        "staff_per_100_pupils": "Staff trained per 100 pupils reached",
        "need_pct": "Need (percentile)", "need_inputs": "Need inputs (number)",
        "coverage_pct": "Coverage (% of pupils)", "gap": "Need minus coverage",
        "rank": "Priority", "status": "Remark", "source": "Source",
    },
}


COVERAGE_COLUMNS = ["area_id", "name", "level", "period", "schools", "schools_reached",
                    "share_schools", "eligible_pupils", "pupils_reached", "share_pupils", "classes",
                    "staff_trained", "staff_per_100_pupils", "source"]
NEED_COLUMNS = ["area_id", "name", "period", "need_period", "need_pct", "need_inputs",
                "coverage_pct", "share_schools", "pupils_reached", "eligible_pupils", "gap", "rank",
                "status", "source"]


def labelled(table: pd.DataFrame, lang: str = "sv") -> pd.DataFrame:
    """`table` with Swedish (or English) column headings and status texts, for display."""
    out = table.copy()
    if "status" in out:
        out["status"] = out["status"].map(STATUS_LABELS["en" if lang == "en" else "sv"])
    return out.rename(columns=COLUMN_LABELS["en" if lang == "en" else "sv"])


def _known(frames: Frames, period: str, programmes: Sequence[str]) -> pd.DataFrame:
    """Per kommun and län: whether every running activity row at a school reports classes/staff."""
    schools = frames.sites.loc[frames.sites["kind"].isin(SCHOOL_KINDS), ["site_id", "area_id"]]
    act = frames.programme_activity
    act = act[(act["period"] == period) & (act["status"] == "genomförs")]
    if programmes:
        act = act[act["programme"].isin(programmes)]
    act = pd.DataFrame(act[["site_id", "classes", "staff_trained"]]).merge(
        pd.DataFrame(schools), on="site_id")
    rows = []
    counties = county_of_kommun(frames)
    for area_id, level in zip(pd.concat([frames.kommuner, frames.lan])["area_id"],
                              pd.concat([frames.kommuner, frames.lan])["level"]):
        part = in_area(act, area_id, level, counties)
        rows.append({"area_id": area_id, "classes_known": bool(part["classes"].notna().all()),
                     "staff_known": bool(part["staff_trained"].notna().all())})
    return pd.DataFrame(rows, columns=["area_id", "classes_known", "staff_known"])


def programme_coverage(frames: Frames, *, periods: Iterable[str] | None = None,
                       programmes: Sequence[str] = ()) -> pd.DataFrame:
    """Coverage per kommun and län × term (every term with activity when `periods` is None).

    Classes and staff trained are NA where some running activity row lacks them; the dose
    (staff_per_100_pupils) is NA then, or when no pupils are reached. See DOSE_NOTE.
    """
    if periods is None:
        found = {str(p) for p in frames.programme_activity["period"].dropna()}
        periods = sorted(found, key=lambda p: (p[2:], p[:2] == "HT"))
    names = pd.concat([frames.lan, frames.kommuner])[["area_id", "name", "level"]]
    parts = []
    for period in periods:
        table = coverage_by_area(frames, period=str(period), programmes=tuple(programmes))
        table = table.merge(_known(frames, str(period), programmes), on="area_id", how="left")
        parts.append(table.assign(period=str(period)))
    if not parts:
        return pd.DataFrame(columns=COVERAGE_COLUMNS)
    out = pd.concat(parts, ignore_index=True).merge(names, on="area_id", how="left")
    out["classes"] = out["classes"].astype("Int64").mask(~out["classes_known"].astype(bool))
    out["staff_trained"] = out["staff_trained"].astype("Int64").mask(~out["staff_known"].astype(bool))
    reached = out["pupils_reached"].astype("Float64").where(out["pupils_reached"] > 0)
    out["staff_per_100_pupils"] = (100 * out["staff_trained"].astype("Float64") / reached).astype("Float64")
    return out[COVERAGE_COLUMNS].reset_index(drop=True)


def percentile_rank(values: pd.Series) -> pd.Series:
    """Percentile rank 0–100 of each value among the non-missing ones: (below + ½·equal) / n.

    The same as scipy.stats.percentileofscore(values, v, kind="mean"); NA stays NA.
    """
    v = pd.to_numeric(values).astype("float64")
    n = int(v.notna().sum())
    return ((v.rank(method="average") - 0.5) / n * 100) if n else v


def need_scores(frames: Frames, need: Iterable[str | LayerSpec], *, period: str | None = None,
                sex: str = "T", require_all: bool = True,
                layers: Mapping[str, LayerSpec] | None = None, taxonomy: Taxonomy | None = None,
                settings: Settings | None = None,
                indicator_meta: Mapping[str, Mapping[str, Any]] | None = None) -> pd.DataFrame:
    """Per kommun: the mean percentile rank of the need inputs (higher = more need).

    An indicator whose polarity in indicators.toml is "positive" (higher is better) is ranked
    the other way round. With `require_all`, a kommun lacking any input (hidden or missing) has
    no need score; otherwise the mean of the inputs it has. Columns: area_id, need_pct,
    need_inputs, need_period.
    """
    settings = settings or get_settings()
    layers = wide_layers(settings) if layers is None else layers
    meta = indicator_meta if indicator_meta is not None else load_indicator_meta(settings)
    items = list(need)
    if not items:
        raise ValueError("need needs at least one layer or indicator")
    specs = [resolve_spec(frames, item, layers) for item in items]
    matrix = indicator_matrix(frames, specs, period=period, sex=sex, layers=layers,
                              taxonomy=taxonomy, settings=settings)
    ranks = pd.DataFrame(index=matrix.index)
    for spec in specs:
        polarity = meta.get(spec.indicator or "", {}).get("polarity")
        positive = spec.kind == "indicator" and polarity == "positive"
        ranks[spec.id] = percentile_rank(-matrix[spec.id] if positive else matrix[spec.id])
    used = ranks.notna().sum(axis=1)
    score = ranks.mean(axis=1, skipna=True).where(used > 0)
    if require_all:
        score = score.where(used == len(specs))
    from lagesbild.analysis.period_choice import opening_period

    taxonomy = taxonomy or load_taxonomy(settings.layers_dir / "pyramid.toml")
    used_periods = [period or opening_period(frames, s, taxonomy=taxonomy, settings=settings)
                    or "" for s in specs]
    return pd.DataFrame({"area_id": matrix.index.astype(str), "need_pct": score.to_numpy(),
                         "need_inputs": used.to_numpy(),
                         "need_period": ", ".join(dict.fromkeys(p for p in used_periods if p))})


def coverage_need(frames: Frames, *, term: str, need: Iterable[str | LayerSpec],
                  need_period: str | None = None, sex: str = "T", programmes: Sequence[str] = (),
                  require_all: bool = True, layers: Mapping[str, LayerSpec] | None = None,
                  taxonomy: Taxonomy | None = None, settings: Settings | None = None,
                  indicator_meta: Mapping[str, Mapping[str, Any]] | None = None) -> pd.DataFrame:
    """Kommuner ranked by gap = need percentile − share of pupils reached in `term`.

    Rank 1 is the largest gap (high need, low coverage; ties share a rank). Kommuner with unknown need
    ("behov okänt") or no eligible pupils ("täckning okänd") have no rank and come last.
    Columns: area_id, name, period, need_period, need_pct, need_inputs, coverage_pct,
    share_schools, pupils_reached, eligible_pupils, gap, rank, status (key; see STATUS_LABELS).
    """
    scores = need_scores(frames, need, period=need_period, sex=sex, require_all=require_all,
                         layers=layers, taxonomy=taxonomy, settings=settings,
                         indicator_meta=indicator_meta)
    cov = programme_coverage(frames, periods=[term], programmes=programmes)
    cov = cov[cov["level"] == schema.AreaLevel.KOMMUN.value]
    out = cov.merge(scores, on="area_id", how="left")
    out["coverage_pct"] = out["share_pupils"].astype("Float64")
    out["need_pct"] = pd.to_numeric(out["need_pct"]).astype("Float64")
    out["need_inputs"] = pd.to_numeric(out["need_inputs"]).fillna(0).astype("Int64")
    out["gap"] = (out["need_pct"] - out["coverage_pct"]).astype("Float64")
    out["status"] = np.where(out["need_pct"].isna(), "need_unknown",
                             np.where(out["coverage_pct"].isna(), "coverage_unknown", ""))
    out = out.sort_values(["gap", "need_pct", "name", "area_id"], ascending=[False, False, True, True],
                          na_position="last")
    out["rank"] = out["gap"].astype("float64").rank(ascending=False, method="min").astype("Int64")
    return out[NEED_COLUMNS].reset_index(drop=True)


QUADRANTS = {  # key -> (Swedish, English, colour); the limits are in `quadrant_labels`
    "high_need_low_cov": ("Högt behov, låg täckning", "High need, low coverage", "#d7301f"),
    "high_need_mid_cov": ("Högt behov, medel täckning", "High need, medium coverage", "#fc8d59"),
    "high_need_high_cov": ("Högt behov, hög täckning", "High need, high coverage", "#fdd49e"),
    "low_need_low_cov": ("Lägre behov, låg täckning", "Lower need, low coverage", "#c6dbef"),
    "low_need_mid_cov": ("Lägre behov, medel täckning", "Lower need, medium coverage", "#c7e9c0"),
    "low_need_high_cov": ("Lägre behov, hög täckning", "Lower need, high coverage", "#74c476"),
    "unknown": ("Behov eller täckning okänd", "Need or coverage unknown", "#d9d9d9"),
}
NEED_CUT = 50.0  # need percentile above which need is "högt": above the county's middle kommun


def _pct_text(value: float, lang: str = "sv") -> str:
    return f"{value:g}" if lang == "en" else f"{value:g}".replace(".", ",")


def quadrant_labels(bands: tuple[float, float], lang: str = "sv") -> dict[str, str]:
    """QUADRANTS' names with the limits they stand for, for the legend: "Högt behov
    (percentil > 50), låg täckning (< 25 %)"."""
    low, high = (_pct_text(b, lang) for b in bands)
    en = lang == "en"
    need = {"high_need": ("Högt behov", "High need", "> 50"),
            "low_need": ("Lägre behov", "Lower need", "≤ 50")}
    cov = {"low_cov": ("låg täckning", "low coverage", f"< {low} %"),
           "mid_cov": ("medel täckning", "medium coverage", f"{low}–{high} %"),
           "high_cov": ("hög täckning", "high coverage", f"≥ {high} %")}
    out = {"unknown": QUADRANTS["unknown"][1 if en else 0]}
    for n_key, (n_sv, n_en, n_limit) in need.items():
        for c_key, (c_sv, c_en, c_limit) in cov.items():
            word = "percentile" if en else "percentil"
            out[f"{n_key}_{c_key}"] = (f"{n_en if en else n_sv} ({word} {n_limit}), "
                                       f"{c_en if en else c_sv} ({c_limit})")
    return {k: out[k] for k in QUADRANTS}


def bands_note(bands: tuple[float, float], lang: str = "sv") -> str:
    """The classes in one sentence, for the caption under the map and table."""
    low, high = (_pct_text(b, lang) for b in bands)
    if lang == "en":
        return (f"Coverage (share of target pupils reached): low below {low} %, medium "
                f"{low}–{high} %, high from {high} %. High need: percentile above 50 among the "
                "county's municipalities.")
    return (f"Täckning (andel elever i målgruppen som nås): låg under {low} %, medel "
            f"{low}–{high} %, hög från {high} %. Högt behov: percentil över 50 bland länets "
            "kommuner.")


def quadrants(table: pd.DataFrame, bands: tuple[float, float] = (25.0, 50.0)) -> pd.Series:
    """Each kommun of a `coverage_need` table in one of QUADRANTS: need above the 50th
    percentile is high; coverage is low below `bands[0]` %, medium up to `bands[1]` %, high
    from there. The limits are fixed (settings.coverage_bands), never the county's median: where
    a programme has just started most coverage is 0 % and its median would call 12 % "hög"."""
    need = pd.to_numeric(table["need_pct"]).astype("float64")
    cov = pd.to_numeric(table["coverage_pct"]).astype("float64")
    low, high = bands
    level = np.where(cov >= high, "high_cov", np.where(cov >= low, "mid_cov", "low_cov"))
    keys = np.where(need.isna() | cov.isna(), "unknown",
                    np.char.add(np.where(need > NEED_CUT, "high_need_", "low_need_"),
                                level.astype(str)))
    return pd.Series(keys, index=table.index, name="quadrant")
