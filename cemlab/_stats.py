"""Small statistical pieces several analyses share: p-value adjustment, proportion tests.

Vectorised over items, so an analysis tests all its items in one call.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

#: Names accepted for ``adjust=``, mapped to statsmodels' method names.
ADJUSTMENTS = {"holm": "holm", "fdr_bh": "fdr_bh", "bh": "fdr_bh", "bonferroni": "bonferroni",
               "none": None}


def check_adjust(method: str | None) -> None:
    """Raise a clear ValueError for an unknown ``adjust=`` name (before any work is done)."""
    if method is not None and method not in ADJUSTMENTS:
        raise ValueError(
            f"adjust must be one of {', '.join(ADJUSTMENTS)} or None; got {method!r}"
        )


def adjust_p(p_values: pd.Series | np.ndarray, method: str | None = "holm") -> np.ndarray:
    """P-values adjusted across the tests that have one (NaN stays NaN).

    ``method``: ``"holm"`` (Holm 1979), ``"fdr_bh"`` / ``"bh"`` (Benjamini–Hochberg 1995),
    ``"bonferroni"``, or ``"none"`` / None for no adjustment; computed by
    ``statsmodels.stats.multitest.multipletests``.
    """
    check_adjust(method)
    p = np.asarray(p_values, dtype=float)
    if method is None or ADJUSTMENTS[method] is None:
        return p.copy()
    out = np.full_like(p, np.nan)
    present = ~np.isnan(p)
    if present.any():
        if ADJUSTMENTS[method] == "holm":
            out[present] = _holm(p[present])
        else:
            out[present] = multipletests(p[present], method=ADJUSTMENTS[method])[1]
    return out


def _holm(p: np.ndarray) -> np.ndarray:
    """Holm's step-down adjustment: sorted p_(i) times (m - i + 1), made monotone, capped at 1.

    Written out because statsmodels' ``multipletests(method="holm")`` runs a garbage
    collection on every call (about 25 ms), which dominated the scorecard on 10k respondents;
    equal to it (tested).
    """
    order = np.argsort(p, kind="stable")
    m = len(p)
    stepped = np.minimum(1.0, np.maximum.accumulate(p[order] * (m - np.arange(m))))
    out = np.empty_like(stepped)
    out[order] = stepped
    return out


def two_proportion_z(
    x1: np.ndarray, n1: np.ndarray, x2: np.ndarray, n2: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Pooled two-proportion z-test without continuity correction, two-sided.

    z = (p1 - p2) / sqrt(p (1 - p) (1/n1 + 1/n2)), p = (x1 + x2) / (n1 + n2); the same as
    ``statsmodels.stats.proportion.proportions_ztest`` on each pair. Where both samples are
    all-agree (or none-agree) there is no difference to test: z = 0, p = 1.
    """
    x1, n1, x2, n2 = (np.asarray(a, dtype=float) for a in (x1, n1, x2, n2))
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (x1 + x2) / (n1 + n2)
        se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        z = (x1 / n1 - x2 / n2) / se
    degenerate = (pooled == 0) | (pooled == 1)
    z = np.where(degenerate, 0.0, z)
    p = np.where(degenerate, 1.0, 2 * stats.norm.sf(np.abs(z)))
    bad = (n1 <= 0) | (n2 <= 0) | np.isnan(n1) | np.isnan(n2)
    return np.where(bad, np.nan, z), np.where(bad, np.nan, p)


def wilson_interval(
    share: np.ndarray, n: np.ndarray, ci: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a proportion (Wilson 1927; Newcombe 1998, method 3).

    Written out because ``statsmodels.stats.proportion.proportion_confint(method="wilson")``
    takes counts, and a weighted share with its effective base is not a count; for counts the
    two agree (tested).
    """
    share = np.asarray(share, dtype=float)
    n = np.asarray(n, dtype=float)
    z = stats.norm.ppf(0.5 + ci / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        centre = (share + z**2 / (2 * n)) / (1 + z**2 / n)
        half = z * np.sqrt(share * (1 - share) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return centre - half, centre + half
