"""The workspace interface: where canonical tables live. Callers see only `Workspace`, opened
by its location string (`open_workspace`): a .gpkg path gives the GeoPackage (the embedded
default, `store.gpkg.GpkgWorkspace`), a postgresql:// URL a schema on a shared PostGIS server
(`store.postgis.PostgisWorkspace`)."""

from __future__ import annotations

import contextlib
import os
from abc import ABC, abstractmethod
from pathlib import Path

import pandas as pd

from lagesbild.core.dataset import Dataset
from lagesbild.core.frames import compact_incidents
from lagesbild.core.incident_cube import cube_of
from lagesbild.core.errors import WorkspaceError


class WorkspaceWriter(ABC):
    """Writes inside one transaction: everything lands at commit, or nothing does."""

    @abstractmethod
    def replace_dataset(self, dataset: Dataset, frame: pd.DataFrame, *, rejected: int = 0) -> None:
        """Store `frame` as the rows of `dataset` in `dataset.table`, replacing earlier ones."""


class Workspace(ABC):
    """Interface every storage backend implements (GeoPackage, PostGIS)."""

    @property
    @abstractmethod
    def location(self) -> str:
        """The string that opens this workspace again (`open_workspace`): a cache key part."""

    @property
    def label(self) -> str:
        """The location as shown to users (no password)."""
        return self.location

    @property
    @abstractmethod
    def files_path(self) -> Path:
        """A path on this machine the workspace's files are named after: its own layers
        (`core.layers.own_layers_dir`) and snapshots (`snapshots/` beside it)."""

    @abstractmethod
    def exists(self) -> bool:
        """Whether the workspace holds anything yet."""

    @abstractmethod
    def read(self, table: str) -> pd.DataFrame:
        """The whole canonical table, conformed to schema (GeoDataFrame for spatial ones)."""

    def read_columns(self, table: str, columns: list[str]) -> pd.DataFrame:
        """Some columns of a table (no geometry): backends answer it without reading the rest
        (a column subset in SQL). Text columns come back as text; other columns in the
        backend's own representation (a GeoPackage's booleans as 0/1)."""
        return pd.DataFrame(self.read(table)[columns])

    def read_incidents(self) -> pd.DataFrame:
        """The incidents as the analysis holds them (`core.frames.compact_incidents`): the
        columns a figure reads, repeated text as categories, points as x and y. Backends read
        them without a geometry object or a string per row."""
        return compact_incidents(self.read("incidents"))

    # whether `incident_cube` counts faster than the rows read into memory are counted
    # (`store.frames.load_frames` asks the store only then)
    counts_in_store = False

    def incident_cube(self) -> pd.DataFrame:
        """The incidents counted per kommun × year × category × victim's sex × age group
        (`core.incident_cube`), missing values as groups of their own. Backends count them with
        SQL where the rows are (GROUP BY); this default counts the rows read into memory."""
        return cube_of(self.read_incidents())

    @abstractmethod
    def datasets(self) -> pd.DataFrame:
        """One row per imported dataset with its source and import time."""

    def check_writable(self) -> None:
        """WorkspaceError when this process may not write the workspace (checked before work)."""

    @abstractmethod
    def transaction(self) -> contextlib.AbstractContextManager[WorkspaceWriter]:
        """A writer whose changes land whole when the block ends without error."""

    @abstractmethod
    def record_event(self, actor: str, role: str, action: str, target: str = "") -> None:
        """Append one line to the audit trail (who did what to which target, and when).
        Written at once, outside any import's transaction; never changes `key`."""

    @abstractmethod
    def events(self) -> pd.DataFrame:
        """The audit trail, oldest first: actor, role, action, target, at (UTC)."""

    @property
    @abstractmethod
    def key(self) -> str:
        """A small hashable value that changes whenever the data change (for caching)."""

    def content_key(self) -> str | None:
        """A name of the data alone, the same for two copies of one workspace (a restored
        export, a copy beside it), or None when the store cannot tell cheaply. The derived
        tables (`store.derived`) of equal content are shared; `key` still decides when to
        look again."""
        return None


def is_database(location: str | os.PathLike[str]) -> bool:
    """Whether a location names a PostgreSQL database rather than a GeoPackage file."""
    return str(location).startswith(("postgresql://", "postgres://"))


def open_workspace(location: str | os.PathLike[str]) -> Workspace:
    """Open a workspace by location: a .gpkg path, or a postgresql:// URL (PostGIS; its
    missing migrations are applied on opening)."""
    text = str(location)
    if is_database(text):
        from lagesbild.store.postgis import PostgisWorkspace

        return PostgisWorkspace(text)
    from lagesbild.store.gpkg import GpkgWorkspace

    return GpkgWorkspace(text)


def require(workspace: Workspace) -> Workspace:
    """Raise a user-facing error if the workspace holds no data yet."""
    if not workspace.exists():
        if is_database(workspace.location):
            raise WorkspaceError(
                f"Arbetsytan {workspace.label} är tom. Bygg demo-arbetsytan där med "
                f"'lagesbild demo --database {workspace.label}' eller importera data.")
        raise WorkspaceError(
            f"Arbetsytan {workspace.label} finns inte. Skapa demo-arbetsytan med "
            f"'lagesbild demo --workspace {workspace.label}' eller importera data.")
    return workspace
