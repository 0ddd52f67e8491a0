"""Mörkertal: survey exposure against reported crime on the tiny county, computed by hand."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.rates import confint_poisson

from lagesbild.core import schema
from lagesbild.analysis.cube import protected_cube
from lagesbild.analysis.darkfigure import (COLUMNS, REASONS, caveats, ratio_interval,
                                           reported_categories, reporting_ratio)
from lagesbild.core.taxonomy import ALL, load_taxonomy
from lagesbild.core.frames import Frames
from lagesbild.store.frames import load_frames
from lagesbild.core.settings import Settings
from lagesbild.store.gpkg import GpkgWorkspace

from frames_support import shared_demo, tiny_frames

ROOT = Path(__file__).resolve().parents[1]
TAXONOMY = load_taxonomy(ROOT / "layers" / "pyramid.toml")
META = tomllib.loads((ROOT / "layers" / "indicators.toml").read_text(encoding="utf-8"))
SETTINGS = Settings(suppress_below=5, min_survey_n=30)
REVEALING = ["reported", "reported_low", "reported_high", "ratio", "ratio_low", "ratio_high"]


def with_indicators(frames: Frames, rows: list[tuple[str, str, str, str, float, int]]) -> Frames:
    """`frames` with survey rows (area, period, indicator, sex, share %, n) added or replaced."""
    new = pd.DataFrame([(a, p, i, s, v, "percent", n, None, None, "enkät.csv")
                        for a, p, i, s, v, n in rows], columns=[c for c in schema.TABLES["indicators"] if c != "age_group"])
    old = frames.indicators
    keys = {(a, p, i, s) for a, p, i, s, *_ in rows}
    keep = [(a, p, i, s) not in keys for a, p, i, s in
            zip(old["area_id"], old["period"], old["indicator_id"], old["sex"])]
    table = pd.concat([old[keep], schema.conform(new, "indicators")], ignore_index=True)
    return dataclasses.replace(frames, indicators=schema.conform(table, "indicators"))


def ratio(frames: Frames, indicator: str = "utsatt_misshandel", **kw) -> pd.DataFrame:
    kw.setdefault("period", "2024")
    out = reporting_ratio(frames, indicator, taxonomy=TAXONOMY, settings=SETTINGS,
                          indicator_meta=META, **kw)
    assert list(out.columns) == COLUMNS
    return out.set_index(["area_id", "sex"])


def test_reporting_ratio_by_hand() -> None:
    row = ratio(tiny_frames()).loc[("2417", "T")]
    # 2 % of 250 respondents, 4 000 inhabitants: 80 implied victims; 16 reported Misshandel
    assert row["share"] == pytest.approx(2.0) and row["n"] == 250
    assert row["implied"] == pytest.approx(80.0) and row["reported"] == 16
    assert row["ratio"] == pytest.approx(0.2) and row["shown"] and row["reason"] == ""
    # each interval at 97.5 % (Bonferroni for 95 % together), checked against statsmodels
    p_low, p_high = proportion_confint(5, 250, alpha=0.025, method="wilson")
    c_low, c_high = confint_poisson(16, 1, method="exact-c", alpha=0.025)
    assert row["share_low"] == pytest.approx(100 * p_low) and row["share_high"] == pytest.approx(100 * p_high)
    assert row["ratio_low"] == pytest.approx(c_low / (4000 * p_high))
    assert row["ratio_high"] == pytest.approx(c_high / (4000 * p_low))
    assert row["categories"] == "Misshandel, Grov misshandel"
    assert row["display"] == ("0,20 anmälda brott per uppskattad utsatt person (95 % KI 0,04–0,90; "
                              "16 anmälda, cirka 80 utsatta)")
    assert row["display_en"].startswith("0.20 reported offences per estimated victim")
    assert row["source"].startswith("enkät.csv")


def test_reported_categories_come_from_indicators_toml() -> None:
    assert reported_categories(META, "utsatt_misshandel") == ("Misshandel", "Grov misshandel")
    assert reported_categories(META, "utsatt_hot") == ("Olaga hot",)
    assert reported_categories(META, "utsatt_trakasserier") == ("Sexuellt ofredande", "Ofredande")
    assert reported_categories(META, "otrygghet") == () and reported_categories(META, "x") == ()
    known = {c.casefold() for lv in TAXONOMY.levels for c in lv.categories}
    for item in META.values():
        assert {c.casefold() for c in item.get("reported_categories", [])} <= known


def test_hidden_count_gives_no_ratio() -> None:
    frames = with_indicators(tiny_frames(), [("2417", "2024", "utsatt_misshandel", "K", 6.0, 100)])
    cube = protected_cube(frames, period="2024", source="counts", taxonomy=TAXONOMY, settings=SETTINGS)
    cell = cube[(cube["area_id"] == "2417") & (cube["sex"] == "K") & (cube["category"] == "Misshandel")]
    assert cell["suppressed"].iloc[0]  # Sorsele's 2 women make Norsjö's 6 recoverable
    row = ratio(frames).loc[("2417", "K")]
    assert row["reason"] == "hidden_count" and not row["shown"]
    assert row[REVEALING].isna().all()
    assert row["implied"] == pytest.approx(120.0)  # the survey side may be shown: 6 % of 2 000 women
    assert row["display"] == row["display_en"] == ".."  # the reason is in `reason`, not the cell


def test_few_respondents_zero_share_and_no_survey() -> None:
    frames = with_indicators(tiny_frames(), [
        ("2417", "2024", "utsatt_misshandel", "T", 2.0, 20),
        ("2422", "2024", "utsatt_misshandel", "T", 4.0, 100)])
    out = ratio(frames)
    few = out.loc[("2417", "T")]
    assert few["reason"] == "few_respondents" and pd.isna(few["share"]) and pd.isna(few["ratio"])
    assert few["display"] == ".."
    # with the county's pooled share shown, Sorsele's share would give Norsjö's away
    other = out.loc[("2422", "T")]
    assert other["reason"] == "hidden_share" and pd.isna(other["share"]) and pd.isna(other["ratio"])
    assert out.loc[("2422", "K"), "reason"] == "no_survey"
    zero = ratio(with_indicators(tiny_frames(), [
        ("2417", "2024", "utsatt_misshandel", "T", 2.0, 100),
        ("2422", "2024", "utsatt_misshandel", "T", 0.0, 100)])).loc[("2422", "T")]
    assert zero["reason"] == "zero_share" and zero["implied"] == 0 and pd.isna(zero["ratio"])
    assert zero["reported"] == 9  # the count is public; only the ratio is undefined
    assert set(out["reason"]) <= set(REASONS)


def test_county_needs_every_kommun_in_the_survey() -> None:
    assert ratio(tiny_frames()).loc[("24", "T"), "reason"] == "partial_survey"
    frames = with_indicators(tiny_frames(), [("2422", "2024", "utsatt_misshandel", "T", 4.0, 100)])
    row = ratio(frames).loc[("24", "T")]
    # pooled share (2 % × 250 + 4 % × 100) / 350; 6 000 inhabitants; 16 + 9 reported
    assert row["share"] == pytest.approx(900 / 350)
    assert row["implied"] == pytest.approx(6000 * 9 / 350) and row["reported"] == 25
    assert row["ratio"] == pytest.approx(25 / (6000 * 9 / 350)) and row["reason"] == ""


def test_population_base_categories_and_count_period() -> None:
    frames = tiny_frames()
    base = pd.DataFrame({"area_id": ["2417"], "sex": ["T"], "population": [1000]})
    out = ratio(frames, population_base=base)
    assert out.loc[("2417", "T"), "ratio"] == pytest.approx(16 / 20)
    assert out.loc[("2417", "T"), "population_base"] == 1000
    assert out.loc[("2417", "K"), "reason"] in ("no_survey", "no_population")
    none = ratio(frames, categories=["Stöld"])
    assert (none["reason"].isin(["no_categories", "no_survey", "partial_survey"])).all()
    assert none.loc[("2417", "T"), "reason"] == "no_categories"
    assert none["reported"].isna().all()
    assert (ratio(frames, "otrygghet")["reason"] != "").all()
    earlier = ratio(frames, count_period="2023").loc[("2417", "T")]
    assert earlier["count_period"] == "2023" and earlier["ratio"] == pytest.approx(20 / 80)


def test_incident_source_is_protected_too() -> None:
    out = ratio(tiny_frames(), source="incidents")
    row = out.loc[("2417", "T")]
    assert row["reason"] == "hidden_count" and row[REVEALING].isna().all()


def test_order_independence() -> None:
    frames = with_indicators(tiny_frames(), [("2422", "2024", "utsatt_misshandel", "T", 4.0, 100)])
    shuffled = dataclasses.replace(
        frames, areas=frames.areas.iloc[::-1], indicators=frames.indicators.sample(frac=1, random_state=1),
        incident_counts=frames.incident_counts.sample(frac=1, random_state=2),
        population=frames.population.sample(frac=1, random_state=3))
    a, b = ratio(frames).sort_index(), ratio(shuffled).sort_index()
    pd.testing.assert_frame_equal(a, b)


def test_caveats() -> None:
    sv = caveats(age_range="16–84 år")
    assert any("åldrarna 16–84 år" in t for t in sv) and any("alla åldrar" in t for t in sv)
    assert any("flera gånger" in t for t in sv) and any("hela befolkningen" in t for t in sv)
    assert not any("hela befolkningen" in t for t in caveats(base_given=True))
    en = caveats(lang="en")
    assert len(en) == len(sv) and any("several times" in t for t in en)


counts = st.integers(0, 30)


answers = st.integers(1, 300).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n)))


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(counts, counts, counts), min_size=4, max_size=4),
       st.lists(answers, min_size=6, max_size=6))
def test_hidden_cells_are_never_used(cells: list[tuple[int, int, int]],
                                     survey: list[tuple[int, int]]) -> None:
    keys = [("2417", "Misshandel"), ("2417", "Grov misshandel"), ("2422", "Misshandel"),
            ("2422", "Våldtäkt")]
    rows = [(a, "2024", c, sex, n, "brå.csv") for (a, c), (k, m, extra) in zip(keys, cells)
            for sex, n in zip("KMT", (k, m, k + m + extra))]
    frames = dataclasses.replace(tiny_frames(), incident_counts=schema.conform(pd.DataFrame(
        rows, columns=[c for c in schema.TABLES["incident_counts"] if c != "age_group"]), "incident_counts"))
    frames = with_indicators(frames, [(a, "2024", "utsatt_misshandel", s, 100 * x / n, n)
                                      for (a, s), (x, n) in
                                      zip([(a, s) for a in ("2417", "2422") for s in "KMT"], survey)])
    out = ratio(frames)
    cube = protected_cube(frames, period="2024", source="counts", taxonomy=TAXONOMY, settings=SETTINGS)
    wanted = cube[cube["category"].isin(["Misshandel", "Grov misshandel"]) & (cube["category"] != ALL)]
    for (area, sex), row in out.iterrows():
        cells_here = wanted[(wanted["area_id"] == area) & (wanted["sex"] == sex)]
        if cells_here["suppressed"].any():
            assert row[REVEALING].isna().all()
            assert not row["shown"]
        elif row["reason"] in ("", "zero_share", "few_respondents", "no_survey"):
            assert row["reported"] == cells_here["count"].sum()
        if row["shown"]:
            assert row["ratio_low"] <= row["ratio"] <= row["ratio_high"]
            assert row["n"] >= SETTINGS.min_survey_n


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2000), st.floats(1e-4, 1.0), st.integers(1, 20_000), st.integers(1, 10**7),
       st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_interval_contains_the_estimate(count: int, share: float, n: int, pop: int,
                                        confidence: float) -> None:
    res = ratio_interval(pd.Series([count]), pd.Series([share]), pd.Series([n]), pd.Series([pop]),
                         confidence=confidence).iloc[0]
    assert res["implied_low"] <= res["implied"] <= res["implied_high"]
    assert res["reported_low"] <= count <= res["reported_high"]
    assert res["ratio_low"] <= res["ratio"] * (1 + 1e-12)
    assert res["ratio"] <= res["ratio_high"] * (1 + 1e-12)


def test_interval_covers_at_least_its_level() -> None:
    # simulation: true share 5 % of 200, true mean 60 reported per 10 000 people → ratio 0.12
    rng = np.random.default_rng(4)
    draws = 4000
    shares = rng.binomial(200, 0.05, draws) / 200
    reported = rng.poisson(60, draws)
    res = ratio_interval(pd.Series(reported), pd.Series(shares), pd.Series([200] * draws),
                         pd.Series([10_000] * draws))
    covered = ((res["ratio_low"] <= 0.12) & (0.12 <= res["ratio_high"])).mean()
    assert covered >= 0.95


def test_demo_workspace(tmp_path_factory: pytest.TempPathFactory) -> None:
    frames = load_frames(GpkgWorkspace(shared_demo(tmp_path_factory)))
    settings_ = Settings()
    for indicator in ("utsatt_misshandel", "utsatt_hot", "utsatt_trakasserier"):
        out = reporting_ratio(frames, indicator, period="2024", taxonomy=TAXONOMY, settings=settings_,
                              indicator_meta=META)
        shown = out[out["shown"]]
        assert len(shown) and shown["reported"].notna().all() and (shown["n"] >= 30).all()
        assert (shown["ratio_low"] <= shown["ratio"]).all() and (shown["ratio"] <= shown["ratio_high"]).all()
        assert out.loc[~out["shown"], "ratio"].isna().all()
    # a year with reported offences but no survey: every row says so, nothing breaks
    none = reporting_ratio(frames, "utsatt_misshandel", period="2019", taxonomy=TAXONOMY,
                           settings=settings_, indicator_meta=META)
    assert set(none["reason"]) == {"no_survey"} and (none["source"] == "").all()
