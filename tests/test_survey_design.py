"""Surveys with a design: the source's own interval is used as given, an effective n or a design
effect widens Wilson's interval, a county pooled from such kommuner is wider too, wrong
intervals are refused naming the field, and the export keeps the interval."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from frames_support import tiny_frames
from lagesbild.analysis.figures import SOURCE_INTERVAL_NOTE, indicator_figures
from lagesbild.analysis.stats import wilson_ci
from lagesbild.core import schema
from lagesbild.core.settings import Settings
from lagesbild.sources.aggregates import read_indicators

HEADER = "Kommunkod;År;Indikator;Kön;Andel (%);Antal svarande;KI nedre;KI övre;Designeffekt\n"


def _read(body: str):  # noqa: ANN202
    return read_indicators(HEADER.encode() + body.encode(), name="ntu.csv", known={"otrygghet"})


def test_the_sources_interval_and_the_design_effect_are_read() -> None:
    result = _read("2417;2024;otrygghet;T;20,0;400;15,1;25,6;\n"
                   "2417;2024;otrygghet;K;22,0;200;;;2,0\n"
                   "2417;2024;otrygghet;M;18,0;200;;;\n")
    rows = result.accepted.set_index("sex")
    assert (rows.loc["T", "ci_low"], rows.loc["T", "ci_high"]) == (15.1, 25.6)
    low, high = wilson_ci(np.array([0.22]), np.array([100.0]))  # n 200 / design effect 2
    assert rows.loc["K", "ci_low"] == pytest.approx(low[0] * 100)
    assert rows.loc["K", "ci_high"] == pytest.approx(high[0] * 100)
    assert pd.isna(rows.loc["M", "ci_low"])  # no design given: Wilson with n, later
    assert rows.loc["K", "n"] == 200  # respondents stay respondents (the disclosure rule)
    assert any("eget intervall" in n for n in result.notes)
    assert any("designeffekt" in n for n in result.notes)


@pytest.mark.parametrize(("cells", "field", "reason"), [
    ("25,0;30,0;", "KI nedre", "omsluter inte andelen"),
    ("25,0;;", "KI övre", "både nedre och övre"),
    (";;0", "Designeffekt", "större än 0"),
    ("12,0;130,0;", "KI övre", "mellan 0 och 100"),
])
def test_an_interval_that_cannot_be_right_is_refused(cells: str, field: str, reason: str) -> None:
    result = _read(f"2417;2024;otrygghet;T;20,0;400;{cells}\n")
    assert result.accepted.empty
    (rejection,) = result.rejected
    assert rejection.row == 2 and rejection.field == field and reason in rejection.reason


def _frames(rows: dict[tuple[str, str], tuple[float, int, float | None, float | None]]):  # noqa: ANN202
    frames = tiny_frames()
    data = pd.DataFrame([(a, "2024", "otrygghet", s, v, "percent", n, lo, hi, "ntu.csv")
                         for (a, s), (v, n, lo, hi) in rows.items()],
                        columns=["area_id", "period", "indicator_id", "sex", "value", "unit", "n",
                                 "ci_low", "ci_high", "source"])
    return replace(frames, indicators=schema.conform(data, "indicators"))


def test_figures_use_the_given_interval_and_pool_the_county_with_effective_n() -> None:
    plain = _frames({("2417", "T"): (20.0, 400, None, None), ("2422", "T"): (30.0, 400, None, None)})
    designed = _frames({("2417", "T"): (20.0, 400, 14.0, 26.0),
                        ("2422", "T"): (30.0, 400, 23.0, 37.0)})
    settings = Settings()
    a = indicator_figures(plain, "otrygghet", period="2024", settings=settings).set_index("area_id")
    b = indicator_figures(designed, "otrygghet", period="2024", settings=settings).set_index(
        "area_id")
    assert (b.loc["2417", "ci_low"], b.loc["2417", "ci_high"]) == (14.0, 26.0)
    assert SOURCE_INTERVAL_NOTE in b.loc["2417", "note"] and a.loc["2417", "note"] == ""
    # the county pooled from kommuner with a design: same share, wider interval, said so
    assert b.loc["24", "value"] == pytest.approx(a.loc["24", "value"]) == pytest.approx(25.0)
    assert b.loc["24", "ci_high"] - b.loc["24", "ci_low"] > a.loc["24", "ci_high"] - a.loc["24", "ci_low"]
    assert "effektivt antal svarande" in b.loc["24", "note"]
    assert b.loc["24", "n"] == 800  # the respondents shown stay the respondents


def test_a_hidden_share_hides_its_given_interval_too() -> None:
    frames = _frames({("2417", "T"): (20.0, 20, 5.0, 45.0), ("2422", "T"): (30.0, 400, 23.0, 37.0)})
    rows = indicator_figures(frames, "otrygghet", period="2024", settings=Settings()).set_index(
        "area_id")
    assert rows.loc["2417", "suppressed"]
    assert rows.loc["2417", ["value", "ci_low", "ci_high"]].isna().all()
