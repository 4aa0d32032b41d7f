"""Findings: ranked by what matters to the client, summarised, nothing from a hidden group."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from babel.messages.pofile import read_po
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportions_ztest

from cemlab import Survey, load_instrument
from cemlab.findings import COLUMNS, findings, p_text
from cemlab.i18n import catalogue_path
from cemlab.params import load_client
from cemlab.synth import generate
from cemlab.trend import nps_trend

CEM = load_instrument("cem-maturity")
PARAMS = Path(__file__).resolve().parents[1] / "params"


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


def _client_findings(slug: str, lang: str = "en") -> pd.DataFrame:
    client = load_client(PARAMS / f"{slug}.yaml")
    params = client.params
    return findings(client.survey, feedback=client.feedback, previous=client.previous,
                    previous_feedback=client.previous_feedback, target=params.target,
                    benchmark=params.benchmark, min_group_size=params.min_group_size, lang=lang)


@pytest.fixture(scope="module")
def demo() -> dict[str, pd.DataFrame]:
    return {slug: _client_findings(slug) for slug in ("kestrel-mobile", "bank-wislany",
                                                       "brightmart")}


def _first_is_news(table: pd.DataFrame) -> bool:
    first = table.iloc[0]
    return bool(first["significant"]) or (first["kind"] == "nothing significant"
                                          and np.isnan(first["value"]))


def test_the_study_headline_as_a_sentence():
    # 63 of 100 managers and 41 of 100 staff agree: 22 points. All expected counts >= 5, so the
    # z-test; statsmodels proportions_ztest([63, 41], [100, 100]) p = 0.00184; Holm over the
    # three statements (the other two have no gap, p = 1) multiplies the smallest p by 3.
    table = findings(_survey(100, 100, 63, 41), benchmark=None)
    _, p = proportions_ztest([63, 41], [100, 100])
    p_holm = multipletests([p, 1.0, 1.0], method="holm")[1][0]
    assert round(p_holm, 4) == 0.0055
    first = table.iloc[0]
    assert first["kind"] == "largest gap" and first["rank"] == 1 and first["significant"]
    assert first["finding"] == (
        "63% of management but only 41% of staff agree that leaders make decisions that are "
        f"consistent with our customer experience strategy (22 points; p = {p_holm:.3f})."
    )
    assert first["value"] == pytest.approx(22.0) and first["unit"] == "points"
    assert first["items"] == "lead_decisions" and first["p_adjusted"] == p_holm
    assert not first["always_reported"]
    # the lowest statement has no test behind it: reported, last, and flagged as such
    lowest = table[table["kind"] == "lowest"].iloc[0]
    assert lowest["always_reported"] and not lowest["significant"]
    assert lowest["rank"] > first["rank"] and lowest["unit"] == "mean (1-10)"
    assert table.columns.tolist() == COLUMNS


def test_a_gap_that_is_not_significant_is_said_to_be_so_and_never_first():
    # 6 of 10 vs 5 of 10: expected counts below 5 -> Fisher; p = 1 (scipy fisher_exact)
    table = findings(_survey(10, 10, 6, 5), benchmark=None)
    gap = table[table["kind"] == "largest gap"].iloc[0]
    assert "not significant after adjustment" in gap["finding"]
    assert "10 points" in gap["finding"] and "(60% against 50% agree)" in gap["finding"]
    assert gap["always_reported"] and not gap["significant"] and gap["rank"] > 1
    assert (table["kind"] != "gap").all()  # no other gap finding without significance
    assert _first_is_news(table)


def test_nothing_from_a_suppressed_group_reaches_a_finding():
    # staff has 3 respondents (< 5): no staff share, no gap in any sentence
    table = findings(_survey(20, 3, 15, 0), benchmark=None)
    gap = table[table["kind"] == "largest gap"].iloc[0]
    assert gap["finding"].startswith("No management - staff gap can be reported")
    assert np.isnan(gap["value"]) and np.isnan(gap["p_adjusted"])
    assert not table["finding"].str.contains("of staff").any()
    assert (table["kind"] != "gap").all()


def test_target_findings_and_the_limit_keep_the_always_reported_facts():
    survey = _survey(100, 100, 63, 41)
    table = findings(survey, target=9, benchmark=None, max_findings=4)
    assert len(table) == 4 and table["rank"].tolist() == [1, 2, 3, 4]
    assert "lowest" in table["kind"].tolist()  # the significant ones give way first
    target = findings(survey, target=9, benchmark=None).query("kind == 'target'")
    # every statement's mean is well below 9 (lead_decisions: (104*8 + 96*2)/200 = 5.12)
    assert target["finding"].iloc[0].startswith("3 of 3 statements score significantly below "
                                                "the target of 9")
    assert target["unit"].iloc[0] == "scale points"


def test_kestrel_leads_with_its_nps_change_not_a_gap_that_is_not_significant(demo):
    client = load_client(PARAMS / "kestrel-mobile.yaml")
    # the expected figures are cemlab.trend.nps_trend's (adjusted-Wald z-test, Rocks 2016):
    # 2.4 (2025, n = 588) -> 17.0 (2026, n = 583), +14.6 points, z = 3.28, p = 0.00105
    change = nps_trend(client.feedback, client.previous_feedback, min_group_size=5).iloc[0]
    assert change["change"] == pytest.approx(14.600, abs=1e-3)
    assert change["p_value"] == pytest.approx(0.00105, abs=1e-5)
    table = demo["kestrel-mobile"]
    first = table.iloc[0]
    assert first["kind"] == "nps change" and first["significant"]
    assert first["value"] == pytest.approx(change["change"]) and first["unit"] == "NPS points"
    assert first["p_adjusted"] == pytest.approx(change["p_value"])
    assert first["finding"] == ("The Net Promoter Score rose 15 points since 2025, from 2 to 17 "
                                "(p = 0.001).")
    # its 20-point gap (lead_champions, p = 0.116 after Holm) is not significant: reported
    # after the news, as such
    gap = table[table["kind"] == "largest gap"].iloc[0]
    assert not gap["significant"] and gap["always_reported"]
    assert table.loc[~table["always_reported"], "rank"].max() < gap["rank"]
    # customers' key weaknesses (importance interval above the mean share, 100 / 5 = 20%)
    weaknesses = table[table["kind"] == "key weakness"]
    assert weaknesses["items"].tolist() == ["sat_service", "sat_onboarding"]
    assert "sat_overall" not in ", ".join(table["items"])  # an outcome, not a driver


def test_bank_wislany_summarises_its_gaps_and_repeats_no_sentence(demo):
    table = demo["bank-wislany"]
    assert table["finding"].is_unique
    gaps = table[table["kind"].isin(["gap", "largest gap"])]
    assert len(gaps) == 1  # seven significant gaps the same way: one sentence
    row = gaps.iloc[0]
    # agreement_gap: significant (Holm) on 7 of 21 statements, 25.7 to 53.7 points; widest
    # lead_commitment, 30 of 35 managers (85.7%) against 56 of 175 staff (32.0%)
    assert row["finding"].startswith("Management agree more often than staff on 7 of 21 "
                                     "statements, by 26 to 54 points; widest: 86% against 32%")
    assert row["items"].split(", ") == ["lead_decisions", "lead_commitment", "lead_champions",
                                        "cust_rating", "brand_promise", "brand_touchline",
                                        "kpi_monitor"]
    assert row["value"] == pytest.approx(53.714, abs=1e-3) and row["rank"] == 1
    # no two sentences are written from one template with other numbers in it
    templates = table["finding"].str.replace(r"[\d.,%–]+", "#", regex=True)
    assert templates.is_unique


def test_brightmart_shows_no_management_figure(demo):
    table = demo["brightmart"]
    assert _first_is_news(table)
    assert not table["finding"].str.contains("of management|Management agree", regex=True).any()
    assert table.loc[table["kind"] == "largest gap", "value"].isna().all()
    gap = table[table["kind"] == "largest gap"].iloc[0]
    assert gap["finding"].startswith("No management - staff gap can be reported")
    assert gap["always_reported"]


def _words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-z]{4,}", re.sub(r"\{\w+\}", " ", text))}


def _english_only_words() -> set[str]:
    """Words of the English texts that no Polish translation uses (e.g. "agree", "points")."""
    with catalogue_path("pl").open("rb") as handle:
        catalog = read_po(handle, locale="pl")
    english = set().union(*(_words(m.id) for m in catalog if m.id))
    polish = set().union(*(_words(m.string) for m in catalog if m.id))
    return english - polish  # "Net Promoter Score" is Polish too


def test_polish_findings_have_decimal_commas_and_no_english_words():
    table = _client_findings("kestrel-mobile", lang="pl")
    english = _english_only_words()
    assert {"agree", "points", "significant", "statements"} <= english
    statements = sorted((text for item in [*CEM.items, *load_instrument(
        "customer-feedback").items] for text in (item.text, item.text[:1].lower()
                                                 + item.text[1:])), key=len, reverse=True)
    for sentence in table["finding"]:
        # client texts (statements) are the language helper's; the sentence around them is ours
        for statement in statements:
            sentence = sentence.replace(statement.rstrip("."), "")
        found = _words(sentence) & english
        assert not found, f"English in {sentence!r}: {found}"
        assert not re.search(r"\d\.\d", sentence), sentence  # 6,3 not 6.3
    assert "6,3 w skali 1-10" in table.loc[table["kind"] == "key weakness", "finding"].iloc[0]
    assert table.iloc[0]["unit"] == "pkt NPS"


def test_p_text():
    assert p_text(0.0004) == "p < 0.001" and p_text(0.0123) == "p = 0.012"
    assert p_text(0.0123, "pl") == "p = 0,012"


@lru_cache(maxsize=1)
def _pool() -> pd.DataFrame:
    """A synth client with a real management - staff divide, to draw smaller surveys from."""
    return generate({"groups": {"management": 40, "staff": 80},
                     "default": {"management": {"pct_agree": 70}, "staff": {"mean": 5.0}},
                     "dimensions": {"measurement": {"management": {"mean": 5.0},
                                                     "staff": {"mean": 6.5}}}},
                    seed=11).set_index("respondent_id")


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(management=st.integers(1, 40), staff=st.integers(5, 80), seed=st.integers(0, 2**16),
       target=st.one_of(st.none(), st.floats(3.0, 9.0)))
def test_rank_one_is_news_and_no_sentence_repeats(management, staff, seed, target):
    # surveys of any size drawn from one generated client (synth's calibration is the slow
    # part): small groups, hidden groups, gaps that are and are not significant
    pool = _pool()
    rng = np.random.default_rng(seed)
    chosen = [rng.choice(pool.index[pool["role"] == role], size, replace=False)
              for role, size in (("management", management), ("staff", staff))]
    survey = Survey(responses=pool.loc[np.concatenate(chosen)], instrument=CEM)
    table = findings(survey, target=target, min_group_size=5)
    assert _first_is_news(table)
    assert table["finding"].is_unique
    assert table["rank"].tolist() == list(range(1, len(table) + 1))
    # the significant findings come before every always-reported one
    flags = table["always_reported"].tolist()
    assert flags == sorted(flags)
    if management < 5:  # a hidden group gives no share, and no gap
        assert not table["finding"].str.contains("of management").any()
        assert table.loc[table["kind"].isin(["gap", "largest gap"]), "value"].isna().all()


def test_polish_findings_quote_the_polish_statements():
    # cem-maturity ships each statement in English and Polish: a Polish report quotes Polish
    found = " ".join(_client_findings("bank-wislany", "pl")["finding"])
    cem = load_instrument("cem-maturity")
    english = [cem.text_of(i, "en") for i in cem.item_ids]
    polish = [cem.text_of(i, "pl") for i in cem.item_ids]
    assert not [t for t in english if t.lower().rstrip(".") in found.lower()]
    assert any(t.lower().rstrip(".") in found.lower() for t in polish)
