"""The pages' warming plans: every job runs outside a script run and fills what the page reads."""

from __future__ import annotations

import itertools
import threading
from pathlib import Path

import pytest

from lagesbild.core.settings import get_settings
from lagesbild.ui import common, compare_page, map_page, pyramid_page
from lagesbild.store.gpkg import GpkgWorkspace

from frames_support import shared_demo


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> common.Context:
    return common.Context(lang="sv", workspace=GpkgWorkspace(shared_demo(tmp_path_factory)),
                          settings=get_settings())


def _run(plan, n: int) -> list:  # noqa: ANN001
    """The first `n` jobs, run in a plain thread as the warmer runs them (no ScriptRunContext)."""
    keys: list = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for key, job in itertools.islice(plan, n):
                job()
                keys.append(key)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(120)
    assert not errors, errors
    return keys


def test_map_plan_warms_the_nearest_choices_first(ctx: common.Context) -> None:
    frames = common.frames(ctx)
    specs, _, _ = common.specs(ctx)
    plan = map_page._plan(ctx, frames, specs, "vald_topp", "value", "2024", "T", True)
    keys = _run(plan, 10)
    maps = [k[2] for k in keys if k[0] == "map"]
    assert maps[:2] == [("vald_topp", "value", "2024", "K"), ("vald_topp", "value", "2024", "M")]
    assert maps[2] == ("vald_topp", "value", "2019", "T")  # then the other periods
    assert ("detail", "vald_topp", "2024") in keys
    # what the plan built is what the page asks for: the same cache entries
    payload = common.map_payload(ctx, specs["vald_topp"], "value", "2024", "K", "HT2024")
    assert payload is common.map_payload(ctx, specs["vald_topp"], "value", "2024", "K", "HT2024")


def test_map_plan_is_bounded(ctx: common.Context) -> None:
    frames = common.frames(ctx)
    specs, _, _ = common.specs(ctx)
    plan = map_page._plan(ctx, frames, specs, "otrygghet", "change", "2022", "K", False)
    states = {key[2] for key, _ in plan if key[0] == "map"}  # planning only, no job run
    assert len(states) <= map_page.PLAN_STATES + 1 < common.MAP_CACHE


def test_compare_and_pyramid_plans_run(ctx: common.Context) -> None:
    specs, _, _ = common.specs(ctx)
    similar = ("2480", ("vald_topp",))
    keys = _run(compare_page._plan(ctx, specs, "vald_topp", "2024", "T", similar), 7)
    assert keys[:3] == [("similar", similar, s) for s in ("T", "K", "M")]
    assert keys[3:6] == [("cmp", "sv", ("vald_topp", "2024", s)) for s in ("T", "K", "M")]
    stamp = max(p.stat().st_mtime for p in Path(ctx.settings.layers_dir).glob("*.toml"))
    areas = pyramid_page._areas(ctx.key, str(ctx.workspace.path))
    keys = _run(pyramid_page._plan(ctx, areas, "2480", "counts", "2024", ["2023", "2024"],
                                   stamp), 5)
    assert keys[:2] == [("pyr", "sv", "2480", p, "counts") for p in ("2023", "2024")]
