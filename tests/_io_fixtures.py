"""Helpers for the loading, params and validate tests: small instruments and client files.

Kept out of conftest.py so that other test modules' fixtures cannot clash with these names.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

import pytest
import yaml

#: The real survey files (../shared/realdata next to the repository, or $CEMLAB_REALDATA).
REALDATA = Path(
    os.environ.get("CEMLAB_REALDATA", Path(__file__).resolve().parents[2] / "shared" / "realdata")
)

needs_realdata = pytest.mark.skipif(
    not REALDATA.is_dir(), reason=f"real survey files not found at {REALDATA}"
)

#: A three-question 1-5 instrument for the bad-file corpus: small files, readable messages.
MINI = {
    "name": "mini",
    "scale": {"min": 1, "max": 5},
    "bands": {"disagree": [1, 2], "neutral": [3, 3], "agree": [4, 5]},
    "groups": {
        "column": "role",
        "levels": ["management", "staff"],
        "labels": {"management": ["Senior management"]},
    },
    "dimensions": [
        {
            "id": "leadership",
            "title": "Leadership",
            "items": [
                {"id": "q1", "text": "Leaders make decisions that fit our strategy",
                 "source": "cemlab"},
                {"id": "q2", "text": "Our executives show their commitment", "source": "cemlab"},
                {"id": "q3", "text": "Leaders reward employees who put customers first",
                 "source": "cemlab"},
            ],
        }
    ],
}


def write_instrument(folder: Path, spec: dict | None = None, name: str = "mini.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(spec or MINI, allow_unicode=True), encoding="utf-8")
    return path


def write_csv(
    path: Path,
    rows: Sequence[Sequence[object]],
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
) -> Path:
    """Write rows the way Excel does: fields quoted only when they must be, CRLF line ends."""
    lines = []
    for row in rows:
        cells = []
        for cell in row:
            text = "" if cell is None else str(cell)
            if any(ch in text for ch in (delimiter, '"', "\n")):
                text = '"' + text.replace('"', '""') + '"'
            cells.append(text)
        lines.append(delimiter.join(cells))
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
