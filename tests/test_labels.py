"""Client tables: headings in words, statements not ids, numbers as a person writes them, in
English and Polish; and exported tables without float noise."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cemlab import labels
from cemlab.i18n import Language
from cemlab.labels import clean_numbers, client_table, column_kind, has_identifier

#: Decimal places each kind of column is written with (issue 11, §2: NPS and percentages whole,
#: means one decimal; p-values three, as "< 0.001" below that; coefficients two).
DECIMALS = {"count": 0, "percent": 0, "points": 0, "nps": 0, "mean": 1, "mean_change": 1,
            "coefficient": 2, "p": 3}


@pytest.fixture(scope="module")
def demo():
    """Every table the client report shows, from the demo client Kestrel Mobile."""
    from cemlab import report
    from cemlab.agreement import agreement, agreement_gap
    from cemlab.correlation import correlations, top_pairs
    from cemlab.drivers import importance_performance, key_drivers
    from cemlab.findings import findings
    from cemlab.nps import nps
    from cemlab.params import load_client
    from cemlab.reliability import item_reliability, reliability
    from cemlab.scorecard import dimension_scorecard, scorecard
    from cemlab.trend import nps_trend, trend

    client = load_client("params/kestrel-mobile.yaml")
    survey, feedback = client.survey, client.feedback
    drivers = report.journey_drivers(feedback)
    pairs = correlations(survey)
    tables = {
        "agreement": agreement(survey),
        "agreement_gap": agreement_gap(survey),
        "scorecard": scorecard(survey, target=7.0, benchmark="polska-2008"),
        "practices": dimension_scorecard(survey, target=7.0),
        "correlations": pairs,
        "top_pairs": top_pairs(pairs, k=10),
        "reliability": reliability(survey),
        "item_reliability": item_reliability(survey),
        "findings": findings(survey, target=7.0, benchmark="polska-2008"),
        "data_quality": report.data_quality(survey, 5),
        "nps": nps(feedback, by="segment"),
        "nps_trend": nps_trend(feedback, client.previous_feedback),
        "trend": trend(survey, client.previous),
        "key_drivers": key_drivers(feedback, "ltr", drivers=drivers, n_boot=30),
        "importance_performance": importance_performance(feedback, "ltr", drivers=drivers,
                                                          n_boot=30),
    }
    # a suppressed group, as a small client has it: staff on two statements
    gap = tables["agreement_gap"].copy()
    gap.loc[:1, ["pct_agree_staff", "gap_pct", "p_value", "p_adjusted", "cohens_h"]] = np.nan
    gap.loc[:1, "suppressed"] = True
    gap.loc[:1, "suppressed_reason"] = "n_staff = 3 < 5"
    tables["agreement_gap_suppressed"] = gap
    instruments = {name: (feedback.instrument if name in
                          ("nps", "nps_trend", "key_drivers", "importance_performance")
                          else survey.instrument) for name in tables}
    return tables, instruments


def _decimals(cell: str, code: str) -> int:
    """The decimal places of the figure written in ``cell`` (0 when it has none)."""
    separator = "." if code == "en" else ","
    match = re.search(rf"\d{re.escape(separator)}(\d+)", cell)
    return len(match.group(1)) if match else 0


def _check(name: str, table: pd.DataFrame, instrument, code: str, columns=None) -> None:
    shown = client_table(table, columns, code, instrument)
    for heading in shown.columns:
        assert not has_identifier(heading, instrument), f"{name}: heading {heading!r}"
    source_columns = list(columns) if columns is not None else labels.default_columns(table)
    levels = instrument.groups.levels
    headings = [labels.heading(c, code, instrument, levels) for c in source_columns]
    assert list(shown.columns) == list(dict.fromkeys(headings))  # item and statement: one
    for column, heading in zip(source_columns, headings):
        if column in ("item", "item_a", "item_b") and f"statement{column[4:]}" in source_columns:
            continue  # shown once, as the statement
        kind = column_kind(column, table, instrument.groups.levels)
        for cell in shown[heading]:
            assert isinstance(cell, str)
            assert not has_identifier(cell, instrument), f"{name}.{column}: {cell!r}"
            assert cell not in ("True", "False", "nan", "None")
            if kind in DECIMALS:
                assert _decimals(cell, code) <= DECIMALS[kind], f"{name}.{column}: {cell!r}"


TABLES = ["agreement", "agreement_gap", "agreement_gap_suppressed", "scorecard", "practices",
          "correlations", "top_pairs", "reliability", "item_reliability", "findings",
          "data_quality", "nps", "nps_trend", "trend", "key_drivers", "importance_performance"]


@pytest.mark.parametrize("code", ["en", "pl"])
@pytest.mark.parametrize("name", TABLES)
def test_client_tables_of_the_demo_read_as_words_and_figures(demo, name, code):
    tables, instruments = demo
    table, instrument = tables[name], instruments[name]
    _check(name, table, instrument, code)  # the default columns
    _check(name, table, instrument, code, list(table.columns))  # and every column
    for column in table.columns:  # every column has a heading of its own, not a fallback
        assert column in labels.HEADINGS or labels._group_column(
            column, instrument.groups.levels), column


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_figures_in_any_demo_table_are_written_to_their_decimals(demo, data):
    """Whatever the analyses compute (huge, tiny, negative, missing), every figure is written to
    its kind's decimals, and no identifier reaches a cell."""
    tables, instruments = demo
    name = data.draw(st.sampled_from(TABLES))
    code = data.draw(st.sampled_from(["en", "pl"]))
    table = tables[name].head(4).copy()
    figures = st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False),
                        st.floats(0, 1e-4), st.just(56.00000000000001))
    for column in table.columns:
        if pd.api.types.is_float_dtype(table[column]):
            drawn = data.draw(st.lists(figures, min_size=len(table), max_size=len(table)))
            table[column] = [np.nan if v is None else v for v in drawn]
    _check(name, table, instruments[name], code, list(table.columns))


def test_headings_and_cells_in_polish(demo):
    tables, instruments = demo
    gap = client_table(tables["agreement_gap_suppressed"], ["statement", "pct_agree_management",
                       "pct_agree_staff", "gap_pct", "p_adjusted", "significant"], "pl",
                       instruments["agreement_gap"])
    assert list(gap.columns) == ["Stwierdzenie", "% zgadza się — kierownictwo",
                                 "% zgadza się — pracownicy", "Różnica (pkt proc.)",
                                 "p skorygowane", "Istotna"]
    row = tables["agreement_gap_suppressed"].iloc[2]
    assert gap.iloc[2, 0] == instruments["agreement_gap"].text_of(row["item"], "pl")
    assert gap.iloc[2, 1] == f"{row['pct_agree_management']:.0f}%"
    assert gap.iloc[2, 5] in ("Tak", "Nie")
    assert gap.iloc[0, 2] == "ukryte"  # suppressed staff cell: the marker, not "–" or nan
    scorecard = client_table(tables["scorecard"], ["mean"], "pl")
    assert scorecard.iloc[0, 0] == Language("pl").number(tables["scorecard"]["mean"].iloc[0])
    assert "," in scorecard.iloc[0, 0]


def test_figures_by_kind_in_english():
    table = pd.DataFrame({"item": ["x"], "pct_agree": [62.5], "gap_pct": [14.6], "mean": [5.83],
                          "p_adjusted": [0.0004], "significant": [True], "n": [1234],
                          "gap_to_target": [-0.04], "r": [0.598566]})
    shown = client_table(table, list(table.columns), "en")
    # percentages whole (round half to even: 62.5 -> 62), gaps signed, means one decimal
    assert shown.iloc[0].tolist() == ["x", "62%", "+15", "5.8", "< 0.001", "Yes", "1,234",
                                      "0.0", "0.60"]
    assert list(shown.columns) == ["Statement", "% agree", "Gap (points)", "Mean", "p adjusted",
                                   "Significant", "Respondents", "Gap to target",
                                   "Correlation (r)"]


def test_a_finding_value_carries_its_unit():
    assert labels.finding_value("largest gap", 18.33, "en") == "+18 pts"
    assert labels.finding_value("lowest", 5.48, "pl") == "średnia 5,5"
    assert labels.finding_value("strongest correlation", 0.5986, "en") == "r = 0.60"
    assert labels.finding_value("target", -1.52, "en") == "-1.5 against target"
    assert labels.finding_value("lowest", np.nan, "en") == "–"


def test_ids_in_free_text_become_statement_labels(demo):
    tables, instruments = demo
    instrument = instruments["agreement"]
    quality = pd.DataFrame({"check": ["missing answers"], "detail": ["kpi_reward"],
                            "count": [3.0]})
    shown = client_table(quality, None, "pl", instrument)
    assert shown.iloc[0].tolist() == ["Brakujące odpowiedzi",
                                      f"“{instrument.short_of('kpi_reward', 'pl')}”", "3"]
    reason = client_table(tables["agreement_gap_suppressed"], ["suppressed_reason"], "en",
                          instrument)
    assert reason.iloc[0, 0] == "n (staff) = 3 < 5"


def test_an_unknown_column_is_written_in_words_and_a_missing_one_is_an_error():
    table = pd.DataFrame({"extra_score": [1.23456]})
    assert list(client_table(table, None, "en").columns) == ["Extra score"]
    with pytest.raises(ValueError, match="no column"):
        client_table(table, ["mean"], "en")


# -- exported tables: no float noise ----------------------------------------------------------


def test_clean_numbers_takes_out_float_noise_and_keeps_the_rest():
    table = pd.DataFrame({"pct": [56.00000000000001, 0.1 + 0.2, np.nan], "n": [1, 2, 3],
                          "text": ["a", "b", "c"], "p": [1.234567890123e-12, 0.5, 1.0]})
    clean = clean_numbers(table, decimals={"p": 3})
    assert clean["pct"].tolist()[:2] == [56.0, 0.3] and np.isnan(clean["pct"].iloc[2])
    assert clean["n"].tolist() == [1, 2, 3] and clean["text"].tolist() == ["a", "b", "c"]
    assert clean["p"].tolist() == [0.0, 0.5, 1.0]
    assert table["pct"].iloc[0] == 56.00000000000001  # the input is not changed
    assert "56.00000000000001" not in clean.to_csv()


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), min_size=1,
                max_size=20))
def test_clean_numbers_keeps_ten_significant_digits_of_any_float(values):
    clean = clean_numbers(pd.DataFrame({"x": values}))["x"].to_numpy()
    for before, after in zip(values, clean):
        if not np.isfinite(before):
            assert before == after or (np.isnan(before) and np.isnan(after))
            continue
        assert after == pytest.approx(before, rel=1e-9, abs=0)
        mantissa = repr(float(after)).lower().split("e")[0]
        digits = mantissa.replace("-", "").replace(".", "").strip("0")
        assert len(digits) <= 10 or after == before  # the largest floats stay as they are
