"""The audit trail in the app: recording what a session does, and the log for the owners."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lagesbild.ui import common, login

# the actions in words (Swedish, English)
ACTION_TITLES = {"import": ("Import", "Import"), "restore": ("Återställning", "Restore"),
                 "fetch": ("Hämtning", "Fetch"), "export": ("Export", "Export"),
                 "snapshot": ("Ögonblicksbild", "Snapshot"),
                 "report_police": ("Polisrapport (exakta tal)", "Police report (exact figures)")}


def record(ctx: common.Context, action: str, target: str = "") -> None:
    """Log one event for this session's user (WorkspaceError when it cannot be written)."""
    ctx.workspace.record_event(login.actor(), ctx.access.audit_role, action, target)


def frame(events: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The events newest first, times in Swedish time, actions in words."""
    en = 1 if lang == "en" else 0
    events = events.iloc[::-1]
    return pd.DataFrame({
        "När" if not en else "When": events["at"].dt.tz_convert("Europe/Stockholm")
        .dt.strftime("%Y-%m-%d %H:%M:%S"),
        "Vem" if not en else "Who": events["actor"],
        "Roll" if not en else "Role": events["role"],
        "Vad" if not en else "What": [ACTION_TITLES.get(a, (a, a))[en] for a in events["action"]],
        "Mål" if not en else "Target": events["target"]})


def render(ctx: common.Context) -> None:
    """The log, for the workspace's owners only (polis and the administrators)."""
    if not ctx.access.may_see_audit:
        return
    en = ctx.lang == "en"
    with st.expander("Händelselogg (vem importerade, exporterade, frös, laddade ned)" if not en
                     else "Audit log (who imported, exported, froze, downloaded)"):
        events = ctx.workspace.events()
        if not len(events):
            st.caption("Inga händelser ännu." if not en else "No events yet.")
            return
        common.table(frame(events, ctx.lang), translate=False)
