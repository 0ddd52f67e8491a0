"""Reference values for one kommun's figure: the county's percentile band, the county, the nation,
and Kolada-style similar municipalities (same SKR kommungrupp, or nearest on chosen indicators).

Everything here reads figures that already passed disclosure control (`figures.layer_figures`
and `figures.indicator_figures`): a hidden value is never used, only counted as excluded.

A kommun is placed above or below the band only when its whole interval lies outside it
(`band_position`), and `band_flags` puts the number so placed beside the number chance alone
would place there.

National values: `schema.AreaLevel` has no national level, so the areas (and therefore
`layer_figures`) never hold a national row. A national value comes either from a row in the
figures with area_id "00"/"0000"/"riket" or level "riket" (a caller may add one), or from the
`indicators` table: a row with area_id "00", "0000" or "riket" (`national_indicator`). The
importers refuse such rows today (they expect kommun or län codes), so in practice the national
value is None unless a caller writes or passes it (`reference_band(..., national=...)`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lagesbild.analysis.chance import FlagCount, number, pct
from lagesbild.analysis.figures import layer_figures
from lagesbild.core import schema
from lagesbild.core.errors import InputError
from lagesbild.core.frames import Frames
from lagesbild.core.layers import LayerSpec, wide_layers
from lagesbild.core.settings import Settings, get_settings
from lagesbild.core.taxonomy import Taxonomy, load_taxonomy

NATIONAL_IDS = ("00", "0000", "riket")
NATIONAL_LEVEL = "riket"
KOMMUN = schema.AreaLevel.KOMMUN.value
LAN = schema.AreaLevel.LAN.value

# SKR:s kommungruppsindelning 2023: code -> (sv, en)
KOMMUNGRUPP_NAMES: dict[str, tuple[str, str]] = {
    "A1": ("Storstäder", "Large cities"),
    "A2": ("Pendlingskommun nära storstad", "Commuter municipality near a large city"),
    "B3": ("Större stad", "Medium-sized town"),
    "B4": ("Pendlingskommun nära större stad", "Commuter municipality near a medium-sized town"),
    "B5": ("Lågpendlingskommun nära större stad",
           "Low-commuting municipality near a medium-sized town"),
    "C6": ("Mindre stad/tätort", "Small town"),
    "C7": ("Pendlingskommun nära mindre tätort", "Commuter municipality near a small town"),
    "C8": ("Landsbygdskommun", "Rural municipality"),
    "C9": ("Landsbygdskommun med besöksnäring", "Rural municipality with a visitor industry"),
}
BAND_LABELS = {"sv": {"above": "över länets mittersta hälft", "within": "inom länets mittersta hälft",
                      "below": "under länets mittersta hälft"},
               "en": {"above": "above the county's middle half", "within": "within the county's middle half",
                      "below": "below the county's middle half"}}


def _hidden(rows: pd.DataFrame) -> pd.Series:
    if "suppressed" not in rows:
        return pd.Series(False, index=rows.index)
    return rows["suppressed"].astype("boolean").fillna(False).astype(bool)


def _shown(rows: pd.DataFrame) -> pd.Series:
    """Values that may be used: not suppressed and present."""
    return pd.to_numeric(rows["value"]).astype("Float64").mask(_hidden(rows))


def _first(rows: pd.DataFrame) -> float | None:
    values = _shown(rows).dropna()
    return float(values.iloc[0]) if len(values) else None


def reference_band(figures: pd.DataFrame, *, county_id: str | None = None,
                   national: float | None = None, min_values: int = 4) -> dict[str, object]:
    """The county's reference values for the kommun rows of `figures` (FIGURE_COLUMNS).

    Returns a dict: ``p25`` and ``p75`` (the kommun values' 25th and 75th percentiles, numpy's
    linear interpolation; None with fewer than `min_values` usable values), ``median``,
    ``county`` and ``county_name`` (the län row), ``national`` (a national row in `figures`,
    else the `national` argument), ``n_kommuner``, ``n_used``, ``n_hidden`` (suppressed values,
    excluded), ``n_missing`` (no data, excluded) and ``note_sv``/``note_en``.
    With `county_id` only that län's kommuner (code prefix) and its row count; without it,
    every kommun row, and the län row only when there is exactly one.
    """
    kommun = figures[figures["level"] == KOMMUN]
    lan = figures[figures["level"] == LAN]
    if county_id is not None:
        kommun = kommun[kommun["area_id"].astype(str).str[:2] == str(county_id)[:2]]
        lan = lan[lan["area_id"].astype(str) == str(county_id)]
    elif len(lan) > 1:
        lan = lan.iloc[:0]
    values = _shown(kommun)
    hidden = _hidden(kommun)
    used = values.dropna().to_numpy(dtype=float)
    n_hidden, n_missing = int(hidden.sum()), int((values.isna() & ~hidden).sum())
    band = np.percentile(used, [25, 75]) if len(used) >= max(min_values, 1) else [None, None]
    nat_rows = figures[figures["area_id"].astype("string").str.casefold().isin(NATIONAL_IDS)
                       | (figures["level"] == NATIONAL_LEVEL)]
    found = _first(nat_rows) if len(nat_rows) else None
    out: dict[str, object] = {
        "p25": None if band[0] is None else float(band[0]),
        "p75": None if band[1] is None else float(band[1]),
        "median": float(np.median(used)) if len(used) else None,
        "county": _first(lan) if len(lan) else None,
        "county_name": str(lan["name"].iloc[0]) if len(lan) else "",
        "national": found if found is not None else national,
        "n_kommuner": len(kommun), "n_used": len(used), "n_hidden": n_hidden,
        "n_missing": n_missing,
    }
    # "the county's" only where one county is compared: 290 kommuner are no county's
    one = county_id is not None or len(figures[figures["level"] == LAN]) == 1
    sv = [f"{'Länets' if one else 'Kommunernas'} mittersta hälft (25:e–75:e percentilen) av "
          f"{len(used)} kommuners värden."]
    en = [f"{'The county’s' if one else 'The municipalities’'} middle half (25th–75th "
          f"percentile) of {len(used)} municipalities' values."]
    if band[0] is None:
        sv = [f"För få kommuner med värden ({len(used)}) för ett percentilband."]
        en = [f"Too few municipalities with values ({len(used)}) for a percentile band."]
    if n_hidden:
        sv.append(f"{n_hidden} dolda värden (röjandekontroll) räknas inte.")
        en.append(f"{n_hidden} hidden values (disclosure control) are not counted.")
    if n_missing:
        sv.append(f"{n_missing} kommuner saknar uppgift.")
        en.append(f"{n_missing} municipalities have no data.")
    out["note_sv"], out["note_en"] = " ".join(sv), " ".join(en)
    return out


def _given(value: object) -> bool:
    return value is not None and not pd.isna(value)  # type: ignore[arg-type]


def band_position(value: object, band: Mapping[str, object], ci_low: object = None,
                  ci_high: object = None) -> str | None:
    """'above', 'within' or 'below' the band (see BAND_LABELS); None without value or band.

    A kommun is above (below) only when its whole interval [`ci_low`, `ci_high`] lies above
    p75 (below p25); an interval that overlaps the band, even at a point, is 'within', whatever
    the point estimate. Without an interval (a figure with no sampling uncertainty, such as the
    coverage of a whole target group) the value itself is compared.
    """
    low, high = band.get("p25"), band.get("p75")
    if not _given(value) or low is None or high is None:
        return None
    v = float(value)  # type: ignore[arg-type]
    lo = float(ci_low) if _given(ci_low) else v  # type: ignore[arg-type]
    hi = float(ci_high) if _given(ci_high) else v  # type: ignore[arg-type]
    if hi < float(low):  # type: ignore[arg-type]
        return "below"
    return "above" if lo > float(high) else "within"  # type: ignore[arg-type]


def band_positions(figures: pd.DataFrame, band: Mapping[str, object]) -> list[str | None]:
    """`band_position` of each row of `figures` (value, ci_low, ci_high), in row order."""
    return [band_position(v, band, lo, hi)
            for v, lo, hi in zip(figures["value"], figures["ci_low"], figures["ci_high"])]


def band_flags(positions: Iterable[str | None], confidence: float) -> dict[str, object]:
    """How many kommuner are flagged above or below the band, against chance alone.

    ``n_tested`` (kommuner with a position), ``n_above``, ``n_below``, ``expected_by_chance``
    (n_tested × (1 − confidence): a kommun truly inside the band has at most a 1 − confidence
    chance that its interval misses the band) and ``note_sv``/``note_en``.
    """
    shown = [p for p in positions if p is not None]
    above, below = shown.count("above"), shown.count("below")
    count = FlagCount(confidence, len(shown), above + below)
    level, expected = pct(confidence, "sv"), number(count.expected, "sv")
    out: dict[str, object] = {"n_tested": len(shown), "n_above": above, "n_below": below,
                              "expected_by_chance": round(count.expected, 6),
                              "confidence": confidence}
    out["note_sv"] = (f"Över eller under bandet bara när hela {level}-intervallet ligger "
                      f"utanför det: {above} över och {below} under av {len(shown)} kommuner; "
                      f"av slumpen ensam väntas upp till {expected}.")
    out["note_en"] = (f"Above or below the band only when the whole {pct(confidence, 'en')} "
                      f"interval lies outside it: {above} above and {below} below of "
                      f"{len(shown)} municipalities; chance alone gives up to "
                      f"{number(count.expected, 'en')}.")
    return out


def national_indicator(frames: Frames, indicator_id: str, *, period: str, sex: str,
                       settings: Settings) -> float | None:
    """A national value of a survey/KPI indicator: a row with area_id "00", "0000" or "riket".

    The same rule as for every survey share applies: fewer than `min_survey_n` respondents (or
    no n) means it is not used.
    """
    data = frames.indicators
    rows = data[data["area_id"].astype("string").str.casefold().isin(NATIONAL_IDS)
                & (data["indicator_id"] == indicator_id) & (data["period"] == str(period))
                & (data["sex"] == sex)]
    rows = rows[pd.to_numeric(rows["n"]).fillna(0) >= settings.min_survey_n]
    values = pd.to_numeric(rows["value"]).dropna()
    return float(values.iloc[0]) if len(values) else None


# --- similar municipalities ------------------------------------------------------------------

@dataclass(frozen=True)
class Similar:
    """Similar kommuner for one kommun; `table` has area_id, name, kommungrupp, distance, rank."""

    area_id: str
    basis: str  # "kommungrupp" or "indikatorer"
    group: str | None
    indicators: tuple[str, ...]
    table: pd.DataFrame
    excluded: int = 0  # kommuner without every indicator value (hidden or missing)
    dropped: tuple[str, ...] = field(default=())  # indicators without spread (all values equal)

    def note(self, lang: str = "sv") -> str:
        en = lang == "en"
        if self.basis == "kommungrupp":
            name = KOMMUNGRUPP_NAMES.get(self.group or "", (self.group, self.group))[1 if en else 0]
            text = (f"Same SKR municipality group: {self.group} {name}." if en else
                    f"Samma kommungrupp enligt SKR: {self.group} {name}.")
        else:
            text = ("Nearest on the chosen indicators (standardised Euclidean distance, z-scores "
                    "across the municipalities)." if en else
                    "Närmast på de valda indikatorerna (standardiserat euklidiskt avstånd, "
                    "z-värden över kommunerna).")
        if self.basis == "indikatorer" and self.table.empty:
            text += (" The municipality's own values are hidden or missing." if en else
                     " Kommunens egna värden är dolda eller saknas.")
        if self.excluded:
            text += (f" {self.excluded} municipalities lack a value (hidden or missing) and are "
                     "left out." if en else
                     f" {self.excluded} kommuner saknar något värde (dolt eller saknas) och är "
                     "inte med.")
        if self.dropped:
            text += (f" Without spread, not used: {', '.join(self.dropped)}." if en else
                     f" Utan spridning, används inte: {', '.join(self.dropped)}.")
        return text


def indicator_matrix(frames: Frames, items: Iterable[str | LayerSpec], *, period: str | None = None,
                     sex: str = "T", layers: Mapping[str, LayerSpec] | None = None,
                     taxonomy: Taxonomy | None = None, settings: Settings | None = None
                     ) -> pd.DataFrame:
    """Protected kommun values, one column per layer or indicator id (hidden values are NaN).

    A string is a layer id when `layers` has it, else an indicator id of the indicators table.
    Each item uses `period`, or when None the period it opens on: its latest with data for most
    kommuner (`period_choice`), not a newer one a single kommun's table has begun.
    """
    from lagesbild.analysis.period_choice import opening_period

    settings = settings or get_settings()
    layers = wide_layers(settings) if layers is None else layers
    taxonomy = taxonomy or load_taxonomy(settings.layers_dir / "pyramid.toml")
    kommuner = frames.kommuner["area_id"].astype(str).tolist()
    out = pd.DataFrame(index=pd.Index(kommuner, name="area_id"))
    for item in items:
        spec = resolve_spec(frames, item, layers)
        use = period if period is not None else opening_period(frames, spec, taxonomy=taxonomy,
                                                                settings=settings)
        if use is None:
            out[spec.id] = np.nan
            continue
        figs = layer_figures(frames, spec, period=str(use), sex=sex, taxonomy=taxonomy,
                             settings=settings)
        figs = figs[figs["level"] == KOMMUN]
        values = _shown(figs).astype("float64")
        out[spec.id] = pd.Series(values.to_numpy(), index=figs["area_id"].astype(str)).reindex(out.index)
    return out


def resolve_spec(frames: Frames, item: str | LayerSpec, layers: Mapping[str, LayerSpec]) -> LayerSpec:
    """A layer for a LayerSpec, a layer id, or an indicator id of the indicators table."""
    if isinstance(item, LayerSpec):
        return item
    if item in layers:
        return layers[item]
    if (frames.indicators["indicator_id"] == item).any():
        return LayerSpec(id=item, title_sv=item, title_en=item, kind="indicator", indicator=item)
    raise InputError(f"Okänt lager eller indikator '{item}'.", field="indikatorer",
                     fix=f"Välj ett lager ({', '.join(layers)}) eller en indikator i arbetsytan.")


def standardized_distances(values: pd.DataFrame, area_id: str) -> tuple[pd.Series, tuple[str, ...]]:
    """Euclidean distance on z-scores (mean, sd with ddof=1 over complete rows) to `area_id`.

    Only complete rows take part (the target too); columns without spread are dropped and named.
    Equals scipy's 'seuclidean' with V = the columns' variances (ddof=1) over those rows.
    """
    complete = values.dropna()
    if area_id not in complete.index:
        return pd.Series(dtype="float64"), ()
    sd = complete.std(ddof=1)
    keep = [c for c in complete.columns if pd.notna(sd[c]) and sd[c] > 0]
    dropped = tuple(c for c in complete.columns if c not in keep)
    if not keep:
        return pd.Series(np.nan, index=complete.index), dropped
    z = (complete[keep] - complete[keep].mean()) / sd[keep]
    dist = np.sqrt(((z - z.loc[area_id]) ** 2).sum(axis=1))
    return dist, dropped


def similar_municipalities(frames: Frames, area_id: str, *, indicators: Iterable[str | LayerSpec] = (),
                           k: int = 20, groups: pd.Series | None = None, method: str = "auto",
                           period: str | None = None, sex: str = "T",
                           layers: Mapping[str, LayerSpec] | None = None,
                           taxonomy: Taxonomy | None = None, settings: Settings | None = None
                           ) -> Similar:
    """Kolada-style similar kommuner for `area_id`.

    `method` "auto" uses SKR's kommungrupp when the target has one (from `groups`, a Series
    area_id -> group, else the areas' `kommungrupp` column), otherwise "distance": the `k`
    nearest kommuner on `indicators` (layer or indicator ids; standardised Euclidean distance).
    In group mode every kommun of the same group is listed, ordered by distance when indicators
    are given (and then cut at `k`), else by name. Only kommuner in the workspace take part:
    a workspace with one county finds similar kommuner in that county only.
    """
    if method not in ("auto", "group", "distance"):
        raise ValueError("method must be 'auto', 'group' or 'distance'")
    kommuner = pd.DataFrame(frames.kommuner[["area_id", "name", "kommungrupp"]]
                            if "kommungrupp" in frames.kommuner else
                            frames.kommuner[["area_id", "name"]].assign(kommungrupp=None))
    kommuner["area_id"] = kommuner["area_id"].astype(str)
    if groups is not None:
        given = groups.copy()
        given.index = given.index.astype(str)
        kommuner["kommungrupp"] = kommuner["area_id"].map(given)
    kommuner["kommungrupp"] = kommuner["kommungrupp"].astype("string")
    if area_id not in set(kommuner["area_id"]):
        raise InputError(f"Kommunen {area_id} finns inte i arbetsytan.", field="kommun")
    own = kommuner.loc[kommuner["area_id"] == area_id, "kommungrupp"].iloc[0]
    items = list(indicators)
    use_group = method == "group" or (method == "auto" and pd.notna(own))
    if use_group and pd.isna(own):
        raise InputError(f"Kommunen {area_id} har ingen kommungrupp.", field="kommungrupp",
                         fix="Importera gränser med SKR:s kommungrupp eller välj indikatorer.")
    if not use_group and not items:
        raise InputError("Välj minst en indikator att jämföra på.", field="indikatorer",
                         fix="Eller importera kommungränser med SKR:s kommungrupp.")
    dist, dropped, excluded = pd.Series(dtype="float64"), (), 0
    ids: tuple[str, ...] = ()
    if items:
        matrix = indicator_matrix(frames, items, period=period, sex=sex, layers=layers,
                                  taxonomy=taxonomy, settings=settings)
        ids = tuple(matrix.columns)
        dist, dropped = standardized_distances(matrix, area_id)
    table = kommuner[kommuner["area_id"] != area_id].copy()
    if use_group:
        table = table[(table["kommungrupp"] == own).fillna(False)]
    if items:
        incomplete = matrix.index[matrix.isna().any(axis=1)]
        excluded = int(table["area_id"].isin(incomplete).sum())
    table["distance"] = table["area_id"].map(dist).astype("Float64")
    if not use_group:
        table = table[table["distance"].notna()]
    if items and (not use_group or table["distance"].notna().any()):
        table = table.sort_values(["distance", "name", "area_id"], na_position="last").head(k)
    else:
        table = table.sort_values(["name", "area_id"])
    table["rank"] = pd.array(range(1, len(table) + 1), dtype="Int64")
    return Similar(area_id, "kommungrupp" if use_group else "indikatorer",
                   None if pd.isna(own) else str(own), ids, table.reset_index(drop=True),
                   excluded=excluded, dropped=dropped)
