"""What a cell means: a score on the item's scale, a no-answer, or a problem to log; and
which group level a label stands for.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cemlab.exceptions import DataError, located
from cemlab.instrument import Instrument
from cemlab.io.table import RawColumn, RawTable
from cemlab.io.text import (
    MISSING_ANSWERS,
    _blank_to_none,
    _header_text,
    _number_problem,
    _to_number,
    normalize_text,
)

# -- distinct values -------------------------------------------------------------------------


def _distinct(column: pd.Series) -> tuple[np.ndarray, list[object]]:
    """A column as codes into its distinct cell values: each value is then read once.

    ``values`` are plain Python objects (no numpy scalars, whose repr would reach messages),
    blank cells (None, NaN, pd.NA, empty or whitespace text) all get code -1; two spellings
    that strip to the same text keep separate codes and the same value.
    """
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    if pd.api.types.infer_dtype(uniques, skipna=True) == "string":
        # text only (an id or free-text column has as many values as rows): strip at once
        values = pd.Series(uniques, dtype=object).str.strip().replace("", None).tolist()
    else:
        values = [_blank_to_none(u.item() if isinstance(u, np.generic) else u)
                  for u in uniques]
    blank = [i for i, value in enumerate(values) if value is None]
    if blank:
        codes = np.where(np.isin(codes, blank), -1, codes)
    return np.asarray(codes), values


def _texts(values: list[object]) -> list[str]:
    """`_header_text` of each distinct value; text values (already stripped) as they are."""
    if all(type(v) is str for v in values):
        return values  # type: ignore[return-value]
    return [_header_text(v) for v in values]


def _numbers(values: list[object]) -> list[float | None]:
    """`_to_number` of each distinct value: plain numbers parsed at once, the rest one by one."""
    parsed = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").tolist()
    return [n if not math.isnan(n) or v is None else _to_number(v)
            for n, v in zip(parsed, values)] if values else []


# -- reading answers -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Answer:
    """What one distinct cell value of an item column means.

    ``kind`` is "" for a score or a blank, else "no answer", "out of range", "not whole",
    "ambiguous" (a range, two answers, a thousands separator) or "not a number"; ``problem``
    is the reason it became missing, as counted in the quality log.
    """

    value: float | None
    kind: str = ""
    problem: str = ""


_BLANK = _Answer(None)


def _read_answer(cell: object, col: RawColumn, low: int, high: int) -> _Answer:
    """Turn one cell of an item column into a score on ``low``-``high``, or say why not."""
    if cell is None:
        return _BLANK
    label = col.value_labels.get(cell)
    shown = f"{cell!r}" + (f" ({label!r})" if label else "")
    if col.is_user_missing(cell):
        return _Answer(None, "no answer", f"SPSS user-missing code {shown}")
    if normalize_text(cell) in MISSING_ANSWERS:
        return _Answer(None, "no answer", f"{cell!r} means no answer")
    if label is not None and normalize_text(label) in MISSING_ANSWERS:
        return _Answer(None, "no answer", f"code {shown} means no answer")
    number = _to_number(cell)
    if number is None and label is not None:
        number = _to_number(label)
    if number is None:
        ambiguous = _number_problem(cell)
        if ambiguous:
            return _Answer(None, "ambiguous", f"{ambiguous} on the {low}-{high} scale")
        return _Answer(None, "not a number", f"not a number on the {low}-{high} scale")
    if not low <= number <= high:
        return _Answer(None, "out of range", f"outside the {low}-{high} scale")
    if abs(number - round(number)) > 1e-9:  # 3.5 or "2,5"; float noise such as 6.9999999999 is 7
        return _Answer(None, "not whole", f"not a whole number on the {low}-{high} scale")
    return _Answer(float(round(number)))


def _group_lookup(
    instrument: Instrument, group_labels: Mapping[str, Iterable[str]], path: Path
) -> dict[str, str]:
    """Normalized label -> level, from the levels, the instrument's labels and the client's."""
    lookup: dict[str, str] = {}
    sources = [{level: [level] for level in instrument.groups.levels}, instrument.groups.labels]
    sources.append({level: list(labels) for level, labels in group_labels.items()})
    for source in sources:
        for level, labels in source.items():
            if level not in instrument.groups.levels:
                raise DataError(
                    located(
                        f"group_labels names the level {level!r}, but instrument "
                        f"{instrument.name!r} has levels {', '.join(instrument.groups.levels)}",
                        file=path,
                        fix="use one of those levels",
                    )
                )
            for label in labels:
                lookup[normalize_text(label)] = level
    return lookup


def _group_of(cell: object, col: RawColumn, lookup: Mapping[str, str]) -> str | None:
    """The level of one group cell: by its SPSS value label first, then by the cell itself."""
    label = col.value_labels.get(cell)
    for candidate in (label, cell):
        if candidate is None:
            continue
        key = normalize_text(_header_text(candidate))
        if key in lookup:
            return lookup[key]
    return None


def _guess_group_column(
    table: RawTable, lookup: Mapping[str, str], used: set[str]
) -> RawColumn | None:
    """The one column whose filled cells are nearly all group labels (a Polish "Stanowisko").

    Only used when no column is named after the group and the params map none; nine in ten
    filled cells must be labels, so a Yes/No or free-text column is never taken.
    """
    found = []
    for col in table.columns:
        if col.name in used:
            continue
        codes, values = _distinct(table.cells[col.name])
        filled = codes[codes >= 0]
        if not len(filled):
            continue
        counts = np.bincount(filled, minlength=len(values))
        levels = [_group_of(value, col, lookup) for value in values]
        labelled = sum(int(n) for n, level in zip(counts, levels) if level is not None)
        if len(set(levels) - {None}) >= 2 and labelled >= 0.9 * len(filled):
            found.append(col)
    return found[0] if len(found) == 1 else None


