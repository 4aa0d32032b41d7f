"""Benchmark: `cemlab.load` against the plain reader of the same file, in the same run.

Generates a seeded client file into a temporary folder, then times, each in a fresh Python
process (so that its peak RSS is its own):

=============  ==============================  ==================================
file           cemlab                           plain reader
=============  ==============================  ==================================
CSV, 30 cols   ``cemlab.load`` and              ``pandas.read_csv``
               ``cemlab.read_table`` alone
``.xlsx``      ``cemlab.load``                  ``pandas.read_excel`` (openpyxl)
``.sav``       ``cemlab.load``                  ``pyreadstat.read_sav``
=============  ==============================  ==================================

The CSV has the 21 cem-maturity items (1-10 as text; 2% blank, 1% "Don't know", 0.1% out
of range), a respondent id, a role column with client labels (0.5% an unknown label), and
seven columns a real export carries and the survey does not use (department, location,
tenure, weight, a comment, an e-mail, a timestamp): 30 columns. Aim (issue 9): 1,000,000
rows loaded within 3x of ``pandas.read_csv``, time linear in rows, peak memory under 3x
the loaded frame ("frame" = ``memory_usage(deep=True)`` of what each tool returns).

    python bench/load.py                      # CSV at 100k rows, xlsx 10k, sav 100k
    python bench/load.py --sizes 100000 1000000
    python bench/load.py --profile 100000     # cProfile of cemlab.load, top functions
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import importlib
import json
import pstats
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 2026
ITEMS = 21
GROUP_LABELS = {"management": ["Senior management", "Kierownictwo"], "staff": ["Staff"]}


def _items() -> list[str]:
    from cemlab import load_instrument

    return load_instrument("cem-maturity").item_ids


def generate_frame(rows: int, seed: int = SEED) -> pd.DataFrame:
    """The client file's content: answers as text, as a survey tool exports them."""
    rng = np.random.default_rng(seed)
    # numeric ids: a first data row with a text "respondent id" is how SurveyMonkey's
    # sub-header row is recognised
    frame = {"respondent_id": np.arange(100_001, 100_001 + rows)}
    roles = np.array(["Senior management", "Kierownictwo", "Staff", "Contractor"])
    frame["role"] = roles[rng.choice(4, size=rows, p=[0.15, 0.15, 0.695, 0.005])]
    scores = rng.integers(1, 11, size=(rows, ITEMS)).astype(str).astype(object)
    draw = rng.random((rows, ITEMS))
    scores[draw < 0.02] = ""
    scores[(draw >= 0.02) & (draw < 0.03)] = "Don't know"
    scores[(draw >= 0.03) & (draw < 0.031)] = "11"
    for position, item in enumerate(_items()):
        frame[item] = scores[:, position]
    frame["department"] = rng.choice(["Sales", "Operations", "IT", "Finance"], size=rows)
    frame["location"] = rng.choice(["Warszawa", "Kraków", "Gdańsk"], size=rows)
    frame["tenure"] = rng.choice(["<1 year", "1-3 years", "3+ years"], size=rows)
    frame["weight"] = np.round(rng.uniform(0.5, 1.5, size=rows), 3)
    frame["comment"] = np.where(rng.random(rows) < 0.2, "Leaders listen, mostly.", "")
    frame["email"] = np.char.add(np.arange(rows).astype(str), "@client.example")
    frame["submitted"] = pd.Timestamp("2026-01-05") + pd.to_timedelta(
        rng.integers(0, 86400 * 30, size=rows), unit="s")
    return pd.DataFrame(frame)


def write_files(folder: Path, csv_rows: list[int], xlsx_rows: int, sav_rows: int) -> dict:
    files: dict[str, Path] = {}
    for rows in csv_rows:
        path = folder / f"survey-{rows}.csv"
        generate_frame(rows).to_csv(path, index=False)
        files[f"csv-{rows}"] = path
    if xlsx_rows:
        path = folder / f"survey-{xlsx_rows}.xlsx"
        generate_frame(xlsx_rows).to_excel(path, index=False, engine="openpyxl")
        files[f"xlsx-{xlsx_rows}"] = path
    if sav_rows:
        import pyreadstat

        frame = generate_frame(sav_rows)
        coded = pd.DataFrame({"respondent_id": frame["respondent_id"]})
        codes = {"Senior management": 1.0, "Kierownictwo": 1.0, "Staff": 2.0, "Contractor": 3.0}
        coded["role"] = frame["role"].map(codes)
        for item in _items():
            coded[item] = pd.to_numeric(frame[item].replace("Don't know", "99"),
                                        errors="coerce")
        path = folder / f"survey-{sav_rows}.sav"
        pyreadstat.write_sav(
            coded, str(path),
            variable_value_labels={"role": {1.0: "Senior management", 2.0: "Staff",
                                            3.0: "Contractor"},
                                   **{item: {99.0: "Don't know"} for item in _items()}},
            missing_ranges={item: [99.0] for item in _items()},
        )
        files[f"sav-{sav_rows}"] = path
    return files


# -- one measurement, in its own process ----------------------------------------------------


def _measure(tool: str, path: Path) -> dict:
    """Run one tool on one file: seconds, peak RSS added, size of the frame returned.

    Peak RSS is sampled every 2 ms by a thread while the tool runs (the process's own peak
    would include the imports'), minus the RSS just before it starts.
    """
    import pyreadstat

    import cemlab  # imported before the measurement: import cost is not the loader's

    reading = _time_read_table() if tool == "cemlab" else [0.0]
    gc.collect()
    before = _current_rss_kib()
    peak = [before]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.002):
            peak[0] = max(peak[0], _current_rss_kib())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    if tool == "cemlab":
        frame = cemlab.load(path, "cem-maturity", group_labels=GROUP_LABELS,
                            columns={"respondent_id": "respondent_id"},
                            min_group_size=1).responses
    elif tool == "read_table":
        frame = cemlab.read_table(path).cells
    elif tool == "pandas.read_csv":
        frame = pd.read_csv(path)
    elif tool == "pandas.read_excel":
        frame = pd.read_excel(path, engine="openpyxl")
    elif tool == "pyreadstat":
        frame, _ = pyreadstat.read_sav(str(path), user_missing=True)
    else:
        raise ValueError(tool)
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    peak[0] = max(peak[0], _current_rss_kib())
    return {"seconds": seconds, "read_table": sum(reading), "peak_mb": (peak[0] - before) / 1024,
            "frame_mb": frame.memory_usage(deep=True).sum() / 2**20, "rows": len(frame)}


def _time_read_table() -> list[float]:
    """Make `cemlab.load` record how long its `read_table` call took (the rest is load's)."""
    loader = importlib.import_module("cemlab.io.load")  # `cemlab.io.load` is also the function
    spent: list[float] = []
    read_table = loader.read_table

    def timed(*args: object, **kwargs: object) -> object:
        start = time.perf_counter()
        table = read_table(*args, **kwargs)
        spent.append(time.perf_counter() - start)
        return table

    loader.read_table = timed
    return spent


def _current_rss_kib() -> int:
    """This process's resident memory now (peak RSS minus this is what the tool added)."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() // 1024


def measure(tool: str, path: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--measure", tool, str(path)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def profile(rows: int) -> None:
    import cemlab

    with tempfile.TemporaryDirectory() as folder:
        path = write_files(Path(folder), [rows], 0, 0)[f"csv-{rows}"]
        profiler = cProfile.Profile()
        profiler.enable()
        cemlab.load(path, "cem-maturity", group_labels=GROUP_LABELS, min_group_size=1)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--xlsx-rows", type=int, default=10_000)
    parser.add_argument("--sav-rows", type=int, default=100_000)
    parser.add_argument("--profile", type=int, metavar="ROWS")
    parser.add_argument("--measure", nargs=2, metavar=("TOOL", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(_measure(args.measure[0], Path(args.measure[1]))))
        return
    if args.profile:
        profile(args.profile)
        return
    plans = [(f"csv-{n}", ["pandas.read_csv", "read_table", "cemlab"]) for n in args.sizes]
    if args.xlsx_rows:
        plans.append((f"xlsx-{args.xlsx_rows}", ["pandas.read_excel", "cemlab"]))
    if args.sav_rows:
        plans.append((f"sav-{args.sav_rows}", ["pyreadstat", "cemlab"]))
    header = (f"{'file':<14} {'tool':<18} {'rows':>9} {'seconds':>8} {'reading':>8} "
              f"{'x plain':>8} {'rows/s':>10} {'peak MB':>8} {'frame MB':>9} {'peak/file':>9}")
    with tempfile.TemporaryDirectory() as folder:
        files = write_files(Path(folder), args.sizes, args.xlsx_rows, args.sav_rows)
        print(header)
        for name, tools in plans:
            plain = None
            for tool in tools:
                got = measure(tool, files[name])
                plain = plain or got
                reading = f"{got['read_table']:>8.2f}" if tool == "cemlab" else f"{'':>8}"
                # peak memory against the plain reader's frame: the whole file, loaded
                print(f"{name:<14} {tool:<18} {got['rows']:>9} {got['seconds']:>8.2f} {reading} "
                      f"{got['seconds'] / plain['seconds']:>8.2f} "
                      f"{got['rows'] / got['seconds']:>10,.0f} {got['peak_mb']:>8.0f} "
                      f"{got['frame_mb']:>9.0f} {got['peak_mb'] / plain['frame_mb']:>9.2f}",
                      flush=True)


if __name__ == "__main__":
    main()
