"""The rendered client reports read as a consultant's deliverable: the four demo clients'
report.html, as a browser shows it (tags, CSS and scripts stripped; alt texts included).

No identifier (snake_case, an item id) anywhere a client reads, a Polish report in Polish
throughout, and every chart described by its alt text. The audit notebook (report.ipynb) is
not the client's reading and is not checked here.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from cemlab import render
from cemlab.instrument import load_instrument

ROOT = Path(__file__).resolve().parents[1]
DEMO_PARAMS = ROOT / "params"
CLIENTS = ("bank-wislany", "brightmart", "harbor-mutual", "kestrel-mobile")
SNAKE = re.compile(r"\b[a-z]+_[a-z0-9_]+\b")


class _Reading(HTMLParser):
    """The text a reader sees, and the alt texts of the images, of one HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.alts: list[str] = []
        self.charts: list[str | None] = []
        self._skip = 0
        self._in_chart = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in ("script", "style"):
            self._skip += 1
        if tag == "figure" and "cemlab-chart" in (attributes.get("class") or ""):
            self._in_chart += 1
        if tag == "img":
            if attributes.get("alt"):
                self.alts.append(attributes["alt"])
            if self._in_chart:
                self.charts.append(attributes.get("alt"))

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1
        if tag == "figure" and self._in_chart:
            self._in_chart -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.text.append(data.strip())


def read(page: str) -> _Reading:
    reading = _Reading()
    reading.feed(page)
    return reading


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, str]:
    reports = tmp_path_factory.mktemp("client-reports")
    result = render.render_batch([DEMO_PARAMS / f"{c}.yaml" for c in CLIENTS],
                                 reports_dir=reports, jobs=2, progress=False)
    assert not result.failed, result.summary()
    return {c: (reports / c / "report.html").read_text(encoding="utf-8") for c in CLIENTS}


@pytest.mark.parametrize("client", CLIENTS)
def test_no_identifier_reaches_the_reader(pages, client):
    reading = read(pages[client])
    shown = "\n".join(reading.text + reading.alts)
    assert len(reading.text) > 200  # the reading is of the report, not of an empty page
    snake = sorted(set(SNAKE.findall(shown)))
    assert not snake, f"{client}: snake_case in the report: {snake[:10]}"
    ids = [*load_instrument("cem-maturity").item_ids,
           *load_instrument("customer-feedback").item_ids]
    found = sorted({i for i in ids if re.search(rf"\b{re.escape(i)}\b", shown)})
    assert not found, f"{client}: item ids in the report: {found}"


@pytest.mark.parametrize("client", CLIENTS)
def test_every_chart_says_what_it_shows(pages, client):
    reading = read(pages[client])
    assert len(reading.charts) >= 3, client  # agreement, scorecard, correlations at least
    for alt in reading.charts:
        assert alt and len(alt.split()) >= 6, f"{client}: a chart's alt text is {alt!r}"
    assert "No description has been provided" not in pages[client]


#: English a Polish report must not show: headings, notes, table words, group names.
ENGLISH = ("the", "and", "of", "management", "staff", "hidden", "suppressed", "Respondents",
           "Statement", "agree", "Significant", "Appendix", "not shown", "fewer than", "Yes",
           "No", "points", "pts", "Not included", "Mean", "Contents", "Confidential",
           "Executive summary", "Key findings", "Data quality", "review", "Customer", "Wave")


def test_the_polish_report_is_polish(pages):
    page = pages["bank-wislany"]
    assert re.search(r'<html[^>]*\blang="pl"', page)
    reading = read(page)
    shown = "\n".join(reading.text + reading.alts)
    found = sorted({w for w in ENGLISH if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", shown)})
    assert not found, f"English in the Polish report: {found}"
    # and it is the Polish report: its statements and its headings
    assert "Najważniejsze wnioski" in shown and "Załącznik" in shown
    assert "Najwyższe kierownictwo okazuje zaangażowanie" in shown


def test_a_small_group_leaves_one_note_and_the_overall_figures(pages):
    # Brightmart: four managers; the agreement section shows every respondent's figures and
    # says once why management is missing, with no column or table of hidden rows
    shown = "\n".join(read(pages["brightmart"]).text)
    section = shown.split("Management and staff: where they agree")[2].split(
        "Scorecard and gaps")[0]
    assert section.count("not shown separately") == 1
    assert "fewer than 5" in section
    assert "% agree — management" not in section and "hidden" not in section


def test_sections_without_data_are_left_out_and_listed_once(pages):
    # Harbor Mutual has neither customer feedback nor a previous wave
    shown = "\n".join(read(pages["harbor-mutual"]).text)
    assert "Customer Net Promoter Score" not in shown
    assert "Trend against the previous wave" not in shown
    assert shown.count("Not included:") == 1
    assert "NPS — no customer feedback was given" in shown
    kestrel = "\n".join(read(pages["kestrel-mobile"]).text)
    assert kestrel.count("Customer Net Promoter Score") == 2  # contents and heading
    assert "Not included:" not in kestrel
