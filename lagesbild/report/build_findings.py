"""A figure's finding in one line, for slide titles and as the lead of a figure: what the
existing verdicts already say, never a new test.

- map and ranking of a kommun: its band position in the county (`references.band_position`:
  the whole 95 % interval above or below the county's middle half);
- map and ranking of a county: its interval wholly above or below the riket value;
- trend: the change between the layer's last two periods (`change.change_table`), only when it
  is beyond chance.

No finding gives "" and the writers fall back to the figure's neutral title.
"""

from __future__ import annotations

import re

import pandas as pd

from lagesbild.analysis.change import change_table
from lagesbild.analysis.references import band_position, reference_band
from lagesbild.core.layers import LayerSpec
from lagesbild.report.build_context import Context

_UNIT_TAIL = re.compile(r"\s*(\(%\)|\(\s*procent\s*\)|per 100[\s\u00a0]?000 inv\.?|"
                        r"per 100,000 inhabitants|\(per 100[\s\u00a0,]?000\))\s*$", re.I)


def short_title(ctx: Context, spec: LayerSpec) -> str:
    """The layer's title without its unit ("Anmält grövre våld (pyramidens topp)")."""
    return _UNIT_TAIL.sub("", spec.title(ctx.lang).rstrip(". ")).strip() or spec.title(ctx.lang)


def _row(figs: pd.DataFrame, area_id: str | None) -> pd.Series | None:
    if area_id is None:
        return None
    rows = figs[figs["area_id"].astype(str) == str(area_id)]
    if not len(rows):
        return None
    row = rows.iloc[0]
    hidden = bool(row.get("suppressed")) if pd.notna(row.get("suppressed")) else False
    return None if hidden or pd.isna(row["value"]) else row


def position_finding(ctx: Context, spec: LayerSpec, period: str, figs: pd.DataFrame) -> str:
    """'… i Vilhelmina ligger över länets mittersta hälft 2024', or for a county against
    riket; "" when the area lies within (or cannot be placed)."""
    title = short_title(ctx, spec)
    row = _row(figs, ctx.area_id)
    if row is None:
        return ""
    if ctx.is_county:
        nat = ctx.national(spec, period)
        if not nat or bool(nat.get("suppressed")) or nat.get("value") is None \
                or pd.isna(nat.get("value")):
            return ""
        ref = float(nat["value"])
        low = row["ci_low"] if pd.notna(row["ci_low"]) else row["value"]
        high = row["ci_high"] if pd.notna(row["ci_high"]) else row["value"]
        where = "above" if float(low) > ref else "below" if float(high) < ref else None
        if where is None:
            return ""
        return ctx.tr(f"{title} i {ctx.area_name} ligger {'över' if where == 'above' else 'under'}"
                      f" riket {period}",
                      f"{title} in {ctx.area_name} is {where} Sweden's level, {period}")
    band = reference_band(figs, county_id=ctx.county_id)
    where = band_position(row["value"], band, row["ci_low"], row["ci_high"])
    if where not in ("above", "below"):
        return ""
    return ctx.tr(f"{title} i {ctx.area_name} ligger {'över' if where == 'above' else 'under'} "
                  f"länets mittersta hälft {period}",
                  f"{title} in {ctx.area_name} is {where} the county's middle half, {period}")


def trend_finding(ctx: Context, spec: LayerSpec, upto: list[str]) -> str:
    """'… i Vilhelmina: ökning utöver slumpen 2023–2024', or "" (no change beyond chance, a
    hidden value, a part year, a single period, or coverage: no sampling to test)."""
    if len(upto) < 2 or spec.kind == "coverage":
        return ""
    before, after = (ctx.figures(spec, p, "T") for p in upto[-2:])
    mine = [f[f["area_id"].astype(str) == ctx.area_id] for f in (before, after)]
    if not len(mine[0]) or not len(mine[1]):
        return ""
    try:
        table = change_table(mine[0], mine[1], settings=ctx.settings,
                             dispersion=ctx.dispersion(spec))
    except ValueError:  # a part year against a whole year, or units that differ
        return ""
    hits = table[table["significant"].astype(bool)]
    if not len(hits):
        return ""
    verdict = hits["verdict_en" if ctx.en else "verdict"].iloc[0]
    return ctx.tr(f"{short_title(ctx, spec)} i {ctx.area_name}: {verdict} {upto[-2]}–{upto[-1]}",
                  f"{short_title(ctx, spec)} in {ctx.area_name}: {verdict}, "
                  f"{upto[-2]}–{upto[-1]}")
