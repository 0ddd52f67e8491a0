"""The adversary: what someone who reads every published number can conclude about a hidden cell.

A release is every cell one audience can obtain (pages, CLI JSON, maps, reports). The reader
knows each shown number, what each label means ("<5" is 1–4; under a policy that hides small
and secondary cells under different labels, "dold" is 0 or at least 5), that counts are never
negative, and every linear relation between the true cells (K, M ≤ T; categories within a level;
a subset layer within its level; kommuner within their county; DeSO within RegSO within kommun;
years within a multi-year figure). For every hidden cell the audit solves the smallest and the
largest value those facts allow, with integer linear programming (`scipy.optimize.milp`, HiGHS).

A hidden cell is protected when its feasible range holds at least `protection` consecutive
values (by default the suppression threshold, 5): then it contains 0 or a value of at least 5,
and nobody can conclude "one to four people". Anything narrower is reported as disclosed.

Only hidden cells linked through relations are solved together (connected components), so a
release of many small tables costs many small programs. A linear relaxation whose optimum is
already integral answers without branching.

The programs' solutions are kept per process, keyed on their content (every bound, label gap,
true value and relation coefficient, not on names, paths or frames objects): the same release
audited again (four formats of one report, the survey windows' protection and then the release,
a workspace reloaded unchanged) is solved once, and any changed number is solved anew.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse
import scipy.sparse.csgraph
from scipy.optimize import Bounds, LinearConstraint, milp

from lagesbild.analysis.audit_lp import Relaxation

CELL_COLUMNS = ["cell", "table", "value", "shown", "low", "high", "zero_or_at_least"]
RESULT_COLUMNS = ["cell", "tables", "value", "low", "high", "width", "disclosed"]
SENSES = ("==", ">=")
_INTEGRAL = 1e-6
# content key -> (low, high) of `_solve`; the most recently used SOLVED_KEEP kept
_SOLVED: OrderedDict[bytes, tuple[np.ndarray, np.ndarray]] = OrderedDict()
SOLVED_KEEP = 256
_STATS = threading.local()  # per thread: the app audits in background threads beside a request


def solved_stats() -> dict[str, int]:
    """Programs this thread solved / answered from `_SOLVED` (`_solve_once`)."""
    if not hasattr(_STATS, "counts"):
        _STATS.counts = {"solved": 0, "reused": 0}
    return _STATS.counts


_SOLVED_LOCK = threading.Lock()  # the app audits in a background thread


@dataclass(frozen=True)
class Relation:
    """Σ coefficient × true cell (sense) 0, over cell ids; sense "==" or ">=".

    `total_of(t, members)` (t = Σ members) and `at_least(t, members)` (t ≥ Σ members, e.g. T ≥ K + M
    when some victims' sex is unknown, or a level total over a subset layer) build the usual ones.
    """

    terms: tuple[tuple[str, int], ...]
    sense: str = "=="

    def __post_init__(self) -> None:
        if self.sense not in SENSES:
            raise ValueError(f"sense must be one of {SENSES}")


def total_of(total: str, members: Iterable[str]) -> Relation:
    return Relation(((total, 1), *((m, -1) for m in members)), "==")


def at_least(total: str, members: Iterable[str]) -> Relation:
    return Relation(((total, 1), *((m, -1) for m in members)), ">=")


def shown_cell(cell: str, table: str, value: int) -> dict[str, object]:
    """A published exact count."""
    return {"cell": cell, "table": table, "value": int(value), "shown": True, "low": int(value),
            "high": int(value), "zero_or_at_least": pd.NA}


def hidden_cell(cell: str, table: str, value: int, *, low: int = 0, high: float = np.inf,
                zero_or_at_least: int | None = None) -> dict[str, object]:
    """A hidden count and what its label says: low ≤ x ≤ high, and, for a label that means
    "0 or at least g", x = 0 or x ≥ g (`zero_or_at_least` = g)."""
    return {"cell": cell, "table": table, "value": int(value), "shown": False, "low": low,
            "high": high, "zero_or_at_least": pd.NA if zero_or_at_least is None
            else int(zero_or_at_least)}


@dataclass(frozen=True)
class Audit:
    """Per hidden cell what the adversary finds; `passed` when no cell is disclosed.

    For a disclosed cell `low` and `high` are its exact minimum and maximum; for a protected one,
    two values it can take that are at least `protection` − 1 apart (its range may be wider)."""

    cells: pd.DataFrame  # RESULT_COLUMNS
    protection: int

    @property
    def disclosed(self) -> pd.DataFrame:
        return self.cells[self.cells["disclosed"]]

    @property
    def passed(self) -> bool:
        return not bool(self.cells["disclosed"].any())

    def by_table(self) -> pd.DataFrame:
        """Per table: hidden cells, disclosed cells and the narrowest range found."""
        rows = []
        exploded = self.cells.assign(table=self.cells["tables"].str.split(", ")).explode("table")
        for table, part in exploded.groupby("table", sort=True):
            narrow = part.sort_values(["width", "cell"], kind="stable").iloc[0]
            rows.append({"table": table, "hidden": len(part),
                         "disclosed": int(part["disclosed"].sum()),
                         "narrowest_cell": narrow["cell"],
                         "narrowest_low": narrow["low"], "narrowest_high": narrow["high"]})
        return pd.DataFrame(rows, columns=["table", "hidden", "disclosed", "narrowest_cell",
                                           "narrowest_low", "narrowest_high"])


def audit(cells: pd.DataFrame | Sequence[dict[str, object]], relations: Sequence[Relation], *,
          protection: int = 5, exact: bool = False) -> Audit:
    """Solve the smallest and largest value of every hidden cell (module docstring).

    `exact`: the full range of every hidden cell, not only of the disclosed ones (slower).
    `cells` has CELL_COLUMNS (see `shown_cell`, `hidden_cell`); a cell published in several
    tables is one unknown whose bounds are all its labels together (shown anywhere: exact).
    Raises ValueError when the published labels contradict the true values (a bug upstream).
    """
    frame = pd.DataFrame(list(cells) if not isinstance(cells, pd.DataFrame) else cells)
    frame = frame.reindex(columns=CELL_COLUMNS)
    merged = _merge(frame)
    hidden = merged[~merged["shown"]].reset_index(drop=True)
    index = {c: i for i, c in enumerate(hidden["cell"])}
    known = dict(zip(merged.loc[merged["shown"], "cell"], merged.loc[merged["shown"], "value"]))
    rows, rhs, senses = _reduce(relations, index, known)
    low, high = _solve_once(hidden, rows, rhs, senses, np.inf if exact else protection - 1)
    width = high - low
    out = pd.DataFrame({
        "cell": hidden["cell"], "tables": hidden["tables"], "value": hidden["value"],
        "low": low, "high": high, "width": width, "disclosed": width < protection - 1})
    return Audit(out[RESULT_COLUMNS], protection)


def _merge(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.assign(low=pd.to_numeric(frame["low"]).astype("float64"),
                         high=pd.to_numeric(frame["high"]).astype("float64").fillna(np.inf),
                         shown=frame["shown"].astype(bool),
                         gap=pd.to_numeric(frame["zero_or_at_least"]).astype("float64"))
    grouped = frame.groupby("cell", sort=False)
    merged = pd.DataFrame({
        "tables": grouped["table"].agg(lambda s: ", ".join(sorted(set(map(str, s))))),
        "value": grouped["value"].first().astype("int64"),
        "values": grouped["value"].nunique(),
        "shown": grouped["shown"].any(),
        "low": grouped["low"].max(), "high": grouped["high"].min(),
        "gap": grouped["gap"].max()}).reset_index()
    if (merged["values"] > 1).any():
        raise ValueError(f"cells with two true values: {merged.loc[merged['values'] > 1, 'cell'].tolist()[:5]}")
    wrong = (merged["value"] < merged["low"]) | (merged["value"] > merged["high"]) | (
        merged["gap"].notna() & (merged["value"] > 0) & (merged["value"] < merged["gap"]))
    if wrong.any():
        raise ValueError(f"labels contradict the true values: {merged.loc[wrong, 'cell'].tolist()[:5]}")
    return merged


def _reduce(relations: Sequence[Relation], index: dict[str, int], known: dict[str, int]
            ) -> tuple[list[dict[int, int]], list[float], list[str]]:
    """Each relation over the hidden cells only: Σ a_i x_i (sense) −Σ a_j v_j (shown j)."""
    rows, rhs, senses = [], [], []
    for rel in relations:
        row: dict[int, int] = {}
        constant = 0.0
        for cell, coef in rel.terms:
            if cell in index:
                row[index[cell]] = row.get(index[cell], 0) + int(coef)
            elif cell in known:
                constant += coef * known[cell]
            else:
                raise ValueError(f"relation names a cell that is not published: {cell!r}")
        row = {k: v for k, v in row.items() if v}
        if row:
            rows.append(row)
            rhs.append(-constant)
            senses.append(rel.sense)
        elif (rel.sense == "==" and constant != 0) or (rel.sense == ">=" and constant < 0):
            raise ValueError(f"shown cells break a relation: {rel.terms[:4]}")
    return rows, rhs, senses


def _solve_once(hidden: pd.DataFrame, rows: list[dict[int, int]], rhs: list[float],
                senses: list[str], need: float) -> tuple[np.ndarray, np.ndarray]:
    """`_solve`, or its earlier answer to the same numbers (module docstring)."""
    key = _content_key(hidden, rows, rhs, senses, need)
    with _SOLVED_LOCK:
        found = _SOLVED.get(key)
        if found is not None:
            _SOLVED.move_to_end(key)
            solved_stats()["reused"] += 1
    if found is None:
        found = _solve(hidden, rows, rhs, senses, need)
        with _SOLVED_LOCK:
            _SOLVED[key] = found
            solved_stats()["solved"] += 1
            while len(_SOLVED) > SOLVED_KEEP:
                _SOLVED.popitem(last=False)
    return found[0].copy(), found[1].copy()


def _content_key(hidden: pd.DataFrame, rows: list[dict[int, int]], rhs: list[float],
                 senses: list[str], need: float) -> bytes:
    """A digest of everything `_solve` reads: each hidden cell's bounds, gap and true value, each
    relation's coefficients, right-hand side and sense, and `need`."""
    digest = hashlib.blake2b(digest_size=32)
    digest.update(np.asarray([len(hidden), len(rows), need], dtype="float64").tobytes())
    for column in ("low", "high", "gap", "value"):
        digest.update(hidden[column].to_numpy(dtype="float64").tobytes())
    lengths = np.fromiter((len(r) for r in rows), dtype="int64", count=len(rows))
    digest.update(lengths.tobytes())
    digest.update(np.fromiter((x for r in rows for kv in r.items() for x in kv),
                              dtype="int64", count=2 * int(lengths.sum())).tobytes())
    digest.update(np.asarray(rhs, dtype="float64").tobytes())
    digest.update("".join("e" if s == "==" else "g" for s in senses).encode())
    return digest.digest()


def _solve(hidden: pd.DataFrame, rows: list[dict[int, int]], rhs: list[float],
           senses: list[str], need: float) -> tuple[np.ndarray, np.ndarray]:
    n = len(hidden)
    low, high = np.zeros(n), np.zeros(n)
    if not n:
        return low, high
    lb = np.maximum(hidden["low"].to_numpy(dtype="float64"), 0.0)
    ub = hidden["high"].to_numpy(dtype="float64")
    gap = hidden["gap"].to_numpy(dtype="float64")
    truth = hidden["value"].to_numpy(dtype="float64")
    a = _matrix(rows, n)
    for cols, ridx in _components(a, n):
        sub = a[ridx][:, cols].toarray() if len(ridx) else np.zeros((0, len(cols)))
        b = np.asarray(rhs, dtype="float64")[ridx] if len(ridx) else np.zeros(0)
        part = _Component(sub, b, [senses[i] for i in ridx], lb[cols], ub[cols], gap[cols],
                          truth[cols])
        low[cols], high[cols] = part.ranges(need)
    return low, high


def _matrix(rows: list[dict[int, int]], n: int) -> scipy.sparse.csr_array:
    r, c, v = [], [], []
    for i, row in enumerate(rows):
        for j, coef in row.items():
            r.append(i)
            c.append(j)
            v.append(coef)
    return scipy.sparse.csr_array((np.asarray(v, dtype="float64"), (r, c)), shape=(len(rows), n))


def _components(a: scipy.sparse.csr_array, n: int) -> list[tuple[np.ndarray, np.ndarray]]:
    m = a.shape[0]
    graph = scipy.sparse.block_array([[None, a], [a.T, None]], format="csr") if m else \
        scipy.sparse.csr_array((n, n))
    _, label = scipy.sparse.csgraph.connected_components(graph, directed=False)
    row_label, col_label = (label[:m], label[m:]) if m else (np.empty(0, dtype=int), label)
    return [(np.flatnonzero(col_label == comp), np.flatnonzero(row_label == comp))
            for comp in np.unique(col_label)]


class _Component:
    """The hidden cells linked by relations, and their constraints: a_eq x = b_eq, a_ub x <= b_ub,
    lb <= x <= ub, and x = 0 or x >= gap where a label says so."""

    def __init__(self, a: np.ndarray, b: np.ndarray, senses: list[str], lb: np.ndarray,
                 ub: np.ndarray, gap: np.ndarray, truth: np.ndarray) -> None:
        eq = np.array([s == "==" for s in senses], dtype=bool)
        self.a_eq, self.b_eq = (a[eq], b[eq]) if eq.any() else (None, None)
        # a x >= b  <=>  -a x <= -b
        self.a_ub, self.b_ub = (-a[~eq], -b[~eq]) if (~eq).any() else (None, None)
        self.lb, self.ub, self.gap, self.truth = lb, ub, gap, truth
        self.k = len(lb)
        self.gaps = np.flatnonzero(~np.isnan(gap))
        self._big: np.ndarray | None = None
        self._lp: Relaxation | None = None

    def ranges(self, need: float) -> tuple[np.ndarray, np.ndarray]:
        """Per cell two feasible values: its exact minimum and maximum when they are less than
        `need` apart (disclosed), else two feasible values at least `need` apart. Every integral
        solution found on the way is a witness for all cells, so most cells need no program."""
        low, high = self.truth.copy(), self.truth.copy()
        for j in np.argsort(self.truth, kind="stable"):  # small cells first
            for sign in (1.0, -1.0):
                if high[j] - low[j] >= need:
                    break
                value, x = self._optimum(int(j), sign)
                if x is not None:
                    low, high = np.minimum(low, x), np.maximum(high, x)
                if sign > 0:
                    low[j] = value
                else:
                    high[j] = value
        return low, high

    def _optimum(self, j: int, sign: float) -> tuple[float, np.ndarray | None]:
        """min (sign 1) or max (sign −1) of x_j over the integers, with an integral solution
        reaching it (None when unbounded)."""
        c = np.zeros(self.k)
        c[j] = sign
        if not len(self.gaps):
            found = self._relaxation().optimum(j, sign)
            if found is None:
                return -sign * np.inf, None
            if np.all(np.abs(found - np.round(found)) < _INTEGRAL):
                x = np.round(found)  # an integral optimum of the relaxation is optimal
                return float(x[j]), x
        return self._milp(c, j, sign)

    def _relaxation(self) -> Relaxation:
        """The linear relaxation, built on first use and re-solved per question (audit_lp)."""
        if self._lp is None:
            self._lp = Relaxation(self.a_eq, self.b_eq, self.a_ub, self.b_ub, self.lb, self.ub)
        return self._lp

    def _milp(self, c: np.ndarray, j: int, sign: float) -> tuple[float, np.ndarray | None]:
        k, g = self.k, len(self.gaps)
        n = k + g  # one binary per disjunction: y = 1 allows x >= gap, y = 0 forces x = 0
        blocks, lo_c, hi_c = [], [], []
        if self.a_eq is not None:
            blocks.append(np.hstack([self.a_eq, np.zeros((len(self.a_eq), g))]))
            lo_c.append(self.b_eq)
            hi_c.append(self.b_eq)
        if self.a_ub is not None:
            blocks.append(np.hstack([self.a_ub, np.zeros((len(self.a_ub), g))]))
            lo_c.append(np.full(len(self.a_ub), -np.inf))
            hi_c.append(self.b_ub)
        big = self._bounds_for_gaps()
        for t, var in enumerate(self.gaps):
            upper = np.zeros(n)  # x - big*y <= 0
            upper[var], upper[k + t] = 1.0, -big[t]
            lower = np.zeros(n)  # x - gap*y >= 0
            lower[var], lower[k + t] = 1.0, -self.gap[var]
            blocks.append(np.vstack([upper, lower]))
            lo_c.append(np.array([-np.inf, 0.0]))
            hi_c.append(np.array([0.0, np.inf]))
        cost = np.concatenate([c, np.zeros(g)])
        constraints = [LinearConstraint(np.vstack(blocks), np.concatenate(lo_c),
                                        np.concatenate(hi_c))] if blocks else []
        bounds = Bounds(np.concatenate([self.lb, np.zeros(g)]),
                        np.concatenate([self.ub, np.ones(g)]))
        res = milp(cost, integrality=np.ones(n), bounds=bounds, constraints=constraints,
                   options={"mip_rel_gap": 0.0})
        if res.status == 3 or (res.status != 0 and "unbounded" in str(res.message).lower()):
            return -sign * np.inf, None
        if res.status != 0 or res.x is None:
            raise RuntimeError(f"audit: the integer program failed ({res.message})")
        x = np.round(res.x[:k])
        return float(x[j]), x

    def _bounds_for_gaps(self) -> np.ndarray:
        """A finite upper bound of each cell with a gap label (the relaxation's maximum), for the
        disjunction's constraint x <= bound * y; a cell without one gets a bound far above
        every value of the component."""
        if self._big is None:
            fallback = max(1e6, 10.0 * float(self.truth.sum()) + 1e3)
            big = []
            for var in self.gaps:
                x = self._relaxation().optimum(int(var), -1.0)
                big.append(float(x[var]) if x is not None else fallback)
            self._big = np.maximum(np.asarray(big, dtype="float64"), self.gap[self.gaps])
        return self._big
