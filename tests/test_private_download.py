"""`ui.private_download` on Streamlit's own media store and manager (the pinned release): a
file marked private gets a random address, a new one each time it is drawn, never its content
address; it is gone when Streamlit drops it; anything else is stored as Streamlit stores it. The browser test with real roles is
test_browser_roles (the police report's address)."""

from __future__ import annotations

import re

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.media_file_storage import MediaFileStorageError
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage, _calculate_file_id

from lagesbild.ui import private_download

MIME = "text/csv"


@pytest.fixture
def store() -> tuple[MemoryMediaFileStorage, MediaFileManager]:
    storage = MemoryMediaFileStorage("/media")
    assert private_download.wrap(storage) and private_download.wrap(storage)  # once is enough
    return storage, MediaFileManager(storage)


def _id(url: str) -> str:
    return url.rsplit("/", 1)[1].split(".")[0]


def test_a_private_file_gets_a_random_address_and_never_its_content_address(
        store) -> None:  # noqa: ANN001
    storage, manager = store
    data = private_download.private(b"kategori;antal\nMisshandel;3\n")
    url = manager.add(data, MIME, "1.(2).3", file_name="polis.csv", is_for_static_download=True)
    file_id = _id(url)
    assert re.fullmatch(r"[0-9a-f]{32}", file_id) and url.endswith(".csv")
    content_id = _calculate_file_id(data, MIME, "polis.csv")
    assert file_id != content_id
    with pytest.raises(MediaFileStorageError):  # its content address holds nothing
        storage.get_file(f"{content_id}.csv")
    for _ in range(2):  # downloaded twice from the same page
        served = storage.get_file(f"{file_id}.csv")
        assert served.content == data and served.filename == "polis.csv"
    # the page drawn again: a new address; Streamlit drops the old one as it drops its own
    # downloads (marked at the end of one run, deleted at the end of the next)
    again = manager.add(data, MIME, "1.(2).3", file_name="polis.csv", is_for_static_download=True)
    assert _id(again) != file_id
    manager.remove_orphaned_files()
    assert storage.get_file(f"{file_id}.csv").content == data
    manager.remove_orphaned_files()
    with pytest.raises(MediaFileStorageError):
        storage.get_file(f"{file_id}.csv")
    assert storage.get_file(again.rsplit("/", 1)[1]).content == data
    with pytest.raises(MediaFileStorageError):
        storage.get_file(f"{content_id}.csv")


def test_anything_else_is_stored_as_streamlit_stores_it(store) -> None:  # noqa: ANN001
    storage, manager = store
    data = b"kategori;antal\nMisshandel;<5\n"
    url = manager.add(data, MIME, "1.(2).4", file_name="bred.csv", is_for_static_download=True)
    assert _id(url) == _calculate_file_id(data, MIME, "bred.csv")
    for _ in range(2):
        assert storage.get_file(url.rsplit("/", 1)[1]).content == data


def test_deleting_works_and_a_mark_not_renewed_is_forgotten(
        store, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    storage, manager = store
    data = private_download.private(b"x;1\n")
    first = _id(manager.add(data, MIME, "c1", file_name="a.csv", is_for_static_download=True))
    second = _id(manager.add(data, MIME, "c2", file_name="a.csv", is_for_static_download=True))
    storage.delete_file(second)
    with pytest.raises(MediaFileStorageError):
        storage.get_file(f"{second}.csv")
    assert storage.get_file(f"{first}.csv").content == data  # the other page's: still there
    later = private_download._now() + private_download.LIFETIME_S + 1
    monkeypatch.setattr(private_download, "_now", lambda: later)
    # a mark not renewed by drawing the button is forgotten: the bytes go where Streamlit puts them
    url = manager.add(data, MIME, "c3", file_name="a.csv", is_for_static_download=True)
    assert _id(url) == _calculate_file_id(data, MIME, "a.csv")


def test_a_store_without_what_is_wrapped_is_refused() -> None:
    class Other:
        def get_file(self, name: str) -> None: ...

    assert not private_download.wrap(Other()) and not private_download.wrap(None)


def test_a_private_file_is_served_only_with_the_drawing_session_s_cookies(store) -> None:  # noqa: ANN001
    """`ui.media_guard` asks `allowed` for every media request: a private file needs every
    cookie its drawing session had, equal; a leaked address alone gets nothing."""
    storage, manager = store
    private_download._DRAWING.cookies = (("_streamlit_user", "signed-polis"),
                                         ("_streamlit_xsrf", "x1"))
    try:
        url = manager.add(private_download.private(b"polis;3\n"), MIME, "1", file_name="p.csv",
                          is_for_static_download=True)
    finally:
        private_download._DRAWING.cookies = ()
    file_id = _id(url)
    assert private_download.allowed(file_id, {"_streamlit_user": "signed-polis",
                                              "_streamlit_xsrf": "x1", "annan": "y"})
    for cookies in ({}, {"_streamlit_user": "signed-polis"},
                    {"_streamlit_user": "signed-lasare", "_streamlit_xsrf": "x1"},
                    {"_streamlit_user": "signed-polis", "_streamlit_xsrf": "x2"}):
        assert not private_download.allowed(file_id, cookies), cookies
    wide = manager.add(b"bred;3\n", MIME, "2", file_name="w.csv", is_for_static_download=True)
    assert private_download.allowed(_id(wide), {})  # not private: Streamlit serves it as ever
    assert private_download.allowed("0" * 32, {})  # unknown: Streamlit's own 404
    storage.delete_file(file_id)
    assert file_id not in private_download._OWNERS


def test_the_guard_reads_the_file_id_of_a_media_address() -> None:
    from lagesbild.ui.media_guard import media_file_id

    assert media_file_id("/media/0a1b.xlsx") == "0a1b"
    assert media_file_id("/lagesbild/media/0a1b.tar.gz") == "0a1b"  # under a base path
    for other in ("/media/", "/_stcore/health", "/media/a/b.csv", "/app/static/x.js"):
        assert media_file_id(other) is None, other


def test_without_the_guard_a_server_refuses_the_private_download(monkeypatch) -> None:  # noqa: ANN001
    """`streamlit run app.py` (no `lagesbild/ui/server.py`): the button is not drawn."""
    from lagesbild.ui import media_guard

    shown: list[str] = []
    monkeypatch.setattr(private_download, "_storage", lambda: object())
    monkeypatch.setattr(private_download, "install", lambda: True)
    monkeypatch.setattr(private_download, "_served", lambda: True)
    monkeypatch.setattr(media_guard, "_RUNNING", [])
    monkeypatch.setattr(private_download.st, "error", shown.append)
    monkeypatch.setattr(private_download.st, "download_button",
                        lambda *a, **k: pytest.fail("drawn without the guard"))
    assert private_download.download_button("Ladda ner", b"x", refused="Nej") is False
    assert shown == ["Nej"]


def test_no_server_runs_in_the_test_process() -> None:
    """AppTest's runtime (if one ran in this worker) is a stand-in: it serves nothing."""
    assert not private_download._served()
