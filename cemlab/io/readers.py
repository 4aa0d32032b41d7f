"""One reader per file format (CSV, Excel .xlsx, SPSS .sav), each giving a `RawTable`;
`read_table` detects the format from the file's content.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from collections import Counter
from pathlib import Path
from zipfile import BadZipFile

import openpyxl
import pandas as pd
import pyreadstat
from openpyxl.utils.exceptions import InvalidFileException

from cemlab.exceptions import DataError, located
from cemlab.io.encoding import _decode
from cemlab.io.layout import _build_table
from cemlab.io.table import RawColumn, RawTable
from cemlab.io.text import _blank_to_none, column_letter

#: Excel's own delimiter hint, a first line such as "sep=;".
_EXCEL_SEP_LINE = re.compile(r"sep=(.)\r?\n")

_ZIP_MAGIC = b"PK\x03\x04"
_SAV_MAGIC = (b"$FL2", b"$FL3")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls (and other Office 97 files)


def read_table(path: str | Path, sheet: str | int | None = None) -> RawTable:
    """Read any supported file into a `RawTable`, detecting the format from its content.

    CSV (delimiter ``,`` ``;`` tab or ``|``; UTF-8 with or without BOM, UTF-16, Windows-1250 or
    Windows-1252), Excel ``.xlsx`` (``sheet`` by name or 0-based position, default the first),
    SPSS ``.sav``. Qualtrics (3 or legacy 2 header rows) and SurveyMonkey (2 header rows)
    exports are recognised from their header rows. The file is only ever opened for reading.

    Raises
    ------
    DataError
        The file is missing, empty, not a table, or has no data rows.
    """
    path = Path(path)
    if path.is_dir():
        raise DataError(
            located(
                "this is a folder; a survey file (CSV, .xlsx or .sav) is needed",
                file=path,
                fix="give the path of the file itself",
            )
        )
    if not path.is_file():
        raise DataError(
            located(
                "no such file" if not path.exists() else "not a file",
                file=path,
                fix=_nearby_files_hint(path),
            )
        )
    if path.stat().st_size == 0:
        raise DataError(located("the file is empty", file=path, fix="export the survey data again"))
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(_SAV_MAGIC):
        table = _read_sav(path)
    elif head.startswith(_ZIP_MAGIC):
        table = _read_xlsx(path, sheet)
    elif head.startswith(_OLE_MAGIC):
        raise DataError(
            located(
                "this is an old-style Excel .xls (or other Office 97) file, which cemlab does "
                "not read",
                file=path,
                fix="open it in Excel and save it as .xlsx or as CSV",
            )
        )
    else:
        table = _read_csv(path)
    if table.cells.empty:
        if table.format == "sav":
            problem = "no cases (respondents) in this file"
        else:
            problem = f"no data rows below the {len(table.header_rows)} header row(s)"
        raise DataError(
            located(
                problem,
                file=path,
                fix="check that this is the export with the responses, not an empty template",
            )
        )
    return table


def _nearby_files_hint(path: Path) -> str:
    folder = path.parent if path.parent.is_dir() else None
    if folder is None:
        return f"the folder {path.parent} does not exist either; check the path"
    names = [p.name for p in folder.iterdir() if p.is_file()]
    close = difflib.get_close_matches(path.name, names, n=3, cutoff=0.5)
    if close:
        return f"check the path; files with similar names in {folder}: {', '.join(close)}"
    return f"check the path (the folder {folder} exists)"


# -- CSV -------------------------------------------------------------------------------------


def _sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the most consistent number of fields."""
    sample = "".join(io.StringIO(text[:65536], newline="").readlines()[:50])
    best, best_score = ",", (-1.0, 0)
    for delimiter in (",", ";", "\t", "|"):
        reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
        rows = [r for r in reader if any(r)]
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


def _read_csv(path: Path) -> RawTable:
    text, encoding = _decode(path, path.read_bytes())
    if not text.strip():
        raise DataError(located("the file is empty", file=path, fix="export the survey data again"))
    hint = _EXCEL_SEP_LINE.match(text)
    if hint:  # Excel reads the delimiter from a first line "sep=;" and does not show that line
        delimiter, text = hint.group(1), text[hint.end() :]
    else:
        delimiter = _sniff_delimiter(text)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise DataError(
            located(
                f"cannot be read as {delimiter!r}-delimited text ({exc})",
                file=path,
                fix="open it in Excel and save it again as CSV",
            )
        ) from None
    return _build_table(path, "csv", records, encoding=encoding, delimiter=delimiter)


# -- Excel -----------------------------------------------------------------------------------


def _read_xlsx(path: Path, sheet: str | int | None) -> RawTable:
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise DataError(
            located(
                f"cannot open as an Excel .xlsx workbook ({exc})",
                file=path,
                fix="open it in Excel and save it again as .xlsx, or export CSV",
            )
        ) from None
    try:
        names = book.sheetnames
        if sheet is None:
            chosen = names[0]
        elif str(sheet) in names:  # a sheet named "2026" is meant even when YAML says 2026
            chosen = str(sheet)
        elif isinstance(sheet, int) and 0 <= sheet < len(names):
            chosen = names[sheet]
        else:
            raise DataError(
                located(
                    f"no sheet {sheet!r} in this workbook",
                    file=path,
                    fix=f"set sheet to one of {', '.join(repr(n) for n in names)}",
                )
            )
        records = [
            [str(v) if isinstance(v, bool) else v for v in row]
            for row in book[chosen].iter_rows(min_row=1, min_col=1, values_only=True)
        ]
    finally:
        book.close()
    return _build_table(path, "xlsx", records, sheet=chosen)


# -- SPSS ------------------------------------------------------------------------------------


def _read_sav(path: Path) -> RawTable:
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
    cells = frame.astype(object).map(_blank_to_none)
    cells.index = pd.Index(range(1, len(frame) + 1), name="row")
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


