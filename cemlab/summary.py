"""The executive summary: CEM maturity per practice, three strengths, three priorities, NPS.

One page a board reads first. Every figure comes from an analysis that has already applied
``min_group_size`` (dimension scorecard, agreement gap, drivers, NPS), so nothing suppressed there
can reach a sentence here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cemlab._inputs import as_survey, group_size_threshold
from cemlab.agreement import agreement_gap
from cemlab.drivers import importance_performance
from cemlab.exceptions import AnalysisError, DataError
from cemlab.findings import _key_weakness_findings, _optional, _Writer, p_text
from cemlab.i18n import Language
from cemlab.nps import nps
from cemlab.results import ResultTable, result_table
from cemlab.scorecard import dimension_scorecard, scorecard
from cemlab.survey import Survey
from cemlab.trend import nps_trend

#: How many strengths and priorities the summary names.
POINTS = 3


@dataclass(frozen=True)
class Point:
    """One strength or priority: what it is about, its sentence, and the figures behind it."""

    kind: str
    subject: str
    sentence: str
    figures: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ExecutiveSummary:
    """The figures and sentences of the report's first page (see `executive_summary`)."""

    maturity: ResultTable
    overall: float | None
    strengths: list[Point]
    priorities: list[Point]
    nps: float | None
    nps_change: float | None
    nps_change_p: float | None
    headline: str


def _practice_benchmark(survey: Survey, benchmark: str | pd.DataFrame | None,
                        threshold: int) -> pd.Series:
    """Per practice, the mean of the benchmark's published item means (NaN without any)."""
    if benchmark is None:
        return pd.Series(dtype=float)
    card = scorecard(survey, benchmark=benchmark, min_group_size=threshold)
    return card.groupby("dimension")["benchmark_mean"].mean()


def maturity(survey: Survey | pd.DataFrame, *, target: float | None = None,
             benchmark: str | pd.DataFrame | None = None, min_group_size: int | None = None,
             lang: str | Language = "en") -> ResultTable:
    """CEM maturity per practice: mean on the instrument's scale, ranked, against target and
    benchmark.

    Returns
    -------
    ResultTable
        One row per practice, best first: ``practice`` (its title), ``dimension``, ``mean``,
        ``rank`` (1 = highest), ``gap_to_target`` (mean - target), ``benchmark_mean``,
        ``gap_to_benchmark`` (mean - benchmark), ``n``, ``suppressed``, ``suppressed_reason``.

    Notes
    -----
    The mean is `cemlab.scorecard.dimension_scorecard`'s (mean over respondents of each one's
    mean over the practice's statements, reverse-keyed reversed). The benchmark of a practice
    is the mean of the published means of its statements, where the benchmark publishes them.
    """
    language = lang if isinstance(lang, Language) else Language(lang)
    survey = as_survey(survey)
    threshold = group_size_threshold(survey, min_group_size)
    practices = dimension_scorecard(survey, target=target, min_group_size=threshold)
    published = _practice_benchmark(survey, benchmark, threshold)
    table = pd.DataFrame({
        "practice": [survey.instrument.title_of(d.id, language.code)
                     for d in survey.instrument.dimensions
                     if d.id in set(practices["dimension"])],
        "dimension": practices["dimension"].to_numpy(),
        "mean": practices["mean"].to_numpy(),
        "rank": practices["rank"].to_numpy(),
        "gap_to_target": practices["gap_to_target"].to_numpy(),
        "benchmark_mean": practices["dimension"].map(published).to_numpy(dtype=float)
        if len(published) else np.nan,
        "n": practices["n"].to_numpy(),
        "suppressed": practices["suppressed"].to_numpy(),
        "suppressed_reason": practices["suppressed_reason"].to_numpy(),
    })
    table["benchmark_mean"] = table["benchmark_mean"].where(table["mean"].notna())
    table.insert(5, "gap_to_benchmark", table["mean"] - table["benchmark_mean"])
    table = table.sort_values(["rank", "dimension"], na_position="last", kind="stable",
                              ignore_index=True)
    scale = survey.instrument.scale
    return result_table(
        table, title=language.gettext("CEM maturity by practice"), min_group_size=threshold,
        notes=f"Means on the {scale.min}-{scale.max} scale (reverse-keyed statements reversed); "
        f"benchmark: mean of its published statement means; practices with fewer than "
        f"{threshold} respondents suppressed.",
    )


def _overall(table: pd.DataFrame) -> float | None:
    """The mean of the practice means shown, each practice counting once."""
    shown = table["mean"].dropna()
    return float(shown.mean()) if len(shown) else None


def strength_sentence(lang: Language, *, practice: str, mean: float, rank: int, total: int,
                      scale: str, target: float | None, gap_to_target: float | None) -> str:
    """One strength as the summary words it ("Leadership: 7.1 on the 1-10 scale, ranked 2 of
    10, 0.1 above the target of 7.0."); the deck quotes the same sentence (`cemlab.deck`)."""
    _ = lang.gettext
    if target is not None:
        distance = round(gap_to_target, 1)
        if distance > 0:
            template = _("{practice}: {mean} on the {scale} scale, ranked {rank} of {total}, "
                         "{distance} above the target of {target}.")
        elif distance < 0:
            template = _("{practice}: {mean} on the {scale} scale, ranked {rank} of {total}, "
                         "{distance} below the target of {target}.")
        else:
            template = _("{practice}: {mean} on the {scale} scale, ranked {rank} of {total}, "
                         "at the target of {target}.")
    else:
        template = _("{practice}: {mean} on the {scale} scale, ranked {rank} of {total}.")
    return template.format(
        practice=practice, mean=lang.number(mean), scale=scale,
        distance=lang.number(abs(gap_to_target)) if target is not None else "",
        target=lang.number(target), rank=rank, total=total)


def _strengths(w: _Writer, table: pd.DataFrame, target: float | None) -> list[Point]:
    points = []
    for row in table[table["mean"].notna()].head(POINTS).itertuples():
        figures = {"mean": float(row.mean), "rank": int(row.rank)}
        if target is not None:
            figures["gap_to_target"] = row.gap_to_target
        sentence = strength_sentence(
            w.lang, practice=row.practice, mean=row.mean, rank=int(row.rank), total=len(table),
            scale=w.scale, target=target,
            gap_to_target=row.gap_to_target if target is not None else None)
        points.append(Point("practice", row.practice, sentence, figures))
    return points


def _practice_gaps(survey: Survey, threshold: int) -> pd.DataFrame:
    """Per practice, its widest significant management - staff gap (none if a side is hidden)."""
    try:
        gap = agreement_gap(survey, min_group_size=threshold)
    except AnalysisError:  # a group with no respondents at all
        return pd.DataFrame(columns=["dimension", "item", "gap_pct", "p_adjusted"])
    hits = gap[gap["significant"].astype(bool) & gap["gap_pct"].notna()].copy()
    hits["_size"] = hits["gap_pct"].abs()
    hits = hits.sort_values("_size", ascending=False, kind="stable")
    return hits.drop_duplicates("dimension").set_index("dimension")


def _priorities(w: _Writer, survey: Survey, table: pd.DataFrame, target: float | None,
                feedback: Survey | None, threshold: int) -> list[Point]:
    """The three priorities, by a fixed rule (see `executive_summary`)."""
    _ = w.lang.gettext
    points: list[Point] = []
    if feedback is not None:
        from cemlab.report import journey_drivers

        quadrants = _optional(importance_performance, feedback, "ltr",
                              drivers=journey_drivers(feedback), min_group_size=threshold)
        if quadrants is not None:
            for found in _key_weakness_findings(w, quadrants, feedback)[: POINTS - 1]:
                row = quadrants.set_index("driver").loc[found["items"]]
                points.append(Point("key weakness", str(row["statement"]), found["finding"],
                                    {"importance": float(row["importance"]),
                                     "importance_ci_low": float(row["importance_ci_low"]),
                                     "performance": float(row["performance"])}))
    gaps = _practice_gaps(survey, threshold)
    shown = table[table["mean"].notna()]
    by_need = shown.sort_values("gap_to_target" if target is not None else "mean",
                                kind="stable")
    if target is not None:
        by_need = by_need[by_need["gap_to_target"] < 0]
    chosen = list(by_need["dimension"][: POINTS - len(points)])
    widest = gaps.index[0] if len(gaps) else None
    if widest is not None and not any(d in gaps.index for d in chosen):
        # the widest management - staff divide always earns a place when it is significant
        chosen = [*chosen[: POINTS - len(points) - 1], widest]
    for dimension in chosen:
        row = shown.set_index("dimension").loc[dimension]
        figures: dict[str, Any] = {"mean": float(row["mean"]), "rank": int(row["rank"])}
        if target is not None:
            figures["gap_to_target"] = float(row["gap_to_target"])
            sentence = _("{practice}: {mean} on the {scale} scale, {distance} below the target "
                         "of {target}.").format(practice=row["practice"],
                                                mean=w.lang.number(row["mean"]), scale=w.scale,
                                                distance=w.lang.number(abs(row["gap_to_target"])),
                                                target=w.lang.number(target))
        else:
            sentence = _("{practice}: {mean} on the {scale} scale, ranked {rank} of "
                         "{total}.").format(practice=row["practice"],
                                            mean=w.lang.number(row["mean"]), scale=w.scale,
                                            rank=int(row["rank"]), total=len(table))
        if dimension in gaps.index:
            gap = gaps.loc[dimension]
            figures |= {"gap_pct": float(gap["gap_pct"]), "p_adjusted": float(gap["p_adjusted"]),
                        "item": gap["item"]}
            divide = _("{group_a} and {group_b} disagree here: {points} points apart in % agree "
                       "on {statement} ({p}).").format(
                group_a=w.a, group_b=w.b, points=w.lang.number(abs(gap["gap_pct"]), 0),
                statement=f"“{w.text(gap['item'])}”", p=p_text(gap["p_adjusted"], w.lang))
            sentence += " " + _capital(divide)
        points.append(Point("practice", str(row["practice"]), sentence, figures))
    return points


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _nps_figures(feedback: Survey | None, previous_feedback: Survey | None,
                 threshold: int) -> tuple[float | None, float | None, float | None, str | None]:
    """NPS of this wave, its change and p since the previous one, the previous wave's label."""
    score = change = p = wave = None
    if feedback is None:
        return score, change, p, wave
    try:
        table = nps(feedback, min_group_size=threshold)
        value = table.loc[table["segment"] == "all", "nps"].iloc[0]
        score = None if pd.isna(value) else float(value)
        if previous_feedback is not None:
            moved = nps_trend(feedback, previous_feedback, min_group_size=threshold).iloc[0]
            if pd.notna(moved["change"]):
                change, p, wave = float(moved["change"]), float(moved["p_value"]), str(
                    moved["wave_previous"])
    except (AnalysisError, DataError):
        pass
    return score, change, p, wave


def _headline(w: _Writer, table: pd.DataFrame, overall: float | None, target: float | None,
              score: float | None, change: float | None, p: float | None,
              wave: str | None) -> str:
    _ = w.lang.gettext
    shown = table[table["mean"].notna()]
    if overall is None or shown.empty:
        text = _("No practice can be scored: every figure is suppressed.")
    else:
        figures = {"overall": w.lang.number(overall), "scale": w.scale,
                   "best": shown["practice"].iloc[0], "worst": shown["practice"].iloc[-1],
                   "target": w.lang.number(target),
                   "distance": w.lang.number(abs(overall - target)) if target is not None else ""}
        if target is None:
            template = _("CEM maturity averages {overall} on the {scale} scale, strongest in "
                         "{best} and weakest in {worst}")
        elif overall < target:
            template = _("CEM maturity averages {overall} on the {scale} scale, {distance} below "
                         "the target of {target}, strongest in {best} and weakest in {worst}")
        else:
            template = _("CEM maturity averages {overall} on the {scale} scale, {distance} above "
                         "the target of {target}, strongest in {best} and weakest in {worst}")
        text = template.format(**figures)
        if score is not None and change is not None and p is not None and p < w.alpha:
            text += _("; customers' NPS is {nps}, {change} points since {wave} ({p}).").format(
                nps=w.lang.number(score, 0), change=w.lang.number(change, 0, sign=True),
                wave=wave, p=p_text(p, w.lang))
        elif score is not None:
            text += _("; customers' NPS is {nps}.").format(nps=w.lang.number(score, 0))
        else:
            text += "."
    return text


def executive_summary(
    survey: Survey | pd.DataFrame,
    *,
    feedback: Survey | None = None,
    previous: Survey | None = None,
    previous_feedback: Survey | None = None,
    target: float | None = None,
    benchmark: str | pd.DataFrame | None = None,
    min_group_size: int | None = None,
    alpha: float = 0.05,
    lang: str | Language = "en",
) -> ExecutiveSummary:
    """The report's first page: maturity per practice, three strengths, three priorities, NPS.

    Parameters
    ----------
    survey
        The staff survey (`Survey`).
    feedback, previous_feedback
        This wave's and the previous wave's customer surveys: NPS, its change (z-test of
        `cemlab.trend.nps_trend`) and the key weaknesses.
    previous
        The previous staff wave; accepted for symmetry with `cemlab.findings.findings`, where
        its changes are reported (the summary's figures are this wave's).
    target, benchmark
        The client's target score and the benchmark (name or table) each practice is set
        against.
    min_group_size
        No figure from fewer respondents (default the survey's).
    lang
        Language of the sentences.

    Returns
    -------
    ExecutiveSummary
        ``maturity`` (`maturity`'s table), ``overall`` (mean of the practice means shown),
        ``strengths`` and ``priorities`` (each a list of `Point`: kind, subject, sentence and
        figures), ``nps``, ``nps_change`` and ``nps_change_p`` (None without the data or when
        suppressed), ``headline`` (one sentence).

    Notes
    -----
    Strengths: the three practices with the highest means.

    Priorities, in this order until there are three: (1) with customer feedback, the key
    weaknesses of the importance-performance analysis whose importance interval lies above
    the average importance, most important first, at most two, since customers' evidence of
    what costs recommendation outweighs staff's view; (2) the practices furthest below the
    target (lowest means without a target), each saying so when management and staff differ
    significantly on one of its statements; (3) if none of the chosen practices has a
    significant management - staff gap but some practice has, the one with the widest takes
    the last place: a divide between management and staff is a priority of its own. Group
    figures come from `cemlab.agreement.agreement_gap`, so with a group under
    ``min_group_size`` (Brightmart's four managers) no gap is used and the points rest on all
    respondents' figures.
    """
    language = lang if isinstance(lang, Language) else Language(lang)
    survey = as_survey(survey)
    threshold = group_size_threshold(survey, min_group_size)
    writer = _Writer(survey, language, alpha, ("management", "staff"))
    table = maturity(survey, target=target, benchmark=benchmark, min_group_size=threshold,
                     lang=language)
    overall = _overall(table)
    score, change, p, wave = _nps_figures(feedback, previous_feedback, threshold)
    return ExecutiveSummary(
        maturity=table,
        overall=overall,
        strengths=_strengths(writer, table, target),
        priorities=_priorities(writer, survey, table, target, feedback, threshold),
        nps=score,
        nps_change=change,
        nps_change_p=p,
        headline=_headline(writer, table, overall, target, score, change, p, wave),
    )

