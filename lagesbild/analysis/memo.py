"""Results kept per frames object: the one memo the analysis layer shares.

Frames is frozen (its tables are not replaced, and the analysis never writes to them) and a
changed workspace is loaded as a new frames object, so a result keyed by the frames object and
the arguments stays right for as long as the frames live; the entry goes with them.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

import pandas as pd

from lagesbild.core.frames import Frames

# frames id -> {(what, *arguments): result}; dropped when the frames object is freed
MEMO: dict[int, dict[tuple, object]] = {}


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
        keeper = frames.persist
        found = keeper.get(key) if keeper is not None else None
        if found is None:
            found = compute()
            if keeper is not None:
                keeper.put(key, found)
        memo[key] = found
    return memo[key].copy()  # type: ignore[attr-defined]
