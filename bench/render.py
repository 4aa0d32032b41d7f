"""Benchmark: `cemlab render` against the loop a consultant would otherwise script.

Renders N clients (copies of the demo clients in params/ under new slugs) two ways in the same
run and prints both times, their ratio, and the floor the batch cannot beat:

1. ``cemlab render <folder> --jobs <cores>`` (report.html, report.pptx, tables, audit copy);
2. per client, ``papermill`` (CLI) then ``jupyter nbconvert --to html --no-input`` (CLI).

The deck and the PDF are then timed on their own, per client, from what the batch wrote:
``cemlab.deck.write_deck`` (inside the batch's time too: every report gets its deck) and
``cemlab.pdf.print_pdf`` (what ``--pdf`` adds; skipped without Chromium).

The floor is measured, not assumed: starting a kernel and importing the notebook's libraries
(per client), and the analysis work itself (the notebook's cells in an already warm kernel).
The ideal batch time is (floor + analysis) x N / cores.

    python bench/render.py                # 24 clients
    python bench/render.py --clients 8    # quicker
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import yaml
from jupyter_client.manager import start_new_kernel
from papermill.translators import translate_parameters

from cemlab.params import load_params
from cemlab.render import DEFAULT_NOTEBOOK, default_jobs

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
#: What the report notebook imports before it analyses anything (its set-up cell).
NOTEBOOK_IMPORTS = "%matplotlib inline\nimport datetime\nimport cemlab\nfrom cemlab import report"


def copy_demo_clients(n: int, folder: Path) -> list[Path]:
    """``n`` params files: the demo clients in turn, each under a new slug, paths absolute."""
    demos = sorted((ROOT / "params").glob("*.yaml"))
    if not demos:
        raise SystemExit("no demo clients in params/: nothing to render")
    folder.mkdir(parents=True)
    written = []
    for i in range(n):
        source = demos[i % len(demos)]
        params = load_params(source).model_dump(mode="json", exclude_defaults=True)
        params["client"] = f"{params['client']}-{i:02d}"
        path = folder / f"{params['client']}.yaml"
        path.write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
        written.append(path)
    return written


def time_cemlab_render(params_folder: Path, reports: Path, jobs: int) -> float:
    started = time.perf_counter()
    subprocess.run(
        [BIN / "cemlab", "render", params_folder, "--reports", reports, "--jobs", str(jobs),
         "--no-progress"],
        check=True, stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def time_scripted_loop(params_files: list[Path], out: Path) -> float:
    """papermill then nbconvert, one client after the other, as a shell loop would run them."""
    out.mkdir(parents=True)
    parameter_files = []
    for path in params_files:  # the notebook parameters a user would write out per client
        values = load_params(path).notebook_parameters()
        values_file = out / f"{path.stem}.parameters.yaml"
        values_file.write_text(yaml.safe_dump(values, allow_unicode=True), encoding="utf-8")
        parameter_files.append(values_file)
    started = time.perf_counter()
    for values_file in parameter_files:
        executed = out / values_file.name.replace(".parameters.yaml", ".ipynb")
        subprocess.run(
            [BIN / "papermill", DEFAULT_NOTEBOOK, executed, "-f", values_file,
             "--cwd", DEFAULT_NOTEBOOK.parent, "--no-progress-bar"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        subprocess.run(
            [BIN / "jupyter", "nbconvert", "--to", "html", "--no-input", executed],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
    return time.perf_counter() - started


def time_deck_and_pdf(params_files: list[Path], reports: Path) -> tuple[float, float | None]:
    """Mean seconds per client to write report.pptx again from the batch's tables, and to print
    its report.html to PDF (None without Chromium)."""
    from cemlab.deck import write_deck
    from cemlab.pdf import find_chromium, print_pdf

    chromium = find_chromium()
    decks, pdfs = [], []
    with tempfile.TemporaryDirectory(prefix="cemlab-bench-deck-") as tmp:
        for path in params_files:
            folder = reports / load_params(path).client
            started = time.perf_counter()
            write_deck(path, folder / "tables", Path(tmp) / f"{path.stem}.pptx")
            decks.append(time.perf_counter() - started)
            if chromium:
                started = time.perf_counter()
                print_pdf(folder / "report.html", Path(tmp) / f"{path.stem}.pdf",
                          chromium=chromium)
                pdfs.append(time.perf_counter() - started)
    return statistics.mean(decks), (statistics.mean(pdfs) if pdfs else None)


def _run(client, code: str) -> None:
    reply = client.execute_interactive(code, output_hook=lambda msg: None, timeout=300)
    if reply["content"]["status"] != "ok":
        raise SystemExit(f"benchmark cell failed: {reply['content'].get('evalue')}")


def time_floor(repeats: int) -> float:
    """Median seconds to start a kernel and import the notebook's libraries."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        manager, client = start_new_kernel(kernel_name="python3", stderr=subprocess.DEVNULL)
        try:
            _run(client, NOTEBOOK_IMPORTS)
            times.append(time.perf_counter() - started)
        finally:
            client.stop_channels()
            manager.shutdown_kernel(now=True)
    return statistics.median(times)


def time_analysis(params_files: list[Path]) -> float:
    """Mean seconds of the notebook's cells per client, in one kernel that has imported all."""
    manager, client = start_new_kernel(
        kernel_name="python3", cwd=str(DEFAULT_NOTEBOOK.parent), stderr=subprocess.DEVNULL
    )
    tables = Path(tempfile.mkdtemp(prefix="cemlab-bench-tables-"))
    try:
        _run(client, NOTEBOOK_IMPORTS)
        notebook = nbformat.read(DEFAULT_NOTEBOOK, as_version=4)
        times = []
        for path in params_files:
            values = dict(load_params(path).notebook_parameters(), tables_dir=str(tables))
            injected = translate_parameters("python3", "python", values, "Parameters")
            started = time.perf_counter()
            for cell in notebook.cells:
                if cell.cell_type == "code":
                    _run(client, cell.source)
                    if "parameters" in cell.metadata.get("tags", []):
                        _run(client, injected)
            times.append(time.perf_counter() - started)
        return statistics.mean(times)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
        shutil.rmtree(tables, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=24, help="clients to render (default 24)")
    parser.add_argument("--jobs", type=int, default=default_jobs(), help="default: the cores")
    args = parser.parse_args()
    os.environ.setdefault("MPLBACKEND", "Agg")
    with tempfile.TemporaryDirectory(prefix="cemlab-bench-render-") as tmp:
        work = Path(tmp)
        params_files = copy_demo_clients(args.clients, work / "params")
        demos = len({p.stem.rsplit("-", 1)[0] for p in params_files})
        print(f"{args.clients} clients (copies of {demos} demo clients), {args.jobs} jobs, "
              f"{default_jobs()} cores available")
        batch = time_cemlab_render(work / "params", work / "reports", args.jobs)
        print(f"cemlab render --jobs {args.jobs}:             {batch:7.1f} s")
        loop = time_scripted_loop(params_files, work / "loop")
        print(f"papermill + nbconvert CLI loop:      {loop:7.1f} s")
        print(f"speed-up:                            {loop / batch:7.1f} x")
        deck, pdf = time_deck_and_pdf(params_files, work / "reports")
        print(f"report.pptx alone (in the batch):    {deck:7.2f} s per client")
        print("report.pdf (--pdf, headless Chromium): "
              + (f"{pdf:5.2f} s per client" if pdf is not None else "no Chromium, not timed"))
        floor = time_floor(repeats=3)
        analysis = time_analysis(params_files[:demos])
        ideal = (floor + analysis) * args.clients / args.jobs
        print(f"floor, kernel start + imports:       {floor:7.2f} s per client")
        print(f"analysis in a warm kernel:           {analysis:7.2f} s per client")
        print(f"ideal, (floor + analysis) x N / jobs: {ideal:6.1f} s; "
              f"cemlab render takes {batch / ideal:.2f} x the ideal")


if __name__ == "__main__":
    main()
