"""Police extracts with SWEREF 99 TM coordinates or area codes (lagesbild.sources.incidents)."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from openpyxl import Workbook
from pyproj import Transformer

from lagesbild.core import schema
from lagesbild.core.errors import InputError
from lagesbild.sources import incidents

HEAD = "Ärendenummer;Brottsdatum;Brottsbenämning"
TO_WGS = Transformer.from_crs(schema.CRS_STORE, schema.CRS_WEB, always_xy=True)


def rows(result) -> list[tuple[int, str, str]]:
    return [(r.row, r.field, r.value) for r in result.rejected]


def xy(result) -> list[tuple[float, float] | None]:
    return [None if g is None else (round(g.x, 3), round(g.y, 3)) for g in result.accepted.geometry]


# --- SWEREF 99 TM ---------------------------------------------------------------------------

@pytest.mark.parametrize(("north", "east"), [
    ("N (SWEREF99TM)", "E (SWEREF99TM)"), ("N (SWEREF 99 TM)", "E (SWEREF 99 TM)"),
    ("Northing", "Easting"), ("Nord", "Öst"), ("nordkoordinat", "östkoordinat"),
    ("Y-koordinat", "X-koordinat"), ("Y", "X"), ("N", "E"),
])
def test_sweref_columns_give_points_without_reprojection(make_csv, north, east):
    data = make_csv(f"{HEAD};{north};{east}\nA-1;2024-03-15 21:40;Rån;7 195 000,5;705 000\n",
                    "cp1252")
    result = incidents.read_police_extract(data, name="polis.csv")
    assert xy(result) == [(705000.0, 7195000.5)]
    assert result.accepted.crs == schema.CRS_STORE
    assert result.accepted["precision"].tolist() == ["point"]
    assert result.accepted["area_id"].isna().all()
    assert result.columns["northing"] == north and result.columns["easting"] == east
    assert result.rejected == []


def test_sweref_rows_outside_sweden_swapped_or_blank_are_rejected(make_csv):
    data = make_csv(f"{HEAD};N;E\n"
                    "A-1;2024-01-01;Rån;7195000;705000\n"
                    "A-2;2024-01-01;Rån;705000;7195000\n"   # swapped on this row only
                    "A-3;2024-01-01;Rån;5000000;705000\n"   # south of Sweden
                    "A-4;2024-01-01;Rån;7195000;\n"
                    "A-5;2024-01-01;Rån;7195000;705000\n")
    result = incidents.read_police_extract(data, name="p.csv")
    assert result.accepted["incident_id"].tolist() == ["A-1", "A-5"]
    assert rows(result) == [(3, "N", "705000, 7195000"), (4, "N", "5000000, 705000"),
                            (5, "E", "")]
    assert "bytt plats på raden" in result.rejected[0].reason
    assert "utanför Sverige" in result.rejected[1].reason and "SWEREF" in result.rejected[1].reason
    assert result.rejected[2].reason == "värde saknas"


def test_sweref_axes_swapped_in_every_row_are_swapped_with_a_note(make_csv):
    # X = north, Y = east: the geodetic naming, which GIS programs read the other way round
    data = make_csv(f"{HEAD};X-koordinat;Y-koordinat\nA-1;2024-01-01;Rån;7195000;705000\n"
                    "A-2;2024-01-01;Rån;7196000;706000\nA-3;2024-01-01;Rån;1;2\n")
    result = incidents.read_police_extract(data, name="p.csv")
    assert xy(result) == [(705000.0, 7195000.0), (706000.0, 7196000.0)]
    assert rows(result) == [(4, "Y-koordinat", "1, 2")]
    assert any("hade nord- och östvärdena omvända" in n and "hela filen" in n
               for n in result.notes)


@pytest.mark.parametrize(("values", "words", "field"), [
    ("64,9;19,5", ["ser ut som latitud/longitud i grader", "Nord/Öst"], "Nord"),
    ("7195000;1705000", ["RT 90", "1705000"], "Öst"),
])
def test_sweref_columns_with_other_units_stop_the_import(make_csv, values, words, field):
    data = make_csv(f"{HEAD};Nord;Öst\nA-1;2024-01-01;Rån;{values}\nA-2;2024-01-01;Rån;{values}\n")
    with pytest.raises(InputError) as err:
        incidents.read_police_extract(data, name="m.csv")
    msg = str(err.value)
    assert "fil m.csv" in msg and "rad 2" in msg and err.value.field == field
    for word in words:
        assert word in msg
    assert err.value.fix


def test_metres_in_latitude_longitude_columns_are_explained(make_csv):
    data = make_csv(f"{HEAD};Latitud;Longitud\nA-1;2024-01-01;Rån;7195000;705000\n"
                    "A-2;2024-01-01;Rån;7196000;706000\n")
    with pytest.raises(InputError) as err:
        incidents.read_police_extract(data, name="m.csv")
    msg = str(err.value)
    assert "fil m.csv" in msg and "rad 2" in msg and "fält 'Latitud'" in msg
    assert "ser ut som SWEREF 99 TM-koordinater i meter" in msg and "7195000 / 705000" in msg
    assert "N (SWEREF99TM)" in err.value.fix and "kolumnmappningen" in err.value.fix


def test_metres_swapped_in_latitude_longitude_columns_are_still_sweref(make_csv):
    data = make_csv(f"{HEAD};Latitud;Longitud\nA-1;2024-01-01;Rån;705000;7195000\n")
    with pytest.raises(InputError, match="SWEREF 99 TM-koordinater"):
        incidents.read_police_extract(data, name="m.csv")


def test_rt90_in_latitude_longitude_columns(make_csv):
    data = make_csv(f"{HEAD};Latitud;Longitud\nA-1;2024-01-01;Rån;7195000;1705000\n")
    with pytest.raises(InputError, match="RT 90") as err:
        incidents.read_police_extract(data, name="m.csv")
    assert "Räkna om" in err.value.fix


def test_sweref_preferred_when_the_file_has_both(make_csv):
    data = make_csv(f"{HEAD};Latitud;Longitud;N;E\nA-1;2024-01-01;Rån;1;2;7195000;705000\n")
    result = incidents.read_police_extract(data, name="p.csv")
    assert xy(result) == [(705000.0, 7195000.0)] and result.rejected == []
    assert "lat" not in result.columns and result.columns["northing"] == "N"
    assert any("Latitud, Longitud användes inte" in n for n in result.notes)


def test_mapping_picks_coordinate_columns(make_csv):
    data = make_csv(f"{HEAD};Koord N;Koord E\nA-1;2024-01-01;Rån;7195000;705000\n")
    result = incidents.read_police_extract(
        data, name="p.csv", mapping={"northing": "Koord N", "easting": "Koord E"})
    assert xy(result) == [(705000.0, 7195000.0)]
    # the same columns declared as WGS84 by mistake: the metres are recognised
    with pytest.raises(InputError, match="SWEREF 99 TM-koordinater i meter"):
        incidents.read_police_extract(data, name="p.csv",
                                      mapping={"lat": "Koord N", "lon": "Koord E"})


def test_sweref_from_a_workbook_with_float_cells():
    wb = Workbook()
    ws = wb.active
    ws.append(["Ärendenummer", "Brottsdatum", "Brott", "Northing", "Easting"])
    ws.append(["A-1", "15 mars 2024 kl. 21.40", "Rån", 7195000.25, 705000.0])
    out = io.BytesIO()
    wb.save(out)
    result = incidents.read_police_extract(out.getvalue(), name="p.xlsx")
    assert xy(result) == [(705000.0, 7195000.25)]
    assert result.accepted["occurred_at"].tolist() == [pd.Timestamp("2024-03-15 21:40")]
    assert "Läst som Excel-arbetsbok, bladet 'Sheet'." in result.notes


# --- area-coded extracts --------------------------------------------------------------------

AREAS = f"""{HEAD};DeSO
A-1;2024-01-01;Misshandel;0114A0010_DeSO2025
A-2;2024-01-02;Misshandel;114A0010
A-3;2024-01-03;Misshandel;2417
A-4;2024-01-04;Misshandel;Norsjö
A-5;2024-01-05;Misshandel;0114R001
A-6;2024-01-06;Misshandel;9999A0010
A-7;2024-01-07;Misshandel;Nosjö
A-8;2024-01-08;Misshandel;
A-9;2024-01-09;Misshandel;24
A-1;2024-01-10;Misshandel;2417
"""


def test_area_coded_extract(make_csv):
    result = incidents.read_police_extract(make_csv(AREAS, "cp1252"), name="områden.csv")
    acc = result.accepted
    assert acc["incident_id"].tolist() == ["A-1", "A-2", "A-3", "A-4", "A-5"]
    assert acc["area_id"].tolist() == ["0114A0010", "0114A0010", "2417", "2417", "0114R001"]
    assert (acc["precision"] == "area").all() and acc.geometry.isna().all()
    assert acc.crs == schema.CRS_STORE
    assert rows(result) == [(7, "DeSO", "9999A0010"), (8, "DeSO", "Nosjö"), (9, "DeSO", ""),
                            (10, "DeSO", "24"), (11, "Ärendenummer", "A-1")]
    reasons = [r.reason for r in result.rejected]
    assert "börjar inte med en känd kommunkod" in reasons[0]
    assert "närmast: Norsjö (2417)" in reasons[1]
    assert reasons[2] == "värde saknas" and "DeSO-kod" in reasons[3]
    assert "tidigare rad" in reasons[4]
    assert result.columns["area_id"] == "DeSO"  # the importer's area check names this column
    assert "Årgångsändelsen (t.ex. '_DeSO2025') togs bort från 1 områdeskoder." in result.notes
    assert "5 händelser har bara ett område (kolumnen 'DeSO'), ingen punkt." in result.notes
    out = schema.conform(acc, "incidents")
    assert out["area_id"].tolist()[0] == "0114A0010" and out.geometry.isna().all()
    assert result.dataset.period == "2024–2024"


@pytest.mark.parametrize("header", ["Kommunkod", "Kommun", "DeSO-kod", "Områdeskod", "RegSO"])
def test_area_code_column_aliases(make_csv, header):
    data = make_csv(f"{HEAD};{header}\nA-1;2024-01-01;Rån;2417\n")
    result = incidents.read_police_extract(data, name="a.csv")
    assert result.accepted["area_id"].tolist() == ["2417"]
    assert result.accepted["precision"].tolist() == ["area"]


def test_points_and_area_rows_in_one_file(make_csv, to_latlon):
    lat, lon = to_latlon(705_000, 7_195_000)
    data = make_csv(f"{HEAD};Latitud;Longitud;Kommun\n"
                    f"A-1;2024-01-01;Rån;{lat};{lon};Norsjö\n"
                    "A-2;2024-01-01;Rån;;;Norsjö\n"       # no coordinates: the kommun is used
                    f"A-3;2024-01-01;Rån;;{lon};Norsjö\n"  # half a coordinate: refused
                    "A-4;2024-01-01;Rån;;;\n")             # nothing at all
    result = incidents.read_police_extract(data, name="p.csv")
    acc = result.accepted
    assert acc["incident_id"].tolist() == ["A-1", "A-2"]
    assert acc["precision"].tolist() == ["point", "area"]
    assert acc["area_id"].isna().tolist() == [True, False] and acc["area_id"].iloc[1] == "2417"
    assert acc.geometry.iloc[0].x == pytest.approx(705_000, abs=0.1)
    assert acc.geometry.iloc[1] is None
    assert rows(result) == [(4, "Latitud", ""), (5, "Kommun", "")]
    assert result.rejected[1].reason == "både koordinater och områdeskod saknas"
    assert "1 händelse har bara ett område (kolumnen 'Kommun'), ingen punkt." in result.notes


def test_blank_coordinates_without_an_area_column_are_rejected(make_csv):
    data = make_csv(f"{HEAD};Latitud;Longitud\nA-1;2024-01-01;Rån;;\n")
    result = incidents.read_police_extract(data, name="p.csv")
    assert len(result.accepted) == 0 and rows(result) == [(2, "Latitud", "")]
    assert len(schema.conform(result.accepted, "incidents")) == 0


def test_no_location_column_names_the_three_ways(make_csv):
    with pytest.raises(InputError) as err:
        incidents.read_police_extract(make_csv(f"{HEAD}\nA-1;2024-01-01;Rån\n"), name="p.csv")
    msg = str(err.value)
    assert "fil p.csv" in msg and "rad 1" in msg
    for word in ("lat (Latitud", "northing (N (SWEREF99TM)", "area_code (DeSO"):
        assert word in msg


@pytest.mark.parametrize(("text", "code"), [
    ("0114A0010", "0114A0010"), ("0114a0010", "0114A0010"), ("0114A0010_DeSO2025", "0114A0010"),
    ("114A0010", "0114A0010"), ("0114R001_RegSO2025", "0114R001"), ("114", "0114"),
    ("0114 Upplands Väsby", "0114"), ("Upplands Väsby", "0114"), ("Region Gotland", "0980"),
])
def test_area_code(text, code):
    assert incidents.area_code(text) == code


def test_one_row_in_metres_among_degrees_is_named_as_metres(make_csv):
    rows = "\n".join(f"A-{i};2024-01-01;Rån;64,{i}1;19,5" for i in range(1, 5))
    data = make_csv(f"{HEAD};Latitud;Longitud\n{rows}\nA-9;2024-01-01;Rån;7195000;705000\n"
                    "A-10;2024-01-01;Rån;7195000;1605000\nA-11;2024-01-01;Rån;40,1;2,3\n")
    result = incidents.read_police_extract(data, name="blandat.csv")
    assert len(result.accepted) == 4
    reasons = {r.row: r.reason for r in result.rejected}
    assert "i meter (SWEREF 99 TM?)" in reasons[6] and "i meter (RT 90?)" in reasons[7]
    assert reasons[8] == "Koordinaten ligger utanför Sverige (väntade WGS84 i grader)."
