"""Trend between two waves: hand-made waves, Welch's t and the two-proportion z-test checked by
hand and against scipy / statsmodels, Holm's adjustment by hand, suppression of a small wave.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportions_ztest

from cemlab import AnalysisError, Instrument, Survey, load_client
from cemlab.trend import nps_trend, trend

DEMO = Path(__file__).resolve().parents[1] / "params" / "kestrel-mobile.yaml"

INSTRUMENT = Instrument.model_validate({
    "name": "test", "scale": {"min": 1, "max": 10},
    "bands": {"disagree": [1, 4], "neutral": [5, 6], "agree": [7, 10]},
    "groups": {"column": "role", "levels": ["management", "staff"]},
    "recommend": {"id": "ltr", "text": "How likely are you to recommend us?"},
    "dimensions": [{"id": "d", "title": "D", "items": [
        {"id": "q1", "text": "Leaders act on customer feedback", "source": "cemlab"},
        {"id": "q2", "text": "We know what customers value", "source": "cemlab"},
        {"id": "q3", "text": "Only asked last year", "source": "cemlab"}]}],
})


def _wave(wave: str, **answers: list[float]) -> Survey:
    length = max(len(v) for v in answers.values())
    columns = {k: v + [np.nan] * (length - len(v)) for k, v in answers.items()}
    frame = pd.DataFrame(columns).assign(role="staff", wave=wave)
    return Survey(frame, INSTRUMENT)


CURRENT = [7, 8, 9, 6, 7, 8]
PREVIOUS = [5, 6, 7, 5, 6, 4, 6]


def test_welch_and_two_proportion_tests_by_hand():
    current = _wave("2026", q1=CURRENT, q2=[5, 6, 5, 6, 5, 6])
    previous = _wave("2025", q1=PREVIOUS, q2=[6, 5, 6, 5, 6, 5, 6], q3=[1, 2, 3, 4, 5, 6, 7])
    # the waves differ by one respondent, which the default minimum of 5 hides (see
    # tests/test_leaks.py); the hand calculation is of the statistics, so no minimum here
    table = trend(current, previous, min_group_size=1).set_index("item")
    assert table.index.tolist() == ["q1", "q2"]  # q3 is not in the current wave
    q1 = table.loc["q1"]
    # Hand: means 7.5 and 39/7 = 5.5714; variances 5.5/5 = 1.1 and 5.7143/6 = .95238;
    # se = sqrt(1.1/6 + .95238/7) = .56515; t = 1.9286 / .56515 = 3.4125.
    assert (q1["mean_current"], q1["mean_previous"]) == pytest.approx((7.5, 39 / 7))
    assert q1["change_mean"] == pytest.approx(7.5 - 39 / 7)
    assert q1["welch_t"] == pytest.approx(3.4125, abs=1e-3)
    scipy_test = stats.ttest_ind(CURRENT, PREVIOUS, equal_var=False)
    assert q1["p_value_mean"] == pytest.approx(scipy_test.pvalue)
    # Agree band 7-10: 5 of 6 now, 1 of 7 before -> 83.33% vs 14.29%, +69.05 points.
    # Pooled z: p = 6/13, se = sqrt(6/13 * 7/13 * (1/6 + 1/7)) = sqrt(.076923) = .27735,
    # z = .69048 / .27735 = 2.4896, p = 2 (1 - Phi(2.4896)) = .01279; statsmodels
    # proportions_ztest (pooled, no continuity correction) agrees.
    assert (q1["pct_agree_current"], q1["pct_agree_previous"]) == pytest.approx(
        (500 / 6, 100 / 7))
    assert q1["change_pct_agree"] == pytest.approx(500 / 6 - 100 / 7)
    assert q1["p_value_pct"] == pytest.approx(0.01279, abs=1e-5)
    _, statsmodels_p = proportions_ztest([5, 1], [6, 7])
    assert q1["p_value_pct"] == pytest.approx(statsmodels_p)
    assert (q1["n_current"], q1["n_previous"]) == (6, 7)
    # q2: nobody agrees in either wave: nothing to test, p = 1
    assert table.loc["q2", "p_value_pct"] == 1.0
    assert table.loc["q1", "statement"] == "Leaders act on customer feedback"


def test_holm_and_bh_adjustment_across_items():
    current = _wave("2026", q1=CURRENT, q2=[5, 6, 5, 6, 5, 7])
    previous = _wave("2025", q1=PREVIOUS, q2=[6, 5, 6, 5, 6, 5, 6])
    holm = trend(current, previous, min_group_size=1).set_index("item")
    p1, p2 = holm.loc["q1", "p_value_mean"], holm.loc["q2", "p_value_mean"]
    assert p1 < p2
    # Holm (1979) by hand with two tests: smallest p x 2, then max(that, next p x 1)
    assert holm.loc["q1", "p_adjusted_mean"] == pytest.approx(2 * p1)
    assert holm.loc["q2", "p_adjusted_mean"] == pytest.approx(max(2 * p1, p2))
    # Benjamini-Hochberg: largest p x 2/2, smallest min(p x 2/1, that)
    bh = trend(current, previous, adjust="bh", min_group_size=1).set_index("item")
    assert bh.loc["q2", "p_adjusted_mean"] == pytest.approx(p2)
    assert bh.loc["q1", "p_adjusted_mean"] == pytest.approx(min(2 * p1, p2))
    assert holm.loc["q1", "significant"] == (2 * p1 < 0.05 or
                                             holm.loc["q1", "p_adjusted_pct"] < 0.05)
    with pytest.raises(ValueError, match="adjust must be one of"):
        trend(current, previous, adjust="sidak-ish")


def test_a_small_wave_hides_its_side_and_every_change():
    # q2 was answered by 3 people last year (< 5): last year's q2 figures, the change and the
    # tests are hidden; this year's q2 figures stay; Holm adjusts over q1 alone.
    current = _wave("2026", q1=CURRENT, q2=[5, 6, 5, 6, 5, 7])
    previous = _wave("2025", q1=PREVIOUS[:6], q2=[6, 5, 6])
    table = trend(current, previous).set_index("item")
    q2 = table.loc["q2"]
    # 6 against 3 answers: 3 < 5, and 6 - 3 would isolate three respondents too
    assert q2["suppressed"] and q2["suppressed_reason"].startswith("n_previous = 3 < 5; the two")
    hidden = ["mean_previous", "pct_agree_previous", "change_mean", "welch_t", "p_value_mean",
              "change_pct_agree", "p_value_pct", "p_adjusted_mean", "p_adjusted_pct"]
    assert q2[hidden].isna().all()
    assert q2["mean_current"] == pytest.approx(34 / 6) and q2["n_previous"] == 3
    assert not q2["significant"]
    q1 = table.loc["q1"]
    assert q1["p_adjusted_mean"] == pytest.approx(q1["p_value_mean"])
    assert not q1["suppressed"]
    # a lower threshold shows it
    assert not trend(current, previous, min_group_size=3).loc[1, "suppressed"]


def test_items_must_be_in_both_waves():
    current = _wave("2026", q1=CURRENT)
    previous = _wave("2025", q3=PREVIOUS)
    with pytest.raises(AnalysisError, match="share no item"):
        trend(current, previous)
    with pytest.raises(AnalysisError, match="'q1' \\(not in the previous wave\\)"):
        trend(current, _wave("2025", q3=PREVIOUS), items=["q1"])


def test_nps_trend_by_hand_with_wave_labels():
    # nps_difference hand calculation (tests/test_nps.py): 30 promoters / 10 detractors of 40
    # against 20 / 20 of 40: change +50, se 19.9645, z 2.3297, p .0198.
    current = _wave("2026", q1=[7.0] * 40, ltr=[10.0] * 30 + [5.0] * 10)
    previous = _wave("2025", q1=[7.0] * 40, ltr=[10.0] * 20 + [5.0] * 20)
    row = nps_trend(current, previous).iloc[0]
    assert (row["wave_current"], row["wave_previous"]) == ("2026", "2025")
    assert (row["nps_current"], row["nps_previous"], row["change"]) == (50, 0, 50)
    assert (row["n_current"], row["n_previous"]) == (40, 40)
    assert row["se"] == pytest.approx(19.9645, abs=1e-3)
    assert row["p_value"] == pytest.approx(0.0198, abs=1e-4)


def test_nps_trend_suppressed_when_a_wave_is_small():
    current = _wave("2026", q1=[7.0] * 40, ltr=[10.0] * 40)
    previous = _wave("2025", q1=[7.0] * 4, ltr=[10.0, 9.0, 2.0, 3.0])
    row = nps_trend(current, previous).iloc[0]
    assert row["suppressed"] and row["suppressed_reason"] == "n_previous = 4 < 5"
    assert np.isnan(row["change"]) and np.isnan(row["nps_previous"]) and np.isnan(row["p_value"])


def test_demo_waves_run_end_to_end():
    client = load_client(DEMO)
    table = trend(client.survey, client.previous)
    assert table["item"].tolist() == client.survey.item_ids
    assert (table["n_current"] >= 5).all() and not table["suppressed"].any()
    assert table["change_mean"].tolist() == pytest.approx(
        (client.survey.items.mean() - client.previous.items.mean()).tolist())


def test_trend_takes_dataframes_with_their_instrument():
    current = _wave("2026", q1=CURRENT, q2=CURRENT)
    previous = _wave("2025", q1=PREVIOUS, q2=PREVIOUS)
    from_surveys = trend(current, previous, min_group_size=1)
    from_frames = trend(current.responses, previous.responses, instrument=INSTRUMENT,
                        min_group_size=1)
    pd.testing.assert_frame_equal(pd.DataFrame(from_frames), pd.DataFrame(from_surveys))
    with pytest.raises(ValueError, match="needs its instrument"):
        trend(current.responses, previous.responses)
    ltr_now = _wave("2026", ltr=[10, 9, 9, 7, 3, 10]).responses
    ltr_then = _wave("2025", ltr=[10, 8, 6, 5, 9, 2]).responses
    change = nps_trend(ltr_now, ltr_then, instrument=INSTRUMENT, min_group_size=1).iloc[0]
    # hand: now 4 promoters, 1 detractor of 6 -> NPS 50; then 2 promoters (10, 9), 3 detractors
    # (6, 5, 2) of 6 -> NPS -16.67; change 66.67 points
    assert change["nps_current"] == pytest.approx(50)
    assert change["nps_previous"] == pytest.approx(-100 / 6)
    assert change["change"] == pytest.approx(50 + 100 / 6)
