"""Every error cemlab raises on purpose, in one place.

Each carries a message a consultant can act on: the file, the row as the client's spreadsheet
numbers it, the column, the value, and the fix. The command line prints the message, never a
traceback.
"""

from __future__ import annotations


class CemlabError(Exception):
    """Base class: an error whose message is meant for the user, not for a developer."""


class InstrumentError(CemlabError):
    """A questionnaire definition (instrument YAML) is malformed or unknown."""


class ParamsError(CemlabError):
    """A per-client params file is malformed, names unknown keys or points nowhere."""


class DataError(CemlabError):
    """A client's survey file cannot be read or does not fit the instrument."""


class AnalysisError(CemlabError):
    """An analysis cannot run on the data given (too few respondents, no variance, ...)."""


class RenderError(CemlabError):
    """A client report could not be rendered."""


def located(
    message: str,
    *,
    file: object | None = None,
    row: int | None = None,
    column: str | None = None,
    value: object | None = None,
    fix: str | None = None,
) -> str:
    """Compose a message that says where the problem is and how to fix it.

    ``row`` is the row number as the client's spreadsheet shows it (header rows included).
    """
    where = []
    if file is not None:
        where.append(str(file))
    if row is not None:
        where.append(f"row {row}")
    if column is not None:
        where.append(f"column {column!r}")
    text = (", ".join(where) + ": " if where else "") + message
    if value is not None:
        text += f" (value {value!r})"
    if fix:
        text += f". Fix: {fix}"
    return text
