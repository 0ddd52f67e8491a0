"""Programme coverage per stadsdel: Stockholm's real district boundaries, schools made here.

What the coordinator sees: on Insatser the districts' table (schools reached / schools, pupils
reached / eligible, programmes), the map of the districts, the schools outside every district
said in a warning, and need against coverage at district level; in the report's prevention
section a short table of the districts.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from lagesbild.analysis.district_coverage import (
    DistrictCoverage,
    district_coverage,
    district_need,
    district_view,
    place_sites,
)
from lagesbild.core import schema
from lagesbild.core.layers import load_layers
from lagesbild.core.settings import get_settings
from lagesbild.core.taxonomy import load_taxonomy
from lagesbild.store.frames import load_frames

from stockholm_districts_support import stockholm_workspace
from app_support import open_page

APP = Path(__file__).resolve().parents[1] / "app.py"
OUTSIDE = "2 enheter ligger utanför stadsdelarna (Skola vid vattnet, Strandskolan)"


@pytest.fixture(scope="module")
def stockholm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("stockholm") / "ws.gpkg"
    stockholm_workspace(path)
    return path


@pytest.fixture(scope="module")
def frames(stockholm: Path):
    from lagesbild.store.gpkg import GpkgWorkspace

    return load_frames(GpkgWorkspace(stockholm))


def _row(table: pd.DataFrame, name: str) -> pd.Series:
    return table[table["name"] == name].iloc[0]


def test_schools_are_placed_in_their_stadsdel_and_none_is_lost(frames) -> None:
    cov = district_coverage(frames, kommun="0180", period="HT2024")
    assert len(cov.table) == 117  # every district of the real file, with or without schools
    rinkeby, tensta, sodermalm = (_row(cov.table, n) for n in ("RINKEBY", "TENSTA", "SÖDERMALM"))
    # Rinkeby: MVP and MVP Mellanstadiet in one school, 150 + 90 of 420 pupils
    assert (rinkeby["schools_reached"], rinkeby["schools"]) == (1, 1)
    assert (rinkeby["pupils_reached"], rinkeby["eligible_pupils"]) == (240, 420)
    assert rinkeby["programmes"] == "MVP, MVP Mellanstadiet"
    assert (tensta["pupils_reached"], tensta["share_pupils"]) == (120, 40.0)
    assert (sodermalm["schools_reached"], sodermalm["programmes"]) == (0, "")
    assert _row(cov.table, "KISTA")["schools_reached"] == 0  # only planned there
    # two schools in gaps of the district file: counted, named, said — and not in any district
    assert sorted(cov.outside["name"]) == ["Skola vid vattnet", "Strandskolan"]
    assert cov.notes and cov.notes[0].startswith(OUTSIDE)
    # the districts and the schools outside add up to the kommun's own coverage
    from lagesbild.analysis.coverage import coverage_by_area

    kommun = coverage_by_area(frames, period="HT2024").set_index("area_id").loc["0180"]
    assert cov.table["schools"].sum() + len(cov.outside) == kommun["schools"] == 7
    assert cov.table["pupils_reached"].sum() + 40 == kommun["pupils_reached"]
    # the map: each district by the fixed coverage bands (57 % hög, 40 % medel, 0 % låg)
    view = district_view(cov, (25.0, 50.0))
    band = dict(zip(view.categories["name"], view.categories["category"]))
    assert (band["RINKEBY"], band["TENSTA"], band["SÖDERMALM"]) == ("high", "mid", "low")
    assert band["NORRMALM"] == "no_schools" and len(band) == 117
    assert view.note.startswith(OUTSIDE)
    rinkeby_tip = view.categories.set_index("name").loc["RINKEBY", "lines"]
    assert "Elever som nås: 240 av 420 (57,1 %)" in rinkeby_tip


def test_who_runs_and_funds_it_where_the_activity_rows_say_so(frames) -> None:
    act = frames.programme_activity.assign(
        forvaltning=lambda f: f["site_id"].map({"0180-S01": "Rinkeby-Kista sdf",
                                                "0180-S02": "Spånga-Tensta sdf"}),
        funded_by=lambda f: f["site_id"].map({"0180-S01": "Rinkeby-Kista sdf",
                                              "0180-S02": "Socialförvaltningen"}))
    cov = district_coverage(dataclasses.replace(frames, programme_activity=act), kommun="0180",
                            period="HT2024")
    assert _row(cov.table, "RINKEBY")["run_by"] == "Rinkeby-Kista sdf"
    assert _row(cov.table, "TENSTA")["funded_by"] == "Socialförvaltningen"
    assert _row(cov.table, "SÖDERMALM")["run_by"] == ""
    # without the columns nothing is invented
    plain = district_coverage(frames, kommun="0180", period="HT2024")
    assert set(plain.table["run_by"]) == {""} and set(plain.table["funded_by"]) == {""}


def test_a_point_on_a_shared_border_counts_in_one_district_only() -> None:
    districts = gpd.GeoDataFrame({"area_id": ["d-a", "d-b"], "kommun_id": ["0180", "0180"]},
                                 geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10)],
                                 crs=schema.CRS_STORE)
    sites = gpd.GeoDataFrame({"site_id": ["s1", "s2", "s3"], "area_id": ["0180", "0180", "0184"]},
                             geometry=[Point(10, 5), Point(30, 5), Point(5, 5)],
                             crs=schema.CRS_STORE)
    where = place_sites(sites, districts)
    # on the border: the first district; outside: none; another kommun's site: never placed in
    # this kommun's district even where its point lies inside it
    assert where.to_dict() == {"s1": "d-a", "s2": pd.NA, "s3": pd.NA} or (
        where["s1"] == "d-a" and pd.isna(where["s2"]) and pd.isna(where["s3"]))


def test_need_at_district_level_uses_shown_values_and_fixed_bands() -> None:
    table = pd.DataFrame({
        "area_id": ["a", "b", "c"], "name": ["A", "B", "C"], "schools": [1, 1, 1],
        "schools_reached": [1, 0, 1], "share_schools": [100.0, 0.0, 100.0],
        "eligible_pupils": [100, 100, 100], "pupils_reached": [60, 0, 10],
        "share_pupils": pd.array([60.0, 0.0, 10.0], dtype="Float64"),
        "programmes": ["MVP", "", "MVP"], "run_by": "", "funded_by": ""})
    cov = DistrictCoverage("0180", "stadsdel", "HT2024", table, table.iloc[:0][["area_id", "name"]])
    need = pd.DataFrame({"area_id": ["a", "b", "c"], "value": [40.0, 30.0, 9.0],
                         "display": ["40,0 %", "30,0 %", "dold"],
                         "suppressed": [False, False, True]})
    out = district_need(cov, need, (25.0, 50.0)).set_index("name")
    assert pd.isna(out.loc["C", "need_pct"]) and pd.isna(out.loc["C", "rank"])  # hidden: no rank
    assert out.loc["C", "quadrant"] == "unknown"
    assert out.loc["A", "quadrant"] == "high_need_high_cov"  # 60 % ≥ 50 %: hög
    assert out.loc["B", "quadrant"] == "low_need_low_cov"
    assert out.loc["B", "rank"] == 1 or out.loc["A", "rank"] == 1
    view = district_view(cov, (25.0, 50.0), need=out.reset_index(), need_title="Otrygghet")
    assert set(view.categories["category"]) == {"high_need_high_cov", "low_need_low_cov",
                                                 "unknown"}


def test_insatser_shows_coverage_per_stadsdel(monkeypatch: pytest.MonkeyPatch,
                                              stockholm: Path) -> None:
    monkeypatch.setenv("LAGESBILD_WORKSPACE", str(stockholm))
    monkeypatch.setenv("LAGESBILD_WARM", "0")
    at = open_page("coverage_page", timeout=90)
    assert not at.exception, at.exception
    assert "Täckning per stadsdel" in [s.value for s in at.subheader]
    assert any(w.value.startswith(OUTSIDE) for w in at.warning)
    table = at.dataframe[-1].value.set_index("Stadsdel")
    assert list(table.index) == ["HUSBY", "KISTA", "RINKEBY", "SÖDERMALM", "TENSTA"]
    assert table.loc["RINKEBY", "Skolor som nås"] == "1 av 1"
    assert table.loc["RINKEBY", "Andel elever (%)"] == "57,1"
    assert table.loc["SÖDERMALM", "Skolor som nås"] == "0 av 1"
    assert any("112 stadsdelar utan skolor" in c.value for c in at.caption)
    # coverage versus need: the city's own survey per stadsdel
    # (a police layer without incidents in the workspace is not offered)
    assert at.selectbox(key="cov_district_need").options == [
        "– (bara täckning)", "Otrygghet ute sent en kväll (%)"]
    at.selectbox(key="cov_district_need").set_value("otrygghet").run()
    assert not at.exception, at.exception
    table = at.dataframe[-1].value.set_index("Stadsdel")
    assert table.loc["KISTA", "Prioritet"] == "1"  # high need, nobody reached
    assert table.loc["HUSBY", "Behov (värde)"] == "uppgift saknas"
    assert table.loc["HUSBY", "Prioritet"] == "–"
    assert any("bland kommunens stadsdelar" in c.value for c in at.caption)


def test_the_report_has_a_table_per_stadsdel(frames) -> None:
    from lagesbild.report.build import build_report

    settings = get_settings()
    report = build_report(frames, load_layers(settings.layers_dir),
                          load_taxonomy(settings.layers_dir / "pyramid.toml"), settings,
                          area_id="0180", period="2024", notes={}, goals={},
                          created=date(2026, 12, 1), images=False)
    section = report.section("forebyggande")
    table = next(t for t in section.tables if t.title.startswith("Programtäckning per stadsdel"))
    assert table.title == "Programtäckning per stadsdel, Stockholm, HT2024"
    shown = table.frame.set_index("Stadsdel")
    assert len(shown) == 5 and shown.loc["RINKEBY", "Elever som nås"] == 240
    assert shown.loc["TENSTA", "Program"] == "MVP"
    assert "112 stadsdelar utan skolor" in table.note
    assert ".csv" not in table.note and "Källa: Kommunens" in table.note  # the publisher
    assert any(p.startswith(OUTSIDE) for p in section.paragraphs)
