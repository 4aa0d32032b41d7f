"""Every notebook in notebooks/ runs top to bottom with its default parameters.

Run with papermill under pytest rather than ``pytest --nbval-lax``: `make test` runs plain
pytest with ``testpaths = tests``, papermill is what ``cemlab render`` uses, and a failure
names the cell and the error. Each notebook runs in a fresh kernel from its own folder, as it
would in JupyterLab. This checks that it runs, not its outputs: the report's numbers are
checked in test_render.py.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks_to_run():
    assert NOTEBOOKS, "notebooks/ holds no notebook"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_committed_without_outputs(notebook: Path):
    nb = nbformat.read(notebook, as_version=4)
    dirty = [
        i for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and (c.outputs or c.execution_count)
    ]
    assert not dirty, f"{notebook.name}: cells {dirty} hold outputs; clear them before committing"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_with_default_parameters(notebook: Path, tmp_path: Path):
    try:
        papermill.execute_notebook(
            str(notebook),
            str(tmp_path / notebook.name),
            kernel_name="python3",
            cwd=str(notebook.parent),
            progress_bar=False,
            execution_timeout=300,
        )
    except papermill.PapermillExecutionError as exc:
        pytest.fail(f"{notebook.name}, cell {exc.exec_count}: {exc.ename}: {exc.evalue}")
