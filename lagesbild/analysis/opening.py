"""What the app's first page reads, computed ahead: after an import, or before a server opens.

The first page (the map with every layer's overview) needs, per layer, the period it opens on
and its kommun figures after disclosure control, and the figures need every period of the
layer protected (the intervals of overdispersed areas, `analysis.dispersion`). Nationally that
is about twenty seconds of suppression. Every one of those results is memoised with the
workspace's derived tables (`analysis.memo.memoised`, `store.derived`), so computing them once
for a new state of the workspace (`prepare_opening`, which `lagesbild import` and `lagesbild
prepare` run) lets every later process open the page from disk, without reading the incident
rows (`core.frames.DeferredIncidents`). The release audit of each opening period, which the app
runs beside the page, is kept the same way.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from lagesbild.analysis.figures import SEXES, layer_figures, periods
from lagesbild.analysis.period_choice import default_period
from lagesbild.analysis.release import release_audit
from lagesbild.analysis.time_coverage import part_years
from lagesbild.core.frames import Frames
from lagesbild.core.layers import LayerSpec, wide_only
from lagesbild.core.settings import Settings
from lagesbild.core.taxonomy import Taxonomy


@dataclass
class Prepared:
    """What `prepare_opening` computed: each layer's opening period, the periods audited, and
    the seconds each step took."""

    opening: dict[str, str] = field(default_factory=dict)
    audited: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    passed: bool = True


def prepare_opening(frames: Frames, specs: Mapping[str, LayerSpec], *, taxonomy: Taxonomy,
                    settings: Settings, audit: bool = True) -> Prepared:
    """Compute (and so keep, when `frames` keep their results) what the first page reads:
    every layer's opening period and its figures for K, M and T, the part years the sidebar
    names, and (`audit`) the release audit of each opening period for the layers everyone may
    see and, when there are police-only layers, for all of them (the two audiences' pages ask
    for these two)."""
    done = Prepared()
    start = time.perf_counter()
    part_years(frames)
    for layer_id, spec in specs.items():
        choice = default_period(frames, spec, periods(frames, spec), taxonomy=taxonomy,
                                settings=settings)
        if choice is None:
            continue
        done.opening[layer_id] = choice.period
        for sex in SEXES:
            layer_figures(frames, spec, period=choice.period, sex=sex, taxonomy=taxonomy,
                          settings=settings)
    done.seconds["figures"] = time.perf_counter() - start
    if audit:
        start = time.perf_counter()
        # as the app audits (`ui.release_guard`): annualising changes rates, not counts
        plain = dataclasses.replace(settings, annualise=False)
        audiences = [dict(specs)]
        if wide_only(dict(specs)) != dict(specs):
            audiences.insert(0, wide_only(dict(specs)))
        for period in sorted(set(done.opening.values())):
            for chosen in audiences:
                found = release_audit(frames, taxonomy=taxonomy, settings=plain,
                                      periods=[period], specs=chosen)
                done.passed &= found.passed
            done.audited.append(period)
        done.seconds["audit"] = time.perf_counter() - start
    return done
