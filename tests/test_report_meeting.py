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


# --- the demo's reports, in every format -------------------------------------------------------

KOMMUN, LAYERS = "2462", ["vald_topp", "otrygghet"]
_BUILT: dict[object, object] = {}


def demo_report(tmp_path_factory, **kwargs: object):  # noqa: ANN001, ANN201
    from frames_support import demo_inputs

    args = dict(area_id=KOMMUN, period="2024", layers=LAYERS, created=CREATED)
    args.update(kwargs)
    key = repr(sorted(args.items()))
    if key not in _BUILT:
        _BUILT[key] = build_report(*demo_inputs(tmp_path_factory), **args)
    return _BUILT[key]


POLICE_SV = "För polisen och kommunens samverkan – inte för vidare spridning"


def test_police_marking_on_every_page_slide_and_sheet(tmp_path_factory) -> None:
    import pypdf
    from openpyxl import load_workbook
    from pptx import Presentation

    from lagesbild.report.writers import write_report

    report = demo_report(tmp_path_factory, audience="police")
    pages = pypdf.PdfReader(io.BytesIO(write_report(report, "pdf"))).pages
    assert len(pages) > 5
    assert all(POLICE_SV in " ".join(p.extract_text().split()) for p in pages)
    deck = Presentation(io.BytesIO(write_report(report, "pptx")))
    for slide in deck.slides:
        marks = [s for s in slide.shapes if s.name == "police-mark"]
        assert [m.text_frame.text for m in marks] == [POLICE_SV]
    book = load_workbook(io.BytesIO(write_report(report, "xlsx")))
    marking = "Polisen och kommunens samverkan – inte för vidare spridning"
    assert all(marking in [c.value for row in ws.iter_rows(max_row=3) for c in row]
               for ws in book.worksheets)
    assert 'class="police-mark"' in write_report(report, "html").decode("utf-8")
    # a report beyond the police carries none
    wide = demo_report(tmp_path_factory)
    assert POLICE_SV not in pypdf.PdfReader(io.BytesIO(write_report(wide, "pdf"))).pages[3] \
        .extract_text()
    assert 'class="police-mark"' not in write_report(wide, "html").decode("utf-8")


def test_slides_are_titled_by_their_finding_and_tables_are_12_pt(tmp_path_factory) -> None:
    from pptx import Presentation

    from lagesbild.report.writers import write_report

    report = demo_report(tmp_path_factory, area_id="2482")  # Skellefteå: high serious violence
    figures = [f for s in report.sections for f in s.figures]
    for prefix in ("Jämförelse: ", "Karta: "):
        for fig in (f for f in figures if f.title.startswith(prefix)):
            rank = next(f for f in figures if f.title == "Jämförelse: " + fig.title[len(prefix):])
            band = rank.table.frame
            said = str(band.loc[band["Område"].str.endswith("◀"), "Länets mittersta hälft"]
                       .iloc[0])
            # the finding says what the band column says; nothing when the kommun lies within
            if said.startswith(("över", "under")):
                assert fig.finding.endswith(f"i Skellefteå ligger {said} 2024"), fig.finding
            else:
                assert fig.finding == "", fig.finding
    assert "Anmält grövre våld (pyramidens topp) i Skellefteå ligger över länets mittersta " \
        "hälft 2024" in {f.finding for f in figures}
    deck = Presentation(io.BytesIO(write_report(report, "pptx")))
    titles = [s.shapes.title.text_frame.text for s in deck.slides]
    # every figure after a section's first gets its own slide, titled by its headline
    later = [f for sec in report.sections for f in sec.figures[1:]]
    assert later and all(f.headline[:100] in titles_text for f in later
                         for titles_text in [" ".join(titles)])
    assert not any(t.endswith("(forts.)") for t in titles)
    sizes = {run.font.size.pt for slide in deck.slides for shape in slide.shapes
             if shape.has_table for row in shape.table.rows for cell in row.cells
             for para in cell.text_frame.paragraphs for run in para.runs}
    assert sizes and min(sizes) >= 12
