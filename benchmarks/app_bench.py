"""App reruns after a filter change on the national workspace: naive rebuild vs the cached app.

    python -m benchmarks.app_bench [--scale full|small|kommun] [--quick] [--workspace W.gpkg]
        [--think 30] [--naive-every N] [--fast-only]

The app (`app.py`) runs in `streamlit.testing.v1.AppTest` on a national workspace (all 290
kommuner and 21 län, `benchmarks.national_workspace`; built into a temporary folder unless
--workspace names an existing file). `--scale` (`SCALES`): "full", the default, is issue 6's
national scale: about 6 000 DeSO and 1.5 million police-extract incidents a year for five years
(7.5 million); "small" (`--quick`) the same with 600 DeSO and 20 000 incidents a year; "kommun"
the workspace without DeSO and without a police extract (Brå-like counts only; the steps on
the incident layer and below the kommun are left out). After the first run (cold) the same
realistic sequence of filter changes (`SEQUENCE`: sex, period, view, layer and kommun on the
map page, on Brå-like counts and on the police extract's incident layer; the map below the
kommun: DeSO of one kommun and of all kommuner; sex, period and indicator on the comparison
page; area and period on the pyramid page) is applied twice, in this process:

- naive: every cache is cleared before every run (`st.cache_data.clear()`,
  `st.cache_resource.clear()`) and the background warmer is off (LAGESBILD_WARM=0): the app
  rebuilds everything on every rerun (the frames are read from the GeoPackage again).
- fast: the app as it is. After each run the benchmark waits until the background warmer is
  done with its plan, at most --think seconds (a user looking at the page before the next
  click); --think 0 clicks immediately; --pace S clicks every S seconds whatever the warmer does.

Each `at.run()` is timed with time.perf_counter (server time: the script run and AppTest's
handling of its messages, no browser). Page switches are timed but are not filter changes.
The tables, markdown and captions of every step must be the same in both runs. Target: fast
median rerun after a filter change at most 100 ms. At full scale a naive rerun reads 7.5
million incidents again, so only every --naive-every-th step is timed there (default 8).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

APP = Path(__file__).resolve().parents[1] / "app.py"
TARGET_MS = 100.0
PAGES = {"map": "map_page", "compare": "compare_page", "pyramid": "pyramid_page"}
# national_workspace.build options per scale, and the naive run's default --naive-every
SCALES: dict[str, dict] = {
    "full": {"years": (2020, 2021, 2022, 2023, 2024), "deso": 6000, "incidents": 1_500_000},
    "small": {"years": (2020, 2021, 2022, 2023, 2024), "deso": 600, "incidents": 20_000},
    "kommun": {"years": (2020, 2021, 2022, 2023, 2024)},
}
NAIVE_EVERY = {"full": 8, "small": 1, "kommun": 1}
INCIDENT_LAYER = "vald_nara_relation"  # kind incident_rate: the police extract
ALL_KOMMUNER = "*"  # the Karta page's "Alla kommuner" choice below the kommun (ui.small_map.ALL)
# (page, widget kind, key, value); ("switch", page) opens another page
MAP_STEPS: list[tuple[str, ...]] = [
    ("map", "radio", "map_sex", "K"), ("map", "radio", "map_sex", "M"),
    ("map", "radio", "map_sex", "T"), ("map", "selectbox", "map_period", "2023"),
    ("map", "selectbox", "map_period", "2022"), ("map", "selectbox", "map_view", "smoothed"),
    ("map", "selectbox", "map_view", "change"), ("map", "radio", "map_sex", "K"),
    ("map", "selectbox", "map_layer", "otrygghet"), ("map", "selectbox", "map_view", "value"),
    ("map", "selectbox", "map_period", "2024"),
    ("map", "selectbox", "map_layer", "hot_trakasserier"),
    ("map", "selectbox", "map_area", "1480"), ("map", "selectbox", "map_area", "0180"),
    ("map", "radio", "map_sex", "T"), ("map", "selectbox", "map_layer", "mvp_tackning"),
]
# the police extract's layer per kommun, then below the kommun (periods 2023 and 2024 only, so
# that a two-year workspace runs them too)
INCIDENT_STEPS: list[tuple[str, ...]] = [
    ("map", "selectbox", "map_layer", INCIDENT_LAYER), ("map", "radio", "map_sex", "K"),
    ("map", "selectbox", "map_period", "2023"), ("map", "selectbox", "map_view", "smoothed"),
    ("map", "selectbox", "map_view", "value"), ("map", "radio", "map_sex", "T"),
    ("map", "selectbox", "map_area", "1480"),
]
DESO_STEPS: list[tuple[str, ...]] = [
    ("map", "selectbox", "map_level", "deso"),
    ("map", "selectbox", "map_small_kommun", "1480"),
    ("map", "selectbox", "map_small_period", "2023"), ("map", "radio", "map_small_sex", "K"),
    ("map", "selectbox", "map_small_view", "smoothed"),
    ("map", "selectbox", "map_small_view", "value"),
    ("map", "selectbox", "map_small_kommun", "0180"),
    ("map", "selectbox", "map_small_kommun", ALL_KOMMUNER),
    ("map", "selectbox", "map_small_period", "2024"), ("map", "radio", "map_small_sex", "M"),
    ("map", "selectbox", "map_small_view", "smoothed"),
    ("map", "radio", "map_small_sex", "T"),
    ("map", "selectbox", "map_level", "kommun"),
]
OTHER_STEPS: list[tuple[str, ...]] = [
    ("switch", "compare"),
    ("compare", "radio", "cmp_sex", "K"), ("compare", "radio", "cmp_sex", "M"),
    ("compare", "selectbox", "cmp_period", "2023"),
    ("compare", "selectbox", "cmp_layer", "otrygghet"), ("compare", "radio", "cmp_sex", "T"),
    ("compare", "selectbox", "cmp_layer", "hot_trakasserier"),
    ("switch", "pyramid"),
    ("pyramid", "selectbox", "pyr_area", "0180"), ("pyramid", "selectbox", "pyr_period", "2023"),
    ("pyramid", "selectbox", "pyr_area", "1280"), ("pyramid", "selectbox", "pyr_area", "12"),
    ("pyramid", "selectbox", "pyr_period", "2024"),
]
SEQUENCE: list[tuple[str, ...]] = [*MAP_STEPS, *INCIDENT_STEPS, *DESO_STEPS, *OTHER_STEPS]


def sequence(scale: str) -> list[tuple[str, ...]]:
    """The steps a scale's workspace has data for (no police extract at "kommun" scale)."""
    return SEQUENCE if SCALES[scale].get("deso") else [*MAP_STEPS, *OTHER_STEPS]


def kind_of(step: tuple[str, ...], state: dict[str, str]) -> str:
    """What a step shows, for the report: the page, and on the map the layer's source and level.

    `state`: the widget values set so far (updated here)."""
    if step[0] != "switch":
        state[step[2]] = step[3]
    if step[0] != "map":
        return step[0]
    if state.get("map_level", "kommun") != "kommun":
        one = state.get("map_small_kommun") != ALL_KOMMUNER
        return f"map deso, {'one kommun' if one else 'all kommuner'}"
    return "map incidents" if state.get("map_layer") == INCIDENT_LAYER else "map"


@dataclass
class Run:
    name: str
    cold_s: float = 0.0
    warmup_s: float = 0.0  # fast only: the warmer's plan after the first run
    steps: list[dict] = field(default_factory=list)  # the timed steps
    digests: list[str] = field(default_factory=list)  # what every step showed, timed or not

    def times(self, kind: str | None = None) -> list[float]:
        return [s["s"] for s in self.steps
                if s["page"] != "switch" and (kind is None or s["kind"] == kind)]


def _clear() -> None:
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()


def _digest(at) -> str:  # noqa: ANN001 - an AppTest
    """What the page shows, as text: every table, markdown and caption, in order."""
    h = hashlib.sha256()
    for frame in at.dataframe:
        h.update(frame.value.to_csv().encode())
    for element in (*at.markdown, *at.caption, *at.info):
        h.update(str(element.value).encode())
    return h.hexdigest()


def _apply(at, step: tuple[str, ...]) -> None:  # noqa: ANN001
    if step[0] == "switch":
        at.switch_page(f"lagesbild/ui/{PAGES[step[1]]}.py")
        return
    _, kind, key, value = step
    getattr(at, kind)(key=key).set_value(value)


def run_app(workspace: Path, *, naive: bool, steps: list[tuple[str, ...]] | None = None,
            think: float = 30.0, pace: float = 0.0, every: int = 1,
            warm_timeout: float = 300.0, progress: bool = False) -> Run:
    """The first run and `steps` (default SEQUENCE); `every` > 1 times only every n-th step
    (naive runs are slow); page switches are always timed. `progress`: a line per step on
    stderr.

    After each fast run: wait for the warmer at most `think` seconds, or with `pace` > 0 sleep
    `pace` seconds whatever the warmer does (a user clicking every `pace` seconds)."""
    from streamlit.testing.v1 import AppTest

    from lagesbild.ui import common

    steps = SEQUENCE if steps is None else steps
    os.environ["LAGESBILD_WORKSPACE"] = str(workspace)
    os.environ["LAGESBILD_WARM"] = "0" if naive else "1"
    warmer = common.warmer()
    warmer.stop()
    warmer.wait_idle(warm_timeout)
    _clear()
    out = Run("naive" if naive else "fast")
    at = AppTest.from_file(str(APP), default_timeout=3600)
    start = time.perf_counter()
    at.run()
    out.cold_s = time.perf_counter() - start
    assert not at.exception and len(at.title) == 1, at.exception
    if not naive:
        start = time.perf_counter()
        warmer.wait_idle(warm_timeout)
        out.warmup_s = time.perf_counter() - start
    state: dict[str, str] = {}
    for i, step in enumerate(steps):
        kind = kind_of(step, state)
        timed = step[0] == "switch" or i % every == 0
        _apply(at, step)
        if naive and timed:
            _clear()
        start = time.perf_counter()
        at.run()
        seconds = time.perf_counter() - start
        assert not at.exception and len(at.title) == 1, (step, at.exception)
        waited, idle = 0.0, True
        if not naive and (think > 0 or pace > 0):
            begin = time.perf_counter()
            if pace > 0:
                time.sleep(pace)
                idle = warmer.idle()
            else:
                idle = warmer.wait_idle(think)
            waited = time.perf_counter() - begin
        out.digests.append(_digest(at))
        if timed:
            out.steps.append({"i": i, "page": step[0], "kind": kind, "step": " ".join(step[1:]),
                              "s": seconds, "think_s": waited, "idle": idle,
                              "digest": out.digests[-1]})
        if progress:
            print(f"{out.name} {i + 1}/{len(steps)} {kind}: {' '.join(step[1:])} "
                  f"{seconds * 1000:.0f} ms{'' if timed else ' (untimed)'}", file=sys.stderr,
                  flush=True)
    warmer.stop()
    warmer.wait_idle(warm_timeout)
    return out


def _ms(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values) * 1000.0, q)) if values else float("nan")


def _kinds(steps: list[dict]) -> list[str]:
    return list(dict.fromkeys(s["kind"] for s in steps if s["page"] != "switch"))


def report(naive: Run | None, fast: Run) -> tuple[str, bool]:
    """The per-step table, medians and p90 per kind of step, and whether the fast median meets
    TARGET_MS with every naive-timed page identical in both runs."""
    by_step = {s["i"]: s for s in (naive.steps if naive else [])}
    lines = [f"{'step':<52} {'naive ms':>9} {'fast ms':>9} {'think s':>8}  same page"]
    same = True
    for f in fast.steps:
        s = by_step.get(f["i"])
        equal = s is None or s["digest"] == f["digest"]
        same &= equal
        lines.append(f"{f['kind'] + ': ' + f['step']:<52} "
                     f"{'' if s is None else format(s['s'] * 1000, '.0f'):>9} "
                     f"{f['s'] * 1000:>9.1f} {f['think_s']:>7.1f}{'' if f['idle'] else '+'}  "
                     f"{'–' if s is None else 'yes' if equal else 'NO'}")
    lines += ["", f"{'filter changes':<26} {'n':>3} {'fast med':>9} {'fast p90':>9} "
              f"{'n naive':>7} {'naive med':>10} {'naive p90':>10} {'ratio':>7}"]
    for kind in (None, *_kinds(fast.steps)):
        f_t = fast.times(kind)
        n_t = naive.times(kind) if naive else []
        f_same = [f["s"] for f in fast.steps if f["i"] in by_step and f["page"] != "switch"
                  and kind in (None, f["kind"])]
        ratio = (f"{statistics.median(n_t) / statistics.median(f_same):>6.0f}x"
                 if n_t and f_same else f"{'':>7}")
        lines.append(f"{kind or 'all':<26} {len(f_t):>3} {_ms(f_t, 50):>9.1f} {_ms(f_t, 90):>9.1f} "
                     f"{len(n_t):>7} {_ms(n_t, 50):>10.0f} {_ms(n_t, 90):>10.0f} {ratio}")
    median = _ms(fast.times(), 50)
    slow = [f"{f['kind']}: {f['step']} ({f['s'] * 1000:.0f} ms)" for f in fast.steps
            if f["page"] != "switch" and f["s"] * 1000 > TARGET_MS]
    ok = median <= TARGET_MS and same
    lines += ["", f"first run (cold): {'' if naive is None else f'naive {naive.cold_s:.1f} s, '}"
              f"fast {fast.cold_s:.1f} s; background warm-up after it {fast.warmup_s:.1f} s",
              f"fast median {median:.1f} ms (target <= {TARGET_MS:.0f} ms): "
              f"{'ok' if median <= TARGET_MS else 'MISSED'}; pages identical: "
              f"{'yes' if same else 'NO'}; {os.cpu_count()} CPUs",
              f"fast steps over {TARGET_MS:.0f} ms: {len(slow)} of {len(fast.times())}"
              + "".join(f"\n  {s}" for s in slow),
              "(think s: wait for the warmer before the next click; + = gave up waiting)"]
    return "\n".join(lines), ok


def _rss_gb() -> float:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e9
    except OSError:
        return float("nan")


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # kB on Linux


def run(*, quick: bool = False, scale: str | None = None, workspace: Path | None = None,
        think: float = 30.0, pace: float = 0.0, naive_every: int | None = None,
        fast_only: bool = False, steps: list[tuple[str, ...]] | None = None,
        warm_timeout: float = 300.0, progress: bool = False) -> dict:
    """Build (unless `workspace` exists) the scale's workspace and run the app on it: fast, then
    naive. `quick`: the "small" scale. Returns plain values (the runs' steps, the build's and
    the frames' time and memory, `report` text, `same`: every compared page identical, `ok`)."""
    from benchmarks import national_workspace

    scale = scale or ("small" if quick else "full")
    steps = sequence(scale) if steps is None else steps
    every = NAIVE_EVERY[scale] if naive_every is None else naive_every
    out: dict = {"scale": scale, "options": SCALES[scale], "steps": len(steps),
                 "naive_every": every}
    with tempfile.TemporaryDirectory(prefix="lagesbild-bench-") as tmp:
        path = Path(workspace) if workspace else Path(tmp) / "national.gpkg"
        if not path.exists():
            start, timings = time.perf_counter(), {}
            national_workspace.build(path, timings=timings, **SCALES[scale])
            out["build"] = {"s": time.perf_counter() - start, "peak_rss_gb": _peak_gb(),
                            **{f"{k}_s": v for k, v in timings.items()}}
        out["gpkg_mb"] = path.stat().st_size / 1e6
        from streamlit.testing.v1 import AppTest

        os.environ.update(LAGESBILD_WORKSPACE=str(path), LAGESBILD_WARM="0")
        start = time.perf_counter()
        AppTest.from_file(str(APP), default_timeout=3600).run()  # untimed: imports and frames
        out["first_load"] = {"s": time.perf_counter() - start, "rss_gb": _rss_gb(),
                             "peak_rss_gb": _peak_gb()}
        fast = run_app(path, naive=False, steps=steps, think=think, pace=pace,
                       warm_timeout=warm_timeout, progress=progress)
        naive = None if fast_only else run_app(path, naive=True, steps=steps, every=every,
                                               warm_timeout=warm_timeout, progress=progress)
    out["rss_gb"], out["peak_rss_gb"] = _rss_gb(), _peak_gb()
    text, ok = report(naive, fast)
    # every step's page, timed or not (an untimed naive step reuses the caches of the one
    # before it, filled by the naive run itself)
    same = naive is None or naive.digests == fast.digests
    out.update(fast=asdict(fast), naive=None if naive is None else asdict(naive), report=text,
               ok=ok and same, same=same)
    return out


def format_table(res: dict) -> str:
    """The report of `run`, with the workspace's build and load figures first."""
    opts = ", ".join(f"{k}={v}" for k, v in res["options"].items())
    lines = [f"app: scale {res['scale']} ({opts}); {res['steps']} steps, naive timed every "
             f"{res['naive_every']}"]
    if "build" in res:
        b = res["build"]
        lines.append(f"workspace built in {b['s']:.1f} s (generate {b.get('generate_s', 0):.1f} s,"
                     f" incidents import {b.get('incidents_s', 0):.1f} s), peak RSS "
                     f"{b['peak_rss_gb']:.1f} GB")
    first = res["first_load"]
    lines += [f"GeoPackage {res['gpkg_mb']:.0f} MB; first run (imports, frames) "
              f"{first['s']:.1f} s, RSS after it {first['rss_gb']:.1f} GB; RSS at the end "
              f"{res['rss_gb']:.1f} GB, peak {res['peak_rss_gb']:.1f} GB", "", res["report"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=list(SCALES), default=None,
                        help="workspace size (default full; see SCALES)")
    parser.add_argument("--quick", action="store_true", help="the small scale")
    parser.add_argument("--workspace", type=Path,
                        help="national workspace of that scale (built there and kept if missing)")
    parser.add_argument("--think", type=float, default=30.0,
                        help="longest wait for the warmer after each fast run (s); 0: none")
    parser.add_argument("--pace", type=float, default=0.0,
                        help="instead: click every PACE seconds, whatever the warmer does")
    parser.add_argument("--naive-every", type=int, default=None,
                        help="time every n-th naive step only (default: 8 at full scale, else 1)")
    parser.add_argument("--fast-only", action="store_true", help="skip the naive run")
    parser.add_argument("--progress", action="store_true", help="a line per step on stderr")
    args = parser.parse_args(argv)
    res = run(quick=args.quick, scale=args.scale, workspace=args.workspace, think=args.think,
              pace=args.pace, naive_every=args.naive_every, fast_only=args.fast_only,
              progress=args.progress)
    print(format_table(res))
    return 0 if res["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
