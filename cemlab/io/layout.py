"""Which survey tool wrote a CSV or Excel file, and how its header rows become columns.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pandas as pd

from cemlab.exceptions import DataError, located
from cemlab.io.table import RawColumn, RawTable
from cemlab.io.text import (
    _NUMBER,
    MISSING_ANSWERS,
    _blank_to_none,
    _filled,
    _header_text,
    _to_number,
    column_letter,
    normalize_text,
)

# -- header rows (CSV and Excel) -------------------------------------------------------------


def _detect_layout(records: list[list[object]]) -> tuple[str, int]:
    """Which survey tool wrote the file, and how many header rows it put above the data."""

    def row(i: int) -> list[str]:
        return [_header_text(c) for c in records[i]] if i < len(records) else []

    first, second, third = row(0), row(1), row(2)
    if any(cell.startswith('{"ImportId"') for cell in third):
        return "qualtrics", 3
    if first[:2] == ["V1", "V2"] and "ResponseID" in second:
        return "qualtrics-legacy", 2
    normalized = [normalize_text(c) for c in first]
    if "respondent id" in normalized and second:
        position = normalized.index("respondent id")
        below = second[position] if position < len(second) else ""
        if not _NUMBER.match(below.replace(" ", "")):
            return "surveymonkey", 2
    return "plain", 1


def _build_table(
    path: Path,
    fmt: str,
    records: list[list[object]],
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
) -> RawTable:
    while records and not any(_filled(c) for c in records[-1]):
        records.pop()
    if not records:
        raise DataError(located("the file is empty", file=path, fix="export the survey data again"))
    # A title (and blank rows) above the header, as in a spreadsheet made for reading: the
    # header is the first row with two filled cells. Row numbers still count the title rows.
    title_rows = next(
        (i for i, r in enumerate(records) if sum(_filled(c) for c in r) >= 2), 0
    )
    layout, n_header = _detect_layout(records[title_rows:])
    header_records = records[title_rows : title_rows + n_header]
    data_records = records[title_rows + n_header :]
    # data rows wider than the header (unnamed trailing columns) widen it when most are
    typical = Counter(len(r) for r in data_records).most_common(1)
    width = max([len(r) for r in header_records] + [typical[0][0] if typical else 0])
    headers = [[_header_text(c) for c in r] + [""] * (width - len(r)) for r in header_records]
    rows: list[list[object]] = []
    numbers: list[int] = []
    blank_rows: list[int] = []
    malformed: dict[int, str] = {}
    for number, record in enumerate(data_records, start=title_rows + n_header + 1):
        cells = [_blank_to_none(c) for c in record]
        if not any(c is not None for c in cells):
            blank_rows.append(number)
            continue
        if len(cells) > width:
            extra = [c for c in cells[width:] if c is not None]
            if extra:
                malformed[number] = (
                    f"{len(cells)} cells but the header has {width} columns "
                    f"(extra value {extra[0]!r}: a delimiter inside an unquoted answer?)"
                )
            cells = cells[:width]
        rows.append(cells + [None] * (width - len(cells)))
        numbers.append(number)
    columns = _columns_from_headers(layout, headers)
    # A note below the data ("Source: Acme HR, exported 2026-01-05") fills one cell with text:
    # it is not a response. The rows after the last one that may be a response are set aside,
    # to be listed by `load` (which gives back any whose text is a group label).
    last_response = max(
        (i for i, cells in enumerate(rows) if numbers[i] in malformed or not _may_be_note(cells)),
        default=len(rows) - 1,
    )
    notes: dict[int, tuple[str, object]] = {}
    for number, cells in zip(numbers[last_response + 1 :], rows[last_response + 1 :]):
        position = next(i for i, c in enumerate(cells) if c is not None)
        notes[number] = (columns[position].name, cells[position])
    del rows[last_response + 1 :], numbers[last_response + 1 :]
    cells_frame = pd.DataFrame(
        rows, index=pd.Index(numbers, name="row"), columns=[c.name for c in columns], dtype=object
    )
    unused = [c.name for c in columns if not c.texts and cells_frame[c.name].isna().all()]
    if unused:  # an empty trailing column from a trailing delimiter, as legacy Qualtrics writes
        cells_frame = cells_frame.drop(columns=unused)
        columns = [c for c in columns if c.name not in unused]
    if len(columns) < 2 and layout == "plain":
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
        layout=layout,
        columns=columns,
        cells=cells_frame,
        header_rows=headers,
        encoding=encoding,
        delimiter=delimiter,
        sheet=sheet,
        title_rows=title_rows,
        blank_rows=blank_rows,
        malformed_rows=malformed,
        note_rows=notes,
        rows_below_header=len(data_records),
    )


def _may_be_note(cells: list[object]) -> bool:
    """True when a row has one filled cell and it is neither a number, a score nor a no-answer.

    Below the data such a row is a note ("Source: ..."); a row with only a score or "Don't
    know" in it is a respondent who answered little, wherever it stands.
    """
    filled = [c for c in cells if c is not None]
    if len(filled) != 1:
        return False
    return _to_number(filled[0]) is None and normalize_text(filled[0]) not in MISSING_ANSWERS


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


