"""Matching a client's columns to the instrument: decorated statement headers, and safety.

Issue 9 §3: a header carrying a question number or a scale hint matches its statement without
a mapping; a short statement never matches inside a longer one; two columns for one field are
an error, never a silent pick; when nothing matches, the error lists the closest headers.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from _io_fixtures import MINI, write_csv, write_instrument
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cemlab import DataError, load, load_instrument
from cemlab.instrument import Instrument
from cemlab.io import normalize_text
from cemlab.io.matching import match_columns
from cemlab.io.table import RawColumn, RawTable
from cemlab.io.text import column_letter

CEM = load_instrument("cem-maturity")

#: Header styles survey tools and clients use for a numbered statement ({n}: its number).
NUMBERINGS = ["{n}. ", "{n}) ", "Q{n}. ", "Q{n}: ", "Q{n} - ", "P{n}. ", "q{n}.", "Q{n}_1. ",
              "{n}.", ""]
#: Scale reminders after the statement.
HINTS = ["", " (1-10)", " (1–10)", " [1 = strongly disagree … 10 = strongly agree]",
         " (1 = Strongly disagree, 10 = Strongly agree)", " (scale 0 to 10)"]
APOSTROPHES = ["'", "’", "ʼ", "´", "`"]


def decorate(statement: str, n: int, numbering: str, hint: str, apostrophe: str) -> str:
    number = numbering.format(n=n)
    if number and not number.endswith(" ") and statement[:1].isdigit():
        number += " "  # "1.10 ..." is a number of its own, not question 1 then "10 ..."
    return number + statement.replace("'", apostrophe) + hint


def _table(headers: list[str]) -> RawTable:
    """An in-memory plain table with these headers (matching only reads the headers)."""
    columns = [RawColumn(name=h, letter=column_letter(i), texts=[h]) for i, h in enumerate(headers)]
    cells = pd.DataFrame([["staff"] * len(headers)], columns=headers, index=[2], dtype=object)
    return RawTable(Path("client.csv"), "csv", "plain", columns, cells, [headers])


def _instrument_of(statements: list[str]) -> Instrument:
    spec = json.loads(json.dumps(MINI))
    spec["dimensions"][0]["items"] = [
        {"id": f"s{i}", "text": text, "source": "cemlab"} for i, text in enumerate(statements)]
    return Instrument.model_validate(spec)


#: cem-maturity's statements plus the hard cases: statements that start with a number, and
#: short statements that sit inside longer ones ("customers first" in kpi_reward's).
HARD = [item.text for item in CEM.items] + [
    "3 things matter most to our customers",
    "24/7 support is there when customers need it",
    "1.5 million customers trust us",
    "Customers first",
    "Customer experience strategy",
    "We measure the customer experience",
]


# -- real-looking files ----------------------------------------------------------------------


def _answers(n_people: int = 6) -> list[list[object]]:
    rng = random.Random(9)
    return [[f"R{p}", "Manager" if p % 3 == 0 else "Employee",
             *[rng.randint(1, 10) for _ in CEM.items]] for p in range(n_people)]


@pytest.mark.parametrize("numbering, hint, apostrophe", [
    ("{n}. ", "", "'"), ("{n}) ", "", "’"), ("Q{n}. ", "", "'"), ("Q{n}: ", "", "’"),
    ("Q{n} - ", "", "ʼ"), ("P{n}. ", "", "´"), ("", " (1-10)", "’"),
    ("", " [1 = strongly disagree … 10 = strongly agree]", "'"), ("Q{n}. ", " (1–10)", "’"),
])
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_decorated_statement_headers_match_without_a_mapping(
    tmp_path, numbering, hint, apostrophe, file_format
):
    statements = [decorate(item.text, n, numbering, hint, apostrophe)
                  for n, item in enumerate(CEM.items, start=1)]
    rows = [["ID", "Role", *statements], *_answers()]
    if file_format == "csv":
        path = write_csv(tmp_path / "client.csv", rows, delimiter=";")
    else:
        book = openpyxl.Workbook()
        for row in rows:
            book.active.append(row)
        path = tmp_path / "client.xlsx"
        book.save(path)
    survey = load(path, "cem-maturity", min_group_size=1)
    assert survey.quality.columns == {
        "respondent_id": "ID", "role": "Role",
        **{item.id: header for item, header in zip(CEM.items, statements)}}
    expected = pd.DataFrame([row[2:] for row in rows[1:]], columns=CEM.item_ids, dtype=float)
    assert (survey.items.to_numpy() == expected.to_numpy()).all()
    assert survey.responses["role"].value_counts().to_dict() == {"staff": 4, "management": 2}


def test_the_2008_questionnaire_numbered_as_printed(tmp_path):
    # the study's questionnaire printed numbered statements with the scale after each; a
    # client who keeps that wording in the export needs no mapping
    rows = [["Role", *[f"{n}. {item.text} (1 = strongly disagree, 10 = strongly agree)"
                       for n, item in enumerate(CEM.items, start=1)]],
            ["Management", *range(1, 11), *range(1, 11), 5]]
    survey = load(write_csv(tmp_path / "printed.csv", rows), min_group_size=1)
    assert survey.items.iloc[0].tolist() == [*range(1, 11), *range(1, 11), 5]


# -- safety ----------------------------------------------------------------------------------


def test_a_short_statement_never_matches_inside_a_longer_header(tmp_path):
    instrument = _instrument_of(["Customers first",
                                 "Our leaders reward employees who put customers first"])
    long_only = _table(["role", "Q1 - Our leaders reward employees who put customers first"])
    plan = match_columns(long_only, instrument)
    assert plan.fields["s1"] == "Q1 - Our leaders reward employees who put customers first"
    assert plan.missing == ["s0"]  # not given the longer statement's column
    with pytest.raises(DataError, match=r"1 question\(s\) of instrument 'mini' not found: s0 "):
        load(write_csv(tmp_path / "c.csv",
                       [["role", "Q1 - Our leaders reward employees who put customers first"],
                        ["staff", 4]]), instrument)


def test_two_columns_carrying_one_statement_is_an_error(tmp_path):
    instrument = write_instrument(tmp_path)
    rows = [["role", "1. Leaders make decisions that fit our strategy",
             "Leaders make decisions that fit our strategy (1-5)", "q2", "q3"],
            ["staff", 1, 2, 3, 4]]
    with pytest.raises(DataError) as err:
        load(write_csv(tmp_path / "s.csv", rows), instrument)
    assert str(err.value) == (
        f"{tmp_path / 's.csv'}: item q1 ('Leaders make decisions that fit our strategy') matches "
        "2 columns: '1. Leaders make decisions that fit our strategy', 'Leaders make decisions "
        "that fit our strategy (1-5)'. Fix: say which one in the params file: columns: {q1: "
        "<column name>}"
    )


def test_a_statement_that_starts_with_a_number_keeps_it():
    instrument = _instrument_of(["3 things matter most to our customers",
                                 "Things matter most to our customers"])
    plan = match_columns(_table(["role", "Things matter most to our customers",
                                 "3 things matter most to our customers"]), instrument)
    assert (plan.fields["s0"], plan.fields["s1"]) == (
        "3 things matter most to our customers", "Things matter most to our customers")
    numbered = match_columns(_table(["role", "Q7. 3 things matter most to our customers",
                                     "Q8. Things matter most to our customers"]), instrument)
    assert (numbered.fields["s0"], numbered.fields["s1"]) == (
        "Q7. 3 things matter most to our customers", "Q8. Things matter most to our customers")
    # "1.5 million" is a number, not question 1: no column for "5 million customers trust us"
    plan = match_columns(_table(["role", "1.5 million customers trust us"]),
                         _instrument_of(["5 million customers trust us"]))
    assert plan.missing == ["s0"]


@pytest.mark.parametrize("names", [("Role", "role"), ("role", "ROLE"), ("RoLe", "role")])
def test_two_columns_named_like_the_group_column_are_an_error(tmp_path, names):
    # the wrong one used would invert the groups: never a silent pick
    path = write_csv(tmp_path / "s.csv", [[names[0], "q1", "q2", "q3", names[1]],
                                          ["staff", 1, 2, 3, "management"]])
    with pytest.raises(DataError) as err:
        load(path, write_instrument(tmp_path))
    assert str(err.value) == (
        f"{path}: 2 columns could be the role column: {names[0]!r}, {names[1]!r}; cemlab does "
        f"not guess which. Fix: name the right one in the params file: columns: {{role: "
        f"{names[0]}}}"
    )
    survey = load(path, write_instrument(tmp_path), columns={"role": names[1]},
                  min_group_size=1)
    assert survey.responses["role"].tolist() == ["management"]


def test_two_columns_named_like_an_extra_field_are_an_error(tmp_path):
    path = write_csv(tmp_path / "s.csv", [["role", "q1", "q2", "q3", "Wave", "wave"],
                                          ["staff", 1, 2, 3, "2025", "2026"]])
    with pytest.raises(DataError, match="2 columns could be the wave column: 'Wave', 'wave'"):
        load(path, write_instrument(tmp_path))


def test_when_nothing_matches_each_statement_gets_its_closest_headers(tmp_path):
    rows = [["Role", "Leaders make decisons consistent with our CX strategy", "Comments"],
            ["staff", 5, "ok"]]
    with pytest.raises(DataError) as err:
        load(write_csv(tmp_path / "s.csv", rows))
    message = str(err.value)
    assert "none of the 21 questions of instrument 'cem-maturity' was found among the 3 " \
        "columns: lead_decisions ('Leaders make decisions that are consistent with our custo...'" \
        "); closest columns: 'Leaders make decisons consistent with our CX strategy'" in message
    assert message.count("closest columns:") == 21
    assert "does not look like" not in message
    assert "`cemlab instruments show cem-maturity` lists the statements" in message


# -- the property ----------------------------------------------------------------------------


decorations = st.tuples(st.integers(1, 99), st.sampled_from(NUMBERINGS),
                        st.sampled_from(HINTS), st.sampled_from(APOSTROPHES))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_decorated_statement_matches_its_own_column_and_no_other(data):
    statements = HARD
    instrument = _instrument_of(statements)
    headers = {f"s{i}": decorate(text, *data.draw(decorations))
               for i, text in enumerate(statements)}
    assume(len({normalize_text(h) for h in headers.values()}) == len(headers))
    order = data.draw(st.permutations(list(headers)))
    columns = ["Role", "StartDate", *[headers[item_id] for item_id in order], "Comments"]
    plan = match_columns(_table(columns), instrument)
    assert (plan.missing, plan.ambiguous) == ([], {})
    assert {item_id: plan.fields[item_id] for item_id in headers} == headers
    # and no other: with its own column gone, a statement is missing, not matched elsewhere
    gone = data.draw(st.sampled_from(order))
    plan = match_columns(_table([c for c in columns if c != headers[gone]]), instrument)
    assert plan.missing == [gone] and plan.ambiguous == {}


words = st.sampled_from(["we", "our", "customers", "leaders", "first", "service", "trust",
                         "3", "24/7", "value", "it's", "promise", "team", "10"])


@settings(max_examples=80, deadline=None)
@given(statements=st.lists(st.lists(words, min_size=1, max_size=7).map(" ".join),
                           min_size=2, max_size=6),
       data=st.data())
def test_random_statements_match_their_own_decorated_column(statements, data):
    norms = [normalize_text(s) for s in statements]
    assume(len(set(norms)) == len(norms))
    # a header "1. x" is ambiguous when another statement is "1 x": both readings are fair
    assume(not any(b.endswith(" " + a) and b.split(" ", 1)[0].isdigit()
                   for a in norms for b in norms if a != b))
    instrument = _instrument_of(statements)
    headers = {f"s{i}": decorate(text, *data.draw(decorations))
               for i, text in enumerate(statements)}
    assume(len({normalize_text(h) for h in headers.values()}) == len(headers))
    plan = match_columns(_table(["role", *headers.values()]), instrument)
    assert {item_id: plan.fields.get(item_id) for item_id in headers} == headers
