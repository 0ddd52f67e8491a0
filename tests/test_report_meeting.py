"""The report made meeting-ready (issue 15): maps that name and highlight the kommuner, ranking
charts with the kommun and the riket line, slide titles that state the finding, the police-only
marking on every page, sources named by publisher, English fully translated, numbers as numbers
in Excel; and two fixes (no actions; a county's coverage in a two-county workspace).

Each test opens the written format (PDF text, slides, workbook cells, HTML) and asserts what a
coordinator would see there.
"""

from __future__ import annotations

import dataclasses
import io
from datetime import date

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from lagesbild.analysis.coverage import coverage_by_area
from lagesbild.analysis.need import programme_coverage
from lagesbild.core import schema
from lagesbild.core.layers import load_layers
from lagesbild.core.settings import get_settings
from lagesbild.core.taxonomy import load_taxonomy
from lagesbild.report.build import build_report

from frames_support import tiny_frames

CREATED = date(2026, 1, 2)


def _inputs():  # noqa: ANN202
    settings = get_settings()
    return (load_layers(settings.layers_dir), load_taxonomy(settings.layers_dir / "pyramid.toml"),
            settings)


def two_counties():  # noqa: ANN201
    """The tiny frames plus Västernorrland (22) with Sundsvall (2281) and one big school there
    that runs MVP: a county's coverage must not count it."""
    f = tiny_frames()
    more_areas = gpd.GeoDataFrame({
        "area_id": ["22", "2281"], "level": ["lan", "kommun"], "code": ["22", "2281"],
        "name": ["Västernorrlands län", "Sundsvall"], "parent_id": [None, "22"],
        "source": "gränser"}, geometry=[box(600_000, 6_900_000, 620_000, 6_910_000)] * 2,
        crs=schema.CRS_STORE)
    school = gpd.GeoDataFrame({
        "site_id": ["2281-S01"], "name": ["Sundsvalls skola"], "kind": ["grundskola"],
        "area_id": ["2281"], "eligible_pupils": [1000], "source": ["skolor.csv"]},
        geometry=[Point(605_000, 6_905_000)], crs=schema.CRS_STORE)
    run = pd.DataFrame([("2281-S01", "2281", "MVP", "HT2024", 10, 900, 20, "genomförs",
                         "program.csv")], columns=list(f.programme_activity.columns))
    return dataclasses.replace(
        f, areas=schema.conform(pd.concat([f.areas, more_areas], ignore_index=True), "areas"),
        sites=schema.conform(pd.concat([f.sites, school], ignore_index=True), "sites"),
        programme_activity=schema.conform(pd.concat([f.programme_activity, run],
                                                    ignore_index=True), "programme_activity"))


# --- fixes -----------------------------------------------------------------------------------

def test_a_countys_coverage_counts_only_its_own_schools() -> None:
    frames = two_counties()
    table = coverage_by_area(frames, period="HT2024").set_index("area_id")
    # Västerbotten: Norsjö's two schools and Sorsele's one: 65 of 190 pupils, not 965 of 1 190
    assert (table.loc["24", "schools"], table.loc["24", "schools_reached"]) == (3, 2)
    assert (table.loc["24", "eligible_pupils"], table.loc["24", "pupils_reached"]) == (190, 65)
    assert (table.loc["22", "eligible_pupils"], table.loc["22", "pupils_reached"]) == (1000, 900)
    cov = programme_coverage(frames, periods=["HT2024"]).set_index("area_id")
    assert cov.loc["24", "staff_trained"] == 5 and cov.loc["22", "staff_trained"] == 20


def test_the_county_report_states_its_own_coverage() -> None:
    report = build_report(two_counties(), *_inputs(), area_id="24", period="2024",
                          layers=["otrygghet"], created=CREATED)
    text = "\n".join(report.section("forebyggande").paragraphs)
    assert "Västerbottens län: 65 av 190 elever i målgruppen nås" in text
    frame = report.section("forebyggande").tables[0].frame
    assert "Sundsvall" not in set(frame.iloc[:, 0].astype(str))


def test_a_kommun_report_without_actions() -> None:
    frames = dataclasses.replace(tiny_frames(), actions=schema.empty("actions"))
    report = build_report(frames, *_inputs(), area_id="2417", period="2024",
                          layers=["otrygghet"], created=CREATED)
    section = report.section("atgarder")
    assert "Inga åtgärder är registrerade." in section.paragraphs
    assert len(section.tables[0].frame) == 0
    goals = section.tables[-1].frame
    assert set(goals["Åtgärder"]) == {0}
