"""Survey shares pooled over three years: the share and its interval by hand, the K/M cells a
small kommun gets back, and no hidden year recovered from a pooled figure (the ILP adversary
over the yearly tables and the windows together)."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from frames_support import demo_inputs, tiny_frames
from lagesbild.analysis import stats
from lagesbild.analysis.audit import audit, shown_cell
from lagesbild.analysis.figures import indicator_figures
from lagesbild.analysis.release import release_audit
from lagesbild.analysis.survey_pooling import (pooled_indicator_figures, pooled_periods,
                                               pooled_survey_release)
from lagesbild.core import schema
from lagesbild.core.errors import InputError
from lagesbild.core.frames import Frames
from lagesbild.core.settings import Settings

SETTINGS = Settings()


def _with(rows: dict[tuple[str, str, str], tuple[float, int]]) -> Frames:
    """tiny_frames (län 24; kommuner 2417 Norsjö, 2422 Sorsele) with only `rows`:
    (area, year, sex) -> (share %, respondents), indicator 'otrygghet'."""
    data = pd.DataFrame([(a, y, "otrygghet", s, v, "percent", n, None, None, "enkät.csv")
                         for (a, y, s), (v, n) in rows.items()],
                        columns=["area_id", "period", "indicator_id", "sex", "value", "unit", "n",
                                 "ci_low", "ci_high", "source"])
    return replace(tiny_frames(), indicators=schema.conform(data, "indicators"))


def _kmt(area: str, year: str, k: tuple[int, int], m: tuple[int, int]
         ) -> dict[tuple[str, str, str], tuple[float, int]]:
    """Rows of one area and year from (yes, n) of women and men."""
    (ky, kn), (my, mn) = k, m
    return {(area, year, "K"): (100 * ky / kn, kn), (area, year, "M"): (100 * my / mn, mn),
            (area, year, "T"): (100 * (ky + my) / (kn + mn), kn + mn)}


def _small_kommun() -> Frames:
    """Sorsele: 20 women and 20 men a year (too few to show); Norsjö: large."""
    rows: dict = {}
    for year, (k_yes, m_yes) in {"2022": (4, 2), "2023": (5, 2), "2024": (6, 3)}.items():
        rows |= _kmt("2422", year, (k_yes, 20), (m_yes, 20))
        rows |= _kmt("2417", year, (30, 150), (15, 150))
    return _with(rows)


def test_a_small_kommuns_women_and_men_shown_pooled_over_three_years() -> None:
    frames = _small_kommun()
    yearly = indicator_figures(frames, "otrygghet", period="2024", settings=SETTINGS)
    sorsele = yearly[yearly["area_id"] == "2422"].set_index("sex")
    assert sorsele.loc["K", "display"] == ".. (n=20)" and sorsele.loc["M", "display"] == ".. (n=20)"
    assert pooled_periods(frames, "otrygghet") == ["2024"]
    pooled = pooled_indicator_figures(frames, "otrygghet", end="2024", settings=SETTINGS)
    rows = pooled[pooled["area_id"] == "2422"].set_index("sex")
    # women: (4 + 5 + 6) / 60 = 25 %; men: (2 + 2 + 3) / 60 = 11,7 %
    assert rows.loc["K", "value"] == pytest.approx(25.0)
    assert rows.loc["K", "display"] == "25,0 % (n=60)"
    assert rows.loc["M", "display"] == "11,7 % (n=60)"
    low, high = stats.wilson_ci(pd.Series([0.25]), pd.Series([60.0]), confidence=0.95)
    assert rows.loc["K", "ci_low"] == pytest.approx(100 * float(low[0]))
    assert rows.loc["K", "ci_high"] == pytest.approx(100 * float(high[0]))
    assert rows.loc["K", "note"] == "2022–2024 sammantaget"
    assert rows.loc["K", "period"] == "2022–2024"
    # the county pooled from its kommuner: (4+5+6 + 3·30) / (60 + 450) women
    county = pooled[pooled["area_id"] == "24"].set_index("sex")
    assert county.loc["K", "value"] == pytest.approx(100 * 105 / 510)
    assert str(county.loc["K", "note"]).startswith("länsvärde")
    assert audit(*pooled_survey_release(frames, "otrygghet", settings=SETTINGS)).passed


def test_one_hidden_year_is_not_given_away_by_the_pooled_share() -> None:
    """Women of 2024 hidden (19 respondents), 2022 and 2023 shown: the pooled yes-count minus the
    two shown years would be 2024's. The pooled women's share is hidden, and so is what would
    give it back (T − M), and the adversary finds nothing narrower than five values."""
    rows: dict = {}
    for year, (k, m) in {"2022": ((8, 40), (6, 40)), "2023": ((8, 40), (7, 40)),
                         "2024": ((6, 19), (9, 40))}.items():
        rows |= _kmt("2422", year, k, m)
        rows |= _kmt("2417", year, (30, 150), (15, 150))
    frames = _with(rows)
    yearly = indicator_figures(frames, "otrygghet", period="2024", settings=SETTINGS)
    assert yearly.set_index(["area_id", "sex"]).loc[("2422", "K"), "suppressed"]
    pooled = pooled_indicator_figures(frames, "otrygghet", end="2024", settings=SETTINGS)
    sorsele = pooled[pooled["area_id"] == "2422"].set_index("sex")
    assert sorsele.loc["K", "display"] == ".. (n=99)"
    assert sorsele["suppressed"].sum() >= 2  # K, and T or M with it
    cells, relations = pooled_survey_release(frames, "otrygghet", settings=SETTINGS)
    assert audit(cells, relations).passed
    # the mutation that shows the pooled women's share again is caught
    name = "survey|otrygghet|2022–2024|2422|K"
    leaked = [shown_cell(name, "enkät", 22) if c["cell"] == name else c for c in cells]
    result = audit(leaked, relations)
    assert "survey|otrygghet|2024|2422|K" in set(result.disclosed["cell"])


def test_no_window_without_every_year() -> None:
    rows = _kmt("2422", "2022", (4, 20), (2, 20)) | _kmt("2422", "2024", (6, 20), (3, 20))
    frames = _with(rows)
    assert pooled_periods(frames, "otrygghet") == []
    with pytest.raises(InputError, match="2022–2024"):
        pooled_indicator_figures(frames, "otrygghet", end="2024", settings=SETTINGS)


def test_a_given_design_interval_pools_the_effective_respondents() -> None:
    """A weighted survey's interval (design effect 2) halves the respondents the pooled
    interval rests on; the note says so."""
    rows = {}
    for year in ("2022", "2023", "2024"):
        rows |= _kmt("2417", year, (50, 200), (40, 200))
    frames = _with(rows)
    data = frames.indicators.copy()
    # a design effect of 2: the 95 % interval of 25 % on n=200 as wide as on n=100
    low, high = stats.wilson_ci(pd.Series([0.25]), pd.Series([100.0]), confidence=0.95)
    women = data["sex"] == "K"
    data.loc[women, "ci_low"] = 100 * float(low[0])
    data.loc[women, "ci_high"] = 100 * float(high[0])
    pooled = pooled_indicator_figures(replace(frames, indicators=data), "otrygghet", end="2024",
                                      settings=SETTINGS)
    row = pooled.set_index(["area_id", "sex"]).loc[("2417", "K")]
    assert row["n"] == 600
    assert "effektivt antal svarande" in row["note"]
    plain_low, plain_high = stats.wilson_ci(pd.Series([0.25]), pd.Series([600.0]),
                                            confidence=0.95)
    assert row["ci_high"] - row["ci_low"] > 1.3 * 100 * float(plain_high[0] - plain_low[0])


def test_the_release_audit_covers_the_pooled_shares(tmp_path_factory: pytest.TempPathFactory
                                                    ) -> None:
    frames, specs, taxonomy, settings = demo_inputs(tmp_path_factory)
    pooled = pooled_indicator_figures(frames, "otrygghet", end="2024", settings=settings)
    vilhelmina = pooled[pooled["area_id"] == "2462"].set_index("sex")
    yearly = indicator_figures(frames, "otrygghet", period="2024", settings=settings)
    assert yearly[(yearly["area_id"] == "2462") & (yearly["sex"] != "T")]["suppressed"].all()
    assert not vilhelmina.loc["K", "suppressed"]  # women's insecurity visible pooled
    result = release_audit(frames, taxonomy=taxonomy, settings=settings, periods=["2024"],
                           county="24")
    tables = set(result.by_table()["table"])
    assert "enkät otrygghet 2022–2024" in tables
    assert result.passed


def _escalating() -> Frames:
    """The case above (women of 2024 hidden in Sorsele), whose first audit fails."""
    rows: dict = {}
    for year, (k, m) in {"2022": ((8, 40), (6, 40)), "2023": ((8, 40), (7, 40)),
                         "2024": ((6, 19), (9, 40))}.items():
        rows |= _kmt("2422", year, k, m)
        rows |= _kmt("2417", year, (30, 150), (15, 150))
    return _with(rows)


def test_a_pooled_cell_whose_every_year_is_published_is_not_hidden() -> None:
    """Hidden, such a cell is the sum of published yes-counts: the audit finds it exactly and
    hiding more could never help (the national workspace's windows all failed so). Shown, it
    tells nothing new; its value is the one the raw rows give."""
    from lagesbild.analysis import survey_pooling as sp

    for frames in (_escalating(), _small_kommun()):
        published = {c["cell"] for c in pooled_survey_release(
            frames, "otrygghet", settings=SETTINGS)[0] if c["shown"]}
        pooled = pooled_indicator_figures(frames, "otrygghet", end="2024", settings=SETTINGS)
        raw = sp.raw_pooled_indicator_figures(frames, "otrygghet", end="2024",
                                              settings=SETTINGS).set_index(["area_id", "sex"])
        for a, s, hidden, kind, value in zip(pooled["area_id"], pooled["sex"],
                                             pooled["suppressed"], pooled["suppression"],
                                             pooled["value"]):
            years = {f"survey|otrygghet|{y}|{a}|{s}" in published for y in ("2022", "2023", "2024")}
            if years == {True}:
                assert not hidden or kind in ("small", "few_respondents"), (a, s, kind)
            if not hidden:
                assert value == pytest.approx(raw.loc[(a, s), "value"])
    # a forced pooled cell of Norsjö (every year shown) comes back shown
    frames = _escalating()
    raw = sp.raw_pooled_indicator_figures(frames, "otrygghet", end="2024", settings=SETTINGS)
    lan = frames.lan["area_id"].astype(str).tolist()
    forced = sp._protect_one(raw, lan, SETTINGS, {("2417", "K")})
    published = {f"survey|otrygghet|{y}|2417|K" for y in ("2022", "2023", "2024")}
    assert forced.set_index(["area_id", "sex"]).loc[("2417", "K"), "suppressed"]
    again = sp._publish_implied(forced, raw, "otrygghet", "2024", 3, published)
    row = again.set_index(["area_id", "sex"]).loc[("2417", "K")]
    assert not row["suppressed"] and row["suppression"] == ""
    assert row["value"] == pytest.approx(20.0) and pd.notna(row["ci_low"])


def test_a_window_that_hiding_cannot_save_is_withdrawn_for_its_county(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """When hiding more changes nothing (here: the step is made to say it hid something and
    hide nothing, or to find nothing), the county's window is left out, the loop ends, and
    what is published passes the audit: the yearly tables alone."""
    from lagesbild.analysis import survey_pooling as sp

    for pretend in (True, False):
        frames = _escalating()
        monkeypatch.setattr(sp, "_hide_more", lambda *args, answer=pretend: answer)
        cells, relations = pooled_survey_release(frames, "otrygghet", settings=SETTINGS)
        assert audit(cells, relations).passed
        assert not any("2022–2024" in str(c["cell"]) for c in cells)
        assert pooled_indicator_figures(frames, "otrygghet", end="2024",
                                        settings=SETTINGS).empty
        # the pages say which county's window is left out, and why
        assert sp.withdrawn_counties(frames, "otrygghet", end="2024", settings=SETTINGS) == ["24"]
    monkeypatch.undo()
    assert sp.withdrawn_counties(_escalating(), "otrygghet", end="2024", settings=SETTINGS) == []
