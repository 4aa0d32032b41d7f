"""The scorecard: mean score and agreement per statement and per best practice, and the gaps.

Gaps to the client's target, to a published benchmark (the 2008 study ships as one), and between
management and staff (Welch's t-test). The lowest and highest statements are flagged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from cemlab._inputs import as_survey, group_size_threshold
from cemlab._stats import adjust_p
from cemlab.agreement import (
    ACROSS_REASON,
    agreement,
    band_codes,
)
from cemlab.benchmarks import load_benchmark
from cemlab.exceptions import AnalysisError
from cemlab.instrument import Instrument
from cemlab.reliability import (
    THIN_ITEMS_REASON,
    hidden_beside_report,
    items_with_enough_answers,
    reliability,
)
from cemlab.results import ResultTable, result_table, suppress
from cemlab.survey import Survey


def scored(survey: Survey, item: str) -> np.ndarray:
    """An item's answers as scores: reverse-keyed items reversed (min + max - x), NaN missing."""
    values = survey.responses[item].to_numpy(dtype=float)
    if survey.instrument.item(item).reverse:
        values = survey.instrument.scale_of(item).reverse(values)
    return values


def _moments(values: np.ndarray, mask: np.ndarray | None = None) -> tuple[int, float, float]:
    """(n, mean, sample SD) of the non-missing values (under ``mask``)."""
    chosen = values if mask is None else values[mask]
    chosen = chosen[~np.isnan(chosen)]
    n = len(chosen)
    mean = chosen.mean() if n else np.nan
    sd = chosen.std(ddof=1) if n > 1 else np.nan
    return n, float(mean), float(sd)


def _benchmark_columns(benchmark, items: list[str], group_a: str) -> pd.DataFrame:
    """Published means and % agree per item (NaN where the benchmark has no such figure)."""
    out = pd.DataFrame(index=pd.Index(items, name="item"))
    wanted = {
        "benchmark_mean": ("all", "mean"),
        "benchmark_pct_agree": ("all", "pct_agree"),
        f"benchmark_pct_agree_{group_a}": (group_a, "pct_agree"),
    }
    if benchmark is None:
        for column in wanted:
            out[column] = np.nan
        return out
    table = benchmark if isinstance(benchmark, pd.DataFrame) else load_benchmark(benchmark)
    exact = table[table["relation"] == "eq"]
    for column, (group, statistic) in wanted.items():
        rows = exact[(exact["group"] == group) & (exact["statistic"] == statistic)]
        out[column] = rows.drop_duplicates("item").set_index("item")["value"].reindex(items)
    return out


def _group_reason(group: str, reason: str) -> str:
    """``n = 3 < 5`` as ``n_management = 3 < 5``; another reason with the group's name."""
    if reason.startswith("n = "):
        return f"n_{group} = {reason[4:]}"
    return f"{group} {reason}"


def scorecard(
    data: Survey | pd.DataFrame,
    *,
    instrument: Instrument | str | None = None,
    target: float | None = None,
    benchmark: str | pd.DataFrame | None = "polska-2008",
    groups: tuple[str, str] = ("management", "staff"),
    min_group_size: int | None = None,
    adjust: str | None = "holm",
    ci: float = 0.95,
) -> ResultTable:
    """Mean score, spread and agreement per statement, ranked, with its gaps.

    Parameters
    ----------
    data
        A `Survey`, or a responses DataFrame with ``instrument``.
    target
        The client's target score (params ``target``); ``gap_to_target`` = mean - target.
    benchmark
        A benchmark name (``"polska-2008"``), a table like `load_benchmark`'s, or None.
    groups
        ``(a, b)`` compared by Welch's t-test: ``gap_mean`` = mean_a - mean_b.
    min_group_size
        Figures from fewer respondents are suppressed; default the survey's (params, 5).
    adjust
        Adjustment of the group-gap p-values across items (``"holm"``, ``"fdr_bh"``, None).

    Returns
    -------
    ResultTable
        One row per item, questionnaire order: ``item``, ``statement``, ``dimension``, ``n``,
        ``mean``, ``sd``, ``mean_ci_low``, ``mean_ci_high``, ``pct_agree``, ``pct_disagree``,
        ``rank`` (1 = highest mean), ``lowest``, ``highest``, ``target``, ``gap_to_target``,
        ``benchmark_mean``, ``benchmark_pct_agree``, ``benchmark_pct_agree_<a>``,
        ``gap_to_benchmark`` (mean - benchmark mean), ``gap_to_benchmark_pct`` (% agree - the
        published % agree of all respondents), ``pct_agree_<a>``, ``gap_to_benchmark_pct_<a>``,
        ``n_<a>``, ``n_<b>``, ``mean_<a>``, ``mean_<b>``, ``gap_mean``, ``welch_t``, ``p_value``,
        ``p_adjusted``, ``suppressed`` (the statement's overall figures are hidden),
        ``groups_suppressed`` (its group figures are hidden), ``suppressed_reason``.

    Notes
    -----
    Means are of scores with reverse-keyed items reversed (min + max - x), so a higher mean is
    always better; % agree is of the statement as worded. The interval is mean ± t(n-1) s/√n.
    Welch's t = (m_a - m_b) / √(s_a²/n_a + s_b²/n_b) with Welch–Satterthwaite df
    (``scipy.stats.ttest_ind_from_stats(equal_var=False)``). A group's figures are hidden
    where `cemlab.agreement.agreement` hides the group: under the minimum size, or where the
    overall figure minus the shown groups would reveal a smaller group (with two groups, one
    small group hides the other). Only ``groups_suppressed`` is set then; the overall figures
    stay, and the gap and its test need both groups.

    References
    ----------
    Welch, B. L. (1947). The generalization of Student's problem... Biometrika 34, 28-35.

    Examples
    --------
    >>> import cemlab
    >>> card = cemlab.scorecard(cemlab.load("data/polska-2008.csv"), target=7)
    >>> card.loc[card.lowest, ["item", "mean"]]  # doctest: +SKIP
    """
    survey = as_survey(data, instrument)
    threshold = group_size_threshold(survey, min_group_size)
    a, b = groups
    group_labels = survey.groups
    masks = {g: (group_labels == g).to_numpy() for g in groups}
    rows = []
    for item in survey.item_ids:
        values = scored(survey, item)
        n, mean, sd = _moments(values)
        bands = band_codes(survey.responses[item].to_numpy(dtype=float), survey.instrument, item)
        answered = (bands >= 0).sum()
        row = {
            "item": item,
            "statement": survey.instrument.text_of(item),
            "dimension": survey.instrument.dimension_of(item).id,
            "n": n,
            "mean": mean,
            "sd": sd,
            "pct_agree": 100 * (bands == 2).sum() / answered if answered else np.nan,
            "pct_disagree": 100 * (bands == 0).sum() / answered if answered else np.nan,
        }
        for g in groups:
            row[f"n_{g}"], row[f"mean_{g}"], row[f"_sd_{g}"] = _moments(values, masks[g])
        rows.append(row)
    if not rows:
        raise AnalysisError("the survey has none of the instrument's items to score")
    table = pd.DataFrame(rows)
    half = stats.t.ppf(0.5 + ci / 2, table["n"] - 1) * table["sd"] / np.sqrt(table["n"])
    table["mean_ci_low"], table["mean_ci_high"] = table["mean"] - half, table["mean"] + half

    overall = ["mean", "sd", "mean_ci_low", "mean_ci_high", "pct_agree", "pct_disagree"]
    table = suppress(table, n_column="n", min_group_size=threshold, value_columns=overall)
    # A group's figures are hidden exactly where `agreement` hides the group: under the
    # minimum, or to keep a smaller group from following from the total minus the shown ones.
    # One rule for both tables, since a report shows both; its % agree is agreement's too.
    shares = agreement(survey, min_group_size=threshold).set_index(["item", "group"])
    # the statement's overall base is agreement's "all" row: where that is hidden so that
    # bases of two statements do not give a small group's size away, so is this one
    keys = pd.MultiIndex.from_arrays([table["item"], ["all"] * len(table)])
    across = ((shares["suppressed_reason"].reindex(keys) == ACROSS_REASON).to_numpy()
              & ~table["suppressed"].to_numpy(dtype=bool))
    table.loc[across, overall] = np.nan
    table.loc[across, "suppressed"] = True
    table.loc[across, "suppressed_reason"] = ACROSS_REASON
    hidden_group, reasons = {}, {}
    for g in groups:
        keys = pd.MultiIndex.from_arrays([table["item"], [g] * len(table)])
        flags = shares["suppressed"].reindex(keys)
        hidden = flags.fillna(True).astype(bool).to_numpy()
        hidden_group[g] = hidden | table["suppressed"].to_numpy()
        reasons[g] = shares["suppressed_reason"].reindex(keys).fillna(f"no {g} respondents")
        table[f"pct_agree_{g}"] = shares["pct_agree"].reindex(keys).to_numpy()
        table.loc[hidden_group[g], [f"mean_{g}", f"pct_agree_{g}", f"_sd_{g}"]] = np.nan
    groups_hidden = hidden_group[a] | hidden_group[b]
    for idx in table.index[groups_hidden & ~table["suppressed"].to_numpy()]:
        parts = [_group_reason(g, reasons[g].iloc[idx]) for g in groups if hidden_group[g][idx]]
        table.loc[idx, "suppressed_reason"] = "; ".join(parts) + " (group figures hidden)"
    table["groups_suppressed"] = groups_hidden

    col = {c: table[c].to_numpy(dtype=float) for c in
           (f"mean_{a}", f"_sd_{a}", f"n_{a}", f"mean_{b}", f"_sd_{b}", f"n_{b}")}
    with np.errstate(divide="ignore", invalid="ignore"):
        t, p = stats.ttest_ind_from_stats(
            col[f"mean_{a}"], col[f"_sd_{a}"], col[f"n_{a}"],
            col[f"mean_{b}"], col[f"_sd_{b}"], col[f"n_{b}"], equal_var=False,
        )
    table["gap_mean"] = table[f"mean_{a}"] - table[f"mean_{b}"]
    table["welch_t"], table["p_value"] = np.asarray(t, float), np.asarray(p, float)
    table["p_adjusted"] = adjust_p(table["p_value"], adjust)

    shown = table["mean"].notna()
    table["rank"] = table["mean"].rank(ascending=False, method="min")
    table["lowest"] = shown & (table["mean"] == table.loc[shown, "mean"].min())
    table["highest"] = shown & (table["mean"] == table.loc[shown, "mean"].max())
    table["target"] = np.nan if target is None else float(target)
    table["gap_to_target"] = table["mean"] - table["target"]

    bench = _benchmark_columns(benchmark, table["item"].tolist(), a).reset_index(drop=True)
    table = pd.concat([table, bench], axis=1)
    table["gap_to_benchmark"] = table["mean"] - table["benchmark_mean"]
    table["gap_to_benchmark_pct"] = table["pct_agree"] - table["benchmark_pct_agree"]
    table[f"gap_to_benchmark_pct_{a}"] = (
        table[f"pct_agree_{a}"] - table[f"benchmark_pct_agree_{a}"]
    )

    columns = ["item", "statement", "dimension", "n", "mean", "sd", "mean_ci_low",
               "mean_ci_high", "pct_agree", "pct_disagree", "rank", "lowest", "highest",
               "target", "gap_to_target", "benchmark_mean", "benchmark_pct_agree",
               f"benchmark_pct_agree_{a}", "gap_to_benchmark", "gap_to_benchmark_pct",
               f"pct_agree_{a}", f"gap_to_benchmark_pct_{a}", f"pct_agree_{b}",
               f"n_{a}", f"n_{b}", f"mean_{a}", f"mean_{b}", "gap_mean", "welch_t", "p_value",
               "p_adjusted", "suppressed", "groups_suppressed", "suppressed_reason"]
    return result_table(
        table[columns],
        title="Scorecard",
        notes=f"Means on the {survey.instrument.scale.min}-{survey.instrument.scale.max} scale "
        f"(reverse-keyed items reversed), 95% t intervals; {a} - {b} gaps by Welch's t-test, "
        f"p-values adjusted across items ({adjust or 'none'}); figures from fewer than "
        f"{threshold} respondents suppressed.",
        min_group_size=threshold,
    )


def dimension_scorecard(
    data: Survey | pd.DataFrame,
    *,
    instrument: Instrument | str | None = None,
    target: float | None = None,
    min_group_size: int | None = None,
) -> ResultTable:
    """Mean score and reliability per best practice (dimension).

    Returns
    -------
    ResultTable
        One row per dimension: ``dimension``, ``title``, ``n_items``, ``n`` (respondents who
        answered any of its items), ``mean`` (the mean over respondents of each respondent's
        mean of the dimension's scored items), ``alpha`` (Cronbach's, from
        `cemlab.reliability.reliability`, pairwise), ``note`` (statements left out because
        fewer than ``min_group_size`` answered them: their answers move no figure),
        ``target``, ``gap_to_target``, ``rank``, ``suppressed``, ``suppressed_reason``.
    """
    survey = as_survey(data, instrument)
    threshold = group_size_threshold(survey, min_group_size)
    alphas = reliability(survey, min_group_size=threshold).set_index("dimension")["alpha"]
    rows, bases = [], []
    for dim in survey.instrument.dimensions:
        asked = [i.id for i in dim.items if i.id in survey.responses.columns]
        if not asked:
            continue
        # a statement answered by fewer than the minimum would move the mean by their answers
        present, left_out = items_with_enough_answers(survey, asked, threshold)
        scores = np.column_stack([scored(survey, i) for i in present or asked])
        answered = ~np.isnan(scores).all(axis=1)
        bases.append(answered)
        with np.errstate(invalid="ignore"):
            person = np.nanmean(scores[answered], axis=1) if answered.any() else np.array([])
        rows.append({
            "dimension": dim.id,
            "title": dim.title,
            "n_items": len(present),
            "n": int(answered.sum()),
            "mean": float(person.mean()) if len(person) and present else np.nan,
            "alpha": float(alphas.get(dim.id, np.nan)),
            "note": left_out,
            "suppressed": not present and bool(answered.sum() >= threshold),
            "suppressed_reason": "" if present else THIN_ITEMS_REASON.format(threshold=threshold),
        })
    table = pd.DataFrame(rows)
    table["suppressed_reason"] = table["suppressed_reason"].where(table["suppressed"], "")
    table["target"] = np.nan if target is None else float(target)
    table["gap_to_target"] = table["mean"] - table["target"]
    table = suppress(table, n_column="n", min_group_size=threshold,
                     value_columns=["mean", "alpha", "gap_to_target"])
    table = _practices_across_statements(survey, table, np.array(bases), threshold)
    table.insert(len(table.columns) - 2, "rank", table["mean"].rank(ascending=False, method="min"))
    return result_table(
        table,
        title="Scorecard by best practice",
        notes="Mean of each respondent's mean over the practice's statements (reverse-keyed "
        "reversed); Cronbach's alpha with pairwise-complete covariances.",
        min_group_size=threshold,
    )


def _practices_across_statements(
    survey: Survey, table: pd.DataFrame, bases: np.ndarray, threshold: int
) -> pd.DataFrame:
    """Hide a practice whose base beside a statement's would give a small group's size away.

    A practice's base (who answered any of its statements) is checked against the bases
    `agreement` shows and the report's total respondents, as `agreement` checks its own
    (`cemlab.reliability.hidden_beside_report`, the rule the other tables follow too).
    """
    hidden = hidden_beside_report(survey, bases, ~table["suppressed"].to_numpy(dtype=bool),
                                  threshold)
    if not hidden.any():
        return table
    table = table.copy()
    table.loc[hidden, ["mean", "alpha", "gap_to_target"]] = np.nan
    table.loc[hidden, "suppressed"] = True
    table.loc[hidden, "suppressed_reason"] = ACROSS_REASON
    return table
