"""A police-only layer (`audience = "police"`) never feeds a figure beyond the police: not the
analyses that load the layers themselves (need scores, similar kommuner, the joint disclosure
decision of rates), not a report for the wide audience."""

from __future__ import annotations

import dataclasses
import shutil

import pytest

from lagesbild.core.errors import InputError
from lagesbild.core.layers import load_layers, wide_layers
from lagesbild.core.settings import get_settings

from frames_support import demo_inputs

POLICE_LAYER = ('id = "polis_topp"\ntitle_sv = "Polisens eget toppvåld"\n'
                'title_en = "The police\'s own top violence"\nkind = "count_rate"\n'
                'pyramid_level = 3\naudience = "police"\norder = 0\n')


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201 - Settings
    """The shared layers and a police-only count-rate layer (the same categories as vald_topp,
    so it has data in every period vald_topp has)."""
    shared = get_settings()
    layers = tmp_path_factory.mktemp("police-layers") / "layers"
    shutil.copytree(shared.layers_dir, layers)
    (layers / "polis_topp.toml").write_text(POLICE_LAYER, encoding="utf-8")
    return dataclasses.replace(shared, layers_dir=layers, own_layers_dir=None)


def test_the_analyses_default_to_the_layers_beyond_the_police(settings) -> None:  # noqa: ANN001
    every = load_layers(settings.layers_dir)
    assert every["polis_topp"].audience == "police"
    wide = wide_layers(settings)
    assert "polis_topp" not in wide and "vald_topp" in wide
    assert set(every) - set(wide) == {"polis_topp"}


def test_need_and_similar_kommuner_do_not_read_a_police_only_layer(
        settings, tmp_path_factory: pytest.TempPathFactory) -> None:  # noqa: ANN001
    from lagesbild.analysis.need import need_scores
    from lagesbild.analysis.references import indicator_matrix

    frames, _, taxonomy, _ = demo_inputs(tmp_path_factory)
    for call in (need_scores, indicator_matrix):
        with pytest.raises(InputError, match="polis_topp"):  # unknown here, not silently used
            call(frames, ["polis_topp"], period="2024", taxonomy=taxonomy, settings=settings)
    # given explicitly (a caller whose session may see it), it is used
    every = load_layers(settings.layers_dir)
    matrix = indicator_matrix(frames, ["polis_topp", "vald_topp"], period="2024",
                              layers=every, taxonomy=taxonomy, settings=settings)
    assert matrix["polis_topp"].notna().any()


def test_the_joint_rate_decision_leaves_police_only_layers_out(
        settings, tmp_path_factory: pytest.TempPathFactory) -> None:  # noqa: ANN001
    from lagesbild.analysis.group_rates import rate_specs

    frames, _, _, _ = demo_inputs(tmp_path_factory)
    ids = [s.id for s in rate_specs(frames, "count_rate", "2024", settings)]
    assert "vald_topp" in ids and "polis_topp" not in ids
    every = load_layers(settings.layers_dir)
    given = [s.id for s in rate_specs(frames, "count_rate", "2024", settings,
                                      [every["polis_topp"]])]
    assert "polis_topp" in given  # the police's own view of it decides with it


def test_a_wide_report_has_no_police_only_layer(
        settings, tmp_path_factory: pytest.TempPathFactory) -> None:  # noqa: ANN001
    from lagesbild.report.build import build_report
    from lagesbild.report.html import to_html

    frames, _, taxonomy, _ = demo_inputs(tmp_path_factory)
    every = load_layers(settings.layers_dir)
    with pytest.raises(InputError, match="polis_topp"):
        build_report(frames, every, taxonomy, settings, area_id="2480", period="2024",
                     layers=["polis_topp", "vald_topp"], images=False)
    report = build_report(frames, every, taxonomy, settings, area_id="2480", period="2024",
                          layers=["vald_topp"], images=False)
    page = to_html(report)
    assert "Polisens eget toppvåld" not in page and "polis_topp" not in page
    police = build_report(frames, every, taxonomy, settings, area_id="2480", period="2024",
                          audience="police", layers=["polis_topp"], images=False)
    assert "Polisens eget toppvåld" in to_html(police)

