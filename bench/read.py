"""How fast and lean `read_table` is against the obvious alternative, in the same run.

CSV against ``pandas.read_csv`` (all columns as text, as `read_table` keeps them), .xlsx
against ``pandas.read_excel`` (openpyxl and calamine engines), .sav against
``pyreadstat.read_sav``, Parquet against ``pandas.read_parquet``. Each measurement runs in a
fresh process after its imports (cemlab's take seconds), so that its time and its peak
memory are the read's own: "peak" is the rise of max RSS over the process after imports,
"frame" the size of what was read (``memory_usage(deep=True)``). Files are written by a
child process too, since a child inherits its parent's max RSS. Usage::

    python bench/read.py            # 100,000 and 1,000,000 rows x 30 columns
    python bench/read.py 20000      # other row counts
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

COLUMNS = 30

_MEASURE = """
import json, resource, sys, time
import pandas as pd
import pyreadstat
from cemlab.io import read_table
kind, path = sys.argv[1], sys.argv[2]
read = {
    "read_table": lambda: read_table(path).cells,
    "pandas.read_csv": lambda: pd.read_csv(path),
    "pandas.read_csv(dtype=str)": lambda: pd.read_csv(path, dtype=str),
    "pandas.read_excel(openpyxl)": lambda: pd.read_excel(path, engine="openpyxl"),
    "pandas.read_excel(calamine)": lambda: pd.read_excel(path, engine="calamine"),
    "pyreadstat.read_sav": lambda: pyreadstat.read_sav(path, user_missing=True)[0],
    "pandas.read_parquet": lambda: pd.read_parquet(path),
}[kind]
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
start = time.perf_counter()
frame = read()
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - before
print(json.dumps({"seconds": seconds, "peak_mb": peak, "rows": len(frame),
                  "frame_mb": frame.memory_usage(deep=True).sum() / 1e6}))
"""


def survey_frame(rows: int, seed: int = 1) -> pd.DataFrame:
    """A feedback export: an id, a group label, 27 scores 1-5 (5% blank) and a comment."""
    rng = np.random.default_rng(seed)
    data = {"respondent_id": [f"R{i:07d}" for i in range(rows)],
            "role": rng.choice(["staff", "Zarząd", "management"], rows)}
    for i in range(1, COLUMNS - 2):
        scores = rng.integers(1, 6, rows).astype(float)
        scores[rng.random(rows) < 0.05] = np.nan
        data[f"q{i}"] = scores
    data["comment"] = rng.choice(["", "Great service", "Slow, but friendly"], rows)
    return pd.DataFrame(data)


def measure(kind: str, path: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", _MEASURE, kind, str(path)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def compare(label: str, path: Path, theirs: list[str]) -> None:
    mine = measure("read_table", path)
    print(f"{label}: read_table {mine['seconds']:.2f} s, peak +{mine['peak_mb']:.0f} MB, "
          f"frame {mine['frame_mb']:.0f} MB ({mine['peak_mb'] / mine['frame_mb']:.1f}x)")
    for other in theirs:
        base = measure(other, path)
        print(f"    {other:<28} {base['seconds']:6.2f} s, peak +{base['peak_mb']:5.0f} MB, "
              f"frame {base['frame_mb']:5.0f} MB | read_table / this: "
              f"{mine['seconds'] / base['seconds']:.2f}x time, "
              f"{mine['peak_mb'] / max(base['peak_mb'], 1):.2f}x peak")


_WRITE = """
import sys
sys.path.insert(0, sys.argv[1])
from read import survey_frame
kind, rows, path = sys.argv[2], int(sys.argv[3]), sys.argv[4]
frame = survey_frame(rows)
if kind == "csv":
    frame.to_csv(path, index=False)
elif kind == "parquet":
    frame.to_parquet(path)
elif kind == "xlsx":
    frame.to_excel(path, index=False)
else:
    import pyreadstat
    pyreadstat.write_sav(frame, path)
"""


def write(kind: str, rows: int, folder: str) -> Path:
    path = Path(folder) / f"survey-{rows}.{kind}"
    subprocess.run([sys.executable, "-c", _WRITE, str(Path(__file__).parent), kind, str(rows),
                    str(path)], check=True)
    return path


def main(sizes: list[int]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for rows in sizes:
            path = write("csv", rows, folder)
            compare(f"CSV {rows:,} x {COLUMNS} ({path.stat().st_size / 1e6:.0f} MB)", path,
                    ["pandas.read_csv", "pandas.read_csv(dtype=str)"])
            compare(f"Parquet {rows:,} x {COLUMNS}", write("parquet", rows, folder),
                    ["pandas.read_parquet"])
        rows = min(sizes[0], 20_000)
        compare(f"xlsx {rows:,} x {COLUMNS}", write("xlsx", rows, folder),
                ["pandas.read_excel(openpyxl)", "pandas.read_excel(calamine)"])
        compare(f"sav {sizes[0]:,} x {COLUMNS}", write("sav", sizes[0], folder),
                ["pyreadstat.read_sav"])


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100_000, 1_000_000])
