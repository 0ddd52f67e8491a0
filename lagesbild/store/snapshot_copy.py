"""A snapshot's copy of the workspace GeoPackage, whole and checked, and the SHA-256 of a file.

The copy is one consistent version of the file (read through one descriptor, or SQLite's backup
API while another program writes in place), and it is refused unless it is a GeoPackage that
passes SQLite's quick_check: a damaged workspace is never frozen.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from contextlib import closing
from pathlib import Path

from lagesbild.core.errors import WorkspaceError

_CHUNK = 1 << 20
_SIDECARS = ("-journal", "-wal")
_GPKG_IDS = (b"GPKG", b"GP10", b"GP11")


def _copy_workspace(source: Path, target: Path) -> str:
    """Copy the GeoPackage consistently and return the copy's SHA-256.

    Lagesbild's own writers never change the file in place (they rename a finished copy over it),
    so one open file descriptor reads one whole version; the copy is byte for byte that version.
    If another program is writing in place (a journal beside the file, or the file changed during
    the copy), SQLite's backup API takes a consistent copy instead.
    """
    def writing() -> bool:
        return any(Path(f"{source}{s}").exists() for s in _SIDECARS)

    for _ in range(3):
        if writing():
            break
        digest = hashlib.sha256()
        with open(source, "rb") as src, open(target, "wb") as dst:
            before = os.fstat(src.fileno())
            while chunk := src.read(_CHUNK):
                digest.update(chunk)
                dst.write(chunk)
            after = os.fstat(src.fileno())
        if (before.st_mtime_ns, before.st_size) == (after.st_mtime_ns, after.st_size) \
                and not writing():
            _check_gpkg(target, source)
            return digest.hexdigest()
    target.unlink(missing_ok=True)
    try:
        with closing(sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)) as src, \
                closing(sqlite3.connect(target)) as dst:
            src.backup(dst)
    except sqlite3.Error as exc:
        raise WorkspaceError(f"Arbetsytan {source} kunde inte kopieras ({exc}).") from exc
    finally:
        for leftover in (Path(f"{target}{s}") for s in (*_SIDECARS, "-shm")):
            leftover.unlink(missing_ok=True)
    _check_gpkg(target, source)
    return file_sha256(target)


def _check_gpkg(copy: Path, source: Path) -> None:
    with open(copy, "rb") as fh:
        header = fh.read(100)
    # GeoPackage's application_id ("GPKG"; "GP10"/"GP11" in files from before version 1.2)
    if not header.startswith(b"SQLite format 3\x00") or header[68:72] not in _GPKG_IDS:
        copy.unlink(missing_ok=True)
        raise WorkspaceError(f"{source} är ingen GeoPackage-arbetsyta; ingen ögonblicksbild "
                             "skapades.")
    try:  # a truncated or damaged file has the header but not the pages: never freeze it
        with closing(sqlite3.connect(f"{copy.resolve().as_uri()}?mode=ro", uri=True)) as con:
            verdict = str(con.execute("PRAGMA quick_check").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        verdict = str(exc)
    if verdict != "ok":
        copy.unlink(missing_ok=True)
        raise WorkspaceError(f"{source} är skadad ({verdict[:120]}); ingen ögonblicksbild "
                             "skapades. Återställ arbetsytan från en export eller en tidigare "
                             "ögonblicksbild.")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
