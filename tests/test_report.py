"""The report notebook's glue: escaping, small groups hidden, notes for empty sections, tables."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cemlab import plots, report
from cemlab import sections as report_sections
from cemlab.exceptions import AnalysisError, DataError, ParamsError
from cemlab.i18n import Language
from cemlab.instrument import load_instrument
from cemlab.params import Branding
from cemlab.results import result_table, suppress

EVIL = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
ITEMS = load_instrument("cem-maturity").item_ids


def test_respondents_text_hides_the_size_of_a_small_group():
    assert report.respondents_text(12, 5) == "12"
    assert report.respondents_text(5, 5) == "5"
    assert report.respondents_text(4, 5) == "fewer than 5"
    assert report.respondents_text(0, 5) == "fewer than 5"
    assert report.respondents_text(1234, 5) == "1,234"


def test_cover_escapes_the_title_and_hides_small_groups():
    page = report.cover(
        client="acme", title=f"Acme {EVIL}", wave="2026",
        group_sizes={"management": 4, "staff": 30}, min_group_size=5, date="2026-11-23",
    ).data
    assert EVIL not in page and ESCAPED in page
    assert "<dd>fewer than 5</dd>" in page  # management: 4 is never shown
    assert ">4<" not in page
    assert "<dd>34</dd>" in page  # the total
    # staff is not 30: with the total shown that would give management's 4 away; at least
    # 34 - 4 holds whatever management's true size below 5
    assert "<dd>at least 30</dd>" in page and "<dd>30</dd>" not in page
    assert "<dd>2026</dd>" in page and "<dd>2026-11-23</dd>" in page


def test_cover_with_no_small_group_gives_every_size():
    page = report.cover(client="acme", title="Acme", wave=None,
                        group_sizes={"management": 6, "staff": 30, "board": 5},
                        min_group_size=5, date="today").data
    assert all(f"<dd>{n}</dd>" in page for n in (6, 30, 5, 41))


def test_cover_with_several_other_groups_gives_only_the_minimum():
    page = report.cover(client="acme", title="Acme", wave=None,
                        group_sizes={"management": 2, "staff": 30, "board": 9},
                        min_group_size=5, date="today").data
    assert "<dt>– staff</dt><dd>at least 5</dd>" in page
    assert "<dt>– board</dt><dd>at least 5</dd>" in page
    assert "<dd>30</dd>" not in page and "<dd>9</dd>" not in page


def test_confidential_blanks_the_bases_of_suppressed_rows():
    frame = pd.DataFrame({
        "item": ["a", "a", "a"], "group": ["management", "staff", "all"],
        "n": [4, 96, 100], "pct_agree": [50.0, 30.0, 31.0],
    })
    table = suppress(frame, min_group_size=5)
    table.loc[1, ["pct_agree", "suppressed", "suppressed_reason"]] = [np.nan, True, "hidden too"]
    shown = report.confidential(table, min_group_size=5)
    assert shown["n"].isna().tolist() == [True, True, False]  # 4 and 96 (= 100 - 4) go
    assert shown["suppressed_reason"].tolist() == ["n < 5", "hidden too", ""]
    assert table["n"].tolist() == [4, 96, 100]  # the analysis result itself is unchanged
    gap = pd.DataFrame({"n_management": [4.0], "n_staff": [96.0], "gap_pct": [np.nan],
                        "suppressed": [True], "suppressed_reason": ["n_management = 4 < 5"]})
    shown = report.confidential(gap, min_group_size=5)
    assert shown[["n_management", "n_staff"]].isna().all(axis=None)
    assert shown["suppressed_reason"].iloc[0] == "n_management < 5"
    # the scorecard: overall figures shown (n kept), group figures hidden (group bases go)
    card = pd.DataFrame({"n": [104.0], "mean": [6.1], "n_management": [4.0],
                         "n_staff": [100.0], "mean_management": [np.nan],
                         "suppressed": [False], "groups_suppressed": [True],
                         "suppressed_reason": ["n_management = 4 < 5 (group figures hidden)"]})
    shown = report.confidential(card, min_group_size=5)
    assert shown["n"].iloc[0] == 104 and shown["mean"].iloc[0] == 6.1
    assert shown[["n_management", "n_staff"]].isna().all(axis=None)
    assert shown["suppressed_reason"].iloc[0] == "n_management < 5 (group figures hidden)"
    # with a third group, staff's figures can stay (management hidden to protect it): so does
    # staff's base, and management's goes
    card3 = card.assign(mean_staff=[5.9], pct_agree_staff=[40.0], mean_management=[np.nan],
                        pct_agree_management=[np.nan])
    shown = report.confidential(card3, min_group_size=5)
    assert shown["n_staff"].iloc[0] == 100 and np.isnan(shown["n_management"].iloc[0])
    plain = pd.DataFrame({"n": [3]})
    assert report.confidential(plain, 5) is plain  # no suppression recorded: nothing to do


def test_cover_leaves_out_a_missing_wave():
    page = report.cover(client="acme", title="Acme", wave=None, group_sizes={"staff": 9},
                        min_group_size=5, date="today").data
    assert "Wave" not in page


def test_table_html_escapes_cells_labels_and_keeps_suppression_marks():
    frame = pd.DataFrame(
        {"item": [EVIL, "plain"], "group": ["staff", "management"], "n": [9.0, 3.0],
         "mean": [6.5, 7.25]}
    )
    table = result_table(suppress(frame, min_group_size=5), title=f"Scores {EVIL}",
                         notes=f"note {EVIL}")
    html = report.table_html(table)
    assert EVIL not in html
    assert html.count(ESCAPED) == 3  # cell, caption, note
    assert "6.50" in html and "7.25" not in html  # the group of 3 is suppressed
    assert "suppressed" in html


def test_table_html_escapes_a_plain_dataframe_and_its_index():
    frame = pd.DataFrame({"value": [1.5]}, index=pd.Index([EVIL], name="label"))
    html = report.table_html(frame)
    assert EVIL not in html and ESCAPED in html and "1.5" in html


def test_show_gives_a_one_line_note_when_there_is_nothing_to_show():
    assert 'class="cemlab-note"' in report.show(None, "No feedback data given.").data
    empty = report.show(pd.DataFrame({"x": []}), f"Nothing {EVIL}").data
    assert ESCAPED in empty and EVIL not in empty
    assert "<table" in report.show(pd.DataFrame({"x": [1]}), "unused").data
    assert report.show(None) is None  # the section's first note already said why


def test_chart_draws_only_a_table_with_something_to_show():
    drawn = []

    def draw(table, **options):
        drawn.append((len(table), options))
        return plt.subplots()[1]

    report.chart(draw, None)
    report.chart(draw, pd.DataFrame({"mean": []}))
    report.chart(draw, pd.DataFrame({"mean": [float("nan")], "suppressed": [True]}))
    report.chart(draw, pd.DataFrame({"mean": [6.5, None], "suppressed": [False, True]}), wrap=30)
    assert drawn == [(2, {"wrap": 30})]
    assert plt.get_fignums() == []  # shown, then closed


def test_charts_are_svg_with_client_text_escaped():
    table = pd.DataFrame({"item": ["a", "b"], "statement": [EVIL, "Fees & charges"],
                          "mean": [6.5, 5.0]})
    shown = report.svg_chart(plots.scorecard_chart(table))
    svg = shown.data
    assert svg.lstrip().startswith("<svg") or "<svg" in svg[:400]
    assert "<script" not in svg  # matplotlib writes the statement as escaped text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg and "Fees &amp; charges" in svg
    assert "<dc:date>" not in svg  # the same chart gives the same bytes
    assert report.svg_chart(plots.scorecard_chart(table)).data == svg


def test_show_picks_columns_and_keeps_title_and_suppression_marks():
    frame = pd.DataFrame({"item": ["a", "b"], "n": [9.0, 3.0], "mean": [6.5, 7.25],
                          "sd": [1.234, 2.0]})
    table = result_table(suppress(frame, min_group_size=5), title="Scores")
    html = report.show(table, columns=["item", "mean", "not_there"]).data
    assert "Scores" in html and "6.50" in html and ">suppressed<" in html
    assert "1.23" not in html and ">sd<" not in html


def test_show_says_in_one_line_when_every_figure_is_suppressed():
    frame = pd.DataFrame({"item": ["a", "b"], "n_management": [4.0, 4.0], "mean": [6.5, 7.0]})
    table = report.confidential(
        result_table(suppress(frame, n_column="n_management", min_group_size=5), title="Gap"), 5
    )
    html = report.show(table, "unused").data
    assert html == ('<p class="cemlab-note">Gap: every figure is suppressed '
                    '(n_management &lt; 5).</p>')


def test_attempt_turns_lack_of_data_into_a_note_and_lets_bugs_through():
    assert report.attempt(lambda x: x * 2, 21) == (42, "")

    def too_few():
        raise AnalysisError("fewer than 3 items answered")

    assert report.attempt(too_few) == (None, "fewer than 3 items answered")
    assert report.attempt(lambda: (_ for _ in ()).throw(DataError("no data")))[1] == "no data"
    with pytest.raises(ZeroDivisionError):
        report.attempt(lambda: 1 / 0)
    assert report.attempt(lambda data: pytest.fail("not called"), None) == (None, "")
    assert report.attempt(lambda a, b: pytest.fail("not called"), "now", None) == (None, "")


def test_value_reads_one_unsuppressed_number():
    table = result_table(suppress(
        pd.DataFrame({"segment": ["all", "small"], "n": [40.0, 3.0], "nps": [12.5, 40.0]}),
        min_group_size=5,
    ))
    assert report.value(table, "nps", segment="all") == 12.5
    assert report.value(table, "nps", segment="small") is None  # suppressed
    assert report.value(table, "nps", segment="nowhere") is None
    assert report.value(table, "nps") is None  # two rows that disagree: which one?
    tied = pd.DataFrame({"mean": [5.5, 5.5, 7.0], "lowest": [True, True, False]})
    assert report.value(tied, "mean", lowest=True) == 5.5
    assert report.value(None, "nps") is None
    assert report.value(table, "missing_column") is None


def test_report_tables_write_csv_xlsx_and_key_figures(tmp_path):
    tables = report.ReportTables(tmp_path / "tables", min_group_size=5)
    scores = pd.DataFrame({"item": ["a"], "mean": [6.5]})
    assert tables.add("scores", scores) is scores
    tables.add("empty", pd.DataFrame({"x": []}))  # nothing to write
    tables.add("missing", None)
    tables.key_figure("Mean score", 6.5)
    tables.key_figure("NPS", float("nan"))  # suppressed: left out
    tables.respondents(42)
    small = suppress(pd.DataFrame({"group": ["x"], "n": [2.0], "mean": [4.0]}), min_group_size=5)
    assert tables.add("small", small)["n"].isna().all()  # shown as the client may see it
    written = {p.name for p in tables.save()}
    assert written == {"scores.csv", "small.csv", "key_figures.csv", "tables.xlsx"}
    assert pd.read_csv(tmp_path / "tables" / "small.csv")["n"].isna().all()
    figures = pd.read_csv(tmp_path / "tables" / "key_figures.csv")
    assert figures.to_dict("list") == {"figure": ["Respondents", "Mean score"], "value": [42, 6.5]}
    assert set(pd.ExcelFile(tmp_path / "tables" / "tables.xlsx").sheet_names) == {
        "scores", "small", "key_figures"}


def test_report_tables_keep_small_totals_and_bad_names_out(tmp_path):
    tables = report.ReportTables(None, min_group_size=5)
    tables.respondents(3)
    assert tables.key_figures == {}
    assert tables.save() == []  # a notebook run by hand writes nothing
    with pytest.raises(ValueError, match="table name"):
        tables.add("../escape", pd.DataFrame({"x": [1]}))


def _tiny_client(tmp_path, rows: int = 8) -> dict:
    rng = np.random.default_rng(3)
    data = pd.DataFrame(rng.integers(1, 11, size=(rows, len(ITEMS))), columns=ITEMS)
    data.insert(0, "role", ["management", "staff"] * (rows // 2))
    data.insert(0, "respondent_id", range(1, rows + 1))
    data = data.astype(object)
    data.loc[0, ITEMS[0]] = "nie wiem"  # don't know: set missing and counted
    data.loc[1, ITEMS[1]] = None  # a blank
    data.to_csv(tmp_path / "tiny.csv", index=False)
    return {"client": "tiny", "title": "Tiny", "data": "tiny.csv"}


def test_load_report_client_reads_paths_relative_to_the_notebook(tmp_path):
    client = report.load_report_client(
        {**_tiny_client(tmp_path), "tables_dir": None, "params_file": None}, folder=tmp_path
    )
    assert client.params.client == "tiny" and client.survey.n == 8


def test_load_report_client_names_the_bad_parameter(tmp_path):
    with pytest.raises(ParamsError, match="min_group_size"):
        report.load_report_client(
            {**_tiny_client(tmp_path), "min_group_size": "five"}, folder=tmp_path
        )


def test_data_quality_counts_without_respondent_rows(tmp_path):
    client = report.load_report_client(_tiny_client(tmp_path), folder=tmp_path)
    table = report.data_quality(client.survey)
    rows = {(r.check, r.detail): r.count for r in table.itertuples()}
    assert rows[("respondents", "read from the file")] == 8
    assert rows[("respondents", "analysed")] == 8
    # one "nie wiem" and one blank: counts of 1 (< 5) are not shown, and the reason does not
    # quote the respondent's answer
    assert np.isnan(rows[("missing answers", ITEMS[0])])
    assert np.isnan(rows[("missing answers", ITEMS[1])])
    assert np.isnan(rows[("answers set missing", report.NO_ANSWER_CODE)])
    assert "nie wiem" not in " ".join(table["detail"])
    assert "row" not in " ".join(table["detail"])  # reasons only, no spreadsheet rows
    shown = report.data_quality(client.survey, min_group_size=1).set_index("detail")
    assert shown.loc[ITEMS[0], "count"] == 1 and shown.loc[report.NO_ANSWER_CODE, "count"] == 1
    # with a minimum of 8, the 7 who answered each of those items are too few: 8 - missing
    # would give that number, so the count is hidden
    strict = report.data_quality(client.survey, min_group_size=8).set_index("detail")
    assert np.isnan(strict.loc[ITEMS[0], "count"]) and strict.loc[ITEMS[0], "suppressed"]
    assert strict.loc["analysed", "count"] == 8
    # and its "nie wiem" is not counted by reason either (8 - 1 would give the same away)
    assert "answers set missing" not in set(strict["check"])


def test_methods_states_bands_and_the_suppression_rule():
    text = report.methods(load_instrument("cem-maturity"), min_group_size=7).data
    assert "1-10 scale" in text
    assert "disagree 1-4, neutral 5-6, agree 7-10" in text
    assert "fewer than 7" in text


def test_methods_lists_the_method_of_each_table_shown():
    shown = {
        "nps": result_table(pd.DataFrame({"nps": [1.0]}), title="NPS", notes="adjusted Wald"),
        "plain": pd.DataFrame({"x": [1]}),
    }
    text = report.methods(load_instrument("cem-maturity"), min_group_size=5, tables=shown).data
    assert "adjusted-Wald 95% interval" in text and "NPS is % promoters minus" in text
    assert text.count("<li>") == 4  # instrument, bands, suppression, the NPS table


def test_methods_names_the_correlation_method_once_and_as_computed():
    # the matrix and the pairs are one analysis: one line, the adjustment `correlations` does
    from cemlab._stats import adjust_p
    from cemlab.correlation import correlation_matrix, correlations
    from cemlab.survey import Survey

    rng = np.random.default_rng(3)
    cem = load_instrument("cem-maturity")
    frame = pd.DataFrame(rng.integers(1, 11, size=(40, 4)), columns=cem.item_ids[:4])
    frame.insert(0, "role", ["staff"] * 30 + ["management"] * 10)
    survey = Survey(frame, cem, min_group_size=5)
    pairs = correlations(survey, min_group_size=5)
    assert np.allclose(pairs["p_adjusted"], adjust_p(pairs["p_value"], "fdr_bh"))
    tables = {"correlations": pairs, "correlation_matrix": correlation_matrix(survey)}
    for lang, words in ((Language("en"), ("Spearman", "Benjamini-Hochberg")),
                        (Language("pl"), ("Spearmana", "Benjamini-Hochberg"))):
        text = report.methods(cem, min_group_size=5, tables=tables, lang=lang).data
        lines = [line for line in text.split("<li>") if "Spearman" in line]
        assert len(lines) == 1, lines
        assert all(word in lines[0] for word in words) and "Holm" not in lines[0]


def test_methods_lists_the_sections_left_out_once():
    lang = Language("pl")
    shown, left_out = report_sections.sections_with_data(
        ["cover", "nps", "trend", "quality"], feedback=None, previous=None, lang=lang)
    assert shown == ["cover", "quality"]
    text = report.methods(load_instrument("cem-maturity"), min_group_size=5, lang=lang,
                          left_out=left_out).data
    assert text.count("Nieujęte w raporcie") == 1
    assert "NPS — nie przekazano opinii klientów" in text
    contents = report.contents(shown, lang).data
    assert "#nps" not in contents and "#trend" not in contents and "#appendix" in contents
    assert report.heading("nps", lang, shown) is None
    assert report.heading("quality", lang, shown) is not None


def test_table_html_hides_bookkeeping_columns_but_keeps_the_marks():
    frame = pd.DataFrame({"item": ["a", "b"], "n": [9.0, 3.0], "mean": [6.5, 7.25],
                          "note": [None, None]})
    table = result_table(suppress(frame, min_group_size=5))
    html = report.table_html(table)
    assert "n = 3 &lt; 5" in html  # the reason of the suppressed row, escaped
    assert ">suppressed<" in html  # the suppressed cell says so
    assert ">note<" not in html and ">suppressed<" in html
    assert "True" not in html and "False" not in html  # no flag column
    clean = result_table(suppress(frame.iloc[:1], min_group_size=5))
    assert "suppressed_reason" not in report.table_html(clean)


def test_journey_drivers_leave_overall_satisfaction_out():
    from cemlab.survey import Survey

    feedback = Survey(pd.DataFrame(), load_instrument("customer-feedback"))
    drivers = report.journey_drivers(feedback)
    assert "sat_overall" not in drivers and "ltr" not in drivers
    assert drivers == ["sat_awareness", "sat_purchase", "sat_onboarding", "sat_service",
                       "sat_billing"]
    assert report.journey_drivers(None) is None


def test_item_dimensions_maps_every_item_to_its_practice():
    instrument = load_instrument("cem-maturity")
    mapping = report.item_dimensions(instrument)
    assert set(mapping) == set(instrument.item_ids)
    assert mapping["lead_decisions"] == "leadership" and mapping["kpi_reward"] == "kpis"


# --- cover branding, contents, executive summary, findings as shown (issue 11) ---------------

PNG_BYTES = (  # a 1x1 PNG
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


def _branded_params(tmp_path, branding: dict):
    import yaml

    from cemlab.params import load_params

    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / "data" / "acme.csv").write_text(
        "role," + ",".join(ITEMS) + "\n" + "staff," + ",".join("5" for _ in ITEMS) + "\n")
    path = tmp_path / "acme.yaml"
    path.write_text(yaml.safe_dump({"client": "acme", "title": "Acme", "data": "data/acme.csv",
                                    "branding": branding}))
    return load_params(path)


def test_cover_shows_the_consultancy_its_logo_inlined_and_confidential(tmp_path):
    import base64

    (tmp_path / "brand").mkdir()
    (tmp_path / "brand" / "logo.png").write_bytes(PNG_BYTES)
    params = _branded_params(tmp_path, {"name": f"Northwind {EVIL}", "logo": "brand/logo.png",
                                        "accent": "#1f4e79"})
    page = report.cover(client="acme", title="Acme", wave=None, group_sizes={"staff": 30},
                        min_group_size=5, date="2026-12-01", branding=params.branding).data
    assert EVIL not in page and f"Northwind {ESCAPED}" in page
    assert "Confidential" in page and "#1f4e79" in page
    # the logo travels inside the HTML, byte for byte, so the report opens from an e-mail
    assert f"data:image/png;base64,{base64.b64encode(PNG_BYTES).decode()}" in page
    assert "brand/logo.png" not in page
    # the relative path a kept notebook gets back validates to the same file
    assert params.notebook_parameters(relative=True)["branding"]["logo"] == "brand/logo.png"


def test_default_branding_is_neutral_and_a_polish_cover_is_polish():
    from cemlab.i18n import Language

    page = report.cover(client="acme", title="Acme", wave="2026",
                        group_sizes={"management": 4, "staff": 30}, min_group_size=5,
                        date="2026-12-01", lang=Language("pl")).data
    assert "Przegląd zarządzania doświadczeniem klienta" in page and "<img" not in page
    assert "Customer Experience Management review" not in page
    named = report.cover(client="acme", title="Acme", wave="2026", group_sizes={"staff": 30},
                         min_group_size=5, date="2026-12-01", lang=Language("pl"),
                         branding=Branding(name="Smith & Partners")).data
    assert "Smith &amp; Partners" in named  # a consultancy's own name is not translated
    assert "Poufne" in page and "Confidential" not in page
    assert "<dd>mniej niż 5</dd>" in page and "<dd>co najmniej 30</dd>" in page
    assert "<dt>Respondenci</dt>" in page and "<dt>Edycja badania</dt>" in page


def test_a_min_group_size_below_3_is_printed_on_the_cover():
    # issue 10: a min_group_size below 3 needs allow_small_groups: true and the cover says so
    kwargs = dict(client="acme", title="Acme", wave="2026", group_sizes={"management": 2,
                  "staff": 30}, date="2026-12-01")
    small = report.cover(min_group_size=2, allow_small_groups=True, **kwargs).data
    assert ("<dt>Smallest group shown</dt><dd>2 respondent(s): below the usual 3, as agreed "
            "with the client</dd>") in small
    assert "Smallest group shown" not in report.cover(min_group_size=5, **kwargs).data


@pytest.mark.parametrize("branding, key, says", [
    ({"logo": "missing.png"}, "branding.logo", "no such file"),
    ({"logo": "fake.png"}, "branding.logo", "its content is not a PNG image"),
    ({"logo": "data/acme.csv"}, "branding.logo", "not an image"),
    ({"accent": "blue"}, "branding.accent", "#"),
    ({"name": ""}, "branding.name", "at least 1"),
    ({"colour": "#000000"}, "branding.colour", ""),
])
def test_a_bad_branding_is_a_params_error_naming_the_key(tmp_path, branding, key, says):
    (tmp_path / "fake.png").write_text("not a picture")
    with pytest.raises(ParamsError) as err:
        _branded_params(tmp_path, branding)
    assert f"key '{key}'" in str(err.value) and says in str(err.value)
    assert "acme.yaml" in str(err.value)


def test_language_must_be_one_cemlab_writes(tmp_path):
    import yaml

    from cemlab.params import load_params

    params = _branded_params(tmp_path, {})
    assert params.language == "en" and params.notebook_parameters()["language"] == "en"
    path = tmp_path / "acme.yaml"
    path.write_text(yaml.safe_dump({"client": "acme", "title": "Acme", "data": "data/acme.csv",
                                    "language": "de"}))
    with pytest.raises(ParamsError, match="key 'language'"):
        load_params(path)


def test_contents_links_only_the_sections_the_report_has():
    from cemlab.i18n import Language

    html = report.contents(["cover", "findings", "quality"]).data
    assert '<a href="#executive-summary">Executive summary</a>' in html
    assert '<a href="#key-findings">Key findings</a>' in html
    assert "#quality" in html and "#nps" not in html and "#trend" not in html
    # the summary condenses the findings: without them there is none to link to
    assert "executive-summary" not in report.contents(["cover", "quality"]).data
    assert '<h2 id="key-findings">Najważniejsze wnioski</h2>' in report.heading(
        "findings", Language("pl")).data


def test_findings_are_shown_with_units_whole_points_and_p_as_a_reader_writes_it():
    from cemlab.i18n import Language

    table = pd.DataFrame({
        "rank": [1, 2, 3, 4, 5], "finding": [f"NPS rose {EVIL}", "r", "share", "lowest", "up"],
        "kind": ["nps change", "strongest correlation", "key weakness", "lowest", "trend"],
        "value": [14.62, 0.604, 54.2, 5.53, 0.44],
        "unit": ["NPS points", "correlation", "% of explained variance", "mean (1-10)",
                 "scale points"],
        "p_adjusted": [0.00004, 0.0123, np.nan, np.nan, 0.2],
    })
    view = report.findings_view(table)
    assert list(view.columns) == ["Rank", "Finding", "Value", "p"]
    assert list(view["Value"]) == ["+15 NPS pts", "r = 0.60", "54% of explained variance",
                                   "mean 5.5", "+0.4 in mean"]
    assert list(view["p"]) == ["< 0.001", "0.012", "–", "–", "0.200"]
    # one formatter: the findings table and the client table write a finding's value alike
    from cemlab.labels import client_table

    assert list(client_table(table, ["value"])["Value"]) == list(view["Value"])
    html = report.show_findings(table, "none").data
    assert EVIL not in html and ESCAPED in html and "cemlab-findings" in html
    polish = report.findings_view(table, Language("pl"))
    assert list(polish.columns)[:3] == ["Pozycja", "Wniosek", "Wartość"]
    assert polish["Wartość"].iloc[0] == "+15 pkt NPS"
    assert polish["p"].iloc[0] == "< 0,001"


def test_executive_summary_page_escapes_and_ranks_and_hides_suppressed_practices():
    from cemlab.results import result_table
    from cemlab.summary import ExecutiveSummary, Point

    maturity = result_table(pd.DataFrame({
        "practice": [f"Lead {EVIL}", "Measure"], "dimension": ["lead", "meas"],
        "mean": [7.24, np.nan], "rank": [1, np.nan], "gap_to_target": [0.24, np.nan],
        "benchmark_mean": [6.0, np.nan], "gap_to_benchmark": [1.24, np.nan], "n": [30, 4],
        "suppressed": [False, True], "suppressed_reason": ["", "n < 5"],
    }), title="m", min_group_size=5)
    summary = ExecutiveSummary(
        maturity=maturity, overall=7.24, strengths=[Point("practice", "Lead", f"S {EVIL}")],
        priorities=[Point("practice", "Measure", "P1")], nps=17.2, nps_change=14.6,
        nps_change_p=0.0012, headline=f"Headline {EVIL}")
    page = report.executive_summary_html(summary, target=7.0).data
    assert EVIL not in page and f"Headline {ESCAPED}" in page and f"S {ESCAPED}" in page
    assert "<td>1</td><td>Lead " in page and "<td>7.2</td><td>+0.2</td><td>6.0</td>" in page
    assert "<td>Measure</td><td>suppressed</td>" in page and ">4<" not in page
    assert "Net Promoter Score: 17 (+15 points since the previous wave, p = 0.001)" in page
    no_target = report.executive_summary_html(summary).data
    assert "Gap to target" not in no_target and "Gap to target" in page


@settings(max_examples=60, deadline=None)
@given(words=st.integers(0, 3), figures=st.integers(0, 25), per_part=st.integers(1, 9))
def test_appendix_parts_keep_every_figure_once_each_part_led_by_the_statement(
        words, figures, per_part):
    # a wide appendix table laid out in parts a page wide: no figure lost or repeated
    columns = [f"text {i}" for i in range(words)] + [f"figure {i}" for i in range(figures)]
    shown = pd.DataFrame([[f"{c} row {r}" for c in columns] for r in range(3)], columns=columns)
    parts = report.appendix_parts(shown, list(range(words)), per_part=per_part)
    shown_figures = [c for part, _ in parts for c in part.columns if c.startswith("figure")]
    assert shown_figures == [c for c in columns if c.startswith("figure")]
    for part, text_positions in parts:
        assert len([c for c in part.columns if c.startswith("figure")]) <= max(per_part, figures
                                                                               if not words else 0)
        if words:
            assert part.columns[0] == "text 0" and text_positions[0] == 0
        assert part.index.equals(shown.index)
