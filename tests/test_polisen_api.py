"""PolisenClient against a local replay server: query, fair use, retries, redirects, parameters."""

from __future__ import annotations

import json

import pytest
from replay_support import Canned, FakeClock, ReplayServer

from lagesbild.core.errors import InputError
from lagesbild.sources.clients import _api
from lagesbild.sources.polisen import read_polisen_events
from lagesbild.sources.clients.polisen import PolisenClient

LOOKUP = {"norsjö": ("2417", "kommun"), "upplands väsby": ("0114", "kommun")}
EVENTS = [
    {"id": 484010, "datetime": "2024-03-05 9:13:04 +01:00", "name": "05 mars 09.13, Misshandel, Norsjö",
     "summary": "Bråk.", "url": "/aktuellt/handelser/2024/mars/5/x/", "type": "Misshandel",
     "location": {"name": "Norsjö", "gps": "64.912,19.481"}},
    {"id": 484011, "datetime": "2024-03-05 21:40:00 +01:00", "name": "05 mars 21.40, Olaga hot, Upplands väsby",
     "summary": "", "url": "/x", "type": "Olaga hot",
     "location": {"name": "Upplands väsby", "gps": "59.518,17.911"}},
]
PATH = "/api/events?locationname=Norsj%C3%B6;Upplands%20V%C3%A4sby&type=Misshandel;Olaga%20hot&DateTime=2024-03"


@pytest.fixture
def server():
    with ReplayServer() as running:
        yield running


def client(server: ReplayServer, clock: FakeClock | None = None, **kwargs: object) -> PolisenClient:
    clock = clock or FakeClock()
    return PolisenClient(server.url + "/api/events", opener=_api.build_opener(proxies={}),
                         clock=clock, sleep=clock.sleep, **kwargs)  # type: ignore[arg-type]


def test_query_string_and_answer_read_by_the_reader(server: ReplayServer) -> None:
    server.add(PATH, Canned(200, EVENTS))
    data = client(server).events(location=" Norsjö ; Upplands Väsby", type="Misshandel;Olaga hot",
                                 date="2024-03")
    assert [r.path for r in server.requests] == [PATH]
    assert server.requests[0].headers["Accept"] == "application/json"
    result = read_polisen_events(data, lookup=LOOKUP, name="polisen.json")
    assert list(result.accepted["event_id"]) == ["484010", "484011"]
    assert list(result.accepted["area_id"]) == ["2417", "0114"]
    assert not result.rejected


@pytest.mark.parametrize(("kwargs", "query"), [
    ({}, ""),
    ({"date": "2024"}, "?DateTime=2024"),
    ({"date": "2024-02-29"}, "?DateTime=2024-02-29"),
    ({"type": "Misshandel, grov;Stöld/inbrott"}, "?type=Misshandel%2C%20grov;St%C3%B6ld%2Finbrott"),
    ({"location": "Malung-Sälen"}, "?locationname=Malung-S%C3%A4len"),
])
def test_each_parameter_alone(server: ReplayServer, kwargs: dict[str, str], query: str) -> None:
    assert client(server).events_url(**kwargs) == server.url + "/api/events" + query


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"location": "Umeå&type=x"}, "location"),
    ({"location": "../admin"}, "location"),
    ({"location": "evil.example/x"}, "location"),
    ({"location": "Umeå;;Lycksele"}, "location"),
    ({"location": "Umeå\r\nHost: evil"}, "location"),
    ({"location": ""}, "location"),
    ({"type": "Misshandel?x=1"}, "type"),
    ({"type": "Misshandel#frag"}, "type"),
    ({"date": "2024-13"}, "date"),
    ({"date": "2024-02-30"}, "date"),
    ({"date": "24-03-01"}, "date"),
    ({"date": "2024-03-01 12"}, "date"),
    ({"date": "2024/03"}, "date"),
])
def test_invalid_parameters_are_refused_before_any_request(server: ReplayServer,
                                                           kwargs: dict[str, str],
                                                           field: str) -> None:
    with pytest.raises(InputError) as info:
        client(server).events(**kwargs)
    assert info.value.field == field
    assert server.requests == []


def test_requests_are_spaced_by_the_interval(server: ReplayServer) -> None:
    server.add("/api/events?DateTime=2024", Canned(200, []))
    clock = FakeClock()
    polisen = client(server, clock)
    for _ in range(3):
        assert polisen.events(date="2024") == b"[]"
    assert clock.sleeps == pytest.approx([10.0, 10.0])  # the default: one call per 10 s


def test_hourly_cap_refuses_without_sending(server: ReplayServer) -> None:
    server.add("/api/events", Canned(200, []))
    clock = FakeClock()
    polisen = client(server, clock, max_per_hour=2)
    polisen.events()
    polisen.events()
    with pytest.raises(_api.ApiError, match="Högst 2 frågor per timme"):
        polisen.events()
    assert len(server.requests) == 2
    clock.now += 3600
    polisen.events()
    assert len(server.requests) == 3


def test_429_waits_retry_after_then_succeeds(server: ReplayServer) -> None:
    server.add("/api/events?locationname=Norsj%C3%B6",
               Canned(429, b"slow down", {"Retry-After": "30"}), Canned(200, EVENTS[:1]))
    clock = FakeClock()
    data = client(server, clock).events(location="Norsjö")
    assert json.loads(data)[0]["id"] == 484010
    assert len(server.requests) == 2
    assert clock.sleeps == [30.0]  # Retry-After is longer than the interval: no extra wait


def test_429_retries_are_bounded(server: ReplayServer) -> None:
    server.add("/api/events", Canned(429, b"", {"Retry-After": "1"}))
    with pytest.raises(_api.ApiError, match="HTTP 429"):
        client(server, max_retries=2).events()
    assert len(server.requests) == 3


def test_a_long_retry_after_is_not_waited_for(server: ReplayServer) -> None:
    server.add("/api/events", Canned(429, b"", {"Retry-After": "3600"}))
    clock = FakeClock()
    with pytest.raises(_api.ApiError, match="vänta 3600 s"):
        client(server, clock).events()
    assert clock.sleeps == []


def test_redirect_to_another_host_is_refused(server: ReplayServer) -> None:
    server.add("/api/events", Canned(302, b"", {"Location": "http://evil.invalid/api/events"}))
    with pytest.raises(_api.ApiError, match="evil.invalid"):
        client(server).events()
    assert len(server.requests) == 1


@pytest.mark.parametrize(("canned", "match"), [
    (Canned(200, "<html>underhåll</html>"), "inte är JSON"),
    (Canned(200, {"events": []}), "inte med en lista"),
    (Canned(400, b"bad"), "kunde inte tolka"),
])
def test_bad_answers_are_errors(server: ReplayServer, canned: Canned, match: str) -> None:
    server.add("/api/events", canned)
    with pytest.raises(_api.ApiError, match=match):
        client(server).events()


@pytest.mark.parametrize("url", ["https://polisen.se/api/events?x=1", "ftp://polisen.se/api",
                                 "https://user:pw@polisen.se/api/events"])
def test_bad_base_urls_are_refused(url: str) -> None:
    with pytest.raises(InputError):
        PolisenClient(url)


def test_polisen_itself_cannot_be_asked_more_often_than_every_ten_seconds() -> None:
    with pytest.raises(InputError, match="10"):
        PolisenClient(min_interval=1.0)
    assert PolisenClient().events_url(date="2024-03-05") == (
        "https://polisen.se/api/events?DateTime=2024-03-05")


def test_clients_with_the_real_clock_share_one_limiter() -> None:
    first, second = PolisenClient(), PolisenClient()
    assert first.http.limiter is second.http.limiter
    clock = FakeClock()
    own = PolisenClient(clock=clock, sleep=clock.sleep)
    assert own.http.limiter is not first.http.limiter
