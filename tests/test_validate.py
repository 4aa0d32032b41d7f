"""`cemlab validate`: the data-quality summary and the exit codes 0 / 1 / 2, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from _io_fixtures import sha256, write_csv, write_instrument

from cemlab.validate import validate_params_file

CEMLAB = Path(sys.executable).parent / "cemlab"
HEADER = ["id", "role", "q1", "q2", "q3"]


def make_client(folder: Path, rows, **keys) -> Path:
    write_instrument(folder)
    write_csv(folder / "survey.csv", [HEADER, *rows])
    params = {"client": "acme", "title": "Acme", "data": "survey.csv",
              "instrument": "mini.yaml"} | keys
    path = folder / "acme.yaml"
    path.write_text(yaml.safe_dump(params), encoding="utf-8")
    return path


def good_rows(n_management=5, n_staff=6):
    return ([[f"m{i}", "management", 4, 4, 5] for i in range(n_management)]
            + [[f"s{i}", "staff", 2, 3, 3] for i in range(n_staff)])


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(CEMLAB), *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_summary_of_analysable_data_lists_what_was_lost_and_why(tmp_path):
    rows = good_rows() + [
        ["x1", "Intern", 3, 3, 3],          # row 13: unknown group label -> excluded
        ["m0", "staff", 1, 1, 1],           # row 14: duplicate id -> excluded
        ["s9", "staff", "nie wiem", 9, 2],  # row 15: don't know + out of range -> missing
        ["s8", "staff", 3, 3, None],        # row 16: a blank answer, counted, not listed
    ]
    path = make_client(tmp_path, rows, min_group_size=3)
    report = validate_params_file(path)
    assert report.ok
    summary = report.summary()
    for line in (
        f"Survey data: {tmp_path / 'survey.csv'}",
        "Read as: CSV table, UTF-8, ',' delimited, 1 header row, 15 data rows, 5 columns",
        "Respondents read: 15; excluded: 2; analysed: 13",
        "Groups: management 5, staff 8",
        "Below min_group_size 3: none",
        (
            "survey.csv, row 13, column 'role': respondent excluded: unknown group label "
            "(value 'Intern')"
        ),
        (
            "survey.csv, row 14, column 'id': respondent excluded: repeated respondent id "
            "(first in row 2)"
        ),
        "Excluded rows (2): 1 x unknown group label, 1 x repeated respondent id",
        "Answers set missing (2):",
        "1 x 'nie wiem' means no answer (q1: 1)",
        "1 x outside the 1-5 scale (q2: 1)",
        "Missing answers per item (blank or set missing): 0 of 3 items complete:",
        "q1                            1 (7.7%: 0 blank, 1 set missing)",
        "q3                            1 (7.7%: 1 blank, 0 set missing)",
        "Result: the data can be analysed.",
    ):
        assert line in summary, line


def test_small_groups_are_named_and_no_large_group_is_not_analysable(tmp_path):
    report = validate_params_file(make_client(tmp_path, good_rows(2, 6)))
    assert report.ok
    assert "Below min_group_size 5: management (2) - results suppressed" in report.summary()

    report = validate_params_file(make_client(tmp_path, good_rows(2, 3)))
    assert not report.ok
    assert "Result: NOT analysable:" in report.summary()
    assert "survey data: no group reaches min_group_size 5 (management 2, staff 3)" in \
        report.summary()


def test_a_data_error_makes_the_report_not_ok_with_its_message(tmp_path):
    path = make_client(tmp_path, good_rows())
    write_csv(tmp_path / "survey.csv", [["id", "role", "q1", "q_2x", "q3"], ["a", "staff", 1, 2,
                                                                            3]])
    report = validate_params_file(path)
    assert not report.ok
    summary = report.summary()
    assert "  cannot be read (the reason is below)" in summary
    assert f"Result: NOT analysable:\n  survey data: {tmp_path / 'survey.csv'}: 1 question(s) " \
        "of instrument 'mini' not found: q2" in summary
    assert "closest columns: 'q_2x'" in summary


def test_a_params_error_makes_the_report_not_ok_with_its_message(tmp_path):
    path = make_client(tmp_path, good_rows(), min_groupsize=3)
    report = validate_params_file(path)
    assert not report.ok and report.params is None
    assert report.summary() == (
        f"NOT analysable: {path}: key 'min_groupsize': unknown key (check its spelling against "
        "the README). Fix: use 'min_group_size', the closest known key"
    )


def test_cli_exit_0_when_analysable(tmp_path):
    path = make_client(tmp_path, good_rows())
    data = tmp_path / "survey.csv"
    before = sha256(data)
    result = run_cli("validate", str(path))
    assert result.returncode == 0, result.stderr
    assert "Respondents read: 11; excluded: 0; analysed: 11" in result.stdout
    assert "Traceback" not in result.stderr
    assert sha256(data) == before  # validate never writes to the client's file


@pytest.mark.parametrize(
    "problem, expected",
    [
        ("not-analysable", "no group reaches min_group_size 5"),
        ("data-error", "no group column 'role'"),
        ("params-error", "key 'data': no such file"),
        ("data-folder", "is a folder, but data needs a file"),
    ],
)
def test_cli_exit_1_with_a_clear_message(tmp_path, problem, expected):
    path = make_client(tmp_path, good_rows(2, 2))
    if problem == "data-error":
        write_csv(tmp_path / "survey.csv", [["id", "Rolle", "q1", "q2", "q3"], ["a", "x", 1, 2,
                                                                               3]])
    elif problem == "params-error":
        path.write_text(yaml.safe_dump({"client": "acme", "title": "Acme", "data": "nowhere.csv"}))
    elif problem == "data-folder":
        path.write_text(yaml.safe_dump({"client": "acme", "title": "Acme", "data": "."}))
    result = run_cli("validate", str(path))
    assert result.returncode == 1
    assert expected in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [["validate"], ["validate", "a.yaml", "b.yaml"], ["--bogus"]])
def test_cli_exit_2_on_usage_errors(args):
    result = run_cli(*args)
    assert result.returncode == 2
    assert "usage: cemlab" in result.stderr and "Traceback" not in result.stderr


def test_cli_exit_2_when_the_params_path_is_not_a_file(tmp_path):
    # nothing to validate: a usage error, on stderr, not a "NOT analysable" verdict on stdout
    make_client(tmp_path, good_rows())
    result = run_cli("validate", str(tmp_path))
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"cemlab validate: error: {tmp_path} is a folder; validate checks one params file. Fix: "
        "give the client's params YAML; the folder holds acme.yaml, mini.yaml\n"
    )
    result = run_cli("validate", str(tmp_path / "acme.yml"))
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"cemlab validate: error: {tmp_path / 'acme.yml'}: no such params file. Fix: check the "
        f"path; similar names in {tmp_path}: acme.yaml\n"
    )
    result = run_cli("validate", "/nonexistent.yaml")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "cemlab validate: error: /nonexistent.yaml: no such params file. Fix: check the path\n"
    )


# --- validate loads what render loads (issue 10 §2) ----------------------------------------


def test_validate_reads_the_params_as_the_report_notebook_does(tmp_path):
    """A previous wave's feedback inherits the main feedback's own instrument: validate and the
    notebook (which reads render's parameters back) must both read it so."""
    from cemlab.params import data_files, load_params
    from cemlab.report import load_report_client
    from cemlab.validate import as_the_report_reads

    write_instrument(tmp_path)
    feedback_instrument = tmp_path / "mini.yaml"
    rows = [HEADER, *good_rows()]
    write_csv(tmp_path / "survey.csv", rows)
    write_csv(tmp_path / "fb.csv", rows)
    write_csv(tmp_path / "fb-2025.csv", rows)
    path = tmp_path / "acme.yaml"
    path.write_text(yaml.safe_dump({
        "client": "acme", "title": "Acme", "data": "survey.csv", "instrument": "mini.yaml",
        "feedback": {"data": "fb.csv", "instrument": "mini.yaml"},
        "previous": {"data": "survey.csv", "feedback": "fb-2025.csv"},
    }))
    params = load_params(path)
    [*_, previous_feedback] = data_files(params)
    assert previous_feedback.instrument == str(feedback_instrument)  # inherited
    assert data_files(as_the_report_reads(params)) == data_files(params)
    for relative in (False, True):
        values = params.notebook_parameters(relative=relative)
        client = load_report_client(values, folder=tmp_path)
        assert client.previous_feedback.instrument.name == "mini"
    report = validate_params_file(path)
    assert report.ok, report.problems


def test_relative_notebook_parameters_name_the_files_as_the_params_do(tmp_path):
    from cemlab.params import load_params

    (tmp_path / "params").mkdir()
    write_instrument(tmp_path)
    write_csv(tmp_path / "survey.csv", [HEADER, *good_rows()])
    (tmp_path / "bench.csv").write_text("not,a,benchmark\n")
    path = tmp_path / "params" / "acme.yaml"
    path.write_text(yaml.safe_dump({
        "client": "acme", "title": "Acme", "data": "../survey.csv", "instrument": "../mini.yaml",
        "benchmark": "../bench.csv", "previous": {"data": "../survey.csv"},
    }))
    values = load_params(path).notebook_parameters(relative=True)
    assert values["data"] == values["previous"]["data"] == "../survey.csv"
    assert values["instrument"] == "../mini.yaml" and values["benchmark"] == "../bench.csv"
    assert values["params_file"] is None
    assert str(tmp_path) not in repr(values)


@pytest.mark.parametrize("content, expected", [
    (b"respondent_id,role,q1\n1,staff,3\n", "missing columns"),  # a survey, not a benchmark
    (b"\xff\xfe\x00\x01binary", "is not a benchmark CSV (UnicodeDecodeError"),
])
def test_a_benchmark_that_is_not_a_benchmark_csv_is_not_analysable(tmp_path, content,
                                                                   expected):
    (tmp_path / "bench.csv").write_bytes(content)
    path = make_client(tmp_path, good_rows(), benchmark="bench.csv")
    report = validate_params_file(path)
    assert not report.ok
    [problem] = report.problems
    assert "benchmark" in problem and expected in problem and "Fix:" in problem
    result = run_cli("validate", str(path))
    assert result.returncode == 1 and "Traceback" not in result.stderr


def test_a_path_that_cannot_be_followed_is_not_analysable(tmp_path):
    (tmp_path / "loop1").symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(tmp_path / "loop1")
    long_name = "x" * 300 + ".csv"  # longer than a file name may be
    for data in ("loop1", long_name):
        path = tmp_path / "acme.yaml"
        path.write_text(yaml.safe_dump({"client": "acme", "title": "Acme", "data": data}))
        report = validate_params_file(path)
        assert not report.ok and "Fix:" in report.problems[0], data
