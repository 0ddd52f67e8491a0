"""lagesbild.store.boundary_fit: codes before geometry, misplaced areas, edge pieces and slivers."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely.geometry import box

from lagesbild.core import schema
from lagesbild.core.errors import InputError
from lagesbild.sources.boundary_files import read_boundaries
from lagesbild.store import importer

# conftest's two kommuner: 2417 Norsjö (x 700–710 km) and 2422 Sorsele (x 710–720 km)
Y = 7_190_000


def deso_file(codes: list[str], geoms: list) -> bytes:
    frame = gpd.GeoDataFrame({"desokod": codes}, geometry=geoms, crs=schema.CRS_STORE)
    return frame.to_crs(schema.CRS_WEB).to_json().encode("utf-8")


def west_tiles(n: int = 5) -> list:
    """`n` strips covering Norsjö from west to east, 2 km wide each."""
    return [box(700_000 + 2000 * i, Y, 702_000 + 2000 * i, Y + 10_000) for i in range(n)]


def check(ws, data: bytes, name: str = "deso.geojson"):
    return importer.check_file(ws, "boundaries", data, name=name)


def test_the_code_decides_the_kommun_and_a_border_slip_is_named(area_workspace):
    # the last Norsjö DeSO reaches 1.2 km into Sorsele: 60 % of it lies there
    tiles = west_tiles(4) + [box(708_800, Y, 712_000, Y + 10_000)]
    codes = [f"2417A00{i}0" for i in range(1, 6)]
    result = check(area_workspace, deso_file(codes, tiles))
    assert result.rejected == []
    assert result.accepted["parent_id"].tolist() == ["2417"] * 5
    assert any(n.startswith("1 områden ligger till största delen i en annan kommun än den som "
                            "koden anger") and "objekt 5, 2417A0050: 62 % i Sorsele (2422), "
               "37 % i Norsjö (2417)" in n for n in result.notes)


def test_a_strip_into_the_neighbour_is_reported_not_counted_there(area_workspace):
    tiles = west_tiles(4) + [box(708_000, Y, 710_500, Y + 10_000)]  # 500 m into Sorsele
    result = check(area_workspace, deso_file([f"2417A00{i}0" for i in range(1, 6)], tiles))
    assert set(result.accepted["parent_id"]) == {"2417"}
    assert any("1 områden når in i en grannkommun med en remsa" in n
               and "objekt 5, 2417A0050: 20 % i Sorsele (2422)" in n for n in result.notes)


def test_a_code_of_a_kommun_not_in_the_workspace_is_refused_on_its_row(area_workspace):
    codes = ["2417A0010", "2417A0020", "2417A0030", "2417A0040", "2418A0010"]
    result = check(area_workspace, deso_file(codes, west_tiles(5)))
    (rej,) = result.rejected
    assert (rej.row, rej.field, rej.value) == (6, "desokod", "2418")
    assert rej.reason.startswith("Objekt 5: 2418A0010 hör enligt koden till kommun 2418, som "
                                 "inte finns i arbetsytan; området ligger mest i Norsjö (2417).")
    assert "2418A0010" not in set(result.accepted["area_id"])


def test_an_area_far_inside_another_kommun_is_refused(area_workspace):
    # a typo: Norsjö's westmost DeSO coded 2422 lies 8 km from Sorsele
    codes = ["2422A0010", "2417A0020", "2417A0030", "2417A0040", "2417A0050"]
    result = check(area_workspace, deso_file(codes, west_tiles(5)))
    (rej,) = result.rejected
    assert (rej.row, rej.value) == (2, "2422")
    assert "2422A0010 ligger 8,0 km från Sorsele (2422), som koden anger, och till 100 % i " \
        "Norsjö (2417). Koden eller koordinaterna är fel." in rej.reason


def test_a_whole_file_off_its_kommuner_is_refused(area_workspace):
    # every Norsjö DeSO shifted by 10 km (a wrong coordinate system, or a wrong code column)
    shifted = [shapely.affinity.translate(g, 10_000) for g in west_tiles(5)]
    with pytest.raises(InputError) as err:
        check(area_workspace, deso_file([f"2417A00{i}0" for i in range(1, 6)], shifted))
    assert (err.value.row, err.value.field) == (2, "geometri")
    assert "5 av 5 områden ligger till största delen utanför kommunen som deras kod anger " \
        "(t.ex. objekt 1, 2417A0010: 0 % i Norsjö (2417), 100 % i Sorsele (2422))" in str(err.value)


def test_edge_pieces_of_a_neighbouring_file_are_refused(area_workspace):
    # Norsjö's DeSO and, clipped along the border, 300 m strips of two Sorsele DeSO
    strips = [box(710_000, Y, 710_300, Y + 5000), box(710_000, Y + 5000, 710_300, Y + 10_000)]
    codes = [f"2417A00{i}0" for i in range(1, 6)] + ["2422A0010", "2422A0020"]
    result = check(area_workspace, deso_file(codes, west_tiles(5) + strips))
    assert [(r.row, r.value) for r in result.rejected] == [(7, "2422"), (8, "2422")]
    assert "2422A0010: filen täcker bara 3,0 % av Sorsele (2422) men 100 % av Norsjö (2417)" \
        in result.rejected[0].reason
    assert set(result.accepted["parent_id"]) == {"2417"}


def test_a_regso_parent_is_checked_by_its_kommun_part(area_workspace):
    frame = gpd.GeoDataFrame({"desokod": [f"2417A00{i}0" for i in range(1, 6)],
                              "regsokod": ["2417R001"] * 4 + ["2418R001"]},
                             geometry=west_tiles(5), crs=schema.CRS_STORE)
    data = frame.to_crs(schema.CRS_WEB).to_json().encode("utf-8")
    result = importer.check_file(area_workspace, "boundaries", data, name="deso.geojson",
                                 options={"parent_column": "regsokod"})
    assert result.accepted["parent_id"].tolist() == ["2417R001"] * 4
    (rej,) = result.rejected
    assert (rej.row, rej.field, rej.value) == (6, "regsokod", "2418")


def test_a_small_file_of_one_kommun_is_no_edge(area_workspace):
    # two central DeSO only: the file covers no kommun well, so nothing is an edge
    result = check(area_workspace, deso_file(["2422A0010", "2422A0020"],
                                             [box(714_000, Y + 4000, 715_000, Y + 5000),
                                              box(715_000, Y + 4000, 716_000, Y + 5000)]))
    assert result.rejected == [] and set(result.accepted["parent_id"]) == {"2422"}


def test_stadsdelar_of_a_divided_kommun_stay_there_against_coarse_borders(area_workspace):
    # a district file dividing Norsjö; one district lies mostly in Sorsele by the workspace's
    # borders (they are coarser than the file's): it stays in Norsjö, and is named
    tiles = west_tiles(4) + [box(709_500, Y, 711_000, Y + 10_000)]
    frame = gpd.GeoDataFrame({"namn": ["A", "B", "C", "D", "Gränsen"]}, geometry=tiles,
                             crs=schema.CRS_STORE)
    result = importer.check_file(area_workspace, "boundaries",
                                 frame.to_crs(schema.CRS_WEB).to_json().encode(),
                                 name="stadsdelar.geojson", options={"level": "stadsdel"})
    assert result.accepted["parent_id"].tolist() == ["2417"] * 5, result.notes
    assert any("1 områden ligger enligt arbetsytans kommungränser mest utanför kommunen som "
               "filen delar in (Norsjö (2417) till 85 %): Gränsen: 67 % i Sorsele (2422), "
               "placerat i Norsjö" in n for n in result.notes)


# --- the real files ---------------------------------------------------------------------------

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "boundaries"


@pytest.fixture(scope="module")
def real() -> Path:
    if not DATA.is_dir():
        pytest.skip(f"{DATA} is absent (shared test data)")
    return DATA


@pytest.fixture(scope="module")
def real_kommuner(real) -> gpd.GeoDataFrame:
    return read_boundaries(real / "kommuner_2025_skr_fa_la_epsg3006.gpkg").accepted


def simplified_workspace(tmp_path: Path, kommuner: gpd.GeoDataFrame, tolerance: float):
    from lagesbild.store.gpkg import GpkgWorkspace

    ws = GpkgWorkspace(tmp_path / "ws.gpkg")
    coarse = kommuner.drop(columns="_line").assign(
        geometry=kommuner.geometry.simplify(tolerance), source="")
    importer.store_boundaries(ws, coarse, name="kommuner_forenklade")
    return ws


@pytest.mark.realdata
@pytest.mark.parametrize("tolerance", [0, 1000, 2000])
def test_real_stockholm_stadsdelar_keep_stockholm_against_simplified_kommuner(
        real, real_kommuner, tmp_path, tolerance):
    ws = simplified_workspace(tmp_path, real_kommuner, tolerance)
    result = importer.import_file(ws, "boundaries", real / "stockholm_stadsdelar.geo.json")
    stored = ws.read("areas")
    districts = stored[stored["level"] == "stadsdel"]
    assert len(districts) == 117 and set(districts["parent_id"]) == {"0180"}
    # the real kommun file already puts Farstanäset wholly in Huddinge: it is named
    moved = next(n for n in result.notes if "placerades där ändå" in n)
    assert "Stockholm (0180) till" in moved
    if tolerance == 0:
        assert "FARSTANÄSET: 100 % i Huddinge (0126), placerat i Stockholm" in moved


@pytest.mark.realdata
@pytest.mark.parametrize("with_kommun_column", [True, False])
def test_real_goteborg_primaromraden_keep_goteborg_against_simplified_kommuner(
        real, real_kommuner, tmp_path, with_kommun_column):
    ws = simplified_workspace(tmp_path, real_kommuner, 2000)
    frame = pyogrio.read_dataframe(real / "goteborg_primaromraden_2025_epsg3006.gpkg")
    if not with_kommun_column:
        frame = frame.drop(columns=["kommun_kod", "kommun_namn"])
    pyogrio.write_dataframe(frame, tmp_path / "primaromraden.gpkg")
    result = importer.import_file(ws, "boundaries", tmp_path / "primaromraden.gpkg",
                                  options={"level": "stadsdel"})
    stored = ws.read("areas")
    districts = stored[stored["level"] == "stadsdel"]
    assert len(districts) == 96 and set(districts["parent_id"]) == {"1480"}
    assert result.rejected == []


@pytest.mark.realdata
def test_real_deso_take_their_kommun_from_the_code(real, real_kommuner, tmp_path):
    ws = simplified_workspace(tmp_path, real_kommuner, 0)
    result = importer.import_file(ws, "boundaries",
                                  real / "deso_2025_goteborgsregionen_epsg3006.gpkg")
    deso = ws.read("areas").query("level == 'deso'")
    assert len(deso) == 584 and result.rejected == []
    assert (deso["parent_id"] == deso["code"].str[:4]).all()
    # the national kommun file is coarse: DeSO 1481C1230 of Mölndal lies in its Göteborg
    assert any(n.startswith("21 områden ligger till största delen i en annan kommun")
               and "1481C1230: 100 % i Göteborg (1480), 0 % i Mölndal (1481)" in n
               for n in result.notes)


@pytest.mark.realdata
def test_real_deso_of_another_lan_clipped_at_the_border_are_refused(real, real_kommuner,
                                                                    tmp_path):
    # Västra Götaland's DeSO cut from a national file along the län border take 300 m strips
    # of Kungsbacka's DeSO (Hallands län) with them
    frame = pyogrio.read_dataframe(real / "deso_2025_goteborgsregionen_epsg3006.gpkg")
    vg = shapely.union_all(real_kommuner.loc[real_kommuner["parent_id"] == "14"].geometry.values)
    halland = frame[frame["kommunkod"] == "1384"].copy()
    halland["geometry"] = halland.geometry.intersection(vg.buffer(300))
    halland = halland[~halland.geometry.is_empty]
    cut = pd.concat([frame[frame["kommunkod"] != "1384"], halland], ignore_index=True)
    pyogrio.write_dataframe(cut, tmp_path / "deso_vg.gpkg")
    ws = simplified_workspace(tmp_path, real_kommuner, 0)
    result = importer.check_file(ws, "boundaries", tmp_path / "deso_vg.gpkg")
    assert len(halland) > 0 and len(result.rejected) == len(halland)
    assert {r.value for r in result.rejected} == {"1384"}
    assert all("av Kungsbacka (1384)" in r.reason and "klipptes med vid gränsen" in r.reason
               for r in result.rejected)
    assert not result.accepted["parent_id"].eq("1384").any()
    # a workspace of Västra Götaland only: the same strips name the missing kommun
    only_vg = real_kommuner[real_kommuner["parent_id"] == "14"]
    (tmp_path / "vg").mkdir()
    ws2 = simplified_workspace(tmp_path / "vg", only_vg, 0)
    result = importer.check_file(ws2, "boundaries", tmp_path / "deso_vg.gpkg")
    assert len(result.rejected) == len(halland)
    assert all("kommun 1384, som inte finns i arbetsytan" in r.reason for r in result.rejected)
