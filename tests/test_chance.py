"""Flags expected by chance alone (analysis.chance): the count and the sentence, by hand."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lagesbild.analysis.chance import FlagCount, expected_by_chance, flags_text, number, pct


def test_expected_by_chance_is_n_tested_times_the_level_left_over() -> None:
    assert expected_by_chance(15, 0.90) == pytest.approx(1.5)
    assert expected_by_chance(15, 0.95) == pytest.approx(0.75)
    assert expected_by_chance(290, 0.99) == pytest.approx(2.9)
    assert expected_by_chance(0, 0.95) == 0
    assert FlagCount(0.95, 40, 3).expected == pytest.approx(2.0)
    # with FDR: at most 5 % of the 3 flagged are expected to be chance
    assert FlagCount(0.95, 40, 3, fdr=True).expected == pytest.approx(0.15)
    assert FlagCount(0.9, 15, 2).as_dict() == {"level": 0.9, "n_tested": 15, "flagged": 2,
                                               "expected_by_chance": 1.5, "fdr": False}


def test_numbers_and_levels_in_both_languages() -> None:
    assert (number(1.5), number(0.75), number(0.0), number(12.25, "en")) == (
        "1,5", "0,75", "0,0", "12.2")
    assert (pct(0.95), pct(0.9, "en"), pct(0.995)) == ("95\u00a0%", "90%", "99,5\u00a0%")


def test_the_sentence() -> None:
    counts = [FlagCount(0.95, 15, 2), FlagCount(0.90, 15, 3)]
    assert flags_text(counts) == (
        "Flaggade mot vad slumpen ensam ger: 90\u00a0%-nivån 3 av 15 områden (väntat av slumpen "
        "ensam: 1,5); 95\u00a0%-nivån 2 av 15 områden (väntat av slumpen ensam: 0,75).")
    assert flags_text(counts[:1], "en", "kommuner") == (
        "Flagged against what chance alone gives: 95% level 2 of 15 municipalities (expected "
        "by chance alone: 0.75).")
    assert flags_text([FlagCount(0.9, 15, 3, fdr=True)]).endswith(
        "90\u00a0%-nivån 3 av 15 områden (högst 0,30 av dem av slump).")
    assert flags_text([]) == ""


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 6000), st.sampled_from([0.9, 0.95, 0.99]))
def test_expected_grows_with_the_tests(n: int, level: float) -> None:
    assert 0 <= expected_by_chance(n, level) <= n
    assert expected_by_chance(n + 1, level) > expected_by_chance(n, level)
