"""The audit's linear relaxation, built once per component and re-solved per objective.

`audit._Component.ranges` asks for the minimum and the maximum of many cells over the same
constraints. `scipy.optimize.linprog` builds and presolves a new HiGHS model for every one
(about 2 ms of overhead each on the demo's components). Here one `highspy.Highs` model holds
the constraints; each question changes two objective coefficients and re-solves from the last
basis (warm start). On the demo release's components this is about 3× faster for the same
optimal values (`benchmarks/audit_bench.py`, and `tests/test_audit_lp.py` compares it with
`linprog` on random programs).
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading

import highspy
import numpy as np

_STATUS = highspy.HighsModelStatus
_INF = highspy.kHighsInf
_QUIET = threading.Lock()
_greeted = False


def _new_model() -> highspy.Highs:
    """A HiGHS model. The first one of a process prints HiGHS's banner on the C library's
    standard output, before any option can silence it: that would go into the middle of a
    command's JSON (`lagesbild audit --json`). So the first is made with standard output sent
    to /dev/null (once per process, under a lock)."""
    global _greeted
    if _greeted:
        return highspy.Highs()
    with _QUIET:
        if _greeted:
            return highspy.Highs()
        sys.stdout.flush()
        saved, sink = os.dup(1), os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(sink, 1)
            model = highspy.Highs()
            ctypes.CDLL(None).fflush(None)  # what the C library still holds goes to /dev/null
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(sink)
        _greeted = True
        return model


class Relaxation:
    """min sign·x_j subject to a_eq x = b_eq, a_ub x <= b_ub, lb <= x <= ub (dense arrays)."""

    def __init__(self, a_eq: np.ndarray | None, b_eq: np.ndarray | None,
                 a_ub: np.ndarray | None, b_ub: np.ndarray | None,
                 lb: np.ndarray, ub: np.ndarray) -> None:
        self.k = len(lb)
        h = _new_model()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 1)
        upper = np.where(np.isinf(ub), _INF, ub).astype("float64")
        h.addVars(self.k, np.asarray(lb, dtype="float64"), upper)
        for a, lo, hi in ((a_eq, b_eq, b_eq), (a_ub, None, b_ub)):
            if a is None or not len(a):
                continue
            a = np.asarray(a, dtype="float64")
            nz = a != 0
            starts = np.concatenate([[0], np.cumsum(nz.sum(axis=1))[:-1]]).astype(np.int32)
            index = np.nonzero(nz)[1].astype(np.int32)
            lower = np.full(len(a), -_INF) if lo is None else np.asarray(lo, dtype="float64")
            h.addRows(len(a), lower, np.asarray(hi, dtype="float64"), int(nz.sum()), starts,
                      index, a[nz])
        self._h = h
        self._last: int | None = None

    def optimum(self, j: int, sign: float) -> np.ndarray | None:
        """An optimal vertex of min sign·x_j, or None when x_j is unbounded in that direction.
        Raises RuntimeError when HiGHS finds no answer (the true values are always feasible,
        so an infeasible program is a bug upstream, never a reason to call a cell protected)."""
        h = self._h
        if self._last is not None and self._last != j:
            h.changeColCost(self._last, 0.0)
        h.changeColCost(j, float(sign))
        self._last = j
        h.run()
        status = h.getModelStatus()
        if status not in (_STATUS.kOptimal, _STATUS.kUnbounded):
            # the warm start can leave HiGHS without an answer (kUnknown after a few
            # iterations, on a 6-cell table the property test found): solve from scratch
            h.clearSolver()
            h.run()
            status = h.getModelStatus()
        if status == _STATUS.kUnboundedOrInfeasible:
            # presolve could not tell the two apart: ask the simplex without it
            h.setOptionValue("presolve", "off")
            h.run()
            h.setOptionValue("presolve", "choose")
            status = h.getModelStatus()
        if status == _STATUS.kOptimal:
            return np.asarray(h.getSolution().col_value, dtype="float64")
        if status == _STATUS.kUnbounded:
            return None
        raise RuntimeError(f"audit: the relaxation failed ({h.modelStatusToString(status)})")
