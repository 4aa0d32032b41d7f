"""SPSS .sav files, read with pyreadstat: variable labels, value labels and user-missing codes
kept for `load`, the data column-wise as pyreadstat gives it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyreadstat

from cemlab.exceptions import DataError, located
from cemlab.io.table import RawColumn, RawTable
from cemlab.io.text import column_letter


def read_sav(path: Path) -> RawTable:
    """Read an SPSS file: one row per case, numbered from 1 as SPSS's Data View does."""
    try:
        # user_missing=True keeps declared missing codes (e.g. 99 "no answer") as values so that
        # they can be counted; they are turned into missing answers in `load`.
        frame, meta = pyreadstat.read_sav(str(path), user_missing=True)
    except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError, UnicodeError) as exc:
        raise DataError(
            located(
                f"cannot read as an SPSS .sav file ({exc})",
                file=path,
                fix="save it again from SPSS, or export CSV",
            )
        ) from None
    columns = []
    for position, name in enumerate(frame.columns):
        label = (meta.column_names_to_labels or {}).get(name) or ""
        ranges = [(r["lo"], r["hi"]) for r in (meta.missing_ranges or {}).get(name, [])]
        columns.append(
            RawColumn(
                name=name,
                letter=column_letter(position),
                texts=[name] + ([label] if label else []),
                value_labels=dict((meta.variable_value_labels or {}).get(name, {})),
                missing_ranges=ranges,
            )
        )
    cells = pd.DataFrame({name: blank_text_missing(frame[name]) for name in frame.columns})
    cells.index = pd.RangeIndex(1, len(frame) + 1, name="row")
    return RawTable(
        path=path,
        format="sav",
        layout="spss",
        columns=columns,
        cells=cells,
        header_rows=[list(frame.columns), [c.texts[-1] for c in columns]],
        encoding=meta.file_encoding,
        rows_below_header=len(frame),
    )


def blank_text_missing(column: pd.Series) -> pd.Series:
    """A column with its text stripped and blank text missing; numbers and dates as they are.

    SPSS pads string variables with spaces and writes an unanswered one as ``""``.
    """
    if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_datetime64_any_dtype(column):
        return column
    text = column.map(lambda c: c.strip() if isinstance(c, str) else c, na_action="ignore")
    return text.where(text.ne("") & text.notna(), None).astype(object)
