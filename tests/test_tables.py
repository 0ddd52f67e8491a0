"""lagesbild.sources.tables: encodings, separators, numbers, dates and row validation."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from lagesbild.core.errors import InputError, Rejection
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
                                  "30 februari 2024", "31/4/2024", "", "igår", "15 mors 2024",
                                  "2024-03-15 +01:00", "03/15/2024"])
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


# --- Swedish dialects: dates and numbers ----------------------------------------------------

@pytest.mark.parametrize(("text", "value"), [
    ("15 mars 2024", datetime(2024, 3, 15)),
    ("15 Mars 2024", datetime(2024, 3, 15)),
    ("15 mar 2024", datetime(2024, 3, 15)),
    ("15 mar. 2024", datetime(2024, 3, 15)),
    ("1 maj 2024", datetime(2024, 5, 1)),
    ("fredag 15 mars 2024", datetime(2024, 3, 15)),
    ("15 sept 2024 kl 08:05", datetime(2024, 9, 15, 8, 5)),
    ("15 mars 2024 kl. 21.40", datetime(2024, 3, 15, 21, 40)),
    ("2024-03-15 kl. 21.40", datetime(2024, 3, 15, 21, 40)),
    ("2024-03-15 kl 21:40", datetime(2024, 3, 15, 21, 40)),
    ("2024-03-15 klockan 21.40.05", datetime(2024, 3, 15, 21, 40, 5)),
    ("2024-03-15 21:40:05.250", datetime(2024, 3, 15, 21, 40, 5, 250000)),
    ("2024-3-5", datetime(2024, 3, 5)),
    ("2024/03/15", datetime(2024, 3, 15)),
    ("15/3/2024", datetime(2024, 3, 15)),
    ("5/3/2024", datetime(2024, 3, 5)),  # day first, as in Sweden
    ("15-03-2024", datetime(2024, 3, 15)),
    ("15.3.2024 21.40", datetime(2024, 3, 15, 21, 40)),
    ("20240315", datetime(2024, 3, 15)),
    ("  2024-03-15   21:40 ", datetime(2024, 3, 15, 21, 40)),
    ("29 feb 2024", datetime(2024, 2, 29)),
])
def test_parse_datetime_swedish_dialects(text, value):
    assert t.parse_datetime(text) == value


def test_parse_datetime_impossible_date_says_so():
    with pytest.raises(ValueError) as err:
        t.parse_datetime("2024-02-30")
    assert "finns inte" in str(err.value) and "datumformat" in str(err.value)
    with pytest.raises(ValueError, match="okänt månadsnamn 'mors'"):
        t.parse_datetime("15 mors 2024")


@pytest.mark.parametrize(("text", "value"), [
    ("1\u00a0234\u00a0567", 1234567.0), ("1\u202f234,5", 1234.5), ("1\u2009234", 1234.0),
    ("1 234,5", 1234.5), ("\u22125", -5.0), ("\u2212 1 234,5", -1234.5), ("\u20135", -5.0),
    ("1.234.567", 1234567.0), ("1.234.567,5", 1234567.5), ("1,234,567", 1234567.0),
    ("+7", 7.0), ("12 %", 12.0),
])
def test_parse_number_swedish_dialects(text, value):
    assert t.parse_number(text) == value


@pytest.mark.parametrize("text", ["1.23.4", "1,23,4", "12.34.567", "5\u2212", "1 234 kr"])
def test_parse_number_rejects_broken_groups(text):
    with pytest.raises(ValueError, match="väntade"):
        t.parse_number(text)


def test_parse_number_scb_missing_value():
    with pytest.raises(ValueError) as err:
        t.parse_number("..")
    assert "saknas i källan" in str(err.value)


# --- title rows, two-row headers and footnotes (SCB / Brå exports) --------------------------

SCB_CSV = ('"Folkmängd efter region, kön och år"\n'
           '\n'
           '"region";"kön";"2023";"2024"\n'
           '"2417 Norsjö";"män";"2 010";"2 000"\n'
           '"2417 Norsjö";"kvinnor";"1 990";"1 950"\n'
           '\n'
           '"Källa: SCB"\n'
           '"Senaste uppdatering: 2025-02-21"\n'
           '"..: uppgift saknas"\n')


def test_title_rows_and_footnotes_are_skipped_and_told(make_csv):
    raw = t.read_delimited(make_csv(SCB_CSV, "cp1252"), name="scb.csv")
    assert raw.separator == ";"  # the title's comma does not decide
    assert raw.header == ["region", "kön", "2023", "2024"] and raw.header_line == 3
    assert raw.rows["_line"].tolist() == [4, 5] and raw.ragged == []
    assert raw.rows["2023"].tolist() == ["2 010", "1 990"]
    assert raw.notes == [
        "Raden 1 ovanför tabellen hoppades över (rubrik: 'Folkmängd efter region, kön och år'); "
        "tabellens rubrikrad är rad 3.",
        "3 rader under tabellen hoppades över som fotnoter (rad 7–9, t.ex. 'Källa: SCB')."]


def test_footnote_without_blank_line_is_recognised_by_its_words(make_csv):
    raw = t.read_delimited(make_csv("a;b\n1;2\nKälla: Brå\nAnm. preliminära siffror\n"),
                           name="f.csv")
    assert raw.rows["_line"].tolist() == [2] and raw.ragged == []
    assert "rad 3–4" in raw.notes[0]


def test_single_value_row_at_the_end_without_blank_line_stays_a_rejected_row(make_csv):
    raw = t.read_delimited(make_csv("a;b\n1;2\n3\n"), name="f.csv")
    assert [r.row for r in raw.ragged] == [3] and raw.notes == []


def test_row_named_like_a_note_word_is_data_when_it_is_a_full_row(make_csv):
    raw = t.read_delimited(make_csv("Namn;Antal\nKällans skola;2\nObservatoriet;3\n"), name="f.csv")
    assert raw.rows["Namn"].tolist() == ["Källans skola", "Observatoriet"] and raw.notes == []


@pytest.mark.parametrize(("top", "bottom", "header"), [
    (";2023;2023;2024;2024", "region;män;kvinnor;män;kvinnor",
     ["region", "2023 män", "2023 kvinnor", "2024 män", "2024 kvinnor"]),
    ("region;2023;;2024;", ";män;kvinnor;män;kvinnor",
     ["region", "2023 män", "2023 kvinnor", "2024 män", "2024 kvinnor"]),
    ("region;män;;kvinnor;", ";2023;2024;2023;2024",
     ["region", "män 2023", "män 2024", "kvinnor 2023", "kvinnor 2024"]),
    (";;2023;2024", "region;kön;;", ["region", "kön", "2023", "2024"]),
])
def test_two_row_header_is_merged(make_csv, top, bottom, header):
    width = len(header)
    data_row = ";".join(["2417 Norsjö"] + ["män"] * (width == 4) + ["5"] * (width - 1 - (width == 4)))
    raw = t.read_delimited(make_csv(f"Titel\n{top}\n{bottom}\n{data_row}\n"), name="h.csv")
    assert raw.header == header
    assert raw.header_line == 2 and raw.rows["_line"].tolist() == [4]
    assert any("två rader (2–3)" in n for n in raw.notes)


@pytest.mark.parametrize("text", [
    "Kommun;Antal\nNorsjö;\n",              # a data row with a blank cell
    "Kommun;;Antal\n2417;;5\n",             # a column empty in both rows
    "Kommun;Kön;Antal\n;K;5\n",             # a blank first cell, but numbers: data
    "a;b\n1;2\n",
])
def test_one_row_header_is_not_merged(make_csv, text):
    raw = t.read_delimited(make_csv(text), name="h.csv")
    assert raw.header_line == 1 and len(raw.rows) == 1
    assert not any("två rader" in n for n in raw.notes)


def test_one_column_file_keeps_its_first_line_as_header(make_csv):
    raw = t.read_delimited(make_csv("Kommunkod|År|Antal\n2417|2024|5,5\n2418|2024|4,5\n"),
                           name="p.csv")
    assert raw.header == ["Kommunkod|År|Antal"] and raw.separator == ";"


@pytest.mark.parametrize(("text", "sep"), [
    ("Titel, med komma\n\nregion;kön;2024\n2417;män;5\n2417;kvinnor;6\n", ";"),
    ("Titel\nregion\tkön\t2024\n2417\tmän\t5\n", "\t"),
])
def test_sniff_separator_below_a_title(text, sep):
    assert t.sniff_separator(text) == sep


def test_text_file_with_spreadsheet_name_is_read_as_csv(make_csv):
    raw = t.read_table(make_csv("a;b\n1;2\n"), name="export.xls")
    assert raw.rows[["a", "b"]].values.tolist() == [["1", "2"]]
    assert "textfil" in raw.notes[0] and "export.xls" in raw.notes[0]


def test_describe_and_column_label(make_csv):
    raw = t.read_table(make_csv("a;b\nå;2\n", "cp1252"), name="x.csv")
    assert raw.describe() == "Läst som cp1252, avgränsare ';'."
    assert raw.column_label("b") == "kolumn 2"
    renamed = raw.renamed({"b": "B!"})
    assert renamed.header == ["a", "B!"] and renamed.rows["B!"].tolist() == ["2"]
    assert raw.header == ["a", "b"]  # the original is unchanged


def test_missing_path_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="kan inte öppnas"):
        t.read_table(tmp_path / "finns_inte.csv")


# --- preview --------------------------------------------------------------------------------

def test_read_header_and_preview_keeps_the_first_rows(make_csv):
    text = "Titel\n\nKod;Antal\n" + "".join(f"{i};{i}\n" for i in range(1000)) + "\nKälla: x\n"
    raw = t.read_header_and_preview(make_csv(text), name="p.csv", rows=5)
    assert raw.header == ["Kod", "Antal"] and raw.header_line == 3
    assert raw.rows["Kod"].tolist() == ["0", "1", "2", "3", "4"]
    assert raw.rows["_line"].tolist() == [4, 5, 6, 7, 8]


def test_sheet_names_of_a_text_file_is_empty(make_csv):
    assert t.sheet_names(make_csv("a;b\n1;2\n")) == []


# --- column mapping -------------------------------------------------------------------------

WANTED = {"area_id": ["Kommunkod", "Kod"], "count": ["Antal"], "sex": ["Kön"]}


def test_fold_header():
    assert t.fold_header(" Andel (%) ") == "andel" and t.fold_header("Kommun_kod") == "kommun kod"
    assert t.fold_header("Indikator-ID") == t.fold_header("indikator id")


def test_mapping_overrides_detection(make_csv):
    raw = _raw("Kod;Summa;Antal\n1;2;3\n", make_csv)
    found = t.find_columns(raw, WANTED, optional=["sex"], mapping={"count": "Summa"})
    assert found == {"area_id": "Kod", "count": "Summa"}


def test_mapping_is_case_insensitive_and_may_mark_a_column_absent(make_csv):
    raw = _raw("Kod;Antal;Kön\n1;2;K\n", make_csv)
    found = t.find_columns(raw, WANTED, optional=["sex"], mapping={"area_id": "kod", "sex": None})
    assert found == {"area_id": "Kod", "count": "Antal"}


def test_mapping_to_an_unknown_header_lists_the_files_headers(make_csv):
    raw = _raw("Kod;Antal\n1;2\n", make_csv)
    with pytest.raises(InputError) as err:
        t.find_columns(raw, WANTED, optional=["sex"], mapping={"count": "Summa"})
    msg = str(err.value)
    assert "fil c.csv" in msg and "rad 1" in msg and "fält 'Summa'" in msg
    assert "Kolumnen 'Summa' (vald för count) finns inte" in msg and "Filen har: Kod, Antal" in msg
    assert "kolumnmappningen" in err.value.fix


def test_mapping_with_an_unknown_key_lists_the_keys(make_csv):
    with pytest.raises(InputError) as err:
        t.find_columns(_raw("Kod;Antal\n1;2\n", make_csv), WANTED, mapping={"antal": "Antal"})
    assert "'antal'" in str(err.value) and "area_id, count, sex" in err.value.fix


def test_mapping_the_same_header_twice_is_refused(make_csv):
    with pytest.raises(InputError, match="både för area_id och för count"):
        t.find_columns(_raw("Kod;Antal\n1;2\n", make_csv), WANTED,
                       mapping={"area_id": "Kod", "count": "Kod"})


def test_mapped_header_is_not_detected_again_for_another_key(make_csv):
    raw = _raw("Kod;Antal\n1;2\n", make_csv)
    with pytest.raises(InputError) as err:
        t.find_columns(raw, WANTED, optional=["sex"], mapping={"count": "Kod"})
    assert err.value.field == "area_id"


def test_one_of_groups(make_csv):
    wanted = {"id": ["ID"], "lat": ["Lat"], "lon": ["Lon"], "n": ["N"], "e": ["E"]}
    groups = (("lat", "lon"), ("n", "e"))
    assert t.find_columns(_raw("ID;N;E;Lat\n1;2;3;4\n", make_csv), wanted, one_of=groups) == {
        "id": "ID", "lat": "Lat", "n": "N", "e": "E"}
    with pytest.raises(InputError) as err:
        t.find_columns(_raw("ID;Lat\n1;2\n", make_csv), wanted, one_of=groups)
    assert "kolumngrupperna lat (Lat) + lon (Lon) eller n (N) + e (E)" in str(err.value)
    assert err.value.field == "lat+lon/n+e"


def test_guess_columns_never_raises(make_csv):
    raw = _raw("KOD;x\n1;2\n", make_csv)
    assert t.guess_columns(raw, WANTED) == {"area_id": "KOD"}
    assert t.guess_columns(raw, WANTED, exclude=["KOD"]) == {}


def test_column_spec_required():
    spec = t.ColumnSpec({"a": ["A"], "b": ["B"], "c": ["C"], "d": ["D"]}, ("b",), (("c",), ("d",)))
    assert spec.required() == ["a"]
