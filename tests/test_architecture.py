"""The folder layout is the data flow: import-linter's contracts (pyproject.toml) hold, and they
catch an import against the flow, made at module level or inside a function."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")
STAGES = ("core", "sources", "store", "analysis", "render", "report", "ui", "cli")

# Each line breaks one rule of the data flow; every one of them must be reported.
CROSSINGS = {
    "core/schema.py": "from lagesbild.analysis import classify",
    "sources/tables.py": "from lagesbild.store import workspace",
    "store/notes.py": "from lagesbild.report import model",
    "analysis/stats.py": "from lagesbild.store import frames",
    "analysis/small_area_views.py": "from lagesbild.render import web_payload",
    "render/escape.py": "from lagesbild.report import html",
    "report/model.py": "from lagesbild.sources import tables",
    "ui/views.py": "from lagesbild.cli import options",
    "cli/options.py": "from lagesbild.ui import common",
}
LAZY_STREAMLIT = "\n\ndef _lazy():\n    import streamlit_folium  # noqa: F401\n"


def _lint(cwd: Path, package_parent: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(package_parent)}
    return subprocess.run([str(LINT), "--no-cache", "--config", str(ROOT / "pyproject.toml")],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_the_package_keeps_to_the_data_flow() -> None:
    result = _lint(ROOT, ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


def test_the_contracts_catch_every_kind_of_crossing(tmp_path: Path) -> None:
    copy = tmp_path / "lagesbild"
    shutil.copytree(ROOT / "lagesbild", copy, ignore=shutil.ignore_patterns("__pycache__"))
    for module, line in CROSSINGS.items():
        path = copy / module
        path.write_text(path.read_text(encoding="utf-8") + f"\n{line}  # noqa\n",
                        encoding="utf-8")
    escape = copy / "render" / "escape.py"
    escape.write_text(escape.read_text(encoding="utf-8") + LAZY_STREAMLIT, encoding="utf-8")
    result = _lint(tmp_path, tmp_path)
    assert result.returncode == 1, result.stdout
    report = " ".join(result.stdout.split())  # import-linter wraps long lines
    for module, line in CROSSINGS.items():
        importer = "lagesbild." + module.removesuffix(".py").replace("/", ".")
        imported = line.split()[1] + "." + line.split()[3]
        assert f"{importer} -> {imported}" in report, (importer, imported, result.stdout)
    assert "lagesbild.render.escape -> streamlit_folium" in report


def test_every_stage_says_what_it_owns_and_what_it_must_not_import() -> None:
    for stage in STAGES:
        doc = ast.get_docstring(ast.parse((ROOT / "lagesbild" / stage / "__init__.py").read_text(
            encoding="utf-8")))
        assert doc and ("Imports" in doc or "imports" in doc), stage


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "lagesbild").iterdir()))
def test_the_package_root_holds_only_the_stages(name: str) -> None:
    assert name in {*STAGES, "__init__.py", "__pycache__"}, name
