"""data/polska-2008.csv reproduces every published figure of the 2008 study (issue 5, F1-F12).

The data are read with cemlab's own loader and the figures come from the shipped benchmark
table, so the data, the table and this test cannot drift apart. Percentages are of respondents who answered; agree = 7-10, disagree = 1-4 (the
cem-maturity bands); correlations are Spearman's rho over all respondents.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cemlab
from cemlab import load_instrument
from cemlab.benchmarks import load_benchmark
from cemlab.synth import load_study

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "polska-2008.csv"
INSTRUMENT = load_instrument("cem-maturity")
BENCH = load_benchmark("polska-2008")


@pytest.fixture(scope="module")
def survey() -> cemlab.Survey:
    return cemlab.load(DATA, "cem-maturity")


@pytest.fixture(scope="module")
def responses(survey) -> pd.DataFrame:
    return survey.responses


def _group(responses: pd.DataFrame, group: str) -> pd.DataFrame:
    return responses if group == "all" else responses[responses["role"] == group]


def _statistic(answers: pd.Series, statistic: str) -> float:
    answers = answers.dropna()
    agree = answers.between(*INSTRUMENT.bands.agree).mean() * 100
    disagree = answers.between(*INSTRUMENT.bands.disagree).mean() * 100
    return {"pct_agree": agree, "pct_disagree": disagree, "net_agree": agree - disagree,
            "mean": answers.mean()}[statistic]


def _reproduce(responses: pd.DataFrame, row: pd.Series) -> tuple[float, bool]:
    """The figure as recomputed from the data, and whether it matches the published one."""
    data = _group(responses, row.group)
    if row.statistic == "spearman_r":
        corr = data[INSTRUMENT.item_ids].corr(method="spearman")
        got = float(corr.loc[row["item"], row.other_item])
        if row.relation == "max":
            upper = corr.where(np.triu(np.ones(corr.shape, dtype=bool), k=1)).stack()
            return got, got == upper.max() and (upper == got).sum() == 1
    else:
        got = float(_statistic(data[row["item"]], row.statistic))
        if row.relation in ("max", "min"):
            every = data[INSTRUMENT.item_ids].apply(lambda s: _statistic(s, row.statistic))
            extreme = every.max() if row.relation == "max" else every.min()
            return got, got == extreme and (every == extreme).sum() == 1
    ok = {
        "eq": abs(got - row.value) <= row.tolerance + 1e-9,
        "gt": got > row.value,
        "ge": got >= row.value,
    }[row.relation]
    return got, ok


def test_sample_sizes_match_the_data_readme(survey):
    # data/README.md: 140 management, 260 staff, every answer 1-10, nothing excluded
    assert survey.group_sizes().to_dict() == {"management": 140, "staff": 260}
    assert survey.item_ids == INSTRUMENT.item_ids
    assert survey.items.isin(range(1, 11)).all().all()
    assert survey.quality.issues == []
    raw = pd.read_csv(DATA)
    assert list(raw.columns) == ["respondent_id", "role", *INSTRUMENT.item_ids]


def test_every_figure_f1_to_f12_is_in_the_benchmark():
    assert sorted(set(BENCH.figure), key=lambda f: int(f[1:])) == [f"F{i}" for i in range(1, 13)]


@pytest.mark.parametrize("index", range(len(BENCH)),
                         ids=[f"{r.figure}-{r['item']}-{r.group}-{r.statistic}-{r.relation}"
                              for _, r in BENCH.iterrows()])
def test_published_figure_is_reproduced(responses, index):
    row = BENCH.iloc[index]
    got, ok = _reproduce(responses, row)
    assert ok, f"{row.figure} {row['item']} {row.group} {row.statistic}: got {got:.3f}, " \
               f"published {row.relation} {row.value}"


def test_hand_checked_figures(responses):
    # counted by hand from the file: 88 of 140 managers and 107 of 260 staff score 7-10
    management = responses[responses.role == "management"]
    staff = responses[responses.role == "staff"]
    assert (management.lead_decisions >= 7).sum() == 88  # 62.9%, published 63%
    assert (staff.lead_decisions >= 7).sum() == 107  # 41.2%, published 41%
    assert responses.meas_scorecard.sum() == 1840  # mean 4.60 over 400 respondents
    assert (responses.kpi_monitor >= 7).sum() == (responses.kpi_monitor <= 4).sum() == 144


def test_regenerating_gives_the_same_bytes(tmp_path):
    [written] = load_study("polska-2008").write(tmp_path)
    assert written.name == DATA.name
    assert written.read_bytes() == DATA.read_bytes()
