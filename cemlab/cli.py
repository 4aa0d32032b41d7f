"""The `cemlab` command: argument parsing and printing only; the work is in the package.

Exit codes: 0 success, 1 the data or a client failed (with a one-line reason), 2 usage error.
A `CemlabError` is printed as its message; no traceback reaches a consultant.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import select
import sys
from collections.abc import Sequence

from cemlab import __version__
from cemlab.exceptions import CemlabError


def _cmd_instruments(args: argparse.Namespace) -> int:
    from cemlab.instrument import list_instruments, load_instrument

    for name in list_instruments():
        instrument = load_instrument(name)
        print(f"{name}: {instrument.title or ''} ({len(instrument.items)} items)")
    return 0


def _cmd_instruments_show(args: argparse.Namespace) -> int:
    from cemlab.instrument import load_instrument

    print(load_instrument(args.name).describe())
    return 0


def _cmd_init(args: argparse.Namespace) -> int:
    from cemlab.starter import draft_params, write_params_file

    starter = draft_params(args.data, args.instrument, params_file=args.output,
                           client=args.client, sheet=args.sheet)
    write_params_file(starter, force=args.force)
    print(starter.summary())
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from cemlab.validate import params_path_problem, validate_params_file

    problem = params_path_problem(args.params)
    if problem:  # a usage error: nothing to validate
        print(f"cemlab validate: error: {problem}", file=sys.stderr)
        return 2
    report = validate_params_file(args.params)
    print(report.summary())
    return 0 if report.ok else 1


def _cmd_render(args: argparse.Namespace) -> int:
    from cemlab.render import DEFAULT_NOTEBOOK, render_batch

    batch = render_batch(
        args.params,
        notebook=args.notebook or DEFAULT_NOTEBOOK,
        reports_dir=args.reports,
        jobs=args.jobs,
        skip_unchanged=args.skip_unchanged,
        progress=not args.no_progress,
        on_client=lambda client: print(client.line(), flush=True),  # a log shows progress
        pdf=args.pdf,
    )
    print(batch.tally())
    return 0 if batch.ok else 1


def _cmd_template(args: argparse.Namespace) -> int:
    from cemlab.render import write_report_template

    path = write_report_template(args.notebook, force=args.force)
    print(f"wrote {path}: a copy of the built-in report notebook. Edit it in JupyterLab, keep "
          f"its parameters cell, then: cemlab render params/ --notebook {path}")
    return 0


def _cmd_present(args: argparse.Namespace) -> int:
    from cemlab.render import render_notebook

    pdf = False if args.no_pdf else None
    for path in render_notebook(args.notebook, args.reports, slides=not args.no_slides, pdf=pdf):
        print(path)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cemlab",
        description="cemlab: a research workbench for Customer Experience Management surveys.",
    )
    parser.add_argument("--version", action="version", version=f"cemlab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "instruments",
        help="list the built-in instruments; `instruments show NAME` prints one's items",
    )
    p.set_defaults(func=_cmd_instruments)
    shows = p.add_subparsers(dest="instruments_command", metavar="show")
    show = shows.add_parser(
        "show", help="print an instrument's item ids, statements and dimensions",
        description="Print the item ids, statements and dimensions of an instrument: the ids "
        "a params file maps columns to.")
    show.add_argument("name", metavar="NAME", help="a built-in name or an instrument YAML path")
    show.set_defaults(func=_cmd_instruments_show)

    p = sub.add_parser(
        "init",
        help="draft params/<client>.yaml from a client's data file",
        description="Write a starter params file from DATA_FILE: the columns matched, the "
        "group labels found with their counts, and commented lines for what could not be "
        "placed. Never replaces an existing file unless --force. Then run cemlab validate.",
    )
    p.add_argument("data", metavar="DATA_FILE", help="the client's survey file")
    p.add_argument("--instrument", default="cem-maturity",
                   help="built-in name or instrument YAML (default: cem-maturity)")
    p.add_argument("--client", default=None,
                   help="client slug (default: from the data file's name)")
    p.add_argument("--output", "-o", default=None,
                   help="params file to write (default: params/<client>.yaml)")
    p.add_argument("--sheet", default=None, help="Excel sheet name (default: the first)")
    p.add_argument("--force", action="store_true", help="replace an existing params file")
    p.set_defaults(func=_cmd_init)

    p = sub.add_parser(
        "validate",
        help="check a client's params and data; print the data-quality summary",
        description="Exit 0 when the data can be analysed, 1 when it cannot, 2 on a usage error.",
    )
    p.add_argument("params", metavar="PARAMS.yaml", help="the client's params file")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser(
        "render",
        help="render one HTML report per client",
        description="Render reports/<client>/report.html for every params file given "
        "(files or folders of *.yaml), plus reports/index.html.",
    )
    p.add_argument("params", nargs="+", metavar="PARAMS", help="params files or folders")
    p.add_argument("--jobs", "-j", type=int, default=None,
                   help="clients in parallel (default: cores)")
    p.add_argument("--reports", default="reports", help="output folder (default: reports)")
    p.add_argument(
        "--skip-unchanged",
        action="store_true",
        help="skip a client whose params, data and notebook are unchanged since its last report",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument(
        "--notebook", default=None, metavar="NOTEBOOK.ipynb",
        help="your own report notebook, run with the same parameters (default: the built-in "
        "one; `cemlab template` writes a copy to start from)",
    )
    p.add_argument("--pdf", action="store_true",
                   help="also print reports/<client>/report.pdf (needs Chromium: "
                   "apt-get install chromium)")
    p.set_defaults(func=_cmd_render)

    p = sub.add_parser(
        "template",
        help="write a copy of the built-in report notebook, to make a report of your own",
        description="Write NOTEBOOK.ipynb, a copy of the report notebook cemlab render runs. "
        "Edit it in JupyterLab (keep the cell tagged parameters), then render with it: "
        "cemlab render params/ --notebook NOTEBOOK.ipynb. Never replaces a file unless --force.",
    )
    p.add_argument("notebook", metavar="NOTEBOOK.ipynb", help="the notebook to write")
    p.add_argument("--force", action="store_true", help="replace an existing file")
    p.set_defaults(func=_cmd_template)

    p = sub.add_parser(
        "present",
        help="run a notebook (e.g. the workshop) and write it as a handout and reveal.js slides",
        description="Run NOTEBOOK in its folder and write <reports>/<name>/<name>.html (the "
        "handout: no code, opens offline, prints on A4), <name>.pdf (the handout printed by "
        "headless Chromium, when it is on the machine), <name>.slides.html (reveal.js slides in "
        "one file: present them offline, e.g. from a USB stick) and the executed <name>.ipynb.",
    )
    p.add_argument("notebook", metavar="NOTEBOOK.ipynb", help="the notebook to run")
    p.add_argument("--reports", default="reports", help="output folder (default: reports)")
    p.add_argument("--no-slides", action="store_true", help="no slides, the handout only")
    p.add_argument("--no-pdf", action="store_true", help="no PDF of the handout")
    p.set_defaults(func=_cmd_present)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except CemlabError as exc:
        print(f"cemlab {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:  # RenderInterrupted says which signal; Ctrl-C otherwise
        code = getattr(exc, "exit_code", 130)
        kept = " (every earlier report is as it was)" if args.command == "render" else ""
        with contextlib.suppress(OSError):
            print(f"cemlab {args.command}: interrupted{kept}", file=sys.stderr)
        return code
    except BrokenPipeError as exc:
        if not _stdout_is_closed():  # a pipe of our own broke: an error, not a reader gone
            print(f"cemlab {args.command}: error: {exc}", file=sys.stderr)
            return 1
        # the reader went away (e.g. `cemlab validate ... | head`): stop quietly, as cat does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _stdout_is_closed() -> bool:
    """Whether nobody reads stdout any more (the reading end of its pipe was closed)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return False  # not a real file (a test's capture): nothing to be closed
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))


if __name__ == "__main__":
    sys.exit(main())
