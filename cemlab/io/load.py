"""`load`: a client's file, matched and checked, into a validated `Survey`; every row excluded
and every answer set missing is listed in the quality log.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from cemlab.exceptions import DataError, located
from cemlab.instrument import Instrument, load_instrument
from cemlab.io.answers import (
    _Answer,
    _distinct,
    _group_lookup,
    _group_of,
    _guess_group_column,
    _numbers,
    _read_answer,
    _texts,
)
from cemlab.io.matching import (
    _closest_columns,
    _ColumnPlan,
    _describe_choices,
    _find_named_column,
    _plan_columns,
    answer_fields,
)
from cemlab.io.readers import read_table
from cemlab.io.table import RawTable
from cemlab.io.text import MISSING_ANSWERS, _header_text, normalize_text
from cemlab.survey import IssueTemplate, QualityLog, Survey


class _Exclusions:
    """Rows taken out of the analysis; each is listed in the quality log with its reason.

    ``mask[i]`` is true when the table's ``i``-th row (by position) is excluded.
    """

    def __init__(self, log: QualityLog, table: RawTable) -> None:
        self.log = log
        self.file_name = table.path.name
        self.rows = table.cells.index.to_numpy()
        self.mask = np.zeros(len(self.rows), dtype=bool)
        self.first: str | None = None

    def add(self, position: int, reason: str, column: str | None, value: object, fix: str,
            *, detail: str = "") -> None:
        """Exclude the row at ``position`` for ``reason``; ``detail`` is added to the message."""
        row = int(self.rows[position])
        message = f"respondent excluded: {reason}{detail}"
        self._first(message, row, column, value)
        text = located(message, file=self.file_name, row=row, column=column, value=value,
                       fix=fix)
        self.log.add("excluded", text, row=row, column=column, value=value, reason=reason)
        self.mask[position] = True

    def add_cells(self, positions: np.ndarray, column: str, codes: np.ndarray,
                  values: list[object], templates: list[IssueTemplate],
                  details: list[str] | None = None) -> None:
        """Exclude the rows at ``positions`` (in row order), each for its template's reason."""
        if not len(positions):
            return
        first = templates[int(codes[0])]
        self._first(first.message + (details[0] if details else ""), int(self.rows[positions[0]]),
                    column, values[int(codes[0])])
        self.log.add_cells("excluded", column, self.rows[positions], codes, values, templates,
                           file=self.file_name, details=details)
        self.mask[positions] = True

    def _first(self, message: str, row: int, column: str | None, value: object) -> None:
        if self.first is None:
            self.first = located(message, row=row, column=column, value=value)

    def first_reason(self) -> str:
        """Where and why the first row was excluded, without its fix (for a one-line error)."""
        return self.first or "none"


def _compact(
    codes: np.ndarray, values: list[object], templates: list[IssueTemplate | None]
) -> tuple[np.ndarray, np.ndarray, list[object], list[IssueTemplate]]:
    """The positions whose value has a template, with codes into only the values used.

    ``codes`` may hold -1 (a blank cell): ``values[-1]`` / ``templates[-1]`` stand for it.
    """
    has_issue = np.array([t is not None for t in templates], dtype=bool)
    positions = np.flatnonzero(has_issue[codes])
    if not len(positions):
        return positions, positions, [], []
    used = np.flatnonzero(has_issue)
    remap = np.full(len(templates), -1)
    remap[used] = np.arange(len(used))
    return (positions, remap[codes[positions]], [values[i] for i in used],
            [t for t in templates if t is not None])


def _read_groups(
    table: RawTable,
    column: str,
    instrument: Instrument,
    lookup: Mapping[str, str],
    excluded: _Exclusions,
    excluded_labels: frozenset[str] = frozenset(),
) -> np.ndarray:
    """Each row's group level (by position); a row with a blank or unknown label is excluded.

    A label in ``excluded_labels`` (normalised) is excluded on purpose, with its own reason.
    """
    col = table.column(column)
    levels = ", ".join(instrument.groups.levels)
    codes, values = _distinct(table.cells[column])
    values.append(None)  # code -1, a blank cell, is the last
    no_group = IssueTemplate("respondent excluded: no group given", "no group given",
                             f"fill in the group ({levels}) if it is known")
    on_purpose = IssueTemplate("respondent excluded: excluded on purpose (exclude_labels)",
                               "excluded on purpose (exclude_labels)",
                               "remove the label from exclude_labels in the params file to "
                               "analyse these respondents")
    level_of: list[str | None] = []
    shown: list[object] = []
    templates: list[IssueTemplate | None] = []
    for value in values:
        level = None if value is None else _group_of(value, col, lookup)
        level_of.append(level)
        shown.append(value)
        if value is not None and excluded_labels and _group_of(
                value, col, dict.fromkeys(excluded_labels, "")) is not None:
            level_of[-1] = None
            shown[-1] = col.value_labels.get(value, value)
            templates.append(on_purpose)
        elif level is not None:
            templates.append(None)
        elif value is None or normalize_text(value) in MISSING_ANSWERS or \
                col.is_user_missing(value):
            templates.append(no_group)
        else:
            shown[-1] = col.value_labels.get(value, value)
            templates.append(IssueTemplate(
                "respondent excluded: unknown group label",
                "unknown group label",
                f"add it to the params file, group_labels: {{<level>: "
                f"[{_header_text(shown[-1])!r}]}}, with <level> one of {levels}",
            ))
    candidates = np.flatnonzero(~excluded.mask)  # a row already excluded is not listed again
    positions, block_codes, block_values, block_templates = _compact(
        codes[candidates], shown, templates)
    excluded.add_cells(candidates[positions], column, block_codes, block_values,
                       block_templates)
    return np.array(level_of, dtype=object)[codes]


def _read_ids(table: RawTable, column: str, excluded: _Exclusions) -> np.ndarray:
    """Each row's respondent id as text (by position); a blank or repeated id is excluded."""
    codes, values = _distinct(table.cells[column])
    keys = np.array([*_texts(values), None], dtype=object)[codes]
    candidates = np.flatnonzero(~excluded.mask)
    blank = candidates[codes[candidates] == -1]
    filled = candidates[codes[candidates] != -1]
    # 13, 13.0 and "13" are one id: repeats are found on the text
    key_codes, _ = pd.factorize(keys[filled])
    repeated = pd.Series(key_codes).duplicated(keep="first").to_numpy()
    _, first_position = np.unique(key_codes, return_index=True)
    first_row = excluded.rows[filled[first_position[key_codes]]]
    positions = np.concatenate([blank, filled[repeated]])
    if not len(positions):
        return keys
    first_of = np.concatenate([np.zeros(len(blank), dtype=int), first_row[repeated]])
    order = np.argsort(positions, kind="stable")
    positions, first_of = positions[order], first_of[order]
    repeated_template = IssueTemplate(
        "respondent excluded: repeated respondent id", "repeated respondent id",
        "give each respondent a unique id, or delete the repeated response")
    templates = [repeated_template] * len(values) + [IssueTemplate(
        "respondent excluded: no respondent id", "no respondent id",
        "fill in the id, or leave respondent_id out of the columns mapping to number "
        "respondents by row")]
    block_codes = np.where(codes[positions] == -1, len(values), codes[positions])
    details = [f" (first in row {row})" if code != len(values) else ""
               for row, code in zip(first_of.tolist(), block_codes.tolist())]
    excluded.add_cells(positions, column, block_codes, [*values, None], templates, details)
    return keys


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
    exclude_labels: Iterable[str] | None = None,
    cuts: Mapping[str, object] | Iterable[str] | None = None,
    comments: Mapping[str, str] | Iterable[str] | None = None,
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
    exclude_labels
        Group labels whose respondents are left out on purpose (contractors, a pilot team):
        listed as "excluded on purpose (exclude_labels)", never taken for unknown labels.
    cuts
        Demographic columns to carry in ``survey.cuts`` (department, location, tenure
        band...): name -> ``{"column": ..., "labels": {category: [label, ...]}}``, or just
        the column, or None / a list of names (the column named like the cut). Without
        ``labels`` the values are the categories as written (spaces normalised); with them a
        label that is none of them is set missing and listed ("unknown label"). Blank or a
        no-answer is "not stated", counted.
    comments
        Open-ended answer columns to carry as text in ``survey.comments``: name -> column, or a
        list of columns. A blank or whitespace answer is no comment (NA), counted.

    Returns
    -------
    Survey
        Responses indexed by respondent id (a respondent-id column, Qualtrics ``ResponseId``,
        SurveyMonkey ``Respondent ID``, else the spreadsheet row number); item columns float,
        the group column categorical in the instrument's level order; ``cuts`` and
        ``comments`` indexed alike. Columns not mapped or recognised (names, e-mails,
        timestamps) are in none of them. The quality log lists
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
    excluded_labels = _excluded_labels(exclude_labels or [], lookup, path)
    _restore_labelled_notes(table, lookup)
    plan = _plan_columns(table, instrument, columns or {})
    log = QualityLog(source=str(path), rows_read=len(table.cells))
    log.reading = table.describe()
    log.header = table.header_summary()
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

    for row, what in table.summary_rows.items():
        log.add(
            "note",
            located(f"a summary row below the data ({what}), not a respondent: left out",
                    file=path.name, row=row,
                    fix="if it is a respondent, give the row its group and answers"),
            row=row,
            reason="summary row below the data",
        )

    group_field = instrument.groups.column
    group_name = _group_column(table, instrument, plan, lookup, log)
    log.columns = {k: v for k, v in plan.fields.items() if v} | {group_field: group_name}
    excluded = _Exclusions(log, table)
    position_of = {row: i for i, row in enumerate(excluded.rows)} if table.malformed_rows else {}
    for row, detail in table.malformed_rows.items():
        excluded.add(position_of[row], "more cells than the header", None, None,
                     "quote answers that contain the delimiter, or export the file again",
                     detail=f": {detail}")
    groups = _read_groups(table, group_name, instrument, lookup, excluded, excluded_labels)
    id_name = plan.fields.get("respondent_id")
    ids = excluded.rows if id_name is None else _read_ids(table, id_name, excluded)

    kept = ~excluded.mask
    _account_for_every_row(table, log, kept)
    if not kept.any():
        raise DataError(
            located(
                f"no respondent left: all {len(table.cells)} rows were excluded, the first "
                f"because {excluded.first_reason()}",
                file=path,
                fix="see the exclusions listed by `cemlab validate`; most often the group "
                "labels need mapping in group_labels",
            )
        )

    columns_read: dict[str, object] = {}
    index = pd.Index(ids[kept], name="respondent")
    kept_rows = excluded.rows[kept]
    for item_id in answer_fields(instrument):
        column = plan.fields.get(item_id)
        if column is None:
            continue
        scale = instrument.scale_of(item_id)
        cells = _kept_cells(table, column, kept)
        columns_read[item_id] = _read_item(table, cells, kept_rows, column, item_id,
                                           scale.min, scale.max, log)
    columns_read[group_field] = pd.Categorical(groups[kept],
                                               categories=instrument.groups.levels)
    for extra in ("segment", "wave"):
        column = plan.fields.get(extra)
        if column and extra != group_field:
            codes, values = _distinct(_kept_cells(table, column, kept))
            texts = np.array([*_texts(values), None], dtype=object)
            columns_read[extra] = pd.Series(texts[codes], index=index, dtype="str")
    weight_column = plan.fields.get("weight")
    if weight_column:
        columns_read["weight"] = _read_weights(table, _kept_cells(table, weight_column, kept),
                                               kept_rows, weight_column, log)
    responses = pd.DataFrame(columns_read, index=index)
    cut_frame = pd.DataFrame(
        {name: _read_cut(table, name, spec, kept, kept_rows, log)
         for name, spec in _cut_specs(cuts).items()},
        index=index,
    )
    comment_frame = pd.DataFrame(
        {name: _read_comments(table, name, column, kept, log)
         for name, column in _comment_columns(comments).items()},
        index=index,
    )
    return Survey(responses, instrument, log, path, min_group_size=min_group_size,
                  cuts=cut_frame, comments=comment_frame)


def _excluded_labels(labels: Iterable[str], lookup: Mapping[str, str], path: Path
                     ) -> frozenset[str]:
    """The normalised labels excluded on purpose; one that also names a level is an error."""
    found = set()
    for label in labels:
        key = normalize_text(_header_text(label))
        if key in lookup:
            raise DataError(
                located(
                    f"exclude_labels lists {label!r}, which is also a label of the group level "
                    f"{lookup[key]!r}: its respondents cannot be both analysed and excluded",
                    file=path,
                    fix="take it out of exclude_labels or out of group_labels",
                )
            )
        found.add(key)
    return frozenset(found)


def _cut_specs(cuts: Mapping[str, object] | Iterable[str] | None
               ) -> dict[str, tuple[str | None, dict[str, list[str]] | None]]:
    """Each cut as (column or None: named like the cut, labels or None: values as written)."""
    if cuts is None:
        return {}
    if not isinstance(cuts, Mapping):
        return {str(name): (None, None) for name in cuts}
    specs = {}
    for name, spec in cuts.items():
        if spec is None or isinstance(spec, str):
            specs[str(name)] = (spec, None)
        else:
            spec = dict(spec) if isinstance(spec, Mapping) else spec.model_dump()
            labels = spec.get("labels")
            specs[str(name)] = (spec.get("column"),
                                None if labels is None else {str(k): list(v)
                                                             for k, v in labels.items()})
    return specs


def _comment_columns(comments: Mapping[str, str] | Iterable[str] | None) -> dict[str, str]:
    if comments is None:
        return {}
    if isinstance(comments, Mapping):
        return {str(name): str(column) for name, column in comments.items()}
    return {str(column): str(column) for column in comments}


def _named_column(table: RawTable, key: str, wanted: str) -> str:
    """The one column ``wanted`` names (header, any header row's text, or letter)."""
    found = _find_named_column(table, wanted)
    if len(found) == 1:
        return found[0].name
    problem = "no column" if not found else f"{len(found)} columns"
    listed = [c.name for c in found] or _closest_columns(table, wanted)
    raise DataError(
        located(
            f"{key} names the column {wanted!r}, but the file has {problem} of that name; "
            f"closest: {_describe_choices(listed)}",
            file=table.path,
            fix=f"give the exact column name in the params file ({key})",
        )
    )


def _read_cut(
    table: RawTable,
    name: str,
    spec: tuple[str | None, dict[str, list[str]] | None],
    kept: np.ndarray,
    rows: np.ndarray,
    log: QualityLog,
) -> pd.Categorical:
    """One demographic cut of the rows kept: its category, NaN when not stated or unknown."""
    wanted, labels = spec
    column = _named_column(table, f"cuts: {name}", wanted or name)
    col = table.column(column)
    log.columns[f"cuts.{name}"] = column
    codes, values = _distinct(_kept_cells(table, column, kept))
    lookup = {}
    for category, texts in (labels or {}).items():
        for text in [category, *texts]:
            lookup[normalize_text(_header_text(text))] = category
    category_of: list[str | None] = []
    templates: list[IssueTemplate | None] = []
    not_stated = np.zeros(len(values) + 1, dtype=bool)
    not_stated[-1] = True  # code -1: a blank cell
    for i, value in enumerate(values):
        label = _header_text(col.value_labels.get(value, value)) if value is not None else ""
        if not normalize_text(label) or normalize_text(label) in MISSING_ANSWERS or \
                col.is_user_missing(value):
            not_stated[i] = True
            category_of.append(None)
            templates.append(None)
        elif labels is None:
            category_of.append(" ".join(label.split()))
            templates.append(None)
        else:
            category = lookup.get(normalize_text(label))
            if category is None:
                category = lookup.get(normalize_text(_header_text(value)))
            category_of.append(category)
            templates.append(None if category is not None else IssueTemplate(
                f"cut {name} set missing: unknown label", f"unknown label for cut {name}",
                f"add it to the params file, cuts: {{{name}: {{labels: {{<category>: "
                f"[{label!r}]}}}}}}, with <category> one of {', '.join(labels)}"))
    positions, block_codes, block_values, block_templates = _compact(
        codes, [*values, None], [*templates, None])
    log.add_cells("missing", column, rows[positions], block_codes, block_values,
                  block_templates, file=table.path.name)
    log.not_stated[name] = int(not_stated[codes].sum())
    categories = list(labels) if labels is not None else sorted(
        {c for c in category_of if c is not None})
    return pd.Categorical(np.array([*category_of, None], dtype=object)[codes],
                          categories=categories)


def _read_comments(table: RawTable, name: str, wanted: str, kept: np.ndarray,
                   log: QualityLog) -> pd.Series:
    """One open-ended column of the rows kept, as text; blank or whitespace is no comment."""
    column = _named_column(table, f"comments: {name}", wanted)
    log.columns[f"comments.{name}"] = column
    codes, values = _distinct(_kept_cells(table, column, kept))
    texts = np.array([_header_text(v) or None for v in values] + [None], dtype=object)[codes]
    comments = pd.array(texts, dtype="string")
    log.no_comment[name] = int(comments.isna().sum())
    return comments


def _account_for_every_row(table: RawTable, log: QualityLog, kept: np.ndarray) -> None:
    """The no-loss guarantee: every row below the header is analysed, excluded or a note.

    Each data row is kept or excluded (listed once with its reason); blank rows, notes and
    summary rows (Total, Mean) below the data are listed as notes; together they are every
    row the reader saw. Counts that do not add up would mean a respondent lost unlisted: an
    internal error, never a result.
    """
    log.rows_below_header = table.rows_below_header
    log.analysed = int(kept.sum())
    log.note_rows = len(table.note_rows) + len(table.summary_rows)
    log.blank_rows = len(table.blank_rows)
    excluded = len(kept) - log.analysed
    listed = log.count("excluded")
    rows = np.sort(np.concatenate([table.cells.index.to_numpy(dtype=np.int64),
                                   np.fromiter(table.note_rows, dtype=np.int64),
                                   np.fromiter(table.summary_rows, dtype=np.int64),
                                   np.asarray(table.blank_rows, dtype=np.int64)]))
    distinct = int((np.diff(rows) != 0).sum()) + 1 if len(rows) else 0
    accounted = log.analysed + excluded + log.note_rows + log.blank_rows
    if accounted != table.rows_below_header or listed != excluded or distinct != accounted:
        raise DataError(
            located(
                "internal error: the rows do not add up. Rows below the header "
                f"{table.rows_below_header}; analysed {log.analysed} + excluded {excluded} "
                f"(listed {listed}) + notes {log.note_rows} + blank {log.blank_rows} = "
                f"{accounted} ({distinct} distinct row numbers)",
                file=table.path,
                fix="nothing was analysed; please report this to the cemlab maintainers with "
                "the file",
            )
        )


def _kept_cells(table: RawTable, column: str, kept: np.ndarray) -> pd.Series:
    """One column's cells of the rows kept (all rows when none was excluded: no copy)."""
    cells = table.cells[column]
    return cells if kept.all() else cells[kept]


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
    cells: pd.Series,
    rows: np.ndarray,
    column: str,
    item_id: str,
    low: int,
    high: int,
    log: QualityLog,
) -> np.ndarray:
    """One item's scores for the rows kept; every non-blank cell set missing is logged.

    Each distinct cell value is read once (`_read_answer`); the scores and the issues are
    then taken for all rows at once from its code.
    """
    col = table.column(column)
    codes, values = _distinct(cells)
    meanings = [_read_answer(value, col, low, high) for value in values]
    if all(m.value is None for m in meanings):
        text_codes = [c for c, m in enumerate(meanings) if m.kind == "not a number"]
        if text_codes:
            first = int(np.flatnonzero(np.isin(codes, text_codes))[0])
            raise DataError(
                located(
                    f"column for item {item_id} holds text, not scores on the {low}-{high} scale",
                    file=table.path,
                    row=int(rows[first]),
                    column=column,
                    value=values[int(codes[first])],
                    fix="export the answers as numbers (Qualtrics: 'use numeric values'; "
                    "SurveyMonkey: numerical values), or map the right column in columns:",
                )
            )
    log.blank[item_id] = int((codes == -1).sum())
    scores = np.array([math.nan if m.value is None else m.value for m in meanings] + [math.nan])
    templates: list[IssueTemplate | None] = [_answer_template(m, item_id, low, high)
                                             for m in meanings]
    positions, block_codes, block_values, block_templates = _compact(
        codes, [*values, None], [*templates, None])
    log.add_cells("missing", column, rows[positions], block_codes, block_values,
                  block_templates, file=table.path.name)
    return scores[codes]


def _answer_template(meaning: _Answer, item_id: str, low: int, high: int
                     ) -> IssueTemplate | None:
    """What the log says about a cell set missing (None: a score or a blank, nothing to say)."""
    if not meaning.kind:
        return None
    if meaning.kind == "no answer":
        return IssueTemplate(f"read as missing: {meaning.problem}", meaning.problem)
    if meaning.kind == "not whole":
        fix = (f"answers are whole numbers from {low} to {high}: correct it in the client's "
               "file, or leave it empty")
    elif meaning.kind == "ambiguous":
        fix = (f"ask which one score from {low} to {high} was meant and correct it in the "
               "client's file, or leave it empty")
    else:
        fix = (f"correct it in the client's file to a whole number from {low} to {high}, or "
               "leave it empty")
    return IssueTemplate(f"answer to {item_id} set missing: {meaning.problem}", meaning.problem,
                         fix)


def _read_weights(table: RawTable, cells: pd.Series, rows: np.ndarray, column: str,
                  log: QualityLog) -> np.ndarray:
    """Survey weights: positive numbers; anything else is logged and left missing."""
    codes, values = _distinct(cells)
    numbers = _numbers(values)
    bad = IssueTemplate("weight set missing: not a positive number",
                        "weight not a positive number", "correct the weight")
    templates = [bad if n is None or n <= 0 else None for n in numbers]
    positions, block_codes, block_values, block_templates = _compact(
        codes, [*values, None], [*templates, None])
    log.add_cells("missing", column, rows[positions], block_codes, block_values,
                  block_templates, file=table.path.name)
    weights = np.array([math.nan if t is not None or n is None else n
                        for n, t in zip(numbers, templates)] + [math.nan])
    return weights[codes]
