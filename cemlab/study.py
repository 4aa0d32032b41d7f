"""The 2008 Polish study side by side with cemlab: each published figure, reproduced.

`reproduce_2008` recomputes every figure of the benchmark table (F1-F12) from survey data with
cemlab's own analyses and says whether it matches; `practice_view` and `practice_brief` are one
best practice's statements, figures and story, as the workshop shows them.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cemlab._inputs import as_survey
from cemlab.agreement import agreement
from cemlab.benchmarks import load_benchmark
from cemlab.correlation import correlations
from cemlab.instrument import Item
from cemlab.results import ResultTable, result_table
from cemlab.scorecard import scorecard
from cemlab.survey import Survey

#: The study's stand-in data shipped with cemlab (see data/README.md).
STUDY_DATA = Path(__file__).resolve().parents[1] / "data" / "polska-2008.csv"

_PERCENT = {"pct_agree", "pct_disagree", "net_agree"}


def _published(row: pd.Series) -> str:
    unit = "%" if row["statistic"] in {"pct_agree", "pct_disagree"} else ""
    stat = {"net_agree": "% agree - % disagree = ", "spearman_r": "r "}.get(row["statistic"], "")
    if row["relation"] == "max":
        return "the strongest pair"
    if row["relation"] == "min":
        return "the lowest mean"
    sign = {"eq": "", "gt": "> ", "ge": "≥ "}[row["relation"]]
    value = f"{row['value']:g}"
    if row["statistic"] == "spearman_r":
        return f"r {sign}{value}"
    return f"{stat}{sign}{value}{unit}"


def _agreement_value(table: pd.DataFrame, item: str, group: str, statistic: str) -> float:
    rows = table[(table["item"] == item) & (table["group"] == group)]
    return float(rows[statistic].iloc[0]) if len(rows) else np.nan


def _mean_value(card: pd.DataFrame, item: str, group: str) -> float:
    column = "mean" if group == "all" else f"mean_{group}"
    return float(card.loc[item, column])


def reproduce_2008(
    survey: Survey | str | Path | None = None,
    benchmark: str | pd.DataFrame = "polska-2008",
) -> ResultTable:
    """Every published figure of the 2008 study next to the figure cemlab computes.

    Parameters
    ----------
    survey
        The data to check: a `Survey`, a path to load with `cemlab.load`, or None for the
        shipped ``data/polska-2008.csv``.
    benchmark
        The published figures (`cemlab.benchmarks.load_benchmark` name or table).

    Returns
    -------
    ResultTable
        One row per published figure: ``figure`` (F1-F12), ``quote`` (the study's sentence),
        ``item``, ``group``, ``statistic``, ``published`` (as the study states it),
        ``reproduced`` (cemlab's figure, rounded for reading), ``value`` (unrounded), ``ok`` and
        ``status`` (``"OK"`` / ``"NOT OK"``, for reading).

    Notes
    -----
    Percentages come from `cemlab.agreement` (bands of the instrument), means from
    `cemlab.scorecard`, correlations from `cemlab.correlations` (Spearman). ``eq`` figures match
    within their tolerance (±1 point, ±0.05 on means); ``gt``/``ge`` as inequalities; ``max``:
    the pair is the strongest of all pairs; ``min``: the item has the lowest mean of all items.
    """
    from cemlab.io import load  # the loader pulls in file-format libraries; only load when asked

    if survey is None or isinstance(survey, (str, Path)):
        survey = load(STUDY_DATA if survey is None else survey)
    survey = as_survey(survey)
    figures = benchmark if isinstance(benchmark, pd.DataFrame) else load_benchmark(benchmark)
    shares = agreement(survey)
    card = scorecard(survey, benchmark=None).set_index("item")
    pairs = correlations(survey, method="spearman")
    strongest = pairs.loc[pairs["r"].abs().sort_values(ascending=False).index]
    rows = []
    for _, fig in figures.iterrows():
        item, group = fig["item"], fig["group"]
        statistic, relation = fig["statistic"], fig["relation"]
        needed = [item] + ([fig["other_item"]] if pd.notna(fig["other_item"]) else [])
        absent = [i for i in needed if i not in survey.item_ids]
        if absent:
            value, ok, shown = np.nan, False, f"not in the data ({', '.join(absent)})"
        elif statistic == "spearman_r":
            pair = pairs[
                ((pairs["item_a"] == item) & (pairs["item_b"] == fig["other_item"]))
                | ((pairs["item_b"] == item) & (pairs["item_a"] == fig["other_item"]))
            ]
            value = float(pair["r"].iloc[0])
            top_a, top_b = strongest.iloc[0][["item_a", "item_b"]]
            runner_up = float(strongest["r"].iloc[1])
            if relation == "max":
                ok = {top_a, top_b} == {item, fig["other_item"]}
                shown = f"r = {value:.2f} (next strongest pair r = {runner_up:.2f})"
            else:
                ok = value >= fig["value"]
                shown = f"r = {value:.2f}"
        elif statistic == "mean":
            value = _mean_value(card, item, group)
            if relation == "min":
                others = card["mean"].drop(item)
                ok = value < others.min()
                shown = f"{value:.2f} (next lowest {others.min():.2f})"
            else:
                ok = _holds(value, fig)
                shown = f"{value:.2f}"
        else:
            value = _agreement_value(shares, item, group, statistic)
            ok = _holds(value, fig)
            shown = f"{value:.1f}" + ("%" if statistic in {"pct_agree", "pct_disagree"} else "")
        if not absent and np.isnan(value):
            shown = "suppressed (too few answers)"
        rows.append({
            "figure": fig["figure"],
            "quote": fig["quote"],
            "item": item if pd.isna(fig["other_item"]) else f"{item} / {fig['other_item']}",
            "group": group,
            "statistic": statistic,
            "published": _published(fig),
            "reproduced": shown,
            "value": value,
            "ok": bool(ok),
            "status": "OK" if ok else "NOT OK",
        })
    table = pd.DataFrame(rows)
    return result_table(
        table,
        title="The 2008 study's figures, reproduced",
        notes=f"{int(table['ok'].sum())} of {len(table)} published figures reproduced.",
    )


def _holds(value: float, fig: pd.Series) -> bool:
    if np.isnan(value):
        return False
    if fig["relation"] == "eq":
        tolerance = fig["tolerance"] if pd.notna(fig["tolerance"]) else 0.0
        return abs(value - fig["value"]) <= tolerance + 1e-9
    if fig["relation"] == "gt":
        return value > fig["value"]
    if fig["relation"] == "ge":
        return value >= fig["value"]
    raise ValueError(f"relation {fig['relation']!r} does not apply to {fig['statistic']}")


def practice_view(data: Survey | pd.DataFrame, dimension: str) -> ResultTable:
    """One best practice's statements: % agree by group and mean, as a workshop shows them.

    Returns
    -------
    ResultTable
        The rows of `cemlab.agreement` for the dimension's items (every group and ``all``), with
        the group's mean score from `cemlab.scorecard` beside them (suppressed as it is there).
    """
    survey = as_survey(data)
    ids = [dim.id for dim in survey.instrument.dimensions]
    if dimension not in ids:
        raise ValueError(f"no best practice {dimension!r}; the instrument has {', '.join(ids)}")
    shares = agreement(survey)
    shares = shares[shares["dimension"] == dimension]
    card = scorecard(survey, benchmark=None).set_index("item")
    view = shares.assign(mean=[
        card.loc[item, "mean" if group == "all" else f"mean_{group}"]
        if group == "all" or f"mean_{group}" in card.columns else np.nan
        for item, group in zip(shares["item"], shares["group"])
    ])
    columns = ["item", "statement", "group", "n", "pct_disagree", "pct_neutral", "pct_agree",
               "mean", "suppressed", "suppressed_reason"]
    title = next(d.title for d in survey.instrument.dimensions if d.id == dimension)
    return result_table(view[columns].reset_index(drop=True), title=title,
                        min_group_size=shares.min_group_size)


#: How a statement's origin is marked in a brief (an instrument item's ``source``).
SOURCE_MARKS = {"study": "2008 study", "cemlab": "written for cemlab"}
#: The parts of a brief, in the order a workshop shows them (`PracticeBrief.section`).
BRIEF_SECTIONS = ("statements", "study", "data")


@dataclass(frozen=True)
class PracticeBrief:
    """One best practice as a workshop presents it: the statements, the study, the data.

    ``statements`` are the survey statements (the question put to respondents), ``marks`` where
    each comes from ("2008 study", "written for cemlab"; empty when not known); ``study`` the
    study's published findings on them, with the figure the data reproduce; ``data`` one
    sentence per statement on what this data set shows. It displays as HTML in a notebook, every
    text escaped: whole (under the practice's title), or a part at a time with `section` (no
    title: the slide's own heading names the practice).
    """

    dimension: str
    title: str
    statements: tuple[str, ...]
    study: tuple[str, ...]
    data: tuple[str, ...]
    marks: tuple[str, ...] = ()

    def section(self, *names: str) -> _BriefSection:
        """Some parts of the brief, without its title: ``"statements"``, ``"study"``, ``"data"``.

        A slide shows what fits: e.g. ``brief.section("statements")`` under the practice's
        question, ``brief.section("study", "data")`` on the next slide.
        """
        unknown = [n for n in names if n not in BRIEF_SECTIONS]
        if unknown or not names:
            raise ValueError(
                f"no part {', '.join(map(repr, unknown)) or '(none given)'} of a practice brief; "
                f"give one or more of {', '.join(BRIEF_SECTIONS)}"
            )
        return _BriefSection("".join(self._part_html(name) for name in names))

    def _part_html(self, name: str) -> str:
        def bullets(lines: tuple[str, ...], empty: str, marks: tuple[str, ...] = ()) -> str:
            if not lines:
                return f"<p><em>{html.escape(empty)}</em></p>"
            marked = [
                html.escape(line) + (
                    f' <span class="cemlab-source">({html.escape(mark)})</span>' if mark else "")
                for line, mark in zip(lines, [*marks, *[""] * len(lines)])
            ]
            return "<ul>" + "".join(f"<li>{line}</li>" for line in marked) + "</ul>"

        if name == "statements":
            return ("<p><strong>The statements</strong> (rated 1-10)</p>"
                    + bullets(self.statements, "No statement.", self.marks))
        if name == "study":
            return ("<p><strong>What the 2008 study found</strong></p>"
                    + bullets(self.study, "The study published no figure for this practice."))
        return ("<p><strong>What the data show</strong></p>"
                + bullets(self.data, "No statement has enough answers."))

    def _repr_html_(self) -> str:
        return f"<h3>{html.escape(self.title)}</h3>" + self.section(*BRIEF_SECTIONS)._repr_html_()

    def __str__(self) -> str:
        statements = [
            f"{line} ({mark})" if mark else line
            for line, mark in zip(self.statements, [*self.marks, *[""] * len(self.statements)])
        ]
        parts = [self.title, *statements, "Study:", *self.study, "Data:", *self.data]
        return "\n".join(parts)


@dataclass(frozen=True)
class _BriefSection:
    """Part of a `PracticeBrief` as a notebook displays it (already escaped HTML)."""

    html: str

    def _repr_html_(self) -> str:
        return self.html


def source_mark(item: Item) -> str:
    """Where a statement comes from, as a workshop marks it: the study's own words or cemlab's.

    ``source: study`` items quote the 2008 study ("2008 study", "2008 study, paraphrased" for
    the two it only paraphrased); ``source: cemlab`` items were written for cemlab.
    """
    mark = SOURCE_MARKS[item.source]
    return f"{mark}, paraphrased" if item.source == "study" and item.paraphrased else mark


def _why_hidden(row: pd.Series) -> str:
    """Why a group's figure is not shown, in a sentence's words."""
    if str(row.get("suppressed_reason", "")).startswith("hidden too"):
        return "not shown, so that a smaller group cannot be worked out"
    return "too few answers to show"


def _agree_sentence(view: pd.DataFrame, item: str, statement: str, levels: list[str]) -> str:
    rows = view[view["item"] == item].set_index("group")
    shown, hidden = [], []
    for level in levels:
        if level not in rows.index:
            continue
        row = rows.loc[level]
        if pd.isna(row["pct_agree"]):
            hidden.append(f"{level}: {_why_hidden(row)}")
        else:
            mean = f", mean {row['mean']:.1f}" if pd.notna(row["mean"]) else ""
            shown.append(f"{row['pct_agree']:.0f}% of {level} (n = {row['n']:.0f}{mean})")
    parts = [f"agreed by {', '.join(shown)}"] if shown else []
    first, second = (rows.loc[level, "pct_agree"] if level in rows.index else np.nan
                     for level in (levels + [""])[:2])
    if pd.notna(first) and pd.notna(second):
        gap = round(first - second)
        if gap == 0:
            parts.append(f"{levels[0]} and {levels[1]} alike")
        else:
            ahead = levels[0] if gap > 0 else levels[1]
            parts.append(f"{ahead} {abs(gap)} points ahead")
    parts += hidden
    return f"{statement}: " + "; ".join(parts or ["too few answers to show"]) + "."


def practice_brief(
    data: Survey | pd.DataFrame,
    dimension: str,
    benchmark: str | pd.DataFrame = "polska-2008",
) -> PracticeBrief:
    """One best practice for a workshop: its statements, the study's findings, the data's.

    Parameters
    ----------
    data
        The survey (for the workshop, the study's demo data ``data/polska-2008.csv``).
    dimension
        A best practice's id in the instrument (e.g. ``"leadership"``).
    benchmark
        The published figures (`cemlab.benchmarks.load_benchmark` name or table); a figure is
        quoted under every practice one of its statements belongs to.

    Returns
    -------
    PracticeBrief
        The statements, each marked with its origin (`source_mark`); the study's sentences
        with the figure `reproduce_2008` computes from ``data``; and one sentence per
        statement from `practice_view` (% agree per group, the gap between the first two
        groups, the mean). Groups below ``min_group_size`` are named but show no figure.
    """
    survey = as_survey(data)
    view = practice_view(survey, dimension)
    dim = next(d for d in survey.instrument.dimensions if d.id == dimension)
    ids = {item.id for item in dim.items}
    figures = benchmark if isinstance(benchmark, pd.DataFrame) else load_benchmark(benchmark)
    touches = figures["item"].isin(ids) | figures["other_item"].isin(ids)
    study: tuple[str, ...] = ()
    if touches.any():
        reproduced = reproduce_2008(survey, figures[touches].reset_index(drop=True))
        study = tuple(
            f"{row.figure}: {row.quote} (published {row.published}; these data: "
            f"{row.reproduced})"
            for row in reproduced.itertuples()
        )
    levels = list(survey.instrument.groups.levels)
    statements = tuple(item.text for item in dim.items)
    marks = tuple(source_mark(item) for item in dim.items)
    shows = tuple(
        _agree_sentence(view, item.id, item.text, levels)
        for item in dim.items
        if item.id in set(view["item"])
    )
    return PracticeBrief(dimension, dim.title, statements, study, shows, marks)
