"""Result tables: tidy DataFrames that read well in JupyterLab and carry the suppression rule.

Every analysis returns a `ResultTable`: a plain pandas DataFrame underneath (index, columns,
``to_csv``, ``to_excel`` all work) with a title and a styled ``_repr_html_`` that rounds numbers
and marks suppressed cells. Suppression follows one convention everywhere:

* a cell computed from fewer than ``min_group_size`` respondents holds NaN;
* the row's ``suppressed`` column is True and ``suppressed_reason`` says why (``"n = 3 < 5"``).

`suppress` applies that rule; derived figures (gaps, differences, findings) are computed from the
suppressed columns, so a hidden value can never leak through them.
"""

from __future__ import annotations

import html
import io
import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from cemlab._files import written_atomically
from cemlab.safe_export import for_xlsx, map_text, neutralise, unformula

#: How columns are shown in a notebook, by name pattern. Percentages are 0-100.
_PERCENT_PREFIXES = ("pct_", "share_", "gap_pct", "net_agree")
_P_VALUE_PREFIXES = ("p_", "p-val")
SUPPRESSED_LABEL = "suppressed"


class ResultTable(pd.DataFrame):
    """A DataFrame with a ``title``, ``notes`` and a readable notebook display."""

    _metadata = ["title", "notes", "min_group_size"]

    def __init__(self, *args, title: str = "", notes: str = "", min_group_size=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = title
        self.notes = notes
        self.min_group_size = min_group_size

    @property
    def _constructor(self):
        return ResultTable

    def to_frame(self) -> pd.DataFrame:
        """A plain DataFrame copy (for code that checks ``type(df) is pd.DataFrame``)."""
        return pd.DataFrame(self)

    def style_table(self):
        """A pandas Styler: numbers rounded by column kind, suppressed cells marked in grey."""
        frame = pd.DataFrame(self)
        suppressed_rows = _flag(frame, "suppressed")
        groups_only = _flag(frame, "groups_suppressed") & ~suppressed_rows
        formatters = {}
        for column in frame.columns:
            if not pd.api.types.is_float_dtype(frame[column]):
                continue
            formatters[column] = _formatter_for(str(column))
        styler = frame.style.format(formatters, na_rep="–")
        marked = frame.columns[[pd.api.types.is_float_dtype(frame[c]) for c in frame.columns]]

        # a row whose group figures alone are hidden (the scorecard's) marks only those: its
        # other blanks (no benchmark figure, say) are not suppressed
        by_group = [c for c in marked if _is_group_figure(str(c), frame.columns)]

        def _mark(row: pd.Series) -> list[str]:
            if suppressed_rows.loc[row.name]:
                columns = marked
            elif groups_only.loc[row.name]:
                columns = by_group
            else:
                return [""] * len(row)
            return [
                "color: #888; font-style: italic" if pd.isna(v) and c in columns else ""
                for c, v in row.items()
            ]

        for rows, columns in ((suppressed_rows, list(marked)), (groups_only, by_group)):
            if rows.any() and columns:
                styler = styler.format(
                    {c: _formatter_for(str(c)) for c in columns},
                    subset=pd.IndexSlice[frame.index[rows.to_numpy()], columns],
                    na_rep=SUPPRESSED_LABEL,
                )
        if (suppressed_rows | groups_only).any():
            styler = styler.apply(_mark, axis=1)
        if self.title:
            styler = styler.set_caption(html.escape(self.title))
        styler = styler.set_table_styles(
            [
                {"selector": "caption", "props": "font-weight: bold; text-align: left;"},
                {"selector": "td, th", "props": "padding: 2px 8px;"},
            ]
        )
        text_columns = [
            c for c in frame.columns
            if pd.api.types.is_string_dtype(frame[c]) or frame[c].dtype == object
        ]
        if text_columns:  # words read from the left, and their headings; numbers right
            styler = styler.set_properties(subset=text_columns, **{"text-align": "left"})
            styler = styler.set_table_styles(
                [{"selector": f"th.col_heading.col{frame.columns.get_loc(c)}",
                  "props": "text-align: left;"} for c in text_columns],
                overwrite=False,
            )
        return styler.hide(axis="index") if _is_default_index(frame) else styler

    def _repr_html_(self) -> str:  # JupyterLab display
        body = self.style_table().to_html()
        if self.notes:
            body += f"<p style='font-size: 90%; color: #555'>{html.escape(self.notes)}</p>"
        return body


def _flag(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(False, index=frame.index)
    return frame[column].fillna(False).astype(bool)


#: Columns of a two-group comparison, besides those named after a group.
_GROUP_COMPARISON = {"gap_mean", "welch_t", "p_value", "p_adjusted"}


def _is_group_figure(column: str, columns: Iterable[object]) -> bool:
    """A figure of one group (``mean_staff`` beside ``n_staff``) or of their comparison."""
    if column.startswith("benchmark_"):  # published figures: blank only where none was
        return False
    groups = [str(c)[2:] for c in columns if str(c).startswith("n_")]
    return column in _GROUP_COMPARISON or any(column.endswith(f"_{g}") for g in groups)


def _is_default_index(frame: pd.DataFrame) -> bool:
    return isinstance(frame.index, pd.RangeIndex)


def _formatter_for(column: str):
    name = column.lower()
    if name.startswith(_P_VALUE_PREFIXES) or name in {"p", "pvalue", "p_value"}:
        return lambda v: "–" if pd.isna(v) else ("< 0.001" if v < 0.001 else f"{v:.3f}")
    if name.startswith(_PERCENT_PREFIXES) or name.endswith("_pct"):
        return lambda v: "–" if pd.isna(v) else f"{v:.1f}"
    if name in {"n", "n_eff", "effective_n", "rank", "n_items", "count"} or name.startswith("n_"):
        return lambda v: "–" if pd.isna(v) else f"{v:,.0f}"
    return lambda v: "–" if pd.isna(v) else f"{v:.2f}"


def result_table(
    frame: pd.DataFrame, *, title: str = "", notes: str = "", min_group_size: int | None = None
) -> ResultTable:
    """Wrap a tidy DataFrame as a `ResultTable`."""
    return ResultTable(frame, title=title, notes=notes, min_group_size=min_group_size)


def suppress(
    frame: pd.DataFrame,
    *,
    n_column: str | Iterable[str] = "n",
    min_group_size: int,
    value_columns: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Blank every value computed from fewer than ``min_group_size`` respondents.

    Parameters
    ----------
    frame
        A tidy result, one row per cell group (item x group, item pair, ...).
    n_column
        The base(s) of each row. With several (e.g. ``n_management`` and ``n_staff`` of a gap),
        a row is suppressed when any base is below the minimum.
    min_group_size
        The confidentiality threshold (params ``min_group_size``, default 5).
    value_columns
        Columns to blank; by default every float column except the bases.

    Returns
    -------
    A copy with the values blanked and ``suppressed`` / ``suppressed_reason`` columns set
    (combined with any suppression already recorded).
    """
    if min_group_size < 1:
        raise ValueError(f"min_group_size must be at least 1, got {min_group_size}")
    n_columns = [n_column] if isinstance(n_column, str) else list(n_column)
    out = frame.copy()
    if value_columns is None:
        value_columns = [
            c
            for c in out.columns
            if c not in n_columns and pd.api.types.is_float_dtype(out[c]) and c != "suppressed"
        ]
    value_columns = list(value_columns)
    too_small = pd.Series(False, index=out.index)
    reasons = pd.Series("", index=out.index, dtype=object)
    for column in n_columns:
        bases = out[column]
        small = bases.isna() | (bases < min_group_size)
        label = "n" if column == "n" else column
        for idx in out.index[small]:
            base = bases.loc[idx]
            shown = "0" if pd.isna(base) else f"{base:.0f}"
            text = f"{label} = {shown} < {min_group_size}"
            reasons.loc[idx] = f"{reasons.loc[idx]}; {text}" if reasons.loc[idx] else text
        too_small |= small
    previous = (
        out["suppressed"].fillna(False).astype(bool)
        if "suppressed" in out.columns
        else pd.Series(False, index=out.index)
    )
    previous_reason = (
        out["suppressed_reason"].fillna("").astype(object)
        if "suppressed_reason" in out.columns
        else pd.Series("", index=out.index, dtype=object)
    )
    out.loc[too_small, value_columns] = np.nan
    combined = pd.Series(
        [_join_reasons(old, new) for old, new in zip(previous_reason, reasons)], index=out.index
    )
    out["suppressed"] = previous | too_small
    out["suppressed_reason"] = combined.where(out["suppressed"], "")
    return out


def complement_hidden(
    n: pd.Series, hidden: pd.Series, sizes: pd.Series, threshold: int, unlisted: int = 0
) -> pd.Series:
    """The parts of a shown total to hide so that no small part follows from subtraction.

    Parameters
    ----------
    n, hidden, sizes
        Per part of the total (a group, a segment), aligned: its answers, whether it is
        already hidden, and its respondents in the survey (answered or not).
    unlisted
        Answers in the total that are in no part (respondents with no segment label).

    Returns
    -------
    The new ``hidden``: the total minus the shown parts is the hidden parts (and the unlisted)
    together, so while they hold between 1 and ``threshold - 1`` answers, or none but a part
    smaller than ``threshold`` is among them (its size would follow from one item's total
    against another's), the smallest shown part is hidden too.
    """
    hidden = hidden.astype(bool).copy()

    def reveals() -> bool:
        answered = n[hidden].sum() + unlisted
        if answered > 0:
            return bool(answered < threshold)
        silent = sizes[hidden]
        return bool(((silent > 0) & (silent < threshold)).any())

    while reveals() and (~hidden).any():
        hidden[n[~hidden].idxmin()] = True
    return hidden


def isolating_pairs(
    populations: np.ndarray, protected: np.ndarray, threshold: int
) -> list[tuple[int, int]]:
    """Pairs of shown bases whose difference is a few respondents of a protected group.

    Parameters
    ----------
    populations
        One row per shown figure, one column per respondent: True where the respondent is in
        the figure's base (who answered the statement, in the group).
    protected
        Per respondent: in a group whose size the report hides (fewer than ``threshold``).
    threshold
        ``min_group_size``.

    Returns
    -------
    ``(i, j)`` for every base ``i`` inside base ``j`` where the respondents of ``j`` not in
    ``i`` number 1 to ``threshold - 1`` and are all protected: ``n_j - n_i`` is then how many
    of the small group answered, and 0 < it < ``threshold`` gives the group's size (or part of
    it) away, which the cover hides as "fewer than 5".

    Notes
    -----
    Such a pair has the same unprotected respondents on both sides, so the bases are grouped
    by their unprotected part first and only the protected part (a handful of respondents) is
    compared within a group: linear in the respondents rather than quadratic in the figures.
    """
    populations = np.asarray(populations, dtype=bool)
    protected = np.asarray(protected, dtype=bool)
    if not protected.any() or len(populations) < 2:
        return []
    by_rest: dict[bytes, list[int]] = {}
    for index, row in enumerate(populations):
        by_rest.setdefault(np.packbits(row[~protected]).tobytes(), []).append(index)
    pairs = []
    for members in by_rest.values():
        if len(members) < 2:
            continue
        part = populations[np.ix_(members, np.flatnonzero(protected))]
        sizes = part.sum(axis=1)
        for a, inner in enumerate(members):
            for b, outer in enumerate(members):
                difference = sizes[b] - sizes[a]
                if 0 < difference < threshold and not (part[a] & ~part[b]).any():
                    pairs.append((inner, outer))
    return pairs


def hide_isolating(
    populations: np.ndarray,
    shown: np.ndarray,
    protected: np.ndarray,
    threshold: int,
    hideable: np.ndarray | None = None,
) -> np.ndarray:
    """The figures to hide so that no two shown bases isolate a protected group (see above).

    Greedy: while `isolating_pairs` finds pairs among the shown bases, the hideable figure in
    the most pairs is hidden (on a tie, the larger base: the statement's overall figure rather
    than a group's on every other statement). ``hideable`` (default all) marks the figures
    this table may hide; the others are shown by another table and only constrain.

    Returns the figures newly hidden (a boolean mask aligned with ``populations``).
    """
    shown = np.asarray(shown, dtype=bool).copy()
    hideable = np.ones(len(shown), dtype=bool) if hideable is None else np.asarray(hideable)
    sizes = np.asarray(populations, dtype=bool).sum(axis=1)
    hidden = np.zeros(len(shown), dtype=bool)
    while True:
        index = np.flatnonzero(shown)
        pairs = [(index[i], index[j]) for i, j in
                 isolating_pairs(np.asarray(populations)[index], protected, threshold)]
        counts: dict[int, int] = {}
        for pair in pairs:
            for member in pair:
                if hideable[member]:
                    counts[member] = counts.get(member, 0) + 1
        if not counts:
            return hidden
        worst = max(counts, key=lambda m: (counts[m], sizes[m], m))
        shown[worst] = False
        hidden[worst] = True


def _join_reasons(old: str, new: str) -> str:
    parts = [p for p in (old.split("; ") + new.split("; ")) if p]
    return "; ".join(dict.fromkeys(parts))


#: A table name is a file name: no path separator, nothing a shell or Excel would trip on.
_FILE_NAME = re.compile(r"^[A-Za-z0-9_-]+$")


#: Significant digits of an exported number: far more than any figure warrants, too few to
#: carry binary rounding error (56.00000000000001 has 16).
EXPORT_DIGITS = 12


def write_tables(tables: Mapping[str, pd.DataFrame], folder: str | Path) -> list[Path]:
    """Write each table as ``<name>.csv`` and all of them as sheets of ``tables.xlsx``.

    No cell can run code when the client opens a file (`cemlab.safe_export`): in the CSV files
    a text cell a spreadsheet would read as a formula (``=``, ``+``, ``-``, ``@`` ...) starts
    with ``'``; in the workbook every text cell is stored as text. Headers and index labels are
    cells too. Numbers stay numbers, rounded to `EXPORT_DIGITS` significant digits in both
    files (`cemlab.labels.clean_numbers`), so float noise (56.00000000000001) reads 56 in a
    text editor and in the workbook's cell alike. Lines end in CRLF
    (RFC 4180), so a field holding a carriage return is quoted and stays one cell. Each file is
    written beside its final name and renamed into place, so an interrupted run leaves no
    half-written file.

    Returns the paths written. Sheet names are the table names cut to Excel's 31 characters;
    names are file names (letters, digits, ``_``, ``-``), else a ValueError.
    """
    sheets: dict[str, str] = {}
    for name in tables:
        if not _FILE_NAME.fullmatch(name):
            raise ValueError(f"table name {name!r}: use letters, digits, '_' or '-'")
        # Excel keeps 31 characters of a sheet name and ignores case
        same = [other for other in sheets.values() if other[:31].lower() == name[:31].lower()]
        if same:
            raise ValueError(f"tables {same[0]!r} and {name!r} would share one sheet in "
                             "tables.xlsx (Excel keeps 31 characters, ignoring case): rename one")
        sheets[name[:31]] = name
    from cemlab.labels import clean_numbers

    tables = {name: clean_numbers(table, EXPORT_DIGITS) for name, table in tables.items()}
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in tables.items():
        path = folder / f"{name}.csv"
        with written_atomically(path) as partial:
            map_text(table, neutralise).to_csv(
                partial, index=not _is_default_index(table), lineterminator="\r\n",
                float_format=_csv_number)
        written.append(path)
    if tables:
        # built in memory and saved only when every sheet is written: pandas' ExcelWriter,
        # left as a context, saves on an error too and replaces the error with its own
        workbook = io.BytesIO()
        writer = pd.ExcelWriter(workbook, engine="openpyxl")
        for sheet, name in sheets.items():
            table = tables[name]
            map_text(table, for_xlsx).to_excel(
                writer, sheet_name=sheet, index=not _is_default_index(table))
            unformula(writer.sheets[sheet])
        writer.close()
        xlsx = folder / "tables.xlsx"
        with written_atomically(xlsx) as partial:
            partial.write_bytes(workbook.getvalue())
        written.append(xlsx)
    return written


def _csv_number(value: float) -> str:
    """A number to 15 significant digits, as a spreadsheet shows it: 56.00000000000001 is 56.

    Only where rounding up would overflow (the largest floats) are all digits kept.
    """
    short = f"{value:.15g}"
    return short if math.isfinite(float(short)) or not math.isfinite(value) else repr(float(value))


