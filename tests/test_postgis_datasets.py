"""The PostGIS dataset list is read once per change of the workspace: every run of the app asks
`exists()` several times, and under fifty sessions a connection per question was a quarter of
the server's time in the load benchmark. A commit, this process's or another's, still shows."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from lagesbild.store import importer
from lagesbild.store.postgis import PostgisWorkspace

HEADER = "Kommun;Kommunkod;År;Brottskategori;Kön;Antal\n"


def _counts(folder: Path, name: str, category: str = "Rån") -> Path:
    path = folder / name
    path.write_text(HEADER + "".join(f"Norsjö;2417;{2020 + i};{category};Totalt;{i + 3}\n"
                                     for i in range(4)), encoding="utf-8")
    return path


class _Counted(PostgisWorkspace):
    """Counts the connections the workspace opens (the kept `key` connection among them)."""

    opened = 0

    def connect(self):  # noqa: ANN201
        type(self).opened += 1
        return super().connect()


@pytest.fixture
def pg(pg_url: str, kommun_areas, tmp_path: Path):  # noqa: ANN001, ANN201 - a _Counted
    ws = _Counted(pg_url)
    importer.store_boundaries(ws, kommun_areas, name="gränser")
    importer.import_file(ws, "crime_counts", _counts(tmp_path, "brå.csv"), name="brå.csv")
    yield ws
    ws.close()


def test_asking_again_while_nothing_changed_opens_no_connection(pg: _Counted) -> None:
    first = pg.datasets()
    assert list(first["dataset"]) == ["gränser", "brå.csv"] and list(first["rows"]) == [2, 4]
    _Counted.opened = 0
    for _ in range(30):
        assert pg.exists()
        time.sleep(PostgisWorkspace.KEY_TTL_S / 10)
    assert pg.datasets().equals(first)
    assert _Counted.opened == 0  # the key's question runs on its kept connection


def test_a_caller_changing_the_list_changes_no_later_answer(pg: _Counted) -> None:
    shown = pg.datasets()
    shown.loc[0, "dataset"] = "ändrad"
    shown["rows"] = 0
    assert pg.datasets().equals(pg.datasets()) and list(pg.datasets()["rows"]) == [2, 4]
    assert list(pg.datasets()["dataset"]) == ["gränser", "brå.csv"]


def test_an_import_by_another_process_shows_within_the_key_s_interval(
        pg: _Counted, pg_url: str, tmp_path: Path) -> None:
    """The file that would make the kept list wrong: another server's import, which this
    process learns of only through the change counter."""
    assert len(pg.datasets()) == 2
    other = PostgisWorkspace(pg_url)
    importer.import_file(other, "crime_counts", _counts(tmp_path, "brå2.csv", "Misshandel"), name="brå 2025")
    time.sleep(PostgisWorkspace.KEY_TTL_S * 1.5)
    assert list(pg.datasets()["dataset"]) == ["gränser", "brå.csv", "brå 2025"]
    other.drop()  # the schema emptied by another process: no kept list answers for it
    other.close()
    time.sleep(PostgisWorkspace.KEY_TTL_S * 1.5)
    with pytest.raises(Exception, match="state"):
        pg.exists()


def test_this_process_s_own_import_shows_at_once(pg: _Counted, tmp_path: Path) -> None:
    assert len(pg.datasets()) == 2
    importer.import_file(pg, "crime_counts", _counts(tmp_path, "brå2.csv", "Misshandel"), name="brå 2025")
    assert list(pg.datasets()["dataset"])[-1] == "brå 2025"  # no wait for the interval


def test_a_fresh_key_is_answered_while_another_thread_refreshes_it(pg: _Counted) -> None:
    """Fifty sessions ask `key` many times a run: a fresh one must not wait for the lock a
    refresh holds (they queued behind one another, 13 % of the server's samples); a stale one
    still waits and is asked anew."""
    from concurrent.futures import ThreadPoolExecutor, TimeoutError as Late

    pg._forget_key()
    fresh = pg.key
    with ThreadPoolExecutor(1) as pool:
        with pg._key_lock:  # a refresh under way in another thread
            assert pool.submit(lambda: pg.key).result(timeout=5) == fresh
            time.sleep(PostgisWorkspace.KEY_TTL_S * 1.2)
            stale = pool.submit(lambda: pg.key)
            with pytest.raises(Late):
                stale.result(timeout=0.3)  # past its interval: waits for the refresh
        assert stale.result(timeout=10) == fresh  # asked anew; nothing changed


def test_a_workspace_dropped_and_made_anew_by_this_object_lists_nothing_old(pg: _Counted) -> None:
    """`lagesbild demo --database` and the national benchmark build drop the schema and migrate
    it anew on one object: its kept list must not outlive the schema (a stale list would call
    the first file of the new build a duplicate of the old one)."""
    assert len(pg.datasets()) == 2
    pg.drop()
    pg.upgrade()
    assert not pg.exists() and not len(pg.datasets())
