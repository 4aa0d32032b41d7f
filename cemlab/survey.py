"""The validated shape every loader produces and every analysis takes.

A `Survey` holds the responses (one row a respondent, one column an item id, plus the group
column and optional segment / weight / wave columns), the instrument, and a `QualityLog` that
records every row excluded and every answer turned into missing, with its reason.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cemlab.exceptions import located
from cemlab.instrument import Instrument

#: Optional respondent-level columns a Survey may carry besides items and the group column.
OPTIONAL_COLUMNS = ("segment", "weight", "wave")


@dataclass
class QualityIssue:
    """One thing the loader did to the data: a row excluded, a value set to missing, a note."""

    kind: str  # "excluded", "missing", "recoded", "note"
    message: str
    row: int | None = None  # as the client's spreadsheet numbers it
    column: str | None = None
    value: object | None = None
    #: The reason alone, without file, row or value ("outside the 1-10 scale"), for counting.
    reason: str = ""


@dataclass(frozen=True)
class IssueTemplate:
    """What the issues of one distinct cell value say: message, reason and fix."""

    message: str
    reason: str
    fix: str | None = None


@dataclass(frozen=True)
class _IssueBlock:
    """Many issues of one kind in one column, kept as arrays; messages are made when read.

    A million-row file with 200,000 "Don't know" answers would otherwise build 200,000
    message strings that nobody reads: the summary shows counts and a few examples.
    ``codes[i]`` points into ``values`` and ``templates`` (one per distinct cell value);
    ``details[i]``, when given, is added to that row's message ("(first in row 2)").
    """

    kind: str
    file: str | None
    column: str | None
    rows: np.ndarray
    codes: np.ndarray
    values: list[object]
    templates: list[IssueTemplate]
    details: list[str] | None = None

    def __len__(self) -> int:
        return len(self.rows)

    def issue(self, i: int) -> QualityIssue:
        code = int(self.codes[i])
        template, value, row = self.templates[code], self.values[code], int(self.rows[i])
        message = template.message + (self.details[i] if self.details is not None else "")
        return QualityIssue(
            kind=self.kind,
            message=located(message, file=self.file, row=row, column=self.column, value=value,
                            fix=template.fix),
            row=row,
            column=self.column,
            value=value,
            reason=template.reason,
        )


@dataclass(frozen=True)
class IssueGroup:
    """Issues that say the same thing (kind, reason, column, value) about several rows."""

    kind: str
    reason: str
    column: str | None
    value: object | None
    count: int
    #: The first rows (all of them when few), in row order.
    rows: list[int]
    #: The first of them, whose message (with its fix) stands for all when there is one row.
    first: QualityIssue


@dataclass
class QualityLog:
    """The data-quality record of one load: what was read, excluded, recoded, and why.

    Issues are added one by one (`add`) or, for the cells of a column, as arrays
    (`add_cells`); `issues`, `excluded`, `set_missing` and `table()` give every one of them
    with its message, `reason_counts`, `count` and `grouped` count them without making the
    messages.
    """

    source: str = ""
    #: Data rows read (respondents before exclusions; blank and note rows are not counted).
    rows_read: int = 0
    #: How the file was read, e.g. "CSV Qualtrics export, UTF-8, ',' delimited, 3 header rows".
    reading: str = ""
    #: Which column of the client's file fed each field (item id, group column, respondent_id...).
    columns: dict[str, str] = field(default_factory=dict)
    #: Answers left blank, per item id, among the respondents kept (blanks are not issues).
    blank: dict[str, int] = field(default_factory=dict)
    #: The header rows consumed: "header rows: 2 (column names row 1; SurveyMonkey ...)".
    header: str = ""
    #: Every row the reader saw below the header rows, and where each went: `load` checks
    #: that rows_below_header == analysed + excluded + notes + blank rows (``note_rows``
    #: counts notes and summary rows such as "Total" below the data).
    rows_below_header: int = 0
    analysed: int = 0
    note_rows: int = 0
    blank_rows: int = 0
    #: Respondents kept whose cut was blank ("not stated"), per cut name.
    not_stated: dict[str, int] = field(default_factory=dict)
    #: Respondents kept who left a comment column blank, per comment name.
    no_comment: dict[str, int] = field(default_factory=dict)
    _entries: list[QualityIssue | _IssueBlock] = field(default_factory=list, repr=False)
    _materialised: list[QualityIssue] | None = field(default=None, repr=False)

    def accounting(self) -> str:
        """Where every row below the header went, as `cemlab validate` prints it."""
        return (
            f"Rows below the header: {self.rows_below_header} = analysed {self.analysed} + "
            f"excluded {self.count('excluded')} + notes/blank {self.note_rows + self.blank_rows}"
        )

    def add(self, kind: str, message: str, **where: object) -> None:
        self._entries.append(QualityIssue(kind=kind, message=message, **where))
        self._materialised = None

    def add_cells(
        self,
        kind: str,
        column: str | None,
        rows: np.ndarray,
        codes: np.ndarray,
        values: list[object],
        templates: list[IssueTemplate],
        *,
        file: str | None = None,
        details: list[str] | None = None,
    ) -> None:
        """Add one issue per entry of ``rows``: its value and template are ``codes[i]``'s."""
        if len(rows) == 0:
            return
        self._entries.append(
            _IssueBlock(kind, file, column, np.asarray(rows), np.asarray(codes), list(values),
                        list(templates), details)
        )
        self._materialised = None

    @property
    def issues(self) -> list[QualityIssue]:
        """Every issue, in the order the loader met them, each with its full message."""
        if self._materialised is None:
            found: list[QualityIssue] = []
            for entry in self._entries:
                if isinstance(entry, QualityIssue):
                    found.append(entry)
                else:
                    found.extend(entry.issue(i) for i in range(len(entry)))
            self._materialised = found
        return self._materialised

    @property
    def excluded(self) -> list[QualityIssue]:
        return [i for i in self.issues if i.kind == "excluded"]

    @property
    def set_missing(self) -> list[QualityIssue]:
        return [i for i in self.issues if i.kind == "missing"]

    def count(self, kind: str) -> int:
        """How many issues of ``kind``, without making their messages."""
        return sum(
            (entry.kind == kind) if isinstance(entry, QualityIssue)
            else len(entry) * (entry.kind == kind)
            for entry in self._entries
        )

    def reason_counts(self, kind: str) -> dict[str, int]:
        """How many issues of ``kind`` ("excluded", "missing") per reason, most frequent first."""
        counts: Counter[str] = Counter()
        for entry in self._entries:
            if entry.kind != kind:
                continue
            if isinstance(entry, QualityIssue):
                counts[entry.reason or entry.message] += 1
                continue
            for code, n in _counts_in_order(entry.codes):
                counts[entry.templates[code].reason] += n
        return dict(counts.most_common())

    def grouped(self, kind: str, *, rows_shown: int = 8) -> list[IssueGroup]:
        """The issues of ``kind`` that say the same (reason, column, value), most rows first.

        "45 x 'Specjalista', rows 4, 7, 8, ..." instead of 45 lines; ``rows`` of each group
        keeps its first ``rows_shown`` rows (its count is the full number).
        """
        groups: dict[tuple, tuple[QualityIssue, list[int], int]] = {}
        for entry in self._entries:
            if entry.kind != kind:
                continue
            if isinstance(entry, QualityIssue):
                parts = [(entry, [entry.row] if entry.row is not None else [], 1)]
            else:
                order = np.argsort(entry.codes, kind="stable")
                bounds = np.flatnonzero(np.diff(entry.codes[order])) + 1
                parts = []
                for positions in np.split(order, bounds):
                    shown = sorted(int(r) for r in entry.rows[positions[:rows_shown]])
                    parts.append((entry.issue(int(positions[0])), shown, len(positions)))
            for issue, rows, n in parts:
                key = (issue.reason or issue.message, issue.column, repr(issue.value))
                first, kept, total = groups.get(key, (issue, [], 0))
                groups[key] = (first, (kept + rows)[:rows_shown], total + n)
        found = [
            IssueGroup(first.kind, first.reason or first.message, first.column, first.value,
                       total, sorted(rows), first)
            for first, rows, total in groups.values()
        ]
        return sorted(found, key=lambda group: -group.count)

    def select(self, kind: str, reason: str | None = None, limit: int | None = None
               ) -> list[QualityIssue]:
        """The first ``limit`` issues of ``kind`` (and ``reason``), making only their messages."""
        found: list[QualityIssue] = []
        for entry in self._entries:
            if limit is not None and len(found) >= limit:
                break
            if entry.kind != kind:
                continue
            if isinstance(entry, QualityIssue):
                if reason is None or (entry.reason or entry.message) == reason:
                    found.append(entry)
                continue
            wanted = np.arange(len(entry))
            if reason is not None:
                codes = [c for c, t in enumerate(entry.templates) if t.reason == reason]
                wanted = np.flatnonzero(np.isin(entry.codes, codes))
            for i in wanted[: None if limit is None else limit - len(found)]:
                found.append(entry.issue(int(i)))
        return found

    def frame(self) -> pd.DataFrame:
        """Every issue as a row (kind, row, column, value, reason), without the messages."""
        parts = []
        for entry in self._entries:
            if isinstance(entry, QualityIssue):
                parts.append(pd.DataFrame({
                    "kind": [entry.kind], "row": pd.array([entry.row], dtype="Int64"),
                    "column": [entry.column], "value": pd.Series([entry.value], dtype=object),
                    "reason": [entry.reason]}))
                continue
            values = np.empty(len(entry.values), dtype=object)
            values[:] = entry.values
            reasons = np.array([t.reason for t in entry.templates], dtype=object)
            parts.append(pd.DataFrame({
                "kind": entry.kind, "row": pd.array(entry.rows, dtype="Int64"),
                "column": entry.column, "value": values[entry.codes],
                "reason": reasons[entry.codes]}))
        if not parts:
            return pd.DataFrame(columns=["kind", "row", "column", "value", "reason"])
        return pd.concat(parts, ignore_index=True)

    def table(self) -> pd.DataFrame:
        """Every issue as a row: kind, row, column, value, message, reason."""
        return pd.DataFrame(
            [
                {
                    "kind": i.kind,
                    "row": i.row,
                    "column": i.column,
                    "value": i.value,
                    "message": i.message,
                    "reason": i.reason,
                }
                for i in self.issues
            ],
            columns=["kind", "row", "column", "value", "message", "reason"],
        )


def _counts_in_order(codes: np.ndarray) -> list[tuple[int, int]]:
    """(code, count) pairs in the order each code first occurs, as a Counter would add them."""
    unique, first, counts = np.unique(codes, return_index=True, return_counts=True)
    order = np.argsort(first)
    return [(int(unique[i]), int(counts[i])) for i in order]


@dataclass
class Survey:
    """Validated responses, the instrument they answer, and the data-quality log.

    ``responses`` is indexed by respondent id; its columns are the instrument's item ids
    (float, NaN = missing, reverse-keyed items *not* yet reversed), the group column
    (``instrument.groups.column``, values among ``instrument.groups.levels``), and any of
    ``segment``, ``weight``, ``wave``; plus the recommend item when the instrument has one.

    ``cuts`` (demographic columns named in the params: department, location, tenure band...,
    categorical, NaN = not stated or an unknown label) and ``comments`` (open-ended answers,
    text, NA = no comment) are indexed like ``responses``; columns the params do not name
    (names, e-mails, timestamps) are in none of the three.
    """

    responses: pd.DataFrame
    instrument: Instrument
    quality: QualityLog = field(default_factory=QualityLog)
    source: Path | None = None
    #: Groups with fewer respondents than this get their results suppressed in reports.
    min_group_size: int = 5
    cuts: pd.DataFrame | None = None
    comments: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        if self.cuts is None:
            self.cuts = pd.DataFrame(index=self.responses.index)
        if self.comments is None:
            self.comments = pd.DataFrame(index=self.responses.index)

    @property
    def group_column(self) -> str:
        return self.instrument.groups.column

    @property
    def item_ids(self) -> list[str]:
        """The instrument's item ids present in the responses, in questionnaire order."""
        return [i for i in self.instrument.item_ids if i in self.responses.columns]

    @property
    def items(self) -> pd.DataFrame:
        """The item answers only (respondents x items)."""
        return self.responses[self.item_ids]

    @property
    def groups(self) -> pd.Series:
        return self.responses[self.group_column]

    @property
    def weights(self) -> pd.Series | None:
        return self.responses["weight"] if "weight" in self.responses.columns else None

    @property
    def n(self) -> int:
        return len(self.responses)

    def group_sizes(self) -> pd.Series:
        """Respondents per group level, in the instrument's order (zero for absent levels)."""
        counts = self.groups.value_counts()
        return counts.reindex(self.instrument.groups.levels, fill_value=0).rename("respondents")

    def subset(self, mask: pd.Series) -> Survey:
        """A Survey of the respondents where ``mask`` is true (same instrument and log)."""
        return Survey(
            self.responses[mask], self.instrument, self.quality, self.source,
            self.min_group_size, cuts=self.cuts[mask], comments=self.comments[mask],
        )

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k} {v}" for k, v in self.group_sizes().items())
        return (
            f"<Survey {self.instrument.name}: {self.n} respondents ({sizes}), "
            f"{len(self.item_ids)} items>"
        )
