"""Ctrl-C and SIGTERM end a command with exit 130 and one line, never a traceback
(used by :mod:`chainopt.start`, the console script, and :mod:`chainopt.cli`), and a
command's worker processes end with it. Standard library only, so that it is loaded
before anything an interrupt could cut.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from typing import NoReturn

#: the exit code of a command stopped by Ctrl-C or SIGTERM (128 + SIGINT, as a shell says)
INTERRUPTED = 130


def terminated(_signum: int, _frame: object) -> None:
    """SIGTERM (a CI job cancelled, ``docker stop``, ``kill``) stops a command as Ctrl-C
    does: what it was writing is removed and an earlier folder put back (exit 130)."""
    raise KeyboardInterrupt


def interrupted_line() -> str:
    """What an interrupted command says: that it wrote nothing, or what it had written
    (the first three, then how many more) — nothing else was written."""
    atomic = sys.modules.get("chainopt.atomic")  # not loaded yet: nothing written
    done = atomic.written() if atomic is not None else []
    if not done:
        return "interrupted: nothing written"
    shown = ", ".join(str(p) for p in done[:3]) + (f" and {len(done) - 3} more"
                                                   if len(done) > 3 else "")
    return f"interrupted: nothing more written ({shown} written before it)"


def ignore_signals() -> None:
    """Ctrl-C and SIGTERM ignored from now on: the command is ending (a second Ctrl-C
    while it says so, or while Python shuts down, would come out as a traceback)."""
    for k in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(ValueError, OSError):
            signal.signal(k, signal.SIG_IGN)


def exit_interrupted() -> NoReturn:
    """End a command interrupted while it loads (nothing to clean up yet): one line on
    stderr, exit 130, at once. Not through ``sys.exit``: a KeyboardInterrupt that came
    out of a C extension's ``PyRun_String`` while it was imported leaves Python marked
    as ended by Ctrl-C, and the interpreter then kills itself with SIGINT on the way out
    (exit -2 instead of 130, although the interrupt was handled)."""
    ignore_signals()
    with contextlib.suppress(Exception):
        sys.stderr.write(interrupted_line() + "\n")
        sys.stderr.flush()
        sys.stdout.flush()
    os._exit(INTERRUPTED)


def end_with_parent(parent: int) -> None:
    """In a pool process (Linux): be sent SIGTERM when the ``parent`` process dies, so
    that workers never outlive a killed command (``kill -9``): each stops as on Ctrl-C,
    its unfinished folder removed. Elsewhere, nothing."""
    if sys.platform.startswith("linux"):
        import ctypes  # lazy: this module loads first, at every command's start

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the parent was already gone before that
            os._exit(1)
