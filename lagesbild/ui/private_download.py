"""Downloads only one role may have (the police report, a police extract's rejected rows).

Streamlit keeps every download in one store shared by all sessions and serves it to anyone who
asks for its address, `/media/<id>.<ext>`, where the id is a hash of the file's bytes, type and
name. The address is sent only to the session that drew the button, but it is not secret: the
code is open, a reader knows the protected figures and that a hidden count is 1–4, so they can
rebuild each candidate police report, compute its address and ask the server for it; the one
that answers is the police figure. Here such a file gets an address made of 128 random bits
instead, a new one each time the page is drawn; its content address holds nothing. Streamlit
drops it as it drops its own files: when the page draws the button again or the session ends.
The button does not rerun the page when clicked (`on_click="ignore"`): a rerun would replace
the address while the browser is still asking for it.

The address is also bound to the session that drew it: the file is served only to a request
carrying the cookies that session had (`BIND_COOKIES`: the login's signed `_streamlit_user`, and
the browser's `_streamlit_xsrf`). An address that leaks (a proxy's log, a shared screen, the
browser history of another person's machine) is no bearer link. The check runs in front of
Streamlit's media route (`ui.media_guard`, a middleware of the `st.App` that `lagesbild serve`
runs: `lagesbild/ui/server.py`); on a server without it the button is refused.

Streamlit has no public hook for the address itself (issue 18: "not in a download, not in a
cache shared between sessions"): `install` wraps four methods of the runtime's `MemoryMediaFileStorage`
instance (its `load_and_get_id`, `get_file`, `get_url`, `delete_file`); `installed()` says
whether that held, and `tests/test_private_download.py` fails when a Streamlit release changes
them (the version is pinned in requirements.txt)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Mapping
from typing import Any

import streamlit as st

from lagesbild.ui import media_guard

LIFETIME_S = 600.0
_LOCK = threading.Lock()
_PRIVATE_DIGESTS: dict[str, float] = {}  # sha256 of bytes to serve privately -> until when
_FILES: dict[str, Any] = {}  # random id -> Streamlit's MemoryFile
_OWNERS: dict[str, tuple[tuple[str, str], ...]] = {}  # random id -> the drawing session's cookies
_MARK = "_lagesbild_private"
# the cookies a private file is bound to: the login (signed, httpOnly) and the browser's XSRF
BIND_COOKIES = ("_streamlit_user", "_streamlit_xsrf")
_DRAWING = threading.local()  # the cookies of the session drawing a private button, meanwhile


def _now() -> float:
    return time.monotonic()


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _storage() -> Any:  # noqa: ANN401 - Streamlit's MemoryMediaFileStorage of this server
    from streamlit import runtime

    if not runtime.exists():
        return None
    return getattr(runtime.get_instance().media_file_mgr, "_storage", None)


def _served() -> bool:
    """Whether this process runs a real Streamlit server. AppTest's runtime is a stand-in
    (a mock of `Runtime`) that serves nothing: there the button is drawn without the guard."""
    from streamlit import runtime
    from streamlit.runtime import Runtime

    return runtime.exists() and type(runtime.get_instance()) is Runtime


def installed() -> bool:
    """Whether this server's media store gives private files random, one-time addresses."""
    storage = _storage()
    return storage is not None and getattr(storage, _MARK, False)


def install() -> bool:
    """Wrap this server's media store (once per process; safe from any thread). False when
    there is no server (AppTest, bare mode: nothing is served there) or the store is not the
    one this module knows."""
    return wrap(_storage())


def wrap(storage: Any) -> bool:  # noqa: ANN401 - a MemoryMediaFileStorage
    """Give `storage` random addresses for the bytes `private` marked. True when it has them
    (now or before); False when it lacks what is wrapped."""
    if storage is None or not all(hasattr(storage, name) for name in (
            "load_and_get_id", "get_file", "get_url", "delete_file", "_files_by_id",
            "_media_endpoint")):
        return False
    with _LOCK:
        if getattr(storage, _MARK, False):
            return True
        load, get, url, delete = (storage.load_and_get_id, storage.get_file, storage.get_url,
                                  storage.delete_file)

        def load_and_get_id(path_or_data, mimetype, kind, filename=None):  # noqa: ANN001, ANN202
            if not isinstance(path_or_data, bytes) or not _claimed(_digest(path_or_data)):
                return load(path_or_data, mimetype, kind, filename)
            file_id = secrets.token_hex(16)
            made = load(path_or_data, mimetype, kind, filename)  # Streamlit's own MemoryFile
            entry = storage._files_by_id.pop(made)
            with _LOCK:
                _FILES[file_id] = entry
                _OWNERS[file_id] = getattr(_DRAWING, "cookies", ())
            return file_id

        def get_file(filename):  # noqa: ANN001, ANN202 - "id.ext", as Streamlit asks
            with _LOCK:
                entry = _FILES.get(str(filename).split(".", 1)[0])
            return entry if entry is not None else get(filename)

        def get_url(file_id):  # noqa: ANN001, ANN202 - the random address's URL
            with _LOCK:
                entry = _FILES.get(file_id)
            if entry is None:
                return url(file_id)
            from streamlit.runtime.memory_media_file_storage import get_extension_for_mimetype

            return f"{storage._media_endpoint}/{file_id}{get_extension_for_mimetype(entry.mimetype)}"

        def delete_file(file_id):  # noqa: ANN001, ANN202
            with _LOCK:
                _FILES.pop(file_id, None)
                _OWNERS.pop(file_id, None)
            delete(file_id)

        storage.load_and_get_id, storage.get_file = load_and_get_id, get_file
        storage.get_url, storage.delete_file = get_url, delete_file
        setattr(storage, _MARK, True)
        return True


def allowed(file_id: str, cookies: Mapping[str, str]) -> bool:
    """Whether a request with `cookies` may have the file `file_id` (an id as served, without
    its extension): any file that is not private, and a private one only with every cookie
    its drawing session had, equal (compared in constant time)."""
    with _LOCK:
        if file_id not in _FILES:
            return True
        owner = _OWNERS.get(file_id, ())
    return all(hmac.compare_digest(str(cookies.get(name, "")).encode(), value.encode())
               for name, value in owner)


def _session_cookies() -> tuple[tuple[str, str], ...]:
    """The `BIND_COOKIES` this session's browser sent (none without a server)."""
    try:
        cookies = st.context.cookies
        return tuple((n, str(cookies[n])) for n in BIND_COOKIES if cookies.get(n))
    except Exception:  # noqa: BLE001 - no session context (bare mode): nothing to bind to
        return ()


def _claimed(digest: str) -> bool:
    with _LOCK:
        _forget_expired()
        return digest in _PRIVATE_DIGESTS


def _forget_expired() -> None:
    now = _now()
    for key in [k for k, until in _PRIVATE_DIGESTS.items() if until < now]:
        del _PRIVATE_DIGESTS[key]


def private(data: bytes) -> bytes:
    """Mark `data` as served privately by this process's media store: for `LIFETIME_S`,
    renewed each time the page draws its button (a claim only keeps the list short)."""
    with _LOCK:
        _PRIVATE_DIGESTS[_digest(data)] = _now() + LIFETIME_S
    return data


def download_button(label: str, data: bytes, *, refused: str, **kwargs: Any) -> bool:  # noqa: ANN401
    """`st.download_button` for a file only this session's role may have. When this server's
    media store could not be wrapped, or no guard checks who asks for it (`ui.media_guard`:
    the server was not started by `lagesbild serve`), `refused` is shown instead of the button:
    the file is never put where another session could ask for it. (Without a server, in
    AppTest, nothing is served and the button is drawn as usual.)"""
    if _storage() is not None and not (install() and (media_guard.running() or not _served())):
        st.error(refused)
        return False
    _DRAWING.cookies = _session_cookies()
    try:
        return st.download_button(label, private(data), on_click="ignore", **kwargs)
    finally:
        _DRAWING.cookies = ()
