"""Benchmark: cemlab's analyses against plain pandas doing the obvious equivalent.

Generates seeded survey data (a 30-item instrument built here: 6 dimensions x 5 items, 1-10
scale, management/staff, 2% of answers missing) at 10k, 100k and 1M respondents, and times in
the same run, best of ``--repeats`` (one run from 1M respondents up):

=================  ====================================================================
cemlab             plain pandas
=================  ====================================================================
agreement          % disagree / neutral / agree per item and group:
                   band indicators, ``groupby(role).mean()``
scorecard          ``items.agg(["count", "mean", "std"])`` and ``groupby(role).mean()``
correlations       ``items.corr(method="spearman")`` (cemlab's default, pairwise complete)
reliability        Cronbach's alpha per dimension from ``var()`` on complete rows
=================  ====================================================================

Peak memory is measured in a separate run under ``tracemalloc`` (numpy reports its buffers to
it) and shown relative to the size of the responses frame. Aim (issue 3): the suite within 3x of
plain pandas, time linear in respondents, peak memory under 3x the data.

    python bench/analysis.py                         # 10k, 100k, 1M respondents
    python bench/analysis.py --sizes 10000 100000    # quicker
"""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cemlab.agreement import agreement
from cemlab.correlation import correlations
from cemlab.instrument import Instrument
from cemlab.reliability import reliability
from cemlab.scorecard import scorecard
from cemlab.survey import Survey

DIMENSIONS = 6
ITEMS_PER_DIMENSION = 5
GROUP = "role"
SEED = 2026
MISSING_SHARE = 0.02
#: Share of respondents in management (the rest are staff).
MANAGEMENT_SHARE = 0.3


def build_instrument() -> Instrument:
    """A 30-item instrument: dimensions d1..d6 of items d1_q1..d1_q5, 1-10 scale."""
    return Instrument.model_validate({
        "name": "bench-30",
        "scale": {"min": 1, "max": 10},
        "bands": {"disagree": [1, 4], "neutral": [5, 6], "agree": [7, 10]},
        "groups": {"column": GROUP, "levels": ["management", "staff"]},
        "dimensions": [
            {
                "id": f"d{d}",
                "title": f"Dimension {d}",
                "items": [
                    {"id": f"d{d}_q{i}", "text": f"Statement {i} of dimension {d}",
                     "source": "cemlab"}
                    for i in range(1, ITEMS_PER_DIMENSION + 1)
                ],
            }
            for d in range(1, DIMENSIONS + 1)
        ],
    })


def generate(instrument: Instrument, respondents: int, seed: int = SEED) -> pd.DataFrame:
    """Seeded responses: a general and a dimension factor per respondent, answers 1-10.

    Items of one dimension correlate about .5, of different dimensions about .25; management
    answers half a point higher; ``MISSING_SHARE`` of answers are missing at random.
    """
    rng = np.random.default_rng(seed)
    management = rng.random(respondents) < MANAGEMENT_SHARE
    general = rng.standard_normal(respondents)
    columns = {}
    for dimension in instrument.dimensions:
        factor = rng.standard_normal(respondents)
        for item in dimension.items:
            latent = 0.5 * general + 0.5 * factor + np.sqrt(0.5) * rng.standard_normal(respondents)
            score = np.clip(np.rint(6.0 + 2.0 * latent + 0.5 * management), 1, 10)
            score[rng.random(respondents) < MISSING_SHARE] = np.nan
            columns[item.id] = score
    frame = pd.DataFrame(columns, index=pd.RangeIndex(respondents, name="respondent_id"))
    frame[GROUP] = np.where(management, "management", "staff")
    return frame


# -- plain pandas, the obvious way ----------------------------------------------------------------


def pandas_agreement(frame: pd.DataFrame, items: list[str]) -> pd.DataFrame:
    """% disagree / neutral / agree per item and group: band indicators, groupby mean."""
    answers = frame[items]
    answered = answers.notna()
    bands = {"disagree": (1, 4), "neutral": (5, 6), "agree": (7, 10)}
    shares = {
        name: answers.ge(low).mul(answers.le(high)).where(answered).groupby(frame[GROUP]).mean()
        for name, (low, high) in bands.items()
    }
    return pd.concat(shares, names=["band"]) * 100


def pandas_scorecard(frame: pd.DataFrame, items: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """n, mean and SD per item, and the mean per item and group."""
    return frame[items].agg(["count", "mean", "std"]), frame.groupby(GROUP)[items].mean()


def pandas_correlations(frame: pd.DataFrame, items: list[str]) -> pd.DataFrame:
    """Spearman r of every item pair, pairwise complete."""
    return frame[items].corr(method="spearman")


def pandas_reliability(frame: pd.DataFrame, instrument: Instrument) -> pd.Series:
    """Cronbach's alpha per dimension on the respondents who answered all its items."""
    alphas = {}
    for dimension in instrument.dimensions:
        answers = frame[[item.id for item in dimension.items]].dropna()
        k = answers.shape[1]
        alphas[dimension.id] = k / (k - 1) * (1 - answers.var().sum() / answers.sum(axis=1).var())
    return pd.Series(alphas, name="alpha")


# -- measuring -----------------------------------------------------------------------------------


@dataclass
class Comparison:
    """One cemlab analysis and its plain-pandas counterpart on the same data."""

    analysis: str
    run_cemlab: Callable[[], object]
    run_pandas: Callable[[], object]


def comparisons(survey: Survey) -> list[Comparison]:
    frame, items = survey.responses, survey.item_ids
    return [
        Comparison("agreement", lambda: agreement(survey),
                   lambda: pandas_agreement(frame, items)),
        Comparison("scorecard", lambda: scorecard(survey),
                   lambda: pandas_scorecard(frame, items)),
        Comparison("correlations", lambda: correlations(survey),
                   lambda: pandas_correlations(frame, items)),
        Comparison("reliability", lambda: reliability(survey),
                   lambda: pandas_reliability(frame, survey.instrument)),
    ]


def best_time(run: Callable[[], object], repeats: int) -> float:
    """The fastest of ``repeats`` runs, in seconds."""
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def peak_memory(run: Callable[[], object]) -> int:
    """Bytes allocated at the peak of one run, above what was allocated before it."""
    gc.collect()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - before


@dataclass
class Row:
    respondents: int
    analysis: str
    cemlab_s: float
    pandas_s: float
    cemlab_peak: int
    pandas_peak: int
    data_bytes: int


def measure(respondents: int, repeats: int) -> list[Row]:
    """Time and memory of every comparison on ``respondents`` generated answers."""
    instrument = build_instrument()
    survey = Survey(generate(instrument, respondents), instrument)
    data_bytes = int(survey.responses.memory_usage(deep=True).sum())
    rows = []
    for comparison in comparisons(survey):
        rows.append(Row(
            respondents=respondents,
            analysis=comparison.analysis,
            cemlab_s=best_time(comparison.run_cemlab, repeats),
            pandas_s=best_time(comparison.run_pandas, repeats),
            cemlab_peak=peak_memory(comparison.run_cemlab),
            pandas_peak=peak_memory(comparison.run_pandas),
            data_bytes=data_bytes,
        ))
    return rows


def markdown(rows: list[Row]) -> str:
    """The results as the README's table, a suite line per size."""
    lines = [
        "| respondents | analysis | cemlab (s) | pandas (s) | ratio | cemlab peak / data "
        "| pandas peak / data |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for size in dict.fromkeys(r.respondents for r in rows):
        part = [r for r in rows if r.respondents == size]
        for r in part:
            lines.append(
                f"| {size:,} | {r.analysis} | {r.cemlab_s:.3f} | {r.pandas_s:.3f} "
                f"| {r.cemlab_s / r.pandas_s:.1f}x | {r.cemlab_peak / r.data_bytes:.2f}x "
                f"| {r.pandas_peak / r.data_bytes:.2f}x |"
            )
        cemlab_total = sum(r.cemlab_s for r in part)
        pandas_total = sum(r.pandas_s for r in part)
        lines.append(
            f"| {size:,} | **suite** | **{cemlab_total:.3f}** | **{pandas_total:.3f}** "
            f"| **{cemlab_total / pandas_total:.1f}x** "
            f"| data {part[0].data_bytes / 2**20:,.0f} MiB | |"
        )
    return "\n".join(lines)


def growth(rows: list[Row]) -> str:
    """Time per respondent at each size relative to the smallest (1.0 = linear)."""
    sizes = sorted(dict.fromkeys(r.respondents for r in rows))
    lines = ["time per respondent relative to the smallest size (1.0 = linear):"]
    for analysis in dict.fromkeys(r.analysis for r in rows):
        per = {r.respondents: r.cemlab_s / r.respondents for r in rows if r.analysis == analysis}
        steps = ", ".join(f"{size:,}: {per[size] / per[sizes[0]]:.2f}" for size in sizes)
        lines.append(f"  {analysis}: {steps}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=3,
                        help="best of this many runs below 1M respondents (default 3)")
    args = parser.parse_args(argv)
    rows = []
    for size in args.sizes:
        rows.extend(measure(size, args.repeats if size < 1_000_000 else 1))
        print(f"{size:,} respondents done", flush=True)
    print(markdown(rows))
    print(growth(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
