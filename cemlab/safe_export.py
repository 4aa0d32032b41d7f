"""Result tables written so that no cell can run code when a client opens the file.

Labels and statements come from client files; a spreadsheet runs a CSV cell that starts with
``=``, ``+``, ``-`` or ``@`` as a formula (OWASP "CSV Injection"), and openpyxl stores a Python
string that starts with ``=`` as a live formula in ``.xlsx``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

#: What a spreadsheet may read as the start of a formula: OWASP's = + - @ tab and carriage
#: return, a line feed (stripped like them by some importers), and the full-width forms of the
#: four signs, which Excel's input methods for East Asian languages turn into the ASCII ones.
DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
#: Characters XML 1.0 (so an .xlsx) cannot hold; openpyxl refuses a cell that has one.
_NOT_IN_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
#: What stands in for such a character in the workbook: visible, and never a formula.
REPLACEMENT = "\ufffd"


def neutralise(value: object) -> object:
    """A text cell that a spreadsheet could run, prefixed with ``'``; anything else as it is.

    The single quote is OWASP's advice: spreadsheets show the text, none evaluates it. Numbers
    (a negative one starts with ``-``) stay numbers: only ``str`` values are touched.
    """
    if isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES):
        return "'" + value
    return value


def for_xlsx(value: object) -> object:
    """A text cell as an .xlsx can hold it: characters XML forbids replaced by U+FFFD.

    A carriage return is written as the line feed an XML reader would turn it into anyway,
    so the text written is the text read back.
    """
    if not isinstance(value, str):
        return value
    return _NOT_IN_XLSX.sub(REPLACEMENT, value.replace("\r\n", "\n").replace("\r", "\n"))


def map_text(frame: pd.DataFrame, convert) -> pd.DataFrame:
    """A copy of ``frame`` with ``convert`` applied to every text cell, header and label.

    Column headers, index labels and the names of both axes come from client labels as often
    as the values do (a segment per row, a wave per column), so they are converted too.
    Numeric, boolean and date columns are left as they are.
    """
    out = pd.DataFrame(frame).copy()
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if _may_hold_text(column.dtype):
            out.isetitem(position, column.map(convert, na_action="ignore"))
    out.columns = _map_index(out.columns, convert)
    out.index = _map_index(out.index, convert)
    return out


def unformula(sheet: "Worksheet") -> None:
    """Store every cell openpyxl took for a formula as the text it is.

    openpyxl marks any string that starts with ``=`` as a formula (data type ``f``); as a
    string (``s``) Excel shows it and runs nothing. Text that Excel would turn into a formula
    when a user edits the cell (``=``, ``+``, ``-``, ``@`` ...) also gets Excel's quote prefix,
    the style behind a typed leading ``'``, so it stays text after an edit.
    """
    for row in sheet.iter_rows():
        for cell in row:
            if not isinstance(cell.value, str):
                continue
            if cell.data_type == "f":
                cell.data_type = "s"
            if cell.value.startswith(DANGEROUS_PREFIXES):
                cell.quotePrefix = True


def _may_hold_text(dtype: object) -> bool:
    return (pd.api.types.is_object_dtype(dtype) or isinstance(dtype, pd.StringDtype)
            or isinstance(dtype, pd.CategoricalDtype))


def _map_index(index: pd.Index, convert) -> pd.Index:
    names = [convert(name) for name in index.names]
    if isinstance(index, pd.MultiIndex):
        return pd.MultiIndex.from_tuples(
            [tuple(convert(v) for v in labels) for labels in index], names=names
        )
    if _may_hold_text(index.dtype):
        return pd.Index([convert(v) for v in index], name=names[0], dtype=object)
    return index.rename(names[0])
