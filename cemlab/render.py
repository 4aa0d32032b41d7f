"""Render client reports: papermill runs the report notebook per client, nbconvert turns the
executed notebook into one self-contained HTML file, and a batch gets a `reports/index.html`.

Layout written per client (swapped into place in one `os.replace`, so an interrupted run never
leaves a report that looks complete)::

    reports/<client>/report.html      the report: no code, every image inlined, nothing fetched
    reports/<client>/report.pptx      the deck: native charts and tables from tables/ (cemlab.deck)
    reports/<client>/report.pdf       the report printed by headless Chromium (``--pdf`` only)
    reports/<client>/report.ipynb     the executed notebook, for audit
    reports/<client>/tables/*.csv     the result tables the report shows, and tables.xlsx
    reports/<client>/inputs.sha256    what the report was made from (for --skip-unchanged)

Faults never pass for success and never cost a good report. A client whose params or data
`cemlab validate` rejects fails before any kernel starts, and its old report is withdrawn: its
folder then holds ``failed.txt`` (the reason) instead. Any other failure (a cell that raises, a
kernel or the kernel factory that dies, a full disk) keeps the client's old report as it was;
a client without one gets ``failed.txt`` and ``failed.ipynb`` (the notebook as far as it ran).
An interrupt (Ctrl-C, SIGTERM) kills the run's kernels, removes its staging folders and leaves
every report and ``index.html`` as they were; staging folders of a run that was killed outright
are swept at the next start.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from concurrent.futures import wait as wait_for_futures
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cemlab import __version__
from cemlab._files import written_atomically
from cemlab.exceptions import RenderError
from cemlab.pdf import find_chromium
from cemlab.report import KEY_FIGURES_TABLE, RESPONDENTS_FIGURE

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
#: The report notebook, shipped inside the package so an installed cemlab renders too.
DEFAULT_NOTEBOOK = PACKAGE_DIR / "notebooks" / "client_report.ipynb"
#: A notebook cell tagged ``section:<name>`` belongs to that report section (params ``sections``).
SECTION_TAG = "section:"
#: A cell tagged so is for whoever opens the notebook (what it is, how to run it), not a client.
NOTEBOOK_ONLY_TAG = "notebook-only"
#: Seconds one notebook cell may run before the client fails (a hung cell must not hang a batch).
CELL_TIMEOUT = 600
#: Seconds the kernel factory may take to import the report's libraries and say it is ready.
FACTORY_START_TIMEOUT = 120
#: Seconds an interrupted batch waits for its render threads to notice their kernels are gone.
INTERRUPT_GRACE = 10
#: Errors a report cell raises when the client's own params or data are at fault.
CLIENT_FAULTS = ("ParamsError", "DataError", "InstrumentError")
_REASON_MAX = 300


class RenderInterrupted(KeyboardInterrupt):
    """A batch stopped by SIGINT or SIGTERM, after cleaning up; every old report is as it was.

    ``exit_code`` is the shell's convention for death by that signal (130, 143).
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.exit_code = 128 + signum


@dataclass
class ClientResult:
    """What happened to one client: its status, where its report is, and its headline numbers.

    ``status`` is ``"ok"`` (rendered now), ``"skipped"`` (inputs unchanged, report kept) or
    ``"failed"``; a failure carries ``reason``, one line naming the section and the error, and
    ``previous``: ``"kept"`` (the last report stays, ``report`` points to it), ``"withdrawn"``
    (the client's own params or data are at fault, so the last report was taken down) or ``""``
    (there was none).
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
    previous: str = ""

    @property
    def ok(self) -> bool:
        return self.status != "failed"

    def line(self) -> str:
        """One line for the terminal: client, status, and the reason of a failure."""
        if self.status == "failed":
            after = {"kept": f" (previous report kept: {self.report})",
                     "withdrawn": " (previous report withdrawn)"}.get(self.previous, "")
            return f"FAILED   {self.client}: {self.reason}{after}"
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
        """One line per client, then the `tally`."""
        return "\n".join([c.line() for c in self.clients] + [self.tally()])

    def tally(self) -> str:
        """The two lines `cemlab render` ends with: clients per status, and the index path."""
        counts = {s: sum(c.status == s for c in self.clients) for s in ("ok", "skipped", "failed")}
        return (
            f"{counts['ok']} rendered, {counts['skipped']} skipped, {counts['failed']} failed "
            f"in {self.seconds:.1f} s\nindex: {self.index}"
        )


@dataclass
class _Job:
    """Everything a render thread needs for one client, its params already validated."""

    client: str
    title: str
    params_path: Path
    #: what the notebook gets: paths relative to the params file, so none outlives the run
    parameters: dict[str, Any]
    inputs_hash: str
    notebook: Path
    reports_dir: Path
    timeout: int
    kernels: KernelFactory | None = None
    run: _Run | None = None
    #: the Chromium that prints ``report.pdf`` (``--pdf``), or None for HTML only
    chromium: str | None = None


class _Run:
    """What the threads of one batch share: whether it was interrupted, and its staging folders.

    A swap into place happens under ``swap_lock`` and only while the run is not cancelled, so
    an interrupt either comes after a complete swap or prevents it; ``staging`` lets the main
    thread remove what a thread still stuck on a dead kernel has not removed yet.
    """

    def __init__(self) -> None:
        self.cancelled = threading.Event()
        self.swap_lock = threading.Lock()
        self.staging: set[Path] = set()
        self._lock = threading.Lock()

    def add(self, staging: Path) -> None:
        with self._lock:
            self.staging.add(staging)

    def discard(self, staging: Path) -> None:
        with self._lock:
            self.staging.discard(staging)

    def remove_staging(self) -> None:
        with self._lock:
            left, self.staging = list(self.staging), set()
        for staging in left:
            shutil.rmtree(staging, ignore_errors=True)


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
    """Validate every params file and its data, as `cemlab validate` does, before any kernel.

    Returns one entry per path, in order: a `_Job` to render, or a failed `ClientResult` with
    the first problem `validate_params_file` found, in one line. Such a client's old report is
    withdrawn (`_withdraw`): it no longer stands for what its params and data say.
    """
    from cemlab.validate import validate_params_file

    prepared: list[_Job | ClientResult] = []
    seen: dict[str, Path] = {}
    notebook_bytes = notebook.read_bytes()
    for path in paths:
        client = _client_slug(path)
        if client in seen:  # the folder is the other file's: leave it alone
            prepared.append(_failed(
                client, path, "params",
                f"params: {path}: client {client!r} is also rendered from {seen[client]}. Fix: "
                "give each client its own slug",
            ))
            continue
        seen[client] = path
        try:
            check = validate_params_file(path)
            if check.params is not None and check.params.client != client:
                raise RenderError(f"{path}: read client {check.params.client!r} as {client!r}")
        except Exception as exc:  # a bug in validation fails this client only, never the batch
            check, problem = None, f"{type(exc).__name__}: {exc}"
        if check is None or not check.ok:
            section = "params" if check is None or check.params is None else "data"
            problem = check.problems[0] if check is not None else problem
            reason = _one_line(problem if section == "data" else f"params: {problem}")
            failed = _failed(client, path, section, reason)
            _withdraw(failed, reports_dir)
            prepared.append(failed)
            continue
        params = check.params
        try:
            stamp = inputs_hash(path, params.notebook_parameters(), notebook_bytes)
        except OSError as exc:  # a file removed since it was validated
            prepared.append(_failed(client, path, "params", f"params: {_one_line(str(exc))}"))
            continue
        prepared.append(
            _Job(
                client=params.client,
                title=params.title,
                params_path=path,
                parameters=params.notebook_parameters(relative=True),
                inputs_hash=stamp,
                notebook=notebook,
                reports_dir=reports_dir,
                timeout=timeout,
            )
        )
    return prepared


def _client_slug(path: Path) -> str:
    """The client a params file is for: its ``client`` key when that is a valid slug, else the
    file's name (a params file too broken to say whose it is)."""
    from cemlab.instrument import SLUG_PATTERN

    with contextlib.suppress(Exception):
        import yaml

        slug = yaml.safe_load(path.read_text(encoding="utf-8")).get("client")
        slug = str(slug) if isinstance(slug, int) and not isinstance(slug, bool) else slug
        if isinstance(slug, str) and re.fullmatch(SLUG_PATTERN, slug):
            return slug
    return path.stem


def _failed(client: str, path: Path, section: str, reason: str) -> ClientResult:
    return ClientResult(client=client, params_path=path, status="failed", section=section,
                        reason=reason)


def _withdraw(result: ClientResult, reports_dir: Path) -> None:
    """Replace a client's last report by ``failed.txt`` giving the reason, in one swap.

    Only a folder that holds a cemlab client report is touched (``report.html`` or a
    ``failed.*``); anything else by the client's name is left as it is.
    """
    target = reports_dir / result.client
    if not _holds_client_report(target):
        return
    had_report = (target / "report.html").is_file()
    staging = _make_staging(reports_dir, result.client)
    try:
        _write_failed_note(staging, result)
        with _signals_deferred():
            _swap_into_place(staging, target)
        result.previous = "withdrawn" if had_report else ""
    except OSError as exc:
        result.reason += f"; the old report could not be withdrawn: {_one_line(str(exc))}"
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _holds_client_report(folder: Path) -> bool:
    return any((folder / name).is_file()
               for name in ("report.html", "inputs.sha256", "failed.txt", "failed.ipynb"))


def _write_failed_note(staging: Path, result: ClientResult) -> None:
    (staging / "failed.txt").write_text(
        f"{result.client}: not rendered: {result.reason}\n"
        f"params: {result.params_path.name}\n"
        f"failed at: {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}\n",
        encoding="utf-8",
    )


def inputs_hash(params_path: Path, parameters: dict[str, Any], notebook_bytes: bytes) -> str:
    """A SHA-256 of everything a report is made from.

    The params file, every file the notebook parameters name (data, feedback, previous wave,
    a custom instrument or benchmark), the notebook, the report templates, and the cemlab
    version (a new release may compute differently; between releases, render without
    ``--skip-unchanged``). Only the path fields are read as files: a title is never a path.
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
    for name, path in _input_files(parameters):
        add(f"file:{name}", Path(path).read_bytes())
    for template in sorted(TEMPLATES_DIR.iterdir()):
        add(f"template:{template.name}", template.read_bytes())
    return digest.hexdigest()


#: The parameters that name a file: a client's data, and a custom instrument or benchmark
#: (a built-in one is a name, not an absolute path). Feedback and previous wave nest them.
_PATH_FIELDS = ("data", "instrument", "benchmark", "logo", "pptx_template")


def _input_files(parameters: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """``(parameter, absolute path)`` of every file ``parameters`` name."""
    blocks = [("", parameters)]
    for name in ("feedback", "previous", "branding"):
        if isinstance(parameters.get(name), dict):
            blocks.append((f"{name}.", parameters[name]))
    previous = parameters.get("previous")
    if isinstance(previous, dict) and isinstance(previous.get("feedback"), dict):
        blocks.append(("previous.feedback.", previous["feedback"]))
    for prefix, block in blocks:
        for key in _PATH_FIELDS:
            value = block.get(key)
            if isinstance(value, str) and Path(value).is_absolute():
                yield prefix + key, value


# --- one client -----------------------------------------------------------------------------


def render_client(
    params_path: str | Path,
    reports_dir: str | Path = "reports",
    *,
    notebook: str | Path = DEFAULT_NOTEBOOK,
    skip_unchanged: bool = False,
    timeout: int = CELL_TIMEOUT,
    pdf: bool = False,
) -> ClientResult:
    """Render one client's report in this process (no index page; see `render_batch`).

    A params error or a failing cell gives a failed `ClientResult`, not an exception, so a
    caller handles one client and a batch the same way. ``pdf``: as `render_batch`'s.
    """
    chromium = _chromium_for(pdf)
    reports_dir = Path(reports_dir).resolve()
    notebook = _check_notebook(notebook)
    _check_reports_dir(reports_dir)
    [prepared] = _prepare([Path(params_path).resolve()], reports_dir, notebook, timeout)
    if isinstance(prepared, ClientResult):
        return prepared
    prepared.chromium = chromium
    return _skip_or_render(prepared, skip_unchanged)


def _chromium_for(pdf: bool) -> str | None:
    """The Chromium that prints ``report.pdf`` when ``pdf``; with none installed, `RenderError`
    before anything renders (`cemlab.pdf.NO_CHROMIUM`)."""
    if not pdf:
        return None
    from cemlab.pdf import require_chromium

    return require_chromium()


def _check_notebook(notebook: str | Path) -> Path:
    """The report notebook's path, once it is known to be a notebook render can give a client's
    values to: a Jupyter notebook with a cell tagged ``parameters``."""

    path = Path(notebook).resolve()
    if path == DEFAULT_NOTEBOOK and not path.is_file():
        raise RenderError(
            f"{path}: the built-in report notebook is missing. Fix: reinstall cemlab (in a "
            "checkout: git checkout cemlab/notebooks/client_report.ipynb)"
        )
    if not path.is_file():
        raise RenderError(
            f"{notebook}: no such notebook. Fix: give the path of your report notebook, or "
            f"write a copy of the built-in one to start from with: cemlab template {notebook}"
        )
    nb = _read_notebook(path, notebook)
    if not any("parameters" in cell.metadata.get("tags", []) for cell in nb.cells):
        raise RenderError(
            f"{notebook}: no cell is tagged 'parameters', so a client's values cannot be set. "
            "Fix: in JupyterLab tag the cell that sets client, data and the other values "
            "'parameters' (property inspector, the gear icon), or start from a copy of the "
            "built-in report: cemlab template new_report.ipynb"
        )
    return path


def _read_notebook(path: Path, shown: str | Path) -> Any:
    """The notebook at ``path``, validated; a file that is not one is a one-line `RenderError`
    naming it as the user gave it (``shown``)."""
    import nbformat

    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # not JSON, not a notebook, not UTF-8: nbformat says which
        raise RenderError(
            f"{shown}: not a Jupyter notebook ({_one_line(str(exc))}). Fix: give an .ipynb "
            "file saved by JupyterLab"
        ) from None
    return nb


def write_report_template(path: str | Path, *, force: bool = False) -> Path:
    """Write a copy of the built-in report notebook to ``path``: a report of one's own to edit
    and render with ``cemlab render --notebook``. An existing file is kept unless ``force``.

    Written atomically (`written_atomically`): an interrupt leaves the old file or the copy.
    """
    path = Path(path)
    if path.suffix != ".ipynb":
        raise RenderError(
            f"{path}: a notebook's name ends in .ipynb. Fix: give {path.with_suffix('.ipynb')}"
        )
    exists = (f"{path} already exists; it is kept. Fix: give another name, or add --force to "
              "replace it with the built-in report notebook")
    if path.is_dir():
        raise RenderError(f"{path} is a folder. Fix: give a file name ending in .ipynb")
    if path.exists() and not force:
        raise RenderError(exists)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with written_atomically(path, exclusive=not force, durable=True) as partial:
            partial.write_bytes(_check_notebook(DEFAULT_NOTEBOOK).read_bytes())
    except FileExistsError:  # made meanwhile
        raise RenderError(exists) from None
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
    if job.chromium is not None and not (folder / "report.pdf").is_file():
        return None  # unchanged, but never printed: --pdf asks for the PDF
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
    client's folder only when it holds a complete report, or, for a client without a report to
    keep, ``failed.txt`` and ``failed.ipynb``. A failure that is not the client's own data or
    params keeps the old report (see the module docstring); an interrupted run swaps nothing.
    """
    started = time.perf_counter()
    target = job.reports_dir / job.client
    result = ClientResult(
        client=job.client, params_path=job.params_path, status="failed", title=job.title
    )
    if job.run is not None and job.run.cancelled.is_set():
        result.reason = "interrupted before it started; the previous report, if any, is as it was"
        return result
    staging = _make_staging(job.reports_dir, job.client)
    if job.run is not None:
        job.run.add(staging)
    executed = staging / "report.ipynb"
    try:
        clients_fault = False
        try:
            tables = staging / "tables"
            tables.mkdir()
            _execute(job, executed, tables, cwd=staging)
            _export_html(executed, staging / "report.html", job.title,
                         language=job.parameters.get("language", "en"),
                         paper=job.parameters.get("paper", "a4"),
                         accent=(job.parameters.get("branding") or {}).get("accent"))
            _write_deck(job, staging)
            if job.chromium is not None:
                _print_pdf(job, staging)
            (staging / "inputs.sha256").write_text(job.inputs_hash + "\n")
            _check_complete(staging)
            result.respondents, result.key_figures = _read_key_figures(tables)
            result.status = "ok"
        except Exception as exc:  # the client fails; the batch goes on
            result.section, result.reason = _explain_failure(exc, executed)
            clients_fault = _is_clients_fault(exc)
            factory_gone = job.kernels.failure() if job.kernels is not None else ""
            if factory_gone:  # its kernel died with it: say why, not "kernel died"
                result.section, result.reason, clients_fault = "", factory_gone, False
        if result.status == "failed":
            if (target / "report.html").is_file() and not clients_fault:
                result.previous, result.report = "kept", target / "report.html"
                return result
            result.previous = "withdrawn" if (target / "report.html").is_file() else ""
            _keep_failed_notebook(staging, executed)
            _write_failed_note(staging, result)
        try:
            swapped = _swap_unless_cancelled(staging, target, job.run)
        except OSError as exc:
            result.status, result.report, result.previous = "failed", None, (
                "kept" if (target / "report.html").is_file() else "")
            result.reason = f"could not move the report into place: {_one_line(str(exc))}"
            return result
        if not swapped:
            result.status, result.previous = "failed", ""
            result.reason = "interrupted; the previous report, if any, is as it was"
        elif result.status == "ok":
            result.report = target / "report.html"
    finally:  # also on Ctrl-C: the staging folder never outlives the run
        shutil.rmtree(staging, ignore_errors=True)
        if job.run is not None:
            job.run.discard(staging)
        result.seconds = time.perf_counter() - started
    return result


def _print_pdf(job: _Job, staging: Path) -> None:
    """``report.pdf`` beside ``report.html`` in the staging folder: swapped in with the rest of
    the report, or, when printing fails, the client fails and its last report stays."""
    from cemlab.pdf import print_pdf

    print_pdf(staging / "report.html", staging / "report.pdf", chromium=job.chromium,
              cancelled=job.run.cancelled if job.run is not None else None)


def _make_staging(reports_dir: Path, client: str) -> Path:
    """A new hidden folder beside the client's; its name carries this process's id, so that a
    later run can tell it from the folder of a run still going (`sweep_stale_staging`)."""
    staging = Path(
        tempfile.mkdtemp(prefix=f".{client}.rendering-{os.getpid()}-", dir=reports_dir)
    )
    staging.chmod(0o755)  # mkdtemp makes it private; a report folder is meant to be shared
    return staging


#: What a rendered report folder holds; one without all of them is never swapped in as ok.
REPORT_FILES = ("report.html", "report.pptx", "report.ipynb", "inputs.sha256",
                f"tables/{KEY_FIGURES_TABLE}.csv")


def _write_deck(job: _Job, staging: Path) -> None:
    """``report.pptx`` from the tables the report just wrote (`cemlab.deck`), in the staging
    folder, so it is swapped in with the report or not at all."""
    from cemlab.deck import DECK_FILE, write_deck

    write_deck(job.params_path, staging / "tables", staging / DECK_FILE)


def _check_complete(staging: Path) -> None:
    missing = [name for name in REPORT_FILES if not (staging / name).is_file()]
    if missing or not (staging / "report.html").stat().st_size:
        raise RenderError(
            f"the report is incomplete ({', '.join(missing) or 'empty report.html'} missing). "
            "Fix: the notebook must end with tables.save()"
        )


def _is_clients_fault(exc: BaseException) -> bool:
    """Whether a report cell failed on the client's own params or data (not on cemlab, a
    kernel or the machine): only then is the client's last report withdrawn."""
    from papermill.exceptions import PapermillExecutionError

    return isinstance(exc, PapermillExecutionError) and exc.ename in CLIENT_FAULTS


def _swap_unless_cancelled(staging: Path, target: Path, run: _Run | None) -> bool:
    """`_swap_into_place`, unless the run was interrupted; True when swapped."""
    with _signals_deferred():
        if run is None:
            _swap_into_place(staging, target)
            return True
        with run.swap_lock:
            if run.cancelled.is_set():
                return False
            _swap_into_place(staging, target)
            return True


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
    """Run the client's notebook in ``cwd`` with its parameters, and tidy the executed copy.

    The kernel runs in the staging folder, which becomes the client's report folder, so the
    parameters name it and the params file relative to there: the audit copy ``report.ipynb``
    names no absolute path, and re-runs where it lies (`_tidy_audit_copy`).
    """
    import papermill

    parameters = dict(
        job.parameters,
        params_file=os.path.relpath(job.params_path, cwd),
        tables_dir=os.path.relpath(tables, cwd),
    )
    try:
        papermill.execute_notebook(
            select_sections(job.notebook, parameters.get("sections")),
            str(executed),
            parameters=parameters,
            kernel_name="python3",
            progress_bar=False,
            request_save_on_cell_execute=False,
            execution_timeout=job.timeout,
            kernel_manager_class=_kernel_manager_class(job.kernels),
            shutdown_kernel="immediate",  # its work is saved; a clean exit buys nothing
            # The kernel's working folder. Not papermill's ``cwd``: that changes this whole
            # process's folder, which other clients' threads share.
            resources={"metadata": {"path": str(cwd)}},
        )
    finally:
        if executed.is_file():
            _tidy_audit_copy(executed, job.notebook)


def _tidy_audit_copy(executed: Path, notebook: Path) -> None:
    """Leave in the executed notebook only this client's parameters, and no machine's folder.

    The template's parameters cell holds the demo client's values (papermill runs it, then
    its own cell with the client's); it keeps a comment saying where the values are. papermill
    records the absolute paths it read and wrote: the template's name and the report's do.
    """
    import nbformat

    nb = nbformat.read(executed, as_version=4)
    for cell in nb.cells:
        if "parameters" in cell.metadata.get("tags", []):
            cell.source = "# Parameters: this client's are in the next cell, set by cemlab render."
            cell.outputs = []
    record = nb.metadata.get("papermill", {})
    record["input_path"] = notebook.name
    record["output_path"] = executed.name
    record.pop("default_parameters", None)
    nbformat.write(nb, executed)


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
    (the client has no folder for that instant, never a partial one) and removed afterwards;
    put back if the second rename fails. A run killed in between leaves it aside, under a
    name `sweep_stale_staging` puts back at the next run.
    """
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-{os.getpid()}-",
                                    dir=target.parent))
        os.replace(target, old / target.name)
    try:
        os.replace(staging, target)
    except BaseException:
        if old is not None:
            os.replace(old / target.name, target)
            shutil.rmtree(old, ignore_errors=True)
        raise
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

    The factory runs in a session of its own, so a Ctrl-C at the terminal reaches the batch
    alone, which then ends the kernels itself (`kill`). It is started with ``-P`` (no current
    folder on ``sys.path``: a folder named ``cemlab`` where render runs must not shadow the
    installed package) and must say which cemlab it imported before it serves (``ready``).
    A factory that dies makes every client that asks for a kernel fail with the reason.
    """

    def __init__(self, start_timeout: float = FACTORY_START_TIMEOUT) -> None:
        self._lock = threading.Lock()
        self._pids: set[int] = set()
        self._closed = False
        # a file, not a pipe: a factory that writes warnings must never block on a full pipe
        self._stderr = tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace")
        self._process = subprocess.Popen(
            [sys.executable, "-P", "-c",
             "from cemlab.render import _serve_kernels; _serve_kernels()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            start_new_session=True,
        )
        self.problem = ""
        try:
            ready = self._reply(start_timeout, "start")
            expected = str(PACKAGE_DIR / "__init__.py")
            if ready.get("cemlab") != expected:
                raise RenderError(
                    f"the kernel factory imported cemlab from {ready.get('cemlab')}, not "
                    f"{expected}. Fix: reinstall cemlab in this environment"
                )
        except RenderError as exc:
            self.problem = str(exc)
            self.kill()

    @staticmethod
    def available() -> bool:
        return sys.platform == "linux"

    @property
    def pid(self) -> int:
        return self._process.pid

    def fork(self, connection_file: str, cwd: str, timeout: float = 60) -> int:
        """Fork a kernel that reads ``connection_file`` and runs in ``cwd``; return its pid.

        Raises `RenderError` saying why when the factory is gone or does not answer.
        """
        assert self._process.stdin is not None
        with self._lock:
            if self.problem or self._closed:
                raise RenderError(self.problem or "the kernel factory was stopped")
            try:
                self._process.stdin.write(json.dumps({"connection_file": connection_file,
                                                      "cwd": cwd}) + "\n")
                self._process.stdin.flush()
            except (BrokenPipeError, OSError):
                raise RenderError(self._death()) from None
            pid = int(self._reply(timeout, "fork a kernel")["pid"])
            self._pids.add(pid)
        return pid

    def _reply(self, timeout: float, doing: str) -> dict[str, Any]:
        """The factory's next line, within ``timeout`` seconds."""
        assert self._process.stdout is not None
        ready, _, _ = select.select([self._process.stdout], [], [], timeout)
        if not ready:
            self.kill()
            raise RenderError(
                f"the kernel factory did not {doing} within {timeout:g} s. Fix: check the "
                "machine's load and memory, then render again"
            )
        line = self._process.stdout.readline()
        if not line:
            raise RenderError(self._death())
        return json.loads(line)

    def _death(self) -> str:
        """Why the factory is gone, for every client still waiting on it."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(timeout=5)
        code = self._process.returncode
        how = (f"killed by {signal.Signals(-code).name}" if code is not None and code < 0
               else f"exit code {code}")
        last = ""
        with contextlib.suppress(OSError, ValueError):
            self._stderr.seek(0)
            lines = [ln for ln in self._stderr.read().splitlines() if ln.strip()]
            last = f": {_one_line(lines[-1])}" if lines else ""
        self.problem = (
            f"the kernel factory stopped ({how}{last}). Fix: if the machine ran out of memory, "
            "render with fewer --jobs; then render again"
        )
        return self.problem

    def failure(self) -> str:
        """Why the factory is gone when it died on its own (killed, out of memory), else ""."""
        if self.problem:
            return self.problem
        if self._closed or self._process.poll() is None:
            return ""
        return self._death()

    def kill(self) -> None:
        """Kill every kernel it forked and the factory itself, now (an interrupted batch)."""
        self._closed = True
        for pid in list(self._pids):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            self._process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(timeout=5)

    def close(self) -> None:
        """Stop the factory (its kernels have been shut down by then; they exit with it).

        Never raises: a factory that died on its own has already failed its clients.
        """
        self._closed = True
        with contextlib.suppress(OSError, ValueError):
            if self._process.stdin is not None:
                self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()
        for stream in (self._process.stdout, self._stderr):
            with contextlib.suppress(OSError, ValueError):
                if stream is not None:
                    stream.close()


def _die_with_parent() -> None:
    """Ask Linux to kill this process when its parent dies (``prctl(PR_SET_PDEATHSIG)``): a
    batch killed outright (SIGKILL) leaves no factory, and a factory no kernel, behind."""
    import ctypes

    pr_set_pdeathsig = 1
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def _serve_kernels() -> None:
    """The factory's main loop: import, say ``ready``, then fork one kernel per request line.

    stdout carries only the replies; stderr is read by the batch only once the factory died.
    """
    import importlib

    parent = os.getppid()
    _die_with_parent()
    if os.getppid() != parent:  # the batch died before we asked
        os._exit(1)
    for name in KERNEL_PRELOAD:
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # kernels are reaped by the system
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the batch, which kills us
    cemlab = sys.modules.get("cemlab")
    print(json.dumps({"ready": True, "cemlab": getattr(cemlab, "__file__", None)}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _run_forked_kernel(request["connection_file"], request["cwd"])
        print(json.dumps({"pid": pid}), flush=True)


def _run_forked_kernel(connection_file: str, cwd: str) -> None:
    """In the forked child: become an ordinary ipykernel for one client; never return."""
    try:
        _die_with_parent()
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


def _is_running(pid: int) -> bool:
    """Whether ``pid`` is a live process: not gone, and not a zombie waiting to be reaped (a
    kernel whose factory was killed is one until the system reaps it)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc: trust kill(0)
    return stat.rpartition(")")[2].split()[0] != "Z"


class _ForkedKernel:
    """The `subprocess.Popen` surface jupyter_client uses, for a kernel that is not our child."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None and not _is_running(self.pid):
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


def _export_html(
    executed: Path,
    target: Path,
    title: str,
    *,
    language: str = "en",
    paper: str = "a4",
    accent: str | None = None,
    confidential: bool = True,
) -> None:
    """Executed notebook -> HTML with no code, prompts or stderr, and nothing from the network.

    ``language`` (the params' ``language``) is declared on ``<html lang>``, for screen readers,
    hyphenation in print and a browser's offer to translate, and sets the running header's
    "Confidential" and "Page n of N". ``paper`` (the params' ``paper``) is the printed page's
    size, ``accent`` (``branding.accent``) the colour of headings and rules; ``title`` heads
    every printed page but the first, which is the cover.

    The template (`templates/report.html.j2`) builds on nbconvert's ``base`` templates and
    inlines our own stylesheet (`templates/report.css`, a few KB instead of JupyterLab's
    ~240 KB): no script, no stylesheet or font fetched, images as data URIs. Tables get their
    figure columns marked (`cemlab.page.mark_tables`). Warnings a library printed to stderr,
    and cells tagged ``notebook-only``, stay in ``report.ipynb`` for audit only.
    """
    import nbformat
    from nbconvert import HTMLExporter

    from cemlab.page import mark_tables, page_settings

    nb = nbformat.read(executed, as_version=4)
    nb.cells = [c for c in nb.cells if NOTEBOOK_ONLY_TAG not in c.metadata.get("tags", [])]
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [
                o for o in cell.outputs if not (o.output_type == "stream" and o.name == "stderr")
            ]
    nb.metadata["title"] = title
    exporter = HTMLExporter(
        template_name="basic",
        extra_template_paths=[str(TEMPLATES_DIR)],
        template_file="report.html.j2",
        language_code=language,
        **_OUTPUTS_ONLY,
    )
    settings = page_settings(title, language=language, paper=paper, accent=accent,
                             confidential=confidential,
                             cover=any(_is_cover(cell) for cell in nb.cells))
    body, _ = exporter.from_notebook_node(nb, resources={"cemlab": settings})
    target.write_text(mark_tables(body), encoding="utf-8")


def _is_cover(cell: Any) -> bool:
    return f"{SECTION_TAG}cover" in cell.metadata.get("tags", [])


#: nbconvert options of every export: outputs only (no code, no prompts), images inlined.
_OUTPUTS_ONLY = dict(
    exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True, embed_images=True
)


#: reveal.js, bundled (`vendor/reveal/SOURCE.md` says which version and from where).
REVEAL_DIR = PACKAGE_DIR / "vendor" / "reveal"
#: The slide's own size: 16:9, as a projector shows it; reveal.js scales it to the screen.
SLIDE_WIDTH, SLIDE_HEIGHT = 1280, 720
#: reveal.js's configuration: arrows move between practices, down into one; ``hash`` lets a
#: link (``#/3``) open a slide; the slide number shows how far the room has come.
REVEAL_CONFIG = {
    "width": SLIDE_WIDTH, "height": SLIDE_HEIGHT, "margin": 0.04, "center": False,
    "hash": True, "controls": True, "progress": True, "slideNumber": "c/t",
    "transition": "none", "navigationMode": "default",
}


def _reveal_assets() -> dict[str, Any]:
    """reveal.js's script, CSS and theme as text to inline, and its configuration as JSON.

    The theme's ``@import`` of its web font is dropped (the font is not bundled; the slides use
    the system's sans-serif), so nothing in the page asks the network for anything.
    """
    import markupsafe

    def text(name: str) -> str:
        return (REVEAL_DIR / name).read_text(encoding="utf-8")

    script = text("reveal.js").replace("</script", "<\\/script")  # cannot end its <script>
    theme = re.sub(r"@import\s+url\([^)]*\)\s*;?", "", text("theme-white.css"))
    return {
        "js": markupsafe.Markup(script),
        "css": markupsafe.Markup(text("reveal.css")),
        "theme": markupsafe.Markup(theme),
        "config": markupsafe.Markup(json.dumps(REVEAL_CONFIG)),
    }


def _export_slides(executed: Path, target: Path, title: str) -> None:
    """Executed notebook -> reveal.js slides (no code), a slide per cell marked ``slide``.

    One self-contained file: reveal.js, its CSS and every image are inlined
    (`templates/slides.html.j2`), so the slides open without a network, e.g. from a USB stick.
    """
    import nbformat
    from nbconvert import SlidesExporter

    nb = nbformat.read(executed, as_version=4)
    nb.cells = [c for c in nb.cells if NOTEBOOK_ONLY_TAG not in c.metadata.get("tags", [])]
    _drop_stderr(nb)
    nb.metadata["title"] = title
    exporter = SlidesExporter(
        extra_template_paths=[str(TEMPLATES_DIR)],
        template_file="slides.html.j2",
        **_OUTPUTS_ONLY,
    )
    body, _ = exporter.from_notebook_node(nb, resources={"cemlab_reveal": _reveal_assets()})
    target.write_text(body, encoding="utf-8")


def _drop_stderr(nb: Any) -> None:
    """Remove what libraries printed to stderr (warnings): it stays in the audit notebook."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [
                o for o in cell.outputs if not (o.output_type == "stream" and o.name == "stderr")
            ]


def _export_handout(executed: Path, target: Path, title: str) -> None:
    """Executed notebook -> the handout: one HTML document (no code, nothing fetched) to read
    or print, A4 with page numbers, each ``##`` section on a new page (`templates/handout.css`).
    """
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(executed, as_version=4)
    nb.cells = [c for c in nb.cells if NOTEBOOK_ONLY_TAG not in c.metadata.get("tags", [])]
    _drop_stderr(nb)
    nb.metadata["title"] = title
    exporter = HTMLExporter(
        template_name="lab",
        extra_template_paths=[str(TEMPLATES_DIR)],
        template_file="handout.html.j2",
        **_OUTPUTS_ONLY,
    )
    body, _ = exporter.from_notebook_node(nb)
    target.write_text(body, encoding="utf-8")


def _print_handout(page: Path, target: Path, chromium: str) -> None:
    """Print the handout to PDF with `cemlab.pdf.print_pdf` (its own A4 and page numbers)."""
    from cemlab.pdf import print_pdf

    try:
        print_pdf(page, target, chromium=chromium)
    except RenderError as exc:
        raise RenderError(f"{page.name}: {exc} (or run with --no-pdf)") from None


def render_notebook(
    notebook: str | Path,
    output_dir: str | Path = "reports",
    *,
    slides: bool = True,
    pdf: bool | None = None,
    parameters: dict[str, Any] | None = None,
) -> list[Path]:
    """Run a notebook once and write it as a handout (HTML, PDF) and slides, e.g. the workshop.

    Parameters
    ----------
    notebook
        The notebook; it runs in its own folder, as in JupyterLab, with ``parameters`` set in
        its ``parameters`` cell.
    output_dir
        Writes ``<output_dir>/<name>/<name>.html``, the handout (no code, images inlined,
        nothing fetched from the network, print CSS for A4), ``<name>.pdf`` (the handout
        printed by headless Chromium), ``<name>.slides.html`` when ``slides`` (reveal.js
        inlined: one file that presents offline) and the executed ``<name>.ipynb``.
    pdf
        Print the PDF: ``None`` when Chromium is on the machine (`find_chromium`), ``True``
        always (a `RenderError` without Chromium), ``False`` never.

    Returns
    -------
    list of Path
        The files written. They appear together at the end, or not at all: a cell that fails
        raises `RenderError` naming the cell, and the folder keeps what it held before.
    """
    import papermill

    source = Path(notebook).resolve()
    if not source.is_file():
        raise RenderError(f"{notebook}: no such notebook")
    nb = _read_notebook(source, notebook)
    if not any(cell.source.strip() for cell in nb.cells):
        raise RenderError(
            f"{notebook}: the notebook is empty, there is nothing to present. Fix: open it in "
            "JupyterLab, check it holds the cells you meant, and save it"
        )
    name = source.stem
    target = Path(output_dir).resolve() / name
    if any((target / f).exists() for f in ("report.html", "failed.ipynb", "inputs.sha256")):
        raise RenderError(
            f"{target} holds client {name!r}'s report, which this would replace. Fix: give "
            "another folder with --reports"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(
        tempfile.mkdtemp(prefix=f".{name}.rendering-{os.getpid()}-", dir=target.parent)
    )
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
        _export_handout(executed, staging / f"{name}.html", title)
        chromium = find_chromium() if pdf is not False else None
        if pdf and chromium is None:
            raise RenderError(
                f"{notebook}: no PDF can be printed: Chromium is not on this machine. Fix: "
                "apt-get install chromium, or run with --no-pdf"
            )
        if chromium:
            _print_handout(staging / f"{name}.html", staging / f"{name}.pdf", chromium)
        if slides:
            try:
                _export_slides(executed, staging / f"{name}.slides.html", title)
            except ValueError as exc:  # nbconvert: every cell hidden, no slide to show
                raise RenderError(
                    f"{notebook}: no slides can be made ({_one_line(str(exc))}). Fix: mark a "
                    "cell as a slide (not skip or notes) in JupyterLab, or run with --no-slides"
                ) from None
        for child in staging.iterdir():
            os.chmod(child, 0o644)
        os.chmod(staging, 0o755)  # mkdtemp makes it private; the folder is meant to be shared
        with _signals_deferred():
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
    # a full disk, an interrupt: the old index stays, no stray file
    with written_atomically(path) as partial:
        partial.write_text(text, encoding="utf-8")


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
    on_client: Callable[[ClientResult], None] | None = None,
    pdf: bool = False,
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
    on_client
        Called with each client's result as soon as it is known (``cemlab render`` prints its
        line, so a log shows progress).
    pdf
        Also print each report to ``report.pdf`` with headless Chromium (`cemlab.pdf`), in the
        staging folder, so it is swapped in with the report; a client whose printing fails
        fails with the reason.

    Returns
    -------
    A `BatchResult`; ``ok`` is False when any client failed. Client failures never raise.

    Raises
    ------
    RenderError
        The reports folder cannot be written, no params file was found, or ``pdf`` is asked
        for on a machine without Chromium (before anything renders).
    RenderInterrupted
        SIGINT or SIGTERM (when called from the main thread): the run's kernels were killed,
        its staging folders removed, and every report and the index are as they were.
    """
    started = time.perf_counter()
    if jobs is not None and jobs < 1:
        raise RenderError(f"--jobs must be at least 1, got {jobs}")
    chromium = _chromium_for(pdf)
    reports_dir = Path(reports_dir).resolve()
    notebook = _check_notebook(notebook)
    params_paths = collect_params_paths(paths)
    _check_reports_dir(reports_dir)
    sweep_stale_staging(reports_dir)
    run = _Run()
    kernels: KernelFactory | None = None
    with _cancel_on_signals(run, lambda: kernels):
        prepared = _prepare(params_paths, reports_dir, notebook, timeout)
        results: list[ClientResult | None] = [
            p if isinstance(p, ClientResult) else None for p in prepared
        ]
        todo = [(i, p) for i, p in enumerate(prepared) if isinstance(p, _Job)]
        for _, job in todo:
            job.chromium = chromium
        if skip_unchanged:
            for i, job in list(todo):
                kept = _unchanged_result(job)
                if kept is not None:
                    results[i] = kept
                    todo.remove((i, job))
        bar = _progress_bar(total=len(prepared), enabled=progress)
        _announce([r for r in results if r is not None], on_client, bar)
        bar.update(len(prepared) - len(todo))
        workers = min(jobs or default_jobs(), max(1, len(todo)))
        try:
            if todo and KernelFactory.available():
                kernels = KernelFactory()
            for _, job in todo:
                job.kernels, job.run = kernels, run
            with contextlib.closing(_run_in_pool(todo, workers, run)) as finished:
                for i, result in finished:
                    results[i] = result
                    _announce([result], on_client, bar)
                    bar.update()
        finally:
            bar.close()
            if kernels is not None:
                kernels.close()
        done = [r for r in results if r is not None]
        index = write_index(done, reports_dir)
    return BatchResult(clients=done, index=index, seconds=time.perf_counter() - started)


def _announce(results: list[ClientResult], on_client: Callable[[ClientResult], None] | None,
              bar: Any) -> None:
    if on_client is None:
        return
    with bar.external_write_mode():
        for result in results:
            on_client(result)


def _check_reports_dir(reports_dir: Path) -> None:
    """The reports folder exists (made if need be) and this process may write in it."""
    if reports_dir.exists() and not reports_dir.is_dir():
        raise RenderError(
            f"{reports_dir} is a file, not a folder. Fix: give another --reports folder, or "
            "move that file away"
        )
    try:
        reports_dir.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(prefix=".cemlab-write-test-", dir=reports_dir)
        os.close(handle)
        os.unlink(probe)
    except OSError as exc:
        raise RenderError(
            f"{reports_dir}: cannot write reports there ({exc.strerror or exc}). Fix: give a "
            "folder you may write in with --reports, or ask for write access to this one"
        ) from None


_STAGING_NAME = re.compile(r"^\.(?P<client>.+)\.(?P<kind>rendering|old)-(?P<pid>\d+)-[^/]+$")


def sweep_stale_staging(reports_dir: str | Path) -> list[Path]:
    """Remove the staging folders that runs killed outright (SIGKILL, power loss) left behind.

    A folder is stale when the process whose id its name carries is no longer running. An old
    report set aside for a swap (``.<client>.old-*``) is put back when the client has no folder
    (the run died between the two renames), else removed. Returns what was swept.
    """
    reports_dir = Path(reports_dir)
    swept = []
    for entry in sorted(reports_dir.iterdir()):
        match = _STAGING_NAME.match(entry.name)
        if not match or not entry.is_dir() or _is_running(int(match["pid"])):
            continue
        client = match["client"]
        aside = entry / client
        with contextlib.suppress(OSError):
            if match["kind"] == "old" and aside.is_dir() and not (reports_dir / client).exists():
                os.replace(aside, reports_dir / client)
            shutil.rmtree(entry)
            swept.append(entry)
    return swept


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block is done, then deliver them: a swap the main
    thread makes is never cut between its two renames. Outside the main thread: no effect."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    previous = {signum: signal.signal(signum, lambda signum, frame: held.append(signum))
                for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for signum in dict.fromkeys(held):
            signal.raise_signal(signum)


@contextlib.contextmanager
def _cancel_on_signals(run: _Run, kernels: Callable[[], KernelFactory | None]) -> Iterator[None]:
    """While a batch runs, SIGINT and SIGTERM cancel it: no further swap, every kernel killed,
    and `RenderInterrupted` raised in the main thread, which then cleans up (`_run_in_pool`).

    Outside the main thread signals cannot be handled; the caller's own handling applies.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def cancel(signum: int, frame: Any) -> None:
        if run.cancelled.is_set():
            return  # a second Ctrl-C must not interrupt the clean-up
        with run.swap_lock:  # a swap under way completes; none starts after this
            run.cancelled.set()
        factory = kernels()
        if factory is not None:
            factory.kill()
        raise RenderInterrupted(signum)

    previous = {signum: signal.signal(signum, cancel) for signum in (signal.SIGINT,
                                                                     signal.SIGTERM)}
    try:
        yield
    except RenderInterrupted:
        run.remove_staging()
        raise
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _run_in_pool(
    todo: list[tuple[int, _Job]], workers: int, run: _Run | None = None
) -> Iterable[tuple[int, ClientResult]]:
    """Yield ``(position, result)`` as clients finish, ``workers`` clients at a time.

    Threads suffice: each client's notebook runs in its own kernel process, so the work that
    dominates (starting the kernel, importing the analysis libraries, the analyses) is already
    parallel; the thread only waits on the kernel and exports the HTML. Threads also need no
    ``if __name__ == "__main__"`` guard in a user's script and start instantly.
    On an interrupt the kernels are already dead: pending clients are cancelled and running
    ones get `INTERRUPT_GRACE` seconds to notice, swap nothing and remove their staging folder.
    """
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cemlab-render")
    futures = {pool.submit(_render_job, job): (i, job) for i, job in todo}
    try:
        for future in as_completed(futures):
            i, job = futures[future]
            yield i, _result_of(future, job)
    except BaseException:  # an interrupt, or the caller stopped reading
        if run is not None:
            run.cancelled.set()
        pool.shutdown(wait=False, cancel_futures=True)
        wait_for_futures(futures, timeout=INTERRUPT_GRACE)
        raise
    pool.shutdown(wait=True)


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
    "write_report_template",
]
