"""lagesbild.sources.population_csv: plain population lists per kommun -> population (sex T)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from conftest import csv_bytes

from lagesbild.core import schema
from lagesbild.core.errors import InputError
from lagesbild.sources.population_csv import read_population_simple

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "population"


def rows(result) -> list[tuple]:
    f = result.accepted
    return [(int(line), area, int(year), sex, int(pop)) for line, area, year, sex, pop in
            zip(f["_line"], f["area_id"], f["year"], f["sex"], f["population"])]


def test_year_from_the_caller_and_codes_keep_zeros():
    data = csv_bytes("kommun_kod,kommun_namn,population\n0114,Upplands Väsby,50295\n"
                     "114,Upplands Väsby igen,1\n2417,Norsjö,4 070\n2418,Malå,-3\n2419,X,\n")
    result = read_population_simple(data, name="pop.csv", year=2024)
    assert rows(result) == [(2, "0114", 2024, "T", 50295), (4, "2417", 2024, "T", 4070)]
    assert [(r.row, r.field, r.value) for r in result.rejected] == [
        (3, "kommun_kod", "0114 / 2024"), (5, "population", "-3"), (6, "population", "")]
    assert "tidigare rad" in result.rejected[0].reason
    assert result.dataset.table == "population" and result.dataset.period == "2024"
    assert result.columns["area_id"] == "kommun_kod"
    assert list(schema.conform(result.accepted, "population")["area_id"]) == ["0114", "2417"]


def test_year_column_in_swedish_excel_dialect():
    data = csv_bytes("Kommun;År;Folkmängd\n2417 Norsjö;2023;4 100\n2417 Norsjö;2024;4 070\n",
                     "cp1252")
    result = read_population_simple(data, name="pop.csv")
    assert rows(result) == [(2, "2417", 2023, "T", 4100), (3, "2417", 2024, "T", 4070)]
    assert result.dataset.period == "2023–2024"


def test_year_column_disagreeing_with_the_given_year_is_rejected():
    data = csv_bytes("Kommunkod;År;Folkmängd\n2417;2023;4100\n2417;2024;4070\n")
    result = read_population_simple(data, name="pop.csv", year=2024)
    assert rows(result) == [(3, "2417", 2024, "T", 4070)]
    assert [(r.row, r.field) for r in result.rejected] == [(2, "År")]
    assert "skiljer sig" in result.rejected[0].reason


@pytest.mark.parametrize(("text", "year", "match"), [
    ("kommun_kod,population\n0114,5\n", None, "Året saknas"),
    ("kommun_kod,population\n0114,5\n", 24, "Ogiltigt år"),
    ("kod;namn\n0114;Väsby\n", 2024, "population"),
])
def test_clear_errors(text, year, match):
    with pytest.raises(InputError, match=match) as err:
        read_population_simple(csv_bytes(text), name="pop.csv", year=year)
    assert "pop.csv" in str(err.value)


@pytest.mark.realdata
def test_real_kommun_population_list():
    path = REAL / "population_2024_kommun.csv"
    if not path.exists():
        pytest.skip(f"{path} finns inte (../shared/data saknas i den här klonen)")
    with path.open(encoding="utf-8", newline="") as f:
        records = list(csv.DictReader(f))
    result = read_population_simple(path, year=2024)
    assert result.rejected == [] and len(result.accepted) == len(records) == 290
    assert result.accepted["area_id"].str.fullmatch(r"\d{4}").all()
    assert {"0114", "0180", "1480", "2417"} <= set(result.accepted["area_id"])
    assert int(result.accepted["population"].sum()) == sum(int(r["population"]) for r in records)
    assert dict(zip(result.accepted["area_id"], result.accepted["population"])) == {
        r["kommun_kod"]: int(r["population"]) for r in records}
    assert set(result.accepted["sex"]) == {"T"} and set(result.accepted["year"]) == {2024}
