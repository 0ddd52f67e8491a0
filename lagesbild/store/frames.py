"""Loading the canonical tables of one workspace into `core.frames.Frames` for the analysis layer.

The incidents (millions of rows nationally: 7.5 million for five years of the police extract)
come through `Workspace.read_incidents`: compact (`core.frames.compact_incidents`), without
geometry objects and with the repeated text as categories. Their counts per kommun × year ×
category × sex × age group come counted by the store (`Workspace.incident_cube`, SQL).
"""

from __future__ import annotations

import pandas as pd

from lagesbild.core import schema
from lagesbild.core.errors import WorkspaceError
from lagesbild.core.frames import DeferredIncidents, Frames, compact_incidents
from lagesbild.store.derived import derived_store
from lagesbild.store.workspace import Workspace


CUBE_KEY = ("incident_cube",)  # the store's cube among the derived tables
AGE_SPLIT = ("population", "incident_counts", "indicators")  # totals and parts by age group


def load_frames(workspace: Workspace) -> Frames:
    """Every canonical table of `workspace`; results computed from them are kept on disk
    (`store.derived`) under the workspace's state, read before and after the tables: a commit
    in between (another process importing) keeps nothing, rather than file new figures under
    the old state."""
    before = workspace.key
    content = workspace.content_key()
    keeper = derived_store(before, workspace.datasets(), content)
    # the incident cube: once per state of the workspace (kept with the derived tables);
    # counted by the store where that is faster than counting the rows it gives (PostGIS: on
    # the server), else from the compact rows below (SQLite's GROUP BY sorts every row: about
    # ten times the time, `lagesbild bench --only cube`)
    cube = keeper.get(CUBE_KEY) if keeper is not None else None
    counted = cube is None
    if cube is None and workspace.counts_in_store:
        cube = workspace.incident_cube()
    tables = {name: _read(workspace, name) for name in schema.TABLES if name != "incidents"}
    # the incident rows wait until a figure needs them when the cube counts them: a page of
    # kommun figures reads the cube and the derived tables only (national workspace: seconds
    # and a gigabyte less); a commit in between is found when they are read (`_deferred`)
    if cube is not None and workspace.key == before:
        tables["incidents"] = _deferred(workspace, before, int(cube["count"].sum()))
    else:
        tables["incidents"] = _read(workspace, "incidents")
    for name in AGE_SPLIT:  # rows by age group are parts of the total rows: kept apart
        frame = tables[name]
        by_age = frame["age_group"].notna().to_numpy(dtype=bool)
        tables[name] = frame[~by_age].reset_index(drop=True) if by_age.any() else frame
        tables[f"{name}_age"] = frame[by_age].reset_index(drop=True)
    same = workspace.key == before
    if not same and isinstance(tables["incidents"], DeferredIncidents):
        tables["incidents"] = _read(workspace, "incidents")  # as before: counted below
    frames = Frames(**tables, datasets=workspace.datasets())
    _give_back_memory()
    # the store's cube counts these rows only when no commit came between the two reads (the
    # count of rows checks it where a key is slow to show another process's commit); else the
    # frames count their own rows. Deferred rows are checked the same way when read.
    if cube is not None and same and int(cube["count"].sum()) == frames.incident_total:
        frames.with_incident_cube(cube)
    if same and counted and keeper is not None:
        keeper.put(CUBE_KEY, frames.incident_cube)
    return frames.keep_results_in(keeper if same else None)


def _deferred(workspace: Workspace, before: str, rows: int) -> DeferredIncidents:
    """The incident rows of `workspace` as they were at `before` (its key), read on first
    use; a commit since then (the key changed) is refused rather than mixed with the tables
    read before it."""
    def load() -> pd.DataFrame:
        found = compact_incidents(workspace.read_incidents())
        _give_back_memory()  # the reading's freed batches, as after an eager load
        if workspace.key != before:
            raise WorkspaceError(
                f"{workspace.location}: the workspace changed (a new import) after this page "
                "read its other tables; its incidents are not mixed in. Load it again "
                "(reload the page).")
        return found

    return DeferredIncidents(load, rows)


def _read(workspace: Workspace, table: str) -> pd.DataFrame:
    return workspace.read_incidents() if table == "incidents" else workspace.read(table)


def _give_back_memory() -> None:
    """Return the heap freed while reading to the system (glibc's malloc_trim): the reading
    frees many batch-sized blocks that glibc would otherwise keep resident (national
    workspace: 1.2 GB resident after the load without it, 0.6 GB with it). Elsewhere nothing."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    trim(0)
