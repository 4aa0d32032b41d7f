"""Correlations between statements: which practices move together, pair by pair.

Spearman by default (answers are ordinal), Pearson and Kendall on request; every pair uses the
respondents who answered both, and its n says how many that was.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats

from cemlab._inputs import as_survey, group_size_threshold
from cemlab._stats import adjust_p
from cemlab.agreement import protected_respondents
from cemlab.exceptions import AnalysisError
from cemlab.instrument import Instrument
from cemlab.reliability import (
    hidden_beside_report,
    hide_rows_across,
    shown_dimension_bases,
    shown_item_bases,
)
from cemlab.results import ResultTable, result_table, suppress
from cemlab.survey import Survey

METHODS = ("spearman", "pearson", "kendall")
#: Items with at most this many distinct answers are correlated from their contingency tables.
_MAX_LEVELS = 64
_METHOD_LABEL = {
    "spearman": "Spearman's rho", "pearson": "Pearson's r", "kendall": "Kendall's tau-b"
}


def _codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct answers (sorted) and each respondent's index into them; missing = len(levels)."""
    present = ~np.isnan(values)
    levels, inverse = np.unique(values[present], return_inverse=True)
    codes = np.full(values.shape, len(levels), dtype=np.int64)
    codes[present] = inverse
    return levels, codes


def _midranks(counts: np.ndarray) -> np.ndarray:
    """Average rank of each level given how many respondents gave it (ties share a rank)."""
    return np.cumsum(counts) - (counts - 1) / 2


def _r_from_table(table: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
    """Pearson r of scores ``x`` (rows) and ``y`` (columns) weighted by the counts ``table``."""
    n = table.sum()
    rows, cols = table.sum(axis=1), table.sum(axis=0)
    dx = x - rows @ x / n
    dy = y - cols @ y / n
    sxx, syy = rows @ dx**2, cols @ dy**2
    if sxx <= 0 or syy <= 0:
        return np.nan
    return float(dx @ table @ dy / np.sqrt(sxx * syy))


def _pair_from_tables(a: np.ndarray, b: np.ndarray, la: np.ndarray, lb: np.ndarray,
                      method: str) -> tuple[int, float]:
    """(n, r) of a pair of discrete items from their cross-tabulation (one bincount)."""
    width = len(lb) + 1
    table = np.bincount(a * width + b, minlength=(len(la) + 1) * width).reshape(-1, width)
    table = table[:-1, :-1].astype(float)  # drop the "missing" row and column
    n = int(table.sum())
    if n < 2:
        return n, np.nan
    if method == "pearson":
        return n, _r_from_table(table, la, lb)
    return n, _r_from_table(table, _midranks(table.sum(axis=1)), _midranks(table.sum(axis=0)))


def _pair_from_values(x: np.ndarray, y: np.ndarray, method: str) -> tuple[int, float, float]:
    """(n, r, p) of a pair by scipy on the respondents who answered both."""
    both = ~np.isnan(x) & ~np.isnan(y)
    n = int(both.sum())
    if n < 3 or np.ptp(x[both]) == 0 or np.ptp(y[both]) == 0:
        return n, np.nan, np.nan
    test = {"spearman": stats.spearmanr, "pearson": stats.pearsonr,
            "kendall": stats.kendalltau}[method]
    result = test(x[both], y[both])
    return n, float(result.statistic), float(result.pvalue)


def _t_test_p(r: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Two-sided p of H0: rho = 0 from t = r √((n-2)/(1-r²)) on n - 2 df (as scipy's)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t = r * np.sqrt((n - 2) / ((1 - r) * (1 + r)))
        p = 2 * stats.t.sf(np.abs(t), n - 2)
    # two answers always lie on a line: r = ±1 says nothing, p = 1 (as scipy's pearsonr)
    return np.where(n <= 2, 1.0, np.where(np.abs(r) >= 1, 0.0, p))


def _chosen_items(survey: Survey, items: list[str] | None) -> list[str]:
    if items is None:
        return survey.item_ids
    unknown = [i for i in items if i not in survey.item_ids]
    if unknown:
        raise AnalysisError(
            f"no item {unknown[0]!r} in the survey; its items are {', '.join(survey.item_ids)}"
        )
    return list(items)


def correlations(
    data: Survey | pd.DataFrame,
    *,
    instrument: Instrument | str | None = None,
    method: str = "spearman",
    min_group_size: int | None = None,
    items: list[str] | None = None,
    adjust: str | None = "fdr_bh",
) -> ResultTable:
    """The correlation of every pair of statements, pairwise complete, with p-values.

    Parameters
    ----------
    data
        A `Survey`, or a responses DataFrame with ``instrument``.
    method
        ``"spearman"`` (default), ``"pearson"`` or ``"kendall"`` (tau-b).
    min_group_size
        Pairs answered by fewer respondents are suppressed; default the survey's (params, 5).
    items
        The items to correlate (default all of the instrument's items in the survey).
    adjust
        P-value adjustment across pairs: ``"fdr_bh"`` (Benjamini-Hochberg, default),
        ``"holm"`` or None.

    Returns
    -------
    ResultTable
        One row per pair, questionnaire order: ``item_a``, ``item_b``, ``statement_a``,
        ``statement_b``, ``dimension_a``, ``dimension_b``, ``r``, ``n`` (respondents who
        answered both), ``p_value``, ``p_adjusted``, ``suppressed``, ``suppressed_reason``.

    Notes
    -----
    Answers are correlated as worded (reverse-keyed items are not reversed), so the sign reads
    with the statements shown. Spearman's rho is Pearson's r of the mid-ranks (ties averaged)
    among the respondents who answered both items. For items with few distinct answers (any
    rating scale) r is computed from the pair's cross-tabulation: with counts :math:`c_{uv}`,
    scores (or mid-ranks) :math:`x_u, y_v`,
    :math:`r = \\sum c_{uv} (x_u - \\bar x)(y_v - \\bar y) / \\sqrt{\\sum c_{u\\cdot}(x_u - \\bar
    x)^2 \\sum c_{\\cdot v}(y_v - \\bar y)^2}`, one pass over the respondents per pair. The
    p-value of rho and r is that of :math:`t = r\\sqrt{(n-2)/(1-r^2)}` on n - 2 df, as
    ``scipy.stats.spearmanr`` / ``pearsonr`` give; Kendall's tau-b and its p-value come from
    ``scipy.stats.kendalltau`` pair by pair.

    References
    ----------
    Spearman, C. (1904). The proof and measurement of association between two things.
    Am J Psychol 15, 72-101.
    Benjamini, Y., & Hochberg, Y. (1995). Controlling the false discovery rate. JRSS B 57.

    Examples
    --------
    >>> import cemlab
    >>> pairs = cemlab.correlations(cemlab.load("data/polska-2008.csv"))
    >>> pairs.nlargest(3, "r")[["statement_a", "statement_b", "r", "n"]]  # doctest: +SKIP
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    survey = as_survey(data, instrument)
    threshold = group_size_threshold(survey, min_group_size)
    chosen = _chosen_items(survey, items)
    if len(chosen) < 2:
        raise AnalysisError("correlations need at least two items")
    values = {item: survey.responses[item].to_numpy(dtype=float) for item in chosen}
    coded = {item: _codes(values[item]) for item in chosen}
    discrete = method != "kendall" and all(len(lv) <= _MAX_LEVELS for lv, _ in coded.values())
    pairs = list(combinations(chosen, 2))
    n = np.zeros(len(pairs))
    r = np.full(len(pairs), np.nan)
    p = np.full(len(pairs), np.nan)
    for index, (a, b) in enumerate(pairs):
        if discrete:
            (la, ca), (lb, cb) = coded[a], coded[b]
            n[index], r[index] = _pair_from_tables(ca, cb, la, lb, method)
        else:
            n[index], r[index], p[index] = _pair_from_values(values[a], values[b], method)
    if discrete:
        p = np.where(np.isnan(r), np.nan, _t_test_p(r, n))
    instrument_ = survey.instrument
    table = pd.DataFrame({
        "item_a": [a for a, _ in pairs],
        "item_b": [b for _, b in pairs],
        "statement_a": [instrument_.text_of(a) for a, _ in pairs],
        "statement_b": [instrument_.text_of(b) for _, b in pairs],
        "dimension_a": [instrument_.dimension_of(a).id for a, _ in pairs],
        "dimension_b": [instrument_.dimension_of(b).id for _, b in pairs],
        "r": r,
        "n": n.astype(int),
        "p_value": p,
    })
    table = suppress(table, n_column="n", min_group_size=threshold,
                     value_columns=["r", "p_value"])
    hidden = _pairs_across(survey, table, pairs, threshold)
    table = hide_rows_across(table, hidden, ["r", "p_value"])
    table.insert(9, "p_adjusted", adjust_p(table["p_value"], adjust))
    return result_table(
        table,
        title=f"Correlations between statements ({_METHOD_LABEL[method]})",
        notes=f"{_METHOD_LABEL[method]} over the respondents who answered both statements (n); "
        f"answers as worded; p-values adjusted across pairs ({adjust or 'none'}); pairs answered "
        f"by fewer than {threshold} respondents suppressed.",
        min_group_size=threshold,
    )


def _pairs_across(survey: Survey, table: pd.DataFrame, pairs: list[tuple[str, str]],
                  threshold: int) -> np.ndarray:
    """The pairs whose n (who answered both) would isolate a small group beside another base
    the report shows: the statements', the report's total, the dimensions' and the items' in
    the item analysis (`cemlab.reliability.hidden_beside_report`)."""
    if not protected_respondents(survey, threshold).any():
        return np.zeros(len(table), dtype=bool)
    answered = survey.responses.notna()
    bases = np.array([(answered[a] & answered[b]).to_numpy() for a, b in pairs],
                     dtype=bool).reshape(len(pairs), survey.n)
    beside = np.vstack([shown_dimension_bases(survey, threshold),
                        shown_item_bases(survey, threshold)])
    return hidden_beside_report(survey, bases, ~table["suppressed"].to_numpy(dtype=bool),
                                threshold, beside=beside)


def correlation_matrix(
    data: Survey | pd.DataFrame,
    *,
    instrument: Instrument | str | None = None,
    method: str = "spearman",
    min_group_size: int | None = None,
    items: list[str] | None = None,
    order: str | None = "dimension",
) -> ResultTable:
    """The correlations as a square items × items table (for a heatmap).

    Parameters
    ----------
    method, min_group_size, items
        As in `correlations`.
    order
        ``"dimension"`` (default): items grouped by best practice in questionnaire order;
        None: the order of ``items``.

    Returns
    -------
    ResultTable
        Rows and columns the item ids; cells r (1 on the diagonal), NaN for a suppressed pair.
        Other parameters as `correlations`.

    Examples
    --------
    >>> import cemlab
    >>> matrix = cemlab.correlation_matrix(cemlab.load("data/polska-2008.csv"))
    >>> cemlab.plots.correlation_heatmap(matrix)  # doctest: +SKIP
    """
    if order not in ("dimension", None):
        raise ValueError(f"order must be 'dimension' or None; got {order!r}")
    survey = as_survey(data, instrument)
    pairs = correlations(survey, method=method, min_group_size=min_group_size, items=items,
                         adjust=None)
    chosen = _chosen_items(survey, items)
    if order == "dimension":
        chosen = [i for i in survey.instrument.item_ids if i in set(chosen)]
    matrix = pd.DataFrame(np.nan, index=pd.Index(chosen, name="item"), columns=chosen)
    for a, b, r in pairs[["item_a", "item_b", "r"]].itertuples(index=False):
        matrix.loc[a, b] = matrix.loc[b, a] = r
    answered = survey.responses[chosen].notna().sum()
    for item in chosen:
        matrix.loc[item, item] = 1.0 if answered[item] >= pairs.min_group_size else np.nan
    return result_table(matrix, title=pairs.title, notes=pairs.notes,
                        min_group_size=pairs.min_group_size)


def top_pairs(
    data: Survey | pd.DataFrame,
    k: int = 5,
    *,
    instrument: Instrument | str | None = None,
    method: str = "spearman",
    min_group_size: int | None = None,
) -> ResultTable:
    """The ``k`` pairs of statements with the strongest correlation (largest \\|r\\|).

    Parameters
    ----------
    data
        A `Survey` (or responses DataFrame with ``instrument``), or a table that
        `correlations` returned (then ``method`` and ``min_group_size`` are its own).
    k
        How many pairs.

    Returns
    -------
    ResultTable
        The `correlations` columns of the ``k`` strongest unsuppressed pairs, strongest first,
        with ``rank`` in front.

    Examples
    --------
    >>> import cemlab
    >>> cemlab.top_pairs(cemlab.load("data/polska-2008.csv"), k=3)  # doctest: +SKIP
    """
    if isinstance(data, pd.DataFrame) and {"item_a", "item_b", "r"} <= set(data.columns):
        pairs = data
    else:
        pairs = correlations(data, instrument=instrument, method=method,
                             min_group_size=min_group_size)
    shown = pd.DataFrame(pairs).dropna(subset=["r"])
    strongest = shown.loc[shown["r"].abs().sort_values(ascending=False, kind="stable").index]
    strongest = strongest.head(k).reset_index(drop=True)
    strongest.insert(0, "rank", np.arange(1, len(strongest) + 1))
    return result_table(strongest, title=f"The {k} strongest correlations",
                        notes=getattr(pairs, "notes", ""),
                        min_group_size=getattr(pairs, "min_group_size", None))


def correlations_with(
    data: Survey | pd.DataFrame,
    item: str,
    *,
    instrument: Instrument | str | None = None,
    method: str = "spearman",
    min_group_size: int | None = None,
    adjust: str | None = "fdr_bh",
) -> ResultTable:
    """One statement against every other, strongest first.

    Parameters
    ----------
    item
        The statement's item id (e.g. ``"lead_decisions"``).
    method, min_group_size, adjust
        As in `correlations`.

    Returns
    -------
    ResultTable
        The `correlations` columns with ``item_a`` = ``item`` on every row, sorted by \\|r\\|
        (suppressed pairs last); p-values adjusted across these pairs only.

    Examples
    --------
    >>> import cemlab
    >>> survey = cemlab.load("data/polska-2008.csv")
    >>> cemlab.correlations_with(survey, "lead_decisions")  # doctest: +SKIP
    """
    survey = as_survey(data, instrument)
    _chosen_items(survey, [item])
    others = [i for i in survey.item_ids if i != item]
    every = correlations(survey, method=method, min_group_size=min_group_size,
                         items=[item, *others], adjust=None)
    pairs = pd.DataFrame(every)[every["item_a"] == item].copy()
    pairs["p_adjusted"] = adjust_p(pairs["p_value"], adjust)
    order = pairs["r"].abs().sort_values(ascending=False, na_position="last", kind="stable").index
    return result_table(pairs.loc[order].reset_index(drop=True),
                        title=f"Correlations with {item}", notes=every.notes,
                        min_group_size=every.min_group_size)
