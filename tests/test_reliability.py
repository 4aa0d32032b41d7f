"""Cronbach's alpha, Feldt's interval and the item analysis against R psych on real data.

Expected numbers: ../shared/realdata/r-attitude/SOURCE.md and psych-bfi/SOURCE.md, which quote
R psych output printed in the psychTools 2.5.3 "overview" vignette (W. Revelle), and small
hand calculations written out next to each test.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from _io_fixtures import REALDATA, needs_realdata

from cemlab import AnalysisError, Instrument, Survey
from cemlab.reliability import (
    ONE_ITEM_NOTE,
    cronbach_alpha,
    feldt_interval,
    item_reliability,
    reliability,
)

ATTITUDE = ["rating", "complaints", "privileges", "learning", "raises", "critical", "advance"]
BFI_SCALES = {"agree": "A", "conscientious": "C", "extraversion": "E", "neuroticism": "N",
              "openness": "O"}
#: psych-bfi/SOURCE.md, scoring keys of psychTools man/bfi.Rd: reverse-keyed items.
BFI_REVERSED = {"A1", "C4", "C5", "E1", "E2", "O2", "O5"}


def _instrument(dimensions: dict[str, list[str]], *, scale=(1, 6), reverse=(), column="role"):
    low, high = scale
    third = (high - low) // 3
    return Instrument.model_validate({
        "name": "test",
        "scale": {"min": low, "max": high},
        "bands": {"disagree": [low, low + third], "neutral": [low + third + 1, high - third - 1],
                  "agree": [high - third, high]},
        "groups": {"column": column, "levels": ["management", "staff"]},
        "dimensions": [
            {"id": dim, "title": dim.title(), "items": [
                {"id": i, "text": f"statement {i}", "source": "cemlab", "reverse": i in reverse}
                for i in items]}
            for dim, items in dimensions.items()
        ],
    })


def _survey(frame: pd.DataFrame, instrument: Instrument, min_group_size: int = 5) -> Survey:
    frame = frame.copy()
    frame["role"] = "staff"
    return Survey(frame, instrument, min_group_size=min_group_size)


@pytest.fixture(scope="module")
def attitude() -> pd.DataFrame:
    return pd.read_csv(REALDATA / "r-attitude" / "attitude.csv").drop(columns="department")


@pytest.fixture(scope="module")
def bfi_survey() -> Survey:
    frame = pd.read_csv(REALDATA / "psych-bfi" / "bfi.csv", index_col="id")
    dims = {name: [f"{letter}{i}" for i in range(1, 6)] for name, letter in BFI_SCALES.items()}
    return _survey(frame, _instrument(dims, reverse=BFI_REVERSED))


# -- R psych on the attitude data ------------------------------------------------------------


@needs_realdata
def test_attitude_alpha_feldt_interval_and_average_r(attitude):
    # r-attitude/SOURCE.md, psych alpha(attitude): raw_alpha 0.84, average_r 0.43,
    # Feldt 95% CI 0.74-0.92; the SOURCE's own check: raw alpha 0.8431, average r 0.4269.
    result = cronbach_alpha(attitude)
    row = result.iloc[0]
    assert row["alpha"] == pytest.approx(0.8431, abs=5e-5)
    assert row["average_r"] == pytest.approx(0.4269, abs=5e-5)
    assert (round(row["ci_low"], 2), round(row["ci_high"], 2)) == (0.74, 0.92)
    assert (row["n"], row["n_items"]) == (30, 7)


@needs_realdata
def test_attitude_alpha_if_dropped_and_r_drop(attitude):
    # r-attitude/SOURCE.md, psych alpha(attitude): "Reliability if an item is dropped" raw_alpha
    # (SOURCE check to 3 decimals: .810 .797 .828 .803 .795 .864 .840) and item.stats r.drop.
    instrument = _instrument({"attitude": ATTITUDE}, scale=(0, 100))
    table = item_reliability(_survey(attitude, instrument))
    assert table["item"].tolist() == ATTITUDE
    assert table["alpha_if_deleted"].round(3).tolist() == [
        0.810, 0.797, 0.828, 0.803, 0.795, 0.864, 0.840]
    assert table["item_rest_r"].round(2).tolist() == [0.67, 0.74, 0.56, 0.71, 0.79, 0.27, 0.46]
    # item.stats mean and sd (65 67 53 56 65 75 43; 12.2 13.3 12.2 11.7 10.4 9.9 10.3)
    assert table["mean"].round(0).tolist() == [65, 67, 53, 56, 65, 75, 43]
    assert table["sd"].round(1).tolist() == [12.2, 13.3, 12.2, 11.7, 10.4, 9.9, 10.3]
    assert (table["n"] == 30).all() and not table["suppressed"].any()


@needs_realdata
def test_attitude_with_two_items_reverse_keyed(attitude):
    # r-attitude/SOURCE.md, psych alpha(attitude, keys = c("complaints", "critical")): raw_alpha
    # 0.18 (SOURCE check 0.1843), Feldt CI -0.36-0.56; psych reverses as (92 + 25) - x, the
    # highest and lowest value over all items, which is cronbach_alpha's default scale.
    row = cronbach_alpha(attitude, reverse=["complaints", "critical"]).iloc[0]
    assert row["alpha"] == pytest.approx(0.1843, abs=5e-5)
    assert (round(row["ci_low"], 2), round(row["ci_high"], 2)) == (-0.36, 0.56)
    # alpha if dropped: complaints- 0.689, critical- 0.364; the instrument's reverse flag with
    # the same 25-92 range gives the same
    instrument = _instrument({"attitude": ATTITUDE}, scale=(25, 92),
                             reverse={"complaints", "critical"})
    table = item_reliability(_survey(attitude, instrument)).set_index("item")
    assert round(table.loc["complaints", "alpha_if_deleted"], 3) == 0.689
    assert round(table.loc["critical", "alpha_if_deleted"], 3) == 0.364
    assert table.loc["complaints", "reverse"] and not table.loc["rating", "reverse"]


# -- R psych on bfi --------------------------------------------------------------------------


@needs_realdata
def test_bfi_median_imputation_reproduces_psych_score_items(bfi_survey):
    # psych-bfi/SOURCE.md: scoreItems(keys.list, bfi), impute = "median": alpha .70 .72 .76
    # .81 .60 (SOURCE check .7012 .7247 .7597 .8118 .5968), n = 2,800 respondents.
    table = reliability(bfi_survey, missing="median").set_index("dimension")
    assert table.index.tolist() == list(BFI_SCALES)
    assert table["alpha"].round(2).tolist() == [0.70, 0.72, 0.76, 0.81, 0.60]
    assert table["alpha"].round(4).tolist() == [0.7012, 0.7247, 0.7597, 0.8118, 0.5968]
    assert (table["n"] == 2800).all() and (table["n_items"] == 5).all()
    # scoreItems' average.r (.32 .34 .39 .46 .23) is the r that alpha implies by Spearman-Brown,
    # alpha / (k - (k - 1) alpha); our average_r is the mean inter-item correlation (psych
    # alpha's average_r, checked on attitude above), so it is compared through that identity.
    implied = table["alpha"] / (5 - 4 * table["alpha"])
    assert implied.round(2).tolist() == [0.32, 0.34, 0.39, 0.46, 0.23]
    assert table["average_r"].between(0.2, 0.5).all()


@needs_realdata
def test_bfi_pairwise_and_listwise(bfi_survey):
    # psych-bfi/SOURCE.md "checks done here" (not psych output, the same formula on other
    # rows): pairwise .7030 .7267 .7617 .8140 .6002; listwise .7038 (n 2709), .7293 (2707),
    # .7609 (2713), .8133 (2694), .6025 (2726).
    pairwise = reliability(bfi_survey)
    assert pairwise["alpha"].round(4).tolist() == [0.7030, 0.7267, 0.7617, 0.8140, 0.6002]
    listwise = reliability(bfi_survey, missing="listwise")
    assert listwise["alpha"].round(4).tolist() == [0.7038, 0.7293, 0.7609, 0.8133, 0.6025]
    assert listwise["n"].tolist() == [2709, 2707, 2713, 2694, 2726]


@needs_realdata
def test_bfi_reverse_keying_matters(bfi_survey):
    # Without reversing A1 the agreeableness items do not hang together (A1 correlates
    # negatively with A2-A5), so alpha falls well below psych's keyed .70.
    frame = bfi_survey.items[[f"A{i}" for i in range(1, 6)]]
    assert cronbach_alpha(frame, missing="median")["alpha"].iloc[0] < 0.5
    keyed = cronbach_alpha(frame, reverse=["A1"], scale=(1, 6), missing="median")
    assert round(keyed["alpha"].iloc[0], 4) == 0.7012


# -- hand calculations -----------------------------------------------------------------------


def test_alpha_by_hand_on_three_items():
    # Sample covariance matrix of q1..q3 (ddof 1): variances 2.5, 2.3, 1.5; covariances
    # q1q2 2.25, q1q3 1.75, q2q3 1.5. Sum 17.3, trace 6.3: alpha = 3/2 (1 - 6.3/17.3) = 0.9538.
    frame = pd.DataFrame({"q1": [1, 2, 3, 4, 5], "q2": [2, 2, 3, 5, 5], "q3": [1, 3, 3, 4, 4]})
    assert cronbach_alpha(frame)["alpha"].iloc[0] == pytest.approx(1.5 * (1 - 6.3 / 17.3))


def test_feldt_interval_against_scipy_f_quantiles():
    # Feldt (1965): 1 - (1 - alpha) F(.975) .. 1 - (1 - alpha) F(.025), df (n-1, (n-1)(k-1)).
    # alpha .8, n 50, k 10: F(.975; 49, 441) = 1.47058, F(.025; 49, 441) = 0.63313
    # (scipy.stats.f.ppf; R qf gives the same), so the interval is .7059 to .8734.
    low, high = feldt_interval(0.8, 50, 10)
    assert low == pytest.approx(1 - 0.2 * 1.47058, abs=1e-5)
    assert high == pytest.approx(1 - 0.2 * 0.63313, abs=1e-5)


def test_missing_answers_rules():
    # q3 is missing for respondent 5. Listwise keeps 4 rows; median fills q3 with median(1, 3, 3,
    # 4) = 3; pairwise keeps all 5 for the q1-q2 covariance. A respondent with no answer at
    # all (row 6) is in no scale.
    frame = pd.DataFrame({"q1": [1, 2, 3, 4, 5, np.nan], "q2": [2, 2, 3, 5, 5, np.nan],
                          "q3": [1, 3, 3, 4, np.nan, np.nan]})
    listwise = cronbach_alpha(frame, missing="listwise").iloc[0]
    assert listwise["n"] == 4
    assert listwise["alpha"] == pytest.approx(
        cronbach_alpha(frame.iloc[:4])["alpha"].iloc[0])
    median = cronbach_alpha(frame, missing="median").iloc[0]
    filled = frame.iloc[:5].fillna({"q3": 3.0})
    assert median["n"] == 5
    assert median["alpha"] == pytest.approx(cronbach_alpha(filled)["alpha"].iloc[0])
    pairwise = cronbach_alpha(frame).iloc[0]
    expected_cov = frame.iloc[:5].cov()  # pandas: pairwise complete covariances
    k, c = 3, expected_cov.to_numpy()
    assert pairwise["alpha"] == pytest.approx(k / (k - 1) * (1 - np.trace(c) / c.sum()))
    with pytest.raises(ValueError, match="missing must be one of"):
        cronbach_alpha(frame, missing="mean")


def test_one_item_dimension_and_too_few_items():
    frame = pd.DataFrame({"a1": [1, 2, 3, 4, 5, 6], "a2": [2, 1, 3, 5, 6, 6],
                          "b1": [3, 3, 4, 4, 5, 5]})
    survey = _survey(frame, _instrument({"a": ["a1", "a2"], "b": ["b1"]}))
    table = reliability(survey).set_index("dimension")
    assert np.isnan(table.loc["b", "alpha"]) and "at least two" in table.loc["b", "note"]
    assert table.loc["a", "note"] == "" and np.isfinite(table.loc["a", "alpha"])
    items = item_reliability(survey).set_index("item")
    # two items: deleting one leaves a single item, so alpha-if-deleted is undefined
    assert items[["alpha_if_deleted"]].isna().all().all()
    assert items.loc["a1", "item_rest_r"] == pytest.approx(frame["a1"].corr(frame["a2"]))
    with pytest.raises(AnalysisError, match="at least two items"):
        cronbach_alpha(frame[["a1"]])


def test_small_scale_is_suppressed():
    # 4 respondents < min_group_size 5: alpha and its interval are hidden, the base is kept.
    frame = pd.DataFrame({"a1": [1, 2, 3, 4], "a2": [2, 2, 3, 5], "a3": [1, 3, 3, 4]})
    survey = _survey(frame, _instrument({"a": ["a1", "a2", "a3"]}))
    row = reliability(survey).iloc[0]
    assert row["suppressed"] and row["suppressed_reason"] == "n = 4 < 5"
    assert row[["alpha", "alpha_ci_low", "alpha_ci_high", "average_r"]].isna().all()
    assert row["n"] == 4
    items = item_reliability(survey)
    assert items["suppressed"].all() and items["mean"].isna().all()
    shown = reliability(survey, min_group_size=3).iloc[0]
    assert not shown["suppressed"] and np.isfinite(shown["alpha"])


def test_dataframe_with_instrument_and_statement_text():
    frame = pd.DataFrame({"a1": [1, 2, 3, 4, 5, 6], "a2": [2, 1, 3, 5, 6, 6],
                          "role": ["staff"] * 6})
    instrument = _instrument({"a": ["a1", "a2"]})
    table = item_reliability(frame, instrument=instrument)
    assert table["statement"].tolist() == ["statement a1", "statement a2"]
    with pytest.raises(ValueError, match="needs its instrument"):
        reliability(frame)
    with pytest.raises(ValueError, match="no dimension 'x'"):
        item_reliability(frame, "x", instrument=instrument)


def _sparse_frame() -> pd.DataFrame:
    # 30 respondents; x2 answered by only 3 of them (rows 0-2), x1 and x3 by everyone
    rng = np.random.default_rng(7)
    x1 = rng.integers(1, 7, 30).astype(float)
    x3 = np.clip(x1 + rng.integers(-1, 2, 30), 1, 6)
    x2 = np.full(30, np.nan)
    x2[:3] = [6.0, 1.0, 6.0]
    return pd.DataFrame({"x1": x1, "x2": x2, "x3": x3})


def test_an_item_answered_by_too_few_moves_no_figure_of_its_dimension():
    # x2's 3 answers must not reach alpha, the others' item statistics or the practice mean:
    # every figure equals the one computed without x2 at all (hand: cronbach_alpha on x1, x3)
    from cemlab.scorecard import dimension_scorecard

    frame = _sparse_frame()
    survey = _survey(frame, _instrument({"d": ["x1", "x2", "x3"]}))
    row = reliability(survey).iloc[0]
    assert row["alpha"] == pytest.approx(cronbach_alpha(frame[["x1", "x3"]])["alpha"].iloc[0])
    assert row["n_items"] == 2 and row["note"] == "left out (answered by n < 5): x2"
    items = item_reliability(survey).set_index("item")
    assert items.loc["x1", "item_rest_r"] == pytest.approx(frame["x1"].corr(frame["x3"]))
    assert items.loc["x2", "suppressed"] and np.isnan(items.loc["x2", "mean"])
    practice = dimension_scorecard(survey).iloc[0]
    assert practice["mean"] == pytest.approx(frame[["x1", "x3"]].mean(axis=1).mean())
    assert practice["note"] == "left out (answered by n < 5): x2"
    # with a minimum of 3, x2 counts again
    assert reliability(survey, min_group_size=3).iloc[0]["n_items"] == 3


def test_a_pair_answered_together_by_too_few_hides_the_dimension():
    # x1 answered by rows 0-9, x2 by rows 7-16: each by 10, together by 3 (< 5)
    x1 = np.full(20, np.nan)
    x2 = np.full(20, np.nan)
    x1[:10] = [1, 2, 3, 4, 5, 6, 5, 4, 3, 2]
    x2[7:17] = [2, 3, 4, 5, 6, 5, 4, 3, 2, 1]
    survey = _survey(pd.DataFrame({"x1": x1, "x2": x2}), _instrument({"d": ["x1", "x2"]}))
    row = reliability(survey).iloc[0]
    assert row["suppressed"] and np.isnan(row["alpha"])
    assert row["suppressed_reason"] == "a pair of its items answered together by n < 5"
    items = item_reliability(survey)
    assert items["item_rest_r"].isna().all()
    assert not items["suppressed"].isna().any() and items["suppressed"].all()
    assert (items["mean"].notna()).all()  # each item's own answers (10 each) stay shown


def test_a_left_out_item_does_not_count_in_the_base_of_a_one_item_dimension():
    # x2's 3 respondents answered only x2: counted in the base they would give its n away
    # (30 against x1's 27). Left out, the dimension's n is x1's.
    frame = _sparse_frame()[["x1", "x2"]].copy()
    frame.loc[:2, "x1"] = np.nan
    survey = _survey(frame, _instrument({"d": ["x1", "x2"]}))
    row = reliability(survey).iloc[0]
    assert row["n"] == 27 and row["n_items"] == 1
    # every item thin: nothing to show, and the base of the thin items is not shown as valid
    thin = pd.DataFrame({"x1": [1.0] * 4 + [np.nan] * 4, "x2": [np.nan] * 4 + [2.0] * 4})
    row = reliability(_survey(thin, _instrument({"d": ["x1", "x2"]}))).iloc[0]
    assert row["suppressed"] and row["suppressed_reason"] == "every item answered by n < 5"


# -- items with no variance: psych deletes them ----------------------------------------------
# psych::alpha (psych 2.x, R/alpha.R): item.var <- apply(x, 2, sd, na.rm = na.rm);
# bad <- which((item.var <= 0) | is.na(item.var)); each bad item is deleted with
# warning("Item = ", name, " had no variance and was deleted") before anything is computed.
# So alpha with a constant or an unanswered item is alpha of the other items.


@needs_realdata
@pytest.mark.parametrize("flat", [3.0, np.nan], ids=["constant", "unanswered"])
def test_an_item_with_no_variance_is_deleted_as_psych_deletes_it(attitude, flat):
    # psych alpha(cbind(attitude, flat = 3)) deletes flat with its warning and prints the
    # attitude figures: raw_alpha 0.84 (SOURCE check 0.8431), average_r 0.43, 7 items.
    frame = attitude.assign(flat=flat)
    with pytest.warns(UserWarning, match="^Item = flat had no variance and was deleted$"):
        row = cronbach_alpha(frame).iloc[0]
    plain = cronbach_alpha(attitude).iloc[0]
    assert row["alpha"] == pytest.approx(0.8431, abs=5e-5)
    assert row[["alpha", "ci_low", "ci_high", "average_r"]].tolist() == pytest.approx(
        plain[["alpha", "ci_low", "ci_high", "average_r"]].tolist(), abs=1e-12)
    assert (row["n"], row["n_items"]) == (30, 7)
    assert row["note"] == "left out (no variance): flat" and plain["note"] == ""


def test_no_numpy_warning_and_a_clear_error_when_too_few_items_vary():
    frame = pd.DataFrame({"a": [1.0, 2, 3, 4, 5], "b": [2.0, 2, 3, 5, 5], "c": 3.0,
                          "d": np.nan})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        row = cronbach_alpha(frame).iloc[0]
    assert [str(w.message) for w in caught] == [
        "Item = c had no variance and was deleted", "Item = d had no variance and was deleted"]
    assert row["alpha"] == pytest.approx(cronbach_alpha(frame[["a", "b"]])["alpha"].iloc[0])
    assert row["note"] == "left out (no variance): c, d"
    with pytest.warns(UserWarning), pytest.raises(AnalysisError, match="two items whose"):
        cronbach_alpha(frame[["a", "c", "d"]])


def test_reliability_and_item_analysis_leave_out_an_item_with_no_variance():
    # x3 (everyone answered 4) is left out of alpha and of the others' item statistics: every
    # figure equals the one without x3 (psych::alpha's deletion, above).
    rng = np.random.default_rng(3)
    x1 = rng.integers(1, 7, 40).astype(float)
    frame = pd.DataFrame({"x1": x1, "x2": np.clip(x1 + rng.integers(-1, 2, 40), 1, 6),
                          "x3": 4.0, "x4": np.clip(x1 + rng.integers(-2, 3, 40), 1, 6),
                          "x5": 2.0, "x6": x1})
    without = ["x1", "x2", "x4"]
    survey = _survey(frame, _instrument({"d": ["x1", "x2", "x3", "x4"], "e": ["x5", "x6"]}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning from a zero variance either
        table = reliability(survey).set_index("dimension")
        items = item_reliability(survey, "d").set_index("item")
    expected = cronbach_alpha(frame[without]).iloc[0]
    assert table.loc["d", "alpha"] == pytest.approx(expected["alpha"], abs=1e-12)
    assert table.loc["d", "n_items"] == 3
    assert table.loc["d", "note"] == "left out (no variance): x3"
    assert np.isnan(table.loc["e", "alpha"])
    assert table.loc["e", "note"] == f"{ONE_ITEM_NOTE}; left out (no variance): x5"
    reference = item_reliability(
        _survey(frame[without], _instrument({"d": without})), "d").set_index("item")
    for column in ["alpha_if_deleted", "item_rest_r"]:
        assert items.loc[without, column].tolist() == pytest.approx(
            reference.loc[without, column].tolist(), abs=1e-12)
    assert items.loc["x3", ["alpha_if_deleted", "item_rest_r"]].isna().all()
    assert items.loc["x3", "sd"] == 0 and items.loc["x3", "n"] == 40
    # every item alike: nothing to compute, said in words, the base still shown
    flat = reliability(_survey(frame.assign(x1=2.0, x2=5.0)[["x1", "x2"]],
                               _instrument({"d": ["x1", "x2"]}))).iloc[0]
    assert flat["note"] == "no item whose answers vary; left out (no variance): x1, x2"
    assert flat["n"] == 40 and not flat["suppressed"]
