"""Comparison of kommuner for one layer: ranking, county value and the kommun median."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from lagesbild import schema


@dataclass(frozen=True)
class Comparison:
    table: pd.DataFrame  # kommun rows of layer_figures, ranked (1 = highest), with "rank"
    county: float | None
    county_name: str
    median: float | None


def comparison(figures: pd.DataFrame) -> Comparison:
    """Rank the kommun rows of `figures`; hidden values are listed last without a rank."""
    kommun = figures[figures["level"] == schema.AreaLevel.KOMMUN.value].copy()
    kommun = kommun.sort_values(["value", "name"], ascending=[False, True], na_position="last")
    ranks = kommun["value"].rank(ascending=False, method="min")
    kommun["rank"] = ranks.astype("Int64")
    lan = figures[figures["level"] == schema.AreaLevel.LAN.value]
    county = float(lan["value"].iloc[0]) if len(lan) and pd.notna(lan["value"].iloc[0]) else None
    values = kommun["value"].dropna()
    median = float(values.median()) if len(values) else None
    return Comparison(kommun.reset_index(drop=True), county,
                      str(lan["name"].iloc[0]) if len(lan) else "", median)
