"""Excel .xlsx workbooks, read with calamine: the cells that are really there (not the range
the file claims), cached formula values, and a loud error for formulas never calculated.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pandas as pd
import python_calamine

from cemlab.exceptions import DataError, located
from cemlab.io.layout import HEAD_RECORDS, build_table, read_head
from cemlab.io.table import RawTable

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_DOC_RELS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def read_xlsx(path: Path, sheet: str | int | None) -> RawTable:
    """Read one sheet of a workbook (by name or 0-based position; the first by default)."""
    try:
        with path.open("rb") as handle:  # from the content: a workbook named .csv reads too
            book = python_calamine.CalamineWorkbook.from_filelike(handle)
    except Exception as exc:  # calamine raises its own error types, one per file problem
        raise DataError(
            located(
                f"cannot open as an Excel .xlsx workbook ({exc})",
                file=path,
                fix="open it in Excel and save it again as .xlsx, or export CSV",
            )
        ) from None
    names = book.sheet_names
    if sheet is None:
        chosen = names[0]
    elif str(sheet) in names:  # a sheet named "2026" is meant even when YAML says 2026
        chosen = str(sheet)
    elif isinstance(sheet, int) and not isinstance(sheet, bool) and 0 <= sheet < len(names):
        chosen = names[sheet]
    else:
        raise DataError(
            located(
                f"no sheet {sheet!r} in this workbook",
                file=path,
                fix=f"set sheet to one of {_sheet_list(book, names)}",
            )
        )
    try:
        table = _read_sheet(path, book, chosen)
    except DataError as exc:
        if sheet is not None or len(names) == 1:
            raise
        raise DataError(_first_sheet_is_not_data(path, book, names, str(exc))) from None
    if sheet is None and len(names) > 1 and len(table.columns) < 3:
        others = [n for n in names[1:] if _looks_like_data(book, n)]
        if others:
            raise DataError(
                _first_sheet_is_not_data(
                    path, book, names,
                    f"the first sheet {chosen!r} has only {len(table.columns)} columns",
                )
            )
    return table


def _read_sheet(path: Path, book: python_calamine.CalamineWorkbook, name: str) -> RawTable:
    rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    if not rows:
        raise DataError(located(f"the sheet {name!r} is empty", file=path,
                                fix="choose the sheet with the responses (sheet: in params)"))
    head = read_head(path, [[_cell(c) for c in r] for r in rows[:HEAD_RECORDS]])
    body = rows[head.records :]
    data = pd.DataFrame(
        [[_cell(c) for c in r] for r in body], columns=range(len(rows[0])), dtype=object
    )
    del rows, body
    data.index = pd.RangeIndex(head.records + 1, head.records + 1 + len(data), name="row")
    _refuse_uncalculated_formulas(path, name, data)
    return build_table(path, "xlsx", head, data, sheet=name)


def _cell(value: object) -> object:
    """A cell as the loader compares it: stripped text or None, whole numbers as int."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool):
        return str(value)  # TRUE/FALSE typed in a cell is a label, not the score 1/0
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _looks_like_data(book: python_calamine.CalamineWorkbook, name: str) -> bool:
    sheet = book.get_sheet_by_name(name)
    return sheet.width >= 3 and sheet.height >= 2


def _sheet_list(book: python_calamine.CalamineWorkbook, names: list[str]) -> str:
    """The sheets by name, each that looks like a table with its size."""
    described = []
    for name in names:
        sheet = book.get_sheet_by_name(name)
        if _looks_like_data(book, name):
            described.append(f"{name!r} (looks like data: {sheet.height} rows x "
                             f"{sheet.width} columns)")
        else:
            described.append(f"{name!r}")
    return ", ".join(described)


def _first_sheet_is_not_data(
    path: Path, book: python_calamine.CalamineWorkbook, names: list[str], why: str
) -> str:
    data = [n for n in names if _looks_like_data(book, n)]
    fix = (f"set sheet: {data[0]!r} in the params file (sheet={data[0]!r} in cemlab.load)"
           if data else "choose the sheet with the responses with sheet: in the params file")
    return located(
        f"no sheet was chosen and the first sheet does not hold the responses ({why}); the "
        f"workbook has {len(names)} sheets: {_sheet_list(book, names)}",
        file=path,
        fix=fix,
    )


# -- formulas without a saved value ----------------------------------------------------------


def _refuse_uncalculated_formulas(path: Path, sheet: str, data: pd.DataFrame) -> None:
    """Formulas whose result was never saved (files written by a program, not by Excel).

    calamine gives such a cell as blank, and blank answers would be counted as missing,
    silently. Only sheets with blank cells and a formula in their XML are looked at closely.
    """
    if not data.isna().to_numpy().any():
        return
    cells = _formulas_without_value(path, sheet)
    if not cells:
        return
    shown = ", ".join(cells[:10]) + (f" and {len(cells) - 10} more" if len(cells) > 10 else "")
    raise DataError(
        located(
            f"{len(cells)} formula cell(s) on sheet {sheet!r} have no saved result ({shown}): "
            "they would read as blank answers",
            file=path,
            fix="open the workbook in Excel (or LibreOffice) and save it, so that the results "
            "are stored; or paste the values over the formulas",
        )
    )


def _formulas_without_value(path: Path, sheet: str) -> list[str]:
    """Cell references (``"D2"``) of formulas with no cached value on one sheet."""
    with zipfile.ZipFile(path) as archive:
        member = _sheet_member(archive, sheet)
        if member is None:
            return []
        with archive.open(member) as stream:  # a quick scan first: most sheets have no <f>
            if not _contains(stream, re.compile(rb"<(?:\w+:)?f[ >/]")):
                return []
        found = []
        with archive.open(member) as stream:
            for _, element in ElementTree.iterparse(stream):
                if element.tag != f"{_MAIN}c":
                    continue
                formula = element.find(f"{_MAIN}f")
                value = element.find(f"{_MAIN}v")
                cached = value is not None and (value.text or element.get("t") == "str")
                if formula is not None and not cached and element.get("t") != "inlineStr":
                    found.append(element.get("r", "?"))
                element.clear()
        return found


def _contains(stream, pattern: re.Pattern[bytes], size: int = 1 << 20) -> bool:
    tail = b""
    while chunk := stream.read(size):
        if pattern.search(tail + chunk):
            return True
        tail = chunk[-16:]
    return False


def _sheet_member(archive: zipfile.ZipFile, sheet: str) -> str | None:
    """The zip member holding a sheet, by the workbook's own relationships."""
    try:
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except KeyError:
        return None
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{_RELS}Relationship")}
    for element in book.iter(f"{_MAIN}sheet"):
        if element.get("name") == sheet:
            target = targets.get(element.get(f"{_DOC_RELS}id"), "")
            member = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
                posixpath.join("xl", target))
            return member if member in archive.namelist() else None
    return None
