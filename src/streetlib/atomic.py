"""Replace a file or a folder only when its new content is complete.

Writers open a temporary sibling of the target (same folder, so the final
``os.replace`` is a rename on one file system), and the target is swapped in
only after the writer has finished without error. A failure, a kill or a full
disk leaves the previous target exactly as it was and no temporary file behind
(except after a hard kill, where a ``.name.tmp-*`` sibling may stay: it never
replaces anything).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def replacing_file(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target``."""
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.tmp-", dir=target.parent)
    os.close(fd)
    temporary = Path(name)
    try:
        yield temporary
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


@contextlib.contextmanager
def replacing_files(folder: Path) -> Iterator[Path]:
    """Yield a temporary folder beside ``folder``; on success each file in it replaces its namesake in ``folder``.

    Files of ``folder`` that the writer did not produce are left alone.
    """
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.tmp-", dir=folder.parent))
    try:
        yield staging
        folder.mkdir(exist_ok=True)
        for path in sorted(staging.iterdir()):
            os.chmod(path, 0o666 & ~_umask())
            os.replace(path, folder / path.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
