"""The app refuses to show a release the adversary can narrow.

Each period's release (every county, everything the pages show) is audited once per workspace
version by `analysis.release.release_audit` in one background thread, so pages never wait for it
by default: the sidebar says the check is running, then that it passed. Once an audit has
failed, or could not be completed, every page showing that period's figures stops with an
error instead (the report refuses on its own, synchronously). `LAGESBILD_AUDIT_WAIT` (seconds,
default 0) makes a page wait that long for its period's audit first. `LAGESBILD_APP_AUDIT=off`
(for tests and benchmarks that measure something else) leaves the audit to the CLI and the
report, and the sidebar says so.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import functools
import logging
import os
import queue
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future

import streamlit as st

from lagesbild.analysis.audit import Audit
from lagesbild.ui import common

_LOG = logging.getLogger(__name__)
# one daemon thread (a ThreadPoolExecutor's would hold the process at exit until every queued
# audit had run)
_QUEUE: queue.Queue[tuple[Future, Callable[[], Audit]]] = queue.Queue()
_LOCK = threading.Lock()
_THREAD: list[threading.Thread] = []


def _work() -> None:
    while True:
        future, job = _QUEUE.get()
        if _STOPPING.is_set():
            future.cancel()
        if future.set_running_or_notify_cancel():
            try:
                future.set_result(job())
            except BaseException as exc:  # noqa: BLE001 - handed to the page through the future
                future.set_exception(exc)


# The audits started, by (workspace version, path, period): kept outside Streamlit's caches, so
# clearing those (a new import, the benchmark's naive runs) never starts the same audit again.
_FUTURES: OrderedDict[tuple[str, str, str], Future] = OrderedDict()
_KEEP = 64
_STOPPING = threading.Event()


def _stop_at_exit(timeout: float = 30.0) -> None:
    """Cancel the audits not started yet and let a running one finish (a solver torn down
    mid-run aborts the process)."""
    _STOPPING.set()
    with _LOCK:
        running = [f for f in _FUTURES.values() if not f.done()]
    for future in running:
        future.cancel()
    for future in running:
        if not future.cancelled():
            with contextlib.suppress(Exception):
                future.exception(timeout=timeout)


atexit.register(_stop_at_exit)


def _future(key: str, path: str, period: str, ctx: common.Context) -> Future:
    with _LOCK:
        found = _FUTURES.get((key, path, period))
        if found is not None:
            _FUTURES.move_to_end((key, path, period))
            return found
        future: Future = Future()
        _FUTURES[(key, path, period)] = future
        while len(_FUTURES) > _KEEP:
            _FUTURES.popitem(last=False)
        if not _THREAD or not _THREAD[0].is_alive():
            _THREAD[:] = [threading.Thread(target=_work, name="lagesbild-audit", daemon=True)]
            _THREAD[0].start()
    _QUEUE.put((future, functools.partial(_audit, key, path, period, ctx)))
    return future


def _audit(key: str, path: str, period: str, ctx: common.Context) -> Audit:
    from lagesbild.analysis.release import release_audit

    specs, taxonomy, _ = common.specs(ctx)
    # annualising a part year changes rates, not the counts the audit checks: one audit
    return release_audit(common.frames_for(key, path), taxonomy=taxonomy,
                         settings=dataclasses.replace(ctx.settings, annualise=False),
                         periods=[period], specs=specs)


def guard(ctx: common.Context, period: str) -> None:
    """Stop the page if `period`'s release failed its audit; start the audit if need be."""
    if os.environ.get("LAGESBILD_APP_AUDIT", "background") == "off":
        st.sidebar.caption(ctx.t("release_off"))
        return
    future = _future(ctx.key, ctx.location, period, ctx)
    wait = float(os.environ.get("LAGESBILD_AUDIT_WAIT", "0") or 0)
    if wait > 0 and not future.done():
        with st.spinner(ctx.t("release_pending", period=period)):
            try:
                future.exception(timeout=wait)
            except TimeoutError:
                pass
    if not future.done():
        st.sidebar.caption(ctx.t("release_pending", period=period))
        return
    error = future.exception()
    if error is not None:
        _LOG.error("release audit of %s failed to run", period, exc_info=error)
        st.error(ctx.t("release_unchecked", period=period))
        st.stop()
    result = future.result()
    if not result.passed:
        st.error(ctx.t("release_refused", period=period, n=len(result.disclosed)))
        st.stop()
    st.sidebar.caption(ctx.t("release_passed", period=period))
