"""Result tables as a client reads them: headings in words, statements not item ids, numbers
written as a person writes them, in the report's language.

The analyses return tidy tables with machine column names (``pct_agree_management``) and full
float precision; `client_table` turns one into the display table of a report, `clean_numbers`
takes the float noise out of the tables exported to CSV and Excel. Every heading and word is a
msgid of the message catalogue (``cemlab/locale``), so Polish reports need no code of their own.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from cemlab.i18n import Language
from cemlab.instrument import Instrument


def _(message: str) -> str:
    """Mark ``message`` for the catalogue; it is translated where it is shown (gettext_noop)."""
    return message


#: Column -> client heading (the msgid). Columns named ``<base>_<group>`` (``n_management``)
#: take the heading of their base and the group: "% agree — management".
HEADINGS: dict[str, str] = {
    # the row: statement, practice, group
    "rank": _("Rank"),
    "item": _("Statement"),
    "statement": _("Statement"),
    "item_a": _("Statement"),
    "statement_a": _("Statement"),
    "item_b": _("Goes with"),
    "statement_b": _("Goes with"),
    "dimension": _("Practice"),
    "title": _("Practice"),
    "dimension_a": _("Practice"),
    "dimension_b": _("Practice (goes with)"),
    "group": _("Group"),
    "segment": _("Segment"),
    "driver": _("Touchpoint"),
    # counts
    "n": _("Respondents"),
    "n_eff": _("Effective respondents"),
    "n_items": _("Statements"),
    "n_current": _("Respondents, this wave"),
    "n_previous": _("Respondents, previous wave"),
    "count": _("Count"),
    # agreement
    "pct_disagree": _("% disagree"),
    "pct_neutral": _("% neutral"),
    "pct_agree": _("% agree"),
    "net_agree": _("Net agreement (points)"),
    "pct_agree_ci_low": _("% agree, 95% CI from"),
    "pct_agree_ci_high": _("% agree, 95% CI to"),
    "gap_pct": _("Gap (points)"),
    "test": _("Test"),
    "cohens_h": _("Effect size (Cohen's h)"),
    "significant": _("Significant"),
    # scorecard and practices
    "mean": _("Mean"),
    "sd": _("Standard deviation"),
    "mean_ci_low": _("Mean, 95% CI from"),
    "mean_ci_high": _("Mean, 95% CI to"),
    "lowest": _("Lowest"),
    "highest": _("Highest"),
    "target": _("Target"),
    "gap_to_target": _("Gap to target"),
    "benchmark_mean": _("Benchmark mean"),
    "benchmark_pct_agree": _("Benchmark % agree"),
    "gap_to_benchmark": _("Gap to benchmark"),
    "gap_to_benchmark_pct": _("Gap to benchmark (points)"),
    "gap_mean": _("Gap in mean"),
    "welch_t": _("Welch's t"),
    "note": _("Note"),
    # correlations and reliability
    "r": _("Correlation (r)"),
    "alpha": _("Cronbach's alpha"),
    "alpha_ci_low": _("Alpha, 95% CI from"),
    "alpha_ci_high": _("Alpha, 95% CI to"),
    "average_r": _("Average correlation"),
    "reverse": _("Reverse-keyed"),
    "alpha_if_deleted": _("Alpha without this statement"),
    "item_rest_r": _("Correlation with the rest"),
    # NPS and its trend
    "pct_promoters": _("% promoters"),
    "pct_passives": _("% passives"),
    "pct_detractors": _("% detractors"),
    "nps": _("NPS"),
    "se": _("Standard error"),
    "ci_low": _("95% CI from"),
    "ci_high": _("95% CI to"),
    "wave_current": _("This wave"),
    "wave_previous": _("Previous wave"),
    "nps_current": _("NPS, this wave"),
    "nps_previous": _("NPS, previous wave"),
    "change": _("Change (points)"),
    "z": _("z"),
    # trend
    "mean_previous": _("Mean, previous wave"),
    "mean_current": _("Mean, this wave"),
    "change_mean": _("Change in mean"),
    "p_value_mean": _("p (mean)"),
    "p_adjusted_mean": _("p adjusted (mean)"),
    "pct_agree_previous": _("% agree, previous wave"),
    "pct_agree_current": _("% agree, this wave"),
    "change_pct_agree": _("Change in % agree (points)"),
    "p_value_pct": _("p (% agree)"),
    "p_adjusted_pct": _("p adjusted (% agree)"),
    # key drivers
    "raw_weight": _("Raw weight"),
    "share_pct": _("Share of R² (%)"),
    "sign": _("Direction"),
    "signed_share": _("Signed share of R² (%)"),
    "r_squared": _("R²"),
    "importance": _("Importance (% of R²)"),
    "importance_ci_low": _("Importance, 95% CI from"),
    "importance_ci_high": _("Importance, 95% CI to"),
    "performance": _("Performance (mean)"),
    "quadrant": _("Quadrant"),
    # findings and data quality
    "kind": _("Kind"),
    "finding": _("Finding"),
    "unit": _("Unit"),
    "always_reported": _("Always reported"),
    "items": _("Statements"),
    "value": _("Value"),
    "check": _("Check"),
    "detail": _("Detail"),
    # tests and suppression
    "p_value": _("p"),
    "p_adjusted": _("p adjusted"),
    "suppressed": _("Suppressed"),
    "groups_suppressed": _("Groups suppressed"),
    "suppressed_reason": _("Why suppressed"),
}

#: Words the analyses write into cells (group levels, quadrants, finding kinds, data-quality
#: checks, test names), translated where a client reads them.
WORDS: dict[str, str] = {
    "management": _("management"),
    "staff": _("staff"),
    "all": _("all"),
    "consumer": _("consumer"),
    "business": _("business"),
    "key weakness": _("key weakness"),
    "key strength": _("key strength"),
    "maintain": _("maintain"),
    "lower priority": _("lower priority"),
    "largest gap": _("largest gap"),
    "gap": _("gap"),
    "lowest": _("lowest"),
    "strongest correlation": _("strongest correlation"),
    "benchmark": _("benchmark"),
    "respondents": _("respondents"),
    "read from the file": _("read from the file"),
    "excluded": _("excluded"),
    "analysed": _("analysed"),
    "answers set missing": _("answers set missing"),
    "missing answers": _("missing answers"),
    "z": _("z-test"),
    "fisher": _("Fisher's exact test"),
    # why the loader left a respondent or an answer out (`cemlab.report.data_quality`)
    "no group given": _("no group given"),
    "unknown group label": _("unknown group label"),
    "excluded on purpose (exclude_labels)": _("excluded on purpose"),
    "repeated respondent id": _("repeated respondent id"),
    "no respondent id": _("no respondent id"),
    "more cells than the header": _("more cells than the header"),
    "note below the data": _("note below the data"),
    "summary row below the data": _("summary row below the data"),
    "a code for no answer (don't know, refused, n/a)": _(
        "a code for no answer (don't know, refused, n/a)"),
    "an answer that is not a score": _("an answer that is not a score"),
    "other": _("other reason"),
}

#: Columns a client table leaves out unless asked: the suppression flags (a suppressed cell
#: shows its marker) and the machinery of a method.
HIDDEN = frozenset({"suppressed", "suppressed_reason", "groups_suppressed", "raw_weight", "sign",
                    "se", "n_eff"})

Kind = Literal["count", "percent", "points", "mean", "mean_change", "coefficient", "p", "flag",
               "text", "nps"]

_EXACT_KINDS: dict[str, Kind] = {
    **dict.fromkeys(["n", "n_eff", "n_items", "rank", "count"], "count"),
    **dict.fromkeys(["pct_disagree", "pct_neutral", "pct_agree", "pct_agree_ci_low",
                     "pct_agree_ci_high", "benchmark_pct_agree", "pct_promoters", "pct_passives",
                     "pct_detractors", "share_pct", "importance", "importance_ci_low",
                     "importance_ci_high", "pct_agree_previous", "pct_agree_current"],
                    "percent"),
    **dict.fromkeys(["net_agree", "gap_pct", "gap_to_benchmark_pct", "change",
                     "change_pct_agree", "signed_share"], "points"),
    **dict.fromkeys(["nps", "nps_current", "nps_previous"], "nps"),
    **dict.fromkeys(["mean", "sd", "mean_ci_low", "mean_ci_high", "target", "benchmark_mean",
                     "performance", "se", "mean_previous", "mean_current"], "mean"),
    **dict.fromkeys(["gap_to_target", "gap_to_benchmark", "gap_mean", "change_mean"],
                    "mean_change"),
    **dict.fromkeys(["r", "alpha", "alpha_ci_low", "alpha_ci_high", "average_r",
                     "alpha_if_deleted", "item_rest_r", "cohens_h", "r_squared", "welch_t", "z",
                     "raw_weight", "sign"], "coefficient"),
    **dict.fromkeys(["significant", "reverse", "lowest", "highest", "suppressed",
                     "groups_suppressed", "always_reported"], "flag"),
}
#: Bases of per-group columns (``mean_management``), longest first so that
#: ``gap_to_benchmark_pct_management`` is read as gap_to_benchmark_pct + management.
_GROUP_BASES = ("gap_to_benchmark_pct", "benchmark_pct_agree", "pct_agree", "mean", "n")
_SNAKE = re.compile(r"\b[a-z]+_[a-z0-9_]+\b")


def _group_column(column: str, levels: Sequence[str]) -> tuple[str, str] | None:
    """``(base, group)`` of a per-group column such as ``pct_agree_staff``, else None."""
    for base in _GROUP_BASES:
        for level in levels:
            if column == f"{base}_{level}":
                return base, level
    return None


def _levels(table: pd.DataFrame, instrument: Instrument | None) -> list[str]:
    levels = list(instrument.groups.levels) if instrument is not None else []
    if "group" in table.columns:
        levels += [str(g) for g in table["group"].dropna().unique() if str(g) not in levels]
    return levels + [w for w in ("management", "staff") if w not in levels]


def word(value: str, lang: Language) -> str:
    """A word the analyses write (a group, quadrant, kind of finding) in ``lang``."""
    return lang.gettext(WORDS[value]) if value in WORDS else value


def heading(
    column: str, lang: Language | str = "en", instrument: Instrument | None = None,
    levels: Sequence[str] = (),
) -> str:
    """The client heading of a result column: ``pct_agree_management`` -> "% agree — management".

    A column cemlab does not know is written in words ("extra_score" -> "Extra score") rather
    than shown as an identifier.
    """
    lang = _language(lang)
    if column in HEADINGS:
        return lang.gettext(HEADINGS[column])
    levels = [*levels, *(instrument.groups.levels if instrument is not None else ())]
    split = _group_column(column, levels or ["management", "staff"])
    if split is not None:
        base, group = split
        return f"{lang.gettext(HEADINGS[base])} — {word(group, lang)}"
    return column.replace("_", " ").strip().capitalize()


def column_kind(column: str, table: pd.DataFrame | None = None,
                levels: Sequence[str] = ("management", "staff")) -> Kind:
    """How the values of a column are written: a count, a percentage, points, a mean, ...

    A 95% interval (``ci_low``/``ci_high``) takes the kind of the figure it bounds in ``table``:
    NPS points in the NPS table, a change in points in the NPS trend, a share of R² in the
    key-driver table.
    """
    if column in _EXACT_KINDS:
        return _EXACT_KINDS[column]
    split = _group_column(column, levels)
    if split is not None:
        return _EXACT_KINDS[split[0]]
    if column in ("ci_low", "ci_high") and table is not None:
        for bounded in ("nps", "change", "share_pct"):
            if bounded in table.columns:
                return _EXACT_KINDS[bounded]
    if column.startswith("p_value") or column.startswith("p_adjusted"):
        return "p"
    return "text"


def _language(lang: Language | str) -> Language:
    return lang if isinstance(lang, Language) else Language(lang)


def format_value(value: object, kind: Kind, lang: Language) -> str:
    """One figure as a person writes it: "63%", "+14", "5.8", "< 0.001", "Yes"."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "–"
    if kind == "flag":
        return lang.gettext("Yes") if bool(value) else lang.gettext("No")
    if kind == "text" or isinstance(value, str):
        return str(value)
    number = float(value)  # type: ignore[arg-type]
    if kind == "count":
        return lang.number(number, 0)
    if kind == "percent":
        return lang.percent(number)
    if kind in ("points", "nps"):
        return lang.number(number, 0, sign=True)
    if kind == "mean":
        return lang.number(number, 1)
    if kind == "mean_change":
        return lang.number(number, 1, sign=True)
    if kind == "coefficient":
        return lang.number(number, 2)
    return lang.p_value(number)


#: How a finding's value is written, by the kind of finding (`cemlab.findings`): gaps and
#: changes of % agree and NPS in whole points, means and their changes to one decimal, r to two
#: places, a touchpoint's importance as a whole share of R².
_FINDING_UNITS: dict[str, tuple[Kind, str]] = {
    "largest gap": ("points", _("{value} pts")),
    "gap": ("points", _("{value} pts")),
    "benchmark": ("points", _("{value} pts")),
    "nps change": ("points", _("{value} NPS pts")),
    "lowest": ("mean", _("mean {value}")),
    "target": ("mean_change", _("{value} against target")),
    "strongest correlation": ("coefficient", _("r = {value}")),
    "key weakness": ("percent", _("{value} of explained variance")),
}
#: A trend finding is of a mean or of % agree: its form follows the unit the finding names.
_TREND_MEAN = ("mean_change", _("{value} in mean"))


def finding_value(kind: str, value: object, lang: Language | str = "en", unit: str = "") -> str:
    """The figure of a finding with its unit: "+18 pts", "mean 5.5", "r = 0.60".

    The one formatter of a finding's value, for the findings table and the executive summary.
    ``unit`` (the finding's ``unit`` column, in the report's language) tells a trend in the
    mean ("+0.4 in mean") from one in % agree ("+12 pts").
    """
    lang = _language(lang)
    if kind == "trend":
        points = unit in (lang.gettext("points"), "points")
        form, template = _FINDING_UNITS["gap"] if points else _TREND_MEAN
    else:
        form, template = _FINDING_UNITS.get(kind, ("coefficient", "{value}"))
    text = format_value(value, form, lang)
    return text if text == "–" else lang.gettext(template).format(value=text)


class _Words:
    """Client words for the ids a cell may hold: statements, practices, groups."""

    def __init__(self, instrument: Instrument | None, lang: Language, levels: Sequence[str]):
        self.instrument, self.lang, self.levels = instrument, lang, levels
        ids = []
        if instrument is not None:
            ids = instrument.item_ids + [d.id for d in instrument.dimensions]
            ids += [instrument.recommend.id] if instrument.recommend else []
        self._ids = re.compile(r"\b(" + "|".join(map(re.escape, ids)) + r")\b") if ids else None

    def statement(self, item_id: object, short: bool = False) -> str:
        if self.instrument is None or not isinstance(item_id, str):
            return "–" if item_id is None else str(item_id)
        try:
            if short:
                return self.instrument.short_of(item_id, self.lang.code)
            return self.instrument.text_of(item_id, self.lang.code)
        except KeyError:
            return self.text(item_id)

    def practice(self, dimension_id: object) -> str:
        if self.instrument is None or not isinstance(dimension_id, str):
            return str(dimension_id)
        try:
            return self.instrument.title_of(dimension_id, self.lang.code)
        except KeyError:
            return dimension_id

    def text(self, value: object) -> str:
        """Free text from an analysis: its words translated, ids named, ``n_staff`` spelt out."""
        if not isinstance(value, str):
            return format_value(value, "text", self.lang)
        if value in WORDS:
            value = word(value, self.lang)
            return value[:1].upper() + value[1:]
        if self._ids is not None:
            value = self._ids.sub(lambda m: self._name(m.group(1)), value)
        n_of = self.lang.gettext("n ({group})")
        return re.sub(r"\bn_([A-Za-z0-9]+)\b",
                      lambda m: n_of.format(group=word(m.group(1), self.lang)), value)

    def _name(self, some_id: str) -> str:
        assert self.instrument is not None
        if any(d.id == some_id for d in self.instrument.dimensions):
            return f"“{self.practice(some_id)}”"
        return f"“{self.statement(some_id, short=True)}”"


_ID_COLUMNS = {"item": "statement", "item_a": "statement_a", "item_b": "statement_b",
               "driver": "statement", "dimension": "title"}


def default_columns(table: pd.DataFrame) -> list[str]:
    """The columns a client table shows by default: all but the machinery (`HIDDEN`), and an id
    column only where no statement or title column names the same thing."""
    return [
        c for c in table.columns
        if c not in HIDDEN and not (c in _ID_COLUMNS and _ID_COLUMNS[c] in table.columns)
    ]


def client_table(
    table: pd.DataFrame,
    columns: Sequence[str] | None = None,
    lang: Language | str = "en",
    instrument: Instrument | None = None,
    *,
    suppressed_marker: str | None = None,
) -> pd.DataFrame:
    """A result table as a client reads it: every cell text, every heading in words.

    Parameters
    ----------
    table
        A result table of a cemlab analysis (agreement, scorecard, nps, findings, ...).
    columns
        The columns to show, in order (default: `default_columns`).
    lang
        The report language ("en", "pl" or a `Language`).
    instrument
        The survey's instrument: item ids become statements and dimension ids practice titles
        in ``lang``; without it they are shown as given.
    suppressed_marker
        What a cell hidden for confidentiality shows (default: "n < min." in the language).

    Returns
    -------
    A DataFrame of strings with the client headings as columns: statements in ``lang``,
    flags Yes/No, percentages and NPS whole, means to one decimal, gaps and changes signed,
    p-values as "< 0.001", a finding's value with its unit. A cell that is empty because its
    row is suppressed shows the marker; one empty for another reason shows "–".
    """
    lang = _language(lang)
    frame = pd.DataFrame(table).reset_index(drop=True)
    columns = list(columns) if columns is not None else default_columns(frame)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"client_table: the table has no column(s) {', '.join(missing)}; it "
                         f"has {', '.join(map(str, frame.columns))}")
    levels = _levels(frame, instrument)
    words = _Words(instrument, lang, levels)
    marker = suppressed_marker or lang.gettext("hidden")
    suppressed = (frame["suppressed"].fillna(False).astype(bool) if "suppressed" in frame
                  else pd.Series(False, index=frame.index))
    out: dict[str, list[str]] = {}
    for column in columns:
        values = frame[column]
        if column in ("item", "item_a", "item_b", "driver"):
            cells = [words.statement(v) for v in values]
        elif column in ("statement", "statement_a", "statement_b") and instrument is not None:
            ids = frame.get({"statement": "item", "statement_a": "item_a",
                             "statement_b": "item_b"}[column])
            if ids is None and column == "statement":
                ids = frame.get("driver")
            cells = ([words.statement(i) for i in ids] if ids is not None
                     else [words.text(v) for v in values])
        elif column in ("dimension", "dimension_a", "dimension_b"):
            cells = [words.practice(v) for v in values]
        elif column == "title" and "dimension" in frame and instrument is not None:
            cells = [words.practice(v) for v in frame["dimension"]]
        elif column in ("group", "segment"):
            cells = [words.text(v) for v in values]
        elif column == "items":
            cells = ["; ".join(words.statement(i.strip(), short=True) for i in str(v).split(",")
                               if i.strip()) or "–" for v in values]
        elif column == "value" and "kind" in frame:
            units = frame["unit"] if "unit" in frame else [""] * len(frame)
            cells = [finding_value(k, v, lang, u) for k, v, u in zip(frame["kind"], values, units)]
        else:
            kind = column_kind(column, frame, levels)
            cells = [words.text(v) if kind == "text" else format_value(v, kind, lang)
                     for v in values]
        cells = [marker if (cell == "–" and hidden) else cell
                 for cell, hidden in zip(cells, suppressed)]
        out[heading(column, lang, instrument, levels)] = cells
    result = pd.DataFrame(out, index=frame.index)
    if len(set(result.columns)) < len(result.columns):  # e.g. item and statement both asked
        result = result.loc[:, ~result.columns.duplicated()]
    return result


def clean_numbers(
    table: pd.DataFrame, digits: int = 10, decimals: Mapping[str, int] | None = None
) -> pd.DataFrame:
    """A copy of ``table`` without float noise (``56.00000000000001`` -> ``56.0``), for export.

    Every float column is rounded to ``digits`` significant digits: far more than any figure
    warrants, far fewer than the 17 that show binary rounding error. ``decimals`` rounds named
    columns to a number of decimal places instead. Whole numbers, text and missing values are
    left as they are; the index is cleaned the same way (a correlation matrix has floats there
    only when its items are numbers, so this is rare).
    """
    out = table.copy()
    decimals = dict(decimals or {})
    for column in out.columns:
        if not pd.api.types.is_float_dtype(out[column]):
            continue
        if column in decimals:
            out[column] = out[column].round(decimals[column])
        else:
            out[column] = _significant(out[column].to_numpy(dtype=float), digits)
    return out


def _significant(values: np.ndarray, digits: int) -> np.ndarray:
    # formatting to ``digits`` significant digits and reading back is exact rounding in decimal
    # (a float next to the largest one stays as it is rather than round up to infinity)
    rounded = [float(f"{v:.{digits}g}") if math.isfinite(v) else v for v in values]
    return np.array([r if math.isfinite(r) else v for r, v in zip(rounded, values)])


def has_identifier(text: str, instrument: Instrument | None = None) -> bool:
    """Whether ``text`` shows a snake_case token or an item id, which no client should read."""
    if _SNAKE.search(text):
        return True
    if instrument is None:
        return False
    ids = instrument.item_ids + ([instrument.recommend.id] if instrument.recommend else [])
    return any(re.search(rf"\b{re.escape(i)}\b", text) for i in ids)
