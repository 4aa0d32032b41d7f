"""The 2008 study reproduced by cemlab's analyses, and the workshop's per-practice view."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cemlab import Survey, load
from cemlab.study import PracticeBrief, practice_brief, practice_view, reproduce_2008

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


def test_practice_brief_quotes_the_study_and_states_the_data():
    survey = load(DATA)
    brief = practice_brief(survey, "leadership")
    assert brief.title == "Leadership commitment to the customer experience"
    assert brief.statements[0].startswith("Leaders make decisions")
    # F1 to F4 touch a leadership statement (cemlab/benchmarks/polska-2008.csv)
    assert [line[:3] for line in brief.study] == ["F1:", "F1:", "F2:", "F3:", "F4:"]
    view = practice_view(survey, "leadership").set_index(["item", "group"])
    management = view.loc[("lead_decisions", "management"), "pct_agree"]
    staff = view.loc[("lead_decisions", "staff"), "pct_agree"]
    assert f"{management:.0f}% of management (n = 140" in brief.data[0]
    assert f"{staff:.0f}% of staff (n = 260" in brief.data[0]
    assert f"management {round(management - staff)} points ahead" in brief.data[0]
    # a practice the study published nothing on says so
    empty = practice_brief(survey, "cem_before_crm")
    assert empty.study == ()
    assert "The study published no figure" in empty._repr_html_()


def test_practice_brief_hides_a_small_group_and_escapes_text():
    survey = load(DATA)
    managers = survey.responses.index[survey.groups == "management"][:3]
    few = survey.responses[(survey.groups == "staff") | survey.responses.index.isin(managers)]
    small = Survey(few, survey.instrument)
    brief = practice_brief(small, "kpis")
    assert "management: too few answers to show" in brief.data[0]
    assert "points ahead" not in brief.data[0]
    assert "n = 3" not in str(brief)
    hostile = PracticeBrief("x", "<script>alert(1)</script>", ("a & b",), (), ())
    assert "<script>" not in hostile._repr_html_()
    assert "a &amp; b" in hostile._repr_html_()


def test_a_suppressed_or_absent_figure_says_so_instead_of_nan():
    survey = load(DATA)
    managers = survey.responses.index[survey.groups == "management"][:3]
    few = survey.responses[(survey.groups == "staff") | survey.responses.index.isin(managers)]
    table = reproduce_2008(Survey(few, survey.instrument)).set_index(["figure", "group"])
    assert table.loc[("F1", "management"), "reproduced"] == "suppressed (too few answers)"
    assert not table.loc[("F1", "management"), "ok"]
    brief = practice_brief(Survey(few, survey.instrument), "leadership")
    assert "nan" not in str(brief)
    # staff is hidden too (the total minus staff would give the 3 managers away)
    assert "staff: not shown, so that a smaller group cannot be worked out" in brief.data[0]
    # a file without one of the study's statements: the figure says so, no traceback
    short = Survey(survey.responses.drop(columns=["kpi_reward"]), survey.instrument)
    f12 = reproduce_2008(short).set_index("figure").loc["F12"]
    assert f12["reproduced"] == "not in the data (kpi_reward)" and not f12["ok"]
