"""lagesbild.sources.kolada: Kolada answers -> indicators; the paginating client."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from replay_support import Canned, FakeClock, ReplayServer

from lagesbild.core import schema
from lagesbild.core.errors import InputError
from lagesbild.sources.clients import _api
from lagesbild.sources.clients.kolada import KoladaClient
from lagesbild.sources.kolada import read_kolada


def answer(*records: dict, **extra: object) -> bytes:
    return json.dumps({"count": len(records), "values": list(records), **extra},
                      ensure_ascii=False).encode("utf-8")


def record(kpi: str, municipality: object, period: object, *values: tuple) -> dict:
    return {"kpi": kpi, "municipality": municipality, "period": period,
            "values": [{"count": 1, "gender": g, "status": s, "value": v} for g, v, s in values]}


def rows(result) -> list[tuple]:
    f = result.accepted
    return [(int(line), area, period, ind, sex, float(value)) for line, area, period, ind, sex, value
            in zip(f["_line"], f["area_id"], f["period"], f["indicator_id"], f["sex"], f["value"])]


def rejected(result) -> list[tuple[int, str, str, str]]:
    return [(r.row, r.field, r.value, r.reason) for r in result.rejected]


# --- reader ----------------------------------------------------------------------------------

def test_v2_answer_to_indicators_with_nulls_rejected():
    data = answer(
        record("N00945", "0180", 2023, ("K", 38.5, ""), ("M", 41.0, ""), ("T", 39.7, "")),
        record("N00945", 180, "2024", ("K", None, "Missing"), ("M", 40, "B"), ("T", None, "")),
    )
    result = read_kolada(data, name="kolada.json", kpi_map={"N00945": "trygghet_kvall"})
    assert rows(result) == [
        (1, "0180", "2023", "trygghet_kvall", "K", 38.5),
        (1, "0180", "2023", "trygghet_kvall", "M", 41.0),
        (1, "0180", "2023", "trygghet_kvall", "T", 39.7),
        (2, "0180", "2024", "trygghet_kvall", "M", 40.0),
    ]
    assert rejected(result) == [
        (2, "value", "null", "värde saknas (status 'Missing') för N00945, 0180, 2024, kön K."),
        (2, "value", "null", "värde saknas (status tom) för N00945, 0180, 2024, kön T."),
    ]
    f = result.accepted
    assert set(f["unit"]) == {"kolada"} and f["n"].isna().all() and f["ci_low"].isna().all()
    assert result.dataset.table == "indicators" and result.dataset.kind == "kolada"
    assert result.dataset.file == "kolada.json" and result.dataset.period == "2023–2024"
    assert result.dataset.description == "Kolada: N00945"
    assert "1 värden har status 'B' men lästes in." in result.notes
    conformed = schema.conform(f, "indicators")
    assert list(conformed["area_id"]) == ["0180"] * 4 and conformed["n"].isna().all()


def test_unmapped_kpis_keep_their_id_and_periods_are_strings():
    result = read_kolada(answer(record("U00402", "2417", 2022, ("T", 12, ""))))
    assert rows(result) == [(1, "2417", "2022", "U00402", "T", 12.0)]
    assert result.dataset.period == "2022"


def test_v1_answer_with_value_fields():
    data = answer({"kpi": "N00945", "municipality": "1860", "period": "2009", "value": 10.5,
                   "value_f": 11.0, "value_m": None}, next="http://x")
    result = read_kolada(data, name="v1.json")
    assert rows(result) == [(1, "1860", "2009", "N00945", "T", 10.5),
                            (1, "1860", "2009", "N00945", "K", 11.0)]
    assert rejected(result) == [(1, "value_m", "null",
                                 "värde saknas (status tom) för N00945, 1860, 2009, kön M.")]


def test_bad_records_are_rejected_with_row_and_field():
    data = answer(
        record("N1", "0180", 2023, ("X", 1.0, "")),                       # 1 unknown gender
        record("N1", "G12345", 2023, ("T", 1.0, "")),                      # 2 group, not kommun
        record("N1", "0180", "2023M01", ("T", 1.0, "")),                   # 3 period
        record("N1", "0180", 2023, ("T", "abc", ""), ("K", float("nan"), "")),  # 4 values
        record("N1", "0180", 2023, ("T", True, "")),                       # 5 bool
        {"kpi": "N1", "municipality": "0180", "period": 2023, "values": []},   # 6 no values
        {"kpi": "N1", "municipality": "0180", "period": 2023, "values": [7]},  # 7 not an object
        ["not", "a", "record"],                                             # 8
        {"municipality": "0180", "period": 2023, "values": []},            # 9 no kpi
        record("N1", "0180", 2023, ("T", "1,5", "")),                      # 10 accepted
    )
    result = read_kolada(data, name="k.json")
    assert rows(result) == [(10, "0180", "2023", "N1", "T", 1.5)]
    assert [(r.row, r.field, r.value) for r in result.rejected] == [
        (1, "gender", "X"), (2, "municipality", "G12345"), (3, "period", "2023M01"),
        (4, "value", "abc"), (4, "value", "NaN"), (5, "value", "true"), (6, "values", "[]"),
        (7, "values", "7"), (8, "values", '["not", "a", "record"]'), (9, "kpi", "null")]
    reasons = [r.reason for r in result.rejected]
    assert "väntade K, M eller T" in reasons[0] and "fyra siffror" in reasons[1]
    assert "årtal" in reasons[2] and "väntade ett tal" in reasons[3]
    assert "ändligt" in reasons[4] and "inga värden" in reasons[6]


def test_duplicates_after_kpi_map_are_rejected():
    data = answer(record("N1", "0180", 2023, ("T", 1.0, "")),
                  record("N2", "0180", 2023, ("T", 2.0, "")))
    result = read_kolada(data, name="k.json", kpi_map={"N1": "x", "N2": "x"})
    assert rows(result) == [(1, "0180", "2023", "x", "T", 1.0)]
    assert rejected(result) == [(2, "kpi", "N2", "Samma indikator, kommun, år och kön finns redan "
                                                 "i post 1 (N2 heter x efter kpi_map).")]


def test_a_single_page_says_that_pages_are_missing():
    result = read_kolada(answer(record("N1", "0180", 2023, ("T", 1.0, "")),
                                next_page="https://api.kolada.se/v2/data?page=2"))
    assert any("next_page" in n and "saknas värden" in n for n in result.notes)


@pytest.mark.parametrize(("data", "match", "field"), [
    (b"{not json", "inte giltig JSON", ""),
    (b'{"count": 0}', "'values' saknas", "values"),
    (b'"text"', "'values' saknas", "values"),
    (json.dumps({"values": [{"id": "N00945", "title": "Trygghet"}]}).encode(), "metadata", "kpi"),
    (json.dumps({"values": [{"kpi": "N1", "ou": "V15E1", "period": 2020}]}).encode().replace(
        b'"kpi": "N1", ', b""), "enhet", "kpi"),
])
def test_wrong_shapes(data, match, field):
    with pytest.raises(InputError, match=match) as err:
        read_kolada(data, name="fel.json")
    assert "fil fel.json" in str(err.value) and err.value.field == field
    assert "Åtgärd:" in str(err.value)


def test_empty_answer_is_no_rows():
    result = read_kolada(answer())
    assert len(result.accepted) == 0 and result.rejected == [] and result.dataset.period == ""
    assert list(schema.conform(result.accepted, "indicators").columns) == list(
        schema.TABLES["indicators"])


# --- client against a local replay server ----------------------------------------------------

@pytest.fixture
def server():
    with ReplayServer() as running:
        yield running


def client(server: ReplayServer, **kwargs) -> KoladaClient:
    clock = kwargs.pop("clock", FakeClock())
    return KoladaClient(server.url + "/v2", min_interval=kwargs.pop("min_interval", 0.0),
                        opener=_api.build_opener(proxies={}), clock=clock, sleep=clock.sleep,
                        **kwargs)


FIRST = "/v2/data/kpi/N00945,N00946/municipality/0180,2417/year/2023,2024?per_page=5000"


def test_url_is_built_from_checked_ids(server):
    kolada = client(server)
    assert kolada.data_url(["N00945", "N00946"], [180, "2417"], [2023, "2024"]) == (
        server.url + FIRST)
    assert kolada.data_url("N00945", None, 2024).endswith("/v2/data/kpi/N00945/year/2024?per_page=5000")
    for bad in ({"kpi_ids": ["N1/../x"]}, {"municipality_ids": ["01 80"]}, {"years": ["24"]},
                {"kpi_ids": []}):
        args = {"kpi_ids": ["N1"], "municipality_ids": ["0180"], "years": [2024], **bad}
        with pytest.raises(InputError, match="Ogiltiga värden"):
            kolada.data_url(**args)
    with pytest.raises(InputError, match="kommuner eller år"):
        kolada.data_url(["N1"], None, None)


def test_pages_are_followed_and_merged(server):
    page2 = "/v2/data/kpi/N00945/year/2023?page=2&per_page=1"
    page3 = "/v2/data/kpi/N00945/year/2023?page=3&per_page=1"
    first = "/v2/data/kpi/N00945/year/2023?per_page=1"
    server.add(first, Canned(200, {"count": 1, "values": [record("N00945", "0180", 2023,
                                                                ("T", 1.0, ""))],
                                   "next_page": server.url + page2}))
    server.add(page2, Canned(429, b"", {"Retry-After": "0"}),
               Canned(200, {"count": 1, "values": [record("N00945", "2417", 2023, ("T", 2.0, ""))],
                            "next_page": page3}))  # a relative link is fine too
    server.add(page3, Canned(200, {"count": 1, "values": [record("N00945", "1480", 2023,
                                                                ("T", 3.0, ""))],
                                   "previous_page": server.url + page2}))
    clock = FakeClock()
    data = client(server, per_page=1, clock=clock).values(["N00945"], None, [2023])
    assert [r.path for r in server.requests] == [first, page2, page2, page3]
    assert clock.sleeps == [0.0]
    assert json.loads(data)["count"] == 3
    assert rows(read_kolada(data)) == [(1, "0180", "2023", "N00945", "T", 1.0),
                                       (2, "2417", "2023", "N00945", "T", 2.0),
                                       (3, "1480", "2023", "N00945", "T", 3.0)]


@pytest.mark.parametrize("link", [
    "http://evil.invalid/v2/data?page=2",        # another host
    "http://127.0.0.1:1/v2/data?page=2",         # same address, another port
    "/admin/export?page=2",                      # same host, outside the API
    "http://user:pw@127.0.0.1:{port}/v2/data",   # credentials smuggled in
])
def test_next_page_off_the_api_is_refused(server, link):
    first = "/v2/data/kpi/N1/year/2023?per_page=5000"
    server.add(first, Canned(200, {"values": [], "next_page": link.format(port=server.port)}))
    with pytest.raises(_api.ApiError, match="annan adress"):
        client(server).values(["N1"], None, [2023])
    assert [r.path for r in server.requests] == [first]


def test_next_page_keeps_the_base_scheme():
    kolada = KoladaClient("https://api.kolada.se/v2")
    assert kolada.next_url("http://api.kolada.se/v2/data/kpi/N1/year/2023?page=2",
                           current="https://api.kolada.se/v2/data/kpi/N1/year/2023") == (
        "https://api.kolada.se/v2/data/kpi/N1/year/2023?page=2")


def test_a_page_loop_is_stopped(server):
    first = "/v2/data/kpi/N1/year/2023?per_page=5000"
    server.add(first, Canned(200, {"values": [], "next_page": first}))
    with pytest.raises(_api.ApiError, match="redan hämtats"):
        client(server).values(["N1"], None, [2023])


def test_redirect_to_another_host_is_refused(server):
    first = "/v2/data/kpi/N1/year/2023?per_page=5000"
    server.add(first, Canned(301, b"", {"Location": "https://evil.invalid/v2"}))
    with pytest.raises(_api.ApiError, match="evil.invalid"):
        client(server).values(["N1"], None, [2023])


@pytest.mark.parametrize(("canned", "match"), [
    (Canned(200, b"<html>maintenance</html>"), "inte är JSON"),
    (Canned(200, {"error": "x"}), "utan listan 'values'"),
    (Canned(400, b"bad kpi"), "kunde inte tolka"),
    (Canned(503, b"", {"Retry-After": "0"}), "HTTP 503"),
])
def test_bad_answers_are_errors_not_partial_data(server, canned, match):
    server.add("/v2/data/kpi/N1/year/2023?per_page=5000", canned)
    with pytest.raises(_api.ApiError, match=match):
        client(server, max_retries=1).values(["N1"], None, [2023])


def test_requests_are_spaced(server):
    server.add("/v2/data/kpi/N1/year/2023?per_page=5000", Canned(200, {"values": []}))
    clock = FakeClock()
    kolada = client(server, min_interval=0.5, clock=clock)
    for _ in range(3):
        assert json.loads(kolada.values(["N1"], None, [2023])) == {"count": 0, "values": []}
    assert clock.sleeps == pytest.approx([0.5, 0.5])


def test_values_frame_is_float():
    result = read_kolada(answer(record("N1", "0180", 2023, ("T", 3, ""))))
    assert pd.api.types.is_float_dtype(result.accepted["value"])
