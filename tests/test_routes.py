"""The address the browser asked for, as the router reads it (lagesbild/ui/routes.py); what the
browser then shows is tested in test_browser_raw.py."""

from __future__ import annotations

import pytest

from lagesbild.ui.routes import PAGES, requested


@pytest.mark.parametrize(("url", "base", "expected"), [
    ("http://127.0.0.1:8501/", "", ""),
    ("http://127.0.0.1:8501", "", ""),
    ("http://127.0.0.1:8501/karta", "", "karta"),
    ("http://127.0.0.1:8501/kartan/", "", "kartan"),
    ("https://lagesbild.example.se/app/karta", "/app", "karta"),  # server.baseUrlPath
    ("https://lagesbild.example.se/app", "app", ""),
    ("http://127.0.0.1:8501/kart%C3%A4", "", "kart%C3%A4"),  # as the frontend sends it
    ("http://127.0.0.1:8501/a/b", "", ""),  # nested: no page can take it
    ("http://127.0.0.1:8501/<script>", "", ""),
    (None, "", ""),  # AppTest has no browser address
])
def test_requested_page_name(url: str | None, base: str, expected: str) -> None:
    assert requested(url, base) == expected


def test_the_map_is_the_default_page_and_keeps_its_name() -> None:
    assert PAGES[0][:2] == ("map_page", "page_map") and PAGES[0][2] == "karta"
    assert len({url for *_, url in PAGES}) == len(PAGES)
