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


def test_rows_rejected_at_import_leave_no_figure_never_zero(tmp_path, tmp_path_factory) -> None:
    """Brå's table again, Norsjö's 2024 Misshandel with a total below kvinnor + män: its three
    rows are rejected (named at import). The Misshandel layer then has no Norsjö figure for
    2024, nor a county figure, instead of "0 brott"; the other kommuner keep theirs."""
    from pathlib import Path

    from lagesbild.analysis.count_gaps import GAP_SV
    from lagesbild.report.english import to_english

    _, specs, taxonomy, settings = demo_inputs(tmp_path_factory)
    path = tmp_path / "demo.gpkg"
    shutil.copyfile(shared_demo(tmp_path_factory), path)
    ws = GpkgWorkspace(path)
    spec = next(s for s in specs.values() if s.kind == "count_rate" and s.categories
                and "Misshandel" in s.categories)
    before = layer_figures(load_frames(ws), spec, period="2024", sex="T", taxonomy=taxonomy,
                           settings=settings)
    source = Path(__file__).resolve().parents[1] / "data" / "demo" / "bra_anmalda_brott_2019-2024.csv"
    lines = source.read_text(encoding="utf-8-sig").splitlines()
    bad = [line.rsplit(";", 1)[0] + ";99" if line.startswith("Norsjö;2417;2024;Misshandel;Totalt")
           else line.rsplit(";", 1)[0] + ";60" if line.startswith("Norsjö;2417;2024;Misshandel;")
           else line for line in lines]
    changed = tmp_path / source.name
    changed.write_text("\n".join(bad) + "\n", encoding="utf-8")
    result = importer.import_file(ws, "crime_counts", changed, name=source.name)
    assert {r.row for r in result.rejected} == {i + 1 for i, line in enumerate(bad)
                                                if line.startswith("Norsjö;2417;2024;Misshandel")}
    after = layer_figures(load_frames(ws), spec, period="2024", sex="T", taxonomy=taxonomy,
                          settings=settings).set_index("area_id")
    assert pd.isna(after.loc["2417", "count"]) and pd.isna(after.loc["2417", "value"])
    assert after.loc["2417", "display"] == GAP_SV
    assert "0 brott" not in after.loc["2417", "display"]
    assert pd.isna(after.loc["24", "count"]), "a county with a gap in one kommun has no figure"
    kept = before.set_index("area_id").drop(index=["2417", "24"])
    shown = after.loc[kept.index, "count"].notna()  # protection may hide a neighbour now
    assert shown.sum() >= len(kept) - 1
    pd.testing.assert_series_equal(after.loc[kept.index[shown], "count"],
                                   kept.loc[shown[shown].index, "count"])
    assert "lacks the layer's offence categories" in to_english(GAP_SV)
    # 2023, untouched, still has Norsjö's figure
    other = layer_figures(load_frames(ws), spec, period="2023", sex="T", taxonomy=taxonomy,
                          settings=settings).set_index("area_id")
    assert other.loc["2417", "count"] > 0


def test_a_sparse_table_that_writes_no_zeros_keeps_missing_rows_as_zeros() -> None:
    """A hand-written table listing only what happened (no total of 0 anywhere): Sorsele's
    missing Våldtäkt row is a zero, as before; the same table writing its zeros would make it
    a gap."""
    from frames_support import tiny_frames

    from lagesbild.analysis.count_gaps import count_gaps
    from lagesbild.core.layers import LayerSpec
    from lagesbild.core.taxonomy import Taxonomy

    frames = tiny_frames()
    spec = LayerSpec(id="x", title_sv="x", title_en="x", kind="count_rate",
                     categories=("Misshandel", "Våldtäkt"))
    assert count_gaps(frames, spec, period="2024", taxonomy=Taxonomy(levels=())) == frozenset()
    counts = frames.incident_counts
    zero = counts.iloc[[0]].assign(category="Mord och dråp", sex="T", count=0)
    dense = replace(frames, incident_counts=pd.concat([counts, zero], ignore_index=True))
    assert count_gaps(dense, spec, period="2024",
                      taxonomy=Taxonomy(levels=())) == frozenset({"2422", "24"})
