"""Checking a client's params and data before any analysis: the data-quality summary.

`validate_params_file` is what ``cemlab validate PARAMS.yaml`` runs: it loads the params and
every data file they name and says whether the data can be analysed, and what was lost and why.
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from cemlab.benchmarks import COLUMNS as BENCHMARK_COLUMNS
from cemlab.benchmarks import load_benchmark
from cemlab.exceptions import CemlabError, ParamsError
from cemlab.instrument import describe_validation_error
from cemlab.io import answer_fields
from cemlab.params import Params, data_files, load_params
from cemlab.survey import IssueGroup, Survey

#: How many set-missing answers the summary lists one by one under each reason.
EXAMPLES_PER_REASON = 5


def analysis_problems(survey: Survey) -> list[str]:
    """Why a loaded survey cannot be analysed; empty when it can.

    A survey is analysable when every group level has respondents (a management-vs-staff
    study with no staff compares nothing) and at least one group reaches ``min_group_size``:
    smaller groups are suppressed in reports, so with none large enough a report would be
    empty.
    """
    sizes = survey.group_sizes()
    shown = ", ".join(f"{level} {count}" for level, count in sizes.items())
    problems = []
    empty = [str(level) for level, count in sizes.items() if count == 0]
    if empty and survey.n:
        excluded = survey.quality.count("excluded")
        problems.append(
            f"no respondent in group {', '.join(repr(e) for e in empty)} ({shown}"
            + (f"; {excluded} row(s) excluded" if excluded else "")
            + "): the groups cannot be compared. Fix: check the group column and its labels "
            "(group_labels in the params file); the exclusions above list the labels not read"
        )
    if not (sizes >= survey.min_group_size).any():
        problems.append(
            f"no group reaches min_group_size {survey.min_group_size} ({shown}): every result "
            "would be suppressed. Fix: collect more responses, or lower min_group_size in the "
            "params file if the client accepts smaller groups"
        )
    return problems


def quality_summary(survey: Survey) -> str:
    """The data-quality summary of one loaded survey, as plain text lines.

    Respondents read, excluded and analysed; respondents per group and the groups below
    ``min_group_size``; every excluded row with its reason; answers set missing, counted by
    reason with examples; missing answers per item (blank or set missing).
    """
    log = survey.quality
    lines = []
    if log.reading:
        lines.append(f"Read as: {log.reading}")
    if log.header:
        lines.append(log.header[0].upper() + log.header[1:])
    if log.rows_below_header:
        lines.append(log.accounting())
    excluded = log.count("excluded")
    lines.append(
        f"Respondents read: {log.rows_read}; excluded: {excluded}; analysed: {survey.n}"
    )
    sizes = survey.group_sizes()
    lines.append("Groups: " + ", ".join(f"{level} {count}" for level, count in sizes.items()))
    small = [f"{level} ({n})" for level, n in sizes.items() if n < survey.min_group_size]
    lines.append(
        f"Below min_group_size {survey.min_group_size}: "
        + (", ".join(small) + " - results suppressed" if small else "none")
    )
    if excluded:
        counts = ", ".join(f"{n} x {reason}" for reason, n in log.reason_counts("excluded").items())
        lines.append(f"Excluded rows ({excluded}): {counts}")
        lines.extend(f"  {_grouped_line(group)}" for group in log.grouped("excluded"))
    set_missing = log.count("missing")
    if set_missing:
        lines.append(f"Answers set missing ({set_missing}):")
        field_of = {column: name for name, column in log.columns.items()}
        groups = log.grouped("missing")
        for reason, total in log.reason_counts("missing").items():
            of_reason = [g for g in groups if g.reason == reason]
            fields: Counter[str] = Counter()
            for group in of_reason:
                fields[field_of.get(group.column, group.column)] += group.count
            where = ", ".join(f"{name}: {n}" for name, n in fields.most_common())
            lines.append(f"  {total} x {reason} ({where})")
            lines.extend(f"    {_grouped_line(g)}" for g in of_reason[:EXAMPLES_PER_REASON])
            rest = sum(g.count for g in of_reason[EXAMPLES_PER_REASON:])
            if rest:
                lines.append(f"    ... and {rest} more")
    present = [f for f in answer_fields(survey.instrument) if f in survey.responses.columns]
    missing = survey.responses[present].isna().sum()
    incomplete = missing[missing > 0]
    lines.append(
        f"Missing answers per item (blank or set missing): {len(missing) - len(incomplete)} of "
        f"{len(missing)} items complete" + (":" if len(incomplete) else "")
    )
    for item_id, count in incomplete.items():
        blank = log.blank.get(item_id, 0)
        detail = f"{blank} blank, {count - blank} set missing"
        flag = "  <- no answers at all" if count == survey.n else ""
        lines.append(f"  {item_id:<24} {count:>6} ({count / survey.n:.1%}: {detail}){flag}")
    for name in survey.cuts.columns:
        counts = survey.cuts[name].value_counts(sort=False)
        shown = ", ".join(f"{category} {n}" for category, n in counts.items())
        unknown = int(survey.cuts[name].isna().sum()) - log.not_stated.get(name, 0)
        lines.append(
            f"Cut {name} (column {log.columns.get(f'cuts.{name}', name)!r}): {shown}; not "
            f"stated {log.not_stated.get(name, 0)}" + (f"; unknown label {unknown}" if unknown
                                                       else ""))
    for name in survey.comments.columns:
        given = int(survey.comments[name].notna().sum())
        lines.append(
            f"Comments {name} (column {log.columns.get(f'comments.{name}', name)!r}): {given} "
            f"comment(s), {log.no_comment.get(name, 0)} no comment")
    notes = [i.message for i in log.select("note")]
    if notes:
        lines.append("Notes:")
        lines.extend(f"  {note}" for note in notes)
    return "\n".join(lines)


#: How many row numbers a grouped quality line shows before "...".
ROWS_SHOWN = 8


def _grouped_line(group: IssueGroup) -> str:
    """One issue as its message, or several alike as one line with their rows:

    "12 x unknown group label, column 'role', value 'Specjalista': rows 8, 9, ... and 4 more".
    """
    if group.count == 1:
        return group.first.message
    rows = ", ".join(str(r) for r in group.rows[:ROWS_SHOWN])
    more = f" and {group.count - ROWS_SHOWN} more" if group.count > ROWS_SHOWN else ""
    column = f", column {group.column!r}" if group.column is not None else ""
    value = f", value {group.value!r}" if group.value is not None else ""
    fix = group.first.message.partition(". Fix: ")[2]
    return (f"{group.count} x {group.reason}{column}{value}: rows {rows}{more}"
            + (f". Fix: {fix}" if fix else ""))


_ROLE_LABELS = {"survey": "Survey", "feedback": "Feedback", "previous": "Previous wave",
                "previous_feedback": "Previous wave's feedback"}


@dataclass
class DatasetCheck:
    """One data file named by the params (survey, feedback, previous wave...), checked."""

    role: str  # "survey", "feedback", "previous" or "previous_feedback"

    @property
    def label(self) -> str:
        return _ROLE_LABELS.get(self.role, self.role)
    path: Path
    survey: Survey | None = None
    error: str | None = None

    @property
    def problems(self) -> list[str]:
        if self.error is not None:
            return [self.error]
        return analysis_problems(self.survey) if self.survey is not None else []


@dataclass
class ValidationReport:
    """The outcome of ``cemlab validate``: ``ok`` when every data file can be analysed."""

    params_file: Path
    params: Params | None = None
    error: str | None = None
    datasets: list[DatasetCheck] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        found = [self.error] if self.error else []
        for check in self.datasets:
            found.extend(f"{check.label.lower()} data: {p}" for p in check.problems)
        return found

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        """Plain text for the terminal: what was read, lost and why, and the verdict."""
        if self.params is None:
            return f"NOT analysable: {self.error}"
        lines = [f"Params: {self.params_file} (client {self.params.client}: {self.params.title})"]
        for check in self.datasets:
            lines.append("")
            lines.append(f"{check.label} data: {check.path}")
            if check.survey is not None:
                lines.extend(f"  {line}" for line in quality_summary(check.survey).splitlines())
            else:
                lines.append("  cannot be read (the reason is below)")
        lines.append("")
        if self.ok:
            lines.append("Result: the data can be analysed.")
        else:
            lines.append("Result: NOT analysable:")
            lines.extend(f"  {problem}" for problem in self.problems)
        return "\n".join(lines)


def as_the_report_reads(params: Params) -> Params:
    """``params`` validated again from `Params.notebook_parameters`, as the report notebook
    does (`cemlab.report.load_report_client`): what it would read differently, it reads here.
    """
    from cemlab.report import NOTEBOOK_ONLY_PARAMETERS

    values = params.notebook_parameters()
    values = {k: v for k, v in values.items() if k not in NOTEBOOK_ONLY_PARAMETERS}
    try:
        again = Params.model_validate(values)
    except ValidationError as exc:
        raise ParamsError(
            f"{params.path}: the report would read these params differently: "
            f"{describe_validation_error(exc, values)}"
        ) from None
    again._path = params.path
    return again


def _load_benchmark(params: Params) -> None:
    """The benchmark the scorecard compares with must be one (`load_benchmark`)."""
    try:
        load_benchmark(params.benchmark)
    except CemlabError as exc:
        raise ParamsError(f"{params.path}: benchmark: {exc}") from None
    except Exception as exc:  # not text, not a table at all
        raise ParamsError(
            f"{params.path}: benchmark: {params.benchmark} is not a benchmark CSV "
            f"({type(exc).__name__}: {_first_line(exc)}). Fix: give a CSV with the columns "
            f"{', '.join(BENCHMARK_COLUMNS)}, or a built-in benchmark name"
        ) from None


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [""])[0][:200]


def params_path_problem(path: str | Path) -> str | None:
    """Why ``path`` cannot be a params file (missing, or a folder); None when it is a file.

    ``cemlab validate`` treats this as a usage error (exit 2): there is nothing to validate.
    """
    path = Path(path)
    if path.is_file():
        return None
    if path.is_dir():
        names = sorted(p.name for p in path.glob("*.yaml"))
        listed = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
        example = f"; the folder holds {listed}" if names else ""
        return (
            f"{path} is a folder; validate checks one params file. Fix: give the client's "
            f"params YAML{example}"
        )
    if not path.parent.is_dir():
        return (
            f"{path}: no such params file, and the folder {path.parent} does not exist. Fix: "
            "check the path"
        )
    names = [p.name for p in path.parent.iterdir() if p.is_file()]
    close = difflib.get_close_matches(path.name, names, n=3, cutoff=0.6)
    similar = f"; similar names in {path.parent}: {', '.join(close)}" if close else ""
    return f"{path}: no such params file. Fix: check the path{similar}"


def validate_params_file(path: str | Path) -> ValidationReport:
    """Load a params file and everything a report on it loads; report quality and analysability.

    What `cemlab render` loads, through the same functions: the params as the report notebook
    reads them back from render's parameters (`as_the_report_reads`), every data file, and the
    benchmark. `cemlab render` renders a client only when this is ok, so the two always agree.
    Never raises a `CemlabError`: a params or data error becomes the report's reason for not
    being ok, its message (file, row, column, value, fix) shown in the summary.
    """
    report = ValidationReport(params_file=Path(path))
    try:
        params = as_the_report_reads(load_params(path))
        _load_benchmark(params)
    except CemlabError as exc:
        report.error = str(exc)
        return report
    report.params = params
    for data_file in data_files(params):
        check = DatasetCheck(role=data_file.role, path=data_file.data)
        try:
            check.survey = data_file.load()
        except CemlabError as exc:
            check.error = str(exc)
        report.datasets.append(check)
    return report
