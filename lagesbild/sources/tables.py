"""What the readers share: the `ReadResult` every reader returns, and its table toolkit.

The toolkit lives in three modules and is re-exported here, so a reader needs only
`from lagesbild.sources import tables as t`:

- `raw_tables`: tables as Swedish offices write them (CSV dialects, Excel workbooks, SCB/Brå
  export layouts) read as text into a `RawTable`;
- `column_mapping`: which column holds what (`ColumnSpec`, aliases, the user's mapping);
- `cell_values`: what a cell means (numbers, dates, kommun codes, sex words) and row validation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from lagesbild.core.dataset import Dataset
from lagesbild.core.errors import Rejection
from lagesbild.sources.cell_values import (
    MONTHS,
    SEX_WORDS,
    choice,
    kommun_code,
    parse_count,
    parse_datetime,
    parse_number,
    required,
    text,
    validate_rows,
)
from lagesbild.sources.column_mapping import (
    ColumnSpec,
    find_columns,
    find_spec,
    fold_header,
    guess_columns,
)
from lagesbild.sources.raw_tables import (
    ENCODINGS,
    HEADER_FIX,
    SEPARATORS,
    RawTable,
    decode,
    read_delimited,
    read_header_and_preview,
    read_table,
    sheet_names,
    sniff_separator,
)

__all__ = [
    "ReadResult",
    # raw_tables
    "ENCODINGS", "HEADER_FIX", "SEPARATORS", "RawTable", "decode", "sniff_separator", "read_table",
    "read_delimited", "read_header_and_preview", "sheet_names",
    # column_mapping
    "ColumnSpec", "fold_header", "guess_columns", "find_columns", "find_spec",
    # cell_values
    "parse_number", "parse_count", "MONTHS", "parse_datetime", "validate_rows", "required",
    "text", "choice", "SEX_WORDS", "kommun_code",
]


@dataclass
class ReadResult:
    """What a reader returns: accepted canonical rows, rejected rows with reasons, provenance."""

    accepted: pd.DataFrame
    rejected: list[Rejection]
    dataset: Dataset
    notes: list[str] = field(default_factory=list)
    # canonical column -> the file's header for it, so later checks can name the user's column
    columns: dict[str, str] = field(default_factory=dict)
    # set by store.importer.check_file: the workspace state the rows were checked against
    # (`Workspace.key`; a commit after another import checks again) and whether a same-named
    # dataset from another file may be replaced (see store.identity)
    checked_key: str = ""
    replace_named: bool = True

    def rejected_frame(self) -> pd.DataFrame:
        return pd.DataFrame([r.as_dict() for r in self.rejected],
                            columns=["fil", "rad", "fält", "värde", "orsak"])
