"""Polisen's event notices are shown somewhere useful (per type, kommun and month, on the
pyramid page and by `lagesbild events`), always labelled as notices, never as crime data:
importing them changes no figure."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from frames_support import demo_inputs, shared_demo
from lagesbild.analysis.events import event_counts, years
from lagesbild.analysis.figures import layer_figures
from lagesbild.cli.main import main
from lagesbild.store import importer
from lagesbild.store.frames import load_frames
from lagesbild.store.gpkg import GpkgWorkspace
from app_support import open_page

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "polisen_events" / \
    "polisen_events_2024.json"


def _event(i: int, when: str, kind: str, place: str, title_place: str | None = None) -> dict:
    day = when[8:10]
    return {"id": 900_000 + i, "datetime": f"{when} +01:00",
            "name": f"{day} mars 21.10, {kind}, {title_place or place}",
            "summary": "…", "url": f"/aktuellt/handelser/{i}/", "type": kind,
            "location": {"name": place, "gps": "63.825847,20.263035"}}


NOTICES = [
    _event(1, "2024-03-01 21:10:00", "Misshandel", "Umeå"),
    _event(2, "2024-03-02 22:10:00", "Misshandel", "Umeå"),
    _event(3, "2024-05-02 01:10:00", "Brand", "Umeå"),
    _event(4, "2024-05-03 01:10:00", "Trafikolycka", "Västerbottens län"),
    # a län location whose title names a kommun: the kommun, with a note
    _event(5, "2024-06-03 02:10:00", "Brand", "Västerbottens län", "Skellefteå"),
    _event(6, "2024-06-04 02:10:00", "Stöld", "Stockholm"),  # elsewhere: left out
]


@pytest.fixture(scope="module")
def with_events(tmp_path_factory: pytest.TempPathFactory) -> GpkgWorkspace:
    path = tmp_path_factory.mktemp("events") / "demo.gpkg"
    shutil.copyfile(shared_demo(tmp_path_factory), path)
    ws = GpkgWorkspace(path)
    source = path.parent / "handelser.json"
    source.write_text(json.dumps(NOTICES, ensure_ascii=False), encoding="utf-8")
    importer.import_file(ws, "polisen_events", source)
    return ws


def test_counts_per_type_and_month(with_events) -> None:
    frames = load_frames(with_events)
    assert years(frames) == ["2024"]
    umea = event_counts(frames, area_id="2480", year="2024")
    table = umea.by_type.set_index("type")
    assert umea.total == 3 and table.loc["Misshandel", "count"] == 2
    assert table.loc["Misshandel", "mar"] == 2 and table.loc["Brand", "maj"] == 1
    assert umea.lan_only == 1  # the traffic accident placed at the län only
    skelleftea = event_counts(frames, area_id="2482", year="2024")
    assert skelleftea.total == 1 and skelleftea.by_type["type"].tolist() == ["Brand"]
    county = event_counts(frames, area_id="24", year="2024")
    assert county.total == 5 and county.lan_only == 0  # Stockholm's is not in the workspace
    assert county.first == "2024-03-01" and county.last == "2024-06-03"


def test_notices_change_no_figure(with_events, tmp_path_factory) -> None:
    plain, specs, taxonomy, settings = demo_inputs(tmp_path_factory)
    frames = load_frames(with_events)
    for layer in ("vald_topp", "vald_nara_relation"):
        a, b = (layer_figures(f, specs[layer], period="2024", sex="T", taxonomy=taxonomy,
                              settings=settings) for f in (plain, frames))
        assert a["display"].tolist() == b["display"].tolist()


def test_cli_events_labelled_as_notices(with_events) -> None:
    runner = CliRunner()
    out = runner.invoke(main, ["events", "-w", str(with_events.path), "--area", "2480", "--json"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    assert doc["schema"] == "lagesbild.events/1" and doc["total"] == 3
    assert "inte brottsstatistik" in doc["caveat"]
    assert doc["types"][0] == {"type": "Misshandel", "count": 2,
                               "months": [0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0]}
    text = runner.invoke(main, ["events", "-w", str(with_events.path), "--area", "2480"]).output
    assert "inte brottsstatistik" in text and "1 notiser i länet" in text


@pytest.mark.skipif(not REAL.exists(), reason="../shared/data/polisen_events is absent")
def test_real_polisen_file_for_the_demo_county(tmp_path, tmp_path_factory) -> None:
    path = tmp_path / "demo.gpkg"
    shutil.copyfile(shared_demo(tmp_path_factory), path)
    ws = GpkgWorkspace(path)
    result = importer.import_file(ws, "polisen_events", REAL)
    assert any("utanför arbetsytan" in n for n in result.notes)
    frames = load_frames(ws)
    county = event_counts(frames, area_id="24", year="2024")
    umea = event_counts(frames, area_id="2480", year="2024")
    # every notice of the county is in the county's table: its kommuner's and the län's own
    kommuner = sum(event_counts(frames, area_id=k, year="2024").total
                   for k in frames.kommuner["area_id"])
    assert county.total == kommuner + umea.lan_only == len(frames.events)
    assert umea.total > 100 and umea.by_type["count"].sum() == umea.total


def test_pyramid_page_shows_the_notices_labelled(with_events, monkeypatch) -> None:

    monkeypatch.setenv("LAGESBILD_WORKSPACE", str(with_events.path))
    monkeypatch.setenv("LAGESBILD_APP_AUDIT", "off")
    at = open_page("pyramid_page", timeout=60)
    assert not at.exception, at.exception
    at.selectbox(key="pyr_area").set_value("2480").run()
    labels = [e.label for e in at.expander]
    assert "Polisens händelsenotiser 2024: 3 (inte brottsstatistik)" in labels
    assert any("inte brottsstatistik" in w.value for w in at.warning)
    cells = [str(v) for df in at.dataframe for v in df.value.astype(str).to_numpy().ravel()]
    assert "Misshandel" in cells
