"""Workspace safety: one writer at a time across processes, permissions respected and kept."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from lagesbild.core.dataset import Dataset
from lagesbild.core.errors import WorkspaceError
from lagesbild.store import gpkg_safety
from lagesbild.store.gpkg import GpkgWorkspace


@pytest.fixture
def workspace(gpkg_workspace):  # noqa: ANN001, ANN201 - this module is about the GeoPackage file
    return gpkg_workspace


ROOT = Path(__file__).resolve().parents[1]
ACTIONS_HEADER = "Åtgärds-ID;Fokusområde;Insats;Ansvarig;Period;Status;Kommunkoder;Indikatorer"


def _actions_csv(path: Path, prefix: str, n: int = 3) -> Path:
    lines = [ACTIONS_HEADER] + [
        f"{prefix}{i};Våldsförebyggande arbete;Insats {prefix}{i};Skolan;2024–2026;pågår;;"
        for i in range(1, n + 1)]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8-sig"))
    return path


def _cli(*args: str, cwd: Path, timeout_s: float | None = None,
         user: str | None = None) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if timeout_s is not None:
        env["LAGESBILD_LOCK_TIMEOUT"] = str(timeout_s)
    cmd = [sys.executable, "-m", "lagesbild.cli", *args]
    return subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _actions_frame(prefix: str) -> pd.DataFrame:
    return pd.DataFrame({"action_id": [f"{prefix}1"], "focus_area": ["vald"], "title": ["t"],
                         "responsible": ["r"], "period": ["2024"], "status": ["pågår"],
                         "area_ids": [""], "indicator_ids": [""], "source": [""]})


def _hold_transaction(path: str, holding, release) -> None:  # noqa: ANN001 - spawn target
    """Child process: start a transaction, write one dataset, wait, then commit."""
    ws = GpkgWorkspace(path)
    with ws.transaction() as writer:
        writer.replace_dataset(Dataset("först", "actions", "actions", "a.csv"),
                               _actions_frame("F"))
        holding.set()
        release.wait(60)


# --- two imports at once ------------------------------------------------------------------------

def test_concurrent_cli_imports_all_land(tmp_path: Path) -> None:
    """Four processes import four files into one workspace at the same moment: all four stay."""
    ws = tmp_path / "ws.gpkg"
    files = [_actions_csv(tmp_path / f"insatser_{c}.csv", c) for c in "ABCD"]
    procs = [_cli("import", "actions", str(f), "-w", str(ws), cwd=tmp_path) for f in files]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
        assert "Traceback" not in err
    names = sorted(GpkgWorkspace(ws).datasets()["dataset"])
    assert names == [f.name for f in files]
    actions = GpkgWorkspace(ws).read("actions")
    assert len(actions) == 12 and sorted(set(actions["source"])) == names


def test_a_second_import_waits_for_the_first_then_both_are_there(tmp_path: Path) -> None:
    ws = tmp_path / "ws.gpkg"
    ctx = multiprocessing.get_context("spawn")
    holding, release = ctx.Event(), ctx.Event()
    first = ctx.Process(target=_hold_transaction, args=(str(ws), holding, release))
    first.start()
    try:
        assert holding.wait(60)
        # the first import holds the workspace: a short wait gives up with the message
        refused = _cli("import", "actions", str(_actions_csv(tmp_path / "b.csv", "B")),
                       "-w", str(ws), cwd=tmp_path, timeout_s=0.5)
        out, err = refused.communicate(timeout=120)
        assert refused.returncode == 1 and "Traceback" not in err
        assert "används av en annan import" in err and "försök igen" in err
        # a patient one waits until the first has renamed its file in, then adds its own
        waiting = _cli("import", "actions", str(tmp_path / "b.csv"), "-w", str(ws),
                       cwd=tmp_path, timeout_s=120)
        time.sleep(3)  # long enough for it to reach the lock
        assert waiting.poll() is None
        release.set()
        first.join(60)
        out, err = waiting.communicate(timeout=120)
        assert waiting.returncode == 0, err
    finally:
        release.set()
        first.join(60)
    assert first.exitcode == 0
    assert sorted(GpkgWorkspace(ws).datasets()["dataset"]) == ["b.csv", "först"]


def test_readers_never_see_a_half_written_file(tmp_path: Path) -> None:
    """While another process imports one dataset after another, every read is a whole state."""
    ws = tmp_path / "ws.gpkg"
    files = [_actions_csv(tmp_path / f"s{i}.csv", f"S{i}") for i in range(4)]
    script = "; ".join(
        [f"from lagesbild.store import importer; from lagesbild.store.gpkg import GpkgWorkspace; "
         f"ws = GpkgWorkspace({str(ws)!r})"]
        + [f"importer.import_file(ws, 'actions', __import__('pathlib').Path({str(f)!r}))"
           for f in files])
    writer = subprocess.Popen([sys.executable, "-c", script], cwd=tmp_path,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    seen: list[int] = []
    try:
        while writer.poll() is None:
            if ws.exists():
                reader = GpkgWorkspace(ws)
                sets, rows = reader.datasets(), reader.read("actions")
                # a whole state: the rows are exactly those of the datasets listed (3 each)
                assert len(rows) >= 3 * len(sets) - 3
                seen.append(len(sets))
    finally:
        writer.wait(300)
    assert writer.returncode == 0
    assert seen == sorted(seen)  # never a state older than one already seen
    assert len(GpkgWorkspace(ws).read("actions")) == 12


# --- permissions --------------------------------------------------------------------------------

def test_new_file_keeps_mode_and_a_new_workspace_gets_the_umask_mode(workspace) -> None:  # noqa: ANN001
    old = os.umask(0o027)
    try:
        with workspace.transaction() as w:
            w.replace_dataset(Dataset("a", "actions", "actions", "a.csv"), _actions_frame("A"))
    finally:
        os.umask(old)
    assert stat.S_IMODE(workspace.path.stat().st_mode) == 0o640  # not mkstemp's 0600
    os.chmod(workspace.path, 0o664)
    with workspace.transaction() as w:
        w.replace_dataset(Dataset("b", "actions", "actions", "b.csv"), _actions_frame("B"))
    assert stat.S_IMODE(workspace.path.stat().st_mode) == 0o664


def test_a_read_only_file_is_refused_before_any_work_and_left_as_it_was(workspace) -> None:  # noqa: ANN001
    with workspace.transaction() as w:
        w.replace_dataset(Dataset("a", "actions", "actions", "a.csv"), _actions_frame("A"))
    os.chmod(workspace.path, 0o444)
    before = (workspace.path.stat().st_ino, workspace.path.read_bytes())
    with pytest.raises(WorkspaceError, match="skrivskyddad"):
        with workspace.transaction():
            raise AssertionError("the transaction must not start")
    assert (workspace.path.stat().st_ino, workspace.path.read_bytes()) == before
    assert stat.S_IMODE(workspace.path.stat().st_mode) == 0o444


def test_a_read_only_folder_is_refused_even_for_a_new_workspace(tmp_path: Path) -> None:
    folder = tmp_path / "låst"
    folder.mkdir()
    os.chmod(folder, 0o555)
    try:
        with pytest.raises(WorkspaceError, match="Mappen .* är skrivskyddad"):
            GpkgWorkspace(folder / "sub" / "ws.gpkg").check_writable()
    finally:
        os.chmod(folder, 0o755)


def test_may_write_reads_the_mode_bits_and_os_access(tmp_path: Path) -> None:
    f = tmp_path / "f"
    f.write_text("x")
    for mode, ok in ((0o644, True), (0o444, False), (0o400, False), (0o464, True)):
        os.chmod(f, mode)
        assert gpkg_safety.may_write(f) is ok or (os.geteuid() != 0 and mode == 0o464)


def _nobody() -> list[str] | None:
    setpriv = shutil.which("setpriv")
    if os.name != "posix" or os.geteuid() != 0 or setpriv is None:
        return None
    return [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]


@pytest.fixture
def reachable() -> Iterator[Path]:
    """A temp folder an unprivileged user can reach (pytest's own tmp folders are root's 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="lagesbild-"))
    os.chmod(folder, 0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_read_only_refused_for_an_ordinary_user(reachable: Path) -> None:
    """As an unprivileged user (os.access honours the mode bits there): a file owned by root
    with mode 0644 may not be written by nobody; the CLI says so in one line, exit 1."""
    drop = _nobody()
    if drop is None:
        pytest.skip("needs root and setpriv to run a check as an unprivileged user")
    shared = reachable / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)  # the folder is writable, the file is not (root's, 0644)
    ws = GpkgWorkspace(shared / "ws.gpkg")
    with ws.transaction() as w:
        w.replace_dataset(Dataset("a", "actions", "actions", "a.csv"), _actions_frame("A"))
    os.chmod(ws.path, 0o644)
    data = _actions_csv(shared / "b.csv", "B")
    os.chmod(data, 0o644)
    before = ws.path.read_bytes()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HOME": str(shared)}
    done = subprocess.run([*drop, sys.executable, "-m", "lagesbild.cli", "import", "actions",
                           str(data), "-w", str(ws.path)], cwd=shared, env=env,
                          capture_output=True, text=True, timeout=300)
    if "Permission denied" in done.stderr and "lagesbild" not in done.stderr:
        pytest.skip(f"the unprivileged user cannot run the venv here: {done.stderr[:200]}")
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "är skrivskyddad" in done.stderr and str(ws.path) in done.stderr
    assert ws.path.read_bytes() == before
