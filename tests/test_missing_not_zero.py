"""Missing is not zero: a police extract without the relation column gives no close-relation
figure ("uppgift saknas"), never "0,0 per 100 000 (0 brott)", and its years are not offered for
that layer; a county is shown only when every kommun has the field."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import date

import pandas as pd

from frames_support import demo_inputs, shared_demo
from lagesbild.analysis.figures import layer_figures, periods
from lagesbild.store import importer
from lagesbild.store.frames import load_frames
from lagesbild.store.gpkg import GpkgWorkspace

LAYER = "vald_nara_relation"


def test_an_extract_without_the_relation_column_gives_no_figure(tmp_path, tmp_path_factory) -> None:
    _, specs, taxonomy, settings = demo_inputs(tmp_path_factory)
    path = tmp_path / "demo.gpkg"
    shutil.copyfile(shared_demo(tmp_path_factory), path)
    ws = GpkgWorkspace(path)
    year = min(date.today().year, 2025)
    # shaped like a car-fire or other extract: case, date, offence, kommun; no relation column
    lines = ["Ärendenummer;Brottsdatum;Brott;Målsägande kön;Kommunkod"]
    lines += [f"B-{i};{year}-0{1 + i % 9}-1{i % 9} 22:00;Misshandel;Man;2417" for i in range(12)]
    source = tmp_path / f"utdrag_{year}.csv"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    importer.import_file(ws, "incidents", source, name=source.name)
    frames = load_frames(ws)
    spec = specs[LAYER]
    assert str(year) not in periods(frames, spec)
    figs = layer_figures(frames, spec, period=str(year), sex="T", taxonomy=taxonomy,
                         settings=settings)
    assert (figs["display"] == "uppgift saknas").all() and figs["count"].isna().all()
    # a layer that needs no relation counts them
    top = [s for s in specs.values() if s.kind == "incident_rate" and s.relation is None]
    for other in top:
        counted = layer_figures(frames, other, period=str(year), sex="T", taxonomy=taxonomy,
                                settings=settings).set_index("area_id")
        assert counted.loc["2417", "display"] != "uppgift saknas"


def test_one_kommun_without_the_field_has_no_figure_nor_has_its_county(tmp_path_factory) -> None:
    frames, specs, taxonomy, settings = demo_inputs(tmp_path_factory)
    incidents = frames.incidents.copy()
    blind = (incidents["area_id"] == "2422") & (incidents["year"] == 2024)
    incidents["relation"] = incidents["relation"].astype("boolean").mask(blind, pd.NA)
    blinded = replace(frames, incidents=incidents)
    figs = layer_figures(blinded, specs[LAYER], period="2024", sex="T", taxonomy=taxonomy,
                         settings=settings).set_index("area_id")
    assert figs.loc["2422", "display"] == "uppgift saknas"
    assert figs.loc["24", "display"] == "uppgift saknas"  # a county without one kommun's part
    shown = figs.drop(index=["2422", "24"])
    assert (shown["display"] != "uppgift saknas").all()
    assert "2024" in periods(blinded, specs[LAYER])


def test_a_kommun_without_incidents_still_has_zero(tmp_path_factory) -> None:
    """Where the period's extract has the field, a kommun with no incident at all that year is
    a true 0, not missing."""
    frames, specs, taxonomy, settings = demo_inputs(tmp_path_factory)
    incidents = frames.incidents[~((frames.incidents["area_id"] == "2403")
                                   & (frames.incidents["year"] == 2024))]
    quiet = replace(frames, incidents=incidents)
    figs = layer_figures(quiet, specs[LAYER], period="2024", sex="T", taxonomy=taxonomy,
                         settings=settings).set_index("area_id")
    assert figs.loc["2403", "display"] != "uppgift saknas" and figs.loc["2403", "count"] == 0
