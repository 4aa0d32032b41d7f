"""Faults never pass for success and never cost a good report (issue 10 §1).

The signal tests run ``cemlab render`` as a subprocess in a session of its own, on copies of
the demo clients in tmp_path whose folders hold an "old report" made up for the test, and
send the signal the way a terminal or a supervisor would. "No kernel left" is checked on the
render process's own tree (other renders may run on this machine at the same time): every
descendant seen while it ran must be gone after it exits.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
import yaml
from test_render import mini_notebook, write_client

from cemlab import render
from cemlab.cli import main as cli_main

REPO = Path(__file__).resolve().parents[1]
CEMLAB = Path(sys.executable).with_name("cemlab")
#: Seconds an interrupted render may take to exit (the issue: "within seconds").
EXIT_WITHIN = 30
#: Seconds to wait for a render to reach the point a test interrupts.
START_WITHIN = 180

linux_only = pytest.mark.skipif(
    not Path("/proc/self/stat").is_file(), reason="reads the process tree from /proc (Linux)"
)


# --- the process tree, from /proc --------------------------------------------------------


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name: [state, ppid, ..., starttime, ...]."""
    try:
        return (Path(f"/proc/{pid}/stat").read_text()).rpartition(")")[2].split()
    except OSError:
        return None


def descendants(pid: int) -> dict[int, str]:
    """Every live descendant of ``pid``, with its start time (so a reused pid is not it)."""
    children: dict[int, list[int]] = {}
    started: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
            started[int(entry.name)] = fields[19]
    found, todo = {}, list(children.get(pid, []))
    while todo:
        child = todo.pop()
        found[child] = started[child]
        todo.extend(children.get(child, []))
    return found


def parent(pid: int) -> int | None:
    fields = _stat(pid)
    return int(fields[1]) if fields else None


def still_running(processes: dict[int, str]) -> list[int]:
    left = []
    for pid, started in processes.items():
        fields = _stat(pid)
        if fields is not None and fields[19] == started and fields[0] != "Z":
            left.append(pid)
    return left


def cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


# --- demo clients, copied, with an old report each ---------------------------------------


def demo_copy(folder: Path, clients: tuple[str, ...]) -> tuple[Path, Path]:
    """Copies of demo params and data under ``folder``; returns (params folder, reports)."""
    params, data, reports = folder / "params", folder / "data", folder / "reports"
    params.mkdir()
    data.mkdir()
    for client in clients:
        shutil.copy(REPO / "params" / f"{client}.yaml", params)
        for csv in (REPO / "data").glob(f"{client}*.csv"):
            shutil.copy(csv, data)
    reports.mkdir()
    return params, reports


def old_report(reports: Path, client: str) -> dict[str, bytes]:
    """A previous good report of ``client``, as a run before this one left it; its contents."""
    folder = reports / client
    (folder / "tables").mkdir(parents=True)
    (folder / "report.html").write_text(f"<p>old report of {client}</p>")
    (folder / "report.ipynb").write_text("{}")
    (folder / "inputs.sha256").write_text("0" * 64 + "\n")
    (folder / "tables" / "key_figures.csv").write_text("figure,value\n")
    return snapshot(folder)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def staging_folders(reports: Path) -> list[str]:
    return sorted(p.name for p in reports.iterdir() if p.name.startswith("."))


def spawn_render(params: Path, reports: Path, *args: str, log: Path) -> subprocess.Popen:
    """``cemlab render`` in a session of its own (a terminal's foreground job), output to a
    file (no terminal: a log)."""
    with log.open("w") as out:
        return subprocess.Popen(
            [str(CEMLAB), "render", str(params), "--reports", str(reports), *args],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True, cwd=params.parent,
        )


def kernel_running(process: subprocess.Popen) -> dict[int, str] | None:
    """The render's descendants once the factory has forked a kernel (else None)."""
    if process.poll() is not None:
        pytest.fail(f"render ended early with {process.returncode}")
    tree = descendants(process.pid)
    kernels = [pid for pid in tree if parent(pid) == factory_of(process, tree)]
    return tree if kernels else None


def factory_of(process: subprocess.Popen, tree: dict[int, str]) -> int | None:
    """The kernel factory: the render's child that serves kernels (they are its children, and
    forked, share its command line)."""
    found = [pid for pid in tree if parent(pid) == process.pid
             and b"_serve_kernels" in cmdline(pid)]
    return found[0] if found else None


def finish(process: subprocess.Popen, tree: dict[int, str]) -> int:
    """Wait for the render to exit; its whole tree must be gone within a few seconds."""
    try:
        code = process.wait(timeout=EXIT_WITHIN)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        pytest.fail(f"render did not exit within {EXIT_WITHIN} s")
    wait_for(lambda: not still_running(tree), 10, f"kernels to end: {still_running(tree)}")
    return code


# --- signals -------------------------------------------------------------------------------


@linux_only
def test_ctrl_c_leaves_every_old_report_and_the_index_as_they_were(tmp_path):
    params, reports = demo_copy(tmp_path, ("brightmart", "harbor-mutual"))
    before = {c: old_report(reports, c) for c in ("brightmart", "harbor-mutual")}
    (reports / "index.html").write_text("old index")
    process = spawn_render(params, reports, "--jobs", "2", log=tmp_path / "log.txt")
    tree = wait_for(lambda: kernel_running(process), START_WITHIN, "a kernel to run")
    started = time.monotonic()
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    code = finish(process, tree)
    log = (tmp_path / "log.txt").read_text()
    assert code == 130, log
    assert time.monotonic() - started < EXIT_WITHIN
    assert "interrupted" in log and "Traceback" not in log
    # a client that finished before the signal arrived may have been swapped in whole (on a
    # quiet machine a small client renders in seconds); any other keeps its old report as it was
    interrupted = [client for client, files in before.items()
                   if snapshot(reports / client) == files]
    for client in set(before) - set(interrupted):
        assert complete_report(reports / client), client
    assert interrupted, "the signal came after every client had finished: nothing was tested"
    assert (reports / "index.html").read_text() == "old index"
    assert staging_folders(reports) == []


def complete_report(folder: Path) -> bool:
    """A whole new report: every file render swaps in, the report itself not the old one."""
    needed = ("report.html", "report.ipynb", "inputs.sha256", "tables/key_figures.csv")
    return (all((folder / name).is_file() for name in needed)
            and "old report" not in (folder / "report.html").read_text())


@linux_only
def test_sigterm_mid_batch_keeps_what_finished_and_prints_progress_as_it_goes(tmp_path):
    """One client at a time: the first finishes and is swapped in, its line already in the
    log (no terminal); SIGTERM while the second renders leaves the second's old report."""
    params, reports = demo_copy(tmp_path, ("brightmart", "harbor-mutual"))
    before = old_report(reports, "harbor-mutual")
    log = tmp_path / "log.txt"
    process = spawn_render(params, reports, "--jobs", "1", log=log)
    wait_for(lambda: any(n.startswith(".harbor-mutual.rendering-")
                         for n in staging_folders(reports)), START_WITHIN, "the second client")
    tree = wait_for(lambda: kernel_running(process), START_WITHIN, "its kernel")
    assert "ok       brightmart: " in log.read_text()  # printed and flushed when it finished
    os.kill(process.pid, signal.SIGTERM)  # a supervisor stopping the job: the process alone
    code = finish(process, tree)
    assert code == 143, log.read_text()
    assert (reports / "brightmart" / "report.html").read_text().startswith("<!DOCTYPE html>")
    assert snapshot(reports / "harbor-mutual") == before
    assert not (reports / "index.html").exists()  # an interrupted run writes no index
    assert staging_folders(reports) == []


@linux_only
def test_a_killed_factory_fails_its_clients_with_the_reason_and_keeps_old_reports(tmp_path):
    params, reports = demo_copy(tmp_path, ("harbor-mutual", "brightmart"))
    before = old_report(reports, "harbor-mutual")  # brightmart has no report yet
    process = spawn_render(params, reports, "--jobs", "2", log=tmp_path / "log.txt")
    tree = wait_for(lambda: kernel_running(process), START_WITHIN, "a kernel to run")
    os.kill(factory_of(process, tree), signal.SIGKILL)  # what the out-of-memory killer does
    code = finish(process, tree)
    log = (tmp_path / "log.txt").read_text()
    assert code == 1, log
    assert "Traceback" not in log
    for client in ("harbor-mutual", "brightmart"):
        assert f"FAILED   {client}: the kernel factory stopped (killed by SIGKILL)" in log
    assert "0 rendered, 0 skipped, 2 failed" in log
    assert snapshot(reports / "harbor-mutual") == before
    assert "previous report kept" in log
    # a client with no report to keep says why in its folder, and shows no report
    bright = sorted(p.name for p in (reports / "brightmart").iterdir())
    assert "failed.txt" in bright and "report.html" not in bright
    index = (reports / "index.html").read_text(encoding="utf-8")
    assert index.count("the kernel factory stopped") == 2
    assert 'href="harbor-mutual/report.html">previous report</a>' in index
    assert staging_folders(reports) == []


@linux_only
def test_sigkill_leaves_no_kernel_and_the_next_run_sweeps_its_staging(tmp_path):
    params, reports = demo_copy(tmp_path, ("brightmart",))
    before = old_report(reports, "brightmart")
    process = spawn_render(params, reports, log=tmp_path / "log.txt")
    tree = wait_for(lambda: kernel_running(process), START_WITHIN, "a kernel to run")
    process.kill()  # SIGKILL: no handler runs; the factory and kernels die with their parent
    finish(process, tree)
    [left] = staging_folders(reports)
    assert left.startswith(".brightmart.rendering-")
    assert snapshot(reports / "brightmart") == before
    assert render.sweep_stale_staging(reports) == [reports / left]
    assert staging_folders(reports) == []


def test_sweep_puts_back_a_report_set_aside_by_a_run_that_died_mid_swap(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    pid = int(dead.stdout)  # a process that has exited
    aside = tmp_path / f".acme.old-{pid}-x1y2" / "acme"
    aside.mkdir(parents=True)
    (aside / "report.html").write_text("the good report")
    (tmp_path / f".beta.rendering-{pid}-abcd").mkdir()
    live = tmp_path / f".gamma.rendering-{os.getpid()}-abcd"  # this run's own: kept
    live.mkdir()
    (tmp_path / ".notes").mkdir()  # not a staging folder
    swept = render.sweep_stale_staging(tmp_path)
    assert len(swept) == 2
    assert (tmp_path / "acme" / "report.html").read_text() == "the good report"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["acme", live.name, ".notes"])


# --- the factory ---------------------------------------------------------------------------


def test_render_from_a_folder_holding_a_cemlab_folder(tmp_path, monkeypatch):
    """The factory must import the installed cemlab, not the empty folder where render runs."""
    (tmp_path / "cemlab").mkdir()
    params = write_client(tmp_path, "acme")
    monkeypatch.chdir(tmp_path)
    result = render.render_batch([params], reports_dir="reports", progress=False,
                                 notebook=mini_notebook(tmp_path / "n.ipynb"))
    assert result.ok, result.summary()
    assert (tmp_path / "reports" / "acme" / "report.html").is_file()


def test_a_factory_that_cannot_start_fails_clients_and_keeps_their_reports(
    tmp_path, monkeypatch
):
    params = write_client(tmp_path, "acme")
    reports = tmp_path / "reports"
    reports.mkdir()
    before = old_report(reports, "acme")
    fake_python = tmp_path / "python"
    fake_python.write_text("#!/bin/sh\necho 'MemoryError: cannot allocate' >&2\nexit 3\n")
    fake_python.chmod(0o755)
    monkeypatch.setattr(render.sys, "executable", str(fake_python))
    result = render.render_batch([params], reports_dir=reports, progress=False,
                                 notebook=mini_notebook(tmp_path / "n.ipynb"))
    [acme] = result.clients
    assert acme.status == "failed" and acme.previous == "kept"
    assert "the kernel factory stopped (exit code 3: MemoryError: cannot allocate)" in acme.reason
    assert snapshot(reports / "acme") == before
    assert staging_folders(reports) == []


def test_a_closed_factory_pipe_is_not_taken_for_a_closed_stdout(monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(render, "render_batch", broken)
    assert cli_main(["render", "params", "--no-progress"]) == 1
    assert "cemlab render: error: [Errno 32] Broken pipe" in capsys.readouterr().err


def test_cli_stops_quietly_when_its_reader_goes_away():
    """``cemlab validate ... | head``: exit 0, no traceback (here the reader never reads)."""
    shell = subprocess.run(
        f"'{CEMLAB}' validate '{REPO / 'params' / 'kestrel-mobile.yaml'}' | true; "
        "exit ${PIPESTATUS[0]}",
        shell=True, executable="/bin/bash", capture_output=True, text=True,
    )
    assert shell.returncode == 0 and shell.stderr == ""


# --- failed clients: what they keep --------------------------------------------------------


def failing_notebook(path: Path) -> Path:
    """The mini notebook, whose last cell fails on cemlab's side (not the client's data)."""
    mini_notebook(path)
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("raise RuntimeError('a bug in the template')"))
    nbformat.write(nb, path)
    return path


def test_a_failure_not_in_the_clients_data_keeps_the_old_report(tmp_path):
    write_client(tmp_path, "acme")
    write_client(tmp_path, "beta")
    reports = tmp_path / "reports"
    reports.mkdir()
    before = old_report(reports, "acme")  # beta has none
    result = render.render_batch([tmp_path / "acme.yaml", tmp_path / "beta.yaml"],
                                 reports_dir=reports, progress=False,
                                 notebook=failing_notebook(tmp_path / "n.ipynb"))
    acme, beta = result.clients
    assert acme.status == beta.status == "failed"
    assert "RuntimeError: a bug in the template" in acme.reason
    assert acme.previous == "kept" and acme.report == reports / "acme" / "report.html"
    assert snapshot(reports / "acme") == before
    assert sorted(p.name for p in (reports / "beta").iterdir()) == ["failed.ipynb", "failed.txt"]
    assert "RuntimeError" in (reports / "beta" / "failed.txt").read_text()
    assert "(previous report kept: " in acme.line()


@pytest.mark.parametrize("fault", ["params", "data"])
def test_a_fault_in_the_clients_own_params_or_data_withdraws_the_old_report(tmp_path, fault):
    write_client(tmp_path, "acme", bad_value=fault == "data",
                 extra={"colour": "blue"} if fault == "params" else None)
    reports = tmp_path / "reports"
    reports.mkdir()
    old_report(reports, "acme")
    result = render.render_batch([tmp_path / "acme.yaml"], reports_dir=reports, progress=False,
                                 notebook=mini_notebook(tmp_path / "n.ipynb"))
    [acme] = result.clients
    assert acme.status == "failed" and acme.previous == "withdrawn"
    assert acme.section == fault
    assert sorted(p.name for p in (reports / "acme").iterdir()) == ["failed.txt"]
    assert acme.reason in (reports / "acme" / "failed.txt").read_text()
    index = (reports / "index.html").read_text(encoding="utf-8")
    assert "previous report withdrawn" in index and "acme/report.html" not in index
    assert acme.line().endswith("(previous report withdrawn)")


def test_a_params_error_does_not_withdraw_another_clients_folder(tmp_path):
    """Two params files for one slug: the second fails, the first's report is not touched."""
    write_client(tmp_path, "acme")
    other = tmp_path / "other"
    other.mkdir()
    write_client(other, "acme")
    reports = tmp_path / "reports"
    reports.mkdir()
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "notes.txt").write_text("a consultant's folder, not a report")
    prepared = render._prepare([tmp_path / "acme.yaml", other / "acme.yaml"], reports,
                               mini_notebook(tmp_path / "n.ipynb"), timeout=10)
    assert "also rendered from" in prepared[1].reason and prepared[1].previous == ""
    # a params file named like a folder that holds no report leaves that folder alone
    (tmp_path / "plain.yaml").write_text("client: [not, a, slug]\n")
    [plain] = render._prepare([tmp_path / "plain.yaml"], tmp_path, tmp_path / "n.ipynb", 10)
    assert plain.status == "failed" and plain.previous == ""
    assert (folder / "notes.txt").is_file()


# --- input that reached a traceback --------------------------------------------------------


def test_a_title_longer_than_a_file_name_renders(tmp_path):
    title = "Acme " + "customer experience survey " * 11 + "2026, wave 2"  # 314 characters
    assert len(title) == 314
    params = write_client(tmp_path, "acme", title=title)
    result = render.render_batch([params], reports_dir=tmp_path / "reports", progress=False,
                                 notebook=mini_notebook(tmp_path / "n.ipynb"))
    assert result.ok, result.summary()


@pytest.mark.parametrize("title", [
    "x" * 256,  # one byte over a file name's limit
    "ą" * 200,  # 400 bytes in UTF-8
    "/" + "a/" * 3000,  # over PATH_MAX
    "a\0b",  # a NUL: no path at all
    "{named}",  # the absolute path of an existing file
    "named.txt",  # a relative one
])
def test_inputs_hash_reads_only_the_path_fields(tmp_path, monkeypatch, title):
    """Any title, even one naming a file, is hashed as text: never opened as a file."""
    monkeypatch.chdir(tmp_path)
    params = tmp_path / "acme.yaml"
    params.write_text("client: acme\n")
    named = tmp_path / "named.txt"
    named.write_text("one")
    parameters = {"title": title.format(named=named), "wave": str(named), "data": str(params)}
    first = render.inputs_hash(params, parameters, b"nb")
    named.write_text("two")  # a file that only a non-path parameter names: not an input
    assert render.inputs_hash(params, parameters, b"nb") == first
    params.write_text("client: acme\ntitle: changed\n")  # a path field's file: an input
    assert render.inputs_hash(params, parameters, b"nb") != first


def test_a_symlink_loop_as_the_data_path_is_one_line(tmp_path, capsys):
    (tmp_path / "loop1").symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(tmp_path / "loop1")
    params = tmp_path / "acme.yaml"
    params.write_text(yaml.safe_dump({"client": "acme", "title": "Acme", "data": "loop1"}))
    assert cli_main(["validate", str(params)]) == 1
    out = capsys.readouterr().out
    assert "loop1" in out and "Fix:" in out and "Traceback" not in out
    result = render.render_client(params, tmp_path / "reports",
                                  notebook=mini_notebook(tmp_path / "n.ipynb"))
    assert result.status == "failed" and "Fix:" in result.reason


def test_a_reports_path_that_is_a_file_is_one_line(tmp_path, capsys):
    params = write_client(tmp_path, "acme")
    (tmp_path / "reports").write_text("not a folder")
    assert cli_main(["render", str(params), "--reports", str(tmp_path / "reports"),
                     "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("cemlab render: error: ") and "is a file, not a folder" in err
    assert "Fix:" in err and err.count("\n") == 1


def test_a_read_only_reports_folder_is_one_line(tmp_path, capsys):
    params = write_client(tmp_path, "acme")
    if os.geteuid() == 0:  # root writes through file modes: use a folder the kernel refuses
        reports = Path("/sys/fs")
    else:
        reports = tmp_path / "reports"
        reports.mkdir()
        reports.chmod(0o555)
    assert cli_main(["render", str(params), "--reports", str(reports), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert f"cemlab render: error: {reports}: cannot write reports there" in err
    assert "Fix:" in err and err.count("\n") == 1


def test_present_on_an_empty_notebook_is_one_line(tmp_path, capsys):
    empty = tmp_path / "empty.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), empty)
    assert cli_main(["present", str(empty), "--reports", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "the notebook is empty" in err and "Fix:" in err and err.count("\n") == 1
    hidden = tmp_path / "hidden.ipynb"  # every cell marked "skip" in the slideshow
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Notes", metadata={"slideshow": {
        "slide_type": "skip"}})]
    nbformat.write(nb, hidden)
    assert cli_main(["present", str(hidden), "--reports", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "no slides can be made" in err and "--no-slides" in err and err.count("\n") == 1
    assert not (tmp_path / "out" / "hidden").exists()
