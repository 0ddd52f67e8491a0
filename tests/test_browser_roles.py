"""Login and roles in a real browser: a local OpenID provider (oidc-provider-mock), the app
served with an auth config pointing at it, Chromium signing in as each role. What the browser
receives (page text, every websocket frame, every download) is checked: a reader never gets the
police report, exact counts or a point coordinate, whatever address or widget it tries; the
police get the police report and the download is in the audit log."""

from __future__ import annotations

import io
import math
import re
import shutil
import urllib.error
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

import browser_support as bs
import oidc_support as oidc
from frames_support import shared_demo
from lagesbild.store.gpkg import GpkgWorkspace

pytestmark = pytest.mark.browser

USERS = {"polis": ["polis"], "lasare": ["lasare"], "kommun": ["kommun:2480"]}
POLICE_MARK = "kommunens samverkan – inte för vidare spridning"  # html, xlsx, pdf, pptx
WIDE_MARK = "spridning (inga punktuppgifter)"
PAGES = ["", "lagesbild", "pyramid", "jamforelse", "insatser", "rapport", "data"]


def _sub(role: str) -> str:
    return f"{role}@test.se"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory,
         browser: Browser) -> Iterator[tuple[str, Browser, Path]]:
    """(app URL on localhost, Chromium, workspace): one provider, one server; the worker's
    shared Chromium (tests/browser_fixtures.py: one Playwright per thread)."""
    tmp = tmp_path_factory.mktemp("roles")
    ws = tmp / "demo.gpkg"
    shutil.copyfile(shared_demo(tmp_path_factory), ws)
    users = [{"sub": _sub(r), "email": _sub(r), "name": f"Test {r}", "roles": roles}
             for r, roles in USERS.items()]
    with oidc.provider(users, tmp / "oidc.log") as provider_url:
        config = oidc.auth_config(tmp / "auth.toml", provider_url)
        with bs.streamlit_server(ws, tmp, extra_args=("--secrets.files", str(config))) as server:
            yield server.url.replace("127.0.0.1", "localhost"), browser, ws


def _login(site: tuple[str, Browser, Path], role: str) -> tuple[Page, list[bytes]]:
    """A new browser context signed in as `role`; every websocket frame it receives is kept."""
    url, browser, _ = site
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="sv-SE",
                                  accept_downloads=True)
    page = context.new_page()
    received: list[bytes] = []
    page.on("websocket", lambda ws: ws.on(
        "framereceived", lambda data: received.append(data if isinstance(data, bytes)
                                                      else data.encode())))
    page.goto(url + "/")
    page.get_by_role("button", name="Logga in").click()
    page.locator(f'button[name="sub"][value="{_sub(role)}"]').click()
    page.get_by_text("Roll:").wait_for(timeout=30_000)
    return page, received


def _open(page: Page, url: str, title: str) -> None:
    page.goto(url)
    page.get_by_role("heading", name=title, exact=True).first.wait_for(timeout=30_000)


def _data_page(page: Page, url: str) -> None:
    """The Data page drawn to its end (the import form, where shown, comes last)."""
    _open(page, f"{url}/data", "Data")
    page.get_by_text("Våldspyramidens taxonomi").wait_for(timeout=30_000)
    page.get_by_test_id("stStatusWidget").wait_for(state="hidden", timeout=30_000)


def _report(page: Page) -> str:
    """Make the report as a workbook (no images: the quickest format) and download it; the
    text of every cell."""
    page.get_by_test_id("stSelectbox").filter(has_text="Format").click()
    page.get_by_role("option", name="XLSX").click()
    page.get_by_role("button", name="Skapa", exact=True).click()
    button = page.get_by_test_id("stDownloadButton").first
    button.wait_for(timeout=120_000)  # the wide report runs the release audit first
    with page.expect_download(timeout=30_000) as download:
        button.click()
    return _cells(Path(download.value.path()).read_bytes())


def _cells(data: bytes) -> str:
    """Every cell of a workbook as text, one line each (any other file: its bytes as text)."""
    if not data.startswith(b"PK"):
        return data.decode("utf-8", errors="replace")
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return "\n".join(str(v) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                     for v in row if v is not None)


def _coordinates(ws: Path, n: int = 300) -> list[tuple[bytes, bytes]]:
    """The demo's incident points as a leak would write them: (longitude, latitude) to 4
    decimals. A point leaks when both stand together; one of them alone also matches the
    vertices of the areas' boundaries on the maps (seen: 2 of 300 longitudes, now and then)."""
    points = GpkgWorkspace(ws).read("incidents").to_crs(4326).geometry.dropna()
    out = []
    for point in points.iloc[:: max(1, len(points) // n)]:
        out.append(tuple(f"{math.trunc(v * 10_000) / 10_000:.4f}".encode()
                         for v in (point.x, point.y)))
    return out


def _together(data: bytes, lon: bytes, lat: bytes, within: int = 40) -> bool:
    """Whether `lon` and `lat` occur within `within` bytes of each other, in either order."""
    for first, second in ((lon, lat), (lat, lon)):
        for match in re.finditer(re.escape(first), data):
            if second in data[match.end():match.end() + within]:
                return True
    return False


def test_a_reader_gets_no_police_figure_by_address_widget_or_download(site) -> None:
    url, _, ws = site
    page, received = _login(site, "lasare")
    page.get_by_text("Roll: Läsare").wait_for(timeout=30_000)
    downloads: list[str] = []
    for path in PAGES:  # every page, with the police audience asked for in the address
        page.goto(f"{url}/{path}?audience=police&rep_audience=police&role=polis")
        page.get_by_role("heading").first.wait_for(timeout=30_000)
        page.wait_for_timeout(500)
        for i in range(page.get_by_test_id("stDownloadButton").count()):
            with page.expect_download() as download:
                page.get_by_test_id("stDownloadButton").nth(i).click()
            downloads.append(_cells(Path(download.value.path()).read_bytes()))
    _open(page, f"{url}/rapport?audience=police", "Rapport")
    page.get_by_text("Mottagare: Bred (utöver polisen)").wait_for(timeout=30_000)
    assert page.get_by_role("radio", name="Polisen").count() == 0
    # the report the reader builds with these addresses: the forging test below (one build)
    assert page.get_by_role("button", name="Spara").count() == 0  # no notes editor
    _data_page(page, url)
    assert page.get_by_text("Importera data").count() == 0
    assert page.get_by_text("Händelselogg").count() == 0
    everything = b"".join(received) + "\n".join(downloads).encode()
    assert POLICE_MARK.encode() not in everything
    leaked = [pair for pair in _coordinates(ws) if _together(everything, *pair)]
    assert not leaked, leaked[:5]
    page.context.close()


def test_the_police_get_the_police_report_and_its_download_is_logged(site) -> None:
    url, _, ws = site
    page, _ = _login(site, "polis")
    _open(page, f"{url}/rapport", "Rapport")
    page.get_by_text("Polisen", exact=True).click()
    report = _report(page)
    assert POLICE_MARK in report and WIDE_MARK not in report
    events = GpkgWorkspace(ws).events()
    assert (events["actor"].eq(_sub("polis")) & events["action"].eq("report_police")).any()
    _open(page, f"{url}/data", "Data")
    page.get_by_text("Händelselogg").click()
    # the table is a canvas grid: its cells are in the page for screen readers, not visible
    page.get_by_text("Polisrapport (exakta tal)").first.wait_for(state="attached", timeout=10_000)
    assert page.get_by_text(_sub("polis")).count() >= 1
    page.get_by_role("heading", name="Importera data").wait_for(timeout=30_000)
    page.context.close()


def test_a_kommun_edits_its_own_notes_and_imports_nothing(site) -> None:
    url, _, _ = site
    page, _ = _login(site, "kommun")
    _open(page, f"{url}/rapport", "Rapport")
    page.get_by_text("Roll: Kommun 2480").wait_for(timeout=30_000)
    page.get_by_role("button", name="Spara").wait_for(timeout=30_000)  # Umeå's own, first
    assert page.get_by_role("radio", name="Polisen").count() == 0
    _data_page(page, url)
    assert page.get_by_text("Importera data").count() == 0
    page.context.close()


def test_a_point_is_found_when_its_coordinates_stand_together_not_apart() -> None:
    payload = b'{"type":"Point","coordinates":[20.24047,64.91232]} ... 20.2404 far away 64.9123'
    assert _together(payload, b"20.2404", b"64.9123")
    assert _together(b'"lat": 64.91232, "lon": 20.24047', b"20.2404", b"64.9123")
    assert not _together(b"[20.24041,64.1]" + b" " * 50 + b"[19.1,64.91239]",
                         b"20.2404", b"64.9123")


def _cookies(page: Page) -> dict[str, str]:
    return {c["name"]: c["value"] for c in page.context.cookies()}


def test_a_reader_forging_the_police_audience_on_the_websocket_gets_the_wide_report(site) -> None:
    """The strongest reader: they learn the police session's widget ids (they are the same for
    everyone), then send, on their own signed-in websocket, the report page's audience radio
    set to "Polisen", the XLSX format and the build button pressed, none of which their page
    offers. The server answers with the wide report, whatever the state says."""
    import ws_client

    url, _, ws = site
    police, _ = _login(site, "polis")
    seen = ws_client.run_page(url, _cookies(police), "rapport")
    radio_id, _, options, _ = seen.widgets["Mottagare"]
    police_label = next(o for o in options if o == "Polisen")
    format_id = seen.widgets["Format"][0]
    build_id = seen.widgets["Skapa"][0]
    states = [ws_client.choose(radio_id, police_label), ws_client.choose(format_id, "XLSX"),
              ws_client.trigger(build_id)]

    def report(page: Page, answer) -> str:  # noqa: ANN001 - a ws_client.Answer
        download = next(v for v in answer.widgets.values() if v[1] == "download_button")
        assert download[3], "the report was built and offered"
        request = page.context.request.get(url + download[3])
        assert request.ok
        return _cells(request.body())

    # the same messages from the police's own websocket do make the police report: the forged
    # states reach the server, and only the role decides
    assert POLICE_MARK in report(police, ws_client.run_page(url, _cookies(police), "rapport",
                                                            states))
    police.context.close()

    reader, _ = _login(site, "lasare")  # the police audience asked in the address too
    forged = ws_client.run_page(url, _cookies(reader), "rapport", states,
                                query="audience=police&rep_audience=police&role=polis")
    assert "Mottagare" not in forged.widgets  # the radio is never drawn for a reader
    cells = report(reader, forged)
    assert WIDE_MARK in cells and POLICE_MARK not in cells
    everything = b"".join(forged.frames)
    assert POLICE_MARK.encode() not in everything
    leaked = [pair for pair in _coordinates(ws) if _together(everything + cells.encode(), *pair)]
    assert not leaked, leaked[:5]
    reader.context.close()


def test_the_police_report_s_address_is_random_and_its_content_address_holds_nothing(
        site) -> None:
    """Streamlit serves a download at /media/<hash of bytes, type and name>: a reader who could
    rebuild the police report (open code, public protected figures, hidden counts 1–4) could
    ask for each candidate's address and learn from the answer which exists. The strongest
    such reader knows the police report's exact bytes: its content address answers nothing;
    the address the police session was given is random."""
    import ws_client
    from streamlit.runtime.memory_media_file_storage import _calculate_file_id

    url, _, _ = site
    police, _ = _login(site, "polis")
    seen = ws_client.run_page(url, _cookies(police), "rapport")
    states = [ws_client.choose(seen.widgets["Mottagare"][0], "Polisen"),
              ws_client.choose(seen.widgets["Format"][0], "XLSX"),
              ws_client.trigger(seen.widgets["Skapa"][0])]
    answer = ws_client.run_page(url, _cookies(police), "rapport", states)
    address = next(v for v in answer.widgets.values() if v[1] == "download_button")[3]
    file_id = address.rsplit("/", 1)[1].split(".")[0]
    assert re.fullmatch(r"[0-9a-f]{32}", file_id), address
    got = police.context.request.get(url + address)
    assert got.ok and POLICE_MARK in _cells(got.body())
    assert police.context.request.get(url + address).body() == got.body()  # a second click
    name = re.search(r'filename="([^"]+)"', got.headers["content-disposition"]).group(1)
    mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    content_id = _calculate_file_id(got.body(), mime, name)
    assert content_id != file_id
    reader, _ = _login(site, "lasare")
    for who in (reader, police):
        assert who.context.request.get(f"{url}/media/{content_id}.xlsx").status == 404
    # the random address is bound to the police session's cookies: leaked (a proxy's log, a
    # shared screen), it answers nothing to another session or to a request without them
    assert reader.context.request.get(url + address).status == 404
    with pytest.raises(urllib.error.HTTPError) as refused:
        bs._DIRECT.open(url + address, timeout=10)
    assert refused.value.code == 404
    assert police.context.request.get(url + address).body() == got.body()  # still the police's
    # the wide report keeps Streamlit's own address: only what a role restricts is moved
    wide = ws_client.run_page(url, _cookies(reader), "rapport",
                              [ws_client.choose(seen.widgets["Format"][0], "XLSX"),
                               ws_client.trigger(seen.widgets["Skapa"][0])])
    wide_address = next(v for v in wide.widgets.values() if v[1] == "download_button")[3]
    body = reader.context.request.get(url + wide_address).body()
    assert WIDE_MARK in _cells(body)
    police.context.close()
    reader.context.close()
