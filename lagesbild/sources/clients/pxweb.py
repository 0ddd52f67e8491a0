"""SCB's PX-Web API v1 client: POST a query, get the answer's bytes (for `pxweb.read_pxweb`)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

from lagesbild.core.errors import InputError
from lagesbild.sources.clients import _api

SCB_BASE_URL = "https://api.scb.se/OV0104/v1/doris/sv/ssd"
# SCB allows 30 requests per 10 seconds from one address; one every 1/3 s never exceeds it.
SCB_MIN_INTERVAL = 10 / 30

FIX_QUERY = "Kopiera frågan från SCB:s webbplats (länken API för tabellen under tabellen)."
_TABLE_PATH = re.compile(r"[A-Za-z0-9_\-]+(?:/[A-Za-z0-9_\-]+)*")
_ERRORS: _api.ErrorTexts = {
    400: ("SCB kunde inte tolka frågan (HTTP 400).",
          "Kontrollera variabelkoder och värden mot tabellens metadata (PxWebClient.metadata)."),
    403: ("SCB vägrade frågan (HTTP 403); oftast är den för stor (över 150 000 celler).",
          "Dela upp frågan, t.ex. färre regioner eller år per fråga."),
    404: ("Tabellen finns inte hos SCB (HTTP 404).",
          "Kontrollera tabellens sökväg, t.ex. BE/BE0101/BE0101Y/FolkmRegSOKonAlder."),
}


class PxWebClient:
    """SCB's PX-Web API v1: POST a query, get the answer's bytes (for read_pxweb).

    Requests are spaced by `min_interval` (SCB allows 30 per 10 s), 429/503 are retried after
    Retry-After, redirects to other hosts are refused. Pass `opener` (anything with urllib's
    `open(request, timeout=…)`), `clock` and `sleep` to test without the network.
    """

    def __init__(self, base_url: str = SCB_BASE_URL, *, min_interval: float = SCB_MIN_INTERVAL,
                 timeout: float = 60.0, max_retries: int = 3, max_wait: float = 60.0,
                 max_bytes: int = 200_000_000, opener: _api.Opener | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.base_url = _api.check_base_url(base_url)
        self.http = _api.HttpService(
            "SCB:s statistikdatabas", min_interval=min_interval, timeout=timeout,
            max_retries=max_retries, max_wait=max_wait, max_bytes=max_bytes, opener=opener,
            clock=clock, sleep=sleep, errors=_ERRORS)

    def url(self, table_path: str) -> str:
        path = table_path.strip().strip("/")
        if not _TABLE_PATH.fullmatch(path):
            raise InputError(f"Ogiltig tabellsökväg {table_path!r}.", field="table_path",
                             fix="Ange sökvägen under databasen, t.ex. "
                                 "BE/BE0101/BE0101Y/FolkmRegSOKonAlder (bara bokstäver, siffror, "
                                 "_ och -, åtskilda av /).")
        return f"{self.base_url}/{path}"

    def metadata(self, table_path: str) -> bytes:
        """The table's variables and values (GET), to build a query from."""
        return self.http.request(self.url(table_path))

    def query(self, table_path: str, query_json: Mapping[str, Any] | str | bytes) -> bytes:
        """POST a PX-Web query ({"query": [...], "response": {...}}) and return the answer.

        Without a "response" part the format is "json" (PX-Web v1); read_pxweb reads that and
        "json-stat2".
        """
        url = self.url(table_path)
        body = _query_body(query_json)
        return self.http.request(url, body=body)


def _query_body(query_json: Mapping[str, Any] | str | bytes) -> bytes:
    if isinstance(query_json, (str, bytes)):
        try:
            query: Any = json.loads(query_json)
        except json.JSONDecodeError as exc:
            raise InputError(f"Frågan är inte giltig JSON ({exc.msg}).", field="query_json",
                             fix=FIX_QUERY) from exc
    else:
        query = query_json
    if not isinstance(query, Mapping) or not isinstance(query.get("query"), list):
        raise InputError("Frågan saknar nyckeln 'query' (en lista med variabler).",
                         field="query", fix=FIX_QUERY)
    body = dict(query)  # never change the caller's dict
    body.setdefault("response", {"format": "json"})
    return json.dumps(body, ensure_ascii=False).encode("utf-8")
