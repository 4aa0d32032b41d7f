"""Writing a file so that an interrupt leaves the old file or the new one, never half of one."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def written_atomically(
    path: Path, *, exclusive: bool = False, durable: bool = False
) -> Iterator[Path]:
    """A temporary file beside ``path`` to write in the block; it becomes ``path`` on success.

    The file is made readable by others (0o644: reports, tables and params files are shared)
    and renamed over ``path`` in one ``os.replace``; with ``exclusive`` it is linked to ``path``
    instead, which raises `FileExistsError` if a file appeared there meanwhile. ``durable``
    flushes it to disk first (a params file a consultant will edit). On an error or an
    interrupt the temporary file is removed and ``path`` is as it was.
    """
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        if durable:
            with temporary.open("rb") as written:
                os.fsync(written.fileno())
        os.chmod(temporary, 0o644)  # mkstemp makes it private
        if exclusive:
            os.link(temporary, path)
        else:
            os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
