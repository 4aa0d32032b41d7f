"""The executive summary: maturity per practice, strengths, priorities by a fixed rule, NPS."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cemlab.params import load_client
from cemlab.scorecard import dimension_scorecard
from cemlab.summary import executive_summary

PARAMS = Path(__file__).resolve().parents[1] / "params"


def _summary(slug: str, lang: str = "en", **changes):
    client = load_client(PARAMS / f"{slug}.yaml")
    params = client.params
    survey = changes.pop("survey", client.survey)
    return client, executive_summary(
        survey, feedback=client.feedback, previous=client.previous,
        previous_feedback=client.previous_feedback, target=params.target,
        benchmark=params.benchmark, min_group_size=params.min_group_size, lang=lang)


@pytest.fixture(scope="module")
def kestrel():
    return _summary("kestrel-mobile")


def test_kestrel_maturity_is_the_dimension_scorecard_ranked(kestrel):
    client, summary = kestrel
    card = dimension_scorecard(client.survey, target=7.0, min_group_size=5)
    table = summary.maturity
    assert table["dimension"].tolist()[:3] == ["measurement", "leadership", "kpis"]
    assert table["rank"].tolist() == sorted(table["rank"])
    means = card.set_index("dimension")["mean"]
    assert table.set_index("dimension")["mean"].to_dict() == pytest.approx(means.to_dict())
    # overall: the ten practice means averaged, each practice counting once (hand: 63.035 / 10)
    assert summary.overall == pytest.approx(6.3035)
    assert table.loc[0, "gap_to_target"] == pytest.approx(7.305 - 7.0)
    # benchmark: the mean of the 2008 study's published statement means, where it has them
    assert {"benchmark_mean", "gap_to_benchmark", "n"} <= set(table.columns)


def test_kestrel_priorities_follow_the_rule(kestrel):
    _, summary = kestrel
    kinds = [p.kind for p in summary.priorities]
    # customers' key weaknesses first (importance interval above 100 / 5 = 20%), at most two;
    # then the practice furthest below the target: CEM before CRM, 5.02 (1.98 below 7)
    assert kinds == ["key weakness", "key weakness", "practice"]
    assert summary.priorities[0].subject == "Getting help from customer service"
    assert summary.priorities[0].figures["importance"] == pytest.approx(54.20, abs=0.01)
    assert summary.priorities[2].sentence == ("CEM before CRM: 5.0 on the 1-10 scale, 2.0 below "
                                              "the target of 7.0.")
    assert [s.subject for s in summary.strengths] == [
        "Measuring the customer experience", "Leadership commitment to the customer experience",
        "KPIs and rewards aligned with the customer experience"]
    assert summary.strengths[0].sentence == ("Measuring the customer experience: 7.3 on the "
                                             "1-10 scale, ranked 1 of 10, 0.3 above the target "
                                             "of 7.0.")


def test_kestrel_nps_and_its_change(kestrel):
    _, summary = kestrel
    # cemlab.trend.nps_trend: 2.4 (2025) -> 17.0 (2026), +14.6 points, p = 0.00105
    assert summary.nps == pytest.approx(16.98, abs=0.01)
    assert summary.nps_change == pytest.approx(14.60, abs=0.01)
    assert summary.nps_change_p == pytest.approx(0.00105, abs=1e-5)
    assert summary.headline == (
        "CEM maturity averages 6.3 on the 1-10 scale, 0.7 below the target of 7.0, strongest in "
        "Measuring the customer experience and weakest in CEM before CRM; customers' NPS is 17, "
        "+15 points since 2025 (p = 0.001).")


def test_bank_wislany_gives_its_widest_divide_a_place():
    _, summary = _summary("bank-wislany")
    subjects = [p.subject for p in summary.priorities]
    # furthest below 7: measurement (3.91) and CEM before CRM (4.22); neither has a significant
    # management - staff gap, so the widest one (leadership: 53.7 points on lead_commitment,
    # Holm p = 7.7e-8, agreement_gap) takes the third place
    assert subjects == ["Measuring the customer experience", "CEM before CRM",
                        "Leadership commitment to the customer experience"]
    divide = summary.priorities[2]
    assert divide.figures["item"] == "lead_commitment"
    assert divide.figures["gap_pct"] == pytest.approx(53.71, abs=0.01)
    assert "Management and staff disagree here: 54 points apart" in divide.sentence
    assert summary.nps is None and summary.nps_change is None


def test_brightmart_rests_on_all_respondents():
    # four managers (< 5): agreement_gap hides every management figure, so no priority uses one
    _, summary = _summary("brightmart")
    points = [*summary.strengths, *summary.priorities]
    assert len(summary.strengths) == 3 and len(summary.priorities) == 3
    assert all("gap_pct" not in p.figures for p in points)
    assert not any("anagement" in p.sentence for p in points)
    assert summary.priorities[0].subject == "CEM before CRM"  # 3.945, lowest


def test_a_suppressed_practice_gives_no_figure_anywhere():
    client = load_client(PARAMS / "kestrel-mobile.yaml")
    responses = client.survey.responses.copy()
    # only 3 respondents answer the measurement statements: below min_group_size 5
    responses.loc[responses.index[3:], ["meas_scorecard", "meas_touchpoints"]] = np.nan
    survey = type(client.survey)(responses=responses, instrument=client.survey.instrument)
    _, summary = _summary("kestrel-mobile", survey=survey)
    row = summary.maturity.set_index("dimension").loc["measurement"]
    assert np.isnan(row["mean"]) and np.isnan(row["gap_to_target"])
    assert np.isnan(row["gap_to_benchmark"]) and row["suppressed"]
    subjects = [p.subject for p in [*summary.strengths, *summary.priorities]]
    assert "Measuring the customer experience" not in subjects
    shown = summary.maturity["mean"].dropna()
    assert len(shown) == 9 and summary.overall == pytest.approx(shown.mean())


def test_polish_summary_writes_decimal_commas():
    _, summary = _summary("kestrel-mobile", lang="pl")
    assert summary.headline.startswith("Średnia dojrzałość CEM wynosi 6,3 w skali 1-10, 0,7 "
                                       "poniżej celu 7,0")
    assert "+15 pkt od 2025 (p = 0,001)" in summary.headline
    assert summary.strengths[0].sentence.endswith("miejsce 1 z 10, 0,3 powyżej celu 7,0.")
