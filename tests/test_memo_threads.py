"""`analysis.memo.memoised` under sessions asking at once: one computes, the others wait for
its result (a meeting opening the first page together costs one computation, not fifty)."""

from __future__ import annotations

import threading
import time

import pandas as pd
import pytest

from frames_support import tiny_frames
from lagesbild.analysis import memo


def test_threads_asking_at_once_share_one_computation() -> None:
    frames = tiny_frames()
    calls: list[int] = []
    started = threading.Event()

    def compute() -> pd.DataFrame:
        calls.append(1)
        started.set()
        time.sleep(0.3)  # long enough for every other thread to ask meanwhile
        return pd.DataFrame({"x": [1, 2]})

    results: list[pd.DataFrame] = []
    threads = [threading.Thread(target=lambda: results.append(
        memo.memoised(frames, ("test_threads",), compute))) for _ in range(8)]
    for t in threads:
        t.start()
    started.wait(5)
    for t in threads:
        t.join(10)
    assert calls == [1] and len(results) == 8
    assert all(r.equals(results[0]) for r in results)
    results[0].loc[0, "x"] = 99  # each caller's copy is its own
    assert memo.memoised(frames, ("test_threads",), compute)["x"].tolist() == [1, 2]
    assert not [k for k in list(memo._COMPUTING) if k[0] == id(frames)]


def test_a_failed_computation_leaves_nothing_held() -> None:
    frames = tiny_frames()

    def fail() -> pd.DataFrame:
        raise ValueError("no")

    with pytest.raises(ValueError):
        memo.memoised(frames, ("test_fail",), fail)
    assert not [k for k in list(memo._COMPUTING) if k[0] == id(frames)]
    done = threading.Thread(target=lambda: memo.memoised(frames, ("test_fail",),
                                                         lambda: pd.DataFrame({"x": [1]})))
    done.start()
    done.join(5)
    assert not done.is_alive() and memo.memoised(frames, ("test_fail",), fail)["x"].tolist() == [1]
