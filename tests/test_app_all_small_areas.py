"""The map page's "Alla kommuner" below the kommun: every kommun's DeSO/RegSO on the fast path."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from lagesbild.core.taxonomy import load_taxonomy
from lagesbild.analysis.small_area_views import (all_kommuner_view, all_map_rows, all_views,
                                                 small_area_view, smooth_per_kommun)
from lagesbild.analysis.small_areas import kommuner_with, small_area_figures
from lagesbild.store.frames import load_frames
from lagesbild.core.layers import load_layers
from lagesbild.core.settings import get_settings
from lagesbild.ui.small_map import ALL, area_table
from lagesbild.store.gpkg import GpkgWorkspace

from frames_support import shared_demo
from small_areas_support import KOMMUNER, all_small_workspace

APP = Path(__file__).resolve().parents[1] / "app.py"
LAYER = "vald_nara_relation"
HIDDEN = ("..",)


@pytest.fixture(scope="module")
def all_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("all-small") / "ws.gpkg"
    return all_small_workspace(path, shared_demo(tmp_path_factory))


@pytest.fixture(scope="module")
def inputs(all_ws: Path):  # noqa: ANN201
    settings = get_settings()
    return (load_frames(GpkgWorkspace(all_ws)), load_layers(settings.layers_dir)[LAYER],
            load_taxonomy(settings.layers_dir / "pyramid.toml"), settings)


@pytest.mark.parametrize("level", ["deso", "regso"])
@pytest.mark.parametrize("sex", ["T", "K"])
def test_all_kommuner_figures_are_the_per_kommun_figures(inputs, level: str, sex: str) -> None:
    frames, spec, taxonomy, settings = inputs
    kw = dict(level=level, period="2024", sex=sex, taxonomy=taxonomy, settings=settings)
    everything = small_area_figures(frames, spec, kommun=None, **kw)
    kommuner = kommuner_with(frames, level)
    assert sorted(kommuner) == sorted(KOMMUNER)
    parts = pd.concat([small_area_figures(frames, spec, kommun=k, **kw) for k in kommuner])

    def order(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.sort_values("area_id").reset_index(drop=True)

    pd.testing.assert_frame_equal(order(everything), order(parts))
    areas = everything[everything["level"] == level]
    assert areas["suppressed"].any() and (~areas["suppressed"]).any()  # both kinds are tested
    hidden = areas[areas["suppressed"]]
    assert hidden["value"].isna().all() and hidden["count"].isna().all()
    assert set(hidden["display"]) <= set(HIDDEN)
    # smoothing inside each kommun gives each kommun's one-kommun smoothed view
    smoothed = smooth_per_kommun(everything, level=level)
    for k in kommuner:
        alone = small_area_view(frames, spec, view="smoothed", kommun=k, lang="sv", **kw).figures
        mine = smoothed[(smoothed["parent_id"] == k) & (smoothed["level"] == level)]
        pd.testing.assert_frame_equal(order(mine), order(alone[alone["level"] == level]))
    assert smoothed.loc[smoothed["suppressed"], "value"].isna().all()


def test_hot_spots_are_not_offered_for_all_kommuner(inputs) -> None:
    frames, spec, taxonomy, settings = inputs
    assert all_views(spec) == ["value", "smoothed"]
    with pytest.raises(Exception, match="hotspots"):
        all_kommuner_view(frames, spec, level="deso", view="hotspots", period="2024", sex="T",
                          taxonomy=taxonomy, settings=settings)


def test_map_rows_keep_hidden_areas_without_a_value(inputs) -> None:
    frames, spec, taxonomy, settings = inputs
    view = all_kommuner_view(frames, spec, level="deso", view="value", period="2024", sex="T",
                             taxonomy=taxonomy, settings=settings)
    rows = all_map_rows(view.figures, "deso", {"2480": "Umeå"})
    hidden = rows["display"].isin(HIDDEN)
    assert hidden.any() and rows.loc[hidden, "value"].isna().all()
    assert rows.loc[rows["area_id"] == "2480A0001", "name"].iloc[0].endswith(", Umeå")
    table = area_table(view.figures, "deso", "en", {"2480": "Umeå"})
    assert list(table.columns) == ["Area", "Municipality", "Value", "95% interval", "Note"]
    hidden_rows = table["Value"].isin(HIDDEN)
    # hidden (and missing) last, with no interval
    assert hidden_rows.iloc[-int(hidden_rows.sum()):].all()
    assert (table.loc[hidden_rows, "95% interval"] == "").all()


def _table(at: AppTest) -> pd.DataFrame:
    return at.dataframe[0].value


def test_map_page_all_kommuner(monkeypatch: pytest.MonkeyPatch, all_ws: Path) -> None:
    monkeypatch.setenv("LAGESBILD_WORKSPACE", str(all_ws))
    monkeypatch.setenv("LAGESBILD_WARM", "0")
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.run()
    at.switch_page("lagesbild/ui/map_page.py").run()
    assert not at.exception, at.exception
    at.selectbox(key="map_layer").set_value(LAYER).run()
    at.selectbox(key="map_level").set_value("deso").run()
    assert not at.exception, at.exception
    box = at.selectbox(key="map_small_kommun")
    assert box.options[0] == "Alla kommuner" and box.value in KOMMUNER  # one kommun first
    at.selectbox(key="map_small_view").set_value("hotspots").run()
    box.set_value(ALL).run()
    assert not at.exception, at.exception
    # hot spots are a one-kommun view: the view falls back to the value
    assert at.selectbox(key="map_small_view").value == "value"
    assert len(at.selectbox(key="map_small_view").options) == 2
    table = _table(at)
    assert list(table.columns) == ["Område", "Kommun", "Värde", "95 % intervall", "Anmärkning"]
    assert {"Umeå", "Skellefteå", "Norsjö"} <= set(table["Kommun"])
    assert len(table) == 3 * 16 - _dropped(all_ws)
    hidden = table["Värde"].isin(HIDDEN)
    assert hidden.any() and (table.loc[hidden, "95 % intervall"] == "").all()
    assert not table.loc[hidden, "Värde"].str.contains("per 1").any()
    assert "per 1\u00a0000" in " ".join(table.loc[~hidden, "Värde"])
    captions = " ".join(c.value for c in at.caption)
    assert "egen tabell" in captions and '"..' in captions and "Källa" in captions
    before = table.copy()
    at.selectbox(key="map_small_period").set_value("2023").run()
    assert not at.exception, at.exception
    at.radio(key="map_small_sex").set_value("K").run()
    assert not at.exception, at.exception
    after = _table(at)
    assert set(after["Kommun"]) == set(before["Kommun"]) and not after.equals(before)
    at.selectbox(key="map_small_view").set_value("smoothed").run()
    assert not at.exception, at.exception
    at.selectbox(key="map_level").set_value("regso").run()
    assert not at.exception, at.exception
    assert at.selectbox(key="map_small_kommun").value == ALL
    table = _table(at)
    assert len(set(table["Kommun"])) > 1 and table["Område"].str.startswith("Del ").all()
    at.radio(key="lang").set_value("en").run()
    assert not at.exception, at.exception
    assert "Municipality" in _table(at).columns
    # back to one kommun: its own table with the kommun row, as before
    at.selectbox(key="map_small_kommun").set_value("2482").run()
    assert not at.exception, at.exception
    assert "Municipality" not in _table(at).columns


def _dropped(path: Path) -> int:
    """Grid cells outside a kommun are dropped: count what the workspace really has."""
    areas = GpkgWorkspace(path).read("areas")
    return 3 * 16 - int((areas["level"] == "deso").sum())


def test_cli_map_of_every_kommuns_areas(all_ws: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from lagesbild.cli.main import main

    runner = CliRunner()
    out = tmp_path / "alla.html"
    done = runner.invoke(main, ["map", "-w", str(all_ws), "--layer", "vald_nara_relation",
                                "--level", "deso", "--kommun", "alla", "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert "deso i alla kommuner" in done.output
    page = out.read_text(encoding="utf-8")
    for kommun in KOMMUNER:  # the packed area ids are front-coded: each kommun's code is there
        assert kommun in page
    assert "alla kommuner" in page and "leaflet" in page.lower()
    refused = runner.invoke(main, ["map", "-w", str(all_ws), "--layer", "vald_nara_relation",
                                   "--level", "deso", "--kommun", "alla", "--view", "hotspots",
                                   "--out", str(out)])
    assert refused.exit_code != 0 and "value, smoothed" in refused.output

