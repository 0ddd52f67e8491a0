"""The canonical tables of one workspace, held together: what the analysis layer reads.

`store.frames.load_frames` fills one from a workspace; tests and benchmarks build them directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol

import geopandas as gpd
import pandas as pd

from lagesbild.core import schema


class PersistentMemo(Protocol):
    """Results of the analysis kept beyond one process, keyed by the memo key
    (`analysis.memo.memoised`): None when not kept (or the key cannot be kept)."""

    def get(self, key: tuple) -> pd.DataFrame | None: ...

    def put(self, key: tuple, frame: pd.DataFrame) -> None: ...


@dataclass(frozen=True)
class Frames:
    areas: gpd.GeoDataFrame
    population: pd.DataFrame
    incidents: gpd.GeoDataFrame
    incident_counts: pd.DataFrame
    indicators: pd.DataFrame
    sites: gpd.GeoDataFrame
    programme_activity: pd.DataFrame
    actions: pd.DataFrame
    events: pd.DataFrame
    datasets: pd.DataFrame
    notes: pd.DataFrame = field(default_factory=lambda: schema.empty("notes"))
    groups: pd.DataFrame = field(default_factory=lambda: schema.empty("groups"))
    trainings: pd.DataFrame = field(default_factory=lambda: schema.empty("trainings"))
    staff: pd.DataFrame = field(default_factory=lambda: schema.empty("staff"))
    # rows by age group (age_group set): parts of the totals above, kept apart so that no sum
    # over `population`, `incident_counts` or `indicators` counts anyone twice (`core.age`)
    population_age: pd.DataFrame = field(default_factory=lambda: schema.empty("population"))
    incident_counts_age: pd.DataFrame = field(
        default_factory=lambda: schema.empty("incident_counts"))
    indicators_age: pd.DataFrame = field(default_factory=lambda: schema.empty("indicators"))

    @property
    def persist(self) -> PersistentMemo | None:
        """Where results computed from these frames are kept between processes (None: nowhere):
        set by `store.frames.load_frames` for a stored workspace (`store.derived`)."""
        return self.__dict__.get("_persist")

    def keep_results_in(self, persist: PersistentMemo | None) -> Frames:
        """These frames with `persist` as the keeper of their results (returns self)."""
        self.__dict__["_persist"] = persist  # frozen dataclass: not a field, not compared
        return self

    @property
    def kommuner(self) -> gpd.GeoDataFrame:
        return self.areas[self.areas["level"] == schema.AreaLevel.KOMMUN.value]

    @property
    def lan(self) -> gpd.GeoDataFrame:
        return self.areas[self.areas["level"] == schema.AreaLevel.LAN.value]

    def area_name(self, area_id: str) -> str:
        found = self._by_id.get(area_id) if isinstance(area_id, str) else None
        return area_id if found is None else found[0]

    def parent_of(self, area_id: str) -> str | None:
        found = self._by_id.get(area_id) if isinstance(area_id, str) else None
        return None if found is None else found[1]

    @cached_property
    def _by_id(self) -> dict[str, tuple[str, str | None]]:
        """area_id -> (name, parent_id) of its first row: a lookup instead of a scan of the
        areas (about 6 000 DeSO nationally) per call. Frames is frozen: the areas stay."""
        found: dict[str, tuple[str, str | None]] = {}
        for area_id, name, parent in zip(self.areas["area_id"], self.areas["name"],
                                         self.areas["parent_id"]):
            if isinstance(area_id, str):
                found.setdefault(area_id, (str(name), None if pd.isna(parent) else str(parent)))
        return found

    def source_label(self, source_names: pd.Series | list[str]) -> str:
        """'file (period, importerad 2026-11-23)' for each distinct dataset name."""
        names = sorted({str(s) for s in source_names if s is not None and not pd.isna(s)})
        meta = self.datasets.set_index("dataset") if len(self.datasets) else None
        parts = []
        for name in names:
            if meta is not None and name in meta.index:
                row = meta.loc[name]
                period = f"{row['period']}, " if str(row["period"]) not in ("", "nan", "None") else ""
                parts.append(f"{name} ({period}importerad {str(row['imported_at'])[:10]})")
            else:
                parts.append(name)
        return "; ".join(parts)
