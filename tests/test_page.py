"""The printed page's settings (`cemlab.page`): CSS strings that no title can break out of,
page labels in the report's language, and the marks that line a table's figures up."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cemlab.i18n import Language
from cemlab.page import (
    DEFAULT_ACCENT,
    MANY_COLUMNS,
    WIDE_COLUMNS,
    css_string,
    mark_tables,
    page_label,
    page_settings,
)

_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})[ \t\n]?|\\(.)", re.S)


def css_unescape(quoted: str) -> str:
    """Read a CSS string token as a browser does (CSS Syntax 3, "consume an escaped code
    point"): what `css_string` wrote must read back as the text it was given."""
    assert quoted[0] == quoted[-1] == '"'
    body = quoted[1:-1]

    def code_point(match: re.Match[str]) -> str:
        if match[1] is None:
            return match[2]
        value = int(match[1], 16)
        return "\ufffd" if value == 0 or 0xD800 <= value <= 0xDFFF or value > 0x10FFFF \
            else chr(value)

    return _ESCAPE.sub(code_point, body)


@given(st.text())
def test_any_title_is_a_css_string_that_reads_back_as_itself(title):
    quoted = css_string(title)
    inner = quoted[1:-1]
    # nothing that ends the string, the declaration or the <style> element
    assert not re.search(r'["\n\r\f<>{};]', inner)
    assert css_unescape(quoted) == title.replace("\x00", "\ufffd")


def test_spaces_after_an_escape_are_kept():
    # a hex escape swallows one space after it: "Wiś niewski" must not become "Wiśniewski"
    assert css_unescape(css_string("Wiś niewski")) == "Wiś niewski"
    assert css_unescape(css_string("a\"  b")) == 'a"  b'


@pytest.mark.parametrize(("code", "expected"), [
    ("en", '"Page " counter(page) " of " counter(pages)'),
    ("pl", '"Strona " counter(page) " z " counter(pages)'),
])
def test_page_label_in_the_reports_language(code, expected):
    assert page_label(Language(code)) == expected


def test_page_settings():
    settings = page_settings('Acme "CX" </style>', language="pl", paper="letter",
                             accent="#a83c0f")
    assert settings["paper"] == "letter"
    assert settings["accent"] == "#a83c0f"
    assert settings["confidential"] == css_string("Poufne")
    assert "</style>" not in settings["running_header"]
    assert css_unescape(settings["running_header"]) == 'Acme "CX" </style>'
    # a colour that is not #rrggbb never reaches the stylesheet
    assert page_settings("t", accent="red; } body { display: none")["accent"] == DEFAULT_ACCENT
    assert page_settings("t", confidential=False)["confidential"] == "none"
    assert page_settings("t")["paper"] == "A4"
    with pytest.raises(ValueError, match="paper 'a5'"):
        page_settings("t", paper="a5")


def _table(header: list[str], rows: list[list[str]], attributes: str = "") -> str:
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table{attributes}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _classes(page: str, tag: str) -> list[str]:
    return [m[1] or "" for m in re.finditer(rf'<{tag}(?: class="([^"]*)")?>', page)]


def test_figure_columns_are_marked_and_words_are_not():
    page = _table(
        ["Statement", "n", "% agree", "Gap", "p", "Significant"],
        [["Leaders make decisions consistent with the strategy", "300", "69%", "+14.6",
          "&lt; 0.001", "yes"],
         ["Our executives show their commitment", "1,204", "–", "-3.0", "0.52", "no"],
         ["Staff are trained", "12", "suppressed", "−0,4", "0,031", "no"]],
    )
    marked = mark_tables(page)
    assert _classes(marked, "th") == ["prose", "num", "num", "num", "num", ""]
    assert _classes(marked, "td")[:6] == ["prose", "num", "num", "num", "num", ""]


def test_a_column_with_any_text_stays_as_it_reads():
    page = _table(["Finding", "Value"], [["A", "15 NPS points"], ["B", "3"]])
    assert "num" not in mark_tables(page)


def test_existing_classes_are_kept_and_others_untouched():
    page = ('<p>1</p><table id="T_1"><tr><th class="col_heading">mean_ci_low</th></tr>'
            '<tr><td class="data row0">7.39</td></tr></table><p>2</p>')
    marked = mark_tables(page)
    assert '<td class="data row0 num">7.39</td>' in marked
    assert '<th class="col_heading num">mean_<wbr>ci_<wbr>low</th>' in marked
    assert marked.startswith("<p>1</p><table id=\"T_1\">") and marked.endswith("<p>2</p>")


def test_tables_with_spanning_cells_keep_their_columns():
    page = ('<table><tr><th colspan="2">Group</th></tr>'
            "<tr><td>a</td><td>1</td></tr></table>")
    assert "num" not in mark_tables(page)


@pytest.mark.parametrize(("columns", "expected"), [
    (MANY_COLUMNS - 1, ""),
    (MANY_COLUMNS, "cemlab-cols-many"),
    (WIDE_COLUMNS, "cemlab-cols-many cemlab-cols-wide"),
])
def test_wide_tables_are_marked_by_their_columns(columns, expected):
    page = _table([f"c{i}" for i in range(columns)], [["1"] * columns], ' id="T"')
    opening = re.match(r"<table[^>]*>", mark_tables(page))[0]
    assert opening == (f'<table id="T" class="{expected}">' if expected else '<table id="T">')


@given(st.lists(st.lists(st.text(alphabet="ab1 .,-–%<&;", max_size=8), min_size=1,
                         max_size=5), min_size=1, max_size=6))
def test_marking_only_adds_classes_and_breaks(rows):
    width = max(map(len, rows))
    rows = [row + [""] * (width - len(row)) for row in rows]
    page = _table([f"h_{i}" for i in range(width)], rows)
    marked = mark_tables(page)
    stripped = re.sub(r' class="[^"]*"|<wbr>', "", marked)
    assert stripped == page


def test_a_table_too_wide_for_a_portrait_page_gets_a_landscape_one():
    """Not the count of columns but their width at the narrowest: figures never wrap."""
    def opening(columns: int, figure: str) -> str:
        page = _table([f"c{i}" for i in range(columns)], [[figure] * columns])
        return re.match(r"<table[^>]*>", mark_tables(page))[0]

    assert opening(10, "1.2") == '<table class="cemlab-cols-many">'
    assert opening(10, "-1,234,567.891") == '<table class="cemlab-cols-many cemlab-cols-wide">'
    assert opening(16, "-1,234,567.891") == \
        '<table class="cemlab-cols-many cemlab-cols-wide cemlab-cols-squeeze">'
