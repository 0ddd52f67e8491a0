"""SCB/Brå Excel exports as they come: title, unit and extraction rows above the header (some with
two values), footnotes below, a two-row header, PX-Web's unnamed stub columns. Either the table is
found and its figures read, or the error names the row read as the header and what was there."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from lagesbild.core.errors import InputError
from lagesbild.sources import aggregates, programmes
from lagesbild.sources import tables as t

TITLE = ["Folkmängd efter region, kön och år"]
HEADER = ["region", "kön", 2023, 2024]  # years stored as numbers, as PX-Web's Excel does
DATA = [["0180 Stockholm", "män", 490_000, 491_000], ["0180 Stockholm", "kvinnor", 500_000, 501_000],
        ["1480 Göteborg", "män", 300_000, 301_000], ["1480 Göteborg", "kvinnor", 302_000, 303_000]]
FIGURES = {("0180", 2023, "M"): 490_000, ("0180", 2024, "M"): 491_000,
           ("0180", 2023, "K"): 500_000, ("0180", 2024, "K"): 501_000,
           ("1480", 2023, "M"): 300_000, ("1480", 2024, "M"): 301_000,
           ("1480", 2023, "K"): 302_000, ("1480", 2024, "K"): 303_000}
FOOTER = [[], ["Källa: SCB, Befolkningsstatistik"], ["Folkmängden avser den 31 december."]]


def xlsx(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def figures(result) -> dict[tuple[str, int, str], int]:
    return {(a, y, s): p for a, y, s, p in result.accepted[
        ["area_id", "year", "sex", "population"]].itertuples(index=False) if s != "T"}


@pytest.mark.parametrize(("rows", "header_line", "skipped"), [
    # the plain SCB shape: title, blank, header, data, footnotes
    ([TITLE, [], HEADER, *DATA, *FOOTER], 3, "Raden 1"),
    # a title block with two values on a row ('Tabellinnehåll: | Folkmängd')
    ([TITLE, ["Tabellinnehåll:", "Folkmängd"], [], HEADER, *DATA, *FOOTER], 4, "Raderna 1–2"),
    # the unit far to the right of the title
    ([["Folkmängd 31 december", None, None, "Antal personer"], [], HEADER, *DATA, *FOOTER], 3,
     "Raden 1"),
    # extraction date and unit as label/value rows
    ([TITLE, ["Uttag:", "2025-03-01"], ["Enhet:", "antal"], [], HEADER, *DATA, *FOOTER], 5,
     "Raderna 1–3"),
])
def test_title_rows_above_the_header(rows, header_line, skipped):
    result = aggregates.read_population(xlsx(rows), name="folkmängd.xlsx")
    assert figures(result) == FIGURES
    assert result.rejected == []
    assert any(n.startswith(f"{skipped} ovanför tabellen hoppades över") and
               n.endswith(f"tabellens rubrikrad är rad {header_line}.") for n in result.notes)
    assert any("under tabellen hoppades över som fotnoter" in n for n in result.notes)


def test_label_value_footnotes_right_below_the_data_are_not_rows():
    rows = [TITLE, HEADER, *DATA, ["Källa:", "SCB"], ["Senast uppdaterad:", "2025-02-21"]]
    result = aggregates.read_population(xlsx(rows), name="folkmängd.xlsx")
    assert figures(result) == FIGURES and result.rejected == []
    assert "2 rader under tabellen hoppades över som fotnoter (rad 7–8, t.ex. 'Källa:')." \
        in result.notes


def test_pxweb_shape_unnamed_stub_columns_and_region_on_the_first_row_of_its_group():
    rows = [TITLE, [], [None, None, 2023, 2024],
            DATA[0], [None, *DATA[1][1:]], DATA[2], [None, *DATA[3][1:]], *FOOTER]
    result = aggregates.read_population(xlsx(rows), name="px.xlsx")
    assert figures(result) == FIGURES and result.rejected == []
    assert result.columns == {"area_id": "region (kolumn A)", "sex": "kön (kolumn B)"}


def test_two_row_header_year_over_sex_with_the_stub_heading_below():
    rows = [TITLE, [None, 2023, None, 2024, None], ["region", "män", "kvinnor", "män", "kvinnor"],
            ["0180 Stockholm", 490_000, 500_000, 491_000, 501_000],
            ["1480 Göteborg", 300_000, 302_000, 301_000, 303_000], *FOOTER]
    result = aggregates.read_population(xlsx(rows), name="px.xlsx")
    assert figures(result) == FIGURES and result.rejected == []
    assert "Rubriken står på två rader (2–3) och slogs ihop, t.ex. '2023 män'." in result.notes


def test_no_header_found_names_the_row_read_as_header_and_what_was_there():
    rows = [["Folkmängd", "31 december 2024"], *DATA]  # the header row was deleted
    with pytest.raises(InputError) as err:
        aggregates.read_population(xlsx(rows), name="folkmängd.xlsx")
    assert err.value.row == 1 and err.value.file == "folkmängd.xlsx"
    assert "Som rubrikrad lästes rad 1 i bladet 'Sheet', med: Folkmängd, 31 december 2024, " \
        "(tom kolumn C), (tom kolumn D)." in str(err.value)
    assert "ta bort raderna ovanför den" in err.value.fix and "--column" in err.value.fix


def test_no_year_columns_names_the_header_guess():
    rows = [TITLE, ["Område", "Kön", "Antal"], ["0180 Stockholm", "män", 5]]
    with pytest.raises(InputError, match="Inga årskolumner") as err:
        aggregates.read_population(xlsx(rows), name="folkmängd.xlsx")
    assert "Som rubrikrad lästes rad 2 i bladet 'Sheet', med: Område, Kön, Antal." \
        in str(err.value)
    assert err.value.row == 2


# --- the files that would make the title rule silently wrong ---------------------------------

def test_all_text_rows_below_a_full_header_stay_data(make_csv):
    # an action plan: every cell text, one later row with a number; the header is row 1
    text = ("ID;Fokusområde;Insats;Status\nA1;kunskap;Utbildning;pågår\n"
            "A2;samverkan;Belysning i parken;pågår\nA3;samverkan;Trygghetsvandring;3\n")
    raw = t.read_table(make_csv(text), name="åtgärder.csv")
    assert raw.header_line == 1 and raw.rows["ID"].tolist() == ["A1", "A2", "A3"]
    result = programmes.read_actions(make_csv(text), name="åtgärder.csv")
    assert result.accepted["action_id"].tolist()[:2] == ["A1", "A2"]


def test_a_header_with_an_unnamed_column_above_wider_text_rows_stays_the_header():
    rows = [["ID", None, "Insats", "Status"], ["A1", "kunskap", "Utbildning", "pågår"],
            ["A2", "trygghet", "Belysning", "klar"]]
    raw = t.read_table(xlsx(rows), name="åtgärder.xlsx")
    assert raw.header_line == 1 and raw.rows["ID"].tolist() == ["A1", "A2"]
