"""lagesbild.sources.spreadsheet and XLSX through tables.read_table and every table reader."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, time

import pytest
from openpyxl import Workbook

from lagesbild.core.errors import InputError
from lagesbild.sources import aggregates, incidents, population_csv, programmes
from lagesbild.sources import spreadsheet as xl
from lagesbild.sources import tables as t


def xlsx(*sheets: list[list[object]], titles: tuple[str, ...] = (),
         formats: dict[str, str] | None = None) -> bytes:
    """A workbook with one sheet per row list; `formats` maps cell ('B2') -> number format."""
    wb = Workbook()
    for i, rows in enumerate(sheets):
        ws = wb.active if i == 0 else wb.create_sheet()
        ws.title = titles[i] if i < len(titles) else f"Blad{i + 1}"
        for row in rows:
            ws.append(row)
        if i == 0:
            for ref, fmt in (formats or {}).items():
                ws[ref].number_format = fmt
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- cells as Excel shows them --------------------------------------------------------------

@pytest.mark.parametrize(("value", "fmt", "text"), [
    ("0114", "General", "0114"), (" Norsjö ", "General", "Norsjö"), (None, "General", ""),
    (2417, "General", "2417"), (2417.0, "General", "2417"), (24.5, "General", "24.5"),
    (0.1 + 0.2, "General", "0.3"), (1e20, "General", "100000000000000000000"),
    (1e-7, "General", "0.0000001"), (-5.0, "General", "-5"),
    (0.245, "0.0%", "24.5%"), (0.5, "0%", "50%"), (114, "0000", "0114"), (114, '"0000"', "0114"),
    (datetime(2024, 3, 15), "yyyy-mm-dd", "2024-03-15"),
    (datetime(2024, 3, 15, 21, 40), "yyyy-mm-dd hh:mm", "2024-03-15 21:40"),
    (datetime(2024, 3, 15, 21, 40, 5), "General", "2024-03-15 21:40:05"),
    (date(2024, 3, 15), "General", "2024-03-15"), (time(21, 40), "General", "21:40"),
    (True, "General", "ja"), (False, "General", "nej"),
])
def test_cell_text(value, fmt, text):
    assert xl.cell_text(value, fmt) == text


@pytest.mark.parametrize(("index", "letters"), [(0, "A"), (1, "B"), (25, "Z"), (26, "AA"),
                                                (701, "ZZ"), (702, "AAA")])
def test_column_letter(index, letters):
    assert xl.column_letter(index) == letters


def test_xlsx_read_as_text_table():
    data = xlsx([["Kommunkod", "Namn", "Antal", "Datum", "Andel"],
                 ["0114", "Upplands Väsby", 1234.0, datetime(2024, 3, 15), 0.125],
                 [],
                 [2417, "Norsjö", 7, datetime(2024, 3, 15, 21, 40), 0.5]],
                formats={"E2": "0.0%", "E4": "0.0%"})
    raw = t.read_table(data, name="k.xlsx")
    assert raw.is_workbook and raw.sheet == "Blad1" and raw.separator == ""
    assert raw.header == ["Kommunkod", "Namn", "Antal", "Datum", "Andel"]
    assert raw.rows.drop(columns="_line").values.tolist() == [
        ["0114", "Upplands Väsby", "1234", "2024-03-15", "12.5%"],
        ["2417", "Norsjö", "7", "2024-03-15 21:40", "50%"]]
    assert raw.rows["_line"].tolist() == [2, 4]  # the sheet's own row numbers
    assert raw.describe() == "Läst som Excel-arbetsbok, bladet 'Blad1'."
    assert raw.notes == []


def test_xlsx_from_path_with_a_table_not_in_column_a(tmp_path):
    path = tmp_path / "tabell.xlsx"
    path.write_bytes(xlsx([[None, None, None], [None, "Kod", "Antal"], [None, "0114", 3],
                           [None, "2417", None]]))
    raw = t.read_table(path)
    assert raw.name == "tabell.xlsx" and raw.header == ["Kod", "Antal"] and raw.header_line == 2
    assert raw.rows[["Kod", "Antal"]].values.tolist() == [["0114", "3"], ["2417", ""]]
    assert raw.column_label("Antal") == "kolumn C"


def test_xlsx_unnamed_and_extra_columns_get_placeholders():
    raw = t.read_table(xlsx([["Kod", None, "Antal"], ["1", "x", "2", "not"]]), name="p.xlsx")
    assert raw.header == ["Kod", "_tom2", "Antal", "_tom4"]
    assert raw.rows.drop(columns="_line").values.tolist() == [["1", "x", "2", "not"]]


def test_xlsx_duplicate_header_refused():
    with pytest.raises(InputError, match="flera gånger") as err:
        t.read_table(xlsx([["Antal", "Kod", "Antal"], [1, 2, 3]]), name="d.xlsx")
    assert err.value.row == 1 and "d.xlsx" in str(err.value)


# --- sheets ---------------------------------------------------------------------------------

def test_first_sheet_by_default_and_sheet_by_name_or_position():
    data = xlsx([["a", "b"], [1, 2]], [["c", "d"], [3, 4]], titles=("Första", "Andra"))
    assert t.sheet_names(data) == ["Första", "Andra"]
    first = t.read_table(data, name="w.xlsx")
    assert first.header == ["a", "b"] and first.sheet == "Första"
    assert first.notes == ["Läste bladet 'Första' (arbetsboken har 2 blad: Första, Andra)."]
    for sheet in ("Andra", "andra", 1, "1"):
        raw = t.read_table(data, name="w.xlsx", sheet=sheet)
        assert raw.header == ["c", "d"] and raw.sheet == "Andra"


@pytest.mark.parametrize("sheet", ["Tredje", 5, -1])
def test_unknown_sheet_lists_the_sheets(sheet):
    data = xlsx([["a", "b"]], [["c", "d"]], titles=("Första", "Andra"))
    with pytest.raises(InputError) as err:
        t.read_table(data, name="w.xlsx", sheet=sheet)
    assert f"Bladet '{sheet}' finns inte" in str(err.value)
    assert "Första, Andra" in str(err.value) and err.value.field == "blad"


def test_empty_first_sheet_names_the_other_sheets():
    data = xlsx([], [["a", "b"], [1, 2]], titles=("Info", "Data"))
    with pytest.raises(InputError) as err:
        t.read_table(data, name="w.xlsx")
    assert "Bladet 'Info' är tomt" in str(err.value) and "Info, Data" in str(err.value)
    assert t.read_table(data, name="w.xlsx", sheet="Data").header == ["a", "b"]


def test_preview_of_a_workbook():
    rows = [["Titel"], [], ["Kod", "Antal"]] + [[f"{i:04d}", i] for i in range(500)]
    raw = t.read_header_and_preview(xlsx(rows), name="p.xlsx", rows=3)
    assert raw.header == ["Kod", "Antal"] and raw.rows["Kod"].tolist() == ["0000", "0001", "0002"]
    assert raw.rows["_line"].tolist() == [4, 5, 6]


# --- files that are not a workbook we can read ----------------------------------------------

def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return out.getvalue()


@pytest.mark.parametrize(("data", "name", "words"), [
    (xl.OLE2 + bytes(600), "gammal.xls", ["äldre Excel-fil (.xls", "lösenordsskyddad"]),
    (xl.OLE2 + bytes(600), "data.csv", ["äldre Excel-fil (.xls"]),
    (bytes(range(256)) * 4, "rapport.xlsx", ["heter 'rapport.xlsx'", "ingen Excel-arbetsbok"]),
    (b"PK\x03\x04" + bytes(range(256)) * 4, "trasig.xlsx", ["heter 'trasig.xlsx'"]),
    (_zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b""}),
     "kalkyl.ods", ["OpenDocument"]),
    (_zip({"xl/workbook.bin": b""}), "bok.xlsb", [".xlsb"]),
    (_zip({"a.shp": b"", "a.dbf": b""}), "gränser.zip", ["zip-arkiv", "xl/workbook.xml saknas"]),
    (b"<html><body><table><tr><td>1</td></tr></table></body></html>", "export.xls",
     ["webbsida"]),
    (_zip({"xl/workbook.xml": b"<inte xml", "[Content_Types].xml": b"x"}), "skadad.xlsx",
     ["Excel-filen kan inte läsas"]),
])
def test_unreadable_spreadsheets_are_refused_clearly(data, name, words):
    with pytest.raises(InputError) as err:
        t.read_table(data, name=name)
    msg = str(err.value)
    assert f"fil {name}" in msg
    for word in words:
        assert word in msg
    assert err.value.fix


def test_xls_refused_by_every_reader():
    for reader in (aggregates.read_crime_counts, incidents.read_police_extract,
                   programmes.read_sites):
        with pytest.raises(InputError, match=r"\.xlsx\) eller som CSV"):
            reader(xl.OLE2 + bytes(600), name="gammal.xls")


# --- every table reader takes a workbook ----------------------------------------------------

def _sheet(text: str) -> list[list[object]]:
    return [line.split(";") for line in text.strip().split("\n")]


READERS = [
    (aggregates.read_crime_counts, "Kommunkod;År;Brottskategori;Antal\n0114;2024;Rån;3\n",
     {}, ["area_id", "period", "count"], [["0114", "2024", 3]]),
    (aggregates.read_indicators,
     "Kommunkod;År;Indikator;Kön;Andel;n\n2417;2024;otrygghet;K;24,5;120\n", {},
     ["area_id", "value", "n"], [["2417", 24.5, 120]]),
    (incidents.read_police_extract,
     "Ärendenummer;Brottsdatum;Brott;Latitud;Longitud\nA-1;2024-03-15 21:40;Rån;64,9;19,5\n",
     {}, ["incident_id", "year"], [["A-1", 2024]]),
    (programmes.read_sites,
     "Enhets-ID;Namn;Typ;Kommunkod;Latitud;Longitud\nS1;Skola;grundskola;2417;64,9;19,5\n", {},
     ["site_id", "area_id"], [["S1", "2417"]]),
    (programmes.read_activity,
     "Enhets-ID;Program;Termin;Status;Elever som nåtts\nS1;MVP;HT2024;genomförs;30\n", {},
     ["site_id", "pupils_reached"], [["S1", 30]]),
    (programmes.read_actions, "ID;Fokusområde;Insats;Status\nA1;kunskap;Utbildning;pågår\n", {},
     ["action_id", "focus_area"], [["A1", "kunskap"]]),
    (population_csv.read_population_simple, "Kommunkod;Folkmängd\n0114;50 295\n",
     {"year": 2024}, ["area_id", "population"], [["0114", 50295]]),
    (aggregates.read_population, "region;kön;2024\n0114 Upplands Väsby;män;5\n", {},
     ["area_id", "sex", "population"], [["0114", "M", 5]]),
]


@pytest.mark.parametrize(("reader", "text", "kwargs", "columns", "expected"), READERS,
                         ids=[r[0].__name__ for r in READERS])
def test_every_reader_reads_xlsx_as_it_reads_csv(tmp_path, make_csv, reader, text, kwargs,
                                                 columns, expected):
    path = tmp_path / "fil.xlsx"
    path.write_bytes(xlsx(_sheet(text)))
    from_csv = reader(make_csv(text), name="fil.csv", **kwargs)
    for result in (reader(path, **kwargs), reader(path.read_bytes(), name="fil.xlsx", **kwargs)):
        assert result.accepted[columns].values.tolist() == expected
        assert result.accepted[columns].values.tolist() == \
            from_csv.accepted[columns].values.tolist()
        assert result.rejected == [] and result.dataset.file == "fil.xlsx"


def test_reader_on_a_later_sheet_with_numbers_stored_by_excel(make_csv):
    data = xlsx([["Info"]], [["Kommunkod", "År", "Brott", "Antal"], [114, 2024, "Rån", 3.0],
                             ["2417", 2024.0, "Rån", 2.5]], titles=("Om", "Data"))
    result = aggregates.read_crime_counts(data, name="brå.xlsx", sheet="Data")
    assert result.accepted[["area_id", "period", "count"]].values.tolist() == [["0114", "2024", 3]]
    assert [(r.file, r.row, r.field, r.value) for r in result.rejected] == [
        ("brå.xlsx", 3, "Antal", "2.5")]
    assert "Läste bladet 'Data'" in result.notes[0]


# --- SCB Statistikdatabasen exports as Excel ------------------------------------------------

TITLE = ["Folkmängd efter region, kön och år"]
FOOTER = [[], ["Källa: SCB, Befolkningsstatistik"], ["Senaste uppdatering: 2025-02-21"],
          ["..: uppgift saknas"]]


def population(result) -> dict[tuple[str, int, str], int]:
    return {(a, y, s): p for a, y, s, p in
            result.accepted[["area_id", "year", "sex", "population"]].itertuples(index=False)}


def test_scb_years_as_columns_and_sex_as_a_column():
    data = xlsx([TITLE, [], ["region", "kön", "2023", "2024"],
                 ["0114 Upplands Väsby", "män", 25000, 25100],
                 ["0114 Upplands Väsby", "kvinnor", 24000, ".."], *FOOTER])
    result = aggregates.read_population(data, name="scb.xlsx")
    assert population(result) == {
        ("0114", 2023, "M"): 25000, ("0114", 2024, "M"): 25100, ("0114", 2023, "K"): 24000,
        ("0114", 2023, "T"): 49000}
    assert [(r.row, r.field, r.value) for r in result.rejected] == [(5, "2024", "..")]
    assert "saknas i källan" in result.rejected[0].reason
    assert result.notes[:2] == [
        "Raden 1 ovanför tabellen hoppades över (rubrik: 'Folkmängd efter region, kön och år'); "
        "tabellens rubrikrad är rad 3.",
        "3 rader under tabellen hoppades över som fotnoter (rad 7–9, t.ex. 'Källa: SCB, "
        "Befolkningsstatistik')."]


def test_scb_sex_by_year_merged_header():
    data = xlsx([TITLE, ["region", "2023", None, "2024", None],
                 [None, "män", "kvinnor", "män", "kvinnor"],
                 ["2417 Norsjö", 2010, 1990, 2000, 1950],
                 ["Sorsele", 1300, 1200, 1290, 1190], *FOOTER])
    result = aggregates.read_population(data, name="scb.xlsx")
    got = population(result)
    assert got[("2417", 2023, "M")] == 2010 and got[("2417", 2024, "K")] == 1950
    assert got[("2422", 2023, "T")] == 2500 and got[("2417", 2024, "T")] == 3950
    assert len(got) == 12 and result.rejected == []
    assert "Rubriken står på två rader (2–3) och slogs ihop, t.ex. '2023 män'." in result.notes
    assert any("Sorsele' → 2422" in n for n in result.notes)


def test_scb_sex_above_years_merged_header_with_a_bad_cell():
    data = xlsx([["region", "kvinnor", None, "män", None],
                 [None, "2023", "2024", "2023", "2024"],
                 ["2417", 1, 2, 3, "tre"]])
    result = aggregates.read_population(data, name="scb.xlsx")
    assert population(result) == {("2417", 2023, "K"): 1, ("2417", 2024, "K"): 2,
                                  ("2417", 2023, "M"): 3, ("2417", 2023, "T"): 4}
    assert [(r.row, r.field) for r in result.rejected] == [(3, "män 2024")]


def test_scb_grouped_layout_with_unnamed_stub_columns():
    # PX-Web's Excel layout: the stub columns have no heading, a region only on its first row
    data = xlsx([TITLE, [], [None, None, "2023", "2024"],
                 ["0114 Upplands Väsby", "män", 25000, 25100],
                 [None, "kvinnor", 24000, 24100],
                 ["Region Gotland", "män", 30000, 30100],
                 [None, "kvinnor", 29000, 29100], *FOOTER])
    result = aggregates.read_population(data, name="scb.xlsx")
    got = population(result)
    assert got[("0114", 2024, "K")] == 24100 and got[("0980", 2023, "K")] == 29000
    assert got[("0980", 2024, "T")] == 59200 and len(got) == 12
    assert result.columns == {"area_id": "region (kolumn A)", "sex": "kön (kolumn B)"}
    for note in ("Kolumn A saknar rubrik; den lästes som region.",
                 "Kolumn B saknar rubrik; den lästes som kön.",
                 "Regionen stod bara på gruppens första rad; den fördes ned till 2 rader."):
        assert note in result.notes


def test_scb_region_and_years_only_are_totals():
    data = xlsx([["Folkmängd efter region och år"], ["region", "2023", "2024"],
                 ["2417 Norsjö", 4000, 3950], ["00 Riket", 10_551_707, 10_587_710]])
    result = aggregates.read_population(data, name="scb.xlsx")
    # the country's row is kept as the national reference (area "00"), not rejected
    assert population(result) == {("2417", 2023, "T"): 4000, ("2417", 2024, "T"): 3950,
                                  ("00", 2023, "T"): 10_551_707, ("00", 2024, "T"): 10_587_710}
    assert not result.rejected
    assert "Filen anger inget kön; talen lästes som totalt (T)." in result.notes


def test_scb_sex_twice_is_refused():
    with pytest.raises(InputError, match="Könet står både i kolumnen 'kön'") as err:
        aggregates.read_population(xlsx([["region", "kön", "2023 män"], ["2417", "män", 1]]),
                                   name="scb.xlsx")
    assert err.value.row == 1 and err.value.field == "kön"


@pytest.mark.parametrize(("header", "parsed"), [
    ("2023", (2023, None)), ("2023 män", (2023, "M")), ("kvinnor 2024", (2024, "K")),
    ("Folkmängd 2023", (2023, None)), ("2023 totalt", (2023, "T")), ("2023_män", (2023, "M")),
    ("Folkmängd, män, 2022", (2022, "M")),
    ("region", None), ("2023 2024", None), ("2023 ålder", None), ("20231", None),
])
def test_year_header(header, parsed):
    assert aggregates.year_header(header) == parsed
