"""The provenance record of one import (`Dataset`) and the columns of the workspace's dataset list."""

from __future__ import annotations

from dataclasses import dataclass

DATASETS = "datasets"
DATASET_COLUMNS = ["dataset", "table", "kind", "file", "rows", "rejected", "period",
                   "imported_at", "description", "sha256", "source_path"]
# columns a workspace written by an older version lacks (read back as "")
DATASET_ADDED_LATER = ("sha256", "source_path")


@dataclass(frozen=True)
class Dataset:
    """Provenance of one import: every row it brings carries `name` in its `source` column."""

    name: str
    table: str
    kind: str
    file: str
    period: str = ""
    description: str = ""
    # what was read: the SHA-256 of the file's bytes ("…#sheet=Brott" when one part of a
    # workbook or GeoPackage was read) and the file's resolved path ("" for an upload)
    sha256: str = ""
    source_path: str = ""
