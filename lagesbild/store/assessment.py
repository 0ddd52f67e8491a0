"""The samlad bedömning a coordinator settles on: chosen findings, in order, and their causes.

Kept in the workspace's notes table beside the analysis notes, per area and period:
`finding:<n>` holds one chosen finding (JSON: id, kind, layer, title, evidence, sources), `n`
its place in the list; `cause:<finding id>` the orsaksanalys of one finding (JSON: the four
levels of the ecological model våldsprevention uses — individ, relationer, närmiljö, samhälle —
with the sources and what is not known). Saved in one transaction like every import, so a
snapshot freezes them with the figures they rest on.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime

import pandas as pd

from lagesbild.core.errors import InputError
from lagesbild.store.notes import MAX_CHARS, replace_kinds
from lagesbild.store.workspace import Workspace

CAUSE_FIELDS = {  # key -> (Swedish, English) label: the WHO ecological model's levels and more
    "individ": ("Individ: risk- och skyddsfaktorer", "Individual: risk and protective factors"),
    "relation": ("Relationer: familj, vänner, partner", "Relationships: family, friends, partner"),
    "narmiljo": ("Närmiljö: skola, fritid, bostadsområde",
                 "Community: school, leisure, neighbourhood"),
    "samhalle": ("Samhälle: normer, lagar, resurser", "Society: norms, laws, resources"),
    "kallor": ("Källor till analysen", "Sources of the analysis"),
    "okant": ("Vad vi inte vet", "What we do not know"),
}
FINDING_FIELDS = ("id", "kind", "layer", "title", "evidence", "sources")


@dataclass(frozen=True)
class Chosen:
    """One finding in the samlad bedömning: a draft accepted (perhaps edited) or the user's own."""

    id: str
    title: str
    evidence: str = ""
    kind: str = "own"
    layer: str = ""
    sources: tuple[str, ...] = field(default_factory=tuple)


def read_assessment(workspace: Workspace, area_id: str, period: str
                    ) -> tuple[list[Chosen], dict[str, dict[str, str]]]:
    """(the chosen findings in order, the cause analysis per finding id)."""
    table = workspace.read("notes")
    mine = table[(table["area_id"] == str(area_id)) & (table["period"] == str(period))]
    found: list[tuple[int, Chosen]] = []
    causes: dict[str, dict[str, str]] = {}
    for key, text in zip(mine["key"].astype(str), mine["text"]):
        kind, _, name = key.partition(":")
        if kind not in ("finding", "cause") or pd.isna(text):
            continue
        data = json.loads(str(text))
        if kind == "finding":
            data["sources"] = tuple(data.get("sources") or ())
            found.append((int(name), Chosen(**{k: data[k] for k in FINDING_FIELDS if k in data})))
        else:
            causes[name] = {k: str(v) for k, v in data.items() if k in CAUSE_FIELDS}
    return [c for _, c in sorted(found, key=lambda x: x[0])], causes


def save_assessment(workspace: Workspace, area_id: str, period: str, *,
                    findings: Sequence[Chosen], causes: Mapping[str, Mapping[str, str]],
                    now: datetime | None = None) -> None:
    """Replace the chosen findings and causes of one area and period, in one transaction
    (the analysis notes and goals, and other areas and periods, are kept)."""
    ids = [f.id for f in findings]
    if len(set(ids)) != len(ids):
        raise InputError("Samma iakttagelse finns två gånger i listan.", field="findings",
                         fix="Ta bort dubbletten.")
    for f in findings:
        if not f.title.strip():
            raise InputError("En iakttagelse saknar rubrik.", field="title",
                             fix="Skriv en rubrik eller ta bort iakttagelsen.")
    unknown = sorted({k for c in causes.values() for k in c} - set(CAUSE_FIELDS))
    if unknown:
        raise InputError(f"Okänt fält i orsaksanalysen: {', '.join(unknown)}.", field="causes",
                         fix=f"Använd: {', '.join(CAUSE_FIELDS)}.")
    rows = [(f"finding:{i}", json.dumps(asdict(f) | {"sources": list(f.sources)},
                                        ensure_ascii=False)) for i, f in enumerate(findings)]
    rows += [(f"cause:{fid}", json.dumps({k: str(v) for k, v in c.items() if str(v).strip()},
                                         ensure_ascii=False))
             for fid, c in causes.items() if fid in ids and any(str(v).strip() for v in c.values())]
    for key, text in rows:
        if len(text) > MAX_CHARS:
            raise InputError(f"Texten för {key} är längre än {MAX_CHARS} tecken.", field=key,
                             fix="Korta texten.")
    when = pd.Timestamp(now or datetime.now()).floor("s")
    replace_kinds(workspace, area_id, period, ("finding", "cause"), rows, when)
