"""Project-wide settings with their defaults; one place, overridable by environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository root


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


@dataclass(frozen=True)
class Settings:
    # Counts 1..suppress_below-1 are shown as "<suppress_below" (DOMAIN.md: default 5).
    suppress_below: int = field(default_factory=lambda: _env_int("LAGESBILD_SUPPRESS_BELOW", 5))
    # Survey shares from fewer respondents are too uncertain to show.
    min_survey_n: int = field(default_factory=lambda: _env_int("LAGESBILD_MIN_SURVEY_N", 30))
    confidence: float = 0.95
    # A year the incident extracts cover only in part: an annual rate per year of person-time
    # (labelled "uppräknat") instead of none (analysis.time_coverage).
    annualise: bool = False
    layers_dir: Path = field(default_factory=lambda: Path(
        os.environ.get("LAGESBILD_LAYERS", ROOT / "layers")))
    demo_dir: Path = ROOT / "data" / "demo"


def get_settings() -> Settings:
    return Settings()
