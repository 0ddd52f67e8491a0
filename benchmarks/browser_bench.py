"""Speed as the user feels it: the demo in Chromium, click to redrawn map, fast vs full re-render.

    python -m benchmarks.browser_bench [--n 10] [--quick] [--workspace demo.gpkg] [--think 1]
        [--national national.gpkg | --no-national] [--national-n 5]

The demo workspace (built into a temporary folder unless --workspace names one) is served by
`lagesbild serve --headless` with LAGESBILD_APP_AUDIT=off (the disclosure audit of a release
runs in the background otherwise and would be timed with every click). Playwright drives
/usr/bin/chromium (--no-sandbox --disable-gpu --disable-background-networking) at 1366 x 768.
Times are taken in this process with time.perf_counter from the click (or navigation) to the
moment the browser shows the result, polled on every animation frame:

- first load: a cold server (just healthy, nothing cached) until Karta's map is drawn;
- later session: a new browser context (a new browser: nothing in its HTTP cache) on the warm
  server until Karta's map is drawn; "same browser": a new tab in a browser that had the app
  open before (Streamlit's hashed bundle and the map's assets in its HTTP cache), a new
  Streamlit session all the same. Each later session starts once the server has been quiet
  for a second (its background warmer done with the sessions before: a later session comes
  to a server at rest, and the path measured second would otherwise find it more rested);
- filter change: Kön on Karta until the map is redrawn. "Redrawn": the fill colours of the
  map's Leaflet paths (the kommuner and the sites, in order) are those of the new choice, as
  recorded in a warm-up that visited every choice once; choices whose colours equal those of
  the choice before them cannot be seen and are left out of the cycle;
- page switch: a click on Jämförelse in the sidebar until its chart is drawn, and on Karta
  until its map is drawn;
- national DeSO views (`benchmarks.browser_national`, on a national workspace with about
  6 000 DeSO): the first map of every DeSO, then another period, each on a fresh server.

After each timed step the benchmark waits --think seconds (a user looking at the result).
Each measurement is taken for the app as it is ("fast": the map is drawn once per session and
a filter change restyles it) and with the fast path off ("full": `?redraw=full`, every change
re-renders the whole folium map in a new frame, as `st_folium` does). The first load of the
full path is a second cold server. Medians and p90 are printed with the ratio full / fast and
PASS or MISS against the targets of issue 16. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1366, "height": 768}
# (key, label, target ms or None)
MEASURES = (("first_load", "first load, cold server", None),
            ("later_first_map", "later session, first map", 2000.0),
            ("later_same_browser", "later session, same browser", 2000.0),
            ("filter_change", "filter change -> map redrawn", 400.0),
            ("page_switch", "page switch -> page drawn", 800.0))
SEXES = ("Totalt", "Kvinnor", "Män")  # the Kön radio on Karta, in Swedish
OTHER_PAGE = "Jämförelse"
HOME_PAGE = "Karta"

# the fill colours of the map's paths, joined, or "" while no map is drawn
FILLS_JS = """() => {
    const frame = [...document.querySelectorAll('iframe')]
        .find(f => (f.title || '').includes('streamlit_folium'));
    const doc = frame && frame.contentDocument;
    if (!doc) { return ''; }
    return [...doc.querySelectorAll('path.leaflet-interactive')]
        .map(p => p.getAttribute('fill')).join(' ');
}"""
CHART_JS = """(title) => {
    const h = document.querySelector('[data-testid=stMain] h1');
    return !!h && h.innerText.trim() === title && !!document.querySelector(
        '[data-testid=stMain] [data-testid=stVegaLiteChart] canvas, '
        + '[data-testid=stMain] [data-testid=stVegaLiteChart] svg');
}"""


def chromium() -> str | None:
    for path in (os.environ.get("LAGESBILD_CHROMIUM", ""), *CHROMIUM):
        if path and os.access(path, os.X_OK):
            return path
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def server(workspace: Path, log: Path, timeout: float = 90.0,
           env_extra: dict[str, str] | None = None) -> Iterator[str]:
    """`lagesbild serve --headless` on a free local port until /_stcore/health answers; its
    process group is ended afterwards. The derived tables are kept nowhere (every server
    computes from nothing) unless `env_extra` names a LAGESBILD_CACHE_DIR."""
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LAGESBILD_APP_AUDIT": "off",
           "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false", "LAGESBILD_CACHE_DIR": "off",
           **(env_extra or {})}
    env.pop("LAGESBILD_MAP_REDRAW", None)
    with open(log, "ab") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "lagesbild.cli", "serve", "--headless",
                                 "--port", str(port), "-w", str(workspace)], cwd=ROOT, env=env,
                                stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    _PIDS[url] = proc.pid
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the server stopped (see {log})")
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not answer in {timeout:.0f} s (see {log})")
            time.sleep(0.1)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


_PIDS: dict[str, int] = {}  # server url -> its process id


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) the process has used so far."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


IDLE_TIMEOUT_S = 180.0  # `quiet`'s longest wait (`--idle-timeout`)


def _set_idle_timeout(seconds: float) -> None:
    global IDLE_TIMEOUT_S
    IDLE_TIMEOUT_S = seconds


def quiet(url: str, *, share: float = 0.1, window_s: float = 1.0,
          timeout_s: float | None = None) -> float:
    """Wait until the server at `url` used less than `share` of a core for `window_s` (its
    background warmer done with the previous session's plan); returns the seconds waited."""
    timeout_s = IDLE_TIMEOUT_S if timeout_s is None else timeout_s
    pid, start = _PIDS.get(url), time.monotonic()
    if pid is None or not os.path.exists(f"/proc/{pid}/stat") or timeout_s <= 0:
        return 0.0
    while time.monotonic() - start < timeout_s:
        before = _cpu_s(pid)
        time.sleep(window_s)
        if _cpu_s(pid) - before < share * window_s:
            break
    return time.monotonic() - start


def _wait(page, expression: str, arg: object = None, timeout_s: float = 120.0) -> None:  # noqa: ANN001
    page.wait_for_function(expression, arg=arg, polling="raf", timeout=timeout_s * 1000)


def _map_drawn(page) -> None:  # noqa: ANN001
    _wait(page, f"() => ({FILLS_JS})() !== ''")


def _fills(page) -> str:  # noqa: ANN001
    return page.evaluate(FILLS_JS)


def _settled(page, quiet_s: float = 0.4, timeout_s: float = 60.0) -> str:  # noqa: ANN001
    """The map's fills once they stayed the same for `quiet_s`."""
    last, since, deadline = _fills(page), time.monotonic(), time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = _fills(page)
        if now != last or not now:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return now
    raise RuntimeError("the map did not settle")


def _open(browser, url: str):  # noqa: ANN001, ANN202
    """A new session (browser context) on Karta: (context, page, seconds to the drawn map)."""
    context = browser.new_context(viewport=VIEWPORT, locale="sv-SE")
    page = context.new_page()
    start = time.perf_counter()
    page.goto(url)
    _map_drawn(page)
    return context, page, time.perf_counter() - start


def _radio(page, label: str):  # noqa: ANN001, ANN202
    return page.locator("[data-testid=stMain] [data-testid=stRadio] label").filter(
        has_text=label).first


def _nav(page, label: str):  # noqa: ANN001, ANN202
    return page.locator("[data-testid=stSidebarNavLink]").filter(has_text=label).first


def run_path(browser, url: str, *, n: int, think: float, full: bool) -> dict:  # noqa: ANN001
    """Later sessions, filter changes and page switches on one warm server; `full` turns the
    fast redraw off for these sessions."""
    base = url
    quiet(base)  # a warm server: nothing left over from the sessions before
    url = url + ("/?redraw=full" if full else "/")
    out: dict = {"later_first_map": [], "later_same_browser": [], "filter_change": [],
                 "page_switch": [], "switch_detail": {OTHER_PAGE: [], HOME_PAGE: []}}
    shared, _, _ = _open(browser, url)  # the browser that had the app open before
    try:
        for _ in range(n):
            quiet(base)
            page = shared.new_page()
            start = time.perf_counter()
            page.goto(url)
            _map_drawn(page)
            out["later_same_browser"].append(time.perf_counter() - start)
            _settled(page)
            page.close()
            time.sleep(think)
    finally:
        shared.close()
    for i in range(n):
        quiet(base)
        context, page, seconds = _open(browser, url)
        out["later_first_map"].append(seconds)
        _settled(page)
        if i < n - 1:  # the last session goes on with the filter changes
            context.close()
        time.sleep(think)
    try:
        # warm-up: every choice once, its colours recorded
        expected: dict[str, str] = {}
        cycle = [*SEXES[1:], SEXES[0]]
        before = _settled(page)
        for label in cycle:
            _radio(page, label).click()
            # a loaded machine may start the rerun late: wait for the fills to change (up to
            # 10 s; a choice may keep every colour), then for them to settle
            deadline = time.monotonic() + 10
            while _fills(page) == before and time.monotonic() < deadline:
                time.sleep(0.1)
            expected[label] = before = _settled(page, quiet_s=0.8)
        current = SEXES[0]
        i = 0
        while len(out["filter_change"]) < n and i < 4 * n * len(cycle):
            target = cycle[i % len(cycle)]
            i += 1
            if expected[target] == expected[current]:
                continue
            start = time.perf_counter()
            _radio(page, target).click()
            _wait(page, f"(want) => ({FILLS_JS})() === want", expected[target])
            out["filter_change"].append(time.perf_counter() - start)
            current = target
            _settled(page)
            time.sleep(think)
        if not out["filter_change"]:
            raise RuntimeError("Kön changes no colour on the demo map: nothing to time")
        for _ in range(n):
            start = time.perf_counter()
            _nav(page, OTHER_PAGE).click()
            _wait(page, CHART_JS, OTHER_PAGE)
            seconds = time.perf_counter() - start
            out["page_switch"].append(seconds)
            out["switch_detail"][OTHER_PAGE].append(seconds)
            time.sleep(think)
            start = time.perf_counter()
            _nav(page, HOME_PAGE).click()
            _wait(page, f"() => document.querySelector('[data-testid=stMain] h1')?.innerText"
                        f".trim() === {HOME_PAGE!r} && ({FILLS_JS})() !== ''")
            seconds = time.perf_counter() - start
            out["page_switch"].append(seconds)
            out["switch_detail"][HOME_PAGE].append(seconds)
            _settled(page)
            time.sleep(think)
    finally:
        context.close()
    return out


def _cold(browser, workspace: Path, log: Path, *, full: bool) -> float:  # noqa: ANN001
    with server(workspace, log) as url:
        context, _, seconds = _open(browser, url + ("/?redraw=full" if full else "/"))
        context.close()
    return seconds


def run(*, n: int = 10, quick: bool = False, workspace: Path | None = None,
        think: float = 1.0, cold_full: bool = True, national: Path | bool = True,
        national_n: int | None = None, browser=None) -> dict:  # noqa: ANN001
    """Both paths measured; plain values (seconds) and `report` text. `quick`: N=3.
    `cold_full=False`: no second cold server for the full path's first load (a first load
    mounts one frame either way; the paths differ from the first change on). `national`: the
    national DeSO views (`benchmarks.browser_national`) on that workspace (built there if
    missing; True: built in the temporary folder; False: not measured), `national_n` fresh
    servers per path (default N, at most 5). `browser`: a Playwright Chromium already running
    (the test suite's; one Playwright per thread), else one is launched and closed here."""
    from playwright.sync_api import sync_playwright

    n = 3 if quick and n == 10 else n
    if browser is not None:
        return _run(browser, n=n, workspace=workspace, think=think, cold_full=cold_full,
                    national=national, national_n=national_n)
    path = chromium()
    if path is None:
        return {"skipped": "no Chromium at /usr/bin/chromium (scripts/install-browser.sh)"}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, args=LAUNCH_ARGS)
        try:
            return _run(browser, n=n, workspace=workspace, think=think, cold_full=cold_full,
                        national=national, national_n=national_n)
        finally:
            browser.close()


def _run(browser, *, n: int, workspace: Path | None, think: float, cold_full: bool,  # noqa: ANN001
         national: Path | bool, national_n: int | None) -> dict:
    from benchmarks import browser_national

    with tempfile.TemporaryDirectory(prefix="lagesbild-browser-bench-") as tmp:
        ws = Path(workspace) if workspace else Path(tmp) / "demo.gpkg"
        if not ws.exists():
            from lagesbild.store import demo

            demo.build_workspace(ws)
        log = Path(tmp) / "server.log"
        res: dict = {"n": n, "think_s": think, "fast": {}, "full": {}}
        with server(ws, log) as url:
            context, _, seconds = _open(browser, url + "/")
            context.close()
            res["fast"] = {"first_load": [seconds],
                           **run_path(browser, url, n=n, think=think, full=False)}
            res["full"] = run_path(browser, url, n=n, think=think, full=True)
        if cold_full:
            res["full"]["first_load"] = [_cold(browser, ws, log, full=True)]
        if national:
            big = browser_national.build(Path(tmp) / "national.gpkg" if national is True
                                         else Path(national))
            res["national"] = browser_national.run(
                browser, big, log, n=national_n or min(n, 5), think=think)
    res["report"] = format_table(res)
    return res


def _ms(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values) * 1000.0, q)) if values else float("nan")


def _line(label: str, f: list[float], s: list[float], target: float | None) -> str:
    """One measurement: n, fast median and p90, full median and p90, ratio, target, verdict."""
    ratio = (f"{statistics.median(s) / statistics.median(f):>6.1f}x" if f and s
             else f"{'–':>7}")
    verdict = "–" if target is None else ("PASS" if _ms(f, 50) <= target else "MISS")
    tgt = "–" if target is None else f"<={target:.0f}"
    return (f"{label:<32} {len(f):>3} {_ms(f, 50):>9.0f} {_ms(f, 90):>9.0f} "
            f"{_ms(s, 50):>9.0f} {_ms(s, 90):>9.0f} {ratio} {tgt:>8}  {verdict}")


def format_table(res: dict) -> str:
    if "skipped" in res:
        return f"browser: skipped ({res['skipped']})"
    fast, full = res["fast"], res["full"]
    lines = [f"browser: demo workspace in Chromium {VIEWPORT['width']}x{VIEWPORT['height']}, "
             f"N={res['n']}, think {res['think_s']:.1f} s, LAGESBILD_APP_AUDIT=off; "
             "fast = the app, full = ?redraw=full (whole folium map re-rendered)",
             f"{'measurement':<32} {'n':>3} {'fast med':>9} {'fast p90':>9} {'full med':>9} "
             f"{'full p90':>9} {'ratio':>7} {'target':>8}  result"]
    for key, label, target in MEASURES:
        lines.append(_line(label, fast.get(key, []), full.get(key, []), target))
    for page in (OTHER_PAGE, HOME_PAGE):
        f = fast.get("switch_detail", {}).get(page, [])
        s = full.get("switch_detail", {}).get(page, [])
        lines.append(f"  switch to {page:<21} {len(f):>3} {_ms(f, 50):>9.0f} {_ms(f, 90):>9.0f} "
                     f"{_ms(s, 50):>9.0f} {_ms(s, 90):>9.0f}")
    lines.append("(ms; first load: one cold server per path"
                 + ("" if full.get("first_load") else ", the full path's not measured") + ")")
    if "national" in res:
        from benchmarks.browser_national import MEASURES as NATIONAL

        fast, full = res["national"]["fast"], res["national"]["full"]
        kept = res["national"].get("kept", {})
        lines.append("national workspace (290 kommuner, about 6 000 DeSO), a fresh server per "
                     "session and path; Karta, DeSO, Kommun = Alla kommuner")
        for key, label, target in NATIONAL:
            lines.append(_line(label, fast.get(key, []), full.get(key, []), target))
        for key, label, target in NATIONAL:  # a restarted server, derived tables kept
            lines.append(_line(f"{label}, kept"[:32], kept.get(key, []), full.get(key, []),
                               target))
        lines.append("(national: fast and full compute every figure; kept = a server restarted "
                     "after one that opened the same views, LAGESBILD_CACHE_DIR kept)")
    return "\n".join(lines)


def main(argv: list[str] | None = None, *, browser=None) -> int:  # noqa: ANN001
    """The command line; `browser`: a running Playwright Chromium to use (see `run`)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10, help="repetitions of each measurement")
    parser.add_argument("--quick", action="store_true", help="N=3")
    parser.add_argument("--workspace", type=Path, help="demo workspace (built there if missing)")
    parser.add_argument("--think", type=float, default=1.0, help="pause after each step (s)")
    parser.add_argument("--one-cold", action="store_true",
                        help="no second cold server for the full path's first load")
    parser.add_argument("--national", type=Path, default=None,
                        help="national workspace with DeSO (built there if missing; default: "
                             "built in a temporary folder, about a minute)")
    parser.add_argument("--national-n", type=int, default=None,
                        help="national DeSO views: fresh servers per path (default N, at most 5)")
    parser.add_argument("--no-national", action="store_true", help="no national DeSO views")
    parser.add_argument("--idle-timeout", type=float, default=IDLE_TIMEOUT_S,
                        help="longest wait for the server to go idle before a later session "
                             "(s; 0: no wait, for a quick run whose values do not matter)")
    args = parser.parse_args(argv)
    _set_idle_timeout(args.idle_timeout)
    national = False if args.no_national else (args.national or True)
    print(run(n=args.n, quick=args.quick, workspace=args.workspace, think=args.think,
              cold_full=not args.one_cold, national=national,
              national_n=args.national_n, browser=browser)["report"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
