"""How a report's page looks on paper and on screen: the paper size, the running header and
page numbers as CSS, and the marks its tables get so that figures line up.

`page_settings` gives what `templates/report.html.j2` needs; `mark_tables` runs over the
finished HTML. Both are used by `cemlab.render` when it exports a report.
"""

from __future__ import annotations

import html
import re
from typing import Any

from cemlab.i18n import Language

#: Paper sizes the params' ``paper`` may name, as CSS ``@page { size }`` writes them, and their
#: size in PostScript points (what ``pdfinfo`` reports).
PAPER_SIZES: dict[str, tuple[str, tuple[int, int]]] = {
    "a4": ("A4", (595, 842)),
    "letter": ("letter", (612, 792)),
}
DEFAULT_ACCENT = "#3b4f6b"
_ACCENT = re.compile(r"^#[0-9a-fA-F]{6}$")
#: A table with at least this many columns is set smaller (``cemlab-cols-many``), and with at
#: least `WIDE_COLUMNS`, or too wide at its narrowest for `PORTRAIT_WIDTH`, printed on a
#: landscape page of its own (``cemlab-cols-wide``).
MANY_COLUMNS = 8
WIDE_COLUMNS = 21
#: The printed width a table may take on a portrait page: A4's 210 mm less 2 x 16 mm margins
#: (US Letter's is wider); a table that needs more at its narrowest gets a landscape page,
#: and one that needs more than a landscape page (`LANDSCAPE_WIDTH`) is squeezed into it
#: (``cemlab-cols-squeeze``: smaller type, words broken where they must). A table wider than
#: its page would make Chromium shrink every page of the report to fit it.
PORTRAIT_WIDTH = 178
LANDSCAPE_WIDTH = 265
#: A character of 7.5 pt Arial / Liberation Sans averages 0.5 em (headings are bold: 1.1);
#: a cell's padding is 2 x 3 pt in print; a prose column gets 32 mm in a table of many columns.
_CHAR_MM = 7.5 * 0.5 * 25.4 / 72
_PADDING_MM = 6 * 25.4 / 72
PROSE_MIN_MM = 32
#: A text column whose cells average this many characters is prose (``class="prose"``): a
#: statement or a finding, given room so that figures beside it cannot squeeze it to a word.
PROSE_LENGTH = 24
#: Characters a CSS string may hold as they are; every other is written as a hex escape.
_CSS_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ,.:!?-_()'")


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string, safe inside a ``<style>`` element.

    A title comes from a params file: a quote, a backslash or a line break would end the
    string and ``</style>`` the stylesheet, so everything but letters, digits and plain
    punctuation is written as a hex escape (``\\3c ``). The space that ends an escape is
    part of it: a space that follows in the text stays.
    """
    return '"' + "".join(c if c in _CSS_PLAIN else f"\\{ord(c):x} " for c in text) + '"'


def page_label(lang: Language) -> str:
    """The CSS ``content`` of the page number, "Page 3 of 12" in the report's language."""
    template = lang.gettext("Page {page} of {pages}")
    parts = []
    for piece in re.split(r"(\{pages\}|\{page\})", template):
        if piece == "{page}":
            parts.append("counter(page)")
        elif piece == "{pages}":
            parts.append("counter(pages)")
        elif piece:
            parts.append(css_string(piece))
    return " ".join(parts)


def page_settings(
    title: str,
    *,
    language: str = "en",
    paper: str = "a4",
    accent: str | None = None,
    confidential: bool = True,
    cover: bool = True,
) -> dict[str, Any]:
    """What the report template needs to lay out its pages (``resources["cemlab"]``).

    ``title`` heads every page but the cover, beside "Confidential" (when ``confidential``);
    every page but the cover (``cover``: the first page is one) carries "Page n of N".
    ``paper`` is a key of `PAPER_SIZES`; ``accent`` a ``#rrggbb`` colour (else the default).
    """
    lang = Language(language)
    if paper not in PAPER_SIZES:
        raise ValueError(f"paper {paper!r} is not one of {', '.join(PAPER_SIZES)}")
    return {
        "paper": PAPER_SIZES[paper][0],
        "paper_name": paper,
        "accent": accent if accent and _ACCENT.match(accent) else DEFAULT_ACCENT,
        "running_header": css_string(title),
        "confidential": css_string(lang.gettext("Confidential")) if confidential else "none",
        "page_label": page_label(lang),
        "cover": cover,
    }


# --- tables ---------------------------------------------------------------------------------

_TABLE = re.compile(r"<table\b[^>]*>.*?</table>", re.S | re.I)
_TABLE_TAG = re.compile(r"^<table\b[^>]*>", re.I)
_ROW = re.compile(r"<tr\b[^>]*>.*?</tr>", re.S | re.I)
_CELL = re.compile(r"<(t[dh])\b([^>]*)>(.*?)</\1\s*>", re.S | re.I)
_TAGS = re.compile(r"<[^>]+>")
#: A cell that holds a figure: a number with its sign, a comparison (p "< 0.001"), grouping
#: (1,234 or 1 234), a decimal point or comma, a percent sign.
_FIGURE = re.compile(
    r"^[+\-\u2212]?\s*[<>\u2264\u2265]?\s*[+\-\u2212]?\d[\d\s.,\u00a0\u202f]*%?$"
)


def _cell_kind(content: str) -> str:
    """``"figure"``, ``"blank"`` (no digit: "–", "suppressed", empty) or ``"text"``."""
    text = " ".join(html.unescape(_TAGS.sub("", content)).split())
    if _FIGURE.match(text):
        return "figure"
    return "text" if any(c.isdigit() for c in text) or len(text) > 24 else "blank"


def _narrowest_width(rows: list[list[re.Match[str]]], columns: int,
                     marks: dict[int, str]) -> float:
    """How wide, in mm, the table is at the least when printed in ``cemlab-cols-many`` type
    (7.5 pt): each column as wide as its longest figure (figures never wrap), word, or part
    of a heading (headings wrap after ``_`` and ``/``), a prose column at least 32 mm."""
    widest = [0.0] * columns
    for row in rows:
        for index, cell in enumerate(row[:columns]):
            text = html.unescape(_TAGS.sub(" ", cell[3]))
            if cell[1].lower() == "th":
                parts, scale = re.split(r"[\s_/]+", text), 1.1  # bold
            elif marks.get(index) == "num":
                parts, scale = [" ".join(text.split())], 1.0
            else:
                parts, scale = text.split(), 1.0
            longest = max((len(p) for p in parts), default=0) * scale
            widest[index] = max(widest[index], longest)
    return sum(
        max(chars * _CHAR_MM + _PADDING_MM, PROSE_MIN_MM if marks.get(i) == "prose" else 0)
        for i, chars in enumerate(widest)
    )


def _breakable(content: str) -> str:
    """A heading that may wrap after each ``_`` or ``/`` too (``<wbr>``), not only at spaces: a
    long column name then takes the width of its longest part, not of the whole name."""
    return "".join(
        piece if piece.startswith("<") else re.sub(r"([_/])(?=\w)", r"\1<wbr>", piece)
        for piece in re.split(r"(<[^>]+>)", content)
    )


def _mean_length(cells: list[str]) -> float:
    texts = [" ".join(html.unescape(_TAGS.sub("", cell)).split()) for cell in cells]
    return sum(map(len, texts)) / max(1, len(texts))


def _with_class(attributes: str, name: str) -> str:
    match = re.search(r'\bclass="([^"]*)"', attributes)
    if match:
        return (attributes[: match.start()] + f'class="{match[1]} {name}"'
                + attributes[match.end():])
    return f'{attributes} class="{name}"'


def _mark_table(table: str) -> str:
    rows = [[m for m in _CELL.finditer(row[0])] for row in _ROW.finditer(table)]
    tag = _TABLE_TAG.match(table)
    if not rows or tag is None:
        return table
    columns = max(len(r) for r in rows)
    marks: dict[int, str] = {}
    spans = re.search(r"\b(?:rowspan|colspan)=", table, re.I)
    if not spans:  # a multi-level header or index: columns cannot be told apart by position
        body = [r for r in rows if r and any(c[1].lower() == "td" for c in r)]
        for index in range(columns):
            cells = [r[index][3] for r in body
                     if index < len(r) and r[index][1].lower() == "td"]
            kinds = [_cell_kind(cell) for cell in cells]
            if "figure" in kinds and "text" not in kinds:
                marks[index] = "num"
            elif "text" in kinds and _mean_length(cells) >= PROSE_LENGTH:
                marks[index] = "prose"
    opening = tag[0]
    if columns >= MANY_COLUMNS:
        width = _narrowest_width(rows, columns, marks)
        size = ["cemlab-cols-many"]
        if columns >= WIDE_COLUMNS or width > PORTRAIT_WIDTH:
            size.append("cemlab-cols-wide")
        if width > LANDSCAPE_WIDTH:
            size.append("cemlab-cols-squeeze")
        opening = "<table" + _with_class(opening[len("<table"):-1], " ".join(size)) + ">"
    if not marks:
        return opening + table[tag.end():]

    def mark_row(row: re.Match[str]) -> str:
        cells = list(_CELL.finditer(row[0]))
        out, last = [], 0
        for index, cell in enumerate(cells):
            out.append(row[0][last:cell.start()])
            name, attributes, content = cell[1], cell[2], cell[3]
            if name.lower() == "th":
                content = _breakable(content)
            if index in marks:
                attributes = _with_class(attributes, marks[index])
            out.append(f"<{name}{attributes}>{content}</{name}>")
            last = cell.end()
        out.append(row[0][last:])
        return "".join(out)

    return opening + _ROW.sub(mark_row, table[tag.end():])


def mark_tables(page: str) -> str:
    """Mark each table's figure columns (``class="num"``: set right, in tabular numerals), its
    prose columns (``class="prose"``: given a minimum width) and tables with many columns
    (``cemlab-cols-many``: a smaller type, so they fit a page).

    A column is one of figures when each of its cells is a number or holds no digit at all
    ("–", "suppressed"). Tables with spanning cells keep their columns unmarked.
    """
    return _TABLE.sub(lambda m: _mark_table(m[0]), page)


__all__ = ["PAPER_SIZES", "css_string", "mark_tables", "page_label", "page_settings"]
