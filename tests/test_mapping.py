"""Column mapping: every table reader takes `mapping` (canonical key -> the file's header)."""

from __future__ import annotations

import pytest

from lagesbild.core.errors import InputError
from lagesbild.sources import aggregates, incidents, population_csv, programmes
from lagesbild.sources import tables as t

# reader, its column constant, its optional constant, a file with the usual headers, kwargs,
# accepted columns to compare
CASES = {
    "incidents": (incidents.read_police_extract, incidents.COLUMNS, incidents.OPTIONAL,
                  "Ärendenummer;Brottsdatum;Brottsbenämning;Målsägandes kön;Latitud;Longitud\n"
                  "A-1;2024-03-15 21:40;Misshandel;Kvinna;64,9;19,5\n", {},
                  ["incident_id", "victim_sex", "year"]),
    "crime_counts": (aggregates.read_crime_counts, aggregates.CRIME_COLUMNS,
                     aggregates.CRIME_OPTIONAL,
                     "Kommunkod;År;Brottskategori;Kön;Antal\n2417;2024;Rån;Kvinnor;3\n", {},
                     ["area_id", "period", "category", "sex", "count"]),
    "population": (aggregates.read_population, aggregates.POPULATION_COLUMNS,
                   aggregates.POPULATION_OPTIONAL, "region;kön;2024\n2417 Norsjö;män;5\n", {},
                   ["area_id", "year", "sex", "population"]),
    "indicators": (aggregates.read_indicators, aggregates.INDICATOR_COLUMNS,
                   aggregates.INDICATOR_OPTIONAL,
                   "Kommunkod;År;Indikator;Kön;Andel;Antal svarande\n2417;2024;x;K;24,5;120\n",
                   {}, ["area_id", "indicator_id", "value", "n"]),
    "sites": (programmes.read_sites, programmes.SITE_COLUMNS, programmes.SITE_OPTIONAL,
              "Enhets-ID;Namn;Typ;Kommunkod;Latitud;Longitud;Elever\n"
              "S1;Skola;grundskola;2417;64,9;19,5;100\n", {},
              ["site_id", "name", "eligible_pupils"]),
    "activity": (programmes.read_activity, programmes.ACTIVITY_COLUMNS,
                 programmes.ACTIVITY_OPTIONAL,
                 "Enhets-ID;Program;Termin;Status;Klasser;Elever som nåtts\n"
                 "S1;MVP;HT2024;genomförs;2;40\n", {}, ["site_id", "classes", "pupils_reached"]),
    "actions": (programmes.read_actions, programmes.ACTION_COLUMNS, programmes.ACTION_OPTIONAL,
                "ID;Fokusområde;Insats;Status;Ansvarig\nA1;kunskap;Utbildning;pågår;Soc\n", {},
                ["action_id", "title", "responsible"]),
    "population_simple": (population_csv.read_population_simple, population_csv.COLUMNS,
                          population_csv.OPTIONAL, "Kommunkod;År;Folkmängd\n2417;2024;4 070\n",
                          {}, ["area_id", "year", "population"]),
}


@pytest.mark.parametrize("kind", CASES)
def test_column_constants_describe_the_reader(kind):
    _, columns, optional, *_ = CASES[kind]
    assert columns and all(isinstance(k, str) and v for k, v in columns.items())
    assert all(isinstance(a, str) for aliases in columns.values() for a in aliases)
    assert set(optional) <= set(columns)


def test_column_specs_and_groups():
    assert incidents.SPEC.one_of == (("lat", "lon"), ("northing", "easting"), ("area_code",))
    assert incidents.SPEC.required() == ["incident_id", "occurred_at", "source_category"]
    assert aggregates.CRIME_SPEC.one_of == (("area_id",), ("area_name",))
    assert aggregates.CRIME_SPEC.required() == ["period", "category", "count"]
    for spec in (aggregates.POPULATION_SPEC, aggregates.INDICATOR_SPEC, programmes.SITE_SPEC,
                 programmes.ACTIVITY_SPEC, programmes.ACTION_SPEC, population_csv.SPEC):
        assert spec.one_of == () and set(spec.required()) <= set(spec.columns)


def _renamed(text: str, names: dict[str, str]) -> str:
    head, rest = text.split("\n", 1)
    return ";".join(names.get(h, h) for h in head.split(";")) + "\n" + rest


@pytest.mark.parametrize("kind", CASES)
def test_headers_nobody_detects_are_read_through_a_mapping(make_csv, kind):
    reader, columns, optional, text, kwargs, compare = CASES[kind]
    detected = reader(make_csv(text), name="f.csv", **kwargs)
    # every header the reader found gets a name no alias matches
    names = {h: f"Egen {i}" for i, h in enumerate(detected.columns.values())}
    odd = make_csv(_renamed(text, names))
    with pytest.raises(InputError):
        reader(odd, name="f.csv", **kwargs)
    mapping = {k: names[h] for k, h in detected.columns.items() if k in columns}
    mapped = reader(odd, name="f.csv", mapping=mapping, **kwargs)
    assert mapped.accepted[compare].values.tolist() == detected.accepted[compare].values.tolist()
    assert mapped.rejected == [] and len(mapped.accepted)
    # later checks name the user's header, not the canonical key
    assert set(mapping.values()) <= set(mapped.columns.values())


@pytest.mark.parametrize("kind", CASES)
def test_mapping_to_a_header_the_file_lacks(make_csv, kind):
    reader, columns, _, text, kwargs, _ = CASES[kind]
    key = next(iter(columns))
    with pytest.raises(InputError) as err:
        reader(make_csv(text), name="f.csv", mapping={key: "Finns inte"}, **kwargs)
    msg = str(err.value)
    assert "fil f.csv" in msg and "rad 1" in msg and "fält 'Finns inte'" in msg
    assert f"Kolumnen 'Finns inte' (vald för {key}) finns inte i filen. Filen har: " in msg
    assert text.split("\n")[0].replace(";", ", ") in msg


@pytest.mark.parametrize("kind", CASES)
def test_mapping_with_a_key_the_reader_does_not_have(make_csv, kind):
    reader, columns, _, text, kwargs, _ = CASES[kind]
    with pytest.raises(InputError) as err:
        reader(make_csv(text), name="f.csv", mapping={"nonsens": "x"}, **kwargs)
    assert "'nonsens'" in str(err.value) and err.value.field == "nonsens"
    assert ", ".join(columns) in err.value.fix


def test_mapping_marks_an_optional_column_as_absent(make_csv):
    text = "Kommunkod;År;Brottskategori;Kön;Antal\n2417;2024;Rån;Kvinnor;3\n"
    result = aggregates.read_crime_counts(make_csv(text), name="f.csv", mapping={"sex": None})
    assert result.accepted["sex"].tolist() == ["T"] and "sex" not in result.columns


def test_mapping_a_required_column_as_absent_names_it(make_csv):
    text = "Kommunkod;År;Brottskategori;Antal\n2417;2024;Rån;3\n"
    with pytest.raises(InputError) as err:
        aggregates.read_crime_counts(make_csv(text), name="f.csv", mapping={"category": ""})
    assert err.value.field == "category"


def test_mapping_applies_below_a_title_row(make_csv):
    text = "Anmälda brott 2024\nKod;Tid;Typ;Summa\n2417;2024;Rån;3\n"
    result = aggregates.read_crime_counts(make_csv(text), name="f.csv", mapping={
        "area_id": "Kod", "period": "Tid", "category": "Typ", "count": "Summa"})
    assert result.accepted[["area_id", "count"]].values.tolist() == [["2417", 3]]
    with pytest.raises(InputError) as err:
        aggregates.read_crime_counts(make_csv(text), name="f.csv", mapping={"area_id": "Kommun"})
    assert err.value.row == 2  # the header line, below the title


def test_preview_gives_headers_for_a_mapping_form(make_csv):
    text = "Titel\nKod;Tid;Typ;Summa\n2417;2024;Rån;3\n"
    raw = t.read_header_and_preview(make_csv(text), name="f.csv", rows=5)
    guessed = t.guess_columns(raw, aggregates.CRIME_COLUMNS)
    assert raw.header == ["Kod", "Tid", "Typ", "Summa"] and guessed == {"area_id": "Kod"}
