"""The report's pooled survey line: where a kommun's women's or men's share of a survey
indicator is hidden in the report's year but shown over the three survey years ending with it
(`analysis.survey_pooling`, protected and in the release audit), the kartläggning gets a line
"Otrygghet …, 2022–2024 sammantaget: kvinnor 27,7 % (n=101), män 8,4 % (n=131)" and a table
of the kommun's and the county's pooled K/M/T shares."""

from __future__ import annotations

import pandas as pd

from lagesbild.core.i18n import t
from lagesbild.core.layers import LayerSpec
from lagesbild.report.build_context import Context, rounded
from lagesbild.report.model import Table

SEXES = ("K", "M", "T")


def _hidden(figs: pd.DataFrame, area_id: str) -> bool | None:
    """Whether the area's row is hidden (None: no row)."""
    row = figs[figs["area_id"].astype(str) == area_id]
    return None if not len(row) else bool(row["suppressed"].iloc[0])


def pooled_line(ctx: Context, spec: LayerSpec, period: str, paras: list[str],
                tables: list[Table]) -> None:
    """Append the pooled line and table for `spec` at `period` when the pooled window gives
    back a K or M share the single year hides (module docstring); nothing otherwise."""
    from lagesbild.analysis.survey_pooling import pooled_figures, pooled_periods, window_label

    if spec.kind != "indicator" or ctx.is_county or not spec.indicator:
        return
    if str(period) not in pooled_periods(ctx.frames, spec.indicator):
        return
    pooled = {s: pooled_figures(ctx.frames, spec.indicator, end=str(period), sex=s,
                                settings=ctx.settings) for s in SEXES}
    gained = [s for s in ("K", "M") if _hidden(ctx.figures(spec, period, s), ctx.area_id)
              and _hidden(pooled[s], ctx.area_id) is False]
    if not gained:
        return
    span = ctx.display(f"{window_label(str(period))} sammantaget")
    own = [f"{ctx.sex(s).lower()} {_value(ctx, pooled[s], ctx.area_id)}" for s in ("K", "M")]
    county = [f"{ctx.sex(s).lower()} {_value(ctx, pooled[s], ctx.county_id)}"
              for s in ("K", "M")] if ctx.county_id else []
    title = spec.title(ctx.lang).rstrip(".")
    who = " och ".join(ctx.sex(s).lower() for s in gained)
    who_en = " and ".join(ctx.sex(s).lower() for s in gained)
    text = f"{title}, {span}: {ctx.area_name} {', '.join(own)}"
    if county:
        text += f" ({ctx.tr('länet', 'county')} {', '.join(county)})"
    paras.append(text + ctx.tr(
        f". Andelen för {who} är dold för {period} ensamt; tre enkätår sammanvägda, skyddade "
        "och granskade tillsammans med de enskilda åren.",
        f". The share for {who_en} is hidden for {period} alone; three survey years combined, "
        "protected and audited together with the single years."))
    areas = [a for a in (ctx.area_id, ctx.county_id) if a]
    rows = pd.concat([pooled[s][pooled[s]["area_id"].astype(str) == a] for a in areas
                      for s in SEXES], ignore_index=True)
    frame = pd.DataFrame({
        t("area", ctx.lang): rows["name"].astype(str),
        t("sex", ctx.lang): [ctx.sex(s) for s in rows["sex"]],
        t("value", ctx.lang): [ctx.display(d) for d in rows["display"]],
        ctx.tr("Värde (tal)", "Value (number)"): rounded(rows["value"]),
        ctx.tr("95 % KI, från", "95% CI, from"): rounded(rows["ci_low"]),
        ctx.tr("95 % KI, till", "95% CI, to"): rounded(rows["ci_high"]),
        t("respondents", ctx.lang): pd.to_numeric(rows["n"]).astype("Int64"),
        t("source", ctx.lang): [ctx.cite(s) for s in rows["source"]]})
    note = ctx.tr("Ja-svar och svarande summerade över åren; Wilsons intervall.",
                  "Yes answers and respondents summed over the years; Wilson intervals.") + \
        " " + ctx.suppression_note()
    tables.append(ctx.table(f"{title}, {span}", frame, note=note,
                            source_col=t("source", ctx.lang)))


def _value(ctx: Context, figs: pd.DataFrame, area_id: str | None) -> str:
    row = figs[figs["area_id"].astype(str) == str(area_id)]
    return ctx.display(row["display"].iloc[0]) if len(row) else "–"
