"""Every notebook in notebooks/ (and the report notebook the package ships, in
cemlab/notebooks/) runs top to bottom with its default parameters.

Run with papermill under pytest rather than ``pytest --nbval-lax``: `make test` runs plain
pytest with ``testpaths = tests``, papermill is what ``cemlab render`` uses, and a failure
names the cell and the error. Each notebook runs once, in a fresh kernel from its own folder,
as it would in JupyterLab; the tests below then read what the executed notebook shows (the
client report's numbers are checked in test_render.py).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pandas as pd
import papermill
import pytest

from cemlab.study import reproduce_2008

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS_DIR = ROOT / "notebooks"
PACKAGED_DIR = ROOT / "cemlab" / "notebooks"
NOTEBOOKS = sorted([*NOTEBOOKS_DIR.glob("*.ipynb"), *PACKAGED_DIR.glob("*.ipynb")])
BY_NAME = {p.name: p for p in NOTEBOOKS}
_EXECUTED: dict[str, nbformat.NotebookNode | str] = {}


def executed(name: str, tmp_path_factory: pytest.TempPathFactory) -> nbformat.NotebookNode:
    """The notebook run once per test session; a failure names the cell and the error."""
    if name not in _EXECUTED:
        out = tmp_path_factory.mktemp("notebooks") / name
        try:
            papermill.execute_notebook(
                str(BY_NAME[name]),
                str(out),
                kernel_name="python3",
                cwd=str(BY_NAME[name].parent),
                progress_bar=False,
                execution_timeout=300,
            )
            _EXECUTED[name] = nbformat.read(out, as_version=4)
        except papermill.PapermillExecutionError as exc:
            _EXECUTED[name] = f"{name}, cell {exc.exec_count}: {exc.ename}: {exc.evalue}"
    result = _EXECUTED[name]
    if isinstance(result, str):
        pytest.fail(result)
    return result


def tagged_output(nb: nbformat.NotebookNode, tag: str, mime: str = "text/html") -> str:
    cell = next(c for c in nb.cells if tag in c.metadata.get("tags", []))
    return "".join(o.get("data", {}).get(mime, "") for o in cell.outputs)


def test_there_are_notebooks_to_run():
    names = {p.name for p in NOTEBOOKS}
    assert {"client_report.ipynb", "polish_study_2008.ipynb", "workshop.ipynb",
            "explore.ipynb"} <= names


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_committed_without_outputs(notebook: Path):
    nb = nbformat.read(notebook, as_version=4)
    dirty = [
        i for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and (c.outputs or c.execution_count)
    ]
    assert not dirty, f"{notebook.name}: cells {dirty} hold outputs; clear them before committing"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_with_default_parameters(notebook: Path, tmp_path_factory):
    nb = executed(notebook.name, tmp_path_factory)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_has_a_parameters_cell(notebook: Path):
    nb = nbformat.read(notebook, as_version=4)
    assert any("parameters" in c.metadata.get("tags", []) for c in nb.cells), notebook.name


def test_reproduction_notebook_shows_every_figure_ok(tmp_path_factory):
    # issue 5: "for every row: the sentence, the published figure, the reproduced figure, and
    # OK or not - every row OK". The rows are reproduce_2008's, the shown table is the cell's.
    shown = tagged_output(executed("polish_study_2008.ipynb", tmp_path_factory), "reproduction")
    rows = reproduce_2008()
    assert len(rows) >= 12 and rows["ok"].all()
    assert shown.count(">OK<") == len(rows)
    assert "NOT OK" not in shown
    for figure in [f"F{i}" for i in range(1, 13)]:
        assert f">{figure}<" in shown
    assert "63%" in shown and "62.9%" in shown  # F1 management: published and reproduced


def test_workshop_covers_the_ten_practices_and_renders_as_slides(tmp_path_factory):
    from nbconvert import SlidesExporter

    nb = executed("workshop.ipynb", tmp_path_factory)
    shown = [
        "".join(o.get("data", {}).get("text/html", "") for o in c.outputs)
        for c in nb.cells
        if c.cell_type == "code" and ("practice_brief" in c.source or "brief." in c.source)
    ]
    # each practice's brief, shown a part at a time (a slide each): statements, study, data
    assert sum("practice_brief" in c.source for c in nb.cells if c.cell_type == "code") == 10
    for part in ("The statements", "What the 2008 study found", "What the data show"):
        assert sum(part in html for html in shown) == 10, part
    charts = [
        c for c in nb.cells
        if c.cell_type == "code" and "practice_view" in c.source
        and any("image/png" in o.get("data", {}) for o in c.outputs)
    ]
    assert len(charts) == 10
    exercises = [c for c in nb.cells if c.cell_type == "markdown" and "Exercise" in c.source]
    assert len(exercises) >= 10
    slides, _ = SlidesExporter(exclude_input=True).from_notebook_node(nb)
    # one slide per practice, plus the title, how-to-read, summary and closing slides
    assert slides.count("<section") >= 14
    assert "Measuring the experience" in slides


def test_explore_runs_on_a_client_without_feedback_and_with_a_small_group(tmp_path):
    # Brightmart: 4 managers (suppressed), no customer feedback, no previous wave; the
    # notebook's NPS and trend cells must say so instead of failing
    out = tmp_path / "explore.ipynb"
    try:
        papermill.execute_notebook(
            str(NOTEBOOKS_DIR / "explore.ipynb"), str(out), kernel_name="python3",
            cwd=str(NOTEBOOKS_DIR), progress_bar=False, execution_timeout=300,
            parameters={"params": "../params/brightmart.yaml"},
        )
    except papermill.PapermillExecutionError as exc:
        pytest.fail(f"explore.ipynb on brightmart, cell {exc.exec_count}: "
                    f"{exc.ename}: {exc.evalue}")
    text = "".join(o.get("text", "") for c in nbformat.read(out, as_version=4).cells
                   for o in c.get("outputs", []))
    assert "No customer feedback in this client's params." in text
    assert "No previous wave in this client's params." in text
    assert "Below min_group_size 5: management" in text


def test_explore_weighs_the_same_drivers_as_the_report(tmp_path):
    """explore.ipynb's drivers table is the report's, figure for figure (issue 11 §9).

    Both run on kestrel-mobile, explore's default client: the report through `render_client`
    (its tables/*.csv), explore with papermill and one extra cell, added to a copy here, that
    saves the table it showed. Once they disagreed: explore weighed overall satisfaction as a
    driver, so customer service had 25.4% of the recommend score there and 53.8% in the report.
    """
    from cemlab.render import render_client

    result = render_client(ROOT / "params" / "kestrel-mobile.yaml", tmp_path / "reports")
    assert result.status == "ok", result.reason
    tables = tmp_path / "reports" / "kestrel-mobile" / "tables"

    nb = nbformat.read(NOTEBOOKS_DIR / "explore.ipynb", as_version=4)
    shown = tmp_path / "explore_drivers.csv"
    nb.cells.append(nbformat.v4.new_code_cell(f"quadrants.to_csv({str(shown)!r}, index=False)"))
    copy = tmp_path / "explore.ipynb"
    nbformat.write(nb, copy)
    papermill.execute_notebook(str(copy), str(tmp_path / "explore.out.ipynb"),
                               kernel_name="python3", cwd=str(NOTEBOOKS_DIR), progress_bar=False,
                               execution_timeout=300,
                               parameters={"params": str(ROOT / "params" / "kestrel-mobile.yaml")})

    explore = pd.read_csv(shown).set_index("driver")
    report = pd.read_csv(tables / "importance_performance.csv").set_index("driver")
    shares = pd.read_csv(tables / "drivers.csv").set_index("driver")
    assert "sat_overall" not in explore.index and len(explore) >= 2
    assert explore.index.tolist() == report.index.tolist()
    for column in ("importance", "importance_ci_low", "importance_ci_high", "performance", "n"):
        assert explore[column].tolist() == pytest.approx(report[column].tolist()), column
    assert explore["importance"].tolist() == pytest.approx(
        shares.loc[explore.index, "share_pct"].tolist())
