"""The audit's linear programs: one kept HiGHS model per component (`analysis.audit_lp`)
against a new `scipy.optimize.linprog` program per question (the naive path), on the programs
of the demo release's audit.

The components are collected while `lagesbild audit` runs on the demo workspace; then each
component's first questions (min and max of each cell, up to `per_component` cells) are asked
both ways and the optimal values compared.
"""

from __future__ import annotations

import tempfile
import time
from collections import OrderedDict
from pathlib import Path

import numpy as np


def _components(workspace: str) -> list[tuple]:
    """(a_eq, b_eq, a_ub, b_ub, lb, ub) of every component the demo release's audit solves."""
    from lagesbild.analysis import audit
    from lagesbild.core.layers import load_layers
    from lagesbild.core.settings import get_settings
    from lagesbild.core.taxonomy import load_taxonomy
    from lagesbild.analysis.release import release_audit
    from lagesbild.store.frames import load_frames
    from lagesbild.store.gpkg import GpkgWorkspace

    found: list[tuple] = []
    original = audit._Component.ranges

    def ranges(self, need):  # noqa: ANN001, ANN202
        found.append((self.a_eq, self.b_eq, self.a_ub, self.b_ub, self.lb, self.ub))
        return original(self, need)

    settings = get_settings()
    frames = load_frames(GpkgWorkspace(workspace))
    specs = load_layers(settings.layers_dir)
    taxonomy = load_taxonomy(settings.layers_dir / "pyramid.toml")
    kept, audit._SOLVED = audit._SOLVED, OrderedDict()  # every program solved, none recalled
    audit._Component.ranges = ranges
    try:
        release_audit(frames, taxonomy=taxonomy, settings=settings, periods=["2024"], specs=specs)
    finally:
        audit._Component.ranges = original
        audit._SOLVED = kept
    return found


def run(*, workspace: str | None = None, per_component: int = 60,
        components: list[tuple] | None = None) -> dict:
    """Both ways on `components` (a_eq, b_eq, a_ub, b_ub, lb, ub), by default those of the
    demo release's audit (of `workspace`, else a demo built in a temporary folder)."""
    from scipy.optimize import linprog

    from lagesbild.analysis.audit_lp import Relaxation

    if components is None:
        with tempfile.TemporaryDirectory(prefix="lagesbild-audit-bench-") as tmp:
            if workspace is None:
                from lagesbild.store import demo

                workspace = str(Path(tmp) / "demo.gpkg")
                demo.build_workspace(workspace)
            components = _components(workspace)
    naive = kept = 0.0
    questions = differ = 0
    for a_eq, b_eq, a_ub, b_ub, lb, ub in components:
        asked = [(j, s) for j in range(min(len(lb), per_component)) for s in (1.0, -1.0)]
        start = time.perf_counter()
        ref = []
        for j, sign in asked:
            c = np.zeros(len(lb))
            c[j] = sign
            res = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq,
                          bounds=list(zip(lb, ub)), method="highs")
            ref.append(None if res.status == 3 else float(res.x[j]))
        naive += time.perf_counter() - start
        start = time.perf_counter()
        model = Relaxation(a_eq, b_eq, a_ub, b_ub, lb, ub)
        got = [None if (x := model.optimum(j, sign)) is None else float(x[j])
               for j, sign in asked]
        kept += time.perf_counter() - start
        questions += len(asked)
        differ += sum((r is None) != (g is None) or (r is not None and abs(r - g) > 1e-6)
                      for r, g in zip(ref, got))
    return {"components": len(components), "questions": questions, "naive_s": naive,
            "kept_s": kept, "differ": differ}


def format_table(res: dict) -> str:
    ratio = res["naive_s"] / res["kept_s"] if res["kept_s"] else float("nan")
    return "\n".join([
        "audit: the release's linear programs (demo, 2024)",
        f"  components {res['components']}, questions {res['questions']}",
        f"  linprog per question (naive) {res['naive_s']:.2f} s",
        f"  kept HiGHS model, warm start {res['kept_s']:.2f} s   {ratio:.1f}x",
        f"  optimal values that differ: {res['differ']}"])
