"""The readers: each way a row or an answer used to vanish (reported "the data can be
analysed") is now a correct read or a loud, located error; Parquet input; exact row counts.

Every file is written here; each test failed on the reader before the column-wise rewrite
(openpyxl read-only, csv module, SurveyMonkey told by one column name).
"""

from __future__ import annotations

import re
import zipfile

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from _io_fixtures import sha256, write_csv, write_instrument

from cemlab import DataError, load, read_table
from cemlab.io import RawTable


def accounted(table: RawTable) -> int:
    """Rows below the header that the table accounts for (malformed rows are in ``cells``)."""
    return (len(table.cells) + len(table.blank_rows) + len(table.note_rows)
            + len(table.summary_rows))


def _mini_rows(ids, header=("respondent_id", "role", "q1", "q2", "q3")):
    return [list(header)] + [[i, "staff" if n % 2 else "management", 1 + n % 5, 3, 4]
                             for n, i in enumerate(ids)]


# -- SurveyMonkey is told by its signature, not by a "respondent id" column ------------------


@pytest.mark.parametrize("ids", [
    [f"R{n:03d}" for n in range(1, 13)],
    [f"PL-{n:04d}" for n in range(1, 13)],
    [f"person{n}@example.com" for n in range(1, 13)],
])
def test_a_plain_table_with_text_respondent_ids_keeps_its_first_respondent(tmp_path, ids):
    # the old reader took row 2 for a SurveyMonkey sub-header: 11 respondents of 12
    path = write_csv(tmp_path / "plain.csv", _mini_rows(ids))
    table = read_table(path)
    assert (table.layout, table.first_data_row, len(table.cells)) == ("plain", 2, 12)
    assert table.header_summary() == "header rows: 1 (column names row 1)"
    survey = load(path, write_instrument(tmp_path), min_group_size=1)
    assert survey.n == 12 and survey.responses.index[0] == ids[0]


def test_a_surveymonkey_export_is_still_told_by_its_metadata_and_sub_headers(tmp_path):
    rows = [["Respondent ID", "Collector ID", "Start Date", "End Date", "What is your role?",
             "Leaders make decisions that fit our strategy"],
            ["", "", "", "", "Response", "Response"],
            ["114", "2201", "01/05/2026", "01/05/2026", "staff", "4"],
            ["115", "2201", "01/05/2026", "01/05/2026", "management", "2"]]
    table = read_table(write_csv(tmp_path / "sm.csv", rows))
    assert (table.layout, len(table.cells), table.rows_below_header) == ("surveymonkey", 2, 2)
    assert table.header_summary() == (
        "header rows: 2 (column names row 1; SurveyMonkey sub-header row 2)")
    # the same columns with a respondent in row 2 (sub-headers deleted) are a plain table
    table = read_table(write_csv(tmp_path / "sm2.csv", [rows[0]] + rows[2:]))
    assert (table.layout, len(table.cells)) == ("plain", 2)


# -- Excel -----------------------------------------------------------------------------------


def _workbook(tmp_path, name="survey.xlsx", rows=40, formulas=False):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Data"
    sheet.append(["respondent_id", "role", "q1", "q2", "q3"])
    for n in range(rows):
        q3 = f"=C{n + 2}+1" if formulas else 3
        sheet.append([f"R{n:03d}", "staff" if n % 2 else "management", 1 + n % 4, 2, q3])
    path = tmp_path / name
    book.save(path)
    return path


def _rewrite_sheet(path, edit, target=None):
    """Copy a workbook with its first sheet's XML edited, as other programs write them."""
    target = target or path.with_name("edited-" + path.name)
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(target, "w") as out:
        for member in source.namelist():
            data = source.read(member)
            if member == "xl/worksheets/sheet1.xml":
                data = edit(data.decode()).encode()
            out.writestr(member, data)
    return target


def test_xlsx_whose_stored_dimension_is_smaller_than_its_data_reads_every_row(tmp_path):
    # openpyxl's read-only mode trusts <dimension>: 30 of 40 respondents were dropped
    path = _rewrite_sheet(_workbook(tmp_path), lambda xml: re.sub(
        r'<dimension ref="[^"]+"\s*/>', '<dimension ref="A1:E10"/>', xml))
    table = read_table(path)
    assert len(table.cells) == 40 and table.cells.index[-1] == 41
    assert load(path, write_instrument(tmp_path), min_group_size=1).n == 40


def test_xlsx_claiming_the_whole_sheet_reads_only_the_used_range(tmp_path):
    path = _rewrite_sheet(_workbook(tmp_path), lambda xml: re.sub(
        r'<dimension ref="[^"]+"\s*/>', '<dimension ref="A1:XFD1048576"/>', xml))
    table = read_table(path)
    assert table.cells.shape == (40, 5) and len(table.columns) == 5


def test_formulas_without_saved_results_are_refused_with_their_cells(tmp_path):
    # openpyxl writes formulas without a cached value: read as blank answers before
    path = _workbook(tmp_path, rows=12, formulas=True)
    with pytest.raises(DataError) as err:
        read_table(path)
    message = str(err.value)
    for part in ("survey.xlsx", "12 formula cell(s) on sheet 'Data' have no saved result",
                 "E2, E3", "and 2 more", "would read as blank answers",
                 "Fix: open the workbook in Excel"):
        assert part in message, part


def test_formulas_with_saved_results_read_their_values(tmp_path):
    def cache(xml):  # what Excel writes: the formula and its last result
        # openpyxl writes the empty result <v/>, or <v></v> when lxml is installed
        return re.sub(r'<c r="E(\d+)"><f>C\1\+1</f>(?:<v\s*/>|<v>\s*</v>)',
                      lambda m: f'<c r="E{m.group(1)}"><f>C{m.group(1)}+1</f><v>9</v>', xml)

    path = _rewrite_sheet(_workbook(tmp_path, rows=5, formulas=True), cache)
    table = read_table(path)
    assert table.cells["q3"].tolist() == [9] * 5


def test_a_csv_named_file_that_is_an_xlsx_is_read_as_a_workbook(tmp_path):
    path = _workbook(tmp_path, rows=6)
    renamed = path.rename(tmp_path / "export.csv")
    table = read_table(renamed)
    assert (table.format, len(table.cells)) == ("xlsx", 6)


def test_a_cover_sheet_first_names_the_sheets_that_look_like_data(tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "Cover"
    for line in ("Acme employee survey 2026", "Prepared by the HR team", "Confidential"):
        book.active.append([line])
    book.create_sheet("Instructions").append(["Read me first"])
    data = book.create_sheet("Responses")
    for row in _mini_rows(["R1", "R2", "R3"]):
        data.append(row)
    path = tmp_path / "book.xlsx"
    book.save(path)
    with pytest.raises(DataError) as err:
        read_table(path)
    message = str(err.value)
    for part in ("book.xlsx", "no sheet was chosen and the first sheet does not hold the "
                 "responses", "3 sheets: 'Cover', 'Instructions', 'Responses' (looks like "
                 "data: 4 rows x 5 columns)", "Fix: set sheet: 'Responses' in the params file"):
        assert part in message, part
    assert len(read_table(path, sheet="Responses").cells) == 3


def test_a_total_and_a_mean_row_below_the_data_are_not_respondents(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    for row in _mini_rows(["R1", "R2", "R3"]):
        sheet.append(row)
    sheet.append(["Total", None, 6, 9, 12])
    sheet.append([None, "Mean", 2, 3, 4])
    sheet.append(["Source: Acme HR"])
    path = tmp_path / "with-totals.xlsx"
    book.save(path)
    table = read_table(path)
    assert table.cells.index.tolist() == [2, 3, 4]
    assert table.summary_rows == {5: "a Total row in column 'respondent_id'",
                                  6: "a Mean row in column 'role'"}
    assert table.note_rows == {7: ("respondent_id", "Source: Acme HR")}
    assert accounted(table) == table.rows_below_header == 6
    assert "2 summary row(s) (Total, Mean ...) below the data left out: row 5, 6" in (
        table.describe())
    # load lists both as notes, and the rows still add up: 3 analysed + 3 notes = 6
    survey = load(path, write_instrument(tmp_path), min_group_size=1)
    assert survey.n == 3
    assert survey.quality.accounting() == (
        "Rows below the header: 6 = analysed 3 + excluded 0 + notes/blank 3")
    notes = [i for i in survey.quality.issues if i.reason == "summary row below the data"]
    assert [i.row for i in notes] == [5, 6]
    # a respondent whose id is "Total" among others is not a summary row: it is not at the end
    path = write_csv(tmp_path / "t.csv", _mini_rows(["Total", "R2"]))
    assert read_table(path).summary_rows == {}


# -- CSV: quotes, bytes, ragged rows -----------------------------------------------------------


def test_an_unclosed_quote_swallowing_respondents_is_refused(tmp_path):
    lines = ["respondent_id,role,q1,q2,q3,comment"]
    lines += [f"R{n:03d},staff,1,2,3,fine" for n in range(1, 6)]
    lines.append('R006,staff,1,2,3,"great, but')  # the quote closes 35 rows later
    lines += [f"R{n:03d},staff,1,2,3,ok" for n in range(7, 42)]
    lines.append('R042,staff,1,2,3,"quoted"')  # ... so R007 to R042 vanish in one cell
    path = tmp_path / "quote.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_table(path)
    message = str(err.value)
    for part in ("quote.csv, row 7, column 'comment'", "not closed until 36 lines later",
                 "36 line(s) that look like rows", "'R007,staff,1,2,3,ok'",
                 'Fix: remove the stray "'):
        assert part in message, part


def test_a_quote_never_closed_names_its_row(tmp_path):
    path = tmp_path / "eof.csv"
    path.write_text('role,q1,q2,q3\nstaff,1,2,3\nstaff,"1,2,3\nstaff,4,4,4\n', encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_table(path)
    assert "eof.csv, row 3: a quote (\") opened in this row is never closed" in str(err.value)


def test_a_utf8_file_with_one_stray_byte_is_refused_at_that_cell(tmp_path):
    # the old reader decoded the whole file as Windows-1252: "Zarząd" became "ZarzÄ…d" and
    # every manager an unknown group, excluded
    rows = [["respondent_id", "role", "q1", "q2", "q3", "comment"]]
    rows += [[f"R{n}", "Zarząd" if n % 2 else "Pracownik", 4, 4, 4, ""] for n in range(1, 30)]
    rows[28][-1] = "café"  # row 29's comment, typed in a Windows program: é as one byte
    path = write_csv(tmp_path / "stray.csv", rows)
    path.write_bytes(path.read_bytes().replace("café".encode(), b"caf\xe9"))
    with pytest.raises(DataError) as err:
        read_table(path)
    message = str(err.value)
    for part in ("stray.csv", "UTF-8 text except for 1 byte(s)", "row 29, column 'comment': "
                 "'caf\ufffd'", "Fix: retype those characters"):
        assert part in message, part


def test_a_windows_1250_file_is_still_read_as_windows_1250(tmp_path):
    path = write_csv(tmp_path / "pl.csv", [["rola", "q1"], ["Zarząd", 1], ["Sprzedaż", 2]],
                     delimiter=";", encoding="cp1250")
    table = read_table(path)
    assert table.encoding == "Windows-1250"
    assert table.cells["rola"].tolist() == ["Zarząd", "Sprzedaż"]


def test_ragged_blank_and_wide_rows_are_each_accounted_for(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text(
        "id,role,q1,q2\n"
        "1,staff,1,2\n"
        "2,staff\n"            # short: padded with blanks
        "\n"                   # blank
        ",,,\n"                # blank too
        "3,staff,1,2,3,4\n"    # wide: malformed, truncated, listed
        "4, staff ,\u00a03 ,2\n"  # spaces and a non-breaking space stripped
        "Source: Acme\n"       # note
        "\n\n",                # trailing blank lines are not rows
        encoding="utf-8",
    )
    table = read_table(path)
    assert table.cells.index.tolist() == [2, 3, 6, 7]
    assert table.blank_rows == [4, 5]
    assert list(table.malformed_rows) == [6]
    assert table.malformed_rows[6].startswith("6 cells but the header has 4 columns")
    assert table.note_rows == {8: ("id", "Source: Acme")}
    assert table.cells.loc[7].tolist() == ["4", "staff", "3", "2"]
    assert table.cells.loc[3, "q1"] is None or pd.isna(table.cells.loc[3, "q1"])
    assert accounted(table) == table.rows_below_header == 7


def test_na_texts_stay_answers_for_load_to_judge(tmp_path):
    # pyarrow's default null values would make "NA" and "N/A" blank cells: a group "NA"
    # (North America) must survive, "N/A" be counted as a no-answer by `load`
    path = write_csv(tmp_path / "na.csv", [["region", "q1"], ["NA", "N/A"], ["EU", "null"]])
    assert read_table(path).cells.to_numpy().tolist() == [["NA", "N/A"], ["EU", "null"]]


# -- Parquet ---------------------------------------------------------------------------------


def test_parquet_written_by_pyarrow_and_by_pandas(tmp_path):
    table = pa.table({
        "respondent_id": pa.array(["R1", "R2", "R3", "R4"]),
        "role": pa.array(["staff", " management ", "staff", None]).dictionary_encode(),
        "q1": pa.array([1, 2, None, 5], pa.int64()),
        "q2": pa.array([3.0, 4.0, 5.0, 1.0]),
        "q3": pa.array(["4", "", "3", "2"]),
    })
    path = tmp_path / "feedback.parquet"
    pq.write_table(table, path)
    before = sha256(path)
    raw = read_table(path)
    assert (raw.format, raw.first_data_row, raw.rows_below_header) == ("parquet", 1, 4)
    assert raw.header_summary() == "header rows: none (Parquet column names)"
    assert raw.cells["role"].tolist()[:3] == ["staff", "management", "staff"]
    assert pd.isna(raw.cells.loc[4, "role"]) and pd.isna(raw.cells.loc[2, "q3"])
    assert raw.cells["q1"].tolist()[:2] == [1, 2]
    survey = load(path, write_instrument(tmp_path), min_group_size=1)
    assert survey.n == 3  # row 4 has no group: excluded and listed
    assert survey.responses.loc["R2", "q1"] == 2
    assert sha256(path) == before

    frame = pd.DataFrame({"role": ["staff", "management"], "q1": [1, 5], "q2": [2, 2],
                          "q3": [3, 3]})
    frame.to_parquet(tmp_path / "pandas.parquet")
    assert load(tmp_path / "pandas.parquet", write_instrument(tmp_path),
                min_group_size=1).n == 2


def test_parquet_with_a_nested_column_is_refused(tmp_path):
    path = tmp_path / "nested.parquet"
    pq.write_table(pa.table({"role": ["staff"], "q": [[1, 2]]}), path)
    with pytest.raises(DataError) as err:
        read_table(path)
    assert "column 'q': this column holds list<element: int64> values" in str(err.value)
