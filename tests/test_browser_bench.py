"""`lagesbild bench`'s browser section runs end to end: a tiny N, the four measurements and the
ratios against the full re-render printed (their values are the benchmark's, not a test's)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from benchmarks import browser_bench

pytestmark = pytest.mark.browser


def test_browser_bench_prints_every_measurement_with_its_ratio(demo_gpkg: Path, browser,  # noqa: ANN001
                                                               capsys: pytest.CaptureFixture,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAGESBILD_WARM", "1")  # the benchmark's fast path warms (conftest: off)
    # the worker's Chromium (tests/browser_fixtures.py: skips, or fails in CI, without one)
    assert browser_bench.main(["--n", "1", "--think", "0", "--one-cold", "--no-national",
                                "--idle-timeout", "0", "--workspace", str(demo_gpkg)],
                               browser=browser) == 0
    out = capsys.readouterr().out
    for _, label, target in browser_bench.MEASURES:
        line = next((x for x in out.splitlines() if x.startswith(label)), None)
        assert line is not None, (label, out)
        # n, fast median and p90, full median and p90, the ratio, the target and the verdict
        # (the full path's first load is not measured with --one-cold: "nan" and no ratio)
        full = r"\s+nan\s+nan\s+–" if target is None else r"\s+\d+\s+\d+\s+\d+\.\dx"
        numbers = r"\s+\d+" + r"\s+\d+" * 2 + full
        verdict = r"\s+–\s+–$" if target is None else rf"\s+<={target:.0f}\s+(PASS|MISS)$"
        assert re.fullmatch(re.escape(label) + numbers + verdict, line), line
    assert "switch to Jämförelse" in out and "switch to Karta" in out
    assert "national" not in out  # --no-national


def test_the_national_deso_views_are_reported_beside_the_full_re_render() -> None:
    from benchmarks import browser_national

    empty = {k: [] for k, _, _ in browser_bench.MEASURES}
    res = {"n": 3, "think_s": 1.0, "fast": dict(empty), "full": dict(empty),
           "national": {"fast": {"deso_first": [2.5, 3.0, 2.0], "deso_period": [0.5, 0.4, 0.6]},
                        "full": {"deso_first": [5.0, 6.0, 4.0], "deso_period": [4.0, 4.0, 4.0]}}}
    lines = browser_bench.format_table(res).splitlines()
    first, period = (next(x for x in lines if x.startswith(label))
                     for _, label, _ in browser_national.MEASURES)
    assert re.fullmatch(r"national first DeSO view\s+3\s+2500\s+2900\s+5000\s+5800\s+2\.0x"
                        r"\s+<=2000\s+MISS", first), first
    assert re.fullmatch(r"national DeSO, another period\s+3\s+500\s+580\s+4000\s+4000\s+8\.0x"
                        r"\s+–\s+–", period), period
