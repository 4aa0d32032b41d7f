"""The glue a client report notebook needs, kept here so the notebook stays thin and tested.

Escaped HTML for everything that comes from a client (titles, labels, free text), a table or a
one-line note when a section has no data, the cover's respondent counts with small groups
hidden, and `ReportTables`, which collects the tables a report shows and writes them for the
client as CSV and Excel (see `cemlab.render`).
"""

from __future__ import annotations

import base64
import html
import math
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import pandas as pd
from IPython.display import HTML
from pydantic import ValidationError

from cemlab.exceptions import AnalysisError, DataError, ParamsError
from cemlab.i18n import Language
from cemlab.instrument import Instrument, describe_validation_error
from cemlab.labels import finding_value, word
from cemlab.params import (
    LOGO_TYPES,
    SMALLEST_SAFE_GROUP,
    Branding,
    Client,
    Params,
    load_client,
)
from cemlab.results import ResultTable, complement_hidden, result_table, write_tables
from cemlab.survey import QualityIssue, Survey

if TYPE_CHECKING:
    from cemlab.summary import ExecutiveSummary

T = TypeVar("T")

#: The table `cemlab.render` reads the index page's respondents and key figures from.
KEY_FIGURES_TABLE = "key_figures"
RESPONDENTS_FIGURE = "Respondents"
_TABLE_NAME = re.compile(r"^[A-Za-z0-9_-]+$")


def escape(text: object) -> str:
    """HTML-escape any value for a report (quotes too: it may end up inside an attribute)."""
    return html.escape("" if text is None else str(text), quote=True)


def note(text: str) -> HTML:
    """A one-line note in the report, e.g. why a section has nothing to show."""
    return HTML(f'<p class="cemlab-note">{escape(text)}</p>')


def why_note(why: str, fallback: str, lang: Language | None = None) -> HTML:
    """The note of a section that has nothing to show: the analysis' reason in an English
    report, ``fallback`` (already in the report's language) in any other, since the analyses'
    reasons are English; the reason stays in the audit notebook's outputs either way."""
    lang = lang or Language()
    return note(why if why and lang.code == "en" else fallback)


def paragraph(text: str) -> HTML:
    """Prose that includes client strings (a title, a label): escaped, unlike Markdown."""
    return HTML(f"<p>{escape(text)}</p>")


def respondents_text(n: int, min_group_size: int, lang: Language | None = None) -> str:
    """A group's size as the report may show it: exact only at or above ``min_group_size``.

    The size of a small group would identify its members as surely as their answers, so the
    cover says "fewer than 5" instead of "3".
    """
    lang = lang or Language()
    if n >= min_group_size:
        return lang.number(n, 0)
    return lang.gettext("fewer than {n}").format(n=min_group_size)


def logo_data_uri(path: str | Path) -> str:
    """The logo as a ``data:`` URI, so the report carries it and opens with no file beside it."""
    path = Path(path)
    mime = LOGO_TYPES[path.suffix.lower()][0]
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def cover(
    *,
    client: str,
    title: str,
    wave: object | None,
    group_sizes: Mapping[str, int],
    min_group_size: int,
    date: str,
    branding: Branding | None = None,
    lang: Language | None = None,
    allow_small_groups: bool = False,
) -> HTML:
    """The report's first block: who delivers it, title, client, wave, respondents, date.

    ``allow_small_groups`` (the params' key, needed for a ``min_group_size`` below 3) puts the
    smallest group shown on the cover, so that a reader knows figures of so few are in it.

    ``branding`` (the params' ``branding:``) gives the consultancy's name, logo and accent
    colour; every cover says "Confidential". The default name is cemlab's, written in the
    report's language; a consultancy's own name is shown as given. A group below
    ``min_group_size`` is "fewer than N". The total is shown, so the other groups' exact sizes
    would give the small group's away (total minus the rest): while any group is hidden, a
    single other group is shown as "at least" the size it has whatever the hidden ones hold,
    and several others as "at least N".
    """
    lang = lang or Language()
    _ = lang.gettext
    branding = branding or Branding()
    # cemlab's own default name is text of the report, in its language; a consultancy's is kept
    brand = branding.shown_name(_)
    sizes = {level: int(n) for level, n in group_sizes.items()}
    total = sum(sizes.values())
    hidden = [level for level, n in sizes.items() if n < min_group_size]
    shown = [level for level in sizes if level not in hidden]
    if hidden and len(shown) == 1:
        floor = total - len(hidden) * (min_group_size - 1)
    else:
        floor = min_group_size
    rows: list[tuple[str, object]] = [(_("Client"), client)]
    if wave not in (None, ""):
        rows.append((_("Wave"), wave))
    rows.append((_("Respondents"), respondents_text(total, min_group_size, lang)))
    for level, n in sizes.items():
        name = word(level, lang)  # the catalogue's word for a known level, else the client's
        if level in hidden or not hidden:
            rows.append((f"– {name}", respondents_text(n, min_group_size, lang)))
        else:
            least = lang.number(max(floor, min_group_size), 0)
            rows.append((f"– {name}", _("at least {n}").format(n=least)))
    if allow_small_groups and min_group_size < SMALLEST_SAFE_GROUP:
        rows.append((_("Smallest group shown"),
                     _("{n} respondent(s): below the usual {safe}, as agreed with the client")
                     .format(n=lang.number(min_group_size, 0),
                             safe=lang.number(SMALLEST_SAFE_GROUP, 0))))
    rows.append((_("Date"), date))
    items = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows)
    logo = (f'<img class="cemlab-logo" alt="{escape(branding.name)}" '
            f'src="{logo_data_uri(branding.logo)}">' if branding.logo is not None else "")
    return HTML(
        f'<section class="cemlab-cover-page" style="--cemlab-accent: {branding.accent}">'
        f'<div class="cemlab-brand">{logo}<span class="cemlab-brand-name">'
        f'{escape(brand)}</span>'
        f'<span class="cemlab-confidential">{escape(_("Confidential"))}</span></div>'
        f'<h1>{escape(title)}</h1><dl class="cemlab-cover">{items}</dl></section>'
    )


#: The report's parts as its contents lists them: (part, the params section it belongs to,
#: anchor). The executive summary condenses the findings, so it comes and goes with them; the
#: appendix (methods, full tables, what was left out) belongs to no section: every report has it.
CONTENTS: tuple[tuple[str, str, str], ...] = (
    ("summary", "findings", "executive-summary"),
    ("findings", "findings", "key-findings"),
    ("agreement", "agreement", "agreement"),
    ("scorecard", "scorecard", "scorecard"),
    ("correlations", "correlations", "correlations"),
    ("reliability", "reliability", "reliability"),
    ("nps", "nps", "nps"),
    ("trend", "trend", "trend"),
    ("quality", "quality", "quality"),
    ("appendix", "", "appendix"),
)


def _contents_titles(lang: Language) -> dict[str, str]:
    """The titles of `CONTENTS`, marked literally so the catalogue test sees each one."""
    _ = lang.gettext
    return {
        "summary": _("Executive summary"),
        "findings": _("Key findings"),
        "agreement": _("Management and staff: where they agree"),
        "scorecard": _("Scorecard and gaps"),
        "correlations": _("Which practices go together"),
        "reliability": _("Reliability per dimension"),
        "nps": _("Customer Net Promoter Score"),
        "trend": _("Trend against the previous wave"),
        "quality": _("Data quality"),
        "appendix": _("Appendix: methods and full tables"),
    }


def contents(sections: Sequence[str], lang: Language | None = None) -> HTML:
    """The list of the sections this report has, in report order, each a link to its heading.

    ``sections`` are those the report shows (`cemlab.sections.sections_with_data`): a section
    left out for want of data has no entry. The appendix is always listed.
    """
    lang = lang or Language()
    titles = _contents_titles(lang)
    items = "".join(f'<li><a href="#{anchor}">{escape(titles[part])}</a></li>'
                    for part, section, anchor in CONTENTS if not section or section in sections)
    return HTML(f'<nav class="cemlab-contents"><h2>{escape(lang.gettext("Contents"))}</h2>'
                f"<ol>{items}</ol></nav>")


def heading(part: str, lang: Language | None = None,
            shown: Sequence[str] | None = None) -> HTML | None:
    """A part's heading in the report's language, with the anchor `contents` links to.

    None (nothing shown) when ``shown`` (the sections the report shows) leaves its section out.
    """
    section = {name: section for name, section, _anchor in CONTENTS}[part]
    if shown is not None and section and section not in shown:
        return None
    anchor = {name: anchor for name, _section, anchor in CONTENTS}[part]
    return HTML(f'<h2 id="{anchor}">{escape(_contents_titles(lang or Language())[part])}</h2>')


def _sign_number(value: float | None, lang: Language, decimals: int = 1) -> str:
    return lang.number(value, decimals, sign=True)


def executive_summary_html(summary: ExecutiveSummary, lang: Language | None = None,
                           *, target: float | None = None) -> HTML:
    """The executive summary as one page: headline, maturity ranked, strengths, priorities, NPS.

    The maturity table shows the practice, its mean (one decimal), the gap to the target and
    the benchmark; no base, so nothing here is a group size. A suppressed practice says so.
    """
    lang = lang or Language()
    _ = lang.gettext
    parts = [f'<p class="cemlab-headline">{escape(summary.headline)}</p>']
    head = [_("Rank"), _("Practice"), _("Mean"), _("Gap to target"), _("Benchmark")]
    keep = [0, 1, 2, *([3] if target is not None else []), 4]
    rows = []
    for row in summary.maturity.itertuples():
        if pd.isna(row.mean):
            cells = ["–", row.practice, _("suppressed"), "", ""]
        else:
            cells = [str(int(row.rank)), row.practice, lang.number(row.mean),
                     _sign_number(row.gap_to_target, lang), lang.number(row.benchmark_mean)]
        rows.append("<tr>" + "".join(f"<td>{escape(cells[i])}</td>" for i in keep) + "</tr>")
    header = "".join(f"<th>{escape(head[i])}</th>" for i in keep)
    parts.append(f'<table class="cemlab-maturity"><thead><tr>{header}</tr></thead>'
                 f'<tbody>{"".join(rows)}</tbody></table>')
    if summary.overall is not None:
        parts.append(f'<p class="cemlab-note">{escape(_("Overall maturity"))}: '
                     f"{escape(lang.number(summary.overall))}</p>")
    for title, points in ((_("Strengths"), summary.strengths),
                          (_("Priorities"), summary.priorities)):
        if points:
            listed = "".join(f"<li>{escape(point.sentence)}</li>" for point in points)
            parts.append(f"<h3>{escape(title)}</h3><ul>{listed}</ul>")
    if summary.nps is not None:
        text = _("Net Promoter Score: {nps}").format(nps=lang.number(summary.nps, 0))
        if summary.nps_change is not None:
            text += " " + _("({change} points since the previous wave, p {p})").format(
                change=lang.number(summary.nps_change, 0, sign=True),
                p=_p_phrase(summary.nps_change_p, lang))
        parts.append(f"<h3>{escape(_('Customers'))}</h3><p>{escape(text)}</p>")
    return HTML('<section class="cemlab-summary">' + "".join(parts) + "</section>")


def _p_phrase(p: float | None, lang: Language) -> str:
    """"< 0.001" or "= 0.012": p as it follows the letter p."""
    written = lang.p_value(p)
    return written if written.startswith("<") else f"= {written}"


def findings_view(table: pd.DataFrame | None, lang: Language | None = None) -> pd.DataFrame | None:
    """The findings as a reader sees them: rank, the sentence, the value with its unit, p.

    The value is written by `cemlab.labels.finding_value`, the one formatter of a finding's
    figure ("+18 pts", "mean 5.5", "r = 0.60"); p as "< 0.001" or three decimals, "–" for a
    fact with no test.
    """
    if table is None:
        return None
    lang = lang or Language()
    _ = lang.gettext
    units = table["unit"] if "unit" in table.columns else [""] * len(table)
    return pd.DataFrame({
        _("Rank"): table["rank"].astype(int).astype(str),
        _("Finding"): table["finding"],
        _("Value"): [finding_value(k, v, lang, u)
                     for k, v, u in zip(table["kind"], table["value"], units, strict=True)],
        "p": [lang.p_value(None if pd.isna(p) else float(p)) for p in table["p_adjusted"]],
    })


def show_findings(table: pd.DataFrame | None, empty: str, lang: Language | None = None) -> HTML:
    """The findings list (`findings_view`), its sentences set left as text reads."""
    shown = show(findings_view(table, lang), empty)
    return HTML(f'<div class="cemlab-findings">{shown.data}</div>')


def confidential(table: pd.DataFrame, min_group_size: int) -> pd.DataFrame:
    """The table as a client may see it: no group size of a suppressed row.

    The analyses blank a suppressed row's values but keep its bases (``n``, ``n_<group>``) and
    say why in ``suppressed_reason`` ("n = 4 < 5"); a base below ``min_group_size`` is itself
    the figure to protect, and the base of a row hidden to protect another gives that one away
    by subtraction. So every base of a suppressed row is blanked and the reason keeps only the
    rule ("n < 5"). A row flagged ``groups_suppressed`` only (its overall figures shown) loses
    its group bases (``n_<group>``) and keeps ``n``. Rows that are not suppressed are unchanged.
    """
    if "suppressed" not in table.columns:
        return table
    out = table.copy()
    hidden = out["suppressed"].fillna(False).astype(bool)
    # a row whose group figures alone are hidden (the scorecard's) keeps its overall base, and
    # the base of each group whose figures it still shows
    groups_hidden = hidden | (
        out["groups_suppressed"].fillna(False).astype(bool)
        if "groups_suppressed" in out.columns else False
    )
    for column in out.columns:
        if not _is_base(column):
            continue
        if column == "n":
            blank = hidden
        else:
            figures = [c for c in (f"mean{column[1:]}", f"pct_agree{column[1:]}")
                       if c in out.columns]
            shown = out[figures].notna().all(axis=1) if figures else False
            blank = hidden | (groups_hidden & ~shown)
        out[column] = out[column].astype(float).where(~blank)
    if "suppressed_reason" in out.columns:
        out["suppressed_reason"] = out["suppressed_reason"].map(
            lambda reason: reason if _is_missing(reason) else _BASE_IN_REASON.sub(r"\1 <", reason)
        )
    return out


_BASE_IN_REASON = re.compile(r"\b(n(?:_\w+)?) = [\d.,]+ <")


def _is_base(column: object) -> bool:
    return isinstance(column, str) and (column == "n" or column.startswith("n_"))


def table_html(table: pd.DataFrame) -> str:
    """A result table as escaped HTML: labels and text cells from client files cannot inject.

    `ResultTable` keeps its rounding and its marking of suppressed cells; its notes follow.
    Bookkeeping columns a reader does not need are hidden (the CSV keeps them): the
    ``suppressed`` flag (suppressed cells say so themselves) and text columns with nothing in
    them (a ``suppressed_reason`` or ``note`` when no row has one).
    """
    frame = pd.DataFrame(table).copy()
    for column in frame.columns:
        if _is_text(frame[column].dtype):
            frame[column] = frame[column].map(lambda v: v if _is_missing(v) else escape(v))
    hidden = [
        column for column in frame.columns
        if column in ("suppressed", "groups_suppressed")
        or (_is_text(frame[column].dtype) and frame[column].fillna("").eq("").all())
    ]
    frame.columns = _escaped_index(frame.columns)
    frame.index = _escaped_index(frame.index)
    hidden = [escape(column) for column in hidden]
    if isinstance(table, ResultTable):
        escaped = ResultTable(
            frame, title=table.title, notes=table.notes, min_group_size=table.min_group_size
        )
        body = escaped.style_table().hide(hidden, axis="columns").to_html()
        if table.notes:
            body += f'<p class="cemlab-note">{escape(table.notes)}</p>'
        return body
    default_index = isinstance(frame.index, pd.RangeIndex)
    return frame.drop(columns=hidden).to_html(escape=False, na_rep="–", index=not default_index)


def _is_text(dtype: object) -> bool:
    return pd.api.types.is_object_dtype(dtype) or isinstance(dtype, pd.StringDtype)


def _escaped_index(index: pd.Index) -> pd.Index:
    if isinstance(index, pd.MultiIndex):
        return pd.MultiIndex.from_tuples(
            [tuple(escape(v) for v in values) for values in index], names=index.names
        )
    if _is_text(index.dtype):
        return pd.Index([escape(v) for v in index], name=index.name)
    return index


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def show(
    table: pd.DataFrame | None, empty: str = "", *, columns: Sequence[str] | None = None
) -> HTML | None:
    """The table, or the one-line note ``empty`` when there is none or it has no rows.

    With no ``empty`` note nothing is shown: for a second table of a section whose first
    already said, in one line, why there is no data. ``columns`` picks what a reader needs
    from a wide table (those the table lacks are skipped; its suppression marks are kept);
    the CSV keeps every column.
    """
    if table is None or len(table) == 0:
        return note(empty) if empty else None
    if _all_suppressed(table):
        return note(f"{getattr(table, 'title', '') or 'This table'}: every figure is suppressed "
                    f"({_reasons(table)}).")
    if columns is not None:
        keep = [c for c in [*columns, *_SUPPRESSION_COLUMNS] if c in table.columns]
        table = table[list(dict.fromkeys(keep))]
    return HTML(table_html(table))


_SUPPRESSION_COLUMNS = ("suppressed", "groups_suppressed", "suppressed_reason")


def _all_suppressed(table: pd.DataFrame) -> bool:
    return "suppressed" in table.columns and bool(
        table["suppressed"].fillna(False).astype(bool).all()
    )


def _reasons(table: pd.DataFrame) -> str:
    if "suppressed_reason" not in table.columns:
        return "too few respondents"
    reasons = [r for r in dict.fromkeys(table["suppressed_reason"].dropna()) if r]
    return "; ".join(reasons) or "too few respondents"


def chart(draw: Callable[..., Any], table: pd.DataFrame | None, **options: Any) -> None:
    """Draw ``table`` with a `cemlab.plots` function and show it; nothing when there is no data.

    A table whose every row is suppressed draws nothing either: a chart of grey "suppressed"
    labels says no more than the table above it. The chart is shown as `chart_figure`: an SVG
    image with the chart's description (`cemlab.plots.alt_text`) as its alt text.
    """
    if table is None or len(table) == 0 or _all_suppressed(table):
        return
    from IPython.display import display

    display(chart_figure(draw(table, **options)))


def chart_figure(ax: Any) -> HTML:
    """The Axes' figure as ``<figure class="cemlab-chart"><img alt=... src="data:...svg">``.

    The alt text says what the chart shows (`cemlab.plots.alt_text`), for a screen reader and
    for anyone whose browser shows no image; it is escaped, since it quotes statements. The
    image is the SVG of `svg_chart`: sharp at any zoom and in print.
    """
    from cemlab.plots import alt_text

    alt = alt_text(ax) or ""
    svg = svg_chart(ax).data
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return HTML(f'<figure class="cemlab-chart"><img alt="{escape(alt)}" role="img" '
                f'src="data:image/svg+xml;base64,{data}"></figure>')


def svg_chart(ax: Any) -> Any:
    """The Axes' figure as an `IPython.display.SVG` (no date), and the figure closed.

    Text is drawn as outlines of the glyphs matplotlib measured: kept as text, it would be set
    in whatever font the reader's browser has, and wrapped statements, placed line by line
    for matplotlib's font, would no longer line up. matplotlib escapes the text it keeps in
    comments.
    """
    import io

    import matplotlib
    import matplotlib.pyplot as plt
    from IPython.display import SVG

    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": "cemlab"}):
        ax.figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(ax.figure)
    return SVG(buffer.getvalue())


def show_section(view: Any, lang: Language | None = None) -> None:
    """One section as the client reads it (`cemlab.sections.View`): what it means for the
    business, its one note (a group not shown, or why there is no data), one chart, one
    compact table of the statement and at most five figures. Nothing for a section whose data
    was not given (it is listed in the appendix instead)."""
    from IPython.display import display

    from cemlab.labels import client_table
    from cemlab.sections import intro

    lang = lang or Language()
    if view.absent:
        return
    display(HTML(f'<p class="cemlab-intro">{escape(intro(view.section, lang))}</p>'))
    if view.note:
        display(note(view.note))
    if view.chart is not None and view.chart_table is not None:
        chart(view.chart, view.chart_table, **view.chart_options)
    if view.table is not None and len(view.table):
        shown = client_table(view.table, view.columns, lang, view.instrument)
        display(HTML(f'<div class="cemlab-compact">'
                     f"{plain_table_html(shown, _text_positions(shown, lang))}</div>"))


#: Columns of words (a statement, a practice, a segment): set left, as text reads.
TEXT_COLUMNS = frozenset({"statement", "statement_a", "statement_b", "item", "item_a", "item_b",
                          "title", "dimension", "segment", "group", "driver", "check", "detail",
                          "finding", "quadrant", "note"})


def _text_positions(shown: pd.DataFrame, lang: Language) -> list[int]:
    """Positions of the columns of a client table whose heading is that of a `TEXT_COLUMNS`."""
    from cemlab.labels import heading as column_heading

    words = {column_heading(c, lang) for c in TEXT_COLUMNS}
    return [i for i, c in enumerate(shown.columns) if c in words]


def plain_table_html(table: pd.DataFrame, text_columns: Sequence[int] = (0,)) -> str:
    """A table of text cells (`cemlab.labels.client_table`) as escaped HTML, no index.

    The columns at ``text_columns`` (positions) hold words and are set left
    (``class="cemlab-text"``); the others hold figures and are set right.
    """
    def cell(tag: str, position: int, text: object) -> str:
        kind = "cemlab-text" if position in text_columns else "cemlab-figure"
        align = "left" if position in text_columns else "right"
        return f'<{tag} class="{kind}" style="text-align: {align}">{escape(text)}</{tag}>'

    head = "".join(cell("th", i, c) for i, c in enumerate(table.columns))
    rows = "".join("<tr>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>"
                   for row in table.itertuples(index=False))
    return (f'<table class="cemlab-table"><thead><tr>{head}</tr></thead>'
            f"<tbody>{rows}</tbody></table>")


def attempt(analysis: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[T | None, str]:
    """Run an analysis for a section: ``(result, "")``, or ``(None, why)`` when data is lacking.

    Only the errors that mean "this client's data cannot support this section" (an
    `AnalysisError` or a `DataError`) become a note; anything else is a bug and fails the
    report, naming the section. When data the analysis is about (a positional argument) is
    None, e.g. no ``feedback`` or ``previous`` in the params, it is not run and ``(None, "")``
    comes back, so the section shows its own note.
    """
    if any(arg is None for arg in args):
        return None, ""
    try:
        return analysis(*args, **kwargs), ""
    except (AnalysisError, DataError) as exc:
        return None, str(exc)


def journey_drivers(feedback: Survey | None) -> list[str] | None:
    """`cemlab.drivers.journey_drivers`: the one definition of the key drivers, kept here for
    the notebooks that call it from the report module."""
    from cemlab.drivers import journey_drivers

    return journey_drivers(feedback)


def item_dimensions(instrument: Instrument) -> dict[str, str]:
    """Item id -> dimension id, for charts that group statements by best practice."""
    return {
        item.id: dimension.id for dimension in instrument.dimensions for item in dimension.items
    }


def value(table: pd.DataFrame | None, column: str, **where: object) -> float | None:
    """One number of a result table, for a key figure: ``value(nps_table, "nps", segment="all")``.

    Several matching rows must agree (two statements tied for lowest have one lowest mean).
    None when there is no table, no such row, or the value is suppressed (missing), so a
    hidden figure can never reach the index page through a key figure.
    """
    if table is None or column not in table.columns:
        return None
    rows = pd.DataFrame(table)
    for key, wanted in where.items():
        rows = rows[rows[key] == wanted]
    values = rows[column].drop_duplicates()
    if len(values) != 1 or pd.isna(values.iloc[0]):
        return None  # no row, or rows that disagree (which would be meant?), or suppressed
    return float(values.iloc[0])


class ReportTables:
    """The result tables one report shows, written for the client as CSV files and one workbook.

    The notebook adds each table as it shows it, records its headline numbers with
    `key_figure`, and calls `save` at the end. ``folder`` is the ``tables_dir`` notebook
    parameter; when it is None (a notebook run by hand) nothing is written.
    """

    def __init__(self, folder: str | Path | None, *, min_group_size: int) -> None:
        self.folder = Path(folder) if folder else None
        self.min_group_size = min_group_size
        self.tables: dict[str, pd.DataFrame] = {}
        self.key_figures: dict[str, float | str] = {}

    def add(self, name: str, table: pd.DataFrame | None) -> pd.DataFrame | None:
        """Keep ``table`` under ``name`` (a file name: letters, digits, ``_``, ``-``).

        Returns the table as the client may see it (`confidential`): show and chart that one.
        """
        if not _TABLE_NAME.match(name) or name == KEY_FIGURES_TABLE:
            raise ValueError(f"table name {name!r}: use letters, digits, '_' or '-'")
        if table is None:
            return None
        table = confidential(table, self.min_group_size)
        if len(table) > 0:
            self.tables[name] = table
        return table

    def key_figure(self, label: str, value: float | str | None) -> None:
        """A headline number for the index page (skipped when it is missing or suppressed)."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return
        self.key_figures[label] = value

    def respondents(self, n: int) -> None:
        """The client's total respondents, shown on the index only when not a small group."""
        if n >= self.min_group_size:
            self.key_figures = {RESPONDENTS_FIGURE: n, **self.key_figures}

    def key_figures_table(self) -> pd.DataFrame:
        return pd.DataFrame(
            {"figure": list(self.key_figures), "value": list(self.key_figures.values())}
        )

    def save(self) -> list[Path]:
        """Write every table as ``<name>.csv``, all of them as ``tables.xlsx``; return paths."""
        if self.folder is None:
            return []
        tables = {**self.tables, KEY_FIGURES_TABLE: self.key_figures_table()}
        return write_tables(tables, self.folder)



# --- appendix ---------------------------------------------------------------------------------


def data_quality(survey: Survey, min_group_size: int | None = None) -> ResultTable:
    """What the loader read, excluded and set missing, as counts by reason: no value, no row.

    The data-quality log lists rows and values (``cemlab validate`` prints them for the
    consultant); a client report shows only how many, and why. A count of 1 to
    ``min_group_size - 1`` (default the survey's) is hidden ("excluded, unknown group label: 3"
    is a small group's size), 0 may show; and so is any count that would give a hidden one
    away by subtraction: the respondents read when those excluded are hidden (read - analysed),
    and the smallest shown reason for exclusion while the hidden reasons add up to a small
    number (excluded - the shown reasons). The missing count of a statement answered by fewer
    than the minimum is hidden (analysed minus it is that number), and its answers set missing
    are left out of the counts by reason. Reasons never carry a respondent's answer: the
    loader's "'nie wiem' means no answer" is counted as a no-answer code.
    """
    threshold = survey.min_group_size if min_group_size is None else min_group_size
    log = survey.quality
    excluded = len(log.excluded)
    reasons_excluded = Counter(_reason_label(i) for i in log.excluded)
    rows: list[tuple[str, str, float]] = [
        ("respondents", "read from the file", log.rows_read),
        ("respondents", "excluded", excluded),
        ("respondents", "analysed", survey.n),
    ]
    rows += [("excluded", reason, count) for reason, count in reasons_excluded.most_common()]
    missing = survey.items.isna().sum()
    answered = survey.items.notna().sum()
    # the answers set missing in a thinly answered statement would give its base away too
    thin_columns = {log.columns.get(item, item) for item in answered.index
                    if answered[item] < threshold}
    reasons = Counter(_reason_label(i) for i in log.set_missing if i.column not in thin_columns)
    rows += [("answers set missing", reason, count) for reason, count in reasons.most_common()]
    thin = []
    for item_id, count in missing[missing > 0].items():
        if answered[item_id] < threshold:
            thin.append(len(rows))
        rows.append(("missing answers", str(item_id), float(count)))
    table = pd.DataFrame(rows, columns=["check", "detail", "count"]).astype({"count": float})
    why = pd.Series("", index=table.index, dtype=object)
    why[(table["count"] > 0) & (table["count"] < threshold)] = f"count < {threshold}"
    why[thin] = f"answered by n < {threshold}"
    respondents = table.index[:3]
    if why[respondents[1]] or why[respondents[2]]:  # read = excluded + analysed
        why[respondents[0]] = why[respondents[0]] or _SUBTRACTION_REASON
    parts = table.index[table["check"] == "excluded"]
    if len(parts) and not why[respondents[1]]:
        hidden = complement_hidden(table.loc[parts, "count"], why[parts] != "",
                                   table.loc[parts, "count"], threshold)
        added = hidden & (why[parts] == "")
        why[added.index[added.to_numpy()]] = _SUBTRACTION_REASON
    suppressed = why != ""
    table.loc[suppressed, "count"] = np.nan
    table["suppressed"] = suppressed
    table["suppressed_reason"] = why
    return result_table(
        table,
        title="Data quality",
        notes="Missing answers count blanks and answers set missing (don't know, out of range); "
        f"counts from 1 to {threshold - 1} are not shown.",
        min_group_size=threshold,
    )


def quality_in(table: pd.DataFrame, lang: Language) -> pd.DataFrame:
    """The data-quality table for a report in ``lang``: a reason the catalogue does not know
    (the loader's reasons are English) is "other reason" outside English."""
    from cemlab.labels import WORDS

    if lang.code == "en" or "detail" not in table.columns:
        return table
    reasons = table["check"].isin(["excluded", "answers set missing"])
    unknown = reasons & ~table["detail"].isin(list(WORDS))
    return table.assign(detail=table["detail"].where(~unknown, "other"))


_SUBTRACTION_REASON = "hidden too: with the others shown it would give a smaller count away"
#: A cell of the client's file as the loader quotes it in a reason ("'nie wiem' means ...").
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
NO_ANSWER_CODE = "a code for no answer (don't know, refused, n/a)"
UNREADABLE = "an answer that is not a score"


def _reason_label(issue: QualityIssue) -> str:
    """Why the loader dropped a row or an answer, in words that carry none of the client's data.

    The loader's reasons are fixed texts, except that a no-answer code is quoted (it is
    whatever the respondent or the survey tool wrote); a reason that quotes anything, or holds
    the cell's text, is replaced by its kind, so no new reason in the loader can echo a value.
    """
    reason = issue.reason or ""
    if not reason:
        return "other"
    if "means no answer" in reason or "user-missing" in reason:
        return NO_ANSWER_CODE
    value = "" if issue.value is None else str(issue.value).strip()
    echoes = any(ch.isalpha() for ch in value) and value.lower() in reason.lower()
    if _QUOTED.search(reason) or echoes:
        return UNREADABLE
    return reason


def _method_texts(lang: Language) -> dict[str, str]:
    """How each table of the report was computed, by table name (one line each, in ``lang``).

    These say what the notebook's calls compute (the analyses' defaults): agreement gaps and
    the scorecard Holm-adjusted across statements, correlations Spearman with Benjamini-
    Hochberg across pairs (the matrix shows the same coefficients, so it has no line of its own).
    """
    _ = lang.gettext
    return {
        "findings": _(
            "Findings: a finding is reported when its test stays significant at 0.05 after "
            "adjustment (Holm; correlations Benjamini-Hochberg), most important first; the "
            "largest gap, the lowest statement and the strongest correlation are always "
            "reported."),
        "agreement": _(
            "Agreement: % agree, % neutral and % disagree are shares of the respondents who "
            "answered the statement; 95% intervals of % agree by Wilson's method."),
        "agreement_gap": _(
            "Management and staff: the gap in % agree in percentage points; Fisher's exact test "
            "when an expected count is below 5, otherwise the two-proportion z-test; p-values "
            "adjusted across statements (Holm); effect size Cohen's h (0.2 small, 0.5 medium, "
            "0.8 large)."),
        "scorecard": _(
            "Scorecard: means on the survey's scale (reverse-keyed statements turned round) "
            "with 95% t intervals; differences in mean between management and staff by Welch's "
            "t-test, p-values adjusted across statements (Holm); benchmark: the 2008 study of "
            "the Polish market, where it published a figure."),
        "practices": _(
            "Practices: the mean of each respondent's mean over the practice's statements; "
            "Cronbach's alpha from pairwise-complete covariances."),
        "correlations": _(
            "Correlations: Spearman's rank correlation over the respondents who answered both "
            "statements; p-values adjusted across pairs (Benjamini-Hochberg)."),
        "reliability": _(
            "Reliability: Cronbach's alpha per practice with Feldt's 95% interval; 0.7 or more "
            "is usually read as consistent."),
        "item_reliability": _(
            "Statements of a practice: alpha of the practice without the statement, and the "
            "correlation of the statement with the sum of the practice's other statements."),
        "nps": _(
            "NPS: on the recommend question (0-10) promoters answer 9-10, passives 7-8, "
            "detractors 0-6; NPS is % promoters minus % detractors; adjusted-Wald 95% interval "
            "(Rocks 2016)."),
        "nps_trend": _(
            "NPS change: the difference between the waves with its adjusted-Wald 95% interval "
            "and z-test (Rocks 2016)."),
        "drivers": _(
            "Drivers: Johnson's relative weights, the shares of R² of a linear regression of the "
            "recommend score on each touchpoint's satisfaction (summing to 100%), with percentile "
            "bootstrap 95% intervals."),
        "importance_performance": _(
            "Importance and performance: each touchpoint's share of R² against its mean "
            "satisfaction, cut at the means over the touchpoints; a key weakness is important "
            "and below the average performance."),
        "trend": _(
            "Trend: the change is this wave minus the previous one; means by Welch's t-test, "
            "% agree by the two-proportion z-test; p-values adjusted across statements (Holm); "
            "significant means an adjusted p below 0.05."),
        "data_quality": _(
            "Data quality: missing answers count blanks and answers set missing (don't know, "
            "out of range)."),
    }


def _table_titles(lang: Language) -> dict[str, str]:
    """The appendix's titles of the full tables, by table name."""
    _ = lang.gettext
    return {
        "agreement": _("Agreement by group"),
        "agreement_gap": _("Agreement of management and staff"),
        "scorecard": _("Scorecard, every figure"),
        "practices": _("Scorecard by practice"),
        "correlations": _("Correlations between statements"),
        "reliability": _("Reliability per practice"),
        "item_reliability": _("Reliability per statement"),
        "nps": _("Net Promoter Score by segment"),
        "nps_trend": _("NPS against the previous wave"),
        "drivers": _("Drivers of the recommend score"),
        "importance_performance": _("Importance and performance of the touchpoints"),
        "trend": _("Trend per statement"),
        "data_quality": _("Data quality"),
    }


#: Tables the appendix does not repeat: shown in full in their section (findings), or the same
#: figures as another table (the correlation matrix holds the pairs' coefficients).
_NOT_REPEATED = frozenset({"findings", "correlation_matrix"})


def methods(
    instrument: Instrument,
    *,
    min_group_size: int,
    tables: Mapping[str, pd.DataFrame] | None = None,
    lang: Language | None = None,
    left_out: Mapping[str, str] | None = None,
) -> HTML:
    """The methods list: scale, agreement bands, the suppression rule, and each table's method.

    One line per table the report showed (``ReportTables.tables``), in ``lang``; the sections
    left out for want of data (``left_out``, `cemlab.sections.sections_with_data`) are listed
    once at the end: "Not included: NPS — no customer feedback was given".
    """
    lang = lang or Language()
    _ = lang.gettext
    bands = instrument.bands
    parts = [_("disagree {band}").format(band=_band(bands.disagree, lang))]
    if bands.neutral is not None:
        parts.append(_("neutral {band}").format(band=_band(bands.neutral, lang)))
    parts.append(_("agree {band}").format(band=_band(bands.agree, lang)))
    n = lang.number(min_group_size, 0)
    lines = [
        _("Instrument: {title} ({items} statements in {dimensions} practices), answered on a "
          "{low}-{high} scale.").format(
            title=lang.gettext(lang.text(instrument.title or instrument.name)),
            items=lang.number(len(instrument.items), 0),
            dimensions=lang.number(len(instrument.dimensions), 0),
            low=lang.number(instrument.scale.min, 0), high=lang.number(instrument.scale.max, 0)),
        _("Bands: {bands}. “% agree” is the share of respondents who answered the statement "
          "with a score in the agree band.").format(bands=", ".join(parts)),
        _("Confidentiality: a figure computed from fewer than {n} respondents is not shown "
          "(marked “hidden”), and neither is any difference or finding derived from it, nor a "
          "figure from which one could be worked out by subtraction; a group smaller than {n} "
          "is given as “fewer than {n}”.").format(n=n),
    ]
    texts = _method_texts(lang)
    lines += [texts[name] for name in (tables or {}) if name in texts]
    if left_out:
        lines.append(_("Not included: {sections}.").format(sections="; ".join(left_out.values())))
    return HTML('<ul class="cemlab-methods">'
                + "".join(f"<li>{escape(text)}</li>" for text in lines) + "</ul>")


def appendix_tables(tables: Mapping[str, pd.DataFrame], lang: Language | None = None,
                    instruments: Sequence[Instrument] = ()) -> HTML:
    """Every table the report kept, with all its columns, headings and statements in words.

    The sections show a compact table each; here is the rest (as in the workbook, which keeps
    the machine names and full precision). ``instruments`` name the statements: the survey's
    and the customer feedback's. A table of more figures than a page holds is laid out in parts
    (`appendix_parts`); the correlations list the `APPENDIX_PAIRS` strongest pairs, with a note
    that the tables that come with the report hold them all.
    """
    from cemlab.labels import client_table, default_columns

    lang = lang or Language()
    _ = lang.gettext
    titles = _table_titles(lang)
    parts = []
    for name, table in tables.items():
        if name in _NOT_REPEATED or name not in titles or len(table) == 0:
            continue
        instrument = _instrument_of(table, instruments)
        if name == "data_quality":
            table = quality_in(table, lang)
        columns = default_columns(table)
        note_html = ""
        if name == "correlations" and len(table) > APPENDIX_PAIRS:
            strength = pd.to_numeric(table["r"], errors="coerce").abs()
            note_html = note(_("The {shown} strongest of {pairs} pairs of statements; every "
                               "pair is in the tables that come with this report "
                               "(correlations).").format(
                shown=lang.number(APPENDIX_PAIRS, 0), pairs=lang.number(len(table), 0))).data
            table = table.loc[strength.sort_values(ascending=False, kind="stable")
                              .index[:APPENDIX_PAIRS]]
        shown = client_table(table, columns, lang, instrument)
        shown = _without_empty_rows_and_columns(shown, lang)
        if shown.empty:
            continue
        pieces = appendix_parts(shown, _text_positions(shown, lang))
        for number, (piece, words) in enumerate(pieces, start=1):
            title = titles[name] if len(pieces) == 1 else _("{title} ({part} of {parts})").format(
                title=titles[name], part=lang.number(number, 0), parts=lang.number(len(pieces), 0))
            parts.append(f"<h3>{escape(title)}</h3>"
                         + (note_html if number == 1 else "")
                         + f'<div class="cemlab-full-table">{plain_table_html(piece, words)}</div>')
    return HTML("".join(parts))


#: The correlation pairs the appendix lists, strongest first (21 statements make 210 pairs:
#: 19 printed pages); all of them are in tables/correlations.csv and the workbook.
APPENDIX_PAIRS = 20
#: Figure columns per part of a wide appendix table: with the statement, a part fits an A4
#: page at a readable size instead of shrinking every column to a word a line.
APPENDIX_FIGURES_PER_PART = 7


def appendix_parts(
    shown: pd.DataFrame, text_columns: Sequence[int], per_part: int = APPENDIX_FIGURES_PER_PART,
) -> list[tuple[pd.DataFrame, list[int]]]:
    """A wide client table laid out as parts of at most ``per_part`` figure columns, each led
    by the text columns (the first part) or the first of them (the statement, in the others):
    every figure is kept, each on a page-wide table. Returns (part, its text positions)."""
    words = [i for i in text_columns if i < shown.shape[1]]
    figures = [i for i in range(shown.shape[1]) if i not in words]
    if len(figures) <= per_part or not words:
        return [(shown, words)]
    parts = []
    for start in range(0, len(figures), per_part):
        lead = words if start == 0 else words[:1]
        part = shown.iloc[:, lead + figures[start:start + per_part]]
        parts.append((part, list(range(len(lead)))))
    return parts


def _without_empty_rows_and_columns(shown: pd.DataFrame, lang: Language) -> pd.DataFrame:
    """A client table without the rows and columns that hold no figure (every cell hidden or
    empty): a group hidden for confidentiality is said once, in its section, not shown as a
    block of "hidden" rows."""
    empty = shown.isin(["–", lang.gettext("hidden")])
    words = _text_positions(shown, lang)
    figures = [i for i in range(shown.shape[1]) if i not in words]
    if figures:
        shown = shown.loc[~empty.iloc[:, figures].all(axis=1)]
        empty = empty.loc[shown.index]
    return shown.loc[:, ~empty.all(axis=0)]


def _instrument_of(table: pd.DataFrame, instruments: Sequence[Instrument]) -> Instrument | None:
    """The instrument whose items the table is about (the feedback's for drivers)."""
    ids = {str(v) for column in ("item", "item_a", "driver") if column in table.columns
           for v in table[column].dropna()}
    for instrument in instruments:
        if ids and ids <= set(instrument.item_ids) | (
                {instrument.recommend.id} if instrument.recommend else set()):
            return instrument
    return instruments[0] if instruments else None


def _band(band: tuple[float, float], lang: Language | None = None) -> str:
    lang = lang or Language()
    low, high = (lang.number(v, 0 if float(v).is_integer() else 1) for v in band)
    return low if low == high else f"{low}-{high}"


# --- loading the client from the notebook's parameters --------------------------------------

#: Notebook parameters that are not params-file keys: where render wants the tables, and the
#: params file the values came from (for the audit trail in report.ipynb).
NOTEBOOK_ONLY_PARAMETERS = ("tables_dir", "params_file")


def load_report_client(parameters: Mapping[str, Any], folder: str | Path = ".") -> Client:
    """Validate the notebook's parameters as a params file would be, and load the client's data.

    ``cemlab render`` passes the values of the client's params file (paths already absolute);
    a notebook run by hand uses its defaults, with paths relative to ``folder`` (the notebook's
    folder). Raises `ParamsError` with the key at fault, or `DataError` from the loader.
    """
    values = {k: v for k, v in parameters.items() if k not in NOTEBOOK_ONLY_PARAMETERS}
    try:
        params = Params.model_validate(values, context={"folder": Path(folder).resolve()})
    except ValidationError as exc:
        problem = describe_validation_error(exc, values)
        raise ParamsError(f"notebook parameters: {problem}") from None
    return load_client(params)
