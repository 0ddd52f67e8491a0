"""Many people at once: concurrent sessions of the Streamlit server switching filters on Karta.

`lagesbild bench --only load` (or `python -m benchmarks.load_bench`). Each session is a real
websocket client of the server, speaking Streamlit's own protocol (the BackMsg/ForwardMsg
protobufs its browser client sends and receives): it opens the app, reads the widgets the
server drew, and then, after a think time, changes one filter (Period, Kön or Område on Karta)
as a person in a meeting would, `--changes` times. Between changes a session waits its think
time: 5-15 s in the "meeting" profile (people reading the map), 1-3 s in "stress". A change is
timed from the message sent to the server's "script finished" (the server response: every
element of the page sent, the map's values included); the browser's own drawing is in
`browser_bench`. Errors are counted: a
connection lost, an exception element, a run that did not finish.

Two paths, each on its own fresh server: "fast" is the app; "full" is the naive approach, every
session asking for `?redraw=full` (each change re-renders and sends the whole folium map,
geometry included). The server's resident memory (its whole process tree) is sampled twice a
second; its CPU time over the runs and the machine's load average are printed beside the
times, which on a shared machine move with what else runs. Nothing here asserts a time; the
issue's targets are printed beside the figures. A PostGIS workspace is served as given
(`--workspace 'postgresql://…?schema=…'`; `benchmarks.national_workspace` builds the national
one into a schema).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WATCHED = ("Period", "Kön", "Område")  # the filters a session changes
TARGET_P95_MS = 1000.0
SELECTS = ("selectbox", "radio")


@dataclass
class Widget:
    kind: str
    label: str
    options: list[str]
    index: int


@dataclass
class Stats:
    first: list[float] = field(default_factory=list)
    change: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _proto():  # noqa: ANN202
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ClientState_pb2 import ClientState
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from streamlit.proto.WidgetStates_pb2 import WidgetState, WidgetStates

    return BackMsg, ClientState, ForwardMsg, WidgetState, WidgetStates


class Session:
    """One person's browser tab, as far as the server can tell."""

    def __init__(self, url: str, query: str, rng: random.Random) -> None:
        self.url, self.query, self.rng = url, query, rng
        self.widgets: dict[str, Widget] = {}
        self.chosen: dict[str, str] = {}
        self.page_hash = ""

    def _states(self):  # noqa: ANN202
        _, _, _, WidgetState, WidgetStates = _proto()
        return WidgetStates(widgets=[WidgetState(id=wid, string_value=value)
                                     for wid, value in self.chosen.items()])

    async def _run(self, ws) -> None:  # noqa: ANN001
        """Send a rerun with the current widget values; read until the run has finished."""
        BackMsg, ClientState, ForwardMsg, _, _ = _proto()
        state = ClientState(query_string=self.query, page_script_hash=self.page_hash,
                            widget_states=self._states())
        await ws.send(BackMsg(rerun_script=state).SerializeToString())
        while True:
            msg = ForwardMsg()
            msg.ParseFromString(await ws.recv())
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                self.page_hash = msg.new_session.page_script_hash or self.page_hash
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                self._element(msg.delta.new_element)
            elif kind == "script_finished":
                status = msg.script_finished
                if status == 2:  # finished early for a rerun the app asked for: wait for it
                    continue
                if status == 1:
                    raise RuntimeError("the script did not compile")
                return

    def _element(self, element) -> None:  # noqa: ANN001
        kind = element.WhichOneof("type")
        if kind == "exception":
            raise RuntimeError(f"exception on the page: {element.exception.message[:120]}")
        if kind in SELECTS:
            w = getattr(element, kind)
            index = w.default if w.HasField("default") else 0
            self.widgets[w.id] = Widget(kind, w.label, list(w.options), index)

    def _change(self) -> bool:
        """Choose another value of one watched filter; False when none can change."""
        candidates = [(wid, w) for wid, w in self.widgets.items()
                      if w.label in WATCHED and len(w.options) > 1]
        if not candidates:
            return False
        wid, w = self.rng.choice(candidates)
        current = self.chosen.get(wid, w.options[min(w.index, len(w.options) - 1)])
        self.chosen[wid] = self.rng.choice([o for o in w.options if o != current])
        return True

    async def play(self, stats: Stats, *, changes: int, think: tuple[float, float]) -> None:
        import websockets

        port = self.url.rsplit(":", 1)[1]
        try:
            async with websockets.connect(
                    f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"],
                    origin=f"http://127.0.0.1:{port}", max_size=None, open_timeout=120,
                    ping_interval=None) as ws:
                start = time.perf_counter()
                await self._run(ws)
                stats.first.append(time.perf_counter() - start)
                for _ in range(changes):
                    await asyncio.sleep(self.rng.uniform(*think))
                    if not self._change():
                        stats.errors.append("no filter to change on the page")
                        return
                    start = time.perf_counter()
                    await self._run(ws)
                    stats.change.append(time.perf_counter() - start)
        except Exception as exc:  # noqa: BLE001 - every failure is counted, none stops the run
            stats.errors.append(f"{type(exc).__name__}: {exc}"[:200])


def _tree(pid: int) -> list[int]:
    """`pid` and its children, from /proc."""
    pids = [pid]
    with contextlib.suppress(OSError):
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                with contextlib.suppress(OSError), open(f"/proc/{entry}/stat") as fh:
                    parts = fh.read().rsplit(")", 1)[1].split()
                    if int(parts[1]) == pid:
                        pids.append(int(entry))
    return pids


def _tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) `pid` and its children have used so far: what the server
    costs, whatever else the machine runs (its wall times are shared with that)."""
    total = 0.0
    for p in _tree(pid):
        with contextlib.suppress(OSError), open(f"/proc/{p}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _tree_rss_mb(pid: int) -> float:
    """Resident memory of `pid` and its children (MB), from /proc."""
    total = 0
    for p in _tree(pid):
        with contextlib.suppress(OSError), open(f"/proc/{p}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


class Sampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.samples, self.stop = pid, [], threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.samples.append(_tree_rss_mb(self.pid))
            self.stop.wait(0.5)


async def _all(url: str, query: str, *, sessions: int, changes: int, ramp: float,
               think: tuple[float, float], seed: int) -> Stats:
    stats = Stats()
    rng = random.Random(seed)

    async def one(i: int) -> None:
        await asyncio.sleep(ramp * i / max(sessions, 1))
        await Session(url, query, random.Random(rng.random() + i)).play(
            stats, changes=changes, think=think)

    await asyncio.gather(*(one(i) for i in range(sessions)))
    return stats


def run_path(workspace: str, log: Path, *, full: bool, sessions: int, changes: int,
             ramp: float, think: tuple[float, float], seed: int = 7,
             env_extra: dict[str, str] | None = None) -> dict:
    """One fresh server, `sessions` at once: {"first": [s], "change": [s], "errors": [...],
    "rss_mb": [samples], "wall_s": s}."""
    from benchmarks.browser_bench import _PIDS, server

    with server(workspace, log, timeout=180, env_extra=env_extra) as url:  # type: ignore[arg-type]
        # one session first: the server's own start (the workspace read) is not the load
        warm = asyncio.run(_all(url, "redraw=full" if full else "", sessions=1, changes=0,
                                ramp=0, think=(0, 0), seed=seed))
        sampler = Sampler(_PIDS[url])
        sampler.start()
        start, cpu = time.perf_counter(), _tree_cpu_s(_PIDS[url])
        stats = asyncio.run(_all(url, "redraw=full" if full else "", sessions=sessions,
                                 changes=changes, ramp=ramp, think=think, seed=seed))
        wall, cpu = time.perf_counter() - start, _tree_cpu_s(_PIDS[url]) - cpu
        sampler.stop.set()
        sampler.join()
    return {"first": stats.first, "change": stats.change, "errors": stats.errors + warm.errors,
            "rss_mb": sampler.samples, "wall_s": wall, "warm_first": warm.first, "cpu_s": cpu,
            "load_avg": os.getloadavg()[0]}


def _ms(values: list[float], q: float) -> float:
    import numpy as np

    return float(np.percentile(np.asarray(values) * 1000, q)) if values else float("nan")


def format_table(res: dict) -> str:
    lines = [f"load ({res.get('profile', 'custom')}): {res['sessions']} concurrent sessions "
             f"(websocket clients), {res['changes']} filter changes each, think "
             f"{res['think'][0]:.1f}-{res['think'][1]:.1f} s, ramp {res['ramp']:.0f} s; "
             f"workspace {res['workspace']}",
             f"{'path':<6} {'first p50':>10} {'first p95':>10} {'change p50':>11} "
             f"{'change p95':>11} {'max':>8} {'n':>5} {'errors':>7} {'RSS peak':>9} "
             f"{'RSS end':>8} {'CPU/run':>8} {'load':>5}  p95 target"]
    for path in ("fast", "full"):
        r = res.get(path)
        if not r:
            continue
        p95 = _ms(r["change"], 95)
        verdict = "PASS" if p95 < TARGET_P95_MS and not r["errors"] else "MISS"
        runs = len(r["first"]) + len(r["change"])
        cpu = f"{1000 * r['cpu_s'] / runs:>6.0f}ms" if "cpu_s" in r and runs else f"{'–':>8}"
        load = f"{r['load_avg']:>5.1f}" if "load_avg" in r else f"{'–':>5}"
        lines.append(
            f"{path:<6} {_ms(r['first'], 50):>10.0f} {_ms(r['first'], 95):>10.0f} "
            f"{_ms(r['change'], 50):>11.0f} {p95:>11.0f} {_ms(r['change'], 100):>8.0f} "
            f"{len(r['change']):>5} {len(r['errors']):>7} {max(r['rss_mb'], default=0):>8.0f}M "
            f"{(r['rss_mb'] or [0])[-1]:>7.0f}M {cpu} {load}  <{TARGET_P95_MS:.0f} ms "
            + (verdict if path == "fast" else "–"))
    if res.get("fast") and res.get("full") and res["fast"]["change"] and res["full"]["change"]:
        ratio = statistics.median(res["full"]["change"]) / statistics.median(res["fast"]["change"])
        lines.append(f"(ms; full/fast median change: {ratio:.1f}x)")
    lines.append("(CPU/run: the server's CPU time, its background warmer's included, over its "
                 "runs, first pages and changes; load: the machine's 1-minute load average at "
                 "the end)")
    for path in ("fast", "full"):
        for error in sorted(set((res.get(path) or {}).get("errors", [])))[:5]:
            lines.append(f"  {path} error: {error}")
    return "\n".join(lines)


PROFILES = {"meeting": (5.0, 15.0), "stress": (1.0, 3.0)}  # think seconds between changes


def run(*, workspace: str | None = None, sessions: int = 50, changes: int = 10,
        ramp: float = 5.0, think: tuple[float, float] | None = None, full: bool = True) -> dict:
    """On `workspace` (the demo, built in a temporary folder, if None): the app and the naive
    full re-render with people who read the map between changes ("meeting": 5-15 s), then the
    app with everyone clicking every 1-3 s ("stress"). `think` replaces both with one profile."""
    profiles = {"custom": think} if think else PROFILES
    with tempfile.TemporaryDirectory() as tmp:
        if workspace is None:
            from lagesbild.store import demo

            workspace = str(Path(tmp) / "demo.gpkg")
            demo.build_workspace(workspace)
        log = Path(tmp) / "server.log"
        res: dict = {"sessions": sessions, "changes": changes, "ramp": ramp,
                     "workspace": Path(workspace).name if "://" not in workspace else "PostGIS",
                     "profiles": {}}
        for name, seconds in profiles.items():
            one: dict = {"think": seconds}
            one["fast"] = run_path(workspace, log, full=False, sessions=sessions,
                                   changes=changes, ramp=ramp, think=seconds)
            if full and name != "stress":
                one["full"] = run_path(workspace, log, full=True, sessions=sessions,
                                       changes=changes, ramp=ramp, think=seconds)
            res["profiles"][name] = one
    res["report"] = "\n".join(format_table({**res, **one, "profile": name})
                              for name, one in res["profiles"].items())
    return res


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", default=None,
                        help="workspace to serve (default: the demo, built in a temporary folder)")
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--changes", type=int, default=10, help="filter changes per session")
    parser.add_argument("--ramp", type=float, default=5.0,
                        help="seconds over which the sessions open (a meeting opening the app)")
    parser.add_argument("--think", type=float, nargs=2, default=None,
                        help="seconds between a session's changes (uniform); default: the "
                             "meeting (5-15 s) and stress (1-3 s) profiles")
    parser.add_argument("--no-full", action="store_true", help="skip the naive full path")
    args = parser.parse_args(argv)
    res = run(workspace=args.workspace, sessions=args.sessions, changes=args.changes,
              ramp=args.ramp, think=tuple(args.think) if args.think else None,
              full=not args.no_full)
    print(res["report"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
