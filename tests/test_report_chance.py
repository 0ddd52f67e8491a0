"""The report states how many of its flags chance alone would give (issue 13): changes beyond
chance in the analysis, and positions outside the county's middle half in each comparison."""

from __future__ import annotations

import pytest

from lagesbild.analysis.chance import number
from lagesbild.analysis.compare import comparison
from lagesbild.analysis.figures import layer_figures
from lagesbild.analysis.references import band_positions, reference_band
from lagesbild.report.model import Report

from test_report_build import AREA, LAYERS, demo_inputs, demo_report


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Report:
    return demo_report(tmp_path_factory)


def test_the_analysis_counts_its_changes_against_chance(report: Report) -> None:
    section = report.section("analys")
    table = section.tables[0].frame
    tested = table["Bedömning"].isin(["ökning utöver slumpen", "minskning utöver slumpen",
                                      "ingen säker förändring (kan vara slump)"])
    flagged = table["Bedömning"].str.contains("utöver slumpen")
    said = next(p for p in section.paragraphs if p.startswith("Flaggade mot vad slumpen"))
    assert f"95\u00a0%-nivån {flagged.sum()} av {tested.sum()} prövningar" in said
    assert f"(väntat av slumpen ensam: {number(tested.sum() * 0.05)})" in said


def test_each_comparison_counts_positions_outside_the_band(report: Report,
                                                           tmp_path_factory) -> None:
    frames, specs, taxonomy, settings = demo_inputs(tmp_path_factory)
    for layer in LAYERS:
        spec = specs[layer]
        figure = next(f for f in report.section("kartlaggning").figures
                      if f.title == f"Jämförelse: {spec.title('sv')}")
        period = figure.table.title.rsplit(", ", 1)[1]  # the layer's own (MVP: a term)
        figs = layer_figures(frames, spec, period=period, sex="T", taxonomy=taxonomy,
                             settings=settings)
        band = reference_band(figs, county_id=AREA[:2])
        positions = band_positions(comparison(figs).table, band)
        if band["p25"] is None:
            continue
        n = sum(p is not None for p in positions)
        above, below = positions.count("above"), positions.count("below")
        said = f"{above} över och {below} under av {n} kommuner; av slumpen ensam väntas upp till"
        assert said in figure.table.note and said in figure.caption
        column = figure.table.frame["Länets mittersta hälft"]
        assert (column == "över länets mittersta hälft").sum() == above


def test_english_report_says_it_too(tmp_path_factory) -> None:
    english = demo_report(tmp_path_factory, lang="en")
    paras = english.section("analys").paragraphs
    assert any(p.startswith("Flagged against what chance alone gives: 95% level") for p in paras)
