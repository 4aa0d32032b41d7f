"""Agreement by group and the management - staff gap."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from cemlab import Survey, load, load_instrument
from cemlab._stats import adjust_p, two_proportion_z, wilson_interval
from cemlab.agreement import agreement, agreement_gap
from cemlab.instrument import parse_instrument
from cemlab.scorecard import scorecard

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]
CEM = load_instrument("cem-maturity")


def _survey(role: list[str], scores: dict[str, list[float]], **extra) -> Survey:
    frame = pd.DataFrame({"role": role, **scores, **extra})
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="respondent_id")
    return Survey(frame, CEM)


def test_bands_and_shares_by_hand():
    # Hand count, 1-10 scale, bands 1-4 / 5-6 / 7-10:
    # management answers 2, 5, 7, 8, 10, 9 -> 1 disagree, 1 neutral, 4 agree of 6
    # staff answers 1, 3, 4, 6, 7, NaN    -> 3 disagree, 1 neutral, 1 agree of 5 who answered
    survey = _survey(["management"] * 6 + ["staff"] * 6,
                     {"lead_decisions": [2, 5, 7, 8, 10, 9, 1, 3, 4, 6, 7, np.nan]})
    table = agreement(survey).set_index("group")
    m, s, total = table.loc["management"], table.loc["staff"], table.loc["all"]
    assert (m["n"], s["n"], total["n"]) == (6, 5, 11)
    assert m["pct_disagree"] == pytest.approx(100 / 6)
    assert m["pct_neutral"] == pytest.approx(100 / 6)
    assert m["pct_agree"] == pytest.approx(400 / 6)
    assert m["net_agree"] == pytest.approx(300 / 6)
    assert (s["pct_disagree"], s["pct_neutral"], s["pct_agree"]) == (60.0, 20.0, 20.0)
    assert total["pct_agree"] == pytest.approx(500 / 11)
    assert table["statement"].iloc[0].startswith("Leaders make decisions")


def test_wilson_interval_matches_newcombe_and_statsmodels():
    # Newcombe (1998), Stat Med 17:857, Table I, example 81/263: Wilson 0.2553 - 0.3662
    low, high = wilson_interval(np.array([81 / 263]), np.array([263]))
    assert (round(low[0], 4), round(high[0], 4)) == (0.2553, 0.3662)
    ref = proportion_confint(81, 263, method="wilson")
    assert low[0] == pytest.approx(ref[0]) and high[0] == pytest.approx(ref[1])


def test_two_proportion_z_matches_statsmodels():
    z, p = two_proportion_z(np.array([63]), np.array([100]), np.array([41]), np.array([100]))
    ref_z, ref_p = proportions_ztest([63, 41], [100, 100])
    assert z[0] == pytest.approx(ref_z) and p[0] == pytest.approx(ref_p)


def test_holm_and_bh_by_hand():
    # Holm: sorted p 0.01, 0.02, 0.04 -> 0.03, 0.04, 0.04 (3p, 2p, max(prev, p))
    assert adjust_p([0.04, 0.01, 0.02], "holm") == pytest.approx([0.04, 0.03, 0.04])
    # BH: 0.01*3/1=0.03, 0.02*3/2=0.03, 0.04*3/3=0.04
    assert adjust_p([0.04, 0.01, 0.02], "fdr_bh") == pytest.approx([0.04, 0.03, 0.03])
    out = adjust_p([0.01, np.nan], "holm")
    assert out[0] == pytest.approx(0.01) and np.isnan(out[1])
    rng = np.random.default_rng(1)
    for _ in range(50):  # the hand-written Holm equals statsmodels' on random p-values
        p = rng.random(rng.integers(1, 40)) ** 3
        assert adjust_p(p, "holm") == pytest.approx(multipletests(p, method="holm")[1])
    with pytest.raises(ValueError, match="adjust must be one of"):
        adjust_p([0.1], "tukey")


def test_gap_uses_z_test_for_large_groups_and_reproduces_the_study_figure():
    # 100 managers, 63 agree; 100 staff, 41 agree (issue F1's 63% vs 41%)
    m = [8] * 63 + [3] * 37
    s = [8] * 41 + [3] * 59
    survey = _survey(["management"] * 100 + ["staff"] * 100, {"lead_decisions": m + s})
    gap = agreement_gap(survey).iloc[0]
    assert gap["gap_pct"] == pytest.approx(22.0)
    assert gap["test"] == "z"
    assert gap["p_value"] == pytest.approx(proportions_ztest([63, 41], [100, 100])[1])
    # Cohen's h = 2 asin sqrt(.63) - 2 asin sqrt(.41) (Cohen 1988, 6.2)
    assert gap["cohens_h"] == pytest.approx(2 * np.arcsin(0.63**0.5) - 2 * np.arcsin(0.41**0.5))
    assert gap["significant"]


def test_gap_uses_fisher_when_an_expected_count_is_small():
    # Fisher's tea-tasting table [[3, 1], [1, 3]]: two-sided p = 0.4857 (Fisher 1935)
    survey = _survey(["management"] * 4 + ["staff"] * 4,
                     {"lead_decisions": [8, 8, 8, 2, 8, 2, 2, 2]})
    gap = agreement_gap(survey, min_group_size=1).iloc[0]
    assert gap["test"] == "fisher"
    assert round(gap["p_value"], 4) == 0.4857
    assert gap["p_value"] == pytest.approx(stats.fisher_exact([[3, 1], [1, 3]]).pvalue)


def test_small_group_is_suppressed_and_does_not_leak():
    # 4 managers (< 5): their shares are hidden, the staff shares too (all - staff would
    # reveal management), the total shown; the gap is not computed.
    survey = _survey(["management"] * 4 + ["staff"] * 20,
                     {"lead_decisions": [9, 9, 9, 9] + [2] * 10 + [8] * 10})
    table = agreement(survey).set_index("group")
    assert table.loc["management", "suppressed"]
    assert np.isnan(table.loc["management", "pct_agree"])
    assert table.loc["management", "suppressed_reason"] == "n = 4 < 5"
    assert table.loc["staff", "suppressed"] and np.isnan(table.loc["staff", "pct_agree"])
    assert table.loc["all", "pct_agree"] == pytest.approx(100 * 14 / 24)
    gap = agreement_gap(survey).iloc[0]
    assert gap["suppressed"] and np.isnan(gap["gap_pct"]) and np.isnan(gap["p_value"])
    assert not gap["significant"]
    assert "suppressed" in agreement(survey)._repr_html_()


def test_weighted_shares_and_kish_effective_base():
    # weights 1, 1, 2, 2 on answers agree, disagree, agree, agree: weighted agree = 5/6;
    # Kish n_eff = (1+1+2+2)^2 / (1+1+4+4) = 3.6
    survey = _survey(["management"] * 4, {"lead_decisions": [8, 2, 8, 8]}, weight=[1.0, 1, 2, 2])
    row = agreement(survey, weight="weight", min_group_size=1).set_index("group").loc["management"]
    assert row["pct_agree"] == pytest.approx(500 / 6)
    assert row["n_effective"] == pytest.approx(3.6)
    low, _ = wilson_interval(np.array([5 / 6]), np.array([3.6]))
    assert row["pct_agree_ci_low"] == pytest.approx(100 * low[0])


def test_the_2008_data_reproduces_f1():
    # F1 (2008 study): lead_decisions agreed by 63% of management and 41% of non-management
    survey = load(ROOT / "data" / "polska-2008.csv")
    gap = agreement_gap(survey).set_index("item").loc["lead_decisions"]
    assert abs(gap["pct_agree_management"] - 63) <= 1
    assert abs(gap["pct_agree_staff"] - 41) <= 1
    assert gap["significant"]


def test_unknown_group_is_a_clear_error():
    survey = _survey(["staff"] * 6, {"lead_decisions": [1, 2, 3, 4, 5, 6]})
    with pytest.raises(Exception, match="no respondents in group 'management'"):
        agreement_gap(survey)


THREE_GROUPS = parse_instrument(
    "name: three\nscale: {min: 1, max: 10}\n"
    "bands: {disagree: [1, 4], neutral: [5, 6], agree: [7, 10]}\n"
    "groups: {column: role, levels: [management, staff, contractor]}\n"
    "dimensions: [{id: d, title: D, items: [{id: q, text: Q, source: cemlab}]}]\n"
)


def _three(contractors: int) -> Survey:
    # management 20 (11 agree), staff 80 (33 agree), contractors all agree
    role = ["management"] * 20 + ["staff"] * 80 + ["contractor"] * contractors
    scores = [8] * 11 + [2] * 9 + [8] * 33 + [2] * 47 + [9] * contractors
    frame = pd.DataFrame({"role": role, "q": scores})
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="respondent_id")
    return Survey(frame, THREE_GROUPS)


def test_a_small_third_group_cannot_be_found_by_subtraction():
    # 3 contractors: all (103) minus management (20) minus staff (80) would give their 100%.
    # agreement hides the smallest shown group (management) too, and the gap follows it.
    table = agreement(_three(3)).set_index("group")
    assert table.loc["contractor", "suppressed"] and table.loc["management", "suppressed"]
    assert table.loc["management", "suppressed_reason"].startswith("hidden too")
    assert table.loc["staff", "pct_agree"] == pytest.approx(100 * 33 / 80)
    assert table.loc["all", "pct_agree"] == pytest.approx(100 * 47 / 103)
    gap = agreement_gap(_three(3)).iloc[0]
    assert gap["suppressed"] and np.isnan(gap["pct_agree_management"])
    assert np.isnan(gap["pct_agree_staff"]) and np.isnan(gap["gap_pct"])
    # two small groups together of 5 or more are no longer a small group
    many = agreement(_three(5)).set_index("group")
    assert not many.loc["management", "suppressed"]
    assert many.loc["management", "pct_agree"] == pytest.approx(55.0)


def test_two_small_groups_together_under_the_minimum_hide_a_third():
    inst = parse_instrument(
        "name: four\nscale: {min: 1, max: 10}\n"
        "bands: {disagree: [1, 4], neutral: [5, 6], agree: [7, 10]}\n"
        "groups: {column: role, levels: [a, b, c, d]}\n"
        "dimensions: [{id: x, title: X, items: [{id: q, text: Q, source: cemlab}]}]\n"
    )
    frame = pd.DataFrame({"role": ["a"] * 2 + ["b"] * 2 + ["c"] * 10 + ["d"] * 30,
                          "q": [9] * 4 + [2] * 40})
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="respondent_id")
    table = agreement(Survey(frame, inst)).set_index("group")
    # a + b = 4 < 5: c (the smallest shown) is hidden as well; d and all stay
    assert table.loc[["a", "b", "c"], "suppressed"].all()
    assert not table.loc["d", "suppressed"] and not table.loc["all", "suppressed"]


def test_weighted_gap_tests_on_the_kish_effective_bases():
    # management: 10 at weight 1 (5 agree), 10 at weight 3 (8 agree): weighted share
    # (5 + 24) / 40 = 0.725, Kish n_eff = 40^2 / (10 + 90) = 16. staff: 100 at weight 1, 30 agree.
    # Smallest expected count 16 * 41.6 / 116 = 5.7 >= 5, so the z-test, as statsmodels gives it
    # on (0.725 * 16 of 16) against (30 of 100).
    management = [8] * 5 + [2] * 5 + [8] * 8 + [2] * 2
    survey = _survey(["management"] * 20 + ["staff"] * 100,
                     {"lead_decisions": management + [8] * 30 + [2] * 70},
                     weight=[1.0] * 10 + [3.0] * 10 + [1.0] * 100)
    gap = agreement_gap(survey, weight="weight").iloc[0]
    assert gap["pct_agree_management"] == pytest.approx(72.5)
    assert gap["gap_pct"] == pytest.approx(42.5)
    assert gap["test"] == "z"
    assert gap["p_value"] == pytest.approx(proportions_ztest([0.725 * 16, 30], [16, 100])[1])


def test_gap_p_values_adjusted_by_benjamini_hochberg_on_request():
    # three statements with different gaps; BH and Holm as statsmodels multipletests gives them
    m = {"lead_decisions": [8] * 60 + [2] * 40, "lead_commitment": [8] * 55 + [2] * 45,
         "lead_champions": [8] * 50 + [2] * 50}
    s = {"lead_decisions": [8] * 40 + [2] * 60, "lead_commitment": [8] * 45 + [2] * 55,
         "lead_champions": [8] * 48 + [2] * 52}
    survey = _survey(["management"] * 100 + ["staff"] * 100, {k: m[k] + s[k] for k in m})
    holm = agreement_gap(survey)
    bh = agreement_gap(survey, adjust="fdr_bh")
    raw = holm["p_value"].to_numpy()
    assert holm["p_adjusted"].to_numpy() == pytest.approx(multipletests(raw, method="holm")[1])
    assert bh["p_adjusted"].to_numpy() == pytest.approx(multipletests(raw, method="fdr_bh")[1])
    assert "Benjamini-Hochberg" in bh.notes and "Holm" in holm.notes


def test_a_small_group_that_skipped_a_statement_is_still_protected_on_it():
    # 3 contractors answered q but not r. On r their n is 0; were management shown there
    # (n 20) beside all (100) and staff (80), q's all (103) - 20 - 80 would give their size.
    inst = parse_instrument(
        "name: three\nscale: {min: 1, max: 10}\n"
        "bands: {disagree: [1, 4], neutral: [5, 6], agree: [7, 10]}\n"
        "groups: {column: role, levels: [management, staff, contractor]}\n"
        "dimensions: [{id: d, title: D, items: [{id: q, text: Q, source: cemlab},"
        " {id: r, text: R, source: cemlab}]}]\n"
    )
    frame = pd.DataFrame({
        "role": ["management"] * 20 + ["staff"] * 80 + ["contractor"] * 3,
        "q": [8.0] * 103,
        "r": [8.0] * 100 + [np.nan] * 3,
    })
    frame.index = pd.RangeIndex(1, 104, name="respondent_id")
    survey = Survey(frame, inst)
    table = agreement(survey).set_index(["item", "group"])
    assert table.loc[("r", "contractor"), "suppressed"]
    assert table.loc[("r", "management"), "suppressed"]  # hidden as the complement
    card = scorecard(survey, benchmark=None).set_index("item")
    assert card.loc["r", "groups_suppressed"] and np.isnan(card.loc["r", "mean_management"])


def test_a_large_group_that_skipped_a_statement_hides_nothing_more():
    # management (20) was not asked r (routing): staff's r figures give nothing small away
    frame = pd.DataFrame({
        "role": ["management"] * 20 + ["staff"] * 80,
        "lead_decisions": [8.0] * 100,
        "lead_commitment": [np.nan] * 20 + [8.0] * 80,
    })
    frame.index = pd.RangeIndex(1, 101, name="respondent_id")
    table = agreement(Survey(frame, CEM)).set_index(["item", "group"])
    assert table.loc[("lead_commitment", "management"), "suppressed"]  # n = 0
    assert not table.loc[("lead_commitment", "staff"), "suppressed"]
    assert table.loc[("lead_commitment", "staff"), "pct_agree"] == 100.0


def test_bases_of_two_statements_do_not_give_a_small_group_away():
    # 20 management, 100 staff, 3 contractors. b was not asked of management: its overall base
    # 103 against staff's 100 on a gives the contractors' 3; c was not asked of contractors:
    # 120 against the report's 123 respondents gives the same. Both overall rows are hidden.
    inst = parse_instrument(
        "name: three\nscale: {min: 1, max: 10}\n"
        "bands: {disagree: [1, 4], neutral: [5, 6], agree: [7, 10]}\n"
        "groups: {column: role, levels: [management, staff, contractor]}\n"
        "dimensions: [{id: d, title: D, items: [{id: a, text: A, source: cemlab},"
        " {id: b, text: B, source: cemlab}, {id: c, text: C, source: cemlab}]}]\n"
    )
    frame = pd.DataFrame({
        "role": ["management"] * 20 + ["staff"] * 100 + ["contractor"] * 3,
        "a": [8.0] * 123,
        "b": [np.nan] * 20 + [8.0] * 103,
        "c": [8.0] * 120 + [np.nan] * 3,
    })
    frame.index = pd.RangeIndex(1, 124, name="respondent_id")
    survey = Survey(frame, inst)
    table = agreement(survey).set_index(["item", "group"])
    assert table.loc[("a", "all"), "n"] == 123 and not table.loc[("a", "all"), "suppressed"]
    assert table.loc[("a", "staff"), "n"] == 100 and not table.loc[("a", "staff"), "suppressed"]
    for item in ("b", "c"):
        assert table.loc[(item, "all"), "suppressed"]
        assert table.loc[(item, "all"), "suppressed_reason"].startswith("hidden too: its base")
    card = scorecard(survey, benchmark=None).set_index("item")
    assert card.loc[["b", "c"], "suppressed"].all() and card.loc[["b", "c"], "mean"].isna().all()
    assert card.loc["a", "mean"] == 8.0


def test_a_weighted_share_on_an_effective_base_of_one_is_suppressed():
    # staff: 50 weighted 1 and one weighted 100,000: Kish (100,050)^2 / (10^10 + 50) = 1.001
    survey = _survey(["staff"] * 51 + ["management"] * 10,
                     {"lead_decisions": [2.0] * 50 + [9.0] + [8.0] * 10},
                     weight=[1.0] * 50 + [1e5] + [1.0] * 10)
    table = agreement(survey, weight="weight").set_index("group")
    assert table.loc["staff", "n_effective"] == pytest.approx(100_050**2 / (1e10 + 50))
    assert table.loc["staff", "suppressed"] and np.isnan(table.loc["staff", "pct_agree"])
    assert table.loc["staff", "suppressed_reason"] == "n_effective = 1 < 5"
    assert table.loc["all", "suppressed"]
    assert not table.loc["management", "suppressed"]
