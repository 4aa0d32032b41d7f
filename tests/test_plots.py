"""Charts: each draws the values of its result table, skips suppressed rows and marks them.

Values are read back from the Axes (bar widths and offsets, scatter offsets, error-bar lines)
and compared with the hand-made tables they were drawn from.
"""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.container import BarContainer, ErrorbarContainer  # noqa: E402

from cemlab import plots  # noqa: E402

LONG = "Leaders make decisions that are consistent with our customer experience strategy"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _bars(ax: Axes, label: str) -> list[tuple[float, float, float]]:
    """(y centre, left, width) of every bar in the container labelled ``label``."""
    (container,) = [
        c for c in ax.containers if isinstance(c, BarContainer) and c.get_label() == label
    ]
    return [(p.get_y() + p.get_height() / 2, p.get_x(), p.get_width()) for p in container]


def _errorbar(ax: Axes, label: str) -> tuple[np.ndarray, np.ndarray]:
    """x and y of the points of the error-bar container labelled ``label``."""
    (container,) = [
        c for c in ax.containers if isinstance(c, ErrorbarContainer) and c.get_label() == label
    ]
    line = container.lines[0]
    return np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)


def _scatter(ax: Axes, label: str) -> np.ndarray:
    (collection,) = [c for c in ax.collections if c.get_label() == label]
    return np.asarray(collection.get_offsets(), float)


def _grey_texts(ax: Axes) -> list[str]:
    return [t.get_text() for t in ax.texts if t.get_color() == plots.SUPPRESSED_COLOUR]


def _ytick_texts(ax: Axes) -> list[str]:
    return [t.get_text() for t in ax.get_yticklabels()]


# -- hand-made result tables, in the columns the analyses return ----------------------------------


def _agreement() -> pd.DataFrame:
    # item c / staff has 3 respondents: suppressed as cemlab.results.suppress leaves it
    return pd.DataFrame({
        "item": ["a", "a", "b", "b", "c", "c"],
        "statement": [LONG, LONG, "It costs $5 and $10", "It costs $5 and $10", "Short", "Short"],
        "group": ["management", "staff"] * 3,
        "n": [20, 30, 20, 30, 20, 3],
        "pct_disagree": [10.0, 20.0, 30.0, 40.0, 5.0, np.nan],
        "pct_neutral": [20.0, 30.0, 20.0, 10.0, 15.0, np.nan],
        "pct_agree": [70.0, 50.0, 50.0, 50.0, 80.0, np.nan],
        "suppressed": [False] * 5 + [True],
        "suppressed_reason": [""] * 5 + ["n = 3 < 5"],
    })


def _gap() -> pd.DataFrame:
    return pd.DataFrame({
        "item": ["a", "b", "c"],
        "statement": [LONG, "B", "C"],
        "pct_agree_management": [70.0, 50.0, np.nan],
        "pct_agree_staff": [50.0, 52.0, np.nan],
        "gap_pct": [20.0, -2.0, np.nan],
        "significant": [True, False, False],
        "suppressed": [False, False, True],
        "suppressed_reason": ["", "", "n_staff = 3 < 5"],
    })


def _scorecard() -> pd.DataFrame:
    return pd.DataFrame({
        "item": ["a", "b", "c", "d"],
        "statement": [LONG, "B", "C", "D"],
        "mean": [6.5, 5.2, 7.1, np.nan],
        "mean_ci_low": [6.1, 4.9, 6.8, np.nan],
        "mean_ci_high": [6.9, 5.5, 7.4, np.nan],
        "lowest": [False, True, False, False],
        "target": [7.0] * 4,
        "benchmark_mean": [6.0, np.nan, 6.9, 5.0],
        "suppressed": [False, False, False, True],
        "suppressed_reason": ["", "", "", "n = 2 < 5"],
    })


def _nps() -> pd.DataFrame:
    return pd.DataFrame({
        "segment": ["all", "north", "south"],
        "n": [100, 60, 3],
        "pct_promoters": [40.0, 45.0, np.nan],
        "pct_passives": [30.0, 30.0, np.nan],
        "pct_detractors": [30.0, 25.0, np.nan],
        "nps": [10.0, 20.0, np.nan],
        "ci_low": [-5.0, 2.0, np.nan],
        "ci_high": [25.0, 38.0, np.nan],
        "suppressed": [False, False, True],
        "suppressed_reason": ["", "", "n = 3 < 5"],
    })


def _trend() -> pd.DataFrame:
    return pd.DataFrame({
        "item": ["a", "b", "c"],
        "statement": [LONG, "B", "C"],
        "mean_previous": [6.0, 7.0, np.nan],
        "mean_current": [6.6, 6.5, 5.0],
        "pct_agree_previous": [50.0, 70.0, np.nan],
        "pct_agree_current": [60.0, 65.0, 40.0],
        "significant": [True, False, False],
    })


def _matrix() -> pd.DataFrame:
    items = ["a", "b", "c"]
    return pd.DataFrame([[1, 0.4, 0.2], [0.4, 1, np.nan], [0.2, np.nan, 1]],
                        index=items, columns=items)


def _importance() -> pd.DataFrame:
    return pd.DataFrame({
        "driver": ["a", "b", "c"],
        "importance": [20.0, 50.0, 30.0],
        "performance": [7.0, 5.0, 8.0],
        "quadrant": ["lower priority", "key weakness", "key strength"],
    })


# -- every chart: returns an Axes, honours ax= ----------------------------------------------------

CHARTS = {
    "correlation_heatmap": (plots.correlation_heatmap, _matrix),
    "importance_performance_chart": (plots.importance_performance_chart, _importance),
    "diverging_bars": (plots.diverging_bars, _agreement),
    "dumbbell": (plots.dumbbell, _gap),
    "scorecard_chart": (plots.scorecard_chart, _scorecard),
    "nps_chart": (plots.nps_chart, _nps),
    "trend_chart": (plots.trend_chart, _trend),
}


@pytest.mark.parametrize("name", CHARTS)
def test_chart_returns_axes_and_draws_on_the_axes_given(name):
    chart, table = CHARTS[name]
    fig, (left, right) = plt.subplots(1, 2)
    assert chart(table(), ax=right) is right
    assert not left.has_data()
    assert isinstance(chart(table()), Axes)


# -- diverging bars -------------------------------------------------------------------------------


def test_diverging_bars_put_disagree_left_agree_right_neutral_centred():
    ax = plots.diverging_bars(_agreement())
    disagree, neutral, agree = (_bars(ax, band) for band in ("disagree", "neutral", "agree"))
    assert len(disagree) == len(neutral) == len(agree) == 5  # 6 rows, one suppressed
    # first row: management on item a, 10 / 20 / 70
    assert disagree[0][1:] == pytest.approx((-20.0, 10.0))  # from -(20/2 + 10) to -10
    assert neutral[0][1:] == pytest.approx((-10.0, 20.0))
    assert agree[0][1:] == pytest.approx((10.0, 70.0))
    assert [w for _, _, w in agree] == pytest.approx([70, 50, 50, 50, 80])
    assert [w for _, _, w in disagree] == pytest.approx([10, 20, 30, 40, 5])
    for (y_d, left_d, w_d), (y_n, left_n, _), (y_a, left_a, _) in zip(disagree, neutral, agree):
        assert y_d == y_n == y_a
        assert left_d + w_d == pytest.approx(left_n) and left_n == pytest.approx(-left_a)


def test_diverging_bars_mark_suppressed_rows_instead_of_drawing_them():
    ax = plots.diverging_bars(_agreement())
    assert _grey_texts(ax) == ["suppressed (n = 3 < 5)"]
    grey = [t for t in ax.texts if t.get_color() == plots.SUPPRESSED_COLOUR]
    suppressed_y = [t.get_position()[1] for t in grey]
    drawn_y = {y for y, _, _ in _bars(ax, "agree")}
    assert suppressed_y[0] not in drawn_y
    # a long reason (complementary suppression) stays in the table, the chart says "suppressed"
    long_reason = _agreement().assign(
        suppressed_reason=[""] * 5 + ["hidden too: with the total shown it would reveal a group"]
    )
    assert _grey_texts(plots.diverging_bars(long_reason)) == ["suppressed"]


def test_diverging_bars_wrap_statements_escape_dollars_and_name_groups():
    ax = plots.diverging_bars(_agreement())
    labels = _ytick_texts(ax)
    assert len(labels) == 3  # one label per item, not per bar
    assert labels[0] == (
        "Leaders make decisions that are\nconsistent with our customer experience\nstrategy"
    )
    assert all(len(line) <= plots.WRAP_WIDTH for line in labels[0].split("\n"))
    assert labels[1] == r"It costs \$5 and \$10"  # shown literally, not as mathtext
    (names,) = ax.child_axes
    assert [t.get_text() for t in names.get_yticklabels()] == ["Management", "Staff"] * 3


def test_diverging_bars_groups_filter_and_single_group():
    ax = plots.diverging_bars(_agreement(), groups=["staff"])
    assert [w for _, _, w in _bars(ax, "agree")] == pytest.approx([50, 50])
    assert not ax.child_axes  # one group: no group names needed
    plain = _agreement().drop(columns="group").iloc[[0, 2]]
    ax = plots.diverging_bars(plain)
    assert [w for _, _, w in _bars(ax, "disagree")] == pytest.approx([10, 30])


def test_diverging_bars_name_missing_columns():
    with pytest.raises(ValueError, match="pct_neutral"):
        plots.diverging_bars(_agreement().drop(columns="pct_neutral"))


# -- dumbbell -------------------------------------------------------------------------------------


def test_dumbbell_draws_both_groups_per_item_and_marks_significant_gaps():
    ax = plots.dumbbell(_gap())
    management, staff = _scatter(ax, "management"), _scatter(ax, "staff")
    assert management[:, 0] == pytest.approx([70, 50]) and staff[:, 0] == pytest.approx([50, 52])
    assert management[:, 1] == pytest.approx(staff[:, 1])  # same row per item
    gap_labels = [t.get_text() for t in ax.texts if "pts" in t.get_text()]
    assert gap_labels == ["+20 pts *", "-2 pts"]
    assert _grey_texts(ax) == ["suppressed (n (staff) = 3 < 5)"]  # no snake_case
    assert len(ax.get_lines()) == 2  # one connecting line per drawn item


def test_dumbbell_reads_other_group_names_and_asks_when_ambiguous():
    table = _gap().rename(columns={"pct_agree_management": "pct_agree_north",
                                   "pct_agree_staff": "pct_agree_south"})
    ax = plots.dumbbell(table)
    assert _scatter(ax, "north")[:, 0] == pytest.approx([70, 50])
    with pytest.raises(ValueError, match="groups="):
        plots.dumbbell(table.assign(pct_agree_east=1.0))


# -- scorecard ------------------------------------------------------------------------------------


def test_scorecard_chart_draws_means_with_intervals_target_and_benchmark():
    ax = plots.scorecard_chart(_scorecard())
    x, y = _errorbar(ax, "mean (95% CI)")
    assert x == pytest.approx([6.5, 7.1]) and y == pytest.approx([0, 2])
    low_x, low_y = _errorbar(ax, "lowest")
    assert low_x == pytest.approx([5.2]) and low_y == pytest.approx([1])
    (container,) = [c for c in ax.containers if c.get_label() == "mean (95% CI)"]
    (bars,) = container.lines[2]  # the horizontal interval segments
    assert [seg[:, 0].tolist() for seg in bars.get_segments()] == [[6.1, 6.9], [6.8, 7.4]]
    assert _scatter(ax, "benchmark")[:, 0] == pytest.approx([6.0, 6.9])  # d is suppressed
    (target,) = [line for line in ax.get_lines() if line.get_label() == "target 7"]
    assert target.get_xdata()[0] == 7.0
    assert _grey_texts(ax) == ["suppressed (n = 2 < 5)"]
    lowest_tick = ax.get_yticklabels()[1]
    assert lowest_tick.get_color() == plots.HIGHLIGHT


def test_scorecard_chart_without_optional_columns_highlights_the_lowest_mean():
    table = _scorecard()[["item", "mean"]].iloc[:3]
    ax = plots.scorecard_chart(table)
    assert _errorbar(ax, "lowest")[0] == pytest.approx([5.2])
    assert _ytick_texts(ax) == ["a", "b", "c"]  # no statement column: item ids


def test_scorecard_chart_marks_each_target_when_they_differ():
    ax = plots.scorecard_chart(_scorecard().assign(target=[7.0, 6.0, 8.0, np.nan]))
    assert _scatter(ax, "target")[:, 0] == pytest.approx([7.0, 6.0, 8.0])


# -- correlation heatmap --------------------------------------------------------------------------


def test_correlation_heatmap_draws_r_and_separates_dimensions():
    items = ["a", "b", "c", "d"]
    r = np.array([[1, 0.5, 0.1, 0.2], [0.5, 1, np.nan, 0.3], [0.1, np.nan, 1, 0.6],
                  [0.2, 0.3, 0.6, 1]])
    matrix = pd.DataFrame(r, index=items, columns=items)
    ax = plots.correlation_heatmap(matrix, dimensions={"a": "x", "b": "x", "c": "y", "d": "y"})
    mesh = ax.collections[0]
    drawn = np.ma.getdata(mesh.get_array()).reshape(4, 4)
    mask = np.ma.getmaskarray(mesh.get_array()).reshape(4, 4)
    assert drawn[~mask] == pytest.approx(r[~np.isnan(r)])
    assert mask[1, 2] and mask[2, 1]  # the missing pair is not coloured...
    hatched = [p for p in ax.patches if p.get_hatch()]
    assert sorted(p.get_xy() for p in hatched) == [(1, 2), (2, 1)]  # ...but hatched
    separators = [line for line in ax.get_lines()]
    assert len(separators) == 2  # one horizontal, one vertical, between b and c
    assert {line.get_xydata()[0].tolist()[0] for line in separators} >= {2.0}
    assert [t.get_text() for t in ax.texts][:2] == ["1.00", "0.50"]  # annotated (<= 12 items)


def test_correlation_heatmap_rejects_a_non_square_table():
    with pytest.raises(ValueError, match="square"):
        plots.correlation_heatmap(pd.DataFrame({"a": [1.0, 0.2]}, index=["a", "b"]))


# -- importance-performance -----------------------------------------------------------------------


def test_importance_performance_chart_places_points_and_cut_lines():
    table = pd.DataFrame({
        "driver": ["a", "b", "c", "d", "e"],
        "importance": [10.0, 30.0, 20.0, 40.0, np.nan],
        "performance": [7.0, 6.0, 8.0, 5.0, np.nan],
        "quadrant": ["maintain", "key weakness", "maintain", "key weakness", None],
        "suppressed": [False, False, False, False, True],
    })
    ax = plots.importance_performance_chart(table)
    assert _scatter(ax, "maintain").tolist() == [[7.0, 10.0], [8.0, 20.0]]
    assert _scatter(ax, "key weakness").tolist() == [[6.0, 30.0], [5.0, 40.0]]
    (weakness,) = [c for c in ax.collections if c.get_label() == "key weakness"]
    assert matplotlib.colors.to_hex(weakness.get_facecolor()[0]).upper() == plots.HIGHLIGHT
    cuts = sorted((tuple(line.get_xdata()), tuple(line.get_ydata())) for line in ax.get_lines())
    assert ((6.5, 6.5), (0, 1)) in cuts and ((0, 1), (25.0, 25.0)) in cuts  # means of a-d
    assert sorted(t.get_text() for t in ax.texts) == ["a", "b", "c", "d", "suppressed: e"]


# -- NPS ------------------------------------------------------------------------------------------


def test_nps_chart_draws_score_and_interval_per_segment():
    ax = plots.nps_chart(_nps())
    x, y = _errorbar(ax, "NPS (95% CI)")
    assert x == pytest.approx([10, 20]) and y == pytest.approx([0, 1])
    (container,) = ax.containers
    (bars,) = container.lines[2]
    assert [seg[:, 0].tolist() for seg in bars.get_segments()] == [[-5, 25], [2, 38]]
    assert _ytick_texts(ax) == ["All", "North", "South"]
    assert _grey_texts(ax) == ["suppressed (n = 3 < 5)"]


def test_nps_chart_shares_stack_to_100():
    ax = plots.nps_chart(_nps(), shares=True)
    detractors, passives, promoters = (
        _bars(ax, name) for name in ("detractors", "passives", "promoters")
    )
    assert [b[1:] for b in detractors] == [(0, 30), (0, 25)]
    assert [b[1:] for b in passives] == [(30, 30), (25, 30)]
    assert [b[1:] for b in promoters] == [(60, 40), (55, 45)]
    assert "NPS +20" in [t.get_text() for t in ax.texts]


# -- trend ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("measure", "before", "after"),
                         [("mean", [6.0, 7.0], [6.6, 6.5]), ("pct_agree", [50, 70], [60, 65])])
def test_trend_chart_draws_previous_and_current(measure, before, after):
    ax = plots.trend_chart(_trend(), measure=measure)
    assert _scatter(ax, "previous")[:, 0] == pytest.approx(before)
    assert _scatter(ax, "current")[:, 0] == pytest.approx(after)
    arrows = [t for t in ax.texts if getattr(t, "arrow_patch", None) is not None]
    assert [a.xyann[0] for a in arrows] == pytest.approx(before)  # tail: previous wave
    assert [a.xy[0] for a in arrows] == pytest.approx(after)  # head: current wave
    assert _grey_texts(ax) == ["not in both waves"]  # item c has no previous value
    changes = [t.get_text() for t in ax.texts if t.get_text() and t not in arrows]
    unit = " pts" if measure == "pct_agree" else ""
    assert changes == [f"{after[0] - before[0]:+.1f}{unit} *", f"{after[1] - before[1]:+.1f}{unit}",
                       "not in both waves"]


# -- palette and text -----------------------------------------------------------------------------


def test_plain_text_never_becomes_mathtext():
    fig, ax = plt.subplots()
    text = ax.text(0, 0, plots.plain("costs $5 to $10"))
    fig.canvas.draw()  # would render "5 to " in italics if parsed as mathtext
    assert text._preprocess_math(text.get_text()) == ("costs $5 to $10", False)


def test_group_colours_are_fixed_for_management_and_staff_and_distinct_otherwise():
    assert plots.group_colour("management") == plots.GROUP_COLOURS["management"]
    order = ["north", "south", "east"]
    colours = [plots.group_colour(g, order) for g in order]
    assert len(set(colours)) == 3
    assert not set(colours) & set(plots.GROUP_COLOURS.values())


def test_set_theme_applies_the_one_style():
    with matplotlib.rc_context():  # restored afterwards for the other tests
        plots.set_theme()
        assert matplotlib.rcParams["axes.spines.top"] is False
        cycle = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
        assert matplotlib.colors.to_hex(cycle[0]).upper() == plots.OKABE_ITO[0]


# -- on the real analyses, demo client Kestrel Mobile ---------------------------------------------


@pytest.fixture(scope="module")
def kestrel():
    from cemlab.params import load_client

    return load_client("params/kestrel-mobile.yaml")


def test_nps_chart_on_real_nps_output(kestrel):
    from cemlab.nps import nps

    table = nps(kestrel.feedback, by="segment")
    ax = plots.nps_chart(table)
    x, _ = _errorbar(ax, "NPS (95% CI)")
    assert x == pytest.approx(table.loc[~table["suppressed"], "nps"].to_numpy())
    ax = plots.nps_chart(table, shares=True)
    assert [w for _, _, w in _bars(ax, "promoters")] == pytest.approx(
        table.loc[~table["suppressed"], "pct_promoters"].to_numpy()
    )


def test_importance_performance_chart_on_real_driver_output(kestrel):
    from cemlab.drivers import importance_performance

    table = importance_performance(kestrel.feedback, "ltr", n_boot=50)
    ax = plots.importance_performance_chart(table)
    drawn = np.vstack([c.get_offsets() for c in ax.collections])
    expected = table.loc[~table["suppressed"], ["performance", "importance"]].to_numpy()
    order = np.lexsort(drawn.T[::-1]), np.lexsort(expected.T[::-1])
    np.testing.assert_allclose(drawn[order[0]], expected[order[1]])
    for collection in ax.collections:  # each point in the quadrant the analysis gave it
        quadrant = table[table["quadrant"] == collection.get_label()]
        assert len(quadrant) == len(collection.get_offsets())


def test_trend_chart_on_real_trend_output(kestrel):
    from cemlab.trend import trend

    table = trend(kestrel.survey, kestrel.previous)
    ax = plots.trend_chart(table, measure="pct_agree")
    shown = table[~table["suppressed"]]
    assert _scatter(ax, "current")[:, 0] == pytest.approx(shown["pct_agree_current"].to_numpy())
    assert _scatter(ax, "previous")[:, 0] == pytest.approx(shown["pct_agree_previous"].to_numpy())
    assert len(ax.get_yticklabels()) == len(table)


def test_diverging_bars_and_dumbbell_on_real_agreement_output(kestrel):
    from cemlab.agreement import agreement, agreement_gap

    table = agreement(kestrel.survey)
    ax = plots.diverging_bars(table)
    shown = table[~table["suppressed"]]
    assert [w for _, _, w in _bars(ax, "agree")] == pytest.approx(shown["pct_agree"].to_numpy())
    assert len(ax.get_yticklabels()) == table["item"].nunique()
    gap = agreement_gap(kestrel.survey)
    ax = plots.dumbbell(gap)
    shown = gap[~gap["suppressed"]]
    assert _scatter(ax, "staff")[:, 0] == pytest.approx(shown["pct_agree_staff"].to_numpy())
    stars = [t.get_text() for t in ax.texts if t.get_text().endswith("*")]
    assert len(stars) == int(shown["significant"].sum())


def test_scorecard_chart_on_real_scorecard_output(kestrel):
    from cemlab.scorecard import dimension_scorecard, scorecard

    table = scorecard(kestrel.survey, target=7.0, benchmark="polska-2008")
    ax = plots.scorecard_chart(table)
    x, _ = _errorbar(ax, "lowest")
    assert x == pytest.approx(table.loc[table["lowest"], "mean"].to_numpy())
    dimensions = dimension_scorecard(kestrel.survey, target=7.0)
    ax = plots.scorecard_chart(dimensions, label_column="title")
    assert _ytick_texts(ax)[0] == plots.wrap(dimensions["title"].iloc[0])


def test_correlation_heatmap_on_real_correlation_matrix(kestrel):
    from cemlab.correlation import correlation_matrix

    matrix = correlation_matrix(kestrel.survey)
    instrument = kestrel.survey.instrument
    dimensions = {item: instrument.dimension_of(item).id for item in matrix.index}
    ax = plots.correlation_heatmap(matrix, dimensions=dimensions)
    drawn = np.ma.getdata(ax.collections[0].get_array()).reshape(matrix.shape)
    np.testing.assert_allclose(drawn, matrix.to_numpy())
    changes = len(set(dimensions.values())) - 1  # one line across, one down, per boundary
    assert len(ax.get_lines()) == 2 * changes


# -- words a client understands, in both languages (issue 11, §2 and §6) ----------------------


def _real_charts(kestrel):
    from cemlab import report
    from cemlab.agreement import agreement, agreement_gap
    from cemlab.correlation import correlation_matrix
    from cemlab.drivers import importance_performance
    from cemlab.nps import nps
    from cemlab.scorecard import dimension_scorecard, scorecard
    from cemlab.trend import trend

    survey, feedback = kestrel.survey, kestrel.feedback
    cem, cf = survey.instrument, feedback.instrument
    gap = agreement_gap(survey)
    hidden = gap.assign(pct_agree_staff=np.nan, gap_pct=np.nan, suppressed=True,
                        suppressed_reason="n_staff = 3 < 5")
    return [
        (plots.diverging_bars, agreement(survey), {"instrument": cem}),
        (plots.dumbbell, gap, {"instrument": cem}),
        (plots.dumbbell, hidden, {"instrument": cem}),
        (plots.scorecard_chart, scorecard(survey, target=7.0), {"instrument": cem}),
        (plots.scorecard_chart, dimension_scorecard(survey, target=7.0),
         {"instrument": cem, "label_column": "title"}),
        (plots.correlation_heatmap, correlation_matrix(survey),
         {"instrument": cem, "dimensions": report.item_dimensions(cem)}),
        (plots.importance_performance_chart,
         importance_performance(feedback, "ltr", drivers=report.journey_drivers(feedback),
                                n_boot=20), {"instrument": cf}),
        (plots.nps_chart, nps(feedback, by="segment"), {}),
        (plots.nps_chart, nps(feedback, by="segment"), {"shares": True}),
        (plots.trend_chart, trend(survey, kestrel.previous), {"instrument": cem}),
        (plots.trend_chart, trend(survey, kestrel.previous),
         {"instrument": cem, "measure": "pct_agree"}),
    ]


@pytest.mark.parametrize("lang", ["en", "pl"])
def test_no_chart_text_shows_an_id_or_snake_case_and_every_chart_says_what_it_shows(kestrel, lang):
    from matplotlib.text import Text

    from cemlab.labels import has_identifier

    ids = kestrel.survey.instrument.item_ids + kestrel.feedback.instrument.item_ids + ["ltr"]
    for chart, table, options in _real_charts(kestrel):
        ax = chart(table, lang=lang, **options)
        ax.figure.canvas.draw()
        texts = [t.get_text() for t in ax.figure.findobj(Text) if t.get_text()]
        for text in texts:
            assert not has_identifier(text), f"{chart.__name__}: {text!r}"
            assert not any(re.search(rf"\b{i}\b", text) for i in ids), text
        alt = plots.alt_text(ax)
        assert len(alt) > 40 and not has_identifier(alt), f"{chart.__name__}: {alt!r}"
        assert plots.alt_text(ax.figure) == alt
        if lang == "pl":
            assert "wykres" in alt.lower() or "mapa" in alt.lower()
        plt.close(ax.figure)


def test_a_group_hidden_everywhere_is_not_in_the_legend_and_gets_one_note(kestrel):
    from cemlab.agreement import agreement_gap

    gap = agreement_gap(kestrel.survey)
    hidden = gap.assign(pct_agree_staff=np.nan, gap_pct=np.nan, suppressed=False)
    ax = plots.dumbbell(hidden, lang="pl", instrument=kestrel.survey.instrument)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Kierownictwo"]
    notes = [t.get_text() for t in ax.texts if "ukryte we wszystkich" in t.get_text()]
    assert notes == ["Pracownicy: ukryte we wszystkich stwierdzeniach (zbyt mało respondentów)"]
    shown = plots.dumbbell(gap, lang="pl", instrument=kestrel.survey.instrument)
    assert [t.get_text() for t in shown.get_legend().get_texts()] == ["Kierownictwo", "Pracownicy"]
    assert "największa różnica" in plots.alt_text(shown)


def test_charts_write_figures_with_the_locale_decimal_comma():
    ax = plots.scorecard_chart(_scorecard(), lang="pl")
    assert "6,5" in [t.get_text() for t in ax.texts]
    assert {"średnia (95% PU)", "najniższa ocena", "cel 7"} <= {
        t.get_text() for t in ax.get_legend().get_texts()}
