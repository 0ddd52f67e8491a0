"""Shared by the API clients: one-host HTTP, rate-limited, retried."""

from __future__ import annotations

import email.utils
import http.client
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any, Protocol

from lagesbild.core.errors import InputError, LagesbildError

DEFAULT_PORTS = {"http": 80, "https": 443}


class ApiError(LagesbildError):
    """An API answered with an error, not at all, or tried to send us elsewhere."""

    def __init__(self, message: str, *, url: str = "", status: int | None = None,
                 fix: str = "") -> None:
        self.url, self.status, self.fix = url, status, fix
        text = message + (f" Åtgärd: {fix}" if fix else "")
        super().__init__(text)


# --- HTTP ------------------------------------------------------------------------------------

class Opener(Protocol):
    """What the clients need from an opener: urllib's OpenerDirector, or a test double."""

    def open(self, fullurl: urllib.request.Request, data: bytes | None = None,
             timeout: float = ...) -> Any: ...


def origin(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) with the scheme's default port filled in; host lower-cased."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = -1  # malformed port: matches nothing
    return scheme, (parts.hostname or "").lower(), port or DEFAULT_PORTS.get(scheme, -1)


def check_base_url(url: str) -> str:
    """A base URL the clients may use: http(s), a host, no query, fragment or credentials."""
    parts = urllib.parse.urlsplit(url)
    if (parts.scheme.lower() not in DEFAULT_PORTS or not parts.hostname or parts.query
            or parts.fragment or parts.username or parts.password):
        raise InputError(f"Ogiltig adress till API:t: {url!r}.", field="base_url",
                         fix="Ange en adress som https://api.scb.se/OV0104/v1/doris/sv/ssd, "
                             "utan frågetecken, #-del eller inloggningsuppgifter.")
    return url.rstrip("/")


class _SameHostRedirect(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to the same scheme, host and port; anything else is refused."""

    def redirect_request(self, req: urllib.request.Request, fp: Any, code: int, msg: str,
                         headers: Any, newurl: str) -> urllib.request.Request | None:
        target = urllib.parse.urljoin(req.full_url, newurl)
        if origin(target) != origin(req.full_url):
            fp.read()
            fp.close()  # urllib would close it after following; we stop here instead
            raise ApiError(f"Servern skickade vidare till en annan adress ({origin(target)[1]}); "
                           "omdirigeringen följdes inte.", url=target, status=code,
                           fix="Kontrollera API-adressen (base_url).")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def build_opener(*, proxies: Mapping[str, str] | None = None) -> urllib.request.OpenerDirector:
    """urllib opener that refuses cross-host redirects. `proxies={}` ignores *_proxy variables."""
    handlers: list[urllib.request.BaseHandler] = [_SameHostRedirect()]
    if proxies is not None:
        handlers.append(urllib.request.ProxyHandler(dict(proxies)))
    return urllib.request.build_opener(*handlers)


class RateLimiter:
    """At most one request per `min_interval` seconds (thread-safe; the app serves many users)."""

    def __init__(self, min_interval: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if min_interval < 0:
            raise ValueError("min_interval must be >= 0")
        self.min_interval, self._clock, self._sleep = min_interval, clock, sleep
        self._last: float | None = None
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = self._clock()
            if self._last is not None:
                delay = self._last + self.min_interval - now
                if delay > 0:
                    self._sleep(delay)
                    now = self._clock()
            self._last = now


def retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (seconds or an HTTP date); None when absent or bad."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


# (status -> (message, fix)) for a service; {status} in the message is filled in.
ErrorTexts = Mapping[int, tuple[str, str]]


class HttpService:
    """One API host: requests are spaced by a rate limiter and retried a bounded number of times.

    Retried: 429 and 503 (waiting as long as Retry-After says, at most `max_wait` seconds) and
    network failures (waiting 1, 2, 4 … seconds). Everything else fails at once with ApiError.
    """

    def __init__(self, what: str, *, min_interval: float, timeout: float, max_retries: int,
                 max_wait: float, max_bytes: int, opener: Opener | None,
                 clock: Callable[[], float], sleep: Callable[[float], None],
                 errors: ErrorTexts) -> None:
        self.what, self.timeout, self.max_retries = what, timeout, max_retries
        self.max_wait, self.max_bytes, self.errors = max_wait, max_bytes, errors
        self.opener: Opener = opener if opener is not None else build_opener()
        self.limiter = RateLimiter(min_interval, clock=clock, sleep=sleep)
        self._sleep = sleep

    def request(self, url: str, *, body: bytes | None = None) -> bytes:
        """GET (or POST with a JSON `body`) and return the body bytes."""
        headers = {"Accept": "application/json", "User-Agent": "lagesbild"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        for attempt in range(self.max_retries + 1):
            self.limiter.wait()
            request = urllib.request.Request(url, data=body, headers=headers,
                                             method="POST" if body is not None else "GET")
            try:
                with self.opener.open(request, timeout=self.timeout) as response:
                    return self._read(response, url)
            except urllib.error.HTTPError as exc:
                wait = retry_after(exc.headers.get("Retry-After") if exc.headers else None)
                detail = _error_detail(exc)
                if exc.code in (429, 503) and attempt < self.max_retries:
                    delay = wait if wait is not None else float(2 ** attempt)
                    if delay > self.max_wait:
                        raise ApiError(f"{self.what} ber oss vänta {delay:.0f} s innan nästa "
                                       "fråga.", url=url, status=exc.code,
                                       fix="Försök igen senare.") from exc
                    self._sleep(delay)
                    continue
                raise self._http_error(exc.code, url, detail) from exc
            except (OSError, http.client.HTTPException) as exc:
                # URLError, timeouts, refused or reset connections, TLS errors, cut-off bodies
                if attempt < self.max_retries:
                    self._sleep(min(float(2 ** attempt), self.max_wait))
                    continue
                reason = getattr(exc, "reason", exc)
                raise ApiError(f"{self.what} svarade inte ({reason}).", url=url,
                               fix="Kontrollera nätverksanslutningen och försök igen.") from exc
        raise AssertionError("unreachable")  # the loop always returns or raises

    def request_json(self, url: str, *, body: bytes | None = None) -> tuple[bytes, Any]:
        """`request`, and the answer parsed as JSON (ApiError when it is not JSON)."""
        data = self.request(url, body=body)
        try:
            return data, json.loads(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ApiError(f"{self.what} svarade med något som inte är JSON.", url=url,
                           fix="Försök igen senare.") from exc

    def _read(self, response: Any, url: str) -> bytes:
        data: bytes = response.read(self.max_bytes + 1)
        if len(data) > self.max_bytes:
            size = self.max_bytes // 1_000_000
            raise ApiError(f"Svaret från {self.what} är större än {size} MB.", url=url,
                           fix="Dela upp frågan i mindre delar.")
        return data

    def _http_error(self, status: int, url: str, detail: str) -> ApiError:
        message, fix = self.errors.get(status, (
            f"{self.what} svarade med ett fel (HTTP {{status}}).",
            "Försök igen senare; kvarstår felet, kontrollera frågan."))
        message = message.format(status=status)
        if detail:
            message += f" Servern: {detail}"
        return ApiError(message, url=url, status=status, fix=fix)


def _error_detail(exc: urllib.error.HTTPError) -> str:
    """The first part of an error body (servers often say what was wrong); closes the response."""
    try:
        raw = exc.read(500) if exc.fp is not None else b""
    except OSError:
        raw = b""
    finally:
        exc.close()
    text = raw.decode("utf-8", "replace").lstrip("\ufeff").strip()
    return " ".join(text.split())[:200]
