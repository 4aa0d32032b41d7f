"""The PowerPoint deck: rendered with every report, made from the report's tables only.

The demo clients are rendered once with the real notebook; each deck is read back with
python-pptx and every chart's embedded data and every key table's cells are compared with the
client's ``tables/*.csv`` as written, so a figure the report hides cannot be in the deck.
"""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml
from pptx import Presentation
from pptx.util import Inches

from cemlab import deck as deck_module
from cemlab import render
from cemlab.exceptions import ParamsError
from cemlab.i18n import Language
from cemlab.instrument import load_instrument
from cemlab.params import load_params

ROOT = Path(__file__).resolve().parents[1]
CLIENTS = ("kestrel-mobile", "brightmart", "bank-wislany")
HOSTILE = "Acme <script>alert(1)</script> & \"Co\" 'x' =HYPERLINK(\"http://evil.example\",\"y\")"
SNAKE = re.compile(r"\b[a-z0-9]+_[a-z0-9_]+\b")
#: The slide of each part of the report, by its English title (the catalogue's msgid).
TITLES = {
    "summary": "Executive summary",
    "findings": "Key findings",
    "agreement": "Management and staff: where they agree",
    "scorecard": "Scorecard and gaps",
    "correlations": "Which practices go together",
    "reliability": "Reliability per dimension",
    "nps": "Customer Net Promoter Score and its drivers",
    "trend": "Trend against the previous wave",
    "quality": "Appendix: data quality and methods",
}


def copy_demo(folder: Path, names=CLIENTS) -> list[Path]:
    """The demo clients' params and data, copied under ``folder``."""
    params, data = folder / "params", folder / "data"
    params.mkdir()
    data.mkdir()
    for name in names:
        shutil.copy(ROOT / "params" / f"{name}.yaml", params)
    for csv_file in (ROOT / "data").glob("*.csv"):
        shutil.copy(csv_file, data)
    return [params / f"{name}.yaml" for name in names]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    folder = tmp_path_factory.mktemp("decks")
    paths = copy_demo(folder)
    result = render.render_batch(paths, reports_dir=folder / "reports", jobs=2, progress=False)
    return folder, result


def deck_of(rendered, client: str):
    folder, _result = rendered
    return Presentation(str(folder / "reports" / client / "report.pptx"))


def tables_of(rendered, client: str) -> dict[str, pd.DataFrame]:
    folder, _result = rendered
    tables = folder / "reports" / client / "tables"
    return {p.stem: pd.read_csv(p, dtype={"item": str, "segment": str}, keep_default_na=False,
                                na_values=[""]) for p in tables.glob("*.csv")}


def slide_titled(presentation, title: str):
    found = [s for s in presentation.slides
             if s.shapes.title is not None and s.shapes.title.text == title]
    assert len(found) == 1, (title, [s.shapes.title.text for s in presentation.slides
                                     if s.shapes.title is not None])
    return found[0]


def charts(slide):
    return [shape.chart for shape in slide.shapes if shape.has_chart]


def tables(slide):
    return [[[cell.text for cell in row.cells] for row in shape.table.rows]
            for shape in slide.shapes if shape.has_table]


def series_of(chart) -> dict[str, list[float | None]]:
    return {s.name: list(s.values) for s in chart.plots[0].series}


def shown(values, decimals: int) -> list[float | None]:
    return [None if pd.isna(v) else round(float(v), decimals) for v in values]


def all_text(presentation) -> list[str]:
    """Every text a reader sees: titles and text boxes, table cells, chart words."""
    texts = []
    for slide in presentation.slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                texts.append(shape.text_frame.text)
            if shape.has_table:
                texts += [cell.text for row in shape.table.rows for cell in row.cells]
            if shape.has_chart:
                chart = shape.chart
                texts += [str(c) for c in chart.plots[0].categories]
                texts += [s.name for s in chart.plots[0].series]
                if chart.has_title:
                    texts.append(chart.chart_title.text_frame.text)
    return texts


# --- rendered with the report ---------------------------------------------------------------


def test_every_report_has_its_deck(rendered):
    folder, result = rendered
    assert result.ok, result.summary()
    for client in CLIENTS:
        path = folder / "reports" / client / "report.pptx"
        assert path.is_file() and zipfile.is_zipfile(path)
    index = (folder / "reports" / "index.html").read_text(encoding="utf-8")
    assert all(f"{client}/report.html" in index for client in CLIENTS)
    assert "report.pptx" in render.REPORT_FILES


def test_a_report_without_its_deck_is_incomplete(tmp_path):
    for name in ("report.html", "report.ipynb", "inputs.sha256", "tables/key_figures.csv"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("x")
    with pytest.raises(render.RenderError, match="report.pptx"):
        render._check_complete(tmp_path)


def test_a_failing_deck_fails_the_client_and_keeps_the_old_report(rendered, monkeypatch):
    folder, _result = rendered
    old = folder / "reports" / "brightmart"
    before = {p.name: p.read_bytes() for p in old.iterdir() if p.is_file()}

    def broken(*args, **kwargs):
        raise render.RenderError("report.pptx: could not be written: OSError: disk full")

    monkeypatch.setattr(deck_module, "write_deck", broken)
    result = render.render_client(folder / "params" / "brightmart.yaml",
                                  reports_dir=folder / "reports")
    assert result.status == "failed" and "report.pptx" in result.reason
    assert result.previous == "kept"
    assert {p.name: p.read_bytes() for p in old.iterdir() if p.is_file()} == before
    assert not [p for p in (folder / "reports").iterdir() if p.name.startswith(".")]


# --- the figures are the report's -----------------------------------------------------------


@pytest.mark.parametrize("client", CLIENTS)
def test_chart_data_are_the_tables_figures(rendered, client):
    params = load_params(ROOT / "params" / f"{client}.yaml")
    lang = Language(params.language)
    instrument = load_instrument(params.instrument)
    presentation = deck_of(rendered, client)
    written = tables_of(rendered, client)
    checked = 0

    card = written["scorecard"]
    [chart] = charts(slide_titled(presentation, lang.gettext(TITLES["scorecard"])))
    assert list(chart.plots[0].categories) == [instrument.short_of(i, lang.code)
                                               for i in card["item"]]
    assert series_of(chart)[lang.gettext("Mean")] == shown(card["mean"], 1)
    checked += 1

    practices = written["practices"].sort_values(["rank", "dimension"], kind="stable")
    practices = practices[practices["mean"].notna()]
    [chart] = charts(slide_titled(presentation, lang.gettext(TITLES["summary"])))
    assert list(chart.plots[0].categories) == [instrument.title_of(d, lang.code)
                                               for d in practices["dimension"]]
    assert series_of(chart)[lang.gettext("Mean")] == shown(practices["mean"], 1)
    checked += 1

    agreement = written["agreement"]
    [chart] = charts(slide_titled(presentation, lang.gettext(TITLES["agreement"])))
    items = list(dict.fromkeys(agreement["item"]))
    assert list(chart.plots[0].categories) == [instrument.short_of(i, lang.code) for i in items]
    for level, name in (("management", "Management"), ("staff", "Staff")):
        rows = agreement[agreement["group"] == level].set_index("item").loc[items]
        if rows["pct_agree"].isna().all():
            assert lang.gettext(name) not in series_of(chart)
        else:
            assert series_of(chart)[lang.gettext(name)] == shown(rows["pct_agree"], 0)
    checked += 1

    reliability = written["reliability"]
    [chart] = charts(slide_titled(presentation, lang.gettext(TITLES["reliability"])))
    assert list(series_of(chart).values()) == [shown(reliability["alpha"], 2)]
    checked += 1

    pairs = written["correlations"].dropna(subset=["r"])
    pairs = pairs.assign(size=pairs["r"].abs()).sort_values("size", ascending=False,
                                                            kind="stable")
    [chart] = charts(slide_titled(presentation, lang.gettext(TITLES["correlations"])))
    assert list(series_of(chart).values()) == [shown(pairs["r"].head(8), 2)]
    checked += 1

    if "nps" in written:
        nps = written["nps"]
        [chart] = charts(slide_titled(presentation, lang.gettext(TITLES["nps"])))
        assert series_of(chart)[lang.gettext("NPS")] == shown(nps["nps"], 0)
        assert len(list(chart.plots[0].categories)) == len(nps)
        checked += 1
    if "trend" in written:
        trend = written["trend"]
        [chart] = charts(slide_titled(presentation, lang.gettext(TITLES["trend"])))
        assert list(series_of(chart).values()) == [shown(trend["mean_previous"], 1),
                                                   shown(trend["mean_current"], 1)]
        checked += 1
    every = [c for s in presentation.slides for c in charts(s)]
    assert checked == len(every)  # no chart left unchecked
    assert checked >= (7 if client == "kestrel-mobile" else 5)


@pytest.mark.parametrize("client", CLIENTS)
def test_key_tables_are_the_tables_figures(rendered, client):
    params = load_params(ROOT / "params" / f"{client}.yaml")
    lang = Language(params.language)
    instrument = load_instrument(params.instrument)
    presentation = deck_of(rendered, client)
    written = tables_of(rendered, client)

    card = written["scorecard"].dropna(subset=["mean"]).sort_values("mean", kind="stable")
    [table] = tables(slide_titled(presentation, lang.gettext(TITLES["scorecard"])))
    assert table[0][:3] == [lang.gettext("Statement"), lang.gettext("Mean"),
                            lang.gettext("% agree")]
    assert len(table) == 6 and all(len(row) <= 1 + deck_module.MAX_FIGURES for row in table)
    for row, (_i, figures) in zip(table[1:], card.head(5).iterrows(), strict=True):
        assert row[0] == instrument.text_of(figures["item"], lang.code)
        assert row[1] == lang.number(figures["mean"], 1)
        assert row[2] == lang.percent(figures["pct_agree"])

    gap = written["agreement_gap"]
    [table] = tables(slide_titled(presentation, lang.gettext(TITLES["agreement"])))
    if gap["gap_pct"].notna().any():
        widest = gap.dropna(subset=["gap_pct"])
        widest = widest.assign(size=widest["gap_pct"].abs()).sort_values(
            "size", ascending=False, kind="stable")
        for row, (_i, figures) in zip(table[1:], widest.head(5).iterrows(), strict=True):
            assert row == [instrument.text_of(figures["item"], lang.code),
                           lang.percent(figures["pct_agree_management"]),
                           lang.percent(figures["pct_agree_staff"]),
                           lang.number(figures["gap_pct"], 0, sign=True),
                           lang.p_value(figures["p_adjusted"])]
    if "nps" in written:
        [table] = tables(slide_titled(presentation, lang.gettext(TITLES["nps"])))
        assert [row[-1] for row in table[1:]] == [lang.number(v, 0)
                                                  for v in written["nps"]["nps"]]


def test_no_figure_of_a_hidden_group(rendered):
    """Brightmart's four managers: no management series, column or figure anywhere."""
    presentation = deck_of(rendered, "brightmart")
    written = tables_of(rendered, "brightmart")
    managers = written["agreement"][written["agreement"]["group"] == "management"]
    assert managers["pct_agree"].isna().all()  # the report hides them
    for slide in presentation.slides:
        for chart in charts(slide):
            assert "Management" not in series_of(chart)
        for table in tables(slide):
            assert not any("Management" in heading for heading in table[0])
    # every figure charted is one of the report's tables' figures
    figures = set()
    for frame in written.values():
        for column in frame.select_dtypes("number"):
            for decimals in (0, 1, 2):
                figures |= {round(float(v), decimals) for v in frame[column].dropna()}
    for slide in presentation.slides:
        for chart in charts(slide):
            for values in series_of(chart).values():
                assert {v for v in values if v is not None} <= figures


@pytest.mark.parametrize("client", CLIENTS)
def test_no_identifier_in_any_text(rendered, client):
    params = load_params(ROOT / "params" / f"{client}.yaml")
    ids = set(load_instrument(params.instrument).item_ids)
    for text in all_text(deck_of(rendered, client)):
        assert not SNAKE.search(text), text
        assert not set(re.findall(r"[a-z_]+", text)) & ids, text


def test_a_polish_report_has_a_polish_deck(rendered):
    presentation = deck_of(rendered, "bank-wislany")
    pl = Language("pl")
    titles = [s.shapes.title.text for s in presentation.slides][1:]
    expected = [pl.gettext(TITLES[part]) for part in TITLES
                if pl.gettext(TITLES[part]) in titles]
    assert titles == expected and len(titles) >= 7
    assert all(pl.gettext(t) != t for t in TITLES.values())
    cover = presentation.slides[0].placeholders[1].text_frame.text
    assert "Poufne" in cover and "Respondenci" in cover
    # cemlab's default consultancy name is text of the deck, in Polish, on the cover and in
    # every slide's footer (a consultancy's own name would be kept as written)
    default_name = load_params(ROOT / "params" / "bank-wislany.yaml").branding.name
    assert pl.gettext(default_name) != default_name
    everything = " ".join(shape.text_frame.text for slide in presentation.slides
                          for shape in slide.shapes if shape.has_text_frame)
    assert default_name not in everything and pl.gettext(default_name) in cover
    [table] = tables(slide_titled(presentation, pl.gettext(TITLES["scorecard"])))
    assert all(re.fullmatch(r"\d+,\d", row[1]) for row in table[1:])  # decimal comma
    statements = load_instrument("cem-maturity")
    assert table[1][0] in {statements.text_of(i, "pl") for i in statements.item_ids}


def test_title_slide(rendered):
    presentation = deck_of(rendered, "kestrel-mobile")
    params = load_params(ROOT / "params" / "kestrel-mobile.yaml")
    first = presentation.slides[0]
    assert first.shapes.title.text == params.title
    text = first.placeholders[1].text_frame.text
    for part in (params.branding.name, "Client: kestrel-mobile", "Wave: 2026",
                 "Respondents: 300", "Confidential"):
        assert part in text


@pytest.mark.parametrize("client", CLIENTS)
def test_nothing_leaves_the_slide(rendered, client):
    presentation = deck_of(rendered, client)
    width, height = presentation.slide_width, presentation.slide_height
    assert (width, height) == (Inches(13.333), Inches(7.5))
    for number, slide in enumerate(presentation.slides, 1):
        for shape in slide.shapes:
            assert shape.left >= 0 and shape.top >= 0, (number, shape.name)
            assert shape.left + shape.width <= width, (number, shape.name)
            assert shape.top + shape.height <= height, (number, shape.name)


# --- client text is text --------------------------------------------------------------------


def test_hostile_text_is_plain_text(rendered, tmp_path):
    folder, _result = rendered
    params = load_params(folder / "params" / "kestrel-mobile.yaml")
    params = params.model_copy(update={"title": HOSTILE})
    written = deck_module.read_tables(folder / "reports" / "kestrel-mobile" / "tables")
    nps = written["nps"].copy()
    nps.loc[1, "segment"] = "=HYPERLINK(\"http://evil.example\",\"z\")"
    written["nps"] = nps
    target = tmp_path / "deck.pptx"
    deck_module.build_deck(params, written).save(str(target))
    presentation = Presentation(str(target))
    assert presentation.slides[0].shapes.title.text == HOSTILE
    nps_slide = slide_titled(presentation, TITLES["nps"])
    [chart] = charts(nps_slide)
    assert list(chart.plots[0].categories)[1] == nps.loc[1, "segment"]
    with zipfile.ZipFile(target) as package:
        slide_xml = "".join(package.read(n).decode("utf-8") for n in package.namelist()
                            if n.startswith("ppt/slides/slide"))
        assert "<script>" not in slide_xml and "&lt;script&gt;" in slide_xml
        workbooks = [n for n in package.namelist() if n.endswith(".xlsx")]
        assert workbooks
        for name in workbooks:
            book = openpyxl.load_workbook(io.BytesIO(package.read(name)))
            for row in book.active.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (name, cell.coordinate, cell.value)
                    assert cell.hyperlink is None


def test_tables_are_read_as_written(tmp_path):
    """A label the CSV neutralised ('=...) is read back as the label; waves stay text."""
    frame = pd.DataFrame({"segment": ["=SUM(A1)", "all"], "nps": [1.5, None],
                          "wave_current": ["2026", "2026"]})
    from cemlab.results import write_tables

    write_tables({"nps": frame}, tmp_path)
    back = deck_module.read_tables(tmp_path)["nps"]
    assert list(back["segment"]) == ["=SUM(A1)", "all"]
    assert list(back["wave_current"]) == ["2026", "2026"]
    assert back["nps"].isna().tolist() == [False, True]


# --- the consultancy's template -------------------------------------------------------------


def make_template(path: Path) -> dict:
    master = Presentation()
    master.slide_width, master.slide_height = Inches(10), Inches(5.625)
    for shape in [*master.slide_master.placeholders,
                  *(p for layout in master.slide_layouts for p in layout.placeholders)]:
        left, top, width, height = shape.left, shape.top, shape.width, shape.height
        shape.left, shape.width = left, width  # all four: python-pptx zeroes those not set
        shape.top, shape.height = int(top * 0.75), int(height * 0.75)  # 4:3 to 16:9
    names = {"title": "Consultancy cover", "content": "Consultancy title and body"}
    master.slide_layouts[0].name = names["title"]
    master.slide_layouts[1].name = names["content"]
    example = master.slides.add_slide(master.slide_layouts[1])
    example.shapes.title.text = "An example slide of the master"
    master.save(str(path))
    return names


def test_the_template_is_honoured(rendered, tmp_path):
    folder, _result = rendered
    names = make_template(tmp_path / "master.pptx")
    params = yaml.safe_load((folder / "params" / "kestrel-mobile.yaml").read_text())
    params["branding"] = {"name": "Acme Consulting", "pptx_template": "master.pptx"}
    for key in ("data",):
        params[key] = str(folder / "params" / params[key])
    params["feedback"]["data"] = str(folder / "params" / params["feedback"]["data"])
    params["previous"]["data"] = str(folder / "params" / params["previous"]["data"])
    params["previous"]["feedback"] = str(folder / "params" / params["previous"]["feedback"])
    path = tmp_path / "kestrel-mobile.yaml"
    path.write_text(yaml.safe_dump(params))
    target = deck_module.write_deck(path, folder / "reports" / "kestrel-mobile" / "tables",
                                    tmp_path / "report.pptx")
    presentation = Presentation(str(target))
    assert (presentation.slide_width, presentation.slide_height) == (Inches(10), Inches(5.625))
    layouts = [s.slide_layout.name for s in presentation.slides]
    assert layouts[0] == names["title"]
    assert set(layouts[1:]) == {names["content"]}
    texts = all_text(presentation)
    assert not any("example slide" in t for t in texts)
    assert any("Acme Consulting" in t for t in texts)
    default = deck_of(rendered, "kestrel-mobile")
    assert len(presentation.slides) == len(default.slides)
    for slide in presentation.slides:
        for shape in slide.shapes:
            assert shape.left + shape.width <= presentation.slide_width, shape.name
            assert shape.top + shape.height <= presentation.slide_height, shape.name


@pytest.mark.parametrize("content", [None, b"not a presentation", "zip"])
def test_a_bad_template_is_a_params_error_naming_it(tmp_path, content):
    copy_demo(tmp_path, names=("brightmart",))
    path = tmp_path / "params" / "brightmart.yaml"
    template = tmp_path / "params" / "our-master.pptx"
    if content == "zip":
        with zipfile.ZipFile(template, "w") as package:
            package.writestr("word/document.xml", "<w/>")
    elif content is not None:
        template.write_bytes(content)
    params = yaml.safe_load(path.read_text())
    params["branding"] = {"pptx_template": "our-master.pptx"}
    path.write_text(yaml.safe_dump(params))
    with pytest.raises(ParamsError, match=r"pptx_template.*our-master\.pptx") as caught:
        load_params(path)
    assert "Fix" in str(caught.value) or "relative to the params" in str(caught.value)


def test_an_unreadable_template_is_named(tmp_path):
    template = tmp_path / "broken.pptx"
    with zipfile.ZipFile(template, "w") as package:
        package.writestr("ppt/presentation.xml", "<not-a-presentation/>")
    with pytest.raises(ParamsError, match="broken.pptx"):
        deck_module.open_template(template)


@pytest.mark.parametrize("client", CLIENTS)
def test_the_summary_says_what_the_report_says(rendered, client):
    """Strengths, priorities and NPS on the summary slide, made from the tables, are the
    sentences `cemlab.summary.executive_summary` writes from the respondents' data."""
    from cemlab.params import load_client
    from cemlab.summary import executive_summary

    loaded = load_client(ROOT / "params" / f"{client}.yaml")
    params = loaded.params
    lang = Language(params.language)
    summary = executive_summary(loaded.survey, feedback=loaded.feedback,
                                previous=loaded.previous,
                                previous_feedback=loaded.previous_feedback,
                                target=params.target, benchmark=params.benchmark,
                                min_group_size=params.min_group_size, lang=lang)
    slide = slide_titled(deck_of(rendered, client), lang.gettext(TITLES["summary"]))
    [text] = [s.text_frame.text for s in slide.shapes
              if s.has_text_frame and lang.gettext("Strengths") in s.text_frame.text]
    points = [line[2:] for line in text.split("\n") if line.startswith("• ")]
    assert points == [p.sentence for p in [*summary.strengths, *summary.priorities]]
    assert f"{lang.gettext('Overall maturity')}: {lang.number(summary.overall)}" in text
    if summary.nps is not None:
        assert lang.gettext("Net Promoter Score: {nps}").format(
            nps=lang.number(summary.nps, 0)) in text


def test_a_client_with_a_template_renders(tmp_path):
    """Through `cemlab render`: the notebook accepts ``branding.pptx_template``, the deck uses
    the master, and the audit copy names the template relative to the params file only."""
    [path] = copy_demo(tmp_path, names=("brightmart",))
    names = make_template(path.parent / "master.pptx")
    params = yaml.safe_load(path.read_text())
    params["branding"] = {"name": "Acme Consulting", "pptx_template": "master.pptx"}
    path.write_text(yaml.safe_dump(params))
    result = render.render_client(path, reports_dir=tmp_path / "reports")
    assert result.ok, result.reason
    folder = tmp_path / "reports" / "brightmart"
    presentation = Presentation(str(folder / "report.pptx"))
    assert presentation.slides[0].slide_layout.name == names["title"]
    audit = (folder / "report.ipynb").read_text(encoding="utf-8")
    assert "master.pptx" in audit and str(tmp_path) not in audit
    # a new master is a new input: --skip-unchanged renders again
    stamp = (folder / "inputs.sha256").read_text()
    with zipfile.ZipFile(path.parent / "master.pptx", "a") as package:
        package.writestr("docProps/custom-note.txt", "edited")
    again = render.render_client(path, reports_dir=tmp_path / "reports", skip_unchanged=True)
    assert again.status == "ok" and (folder / "inputs.sha256").read_text() != stamp
