"""Change between two periods: exact rate-ratio test, Newcombe differences for shares, and
no numbers from hidden cells. statsmodels is the reference implementation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats as sps
from statsmodels.stats import proportion as sm_proportion
from statsmodels.stats import rates as sm_rates

from lagesbild.analysis.change import (CHANGE_COLUMNS, VERDICTS, change_flags, change_table,
                                       rate_change, share_change)
from lagesbild.analysis.figures import FIGURE_COLUMNS, layer_figures
from lagesbild.core.taxonomy import load_taxonomy
from lagesbild.core.frames import Frames
from lagesbild.core.layers import load_layers
from lagesbild.core.settings import Settings

from frames_support import tiny_frames

ROOT = Path(__file__).resolve().parents[1]
TAXONOMY = load_taxonomy(ROOT / "layers" / "pyramid.toml")
LAYERS = load_layers(ROOT / "layers")
SETTINGS = Settings(suppress_below=5, min_survey_n=30)
NUMBERS = ["value_from", "value_to", "ratio", "difference", "ci_low", "ci_high", "p_value"]


@pytest.fixture(scope="module")
def frames() -> Frames:
    return tiny_frames()


# --- rates --------------------------------------------------------------------------------

def test_rate_change_hand_computed() -> None:
    # 10 then 30 offences in 1 000 inhabitants: given 40, the second period's share is
    # Binomial(40, 1/2) when nothing changed
    ch = rate_change(10, 1000, 30, 1000)
    assert ch.estimate == pytest.approx(3.0)
    assert ch.p_value == pytest.approx(2 * sps.binom.sf(29, 40, 0.5))
    low = sps.beta.ppf(0.025, 30, 11)
    high = sps.beta.ppf(0.975, 31, 10)
    assert ch.ci_low == pytest.approx(low / (1 - low))
    assert ch.ci_high == pytest.approx(high / (1 - high))
    # exposures scale the ratio: twice the population in the second period halves it
    assert rate_change(10, 1000, 30, 2000).estimate == pytest.approx(1.5)


def test_rate_change_edges() -> None:
    none = rate_change(0, 1000, 0, 1200)
    assert np.isnan(none.estimate) and none.p_value == 1.0
    assert none.ci_low == 0 and none.ci_high == np.inf
    new = rate_change(0, 1000, 8, 1000)
    assert new.estimate == np.inf and new.ci_high == np.inf and new.ci_low > 0
    assert new.p_value == pytest.approx(2 * 0.5**8)
    gone = rate_change(8, 1000, 0, 1000)
    assert gone.estimate == 0 and gone.ci_low == 0 and gone.ci_high < 1


def _statsmodels_central(k1: int, e1: float, k2: int, e2: float) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):  # statsmodels divides by a zero rate
        one_sided = [sm_rates.test_poisson_2indep(k2, e2, k1, e1, method="exact-cond",
                                                  alternative=side).pvalue
                     for side in ("larger", "smaller")]
    return min(1.0, 2 * min(one_sided))


@pytest.mark.parametrize(("k1", "e1", "k2", "e2"), [
    (10, 1000, 30, 1000), (3, 500, 9, 700), (120, 50_000, 160, 52_000), (0, 1000, 4, 1000),
    (5, 1000, 0, 1000), (40, 4000, 21, 4000)])
def test_rate_change_against_statsmodels(k1: int, e1: float, k2: int, e2: float) -> None:
    ch = rate_change(k1, e1, k2, e2)
    # statsmodels' exact conditional test, one-sided both ways, made central
    assert ch.p_value == pytest.approx(_statsmodels_central(k1, e1, k2, e2), rel=1e-9)
    # its two-sided version is the minlike p of the same binomial: same conditional model
    with np.errstate(divide="ignore", invalid="ignore"):
        minlike = sm_rates.test_poisson_2indep(k2, e2, k1, e1, method="exact-cond").pvalue
    assert minlike == pytest.approx(sps.binomtest(k2, k1 + k2, e2 / (e1 + e2)).pvalue)
    # the interval is Clopper-Pearson's for the binomial share, mapped to the ratio
    low, high = sm_proportion.proportion_confint(k2, k1 + k2, alpha=0.05, method="beta")
    to_ratio = (lambda p: np.inf if p >= 1 else p / (1 - p) * e1 / e2)
    assert ch.ci_low == pytest.approx(to_ratio(low))
    assert ch.ci_high == pytest.approx(to_ratio(high))


@pytest.mark.parametrize("seed", range(6))
def test_rate_change_close_to_the_etest_for_large_counts(seed: int) -> None:
    rng = np.random.default_rng(seed)
    e1, e2 = rng.integers(20_000, 200_000, 2)
    k1, k2 = rng.poisson(0.005 * e1), rng.poisson(0.005 * e2 * rng.uniform(0.85, 1.2))
    etest = sm_rates.test_poisson_2indep(k2, e2, k1, e1, method="etest").pvalue
    # the exact conditional test is a little conservative; with hundreds of events they agree
    assert abs(rate_change(k1, e1, k2, e2).p_value - etest) < 0.05


@settings(max_examples=300, deadline=None)
@given(k1=st.integers(0, 400), k2=st.integers(0, 400), e1=st.integers(100, 10**6),
       e2=st.integers(100, 10**6), confidence=st.sampled_from([0.9, 0.95, 0.99]))
def test_rate_change_properties(k1: int, k2: int, e1: int, e2: int, confidence: float) -> None:
    ch = rate_change(k1, e1, k2, e2, confidence=confidence)
    assert 0 <= ch.p_value <= 1
    assert 0 <= ch.ci_low <= ch.ci_high
    if not np.isnan(ch.estimate):
        assert ch.ci_low <= ch.estimate * (1 + 1e-9) and ch.estimate <= ch.ci_high * (1 + 1e-9)
    # the test and the interval agree: "beyond chance" exactly when 1 is outside the interval
    alpha = 1 - confidence
    assume(abs(ch.p_value - alpha) > 1e-9)
    assert (ch.p_value < alpha) == (ch.ci_low > 1 or ch.ci_high < 1)
    # swapping the periods inverts the ratio and keeps the p-value
    back = rate_change(k2, e2, k1, e1, confidence=confidence)
    assert back.p_value == pytest.approx(ch.p_value)
    if 0 < ch.estimate < np.inf:
        assert back.estimate == pytest.approx(1 / ch.estimate)
        assert back.ci_low == pytest.approx(1 / ch.ci_high)


# --- survey shares ------------------------------------------------------------------------

@pytest.mark.parametrize(("p1", "n1", "p2", "n2"), [
    (0.12, 150, 0.15, 200), (0.2, 100, 0.35, 80), (0.5, 33, 0.6, 31), (0.3, 40, 0.1, 60)])
def test_share_change_against_statsmodels(p1: float, n1: int, p2: float, n2: int) -> None:
    ch = share_change(p1, n1, p2, n2)
    x1, x2 = p1 * n1, p2 * n2
    assert ch.estimate == pytest.approx(p2 - p1)
    low, high = sm_proportion.confint_proportions_2indep(x2, n2, x1, n1, method="newcomb",
                                                         compare="diff")
    assert (ch.ci_low, ch.ci_high) == pytest.approx((low, high))
    score = sm_proportion.test_proportions_2indep(x2, n2, x1, n1, method="score", correction=False)
    assert ch.p_value == pytest.approx(score.pvalue)
    assert ch.p_value == pytest.approx(sm_proportion.proportions_ztest([x2, x1], [n2, n1])[1])


def test_share_change_hand_computed() -> None:
    # 20 % of 100 then 35 % of 80: pooled 48/180, z = 0.15 / sqrt(p(1-p)(1/100 + 1/80))
    ch = share_change(0.2, 100, 0.35, 80)
    pooled = 48 / 180
    z = 0.15 / np.sqrt(pooled * (1 - pooled) * (1 / 100 + 1 / 80))
    assert ch.p_value == pytest.approx(2 * sps.norm.sf(z))
    assert share_change(0.0, 50, 0.0, 70).p_value == 1.0


@settings(max_examples=300, deadline=None)
@given(x1=st.integers(0, 500), x2=st.integers(0, 500), extra1=st.integers(1, 500),
       extra2=st.integers(1, 500))
def test_share_change_properties(x1: int, x2: int, extra1: int, extra2: int) -> None:
    n1, n2 = x1 + extra1, x2 + extra2
    ch = share_change(x1 / n1, n1, x2 / n2, n2)
    assert -1 <= ch.ci_low <= ch.estimate + 1e-12 and ch.estimate <= ch.ci_high + 1e-12 <= 1 + 1e-9
    assert 0 <= ch.p_value <= 1
    back = share_change(x2 / n2, n2, x1 / n1, n1)
    assert (back.estimate, back.ci_low, back.ci_high) == pytest.approx(
        (-ch.estimate, -ch.ci_high, -ch.ci_low), abs=1e-12)
    assert back.p_value == pytest.approx(ch.p_value)


# --- the table ------------------------------------------------------------------------------

def _figs(frames: Frames, layer: str, period: str, sex: str) -> pd.DataFrame:
    return layer_figures(frames, LAYERS[layer], period=period, sex=sex, taxonomy=TAXONOMY,
                         settings=SETTINGS)


def test_table_rates_between_years(frames: Frames) -> None:
    out = change_table(_figs(frames, "vald_topp", "2023", "T"),
                       _figs(frames, "vald_topp", "2024", "T"), settings=SETTINGS)
    assert list(out.columns) == CHANGE_COLUMNS
    out = out.set_index("area_id")
    # Sorsele: 20 then 9 offences, 2 000 inhabitants both years
    row = out.loc["2422"]
    ch = rate_change(20, 2000, 9, 2000)
    assert row["ratio"] == pytest.approx(0.45) and row["p_value"] == pytest.approx(ch.p_value)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((ch.ci_low, ch.ci_high))
    assert row["value_from"] == pytest.approx(1000.0) and row["value_to"] == pytest.approx(450.0)
    assert not row["significant"] and row["verdict"] == "ingen säker förändring (kan vara slump)"
    assert row["verdict_en"] == "no certain change (may be chance)"
    assert row["display"] == "kvot 0,45 (95\u00a0% KI 0,18–1,03)"
    assert (out["period_from"] == "2023").all() and (out["period_to"] == "2024").all()
    assert (out["measure"] == "ratio").all() and out["difference"].isna().all()
    assert out.loc["2417", "name"] == "Norsjö" and out.loc["24", "level"] == "lan"


def test_table_hidden_cells_give_no_numbers(frames: Frames) -> None:
    before, after = _figs(frames, "vald_topp", "2023", "K"), _figs(frames, "vald_topp", "2024", "K")
    out = change_table(before, after, settings=SETTINGS).set_index("area_id")
    for area in ("2417", "2422"):  # shown in 2023, hidden in 2024
        assert out.loc[area, "verdict"] == "dold" and out.loc[area, "verdict_en"] == "hidden"
        assert out.loc[area, NUMBERS].isna().all() and not out.loc[area, "significant"]
    assert out.loc["2422", "display_to"] == ".." and out.loc["2417", "display_to"] == ".."
    assert out.loc["24", "ratio"] == pytest.approx((13 / 3000) / (20 / 3010))


def test_table_survey_shares(frames: Frames) -> None:
    out = change_table(_figs(frames, "otrygghet", "2023", "T"),
                       _figs(frames, "otrygghet", "2024", "T"), settings=SETTINGS)
    out = out.set_index("area_id")
    row = out.loc["2417"]  # 12 % of 150, then 15 % of 200
    ch = share_change(0.12, 150, 0.15, 200)
    assert row["difference"] == pytest.approx(3.0) and row["measure"] == "difference"
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((100 * ch.ci_low, 100 * ch.ci_high))
    assert row["p_value"] == pytest.approx(ch.p_value) and pd.isna(row["ratio"])
    assert row["verdict"] == VERDICTS["none"][0]
    assert row["display"].startswith("+3,0 procentenheter (95\u00a0% KI −")
    assert out.loc["2422", "verdict"] == "uppgift saknas"  # no 2023 survey there
    assert out.loc["2422", "display_to"] == "16,7 % (n=60)"


def _hand(rows: list[tuple], period: str, unit: str = "per100000") -> pd.DataFrame:
    """Figures by hand: (area_id, count, denominator, value, n, suppressed)."""
    frame = pd.DataFrame(rows, columns=["area_id", "count", "denominator", "value", "n",
                                        "suppressed"])
    frame = frame.assign(name=frame["area_id"], level="kommun", period=period, sex="T",
                         ci_low=pd.NA, ci_high=pd.NA, unit=unit, note="", source="x", part_year="",
                         suppression=np.where(frame["suppressed"], "small", ""),
                         display=[("<5" if s else "shown") for s in frame["suppressed"]])
    for col in ("count", "denominator", "n"):
        frame[col] = pd.to_numeric(frame[col]).astype("Int64")
    for col in ("value", "ci_low", "ci_high"):
        frame[col] = pd.to_numeric(frame[col]).astype("Float64")
    return frame[FIGURE_COLUMNS]


def test_table_verdicts_up_and_down() -> None:
    before = _hand([("A", 20, 10_000, 200.0, None, False), ("B", 80, 10_000, 800.0, None, False),
                    ("C", 0, 10_000, 0.0, None, False), ("D", 0, 0, None, None, False)], "2023")
    after = _hand([("A", 60, 10_000, 600.0, None, False), ("B", 30, 10_000, 300.0, None, False),
                   ("C", 0, 10_000, 0.0, None, False), ("D", 5, 100, 5000.0, None, False)], "2024")
    out = change_table(before, after, settings=SETTINGS).set_index("area_id")
    assert out.loc["A", "verdict"] == "ökning utöver slumpen" and out.loc["A", "significant"]
    assert out.loc["A", "verdict_en"] == "increase beyond chance"
    assert out.loc["B", "verdict"] == "minskning utöver slumpen"
    assert out.loc["B", "verdict_en"] == "decrease beyond chance"
    assert out.loc["C", "verdict"] == VERDICTS["none"][0] and pd.isna(out.loc["C", "ratio"])
    assert out.loc["C", "display"] == "inga brott under någon av perioderna"
    assert out.loc["D", "verdict"] == "uppgift saknas"  # no population the first year


def test_table_refuses_what_it_cannot_test(frames: Frames) -> None:
    rates = _figs(frames, "vald_topp", "2024", "T")
    with pytest.raises(ValueError, match="overlap"):
        change_table(rates, rates, settings=SETTINGS)
    with pytest.raises(ValueError, match="overlap"):
        change_table(rates.assign(period="2021–2023"), rates.assign(period="2023–2025"),
                     settings=SETTINGS)
    fine = change_table(rates.assign(period="2019–2021"), rates.assign(period="2022–2024"),
                        settings=SETTINGS)
    assert (fine["period_from"] == "2019–2021").all()
    with pytest.raises(ValueError, match="unit"):
        change_table(rates, _figs(frames, "otrygghet", "2023", "T"), settings=SETTINGS)
    with pytest.raises(ValueError, match="smoothed"):
        change_table(rates.assign(smoothed=True, period="2023"), rates, settings=SETTINGS)
    with pytest.raises(ValueError, match="coverage"):
        change_table(_figs(frames, "mvp_tackning", "VT2024", "T"),
                     _figs(frames, "mvp_tackning", "HT2024", "T"), settings=SETTINGS)


@st.composite
def figure_pairs(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame]:
    n = draw(st.integers(1, 8))
    areas = [f"A{i}" for i in range(n)]
    frames = []
    for period in ("2023", "2024"):
        rows = []
        for area in areas:
            count, pop = draw(st.integers(0, 300)), draw(st.integers(1, 50_000))
            hidden = draw(st.booleans())
            rows.append((area, None if hidden else count, pop,
                         None if hidden else count / pop * 100_000, None, hidden))
        frames.append(_hand(rows, period))
    return frames[0], frames[1]


@settings(max_examples=60, deadline=None)
@given(pair=figure_pairs(), seed=st.integers(0, 2**32 - 1))
def test_table_properties(pair: tuple[pd.DataFrame, pd.DataFrame], seed: int) -> None:
    before, after = pair
    out = change_table(before, after, settings=SETTINGS).set_index("area_id")
    hidden = before.set_index("area_id")["suppressed"] | after.set_index("area_id")["suppressed"]
    # a cell hidden in either period gives "dold" and no numbers
    assert (out.loc[hidden[hidden].index, "verdict"] == "dold").all()
    assert out.loc[hidden[hidden].index, NUMBERS].isna().all().all()
    assert not out.loc[hidden[hidden].index, "significant"].any()
    shown = out.loc[hidden[~hidden].index]
    assert (shown["verdict"] != "dold").all()
    finite = shown[shown["ratio"].notna() & (shown["ratio"] < np.inf)]
    assert (finite["ci_low"] <= finite["ratio"] * (1 + 1e-9)).all()
    assert (finite["ratio"] <= finite["ci_high"] * (1 + 1e-9)).all()
    assert ((shown["p_value"] < 0.05) == shown["significant"]).all()
    # independent of the row order
    rng = np.random.default_rng(seed)
    shuffled = change_table(before.iloc[rng.permutation(len(before))],
                            after.iloc[rng.permutation(len(after))], settings=SETTINGS)
    pd.testing.assert_frame_equal(shuffled.set_index("area_id").loc[out.index], out)


def test_a_change_is_flagged_only_when_its_interval_leaves_out_no_change() -> None:
    # 20 -> 30 per 10 000: the point says "up", the interval (0.86, 2.68) holds 1
    before = _hand([("A", 20, 10_000, 200.0, None, False), ("B", 20, 10_000, 200.0, None, False),
                    ("C", 20, 10_000, 200.0, None, True)], "2023")
    after = _hand([("A", 30, 10_000, 300.0, None, False), ("B", 60, 10_000, 600.0, None, False),
                   ("C", 20, 10_000, 200.0, None, False)], "2024")
    out = change_table(before, after, settings=SETTINGS).set_index("area_id")
    assert out.loc["A", "ratio"] > 1 and out.loc["A", "ci_low"] < 1 < out.loc["A", "ci_high"]
    assert not out.loc["A", "significant"] and out.loc["A", "verdict"] == VERDICTS["none"][0]
    assert out.loc["B", "significant"] and out.loc["B", "ci_low"] > 1
    # flags against chance: A and B are tested (C is hidden), one flagged, 2 × 5 % expected
    flags = change_flags(out.reset_index(), SETTINGS.confidence)
    assert (flags.n_tested, flags.flagged) == (2, 1)
    assert flags.expected == pytest.approx(0.1)


@settings(max_examples=60, deadline=None)
@given(pair=figure_pairs())
def test_every_flag_has_an_interval_beyond_no_change(pair) -> None:
    out = change_table(*pair, settings=SETTINGS)
    flagged = out[out["significant"]]
    assert ((flagged["ci_low"] > 1) | (flagged["ci_high"] < 1)).all()
    flags = change_flags(out, SETTINGS.confidence)
    untested = out["verdict"].isin([VERDICTS["hidden"][0], VERDICTS["missing"][0]])
    assert flags.flagged == len(flagged) and flags.n_tested == int((~untested).sum())
