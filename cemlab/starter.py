"""A starter params file for a new client, drafted from their data file (``cemlab init``).

`draft_params` reads the file, matches what it can (questions, group column, id, extras) and
counts the group labels; `write_params_file` writes the draft without ever replacing a file.
What could not be placed is written as commented lines, so ``cemlab validate`` on the draft
tells the consultant what is left.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml
from pydantic import ValidationError

from cemlab._files import written_atomically
from cemlab._yaml import parse_yaml, shorten
from cemlab.exceptions import ParamsError
from cemlab.instrument import (
    Instrument,
    describe_validation_error,
    list_instruments,
    load_instrument,
)
from cemlab.io.answers import _group_lookup, _group_of, _guess_group_column
from cemlab.io.matching import (
    _NUMBERING,
    EXTRA_FIELDS,
    _closest_columns,
    answer_fields,
    match_columns,
)
from cemlab.io.readers import read_table
from cemlab.io.table import RawTable
from cemlab.io.text import _header_text, normalize_text
from cemlab.params import Params


def client_slug(data_file: str | Path) -> str:
    """The client slug a file name suggests: "Bank Wiślany 2026 (final).xlsx" -> bank-wislany-
    2026-final; "client" when the name has no letters or digits."""
    ascii_words = re.sub(r"[^a-z0-9]+", " ", normalize_text(Path(data_file).stem))
    return "-".join(ascii_words.split()) or "client"


@dataclass
class GroupLabel:
    """One distinct value of the group column: its level (None: none), and how many rows."""

    label: str
    level: str | None
    count: int


@dataclass
class StarterParams:
    """A drafted params file: its text, and what was and was not placed, for the summary."""

    path: Path
    text: str
    instrument: Instrument
    matched: dict[str, str]
    unplaced: list[str]
    group_column: str | None
    labels: list[GroupLabel] = field(default_factory=list)
    unused_columns: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """What the draft holds and what is left, for the terminal."""
        questions = answer_fields(self.instrument)
        found = [q for q in questions if q in self.matched]
        left = [q for q in questions if q not in self.matched]
        lines = [f"Wrote {self.path} (instrument {self.instrument.name}):",
                 f"  questions matched: {len(found)} of {len(questions)}"
                 + (f"; left as comments to fill in: {', '.join(left)}" if left else "")]
        if self.group_column is None:
            lines.append(f"  group column ({self.instrument.groups.column}): not found; left as "
                         "a comment to fill in")
        else:
            by_level = Counter()
            for label in self.labels:
                by_level[label.level] += label.count
            shown = ", ".join(f"{level} {by_level[level]}"
                              for level in self.instrument.groups.levels)
            lines.append(f"  group column: {self.group_column!r} ({shown})")
            strays = [f"{label.label!r} ({label.count})" for label in self.labels
                      if label.level is None]
            if strays:
                lines.append(f"  group labels of no level, left as a comment: {', '.join(strays)}")
        extras = [f"{key} {self.matched[key]!r}" for key in EXTRA_FIELDS if key in self.matched]
        if extras:
            lines.append(f"  also found: {', '.join(extras)}")
        lines.append(f"Next: check the file, fill in the commented lines, then run: cemlab "
                     f"validate {self.path}")
        return "\n".join(lines)


def _scalar(value: object) -> str:
    """``value`` as one line of YAML: plain when safe, else quoted with escapes (JSON is YAML)."""
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10**9)
    text = text.removesuffix("\n").removesuffix("\n...")
    return text if "\n" not in text else json.dumps(value, ensure_ascii=False)


def _comment(text: str) -> str:
    """Client text made safe inside a ``#`` comment: one line, not too long."""
    return shorten(" ".join(str(text).split()), 160)


def _relative(path: Path, folder: Path) -> str:
    """``path`` relative to ``folder`` (forward slashes), absolute when on another drive."""
    try:
        return Path(os.path.relpath(path.resolve(), folder.resolve())).as_posix()
    except ValueError:
        return path.resolve().as_posix()


def _numbered_guesses(table: RawTable, instrument: Instrument, missing: list[str],
                      unused: list[str]) -> dict[str, str]:
    """Item -> column by question number, when the unused columns are numbered 1..N in full.

    A Polish export "P1. Liderzy ..." carries no English statement, but its numbers follow the
    questionnaire; the guess is only ever written as a comment for the consultant to check.
    """
    questions = answer_fields(instrument)
    numbered: dict[int, str] = {}
    for name in unused:
        prefix = _NUMBERING.match(_header_text(table.column(name).texts[0]
                                               if table.column(name).texts else name))
        if prefix:
            numbered.setdefault(int(re.search(r"\d+", prefix.group()).group()), name)
    if sorted(numbered) != list(range(1, len(questions) + 1)):
        return {}
    return {item_id: numbered[questions.index(item_id) + 1] for item_id in missing}


def draft_params(
    data_file: str | Path,
    instrument: str | Path = "cem-maturity",
    *,
    params_file: str | Path | None = None,
    client: str | None = None,
    sheet: str | int | None = None,
) -> StarterParams:
    """Draft a client's params file from their data file, without writing anything.

    Parameters
    ----------
    data_file
        The client's survey file (any format `load` reads); never written to.
    instrument
        A built-in instrument name or the path of an instrument YAML.
    params_file
        Where the draft will be written; default ``params/<client>.yaml``. The data path in
        the draft is relative to its folder, as `load_params` reads it.
    client
        The client slug; default from the data file's name (`client_slug`).
    sheet
        The Excel sheet to read (name or 0-based position); default the first.

    Raises
    ------
    DataError
        The data file cannot be read.
    ParamsError
        The client slug is not a slug; or the draft would not load (a defect to report).
    """
    data_file = Path(data_file)
    client = client if client is not None else client_slug(data_file)
    if not re.fullmatch(r"[A-Za-z0-9_-]+", client):
        raise ParamsError(f"client {client!r} is not a slug. Fix: use only letters, digits, - "
                          f"and _, e.g. --client {client_slug(client)}")
    path = Path(params_file) if params_file is not None else Path("params") / f"{client}.yaml"
    spec = load_instrument(instrument)
    table = read_table(data_file, sheet=sheet)
    plan = match_columns(table, spec)
    lookup = _group_lookup(spec, {}, data_file)
    group_field = spec.groups.column
    group_column = plan.fields.get(group_field)
    if group_column is None and group_field not in plan.ambiguous:
        guessed = _guess_group_column(table, lookup, {n for n in plan.fields.values() if n})
        group_column = guessed.name if guessed is not None else None
    matched = {k: v for k, v in plan.fields.items() if v is not None}
    if group_column is not None:
        matched[group_field] = group_column
    labels = _count_labels(table, group_column, lookup) if group_column else []
    used = set(matched.values())
    unused = [c.name for c in table.columns if c.name not in used]
    missing = [q for q in answer_fields(spec) if q not in matched]
    guesses = _numbered_guesses(table, spec, missing, unused) if missing else {}

    reference = (str(instrument) if str(instrument) in list_instruments()
                 else _relative(Path(instrument), path.parent))
    lines = [
        f"# Starter params for {client}, drafted by `cemlab init` from {_comment(data_file.name)}"
        f" on {date.today().isoformat()}.",
        "# Check every line and fill in the commented ones (remove the # to use a line), then "
        f"run: cemlab validate {path.as_posix()}",
        f"client: {_scalar(client)}",
        f"title: {_scalar(f'{data_file.stem} - {spec.title or spec.name}')}"
        "  # the report's title: edit it",
        f"data: {_scalar(_relative(data_file, path.parent))}",
        f"instrument: {_scalar(reference)}",
    ]
    if sheet is not None:
        lines.append(f"sheet: {_scalar(sheet)}")
    lines.append("min_group_size: 5  # groups smaller than this are suppressed in reports")
    lines.extend(_columns_block(table, spec, plan, matched, missing, guesses))
    lines.extend(_labels_block(spec, group_column, labels))
    if unused:
        lines.append(f"# Columns of the file not used: {_comment(', '.join(unused))}")
    text = "\n".join(lines) + "\n"
    _check_loads(text, path)
    return StarterParams(path=path, text=text, instrument=spec, matched=matched,
                         unplaced=missing + ([] if group_column else [group_field]),
                         group_column=group_column, labels=labels, unused_columns=unused)


def _count_labels(table: RawTable, column: str, lookup: dict[str, str]) -> list[GroupLabel]:
    col = table.column(column)
    counts = Counter(cell for _, cell in table.values(column) if cell is not None)
    found = []
    for cell, count in counts.most_common():
        shown = _header_text(col.value_labels.get(cell, cell))
        found.append(GroupLabel(shown, _group_of(cell, col, lookup), count))
    return found


def _columns_block(table: RawTable, spec: Instrument, plan, matched: dict[str, str],
                   missing: list[str], guesses: dict[str, str]) -> list[str]:
    group_field = spec.groups.column
    entries: list[str] = []
    for key in ["respondent_id", group_field, *answer_fields(spec),
                *[e for e in EXTRA_FIELDS if e != "respondent_id"]]:
        if key in matched:
            entries.append(f"  {key}: {_scalar(matched[key])}")
        elif key in plan.ambiguous:
            names = plan.ambiguous[key]
            entries.append(f"  # {key}: {_scalar(names[0])}  # {len(names)} columns could be it: "
                           f"{_comment(', '.join(map(repr, names)))}; keep the right one")
        elif key == group_field:
            close = _closest_columns(table, group_field, "group", "role")
            entries.append(f"  # {key}: '<column>'  # the "
                           f"column of {', '.join(spec.groups.levels)}; not found, closest: "
                           f"{_comment(', '.join(map(repr, close))) or 'none'}")
        elif key in missing:
            statement = _comment(repr(spec.text_of(key)))
            if key in guesses:
                entries.append(f"  # {key}: {_scalar(guesses[key])}  # {statement} not found by "
                               "its wording; this column has its question number: check it")
                continue
            close = _closest_columns(table, key, spec.text_of(key))
            # a placeholder, not the closest column: a line uncommented unread must fail
            entries.append(f"  # {key}: '<column>'  # "
                           f"{statement} not found; closest: "
                           f"{_comment(', '.join(map(repr, close))) or 'none'}; null if not asked")
    active = [e for e in entries if not e.lstrip().startswith("#")]
    head = "columns:" if active else "# columns:  (none found: remove the # here too)"
    return [head, *entries]


def _labels_block(spec: Instrument, group_column: str | None,
                  labels: list[GroupLabel]) -> list[str]:
    if group_column is None:
        return [f"# group_labels:  (the labels of each level, once the group column is found: "
                f"{', '.join(spec.groups.levels)})"]
    lines = []
    for level in spec.groups.levels:
        mine = [label for label in labels if label.level == level]
        if mine:
            counts = ", ".join(f"{label.label} {label.count}" for label in mine)
            lines.append(f"  {level}: {_scalar([label.label for label in mine])}  # "
                         f"{sum(label.count for label in mine)} respondents ({_comment(counts)})")
    for label in labels:
        if label.level is None:
            lines.append(f"  # <level>: {_scalar([label.label])}  # {label.count} respondents "
                         f"with a label of no level: put it under one of "
                         f"{', '.join(spec.groups.levels)}, or they are excluded")
    active = [line for line in lines if not line.lstrip().startswith("#")]
    return (["group_labels:"] if active else ["# group_labels:"]) + lines


def _check_loads(text: str, path: Path) -> None:
    """The draft must load as `load_params` would load it; anything else is a defect."""
    try:
        Params.model_validate(parse_yaml(text), context={"folder": path.parent.resolve()})
    except ValidationError as exc:
        raise ParamsError(f"{path}: the drafted params would not load "
                          f"({describe_validation_error(exc, None, Params)}); please report "
                          "this, with the data file's header row") from None


def write_params_file(starter: StarterParams, *, force: bool = False) -> Path:
    """Write the draft to ``starter.path`` atomically; an existing file is kept unless ``force``.

    The text goes to a temporary file in the same folder first, then is linked into place
    (which fails if a file appeared meanwhile) or, with ``force``, renamed over the old one:
    an interrupt leaves the old file or the new, never half of one.
    """
    path = starter.path
    if path.exists() and not force:
        raise ParamsError(_exists_message(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with written_atomically(path, exclusive=not force, durable=True) as partial:
            partial.write_text(starter.text, encoding="utf-8")
    except FileExistsError:
        raise ParamsError(_exists_message(path)) from None
    return path


def _exists_message(path: Path) -> str:
    return (f"{path} already exists; cemlab init never replaces a params file. Fix: edit that "
            "file, give another --client or --output, or add --force to replace it")
