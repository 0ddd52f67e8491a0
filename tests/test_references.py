"""Reference values (percentile band, county, nation) and similar municipalities, by hand."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import cdist
from shapely.geometry import box

from lagesbild.core import schema
from lagesbild.analysis.figures import layer_figures
from lagesbild.core.taxonomy import load_taxonomy
from lagesbild.analysis.references import (BAND_LABELS, band_flags, band_position,
                                           band_positions, national_indicator,
                                           reference_band, similar_municipalities,
                                           standardized_distances)
from lagesbild.core.errors import InputError
from lagesbild.core.frames import Frames
from lagesbild.core.layers import load_layers
from lagesbild.core.settings import Settings
from lagesbild.sources.boundary_files import read_boundaries
from lagesbild.core.dataset import Dataset
from lagesbild.store.gpkg import GpkgWorkspace

from frames_support import tiny_frames

ROOT = Path(__file__).resolve().parents[1]
TAXONOMY = load_taxonomy(ROOT / "layers" / "pyramid.toml")
LAYERS = load_layers(ROOT / "layers")
SETTINGS = Settings(suppress_below=5, min_survey_n=30)
REAL = ROOT.parent / "shared" / "data" / "boundaries" / "kommuner_2025_skr_fa_la_epsg3006.gpkg"

NAMES = {"2401": "Nordmaling", "2403": "Bjurholm", "2404": "Vindeln", "2409": "Robertsfors",
         "2417": "Norsjö"}
GROUPS = {"2401": "C8", "2403": "C8", "2404": "C8", "2409": "C9", "2417": "C8"}


def figures(values: dict[str, float | None], *, county: float | None = None,
            hidden: tuple[str, ...] = (), extra: list[dict] | None = None) -> pd.DataFrame:
    """Figure rows: a län and kommuner; `hidden` names keep their value but are suppressed."""
    rows = [{"area_id": "24", "name": "Länet", "level": "lan", "value": county, "suppressed": False}]
    rows += [{"area_id": f"24{i:02d}", "name": name, "level": "kommun", "value": v,
              "suppressed": name in hidden} for i, (name, v) in enumerate(values.items())]
    return pd.DataFrame(rows + (extra or [])).astype({"value": "Float64"})


def county(values: dict[str, dict[str, tuple[float, int]]], *,
           groups: dict[str, str] | None = None) -> Frames:
    """Five kommuner of län 24 with indicator values {indicator: {area: (share %, n)}} (sex T)."""
    ids = list(NAMES)
    areas = gpd.GeoDataFrame({
        "area_id": ["24", *ids], "level": ["lan", *["kommun"] * len(ids)], "code": ["24", *ids],
        "name": ["Västerbottens län", *NAMES.values()], "parent_id": [None, *["24"] * len(ids)],
        "source": "gränser", "kommungrupp": [None, *[(groups or {}).get(a) for a in ids]],
    }, geometry=[box(0, 7_000_000, 50_000, 7_010_000)]
        + [box(i * 10_000, 7_000_000, (i + 1) * 10_000, 7_010_000) for i in range(len(ids))],
        crs=schema.CRS_STORE)
    rows = [(a, "2024", ind, "T", v, "percent", n, None, None, "enkät.csv")
            for ind, per_area in values.items() for a, (v, n) in per_area.items()]
    indicators = pd.DataFrame(rows, columns=[c for c in schema.TABLES["indicators"] if c != "age_group"])
    base = tiny_frames()
    return dataclasses.replace(base, areas=schema.conform(areas, "areas"),
                               indicators=schema.conform(indicators, "indicators"))


ONE = {"otrygghet": {"2401": (10.0, 100), "2403": (20.0, 100), "2404": (30.0, 100),
                     "2409": (40.0, 100), "2417": (50.0, 100)}}


def similar(frames: Frames, area: str, **kw) -> object:
    return similar_municipalities(frames, area, layers=LAYERS, taxonomy=TAXONOMY,
                                  settings=SETTINGS, **kw)


# --- reference band ---------------------------------------------------------------------------

def test_reference_band_by_hand() -> None:
    figs = figures({"A": 10.0, "B": 40.0, "C": 20.0, "D": 30.0, "E": 1e9, "F": None},
                   county=25.0, hidden=("E",))
    band = reference_band(figs)
    # numpy's linear interpolation on 10, 20, 30, 40: positions 0.75 and 2.25
    assert band["p25"] == pytest.approx(17.5) and band["p75"] == pytest.approx(32.5)
    assert band["median"] == pytest.approx(25.0) and band["county"] == 25.0
    assert band["county_name"] == "Länet" and band["national"] is None
    assert (band["n_kommuner"], band["n_used"], band["n_hidden"], band["n_missing"]) == (6, 4, 1, 1)
    assert "1 dolda värden" in band["note_sv"] and "1 kommuner saknar" in band["note_sv"]
    assert "1 hidden values" in band["note_en"]


def test_reference_band_needs_enough_values_for_a_band() -> None:
    band = reference_band(figures({"A": 1.0, "B": 3.0, "C": None}))
    assert band["p25"] is None and band["p75"] is None and band["median"] == pytest.approx(2.0)
    assert "För få kommuner" in band["note_sv"]
    assert reference_band(figures({"A": 1.0, "B": 3.0}), min_values=2)["p25"] == pytest.approx(1.5)
    empty = reference_band(figures({"A": None}))
    assert empty["median"] is None and empty["county"] is None


def test_reference_band_of_one_county_among_several() -> None:
    figs = pd.DataFrame([
        {"area_id": "24", "name": "Västerbottens län", "level": "lan", "value": 5.0},
        {"area_id": "25", "name": "Norrbottens län", "level": "lan", "value": 50.0},
        *[{"area_id": f"24{i:02d}", "name": f"V{i}", "level": "kommun", "value": float(i)}
          for i in range(1, 6)],
        *[{"area_id": f"25{i:02d}", "name": f"N{i}", "level": "kommun", "value": 100.0 + i}
          for i in range(1, 6)],
    ]).astype({"value": "Float64"})
    band = reference_band(figs, county_id="24")
    assert (band["p25"], band["median"], band["p75"]) == (2.0, 3.0, 4.0)
    assert band["county"] == 5.0 and band["county_name"] == "Västerbottens län"
    everything = reference_band(figs)  # all kommuner; no single county to name
    assert everything["n_used"] == 10 and everything["county"] is None


def test_reference_band_national_value() -> None:
    national_row = {"area_id": "00", "name": "Riket", "level": "riket", "value": 12.0,
                    "suppressed": False}
    figs = figures({"A": 1.0}, extra=[national_row])
    assert reference_band(figs)["national"] == 12.0
    assert reference_band(figs, national=99.0)["national"] == 12.0  # the row wins
    assert reference_band(figures({"A": 1.0}), national=7.5)["national"] == 7.5
    hidden = figures({"A": 1.0}, extra=[{**national_row, "suppressed": True}])
    assert reference_band(hidden)["national"] is None
    # the national row is neither a kommun nor the county
    assert reference_band(figs)["n_kommuner"] == 1 and reference_band(figs)["county"] is None


def test_reference_band_on_layer_figures() -> None:
    frames = tiny_frames()
    figs = layer_figures(frames, LAYERS["vald_topp"], period="2024", sex="T", taxonomy=TAXONOMY,
                         settings=SETTINGS)
    band = reference_band(figs, min_values=2)
    assert band["median"] == pytest.approx((525.0 + 450.0) / 2)  # 21/4000 and 9/2000 per 100 000
    assert band["county"] == pytest.approx(500.0)
    assert band["p25"] == pytest.approx(np.percentile([525.0, 450.0], 25))


def test_national_indicator_from_the_indicators_table() -> None:
    frames = tiny_frames()
    extra = pd.DataFrame([("00", "2024", "otrygghet", "T", 22.0, "percent", 5000, None, None, "x"),
                          ("riket", "2024", "otrygghet", "K", 25.0, "percent", 10, None, None, "x")],
                         columns=[c for c in schema.TABLES["indicators"] if c != "age_group"])
    frames = dataclasses.replace(frames, indicators=schema.conform(
        pd.concat([frames.indicators, extra], ignore_index=True), "indicators"))
    assert national_indicator(frames, "otrygghet", period="2024", sex="T", settings=SETTINGS) == 22.0
    # too few respondents: not used
    assert national_indicator(frames, "otrygghet", period="2024", sex="K", settings=SETTINGS) is None
    assert national_indicator(frames, "otrygghet", period="2023", sex="T", settings=SETTINGS) is None


@pytest.mark.parametrize(("value", "expected"), [(10.0, "below"), (17.5, "within"), (25.0, "within"),
                                                 (32.5, "within"), (33.0, "above"), (None, None)])
def test_band_position(value: float | None, expected: str | None) -> None:
    band = {"p25": 17.5, "p75": 32.5}
    assert band_position(value, band) == expected
    assert band_position(10.0, {"p25": None, "p75": None}) is None
    if expected:
        assert BAND_LABELS["sv"][expected] and BAND_LABELS["en"][expected]


# issue 13: above or below only when the whole interval lies outside the band
@pytest.mark.parametrize(("value", "low", "high", "expected"), [
    (35.0, 30.0, 40.0, "within"),   # point above the band, interval overlaps it
    (35.0, 32.5, 40.0, "within"),   # touching p75 is overlapping
    (35.0, 32.6, 40.0, "above"),
    (10.0, 5.0, 17.5, "within"),    # point below, interval reaches p25
    (10.0, 5.0, 17.4, "below"),
    (25.0, 10.0, 40.0, "within"),   # an interval wider than the band
    (35.0, None, None, "above"),    # no interval (no sampling uncertainty): the value decides
    (None, 30.0, 40.0, None),
])
def test_band_position_uses_the_interval(value, low, high, expected) -> None:
    band = {"p25": 17.5, "p75": 32.5}
    assert band_position(value, band, low, high) == expected
    assert band_position(value, band, pd.NA, float("nan")) == band_position(value, band)


@settings(max_examples=100, deadline=None)
@given(st.floats(0, 100), st.floats(0, 50), st.floats(0, 50), st.floats(0, 100), st.floats(0, 100))
def test_an_interval_never_says_more_than_its_point(value: float, below: float, above: float,
                                                    p25: float, width: float) -> None:
    band = {"p25": p25, "p75": p25 + width}
    with_interval = band_position(value, band, value - below, value + above)
    if with_interval != "within":  # a flag from the interval is a flag from the point too
        assert band_position(value, band) == with_interval
    wider = band_position(value, band, value - below - 1, value + above + 1)
    assert wider == with_interval or wider == "within"  # widening only takes flags away


def test_band_flags_against_chance() -> None:
    flags = band_flags(["above", "within", "below", None, "within", "within"], 0.95)
    assert (flags["n_tested"], flags["n_above"], flags["n_below"]) == (5, 1, 1)
    assert flags["expected_by_chance"] == pytest.approx(0.25)  # 5 × 5 %
    assert "1 över och 1 under av 5 kommuner; av slumpen ensam väntas upp till 0,25" in \
        flags["note_sv"]
    assert "chance alone gives up to 0.25" in flags["note_en"]
    assert "95\u00a0%-intervallet" in flags["note_sv"]
    figs = pd.DataFrame({"value": [40.0, 40.0, None], "ci_low": [35.0, 20.0, None],
                         "ci_high": [45.0, 60.0, None]})
    assert band_positions(figs, {"p25": 17.5, "p75": 32.5}) == ["above", "within", None]


values = st.one_of(st.none(), st.floats(0, 1e5, allow_nan=False))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(values, st.booleans()), min_size=0, max_size=12), st.randoms(),
       st.floats(0, 1e9, allow_nan=False))
def test_band_properties(cells: list[tuple[float | None, bool]], rnd, junk: float) -> None:
    rows = [{"area_id": f"24{i:02d}", "name": f"K{i}", "level": "kommun", "value": v,
             "suppressed": h} for i, (v, h) in enumerate(cells)]
    figs = pd.DataFrame(rows, columns=["area_id", "name", "level", "value", "suppressed"]
                        ).astype({"value": "Float64", "suppressed": bool})
    band = reference_band(figs)
    # order independence
    shuffled = figs.sample(frac=1, random_state=rnd.randint(0, 10_000))
    assert reference_band(shuffled) == band
    # hidden cells are never used: any value in them gives the same band
    if len(figs):
        other = figs.assign(value=figs["value"].mask(figs["suppressed"], junk))
        assert reference_band(other) == band
    shown = [v for v, h in cells if v is not None and not h]
    assert band["n_used"] == len(shown) and band["n_hidden"] == sum(h for _, h in cells)
    if band["p25"] is not None:
        assert min(shown) <= band["p25"] <= band["median"] <= band["p75"] <= max(shown)
        assert band["p75"] == pytest.approx(np.percentile(shown, 75))


# --- similar municipalities -------------------------------------------------------------------

def test_similar_by_distance_by_hand() -> None:
    frames = county(ONE)
    result = similar(frames, "2404", indicators=["otrygghet"], k=3)
    table = result.table
    # values 10..50, target 30; sd (ddof=1) = sqrt(250): distances 10/sd and 20/sd, ties by name
    assert table["name"].tolist() == ["Bjurholm", "Robertsfors", "Nordmaling"]
    assert table["distance"].tolist() == pytest.approx([10 / np.sqrt(250)] * 2 + [20 / np.sqrt(250)])
    assert table["rank"].tolist() == [1, 2, 3]
    assert result.basis == "indikatorer" and result.indicators == ("otrygghet",)
    assert "standardiserat euklidiskt" in result.note() and "Euclidean" in result.note("en")


def test_similar_on_layers_of_the_tiny_county() -> None:
    # two kommuner: each z-difference is sqrt(2), over two layers the distance is 2
    result = similar(tiny_frames(), "2417", indicators=["vald_topp", "otrygghet"])
    assert result.table["area_id"].tolist() == ["2422"]
    assert result.table["distance"].iloc[0] == pytest.approx(2.0)


def test_similar_matches_scipy_seuclidean() -> None:
    # 1 000 respondents each: a share that 1-4 people answered yes to would be hidden
    two = {**ONE, "utsatt_hot": {"2401": (3.0, 1000), "2403": (9.0, 1000), "2404": (4.0, 1000),
                                 "2409": (1.0, 1000), "2417": (6.0, 1000)}}
    result = similar(county(two), "2401", indicators=["otrygghet", "utsatt_hot"])
    x = np.array([[10, 3], [20, 9], [30, 4], [40, 1], [50, 6]], dtype=float)
    expected = cdist(x[:1], x, "seuclidean", V=x.var(axis=0, ddof=1))[0]
    got = result.table.set_index("area_id")["distance"]
    for area, d in zip(NAMES, expected):
        if area != "2401":
            assert got[area] == pytest.approx(d)
    assert result.table["distance"].is_monotonic_increasing


def test_hidden_values_are_left_out() -> None:
    hidden = {"otrygghet": {**ONE["otrygghet"], "2417": (99.0, 20)}}  # n < 30: hidden
    result = similar(county(hidden), "2404", indicators=["otrygghet"])
    # with the county's pooled share shown, one more kommun is hidden so that Norsjö's share
    # cannot be recovered (the one with the fewest "yes" answers: Nordmaling, 10 % of 100)
    assert result.table["area_id"].tolist() == ["2403", "2409"] and result.excluded == 2
    # the others are standardised without them: values 20, 30, 40
    sd = np.std([20, 30, 40], ddof=1)
    assert result.table.set_index("area_id")["distance"]["2403"] == pytest.approx(10 / sd)
    assert "2 kommuner saknar" in result.note()
    own_hidden = similar(county(hidden), "2417", indicators=["otrygghet"])
    assert own_hidden.table.empty and "egna värden" in own_hidden.note()


def test_similar_by_kommungrupp() -> None:
    frames = county(ONE, groups=GROUPS)
    result = similar(frames, "2404")
    assert result.basis == "kommungrupp" and result.group == "C8"
    assert result.table["name"].tolist() == ["Bjurholm", "Nordmaling", "Norsjö"]  # by name
    assert "Landsbygdskommun" in result.note() and "Rural municipality" in result.note("en")
    ordered = similar(frames, "2404", indicators=["otrygghet"], k=2)
    assert ordered.table["name"].tolist() == ["Bjurholm", "Nordmaling"]
    assert ordered.table["kommungrupp"].tolist() == ["C8", "C8"]
    distance = similar(frames, "2404", indicators=["otrygghet"], method="distance", k=2)
    assert distance.basis == "indikatorer"
    assert distance.table["name"].tolist() == ["Bjurholm", "Robertsfors"]
    given_groups = similar(county(ONE), "2404", groups=pd.Series({"2404": "X", "2409": "X"}))
    assert given_groups.table["area_id"].tolist() == ["2409"] and given_groups.group == "X"


def test_similar_refuses_what_it_cannot_do() -> None:
    frames = county(ONE)
    with pytest.raises(InputError, match="minst en indikator"):
        similar(frames, "2404")
    with pytest.raises(InputError, match="ingen kommungrupp"):
        similar(frames, "2404", indicators=["otrygghet"], method="group")
    with pytest.raises(InputError, match="finns inte"):
        similar(frames, "9999", indicators=["otrygghet"])
    with pytest.raises(InputError, match="Okänt lager"):
        similar(frames, "2404", indicators=["finns_inte"])
    with pytest.raises(ValueError):
        similar(frames, "2404", indicators=["otrygghet"], method="nearest")


# Indicator values as published (a few decimals): with a spread like 1e-160 scipy's reference
# itself loses precision (its variance underflows to a subnormal), not the function under test.
_VALUE = st.floats(-100, 100).map(lambda v: round(v, 4))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_VALUE, _VALUE, st.floats(0, 5).map(lambda v: round(v, 4))),
                min_size=3, max_size=8), st.randoms())
def test_standardized_distances_properties(rows: list[tuple[float, float, float]], rnd) -> None:
    ids = [f"k{i}" for i in range(len(rows))]
    matrix = pd.DataFrame(rows, index=ids, columns=["a", "b", "c"])
    dist, dropped = standardized_distances(matrix, "k0")
    keep = [c for c in matrix.columns if c not in dropped]
    if keep:
        x = matrix[keep].to_numpy()
        expected = cdist(x[:1], x, "seuclidean", V=x.var(axis=0, ddof=1))[0]
        assert dist.to_numpy() == pytest.approx(expected, rel=1e-6, abs=1e-9)
        assert dist["k0"] == pytest.approx(0.0) and (dist >= 0).all()
    order = rnd.sample(ids, len(ids))
    again, _ = standardized_distances(matrix.loc[order], "k0")
    assert again.reindex(dist.index).to_numpy() == pytest.approx(dist.to_numpy(), nan_ok=True)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(0, 100), min_size=5, max_size=5), st.randoms())
def test_similar_is_order_independent(shares: list[int], rnd) -> None:
    data = {"otrygghet": {a: (float(v), 100) for a, v in zip(NAMES, shares)}}
    frames = county(data, groups=GROUPS)
    expected = similar(frames, "2404", indicators=["otrygghet"], method="distance").table
    shuffled = dataclasses.replace(
        frames, areas=frames.areas.sample(frac=1, random_state=rnd.randint(0, 999)),
        indicators=frames.indicators.sample(frac=1, random_state=rnd.randint(0, 999)))
    got = similar(shuffled, "2404", indicators=["otrygghet"], method="distance").table
    pd.testing.assert_frame_equal(got, expected)


# --- kommungrupp from boundary files ----------------------------------------------------------

def test_boundary_file_carries_kommungrupp(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame({"kommunkod": ["2417", "2422"], "kommunnamn": ["Norsjö", "Sorsele"],
                              "skr_kommungrupp_kod": ["C8", "C9"],
                              "skr_kommungrupp_namn": ["Landsbygdskommun", "x"]},
                             geometry=[box(700_000, 7_190_000, 710_000, 7_200_000),
                                       box(710_000, 7_190_000, 720_000, 7_200_000)], crs=3006)
    pyogrio.write_dataframe(frame, tmp_path / "k.geojson")
    result = read_boundaries(tmp_path / "k.geojson")
    assert result.accepted["kommungrupp"].tolist() == ["C8", "C9"]
    assert result.columns["kommungrupp"] == "skr_kommungrupp_kod"
    assert "kommungrupp från 'skr_kommungrupp_kod'" in result.notes[0]
    ws = GpkgWorkspace(tmp_path / "ws.gpkg")
    with ws.transaction() as writer:
        writer.replace_dataset(Dataset("k.geojson", "areas", "boundaries", "k.geojson"),
                               result.accepted.drop(columns="_line"))
    assert ws.read("areas")["kommungrupp"].tolist() == ["C8", "C9"]
    plain = frame.drop(columns=["skr_kommungrupp_kod", "skr_kommungrupp_namn"])
    pyogrio.write_dataframe(plain, tmp_path / "p.geojson")
    areas = read_boundaries(tmp_path / "p.geojson").accepted
    assert areas["kommungrupp"].isna().all()


def test_areas_without_kommungrupp_conform() -> None:
    frames = tiny_frames()  # built without the column: filled as missing
    assert "kommungrupp" in frames.areas.columns and frames.areas["kommungrupp"].isna().all()


@pytest.mark.skipif(not REAL.exists(), reason="the shared boundary file is not next to the checkout")
def test_real_file_kommungrupp() -> None:
    areas = read_boundaries(REAL).accepted.set_index("area_id")
    assert areas.loc["2417", "kommungrupp"] == "C8" and areas.loc["2480", "kommungrupp"] == "B3"
    assert areas["kommungrupp"].notna().all() and areas["kommungrupp"].nunique() == 9
