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
                         "program.csv")], columns=list(f.programme_activity.columns)[:9])
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


def test_sources_are_named_by_publisher_and_table(tmp_path_factory) -> None:
    from lagesbild.report.writers import write_report

    report = demo_report(tmp_path_factory)
    assert "Brå, anmälda brott (2019–2024)" in report.sources
    assert "SCB, folkmängd (2019–2024)" in report.sources
    assert "Polisen, utdrag ur anmälningsregistret (2022–2024)" in report.sources
    assert "Trygghetsenkät till invånarna; Skolenkät åk 8–9 (2021–2024)" in report.sources
    assert not any(".csv" in s for s in report.sources)
    figures = [f for s in report.sections for f in s.figures]
    shown = [f.caption for f in figures] + [
        " ".join(map(str, [f.table.note, *f.table.frame.get("Källa", [])]))
        for f in figures if f.table is not None]
    assert not any("importerad" in text or ".csv" in text for text in shown)
    trend = next(f for f in figures if f.title.startswith("Över tid: Anmält grövre"))
    assert "Källa: Brå, anmälda brott (2019–2024); SCB, folkmängd (2019–2024)." in trend.caption
    # the file and the import date are still there: in the sources table
    datasets = report.section("kallor").tables[0].frame
    row = datasets[datasets["Dataset"] == "bra_anmalda_brott_2019-2024.csv"].iloc[0]
    assert row["Utgivare och tabell"] == "Brå, anmälda brott (2019–2024)"
    assert row["Fil"] == "bra_anmalda_brott_2019-2024.csv" and row["Importerad"]
    html = write_report(report, "html").decode("utf-8")
    assert "<li>Brå, anmälda brott (2019–2024)</li>" in html


def test_a_survey_without_a_name_is_called_a_survey() -> None:
    from lagesbild.core.publishers import publisher_labels, survey_names

    meta = {"otrygghet": {"survey_sv": "Trygghetsenkät"}, "eget": {}}
    assert survey_names(["eget"], meta, "sv") == ""
    data = pd.DataFrame({"dataset": ["e.csv", "x.json"], "kind": ["indicators", "okänd"],
                         "period": ["2024", None]})
    assert publisher_labels(data, surveys={"e.csv": ""}) == {"e.csv": "Enkät (2024)",
                                                             "x.json": "x.json"}
    assert publisher_labels(data, lang="en")["e.csv"] == "Survey (2024)"
    # the stored groups are named as what they are, not by their dataset name "grupper"
    groups = pd.DataFrame({"dataset": ["grupper"], "kind": ["groups"], "period": [None]})
    assert publisher_labels(groups) == {"grupper": "Arbetsytans kommungrupper"}


# Swedish words the analysis writes; none may reach an English report (user data aside: action
# titles, offence categories, unit names and descriptions are the users' own words)
SWEDISH = ("dold", "för få svar", "uppgift saknas", "delår", "brott", "folkmängd", "importerad",
           "vidgat", "gånger", "länsvärde", "årstakt", "uppräkn", "procentenheter",
           "ej könsuppdelat", "inga elever", "svarande", "ingen säker", "slumpen", "källa",
           "totalt", "kvinnor", "länet", "elever", "enkät", "utdrag", "termin", "pågår",
           "genomförd", "försenad", "inget program", "anmälda", "per 100 000 inv")
USER_COLUMNS = {"Action", "Offence category", "Responsible", "Unit", "Description", "Area",
                "Municipality", "Municipalities", "Focus area", "Local goal", "Programme",
                "Kind", "Dataset", "File", "Layer file"}


def english_texts(report) -> list[str]:  # noqa: ANN001
    texts = [report.title, *report.sources]
    for section in report.sections:
        texts += [section.title, *section.paragraphs]
        tables = list(section.tables)
        for fig in section.figures:
            texts += [fig.title, fig.caption, fig.finding]
            tables += [fig.table] if fig.table is not None else []
        for table in tables:
            texts += [table.title, table.note, *map(str, table.frame.columns)]
            for col in table.frame.columns:
                if col not in USER_COLUMNS:
                    texts += [str(v) for v in table.frame[col].dropna()]
    return texts


@pytest.mark.parametrize("area", ["2462", "24"])
def test_the_english_report_has_no_swedish_words(tmp_path_factory, area: str) -> None:
    import re

    report = demo_report(tmp_path_factory, area_id=area, lang="en", layers=None,
                         audience="police", images=False)
    found = sorted({w for text in english_texts(report) for w in SWEDISH
                    if re.search(rf"(?<![\wåäö]){re.escape(w)}", text.lower())})
    assert found == []
    text = " ".join(english_texts(report))
    assert "Brå, reported offences (2019–2024)" in text and "hidden" not in report.title
    # English numbers are never translated twice ("100,000" read as "100.000")
    assert "100.000" not in text and not re.search(r"\d\.\d{3}\.\d", text)


def test_part_year_notes_are_translated() -> None:
    from lagesbild.analysis.dispersion import _note
    from lagesbild.report.build_context import Context

    frames = tiny_frames()
    ctx = Context(frames, *_inputs(), "2417", "2024", "en")
    for swedish, english in [
        (_note(2.8), "interval widened: the years vary more than chance gives (dispersion "
                     "2.8 times Poisson's, quasi-Poisson)"),
        ("12 brott 1 jan–31 maj (delår, ingen årstakt)",
         "12 offences 1 Jan–31 May (part year, no annual rate)"),
        ("delår 1 jan–31 mar: ingen årstakt (välj uppräkning för en årstakt)",
         "part year 1 Jan–31 Mar: no annual rate (choose annualising for one)"),
        ("40,1 per 100\u00a0000 och år, uppräknat från 1 jan–31 mar (12 brott)",
         "40.1 per 100,000 a year, annualised from 1 Jan–31 Mar (12 offences)"),
        ("delår i 3 av 15 kommuner", "part year in 3 of 15 municipalities"),
        ("dold", "hidden"),
        # a group's notes, a count without population, what a source does not give
        ("summan av 4 kommuner", "the sum of 4 municipalities"),
        ("4 kommuners svar sammanvägda efter antal svarande",
         "the answers of 4 municipalities weighted by their respondents"),
        ("19 brott (ingen folkmängd)", "19 offences (no population)"),
        ("3 brott (ingen folkmängd för åldersgruppen)",
         "3 offences (no population for the age group)"),
        ("uppgift saknas (källan täcker inte området)",
         "no data (the source does not cover the area)"),
        ("källan anger inte brottsoffrets kön för perioden",
         "the source does not give the victim's sex for the period")]:
        assert ctx.display(swedish) == english


def test_excel_holds_numbers_and_no_images_are_built_for_it(tmp_path_factory) -> None:
    from openpyxl import load_workbook

    from lagesbild.report.writers import write_report

    report = demo_report(tmp_path_factory, images=False)
    figures = [f for s in report.sections for f in s.figures]
    assert figures and all(f.png == b"" and f.html is None for f in figures)
    drawn = demo_report(tmp_path_factory)
    twins = [f for s in drawn.sections for f in s.figures]
    assert [f.title for f in figures] == [f.title for f in twins]
    for lean, full in zip(figures, twins):  # the same tables either way
        if full.table is not None:
            pd.testing.assert_frame_equal(lean.table.frame, full.table.frame)
    book = load_workbook(io.BytesIO(write_report(report, "xlsx")))
    # the sheets are numbered in the order of the report ("02 Våldspyramiden …" after a summary)
    sheet = next(ws for ws in book.worksheets
                 if ws.title.split(" ", 1)[-1].startswith("Våldspyramiden"))
    header = [c.value for c in sheet[4]]
    counts = [row[header.index("Antal (totalt)")] for row in sheet.iter_rows(min_row=5,
                                                                             values_only=True)]
    assert isinstance(counts[0], int) and counts[0] > 0
    assert all(isinstance(c, int) or c in ("..", "–") for c in counts)
    # codes and periods stay text
    rates = next(ws for ws in book.worksheets if ws.title.startswith("02 "))
    assert all(isinstance(r[0], str) for r in rates.iter_rows(min_row=5, values_only=True))


# --- maps ------------------------------------------------------------------------------------

def test_static_map_names_the_kommuner_outlines_the_own_and_has_a_scale_bar(monkeypatch) -> None:
    from lagesbild.render import static_geo

    drawn: dict[str, object] = {}
    label, bar = static_geo.label_areas, static_geo.scale_bar

    def spy_label(ax, geoms, names, bold=None):  # noqa: ANN001, ANN202
        drawn["names"], drawn["bold"] = list(names), list(bold)
        return label(ax, geoms, names, bold)

    def spy_bar(ax, xlim, ylim):  # noqa: ANN001, ANN202
        drawn["bar"] = bar(ax, xlim, ylim)
        return drawn["bar"]

    monkeypatch.setattr(static_geo, "label_areas", spy_label)
    monkeypatch.setattr(static_geo, "scale_bar", spy_bar)
    report = build_report(tiny_frames(), *_inputs(), area_id="2422", period="2024",
                          layers=["otrygghet"], created=CREATED)
    fig = next(f for f in report.section("kartlaggning").figures if f.title.startswith("Karta"))
    assert fig.png.startswith(b"\x89PNG")
    assert drawn["names"] == ["Norsjö", "Sorsele"] and drawn["bold"] == [False, True]
    assert drawn["bar"] == 2000  # 20 km across: a 2 km bar, "2 km"
    assert static_geo.length_text(2000) == "2 km" and static_geo.length_text(500) == "500 m"
    assert static_geo.nice_length(400_000) == 50_000 and static_geo.nice_length(12_000) == 2_000


def test_too_many_areas_are_not_named() -> None:
    from matplotlib.figure import Figure as MplFigure

    from lagesbild.render import static_geo

    ax = MplFigure().add_subplot()
    squares = [box(i, 0, i + 1, 1) for i in range(static_geo.MAX_LABELS + 1)]
    assert static_geo.label_areas(ax, squares, [f"D{i}" for i in range(len(squares))]) == 0
    assert static_geo.label_areas(ax, squares[:3], ["A", "B", "C"]) == 3


def test_the_police_point_map_zooms_to_the_points() -> None:
    from lagesbild.render.static_points import MIN_EXTENT, view_box

    town = [Point(705_000 + 37 * i, 7_195_000 + 23 * (i % 7)) for i in range(40)]
    points = gpd.GeoDataFrame({"level": [3] * len(town)}, geometry=town, crs=schema.CRS_STORE)
    minx, miny, maxx, maxy = view_box(points)
    assert maxx - minx == pytest.approx(MIN_EXTENT) and maxy - miny == pytest.approx(MIN_EXTENT)
    assert minx < 705_000 and maxx > 705_000 + 37 * 39  # every point inside
    # one stray point 60 km off does not shrink the town to a dot
    stray = gpd.GeoDataFrame({"level": [3] * 41}, geometry=[*town, Point(765_000, 7_195_000)],
                             crs=schema.CRS_STORE)
    minx, _, maxx, _ = view_box(stray)
    assert maxx - minx < 10_000


@pytest.mark.browser
def test_every_interactive_map_of_the_html_report_opens_on_its_area(tmp_path, browser) -> None:
    from lagesbild.report.writers import write_report

    report = build_report(tiny_frames(), *_inputs(), area_id="2417", period="2024",
                          layers=["otrygghet", "vald_topp"], created=CREATED)
    page_file = tmp_path / "rapport.html"
    page_file.write_bytes(write_report(report, "html"))
    zoom = """() => { for (const k of Object.keys(window).filter(n => n.startsWith('map_'))) {
        const m = window[k]; if (m && m.getZoom) { return [m.getZoom(), m.getSize().x]; } }
        return [-1, 0]; }"""
    context = browser.new_context(viewport={"width": 1200, "height": 900})  # the worker's Chromium
    try:
        page = context.new_page()
        page.goto(page_file.as_uri())
        frames = page.locator("iframe.map")
        assert frames.count() >= 2
        seen = []
        for i in range(frames.count()):
            frames.nth(i).scroll_into_view_if_needed()
            frame = frames.nth(i).element_handle().content_frame()
            for _ in range(30):
                level, width = frame.evaluate(zoom)
                if width > 0 and level >= 8:
                    break
                page.wait_for_timeout(100)
            seen.append(level)
    finally:
        context.close()
    # a 20 km county fills the frame at about zoom 10; before, every map opened at zoom 0-1
    assert all(level >= 8 for level in seen), seen
