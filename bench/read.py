"""How fast and lean `read_table` is against the obvious alternative, in the same run.

CSV against ``pandas.read_csv`` (all columns as text, as `read_table` keeps them), .xlsx
against ``pandas.read_excel`` (openpyxl and calamine engines), .sav against
``pyreadstat.read_sav``, Parquet against ``pandas.read_parquet``. Each measurement runs in a
fresh process, so that its peak memory (max RSS) is its own. Usage::

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
kind, path = sys.argv[1], sys.argv[2]
start = time.perf_counter()
if kind == "read_table":
    from cemlab.io import read_table
    rows = len(read_table(path).cells)
elif kind == "pandas.read_csv":
    import pandas as pd
    rows = len(pd.read_csv(path, dtype=str))
elif kind.startswith("pandas.read_excel"):
    import pandas as pd
    rows = len(pd.read_excel(path, engine=kind.split(":")[1]))
elif kind == "pyreadstat.read_sav":
    import pyreadstat
    rows = len(pyreadstat.read_sav(path, user_missing=True)[0])
elif kind == "pandas.read_parquet":
    import pandas as pd
    rows = len(pd.read_parquet(path))
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak, "rows": rows}))
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


def compare(label: str, path: Path, ours: str, theirs: list[str]) -> None:
    mine = measure(ours, path)
    for other in theirs:
        base = measure(other, path)
        print(f"{label:<28} read_table {mine['seconds']:6.2f} s {mine['peak_mb']:6.0f} MB | "
              f"{other} {base['seconds']:6.2f} s {base['peak_mb']:6.0f} MB | "
              f"ratio {mine['seconds'] / base['seconds']:.2f}x time, "
              f"{mine['peak_mb'] / base['peak_mb']:.2f}x memory")


def main(sizes: list[int]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for rows in sizes:
            frame = survey_frame(rows)
            csv_path = Path(folder) / f"survey-{rows}.csv"
            frame.to_csv(csv_path, index=False)
            size = csv_path.stat().st_size / 1e6
            compare(f"CSV {rows:,} x {COLUMNS} ({size:.0f} MB)", csv_path, "read_table",
                    ["pandas.read_csv"])
            parquet_path = csv_path.with_suffix(".parquet")
            frame.to_parquet(parquet_path)
            compare(f"Parquet {rows:,} x {COLUMNS}", parquet_path, "read_table",
                    ["pandas.read_parquet"])
        rows = min(sizes[0], 20_000)
        frame = survey_frame(rows)
        xlsx_path = Path(folder) / f"survey-{rows}.xlsx"
        frame.to_excel(xlsx_path, index=False)
        compare(f"xlsx {rows:,} x {COLUMNS}", xlsx_path, "read_table",
                ["pandas.read_excel:openpyxl", "pandas.read_excel:calamine"])
        import pyreadstat

        sav_path = Path(folder) / f"survey-{sizes[0]}.sav"
        pyreadstat.write_sav(survey_frame(sizes[0]), str(sav_path))
        compare(f"sav {sizes[0]:,} x {COLUMNS}", sav_path, "read_table",
                ["pyreadstat.read_sav"])


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100_000, 1_000_000])
