"""No traceback from any command: a refused file, a full disk, a damaged workspace each give one
Swedish line and exit 1; the rejected rows are never lost silently; real bugs still surface."""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from lagesbild.cli.main import main
from lagesbild.store import importer
from lagesbild.store.gpkg import GpkgWorkspace

ROOT = Path(__file__).resolve().parents[1]
ACTIONS = ("Åtgärds-ID;Fokusområde;Insats;Ansvarig;Period;Status;Kommunkoder;Indikatorer\r\n"
           "A1;Våldsförebyggande arbete;MVP;Skolan;2024;pågår;;\r\n"
           "A2;Okänt område;MVP;Skolan;2024;kanske;;\r\n")  # the status is no status: rejected


def _one_line_error(output: str) -> str:
    lines = [ln for ln in output.splitlines() if ln.startswith("Fel:")]
    assert len(lines) == 1 and "Traceback" not in output, output
    return lines[0]


@pytest.fixture
def small_ws(tmp_path: Path) -> Path:
    data = tmp_path / "insatser.csv"
    data.write_bytes(ACTIONS.encode("utf-8-sig"))
    ws = GpkgWorkspace(tmp_path / "w.gpkg")
    importer.import_file(ws, "actions", data)
    return ws.path


@pytest.mark.parametrize("damage", ["random", "truncated"])
@pytest.mark.parametrize("command", [["layers"], ["export", "--out", "ut"],
                                     ["snapshot", "create", "--title", "möte"],
                                     ["import", "actions", "insatser.csv"]])
def test_a_damaged_workspace_is_one_line(small_ws: Path, tmp_path: Path, damage: str,
                                         command: list[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    bad = tmp_path / "skadad.gpkg"
    bad.write_bytes(os.urandom(5000) if damage == "random" else small_ws.read_bytes()[:20000])
    result = CliRunner().invoke(main, [*command, "-w", str(bad)])
    assert result.exit_code == 1
    line = _one_line_error(result.output)
    assert "skadad.gpkg" in line and ("ingen GeoPackage" in line or "är skadad" in line)
    assert not (tmp_path / "snapshots").exists() or not any((tmp_path / "snapshots").iterdir())


def test_a_missing_workspace_is_one_line(tmp_path: Path) -> None:
    for command in (["layers"], ["export", "--out", str(tmp_path / "ut")],
                    ["snapshot", "create", "--title", "x"]):
        result = CliRunner().invoke(main, [*command, "-w", str(tmp_path / "saknas.gpkg")])
        assert result.exit_code == 1
        assert "saknas.gpkg finns inte" in _one_line_error(result.output)


def test_a_full_disk_names_the_path_and_a_bug_still_surfaces(
        small_ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from lagesbild.store import export

    def full(*_a: object, **_k: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "ut" / "a.csv"))

    monkeypatch.setattr(export, "export_all", full)
    result = CliRunner().invoke(main, ["export", "-w", str(small_ws), "--out", "ut"])
    assert result.exit_code == 1
    assert _one_line_error(result.output) == (
        f"Fel: {tmp_path / 'ut' / 'a.csv'}: disken är full. Frigör utrymme och försök igen.")

    def bug(*_a: object, **_k: object) -> None:
        raise KeyError("en bugg")

    monkeypatch.setattr(export, "export_all", bug)
    result = CliRunner().invoke(main, ["export", "-w", str(small_ws), "--out", "ut"])
    assert isinstance(result.exception, KeyError)  # not swallowed into a message

    def bad_sql(*_a: object, **_k: object) -> None:
        raise sqlite3.OperationalError('no such column: "sourse"')

    monkeypatch.setattr(export, "export_all", bad_sql)
    result = CliRunner().invoke(main, ["export", "-w", str(small_ws), "--out", "ut"])
    assert isinstance(result.exception, sqlite3.OperationalError)


def test_a_read_only_folder_is_refused_for_import_and_restore(small_ws: Path,
                                                              tmp_path: Path) -> None:
    folder = tmp_path / "låst"
    folder.mkdir()
    os.chmod(folder, 0o555)
    try:
        for command in (["import", "actions", str(tmp_path / "insatser.csv")],
                        ["restore", str(tmp_path)], ["demo"]):
            result = CliRunner().invoke(main, [*command, "-w", str(folder / "w.gpkg")])
            assert result.exit_code == 1, result.output
            assert "Mappen" in _one_line_error(result.output)
            assert "är skrivskyddad" in result.output
        assert not any(folder.iterdir())
    finally:
        os.chmod(folder, 0o755)


# --- as an ordinary user: the system refuses the write ----------------------------------------

@pytest.fixture
def reachable() -> Iterator[Path]:
    """A temp folder an unprivileged user can reach (pytest's own tmp folders are root's 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="lagesbild-"))
    os.chmod(folder, 0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _as_nobody(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    setpriv = shutil.which("setpriv")
    if os.name != "posix" or os.geteuid() != 0 or setpriv is None:
        pytest.skip("needs root and setpriv to run the command as an unprivileged user")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HOME": str(cwd)}
    return subprocess.run([setpriv, "--reuid=65534", "--regid=65534", "--clear-groups",
                           sys.executable, "-m", "lagesbild.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_as_an_ordinary_user_every_refused_write_is_one_line(reachable: Path) -> None:
    mine = reachable / "min"
    mine.mkdir()
    os.chmod(mine, 0o777)
    locked = reachable / "låst"  # root's folder: nobody may not write here
    locked.mkdir()
    data = mine / "insatser.csv"
    data.write_bytes(ACTIONS.encode("utf-8-sig"))
    os.chmod(data, 0o644)
    ws = mine / "w.gpkg"

    # the current folder is not writable: the rejected rows go to the temp folder, said so
    done = _as_nobody(["import", "actions", str(data), "-w", str(ws)], cwd=locked)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "kunde inte sparas i insatser.csv.avvisade.csv" in done.stderr
    fallback = Path(done.stderr.split("de sparades i ")[1].split(" i stället")[0])
    try:
        assert "kanske" in fallback.read_text(encoding="utf-8-sig")
    finally:
        fallback.unlink()
    assert len(GpkgWorkspace(ws).read("actions")) == 1

    # an explicit --rejected-out that cannot be written stops the import before it stores
    done = _as_nobody(["import", "actions", str(data), "-w", str(mine / "w2.gpkg"),
                       "--rejected-out", str(locked / "avvisade.csv")], cwd=mine)
    assert done.returncode == 1
    assert "behörighet saknas" in _one_line_error(done.stderr)
    assert not (mine / "w2.gpkg").exists()

    for command in (["export", "-w", str(ws), "--out", str(locked / "ut")],
                    ["snapshot", "create", "-w", str(ws), "--root", str(locked / "snap"),
                     "--title", "möte"]):
        done = _as_nobody(command, cwd=mine)
        assert done.returncode == 1, done.stderr
        line = _one_line_error(done.stderr)
        assert str(locked) in line and "behörighet saknas" in line


def test_a_reader_that_stops_reading_is_no_error(small_ws: Path) -> None:
    """`lagesbild layers | head -1`: the pipe closes before the output is written; the command
    ends quietly with the shell's code for it (141), no 'Fel' and no traceback."""
    cli = Path(sys.executable).with_name("lagesbild")
    proc = subprocess.Popen([str(cli), "layers", "-w", str(small_ws), "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    proc.stdout.close()  # closed before the command has written anything
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 141, err
    assert b"Traceback" not in err and b"Fel" not in err
