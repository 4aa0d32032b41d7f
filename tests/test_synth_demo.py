"""The demo clients look like real companies, every one of them: no practice profile is a copy.

Issue 11 §9: seven of Brightmart's ten practices once had a mean of exactly 4.63 and every
Kestrel statement had moved +0.45 to +0.49 since the last wave. These checks hold for every
demo client the generator makes (``demo: true`` studies), read from the committed files the way
a report reads them (``params/<client>.yaml``); the study's own targets are
tests/test_polska_2008.py's.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cemlab.params import load_client
from cemlab.scorecard import dimension_scorecard, scored
from cemlab.synth import demo_studies
from cemlab.trend import nps_trend, trend

ROOT = Path(__file__).resolve().parents[1]
CLIENTS = [study.name for study in demo_studies()]


@pytest.fixture(scope="module", params=CLIENTS)
def client(request):
    return load_client(ROOT / "params" / f"{request.param}.yaml")


def _practice_means(client) -> pd.Series:
    # over everyone, as the report's scorecard by best practice shows them (no group hidden:
    # the demo data themselves are checked, a small group counts towards the means it moves)
    card = dimension_scorecard(client.survey, min_group_size=1)
    return card.set_index("dimension")["mean"]


def _group_practice_means(client, group: str) -> pd.Series:
    survey = client.survey
    in_group = (survey.responses[survey.instrument.groups.column] == group).to_numpy()
    means = {}
    for dim in survey.instrument.dimensions:
        scores = np.column_stack([scored(survey, item.id) for item in dim.items])[in_group]
        answered = ~np.isnan(scores).all(axis=1)
        means[dim.id] = np.nanmean(scores[answered], axis=1).mean()
    return pd.Series(means)


def test_there_are_demo_clients_to_check():
    assert {"brightmart", "kestrel-mobile", "bank-wislany", "harbor-mutual"} <= set(CLIENTS)


def test_practice_means_are_distinct_and_spread(client):
    means = _practice_means(client).round(2)
    assert len(means) == 10
    shared = means.value_counts()
    assert shared.max() < 3, f"{client.params.client}: {shared[shared >= 3].to_dict()}"
    assert means.max() - means.min() >= 1.0, means.to_dict()
    # within the answer scale's believable middle: no practice at the floor or the ceiling
    assert means.between(3.0, 8.5).all(), means.to_dict()


def test_statements_within_a_practice_differ(client):
    survey = client.survey
    # each statement's deviation from its practice's mean: not all statements equal
    deviations = []
    for dim in survey.instrument.dimensions:
        item_means = np.array([np.nanmean(scored(survey, item.id)) for item in dim.items])
        deviations += list(item_means - item_means.mean())
        assert np.ptp(item_means) >= 0.1, (client.params.client, dim.id, item_means)
    assert np.std(deviations, ddof=1) >= 0.2


def test_management_staff_gaps_vary_by_practice(client):
    gaps = (_group_practice_means(client, "management")
            - _group_practice_means(client, "staff"))
    assert gaps.std(ddof=1) >= 0.3, gaps.round(2).to_dict()
    assert gaps.median() > 0  # management usually the more positive
    assert (gaps.abs() < 0.25).any(), gaps.round(2).to_dict()  # and on some practice level


def test_wave_on_wave_changes_differ_by_statement():
    clients = [c for c in (load_client(ROOT / "params" / f"{n}.yaml") for n in CLIENTS)
               if c.previous is not None]
    assert clients, "no demo client has a previous wave"
    for client in clients:
        changes = trend(client.survey, client.previous)["change_mean"]
        assert changes.std(ddof=1) >= 0.15, changes.round(2).tolist()
        assert changes.max() >= 0.5  # some statements clearly up
        assert changes.min() <= 0.0  # some flat or down
        assert (changes < -0.1).any()  # at least one really down
        if client.feedback is not None and client.previous_feedback is not None:
            now, then = client.feedback.responses, client.previous_feedback.responses
            touchpoints = [c for c in now.columns if c.startswith("sat_") and c != "sat_overall"]
            moved = now[touchpoints].mean() - then[touchpoints].mean()
            assert moved.std(ddof=1) >= 0.15, moved.round(2).to_dict()
            change = nps_trend(client.feedback, client.previous_feedback).iloc[0]
            assert change["change"] > 0 and change["p_value"] < 0.01
