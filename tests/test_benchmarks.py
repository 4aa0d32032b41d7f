"""The shipped benchmark tables load tidy, and a malformed one gets a clear error."""

from __future__ import annotations

import pytest

from cemlab import load_instrument
from cemlab.benchmarks import COLUMNS, list_benchmarks, load_benchmark
from cemlab.exceptions import DataError


def test_polska_2008_is_shipped_and_tidy():
    assert "polska-2008" in list_benchmarks()
    bench = load_benchmark()
    assert list(bench.columns) == COLUMNS
    assert len(bench) == 17
    assert bench.value.dtype == float and bench.tolerance.dtype == float
    # F1 as the table states it: management 63%, non-management 41%
    f1 = bench[bench.figure == "F1"].set_index("group")
    assert f1.loc["management", "value"] == 63 and f1.loc["staff", "value"] == 41
    assert (f1.statistic == "pct_agree").all()
    assert bench.quote.str.len().gt(20).all()


def test_every_item_is_a_cem_maturity_item():
    ids = set(load_instrument("cem-maturity").item_ids)
    bench = load_benchmark("polska-2008")
    assert set(bench["item"]) <= ids
    assert set(bench.other_item.dropna()) <= ids
    assert set(bench.group) <= {"management", "staff", "all"}


def test_loads_from_a_path(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text(",".join(COLUMNS) + "\nX1,kpi_reward,,all,pct_agree,eq,50,1,Half agree\n")
    bench = load_benchmark(path)
    assert bench.loc[0, "value"] == 50.0 and bench.other_item.isna().all()


def test_unknown_name_lists_the_built_in_ones():
    with pytest.raises(DataError, match="polska-2008"):
        load_benchmark("no-such-study")


def test_bad_statistic_names_row_and_column(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(",".join(COLUMNS) + "\nX1,kpi_reward,,all,pct_agre,eq,50,1,Typo\n")
    with pytest.raises(DataError, match=r"row 2, column 'statistic': unknown value 'pct_agre'"):
        load_benchmark(path)


def test_missing_value_for_an_equality_is_an_error(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(",".join(COLUMNS) + "\nX1,kpi_reward,,all,pct_agree,eq,,1,No value\n")
    with pytest.raises(DataError, match="needs a value"):
        load_benchmark(path)


def test_missing_columns(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("figure,item\nF1,kpi_reward\n")
    with pytest.raises(DataError, match="missing columns"):
        load_benchmark(path)
