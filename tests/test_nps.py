"""Net Promoter Score: the Carpentries' published scores, adjusted-Wald intervals by hand,
segments, weights, bad answers and suppression.

Published figures: ../shared/realdata/carpentries-longterm/SOURCE.md (The Carpentries' reports,
computed with the R package NPS). Intervals: the adjusted-Wald recipe of Rocks (2016) as
MeasuringU states it ("add 3 to n, 3/4 to detractors and 3/4 to promoters"), worked by hand below.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _io_fixtures import REALDATA, needs_realdata

from cemlab import AnalysisError, Instrument, Survey, load, load_client
from cemlab.nps import COMPLEMENT_REASON, nps, nps_difference

CARPENTRIES = REALDATA / "carpentries-longterm"
DEMO = Path(__file__).resolve().parents[1] / "params" / "kestrel-mobile.yaml"


def _feedback_instrument() -> Instrument:
    return Instrument.model_validate({
        "name": "feedback",
        "scale": {"min": 1, "max": 10},
        "bands": {"disagree": [1, 4], "neutral": [5, 6], "agree": [7, 10]},
        "groups": {"column": "segment", "levels": ["consumer", "business"]},
        "recommend": {"id": "ltr", "text": "How likely are you to recommend us?"},
        "dimensions": [{"id": "overall", "title": "Overall", "items": [
            {"id": "sat_overall", "text": "Overall satisfaction", "source": "cemlab"}]}],
    })


def _survey(ltr: list[float], segment: list[str], **extra) -> Survey:
    frame = pd.DataFrame({"ltr": ltr, "sat_overall": 5.0, "segment": segment, **extra},
                         index=pd.RangeIndex(1, len(ltr) + 1, name="respondent"))
    return Survey(frame, _feedback_instrument())


# -- published figures ------------------------------------------------------------------------


@needs_realdata
def test_carpentries_2019_20_nps_63():
    # SOURCE.md: "The Net Promoter Score (NPS) for our workshops according to the long-term
    # survey is 63" (2020-01 long-term report, R NPS::nps); n = 134, promoters 69.40%,
    # detractors 6.72% (SOURCE check).
    scores = pd.read_csv(CARPENTRIES / "20200326-longterm-other_questions-no-open.csv")[
        "recommendation_score"]
    row = nps(scores).iloc[0]
    assert round(row["nps"]) == 63 and row["n"] == 134
    assert (round(row["pct_promoters"], 2), round(row["pct_detractors"], 2)) == (69.40, 6.72)


@needs_realdata
def test_carpentries_2020_12_nps_47_from_a_loaded_survey(tmp_path):
    # SOURCE.md: 2020-12 long-term report "... is 47"; n = 87, 56.32% - 9.20% = 47.13.
    spec = {
        "name": "carpentries", "scale": {"min": 1, "max": 5},
        "bands": {"disagree": [1, 2], "neutral": [3, 3], "agree": [4, 5]},
        "groups": {"column": "workshop", "levels": ["swc", "dc", "lc", "unknown"],
                   "labels": {"swc": ["Software Carpentry"], "dc": ["Data Carpentry"],
                              "lc": ["Library Carpentry"], "unknown": ["I don't know"]}},
        "recommend": {"id": "ltr", "text": "How likely are you to recommend a workshop?"},
        "dimensions": [{"id": "impact", "title": "Impact", "items": [
            {"id": "impact_career_advancement", "text": "career advancement",
             "source": "cemlab"}]}],
    }
    survey = load(CARPENTRIES / "2020-12-long-term-other_questions-no-open.csv",
                  Instrument.model_validate(spec),
                  columns={"workshop": "workshop_attended_type", "ltr": "recommendation_score"})
    table = nps(survey, by="workshop").set_index("segment")
    assert round(table.loc["all", "nps"]) == 47 and table.loc["all", "n"] == 87
    assert round(table.loc["all", "pct_promoters"], 2) == 56.32
    # test_io: workshop sizes swc 40, dc 34, lc 10, unknown 3 -> "unknown" is suppressed,
    # and lc (the smallest shown) with it, or lc + swc + dc would give it away from "all"
    assert table.index.tolist() == ["all", "swc", "dc", "lc", "unknown"]
    assert table.loc["unknown", "suppressed_reason"] == "n = 3 < 5"
    assert table.loc["lc", "suppressed_reason"] == COMPLEMENT_REASON
    assert table.loc[["lc", "unknown"], "nps"].isna().all()
    assert table.loc[["swc", "dc"], "nps"].notna().all()


# -- hand calculations ------------------------------------------------------------------------


def test_adjusted_wald_interval_by_hand():
    # 10 answers: promoters 5 (10, 9, 9, 10, 9), passives 2 (8, 7), detractors 3 (6, 3, 5):
    # NPS = 50 - 30 = 20. Adjusted: p' = 5.75/13 = .442308, d' = 3.75/13 = .288462,
    # centre .153846, se = sqrt((.730769 - .153846^2) / 13) = .233222;
    # 95%: .153846 -/+ 1.959964 * .233222 = -.30326 .. .61095.
    row = nps(pd.Series([10, 9, 9, 8, 7, 6, 3, 10, 9, 5])).iloc[0]
    assert (row["pct_promoters"], row["pct_passives"], row["pct_detractors"]) == (50, 20, 30)
    assert row["nps"] == 20
    assert row["se"] == pytest.approx(23.3222, abs=1e-3)
    assert row["ci_low"] == pytest.approx(-30.326, abs=1e-2)
    assert row["ci_high"] == pytest.approx(61.095, abs=1e-2)


def test_interval_is_cut_at_100():
    # all promoters: p' = 10.75/13, d' = .75/13, the upper end would pass 100
    row = nps(pd.Series([10.0] * 10)).iloc[0]
    assert row["nps"] == 100 and row["ci_high"] == 100 and row["ci_low"] < 100


def test_difference_by_hand():
    # a: 30 promoters, 10 detractors of 40; b: 20 and 20 of 40.
    # a: p' = 30.75/43 = .715116, d' = .25, centre .465116, var = (.965116 - .216333)/43
    #    = .0174136; b: p' = d' = 20.75/43 = .482558, centre 0, var = .965116/43 = .0224446.
    # se = sqrt(.0398582) = .199645; z = .465116 / .199645 = 2.3297; p = 2 (1 - Phi(2.3297))
    # = .0198; 95% interval .465116 -/+ 1.959964 * .199645 = .07382 .. .85641.
    row = nps_difference(pd.Series([10] * 30 + [5] * 10), pd.Series([10] * 20 + [5] * 20),
                         labels=("2026", "2025")).iloc[0]
    assert (row["a"], row["b"], row["n_a"], row["n_b"]) == ("2026", "2025", 40, 40)
    assert (row["nps_a"], row["nps_b"], row["difference"]) == (50, 0, 50)
    assert row["se"] == pytest.approx(19.9645, abs=1e-3)
    assert row["z"] == pytest.approx(2.3297, abs=1e-3)
    assert row["p_value"] == pytest.approx(0.0198, abs=1e-4)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((7.382, 85.641), abs=1e-2)


def test_difference_hidden_when_a_side_is_small():
    row = nps_difference(pd.Series([10, 9, 3]), pd.Series([10] * 20)).iloc[0]
    assert row["suppressed"] and row["suppressed_reason"] == "n_a = 3 < 5"
    assert row[["difference", "nps_a", "nps_b", "ci_low", "ci_high", "z", "p_value"]].isna().all()


# -- segments, weights, errors ------------------------------------------------------------------


def test_by_group_column_in_instrument_order_and_missing_answers_left_out():
    survey = _survey([10, 9, 3, np.nan, 8, 10, 10, 0, 9, 9, 6, 7],
                     ["business"] * 6 + ["consumer"] * 6)
    table = nps(survey, by="segment", min_group_size=1).set_index("segment")
    assert table.index.tolist() == ["all", "consumer", "business"]
    # business: 10 9 3 8 10 (one blank) -> 3 promoters, 1 detractor of 5 -> 40
    # consumer: 10 0 9 9 6 7 -> 3 promoters, 2 detractors of 6 -> 16.67
    # all: 6 promoters, 3 detractors of 11 -> 27.27
    assert table["n"].tolist() == [11, 6, 5]
    assert table.loc["business", "nps"] == pytest.approx(40)
    assert table.loc["consumer", "nps"] == pytest.approx(100 / 6)
    assert table.loc["all", "nps"] == pytest.approx(300 / 11)


def test_weighted_shares_and_effective_base():
    # weights 3 for the two promoters, 1 for the two detractors: promoters 6/8 = 75%,
    # detractors 25%, NPS 50; Kish base (8^2) / (9 + 9 + 1 + 1) = 3.2
    survey = _survey([10, 9, 2, 3], ["consumer"] * 4, weight=[3.0, 3.0, 1.0, 1.0])
    row = nps(survey, weight="weight", min_group_size=1).iloc[0]
    assert (row["pct_promoters"], row["nps"], row["n"]) == (75, 50, 4)
    assert row["n_eff"] == pytest.approx(3.2)
    unweighted = nps(survey, min_group_size=1).iloc[0]
    assert unweighted["nps"] == 0 and unweighted["n_eff"] == 4


def test_answers_outside_0_to_10_are_an_error_naming_the_respondents():
    survey = _survey([10, 11, 9.5, 3], ["consumer"] * 4)
    with pytest.raises(AnalysisError) as error:
        nps(survey)
    message = str(error.value)
    assert "ltr" in message and "respondent 2: 11" in message and "respondent 3: 9.5" in message
    assert "Fix:" in message
    with pytest.raises(AnalysisError, match="-1"):
        nps(pd.Series([-1, 5]))


def test_no_recommend_question_or_unknown_column():
    instrument = _feedback_instrument().model_copy(update={"recommend": None})
    survey = Survey(pd.DataFrame({"sat_overall": [5.0], "segment": ["consumer"]}), instrument)
    with pytest.raises(AnalysisError, match="no recommend"):
        nps(survey)
    with pytest.raises(ValueError, match="not a column"):
        nps(_survey([10], ["consumer"]), by="region")


def test_a_hidden_part_never_follows_from_all_minus_the_shown_segments():
    # business has 3 answers (< 5): all (13) - consumer (10) would give it away, so consumer
    # is hidden too
    survey = _survey([10.0] * 10 + [0.0] * 3, ["consumer"] * 10 + ["business"] * 3)
    table = nps(survey, by="segment").set_index("segment")
    assert table.loc["business", "suppressed_reason"] == "n = 3 < 5"
    assert table.loc["consumer", "suppressed_reason"] == COMPLEMENT_REASON
    assert table.loc[["consumer", "business"], "nps"].isna().all()
    assert table.loc["all", "nps"] == pytest.approx(100 * (10 - 3) / 13)
    # two respondents without a region are in "all" only: hiding the smallest region keeps
    # their answers from being all minus the regions
    regions = pd.Series(["north"] * 6 + ["south"] * 8 + [None] * 2,
                        index=pd.RangeIndex(1, 17, name="respondent"))
    survey = _survey([10.0] * 14 + [0.0] * 2, ["consumer"] * 16)
    table = nps(survey, by=regions).set_index("segment")
    assert table.loc["north", "suppressed_reason"] == COMPLEMENT_REASON
    assert not table.loc["south", "suppressed"] and table.loc["all", "n"] == 16


def test_two_small_segments_together_never_follow_from_all_minus_the_others():
    # vip 2 and gov 2 are hidden (< 5); together 4 < 5, so all (74) - consumer (40) - business
    # (30) would give their NPS: the smallest shown segment (business) is hidden too
    ltr = [10.0] * 5 + [0.0] * 35 + [9.0] * 1 + [5.0] * 29 + [0.0] * 4
    segment = ["consumer"] * 40 + ["business"] * 30 + ["vip"] * 2 + ["gov"] * 2
    table = nps(_survey(ltr, segment), by="segment").set_index("segment")
    assert table.loc[["vip", "gov"], "suppressed"].all()
    assert table.loc["business", "suppressed_reason"] == COMPLEMENT_REASON
    assert not table.loc["consumer", "suppressed"]
    assert table.loc["all", "n"] == 74
    # with 3 and 2 (5 together) nothing more needs hiding
    ltr = [10.0] * 5 + [0.0] * 35 + [9.0] * 1 + [5.0] * 29 + [0.0] * 5
    segment = ["consumer"] * 40 + ["business"] * 30 + ["vip"] * 3 + ["gov"] * 2
    table = nps(_survey(ltr, segment), by="segment").set_index("segment")
    assert not table.loc["business", "suppressed"]


def test_all_row_suppressed_below_the_minimum():
    row = nps(_survey([10, 9, 8, 2], ["consumer"] * 4)).iloc[0]
    assert row["suppressed"] and math.isnan(row["nps"]) and row["n"] == 4


def test_demo_feedback_by_segment():
    # The demo data must run end to end: segments add up to all (blank answers left out).
    feedback = load_client(DEMO).feedback
    table = nps(feedback, by="segment").set_index("segment")
    assert table.loc["all", "n"] == table.loc[["consumer", "business"], "n"].sum()
    assert table.loc["all", "n"] == feedback.responses["ltr"].notna().sum()
    assert (table["ci_low"] <= table["nps"]).all() and (table["nps"] <= table["ci_high"]).all()


def test_a_large_segment_with_no_answers_hides_nothing_more():
    # gov has 40 customers who all skipped the recommend question (n = 0): nothing about a
    # small group follows from all - consumer - business, so both stay shown
    ltr = [10.0] * 20 + [0.0] * 20 + [9.0] * 40 + [np.nan] * 40
    segment = ["consumer"] * 40 + ["business"] * 40 + ["gov"] * 40
    table = nps(_survey(ltr, segment), by="segment").set_index("segment")
    assert not table.loc["consumer", "suppressed"] and not table.loc["business", "suppressed"]
    # 3 gov customers who skipped it: their number would follow from the bases, so hide more
    ltr = [10.0] * 20 + [0.0] * 20 + [9.0] * 40 + [np.nan] * 3
    segment = ["consumer"] * 40 + ["business"] * 40 + ["gov"] * 3
    table = nps(_survey(ltr, segment), by="segment").set_index("segment")
    assert table.loc["consumer", "suppressed_reason"] == COMPLEMENT_REASON


def test_a_weighted_score_on_an_effective_base_of_one_is_suppressed():
    # 50 detractors weighted 1 and one promoter weighted 100,000: the weighted NPS (+99.9) is
    # that one customer's answer; Kish (100,050)^2 / (10^10 + 50) = 1.001 < 5
    scores = pd.Series([3.0] * 50 + [10.0])
    weights = pd.Series([1.0] * 50 + [1e5])
    row = nps(scores, weight=weights).iloc[0]
    assert row["n"] == 51 and row["n_eff"] == pytest.approx(100_050**2 / (1e10 + 50))
    assert row["suppressed"] and np.isnan(row["nps"])
    assert row["suppressed_reason"] == "n_eff = 1 < 5"
