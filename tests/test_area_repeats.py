"""lagesbild.sources.area_repeats: code columns that repeat, in boundary files."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from shapely.geometry import box

from lagesbild.core.errors import InputError
from lagesbild.sources.boundary_files import read_boundaries

X0, Y0 = 670_000.0, 6_580_000.0  # Järva, Stockholm (EPSG:3006)


def squares(k: int) -> list:
    return [box(X0 + i * 500, Y0, X0 + (i + 1) * 500, Y0 + 500) for i in range(k)]


def write(tmp_path: Path, columns: dict[str, list[object]], name: str = "utsatta.gpkg") -> Path:
    frame = gpd.GeoDataFrame(columns, geometry=squares(len(next(iter(columns.values())))),
                             crs=3006)
    pyogrio.write_dataframe(frame, tmp_path / name)
    return tmp_path / name


# A police "utsatta områden" file: the police area's code is on every polygon of that area.
POLICE = {"polisomrade_kod": ["1180A", "1180A", "1180B", "1180B"],
          "omrade_namn": ["Rinkeby", "Tensta", "Husby", "Akalla"],
          "area_km2": [0.25, 0.25, 0.25, 0.25]}


def test_a_repeated_police_area_code_gives_way_to_a_unique_code_column(tmp_path):
    path = write(tmp_path, {**POLICE, "omrade_kod": ["U01", "U02", "U03", "U04"]})
    result = read_boundaries(path)
    areas = result.accepted
    assert areas["code"].tolist() == ["U01", "U02", "U03", "U04"]
    assert areas["name"].tolist() == ["Rinkeby", "Tensta", "Husby", "Akalla"]
    assert result.rejected == [] and areas["area_id"].is_unique
    assert any("Kolumnen 'polisomrade_kod' upprepar koder för områden med olika namn (t.ex. "
               "'1180A' i objekt 1 (rad 2), objekt 2 (rad 3)), så koden togs från 'omrade_kod'"
               in n for n in result.notes)


def test_without_a_unique_code_column_the_import_stops_naming_codes_rows_and_choices(tmp_path):
    path = write(tmp_path, POLICE)
    with pytest.raises(InputError) as err:
        read_boundaries(path)
    msg = str(err.value)
    assert (err.value.file, err.value.row, err.value.field) == ("utsatta.gpkg", 2, "polisomrade_kod")
    assert "'1180A' i objekt 1 (rad 2), objekt 2 (rad 3): 'Rinkeby', 'Tensta'" in msg
    assert "'1180B' i objekt 3 (rad 4), objekt 4 (rad 5): 'Husby', 'Akalla'" in msg
    # the names can be chosen; a measurement that happens to differ on every row cannot
    assert "--code-column i kommandoraden): omrade_namn." in msg and "area_km2" not in err.value.fix


def test_a_repeating_column_chosen_by_the_user_stops_the_import(tmp_path):
    path = write(tmp_path, {**POLICE, "omrade_kod": ["U01", "U02", "U03", "U04"]})
    with pytest.raises(InputError) as err:
        read_boundaries(path, code_column="polisomrade_kod", level="polisomrade")
    assert err.value.field == "polisomrade_kod"
    assert "omrade_namn, omrade_kod" in err.value.fix
    assert read_boundaries(path, code_column="omrade_kod").accepted["code"].tolist() == \
        ["U01", "U02", "U03", "U04"]


def test_parts_of_one_area_on_several_rows_are_dissolved_and_named(tmp_path):
    # Göteborg written as two single-part rows (its mainland and an island), names spelled
    # with other case and spacing; Mölndal once
    path = write(tmp_path, {"kommunkod": ["1480", "1481", "1480"],
                            "kommunnamn": ["Göteborg", "Mölndal", "GÖTEBORG "]}, "delar.gpkg")
    result = read_boundaries(path)
    areas = result.accepted.set_index("code")
    assert list(areas.index) == ["1480", "1481"] and result.rejected == []
    assert areas.loc["1480"].geometry.area == pytest.approx(2 * 500 * 500)
    assert areas.loc["1480"].geometry.geom_type == "MultiPolygon"
    assert any("1 koder i 'kommunkod' finns på flera objekt med samma namn: '1480' i objekt 1 "
               "(rad 2), objekt 3 (rad 4)" in n and "slogs ihop" in n for n in result.notes)


def test_local_codes_repeat_across_kommuner_without_clashing(tmp_path):
    # district "1" of Stockholm and district "1" of Solna are different areas, not a clash
    path = write(tmp_path, {"distrikt_kod": ["1", "2", "1"], "namn": ["Kista", "Akalla", "Råsunda"],
                            "kommunkod": ["0180", "0180", "0184"]}, "distrikt.gpkg")
    result = read_boundaries(path, level="stadsdel")
    areas = result.accepted
    assert areas["area_id"].tolist() == ["stadsdel-0180-1", "stadsdel-0180-2", "stadsdel-0184-1"]
    assert areas["parent_id"].tolist() == ["0180", "0180", "0184"] and result.rejected == []


# --- the real file ---------------------------------------------------------------------------

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "boundaries"


@pytest.mark.realdata
def test_real_primaromraden_by_their_mellanomrade_code_are_refused():
    path = DATA / "goteborg_primaromraden_2025_epsg3006.gpkg"
    if not path.is_file():
        pytest.skip(f"{path} is absent (shared test data)")
    with pytest.raises(InputError) as err:
        read_boundaries(path, code_column="mellanomrade_kod", level="stadsdel")
    assert err.value.field == "mellanomrade_kod"
    assert "upprepas för områden med olika namn" in str(err.value)
    assert "omrade_kod" in err.value.fix and "centroid_x" not in err.value.fix
