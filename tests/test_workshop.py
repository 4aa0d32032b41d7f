"""The workshop works in a room without Wi-Fi (issue 11, section 8).

`cemlab present notebooks/workshop.ipynb` (`make workshop`) writes slides that load nothing
from the network (reveal.js inlined), every slide of which fits a 16:9 screen; a handout (HTML
and, with Chromium, PDF) holding every practice; and each statement is marked as the 2008
study's own or as written for cemlab. The notebook is rendered once for the module; the slides
are opened in headless Chromium with the network blocked.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from test_instrument import STUDY_ITEMS

from cemlab import load_instrument
from cemlab.cli import main as cli_main
from cemlab.pdf import CHROMIUM_FLAGS, find_chromium
from cemlab.render import REVEAL_CONFIG, render_notebook

ROOT = Path(__file__).resolve().parents[1]
WORKSHOP = ROOT / "notebooks" / "workshop.ipynb"
CEM = load_instrument("cem-maturity")
#: The practices' headings as the workshop numbers them: "1. Leadership" ... "10. KPIs ...".
PRACTICE_HEADING = re.compile(r"^(\d+)\. \S")


def needs_chromium() -> str:
    chromium = find_chromium()
    if chromium is None:
        pytest.skip("opening the slides needs Debian's chromium: apt-get install chromium")
    return chromium


@pytest.fixture(scope="module")
def workshop(tmp_path_factory) -> Path:
    """The folder `cemlab present` writes for the workshop (slides, handout, PDF if it can)."""
    out = tmp_path_factory.mktemp("workshop")
    render_notebook(WORKSHOP, out)
    return out / "workshop"


def open_in_chromium(page: Path, chromium: str, *, script: str = "") -> str:
    """The page's DOM after 5 s of its own time in headless Chromium at 1280x720, with every
    network request refused (a proxy nobody listens on, every host name unknown). ``script``
    is added at the end of a copy of the page."""
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / page.name
        text = page.read_text(encoding="utf-8")
        end = text.rindex("</html>")
        copy.write_text(text[:end] + script + text[end:], encoding="utf-8")
        done = subprocess.run(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={scratch}/profile",
             "--window-size=1280,720", "--virtual-time-budget=5000", "--dump-dom",
             copy.as_uri()],
            capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


class _Headings(HTMLParser):
    """Every h1-h6 of a page, in order, as (level, text without the anchor's pilcrow)."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[tuple[int, str]] = []
        self._open: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if re.fullmatch(r"h[1-6]", tag):
            self._open, self._level = [], int(tag[1])

    def handle_endtag(self, tag: str) -> None:
        if re.fullmatch(r"h[1-6]", tag) and self._open is not None:
            self.headings.append((self._level, "".join(self._open).replace("¶", "").strip()))
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open.append(data)


def headings_of(page: str) -> list[tuple[int, str]]:
    parser = _Headings()
    parser.feed(page)
    return parser.headings


#: What would make a browser fetch something: an attribute or a CSS reference that is not
#: inline data nor a link within the page.
_FETCHES = re.compile(
    r"""(?:(?<![\w-])(?:src|href|poster|data|action)\s*=\s*["']?(?!data:|#|["'\s>])[^"'\s>]*)"""
    r"""|(?:@import\b[^;]*)|(?:url\(\s*["']?(?!data:|#)[^)]*\))""",
    re.IGNORECASE,
)
#: What would make a script fetch something from another host (reveal.js's code assigns
#: ``src`` to its own elements, so inside scripts only a URL to elsewhere counts).
_SCRIPT_FETCHES = re.compile(
    r"""(?:\b(?:src|href)\s*=\s*["'](?:https?:)?//[^"']*)"""
    r"""|(?:\b(?:import|fetch|importScripts|open)\s*\(\s*["'](?:https?:)?//[^"']*)"""
    r"""|(?:\bfrom\s*["'](?:https?:)?//[^"']*)""",
    re.IGNORECASE,
)
_SCRIPT = re.compile(r"(<script\b[^>]*>)(.*?)(</script>)", re.IGNORECASE | re.DOTALL)


def fetches(page: str) -> list[str]:
    """Every reference in the page that would load something (not a data: URI nor #anchor)."""
    markup = _SCRIPT.sub(lambda m: m.group(1) + m.group(3), page)
    found = [m.group(0) for m in _FETCHES.finditer(markup)]
    found += [m.group(0) for s in _SCRIPT.finditer(page) for m in _SCRIPT_FETCHES.finditer(
        s.group(2))]
    return sorted({f[:120] for f in found})


def test_fetches_finds_what_a_browser_would_load():
    # the check below must be able to fail: each of these loads something
    for loads in ['<script src="https://unpkg.com/reveal.js/dist/reveal.js"></script>',
                  '<link rel="stylesheet" href="reveal.css">',
                  "<style>@import url(./fonts/source-sans-pro.css);</style>",
                  "<style>a { background: url('https://x.org/a.png') }</style>",
                  "<img src=//cdn.example/a.png>",
                  "<script>var s = document.createElement('script'); "
                  "s.src = 'https://cdn.example/x.js';</script>",
                  "<script>import('https://cdn.example/mermaid.mjs')</script>"]:
        assert fetches(loads), loads
    for stays in ['<img src="data:image/png;base64,AAAA">', '<a href="#1.-Leadership">1.</a>',
                  "<style>a { background: url(data:image/gif;base64,R0lG) }</style>",
                  "<p>see https://revealjs.com</p>", "<style>[data-action='increment'] {}</style>",
                  "<script>/* https://revealjs.com */ e.src = t.getAttribute('data-src')</script>"]:
        assert not fetches(stays), stays


def test_slides_load_nothing_from_the_network(workshop):
    slides = (workshop / "workshop.slides.html").read_text(encoding="utf-8")
    assert fetches(slides) == []
    assert "Reveal.initialize(" in slides  # reveal.js itself is in the page
    assert (ROOT / "cemlab" / "vendor" / "reveal" / "LICENSE").read_text().startswith(
        "Copyright (C) 2011-2024 Hakim El Hattab")


def test_slides_open_with_the_network_blocked(workshop):
    chromium = needs_chromium()
    page = workshop / "workshop.slides.html"
    dom = open_in_chromium(page, chromium)
    reveal = re.search(r'<div class="(reveal [^"]*)"', dom)
    assert reveal, "reveal.js did not start: no .reveal element with its state classes"
    assert "ready" in reveal.group(1).split()  # Reveal.initialize finished
    written = page.read_text(encoding="utf-8").count("<section")
    assert written >= 40 and dom.count("<section") == written
    assert "1. Leadership" in dom and "10. KPIs and rewards" in dom


#: Shows each slide in turn and writes, into the title, how tall its content is against the
#: configured slide height.
MEASURE = """<script>
(function () {
  function measure() {
    var rows = [];
    Reveal.getSlides().forEach(function (slide) {
      var at = Reveal.getIndices(slide);
      Reveal.slide(at.h, at.v);
      rows.push({h: at.h, v: at.v || 0, height: slide.scrollHeight,
                 width: slide.scrollWidth, text: slide.textContent.trim().slice(0, 60)});
    });
    var config = Reveal.getConfig();
    document.title = "MEASURED " + JSON.stringify(
      {width: config.width, height: config.height, slides: rows});
  }
  if (Reveal.isReady()) { measure(); } else { Reveal.on("ready", measure); }
})();
</script>"""


def test_every_slide_fits_a_16_9_screen(workshop):
    chromium = needs_chromium()
    dom = open_in_chromium(workshop / "workshop.slides.html", chromium, script=MEASURE)
    title = html.unescape(re.search(r"<title>([^<]*)</title>", dom).group(1))
    assert title.startswith("MEASURED "), f"the measuring script did not run: {title[:80]}"
    measured = json.loads(title.removeprefix("MEASURED "))
    assert (measured["width"], measured["height"]) == (1280, 720)  # 16:9
    assert (REVEAL_CONFIG["width"], REVEAL_CONFIG["height"]) == (1280, 720)
    slides = measured["slides"]
    assert len(slides) >= 40  # a slide per practice and its parts, the measure saw them all
    too_tall = [s for s in slides if s["height"] > measured["height"]]
    assert not too_tall, "slides taller than 720 px: " + "; ".join(
        f"#/{s['h']}/{s['v']} ({s['height']} px: {s['text']})" for s in too_tall)
    too_wide = [s for s in slides if s["width"] > measured["width"]]
    assert not too_wide, [f"#/{s['h']}/{s['v']}" for s in too_wide]


def test_the_measure_sees_a_slide_that_does_not_fit(tmp_path):
    # the fit check above must be able to fail: a slide of 40 bullets is taller than 720 px
    import nbformat

    chromium = needs_chromium()
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}})
    slide = {"slideshow": {"slide_type": "slide"}}
    nb.cells = [nbformat.v4.new_markdown_cell("# Fits", metadata=slide),
                nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_markdown_cell(
                    "## Too long\n\n" + "\n".join(f"- point {i}" for i in range(40)),
                    metadata=slide)]
    nbformat.write(nb, tmp_path / "long.ipynb")
    assert cli_main(["present", str(tmp_path / "long.ipynb"), "--reports", str(tmp_path / "out"),
                     "--no-pdf"]) == 0
    assert not (tmp_path / "out" / "long" / "long.pdf").exists()  # --no-pdf: the HTML only
    dom = open_in_chromium(tmp_path / "out" / "long" / "long.slides.html", chromium,
                           script=MEASURE)
    title = html.unescape(re.search(r"<title>([^<]*)</title>", dom).group(1))
    heights = [s["height"] for s in json.loads(title.removeprefix("MEASURED "))["slides"]]
    assert len(heights) == 2 and heights[0] <= 720 < heights[1]


def _practice_headings(page: str) -> list[str]:
    return [text for _, text in headings_of(page) if PRACTICE_HEADING.match(text)]


@pytest.mark.parametrize("name", ["workshop.slides.html", "workshop.html"])
def test_each_practice_has_exactly_one_heading(workshop, name):
    page = (workshop / name).read_text(encoding="utf-8")
    headings = headings_of(page)
    practices = _practice_headings(page)
    # one heading per practice of the instrument, numbered in order, none twice
    assert [int(PRACTICE_HEADING.match(t).group(1)) for t in practices] == list(
        range(1, len(CEM.dimensions) + 1))
    # and nothing else is a heading between one practice's heading and the next one's
    # (no second title from the brief, no "Exercise" heading)
    # and nothing else is a heading within a practice (no second title from the brief, no
    # "Exercise" heading): what follows a practice's heading is the next section's heading
    for at, (_, text) in enumerate(headings):
        if PRACTICE_HEADING.match(text) and at + 1 < len(headings):
            assert headings[at + 1][0] <= 2, f"{text!r} is followed by {headings[at + 1]}"


def test_handout_holds_every_practice_without_code(workshop):
    handout = (workshop / "workshop.html").read_text(encoding="utf-8")
    slides = (workshop / "workshop.slides.html").read_text(encoding="utf-8")
    practices = _practice_headings(slides)
    assert len(practices) == len(CEM.dimensions)
    assert _practice_headings(handout) == practices
    assert "practice_brief(" not in handout and "brief.section(" not in handout  # no code
    assert fetches(handout) == []
    assert "@page" in handout and "break-before: page" in handout  # print CSS
    if find_chromium() is None:
        pytest.skip("the handout's PDF needs Debian's chromium: apt-get install chromium")
    pdf = workshop / "workshop.pdf"
    assert pdf.is_file() and pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        pytest.skip("reading the PDF needs poppler-utils: apt-get install poppler-utils")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    flat = " ".join(text.split())
    for heading in practices:
        assert heading in flat, heading
    pages = text.count("\f")
    assert pages > len(practices)  # a page (or more) per practice, after the title
    assert f"1 / {pages}" in flat and f"{pages} / {pages}" in flat  # page numbers


def _marks(page: str) -> dict[str, list[str]]:
    """The mark after each statement in the page's statement lists: text -> marks found."""
    found: dict[str, list[str]] = {}
    for m in re.finditer(r'<li>([^<]*) <span class="cemlab-source">\(([^)<]*)\)</span></li>',
                         page):
        found.setdefault(html.unescape(m.group(1)), []).append(m.group(2))
    return found


@pytest.mark.parametrize("name", ["workshop.slides.html", "workshop.html"])
def test_statements_are_marked_as_the_studys_or_cemlabs(workshop, name):
    # The study's own statements are the ones the tables quote (test_instrument's
    # STUDY_ITEMS); every other statement was written for cemlab.
    marks = _marks((workshop / name).read_text(encoding="utf-8"))
    for item in CEM.items:
        assert item.text in marks, f"{item.id} is shown without a mark"
        assert len(marks[item.text]) == 1, f"{item.id} is listed {len(marks[item.text])} times"
        mark = marks[item.text][0]
        if item.id in STUDY_ITEMS:
            assert mark in {"2008 study", "2008 study, paraphrased"}, (item.id, mark)
        else:
            assert mark == "written for cemlab", (item.id, mark)
    assert sum(m == ["2008 study, paraphrased"] for m in marks.values()) == 2
    assert len(marks) == len(CEM.items)


def test_the_instrument_marks_match_the_studys_statements():
    # every item quoted from the study (STUDY_ITEMS, from the tables) has
    # source: study, and no other
    study = {item.id for item in CEM.items if item.source == "study"}
    assert study == set(STUDY_ITEMS)
    assert all(item.source == "cemlab" for item in CEM.items if item.id not in STUDY_ITEMS)


def test_a_brief_shows_a_part_at_a_time_with_marks_and_no_title():
    from cemlab import load
    from cemlab.study import PracticeBrief, practice_brief

    brief = practice_brief(load(ROOT / "data" / "polska-2008.csv"), "ownership")
    assert brief.marks == ("2008 study", "written for cemlab")  # own_partnership, own_accountable
    statements = brief.section("statements")._repr_html_()
    assert "The statements" in statements and "What the 2008 study found" not in statements
    assert '<span class="cemlab-source">(written for cemlab)</span>' in statements
    both = brief.section("study", "data")._repr_html_()
    assert "What the 2008 study found" in both and "What the data show" in both
    assert not headings_of(statements + both)  # the slide's own heading names the practice
    assert headings_of(brief._repr_html_()) == [(3, brief.title)]  # whole, under its title
    assert "(written for cemlab)" in str(brief)
    with pytest.raises(ValueError, match="no part 'chart' of a practice brief; give one or more"):
        brief.section("chart")
    hostile = PracticeBrief("x", "t", ("a < b",), (), (), ("<b>cemlab</b>",))
    shown = hostile.section("statements")._repr_html_()
    assert "a &lt; b" in shown and "&lt;b&gt;cemlab&lt;/b&gt;" in shown and "<b>" not in shown
