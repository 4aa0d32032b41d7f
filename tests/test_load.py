"""`load`'s guarantees: every row below the header accounted for, answers never misread,
cuts and comments carried, and nothing unmapped reaching a Survey.

Row counts are computed here from the rows written, independently of the reader.
"""

from __future__ import annotations

import importlib
import string

import pytest
from _io_fixtures import write_csv, write_instrument
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cemlab import DataError, load
from cemlab.io import RawColumn
from cemlab.io.answers import _read_answer

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
