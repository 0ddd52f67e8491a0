"""The national first DeSO view in Chromium: every kommun's DeSO on one map, fast vs full re-render.

Part of `benchmarks.browser_bench` (`lagesbild bench --only browser`). The national workspace
(`benchmarks.national_workspace`: 290 kommuner, about 6 000 synthetic DeSO with population and
a police extract, 2020-2024) is built once into the benchmark's folder unless given. Each
repetition starts a fresh server (nothing cached: geometry, figures and map are all computed
for this view), opens Karta, picks the police extract's layer and the DeSO level, waits
until the first kommun's DeSO map is drawn and its run is over, and then times two steps until the map is painted (the big map's canvas layer holds the DeSO features
and its legend names the chosen period):

- first DeSO view: "Alla kommuner" chosen in Kommun (the map of every DeSO, latest period);
- another period: right after, the earliest period, viewed for the first time in this
  session (the background warmer starts on the periods nearest the one shown, so the earliest
  is the one it reaches last).

"fast" is the app; "full" the same with `?redraw=full` (every change mounts a new frame with
the whole map, geometry included), each on its own fresh server. Nothing here asserts a time.
"""

from __future__ import annotations

import time
from pathlib import Path

LAYER = "Våld i nära relation (polisens utdrag) per 100 000 inv."
ALL = "Alla kommuner"
# (key, label, target ms or None)
MEASURES = (("deso_first", "national first DeSO view", 2000.0),
            ("deso_period", "national DeSO, another period", None))
YEARS = (2020, 2021, 2022, 2023, 2024)

# True once the big map in the streamlit-folium frame holds at least `min` features and its
# legend contains `text`
PAINTED_JS = """(want) => {
    const frame = [...document.querySelectorAll('iframe')]
        .find(f => (f.title || '').includes('streamlit_folium'));
    const w = frame && frame.contentWindow;
    if (!w || !w.L || !w.map || !w.map.eachLayer) { return false; }
    let n = 0;
    w.map.eachLayer(l => {
        if (l instanceof w.L.GeoJSON && l.lagesbildValues) { n += l.getLayers().length; }
    });
    const legend = frame.contentDocument.querySelector('.lagesbild-legend');
    return n >= want.min && !!legend && legend.textContent.includes(want.text);
}"""


def build(path: Path, *, deso: int = 6000, incidents: int = 300_000,
          counties: tuple[str, ...] | None = None) -> Path:
    """The national workspace with DeSO (about a minute for 6 000 DeSO), unless it exists."""
    if not path.exists():
        from benchmarks import national_workspace

        national_workspace.build(path, years=YEARS, sites=False, deso=deso,
                                 incidents=incidents, counties=counties)
    return path


def _choose(page, label: str, option: str) -> None:  # noqa: ANN001
    box = page.locator("[data-testid=stMain] [data-testid=stSelectbox]").filter(
        has_text=label).get_by_role("combobox")
    box.click()
    page.get_by_role("option", name=option, exact=True).click()


IDLE_JS = """() => document.querySelector('[data-testid="stApp"]')
    ?.getAttribute('data-test-script-state') === 'notRunning'"""


def _idle(page, timeout_s: float = 300.0) -> None:  # noqa: ANN001
    """Wait until the script run going on (it has drawn an element of its own) is over."""
    page.wait_for_function(IDLE_JS, timeout=timeout_s * 1000)


def _painted(page, text: str, minimum: int, timeout_s: float = 300.0) -> None:  # noqa: ANN001
    page.wait_for_function(PAINTED_JS, arg={"text": text, "min": minimum}, polling="raf",
                           timeout=timeout_s * 1000)


def one(browser, url: str, *, minimum: int, full: bool) -> dict[str, float]:  # noqa: ANN001
    """One fresh session on a fresh server: seconds to the first DeSO view and to another
    period."""
    from benchmarks.browser_bench import VIEWPORT, _map_drawn

    context = browser.new_context(viewport=VIEWPORT, locale="sv-SE")
    context.set_default_timeout(300_000)
    try:
        page = context.new_page()
        page.goto(url + ("/?redraw=full" if full else "/"))
        _map_drawn(page)
        _choose(page, "Kartlager", LAYER)
        page.locator("[data-testid=stMain] [data-testid=stSelectbox]").filter(
            has_text="Områdesnivå").wait_for()
        _choose(page, "Områdesnivå", "DeSO")
        page.locator("[data-testid=stMain] [data-testid=stSelectbox]").filter(
            has_text="Kommun").wait_for()
        _idle(page)  # the first kommun's DeSO drawn: nothing computing for this session
        latest, earliest = str(YEARS[-1]), str(YEARS[0])
        start = time.perf_counter()
        _choose(page, "Kommun", ALL)
        _painted(page, f"{latest}, totalt", minimum)
        first = time.perf_counter() - start
        start = time.perf_counter()
        _choose(page, "Period", earliest)
        _painted(page, f"{earliest}, totalt", minimum)
        return {"deso_first": first, "deso_period": time.perf_counter() - start}
    finally:
        context.close()


def run(browser, workspace: Path, log: Path, *, n: int, think: float,  # noqa: ANN001
        minimum: int = 1000) -> dict:
    """{"fast": {key: [seconds]}, "kept": {...}, "full": {...}}: `n` fresh servers per path.

    "fast" and "full" compute everything (no derived tables kept, `store.derived`); "kept" is
    a restarted server whose derived tables a server before it kept (the same views opened once
    on it): what a county's shared server gives after its first day."""
    import tempfile

    from benchmarks.browser_bench import server

    out: dict = {path: {k: [] for k, _, _ in MEASURES} for path in ("fast", "kept", "full")}
    for _ in range(n):
        for path in ("fast", "kept", "full"):
            with tempfile.TemporaryDirectory() as kept:
                extra = {"LAGESBILD_CACHE_DIR": kept} if path == "kept" else None
                if extra:  # the earlier server: opens the same views, keeps their figures
                    with server(workspace, log, env_extra=extra) as url:
                        one(browser, url, minimum=minimum, full=False)
                with server(workspace, log, env_extra=extra) as url:
                    for key, seconds in one(browser, url, minimum=minimum,
                                            full=path == "full").items():
                        out[path][key].append(seconds)
            time.sleep(think)
    return out
