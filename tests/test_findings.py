"""Findings: the sentences, their numbers, and nothing from a suppressed group."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportions_ztest

from cemlab import Survey, load_instrument
from cemlab.findings import findings, p_text

CEM = load_instrument("cem-maturity")


def _survey(management: int, staff: int, agree_management: int, agree_staff: int) -> Survey:
    """lead_decisions: agree = 8, disagree = 2; lead_commitment the same for both groups."""
    decisions = ([8.0] * agree_management + [2.0] * (management - agree_management)
                 + [8.0] * agree_staff + [2.0] * (staff - agree_staff))
    # the same answers in each group (no gap), spread over the scale and correlated
    commitment = [float(1 + (i * 7) % 10) for size in (management, staff) for i in range(size)]
    champions = [float(1 + (i * 7) % 10) if i % 3 else float(10 - (i * 7) % 10)
                 for size in (management, staff) for i in range(size)]
    frame = pd.DataFrame({
        "respondent_id": range(1, management + staff + 1),
        "role": ["management"] * management + ["staff"] * staff,
        "lead_decisions": decisions,
        "lead_commitment": commitment,
        "lead_champions": champions,
    })
    return Survey(responses=frame.set_index("respondent_id"), instrument=CEM)


def test_the_study_headline_as_a_sentence():
    # 63 of 100 managers and 41 of 100 staff agree: 22 points. All expected counts >= 5, so the
    # z-test; statsmodels proportions_ztest([63, 41], [100, 100]) p = 0.00184; Holm over the
    # three statements (the other two have no gap, p = 1) multiplies the smallest p by 3.
    table = findings(_survey(100, 100, 63, 41), benchmark=None)
    _, p = proportions_ztest([63, 41], [100, 100])
    p_holm = multipletests([p, 1.0, 1.0], method="holm")[1][0]
    assert round(p_holm, 4) == 0.0055
    first = table.iloc[0]
    assert first["kind"] == "largest gap" and first["rank"] == 1
    assert first["finding"] == (
        "63% of management but only 41% of staff agree that leaders make decisions that are "
        f"consistent with our customer experience strategy (22 points; p = {p_holm:.3f})."
    )
    assert first["value"] == pytest.approx(22.0) and first["items"] == "lead_decisions"
    assert first["p_adjusted"] == p_holm
    kinds = table["kind"].tolist()
    assert kinds[:3] == ["largest gap", "lowest", "strongest correlation"]
    # the highest statement has no test behind it, so it is no finding (issue 3: only
    # significant results, besides the three every report has)
    assert "highest" not in kinds
    assert table.columns.tolist() == ["rank", "kind", "finding", "items", "value", "p_adjusted"]


def test_a_gap_that_is_not_significant_is_said_to_be_so():
    # 6 of 10 vs 5 of 10: expected counts below 5 -> Fisher; p = 1 (scipy fisher_exact)
    table = findings(_survey(10, 10, 6, 5), benchmark=None)
    gap = table[table["kind"] == "largest gap"].iloc[0]
    assert "not significant after adjustment" in gap["finding"]
    assert "10 points" in gap["finding"] and "(60% vs 50% agree)" in gap["finding"]
    assert (table["kind"] != "gap").all()  # no other gap finding without significance


def test_nothing_from_a_suppressed_group_reaches_a_finding():
    # staff has 3 respondents (< 5): no staff share, no gap in any sentence
    table = findings(_survey(20, 3, 15, 0), benchmark=None)
    gap = table[table["kind"] == "largest gap"].iloc[0]
    assert gap["finding"].startswith("No management - staff gap can be reported")
    assert np.isnan(gap["value"]) and np.isnan(gap["p_adjusted"])
    assert not table["finding"].str.contains("of staff").any()
    assert (table["kind"] != "gap").all()


def test_target_findings_and_the_limit():
    survey = _survey(100, 100, 63, 41)
    table = findings(survey, target=9, benchmark=None, max_findings=4)
    assert len(table) == 4 and table["rank"].tolist() == [1, 2, 3, 4]
    target = findings(survey, target=9, benchmark=None).query("kind == 'target'")
    # every statement's mean is well below 9 (lead_decisions: (104*8 + 96*2)/200 = 5.12)
    assert target["finding"].iloc[0].startswith("3 of 3 statements score significantly below "
                                                "the target of 9")


def test_p_text():
    assert p_text(0.0004) == "p < 0.001" and p_text(0.0123) == "p = 0.012"
