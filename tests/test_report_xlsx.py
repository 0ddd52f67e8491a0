"""The Excel workbook: "Om rapporten" first, one sheet per table with safe unique names, no
formula anywhere (hostile text neutralised), numbers as numbers, the same hidden cells as
layer_figures and never their true values."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pandas as pd
import pytest

from lagesbild.core.csv_out import neutralise
from lagesbild.core.i18n import sex_label
from lagesbild.report.model import Report, Section, Table
from lagesbild.report.xlsx import safe_text, sheet_name, to_xlsx

from test_report_build import (CREATED, HOSTILE_GOAL, HOSTILE_NOTE, SMALL_LAYER, SNAPSHOT,
                               demo_inputs, demo_report, suppressed_cells)

HEADER_ROW = 4


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Report:
    return demo_report(tmp_path_factory)


@pytest.fixture(scope="module")
def workbook(report: Report) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(to_xlsx(report)))


def values(ws) -> list[list[object]]:  # noqa: ANN001
    return [list(r) for r in ws.iter_rows(values_only=True)]


def sheet_frame(ws) -> pd.DataFrame:  # noqa: ANN001
    rows = values(ws)[HEADER_ROW - 1:]
    return pd.DataFrame(rows[1:], columns=rows[0], dtype=object)  # None stays None


def find_sheet(workbook: openpyxl.Workbook, title: str):  # noqa: ANN201
    return next(ws for ws in workbook.worksheets[1:] if ws["A1"].value == title)


def test_about_sheet_first(workbook: openpyxl.Workbook, report: Report) -> None:
    about = workbook.worksheets[0]
    assert about.title == "Om rapporten"
    facts = {r[0]: r[1] for r in values(about) if r[0]}
    assert facts["Titel"] == report.title and facts["Område"] == "Norsjö (2417)"
    assert facts["Period"] == "2024" and facts["Målgrupp"].startswith("Bred spridning")
    assert facts["Skapad"].date() == CREATED and facts["Ögonblicksbild"] == SNAPSHOT
    column_b = [r[1] for r in values(about)]
    assert all(source in column_b for source in report.sources)
    # the caveats (and every other text of the report) are there
    for paragraph in report.section("kallor").paragraphs:
        assert safe_text(paragraph) in column_b


def test_one_sheet_per_table_with_safe_unique_names(workbook: openpyxl.Workbook,
                                                    report: Report) -> None:
    tables = report.all_tables()
    sheets = workbook.worksheets[1:]
    assert len(sheets) == len(tables)
    names = [ws.title for ws in sheets]
    assert len({n.casefold() for n in names}) == len(names)
    assert all(len(n) <= 31 and not set(n) & set("[]:*?/\\") for n in names)
    for ws, table in zip(sheets, tables):
        assert ws["A1"].value == safe_text(table.title)
        frame = sheet_frame(ws)
        assert list(frame.columns) == [safe_text(str(c)) for c in table.frame.columns]
        assert len(frame) == len(table.frame)


def test_no_formula_and_hostile_text_neutralised(workbook: openpyxl.Workbook) -> None:
    cells = [c for ws in workbook.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = [c.value for c in cells if isinstance(c.value, str)]
    assert not [t for t in texts if t != "-" and t[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert neutralise(HOSTILE_GOAL) in texts and neutralise(HOSTILE_GOAL).startswith("'=")
    assert HOSTILE_NOTE in texts  # starts with "<": no formula, kept as written
    assert "'@SUM(1+1)" in texts  # the note of the sources section


def test_numbers_stay_numbers(workbook: openpyxl.Workbook, tmp_path_factory) -> None:
    _, specs, _, _ = demo_inputs(tmp_path_factory)
    frame = sheet_frame(find_sheet(workbook, f"{specs['otrygghet'].title('sv')}, 2024"))
    assert all(isinstance(v, str) for v in frame["Kod"])  # codes stay text
    shown = frame[frame["Värde"].str.contains("%")]
    assert len(shown) and all(isinstance(v, (int, float)) for v in shown["Värde (tal)"])
    assert all(isinstance(v, int) for v in frame["Antal svarande"])


def test_same_hidden_cells_and_no_true_value(workbook: openpyxl.Workbook,
                                             tmp_path_factory) -> None:
    _, specs, _, _ = demo_inputs(tmp_path_factory)
    frame = sheet_frame(find_sheet(workbook, f"{specs[SMALL_LAYER].title('sv')}, 2024"))
    cells = suppressed_cells(tmp_path_factory)
    for c in cells:
        row = frame[(frame["Kod"] == c["area_id"]) & (frame["Kön"] == sex_label(c["sex"]))]
        assert len(row) == 1 and row["Värde"].iloc[0] == c["display"], c
        for col in ("Värde (tal)", "95 % KI, från", "95 % KI, till", "Antal"):
            assert row[col].iloc[0] is None, (c, col)
        assert c["raw"] not in list(row.iloc[0])[4:] or c["raw"] == 0
    texts = [str(v) for ws in workbook.worksheets for r in ws.iter_rows(values_only=True)
             for v in r if v is not None]
    for c in cells:
        assert c["raw"] == 0 or not [t for t in texts if c["leak"] in t], c


def test_hand_made_report_with_hostile_cells_and_names() -> None:
    hostile = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=x", "\r=y", "'=z", "-", "x\x01=y",
               "\x02=HYPERLINK(\"x\")", "a" * 40_000]
    table = Table("[Tabell]: a/b\\c*d?e" + "x" * 40, pd.DataFrame({
        "=huvud": hostile, "tal": range(len(hostile)),
        "andel": [0.5] * (len(hostile) - 1) + [None]}), note="=note")
    twin = Table("[Tabell]: a/b\\c*d?e" + "x" * 40, pd.DataFrame({"a": [1]}))
    report = Report(title="=titel", area_id="2417", area_name="@Norsjö", period="2024",
                    audience="police", lang="sv", created=date(2026, 1, 2),
                    sections=(Section("analys", "Analys", ("-1+1",), (), (table, twin)),))
    wb = openpyxl.load_workbook(io.BytesIO(to_xlsx(report)))
    names = wb.sheetnames
    assert names[0] == "Om rapporten" and len(names) == 3 and len(set(names)) == 3
    assert all(len(n) <= 31 and not set(n) & set("[]:*?/\\") for n in names)
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert not [c for c in cells if c.data_type == "f"]
    ws = wb.worksheets[1]
    frame = sheet_frame(ws)
    assert frame.columns[0] == "'=huvud" and ws["A2"].value == "'=note"
    got = list(frame["'=huvud"])
    assert got[:9] == ["'=1+1", "'+SUM(A1)", "'-2+3", "'@cmd", "'\t=x", "'\r=y", "''=z", "-",
                       "x=y"]
    assert got[9] == "'=HYPERLINK(\"x\")" and len(got[10]) == 32_767
    assert list(frame["tal"]) == list(range(len(hostile)))
    assert frame["andel"].iloc[0] == 0.5 and frame["andel"].iloc[-1] is None
    about = {r[0]: r[1] for r in wb.worksheets[0].iter_rows(values_only=True) if r[0]}
    assert about["Titel"] == "'=titel" and about["Område"] == "'@Norsjö (2417)"


def test_sheet_name() -> None:
    taken: set[str] = set()
    assert sheet_name("Karta: a/b", 1, taken) == "01 Karta a b"
    long = sheet_name("x" * 50, 2, taken)
    assert long == "02 " + "x" * 28 and len(long) == 31
    assert sheet_name("x" * 50, 2, taken) == "02 " + "x" * 24 + " (2)"
    assert sheet_name("'quoted'", 3, taken) == "03 'quoted"


def test_no_incident_coordinates(workbook: openpyxl.Workbook, tmp_path_factory) -> None:
    from pyproj import Transformer

    frames = demo_inputs(tmp_path_factory)[0]
    points = frames.incidents.dropna(subset=["x"]).head(25)
    assert len(points) == 25
    lon, lat = Transformer.from_crs("EPSG:3006", "EPSG:4326", always_xy=True).transform(
        points["x"].to_numpy(), points["y"].to_numpy())
    cells = [str(v) for ws in workbook.worksheets for r in ws.iter_rows(values_only=True)
             for v in r if v is not None]
    for a, b in zip(lon, lat):
        for text in (f"{a:.5f}", f"{b:.5f}", f"{a:.5f}".replace(".", ","),
                     f"{b:.5f}".replace(".", ",")):
            assert not [c for c in cells if text in c]
