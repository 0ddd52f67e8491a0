"""The period a page opens on and the sex choices a layer offers (`analysis.period_choice`),
cached per workspace, and the captions that say why."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from lagesbild.analysis.period_choice import (PeriodChoice, default_period, has_sex_split,
                                              kommuner_with_data, period_note)
from lagesbild.core.layers import LayerSpec
from lagesbild.core.settings import Settings
from lagesbild.core.taxonomy import Taxonomy
from lagesbild.ui import common


@st.cache_data(max_entries=256, show_spinner=False, hash_funcs=common.FAST_HASH)
def _choice(key: str, path: str, spec: LayerSpec, candidates: tuple[str, ...],
            taxonomy: Taxonomy, settings: Settings) -> PeriodChoice | None:
    return default_period(common.frames_for(key, path), spec, candidates, taxonomy=taxonomy,
                          settings=settings)


@st.cache_data(max_entries=256, show_spinner=False, hash_funcs=common.FAST_HASH)
def _with_data(key: str, path: str, spec: LayerSpec, period: str, taxonomy: Taxonomy,
               settings: Settings) -> int:
    return len(kommuner_with_data(common.frames_for(key, path), spec, period=period,
                                  taxonomy=taxonomy, settings=settings))


@st.cache_data(max_entries=256, show_spinner=False, hash_funcs=common.FAST_HASH)
def _split(key: str, path: str, spec: LayerSpec, period: str, taxonomy: Taxonomy,
           settings: Settings) -> bool:
    return has_sex_split(common.frames_for(key, path), spec, period=period, taxonomy=taxonomy,
                         settings=settings)


def choice(ctx: common.Context, spec: LayerSpec, candidates: Sequence[str]) -> PeriodChoice | None:
    _, taxonomy, _ = common.specs(ctx)
    return _choice(ctx.key, ctx.location, spec, tuple(str(p) for p in candidates),
                   taxonomy, ctx.settings)


def default(ctx: common.Context, spec: LayerSpec, candidates: Sequence[str]) -> str:
    """The period to open on among `candidates` (oldest first; not empty)."""
    found = choice(ctx, spec, candidates)
    return found.period if found is not None else str(candidates[-1])


def opening(ctx: common.Context, candidates: Sequence[str], kind: str | None = None) -> str:
    """The period a page of several layers opens on (Våldspyramid, Lägesbild, Rapport): the
    default of the first layer (of `kind`, when given) with data in one of `candidates`, so a
    new year with one kommun's figures is offered but not opened on."""
    specs, _, _ = common.specs(ctx)
    wanted = {str(c) for c in candidates}
    for spec in specs.values():
        if (kind is None or spec.kind == kind) and wanted & set(common.layer_periods(ctx, spec)):
            found = default(ctx, spec, [str(c) for c in candidates])
            if found in wanted:
                return found
    return str(candidates[-1])


def note(ctx: common.Context, spec: LayerSpec, candidates: Sequence[str], period: str) -> str:
    """The caption for the shown period: its kommuner with data, later partial periods."""
    _, taxonomy, _ = common.specs(ctx)
    shown = _with_data(ctx.key, ctx.location, spec, str(period), taxonomy,
                       ctx.settings)
    return period_note(choice(ctx, spec, candidates), str(period), shown, ctx.lang)


def keep_or_default(ctx: common.Context, state_key: str, spec: LayerSpec,
                    candidates: Sequence[str]) -> None:
    """Set the period widget's state to the default unless it holds one of `candidates`."""
    if st.session_state.get(state_key) not in candidates:
        st.session_state[state_key] = default(ctx, spec, candidates)


def sex_options(ctx: common.Context, spec: LayerSpec, period: str) -> list[str]:
    """Totalt, Kvinnor, Män; Totalt only when the layer has no K/M split for `period`."""
    _, taxonomy, _ = common.specs(ctx)
    split = _split(ctx.key, ctx.location, spec, str(period), taxonomy, ctx.settings)
    return common.sex_options() if split else ["T"]


def sex_radio(ctx: common.Context, column: object, spec: LayerSpec, period: str,
              key: str) -> str:
    """The sex choice in `column`: Totalt only, with a caption, for a layer without a split."""
    from lagesbild.core.i18n import sex_label

    options = sex_options(ctx, spec, period)
    if st.session_state.get(key) not in options:
        st.session_state[key] = "T"
    sex = column.radio(ctx.t("sex"), options, key=key, horizontal=True,  # type: ignore[attr-defined]
                       format_func=lambda s: sex_label(s, ctx.lang))
    if options == ["T"]:
        column.caption(ctx.t("sex_total_only"))  # type: ignore[attr-defined]
    return str(sex)
