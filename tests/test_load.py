"""`load`'s guarantees: every row below the header accounted for, answers never misread,
cuts and comments carried, and nothing unmapped reaching a Survey.

Row counts are computed here from the rows written, independently of the reader.
"""

from __future__ import annotations

import importlib
import json
import string

import openpyxl
import pandas as pd
import pytest
import yaml
from _io_fixtures import MINI, REALDATA, needs_realdata, write_csv, write_instrument
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cemlab.survey as survey_module
from cemlab import DataError, load
from cemlab.exceptions import ParamsError
from cemlab.io import RawColumn
from cemlab.io.answers import _read_answer
from cemlab.params import load_client
from cemlab.validate import quality_summary, validate_params_file

#: The module, which `cemlab.io.load` (the function) hides.
loader = importlib.import_module("cemlab.io.load")

HEADER = ["id", "role", "q1", "q2", "q3"]

# -- every row accounted for ----------------------------------------------------------------

_labels = st.sampled_from(["staff", "management", "Senior management", "Intern", "", "Don't know",
                           "  STAFF "])
_answers = st.sampled_from(["1", "3", "5", "9", "", "Don't know", "abc", "2,5", "-"])
_ids = st.sampled_from(["a", "b", "c", "d", "", "7", "7.0"])
_response = st.tuples(_ids, _labels, _answers, _answers, _answers).map(list)
_text = st.text(alphabet=string.ascii_letters + " :", min_size=1, max_size=12)
_row = st.one_of(
    _response,
    _response,
    st.just([]),                                   # a blank row
    _text.map(lambda t: [t]),                      # one cell of text: a note when at the end
    st.tuples(_labels, _text).map(lambda t: [None, *t[:1]]),
    _response.map(lambda r: [*r, "extra"]),        # more cells than the header
)


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(_row, min_size=1, max_size=25), with_id=st.booleans())
def test_every_row_below_the_header_is_analysed_excluded_or_a_note(tmp_path, rows, with_id):
    instrument = write_instrument(tmp_path)
    header = HEADER if with_id else HEADER[1:]
    written = rows if with_id else [r[1:] if r and len(r) >= 5 else r for r in rows]
    path = write_csv(tmp_path / "survey.csv", [header, *written])
    below = list(written)
    while below and not any(str(c or "").strip() for c in below[-1]):
        below.pop()  # trailing blank lines are the end of the file, not rows
    try:
        survey = load(path, instrument, min_group_size=1)
    except DataError as err:
        assert "internal error" not in str(err)
        assert "no respondent left" in str(err) or "holds text" in str(err) or \
            "file is empty" in str(err) or "no data rows" in str(err), str(err)
        return
    log = survey.quality
    excluded = [i.row for i in log.excluded]
    notes = [i.row for i in log.issues if i.reason == "note below the data"]
    blank = [n for n, r in enumerate(below, start=2) if not any(str(c or "").strip() for c in r)]
    assert survey.n + len(excluded) + len(notes) + len(blank) == len(below)
    assert log.rows_below_header == len(below)
    assert log.accounting() == (
        f"Rows below the header: {len(below)} = analysed {survey.n} + excluded "
        f"{len(excluded)} + notes/blank {len(notes) + len(blank)}")
    if not with_id:  # respondents are numbered by their row: the four sets are the rows
        every = sorted([*survey.responses.index, *excluded, *notes, *blank])
        assert every == list(range(2, 2 + len(below)))


def test_counts_that_do_not_add_up_are_an_internal_error(tmp_path, monkeypatch):
    path = write_csv(tmp_path / "survey.csv", [HEADER, ["a", "staff", 1, 2, 3]])
    read_table = loader.read_table

    def losing_a_row(*args, **kwargs):
        table = read_table(*args, **kwargs)
        table.rows_below_header += 1  # a reader that dropped a row without saying so
        return table

    monkeypatch.setattr(loader, "read_table", losing_a_row)
    with pytest.raises(DataError) as err:
        load(path, write_instrument(tmp_path), min_group_size=1)
    assert str(err.value).startswith(f"{path}: internal error: the rows do not add up. Rows "
                                     "below the header 2; analysed 1 + excluded 0 (listed 0) + "
                                     "notes 0 + blank 0 = 1")


# -- answers that only start with a number ---------------------------------------------------

COLUMN = RawColumn(name="q1", letter="B", texts=["q1"])
_score = st.integers(min_value=0, max_value=10)
_two_numbers = st.sampled_from([" or ", "-", " - ", " – ", " to ", "/", ", ", " and ", " & ",
                                " lub ", " do ", "..", " oder "])
_words = st.lists(st.sampled_from(["Agree", "strongly", "Disagree", "neutral", "Zgadzam",
                                   "się", "całkowicie", "best", "worst"]), min_size=1,
                  max_size=3).map(" ".join)
_separator = st.sampled_from([" - ", "-", " = ", "=", ". ", ": ", ") ", " – ", " "])


@given(first=_score, joined=_two_numbers, second=_score)
def test_two_numbers_in_one_answer_are_never_read_as_the_first(first, joined, second):
    answer = _read_answer(f"{first}{joined}{second}", COLUMN, 0, 10)
    assert answer.value is None and answer.kind == "ambiguous", answer
    assert answer.problem.startswith(("a range of answers", "more than one answer"))


#: What may stand between two numbers: any text without a digit, except the decimal point
_between = st.text(min_size=1, max_size=8).filter(
    lambda t: not any(c.isdigit() for c in t) and t.strip() not in (".", ","))


@given(first=_score, between=_between, digit=st.integers(min_value=0, max_value=9),
       rest=st.text(max_size=5))
def test_text_with_another_number_after_the_first_is_no_score(first, between, digit, rest):
    # "7 - Agree" is a label and keeps its 7; "7 - 8", "7 or 8", "7 of 10" say more
    cell = f"{first}{between}{digit}{rest}"
    assert _read_answer(cell, COLUMN, 0, 10).value is None, cell


@given(score=_score, separator=_separator, label=_words)
def test_likert_labels_keep_their_score(score, separator, label):
    assert _read_answer(f"{score}{separator}{label}", COLUMN, 0, 10).value == float(score)


@pytest.mark.parametrize("cell", ["1,000", "10,000", "1 000", "2,500"])
def test_a_thousands_separator_is_no_score(cell):
    answer = _read_answer(cell, COLUMN, 0, 10)
    assert answer.value is None and answer.kind == "ambiguous"
    assert "thousands separator" in answer.problem


def test_ambiguous_answers_are_set_missing_with_their_reason(tmp_path):
    path = write_csv(tmp_path / "survey.csv", [
        HEADER,
        ["a", "staff", "2 or 3", "6 to 8", "1,000"],
        ["b", "staff", "4 - Agree", "5 = Strongly agree", "2,5"],
        ["c", "staff", "3", "4", "5"],
    ])
    survey = load(path, write_instrument(tmp_path), min_group_size=1)
    assert survey.items.loc["a"].isna().all()
    assert survey.items.loc["b"].tolist()[:2] == [4.0, 5.0]
    assert [(i.row, i.column, i.value, i.reason) for i in survey.quality.set_missing] == [
        (2, "q1", "2 or 3", "more than one answer, not one score on the 1-5 scale"),
        (2, "q2", "6 to 8", "a range of answers, not one score on the 1-5 scale"),
        (2, "q3", "1,000", "a thousands separator (or three decimals), not one score on the "
                           "1-5 scale"),
        (3, "q3", "2,5", "not a whole number on the 1-5 scale"),
    ]
    assert survey.quality.set_missing[0].message == (
        "survey.csv, row 2, column 'q1': answer to q1 set missing: more than one answer, not "
        "one score on the 1-5 scale (value '2 or 3'). Fix: ask which one score from 1 to 5 was "
        "meant and correct it in the client's file, or leave it empty")


# -- exclude_labels, empty groups, grouped quality lines -------------------------------------


def test_exclude_labels_leaves_out_a_label_on_purpose_and_says_so(tmp_path):
    rows = [["a", "staff", 1, 2, 3], ["b", "Contractor", 2, 2, 2], ["c", "Intern", 3, 3, 3],
            ["d", "management", 4, 4, 4], ["e", " CONTRACTOR ", 5, 5, 5]]
    path = write_csv(tmp_path / "survey.csv", [HEADER, *rows])
    survey = load(path, write_instrument(tmp_path), min_group_size=1,
                  exclude_labels=["contractor"])
    assert survey.responses.index.tolist() == ["a", "d"]
    assert [(i.row, i.reason) for i in survey.quality.excluded] == [
        (3, "excluded on purpose (exclude_labels)"), (4, "unknown group label"),
        (6, "excluded on purpose (exclude_labels)")]
    assert survey.quality.reason_counts("excluded") == {
        "excluded on purpose (exclude_labels)": 2, "unknown group label": 1}
    with pytest.raises(DataError, match="exclude_labels lists 'Staff', which is also a label"):
        load(path, write_instrument(tmp_path), exclude_labels=["Staff"])


def _client(folder, rows, **keys):
    write_instrument(folder)
    write_csv(folder / "survey.csv", [HEADER, *rows])
    params = {"client": "acme", "title": "Acme", "data": "survey.csv",
              "instrument": "mini.yaml", "min_group_size": 1,
              "allow_small_groups": True} | keys
    path = folder / "acme.yaml"
    path.write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    return path


def test_a_group_level_with_no_respondents_is_not_analysable(tmp_path):
    # management vs staff with every staff label unknown: nothing to compare
    rows = [[f"m{i}", "management", 4, 4, 4] for i in range(6)] + [
        [f"s{i}", "Specjalista", 2, 2, 2] for i in range(12)]
    report = validate_params_file(_client(tmp_path, rows))
    assert not report.ok
    [problem] = report.problems
    assert problem.startswith("survey data: no respondent in group 'staff' (management 6, "
                              "staff 0; 12 row(s) excluded): the groups cannot be compared")
    summary = report.summary()
    # twelve identical exclusions are one line, with the rows and the fix
    assert ("  12 x unknown group label, column 'role', value 'Specjalista': rows 8, 9, 10, 11, "
            "12, 13, 14, 15 and 4 more. Fix: add it to the params file, group_labels: {<level>: "
            "['Specjalista']}, with <level> one of management, staff") in summary
    assert summary.count("Specjalista") == 2  # the grouped line (twice: value and fix)
    assert "Header rows: 1 (column names row 1)" in summary
    assert "Rows below the header: 18 = analysed 6 + excluded 12 + notes/blank 0" in summary
    # mapping the label makes it analysable
    report = validate_params_file(_client(tmp_path, rows,
                                          group_labels={"staff": ["Specjalista"]}))
    assert report.ok, report.problems


def test_repeated_missing_answers_are_grouped_with_their_rows(tmp_path):
    rows = [[f"s{i}", "staff", "Don't know", 2, 3] for i in range(7)] + [
        ["m", "management", 9, 2, 3]]
    summary = validate_params_file(_client(tmp_path, rows)).summary()
    assert """  7 x "Don't know" means no answer (q1: 7)""" in summary
    grouped = """7 x "Don't know" means no answer, column 'q1', value "Don't know": rows """
    assert f"    {grouped}2, 3, 4, 5, 6, 7, 8\n" in summary
    assert "survey.csv, row 9, column 'q1': answer to q1 set missing: outside the 1-5 scale" \
        in summary


#: The SurveyMonkey file's company-size question and its answers, as three levels.
COMPANY_SIZE = "How many people work for your company or organization?"
COMPANY_SIZES = {"small": ["2-50", "51-250", "251-1,000", "Self-employed or not working"],
                 "large": ["1,000-10,000", "Greater than 10,000"], "unknown": ["Don't know"]}

# -- cuts and comments -----------------------------------------------------------------------

CUT_HEADER = [*HEADER, "Dział", "location", "Why did you give that score?", "email",
              "Submitted"]


def test_cuts_and_comments_from_a_csv_and_unmapped_columns_stay_out(tmp_path):
    rows = [
        ["a", "staff", 1, 2, 3, "Sprzedaż", "Kraków", "Too slow.", "ann@client.example",
         "2026-01-05 10:00"],
        ["b", "staff", 2, 2, 2, "sales dept", "  Gdańsk ", "   ", "bob@client.example",
         "2026-01-05 11:00"],
        ["c", "management", 4, 4, 4, "", "Kraków", None, "cy@client.example", "2026-01-06"],
        ["d", "staff", 3, 3, 3, "Marketing", None, "Fine", "d@client.example", "2026-01-07"],
        ["e", "Intern", 3, 3, 3, "Ops", "Kraków", "excluded", "e@client.example", "2026-01-07"],
    ]
    path = write_csv(tmp_path / "survey.csv", [CUT_HEADER, *rows])
    survey = load(path, write_instrument(tmp_path), min_group_size=1,
                  cuts={"department": {"column": "Dział",
                                       "labels": {"Sales": ["Sprzedaż", "sales dept"],
                                                  "Ops": ["Operations"]}},
                        "location": None},
                  comments={"why": "Why did you give that score?"})
    assert survey.cuts.index.equals(survey.responses.index)
    assert survey.comments.index.equals(survey.responses.index)
    department = survey.cuts["department"]
    assert department.cat.categories.tolist() == ["Sales", "Ops"]
    assert department.tolist()[:2] == ["Sales", "Sales"] and department.iloc[2:].isna().all()
    assert survey.cuts["location"].tolist()[:3] == ["Kraków", "Gdańsk", "Kraków"]
    assert survey.cuts["location"].cat.categories.tolist() == ["Gdańsk", "Kraków"]
    assert survey.comments["why"].tolist()[0] == "Too slow."
    assert survey.comments["why"].isna().tolist() == [False, True, True, False]
    log = survey.quality
    assert log.not_stated == {"department": 1, "location": 1} and log.no_comment == {"why": 2}
    [unknown] = [i for i in log.set_missing if i.column == "Dział"]
    assert (unknown.row, unknown.value, unknown.reason) == (5, "Marketing",
                                                            "unknown label for cut department")
    assert "cuts: {department: {labels: {<category>: ['Marketing']}}}" in unknown.message
    # the e-mails and timestamps are in no frame of the Survey
    for frame in (survey.responses, survey.cuts, survey.comments):
        assert not {"email", "Submitted"} & set(frame.columns)
        assert not frame.astype(str).apply(lambda c: c.str.contains("@")).any().any()
    # subset keeps cuts and comments aligned
    staff = survey.subset(survey.groups == "staff")
    assert staff.cuts.index.equals(staff.responses.index) and len(staff.comments) == 3
    summary = quality_summary(survey)
    assert "Cut department (column 'Dział'): Sales 2, Ops 0; not stated 1; unknown label 1" \
        in summary
    assert "Comments why (column 'Why did you give that score?'): 2 comment(s), 2 no comment" \
        in summary


def test_cuts_comments_and_exclude_labels_from_the_params_file(tmp_path):
    rows = [["a", "staff", 1, 2, 3], ["b", "Contractor", 2, 2, 2], ["c", "management", 3, 3, 3]]
    write_instrument(tmp_path)
    write_csv(tmp_path / "survey.csv",
              [[*HEADER, "Dział", "Why?"], *[[*r, "Sprzedaż", "ok"] for r in rows]])
    params = {"client": "acme", "title": "Acme", "data": "survey.csv",
              "instrument": "mini.yaml", "min_group_size": 1, "allow_small_groups": True,
              "exclude_labels": ["Contractor"],
              "cuts": {"department": {"column": "Dział", "labels": {"Sales": ["Sprzedaż"]}}},
              "comments": ["Why?"]}
    path = tmp_path / "acme.yaml"
    path.write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    survey = load_client(path).survey
    assert survey.cuts["department"].tolist() == ["Sales", "Sales"]
    assert survey.comments["Why?"].tolist() == ["ok", "ok"]
    assert survey.quality.reason_counts("excluded") == {"excluded on purpose (exclude_labels)": 1}
    params["cuts"] = ["Dział"]  # a list: each cut's column is named like it
    path.write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    assert load_client(path).survey.cuts["Dział"].tolist() == ["Sprzedaż", "Sprzedaż"]
    params["cuts"] = {"department": {"column": "Dzial", "lables": {}}}
    path.write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ParamsError, match="lables"):
        load_client(path)


def test_a_cut_column_that_is_not_in_the_file_names_the_closest(tmp_path):
    path = write_csv(tmp_path / "survey.csv", [[*HEADER, "Department"],
                                               ["a", "staff", 1, 2, 3, "Sales"]])
    with pytest.raises(DataError) as err:
        load(path, write_instrument(tmp_path), cuts={"dept": {"column": "Departament"}})
    assert "cuts: dept names the column 'Departament', but the file has no column" in \
        str(err.value) and "'Department'" in str(err.value)


def test_cuts_and_comments_from_xlsx(tmp_path):
    book = openpyxl.Workbook()
    for row in ([*HEADER, "Team", "Comment", "email"],
                ["a", "staff", 1, 2, 3, "North", "Good", "a@x.example"],
                ["b", "management", 4, 4, 4, 7, 42, "b@x.example"],
                ["c", "staff", 2, 2, 2, None, " ", "c@x.example"]):
        book.active.append(row)
    path = tmp_path / "survey.xlsx"
    book.save(path)
    survey = load(path, write_instrument(tmp_path), min_group_size=1, cuts=["Team"],
                  comments=["Comment"])
    assert survey.cuts["Team"].tolist()[:2] == ["North", "7"]  # a number is a label too
    assert survey.comments["Comment"].tolist()[:2] == ["Good", "42"]
    assert survey.comments["Comment"].isna().tolist() == [False, False, True]
    assert survey.quality.not_stated == {"Team": 1}


@needs_realdata
def test_cuts_and_comments_from_a_surveymonkey_export(tmp_path):
    # SOURCE.md: 748 responses below 2 header rows; "Collector" names how each was collected
    # (8 collectors); "What is your role in the open source program? - Other (please
    # specify)" has 7 answers (pandas read_csv(skiprows=[1]) on the file gives the same).
    path = REALDATA / "surveymonkey-export" / "results.csv"
    raw = pd.read_csv(path, skiprows=[1], dtype=str)
    other = "What is your role in the open source program? - Other (please specify)"
    instrument = write_instrument(tmp_path, _sm_instrument())
    survey = load(path, instrument, columns={"size": COMPANY_SIZE},
                  cuts={"collector": {"column": "Collector"}}, comments={"role_other": other})
    assert survey.quality.header == ("header rows: 2 (column names row 1; SurveyMonkey "
                                     "sub-header row 2)")
    expected = raw["Collector"].str.strip().value_counts().sort_index()
    assert survey.cuts["collector"].value_counts().sort_index().tolist() == expected.tolist()
    assert survey.comments["role_other"].notna().sum() == 7
    assert survey.quality.no_comment == {"role_other": 748 - 7}


def _sm_instrument():
    question = ("On a scale of 1-5, how business-critical is your open source program to the "
                "success of your engineering or product teams? (1= extremely critical, 5 = not "
                "at all critical)")
    return {"name": "sm", "scale": {"min": 1, "max": 5},
            "bands": {"disagree": [1, 2], "neutral": [3, 3], "agree": [4, 5]},
            "groups": {"column": "size", "levels": ["small", "large", "unknown"],
                       "labels": COMPANY_SIZES},
            "dimensions": [{"id": "d", "title": "D", "items": [
                {"id": "critical", "text": question, "source": "cemlab"}]}]}


@needs_realdata
def test_cuts_and_comments_from_a_qualtrics_export(tmp_path):
    # SOURCE.md: 1 response; DistributionChannel "anonymous", Q2 (free text, "This is a free
    # text question.") "Hello World!"; RecipientEmail and IPAddress are not survey fields.
    path = REALDATA / "qualtrics-export" / "sample.csv"
    spec = json.loads(json.dumps(MINI))
    spec["dimensions"][0]["items"] = [{"id": "choice", "text": "This is a multiple choice "
                                       "question", "source": "cemlab"}]
    survey = load(path, write_instrument(tmp_path, spec), columns={"role": "UserLanguage"},
                  group_labels={"staff": ["DE"]}, min_group_size=1,
                  cuts={"channel": {"column": "DistributionChannel",
                                    "labels": {"web link": ["anonymous"]}}},
                  comments={"free": "This is a free text question."})  # by its question text
    assert survey.cuts["channel"].tolist() == ["web link"]
    assert survey.comments["free"].tolist() == ["Hello World!"]
    assert survey.quality.columns["comments.free"] == "Q2"
    every = pd.concat([survey.responses, survey.cuts, survey.comments], axis=1)
    assert not {"RecipientEmail", "IPAddress", "StartDate"} & set(every.columns)
    assert "130.92.34.66" not in every.astype(str).to_numpy()


@needs_realdata
def test_cuts_and_comments_from_spss_files(tmp_path):
    # SOURCE.md (R foreign): electric.sav VITAL10 0 ALIVE 179, 1 DEAD 61; testdata.sav
    # `string` blank in cases 3 and 4, factor_s_coded_miss m, f, '', m, u with u declared
    # user-missing and labels f female / m male / u unknown.
    spec = {"name": "electric", "scale": {"min": 1, "max": 7},
            "bands": {"disagree": [1, 3], "neutral": [4, 4], "agree": [5, 7]},
            "groups": {"column": "history", "levels": ["yes", "no"]},
            "dimensions": [{"id": "d", "title": "D", "items": [
                {"id": "DAYOFWK", "text": "Day of death", "source": "cemlab"}]}]}
    survey = load(REALDATA / "spss-sav" / "electric.sav", write_instrument(tmp_path, spec),
                  columns={"history": "FAMHXCVR", "respondent_id": "CASEID"},
                  cuts={"status": {"column": "VITAL10"}})  # read through its value labels
    assert survey.cuts["status"].value_counts().to_dict() == {"ALIVE": 179, "DEAD": 61}

    items = [("factor_numeric", "numeric factor with missing range")]
    spec = yaml.safe_load(write_instrument(tmp_path, MINI).read_text(encoding="utf-8"))
    spec["groups"] = {"column": "role", "levels": ["low", "high"]}
    spec["dimensions"][0]["items"] = [{"id": i, "text": t, "source": "cemlab"} for i, t in items]
    survey = load(REALDATA / "spss-sav" / "testdata.sav", write_instrument(tmp_path, spec),
                  columns={"role": "factor_n_undeclared"}, min_group_size=1,
                  group_labels={"low": ["strongly disagree", "2"], "high": ["3", "4"]},
                  cuts={"gender": {"column": "factor_s_coded_miss",
                                   "labels": {"women": ["female"], "men": ["male"]}}},
                  comments={"text": "string"})
    assert survey.cuts["gender"].tolist()[:2] == ["men", "women"]
    assert survey.cuts["gender"].isna().tolist() == [False, False, True, False, True]
    assert survey.quality.not_stated == {"gender": 2}  # '' and the user-missing 'u'
    assert survey.comments["text"].isna().tolist() == [False, False, True, True, False]
    assert survey.comments["text"].iloc[1].startswith("One morning, when Gregor Samsa")


def test_the_summary_makes_only_the_messages_it_shows(tmp_path, monkeypatch):
    # 3 x 2,000 "Don't know" answers: counted from the arrays, five examples rendered at most
    rows = [[f"r{i}", "staff" if i % 2 else "management", "Don't know", "nie wiem", 9]
            for i in range(2000)]
    survey = load(write_csv(tmp_path / "survey.csv", [HEADER, *rows]),
                  write_instrument(tmp_path), min_group_size=1)
    made = []
    issue = survey_module._IssueBlock.issue
    monkeypatch.setattr(survey_module._IssueBlock, "issue",
                        lambda self, i: made.append(i) or issue(self, i))
    summary = quality_summary(survey)
    assert "Answers set missing (6000):" in summary and "2000 x outside the 1-5 scale" in summary
    assert len(made) <= 10
    assert survey.quality.reason_counts("missing") == {
        "\"Don't know\" means no answer": 2000, "'nie wiem' means no answer": 2000,
        "outside the 1-5 scale": 2000}
    assert len(survey.quality.set_missing) == 6000  # and every one is still there, on demand
    frame = survey.quality.frame()
    assert frame.groupby("column")["row"].apply(list).to_dict() == {
        c: list(range(2, 2002)) for c in ("q1", "q2", "q3")}
