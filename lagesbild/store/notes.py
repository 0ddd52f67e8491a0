"""What users write for a report, kept in the workspace: analysis notes and local goals.

Notes are keyed by area and period: `note:<section>` for the analysis text of a report section
(`schema.SECTION_KEYS`) and `goal:<focus area>` for the local goal per focus area
(`schema.FOCUS_AREAS`), the "mall" the county board asked for. They are one dataset in the
workspace ("anteckningar"), saved in one transaction like every import, so a snapshot freezes
them with the data.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import pandas as pd

from lagesbild.core import schema
from lagesbild.core.dataset import Dataset
from lagesbild.core.errors import InputError
from lagesbild.store import derived
from lagesbild.store.workspace import Workspace

DATASET = "anteckningar"
MAX_CHARS = 20_000


def read_notes(workspace: Workspace, area_id: str, period: str) -> tuple[dict[str, str], dict[str, str]]:
    """(notes per section key, goals per focus area key) for one area and period."""
    table = workspace.read("notes")
    mine = table[(table["area_id"] == str(area_id)) & (table["period"] == str(period))]
    notes, goals = {}, {}
    for key, text in zip(mine["key"], mine["text"]):
        kind, _, name = str(key).partition(":")
        if kind in ("note", "goal"):  # findings and causes are store.assessment's
            (notes if kind == "note" else goals)[name] = "" if pd.isna(text) else str(text)
    return notes, goals


def save_notes(workspace: Workspace, area_id: str, period: str, *, notes: Mapping[str, str],
               goals: Mapping[str, str], now: datetime | None = None) -> None:
    """Replace the notes and goals of one area and period (others are kept), in one transaction."""
    sections = sorted(set(notes) - set(schema.SECTION_KEYS))
    if sections:
        raise InputError(f"Okänt avsnitt: {', '.join(sections)}.", field="notes",
                         fix=f"Använd något av: {', '.join(schema.SECTION_KEYS)}.")
    unknown = sorted(set(goals) - set(schema.FOCUS_AREAS))
    if unknown:
        raise InputError(f"Okänt fokusområde: {', '.join(unknown)}.", field="goals",
                         fix=f"Använd något av: {', '.join(schema.FOCUS_AREAS)}.")
    for key, text in [*notes.items(), *goals.items()]:
        if len(str(text)) > MAX_CHARS:
            raise InputError(f"Texten för {key} är längre än {MAX_CHARS} tecken.", field=key,
                             fix="Korta texten.")
    when = pd.Timestamp(now or datetime.now()).floor("s")
    rows = [(f"note:{k}", v) for k, v in notes.items() if str(v).strip()]
    rows += [(f"goal:{k}", v) for k, v in goals.items() if str(v).strip()]
    # the chosen findings and their causes (store.assessment) stay
    replace_kinds(workspace, area_id, period, ("note", "goal"),
                  [(k, str(v)) for k, v in rows], when)


def replace_kinds(workspace: Workspace, area_id: str, period: str, kinds: tuple[str, ...],
                  rows: list[tuple[str, str]], when: pd.Timestamp) -> None:
    """Replace one area's and period's rows whose key is `kind:…` for the given kinds with
    `rows` (key, text), keeping every other row, in one transaction."""
    with workspace.transaction() as writer:
        # read under the writer lock: two people saving at once both keep their text (read
        # before the lock, the second save wrote the table as it was before the first)
        kept = derived.state_of(workspace)
        table = workspace.read("notes")
        kind = table["key"].astype(str).str.split(":", n=1).str[0]
        here = (table["area_id"] == str(area_id)) & (table["period"] == str(period))
        others = table[~(here & kind.isin(list(kinds)))]
        mine = pd.DataFrame({"area_id": str(area_id), "period": str(period),
                             "key": [k for k, _ in rows], "text": [t for _, t in rows],
                             "updated_at": when, "source": DATASET})
        frame = pd.concat([others, mine], ignore_index=True) if len(others) else mine
        writer.replace_dataset(Dataset(DATASET, "notes", "notes", DATASET,
                                       description="Analysanteckningar och lokala mål"),
                               schema.conform(frame, "notes"))
    # no figure reads the notes: the figures and audits kept for the state before are the
    # new state's too (nothing else was committed between: the lock was held)
    derived.carry_over(kept, derived.state_of(workspace))
