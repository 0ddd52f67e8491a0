"""Programmes as data (issue 17): the registry, pupils per target group, several programmes in one
school, participants and counts, funders; built as Västerbotten's Våldsprevention describes it
(Norsjö: MVP in åk 7–9 and MVP Mellanstadiet in åk 4–6 in one school, a fritidsgård)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from lagesbild.analysis.coverage import coverage_by_area, site_coverage, site_status
from lagesbild.core import schema
from lagesbild.analysis.programme_summary import by_funder, programme_table, units_by_kind
from lagesbild.core.errors import InputError
from lagesbild.core.layers import load_layers
from lagesbild.core.programmes import Programme, Registry, load_programmes
from lagesbild.core.settings import get_settings
from lagesbild.core.taxonomy import load_taxonomy
from lagesbild.report.build import build_report
from lagesbild.sources.programmes import read_activity, read_sites
from lagesbild.store import export, importer
from lagesbild.store.frames import load_frames
from lagesbild.store.gpkg import GpkgWorkspace

from conftest import EAST, WEST, csv_bytes, latlon
from app_support import open_page

APP = Path(__file__).resolve().parents[1] / "app.py"
NORSJO, SORSELE = latlon(705_000, 7_195_000), latlon(715_000, 7_195_000)


def _at(xy: tuple[str, str]) -> str:
    return f"{xy[0]};{xy[1]}"


SITES = csv_bytes(
    "Enhets-ID;Namn;Typ;Kommunkod;Latitud;Longitud;Elever åk 4–6;Elever åk 7–9;Förvaltning\n"
    f"2417-S01;Norsjö centralskola;grundskola;2417;{_at(NORSJO)};90;120;Barn- och utbildningsförvaltningen\n"
    f"2417-S02;Bastuträsk skola F–6;grundskola;2417;{_at(NORSJO)};30;;Barn- och utbildningsförvaltningen\n"
    f"2417-F01;Fritidsgården Norsjö;fritidsgård;2417;{_at(NORSJO)};;;\n"
    f"2417-P01;Förskolan Myran;förskola;2417;{_at(NORSJO)};;;\n"
    f"2417-A01;Kommunhuset Norsjö;arbetsplats;2417;{_at(NORSJO)};;;\n"
    f"2422-S01;Sorsele skola;grundskola;2422;{_at(SORSELE)};;40;\n", "cp1252")
ACTIVITY = csv_bytes(
    "Enhets-ID;Program;Termin;Status;Klasser;Elever som nåtts;Personal utbildad;"
    "Tryggbassamtal;Pass genomförda;Finansierar\n"
    "2417-S01;MVP;HT2024;genomförs;5;110;6;;12;\n"
    "2417-S01;MVP-mellanstadiet;HT2024;genomförs;4;85;4;85;8;\n"
    "2417-S02;MVP Mellanstadiet;HT2024;genomförs;2;30;2;28;4;\n"
    "2417-F01;MVP Fritid;HT2024;genomförs;;25;2;;6;Fritidsförvaltningen\n"
    "2417-S01;Stopp nu;HT2024;genomförs;2;50;1;;;\n"
    "2422-S01;MVP;HT2024;genomförs;1;20;1;;;\n"
    "2422-S01;MVP Mellanstadiet;HT2024;genomförs;2;30;1;5;;\n")


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> GpkgWorkspace:
    """Norsjö and Sorsele with the sites and HT2024 activity above; built once, read only."""
    folder = tmp_path_factory.mktemp("programmes")
    workspace = GpkgWorkspace(folder / "ws.gpkg")
    areas = gpd.GeoDataFrame({"area_id": ["2417", "2422"], "level": "kommun",
                              "code": ["2417", "2422"], "name": ["Norsjö", "Sorsele"],
                              "parent_id": "24", "source": "test"}, geometry=[WEST, EAST],
                             crs=schema.CRS_STORE)
    importer.store_boundaries(workspace, schema.conform(areas, "areas"), name="gränser")
    (folder / "enheter.csv").write_bytes(SITES)
    (folder / "program_ht2024.csv").write_bytes(ACTIVITY)
    importer.import_file(workspace, "sites", folder / "enheter.csv")
    importer.import_file(workspace, "programme_activity", folder / "program_ht2024.csv")
    return workspace


# --- the registry -------------------------------------------------------------------------------

def test_the_shipped_registry() -> None:
    registry = load_programmes(get_settings().layers_dir)
    mvp, mellan, fritid = (registry.find(n) for n in ("MVP", "mvp mellanstadiet", "MVP Fritid"))
    assert (mvp.organiser, mvp.grades, mvp.target()) == ("MÄN", ("ak7_9", "gy"), "åk 7–9, gymnasiet")
    assert (mellan.name, mellan.grades, mellan.target("en")) == ("MVP Mellanstadiet", ("ak4_6",),
                                                                  "grades 4–6")
    assert [c.label_sv for c in mellan.counts] == ["Pass genomförda", "Tryggbassamtal"]
    assert (fritid.target(), fritid.site_kinds) == ("10–17 år", ("fritidsgård", "parklek"))
    assert registry.find("Mentorer i våldsprevention") is mvp and registry.find("KiVa") is None


def test_a_registry_with_an_unknown_grade_names_file_row_and_field(tmp_path: Path) -> None:
    (tmp_path / "programmes.toml").write_text(
        '[[programme]]\nname = "MVP"\norganiser = "MÄN"\ngrades = ["åk 7–9"]\nunits = ["skola"]\n'
        '[[programme]]\nname = "Lågstadiet"\norganiser = "X"\ngrades = ["åk 1–3"]\n'
        'units = ["skola"]\n', encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_programmes(tmp_path)
    assert (err.value.file, err.value.row, err.value.field) == ("programmes.toml", 2, "grades")
    assert "Okänd målgrupp 'åk 1–3' för Lågstadiet" in str(err.value)


# --- the readers ----------------------------------------------------------------------------------

def test_sites_with_pupils_per_target_group_and_new_unit_kinds() -> None:
    result = read_sites(SITES, name="enheter.csv")
    assert result.rejected == [] and result.notes == []
    sites = result.accepted.set_index("site_id")
    assert sites.loc["2417-P01", "kind"] == "förskola" and sites.loc["2417-A01", "kind"] == "arbetsplats"
    assert (sites.loc["2417-S01", "eligible_ak4_6"], sites.loc["2417-S01", "eligible_ak7_9"]) == (90, 120)
    assert pd.isna(sites.loc["2417-S02", "eligible_ak7_9"])  # blank: unknown, not 0
    assert sites.loc["2417-S01", "funder"] == "Barn- och utbildningsförvaltningen"


def test_the_old_single_target_group_is_read_with_a_note() -> None:
    data = csv_bytes("Enhets-ID;Namn;Typ;Kommunkod;Latitud;Longitud;Elever i målgrupp\n"
                     f"2417-S01;Norsjö centralskola;grundskola;2417;{_at(NORSJO)};150\n")
    result = read_sites(data, name="skolor.csv")
    (note,) = result.notes
    assert "'Elever i målgrupp' räknas som målgruppen för alla program som genomförs" in note
    assert "'Elever åk 4–6', 'Elever åk 7–9' och 'Elever gymnasiet'" in note


def test_activity_names_counts_funders_and_an_unknown_programme() -> None:
    result = read_activity(ACTIVITY, name="program_ht2024.csv")
    assert result.rejected == []
    act = result.accepted.set_index(["site_id", "programme"])
    assert act.loc[("2417-S01", "MVP Mellanstadiet"), "counts"] == "sessions=8;tryggbassamtal=85"
    assert act.loc[("2417-S01", "MVP"), "counts"] == "sessions=12"
    assert act.loc[("2417-F01", "MVP Fritid"), "pupils_reached"] == 25  # "Deltagare" too
    assert act.loc[("2417-F01", "MVP Fritid"), "funder"] == "Fritidsförvaltningen"
    # an unknown programme is kept (a kommun's own work), never silently: row, field and fix
    unknown = [n for n in result.notes if "Stopp nu" in n]
    assert unknown == [
        "Fält 'Program', rad 6: programmet 'Stopp nu' finns inte i programregistret "
        "(programmes.toml); raderna lagras men eleverna räknas utan egen målgrupp (de räknas bara "
        "mot skolans 'Elever i målgrupp'). Rätta namnet (kända: MVP, MVP Mellanstadiet, MVP Fritid) "
        "eller lägg till programmet som ett [[programme]]-block i programmes.toml."]
    assert ("2417-S01", "Stopp nu") in act.index


def test_a_count_of_another_programme_is_not_stored_and_says_so() -> None:
    data = csv_bytes("Enhets-ID;Program;Termin;Status;Elever som nåtts;Tryggbassamtal\n"
                     "S1;MVP;HT2024;genomförs;40;12\nS2;MVP Mellanstadiet;HT2024;genomförs;30;30\n")
    result = read_activity(data, name="p.csv")
    assert result.accepted["counts"].tolist() == ["", "tryggbassamtal=30"]
    assert any("rad 2: 'Tryggbassamtal' för MVP" in n for n in result.notes)


# --- coverage per target group ------------------------------------------------------------------

def test_two_programmes_in_one_school_count_separately_and_together(ws: GpkgWorkspace) -> None:
    frames = load_frames(ws)
    both = coverage_by_area(frames, period="HT2024", programmes=("MVP", "MVP Mellanstadiet"))
    norsjo = both.set_index("area_id").loc["2417"]
    # 110 (åk 7–9) + 85 + 30 (åk 4–6) of 120 + 90 + 30: never capped at one group's count
    assert (norsjo["eligible_pupils"], norsjo["pupils_reached"]) == (240, 225)
    assert norsjo["share_pupils"] == pytest.approx(93.75)
    mvp = coverage_by_area(frames, period="HT2024", programmes=("MVP",)).set_index("area_id")
    assert (mvp.loc["2417", "schools"], mvp.loc["2417", "eligible_pupils"],
            mvp.loc["2417", "pupils_reached"]) == (1, 120, 110)  # the F–6 school is not MVP's
    mellan = coverage_by_area(frames, period="HT2024", programmes=("MVP Mellanstadiet",))
    mellan = mellan.set_index("area_id")
    assert (mellan.loc["2417", "schools"], mellan.loc["2417", "eligible_pupils"],
            mellan.loc["2417", "pupils_reached"]) == (2, 120, 115)


def test_a_missing_denominator_is_said_not_100_percent(ws: GpkgWorkspace) -> None:
    """Sorsele skola gives pupils for åk 7–9 only but runs MVP Mellanstadiet too."""
    frames = load_frames(ws)
    mellan = coverage_by_area(frames, period="HT2024", programmes=("MVP Mellanstadiet",))
    sorsele = mellan.set_index("area_id").loc["2422"]
    assert pd.isna(sorsele["share_pupils"]) and sorsele["pupils_reached"] == 0
    assert (sorsele["pupils_no_eligible"], sorsele["schools_no_eligible"]) == (30, 1)
    both = coverage_by_area(frames, period="HT2024", programmes=("MVP", "MVP Mellanstadiet"))
    sorsele = both.set_index("area_id").loc["2422"]
    assert (sorsele["eligible_pupils"], sorsele["pupils_reached"]) == (40, 20)  # 50 %, not 125 %
    site = site_coverage(frames, period="HT2024").set_index("site_id").loc["2422-S01"]
    assert (site["missing_groups"], site["pupils_no_eligible"]) == ("åk 4–6", 30)


def test_overlapping_target_groups_are_capped_within_the_group(ws: GpkgWorkspace) -> None:
    """'Stopp nu' (added to the registry here) also reaches åk 7–9 at Norsjö centralskola:
    110 + 50 pupils of 120 may be the same pupils, so that group counts 120 at most."""
    shipped = load_programmes(get_settings().layers_dir)
    registry = Registry((*shipped.programmes, Programme("Stopp nu", "Kommunen", ("ak7_9",))))
    frames = load_frames(ws)
    school = site_coverage(frames, period="HT2024", registry=registry).set_index("site_id")
    assert school.loc["2417-S01", "pupils_reached"] == 120 + 85
    assert school.loc["2417-S01", "eligible"] == 210
    # without it in the registry its pupils have no target group there: outside the share
    plain = site_coverage(frames, period="HT2024").set_index("site_id")
    assert (plain.loc["2417-S01", "pupils_reached"], plain.loc["2417-S01", "pupils_no_eligible"]) \
        == (195, 50)


def test_coverage_is_computed_once_per_frames_and_question(ws: GpkgWorkspace,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The Insatser page asks on every rerun and each layer's figures ask again: one
    computation per frames, term and programmes; a caller's write stays its own."""
    import dataclasses

    from lagesbild.analysis import coverage

    calls: list[tuple] = []
    real = coverage._site_coverage
    monkeypatch.setattr(coverage, "_site_coverage",  # (a swap: nothing read from disk)
                        lambda *a: calls.append(a[1:3]) or real(*a))
    frames = dataclasses.replace(load_frames(ws))  # a frames object no other test asked
    first = coverage.site_coverage(frames, period="HT2024")
    first.loc[:, "reached"] = False
    assert coverage.site_coverage(frames, period="HT2024")["reached"].any()
    coverage.coverage_by_area(frames, period="HT2024")
    coverage.coverage_by_area(frames, period="HT2024")
    assert calls == [("HT2024", ())]
    coverage.site_coverage(frames, period="HT2024", programmes=("MVP",))
    assert calls == [("HT2024", ()), ("HT2024", ("MVP",))]


def test_the_old_single_target_group_caps_everything_run_there(area_workspace, tmp_path) -> None:
    (tmp_path / "s.csv").write_bytes(csv_bytes(
        "Enhets-ID;Namn;Typ;Kommunkod;Latitud;Longitud;Elever i målgrupp\n"
        f"2417-S01;Norsjö centralskola;grundskola;2417;{_at(NORSJO)};150\n"))
    (tmp_path / "a.csv").write_bytes(csv_bytes(
        "Enhets-ID;Program;Termin;Status;Elever som nåtts\n"
        "2417-S01;MVP;HT2024;genomförs;100\n2417-S01;MVP Mellanstadiet;HT2024;genomförs;80\n"))
    importer.import_file(area_workspace, "sites", tmp_path / "s.csv")
    importer.import_file(area_workspace, "programme_activity", tmp_path / "a.csv")
    frames = load_frames(area_workspace)
    table = coverage_by_area(frames, period="HT2024").set_index("area_id")
    assert (table.loc["2417", "eligible_pupils"], table.loc["2417", "pupils_reached"]) == (150, 150)
    # a programme outside school has no pupils in a school's target group
    fritid = coverage_by_area(frames, period="HT2024", programmes=("MVP Fritid",))
    assert fritid.set_index("area_id").loc["2417", "schools"] == 0


def test_participants_counts_units_and_funders(ws: GpkgWorkspace) -> None:
    frames = load_frames(ws)
    table = programme_table(frames, period="HT2024").set_index(["area_id", "programme"])
    mellan = table.loc[("2417", "MVP Mellanstadiet")]
    assert (mellan["units_reached"], mellan["participants"], mellan["tryggbassamtal"],
            mellan["sessions"]) == (2, 115, 113, 12)
    fritid = table.loc[("2417", "MVP Fritid")]
    assert (fritid["participants"], fritid["sessions"], fritid["organiser"]) == (
        25, 6, "Stadsdelsförvaltningen")
    assert pd.isna(fritid["tryggbassamtal"]) and pd.isna(table.loc[("2417", "MVP"), "tryggbassamtal"])
    kinds = units_by_kind(frames, period="HT2024").set_index(["area_id", "kind"])
    assert kinds.loc[("2417", "fritidsgård")].tolist() == [1, 1, 25]
    assert kinds.loc[("2417", "förskola")].tolist() == [1, 0, 0]
    funders = by_funder(frames, period="HT2024").set_index(["area_id", "funder"])
    assert funders.loc[("2417", "Fritidsförvaltningen"), "programmes"] == "MVP Fritid"
    assert funders.loc[("2417", "Barn- och utbildningsförvaltningen"), "units_reached"] == 2
    status = site_status(frames, period="HT2024").set_index("site_id")
    assert status.loc["2417-S01", "programme"] == "MVP, MVP Mellanstadiet, Stopp nu"


def test_new_columns_survive_export_and_restore(ws: GpkgWorkspace, tmp_path: Path) -> None:
    export.export_all(ws, tmp_path / "out")
    again = GpkgWorkspace(tmp_path / "again.gpkg")
    export.import_exported(again, tmp_path / "out")
    for table in ("sites", "programme_activity"):
        a = pd.DataFrame(ws.read(table)).drop(columns="geometry", errors="ignore")
        b = pd.DataFrame(again.read(table)).drop(columns="geometry", errors="ignore")
        pd.testing.assert_frame_equal(a.sort_values("site_id", kind="stable").reset_index(drop=True),
                                      b.sort_values("site_id", kind="stable").reset_index(drop=True))


# --- what the coordinator sees -------------------------------------------------------------------

def test_the_report_prevention_section(ws: GpkgWorkspace) -> None:
    settings = get_settings()
    report = build_report(load_frames(ws), load_layers(settings.layers_dir),
                          load_taxonomy(settings.layers_dir / "pyramid.toml"), settings,
                          area_id="2417", period="2024", layers=[], created=date(2026, 1, 2))
    section = report.section("forebyggande")
    text = "\n".join(section.paragraphs)
    assert "MVP Mellanstadiet (MÄN, åk 4–6): 115 av 120 elever i målgruppen (95,8 %); " \
           "115 deltagare vid 2 enheter; 12 pass genomförda; 113 tryggbassamtal." in text
    assert "MVP (MÄN, åk 7–9, gymnasiet): 110 av 120 elever i målgruppen (91,7 %)" in text
    assert "MVP Fritid (Stadsdelsförvaltningen, 10–17 år): 25 deltagare vid 1 enhet; 6 pass" in text
    assert "1 av 1 fritidsgårdar" in text
    titles = [t.title for t in section.tables]
    assert "Program och målgrupper, HT2024" in titles and "Finansiering och förvaltning, HT2024" in titles
    funders = section.tables[titles.index("Finansiering och förvaltning, HT2024")].frame
    assert "Fritidsförvaltningen" in funders.iloc[:, 0].tolist()


def test_insatser_shows_programmes_units_funders_and_the_missing_denominator(
        ws: GpkgWorkspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAGESBILD_WORKSPACE", str(ws.path))
    at = open_page("coverage_page", timeout=60)
    assert not at.exception, at.exception
    headers = [h.value for h in at.subheader]
    assert {"Program och målgrupper", "Enheter som nås per typ",
            "Finansiering och förvaltning"} <= set(headers)
    tables = [df.value for df in at.dataframe]
    programmes = next(t for t in tables if "Målgrupp" in t.columns)
    mellan = programmes[(programmes["Program"] == "MVP Mellanstadiet")
                        & (programmes["Område"] == "Norsjö")].iloc[0] \
        if "Område" in programmes.columns else programmes[
            programmes["Program"] == "MVP Mellanstadiet"].iloc[0]
    assert (mellan["Målgrupp"], mellan["Andel elever (%)"], mellan["Tryggbassamtal"]) == (
        "åk 4–6", "95,8", "113")
    kinds = next(t for t in tables if "Typ" in t.columns and "Enheter" in t.columns)
    assert "fritidsgård" in kinds["Typ"].tolist()
    (warning,) = [w.value for w in at.warning]
    # Sorsele's åk 4–6, and Norsjö's 'Stopp nu', a programme the registry does not know
    assert warning.startswith("80 elever som nåtts vid 2 skol(or) saknar antal elever i "
                              "målgruppen (okänd målgrupp, åk 4–6) i skolfilen och ingår inte i "
                              "andelen: Norsjö centralskola, Sorsele skola.")
    assert warning.endswith("läggs till i programregistret (layers/programmes.toml).")
