"""Published figures that a client's scorecard can be compared with, shipped as tidy tables.

A benchmark is a CSV in ``cemlab/benchmarks/`` (or any path with the same columns); the first is
``polska-2008``, the figures the 2008 study of the Polish market published (F1-F12).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

from cemlab.exceptions import DataError

#: Columns of a benchmark table, in order.
COLUMNS = ["figure", "item", "other_item", "group", "statistic", "relation", "value",
           "tolerance", "quote"]

#: What ``statistic`` may say. Percentages are of respondents who answered (0-100);
#: ``net_agree`` = % agree - % disagree in points; ``spearman_r`` is between ``item`` and
#: ``other_item`` over the respondents of ``group``.
STATISTICS = {"pct_agree", "pct_disagree", "net_agree", "mean", "spearman_r"}

#: How the published figure relates to the data: ``eq`` equal within ``tolerance``; ``gt`` / ``ge``
#: greater than (or equal to) ``value``; ``max`` / ``min``: the highest / lowest of that statistic
#: over all items (item pairs for ``spearman_r``); no ``value``.
RELATIONS = {"eq", "gt", "ge", "max", "min"}


def list_benchmarks() -> list[str]:
    """Names of the benchmark tables that ship with cemlab."""
    folder = resources.files("cemlab") / "benchmarks"
    return sorted(p.name[: -len(".csv")] for p in folder.iterdir() if p.name.endswith(".csv"))


def load_benchmark(name_or_path: str | Path = "polska-2008") -> pd.DataFrame:
    """A benchmark table: one row per published figure, tidy.

    Parameters
    ----------
    name_or_path
        A built-in benchmark (``"polska-2008"``, see `list_benchmarks`) or a CSV path with the
        same columns.

    Returns
    -------
    DataFrame
        Columns ``figure`` (the study's figure id, e.g. ``F1``; one figure may span rows),
        ``item``, ``other_item`` (the second item of a correlation, else missing), ``group``
        (a group level such as ``management`` / ``staff``, or ``all``), ``statistic``
        (`STATISTICS`), ``relation`` (`RELATIONS`), ``value`` (float; missing for ``max`` /
        ``min``), ``tolerance`` (float, for ``eq``: percentages ±1 point, means ±0.05) and
        ``quote`` (the study's sentence).

    Raises
    ------
    DataError
        Unknown name, missing file, missing columns or an unknown statistic / relation; the
        message names the file, the row as a spreadsheet numbers it and the value.

    Examples
    --------
    >>> bench = load_benchmark()
    >>> bench.loc[bench.figure == "F12", ["item", "group", "statistic", "value"]].to_dict("records")
    [{'item': 'kpi_reward', 'group': 'all', 'statistic': 'pct_agree', 'value': 47.0}]
    """
    name = str(name_or_path)
    if name in list_benchmarks():
        source = resources.files("cemlab") / "benchmarks" / f"{name}.csv"
        label = f"built-in benchmark {name!r}"
    else:
        source = Path(name_or_path)
        label = str(source)
        if not source.is_file():
            raise DataError(
                f"{source}: no such benchmark file, and no built-in benchmark of that name. "
                f"Fix: give a CSV path or one of {', '.join(list_benchmarks())}"
            )
    with source.open("r", encoding="utf-8") as handle:
        table = pd.read_csv(handle, dtype={"value": float, "tolerance": float},
                            keep_default_na=False, na_values={"value": [""], "tolerance": [""],
                                                              "other_item": [""]})
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise DataError(f"{label}: missing columns {missing}. Fix: the header must be "
                        f"{','.join(COLUMNS)}")
    for column, allowed in (("statistic", STATISTICS), ("relation", RELATIONS)):
        bad = ~table[column].isin(allowed)
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            raise DataError(f"{label}, row {row + 2}, column {column!r}: unknown value "
                            f"{table[column].iloc[row]!r}. Fix: use one of {sorted(allowed)}")
    needs_value = table["relation"].isin({"eq", "gt", "ge"}) & table["value"].isna()
    if needs_value.any():
        row = int(needs_value.to_numpy().nonzero()[0][0])
        raise DataError(f"{label}, row {row + 2}, column 'value': relation "
                        f"{table['relation'].iloc[row]!r} needs a value")
    return table[COLUMNS].reset_index(drop=True)
