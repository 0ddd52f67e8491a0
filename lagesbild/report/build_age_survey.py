"""Survey shares by school grade or age group as a display table: the pyramid page's expander
"Efter ålder" and the report's kartläggning share it. The cells come from
`analysis.age_shares.indicator_by_age` (grades protected together with the indicator's total)."""

from __future__ import annotations

import pandas as pd

from lagesbild.analysis.age_shares import grade_periods, indicator_by_age
from lagesbild.analysis.darkfigure import load_indicator_meta
from lagesbild.core.age import ALL_AGES
from lagesbild.core.frames import Frames
from lagesbild.core.i18n import sex_label, t
from lagesbild.core.settings import Settings
from lagesbild.report.english import to_english


def grade_rows(frames: Frames, settings: Settings, *, area_id: str, lang: str = "sv",
               period: str | None = None) -> pd.DataFrame | None:
    """Indicator × grade or age group (then all ages) × K/M/T display texts, the total's
    interval and note, for each indicator with rows by age: in `period`, or (None, or the
    indicator has none then) its latest such period up to `period`. None when there is none."""
    meta = load_indicator_meta(settings)
    english = to_english if lang == "en" else str
    out = []
    for indicator in sorted(set(frames.indicators_age["indicator_id"].astype(str))):
        periods = [p for p in grade_periods(frames, indicator) if period is None or p <= period]
        if not periods:
            continue
        rows = indicator_by_age(frames, indicator, period=periods[-1], area=area_id,
                                settings=settings)
        if rows[rows["age_group"] != ALL_AGES].empty:
            continue
        title = str(meta.get(indicator, {}).get("title_en" if lang == "en" else "title_sv",
                                                indicator))
        for group in pd.unique(rows["age_group"]):
            cells = rows[rows["age_group"] == group].set_index("sex")
            total = cells.loc["T"] if "T" in cells.index else None
            out.append({
                t("indicator_word", lang): title,
                t("period", lang): periods[-1],
                t("grade_or_age", lang): t("age_all", lang) if group == ALL_AGES else group,
                **{sex_label(s, lang): english(str(cells.loc[s, "display"])) if s in cells.index
                   else "" for s in ("K", "M", "T")},
                t("interval", lang): "" if total is None or total["suppressed"]
                or pd.isna(total["ci_low"]) else
                f"{total['ci_low']:.1f}–{total['ci_high']:.1f}".replace(".", ","),
                t("note_word", lang): "" if total is None else english(str(total["note"] or "")),
            })
    return pd.DataFrame(out) if out else None


def survey_age_table(ctx, paras: list[str], tables: list) -> None:  # noqa: ANN001 - Context
    """The report's table "Enkäter efter årskurs/ålder" when the surveys carry grades or ages."""
    if not len(ctx.frames.indicators_age):
        return
    frame = grade_rows(ctx.frames, ctx.settings, area_id=ctx.area_id, lang=ctx.lang,
                       period=ctx.period)
    if frame is None:
        return
    paras.append(ctx.tr(
        f"Enkäter efter årskurs eller ålder, {ctx.area_name}: andelen per årskurs eller "
        "åldersgrupp bredvid totalen, med antal svarande.",
        f"Surveys by school grade or age, {ctx.area_name}: the share per grade or age group "
        "beside the total, with the number of respondents."))
    tables.append(ctx.table(ctx.tr(f"Enkäter efter årskurs/ålder: {ctx.area_name}",
                                   f"Surveys by school grade/age: {ctx.area_name}"), frame,
                            note=t("age_grades_caption", ctx.lang)))
