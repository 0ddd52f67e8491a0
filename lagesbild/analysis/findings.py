"""The draft samlad bedömning: findings drafted from the protected figures, each with its evidence.

Law 2023:196 §4 asks for a lägesbild with a samlad bedömning of where the problems are largest,
against references and over time. The drafts are the problems the figures themselves show, and
only those that hold beyond chance at the report's confidence:

- **above** the county (the kommun's whole interval above the county's value) or the riket,
- **rise** since the previous period (the change test of `analysis.change`),
- **gap** between women and men (an exact test of the two rates, or of the two survey shares),
- **coverage** far below need (a prevention programme reaching fewer than a quarter of the
  target group where the need percentile is in the county's upper half),
- **unreported**: exposure or insecurity in the survey above the county while the reported
  crime of the same pyramid level is not: what the survey shows and the registers do not.

Only published (protected) figures enter: a hidden cell drafts nothing. A finding's `evidence`
names the figures, intervals, reference and sources; the user accepts, edits, reorders or drops
the drafts and adds their own (`store.findings`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from lagesbild.analysis.change import VERDICTS, change_table, rate_change, share_change
from lagesbild.analysis.figures import layer_figures, periods
from lagesbild.analysis.national import national_figure
from lagesbild.core.frames import Frames
from lagesbild.core.layers import LayerSpec
from lagesbild.core.settings import Settings
from lagesbild.core.taxonomy import Taxonomy

KINDS = {  # kind -> (Swedish, English) label
    "above_county": ("Över länet", "Above the county"),
    "above_riket": ("Över riket", "Above Sweden"),
    "rise": ("Ökning", "Increase"),
    "gap_sex": ("Skillnad kvinnor–män", "Women–men gap"),
    "coverage": ("Låg täckning där behovet är stort", "Low coverage where need is high"),
    "unreported": ("Syns i enkäten, inte i anmälningarna", "Seen in the survey, not in reports"),
    "own": ("Egen iakttagelse", "Own observation"),
}
LOW_COVERAGE = 25.0  # per cent of the target group reached


@dataclass(frozen=True)
class Finding:
    id: str  # stable: kind:layer:period:sex
    kind: str
    layer: str
    title: str
    evidence: str
    strength: float = 0.0  # for the draft order: larger first
    sources: tuple[str, ...] = field(default_factory=tuple)


def _num(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}".replace(",", "\u00a0").replace(".", ",")


def _row(figs: pd.DataFrame, area_id: str) -> dict | None:
    rows = figs[figs["area_id"].astype(str) == str(area_id)]
    if not len(rows):
        return None
    row = rows.iloc[0].to_dict()
    if bool(row["suppressed"]) or pd.isna(row["value"]):
        return None
    return row


def _sex_word(sex: str) -> str:
    return {"K": "kvinnor", "M": "män"}.get(sex, "")


FiguresOf = Callable[[LayerSpec, str, str], pd.DataFrame]  # (spec, period, sex) -> figures


def draft_findings(frames: Frames, specs: dict[str, LayerSpec], taxonomy: Taxonomy,
                   settings: Settings, *, area_id: str, period: str,
                   lang: str = "sv", figures: FiguresOf | None = None,
                   name: str | None = None, county: str | None = None) -> list[Finding]:
    """The drafts for a kommun (or a county, against the riket) and `period`, strongest first.

    A layer without data for `period` uses its latest period before it (the report's rule).
    `figures` replaces `layer_figures` (a group's report passes figures with the group's own
    row, `analysis.group_findings`); `name` and `county` then name the area and its county."""
    found: list[Finding] = []
    name = name or frames.area_name(area_id)
    county = county or frames.parent_of(area_id)
    if figures is None:
        def figures(spec: LayerSpec, when: str, sex: str) -> pd.DataFrame:
            return layer_figures(frames, spec, period=when, sex=sex, taxonomy=taxonomy,
                                 settings=settings)
    for spec in specs.values():
        if spec.kind == "coverage":
            continue
        have = periods(frames, spec)
        at = [p for p in have if p <= str(period)] or []
        if not at:
            continue
        when = at[-1]
        figs = {s: figures(spec, when, s) for s in ("T", "K", "M")}
        found += _above(frames, spec, figs, area_id, county, when, name, taxonomy, settings,
                        lang)
        found += _rise(figures, spec, figs["T"], have, area_id, when, name, settings, lang)
        gap = _gap(spec, figs, area_id, when, name, settings, lang)
        found += gap or _pooled_gap(frames, spec, area_id, when, name, settings, lang)
    found += _unreported(frames, specs, figures, area_id, period, name, county, lang)
    found += _coverage(frames, specs, taxonomy, settings, area_id, period, name, lang)
    return sorted(found, key=lambda f: -f.strength)


def _what(spec: LayerSpec, lang: str = "sv") -> str:
    return spec.title(lang).split(" per ")[0].split(" (")[0]


def _tr(lang: str, sv: str, en: str) -> str:
    return en if lang == "en" else sv


def _shown(row: dict) -> str:
    return str(row["display"])


def _interval(row: dict, spec: LayerSpec, lang: str = "sv") -> str:
    unit = "%" if spec.unit == "percent" else f"per {_num(spec.per, 0)}"
    return (f"{_tr(lang, '95 % KI', '95% CI')} {_num(float(row['ci_low']))}–"
            f"{_num(float(row['ci_high']))} {unit}")


def _above(frames: Frames, spec: LayerSpec, figs: dict[str, pd.DataFrame], area_id: str,
           county: str | None, period: str, name: str, taxonomy: Taxonomy,
           settings: Settings, lang: str) -> list[Finding]:
    out = []
    for sex in ("T", "K", "M"):
        mine = _row(figs[sex], area_id)
        if mine is None or pd.isna(mine["ci_low"]):
            continue
        refs = []
        if county:
            ref = _row(figs[sex], county)
            if ref is not None:
                refs.append(("above_county", _tr(lang, "länet", "the county"),
                             float(ref["value"]), _shown(ref),
                             str(ref["source"])))
        nat = national_figure(frames, spec, period=period, sex=sex, taxonomy=taxonomy,
                              settings=settings)
        if nat is not None and nat.get("value") is not None and not pd.isna(nat["value"]):
            refs.append(("above_riket", _tr(lang, "riket", "Sweden"), float(nat["value"]),
                         str(nat["display"]),
                         str(nat.get("source") or "")))
        for kind, where, value, display, source in refs:
            if sex != "T" and f"{kind}:{spec.id}:{period}:T" in {f.id for f in out}:
                continue  # the total says it already; a K/M line only where the total does not
            if float(mine["ci_low"]) > value:
                who = _tr(lang, f" bland {_sex_word(sex)}",
                          f" among {'women' if sex == 'K' else 'men'}") if sex != "T" else ""
                ratio = float(mine["value"]) / value if value else float("inf")
                out.append(Finding(
                    id=f"{kind}:{spec.id}:{period}:{sex}", kind=kind, layer=spec.id,
                    title=_tr(lang, f"{_what(spec)}{who} i {name} ligger över {where} {period}",
                              f"{_what(spec, lang)}{who} in {name} is above {where}, {period}"),
                    evidence=(f"{name}: {_shown(mine)} ({_interval(mine, spec, lang)}); {where}: "
                              f"{display}. " + _tr(lang, f"Hela intervallet ligger över {where}s "
                                                   "värde.", f"The whole interval lies above "
                                                   f"the value of {where}.")),
                    strength=2.0 + min(ratio, 5.0) + (0.5 if sex == "T" else 0.0),
                    sources=tuple(s for s in (str(mine["source"]), source) if s)))
    return out


def _rise(figures: FiguresOf, spec: LayerSpec, figs: pd.DataFrame, have: list[str],
          area_id: str, period: str, name: str, settings: Settings,
          lang: str) -> list[Finding]:
    if period not in have or have.index(period) == 0:
        return []
    before = have[have.index(period) - 1]
    old = figures(spec, before, "T")
    mine = [f[f["area_id"].astype(str) == str(area_id)] for f in (old, figs)]
    if not len(mine[0]) or not len(mine[1]):
        return []
    try:
        table = change_table(mine[0], mine[1], settings=settings)
    except ValueError:
        return []  # smoothed or untestable figures
    if not len(table) or table["verdict"].iloc[0] != VERDICTS["up"][0]:
        return []
    row = table.iloc[0]
    return [Finding(
        id=f"rise:{spec.id}:{period}:T", kind="rise", layer=spec.id,
        title=_tr(lang, f"{_what(spec)} i {name} har ökat från {before} till {period}",
                  f"{_what(spec, lang)} in {name} has risen from {before} to {period}"),
        evidence=(f"{before}: {row['display_from']}; {period}: {row['display_to']}; "
                  f"{row['display']}. " + _tr(lang, "Ökningen är större än slumpen ger.",
                                              "The increase is larger than chance gives.")),
        strength=2.5, sources=(str(mine[1]["source"].iloc[0]),))]


def _gap(spec: LayerSpec, figs: dict[str, pd.DataFrame], area_id: str, period: str,
         name: str, settings: Settings, lang: str) -> list[Finding]:
    women, men = _row(figs["K"], area_id), _row(figs["M"], area_id)
    if women is None or men is None:
        return []
    if spec.unit == "percent":
        if pd.isna(women["n"]) or pd.isna(men["n"]):
            return []
        test = share_change(float(men["value"]) / 100, float(men["n"]),
                            float(women["value"]) / 100, float(women["n"]),
                            confidence=settings.confidence)
        beyond = test.p_value < 1 - settings.confidence and (test.ci_low > 0 or test.ci_high < 0)
        size = f"{_num(abs(100 * test.estimate))} {_tr(lang, 'procentenheter', 'percentage points')}"
    else:
        if pd.isna(women["count"]) or pd.isna(men["count"]) or not (
                women["denominator"] and men["denominator"]):
            return []
        test = rate_change(int(men["count"]), float(men["denominator"]), int(women["count"]),
                           float(women["denominator"]), confidence=settings.confidence)
        beyond = test.p_value < 1 - settings.confidence and (test.ci_low > 1 or test.ci_high < 1)
        size = f"{_tr(lang, 'kvot kvinnor/män', 'ratio women/men')} {_num(test.estimate, 2)}"
    if not beyond:
        return []
    women_higher = float(women["value"]) > float(men["value"])
    higher, lower = ("kvinnor", "män") if women_higher else ("män", "kvinnor")
    higher_en, lower_en = ("women", "men") if women_higher else ("men", "women")
    return [Finding(
        id=f"gap_sex:{spec.id}:{period}:KM", kind="gap_sex", layer=spec.id,
        title=_tr(lang, f"{_what(spec)} i {name}: högre bland {higher} än bland {lower} {period}",
                  f"{_what(spec, lang)} in {name}: higher among {higher_en} than among "
                  f"{lower_en}, {period}"),
        evidence=(_tr(lang, "Kvinnor", "Women") + f": {_shown(women)}; "
                  + _tr(lang, "män", "men") + f": {_shown(men)} ({size}). "
                  + _tr(lang, "Skillnaden är större än slumpen ger.",
                        "The difference is larger than chance gives.")),
        strength=2.0, sources=(str(women["source"]),))]


def _pooled_gap(frames: Frames, spec: LayerSpec, area_id: str, period: str, name: str,
                settings: Settings, lang: str) -> list[Finding]:
    """The women–men gap of a survey indicator over the three survey years ending with
    `period` (`survey_pooling`), where the single year shows none: a small kommun's women and
    men are often hidden in one year and shown pooled (Vilhelmina's young women)."""
    if spec.kind != "indicator" or not spec.indicator or str(area_id).startswith("grupp:"):
        return []
    from lagesbild.analysis.survey_pooling import pooled_figures, pooled_periods, window_label

    if period not in pooled_periods(frames, spec.indicator):
        return []
    figs = {s: pooled_figures(frames, spec.indicator, end=period, sex=s, settings=settings)
            for s in ("K", "M")}
    span = f"{window_label(period)} {_tr(lang, 'sammantaget', 'pooled')}"
    return [Finding(id=f"gap_sex_pooled:{spec.id}:{period}:KM", kind=f.kind, layer=f.layer,
                    title=f.title, strength=f.strength, sources=f.sources,
                    evidence=f.evidence + " " + _tr(
                        lang, "Tre enkätår sammanvägda (Σ ja / Σ svarande).",
                        "Three survey years pooled (Σ yes / Σ respondents)."))
            for f in _gap(spec, figs, area_id, span, name, settings, lang)]


def _unreported(frames: Frames, specs: dict[str, LayerSpec], figures: FiguresOf,
                area_id: str, period: str, name: str, county: str | None,
                lang: str) -> list[Finding]:
    """A survey layer above the county beyond chance where no reported-crime layer of the same
    pyramid level is: the survey shows what the registers do not."""
    if not county:
        return []
    out = []
    for spec in specs.values():
        if spec.kind != "indicator" or spec.pyramid_level is None:
            continue
        level = int(spec.pyramid_level)
        reported = [s for s in specs.values() if s.kind in ("count_rate", "incident_rate")
                    and s.pyramid_level is not None and int(s.pyramid_level) == level]
        have = [p for p in periods(frames, spec) if p <= str(period)]
        if not have or not reported:
            continue
        when = have[-1]
        figs = figures(spec, when, "T")
        mine, ref = _row(figs, area_id), _row(figs, county)
        if mine is None or ref is None or not float(mine["ci_low"]) > float(ref["value"]):
            continue
        quiet = []
        for other in reported:
            theirs = [p for p in periods(frames, other) if p <= str(period)]
            if not theirs:
                continue
            rates = figures(other, theirs[-1], "T")
            k, c = _row(rates, area_id), _row(rates, county)
            if k is not None and c is not None and not float(k["ci_low"]) > float(c["value"]):
                quiet.append(f"{_what(other)}: {_shown(k)} (länet {_shown(c)})")
        if quiet and len(quiet) == len([o for o in reported if periods(frames, o)]):
            out.append(Finding(
                id=f"unreported:{spec.id}:{when}:T", kind="unreported", layer=spec.id,
                title=_tr(lang, f"{_what(spec)} i {name} ligger över länet, men de anmälda "
                                "brotten gör det inte",
                          f"{_what(spec, lang)} in {name} is above the county, but reported "
                          "crime is not"),
                evidence=(_tr(lang, "Enkäten", "The survey") + f": {_shown(mine)} "
                          f"({_interval(mine, spec, lang)}); " + _tr(lang, "länet", "county")
                          + f" {_shown(ref)}. " + _tr(lang, "Anmälda brott på samma nivå i "
                                                       "pyramiden", "Reported crime at the same "
                                                       "level of the pyramid")
                          + f": {'; '.join(quiet)}."),
                strength=3.0, sources=(str(mine["source"]),)))
    return out


def _coverage(frames: Frames, specs: dict[str, LayerSpec], taxonomy: Taxonomy,
              settings: Settings, area_id: str, period: str, name: str,
              lang: str) -> list[Finding]:
    from lagesbild.analysis.need import coverage_need

    cov_spec = next((s for s in specs.values() if s.kind == "coverage"), None)
    if cov_spec is None:
        return []
    terms = [p for p in periods(frames, cov_spec) if p[2:] <= str(period)[:4]]
    need = [s for s in specs.values() if s.kind in ("count_rate", "incident_rate")
            and s.pyramid_level is not None and int(s.pyramid_level) == 3]
    if not terms or not need:
        return []
    term = terms[-1]
    table = coverage_need(frames, term=term, need=need, need_period=None, layers=specs,
                          taxonomy=taxonomy, settings=settings, require_all=False)
    mine = table[table["area_id"].astype(str) == str(area_id)]
    if not len(mine):
        return []
    row = mine.iloc[0]
    if pd.isna(row["coverage_pct"]) or pd.isna(row["need_pct"]):
        return []
    if float(row["coverage_pct"]) < LOW_COVERAGE and float(row["need_pct"]) > 50:
        return [Finding(
            id=f"coverage:{term}", kind="coverage", layer="",
            title=_tr(lang, f"Förebyggande program når få elever i {name} där behovet är stort",
                      f"Prevention programmes reach few pupils in {name} where need is high"),
            evidence=_tr(lang, f"{term}: {_num(float(row['coverage_pct']))} % av eleverna i "
                         f"målgruppen nås ({int(row['pupils_reached'])} av "
                         f"{int(row['eligible_pupils'])}); behovet ligger på percentil "
                         f"{_num(float(row['need_pct']), 0)} i länet.",
                         f"{term}: {_num(float(row['coverage_pct']))}% of the target group "
                         f"reached ({int(row['pupils_reached'])} of {int(row['eligible_pupils'])});"
                         f" need at percentile {_num(float(row['need_pct']), 0)} in the county."),
            strength=1.5)]
    return []
