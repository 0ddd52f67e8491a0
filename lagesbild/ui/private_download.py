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

Streamlit has no public hook for this (issue 18: "not in a download, not in a cache shared
between sessions"): `install` wraps four methods of the runtime's `MemoryMediaFileStorage`
instance (its `load_and_get_id`, `get_file`, `get_url`, `delete_file`); `installed()` says
whether that held, and `tests/test_private_download.py` fails when a Streamlit release changes
them (the version is pinned in requirements.txt)."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from typing import Any

import streamlit as st

LIFETIME_S = 600.0
_LOCK = threading.Lock()
_PRIVATE_DIGESTS: dict[str, float] = {}  # sha256 of bytes to serve privately -> until when
_FILES: dict[str, Any] = {}  # random id -> Streamlit's MemoryFile
_MARK = "_lagesbild_private"


def _now() -> float:
    return time.monotonic()


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _storage() -> Any:  # noqa: ANN401 - Streamlit's MemoryMediaFileStorage of this server
    from streamlit import runtime

    if not runtime.exists():
        return None
    return getattr(runtime.get_instance().media_file_mgr, "_storage", None)


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
            delete(file_id)

        storage.load_and_get_id, storage.get_file = load_and_get_id, get_file
        storage.get_url, storage.delete_file = get_url, delete_file
        setattr(storage, _MARK, True)
        return True


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
    media store could not be wrapped, `refused` is shown instead of the button: the file is
    never put where another session could ask for it. (Without a server, in AppTest, nothing
    is served and the button is drawn as usual.)"""
    if _storage() is not None and not install():
        st.error(refused)
        return False
    return st.download_button(label, private(data), on_click="ignore", **kwargs)
