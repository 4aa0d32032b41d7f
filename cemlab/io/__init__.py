"""Reading a client's survey file, of any common format, into one validated `Survey`.

The steps, one module each:

- `readers`: one reader per format (CSV, Excel, SPSS), detected from the content, giving a
  `RawTable` that keeps the header rows and the row numbers the client's spreadsheet shows
  (`encoding` tells a CSV's text encoding; `layout` which survey tool wrote the header rows);
- `matching`: the table's columns matched to the instrument's items, the group and the extras;
- `answers`: what each cell means (a score, a no-answer, a problem) and each group label;
- `load`: all of it into a `Survey`, with every exclusion and missing answer in the quality log.
"""

from cemlab.io.load import load
from cemlab.io.matching import EXTRA_FIELDS, answer_fields
from cemlab.io.readers import read_table
from cemlab.io.table import RawColumn, RawTable
from cemlab.io.text import MISSING_ANSWERS, column_letter, normalize_text

__all__ = [
    "EXTRA_FIELDS",
    "MISSING_ANSWERS",
    "RawColumn",
    "RawTable",
    "answer_fields",
    "column_letter",
    "load",
    "normalize_text",
    "read_table",
]
