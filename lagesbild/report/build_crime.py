"""The kartläggning's compact table "Brottslighet i stort": Brå's main groups of crime beyond the
violence pyramid (the law 2023:196 covers crime in general), one row per group.

Each row: the area's rate per 100 000 with its interval, the county and riket beside it, where
the area lies against the county's reference band, and the change since the previous period
tested against chance. The figures are the crime-group layers' protected `layer_figures` (each
group's count is a sum of the protected count cube's cells: `analysis.crime_groups`); the groups
get no map, trend and ranking of their own in the report unless asked for (`--layers`), so the
violence pyramid stays the report's core.
"""

from __future__ import annotations

import pandas as pd

from lagesbild.analysis.change import change_table
from lagesbild.analysis.references import BAND_LABELS, band_position, reference_band
from lagesbild.core.i18n import t
from lagesbild.core.layers import LayerSpec
from lagesbild.report.build_context import Context, area_value, rounded
from lagesbild.report.model import Table


def crime_specs(ctx: Context) -> list[LayerSpec]:
    """The crime-group layers with data, in display order."""
    return [s for s in ctx.specs.values() if s.crime_group and ctx.layer_period(s)]


def crime_overview(ctx: Context, paras: list[str], tables: list[Table]) -> None:
    """Append the table "Brottslighet i stort" and one sentence on it (nothing without data)."""
    specs = crime_specs(ctx)
    if not specs:
        return
    rows = [_row(ctx, spec) for spec in specs]
    frame = pd.DataFrame(rows)
    above = [r["_title"] for r in rows if r["_position"] == "above"]
    up = [r["_title"] for r in rows if r["_verdict"] == "up"]
    text = ctx.tr(
        f"Brottslighet i stort, {ctx.area_name}: {len(rows)} huvudgrupper av anmälda brott "
        "utöver våldet (Brås indelning), per 100 000 invånare med 95 % konfidensintervall, "
        "jämförda med länet och riket och med föregående period.",
        f"Crime in general, {ctx.area_name}: {len(rows)} main groups of reported crime beyond "
        "violence (Brå's grouping), per 100,000 inhabitants with 95% confidence intervals, "
        "compared with the county and Sweden and with the previous period.")
    if above:
        text += f" {BAND_LABELS[ctx.lang]['above'].capitalize()}: {', '.join(above)}."
    if up:
        text += ctx.tr(f" Ökning utöver slumpen: {', '.join(up)}.",
                       f" Increase beyond chance: {', '.join(up)}.")
    paras.append(text)
    shown = frame.drop(columns=[c for c in frame.columns if c.startswith("_")])
    tables.append(ctx.table(
        ctx.tr(f"Brottslighet i stort: {ctx.area_name}", f"Crime in general: {ctx.area_name}"),
        shown, note=ctx.tr(
            "Anmälda brott per huvudgrupp (kategorierna i layers/brottsgrupper.toml). En grupp "
            "visas bara där alla dess kategorier visas i pyramidens tabell; annars '..'. "
            "Läge: mot länets kommuners mittersta hälft, hela intervallet utanför. Förändring: mot föregående period, "
            "prövad mot slumpen.",
            "Reported crime per main group (the categories in the crime-group file in layers/). A "
            "group is shown only where all its categories are shown in the pyramid's table; "
            "else '..'. Position: against the county's municipalities (reference band). Change: "
            "against the previous period, tested against chance."),
        source_col=t("source", ctx.lang)))


def _row(ctx: Context, spec: LayerSpec) -> dict[str, object]:
    period = str(ctx.layer_period(spec))
    figs = ctx.figures(spec, period, "T")
    group = _group_title(ctx, spec)
    mine = figs[figs["area_id"].astype(str) == ctx.area_id]
    value = mine["value"] if len(mine) else pd.Series([pd.NA], dtype="Float64")
    low = mine["ci_low"] if len(mine) else value
    high = mine["ci_high"] if len(mine) else value
    position = None
    if not ctx.is_county and len(mine):
        band = reference_band(figs, county_id=ctx.county_id)
        position = band_position(value.iloc[0], band, low.iloc[0], high.iloc[0])
    nat = ctx.national(spec, period)
    verdict_key, verdict = _change(ctx, spec, period, figs)
    return {
        ctx.tr("Huvudgrupp", "Main group"): group,
        t("period", ctx.lang): period,
        t("value", ctx.lang): area_value(ctx, figs, ctx.area_id),
        ctx.tr("Värde (tal)", "Value (number)"): rounded(value).iloc[0],
        ctx.tr("95 % KI, från", "95% CI, from"): rounded(low).iloc[0],
        ctx.tr("95 % KI, till", "95% CI, to"): rounded(high).iloc[0],
        ctx.tr("Länet", "County"): area_value(ctx, figs, ctx.county_id)
        if not ctx.is_county else "–",
        ctx.tr("Riket", "Sweden"): "–" if nat is None else ctx.display(nat["display"]),
        t("band", ctx.lang): BAND_LABELS[ctx.lang].get(position or "", ""),
        ctx.tr("Förändring", "Change"): verdict,
        t("source", ctx.lang): str(mine["source"].iloc[0]) if len(mine) else "",
        "_title": group, "_position": position, "_verdict": verdict_key,
    }


def _group_title(ctx: Context, spec: LayerSpec) -> str:
    from lagesbild.core.crime_groups import FILE, load_crime_groups

    path = ctx.settings.layers_dir / FILE
    try:
        return load_crime_groups(path).get(str(spec.crime_group)).title(ctx.lang)
    except (FileNotFoundError, KeyError):
        return spec.title(ctx.lang)


def _change(ctx: Context, spec: LayerSpec, period: str, figs: pd.DataFrame
            ) -> tuple[str, str]:
    """(key, text) of the change since the previous period for the area, total."""
    found = ctx.periods(spec)
    if period not in found or found.index(period) == 0:
        return "", ctx.tr("ingen tidigare period", "no earlier period")
    before = found[found.index(period) - 1]
    a = ctx.figures(spec, before, "T")
    pick = [f[f["area_id"].astype(str) == ctx.area_id] for f in (a, figs)]
    if not len(pick[0]) or not len(pick[1]):
        return "", "–"
    table = change_table(pick[0], pick[1], settings=ctx.settings,
                         dispersion=ctx.dispersion(spec))
    if not len(table):
        return "", "–"
    row = table.iloc[0]
    key = ("up" if row["verdict"] == "ökning utöver slumpen" else
           "down" if row["verdict"] == "minskning utöver slumpen" else "")
    verdict = str(row["verdict_en" if ctx.en else "verdict"])
    return key, f"{before}–{period}: {verdict}"
