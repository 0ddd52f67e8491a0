"""Small-area figures (DeSO, RegSO, stadsdel): rates per 1 000 and one protected hierarchy."""

from __future__ import annotations

from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st
from scipy import stats as sps
from shapely.geometry import Point, box

from lagesbild.core import schema
from lagesbild.analysis import small_areas
from lagesbild.analysis.figures import layer_figures
from lagesbild.analysis.small_areas import (UNLOCATED, locate, protected_small_counts,
                                            small_area_figures)
from lagesbild.core.errors import InputError
from lagesbild.core.frames import Frames
from lagesbild.core.layers import LayerSpec
from lagesbild.core.settings import get_settings
from tests.frames_support import tiny_frames

SETTINGS = get_settings()
SPEC = LayerSpec(id="vald", title_sv="Våld per 100 000 inv.", title_en="Violence per 100,000",
                 kind="incident_rate", pyramid_level=3)
# 2417 (700–710 km east) in four DeSO quadrants; RegSO west and east halves
X0, Y0 = 700_000, 7_190_000
DESO = {"2417A0001": (0, 0), "2417A0002": (0, 1), "2417C0003": (1, 0), "2417C0004": (1, 1)}
REGSO_OF = {"2417A0001": "2417R001", "2417A0002": "2417R001", "2417C0003": "2417R002",
            "2417C0004": "2417R002"}
DESO_POP = {"2417A0001": 1000, "2417A0002": 1500, "2417C0003": 500, "2417C0004": 1000}


def _quadrant(col: int, row: int) -> box:
    return box(X0 + 5000 * col, Y0 + 5000 * row, X0 + 5000 * (col + 1), Y0 + 5000 * (row + 1))


def small_frames(counts: dict[str, tuple[int, int, int]], *, coded: list[tuple[str, str]] = (),
                 regso: bool = True, year: int = 2024) -> Frames:
    """tiny_frames with DeSO (and RegSO) in 2417 and violent incidents placed per DeSO.

    `counts`: DeSO -> (women, men, unknown sex) victims, as points inside the DeSO; a key
    "2417" puts points in the kommun but outside every DeSO is impossible (they tile it), so
    `coded` adds area-coded incidents: (code, sex) with a DeSO, RegSO or kommun code.
    """
    base = tiny_frames()
    extra = [gpd.GeoDataFrame({
        "area_id": list(DESO), "level": "deso", "code": list(DESO), "name": [f"D{d[-1]}" for d in DESO],
        "parent_id": "2417", "source": "deso.gpkg"},
        geometry=[_quadrant(*DESO[d]) for d in DESO], crs=schema.CRS_STORE)]
    if regso:
        extra.append(gpd.GeoDataFrame({
            "area_id": ["2417R001", "2417R002"], "level": "regso", "code": ["2417R001", "2417R002"],
            "name": ["Väst", "Öst"], "parent_id": "2417", "source": "regso.gpkg"},
            geometry=[box(X0, Y0, X0 + 5000, Y0 + 10_000), box(X0 + 5000, Y0, X0 + 10_000, Y0 + 10_000)],
            crs=schema.CRS_STORE))
    areas = schema.conform(gpd.GeoDataFrame(pd.concat([base.areas, *extra], ignore_index=True),
                                            geometry="geometry", crs=schema.CRS_STORE), "areas")
    rows, geoms = [], []
    rng = np.random.default_rng(7)
    for deso, (k, m, u) in counts.items():
        cell = _quadrant(*DESO[deso])
        for sex in ["K"] * k + ["M"] * m + [None] * u:
            x0, y0, x1, y1 = cell.bounds
            rows.append((sex, "point", None))
            geoms.append(Point(rng.uniform(x0 + 1, x1 - 1), rng.uniform(y0 + 1, y1 - 1)))
    for code, sex in coded:
        rows.append((sex, "area", code if len(code) > 4 else None))
        geoms.append(None)
    n = len(rows)
    incidents = gpd.GeoDataFrame({
        "incident_id": [f"s{i}" for i in range(n)], "occurred_at": pd.Timestamp(year, 5, 1),
        "year": year, "category": "Misshandel", "source_category": "Misshandel",
        "relation": False, "victim_sex": [r[0] for r in rows], "area_id": "2417",
        "sub_area_id": [r[2] for r in rows], "precision": [r[1] for r in rows],
        "source": "utdrag.csv"}, geometry=geoms, crs=schema.CRS_STORE)
    pop = [(d, year, "T", p, "scb") for d, p in DESO_POP.items()]
    pop += [(d, year, s, p // 2, "scb") for d, p in DESO_POP.items() for s in ("K", "M")]
    for r in ("2417R001", "2417R002"):
        total = sum(p for d, p in DESO_POP.items() if REGSO_OF[d] == r)
        pop += [(r, year, "T", total, "scb")] + [(r, year, s, total // 2, "scb") for s in "KM"]
    population = pd.concat([base.population, pd.DataFrame(
        pop, columns=["area_id", "year", "sex", "population", "source"])], ignore_index=True)
    return replace(base, areas=areas, incidents=schema.conform(incidents, "incidents"),
                   population=schema.conform(population, "population"))


@pytest.fixture()
def taxonomy():
    from lagesbild.core.taxonomy import load_taxonomy
    from lagesbild.core.settings import ROOT

    return load_taxonomy(ROOT / "layers" / "pyramid.toml")


def _cells(frames: Frames, level: str, taxonomy) -> pd.DataFrame:
    return protected_small_counts(frames, SPEC, level=level, period="2024", taxonomy=taxonomy,
                                  settings=SETTINGS)


def test_rates_per_1000_with_exact_poisson_interval(taxonomy) -> None:
    frames = small_frames({"2417A0001": (10, 12, 1), "2417A0002": (8, 7, 0),
                           "2417C0003": (6, 5, 0), "2417C0004": (9, 9, 2)})
    figs = small_area_figures(frames, SPEC, level="deso", period="2024", sex="T",
                              taxonomy=taxonomy, settings=SETTINGS, kommun="2417")
    row = figs.set_index("area_id").loc["2417A0001"]
    assert row["count"] == 23 and row["denominator"] == 1000 and row["unit"] == "per1000"
    assert row["value"] == pytest.approx(23.0)
    # exact (Garwood) interval by hand from the chi-square quantiles
    low, high = sps.chi2.ppf(0.025, 46) / 2, sps.chi2.ppf(0.975, 48) / 2
    assert row["ci_low"] == pytest.approx(low) and row["ci_high"] == pytest.approx(high)
    assert row["display"].startswith("23,0 per 1\u00a0000")
    kommun = figs.set_index("area_id").loc["2417"]
    assert kommun["level"] == "kommun" and kommun["count"] == 23 + 15 + 11 + 20
    assert kommun["unit"] == "per1000"
    assert kommun["value"] == pytest.approx(69 / 4000 * 1000)
    assert set(figs["level"]) == {"deso", "kommun"}
    assert (figs.loc[figs["level"] == "deso", "parent_id"] == "2417").all()


def test_areas_and_remainder_add_up_to_the_kommun_figure(taxonomy) -> None:
    frames = small_frames({"2417A0001": (10, 12, 1), "2417A0002": (8, 7, 0),
                           "2417C0003": (6, 5, 0), "2417C0004": (9, 9, 2)},
                          coded=[("2417R002", "K")] * 6 + [("2417", "M")] * 7)
    kommun = layer_figures(frames, SPEC, period="2024", sex="T", taxonomy=taxonomy,
                           settings=SETTINGS).set_index("area_id").loc["2417", "count"]
    for level in ("deso", "regso"):
        cells = _cells(frames, level, taxonomy)
        t = cells[(cells["sex"] == "T")]
        assert not t["suppressed"].any()
        assert int(t["count"].sum()) == kommun == 69 + 13
    regso = _cells(frames, "regso", taxonomy).set_index(["area_id", "sex"])["count"]
    assert regso[("2417R001", "T")] == 38 and regso[("2417R002", "T")] == 31 + 6
    assert regso[(UNLOCATED, "T")] == 7
    deso = _cells(frames, "deso", taxonomy).set_index(["area_id", "sex"])["count"]
    assert deso[(UNLOCATED, "T")] == 13 and deso[(UNLOCATED, "K")] == 6


def test_a_small_deso_hides_a_partner_and_cannot_be_recovered_from_its_regso(taxonomy) -> None:
    frames = small_frames({"2417A0001": (2, 0, 0), "2417A0002": (10, 10, 0),
                           "2417C0003": (8, 9, 0), "2417C0004": (9, 9, 0)})
    deso = _cells(frames, "deso", taxonomy).set_index(["area_id", "sex"])
    regso = _cells(frames, "regso", taxonomy).set_index(["area_id", "sex"])
    assert deso.loc[("2417A0001", "T"), "suppression"] == "small"
    # RegSO väst minus the other DeSO would give A0001: so that DeSO, or the RegSO, is hidden too
    west_hidden = bool(regso.loc[("2417R001", "T"), "suppressed"])
    assert west_hidden or bool(deso.loc[("2417A0002", "T"), "suppressed"])


def _attack(frames: Frames, taxonomy) -> tuple[set, set]:
    """Everything an attacker sees (DeSO, RegSO and kommun views); (primary hidden, recovered)."""
    deso = _cells(frames, "deso", taxonomy)
    regso = _cells(frames, "regso", taxonomy)
    kommun = pd.concat([layer_figures(frames, SPEC, period="2024", sex=s, taxonomy=taxonomy,
                                      settings=SETTINGS) for s in "KMT"])
    kommun = kommun[kommun["area_id"] == "2417"]
    unknowns: dict[tuple, int] = {}
    known: dict[tuple, float] = {}

    def var(name: tuple, hidden: bool, value: object) -> None:
        if hidden or pd.isna(value):  # hidden, or not given ("uppgift saknas"): unknown
            unknowns.setdefault(name, len(unknowns))
        else:
            known[name] = float(value)

    for frame, tag in ((deso, "d"), (regso, "r")):
        for a, s, c, h in zip(frame["area_id"], frame["sex"], frame["count"], frame["suppressed"]):
            var((tag, a, s), bool(h), c)
    for s, c, h in zip(kommun["sex"], kommun["count"], kommun["suppressed"]):
        var(("k", s), bool(h), c)
    eqs = []  # each equation: {name: coefficient} == 0
    for s in "KMT":
        eqs.append({**{("d", d, s): 1 for d in DESO}, ("d", UNLOCATED, s): 1, ("k", s): -1})
        eqs.append({("r", "2417R001", s): 1, ("r", "2417R002", s): 1, ("r", UNLOCATED, s): 1,
                    ("k", s): -1})
        # a RegSO is its DeSOs plus what is placed in it but in no DeSO (never shown alone:
        # those, with the RegSO remainder, make the DeSO view's remainder)
        for r in ("2417R001", "2417R002"):
            unknowns.setdefault(("u", r, s), len(unknowns))
            eqs.append({**{("d", d, s): 1 for d in DESO if REGSO_OF[d] == r}, ("u", r, s): 1,
                        ("r", r, s): -1})
        eqs.append({("u", "2417R001", s): 1, ("u", "2417R002", s): 1, ("r", UNLOCATED, s): 1,
                    ("d", UNLOCATED, s): -1})
    rows, rhs = [], []
    for eq in eqs:
        row = np.zeros(len(unknowns))
        b = 0.0
        for name, coef in eq.items():
            if name in unknowns:
                row[unknowns[name]] += coef
            elif name in known:
                b -= coef * known[name]
        rows.append(row)
        rhs.append(b)
    primary = {(tag, a, s) for frame, tag in ((deso, "d"), (regso, "r"))
               for a, s, kind in zip(frame["area_id"], frame["sex"], frame["suppression"])
               if kind == "small"}
    if not unknowns:
        return primary, set()
    a = np.array(rows)
    unit = np.eye(len(unknowns))
    coef = np.linalg.lstsq(a.T, unit, rcond=None)[0]
    residual = np.abs(a.T @ coef - unit).max(axis=0)
    recovered = {n for n, i in unknowns.items() if residual[i] < 1e-8}
    return primary, recovered


@hsettings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7), st.integers(0, 2)),
                min_size=4, max_size=4),
       st.integers(0, 3), st.integers(0, 3))
def test_no_small_cell_is_recovered_across_deso_regso_and_kommun(taxonomy, per_deso, in_regso,
                                                                  in_kommun) -> None:
    frames = small_frames(dict(zip(DESO, per_deso)),
                          coded=[("2417R001", "K")] * in_regso + [("2417", "M")] * in_kommun)
    primary, recovered = _attack(frames, taxonomy)
    assert not (primary & recovered)


def test_a_kommun_hidden_in_the_kommun_view_stays_hidden(taxonomy) -> None:
    # 3 violent incidents in the kommun: the kommun cell is small, so every DeSO must not add up
    frames = small_frames({"2417A0001": (0, 0, 0), "2417A0002": (0, 0, 0),
                           "2417C0003": (0, 0, 0), "2417C0004": (1, 2, 0)})
    _, recovered = _attack(frames, taxonomy)
    assert ("k", "T") not in recovered
    cells = _cells(frames, "deso", taxonomy)
    assert cells.loc[(cells["area_id"] == "2417C0004") & (cells["sex"] == "T"), "suppressed"].all()


def test_locate_points_codes_and_regso_of_a_deso_code(taxonomy) -> None:
    frames = small_frames({"2417C0003": (1, 0, 0)},
                          coded=[("2417A0002", "K"), ("2417R002", "M"), ("2417", "K")])
    inc = frames.incidents
    assert locate(frames, inc, "deso").tolist() == ["2417C0003", "2417A0002", pd.NA, pd.NA]
    assert locate(frames, inc, "regso").tolist() == ["2417R002", "2417R001", "2417R002", pd.NA]


def test_deso_without_regso_boundaries_is_protected_on_its_own(taxonomy) -> None:
    frames = small_frames({"2417A0001": (3, 0, 0), "2417A0002": (10, 10, 0),
                           "2417C0003": (8, 9, 0), "2417C0004": (9, 9, 0)}, regso=False)
    assert small_areas.small_levels(frames) == ["deso"]
    cells = _cells(frames, "deso", taxonomy)
    t = cells[cells["sex"] == "T"].set_index("area_id")
    assert t.loc["2417A0001", "suppression"] == "small"
    assert t["suppressed"].sum() >= 2  # a partner hidden with it


def test_row_order_does_not_change_the_result(taxonomy) -> None:
    frames = small_frames({"2417A0001": (2, 1, 0), "2417A0002": (10, 3, 0),
                           "2417C0003": (8, 9, 1), "2417C0004": (4, 9, 0)},
                          coded=[("2417R001", "K")] * 2)
    shuffled = replace(frames, incidents=frames.incidents.sample(frac=1, random_state=3),
                       areas=frames.areas.sample(frac=1, random_state=4))
    a = _cells(frames, "deso", taxonomy).sort_values(["area_id", "sex"]).reset_index(drop=True)
    b = _cells(shuffled, "deso", taxonomy).sort_values(["area_id", "sex"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def test_count_layers_and_unknown_levels_are_refused(taxonomy) -> None:
    frames = small_frames({"2417A0001": (6, 6, 0)})
    count_spec = replace(SPEC, kind="count_rate")
    with pytest.raises(InputError, match="bara per kommun"):
        small_area_figures(frames, count_spec, level="deso", period="2024", sex="T",
                           taxonomy=taxonomy, settings=SETTINGS)
    with pytest.raises(InputError, match="Okänd områdesnivå"):
        small_area_figures(frames, SPEC, level="kvarter", period="2024", sex="T",
                           taxonomy=taxonomy, settings=SETTINGS)
    assert small_areas.supports(SPEC, frames, "deso")
    assert not small_areas.supports(count_spec, frames, "deso")


def test_missing_population_says_so_and_keeps_the_count(taxonomy) -> None:
    frames = small_frames({"2417A0001": (6, 6, 0)})
    frames = replace(frames, population=frames.population[frames.population["area_id"] != "2417A0001"])
    figs = small_area_figures(frames, SPEC, level="deso", period="2024", sex="T",
                              taxonomy=taxonomy, settings=SETTINGS, kommun="2417")
    row = figs.set_index("area_id").loc["2417A0001"]
    assert row["count"] == 12 and pd.isna(row["value"]) and "folkmängd saknas" in row["note"]


def test_survey_shares_given_per_area(taxonomy) -> None:
    frames = small_frames({"2417A0001": (6, 6, 0)})
    rows = [("2417A0001", "2024", "otrygghet", "T", 30.0, 80), ("2417A0002", "2024", "otrygghet", "T", 20.0, 15)]
    extra = pd.DataFrame([(*r, "percent", None, None, "stadsenkät") for r in rows],
                         columns=["area_id", "period", "indicator_id", "sex", "value", "n", "unit",
                                  "ci_low", "ci_high", "source"])
    frames = replace(frames, indicators=schema.conform(pd.concat([frames.indicators, extra]), "indicators"))
    spec = LayerSpec(id="otrygghet", title_sv="Otrygghet", title_en="Insecurity", kind="indicator",
                     indicator="otrygghet")
    assert small_areas.supports(spec, frames, "deso")
    figs = small_area_figures(frames, spec, level="deso", period="2024", sex="T",
                              taxonomy=taxonomy, settings=SETTINGS, kommun="2417").set_index("area_id")
    assert figs.loc["2417A0001", "value"] == pytest.approx(30.0) and figs.loc["2417A0001", "n"] == 80
    assert figs.loc["2417A0002", "suppression"] == "few_respondents"
    assert figs.loc["2417C0003", "display"] == "uppgift saknas"
    # the kommun's own survey row (n = 200); its share may be hidden to protect the county's
    # other kommun, where 4 of 40 men answered yes
    assert figs.loc["2417", "n"] == 200


def test_protected_counts_are_computed_once_per_frames_and_given_as_copies(taxonomy) -> None:
    from lagesbild.analysis import small_areas

    frames = small_frames({"2417A0001": (10, 12, 1), "2417A0002": (3, 7, 0),
                           "2417C0003": (6, 2, 0), "2417C0004": (9, 9, 2)})
    first = _cells(frames, "deso", taxonomy)
    fresh = small_areas._protected_small_counts(frames, SPEC, level="deso", period="2024",
                                                taxonomy=taxonomy, settings=SETTINGS)
    pd.testing.assert_frame_equal(first, fresh)
    assert first["suppressed"].any()  # the small ones are hidden, from the memo as fresh
    first.loc[:, "count"] = 999  # a caller changing its copy changes nothing for the next
    pd.testing.assert_frame_equal(_cells(frames, "deso", taxonomy), fresh)
    other = small_frames({"2417A0001": (1, 1, 1), "2417A0002": (3, 7, 0),
                          "2417C0003": (6, 2, 0), "2417C0004": (9, 9, 2)})
    assert not _cells(other, "deso", taxonomy).equals(fresh)  # new frames: no stale entry
