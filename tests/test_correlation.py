"""Correlations between statements: pairwise complete, against R, scipy and pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _io_fixtures import REALDATA, needs_realdata
from scipy import stats
from statsmodels.stats.multitest import multipletests

from cemlab import Instrument, Survey
from cemlab.correlation import correlation_matrix, correlations, correlations_with, top_pairs

ATTITUDE = REALDATA / "r-attitude" / "attitude.csv"
ITEMS = ["rating", "complaints", "privileges", "learning", "raises"]


def _instrument(items: list[str], scale=(0, 100)) -> Instrument:
    return Instrument.model_validate({
        "name": "test",
        "scale": {"min": scale[0], "max": scale[1]},
        "bands": {"disagree": [scale[0], (scale[0] + scale[1]) // 2 - 1],
                  "agree": [(scale[0] + scale[1]) // 2, scale[1]]},
        "groups": {"column": "role", "levels": ["management", "staff"]},
        "dimensions": [{"id": "d", "title": "D", "items": [
            {"id": i, "text": f"Statement {i}", "source": "cemlab"} for i in items]}],
    })


def _attitude() -> Survey:
    frame = pd.read_csv(ATTITUDE).set_index("department")
    frame["role"] = "staff"
    return Survey(frame[[*ITEMS, "role"]].astype({i: float for i in ITEMS}), _instrument(ITEMS))


def _pair(table: pd.DataFrame, a: str, b: str) -> pd.Series:
    return table[(table["item_a"] == a) & (table["item_b"] == b)].iloc[0]


@needs_realdata
def test_pearson_reproduces_r_on_attitude():
    # R 4.x: cor(attitude$rating, attitude$complaints) = 0.8254176 (datasets::attitude)
    row = _pair(correlations(_attitude(), method="pearson"), "rating", "complaints")
    assert round(row["r"], 4) == 0.8254
    assert row["n"] == 30
    ref = stats.pearsonr(*pd.read_csv(ATTITUDE)[["rating", "complaints"]].T.to_numpy())
    assert row["p_value"] == pytest.approx(ref.pvalue, rel=1e-9)


@needs_realdata
@pytest.mark.parametrize("method, scipy_test", [("spearman", stats.spearmanr),
                                                 ("kendall", stats.kendalltau)])
def test_rank_correlations_and_p_match_scipy_on_attitude(method, scipy_test):
    # attitude has ties (e.g. rating 43 and 58 repeat): mid-ranks / tau-b, as scipy computes
    table = correlations(_attitude(), method=method)
    frame = pd.read_csv(ATTITUDE)
    for row in table.itertuples():
        ref = scipy_test(frame[row.item_a], frame[row.item_b])
        assert row.r == pytest.approx(ref.statistic, abs=1e-12)
        assert row.p_value == pytest.approx(ref.pvalue, rel=1e-9)
    assert table["p_adjusted"].to_numpy() == pytest.approx(
        multipletests(table["p_value"], method="fdr_bh")[1])
    assert len(table) == 10  # 5 items -> 10 pairs


def test_pairwise_complete_matches_pandas_and_scipy_with_missing_answers():
    rng = np.random.default_rng(7)
    items = ["a", "b", "c", "d"]
    latent = rng.standard_normal(300)
    frame = pd.DataFrame({i: np.clip(np.rint(5 + 2 * (latent + rng.standard_normal(300))), 1, 10)
                          for i in items})
    frame = frame.mask(rng.random(frame.shape) < 0.15)
    frame["role"] = "staff"
    survey = Survey(frame, _instrument(items, scale=(1, 10)))
    table = correlations(survey)
    expected = frame[items].corr(method="spearman")  # pandas: pairwise complete
    for row in table.itertuples():
        assert row.r == pytest.approx(expected.loc[row.item_a, row.item_b], abs=1e-12)
        both = frame[[row.item_a, row.item_b]].dropna()
        assert row.n == len(both)
        ref = stats.spearmanr(both[row.item_a], both[row.item_b])
        assert row.p_value == pytest.approx(ref.pvalue, rel=1e-9)


def test_pairs_answered_by_too_few_are_suppressed():
    # a and b answered together by 4 respondents only (< 5): no r, no p, flagged
    frame = pd.DataFrame({
        "a": [1, 2, 3, 4, 5, 6, 7, 8, np.nan, np.nan],
        "b": [2, 1, 4, 3, np.nan, np.nan, np.nan, np.nan, 5, 6],
        "c": [1, 3, 2, 5, 4, 6, 8, 7, 9, 10],
        "role": "staff",
    })
    survey = Survey(frame, _instrument(["a", "b", "c"], scale=(1, 10)))
    table = correlations(survey)
    ab = _pair(table, "a", "b")
    assert ab["n"] == 4 and ab["suppressed"] and ab["suppressed_reason"] == "n = 4 < 5"
    assert np.isnan(ab["r"]) and np.isnan(ab["p_value"]) and np.isnan(ab["p_adjusted"])
    # a, c: 8 pairs; hand: ranks of c over a = 1..8 are 1,3,2,5,4,6,8,7 -> d = 0,1,-1,1,-1,0,1,-1,
    # sum d² = 6, rho = 1 - 6*6 / (8*63) = 0.928571
    assert _pair(table, "a", "c")["r"] == pytest.approx(1 - 36 / 504)
    matrix = correlation_matrix(survey)
    assert np.isnan(matrix.loc["a", "b"]) and np.isnan(matrix.loc["b", "a"])
    assert matrix.loc["a", "c"] == pytest.approx(1 - 36 / 504) and matrix.loc["c", "c"] == 1.0
    assert top_pairs(table, k=5)["item_b"].tolist() == ["c", "c"]  # the suppressed pair is out


@needs_realdata
def test_top_pairs_and_one_item_against_the_others():
    survey = _attitude()
    top = top_pairs(survey, k=2, method="pearson")
    # R: cor(attitude) — the two largest |r| among these items: rating-complaints .825,
    # complaints-raises .669
    assert top[["item_a", "item_b"]].values.tolist() == [["rating", "complaints"],
                                                         ["complaints", "raises"]]
    assert top["rank"].tolist() == [1, 2]
    assert top["statement_a"].iloc[0] == "Statement rating"
    others = correlations_with(survey, "raises", method="pearson")
    assert (others["item_a"] == "raises").all() and len(others) == 4
    assert others["item_b"].iloc[0] == "complaints"
    assert others["p_adjusted"].to_numpy() == pytest.approx(
        multipletests(others["p_value"], method="fdr_bh")[1])


def test_unknown_method_is_refused():
    survey = Survey(pd.DataFrame({"a": [1.0, 2, 3], "b": [3.0, 1, 2], "role": "staff"}),
                    _instrument(["a", "b"]))
    with pytest.raises(ValueError, match="method"):
        correlations(survey, method="tetrachoric")


def test_a_pair_of_two_answers_is_no_evidence():
    # two points always lie on a line: scipy's pearsonr gives r = 1, p = 1.0 for n = 2
    from cemlab.correlation import _t_test_p

    expected = stats.pearsonr([1, 2], [3, 4]).pvalue
    assert _t_test_p(np.array([1.0]), np.array([2]))[0] == expected == 1.0
    # and n = 10, r = 0.5 gives scipy's t-test p
    x = np.arange(10.0)
    y = x + np.array([3, -4, 5, -2, 1, 6, -6, 0, -3, 4.0])
    r, p = stats.pearsonr(x, y)
    assert _t_test_p(np.array([r]), np.array([10]))[0] == pytest.approx(p)
