"""Results kept per frames object: the one memo the analysis layer shares.

Frames is frozen (its tables are not replaced, and the analysis never writes to them) and a
changed workspace is loaded as a new frames object, so a result keyed by the frames object and
the arguments stays right for as long as the frames live; the entry goes with them.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable

import pandas as pd

from lagesbild.core.frames import Frames

# frames id -> {(what, *arguments): result}; dropped when the frames object is freed
MEMO: dict[int, dict[tuple, object]] = {}
# (frames id, key) -> the lock held while that result is computed; dropped once it is kept
_COMPUTING: dict[tuple[int, tuple], threading.Lock] = {}
_GUARD = threading.Lock()


def memo_dict(frames: Frames) -> dict[tuple, object]:
    """The frames object's own memo (made on first use)."""
    memo = MEMO.get(id(frames))
    if memo is None:
        memo = MEMO[id(frames)] = {}
        weakref.finalize(frames, MEMO.pop, id(frames), None)
    return memo


def memoised(frames: Frames, key: tuple, compute: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """`compute()` once per frames object and key; each caller gets its own copy.

    Frames loaded from a stored workspace also keep the result beyond this process
    (`frames.persist`, `store.derived`): a later process with the same workspace, code and key
    reads it instead of computing it again (the protected figures of 6 000 DeSO take seconds).
    """
    memo = memo_dict(frames)
    if key not in memo:
        # sessions (threads of one server) asking for one result at once: one computes, the
        # others wait for it instead of computing it beside it (a meeting opening the first
        # page together). Keys nest along the analysis's calls, which never loop, so two
        # threads cannot each hold what the other waits for.
        with _GUARD:
            lock = _COMPUTING.setdefault((id(frames), key), threading.Lock())
        with lock:
            try:
                if key not in memo:
                    keeper = frames.persist
                    found = keeper.get(key) if keeper is not None else None
                    if found is None:
                        found = compute()
                        if keeper is not None:
                            keeper.put(key, found)
                    memo[key] = found
            finally:
                with _GUARD:
                    _COMPUTING.pop((id(frames), key), None)
    return memo[key].copy()  # type: ignore[attr-defined]
