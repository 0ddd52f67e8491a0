"""Overdispersion: the dispersion test holds its level under Poisson, finds extra-Poisson
variation, widened intervals cover the truth where plain Poisson ones do not, only published
counts enter, and changes in overdispersed areas are tested with their φ."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from frames_support import demo_inputs
from lagesbild.analysis import dispersion, figures, stats
from lagesbild.analysis.change import rate_change
from lagesbild.analysis.dispersion import dispersion_table, pearson_dispersion, widen

YEARS = 6
POP = np.full(YEARS, 20_000.0)


def test_pearson_dispersion_on_hand_made_series() -> None:
    phi, p = pearson_dispersion(np.array([30, 30, 30, 30]), np.full(4, 1000.0))
    assert phi == 0 and p == pytest.approx(1.0)
    phi, p = pearson_dispersion(np.array([10, 50, 10, 50]), np.full(4, 1000.0))
    # expected 30 each: X² = 4 × 400 / 30, 3 degrees of freedom
    assert phi == pytest.approx(1600 / 30 / 3) and p < 1e-6
    assert np.isnan(pearson_dispersion(np.array([3, 9]), np.full(2, 1.0))[0])  # too few years
    assert np.isnan(pearson_dispersion(np.zeros(4), np.full(4, 1.0))[0])  # no events


def _series(rng: np.random.Generator, draws: np.ndarray) -> pd.DataFrame:
    rows = [(f"a{i}", "T", str(2019 + t), int(c), POP[t])
            for i, counts in enumerate(draws) for t, c in enumerate(counts)]
    return pd.DataFrame(rows, columns=["area_id", "sex", "period", "count", "population"])


def test_the_test_holds_its_level_under_poisson_and_finds_extra_variation() -> None:
    rng = np.random.default_rng(7)
    poisson = rng.poisson(40.0, size=(2000, YEARS))
    table = dispersion_table(_series(rng, poisson), confidence=0.95)
    assert 0.03 <= table["overdispersed"].mean() <= 0.07
    # negative binomial with mean 40 and variance 40 × 4 (φ = 4)
    nb = rng.negative_binomial(40 / 3, 1 / 4, size=(2000, YEARS))
    table = dispersion_table(_series(rng, nb), confidence=0.95)
    assert table["overdispersed"].mean() > 0.6  # power with six years at φ = 4: about 3 in 4
    assert table["phi"].median() == pytest.approx(4, rel=0.25)


def test_widened_intervals_cover_the_truth_where_poisson_ones_do_not() -> None:
    rng = np.random.default_rng(11)
    true_rate = 40.0 / POP[0] * 100_000
    nb = rng.negative_binomial(40 / 3, 1 / 4, size=(3000, YEARS))
    series = _series(rng, nb)
    table = dispersion_table(series, confidence=0.95)
    last = series[series["period"] == "2024"].reset_index(drop=True)
    rates = stats.rate(last["count"], last["population"])
    figs = pd.concat([last.rename(columns={"population": "denominator"}), rates], axis=1).assign(
        suppressed=False, note="")
    wide = widen(figs, table, per=100_000, confidence=0.95)
    covered_poisson = ((figs["ci_low"] <= true_rate) & (true_rate <= figs["ci_high"])).mean()
    covered_wide = ((wide["ci_low"] <= true_rate) & (true_rate <= wide["ci_high"])).mean()
    assert covered_poisson < 0.85 and covered_wide > 0.9
    widened = wide["note"].str.contains("intervallet vidgat")
    assert widened.sum() == table["overdispersed"].sum()
    assert ((wide["ci_high"] - wide["ci_low"])[widened]
            > (figs["ci_high"] - figs["ci_low"])[widened]).all()
    assert ((wide["ci_low"] <= wide["value"]) & (wide["value"] <= wide["ci_high"])).all()


def test_only_published_counts_enter(monkeypatch, tmp_path_factory) -> None:
    """A hidden year is left out: whatever its true count, φ is the same."""
    frames, specs, taxonomy, settings = demo_inputs(tmp_path_factory)
    spec = specs["vald_topp"]
    results = []
    for secret in (0, 900):
        def counts(frames_, spec_, *, period, taxonomy, settings, _s=secret):  # noqa: ANN001, ANN202
            hidden = period == "2021"
            return pd.DataFrame({"area_id": ["2417"], "sex": ["T"],
                                 "count": [_s if hidden else 20 + int(period) % 7],
                                 "suppressed": [hidden], "suppression": ["secondary" if hidden else ""]})
        monkeypatch.setattr(figures, "protected_counts", counts)
        table = dispersion._layer_dispersion(frames, spec, taxonomy=taxonomy, settings=settings)
        results.append(table.set_index(["area_id", "sex"]).loc[("2417", "T")])
    assert results[0]["phi"] == results[1]["phi"]
    assert "2021" not in results[0]["years"]


def test_demo_figures_say_when_they_are_widened(tmp_path_factory) -> None:
    frames, specs, taxonomy, settings = demo_inputs(tmp_path_factory)
    spec = specs["hot_trakasserier"]
    table = dispersion.layer_dispersion(frames, spec, taxonomy=taxonomy, settings=settings)
    over = table[table["overdispersed"] & (table["sex"] == "T")]
    assert len(over)  # the demo's county rises over the years
    figs = figures.layer_figures(frames, spec, period="2024", sex="T", taxonomy=taxonomy,
                                 settings=settings).set_index("area_id")
    for area in over["area_id"]:
        row = figs.loc[area]
        plain = stats.rate(pd.Series([row["count"]]), pd.Series([row["denominator"]]))
        assert "intervallet vidgat" in row["note"]
        assert row["ci_high"] - row["ci_low"] > plain["ci_high"][0] - plain["ci_low"][0]
    calm = table[~table["overdispersed"] & (table["sex"] == "T")]["area_id"]
    assert not figs.loc[list(calm), "note"].str.contains("vidgat").any()


def test_changes_in_an_overdispersed_area_are_tested_with_phi() -> None:
    plain = rate_change(40, 10_000, 62, 10_000)
    wide = rate_change(40, 10_000, 62, 10_000, phi=3.0)
    assert plain.p_value < 0.05 < wide.p_value
    assert wide.estimate == plain.estimate
    assert wide.ci_low < plain.ci_low and wide.ci_high > plain.ci_high
