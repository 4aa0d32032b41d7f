"""Each section's view: the compact table's rows and columns, its one note, and the chart."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cemlab import plots, sections
from cemlab.agreement import agreement, agreement_gap
from cemlab.i18n import Language
from cemlab.instrument import load_instrument
from cemlab.labels import client_table
from cemlab.report import confidential
from cemlab.survey import Survey

CEM = load_instrument("cem-maturity")
MIN = 5


def _survey(managers: int, staff: int, seed: int = 0) -> Survey:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.integers(1, 11, size=(managers + staff, 6)),
                         columns=CEM.item_ids[:6])
    frame.insert(0, "role", ["staff"] * staff + ["management"] * managers)
    return Survey(frame, CEM, min_group_size=MIN)


def _agreement_view(survey: Survey, lang: Language = Language("en")) -> sections.View:
    shares = confidential(agreement(survey, min_group_size=MIN), MIN)
    gaps = confidential(agreement_gap(survey, min_group_size=MIN), MIN)
    return sections.agreement_view(shares, gaps, survey, lang, min_group_size=MIN)


@settings(max_examples=10, deadline=None)
@given(managers=st.integers(1, MIN - 1), staff=st.integers(MIN + 5, 60), seed=st.integers(0, 99))
def test_a_small_group_gives_the_overall_figures_and_one_note(managers, staff, seed):
    view = _agreement_view(_survey(managers, staff, seed))
    assert view.source == "agreement" and set(view.table["group"]) == {"all"}
    assert len(view.table) == 6 and not view.table["suppressed"].any()
    assert "Management" in view.note and f"fewer than {MIN}" in view.note
    assert not any("management" in c or "staff" in c for c in view.columns)
    shown = client_table(view.table, view.columns, "en", CEM)
    assert "hidden" not in shown.to_numpy().ravel()
    assert view.chart is plots.diverging_bars and view.chart_options["groups"] == ["all"]


def test_two_groups_large_enough_give_the_gap_largest_first():
    view = _agreement_view(_survey(20, 60))
    assert view.source == "agreement_gap" and not view.note
    assert view.columns == ["statement", "pct_agree_management", "pct_agree_staff", "gap_pct",
                            "significant"]
    gaps = view.table["gap_pct"].abs().to_list()
    assert gaps == sorted(gaps, reverse=True)
    headings = list(client_table(view.table, view.columns, "pl", CEM).columns)
    assert headings[1] == "% zgadza się — kierownictwo"


def test_a_polish_note_names_the_group_in_polish():
    view = _agreement_view(_survey(3, 40), Language("pl"))
    assert view.note.startswith("Kierownictwo:") and "mniej niż 5" in view.note


@pytest.mark.parametrize("section", ["nps", "trend"])
def test_a_section_without_its_data_is_absent(section):
    survey = _survey(20, 60)
    lang = Language("en")
    view = (sections.nps_view(None, None, lang) if section == "nps"
            else sections.trend_view(None, None, survey, lang))
    assert view.absent and view.table is None
    shown, left_out = sections.sections_with_data(["cover", section, "quality"], feedback=None,
                                                  previous=None, lang=lang)
    assert shown == ["cover", "quality"] and list(left_out) == [section]


def test_every_section_has_an_intro_in_both_languages_without_method_names():
    for section in sections.CLIENT_SECTIONS:
        for code in ("en", "pl"):
            text = sections.intro(section, Language(code))
            assert 2 <= text.count(".") + text.count(";") and len(text) > 80
            for method in ("Fisher", "Holm", "Feldt", "Welch", "Cronbach", "Spearman", "Wald"):
                assert method not in text, (section, code, method)
        assert sections.intro(section, Language("pl")) != sections.intro(section, Language("en"))


def test_hidden_data_quality_counts_leave_the_table_with_one_note():
    from cemlab.report import data_quality

    survey = _survey(20, 60)
    survey.responses.loc[survey.responses.index[:2], CEM.item_ids[0]] = np.nan  # 2 missing
    table = confidential(data_quality(survey, MIN), MIN)
    assert table["suppressed"].any()  # the count of 2 is hidden in the kept table
    view = sections.quality_view(table, survey, Language("en"), min_group_size=MIN)
    assert not view.table["suppressed"].any() and len(view.table) < len(table)
    assert view.note.startswith("Counts from 1 to 4 are not shown")
