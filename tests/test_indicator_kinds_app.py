"""What a coordinator sees on Jämförelse for a census indicator, a school survey by grade and an
NTU län row beside kommun rows: files shaped like the real ones, imported into a small
workspace (Västerbottens län with Norsjö and Sorsele)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from streamlit.testing.v1 import AppTest

from conftest import csv_bytes
from frames_support import EAST, LAN, WEST
from lagesbild.core import schema
from lagesbild.store import importer
from lagesbild.store.gpkg import GpkgWorkspace
from test_indicator_kinds import KALMAR, STOCKHOLM
from app_support import open_page

APP = Path(__file__).resolve().parents[1] / "app.py"
NTU_AND_KOMMUNER = """Område;År;Indikator;Kön;Andel (%);KI nedre;KI övre;Antal svarande
Västerbottens län;2024;otrygghet;T;25,3;23,1;27,5;1800
2417;2024;otrygghet;T;15,0;;;200
2422;2024;otrygghet;T;20,0;;;150
"""


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = GpkgWorkspace(tmp_path_factory.mktemp("kinds") / "ws.gpkg")
    areas = gpd.GeoDataFrame({
        "area_id": ["24", "2417", "2422"], "level": ["lan", "kommun", "kommun"],
        "code": ["24", "2417", "2422"], "name": ["Västerbottens län", "Norsjö", "Sorsele"],
        "parent_id": [None, "24", "24"], "source": "gränser"},
        geometry=[LAN, WEST, EAST], crs=schema.CRS_STORE)
    importer.store_boundaries(ws, schema.conform(areas, "areas"), name="gränser")
    for name, text in (("uppfoljning_enheter.csv", KALMAR),
                       ("trygghet_och_studiero.csv", STOCKHOLM),
                       ("ntu_lan.csv", NTU_AND_KOMMUNER)):
        result = importer.import_file(ws, "indicators", csv_bytes(text), name=name)
        assert not result.rejected, result.rejected
    return ws.path


@pytest.fixture
def page(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("LAGESBILD_WORKSPACE", str(workspace))
    at = open_page("compare_page", timeout=120)
    assert not at.exception, at.exception
    return at


def _rows(at: AppTest) -> dict[str, dict]:
    table = at.dataframe[0].value
    return {r["Område"]: r for r in table.to_dict("records")}


def _captions(at: AppTest) -> str:
    return " ".join(c.value for c in at.caption)


def test_census_shows_units_counted_without_interval(page: AppTest) -> None:
    at = page
    at.selectbox(key="cmp_layer").set_value("enheter_kunskap_hrv_vinr").run()
    assert not at.exception, at.exception
    rows = _rows(at)
    assert rows["Norsjö"]["Värde"] == "4 av 6 enheter (67 %)"
    assert rows["Norsjö"]["Intervall"] == ""
    text = " ".join(str(v) for r in rows.values() for v in r.values())
    assert "för få svar" not in text and "n=6" not in text
    assert "7 av 9 enheter summerade" not in text  # the county is a reference line, noted:
    assert "Länsvärdet: länsvärde: kommunernas enheter summerade (2 av 2 kommuner)" \
        in _captions(at)


def test_school_survey_shows_one_grade_named_in_the_caption(page: AppTest) -> None:
    at = page
    at.selectbox(key="cmp_layer").set_value("otrygghet").run()
    grade = at.selectbox(key="cmp_grade")
    assert grade.options == ["Alla årskurser", "åk 5", "åk 8"]
    grade.set_value("åk 8").run()
    assert not at.exception, at.exception
    assert at.selectbox(key="cmp_period").options == ["HT2023", "VT2024"]
    at.selectbox(key="cmp_period").set_value("VT2024").run()
    rows = _rows(at)
    assert rows["Norsjö"]["Värde"] == "30,0 % (n=180)"  # åk 8 only: åk 5 had 10 %
    assert rows["Sorsele"]["Värde"] == "40,0 % (n=90)"
    assert "(åk 8), VT2024" in _captions(at)
    # all grades: NTU's län row beside the kommuner's, shown as the county's own
    at.selectbox(key="cmp_grade").set_value("").run()
    at.selectbox(key="cmp_period").set_value("2024").run()
    assert not at.exception, at.exception
    assert "länets eget värde enligt källan; kommunernas värden sammanvägs inte" \
        in _captions(at)


def test_county_report_shows_units_and_what_the_county_value_holds(workspace: Path) -> None:
    """Länsstyrelsen's report: the census as counted units (no "för få svar"), the county's
    census summed from 2 of 2 kommuner, and NTU's county value named as the source's own."""
    from lagesbild.core.layers import load_layers
    from lagesbild.core.settings import get_settings
    from lagesbild.core.taxonomy import load_taxonomy
    from lagesbild.report.build import build_report
    from lagesbild.report.html import to_html
    from lagesbild.store.frames import load_frames

    settings = get_settings()
    report = build_report(load_frames(GpkgWorkspace(workspace)), load_layers(settings.layers_dir),
                          load_taxonomy(settings.layers_dir / "pyramid.toml"), settings,
                          area_id="24", period="2024", images=False,
                          layers=["enheter_kunskap_hrv_vinr", "otrygghet"])
    html = to_html(report)
    assert "4 av 6 enheter (67 %)" in html and "7 av 9 enheter (78 %)" in html
    assert "kommunernas enheter summerade (2 av 2 kommuner)" in html
    assert "länets eget värde enligt källan" in html
    assert "Antal enheter" in html
    assert "för få svar" not in html


def test_karta_shows_one_grade_at_a_time(workspace: Path, monkeypatch: pytest.MonkeyPatch
                                         ) -> None:
    """Karta offers the survey's grades beside the layer: åk 8 shows Norsjö's åk 8 share
    (30,0 %) in the detail panel, åk 5 its åk 5 share (10,0 %), never the two mixed; the
    periods are the grade's terms."""
    monkeypatch.setenv("LAGESBILD_WORKSPACE", str(workspace))
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.run()
    at.selectbox(key="map_layer").set_value("otrygghet").run()
    grade = at.selectbox(key="map_grade")
    assert grade.options[1:] == ["åk 5", "åk 8"] and "åk" not in grade.options[0], grade.options
    shown = {}
    for g in ("åk 8", "åk 5"):
        at.selectbox(key="map_grade").set_value(g).run()
        assert not at.exception, at.exception
        assert at.selectbox(key="map_period").options == ["HT2023", "VT2024"] if g == "åk 8" \
            else ["VT2024"], at.selectbox(key="map_period").options
        at.selectbox(key="map_period").set_value("VT2024").run()
        at.selectbox(key="map_area").set_value("2417").run()
        shown[g] = " ".join(str(v) for df in at.dataframe for v in df.value.astype(str).to_numpy().ravel())
    assert "30,0" in shown["åk 8"] and "10,0" not in shown["åk 8"]
    assert "10,0" in shown["åk 5"] and "30,0" not in shown["åk 5"]
