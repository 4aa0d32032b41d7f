"""Each report section as a client reads it: what it means for the business, one chart, one
compact table (the statement and at most five figures); the full tables go to the appendix.

A view is built from the tables `cemlab.report.ReportTables.add` kept (as the client may see
them), so it shows no figure the workbook does not: it picks rows and columns, it computes
nothing. Where a group is too small to show, the section shows every respondent's figures
instead and says, once, why the group is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from cemlab import plots
from cemlab.correlation import top_pairs
from cemlab.i18n import Language
from cemlab.instrument import Instrument
from cemlab.labels import word
from cemlab.survey import Survey
from cemlab.trend import SIGNIFICANCE

#: The sections whose cells the notebook shows, in report order (params ``sections``).
CLIENT_SECTIONS = ("agreement", "scorecard", "correlations", "reliability", "nps", "trend",
                   "quality")


def intro(section: str, lang: Language) -> str:
    """Two or three sentences on what the section means for the business (no method names)."""
    _ = lang.gettext
    texts = {
        "agreement": _(
            "Where managers and staff see the same practices in place, the customer strategy "
            "has reached the front line. A wide gap means management believes something happens "
            "that staff do not see: those practices are the first to explain, or to make real."),
        "scorecard": _(
            "How firmly each practice is in place today, statement by statement, on the survey's "
            "scale, against your target and the study of the Polish market. The lowest "
            "statements are where customers are most likely to feel a gap between promise and "
            "experience."),
        "correlations": _(
            "Statements that rise and fall together describe practices that move together: "
            "improving one tends to lift the others. The strongest pairs are the places where "
            "one initiative can pay off twice."),
        "reliability": _(
            "Whether the statements of each practice tell one consistent story. Where they do, "
            "the practice's average can be read as one figure; where they do not, read its "
            "statements one by one."),
        "nps": _(
            "How likely customers are to recommend you: the share of promoters minus the share "
            "of detractors, a score from -100 to 100. The segments show where loyalty is won "
            "and where it is lost."),
        "trend": _(
            "What changed since the previous survey, statement by statement. A change marked "
            "significant is larger than chance alone would explain; the others may be noise."),
        "quality": _(
            "What was read from your file, what was set aside and why. Only counts are shown: "
            "no one's answers appear in this report."),
    }
    return texts[section]


def no_data_reason(section: str, lang: Language) -> str:
    """Why a section is left out of a report: the data it needs was not given."""
    _ = lang.gettext
    return {
        "nps": _("NPS — no customer feedback was given"),
        "trend": _("Trend — no previous wave was given"),
    }[section]


def sections_with_data(sections: Sequence[str], *, feedback: object, previous: object,
                       lang: Language) -> tuple[list[str], dict[str, str]]:
    """``(sections the report shows, {section left out: why})``.

    A section whose data was not given (no customer feedback: no NPS; no previous wave: no
    trend) has no heading and no contents entry; the appendix lists it once, with the reason.
    """
    missing = {"nps": feedback is None, "trend": previous is None}
    shown = [s for s in sections if not missing.get(s, False)]
    left_out = {s: no_data_reason(s, lang) for s in sections if missing.get(s, False)}
    return shown, left_out


def fallback_note(section: str, lang: Language) -> str:
    """What a section says when its data cannot support it (the reason stays in the audit)."""
    _ = lang.gettext
    return {
        "agreement": _("Management and staff cannot be compared in this survey."),
        "scorecard": _("No statement has enough answers for a scorecard."),
        "correlations": _("No pair of statements has enough answers."),
        "reliability": _("No practice has enough answers."),
        "nps": _("The customer feedback has too few answers for an NPS."),
        "trend": _("The previous wave cannot be compared with this one."),
        "quality": _("No data-quality issues."),
    }[section]


@dataclass
class View:
    """One section as the client reads it.

    ``table`` holds the rows of a kept result table the compact table shows, ``columns`` the
    columns it shows (machine names); ``chart`` draws ``chart_table`` with ``chart_options``.
    ``note`` is the one line a section adds (a group not shown, or why there is no data).
    ``instrument`` names the statements (the feedback's, for NPS).
    """

    section: str
    #: the kept table (`ReportTables.add` name) whose rows ``table`` shows
    source: str = ""
    table: pd.DataFrame | None = None
    columns: list[str] = field(default_factory=list)
    chart: Callable[..., Any] | None = None
    chart_table: pd.DataFrame | None = None
    chart_options: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    instrument: Instrument | None = None
    #: True when the section has no data given at all (left out of the report)
    absent: bool = False


def _shown(table: pd.DataFrame | None) -> pd.DataFrame | None:
    """The rows of ``table`` that show figures (not suppressed), or None when none does."""
    if table is None or len(table) == 0:
        return None
    if "suppressed" in table.columns:
        table = table[~table["suppressed"].fillna(False).astype(bool)]
    return table if len(table) else None


def _empty(section: str, why: str, lang: Language, absent: bool) -> View:
    if absent:
        return View(section, absent=True)
    note = why if (why and lang.code == "en") else fallback_note(section, lang)
    return View(section, note=note)


def small_groups(survey: Survey, min_group_size: int) -> list[str]:
    """The groups (levels) of the survey with 1 to ``min_group_size - 1`` respondents."""
    sizes = survey.group_sizes()
    return [str(level) for level, n in sizes.items() if 0 < n < min_group_size]


def group_name(level: str, lang: Language, group_labels: Mapping[str, Sequence[str]] | None
               = None) -> str:
    """A group as the client calls it: its first label in the client's file in a report of
    that file's language, else the catalogue's word ("management" / "kierownictwo")."""
    labels = list((group_labels or {}).get(level, []))
    translated = word(level, lang)
    if translated != level or not labels:
        return translated
    return str(labels[0])


def _groups_note(hidden: Sequence[str], min_group_size: int, lang: Language,
                 group_labels: Mapping[str, Sequence[str]] | None) -> str:
    _ = lang.gettext
    names = ", ".join(group_name(level, lang, group_labels) for level in hidden)
    if not hidden:
        return _("Management and staff are not shown separately, so that no one's answers can "
                 "be told apart; the figures are of all respondents.")
    return _("{groups}: not shown separately, because fewer than {n} answered; the figures are "
             "of all respondents.").format(groups=names[:1].upper() + names[1:],
                                            n=lang.number(min_group_size, 0))


def agreement_view(agreement_table: pd.DataFrame | None, gap_table: pd.DataFrame | None,
                   survey: Survey, lang: Language, *, min_group_size: int, why: str = "",
                   group_labels: Mapping[str, Sequence[str]] | None = None) -> View:
    """% agree of management and staff with the gap, or of all respondents when a side is hidden.

    The gap is shown where both sides are; when no statement has both (a group too small),
    the chart and table show every respondent's agreement and one note says which group is
    missing and why.
    """
    instrument = survey.instrument
    gaps = _shown(gap_table)
    if gaps is not None:
        a, b = (c[len("pct_agree_"):] for c in gaps.columns
                if c.startswith("pct_agree_"))
        columns = ["statement", f"pct_agree_{a}", f"pct_agree_{b}", "gap_pct", "significant"]
        order = gap_table.assign(_size=gap_table["gap_pct"].abs()).sort_values(
            "_size", ascending=False, na_position="last").drop(columns="_size")
        return View("agreement", "agreement_gap", order, columns, plots.dumbbell, gap_table,
                    {"lang": lang.code, "instrument": instrument}, instrument=instrument)
    overall = None
    if agreement_table is not None and "group" in agreement_table.columns:
        overall = _shown(agreement_table[agreement_table["group"] == "all"])
    if overall is None:
        return _empty("agreement", why, lang, absent=False)
    note = _groups_note(small_groups(survey, min_group_size), min_group_size, lang, group_labels)
    order = overall.sort_values("pct_agree", ascending=False)
    return View("agreement", "agreement", order,
                ["statement", "pct_agree", "pct_neutral", "pct_disagree"],
                plots.diverging_bars, overall, {"lang": lang.code, "instrument": instrument,
                                                "groups": ["all"]},
                note=note, instrument=instrument)


def scorecard_view(scorecard_table: pd.DataFrame | None, survey: Survey, lang: Language, *,
                   why: str = "") -> View:
    """Mean and % agree of every statement, lowest first, with the gaps to target and benchmark
    (the chart and the table are of all respondents; the groups' means are in the appendix)."""
    rows = _shown(scorecard_table)
    if rows is None:
        return _empty("scorecard", why, lang, absent=False)
    columns = [c for c in ("statement", "mean", "pct_agree", "gap_to_target", "gap_to_benchmark")
               if c in rows.columns and (c == "statement" or rows[c].notna().any())]
    return View("scorecard", "scorecard", rows.sort_values("mean"), columns,
                plots.scorecard_chart,
                scorecard_table, {"lang": lang.code, "instrument": survey.instrument},
                instrument=survey.instrument)


def correlations_view(pairs: pd.DataFrame | None, matrix: pd.DataFrame | None, survey: Survey,
                      lang: Language, *, dimensions: Mapping[str, str], why: str = "",
                      k: int = 5) -> View:
    """The heatmap and the ``k`` strongest pairs of statements (r and whether it is significant)."""
    rows = _shown(pairs)
    if rows is None:
        return _empty("correlations", why, lang, absent=False)
    # the strongest pairs as rows of the kept table (same index), so the leak hunt reads them
    chosen = top_pairs(rows, k=k)[["item_a", "item_b"]].apply(tuple, axis=1)
    keys = rows[["item_a", "item_b"]].apply(tuple, axis=1)
    strongest = rows.loc[[keys.index[keys == pair][0] for pair in chosen]]
    strongest = strongest.assign(significant=strongest["p_adjusted"] < SIGNIFICANCE)
    return View("correlations", "correlations", strongest,
                ["statement_a", "statement_b", "r", "significant"],
                plots.correlation_heatmap, matrix,
                {"lang": lang.code, "instrument": survey.instrument, "dimensions": dimensions},
                instrument=survey.instrument)


def reliability_view(reliability_table: pd.DataFrame | None, survey: Survey, lang: Language, *,
                     why: str = "") -> View:
    """Cronbach's alpha per practice, the least consistent first (no chart: one table)."""
    rows = _shown(reliability_table)
    if rows is None:
        return _empty("reliability", why, lang, absent=False)
    rows = rows.sort_values("alpha")
    return View("reliability", "reliability", rows, ["title", "n_items", "alpha", "average_r"],
                instrument=survey.instrument)


def nps_view(nps_table: pd.DataFrame | None, feedback: Survey | None, lang: Language, *,
             why: str = "") -> View:
    """NPS per segment with the shares of promoters and detractors, and its chart."""
    if feedback is None:
        return View("nps", absent=True)
    rows = _shown(nps_table)
    if rows is None:
        return _empty("nps", why, lang, absent=False)
    return View("nps", "nps", rows, ["segment", "n", "nps", "pct_promoters", "pct_detractors"],
                plots.nps_chart, nps_table, {"lang": lang.code, "shares": True},
                instrument=feedback.instrument)


def trend_view(trend_table: pd.DataFrame | None, previous: Survey | None, survey: Survey,
               lang: Language, *, why: str = "") -> View:
    """Mean per statement last wave and this, the change, and whether it is significant."""
    if previous is None:
        return View("trend", absent=True)
    rows = _shown(trend_table)
    if rows is None:
        return _empty("trend", why, lang, absent=False)
    rows = rows.reindex(rows["change_mean"].abs().sort_values(ascending=False).index)
    return View("trend", "trend", rows,
                ["statement", "mean_previous", "mean_current", "change_mean", "significant"],
                plots.trend_chart, trend_table,
                {"lang": lang.code, "instrument": survey.instrument},
                instrument=survey.instrument)


def quality_view(quality_table: pd.DataFrame | None, survey: Survey, lang: Language, *,
                 min_group_size: int | None = None) -> View:
    """The data-quality counts (no chart); counts hidden for confidentiality are left out of
    the table, and one note says so."""
    from cemlab.report import quality_in

    if quality_table is None or len(quality_table) == 0:
        return _empty("quality", "", lang, absent=False)
    table = quality_in(quality_table, lang)
    hidden = table["suppressed"].fillna(False).astype(bool) if "suppressed" in table else None
    note = ""
    if hidden is not None and hidden.any():
        threshold = min_group_size or survey.min_group_size
        note = lang.gettext("Counts from 1 to {n} are not shown, nor any count that would give "
                            "one of them away.").format(n=lang.number(threshold - 1, 0))
        table = table[~hidden]
    return View("quality", "data_quality", table, ["check", "detail", "count"], note=note,
                instrument=survey.instrument)
