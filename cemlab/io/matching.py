"""Matching the columns of a client's file to the instrument's items, the group column and
the optional fields (respondent id, segment, weight, wave).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from cemlab._yaml import shorten
from cemlab.exceptions import DataError, located
from cemlab.instrument import Instrument
from cemlab.io.table import RawColumn, RawTable
from cemlab.io.text import _SEPARATOR, normalize_text

#: Optional respondent-level fields a `columns` mapping may name besides items and the group.
EXTRA_FIELDS = ("respondent_id", "segment", "weight", "wave")

#: Column names that identify respondents in survey-tool exports, after `normalize_text`.
_ID_NAMES = ("respondent id", "respondentid", "responseid", "response id", "respondent", "id")

# -- matching columns to the instrument ------------------------------------------------------


def _column_candidates(col: RawColumn) -> list[str]:
    return [normalize_text(t) for t in [col.name, *col.texts] if normalize_text(t)]


def _written_name(col: RawColumn) -> str:
    """The header as the file writes it: two "role" columns are both "role" here."""
    return col.texts[0] if col.texts else col.name


def _find_named_column(table: RawTable, wanted: str) -> list[RawColumn]:
    """Columns a `columns` mapping value may mean: exact name, else any header text, else letter."""
    exact = [c for c in table.columns if c.name == wanted]
    if exact:
        return exact
    key = normalize_text(wanted)
    by_text = [c for c in table.columns if key and key in _column_candidates(c)]
    if by_text:
        return by_text
    return [c for c in table.columns if c.letter == wanted.strip().upper()]


#: A question number before a statement: "1. ", "1) ", "Q1. ", "Q1: ", "Q1 - ", "P1. ",
#: "Q5_3. ", "Item 4) ". The mark after the number must be followed by a space or a letter, so
#: that "1.5 million customers ..." keeps its number.
_NUMBERING = re.compile(
    r"^\s*(?:[^\W\d_]{1,5}\s?#?)?\d{1,3}[^\W\d_]?(?:[._]\d{1,3}[^\W\d_]?)*"
    r"(?:[.):](?=\s|[^\W\d_])|\s*[-–—](?=\s))\s*"
)

#: A scale reminder in brackets after a statement: "(1-10)", "[1 = strongly disagree …
#: 10 = strongly agree]", "(0 to 10)". A number alone in brackets ("(99%)", "(2024)") is no hint.
_SCALE_HINT = re.compile(
    r"\s*[(\[{][^()\[\]{}]*\d\s*(?:[-–—=:]|\.\.|…|to\b)[^()\[\]{}]*[)\]}]\s*$",
    re.IGNORECASE,
)


def _decorated_keys(text: str) -> set[str]:
    """What a header may carry as its statement once survey-tool decorations are set aside.

    The header itself, without a trailing scale hint, without a leading question number, and
    every tail after a separator ("Q5 - ...", "Please rate ... - ..."), all normalised. The
    header as written always stays a key too, so a statement that itself starts with a number
    ("24/7 support ...", "3 things ...") still matches its own column.
    """
    keys = set()
    for bare in {text, _SCALE_HINT.sub("", text)}:
        for variant in {bare, _NUMBERING.sub("", bare, count=1)}:
            keys.add(normalize_text(variant))
            parts = _SEPARATOR.split(variant)
            keys.update(normalize_text(" ".join(parts[i:])) for i in range(1, len(parts)))
    keys.discard("")
    return keys


@dataclass(frozen=True)
class _HeaderKeys:
    """A column's header texts as statements may match them: exactly, or once undecorated."""

    exact: frozenset[str]
    decorated: frozenset[str]

    @classmethod
    def of(cls, col: RawColumn) -> _HeaderKeys:
        exact = frozenset(_column_candidates(col))
        decorated = frozenset(k for t in col.texts for k in _decorated_keys(t)) - exact
        return cls(exact, decorated)

    def rank(self, statement: str) -> int:
        """2 when a header is the statement, 1 when it is once undecorated, else 0."""
        return 2 if statement in self.exact else 1 if statement in self.decorated else 0


def _statement_matches(
    instrument: Instrument, item_ids: list[str], free: list[RawColumn]
) -> dict[str, list[tuple[RawColumn, int]]]:
    """For each item, the free columns whose header carries its statement, with the rank.

    A column is left to the longest statement it carries: "Q9 - Our leaders reward employees
    who put customers first" is that statement's column, never that of a shorter statement
    "Customers first" inside it. Ranks: 2 exact, 1 after a decoration was set aside.
    """
    # the statement in every language it is given in: a Polish-headed file matches too
    targets = {
        item_id: [t for t in map(normalize_text, instrument.texts_of(item_id)) if t]
        for item_id in item_ids
    }
    found: dict[str, list[tuple[RawColumn, int]]] = {item_id: [] for item_id in item_ids}
    for col in free:
        keys = _HeaderKeys.of(col)
        # (item, rank, length of the statement text it matched)
        ranked = []
        for item_id, texts in targets.items():
            rank, length = max(((keys.rank(t), len(t)) for t in texts), default=(0, 0))
            if rank:
                ranked.append((item_id, rank, length))
        if not ranked:
            continue
        longest = max(length for _, _, length in ranked)
        for item_id, rank, length in ranked:
            if length == longest:
                found[item_id].append((col, rank))
    return found


def _closest_columns(table: RawTable, *targets: str, n: int = 3) -> list[str]:
    """The table's column names most like any of ``targets`` (names or statement text).

    Headers are compared as written and without their decorations (question number, scale
    hint), so "Q1. Leaders make decisons" is close to its statement despite the number.
    """
    wanted = [normalize_text(t) for t in targets if normalize_text(t)]
    scored: dict[str, float] = {}
    for col in table.columns:
        candidates = set(_column_candidates(col)).union(*map(_decorated_keys, col.texts))
        best = 0.0
        for candidate in candidates:
            for target in wanted:
                matcher = difflib.SequenceMatcher(None, target, candidate)
                if matcher.real_quick_ratio() > best and matcher.quick_ratio() > best:
                    best = max(best, matcher.ratio())
        scored[col.name] = best
    ranked = sorted(scored.items(), key=lambda kv: -kv[1])
    return [name for name, ratio in ranked[:n] if ratio >= 0.3]


def _describe_choices(names: Iterable[str]) -> str:
    names = list(names)
    return ", ".join(repr(n) for n in names) if names else "(none similar)"


def answer_fields(instrument: Instrument) -> list[str]:
    """The instrument's answer columns: its item ids, then the recommend item's id if any."""
    recommend = [instrument.recommend.id] if instrument.recommend is not None else []
    return [*instrument.item_ids, *recommend]


@dataclass
class _ColumnPlan:
    """Which column of the file feeds each field of the Survey (None: not asked / absent).

    ``missing``: items no column matched; ``ambiguous``: field -> the columns that all match
    it. `match_columns` fills them in; `_plan_columns` turns them into errors.
    """

    fields: dict[str, str | None]
    notes: list[str]
    missing: list[str] = field(default_factory=list)
    ambiguous: dict[str, list[str]] = field(default_factory=dict)


def match_columns(
    table: RawTable, instrument: Instrument, columns: Mapping[str, str | None] | None = None
) -> _ColumnPlan:
    """Find every field's column without raising for what is missing or ambiguous.

    The `columns` mapping first (an error in it still raises), then items by id, then by
    statement, then the group column and the extras by name. `cemlab init` writes a starter
    params file from the result; `load` refuses what is missing or ambiguous.
    """
    plan = _ColumnPlan(fields={}, notes=[])
    _apply_mapping(table, instrument, columns or {}, plan)
    free = [c for c in table.columns if c.name not in set(plan.fields.values())]
    free = _match_items(table, instrument, plan, free)
    group_field = instrument.groups.column
    if group_field not in plan.fields:
        # by the header as written only: a question text "Role?" is no group column
        named = [c for c in free if normalize_text(_written_name(c)) == normalize_text(group_field)]
        plan.fields[group_field] = _by_name(plan, group_field, [normalize_text(group_field)], named)
    for extra in EXTRA_FIELDS:
        if extra in plan.fields:
            continue
        names = _ID_NAMES if extra == "respondent_id" else (normalize_text(extra),)
        plan.fields[extra] = _by_name(plan, extra, names, free)
    return plan


def _by_name(
    plan: _ColumnPlan, key: str, names: Iterable[str], free: list[RawColumn]
) -> str | None:
    """The one column of ``free`` named like ``key`` (the first of ``names`` any column has).

    Two columns with that name, written differently ("Role" and "role", "wave" and "Wave "),
    are ambiguous: picking one could invert the groups.
    """
    for name in names:
        hits = [c for c in free if name in _column_candidates(c)]
        if len(hits) > 1:
            plan.ambiguous[key] = [c.name for c in hits]
            return None
        if hits:
            return hits[0].name
    return None


def _plan_columns(
    table: RawTable, instrument: Instrument, columns: Mapping[str, str | None]
) -> _ColumnPlan:
    """`match_columns`, with a `DataError` for a field two columns match or a missing item.

    A missing group column is left to `load`, which can still recognise it by its values.
    """
    plan = match_columns(table, instrument, columns)
    for key, names in plan.ambiguous.items():
        if key in answer_fields(instrument):
            statement = instrument.text_of(key)
            raise DataError(
                located(
                    f"item {key} ({statement!r}) matches {len(names)} columns: "
                    f"{_describe_choices(names)}",
                    file=table.path,
                    fix=f"say which one in the params file: columns: {{{key}: <column name>}}",
                )
            )
        raise DataError(
            located(
                f"{len(names)} columns could be the {key} column: {_describe_choices(names)}; "
                "cemlab does not guess which",
                file=table.path,
                fix=f"name the right one in the params file: columns: {{{key}: {names[0]}}}",
            )
        )
    if plan.missing:
        _raise_missing(table, instrument, plan)
    return plan


def _raise_missing(table: RawTable, instrument: Instrument, plan: _ColumnPlan) -> None:
    """The error for items no column matched, with the closest headers of each."""
    lines = []
    for item_id in plan.missing:
        close = _closest_columns(table, item_id, instrument.text_of(item_id))
        lines.append(f"{item_id} ({shorten(instrument.text_of(item_id), 60)!r}); closest "
                     f"columns: {_describe_choices(close)}")
    asked = [f for f in answer_fields(instrument) if plan.fields.get(f, "") is not None]
    if len(plan.missing) == len(asked):
        what = (f"none of the {len(asked)} questions of instrument {instrument.name!r} was found "
                f"among the {len(table.columns)} columns")
    else:
        what = f"{len(plan.missing)} question(s) of instrument {instrument.name!r} not found"
    raise DataError(
        located(
            f"{what}: " + "; ".join(lines),
            file=table.path,
            fix="map each in the params file, columns: {item_id: column name}, or "
            "columns: {item_id: null} when the question was not asked (`cemlab instruments "
            f"show {instrument.name}` lists the statements; `cemlab init` drafts the mapping)",
        )
    )


def _apply_mapping(
    table: RawTable, instrument: Instrument, columns: Mapping[str, str | None], plan: _ColumnPlan
) -> None:
    """Put the params' `columns` mapping into ``plan``.

    A key that is not a field, or a column that is not in the file, is an error naming the
    closest alternatives.
    """
    group_field = instrument.groups.column
    answers = answer_fields(instrument)
    known = {*answers, group_field, "group", *EXTRA_FIELDS}
    mapping = dict(columns)
    if "group" in mapping:
        mapping.setdefault(group_field, mapping.pop("group"))
    for key, wanted in mapping.items():
        if key not in known:
            close = difflib.get_close_matches(key, sorted(known), n=3, cutoff=0.5)
            raise DataError(
                located(
                    f"the columns mapping names {key!r}, which is not an item of instrument "
                    f"{instrument.name!r} nor one of {group_field}, {', '.join(EXTRA_FIELDS)}",
                    file=table.path,
                    fix=f"use one of {_describe_choices(close)}" if close else "check the spelling",
                )
            )
        if wanted is None and key == group_field:
            raise DataError(
                located(
                    f"the columns mapping says {group_field}: null, but every respondent needs "
                    "a group",
                    file=table.path,
                    fix=f"name the column that holds {', '.join(instrument.groups.levels)}",
                )
            )
        if wanted is None:
            plan.fields[key] = None
            if key in answers:
                plan.notes.append(f"{key}: not asked (columns mapping says null)")
            continue
        found = _find_named_column(table, str(wanted))
        if len(found) != 1:
            problem = "no column" if not found else f"{len(found)} columns"
            listed = [c.name for c in found] or _closest_columns(table, str(wanted))
            raise DataError(
                located(
                    f"the columns mapping sends {key} to {wanted!r}, but the file has {problem} "
                    f"of that name; closest: {_describe_choices(listed)}",
                    file=table.path,
                    fix=f"set columns: {{{key}: <exact column name>}} in the params file",
                )
            )
        plan.fields[key] = found[0].name
    fields_of: dict[str, list[str]] = {}
    for key, column in plan.fields.items():
        if column is not None:
            fields_of.setdefault(column, []).append(key)
    for column, keys in fields_of.items():
        if len(keys) > 1 and any(key in answers for key in keys):
            raise DataError(
                located(
                    f"the columns mapping sends {' and '.join(keys)} to the same column "
                    f"{column!r}; each question needs a column of its own",
                    file=table.path,
                    fix=f"map each to its own column in the params file (columns: {{{keys[-1]}: "
                    f"<column>}}), or {keys[-1]}: null if it was not asked",
                )
            )


def _match_items(
    table: RawTable, instrument: Instrument, plan: _ColumnPlan, free: list[RawColumn]
) -> list[RawColumn]:
    """Match the unmapped items by id, then by statement; return the columns still free.

    An item two columns match equally goes to ``plan.ambiguous``, one no column matches to
    ``plan.missing``. A header that is the statement beats one that carries it decorated
    ("Q9 - ...", "1. ...", "... (1-10)"); a column two items would take is ambiguous for both.
    """
    by_statement = []
    # the header as written, not the name made unique: two "q1" columns are ambiguous
    names = {c.name: (normalize_text(c.name), normalize_text(_written_name(c))) for c in free}
    for item_id in answer_fields(instrument):
        if item_id in plan.fields:
            continue
        key = normalize_text(item_id)
        found = [c for c in free if key in names[c.name]]
        if len(found) > 1:
            plan.ambiguous[item_id] = [c.name for c in found]
        elif found:
            plan.fields[item_id] = found[0].name
            free = [c for c in free if c.name != found[0].name]
        else:
            by_statement.append(item_id)

    chosen: dict[str, list[str]] = {}
    for item_id, matches in _statement_matches(instrument, by_statement, free).items():
        best = max((rank for _, rank in matches), default=0)
        found = [col for col, rank in matches if rank == best]
        if len(found) > 1:
            plan.ambiguous[item_id] = [c.name for c in found]
        elif found:
            chosen.setdefault(found[0].name, []).append(item_id)
        else:
            plan.missing.append(item_id)
    for column, item_ids in chosen.items():
        if len(item_ids) > 1:
            for item_id in item_ids:
                plan.ambiguous[item_id] = [column]
            plan.notes.append(f"column {column!r} carries the statements of "
                              f"{' and '.join(item_ids)}")
            continue
        plan.fields[item_ids[0]] = column
    taken = set(plan.fields.values())
    return [c for c in free if c.name not in taken]
