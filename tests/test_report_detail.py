"""The report's finer 'var' and 'när': areas below the kommun, and points only for the police."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pandas as pd
import pytest

from lagesbild.core import schema
from lagesbild.report.build import build_report
from lagesbild.report.pdf import to_pdf

from frames_support import demo_inputs
from test_app_small_areas import grid_areas

LAYERS = ["vald_nara_relation", "otrygghet"]


def _report(tmp_path_factory, frames=None, **kwargs):
    base, specs, taxonomy, settings = demo_inputs(tmp_path_factory)
    args = dict(area_id="2480", period="2024", notes={}, goals={}, audience="wide",
                created=date(2026, 12, 1), layers=LAYERS)
    args.update(kwargs)
    return build_report(frames or base, specs, taxonomy, settings, **args)


@pytest.fixture(scope="module")
def police(tmp_path_factory):
    return _report(tmp_path_factory, audience="police")


@pytest.fixture(scope="module")
def wide(tmp_path_factory):
    return _report(tmp_path_factory)


def test_only_the_police_report_shows_offence_points(police, wide):
    titles = [f.title for f in police.section("kartlaggning").figures]
    assert any("endast polisen" in t for t in titles)
    assert police.meta["point_data"].startswith("police: ")
    assert not any("endast polisen" in f.title for f in wide.section("kartlaggning").figures)
    assert wide.meta["point_data"] == "none"
    kallor = " ".join(police.section("kallor").paragraphs)
    assert "sprid den inte vidare" in kallor


def test_the_police_points_reach_the_pdf_only_for_the_police(police, wide, tmp_path):
    import pypdf

    for report, expected in ((police, True), (wide, False)):
        path = tmp_path / f"{report.audience}.pdf"
        path.write_bytes(to_pdf(report))
        text = "\n".join(p.extract_text() for p in pypdf.PdfReader(path).pages)
        assert ("endast polisen" in text) is expected


def test_when_table_is_in_the_mapping(wide):
    tables = wide.section("kartlaggning").tables
    when = next(t for t in tables if t.title.startswith("När: veckodag"))
    assert list(when.frame.columns)[0] == "Veckodag" and len(when.frame) == 8
    assert any(p.startswith("När, Umeå 2024") and "kl. 18–06" in p
               for p in wide.section("kartlaggning").paragraphs)


def test_areas_below_the_kommun_in_the_report(tmp_path_factory):
    frames, *_ = demo_inputs(tmp_path_factory)
    umea = frames.kommuner[frames.kommuner["area_id"] == "2480"]
    grid = grid_areas(umea, "2480")
    areas = schema.conform(pd.concat([frames.areas, grid], ignore_index=True), "areas")
    pop = pd.DataFrame([(a, 2024, s, p, "rutor") for a in grid["area_id"]
                        for s, p in (("K", 4000), ("M", 4000), ("T", 8000))],
                       columns=["area_id", "year", "sex", "population", "source"])
    frames = replace(frames, areas=areas, population=schema.conform(
        pd.concat([frames.population, pop], ignore_index=True), "population"))
    report = _report(tmp_path_factory, frames=frames)
    fig = next(f for f in report.section("kartlaggning").figures if f.title.startswith("Karta per DeSO"))
    assert fig.png.startswith(b"\x89PNG") and fig.table is not None
    values = " ".join(fig.table.frame["Värde"].astype(str))
    assert "per 1 000" in values.replace("\u00a0", " ")
    assert any(p.startswith("Var inom kommunen") for p in report.section("kartlaggning").paragraphs)
