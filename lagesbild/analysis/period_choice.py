"""Which period a page opens on, and whether a layer splits its figures by sex.

A period's data may cover a few kommuner only: a kommun's own count table for the new year, a
survey run in some schools. Opening on that period would show a map of "uppgift saknas" with one
coloured kommun, so a layer opens on its latest period with data for most kommuner (more than
half of the workspace's), and a caption says when a later period has data for fewer. A kommun
has data for a period when its total figure is a published value or count, or a hidden one
(hidden is data the policy keeps back, not data that is missing); "uppgift saknas" is not data.
When no period reaches half, the period with the most kommuner (the latest of equals) is chosen.

A layer splits by sex for a period when some kommun has a K or M figure (shown or hidden). A
crime table with totals only, drug offences (no victim) and programme coverage do not: their
K and M are "uppgift saknas" everywhere, and the pages offer Totalt only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from lagesbild.analysis.figures import layer_figures
from lagesbild.analysis.memo import memo_dict
from lagesbild.core.frames import Frames
from lagesbild.core.layers import LayerSpec
from lagesbild.core.settings import Settings
from lagesbild.core.taxonomy import Taxonomy


@dataclass(frozen=True)
class PeriodChoice:
    """The period to open on; `with_data`: kommuner with data per period looked at (the chosen
    one and every later one); `kommuner`: kommuner in the workspace."""

    period: str
    kommuner: int
    with_data: dict[str, int] = field(default_factory=dict)

    def partial_later(self) -> list[tuple[str, int]]:
        """Later periods than the chosen one, with their number of kommuner with data."""
        return [(p, n) for p, n in sorted(self.with_data.items()) if p > self.period]


def _has_data(figures: pd.DataFrame) -> pd.Series:
    """Rows whose figure is a value or count, shown or hidden (not "uppgift saknas")."""
    suppressed = figures["suppressed"].astype("boolean").fillna(False).astype(bool)
    return figures["count"].notna() | figures["value"].notna() | suppressed


def kommuner_with_data(frames: Frames, spec: LayerSpec, *, period: str, taxonomy: Taxonomy,
                       settings: Settings, sex: str = "T") -> frozenset[str]:
    """Kommuner whose `sex` figure of `spec` for `period` is a value or count (shown or hidden)."""
    figs = layer_figures(frames, spec, period=str(period), sex=sex, taxonomy=taxonomy,
                         settings=settings)
    kommun = figs[figs["level"] == "kommun"]
    return frozenset(kommun.loc[_has_data(kommun), "area_id"].astype(str))


def default_period(frames: Frames, spec: LayerSpec, candidates: Sequence[str], *,
                   taxonomy: Taxonomy, settings: Settings) -> PeriodChoice | None:
    """The latest of `candidates` (oldest first) with data for more than half the kommuner; when
    none has, the one with the most (the latest of equals). None without candidates."""
    if not candidates:
        return None
    key = ("default_period", spec, tuple(str(p) for p in candidates), taxonomy, settings)
    memo = memo_dict(frames)
    if key not in memo:
        memo[key] = _default_period(frames, spec, candidates, taxonomy=taxonomy,
                                    settings=settings)
    return memo[key]  # type: ignore[return-value]


def _default_period(frames: Frames, spec: LayerSpec, candidates: Sequence[str], *,
                    taxonomy: Taxonomy, settings: Settings) -> PeriodChoice:
    total = int(frames.kommuner["area_id"].nunique())
    seen: dict[str, int] = {}
    for period in reversed([str(p) for p in candidates]):
        seen[period] = len(kommuner_with_data(frames, spec, period=period, taxonomy=taxonomy,
                                              settings=settings))
        if 2 * seen[period] > total:
            return PeriodChoice(period, total, seen)
    best = max(seen, key=lambda p: seen[p])  # the first of equals: newest first
    return PeriodChoice(best, total, {p: n for p, n in seen.items() if p >= best})


def period_note(choice: PeriodChoice | None, shown: str, shown_with_data: int,
                lang: str = "sv") -> str:
    """One line under the period choice: how many kommuner the shown period has data for when
    not all, and which later periods have data for fewer kommuner ('' when nothing to say)."""
    if choice is None:
        return ""
    en = lang == "en"
    total = choice.kommuner
    parts = []
    if shown_with_data < total:
        parts.append(
            f"{shown}: data for {shown_with_data} of {total} municipalities; the others are "
            "shown as data missing, not as 0." if en else
            f"{shown}: uppgifter för {shown_with_data} av {total} kommuner; övriga visas som "
            "uppgift saknas, inte som 0.")
    later = [(p, n) for p, n in choice.partial_later() if p > str(shown)]
    if later:
        listed = ", ".join(f"{p} ({n} av {total} kommuner)" if not en
                           else f"{p} ({n} of {total} municipalities)"
                           for p, n in later)
        parts.append(
            f"Later period with data for only some municipalities: {listed}. The page opens on "
            f"{choice.period}, the latest period with data for most municipalities." if en else
            f"Senare period med uppgifter för bara några kommuner: {listed}. Sidan öppnar på "
            f"{choice.period}, den senaste perioden med uppgifter för de flesta kommuner.")
    return " ".join(parts)


def has_sex_split(frames: Frames, spec: LayerSpec, *, period: str, taxonomy: Taxonomy,
                  settings: Settings) -> bool:
    """Whether some kommun has a K or M figure of `spec` for `period` (shown or hidden)."""
    return any(kommuner_with_data(frames, spec, period=period, taxonomy=taxonomy,
                                  settings=settings, sex=sex) for sex in ("K", "M"))


def opening_period(frames: Frames, spec: LayerSpec, *, taxonomy: Taxonomy,
                   settings: Settings) -> str | None:
    """The layer's own period to open on (`default_period` of all its periods); None without."""
    from lagesbild.analysis.figures import periods

    found = default_period(frames, spec, periods(frames, spec), taxonomy=taxonomy,
                           settings=settings)
    return None if found is None else found.period
