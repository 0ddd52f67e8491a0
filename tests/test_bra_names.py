"""Brå kommun tables with kommun names instead of codes (lagesbild.sources.kommun_names)."""

from __future__ import annotations

import pytest

from lagesbild.core.errors import InputError
from lagesbild.sources import aggregates
from lagesbild.sources import kommun_names as kn


def test_official_list_has_290_kommuner_with_string_codes():
    names = kn.kommuner()
    assert len(names) == 290
    assert names["0114"] == "Upplands Väsby" and names["2417"] == "Norsjö"
    assert names["0980"] == "Gotland" and names["2023"] == "Malung-Sälen"


@pytest.mark.parametrize(("text", "code"), [
    ("Upplands Väsby", "0114"), ("upplands-väsby", "0114"), ("UPPLANDS VÄSBY", "0114"),
    ("Upplands  väsby", "0114"), ("upplandsväsby", "0114"), ("Upplands-Bro", "0139"),
    ("upplands bro", "0139"), ("Malung-Sälen", "2023"), ("malung sälen", "2023"),
    ("Region Gotland", "0980"), ("Gotlands kommun", "0980"), ("Stockholms stad", "0180"),
    ("Göteborgs Stad", "1480"), ("Malmö stad", "1280"), ("Falu kommun", "2080"),
    ("Norsjö kommun", "2417"), ("Marks kommun", "1463"), ("Grums kommun", "1764"),
    ("Borås Stad", "1490"), ("Habo", "0643"), ("Håbo", "0305"), ("Upplands Vasby", "0114"),
    ("Örebro", "1880"), ("Östra Göinge", "1256"), ("Dals-Eds kommun", "1438"),
])
def test_match_kommun(text, code):
    assert kn.match_kommun(text) == code


@pytest.mark.parametrize(("text", "words"), [
    ("Uplands Väsby", ["okänt kommunnamn 'Uplands Väsby'", "närmast: Upplands Väsby (0114)",
                       "Upplands-Bro (0139)", "fyra siffror"]),
    ("Nosjö", ["närmast: Norsjö (2417)"]),
    ("Atlantis", ["inget liknande kommunnamn"]),
    ("Stockholms län", ["är ett län, inte en kommun"]),
    ("Riket", ["gäller hela riket"]), ("Hela landet", ["gäller hela riket"]),
    ("Habo kommun ", []),  # accepted, see below
])
def test_match_kommun_refuses_with_candidates(text, words):
    if not words:
        assert kn.match_kommun(text) == "0643"
        return
    with pytest.raises(ValueError) as err:
        kn.match_kommun(text)
    for word in words:
        assert word in str(err.value)


def test_name_without_diacritics_that_fits_two_kommuner_is_refused():
    # 'Hábo' folds to 'habo' without its accent, which is both Habo and Håbo
    with pytest.raises(ValueError, match="Håbo \\(0305\\) eller Habo \\(0643\\); skriv å, ä och ö"):
        kn.match_kommun("Hábo")


@pytest.mark.parametrize(("text", "code"), [
    ("0114", "0114"), ("114", "0114"), ("0114 Upplands Väsby", "0114"), ("2417.0", "2417"),
    ("Upplands Väsby", "0114"), ("  norsjö ", "2417"),
])
def test_kommun_code_or_name(text, code):
    assert kn.kommun_code_or_name(text) == code


@pytest.mark.parametrize(("text", "words"), [
    ("01 Stockholms län", "län eller riket"), ("00 Riket", "län eller riket"),
    ("24170", "fyra siffror"), ("0114A0010", "fyra siffror"), ("", "saknas"),
])
def test_kommun_code_or_name_refuses(text, words):
    with pytest.raises(ValueError, match=words):
        kn.kommun_code_or_name(text)


# --- read_crime_counts with names -----------------------------------------------------------

NAMES = """Region;Brottstyp;År;Antal
Upplands Väsby;Misshandel;2024;12
upplands-väsby;Olaga hot;2024;4
UPPLANDS VÄSBY;Våldtäkt;2024;1
Malung-Sälen;Misshandel;2024;3
Region Gotland;Misshandel;2024;20
0114 Upplands Väsby;Rån;2024;2
Uplands Väsby;Misshandel;2023;1
Stockholms län;Misshandel;2024;900
Norsjö;Misshandel;2024;
"""


def test_crime_counts_with_kommun_names(make_csv):
    result = aggregates.read_crime_counts(make_csv(NAMES, "cp1252"), name="brå.csv")
    assert result.accepted[["_line", "area_id", "category", "count"]].values.tolist() == [
        [2, "0114", "Misshandel", 12], [3, "0114", "Olaga hot", 4], [4, "0114", "Våldtäkt", 1],
        [5, "2023", "Misshandel", 3], [6, "0980", "Misshandel", 20], [7, "0114", "Rån", 2]]
    assert [(r.file, r.row, r.field, r.value) for r in result.rejected] == [
        ("brå.csv", 8, "Region", "Uplands Väsby"), ("brå.csv", 9, "Region", "Stockholms län"),
        ("brå.csv", 10, "Antal", "")]
    assert "närmast: Upplands Väsby (0114)" in result.rejected[0].reason
    assert "län" in result.rejected[1].reason
    # six spellings (Norsjö's row failed later, on its count) of four kommuner
    assert "6 kommunnamn i kolumnen 'Region' matchades mot 4 kommuner " \
           "(t.ex. 'Upplands Väsby' → 0114)." in result.notes
    assert result.columns["area_id"] == "Region"  # later area checks name the user's column


def test_codes_win_over_names_when_both_are_there(make_csv):
    data = make_csv("Kommun;Kommunkod;År;Brott;Antal\nNorsjö;2417;2024;Rån;1\nx;Norsjö;2024;Rån;1\n")
    result = aggregates.read_crime_counts(data, name="k.csv")
    assert result.accepted["area_id"].tolist() == ["2417"]
    assert [(r.row, r.field) for r in result.rejected] == [(3, "Kommunkod")]
    assert "fyra siffror" in result.rejected[0].reason
    assert not any("matchades" in n for n in result.notes)


def test_names_can_be_chosen_by_mapping(make_csv):
    data = make_csv("Kommunkod;Plats;År;Brott;Antal\n;Norsjö;2024;Rån;1\n")
    result = aggregates.read_crime_counts(data, name="k.csv",
                                          mapping={"area_id": None, "area_name": "Plats"})
    assert result.accepted["area_id"].tolist() == ["2417"]


BRA_EXPORT = """Anmälda brott efter region, brottstyp och år
\t\t\t
Region\tBrottstyp\t2023\t2024
Norsjö\tMisshandel\t5\t..
Sorsele\tMisshandel\t1 234\t3
Sorsele\tMisshandel\t1\t1
\t\t\t
Källa: Brottsförebyggande rådet
Senaste uppdatering: 2025-03-27
"""


def test_bra_export_with_one_column_per_year(make_csv):
    result = aggregates.read_crime_counts(make_csv(BRA_EXPORT, "utf-8-sig"), name="brå.tsv")
    assert result.accepted[["_line", "area_id", "period", "category", "sex", "count"]] \
        .values.tolist() == [[4, "2417", "2023", "Misshandel", "T", 5],
                             [5, "2422", "2023", "Misshandel", "T", 1234],
                             [5, "2422", "2024", "Misshandel", "T", 3]]
    assert [(r.row, r.field, r.value) for r in result.rejected] == [
        (4, "2024", ".."), (6, "Brottstyp", "2422 / 2023 / Misshandel / T"),
        (6, "Brottstyp", "2422 / 2024 / Misshandel / T")]
    assert result.dataset.period == "2023–2024"
    assert "Ett år per kolumn: 2023, 2024." in result.notes
    assert any("fotnoter" in n and "Brottsförebyggande rådet" in n for n in result.notes)


def test_year_columns_with_a_period_column_missing_count_is_named(make_csv):
    with pytest.raises(InputError) as err:
        aggregates.read_crime_counts(make_csv("Kommunkod;År;Brott;2024\n2417;2024;Rån;1\n"),
                                     name="k.csv")
    assert err.value.field == "count"


def test_no_kommun_column_at_all(make_csv):
    with pytest.raises(InputError) as err:
        aggregates.read_crime_counts(make_csv("Plats;År;Brott;Antal\nx;2024;Rån;1\n"), name="k.csv")
    msg = str(err.value)
    assert "area_id (Kommunkod" in msg and "area_name (Kommun" in msg
    assert err.value.field == "area_id/area_name"


def test_plain_population_list_with_kommun_names(make_csv):
    from lagesbild.sources.population_csv import read_population_simple

    data = make_csv("Kommun;Folkmängd\nNorsjö;4 070\nupplands-väsby;50 295\nAtlantis;1\n")
    result = read_population_simple(data, name="pop.csv", year=2024)
    assert result.accepted[["area_id", "population"]].values.tolist() == [
        ["2417", 4070], ["0114", 50295]]
    assert [(r.row, r.field) for r in result.rejected] == [(4, "Kommun")]
