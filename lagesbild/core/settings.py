"""Project-wide settings with their defaults; one place, overridable by environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository root


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _env_bands(name: str, default: tuple[float, float]) -> tuple[float, float]:
    """Two limits "LOW;HIGH" in % from the environment (0 <= LOW < HIGH <= 100)."""
    value = os.environ.get(name)
    if not value:
        return default
    from lagesbild.core.errors import InputError

    fix = f"Sätt {name} till två gränser i procent, låg;hög, t.ex. '25;50'."
    try:
        low, high = (float(v.strip().replace(",", ".")) for v in value.split(";"))
    except ValueError as exc:
        raise InputError(f"Två gränser väntades, inte '{value}'.", field=name, fix=fix) from exc
    if not 0 <= low < high <= 100:
        raise InputError(f"Gränserna ska vara 0 ≤ låg < hög ≤ 100, inte '{value}'.",
                         field=name, fix=fix)
    return low, high


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
    # Coverage of a programme's target pupils, in %: below the first is "låg", from the first
    # to the second "medel", from the second on "hög" (Täckning mot behov). Fixed bands, never
    # a median of the county (mostly 0 % where a programme has just started).
    coverage_bands: tuple[float, float] = field(default_factory=lambda: _env_bands(
        "LAGESBILD_COVERAGE_BANDS", (25.0, 50.0)))
    layers_dir: Path = field(default_factory=lambda: Path(
        os.environ.get("LAGESBILD_LAYERS", ROOT / "layers")))
    demo_dir: Path = ROOT / "data" / "demo"
    # the workspace's own layers folder (`layers.own_layers_dir`), read after `layers_dir`: set
    # by whoever opens a workspace (the app's context, the CLI); None reads `layers_dir` only
    own_layers_dir: Path | None = None

    def __post_init__(self) -> None:
        # a tuple however given (a snapshot's settings.json stores a list): settings are hashed
        low, high = self.coverage_bands
        object.__setattr__(self, "coverage_bands", (float(low), float(high)))

    def for_workspace(self, workspace_path: str | os.PathLike[str]) -> Settings:
        """These settings with the workspace's own layers folder (`layers.own_layers_dir`)."""
        from dataclasses import replace

        from lagesbild.core.layers import own_layers_dir

        return replace(self, own_layers_dir=own_layers_dir(workspace_path))


def get_settings() -> Settings:
    return Settings()
