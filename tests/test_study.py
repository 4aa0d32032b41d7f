"""The 2008 study reproduced by cemlab's analyses, and the workshop's per-practice view."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cemlab import Survey, load
from cemlab.study import practice_view, reproduce_2008

DATA = Path(__file__).resolve().parents[1] / "data" / "polska-2008.csv"


def test_every_published_figure_is_reproduced():
    # the published figures: cemlab/benchmarks/polska-2008.csv (F1-F12 of the 2008 study)
    table = reproduce_2008()
    assert list(dict.fromkeys(table["figure"])) == [f"F{i}" for i in range(1, 13)]
    assert table["ok"].all(), table.loc[~table["ok"], ["figure", "published", "reproduced"]]
    f1 = table[table["figure"] == "F1"].set_index("group")
    assert f1.loc["management", "published"] == "63%"
    assert abs(f1.loc["management", "value"] - 63) <= 1


def test_altered_data_fails_the_figures_it_touches(tmp_path):
    frame = pd.read_csv(DATA)
    management = frame["role"] == "management"
    frame.loc[management, "lead_decisions"] = 10  # everyone in management now agrees
    frame.loc[:, "kpi_reward"] = 2  # nobody agrees
    altered = tmp_path / "altered.csv"
    frame.to_csv(altered, index=False)
    table = reproduce_2008(altered).set_index(["figure", "group"])
    assert not table.loc[("F1", "management"), "ok"]
    assert table.loc[("F1", "management"), "value"] == 100.0
    assert not table.loc[("F12", "all"), "ok"]
    assert table.loc[("F1", "staff"), "ok"]  # untouched figures still hold


def test_practice_view_shows_one_practice_by_group():
    survey = load(DATA)
    view = practice_view(survey, "kpis").set_index(["item", "group"])
    assert set(view.index.get_level_values("item")) == {"kpi_monitor", "kpi_reward"}
    # F12: kpi_reward 47% agree over all respondents
    assert abs(view.loc[("kpi_reward", "all"), "pct_agree"] - 47) <= 1
    staff = survey.responses.loc[survey.groups == "staff", "kpi_reward"]
    assert view.loc[("kpi_reward", "staff"), "mean"] == pytest.approx(staff.mean())
    with pytest.raises(ValueError, match="no best practice 'kpi'"):
        practice_view(survey, "kpi")


def test_practice_view_hides_a_small_group():
    survey = load(DATA)
    managers = survey.responses.index[survey.groups == "management"][:3]
    few = survey.responses[(survey.groups == "staff") | survey.responses.index.isin(managers)]
    small = Survey(few, survey.instrument)
    view = practice_view(small, "kpis").set_index(["item", "group"])
    assert np.isnan(view.loc[("kpi_reward", "management"), "pct_agree"])
    assert np.isnan(view.loc[("kpi_reward", "management"), "mean"])
