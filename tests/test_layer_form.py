"""The coordinator's own map layers: the rules a layer file follows (one check for the Data
page's form and for hand-written files), the workspace's own layers folder, and the form."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lagesbild.core.errors import InputError
from lagesbild.core.layer_check import check_layer, layer_toml
from lagesbild.core.layers import known_categories, load_layers, own_layers_dir
from lagesbild.store.gpkg import GpkgWorkspace
from app_support import open_page

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ROOT / "layers"
APP = ROOT / "app.py"
GOOD = {"id": "misshandel_egen", "title_sv": "Misshandel per 100 000 inv.", "kind": "count_rate",
        "categories": ["Misshandel", "Grov misshandel"], "colors": "Reds", "k": 4, "order": 40}


def _error(data: dict, **kwargs) -> InputError:
    with pytest.raises(InputError) as info:
        check_layer(data, file="eget.toml", **kwargs)
    return info.value


def test_a_good_layer_passes_and_round_trips_through_its_toml() -> None:
    check_layer(GOOD, file="eget.toml", taken={"otrygghet": "otrygghet.toml"},
                known_categories=known_categories(LAYERS))
    text = layer_toml(GOOD, comment="Eget lager")
    assert text.startswith("# Eget lager\nid = \"misshandel_egen\"\n")
    assert tomllib.loads(text) == GOOD


@pytest.mark.parametrize(("change", "field", "said"), [
    ({"categories": ["Misshandel", "Slagsmål"]}, "categories", "Okänd brottskategori 'Slagsmål'"),
    ({"id": "otrygghet"}, "id", "Lager-id 'otrygghet' används redan i otrygghet.toml"),
    ({"colors": "Regnbåge"}, "colors", "Okänd färgskala 'Regnbåge'"),
    ({"title_sv": "  "}, "title_sv", "Titeln saknas"),
    ({"kind": "värmekarta"}, "kind", "Okänd lagertyp 'värmekarta'"),
    ({"id": "min lager"}, "id", "Lager-id 'min lager' går inte att använda"),
    # a bare string would be read letter by letter ("M", "i", ...): said, never counted
    ({"categories": "Misshandel"}, "categories", "ska vara en lista med texter"),
    ({"k": "fem"}, "k", "'fem' är inget heltal mellan 2 och 9"),
    ({"colour": "Reds"}, "colour", "Okänd nyckel 'colour'"),
])
def test_each_rule_names_the_field_and_says_what_is_wrong(change: dict, field: str,
                                                          said: str) -> None:
    error = _error({**GOOD, **change}, taken={"otrygghet": "otrygghet.toml"},
                   known_categories=known_categories(LAYERS))
    assert error.field == field and error.file == "eget.toml"
    assert said in str(error) and "Åtgärd:" in str(error)


def test_categories_match_as_the_data_do_case_and_dashes_aside() -> None:
    check_layer({**GOOD, "categories": ["misshandel ", "GROV MISSHANDEL"]}, file="x.toml",
                known_categories=known_categories(LAYERS))


def test_an_indicator_layer_names_a_known_indicator() -> None:
    data = {"id": "x", "title_sv": "X", "kind": "indicator", "indicator": "otryghet"}
    assert "Okänd indikator 'otryghet'" in str(_error(data, known_indicators={"otrygghet"}))


def _own(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = own_layers_dir(tmp_path / "ws.gpkg")
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_own_layers_are_read_after_the_shared_ones(tmp_path: Path) -> None:
    own = _own(tmp_path, {"misshandel_egen.toml": layer_toml(GOOD),
                          "grupp.toml": 'id = "grupp"\ntitle_sv = "G"\nkind = "count_rate"\n'
                                        'crime_group = "brott_mot_person"\n'})
    assert own.name == "ws_lager"
    specs = load_layers(LAYERS, own=own)
    assert specs["misshandel_egen"].file == "ws_lager/misshandel_egen.toml"
    assert specs["misshandel_egen"].categories == ("Misshandel", "Grov misshandel")
    # a crime group is taken from the shared brottsgrupper.toml
    assert "Misshandel" in specs["grupp"].categories
    assert set(load_layers(LAYERS)) < set(specs)  # the shared ones stay


def test_an_own_layer_reusing_a_shared_id_is_refused_naming_both_files(tmp_path: Path) -> None:
    own = _own(tmp_path, {"kopia.toml": layer_toml({**GOOD, "id": "otrygghet"})})
    with pytest.raises(InputError) as info:
        load_layers(LAYERS, own=own)
    assert info.value.file == "ws_lager/kopia.toml"
    assert "används redan i otrygghet.toml" in str(info.value)


# --- the form on the Data page and what the app shows ------------------------------------------

def _app(monkeypatch: pytest.MonkeyPatch, ws: GpkgWorkspace, page: str) -> AppTest:
    monkeypatch.setenv("LAGESBILD_WORKSPACE", ws.location)
    monkeypatch.setenv("LAGESBILD_WARM", "0")
    at = open_page(page, timeout=90)
    assert not at.exception, at.exception
    return at


def _fill(at: AppTest, **values: object) -> AppTest:
    for key, value in values.items():
        widget = at.selectbox(key=key) if key in ("lf_kind", "lf_indicator", "lf_level") \
            else at.text_input(key=key)
        widget.set_value(value)
    return at.button[0].click().run()


def test_the_form_writes_nothing_on_a_bad_input_and_the_layer_on_a_good_one(
        monkeypatch: pytest.MonkeyPatch, area_workspace: GpkgWorkspace) -> None:
    folder = own_layers_dir(area_workspace.files_path)
    at = _app(monkeypatch, area_workspace, "data_page")
    assert "Lägg till ett eget kartlager" in [e.label for e in at.expander]
    bad = [({"lf_id": "misshandel_egen", "lf_title_sv": ""}, "Titeln saknas"),
           ({"lf_title_sv": "Misshandel (eget)", "lf_categories": "Misshandel, Slagsmål"},
            "Okänd brottskategori 'Slagsmål'"),
           ({"lf_categories": "Misshandel", "lf_colors": "Regnbåge"}, "Okänd färgskala"),
           ({"lf_colors": "Reds", "lf_id": "vald_topp"}, "används redan i vald_topp.toml")]
    for values, said in bad:
        at = _fill(at, **values)
        assert not at.exception, at.exception
        assert [e.value for e in at.error] and said in at.error[0].value
        assert not folder.exists() or not list(folder.iterdir())  # nothing written
    at = _fill(at, lf_id="misshandel_egen")
    assert not at.exception and not at.error
    assert at.success[0].value.startswith("Lagret sparades i ")
    written = tomllib.loads((folder / "misshandel_egen.toml").read_text(encoding="utf-8"))
    assert written == {"id": "misshandel_egen", "title_sv": "Misshandel (eget)",
                       "kind": "count_rate", "categories": ["Misshandel"], "scheme": "quantiles",
                       "k": 5, "colors": "Reds", "order": 50}
    shown = next(d.value for d in at.dataframe if "Kartlager" in d.value.columns)
    assert "Misshandel (eget)" in list(shown["Kartlager"])
    assert f"{folder.name}/misshandel_egen.toml" in list(shown["Fil"])
    # the same id a second time: refused, the file stays as it was
    at = _fill(at, lf_title_sv="Annan titel")
    assert f"används redan i {folder.name}/misshandel_egen.toml" in at.error[0].value
    assert "Annan titel" not in (folder / "misshandel_egen.toml").read_text(encoding="utf-8")
    # the new layer is on Karta and Jämförelse
    at.switch_page("lagesbild/ui/map_page.py").run()
    assert not at.exception, at.exception
    assert "Misshandel (eget)" in at.selectbox(key="map_layer").options
    at.switch_page("lagesbild/ui/compare_page.py").run()
    assert not at.exception, at.exception
    assert "Misshandel (eget)" in at.selectbox(key="cmp_layer").options


def test_a_hand_written_file_with_an_error_gets_the_same_message_at_startup(
        monkeypatch: pytest.MonkeyPatch, area_workspace: GpkgWorkspace) -> None:
    data = {**GOOD, "colors": "Regnbåge"}
    folder = own_layers_dir(area_workspace.files_path)
    folder.mkdir(parents=True)
    (folder / "eget.toml").write_text(layer_toml(data), encoding="utf-8")
    with pytest.raises(InputError) as info:
        check_layer(data, file=f"{folder.name}/eget.toml")
    at = _app(monkeypatch, area_workspace, "map_page")  # no traceback: the message
    assert any(str(info.value) in e.value for e in at.error)


# --- own survey indicators ------------------------------------------------------------------

INDICATOR = {"title_sv": "Trygg i centrum", "unit": "percent", "polarity": "positive",
             "survey_sv": "Trygghetsvandring 2025"}


@pytest.mark.parametrize(("indicator_id", "change", "field", "said"), [
    ("otrygghet", {}, "id", "Indikator-id 'otrygghet' används redan i indicators.toml"),
    ("trygg", {"title_sv": ""}, "trygg.title_sv", "Titeln saknas"),
    ("trygg", {"polarity": "uppåt"}, "trygg.polarity", "Okänd riktning 'uppåt'"),
    ("trygg", {"reported_categories": ["Slagsmål"]}, "trygg.reported_categories",
     "Okänd brottskategori 'Slagsmål'"),
    ("trygg", {"unit": "antal"}, "trygg.unit", "Okänd enhet 'antal'"),
])
def test_indicator_rules(indicator_id: str, change: dict, field: str, said: str) -> None:
    from lagesbild.core.layer_check import check_indicator

    with pytest.raises(InputError) as info:
        check_indicator(indicator_id, {**INDICATOR, **change}, file="eget.toml",
                        taken={"otrygghet": "indicators.toml"},
                        known_categories=known_categories(LAYERS))
    assert info.value.field == field and said in str(info.value)


def test_own_indicators_are_read_after_the_shared_ones(tmp_path: Path) -> None:
    from lagesbild.core.layer_check import indicator_toml
    from lagesbild.core.layers import load_indicator_meta

    own = _own(tmp_path, {"indicators.toml": indicator_toml("trygg_centrum", INDICATOR)})
    meta = load_indicator_meta(LAYERS, own)
    assert meta["trygg_centrum"] == INDICATOR and "otrygghet" in meta
    (own / "indicators.toml").write_text(indicator_toml("otrygghet", INDICATOR), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_indicator_meta(LAYERS, own)
    assert info.value.file == "ws_lager/indicators.toml" and "används redan" in str(info.value)


def test_the_indicator_form_adds_an_id_a_survey_table_may_then_use(
        monkeypatch: pytest.MonkeyPatch, area_workspace: GpkgWorkspace) -> None:
    from conftest import csv_bytes
    from lagesbild.store import importer

    survey = csv_bytes("Kommunkod;År;Indikator;Kön;Andel (%);Antal svarande\n"
                       "2417;2025;trygg_centrum;T;71,5;240\n")
    before = importer.check_file(area_workspace, "indicators", survey, name="vandring.csv")
    assert not len(before.accepted) and before.rejected  # not known yet: rejected, not guessed
    folder = own_layers_dir(area_workspace.files_path)
    at = _app(monkeypatch, area_workspace, "data_page")
    at.text_input(key="if_id").set_value("otrygghet")
    at.text_input(key="if_title_sv").set_value("Trygg i centrum")
    at.button[1].click().run()
    assert "används redan i indicators.toml" in at.error[0].value
    assert not (folder / "indicators.toml").exists()  # nothing written
    at.text_input(key="if_id").set_value("trygg_centrum")
    at.selectbox(key="if_polarity").set_value("positive")
    at.button[1].click().run()
    assert not at.exception and not at.error
    assert "Indikatorn 'trygg_centrum' sparades" in at.success[0].value
    written = tomllib.loads((folder / "indicators.toml").read_text(encoding="utf-8"))
    assert written == {"trygg_centrum": {"title_sv": "Trygg i centrum", "unit": "percent",
                                         "polarity": "positive"}}
    assert "Trygg i centrum" in at.selectbox(key="lf_indicator").options  # a layer may show it
    after = importer.check_file(area_workspace, "indicators", survey, name="vandring.csv")
    assert len(after.accepted) == 1 and not after.rejected


def test_a_hand_written_indicator_with_an_error_gets_the_message_at_startup(
        monkeypatch: pytest.MonkeyPatch, area_workspace: GpkgWorkspace) -> None:
    folder = own_layers_dir(area_workspace.files_path)
    folder.mkdir(parents=True)
    (folder / "indicators.toml").write_text('[trygg]\ntitle_sv = "Trygg"\npolarity = "upp"\n',
                                            encoding="utf-8")
    at = _app(monkeypatch, area_workspace, "compare_page")
    assert any(f"{folder.name}/indicators.toml" in e.value and "Okänd riktning 'upp'" in e.value
               for e in at.error)


def test_a_snapshot_freezes_the_workspaces_own_layers(area_workspace: GpkgWorkspace,
                                                      tmp_path: Path) -> None:
    from lagesbild.core.settings import get_settings
    from lagesbild.store.snapshot import create_snapshot, current_state, open_snapshot
    from lagesbild.store.snapshot_sides import load_sides

    own = own_layers_dir(area_workspace.files_path)
    own.mkdir(parents=True)
    (own / "misshandel_egen.toml").write_text(layer_toml(GOOD), encoding="utf-8")
    settings = get_settings().for_workspace(area_workspace.files_path)
    snap = create_snapshot(area_workspace.location, layers_dir=LAYERS, settings=settings, notes={},
                           title="Möte", root=tmp_path / "snapshots")
    (own / "misshandel_egen.toml").unlink()  # changed afterwards: the snapshot keeps it
    opened = open_snapshot(snap.path)
    assert opened.settings.own_layers_dir is None
    assert "misshandel_egen" in load_layers(opened.layers_dir)
    assert "misshandel_egen" not in load_layers(LAYERS, own=settings.own_layers_dir)
    frozen, live = load_sides(snap.path, current_state(area_workspace.location, layers_dir=LAYERS,
                                                       settings=settings))
    assert "misshandel_egen" in frozen.layers and "misshandel_egen" not in live.layers


def test_census_indicator_keys_are_checked() -> None:
    """indicators.toml's census entries (kind, units) pass; a wrong kind or missing units is
    named with its field."""
    from lagesbild.core.errors import InputError
    from lagesbild.core.layer_check import check_indicator

    good = {"title_sv": "Andel enheter", "kind": "census", "units": "enheter"}
    check_indicator("enheter_x", good, file="indicators.toml")
    for bad, field in (({**good, "kind": "räkning"}, "enheter_x.kind"),
                       ({**good, "units": ""}, "enheter_x.units")):
        try:
            check_indicator("enheter_x", bad, file="indicators.toml")
        except InputError as error:
            assert error.field == field
        else:
            raise AssertionError(f"{bad} was accepted")
