"""The result-table convention: suppression, display, export."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from cemlab.results import ResultTable, result_table, suppress, write_tables


def _table() -> pd.DataFrame:
    # hand-made: two groups, the second below the threshold of 5
    return pd.DataFrame(
        {"item": ["a", "a"], "group": ["management", "staff"], "n": [12, 3],
         "pct_agree": [58.3, 66.7], "mean": [6.2, 7.0]}
    )


def test_suppress_blanks_values_below_min_group_size_and_says_why():
    out = suppress(_table(), min_group_size=5)
    assert out.loc[0, "pct_agree"] == 58.3 and not out.loc[0, "suppressed"]
    assert np.isnan(out.loc[1, "pct_agree"]) and np.isnan(out.loc[1, "mean"])
    assert out.loc[1, "suppressed"] and out.loc[1, "suppressed_reason"] == "n = 3 < 5"
    assert out.loc[1, "n"] == 3  # the base itself stays: it is the reason


def test_suppress_with_several_bases_and_existing_flags():
    frame = pd.DataFrame({"n_management": [10, 4], "n_staff": [2, 9], "gap": [5.0, 3.0]})
    out = suppress(frame, n_column=["n_management", "n_staff"], min_group_size=5)
    assert out["gap"].isna().all()
    assert out.loc[0, "suppressed_reason"] == "n_staff = 2 < 5"
    assert out.loc[1, "suppressed_reason"] == "n_management = 4 < 5"
    again = suppress(out.assign(gap=[1.0, np.nan]), n_column="n_staff", min_group_size=5)
    assert again.loc[0, "suppressed"] and again.loc[1, "suppressed"]
    assert again.loc[0, "suppressed_reason"] == "n_staff = 2 < 5"


def test_suppress_rejects_a_threshold_below_one():
    with pytest.raises(ValueError, match="at least 1"):
        suppress(_table(), min_group_size=0)


def test_result_table_stays_a_dataframe_and_marks_suppressed_cells():
    table = result_table(suppress(_table(), min_group_size=5), title="Agreement <by> group")
    assert isinstance(table, pd.DataFrame) and isinstance(table, ResultTable)
    assert isinstance(table[["item", "n"]], ResultTable)
    html = table._repr_html_()
    assert "58.3" in html and "66.7" not in html
    assert "suppressed" in html and "Agreement &lt;by&gt; group" in html
    assert "text-align: left" in html  # the statement text is left-aligned


def test_write_tables_writes_csv_and_one_workbook(tmp_path):
    written = write_tables({"agreement": result_table(_table())}, tmp_path)
    assert [p.name for p in written] == ["agreement.csv", "tables.xlsx"]
    back = pd.read_csv(tmp_path / "agreement.csv")
    assert back["pct_agree"].tolist() == [58.3, 66.7]
    sheet = pd.read_excel(tmp_path / "tables.xlsx", sheet_name="agreement")
    assert sheet["n"].tolist() == [12, 3]


def test_a_row_with_only_its_group_figures_hidden_marks_only_those():
    # the scorecard of a survey with 4 managers: overall mean shown, group means hidden, and no
    # benchmark figure published for the statement (blank, but not suppressed)
    card = ResultTable(pd.DataFrame({
        "item": ["q"], "n": [104], "mean": [6.1], "benchmark_mean": [np.nan],
        "n_management": [4], "n_staff": [100], "mean_management": [np.nan],
        "mean_staff": [np.nan], "gap_mean": [np.nan], "suppressed": [False],
        "groups_suppressed": [True], "suppressed_reason": ["n_management = 4 < 5"],
    }))
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", card.style_table().to_html())
    assert cells[:8] == ["q", "104", "6.10", "–", "4", "100", "suppressed", "suppressed"]
    assert cells[8] == "suppressed"  # gap_mean compares the hidden groups
