"""What the server lets out: the hardened config, what it closes over HTTP, the documented
Content-Security-Policy in a real browser, and a damaged workspace's message on the page."""

from __future__ import annotations

import http.client
import json
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, expect

import browser_support as bs
from test_browser import MAP_TIMEOUT_S, Tab, open_app_map, wait_idle
from test_damaged_workspace import truncated

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def _config() -> dict:
    return tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))


def test_config_is_hardened() -> None:
    config = _config()
    assert config["client"]["showErrorDetails"] == "none"  # no traceback in the browser
    assert config["client"]["showErrorLinks"] is False  # no links to search engines
    assert config["client"]["toolbarMode"] == "minimal"
    assert config["browser"]["gatherUsageStats"] is False
    server = config["server"]
    assert server["enableXsrfProtection"] is True and server["enableCORS"] is True
    assert server["address"] == "127.0.0.1"
    assert server["allowedHosts"] == ["localhost", "127.0.0.1"]
    assert server["enableAgentApi"] is False
    assert server["enableExpensiveMemoryStats"] is False
    assert config["runner"]["magicEnabled"] is False


def test_the_server_options_for_many_sessions_are_real_streamlit_options(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """No full garbage collection after every run and no file watching (see the load
    benchmark): read through Streamlit's own config loader, so a misspelt option (which
    Streamlit ignores with a warning) fails here."""
    from streamlit import config as st_config

    monkeypatch.chdir(ROOT)
    st_config.get_config_options(force_reparse=True)
    try:
        assert st_config.get_option("runner.postScriptGC") is False
        assert st_config.get_option("server.fileWatcherType") == "none"
        assert st_config.get_option("server.enableXsrfProtection") is True
    finally:
        monkeypatch.undo()
        st_config.get_config_options(force_reparse=True)


def _readme_block(language: str) -> str:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Deployment behind a reverse proxy"):]
    return re.search(rf"```{language}\n(.*?)```", section, flags=re.S).group(1)


def _csp() -> str:
    """The Content-Security-Policy the README's nginx block sets."""
    return re.search(r'Content-Security-Policy\s+"([^"]+)"', _readme_block("nginx")).group(1)


def test_readme_documents_the_proxy_headers() -> None:
    for language in ("nginx", "caddy"):
        block = _readme_block(language)
        # 'self', not 'none' (nor DENY): the map is a component the app frames from its own origin
        assert "frame-ancestors 'self'" in block and "X-Frame-Options SAMEORIGIN" in block
        assert "Referrer-Policy" in block and "nosniff" in block
        assert "/_stcore/metrics" in block and "404" in block
        assert "Upgrade" in block or language == "caddy"  # Caddy upgrades websockets itself
    assert _csp() == re.search(r'Content-Security-Policy "([^"]+)"', _readme_block("caddy")).group(1)


def _request(server: bs.Server, method: str, path: str, headers: dict[str, str] | None = None,
             body: bytes | None = None) -> tuple[int, bytes]:
    parts = urlsplit(server.url)
    con = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        con.request(method, path, body=body, headers=headers or {})
        response = con.getresponse()
        return response.status, response.read(2_000_000)
    finally:
        con.close()


_UPGRADE = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Protocol": "streamlit"}


@pytest.mark.browser
def test_server_refuses_foreign_hosts_and_the_agent_api(demo_server: bs.Server) -> None:  # noqa: F811
    port = urlsplit(demo_server.url).port
    ok, _ = _request(demo_server, "GET", "/_stcore/stream",
                     {**_UPGRADE, "Host": f"127.0.0.1:{port}", "Origin": demo_server.url})
    assert ok == 101  # the app's own socket opens
    # a page at a name that resolves to 127.0.0.1 (DNS rebinding) gets no socket
    foreign, _ = _request(demo_server, "GET", "/_stcore/stream",
                          {**_UPGRADE, "Host": f"evil.example:{port}",
                           "Origin": f"http://evil.example:{port}"})
    assert foreign in (400, 403)
    status, body = _request(demo_server, "GET", "/_stcore/agent/openapi.json")
    assert status == 200 and "the API is switched off" in json.loads(body)["info"]["description"]
    status, _ = _request(demo_server, "POST", "/_stcore/agent/interact",
                         {"Content-Type": "application/json"}, b"{}")
    assert status == 403


@pytest.mark.browser
def test_metrics_stay_open_but_name_no_data(demo_server: bs.Server, demo_gpkg: Path) -> None:  # noqa: F811
    """Streamlit 1.67 has no option to close /_stcore/metrics (README: block it at the proxy);
    what it tells a stranger is counts, never a name, a figure or the workspace's path."""
    status, body = _request(demo_server, "GET", "/_stcore/metrics")
    assert status == 200
    text = body.decode("utf-8", errors="replace")
    for secret in ("Norsjö", "Skellefteå", str(demo_gpkg), demo_gpkg.name, "per 100"):
        assert secret not in text


@pytest.mark.browser
def test_app_runs_under_the_documented_csp(browser: Browser,  # noqa: F811
                                           demo_server: bs.Server) -> None:  # noqa: F811
    """Every response carries the README's headers, as the proxy would add them: the map (a
    component the app frames) still draws, and the browser reports no violation of the policy.

    Chromium treats a response the test fulfils as coming from outside this machine and would
    refuse its websocket to 127.0.0.1 (Local Network Access), so this test runs its own browser
    with that check off; the policy itself is enforced as usual.
    """
    csp = _csp()
    violations: list[str] = []

    def with_headers(route) -> None:  # noqa: ANN001
        response = route.fetch()
        route.fulfill(response=response, headers={
            **response.headers, "content-security-policy": csp, "x-frame-options": "SAMEORIGIN",
            "x-content-type-options": "nosniff", "referrer-policy": "no-referrer"})

    # a second Chromium of the same Playwright, with Local Network Access off
    own = browser.browser_type.launch(executable_path=bs.chromium_path(), timeout=30_000, args=[
        *bs.LAUNCH_ARGS, "--disable-features=LocalNetworkAccessChecks"])
    try:
        context = own.new_context(viewport={"width": 1366, "height": 768}, locale="sv-SE")
        context.route(f"{demo_server.url}/**", with_headers)
        tab = Tab(context.new_page())
        tab.page.on("console", lambda m: violations.append(m.text) if (
            "Content Security Policy" in m.text or "Refused to" in m.text) else None)
        tab.page.on("pageerror", lambda e: tab.errors.append(str(e)))
        context.on("request", lambda r: tab.requests.append(r.url))
        mark = len(demo_server.log_text())
        frame = open_app_map(tab, demo_server)
        wait_idle(tab.page)
        assert frame.locator("path.leaflet-interactive").count() >= 15
        expect(frame.locator(".lagesbild-legend-box")).to_be_visible()
        assert violations == [], violations
        assert "Traceback" not in demo_server.log_text()[mark:]
        assert tab.external() == [] and tab.errors == []
    finally:
        own.close()


@pytest.fixture(scope="module")
def damaged_server(browser: Browser, demo_gpkg: Path,  # noqa: F811
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[bs.Server]:
    path = truncated(demo_gpkg, tmp_path_factory.mktemp("damaged") / "skadad.gpkg")
    with bs.streamlit_server(path, tmp_path_factory.mktemp("damaged-server")) as server:
        yield server


@pytest.mark.browser
def test_damaged_workspace_shows_the_app_message(tab: Tab, damaged_server: bs.Server) -> None:  # noqa: F811
    page = tab.page
    page.goto(damaged_server.url + "/")
    alert = page.get_by_test_id("stAlert")
    expect(alert).to_contain_text("Arbetsytan skadad.gpkg går inte att läsa",
                                  timeout=MAP_TIMEOUT_S * 1000)
    wait_idle(page)
    expect(alert).to_contain_text("lagesbild restore --workspace")
    assert page.get_by_test_id("stException").count() == 0
    body = page.locator("body").inner_text()
    assert "Traceback" not in body and "Error" not in body
    assert page.locator("a[href*='google'], a[href*='chatgpt']").count() == 0
    page.get_by_text("English", exact=True).click()
    expect(alert).to_contain_text("The workspace skadad.gpkg cannot be read")
    expect(alert).to_contain_text("What to do")
    assert page.get_by_test_id("stException").count() == 0
    assert "WorkspaceError" in damaged_server.log_text()  # the cause is in the server's log
    tab.assert_clean()
