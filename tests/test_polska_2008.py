"""data/polska-2008.csv reproduces every published figure of the 2008 study (issue 5, F1-F12).

The data are read with cemlab's own loader, percentages come from `cemlab.agreement`, means and
the lowest item from `cemlab.scorecard`, and the figures from the shipped benchmark table, so
the data, the table and the analyses cannot drift apart. Correlations are Spearman's rho over
all respondents, recomputed here with pandas as a check independent of cemlab (test_study.py
gets them from `cemlab.correlations`, as the reproduction notebook shows them).
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


@pytest.fixture(scope="module")
def figures(survey) -> dict[str, pd.DataFrame]:
    """cemlab's agreement table (indexed by item, group) and scorecard (indexed by item)."""
    agreement = cemlab.agreement(survey).set_index(["item", "group"])
    card = cemlab.scorecard(survey, benchmark=None).set_index("item")
    return {"agreement": agreement, "scorecard": card}


def _mean(card: pd.DataFrame, item: str, group: str) -> float:
    return float(card.loc[item, "mean" if group == "all" else f"mean_{group}"])


def _reproduce(responses: pd.DataFrame, figures: dict, row: pd.Series) -> tuple[float, bool]:
    """The figure as recomputed from the data, and whether it matches the published one."""
    agreement, card = figures["agreement"], figures["scorecard"]
    if row.statistic == "spearman_r":
        data = responses if row.group == "all" else responses[responses.role == row.group]
        corr = data[INSTRUMENT.item_ids].corr(method="spearman")
        got = float(corr.loc[row["item"], row.other_item])
        if row.relation == "max":
            upper = corr.where(np.triu(np.ones(corr.shape, dtype=bool), k=1)).stack()
            return got, got == upper.max() and (upper == got).sum() == 1
    elif row.statistic == "mean":
        got = _mean(card, row["item"], row.group)
        if row.relation == "min":
            assert row.group == "all"
            return got, bool(card.loc[row["item"], "lowest"]) and card["lowest"].sum() == 1
    else:
        got = float(agreement.loc[(row["item"], row.group), row.statistic])
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
def test_published_figure_is_reproduced(responses, figures, index):
    row = BENCH.iloc[index]
    got, ok = _reproduce(responses, figures, row)
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
