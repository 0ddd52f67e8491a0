"""The workspace interface: where canonical tables live. Callers see only `Workspace`; the
GeoPackage implementation (the embedded default) is `store.gpkg.GpkgWorkspace`."""

from __future__ import annotations

import contextlib
import os
from abc import ABC, abstractmethod

import pandas as pd

from lagesbild.core.dataset import Dataset
from lagesbild.core.errors import WorkspaceError


class WorkspaceWriter(ABC):
    """Writes inside one transaction: everything lands at commit, or nothing does."""

    @abstractmethod
    def replace_dataset(self, dataset: Dataset, frame: pd.DataFrame, *, rejected: int = 0) -> None:
        """Store `frame` as the rows of `dataset` in `dataset.table`, replacing earlier ones."""


class Workspace(ABC):
    """Interface every storage backend implements (GeoPackage now, PostGIS next)."""

    @abstractmethod
    def read(self, table: str) -> pd.DataFrame:
        """The whole canonical table, conformed to schema (GeoDataFrame for spatial ones)."""

    def read_columns(self, table: str, columns: list[str]) -> pd.DataFrame:
        """Some columns of a table (no geometry): backends may read them without the rest."""
        return pd.DataFrame(self.read(table)[columns])

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


def open_workspace(location: str | os.PathLike[str]) -> Workspace:
    """Open a workspace by location: a .gpkg path today; a postgresql:// URL once PostGIS lands."""
    from lagesbild.store.gpkg import GpkgWorkspace

    text = str(location)
    if text.startswith(("postgresql://", "postgres://")):
        raise WorkspaceError("PostGIS-arbetsytor stöds inte ännu i den här versionen.")
    return GpkgWorkspace(text)


def require(workspace: Workspace) -> Workspace:
    """Raise a user-facing error if the workspace holds no data yet."""
    from lagesbild.store.gpkg import GpkgWorkspace

    if isinstance(workspace, GpkgWorkspace) and not workspace.exists():
        raise WorkspaceError(
            f"Arbetsytan {workspace.path} finns inte. Skapa demo-arbetsytan med "
            f"'lagesbild demo --workspace {workspace.path}' eller importera data.")
    return workspace
