"""lagesbild.sources.text_decoding: å/ä/ö are never stored as mojibake, line numbers stay right.

Files are made the way they go wrong in an office: a UTF-8 export with one line edited and saved
by an old program (Windows-1252), a Windows-1252 file with a pasted UTF-8 line, a line from a Mac
or DOS program, a file converted to UTF-8 twice.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lagesbild.core.errors import InputError
from lagesbild.sources import aggregates, fast_read, incidents, raw_tables
from lagesbild.sources import tables as t
from lagesbild.sources.text_decoding import decode_lines

POPULATION = ['"region";"kön";"2024"',
              '"1480 Göteborg";"män";"300 000"',
              '"1480 Göteborg";"kvinnor";"301 000"',
              '"1280 Malmö";"män";"180 000"',
              '"1280 Malmö";"kvinnor";"181 000"',
              '"2584 Kiruna";"män";"12 000"',
              '"2584 Kiruna";"kvinnor";"11 000"']


def lines_as(lines: list[str], encodings: dict[int, str], default: str = "utf-8") -> bytes:
    """The lines (1-based numbers) each in its own encoding, CRLF line ends as Excel writes."""
    return b"".join(ln.encode(encodings.get(i, default)) + b"\r\n"
                    for i, ln in enumerate(lines, start=1))


def population(result) -> dict[tuple[str, str], int]:
    acc = result.accepted
    return {(a, s): int(p) for a, s, p in acc[["area_id", "sex", "population"]]
            .itertuples(index=False) if s != "T"}


def test_a_utf8_file_with_one_windows_1252_line_keeps_every_letter():
    data = lines_as(POPULATION, {4: "cp1252"})  # line 4 edited in an old program
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    result = aggregates.read_population(data, name="scb.csv")
    assert population(result) == {("1480", "M"): 300000, ("1480", "K"): 301000,
                                  ("1280", "M"): 180000, ("1280", "K"): 181000,
                                  ("2584", "M"): 12000, ("2584", "K"): 11000}
    assert result.rejected == []
    note = next(n for n in result.notes if "Windows-1252" in n)
    assert note.startswith("Rad 4 är inte sparad som UTF-8") and "'1280 Malmö'" in note
    raw = t.read_table(data, name="scb.csv")
    assert raw.encoding == "utf-8"
    assert raw.rows["region"].tolist()[:4] == ["1480 Göteborg", "1480 Göteborg", "1280 Malmö",
                                               "1280 Malmö"]
    assert raw.rows["_line"].tolist() == [2, 3, 4, 5, 6, 7]
    assert not any("Ã" in v for v in raw.rows["region"])


def test_a_line_from_a_mac_program_is_rejected_on_its_own_row():
    # Mac Roman 'ö' is 0x9A, 'š' in Windows-1252: a guess would store 'Malmš'
    data = lines_as(POPULATION, {5: "mac_roman"})
    result = aggregates.read_population(data, name="scb.csv")
    assert [(r.row, r.field) for r in result.rejected] == [(5, "")]
    why = result.rejected[0].reason
    assert "inte sparad som UTF-8" in why and "Malmš" in why and "CSV UTF-8" in why
    assert result.rejected[0].value.startswith("1280 Malm")
    assert ("1280", "K") not in population(result)
    assert population(result)[("1280", "M")] == 180000
    assert population(result)[("1480", "K")] == 301000  # Göteborg intact around it


def test_two_encodings_inside_one_line_are_rejected_not_half_mojibake():
    line = "1480 Göteborg".encode() + b";" + "Malmö".encode("cp1252") + b";1\r\n"
    data = "namn;namn2;antal\r\n".encode() + line + "Åre;Åre;2\r\n".encode()
    raw = t.read_table(data, name="x.csv")
    assert raw.rows["namn"].tolist() == ["Åre"]
    assert [(r.row, r.value[:16]) for r in raw.ragged] == [(2, "1480 GÃ¶teborg;M")]
    assert "inte sparad som UTF-8" in raw.ragged[0].reason


def test_a_windows_1252_file_with_one_pasted_utf8_line():
    data = lines_as(POPULATION, {6: "utf-8"}, default="cp1252")
    result = aggregates.read_population(data, name="scb.csv")
    assert population(result)[("2584", "M")] == 12000
    raw = t.read_table(data, name="scb.csv")
    assert raw.encoding == "cp1252"
    assert raw.rows["region"].tolist() == [ln.split(";")[0].strip('"') for ln in POPULATION[1:]]
    assert any(n.startswith("Rad 6 är sparad som UTF-8, inte Windows-1252") for n in raw.notes)


def test_a_pasted_utf8_name_in_a_windows_1252_file_is_read_as_utf8():
    lines = ["Kommun;Antal", "Göteborg;5", "Malmö;6", "Umeå;7"]
    data = lines_as(lines, {3: "utf-8"}, default="cp1252")
    raw = t.read_table(data, name="k.csv")
    assert raw.rows["Kommun"].tolist() == ["Göteborg", "Malmö", "Umeå"]
    assert raw.ragged == []


def test_a_bom_file_with_one_windows_1252_line_is_no_traceback():
    data = b"\xef\xbb\xbf" + lines_as(POPULATION, {3: "cp1252"})
    raw = t.read_table(data, name="scb.csv")
    assert raw.encoding == "utf-8-sig"
    assert raw.rows["region"].tolist()[1] == "1480 Göteborg"
    assert any(n.startswith("Rad 3 är") for n in raw.notes)


def test_a_double_encoded_file_is_refused_naming_the_first_line():
    text = "\r\n".join(POPULATION) + "\r\n"
    data = text.encode("utf-8").decode("cp1252").encode("utf-8")  # 'Ã¶' in the bytes
    with pytest.raises(InputError) as err:
        aggregates.read_population(data, name="scb.csv")
    assert err.value.row == 1 and err.value.file == "scb.csv"  # 'kön' is the first
    message = str(err.value)
    assert "dubbelkodad" in message and "'kÃ¶n' ska troligen vara 'kön'" in message
    assert "Ingen rad i filen har rätt å/ä/ö" in message and "CSV UTF-8" in err.value.fix


def test_a_double_encoded_line_in_a_good_file_is_rejected():
    lines = list(POPULATION)
    lines[4] = lines[4].encode("utf-8").decode("cp1252")  # '"1280 MalmÃ¶";…'
    result = aggregates.read_population(lines_as(lines, {}), name="scb.csv")
    assert [r.row for r in result.rejected] == [5]
    assert "'1280 MalmÃ¶' ska troligen vara '1280 Malmö'" in result.rejected[0].reason
    assert ("1280", "K") not in population(result) and ("1480", "K") in population(result)


@pytest.mark.parametrize("word", ["Ã…re", "SkÃ¤rholmen", "Â°C", "Ã–rebro"])
def test_every_kind_of_mojibake_is_found(word):
    data = f"namn;antal\r\nGöteborg;1\r\n{word};2\r\n".encode()
    raw = t.read_table(data, name="x.csv")
    assert raw.rows["namn"].tolist() == ["Göteborg"]
    assert [r.row for r in raw.ragged] == [3]


def test_a_dos_file_is_refused_not_stored_with_quotes_for_letters():
    data = lines_as(POPULATION, {}, default="cp850")  # 'Malmö' reads 'Malm”' in Windows-1252
    with pytest.raises(InputError, match="DOS-kodning") as err:
        t.read_table(data, name="dos.csv")
    assert err.value.row == 1 and "'kön'" not in str(err.value)  # the header's 'kön' is 'k”n'


def test_an_undefined_byte_rejects_its_row_only():
    data = b"a;b\r\nx;1\r\n\x81\x81;2\r\n\xe5;3\r\n"
    raw = t.read_table(data, name="x.csv")
    assert raw.encoding == "cp1252"
    assert raw.rows["a"].tolist() == ["x", "å"]
    assert [(r.row, "okänd teckenkodning" in r.reason) for r in raw.ragged] == [(3, True)]
    with pytest.raises(InputError, match="teckenkodning") as err:
        t.decode(data, "x.csv")  # a file that must decode whole (JSON) names the line
    assert err.value.row == 3


def test_a_bad_header_line_is_an_error_not_a_rejection():
    data = "Kommun;Län\r\n".encode("mac_roman") + "Göteborg;Västra Götaland\r\n".encode()
    with pytest.raises(InputError, match="Rubrikraden") as err:
        t.read_table(data, name="x.csv")
    assert err.value.row == 1


def test_a_quoted_record_over_two_lines_is_rejected_at_its_first_line():
    data = ('namn;antal\r\n"Göteborg";1\r\n"Malmö\r\n'.encode()
            + 'Malmö (norra)"'.encode("mac_roman") + b";2\r\n" + "Umeå;3\r\n".encode())
    raw = t.read_table(data, name="x.csv")
    assert raw.rows["namn"].tolist() == ["Göteborg", "Umeå"]
    assert raw.rows["_line"].tolist() == [2, 5]
    assert [r.row for r in raw.ragged] == [3]


def test_title_and_footer_lines_in_another_encoding_do_not_matter():
    lines = ["Folkmängd efter region", "", *POPULATION, "", "Källa: SCB"]
    data = lines_as(lines, {1: "mac_roman", 11: "mac_roman"})
    raw = t.read_table(data, name="scb.csv")
    assert raw.header_line == 3 and len(raw.rows) == 6 and raw.ragged == []


def test_strict_decode_refuses_a_mixed_file():
    with pytest.raises(InputError, match="Rad 2 är inte sparad som UTF-8"):
        t.decode(lines_as(["{", '"namn": "Malmö",', '"län": "Skåne"', "}"],
                          {2: "cp1252"}), "svar.json")


def police(rows: int, odd: dict[int, str]) -> bytes:
    head = "Ärendenummer;Brottsdatum;Brottsbenämning;Latitud;Longitud"
    lines = [head] + [f"5000-K{i}-24;2024-03-15 21:40;{'Våldtäkt' if i % 2 else 'Rån'};64,9;19,5"
                      for i in range(2, rows + 2)]
    return lines_as(lines, odd)


def test_a_large_utf8_file_with_one_odd_line_goes_the_fast_way(monkeypatch):
    data = police(30_000, {20_001: "cp1252", 25_000: "mac_roman"})
    assert len(data) > 1 << 20
    calls = []
    real = fast_read.fast_table
    monkeypatch.setattr(fast_read, "fast_table", lambda *a, **k: calls.append(1) or real(*a, **k))
    fast = incidents.read_police_extract(data, name="polis.csv", fast=True)
    slow = incidents.read_police_extract(data, name="polis.csv", fast=False)
    assert calls and fast.rejected == slow.rejected
    assert [r.row for r in fast.rejected] == [25_000]
    assert len(fast.accepted) == 30_000 - 1
    assert fast.accepted["category"].value_counts().to_dict() == {"Våldtäkt": 15_000,
                                                                 "Rån": 14_999}
    line = fast.accepted.set_index("_line")
    assert line.loc[20_001, "incident_id"] == "5000-K20001-24"
    assert line.loc[20_001, "category"] == "Våldtäkt"
    assert any("Rad 20001 är inte sparad som UTF-8" in n for n in fast.notes)


def test_a_large_windows_1252_file_has_no_python_per_line(monkeypatch):
    data = police(30_000, {}).decode().encode("cp1252")
    seen = []
    real = raw_tables.decode_lines.__globals__["_line_spans"]
    monkeypatch.setitem(raw_tables.decode_lines.__globals__, "_line_spans",
                        lambda text, pos: seen.append(list(pos)) or real(text, []))
    decoded = decode_lines(data, "polis.csv")
    assert decoded.encoding == "cp1252" and decoded.text == data.decode("cp1252")
    assert seen == [[]]  # no line was looked at on its own


@pytest.mark.parametrize(("every", "odd", "majority"), [(3, "cp1252", "utf-8"),
                                                        (3, "utf-8", "cp1252")])
def test_lines_alternating_between_encodings_each_read_in_their_own(every, odd, majority):
    names = ["Göteborg", "Malmö", "Umeå", "Åre", "Örebro", "Skövde"] * 40
    lines = ["Kommun;Antal", *(f"{n};{i}" for i, n in enumerate(names))]
    data = lines_as(lines, {i: odd for i in range(2, len(lines) + 1, every)},
                    default="cp1252" if odd == "utf-8" else "utf-8")
    raw = t.read_table(data, name="k.csv")
    assert raw.encoding == majority
    assert raw.rows["Kommun"].tolist() == names and raw.ragged == []
    assert raw.rows["_line"].tolist() == list(range(2, len(lines) + 1))


# --- the real SCB list of 290 kommuner, hand-edited the way it happens -----------------------

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "population" / \
    "population_2024_kommun.csv"
needs_real = pytest.mark.skipif(not REAL.exists(), reason=f"{REAL} is not on this machine")


@needs_real
def test_real_kommun_list_with_one_line_saved_by_an_old_program():
    from lagesbild.sources import population_csv

    data = REAL.read_bytes()
    clean = population_csv.read_population_simple(data, name="befolkning.csv", year=2024)
    lines = data.split(b"\n")
    k = next(i for i, ln in enumerate(lines) if "Österåker".encode() in ln)
    lines[k] = lines[k].decode().encode("cp1252")
    mixed = population_csv.read_population_simple(b"\n".join(lines), name="befolkning.csv",
                                                   year=2024)
    figures = ["area_id", "population"]
    assert mixed.accepted[figures].values.tolist() == clean.accepted[figures].values.tolist()
    assert len(mixed.accepted) == 290 and mixed.rejected == clean.rejected
    assert any(n.startswith(f"Rad {k + 1} är inte sparad som UTF-8") and "Österåker" in n
               for n in mixed.notes)


@needs_real
def test_real_kommun_list_double_encoded_is_refused():
    data = REAL.read_bytes().decode("utf-8").encode("utf-8").decode("cp1252").encode("utf-8")
    with pytest.raises(InputError, match="Ingen rad i filen har rätt å/ä/ö") as err:
        t.read_table(data, name="befolkning.csv")
    assert err.value.row == 2 and "'Upplands VÃ¤sby' ska troligen vara 'Upplands Väsby'" \
        in str(err.value)
