"""Render client reports: papermill runs the report notebook per client, nbconvert turns the
executed notebook into one self-contained HTML file, and a batch gets a `reports/index.html`.

Layout written per client (swapped into place in one `os.replace`, so an interrupted run never
leaves a report that looks complete)::

    reports/<client>/report.html      the report: no code, every image inlined, nothing fetched
    reports/<client>/report.ipynb     the executed notebook, for audit
    reports/<client>/tables/*.csv     the result tables the report shows, and tables.xlsx
    reports/<client>/inputs.sha256    what the report was made from (for --skip-unchanged)

A client that fails leaves ``reports/<client>/failed.ipynb`` (the notebook as far as it ran)
and no ``report.html``; the batch goes on and ``index.html`` gives the reason in one line.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cemlab import __version__
from cemlab.exceptions import CemlabError, RenderError
from cemlab.report import KEY_FIGURES_TABLE, RESPONDENTS_FIGURE

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
#: The report notebook; it lives beside the package in a source checkout.
DEFAULT_NOTEBOOK = PACKAGE_DIR.parent / "notebooks" / "client_report.ipynb"
#: A notebook cell tagged ``section:<name>`` belongs to that report section (params ``sections``).
SECTION_TAG = "section:"
#: A cell tagged so is for whoever opens the notebook (what it is, how to run it), not a client.
NOTEBOOK_ONLY_TAG = "notebook-only"
#: Seconds one notebook cell may run before the client fails (a hung cell must not hang a batch).
CELL_TIMEOUT = 600
_REASON_MAX = 300


@dataclass
class ClientResult:
    """What happened to one client: its status, where its report is, and its headline numbers.

    ``status`` is ``"ok"`` (rendered now), ``"skipped"`` (inputs unchanged, report kept) or
    ``"failed"``; a failure carries ``reason``, one line naming the section and the error.
    """

    client: str
    params_path: Path
    status: str
    title: str = ""
    report: Path | None = None
    reason: str = ""
    section: str = ""
    respondents: int | None = None
    key_figures: dict[str, float | str] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status != "failed"

    def line(self) -> str:
        """One line for the terminal: client, status, and the reason of a failure."""
        if self.status == "failed":
            return f"FAILED   {self.client}: {self.reason}"
        if self.status == "skipped":
            return f"skipped  {self.client}: {self.report} (inputs unchanged)"
        return f"ok       {self.client}: {self.report} ({self.seconds:.1f} s)"


@dataclass
class BatchResult:
    """Every client of one run, in the order given, and the index page that lists them."""

    clients: list[ClientResult]
    index: Path
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.clients)

    @property
    def failed(self) -> list[ClientResult]:
        return [c for c in self.clients if not c.ok]

    def summary(self) -> str:
        """The lines `cemlab render` prints: one per client, a tally, and the index path last."""
        lines = [c.line() for c in self.clients]
        counts = {s: sum(c.status == s for c in self.clients) for s in ("ok", "skipped", "failed")}
        lines.append(
            f"{counts['ok']} rendered, {counts['skipped']} skipped, {counts['failed']} failed "
            f"in {self.seconds:.1f} s"
        )
        lines.append(f"index: {self.index}")
        return "\n".join(lines)


@dataclass
class _Job:
    """Everything a render thread needs for one client, its params already validated."""

    client: str
    title: str
    params_path: Path
    parameters: dict[str, Any]
    inputs_hash: str
    notebook: Path
    reports_dir: Path
    timeout: int
    kernels: KernelFactory | None = None


# --- collecting and validating params -------------------------------------------------------


def collect_params_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Params files named directly, plus every ``*.yaml`` / ``*.yml`` in folders named.

    A path that does not exist is kept, so that it fails as a client with its reason rather
    than stopping the batch. Raises `RenderError` when nothing at all was found.
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.suffix in {".yaml", ".yml"}))
        else:
            found.append(path)
    if not found:
        raise RenderError(
            "no params files found in " + ", ".join(str(p) for p in paths)
            + ". Fix: give params/*.yaml files or a folder holding them"
        )
    return list(dict.fromkeys(p.resolve() for p in found))


def _prepare(
    paths: Sequence[Path], reports_dir: Path, notebook: Path, timeout: int
) -> list[_Job | ClientResult]:
    """Validate every params file before any kernel starts.

    Returns one entry per path, in order: a `_Job` to render, or a failed `ClientResult`
    carrying the params error in one line.
    """
    from cemlab.params import load_params

    prepared: list[_Job | ClientResult] = []
    seen: dict[str, Path] = {}
    notebook_bytes = notebook.read_bytes()
    for path in paths:
        try:
            params = load_params(path)
            if params.client in seen:
                raise RenderError(
                    f"{path}: client {params.client!r} is also rendered from {seen[params.client]}."
                    " Fix: give each client its own slug"
                )
            seen[params.client] = path
            parameters = dict(params.notebook_parameters())
        except Exception as exc:  # a params problem fails this client only, never the batch
            message = str(exc) if isinstance(exc, CemlabError) else f"{type(exc).__name__}: {exc}"
            prepared.append(
                ClientResult(
                    client=path.stem,
                    params_path=path,
                    status="failed",
                    section="params",
                    reason=f"params: {_one_line(message)}",
                )
            )
            continue
        prepared.append(
            _Job(
                client=params.client,
                title=params.title,
                params_path=path,
                parameters=parameters,
                inputs_hash=inputs_hash(path, parameters, notebook_bytes),
                notebook=notebook,
                reports_dir=reports_dir,
                timeout=timeout,
            )
        )
    return prepared


def inputs_hash(params_path: Path, parameters: dict[str, Any], notebook_bytes: bytes) -> str:
    """A SHA-256 of everything a report is made from.

    The params file, every file the notebook parameters name (data, feedback, previous wave,
    a custom instrument), the notebook, the report templates, and the cemlab version (a new
    release may compute differently; between releases, render without ``--skip-unchanged``).
    """
    digest = hashlib.sha256()

    def add(label: str, content: bytes) -> None:
        digest.update(label.encode() + b"\0" + hashlib.sha256(content).digest())

    add("version", __version__.encode())
    add("params", params_path.read_bytes())
    add("notebook", notebook_bytes)
    for name, value in sorted(parameters.items()):
        if name == "tables_dir":
            continue
        add(f"parameter:{name}", repr(value).encode())
        for text in _strings_in(value):
            if text and Path(text).is_file():
                add(f"file:{name}", Path(text).read_bytes())
    for template in sorted(TEMPLATES_DIR.iterdir()):
        add(f"template:{template.name}", template.read_bytes())
    return digest.hexdigest()


def _strings_in(value: Any) -> Iterable[str]:
    """Every string inside a parameter value (``feedback: {data: ...}`` holds a path too)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings_in(item)


# --- one client -----------------------------------------------------------------------------


def render_client(
    params_path: str | Path,
    reports_dir: str | Path = "reports",
    *,
    notebook: str | Path = DEFAULT_NOTEBOOK,
    skip_unchanged: bool = False,
    timeout: int = CELL_TIMEOUT,
) -> ClientResult:
    """Render one client's report in this process (no index page; see `render_batch`).

    A params error or a failing cell gives a failed `ClientResult`, not an exception, so a
    caller handles one client and a batch the same way.
    """
    reports_dir = Path(reports_dir).resolve()
    notebook = _check_notebook(notebook)
    [prepared] = _prepare([Path(params_path).resolve()], reports_dir, notebook, timeout)
    if isinstance(prepared, ClientResult):
        return prepared
    return _skip_or_render(prepared, skip_unchanged)


def _check_notebook(notebook: str | Path) -> Path:
    path = Path(notebook).resolve()
    if not path.is_file():
        raise RenderError(f"{path}: the report notebook is missing. Fix: restore it from git")
    return path


def _skip_or_render(job: _Job, skip_unchanged: bool) -> ClientResult:
    if skip_unchanged:
        kept = _unchanged_result(job)
        if kept is not None:
            return kept
    return _render_job(job)


def _unchanged_result(job: _Job) -> ClientResult | None:
    """The last report's result when it was made from exactly these inputs, else None."""
    folder = job.reports_dir / job.client
    stamp = folder / "inputs.sha256"
    report = folder / "report.html"
    if not (stamp.is_file() and report.is_file()):
        return None
    if stamp.read_text().strip() != job.inputs_hash:
        return None
    respondents, figures = _read_key_figures(folder / "tables")
    return ClientResult(
        client=job.client,
        params_path=job.params_path,
        status="skipped",
        title=job.title,
        report=report,
        respondents=respondents,
        key_figures=figures,
    )


def _render_job(job: _Job) -> ClientResult:
    """Execute, export and swap one client's report into place; never raises for the client.

    Everything is written to a hidden staging folder beside the target, which replaces the
    client's folder only at the end: success or failure, the folder then says which it was
    (``report.html`` or ``failed.ipynb``), and an interrupted run leaves the old folder as it was.
    """
    started = time.perf_counter()
    job.reports_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{job.client}.rendering-", dir=job.reports_dir))
    staging.chmod(0o755)  # mkdtemp makes it private; a report folder is meant to be shared
    result = ClientResult(
        client=job.client, params_path=job.params_path, status="failed", title=job.title
    )
    executed = staging / "report.ipynb"
    try:
        try:
            tables = staging / "tables"
            tables.mkdir()
            _execute(job, executed, tables, cwd=staging)
            _export_html(executed, staging / "report.html", job.title)
            (staging / "inputs.sha256").write_text(job.inputs_hash + "\n")
            result.respondents, result.key_figures = _read_key_figures(tables)
            result.status = "ok"
            result.report = job.reports_dir / job.client / "report.html"
        except Exception as exc:  # the client fails; the batch goes on
            result.status, result.report = "failed", None
            result.section, result.reason = _explain_failure(exc, executed)
            _keep_failed_notebook(staging, executed)
        try:
            _swap_into_place(staging, job.reports_dir / job.client)
        except OSError as exc:
            result.status, result.report = "failed", None
            result.reason = f"could not move the report into place: {_one_line(str(exc))}"
    finally:  # also on Ctrl-C: the staging folder never outlives the run
        shutil.rmtree(staging, ignore_errors=True)
    result.seconds = time.perf_counter() - started
    return result


def _kernel_manager_class(factory: KernelFactory | None) -> type:
    """The kernel manager for one client: quiet, and forked from ``factory`` when there is one.

    A kernel inherits the terminal's stderr, where ipykernel prints start-up warnings that
    would interleave with the progress bar; a cell's own output still reaches the notebook.
    """
    from jupyter_client.manager import AsyncKernelManager

    class ReportKernelManager(AsyncKernelManager):
        async def start_kernel(self, **kw: Any) -> None:
            kw.setdefault("stdout", subprocess.DEVNULL)
            kw.setdefault("stderr", subprocess.DEVNULL)
            if factory is not None and self.provisioner is None:
                self.kernel_id = self.kernel_id or str(uuid.uuid4())
                self.provisioner = _forked_provisioner_class()(
                    kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self,
                    factory=factory,
                )
            await super().start_kernel(**kw)

    return ReportKernelManager


def _execute(job: _Job, executed: Path, tables: Path, cwd: Path) -> None:
    import papermill

    parameters = dict(job.parameters, tables_dir=str(tables))
    papermill.execute_notebook(
        select_sections(job.notebook, parameters.get("sections")),
        str(executed),
        parameters=parameters,
        kernel_name="python3",
        progress_bar=False,
        request_save_on_cell_execute=False,
        execution_timeout=job.timeout,
        kernel_manager_class=_kernel_manager_class(job.kernels),
        shutdown_kernel="immediate",  # its work is saved; waiting for a clean exit buys nothing
        # The kernel's working folder. Not papermill's ``cwd``: that changes this whole
        # process's folder, which other clients' threads share.
        resources={"metadata": {"path": str(cwd)}},
    )


def select_sections(notebook: Path, sections: Sequence[str] | None) -> Any:
    """The notebook without the cells of sections the client's params leave out.

    A cell belongs to a section by its tag ``section:<name>`` (heading and code alike), so a
    section left out leaves no empty heading behind. ``None`` keeps every section.
    """
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    if sections is not None:
        wanted = {f"{SECTION_TAG}{name}" for name in sections}
        nb.cells = [
            cell
            for cell in nb.cells
            if not any(
                tag.startswith(SECTION_TAG) and tag not in wanted
                for tag in cell.metadata.get("tags", [])
            )
        ]
    return nb


def _explain_failure(exc: BaseException, executed: Path) -> tuple[str, str]:
    """The section of the failing cell and the error's last line, as ``(section, reason)``."""
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        section = _failing_section(executed) or "unknown section"
        error = f"{exc.ename}: {_one_line(exc.evalue)}" if exc.evalue else exc.ename
        return section, f"section '{section}': {error}"
    return "", f"{type(exc).__name__}: {_one_line(str(exc))}"


def _failing_section(executed: Path) -> str:
    """The nearest markdown heading above the first cell whose output is an error."""
    import nbformat

    if not executed.is_file():
        return ""
    nb = nbformat.read(executed, as_version=4)
    heading = ""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            headings = [
                line.lstrip("#").strip()
                for line in cell.source.splitlines()
                if line.startswith("#") and line.lstrip("#").startswith(" ")
            ]
            heading = headings[-1] if headings else heading
        elif cell.cell_type == "code" and any(
            output.get("output_type") == "error" for output in cell.get("outputs", [])
        ):
            return heading
    return ""


def _keep_failed_notebook(staging: Path, executed: Path) -> None:
    """A failed client keeps only ``failed.ipynb``: nothing that looks like a finished report."""
    for child in staging.iterdir():
        if child != executed:
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    if executed.is_file():
        executed.rename(staging / "failed.ipynb")


def _swap_into_place(staging: Path, target: Path) -> None:
    """Replace ``target`` by ``staging`` with renames only, so no half-written report is seen.

    ``os.replace`` cannot replace a non-empty folder, so the old one is first renamed aside
    (the client has no folder for that instant, never a partial one) and removed afterwards.
    """
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        os.replace(target, old / target.name)
    os.replace(staging, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _read_key_figures(tables: Path) -> tuple[int | None, dict[str, float | str]]:
    """The respondents and headline numbers the notebook wrote to ``key_figures.csv``."""
    path = tables / f"{KEY_FIGURES_TABLE}.csv"
    if not path.is_file():
        return None, {}
    figures: dict[str, float | str] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            value: float | str = row["value"]
            with contextlib.suppress(ValueError):
                value = float(row["value"])
            figures[row["figure"]] = value
    respondents = figures.pop(RESPONDENTS_FIGURE, None)
    return (int(respondents) if isinstance(respondents, float) else None), figures


# --- kernels forked from a process that has imported the report's libraries -------------------

#: What a report kernel imports before any cell runs; a kernel forked from `KernelFactory`
#: starts with them imported. A name that fails to import is skipped (the cell will say why).
KERNEL_PRELOAD = (
    "ipykernel.kernelapp",
    "matplotlib_inline.backend_inline",
    "matplotlib.pyplot",
    "cemlab",
    "cemlab.report",
)


class KernelFactory:
    """A process that has imported ipykernel and the report's libraries, and forks a new
    kernel for each client on request.

    Starting a kernel and importing pandas, matplotlib, statsmodels and cemlab takes seconds
    and dominates a report; a fork takes milliseconds and shares the imported modules
    copy-on-write. Every kernel is a new process forked from a parent that never runs a
    client's code, so nothing passes from one client's report to another's. Linux only
    (`available`); elsewhere each client starts an ordinary kernel.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process = subprocess.Popen(
            [sys.executable, "-c", "from cemlab.render import _serve_kernels; _serve_kernels()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )

    @staticmethod
    def available() -> bool:
        return sys.platform == "linux"

    def fork(self, connection_file: str, cwd: str) -> int:
        """Fork a kernel that reads ``connection_file`` and runs in ``cwd``; return its pid."""
        assert self._process.stdin is not None and self._process.stdout is not None
        with self._lock:
            self._process.stdin.write(json.dumps({"connection_file": connection_file,
                                                  "cwd": cwd}) + "\n")
            self._process.stdin.flush()
            reply = self._process.stdout.readline()
        if not reply:
            raise RenderError("the kernel factory stopped")
        return int(json.loads(reply)["pid"])

    def close(self) -> None:
        """Stop the factory (its kernels have been shut down by then; they exit with it)."""
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


def _serve_kernels() -> None:
    """The factory's main loop: import, say ``ready``, then fork one kernel per request line."""
    import importlib

    for name in KERNEL_PRELOAD:
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # kernels are reaped by the system
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the kernels and the batch
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _run_forked_kernel(request["connection_file"], request["cwd"])
        print(json.dumps({"pid": pid}), flush=True)


def _run_forked_kernel(connection_file: str, cwd: str) -> None:
    """In the forked child: become an ordinary ipykernel for one client; never return."""
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):  # never write into the factory's reply pipe
            os.dup2(devnull, fd)
        os.chdir(cwd)
        os.environ["JPY_PARENT_PID"] = str(os.getppid())  # exit if the factory goes away
        from ipykernel.kernelapp import IPKernelApp

        IPKernelApp.launch_instance(argv=["-f", connection_file])
    finally:
        os._exit(0)


class _ForkedKernel:
    """The `subprocess.Popen` surface jupyter_client uses, for a kernel that is not our child."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = 0  # gone; the factory reaped it, its status is not ours
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
            time.sleep(0.02)
        return self.returncode or 0

    def send_signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


def _forked_provisioner_class() -> type:
    """jupyter_client's local provisioner, launching the kernel through a `KernelFactory`."""
    from jupyter_client.provisioning import LocalProvisioner
    from traitlets import Any as AnyTrait

    class ForkedProvisioner(LocalProvisioner):
        factory = AnyTrait()

        async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
            connection_file = cmd[cmd.index("-f") + 1]
            self.cwd = str(kwargs.get("cwd") or Path.cwd())
            self.process = _ForkedKernel(self.factory.fork(connection_file, self.cwd))
            self.pid = self.process.pid
            self.pgid = None  # it shares our process group: signal the kernel alone
            return self.connection_info

    return ForkedProvisioner


# --- HTML -----------------------------------------------------------------------------------


def _export_html(executed: Path, target: Path, title: str) -> None:
    """Executed notebook -> HTML with no code, prompts or stderr, and nothing from the network.

    The template (`templates/report.html.j2`) extends JupyterLab's and drops the blocks that
    load require.js, MathJax, mermaid and widget scripts from CDNs; images are inlined as
    data URIs. Warnings a library printed to stderr, and cells tagged ``notebook-only``, stay
    in ``report.ipynb`` for audit only.
    """
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(executed, as_version=4)
    nb.cells = [c for c in nb.cells if NOTEBOOK_ONLY_TAG not in c.metadata.get("tags", [])]
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [
                o for o in cell.outputs if not (o.output_type == "stream" and o.name == "stderr")
            ]
    nb.metadata["title"] = title
    exporter = HTMLExporter(
        template_name="lab",
        extra_template_paths=[str(TEMPLATES_DIR)],
        template_file="report.html.j2",
        **_OUTPUTS_ONLY,
    )
    body, _ = exporter.from_notebook_node(nb)
    target.write_text(body, encoding="utf-8")


#: nbconvert options of every export: outputs only (no code, no prompts), images inlined.
_OUTPUTS_ONLY = dict(
    exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True, embed_images=True
)


#: Where reveal.js comes from in slides (nbconvert's default): slides need it when opened.
REVEAL_URL_PREFIX = "https://unpkg.com/reveal.js@4.0.2"


def _export_slides(executed: Path, target: Path, title: str, reveal_prefix: str) -> None:
    """Executed notebook -> reveal.js slides (no code), a slide per cell marked ``slide``."""
    import nbformat
    from nbconvert import SlidesExporter

    nb = nbformat.read(executed, as_version=4)
    nb.metadata["title"] = title
    exporter = SlidesExporter(reveal_url_prefix=reveal_prefix, **_OUTPUTS_ONLY)
    body, _ = exporter.from_notebook_node(nb)
    target.write_text(body, encoding="utf-8")


def render_notebook(
    notebook: str | Path,
    output_dir: str | Path = "reports",
    *,
    slides: bool = True,
    parameters: dict[str, Any] | None = None,
    reveal_prefix: str = REVEAL_URL_PREFIX,
) -> list[Path]:
    """Run a notebook once and write it as HTML (and reveal.js slides), e.g. the workshop.

    Parameters
    ----------
    notebook
        The notebook; it runs in its own folder, as in JupyterLab, with ``parameters`` set in
        its ``parameters`` cell.
    output_dir
        Writes ``<output_dir>/<name>/<name>.html`` (no code, images inlined, nothing fetched
        from the network), ``<name>.slides.html`` when ``slides`` (reveal.js, loaded from
        ``reveal_prefix`` when the slides open) and the executed ``<name>.ipynb``.

    Returns
    -------
    list of Path
        The files written. They appear together at the end, or not at all: a cell that fails
        raises `RenderError` naming the cell, and the folder keeps what it held before.
    """
    import nbformat
    import papermill

    source = Path(notebook).resolve()
    if not source.is_file():
        raise RenderError(f"{notebook}: no such notebook")
    try:
        nbformat.validate(nbformat.read(source, as_version=4))
    except Exception as exc:  # not JSON, not a notebook, not UTF-8: nbformat says which
        raise RenderError(
            f"{notebook}: not a Jupyter notebook ({_one_line(str(exc))}). Fix: give an .ipynb "
            "file saved by JupyterLab"
        ) from None
    name = source.stem
    target = Path(output_dir).resolve() / name
    if any((target / f).exists() for f in ("report.html", "failed.ipynb", "inputs.sha256")):
        raise RenderError(
            f"{target} holds client {name!r}'s report, which this would replace. Fix: give "
            "another folder with --reports"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.rendering-", dir=target.parent))
    try:
        executed = staging / f"{name}.ipynb"
        try:
            papermill.execute_notebook(
                str(source),
                str(executed),
                parameters=parameters or {},
                kernel_name="python3",
                progress_bar=False,
                request_save_on_cell_execute=False,
                execution_timeout=CELL_TIMEOUT,
                kernel_manager_class=_kernel_manager_class(None),
                shutdown_kernel="immediate",
                resources={"metadata": {"path": str(source.parent)}},
            )
        except papermill.PapermillExecutionError as exc:
            raise RenderError(
                f"{notebook}: cell {exc.exec_count} failed: {exc.ename}: {_one_line(exc.evalue)}"
            ) from None
        except Exception as exc:  # a cell over CELL_TIMEOUT, a kernel that died or never started
            raise RenderError(
                f"{notebook}: could not run: {type(exc).__name__}: {_one_line(str(exc))}"
            ) from None
        title = _notebook_title(executed) or name
        _export_html(executed, staging / f"{name}.html", title)
        if slides:
            _export_slides(executed, staging / f"{name}.slides.html", title, reveal_prefix)
        for child in staging.iterdir():
            os.chmod(child, 0o644)
        os.chmod(staging, 0o755)  # mkdtemp makes it private; the folder is meant to be shared
        _swap_into_place(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return sorted(target.iterdir())


def _notebook_title(notebook: Path) -> str:
    """The text of the notebook's first Markdown heading."""
    import nbformat

    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return ""


def write_index(results: Sequence[ClientResult], reports_dir: str | Path) -> Path:
    """Write ``reports_dir/index.html`` listing every client of the run (atomically).

    Every string from a params or client file is escaped by Jinja's autoescape.
    """
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    reports_dir = Path(reports_dir).resolve()
    reports_dir.mkdir(parents=True, exist_ok=True)
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    env.filters["figure"] = _format_figure
    rows = [
        {
            "result": r,
            "href": (
                r.report.relative_to(reports_dir).as_posix()
                if r.report is not None and r.report.is_relative_to(reports_dir)
                else None
            ),
        }
        for r in results
    ]
    page = env.get_template("portfolio.html.j2").render(
        rows=rows,
        failed=sum(not r.ok for r in results),
        generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        version=__version__,
    )
    index = reports_dir / "index.html"
    _write_atomically(index, page)
    return index


def _format_figure(value: float | str) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}"
    return str(value)


def _write_atomically(path: Path, text: str) -> None:
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(text)
    os.chmod(tmp, 0o644)  # mkstemp makes it private; the index is meant to be shared
    os.replace(tmp, path)


# --- a batch --------------------------------------------------------------------------------


def default_jobs() -> int:
    """The cores this process may use (respects CPU affinity, unlike ``os.cpu_count``)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def render_batch(
    paths: Iterable[str | Path],
    reports_dir: str | Path = "reports",
    jobs: int | None = None,
    skip_unchanged: bool = False,
    progress: bool = True,
    *,
    notebook: str | Path = DEFAULT_NOTEBOOK,
    timeout: int = CELL_TIMEOUT,
) -> BatchResult:
    """Render every client's report, ``jobs`` at a time, then write ``reports/index.html``.

    Parameters
    ----------
    paths
        Params files and folders of ``*.yaml``.
    reports_dir
        Where ``<client>/`` folders and ``index.html`` go.
    jobs
        Clients rendered in parallel (default: the cores available), each in its own kernel:
        starting a kernel and importing the analysis libraries dominates a report's time.
    skip_unchanged
        Keep a client's report when the hash of its inputs matches the last render.
    progress
        Show a progress bar of clients done on stderr (only when stderr is a terminal).

    Returns
    -------
    A `BatchResult`; ``ok`` is False when any client failed. Client failures never raise.
    """
    started = time.perf_counter()
    if jobs is not None and jobs < 1:
        raise RenderError(f"--jobs must be at least 1, got {jobs}")
    reports_dir = Path(reports_dir).resolve()
    notebook = _check_notebook(notebook)
    params_paths = collect_params_paths(paths)
    prepared = _prepare(params_paths, reports_dir, notebook, timeout)
    results: list[ClientResult | None] = [
        p if isinstance(p, ClientResult) else None for p in prepared
    ]
    todo = [(i, p) for i, p in enumerate(prepared) if isinstance(p, _Job)]
    if skip_unchanged:
        for i, job in list(todo):
            kept = _unchanged_result(job)
            if kept is not None:
                results[i] = kept
                todo.remove((i, job))
    workers = min(jobs or default_jobs(), max(1, len(todo)))
    kernels = KernelFactory() if todo and KernelFactory.available() else None
    bar = _progress_bar(total=len(prepared), enabled=progress)
    bar.update(len(prepared) - len(todo))
    try:
        for _, job in todo:
            job.kernels = kernels
        for i, result in _run_in_pool(todo, workers):
            results[i] = result
            bar.update()
    finally:
        bar.close()
        if kernels is not None:
            kernels.close()
    done = [r for r in results if r is not None]
    index = write_index(done, reports_dir)
    return BatchResult(clients=done, index=index, seconds=time.perf_counter() - started)


def _run_in_pool(todo: list[tuple[int, _Job]], workers: int) -> Iterable[tuple[int, ClientResult]]:
    """Yield ``(position, result)`` as clients finish, ``workers`` clients at a time.

    Threads suffice: each client's notebook runs in its own kernel process, so the work that
    dominates (starting the kernel, importing the analysis libraries, the analyses) is already
    parallel; the thread only waits on the kernel and exports the HTML. Threads also need no
    ``if __name__ == "__main__"`` guard in a user's script and start instantly.
    On Ctrl-C the kernels get the interrupt too, so running clients end quickly, unrendered.
    """
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cemlab-render")
    futures = {pool.submit(_render_job, job): (i, job) for i, job in todo}
    try:
        for future in as_completed(futures):
            i, job = futures[future]
            yield i, _result_of(future, job)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _result_of(future: Future[ClientResult], job: _Job) -> ClientResult:
    """The worker's result, or a failure naming why the worker itself died."""
    try:
        return future.result()
    except Exception as exc:
        reason = f"{type(exc).__name__}: {_one_line(str(exc))}"
    return ClientResult(
        client=job.client, params_path=job.params_path, status="failed", title=job.title,
        reason=reason,
    )


def _progress_bar(total: int, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(
        total=total,
        unit="client",
        desc="rendering",
        file=sys.stderr,
        disable=not (enabled and sys.stderr.isatty()),
    )


def _one_line(text: str) -> str:
    """Collapse a message to one line of at most a few hundred characters."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(text))  # colour codes from IPython tracebacks
    line = " ".join(text.split())
    return line if len(line) <= _REASON_MAX else line[: _REASON_MAX - 1] + "…"


__all__ = [
    "BatchResult",
    "ClientResult",
    "collect_params_paths",
    "default_jobs",
    "inputs_hash",
    "render_batch",
    "render_client",
    "select_sections",
    "write_index",
]
