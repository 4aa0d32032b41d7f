"""`load`: a client's file, matched and checked, into a validated `Survey`; every row excluded
and every answer set missing is listed in the quality log.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from cemlab.exceptions import DataError, located
from cemlab.instrument import Instrument, load_instrument
from cemlab.io.answers import _group_lookup, _group_of, _guess_group_column, _read_answer
from cemlab.io.matching import (
    _closest_columns,
    _ColumnPlan,
    _describe_choices,
    _plan_columns,
    answer_fields,
)
from cemlab.io.readers import read_table
from cemlab.io.table import RawTable
from cemlab.io.text import MISSING_ANSWERS, _header_text, _to_number, normalize_text
from cemlab.survey import QualityLog, Survey


class _Exclusions:
    """Rows taken out of the analysis; each is listed in the quality log with its reason."""

    def __init__(self, log: QualityLog, file_name: str) -> None:
        self.log = log
        self.file_name = file_name
        self.messages: dict[int, str] = {}

    def __contains__(self, row: int) -> bool:
        return row in self.messages

    def add(
        self,
        row: int,
        reason: str,
        column: str | None,
        value: object,
        fix: str,
        *,
        detail: str = "",
    ) -> None:
        """Exclude ``row`` for ``reason`` (counted as is); ``detail`` is added to the message."""
        message = f"respondent excluded: {reason}{detail}"
        self.messages[row] = located(message, row=row, column=column, value=value)
        text = located(message, file=self.file_name, row=row, column=column, value=value, fix=fix)
        self.log.add("excluded", text, row=row, column=column, value=value, reason=reason)

    def first_reason(self) -> str:
        """Where and why the first row was excluded, without its fix (for a one-line error)."""
        return next(iter(self.messages.values()), "none")


def _read_groups(
    table: RawTable,
    column: str,
    instrument: Instrument,
    lookup: Mapping[str, str],
    excluded: _Exclusions,
) -> dict[int, str]:
    """Each row's group level; a row with a blank or unknown label is excluded and listed."""
    col = table.column(column)
    levels = ", ".join(instrument.groups.levels)
    groups: dict[int, str] = {}
    cells = table.values(column)
    level_of = {cell: _group_of(cell, col, lookup) for cell in dict.fromkeys(c for _, c in cells)}
    for row, cell in cells:
        if row in excluded:
            continue
        level = level_of[cell]
        if level is not None:
            groups[row] = level
        elif cell is None or normalize_text(cell) in MISSING_ANSWERS or col.is_user_missing(cell):
            excluded.add(row, "no group given", column, cell,
                         f"fill in the group ({levels}) if it is known")
        else:
            shown = col.value_labels.get(cell, cell)
            excluded.add(
                row,
                "unknown group label",
                column,
                shown,
                f"add it to the params file, group_labels: {{<level>: [{_header_text(shown)!r}]}}, "
                f"with <level> one of {levels}",
            )
    return groups


def _read_ids(table: RawTable, column: str, excluded: _Exclusions) -> dict[int, object]:
    """Each row's respondent id (as text); a blank or repeated id is excluded and listed."""
    ids: dict[int, object] = {}
    first_seen: dict[str, int] = {}
    for row, cell in table.values(column):
        if row in excluded:
            continue
        if cell is None:
            excluded.add(row, "no respondent id", column, None,
                         "fill in the id, or leave respondent_id out of the columns mapping to "
                         "number respondents by row")
            continue
        key = _header_text(cell)
        if key in first_seen:
            excluded.add(row, "repeated respondent id", column, cell,
                         "give each respondent a unique id, or delete the repeated response",
                         detail=f" (first in row {first_seen[key]})")
            continue
        first_seen[key] = row
        ids[row] = key
    return ids


def _group_column(
    table: RawTable,
    instrument: Instrument,
    plan: _ColumnPlan,
    lookup: Mapping[str, str],
    log: QualityLog,
) -> str:
    """The group column: mapped or named after the group, else recognised by its values."""
    group_field = instrument.groups.column
    named = plan.fields.get(group_field)
    if named is not None:
        return named
    guessed = _guess_group_column(table, lookup, {n for n in plan.fields.values() if n})
    if guessed is None:
        close = _closest_columns(table, group_field, "group", "role")
        raise DataError(
            located(
                f"no group column {group_field!r} (levels "
                f"{', '.join(instrument.groups.levels)}); closest columns: "
                f"{_describe_choices(close)}",
                file=table.path,
                fix=f"name the column in the params file: columns: {{{group_field}: <column>}}",
            )
        )
    log.add("note", f"group column {group_field!r} read from column {guessed.name!r}, whose "
                    "values are group labels")
    return guessed.name


# -- load ------------------------------------------------------------------------------------


def load(
    path: str | Path,
    instrument: str | Path | Instrument = "cem-maturity",
    *,
    columns: Mapping[str, str | None] | None = None,
    group_labels: Mapping[str, Iterable[str]] | None = None,
    sheet: str | int | None = None,
    min_group_size: int = 5,
) -> Survey:
    """Read a client's survey file into a validated `Survey`.

    Parameters
    ----------
    path
        CSV, Excel ``.xlsx``, SPSS ``.sav``, or a Qualtrics / SurveyMonkey CSV export; the format
        is detected from the content. The file is never written to.
    instrument
        A built-in instrument name, a path to an instrument YAML, or an `Instrument`.
    columns
        Where each field is when the headers do not say: item id -> column name (or ``None``:
        the question was not asked), and the group column (``role`` for cem-maturity, or
        ``group``), ``respondent_id``, ``segment``, ``weight``, ``wave``. A column is named by
        its header, any header row's text (question text) or its spreadsheet letter.
    group_labels
        Level -> the labels the client's file uses for it, on top of the instrument's own
        ``groups.labels``; compared ignoring case, spaces and punctuation.
    sheet
        The Excel sheet (name or 0-based position); default the first.
    min_group_size
        Kept on the Survey: analyses suppress figures of groups smaller than this, and
        `cemlab validate` names them.

    Returns
    -------
    Survey
        Responses indexed by respondent id (a respondent-id column, Qualtrics ``ResponseId``,
        SurveyMonkey ``Respondent ID``, else the spreadsheet row number); item columns float,
        the group column categorical in the instrument's level order. The quality log lists
        every row excluded (unknown or blank group, duplicate id, malformed row) and every
        answer set missing ("Don't know", SPSS user-missing codes, out of range, not a number),
        each with the spreadsheet row, the column and the value.

    Raises
    ------
    DataError
        The file cannot be read, a question or the group column is missing (the message lists
        the closest column names), or no respondent is left. The message names the file, the
        row, the column, the value and the fix.

    Notes
    -----
    Matching order for each item: the ``columns`` mapping, then a column named like the item
    id, then a header (any header row) carrying the statement text, ignoring case, accents,
    spacing and punctuation; a header that ends in the statement after a separator
    ("Q5 - Leaders make ...", "Please rate ... - Leaders make ...") also matches.
    """
    path = Path(path)
    instrument = load_instrument(instrument)
    table = read_table(path, sheet=sheet)
    lookup = _group_lookup(instrument, group_labels or {}, path)
    _restore_labelled_notes(table, lookup)
    plan = _plan_columns(table, instrument, columns or {})
    log = QualityLog(source=str(path), rows_read=len(table.cells))
    log.reading = table.describe()
    for note in plan.notes:
        log.add("note", note)
    if table.blank_rows:
        log.add(
            "note",
            f"{len(table.blank_rows)} empty row(s) skipped: rows "
            + ", ".join(str(r) for r in table.blank_rows[:20])
            + (" ..." if len(table.blank_rows) > 20 else ""),
        )

    for row, (column, text) in table.note_rows.items():
        log.add(
            "note",
            located("a note below the data (one cell filled), not a response: left out",
                    file=path.name, row=row, column=column, value=text,
                    fix="if it is a response, fill in its other cells"),
            row=row,
            column=column,
            value=text,
            reason="note below the data",
        )

    group_field = instrument.groups.column
    group_name = _group_column(table, instrument, plan, lookup, log)
    log.columns = {k: v for k, v in plan.fields.items() if v} | {group_field: group_name}
    excluded = _Exclusions(log, path.name)
    for row, detail in table.malformed_rows.items():
        excluded.add(row, "more cells than the header", None, None,
                     "quote answers that contain the delimiter, or export the file again",
                     detail=f": {detail}")
    groups = _read_groups(table, group_name, instrument, lookup, excluded)
    id_name = plan.fields.get("respondent_id")
    if id_name is None:
        ids: dict[int, object] = {row: row for row in table.cells.index}
    else:
        ids = _read_ids(table, id_name, excluded)

    kept = [row for row in table.cells.index if row not in excluded]
    if not kept:
        raise DataError(
            located(
                f"no respondent left: all {len(table.cells)} rows were excluded, the first "
                f"because {excluded.first_reason()}",
                file=path,
                fix="see the exclusions listed by `cemlab validate`; most often the group "
                "labels need mapping in group_labels",
            )
        )

    # answers
    responses = pd.DataFrame(index=pd.Index([ids[r] for r in kept], name="respondent"))
    for item_id in answer_fields(instrument):
        column = plan.fields.get(item_id)
        if column is None:
            continue
        scale = instrument.scale_of(item_id)
        responses[item_id] = _read_item(table, column, item_id, scale.min, scale.max, kept, log)
    responses[group_field] = pd.Categorical(
        [groups[r] for r in kept], categories=instrument.groups.levels
    )
    for extra in ("segment", "wave"):
        column = plan.fields.get(extra)
        if column and extra != group_field:
            responses[extra] = pd.Series(
                [None if c is None else _header_text(c) for _, c in table.values(column, kept)],
                index=responses.index,
                dtype="str",
            )
    weight_column = plan.fields.get("weight")
    if weight_column:
        responses["weight"] = _read_weights(table, weight_column, kept, log)

    return Survey(responses, instrument, log, path, min_group_size=min_group_size)


def _restore_labelled_notes(table: RawTable, lookup: Mapping[str, str]) -> None:
    """Give the notes below the data, up to the last that is a group label, back as responses.

    `read_table` sets aside one-cell text rows below the data but cannot know the group labels:
    a last row with only "Staff" in it is a respondent, as it would be above other responses,
    and so is every one-cell row above it.
    """
    # a note in a blank column that `read_table` dropped is in no column of the table: it stays
    kept_columns = set(table.cells.columns)
    last_label = max(
        (row for row, (column, text) in table.note_rows.items()
         if column in kept_columns and _group_of(text, table.column(column), lookup) is not None),
        default=0,
    )
    back = {row: table.note_rows[row] for row, (column, _) in table.note_rows.items()
            if row <= last_label and column in kept_columns}
    if not back:
        return
    for row in back:
        del table.note_rows[row]
    given_back = pd.DataFrame(
        [[text if name == column else None for name in table.cells.columns]
         for column, text in back.values()],
        index=pd.Index(list(back), name="row"),
        columns=table.cells.columns,
        dtype=object,
    )
    table.cells = pd.concat([table.cells, given_back])


def _read_item(
    table: RawTable,
    column: str,
    item_id: str,
    low: int,
    high: int,
    rows: list[int],
    log: QualityLog,
) -> list[float]:
    """One item's scores for ``rows``; every non-blank cell set missing is logged."""
    col = table.column(column)
    cells = table.values(column, rows)
    distinct = dict.fromkeys(cell for _, cell in cells)
    meanings = {cell: _read_answer(cell, col, low, high) for cell in distinct}
    if all(m.value is None for m in meanings.values()):
        texts = [(row, c) for row, c in cells if meanings[c].kind == "not a number"]
        if texts:
            row, cell = texts[0]
            raise DataError(
                located(
                    f"column for item {item_id} holds text, not scores on the {low}-{high} scale",
                    file=table.path,
                    row=row,
                    column=column,
                    value=cell,
                    fix="export the answers as numbers (Qualtrics: 'use numeric values'; "
                    "SurveyMonkey: numerical values), or map the right column in columns:",
                )
            )
    log.blank[item_id] = sum(cell is None for _, cell in cells)
    scores = []
    for row, cell in cells:
        meaning = meanings[cell]
        scores.append(math.nan if meaning.value is None else meaning.value)
        if not meaning.kind:
            continue
        if meaning.kind == "no answer":
            message, fix = f"read as missing: {meaning.problem}", None
        elif meaning.kind == "not whole":
            message = f"answer to {item_id} set missing: {meaning.problem}"
            fix = (
                f"answers are whole numbers from {low} to {high}: correct it in the client's "
                "file, or leave it empty"
            )
        else:
            message = f"answer to {item_id} set missing: {meaning.problem}"
            fix = (
                f"correct it in the client's file to a whole number from {low} to {high}, "
                "or leave it empty"
            )
        log.add(
            "missing",
            located(message, file=table.path.name, row=row, column=column, value=cell, fix=fix),
            row=row,
            column=column,
            value=cell,
            reason=meaning.problem,
        )
    return scores


def _read_weights(table: RawTable, column: str, rows: list[int], log: QualityLog) -> list[float]:
    """Survey weights: positive numbers; anything else is logged and left missing."""
    weights = []
    for row, cell in table.values(column, rows):
        number = None if cell is None else _to_number(cell)
        if cell is not None and (number is None or number <= 0):
            log.add(
                "missing",
                located("weight set missing: not a positive number", file=table.path.name,
                        row=row, column=column, value=cell, fix="correct the weight"),
                row=row,
                column=column,
                value=cell,
                reason="weight not a positive number",
            )
            number = None
        weights.append(math.nan if number is None else number)
    return weights
