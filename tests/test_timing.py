"""When offences happen: weekday × time-of-day table with protected margins."""

from __future__ import annotations

from dataclasses import replace

import geopandas as gpd
import pandas as pd
from hypothesis import given, settings as hsettings, strategies as st

from lagesbild.core import schema
from lagesbild.core.taxonomy import ALL, load_taxonomy
from lagesbild.analysis.timing import when_table, when_wide
from lagesbild.core.settings import ROOT, get_settings
from tests.disclosure_support import linear_attack, primary_cells
from tests.frames_support import tiny_frames

TAXONOMY = load_taxonomy(ROOT / "layers" / "pyramid.toml")
SETTINGS = get_settings()


def frames_with(times: list[str], category: str = "Misshandel"):
    base = tiny_frames()
    n = len(times)
    inc = gpd.GeoDataFrame({
        "incident_id": [f"t{i}" for i in range(n)], "occurred_at": pd.to_datetime(times),
        "year": [int(x[:4]) for x in times], "category": category, "source_category": category,
        "relation": False, "victim_sex": "K", "area_id": "2417", "sub_area_id": None,
        "precision": "point", "source": "utdrag.csv"}, geometry=[None] * n, crs=schema.CRS_STORE)
    return replace(base, incidents=schema.conform(inc, "incidents"))


def test_counts_by_hand():
    # 2024-06-01 is a Saturday (5); 2024-06-03 a Monday (0)
    times = ["2024-06-01 23:30"] * 6 + ["2024-06-01 02:00"] * 7 + ["2024-06-03 13:00"] * 5 \
        + ["2023-06-03 13:00"] * 9
    table = when_table(frames_with(times), area_ids=["2417"], period="2024", taxonomy=TAXONOMY,
                       settings=SETTINGS).set_index(["weekday", "band"])
    assert table.loc[("5", "3"), "count"] == 6 and table.loc[("5", "0"), "count"] == 7
    assert table.loc[("0", "2"), "count"] == 5
    assert table.loc[(ALL, ALL), "count"] == 18 and table.loc[("5", ALL), "count"] == 13
    assert table.loc[("1", "1"), "count"] == 0
    assert not table["suppressed"].any()
    wide = when_wide(table.reset_index(), "sv")
    assert list(wide.columns) == ["Veckodag", "00–06", "06–12", "12–18", "18–24", "Totalt"]
    assert wide.iloc[5].tolist() == ["lördag", "7", "0", "0", "6", "13"]


def test_only_the_chosen_levels_and_area_count():
    times = ["2024-06-01 23:30"] * 6
    outside = when_table(frames_with(times, "Stöld och snatteri"), area_ids=["2417"],
                         period="2024", taxonomy=TAXONOMY, settings=SETTINGS)
    assert outside["count"].sum() == 0
    other = when_table(frames_with(times), area_ids=["2422"], period="2024", taxonomy=TAXONOMY,
                       settings=SETTINGS)
    assert other["count"].sum() == 0


@hsettings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 23)), min_size=0, max_size=40))
def test_no_small_cell_follows_from_the_margins(slots):
    # 2024-01-01 is a Monday: day d of that week has weekday d
    times = [f"2024-01-{1 + d:02d} {h:02d}:15" for d, h in slots]
    out = when_table(frames_with(times), area_ids=["2417"], period="2024", taxonomy=TAXONOMY,
                     settings=SETTINGS)
    rel = [("weekday", ALL), ("band", ALL)]
    assert not (primary_cells(out) & linear_attack(out, ["weekday", "band"], rel))
    shown = out[~out["suppressed"]]
    assert (shown["count"].notna()).all()
