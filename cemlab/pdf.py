"""Print a report's HTML to PDF with headless Chromium, as a browser prints it: the report's
own print stylesheet sets the paper, margins, running header and page numbers.

`print_pdf` is what ``cemlab render --pdf`` calls for each client; a notebook can call it too::

    from cemlab.pdf import print_pdf
    print_pdf("reports/acme/report.html", "reports/acme/report.pdf")
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from cemlab._files import written_atomically
from cemlab.exceptions import RenderError

#: The names Chromium goes by on Debian, Ubuntu (snap) and with Google's build, in that order.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: What ``--pdf`` says, before anything renders, on a machine without Chromium.
NO_CHROMIUM = "report.pdf needs Chromium: apt-get install chromium"
#: Seconds one report may take to print before its client fails.
PRINT_TIMEOUT = 120
#: Headless, as root in a container, and quiet: no sandbox (it needs user namespaces), no
#: GPU, and none of the background fetches a first run makes (updates, sync, QUIC probes),
#: so that printing never touches the network.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--mute-audio",
    "--no-pdf-header-footer",
    # and nothing can reach the network even if a page asked: no proxy answers, no name resolves
    "--proxy-server=127.0.0.1:9",
    "--host-resolver-rules=MAP * ~NOTFOUND",
)


def find_chromium() -> str | None:
    """The path of the first of `CHROMIUM_NAMES` on ``PATH``, or None."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def require_chromium() -> str:
    """The Chromium to print with; raises `RenderError` (`NO_CHROMIUM`) when there is none."""
    found = find_chromium()
    if found is None:
        raise RenderError(NO_CHROMIUM)
    return found


def print_pdf(
    html: str | Path,
    pdf: str | Path,
    *,
    chromium: str | None = None,
    timeout: float = PRINT_TIMEOUT,
    cancelled: threading.Event | None = None,
) -> Path:
    """Print the report ``html`` to ``pdf`` with headless Chromium; return the PDF's path.

    The PDF appears whole or not at all: Chromium writes a temporary file beside ``pdf``,
    which replaces it only once it is a complete PDF. Chromium runs with a new empty profile
    (removed afterwards) and may take ``timeout`` seconds; it is killed at once when
    ``cancelled`` is set (an interrupted `cemlab.render.render_batch`).

    Raises
    ------
    RenderError
        No Chromium (`NO_CHROMIUM`), Chromium failed or timed out, or wrote no PDF; the
        message says which, with the last line Chromium printed.
    """
    html, pdf = Path(html).resolve(), Path(pdf).resolve()
    if not html.is_file():
        raise RenderError(f"{html}: no such report to print")
    browser = chromium or require_chromium()
    with tempfile.TemporaryDirectory(prefix="cemlab-chromium-") as profile, \
            written_atomically(pdf) as partial:
        command = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                   f"--print-to-pdf={partial}", html.as_uri()]
        returncode, stderr = _run(command, timeout, _quiet_environment(profile), html, browser,
                                  cancelled)
        written = partial.stat().st_size if partial.exists() else 0
        if returncode != 0 or written < 5 or not _is_pdf(partial):
            raise RenderError(
                f"Chromium did not print {html.name} to PDF (exit code {returncode}"
                f"{_last_line(stderr)}). Fix: check that `{browser} --version` runs"
            )
    return pdf


def _run(command: list[str], timeout: float, env: dict[str, str], html: Path,
         browser: str, cancelled: threading.Event | None) -> tuple[int, str]:
    """Run Chromium in a process group of its own; on a timeout, an interrupt or ``cancelled``
    the whole group is killed (Chromium's helper processes too), never left behind."""
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace") as stderr:
        try:
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL,
                                       stdout=subprocess.DEVNULL, stderr=stderr, env=env,
                                       start_new_session=True)
        except OSError as exc:
            raise RenderError(f"could not start {browser}: {exc.strerror or exc}") from None
        try:
            returncode = _wait(process, timeout, cancelled)
        except BaseException as exc:  # a timeout, or Ctrl-C: no Chromium outlives the print
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            if isinstance(exc, subprocess.TimeoutExpired):
                raise RenderError(
                    f"printing {html.name} to PDF took over {timeout:g} s. Fix: check the "
                    "machine's load, then render again"
                ) from None
            raise
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)  # a helper still running after the print
        stderr.seek(0)
        return returncode, stderr.read()


def _wait(process: subprocess.Popen[bytes], timeout: float,
          cancelled: threading.Event | None) -> int:
    """``process.wait(timeout)``, looking every quarter second whether the run was cancelled."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return process.wait(timeout=min(0.25, max(0.0, deadline - time.monotonic())))
        except subprocess.TimeoutExpired:
            if cancelled is not None and cancelled.is_set():
                raise RenderError("interrupted while printing to PDF") from None
            if time.monotonic() >= deadline:
                raise


def _is_pdf(path: Path) -> bool:
    with path.open("rb") as handle:
        start = handle.read(5)
        handle.seek(max(0, path.stat().st_size - 1024))
        end = handle.read()
    return start == b"%PDF-" and b"%%EOF" in end


def _quiet_environment(profile: str) -> dict[str, str]:
    """The environment Chromium runs in: its caches and config inside the temporary profile,
    never in the user's home, so two prints at once never share state."""
    env = dict(os.environ)
    env.update(HOME=profile, XDG_CONFIG_HOME=profile, XDG_CACHE_HOME=profile)
    return env


def _last_line(stderr: str) -> str:
    lines = [line.strip() for line in (stderr or "").splitlines() if line.strip()]
    if not lines:
        return ""
    last = lines[-1]
    return ": " + (last if len(last) <= 200 else last[:199] + "…")


__all__ = ["CHROMIUM_NAMES", "NO_CHROMIUM", "find_chromium", "print_pdf", "require_chromium"]
