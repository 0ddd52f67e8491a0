"""Trainings of staff (issue 17): the reader, staff coverage, Insatser and the report.

Two hand-made workspaces shaped like the seed documents: Gävle's BIG group (2018 newsletter:
a two-day MVP training for school staff, "Tala om oron" for school and förskola staff, BIG's
norm-critical training for grundskola staff, Gävlemodellen for new staff trainers) and
Våldsprevention Västerbotten (Norsjö, Sorsele, Vilhelmina, Åsele with Länsstyrelsen).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box
from streamlit.testing.v1 import AppTest

from conftest import csv_bytes, latlon
from lagesbild.analysis import trainings
from lagesbild.core import schema
from lagesbild.core.errors import InputError
from lagesbild.core.layers import load_layers
from lagesbild.core.settings import get_settings
from lagesbild.core.taxonomy import load_taxonomy
from lagesbild.report.build_context import Context
from lagesbild.report.build_trainings import with_trainings
from lagesbild.report.html import to_html
from lagesbild.report.model import Report, Section
from lagesbild.sources.trainings import read_trainings, training_name
from lagesbild.store import export, importer
from lagesbild.store.frames import load_frames
from lagesbild.store.gpkg import GpkgWorkspace
from app_support import open_page

APP = Path(__file__).resolve().parents[1] / "app.py"
SETTINGS = get_settings()
HEADER = "Utbildning;Datum;Arrangör;Målgrupp;Verksamhet;Enhets-ID;Kommun;Antal deltagare;Timmar"
# BIG's autumn 2018 as one row per occasion (seed 002)
BIG = "\n".join([
    HEADER,
    "MVP – mentorer i våldsprevention;2018-10-08;BIG;lärare;skola;;2180;24;16",
    "”Tala om oron”;HT2018;BIG;skolpersonal;skola;;2180;30;3",
    "”Tala om oron”;HT2018;BIG;förskollärare;förskola;;2180;25;3",
    "Främjande arbete i skolan med normkritiskt perspektiv;14/11 2018;BIG;lärare;;2180-S01;;18;2,5",
    "GM;2018-11-20;BIG;personalutbildare;skola;;2180;12;",
    "Våga fråga;2018-12-03;Socialtjänsten;fritidsledare;;2181-F01;;6;2,5",
]) + "\n"


def _areas(codes: dict[str, str], lan: tuple[str, str]) -> gpd.GeoDataFrame:
    boxes = [box(700_000 + 10_000 * i, 7_190_000, 710_000 + 10_000 * i, 7_200_000)
             for i in range(len(codes))]
    frame = gpd.GeoDataFrame({
        "area_id": [lan[0], *codes], "level": ["lan", *["kommun"] * len(codes)],
        "code": [lan[0], *codes], "name": [lan[1], *codes.values()],
        "parent_id": [None, *[lan[0]] * len(codes)], "source": "test",
    }, geometry=[box(700_000, 7_190_000, 700_000 + 10_000 * len(codes), 7_200_000), *boxes],
        crs=schema.CRS_STORE)
    return schema.conform(frame, "areas")


def _sites(codes: list[str]) -> bytes:
    lines = ["Enhets-ID;Namn;Typ;Kommunkod;Latitud;Longitud"]
    for i, code in enumerate(codes):
        for suffix, kind, name in (("S01", "grundskola", "Staffansskolan"),
                                   ("F01", "fritidsgård", "Fritidsgården")):
            lat, lon = latlon(705_000 + 10_000 * i, 7_195_000 + (0 if suffix == "S01" else 2_000))
            lines.append(f"{code}-{suffix};{name} {code};{kind};{code};{lat};{lon}")
    return csv_bytes("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def gavle(tmp_path_factory: pytest.TempPathFactory) -> GpkgWorkspace:
    ws = GpkgWorkspace(tmp_path_factory.mktemp("gavle") / "ws.gpkg")
    importer.store_boundaries(ws, _areas({"2180": "Gävle", "2181": "Sandviken"},
                                         ("21", "Gävleborgs län")))
    importer.import_file(ws, "sites", _sites(["2180", "2181"]), name="enheter.csv")
    importer.import_file(ws, "trainings", csv_bytes(BIG, "utf-8-sig"), name="big_2018.csv")
    importer.import_file(ws, "staff", csv_bytes(
        "Kommunkod;Verksamhet;År;Personal\n2180;skola;2018;1200\n2180;förskola;2018;640\n"),
        name="personal.csv")
    return ws


FOUR = {"2417": "Norsjö", "2422": "Sorsele", "2462": "Vilhelmina", "2463": "Åsele"}
VASTERBOTTEN = "\n".join([
    "Utbildning;Termin;Arrangör;Yrkesgrupp;Verksamhet;Kommunkod;Deltagare;Timmar",
    *[f"Processledarutbildning i våldsprevention;HT2020;Länsstyrelsen Västerbotten;"
      f"samordnare;arbetsplats;{code};{n};24" for code, n in zip(FOUR, (3, 2, 4, 3))],
    *[f"Grundutbildning VINR;VT2021;Länsstyrelsen Västerbotten;socialsekreterare;förvaltning;"
      f"{code};{n};3,5" for code, n in zip(FOUR, (10, 8, 14, 9))],
    "MVP;VT2021;MVP Sverige;lärare;skola;2417;12;16",
]) + "\n"
STAFF = "\n".join([
    "Kommunkod;Verksamhet;År;Personal",
    *[f"{code};arbetsplats;2021;{n}" for code, n in zip(FOUR, (40, 30, 60, 25))],
    *[f"{code};skola;2021;{n}" for code, n in zip(list(FOUR)[:3], (60, 37, 96))],  # Åsele: none
]) + "\n"


@pytest.fixture(scope="module")
def vasterbotten(tmp_path_factory: pytest.TempPathFactory) -> GpkgWorkspace:
    ws = GpkgWorkspace(tmp_path_factory.mktemp("vb") / "ws.gpkg")
    importer.store_boundaries(ws, _areas(FOUR, ("24", "Västerbottens län")))
    importer.import_file(ws, "trainings", csv_bytes(VASTERBOTTEN), name="vp_vasterbotten.csv")
    importer.import_file(ws, "staff", csv_bytes(STAFF), name="personal.csv")
    return ws


# --- the reader ------------------------------------------------------------------------------

def test_known_names_are_one_training() -> None:
    assert training_name("GM") == "Gävlemodellen"
    assert training_name("MVP – mentorer i våldsprevention") == "MVP-utbildning"
    assert training_name("Mentors in Violence Prevention") == "MVP-utbildning"
    assert training_name("”Tala om oron”") == "Tala om oron"
    assert training_name("Våga fråga") == "Våga fråga"
    # a name it does not know is kept as written (not folded into a known one)
    assert training_name("MVP Mellanstadiet") == "MVP Mellanstadiet"


def test_dates_terms_hours_and_unit_ids(gavle: GpkgWorkspace) -> None:
    got = gavle.read("trainings").sort_values(["date", "term", "unit_kind"])
    rows = {(r.training, r.unit_kind): r for r in got.itertuples()}
    mvp = rows[("MVP-utbildning", "skola")]
    assert (mvp.date, mvp.term, mvp.year, mvp.hours) == ("2018-10-08", "HT2018", 2018, 16.0)
    norm = rows[("Främjande arbete i skolan med normkritiskt perspektiv", "skola")]
    # 14/11 2018 is the 14th of November; 2,5 hours; the unit gives kommun and kind
    assert (norm.date, norm.hours, norm.area_id, norm.site_id) == (
        "2018-11-14", 2.5, "2180", "2180-S01")
    oron = got[got["training"] == "Tala om oron"]
    assert sorted(oron["unit_kind"]) == ["förskola", "skola"] and set(oron["date"]) == {""}
    assert pd.isna(rows[("Gävlemodellen", "skola")].hours)  # no hours given: unknown, not 0
    assert rows[("Våga fråga", "fritidsgård")].area_id == "2181"


def test_bad_rows_name_file_row_and_field(area_workspace: GpkgWorkspace) -> None:
    text = "\n".join([
        "Utbildning;Datum;Verksamhet;Kommunkod;Deltagare;Timmar",
        "Gävlemodellen;2024-03-05;skola;2417;20;2,5",
        "Gävlemodellen;2024-03-06;skola;9999;20;2,5",     # unknown kommun
        "Våga fråga;2024-03-07;skola;2417;;3",             # participants missing
        "Våga fråga;2024-13-07;skola;2417;5;3",            # no such date
        "Tala om oron;5/3 2024;kyrka;2422;8;3",            # unknown kind of unit
        "Tala om oron;5/3 2024;förskola;2422;8;0",         # no hours
        "MVP;5/3 2024;skola;2422;12;16",
    ]) + "\n"
    result = importer.check_file(area_workspace, "trainings", csv_bytes(text),
                                 name="utbildningar.csv")
    assert sorted(result.accepted["_line"]) == [2, 8]
    assert result.accepted.set_index("_line").loc[8, "date"] == "2024-03-05"
    why = {r.row: r for r in result.rejected}
    assert sorted(why) == [3, 4, 5, 6, 7]
    assert why[3].field == "Kommunkod" and "finns inte" in why[3].reason
    assert why[4].field == "Deltagare" and why[4].reason == "värde saknas"
    assert why[5].field == "Datum" and "2024-03-05" in why[5].reason
    assert why[6].field == "Verksamhet" and "förskola" in why[6].reason
    assert why[7].field == "Timmar" and "2,5" in why[7].reason
    assert all(r.file == "utbildningar.csv" for r in result.rejected)


def test_a_file_without_kommun_or_unit_is_refused_whole() -> None:
    with pytest.raises(InputError, match="varken kommun eller enhet") as err:
        read_trainings(csv_bytes("Utbildning;Datum;Deltagare\nGM;2024-03-05;4\n"), name="u.csv")
    assert "Kommunkod" in str(err.value) and "fil u.csv" in str(err.value)


def test_the_same_occasion_under_two_names_is_counted_once(area_workspace) -> None:
    text = "\n".join([
        "Utbildning;Datum;Verksamhet;Kommunkod;Deltagare;Timmar",
        "Mentors in Violence Prevention;2024-03-05;skola;2417;20;16",
        "MVP-utbildning;5/3 2024;skola;2417;20;16",          # the same day, other spelling
        "MVP-utbildning;2024-03-05;skola;2422;20;16",        # another kommun: another occasion
        "Normkritik i skolan;2024-04-10;skola;2417;15;2",
        "Främjande arbete normkritiskt perspektiv;2024-04-10;skola;2417;15;2",
    ]) + "\n"
    result = importer.check_file(area_workspace, "trainings", csv_bytes(text), name="u.csv")
    assert [r.row for r in result.rejected] == [3]
    assert "finns redan på rad 2" in result.rejected[0].reason
    assert result.accepted["participants"].sum() == 20 + 20 + 15 + 15
    # names it does not know cannot be matched: kept, with a note naming both rows
    assert any("Raderna 5, 6" in n and "Normkritik i skolan" in n for n in result.notes)


def test_an_unknown_unit_id_is_rejected_even_with_a_kommun(gavle: GpkgWorkspace) -> None:
    text = "\n".join([
        "Utbildning;Datum;Enhets-ID;Kommunkod;Deltagare",
        "Våga fråga;2018-12-04;2180-S99;2180;6",   # no such unit: where it belongs is unknown
        "Våga fråga;2018-12-05;2181-F01;2180;6",   # the unit is in Sandviken, not Gävle
        "Våga fråga;2018-12-06;2180-F01;;6",
    ]) + "\n"
    result = importer.check_file(gavle, "trainings", csv_bytes(text), name="u.csv")
    why = {r.row: r for r in result.rejected}
    assert sorted(why) == [2, 3]
    assert why[2].field == "Enhets-ID" and "finns inte" in why[2].reason
    assert "ligger i kommun 2181" in why[3].reason
    assert result.accepted[["area_id", "unit_kind"]].values.tolist() == [["2180", "fritidsgård"]]


def test_a_file_imported_again_under_another_name_is_refused(gavle: GpkgWorkspace) -> None:
    with pytest.raises(InputError, match="räknas två gånger"):
        importer.check_file(gavle, "trainings", csv_bytes(BIG.replace("2180;24;16",
                                                                       "2180;24;16,0")),
                            name="big_igen.csv")


def test_future_term_is_rejected(area_workspace: GpkgWorkspace) -> None:
    year = date.today().year + 2
    text = f"Utbildning;Termin;Verksamhet;Kommunkod;Deltagare\nGM;HT{year};skola;2417;4\n" \
           "GM;HT2024;skola;2417;4\n"
    result = importer.check_file(area_workspace, "trainings", csv_bytes(text), name="u.csv")
    assert [r.row for r in result.rejected] == [2] and len(result.accepted) == 1


# --- coverage of staff -------------------------------------------------------------------------

def test_share_of_staff_only_with_its_denominator(vasterbotten: GpkgWorkspace) -> None:
    frames = load_frames(vasterbotten)
    table = trainings.totals(frames, year=2021).set_index(["area_id", "unit_kind"])
    vinr = table.loc[("2462", "arbetsplats")]
    assert (vinr["participants"], vinr["staff"], vinr["share_staff"]) == (14, 60, 23.3)
    assert vinr["hours"] == 49.0  # 14 × 3,5
    mvp = table.loc[("2417", "skola")]
    assert (mvp["participants"], mvp["staff"], mvp["share_staff"]) == (12, 60, 20.0)
    # the county: every kommun's staff known for arbetsplats, not for skola (Åsele has none)
    county = table.loc[("24", "arbetsplats")]
    assert (county["participants"], county["staff"]) == (41, 155)
    assert county["share_staff"] == round(100 * 41 / 155, 1)
    assert pd.isna(table.loc[("24", "skola")]["staff"])
    assert pd.isna(table.loc[("24", "skola")]["share_staff"])
    # several years summed: no share (the staff is per year)
    every = trainings.totals(frames, year=None)
    assert every["share_staff"].isna().all() and every["staff"].isna().all()
    # the processledare trained in HT2020 count in 2020, not 2021
    by = trainings.by_training(frames, year=2020)
    assert set(by["training"]) == {"Processledarutbildning i våldsprevention"}
    assert by.loc[by["area_id"] == "24", "participants"].tolist() == [12]


# --- Insatser ---------------------------------------------------------------------------------

def _insatser(monkeypatch: pytest.MonkeyPatch, ws: GpkgWorkspace, lang: str = "sv") -> AppTest:
    monkeypatch.setenv("LAGESBILD_WORKSPACE", ws.location)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    if lang != "sv":
        at.radio(key="lang").set_value(lang).run()
    at.switch_page("lagesbild/ui/coverage_page.py").run()
    assert not at.exception, at.exception
    return at


def test_insatser_shows_big_trainings(monkeypatch: pytest.MonkeyPatch,
                                      gavle: GpkgWorkspace) -> None:
    at = _insatser(monkeypatch, gavle)
    assert "Utbildningar" in [s.value for s in at.subheader]
    assert at.selectbox(key="tr_year").value == "2018"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Deltagare"] == "115" and metrics["Tillfällen"] == "6"
    # 24×16 + 30×3 + 25×3 + 18×2,5 + 6×2,5 (Gävlemodellen gave no hours)
    assert metrics["Timmar totalt"] == "609"
    table = at.dataframe[0].value
    mvp = table[table["Utbildning"] == "MVP-utbildning"].iloc[0]
    assert (mvp["Område"], mvp["Verksamhet"], mvp["Deltagare"], mvp["Timmar totalt"]) == (
        "Gävle", "skola", "24", "384,0")
    assert mvp["Anställda"] == "1\u00a0200" and mvp["Andel av personalen, högst (%)"] == "2,0"
    gm = table[(table["Utbildning"] == "Gävlemodellen") & (table["Område"] == "Gävle")].iloc[0]
    assert gm["Timmar totalt"] == "–"  # unknown, never 0
    county = table[table["Område"] == "Gävleborgs län"]
    assert county["Deltagare"].tolist() and "–" in county["Andel av personalen, högst (%)"].tolist()
    totals = at.dataframe[1].value
    school = totals[(totals["Område"] == "Gävle") & (totals["Verksamhet"] == "skola")].iloc[0]
    assert (school["Utbildning"], school["Deltagare"], school["Tillfällen"]) == (
        "Alla utbildningar", "84", "4")
    caption = " ".join(c.value for c in at.caption)
    # the publisher in the caption, the files with their import dates in its tooltip
    assert "övre gräns" in caption and "Förteckning över utbildningar av personal (HT2018)" \
        in caption and ".csv" not in caption
    helps = " ".join(c.proto.help for c in at.caption)
    assert "big_2018.csv" in helps and "personal.csv" in helps
    at.selectbox(key="tr_year").set_value("alla").run()
    assert not at.exception
    assert set(at.dataframe[0].value["Andel av personalen, högst (%)"]) == {"–"}


def test_insatser_in_english(monkeypatch: pytest.MonkeyPatch, gavle: GpkgWorkspace) -> None:
    at = _insatser(monkeypatch, gavle, "en")
    assert "Trainings" in [s.value for s in at.subheader]
    table = at.dataframe[0].value
    assert "school" in table["Kind of unit"].tolist() and "Share of staff, at most (%)" in table
    assert "upper bound" in " ".join(c.value for c in at.caption)


def test_insatser_without_trainings_says_so(monkeypatch: pytest.MonkeyPatch,
                                            area_workspace: GpkgWorkspace) -> None:
    at = _insatser(monkeypatch, area_workspace)
    assert any("inga utbildningar" in i.value for i in at.info)


# --- the report --------------------------------------------------------------------------------

def _section(ws: GpkgWorkspace, area_id: str, period: str, lang: str = "sv") -> Section:
    ctx = Context(load_frames(ws), load_layers(SETTINGS.layers_dir),
                  load_taxonomy(SETTINGS.layers_dir / "pyramid.toml"), SETTINGS, area_id,
                  period, lang)
    return with_trainings(ctx, Section("forebyggande", "Förebyggande arbete"))


def _html(section: Section, lang: str = "sv") -> str:
    report = Report("Lägesbild", "2180", "Gävle", "2018", "wide", lang, date(2026, 1, 1),
                    (section,))
    return " ".join(to_html(report).replace("\u00a0", " ").split())


def test_report_states_the_year_of_big(gavle: GpkgWorkspace) -> None:
    html = _html(_section(gavle, "2180", "2018"))
    assert ("Under 2018 har 109 deltagare från skola och förskola utbildats i Främjande arbete "
            "i skolan med normkritiskt perspektiv, Gävlemodellen, MVP-utbildning och Tala om "
            "oron (5 tillfällen), sammanlagt 594 timmar (timmar saknas för 1 tillfälle).") in html
    assert "Utbildningar av personal, 2018" in html and "övre gräns" in html
    # the sources by what they are, as the report names every source (core.publishers)
    assert ("Källa: Förteckning över utbildningar av personal (HT2018); Antal anställda per "
            "verksamhet (2018).") in html
    assert ".csv" not in html
    assert "Sandviken" not in html  # Gävle's report: Sandviken's fritidsledare are not in it


def test_report_in_english_and_for_the_county(gavle: GpkgWorkspace) -> None:
    html = _html(_section(gavle, "21", "2018", "en"), "en")
    assert ("In 2018, 115 participants from school, preschool and youth centre were trained "
            "in") in html
    assert "(6 occasions), 609 hours in all (hours missing for 1 occasion)." in html
    assert "Gävleborgs län" in html and "Sandviken" in html


def test_report_year_without_trainings_says_so(gavle: GpkgWorkspace) -> None:
    section = _section(gavle, "2180", "2024")
    assert section.paragraphs == ("Inga utbildningar av personal är registrerade för Gävle 2024.",)
    assert not section.tables


# --- export, restore ---------------------------------------------------------------------------

def test_export_and_restore_give_the_same_trainings(gavle: GpkgWorkspace, tmp_path: Path) -> None:
    export.export_all(gavle, tmp_path / "ut")
    restored = GpkgWorkspace(tmp_path / "ny.gpkg")
    export.import_exported(restored, tmp_path / "ut")
    for table in ("trainings", "staff"):
        a, b = (w.read(table).sort_values(list(schema.TABLES[table])).reset_index(drop=True)
                for w in (gavle, restored))
        pd.testing.assert_frame_equal(a, b)


# --- the command line --------------------------------------------------------------------------

def test_cli_import_with_a_column_mapping(area_workspace: GpkgWorkspace, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from lagesbild.cli.main import main

    monkeypatch.chdir(tmp_path)
    path = tmp_path / "kurser.csv"  # the office's own headers: "Kurs", "Personer"
    path.write_bytes(csv_bytes("Kurs;Datum;Verksamhet;Kommunkod;Personer;Timmar\n"
                               "Våga fråga;2024-03-05;skola;2417;8;2,5\n"
                               "Våga fråga;2024-03-06;skola;2417;;2,5\n", "cp1252"))
    result = CliRunner().invoke(main, ["import", "trainings", str(path), "-w",
                                       area_workspace.location, "--column", "training=Kurs",
                                       "--column", "participants=Personer"])
    assert result.exit_code == 2, result.output  # one row rejected, written beside us
    assert "Importerade 1 rader" in result.output
    rejected = (tmp_path / "kurser.csv.avvisade.csv").read_text(encoding="utf-8-sig")
    assert "Personer" in rejected and ";3;" in rejected
    stored = area_workspace.read("trainings")
    assert stored[["training", "participants", "hours"]].values.tolist() == [["Våga fråga", 8, 2.5]]


def test_a_snapshot_keeps_the_trainings(gavle: GpkgWorkspace, tmp_path: Path) -> None:
    from lagesbild.store.snapshot import create_snapshot, open_snapshot

    snap = create_snapshot(gavle.path, layers_dir=SETTINGS.layers_dir, settings=SETTINGS,
                           notes={}, title="BIG december", area_id="2180", period="2018",
                           root=tmp_path / "snap")
    frozen = load_frames(open_snapshot(snap.path).workspace())
    live = load_frames(gavle)
    pd.testing.assert_frame_equal(trainings.totals(frozen, year=2018),
                                  trainings.totals(live, year=2018))
    assert trainings.summary(frozen, ["2180"], year=2018)["participants"] == 109


def test_the_import_wizard_maps_a_header_and_insatser_shows_the_import(
        gavle: GpkgWorkspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    path = tmp_path / "ws.gpkg"
    shutil.copyfile(gavle.path, path)
    monkeypatch.setenv("LAGESBILD_WORKSPACE", str(path))
    at = open_page("data_page", timeout=60)
    at.selectbox(key="imp_kind").set_value("trainings").run()
    at.file_uploader(key="imp_file").set_value((
        "kurser_2019.csv", csv_bytes("Kurs;Datum;Enhets-ID;Deltagare;Timmar\n"
                                     "Våga fråga;2019-02-04;2180-F01;7;2,5\n"
                                     "Våga fråga;2019-02-05;2180-F99;5;2,5\n", "utf-8-sig"),
        "text/csv")).run()
    assert at.selectbox(key="imp_map_trainings_training").value == ""  # "Kurs": not detected
    at.selectbox(key="imp_map_trainings_training").set_value("Kurs").run()
    at.button(key="imp_check").click().run()
    assert not at.exception and not at.error
    rejected = at.dataframe[-1].value
    assert rejected["rad"].tolist() == [3] and rejected["fält"].tolist() == ["Enhets-ID"]
    at.button(key="imp_go").click().run()
    assert any("Importerade 1 rader" in s.value for s in at.success)
    at.switch_page("lagesbild/ui/coverage_page.py").run()
    assert not at.exception
    assert at.selectbox(key="tr_year").options[0] == "2019"
    at.selectbox(key="tr_year").set_value("2019").run()
    table = at.dataframe[0].value
    assert table[["Utbildning", "Område", "Verksamhet", "Deltagare"]].values.tolist()[0] == [
        "Våga fråga", "Gävle", "fritidsgård", "7"]
