"""One reader per file format (CSV, Excel .xlsx, SPSS .sav, Parquet), each giving a `RawTable`;
`read_table` detects the format from the file's content, never from its name.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from cemlab.exceptions import DataError, located
from cemlab.io.readers.csv import read_csv
from cemlab.io.readers.excel import read_xlsx
from cemlab.io.readers.parquet import read_parquet
from cemlab.io.readers.spss import read_sav
from cemlab.io.table import RawTable

_ZIP_MAGIC = b"PK\x03\x04"
_SAV_MAGIC = (b"$FL2", b"$FL3")
_PARQUET_MAGIC = b"PAR1"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls (and other Office 97 files)

__all__ = ["read_table"]


def read_table(path: str | Path, sheet: str | int | None = None) -> RawTable:
    """Read any supported file into a `RawTable`, detecting the format from its content.

    CSV (delimiter ``,`` ``;`` tab or ``|``; UTF-8 with or without BOM, UTF-16, Windows-1250 or
    Windows-1252), Excel ``.xlsx`` (``sheet`` by name or 0-based position, default the first),
    SPSS ``.sav``, Parquet. Qualtrics (3 or legacy 2 header rows) and SurveyMonkey (2 header
    rows) exports are recognised from their header rows. The file is only ever opened for
    reading.

    Raises
    ------
    DataError
        The file is missing, empty, not a table, has no data rows, or would lose rows or
        answers if read (a quote never closed, stray bytes in UTF-8 text, formulas without
        saved values): the message names the row, the column and the fix.
    """
    path = Path(path)
    if path.is_dir():
        raise DataError(
            located(
                "this is a folder; a survey file (CSV, .xlsx, .sav or .parquet) is needed",
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
        table = read_sav(path)
    elif head.startswith(_PARQUET_MAGIC):
        table = read_parquet(path)
    elif head.startswith(_ZIP_MAGIC):
        table = read_xlsx(path, sheet)
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
        table = read_csv(path)
    if table.cells.empty:
        if table.format in ("sav", "parquet"):
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
