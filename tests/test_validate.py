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
