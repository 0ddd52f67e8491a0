"""App reruns after a filter change on the national workspace: naive rebuild vs the cached app.

    python -m benchmarks.app_bench [--workspace national.gpkg] [--think 30] [--naive-every 1]

The app (`app.py`) runs in `streamlit.testing.v1.AppTest` on a national workspace (all 290
kommuner and 21 län, `benchmarks.national_workspace`; built into a temporary folder unless
--workspace names an existing file). After the first run (cold) the same realistic sequence of
filter changes (sex, period, view, layer and kommun on the map page; sex, period and indicator
on the comparison page; area and period on the pyramid page) is applied twice, in this process:

- naive: every cache is cleared before every run (`st.cache_data.clear()`,
  `st.cache_resource.clear()`) and the background warmer is off (LAGESBILD_WARM=0): the app
  rebuilds everything on every rerun.
- fast: the app as it is. After each run the benchmark waits until the background warmer is
  done with its plan, at most --think seconds (a user looking at the page before the next
  click); --think 0 clicks immediately; --pace S clicks every S seconds whatever the warmer does.

Each `at.run()` is timed with time.perf_counter (server time: the script run and AppTest's
handling of its messages, no browser). Page switches are timed but are not filter changes.
The tables, markdown and captions of every step must be the same in both runs. Target: fast
median rerun after a filter change at most 100 ms.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

APP = Path(__file__).resolve().parents[1] / "app.py"
TARGET_MS = 100.0
PAGES = {"map": "map_page", "compare": "compare_page", "pyramid": "pyramid_page"}
# (page, widget kind, key, value); ("switch", page) opens another page
SEQUENCE: list[tuple[str, ...]] = [
    ("map", "radio", "map_sex", "K"), ("map", "radio", "map_sex", "M"),
    ("map", "radio", "map_sex", "T"), ("map", "selectbox", "map_period", "2023"),
    ("map", "selectbox", "map_period", "2022"), ("map", "selectbox", "map_view", "smoothed"),
    ("map", "selectbox", "map_view", "change"), ("map", "radio", "map_sex", "K"),
    ("map", "selectbox", "map_layer", "otrygghet"), ("map", "selectbox", "map_view", "value"),
    ("map", "selectbox", "map_period", "2024"),
    ("map", "selectbox", "map_layer", "hot_trakasserier"),
    ("map", "selectbox", "map_area", "1480"), ("map", "selectbox", "map_area", "0180"),
    ("map", "radio", "map_sex", "T"), ("map", "selectbox", "map_layer", "mvp_tackning"),
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


@dataclass
class Run:
    name: str
    cold_s: float = 0.0
    warmup_s: float = 0.0  # fast only: the warmer's plan after the first run
    steps: list[dict] = field(default_factory=list)

    def times(self, page: str | None = None) -> list[float]:
        return [s["s"] for s in self.steps
                if s["page"] != "switch" and (page is None or s["page"] == page)]


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


def run(workspace: Path, *, naive: bool, think: float = 30.0, pace: float = 0.0, every: int = 1,
        warm_timeout: float = 300.0) -> Run:
    """The first run and SEQUENCE; `every` > 1 times only every n-th step (naive runs are slow).

    After each fast run: wait for the warmer at most `think` seconds, or with `pace` > 0 sleep
    `pace` seconds whatever the warmer does (a user clicking every `pace` seconds)."""
    from streamlit.testing.v1 import AppTest

    from lagesbild.ui import common

    os.environ["LAGESBILD_WORKSPACE"] = str(workspace)
    os.environ["LAGESBILD_WARM"] = "0" if naive else "1"
    warmer = common.warmer()
    warmer.stop()
    warmer.wait_idle(warm_timeout)
    _clear()
    out = Run("naive" if naive else "fast")
    at = AppTest.from_file(str(APP), default_timeout=600)
    start = time.perf_counter()
    at.run()
    out.cold_s = time.perf_counter() - start
    assert not at.exception and len(at.title) == 1, at.exception
    if not naive:
        start = time.perf_counter()
        warmer.wait_idle(warm_timeout)
        out.warmup_s = time.perf_counter() - start
    for i, step in enumerate(SEQUENCE):
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
        if timed:
            out.steps.append({"i": i, "page": step[0], "step": " ".join(step[1:]), "s": seconds,
                              "think_s": waited, "idle": idle, "digest": _digest(at)})
    warmer.stop()
    warmer.wait_idle(warm_timeout)
    return out


def _ms(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values) * 1000.0, q)) if values else float("nan")


def report(naive: Run, fast: Run) -> tuple[str, bool]:
    by_step = {s["i"]: s for s in fast.steps}
    lines = [f"{'step':<36} {'naive ms':>10} {'fast ms':>9} {'think s':>8}  same page"]
    same = True
    for s in naive.steps:
        f = by_step[s["i"]]
        equal = s["digest"] == f["digest"]
        same &= equal
        lines.append(f"{s['page'] + ': ' + s['step']:<36} {s['s'] * 1000:>10.0f} "
                     f"{f['s'] * 1000:>9.1f} {f['think_s']:>7.1f}{'' if f['idle'] else '+'}  "
                     f"{'yes' if equal else 'NO'}")
    lines.append("")
    lines.append(f"{'filter changes':<22} {'n':>3} {'naive med':>10} {'naive p90':>10} "
                 f"{'fast med':>9} {'fast p90':>9} {'ratio':>7}")
    for page in (None, *[p for p in PAGES]):
        n_t = [t for s in naive.steps if s["page"] != "switch" and page in (None, s["page"])
               for t in [s["s"]]]
        f_t = [by_step[s["i"]]["s"] for s in naive.steps
               if s["page"] != "switch" and page in (None, s["page"])]
        if not n_t:
            continue
        ratio = statistics.median(n_t) / statistics.median(f_t)
        lines.append(f"{page or 'all pages':<22} {len(n_t):>3} {_ms(n_t, 50):>10.0f} "
                     f"{_ms(n_t, 90):>10.0f} {_ms(f_t, 50):>9.1f} {_ms(f_t, 90):>9.1f} "
                     f"{ratio:>6.0f}x")
    fast_all = [by_step[s["i"]]["s"] for s in naive.steps if s["page"] != "switch"]
    median = _ms(fast_all, 50)
    ok = median <= TARGET_MS and same
    lines += ["", f"first run (cold): naive {naive.cold_s:.1f} s, fast {fast.cold_s:.1f} s; "
              f"background warm-up after it {fast.warmup_s:.1f} s",
              f"fast median {median:.1f} ms (target <= {TARGET_MS:.0f} ms): "
              f"{'ok' if median <= TARGET_MS else 'MISSED'}; pages identical: "
              f"{'yes' if same else 'NO'}; {os.cpu_count()} CPUs",
              "(think s: wait for the warmer before the next click; + = gave up waiting)"]
    return "\n".join(lines), ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", type=Path, help="national workspace (built if missing)")
    parser.add_argument("--think", type=float, default=30.0,
                        help="longest wait for the warmer after each fast run (s); 0: none")
    parser.add_argument("--pace", type=float, default=0.0,
                        help="instead: click every PACE seconds, whatever the warmer does")
    parser.add_argument("--naive-every", type=int, default=1,
                        help="time every n-th step only (naive reruns take seconds)")
    parser.add_argument("--fast-only", action="store_true", help="skip the naive run")
    args = parser.parse_args(argv)
    from benchmarks import national_workspace

    with tempfile.TemporaryDirectory(prefix="lagesbild-bench-") as tmp:
        path = args.workspace or Path(tmp) / "national.gpkg"
        if not path.exists():
            start = time.perf_counter()
            national_workspace.build(path)
            print(f"national workspace built in {time.perf_counter() - start:.1f} s: {path}")
        from streamlit.testing.v1 import AppTest

        os.environ.update(LAGESBILD_WORKSPACE=str(path), LAGESBILD_WARM="0")
        AppTest.from_file(str(APP), default_timeout=600).run()  # untimed: imports
        fast = run(path, naive=False, think=args.think, pace=args.pace, every=args.naive_every)
        if args.fast_only:
            times = fast.times()
            print("\n".join(f"{s['page'] + ': ' + s['step']:<36} {s['s'] * 1000:>9.1f} ms "
                            f"{s['think_s']:>6.1f} s" for s in fast.steps))
            print(f"fast: cold {fast.cold_s:.1f} s, warm-up {fast.warmup_s:.1f} s, median "
                  f"{_ms(times, 50):.1f} ms, p90 {_ms(times, 90):.1f} ms")
            return 0
        naive = run(path, naive=True, every=args.naive_every)
        text, ok = report(naive, fast)
    print(text)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
