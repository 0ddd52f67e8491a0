"""lagesbild.sources.tables: encodings, separators, numbers, dates and row validation."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from lagesbild.errors import InputError, Rejection
from lagesbild.sources import tables as t

TEXT = "Kommunkod;Namn;Antal\n0114;Upplands Väsby;1 234\n2417;Norsjö;7\n"


# --- decoding -------------------------------------------------------------------------------

@pytest.mark.parametrize(("encoding", "expected"), [
    ("utf-8", "utf-8"),
    ("utf-8-sig", "utf-8-sig"),
    ("utf-16", "utf-16"),
    ("utf-16-be", None),  # without BOM: looks binary (NUL bytes), refused below
    ("cp1252", "cp1252"),
])
def test_decode_recognises_excel_encodings(make_csv, encoding, expected):
    data = make_csv(TEXT, "utf-16-be" if encoding == "utf-16-be" else encoding)
    if expected is None:
        with pytest.raises(InputError, match="binära"):
            t.decode(data, "f.csv")
        return
    text, found = t.decode(data, "f.csv")
    assert found == expected
    assert text.replace("\r\n", "\n") == TEXT  # BOM gone, å/ä/ö intact


def test_decode_utf16_big_endian_with_bom(make_csv):
    data = b"\xfe\xff" + TEXT.encode("utf-16-be")
    assert t.decode(data, "f.csv") == (TEXT, "utf-16")


@pytest.mark.parametrize("data", [b"", b"   \r\n\r\n", b"\n"])
def test_decode_empty_file(data):
    with pytest.raises(InputError, match="tom") as err:
        t.decode(data, "tom.csv")
    assert "tom.csv" in str(err.value)


def test_decode_binary_bytes():
    data = b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256))  # an .xlsx (zip) renamed to .csv
    with pytest.raises(InputError, match="binära data") as err:
        t.decode(data, "rapport.csv")
    assert "rapport.csv" in str(err.value)
    assert "CSV" in err.value.fix


def test_decode_undecodable_bytes():
    # 0x81 is undefined in Windows-1252 and invalid as UTF-8
    with pytest.raises(InputError, match="teckenkodning"):
        t.decode(b"a;b\r\n\x81\x81;1\r\n", "x.csv")


# --- separators -----------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "sep"), [
    ("a;b;c\n1;2,5;3\n", ";"),       # decimal comma inside a semicolon file
    ("a,b,c\n1,2,3\n", ","),
    ("a\tb\tc\n1\t2,5\t3\n", "\t"),
    ('"region","kön","2024"\n"2417 Norsjö","män","1 999"\n', ","),
    ("a;b\n1,5;2,5\n3,5;4,5\n", ";"),  # as many commas as semicolons per line: header decides
    ("bara_en_kolumn\n1\n", ";"),      # nothing splits: the default
    ("", ";"),
])
def test_sniff_separator(text, sep):
    assert t.sniff_separator(text) == sep


# --- read_delimited ------------------------------------------------------------------------

@pytest.mark.parametrize(("encoding", "sep"), [
    ("cp1252", ";"), ("utf-8-sig", ";"), ("utf-16", "\t"), ("utf-8", ","),
])
def test_read_delimited_keeps_codes_and_letters(make_csv, encoding, sep):
    text = "Kommunkod;Namn;Antal\n0114;Upplands Väsby;1 234\n2417;Åsele;7\n".replace(";", sep)
    raw = t.read_delimited(make_csv(text, encoding), name="k.csv")
    assert raw.name == "k.csv"
    assert raw.separator == sep
    assert raw.header == ["Kommunkod", "Namn", "Antal"]
    assert raw.rows["Kommunkod"].tolist() == ["0114", "2417"]  # strings, leading zero kept
    assert raw.rows["Namn"].tolist() == ["Upplands Väsby", "Åsele"]
    assert raw.rows["Antal"].tolist() == ["1 234", "7"]  # numbers are parsed later
    assert raw.rows["_line"].tolist() == [2, 3]
    assert raw.ragged == []


def test_read_delimited_from_path_uses_file_name(tmp_path, make_csv):
    path = tmp_path / "brott.csv"
    path.write_bytes(make_csv("a;b\n1;2\n", "cp1252"))
    raw = t.read_delimited(path)
    assert raw.name == "brott.csv"
    assert raw.rows[["a", "b"]].values.tolist() == [["1", "2"]]


def test_read_delimited_bytes_without_name():
    assert t.read_delimited(b"a;b\n1;2\n").name == "uppladdad fil"


def test_ragged_rows_rejected_with_line_numbers(make_csv):
    data = make_csv("a;b;c\n1;2;3\n4;5\n\n6;7;8;9\n10;11;12\n")
    raw = t.read_delimited(data, name="r.csv")
    assert raw.rows[["a", "b", "c"]].values.tolist() == [["1", "2", "3"], ["10", "11", "12"]]
    assert raw.rows["_line"].tolist() == [2, 6]  # the blank line 4 still counts
    assert [(r.file, r.row) for r in raw.ragged] == [("r.csv", 3), ("r.csv", 5)]
    assert "2 fält" in raw.ragged[0].reason and "rubrikraden 3" in raw.ragged[0].reason
    assert "4 fält" in raw.ragged[1].reason


def test_multiline_quoted_field_reports_the_line_it_starts_on(make_csv):
    raw = t.read_delimited(make_csv('a;b\n"rad ett\nrad två";2\nz;3\n'), name="m.csv")
    assert raw.rows["a"].tolist() == ["rad ett\r\nrad två", "z"]
    assert raw.rows["_line"].tolist() == [2, 4]


def test_leading_blank_lines_and_spaces_are_stripped(make_csv):
    raw = t.read_delimited(make_csv("\n a ; b \n 1 ; 2 \n"), name="s.csv")
    assert raw.header == ["a", "b"]
    assert raw.rows[["a", "b"]].values.tolist() == [["1", "2"]]
    assert raw.rows["_line"].tolist() == [3]


def test_header_only_gives_empty_rows(make_csv):
    raw = t.read_delimited(make_csv("a;b\n"), name="h.csv")
    assert raw.header == ["a", "b"]
    assert len(raw.rows) == 0 and raw.ragged == []


@pytest.mark.parametrize("data", [b"\xef\xbb\xbf", "\r\n".encode("utf-16"), b" ; \r\n"])
def test_file_with_no_content_is_empty(data):
    with pytest.raises(InputError, match="tom") as err:
        t.read_delimited(data, name="tom.csv")
    assert "tom.csv" in str(err.value)


def test_duplicate_header_refused(make_csv):
    with pytest.raises(InputError, match="flera gånger") as err:
        t.read_delimited(make_csv("Antal;Kod;Antal\n1;2;3\n"), name="d.csv")
    assert err.value.row == 1 and err.value.field == "Antal"


def test_trailing_separators_give_placeholder_columns(make_csv):
    raw = t.read_delimited(make_csv("a;b;;\n1;2;;\n"), name="x.csv")
    assert raw.header == ["a", "b", "_tom3", "_tom4"]
    assert raw.rows[["a", "b"]].values.tolist() == [["1", "2"]]


# --- find_columns ---------------------------------------------------------------------------

def _raw(text: str, make_csv) -> t.RawTable:
    return t.read_delimited(make_csv(text), name="c.csv")


def test_find_columns_by_alias_ignoring_case_dashes_and_percent(make_csv):
    raw = _raw("KOMMUN KOD;andel;Indikator-id\n1;2;3\n", make_csv)
    found = t.find_columns(raw, {"area_id": ["Kommunkod", "Kommun kod"],
                                 "value": ["Andel (%)"], "ind": ["Indikator-ID"],
                                 "n": ["Antal svarande"]}, optional=["n"])
    assert found == {"area_id": "KOMMUN KOD", "value": "andel", "ind": "Indikator-id"}


def test_find_columns_missing_lists_every_expected_name(make_csv):
    raw = _raw("Kod;Namn\n1;2\n", make_csv)
    with pytest.raises(InputError) as err:
        t.find_columns(raw, {"area_id": ["Kod"], "period": ["År", "Period"],
                             "count": ["Antal", "Anmälda brott"]})
    msg = str(err.value)
    for word in ("c.csv", "rad 1", "period", "count", "År / Period", "Antal / Anmälda brott",
                 "Kod, Namn"):
        assert word in msg
    assert err.value.field == "period, count"
    assert "avgränsningstecken" not in msg  # two columns were found: the separator is right


def test_find_columns_wrong_separator_hint(make_csv):
    raw = _raw("Kommunkod|År|Antal\n2417|2024|5\n", make_csv)
    with pytest.raises(InputError, match="avgränsningstecken") as err:
        t.find_columns(raw, {"area_id": ["Kommunkod"], "count": ["Antal"]})
    assert "Kommunkod" in str(err.value) and "Antal" in str(err.value)


# --- numbers, dates, codes ------------------------------------------------------------------

@pytest.mark.parametrize(("text", "value"), [
    ("1 234", 1234.0), ("1\u00a0234,5", 1234.5), ("1\u202f234", 1234.0), ("1234.5", 1234.5),
    ("12,3 %", 12.3), ("12,3%", 12.3), ("1.234,5", 1234.5), ("1,234.5", 1234.5), ("-5", -5.0),
    ("\u22125,5", -5.5), ("0", 0.0), ("  7  ", 7.0), ("1'000", 1000.0), (",5", 0.5),
])
def test_parse_number(text, value):
    assert t.parse_number(text) == value


@pytest.mark.parametrize("text", ["", "  ", "abc", "..", "nan", "inf", "-inf", "1e5", "1,2,3",
                                  "12 kr", "x1"])
def test_parse_number_rejects(text):
    with pytest.raises(ValueError) as err:
        t.parse_number(text)
    assert "väntade" in str(err.value) or "saknas" in str(err.value)


@pytest.mark.parametrize(("text", "value"), [("0", 0), ("1 234", 1234), ("7,0", 7), ("12", 12)])
def test_parse_count(text, value):
    assert t.parse_count(text) == value
    assert isinstance(t.parse_count(text), int)


@pytest.mark.parametrize("text", ["-1", "1,5", "2.5", "inf", "nan", "", "tre"])
def test_parse_count_rejects(text):
    with pytest.raises(ValueError):
        t.parse_count(text)


@pytest.mark.parametrize(("text", "value"), [
    ("2024-03-15 21:40", datetime(2024, 3, 15, 21, 40)),
    ("2024-03-15 21:40:05", datetime(2024, 3, 15, 21, 40, 5)),
    ("2024-03-15T21:40:05", datetime(2024, 3, 15, 21, 40, 5)),
    ("2024-03-15", datetime(2024, 3, 15)),
    ("20240315", datetime(2024, 3, 15)),
    ("15/03/2024", datetime(2024, 3, 15)),
    ("15.03.2024", datetime(2024, 3, 15)),
    ("2024-02-29", datetime(2024, 2, 29)),  # leap day
])
def test_parse_datetime(text, value):
    assert t.parse_datetime(text) == value


@pytest.mark.parametrize("text", ["2024-02-30", "2023-02-29", "2024-13-01", "2024-03-15 25:00",
                                  "15 mars 2024", "", "igår"])
def test_parse_datetime_rejects_impossible_dates(text):
    with pytest.raises(ValueError, match="datumformat"):
        t.parse_datetime(text)


@pytest.mark.parametrize(("text", "code"), [
    ("2417", "2417"), ("0114", "0114"), ("114", "0114"), ("2417.0", "2417"),
    ("2417 Norsjö", "2417"), (" 0180 Stockholm ", "0180"),
])
def test_kommun_code(text, code):
    assert t.kommun_code(text) == code


@pytest.mark.parametrize("text", ["24", "24170", "Norsjö", "", "2417A0010", "2417,5"])
def test_kommun_code_rejects(text):
    with pytest.raises(ValueError, match="fyra siffror"):
        t.kommun_code(text)


def test_choice_is_case_insensitive_and_lists_allowed_values():
    parse = t.choice({"ja": True, "nej": False, "": None}, "svar")
    assert parse(" JA ") is True and parse("Nej") is False and parse("") is None
    with pytest.raises(ValueError) as err:
        parse("kanske")
    assert "svar" in str(err.value) and "ja, nej" in str(err.value)


@pytest.mark.parametrize(("word", "sex"), [("Kvinnor", "K"), ("män", "M"), ("Totalt", "T"),
                                           ("2", "K"), ("1", "M"), ("", None), ("okänt", None)])
def test_sex_words(word, sex):
    assert t.choice(t.SEX_WORDS, "kön")(word) == sex


def test_required_rejects_blank():
    parse = t.required(t.text)
    assert parse(" x ") == "x"
    for blank in ("", "   "):
        with pytest.raises(ValueError, match="saknas"):
            parse(blank)


# --- validate_rows --------------------------------------------------------------------------

def test_validate_rows_reports_first_failing_field_per_row(make_csv):
    raw = t.read_delimited(make_csv(
        "Kod;Antal;Datum\n"
        "0114;3;2024-01-01\n"     # line 2: fine
        "0114;-1;2024-01-01\n"    # line 3: negative count
        "abc;x;2024-02-30\n"      # line 4: code fails first; the other faults are not reached
        "2417;1,5;2024-01-02\n"   # line 5: not an integer
        "2417;2\n"                # line 6: ragged
        "2417;4;2024-02-30\n"),   # line 7: impossible date
        name="v.csv")
    rows, rejected = t.validate_rows(raw, {"code": "Kod", "count": "Antal", "when": "Datum"}, {
        "code": t.required(t.kommun_code), "count": t.required(t.parse_count),
        "when": t.required(t.parse_datetime), "note": t.text})
    assert rows.columns.tolist() == ["_line", "code", "count", "when", "note"]
    assert rows.to_dict("records") == [
        {"_line": 2, "code": "0114", "count": 3, "when": datetime(2024, 1, 1), "note": ""}]
    assert sorted((r.row, r.field, r.value) for r in rejected) == [
        (3, "Antal", "-1"), (4, "Kod", "abc"), (5, "Antal", "1,5"), (6, "", "2417;2"),
        (7, "Datum", "2024-02-30")]
    assert all(r.file == "v.csv" for r in rejected)
    by_row = {r.row: r.reason for r in rejected}
    assert "heltal" in by_row[3] and "fyra siffror" in by_row[4] and "datumformat" in by_row[7]


def test_validate_rows_empty_table(make_csv):
    raw = t.read_delimited(make_csv("Kod\n"), name="e.csv")
    rows, rejected = t.validate_rows(raw, {"code": "Kod"}, {"code": t.text})
    assert rows.columns.tolist() == ["_line", "code"] and len(rows) == 0 and rejected == []


def test_read_result_rejected_frame():
    result = t.ReadResult(pd.DataFrame(), [Rejection("f.csv", 3, "Antal", "-1", "fel")],
                          dataset=None)  # type: ignore[arg-type]
    frame = result.rejected_frame()
    assert frame.columns.tolist() == ["fil", "rad", "fält", "värde", "orsak"]
    assert frame.values.tolist() == [["f.csv", 3, "Antal", "-1", "fel"]]
    assert t.ReadResult(pd.DataFrame(), [], None).rejected_frame().columns.tolist() == [  # type: ignore[arg-type]
        "fil", "rad", "fält", "värde", "orsak"]
