"""Every cemlab chart, drawn from the result table it shows, in one colour-blind-safe palette.

Each function takes a result table plus ``ax=None`` and returns the Axes; suppressed values are
never drawn but marked "suppressed (…)" in grey; client text is shown literally (no mathtext).
With ``lang=`` and ``instrument=`` a chart is written in the report's language and names each
statement by its short label; `alt_text` gives what the chart shows, for the report's <img alt>.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Literal

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter
from matplotlib.transforms import offset_copy

from cemlab.i18n import Language
from cemlab.instrument import Instrument
from cemlab.labels import word

# -- the palette: every colour a chart uses is named here -----------------------------------------

#: Disagree / neutral / agree, from ColorBrewer RdBu (safe for the common colour-vision
#: deficiencies) with a neutral grey; NPS detractors / passives / promoters use the same three.
BAND_COLOURS: dict[str, str] = {"disagree": "#D6604D", "neutral": "#BDBDBD", "agree": "#4393C3"}
NPS_COLOURS: dict[str, str] = {
    "detractors": BAND_COLOURS["disagree"],
    "passives": BAND_COLOURS["neutral"],
    "promoters": BAND_COLOURS["agree"],
}
#: Respondent groups, from the Okabe-Ito palette; further groups take OKABE_ITO in turn.
OKABE_ITO: tuple[str, ...] = (
    "#E69F00", "#0072B2", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
)
GROUP_COLOURS: dict[str, str] = {"management": "#E69F00", "staff": "#0072B2"}
#: The one item or quadrant a chart wants the reader to look at (Okabe-Ito vermillion).
HIGHLIGHT = "#D55E00"
#: Points and bars that are not highlighted.
MAIN = "#0072B2"
#: Reference marks: zero lines, targets, cut lines, benchmarks, previous waves.
REFERENCE = "#333333"
#: Text marking a suppressed or empty cell.
SUPPRESSED_COLOUR = "#767676"
#: Importance-performance quadrants (`cemlab.drivers` names them), in legend order.
QUADRANT_COLOURS: dict[str, str] = {
    "key weakness": HIGHLIGHT,
    "key strength": "#009E73",
    "maintain": MAIN,
    "lower priority": "#999999",
}
#: Correlation heatmap colour map (ColorBrewer RdBu, reversed so positive r is blue).
CORRELATION_CMAP = "RdBu_r"

#: The seaborn theme every cemlab chart is designed for; `set_theme` applies it.
THEME_STYLE = "whitegrid"
THEME_RC: dict[str, object] = {
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlelocation": "left",
    "axes.titleweight": "bold",
    "legend.frameon": False,
    "figure.dpi": 100,
    "savefig.bbox": "tight",
}

#: Longest suppression reason written beside a suppressed row (longer ones: "suppressed").
SHORT_REASON = 24
#: Characters per line of a wrapped statement.
WRAP_WIDTH = 40


def set_theme() -> None:
    """Apply the cemlab look (seaborn ``whitegrid``, the group palette) to all later charts.

    Call once at the top of a notebook. The chart functions use the palette above explicitly,
    so they read correctly without it; the theme only sets the surroundings (grid, fonts).
    """
    sns.set_theme(style=THEME_STYLE, context="notebook", palette=list(OKABE_ITO), rc=THEME_RC)


def group_colour(group: str, order: Sequence[str] = ()) -> str:
    """The colour of a respondent group: fixed for management and staff, else by position."""
    if group in GROUP_COLOURS:
        return GROUP_COLOURS[group]
    others = [g for g in order if g not in GROUP_COLOURS]
    position = others.index(group) if group in others else len(others)
    free = [c for c in OKABE_ITO if c not in GROUP_COLOURS.values()]
    return free[position % len(free)]


# -- text -----------------------------------------------------------------------------------------


def plain(text: object) -> str:
    """``text`` as matplotlib shows it literally: a ``$`` never starts mathtext."""
    return str(text).replace("$", r"\$")


def wrap(text: object, width: int = WRAP_WIDTH) -> str:
    """A statement wrapped onto lines of at most ``width`` characters, shown literally."""
    return plain(textwrap.fill(str(text), width=width, break_long_words=False))


def alt_text(chart: Axes | Figure) -> str:
    """What a chart shows, in a sentence or two for the report's ``<img alt>``.

    Every chart function stores it on the Axes it draws (and as the figure's label, where the
    report's image export finds it); a figure with several charts gives all of theirs.
    """
    if isinstance(chart, Axes):
        return getattr(chart, "cemlab_alt", "") or chart.figure.get_label()
    texts = [getattr(ax, "cemlab_alt", "") for ax in chart.axes]
    return " ".join(t for t in texts if t) or chart.get_label()


def _describe(ax: Axes, text: str) -> None:
    ax.cemlab_alt = text  # type: ignore[attr-defined]
    figure = ax.figure
    others = [getattr(a, "cemlab_alt", "") for a in figure.axes if a is not ax]
    figure.set_label(" ".join([*(t for t in others if t), text]))


def _words(lang: str) -> tuple[Language, Callable[[str], str]]:
    language = Language(lang)
    return language, language.gettext


def _group_name(group: object, lang: Language) -> str:
    """A respondent group or segment as a client reads it ("Management", "Kierownictwo")."""
    text = word(str(group), lang)
    return plain(text[:1].upper() + text[1:])


def _flat(label: str) -> str:
    """A wrapped, escaped chart label back on one line, for alt text."""
    return label.replace("\n", " ").replace(r"\$", "$")


# -- shared helpers -------------------------------------------------------------------------------


def _require(table: pd.DataFrame, columns: Iterable[str], chart: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(
            f"{chart}: the table has no column(s) {', '.join(missing)}; "
            f"it has {', '.join(map(str, table.columns))}. Pass the table the analysis returned."
        )


def _axes(
    ax: Axes | None, labels: Sequence[str], units_per_label: float = 1.0, width: float = 8.0
) -> Axes:
    """``ax``, or a new Axes tall enough for the wrapped y-axis ``labels``.

    Each label spans ``units_per_label`` rows of data (a bar or point per row).
    """
    if ax is not None:
        return ax
    # Sized for the average label (a long one borrows room from shorter neighbours), but never
    # so tight that the tallest pair of neighbours overlaps (0.19 in per line of text).
    counts = np.array([label.count("\n") + 1 for label in labels], dtype=float)
    if not len(counts):
        counts = np.ones(1)
    pairs = (counts[1:] + counts[:-1]) / 2 if len(counts) > 1 else counts
    unit = max(0.3, (0.19 * counts.mean() + 0.2) / units_per_label,
               (0.19 * pairs.max() + 0.02) / units_per_label)
    height = max(2.5, unit * units_per_label * len(labels) + 1.4)
    _figure, new = plt.subplots(figsize=(width, height), layout="constrained")
    return new


def _is_true(row: pd.Series, column: str) -> bool:
    """A flag column of a row (``suppressed``, ``significant``); missing counts as False."""
    flag = row.get(column, False)
    return bool(flag) if pd.notna(flag) else False


def _is_suppressed(row: pd.Series) -> bool:
    return _is_true(row, "suppressed")


def _missing_label(row: pd.Series, empty: str, lang: Language) -> str:
    """The grey text put where a suppressed (or empty) value would be."""
    _ = lang.gettext
    if not _is_suppressed(row):
        return empty or _("no answers")
    reason = row.get("suppressed_reason", "")
    if isinstance(reason, str):  # "n_staff = 3 < 5" as a client reads it: "n (staff) = 3 < 5"
        reason = re.sub(r"\bn_(\w+)", lambda m: _("n ({group})").format(
            group=word(m.group(1), lang)), reason)
    # A short reason ("n = 3 < 5") fits in the row; a long one is in the table.
    short = isinstance(reason, str) and 0 < len(reason) <= SHORT_REASON
    return _("suppressed ({reason})").format(reason=reason) if short else _("suppressed")


def _mark_missing(
    ax: Axes, y: float, row: pd.Series, lang: Language, *, left: bool = False, empty: str = ""
) -> None:
    """Write the grey "suppressed (…)" label in row ``y``: centred, or at the left edge."""
    ax.text(0.01 if left else 0.5, y, plain(_missing_label(row, empty, lang)),
            ha="left" if left else "center", va="center", color=SUPPRESSED_COLOUR,
            fontsize="small", fontstyle="italic", transform=ax.get_yaxis_transform(),
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})


def _legend_below(ax: Axes, ncols: int) -> None:
    """The legend in one row under the x-axis label, whatever the figure's height."""
    below = offset_copy(ax.transAxes, fig=ax.figure, y=-34, units="points")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, 0.0), bbox_transform=below, ncols=ncols)


def _row_label(
    row: pd.Series, label_column: str, width: int, instrument: Instrument | None = None,
    lang: str = "en",
) -> str:
    """How a chart names a row: the statement's short label (``instrument`` given), a practice
    title in ``lang``, else the text of ``label_column`` wrapped; the id only when nothing else."""
    if instrument is not None:
        try:
            if label_column == "title" and isinstance(row.get("dimension"), str):
                return wrap(instrument.title_of(row["dimension"], lang), width)
            for column in ("item", "driver"):
                if isinstance(row.get(column), str):
                    return wrap(instrument.short_of(row[column], lang), width)
        except KeyError:
            pass
    text = row.get(label_column)
    return wrap(text if isinstance(text, str) and text else row.get("item", ""), width)


def _item_rows(ax: Axes, labels: Sequence[str]) -> np.ndarray:
    """Row positions top to bottom, one per label, set as the y ticks."""
    y = np.arange(len(labels), dtype=float)
    ax.set_yticks(y, labels)
    ax.set_ylim(len(labels) - 0.5, -0.5)
    ax.grid(axis="y", visible=False)
    return y


def _percent_axis(ax: Axes, lang: Language, signed: bool = False) -> None:
    form = ((lambda v, _: lang.percent(abs(v))) if not signed
            else (lambda v, _: lang.number(v, 0)))
    ax.xaxis.set_major_formatter(FuncFormatter(form))


# -- agreement ------------------------------------------------------------------------------------


def diverging_bars(
    agreement_table: pd.DataFrame,
    ax: Axes | None = None,
    *,
    groups: Sequence[str] | None = None,
    label_column: str = "statement",
    wrap_width: int = WRAP_WIDTH,
    lang: str = "en",
    instrument: Instrument | None = None,
) -> Axes:
    """Diverging stacked bars of % disagree / neutral / agree per item, one bar per group.

    Disagree runs left of zero, agree right of it, neutral is centred on zero (so the agree
    and disagree ends compare directly across bars). Groups of one item sit together; the group
    name is on the right-hand axis. Each bar ends in its % disagree and % agree.

    Parameters
    ----------
    agreement_table
        `cemlab.agreement.agreement` output: ``item``, ``pct_disagree``, ``pct_neutral``,
        ``pct_agree`` (0-100), optional ``group``, ``statement``, ``suppressed``.
    ax
        Where to draw; a new figure sized to the rows when None.
    groups
        Which groups to show, in this order (default: all, in table order).
    label_column
        The column naming each item on the left axis (falls back to ``item``).
    wrap_width
        Characters per line of the item labels.
    lang, instrument
        The language of the chart's words and figures; the instrument whose short labels
        (in ``lang``) name the statements.

    Returns
    -------
    The Axes. Its ``containers`` are three bar containers labelled ``disagree``, ``neutral``
    and ``agree``; a suppressed row has no bars, only a grey "suppressed (…)" label.
    """
    language, _ = _words(lang)
    table = pd.DataFrame(agreement_table).reset_index(drop=True)
    _require(table, ["item", "pct_disagree", "pct_neutral", "pct_agree"], "diverging_bars")
    if "group" not in table.columns:
        table["group"] = ""
    shown = list(groups) if groups is not None else list(dict.fromkeys(table["group"]))
    table = table[table["group"].isin(shown)]
    items = list(dict.fromkeys(table["item"]))
    per_item = len(shown)
    gap = 0.6 if per_item > 1 else 0.2
    item_labels = [
        _row_label(table[table["item"] == item].iloc[0], label_column, wrap_width, instrument, lang)
        for item in items
    ]
    ax = _axes(ax, item_labels, per_item + gap)

    bars: dict[str, tuple[list[float], list[float], list[float]]] = {
        band: ([], [], []) for band in ("disagree", "neutral", "agree")
    }
    row_y, row_group, item_y = [], [], []
    for i, item in enumerate(items):
        rows = table[table["item"] == item].set_index("group")
        start = i * (per_item + gap)
        item_y.append(start + (per_item - 1) / 2)
        for j, group in enumerate(shown):
            if group not in rows.index:
                continue
            row, y = rows.loc[group], start + j
            row_y.append(y)
            row_group.append(group)
            disagree, neutral, agree = row["pct_disagree"], row["pct_neutral"], row["pct_agree"]
            if _is_suppressed(row) or pd.isna(disagree) or pd.isna(agree):
                _mark_missing(ax, y, row, language)
                continue
            neutral = 0.0 if pd.isna(neutral) else float(neutral)
            for band, left, width in (
                ("disagree", -neutral / 2 - disagree, disagree),
                ("neutral", -neutral / 2, neutral),
                ("agree", neutral / 2, agree),
            ):
                bars[band][0].append(y)
                bars[band][1].append(left)
                bars[band][2].append(width)
            ax.text(-neutral / 2 - disagree - 1.5, y, language.percent(disagree), ha="right",
                    va="center", fontsize="x-small")
            ax.text(neutral / 2 + agree + 1.5, y, language.percent(agree), ha="left",
                    va="center", fontsize="x-small")
    band_names = {"disagree": _("disagree"), "neutral": _("neutral"), "agree": _("agree")}
    for band, (ys, lefts, widths) in bars.items():
        ax.barh(ys, widths, left=lefts, height=0.8, color=BAND_COLOURS[band], label=band,
                edgecolor="white", linewidth=0.5)

    ax.axvline(0, color=REFERENCE, linewidth=0.8)
    ax.set_yticks(item_y, item_labels)
    bottom = (len(items) - 1) * (per_item + gap) + per_item - 0.5 if items else 0.5
    ax.set_ylim(bottom, -0.5)
    ax.grid(axis="y", visible=False)
    ax.set_xlim(-115, 115)
    _percent_axis(ax, language)
    ax.set_xlabel(_("% of respondents: disagree ← | → agree (neutral centred)"))
    if per_item > 1:
        names = ax.secondary_yaxis("right")
        names.set_yticks(row_y, [_group_name(g, language) for g in row_group])
        names.tick_params(length=0, labelsize="small")
        names.spines["right"].set_visible(False)
    _legend_below(ax, 3)
    for text, container in zip(ax.get_legend().get_texts(), ax.containers):
        text.set_text(plain(band_names.get(container.get_label(), container.get_label())))
    shown_rows = table[~table.apply(_is_suppressed, axis=1) & table["pct_agree"].notna()]
    summary = _("Bar chart: % disagree, neutral and agree with each statement")
    if per_item > 1:
        summary += _(", by group ({groups})").format(
            groups=", ".join(_group_name(g, language) for g in shown))
    if len(shown_rows):
        best = shown_rows.loc[shown_rows["pct_agree"].idxmax()]
        worst = shown_rows.loc[shown_rows["pct_agree"].idxmin()]
        label_of = dict(zip(items, item_labels))
        summary += ". " + _("Most agreement: {best} ({best_pct}); least: {worst} ({worst_pct})."
                            ).format(best=_flat(label_of[best["item"]]),
                                     best_pct=language.percent(best["pct_agree"]),
                                     worst=_flat(label_of[worst["item"]]),
                                     worst_pct=language.percent(worst["pct_agree"]))
    _describe(ax, summary)
    return ax


def dumbbell(
    gap_table: pd.DataFrame,
    ax: Axes | None = None,
    *,
    groups: tuple[str, str] | None = None,
    label_column: str = "statement",
    wrap_width: int = WRAP_WIDTH,
    lang: str = "en",
    instrument: Instrument | None = None,
) -> Axes:
    """% agree of two groups per item joined by a line; significant gaps marked.

    Parameters
    ----------
    gap_table
        `cemlab.agreement.agreement_gap` output: ``pct_agree_<group>`` for both groups, and
        optionally ``gap_pct``, ``significant``, ``statement``, ``suppressed``.
    ax
        Where to draw; a new figure sized to the items when None.
    groups
        The two groups (default: read from the ``pct_agree_<group>`` columns).
    label_column, wrap_width
        The item labels on the left axis and their line length.

    Returns
    -------
    The Axes: one scatter per group (labelled with the group), a grey line per item, and the
    gap in points at the right, in bold with ``*`` when ``significant`` (after adjustment).
    Suppressed items have no points, only a grey "suppressed (…)" label.
    """
    language, _ = _words(lang)
    table = pd.DataFrame(gap_table).reset_index(drop=True)
    first, second = groups if groups is not None else _gap_groups(table)
    columns = [f"pct_agree_{first}", f"pct_agree_{second}"]
    _require(table, ["item", *columns], "dumbbell")
    labels = [_row_label(row, label_column, wrap_width, instrument, lang)
              for _, row in table.iterrows()]
    ax = _axes(ax, labels)
    y = _item_rows(ax, labels)

    points: dict[str, tuple[list[float], list[float]]] = {first: ([], []), second: ([], [])}
    largest: tuple[float, str] | None = None
    for (_index, row), row_y, label in zip(table.iterrows(), y, labels):
        a, b = row[columns[0]], row[columns[1]]
        if not _is_suppressed(row) and pd.isna(a) != pd.isna(b):  # one group hidden: its point
            group, value = (second, b) if pd.isna(a) else (first, a)
            points[group][0].append(value)
            points[group][1].append(row_y)
            continue
        if _is_suppressed(row) or pd.isna(a) or pd.isna(b):
            _mark_missing(ax, row_y, row, language)
            continue
        significant = _is_true(row, "significant")
        ax.plot([a, b], [row_y, row_y], color=REFERENCE if significant else "#BBBBBB",
                linewidth=2.5 if significant else 1.5, zorder=1)
        for group, value in ((first, a), (second, b)):
            points[group][0].append(value)
            points[group][1].append(row_y)
        gap = row["gap_pct"] if pd.notna(row.get("gap_pct", np.nan)) else a - b
        ax.text(103, row_y, _("{gap} pts").format(gap=language.number(gap, 0, sign=True))
                + (" *" if significant else ""), ha="left",
                va="center", fontsize="small", fontweight="bold" if significant else "normal")
        if largest is None or abs(gap) > abs(largest[0]):
            largest = (gap, label)
    for group, (xs, ys) in points.items():
        if not xs:  # a group hidden on every statement is not in the legend: see the note
            continue
        ax.scatter(xs, ys, s=60, color=group_colour(group, (first, second)), label=plain(group),
                   zorder=2, edgecolor="white", linewidth=0.5)

    ax.set_xlim(0, 100)
    _percent_axis(ax, language)
    names = {g: _group_name(g, language) for g in (first, second)}
    ax.set_xlabel(_("% agree ({first} − {second} gap at right; * significant)").format(
        first=names[first], second=names[second]))
    if any(points[g][0] for g in (first, second)):
        _legend_below(ax, 2)
        legend = ax.get_legend()
        for text in legend.get_texts():
            text.set_text(names.get(text.get_text(), text.get_text()))
    for group, other in ((first, second), (second, first)):
        if not points[group][0] and points[other][0]:
            ax.text(0.0, 1.01, _("{group}: hidden on every statement (too few respondents)")
                    .format(group=names[group]), transform=ax.transAxes, ha="left",
                    va="bottom", color=SUPPRESSED_COLOUR, fontsize="small", fontstyle="italic")
    summary = _("Dot chart: % agree with each statement, {first} against {second}").format(
        first=names[first], second=names[second])
    if largest is not None:
        summary += _("; largest gap: {statement} ({gap} points).").format(
            statement=_flat(largest[1]), gap=language.number(largest[0], 0, sign=True))
    else:
        summary += _("; every statement is suppressed (too few respondents in a group).")
    _describe(ax, summary)
    return ax


def _gap_groups(table: pd.DataFrame) -> tuple[str, str]:
    names = [
        str(c)[len("pct_agree_"):]
        for c in table.columns
        if str(c).startswith("pct_agree_") and not str(c).startswith("pct_agree_ci")
    ]
    if len(names) != 2:
        raise ValueError(
            "dumbbell: expected two pct_agree_<group> columns, found "
            f"{names or 'none'}; pass groups=(first, second)"
        )
    return names[0], names[1]


# -- scorecard ------------------------------------------------------------------------------------


def scorecard_chart(
    scorecard_table: pd.DataFrame,
    ax: Axes | None = None,
    *,
    label_column: str = "statement",
    wrap_width: int = WRAP_WIDTH,
    lang: str = "en",
    instrument: Instrument | None = None,
) -> Axes:
    """Mean score per item with its 95% interval, the target, benchmark marks, lowest in colour.

    Parameters
    ----------
    scorecard_table
        `cemlab.scorecard.scorecard` output: ``item``, ``mean``, and optionally
        ``mean_ci_low``/``mean_ci_high``, ``lowest``, ``target``, ``benchmark_mean``,
        ``statement``, ``suppressed``. Items are drawn in table order, top to bottom.
        `cemlab.scorecard.dimension_scorecard` output draws the same way with
        ``label_column="title"``.
    ax
        Where to draw; a new figure sized to the items when None.
    label_column, wrap_width
        The item labels on the left axis and their line length.

    Returns
    -------
    The Axes. Its error-bar containers are labelled ``mean (95% CI)`` and ``lowest``; the
    target is a dashed line (or ``|`` marks when it differs by item); the benchmark a scatter
    of hollow diamonds labelled ``benchmark``. Suppressed items carry a grey label only.
    """
    language, _ = _words(lang)
    table = pd.DataFrame(scorecard_table).reset_index(drop=True)
    _require(table, ["mean", label_column if label_column in table else "item"],
             "scorecard_chart")
    labels = [_row_label(row, label_column, wrap_width, instrument, lang)
              for _, row in table.iterrows()]
    ax = _axes(ax, labels)
    y = _item_rows(ax, labels)
    drawn = ~table.apply(_is_suppressed, axis=1) & table["mean"].notna()
    if "lowest" in table.columns:
        lowest = table["lowest"].fillna(False).astype(bool) & drawn
    else:
        lowest = drawn & (table["mean"] == table.loc[drawn, "mean"].min())

    has_ci = {"mean_ci_low", "mean_ci_high"} <= set(table.columns)
    legend_names = {"mean (95% CI)": _("mean (95% CI)"), "lowest": _("lowest"),
                    "benchmark": _("benchmark"), "target": _("target")}
    for mask, colour, label in ((drawn & ~lowest, MAIN, "mean (95% CI)"),
                                (lowest, HIGHLIGHT, "lowest")):
        if not mask.any():
            continue
        part = table[mask]
        xerr = (
            np.vstack([part["mean"] - part["mean_ci_low"], part["mean_ci_high"] - part["mean"]])
            if has_ci
            else None
        )
        ax.errorbar(part["mean"], y[mask.to_numpy()], xerr=xerr, fmt="o", color=colour,
                    ecolor=colour, elinewidth=1.5, capsize=3, markersize=7, label=label, zorder=3)
    for (_index, row), row_y, is_drawn in zip(table.iterrows(), y, drawn):
        if not is_drawn:
            _mark_missing(ax, row_y, row, language, left=True)
            continue
        right = row["mean_ci_high"] if has_ci and pd.notna(row["mean_ci_high"]) else row["mean"]
        ax.annotate(language.number(row["mean"], 1), (right, row_y), xytext=(6, 0),
                    textcoords="offset points", va="center", fontsize="x-small")
    for tick, is_lowest in zip(ax.get_yticklabels(), lowest):
        if is_lowest:
            tick.set_color(HIGHLIGHT)
            tick.set_fontweight("bold")

    if "benchmark_mean" in table.columns:
        bench = table["benchmark_mean"].notna() & drawn
        if bench.any():
            ax.scatter(table.loc[bench, "benchmark_mean"], y[bench.to_numpy()], marker="D", s=40,
                       facecolor="none", edgecolor=REFERENCE, linewidth=1.2, label="benchmark",
                       zorder=4)
    if "target" in table.columns and table["target"].notna().any():
        targets = table["target"].dropna().unique()
        if len(targets) == 1:
            ax.axvline(targets[0], color=REFERENCE, linestyle="--", linewidth=1,
                       label=f"target {targets[0]:g}", zorder=2)
            legend_names[f"target {targets[0]:g}"] = _("target {target}").format(
                target=language.number(targets[0], 1).rstrip("0").rstrip(".,"))
        else:
            has_target = table["target"].notna()
            ax.scatter(table.loc[has_target, "target"], y[has_target.to_numpy()], marker="|",
                       s=250, color=REFERENCE, label="target", zorder=2)
    ax.set_xlabel(_("mean score (95% CI)"))
    _legend_below(ax, 2)
    for text in ax.get_legend().get_texts():
        text.set_text(plain(legend_names.get(text.get_text(), text.get_text())))
    summary = _("Dot chart: mean score of each statement with its 95% interval")
    if drawn.any():
        low = table[drawn]["mean"].idxmin()
        summary += _("; lowest: {statement} ({mean}).").format(
            statement=_flat(labels[low]), mean=language.number(table.loc[low, "mean"], 1))
    _describe(ax, summary)
    return ax


# -- correlations ---------------------------------------------------------------------------------


def correlation_heatmap(
    matrix: pd.DataFrame,
    ax: Axes | None = None,
    *,
    dimensions: Mapping[str, str] | None = None,
    annotate: bool | None = None,
    lang: str = "en",
    instrument: Instrument | None = None,
) -> Axes:
    """The item correlation matrix as a heatmap, items grouped by dimension with separators.

    Parameters
    ----------
    matrix
        `cemlab.correlation.correlation_matrix` output: a square table of r, rows and columns
        the same items in the same (dimension) order.
    ax
        Where to draw; a new square figure when None.
    dimensions
        Item id -> dimension id. A line separates consecutive items of different dimensions.
    annotate
        Write r in each cell (default: when there are at most 12 items).

    Returns
    -------
    The Axes, with the heatmap as its first collection (``get_array()`` gives r, row by row).
    A missing r (a suppressed pair) is left blank and hatched grey.
    """
    values = pd.DataFrame(matrix).astype(float)
    if list(values.index) != list(values.columns):
        raise ValueError(
            "correlation_heatmap: the matrix must be square with the same items as rows and "
            "columns in the same order; pass correlation_matrix(survey)"
        )
    size = len(values)
    if ax is None:
        side = (max(4.0, 0.38 * size + 2.5), max(3.5, 0.38 * size + 1.5))
        _figure, ax = plt.subplots(figsize=side, layout="constrained")
    language, _ = _words(lang)
    labels = [plain(instrument.short_of(str(i), lang)) if instrument is not None
              and str(i) in instrument.item_ids else plain(i) for i in values.index]
    sns.heatmap(values, ax=ax, vmin=-1, vmax=1, center=0, cmap=CORRELATION_CMAP, square=True,
                annot=size <= 12 if annotate is None else annotate, fmt=".2f",
                annot_kws={"fontsize": "xx-small" if size > 12 else "x-small"},
                linewidths=0.3, linecolor="white",
                xticklabels=labels, yticklabels=labels, cbar_kws={"label": "r", "shrink": 0.7})
    for row, column in zip(*np.nonzero(values.isna().to_numpy())):
        ax.add_patch(Rectangle((column, row), 1, 1, fill=False, hatch="///",
                               edgecolor=SUPPRESSED_COLOUR, linewidth=0))
    if dimensions is not None:
        dims = [dimensions.get(str(item)) for item in values.index]
        for position in range(1, size):
            if dims[position] != dims[position - 1]:
                ax.axhline(position, color=REFERENCE, linewidth=1.2)
                ax.axvline(position, color=REFERENCE, linewidth=1.2)
    ax.tick_params(axis="both", labelsize="small", length=0)
    ax.set_xlabel("")
    ax.set_ylabel("")
    if annotate is not False and (size <= 12 or annotate) and language.code != "en":
        for text in ax.texts:  # the r written in each cell, with the locale's decimal comma
            text.set_text(text.get_text().replace(".", ","))
    summary = _("Heatmap: correlation (r) between every pair of statements, grouped by practice")
    pairs = values.where(~np.eye(size, dtype=bool)).stack()
    if len(pairs):
        (a, b), r = pairs.abs().idxmax(), pairs[pairs.abs().idxmax()]
        summary += _("; strongest: {first} and {second} (r = {r}).").format(
            first=_flat(labels[list(values.index).index(a)]),
            second=_flat(labels[list(values.index).index(b)]), r=language.number(r, 2))
    _describe(ax, summary)
    return ax



# -- key drivers ----------------------------------------------------------------------------------


def importance_performance_chart(
    table: pd.DataFrame,
    ax: Axes | None = None,
    *,
    importance_cut: float | None = None,
    performance_cut: float | None = None,
    label_column: str = "driver",
    lang: str = "en",
    instrument: Instrument | None = None,
) -> Axes:
    """The importance-performance quadrant: each driver a labelled point, cut lines between.

    Parameters
    ----------
    table
        `cemlab.drivers.importance_performance` output: ``driver``, ``importance``,
        ``performance``, ``quadrant``, optionally ``suppressed``.
    ax
        Where to draw; a new square figure when None.
    importance_cut, performance_cut
        Where the quadrants are cut (default: the mean importance and mean performance of the
        drivers shown, as `cemlab.drivers.importance_performance` cuts them).
    label_column
        The column each point is labelled with.

    Returns
    -------
    The Axes: one scatter per quadrant (labelled with the quadrant; key weaknesses in the
    highlight colour), performance on x and importance on y, dashed cut lines, every point
    labelled. Suppressed drivers are listed in grey in the lower left corner.
    """
    language, _ = _words(lang)
    frame = pd.DataFrame(table).reset_index(drop=True)
    _require(frame, [label_column, "importance", "performance", "quadrant"],
             "importance_performance_chart")
    names = [_flat(_row_label(row, label_column, 200, instrument, lang))
             for _, row in frame.iterrows()]
    if ax is None:
        _figure, ax = plt.subplots(figsize=(7, 6), layout="constrained")
    points = frame[["importance", "performance"]].notna().all(axis=1)
    drawn = ~frame.apply(_is_suppressed, axis=1) & points
    rows = frame[drawn]
    x_cut = rows["performance"].mean() if performance_cut is None else performance_cut
    y_cut = rows["importance"].mean() if importance_cut is None else importance_cut
    present = list(dict.fromkeys(rows["quadrant"]))
    quadrants = [q for q in QUADRANT_COLOURS if q in present]
    quadrants += [q for q in present if q not in QUADRANT_COLOURS]
    others = iter(c for c in OKABE_ITO if c not in QUADRANT_COLOURS.values())
    for quadrant in quadrants:
        part = rows[rows["quadrant"] == quadrant]
        colour = QUADRANT_COLOURS.get(quadrant) or next(others)
        ax.scatter(part["performance"], part["importance"], s=55, label=plain(quadrant),
                   color=colour, zorder=3)
    for index, row in rows.iterrows():
        ax.annotate(wrap(names[index], 25), (row["performance"], row["importance"]),
                    xytext=(5, 4), textcoords="offset points", fontsize="x-small")
    hidden = [names[i] for i in frame.index[~drawn]]
    if len(hidden):
        ax.text(0.01, 0.01, plain(_("suppressed: {names}").format(names=", ".join(hidden))),
                transform=ax.transAxes, ha="left", va="bottom", color=SUPPRESSED_COLOUR,
                fontsize="small", fontstyle="italic")
    ax.axvline(x_cut, color=REFERENCE, linestyle="--", linewidth=1)
    ax.axhline(y_cut, color=REFERENCE, linestyle="--", linewidth=1)
    ax.margins(0.15)
    ax.set_xlabel(_("performance (mean score)"))
    ax.set_ylabel(_("importance (% share of R²)"))
    _legend_below(ax, 2)
    for text in ax.get_legend().get_texts():
        text.set_text(plain(word(text.get_text(), language)))
    summary = _("Scatter chart: importance of each touchpoint against its performance")
    weak = [names[i] for i in rows.index if rows.loc[i, "quadrant"] == "key weakness"]
    if weak:
        summary += _("; key weaknesses: {names}.").format(names=", ".join(weak))
    _describe(ax, summary)
    return ax


# -- Net Promoter Score ---------------------------------------------------------------------------


def nps_chart(
    nps_table: pd.DataFrame,
    ax: Axes | None = None,
    *,
    shares: bool = False,
    label_column: str = "segment",
    lang: str = "en",
) -> Axes:
    """NPS per segment with its 95% interval, or (``shares=True``) its three shares stacked.

    Parameters
    ----------
    nps_table
        `cemlab.nps.nps` output: ``segment``, ``nps`` and optionally ``ci_low``/``ci_high``, or
        for ``shares=True`` ``pct_detractors``, ``pct_passives``, ``pct_promoters`` (0-100).
    ax
        Where to draw; a new figure sized to the segments when None.
    shares
        Draw 100% bars of detractors | passives | promoters (NPS written at the right)
        instead of the score with its interval.
    label_column
        The column naming each segment.

    Returns
    -------
    The Axes: an error-bar container labelled ``NPS (95% CI)`` on a -100..100 axis, or three
    bar containers labelled ``detractors``, ``passives``, ``promoters``. Suppressed segments
    carry a grey label only.
    """
    table = pd.DataFrame(nps_table).reset_index(drop=True)
    share_columns = ["pct_detractors", "pct_passives", "pct_promoters"]
    _require(table, [label_column, "nps", *(share_columns if shares else [])], "nps_chart")
    language, _ = _words(lang)
    labels = [_group_name(segment, language) for segment in table[label_column]]
    ax = _axes(ax, labels)
    y = _item_rows(ax, labels)
    values = share_columns if shares else ["nps"]
    drawn = ~table.apply(_is_suppressed, axis=1) & table[values].notna().all(axis=1)
    for (_index, row), row_y, is_drawn in zip(table.iterrows(), y, drawn):
        if not is_drawn:
            _mark_missing(ax, row_y, row, language)
    rows, row_y = table[drawn], y[drawn.to_numpy()]
    scores = "; ".join(f"{labels[i]} {language.number(table.loc[i, 'nps'], 0, sign=True)}"
                       for i in rows.index if pd.notna(table.loc[i, "nps"]))
    if shares:
        left = np.zeros(len(rows))
        share_names = {"detractors": _("detractors"), "passives": _("passives"),
                       "promoters": _("promoters")}
        for column, name in zip(share_columns, ("detractors", "passives", "promoters")):
            ax.barh(row_y, rows[column], left=left, height=0.7, color=NPS_COLOURS[name],
                    label=name, edgecolor="white", linewidth=0.5)
            left = left + rows[column].to_numpy()
        for score, at in zip(rows["nps"], row_y):
            if pd.notna(score):
                ax.text(101, at, f"NPS {language.number(score, 0, sign=True)}", ha="left",
                        va="center", fontsize="small")
        ax.set_xlim(0, 100)
        _percent_axis(ax, language)
        ax.set_xlabel(_("% of respondents"))
        _legend_below(ax, 3)
        for text in ax.get_legend().get_texts():
            text.set_text(share_names[text.get_text()])
        _describe(ax, _("Stacked bar chart: % detractors, passives and promoters per segment; "
                        "NPS {scores}.").format(scores=scores or "–"))
        return ax
    has_ci = {"ci_low", "ci_high"} <= set(table.columns)
    xerr = (
        np.vstack([rows["nps"] - rows["ci_low"], rows["ci_high"] - rows["nps"]]) if has_ci else None
    )
    ax.errorbar(rows["nps"], row_y, xerr=xerr, fmt="o", color=MAIN, ecolor=MAIN, capsize=3,
                markersize=7, label="NPS (95% CI)", zorder=3)
    for score, at in zip(rows["nps"], row_y):
        ax.annotate(language.number(score, 0, sign=True), (score, at), xytext=(0, 8),
                    textcoords="offset points", ha="center", fontsize="x-small")
    ax.axvline(0, color=REFERENCE, linewidth=0.8)
    ax.set_xlim(-100, 100)
    _percent_axis(ax, language, signed=True)
    ax.set_xlabel(_("Net Promoter Score (−100 to 100), 95% interval"))
    ax.set_ylim(len(table) - 0.5, -0.7)
    _describe(ax, _("Dot chart: Net Promoter Score per segment with its 95% interval: {scores}."
                    ).format(scores=scores or "–"))
    return ax


# -- trend ----------------------------------------------------------------------------------------


def trend_chart(
    trend_table: pd.DataFrame,
    ax: Axes | None = None,
    *,
    measure: Literal["mean", "pct_agree"] = "mean",
    label_column: str = "statement",
    wrap_width: int = WRAP_WIDTH,
    lang: str = "en",
    instrument: Instrument | None = None,
) -> Axes:
    """Previous -> current wave per item: an arrow from last wave's value to this wave's.

    Parameters
    ----------
    trend_table
        `cemlab.trend.trend` output: ``item``, ``<measure>_previous``, ``<measure>_current``,
        optionally ``significant`` (after adjustment), ``statement``, ``suppressed``.
    ax
        Where to draw; a new figure sized to the items when None.
    measure
        ``"mean"`` (mean score) or ``"pct_agree"`` (% agree, 0-100).
    label_column, wrap_width
        The item labels on the left axis and their line length.

    Returns
    -------
    The Axes: scatters labelled ``previous`` (hollow) and ``current`` (filled), one arrow per
    item (blue up, vermillion down; bold with ``*`` when significant). Suppressed items, or
    items missing from one wave, carry a grey label only.
    """
    language, _ = _words(lang)
    table = pd.DataFrame(trend_table).reset_index(drop=True)
    before, after = f"{measure}_previous", f"{measure}_current"
    _require(table, ["item", before, after], "trend_chart")
    labels = [_row_label(row, label_column, wrap_width, instrument, lang)
              for _, row in table.iterrows()]
    ax = _axes(ax, labels)
    y = _item_rows(ax, labels)
    drawn = ~table.apply(_is_suppressed, axis=1) & table[[before, after]].notna().all(axis=1)
    for (_index, row), row_y, is_drawn in zip(table.iterrows(), y, drawn):
        if not is_drawn:
            _mark_missing(ax, row_y, row, language, left=True, empty=_("not in both waves"))
            continue
        significant = _is_true(row, "significant")
        change = row[after] - row[before]
        ax.annotate("", xy=(row[after], row_y), xytext=(row[before], row_y),
                    arrowprops={"arrowstyle": "-|>", "color": MAIN if change >= 0 else HIGHLIGHT,
                                "linewidth": 2.2 if significant else 1.2,
                                "shrinkA": 4, "shrinkB": 4})
        figure = language.number(change, 1, sign=True)
        text = _("{change} pts").format(change=figure) if measure == "pct_agree" else figure
        ax.annotate(text + (" *" if significant else ""),
                    (max(row[before], row[after]), row_y), xytext=(8, 0),
                    textcoords="offset points", va="center", fontsize="x-small",
                    fontweight="bold" if significant else "normal")
    rows, row_y = table[drawn], y[drawn.to_numpy()]
    ax.scatter(rows[before], row_y, s=45, facecolor="white", edgecolor=REFERENCE, label="previous",
               zorder=3)
    ax.scatter(rows[after], row_y, s=45, color=MAIN, label="current", zorder=3)
    if measure == "pct_agree":
        ax.set_xlim(0, 100)
        _percent_axis(ax, language)
        ax.set_xlabel(_("% agree: previous → current wave (* significant)"))
    else:
        ax.set_xlabel(_("mean score: previous → current wave (* significant)"))
        ax.margins(x=0.15)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: language.number(v, 1)))
    _legend_below(ax, 2)
    wave_names = {"previous": _("previous wave"), "current": _("this wave")}
    for text in ax.get_legend().get_texts():
        text.set_text(wave_names[text.get_text()])
    summary = (_("Arrow chart: % agree with each statement, previous wave to this wave")
               if measure == "pct_agree"
               else _("Arrow chart: mean score of each statement, previous wave to this wave"))
    if len(rows):
        changes = rows[after] - rows[before]
        up, down = changes.idxmax(), changes.idxmin()
        summary += _("; largest rise: {up} ({up_change}); largest fall: {down} ({down_change})."
                     ).format(up=_flat(labels[up]),
                              up_change=language.number(changes[up], 1, sign=True),
                              down=_flat(labels[down]),
                              down_change=language.number(changes[down], 1, sign=True))
    _describe(ax, summary)
    return ax
