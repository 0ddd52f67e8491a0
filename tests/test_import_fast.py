"""The fast police-extract path (pyarrow reading, column-wise parsing) against the row-wise one.

Every test reads the same bytes both ways and demands the same result: accepted frame (values
and dtypes), rejections (file, row, field, value, reason), notes, columns, dataset; or the same
InputError. `fast_used` checks that the fast reader really read the file where it should.
"""

from __future__ import annotations

import io
import sys
from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from pyproj import Transformer

from lagesbild.core import schema
from lagesbild.core.errors import InputError
from lagesbild.sources import cell_values as cv
from lagesbild.sources import fast_cells, fast_read, incidents, raw_tables
from lagesbild.sources.raw_tables import RawTable

HEAD = "Ärendenummer;Brottsdatum;Brottsbenämning;Målsägandes kön;Nära relation;Latitud;Longitud"
TO_WGS = Transformer.from_crs(schema.CRS_STORE, schema.CRS_WEB, always_xy=True)


def encode(text: str, encoding: str = "cp1252", newline: str = "\r\n") -> bytes:
    return text.replace("\n", newline).encode(encoding, errors="replace")


def outcome(data: bytes, fast: bool, **kw) -> object:
    try:
        return incidents.read_police_extract(data, name="polis.csv", fast=fast, **kw)
    except InputError as exc:
        return exc


def same(data: bytes, **kw):
    """Read both ways; assert the same outcome; return the fast one."""
    fast, slow = outcome(data, True, **kw), outcome(data, False, **kw)
    if isinstance(slow, InputError) or isinstance(fast, InputError):
        assert type(fast) is type(slow) and str(fast) == str(slow)
        assert (fast.file, fast.row, fast.field, fast.fix) == (slow.file, slow.row, slow.field,
                                                               slow.fix)
        return fast
    pd.testing.assert_frame_equal(fast.accepted.drop(columns="geometry"),
                                  slow.accepted.drop(columns="geometry"), check_exact=True)
    for col in fast.accepted.columns:  # None and NaN are told apart, as are True and 1
        if fast.accepted[col].dtype == object:
            assert list(map(type, fast.accepted[col])) == list(map(type, slow.accepted[col]))
    assert fast.accepted.crs == slow.accepted.crs
    assert list(fast.accepted.geometry.to_wkb()) == list(slow.accepted.geometry.to_wkb())
    assert fast.rejected == slow.rejected
    assert fast.rejected_frame().equals(slow.rejected_frame())
    assert (fast.notes, fast.columns, fast.dataset) == (slow.notes, slow.columns, slow.dataset)
    return fast


@pytest.fixture
def fast_used(monkeypatch):
    """A list that gets True for each file the fast reader read, False when it declined."""
    used: list[bool] = []
    real = fast_read.fast_table

    def spy(*args, **kw):
        raw = real(*args, **kw)
        used.append(raw is not None)
        return raw
    monkeypatch.setattr(fast_read, "fast_table", spy)
    return used


def latlon(x: float, y: float) -> tuple[str, str]:
    lon, lat = TO_WGS.transform(x, y)
    return f"{lat:.6f}".replace(".", ","), f"{lon:.6f}".replace(".", ",")


def rows(*lines: str) -> str:
    return HEAD + "\n" + "\n".join(lines) + "\n"


GOOD = "A-{i};2024-03-15 21:40;Misshandel;Kvinna;Ja;64,9;19,5"

# every kind of bad (and odd but good) value the reader knows, one per row
BAD_ROWS = [
    "A-1;2024-03-15 21:40;Misshandel;Kvinna;Ja;64,9;19,5",
    "A-2;2024-02-30 10:00;Misshandel;Man;Nej;64,9;19,5",  # no such day
    "A-3;2023-12-31 23:59;Olaga hot;;;64,91;19,51",  # blank sex and relation
    "A-1;2024-03-17 01:00;Olaga hot;Man;Nej;64,9;19,5",  # duplicate id
    "A-4;2024-03-17 01:00;Olaga hot;Man;Nej;40,0;19,5",  # outside Sweden
    "A-5;2024-03-17 01:00;Olaga hot;Annat;Nej;64,9;19,5",  # unknown sex
    "A-6;2024-03-17 01:00;Olaga hot;Man;Kanske;64,9;19,5",  # unknown relation
    ";2024-03-17 01:00;Olaga hot;Man;Nej;64,9;19,5",  # no id
    "A-7;2024-03-17 01:00;Olaga hot;Man;Nej;64,9;",  # half a coordinate
    "A-8;15/3/2024;Rån;K;j;64.9;19.5",  # day first, decimal points
    "A-9;15 mars 2024 kl. 21.40;Rån;kvinna;JA;64,9;19,5",
    "A-10;2024-03-15T21:40:05;Rån;M;n;64,9;19,5",
    "A-11;20240315;Rån;män;0;64,9;19,5",
    "A-12;2024-03-15 25:00;Rån;M;1;64,9;19,5",  # no such hour
    "A-13;2024-3-5 1:05;Rån;1;;64,9;19,5",
    "A-14;2024-03-15 21:40:05,123;Rån;2;;64,9;19,5",  # fraction of a second
    "A-15;kl 10;Rån;M;;64,9;19,5",
    "A-16;;Rån;M;;64,9;19,5",  # no date
    "A-17;2024-03-15;;M;;64,9;19,5",  # no category
    "A-18;2024-03-15;Rån;M;;19,5;64,9",  # swapped on this row
    "A-19;2024-03-15;Rån;M;;7195000;705000",  # metres on this row (SWEREF)
    "A-20;2024-03-15;Rån;M;;7195000;1605000",  # metres (RT 90)
    "A-21;2024-03-15;Rån;M;;1 234,5;19,5",  # thousands space
    "A-22;2024-03-15;Rån;M;;1.234.567;19,5",  # thousands points
    "A-23;2024-03-15;Rån;M;;1,234,567;19,5",
    "A-24;2024-03-15;Rån;M;;64,9,1;19,5",
    "A-25;2024-03-15;Rån;M;;−64,9;19,5",  # unicode minus
    "A-26;2024-03-15;Rån;M;;+64,9;19,5",
    "A-27;2024-03-15;Rån;M;;6.49e1;19,5",
    "A-28;2024-03-15;Rån;M;;nan;inf",
    "A-29;2024-03-15;Rån;M;;..;19,5",
    "A-30;2024-03-15;Rån;M;;64,;,5",
    "A-31;2024-03-15;Rån;M;;64,9 %;19,5",
    "A-32;2024-03-15;Rån;okänt;uppgift saknas;64,9;19,5",
    "A-33;2024-03-15;Rån;T;;64,900000000000000000001;19,5",
    "  A-34 ;\u00a02024-03-15 08:00\u00a0; Rån ; Kvinna ; Nej ; 64,9 ; 19,5 ",  # padded cells
    "A-35;2024-03-15;Rån;M;;٦٤,٩;19,5",  # Arabic-Indic digits
    "A-36;2024-03-15 21:40;Rån",  # too few fields
    "A-37;2024-03-15 21:40;Rån;M;Nej;64,9;19,5;extra",  # too many
    ";;;;;;",  # blank row: skipped
    "   ",  # whitespace only: skipped
    "",  # blank line
    "A-38;0000-01-01;Rån;M;;64,9;19,5",  # year 0
    "A-39;2024-02-29 23:59:59;Rån;M;;64,9;19,5",  # leap day
    "A-40;2023-02-29;Rån;M;;64,9;19,5",
    "A-41;2024-12-31 24:00;Rån;M;;64,9;19,5",
    "A-42;2024-03-15\u200921:40;Rån;M;;64,9;19,5",  # thin space inside
]


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8", "utf-8-sig", "utf-16"])
@pytest.mark.parametrize("newline", ["\r\n", "\n"])
def test_every_bad_value_gets_the_same_rejection(fast_used, encoding, newline):
    text = rows(*BAD_ROWS)
    if encoding == "cp1252":
        text = text.replace("−", "-").replace("٦٤,٩", "6x").replace("\u2009", " ")
    result = same(encode(text, encoding, newline))
    assert fast_used == [True]
    assert len(result.accepted) >= 10 and len(result.rejected) >= 25
    assert {r.reason for r in result.rejected} >= {
        "värde saknas", "Ärendenumret finns redan på en tidigare rad.",
        "Koordinaten ligger utanför Sverige (väntade WGS84 i grader)."}


def test_police_extract_with_a_comma_separator_and_decimal_points(fast_used):
    text = ("Diarienummer,Datum,Brott,Kön,Relation,Lat,Lon\n"
            "A-1,2024-01-01 10:00,Rån,K,Ja,64.9,19.5\nA-2,2024-01-01,Rån,M,,64.91,19.51\n"
            "A-3,2024-01-01,Rån,X,,64.92,19.52\nA-4,2024-01-01,Rån,M,,64.93\n")
    result = same(encode(text, "utf-8", "\n"))
    assert fast_used == [True] and result.accepted["incident_id"].tolist() == ["A-1", "A-2"]


def test_tab_separated_without_optional_columns(fast_used):
    text = "id\tDatum\tBrott\tLatitud\tLongitud\nA-1\t2024-01-01\tRån\t64,9\t19,5\n"
    result = same(encode(text, "utf-8"))
    assert fast_used == [True] and result.accepted["victim_sex"].isna().all()


@pytest.mark.parametrize("text", [
    "Ärendenummer;Brottsdatum\nA-1;2024-01-01\n",  # no location columns
    "Ärendenummer;Brottsdatum;Brottsbenämning;Latitud;Longitud\n"
    "A-1;2024-01-01;Rån;19,5;64,9\nA-2;2024-01-01;Rån;20,1;63,8\n",  # every row swapped
    "Ärendenummer;Brottsdatum;Brottsbenämning;Latitud;Longitud\n"
    "A-1;2024-01-01;Rån;7195000;705000\nA-2;2024-01-01;Rån;7196000;706000\n",  # metres
    "Ärendenummer;Brottsdatum;Brottsbenämning;Latitud;Latitud\nA-1;2024-01-01;Rån;1;2\n",
    "Ärendenummer;Brottsdatum;Brottsbenämning;Nord;Öst\nA-1;2024-01-01;Rån;64,9;19,5\n"
    "A-2;2024-01-01;Rån;64,9;19,5\n",  # degrees under SWEREF headers
])
def test_files_that_stop_the_import_stop_it_the_same_way(text):
    assert isinstance(same(encode(text)), InputError)


def test_an_empty_file_is_refused_the_same_way():
    assert isinstance(same(b""), InputError) and isinstance(same(b" \r\n "), InputError)


@pytest.mark.parametrize("north,east", [("N (SWEREF99TM)", "E (SWEREF99TM)"),
                                        ("X-koordinat", "Y-koordinat")])
def test_sweref_files(fast_used, north, east):
    text = (f"Ärendenummer;Brottsdatum;Brottsbenämning;{north};{east}\n"
            "A-1;2024-01-01;Rån;7195000;705000\nA-2;2024-01-01;Rån;705000;7195000\n"
            "A-3;2024-01-01;Rån;5000000;705000\nA-4;2024-01-01;Rån;7195000;\n"
            "A-5;2024-01-01;Rån;7 195 000,5;705 000\n")
    same(encode(text))
    assert fast_used == [True]


def test_area_coded_and_mixed_files(fast_used):
    lat, lon = latlon(705_000, 7_195_000)
    text = ("Ärendenummer;Brottsdatum;Brottsbenämning;Latitud;Longitud;Kommun\n"
            f"A-1;2024-01-01;Rån;{lat};{lon};Norsjö\nA-2;2024-01-01;Rån;;;Norsjö\n"
            f"A-3;2024-01-01;Rån;;{lon};Norsjö\nA-4;2024-01-01;Rån;;;\n"
            f"A-5;2024-01-01;Rån;{lat};{lon};Nosjö\nA-6;2024-01-01;Rån;;;0114A0010_DeSO2025\n"
            f"A-7;2024-01-01;Rån;;;9999A0010\nA-8;2024-01-01;Rån;{lat};{lon};\n"
            f"A-9;2024-01-01;Rån;;;24\n")
    same(encode(text))
    coded = text.replace(";Latitud;Longitud", "").replace(f";{lat};{lon}", "").replace(";;;", ";")
    coded = coded.replace(f";{lon}", "")
    same(encode(coded))
    assert fast_used == [True, True]


def test_titles_footnotes_and_two_row_headers(fast_used):
    body = "\n".join(GOOD.format(i=i) for i in range(1, 6))
    same(encode(f"Rapport från systemet\n\n{HEAD}\n{body}\n"))
    same(encode(f"{HEAD}\n{body}\n\nKälla: Polisen\n"))  # a footnote: the row-wise reader
    same(encode(f"{HEAD}\n{body}\n\n\n"))
    assert fast_used == [True, False, True]


@pytest.mark.parametrize("text", [
    f'{HEAD}\n"A-1";2024-01-01;Rån;M;Nej;"64,9";19,5\n',  # quotes
    f'{HEAD}\n"A-1\nA-2";2024-01-01;Rån;M;Nej;64,9;19,5\n',  # a line break inside quotes
    f"{HEAD}\nA-1;2024-01-01;Rån;M;Nej;64,9;19,5\rA-2;2024-01-01;Rån;M;Nej;64,9;19,5\n",
])
def test_files_the_fast_reader_leaves_to_the_row_wise_one(fast_used, text):
    same(text.encode("utf-8"))
    assert fast_used == [False]


def test_a_very_long_field_is_left_to_the_row_wise_reader(fast_used):
    # (beyond the lines the separator is sniffed from: there the csv module's error escapes)
    good = [GOOD.format(i=i) for i in range(1, 40)]
    result = same(encode(rows(*good, "A-99;2024-01-01;" + "x" * 140_000 + ";M;;64,9;19,5")))
    assert fast_used == [False] and "field larger than field limit" in str(result)


def test_many_arrow_blocks(monkeypatch, fast_used):
    monkeypatch.setattr(fast_read, "BLOCK_SIZE", 1 << 10)  # dozens of chunks per column
    body = [GOOD.format(i=i) if i % 7 else f"A-{i};2024-13-01;Rån; K ;;64,9;19,5"
            for i in range(1, 600)]
    result = same(encode(rows(*body)))
    assert fast_used == [True] and len(result.rejected) == 85


def test_a_workbook_is_parsed_column_wise_too():
    wb = Workbook()
    ws = wb.active
    ws.append(["Ärendenummer", "Brottsdatum", "Brott", "Kön", "Northing", "Easting"])
    ws.append(["A-1", "15 mars 2024 kl. 21.40", "Rån", "K", 7195000.25, 705000.0])
    ws.append(["A-2", datetime(2024, 3, 15, 21, 40), "Rån", None, 7195000, 705000])
    ws.append(["A-3", "2024-02-30", "Rån", "X", 7195000, 705000])
    out = io.BytesIO()
    wb.save(out)
    same(out.getvalue())


def test_mapping_and_all_rows_rejected(fast_used):
    same(encode("Nr;När;Vad;Koord N;Koord E\nA-1;2024-01-01;Rån;7195000;705000\n"),
         mapping={"incident_id": "Nr", "occurred_at": "När", "source_category": "Vad",
                  "northing": "Koord N", "easting": "Koord E"})
    result = same(encode(rows("A-1;2024-02-30;Rån;M;;64,9;19,5", "A-2;x;Rån;M;;64,9;19,5")))
    assert len(result.accepted) == 0 and fast_used == [True, True]


# --- property: any mix of good and bad rows ---------------------------------------------------

CELLS = {
    "id": st.sampled_from(["A-1", "A-2", "A-3", "B-1", "", " ", "5000-K1-24", "å-ö"]),
    "date": st.one_of(st.sampled_from([
        "2024-03-15 21:40", "2024-03-15", "2024-03-15T21:40:05", "2024-02-29", "2023-02-29",
        "2024-02-30", "15/3/2024", "15 mars 2024", "2024-03-15 24:00", "", "20240315",
        "2024-3-5", "2024-03-15 21.40", "0000-01-01", "9999-12-31 23:59:59"]),
        st.text(alphabet="0123456789-: T", max_size=19)),
    "category": st.sampled_from(["Misshandel", "Olaga hot", "", " Rån ", "Våld\u00a0"]),
    "sex": st.sampled_from(["Kvinna", "Man", "K", "m", "", "okänt", "X", "1+2", " kvinna "]),
    "relation": st.sampled_from(["Ja", "Nej", "", "j", "N", "1", "kanske", " ja"]),
    "lat": st.one_of(st.sampled_from(["64,9", "64.9", "", "19,5", "7195000", "1 234,5", "nan",
                                      "−64,9", "+64,9", "64,9,1", "1.234.567", ".5", "64,"]),
                     st.from_regex(r"-?[0-9]{1,3}[.,][0-9]{1,20}", fullmatch=True),
                     st.text(alphabet="0123456789,.- ", max_size=8)),
    "lon": st.sampled_from(["19,5", "19.5", "", "64,9", "705000", "20", "12,345678"]),
}
ROW = st.one_of(
    st.tuples(*CELLS.values()).map(";".join),
    st.sampled_from(["", ";;;;;;", "A-9;2024-01-01;Rån", "A-9;2024-01-01;Rån;M;;64,9;19,5;x"]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ROW, min_size=1, max_size=40), st.sampled_from(["cp1252", "utf-8"]),
       st.sampled_from(["\r\n", "\n"]))
def test_property_any_mix_of_rows_reads_the_same(lines, encoding, newline):
    same(encode(rows(*lines), encoding, newline))


# --- the column kernels alone -----------------------------------------------------------------

def raw_of(values: list[str]) -> RawTable:
    frame = pd.DataFrame({"v": pd.Series(values, dtype=object)})
    frame["_line"] = np.arange(2, len(values) + 2)
    return RawTable("f.csv", ["v"], frame, "utf-8", ";", [])


PARSERS = {
    "date": cv.required(cv.parse_datetime),
    "number": cv.parse_number_or_blank,
    "text": cv.required(cv.text),
    "sex": cv.choice(cv.SEX_WORDS, "kön"),
    "count": cv.parse_count,  # no kernel of its own: per distinct value
}
ODD = "0123456789-:.,T tkl+−%٣\u00a0\u2009\u3000\x1cAa"


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(PARSERS)), st.lists(st.text(alphabet=ODD, max_size=22), max_size=30))
def test_property_kernels_agree_with_the_parsers(key, values):
    raw = raw_of(values)
    fast = fast_cells.validate_columns(raw, {key: "v"}, {key: PARSERS[key]})
    slow = cv.validate_rows(raw, {key: "v"}, {key: PARSERS[key]})
    pd.testing.assert_frame_equal(fast[0], slow[0], check_exact=True)
    assert fast[1] == slow[1]


def test_a_column_that_is_not_text_goes_to_the_parsers():
    frame = pd.DataFrame({"v": pd.Series(["1", 2, None, "x"], dtype=object), "_line": [2, 3, 4, 5]})
    raw = RawTable("f.csv", ["v"], frame, "utf-8", ";", [])
    fast = fast_cells.validate_columns(raw, {"k": "v"}, {"k": cv.text})
    slow = cv.validate_rows(raw, {"k": "v"}, {"k": cv.text})
    pd.testing.assert_frame_equal(fast[0], slow[0])
    assert fast[1] == slow[1]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.from_regex(r"-?[0-9]{1,15}([.,][0-9]{1,15})?", fullmatch=True),
                min_size=1, max_size=50))
def test_property_numbers_are_the_floats_python_makes(values):
    column = fast_cells._numbers(pa.chunked_array([pa.array(values)]), len(values))
    assert column.ok.all()
    assert [float(v.replace(",", ".")) for v in values] == column.values.tolist()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["5000-K1-24", "5000-K2-24", "å", "ä", "", "x" * 30,
                                 "x" * 29 + "y", "5000-K10-24"]), max_size=30))
def test_property_duplicated_is_pandas_duplicated(values):
    ids = pa.chunked_array([pa.array(values, pa.string())]).to_pandas()
    assert fast_cells.duplicated(ids).tolist() == ids.duplicated(keep="first").tolist()


def test_duplicated_on_equal_length_ids_finds_the_repeats():
    ids = pd.Series([f"5000-K{i % 997:07d}-24" for i in range(3000)], dtype="str")
    assert fast_cells.duplicated(ids).tolist() == ids.duplicated(keep="first").tolist()


def test_whitespace_is_what_str_strip_strips():
    assert fast_read.WHITESPACE == "".join(chr(c) for c in range(sys.maxunicode + 1)
                                           if chr(c).isspace())
    values = [" a", "a ", "\u3000a", "a\u0085", "\u2009", "å", "ä\u00a0", "a b", ""]
    stripped = fast_read.strip(pa.chunked_array([pa.array(values)])).to_pylist()
    assert stripped == [v.strip() for v in values]


@pytest.mark.parametrize("extra", [b"", "€–’".encode("cp1252")])
def test_a_large_windows_1252_file_decodes_as_before(extra):
    data = (bytes(range(0x20, 0x80)) + bytes(range(0xA0, 0x100)) + b"\r\n") * 9_000 + extra
    assert len(data) > 1 << 20
    assert raw_tables.decode(data, "f.csv") == (data.decode("cp1252"), "cp1252")
