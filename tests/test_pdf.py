"""``cemlab render --pdf``: the demo reports printed by headless Chromium, read back with
poppler (pdftotext, pdfinfo) as a reader would see the pages: every table heading there, no
column pushed off the page, the paper the params ask for, a running header and page numbers.

Also the failures: no Chromium (one line, before anything renders), a Chromium that fails,
writes no PDF or hangs (the client fails, nothing half-written is left).
"""

from __future__ import annotations

import html
import re
import shutil
import stat
import subprocess
import unicodedata
from collections import Counter
from pathlib import Path

import pytest
import yaml

from cemlab import pdf, render
from cemlab.cli import main as cli_main
from cemlab.exceptions import RenderError
from cemlab.page import PAPER_SIZES

ROOT = Path(__file__).resolve().parents[1]
DEMO_PARAMS = ROOT / "params"
#: A sane length for a demo report: a cover, a summary, a page or more per section.
#: Pages of the report before its appendix (cover and contents, summary, findings, one page or
#: two a section), and of the whole report with the appendix's full tables (laid out in parts
#: a page wide, the 20 strongest correlation pairs): a board reads the first, an analyst the rest.
BODY_PAGES = range(3, 19)
PAGES = range(4, 41)
#: The appendix's heading, as the report's language writes it.
APPENDIX = {"a4": "Appendix: methods and full tables", "letter": "Załącznik: metody i pełne tabele"}
#: How far into the side margins (16 mm = 45 pt) a word may reach before it counts as pushed
#: off the printed area: the table's own padding.
MARGIN_SLACK = 12


def _needs_print_tools() -> None:
    if pdf.find_chromium() is None:
        pytest.skip("printing needs Debian's chromium: apt-get install chromium")
    for tool in ("pdftotext", "pdfinfo"):
        if shutil.which(tool) is None:
            pytest.skip(f"reading the PDF needs {tool}: apt-get install poppler-utils")


# --- the demo reports, printed -----------------------------------------------------------------


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    """Kestrel Mobile and Brightmart as the demo renders them, and Brightmart again on US
    Letter in Polish (a shorter report: cover, findings, appendix), all with ``pdf=True``."""
    _needs_print_tools()
    folder = tmp_path_factory.mktemp("printed")
    params = folder / "params"
    params.mkdir()
    shutil.copytree(ROOT / "data", folder / "data")
    for name in ("kestrel-mobile", "brightmart"):
        shutil.copy(DEMO_PARAMS / f"{name}.yaml", params)
    letter = yaml.safe_load((DEMO_PARAMS / "brightmart.yaml").read_text(encoding="utf-8"))
    letter.update(client="brightmart-letter", paper="letter", language="pl",
                  sections=["cover", "findings", "quality"])
    (params / "brightmart-letter.yaml").write_text(yaml.safe_dump(letter, allow_unicode=True),
                                                   encoding="utf-8")
    reports = folder / "reports"
    result = render.render_batch([params], reports_dir=reports, jobs=2, progress=False, pdf=True)
    assert result.ok, result.summary()
    return reports


def _pdf_text(path: Path, *pages: int) -> str:
    span = ["-f", str(pages[0]), "-l", str(pages[-1])] if pages else []
    return subprocess.run(["pdftotext", "-layout", *span, str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def _pdf_info(path: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True,
                         text=True).stdout
    return {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in out.splitlines()
                                              if ":" in line)}


def _page_count(path: Path) -> int:
    return int(_pdf_info(path)["Pages"])


def _headings(report: Path) -> list[str]:
    """The text of every <th> of every table the report shows, as a reader sees it."""
    page = report.read_text(encoding="utf-8")
    page = re.sub(r"<style\b.*?</style>", "", page, flags=re.S)
    cells = re.findall(r"<th\b[^>]*>(.*?)</th>", page, re.S)
    texts = (" ".join(html.unescape(re.sub(r"<[^>]+>", " ", c)).split()) for c in cells)
    return [t for t in dict.fromkeys(texts) if t]


def _words(text: str) -> list[str]:
    """Words as a heading may wrap: at spaces, after ``_`` or ``/`` (``<wbr>``), and after a
    hyphen ("Reverse-" over "keyed")."""
    return [w for w in re.split(r"[\s_/\-]+", text) if w]


@pytest.mark.parametrize("client", ["kestrel-mobile", "brightmart", "brightmart-letter"])
def test_every_table_heading_is_printed(printed, client):
    report = printed / client / "report.html"
    headings = _headings(report)
    assert len(headings) > 5, headings
    printed_words = set(_words(_pdf_text(printed / client / "report.pdf")))
    missing = [h for h in headings if not set(_words(h)) <= printed_words]
    assert not missing, f"table headings not in the PDF: {missing}"


def _text_words(text: str) -> Counter[str]:
    """Words as print may break them (at a hyphen, after ``_`` or ``/``), in any case and as
    NFKC reads ligatures: what pdftotext reads and what the HTML says can then be compared."""
    text = unicodedata.normalize("NFKC", text).lower()
    return Counter(w for w in re.split(r"[\s_/\-]+", text) if w)


@pytest.mark.parametrize("client", ["kestrel-mobile", "brightmart", "brightmart-letter"])
def test_every_word_of_the_report_is_printed(printed, client):
    """A column clipped at the paper's edge is not in the PDF at all: every word of the
    report's text (its cells, headings, notes) must be in the PDF at least as often (repeated
    table headings, the running header and page numbers only add)."""
    page = (printed / client / "report.html").read_text(encoding="utf-8")
    body = re.split(r"<body[^>]*>", page, maxsplit=1)[1]
    body = re.sub(r"<style\b.*?</style>", "", body, flags=re.S)
    wanted = _text_words(html.unescape(re.sub(r"<[^>]+>", " ", body)))
    found = _text_words(_pdf_text(printed / client / "report.pdf"))
    lost = {word: (n, found[word]) for word, n in wanted.items() if found[word] < n}
    assert len(wanted) > 200
    assert not lost, f"words (in the HTML, in the PDF) missing from the PDF: {lost}"


@pytest.mark.parametrize("client", ["kestrel-mobile", "brightmart", "brightmart-letter"])
def test_no_word_is_pushed_off_the_printed_area(printed, client):
    """A column clipped at the page's edge, or a table wider than the page, puts words into
    the side margins or beyond the paper: every word stays within the printed width."""
    path = printed / client / "report.pdf"
    bbox = subprocess.run(["pdftotext", "-bbox", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout
    outside = []
    for number, page in enumerate(re.findall(r"<page (.*?)</page>", bbox, re.S), start=1):
        width = float(re.search(r'width="([\d.]+)"', page)[1])
        for x_min, x_max, word in re.findall(
                r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">(.*?)</word>',
                page):
            if float(x_min) < 45 - MARGIN_SLACK or float(x_max) > width - 45 + MARGIN_SLACK:
                outside.append(f"page {number}: {html.unescape(word)!r} at x {x_min}-{x_max}")
    assert not outside, outside[:10]


def _word_widths(path: Path, word: str) -> list[float]:
    bbox = subprocess.run(["pdftotext", "-bbox", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout
    return [float(x_max) - float(x_min) for x_min, x_max in re.findall(
        rf'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">'
        rf"{re.escape(html.escape(word, quote=False))}</word>", bbox)]


@pytest.mark.parametrize("client", ["kestrel-mobile", "brightmart", "brightmart-letter"])
def test_the_report_is_printed_at_full_size(printed, client, tmp_path):
    """Content wider than the page makes Chromium shrink every page of the report to fit it
    (by up to a half): the first section heading must print as wide as it does alone on a
    page with the report's own stylesheet."""
    page = (printed / client / "report.html").read_text(encoding="utf-8")
    head = page.split("<head>", 1)[1].split("</head>", 1)[0]
    heading = re.search(r"<h2 id=[^>]*>(.*?)</h2>", page, re.S)[1]
    alone = tmp_path / "heading.html"
    alone.write_text(f'<!DOCTYPE html><html><head>{head}</head><body class="cemlab-report">'
                     f'<main class="cemlab-page"><h2>{heading}</h2></main></body></html>',
                     encoding="utf-8")
    reference = pdf.print_pdf(alone, tmp_path / "heading.pdf")
    word = html.unescape(heading).split()[0]
    [expected] = _word_widths(reference, word)
    printed_width = max(_word_widths(printed / client / "report.pdf", word))
    assert printed_width == pytest.approx(expected, rel=0.01), \
        f"{client} is printed at {printed_width / expected:.0%}"


@pytest.mark.parametrize(("client", "paper"), [
    ("kestrel-mobile", "a4"), ("brightmart", "a4"), ("brightmart-letter", "letter"),
])
def test_the_paper_is_the_params_paper_and_the_length_is_sane(printed, client, paper):
    path = printed / client / "report.pdf"
    info = _pdf_info(path)
    width, height = (round(float(v)) for v in re.findall(r"[\d.]+", info["Page size"])[:2])
    assert (width, height) == PAPER_SIZES[paper][1], info["Page size"]
    pages = _page_count(path)
    print(f"{client}: {pages} pages, {path.stat().st_size:,} bytes, {info['Page size']}")
    assert pages in PAGES, f"{client}: {pages} pages"
    appendix = next(number for number in range(3, pages + 1)  # the contents on page 1 name it
                    if APPENDIX[paper] in " ".join(_pdf_text(path, number).split()))
    assert appendix - 1 in BODY_PAGES, f"{client}: {appendix - 1} pages before the appendix"


@pytest.mark.parametrize(("client", "confidential", "label"), [
    ("kestrel-mobile", "CONFIDENTIAL", "Page {page} of {pages}"),
    ("brightmart-letter", "POUFNE", "Strona {page} z {pages}"),
])
def test_every_page_but_the_cover_has_the_running_header_and_its_number(
        printed, client, confidential, label):
    path = printed / client / "report.pdf"
    title = yaml.safe_load((printed.parent / "params" / f"{client}.yaml").read_text())["title"]
    pages = _page_count(path)
    cover = _pdf_text(path, 1)
    assert "Page 1" not in cover and "Strona 1" not in cover
    for number in range(2, pages + 1):
        text = " ".join(_pdf_text(path, number).split())
        assert " ".join(title.split()) in text, f"page {number}: no running header"
        assert confidential in text, f"page {number}: not marked {confidential}"
        assert label.format(page=number, pages=pages) in text, f"page {number}: no page number"


def test_the_pdf_is_swapped_in_with_the_report(printed):
    for client in ("kestrel-mobile", "brightmart", "brightmart-letter"):
        folder = printed / client
        assert (folder / "report.pdf").read_bytes().startswith(b"%PDF-")
        assert not list(folder.glob(".*partial"))
    assert not [p for p in printed.iterdir() if p.name.startswith(".")]  # no staging left


# --- without Chromium, and when it fails -------------------------------------------------------


def _no_chromium(monkeypatch):
    real = shutil.which
    monkeypatch.setattr(shutil, "which",
                        lambda name, *a, **k: None if name in pdf.CHROMIUM_NAMES
                        else real(name, *a, **k))


def test_pdf_without_chromium_fails_up_front_in_one_line(monkeypatch, tmp_path, capsys):
    _no_chromium(monkeypatch)
    reports = tmp_path / "reports"
    code = cli_main(["render", str(DEMO_PARAMS / "brightmart.yaml"), "--reports", str(reports),
                     "--pdf", "--no-progress"])
    out, err = capsys.readouterr()
    assert code == 1
    assert err == "cemlab render: error: report.pdf needs Chromium: apt-get install chromium\n"
    assert out == ""
    assert not reports.exists()  # nothing rendered, not even the folder
    with pytest.raises(RenderError, match=r"^report.pdf needs Chromium: apt-get install chromium$"):
        render.render_client(DEMO_PARAMS / "brightmart.yaml", tmp_path / "one", pdf=True)


def test_find_chromium_tries_each_name(monkeypatch):
    asked = []
    monkeypatch.setattr(shutil, "which", lambda name: asked.append(name) or (
        "/opt/google/chrome" if name == "google-chrome" else None))
    assert pdf.find_chromium() == "/opt/google/chrome"
    assert asked == ["chromium", "chromium-browser", "google-chrome"]


def _fake_chromium(folder: Path, script: str) -> str:
    """A stand-in for Chromium: a shell script given the same arguments."""
    path = folder / "fake-chromium"
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def _report(folder: Path) -> Path:
    page = folder / "report.html"
    page.write_text("<!DOCTYPE html><html><body><p>a report</p></body></html>")
    return page


@pytest.mark.parametrize(("script", "reason"), [
    ("echo 'ERROR: cannot open display' >&2; exit 3\n", r"exit code 3: ERROR: cannot open display"),
    # exit 0 but what it wrote is half a PDF
    ('for a; do case "$a" in --print-to-pdf=*) printf "%%PDF-1.4 half" > "${a#*=}";; esac; done\n',
     r"did not print report.html to PDF \(exit code 0\)"),
])
def test_a_chromium_that_fails_leaves_no_pdf(tmp_path, script, reason):
    target = tmp_path / "report.pdf"
    with pytest.raises(RenderError, match=reason):
        pdf.print_pdf(_report(tmp_path), target, chromium=_fake_chromium(tmp_path, script))
    assert not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fake-chromium", "report.html"]


def test_a_chromium_that_hangs_is_killed_and_the_client_fails(tmp_path):
    helper = "sleep 31.4159"  # a helper process it started, as Chromium starts its own
    script = f"{helper} & {helper}\n"
    with pytest.raises(RenderError, match=r"took over 1 s"):
        pdf.print_pdf(_report(tmp_path), tmp_path / "report.pdf",
                      chromium=_fake_chromium(tmp_path, script), timeout=1)
    assert not (tmp_path / "report.pdf").exists()
    # the whole process group was killed, the helper too
    left = subprocess.run(["pgrep", "-f", helper], capture_output=True, text=True).stdout
    assert not left.strip(), f"left running: {left}"


def test_chromium_is_run_headless_with_a_fresh_profile(tmp_path):
    """The flags every print needs as root in a container and to stay off the network."""
    log = tmp_path / "args.txt"
    script = (f'printf "%s\\n" "$@" > {log}\n'
              'for a; do case "$a" in --print-to-pdf=*) '
              'printf "%%PDF-1.4\\n%%%%EOF\\n" > "${a#*=}";; esac; done\n')
    target = pdf.print_pdf(_report(tmp_path), tmp_path / "out.pdf",
                           chromium=_fake_chromium(tmp_path, script))
    assert target == tmp_path / "out.pdf" and target.read_bytes().startswith(b"%PDF-")
    args = log.read_text().splitlines()
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                 "--disable-background-networking", "--disable-component-update"):
        assert flag in args
    profile = next(a for a in args if a.startswith("--user-data-dir="))
    assert not Path(profile.split("=", 1)[1]).exists()  # removed after the print
    assert args[-1] == (tmp_path / "report.html").as_uri()


def test_a_failed_print_fails_the_client_and_keeps_its_last_report(tmp_path, monkeypatch):
    """Printing runs in the staging folder: when it fails, the client fails with the reason
    and the report it had stays as it was (the print, not the client's data, is at fault)."""
    from test_render import mini_notebook, write_client

    params = write_client(tmp_path, "alpha")
    notebook = mini_notebook(tmp_path / "mini.ipynb")
    reports = tmp_path / "reports"
    first = render.render_batch([params], reports_dir=reports, progress=False,
                                notebook=notebook)
    assert first.ok, first.summary()
    before = (reports / "alpha" / "report.html").read_bytes()
    broken = _fake_chromium(tmp_path, "echo 'crashed' >&2; exit 1\n")
    monkeypatch.setattr(pdf, "find_chromium", lambda: broken)
    result = render.render_batch([params], reports_dir=reports, progress=False,
                                 notebook=notebook, pdf=True)
    [alpha] = result.clients
    assert alpha.status == "failed" and alpha.previous == "kept"
    assert "Chromium did not print report.html to PDF (exit code 1: crashed)" in alpha.reason
    assert (reports / "alpha" / "report.html").read_bytes() == before
    assert not (reports / "alpha" / "report.pdf").exists()


def test_paper_is_a4_unless_the_params_say_letter(tmp_path):
    from cemlab.exceptions import ParamsError
    from cemlab.params import load_params

    source = yaml.safe_load((DEMO_PARAMS / "brightmart.yaml").read_text(encoding="utf-8"))
    source["data"] = str(ROOT / "data" / "brightmart.csv")
    path = tmp_path / "brightmart.yaml"
    for paper, expected in ((None, "a4"), ("letter", "letter")):
        values = dict(source, **({"paper": paper} if paper else {}))
        path.write_text(yaml.safe_dump(values), encoding="utf-8")
        params = load_params(path)
        assert params.paper == expected
        assert params.notebook_parameters()["paper"] == expected  # what render exports with
    path.write_text(yaml.safe_dump(dict(source, paper="A5")), encoding="utf-8")
    with pytest.raises(ParamsError, match=r"key 'paper': Input should be 'a4' or 'letter'"):
        load_params(path)
