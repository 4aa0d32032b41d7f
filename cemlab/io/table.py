"""The raw table: a client's file as read, before any column is matched to an item.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cemlab.io.text import _blank_to_none

# -- the raw table ---------------------------------------------------------------------------


@dataclass
class RawColumn:
    """One column of the client's file and every header text that can identify it."""

    name: str
    letter: str
    texts: list[str]
    value_labels: dict[object, str] = field(default_factory=dict)
    missing_ranges: list[tuple[object, object]] = field(default_factory=list)

    def is_user_missing(self, value: object) -> bool:
        """True when SPSS declares ``value`` a user-missing code for this column."""
        for low, high in self.missing_ranges:
            try:
                if low <= value <= high:  # type: ignore[operator]
                    return True
            except TypeError:
                continue
        return False


@dataclass
class RawTable:
    """A client's file as read: header rows, columns, and cells keyed by spreadsheet row.

    ``cells`` holds one row per data row, indexed by the row number the client's spreadsheet
    shows (header rows count: the first data row of a plain CSV is row 2, of a Qualtrics export
    row 4; SPSS and Parquet number records from 1). Blank cells are missing (``None``, NaN or
    ``pd.NA``); CSV cells are stripped text (a pyarrow-backed string column, so that a million
    rows are not a million Python objects per column), Excel, SPSS and Parquet cells keep
    their numbers.

    Every row below the header rows is in exactly one of ``cells``, ``blank_rows``,
    ``malformed_rows`` (also in ``cells``, truncated to the header), ``note_rows`` and
    ``summary_rows``; ``rows_below_header`` counts them all.
    """

    path: Path
    format: str  # "csv", "xlsx", "sav" or "parquet"
    layout: str  # "plain", "qualtrics", "qualtrics-legacy", "surveymonkey" or "spss"
    columns: list[RawColumn]
    cells: pd.DataFrame
    header_rows: list[list[str]]
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    title_rows: int = 0  # rows above the header (a title, blank rows), skipped
    blank_rows: list[int] = field(default_factory=list)
    malformed_rows: dict[int, str] = field(default_factory=dict)
    #: Rows below the data with one cell of text ("Source: ..."), set aside: row -> (column, text).
    note_rows: dict[int, tuple[str, object]] = field(default_factory=dict)
    #: Rows below the data that a spreadsheet computed ("Total", "Mean" then numbers), not
    #: respondents, set aside: row -> what the row is ("a Total row in column 'id'").
    summary_rows: dict[int, str] = field(default_factory=dict)
    #: Every row the reader saw below the header rows (data, blank, note, summary and
    #: malformed rows):
    #: `load` accounts for each one, so that no respondent is lost unlisted.
    rows_below_header: int = 0

    def header_summary(self) -> str:
        """The header rows consumed, as the quality summary names them.

        "header rows: 2 (SurveyMonkey sub-header row 2)"; an SPSS file has no header rows.
        """
        if self.format == "sav":
            return "header rows: none (SPSS variable names and labels)"
        if self.format == "parquet":
            return "header rows: none (Parquet column names)"
        first = self.title_rows + 1
        extra = {
            "plain": [],
            "qualtrics": [f"Qualtrics question-text row {first + 1}",
                          f"Qualtrics ImportId row {first + 2}"],
            "qualtrics-legacy": [f"Qualtrics legacy question-text row {first + 1}"],
            "surveymonkey": [f"SurveyMonkey sub-header row {first + 1}"],
        }[self.layout]
        named = [f"column names row {first}", *extra]
        if self.title_rows:
            named.insert(0, f"{self.title_rows} title row(s) above, skipped")
        return f"header rows: {len(self.header_rows)} ({'; '.join(named)})"

    @property
    def first_data_row(self) -> int:
        if self.format in ("sav", "parquet"):
            return 1
        return self.title_rows + len(self.header_rows) + 1

    def values(self, column: str, rows: Iterable[int] | None = None) -> list[tuple[int, object]]:
        """(spreadsheet row, cell) pairs of one column, blank cells as ``None``.

        pandas may turn a stored ``None`` into NaN on selection; this gives one blank marker.
        """
        series = self.cells[column] if rows is None else self.cells.loc[list(rows), column]
        return [(row, _blank_to_none(cell)) for row, cell in series.items()]

    def column(self, name: str) -> RawColumn:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    def describe(self) -> str:
        """One line saying how the file was read, for the data-quality summary."""
        layout = {
            "plain": "table",
            "qualtrics": "Qualtrics export",
            "qualtrics-legacy": "Qualtrics legacy export",
            "surveymonkey": "SurveyMonkey export",
            "spss": "SPSS data file",
            "parquet": "Parquet file",
        }[self.layout]
        parts = [f"{self.format.upper()} {layout}"]
        if self.encoding:
            parts.append(self.encoding)
        if self.delimiter:
            parts.append(f"{'tab' if self.delimiter == chr(9) else repr(self.delimiter)} delimited")
        if self.sheet:
            parts.append(f"sheet {self.sheet!r}")
        if self.title_rows:
            parts.append(f"{self.title_rows} row(s) above the header skipped")
        if self.format not in ("sav", "parquet"):
            rows = len(self.header_rows)
            parts.append(f"{rows} header row{'s' if rows != 1 else ''}")
        parts.append(f"{len(self.cells)} data rows, {len(self.columns)} columns")
        if self.note_rows:
            parts.append(f"{len(self.note_rows)} note row(s) below the data left out")
        if self.summary_rows:
            rows = ", ".join(str(r) for r in self.summary_rows)
            parts.append(f"{len(self.summary_rows)} summary row(s) (Total, Mean ...) below the "
                         f"data left out: row {rows}")
        return ", ".join(parts)


