"""The format readers in lagesbild.sources: exact accepted values and exact rejected rows."""

from __future__ import annotations

import pandas as pd
import pytest
from pyproj import Transformer

from lagesbild.core import schema
from lagesbild.core.errors import InputError
from lagesbild.sources import aggregates, incidents, programmes

READERS = {
    "crime_counts": aggregates.read_crime_counts,
    "population": aggregates.read_population,
    "indicators": aggregates.read_indicators,
    "incidents": incidents.read_police_extract,
    "sites": programmes.read_sites,
    "activity": programmes.read_activity,
    "actions": programmes.read_actions,
}


def rejected_rows(result) -> list[tuple[int, str]]:
    return [(r.row, r.field) for r in result.rejected]


def reason(result, row: int) -> str:
    return " | ".join(r.reason for r in result.rejected if r.row == row)


# --- every reader: the same clear errors ----------------------------------------------------

@pytest.mark.parametrize("reader", READERS.values(), ids=READERS.keys())
def test_empty_file(reader):
    with pytest.raises(InputError, match="tom") as err:
        reader(b"", name="tom.csv")
    assert "tom.csv" in str(err.value)


@pytest.mark.parametrize("reader", READERS.values(), ids=READERS.keys())
def test_binary_bytes_under_csv_name(reader):
    with pytest.raises(InputError, match="binära") as err:
        reader(b"PK\x03\x04\x00\x00\x08\x00" * 20, name="bild.csv")
    assert "bild.csv" in str(err.value)


@pytest.mark.parametrize("reader", READERS.values(), ids=READERS.keys())
def test_wrong_separator_names_expected_columns(make_csv, reader):
    # A pipe-separated file: the header is one column, nothing the readers know is found.
    with pytest.raises(InputError) as err:
        reader(make_csv("Kommunkod|År|Kön|Antal|Namn\n2417|2024|K|5|x\n"), name="pipe.csv")
    msg = str(err.value)
    assert "pipe.csv" in msg and "rad 1" in msg
    assert "Förväntade" in msg or "årskolumner" in msg.casefold()
    assert err.value.fix


def test_missing_column_message_lists_aliases(make_csv):
    data = make_csv("Kommun;Kommunkod;År;Kön;Antal\nNorsjö;2417;2024;K;5\n")
    with pytest.raises(InputError) as err:
        aggregates.read_crime_counts(data, name="brå.csv")
    msg = str(err.value)
    assert "fil brå.csv" in msg and "rad 1" in msg and "fält 'category'" in msg
    assert "Brottskategori / Brottstyp / Brott" in msg
    assert "avgränsningstecken" not in msg


# --- Brå crime counts -----------------------------------------------------------------------

CRIME = """Kommun;Kommunkod;År;Brottskategori;Kön;Antal
Norsjö;2417;2024;Misshandel;Kvinnor;1 234
Norsjö;2417;2024;Misshandel;Män;12
Norsjö;2417;2024;Misshandel;Totalt;1 246
Upplands Väsby;114;2023;Misshandel;Totalt;3
Norsjö;2417;2024;Misshandel;Män;5
Norsjö;2417;2024;Misshandel;Vet ej;5
Norsjö;2417;24;Misshandel;Totalt;5
Norsjö;2417;2023;Misshandel;Totalt;-3
Norsjö;2417;2023;Olaga hot;Totalt;2,5
Norsjö;2417;2023;;Totalt;2
Norsjö;Norsjö;2023;Olaga hot;Totalt;2
"""


def test_crime_counts_exact(make_csv):
    result = aggregates.read_crime_counts(make_csv(CRIME, "utf-8-sig"), name="brå.csv")
    acc = result.accepted
    assert acc[["area_id", "period", "category", "sex", "count"]].values.tolist() == [
        ["2417", "2024", "Misshandel", "K", 1234],
        ["2417", "2024", "Misshandel", "M", 12],
        ["2417", "2024", "Misshandel", "T", 1246],
        ["0114", "2023", "Misshandel", "T", 3],
    ]
    assert acc["_line"].tolist() == [2, 3, 4, 5]
    assert rejected_rows(result) == [
        (6, "Brottskategori"), (7, "Kön"), (8, "År"), (9, "Antal"), (10, "Antal"),
        (11, "Brottskategori"), (12, "Kommunkod")]
    assert all(r.file == "brå.csv" for r in result.rejected)
    assert "tidigare rad" in reason(result, 6)
    assert "kön" in reason(result, 7) and "årtal" in reason(result, 8)
    assert "heltal" in reason(result, 9) and "heltal" in reason(result, 10)
    assert "saknas" in reason(result, 11) and "fyra siffror" in reason(result, 12)
    assert result.dataset.table == "incident_counts" and result.dataset.kind == "crime_counts"
    assert result.dataset.file == "brå.csv" and result.dataset.period == "2023–2024"
    assert len(schema.conform(acc, "incident_counts")) == 4


def test_crime_counts_without_sex_column_are_totals(make_csv):
    result = aggregates.read_crime_counts(
        make_csv("Kommunkod,År,Brott,Antal\n2417,2024,Rån,4\n"), name="k.csv")
    assert result.accepted[["area_id", "sex", "count"]].values.tolist() == [["2417", "T", 4]]
    assert result.rejected == []


def test_crime_counts_all_rejected_gives_empty_result(make_csv):
    result = aggregates.read_crime_counts(
        make_csv("Kommunkod;År;Brottskategori;Antal\nx;2024;Rån;4\n"), name="k.csv")
    assert len(result.accepted) == 0 and rejected_rows(result) == [(2, "Kommunkod")]
    assert result.dataset.period == ""


# --- SCB population -------------------------------------------------------------------------

POPULATION = '''"region","kön","2023","2024"
"2417 Norsjö","män","2 010","2 000"
"2417 Norsjö","kvinnor","1 990","1 950"
"0114 Upplands Väsby","män","25000",".."
"0114 Upplands Väsby","kvinnor","24000","24500"
"Okänd","män","1","2"
"2422 Sorsele","okänt","1","2"
'''


def test_population_wide_format_total_is_k_plus_m(make_csv):
    result = aggregates.read_population(make_csv(POPULATION, "cp1252"), name="scb.csv")
    got = {(a, y, s): p for a, y, s, p in
           result.accepted[["area_id", "year", "sex", "population"]].itertuples(index=False)}
    assert got == {
        ("2417", 2023, "M"): 2010, ("2417", 2024, "M"): 2000,
        ("2417", 2023, "K"): 1990, ("2417", 2024, "K"): 1950,
        ("2417", 2023, "T"): 4000, ("2417", 2024, "T"): 3950,
        ("0114", 2023, "M"): 25000, ("0114", 2023, "K"): 24000, ("0114", 2024, "K"): 24500,
        ("0114", 2023, "T"): 49000,
        # no ("0114", 2024, "T"): the men's figure is missing, a total of women only would be wrong
    }
    assert rejected_rows(result) == [(4, "2024"), (6, "region"), (7, "kön")]
    assert "tal" in reason(result, 4) and "fyra siffror" in reason(result, 6)
    assert result.dataset.period == "2023–2024" and result.dataset.table == "population"
    # derived totals have no file line of their own
    totals = result.accepted[result.accepted["sex"] == "T"]
    assert totals["_line"].isna().all()
    assert result.accepted.loc[result.accepted["sex"] != "T", "_line"].notna().all()
    schema.conform(result.accepted, "population")


def test_population_keeps_given_totals(make_csv):
    data = make_csv("region;kön;2024\n2417;män;10\n2417;kvinnor;12\n2417;totalt;23\n")
    result = aggregates.read_population(data, name="scb.csv")
    rows = result.accepted.sort_values("sex")[["sex", "population"]].values.tolist()
    assert rows == [["K", 12], ["M", 10], ["T", 23]]  # the file's total wins, not K + M = 22


def test_population_duplicate_rows(make_csv):
    data = make_csv("region;kön;2024\n2417;män;10\n2417;män;11\n2417;kvinnor;12\n")
    result = aggregates.read_population(data, name="scb.csv")
    assert rejected_rows(result) == [(3, "region")]
    assert "tidigare rad" in reason(result, 3)
    totals = result.accepted[result.accepted["sex"] == "T"]["population"].tolist()
    assert totals == [22]


def test_population_without_year_columns(make_csv):
    with pytest.raises(InputError, match="årskolumner") as err:
        aggregates.read_population(make_csv("region;kön;folkmängd\n2417;män;3\n"), name="p.csv")
    assert "p.csv" in str(err.value) and "rad 1" in str(err.value)


# --- survey indicators ----------------------------------------------------------------------

INDICATORS = """Kommunkod;År;Indikator;Kön;Andel (%);Antal svarande
2417;2024;otrygghet;Kvinnor;24,5;120
2417;2024;otrygghet;Män;100,1;100
2417;2024;otrygghet;Totalt;-1;200
2417;2024;okand;Totalt;5;200
2417;2024;otrygghet;Kvinnor;30;120
2417;2024;utsatt_hot;Totalt;0;0
2417;2024;utsatt_hot;Män;100;1
0114;2023;utsatt_hot;Män;0 %;1 000
2417;2024;utsatt_hot;Kvinnor;5;2,5
"""


def test_indicators_exact(make_csv):
    result = aggregates.read_indicators(make_csv(INDICATORS, "utf-8-sig"), name="enkät.csv",
                                        known={"otrygghet", "utsatt_hot"})
    acc = result.accepted
    assert acc[["area_id", "period", "indicator_id", "sex", "value", "n"]].values.tolist() == [
        ["2417", "2024", "otrygghet", "K", 24.5, 120],
        ["2417", "2024", "utsatt_hot", "M", 100.0, 1],
        ["0114", "2023", "utsatt_hot", "M", 0.0, 1000],
    ]
    assert (acc["unit"] == "percent").all()
    assert rejected_rows(result) == [(3, "Andel (%)"), (4, "Andel (%)"), (5, "Indikator"),
                                     (6, "Indikator"), (7, "Antal svarande"),
                                     (10, "Antal svarande")]
    assert "100" in reason(result, 3) and "100" in reason(result, 4)
    assert "okänd indikator" in reason(result, 5) and "otrygghet, utsatt_hot" in reason(result, 5)
    assert "tidigare rad" in reason(result, 6) and "minst 1" in reason(result, 7)
    out = schema.conform(acc, "indicators")
    assert out["ci_low"].isna().all() and str(out["value"].dtype) == "Float64"


def test_indicators_without_known_list_accepts_any_id(make_csv):
    result = aggregates.read_indicators(make_csv(INDICATORS), name="e.csv")
    assert "okand" in set(result.accepted["indicator_id"])


# --- police extract -------------------------------------------------------------------------

POLICE = """Ärendenummer;Brottsdatum;Brottsbenämning;Målsägandes kön;Nära relation;Latitud;Longitud
5000-K1-24;2024-03-15 21:40;Misshandel;Kvinna;Ja;64,9;19,5
5000-K2-24;2024-02-30 10:00;Misshandel;Man;Nej;64,9;19,5
5000-K3-24;2023-12-31 23:59;Olaga hot;;;64,91;19,51
5000-K1-24;2024-03-17 01:00;Olaga hot;Man;Nej;64,9;19,5
5000-K4-24;2024-03-17 01:00;Olaga hot;Man;Nej;40,0;19,5
5000-K5-24;2024-03-17 01:00;Olaga hot;Annat;Nej;64,9;19,5
5000-K6-24;2024-03-17 01:00;Olaga hot;Man;Kanske;64,9;19,5
;2024-03-17 01:00;Olaga hot;Man;Nej;64,9;19,5
5000-K7-24;2024-03-17 01:00;Olaga hot;Man;Nej;64,9;
"""


def test_police_extract_exact(make_csv):
    result = incidents.read_police_extract(make_csv(POLICE, "cp1252"), name="polis.csv")
    acc = result.accepted
    assert acc.crs == schema.CRS_STORE
    assert acc["incident_id"].tolist() == ["5000-K1-24", "5000-K3-24"]
    assert acc["_line"].tolist() == [2, 4]
    assert acc["occurred_at"].tolist() == [pd.Timestamp("2024-03-15 21:40"),
                                           pd.Timestamp("2023-12-31 23:59")]
    assert acc["year"].tolist() == [2024, 2023]
    assert acc["category"].tolist() == ["Misshandel", "Olaga hot"]
    assert acc["victim_sex"].iloc[0] == "K" and pd.isna(acc["victim_sex"].iloc[1])
    assert acc["relation"].iloc[0] is True and pd.isna(acc["relation"].iloc[1])
    assert (acc["precision"] == "point").all() and acc["area_id"].isna().all()
    to3006 = Transformer.from_crs(schema.CRS_WEB, schema.CRS_STORE, always_xy=True)
    x, y = to3006.transform(19.5, 64.9)
    assert acc.geometry.iloc[0].x == pytest.approx(x, abs=0.01)
    assert acc.geometry.iloc[0].y == pytest.approx(y, abs=0.01)
    assert rejected_rows(result) == [(3, "Brottsdatum"), (5, "Ärendenummer"), (6, "Latitud"),
                                     (7, "Målsägandes kön"), (8, "Nära relation"),
                                     (9, "Ärendenummer"), (10, "Longitud")]
    assert "datumformat" in reason(result, 3) and "tidigare rad" in reason(result, 5)
    assert "utanför Sverige" in reason(result, 6)
    assert result.dataset.period == "2023–2024" and result.dataset.kind == "incidents"
    out = schema.conform(acc, "incidents")
    assert out["relation"].tolist()[0] is True and out["relation"].isna().tolist() == [False, True]


def test_police_extract_point_decimals_and_comma_separator(make_csv):
    data = make_csv("Diarienummer,Datum,Brott,Lat,Lon\nA-1,20240101,Rån,64.9,19.5\n", "utf-8")
    result = incidents.read_police_extract(data, name="p.csv")
    assert result.accepted["incident_id"].tolist() == ["A-1"]
    assert result.accepted["victim_sex"].isna().all()  # optional columns absent
    assert result.rejected == []


def test_police_extract_swapped_lat_lon(make_csv):
    data = make_csv("Ärendenummer;Brottsdatum;Brottsbenämning;Latitud;Longitud\n"
                    "A-1;2024-01-01;Rån;19,5;64,9\nA-2;2024-01-01;Rån;20,1;63,8\n", "cp1252")
    with pytest.raises(InputError, match="bytt plats") as err:
        incidents.read_police_extract(data, name="polis.csv")
    msg = str(err.value)
    assert "polis.csv" in msg and "rad 2" in msg and "Latitud" in msg
    assert "Longitud" in err.value.fix


def test_police_extract_one_swapped_row_is_rejected_not_fatal(make_csv):
    data = make_csv("Ärendenummer;Brottsdatum;Brottsbenämning;Latitud;Longitud\n"
                    "A-1;2024-01-01;Rån;64,9;19,5\nA-2;2024-01-01;Rån;19,5;64,9\n"
                    "A-3;2024-01-01;Rån;64,8;19,4\n")
    result = incidents.read_police_extract(data, name="p.csv")
    assert result.accepted["incident_id"].tolist() == ["A-1", "A-3"]
    assert rejected_rows(result) == [(3, "Latitud")]


def test_police_extract_all_rows_rejected(make_csv):
    data = make_csv("Ärendenummer;Brottsdatum;Brottsbenämning;Latitud;Longitud\n"
                    "A-1;2024-02-30;Rån;64,9;19,5\n")
    result = incidents.read_police_extract(data, name="p.csv")
    assert len(result.accepted) == 0 and rejected_rows(result) == [(2, "Brottsdatum")]
    assert result.dataset.period == ""
    assert len(schema.conform(result.accepted, "incidents")) == 0


# --- sites, programme activity, actions -----------------------------------------------------

SITES = """Enhets-ID;Namn;Typ;Kommunkod;Latitud;Longitud;Elever i målgrupp
S1;Centralskolan;Grundskola;2417;64,9;19,5;120
S2;Fritidsgården Åsele;fritidsgård;0114;64,9;19,5;
S3;Kyrkan;kyrka;2417;64,9;19,5;1
S1;Dubblett;grundskola;2417;64,9;19,5;3
S4;Y;gymnasium;2417;19,5;64,9;3
S5;Z;parklek;24;64,9;19,5;3
S6;Ö;parklek;2417;64,9;19,5;-2
"""


def test_sites_exact(make_csv):
    result = programmes.read_sites(make_csv(SITES, "cp1252"), name="skolor.csv")
    acc = result.accepted
    assert acc.crs == schema.CRS_STORE
    assert acc[["site_id", "name", "kind", "area_id", "eligible_pupils"]].values.tolist() == [
        ["S1", "Centralskolan", "grundskola", "2417", 120],
        ["S2", "Fritidsgården Åsele", "fritidsgård", "0114", 0],
    ]
    assert rejected_rows(result) == [(4, "Typ"), (5, "Enhets-ID"), (6, "Latitud"),
                                     (7, "Kommunkod"), (8, "Elever i målgrupp")]
    assert "grundskola" in reason(result, 4)  # the allowed kinds are listed
    assert "tidigare rad" in reason(result, 5) and "utanför Sverige" in reason(result, 6)
    schema.conform(acc, "sites")


ACTIVITY = """Enhets-ID;Program;Termin;Status;Klasser;Elever som nåtts;Personal utbildad
S1;MVP;ht 2024;Genomförs;3;66;4
S1;MVP;VT2024;planerad;;;
S1;MVP;HT2024;genomförs;1;1;1
S2;MVP;HT24;genomförs;1;1;1
S2;MVP;VT2025;pausad;1;1;1
S2;MVP;VT2025;genomförs;1;-1;1
"""


def test_activity_exact(make_csv):
    result = programmes.read_activity(make_csv(ACTIVITY, "cp1252"), name="mvp.csv")
    acc = result.accepted
    assert acc[["site_id", "programme", "period", "status", "classes", "pupils_reached",
                "staff_trained"]].values.tolist() == [
        ["S1", "MVP", "HT2024", "genomförs", 3, 66, 4],
        ["S1", "MVP", "VT2024", "planerad", 0, 0, 0],
    ]
    assert rejected_rows(result) == [(4, "Enhets-ID"), (5, "Termin"), (6, "Status"),
                                     (7, "Elever som nåtts")]
    assert "HT2024" in reason(result, 5) and "genomförs" in reason(result, 6)
    assert result.dataset.period == "VT2024–HT2024"  # spring comes before autumn
    assert acc["area_id"].isna().all()


ACTIONS = """Åtgärds-ID;Fokusområde;Insats;Ansvarig;Period;Status;Kommunkoder;Indikatorer
A1;Våldsförebyggande arbete;Införa MVP;Utbildning;2023–2026;pågår;2417, 114;otrygghet
A2;kunskap;Grundutbildning;;;Ej påbörjad;;
A3;Okänt område;X;;;pågår;;
A1;kunskap;Dubblett;;;pågår;;
A4;samverkan;Y;;;klar;;
A5;Tidig upptäckt av våld;Z;;;pågår;2417;
A6;Collaboration;W;;;pågår;24;
"""


def test_actions_exact(make_csv):
    result = programmes.read_actions(make_csv(ACTIONS, "utf-8-sig"), name="åtgärder.csv")
    acc = result.accepted
    assert acc[["action_id", "focus_area", "title", "responsible", "period", "status",
                "area_ids", "indicator_ids"]].values.tolist() == [
        ["A1", "valdsforebyggande", "Införa MVP", "Utbildning", "2023–2026", "pågår",
         "2417,0114", "otrygghet"],
        ["A2", "kunskap", "Grundutbildning", "", "", "ej påbörjad", "", ""],
        # a focus area of the municipality's own is kept as written (Kalmar's six are examples)
        ["A3", "Okänt område", "X", "", "", "pågår", "", ""],
        ["A5", "tidig_upptackt", "Z", "", "", "pågår", "2417", ""],
    ]
    assert rejected_rows(result) == [(5, "Åtgärds-ID"), (6, "Status"), (8, "Kommunkoder")]
    schema.conform(acc, "actions")


@pytest.mark.parametrize(("reader", "text"), [
    (programmes.read_sites, "Enhets-ID;Namn;Typ;Kommunkod;Latitud;Longitud\nS1;X;kyrka;2417;64;19\n"),
    (programmes.read_activity, "Enhets-ID;Program;Termin;Status;Elever som nåtts\nS1;MVP;HT;genomförs;3\n"),
    (programmes.read_actions, "ID;Fokusområde;Insats;Status\nA1;x;y;kanske\n"),
    (aggregates.read_indicators,
     "Kommunkod;År;Indikator;Kön;Andel;n\n2417;2024;x;K;101;5\n"),
])
def test_all_rows_rejected_gives_empty_result(make_csv, reader, text):
    result = reader(make_csv(text), name="x.csv")
    assert len(result.accepted) == 0
    assert [r.row for r in result.rejected] == [2]


# --- exports with title rows, footnotes, names ------------------------------------------------

@pytest.mark.parametrize("reader", READERS.values(), ids=READERS.keys())
def test_every_reader_skips_titles_and_footnotes_and_says_so(make_csv, reader):
    heads = {
        aggregates.read_crime_counts: "Kommunkod;År;Brottskategori;Antal\n2417;2024;Rån;3",
        aggregates.read_population: "region;kön;2024\n2417;män;3",
        aggregates.read_indicators: "Kommunkod;År;Indikator;Kön;Andel;n\n2417;2024;x;K;3;10",
        incidents.read_police_extract: "Ärendenummer;Datum;Brott;Latitud;Longitud\n"
                                       "A;2024-01-01;Rån;64,9;19,5",
        programmes.read_sites: "Enhets-ID;Namn;Typ;Kommunkod;Latitud;Longitud\n"
                               "S1;X;grundskola;2417;64,9;19,5",
        programmes.read_activity: "Enhets-ID;Program;Termin;Status;Elever som nåtts\n"
                                  "S1;MVP;HT2024;genomförs;3",
        programmes.read_actions: "ID;Fokusområde;Insats;Status\nA1;kunskap;y;pågår",
    }
    text = f"Rapport från systemet\n\n{heads[reader]}\n\nKälla: egen sammanställning\n"
    result = reader(make_csv(text, "cp1252"), name="r.csv")
    assert len(result.accepted) >= 1 and result.rejected == []
    assert int(result.accepted["_line"].iloc[0]) == 4
    assert any("ovanför tabellen" in n and "rubrikrad är rad 3" in n for n in result.notes)
    assert any("fotnoter (rad 6" in n for n in result.notes)


def test_population_csv_with_sex_and_year_in_the_headers(make_csv):
    text = ('"Folkmängd efter region, kön och år"\n'
            '"region";"2023 män";"2023 kvinnor";"2024 män";"2024 kvinnor"\n'
            '"2417 Norsjö";"2 010";"1 990";"2 000";"1 950"\n'
            '"Sorsele";"1 300";"1 200";"..";"1 190"\n')
    result = aggregates.read_population(make_csv(text, "cp1252"), name="scb.csv")
    got = {(a, y, s): p for a, y, s, p in
           result.accepted[["area_id", "year", "sex", "population"]].itertuples(index=False)}
    assert got[("2417", 2023, "T")] == 4000 and got[("2422", 2023, "T")] == 2500
    assert ("2422", 2024, "T") not in got and got[("2422", 2024, "K")] == 1190
    assert rejected_rows(result) == [(4, "2024 män")]


def test_indicators_with_kommun_names(make_csv):
    data = make_csv("Område;År;Indikator;Kön;Andel;n\nNorsjö kommun;2024;x;K;3;10\n"
                    "Norsjö stad;2024;x;M;3;10\n")
    result = aggregates.read_indicators(data, name="e.csv")
    assert result.accepted["area_id"].tolist() == ["2417", "2417"]
    assert any("matchades mot 1 kommun" in n for n in result.notes)
