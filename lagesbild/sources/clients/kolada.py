"""The Kolada API v2 client: values for KPIs × kommuner × years, every page (read by `sources.kolada`)."""

from __future__ import annotations

import json
import re
import time
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any

from lagesbild.core.errors import InputError
from lagesbild.sources.clients import _api

KOLADA_BASE_URL = "https://api.kolada.se/v2"
# Kolada publishes no limit; two requests a second is polite and plenty for a lägesbild.
KOLADA_MIN_INTERVAL = 0.5

_YEAR = re.compile(r"(19|20)\d\d")
_ID = re.compile(r"[A-Za-z0-9_]+")


_ERRORS: _api.ErrorTexts = {
    400: ("Kolada kunde inte tolka frågan (HTTP 400); oftast ett okänt id eller en för lång "
          "adress.",
          "Kontrollera KPI-id och kommunkoder, eller fråga om färre åt gången."),
    404: ("Kolada känner inte igen adressen (HTTP 404).",
          "Kontrollera base_url (t.ex. https://api.kolada.se/v2)."),
}


class KoladaClient:
    """Kolada API v2: fetch values for KPIs × kommuner × years, following every next_page.

    next_page links are followed only while they stay on the base URL's host, port and path (the
    scheme of base_url is kept); anything else raises ApiError rather than returning a partial
    answer. Pass `opener`, `clock` and `sleep` to test without the network.
    """

    def __init__(self, base_url: str = KOLADA_BASE_URL, *,
                 min_interval: float = KOLADA_MIN_INTERVAL, timeout: float = 60.0,
                 max_retries: int = 3, max_wait: float = 60.0, max_pages: int = 500,
                 per_page: int = 5000, max_bytes: int = 200_000_000,
                 opener: _api.Opener | None = None, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.base_url = _api.check_base_url(base_url)
        self.max_pages, self.per_page = max_pages, per_page
        self.http = _api.HttpService(
            "Kolada", min_interval=min_interval, timeout=timeout, max_retries=max_retries,
            max_wait=max_wait, max_bytes=max_bytes, opener=opener, clock=clock, sleep=sleep,
            errors=_ERRORS)

    def data_url(self, kpi_ids: Iterable[str], municipality_ids: Iterable[str | int] | None,
                 years: Iterable[int | str] | None) -> str:
        kpis = _ids(kpi_ids, "kpi_ids", _ID, "KPI-id som N00945")
        parts = ["data", "kpi", ",".join(kpis)]
        if municipality_ids is not None:
            given = [municipality_ids] if isinstance(municipality_ids, (str, int)) else \
                municipality_ids
            codes = [str(m).strip().zfill(4) if str(m).strip().isdigit() else str(m).strip()
                     for m in given]
            parts += ["municipality", ",".join(_ids(codes, "municipality_ids", _ID,
                                                    "kommunkoder som 0180"))]
        if years is not None:
            given_years = [years] if isinstance(years, (str, int)) else years
            parts += ["year", ",".join(_ids([str(y).strip() for y in given_years], "years",
                                            _YEAR, "årtal som 2024"))]
        if municipality_ids is None and years is None:
            raise InputError("Ange kommuner eller år: Kolada kräver två av KPI, kommun och år.",
                             field="municipality_ids", fix="Ange t.ex. years=[2023, 2024].")
        query = urllib.parse.urlencode({"per_page": self.per_page})
        return f"{self.base_url}/{'/'.join(parts)}?{query}"

    def values(self, kpi_ids: Iterable[str], municipality_ids: Iterable[str | int] | None,
               years: Iterable[int | str] | None) -> bytes:
        """All pages merged into one answer {"count": n, "values": [...]} (for read_kolada)."""
        url: str | None = self.data_url(kpi_ids, municipality_ids, years)
        values: list[Any] = []
        visited: set[str] = set()
        pages = 0
        while url:
            if url in visited:
                raise _api.ApiError("Kolada pekade tillbaka på en sida som redan hämtats.",
                                    url=url, fix="Försök igen senare.")
            if pages >= self.max_pages:
                raise _api.ApiError(f"Svaret har fler än {self.max_pages} sidor.", url=url,
                                    fix="Fråga om färre KPI:er, kommuner eller år åt gången.")
            visited.add(url)
            pages += 1
            page = self._page(url)
            values.extend(page["values"])
            url = self.next_url(page.get("next_page"), current=url)
        return json.dumps({"count": len(values), "values": values},
                          ensure_ascii=False).encode("utf-8")

    def _page(self, url: str) -> dict[str, Any]:
        _, page = self.http.request_json(url)
        if not isinstance(page, dict) or not isinstance(page.get("values"), list):
            raise _api.ApiError("Kolada svarade utan listan 'values'.", url=url,
                                fix="Kontrollera base_url (t.ex. https://api.kolada.se/v2).")
        return page

    def next_url(self, link: object, *, current: str) -> str | None:
        """The next page to fetch, or None; a link that leaves the API is refused (ApiError)."""
        if link is None or link == "":
            return None
        if not isinstance(link, str):
            raise _api.ApiError("Kolada gav en next_page som inte är en adress.", url=current)
        target = urllib.parse.urlsplit(urllib.parse.urljoin(current, link))
        base = urllib.parse.urlsplit(self.base_url)
        # Kolada has sent http:// links in https answers: compare host and port, keep our scheme.
        base_port = base.port or _api.DEFAULT_PORTS[base.scheme.lower()]
        same_host = (target.hostname or "").lower() == (base.hostname or "").lower()
        try:
            port_ok = target.port is None or target.port == base_port
        except ValueError:
            port_ok = False
        path_ok = (target.path + "/").startswith(base.path.rstrip("/") + "/")
        if not (same_host and port_ok and path_ok and target.scheme.lower() in _api.DEFAULT_PORTS
                and not target.username and not target.password):
            raise _api.ApiError(
                f"Kolada pekade nästa sida till en annan adress ({target.hostname or link}); "
                "länken följdes inte och inget lästes.", url=link,
                fix="Kontrollera base_url; hämta data direkt från api.kolada.se.")
        return urllib.parse.urlunsplit((base.scheme, base.netloc, target.path, target.query, ""))


def _ids(items: Iterable[str], field: str, pattern: re.Pattern[str], example: str) -> list[str]:
    if isinstance(items, (str, int)):  # one id, not a list of characters
        items = [str(items)]
    out = [str(i).strip() for i in items]
    bad = [i for i in out if not pattern.fullmatch(i)]
    if not out or bad:
        raise InputError(f"Ogiltiga värden i {field}: {', '.join(bad) or '(tomt)'}.", field=field,
                         fix=f"Ange {example}.")
    return out
