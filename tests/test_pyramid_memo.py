"""The per-frames memo of area-independent figures (survey shares, populations) behind the pyramid.

The pyramid page recomputed every survey item's shares for the whole country on each area
change; `figures._memo` keeps them per frames object. The numbers must be the ones a fresh
computation gives, and a new workspace (a new frames object) must never see old entries.
"""

from __future__ import annotations

import copy
import dataclasses
import gc

import pandas as pd
import pytest
from frames_support import demo_inputs, tiny_frames

from lagesbild.analysis import figures, shares
from lagesbild.analysis.memo import MEMO
from lagesbild.analysis.pyramid_view import PyramidView, count_periods, pyramid_view
from lagesbild.core.frames import Frames


def _fresh(frames: Frames) -> Frames:
    """The same tables, deep-copied, in a new frames object (so with an empty memo)."""
    return dataclasses.replace(frames, **{f.name: copy.deepcopy(getattr(frames, f.name))
                                          for f in dataclasses.fields(frames)})


def _no_memo(monkeypatch: pytest.MonkeyPatch) -> None:
    for module in (figures, shares):  # the survey shares live in analysis.shares
        monkeypatch.setattr(module, "_memo", lambda frames, key, compute: compute())


def _same(got: PyramidView, want: PyramidView) -> None:
    for field in dataclasses.fields(PyramidView):
        a, b = getattr(got, field.name), getattr(want, field.name)
        if isinstance(a, pd.DataFrame):
            pd.testing.assert_frame_equal(a, b, check_exact=True)
        else:
            assert a == b, field.name


def _views(frames: Frames, taxonomy, meta, settings, cases) -> dict:  # noqa: ANN001
    return {(a, p, s): pyramid_view(frames, taxonomy, meta, area_id=a, period=p, source=s,
                                    settings=settings) for a, p, s in cases}


def test_pyramid_figures_are_the_same_with_and_without_the_memo(
        tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    base, _, taxonomy, settings = demo_inputs(tmp_path_factory)
    from lagesbild.analysis.darkfigure import load_indicator_meta

    meta = load_indicator_meta(settings)
    frames = _fresh(base)
    # the county, and kommuner from both ends of the list (a computation without the memo
    # takes a while, so not all of them)
    kommuner = frames.kommuner["area_id"].tolist()
    areas = [*frames.lan["area_id"], *kommuner[:3], *kommuner[-2:]]
    cases = [(a, p, "counts") for a in areas for p in count_periods(frames, "counts")[-2:]]
    cases += [(a, count_periods(frames, "incidents")[-1], "incidents") for a in areas[:3]]
    # the memo filled by the first area is read by every later one, and by a second pass
    memoised = _views(frames, taxonomy, meta, settings, cases)
    again = _views(frames, taxonomy, meta, settings, reversed(cases))
    items = [(i, p) for i in frames.indicators["indicator_id"].unique()
             for p in frames.indicators["period"].unique()]
    shares = {c: figures.indicator_figures(frames, c[0], period=c[1], settings=settings)
              for c in items}
    assert id(frames) in MEMO
    _no_memo(monkeypatch)
    other = _fresh(base)
    plain = _views(other, taxonomy, meta, settings, cases)
    for case in cases:
        _same(memoised[case], plain[case])
        _same(again[case], plain[case])
    for (item, period), got in shares.items():
        pd.testing.assert_frame_equal(got, figures.indicator_figures(
            other, item, period=period, settings=settings), check_exact=True)
    # the comparison covers shown, too-few and secondary-hidden shares
    kinds = set(pd.concat(shares.values())["suppression"])
    assert {"", "few_respondents", "secondary"} <= kinds
    assert all(len(v.indicators) for v in plain.values())
    # nothing of figures' memo for `other` (the cube keeps its own entries in the shared memo)
    # (and the facts of what the data cover: periods, days, kommuner, the victim's sex)
    assert {key[0] for key in MEMO.get(id(other), {})} <= {
        "protected_cube", "incident_years", "covered_areas", "sex_known", "kommun_covers",
        "sources_by_kommun", "dataset_extents", "population_label", "incident_spans",
        "count_cube"}


def test_memoised_frames_are_copies(tmp_path_factory: pytest.TempPathFactory) -> None:
    base, _, _, settings = demo_inputs(tmp_path_factory)
    frames = _fresh(base)
    first = figures.indicator_figures(frames, "otrygghet", period="2024", settings=settings)
    want = first.copy()
    first["value"] = -1.0
    first.loc[first.index[0], "display"] = "ändrad"
    pd.testing.assert_frame_equal(
        figures.indicator_figures(frames, "otrygghet", period="2024", settings=settings), want)
    pop = figures.population_for(frames, "2024")
    pop["population"] = 0
    assert figures.population_for(frames, "2024")["population"].sum() > 0


def test_a_new_workspace_does_not_reuse_old_memo_entries(monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    from lagesbild.core.settings import get_settings

    settings = get_settings()
    old = tiny_frames()
    before = figures.indicator_figures(old, "otrygghet", period="2024", settings=settings)
    pop_before = figures.population_for(old, "2024")
    # the workspace changes: new answers for Norsjö and a new population, a new frames object
    ind = old.indicators.copy()
    ind.loc[(ind["area_id"] == "2417") & (ind["indicator_id"] == "otrygghet"), "value"] = 40.0
    people = old.population.assign(population=old.population["population"] * 2)
    new = dataclasses.replace(old, indicators=ind, population=people)
    after = figures.indicator_figures(new, "otrygghet", period="2024", settings=settings)
    pop_after = figures.population_for(new, "2024")
    norsjo = after[after["area_id"] == "2417"]
    assert (norsjo["value"] == 40.0).all()
    assert not before[before["area_id"] == "2417"]["value"].eq(40.0).any()
    assert pop_after["population"].sum() == 2 * pop_before["population"].sum()
    # other settings are other entries too
    strict = dataclasses.replace(settings, min_survey_n=1000)
    hidden = figures.indicator_figures(new, "otrygghet", period="2024", settings=strict)
    assert hidden["suppressed"].all() and not after["suppressed"].all()
    # and every memoised answer is what a computation without the memo gives
    with monkeypatch.context() as m:
        _no_memo(m)
        pd.testing.assert_frame_equal(
            after, figures.indicator_figures(new, "otrygghet", period="2024", settings=settings))
        pd.testing.assert_frame_equal(
            before, figures.indicator_figures(old, "otrygghet", period="2024", settings=settings))
        pd.testing.assert_frame_equal(pop_after, figures.population_for(new, "2024"))


def test_the_memo_is_dropped_with_its_frames() -> None:
    from lagesbild.core.settings import get_settings

    frames = tiny_frames()
    figures.indicator_figures(frames, "otrygghet", period="2024", settings=get_settings())
    key = id(frames)
    assert key in MEMO
    del frames
    gc.collect()
    # a later frames object that happens to get the same id starts with an empty memo
    assert key not in MEMO
