"""CSV files: encoding, delimiter and layout told from the head of the file, the data parsed
column-wise by pyarrow (pandas' C parser when rows are ragged), so that a million rows cost
seconds and hold no Python object per cell.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from cemlab.exceptions import DataError, located
from cemlab.io.encoding import Encoding, detect_encoding
from cemlab.io.layout import HEAD_RECORDS, Head, build_table, read_head
from cemlab.io.table import RawTable
from cemlab.io.text import column_letter

#: Excel's own delimiter hint, a first line such as "sep=;".
_EXCEL_SEP_LINE = re.compile(r"sep=(.)\r?\n")

#: How much of the file the delimiter and the layout are told from.
_HEAD_BYTES = 1 << 16

#: Text cells as pandas 3 holds them by default: pyarrow-backed, NaN for a blank cell.
TEXT = pd.StringDtype("pyarrow", na_value=np.nan)

#: Rows of the ragged-row parser converted to Arrow at a time, to bound its memory.
_CHUNK_ROWS = 100_000


def read_csv(path: Path) -> RawTable:
    """Read a CSV file: every row below the header accounted for, every cell stripped text."""
    raw = path.read_bytes()
    encoding = detect_encoding(path, raw)
    if encoding.codec == "utf-8" and not encoding.stray:
        utf8, start = raw, encoding.bom  # parsed where it lies: no copy of a large file
    else:  # the few bytes that are not UTF-8 become U+FFFD, to be located below
        utf8, start = raw[encoding.bom :].decode(encoding.codec, errors="replace").encode(), 0
    del raw
    head_text = utf8[start : start + _HEAD_BYTES].decode("utf-8", errors="ignore")
    cut = len(utf8) - start > _HEAD_BYTES
    if not head_text.strip():
        raise DataError(located("the file is empty", file=path, fix="export the survey data again"))
    hint = _EXCEL_SEP_LINE.match(head_text)
    if hint:  # Excel reads the delimiter from a first line "sep=;" and does not show that line
        delimiter = hint.group(1)
        start += len(hint.group(0).encode())
        head_text = head_text[hint.end() :]
    else:
        delimiter = _sniff_delimiter(head_text)
    head, data_offset = _head(path, head_text, delimiter, cut)
    first_row = head.records + 1
    data = _parse(path, pa.py_buffer(utf8).slice(start + data_offset), delimiter, head, first_row)
    if encoding.stray:
        _refuse_stray_bytes(path, data, head, encoding)
    lines = utf8.count(b"\n", start + data_offset) + (not utf8.endswith(b"\n"))
    if lines != len(data):  # as many lines as rows: no cell holds a line break
        _refuse_unclosed_quotes(path, data, head, delimiter)
    return build_table(
        path, "csv", head, data, encoding=encoding.label, delimiter=delimiter
    )


def _sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the most consistent number of fields."""
    sample = "".join(io.StringIO(text, newline="").readlines()[:50])
    best, best_score = ",", (-1.0, 0)
    for delimiter in (",", ";", "\t", "|"):
        reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
        try:
            rows = [r for r in reader if any(r)]
        except csv.Error:
            continue
        if not rows:
            continue
        counts = Counter(len(r) for r in rows)
        width, seen = counts.most_common(1)[0]
        if width < 2:
            continue
        score = (seen / len(rows), width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _head(path: Path, text: str, delimiter: str, cut: bool) -> tuple[Head, int]:
    """The layout from the first records, and the byte offset (in ``text``) of the data."""
    lines = io.StringIO(text, newline="").readlines()
    reader = csv.reader(iter(lines), delimiter=delimiter)
    records: list[list[str]] = []
    lines_read: list[int] = []
    try:
        for record in reader:
            records.append(record)
            lines_read.append(reader.line_num)
            if len(records) >= HEAD_RECORDS:
                break
    except csv.Error as exc:
        raise DataError(
            located(
                f"cannot be read as {delimiter!r}-delimited text ({exc})",
                file=path,
                row=len(records) + 1,
                fix="open it in Excel and save it again as CSV",
            )
        ) from None
    if cut and len(records) < HEAD_RECORDS:
        # the sample ends inside a record (one cell of many lines): the header is above it
        records, lines_read = records[:-1], lines_read[:-1]
    head = read_head(path, records)
    above = lines_read[head.records - 1] if head.records else 0
    return head, len("".join(lines[:above]).encode())


def _parse(
    path: Path, data: pa.Buffer, delimiter: str, head: Head, first_row: int
) -> pd.DataFrame:
    """The data rows, one column per position, text stripped, blank cells missing."""
    if data.size == 0:
        table = pa.table({str(i): pa.array([], pa.string()) for i in range(head.width)})
    else:
        try:
            table = _parse_regular(data, delimiter, head.width)
        except pa.ArrowInvalid:  # a row with another number of cells than the header
            table = _parse_ragged(path, data, delimiter, head.width, first_row)
    with ThreadPoolExecutor(max_workers=4) as pool:  # pyarrow kernels release the GIL
        columns = list(pool.map(_stripped, table.columns))
    frame = pa.table(columns, names=[str(i) for i in range(len(columns))]).to_pandas(
        types_mapper={pa.string(): TEXT, pa.large_string(): TEXT}.get
    )
    frame.columns = range(len(columns))
    frame.index = pd.RangeIndex(first_row, first_row + len(frame), name="row")
    return frame


def _parse_regular(data: pa.Buffer, delimiter: str, width: int) -> pa.Table:
    """pyarrow's multithreaded parser, for the usual file whose rows all have `width` cells."""
    names = [str(i) for i in range(width)]
    return pacsv.read_csv(
        pa.BufferReader(data),
        read_options=pacsv.ReadOptions(column_names=names),
        parse_options=pacsv.ParseOptions(
            delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=False
        ),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            null_values=[""],  # "NA", "N/A", "null" are answers, for `load` to judge
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        ),
    )


def _parse_ragged(
    path: Path, data: pa.Buffer, delimiter: str, width: int, first_row: int
) -> pa.Table:
    """pandas' C parser for rows shorter or longer than the header: short rows are padded,
    longer ones keep their extra cells in extra columns, for `build_table` to list."""
    read_width = width
    for _ in range(64):
        try:
            chunks = pd.read_csv(
                io.BytesIO(data),
                sep=delimiter,
                header=None,
                names=list(range(read_width)),
                index_col=False,
                dtype=object,
                keep_default_na=False,
                na_values=[""],
                skip_blank_lines=False,
                chunksize=_CHUNK_ROWS,
                engine="c",
                encoding="utf-8",
            )
            return pa.concat_tables(
                pa.table({str(i): pa.array(chunk[i].to_numpy(), pa.string(), from_pandas=True)
                          for i in range(read_width)})
                for chunk in chunks
            )
        except pd.errors.ParserError as exc:
            message = str(exc)
            wider = re.search(r"Expected \d+ fields in line \d+, saw (\d+)", message)
            if wider:
                read_width = max(int(wider.group(1)), read_width + width)
                continue
            eof = re.search(r"EOF inside string starting at row (\d+)", message)
            if eof:
                raise DataError(
                    located(
                        'a quote (") opened in this row is never closed: every row after it '
                        "would be read into one cell",
                        file=path,
                        row=first_row + int(eof.group(1)),
                        fix='close the quote or remove the stray " in that row, and save again',
                    )
                ) from None
            raise DataError(
                located(
                    f"cannot be read as {delimiter!r}-delimited text ({message.strip()})",
                    file=path,
                    fix="open it in Excel and save it again as CSV",
                )
            ) from None
    raise DataError(
        located(f"rows far wider than the header ({read_width}+ cells)", file=path,
                fix="check the delimiter; open it in Excel and save it again as CSV")
    )


def _stripped(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Text without surrounding spaces (also non-breaking ones), and blank text missing."""
    trimmed = pc.utf8_trim_whitespace(column)
    empty = pc.equal(trimmed, "")
    if pc.any(empty).as_py():
        trimmed = pc.if_else(empty, pa.scalar(None, pa.string()), trimmed)
    return trimmed


def _column_name(head: Head, position: int) -> str:
    name = head.headers[0][position] if head.headers and position < head.width else ""
    return name or f"column {column_letter(position)}"


def _refuse_stray_bytes(path: Path, data: pd.DataFrame, head: Head, encoding: Encoding) -> None:
    """A UTF-8 file with a few bytes that are not UTF-8: name the cells that hold them.

    Reading the file as Windows-1252 instead would garble every "ą" in it and turn each
    "Zarząd" into an unknown group; replacing the bytes would change answers silently.
    """
    found = []
    for position, name in enumerate(data.columns):
        hits = data[name].str.contains("\ufffd", regex=False).fillna(False).to_numpy(bool)
        found += [(int(row), position, data.at[row, name]) for row in data.index[hits]]
    found.sort()
    where = "; ".join(
        f"row {row}, column {_column_name(head, position)!r}: {value!r}"
        for row, position, value in found[:5]
    ) or "in the header rows"
    more = f" and {len(found) - 5} more cells" if len(found) > 5 else ""
    offsets = ", ".join(f"{offset:,}" for offset in encoding.stray[:5])
    raise DataError(
        located(
            f"the file is UTF-8 text except for {len(encoding.stray)} byte(s) that are not "
            f"(byte offset {offsets}; shown as \ufffd): {where}{more}. Read in another encoding "
            "its other non-ASCII letters (such as ą, é) would be garbled",
            file=path,
            fix="retype those characters in Excel and save as 'CSV UTF-8 (comma delimited)'",
        )
    )


def _refuse_unclosed_quotes(path: Path, data: pd.DataFrame, head: Head, delimiter: str) -> None:
    """A cell holding lines that look like rows of the file: a quote opened and not closed.

    One stray ``"`` makes the parser read every row up to the next quote into one cell; the
    respondents in it would vanish. A comment over several lines has few delimiters a line.
    """
    needed = max(2, head.width - 2)
    for position, name in enumerate(data.columns):
        hits = data[name].str.contains("\n", regex=False).fillna(False).to_numpy(bool)
        for row in data.index[hits]:
            value = str(data.at[row, name])
            rowlike = [line for line in value.splitlines()[1:] if line.count(delimiter) >= needed]
            if len(rowlike) >= (1 if head.width >= 6 else 2):
                raise DataError(
                    located(
                        f'a quote (") opened in this cell is not closed until '
                        f"{value.count(chr(10))} lines later: {len(rowlike)} line(s) that look "
                        f"like rows of the file (the first: {rowlike[0][:60]!r}) were read into "
                        "this one cell",
                        file=path,
                        row=int(row),
                        column=_column_name(head, position),
                        fix='remove the stray " (or close the quote) in that cell and save again',
                    )
                )
