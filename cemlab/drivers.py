"""Key-driver analysis: which items move an outcome (recommend score, overall satisfaction).

Johnson's relative weights split the regression R² among correlated drivers; a seeded,
vectorised bootstrap gives their intervals; the importance-performance table puts each driver
in a quadrant a client can act on.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import statsmodels.api as sm

from cemlab._inputs import as_survey, group_size_threshold
from cemlab.exceptions import AnalysisError
from cemlab.instrument import Instrument
from cemlab.results import ResultTable, result_table, suppress
from cemlab.survey import Survey

QUADRANTS = {
    (True, True): "key strength",
    (True, False): "key weakness",
    (False, True): "maintain",
    (False, False): "lower priority",
}


# -- the arithmetic ----------------------------------------------------------------------------


def _relative_weights(corr: np.ndarray) -> np.ndarray:
    """Johnson's raw relative weights from correlation matrices of [drivers..., outcome].

    Works on one matrix (p+1, p+1) or a stack (B, p+1, p+1); returns (p,) or (B, p).
    """
    rxx = corr[..., :-1, :-1]
    rxy = corr[..., :-1, -1]
    eigenvalues, eigenvectors = np.linalg.eigh(rxx)
    root = np.sqrt(np.clip(eigenvalues, 0.0, None))
    # Lambda: correlations of the drivers with their closest orthogonal counterparts Z
    lam = (eigenvectors * root[..., None, :]) @ np.swapaxes(eigenvectors, -1, -2)
    beta = np.linalg.solve(lam, rxy[..., None])[..., 0]  # outcome regressed on Z
    return np.einsum("...jk,...k->...j", lam**2, beta**2)


def _correlations(data: np.ndarray) -> np.ndarray:
    """Pearson correlation matrices of (n, v) or (B, n, v) data, columns as variables."""
    centred = data - data.mean(axis=-2, keepdims=True)
    cov = np.swapaxes(centred, -1, -2) @ centred
    sd = np.sqrt(np.diagonal(cov, axis1=-2, axis2=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return cov / (sd[..., :, None] * sd[..., None, :])


def _bootstrap_shares(data: np.ndarray, n_boot: int, seed: int) -> np.ndarray:
    """Share (%) of each driver in ``n_boot`` resamples of the rows, (n_boot, p).

    Resamples are drawn in batches so memory stays near 20 MB whatever the size of the data.
    """
    rng = np.random.default_rng(seed)
    n, width = data.shape
    batch = max(1, min(n_boot, 2_500_000 // max(1, n * width)))
    shares = []
    for start in range(0, n_boot, batch):
        rows = rng.integers(0, n, size=(min(batch, n_boot - start), n))
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = _correlations(data[rows])
            usable = np.isfinite(corr).all(axis=(-2, -1))
            raw = np.full((len(rows), width - 1), np.nan)
            if usable.any():
                raw[usable] = _relative_weights(corr[usable])
            shares.append(100 * raw / raw.sum(axis=1, keepdims=True))
    return np.concatenate(shares)


# -- inputs ------------------------------------------------------------------------------------


def _outcome_and_drivers(
    survey: Survey, outcome: str, drivers: Sequence[str] | None
) -> tuple[str, list[str]]:
    columns = survey.responses.columns
    if outcome not in columns:
        raise AnalysisError(
            f"outcome {outcome!r} is not a column of the responses; choose the recommend "
            f"question or an item: {', '.join(map(str, [*_recommend(survey), *survey.item_ids]))}"
        )
    chosen = list(drivers) if drivers is not None else [i for i in survey.item_ids if i != outcome]
    unknown = [d for d in chosen if d not in columns]
    if unknown:
        raise AnalysisError(f"drivers not in the responses: {', '.join(unknown)}")
    if outcome in chosen:
        raise AnalysisError(f"the outcome {outcome!r} cannot also be a driver")
    if len(chosen) < 2:
        raise AnalysisError(
            f"key-driver analysis needs at least two drivers; got {len(chosen)}. With one "
            "driver its share is 100%: report its correlation with the outcome instead"
        )
    return outcome, chosen


def _recommend(survey: Survey) -> list[str]:
    recommend = survey.instrument.recommend
    return [recommend.id] if recommend is not None else []


def _statement(survey: Survey, item: str) -> str:
    try:
        return survey.instrument.text_of(item)
    except KeyError:
        return item


# -- public API ----------------------------------------------------------------------------------


def key_drivers(
    survey: Survey | pd.DataFrame,
    outcome: str = "ltr",
    *,
    drivers: Sequence[str] | None = None,
    instrument: Instrument | str | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    ci: float = 0.95,
    min_group_size: int | None = None,
) -> ResultTable:
    """Relative importance of each driver of an outcome (Johnson's relative weights).

    Parameters
    ----------
    survey
        A `Survey`, or a DataFrame of responses with ``instrument``.
    outcome
        The column explained: the recommend question (``"ltr"``), ``"sat_overall"`` or any
        item.
    drivers
        The explaining items; default every item of the instrument except the outcome.
    instrument
        The instrument, when ``survey`` is a DataFrame.
    n_boot
        Bootstrap resamples for the intervals (0 for none).
    seed
        Seed of the bootstrap: the same seed gives the same intervals.
    ci
        Confidence level of the percentile bootstrap interval.
    min_group_size
        With fewer complete respondents every value is suppressed (default: the survey's).

    Returns
    -------
    ResultTable
        One row per driver, most important first: ``driver``, ``statement``, ``raw_weight``
        (its part of R²; the column sums to R²), ``share_pct`` (sums to 100), ``sign`` (+1/-1,
        the sign of its multiple-regression coefficient), ``signed_share`` (share x sign),
        ``ci_low``, ``ci_high`` (bootstrap interval of ``share_pct``), ``n`` (respondents with
        the outcome and every driver answered), ``r_squared`` (of the OLS model, same on every
        row), ``suppressed``, ``suppressed_reason``. R² is also in ``notes``.

    Raises
    ------
    AnalysisError
        Unknown outcome or drivers, fewer than two drivers, or too few complete respondents
        to fit the regression.

    Notes
    -----
    Johnson (2000): with :math:`R_{xx} = Q \\Lambda Q^\\top` the drivers' correlation matrix,
    :math:`L = Q \\Lambda^{1/2} Q^\\top` holds the correlations of the drivers with their
    closest orthogonal counterparts :math:`Z`; :math:`\\beta = L^{-1} r_{xy}` regresses the
    outcome on :math:`Z`; the raw weight of driver :math:`j` is
    :math:`\\varepsilon_j = \\sum_k L_{jk}^2 \\beta_k^2`, and
    :math:`\\sum_j \\varepsilon_j = R^2`. Respondents are used listwise. The bootstrap
    resamples respondents and recomputes the shares, all resamples at once as stacked
    matrices; the interval is the percentile interval. Relative weights closely approximate
    the general dominance weights (Shapley values of R²) of Budescu (1993) but are not equal
    to them (LeBreton et al. 2004).

    References
    ----------
    Johnson, J. W. (2000). A heuristic method for estimating the relative weight of predictor
    variables in multiple regression. Multivariate Behavioral Research, 35(1), 1-19.
    Tonidandel, S. & LeBreton, J. M. (2011). Relative importance analysis: a useful
    supplement to regression analysis. Journal of Business and Psychology, 26, 1-9.

    Example
    -------
    >>> import cemlab
    >>> client = cemlab.load_client("params/kestrel-mobile.yaml")  # doctest: +SKIP
    >>> cemlab.key_drivers(client.feedback, "ltr")  # doctest: +SKIP
    """
    survey = as_survey(survey, instrument)
    threshold = group_size_threshold(survey, min_group_size)
    outcome, chosen = _outcome_and_drivers(survey, outcome, drivers)
    complete = survey.responses[[*chosen, outcome]].astype(float).dropna()
    n = len(complete)
    p = len(chosen)
    table = pd.DataFrame({
        "driver": chosen,
        "statement": [_statement(survey, d) for d in chosen],
        "raw_weight": np.nan, "share_pct": np.nan, "sign": np.nan, "signed_share": np.nan,
        "ci_low": np.nan, "ci_high": np.nan, "n": n, "r_squared": np.nan,
    })
    r_squared = np.nan
    if n >= threshold:
        if n <= p + 1:
            raise AnalysisError(
                f"{n} respondents answered {outcome!r} and all {p} drivers: too few to weigh "
                f"{p} drivers (need more than {p + 1}). Fix: choose fewer drivers"
            )
        data = complete.to_numpy()
        constant = complete.columns[data.std(axis=0) == 0].tolist()
        if constant:
            raise AnalysisError(
                f"every respondent gave the same answer to {', '.join(constant)}: it cannot "
                "drive or be driven. Fix: leave it out of the drivers"
            )
        raw = _relative_weights(_correlations(data))
        fit = sm.OLS(data[:, -1], sm.add_constant(data[:, :-1])).fit()
        r_squared = float(fit.rsquared)
        signs = np.where(fit.params[1:] < 0, -1.0, 1.0)
        share = 100 * raw / raw.sum()
        table["raw_weight"] = raw
        table["share_pct"] = share
        table["sign"] = signs
        table["signed_share"] = share * signs
        table["r_squared"] = r_squared
        if n_boot > 0:
            shares = _bootstrap_shares(data, n_boot, seed)
            tail = 100 * (1 - ci) / 2
            table["ci_low"] = np.nanpercentile(shares, tail, axis=0)
            table["ci_high"] = np.nanpercentile(shares, 100 - tail, axis=0)
    table = suppress(table, min_group_size=threshold,
                     value_columns=["raw_weight", "share_pct", "sign", "signed_share", "ci_low",
                                    "ci_high", "r_squared"])
    table = table.sort_values("share_pct", ascending=False, kind="stable", ignore_index=True)
    if table["suppressed"].any():  # the base of a suppressed fit is a figure to protect too
        fit = f"R² suppressed (OLS on fewer than {threshold} complete respondents)"
    else:
        fit = f"R² = {r_squared:.3f} (OLS, n = {n} complete respondents)"
    return result_table(
        table, title=f"Key drivers of {outcome}", min_group_size=threshold,
        notes=f"Johnson's relative weights; {fit}. Interval: percentile bootstrap {ci:.0%}, "
              f"{n_boot} resamples, seed {seed}.",
    )


def importance_performance(
    survey: Survey | pd.DataFrame,
    outcome: str = "ltr",
    *,
    drivers: Sequence[str] | None = None,
    instrument: Instrument | str | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    min_group_size: int | None = None,
) -> ResultTable:
    """Importance (driver share) against performance (mean score), with a quadrant per driver.

    Parameters
    ----------
    survey, outcome, drivers, instrument, n_boot, seed, min_group_size
        As in `key_drivers`.

    Returns
    -------
    ResultTable
        One row per driver: ``driver``, ``statement``, ``importance`` (``share_pct`` of
        `key_drivers`, 0-100), ``importance_ci_low``, ``importance_ci_high``, ``performance``
        (mean answer of every respondent who answered the driver), ``n`` (respondents in the
        driver model), ``quadrant``, ``suppressed``, ``suppressed_reason``.

    Notes
    -----
    The cut lines are the means over the drivers shown: mean importance (100 / number of
    drivers, since shares sum to 100) and mean performance. A driver at or above both cuts is
    a "key strength", important but below the performance cut a "key weakness" (fix first),
    less important but performing well "maintain", and the rest "lower priority". The cuts are
    in ``notes``; `cemlab.plots.importance_performance_chart` draws the same lines.

    References
    ----------
    Martilla, J. A. & James, J. C. (1977). Importance-performance analysis. Journal of
    Marketing, 41(1), 77-79.

    Example
    -------
    >>> cemlab.importance_performance(client.feedback, "ltr")  # doctest: +SKIP
    """
    weights = key_drivers(survey, outcome, drivers=drivers, instrument=instrument,
                          n_boot=n_boot, seed=seed, min_group_size=min_group_size)
    survey = as_survey(survey, instrument)
    means = survey.responses[weights["driver"].tolist()].astype(float).mean()
    table = pd.DataFrame({
        "driver": weights["driver"],
        "statement": weights["statement"],
        "importance": weights["share_pct"],
        "importance_ci_low": weights["ci_low"],
        "importance_ci_high": weights["ci_high"],
        "performance": means.to_numpy(),
        "n": weights["n"],
        "suppressed": weights["suppressed"],
        "suppressed_reason": weights["suppressed_reason"],
    })
    shown = ~table["suppressed"]
    table.loc[~shown, "performance"] = np.nan
    importance_cut = table.loc[shown, "importance"].mean()
    performance_cut = table.loc[shown, "performance"].mean()
    quadrant = [
        QUADRANTS[(imp >= importance_cut, perf >= performance_cut)] if keep else None
        for imp, perf, keep in zip(table["importance"], table["performance"], shown)
    ]
    table.insert(table.columns.get_loc("suppressed"), "quadrant", quadrant)
    cuts = (
        "suppressed" if not shown.any()
        else f"importance {importance_cut:.1f}%, performance {performance_cut:.2f}"
    )
    return result_table(
        table, title=f"Importance and performance: drivers of {outcome}",
        min_group_size=weights.min_group_size,
        notes=f"Cut lines (means over the drivers): {cuts}. {weights.notes}",
    )
