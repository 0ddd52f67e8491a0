"""benchmarks.app_bench: the steps on the police extract's layer and below the kommun run on a
small workspace with DeSO, and the naive and the cached app show the same pages.

The small scale here is the benchmark's own workspace cut to the two län the steps visit
(Stockholm and Västra Götaland); `lagesbild bench --only app` runs the same comparison on all of
Sweden and prints "pages identical: yes/NO"."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import app_bench, national_workspace

YEARS = (2023, 2024)  # the incident and DeSO steps choose these periods only
COUNTIES = ("01", "14")  # the steps choose kommuner 0180 and 1480 and "all kommuner"


@pytest.fixture(scope="module")
def deso_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return national_workspace.build(tmp_path_factory.mktemp("bench") / "national.gpkg",
                                    years=YEARS, sites=False, deso=150, incidents=1000,
                                    counties=COUNTIES)


def test_the_sequence_covers_the_incident_layer_and_deso() -> None:
    keys = {step[2] for step in app_bench.SEQUENCE if step[0] != "switch"}
    assert {"map_level", "map_small_kommun", "map_small_period", "map_small_sex",
            "map_small_view"} <= keys
    assert ("map", "selectbox", "map_layer", app_bench.INCIDENT_LAYER) in app_bench.SEQUENCE
    assert ("map", "selectbox", "map_small_kommun", app_bench.ALL_KOMMUNER) in app_bench.SEQUENCE
    assert set(app_bench.sequence("kommun")) == set(app_bench.MAP_STEPS + app_bench.OTHER_STEPS)
    state: dict[str, str] = {}
    kinds = [app_bench.kind_of(step, state) for step in app_bench.SEQUENCE]
    assert {"map", "map incidents", "map deso, one kommun", "map deso, all kommuner",
            "compare", "pyramid"} <= set(kinds)


def test_the_small_workspace_is_the_two_counties_with_deso(deso_workspace: Path) -> None:
    from lagesbild.store.gpkg import GpkgWorkspace

    areas = GpkgWorkspace(deso_workspace).read("areas")
    by_level = {level: set(part["area_id"].astype(str)) for level, part in areas.groupby("level")}
    assert by_level["lan"] == set(COUNTIES)
    assert {"0180", "1480"} <= by_level["kommun"] and len(by_level["kommun"]) == 26 + 49
    assert {a[:2] for a in by_level["deso"]} == set(COUNTIES)
    assert len(by_level["deso"]) >= len(by_level["kommun"])  # at least one per kommun


def test_incident_and_deso_steps_naive_and_fast_agree(deso_workspace: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # the pages are compared here, not the release; its audit runs in test_app_release_guard
    monkeypatch.setenv("LAGESBILD_APP_AUDIT", "off")
    steps = [*app_bench.INCIDENT_STEPS, *app_bench.DESO_STEPS]
    # naive: caches cleared before every fourth step (each such rerun rebuilds the whole app);
    # the pages of all steps are compared
    res = app_bench.run(scale="small", workspace=deso_workspace, steps=steps, think=0.0,
                        naive_every=4)
    fast, naive = res["fast"], res["naive"]
    assert len(fast["steps"]) == len(steps)
    assert len(naive["steps"]) == len(range(0, len(steps), 4))
    assert len(fast["digests"]) == len(naive["digests"]) == len(steps)
    assert fast["digests"] == naive["digests"] and res["same"]
    kinds = {s["kind"] for s in fast["steps"]}
    assert {"map incidents", "map deso, one kommun", "map deso, all kommuner"} <= kinds
    text = app_bench.format_table(res)
    assert "pages identical: yes" in text and "map deso, all kommuner" in text
