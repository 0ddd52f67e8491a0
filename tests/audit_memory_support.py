"""The audit's solved programs shared by the xdist workers of one test run.

`lagesbild.analysis.audit` keeps each solved program per process, keyed on a digest of its
content (`_content_key`). Under `pytest -n`, the workers would each solve the demo's release
again; `SharedSolved` is the same memory backed by a folder of the run's temporary directory, so
what one worker solved the other reads. An answer is written once, whole (a temporary file
renamed), and only ever read back for the same digest; two workers that meet the same program
at once both solve it and write the same numbers.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from pathlib import Path

import numpy as np


class SharedSolved(OrderedDict):
    """`audit._SOLVED` with a folder behind it: a miss here looks there, a new answer goes
    there too."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def _path(self, key: bytes) -> Path:
        return self.folder / f"{key.hex()}.npy"

    def get(self, key: bytes, default: object = None) -> object:
        found = super().get(key)
        if found is not None:
            return found
        try:
            with open(self._path(key), "rb") as fh:
                both = np.load(fh)
        except (OSError, ValueError):
            return default
        found = (both[0].copy(), both[1].copy())
        super().__setitem__(key, found)
        return found

    def __setitem__(self, key: bytes, value: tuple[np.ndarray, np.ndarray]) -> None:
        super().__setitem__(key, value)
        path = self._path(key)
        if path.exists():
            return
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            np.save(fh, np.vstack([np.asarray(value[0], dtype="float64"),
                                   np.asarray(value[1], dtype="float64")]))
        os.replace(tmp, path)
