"""Every output a wide audience gets shows the one release the adversary audits.

The audit's cells (`analysis.release`: the pyramid cubes, the layer protected on its own, the
surveys' shares) are the ground truth: a cell hidden there is ".." in every output, and a cell
shown there shows the same count everywhere. Checked here: `pyramid --json` for every area, sex
and source; `compare --json` for the count layers; the app's pyramid page; the report model's
pyramid, map and survey tables. The four report formats are checked against the model in
test_report_formats, test_report_xlsx and test_report_html.
"""

from __future__ import annotations

import json
import os
import re

import pandas as pd
import pytest
from click.testing import CliRunner

from frames_support import demo_inputs, shared_demo
from lagesbild.analysis import disclosure
from lagesbild.analysis.darkfigure import load_indicator_meta
from lagesbild.analysis.pyramid_view import pyramid_view, to_json
from lagesbild.analysis.release import cube_release, subset_layer_release
from lagesbild.analysis.release_survey import survey_release
from lagesbild.cli.main import main
from lagesbild.core.taxonomy import ALL
from lagesbild.report.build import build_report
from app_support import open_page

PERIOD = "2024"
SEXES = {"K": "kvinnor", "M": "män", "T": "totalt"}
LAYER = "vald_nara_relation"


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> dict[str, int | None]:
    """Cell name -> published count, None where hidden."""
    frames, specs, taxonomy, settings = demo_inputs(tmp_path_factory)
    cells = []
    for source in ("counts", "incidents"):
        cells += cube_release(frames, period=PERIOD, source=source, taxonomy=taxonomy,
                              settings=settings)[0]
    cells += subset_layer_release(frames, specs[LAYER], period=PERIOD, taxonomy=taxonomy,
                                  settings=settings)[0]
    for indicator in frames.indicators["indicator_id"].astype(str).unique():
        cells += survey_release(frames, indicator, period=PERIOD, settings=settings)[0]
    return {str(c["cell"]): int(c["value"]) if c["shown"] else None for c in cells}


def _check(release: dict[str, int | None], name: str, count: object, hidden: bool) -> None:
    assert name in release, name
    if release[name] is None:
        assert hidden and (count is None or pd.isna(count)), (name, count)
    else:
        assert not hidden and int(count) == release[name], (name, count, release[name])


def _category(shown: str) -> str:
    """A table's category column: "ALLA" is the level's total."""
    return ALL if shown == "ALLA" else shown


def _count_in(display: str) -> int | None:
    """The count a rate's text gives ("905,8 per 100 000 (2 531 brott)"); None for ".."."""
    found = re.search(r"\(([\d\s\u00a0]+) brott\)", display)
    assert found or display == disclosure.HIDDEN, display
    return int(re.sub(r"\D", "", found.group(1))) if found else None


def test_pyramid_json_for_every_area_sex_and_source(release, tmp_path_factory) -> None:
    frames, _, taxonomy, settings = demo_inputs(tmp_path_factory)
    meta = load_indicator_meta(settings)
    areas = [*frames.lan["area_id"].astype(str), *frames.kommuner["area_id"].astype(str)]
    checked = 0
    for source in ("counts", "incidents"):
        for area in areas:
            view = pyramid_view(frames, taxonomy, meta, area_id=area, period=PERIOD,
                                source=source, settings=settings)
            for sex in SEXES:
                doc = to_json(view, taxonomy, sex=sex)
                for level in doc["levels"]:
                    cells = [(ALL, level["total"])] if level["total"] else []
                    cells += [(c["category"], c) for c in level["categories"]]
                    for category, cell in cells:
                        name = f"pyramid|{source}|{PERIOD}|{area}|{level['level']}|{category}|{sex}"
                        _check(release, name, cell["count"], cell["suppressed"])
                        assert (cell["display"] == disclosure.HIDDEN) == cell["suppressed"]
                        checked += 1
                    for ind in level["indicators"]:
                        hidden = release[f"survey|{ind['id']}|{PERIOD}|{area}|{sex}"] is None
                        assert ind["suppressed"] == hidden, (area, sex, ind["id"])
    assert checked > 1000


def test_the_cli_prints_what_the_views_hold(release, tmp_path_factory) -> None:
    ws = shared_demo(tmp_path_factory)
    runner = CliRunner()
    doc = json.loads(runner.invoke(main, ["pyramid", "-w", str(ws), "--area", "2463", "--sex",
                                          "K", "--period", PERIOD, "--json"]).stdout)
    for level in doc["levels"]:
        for c in level["categories"]:
            _check(release, f"pyramid|counts|{PERIOD}|2463|{level['level']}|{c['category']}|K",
                   c["count"], c["suppressed"])
    for layer, name in (("vald_topp", "pyramid|counts|{p}|{a}|3|" + ALL + "|{s}"),
                        (LAYER, "layer|" + LAYER + "|{p}|{a}|{s}")):
        for sex in SEXES:
            out = runner.invoke(main, ["compare", "-w", str(ws), "--indicator", layer, "--sex",
                                       sex, "--period", PERIOD, "--json"])
            assert out.exit_code == 0, out.output
            doc = json.loads(out.stdout)
            for k in [*doc["kommuner"], doc["county"]]:
                _check(release, name.format(p=PERIOD, a=k["area_id"], s=sex),
                       _count_in(k["display"]), k.get("suppressed", False))


def test_the_app_pyramid_page_shows_the_same_cells(release, tmp_path_factory,
                                                   monkeypatch) -> None:
    monkeypatch.setenv("LAGESBILD_WORKSPACE", str(shared_demo(tmp_path_factory)))
    at = open_page("pyramid_page", timeout=60)
    at.selectbox(key="pyr_area").set_value("2463").run()
    assert not at.exception
    tables = [df.value for df in at.dataframe if "Brottskategori" in df.value.columns]
    levels = {0: 3, 1: 2, 2: 0}  # the page's count tables: level 3, level 2, outside
    assert len(tables) == 3
    for position, table in enumerate(tables):
        for _, row in table.iterrows():
            for sex, word in (("K", "Kvinnor"), ("M", "Män"), ("T", "Totalt")):
                text = str(row[f"Antal ({word})"])
                count = None if text == disclosure.HIDDEN else int(text.replace("\u00a0", ""))
                name = (f"pyramid|counts|{PERIOD}|2463|{levels[position]}|"
                        f"{_category(row['Brottskategori'])}|{sex}")
                _check(release, name, count, text == disclosure.HIDDEN)


def test_the_report_tables_show_the_same_cells(release, tmp_path_factory) -> None:
    frames, specs, taxonomy, settings = demo_inputs(tmp_path_factory)
    report = build_report(frames, specs, taxonomy, settings, area_id="2463", period=PERIOD,
                          layers=["vald_topp", LAYER, "otrygghet"])
    tables = {t.title: t.frame for t in report.all_tables()}
    pyramid = tables[f"Våldspyramiden: Åsele, {PERIOD}"]
    level_of = {lv.title_sv: lv.level for lv in taxonomy.levels}
    for _, row in pyramid.iterrows():
        level = level_of.get(row["Nivå"], 0)
        for sex, word in SEXES.items():
            value = row[f"Antal ({word})"]
            hidden = value == disclosure.HIDDEN
            _check(release, f"pyramid|counts|{PERIOD}|2463|{level}|"
                   f"{_category(row['Brottskategori'])}|{sex}",
                   None if hidden else value, hidden)
    sex_of = {"Kvinnor": "K", "Män": "M", "Totalt": "T"}
    for title, name in ((specs["vald_topp"].title("sv"), "pyramid|counts|{p}|{a}|3|" + ALL + "|{s}"),
                        (specs[LAYER].title("sv"), "layer|" + LAYER + "|{p}|{a}|{s}")):
        for _, row in tables[f"{title}, {PERIOD}"].iterrows():
            hidden = row["Värde"] == disclosure.HIDDEN
            _check(release, name.format(p=PERIOD, a=row["Kod"], s=sex_of[row["Kön"]]),
                   row["Antal"], hidden)
    for _, row in tables[f"{specs['otrygghet'].title('sv')}, {PERIOD}"].iterrows():
        if str(row["Värde"]) == "uppgift saknas":
            continue
        hidden = str(row["Värde"]).startswith(disclosure.HIDDEN)
        cell = release[f"survey|otrygghet|{PERIOD}|{row['Kod']}|{sex_of[row['Kön']]}"]
        assert (cell is None) == hidden, (row["Kod"], row["Kön"])


def test_the_release_is_not_empty(release) -> None:
    hidden = [k for k, v in release.items() if v is None]
    assert len(hidden) > 500 and len(release) - len(hidden) > 500
    assert os.environ.get("LAGESBILD_SUPPRESS_BELOW") in (None, "5")
