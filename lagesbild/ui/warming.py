"""The background thread that warms the caches the next rerun will read (see ui/common.py)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable, Iterator

_LOG = logging.getLogger("lagesbild.ui.common")

Plan = Iterator[tuple[Hashable, Callable[[], object]]]


class Warmer:
    PAUSE_S = 2.0  # the longest a run keeps the thread from starting a job

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._plan: Plan | None = None
        self._busy = False
        self._pauses: dict[Hashable, float] = {}  # a session whose run goes on -> until when
        self._thread: threading.Thread | None = None

    def start(self, plan: Plan, owner: Hashable = None) -> None:
        """Run `plan` from now on, instead of the previous one: `owner`'s run is over. The runs
        of other sessions still going on keep the thread waiting (with 50 sessions at once a
        warming job beside their runs only slowed them down)."""
        with self._cond:
            self._plan = plan
            self._pauses.pop(owner, None)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="lagesbild-warm",
                                                daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def pause(self, owner: Hashable = None) -> None:
        """`owner`'s run has started: no new job until it ends (`start`) or PAUSE_S pass."""
        with self._cond:
            self._pauses[owner] = time.monotonic() + self.PAUSE_S

    def _paused_until(self) -> float:
        now = time.monotonic()
        for owner, until in list(self._pauses.items()):
            if until <= now:
                del self._pauses[owner]
        return max(self._pauses.values(), default=0.0)

    def stop(self) -> None:
        """Drop the plan (a job already running finishes)."""
        with self._cond:
            self._plan = None
            self._cond.notify_all()

    def idle(self) -> bool:
        with self._cond:
            return self._plan is None and not self._busy

    def wait_idle(self, timeout: float) -> bool:
        """Block until the plan is done (True) or `timeout` seconds have passed (False)."""
        end = time.monotonic() + timeout
        with self._cond:
            while self._plan is not None or self._busy:
                if time.monotonic() >= end:
                    return False
                self._cond.wait(min(end - time.monotonic(), 0.05))
            return True

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._plan is None or time.monotonic() < self._paused_until():
                    self._busy = False
                    self._cond.notify_all()
                    left = self._paused_until() - time.monotonic()
                    self._cond.wait(None if self._plan is None else max(left, 0.01))
                plan, self._busy = self._plan, True
            try:
                _, job = next(plan)  # planning may itself read cached values
                job()
            except StopIteration:
                with self._cond:
                    if self._plan is plan:
                        self._plan = None
            except Exception:  # noqa: BLE001 - a failed job only leaves a cache cold
                _LOG.debug("warming failed", exc_info=True)
