"""The violence pyramid's top and middle levels per age group of the victim, as a display table:
the pyramid page's expander "Efter ålder" and the report's table share it. The cells come from
`analysis.age.pyramid_by_age` (protected together: age groups add up to all ages, K + M to T)."""

from __future__ import annotations

import pandas as pd

from lagesbild.analysis.age import pyramid_by_age
from lagesbild.core.age import ALL_AGES, UNKNOWN
from lagesbild.core.frames import Frames
from lagesbild.core.i18n import sex_label, t
from lagesbild.core.settings import Settings
from lagesbild.core.taxonomy import Taxonomy
from lagesbild.report.english import to_english


def has_ages(frames: Frames, source: str) -> bool:
    """Whether the police extract ("incidents") or the reported-crime table ("counts") of the
    workspace carries age groups."""
    if source == "counts":
        return bool(len(frames.incident_counts_age))
    return bool(frames.incident_cube["age_group"].notna().any())  # the cube, not the rows


def age_rows(frames: Frames, taxonomy: Taxonomy, settings: Settings, *, area_id: str,
             period: str, lang: str = "sv", source: str = "incidents") -> pd.DataFrame | None:
    """Level × age group (then "okänd ålder" and all ages) × K/M/T display texts and the total's
    interval; None when the period's incidents (or the crime table's rows) carry no age."""
    rows = pyramid_by_age(frames, taxonomy, area=area_id, period=period, settings=settings,
                          source=source)
    if rows.empty:
        return None
    titles = {lv.level: lv.title_en if lang == "en" else lv.title_sv for lv in taxonomy.levels}
    labels = {UNKNOWN: t("age_unknown", lang), ALL_AGES: t("age_all", lang)}
    english = to_english if lang == "en" else str
    out = []
    for level in (3, 2):
        part = rows[rows["level"] == level]
        whole = part[(part["age_group"] == ALL_AGES) & (part["sex"] == "T")]
        if not len(whole) or not (pd.to_numeric(whole["count"]).fillna(0) > 0).any():
            continue  # no incident of the level in the extract: no rows of zeros
        for group in pd.unique(part["age_group"]):
            cells = part[part["age_group"] == group].set_index("sex")
            total = cells.loc["T"]
            out.append({
                t("level_word", lang): titles.get(level, str(level)),
                t("age_group", lang): labels.get(str(group), str(group)),
                **{sex_label(s, lang): english(str(cells.loc[s, "display"])) if s in cells.index
                   else "" for s in ("K", "M", "T")},
                t("interval", lang): "" if pd.isna(total["ci_low"]) else
                f"{total['ci_low']:.1f}–{total['ci_high']:.1f}".replace(".", ","),
                t("note_word", lang): english(str(total["note"] or "")),
            })
    return pd.DataFrame(out) if out else None


def age_table(ctx, paras: list[str], tables: list) -> None:  # noqa: ANN001 - report Context
    """The report's tables "Efter ålder" (kartläggning): the pyramid's top and middle levels per
    age group of the victim, from the police extract and from the reported-crime table when
    they carry ages, and the survey's shares by school grade or age (`build_age_survey`)."""
    for source in ("incidents", "counts"):
        if not has_ages(ctx.frames, source):
            continue
        frame = age_rows(ctx.frames, ctx.taxonomy, ctx.settings, area_id=ctx.area_id,
                         period=ctx.period, lang=ctx.lang, source=source)
        if frame is None:
            continue
        police = source == "incidents"
        paras.append(ctx.tr(
            f"Efter ålder, {ctx.area_name} {ctx.period}: pyramidens topp och mitt ur "
            + ("polisens utdrag" if police else "anmälda brott (Brå)")
            + " per brottsoffrets åldersgrupp, per 100 000 invånare i gruppen.",
            f"By age, {ctx.area_name} {ctx.period}: the pyramid's top and middle from the "
            + ("police extract" if police else "reported offences (Brå)")
            + " per age group of the victim, per 100,000 inhabitants of the group."))
        suffix_sv, suffix_en = ("", "") if police else (" (anmälda brott, Brå)",
                                                         " (reported offences, Brå)")
        tables.append(ctx.table(
            ctx.tr(f"Efter ålder{suffix_sv}: {ctx.area_name} {ctx.period}",
                   f"By age{suffix_en}: {ctx.area_name} {ctx.period}"), frame,
            note=t("age_caption" if police else "age_caption_counts", ctx.lang)))
    from lagesbild.report.build_age_survey import survey_age_table

    survey_age_table(ctx, paras, tables)
