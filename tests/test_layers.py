"""Declarative map layers: the real layers/ directory and the errors bad layer files give."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lagesbild.core.errors import InputError
from lagesbild.core.layers import KINDS, LayerSpec, get_layer, load_layers

ROOT = Path(__file__).resolve().parents[1]

GOOD = """id = "{id}"
title_sv = "Titel {id}"
kind = "count_rate"
pyramid_level = 3
order = {order}
"""


def test_real_layers_load_in_display_order() -> None:
    specs = load_layers(ROOT / "layers")
    assert list(specs) == ["vald_topp", "hot_trakasserier", "vald_nara_relation", "otrygghet",
                           "sexistiska_kommentarer", "mvp_tackning",
                           "enheter_kunskap_hrv_vinr", "otrygg_i_skolan", "brott_mot_person",
                           "brott_stold_inbrott", "brott_fordonsbrott", "brott_skadegorelse",
                           "brott_narkotika", "brott_bedrageri"]
    top = specs["vald_topp"]
    assert (top.kind, top.pyramid_level, top.per, top.unit) == ("count_rate", 3, 100_000, "per100000")
    assert top.file == "vald_topp.toml" and top.title("en").startswith("Reported serious violence")
    assert top.title() == top.title_sv
    rel = specs["vald_nara_relation"]
    assert rel.kind == "incident_rate" and rel.relation is True
    assert specs["otrygghet"].indicator == "otrygghet" and specs["otrygghet"].unit == "percent"
    assert specs["mvp_tackning"].programmes == ("MVP", "MVP Mellanstadiet")
    assert specs["mvp_tackning"].scheme == "equal_interval" and specs["mvp_tackning"].k == 4
    assert all(s.kind in KINDS for s in specs.values())
    hash(top)  # frozen specs are cache keys in the app


def _dir(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_defaults_and_order(tmp_path: Path) -> None:
    specs = load_layers(_dir(tmp_path, {
        "b.toml": GOOD.format(id="b", order=2), "a.toml": GOOD.format(id="a", order=2),
        "c.toml": GOOD.format(id="c", order=1),
        "pyramid.toml": "not a layer = [", "indicators.toml": "[x]\n"}))
    assert list(specs) == ["c", "a", "b"]
    a = specs["a"]
    assert a.title_en == a.title_sv == "Titel a"
    assert (a.scheme, a.k, a.colors, a.categories, a.relation) == ("quantiles", 5, "YlOrRd", (), None)


@pytest.mark.parametrize(("text", "field"), [
    ('id = "x"\ntitle_sv = "X"\nkind = "heatmap"\n', "kind"),
    ('id = "x"\ntitle_sv = "X"\nkind = "count_rate"\nscheme = "magic"\n', "scheme"),
    ('id = "x"\ntitle_sv = "X"\nkind = "indicator"\n', "indicator"),
    ('id = "x"\ntitle_sv = "X"\nkind = "count_rate"\npyramid_level = 4\n', "pyramid_level"),
    ('id = "x"\ntitle_sv = "X"\nkind = "count_rate"\npyramid_level = "topp"\n', "pyramid_level"),
    ('title_sv = "X"\nkind = "count_rate"\n', "id"),
    ('id = "x"\nkind = "count_rate"\n', "title_sv"),
])
def test_bad_layer_names_file_and_field(tmp_path: Path, text: str, field: str) -> None:
    _dir(tmp_path, {"a_ok.toml": GOOD.format(id="ok", order=1), "trasigt_lager.toml": text})
    with pytest.raises(InputError) as info:
        load_layers(tmp_path)
    assert info.value.file == "trasigt_lager.toml" and info.value.field == field
    assert "trasigt_lager.toml" in str(info.value) and f"'{field}'" in str(info.value)


def test_unknown_kind_lists_the_valid_kinds(tmp_path: Path) -> None:
    _dir(tmp_path, {"x.toml": 'id = "x"\ntitle_sv = "X"\nkind = "heatmap"\n'})
    with pytest.raises(InputError) as info:
        load_layers(tmp_path)
    for kind in KINDS:
        assert kind in str(info.value)


def test_duplicate_id_names_both_files(tmp_path: Path) -> None:
    _dir(tmp_path, {"first.toml": GOOD.format(id="same", order=1),
                    "second.toml": GOOD.format(id="same", order=2)})
    with pytest.raises(InputError) as info:
        load_layers(tmp_path)
    assert info.value.file == "second.toml" and info.value.field == "id"
    assert "first.toml" in str(info.value) and "'same'" in str(info.value)


def test_syntax_error_names_file(tmp_path: Path) -> None:
    _dir(tmp_path, {"broken.toml": 'id = "x\n'})
    with pytest.raises(InputError, match="broken.toml"):
        load_layers(tmp_path)


def test_copy_of_real_layers_with_one_extra(tmp_path: Path) -> None:
    for path in (ROOT / "layers").glob("*.toml"):
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "extra.toml").write_text(GOOD.format(id="extra", order=0), encoding="utf-8")
    specs = load_layers(tmp_path)
    assert list(specs)[0] == "extra" and len(specs) == 15


def test_get_layer() -> None:
    specs = {"a": LayerSpec(id="a", title_sv="A", title_en="A", kind="coverage")}
    assert get_layer(specs, "a").unit == "percent"
    with pytest.raises(InputError) as info:
        get_layer(specs, "zz")
    assert info.value.field == "layer" and "a" in info.value.fix and "zz" in str(info.value)
