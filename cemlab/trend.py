"""Change between two waves of the same survey: mean and % agree per item, and NPS.

Each item is tested twice (Welch's t on the mean, a two-proportion z-test on % agree) and the
p-values are adjusted across items, so a long questionnaire does not produce chance "changes".
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from cemlab._inputs import as_survey, group_size_threshold
from cemlab._stats import adjust_p, check_adjust, two_proportion_z
from cemlab.agreement import ACROSS_REASON, agreement, protected_respondents, shown_bases
from cemlab.exceptions import AnalysisError
from cemlab.instrument import Instrument
from cemlab.nps import nps_difference
from cemlab.results import ResultTable, hide_isolating, result_table, suppress
from cemlab.survey import Survey

SIGNIFICANCE = 0.05
WAVES_REASON = ("the two waves' bases differ by 1 to {gap} respondents: the difference of their "
                "sums would give those respondents' answers away")


def _known_apart(current: Survey, previous: Survey) -> bool:
    """Whether the two waves are known to share no respondent: ids from both files, none alike.

    Without ids from the client's files (row numbers stand in), nothing is known: a cumulative
    export is last wave's respondents plus the new ones, whatever the counts.
    """
    ids_read = all("respondent_id" in s.quality.columns for s in (current, previous))
    return ids_read and current.responses.index.intersection(previous.responses.index).empty


def _isolating_waves(n_current: pd.Series, n_previous: pd.Series, threshold: int,
                     known_apart: bool) -> pd.Series:
    """Rows whose wave bases differ by 1 to ``threshold - 1`` (see `trend`'s Notes)."""
    gap = (n_current - n_previous).abs()
    return (gap > 0) & (gap < threshold) & (not known_apart)


def _hide_rows(table: pd.DataFrame, rows: pd.Series, columns: list[str], reason: str
               ) -> pd.DataFrame:
    table = table.copy()
    table.loc[rows, columns] = np.nan
    table["suppressed_reason"] = [
        "; ".join(r for r in (old, reason) if r) if hidden else old
        for old, hidden in zip(table["suppressed_reason"], rows)
    ]
    table["suppressed"] = table["suppressed"] | rows
    return table


def _agree_share(survey: Survey, item: str) -> tuple[int, int]:
    """(respondents in the agree band, respondents who answered) for one item."""
    answers = survey.responses[item].dropna()
    low, high = survey.instrument.bands_of(item).agree
    return int(answers.between(low, high).sum()), len(answers)


def _items(current: Survey, previous: Survey, items: Sequence[str] | None) -> list[str]:
    if items is None:
        shared = [i for i in current.item_ids if i in set(previous.item_ids)]
        if not shared:
            raise AnalysisError(
                "the two waves share no item: check that both were loaded with the same "
                "instrument (or pass items=[...])"
            )
        return shared
    missing = [(i, name) for i in items for name, s in (("current", current),
                                                        ("previous", previous))
               if i not in s.responses.columns]
    if missing:
        shown = ", ".join(f"{i!r} (not in the {name} wave)" for i, name in missing)
        raise AnalysisError(f"items missing from a wave: {shown}")
    return list(items)


def trend(
    current: Survey | pd.DataFrame,
    previous: Survey | pd.DataFrame,
    *,
    instrument: Instrument | str | None = None,
    items: Sequence[str] | None = None,
    adjust: str = "holm",
    min_group_size: int | None = None,
) -> ResultTable:
    """Per item: this wave against the previous one, in mean score and in % agree.

    Parameters
    ----------
    current, previous
        The two waves as Surveys (independent samples of respondents), or responses
        DataFrames with ``instrument``.
    items
        Which items; default every item the two waves share, in questionnaire order.
    adjust
        Adjustment of the p-values across items: ``"holm"`` (default), ``"bh"``
        (Benjamini-Hochberg), ``"bonferroni"`` or ``"none"``.
    min_group_size
        A wave with fewer answers to an item has its side of the row suppressed, and with it
        every change and test (default: the current survey's).

    Returns
    -------
    ResultTable
        One row per item: ``item``, ``statement``, ``mean_previous``, ``mean_current``,
        ``change_mean``, ``welch_t``, ``p_value_mean``, ``pct_agree_previous``,
        ``pct_agree_current``, ``change_pct_agree`` (points), ``p_value_pct``,
        ``p_adjusted_mean``, ``p_adjusted_pct``, ``significant`` (either adjusted p below
        0.05), ``n_previous``, ``n_current``, ``suppressed``, ``suppressed_reason``.

    Notes
    -----
    Changes are current minus previous. Welch's t:
    :math:`t = (\\bar x_c - \\bar x_p) / \\sqrt{s_c^2/n_c + s_p^2/n_p}` with
    Welch-Satterthwaite degrees of freedom (``scipy.stats.ttest_ind(equal_var=False)``).
    The % agree test is the pooled two-proportion z-test without continuity correction,
    :math:`z = (\\hat p_c - \\hat p_p) / \\sqrt{\\hat p (1 - \\hat p)(1/n_c + 1/n_p)}`. "Agree"
    is the instrument's agree band. Adjusted p-values (statsmodels ``multipletests``) are
    computed over the items not suppressed. Answers are as given (reverse-keyed items are
    not turned round).

    A row whose two bases differ by 1 to ``min_group_size - 1`` respondents loses last wave's
    figures and every change (this wave's are the scorecard's anyway): when
    this wave is last wave's respondents plus three new ones (a cumulative export),
    :math:`(n_c \\bar x_c - n_p \\bar x_p) / (n_c - n_p)` is the newcomers' exact mean. The
    row is shown whole only when the waves are known to share no respondent (ids read from
    both files, none in common). A row whose base, beside a base of another statement or of
    the other wave, would give a small group's size away is hidden too, as in `agreement`.

    References
    ----------
    Welch, B. L. (1947). The generalization of "Student's" problem when several different
    population variances are involved. Biometrika, 34, 28-35.
    Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scandinavian
    Journal of Statistics, 6, 65-70.

    Example
    -------
    >>> import cemlab
    >>> client = cemlab.load_client("params/kestrel-mobile.yaml")  # doctest: +SKIP
    >>> cemlab.trend(client.survey, client.previous)  # doctest: +SKIP
    """
    check_adjust(adjust)
    current, previous = as_survey(current, instrument), as_survey(previous, instrument)
    threshold = group_size_threshold(current, min_group_size)
    rows = []
    for item in _items(current, previous, items):
        now = current.responses[item].dropna().astype(float)
        before = previous.responses[item].dropna().astype(float)
        agree_now, n_now = _agree_share(current, item)
        agree_before, n_before = _agree_share(previous, item)
        if min(n_now, n_before) >= 2:
            test = stats.ttest_ind(now, before, equal_var=False)
            welch_t, p_mean = float(test.statistic), float(test.pvalue)
        else:
            welch_t = p_mean = np.nan
        pct_now = 100 * agree_now / n_now if n_now else np.nan
        pct_before = 100 * agree_before / n_before if n_before else np.nan
        rows.append({
            "item": item,
            "statement": current.instrument.text_of(item),
            "mean_previous": before.mean() if n_before else np.nan,
            "mean_current": now.mean() if n_now else np.nan,
            "change_mean": now.mean() - before.mean() if min(n_now, n_before) else np.nan,
            "welch_t": welch_t,
            "p_value_mean": p_mean,
            "pct_agree_previous": pct_before,
            "pct_agree_current": pct_now,
            "change_pct_agree": pct_now - pct_before,
            "p_value_pct": float(two_proportion_z(agree_now, n_now, agree_before, n_before)[1]),
            "n_previous": n_before,
            "n_current": n_now,
        })
    table = pd.DataFrame(rows)
    derived = ["change_mean", "welch_t", "p_value_mean", "change_pct_agree", "p_value_pct"]
    for side in ("previous", "current"):
        table = suppress(table, n_column=f"n_{side}", min_group_size=threshold,
                         value_columns=[f"mean_{side}", f"pct_agree_{side}", *derived])
    close = _isolating_waves(table["n_current"], table["n_previous"], threshold,
                             _known_apart(current, previous))
    # last wave's side goes (this wave's figures are the scorecard's): no difference of sums
    table = _hide_rows(table, close, ["mean_previous", "pct_agree_previous", *derived],
                       WAVES_REASON.format(gap=threshold - 1))
    table = _across_statements(current, previous, table, threshold,
                               ["mean_previous", "pct_agree_previous", *derived])
    table.insert(table.columns.get_loc("n_previous"), "p_adjusted_mean",
                 adjust_p(table["p_value_mean"], adjust))
    table.insert(table.columns.get_loc("n_previous"), "p_adjusted_pct",
                 adjust_p(table["p_value_pct"], adjust))
    table.insert(table.columns.get_loc("n_previous"), "significant",
                 (table["p_adjusted_mean"] < SIGNIFICANCE)
                 | (table["p_adjusted_pct"] < SIGNIFICANCE))
    return result_table(
        table, title="Trend: current wave against the previous one", min_group_size=threshold,
        notes=f"Change = current - previous. Mean: Welch's t-test; % agree: two-proportion "
              f"z-test. P-values adjusted across items ({adjust}); significant = adjusted "
              f"p < {SIGNIFICANCE}.",
    )


def _across_statements(current: Survey, previous: Survey, table: pd.DataFrame, threshold: int,
                       columns: list[str]) -> pd.DataFrame:
    """Hide rows whose base, beside another statement's in the report, isolates a small group.

    The bases of both waves are checked against each other and against the bases `agreement`
    shows for this wave and its total respondents, as `agreement` checks its own
    (`cemlab.results.hide_isolating`). A respondent id in both waves counts as one person,
    which is what it is in a cumulative export and errs on the safe side otherwise.
    """
    if not (protected_respondents(current, threshold).any()
            or protected_respondents(previous, threshold).any()):
        return table
    people = current.responses.index.union(previous.responses.index)

    def on_people(survey: Survey, masks: np.ndarray) -> np.ndarray:
        out = np.zeros((len(masks), len(people)), dtype=bool)
        out[:, people.get_indexer(survey.responses.index)] = masks
        return out

    protected = (on_people(current, protected_respondents(current, threshold)[None, :])
                 | on_people(previous, protected_respondents(previous, threshold)[None, :]))[0]
    sides = [on_people(s, np.array([s.responses[item].notna().to_numpy()
                                    for item in table["item"]]))
             for s in (current, previous)]
    fixed = np.vstack([
        on_people(current, shown_bases(current, agreement(current, min_group_size=threshold))),
        on_people(current, np.ones((1, current.n), dtype=bool)),
    ])
    own = ~table["suppressed"].to_numpy(dtype=bool)
    rows = len(table)
    hidden = hide_isolating(
        np.vstack([*sides, fixed]), np.concatenate([own, own, np.ones(len(fixed), dtype=bool)]),
        protected, threshold,
        hideable=np.concatenate([np.ones(2 * rows, dtype=bool), np.zeros(len(fixed), dtype=bool)]),
    )
    close = pd.Series(hidden[:rows] | hidden[rows: 2 * rows], index=table.index)
    return _hide_rows(table, close, columns, ACROSS_REASON) if close.any() else table


def _wave_label(survey: Survey, fallback: str) -> str:
    if "wave" in survey.responses.columns:
        waves = survey.responses["wave"].dropna().unique()
        if len(waves) == 1:
            return str(waves[0])
    return fallback


def nps_trend(
    current: Survey | pd.DataFrame,
    previous: Survey | pd.DataFrame,
    *,
    instrument: Instrument | str | None = None,
    item: str | None = None,
    ci: float = 0.95,
    min_group_size: int | None = None,
) -> ResultTable:
    """The change in Net Promoter Score from the previous wave to the current one.

    Parameters
    ----------
    current, previous
        The two waves as Surveys with the recommend (0-10) question, or responses DataFrames
        with ``instrument``.
    item
        The 0-10 column, when it is not the instrument's recommend question.
    ci
        Confidence level of the interval of the change.
    min_group_size
        When either wave has fewer answers, every value is suppressed (default: the current
        survey's).

    Returns
    -------
    ResultTable
        One row: ``wave_current``, ``wave_previous`` (from the ``wave`` column, else
        "current" / "previous"), ``n_current``, ``n_previous``, ``nps_current``,
        ``nps_previous``, ``change`` (points), ``se``, ``ci_low``, ``ci_high``, ``z``,
        ``p_value``, ``suppressed``, ``suppressed_reason``.

    Notes
    -----
    `cemlab.nps.nps_difference` with ``a`` = current and ``b`` = previous: adjusted-Wald
    interval and z-test of the difference of two independent NPS (Rocks 2016). Last wave's
    score and the change are suppressed, as in `trend`, when the two bases differ by 1 to
    ``min_group_size - 1`` answers and the waves are not known to share no respondent: one
    new customer's category would follow from :math:`n_c NPS_c - n_p NPS_p`.

    References
    ----------
    Rocks, B. (2016). Interval estimation for the "Net Promoter Score". The American
    Statistician, 70(4), 365-372.

    Example
    -------
    >>> cemlab.nps_trend(feedback_2026, feedback_2025)  # doctest: +SKIP
    """
    current, previous = as_survey(current, instrument), as_survey(previous, instrument)
    threshold = group_size_threshold(current, min_group_size)
    labels = (_wave_label(current, "current"), _wave_label(previous, "previous"))
    table = nps_difference(current, previous, labels=labels, item=item, ci=ci,
                           min_group_size=threshold)
    renamed = table.rename(columns={
        "a": "wave_current", "b": "wave_previous", "n_a": "n_current", "n_b": "n_previous",
        "nps_a": "nps_current", "nps_b": "nps_previous", "difference": "change",
    })
    renamed = renamed.replace({"suppressed_reason": {"n_a": "n_current", "n_b": "n_previous"}},
                              regex=True)
    close = _isolating_waves(renamed["n_current"], renamed["n_previous"], threshold,
                             _known_apart(current, previous))
    renamed = _hide_rows(renamed, close, ["nps_previous", "change", "se", "ci_low", "ci_high",
                                          "z", "p_value"],
                         WAVES_REASON.format(gap=threshold - 1))
    return result_table(
        renamed, title=f"NPS trend: {labels[1]} to {labels[0]}", min_group_size=threshold,
        notes=table.notes,
    )
