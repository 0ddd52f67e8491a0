"""Mörkertal: survey exposure set against reported crime, as a reporting ratio with an interval.

A survey item on exposure (e.g. "utsatt_misshandel": the share exposed to assault in the last
12 months, with n respondents) implies a number of victims: share × the population the survey
speaks for. Reported offences of the matching categories (`reported_categories` in
layers/indicators.toml) are set against it: ratio = reported / implied.

Population base: the population table holds totals per kommun × year × sex (all ages), not the
surveyed age range. Without `population_base` the whole population is used, which overstates
the implied victims (and understates the ratio) when the survey covers only some ages; pass
`population_base` (area_id, sex, population) for the surveyed ages when known.

Interval: the share's Wilson interval and the count's exact Poisson interval, each at
1 − α/2 (Bonferroni), give conservative bounds reported_low / implied_high … reported_high /
implied_low; when both true values lie in their intervals (probability ≥ 1 − α) the true ratio
lies in these bounds. The population is taken as known. Only chance is covered, not the
differences listed in `caveats`.

Disclosure: counts come from the protected cube (`cube.protected_cube`); a sum is used only when
every category cell in it is shown, since the ratio and its interval would reveal a hidden
count. Survey shares from fewer than `min_survey_n` respondents are not used.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from lagesbild.analysis import disclosure, stats
from lagesbild.analysis.cube import protected_cube
from lagesbild.analysis.figures import indicator_figures, population_for
from lagesbild.core.frames import Frames
from lagesbild.core.settings import Settings
from lagesbild.core.taxonomy import ALL, Taxonomy

REASONS: dict[str, tuple[str, str]] = {  # why a row has no ratio: (sv, en)
    "": ("", ""),
    "no_survey": ("enkätsvar saknas", "no survey answers"),
    "partial_survey": ("enkäten täcker inte alla kommuner i länet",
                       "the survey does not cover every municipality in the county"),
    "few_respondents": ("för få svar", "too few respondents"),
    "hidden_share": ("dold (andelen är dold)", "hidden (the share is hidden)"),
    "no_categories": ("brottskategorierna saknas i källan", "the crime categories are not in the source"),
    "hidden_count": ("dold (antalet anmälda brott är dolt)", "hidden (the reported count is hidden)"),
    "no_population": ("folkmängd saknas", "population missing"),
    "zero_share": ("inga utsatta i enkäten", "no one exposed in the survey"),
    "no_sex": ("källan anger inte brottsoffrets kön", "the source does not give the victim's sex"),
    "part_year": ("polisens utdrag täcker bara en del av året",
                  "the police extracts cover only part of the year"),
}
COLUMNS = ["area_id", "name", "level", "period", "count_period", "sex", "indicator_id",
           "categories", "share", "share_low", "share_high", "n", "population_base", "implied",
           "implied_low", "implied_high", "reported", "reported_low", "reported_high", "ratio",
           "ratio_low", "ratio_high", "shown", "reason", "display", "display_en", "source"]


def load_indicator_meta(settings: Settings) -> dict[str, dict[str, Any]]:
    """indicators.toml, shared and the workspace's own (`core.layers.load_indicator_meta`)."""
    from lagesbild.core.layers import load_indicator_meta as load

    return load(settings.layers_dir, settings.own_layers_dir)


def reported_categories(indicator_meta: Mapping[str, Mapping[str, Any]], indicator_id: str
                        ) -> tuple[str, ...]:
    """The crime categories an exposure item is compared with (empty when none are set)."""
    return tuple(str(c) for c in indicator_meta.get(indicator_id, {}).get("reported_categories", ()))


def reported_counts(frames: Frames, categories: Iterable[str], *, period: str, source: str,
                    taxonomy: Taxonomy, settings: Settings) -> pd.DataFrame:
    """Protected counts of `categories` summed per area × sex; hidden when any cell is hidden.

    Columns area_id, sex, reported (Int64, NA when hidden), hidden, found (how many of the
    categories the source has at all in the period).
    """
    wanted = {c.casefold().strip() for c in categories}
    cube = protected_cube(frames, period=str(period), source=source, taxonomy=taxonomy,
                          settings=settings)
    cells = cube[(cube["category"] != ALL)
                 & cube["category"].astype("string").str.casefold().str.strip().isin(wanted)]
    found = cells["category"].astype("string").str.casefold().str.strip().nunique()
    grid = cube[cube["category"] == ALL][["area_id", "sex"]].drop_duplicates()
    grouped = cells.groupby(["area_id", "sex"], as_index=False).agg(
        reported=("count", lambda s: s.sum(min_count=0)), hidden=("suppressed", "any"))
    out = grid.merge(grouped, on=["area_id", "sex"], how="left")
    out["hidden"] = out["hidden"].astype("boolean").fillna(False).astype(bool)
    out["reported"] = pd.to_numeric(out["reported"]).fillna(0).astype("Int64").mask(out["hidden"])
    return out.assign(found=int(found)).reset_index(drop=True)


def reporting_ratio(frames: Frames, indicator_id: str, *, period: str, taxonomy: Taxonomy,
                    settings: Settings, categories: Iterable[str] | None = None,
                    indicator_meta: Mapping[str, Mapping[str, Any]] | None = None,
                    count_period: str | None = None, source: str = "counts",
                    population_base: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per kommun and län × sex: implied victims, reported offences and their ratio (COLUMNS).

    `categories` default to the item's `reported_categories`; `count_period` to `period`;
    `source` is "counts" (Brå table) or "incidents" (police extract). `population_base` has
    area_id, sex, population for the surveyed ages; without it the whole population of
    `count_period` is used (see the module text). Rows without a ratio say why in `reason`.
    """
    meta = indicator_meta if indicator_meta is not None else load_indicator_meta(settings)
    cats = tuple(categories) if categories is not None else reported_categories(meta, indicator_id)
    count_period = str(count_period or period)
    survey = indicator_figures(frames, indicator_id, period=str(period), settings=settings)
    survey = survey[survey["sex"].isin(["K", "M", "T"])]
    survey = survey.drop_duplicates(["area_id", "sex"])[["area_id", "sex", "value", "n",
                                                         "suppressed", "suppression", "source"]]
    areas = pd.concat([frames.lan, frames.kommuner])[["area_id", "name", "level"]]
    grid = pd.DataFrame([(a, s) for a in areas["area_id"].astype(str) for s in ("K", "M", "T")],
                        columns=["area_id", "sex"]).merge(areas, on="area_id")
    out = grid.merge(survey, on=["area_id", "sex"], how="left")
    counts = reported_counts(frames, cats, period=count_period, source=source, taxonomy=taxonomy,
                             settings=settings) if cats else None
    if counts is not None:
        out = out.merge(counts[["area_id", "sex", "reported", "hidden"]], on=["area_id", "sex"],
                        how="left")
    else:
        out = out.assign(reported=pd.NA, hidden=False)
    base = population_base if population_base is not None else population_for(frames, count_period)
    base = base.groupby(["area_id", "sex"], as_index=False)["population"].sum()
    out = out.merge(base.rename(columns={"population": "population_base"}),
                    on=["area_id", "sex"], how="left")

    partial = _partial_county(frames, indicator_id, str(period), out)
    hidden_any = out["suppressed"].astype("boolean").fillna(False).astype(bool)
    few = hidden_any & (out["suppression"].astype("string") == "few_respondents").fillna(False)
    secondary = hidden_any & ~few  # hidden to protect another share, or 1-4 people said yes
    share = pd.to_numeric(out["value"]).astype("float64") / 100
    n = pd.to_numeric(out["n"]).astype("float64")
    reported = pd.to_numeric(out["reported"]).astype("float64")
    pop = pd.to_numeric(out["population_base"]).astype("float64")
    hidden = out["hidden"].astype("boolean").fillna(False).astype(bool)
    no_cats = counts is None or int(counts["found"].iloc[0] if len(counts) else 0) == 0
    part_year = pd.Series(False, index=out.index)
    if source == "incidents":  # a quarter's offences against a year's victims: no ratio
        from lagesbild.analysis.time_coverage import part_year_table

        cover = part_year_table(frames, count_period)
        short = set(cover.loc[cover["label"] != "", "area_id"].astype(str))
        part_year = out["area_id"].astype(str).isin(short)
    from lagesbild.analysis.known import sex_known

    told = sex_known(frames, count_period, source)
    no_sex = out["sex"].isin(["K", "M"]) & ~out["area_id"].astype(str).isin(told)
    conditions = [few, secondary, share.isna() | n.isna(), partial, pd.Series(no_cats, index=out.index), hidden,
                  reported.isna(), no_sex, part_year, pop.isna() | (pop <= 0), share <= 0]
    reason = np.select([c.fillna(False).to_numpy(dtype=bool) for c in conditions],
                       ["few_respondents", "hidden_share", "no_survey", "partial_survey", "no_categories", "hidden_count",
                        "no_categories", "no_sex", "part_year", "no_population", "zero_share"], default="")
    shown = pd.Series(reason == "", index=out.index)
    res = ratio_interval(reported, share, n, pop, confidence=settings.confidence)
    survey_ok = ~hidden_any & ~partial.to_numpy(dtype=bool) & share.notna() & n.notna()
    count_ok = ~hidden & reported.notna() & (not no_cats) & ~part_year.to_numpy(dtype=bool) \
        & ~no_sex.to_numpy(dtype=bool)
    for col in ("share", "share_low", "share_high", "implied", "implied_low", "implied_high"):
        res[col] = res[col].where(survey_ok)
    for col in ("reported", "reported_low", "reported_high"):
        res[col] = res[col].where(count_ok)
    for col in ("ratio", "ratio_low", "ratio_high"):
        res[col] = res[col].where(shown)
    out = pd.concat([out.drop(columns=["value", "reported"]), res], axis=1)
    out["period"], out["count_period"], out["indicator_id"] = str(period), count_period, indicator_id
    out["categories"] = ", ".join(cats)
    out["shown"], out["reason"] = shown.to_numpy(), reason
    level = f"{settings.confidence * 100:.0f}"
    out["display"] = [_display(r, "sv", level) for r in out.itertuples()]
    out["display_en"] = [_display(r, "en", level) for r in out.itertuples()]
    out["source"] = out["source"].astype("string").fillna("")  # all-NaN when no survey
    for col in ("n", "reported"):
        out[col] = pd.to_numeric(out[col]).round().astype("Int64")
    out["population_base"] = pd.to_numeric(out["population_base"]).astype("Float64")
    return out[COLUMNS].reset_index(drop=True)


def ratio_interval(reported: pd.Series, share: pd.Series, n: pd.Series, population: pd.Series, *,
                   confidence: float = 0.95) -> pd.DataFrame:
    """Reporting ratio reported / (share × population) with conservative bounds.

    `share` is a proportion in [0, 1] from `n` respondents. Each interval is taken at
    1 − (1 − confidence)/2: Wilson for the share, exact Poisson for the count; the bounds are
    reported_low / implied_high and reported_high / implied_low (inf when implied_low is 0).
    Columns: share, share_low, share_high (in %), implied, implied_low, implied_high, reported,
    reported_low, reported_high, ratio, ratio_low, ratio_high; NaN where an input is missing.
    """
    index = reported.index
    c, p = pd.to_numeric(reported).astype("float64"), pd.to_numeric(share).astype("float64")
    m, pop = pd.to_numeric(n).astype("float64"), pd.to_numeric(population).astype("float64")
    each = 1 - (1 - confidence) / 2  # Bonferroni: both intervals hold together with ≥ confidence
    p_low, p_high = stats.wilson_ci(p, m, confidence=each)
    # rounding can put Wilson's bounds a hair beyond a share very close to 0 or 1: keep p inside
    p_low = pd.Series(np.clip(np.fmin(p_low, p.to_numpy()), 0, 1), index=index)
    p_high = pd.Series(np.clip(np.fmax(p_high, p.to_numpy()), 0, 1), index=index)
    c_low, c_high = (pd.Series(x, index=index) for x in stats.poisson_ci(c, confidence=each))
    out = pd.DataFrame({"share": p * 100, "share_low": p_low * 100, "share_high": p_high * 100,
                        "implied": p * pop, "implied_low": p_low * pop, "implied_high": p_high * pop,
                        "reported": c, "reported_low": c_low, "reported_high": c_high}, index=index)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["ratio"] = (c / out["implied"]).where(out["implied"] > 0)
        out["ratio_low"] = (c_low / out["implied_high"]).where(out["implied_high"] > 0)
        out["ratio_high"] = np.where(out["implied_low"] > 0, c_high / out["implied_low"],
                                     np.where(c_high.notna() & out["implied_low"].notna(), np.inf,
                                              np.nan))
    return out


def _partial_county(frames: Frames, indicator_id: str, period: str, out: pd.DataFrame) -> pd.Series:
    """County rows whose share was pooled from only some of its kommuner (no own survey row)."""
    data = frames.indicators
    data = data[(data["indicator_id"] == indicator_id) & (data["period"] == period)
                & data["value"].notna() & data["n"].notna()]
    have = set(zip(data["area_id"].astype(str), data["sex"].astype(str)))
    kommuner = frames.kommuner
    partial = pd.Series(False, index=out.index)
    for i, (area, sex, level) in enumerate(zip(out["area_id"], out["sex"], out["level"])):
        if level == "lan" and (area, sex) not in have:
            members = kommuner.loc[kommuner["parent_id"] == area, "area_id"].astype(str)
            partial.iloc[i] = not all((m, sex) in have for m in members)
    return partial


def _num(value: float, digits: int, lang: str) -> str:
    if np.isnan(value):
        return "–"
    if np.isinf(value):
        return "∞"
    text = f"{value:,.{digits}f}"
    return text.replace(",", "\u00a0").replace(".", ",") if lang == "sv" else text


HIDDEN_REASONS = ("few_respondents", "hidden_share", "hidden_count")


def _display(row: Any, lang: str, level: str) -> str:
    """The ratio's text; `disclosure.HIDDEN` where disclosure control hid an input (the reason
    stays in `reason` and the legend, never in the cell); other gaps say what is missing."""
    en = lang == "en"
    if row.reason in HIDDEN_REASONS:
        return disclosure.HIDDEN
    if row.reason:
        return REASONS[row.reason][1 if en else 0]
    ratio = _num(row.ratio, 2, lang)
    low, high = _num(row.ratio_low, 2, lang), _num(row.ratio_high, 2, lang)
    reported, implied = _num(row.reported, 0, lang), _num(row.implied, 0, lang)
    if en:
        return (f"{ratio} reported offences per estimated victim ({level} % interval {low}–{high}; "
                f"{reported} reported, about {implied} exposed)")
    return (f"{ratio} anmälda brott per uppskattad utsatt person ({level} % KI {low}–{high}; "
            f"{reported} anmälda, cirka {implied} utsatta)")


def caveats(*, age_range: str | None = None, base_given: bool = False, lang: str = "sv") -> list[str]:
    """What the ratio is not: texts to show beside it (Swedish, or English with lang='en')."""
    ages_sv = f"åldrarna {age_range}" if age_range else "enkätens åldersgrupp"
    ages_en = f"ages {age_range}" if age_range else "the survey's age group"
    sv = [
        "En person kan utsättas flera gånger och ett brott kan ha flera offer: enkäten räknar "
        "personer, anmälningarna räknar brott. Kvoten är därför inte andelen utsatta som anmäler.",
        f"Enkäten gäller {ages_sv}; de anmälda brotten gäller alla åldrar.",
        "Enkätens fråga och brottsrubriceringarna täcker inte exakt samma händelser.",
        "Brott räknas där de anmäldes eller begicks, enkätsvar där den svarande bor.",
        "Enkäten frågar om de senaste 12 månaderna, anmälningarna räknas per kalenderår.",
        "De som svarar kan skilja sig från dem som inte svarar (bortfall).",
        "Intervallet täcker bara slumpen i urvalet och i antalet brott, inte skillnaderna ovan.",
    ]
    en = [
        "A person can be exposed several times and an offence can have several victims: the "
        "survey counts people, reports count offences. The ratio is not the share of victims "
        "who report.",
        f"The survey covers {ages_en}; reported offences cover all ages.",
        "The survey question and the legal crime categories do not cover exactly the same events.",
        "Offences are counted where reported or committed, survey answers where people live.",
        "The survey asks about the last 12 months; reports are counted per calendar year.",
        "Those who answer may differ from those who do not (non-response).",
        "The interval covers only chance in the sample and in the count, not the differences above.",
    ]
    if not base_given:
        sv.insert(2, "Antalet utsatta är uppskattat på hela befolkningen (alla åldrar), eftersom "
                     "folkmängden för enkätens åldrar saknas; det överskattar antalet utsatta.")
        en.insert(2, "The number exposed is estimated on the whole population (all ages), since "
                     "the population of the surveyed ages is missing; this overstates it.")
    return en if lang == "en" else sv
