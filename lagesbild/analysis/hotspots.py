"""Hot and cold spots: Getis-Ord Gi* on area rates (Getis & Ord 1992; Ord & Getis 1995).

Choices (see also `hotspots`):

- Weights: queen (or rook) contiguity from libpysal, binary with self-weight 1 (Gi*); the
  z-score is the textbook Gi* (its analytical moments, computed here).
- Inference: the class comes from the conditional permutation distribution (the focal value
  fixed, the neighbours' values drawn from the other areas): exact, every arrangement
  enumerated, when there are at most `permutation.EXACT_LIMIT` of them, else seeded random
  draws. The p-value is two-sided: twice the smaller one-sided tail, ties counted in both,
  capped at 1 (`analysis.permutation`; esda's `p_sim` is not that). Rates of small areas are
  skewed, so the normal approximation is weak; `p_norm` (two-sided) is given for reference.
  A class is given only when the smaller permutation tail agrees with the sign of the z-score.
- Left out of the analysis entirely (their values never enter any mean, variance or permutation):
  areas whose figure is hidden by disclosure control (so no class can hint at the hidden value),
  areas without a value, and islands (no neighbour among the analysed areas: their Gi* would only
  be their own standardised value, not a cluster). Hidden areas leave holes: their neighbours
  simply have fewer neighbours. Disconnected groups of areas are fine and are not warned about.
- Not computed at all below MIN_AREAS (15) areas taking part: with few areas every
  neighbourhood is a large share of the map, the permutation distribution is coarse and a
  "cluster" is a handful of values. The reason is given per area and in `summary`.
- Multiple testing: one test per area, and neighbouring tests share data, so some "significant"
  areas are expected by chance: n_tested × (1 − level) per level. `flag_counts` and `summary`
  put the areas flagged beside that number. `fdr=True` applies the Benjamini–Hochberg
  false-discovery-rate cut-off per level instead, over every area tested.

Only figures from incidents or counts assigned to areas (and survey shares) are analysed, never
Polisen events, whose positions are area centroids: `hotspot_figures` accepts only count_rate,
incident_rate and indicator layers. It works on kommuner; areas below the kommun go through
`small_area_views.small_area_hotspots`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
from libpysal.weights import Queen, Rook
from scipy import stats

from lagesbild.analysis.chance import FlagCount, flags_text
from lagesbild.analysis.figures import layer_figures
from lagesbild.analysis.permutation import EXACT_LIMIT, bh_threshold, local_sum_tests
from lagesbild.core import schema
from lagesbild.core.errors import InputError, LagesbildError
from lagesbild.core.frames import Frames
from lagesbild.core.layers import LayerSpec
from lagesbild.core.settings import Settings
from lagesbild.core.taxonomy import Taxonomy

COLUMNS = ["area_id", "gi_z", "p_sim", "p_norm", "class", "reason", "label", "label_en"]
LEVELS = (0.90, 0.95, 0.99)
MIN_AREAS = 15  # fewer areas taking part: hot spots are not computed
ACCEPTED_KINDS = ("count_rate", "incident_rate", "indicator")
# ColorBrewer RdBu (7 classes) for hot/cold, a mid grey for "not computed".
CLASS_COLORS = {
    "hot_99": "#b2182b", "hot_95": "#ef8a62", "hot_90": "#fddbc7", "none": "#f7f7f7",
    "cold_90": "#d1e5f0", "cold_95": "#67a9cf", "cold_99": "#2166ac", "not_computed": "#bdbdbd",
}
REASONS = {  # reason code -> (Swedish, English)
    # one label for every hidden area, whatever hid it: "too few cases" would say "1 to 4"
    "hidden_few_cases": ("dold", "hidden"),
    "hidden_few_respondents": ("dold", "hidden"),
    "hidden_secondary": ("dold", "hidden"),
    "missing": ("värde saknas", "no value"),
    "island": ("saknar grannområden", "no neighbouring areas"),
    "too_few_areas": (f"färre än {MIN_AREAS} områden med grannar och värden",
                      f"fewer than {MIN_AREAS} areas with neighbours and values"),
    "no_variation": ("alla värden är lika", "all values are equal"),
    "undefined": ("grannskapet omfattar alla områden", "the neighbourhood covers every area"),
}
CAVEAT = {
    "sv": "Ett test per område och grannar delar data: några områden blir 'signifikanta' av "
          "slumpen (runt 10 % på 90 %-nivån). Läs mönstret, inte enskilda områden.",
    "en": "One test per area, and neighbours share data: some areas come out 'significant' by "
          "chance (about 10 % at the 90 % level). Read the pattern, not single areas.",
}
NOT_OFFERED = {  # the view's statement when no area could be analysed for lack of areas
    "sv": f"Heta och kalla punkter beräknas inte: färre än {MIN_AREAS} områden har både ett "
          "visat värde och grannar ({n}). Med så få områden är varje grannskap en stor del av "
          "kartan och ett 'kluster' bara några enstaka värden.",
    "en": f"Hot and cold spots are not computed: fewer than {MIN_AREAS} areas have both a shown "
          "value and neighbours ({n}). With so few areas every neighbourhood is a large part of "
          "the map and a 'cluster' only a few single values.",
}
_WEIGHTS = {"queen": Queen, "rook": Rook}


def hotspots(areas: gpd.GeoDataFrame, values: pd.Series, *,
             hidden: Mapping[str, str] | Iterable[str] = (), levels: Sequence[float] = LEVELS,
             permutations: int = 999, seed: int = 2023, weights: str = "queen",
             fdr: bool = False, exact_limit: int = EXACT_LIMIT) -> pd.DataFrame:
    """Gi* per area of `areas` (area_id, geometry) for `values` (rates, index area_id).

    `hidden`: area ids whose value is suppressed (an iterable: reason "hidden_few_cases"), or a
    mapping area id -> reason code; their values are ignored even when given. Returns COLUMNS,
    one row per area sorted by area_id (so row order never matters): `gi_z`, two-sided `p_sim`
    (the conditional permutation p-value) and `p_norm` (NaN when not computed), `class`
    hot_99/95/90, cold_…, none or not_computed, `reason` (a REASONS code when not computed)
    and the Swedish and English labels. Significance per level: p_sim <= 1 - level, or the
    Benjamini–Hochberg cut-off for 1 - level over every area tested when `fdr`.
    `permutations` random draws are used for an area whose exact distribution has more than
    `exact_limit` arrangements (0: always random draws).
    """
    if weights not in _WEIGHTS:
        raise ValueError(f"weights must be one of {sorted(_WEIGHTS)}, not {weights!r}")
    if not levels or not set(levels) <= set(LEVELS):
        raise ValueError(f"levels must be a non-empty subset of {LEVELS}")
    if permutations < 99:
        raise ValueError("permutations must be at least 99 (p_sim must be able to reach 0.01)")
    geo = gpd.GeoDataFrame(areas[["area_id"]].astype({"area_id": str}),
                           geometry=areas.geometry.to_numpy(), crs=areas.crs)
    if geo["area_id"].duplicated().any() or values.index.duplicated().any():
        raise ValueError("area_id must be unique in areas and values")
    geo = geo.sort_values("area_id").set_index("area_id")
    ids = geo.index.tolist()
    given = pd.Series(values.to_numpy(), index=values.index.astype(str))
    x = pd.to_numeric(given, errors="coerce").astype("Float64").reindex(ids).to_numpy(
        dtype="float64", na_value=np.nan)
    hidden_map = ({str(k): str(v) for k, v in hidden.items()} if isinstance(hidden, Mapping)
                  else {str(a): "hidden_few_cases" for a in hidden})
    reason = np.array([hidden_map.get(a, "missing" if np.isnan(v) else "")
                       for a, v in zip(ids, x)], dtype=object)
    used = reason == ""
    if (x[used] < 0).any():
        raise LagesbildError("Gi* kräver värden som är noll eller större (tal, andelar).")
    out = pd.DataFrame({"area_id": ids, "gi_z": np.nan, "p_sim": np.nan, "p_norm": np.nan,
                        "class": "none"})
    neighbours = _neighbours(geo[used], weights)
    position = {a: i for i, a in enumerate(ids)}
    reason[[position[a] for a, nb in neighbours.items() if not nb]] = "island"
    used = reason == ""
    if used.sum() < MIN_AREAS:
        reason[used] = "too_few_areas"
    elif np.ptp(x[used]) == 0:
        reason[used] = "no_variation"
    else:
        keep = [a for a, u in zip(ids, used) if u]
        z, p_sim, p_norm, agree = _gi_star(x[used], keep, neighbours, permutations, seed,
                                           exact_limit)
        out.loc[used, ["gi_z", "p_sim", "p_norm"]] = np.column_stack([z, p_sim, p_norm])
        defined = np.isfinite(z) & np.isfinite(p_sim)
        reason[np.flatnonzero(used)[~defined]] = "undefined"
        out.loc[used, "class"] = _classes(z, p_sim, defined, agree & defined, levels, fdr)
    computed = reason == ""
    out.loc[~computed, ["gi_z", "p_sim", "p_norm"]] = np.nan
    out.loc[~computed, "class"] = "not_computed"
    out["reason"] = reason.astype(str)
    out["label"] = [label(c, r, "sv") for c, r in zip(out["class"], out["reason"])]
    out["label_en"] = [label(c, r, "en") for c, r in zip(out["class"], out["reason"])]
    return out[COLUMNS]


def _neighbours(geo: gpd.GeoDataFrame, weights: str) -> dict[str, list[str]]:
    """Contiguity neighbours by area id; islands get an empty list (warnings handled here)."""
    if len(geo) == 0:
        return {}
    w = _WEIGHTS[weights].from_dataframe(geo, use_index=True, silence_warnings=True)
    return {str(a): sorted(str(b) for b in w.neighbors[a]) for a in w.id_order}


def _gi_star(y: np.ndarray, ids: list[str], neighbours: dict[str, list[str]],
             permutations: int, seed: int, exact_limit: int) -> tuple[np.ndarray, ...]:
    """Gi* z-scores, two-sided permutation and normal p-values, and tail/sign agreement.

    Binary weights with w_ii = 1: Gi*_i = sum of i and its neighbours, z = (Gi* − x̄ w_i) /
    (s √((n w_i − w_i²) / (n − 1))), w_i the neighbourhood's size and s the population sd.
    A neighbourhood of every area has no variance: z and p are NaN ("undefined").
    """
    n = len(y)
    position = {a: i for i, a in enumerate(ids)}
    near = [[position[b] for b in neighbours[a]] for a in ids]
    size = np.array([len(nb) + 1 for nb in near], dtype="float64")
    local = np.array([y[i] + y[nb].sum() for i, nb in enumerate(near)])
    mean = y.mean()
    sd = np.sqrt(max((y ** 2).mean() - mean ** 2, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = sd * np.sqrt((n * size - size ** 2) / (n - 1))
        z = np.where(spread > 0, (local - mean * size) / spread, np.nan)
    tests = local_sum_tests(y, near, permutations=permutations, seed=seed,
                            exact_limit=exact_limit)
    p_sim = np.where(np.isfinite(z), tests.p_value, np.nan)
    p_norm = np.minimum(1.0, 2 * stats.norm.sf(np.abs(z)))
    agree = tests.direction == np.sign(np.nan_to_num(z))
    return z, p_sim, p_norm, agree


def _classes(z: np.ndarray, p: np.ndarray, tested: np.ndarray, usable: np.ndarray,
             levels: Sequence[float], fdr: bool) -> list[str]:
    """Classes per area; with `fdr` the BH family is every area `tested` (not only `usable`)."""
    out = ["none"] * len(z)
    for level in sorted(levels):  # the strictest level that holds wins
        alpha = round(1 - level, 10)
        cut = bh_threshold(p[tested], alpha) if fdr else alpha
        for i in np.flatnonzero(usable & (p <= cut + 1e-12)):
            out[i] = f"{'hot' if z[i] > 0 else 'cold'}_{round(level * 100)}"
    return out


def flag_counts(result: pd.DataFrame, levels: Sequence[float] = LEVELS,
                fdr: bool = False) -> list[FlagCount]:
    """Per level: the areas tested (a class other than not_computed) and those flagged hot or
    cold at that level or a stricter one, with the number chance alone would flag."""
    classes = result["class"].astype(str)
    tested = int((classes != "not_computed").sum())
    strength = pd.to_numeric(classes.str.extract(r"^(?:hot|cold)_(\d+)$")[0])
    return [FlagCount(level, tested, int((strength >= round(level * 100)).sum()), fdr)
            for level in sorted(levels)]


def summary(result: pd.DataFrame, lang: str = "sv", levels: Sequence[float] = LEVELS,
            fdr: bool = False) -> str:
    """What the view says beside the map: why nothing was computed, or the areas flagged per
    level against the number expected by chance alone (`flag_counts`)."""
    reasons = result["reason"].astype(str)
    counts = flag_counts(result, levels, fdr)
    if counts[0].n_tested == 0 and (reasons == "too_few_areas").any():
        return NOT_OFFERED["en" if lang == "en" else "sv"].format(
            n=int((reasons == "too_few_areas").sum()))
    if counts[0].n_tested == 0:
        return ("Hot and cold spots could not be computed for any area." if lang == "en" else
                "Heta och kalla punkter kunde inte beräknas för något område.")
    return flags_text(counts, lang, "areas")


def label(cls: str, reason: str = "", lang: str = "sv") -> str:
    """The user-facing text of a class: 'Het punkt (99 %)', 'Kan inte beräknas: …'."""
    en = lang == "en"
    if cls == "not_computed":
        text = REASONS.get(reason, (reason, reason))[en]
        return f"{'Cannot be computed' if en else 'Kan inte beräknas'}: {text}"
    if cls == "none":
        return "No significant clustering" if en else "Ingen signifikant klustring"
    kind, pct = cls.split("_")
    if en:
        return f"{'Hot' if kind == 'hot' else 'Cold'} spot ({pct}%)"
    return f"{'Het' if kind == 'hot' else 'Kall'} punkt ({pct} %)"


def legend(levels: Sequence[float] = LEVELS, lang: str = "sv") -> list[tuple[str, str, str]]:
    """(class, label, colour) from hottest to coldest, then "not computed"; see CAVEAT too."""
    pcts = [round(v * 100) for v in sorted(levels, reverse=True)]
    classes = ([f"hot_{p}" for p in pcts] + ["none"] + [f"cold_{p}" for p in reversed(pcts)]
               + ["not_computed"])
    return [(c, label(c, "", lang).rstrip(": "), CLASS_COLORS[c]) for c in classes]


def hotspot_figures(frames: Frames, spec: LayerSpec, *, period: str, sex: str,
                    taxonomy: Taxonomy, settings: Settings, **options: object) -> pd.DataFrame:
    """Gi* on a layer's protected kommun figures (`layer_figures`); `options` go to `hotspots`.

    Refuses every layer that is not built from incidents or counts assigned to areas or from
    survey shares, in particular anything from Polisen events (area-centroid positions). Returns
    area_id, name, period, sex and display (the protected figure text) beside COLUMNS.
    """
    if spec.kind not in ACCEPTED_KINDS:
        raise InputError(
            "Heta punkter (Gi*) beräknas bara på områdestal från brott, brottsantal eller "
            f"enkäter ({', '.join(ACCEPTED_KINDS)}), inte på lagertypen '{spec.kind}'. Polisens "
            "händelser har områdets mittpunkt som läge och används aldrig.", field="kind")
    figures = layer_figures(frames, spec, period=period, sex=sex, taxonomy=taxonomy,
                            settings=settings)
    figures = figures[figures["level"] == schema.AreaLevel.KOMMUN.value]
    reasons = {"few_respondents": "hidden_few_respondents", "secondary": "hidden_secondary"}
    hidden = {str(a): reasons.get(str(s), "hidden_few_cases")
              for a, s in zip(figures.loc[figures["suppressed"], "area_id"],
                              figures.loc[figures["suppressed"], "suppression"])}
    values = figures.set_index("area_id")["value"].mask(figures.set_index("area_id")["suppressed"])
    result = hotspots(frames.kommuner, values, hidden=hidden, **options)  # type: ignore[arg-type]
    shown = figures[["area_id", "name", "period", "sex", "display"]].astype({"area_id": str})
    return shown.merge(result, on="area_id", how="right")
