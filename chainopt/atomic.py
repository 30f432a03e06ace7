"""Atomic writes: a file or folder appears complete, or not at all.

Everything chainopt writes goes to a temporary sibling first and is renamed into
place only when complete, so a failed or interrupted run leaves nothing behind. An
existing folder is replaced only when asked: it is moved aside, and deleted only
after the new one is in place.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path


def write_folder(folder: str | Path, fill: Callable[[Path], None]) -> Path:
    """Create ``folder`` by calling ``fill(tmp)`` on an empty temporary sibling."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        fill(tmp)
        old = None
        if folder.exists():
            old = folder.with_name(f".{folder.name}.old-{os.getpid()}")
            folder.rename(old)
        tmp.rename(folder)
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def write_file(path: str | Path, fill: Callable[[Path], None]) -> Path:
    """Create ``path`` by calling ``fill(tmp_path)``; the file gets the usual mode."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        fill(Path(tmp))
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
