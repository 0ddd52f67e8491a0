"""The browser tests' shared fixtures, one of each per test worker (tests/conftest.py imports them).

Chromium, the demo and hostile workspaces and their Streamlit servers are started once per worker
and shared by every browser module it runs: a server's start and its cold first run (importing
the package, loading the workspace) cost seconds a module otherwise. The workspaces and servers
are read-only: a test that writes makes its own copy (and its own server).

Test modules use these fixtures by name and must not import them: a fixture imported into a
module is that module's own copy, started again.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import browser_support as bs

UI_TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium through Playwright (skipped, or failed in CI, when it is absent)."""
    executable = bs.chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, args=bs.LAUNCH_ARGS, timeout=30_000)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def tab(browser: Any) -> Iterator[bs.Tab]:
    """A fresh page in its own context, recording requests (all frames), websockets, errors, dialogs."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="sv-SE")
    context.set_default_timeout(UI_TIMEOUT_MS)
    context.set_default_navigation_timeout(30_000)
    tab = bs.Tab(context.new_page())
    bs.count_finished_runs(tab.page)
    context.on("request", lambda r: tab.requests.append(r.url))
    tab.page.on("websocket", lambda ws: tab.websockets.append(ws.url))
    tab.page.on("pageerror", lambda e: tab.errors.append(str(e)))
    tab.page.on("dialog", lambda d: (tab.dialogs.append(d.message), d.dismiss()))
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture(scope="session")
def demo_gpkg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the session's demo workspace for the browser tests; read-only (copy to write)."""
    from frames_support import shared_demo

    path = tmp_path_factory.mktemp("browser-demo") / "demo.gpkg"
    shutil.copyfile(shared_demo(tmp_path_factory), path)
    return path


@pytest.fixture(scope="session")
def hostile_gpkg(demo_gpkg: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo with HOSTILE as the name of a kommun and of a site (browser_support): built
    once per run (`shared_build`: one derived state for both workers), a copy per worker."""
    from frames_support import shared_build

    built = shared_build(tmp_path_factory, "hostile.gpkg",
                         lambda p: bs.hostile_workspace(p, demo_gpkg=demo_gpkg))
    path = tmp_path_factory.mktemp("hostile") / "hostile.gpkg"
    shutil.copyfile(built, path)
    return path


# The servers ask for `browser` first so that a missing Chromium skips before any server starts.
@pytest.fixture(scope="session")
def demo_server(browser: Any, demo_gpkg: Path,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[bs.Server]:
    with bs.streamlit_server(demo_gpkg, tmp_path_factory.mktemp("demo-server")) as server:
        yield server


@pytest.fixture(scope="session")
def hostile_server(browser: Any, hostile_gpkg: Path,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[bs.Server]:
    with bs.streamlit_server(hostile_gpkg, tmp_path_factory.mktemp("hostile-server")) as server:
        yield server
