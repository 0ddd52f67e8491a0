"""Missing is not zero, for women and men: an extract without the victim's sex, or a crime table
with totals only, shows "uppgift saknas" for K and M on the map layers, the pyramid and the
dark figure, never "0 brott" or "0,0 per 100 000"; the totals stay."""

from __future__ import annotations

import shutil
from dataclasses import replace

import pandas as pd
import pytest

from frames_support import demo_inputs, shared_demo
from lagesbild.analysis.darkfigure import reporting_ratio
from lagesbild.analysis.figures import layer_figures
from lagesbild.analysis.pyramid_view import pyramid_view, to_json
from lagesbild.analysis.known import MISSING_SV, UNCOVERED_SV
from lagesbild.core.taxonomy import ALL
from lagesbild.store import importer
from lagesbild.store.frames import load_frames
from lagesbild.store.gpkg import GpkgWorkspace

YEAR = "2025"


@pytest.fixture(scope="module")
def sexless(tmp_path_factory: pytest.TempPathFactory) -> GpkgWorkspace:
    """The demo workspace plus, for 2025, a police extract without a victim-sex column (as a
    car-fire or property-crime extract is) for Norsjö (2417) and Brå's table with totals only."""
    path = tmp_path_factory.mktemp("sexless") / "demo.gpkg"
    shutil.copyfile(shared_demo(tmp_path_factory), path)
    ws = GpkgWorkspace(path)
    lines = ["Ärendenummer;Brottsdatum;Brottsbenämning;Nära relation;Kommunkod"]
    lines += [f"N-{i};{YEAR}-{1 + i % 12:02d}-{1 + i % 28:02d} 20:00;Misshandel;"
              f"{'Ja' if i % 2 else 'Nej'};2417" for i in range(40)]
    extract = path.parent / "utdrag_utan_kon_2025.csv"
    extract.write_text("\n".join(lines) + "\n", encoding="utf-8")
    importer.import_file(ws, "incidents", extract, name=extract.name)
    table = ["Kommun;Kommunkod;År;Brottskategori;Kön;Antal",
             *[f"K{k};{k};{YEAR};Misshandel;Totalt;{20 + i}"
               for i, k in enumerate(["2401", "2403", "2404", "2409", "2417"])]]
    counts = path.parent / "bra_totalt_2025.csv"
    counts.write_text("\n".join(table) + "\n", encoding="utf-8")
    importer.import_file(ws, "crime_counts", counts, name=counts.name)
    return ws


def test_incident_layer_without_sex(sexless, tmp_path_factory) -> None:
    _, specs, taxonomy, settings = demo_inputs(tmp_path_factory)
    frames = load_frames(sexless)
    spec = specs["vald_nara_relation"]
    total = layer_figures(frames, spec, period=YEAR, sex="T", taxonomy=taxonomy,
                          settings=settings).set_index("area_id")
    assert total.loc["2417", "count"] == 20  # the 20 close-relation assaults: a figure
    for sex in ("K", "M"):
        figs = layer_figures(frames, spec, period=YEAR, sex=sex, taxonomy=taxonomy,
                             settings=settings).set_index("area_id")
        assert figs.loc["2417", "display"] == MISSING_SV
        assert pd.isna(figs.loc["2417", "count"]) and pd.isna(figs.loc["2417", "value"])
        assert "anger inte brottsoffrets kön" in figs.loc["2417", "note"]
        assert figs.loc["24", "display"] == MISSING_SV  # the county has no K/M either
        assert not figs["display"].str.startswith("0,0 per").any()


def test_crime_table_with_totals_only(sexless, tmp_path_factory) -> None:
    _, specs, taxonomy, settings = demo_inputs(tmp_path_factory)
    frames = load_frames(sexless)
    spec = specs["vald_topp"]
    women = layer_figures(frames, spec, period=YEAR, sex="K", taxonomy=taxonomy,
                          settings=settings).set_index("area_id")
    assert women.loc["2401", "display"] == MISSING_SV and pd.isna(women.loc["2401", "count"])
    total = layer_figures(frames, spec, period=YEAR, sex="T", taxonomy=taxonomy,
                          settings=settings).set_index("area_id")
    assert total.loc["2401", "count"] == 20
    # the years before, with K and M in the table, keep them
    before = layer_figures(frames, spec, period="2024", sex="K", taxonomy=taxonomy,
                           settings=settings).set_index("area_id")
    assert before.loc["2401", "display"] != MISSING_SV and before.loc["2401", "count"] >= 0


def test_pyramid_and_dark_figure_without_sex(sexless, tmp_path_factory) -> None:
    _, _, taxonomy, settings = demo_inputs(tmp_path_factory)
    frames = load_frames(sexless)
    view = pyramid_view(frames, taxonomy, {}, area_id="2417", period=YEAR, source="incidents",
                        settings=settings)
    counts = view.counts
    women = counts[counts["sex"] == "K"]
    assert women["count"].isna().all() and (women["display"] == MISSING_SV).all()
    total = counts[(counts["sex"] == "T") & (counts["category"] == ALL)]
    assert total["count"].sum() == 40
    doc = to_json(view, taxonomy, sex="K")
    assert all(level["total"]["count"] is None for level in doc["levels"] if level["total"])
    ratio = reporting_ratio(frames, "utsatt_misshandel", period="2024", count_period=YEAR,
                            taxonomy=taxonomy, settings=settings, categories=["Misshandel"],
                            source="incidents").set_index(["area_id", "sex"])
    assert ratio.loc[("2417", "K"), "reason"] in ("no_sex", "few_respondents", "hidden_share",
                                                  "no_survey")
    assert pd.isna(ratio.loc[("2417", "K"), "reported"])


def test_a_kommun_without_data_keeps_zero_when_others_tell_sex(tmp_path_factory) -> None:
    """The demo extract tells the sex: a kommun without any incident that year has K = 0."""
    frames, specs, taxonomy, settings = demo_inputs(tmp_path_factory)
    figs = layer_figures(frames, specs["vald_nara_relation"], period="2024", sex="K",
                         taxonomy=taxonomy, settings=settings)
    assert not (figs["display"] == MISSING_SV).any()


def test_a_kommuns_own_extract_says_nothing_of_the_others(tmp_path_factory) -> None:
    """A police extract for Norsjö alone: the other kommuner and the county have no figure
    (before: every other kommun "0,0 per 100 000 (0 brott)" and the county equal to Norsjö)."""
    frames, specs, taxonomy, settings = demo_inputs(tmp_path_factory)
    own = replace(frames, incidents=frames.incidents[frames.incidents["area_id"] == "2417"])
    for sex in ("T", "K"):
        figs = layer_figures(own, specs["vald_nara_relation"], period="2024", sex=sex,
                             taxonomy=taxonomy, settings=settings).set_index("area_id")
        others = figs.drop(index="2417")
        assert (others["display"] == UNCOVERED_SV).all() and others["count"].isna().all()
        assert figs.loc["2417", "display"] != UNCOVERED_SV
    view = pyramid_view(own, taxonomy, {}, area_id="2401", period="2024", source="incidents",
                        settings=settings)
    assert view.counts["count"].isna().all() and (view.counts["display"] == UNCOVERED_SV).all()
    county = pyramid_view(own, taxonomy, {}, area_id="24", period="2024", source="incidents",
                          settings=settings)
    assert county.counts["count"].isna().all()


def test_a_crime_table_listing_one_kommun(sexless, tmp_path_factory) -> None:
    """Brå's 2025 table in the fixture lists five kommuner: the other ten and the county have
    no 2025 figure, instead of 0 and a county equal to the five."""
    _, specs, taxonomy, settings = demo_inputs(tmp_path_factory)
    frames = load_frames(sexless)
    figs = layer_figures(frames, specs["vald_topp"], period=YEAR, sex="T", taxonomy=taxonomy,
                         settings=settings).set_index("area_id")
    listed = {"2401", "2403", "2404", "2409", "2417"}
    assert (figs.loc[sorted(listed), "count"] == [20, 21, 22, 23, 24]).all()
    rest = figs.drop(index=sorted(listed))
    assert (rest["display"] == UNCOVERED_SV).all()  # ten kommuner and the county
    assert "24" in rest.index
