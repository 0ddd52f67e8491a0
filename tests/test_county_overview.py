"""The county overview (länsöversikt): hand-built positions, hidden cells without a position,
the county report's table in every format, and the Jämförelse page's section."""

from __future__ import annotations

import dataclasses
import io
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from lagesbild.analysis.county_overview import (COLOURS, overview_cells, overview_period,
                                                overview_tables)
from lagesbild.analysis.figures import layer_figures
from lagesbild.core import schema
from lagesbild.core.frames import Frames
from lagesbild.core.layers import load_layers
from lagesbild.core.settings import Settings
from lagesbild.core.taxonomy import load_taxonomy

from frames_support import demo_inputs, tiny_frames
from app_support import open_page

ROOT = Path(__file__).resolve().parents[1]
TAXONOMY = load_taxonomy(ROOT / "layers" / "pyramid.toml")
LAYERS = load_layers(ROOT / "layers")
SETTINGS = Settings(suppress_below=5, min_survey_n=30)
NAMES = {"2401": "Nordmaling", "2403": "Bjurholm", "2404": "Vindeln", "2409": "Robertsfors",
         "2417": "Norsjö"}


def county(shares: dict[str, tuple[float, int]], period: str = "2024") -> Frames:
    """Län 24 with five kommuner and an otrygghet share {area: (share %, respondents)}."""
    ids = list(NAMES)
    areas = gpd.GeoDataFrame({
        "area_id": ["24", *ids], "level": ["lan", *["kommun"] * len(ids)], "code": ["24", *ids],
        "name": ["Västerbottens län", *NAMES.values()], "parent_id": [None, *["24"] * len(ids)],
        "source": "gränser"},
        geometry=[box(0, 7_000_000, 50_000, 7_010_000)]
        + [box(i * 10_000, 7_000_000, (i + 1) * 10_000, 7_010_000) for i in range(len(ids))],
        crs=schema.CRS_STORE)
    rows = [(a, period, "otrygghet", "T", v, "percent", n, None, None, "enkät.csv")
            for a, (v, n) in shares.items()]
    columns = [c for c in schema.TABLES["indicators"] if c != "age_group"]
    return dataclasses.replace(tiny_frames(), areas=schema.conform(areas, "areas"),
                               indicators=schema.conform(pd.DataFrame(rows, columns=columns),
                                                         "indicators"))


def cells_of(frames: Frames, period: str = "2024") -> pd.DataFrame:
    cells = overview_cells(frames, [LAYERS["otrygghet"]], county_id="24", period=period,
                           taxonomy=TAXONOMY, settings=SETTINGS)
    return cells.set_index("name")


def test_positions_against_the_county_value_by_hand() -> None:
    # 400 answers each: 10 %, 30 %, 31 %, 50 %; 36 % of 100 (interval about 27–46 %)
    frames = county({"2401": (10.0, 400), "2403": (30.0, 400), "2404": (31.0, 400),
                     "2409": (50.0, 400), "2417": (36.0, 100)})
    cells = cells_of(frames)
    county_value = cells["county_value"].iloc[0]
    # the county's value is the pooled share: (40+120+124+200+36) yes of 1700 answers
    assert county_value == pytest.approx(520 / 1700 * 100, abs=0.05)
    assert cells["position"].to_dict() == {
        "Bjurholm": "inom", "Nordmaling": "under", "Norsjö": "inom", "Robertsfors": "över",
        "Vindeln": "inom"}
    # Norsjö's point estimate (36 %) is above the county (30,6 %), but its interval reaches it
    norsjo = cells.loc["Norsjö"]
    assert norsjo["value"] > county_value and norsjo["ci_low"] < county_value
    assert cells.loc["Robertsfors", "display"] == "50,0 % (n=400)"
    displays, positions = overview_tables(cells.reset_index(), period="2024")
    assert list(displays["Kommun"]) == ["Bjurholm", "Nordmaling", "Norsjö", "Robertsfors",
                                        "Vindeln"]
    title = LAYERS["otrygghet"].title("sv")
    assert list(positions[title]) == ["inom", "under", "inom", "över", "inom"]


def test_a_hidden_cell_gives_no_position() -> None:
    # Norsjö: 10 answers (below min_survey_n); Nordmaling is then hidden too, else Norsjö's
    # share could be recovered from the county's pooled share
    frames = county({"2401": (10.0, 400), "2403": (30.0, 400), "2404": (31.0, 400),
                     "2409": (50.0, 400), "2417": (90.0, 10)})
    cells = cells_of(frames)
    figs = layer_figures(frames, LAYERS["otrygghet"], period="2024", sex="T",
                         taxonomy=TAXONOMY, settings=SETTINGS).set_index("name")
    for name in ("Norsjö", "Nordmaling"):
        assert figs.loc[name, "suppressed"]
        assert cells.loc[name, "position"] == "dold"
        assert cells.loc[name, "display"].startswith("..")
        assert pd.isna(cells.loc[name, "value"])  # the true 90 % and 10 % never leave
    assert cells.loc["Robertsfors", "position"] == "över"


def test_a_kommun_without_data_is_missing_not_below() -> None:
    frames = county({"2401": (10.0, 400), "2403": (30.0, 400), "2404": (31.0, 400),
                     "2409": (50.0, 400)})  # Norsjö did not take part
    cells = cells_of(frames)
    assert cells.loc["Norsjö", "position"] == "saknas"
    assert cells.loc["Norsjö", "display"] == "uppgift saknas"


def test_latest_earlier_period_is_used_and_a_later_one_is_not() -> None:
    assert overview_period(["2022", "2023"], "2024") == "2023"
    assert overview_period(["HT2023", "HT2024"], "2024") == "HT2024"
    assert overview_period(["2025"], "2024") is None
    frames = county({"2401": (10.0, 400), "2409": (50.0, 400), "2403": (30.0, 400),
                     "2404": (31.0, 400), "2417": (36.0, 100)}, period="2023")
    cells = cells_of(frames, period="2024")
    assert set(cells["period"]) == {"2023"}
    displays, _ = overview_tables(cells.reset_index(), period="2024")
    assert f"{LAYERS['otrygghet'].title('sv')} (2023)" in displays.columns
    assert overview_cells(frames, [LAYERS["otrygghet"]], county_id="24", period="2022",
                          taxonomy=TAXONOMY, settings=SETTINGS).empty


# --- the county report ---------------------------------------------------------------------

_REPORTS: dict[str, object] = {}


def county_report(tmp_path_factory, area: str = "24"):  # noqa: ANN001, ANN201
    if area not in _REPORTS:
        from lagesbild.report.build import build_report

        _REPORTS[area] = build_report(*demo_inputs(tmp_path_factory), area_id=area,
                                      period="2024", layers=["vald_topp", "otrygghet"],
                                      images=False)
    return _REPORTS[area]


def overview_table(report):  # noqa: ANN001, ANN201
    found = [t for t in report.section("kartlaggning").tables if t.title.startswith("Länsöversikt")]
    return found[0] if found else None


def test_county_report_has_the_overview_with_the_figures_of_the_analysis(tmp_path_factory) -> None:
    report = county_report(tmp_path_factory)
    table = overview_table(report)
    assert table is not None
    frames, specs, taxonomy, settings = demo_inputs(tmp_path_factory)
    cells = overview_cells(frames, [specs["vald_topp"], specs["otrygghet"]], county_id="24",
                           period="2024", taxonomy=taxonomy, settings=settings)
    frame = table.frame
    assert frame["Kommun"].iloc[0] == "Västerbottens län"  # the county's own values first
    assert len(frame) == 1 + cells["area_id"].nunique() == 16
    title = specs["otrygghet"].title("sv")
    row = cells[(cells["layer"] == "otrygghet") & (cells["name"] == "Norsjö")].iloc[0]
    shown = frame.loc[frame["Kommun"] == "Norsjö", title].iloc[0]
    assert shown.endswith(f" · {row['position']}") and shown.startswith(row["display"][:4])
    assert table.fills is not None and table.fills.shape == frame.shape
    assert table.fills.loc[frame["Kommun"] == "Norsjö", title].iloc[0] == COLOURS[row["position"]]
    positions = {c.rsplit(" · ", 1)[1] for col in frame.columns[1:] for c in frame[col][1:]}
    assert positions <= {"över", "under", "inom", "dold", "saknas", "inget länsvärde"}
    assert {"över", "under"} & positions  # the demo county is not flat


def test_a_kommun_report_has_no_county_overview(tmp_path_factory) -> None:
    assert overview_table(county_report(tmp_path_factory, "2417")) is None


def test_every_format_shows_the_overview(tmp_path_factory) -> None:
    from lagesbild.report.writers import write_report

    report = county_report(tmp_path_factory)
    table = overview_table(report)
    norsjo = table.frame.loc[table.frame["Kommun"] == "Norsjö"].iloc[0, 1]
    html = write_report(report, "html").decode("utf-8")
    assert "Länsöversikt: Västerbottens län" in html
    assert any(f"background:{c}" in html for c in (COLOURS["över"], COLOURS["under"]))
    assert f"{norsjo}</td>" in html  # the position as text beside the colour
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(write_report(report, "xlsx")))
    sheets = [ws for ws in book.worksheets if str(ws["A1"].value).startswith("Länsöversikt")]
    assert sheets
    values = [c for row in sheets[0].iter_rows() for c in row if isinstance(c.value, str)]
    assert any(c.value == norsjo for c in values)
    fills = {c.fill.fgColor.rgb[-6:] for c in values if " · över" in c.value}
    assert fills == {COLOURS["över"][1:].upper()}
    pptx = write_report(report, "pptx")
    with zipfile.ZipFile(io.BytesIO(pptx)) as z:
        xml = "".join(z.read(n).decode("utf-8") for n in z.namelist()
                      if n.startswith("ppt/slides/slide"))
    assert "Länsöversikt" in xml and " · över" in xml
    from pypdf import PdfReader

    pages = PdfReader(io.BytesIO(write_report(report, "pdf"))).pages
    text = "".join(p.extract_text() for p in pages)
    assert "Länsöversikt" in text and "över" in text
    streams = "".join(p.get_contents().get_data().decode("latin-1") for p in pages
                      if p.get_contents() is not None)
    rgb = " ".join(f"{int(COLOURS['över'][i:i + 2], 16) / 255:.4f}".rstrip("0")
                   for i in (1, 3, 5))
    assert f"{rgb} rg" in streams  # the cells above the county are filled orange


# --- the Jämförelse page ---------------------------------------------------------------------

def test_compare_page_shows_the_county_overview(monkeypatch, tmp_path_factory) -> None:

    from frames_support import shared_demo

    monkeypatch.setenv("LAGESBILD_WORKSPACE", str(shared_demo(tmp_path_factory)))
    at = open_page("compare_page", timeout=90)
    assert not at.exception, at.exception
    assert "Länsöversikt" in [h.value for h in at.subheader]
    table = next(df.value for df in at.dataframe if "Kommun" in getattr(df.value, "columns", []))
    frame = table.data if hasattr(table, "data") else table  # a Styler or its frame
    assert len(frame) == 15 and "Skellefteå" in frame["Kommun"].tolist()
    cells = [c for col in frame.columns[1:] for c in frame[col]]
    assert any(c.endswith(" · över") for c in cells) and any(c.endswith(" · under") for c in cells)
    assert any(c.endswith(" · dold") and c.startswith("..") for c in cells)
    caption = [c.value for c in at.caption if "Orange: över" in c.value]
    assert caption and "Västerbottens läns eget värde" in caption[0]
    at.radio(key="lang").set_value("en").run()
    assert not at.exception and "County overview" in [h.value for h in at.subheader]
