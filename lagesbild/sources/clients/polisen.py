"""Polisen's events API (polisen.se/api/events): a client that keeps the API's fair-use rules.

The answer is the JSON list `read_polisen_events` reads (at most the latest 500 events that match).
Polisen asks clients not to call more often than every ten seconds and caps calls per hour and
day; the client waits between calls, refuses calls over the caps (it never queues for an hour),
and honours 429 Retry-After with a bounded number of retries. The caps default to 60 an hour and
1 440 a day (one a minute on average); set them from polisen.se's current terms if they change.

Parameters are checked before anything is sent and only ever become query values, so no user text
can change the host or the path; redirects to another host are refused (`_api.build_opener`).
"""

from __future__ import annotations

import collections
import re
import threading
import time
import urllib.parse
from collections.abc import Callable
from datetime import datetime

from lagesbild.core.errors import InputError
from lagesbild.sources.clients import _api

POLISEN_BASE_URL = "https://polisen.se/api/events"
POLISEN_MIN_INTERVAL = 10.0  # seconds between calls, as polisen.se asks
POLISEN_HOSTS = {"polisen.se", "www.polisen.se"}
MAX_PER_HOUR = 60
MAX_PER_DAY = 1440
MAX_ITEMS = 50  # names or types in one ';'-separated list

# One name: letters (å, ä, ö, é …) in words joined by single spaces or dashes: "Upplands Väsby",
# "Malung-Sälen", "Västerbottens län". Types also have commas and slashes: "Misshandel, grov",
# "Stöld/inbrott", "Våld/hot mot tjänsteman".
_WORD = r"[^\W\d_]+"
_LOCATION = re.compile(rf"{_WORD}(?:[ \-–]{_WORD})*")
_TYPE = re.compile(rf"{_WORD}(?:(?:, |[ \-–/]){_WORD})*")
_DATE_FORMATS = {4: "%Y", 7: "%Y-%m", 10: "%Y-%m-%d"}

_ERRORS: _api.ErrorTexts = {
    400: ("Polisens API kunde inte tolka frågan (HTTP 400).",
          "Kontrollera ort, händelsetyp och datum (ÅÅÅÅ, ÅÅÅÅ-MM eller ÅÅÅÅ-MM-DD)."),
    404: ("Polisens API finns inte på adressen (HTTP 404).",
          f"Kontrollera base_url (normalt {POLISEN_BASE_URL})."),
    429: ("Polisens API tar inte emot fler frågor just nu (HTTP 429).",
          "Vänta en stund; API:t begränsar antalet frågor per timme och dygn."),
}


def _names(value: str | None, field: str, pattern: re.Pattern[str], example: str) -> str | None:
    """A ';'-separated list, each item stripped and checked; None when not given."""
    if value is None:
        return None
    items = [item.strip() for item in str(value).split(";")]
    bad = [item for item in items if not pattern.fullmatch(item) or len(item) > 100]
    if not items or bad or len(items) > MAX_ITEMS:
        shown = ", ".join(repr(b) for b in bad[:3]) or repr(value)
        raise InputError(f"Ogiltigt värde för {field}: {shown}.", field=field,
                         fix=f"Ange {example}; flera åtskilda med semikolon (högst {MAX_ITEMS}).")
    return ";".join(items)


def _date(value: str | None) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    fmt = _DATE_FORMATS.get(len(text))
    ok = fmt is not None and re.fullmatch(r"\d{4}(-\d{2}){0,2}", text) is not None
    if ok:
        try:
            datetime.strptime(text, fmt)  # type: ignore[arg-type]  # fmt is set when ok
        except ValueError:
            ok = False
    if not ok:
        raise InputError(f"Ogiltigt datum: {text!r}.", field="date",
                         fix="Ange ett år (2024), en månad (2024-03) eller en dag (2024-03-15).")
    return text


class FairUseLimiter(_api.RateLimiter):
    """`min_interval` between calls, plus caps per hour and per day (over a cap: ApiError)."""

    def __init__(self, min_interval: float, *, max_per_hour: int | None = MAX_PER_HOUR,
                 max_per_day: int | None = MAX_PER_DAY,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__(min_interval, clock=clock, sleep=sleep)
        self.caps = [(3600.0, max_per_hour, "timme"), (86400.0, max_per_day, "dygn")]
        self._calls: collections.deque[float] = collections.deque()
        self._cap_lock = threading.Lock()

    def wait(self) -> None:
        with self._cap_lock:
            now = self._clock()
            while self._calls and self._calls[0] <= now - 86400.0:
                self._calls.popleft()
            for window, cap, label in self.caps:
                if cap is None:
                    continue
                recent = [t for t in self._calls if t > now - window]
                if len(recent) >= cap:
                    free_in = recent[0] + window - now
                    raise _api.ApiError(
                        f"Högst {cap} frågor per {label} till Polisens API; nästa fråga tidigast "
                        f"om {max(1, round(free_in / 60))} min.", url=POLISEN_BASE_URL,
                        fix="Spara svaren och använd dem igen i stället för att fråga på nytt.")
            super().wait()
            self._calls.append(self._clock())


# Clients built with the real clock share one limiter per host, so the app's many sessions and
# reruns together keep to the limits; clients with a test clock get their own.
_SHARED: dict[tuple[object, ...], FairUseLimiter] = {}
_SHARED_LOCK = threading.Lock()


class PolisenClient:
    """Fetch events: `events(location=..., type=..., date=...)` -> the API's JSON bytes.

    `location` and `type` take one name or several separated by ';' ("Umeå;Skellefteå",
    "Misshandel;Misshandel, grov"); `date` is a year, month or day (2024, 2024-03, 2024-03-15).
    The API answers with at most 500 events: ask per month or day for longer periods. Pass
    `opener`, `clock` and `sleep` to test without the network.
    """

    def __init__(self, base_url: str = POLISEN_BASE_URL, *,
                 min_interval: float = POLISEN_MIN_INTERVAL,
                 max_per_hour: int | None = MAX_PER_HOUR, max_per_day: int | None = MAX_PER_DAY,
                 timeout: float = 30.0, max_retries: int = 2, max_wait: float = 120.0,
                 max_bytes: int = 20_000_000, opener: _api.Opener | None = None,
                 clock: Callable[[], float] | None = None,
                 sleep: Callable[[float], None] | None = None) -> None:
        self.base_url = _api.check_base_url(base_url)
        host = _api.origin(self.base_url)
        if host[1] in POLISEN_HOSTS and min_interval < POLISEN_MIN_INTERVAL:
            raise InputError(f"Polisens API får inte frågas oftare än var "
                             f"{POLISEN_MIN_INTERVAL:.0f}:e sekund.", field="min_interval",
                             fix=f"Använd min_interval={POLISEN_MIN_INTERVAL:.0f} eller mer.")
        self.http = _api.HttpService(
            "Polisens API", min_interval=min_interval, timeout=timeout, max_retries=max_retries,
            max_wait=max_wait, max_bytes=max_bytes, opener=opener,
            clock=clock or time.monotonic, sleep=sleep or time.sleep, errors=_ERRORS)
        if clock is None and sleep is None:
            key = (*host, min_interval, max_per_hour, max_per_day)
            with _SHARED_LOCK:
                limiter = _SHARED.get(key)
                if limiter is None:
                    limiter = _SHARED[key] = FairUseLimiter(
                        min_interval, max_per_hour=max_per_hour, max_per_day=max_per_day)
        else:
            limiter = FairUseLimiter(min_interval, max_per_hour=max_per_hour,
                                     max_per_day=max_per_day, clock=clock or time.monotonic,
                                     sleep=sleep or time.sleep)
        self.http.limiter = limiter

    def events_url(self, *, location: str | None = None, type: str | None = None,  # noqa: A002
                   date: str | None = None) -> str:
        """The request URL: the base URL plus checked, percent-encoded query values."""
        params = [("locationname", _names(location, "location", _LOCATION,
                                          "ortnamn som Umeå eller Västerbottens län")),
                  ("type", _names(type, "type", _TYPE, "händelsetyper som Misshandel")),
                  ("DateTime", _date(date))]
        query = "&".join(f"{key}={urllib.parse.quote(value, safe=';')}"
                         for key, value in params if value is not None)
        return f"{self.base_url}?{query}" if query else self.base_url

    def events(self, *, location: str | None = None, type: str | None = None,  # noqa: A002
               date: str | None = None) -> bytes:
        """The API's answer, unchanged, once it is known to be a JSON list (for the reader)."""
        url = self.events_url(location=location, type=type, date=date)
        data, parsed = self.http.request_json(url)
        if not isinstance(parsed, list):
            raise _api.ApiError("Polisens API svarade inte med en lista med händelser.", url=url,
                                fix=f"Kontrollera base_url (normalt {POLISEN_BASE_URL}).")
        return data
