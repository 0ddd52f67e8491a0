"""Programme coverage, dose, and coverage against need on the tiny county, by hand."""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import percentileofscore

from lagesbild.core import schema
from lagesbild.analysis.need import (COLUMN_LABELS, COVERAGE_COLUMNS, DOSE_NOTE, NEED_COLUMNS,
                                     coverage_need, labelled, need_scores, percentile_rank,
                                     programme_coverage)
from lagesbild.core.taxonomy import load_taxonomy
from lagesbild.core.frames import Frames
from lagesbild.core.layers import load_layers
from lagesbild.core.settings import Settings

from frames_support import tiny_frames

ROOT = Path(__file__).resolve().parents[1]
TAXONOMY = load_taxonomy(ROOT / "layers" / "pyramid.toml")
LAYERS = load_layers(ROOT / "layers")
SETTINGS = Settings(suppress_below=5, min_survey_n=30)
META = {"otrygghet": {"polarity": "negative"}}


def ranking(frames: Frames, need: list[str], **kw) -> pd.DataFrame:
    kw.setdefault("indicator_meta", META)
    out = coverage_need(frames, term="HT2024", need=need, layers=LAYERS, taxonomy=TAXONOMY,
                        settings=SETTINGS, **kw)
    assert list(out.columns) == NEED_COLUMNS
    return out


def with_otrygghet(frames: Frames, area: str, share: float, n: int) -> Frames:
    table = frames.indicators.copy()
    mask = (table["area_id"] == area) & (table["indicator_id"] == "otrygghet") & \
        (table["period"] == "2024") & (table["sex"] == "T")
    table.loc[mask, "value"], table.loc[mask, "n"] = share, n
    return dataclasses.replace(frames, indicators=schema.conform(table, "indicators"))


def test_programme_coverage_by_hand() -> None:
    table = programme_coverage(tiny_frames())
    assert list(table.columns) == COVERAGE_COLUMNS
    assert table["period"].drop_duplicates().tolist() == ["VT2024", "HT2024"]  # term order
    ht = table[table["period"] == "HT2024"].set_index("area_id")
    # Norsjö: 45 of 150 pupils, 1 of 2 schools, 2 classes, 3 staff: 3 / 45 × 100
    assert ht.loc["2417", "share_pupils"] == pytest.approx(30.0)
    assert ht.loc["2417", "share_schools"] == pytest.approx(50.0)
    assert (ht.loc["2417", "classes"], ht.loc["2417", "staff_trained"]) == (2, 3)
    assert ht.loc["2417", "staff_per_100_pupils"] == pytest.approx(100 * 3 / 45)
    assert ht.loc["2422", "staff_per_100_pupils"] == pytest.approx(10.0)  # 2 per 20 pupils
    assert ht.loc["24", "staff_per_100_pupils"] == pytest.approx(100 * 5 / 65)
    assert ht.loc["24", "level"] == "lan" and ht.loc["2417", "name"] == "Norsjö"
    vt = table[table["period"] == "VT2024"].set_index("area_id")
    assert vt.loc["2422", "pupils_reached"] == 0 and pd.isna(vt.loc["2422", "staff_per_100_pupils"])
    assert "lektioner" in DOSE_NOTE["sv"] and "lessons" in DOSE_NOTE["en"]
    assert programme_coverage(tiny_frames(), periods=[]).empty


def test_unknown_classes_and_staff_stay_unknown() -> None:
    frames = tiny_frames()
    act = frames.programme_activity.copy()
    first = (act["site_id"] == "2417-S01") & (act["period"] == "HT2024")
    act.loc[first, "staff_trained"] = pd.NA
    frames = dataclasses.replace(frames, programme_activity=schema.conform(act, "programme_activity"))
    ht = programme_coverage(frames, periods=["HT2024"]).set_index("area_id")
    assert pd.isna(ht.loc["2417", "staff_trained"]) and pd.isna(ht.loc["2417", "staff_per_100_pupils"])
    assert ht.loc["2417", "classes"] == 2  # still known
    assert pd.isna(ht.loc["24", "staff_trained"])  # the county sum is not known either
    assert ht.loc["2422", "staff_trained"] == 2


def test_programme_filter() -> None:
    ht = programme_coverage(tiny_frames(), periods=["HT2024"], programmes=["MVP"]).set_index("area_id")
    assert ht.loc["2422", "pupils_reached"] == 0 and ht.loc["2417", "pupils_reached"] == 45


def test_coverage_need_one_input_by_hand() -> None:
    out = ranking(tiny_frames(), ["otrygghet"])
    # otrygghet T: Norsjö 15 %, Sorsele 16.7 % → percentile ranks 25 and 75
    # coverage HT2024: 30 % and 50 % → gaps −5 and 25: Sorsele first
    assert out["area_id"].tolist() == ["2422", "2417"]
    assert out["need_pct"].tolist() == pytest.approx([75.0, 25.0])
    assert out["coverage_pct"].tolist() == pytest.approx([50.0, 30.0])
    assert out["gap"].tolist() == pytest.approx([25.0, -5.0])
    assert out["rank"].tolist() == [1, 2] and (out["status"] == "").all()
    assert (out["period"] == "HT2024").all() and (out["need_period"] == "2024").all()


def test_coverage_need_two_inputs_by_hand() -> None:
    out = ranking(tiny_frames(), ["vald_topp", "otrygghet"])
    # vald_topp T: Norsjö 525, Sorsele 450 per 100 000 → 75 and 25; mean with otrygghet: 50, 50
    assert out["area_id"].tolist() == ["2417", "2422"]
    assert out["need_pct"].tolist() == pytest.approx([50.0, 50.0])
    assert out["gap"].tolist() == pytest.approx([20.0, 0.0])
    assert (out["need_inputs"] == 2).all()


def test_hidden_need_is_unknown_and_not_ranked() -> None:
    frames = with_otrygghet(tiny_frames(), "2422", 90.0, 20)  # n < 30: hidden
    out = ranking(frames, ["otrygghet"])
    assert out["area_id"].tolist() == ["2417", "2422"]
    unknown = out.set_index("area_id").loc["2422"]
    assert unknown["status"] == "need_unknown" and pd.isna(unknown["rank"]) and pd.isna(unknown["gap"])
    # in a county of two, Norsjö's share is hidden too (it and the county's would give
    # Sorsele's away), so its need is unknown as well
    assert out.set_index("area_id").loc["2417", "status"] == "need_unknown"
    assert labelled(out).set_index("Kod").loc["2422", "Anmärkning"] == "behov okänt"
    partial = ranking(frames, ["vald_topp", "otrygghet"], require_all=False).set_index("area_id")
    assert partial.loc["2422", "need_inputs"] == 1 and partial.loc["2417", "need_inputs"] == 1
    assert partial.loc["2422", "need_pct"] == pytest.approx(25.0)  # vald_topp only


@functools.cache
def _hidden_base() -> pd.DataFrame:
    return ranking(with_otrygghet(tiny_frames(), "2422", 50.0, 10), ["vald_topp", "otrygghet"])


@settings(max_examples=15, deadline=None)
@given(st.floats(0, 100, allow_nan=False), st.integers(0, 29))
def test_hidden_figures_are_never_used(share: float, n: int) -> None:
    other = ranking(with_otrygghet(tiny_frames(), "2422", share, n), ["vald_topp", "otrygghet"])
    pd.testing.assert_frame_equal(_hidden_base(), other)


def test_coverage_unknown_and_polarity() -> None:
    frames = tiny_frames()
    sites = frames.sites.assign(eligible_pupils=pd.array([100, 50, None, None], dtype="Int64"))
    frames = dataclasses.replace(frames, sites=sites)
    out = ranking(frames, ["otrygghet"]).set_index("area_id")
    assert out.loc["2422", "status"] == "coverage_unknown" and pd.isna(out.loc["2422", "rank"])
    positive = ranking(tiny_frames(), ["otrygghet"],
                       indicator_meta={"otrygghet": {"polarity": "positive"}}).set_index("area_id")
    assert positive.loc["2417", "need_pct"] == pytest.approx(75.0)  # lower is worse now


def test_labels() -> None:
    out = ranking(tiny_frames(), ["otrygghet"])
    sv, en = labelled(out), labelled(out, "en")
    assert "Behov (percentil)" in sv.columns and "Need (percentile)" in en.columns
    assert set(NEED_COLUMNS) <= set(COLUMN_LABELS["sv"])
    assert set(COLUMN_LABELS["sv"]) == set(COLUMN_LABELS["en"])
    assert set(COVERAGE_COLUMNS) <= set(COLUMN_LABELS["sv"])
    assert list(out.columns) == NEED_COLUMNS  # the input is not changed


def test_order_independence() -> None:
    frames = tiny_frames()
    shuffled = dataclasses.replace(
        frames, areas=frames.areas.iloc[::-1], sites=frames.sites.iloc[::-1],
        programme_activity=frames.programme_activity.sample(frac=1, random_state=3),
        indicators=frames.indicators.sample(frac=1, random_state=4))
    for need in (["otrygghet"], ["vald_topp", "otrygghet"]):
        pd.testing.assert_frame_equal(ranking(frames, need), ranking(shuffled, need))
    a = programme_coverage(frames).sort_values(["period", "area_id"]).reset_index(drop=True)
    b = programme_coverage(shuffled).sort_values(["period", "area_id"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def test_need_scores_requires_inputs() -> None:
    with pytest.raises(ValueError):
        need_scores(tiny_frames(), [], layers=LAYERS, taxonomy=TAXONOMY, settings=SETTINGS,
                    indicator_meta=META)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(0, 6)), min_size=1, max_size=15))
def test_percentile_rank_matches_scipy(values: list[int | None]) -> None:
    series = pd.Series(values, dtype="float64")
    got = percentile_rank(series)
    known = series.dropna().to_numpy()
    for v, g in zip(series, got):
        if np.isnan(v):
            assert np.isnan(g)
        else:
            assert g == pytest.approx(percentileofscore(known, v, kind="mean"))


def test_quadrants_by_hand() -> None:
    from lagesbild.analysis.need import QUADRANTS, quadrants

    table = pd.DataFrame({"need_pct": [90.0, 90.0, 10.0, 10.0, None, 60.0, 60.0, 40.0],
                          "coverage_pct": [5.0, 80.0, 5.0, 80.0, 50.0, None, 25.0, 49.9]})
    # fixed bands: low below 25 %, medium 25–50 %, high from 50 %
    assert quadrants(table).tolist() == ["high_need_low_cov", "high_need_high_cov",
                                         "low_need_low_cov", "low_need_high_cov", "unknown",
                                         "unknown", "high_need_mid_cov", "low_need_mid_cov"]
    assert set(quadrants(table)) <= set(QUADRANTS)
    assert quadrants(table, (5.0, 10.0)).tolist()[:4] == [
        "high_need_mid_cov", "high_need_high_cov", "low_need_mid_cov", "low_need_high_cov"]


def test_a_county_where_most_coverage_is_zero() -> None:
    """A programme that has just started: 12 of 15 kommuner at 0 %, two at 12–13 %. Split at the
    county's median (0 %) those two were "hög täckning"; with fixed bands they are low."""
    from lagesbild.analysis.need import quadrants

    cov = [0.0] * 12 + [12.3, 13.1, 72.6]
    need = [80.0, 20.0] * 6 + [73.0, 67.0, 17.0]
    keys = quadrants(pd.DataFrame({"need_pct": need, "coverage_pct": cov})).tolist()
    assert keys[12:] == ["high_need_low_cov", "high_need_low_cov", "low_need_high_cov"]
    assert not any(k.endswith("high_cov") for k in keys[:14])


def test_legend_states_the_limits() -> None:
    from lagesbild.analysis.need import bands_note, quadrant_labels

    sv = quadrant_labels((25.0, 50.0))
    assert sv["high_need_low_cov"] == "Högt behov (percentil > 50), låg täckning (< 25 %)"
    assert sv["low_need_mid_cov"] == "Lägre behov (percentil ≤ 50), medel täckning (25–50 %)"
    assert sv["high_need_high_cov"].endswith("hög täckning (≥ 50 %)")
    en = quadrant_labels((12.5, 40.0), "en")
    assert en["high_need_mid_cov"] == "High need (percentile > 50), medium coverage (12.5–40 %)"
    assert "låg under 12,5 %, medel 12,5–40 %, hög från 40 %" in bands_note((12.5, 40.0))


def test_need_view_legend_and_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from lagesbild.analysis.map_views import need_view
    from lagesbild.core.errors import InputError
    from lagesbild.core.settings import get_settings

    monkeypatch.setenv("LAGESBILD_COVERAGE_BANDS", "20;40")
    bands = get_settings().coverage_bands
    assert bands == (20.0, 40.0)
    view = need_view(tiny_frames(), LAYERS["mvp_tackning"], term="HT2024",
                     need=("vald_topp",), taxonomy=TAXONOMY,
                     settings=dataclasses.replace(SETTINGS, coverage_bands=bands), layers=LAYERS)
    labels = [label for _, label, _ in view.legend]
    assert "Högt behov (percentil > 50), låg täckning (< 20 %)" in labels
    assert "låg under 20 %, medel 20–40 %, hög från 40 %" in view.note
    # Norsjö reaches 45 of 150 pupils (30 %): medium, whatever the other kommun has
    norsjo = view.categories.set_index("area_id").loc["2417"]
    assert norsjo["category"].endswith("_mid_cov") and "(20–40 %)" in norsjo["lines"][0]
    for wrong in ("50;20", "tjugo;40", "25"):
        monkeypatch.setenv("LAGESBILD_COVERAGE_BANDS", wrong)
        with pytest.raises(InputError, match="LAGESBILD_COVERAGE_BANDS"):
            get_settings()
