"""Internal consistency of a questionnaire's dimensions: Cronbach's alpha and its item analysis.

Everything is computed from one item covariance matrix per scale, so a million respondents cost
a few matrix products, and the numbers match R's ``psych::alpha`` / ``psych::scoreItems``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from cemlab._inputs import as_survey, group_size_threshold
from cemlab.agreement import ACROSS_REASON, agreement, protected_respondents, shown_bases
from cemlab.exceptions import AnalysisError
from cemlab.instrument import Instrument, Scale
from cemlab.results import ResultTable, hide_isolating, result_table, suppress
from cemlab.survey import Survey

Missing = Literal["pairwise", "listwise", "median"]
_MISSING = ("pairwise", "listwise", "median")
#: Rows per block when accumulating cross-products (bounds the temporary memory).
_BLOCK_ROWS = 1 << 16
ONE_ITEM_NOTE = "one item: alpha needs at least two"
NO_VARIANCE_NOTE = "no item whose answers vary"


# -- the covariance matrix and the statistics read from it ------------------------------------


def _keyed(values: np.ndarray, reverse: np.ndarray, low: np.ndarray, high: np.ndarray) -> None:
    """Reverse-key the flagged columns in place: ``min + max - x``."""
    if reverse.any():
        values[:, reverse] = (low + high)[reverse] - values[:, reverse]


def _pairwise_covariance(values: np.ndarray) -> np.ndarray:
    """Covariances over the respondents who answered both items of each pair (ddof 1).

    Cross-products are accumulated block by block, after shifting each column by a provisional
    mean so the sums stay small (no cancellation on long data).
    """
    k = values.shape[1]
    with np.errstate(invalid="ignore"):
        shift = np.nan_to_num(np.nanmean(values[:_BLOCK_ROWS], axis=0))
    count = np.zeros((k, k))
    sums = np.zeros((k, k))  # sums[i, j]: sum of item i over rows where j is answered
    cross = np.zeros((k, k))
    for start in range(0, values.shape[0], _BLOCK_ROWS):
        block = values[start : start + _BLOCK_ROWS] - shift
        answered = ~np.isnan(block)
        block[~answered] = 0.0
        mask = answered.astype(float)
        count += mask.T @ mask
        sums += block.T @ mask
        cross += block.T @ block
    with np.errstate(invalid="ignore", divide="ignore"):
        return (cross - sums * sums.T / count) / (count - 1)


def _prepared(values: np.ndarray, missing: Missing) -> tuple[np.ndarray, int]:
    """The rows that enter the scale and their covariance basis, after the missing rule."""
    answered_any = ~np.isnan(values).all(axis=1)
    values = values[answered_any]
    if missing == "listwise":
        values = values[~np.isnan(values).any(axis=1)]
    elif missing == "median":
        medians = np.nanmedian(values, axis=0)
        holes = np.isnan(values)
        values = np.where(holes, medians, values)
    return values, values.shape[0]


def _alpha(cov: np.ndarray) -> float:
    k = cov.shape[0]
    total = cov.sum()
    if k < 2 or not total > 0:
        return np.nan
    return k / (k - 1) * (1.0 - np.trace(cov) / total)


def _average_r(cov: np.ndarray) -> float:
    k = cov.shape[0]
    sd = np.sqrt(np.diag(cov))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / np.outer(sd, sd)
    return (corr.sum() - np.trace(corr)) / (k * (k - 1)) if k > 1 else np.nan


def _if_deleted(cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Alpha without each item, and each item's correlation with the sum of the others."""
    k = cov.shape[0]
    variances = np.diag(cov)
    row_sums = cov.sum(axis=1)
    rest_variance = cov.sum() - 2 * row_sums + variances
    with np.errstate(invalid="ignore", divide="ignore"):
        rest_r = (row_sums - variances) / np.sqrt(variances * rest_variance)
        if k < 3:
            return np.full(k, np.nan), rest_r
        alpha_without = (k - 1) / (k - 2) * (1 - (np.trace(cov) - variances) / rest_variance)
    return alpha_without, rest_r


def feldt_interval(alpha: float, n: int, n_items: int, ci: float = 0.95) -> tuple[float, float]:
    """Feldt's (1965) confidence interval for Cronbach's alpha.

    ``1 - (1 - alpha) * F`` at the upper and lower ``(1 - ci) / 2`` quantiles of
    F(n - 1, (n - 1)(k - 1)), as ``psych::alpha.ci`` computes it.
    """
    if not np.isfinite(alpha) or n < 2 or n_items < 2:
        return np.nan, np.nan
    df1, df2 = n - 1, (n - 1) * (n_items - 1)
    tail = (1 - ci) / 2
    low = 1 - (1 - alpha) * stats.f.ppf(1 - tail, df1, df2)
    high = 1 - (1 - alpha) * stats.f.ppf(tail, df1, df2)
    return float(low), float(high)


def _covariance(values: np.ndarray, missing: Missing) -> tuple[np.ndarray, int]:
    rows, n = _prepared(values, missing)
    return _pairwise_covariance(rows), n


def _items_with_variance(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    """The columns whose answers differ, and the others (all alike, or none at all).

    ``psych::alpha`` deletes an item whose ``sd(na.rm = TRUE)`` is 0 or NA, with the warning
    "Item = X had no variance and was deleted": a constant item adds nothing to the scale
    score's variance but counts in k, and an unanswered one makes every covariance NaN.
    """
    values = frame.to_numpy(dtype=float)
    # fmax / fmin skip NaN without numpy's all-NaN warning; an item nobody answered (or no
    # rows at all) keeps the initial -inf and inf, so it does not vary
    varies = (np.fmax.reduce(values, axis=0, initial=-np.inf)
              > np.fmin.reduce(values, axis=0, initial=np.inf))
    return ([c for c, v in zip(frame.columns, varies) if v],
            [c for c, v in zip(frame.columns, varies) if not v])


def _no_variance_note(items: list[str]) -> str:
    return f"left out (no variance): {', '.join(map(str, items))}" if items else ""


def _check_missing(missing: str) -> None:
    if missing not in _MISSING:
        raise ValueError(f"missing must be one of {', '.join(_MISSING)}; got {missing!r}")


# -- public API --------------------------------------------------------------------------------


def cronbach_alpha(
    frame: pd.DataFrame,
    *,
    reverse: Iterable[str] | None = None,
    scale: Scale | tuple[float, float] | None = None,
    missing: Missing = "pairwise",
    ci: float = 0.95,
) -> ResultTable:
    """Cronbach's alpha of one scale, with Feldt's confidence interval.

    Parameters
    ----------
    frame
        Respondents x items, numeric; NaN is a missing answer.
    reverse
        Columns to reverse-key (``min + max - x``) before scoring.
    scale
        The answer scale (``Scale`` or ``(min, max)``) used to reverse-key. Default: the lowest
        and highest answer over all items of ``frame``, as ``psych::alpha`` does.
    missing
        ``"pairwise"`` (default): each covariance from the respondents who answered both items.
        ``"listwise"``: only respondents who answered every item. ``"median"``: a missing answer
        is replaced by the item's median (over all respondents), as ``psych::scoreItems`` does
        by default. Under every rule a respondent who answered none of the items is left out.
    ci
        Confidence level of the interval.

    Returns
    -------
    ResultTable
        One row: ``alpha`` (raw, from covariances), ``ci_low``, ``ci_high`` (Feldt), ``n``
        (respondents in the scale), ``n_items`` (the items used), ``average_r`` (mean
        inter-item correlation), ``note`` (the items left out for having no variance).

    Warns
    -----
    UserWarning
        "Item = X had no variance and was deleted", once per item every respondent answered
        alike (or nobody answered), as ``psych::alpha`` warns: the item is left out.

    Raises
    ------
    AnalysisError
        Fewer than two items, or fewer than two whose answers vary.

    Notes
    -----
    With item covariance matrix :math:`C` of :math:`k` items,

    .. math:: \\alpha = \\frac{k}{k-1}\\left(1 - \\frac{\\operatorname{tr} C}{\\mathbf{1}^\\top C
              \\mathbf{1}}\\right)

    Feldt's interval: :math:`1 - (1-\\alpha) F_{1-a/2}` to :math:`1 - (1-\\alpha) F_{a/2}`,
    :math:`F` with :math:`n-1` and :math:`(n-1)(k-1)` degrees of freedom, :math:`a = 1 - ci`.
    As in ``psych::alpha``, items with no variance are deleted first, and the default scale
    for reverse-keying is taken over the items that remain.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    Psychometrika, 16, 297-334.
    Feldt, L. S. (1965). The approximate sampling distribution of Kuder-Richardson reliability
    coefficient twenty. Psychometrika, 30, 357-370.
    Revelle, W. psych: ``alpha``, ``alpha.ci``, ``scoreItems`` (R package).

    Example
    -------
    >>> import pandas as pd
    >>> from cemlab.reliability import cronbach_alpha
    >>> frame = pd.DataFrame({"q1": [1, 2, 3, 4, 5], "q2": [2, 2, 3, 5, 5], "q3": [1, 3, 3, 4, 4]})
    >>> round(float(cronbach_alpha(frame)["alpha"].iloc[0]), 3)
    0.954
    """
    _check_missing(missing)
    if frame.shape[1] < 2:
        raise AnalysisError(
            f"Cronbach's alpha needs at least two items; got {frame.shape[1]} "
            f"({', '.join(map(str, frame.columns)) or 'none'})"
        )
    reverse = list(reverse or [])
    unknown = [c for c in reverse if c not in frame.columns]
    if unknown:
        raise ValueError(f"reverse names columns not in the data: {', '.join(map(str, unknown))}")
    frame = frame.astype(float)
    varying, flat = _items_with_variance(frame)
    for item in flat:
        warnings.warn(f"Item = {item} had no variance and was deleted", UserWarning,
                      stacklevel=2)
    if len(varying) < 2:
        raise AnalysisError(
            f"Cronbach's alpha needs at least two items whose answers vary; "
            f"{', '.join(map(str, flat))} had no variance (every answer alike, or none). "
            "Fix: score a scale of items that respondents answered differently"
        )
    frame = frame[varying]
    values = frame.to_numpy(copy=True)
    if isinstance(scale, Scale):
        low, high = scale.min, scale.max
    elif scale is not None:
        low, high = scale
    else:
        low, high = np.nanmin(values), np.nanmax(values)
    flags = np.asarray(frame.columns.isin(reverse))
    k = values.shape[1]
    _keyed(values, flags, np.full(k, float(low)), np.full(k, float(high)))
    cov, n = _covariance(values, missing)
    alpha = _alpha(cov)
    ci_low, ci_high = feldt_interval(alpha, n, k, ci)
    return result_table(
        pd.DataFrame([{
            "alpha": alpha, "ci_low": ci_low, "ci_high": ci_high, "n": n, "n_items": k,
            "average_r": _average_r(cov), "note": _no_variance_note(flat),
        }]),
        title="Cronbach's alpha",
        notes=f"Missing answers: {missing}. Interval: Feldt {ci:.0%}.",
    )


def _dimension_values(survey: Survey, item_ids: list[str]) -> np.ndarray:
    """The dimension's answers, reverse-keyed items turned round on their own scale."""
    instrument: Instrument = survey.instrument
    values = survey.responses[item_ids].to_numpy(dtype=float, copy=True)
    scales = [instrument.scale_of(i) for i in item_ids]
    flags = np.array([instrument.item(i).reverse for i in item_ids])
    _keyed(values, flags, np.array([s.min for s in scales], float),
           np.array([s.max for s in scales], float))
    return values


def _dimensions(survey: Survey, dimension: str | None) -> list:
    dims = survey.instrument.dimensions
    if dimension is None:
        return dims
    chosen = [d for d in dims if d.id == dimension]
    if not chosen:
        raise ValueError(
            f"instrument {survey.instrument.name!r} has no dimension {dimension!r}; "
            f"its dimensions are {', '.join(d.id for d in dims)}"
        )
    return chosen


def items_with_enough_answers(
    survey: Survey, item_ids: list[str], threshold: int
) -> tuple[list[str], str]:
    """The dimension's items answered by at least ``threshold``, and a note on the others.

    An item answered by fewer respondents must not move any figure of its dimension (alpha,
    the other items' alpha if deleted and rest correlations, the practice's mean): each would
    carry those few answers. So it is left out of the dimension, and the note says so.
    """
    counts = survey.responses[item_ids].notna().sum()
    kept = [i for i in item_ids if counts[i] >= threshold]
    left_out = [i for i in item_ids if counts[i] < threshold]
    note = f"left out (answered by n < {threshold}): {', '.join(left_out)}" if left_out else ""
    return kept, note


def _thin_pair(values: np.ndarray, threshold: int) -> bool:
    """Whether some pair of items was answered together by fewer than ``threshold``."""
    answered = (~np.isnan(values)).astype(float)
    return bool(((answered.T @ answered) < threshold).any())


THIN_PAIR_REASON = "a pair of its items answered together by n < {threshold}"
THIN_ITEMS_REASON = "every item answered by n < {threshold}"


def _suppress_thin(
    table: pd.DataFrame, rows: dict[int, str], columns: list[str], threshold: int
) -> pd.DataFrame:
    """Blank ``columns`` of ``rows`` (row -> reason): figures resting on thinly answered items."""
    table = table.copy()
    table["suppressed"] = False
    table["suppressed_reason"] = ""
    for row, reason in rows.items():
        table.loc[row, columns] = np.nan
        table.loc[row, "suppressed"] = True
        table.loc[row, "suppressed_reason"] = reason.format(threshold=threshold)
    return table


def hidden_beside_report(
    survey: Survey, bases: np.ndarray, shown: np.ndarray, threshold: int,
    beside: np.ndarray | None = None,
) -> np.ndarray:
    """The rows of a table to hide so that no base of it, beside another, isolates a small group.

    ``bases`` holds, per row, who is in the base it shows, and ``shown`` which rows show it.
    They are checked against each other, the bases `agreement` shows, the report's total
    respondents (the cover) and ``beside`` (bases other tables show), as `dimension_scorecard`
    checks the practices; only this table's rows are hidden (`cemlab.results.hide_isolating`).
    A correlation pair answered by 120 beside the report's 123 respondents gives 3 contractors
    away, and so does a dimension or item base.

    Returns a boolean mask aligned with ``bases``.
    """
    protected = protected_respondents(survey, threshold)
    if not protected.any() or len(bases) == 0:
        return np.zeros(len(bases), dtype=bool)
    fixed = [shown_bases(survey, agreement(survey, min_group_size=threshold)),
             survey.groups.notna().to_numpy()[None, :]]
    if beside is not None:
        fixed.append(np.asarray(beside, dtype=bool).reshape(-1, survey.n))
    fixed = np.vstack(fixed)
    own = np.asarray(shown, dtype=bool)
    return hide_isolating(
        np.vstack([np.asarray(bases, dtype=bool).reshape(-1, survey.n), fixed]),
        np.concatenate([own, np.ones(len(fixed), dtype=bool)]), protected, threshold,
        hideable=np.concatenate([np.ones(len(own), dtype=bool), np.zeros(len(fixed), dtype=bool)]),
    )[: len(own)]


def hide_rows_across(table: pd.DataFrame, hidden: np.ndarray, columns: list[str]) -> pd.DataFrame:
    """Blank ``columns`` of the ``hidden`` rows and say why (`agreement.ACROSS_REASON`)."""
    if not hidden.any():
        return table
    table = table.copy()
    rows = table.index[hidden]
    before = table.loc[rows, "suppressed_reason"].fillna("")
    table.loc[rows, columns] = np.nan
    table.loc[rows, "suppressed"] = True
    table.loc[rows, "suppressed_reason"] = [
        f"{reason}; {ACROSS_REASON}" if reason else ACROSS_REASON for reason in before]
    return table


def reliability(
    survey: Survey | pd.DataFrame,
    *,
    instrument: Instrument | str | None = None,
    missing: Missing = "pairwise",
    ci: float = 0.95,
    min_group_size: int | None = None,
) -> ResultTable:
    """Cronbach's alpha of every dimension of the instrument, with Feldt's interval.

    Parameters
    ----------
    survey
        A `Survey`, or a DataFrame of responses together with ``instrument``.
    instrument
        The instrument, when ``survey`` is a DataFrame.
    missing
        How missing answers are handled: ``"pairwise"`` (default), ``"listwise"`` or
        ``"median"`` (psych's ``scoreItems`` default); see `cronbach_alpha`.
    ci
        Confidence level of the interval.
    min_group_size
        Dimensions answered by fewer respondents are suppressed (default: the survey's).

    Returns
    -------
    ResultTable
        One row per dimension: ``dimension``, ``title``, ``n_items`` (the items used), ``n``,
        ``alpha``, ``alpha_ci_low``, ``alpha_ci_high``, ``average_r``, ``note`` (why alpha is
        missing, e.g. a one-item dimension, and which items were left out), ``suppressed``,
        ``suppressed_reason``.

    Notes
    -----
    Reverse-keyed items (``reverse: true`` in the instrument) are scored ``min + max - x`` on
    their own scale first. Alpha and the interval as in `cronbach_alpha`; items absent from the
    data are left out of their dimension. So is an item answered by fewer than
    ``min_group_size`` (`items_with_enough_answers`): its few answers would move alpha. So is
    an item every respondent answered alike, as ``psych::alpha`` deletes an item with no
    variance ("Item = X had no variance and was deleted"); the note names it. With
    pairwise covariances, a dimension two of whose items were answered together by fewer than
    ``min_group_size`` is suppressed; so is one whose every item was.

    References
    ----------
    Cronbach (1951); Feldt (1965); Revelle, psych ``scoreItems``.

    Example
    -------
    >>> import cemlab
    >>> client = cemlab.load_client("params/kestrel-mobile.yaml")  # doctest: +SKIP
    >>> cemlab.reliability(client.survey)  # doctest: +SKIP
    """
    _check_missing(missing)
    survey = as_survey(survey, instrument)
    threshold = group_size_threshold(survey, min_group_size)
    table, bases, counted = _dimension_rows(survey, missing, ci, threshold)
    hidden = hidden_beside_report(survey, bases, counted, threshold)
    table = hide_rows_across(table, hidden, _ALPHA_COLUMNS)
    return result_table(
        table, title="Reliability (Cronbach's alpha) by dimension", min_group_size=threshold,
        notes=f"Missing answers: {missing}. Interval: Feldt {ci:.0%}. Reverse-keyed items "
              "scored min + max - x.",
    )


_ALPHA_COLUMNS = ["alpha", "alpha_ci_low", "alpha_ci_high", "average_r"]


def _dimension_rows(
    survey: Survey, missing: Missing, ci: float, threshold: int
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """`reliability`'s table before the rule across statements, who is in each row's n, and
    which rows show that n in the report.

    A dimension's n shows in the practices (`dimension_scorecard`) unless it is under the
    minimum or every item was answered by fewer: so it counts as shown beside other bases
    even where a thinly answered pair hides alpha, and both tables hide the same dimensions.
    """
    present = set(survey.item_ids)
    rows, bases = [], []
    thin: dict[int, str] = {}
    for dim in survey.instrument.dimensions:
        all_ids = [item.id for item in dim.items if item.id in present]
        enough, thin_note = items_with_enough_answers(survey, all_ids, threshold)
        item_ids, flat = _items_with_variance(survey.responses[enough])
        left_out = "; ".join(r for r in (thin_note, _no_variance_note(flat)) if r)
        row = {"dimension": dim.id, "title": dim.title, "n_items": len(item_ids), "n": 0,
               "alpha": np.nan, "alpha_ci_low": np.nan, "alpha_ci_high": np.nan,
               "average_r": np.nan, "note": left_out}
        if len(item_ids) < 2:
            reason = (ONE_ITEM_NOTE if item_ids else NO_VARIANCE_NOTE if enough
                      else "no items with enough answers" if all_ids else "no items in the data")
            row["note"] = "; ".join(r for r in (reason, left_out) if r)
            # the base is of the items kept: a left-out item's few answers must not show in it
            base = item_ids or enough or all_ids
            answered = survey.responses[base].notna().any(axis=1).to_numpy()
            row["n"] = int(answered.sum())
            if not enough and row["n"] >= threshold:  # else the base itself is too small
                thin[len(rows)] = THIN_ITEMS_REASON
            rows.append(row)
            bases.append(answered)
            continue
        values = _dimension_values(survey, item_ids)
        if missing == "pairwise" and _thin_pair(values, threshold):
            thin[len(rows)] = THIN_PAIR_REASON
        cov, n = _covariance(values, missing)
        alpha = _alpha(cov)
        low, high = feldt_interval(alpha, n, len(item_ids), ci)
        row.update(n=n, alpha=alpha, alpha_ci_low=low, alpha_ci_high=high,
                   average_r=_average_r(cov))
        if not np.isfinite(alpha):
            row["note"] = "; ".join(r for r in ("no variance in the scale score", left_out) if r)
        rows.append(row)
        bases.append(_in_scale(values, missing))
    table = pd.DataFrame(rows)
    table = _suppress_thin(table, thin, _ALPHA_COLUMNS, threshold)
    table = suppress(table, min_group_size=threshold, value_columns=_ALPHA_COLUMNS)
    counted = np.array([(n >= threshold and thin.get(i) != THIN_ITEMS_REASON)
                        for i, n in enumerate(table["n"])], dtype=bool)
    return table, np.array(bases, dtype=bool).reshape(len(rows), survey.n), counted


def _in_scale(values: np.ndarray, missing: Missing) -> np.ndarray:
    """Who `_prepared` keeps: every respondent who answered an item, all of them listwise."""
    answered = ~np.isnan(values)
    return answered.all(axis=1) if missing == "listwise" else answered.any(axis=1)


def shown_dimension_bases(survey: Survey, threshold: int) -> np.ndarray:
    """Who is in each dimension base the report shows (practices and reliability, n).

    For the other tables of the report (item analysis, correlations) to check their bases
    against these, as `hidden_beside_report` does.
    """
    _, bases, counted = _dimension_rows(survey, "pairwise", 0.95, threshold)
    return bases[counted & ~hidden_beside_report(survey, bases, counted, threshold)]


def _items_across(survey: Survey, table: pd.DataFrame, threshold: int) -> np.ndarray:
    """The item-analysis rows whose n (who answered the item) would isolate a small group
    beside another base of the report (`hidden_beside_report`, the dimensions' too)."""
    if not protected_respondents(survey, threshold).any():
        return np.zeros(len(table), dtype=bool)
    bases = np.array([survey.responses[item].notna().to_numpy() for item in table["item"]],
                     dtype=bool).reshape(len(table), survey.n)
    return hidden_beside_report(survey, bases, ~table["suppressed"].to_numpy(dtype=bool),
                                threshold, beside=shown_dimension_bases(survey, threshold))


def shown_item_bases(survey: Survey, threshold: int) -> np.ndarray:
    """Who is in each item base the report's item analysis shows (its n), for `correlations`."""
    table = item_reliability(survey, min_group_size=threshold)
    shown = table.loc[~table["suppressed"].astype(bool), "item"]
    return np.array([survey.responses[item].notna().to_numpy() for item in shown],
                    dtype=bool).reshape(len(shown), survey.n)


def item_reliability(
    survey: Survey | pd.DataFrame,
    dimension: str | None = None,
    *,
    instrument: Instrument | str | None = None,
    missing: Missing = "pairwise",
    min_group_size: int | None = None,
) -> ResultTable:
    """Item analysis: alpha if each item were deleted and its correlation with the rest.

    Parameters
    ----------
    survey
        A `Survey`, or a DataFrame of responses together with ``instrument``.
    dimension
        One dimension id; default every dimension.
    instrument
        The instrument, when ``survey`` is a DataFrame.
    missing
        ``"pairwise"`` (default), ``"listwise"`` or ``"median"``; see `cronbach_alpha`.
    min_group_size
        Items answered by fewer respondents are suppressed and left out of the others'
        alpha if deleted and item-rest r; a dimension with a thinly answered pair of items
        has those two columns suppressed.

    Returns
    -------
    ResultTable
        One row per item: ``dimension``, ``item``, ``statement``, ``reverse``,
        ``alpha_if_deleted``, ``item_rest_r``, ``mean``, ``sd``, ``n``, ``suppressed``,
        ``suppressed_reason``. ``mean``, ``sd`` and ``n`` describe the answers as given (not
        reverse-keyed, no imputation); the other two are computed on the keyed scale.

    Notes
    -----
    From the keyed covariance matrix :math:`C` with row sums :math:`r_i`: the rest score of
    item :math:`i` has variance :math:`v_i = \\mathbf{1}^\\top C \\mathbf{1} - 2 r_i + C_{ii}`;
    alpha if deleted is :math:`\\frac{k-1}{k-2}(1 - (\\operatorname{tr} C - C_{ii}) / v_i)`;
    the item-rest correlation (psych's ``r.drop``) is :math:`(r_i - C_{ii}) /
    \\sqrt{C_{ii} v_i}`. Both are NaN in a two-item dimension (one item is left), and for an
    item with no variance, which is left out of the others' figures as ``psych::alpha``
    deletes it.

    References
    ----------
    Revelle, W. psych ``alpha``: ``alpha.drop`` and ``item.stats$r.drop``.

    Example
    -------
    >>> cemlab.item_reliability(client.survey, "leadership")  # doctest: +SKIP
    """
    _check_missing(missing)
    survey = as_survey(survey, instrument)
    threshold = group_size_threshold(survey, min_group_size)
    present = set(survey.item_ids)
    frames = []
    for dim in _dimensions(survey, dimension):
        item_ids = [item.id for item in dim.items if item.id in present]
        if not item_ids:
            continue
        answers = survey.responses[item_ids]
        enough, _ = items_with_enough_answers(survey, item_ids, threshold)
        kept, _ = _items_with_variance(answers[enough])
        alpha_without = np.full(len(item_ids), np.nan)
        rest_r = np.full(len(item_ids), np.nan)
        thin = False
        n = int(answers.notna().any(axis=1).sum())
        if len(kept) >= 2:
            values = _dimension_values(survey, kept)
            thin = missing == "pairwise" and _thin_pair(values, threshold)
            cov, n = _covariance(values, missing)
            kept_without, kept_rest = _if_deleted(cov)
            where = [item_ids.index(i) for i in kept]
            alpha_without[where], rest_r[where] = kept_without, kept_rest
        frame = pd.DataFrame({
            "dimension": dim.id,
            "item": item_ids,
            "statement": [survey.instrument.text_of(i) for i in item_ids],
            "reverse": [survey.instrument.item(i).reverse for i in item_ids],
            "alpha_if_deleted": alpha_without,
            "item_rest_r": rest_r,
            "mean": answers.mean().to_numpy(),
            "sd": answers.std().to_numpy(),
            "n": answers.count().to_numpy(),
            "n_dimension": n,
        })
        if thin:
            frame = _suppress_thin(frame, dict.fromkeys(frame.index, THIN_PAIR_REASON),
                                   ["alpha_if_deleted", "item_rest_r"], threshold)
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True)
    figures = ["alpha_if_deleted", "item_rest_r", "mean", "sd"]
    table = suppress(table, n_column=["n", "n_dimension"], min_group_size=threshold,
                     value_columns=figures)
    hidden = _items_across(survey, table, threshold)
    table = hide_rows_across(table, hidden, figures)
    return result_table(
        table.drop(columns="n_dimension"), title="Item analysis (alpha if item deleted)",
        min_group_size=threshold,
        notes=f"Missing answers: {missing}. Item-rest r: correlation of the item with the sum of "
              "the other items of its dimension (reverse-keyed items turned round).",
    )
