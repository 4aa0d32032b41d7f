"""Leak hunting: adversarial clients, every figure one report shows, and every subtraction.

Each client is written to CSV files and run through the report notebook's own code
(`cemlab/notebooks/client_report.ipynb`, in-process, charts skipped), so the tables checked are the
ones `ReportTables` collects for the client, as the client receives them (`confidential`).
Every shown base is turned into the set of respondents it counts (checked against the base
shown, so a table whose bases the model misreads fails loudly), and then:

(a) no shown base holds 1 to ``MIN - 1`` respondents (effective base too, when weighted);
(b) no two shown bases, one inside the other, differ by 1 to ``MIN - 1`` respondents who all
    belong to a small group: that difference is the group's size, which the cover hides;
(c) no two shown figures of the same measure, one's respondents inside the other's, differ
    by 1 to ``MIN - 1`` respondents: ``(n2 * v2 - n1 * v1) / (n2 - n1)`` would be their exact
    mean; the arithmetic is done and compared with the hidden truth;
(d) the data-quality table shows no count from 1 to ``MIN - 1`` and no answer of a client's file.

Pairs are taken across every table of the report and across the two waves it compares. A table
the notebook gains later must be given a population model below, or these tests fail.
"""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cemlab import report
from cemlab.agreement import agreement
from cemlab.instrument import load_instrument
from cemlab.nps import nps
from cemlab.reliability import items_with_enough_answers
from cemlab.scorecard import scored
from cemlab.survey import Survey

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "cemlab" / "notebooks" / "client_report.ipynb"
MIN = 5
CEM = load_instrument("cem-maturity")
ITEMS = CEM.item_ids
FEEDBACK_ITEMS = ["ltr", *load_instrument("customer-feedback").item_ids]
#: The answer a respondent typed, which the report must never echo.
RAW_ANSWER = "Nie wiem"


# --- adversarial clients ---------------------------------------------------------------------


@dataclass(frozen=True)
class Design:
    """One adversarial client: who answers, what is routed, what the previous wave was."""

    staff: int = 100
    management: int = 20
    contractors: int = 0  # a third group level, under the minimum when 1-4
    #: statement -> groups not asked it (routing)
    routed: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: respondents with a group label the instrument does not know (excluded by the loader)
    unknown_labels: int = 0
    newcomers: int | None = None  # last wave = this wave minus the newcomers (cumulative)
    business: int = 40  # the feedback's second segment
    consumers: int = 150
    new_customers: int | None = None  # last wave's feedback = this one minus these
    raw_answers: int = 0  # answers "Nie wiem" (set missing, reason quoting the text)
    seed: int = 0


def _survey_frame(design: Design, rng: np.random.Generator) -> pd.DataFrame:
    # staff first: the loader takes a first data row with blanks for part of a header
    roles = (["staff"] * design.staff + ["management"] * design.management
             + ["contractor"] * design.contractors + ["freelancer"] * design.unknown_labels)
    frame = pd.DataFrame(rng.integers(1, 11, size=(len(roles), len(ITEMS))), columns=ITEMS)
    frame = frame.astype(object)
    frame.insert(0, "role", roles)
    frame.insert(0, "respondent_id", list(range(1, len(roles) + 1)))
    for item, groups in design.routed:
        frame.loc[frame["role"].isin(groups), item] = None
    for row in range(design.raw_answers):
        frame.loc[10 + row, ITEMS[-1]] = RAW_ANSWER
    # newcomers are the last staff rows: the previous wave is everyone before them
    return frame


def _feedback_frame(design: Design, rng: np.random.Generator) -> pd.DataFrame:
    segments = ["consumer"] * design.consumers + ["business"] * design.business
    frame = pd.DataFrame(rng.integers(1, 11, size=(len(segments), len(FEEDBACK_ITEMS) - 1)),
                         columns=FEEDBACK_ITEMS[1:])
    frame.insert(0, "ltr", rng.integers(0, 11, size=len(segments)))
    frame.insert(0, "segment", segments)
    frame.insert(0, "respondent_id", list(range(1, len(segments) + 1)))
    return frame


def _without_last(frame: pd.DataFrame, label: str, count: int) -> pd.DataFrame:
    """The frame minus its last ``count`` rows labelled ``label`` (last wave, cumulative)."""
    rows = frame.index[frame.iloc[:, 1] == label][-count:] if count else []
    return frame.drop(index=rows)


def write_client(design: Design, folder: Path) -> dict:
    """The client's files in ``folder`` and the notebook parameters that read them."""
    rng = np.random.default_rng(design.seed)
    instrument = "cem-maturity"
    if design.contractors:
        text = (Path(__file__).parents[1] / "cemlab" / "instruments" / "cem-maturity.yaml")
        yaml = text.read_text(encoding="utf-8").replace(
            "levels: [management, staff]", "levels: [management, staff, contractor]")
        assert "contractor]" in yaml
        (folder / "three-groups.yaml").write_text(yaml, encoding="utf-8")
        instrument = str(folder / "three-groups.yaml")
    main = _survey_frame(design, rng)
    main.to_csv(folder / "survey.csv", index=False)
    fb = _feedback_frame(design, rng)
    fb.to_csv(folder / "feedback.csv", index=False)
    previous = None
    if design.newcomers is not None or design.new_customers is not None:
        _without_last(main, "staff", design.newcomers or 0).to_csv(folder / "before.csv",
                                                                   index=False)
        _without_last(fb, "consumer", design.new_customers or 0).to_csv(
            folder / "feedback-before.csv", index=False)
        previous = {"data": str(folder / "before.csv"), "wave": "2025",
                    "feedback": str(folder / "feedback-before.csv")}
    return {
        "client": "adversary", "title": "Adversary", "data": str(folder / "survey.csv"),
        "instrument": instrument, "sheet": None, "columns": {}, "group_labels": {},
        "target": 7.0, "min_group_size": MIN, "wave": "2026",
        "feedback": {"data": str(folder / "feedback.csv"), "instrument": "customer-feedback"},
        "previous": previous, "benchmark": "polska-2008", "tables_dir": None,
        "params_file": None,
    }


# --- running the report ----------------------------------------------------------------------


@dataclass
class Report:
    """What a client receives: the tables `ReportTables` kept, the cover, and the data."""

    tables: dict[str, pd.DataFrame]
    cover: str
    survey: Survey
    previous: Survey | None
    feedback: Survey | None
    previous_feedback: Survey | None
    #: each section's compact table: (the kept table it shows rows of, those rows)
    views: list[tuple[str, pd.DataFrame]] = field(default_factory=list)


def run_report(parameters: dict, folder: Path) -> Report:
    """The notebook's code cells, in order, with ``parameters`` injected as papermill does."""
    namespace: dict = {}
    covers: list[str] = []
    views: list[tuple[str, pd.DataFrame]] = []
    cover, chart, show_section = report.cover, report.chart, report.show_section

    def keep_cover(**kwargs):
        page = cover(**kwargs)
        covers.append(page.data)
        return page

    def keep_view(view, lang=None):
        if view.table is not None and len(view.table):
            views.append((view.source, view.table))
        return show_section(view, lang)

    report.cover, report.chart, report.show_section = (keep_cover, lambda *a, **k: None,
                                                       keep_view)
    try:
        for cell in json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] != "code":
                continue
            source = "".join(line for line in "".join(cell["source"]).splitlines(True)
                             if not line.lstrip().startswith("%"))
            exec(compile(source, str(NOTEBOOK), "exec"), namespace)  # noqa: S102
            if "parameters" in cell["metadata"].get("tags", []):
                namespace.update(parameters)
    finally:
        report.cover, report.chart, report.show_section = cover, chart, show_section
    client = namespace["client_data"]
    return Report(dict(namespace["tables"].tables), "".join(covers), client.survey,
                  client.previous, client.feedback, client.previous_feedback, views)


# --- what each shown figure is of ------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One shown base and, when it carries one, the mean or share computed on it."""

    where: str
    base: frozenset
    n: float  # as shown; NaN when the table blanks it
    measure: tuple | None = None  # figures of one measure on nested bases can be subtracted
    value: float = math.nan
    source: Survey | None = field(default=None, compare=False)


def _keys(survey: Survey, mask: np.ndarray, side: str) -> frozenset:
    return frozenset((side, rid) for rid in survey.responses.index[mask])


def _answered(survey: Survey, item: str, side: str, group: str | None = None,
              column: str | None = None) -> frozenset:
    mask = survey.responses[item].notna().to_numpy()
    if group is not None and group != "all":
        mask = mask & (survey.responses[column or survey.group_column] == group).to_numpy()
    return _keys(survey, mask, side)


def _number(value: object) -> float:
    return math.nan if value is None or pd.isna(value) else float(value)


def _figures_of(name: str, table: pd.DataFrame, rep: Report) -> Iterator[Figure]:
    model = MODELS.get(name)
    if model is None:
        pytest.fail(f"table {name!r} has no population model in tests/test_leaks.py: add one "
                    "so that its bases are checked against every other table's")
    for row in table.to_dict("records"):
        yield from model(row, rep, name)


def _agreement_figures(row: dict, rep: Report, name: str) -> Iterator[Figure]:
    yield Figure(f"{name}: {row['item']}, {row['group']}",
                 _answered(rep.survey, row["item"], "now", row["group"]), _number(row["n"]),
                 ("agree", row["item"]), _number(row["pct_agree"]), rep.survey)


def _group_bases(row: dict, rep: Report, name: str, measures: dict[str, str]
                 ) -> Iterator[Figure]:
    for column in row:
        if not column.startswith("n_"):
            continue
        group = column[2:]
        base = _answered(rep.survey, row["item"], "now", group)
        for prefix, kind in measures.items():
            yield Figure(f"{name}: {row['item']}, {column}", base, _number(row[column]),
                         (kind, row["item"]), _number(row.get(f"{prefix}_{group}")), rep.survey)


def _gap_figures(row: dict, rep: Report, name: str) -> Iterator[Figure]:
    yield from _group_bases(row, rep, name, {"pct_agree": "agree"})


def _scorecard_figures(row: dict, rep: Report, name: str) -> Iterator[Figure]:
    base = _answered(rep.survey, row["item"], "now")
    for column, kind in (("mean", "scored"), ("pct_agree", "agree")):
        yield Figure(f"{name}: {row['item']}, n", base, _number(row["n"]),
                     (kind, row["item"]), _number(row[column]), rep.survey)
    yield from _group_bases(row, rep, name, {"mean": "scored", "pct_agree": "agree"})


def _dimension_items(survey: Survey, dimension: str) -> list[str]:
    (dim,) = [d for d in survey.instrument.dimensions if d.id == dimension]
    asked = [i.id for i in dim.items if i.id in survey.responses.columns]
    kept, _ = items_with_enough_answers(survey, asked, MIN)
    return kept or asked


def _any_answered(survey: Survey, items: list[str], side: str) -> frozenset:
    return _keys(survey, survey.responses[items].notna().any(axis=1).to_numpy(), side)


def _practice_figures(row: dict, rep: Report, name: str) -> Iterator[Figure]:
    items = _dimension_items(rep.survey, row["dimension"])
    yield Figure(f"{name}: {row['dimension']}", _any_answered(rep.survey, items, "now"),
                 _number(row["n"]), ("practice", row["dimension"]), _number(row["mean"]),
                 rep.survey)


def _reliability_figures(row: dict, rep: Report, name: str) -> Iterator[Figure]:
    items = _dimension_items(rep.survey, row["dimension"])
    yield Figure(f"{name}: {row['dimension']}", _any_answered(rep.survey, items, "now"),
                 _number(row["n"]))


def _item_reliability_figures(row: dict, rep: Report, name: str) -> Iterator[Figure]:
    yield Figure(f"{name}: {row['item']}", _answered(rep.survey, row["item"], "now"),
                 _number(row["n"]), ("raw", row["item"]), _number(row["mean"]), rep.survey)


def _correlation_figures(row: dict, rep: Report, name: str) -> Iterator[Figure]:
    both = rep.survey.responses[[row["item_a"], row["item_b"]]].notna().all(axis=1)
    yield Figure(f"{name}: {row['item_a']} x {row['item_b']}",
                 _keys(rep.survey, both.to_numpy(), "now"), _number(row["n"]))


def _nps_figures(row: dict, rep: Report, name: str) -> Iterator[Figure]:
    yield Figure(f"{name}: {row['segment']}",
                 _answered(rep.feedback, "ltr", "fb now", row["segment"], "segment"),
                 _number(row["n"]), ("nps",), _number(row["nps"]), rep.feedback)


def _nps_trend_figures(row: dict, rep: Report, name: str) -> Iterator[Figure]:
    for side, survey, label in (("current", rep.feedback, "fb now"),
                                ("previous", rep.previous_feedback, "fb before")):
        yield Figure(f"{name}: {side}", _answered(survey, "ltr", label),
                     _number(row[f"n_{side}"]), ("nps",), _number(row[f"nps_{side}"]), survey)


def _driver_figures(row: dict, rep: Report, name: str) -> Iterator[Figure]:
    columns = [*report.journey_drivers(rep.feedback), "ltr"]
    complete = rep.feedback.responses[columns].notna().all(axis=1).to_numpy()
    yield Figure(f"{name}: {row['driver']}", _keys(rep.feedback, complete, "fb now"),
                 _number(row["n"]))


def _trend_figures(row: dict, rep: Report, name: str) -> Iterator[Figure]:
    for side, survey, label in (("current", rep.survey, "now"),
                                ("previous", rep.previous, "before")):
        base = _answered(survey, row["item"], label)
        for column, kind in (("mean", "raw"), ("pct_agree", "agree")):
            yield Figure(f"{name}: {row['item']}, {side}", base, _number(row[f"n_{side}"]),
                         (kind, row["item"]), _number(row[f"{column}_{side}"]), survey)


def _no_bases(row: dict, rep: Report, name: str) -> Iterator[Figure]:
    """Tables of figures derived from others' (findings) or with no base (the r matrix)."""
    return iter(())


MODELS: dict[str, Callable[[dict, Report, str], Iterator[Figure]]] = {
    "findings": _no_bases,
    "agreement": _agreement_figures,
    "agreement_gap": _gap_figures,
    "scorecard": _scorecard_figures,
    "practices": _practice_figures,
    "correlations": _correlation_figures,
    "correlation_matrix": _no_bases,
    "reliability": _reliability_figures,
    "item_reliability": _item_reliability_figures,
    "nps": _nps_figures,
    "nps_trend": _nps_trend_figures,
    "drivers": _driver_figures,
    "importance_performance": _driver_figures,
    "trend": _trend_figures,
    "data_quality": _no_bases,  # counts, checked in check_data_quality
}

def _cover_figures(rep: Report) -> Iterator[Figure]:
    """The cover's respondent counts that it shows exactly (small groups say "fewer than")."""
    everyone = _keys(rep.survey, np.ones(rep.survey.n, dtype=bool), "now")
    shown = rep.cover.split("<dt>Respondents</dt><dd>")[1].split("<")[0].replace(",", "")
    if shown.isdigit():
        yield Figure("cover: respondents", everyone, float(shown))
    for level in rep.survey.instrument.groups.levels:
        marker = f"<dt>– {report.escape(level)}</dt><dd>"
        if marker in rep.cover:
            text = rep.cover.split(marker)[1].split("<")[0].replace(",", "")
            if text.isdigit():
                mask = (rep.survey.groups == level).to_numpy()
                yield Figure(f"cover: {level}", _keys(rep.survey, mask, "now"), float(text))


def figures(rep: Report) -> list[Figure]:
    found = list(_cover_figures(rep))
    for name, table in rep.tables.items():
        found.extend(_figures_of(name, table, rep))
    for name, table in rep.views:  # the sections' compact tables, hunted with the rest
        found.extend(_figures_of(name, table, rep))
    for figure in found:  # the model must say what the table counts
        if not math.isnan(figure.n):
            assert len(figure.base) == figure.n, (
                f"{figure.where}: the table shows a base of {figure.n:g}, the test's model of "
                f"it counts {len(figure.base)}: fix the model in tests/test_leaks.py")
    return found


# --- the checks ------------------------------------------------------------------------------


def protected(rep: Report) -> frozenset:
    """Respondents of a group (or feedback segment) of 1 to MIN - 1: their size is hidden."""
    keys: set = set()
    for survey, column, side in ((rep.survey, rep.survey.group_column, "now"),
                                 (rep.feedback, "segment", "fb now")):
        if survey is None:
            continue
        sizes = survey.responses[column].value_counts()
        small = sizes.index[(sizes > 0) & (sizes < MIN)]
        keys |= _keys(survey, survey.responses[column].isin(small).to_numpy(), side)
    return frozenset(keys)


def _same_people(base: frozenset) -> frozenset:
    """Respondents across waves: a cumulative export keeps last wave's ids for the same people."""
    return frozenset((side.replace("before", "now"), rid) for side, rid in base)


def _pairs(found: list[Figure], known: dict[frozenset, float]
           ) -> Iterator[tuple[Figure, Figure, frozenset]]:
    """(inner, outer, outer's respondents not in inner) for nested bases 1..MIN-1 apart."""
    sized = sorted((f for f in found if _shown_base(f, known) is not None),
                   key=lambda f: len(f.base))
    sizes = [len(f.base) for f in sized]
    for i, inner in enumerate(sized):
        people = _same_people(inner.base)
        j = i
        while j < len(sized) and sizes[j] < sizes[i] + MIN:
            outer = sized[j]
            j += 1
            if sizes[j - 1] == sizes[i]:
                continue
            outer_people = _same_people(outer.base)
            if people < outer_people:
                yield inner, outer, outer_people - people


def _shown_base(figure: Figure, known: dict[frozenset, float]) -> float | None:
    """The base a reader knows: shown here, or shown for the same respondents elsewhere."""
    if not math.isnan(figure.n):
        return figure.n
    return known.get(figure.base)


def leaks(rep: Report) -> list[str]:
    """Every breach of (a), (b) and (c), as sentences."""
    found = figures(rep)
    small = {(side.replace("before", "now"), rid) for side, rid in protected(rep)}
    problems = [f"(a) {f.where}: base {f.n:g} < {MIN}" for f in found
                if not math.isnan(f.n) and 0 < f.n < MIN]
    known = {f.base: f.n for f in found if not math.isnan(f.n)}
    for inner, outer, difference in _pairs(found, known):
        if difference <= small:
            problems.append(f"(b) {outer.where} ({len(outer.base)}) - {inner.where} "
                            f"({len(inner.base)}) = {len(difference)}: a small group's size")
        if (inner.measure is not None and inner.measure == outer.measure
                and not math.isnan(inner.value) and not math.isnan(outer.value)):
            recovered = (len(outer.base) * outer.value
                         - len(inner.base) * inner.value) / len(difference)
            truth = _mean_of(outer.measure, outer.source, difference)
            if math.isclose(recovered, truth, abs_tol=1e-6):
                problems.append(
                    f"(c) ({len(outer.base)} x {outer.value:.4f} [{outer.where}] - "
                    f"{len(inner.base)} x {inner.value:.4f} [{inner.where}]) / "
                    f"{len(difference)} = {recovered:.4f}: the exact {outer.measure} of "
                    f"{len(difference)} respondents")
    return sorted(set(problems))  # a base shown with a mean and a share is one breach


def _mean_of(measure: tuple, survey: Survey, people: frozenset) -> float:
    """The true mean (share in %) of ``measure`` over ``people`` in ``survey``."""
    ids = [rid for _, rid in people]
    kind = measure[0]
    if kind == "nps":
        ltr = survey.responses.loc[ids, "ltr"]
        return float(100 * ((ltr >= 9).mean() - (ltr <= 6).mean()))
    if kind == "practice":
        items = _dimension_items(survey, measure[1])
        values = pd.DataFrame({i: scored(survey, i) for i in items}, index=survey.responses.index)
        return float(values.loc[ids].mean(axis=1).mean())
    item = measure[1]
    if kind == "scored":
        return float(pd.Series(scored(survey, item), index=survey.responses.index)[ids].mean())
    answers = survey.responses.loc[ids, item]
    if kind == "raw":
        return float(answers.mean())
    low, high = survey.instrument.bands_of(item).agree
    return float(100 * answers.between(low, high).mean())


def check_data_quality(rep: Report) -> list[str]:
    """(d): counts of 1 to MIN - 1, or an answer from the client's file, in the report."""
    problems = []
    quality = rep.tables.get("data_quality")
    if quality is not None:
        for row in quality.itertuples():
            if 0 < _number(row.count) < MIN:
                problems.append(f"(d) data quality: {row.check}, {row.detail}: {row.count:g}")
    answers = {str(i.value) for s in (rep.survey, rep.previous) if s is not None
               for i in s.quality.set_missing if isinstance(i.value, str)}
    for name, table in rep.tables.items():
        text = [str(cell).lower() for cell in pd.DataFrame(table).to_numpy().ravel()]
        for answer in answers:
            if any(answer.lower() in cell for cell in text):
                problems.append(f"(d) {name}: shows the answer {answer!r}")
    return problems


# --- the adversaries -------------------------------------------------------------------------

ROUTED = Design(contractors=3, routed=(("lead_commitment", ("management",)),
                                       ("kpi_reward", ("contractor",))))
#: a whole practice not asked of contractors: its base (alpha's n too) is 120 of 123
ROUTED_PRACTICE = Design(contractors=3, routed=(("kpi_monitor", ("contractor",)),
                                                ("kpi_reward", ("contractor",))))
CUMULATIVE = Design(newcomers=3, new_customers=1)
EXCLUDED = Design(unknown_labels=3, raw_answers=1)
SMALL_SEGMENT = Design(business=3, contractors=4, newcomers=0, new_customers=4)


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, Report]:
    made = {}
    for name, design in (("routed", ROUTED), ("routed practice", ROUTED_PRACTICE),
                         ("cumulative", CUMULATIVE), ("excluded", EXCLUDED),
                         ("small segment", SMALL_SEGMENT)):
        folder = tmp_path_factory.mktemp(name.replace(" ", "-"))
        made[name] = run_report(write_client(design, folder), folder)
    return made


@pytest.mark.parametrize("name", ["routed", "routed practice", "cumulative", "excluded",
                                  "small segment"])
def test_no_figure_of_a_report_gives_a_small_group_away(reports, name):
    problems = leaks(reports[name]) + check_data_quality(reports[name])
    assert not problems, "\n".join(problems)


def test_correlation_and_reliability_bases_are_hunted_too(reports):
    # the last tables to get the rule across statements: their bases take part in the hunt,
    # and with the ones the rule hid shown again the hunt finds the routed contractors in each
    for name, table in (("routed", "correlations"), ("routed", "item_reliability"),
                        ("routed practice", "reliability")):
        rep = reports[name]
        shown = rep.tables[table]
        assert any(f.where.startswith(f"{table}:") and not math.isnan(f.n)
                   for f in figures(rep)), table
        across = shown["suppressed_reason"].str.contains("small group", regex=False)
        assert across.any(), f"{table}: the rule hid nothing in {name!r}"
        reopened = shown.copy()
        reopened["n"] = [len(f.base) for f in _figures_of(table, shown, rep)]
        undone = Report({**rep.tables, table: reopened}, rep.cover, rep.survey, rep.previous,
                        rep.feedback, rep.previous_feedback)
        assert any(p.startswith("(b)") and f" {table}: " in f" {p}" for p in leaks(undone)), table


def test_the_models_read_every_base_the_report_shows(reports):
    # the hunt is only as good as its reading of the tables: every table of the report has
    # a model and most bases are checked (a base blanked by `confidential` is not)
    rep = reports["routed"]
    assert set(rep.tables) <= set(MODELS)
    found = figures(rep)
    assert {f.where.split(":")[0] for f in found} >= set(rep.tables) - {
        "findings", "correlation_matrix", "data_quality"}
    assert sum(not math.isnan(f.n) for f in found) > 300


def test_the_hunt_finds_the_leaks_it_was_written_for(reports):
    # the same arithmetic on the tables before `confidential`, with the rules undone, finds the
    # routed contractors and the cumulative newcomers: the checks can fail
    rep = reports["cumulative"]
    trend = rep.tables["trend"].copy()
    for side, survey in (("current", rep.survey), ("previous", rep.previous)):
        trend[f"n_{side}"] = [float(survey.responses[i].count()) for i in trend["item"]]
        trend[f"mean_{side}"] = [survey.responses[i].mean() for i in trend["item"]]
    reopened = Report({**rep.tables, "trend": trend}, rep.cover, rep.survey, rep.previous,
                      rep.feedback, rep.previous_feedback)
    assert any(p.startswith("(c)") and "trend" in p for p in leaks(reopened))


def test_the_sections_compact_tables_show_only_rows_of_the_kept_tables(reports):
    # a compact table picks rows and columns of a table the client receives: it computes no
    # figure of its own, so no figure in it escapes the hunt above
    for name, rep in reports.items():
        assert rep.views, name
        for source, rows in rep.views:
            kept = rep.tables[source]
            assert set(rows.index) <= set(kept.index), (name, source)
            common = [c for c in rows.columns if c in kept.columns]
            pd.testing.assert_frame_equal(rows[common], kept.loc[rows.index, common],
                                          check_dtype=False)


#: Brightmart's shape: four managers among a hundred (min_group_size 5)
FEW_MANAGERS = Design(staff=96, management=4)


def _shown_by_group(rep: Report) -> dict[tuple[str, str, str], tuple[float, float]]:
    """(measure, item, group) -> (base, value) for every per-group figure the report shows."""
    shown = {}
    for name, table in [*rep.tables.items(), *rep.views]:
        for row in pd.DataFrame(table).to_dict("records"):
            if "item" not in row:
                continue
            groups = [row["group"]] if "group" in row else ["all", "management", "staff"]
            for group in groups:
                suffix = "" if ("group" in row or group == "all") else f"_{group}"
                for measure in ("pct_agree", "mean"):
                    value, n = row.get(measure + suffix), row.get("n" + suffix)
                    if value is not None and not pd.isna(value) and not pd.isna(n):
                        shown[(measure, row["item"], group)] = (float(n), float(value))
    return shown


def test_overall_minus_staff_never_gives_a_small_management_away(tmp_path):
    # the subtraction attack: (n_all * p_all - n_staff * p_staff) / (n_all - n_staff) is the
    # managers' exact figure, so with four managers a report may show all respondents or
    # staff, never both; it shows all respondents, so the section still says something
    rep = run_report(write_client(FEW_MANAGERS, tmp_path), tmp_path)
    shown = _shown_by_group(rep)
    for item in ITEMS:
        for measure in ("pct_agree", "mean"):
            for group in ("staff", "management"):
                both = (measure, item, "all") in shown and (measure, item, group) in shown
                assert not both, f"{measure} of {item}: all respondents and {group} both shown"
        assert ("pct_agree", item, "all") in shown  # every respondent's figure is shown
    (agreement_rows,) = [rows for source, rows in rep.views if source == "agreement"]
    assert set(agreement_rows["group"]) == {"all"} and len(agreement_rows) == len(ITEMS)
    assert not leaks(rep)


def test_the_subtraction_attack_works_on_the_figures_the_rule_hides(tmp_path):
    # the same arithmetic on staff's figures, shown again, gives each manager-only % agree
    # exactly: the attack the test above guards against is real
    rep = run_report(write_client(FEW_MANAGERS, tmp_path), tmp_path)
    opened = agreement(rep.survey, min_group_size=1).set_index(["item", "group"])
    managers = rep.survey.responses[rep.survey.groups == "management"]
    for item in ITEMS:
        n_all, p_all = opened.loc[(item, "all"), ["n", "pct_agree"]]
        n_staff, p_staff = opened.loc[(item, "staff"), ["n", "pct_agree"]]
        recovered = (n_all * p_all - n_staff * p_staff) / (n_all - n_staff)
        low, high = rep.survey.instrument.bands_of(item).agree
        truth = 100 * managers[item].dropna().between(low, high).mean()
        assert math.isclose(recovered, truth, abs_tol=1e-9)


@st.composite
def designs(draw) -> Design:
    items = st.sampled_from(ITEMS[1:6])
    routed = draw(st.lists(st.tuples(items, st.sampled_from(
        [("management",), ("contractor",), ("management", "contractor"), ("staff",)])),
        max_size=2, unique_by=lambda r: r[0]))
    return Design(
        staff=draw(st.integers(30, 60)), management=draw(st.integers(6, 15)),
        contractors=draw(st.integers(0, MIN + 1)), routed=tuple(routed),
        unknown_labels=draw(st.integers(0, MIN + 1)),
        newcomers=draw(st.integers(0, MIN + 1)), business=draw(st.integers(1, MIN + 3)),
        consumers=draw(st.integers(40, 60)), new_customers=draw(st.integers(0, MIN + 1)),
        raw_answers=draw(st.integers(0, 2)), seed=draw(st.integers(0, 2**16)),
    )


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(designs())
def test_no_design_of_client_opens_a_subtraction(design):
    with tempfile.TemporaryDirectory() as folder:
        rep = run_report(write_client(design, Path(folder)), Path(folder))
    problems = leaks(rep) + check_data_quality(rep)
    assert not problems, f"{design}\n" + "\n".join(problems)


# --- weights ---------------------------------------------------------------------------------


@settings(max_examples=15, deadline=None)
@given(n=st.integers(MIN, 60), heavy=st.floats(1e2, 1e6), seed=st.integers(0, 2**16))
def test_a_weighted_figure_needs_an_effective_base_of_the_minimum(n, heavy, seed):
    # one respondent weighted `heavy` among n weighted 1: Kish (sum w)^2 / sum w^2 is close
    # to 1, and the weighted share is that one respondent's answer
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"role": ["staff"] * (n + 1) + ["management"] * MIN,
                          **{i: rng.integers(1, 11, size=n + 1 + MIN).astype(float)
                             for i in ITEMS[:3]},
                          "ltr": rng.integers(0, 11, size=n + 1 + MIN).astype(float),
                          "segment": ["consumer"] * (n + 1 + MIN),
                          "weight": [heavy] + [1.0] * (n + MIN)})
    survey = Survey(frame, CEM, min_group_size=MIN)
    shares = agreement(survey, weight="weight")
    score = nps(frame["ltr"], by=frame["role"], weight=frame["weight"], min_group_size=MIN)
    for table, base in ((shares, "n_effective"), (score, "n_eff")):
        kish = table[base]
        shown = table[[c for c in ("pct_agree", "nps") if c in table.columns][0]].notna()
        assert (kish[shown] >= MIN).all(), table[[base, "suppressed_reason"]]
        assert table.loc[kish < MIN, "suppressed"].all()
