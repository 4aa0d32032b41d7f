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
#: R's ``lm.fit`` tolerance for its QR: a driver whose norm, once the intercept and the drivers
#: before it are projected out, is below this fraction of its own norm is aliased (left out).
ALIAS_TOL = 1e-7
#: A bootstrap resample whose drivers' correlation matrix has an eigenvalue below this is
#: singular: some driver is explained by the others to within about p x 1e-10 of its variance
#: (an exact copy or sum, to rounding), so its weights would be rounding noise. Real answers
#: come nowhere near it unless one driver is an exact combination of others in the resample.
SINGULAR_EIGENVALUE = 1e-10


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


def _aliased(data: np.ndarray) -> dict[int, list[int]]:
    """Drivers that are exact linear combinations of the intercept and the drivers before them.

    ``data`` is (n, p) drivers in the order given. Returns {aliased driver: the drivers kept
    before it that it is a combination of} (an empty list: a constant). This is R's ``lm``
    rule: its QR decomposition (LINPACK ``dqrdc2``, "limited pivoting") takes the columns of
    ``[1, drivers]`` in order and moves a column whose norm, once the columns kept before it
    are projected out, falls below ``tol = 1e-7`` times its original norm to the end; ``lm``
    reports NA for it. The projection is done on R of one QR of the data, whose columns have
    the data's inner products, so the loop costs p small vectors however long the data.
    """
    spread = data.std(axis=0)
    design = np.column_stack([np.ones(len(data)), data])
    columns = np.linalg.qr(design, mode="r")
    basis = [columns[:, 0] / np.linalg.norm(columns[:, 0])]
    kept: list[int] = []
    aliased: dict[int, list[int]] = {}
    for j in range(data.shape[1]):
        column = columns[:, j + 1]
        stack = np.column_stack(basis)
        residual = column - stack @ (stack.T @ column)
        residual -= stack @ (stack.T @ residual)  # twice: Gram-Schmidt keeps orthogonality
        norm = np.linalg.norm(residual)
        if norm >= ALIAS_TOL * np.linalg.norm(column):
            basis.append(residual / norm)
            kept.append(j)
            continue
        if not kept or spread[j] == 0:  # (nearly) constant: the intercept alone explains it
            aliased[j] = []
            continue
        others = data[:, kept] - data[:, kept].mean(axis=0)
        coef = np.linalg.lstsq(others, data[:, j] - data[:, j].mean(), rcond=None)[0]
        standardised = np.abs(coef) * spread[kept] / spread[j]
        aliased[j] = [k for k, b in zip(kept, standardised) if b > 1e-6]
    return aliased


def _may_be_aliased(data: np.ndarray, corr: np.ndarray) -> bool:
    """False when no driver can be aliased by R's rule: then the QR of `_aliased` is skipped.

    A driver aliased by R's rule has a part not explained by the others whose share of its
    variance is below ``tol² x |x|² / |x - mean|²``; the smallest eigenvalue of the drivers'
    correlation matrix is at most that share, so an eigenvalue well above it rules aliasing out.
    """
    rxx = corr[:-1, :-1]
    if not np.isfinite(rxx).all():
        return True
    drivers = data[:, :-1]
    square = (drivers**2).sum(axis=0)
    centred = ((drivers - drivers.mean(axis=0)) ** 2).sum(axis=0)
    bound = ALIAS_TOL**2 * float((square / centred).max())
    return bool(np.linalg.eigvalsh(rxx)[0] < 100 * bound)


def _bootstrap_shares(data: np.ndarray, n_boot: int, seed: int) -> np.ndarray:
    """Share (%) of each driver in the usable resamples of ``n_boot`` drawn, (usable, p).

    A resample is skipped when its drivers are singular (one constant, or an exact combination
    of others: the smallest eigenvalue of their correlation matrix under ``SINGULAR_EIGENVALUE``)
    or when they explain nothing (R² = 0): its weights are not defined. The caller counts them
    as ``n_boot`` minus the rows returned. Resamples are drawn in batches so memory stays near
    20 MB whatever the size of the data.
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
        smallest = np.linalg.eigvalsh(corr[usable][:, :-1, :-1])[:, 0]
        usable[usable] = smallest >= SINGULAR_EIGENVALUE
        raw = _relative_weights(corr[usable])
        total = raw.sum(axis=1, keepdims=True)
        explained = total[:, 0] > 0
        shares.append(100 * raw[explained] / total[explained])
    return np.concatenate(shares)


# -- inputs ------------------------------------------------------------------------------------

#: Dimensions of an instrument that hold outcomes (overall satisfaction), not drivers.
OUTCOME_DIMENSIONS = ("overall",)


def journey_drivers(survey: Survey | None) -> list[str] | None:
    """The key drivers cemlab weighs everywhere: every item outside an outcome dimension.

    The one definition the client report, the explore notebook and the default of
    `key_drivers` and `importance_performance` share, so the drivers' shares agree wherever
    they are shown. For customer feedback that is the journey's touchpoints: overall
    satisfaction is another outcome, and as a driver it would explain the recommend score by
    itself and hide which touchpoints matter (the recommend question is no item, so never a
    driver). For an instrument without an outcome dimension it is every item.

    Parameters
    ----------
    survey
        A `Survey`; None (no feedback data in a client's params) gives None.

    Returns
    -------
    list of str or None
        Item ids in questionnaire order, whether or not the responses hold them.

    Example
    -------
    >>> cemlab.journey_drivers(client.feedback)  # doctest: +SKIP
    ['sat_awareness', 'sat_purchase', 'sat_onboarding', 'sat_service', 'sat_billing']
    """
    if survey is None:
        return None
    return [
        item.id
        for dimension in survey.instrument.dimensions
        if dimension.id not in OUTCOME_DIMENSIONS
        for item in dimension.items
    ]



def _outcome_and_drivers(
    survey: Survey, outcome: str, drivers: Sequence[str] | None
) -> tuple[str, list[str]]:
    columns = survey.responses.columns
    if outcome not in columns:
        raise AnalysisError(
            f"outcome {outcome!r} is not a column of the responses; choose the recommend "
            f"question or an item: {', '.join(map(str, [*_recommend(survey), *survey.item_ids]))}"
        )
    if drivers is None:  # the report's drivers, of those the responses hold
        present = set(survey.item_ids)
        drivers = [i for i in journey_drivers(survey) if i in present and i != outcome]
    chosen = list(drivers)
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
        The explaining items; default `journey_drivers` (every item outside an outcome
        dimension such as overall satisfaction, as the client report weighs them) that the
        responses hold, except the outcome.
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
        row), ``note`` (why a driver was left out of the fit, else empty), ``suppressed``,
        ``suppressed_reason``. R², the drivers left out and the bootstrap resamples skipped
        are also in ``notes``.

    Raises
    ------
    AnalysisError
        Unknown outcome or drivers, fewer than two drivers, too few complete respondents to
        fit the regression, an outcome every respondent answered alike, or no driver that
        varies.

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

    Degenerate drivers are handled as R's ``lm`` handles them: a driver that is an exact
    linear combination of the intercept and the drivers before it in ``drivers`` (a copy, a
    sum of two others, a constant) is aliased by ``lm``'s pivoted QR, which reports NA for it;
    here it is left out of the fit, its row keeps NaN figures and a ``note`` ("it is an exact
    combination of q1 and q2"), and the weights are those of the remaining drivers (the same
    R²). A bootstrap resample in which the remaining drivers are singular is skipped and
    counted in ``notes``; the interval comes from the other resamples.

    References
    ----------
    R Core Team. ``?lm`` ("singular.ok": aliased coefficients are NA) and ``?qr``
    (LINPACK ``dqrdc2``, limited column pivoting with ``tol = 1e-7``).
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
    table["note"] = ""
    r_squared = np.nan
    skipped = 0
    left_out: dict[str, str] = {}
    if n >= threshold:
        if n <= p + 1:
            raise AnalysisError(
                f"{n} respondents answered {outcome!r} and all {p} drivers: too few to weigh "
                f"{p} drivers (need more than {p + 1}). Fix: choose fewer drivers"
            )
        data = complete.to_numpy()
        if data[:, -1].min() == data[:, -1].max():
            raise AnalysisError(
                f"every respondent gave the same answer to {outcome!r}: there is nothing for "
                "the drivers to explain. Fix: choose another outcome"
            )
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = _correlations(data)
        aliased = _aliased(data[:, :-1]) if _may_be_aliased(data, corr) else {}
        if len(aliased) == p:
            raise AnalysisError(
                f"every respondent gave the same answer to each of {', '.join(chosen)}: "
                "nothing varies to drive the outcome. Fix: choose other drivers"
            )
        kept = [j for j in range(p) if j not in aliased]
        left_out = {chosen[j]: _left_out_note([chosen[k] for k in members], data[:, j])
                    for j, members in aliased.items()}
        table["note"] = table["driver"].map(left_out).fillna("")
        columns = [*kept, p]
        raw = _relative_weights(corr[np.ix_(columns, columns)])
        fit = sm.OLS(data[:, -1], sm.add_constant(data[:, kept], has_constant="add")).fit()
        r_squared = float(fit.rsquared)
        signs = np.where(fit.params[1:] < 0, -1.0, 1.0)
        share = 100 * raw / raw.sum()
        rows = table.index[kept]
        table.loc[rows, "raw_weight"] = raw
        table.loc[rows, "share_pct"] = share
        table.loc[rows, "sign"] = signs
        table.loc[rows, "signed_share"] = share * signs
        table["r_squared"] = r_squared
        if n_boot > 0:
            shares = _bootstrap_shares(data[:, columns], n_boot, seed)
            skipped = n_boot - len(shares)
            if len(shares):
                tail = 100 * (1 - ci) / 2
                table.loc[rows, "ci_low"] = np.percentile(shares, tail, axis=0)
                table.loc[rows, "ci_high"] = np.percentile(shares, 100 - tail, axis=0)
    table = suppress(table, min_group_size=threshold,
                     value_columns=["raw_weight", "share_pct", "sign", "signed_share", "ci_low",
                                    "ci_high", "r_squared"])
    table = table.sort_values("share_pct", ascending=False, kind="stable", ignore_index=True)
    if table["suppressed"].any():  # the base of a suppressed fit is a figure to protect too
        fit = f"R² suppressed (OLS on fewer than {threshold} complete respondents)"
    else:
        fit = f"R² = {r_squared:.3f} (OLS, n = {n} complete respondents)"
    interval = f"Interval: percentile bootstrap {ci:.0%}, {n_boot} resamples, seed {seed}"
    if skipped:
        interval += (f"; {skipped} of them skipped as singular (in the resample a driver was "
                     "constant or an exact combination of others)")
        if skipped == n_boot:
            interval += ", so no interval"
    notes = [f"Johnson's relative weights; {fit}.", f"{interval}."]
    notes += [f"{driver} left out: {why}." for driver, why in left_out.items()]
    return result_table(
        table, title=f"Key drivers of {outcome}", min_group_size=threshold,
        notes=" ".join(notes),
    )


def _left_out_note(members: list[str], values: np.ndarray) -> str:
    """Why R's ``lm`` would report NA for a driver, in words a consultant can pass on."""
    if not members:
        return ("every respondent gave the same answer to it" if values.min() == values.max()
                else "its answers hardly vary")
    named = members[0] if len(members) == 1 else f"{', '.join(members[:-1])} and {members[-1]}"
    return f"it is an exact combination of {named}"


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
    # a driver left out of the fit has no importance: it stays in the notes, not in the chart
    weights = weights[weights["note"] == ""]
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
