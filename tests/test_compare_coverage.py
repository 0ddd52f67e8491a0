"""Comparison of kommuner and programme coverage, with shares computed by hand."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import pandas as pd
import pytest

from lagesbild.core import schema
from lagesbild.analysis.compare import comparison, to_json
from lagesbild.analysis.coverage import actions_by_focus, coverage_by_area, site_status
from lagesbild.core.frames import Frames

from frames_support import tiny_frames


@pytest.fixture(scope="module")
def frames() -> Frames:
    return tiny_frames()


def _figures(values: dict[str, float | None], county: float | None) -> pd.DataFrame:
    rows = [{"area_id": "24", "name": "Länet", "level": "lan", "value": county}]
    rows += [{"area_id": f"24{i:02d}", "name": name, "level": "kommun", "value": v}
             for i, (name, v) in enumerate(values.items())]
    return pd.DataFrame(rows).astype({"value": "Float64"})


def test_comparison_ranks_highest_first_and_hidden_last() -> None:
    result = comparison(_figures({"Bjurholm": 10.0, "Åsele": None, "Umeå": 30.0, "Arjeplog": 10.0,
                                  "Malå": 2.5}, county=20.0))
    table = result.table
    assert table["name"].tolist() == ["Umeå", "Arjeplog", "Bjurholm", "Malå", "Åsele"]
    assert table["rank"].tolist()[:4] == [1, 2, 2, 4]  # ties share a rank
    assert pd.isna(table["rank"].iloc[4])
    assert (table["level"] == "kommun").all() and table.index.tolist() == [0, 1, 2, 3, 4]
    assert result.county == 20.0 and result.county_name == "Länet"
    assert result.median == pytest.approx(10.0)  # of 30, 10, 10, 2.5


def test_comparison_without_values() -> None:
    result = comparison(_figures({"A": None, "B": None}, county=None))
    assert result.county is None and result.median is None
    assert result.table["rank"].isna().all()


def test_comparison_without_county_row() -> None:
    figs = _figures({"A": 1.0, "B": 3.0}, county=None).iloc[1:]
    result = comparison(figs)
    assert result.county is None and result.county_name == ""
    assert result.median == pytest.approx(2.0)


def test_compare_json_band_positions_use_the_interval_and_count_flags() -> None:
    # kommun values 10, 20, 30, 40, 50, 60: p25 = 22.5, p75 = 47.5 (numpy's linear percentiles)
    values = {"A": 10.0, "B": 20.0, "C": 30.0, "D": 40.0, "E": 50.0, "F": 60.0}
    figs = _figures(values, county=35.0).assign(
        period="2024", sex="T", source="x", n=pd.NA, suppressed=False, display="…")
    half = {"A": 5.0, "B": 5.0, "C": 1.0, "D": 1.0, "E": 5.0, "F": 5.0}  # B and E overlap it
    figs["ci_low"] = [None, *(v - half[k] for k, v in values.items())]
    figs["ci_high"] = [None, *(v + half[k] for k, v in values.items())]
    doc = to_json(figs, layer="x", title="x", unit="per100000", confidence=0.95)
    assert doc["schema"] == "lagesbild.compare/1"
    assert (doc["reference"]["p25"], doc["reference"]["p75"]) == (22.5, 47.5)
    position = {k["name"]: k["band_position"] for k in doc["kommuner"]}
    # E's point (50) is above the band but its interval 45–55 overlaps it: within
    assert position == {"A": "below", "B": "within", "C": "within", "D": "within",
                        "E": "within", "F": "above"}
    flags = doc["band_flags"]
    assert (flags["n_tested"], flags["n_above"], flags["n_below"]) == (6, 1, 1)
    assert flags["expected_by_chance"] == pytest.approx(0.3) and flags["confidence"] == 0.95
    assert "väntas upp till 0,30" in flags["note"]
    # the keys of lagesbild.compare/1 are kept; band_flags and part_year are the additions
    assert set(doc) == {"schema", "layer", "title", "unit", "period", "sex", "source", "county",
                        "national", "reference", "kommuner", "band_flags", "part_year"}
    assert doc["part_year"] == ""
    assert set(doc["kommuner"][0]) == {"rank", "area_id", "name", "value", "ci_low", "ci_high",
                                       "n", "suppressed", "display", "band_position"}


def test_coverage_by_area_by_hand(frames: Frames) -> None:
    table = coverage_by_area(frames, period="HT2024").set_index("area_id")
    # Norsjö: two schools (the youth centre is not a school), one runs MVP: 45 of 100 + 50
    norsjo = table.loc["2417"]
    assert (norsjo["schools"], norsjo["schools_reached"]) == (2, 1)
    assert (norsjo["eligible_pupils"], norsjo["pupils_reached"]) == (150, 45)
    assert (norsjo["classes"], norsjo["staff_trained"]) == (2, 3)
    assert norsjo["share_schools"] == pytest.approx(50.0)
    assert norsjo["share_pupils"] == pytest.approx(30.0)
    assert table.loc["2422", "share_pupils"] == pytest.approx(50.0)
    assert table.loc["2422", "share_schools"] == pytest.approx(100.0)
    county = table.loc["24"]
    assert (county["schools"], county["schools_reached"]) == (3, 2)
    assert (county["eligible_pupils"], county["pupils_reached"]) == (190, 65)
    assert county["share_pupils"] == pytest.approx(100 * 65 / 190)
    assert table.loc["2417", "source"] == "program.csv; skolor.csv"


def test_coverage_by_programme_and_term(frames: Frames) -> None:
    mvp = coverage_by_area(frames, period="HT2024", programmes=("MVP",)).set_index("area_id")
    # Sorsele's one school runs MVP Mellanstadiet: its "Elever i målgrupp" are that programme's
    # target group, so MVP has no target pupils known there (unknown, not 0 %)
    assert mvp.loc["2422", "pupils_reached"] == 0 and mvp.loc["2422", "schools"] == 0
    assert pd.isna(mvp.loc["2422", "share_pupils"])
    assert mvp.loc["24", "pupils_reached"] == 45
    spring = coverage_by_area(frames, period="VT2024").set_index("area_id")
    # MVP runs at S01 in VT2024 (40 pupils); the ended Mellanstadiet row counts for nothing
    assert spring.loc["2417", "pupils_reached"] == 40 and spring.loc["2417", "schools_reached"] == 1
    none = coverage_by_area(frames, period="HT2030").set_index("area_id")
    assert (none["pupils_reached"] == 0).all() and (none["share_pupils"] == 0).all()


def test_coverage_without_eligible_pupils_is_missing_not_zero(frames: Frames) -> None:
    sites = frames.sites.assign(eligible_pupils=pd.array([100, 50, None, None], dtype="Int64"))
    other = dataclasses.replace(frames, sites=sites)
    table = coverage_by_area(other, period="HT2024").set_index("area_id")
    assert pd.isna(table.loc["2422", "share_pupils"])
    assert table.loc["2417", "share_pupils"] == pytest.approx(30.0)


def test_site_status(frames: Frames) -> None:
    status = site_status(frames, period="HT2024")
    assert isinstance(status, gpd.GeoDataFrame) and status.crs == schema.CRS_STORE
    by_site = status.set_index("site_id")
    assert by_site.loc["2417-S01", "status"] == "genomförs"
    assert by_site.loc["2417-S01", "programme"] == "MVP"
    assert by_site.loc["2417-S02", "status"] == "planerad"
    assert by_site.loc["2417-F01", "status"] == "inget program"
    assert by_site.loc["2417-F01", "programme"] == ""
    assert by_site.loc["2422-S01", "programme"] == "MVP Mellanstadiet"
    assert len(status) == len(frames.sites)
    # a running programme wins over an ended one at the same site
    spring = site_status(frames, period="VT2024").set_index("site_id")
    assert spring.loc["2417-S01", "status"] == "genomförs"
    ended = site_status(frames, period="VT2024", programmes=("MVP Mellanstadiet",)).set_index("site_id")
    assert ended.loc["2417-S01", "status"] == "avslutad"
    assert ended.loc["2422-S01", "status"] == "inget program"


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_actions_in_focus_area_order(frames: Frames, lang: str) -> None:
    actions = actions_by_focus(frames, lang=lang)
    assert actions["action_id"].tolist() == ["A1", "A2", "A4", "A3"]
    index = 1 if lang == "en" else 0
    assert actions["focus_title"].tolist() == [
        schema.FOCUS_AREAS[k][index] for k in ("valdsforebyggande", "valdsforebyggande", "kunskap",
                                               "samverkan")]
    assert frames.actions["action_id"].tolist() == ["A3", "A1", "A2", "A4"]  # input unchanged
