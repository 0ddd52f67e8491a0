"""Lägesbild: the samlad bedömning for an area and period — draft findings from the figures,
chosen, edited, ordered and completed by the user, each with its orsaksanalys; saved with the
workspace, they open the report."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lagesbild.analysis.findings import KINDS, draft_findings
from lagesbild.analysis.follow_up import follow_up
from lagesbild.core.errors import LagesbildError
from lagesbild.core.settings import Settings
from lagesbild.store.assessment import CAUSE_FIELDS, Chosen, read_assessment, save_assessment
from lagesbild.ui import cited, common, group_areas, period_ui
from lagesbild.ui import shown as fmt
from lagesbild.ui.report_page import report_periods


@st.cache_data(max_entries=32, show_spinner=False, hash_funcs=common.FAST_HASH)
def _drafts(key: str, path: str, area_id: str, period: str, stamp: float, lang: str,
            settings: Settings, level: str) -> list:
    specs, taxonomy, _ = common.settings_specs(settings, stamp, level)
    frames = common.frames_for(key, path)
    group = _group(frames, area_id)
    if group is not None:
        from lagesbild.analysis.group_findings import group_drafts

        gid, name, members = group
        return group_drafts(frames, specs, taxonomy, settings, gid=gid, name=name,
                            members=members, period=period, lang=lang)
    return draft_findings(frames, specs, taxonomy, settings, area_id=area_id, period=period,
                          lang=lang)


def _group(frames, area_id: str) -> tuple[str, str, list[str]] | None:  # noqa: ANN001
    return group_areas.group_of(frames, area_id)


def _area_name(frames, area_id: str) -> str:  # noqa: ANN001
    return group_areas.area_name(frames, area_id)


def _table(ctx: common.Context, chosen: list[Chosen], drafts: list) -> pd.DataFrame:
    """Chosen findings first (ticked, in their order), then the drafts not chosen (unticked)."""
    en = ctx.lang == "en"
    taken = {c.id for c in chosen}
    rows = [{"take": True, "order": i + 1, "title": c.title, "evidence": c.evidence,
             "kind": KINDS.get(c.kind, KINDS["own"])[1 if en else 0], "id": c.id}
            for i, c in enumerate(chosen)]
    rows += [{"take": False, "order": len(chosen) + i + 1, "title": fmt.text(d.title, ctx.lang),
              "evidence": fmt.text(d.evidence, ctx.lang), "kind": KINDS[d.kind][1 if en else 0],
              "id": d.id}
             for i, d in enumerate(d for d in drafts if d.id not in taken)]
    return pd.DataFrame(rows, columns=["take", "order", "title", "evidence", "kind", "id"])


def chosen_from(edited: pd.DataFrame, drafts: list, chosen: list[Chosen]) -> list[Chosen]:
    """The ticked rows in their order: drafts keep their kind, layer and sources; rows the user
    added are their own ("own", ids own:1, own:2 …)."""
    known = {d.id: d for d in drafts} | {c.id: c for c in chosen}
    rows = edited[edited["take"].fillna(False).astype(bool)].copy()
    rows["order"] = pd.to_numeric(rows["order"], errors="coerce")
    rows = rows.sort_values("order", kind="stable", na_position="last")
    out, own = [], 0
    used = {str(i) for i in edited["id"].dropna()}
    for r in rows.to_dict("records"):
        title = str(r.get("title") or "").strip()
        if not title:
            continue
        rid = r.get("id")
        base = known.get(str(rid)) if isinstance(rid, str) and rid else None
        if base is None:
            own += 1
            while f"own:{own}" in used:
                own += 1
            used.add(f"own:{own}")
            out.append(Chosen(id=f"own:{own}", title=title,
                              evidence=str(r.get("evidence") or "")))
        else:
            out.append(Chosen(id=base.id, title=title, evidence=str(r.get("evidence") or ""),
                              kind=base.kind, layer=base.layer, sources=tuple(base.sources)))
    return out


def render(ctx: common.Context) -> None:
    st.title(ctx.t("page_assessment"))
    if not common.require_workspace(ctx):
        return
    frames = common.frames(ctx)
    en = ctx.lang == "en"
    periods = report_periods(frames)
    if not periods:
        st.info(ctx.t("no_data"))
        return
    areas = ctx.access.home_areas(group_areas.area_options(frames))
    c1, c2 = st.columns([2, 1])
    area_id = c1.selectbox(ctx.t("area"), areas, key="ass_area",
                           format_func=lambda a: group_areas.area_name(frames, a, ctx.lang))
    if st.session_state.get("ass_period") not in periods:  # a new year of one kommun is not opened on
        st.session_state["ass_period"] = period_ui.opening(ctx, periods)
    period = c2.selectbox(ctx.t("period"), periods, key="ass_period",
                          format_func=lambda p: common.period_label(ctx, None, p))
    stamp = common.layers_stamp(ctx.settings)
    drafts = _drafts(ctx.key, ctx.location, area_id, period, stamp, ctx.lang,
                     ctx.settings, ctx.access.level)
    editable = ctx.access.may_edit(area_id, _members(frames, area_id))
    chosen, causes = read_assessment(ctx.workspace, area_id, period)
    st.caption(ctx.t("assessment_help"))
    if not drafts and not chosen:
        st.info(ctx.t("assessment_none"))
    table = _table(ctx, chosen, drafts)
    edited = st.data_editor(
        table, key=f"ass_table_{area_id}_{period}", num_rows="dynamic" if editable else "fixed",
        hide_index=True, disabled=not editable,
        width="stretch", column_order=["take", "order", "title", "kind", "evidence"],
        column_config={
            "take": st.column_config.CheckboxColumn(ctx.t("assessment_take"), default=True),
            "order": st.column_config.NumberColumn(ctx.t("assessment_order"), min_value=1,
                                                   step=1),
            "title": st.column_config.TextColumn(ctx.t("assessment_problem"), width="large"),
            "kind": st.column_config.TextColumn(ctx.t("assessment_kind"), disabled=True),
            "evidence": st.column_config.TextColumn(ctx.t("assessment_evidence"),
                                                    width="large"),
        })
    # the drafts' figures by publisher and period, as the report cites them
    cited.caption(ctx, *(s for d in [*drafts, *chosen] for s in d.sources))
    picked = chosen_from(edited, drafts, chosen)
    new_causes: dict[str, dict[str, str]] = {}
    if picked:
        st.subheader(ctx.t("assessment_causes"))
        for number, finding in enumerate(picked, start=1):
            mine = causes.get(finding.id, {})
            with st.expander(f"{number}. {finding.title}", expanded=False):
                new_causes[finding.id] = {
                    key: st.text_area(labels[1 if en else 0], mine.get(key, ""),
                                      key=f"ass_cause_{area_id}_{period}_{finding.id}_{key}",
                                      height=80, disabled=not editable)
                    for key, labels in CAUSE_FIELDS.items()}
    if not editable:
        st.caption(ctx.t("read_only_area"))
    elif st.button(ctx.t("save"), key="ass_save", type="primary"):
        try:
            save_assessment(ctx.workspace, area_id, period, findings=picked,
                            causes=new_causes)
        except LagesbildError as exc:
            st.error(str(exc))
            return
        st.success(ctx.t("assessment_saved", n=len(picked)))
    _follow(ctx, area_id, period, stamp)


def _members(frames, area_id: str) -> tuple[str, ...]:  # noqa: ANN001 - Frames
    """A stored group's kommuner (who may edit its assessment); () for any other area."""
    group = group_areas.group_of(frames, area_id)
    return () if group is None else tuple(group[2])


@st.cache_data(max_entries=32, show_spinner=False, hash_funcs=common.FAST_HASH)
def _follow_up(key: str, path: str, area_id: str, period: str, stamp: float,
               settings: Settings, level: str) -> pd.DataFrame:
    specs, taxonomy, _ = common.settings_specs(settings, stamp, level)
    frames = common.frames_for(key, path)
    group = _group(frames, area_id)
    if group is None:
        table = follow_up(frames, specs, taxonomy, settings, area_id=area_id, period=period)
    else:
        from lagesbild.analysis.groups import figures_with_group

        gid, name, members = group
        table = follow_up(frames, specs, taxonomy, settings, area_id=area_id, period=period,
                          members=tuple(members), figures=lambda spec, when: figures_with_group(
                              frames, spec, members=members, name=name, gid=gid, period=when,
                              sex="T", taxonomy=taxonomy, settings=settings))
    names = {area_id: _area_name(frames, area_id)}
    return table.assign(area_id=[names.get(a) or frames.area_name(a) for a in table["area_id"]])


def _follow(ctx: common.Context, area_id: str, period: str, stamp: float) -> None:
    """The uppföljning: each action's indicators, baseline, latest, change and target."""
    st.subheader(ctx.t("follow_up_title"))
    table = _follow_up(ctx.key, ctx.location, area_id, period, stamp, ctx.settings,
                       ctx.access.level)
    if not len(table):
        st.info(ctx.t("follow_up_none"))
        return
    en = ctx.lang == "en"
    if en:  # the verdict in English; the numbers as the analysis wrote them
        table = table.assign(change=[e or v for v, e in zip(table["change"], table["change_en"])])
    common.table(table.drop(columns=["indicator", "change_en"]).rename(columns={
        k: v[1 if en else 0] for k, v in FOLLOW_COLUMNS.items()}))
    st.caption(ctx.t("follow_up_note"))


FOLLOW_COLUMNS = {"action_id": ("Åtgärd", "Action"), "title": ("Insats", "Title"),
                  "area_id": ("Område", "Area"),
                  "problem": ("Problem", "Problem"), "layer": ("Indikator", "Indicator"),
                  "baseline_period": ("Utgångsår", "Baseline year"),
                  "baseline": ("Utgångsläge", "Baseline"), "latest_period": ("Senaste år",
                                                                              "Latest year"),
                  "latest": ("Senaste", "Latest"), "target": ("Mål", "Target"),
                  "change": ("Förändring", "Change"), "target_met": ("Målet nått", "Target met"),
                  "follow_up": ("Nästa uppföljning", "Next follow-up")}


if __name__ == "__main__":  # run as a page by st.navigation
    render(common.context())
