"""The scorecard: means, intervals, ranks, gaps to target, benchmark and between groups."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cemlab import Survey, load, load_instrument
from cemlab.instrument import parse_instrument
from cemlab.scorecard import dimension_scorecard, scorecard

ROOT = Path(__file__).resolve().parents[1]
CEM = load_instrument("cem-maturity")


def _survey(role, scores, instrument=CEM) -> Survey:
    frame = pd.DataFrame({"role": role, **scores})
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="respondent_id")
    return Survey(frame, instrument)


def test_means_intervals_ranks_and_target_by_hand():
    # lead_decisions 2,4,6,8,10,... : hand mean 6, sd sqrt(10) (sample), t(4) interval
    survey = _survey(
        ["management"] * 5 + ["staff"] * 5,
        {"lead_decisions": [2, 4, 6, 8, 10, 2, 4, 6, 8, 10],
         "lead_commitment": [9, 9, 9, 9, 9, 8, 8, 8, 8, 8]},
    )
    card = scorecard(survey, target=7, benchmark=None).set_index("item")
    row = card.loc["lead_decisions"]
    assert row["n"] == 10 and row["mean"] == 6.0
    sd = np.std([2, 4, 6, 8, 10] * 2, ddof=1)
    assert row["sd"] == pytest.approx(sd)
    half = stats.t.ppf(0.975, 9) * sd / np.sqrt(10)
    assert (row["mean_ci_low"], row["mean_ci_high"]) == pytest.approx((6 - half, 6 + half))
    assert row["pct_agree"] == 40.0 and row["pct_disagree"] == 40.0  # 8,10 agree; 2,4 disagree
    assert row["gap_to_target"] == -1.0
    assert row["rank"] == 2 and row["lowest"] and not row["highest"]
    assert card.loc["lead_commitment", "highest"]
    assert card.loc["lead_commitment", "gap_mean"] == pytest.approx(1.0)


def test_welch_t_matches_scipy():
    m, s = [7, 8, 9, 6, 8, 9, 7], [5, 6, 4, 7, 5, 6, 3, 4]
    survey = _survey(["management"] * 7 + ["staff"] * 8, {"lead_decisions": m + s})
    row = scorecard(survey, benchmark=None).iloc[0]
    ref = stats.ttest_ind(m, s, equal_var=False)
    assert row["welch_t"] == pytest.approx(ref.statistic)
    assert row["p_value"] == pytest.approx(ref.pvalue)
    assert row["p_adjusted"] == pytest.approx(ref.pvalue)  # one item: Holm changes nothing


def test_reverse_keyed_items_are_reversed_before_means():
    inst = parse_instrument(
        "name: r\nscale: {min: 1, max: 5}\n"
        "bands: {disagree: [1, 2], neutral: [3, 3], agree: [4, 5]}\n"
        "groups: {column: role, levels: [management, staff]}\n"
        "dimensions: [{id: d, title: D, items: [{id: a, text: A, source: cemlab},"
        " {id: b, text: B, source: cemlab, reverse: true}]}]\n"
    )
    survey = _survey(["staff"] * 5, {"a": [5, 5, 4, 4, 5], "b": [1, 1, 2, 2, 1]}, inst)
    card = scorecard(survey, benchmark=None).set_index("item")
    assert card.loc["b", "mean"] == pytest.approx(4.6)  # 6 - (1,1,2,2,1) -> mean 4.6
    assert card.loc["b", "pct_disagree"] == 100.0  # as worded, everyone disagrees with b
    dims = dimension_scorecard(survey, min_group_size=1).iloc[0]
    assert dims["mean"] == pytest.approx(4.6)


def test_small_group_hides_both_group_figures():
    survey = _survey(["management"] * 3 + ["staff"] * 10,
                     {"lead_decisions": [10, 10, 10] + [4] * 10})
    row = scorecard(survey, benchmark=None).iloc[0]
    assert row["mean"] == pytest.approx((30 + 40) / 13)  # overall shown
    for column in ("mean_management", "mean_staff", "gap_mean", "welch_t", "p_value"):
        assert np.isnan(row[column]), column
    # the overall figures stay shown: only the group figures are flagged
    assert not row["suppressed"] and row["groups_suppressed"]
    assert "n_management = 3 < 5" in row["suppressed_reason"]


THREE_GROUPS = parse_instrument(
    "name: three\nscale: {min: 1, max: 10}\n"
    "bands: {disagree: [1, 4], neutral: [5, 6], agree: [7, 10]}\n"
    "groups: {column: role, levels: [management, staff, contractor]}\n"
    "dimensions: [{id: d, title: D, items: [{id: q, text: Q, source: cemlab}]}]\n"
)


def test_a_small_third_group_hides_the_group_figures_it_could_be_found_from():
    # management 20 (all 7), staff 80 (all 5), contractor 3 (all 10). Shown overall mean and
    # both group means would give the contractors' away: (103 * mean - 20*7 - 80*5) / 3 = 10.
    # As in `agreement`, the smallest shown group (management) is hidden too; overall minus
    # staff is then management and contractors together, 23 respondents.
    survey = _survey(["management"] * 20 + ["staff"] * 80 + ["contractor"] * 3,
                     {"q": [7] * 20 + [5] * 80 + [10] * 3}, THREE_GROUPS)
    row = scorecard(survey, benchmark=None, min_group_size=5).iloc[0]
    assert row["mean"] == pytest.approx((140 + 400 + 30) / 103)
    assert np.isnan(row["mean_management"]) and np.isnan(row["pct_agree_management"])
    assert row["mean_staff"] == 5 and np.isnan(row["gap_mean"])
    assert row["groups_suppressed"] and not row["suppressed"]
    assert row["suppressed_reason"].startswith("management hidden too")
    # with 5 contractors nothing needs hiding
    survey = _survey(["management"] * 20 + ["staff"] * 80 + ["contractor"] * 5,
                     {"q": [7] * 20 + [5] * 80 + [10] * 5}, THREE_GROUPS)
    row = scorecard(survey, benchmark=None, min_group_size=5).iloc[0]
    assert row["mean_management"] == 7 and row["mean_staff"] == 5
    assert not row["groups_suppressed"]


def test_the_scorecard_hides_a_group_wherever_agreement_does():
    # management 6, staff 80, contractor 3, partner 40 (the review's case): agreement hides
    # contractor and, as the complement, management; the scorecard must not show management
    from cemlab.agreement import agreement

    four = parse_instrument(
        "name: four\nscale: {min: 1, max: 10}\n"
        "bands: {disagree: [1, 4], neutral: [5, 6], agree: [7, 10]}\n"
        "groups: {column: role, levels: [management, staff, contractor, partner]}\n"
        "dimensions: [{id: d, title: D, items: [{id: q, text: Q, source: cemlab}]}]\n"
    )
    role = ["management"] * 6 + ["staff"] * 80 + ["contractor"] * 3 + ["partner"] * 40
    scores = [8, 8, 8, 2, 2, 2] + [5] * 80 + [9] * 3 + [3] * 40
    survey = _survey(role, {"q": scores}, four)
    shares = agreement(survey).set_index("group")
    card = scorecard(survey, benchmark=None).iloc[0]
    for group in ("management", "staff"):
        assert np.isnan(card[f"pct_agree_{group}"]) == bool(shares.loc[group, "suppressed"])
        assert np.isnan(card[f"mean_{group}"]) == bool(shares.loc[group, "suppressed"])
    assert shares.loc["management", "suppressed"] and np.isnan(card["pct_agree_management"])


def test_the_2008_data_against_its_own_benchmark():
    # F9: touch_improve management mean 5.8; F10: meas_scorecard mean 4.6, the lowest;
    # F12: kpi_reward 47% agree (2008 study, cemlab/benchmarks/polska-2008.csv)
    survey = load(ROOT / "data" / "polska-2008.csv")
    card = scorecard(survey, target=7).set_index("item")
    assert abs(card.loc["meas_scorecard", "mean"] - 4.6) <= 0.05
    assert card.loc["meas_scorecard", "lowest"] and card["lowest"].sum() == 1
    assert card.loc["meas_scorecard", "benchmark_mean"] == 4.6
    assert abs(card.loc["meas_scorecard", "gap_to_benchmark"]) <= 0.05
    assert abs(card.loc["touch_improve", "mean_management"] - 5.8) <= 0.05
    assert abs(card.loc["kpi_reward", "gap_to_benchmark_pct"]) <= 1
    assert abs(card.loc["lead_decisions", "gap_to_benchmark_pct_management"]) <= 1
    assert np.isnan(card.loc["value_known", "benchmark_mean"])
    dims = dimension_scorecard(survey, target=7).set_index("dimension")
    assert len(dims) == 10 and dims["alpha"].between(0, 1).all()
    assert dims.loc["measurement", "n"] == 400
