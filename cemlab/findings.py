"""Findings: the results worth a sentence, ranked, each with the numbers behind it.

Built only from the analyses' own tables (agreement gap, scorecard, correlations), so a figure
they suppress can never appear in a sentence, and only from results significant after adjustment
— except the three findings every report has, which say plainly when they are not significant.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from cemlab._inputs import as_survey, group_size_threshold
from cemlab._stats import adjust_p, check_adjust
from cemlab.agreement import agreement_gap
from cemlab.correlation import correlations
from cemlab.instrument import Instrument
from cemlab.results import ResultTable, result_table
from cemlab.scorecard import scorecard
from cemlab.survey import Survey

#: Order of the findings: the three every report has first, then the significant others.
_PRIORITY = {"largest gap": 0, "lowest": 1, "strongest correlation": 2, "gap": 3, "target": 4,
             "benchmark": 5}
_BENCHMARK_LABEL = {"polska-2008": "the 2008 study"}


def p_text(p: float) -> str:
    """An adjusted p-value as a report prints it: ``p < 0.001`` or ``p = 0.012``."""
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _clause(statement: str) -> str:
    """A statement as the end of a sentence: first letter lowered (unless an acronym), no dot."""
    text = statement.strip().rstrip(".")
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def _quoted(statement: str) -> str:
    return f"“{statement.strip().rstrip('.')}”"


def _gap_findings(gap: pd.DataFrame, groups: tuple[str, str], threshold: int,
                  alpha: float) -> list[dict]:
    a, b = groups
    shown = gap[gap["gap_pct"].notna()]
    if shown.empty:
        return [{"kind": "largest gap", "items": "", "value": np.nan, "p_adjusted": np.nan,
                 "finding": f"No {a} - {b} gap can be reported: on every statement one of the "
                 f"two groups is suppressed (fewer than {threshold} respondents, or hidden so "
                 "that a smaller group cannot be worked out)."}]
    largest = shown["gap_pct"].abs().idxmax()
    found = []
    for index, row in shown.iterrows():
        if not row["significant"] and index != largest:
            continue
        pa, pb, points = row[f"pct_agree_{a}"], row[f"pct_agree_{b}"], abs(row["gap_pct"])
        that = _clause(row["statement"])
        if row["significant"]:
            if row["gap_pct"] >= 0:
                text = f"{pa:.0f}% of {a} but only {pb:.0f}% of {b} agree that {that}"
            else:
                text = f"Only {pa:.0f}% of {a} but {pb:.0f}% of {b} agree that {that}"
            text += f" ({points:.0f} points; {p_text(row['p_adjusted'])})."
        else:
            text = (f"The largest gap between {a} and {b} is {points:.0f} points, on "
                    f"{_quoted(row['statement'])} ({pa:.0f}% vs {pb:.0f}% agree), and it is "
                    f"not significant after adjustment ({p_text(row['p_adjusted'])}, "
                    f"alpha {alpha:g}).")
        found.append({"kind": "largest gap" if index == largest else "gap", "finding": text,
                      "items": row["item"], "value": row["gap_pct"],
                      "p_adjusted": row["p_adjusted"], "_size": points})
    return found


def _lowest_finding(card: pd.DataFrame, scale: str) -> list[dict]:
    rows = card[card["lowest"].astype(bool) & card["mean"].notna()]
    if rows.empty:
        return []
    row = rows.iloc[0]
    text = (f"The lowest-scoring statement is {_quoted(row['statement'])} (mean "
            f"{row['mean']:.1f} on the {scale} scale; {row['pct_agree']:.0f}% agree).")
    return [{"kind": "lowest", "finding": text, "items": row["item"], "value": row["mean"],
             "p_adjusted": np.nan}]


def _correlation_finding(pairs: pd.DataFrame, method: str, alpha: float) -> list[dict]:
    shown = pairs[pairs["r"].notna()]
    if shown.empty:
        return []
    row = shown.loc[shown["r"].abs().idxmax()]
    symbol = {"spearman": "Spearman's rho", "pearson": "r", "kendall": "Kendall's tau"}[method]
    text = (f"The strongest correlation is between {_quoted(row['statement_a'])} and "
            f"{_quoted(row['statement_b'])} ({symbol} = {row['r']:.2f}, n = {row['n']}; "
            f"{p_text(row['p_adjusted'])})")
    if row["p_adjusted"] < alpha:
        tend = "agree" if row["r"] > 0 else "disagree"
        text += f": respondents who agree with one tend to {tend} with the other."
    else:
        text += ", not significant after adjustment."
    return [{"kind": "strongest correlation", "finding": text,
             "items": f"{row['item_a']}, {row['item_b']}", "value": row["r"],
             "p_adjusted": row["p_adjusted"]}]


def _target_findings(card: pd.DataFrame, target: float, adjust: str | None,
                     alpha: float) -> list[dict]:
    shown = card[card["mean"].notna() & (card["n"] > 1)].copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (shown["mean"] - target) / (shown["sd"] / np.sqrt(shown["n"]))
    shown["p"] = adjust_p(2 * stats.t.sf(np.abs(t), shown["n"] - 1), adjust)
    found = []
    for side, sign in (("below", -1), ("above", 1)):
        hits = shown[(shown["p"] < alpha) & (np.sign(shown["gap_to_target"]) == sign)]
        if hits.empty:
            continue
        row = hits.loc[hits["gap_to_target"].abs().idxmax()]
        text = (f"{len(hits)} of {len(card)} statements score significantly {side} the target "
                f"of {target:g}; furthest: {_quoted(row['statement'])} (mean {row['mean']:.1f}, "
                f"{abs(row['gap_to_target']):.1f} {side}; {p_text(row['p'])}).")
        found.append({"kind": "target", "finding": text, "items": ", ".join(hits["item"]),
                      "value": row["gap_to_target"], "p_adjusted": row["p"],
                      "_size": abs(row["gap_to_target"])})
    return found


def _benchmark_findings(card: pd.DataFrame, label: str, adjust: str | None,
                        alpha: float) -> list[dict]:
    shown = card[card["pct_agree"].notna() & card["benchmark_pct_agree"].notna()].copy()
    if shown.empty:
        return []
    agreeing = np.rint(shown["pct_agree"] * shown["n"] / 100).astype(int)
    raw = [stats.binomtest(int(k), int(n), published / 100).pvalue
           for k, n, published in zip(agreeing, shown["n"], shown["benchmark_pct_agree"])]
    shown["p"] = adjust_p(raw, adjust)
    found = []
    for _, row in shown[shown["p"] < alpha].iterrows():
        gap = row["gap_to_benchmark_pct"]
        side = "above" if gap > 0 else "below"
        text = (f"{row['pct_agree']:.0f}% agree that {_clause(row['statement'])}, against "
                f"{row['benchmark_pct_agree']:.0f}% in {label} ({abs(gap):.0f} points {side}; "
                f"{p_text(row['p'])}).")
        found.append({"kind": "benchmark", "finding": text, "items": row["item"], "value": gap,
                      "p_adjusted": row["p"], "_size": abs(gap)})
    return found


def findings(
    data: Survey | pd.DataFrame,
    *,
    instrument: Instrument | str | None = None,
    target: float | None = None,
    benchmark: str | pd.DataFrame | None = "polska-2008",
    groups: tuple[str, str] = ("management", "staff"),
    min_group_size: int | None = None,
    adjust: str | None = "holm",
    alpha: float = 0.05,
    method: str = "spearman",
    max_findings: int = 10,
) -> ResultTable:
    """A ranked list of plain-language findings, each sentence carrying its numbers.

    Parameters
    ----------
    data
        A `Survey`, or a responses DataFrame with ``instrument``.
    target
        The client's target score; adds findings on statements significantly below / above it.
    benchmark
        Benchmark name or table (see `cemlab.scorecard.scorecard`); None for no comparison.
    groups
        The two groups compared (``a - b``).
    min_group_size
        Groups and pairs under this many respondents give no figure; default the survey's.
    adjust
        Adjustment across items for the gap, target and benchmark tests (``"holm"`` default,
        ``"fdr_bh"``, None); correlations are adjusted across pairs by Benjamini-Hochberg.
    alpha
        Significance level after adjustment.
    method
        Correlation method (``"spearman"``, ``"pearson"``, ``"kendall"``).
    max_findings
        At most this many rows (the three findings every report has come first).

    Returns
    -------
    ResultTable
        ``rank``, ``kind`` (``largest gap``, ``lowest``, ``strongest correlation``, ``gap``,
        ``target``, ``benchmark``), ``finding`` (the sentence), ``items`` (item
        ids, comma separated), ``value`` (gap in points, mean, r, or gap to target / benchmark)
        and ``p_adjusted``.

    Notes
    -----
    Every report has the largest management - staff gap (said to be not significant when it
    is not), the lowest-scoring statement and the strongest correlation. The other findings
    are only those significant after adjustment: gaps in % agree (`agreement_gap`: z or Fisher),
    means against the target (one-sample t = (mean - target) / (s/√n), n - 1 df), % agree
    against the benchmark's published % (exact binomial test, the published figure taken as
    fixed). Each figure comes from a table that has
    already applied ``min_group_size``: a suppressed value is missing there and no sentence is
    written from it.

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scand J Stat 6.

    Examples
    --------
    >>> import cemlab
    >>> survey = cemlab.load("data/polska-2008.csv")
    >>> cemlab.findings(survey, target=7)["finding"].head(3).tolist()  # doctest: +SKIP
    """
    check_adjust(adjust)
    if max_findings < 1:
        raise ValueError(f"max_findings must be at least 1, got {max_findings}")
    survey = as_survey(data, instrument)
    threshold = group_size_threshold(survey, min_group_size)
    gap = agreement_gap(survey, groups=groups, min_group_size=threshold, adjust=adjust,
                        alpha=alpha)
    card = scorecard(survey, target=target, benchmark=benchmark, groups=groups,
                     min_group_size=threshold, adjust=adjust)
    pairs = correlations(survey, method=method, min_group_size=threshold)
    scale = f"{survey.instrument.scale.min}-{survey.instrument.scale.max}"
    found = [
        *_gap_findings(gap, groups, threshold, alpha),
        *_lowest_finding(card, scale),
        *_correlation_finding(pairs, method, alpha),
    ]
    if target is not None:
        found += _target_findings(card, float(target), adjust, alpha)
    if benchmark is not None:
        label = _BENCHMARK_LABEL.get(benchmark, "the benchmark") if isinstance(
            benchmark, str) else "the benchmark"
        found += _benchmark_findings(card, label, adjust, alpha)
    table = pd.DataFrame(found, columns=["kind", "finding", "items", "value", "p_adjusted",
                                         "_size"])
    table["_priority"] = table["kind"].map(_PRIORITY)
    table = table.sort_values(["_priority", "_size"], ascending=[True, False], kind="stable",
                              na_position="last").head(max_findings).reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return result_table(
        table.drop(columns=["_priority", "_size"]),
        title="Findings",
        notes=f"Significant after adjustment ({adjust or 'none'}; correlations Benjamini-"
        f"Hochberg) at alpha {alpha:g}, except the largest gap, the lowest-scoring statement and "
        f"the strongest correlation, which are always reported; no figure from fewer than "
        f"{threshold} respondents.",
        min_group_size=threshold,
    )
