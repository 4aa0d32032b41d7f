"""Findings: the results worth a sentence, ranked by what matters to the client, with their numbers.

Built only from the analyses' own tables (NPS trend, trend, agreement gap, scorecard, drivers,
correlations), so a figure they suppress can never appear in a sentence. Significant news comes
first; the three facts every report has follow and say plainly when they are not significant.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from cemlab._inputs import as_survey, group_size_threshold
from cemlab._stats import adjust_p, check_adjust
from cemlab.agreement import agreement_gap
from cemlab.correlation import correlations
from cemlab.drivers import importance_performance
from cemlab.exceptions import AnalysisError, DataError
from cemlab.i18n import Language
from cemlab.instrument import Instrument
from cemlab.results import ResultTable, result_table
from cemlab.scorecard import scorecard
from cemlab.survey import Survey
from cemlab.trend import nps_trend, trend

#: Importance to the client of each kind of significant finding (lower first). The three facts
#: every report has (``largest gap``, ``lowest``, ``strongest correlation``) follow them unless
#: they are significant themselves, a largest gap then taking its place among the gaps.
_TIER = {"nps change": 0, "trend": 1, "key weakness": 2, "largest gap": 3, "gap": 3,
         "target": 4, "benchmark": 5, "strongest correlation": 6}
#: Order of the facts reported whatever their significance, after every significant finding.
_ALWAYS = {"nothing significant": -1, "largest gap": 0, "lowest": 1, "strongest correlation": 2}
#: This many significant findings of one kind pointing the same way become one sentence.
SUMMARISE_FROM = 3
COLUMNS = ["rank", "kind", "finding", "value", "unit", "p_adjusted", "significant",
           "always_reported", "items"]


def p_text(p: float, lang: str | Language = "en") -> str:
    """An adjusted p-value as a report prints it: ``p < 0.001`` or ``p = 0.012``."""
    written = _language(lang).p_value(p)
    return f"p {written}" if written.startswith("<") else f"p = {written}"


def _language(lang: str | Language) -> Language:
    return lang if isinstance(lang, Language) else Language(lang)


def _clause(statement: str) -> str:
    """A statement as the end of a sentence: first letter lowered (unless an acronym), no dot."""
    text = statement.strip().rstrip(".")
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def _quoted(statement: str) -> str:
    return f"“{statement.strip().rstrip('.')}”"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _statement(instrument: Instrument, item: str, language: Language) -> str:
    """The statement in the report's language (a per-language text falls back to English)."""
    try:
        return instrument.text_of(item, language.code)
    except KeyError:
        return item


def group_names(language: Language) -> dict[str, str]:
    """The two compared groups as a sentence names them."""
    _ = language.gettext
    return {"management": _("management"), "staff": _("staff")}


class _Writer:
    """The sentences of one report: its language, survey, significance level and threshold."""

    def __init__(self, survey: Survey, language: Language, alpha: float,
                 groups: tuple[str, str]) -> None:
        self.survey, self.lang, self.alpha = survey, language, alpha
        names = group_names(language)
        self.a, self.b = (names.get(g, g) for g in groups)
        scale = survey.instrument.scale
        self.scale = f"{scale.min}-{scale.max}"

    def p(self, value: float) -> str:
        return p_text(value, self.lang)

    def text(self, item: str) -> str:
        return _statement(self.survey.instrument, item, self.lang)

    def units(self) -> dict[str, str]:
        _ = self.lang.gettext
        return {"points": _("points"), "nps": _("NPS points"),
                "scale": _("scale points"), "mean": _("mean ({scale})").format(scale=self.scale),
                "r": _("correlation"), "share": _("% of explained variance")}

    def row(self, kind: str, finding: str, value: float, unit: str, p: float, *,
            significant: bool, items: list[str] | str, size: float = 0.0) -> dict[str, Any]:
        return {"kind": kind, "finding": finding, "value": value, "unit": self.units()[unit],
                "p_adjusted": p, "significant": bool(significant),
                "always_reported": False,
                "items": items if isinstance(items, str) else ", ".join(items),
                "_size": abs(size) if pd.notna(size) else 0.0}


# -- wave on wave -----------------------------------------------------------------------------


def _nps_change_findings(w: _Writer, change: pd.DataFrame) -> list[dict]:
    _ = w.lang.gettext
    row = change.iloc[0]
    if pd.isna(row["p_value"]) or row["p_value"] >= w.alpha:
        return []
    template = (_("The Net Promoter Score rose {change} points since {wave}, from {before} to "
                  "{now} ({p}).") if row["change"] > 0 else
                _("The Net Promoter Score fell {change} points since {wave}, from {before} to "
                  "{now} ({p})."))
    text = template.format(change=w.lang.number(abs(row["change"]), 0),
                           wave=row["wave_previous"], before=w.lang.number(row["nps_previous"], 0),
                           now=w.lang.number(row["nps_current"], 0), p=w.p(row["p_value"]))
    recommend = w.survey.instrument.recommend
    return [w.row("nps change", text, row["change"], "nps", row["p_value"], significant=True,
                  items=recommend.id if recommend is not None else "", size=row["change"])]


def _trend_findings(w: _Writer, table: pd.DataFrame, wave: str) -> list[dict]:
    _ = w.lang.gettext
    hits = table[table["significant"].fillna(False).astype(bool)].copy()
    if hits.empty:
        return []
    hits["p"] = hits[["p_adjusted_mean", "p_adjusted_pct"]].min(axis=1)
    found = []
    for sign in (1, -1):
        side = hits[np.sign(hits["change_mean"]) == sign]
        if len(side) >= SUMMARISE_FROM:
            top = side.loc[side["change_mean"].abs().idxmax()]
            template = (_("The mean score rose on {count} of {total} statements since {wave}, by "
                          "{range} scale points; most on {statement} ({p}).") if sign > 0
                        else _("The mean score fell on {count} of {total} statements since "
                               "{wave}, by {range} scale points; most on {statement} "
                               "({p})."))
            text = template.format(
                count=len(side), total=len(table), wave=wave,
                range=_range(w, side["change_mean"].abs(), 1),
                statement=_quoted(w.text(top["item"])), p=w.p(top["p"]))
            found.append(w.row("trend", text, top["change_mean"], "scale", top["p"],
                               significant=True, items=side["item"].tolist(),
                               size=10 * top["change_mean"]))
            continue
        for _index, row in side.iterrows():
            if row["p_adjusted_pct"] < w.alpha:
                template = (_("Agreement that {statement} rose from {before} to {now} since "
                              "{wave} ({change} points; {p}).") if row["change_pct_agree"] > 0
                            else _("Agreement that {statement} fell from {before} to {now} since "
                                   "{wave} ({change} points; {p})."))
                text = template.format(
                    statement=_clause(w.text(row["item"])), wave=wave,
                    before=w.lang.percent(row["pct_agree_previous"]),
                    now=w.lang.percent(row["pct_agree_current"]),
                    change=w.lang.number(row["change_pct_agree"], 0, sign=True),
                    p=w.p(row["p_adjusted_pct"]))
                found.append(w.row("trend", text, row["change_pct_agree"], "points",
                                   row["p_adjusted_pct"], significant=True, items=[row["item"]],
                                   size=row["change_pct_agree"]))
            else:
                template = (_("The mean score of {statement} rose from {before} to {now} since "
                              "{wave} ({p}).") if row["change_mean"] > 0
                            else _("The mean score of {statement} fell from {before} to {now} "
                                   "since {wave} ({p})."))
                text = template.format(
                    statement=_quoted(w.text(row["item"])), wave=wave,
                    before=w.lang.number(row["mean_previous"]),
                    now=w.lang.number(row["mean_current"]), p=w.p(row["p_adjusted_mean"]))
                found.append(w.row("trend", text, row["change_mean"], "scale",
                                   row["p_adjusted_mean"], significant=True, items=[row["item"]],
                                   size=10 * row["change_mean"]))
    return found


# -- customers --------------------------------------------------------------------------------


def _key_weakness_findings(w: _Writer, quadrants: pd.DataFrame, feedback: Survey) -> list[dict]:
    """Key weaknesses whose importance interval lies wholly above the importance cut line.

    The quadrant has no test of its own; a driver counts as significantly important when the
    lower end of its bootstrap interval is above the mean importance (100 / drivers), so that
    chance alone would not have put it in the "important" half.
    """
    _ = w.lang.gettext
    shown = quadrants[~quadrants["suppressed"].fillna(False).astype(bool)]
    if shown.empty:
        return []
    cut = 100 / len(shown)
    hits = shown[(shown["quadrant"] == "key weakness") & (shown["importance_ci_low"] > cut)]
    scale = feedback.instrument.scale
    found = []
    for _index, row in hits.iterrows():
        text = _("{statement} is a key weakness: it explains {share} of customers' likelihood "
                 "to recommend (95% interval {low}–{high}), more than the average touchpoint, "
                 "yet scores only {mean} on the {scale} scale.").format(
            statement=_capital(_quoted(_statement(feedback.instrument, row["driver"], w.lang))),
            share=w.lang.percent(row["importance"]), low=w.lang.percent(row["importance_ci_low"]),
            high=w.lang.percent(row["importance_ci_high"]),
            mean=w.lang.number(row["performance"]), scale=f"{scale.min}-{scale.max}")
        found.append(w.row("key weakness", text, row["importance"], "share", np.nan,
                           significant=True, items=[row["driver"]], size=row["importance"]))
    return found


# -- management and staff ---------------------------------------------------------------------


def _range(w: _Writer, sizes: pd.Series, decimals: int) -> str:
    """The span of a summary's figures, "31 to 46", or one figure when they round alike."""
    low, high = (w.lang.number(v, decimals) for v in (sizes.min(), sizes.max()))
    return low if low == high else w.lang.gettext("{low} to {high}").format(low=low, high=high)


def _gap_sentence(w: _Writer, row: pd.Series, pa: float, pb: float) -> str:
    _ = w.lang.gettext
    template = (_("{share_a} of {group_a} but only {share_b} of {group_b} agree that "
                  "{statement} ({points} points; {p}).") if row["gap_pct"] >= 0 else
                _("Only {share_a} of {group_a} but {share_b} of {group_b} agree that "
                  "{statement} ({points} points; {p})."))
    return template.format(share_a=w.lang.percent(pa), share_b=w.lang.percent(pb),
                           group_a=w.a, group_b=w.b, statement=_clause(w.text(row["item"])),
                           points=w.lang.number(abs(row["gap_pct"]), 0),
                           p=w.p(row["p_adjusted"]))


def _gap_findings(w: _Writer, gap: pd.DataFrame, groups: tuple[str, str],
                  threshold: int) -> list[dict]:
    _ = w.lang.gettext
    a, b = groups
    shown = gap[gap["gap_pct"].notna()]
    if shown.empty:
        text = _("No {group_a} - {group_b} gap can be reported: on every statement one of the "
                 "two groups is not shown (fewer than {threshold} respondents, or hidden so "
                 "that a smaller group cannot be worked out).").format(
            group_a=w.a, group_b=w.b, threshold=threshold)
        return [w.row("largest gap", text, np.nan, "points", np.nan, significant=False,
                      items="")]
    largest = shown["gap_pct"].abs().idxmax()
    significant = shown[shown["significant"].astype(bool)]
    found = []
    for sign in (1, -1):
        side = significant[np.sign(significant["gap_pct"]) == sign]
        if len(side) >= SUMMARISE_FROM:
            top = side.loc[side["gap_pct"].abs().idxmax()]
            template = (_("{group_a} agree more often than {group_b} on {count} of {total} "
                          "statements, by {range} points; widest: {share_a} against "
                          "{share_b} agree that {statement} ({p}).") if sign > 0 else
                        _("{group_a} agree less often than {group_b} on {count} of {total} "
                          "statements, by {range} points; widest: {share_a} against "
                          "{share_b} agree that {statement} ({p})."))
            text = template.format(
                group_a=w.a, group_b=w.b, count=len(side), total=len(gap),
                range=_range(w, side["gap_pct"].abs(), 0),
                share_a=w.lang.percent(top[f"pct_agree_{a}"]),
                share_b=w.lang.percent(top[f"pct_agree_{b}"]),
                statement=_clause(w.text(top["item"])), p=w.p(top["p_adjusted"]))
            kind = "largest gap" if largest in side.index else "gap"
            found.append(w.row(kind, _capital(text), top["gap_pct"], "points", top["p_adjusted"],
                               significant=True, items=side["item"].tolist(),
                               size=top["gap_pct"]))
            continue
        for index, row in side.iterrows():
            text = _gap_sentence(w, row, row[f"pct_agree_{a}"], row[f"pct_agree_{b}"])
            found.append(w.row("largest gap" if index == largest else "gap", text,
                               row["gap_pct"], "points", row["p_adjusted"], significant=True,
                               items=[row["item"]], size=row["gap_pct"]))
    if largest not in significant.index:
        row = shown.loc[largest]
        text = _("The largest gap between {group_a} and {group_b} is {points} points, on "
                 "{statement} ({share_a} against {share_b} agree), and it is not significant "
                 "after adjustment ({p}, alpha {alpha}).").format(
            group_a=w.a, group_b=w.b, points=w.lang.number(abs(row["gap_pct"]), 0),
            statement=_quoted(w.text(row["item"])), share_a=w.lang.percent(row[f"pct_agree_{a}"]),
            share_b=w.lang.percent(row[f"pct_agree_{b}"]), p=w.p(row["p_adjusted"]),
            alpha=w.lang.number(w.alpha, 2))
        found.append(w.row("largest gap", text, row["gap_pct"], "points", row["p_adjusted"],
                           significant=False, items=[row["item"]], size=row["gap_pct"]))
    return found


# -- the scorecard ----------------------------------------------------------------------------


def _lowest_finding(w: _Writer, card: pd.DataFrame) -> list[dict]:
    _ = w.lang.gettext
    rows = card[card["lowest"].astype(bool) & card["mean"].notna()]
    if rows.empty:
        return []
    row = rows.iloc[0]
    text = _("The lowest-scoring statement is {statement} (mean {mean} on the {scale} scale; "
             "{share} agree).").format(statement=_quoted(w.text(row["item"])),
                                       mean=w.lang.number(row["mean"]), scale=w.scale,
                                       share=w.lang.percent(row["pct_agree"]))
    return [w.row("lowest", text, row["mean"], "mean", np.nan, significant=False,
                  items=[row["item"]])]


def _target_findings(w: _Writer, card: pd.DataFrame, target: float,
                     adjust: str | None) -> list[dict]:
    _ = w.lang.gettext
    shown = card[card["mean"].notna() & (card["n"] > 1)].copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (shown["mean"] - target) / (shown["sd"] / np.sqrt(shown["n"]))
    shown["p"] = adjust_p(2 * stats.t.sf(np.abs(t), shown["n"] - 1), adjust)
    found = []
    for sign in (-1, 1):
        hits = shown[(shown["p"] < w.alpha) & (np.sign(shown["gap_to_target"]) == sign)]
        if hits.empty:
            continue
        row = hits.loc[hits["gap_to_target"].abs().idxmax()]
        template = (_("{count} of {total} statements score significantly below the target of "
                      "{target}; furthest: {statement} (mean {mean}, {distance} below; {p}).")
                    if sign < 0 else
                    _("{count} of {total} statements score significantly above the target of "
                      "{target}; furthest: {statement} (mean {mean}, {distance} above; {p})."))
        text = template.format(count=len(hits), total=len(card),
                               target=w.lang.number(target),
                               statement=_quoted(w.text(row["item"])),
                               mean=w.lang.number(row["mean"]),
                               distance=w.lang.number(abs(row["gap_to_target"])),
                               p=w.p(row["p"]))
        found.append(w.row("target", text, row["gap_to_target"], "scale", row["p"],
                           significant=True, items=hits["item"].tolist(),
                           size=10 * row["gap_to_target"]))
    return found


def _benchmark_findings(w: _Writer, card: pd.DataFrame, label: str,
                        adjust: str | None) -> list[dict]:
    _ = w.lang.gettext
    shown = card[card["pct_agree"].notna() & card["benchmark_pct_agree"].notna()].copy()
    if shown.empty:
        return []
    agreeing = np.rint(shown["pct_agree"] * shown["n"] / 100).astype(int)
    raw = [stats.binomtest(int(k), int(n), published / 100).pvalue
           for k, n, published in zip(agreeing, shown["n"], shown["benchmark_pct_agree"])]
    shown["p"] = adjust_p(raw, adjust)
    hits = shown[shown["p"] < w.alpha]
    found = []
    for sign in (-1, 1):
        side = hits[np.sign(hits["gap_to_benchmark_pct"]) == sign]
        if len(side) >= SUMMARISE_FROM:
            top = side.loc[side["gap_to_benchmark_pct"].abs().idxmax()]
            template = (_("{count} of {total} statements have significantly fewer agreeing "
                          "than {benchmark}, by {range} points; furthest: {share} "
                          "agree that {statement}, against {published} ({p}).") if sign < 0
                        else _("{count} of {total} statements have significantly more agreeing "
                               "than {benchmark}, by {range} points; furthest: {share} "
                               "agree that {statement}, against {published} ({p})."))
            text = template.format(
                count=len(side), total=len(shown), benchmark=label,
                range=_range(w, side["gap_to_benchmark_pct"].abs(), 0),
                share=w.lang.percent(top["pct_agree"]), statement=_clause(w.text(top["item"])),
                published=w.lang.percent(top["benchmark_pct_agree"]), p=w.p(top["p"]))
            found.append(w.row("benchmark", text, top["gap_to_benchmark_pct"], "points",
                               top["p"], significant=True, items=side["item"].tolist(),
                               size=top["gap_to_benchmark_pct"]))
            continue
        for _index, row in side.iterrows():
            gap = row["gap_to_benchmark_pct"]
            template = (_("{share} agree that {statement}, against {published} in {benchmark} "
                          "({points} points above; {p}).") if gap > 0 else
                        _("{share} agree that {statement}, against {published} in {benchmark} "
                          "({points} points below; {p})."))
            text = template.format(share=w.lang.percent(row["pct_agree"]),
                                   statement=_clause(w.text(row["item"])),
                                   published=w.lang.percent(row["benchmark_pct_agree"]),
                                   benchmark=label, points=w.lang.number(abs(gap), 0),
                                   p=w.p(row["p"]))
            found.append(w.row("benchmark", text, gap, "points", row["p"], significant=True,
                               items=[row["item"]], size=gap))
    return found


def _correlation_finding(w: _Writer, pairs: pd.DataFrame, method: str) -> list[dict]:
    _ = w.lang.gettext
    shown = pairs[pairs["r"].notna()]
    if shown.empty:
        return []
    row = shown.loc[shown["r"].abs().idxmax()]
    symbol = {"spearman": _("Spearman's rho"), "pearson": "r", "kendall": _("Kendall's tau")}
    figures = {"first": _quoted(w.text(row["item_a"])), "second": _quoted(w.text(row["item_b"])),
               "symbol": symbol[method], "r": w.lang.number(row["r"], 2), "n": row["n"],
               "p": w.p(row["p_adjusted"])}
    significant = bool(row["p_adjusted"] < w.alpha)
    if significant and row["r"] > 0:
        template = _("The strongest correlation is between {first} and {second} ({symbol} = {r}, "
                     "n = {n}; {p}): respondents who agree with one tend to agree with the "
                     "other.")
    elif significant:
        template = _("The strongest correlation is between {first} and {second} ({symbol} = {r}, "
                     "n = {n}; {p}): respondents who agree with one tend to disagree with the "
                     "other.")
    else:
        template = _("The strongest correlation is between {first} and {second} ({symbol} = {r}, "
                     "n = {n}; {p}), not significant after adjustment.")
    return [w.row("strongest correlation", template.format(**figures), row["r"], "r",
                  row["p_adjusted"], significant=significant,
                  items=[row["item_a"], row["item_b"]], size=row["r"])]


# -- putting them in order --------------------------------------------------------------------


def _wave(survey: Survey | None, fallback: str) -> str:
    if survey is not None and "wave" in survey.responses.columns:
        waves = survey.responses["wave"].dropna().unique()
        if len(waves) == 1:
            return str(waves[0])
    return fallback


def _benchmark_label(benchmark: str | pd.DataFrame, language: Language) -> str:
    _ = language.gettext
    return _("the 2008 study") if isinstance(benchmark, str) and benchmark == "polska-2008" \
        else _("the benchmark")


def _optional(analysis, *args, **kwargs) -> pd.DataFrame | None:
    """An analysis of data the client may not support (no recommend question, too few drivers)."""
    try:
        return analysis(*args, **kwargs)
    except (AnalysisError, DataError):
        return None


def _ranked(found: list[dict], max_findings: int, w: _Writer) -> pd.DataFrame:
    """Significant findings by tier and size, then the always-reported facts."""
    news = [f for f in found if f["significant"]]
    always = [f | {"always_reported": True} for f in found
              if not f["significant"] and f["kind"] in _ALWAYS]
    news.sort(key=lambda f: (_TIER[f["kind"]], -f["_size"]))
    always.sort(key=lambda f: _ALWAYS[f["kind"]])
    if not news:
        _ = w.lang.gettext
        always.insert(0, w.row(
            "nothing significant",
            _("No change, gap or comparison in this survey is significant after adjustment; "
              "the figures that follow are the ones every report shows."),
            np.nan, "points", np.nan, significant=False, items="") | {"always_reported": True})
    keep = max(1, max_findings - len(always)) if news else 0
    rows = (news[:keep] + always)[:max_findings]
    table = pd.DataFrame(rows, columns=[c for c in COLUMNS if c != "rank"] + ["_size"])
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table.drop(columns="_size")


def findings(
    data: Survey | pd.DataFrame,
    *,
    feedback: Survey | None = None,
    previous: Survey | None = None,
    previous_feedback: Survey | None = None,
    instrument: Instrument | str | None = None,
    target: float | None = None,
    benchmark: str | pd.DataFrame | None = "polska-2008",
    groups: tuple[str, str] = ("management", "staff"),
    min_group_size: int | None = None,
    adjust: str | None = "holm",
    alpha: float = 0.05,
    method: str = "spearman",
    max_findings: int = 10,
    lang: str | Language = "en",
) -> ResultTable:
    """The findings of a report, most important to the client first, each with its numbers.

    Parameters
    ----------
    data
        The staff survey: a `Survey`, or a responses DataFrame with ``instrument``.
    feedback
        The customer survey of this wave (recommend question and touchpoints): adds the key
        weaknesses of `cemlab.drivers.importance_performance`, drivers as the report's
        (`cemlab.report.journey_drivers`).
    previous
        The previous wave of the staff survey: adds significant changes (`cemlab.trend.trend`).
    previous_feedback
        The previous wave's customer survey: with ``feedback``, adds a significant change in
        NPS (`cemlab.trend.nps_trend`).
    target
        The client's target score; adds statements significantly below / above it.
    benchmark
        Benchmark name or table (see `cemlab.scorecard.scorecard`); None for no comparison.
    groups
        The two groups compared (``a - b``).
    min_group_size
        Groups and pairs under this many respondents give no figure; default the survey's.
    adjust
        Adjustment across items for the gap, target and benchmark tests (``"holm"`` default,
        ``"fdr_bh"``, None); correlations are adjusted across pairs by Benjamini-Hochberg,
        trends as `cemlab.trend.trend` does (Holm).
    alpha
        Significance level after adjustment.
    method
        Correlation method (``"spearman"``, ``"pearson"``, ``"kendall"``).
    max_findings
        At most this many rows; the always-reported facts keep their place, the least
        important significant findings go first.
    lang
        Language of the sentences and units (``"en"``, ``"pl"``).

    Returns
    -------
    ResultTable
        ``rank``, ``kind`` (``nps change``, ``trend``, ``key weakness``, ``gap``, ``largest
        gap`` (the row holding the largest gap, alone or in a summary), ``target``,
        ``benchmark``, ``lowest``, ``strongest correlation``, ``nothing significant``),
        ``finding`` (the sentence), ``value`` (the figure in ``unit``: gap or change in points
        of % agree, NPS points, scale points, a mean, r, or a share of explained variance),
        ``unit``, ``p_adjusted``, ``significant``, ``always_reported``, ``items`` (item ids,
        comma separated).

    Notes
    -----
    Order: a significant change in NPS; significant changes of statements since the last
    wave; key weaknesses (important drivers of recommendation performing below the others,
    the lower end of the importance interval above the average importance); significant
    management - staff gaps (% agree: z or Fisher); statements significantly below / above the
    target (one-sample t = (mean - target) / (s/√n), n - 1 df); % agree against the benchmark's
    published % (exact binomial test, the published figure taken as fixed); a significant
    strongest correlation. Within a kind, the largest figure first. Three or more significant
    findings of one kind pointing the same way are one sentence giving their range and count,
    their items in ``items``. Then the facts every report has, always_reported: the largest
    gap, the lowest-scoring statement and the strongest correlation, each saying when it is not
    significant. A figure that is not significant is never first: with nothing significant the
    first row says so, with no figure. Every figure comes from a table that has already
    applied ``min_group_size``: a suppressed value is missing there and no sentence is written
    from it.

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scand J Stat 6.
    Martilla, J. A. & James, J. C. (1977). Importance-performance analysis. J Marketing 41(1).

    Examples
    --------
    >>> import cemlab
    >>> client = cemlab.load_client("params/kestrel-mobile.yaml")  # doctest: +SKIP
    >>> cemlab.findings(client.survey, feedback=client.feedback, previous=client.previous,
    ...                 previous_feedback=client.previous_feedback, target=7)  # doctest: +SKIP
    """
    from cemlab.report import journey_drivers  # report imports the analyses, not the reverse

    check_adjust(adjust)
    if max_findings < 1:
        raise ValueError(f"max_findings must be at least 1, got {max_findings}")
    language = _language(lang)
    survey = as_survey(data, instrument)
    threshold = group_size_threshold(survey, min_group_size)
    writer = _Writer(survey, language, alpha, groups)
    gap = agreement_gap(survey, groups=groups, min_group_size=threshold, adjust=adjust,
                        alpha=alpha)
    card = scorecard(survey, target=target, benchmark=benchmark, groups=groups,
                     min_group_size=threshold, adjust=adjust)
    pairs = correlations(survey, method=method, min_group_size=threshold)
    found = [*_gap_findings(writer, gap, groups, threshold), *_lowest_finding(writer, card),
             *_correlation_finding(writer, pairs, method)]
    if feedback is not None and previous_feedback is not None:
        change = _optional(nps_trend, feedback, previous_feedback, min_group_size=threshold)
        if change is not None:
            found += _nps_change_findings(writer, change)
    if previous is not None:
        waves = _optional(trend, survey, previous, min_group_size=threshold)
        if waves is not None:
            found += _trend_findings(writer, waves, _wave(previous, language.gettext(
                "the last wave")))
    if feedback is not None:
        quadrants = _optional(importance_performance, feedback, "ltr",
                              drivers=journey_drivers(feedback), min_group_size=threshold)
        if quadrants is not None:
            found += _key_weakness_findings(writer, quadrants, feedback)
    if target is not None:
        found += _target_findings(writer, card, float(target), adjust)
    if benchmark is not None:
        found += _benchmark_findings(writer, card, _benchmark_label(benchmark, language), adjust)
    return result_table(
        _ranked(found, max_findings, writer),
        title=language.gettext("Findings"),
        notes=f"Significant after adjustment ({adjust or 'none'}; correlations Benjamini-"
        f"Hochberg) at alpha {alpha:g}, most important first; the largest gap, the "
        f"lowest-scoring statement and the strongest correlation are always reported "
        f"(always_reported); no figure from fewer than {threshold} respondents.",
        min_group_size=threshold,
    )
