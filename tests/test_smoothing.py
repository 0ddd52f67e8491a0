"""Empirical Bayes and pooled 3-year rates: hand-computed cases, esda as reference, and the
disclosure promise that nothing shown lets a hidden count be recovered."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from esda.smoothing import Empirical_Bayes
from hypothesis import given, settings
from hypothesis import strategies as st

from lagesbild.core import schema
from lagesbild.analysis import disclosure
from lagesbild.analysis.figures import FIGURE_COLUMNS, layer_figures
from lagesbild.core.taxonomy import load_taxonomy
from lagesbild.analysis.smoothing import (EB_COLUMNS, EB_NOTE, empirical_bayes, pool_figures,
                                          rolling_label, rolling_periods, rolling_rates,
                                          rolling_window)
from lagesbild.analysis.stats import poisson_ci
from lagesbild.core.errors import InputError
from lagesbild.core.frames import Frames
from lagesbild.core.layers import LayerSpec, load_layers
from lagesbild.core.settings import Settings

from disclosure_support import linear_attack
from frames_support import tiny_frames

ROOT = Path(__file__).resolve().parents[1]
TAXONOMY = load_taxonomy(ROOT / "layers" / "pyramid.toml")
LAYERS = load_layers(ROOT / "layers")
SETTINGS = Settings(suppress_below=5, min_survey_n=30)
PER = 100_000
NBSP = "\u00a0"


def figure_frame(counts: list[int], pops: list[int], *, hidden: tuple[int, ...] = (),
                 county: bool = True, reveal_hidden: bool = False) -> pd.DataFrame:
    """A rate layer's figures by hand: kommuner 2401, 2402, … and (optionally) their län 24.

    Hidden kommuner have count, value and interval NA (as `layer_figures` gives them) unless
    `reveal_hidden`, which leaves their true counts in place to check they are not read.
    """
    ids = [f"24{i + 1:02d}" for i in range(len(counts))]
    rows = pd.DataFrame({"area_id": ids, "name": ids, "level": "kommun", "count": counts,
                         "denominator": pops})
    if county:
        rows = pd.concat([pd.DataFrame({"area_id": ["24"], "name": ["länet"], "level": ["lan"],
                                        "count": [sum(counts)], "denominator": [sum(pops)]}),
                          rows], ignore_index=True)
    is_hidden = rows["area_id"].isin([ids[i] for i in hidden]).to_numpy()
    low, high = poisson_ci(rows["count"])
    rows["value"] = rows["count"] / rows["denominator"] * PER
    rows["ci_low"] = low / rows["denominator"] * PER
    rows["ci_high"] = high / rows["denominator"] * PER
    rows["suppressed"] = is_hidden
    rows["suppression"] = np.where(is_hidden, "secondary", "")
    rows["display"] = [(".." if h else f"{v:.1f} per 100 000") for h, v in
                       zip(is_hidden, rows["value"])]
    for col in ("value", "ci_low", "ci_high") + (() if reveal_hidden else ("count",)):
        rows[col] = rows[col].astype("Float64").mask(is_hidden)
    rows = rows.assign(period="2024", sex="T", n=pd.NA, unit=f"per{PER}", note="", source="test",
                       part_year="")
    for col in ("count", "denominator", "n"):
        rows[col] = pd.to_numeric(rows[col]).astype("Int64")
    return rows[FIGURE_COLUMNS]


def marshall(counts: list[int], pops: list[int]) -> np.ndarray:
    """Marshall's global EB estimator written out (rates per inhabitant), variance truncated."""
    x, b = np.array(counts, float), np.array(pops, float)
    m = x.sum() / b.sum()
    s2 = max((b * (x / b - m) ** 2).sum() / b.sum() - m / b.mean(), 0.0)
    return m + s2 / (s2 + m / b) * (x / b - m)


# --- Empirical Bayes ------------------------------------------------------------------------

def test_eb_hand_computed_and_equal_to_esda() -> None:
    counts, pops = [10, 120, 2, 150], [2000, 10_000, 500, 20_000]
    out = empirical_bayes(figure_frame(counts, pops), per=PER).set_index("area_id")
    # pooled rate 282 / 32 500; spread of the rates is larger than chance: no truncation
    m = 282 / 32_500
    s2 = (sum(b * (x / b - m) ** 2 for x, b in zip(counts, pops)) / 32_500 - m / (32_500 / 4))
    assert s2 > 0
    expected = [m + s2 / (s2 + m / b) * (x / b - m) for x, b in zip(counts, pops)]
    kommuner = ["2401", "2402", "2403", "2404"]
    assert out.loc[kommuner, "value"].tolist() == pytest.approx([e * PER for e in expected])
    esda = Empirical_Bayes(np.array(counts), np.array(pops)).r.ravel() * PER
    assert out.loc[kommuner, "value"].tolist() == pytest.approx(esda.tolist())
    assert out.loc[kommuner, "raw_value"].tolist() == pytest.approx(
        [x / b * PER for x, b in zip(counts, pops)])
    assert out.loc[kommuner, "weight"].tolist() == pytest.approx([s2 / (s2 + m / b) for b in pops])
    assert out.loc[kommuner, ["ci_low", "ci_high"]].isna().all().all()
    assert out.loc[kommuner, "raw_ci_low"].notna().all()
    assert out.loc[kommuner, "smoothed"].all() and not out.loc["24", "smoothed"]
    assert (out.loc[kommuner, "note"] == EB_NOTE).all()
    assert out.loc["2403", "display"] == f"{out.loc['2403', 'value']:.1f}".replace(".", ",") + \
        f" per 100{NBSP}000 utjämnat (2 brott)"
    # the county row is the published one, untouched
    assert out.loc["24", "value"] == pytest.approx(m * PER)
    low = poisson_ci(np.array([282]))[0][0]
    assert out.loc["24", "ci_low"] == pytest.approx(low / 32_500 * PER)
    assert out.attrs["prior_rate"] == pytest.approx(m * PER)
    assert out.attrs["prior_source"] == "län" and out.attrs["smoothing"] == "empirical_bayes"
    assert list(out.columns) == [c for c in FIGURE_COLUMNS if c != "area_id"] + EB_COLUMNS


def test_eb_spread_within_chance_gives_every_kommun_the_county_rate() -> None:
    # rates 500, 450, 520 per 100 000 differ less than Poisson noise: esda's own weights would
    # turn negative here; Marshall's rule sets the variance to 0
    out = empirical_bayes(figure_frame([20, 9, 13], [4000, 2000, 2500]), per=PER)
    kommuner = out[out["level"] == "kommun"]
    assert kommuner["value"].tolist() == pytest.approx([42 / 8500 * PER] * 3)
    assert (kommuner["weight"] == 0).all()
    assert out.attrs["prior_variance"] == 0


def test_eb_hidden_kommuner_stay_hidden_and_enter_the_prior_only_as_county_remainder() -> None:
    counts, pops = [30, 3, 2, 80, 1], [3000, 800, 900, 5000, 400]
    figs = figure_frame(counts, pops, hidden=(1, 2, 4))
    out = empirical_bayes(figs, per=PER).set_index("area_id")
    for area in ("2402", "2403", "2405"):
        assert out.loc[area, ["count", "value", "ci_low", "ci_high", "raw_value",
                              "weight"]].isna().all()
        assert out.loc[area, "display"] == ".." and out.loc[area, "suppressed"]
        assert not out.loc[area, "smoothed"]
    # prior: the shown kommuner plus one area = county minus the shown (6 events, 2 100 inh.)
    reference = marshall([30, 80, 6], [3000, 5000, 2100]) * PER
    assert out.loc[["2401", "2404"], "value"].tolist() == pytest.approx(reference[:2].tolist())
    assert out.attrs["prior_rate"] == pytest.approx(116 / 10_100 * PER)


def test_eb_without_a_shown_county_uses_the_shown_kommuner() -> None:
    figs = figure_frame([30, 3, 2, 80], [3000, 800, 900, 5000], hidden=(1, 2))
    figs.loc[figs["level"] == "lan", ["count", "value", "ci_low", "ci_high"]] = pd.NA
    figs.loc[figs["level"] == "lan", "suppressed"] = True
    out = empirical_bayes(figs, per=PER).set_index("area_id")
    assert out.attrs["prior_source"] == "kommuner"
    assert out.loc[["2401", "2404"], "value"].tolist() == pytest.approx(
        (marshall([30, 80], [3000, 5000]) * PER).tolist())


def test_eb_hidden_counts_cannot_be_recovered() -> None:
    """Two counties that publish the same cells (hidden 3 + 2 or 1 + 4) get the same output.

    A naive EB over every kommun would differ: given the others, each EB value is an
    invertible function of the kommun's own count.
    """
    pops = [3000, 800, 900, 5000]
    first, second = [30, 3, 2, 80], [30, 1, 4, 80]
    outs = [empirical_bayes(figure_frame(c, pops, hidden=(1, 2), reveal_hidden=reveal), per=PER)
            for c in (first, second) for reveal in (False, True)]
    for out in outs[1:]:
        pd.testing.assert_frame_equal(out, outs[0])
    naive = [Empirical_Bayes(np.array(c), np.array(pops)).r.ravel() for c in (first, second)]
    assert not np.allclose(naive[0], naive[1])


def test_eb_rejects_share_figures() -> None:
    figs = figure_frame([10, 20], [100, 200]).assign(unit="percent")
    with pytest.raises(ValueError, match="rate"):
        empirical_bayes(figs, per=PER)


@st.composite
def counties(draw: st.DrawFn) -> tuple[list[int], list[int], tuple[int, ...]]:
    n = draw(st.integers(2, 10))
    counts = draw(st.lists(st.integers(0, 300), min_size=n, max_size=n))
    pops = draw(st.lists(st.integers(200, 60_000), min_size=n, max_size=n))
    hidden = draw(st.sets(st.integers(0, n - 1), max_size=n))
    return counts, pops, tuple(sorted(hidden))


@settings(max_examples=100, deadline=None)
@given(county=counties(), seed=st.integers(0, 2**32 - 1))
def test_eb_properties(county: tuple[list[int], list[int], tuple[int, ...]], seed: int) -> None:
    counts, pops, hidden = county
    figs = figure_frame(counts, pops, hidden=hidden)
    out = empirical_bayes(figs, per=PER)
    kommun = (out["level"] == "kommun").to_numpy()
    hid = out["suppressed"].to_numpy(dtype=bool)
    # hidden cells never produce numbers, and keep their published text
    numbers = ["count", "value", "ci_low", "ci_high", "raw_value", "weight"]
    assert out.loc[hid, numbers].isna().all().all()
    assert (out.loc[hid, "display"] == figs.loc[hid, "display"]).all()
    # every shown kommun is smoothed: between its own rate and the prior, weight in [0, 1]
    shown = kommun & ~hid
    assert (out["smoothed"].to_numpy() == shown).all()
    prior = out.attrs["prior_rate"] if shown.any() else 0.0
    raw = out.loc[shown, "raw_value"].to_numpy(dtype=float)
    value = out.loc[shown, "value"].to_numpy(dtype=float)
    assert (np.minimum(raw, prior) - 1e-6 <= value).all()
    assert (value <= np.maximum(raw, prior) + 1e-6).all()
    assert ((out.loc[shown, "weight"] >= 0) & (out.loc[shown, "weight"] <= 1)).all()
    # the hidden counts are not read, even when left in the frame
    revealed = empirical_bayes(figure_frame(counts, pops, hidden=hidden, reveal_hidden=True),
                               per=PER)
    pd.testing.assert_frame_equal(revealed, out)
    # the row order does not matter
    order = np.random.default_rng(seed).permutation(len(figs))
    shuffled = empirical_bayes(figs.iloc[order], per=PER).loc[out.index]
    pd.testing.assert_frame_equal(shuffled, out, check_exact=False, rtol=1e-9)


def test_eb_on_layer_figures() -> None:
    frames = tiny_frames()
    # women: both kommuner hidden (2 is small, 11 would give it away): nothing to smooth
    women = empirical_bayes(layer_figures(frames, LAYERS["vald_topp"], period="2024", sex="K",
                                          taxonomy=TAXONOMY, settings=SETTINGS), per=PER)
    assert not women["smoothed"].any()
    assert women.loc[women["level"] == "kommun", "value"].isna().all()
    total = empirical_bayes(layer_figures(frames, LAYERS["vald_topp"], period="2024", sex="T",
                                          taxonomy=TAXONOMY, settings=SETTINGS), per=PER)
    # 525 and 450 per 100 000 from 21 and 9 offences: within chance, both get the county's 500
    assert total.loc[total["smoothed"], "value"].tolist() == pytest.approx([500.0, 500.0])


# --- pooled 3-year rates ----------------------------------------------------------------------

# (area, year) -> (K, M); T = K + M. Sorsele's 2 women in 2024 are hidden that year.
POOL = {("2417", 2022): (6, 10), ("2417", 2023): (10, 10), ("2417", 2024): (6, 10),
        ("2422", 2022): (10, 7), ("2422", 2023): (10, 10), ("2422", 2024): (2, 7)}
PEOPLE = {"2417": (2000, 2000), "2422": (1000, 1000)}


def pooled_frames(counts: dict[tuple[str, int], tuple[int, int]] = POOL) -> Frames:
    base = tiny_frames()
    rows = [(a, str(y), "Misshandel", s, n, "brå.csv") for (a, y), (k, m) in counts.items()
            for s, n in (("K", k), ("M", m), ("T", k + m))]
    years = sorted({y for _, y in counts})
    people = [(a, y, s, p, "folkmängd") for a, (k, m) in PEOPLE.items() for y in years
              for s, p in (("K", k), ("M", m), ("T", k + m))]
    return dataclasses.replace(
        base,
        incident_counts=schema.conform(pd.DataFrame(rows, columns=[
            "area_id", "period", "category", "sex", "count", "source"]), "incident_counts"),
        population=schema.conform(pd.DataFrame(people, columns=[
            "area_id", "year", "sex", "population", "source"]), "population"))


def _rolling(frames: Frames, sex: str, layer: str = "vald_topp") -> pd.DataFrame:
    return rolling_rates(frames, LAYERS[layer], end="2024", sex=sex, taxonomy=TAXONOMY,
                         settings=SETTINGS)


def test_window_helpers() -> None:
    assert rolling_window("2024") == ["2022", "2023", "2024"]
    assert rolling_window("2024", 5)[0] == "2020"
    assert rolling_label(rolling_window("2024")) == "2022–2024"
    assert rolling_periods(pooled_frames(), LAYERS["vald_topp"]) == ["2024"]
    assert rolling_periods(tiny_frames(), LAYERS["vald_topp"]) == []
    assert rolling_periods(tiny_frames(), LAYERS["vald_topp"], years=2) == ["2024"]
    assert rolling_periods(tiny_frames(), LAYERS["otrygghet"]) == []


def test_rolling_total_hand_computed() -> None:
    out = _rolling(pooled_frames(), "T").set_index("area_id")
    assert list(out.reset_index().columns) == FIGURE_COLUMNS
    assert out.loc[["24", "2417", "2422"], "count"].tolist() == [98, 52, 46]
    assert out.loc[["24", "2417", "2422"], "denominator"].tolist() == [18_000, 12_000, 6_000]
    assert out.loc["2422", "value"] == pytest.approx(46 / 6000 * PER)
    low, high = poisson_ci(np.array([46]))
    assert out.loc["2422", "ci_low"] == pytest.approx(low[0] / 6000 * PER)
    assert out.loc["2422", "ci_high"] == pytest.approx(high[0] / 6000 * PER)
    assert (out["period"] == "2022–2024").all()
    assert (out["note"] == "3-årsmedel 2022–2024").all()
    assert out.loc["2417", "display"] == f"433,3 per 100{NBSP}000 och år (52 brott 2022–2024)"
    assert out.loc["2417", "name"] == "Norsjö" and out.loc["24", "level"] == "lan"
    assert "brå.csv" in out.loc["2417", "source"]
    # the other branch (a layer by categories) pools the same way
    spec = LayerSpec(id="m", title_sv="Misshandel", title_en="Assault", kind="count_rate",
                     categories=("misshandel",))
    other = rolling_rates(pooled_frames(), spec, end="2024", sex="T", taxonomy=TAXONOMY,
                          settings=SETTINGS).set_index("area_id")
    assert other.loc[["24", "2417", "2422"], "count"].tolist() == [98, 52, 46]


def test_rolling_hides_a_window_with_a_hidden_year() -> None:
    frames = pooled_frames()
    yearly = {y: layer_figures(frames, LAYERS["vald_topp"], period=y, sex="K", taxonomy=TAXONOMY,
                               settings=SETTINGS).set_index("area_id")
              for y in ("2022", "2023", "2024")}
    assert yearly["2024"].loc["2422", "display"] == ".."
    assert yearly["2022"].loc["2422", "count"] == 10 and yearly["2023"].loc["2422", "count"] == 10
    out = _rolling(frames, "K").set_index("area_id")
    for area in ("2417", "2422"):  # 2417 is hidden in 2024 too, or 2422 would follow
        assert out.loc[area, "suppressed"] and out.loc[area, "display"] == ".."
        assert out.loc[area, ["count", "value", "ci_low", "ci_high"]].isna().all()
        assert "minst ett av åren är dolt" in out.loc[area, "note"]
        assert out.loc[area, "denominator"] > 0  # population is public
    assert out.loc["24", "count"] == 44
    # the policy alone on the pooled cells would show Sorsele's 22, and 22 - 10 - 10 = 2
    naive = pd.DataFrame({"area_id": ["24", "2417", "2422"], "count": [44, 22, 22]})
    shown = disclosure.suppress(naive, keys=["area_id"], threshold=5, additive=[("area_id", "24")])
    assert not shown["suppressed"].any()


def test_rolling_needs_every_year() -> None:
    with pytest.raises(InputError, match="2022"):
        _rolling(tiny_frames(), "T")
    with pytest.raises(ValueError, match="rate"):
        rolling_rates(pooled_frames(), LAYERS["otrygghet"], end="2024", sex="T",
                      taxonomy=TAXONOMY, settings=SETTINGS)


def test_pool_figures_missing_population_says_so() -> None:
    frames = pooled_frames()
    years = [layer_figures(frames, LAYERS["vald_topp"], period=y, sex="T", taxonomy=TAXONOMY,
                           settings=SETTINGS) for y in ("2022", "2023", "2024")]
    years[0].loc[years[0]["area_id"] == "2417", "denominator"] = pd.NA
    out = pool_figures(years, per=PER, settings=SETTINGS).set_index("area_id")
    assert out.loc["2417", "count"] == 52 and pd.isna(out.loc["2417", "value"])
    assert "folkmängd saknas" in out.loc["2417", "note"]
    assert out.loc["2417", "display"] == "52 brott 2022–2024"
    with pytest.raises(ValueError, match="one sex"):
        pool_figures([*years[1:], years[0].assign(sex="K")], per=PER, settings=SETTINGS)


KEYS = ["area_id", "sex", "period"]
RELATIONS = [("sex", "T"), ("area_id", "24"), ("period", "2022–2024")]


@settings(max_examples=15, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12)), min_size=6, max_size=6))
def test_rolling_reveals_nothing_the_years_do_not(pairs: list[tuple[int, int]]) -> None:
    """Every shown pooled count is a sum of shown yearly counts, and an attacker solving all
    the published equations (years, windows, sexes, county) pins down no small cell."""
    counts = dict(zip([(a, y) for a in ("2417", "2422") for y in (2022, 2023, 2024)], pairs))
    frames = pooled_frames(counts)
    published = []
    for sex in ("K", "M", "T"):
        years = [layer_figures(frames, LAYERS["vald_topp"], period=y, sex=sex, taxonomy=TAXONOMY,
                               settings=SETTINGS) for y in ("2022", "2023", "2024")]
        pooled = pool_figures(years, per=PER, settings=SETTINGS)  # what rolling_rates returns
        both = pd.concat(years).groupby("area_id")
        shown = pooled[~pooled["suppressed"]].set_index("area_id")
        for area, row in shown.iterrows():
            parts = both.get_group(area)
            assert not parts["suppressed"].any()
            assert row["count"] == parts["count"].sum()
        published += [*years, pooled]
    table = pd.concat(published, ignore_index=True)
    assert not (table["suppressed"] & table["count"].notna()).any()
    recovered = linear_attack(table, KEYS, RELATIONS)
    small = set(np.flatnonzero((table["suppression"] == "small").to_numpy()).tolist())
    assert not recovered & small
