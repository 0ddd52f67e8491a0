"""Excel workbooks get the zip limits of zipped shapefiles, a cap on what one sheet holds, and a
MemoryError never surfaces as a traceback. Every workbook here is small on disk and in memory."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile

import pytest

from test_scb_layouts import xlsx

from lagesbild.core.errors import InputError
from lagesbild.sources import aggregates, spreadsheet, zip_limits
from lagesbild.sources import tables as t

SHEET = "xl/worksheets/sheet1.xml"
HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.'
        'openxmlformats.org/spreadsheetml/2006/main">')


workbook = xlsx  # a workbook of the given rows (test_scb_layouts)


def with_sheet(data: bytes, chunks) -> bytes:  # noqa: ANN001
    """`data` with its first sheet's XML replaced by the streamed `chunks` (bytes)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename == SHEET:
                with dst.open(SHEET, "w", force_zip64=True) as fh:
                    for chunk in chunks:
                        fh.write(chunk)
            else:
                dst.writestr(info, src.read(info))
    return out.getvalue()


POPULATION = [["region", "kön", "2024"], ["1480 Göteborg", "män", 300_000],
              ["1480 Göteborg", "kvinnor", 301_000]]


def test_a_zip_bomb_workbook_is_refused_before_openpyxl_unpacks_it():
    def bomb():
        yield HEAD.encode() + b"<sheetData>"
        for _ in range(40):  # 40 MB of identical empty styled rows pack to about 40 kB
            yield b'<row><c s="0"/><c s="0"/><c s="0"/><c s="0"/></row>' * 20_000
        yield b"</sheetData></worksheet>"

    tracemalloc.start()
    data = with_sheet(workbook(POPULATION), bomb())
    assert len(data) < 200_000
    with pytest.raises(InputError) as err:
        aggregates.read_population(data, name="folkmängd.xlsx")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 20_000_000  # the test itself never holds the unpacked sheet
    message = str(err.value)
    assert message.startswith("fil folkmängd.xlsx: 'xl/worksheets/sheet1.xml' i Excel-filen är "
                              "packad mer än 100 gånger")
    assert "zip-bomb" in message and "Spara bladet som CSV" in err.value.fix
    with pytest.raises(InputError, match="zip-bomb"):
        t.sheet_names(data, name="folkmängd.xlsx")  # the import wizard's first look too


def test_a_workbook_over_the_total_size_is_refused(monkeypatch):
    monkeypatch.setattr(zip_limits, "MAX_UNZIPPED_BYTES", 20_000)
    with pytest.raises(InputError, match="Excel-filen blir .* uppackad; högst 0,0 MB") as err:
        t.read_table(workbook(POPULATION * 100), name="stor.xlsx")
    assert err.value.file == "stor.xlsx"


def test_a_forged_size_in_the_zip_header_stops_at_the_declared_size():
    rows = [["region", "antal"]] + [[f"{i:04d} Ort", i] for i in range(3000)]
    data = bytearray(workbook(rows))
    entry = data.index(b"PK\x01\x02")  # the central directory
    while True:  # patch the sheet's declared uncompressed size to 1 kB
        name_len = struct.unpack_from("<H", data, entry + 28)[0]
        if data[entry + 46:entry + 46 + name_len] == SHEET.encode():
            struct.pack_into("<I", data, entry + 24, 1000)
            break
        extra, comment = struct.unpack_from("<HH", data, entry + 30)
        entry += 46 + name_len + extra + comment
    with pytest.raises(InputError, match="Excel-filen kan inte läsas") as err:
        t.read_table(bytes(data), name="förfalskad.xlsx")
    assert "CRC" in str(err.value) or "Bad" in str(err.value)


def test_a_declared_dimension_of_the_whole_sheet_reads_only_what_is_there():
    # a stray format in XFD1048576 makes Excel declare 17 billion cells; openpyxl would pad
    # every row to 16 384 cells and every sheet to 1 048 576 rows
    data = workbook(POPULATION)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        xml = zf.read(SHEET)
    declared = xml.replace(b'<dimension ref="A1:C3"/>', b'<dimension ref="A1:XFD1048576"/>')
    assert declared != xml
    result = aggregates.read_population(with_sheet(data, [declared]), name="scb.xlsx")
    got = result.accepted.set_index(["area_id", "sex"])["population"].to_dict()
    assert got == {("1480", "M"): 300_000, ("1480", "K"): 301_000, ("1480", "T"): 601_000}


def test_a_sheet_of_styled_empty_cells_is_capped(monkeypatch):
    monkeypatch.setattr(spreadsheet, "MAX_SHEET_CELLS", 100_000)
    monkeypatch.setattr(zip_limits, "RATIO_MIN_BYTES", 1 << 30)  # the cap holds on its own
    row = b"<row>" + b'<c s="0"/>' * 16_383 + b'<c s="0"><v>1</v></c></row>'  # A..XFD

    def sheet():
        yield HEAD.encode() + b'<sheetData><row><c t="inlineStr"><is><t>region</t></is></c>' \
            b'<c t="inlineStr"><is><t>antal</t></is></c></row>'
        for _ in range(10):
            yield row
        yield b"</sheetData></worksheet>"

    with pytest.raises(InputError) as err:
        t.read_table(with_sheet(workbook(POPULATION), sheet()), name="formaterad.xlsx")
    assert err.value.row == 8  # 1 + 16 384 × 6 rows > 100 000 cells on sheet row 8
    assert "Bladet 'Sheet' är för stort för att läsas: fler än 100 000 celler" in str(err.value)
    assert "CSV" in err.value.fix


def test_more_rows_than_excel_allows_is_refused(monkeypatch):
    monkeypatch.setattr(spreadsheet, "MAX_SHEET_ROWS", 50)
    rows = [["region", "antal"]] + [[f"{i:04d} Ort", i] for i in range(60)]
    with pytest.raises(InputError, match="fler än 50 rader") as err:
        t.read_table(workbook(rows), name="lång.xlsx")
    assert err.value.row == 51


@pytest.mark.parametrize("where", ["load", "cells"])
def test_a_memory_error_is_a_clear_message_not_a_traceback(monkeypatch, where):
    def out_of_memory(*args, **kwargs):
        raise MemoryError

    if where == "load":
        import openpyxl

        monkeypatch.setattr(openpyxl, "load_workbook", out_of_memory)
    else:
        monkeypatch.setattr(spreadsheet, "cell_text", out_of_memory)
    with pytest.raises(InputError) as err:
        aggregates.read_population(workbook(POPULATION), name="scb.xlsx")
    assert "är för stort för att läsas (minnet tog slut)" in str(err.value)
    assert err.value.file == "scb.xlsx" and "Spara bladet som CSV" in err.value.fix


def test_runs_of_empty_rows_keep_the_row_numbers_of_the_data():
    rows = [["region", "antal"], ["0114 Upplands Väsby", 5]] + [[None]] * 500 + \
        [["2417 Norsjö", 7]]
    raw = t.read_table(workbook(rows), name="glesa.xlsx")
    assert raw.rows[["region", "antal"]].values.tolist() == [["0114 Upplands Väsby", "5"],
                                                             ["2417 Norsjö", "7"]]
    assert raw.rows["_line"].tolist() == [2, 503]
