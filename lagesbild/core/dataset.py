"""The provenance record of one import (`Dataset`) and the columns of the workspace's dataset list."""

from __future__ import annotations

from dataclasses import dataclass

DATASETS = "datasets"
DATASET_COLUMNS = ["dataset", "table", "kind", "file", "rows", "rejected", "period",
                   "imported_at", "description"]


@dataclass(frozen=True)
class Dataset:
    """Provenance of one import: every row it brings carries `name` in its `source` column."""

    name: str
    table: str
    kind: str
    file: str
    period: str = ""
    description: str = ""
