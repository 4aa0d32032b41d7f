"""Net Promoter Score: promoters minus detractors on the 0-10 recommend question, with intervals.

Intervals and differences use the adjusted-Wald method (Rocks 2016), the one that keeps its
stated coverage at the sample sizes a client's segments have.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from cemlab._inputs import as_survey
from cemlab.exceptions import AnalysisError
from cemlab.instrument import Instrument
from cemlab.results import ResultTable, complement_hidden, result_table, suppress
from cemlab.survey import Survey

PROMOTER_MIN = 9
DETRACTOR_MAX = 6
#: Rocks (2016): add 3/4 of a respondent to promoters and to detractors, 3 to the base.
_ADD_EACH = 0.75
_ADD_BASE = 3.0
DEFAULT_MIN_GROUP_SIZE = 5
#: The row holding every respondent, whatever their segment.
ALL = "all"
COMPLEMENT_REASON = "hidden so that a smaller group cannot be worked out from the total"

_VALUE_COLUMNS = ["pct_promoters", "pct_passives", "pct_detractors", "nps", "se", "ci_low",
                  "ci_high"]


class _Counts(NamedTuple):
    n: int
    n_eff: float
    promoters: float  # shares, 0-1
    passives: float
    detractors: float


def _check_scores(scores: pd.Series, name: str) -> None:
    """Every answer must be a whole number from 0 to 10."""
    answered = scores.dropna()
    bad = answered[(answered < 0) | (answered > 10) | (answered != np.floor(answered))]
    if len(bad):
        shown = ", ".join(f"respondent {idx}: {value:g}" for idx, value in bad.head(5).items())
        more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
        raise AnalysisError(
            f"{name}: the recommend question is answered 0-10 in whole numbers, but "
            f"{len(bad)} answer(s) are not ({shown}{more}). Fix: correct or blank these answers "
            "in the client's file, or map the recommend question to the right column"
        )


def _counts(scores: np.ndarray, weights: np.ndarray | None) -> _Counts:
    """Shares of promoters / passives / detractors among the answers given (weighted or not)."""
    answered = ~np.isnan(scores)
    if weights is not None:
        answered &= ~np.isnan(weights)
    scores = scores[answered]
    n = int(answered.sum())
    if n == 0:
        return _Counts(0, 0.0, np.nan, np.nan, np.nan)
    w = np.ones(n) if weights is None else weights[answered]
    total = w.sum()
    promoters = w[scores >= PROMOTER_MIN].sum() / total
    detractors = w[scores <= DETRACTOR_MAX].sum() / total
    n_eff = total**2 / (w**2).sum()  # Kish's effective base; n when unweighted
    return _Counts(n, float(n_eff), promoters, 1 - promoters - detractors, detractors)


def adjusted_wald(promoters: float, detractors: float, n: float) -> tuple[float, float]:
    """The adjusted NPS (as a share, -1..1) and its standard error (Rocks 2016).

    ``n`` is the base (Kish's effective base under weights); ``promoters`` and ``detractors``
    are shares 0-1.
    """
    base = n + _ADD_BASE
    p = (promoters * n + _ADD_EACH) / base
    d = (detractors * n + _ADD_EACH) / base
    centre = p - d
    return centre, float(np.sqrt((p + d - centre**2) / base))


def _z(ci: float) -> float:
    return float(stats.norm.ppf(0.5 + ci / 2))


def _row(label: object, counts: _Counts, ci: float) -> dict:
    row = {"segment": label, "n": counts.n, "n_eff": counts.n_eff}
    if counts.n == 0:
        return row | dict.fromkeys(_VALUE_COLUMNS, np.nan)
    centre, se = adjusted_wald(counts.promoters, counts.detractors, counts.n_eff)
    half = _z(ci) * se
    return row | {
        "pct_promoters": 100 * counts.promoters,
        "pct_passives": 100 * counts.passives,
        "pct_detractors": 100 * counts.detractors,
        "nps": 100 * (counts.promoters - counts.detractors),
        "se": 100 * se,
        "ci_low": 100 * max(centre - half, -1.0),
        "ci_high": 100 * min(centre + half, 1.0),
    }


def _scores_and_frame(
    data: Survey | pd.Series | pd.DataFrame, instrument: Instrument | str | None, item: str | None
) -> tuple[pd.Series, pd.DataFrame | None, Survey | None]:
    """The 0-10 answers, the responses they come from (None for a Series) and the survey."""
    if isinstance(data, pd.Series):
        scores = pd.to_numeric(data, errors="raise").astype(float)
        return scores, None, None
    survey = as_survey(data, instrument)
    if item is None:
        if survey.instrument.recommend is None:
            raise AnalysisError(
                f"instrument {survey.instrument.name!r} has no recommend (0-10) question. "
                "Fix: add a `recommend:` entry to the instrument, or pass item=<column>"
            )
        item = survey.instrument.recommend.id
    if item not in survey.responses.columns:
        raise AnalysisError(
            f"the responses have no column {item!r} for the recommend question; they have "
            f"{', '.join(map(str, survey.responses.columns))}"
        )
    return survey.responses[item].astype(float), survey.responses, survey


def _weights(frame: pd.DataFrame | None, scores: pd.Series, weight: str | pd.Series | None):
    if weight is None:
        return None
    if isinstance(weight, str):
        if frame is None or weight not in frame.columns:
            raise AnalysisError(f"no weight column {weight!r} in the responses")
        weight = frame[weight]
    values = weight.reindex(scores.index).astype(float)
    if (values < 0).any():
        raise AnalysisError("weights must not be negative")
    return values.to_numpy()


def _threshold(survey: Survey | None, min_group_size: int | None) -> int:
    if min_group_size is not None:
        threshold = min_group_size
    else:
        threshold = survey.min_group_size if survey is not None else DEFAULT_MIN_GROUP_SIZE
    if threshold < 1:
        raise ValueError(f"min_group_size must be at least 1, got {threshold}")
    return int(threshold)


def _segments(frame: pd.DataFrame | None, by, index) -> pd.Series:
    if isinstance(by, pd.Series):
        return by.reindex(index)
    if frame is None:
        raise ValueError("with a Series of scores, by= must be a Series of segment labels")
    if by not in frame.columns:
        raise ValueError(
            f"by={by!r} is not a column of the responses; choose one of "
            f"{', '.join(map(str, frame.columns))}"
        )
    return frame[by]


def _order(labels: pd.Series, survey: Survey | None, by) -> list:
    present = list(labels.dropna().unique())
    if survey is not None and isinstance(by, str) and by == survey.group_column:
        levels = survey.instrument.groups.levels
        return [lv for lv in levels if lv in present] + sorted(
            (p for p in present if p not in levels), key=str)
    return sorted(present, key=str)


def _complementary_suppression(
    table: pd.DataFrame, threshold: int, unlabelled: int, sizes: dict
) -> pd.DataFrame:
    """Hide shown segments until the total minus them reveals no small group.

    With the "all" row shown, the hidden parts (suppressed segments, and the respondents with
    no segment label, who are in "all" but in no segment row) are together the total minus the
    shown segments; the rule is `cemlab.results.complement_hidden`'s (``sizes``: respondents
    per segment, answered or not).
    """
    if table.loc[0, "suppressed"]:
        return table
    table = table.copy()
    segments = table[table["segment"] != ALL]
    small = segments["n"] < threshold
    hidden = complement_hidden(segments["n"], small, segments["segment"].map(sizes).fillna(0),
                               threshold, unlisted=unlabelled)
    added = hidden.index[hidden & ~small]
    table.loc[added, _VALUE_COLUMNS] = np.nan
    table.loc[added, "suppressed"] = True
    table.loc[added, "suppressed_reason"] = COMPLEMENT_REASON
    return table


def nps(
    data: Survey | pd.Series | pd.DataFrame,
    *,
    by: str | pd.Series | None = None,
    item: str | None = None,
    instrument: Instrument | str | None = None,
    weight: str | pd.Series | None = None,
    ci: float = 0.95,
    min_group_size: int | None = None,
) -> ResultTable:
    """Net Promoter Score with its adjusted-Wald interval, overall and by segment.

    Parameters
    ----------
    data
        A `Survey` (its instrument's recommend question is used), a DataFrame of responses with
        ``instrument``, or a Series of 0-10 answers.
    by
        Split by this column: ``"segment"``, the group column (e.g. ``"role"``), ``"wave"``, or
        any column of the responses; or a Series of labels aligned with the answers.
    item
        The 0-10 column, when it is not the instrument's recommend question.
    instrument
        The instrument, when ``data`` is a DataFrame.
    weight
        A weight column name (e.g. ``"weight"``) or a Series; default unweighted.
    ci
        Confidence level of the interval.
    min_group_size
        Segments with fewer answers are suppressed (default: the survey's, 5 for a Series).

    Returns
    -------
    ResultTable
        One row for ``"all"`` and one per segment: ``segment``, ``n`` (answers), ``n_eff``
        (Kish's effective base; ``n`` unweighted), ``pct_promoters`` (9-10), ``pct_passives``
        (7-8), ``pct_detractors`` (0-6), ``nps`` (-100..100), ``se``, ``ci_low``, ``ci_high``,
        ``suppressed``, ``suppressed_reason``. Respondents without an answer are not counted.

    Raises
    ------
    AnalysisError
        An answer is not a whole number from 0 to 10 (the message lists the respondents).

    Notes
    -----
    :math:`NPS = 100 (P - D)`, with :math:`P` and :math:`D` the shares of promoters and
    detractors. The adjusted-Wald interval (Rocks 2016) adds 3/4 to the promoter and to the
    detractor count and 3 to the base: :math:`p' = (P n + 3/4) / (n + 3)`, likewise
    :math:`d'`; :math:`se = \\sqrt{(p' + d' - (p' - d')^2) / (n + 3)}`; the interval is
    :math:`100 (p' - d' \\pm z\\, se)`, cut to -100..100, around the adjusted centre, so it is
    not symmetric about ``nps``. ``se`` is reported in NPS points. With weights, shares are
    weighted and :math:`n` is Kish's effective base :math:`(\\sum w)^2 / \\sum w^2`; a
    segment whose effective base is below ``min_group_size`` is suppressed like a small one
    (one respondent weighted 100,000 among 50 weighted 1 is an effective base of 1.001).

    While the hidden parts of the total (suppressed segments, and the respondents without a
    segment label) hold fewer than ``min_group_size`` answers together, the smallest shown
    segment is hidden too, so no small part can be worked out from the "all" row minus the
    segments shown.

    References
    ----------
    Reichheld, F. (2003). The one number you need to grow. Harvard Business Review, 81(12).
    Rocks, B. (2016). Interval estimation for the "Net Promoter Score". The American
    Statistician, 70(4), 365-372.
    Sauro, J. & Lewis, J. R. (2021). Confidence intervals for Net Promoter Scores. MeasuringU.

    Example
    -------
    >>> import pandas as pd
    >>> from cemlab.nps import nps
    >>> table = nps(pd.Series([10, 9, 9, 8, 7, 6, 3, 10, 9, 5]))
    >>> table[["segment", "n", "nps"]].to_dict("records")
    [{'segment': 'all', 'n': 10, 'nps': 20.0}]
    """
    scores, frame, survey = _scores_and_frame(data, instrument, item)
    _check_scores(scores, str(scores.name or "recommend"))
    threshold = _threshold(survey, min_group_size)
    weights = _weights(frame, scores, weight)
    values = scores.to_numpy()
    rows = [_row(ALL, _counts(values, weights), ci)]
    unlabelled = 0
    if by is not None:
        labels = _segments(frame, by, scores.index)
        unlabelled = int((labels.isna().to_numpy() & ~np.isnan(values)).sum())
        for label in _order(labels, survey, by):
            mask = (labels == label).to_numpy()
            rows.append(_row(label, _counts(values[mask], None if weights is None
                                            else weights[mask]), ci))
    # a weighted score rests on its effective base: one respondent weighted 100,000 is n_eff 1
    table = suppress(pd.DataFrame(rows), n_column=["n", "n_eff"] if weights is not None else "n",
                     min_group_size=threshold, value_columns=_VALUE_COLUMNS)
    if by is not None:
        table = _complementary_suppression(table, threshold, unlabelled,
                                           labels.value_counts().to_dict())
    split = "" if by is None else f" by {by if isinstance(by, str) else by.name}"
    return result_table(
        table, title=f"Net Promoter Score{split}", min_group_size=threshold,
        notes=f"Promoters 9-10, passives 7-8, detractors 0-6. Interval: adjusted Wald "
              f"{ci:.0%} (Rocks 2016)." + (" Weighted." if weights is not None else ""),
    )


def nps_difference(
    a: Survey | pd.Series | pd.DataFrame,
    b: Survey | pd.Series | pd.DataFrame,
    *,
    labels: tuple[str, str] = ("a", "b"),
    item: str | None = None,
    instrument: Instrument | str | None = None,
    weight: str | None = None,
    ci: float = 0.95,
    min_group_size: int | None = None,
) -> ResultTable:
    """The difference between two independent Net Promoter Scores (segments or waves).

    Parameters
    ----------
    a, b
        The two samples: Surveys, DataFrames of responses with ``instrument``, or Series of
        0-10 answers. The difference is ``a - b`` (e.g. this wave minus last).
    labels
        Names of the two samples in the result.
    item, instrument, weight, ci
        As in `nps`.
    min_group_size
        When either side has fewer answers (or, weighted, a smaller Kish effective base),
        every value is suppressed.

    Returns
    -------
    ResultTable
        One row: ``a``, ``b`` (the labels), ``n_a``, ``n_b``, ``nps_a``, ``nps_b``,
        ``difference`` (points), ``se``, ``ci_low``, ``ci_high``, ``z``, ``p_value``
        (two-sided), with weights ``n_eff_a`` and ``n_eff_b`` (Kish), ``suppressed``,
        ``suppressed_reason``.

    Notes
    -----
    Each side is adjusted as in `nps`; :math:`se = \\sqrt{se_a'^2 + se_b'^2}`; the interval is
    :math:`(NPS_a' - NPS_b') \\pm z\\, se` and the test statistic
    :math:`z = (NPS_a' - NPS_b') / se`, so the interval excludes 0 exactly when
    :math:`p < 1 - ci`. ``difference`` is the plain difference of the two scores.

    References
    ----------
    Rocks (2016); Lewis, J. R. & Sauro, J. (2021). How to statistically compare two Net
    Promoter Scores. MeasuringU.

    Example
    -------
    >>> import pandas as pd
    >>> from cemlab.nps import nps_difference
    >>> now, before = pd.Series([10] * 30 + [5] * 10), pd.Series([10] * 20 + [5] * 20)
    >>> round(float(nps_difference(now, before)["difference"].iloc[0]), 1)
    50.0
    """
    sides = []
    survey = None
    for data in (a, b):
        scores, frame, side_survey = _scores_and_frame(data, instrument, item)
        _check_scores(scores, str(scores.name or "recommend"))
        survey = survey or side_survey
        sides.append(_counts(scores.to_numpy(), _weights(frame, scores, weight)))
    threshold = _threshold(survey, min_group_size)
    (first, second) = sides
    row = {"a": labels[0], "b": labels[1], "n_a": first.n, "n_b": second.n}
    if first.n and second.n:
        centre_a, se_a = adjusted_wald(first.promoters, first.detractors, first.n_eff)
        centre_b, se_b = adjusted_wald(second.promoters, second.detractors, second.n_eff)
        se = float(np.hypot(se_a, se_b))
        shift = centre_a - centre_b
        z = shift / se
        row |= {
            "nps_a": 100 * (first.promoters - first.detractors),
            "nps_b": 100 * (second.promoters - second.detractors),
            "difference": 100 * ((first.promoters - first.detractors)
                                 - (second.promoters - second.detractors)),
            "se": 100 * se,
            "ci_low": 100 * (shift - _z(ci) * se),
            "ci_high": 100 * (shift + _z(ci) * se),
            "z": z,
            "p_value": float(2 * stats.norm.sf(abs(z))),
        }
    else:
        row |= dict.fromkeys(["nps_a", "nps_b", "difference", "se", "ci_low", "ci_high", "z",
                              "p_value"], np.nan)
    bases = ["n_a", "n_b"]
    if weight is not None:  # weighted: each side also needs an effective base of the minimum
        row |= {"n_eff_a": first.n_eff, "n_eff_b": second.n_eff}
        bases += ["n_eff_a", "n_eff_b"]
    table = suppress(pd.DataFrame([row]), n_column=bases, min_group_size=threshold)
    return result_table(
        table, title=f"NPS difference: {labels[0]} - {labels[1]}", min_group_size=threshold,
        notes=f"Adjusted-Wald {ci:.0%} interval and z-test (Rocks 2016; Lewis & Sauro 2021).",
    )
