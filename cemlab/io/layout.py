"""Which survey tool wrote a CSV or Excel file, and how its header rows and data become a
`RawTable`: title rows, blank rows, rows wider than the header, notes and summary rows below
the data, each found column-wise so that a million-row file costs no Python loop per cell.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cemlab.exceptions import DataError, located
from cemlab.io.table import RawColumn, RawTable
from cemlab.io.text import (
    MISSING_ANSWERS,
    _filled,
    _header_text,
    _to_number,
    column_letter,
    normalize_text,
)

#: SurveyMonkey's metadata columns, as `normalize_text` gives them. Its export always starts
#: with "Respondent ID" and some of the others; row 2 is blank under them (or repeats them).
_SURVEYMONKEY_META = frozenset({
    "respondent id", "collector id", "collector", "start date", "end date", "ip address",
    "email address", "first name", "last name", "custom data 1",
})
#: What SurveyMonkey writes in row 2 under a single-answer or open question.
_SURVEYMONKEY_SUBHEADERS = frozenset({"response", "open ended response", "other please specify"})

#: Labels of a summary row a spreadsheet puts below the data ("Total", "Mean", "Średnia"...);
#: short ones ("N", "SD", "Min") are left out: "N" is also the region North.
SUMMARY_LABELS = frozenset(normalize_text(t) for t in (
    "Total", "Totals", "Grand total", "Sum", "Mean", "Average", "Median", "Std dev",
    "Standard deviation", "Razem", "Suma", "Ogółem", "Średnia", "Mediana",
    "Odchylenie standardowe", "Gesamt", "Summe", "Mittelwert", "Durchschnitt", "Moyenne",
    "Total général",
))

#: How many records the layout is told from: title rows, up to three header rows, a sample.
HEAD_RECORDS = 60


# -- header rows (CSV and Excel) -------------------------------------------------------------


def _detect_layout(records: Sequence[Sequence[object]]) -> tuple[str, int]:
    """Which survey tool wrote the file, and how many header rows it put above the data.

    Each tool is told by its whole signature, never by one column name: a client's own table
    with a ``respondent_id`` column of ``R001`` ids is a plain table, its first respondent a
    respondent.
    """

    def row(i: int) -> list[str]:
        return [_header_text(c) for c in records[i]] if i < len(records) else []

    first, second, third = row(0), row(1), row(2)
    if any(cell.startswith('{"ImportId"') for cell in third):
        return "qualtrics", 3
    if first[:2] == ["V1", "V2"] and "ResponseID" in second:
        return "qualtrics-legacy", 2
    if _is_surveymonkey(first, second):
        return "surveymonkey", 2
    return "plain", 1


def _is_surveymonkey(first: list[str], second: list[str]) -> bool:
    """SurveyMonkey's two header rows: "Respondent ID" with other metadata columns in row 1,
    and in row 2 nothing (or the same name) under them and sub-headers under the questions.

    A respondent in row 2 has an id and dates under the metadata columns, so it never fits.
    """
    names = [normalize_text(c) for c in first]
    if "respondent id" not in names or len(_SURVEYMONKEY_META.intersection(names)) < 2:
        return False
    below = [normalize_text(second[i]) if i < len(second) else "" for i in range(len(names))]
    meta = [i for i, name in enumerate(names) if name in _SURVEYMONKEY_META]
    if any(below[i] not in ("", names[i]) for i in meta):
        return False
    repeats = any(below[i] == names[i] for i in meta)
    subheaders = any(cell in _SURVEYMONKEY_SUBHEADERS for cell in below)
    # a multi-select or matrix block: the question once in row 1, its options in row 2
    block = any(not names[i] and below[i] for i in range(len(names)))
    return repeats or subheaders or block


@dataclass
class Head:
    """What the first records of a file say: title rows, layout, header rows and width."""

    title_rows: int
    layout: str
    headers: list[list[str]]
    width: int

    @property
    def records(self) -> int:
        """Records above the data: title rows and header rows."""
        return self.title_rows + len(self.headers)


def read_head(path: Path, records: Sequence[Sequence[object]]) -> Head:
    """Title rows, layout and header rows from the first `HEAD_RECORDS` records of a file.

    A title (and blank rows) above the header, as in a spreadsheet made for reading: the
    header is the first row with two filled cells. Row numbers still count the title rows.
    """
    records = list(records)
    while records and not any(_filled(c) for c in records[-1]):
        records.pop()
    if not records:
        raise DataError(located("the file is empty", file=path, fix="export the survey data again"))
    title_rows = next((i for i, r in enumerate(records) if sum(_filled(c) for c in r) >= 2), 0)
    layout, n_header = _detect_layout(records[title_rows:])
    header_records = records[title_rows : title_rows + n_header]
    sample = records[title_rows + n_header :]
    # data rows wider than the header (unnamed trailing columns) widen it when most are
    typical = Counter(len(r) for r in sample).most_common(1)
    width = max([len(r) for r in header_records] + [typical[0][0] if typical else 0])
    headers = [[_header_text(c) for c in r] + [""] * (width - len(r)) for r in header_records]
    return Head(title_rows=title_rows, layout=layout, headers=headers, width=width)


def build_table(
    path: Path,
    fmt: str,
    head: Head,
    data: pd.DataFrame,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
) -> RawTable:
    """The `RawTable` of a file whose data rows are ``data``.

    ``data`` has one column per position (at least ``head.width``; any beyond it hold the
    cells of rows wider than the header), blank cells missing, text stripped, and is indexed
    by spreadsheet row number. Blank rows, rows wider than the header, notes and summary rows
    below the data are found column-wise; only the few rows at the bottom are looked at one
    by one.
    """
    filled = data.notna()
    any_filled = filled.any(axis=1).to_numpy()
    last = len(any_filled) - 1
    while last >= 0 and not any_filled[last]:  # trailing blank rows are not rows of the table
        last -= 1
    data, filled = data.iloc[: last + 1], filled.iloc[: last + 1]
    rows_below_header = len(data)

    malformed: dict[int, str] = {}
    if data.shape[1] > head.width:
        extra = filled.iloc[:, head.width :]
        for row in data.index[extra.any(axis=1).to_numpy()]:
            cells = data.loc[row]
            positions = [i for i, c in enumerate(cells.notna()) if c]
            first_extra = cells.iloc[next(i for i in positions if i >= head.width)]
            malformed[int(row)] = (
                f"{positions[-1] + 1} cells but the header has {head.width} columns "
                f"(extra value {first_extra!r}: a delimiter inside an unquoted answer?)"
            )
        data, filled = data.iloc[:, : head.width], filled.iloc[:, : head.width]
    elif data.shape[1] < head.width:
        data = data.reindex(columns=range(head.width))
        filled = data.notna()

    blank = ~filled.any(axis=1).to_numpy()
    blank_rows = [int(r) for r in data.index[blank]]
    data = data[~blank]

    columns = _columns_from_headers(head.layout, head.headers)
    notes, summaries = _set_aside_below_data(data, malformed, columns)
    if notes or summaries:
        data = data.iloc[: len(data) - len(notes) - len(summaries)]

    data.columns = [c.name for c in columns]
    data.index = pd.Index(data.index, name="row")
    unused = [c.name for c in columns if not c.texts and not data[c.name].notna().any()]
    if unused:  # an empty trailing column from a trailing delimiter, as legacy Qualtrics writes
        data = data.drop(columns=unused)
        columns = [c for c in columns if c.name not in unused]
    if len(columns) < 2 and head.layout == "plain":
        raise DataError(
            located(
                "this does not look like a survey table: it has only one column"
                + (f" (read as {delimiter!r}-delimited text)" if delimiter else ""),
                file=path,
                fix="export the responses with one column per question (CSV, .xlsx or .sav)",
            )
        )
    return RawTable(
        path=path,
        format=fmt,
        layout=head.layout,
        columns=columns,
        cells=data,
        header_rows=head.headers,
        encoding=encoding,
        delimiter=delimiter,
        sheet=sheet,
        title_rows=head.title_rows,
        blank_rows=blank_rows,
        malformed_rows=malformed,
        note_rows=notes,
        summary_rows=summaries,
        rows_below_header=rows_below_header,
    )


def _set_aside_below_data(
    data: pd.DataFrame, malformed: dict[int, str], columns: list[RawColumn]
) -> tuple[dict[int, tuple[str, object]], dict[int, str]]:
    """The notes and summary rows at the bottom of the data, walking up from the last row.

    A note ("Source: Acme HR, exported 2026-01-05") fills one cell with text; a summary row
    ("Total", "Mean", "Średnia" then numbers) is a spreadsheet's own arithmetic. Neither is a
    respondent; the walk stops at the first row that may be one.
    """
    notes: dict[int, tuple[str, object]] = {}
    summaries: dict[int, str] = {}
    for i in range(len(data) - 1, -1, -1):
        row = int(data.index[i])
        if row in malformed:
            break
        cells = data.iloc[i]
        present = [(p, c) for p, c in enumerate(cells.tolist()) if c is not None and not pd.isna(c)]
        if len(present) == 1 and _may_be_note(present[0][1]):
            notes[row] = (columns[present[0][0]].name, present[0][1])
        elif i and _is_summary(present):  # below at least one respondent
            position, label = present[0]
            summaries[row] = f"a {label!s} row in column {columns[position].name!r}"
        else:
            break
    return dict(reversed(notes.items())), dict(reversed(summaries.items()))


def _may_be_note(cell: object) -> bool:
    """True when a row's one filled cell is neither a number, a score nor a no-answer.

    Below the data such a row is a note ("Source: ..."); a row with only a score or "Don't
    know" in it is a respondent who answered little, wherever it stands.
    """
    return _to_number(cell) is None and normalize_text(cell) not in MISSING_ANSWERS


def _is_summary(present: list[tuple[int, object]]) -> bool:
    """A "Total" / "Mean" label in the row's first filled cell and numbers in all the others."""
    if len(present) < 2 or not isinstance(present[0][1], str):
        return False
    if normalize_text(present[0][1]) not in SUMMARY_LABELS:
        return False
    return all(_to_number(c) is not None for _, c in present[1:])


def _columns_from_headers(layout: str, headers: list[list[str]]) -> list[RawColumn]:
    columns: list[RawColumn] = []
    block = ""
    for position in range(len(headers[0])):
        letter = column_letter(position)
        cells = [h[position] for h in headers]
        name = cells[0]
        texts = [c for c in cells if c]
        if layout == "qualtrics":
            import_id = re.search(r'"ImportId"\s*:\s*"([^"]+)"', cells[2])
            texts = [c for c in cells[:2] if c] + ([import_id.group(1)] if import_id else [])
        elif layout == "surveymonkey":
            question, sub = cells[0], cells[1]
            block = question or block
            single = not sub or sub in ("Response", "Open-Ended Response") or sub == question
            if question and single:
                name = question
            elif sub:
                name = f"{block} - {sub}" if block else sub
            texts = [t for t in (name, sub, question) if t]
        columns.append(RawColumn(name=name or f"column {letter}", letter=letter, texts=texts))
    seen: Counter[str] = Counter(c.name for c in columns)
    for col in columns:
        if seen[col.name] > 1:  # repeated header names: tell them apart by spreadsheet letter
            col.name = f"{col.name} ({col.letter})"
    return columns
