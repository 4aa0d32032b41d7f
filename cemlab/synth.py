"""The seeded generator behind cemlab's demo data: survey responses that hit published figures.

A `Spec` says who answers (group sizes), what the answers must show (per item and group: % agree,
% disagree, mean, any subset) and how items hang together (a latent factor model). `generate`
turns a spec and a seed into a DataFrame, byte-for-byte the same on every run.

Method
------
1. **Latent scores.** Every respondent *i* gets a general CX-culture factor ``G_i``, one factor
   ``D_di`` per dimension and one factor ``P_ki`` per extra item pair, all independent N(0, 1).
   Item *j* of dimension *d* gets the latent value::

       z_ij = shift[group_i] + g_j * G_i + d_j * D_di + sum_k sqrt(r_k) * P_ki + u_j * e_ij

   with loadings ``g_j`` (general), ``d_j`` (dimension), pair strengths ``r_k`` and
   ``u_j = sqrt(1 - g_j**2 - d_j**2 - sum_k r_k)`` so that every ``z`` has unit variance.
   Two items of one dimension then correlate ``g_i*g_j + d_i*d_j`` (plus ``r`` for a pair).
2. **Calibration on the sample.** A published "63% agree" must hold in the sample, not only in
   expectation, so the latent values are mapped to the answer scale *rank by rank*: within a
   calibration unit (one group, or all respondents of the groups with no targets of their own)
   the lowest ``round(n * pct_disagree)`` latent values get a disagree score, the next ones a
   neutral score, the highest ``round(n * pct_agree)`` an agree score. Band shares are then exact
   to the nearest respondent.
3. **Scores within a band** follow a discretised normal N(m, s) on the scale, conditioned on the
   band, with respondents in latent order (so the mapping is monotone and the correlations come
   from the latent structure). The location ``m`` is found by bisection so that the unit's sum of
   scores is as close as possible to ``n * mean``; single order-preserving one-point moves at the
   boundaries inside a band then make it exact.
4. **Unstated targets** are filled in from a discretised normal N(m, s) fitted to the stated ones
   (``s`` starts from the spec's ``sd``): state only a mean and the band shares follow from it;
   state only % agree and % disagree and mean follow.

Because the rank mapping uses only each unit's order, a ``group_shift`` (e.g. management
answering higher) shows in the data only where a target is set for ``all`` respondents (or for a
pool of groups) and in correlations over the pooled sample; per-group targets fix each group's
level on their own.

`write_csv` writes a frame deterministically (fixed float format, ``\\n`` line ends, any
encoding / delimiter / decimal mark), and `Study` files in ``cemlab/synth_specs/`` describe whole
data sets (the 2008 Polish study, the demo clients). Regenerate them with::

    python -m cemlab.synth polska-2008          # data/polska-2008.csv
    python -m cemlab.synth demo                 # every demo client's files in data/

Numpy's `Generator` streams are stable within a numpy version but not promised across versions;
the committed files were made with the numpy pinned in the environment.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from scipy import optimize
from scipy.special import log_ndtr

from cemlab.exceptions import CemlabError
from cemlab.instrument import Bands, Instrument, Scale, describe_validation_error, load_instrument

#: Scope name of a target that holds for every respondent rather than one group.
ALL = "all"

#: Net Promoter bands of the 0-10 recommend item: detractors 0-6, passives 7-8, promoters 9-10.
NPS_BANDS = Bands(disagree=(0, 6), neutral=(7, 8), agree=(9, 10))


class SpecError(CemlabError, ValueError):
    """A generator specification is malformed or asks for figures that cannot all hold."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


_M = TypeVar("_M", bound=BaseModel)


# -- the specification ----------------------------------------------------------------------


class Target(_Strict):
    """What one item's answers must show in one scope (a group, or ``all`` respondents).

    Any subset may be given; the rest are filled in from a fitted discretised normal.
    Percentages are of the respondents who answered (0-100). ``pct_promoters`` and
    ``pct_detractors`` are for the 0-10 recommend item (9-10 and 0-6), in place of
    ``pct_agree`` and ``pct_disagree``. Targets describe the answers as given: for a
    reverse-keyed item, state the figures of the unreversed scores.
    """

    pct_agree: float | None = Field(None, ge=0, le=100)
    pct_disagree: float | None = Field(None, ge=0, le=100)
    pct_promoters: float | None = Field(None, ge=0, le=100)
    pct_detractors: float | None = Field(None, ge=0, le=100)
    mean: float | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Target:
        if (self.pct_agree is not None or self.pct_disagree is not None) and (
            self.pct_promoters is not None or self.pct_detractors is not None
        ):
            raise ValueError(
                "give pct_agree/pct_disagree or pct_promoters/pct_detractors, not both"
            )
        high, low = self.high, self.low
        if high is not None and low is not None and high + low > 100:
            raise ValueError(f"the two shares add up to {high + low:g}%, more than 100%")
        if high is None and low is None and self.mean is None:
            raise ValueError("a target needs at least one of pct_agree, pct_disagree, mean")
        return self

    @property
    def nps(self) -> bool:
        """True when the target is stated as promoters / detractors."""
        return self.pct_promoters is not None or self.pct_detractors is not None

    @property
    def high(self) -> float | None:
        """The top band's share: % agree, or % promoters."""
        return self.pct_promoters if self.nps else self.pct_agree

    @property
    def low(self) -> float | None:
        """The bottom band's share: % disagree, or % detractors."""
        return self.pct_detractors if self.nps else self.pct_disagree


#: Targets of one item (or dimension, or every item) keyed by scope: a group level or ``all``.
Targets = dict[str, Target]


class Loading(_Strict):
    """Loadings of one item (or of every item of a dimension) on the latent factors."""

    general: float | None = Field(None, ge=0, le=1)
    dimension: float | None = Field(None, ge=0, le=1)


class Pair(_Strict):
    """Extra latent correlation ``r`` between two items, over what the factors give them."""

    items: tuple[str, str]
    r: float = Field(gt=0, lt=1)


class Structure(_Strict):
    """The correlation structure: a general CX-culture factor, dimension factors, group shifts.

    ``general`` and ``dimension`` are the default loadings; ``loadings`` overrides them per
    dimension id or item id (an item's entry wins over its dimension's). ``group_shift`` moves
    a group's latent mean (in standard deviations, e.g. ``management: 0.5``); ``pairs`` add
    correlation between two named items.
    """

    general: float = Field(0.5, ge=0, le=1)
    dimension: float = Field(0.5, ge=0, le=1)
    loadings: dict[str, Loading] = Field(default_factory=dict)
    group_shift: dict[str, float] = Field(default_factory=dict)
    pairs: list[Pair] = Field(default_factory=list)


class Segments(_Strict):
    """An extra respondent column (e.g. ``segment``) with each level's share of respondents."""

    column: str = "segment"
    shares: dict[str, float] = Field(min_length=1)

    @model_validator(mode="after")
    def _shares(self) -> Segments:
        if any(v < 0 for v in self.shares.values()) or sum(self.shares.values()) <= 0:
            raise ValueError("segment shares must be non-negative and not all zero")
        return self


class Spec(_Strict):
    """Everything `generate` needs except the seed.

    Targets are looked up item first, then the item's dimension, then ``default``; the first
    that exists is used whole (an item's targets replace its dimension's, they are not merged).
    """

    instrument: str = "cem-maturity"
    groups: dict[str, int] = Field(min_length=1)
    default: Targets = Field(default_factory=dict)
    dimensions: dict[str, Targets] = Field(default_factory=dict)
    items: dict[str, Targets] = Field(default_factory=dict)
    structure: Structure = Structure()
    sd: float = Field(2.0, gt=0)
    missing: float = Field(0.0, ge=0, lt=1)
    segments: Segments | None = None
    wave: str | None = None
    seed: int | None = None

    @model_validator(mode="after")
    def _sizes(self) -> Spec:
        for level, size in self.groups.items():
            if size < 1:
                raise ValueError(f"group {level!r} has {size} respondents; give at least 1")
        return self

    # -- resolution against the instrument ----------------------------------------------------

    def checked_instrument(self) -> Instrument:
        """The spec's instrument, checked against everything the spec names."""
        try:
            instrument = load_instrument(self.instrument)
        except CemlabError as exc:
            raise SpecError(f"spec key 'instrument': {exc}") from None
        self._check_against(instrument)
        return instrument

    def item_ids(self, instrument: Instrument) -> list[str]:
        """The generated columns: the recommend item (if any) first, then every item."""
        rec = [instrument.recommend.id] if instrument.recommend is not None else []
        return rec + instrument.item_ids

    def targets_of(self, instrument: Instrument, item_id: str) -> Targets:
        """The targets that apply to one item: its own, else its dimension's, else default."""
        if item_id in self.items:
            return self.items[item_id]
        if instrument.recommend is None or item_id != instrument.recommend.id:
            dim = instrument.dimension_of(item_id).id
            if dim in self.dimensions:
                return self.dimensions[dim]
        if self.default:
            return self.default
        raise SpecError(
            f"item {item_id!r} has no targets. Fix: add it under 'items', its dimension under "
            "'dimensions', or give a 'default' (e.g. default: {all: {mean: 6}})"
        )

    def _check_against(self, instrument: Instrument) -> None:
        levels = instrument.groups.levels
        column = instrument.groups.column
        problems: list[str] = []
        unknown = [g for g in self.groups if g not in levels]
        if unknown:
            problems.append(
                f"'groups' names {unknown}, not levels of {column!r} in instrument "
                f"{instrument.name!r} (levels: {levels})"
            )
        ids = set(self.item_ids(instrument))
        dims = {d.id for d in instrument.dimensions}
        scopes = set(self.groups) | {ALL}
        where: list[tuple[str, Targets]] = [("default", self.default)]
        where += [(f"dimensions.{k}", v) for k, v in self.dimensions.items()]
        where += [(f"items.{k}", v) for k, v in self.items.items()]
        problems += [f"'dimensions' names unknown dimension {k!r}" for k in self.dimensions
                     if k not in dims]
        problems += [f"'items' names unknown item {k!r}" for k in self.items if k not in ids]
        for key, targets in where:
            bad = [s for s in targets if s not in scopes]
            if bad:
                problems.append(
                    f"'{key}' has targets for {bad}; scopes are the group levels in 'groups' "
                    f"({sorted(self.groups)}) or {ALL!r}"
                )
        s = self.structure
        problems += [f"'structure.loadings' names unknown item or dimension {k!r}"
                     for k in s.loadings if k not in ids | dims]
        problems += [f"'structure.group_shift' names unknown group {k!r}" for k in s.group_shift
                     if k not in levels]
        for pair in s.pairs:
            problems += [f"'structure.pairs' names unknown item {k!r}" for k in pair.items
                         if k not in ids]
            if pair.items[0] == pair.items[1]:
                problems.append(f"'structure.pairs' pairs {pair.items[0]!r} with itself")
        if self.segments is not None and self.segments.column in {column, "respondent_id",
                                                                   "wave"} | ids:
            problems.append(f"'segments.column' {self.segments.column!r} is already a column")
        if problems:
            raise SpecError("generator spec: " + "; ".join(problems))


def load_spec(source: str | Path | dict | Spec) -> Spec:
    """A `Spec` from a dict, a YAML file path, or a built-in study name (its first data set).

    Raises `SpecError` naming the key when the spec is malformed.
    """
    if isinstance(source, Spec):
        return source
    if isinstance(source, dict):
        return _validate(Spec, source, "<spec>")
    text_name = str(source)
    if text_name in list_studies():
        return load_study(text_name).datasets[0].spec_or_raise()
    path = Path(source)
    return _validate(Spec, _read_yaml(path), str(path))


def _read_yaml(path: Path) -> dict:
    if not path.is_file():
        raise SpecError(f"{path}: no such file. Fix: give the path of a YAML spec")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SpecError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise SpecError(f"{path}: a spec must be a YAML mapping")
    return data


def _validate(model: type[_M], data: dict, label: str) -> _M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise SpecError(f"{label}: {describe_validation_error(exc, data)}") from None


# -- the discretised normal -----------------------------------------------------------------


def _log_probs(points: np.ndarray, m: float, s: float) -> np.ndarray:
    """log P(score = k) for N(m, s) rounded to the nearest scale point, ends open-ended.

    Computed from log-CDFs on the lower tail side of each interval so that it stays accurate
    far into the tails (the bisection in `_assign_band_scores` goes there).
    """
    lo = (points - 0.5 - m) / s
    hi = (points + 0.5 - m) / s
    lo[0], hi[-1] = -np.inf, np.inf
    upper = lo > 0  # both ends above the mean: use P(-hi < X < -lo) for accuracy
    a = np.where(upper, -hi, lo)
    b = np.where(upper, -lo, hi)
    la, lb = log_ndtr(a), log_ndtr(b)
    with np.errstate(divide="ignore"):
        return lb + np.log1p(-np.exp(la - lb))


def _probs(points: np.ndarray, m: float, s: float) -> np.ndarray:
    return np.exp(_log_probs(points, m, s))


def _band_masks(points: np.ndarray, bands: Bands) -> list[np.ndarray]:
    """Boolean masks of the scale points in the disagree, (neutral,) agree bands."""
    masks = [(points >= lo) & (points <= hi) for lo, hi in
             [bands.disagree] + ([bands.neutral] if bands.neutral else []) + [bands.agree]]
    return masks


@dataclass(frozen=True)
class _Complete:
    """A fully stated target: band shares (low, [middle,] high) as fractions and a mean, with
    the fitted discretised normal N(m, s) that shapes the scores within each band."""

    shares: list[float]
    mean: float
    m: float
    s: float


def _complete(target: Target, points: np.ndarray, bands: Bands, sd: float, where: str) -> _Complete:
    """Fill in a target's unstated figures from a discretised normal fitted to the stated ones.

    The normal's location and spread minimise the squared misfit to the stated figures (shares
    as fractions, the mean as a fraction of the scale's range) plus a weak pull of the spread
    towards ``sd``; stated figures are then kept as stated.
    """
    masks = _band_masks(points, bands)
    width = float(points[-1] - points[0])
    stated: list[tuple[str, float]] = []
    if target.low is not None:
        stated.append(("low", target.low / 100))
    if target.high is not None:
        stated.append(("high", target.high / 100))
    if target.mean is not None:
        if not points[0] <= target.mean <= points[-1]:
            raise SpecError(f"{where}: mean {target.mean:g} is off the "
                            f"{points[0]}-{points[-1]} scale")
        stated.append(("mean", target.mean))

    def figures(m: float, s: float) -> dict[str, float]:
        p = _probs(points, m, s)
        return {"low": p[masks[0]].sum(), "high": p[masks[-1]].sum(), "mean": float(p @ points)}

    def misfit(x: np.ndarray) -> float:
        m, log_s = x
        got = figures(m, math.exp(log_s))
        err = sum(((got[k] - v) / (width if k == "mean" else 1.0)) ** 2 for k, v in stated)
        return err + 1e-3 * (log_s - math.log(sd)) ** 2

    start_m = target.mean if target.mean is not None else float(points.mean())
    fit = optimize.minimize(misfit, x0=[start_m, math.log(sd)], method="Nelder-Mead",
                            options={"xatol": 1e-6, "fatol": 1e-12, "maxiter": 4000})
    m, s = float(fit.x[0]), math.exp(float(fit.x[1]))
    got = figures(m, s)
    low = target.low / 100 if target.low is not None else got["low"]
    high = target.high / 100 if target.high is not None else got["high"]
    if len(masks) == 2:  # no neutral band: the two shares must fill the scale
        if target.low is None:
            low = 1 - high
        elif target.high is None:
            high = 1 - low
        elif abs(low + high - 1) > 1e-9:
            raise SpecError(
                f"{where}: with no neutral band, agree and disagree must add up to 100%"
            )
        if low < 0 or high < 0:
            raise SpecError(f"{where}: the shares cannot add up to 100% with no neutral band")
        shares = [low, high]
    else:
        if low + high > 1:  # a stated share plus a fitted one overshoot: squeeze the fitted one
            if target.low is None:
                low = 1 - high
            else:
                high = 1 - low
        shares = [low, 1 - low - high, high]
    mean = target.mean if target.mean is not None else got["mean"]
    return _Complete(shares, mean, m, s)


# -- calibration of one unit ----------------------------------------------------------------


def _counts(shares: Sequence[float], n: int) -> np.ndarray:
    """Respondents per band: the low and high shares rounded half up, the middle the rest."""
    low = int(math.floor(shares[0] * n + 0.5))
    if len(shares) == 2:
        return np.array([low, n - low])
    high = min(int(math.floor(shares[-1] * n + 0.5)), n - low)  # both rounded up past n
    return np.array([low, n - low - high, high])


def _score_counts(
    points: np.ndarray, band: np.ndarray, n_band: int, m: float, s: float
) -> np.ndarray:
    """How many of a band's ``n_band`` respondents get each of its scores under N(m, s)."""
    logp = _log_probs(points, m, s)[band]
    q = np.exp(logp - logp.max())
    cum = np.floor(np.cumsum(q / q.sum()) * n_band + 0.5).astype(int)
    cum[-1] = n_band
    return np.diff(cum, prepend=0)


def _sum_range(points: np.ndarray, masks: list[np.ndarray], band_n: np.ndarray) -> tuple[int, int]:
    """The lowest and highest possible sum of scores with these respondents per band."""
    lowest = sum(int(k) * int(points[mask].min()) for mask, k in zip(masks, band_n))
    highest = sum(int(k) * int(points[mask].max()) for mask, k in zip(masks, band_n))
    return lowest, highest


def _assign_band_scores(points: np.ndarray, masks: list[np.ndarray], band_n: np.ndarray,
                        total: int, s: float, where: str) -> list[np.ndarray]:
    """Per band, the count of each score so the scores add up to ``total`` (see module notes)."""
    lowest, highest = _sum_range(points, masks, band_n)
    n = int(band_n.sum())
    if not lowest <= total <= highest:
        raise SpecError(
            f"{where}: a mean of {total / n:.2f} cannot go with these band shares; "
            f"they allow {lowest / n:.2f} to {highest / n:.2f}. Fix: change the mean or the shares"
        )

    def counts_at(m: float) -> list[np.ndarray]:
        return [_score_counts(points, mask, int(k), m, s) for mask, k in zip(masks, band_n)]

    def sum_at(m: float) -> int:
        return sum(int(c @ points[mask]) for c, mask in zip(counts_at(m), masks))

    lo, hi = float(points[0]) - 6 * s, float(points[-1]) + 6 * s
    for _ in range(80):
        mid = (lo + hi) / 2
        if sum_at(mid) < total:
            lo = mid
        else:
            hi = mid
    best = lo if abs(sum_at(lo) - total) <= abs(sum_at(hi) - total) else hi
    counts = counts_at(best)
    residual = total - sum(int(c @ points[mask]) for c, mask in zip(counts, masks))
    step = 1 if residual > 0 else -1
    for _ in range(abs(residual)):
        # move one respondent one point at the fullest score that can move that way; the
        # respondent at the edge of a run of equal scores moves, so latent order is kept
        best_band, best_k, best_count = -1, -1, 0
        for b, c in enumerate(counts):
            for k in range(len(c)):
                if c[k] > best_count and 0 <= k + step < len(c):
                    best_band, best_k, best_count = b, k, c[k]
        counts[best_band][best_k] -= 1
        counts[best_band][best_k + step] += 1
    return counts


def _calibrate(z: np.ndarray, points: np.ndarray, bands: Bands, band_n: np.ndarray,
               total: int, s: float, where: str) -> np.ndarray:
    """Scores for one unit: band by latent rank, then scores within bands in latent order."""
    masks = _band_masks(points, bands)
    counts = _assign_band_scores(points, masks, band_n, total, s, where)
    scores_sorted = np.concatenate(
        [np.repeat(points[mask], c) for mask, c in zip(masks, counts)]
    )
    order = np.argsort(z, kind="stable")
    scores = np.empty(len(z), dtype=np.int64)
    scores[order] = scores_sorted
    return scores


# -- generation -----------------------------------------------------------------------------


def _loadings(spec: Spec, instrument: Instrument, item_id: str) -> tuple[float, float]:
    s = spec.structure
    general, dimension = s.general, s.dimension
    is_recommend = instrument.recommend is not None and item_id == instrument.recommend.id
    keys = ([] if is_recommend else [instrument.dimension_of(item_id).id]) + [item_id]
    for key in keys:
        if key in s.loadings:
            over = s.loadings[key]
            general = over.general if over.general is not None else general
            dimension = over.dimension if over.dimension is not None else dimension
    return general, (0.0 if is_recommend else dimension)


def _latent(spec: Spec, instrument: Instrument, item_ids: list[str], group: np.ndarray,
            rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The latent value of every respondent on every item (module notes, step 1)."""
    n = len(group)
    shift = np.array([spec.structure.group_shift.get(g, 0.0) for g in group])
    general = rng.standard_normal(n)
    dims = {d.id: rng.standard_normal(n) for d in instrument.dimensions}
    pairs = [rng.standard_normal(n) for _ in spec.structure.pairs]
    latent = {}
    for item_id in item_ids:
        g, d = _loadings(spec, instrument, item_id)
        z = shift + g * general
        shared = g**2 + d**2
        if d > 0:
            z = z + d * dims[instrument.dimension_of(item_id).id]
        for pair, factor in zip(spec.structure.pairs, pairs):
            if item_id in pair.items:
                z = z + math.sqrt(pair.r) * factor
                shared += pair.r
        if shared > 1 + 1e-12:
            raise SpecError(
                f"item {item_id!r}: loadings and pairs explain {shared:.2f} of its variance, more "
                "than 1. Fix: lower 'structure' loadings or pair r for this item"
            )
        latent[item_id] = z + math.sqrt(max(0.0, 1 - shared)) * rng.standard_normal(n)
    return latent


def _scale_and_bands(instrument: Instrument, item_id: str, nps: bool) -> tuple[np.ndarray, Bands]:
    scale: Scale = instrument.scale_of(item_id)
    is_recommend = instrument.recommend is not None and item_id == instrument.recommend.id
    if nps and not is_recommend:
        raise SpecError(f"item {item_id!r}: pct_promoters/pct_detractors are only for the "
                        "0-10 recommend item")
    bands = NPS_BANDS if (is_recommend and nps) else (
        instrument.bands if is_recommend else instrument.bands_of(item_id))
    return np.arange(scale.min, scale.max + 1), bands


def _item_scores(spec: Spec, instrument: Instrument, item_id: str, z: np.ndarray,
                 group: np.ndarray, answered: np.ndarray) -> np.ndarray:
    """Calibrated scores of one item for the respondents who answered it (module notes 2-4)."""
    targets = spec.targets_of(instrument, item_id)
    nps = any(t.nps for t in targets.values())
    if nps and any(t.pct_agree is not None or t.pct_disagree is not None
                   for t in targets.values()):
        raise SpecError(f"item {item_id!r}: some targets give promoters/detractors, others "
                        "agree/disagree. Fix: use one kind for every group")
    points, bands = _scale_and_bands(instrument, item_id, nps)
    scores = np.zeros(len(z), dtype=np.int64)
    own = [g for g in spec.groups if g in targets]
    pooled = [g for g in spec.groups if g not in targets]
    if pooled and ALL not in targets:
        raise SpecError(f"item {item_id!r}: groups {pooled} have no targets. Fix: give them "
                        f"targets, or targets for {ALL!r}")
    if not pooled and ALL in targets:
        raise SpecError(f"item {item_id!r}: the {ALL!r} targets can only be met when at least "
                        "one group has no targets of its own. Fix: drop one group's targets")
    done_counts = np.zeros(len(_band_masks(points, bands)), dtype=int)
    done_sum = 0
    for g in own:
        where = f"item {item_id!r}, group {g!r}"
        unit = (group == g) & answered
        c = _complete(targets[g], points, bands, spec.sd, where)
        n = int(unit.sum())
        band_n = _counts(c.shares, n)
        total = _total(c.mean, points, bands, band_n, stated=targets[g].mean is not None)
        scores[unit] = _calibrate(z[unit], points, bands, band_n, total, c.s, where)
        done_counts += band_n
        done_sum += int(scores[unit].sum())
    if pooled:
        where = f"item {item_id!r}, groups {pooled} (from the {ALL!r} targets)"
        unit = np.isin(group, pooled) & answered
        n_all, n = int(answered.sum()), int(unit.sum())
        c_all = _complete(targets[ALL], points, bands, spec.sd, where)
        # what is left for the pooled groups once the groups with own targets are placed
        rest = _counts(c_all.shares, n_all) - done_counts
        if (rest < 0).any() or rest.sum() != n:
            raise SpecError(f"{where}: the groups with their own targets already take more of a "
                            "band than the 'all' shares leave. Fix: make the targets agree")
        if targets[ALL].mean is not None:
            total = int(math.floor(targets[ALL].mean * n_all + 0.5)) - done_sum
        else:  # no mean stated: the pool takes the mean a normal fitted to its shares implies
            pool = _shares_target(rest, nps)
            total = _total(_complete(pool, points, bands, spec.sd, where).mean, points, bands,
                           rest, stated=False)
        scores[unit] = _calibrate(z[unit], points, bands, rest, total, c_all.s, where)
    return scores


def _shares_target(band_n: np.ndarray, nps: bool) -> Target:
    """A target stating exactly the bottom and top band shares of these band counts."""
    low, high = 100 * band_n[0] / band_n.sum(), 100 * band_n[-1] / band_n.sum()
    if nps:
        return Target(pct_detractors=low, pct_promoters=high)
    return Target(pct_disagree=low, pct_agree=high)


def _total(mean: float, points: np.ndarray, bands: Bands, band_n: np.ndarray,
           stated: bool) -> int:
    """The sum of scores a unit must reach; a fitted (unstated) mean is kept within reach."""
    total = int(math.floor(mean * band_n.sum() + 0.5))
    if stated:
        return total
    lowest, highest = _sum_range(points, _band_masks(points, bands), band_n)
    return min(max(total, lowest), highest)


def generate(spec: Spec | dict | str | Path, seed: int | None = None) -> pd.DataFrame:
    """Generate survey responses that meet a spec's targets, deterministically from a seed.

    Parameters
    ----------
    spec
        A `Spec`, a dict of its keys, a YAML path, or a built-in study name (e.g.
        ``"polska-2008"``).
    seed
        Seed of the numpy random generator; defaults to the spec's ``seed``.

    Returns
    -------
    DataFrame
        ``respondent_id`` (1..n), the instrument's group column (e.g. ``role``), then the
        spec's segment column and ``wave`` when set, then one integer column per item (the
        recommend item first); with ``missing > 0`` items are nullable ``Int64``.

    Notes
    -----
    See the module docstring for the method. Band shares are exact to the nearest respondent
    and means to 1/n within each calibration unit; correlations follow the latent structure.

    Examples
    --------
    >>> df = generate({"groups": {"management": 40, "staff": 60},
    ...                "default": {"management": {"pct_agree": 60}, "staff": {"mean": 5.5}}},
    ...               seed=1)
    >>> round((df.loc[df.role == "management", "lead_decisions"] >= 7).mean() * 100)
    60
    """
    spec = load_spec(spec)
    seed = spec.seed if seed is None else seed
    if seed is None:
        raise SpecError("no seed: pass seed=... or set 'seed' in the spec")
    instrument = spec.checked_instrument()
    rng = np.random.default_rng(seed)
    item_ids = spec.item_ids(instrument)
    group = rng.permutation(np.concatenate(
        [np.full(size, level, dtype=object) for level, size in spec.groups.items()]))
    latent = _latent(spec, instrument, item_ids, group, rng)
    answered = rng.random((len(group), len(item_ids))) >= spec.missing
    frame: dict[str, object] = {
        "respondent_id": np.arange(1, len(group) + 1),
        instrument.groups.column: group.astype(str),
    }
    if spec.segments is not None:
        frame[spec.segments.column] = _segments(spec.segments, len(group), rng)
    if spec.wave is not None:
        frame["wave"] = np.full(len(group), spec.wave)
    for j, item_id in enumerate(item_ids):
        scores = _item_scores(spec, instrument, item_id, latent[item_id], group, answered[:, j])
        if spec.missing > 0:
            frame[item_id] = pd.Series(scores, dtype="Int64").mask(~answered[:, j])
        else:
            frame[item_id] = scores
    return pd.DataFrame(frame)


def _segments(segments: Segments, n: int, rng: np.random.Generator) -> np.ndarray:
    """Segment labels in exact proportions (largest remainders), in random order."""
    names = list(segments.shares)
    weights = np.array([segments.shares[k] for k in names], dtype=float)
    raw = weights / weights.sum() * n
    counts = np.floor(raw).astype(int)
    for k in np.argsort(-(raw - counts), kind="stable")[: n - counts.sum()]:
        counts[k] += 1
    return rng.permutation(np.repeat(np.array(names, dtype=object), counts)).astype(str)


def shifted(spec: Spec | dict | str | Path, delta: float, *, wave: str | None = None,
            by: Mapping[str, float] | None = None) -> Spec:
    """The same spec moved ``delta`` scale points (e.g. last year's wave, a bit lower).

    Each item's targets are completed (module notes, step 4), the fitted normal's location moved
    by ``delta``, and the new shares and mean read off it; the structure is kept. The means
    move by about ``delta``, less where the scale's ends cut the distribution off.

    ``by`` moves some items by other amounts: item id or dimension id -> scale points, an
    item's entry winning over its dimension's (e.g. ``{"measurement": -1.0, "train_comms":
    0.3}`` for a wave in which measurement was a point lower and one statement higher). An id
    that names both an item and a dimension (``brand_promise`` in ``cem-maturity``) moves the
    item only.
    """
    spec = load_spec(spec)
    instrument = spec.checked_instrument()
    by = dict(by or {})
    known = set(spec.item_ids(instrument)) | {d.id for d in instrument.dimensions}
    unknown = sorted(k for k in by if k not in known)
    if unknown:
        raise SpecError(f"shift by item names {unknown}, neither items nor dimensions of "
                        f"instrument {instrument.name!r}. Fix: use item or dimension ids")
    item_ids = spec.item_ids(instrument)
    items: dict[str, Targets] = {}
    for item_id in item_ids:
        moved: Targets = {}
        is_recommend = instrument.recommend is not None and item_id == instrument.recommend.id
        dim = None if is_recommend else instrument.dimension_of(item_id).id
        step = delta
        if dim is not None and dim in by and dim not in item_ids:
            step = by[dim]
        step = by.get(item_id, step)
        for scope, target in spec.targets_of(instrument, item_id).items():
            points, bands = _scale_and_bands(instrument, item_id, target.nps)
            c = _complete(target, points, bands, spec.sd, f"item {item_id!r}, {scope!r}")
            p = _probs(points, c.m + step, c.s)
            masks = _band_masks(points, bands)
            low, high = 100 * p[masks[0]].sum(), 100 * p[masks[-1]].sum()
            mean = float(p @ points)
            moved[scope] = (Target(pct_detractors=low, pct_promoters=high, mean=mean)
                            if target.nps else Target(pct_disagree=low, pct_agree=high, mean=mean))
        items[item_id] = moved
    return spec.model_copy(update={"items": items, "dimensions": {}, "default": {},
                                   "wave": wave if wave is not None else spec.wave})


# -- writing --------------------------------------------------------------------------------


def write_csv(frame: pd.DataFrame, path: str | Path, *, encoding: str = "utf-8",
              sep: str = ",", decimal: str = ".", float_format: str = "%.2f",
              na_rep: str = "", line_end: str = "\n") -> Path:
    """Write a frame so that the same frame gives the same bytes on every run and platform.

    Fixed float format, ``\\n`` line ends unless told otherwise, no index;
    ``encoding="cp1250"``, ``sep=";"``, ``decimal=","`` and ``line_end="\\r\\n"`` give the file
    Polish Excel writes. Returns the path.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = frame.to_csv(index=False, sep=sep, decimal=decimal, float_format=float_format,
                        na_rep=na_rep, lineterminator=line_end)
    path.write_bytes(text.encode(encoding))
    return path


# -- studies: whole data sets described in YAML ---------------------------------------------


class FileFormat(_Strict):
    """How a data set is written: encoding, delimiter, decimal mark, headers and labels.

    ``headers`` renames columns (item id / ``role`` / ``respondent_id`` -> header);
    ``labels`` relabels values of a column (column -> level -> labels; with several labels a
    respondent gets one of them at random, as different clerks typed them); ``missing_label``
    is written for unanswered items (e.g. ``nie wiem``); ``crlf`` ends lines with ``\\r\\n``
    as Excel on Windows does.
    """

    encoding: str = "utf-8"
    sep: str = ","
    decimal: str = "."
    headers: dict[str, str] = Field(default_factory=dict)
    labels: dict[str, dict[str, list[str]]] = Field(default_factory=dict)
    missing_label: str = ""
    crlf: bool = False


class Dataset(_Strict):
    """One file of a study: a spec (or another data set of the study shifted) and a seed.

    A data set ``based_on`` another is that one's spec moved ``shift`` scale points, with
    ``shift_by`` moving named items or dimensions by their own amounts (see `shifted`).
    """

    file: str = Field(pattern=r"^[A-Za-z0-9_.-]+\.csv$")
    seed: int
    spec: Spec | None = None
    based_on: str | None = None
    shift: float = 0.0
    shift_by: dict[str, float] = Field(default_factory=dict)
    wave: str | None = None
    format: FileFormat = FileFormat()

    @model_validator(mode="after")
    def _one_source(self) -> Dataset:
        if (self.spec is None) == (self.based_on is None):
            raise ValueError("give either 'spec' or 'based_on' (the file of another data set)")
        if self.based_on is None and (self.shift or self.shift_by):
            raise ValueError("'shift' and 'shift_by' move a data set 'based_on' another; "
                             "with a 'spec' of its own, state its targets instead")
        return self

    def spec_or_raise(self) -> Spec:
        if self.spec is None:
            raise SpecError(f"data set {self.file!r} is based on {self.based_on!r}, not a spec")
        return self.spec


class Study(_Strict):
    """A named set of data files made by the generator (``cemlab/synth_specs/<name>.yaml``)."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    title: str
    demo: bool = False
    datasets: list[Dataset] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_files(self) -> Study:
        files = [ds.file for ds in self.datasets]
        twice = sorted({f for f in files if files.count(f) > 1})
        if twice:
            raise ValueError(f"data set files {twice} appear more than once")
        return self

    def frames(self) -> dict[str, pd.DataFrame]:
        """Every data set of the study as generated (before file formatting), by file name."""
        specs: dict[str, Spec] = {}
        frames: dict[str, pd.DataFrame] = {}
        for ds in self.datasets:
            if ds.based_on is not None:
                if ds.based_on not in specs:
                    raise SpecError(f"study {self.name!r}: {ds.file!r} is based on "
                                    f"{ds.based_on!r}, which is not an earlier data set")
                spec = shifted(specs[ds.based_on], ds.shift, wave=ds.wave,
                               by=ds.shift_by)
            else:
                spec = ds.spec_or_raise()
                if ds.wave is not None:
                    spec = spec.model_copy(update={"wave": ds.wave})
            specs[ds.file] = spec
            frames[ds.file] = generate(spec, seed=ds.seed)
        return frames

    def write(self, folder: str | Path) -> list[Path]:
        """Generate and write every data set into ``folder``; returns the paths written."""
        frames = self.frames()
        written = []
        for ds in self.datasets:
            fmt = ds.format
            # labels are drawn from a stream of their own so formatting never changes the data
            out = _format(frames[ds.file], fmt, np.random.default_rng([ds.seed, 1]))
            written.append(write_csv(out, Path(folder) / ds.file, encoding=fmt.encoding,
                                     sep=fmt.sep, decimal=fmt.decimal, na_rep=fmt.missing_label,
                                     line_end="\r\n" if fmt.crlf else "\n"))
        return written


def _format(frame: pd.DataFrame, fmt: FileFormat, rng: np.random.Generator) -> pd.DataFrame:
    """Apply a file format's labels and headers (missing answers stay NaN for ``na_rep``)."""
    out = frame.copy()
    for column, levels in fmt.labels.items():
        values = out[column].to_numpy(dtype=object, copy=True)
        for level, labels in levels.items():
            rows = np.flatnonzero(values == level)
            values[rows] = np.array(labels, dtype=object)[rng.integers(0, len(labels), len(rows))]
        out[column] = values.astype(str)
    return out.rename(columns=fmt.headers)


def list_studies() -> list[str]:
    """Names of the studies that ship with cemlab (``cemlab/synth_specs/*.yaml``)."""
    folder = resources.files("cemlab") / "synth_specs"
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_study(name_or_path: str | Path) -> Study:
    """A built-in study by name (``"polska-2008"``) or a study YAML file by path."""
    name = str(name_or_path)
    if name in list_studies():
        text = (resources.files("cemlab") / "synth_specs" / f"{name}.yaml").read_text("utf-8")
        label = f"built-in study {name!r}"
        data = yaml.safe_load(text)
    else:
        path = Path(name_or_path)
        if not path.is_file():
            raise SpecError(f"{path}: no such study file, and no built-in study of that name. "
                            f"Fix: give a YAML path or one of {', '.join(list_studies())}")
        label = name
        data = _read_yaml(path)
    return _validate(Study, data, label)


def polska_2008() -> pd.DataFrame:
    """The 2008 Polish study's demo data, as committed in ``data/polska-2008.csv``.

    400 respondents (140 management, 260 staff) calibrated to the study's published figures;
    see ``data/README.md`` and the benchmark table ``cemlab.benchmarks.load_benchmark()``.
    """
    study = load_study("polska-2008")
    return study.frames()[study.datasets[0].file]


def demo_studies() -> list[Study]:
    """The built-in studies that make the demo clients' data."""
    return [s for s in (load_study(n) for n in list_studies()) if s.demo]


def write_studies(studies: Iterable[Study], folder: str | Path) -> list[Path]:
    """Write every data set of every study into ``folder``."""
    return [path for study in studies for path in study.write(folder)]


# -- command line ---------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m cemlab.synth STUDY|demo|STUDY.yaml [--out DIR]``; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m cemlab.synth",
        description="Generate calibrated demo survey data deterministically.",
    )
    parser.add_argument("what", help="a built-in study (" + ", ".join(list_studies())
                        + "), 'demo' for every demo client, or a study YAML file")
    parser.add_argument("--out", default="data", help="folder to write into (default: data)")
    args = parser.parse_args(argv)
    try:
        studies = demo_studies() if args.what == "demo" else [load_study(args.what)]
        for path in write_studies(studies, args.out):
            print(path)
    except CemlabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = [
    "ALL",
    "Dataset",
    "FileFormat",
    "Loading",
    "Pair",
    "Segments",
    "Spec",
    "SpecError",
    "Structure",
    "Study",
    "Target",
    "demo_studies",
    "generate",
    "list_studies",
    "load_spec",
    "load_study",
    "polska_2008",
    "shifted",
    "write_csv",
    "write_studies",
]
