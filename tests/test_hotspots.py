"""Getis-Ord Gi* hot spots on tiny grids of 1 km squares in EPSG:3006, checked by hand."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings as hyp_settings, strategies as st
from scipy import stats
from shapely.geometry import Polygon, box

from lagesbild.core import schema
from lagesbild.analysis import hotspots as hs
from lagesbild.analysis.figures import layer_figures
from lagesbild.analysis.permutation import bh_threshold
from lagesbild.core.taxonomy import load_taxonomy
from lagesbild.core.errors import InputError, LagesbildError
from lagesbild.core.frames import Frames
from lagesbild.core.layers import LayerSpec
from lagesbild.core.settings import Settings

from frames_support import tiny_frames

ROOT = Path(__file__).resolve().parents[1]
TAXONOMY = load_taxonomy(ROOT / "layers" / "pyramid.toml")
SETTINGS = Settings(suppress_below=5, min_survey_n=30)
X0, Y0, SIDE = 700_000, 7_190_000, 1_000
# a clear hot corner: the 2x2 block at row 0-1, column 0-1 of a 4x4 grid
HOT = {(0, 0), (0, 1), (1, 0), (1, 1)}


def cell_id(r: int, c: int) -> str:
    return f"A{r}{c}"


def grid(n: int = 4, *, extra: dict[str, tuple[int, int]] | None = None) -> gpd.GeoDataFrame:
    """n x n squares, id A<row><col>; `extra` adds squares at (row, col) far outside the grid."""
    cells = {cell_id(r, c): (r, c) for r in range(n) for c in range(n)} | (extra or {})
    geoms = [box(X0 + c * SIDE, Y0 + r * SIDE, X0 + (c + 1) * SIDE, Y0 + (r + 1) * SIDE)
             for r, c in cells.values()]
    return gpd.GeoDataFrame({"area_id": list(cells)}, geometry=geoms, crs=schema.CRS_STORE)


def hot_corner_values(n: int = 4) -> pd.Series:
    """Rates: 100 + a little in the hot corner, 10 + a little elsewhere (all distinct)."""
    rng = np.random.default_rng(7)
    return pd.Series({cell_id(r, c): (100.0 if (r, c) in HOT else 10.0) + rng.random()
                      for r in range(n) for c in range(n)})


def textbook_gi_star(values: pd.Series, cells: dict[str, tuple[int, int]]) -> pd.Series:
    """Ord & Getis (1995) Gi* with binary queen weights on grid cells and w_ii = 1."""
    ids = sorted(cells)
    x = values.reindex(ids).to_numpy(dtype=float)
    n = len(x)
    touch = [[abs(cells[a][0] - cells[b][0]) <= 1 and abs(cells[a][1] - cells[b][1]) <= 1
              for b in ids] for a in ids]
    w = np.array(touch, dtype=float)
    mean = x.mean()
    s = np.sqrt((x ** 2).sum() / n - mean ** 2)
    sw, sw2 = w.sum(axis=1), (w ** 2).sum(axis=1)
    z = (w @ x - mean * sw) / (s * np.sqrt((n * sw2 - sw ** 2) / (n - 1)))
    return pd.Series(z, index=ids)


def test_gi_star_matches_the_textbook_formula() -> None:
    values = hot_corner_values()
    out = hs.hotspots(grid(), values, permutations=99).set_index("area_id")
    cells = {cell_id(r, c): (r, c) for r in range(4) for c in range(4)}
    expected = textbook_gi_star(values, cells)
    np.testing.assert_allclose(out["gi_z"].reindex(expected.index), expected, rtol=1e-10)
    np.testing.assert_allclose(out["p_norm"], 2 * stats.norm.sf(out["gi_z"].abs()), rtol=1e-10)
    assert list(out.columns) == hs.COLUMNS[1:]


def _touching_the_corner(ids: pd.Index) -> bool:
    return all(int(a[1]) <= 2 and int(a[2]) <= 2 for a in ids)


def test_hot_corner_is_hot() -> None:
    out = hs.hotspots(grid(), hot_corner_values()).set_index("area_id")
    # the corner cell: its three neighbours and itself are all high
    assert out.loc["A00", "class"] == "hot_99"
    assert out.loc["A00", "label"] == "Het punkt (99 %)"
    assert out.loc["A00", "label_en"] == "Hot spot (99%)"
    assert out.loc[["A01", "A10"], "class"].str.startswith("hot").all()
    assert _touching_the_corner(out.index[out["class"].str.startswith("hot")])
    assert out.loc["A33", "class"] == "none"
    assert out.loc["A33", "label"] == "Ingen signifikant klustring"
    assert (out["reason"] == "").all()


def test_a_cold_corner_is_cold() -> None:
    out = hs.hotspots(grid(), 110.0 - hot_corner_values()).set_index("area_id")
    assert out.loc["A00", "class"] == "cold_99"
    assert out.loc["A00", "label"] == "Kall punkt (99 %)"
    assert out.loc[["A01", "A10"], "class"].str.startswith("cold").all()
    assert _touching_the_corner(out.index[out["class"].str.startswith("cold")])


@hyp_settings(max_examples=20, deadline=None)
@given(order=st.permutations(range(16)), values_order=st.permutations(range(16)))
def test_row_order_does_not_matter(order: list[int], values_order: list[int]) -> None:
    areas, values = grid(), hot_corner_values()
    expected = hs.hotspots(areas, values, hidden=["A22"], permutations=199)
    shuffled = hs.hotspots(areas.iloc[order], values.iloc[values_order], hidden=["A22"],
                           permutations=199)
    pd.testing.assert_frame_equal(shuffled, expected)


def test_hidden_areas_are_left_out_and_their_values_never_used() -> None:
    values = hot_corner_values(5)  # 5x5: 23 areas left, enough for Gi* (at least 15)
    out = hs.hotspots(grid(5), values, hidden=["A01", "A22"], permutations=199).set_index("area_id")
    for area in ("A01", "A22"):
        assert out.loc[area, "class"] == "not_computed"
        assert out.loc[area, "reason"] == "hidden_few_cases"
        assert out.loc[area, "label"] == "Kan inte beräknas: dold"
        assert out.loc[area, ["gi_z", "p_sim", "p_norm"]].isna().all()
    # the rest is Gi* on the 23 visible squares alone, whatever the hidden values are
    cells = {cell_id(r, c): (r, c) for r in range(5) for c in range(5)}
    visible = {a: rc for a, rc in cells.items() if a not in ("A01", "A22")}
    expected = textbook_gi_star(values, visible)
    np.testing.assert_allclose(out["gi_z"].reindex(expected.index), expected, rtol=1e-10)
    changed = values.copy()
    changed[["A01", "A22"]] = [0.0, 1e6]
    again = hs.hotspots(grid(5), changed, hidden=["A01", "A22"], permutations=199)
    pd.testing.assert_frame_equal(again.set_index("area_id"), out)
    # hidden reasons may also be given as a mapping; a hidden area without a value is fine too
    mapped = hs.hotspots(grid(5), values.drop("A22"), hidden={"A22": "hidden_few_respondents"},
                         permutations=99).set_index("area_id")
    assert mapped.loc["A22", "label"] == "Kan inte beräknas: dold"  # never why it is hidden


def test_missing_values_and_islands_are_not_computed_without_warnings() -> None:
    far = {"ISL": (40, 40), "P1": (20, 20), "P2": (20, 21)}  # an island and a separate pair
    values = pd.concat([hot_corner_values(), pd.Series({"ISL": 500.0, "P1": 12.0, "P2": 13.0})])
    values["A33"] = np.nan
    out = hs.hotspots(grid(extra=far), values).set_index("area_id")  # filterwarnings=error
    assert out.loc["ISL", "reason"] == "island"
    assert out.loc["ISL", "label"] == "Kan inte beräknas: saknar grannområden"
    assert out.loc["A33", "reason"] == "missing"
    assert (out.loc[["ISL", "A33"], "class"] == "not_computed").all()
    assert out.loc[["P1", "P2"], "gi_z"].notna().all()  # a second component is analysed
    # the island's value enters nothing: Gi* is that of the others alone
    cells = {cell_id(r, c): (r, c) for r in range(4) for c in range(4) if (r, c) != (3, 3)}
    cells |= {"P1": (20, 20), "P2": (20, 21)}
    expected = textbook_gi_star(values, cells)
    np.testing.assert_allclose(out["gi_z"].reindex(expected.index), expected, rtol=1e-10)


def ring(side: int = 5) -> gpd.GeoDataFrame:
    """A big square ("MID") inside a ring of 1 km squares: MID touches every other area."""
    cells = [(r, c) for r in range(side) for c in range(side)
             if r in (0, side - 1) or c in (0, side - 1)]
    geoms = [box(X0 + c * SIDE, Y0 + r * SIDE, X0 + (c + 1) * SIDE, Y0 + (r + 1) * SIDE)
             for r, c in cells]
    edge = range(1, side)  # every km on MID's border is a vertex: contiguity shares vertices
    corners = ([(c, 1) for c in edge] + [(side - 1, r) for r in edge[1:]]
               + [(c, side - 1) for c in reversed(edge[:-1])] + [(1, r) for r in reversed(edge[1:-1])])
    mid = Polygon([(X0 + c * SIDE, Y0 + r * SIDE) for c, r in corners])
    return gpd.GeoDataFrame({"area_id": [cell_id(r, c) for r, c in cells] + ["MID"]},
                            geometry=[*geoms, mid], crs=schema.CRS_STORE)


def test_too_few_areas_equal_values_and_full_neighbourhoods() -> None:
    row = grid(4).iloc[:4]  # A00..A03 in a row
    out = hs.hotspots(row, pd.Series(1.0 + np.arange(4), index=row["area_id"]))
    assert (out["class"] == "not_computed").all() and (out["reason"] == "too_few_areas").all()
    # changed by issue 13: the minimum is 15 areas taking part (was 5)
    assert out["label"].iloc[0] == ("Kan inte beräknas: färre än 15 områden med grannar och "
                                    "värden")
    flat = hs.hotspots(grid(), pd.Series(3.0, index=grid()["area_id"]))
    assert (flat["reason"] == "no_variation").all()
    # the middle of a ring touches every square: its Gi* is undefined (was a 3x3 grid's centre,
    # now too few areas; the ring has 17)
    areas = ring()
    values = pd.Series(np.arange(len(areas), dtype=float) + 1, index=areas["area_id"])
    out = hs.hotspots(areas, values).set_index("area_id")
    assert out.loc["MID", "reason"] == "undefined"
    assert out.drop(index="MID")["gi_z"].notna().all()


def test_seeded_reproducible_and_global_random_state_untouched() -> None:
    np.random.seed(1)
    before = np.random.get_state()[1].copy()
    first = hs.hotspots(grid(), hot_corner_values(), seed=11)
    assert (np.random.get_state()[1] == before).all()
    pd.testing.assert_frame_equal(first, hs.hotspots(grid(), hot_corner_values(), seed=11))
    other = hs.hotspots(grid(), hot_corner_values(), seed=12)
    pd.testing.assert_series_equal(other["gi_z"], first["gi_z"])
    # changed by issue 13: 16 areas have exact permutation distributions, so the seed only
    # matters when random draws are used instead (exact_limit=0)
    pd.testing.assert_series_equal(other["p_sim"], first["p_sim"])
    drawn = [hs.hotspots(grid(), hot_corner_values(), seed=s, exact_limit=0) for s in (11, 12)]
    assert (np.random.get_state()[1] == before).all()
    pd.testing.assert_frame_equal(drawn[0], hs.hotspots(grid(), hot_corner_values(), seed=11,
                                                        exact_limit=0))
    assert (drawn[1]["p_sim"] != drawn[0]["p_sim"]).any()


def test_fdr_is_stricter_and_arguments_are_checked() -> None:
    plain = hs.hotspots(grid(), hot_corner_values())
    strict = hs.hotspots(grid(), hot_corner_values(), fdr=True)
    rank = {c: i for i, (c, _, _) in enumerate(hs.legend())}
    strength = lambda cls: abs(rank[cls] - rank["none"])  # noqa: E731
    assert all(strength(s) <= strength(p) for s, p in zip(strict["class"], plain["class"]))
    for bad in ({"weights": "knn"}, {"levels": (0.8,)}, {"permutations": 10}):
        with pytest.raises(ValueError):
            hs.hotspots(grid(), hot_corner_values(), **bad)
    with pytest.raises(LagesbildError):
        hs.hotspots(grid(), hot_corner_values() - 50)
    rook = hs.hotspots(grid(), hot_corner_values(), weights="rook", levels=(0.95,))
    assert set(rook["class"]) <= {"hot_95", "cold_95", "none"}


def test_legend_colours_and_caveat() -> None:
    assert [c for c, _, _ in hs.legend()] == ["hot_99", "hot_95", "hot_90", "none", "cold_90",
                                             "cold_95", "cold_99", "not_computed"]
    assert hs.legend()[-1][1] == "Kan inte beräknas"
    assert hs.legend(lang="en")[0][1] == "Hot spot (99%)"
    assert len(set(hs.CLASS_COLORS.values())) == len(hs.CLASS_COLORS)
    assert "slumpen" in hs.CAVEAT["sv"] and "chance" in hs.CAVEAT["en"]


# --- on a layer's protected figures -----------------------------------------------------------

MISSHANDEL = LayerSpec(id="misshandel", title_sv="Misshandel", title_en="Assault",
                       kind="count_rate", categories=("Misshandel",))


def grid_frames(small: int = 3) -> Frames:
    """Län 24 with 16 kommuner A00..A33 (4x4 grid), 10 000 inhabitants each, Misshandel 2024.

    Counts per 10 000: about 100 in the hot corner, 20-35 elsewhere, `small` in A22 (hidden).
    """
    base = tiny_frames()
    cells = grid()
    areas = gpd.GeoDataFrame({
        "area_id": ["24", *cells["area_id"]], "level": ["lan"] + ["kommun"] * 16,
        "code": ["24", *cells["area_id"]], "name": ["Län", *cells["area_id"]],
        "parent_id": [None] + ["24"] * 16, "source": "gränser",
    }, geometry=[cells.union_all(), *cells.geometry], crs=schema.CRS_STORE)
    population = pd.DataFrame(
        [(a, 2024, s, 5_000 if s != "T" else 10_000, "folkmängd")
         for a in cells["area_id"] for s in "KMT"],
        columns=["area_id", "year", "sex", "population", "source"])
    rows = []
    for i, a in enumerate(cells["area_id"]):
        r, c = int(a[1]), int(a[2])
        t = small if a == "A22" else (100 + i if (r, c) in HOT else 20 + i)
        k = t // 2
        rows += [(a, "2024", "Misshandel", s, n, "brå.csv") for s, n in zip("KMT", (k, t - k, t))]
    counts = pd.DataFrame(rows, columns=["area_id", "period", "category", "sex", "count", "source"])
    return dataclasses.replace(base, areas=schema.conform(areas, "areas"),
                               population=schema.conform(population, "population"),
                               incident_counts=schema.conform(counts, "incident_counts"))


def _hot_figures(frames: Frames, spec: LayerSpec = MISSHANDEL, sex: str = "T",
                 **options: object) -> pd.DataFrame:
    return hs.hotspot_figures(frames, spec, period="2024", sex=sex, taxonomy=TAXONOMY,
                              settings=SETTINGS, **options)


def test_hotspot_figures_use_protected_rates_and_never_leak_hidden_ones() -> None:
    frames = grid_frames()
    out = _hot_figures(frames, permutations=199).set_index("area_id")
    figures = layer_figures(frames, MISSHANDEL, period="2024", sex="T", taxonomy=TAXONOMY,
                            settings=SETTINGS).set_index("area_id")
    hidden = figures.index[figures["suppressed"] & (figures["level"] == "kommun")]
    assert "A22" in hidden
    assert len(out) == 16 and "24" not in out.index
    assert (out.loc[hidden, "class"] == "not_computed").all()
    secondary = figures.loc[hidden, "suppression"] == "secondary"
    assert (out.loc[hidden[~secondary.to_numpy()], "reason"] == "hidden_few_cases").all()
    assert (out.loc[hidden[secondary.to_numpy()], "reason"] == "hidden_secondary").all()
    assert out.loc["A00", "class"].startswith("hot")
    assert out.loc["A00", "display"] == figures.loc["A00", "display"]
    reasons = {a: "hidden_secondary" if s == "secondary" else "hidden_few_cases"
               for a, s in zip(hidden, figures.loc[hidden, "suppression"])}
    direct = hs.hotspots(frames.kommuner, figures["value"].drop(index=hidden).dropna(),
                         hidden=reasons, permutations=199).set_index("area_id")
    pd.testing.assert_frame_equal(out[hs.COLUMNS[1:]], direct)
    # another small count in the hidden kommun changes nothing at all
    pd.testing.assert_frame_equal(_hot_figures(grid_frames(small=1), permutations=199)
                                  .set_index("area_id"), out)


def test_only_area_rate_layers_are_accepted() -> None:
    frames = tiny_frames()
    for kind in ("coverage", "events", "polisen_events"):
        spec = dataclasses.replace(MISSHANDEL, kind=kind)
        with pytest.raises(InputError, match="Polisens händelser") as caught:
            _hot_figures(frames, spec)
        assert isinstance(caught.value, ValueError) and isinstance(caught.value, LagesbildError)
    # two kommuner are too few; a kommun with too few survey answers stays hidden, and so does
    # its neighbour, whose share would give it away through the county's
    otrygghet = LayerSpec(id="o", title_sv="o", title_en="o", kind="indicator",
                          indicator="otrygghet")
    both = _hot_figures(frames, otrygghet, sex="T")
    assert (both["reason"] == "too_few_areas").all()
    women = _hot_figures(frames, otrygghet, sex="K").set_index("area_id")
    assert women.loc["2422", "reason"] == "hidden_few_respondents"
    assert women.loc["2417", "reason"] == "hidden_secondary"
    incident = LayerSpec(id="i", title_sv="i", title_en="i", kind="incident_rate")
    assert (_hot_figures(frames, incident)["class"] == "not_computed").all()


# --- issue 13: exact permutation p-values, at least 15 areas, flags against chance -------------

def strip(n: int) -> gpd.GeoDataFrame:
    """n squares in a row (S00, S01, …): each touches the one before and after."""
    ids = [f"S{c:02d}" for c in range(n)]
    geoms = [box(X0 + c * SIDE, Y0, X0 + (c + 1) * SIDE, Y0 + SIDE) for c in range(n)]
    return gpd.GeoDataFrame({"area_id": ids}, geometry=geoms, crs=schema.CRS_STORE)


def test_fourteen_areas_are_too_few_fifteen_are_enough() -> None:
    assert hs.MIN_AREAS == 15
    values = lambda n: pd.Series([1.0 + (c % 4) * 3 for c in range(n)],  # noqa: E731
                                 index=[f"S{c:02d}" for c in range(n)])
    fourteen = hs.hotspots(strip(14), values(14))
    assert (fourteen["class"] == "not_computed").all()
    assert (fourteen["reason"] == "too_few_areas").all()
    assert fourteen[["gi_z", "p_sim", "p_norm"]].isna().all().all()
    assert hs.summary(fourteen) == hs.NOT_OFFERED["sv"].format(n=14)
    assert "färre än 15 områden" in hs.summary(fourteen)
    assert "fewer than 15 areas" in hs.summary(fourteen, "en")
    assert hs.flag_counts(fourteen)[0].n_tested == 0
    fifteen = hs.hotspots(strip(15), values(15))
    assert (fifteen["reason"] == "").all() and fifteen["p_sim"].notna().all()
    assert hs.flag_counts(fifteen)[0].n_tested == 15
    # areas that do not take part do not count: 16 squares, two of them hidden, are 14
    hidden = hs.hotspots(strip(16), values(16), hidden=["S03", "S09"])
    assert set(hidden["reason"]) == {"too_few_areas", "hidden_few_cases"}
    assert "(14)" in hs.summary(hidden)


def test_the_corner_p_value_is_the_exact_two_sided_one() -> None:
    values = hot_corner_values()
    out = hs.hotspots(grid(), values).set_index("area_id")
    # A00's neighbours are A01, A10, A11: every 3 of the 15 other values is one arrangement
    others = values.drop("A00").to_numpy()
    observed = values[["A01", "A10", "A11"]].sum()
    sums = np.array([others[list(c)].sum() for c in itertools.combinations(range(15), 3)])
    upper = (sums >= observed - 1e-9).mean()
    lower = (sums <= observed + 1e-9).mean()
    assert len(sums) == 455 and upper == pytest.approx(1 / 455)  # the four highest values
    assert out.loc["A00", "p_sim"] == pytest.approx(min(1.0, 2 * min(lower, upper)))
    assert out.loc["A00", "p_sim"] == pytest.approx(2 / 455)


def test_flags_are_counted_against_chance_per_level() -> None:
    classes = ["hot_99", "hot_95", "cold_90", "none", "none"] + ["none"] * 15 + ["not_computed"]
    result = pd.DataFrame({"class": classes, "reason": [""] * 20 + ["missing"]})
    counts = hs.flag_counts(result)
    assert [(c.level, c.n_tested, c.flagged) for c in counts] == [
        (0.90, 20, 3), (0.95, 20, 2), (0.99, 20, 1)]
    assert [c.expected for c in counts] == pytest.approx([2.0, 1.0, 0.2])
    text = hs.summary(result)
    assert "90\u00a0%-nivån 3 av 20 områden (väntat av slumpen ensam: 2,0)" in text
    assert "99\u00a0%-nivån 1 av 20 områden (väntat av slumpen ensam: 0,20)" in text
    assert "90% level 3 of 20 areas (expected by chance alone: 2.0)" in hs.summary(result, "en")
    # with FDR the statement is about the flagged: at most 10 % of 3
    fdr = hs.summary(result, fdr=True)
    assert "FDR" in fdr and "90\u00a0%-nivån 3 av 20 områden (högst 0,30 av dem av slump)" in fdr


def test_fdr_uses_every_area_tested_as_its_family() -> None:
    values = hot_corner_values()
    plain = hs.hotspots(grid(), values)
    adjusted = hs.hotspots(grid(), values, fdr=True)
    tested = plain["p_sim"].to_numpy()
    for level in hs.LEVELS:
        cut = bh_threshold(tested, round(1 - level, 10))
        strength = adjusted["class"].str.extract(r"_(\d+)$")[0].astype(float)
        flagged = strength >= round(level * 100)
        assert (flagged <= (plain["p_sim"] <= cut + 1e-12)).all()
    assert (hs.flag_counts(adjusted)[0].flagged <= hs.flag_counts(plain)[0].flagged)


@hyp_settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=16, max_size=16))
def test_classes_follow_the_p_values_and_the_sign(counts: list[int]) -> None:
    values = pd.Series([float(c) for c in counts], index=sorted(grid()["area_id"]))
    out = hs.hotspots(grid(), values)
    if (out["reason"] == "no_variation").all():
        return
    for cls, p, z in zip(out["class"], out["p_sim"], out["gi_z"]):
        assert 0 < p <= 1
        if cls.startswith(("hot", "cold")):
            assert p <= 1 - int(cls.split("_")[1]) / 100 + 1e-12
            assert (z > 0) == cls.startswith("hot")
        else:
            assert cls == "none"
    counts_ = hs.flag_counts(out)
    assert counts_[0].flagged >= counts_[1].flagged >= counts_[2].flagged
