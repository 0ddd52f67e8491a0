"""The audit's kept HiGHS model (`analysis.audit_lp.Relaxation`) gives the optimal values
`scipy.optimize.linprog` gives, question after question on one model (warm starts), and says
unbounded where linprog does; an infeasible program is an error, never "protected"."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linprog

from lagesbild.analysis.audit_lp import Relaxation


def _random_program(rng: np.random.Generator, k: int):  # noqa: ANN202
    """Relations of the audit's kind (totals of members, at-least rows) over `k` hidden cells,
    with right-hand sides from true values, so the truth is feasible."""
    truth = rng.integers(0, 30, size=k).astype(float)
    eq, ub = [], []
    for _ in range(max(1, k // 3)):
        members = rng.choice(k, size=rng.integers(2, min(k, 5) + 1), replace=False)
        row = np.zeros(k)
        row[members[0]] = 1.0
        row[members[1:]] = -1.0
        (eq if rng.random() < 0.6 else ub).append(row)
    a_eq = np.array(eq) if eq else None
    b_eq = a_eq @ truth if eq else None
    a_ub = -np.array(ub) if ub else None  # a x >= a truth - slack  <=>  -a x <= ...
    b_ub = a_ub @ truth + rng.integers(0, 3, size=len(ub)) if ub else None
    lb = np.zeros(k)
    ub_bounds = np.where(rng.random(k) < 0.5, truth + rng.integers(0, 10, size=k), np.inf)
    return a_eq, b_eq, a_ub, b_ub, lb, ub_bounds


@pytest.mark.parametrize("seed", range(12))
def test_the_kept_model_answers_as_linprog(seed: int) -> None:
    rng = np.random.default_rng(seed)
    k = int(rng.integers(3, 25))
    a_eq, b_eq, a_ub, b_ub, lb, ub = _random_program(rng, k)
    model = Relaxation(a_eq, b_eq, a_ub, b_ub, lb, ub)
    questions = [(int(j), s) for j in rng.permutation(k) for s in (1.0, -1.0)]
    questions += questions[:5]  # the same question again, after others: the same answer
    for j, sign in questions:
        c = np.zeros(k)
        c[j] = sign
        ref = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq,
                      bounds=list(zip(lb, ub)), method="highs")
        x = model.optimum(j, sign)
        if ref.status == 3:
            assert x is None, (seed, j, sign)
            continue
        assert ref.status == 0 and x is not None
        assert x[j] == pytest.approx(ref.x[j], abs=1e-7)
        # the vertex is feasible: a witness the audit may use for every cell
        assert np.all(x >= lb - 1e-7) and np.all(x <= ub + 1e-7)
        if a_eq is not None:
            assert np.allclose(a_eq @ x, b_eq, atol=1e-6)
        if a_ub is not None:
            assert np.all(a_ub @ x <= b_ub + 1e-6)


def test_an_unbounded_cell_is_none_and_an_infeasible_program_raises() -> None:
    # x0 = x1 + x2, no upper bounds: x0's maximum is unbounded, its minimum 0
    model = Relaxation(np.array([[1.0, -1.0, -1.0]]), np.array([0.0]), None, None,
                       np.zeros(3), np.full(3, np.inf))
    assert model.optimum(0, -1.0) is None
    assert model.optimum(0, 1.0)[0] == pytest.approx(0.0)
    # x0 = x1 + 5 with x0 <= 2 and x1 >= 0: no solution
    broken = Relaxation(np.array([[1.0, -1.0]]), np.array([5.0]), None, None,
                        np.zeros(2), np.array([2.0, np.inf]))
    with pytest.raises(RuntimeError, match="relaxation failed"):
        broken.optimum(0, 1.0)



def test_the_audit_benchmark_asks_each_program_both_ways() -> None:
    """The benchmark's plumbing (its figures come from the demo release in `lagesbild bench
    --only audit`): every question asked of linprog and of the kept model, values compared."""
    from benchmarks import audit_bench

    rng = np.random.default_rng(7)
    programs = [_random_program(rng, int(rng.integers(4, 12))) for _ in range(5)]
    res = audit_bench.run(components=programs, per_component=3)
    assert res["components"] == 5 and res["questions"] == 5 * 3 * 2
    assert res["differ"] == 0
    text = audit_bench.format_table(res)
    assert "optimal values that differ: 0" in text and "questions 30" in text


def test_highs_prints_nothing_on_standard_output() -> None:
    """HiGHS's banner (printed by the first model of a process) would land in the middle of
    `lagesbild audit --json`: a new process's standard output holds only what it printed."""
    import subprocess
    import sys

    code = ("import numpy as np\nfrom lagesbild.analysis.audit_lp import Relaxation\n"
            "print('before', flush=True)\n"
            "m = Relaxation(np.array([[1.0, -1.0]]), np.array([0.0]), None, None, np.zeros(2),"
            " np.full(2, 9.0))\n"
            "print(m.optimum(0, -1.0)[0])\n"
            "Relaxation(None, None, None, None, np.zeros(1), np.ones(1)).optimum(0, 1.0)\n"
            "print('after')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    assert out == "before\n9.0\nafter\n", out
