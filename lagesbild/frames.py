"""The canonical tables of one workspace, loaded together for the analysis layer."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from lagesbild import schema
from lagesbild.workspace import Workspace


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

    @property
    def kommuner(self) -> gpd.GeoDataFrame:
        return self.areas[self.areas["level"] == schema.AreaLevel.KOMMUN.value]

    @property
    def lan(self) -> gpd.GeoDataFrame:
        return self.areas[self.areas["level"] == schema.AreaLevel.LAN.value]

    def area_name(self, area_id: str) -> str:
        match = self.areas.loc[self.areas["area_id"] == area_id, "name"]
        return str(match.iloc[0]) if len(match) else area_id

    def parent_of(self, area_id: str) -> str | None:
        match = self.areas.loc[self.areas["area_id"] == area_id, "parent_id"]
        return None if not len(match) or pd.isna(match.iloc[0]) else str(match.iloc[0])

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


def load_frames(workspace: Workspace) -> Frames:
    return Frames(**{name: workspace.read(name) for name in schema.TABLES},
                  datasets=workspace.datasets())
