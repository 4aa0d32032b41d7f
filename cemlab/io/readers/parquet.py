"""Parquet files, as a client's data team hands over big feedback exports: read with pyarrow,
text columns stay Arrow-backed, dictionary (categorical) columns become their values.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from cemlab.exceptions import DataError, located
from cemlab.io.readers.csv import TEXT, _stripped
from cemlab.io.table import RawColumn, RawTable
from cemlab.io.text import column_letter


def read_parquet(path: Path) -> RawTable:
    """Read a Parquet file: one row per record, numbered from 1, every column by its name."""
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise DataError(
            located(
                f"cannot read as a Parquet file ({exc})",
                file=path,
                fix="write it again (pandas DataFrame.to_parquet or pyarrow), or export CSV",
            )
        ) from None
    names = [str(n) for n in table.column_names]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise DataError(located(f"two columns are named {duplicated[0]!r}", file=path,
                                fix="give every column its own name"))
    columns: dict[str, pd.Series] = {}
    for name, column in zip(names, table.columns):
        kind = column.type
        if pa.types.is_dictionary(kind):
            column = column.cast(kind.value_type)
            kind = kind.value_type
        if pa.types.is_nested(kind) or pa.types.is_binary(kind):
            raise DataError(
                located(
                    f"this column holds {kind} values, not one answer per cell",
                    file=path,
                    column=name,
                    fix="write one plain column (text or number) per question",
                )
            )
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            columns[name] = _stripped(column.cast(pa.string())).to_pandas(
                types_mapper={pa.string(): TEXT}.get
            )
        else:
            columns[name] = column.to_pandas()
    cells = pd.DataFrame(columns)
    cells.index = pd.RangeIndex(1, table.num_rows + 1, name="row")
    return RawTable(
        path=path,
        format="parquet",
        layout="parquet",
        columns=[RawColumn(name=n, letter=column_letter(i), texts=[n])
                 for i, n in enumerate(names)],
        cells=cells,
        header_rows=[names],
        rows_below_header=table.num_rows,
    )
