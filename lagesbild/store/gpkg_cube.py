"""A GeoPackage's incident count cube (`core.incident_cube`), counted by SQLite: one GROUP BY
over the `incidents` table of the file, opened read-only; only the groups leave SQLite (a few
hundred thousand nationally instead of millions of rows)."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pandas as pd

from lagesbild.core.errors import WorkspaceError
from lagesbild.core.incident_cube import CUBE_COLUMNS, CUBE_KEYS, conform_cube, empty_cube

TABLE = "incidents"


def incident_cube(path: Path) -> pd.DataFrame:
    """The cube of the incidents in the GeoPackage at `path`; empty without the file or its
    incidents table. A key column an older workspace lacks (`schema.ADDED_LATER`: age_group)
    counts as missing for every row, as reading the table gives it."""
    if not path.exists():
        return empty_cube()
    try:
        with contextlib.closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro",
                                                uri=True, timeout=30)) as con:
            if con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                           (TABLE,)).fetchone() is None:
                return empty_cube()
            # the GROUP BY sorts every row (SQLite has no hash aggregate): a sort held in
            # memory instead of spilled in 2 MB pages (measured: a quarter less time)
            con.execute("PRAGMA cache_size = -262144")
            stored = {row[1] for row in con.execute(f'PRAGMA table_info("{TABLE}")')}
            keys = ", ".join(f'"{c}"' if c in stored else f'NULL AS "{c}"' for c in CUBE_KEYS)
            rows = con.execute(f'SELECT {keys}, COUNT(*) FROM "{TABLE}" '
                               f'GROUP BY {", ".join(str(i + 1) for i in range(len(CUBE_KEYS)))}'
                               ).fetchall()
    except sqlite3.DatabaseError as exc:
        raise WorkspaceError(f"{path}: tabellen '{TABLE}' går inte att läsa, filen är skadad "
                             f"({exc}).") from exc
    return conform_cube(pd.DataFrame(rows, columns=list(CUBE_COLUMNS)))
