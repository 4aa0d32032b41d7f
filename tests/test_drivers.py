"""Key drivers: Johnson's relative weights against R rwa and statsmodels, dominance analysis by
brute force, the seeded bootstrap, and the importance-performance quadrants.
"""

from __future__ import annotations

import io
import itertools
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from _io_fixtures import REALDATA, needs_realdata
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cemlab import AnalysisError, Instrument, Survey, load_client
from cemlab.drivers import importance_performance, journey_drivers, key_drivers

DEMO = Path(__file__).resolve().parents[1] / "params" / "kestrel-mobile.yaml"

#: R datasets::mtcars (Henderson & Velleman 1981), the columns the rwa vignette uses.
MTCARS = """mpg cyl disp hp gear
21.0 6 160.0 110 4
21.0 6 160.0 110 4
22.8 4 108.0 93 4
21.4 6 258.0 110 3
18.7 8 360.0 175 3
18.1 6 225.0 105 3
14.3 8 360.0 245 3
24.4 4 146.7 62 4
22.8 4 140.8 95 4
19.2 6 167.6 123 4
17.8 6 167.6 123 4
16.4 8 275.8 180 3
17.3 8 275.8 180 3
15.2 8 275.8 180 3
10.4 8 472.0 205 3
10.4 8 460.0 215 3
14.7 8 440.0 230 3
32.4 4 78.7 66 4
30.4 4 75.7 52 4
33.9 4 71.1 65 4
21.5 4 120.1 97 3
15.5 8 318.0 150 3
15.2 8 304.0 150 3
13.3 8 350.0 245 3
19.2 8 400.0 175 3
27.3 4 79.0 66 4
26.0 4 120.3 91 5
30.4 4 95.1 113 5
15.8 8 351.0 264 5
19.7 6 145.0 175 5
15.0 8 301.0 335 5
21.4 4 121.0 109 4"""


def _survey(frame: pd.DataFrame, min_group_size: int = 5) -> Survey:
    """A one-dimension survey whose items are the frame's columns (statement = "about <id>")."""
    instrument = Instrument.model_validate({
        "name": "test", "scale": {"min": 0, "max": 500},
        "bands": {"disagree": [0, 100], "neutral": [101, 200], "agree": [201, 500]},
        "groups": {"column": "role", "levels": ["management", "staff"]},
        "dimensions": [{"id": "d", "title": "D", "items": [
            {"id": c, "text": f"about {c}", "source": "cemlab"} for c in frame.columns]}],
    })
    frame = frame.astype(float).assign(role="staff")
    return Survey(frame, instrument, min_group_size=min_group_size)


@pytest.fixture(scope="module")
def mtcars() -> pd.DataFrame:
    return pd.read_csv(io.StringIO(MTCARS), sep=" ")


def test_relative_weights_match_r_rwa_on_mtcars(mtcars):
    # R package rwa (M. Chan), vignette "Introduction to Relative Weights Analysis":
    # rwa(mtcars, "mpg", c("cyl", "disp", "hp", "gear")): Raw.RelWeight hp 0.2321744,
    # cyl 0.2284797, disp 0.2221469, gear 0.0963886; Rescaled 29.79691 29.32274 28.50999
    # 12.37037; rsquare 0.7791896; n 32.
    table = key_drivers(_survey(mtcars), "mpg", n_boot=0).set_index("driver")
    assert table.index.tolist() == ["hp", "cyl", "disp", "gear"]  # most important first
    assert table["raw_weight"].tolist() == pytest.approx(
        [0.2321744, 0.2284797, 0.2221469, 0.0963886], abs=1e-7)
    assert table["share_pct"].tolist() == pytest.approx(
        [29.79691, 29.32274, 28.50999, 12.37037], abs=1e-5)
    assert table["r_squared"].iloc[0] == pytest.approx(0.7791896, abs=1e-7)
    assert (table["n"] == 32).all()
    assert table.loc["hp", "statement"] == "about hp"


def test_weights_sum_to_the_statsmodels_r_squared_and_signs_follow_ols():
    feedback = load_client(DEMO).feedback
    table = key_drivers(feedback, "ltr", n_boot=0)
    drivers = table["driver"].tolist()
    complete = feedback.responses[[*drivers, "ltr"]].dropna()
    fit = sm.OLS(complete["ltr"], sm.add_constant(complete[drivers])).fit()
    assert table["raw_weight"].sum() == pytest.approx(fit.rsquared, abs=1e-12)
    assert table["share_pct"].sum() == pytest.approx(100)
    assert (table["n"] == len(complete)).all()
    expected_signs = np.sign(fit.params[drivers]).to_numpy()
    assert table["sign"].tolist() == expected_signs.tolist()
    assert table["signed_share"].tolist() == pytest.approx(
        (table["share_pct"] * expected_signs).tolist())
    assert f"R² = {fit.rsquared:.3f}" in table.notes
    # the default drivers are the report's: the touchpoints, not overall satisfaction (ltr is
    # the recommend question, no item)
    assert sorted(drivers) == sorted(journey_drivers(feedback)) and "sat_overall" not in drivers


def test_the_default_drivers_are_the_journey_drivers_less_the_outcome_and_absent_items():
    feedback = load_client(DEMO).feedback
    journey = journey_drivers(feedback)
    assert journey == ["sat_awareness", "sat_purchase", "sat_onboarding", "sat_service",
                       "sat_billing"]
    assert journey_drivers(None) is None
    # a touchpoint as the outcome: the others explain it, overall satisfaction still does not
    table = key_drivers(feedback, "sat_service", n_boot=0)
    assert sorted(table["driver"]) == sorted(d for d in journey if d != "sat_service")
    # a touchpoint the file lacks is left out of the default (named explicitly, it is an error)
    fewer = Survey(feedback.responses.drop(columns="sat_billing"), feedback.instrument)
    assert sorted(key_drivers(fewer, "ltr", n_boot=0)["driver"]) == sorted(journey[:-1])
    with pytest.raises(AnalysisError, match="drivers not in the responses: sat_billing"):
        key_drivers(fewer, "ltr", drivers=journey, n_boot=0)
    # overall satisfaction as the outcome: the same drivers as for the recommend score
    assert sorted(importance_performance(feedback, "sat_overall", n_boot=0)["driver"]) == sorted(
        journey)
    # an instrument without an outcome dimension: every item but the outcome, as before
    cem = load_client(DEMO).survey
    assert journey_drivers(cem) == cem.instrument.item_ids


def _general_dominance(frame: pd.DataFrame, outcome: str, predictors: list[str]) -> dict:
    """Budescu (1993) general dominance: mean over subset sizes of the mean R² increment."""

    def r2(columns) -> float:
        if not columns:
            return 0.0
        return sm.OLS(frame[outcome], sm.add_constant(frame[list(columns)])).fit().rsquared

    weights = {}
    for focal in predictors:
        others = [p for p in predictors if p != focal]
        by_size = [
            np.mean([r2([*subset, focal]) - r2(subset)
                     for subset in itertools.combinations(others, size)])
            for size in range(len(others) + 1)
        ]
        weights[focal] = float(np.mean(by_size))
    return weights


@needs_realdata
def test_close_to_general_dominance_on_three_predictors():
    # r-attitude/SOURCE.md data: rating ~ complaints + learning + raises. Both methods split
    # the same R² (0.7083), but relative weights orthogonalise the predictors while dominance
    # averages R² increments over all 2^3 sub-models, so they differ slightly when predictors
    # correlate (LeBreton et al. 2004 report differences of about .01 or less). Brute force:
    # complaints .4221, learning .1593, raises .1269; relative weights .4173 .1651 .1259.
    frame = pd.read_csv(REALDATA / "r-attitude" / "attitude.csv")
    predictors = ["complaints", "learning", "raises"]
    dominance = _general_dominance(frame, "rating", predictors)
    table = key_drivers(_survey(frame[[*predictors, "rating"]]), "rating",
                        n_boot=0).set_index("driver")
    assert sum(dominance.values()) == pytest.approx(table["raw_weight"].sum(), abs=1e-12)
    for predictor in predictors:
        assert table.loc[predictor, "raw_weight"] == pytest.approx(dominance[predictor],
                                                                   abs=0.01)
    assert table.index.tolist() == sorted(dominance, key=dominance.get, reverse=True)


def test_uncorrelated_drivers_get_their_squared_correlation():
    # Hand calculation (Johnson 2000): with orthogonal drivers each raw weight is r(x, y)^2.
    # x1 and x2 are balanced +-1 contrasts with zero correlation; y = x1 + 0.5 x2 + e, e
    # orthogonal to both, so r(x1, y)^2 and r(x2, y)^2 are computed directly.
    x1 = np.array([1, -1, 1, -1, 1, -1, 1, -1], float)
    x2 = np.array([1, 1, -1, -1, 1, 1, -1, -1], float)
    e = np.array([1, 1, 1, 1, -1, -1, -1, -1], float)
    y = x1 + 0.5 * x2 + 0.8 * e
    frame = pd.DataFrame({"x1": x1 + 3, "x2": x2 + 3, "y": y + 5})
    table = key_drivers(_survey(frame), "y", drivers=["x1", "x2"], n_boot=0).set_index("driver")
    # var(y) = 1 + .25 + .64 = 1.89 per unit: r1^2 = 1/1.89, r2^2 = .25/1.89
    assert table.loc["x1", "raw_weight"] == pytest.approx(1 / 1.89)
    assert table.loc["x2", "raw_weight"] == pytest.approx(0.25 / 1.89)


def test_bootstrap_is_seeded_brackets_the_estimate_and_is_fast():
    rng = np.random.default_rng(1)
    common = rng.normal(size=(300, 1))
    drivers = common + rng.normal(size=(300, 6))
    outcome = drivers @ np.array([0.6, 0.4, 0.3, 0.2, 0.1, 0.0]) + rng.normal(size=300)
    frame = pd.DataFrame(drivers, columns=[f"d{i}" for i in range(1, 7)]).assign(y=outcome)
    survey = _survey(frame)
    start = time.perf_counter()
    first = key_drivers(survey, "y", n_boot=1000, seed=7)
    elapsed = time.perf_counter() - start
    assert elapsed < 2.0, f"1000 resamples of 300 x 6 took {elapsed:.2f} s"
    again = key_drivers(survey, "y", n_boot=1000, seed=7)
    other = key_drivers(survey, "y", n_boot=1000, seed=8)
    assert first["ci_low"].tolist() == again["ci_low"].tolist()
    assert first["ci_low"].tolist() != other["ci_low"].tolist()
    assert (first["ci_low"] <= first["share_pct"]).all()
    assert (first["share_pct"] <= first["ci_high"]).all()
    assert first["driver"].iloc[0] == "d1"


def test_too_few_complete_respondents_are_suppressed(mtcars):
    table = key_drivers(_survey(mtcars.head(4)), "mpg", drivers=["cyl", "hp"], n_boot=10)
    assert table["suppressed"].all() and (table["n"] == 4).all()
    assert table[["raw_weight", "share_pct", "ci_low", "r_squared"]].isna().all().all()
    assert table["suppressed_reason"].iloc[0] == "n = 4 < 5"
    assert "R² suppressed (OLS on fewer than 5 complete respondents)" in table.notes
    assert "n = 4" not in table.notes  # the notes do not give the hidden base away
    ip = importance_performance(_survey(mtcars.head(4)), "mpg", drivers=["cyl", "hp"])
    assert ip["performance"].isna().all() and ip["quadrant"].isna().all()


def test_errors_name_the_problem(mtcars):
    survey = _survey(mtcars)
    with pytest.raises(AnalysisError, match="outcome 'nps'"):
        key_drivers(survey, "nps")
    with pytest.raises(AnalysisError, match="at least two drivers"):
        key_drivers(survey, "mpg", drivers=["hp"])
    with pytest.raises(AnalysisError, match="cannot also be a driver"):
        key_drivers(survey, "mpg", drivers=["hp", "mpg"])
    with pytest.raises(AnalysisError, match="same answer to 'mpg'"):
        key_drivers(_survey(mtcars.assign(mpg=20.0)), "mpg", drivers=["hp", "cyl"])
    with pytest.raises(AnalysisError, match="same answer to each of flat, level"):
        key_drivers(_survey(mtcars.assign(flat=1.0, level=2.0)), "mpg",
                    drivers=["flat", "level"])


def test_importance_performance_quadrants_by_hand(mtcars):
    # Shares (rwa vignette above): hp 29.8, cyl 29.3, disp 28.5, gear 12.4 -> cut 25 (= 100/4).
    # Performance = mean of each column over the 32 cars: cyl 6.1875, disp 230.72,
    # hp 146.69, gear 3.6875 -> cut (6.1875 + 230.721875 + 146.6875 + 3.6875) / 4 = 96.82.
    table = importance_performance(_survey(mtcars), "mpg", n_boot=0).set_index("driver")
    assert table.loc["hp", "performance"] == pytest.approx(146.6875)
    assert table["quadrant"].to_dict() == {
        "hp": "key strength",  # important, above the performance cut
        "cyl": "key weakness",  # important, below it
        "disp": "key strength",
        "gear": "lower priority",  # less important, below
    }
    assert "importance 25.0%, performance 96.82" in table.notes


def test_importance_performance_on_the_demo_feedback():
    feedback = load_client(DEMO).feedback
    table = importance_performance(feedback, "sat_overall", n_boot=200)
    assert table.columns[:4].tolist() == ["driver", "statement", "importance",
                                          "importance_ci_low"]
    assert "sat_overall" not in table["driver"].tolist()
    assert table["importance"].sum() == pytest.approx(100)
    importance_cut, performance_cut = table["importance"].mean(), table["performance"].mean()
    for _, row in table.iterrows():
        high_importance = row["importance"] >= importance_cut
        high_performance = row["performance"] >= performance_cut
        expected = {(True, True): "key strength", (True, False): "key weakness",
                    (False, True): "maintain", (False, False): "lower priority"}
        assert row["quadrant"] == expected[(high_importance, high_performance)]


# -- degenerate drivers: what R's lm does ----------------------------------------------------
# R's lm fits through a QR decomposition with limited column pivoting (?qr: LINPACK dqrdc2,
# tol = 1e-7): the columns of the model matrix are taken in formula order and one that is an
# exact linear combination of the intercept and the columns kept before it is moved to the end
# and reported as NA ("Coefficients: (1 not defined because of singularities)", ?lm
# singular.ok). So of two collinear drivers the later one is left out, and the fit of the others
# is the fit without it.

RWA_MTCARS = {"hp": 0.2321744, "cyl": 0.2284797, "disp": 0.2221469, "gear": 0.0963886}


def test_an_exact_combination_is_left_out_as_r_lm_leaves_it_out(mtcars):
    # lm(mpg ~ cyl + disp + hp + gear + both) with both = cyl + gear: NA for both, the later
    # column; the other four keep R rwa's weights (test above) and statsmodels' R² without it.
    frame = mtcars.assign(both=mtcars["cyl"] + mtcars["gear"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy / statsmodels singular-matrix warning either
        table = key_drivers(_survey(frame), "mpg", n_boot=200).set_index("driver")
    assert table.index.tolist() == ["hp", "cyl", "disp", "gear", "both"]  # left out: last
    assert table.loc[list(RWA_MTCARS), "raw_weight"].tolist() == pytest.approx(
        list(RWA_MTCARS.values()), abs=1e-7)
    assert table.loc["both", ["raw_weight", "share_pct", "sign", "ci_low", "ci_high"]].isna().all()
    assert table.loc["both", "note"] == "it is an exact combination of cyl and gear"
    assert (table.loc[list(RWA_MTCARS), "note"] == "").all()
    assert table["share_pct"].sum() == pytest.approx(100)
    fit = sm.OLS(mtcars["mpg"], sm.add_constant(mtcars[list(RWA_MTCARS)])).fit()
    assert table["r_squared"].iloc[0] == pytest.approx(fit.rsquared, abs=1e-12)
    assert "both left out: it is an exact combination of cyl and gear." in table.notes
    assert table[["ci_low", "ci_high"]].iloc[:4].notna().all().all()


def test_of_two_collinear_drivers_the_later_in_the_given_order_is_left_out(mtcars):
    # lm(mpg ~ both + cyl + disp + hp + gear): now gear is the column found to be a combination
    # (of both and cyl, the columns before it), so gear is NA. A non-integer combination
    # (0.1 cyl + 0.7 gear) is exact only to rounding and is found all the same.
    frame = mtcars.assign(both=0.1 * mtcars["cyl"] + 0.7 * mtcars["gear"])
    order = ["both", "cyl", "disp", "hp", "gear"]
    table = key_drivers(_survey(frame), "mpg", drivers=order, n_boot=0).set_index("driver")
    assert table.loc["gear", "note"] == "it is an exact combination of both and cyl"
    assert np.isnan(table.loc["gear", "share_pct"])
    kept = ["both", "cyl", "disp", "hp"]
    fit = sm.OLS(frame["mpg"], sm.add_constant(frame[kept])).fit()
    assert table["raw_weight"].sum() == pytest.approx(fit.rsquared, abs=1e-12)
    assert table.loc[kept, "sign"].tolist() == np.sign(fit.params[kept]).tolist()
    assert table.loc[kept, "share_pct"].tolist() == pytest.approx(
        key_drivers(_survey(frame), "mpg", drivers=kept, n_boot=0)
        .set_index("driver").loc[kept, "share_pct"].tolist(), abs=1e-9)


def test_a_copy_and_a_constant_are_left_out_and_a_near_copy_is_kept(mtcars):
    frame = mtcars.assign(hp_again=mtcars["hp"], flat=4.0,
                          near=mtcars["hp"] + np.tile([0.0, 1.0], 16))
    table = key_drivers(_survey(frame), "mpg", drivers=["hp", "flat", "hp_again", "cyl"],
                        n_boot=0).set_index("driver")
    assert table.loc["hp_again", "note"] == "it is an exact combination of hp"
    assert table.loc["flat", "note"] == "every respondent gave the same answer to it"
    fit = sm.OLS(mtcars["mpg"], sm.add_constant(mtcars[["hp", "cyl"]])).fit()
    assert table["raw_weight"].sum() == pytest.approx(fit.rsquared, abs=1e-12)
    # hp + (0, 1, 0, 1, ...) is nearly collinear with hp but not exactly: lm keeps it
    near = key_drivers(_survey(frame), "mpg", drivers=["hp", "near"], n_boot=0)
    assert (near["note"] == "").all() and near["share_pct"].notna().all()
    # one driver left: it explains all that is explained
    single = key_drivers(_survey(frame), "mpg", drivers=["hp", "hp_again"], n_boot=0)
    assert single.set_index("driver").loc["hp", "share_pct"] == pytest.approx(100)


def test_importance_performance_leaves_an_aliased_driver_out_and_says_so(mtcars):
    frame = mtcars.assign(both=mtcars["cyl"] + mtcars["gear"])
    table = importance_performance(_survey(frame), "mpg", n_boot=0)
    assert sorted(table["driver"]) == sorted(RWA_MTCARS)  # no point without an importance
    assert "importance 25.0%" in table.notes  # 100 / the four drivers weighed
    assert "both left out: it is an exact combination of cyl and gear." in table.notes


def _expected_aliased(frame: pd.DataFrame, drivers: list[str]) -> list[str]:
    """The drivers R's lm would report NA for, by rank (SVD, numpy matrix_rank), not by QR."""
    kept: list[str] = []
    aliased = []
    for driver in drivers:
        design = np.column_stack([np.ones(len(frame)), frame[[*kept, driver]]])
        if np.linalg.matrix_rank(design) == len(kept) + 2:
            kept.append(driver)
        else:
            aliased.append(driver)
    return aliased


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(12, 60),
    base=st.integers(2, 4),
    coefficients=st.lists(st.integers(-2, 2), min_size=4, max_size=4),
    position=st.integers(0, 4),
)
def test_any_exact_combination_never_crashes_and_leaves_out_what_lm_would(
    seed, n, base, coefficients, position
):
    # Answers on a 1-5 scale, one extra driver an integer combination of the others (possibly
    # a copy, a constant 0 x everything, or a sum), placed anywhere in the order; the drivers
    # left out must be exactly those the rank test says lm would alias, the rest must give
    # statsmodels' R² on them, and the bootstrap must run.
    rng = np.random.default_rng(seed)
    answers = rng.integers(1, 6, size=(n, base)).astype(float)
    names = [f"q{i}" for i in range(base)]
    frame = pd.DataFrame(answers, columns=names)
    frame["combo"] = 3 + answers @ np.array(coefficients[:base], float)
    frame["y"] = answers.sum(axis=1) + rng.normal(size=n)
    order = names.copy()
    order.insert(min(position, base), "combo")
    table = key_drivers(_survey(frame), "y", drivers=order, n_boot=50, seed=seed)
    table = table.set_index("driver")
    expected = _expected_aliased(frame, order)
    assert sorted(table.index[table["note"] != ""]) == sorted(expected)
    kept = [d for d in order if d not in expected]
    fit = sm.OLS(frame["y"], sm.add_constant(frame[kept], has_constant="add")).fit()
    assert table["raw_weight"].sum() == pytest.approx(fit.rsquared, abs=1e-9)
    assert table.loc[kept, "share_pct"].sum() == pytest.approx(100)
    shown = table.loc[kept, ["ci_low", "ci_high"]]
    assert shown.isna().all().all() or (shown["ci_low"] <= shown["ci_high"]).all()


def test_singular_bootstrap_resamples_are_skipped_and_counted():
    # Seven respondents on a 1-3 scale: many resamples repeat few rows, so in some a driver is
    # constant or the two drivers are collinear. The count is checked by rank on the same
    # resamples (one batch: default_rng(seed).integers(0, n, (n_boot, n)), as the bootstrap
    # draws them), independently of the eigenvalue test key_drivers uses.
    frame = pd.DataFrame({"a": [1, 2, 1, 2, 1, 2, 3], "b": [1, 1, 2, 2, 3, 3, 1],
                          "y": [1, 2, 3, 2, 4, 5, 3]}, dtype=float)
    n_boot, seed = 1000, 3
    rows = np.random.default_rng(seed).integers(0, len(frame), size=(n_boot, len(frame)))
    data = frame.to_numpy()
    singular = sum(
        np.linalg.matrix_rank(np.column_stack([np.ones(len(r)), data[r, :2]])) < 3
        or np.ptp(data[r, 2]) == 0
        for r in rows
    )
    assert 0 < singular < n_boot
    table = key_drivers(_survey(frame), "y", n_boot=n_boot, seed=seed)
    assert f"{singular} of them skipped as singular" in table.notes
    assert table[["ci_low", "ci_high"]].notna().all().all()
    assert (table["ci_low"] <= table["share_pct"]).all()
    assert (table["share_pct"] <= table["ci_high"]).all()


def test_no_interval_when_every_resample_is_singular():
    # Four respondents, two drivers: a resample is singular unless it holds three distinct
    # rows that are not collinear; seed 156 draws five resamples that all are (checked by rank
    # below). The point estimate stands, the interval is left empty and the notes say why.
    frame = pd.DataFrame({"a": [1, 1, 2, 2], "b": [1, 2, 1, 2], "y": [1, 3, 2, 5]}, dtype=float)
    data = frame.to_numpy()
    rows = np.random.default_rng(156).integers(0, 4, size=(5, 4))
    assert all(np.linalg.matrix_rank(np.column_stack([np.ones(4), data[r, :2]])) < 3
               or np.ptp(data[r, 2]) == 0 for r in rows)
    table = key_drivers(_survey(frame), "y", n_boot=5, seed=156, min_group_size=3)
    assert "5 of them skipped as singular" in table.notes and "so no interval" in table.notes
    assert table[["ci_low", "ci_high"]].isna().all().all()
    assert table["share_pct"].notna().all() and not table["suppressed"].any()
