"""Property tests: files of every layout, written with random id styles, column orders, header
styles, encodings, delimiters, blank rows and notes, read with the exact respondent count.

The invariant checked for every file: each row below the header rows is a data row, a blank
row, a note or a summary row, exactly once (``rows_below_header``), and `header_summary`
names the header rows the layout consumed. The class of bug this guards against is the
SurveyMonkey misdetection, where a plain file's first respondent became a "sub-header".
"""

from __future__ import annotations

import json
import uuid

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyreadstat
from _io_fixtures import write_csv, write_instrument
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cemlab import DataError, load, read_table

SETTINGS = settings(max_examples=12, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

ROLES = ("staff", "management", "Zarząd", "Sprzedaż")


@st.composite
def respondents(draw):
    """(id, role, q1, q2, q3) rows: ids of one style, at least one score per row."""
    n = draw(st.integers(1, 25))
    style = draw(st.sampled_from(["number", "R001", "uuid", "email", "PL-0001", "blank"]))
    ids = {
        "number": [str(1000 + i) for i in range(n)],
        "R001": [f"R{i + 1:03d}" for i in range(n)],
        "uuid": [str(uuid.UUID(int=draw(st.integers(0, 2**128 - 1)))) for _ in range(n)],
        "email": [f"user{i}@example.com" for i in range(n)],
        "PL-0001": [f"PL-{i + 1:04d}" for i in range(n)],
        "blank": [""] * n,
    }[style]
    score = st.one_of(st.integers(1, 5).map(str), st.just(""))
    rows = []
    for i in range(n):
        scores = [draw(score) for _ in range(3)]
        if not any(scores):
            scores[0] = "3"
        rows.append([ids[i], draw(st.sampled_from(ROLES)), *scores])
    return rows


def _with_blank_rows(draw, rows, width):
    """Rows with blank rows put between them (never last: trailing blanks are no rows)."""
    out, blanks = [], 0
    for i, row in enumerate(rows):
        out.append(row)
        if i < len(rows) - 1 and draw(st.integers(0, 6)) == 0:
            out.append([""] * width)
            blanks += 1
    return out, blanks


def _ordered(draw, header, rows):
    order = draw(st.permutations(range(len(header))))
    return [header[i] for i in order], [[r[i] for i in order] for r in rows]


def _accounted(table):
    return (len(table.cells) + len(table.blank_rows) + len(table.note_rows)
            + len(table.summary_rows))


@SETTINGS
@given(data=st.data(), rows=respondents(),
       id_header=st.sampled_from(["respondent_id", "Respondent ID", "ID", "ResponseId"]),
       dates=st.booleans(), encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1250", "utf-16"]),
       delimiter=st.sampled_from([",", ";", "\t", "|"]), note=st.booleans(),
       as_xlsx=st.booleans())
def test_plain_tables_keep_every_respondent(tmp_path_factory, data, rows, id_header, dates,
                                            encoding, delimiter, note, as_xlsx):
    header = [id_header, "role", "q1", "q2", "q3"]
    if dates:  # SurveyMonkey-like metadata names in a plain table: still plain
        header += ["Start Date", "End Date"]
        rows = [r + ["2026-01-05", "2026-01-05"] for r in rows]
    header, rows = _ordered(data.draw, header, rows)
    body, blanks = _with_blank_rows(data.draw, rows, len(header))
    if note:
        body.append(["Source: Acme HR"] + [""] * (len(header) - 1))
    folder = tmp_path_factory.mktemp("plain")
    if as_xlsx:
        book = openpyxl.Workbook()
        for row in [header] + body:
            book.active.append([c if c != "" else None for c in row])
        path = folder / "plain.xlsx"
        book.save(path)
    else:
        path = write_csv(folder / "plain.csv", [header] + body, delimiter=delimiter,
                         encoding=encoding)
    table = read_table(path)
    assert table.layout == "plain"
    assert len(table.cells) == len(rows)
    assert len(table.blank_rows) == blanks and len(table.note_rows) == int(note)
    assert _accounted(table) == table.rows_below_header == len(body)
    assert table.header_summary() == "header rows: 1 (column names row 1)"
    assert table.cells.index[0] == 2 and table.cells.index[-1] == 1 + len(body) - int(note)
    if not as_xlsx:
        assert table.delimiter == delimiter


@SETTINGS
@given(rows=respondents(), delimiter=st.sampled_from([",", ";", "\t"]),
       blank_lines=st.integers(0, 3))
def test_qualtrics_exports_three_and_legacy_two_header_rows(tmp_path_factory, rows, delimiter,
                                                           blank_lines):
    folder = tmp_path_factory.mktemp("qualtrics")
    names = ["ResponseId", "Q1", "Q5_1", "Q5_2", "Q5_3"]
    texts = ["Response ID", "What is your role?", "Q5 - Leaders decide", "Q5 - Executives",
             "Q5 - Rewards"]
    imports = [json.dumps({"ImportId": n}) for n in ["_recordId", "QID1", "QID5_1", "QID5_2",
                                                     "QID5_3"]]
    path = write_csv(folder / "q.csv", [names, texts, imports] + rows, delimiter=delimiter)
    path.write_bytes(path.read_bytes() + b"\r\n" * blank_lines)  # trailing blanks: no rows
    table = read_table(path)
    assert (table.layout, len(table.cells), table.rows_below_header) == (
        "qualtrics", len(rows), len(rows))
    assert table.header_summary() == ("header rows: 3 (column names row 1; Qualtrics "
                                      "question-text row 2; Qualtrics ImportId row 3)")
    assert table.cells.index[0] == 4

    legacy = [["V1", "V2", "Q1", "Q2", "Q3"],
              ["ResponseID", "ResponseSet", "Leaders decide", "Executives", "Rewards"]]
    path = write_csv(folder / "legacy.csv", legacy + rows, delimiter=delimiter)
    table = read_table(path)
    assert (table.layout, len(table.cells)) == ("qualtrics-legacy", len(rows))
    assert table.header_summary() == (
        "header rows: 2 (column names row 1; Qualtrics legacy question-text row 2)")


@SETTINGS
@given(rows=respondents(), title=st.booleans(), as_xlsx=st.booleans())
def test_surveymonkey_exports_two_header_rows(tmp_path_factory, rows, title, as_xlsx):
    folder = tmp_path_factory.mktemp("sm")
    header = ["Respondent ID", "Collector ID", "Start Date", "End Date", "What is your role?",
              "Leaders decide", "Executives", "Rewards"]
    sub = ["", "", "", "", "Response", "Response", "Response", "Open-Ended Response"]
    body = [[r[0] or "11400", "2201", "01/05/2026", "01/05/2026", *r[1:]] for r in rows]
    records = ([["Acme survey export"]] if title else []) + [header, sub] + body
    if as_xlsx:
        book = openpyxl.Workbook()
        for row in records:
            book.active.append([c if c != "" else None for c in row])
        path = folder / "sm.xlsx"
        book.save(path)
    else:
        path = write_csv(folder / "sm.csv", records)
    table = read_table(path)
    assert (table.layout, len(table.cells), table.rows_below_header) == (
        "surveymonkey", len(rows), len(rows))
    first = 2 if title else 1
    expected = f"column names row {first}; SurveyMonkey sub-header row {first + 1}"
    if title:
        expected = "1 title row(s) above, skipped; " + expected
    assert table.header_summary() == f"header rows: 2 ({expected})"
    assert table.cells.index[0] == first + 2


@SETTINGS
@given(rows=respondents(), parquet=st.booleans())
def test_spss_and_parquet_files_keep_every_case(tmp_path_factory, rows, parquet):
    folder = tmp_path_factory.mktemp("binary")
    frame = pd.DataFrame(rows, columns=["respondent_id", "role", "q1", "q2", "q3"])
    for q in ("q1", "q2", "q3"):
        frame[q] = pd.to_numeric(frame[q].replace("", None))
    if parquet:
        path = folder / "f.parquet"
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
        summary = "header rows: none (Parquet column names)"
    else:
        path = folder / "f.sav"
        pyreadstat.write_sav(frame, str(path))
        summary = "header rows: none (SPSS variable names and labels)"
    table = read_table(path)
    assert len(table.cells) == table.rows_below_header == len(rows)
    assert table.header_summary() == summary and table.cells.index[0] == 1
    assert table.cells["q1"].isna().sum() == frame["q1"].isna().sum()


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data(), rows=respondents(), delimiter=st.sampled_from([",", ";"]))
def test_load_accounts_for_every_respondent(tmp_path_factory, data, rows, delimiter):
    # through `load` with a small instrument: every respondent analysed or listed as excluded
    folder = tmp_path_factory.mktemp("load")
    header, rows = _ordered(data.draw, ["respondent_id", "role", "q1", "q2", "q3"], rows)
    path = write_csv(folder / "s.csv", [header] + rows, delimiter=delimiter)
    instrument = write_instrument(folder)
    try:
        survey = load(path, instrument, min_group_size=1,
                      group_labels={"management": ["Zarząd"], "staff": ["Sprzedaż"]})
    except DataError as err:  # blank ids everywhere: each excluded, and the count says so
        assert f"no respondent left: all {len(rows)} rows were excluded" in str(err)
        return
    excluded = {issue.row for issue in survey.quality.excluded}
    assert survey.n + len(excluded) == len(rows)
