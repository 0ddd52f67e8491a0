"""Våldspyramid: three levels for a kommun or the county and a period, split K/M/T."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lagesbild.analysis.darkfigure import caveats, reported_categories, reporting_ratio
from lagesbild.analysis.events import EventCounts, event_counts, lan_only_note
from lagesbild.analysis.events import caveat as event_caveat
from lagesbild.analysis.events import years as event_years
from lagesbild.analysis.pyramid_view import PyramidView, pyramid_view
from lagesbild.core.i18n import sex_label, t
from lagesbild.core.settings import Settings
from lagesbild.core.taxonomy import ALL, Taxonomy
from lagesbild.render.escape import esc
from lagesbild.ui import cited, common, period_ui, pyramid_age, release_guard
from lagesbild.ui import shown as fmt

COLORS = {3: "#b2182b", 2: "#ef8a62", 1: "#fddbc7"}
WIDTHS = {3: 45, 2: 70, 1: 95}


@st.cache_data(max_entries=256, show_spinner=False, hash_funcs=common.FAST_HASH)
def _view(key: str, path: str, area_id: str, period: str, source: str, settings: Settings,
          stamp: float) -> PyramidView:
    frames = common.frames_for(key, path)
    _, taxonomy, meta = common._specs(str(settings.layers_dir), stamp)
    return pyramid_view(frames, taxonomy, meta, area_id=area_id, period=period, source=source,
                        settings=settings)


@st.cache_data(max_entries=256, show_spinner=False, hash_funcs=common.FAST_HASH)
def _dark_figure(key: str, path: str, indicator_id: str, period: str, source: str,
                 settings: Settings, stamp: float) -> pd.DataFrame:
    frames = common.frames_for(key, path)
    _, taxonomy, meta = common._specs(str(settings.layers_dir), stamp)
    return reporting_ratio(frames, indicator_id, period=period, taxonomy=taxonomy,
                           settings=settings, indicator_meta=meta, source=source)


def _dark_rows(key: str, path: str, level_indicators: list[str], area_id: str, period: str,
               source: str, settings: Settings, stamp: float, lang: str) -> pd.DataFrame | None:
    """The reporting ratio (reported offences per estimated victim) for the level's survey
    items; None when none of them has reported categories."""
    _, _, meta = common._specs(str(settings.layers_dir), stamp)
    items = [i for i in level_indicators if reported_categories(meta, i)]
    if not items:
        return None
    rows = []
    for item in items:
        table = _dark_figure(key, path, item, period, source, settings, stamp)
        mine = table[table["area_id"] == area_id]
        title = meta.get(item, {}).get("title_en" if lang == "en" else "title_sv", item)
        for _, r in mine.iterrows():
            rows.append({t("indicator", lang): title, t("sex", lang): sex_label(r["sex"], lang),
                         t("dark_figure_ratio", lang): r["display_en" if lang == "en"
                                                         else "display"]})
    return pd.DataFrame(rows)


@st.cache_data(max_entries=1024, show_spinner=False, hash_funcs=common.FAST_HASH)
def _page(key: str, path: str, area_id: str, period: str, source: str, settings: Settings,
          stamp: float, lang: str) -> dict:
    """The pyramid's html and every table of the page for one area, period and source."""
    view = _view(key, path, area_id, period, source, settings, stamp)
    _, taxonomy, _ = common._specs(str(settings.layers_dir), stamp)
    out: dict = {"html": _pyramid_html(view, taxonomy, lang), "source": view.source_label,
                 "part_year": view.part_year,
                 "counts": {0: _category_table(view, 0, lang)}, "dark": {}, "items": {}}
    for level in taxonomy.levels:
        if level.level in (2, 3):
            out["counts"][level.level] = _category_table(view, level.level, lang)
            out["dark"][level.level] = _dark_rows(key, path, list(level.indicators), area_id,
                                                  period, source, settings, stamp, lang)
        inds = view.indicators[view.indicators["level"] == level.level]
        out["items"][level.level] = None if not len(inds) else pd.DataFrame({
            t("indicator", lang): inds["title_en" if lang == "en" else "title_sv"],
            t("sex", lang): [sex_label(s, lang) for s in inds["sex"]],
            t("value", lang): inds["display"],  # Swedish: common.table translates once
            t("interval", lang): [
                "" if pd.isna(lo) else f"{fmt.number(lo, 1)}–{fmt.number(hi, 1)} %"
                for lo, hi in zip(inds["ci_low"], inds["ci_high"])],
        })
    return out


def _pyramid_html(view: PyramidView, taxonomy: Taxonomy, lang: str) -> str:
    blocks = []
    for level in taxonomy.levels:
        title = level.title_en if lang == "en" else level.title_sv
        if level.level in (2, 3):
            total = view.counts[(view.counts["level"] == level.level) & (view.counts["category"] == ALL)]
            figures = " · ".join(
                f"{esc(sex_label(r['sex'], lang))}: {esc(fmt.text(r['display'], lang))}" for _, r in total.iterrows())
        else:
            base = view.indicators[(view.indicators["level"] == 1) & (view.indicators["sex"] == "T")]
            figures = " · ".join(f"{esc(r['title_en'] if lang == 'en' else r['title_sv'])}: "
                                 f"{esc(fmt.text(r['display'], lang))}"
                                 for _, r in base.iterrows()) or esc(t("no_survey", lang))
        color = "#fff" if level.level == 3 else "#222"
        blocks.append(
            f"<div style='width:{WIDTHS[level.level]}%;margin:4px auto;padding:10px;text-align:center;"
            f"background:{COLORS[level.level]};color:{color};border-radius:4px'>"
            f"<div style='font-weight:600'>{esc(title)}</div>"
            f"<div style='font-size:0.85em'>{esc(level.description_en if lang == 'en' else level.description_sv)}</div>"
            f"<div style='margin-top:4px'>{figures}</div></div>")
    return "".join(blocks)


def _category_table(view: PyramidView, level: int, lang: str) -> pd.DataFrame:
    part = view.counts[view.counts["level"] == level]
    wide = part.pivot_table(index="category", columns="sex", values="display", aggfunc="first")
    total = part[part["sex"] == "T"].set_index("category")
    rate_t = total["rate"]
    interval = [("" if pd.isna(lo) or pd.isna(hi) else
                 f"{fmt.number(lo, 1)}–{fmt.number(hi, 1)}")
                for lo, hi in zip(total["ci_low"].reindex(wide.index),
                                  total["ci_high"].reindex(wide.index))]
    out = pd.DataFrame({
        t("count", lang) + f" ({sex_label('K', lang)})": wide.get("K"),
        t("count", lang) + f" ({sex_label('M', lang)})": wide.get("M"),
        t("count", lang) + f" ({sex_label('T', lang)})": wide.get("T"),
        t("rate", lang): rate_t.reindex(wide.index).map(
            lambda v: "" if pd.isna(v) else fmt.number(v, 1)),
        t("interval", lang): interval,
    })
    out.index = [t("total_row", lang).upper() if c == ALL else c for c in out.index]
    order = [i for i in out.index if i == t("total_row", lang).upper()] + \
        [i for i in out.index if i != t("total_row", lang).upper()]
    return out.loc[order].reset_index(names=t("category", lang))


def render(ctx: common.Context) -> None:
    st.title(ctx.t("page_pyramid"))
    if not common.require_workspace(ctx):
        return
    _, taxonomy, _ = common.specs(ctx)
    areas = _areas(ctx.key, ctx.location)
    c1, c2, c3 = st.columns([2, 2, 1])
    area_id = c1.selectbox(ctx.t("area"), areas, key="pyr_area",
                           format_func=common.area_name(ctx))
    source = c2.radio(ctx.t("pyramid_source"), ["counts", "incidents"], key="pyr_source",
                      horizontal=True, format_func=lambda s: ctx.t(f"src_{s}"))
    available = common.fact(ctx, "count_periods", source)
    if not available:
        st.info(ctx.t("no_data"))
        return
    if st.session_state.get("pyr_period") not in available:
        st.session_state["pyr_period"] = period_ui.opening(
            ctx, available, "count_rate" if source == "counts" else "incident_rate")
    period = c3.selectbox(ctx.t("period"), available, key="pyr_period",
                          format_func=lambda p: common.period_label(ctx, None, p)
                          if source == "incidents" else p)
    release_guard.guard(ctx, period)
    stamp = max((p.stat().st_mtime for p in ctx.settings.layers_dir.glob("*.toml")), default=0.0)
    shown = _page(ctx.key, ctx.location, area_id, period, source, ctx.settings, stamp,
                  ctx.lang)
    st.markdown(shown["html"], unsafe_allow_html=True)
    if shown.get("part_year"):
        st.warning(ctx.t("pyramid_part_year", period=period, days=shown["part_year"]))
    cited.caption(ctx, shown["source"], after=". " + ctx.suppression_note())
    for level in taxonomy.levels:
        title = level.title_en if ctx.lang == "en" else level.title_sv
        with st.expander(title, expanded=level.level == 3):
            if level.level in (2, 3):
                common.table(shown["counts"][level.level])
                dark = shown["dark"][level.level]
                if dark is not None:
                    st.markdown(f"**{ctx.t('dark_figure')}**")
                    common.table(dark)
                    # expanders cannot nest: the caveats are a caption list under the table
                    st.caption(ctx.t("dark_figure_hidden") + " " + ctx.t("dark_figure_caveats")
                               + ": " + " ".join(caveats(lang=ctx.lang)))
            items = shown["items"][level.level]
            if items is not None:
                st.markdown(f"**{ctx.t('survey_items')}**")
                common.table(items)
            elif level.level == 1:
                st.info(ctx.t("no_survey"))
    with st.expander(ctx.t("outside")):
        common.table(shown["counts"][0])
    pyramid_age.age_expander(ctx, area_id, period, source, stamp)
    _events(ctx, area_id, period)
    common.warm(ctx, lambda: _plan(ctx, areas, area_id, source, period, available, stamp))


@st.cache_data(max_entries=64, show_spinner=False)
def _event_counts(key: str, path: str, area_id: str, year: str) -> EventCounts:
    return event_counts(common.frames_for(key, path), area_id=area_id, year=year)


def _events(ctx: common.Context, area_id: str, period: str) -> None:
    """Polisen's notices of the area and year, per type and month: public notices, labelled
    as such, never crime statistics (analysis.events)."""
    frames = common.frames(ctx)
    if not len(frames.events) or str(period)[:4] not in event_years(frames):
        return
    found = _event_counts(ctx.key, ctx.location, area_id, str(period)[:4])
    with st.expander(ctx.t("events_title", n=found.total, year=found.year)):
        st.warning(event_caveat(ctx.lang))
        table = found.by_type.rename(columns={"type": ctx.t("event_type"),
                                              "count": ctx.t("event_count")})
        common.table(table)
        extra = lan_only_note(found, ctx.lang)
        cited.caption(ctx, found.sources, after=f". {found.first}–{found.last}. {extra}")


def _plan(ctx: common.Context, areas: list[str], area_id: str, source: str, period: str,
          available: list[str], stamp: float):  # noqa: ANN202 - a generator of warming jobs
    """The pyramids one change away: the area's other periods, the areas next to it in the
    list, every area in this period (the most inhabitants first), the other source."""
    path = ctx.location

    def jobs(area: str, when: str, src: str):  # noqa: ANN202
        yield ("pyr", ctx.lang, area, when, src), lambda: _page(
            ctx.key, path, area, when, src, ctx.settings, stamp, ctx.lang)

    at = areas.index(area_id) if area_id in areas else 0
    near = [a for a in areas[max(at - 2, 0):at + 3] if a != area_id]
    states = [(area_id, p, source) for p in available]
    states += [(a, period, source) for a in [*near, *_by_size(ctx.key, path)]]
    states += [(area_id, p, other) for other in ("counts", "incidents") if other != source
               for p in common.fact(ctx, "count_periods", other)]
    for state in dict.fromkeys(states):
        yield from jobs(*state)


@st.cache_data(max_entries=4, show_spinner=False)
def _areas(key: str, path: str) -> list[str]:
    """The counties, then the kommuner by name."""
    frames = common.frames_for(key, path)
    return list(frames.lan["area_id"]) + list(frames.kommuner.sort_values("name")["area_id"])


@st.cache_data(max_entries=4, show_spinner=False)
def _by_size(key: str, path: str) -> list[str]:
    """Counties and kommuner, the most inhabitants first (a county counts its kommuner)."""
    frames = common.frames_for(key, path)
    people = frames.population.groupby("area_id")["population"].sum()
    kommuner = frames.kommuner.assign(people=frames.kommuner["area_id"].map(people).fillna(0))
    lan = kommuner.groupby("parent_id")["people"].sum()
    size = {**dict(zip(kommuner["area_id"], kommuner["people"])),
            **{a: lan.get(a, 0) for a in frames.lan["area_id"]}}
    return sorted(size, key=lambda a: (-size[a], a))


if __name__ == "__main__":  # run as a page by st.navigation
    render(common.context())
