"""app.py in Streamlit's AppTest, its first run on the page a test is about.

`AppTest.run()` followed by `switch_page(...)` runs the default page (Karta) first: on a workspace
the app has not seen yet (a test's own copy) that is a whole map page computed for nothing,
seconds per test. `open_page` starts on the page itself, as a browser that opens its address does.
"""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from lagesbild.core.i18n import t
from lagesbild.ui.routes import PAGES

APP = Path(__file__).resolve().parents[1] / "app.py"
_ROUTES = {module: (title, url) for module, title, url in PAGES}


def open_page(page: str | None = None, *, timeout: float = 60, run: bool = True) -> AppTest:
    """app.py whose first run opens `page` (a module of lagesbild/ui, e.g. "data_page"; None:
    the default page), run once unless `run` is False (to set session state first).

    Before its first run AppTest names a page by its file, while st.navigation knows the app's
    pages by their url_path (lagesbild/ui/routes.py): the first run is sent to the hash
    st.Page gives that url_path. `assert_on` checks the run landed there.
    """
    at = AppTest.from_file(str(APP), default_timeout=timeout)
    if page is not None and page != PAGES[0][0]:
        at._page_hash = calc_hash(_ROUTES[page][1])  # what st.Page hashes: its url_path
    if run:
        at.run()
        assert not at.exception, at.exception
        assert_on(at, page)
    return at


def assert_on(at: AppTest, page: str | None, lang: str = "sv") -> None:
    """The run showed `page` (its title), not the default page instead."""
    title = t(_ROUTES[page or PAGES[0][0]][0], lang)
    shown = [x.value for x in at.title]
    assert title in shown, f"expected page {page!r} ({title!r}), the run showed {shown}"
