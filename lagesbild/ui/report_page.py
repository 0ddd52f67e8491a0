"""Rapport: notes and local goals for an area and period, and the meeting pack to download."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from lagesbild.analysis.cube import incident_periods
from lagesbild.core import schema
from lagesbild.core.errors import LagesbildError
from lagesbild.report.build import build_report
from lagesbild.report.model import SECTION_TITLES
from lagesbild.report.writers import FORMATS, write_report
from lagesbild.store.assessment import read_assessment
from lagesbild.store.notes import read_notes, save_notes
from lagesbild.ui import audit_trail, common, group_areas, login, period_ui, private_download

MIME = {"html": "text/html", "pdf": "application/pdf",
        "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
NOTE_SECTIONS = ("kartlaggning", "analys", "forebyggande", "atgarder")


def report_periods(frames) -> list[str]:  # noqa: ANN001
    """The years any report can be made for: crime tables, extracts, surveys."""
    years = {str(p) for p in frames.incident_counts["period"].dropna()}
    years |= set(incident_periods(frames))
    years |= {str(p) for p in frames.indicators["period"].dropna()}
    return sorted(y for y in years if y.isdigit())


def render(ctx: common.Context) -> None:
    st.title(ctx.t("page_report"))
    if not common.require_workspace(ctx):
        return
    frames = common.frames(ctx)
    areas = ctx.access.home_areas(group_areas.area_options(frames))
    periods = report_periods(frames)
    if not periods:
        st.info(ctx.t("no_data"))
        return
    c1, c2, c3 = st.columns([2, 1, 2])
    area_id = c1.selectbox(ctx.t("area"), areas, key="rep_area",
                           format_func=lambda a: group_areas.area_name(frames, a, ctx.lang))
    if st.session_state.get("rep_period") not in periods:  # a new year of one kommun is not opened on
        st.session_state["rep_period"] = period_ui.opening(ctx, periods)
    period = c2.selectbox(ctx.t("period"), periods, key="rep_period",
                          format_func=lambda p: common.period_label(ctx, None, p))
    # the police audience (exact counts, points) is offered only to a role that may see it;
    # any other session builds the protected report whatever its widget state says
    audience = "wide"
    if ctx.access.may_see_exact:
        audience = c3.radio(ctx.t("audience"), ["wide", "police"], key="rep_audience",
                            horizontal=True, format_func=lambda a: ctx.t(f"audience_{a}"))
    else:
        c3.caption(f"{ctx.t('audience')}: {ctx.t('audience_wide')}")
    notes, goals = read_notes(ctx.workspace, area_id, period)
    group = group_areas.group_of(frames, area_id)
    editable = ctx.access.may_edit(area_id, () if group is None else group[2])
    if editable:
        _notes_form(ctx, area_id, period, notes, goals)
    else:
        _notes_read(ctx, notes, goals)
    st.subheader(ctx.t("report_make"))
    c1, c2 = st.columns([1, 2])
    fmt = c1.selectbox(ctx.t("format"), FORMATS, key="rep_format", format_func=str.upper)
    freeze = editable and c2.checkbox(ctx.t("report_snapshot"), key="rep_snapshot",
                                      help=ctx.t("unprotected_copy"))
    if st.button(ctx.t("report_build"), key="rep_build", type="primary"):
        _build(ctx, area_id, period, audience if ctx.access.may_see_exact else "wide", fmt,
               freeze)
    made = st.session_state.get("rep_file")
    if made and made.get("audience") == "police" and (
            not ctx.access.may_see_exact or made.get("who") != login.fingerprint()):
        st.session_state.pop("rep_file", None)  # made for another user or role: gone
        made = None
    if made:
        # the police report at a random address, never its content's (`private_download`):
        # another session cannot work its address out from candidate reports
        police = made.get("audience") == "police"
        download = private_download.download_button if police else st.download_button
        extra = {"refused": ctx.t("download_refused")} if police else {}
        download(ctx.t("download") + f" ({made['fmt'].upper()})", made["data"],
                 file_name=made["name"], mime=MIME[made["fmt"]], key="rep_download", **extra)
        st.caption(made["caption"])
    _snapshots(ctx)


def _notes_read(ctx: common.Context, notes: dict[str, str], goals: dict[str, str]) -> None:
    """The notes and goals as text, for a role that may not change them."""
    en = ctx.lang == "en"
    st.subheader(ctx.t("report_notes"))
    st.caption(ctx.t("read_only_area"))
    for key in NOTE_SECTIONS:
        if notes.get(key, "").strip():
            st.markdown(f"**{SECTION_TITLES[key][1 if en else 0]}**")
            st.text(notes[key])
    shown = [(titles[1 if en else 0], goals.get(key, "")) for key, titles in
             schema.FOCUS_AREAS.items() if goals.get(key, "").strip()]
    if shown:
        st.subheader(ctx.t("report_goals"))
        for title, text in shown:
            st.markdown(f"**{title}**")
            st.text(text)


def _notes_form(ctx: common.Context, area_id: str, period: str, notes: dict[str, str],
                goals: dict[str, str]) -> None:
    en = ctx.lang == "en"
    with st.form(f"rep_notes_{area_id}_{period}"):
        st.subheader(ctx.t("report_notes"))
        new_notes = {key: st.text_area(SECTION_TITLES[key][1 if en else 0], notes.get(key, ""),
                                       key=f"rep_note_{key}_{area_id}_{period}", height=100)
                     for key in NOTE_SECTIONS}
        st.subheader(ctx.t("report_goals"))
        new_goals = {key: st.text_input(titles[1 if en else 0], goals.get(key, ""),
                                        key=f"rep_goal_{key}_{area_id}_{period}")
                     for key, titles in schema.FOCUS_AREAS.items()}
        if st.form_submit_button(ctx.t("save")):
            try:
                save_notes(ctx.workspace, area_id, period, notes=new_notes, goals=new_goals)
                st.cache_resource.clear()
                st.success(ctx.t("saved"))
            except LagesbildError as exc:
                st.error(str(exc))


def _snapshots(ctx: common.Context) -> None:
    """The snapshots of this workspace, and what changed since the latest one."""
    from lagesbild.analysis.snapshot_diff import compare_snapshots
    from lagesbild.store.snapshot import current_state, default_root, list_snapshots
    from lagesbild.store.snapshot_sides import load_sides

    st.subheader(ctx.t("snapshots"))
    st.caption(ctx.t("unprotected_copy"))
    found = list_snapshots(default_root(ctx.location))
    if not found:
        st.caption(ctx.t("no_snapshots"))
        return
    common.table(pd.DataFrame({
        "ID": [s.id for s in found], ctx.t("created"): [f"{s.created_at:%Y-%m-%d %H:%M} UTC"
                                                       for s in found],
        ctx.t("title"): [s.title for s in found],
        ctx.t("area"): [group_areas.area_name(common.frames(ctx), s.area_id, ctx.lang)
                        if s.area_id else "–" for s in found],
        ctx.t("period"): [s.period for s in found],
        ctx.t("checksum"): [s.checksum[:16] for s in found]}))
    chosen = st.selectbox(ctx.t("compare_with"), [s.id for s in found], key="rep_snap")
    if st.button(ctx.t("what_changed"), key="rep_diff"):
        path = next(s.path for s in found if s.id == chosen)
        try:
            with st.spinner(ctx.t("report_building")):
                table = compare_snapshots(*load_sides(path, current_state(
                    ctx.location, layers_dir=ctx.settings.layers_dir,
                    settings=ctx.settings)))
        except LagesbildError as exc:
            st.error(str(exc))
            return
        changed = table[table["changed"]]
        if not len(changed):
            st.success(ctx.t("nothing_changed"))
        else:
            common.table(_changes(ctx, changed))


# what changed since a snapshot, in words: (Swedish, English)
_CHANGE_KINDS = {"dataset": ("Dataset", "Dataset"), "setting": ("Inställning", "Setting"),
                 "layer_file": ("Lagerfil", "Layer file"), "periods": ("Perioder", "Periods"),
                 "figure": ("Siffra", "Figure")}
_CHANGE_STATUS = {"added": ("tillagd", "added"), "removed": ("borttagen", "removed"),
                  "replaced": ("ersatt", "replaced"), "changed": ("ändrad", "changed"),
                  "unchanged": ("oförändrad", "unchanged")}


def _changes(ctx: common.Context, changed: pd.DataFrame) -> pd.DataFrame:
    """The snapshot comparison's rows with layers by title and kinds and statuses in words."""
    from lagesbild.core.i18n import sex_label

    specs, _, _ = common.specs(ctx)
    en = 1 if ctx.lang == "en" else 0
    return pd.DataFrame({
        "Typ" if not en else "Kind": [_CHANGE_KINDS.get(k, (k, k))[en] for k in changed["kind"]],
        "Vad" if not en else "What": [specs[i].title(ctx.lang) if i in specs else i
                                      for i in changed["item"]],
        ctx.t("area"): changed["name"], ctx.t("period"): changed["period"],
        ctx.t("sex"): [sex_label(x, ctx.lang) if isinstance(x, str) and x else "" for x in changed["sex"]],
        "Förut" if not en else "Before": changed["old"], "Nu" if not en else "Now": changed["new"],
        "Status": [_CHANGE_STATUS.get(x, (x, x))[en] for x in changed["status"]]})


def _build(ctx: common.Context, area_id: str, period: str, audience: str, fmt: str,
           freeze: bool) -> None:
    specs, taxonomy, _ = common.specs(ctx)
    notes, goals = read_notes(ctx.workspace, area_id, period)
    frozen = None
    try:
        with st.spinner(ctx.t("report_building")):
            if freeze:
                from lagesbild.store.snapshot import create_snapshot

                snap = create_snapshot(ctx.location, layers_dir=ctx.settings.layers_dir,
                                       settings=ctx.settings, notes={"notes": notes, "goals": goals},
                                       title=f"Rapport {group_areas.area_name(common.frames(ctx), area_id)} {period}",
                                       area_id=area_id,
                                       period=period)
                frozen = f"{snap.id} (kontrollsumma {snap.checksum})"
                audit_trail.record(ctx, "snapshot", f"{snap.id} {area_id} {period}")
            common_args = dict(period=period, notes=notes, goals=goals, audience=audience,
                               lang=ctx.lang, created=date.today(), snapshot=frozen,
                               images=fmt != "xlsx",
                               assessment=read_assessment(ctx.workspace, area_id, period))
            frames = common.frames(ctx)
            group = group_areas.group_of(frames, area_id)
            if group is None:
                report = build_report(frames, specs, taxonomy, ctx.settings, area_id=area_id,
                                      **common_args)
            else:
                from lagesbild.report.build_group import build_group_report

                report = build_group_report(frames, specs, taxonomy, ctx.settings, group=group,
                                            **common_args)
            data = write_report(report, fmt)
    except LagesbildError as exc:
        st.error(str(exc))
        return
    if audience == "police":  # logged before the file reaches the session, or not given
        try:
            audit_trail.record(ctx, "report_police", f"{area_id} {period} {fmt}")
        except LagesbildError as exc:
            st.error(ctx.t("audit_failed", error=exc))
            return
    st.session_state["rep_file"] = {
        "audience": audience, "who": login.fingerprint(),
        "fmt": fmt, "data": data, "name": f"lagesbild_{area_id.replace(':', '-')}_{period}.{fmt}",
        "caption": (f"{report.area_name}, {period}, {ctx.t('audience_' + audience).lower()}"
                    + (f"; {ctx.t('snapshot')}: {frozen}" if frozen else ""))}


if __name__ == "__main__":  # run as a page by st.navigation
    render(common.context())
