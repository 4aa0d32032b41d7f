"""`cemlab init` and `cemlab instruments show`: setting up a new client from the command line;
`cemlab template` and `cemlab render --notebook`: a report notebook of the consultant's own.

Run through `cemlab.cli.main` on the demo data (data/*.csv) and a real Qualtrics export, and
once as a subprocess; every written params file must load with `load_params`, and `validate`
on it must say what is left.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from _io_fixtures import MINI, REALDATA, needs_realdata, sha256, write_csv, write_instrument
from hypothesis import given
from hypothesis import strategies as st
from test_instrument import STUDY_ITEMS

from cemlab import load_instrument, load_params
from cemlab.cli import main
from cemlab.instrument import SLUG_PATTERN
from cemlab.starter import client_slug, draft_params, write_params_file

ROOT = Path(__file__).resolve().parents[1]
CEM = load_instrument("cem-maturity")


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A consultant's project folder: data/ with two demo files; commands run from it."""
    (tmp_path / "data").mkdir()
    for name in ("brightmart.csv", "bank-wislany.csv"):
        shutil.copy(ROOT / "data" / name, tmp_path / "data" / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# -- instruments show ------------------------------------------------------------------------


def test_instruments_show_prints_ids_statements_and_dimensions(capsys):
    code, out, _ = run(capsys, "instruments", "show", "cem-maturity")
    assert code == 0
    for dim in CEM.dimensions:
        assert f"{dim.title} (dimension {dim.id})" in out
        for item in dim.items:
            # the study's own statements (test_instrument.STUDY_ITEMS, from the tables)
            # are marked so, the others as cemlab's; the two the study paraphrased say so
            mark = "[written for cemlab]"
            if item.id in STUDY_ITEMS:
                mark = "[study, paraphrased]" if item.paraphrased else "[study]"
            assert any(line.split() == [item.id, *item.text.split(), *mark.split()]
                       for line in out.splitlines()), item.id
    assert out.count("[study, paraphrased]") == 2
    assert "[study]: the study's own statement" in out
    assert "Scale 1-10 (disagree 1-4, neutral 5-6, agree 7-10)" in out
    assert "Group column 'role': levels management, staff" in out
    code, out, _ = run(capsys, "instruments", "show", "customer-feedback")
    assert "ltr" in out and "Recommend question (Net Promoter Score, 0-10)" in out
    code, out, _ = run(capsys, "instruments")  # the list is still there
    assert code == 0 and "cem-maturity: " in out and "customer-feedback: " in out


def test_instruments_show_a_file_and_an_unknown_name(capsys, tmp_path):
    code, out, _ = run(capsys, "instruments", "show", str(write_instrument(tmp_path)))
    assert code == 0 and "  q1  Leaders make decisions that fit our strategy" in out
    code, _, err = run(capsys, "instruments", "show", "cem-maturty")
    assert code == 1 and "Fix: use 'cem-maturity', the closest built-in name" in err
    assert "Traceback" not in err


# -- init on the demo data -------------------------------------------------------------------


def test_init_on_demo_data_writes_params_that_validate(capsys, project):
    code, out, err = run(capsys, "init", "data/brightmart.csv")
    assert (code, err) == (0, "")
    path = project / "params" / "brightmart.yaml"
    assert out.startswith("Wrote params/brightmart.yaml (instrument cem-maturity):")
    assert "questions matched: 21 of 21" in out
    text = path.read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    assert raw["data"] == "../data/brightmart.csv"  # relative to the params file
    params = load_params(path)
    assert params.client == "brightmart" and params.data == project / "data" / "brightmart.csv"
    assert params.columns == {"respondent_id": "respondent_id", "role": "role",
                              **{i: i for i in CEM.item_ids}, "segment": "segment",
                              "wave": "wave"}
    # the labels found, with counts pandas gives for the same file
    counts = pd.read_csv(project / "data" / "brightmart.csv")["role"].value_counts()
    assert params.group_labels == {"management": ["management"], "staff": ["staff"]}
    assert f"management: [management]  # {counts['management']} respondents" in text
    assert f"staff: [staff]  # {counts['staff']} respondents" in text
    assert run(capsys, "validate", str(path))[0] == 0


def test_init_matches_the_polish_statements_of_a_polish_file(capsys, project):
    # bank-wislany.csv is headed "P1. Liderzy podejmują decyzje ...": cem-maturity's Polish
    # statements, numbered, in a Windows-1250 file; every question matches without a mapping
    code, out, _ = run(capsys, "init", "data/bank-wislany.csv")
    assert code == 0 and "questions matched: 21 of 21" in out
    path = project / "params" / "bank-wislany.yaml"
    text = path.read_text(encoding="utf-8")
    assert "management: [Zarząd, Kierownictwo]  # 35 respondents (Zarząd 18, Kierownictwo 17)" \
        in text
    params = load_params(path)
    assert params.group_labels == {"management": ["Zarząd", "Kierownictwo"],
                                   "staff": ["Pracownik"]}
    assert run(capsys, "validate", str(path))[0] == 0


def test_init_drafts_numbered_headers_it_cannot_read_as_comments_to_check(capsys, project):
    # the same file with statements in words no instrument carries: only the numbers match
    source = project / "data" / "bank-wislany.csv"
    raw = source.read_bytes().decode("cp1250").splitlines()
    header = ";".join(cell.split(". ", 1)[0] + ". pytanie" if cell[:1] == "P" else cell
                      for cell in raw[0].split(";"))
    numbered = project / "data" / "bank-numbered.csv"
    numbered.write_bytes("\r\n".join([header, *raw[1:]]).encode("cp1250"))
    code, out, _ = run(capsys, "init", "data/bank-numbered.csv")
    assert code == 0 and "questions matched: 0 of 21" in out
    path = project / "params" / "bank-numbered.yaml"
    text = path.read_text(encoding="utf-8")
    assert "  # lead_decisions: P1. pytanie  # 'Leaders make decisions" in text
    # validate on the draft tells what is left...
    code, out, _ = run(capsys, "validate", str(path))
    assert code == 1 and "none of the 21 questions of instrument 'cem-maturity'" in out
    # ...and once the consultant has checked the numbered lines and kept them, it passes
    checked = "\n".join(line.replace("  # ", "  ", 1) if "its question number" in line else line
                        for line in text.splitlines())
    path.write_text(checked + "\n", encoding="utf-8")
    assert len(load_params(path).columns) == 22
    assert run(capsys, "validate", str(path))[0] == 0


def test_init_never_replaces_a_params_file_unless_forced(capsys, project):
    assert run(capsys, "init", "data/brightmart.csv")[0] == 0
    path = project / "params" / "brightmart.yaml"
    path.write_text("# my edits\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    before = path.read_bytes()
    code, out, err = run(capsys, "init", "data/brightmart.csv")
    assert (code, out) == (1, "")
    assert err == ("cemlab init: error: params/brightmart.yaml already exists; cemlab init "
                   "never replaces a params file. Fix: edit that file, give another --client "
                   "or --output, or add --force to replace it\n")
    assert path.read_bytes() == before
    assert run(capsys, "init", "data/brightmart.csv", "--force")[0] == 0
    assert not path.read_text(encoding="utf-8").startswith("# my edits")
    assert run(capsys, "init", "data/brightmart.csv", "--client", "bm-2026")[0] == 0
    assert load_params(project / "params" / "bm-2026.yaml").client == "bm-2026"
    assert sorted(p.name for p in (project / "params").iterdir()) == [
        "bm-2026.yaml", "brightmart.yaml"]  # no temporary file left behind


def test_an_interrupted_init_leaves_no_file_and_the_old_one_intact(project, monkeypatch):
    starter = draft_params("data/brightmart.csv")

    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_params_file(starter)
    assert list((project / "params").iterdir()) == []
    (project / "params" / "brightmart.yaml").write_text("old", encoding="utf-8")
    with pytest.raises(KeyboardInterrupt):
        write_params_file(starter, force=True)
    assert [p.name for p in (project / "params").iterdir()] == ["brightmart.yaml"]
    assert (project / "params" / "brightmart.yaml").read_text(encoding="utf-8") == "old"


def test_init_output_elsewhere_keeps_the_data_path_relative_to_it(capsys, project):
    out_file = project / "clients" / "2026" / "acme.yaml"
    assert run(capsys, "init", "data/brightmart.csv", "-o", str(out_file))[0] == 0
    assert yaml.safe_load(out_file.read_text(encoding="utf-8"))["data"] == \
        "../../data/brightmart.csv"
    assert load_params(out_file).data == project / "data" / "brightmart.csv"


def test_init_leaves_two_role_columns_for_the_consultant(capsys, project):
    write_csv(project / "data" / "acme.csv",
              [["Role", *CEM.item_ids, "role"], ["staff", *[5] * 21, "management"]])
    assert run(capsys, "init", "data/acme.csv")[0] == 0
    text = (project / "params" / "acme.yaml").read_text(encoding="utf-8")
    assert "  # role: Role  # 2 columns could be it: 'Role', 'role'; keep the right one" in text
    assert "role" not in load_params(project / "params" / "acme.yaml").columns


def test_init_writes_any_label_text_so_that_it_reads_back(capsys, project):
    # YAML-hostile labels: a bool word, a colon and hash, a leading dash, quotes, "null"
    spec = json.loads(json.dumps(MINI))
    hostile = ["yes", "Boss: #1", "- crew", "'quoted' \"both\"", "null", "[x]"]
    spec["groups"]["labels"] = {"management": hostile[:3], "staff": hostile[3:]}
    instrument = write_instrument(project / "data", spec)
    rows = [["role", "q1", "q2", "q3"], *[[label, 1, 2, 3] for label in hostile],
            ["Team: lead", 1, 2, 3]]
    write_csv(project / "data" / "odd.csv", rows)
    assert run(capsys, "init", "data/odd.csv", "--instrument", str(instrument))[0] == 0
    params = load_params(project / "params" / "odd.yaml")
    assert params.instrument == str(instrument)
    assert {level: sorted(labels) for level, labels in params.group_labels.items()} == {
        "management": sorted(hostile[:3]), "staff": sorted(hostile[3:])}
    text = (project / "params" / "odd.yaml").read_text(encoding="utf-8")
    assert "  # <level>: ['Team: lead']  # 1 respondents with a label of no level" in text


@given(st.text(min_size=0, max_size=40))
def test_the_client_slug_from_any_file_name_is_a_valid_slug(name):
    import re

    assert re.fullmatch(SLUG_PATTERN, client_slug(f"{name}.csv"))


def test_client_slug_examples():
    assert client_slug("Bank Wiślany 2026 (final).xlsx") == "bank-wislany-2026-final"
    assert client_slug("data/ACME_export.csv") == "acme-export"
    assert client_slug("???.csv") == "client"


# -- a real export, and the installed command ------------------------------------------------


@needs_realdata
def test_init_on_a_real_qualtrics_export(capsys, project):
    # SOURCE.md: a Qualtrics test survey (Q1 multiple choice, Q2 free text, ResponseId), not
    # this instrument: nothing but the respondent id can be placed, and validate says so
    source = REALDATA / "qualtrics-export" / "sample.csv"
    before = sha256(source)
    code, out, _ = run(capsys, "init", str(source))
    assert code == 0 and "questions matched: 0 of 21" in out
    assert "group column (role): not found" in out
    path = project / "params" / "sample.yaml"
    params = load_params(path)
    assert params.columns == {"respondent_id": "ResponseId"}
    assert params.data == source.resolve()
    text = path.read_text(encoding="utf-8")
    assert text.count("not found; closest:") == 21
    assert "# Columns of the file not used: StartDate, EndDate," in text
    code, out, _ = run(capsys, "validate", str(path))
    assert code == 1 and "none of the 21 questions of instrument 'cem-maturity' was found " \
        "among the 20 columns" in out
    assert sha256(source) == before


def test_init_as_a_command(project):
    result = subprocess.run(
        [sys.executable, "-m", "cemlab.cli", "init", "data/brightmart.csv"],
        capture_output=True, text=True, cwd=project, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Wrote params/brightmart.yaml" in result.stdout
    again = subprocess.run(
        [sys.executable, "-m", "cemlab.cli", "init", "data/brightmart.csv"],
        capture_output=True, text=True, cwd=project, timeout=120)
    assert again.returncode == 1 and "already exists" in again.stderr
    assert "Traceback" not in again.stderr


# -- a report notebook of one's own: template and render --notebook --------------------------


def _one_line_error(err: str, command: str) -> str:
    assert err.startswith(f"cemlab {command}: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


def test_template_writes_the_built_in_report_and_never_replaces_a_file_unless_forced(
        capsys, project):
    from cemlab.render import DEFAULT_NOTEBOOK

    code, out, _ = run(capsys, "template", "reports/my_report.ipynb")  # a new folder too
    path = project / "reports" / "my_report.ipynb"
    assert code == 0 and out.startswith(f"wrote {Path('reports/my_report.ipynb')}: ")
    assert "cemlab render params/ --notebook reports/my_report.ipynb" in out
    assert path.read_bytes() == DEFAULT_NOTEBOOK.read_bytes()
    assert path.stat().st_mode & 0o777 == 0o644
    path.write_text('{"my": "edits"}', encoding="utf-8")
    code, out, err = run(capsys, "template", "reports/my_report.ipynb")
    assert (code, out) == (1, "")
    assert "already exists; it is kept" in _one_line_error(err, "template")
    assert path.read_text(encoding="utf-8") == '{"my": "edits"}'
    assert run(capsys, "template", "reports/my_report.ipynb", "--force")[0] == 0
    assert path.read_bytes() == DEFAULT_NOTEBOOK.read_bytes()
    code, _, err = run(capsys, "template", "reports/my_report")
    assert code == 1 and "Fix: give reports/my_report.ipynb" in _one_line_error(err, "template")
    code, _, err = run(capsys, "template", "reports")
    assert code == 1 and "Fix: give reports.ipynb" in err
    assert sorted(p.name for p in (project / "reports").iterdir()) == ["my_report.ipynb"]


def test_an_interrupted_template_leaves_no_file_and_the_old_one_intact(project, monkeypatch):
    from cemlab.render import write_report_template

    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_report_template("mine.ipynb")
    assert not (project / "mine.ipynb").exists()
    (project / "mine.ipynb").write_text("old", encoding="utf-8")
    with pytest.raises(KeyboardInterrupt):
        write_report_template("mine.ipynb", force=True)
    assert (project / "mine.ipynb").read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in project.iterdir()) == ["data", "mine.ipynb"]


def test_render_runs_a_consultants_own_notebook_with_the_clients_parameters(capsys, tmp_path):
    import nbformat
    from test_render import mini_notebook, write_client

    params = write_client(tmp_path, "acme", title="Acme & Sons survey")
    notebook = mini_notebook(tmp_path / "our_report.ipynb")
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.insert(2, nbformat.v4.new_markdown_cell("## Our own section\n\nWritten by us."))
    nbformat.write(nb, notebook)
    code, out, err = run(capsys, "render", str(params), "--notebook", str(notebook),
                         "--reports", str(tmp_path / "reports"), "--no-progress")
    assert code == 0, out + err
    page = (tmp_path / "reports" / "acme" / "report.html").read_text(encoding="utf-8")
    assert "Our own section" in page and "Written by us." in page
    assert "Acme &amp; Sons survey" in page  # the client's title reached the notebook
    audit = nbformat.read(tmp_path / "reports" / "acme" / "report.ipynb", as_version=4)
    assert audit.metadata.papermill.input_path == "our_report.ipynb"


def test_render_refuses_a_notebook_it_cannot_give_a_clients_values_to(capsys, tmp_path):
    import nbformat
    from test_render import mini_notebook, write_client

    params = write_client(tmp_path, "acme")
    untagged = mini_notebook(tmp_path / "untagged.ipynb")
    nb = nbformat.read(untagged, as_version=4)
    for cell in nb.cells:
        cell.metadata.pop("tags", None)
    nbformat.write(nb, untagged)
    (tmp_path / "notes.ipynb").write_text("# notes, not a notebook\n", encoding="utf-8")
    reports = tmp_path / "reports"
    expected = {
        "untagged.ipynb": "untagged.ipynb: no cell is tagged 'parameters'",
        "notes.ipynb": "notes.ipynb: not a Jupyter notebook (",
        "missing.ipynb": "missing.ipynb: no such notebook. Fix: give the path of your report "
                         f"notebook, or write a copy of the built-in one to start from with: "
                         f"cemlab template {tmp_path / 'missing.ipynb'}",
    }
    for name, message in expected.items():
        code, out, err = run(capsys, "render", str(params), "--notebook", str(tmp_path / name),
                             "--reports", str(reports), "--no-progress")
        assert (code, out) == (1, ""), name
        assert message in _one_line_error(err, "render")
    assert not reports.exists()  # refused before anything was written


def test_a_copy_of_the_built_in_template_renders_a_demo_client_from_elsewhere(capsys, project):
    # the copy lives in the consultant's folder, not beside the package: nothing in it may
    # depend on where the built-in one lies (its parameters cell's demo paths are replaced)
    (project / "params").mkdir()
    shutil.copy(ROOT / "params" / "brightmart.yaml", project / "params")
    assert run(capsys, "template", "templates/ours.ipynb")[0] == 0
    code, out, err = run(capsys, "render", "params/", "--notebook", "templates/ours.ipynb",
                         "--no-progress")
    assert code == 0, out + err
    assert "ok       brightmart" in out
    report = project / "reports" / "brightmart"
    assert "Brightmart" in (report / "report.html").read_text(encoding="utf-8")
    assert (report / "tables" / "scorecard.csv").is_file()
