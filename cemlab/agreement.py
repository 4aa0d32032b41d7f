"""Agreement by group: how many disagree, are neutral, agree, and the gap between two groups.

The study's headline finding is of this kind: 63% of management but 41% of staff agree that
leaders make decisions consistent with the CX strategy. Bands come from the instrument.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from cemlab._inputs import as_survey, group_size_threshold
from cemlab._stats import adjust_p, two_proportion_z, wilson_interval
from cemlab.exceptions import AnalysisError
from cemlab.instrument import Instrument
from cemlab.results import (
    ResultTable,
    complement_hidden,
    hide_isolating,
    result_table,
    suppress,
)
from cemlab.survey import Survey

BANDS = ("disagree", "neutral", "agree")
COMPLEMENT_REASON = "hidden too: with the total shown it would reveal a suppressed group"
ACROSS_REASON = ("hidden too: its base beside another statement's would give a small group's "
                 "size away")
_SHARES = ["pct_disagree", "pct_neutral", "pct_agree", "net_agree",
           "pct_agree_ci_low", "pct_agree_ci_high"]


def band_codes(values: np.ndarray, instrument: Instrument, item: str) -> np.ndarray:
    """0 disagree, 1 neutral, 2 agree, -1 missing (or in no band), per answer."""
    bands = instrument.bands_of(item)
    codes = np.full(values.shape, -1, dtype=np.int8)
    for code, name in enumerate(BANDS):
        band = getattr(bands, name)
        if band is not None:
            codes[(values >= band[0]) & (values <= band[1])] = code
    return codes


def _group_levels(survey: Survey, by: str) -> list:
    present = pd.unique(survey.responses[by].dropna())
    if by == survey.group_column:
        levels = survey.instrument.groups.levels
        return [lv for lv in levels if lv in set(present)] + sorted(
            (p for p in present if p not in levels), key=str
        )
    return sorted(present, key=str)


def _weights(survey: Survey, weight: str | None) -> np.ndarray | None:
    if weight is None:
        return None
    if weight not in survey.responses.columns:
        raise AnalysisError(f"no weight column {weight!r} in the responses")
    w = survey.responses[weight].to_numpy(dtype=float)
    if np.isnan(w).any() or (w < 0).any():
        raise AnalysisError(f"weight column {weight!r} has missing or negative weights")
    return w


def agreement(
    data: Survey | pd.DataFrame,
    *,
    instrument: Instrument | str | None = None,
    by: str | None = None,
    min_group_size: int | None = None,
    weight: str | None = None,
    total: bool = True,
) -> ResultTable:
    """Share of respondents who disagree, are neutral and agree, per item and group.

    Parameters
    ----------
    data
        A `Survey`, or a responses DataFrame with ``instrument``.
    by
        The column to break down by; default the instrument's group column (``role``).
    min_group_size
        Cells from fewer respondents are suppressed; default the survey's (params, 5).
    weight
        A weight column (e.g. ``"weight"``): weighted shares, Kish effective base.
    total
        Add an ``all`` row per item (all respondents of the listed groups).

    Returns
    -------
    ResultTable
        One row per item and group: ``item``, ``statement``, ``dimension``, ``group``, ``n``
        (respondents who answered), ``pct_disagree``, ``pct_neutral``, ``pct_agree`` (0-100),
        ``net_agree`` (% agree - % disagree, points), ``pct_agree_ci_low``/``_high`` (Wilson 95%),
        ``n_effective`` (Kish, weighted only), ``suppressed``, ``suppressed_reason``.

    Notes
    -----
    Shares are of respondents who answered the item. The Wilson interval is
    (p + z²/2n ± z sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n). With weights, p is the weighted share and
    n the Kish effective base (Σw)² / Σw². When the total is shown and the suppressed groups of
    an item hold fewer than ``min_group_size`` answers together (or none, from a group smaller
    than that), the smallest shown group is hidden too (and so on), so that no hidden figure
    or group size follows from the total minus the shown groups.

    References
    ----------
    Wilson, E. B. (1927). Probable inference... JASA 22, 209-212.
    Kish, L. (1965). Survey Sampling. Wiley.

    Examples
    --------
    >>> import cemlab
    >>> survey = cemlab.load("data/polska-2008.csv")
    >>> table = cemlab.agreement(survey)
    >>> table.query("item == 'lead_decisions'")[["group", "n", "pct_agree"]]  # doctest: +SKIP
    """
    survey = as_survey(data, instrument)
    threshold = group_size_threshold(survey, min_group_size)
    by = by or survey.group_column
    if by not in survey.responses.columns:
        raise AnalysisError(f"no column {by!r} to break agreement down by")
    levels = _group_levels(survey, by)
    labels = survey.responses[by]
    group_codes = np.full(len(labels), -1, dtype=np.int64)
    for code, level in enumerate(levels):
        group_codes[(labels == level).to_numpy()] = code
    n_groups = len(levels) + (1 if total else 0)
    if total:
        levels = [*levels, "all"]
    weights = _weights(survey, weight)
    sizes = labels.value_counts().to_dict()
    protected = np.isin(group_codes, [code for code, level in enumerate(levels[: n_groups - total])
                                      if 0 < sizes.get(level, 0) < threshold])
    rows, bases = [], []
    instrument_ = survey.instrument
    for item in survey.item_ids:
        bands = band_codes(survey.responses[item].to_numpy(dtype=float), instrument_, item)
        answered = (bands >= 0) & (group_codes >= 0)
        if protected.any():
            bases.extend(answered & (group_codes == code) for code in range(n_groups - total))
            if total:
                bases.append(answered)
        cells = group_codes[answered] * 3 + bands[answered]
        w = None if weights is None else weights[answered]
        counts = np.bincount(cells, weights=w, minlength=len(levels) * 3)[: (n_groups - total) * 3]
        counts = counts.reshape(-1, 3)
        heads = np.bincount(group_codes[answered], minlength=n_groups - total)
        if weights is not None:
            sq = np.bincount(group_codes[answered], weights=w**2, minlength=n_groups - total)
        if total:
            counts = np.vstack([counts, counts.sum(axis=0)])
            heads = np.append(heads, heads.sum())
            if weights is not None:
                sq = np.append(sq, sq.sum())
        for code, level in enumerate(levels):
            row = {"item": item, "statement": instrument_.text_of(item),
                   "dimension": instrument_.dimension_of(item).id, "group": level,
                   "n": int(heads[code])}
            base = counts[code].sum()
            shares = counts[code] / base if base > 0 else np.full(3, np.nan)
            row.update(pct_disagree=100 * shares[0], pct_neutral=100 * shares[1],
                       pct_agree=100 * shares[2])
            if weights is not None:
                row["n_effective"] = base**2 / sq[code] if sq[code] > 0 else 0.0
            rows.append(row)
    table = pd.DataFrame(rows)
    table["net_agree"] = table["pct_agree"] - table["pct_disagree"]
    effective = table["n_effective"] if weights is not None else table["n"]
    low, high = wilson_interval(table["pct_agree"] / 100, effective)
    table["pct_agree_ci_low"], table["pct_agree_ci_high"] = 100 * low, 100 * high
    columns = ["item", "statement", "dimension", "group", "n",
               *(["n_effective"] if weights is not None else []), *_SHARES]
    # a weighted share rests on its effective base: one respondent weighted 100,000 is n_eff 1
    table = suppress(table[columns], n_column=["n", "n_effective"] if weights is not None else "n",
                     min_group_size=threshold, value_columns=_SHARES)
    if total:
        table = _complementary(table, _SHARES, threshold, sizes)
    if protected.any():
        table = _across_statements(table, np.array(bases), group_codes >= 0, protected,
                                   threshold)
    return result_table(
        table,
        title="Agreement by group",
        notes=f"% of respondents who answered; agree/neutral/disagree bands from the instrument; "
        f"Wilson 95% intervals; groups under {threshold} respondents suppressed.",
        min_group_size=threshold,
    )


def _complementary(
    table: pd.DataFrame, value_columns: list[str], threshold: int, sizes: dict
) -> pd.DataFrame:
    """Per item, hide shown groups until the total minus them reveals no small group.

    The rule is `cemlab.results.complement_hidden`'s; ``sizes`` are respondents per group in
    the survey, so a small group none of whom answered the item still counts.
    """
    table = table.copy()
    for _, rows in table.groupby("item", sort=False):
        if rows.loc[rows["group"] == "all", "suppressed"].all():
            continue
        parts = rows[rows["group"] != "all"]
        hidden = complement_hidden(parts["n"], parts["suppressed"],
                                   parts["group"].map(sizes).fillna(0), threshold)
        added = hidden.index[hidden & ~parts["suppressed"].astype(bool)]
        table.loc[added, value_columns] = np.nan
        table.loc[added, "suppressed"] = True
        table.loc[added, "suppressed_reason"] = COMPLEMENT_REASON
    return table


def _across_statements(
    table: pd.DataFrame, bases: np.ndarray, everyone: np.ndarray, protected: np.ndarray,
    threshold: int,
) -> pd.DataFrame:
    """Hide shown figures until no two bases, of any statements, differ by a few of a small group.

    ``bases`` holds, per row of ``table``, who is in its base. The report's total respondents
    (``everyone``) is shown too (the cover), so it takes part but cannot be hidden here. With 3
    contractors beside 100 staff and 20 managers, a statement not asked of management has an
    overall base of 103 against staff's 100 on any other statement, and 123 - 120 works out
    the same from a statement contractors were not asked: see `cemlab.results.isolating_pairs`.
    """
    populations = np.vstack([bases, everyone[None, :]])
    shown = np.append(~table["suppressed"].to_numpy(dtype=bool), True)
    hideable = np.append(np.ones(len(table), dtype=bool), False)
    hidden = hide_isolating(populations, shown, protected, threshold, hideable)[: len(table)]
    if not hidden.any():
        return table
    table = table.copy()
    rows = table.index[hidden]
    table.loc[rows, _SHARES] = np.nan
    table.loc[rows, "suppressed"] = True
    table.loc[rows, "suppressed_reason"] = ACROSS_REASON
    return table


def protected_respondents(survey: Survey, threshold: int, by: str | None = None) -> np.ndarray:
    """Per respondent: in a group of 1 to ``threshold - 1`` respondents (its size is hidden)."""
    labels = survey.responses[by or survey.group_column]
    sizes = labels.value_counts()
    small = sizes.index[(sizes > 0) & (sizes < threshold)]
    return labels.isin(small).to_numpy()


def shown_bases(survey: Survey, table: pd.DataFrame, by: str | None = None) -> np.ndarray:
    """Who is in the base of each shown row of an `agreement` table (one row a figure).

    For the other tables of a report (the practices) to check their own bases against these.
    """
    labels = survey.responses[by or survey.group_column]
    listed = labels.notna().to_numpy()
    rows = []
    for item, group in table.loc[~table["suppressed"].astype(bool), ["item", "group"]].itertuples(
        index=False
    ):
        values = survey.responses[item].to_numpy(dtype=float)
        answered = (band_codes(values, survey.instrument, item) >= 0) & listed
        rows.append(answered if group == "all" else answered & (labels == group).to_numpy())
    return np.array(rows, dtype=bool).reshape(len(rows), len(labels))


def agreement_gap(
    data: Survey | pd.DataFrame,
    *,
    instrument: Instrument | str | None = None,
    groups: tuple[str, str] = ("management", "staff"),
    by: str | None = None,
    min_group_size: int | None = None,
    adjust: str | None = "holm",
    weight: str | None = None,
    alpha: float = 0.05,
) -> ResultTable:
    """The gap in % agree between two groups, per item, with a test and an effect size.

    Parameters
    ----------
    groups
        ``(a, b)``: the gap is a - b in percentage points (management - staff by default).
    adjust
        P-value adjustment across items: ``"holm"`` (default), ``"fdr_bh"`` or None.
    weight
        Weight column: weighted shares; the tests use the Kish effective bases.

    Returns
    -------
    ResultTable
        One row per item: ``item``, ``statement``, ``dimension``, ``n_<a>``, ``n_<b>``,
        ``pct_agree_<a>``, ``pct_agree_<b>``, ``gap_pct``, ``test`` (``fisher``/``z``),
        ``p_value``, ``p_adjusted``, ``cohens_h``, ``significant``, ``suppressed``,
        ``suppressed_reason``.

    Notes
    -----
    Fisher's exact test (two-sided) when any expected count of the 2×2 table agree / not agree ×
    group is below 5, otherwise the pooled two-proportion z-test without continuity correction.
    Cohen's h = 2 asin √p_a - 2 asin √p_b. A gap with a suppressed side is not computed; a side
    is suppressed as in `agreement` with its total (a small group, or a group that would give a
    small one away by subtraction from the total).

    References
    ----------
    Cohen, J. (1988). Statistical Power Analysis for the Behavioral Sciences, 2nd ed., §6.2.
    Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scand J Stat 6.
    """
    survey = as_survey(data, instrument)
    a, b = groups
    # With the total: a group hidden in `agreement` to protect another is hidden here too,
    # since a report shows both tables.
    parts = agreement(survey, by=by, min_group_size=min_group_size, weight=weight, total=True)
    threshold = parts.min_group_size
    parts = parts[parts["group"] != "all"]
    found = set(parts["group"])
    missing = [g for g in groups if g not in found]
    if missing:
        raise AnalysisError(
            f"no respondents in group {missing[0]!r}; the groups present are {sorted(found)}"
        )
    base = "n_effective" if weight is not None else "n"
    wide = {}
    for name in (a, b):
        part = parts[parts["group"] == name].set_index("item")
        wide[name] = part
    first = wide[a]
    table = pd.DataFrame({"item": first.index, "statement": first["statement"].to_numpy(),
                          "dimension": first["dimension"].to_numpy()})
    for name in (a, b):
        table[f"n_{name}"] = wide[name]["n"].to_numpy()
        table[f"pct_agree_{name}"] = wide[name]["pct_agree"].to_numpy()
    hidden = (wide[a]["suppressed"].to_numpy() | wide[b]["suppressed"].to_numpy())
    pa, pb = table[f"pct_agree_{a}"] / 100, table[f"pct_agree_{b}"] / 100
    na, nb = wide[a][base].to_numpy(dtype=float), wide[b][base].to_numpy(dtype=float)
    table["gap_pct"] = 100 * (pa - pb)
    xa, xb = pa * na, pb * nb
    expected = _smallest_expected(xa, na, xb, nb)
    use_fisher = expected < 5
    _, p_z = two_proportion_z(xa, na, xb, nb)
    p_values = np.asarray(p_z, dtype=float).copy()
    for i in np.flatnonzero(use_fisher & ~hidden):
        ka, kb = round(xa[i]), round(xb[i])
        p_values[i] = stats.fisher_exact(
            [[ka, round(na[i]) - ka], [kb, round(nb[i]) - kb]]
        ).pvalue
    p_values[hidden] = np.nan
    table["test"] = np.where(use_fisher, "fisher", "z")
    table["p_value"] = p_values
    table["p_adjusted"] = adjust_p(p_values, adjust)
    table["cohens_h"] = 2 * np.arcsin(np.sqrt(pa)) - 2 * np.arcsin(np.sqrt(pb))
    table["significant"] = table["p_adjusted"] < alpha
    reasons = [
        "; ".join(r for r in (ra, rb) if r)
        for ra, rb in zip(wide[a]["suppressed_reason"], wide[b]["suppressed_reason"])
    ]
    values = [f"pct_agree_{a}", f"pct_agree_{b}", "gap_pct", "p_value", "p_adjusted", "cohens_h"]
    table.loc[hidden, values] = np.nan
    table.loc[hidden, "test"] = ""
    table["significant"] = table["significant"] & ~hidden
    table["suppressed"] = hidden
    table["suppressed_reason"] = reasons
    label = {"holm": "Holm", "fdr_bh": "Benjamini-Hochberg", "bh": "Benjamini-Hochberg"}
    return result_table(
        table,
        title=f"Agreement gap: {a} - {b}",
        notes=f"Gap in percentage points; Fisher's exact test when an expected count is below 5, "
        f"else the two-proportion z-test; p-values adjusted across items "
        f"({label.get(adjust, 'none') if adjust else 'none'}); "
        f"groups under {threshold} respondents suppressed.",
        min_group_size=threshold,
    )


def _smallest_expected(xa, na, xb, nb) -> np.ndarray:
    """The smallest expected cell count of each 2×2 table (agree / not × group a / b)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        total = na + nb
        agree = xa + xb
        cells = [na * agree / total, na * (total - agree) / total,
                 nb * agree / total, nb * (total - agree) / total]
    return np.nan_to_num(np.min(cells, axis=0), nan=0.0)
