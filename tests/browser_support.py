"""Helpers for the browser tests: find Chromium, run the Streamlit app, build hostile data, hover features."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
import pytest

from lagesbild.store import demo
from lagesbild.core.dataset import Dataset
from lagesbild.store.gpkg import GpkgWorkspace

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]

# A name as an attacker would type it into a CSV: an HTML tag with a handler, a JS
# template-literal substitution, a backtick, a backslash and a script end tag.
HOSTILE = ("<img src=x onerror=\"window.__xss=1\">${document.title='x'}`\\"
           "</script><script>window.__xss=2</script>")
HOSTILE_KOMMUN = "2417"  # Norsjö
HOSTILE_SITE = "2417-F01"  # drawn after (above) 2417-S01, which it nearly covers
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


def chromium_path() -> str:
    """Debian's Chromium (scripts/install-browser.sh); skip here, fail in CI, when it is absent."""
    candidates = [os.environ.get("LAGESBILD_CHROMIUM", ""), *CHROMIUM_CANDIDATES]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    reason = "no Chromium at /usr/bin/chromium: run scripts/install-browser.sh (or set LAGESBILD_CHROMIUM)"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def is_local(url: str) -> bool:
    """True for URLs that stay on this machine (loopback, file, data, blob, about)."""
    parts = urlsplit(url)
    if parts.scheme in ("file", "data", "blob", "about"):
        return True
    return parts.hostname in LOCAL_HOSTS


# --- a page and what it did ----------------------------------------------------------------------

@dataclass
class Tab:
    """A page and everything it did that a test may want to forbid."""

    page: Any
    requests: list[str] = field(default_factory=list)
    websockets: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def external(self) -> list[str]:
        return [u for u in self.requests + self.websockets if not is_local(u)]

    def assert_clean(self) -> None:
        """No request left the machine, no uncaught JS error, no alert/confirm/prompt."""
        assert self.external() == [], self.external()
        assert self.errors == [], self.errors
        assert self.dialogs == [], self.dialogs


FINISHED_RUNS: "weakref.WeakKeyDictionary[Any, list[int]]" = weakref.WeakKeyDictionary()


def count_finished_runs(page: Any) -> None:
    """Count the script runs the server reports finished on `page`'s Streamlit websocket.

    Each ForwardMsg is one binary frame; `script_finished` ends every run. Counting messages is
    exact, where watching the DOM's data-test-script-state can miss a run whose "running" and
    "notRunning" React commits in one batch on a busy machine.
    """
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    counter = FINISHED_RUNS.setdefault(page, [0])

    def on_frame(payload: bytes | str) -> None:
        if isinstance(payload, bytes):
            message = ForwardMsg()
            with contextlib.suppress(Exception):
                message.ParseFromString(payload)
                if message.WhichOneof("type") == "script_finished":
                    counter[0] += 1

    page.on("websocket", lambda ws: ws.on("framereceived", on_frame))


# --- workspaces and the offline map --------------------------------------------------------------

def _text(value: object) -> str:
    return "" if value is None or pd.isna(value) else str(value)


def hostile_workspace(path: Path, *, demo_gpkg: Path | None = None) -> GpkgWorkspace:
    """The demo workspace with HOSTILE as the name of kommun 2417 and of site 2417-F01.

    Starts from a copy of `demo_gpkg` when given (faster than building the demo again).
    """
    if demo_gpkg is not None:
        shutil.copyfile(demo_gpkg, path)
        ws = GpkgWorkspace(path)
    else:
        ws = demo.build_workspace(path)
    sets = ws.datasets()
    for table, column, key in (("areas", "area_id", HOSTILE_KOMMUN), ("sites", "site_id", HOSTILE_SITE)):
        frame = ws.read(table)
        assert (frame[column] == key).sum() == 1, f"demo {table} lacks {key}"
        sources = frame.loc[frame[column] == key, "source"].unique()
        meta = sets[(sets["table"] == table) & (sets["dataset"] == sources[0])].iloc[0]
        rows = frame[frame["source"] == meta["dataset"]].copy()
        rows.loc[rows[column] == key, "name"] = HOSTILE
        with ws.transaction() as writer:
            writer.replace_dataset(Dataset(meta["dataset"], table, meta["kind"], meta["file"],
                                           period=_text(meta["period"]),
                                           description=_text(meta["description"])), rows)
    areas, sites = ws.read("areas"), ws.read("sites")
    assert areas.loc[areas["area_id"] == HOSTILE_KOMMUN, "name"].tolist() == [HOSTILE]
    assert sites.loc[sites["site_id"] == HOSTILE_SITE, "name"].tolist() == [HOSTILE]
    assert len(areas) == 16 and sites["name"].notna().all()
    return ws


def write_map(workspace: Path, out: Path, *, layer: str = "vald_topp") -> Path:
    """Run `lagesbild map` in-process (as the command line does) and return the HTML file."""
    from click.testing import CliRunner

    from lagesbild.cli.main import main

    result = CliRunner().invoke(main, ["map", "--workspace", str(workspace), "--layer", layer,
                                       "--out", str(out)])
    assert result.exit_code == 0, (result.output, result.exception)
    return out


# --- the Streamlit server ------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate the server's whole process group; kill it if it does not exit in 10 s."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never a proxy


def _healthy(url: str) -> bool:
    try:
        with _DIRECT.open(url + "/_stcore/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _listens(pid: int, port: int) -> bool:
    """Whether process `pid` holds the socket listening on loopback `port` (Linux: the socket's
    inode in /proc/net/tcp among the process's open files). The server run as an st.App prints
    no address to its log, so the log alone cannot tell our server from a stranger's."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table, encoding="ascii") as fh:
            for line in list(fh)[1:]:
                parts = line.split()
                if parts[3] == "0A" and int(parts[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(parts[9])
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/{pid}/fd/{fd}") in {f"socket:[{i}]" for i in inodes}:
                return True
    return False


@contextlib.contextmanager
def streamlit_server(workspace: Path, log_dir: Path, *, timeout: float = 45.0,
                     attempts: int = 3, extra_args: tuple[str, ...] = (),
                     extra_env: dict[str, str] | None = None) -> Iterator[Server]:
    """`streamlit run lagesbild/ui/server.py` (app.py behind the download guard) on a free loopback port with `workspace`; stopped on exit.

    Another process may take the port between choosing and binding it; Streamlit then exits,
    and we try the next port. Ready means: our process alive, holding the port (its log naming
    it, or its own listening socket), and /_stcore/health answering, so a stranger's server on
    the same port is never taken for ours.
    """
    # the release audit is the app's background CPU load; these tests check what the browser
    # draws, and the guard is tested through AppTest (test_app_release_guard)
    env = {**os.environ, "LAGESBILD_WORKSPACE": str(workspace), "PYTHONUNBUFFERED": "1",
           "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false", "LAGESBILD_APP_AUDIT": "off",
           **(extra_env or {})}
    logs: list[str] = []
    for _ in range(attempts):
        port = free_port()
        log = log_dir / f"streamlit-{port}.log"
        # as `lagesbild serve` runs it: app.py behind the private-download guard
        cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "lagesbild/ui/server.py"),
               "--server.headless", "true", "--server.address", "127.0.0.1",
               "--server.port", str(port), "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none", "--server.runOnSave", "false", *extra_args]
        with log.open("wb") as sink:
            process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True)
        server = Server(f"http://127.0.0.1:{port}", process, log)
        try:
            ready = False
            deadline = time.monotonic() + timeout
            while not ready and time.monotonic() < deadline and process.poll() is None:
                ready = (f":{port}" in server.log_text() or _listens(process.pid, port)) \
                    and _healthy(server.url)
                if not ready:
                    time.sleep(0.2)
            if ready:
                yield server
                return
            logs.append(server.log_text())
            if process.poll() is None:
                break  # alive but not ready in time: another port will not help
        finally:
            _stop(process)
    raise AssertionError("Streamlit did not start; logs:\n" + "\n---\n".join(logs))


# --- Leaflet in the page -------------------------------------------------------------------------

# Marks the SVG path of the first Leaflet layer whose feature matches, and returns a point
# (relative to the path's box) where that path is the topmost element, nearest the box centre.
_TARGET_JS = """
({prop, equals, contains, geometry}) => {
  let map = null;
  for (const key of Object.keys(window)) {
    try { if (window[key] instanceof L.Map) { map = window[key]; break; } } catch (e) {}
  }
  if (!map) return {error: "no L.Map on window"};
  let target = null;
  map.eachLayer(layer => {
    const f = layer.feature;
    if (target || !f || !layer._path || f.geometry.type !== geometry) return;
    const value = String(f.properties[prop]);
    if (equals !== null ? value === equals : value.includes(contains)) target = layer;
  });
  if (!target) return {error: "no matching feature"};
  document.querySelectorAll("[data-test-target]").forEach(e => e.removeAttribute("data-test-target"));
  const el = target._path;
  el.setAttribute("data-test-target", "1");
  const r = el.getBoundingClientRect();
  const on = (x, y) => document.elementFromPoint(x, y) === el;
  // a point whose neighbours 2 px away are on the feature too survives rounding of mouse coordinates
  const sure = (x, y) => on(x, y) && on(x - 2, y - 2) && on(x + 2, y - 2) && on(x - 2, y + 2) && on(x + 2, y + 2);
  const n = 40;
  let best = null;
  for (let i = 0; i <= n; i++) {
    for (let j = 0; j <= n; j++) {
      const x = r.left + r.width * i / n, y = r.top + r.height * j / n;
      if (!on(x, y)) continue;
      const d = (i - n / 2) ** 2 + (j - n / 2) ** 2 - (sure(x, y) ? 1e6 : 0);
      if (!best || d < best.d) best = {x: x - r.left, y: y - r.top, d: d};
    }
  }
  return best ? {x: best.x, y: best.y} : {error: "feature is covered everywhere"};
}
"""


def target_feature(frame: Any, *, geometry: str, prop: str, equals: str | None = None,
                   contains: str | None = None, timeout: float = 10.0
                   ) -> tuple[Any, dict[str, float]]:
    """Locator of a Leaflet feature's path in `frame` and a visible point on it (for hover/click).

    Polls for up to `timeout` seconds: right after the first draw the map may still be fitting
    its bounds, and no point of the feature is on screen yet.
    """
    args = {"prop": prop, "equals": equals, "contains": contains, "geometry": geometry}
    deadline = time.monotonic() + timeout
    while True:
        found = frame.evaluate(_TARGET_JS, args)
        if "error" not in found:
            return frame.locator("[data-test-target]"), found
        if time.monotonic() > deadline:
            raise AssertionError(f"{found['error']} ({args})")
        time.sleep(0.2)
