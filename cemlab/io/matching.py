"""Matching the columns of a client's file to the instrument's items, the group column and
the optional fields (respondent id, segment, weight, wave).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

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


def _text_matches(statement: str, col: RawColumn) -> str | None:
    """How a column's header carries an item's statement: "exact", "after-prefix" or None.

    "after-prefix" is a header that ends with the statement after a separator, as Qualtrics
    writes matrix rows: "Q5 - Leaders make decisions ..." or "Please rate ... - Leaders make
    decisions ...". The separator is required so that a short statement never matches the
    tail of a longer one ("customers first" inside "... who put customers first").
    """
    target = normalize_text(statement)
    if not target:
        return None
    if target in _column_candidates(col):
        return "exact"
    for text in col.texts:
        parts = _SEPARATOR.split(text)
        tails = (" ".join(parts[i:]) for i in range(1, len(parts)))
        if any(normalize_text(tail) == target for tail in tails):
            return "after-prefix"
    return None


def _closest_columns(table: RawTable, *targets: str, n: int = 3) -> list[str]:
    """The table's column names most like any of ``targets`` (names or statement text)."""
    scored: dict[str, float] = {}
    for col in table.columns:
        for candidate in _column_candidates(col):
            for target in targets:
                ratio = difflib.SequenceMatcher(None, normalize_text(target), candidate).ratio()
                scored[col.name] = max(scored.get(col.name, 0.0), ratio)
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
    """Which column of the file feeds each field of the Survey (None: not asked / absent)."""

    fields: dict[str, str | None]
    notes: list[str]


def _plan_columns(
    table: RawTable, instrument: Instrument, columns: Mapping[str, str | None]
) -> _ColumnPlan:
    """Find every field's column: the mapping, then items by id or statement, then by name.

    A missing item is an error here; a missing group column is left to `load`, which can
    still recognise the column by its values.
    """
    plan = _ColumnPlan(fields={}, notes=[])
    _apply_mapping(table, instrument, columns, plan)
    free = [c for c in table.columns if c.name not in set(plan.fields.values())]
    free = _match_items(table, instrument, plan, free)
    group_field = instrument.groups.column
    if group_field not in plan.fields:
        by_name = [c for c in free if normalize_text(c.name) == normalize_text(group_field)]
        plan.fields[group_field] = by_name[0].name if by_name else None
    for extra in EXTRA_FIELDS:
        if extra in plan.fields:
            continue
        names = _ID_NAMES if extra == "respondent_id" else (normalize_text(extra),)
        hits = [c for name in names for c in free if name in _column_candidates(c)]
        plan.fields[extra] = hits[0].name if hits else None
    return plan


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

    Raises a `DataError` for an item two columns match, for items no column matches (with
    the closest column names), and, when no item matches at all, says the file does not
    look like a survey for this instrument.
    """
    missing: list[str] = []
    for item_id in answer_fields(instrument):
        if item_id in plan.fields:
            continue
        statement = instrument.text_of(item_id)
        # the header as written, not the name made unique: two "q1" columns are ambiguous
        found = [c for c in free if normalize_text(item_id) in
                 (normalize_text(c.name), normalize_text(c.texts[0] if c.texts else ""))]
        for text in [] if found else instrument.texts_of(item_id):  # headings in any language
            matches = [(c, _text_matches(text, c)) for c in free]
            exact = [c for c, how in matches if how == "exact"]
            found = exact or [c for c, how in matches if how == "after-prefix"]
            if found:
                break
        if len(found) > 1:
            raise DataError(
                located(
                    f"item {item_id} ({statement!r}) matches {len(found)} columns: "
                    f"{_describe_choices(c.name for c in found)}",
                    file=table.path,
                    fix=f"say which one in the params file: columns: {{{item_id}: <column name>}}",
                )
            )
        if found:
            plan.fields[item_id] = found[0].name
            free = [c for c in free if c.name != found[0].name]
        else:
            missing.append(item_id)

    asked = [f for f in answer_fields(instrument) if plan.fields.get(f, "") is not None]
    if missing and len(missing) == len(asked):
        raise DataError(
            located(
                f"none of the {len(asked)} questions of instrument {instrument.name!r} was found "
                f"among the {len(table.columns)} columns (first columns: "
                f"{_describe_choices(c.name for c in table.columns[:5])}); this does not look like "
                "a survey export for this instrument",
                file=table.path,
                fix="check the file and the instrument, or map the columns in the params file "
                "(columns: {item_id: column name})",
            )
        )
    if missing:
        lines = []
        for item_id in missing:
            close = _closest_columns(table, item_id, instrument.text_of(item_id))
            lines.append(f"{item_id} ({instrument.text_of(item_id)!r}); closest columns: "
                         f"{_describe_choices(close)}")
        raise DataError(
            located(
                f"{len(missing)} question(s) of instrument {instrument.name!r} not found: "
                + "; ".join(lines),
                file=table.path,
                fix="map each in the params file, columns: {item_id: column name}, or "
                "columns: {item_id: null} when the question was not asked",
            )
        )
    return free


