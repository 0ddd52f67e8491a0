"""Writing into a PostGIS workspace inside its open transaction (`PostgisWorkspace.transaction`):
the new rows COPYed into a staging table as CSV, then swapped in with the dataset list."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime, timezone

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import shapely

from lagesbild.core import schema
from lagesbild.core.dataset import DATASET_COLUMNS, Dataset
from lagesbild.core.errors import WorkspaceError
from lagesbild.store.postgis_schema import quote_ident
from lagesbild.store.workspace import WorkspaceWriter

_BATCH = 100_000  # rows per CSV chunk sent to COPY


class PostgisWriter(WorkspaceWriter):
    """Writes inside the workspace's open transaction (see PostgisWorkspace.transaction)."""

    def __init__(self, conn) -> None:  # noqa: ANN001 - a psycopg connection
        self.conn = conn
        self.wrote = False

    def replace_dataset(self, dataset: Dataset, frame: pd.DataFrame, *, rejected: int = 0) -> None:
        table = dataset.table
        new = schema.conform(frame.assign(source=dataset.name), table)
        clash = self.conn.execute('SELECT "table" FROM datasets WHERE dataset = %s AND '
                                  '"table" <> %s', (dataset.name, table)).fetchone()
        # A row's `source` must name exactly one dataset (as in GpkgWorkspace)
        if clash is not None:
            raise WorkspaceError(
                f"Det finns redan ett dataset som heter '{dataset.name}' (tabell "
                f"{clash[0]}). Ge filen ett annat namn och importera igen.")
        columns = list(schema.TABLES[table])
        spatial = table in schema.SPATIAL
        names = ", ".join(quote_ident(c) for c in [*columns, *(["geometry"] if spatial else [])])
        stage = quote_ident(f"stage_{table}")
        self.conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DROP AS SELECT "
                          f"{names} FROM {quote_ident(table)} WITH NO DATA")
        self.conn.execute(f"TRUNCATE {stage}")
        with self.conn.cursor().copy(f"COPY {stage} ({names}) FROM STDIN (FORMAT csv)") as copy:
            for chunk in _csv_chunks(new, columns, spatial):
                copy.write(chunk)
        # the rows the GeoPackage's replace drops too: this dataset's and any without a source
        self.conn.execute(f'DELETE FROM {quote_ident(table)} WHERE NOT ("source" IS NOT NULL '
                          'AND "source" <> %s)', (dataset.name,))
        self.conn.execute(f"INSERT INTO {quote_ident(table)} ({names}) SELECT {names} FROM "
                          f"{stage}")
        self.conn.execute("DELETE FROM datasets WHERE dataset = %s", (dataset.name,))
        row = {"dataset": dataset.name, "table": table, "kind": dataset.kind,
               "file": dataset.file, "rows": len(frame), "rejected": rejected,
               "period": dataset.period,
               "imported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "description": dataset.description, "sha256": dataset.sha256,
               "source_path": dataset.source_path}
        self.conn.execute(
            f"INSERT INTO datasets ({', '.join(quote_ident(c) for c in DATASET_COLUMNS)}) "
            f"VALUES ({', '.join(['%s'] * len(DATASET_COLUMNS))})",
            [row[c] for c in DATASET_COLUMNS])
        self.wrote = True


def _csv_chunks(frame: pd.DataFrame, columns: list[str], spatial: bool) -> Iterator[bytes]:
    """The conformed rows as CSV for COPY: strings always quoted (so "" stays an empty string),
    a missing value as nothing (NULL), geometry as hex EWKB with SRID 3006."""
    for start in range(0, len(frame), _BATCH):
        part = frame.iloc[start:start + _BATCH]
        arrays = {col: pa.Array.from_pandas(part[col]) for col in columns}
        if spatial:
            geoms = shapely.set_srid(part.geometry.to_numpy(), 3006)
            arrays["geometry"] = pa.array(shapely.to_wkb(geoms, hex=True, include_srid=True),
                                          type=pa.string(), from_pandas=True)
        out = io.BytesIO()
        pacsv.write_csv(pa.table(arrays), out, pacsv.WriteOptions(
            include_header=False, quoting_style="needed"))
        yield out.getvalue()
