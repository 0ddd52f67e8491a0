"""The adversary over survey shares read as yes-counts: the issue's worked examples, the demo's
every indicator and period, and a city's stadsdel rows kept out of the county's pooled share."""

from __future__ import annotations

from dataclasses import replace

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from frames_support import tiny_frames
from lagesbild.analysis.audit import audit
from lagesbild.analysis.figures import indicator_figures
from lagesbild.analysis.release_survey import survey_release
from lagesbild.core import schema
from lagesbild.core.frames import Frames
from lagesbild.core.settings import Settings

SETTINGS = Settings()


def _with(rows: dict[tuple[str, str], tuple[float, int]], indicator: str = "otrygghet",
          period: str = "2024") -> Frames:
    """tiny_frames (län 24, kommuner 2417 and 2422) with only `rows` (area, sex) -> (%, n)."""
    frames = tiny_frames()
    data = pd.DataFrame([(a, period, indicator, s, v, "percent", n, None, None, "enkät.csv")
                         for (a, s), (v, n) in rows.items()],
                        columns=["area_id", "period", "indicator_id", "sex", "value", "unit", "n",
                                 "ci_low", "ci_high", "source"])
    return replace(frames, indicators=schema.conform(data, "indicators"))


def _shown(frames: Frames) -> pd.DataFrame:
    return indicator_figures(frames, "otrygghet", period="2024", settings=SETTINGS).set_index(
        ["area_id", "sex"])


def test_one_respondent_answering_yes_is_hidden() -> None:
    """'3,2 % (n=31)' says one respondent: such a share is hidden like a count of 1."""
    frames = _with({("2417", "T"): (100 / 31, 31), ("2422", "T"): (20.0, 100)})
    rows = _shown(frames)
    assert rows.loc[("2417", "T"), "suppressed"]
    assert rows.loc[("2417", "T"), "display"] == ".. (n=31)"
    result = audit(*survey_release(frames, "otrygghet", period="2024", settings=SETTINGS))
    assert result.passed


def test_a_hidden_share_is_not_recovered_from_a_total_of_zero() -> None:
    """Women too few to show; the total and men at 0 %: T − K − M ≥ −1 would pin the women's
    yes-count to 0 or 1 if the total were shown. Protection hides enough, and the mutation that
    shows the total again is caught by the adversary."""
    frames = _with({("2417", "K"): (0.0, 20), ("2417", "M"): (0.0, 180), ("2417", "T"): (0.0, 200),
                    ("2422", "K"): (10.0, 200), ("2422", "M"): (12.0, 200),
                    ("2422", "T"): (11.0, 400)})
    rows = _shown(frames)
    assert rows.loc[("2417", "K"), "suppression"] == "few_respondents"
    cells, relations = survey_release(frames, "otrygghet", period="2024", settings=SETTINGS)
    assert audit(cells, relations).passed
    women = "survey|otrygghet|2024|2417|K"
    shown_total = [dict(c, shown=True, low=c["value"], high=c["value"])
                   if str(c["cell"]).endswith(("|2417|T", "|2417|M", "|24|T", "|24|M")) else c
                   for c in cells]
    narrowed = audit(shown_total, relations)
    assert not narrowed.passed
    assert women in set(narrowed.disclosed["cell"])
    row = narrowed.disclosed.set_index("cell").loc[women]
    assert (row["low"], row["high"]) == (0, 1)


def test_the_county_pooled_from_its_kommuner_is_their_sum() -> None:
    """A county without its own rows is pooled: its yes-count is the kommuner's, so one hidden
    kommun beside a shown county and kommun would be the difference. Relation and truth agree."""
    frames = _with({("2417", "T"): (20.0, 100), ("2422", "T"): (10.0, 20)})
    cells, relations = survey_release(frames, "otrygghet", period="2024", settings=SETTINGS)
    county = [r for r in relations if r.terms[0][0] == "survey|otrygghet|2024|24|T"]
    assert county and county[0].sense == "=="
    value = {c["cell"]: c["value"] for c in cells}
    assert value["survey|otrygghet|2024|24|T"] == 20 + 2
    assert audit(cells, relations).passed
    rows = _shown(frames)
    assert rows.loc[("2422", "T"), "suppressed"] and rows.loc[("24", "T"), "suppressed"] | \
        rows.loc[("2417", "T"), "suppressed"]


def test_stadsdel_rows_are_no_kommun_of_the_county() -> None:
    """A city's own survey per stadsdel: those rows are published in the stadsdel view only and
    never pooled into the county's share beside the kommun's own row (double counting)."""
    frames = _with({("2417", "T"): (20.0, 100), ("2422", "T"): (10.0, 100),
                    ("2417-S1", "T"): (90.0, 50), ("2417-S2", "T"): (80.0, 50)})
    stadsdelar = gpd.GeoDataFrame({
        "area_id": ["2417-S1", "2417-S2"], "level": "stadsdel", "code": ["S1", "S2"],
        "name": ["Norr", "Söder"], "parent_id": "2417", "source": "stadsdelar"},
        geometry=[box(700_000, 7_190_000, 705_000, 7_195_000),
                  box(705_000, 7_190_000, 710_000, 7_195_000)], crs=schema.CRS_STORE)
    areas = schema.conform(pd.concat([frames.areas, stadsdelar], ignore_index=True), "areas")
    frames = replace(frames, areas=areas)
    county = _shown(frames).loc[("24", "T")]
    assert county["n"] == 200 and county["value"] == pytest.approx(15.0)
    cells, relations = survey_release(frames, "otrygghet", period="2024", settings=SETTINGS)
    names = {c["cell"] for c in cells}
    assert "survey|otrygghet|2024|2417|2417-S1|T" in names
    assert audit(cells, relations).passed


def test_shares_rounded_at_the_source_never_contradict_the_relations() -> None:
    """Whole-percent shares: 13 % of 200 women, 13 % of 200 men, 12 % of 400 in total gives
    26 + 26 against 48 yes. The relation is widened to what the file says, so the audit runs
    (and still narrows nothing) instead of failing on the file's own rounding."""
    frames = _with({("2417", "K"): (13.0, 200), ("2417", "M"): (13.0, 200),
                    ("2417", "T"): (12.0, 400), ("2422", "K"): (3.0, 25),
                    ("2422", "M"): (20.0, 100), ("2422", "T"): (16.0, 125)})
    cells, relations = survey_release(frames, "otrygghet", period="2024", settings=SETTINGS)
    result = audit(cells, relations)
    assert result.passed
    halved = _with({(a, s): (v / 2, n) for (a, s), (v, n) in {
        ("2417", "K"): (13.0, 200), ("2417", "M"): (13.0, 200), ("2417", "T"): (13.0, 400),
        ("2422", "K"): (3.0, 25), ("2422", "M"): (21.0, 100), ("2422", "T"): (17.0, 125)}.items()})
    assert audit(*survey_release(halved, "otrygghet", period="2024", settings=SETTINGS)).passed
