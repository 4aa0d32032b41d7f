"""The validated shape every loader produces and every analysis takes.

A `Survey` holds the responses (one row a respondent, one column an item id, plus the group
column and optional segment / weight / wave columns), the instrument, and a `QualityLog` that
records every row excluded and every answer turned into missing, with its reason.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

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


@dataclass
class QualityLog:
    """The data-quality record of one load: what was read, excluded, recoded, and why."""

    source: str = ""
    rows_read: int = 0
    issues: list[QualityIssue] = field(default_factory=list)
    #: How the file was read, e.g. "CSV Qualtrics export, UTF-8, ',' delimited, 3 header rows".
    reading: str = ""
    #: Which column of the client's file fed each field (item id, group column, respondent_id...).
    columns: dict[str, str] = field(default_factory=dict)
    #: Answers left blank, per item id, among the respondents kept (blanks are not issues).
    blank: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, message: str, **where: object) -> None:
        self.issues.append(QualityIssue(kind=kind, message=message, **where))

    @property
    def excluded(self) -> list[QualityIssue]:
        return [i for i in self.issues if i.kind == "excluded"]

    @property
    def set_missing(self) -> list[QualityIssue]:
        return [i for i in self.issues if i.kind == "missing"]

    def reason_counts(self, kind: str) -> dict[str, int]:
        """How many issues of ``kind`` ("excluded", "missing") per reason, most frequent first."""
        counts = Counter(i.reason or i.message for i in self.issues if i.kind == kind)
        return dict(counts.most_common())

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


@dataclass
class Survey:
    """Validated responses, the instrument they answer, and the data-quality log.

    ``responses`` is indexed by respondent id; its columns are the instrument's item ids
    (float, NaN = missing, reverse-keyed items *not* yet reversed), the group column
    (``instrument.groups.column``, values among ``instrument.groups.levels``), and any of
    ``segment``, ``weight``, ``wave``; plus the recommend item when the instrument has one.
    """

    responses: pd.DataFrame
    instrument: Instrument
    quality: QualityLog = field(default_factory=QualityLog)
    source: Path | None = None
    #: Groups with fewer respondents than this get their results suppressed in reports.
    min_group_size: int = 5

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
            self.responses[mask], self.instrument, self.quality, self.source, self.min_group_size
        )

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k} {v}" for k, v in self.group_sizes().items())
        return (
            f"<Survey {self.instrument.name}: {self.n} respondents ({sizes}), "
            f"{len(self.item_ids)} items>"
        )
