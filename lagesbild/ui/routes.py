"""The app's pages for st.navigation, and what an address that names no page shows.

Streamlit serves the default page (Karta) at "/" only. Its frontend answers any other address
that no page owns (the map's own name, /karta, or a mistyped /kartan) with an English "Page not
found" dialog before it runs the default page. That dialog is sent only when st.navigation
cannot resolve the address, so the address the browser asked for (`st.context.url`) is given a
hidden page of its own that sends the user on to the default page: /karta silently, any other
address with a Swedish (or English) note of what happened.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

import streamlit as st

from lagesbild.core.i18n import t

ROOT = Path(__file__).resolve().parents[2]
# (module in lagesbild/ui, title key, url path); the first page is the default and lives at "/"
PAGES = [("map_page", "page_map", "karta"), ("assessment_page", "page_assessment", "lagesbild"),
         ("pyramid_page", "page_pyramid", "pyramid"),
         ("compare_page", "page_compare", "jamforelse"), ("coverage_page", "page_coverage", "insatser"),
         ("report_page", "page_report", "rapport"), ("data_page", "page_data", "data")]
# the default page's own path: never public (Streamlit shows the default at "/"), it only has to
# differ from the alias that takes the map's name
_DEFAULT_KEY = "lagesbild-karta-standard"
# what a page's url_path may be (no "/": Streamlit refuses nested paths), as the frontend sends
# it (percent-encoded); other addresses keep Streamlit's own answer
_PATH = re.compile(r"^[A-Za-z0-9_\-.~%]{1,120}$")
MOVED = "_route_moved"  # session key: the address that named no page, shown once on the map


def requested(url: str | None, base: str = "") -> str:
    """The page name the browser asked for in `url` ("" for the app's root), without the
    server's base path; "" when `url` is None (AppTest) or not a single path segment."""
    if not url:
        return ""
    path = urlsplit(url).path.strip("/")
    base = base.strip("/")
    if base and (path == base or path.startswith(base + "/")):
        path = path[len(base):].strip("/")
    return path if _PATH.match(path) else ""


def _forward(default: st.Page, path: str, known: bool) -> Callable[[], None]:
    def run() -> None:
        if not known:
            st.session_state[MOVED] = path
        st.switch_page(default)

    return run


def pages(lang: str, url: str | None, base: str = "") -> list[st.Page]:
    """The visible pages and, for an address no page owns, a hidden page that forwards to the
    default page (the map)."""
    listed = [st.Page(ROOT / "lagesbild" / "ui" / f"{module}.py", title=t(title, lang),
                      url_path=_DEFAULT_KEY if i == 0 else url, default=i == 0)
              for i, (module, title, url) in enumerate(PAGES)]
    path = requested(url, base)
    taken = {url for _, _, url in PAGES[1:]} | {_DEFAULT_KEY}
    if path and path not in taken:
        known = path == PAGES[0][2]
        listed.append(st.Page(_forward(listed[0], path, known), title=t(PAGES[0][1], lang),
                              url_path=path, visibility="hidden"))
    return listed


def note_moved(lang: str) -> None:
    """Once, after an address that named no page: which address, and that the map is shown."""
    path = st.session_state.pop(MOVED, None)
    if path:
        st.info(t("page_not_found", lang, path="/" + unquote(path)))
