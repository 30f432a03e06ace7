"""The ``chainopt`` console script: Ctrl-C or SIGTERM at any moment ends a command with
exit 130 and one line, never a traceback.

The command line itself (:mod:`chainopt.cli`) imports typer and rich, and a command
then the engine (pandas, pyarrow, pydantic): about 0.6 s in which an interrupt would
come out of an ``import`` as a traceback. This module imports nothing before it
catches one, so only Python's own start (with ``site``, which for an editable install
imports its path finder) and the import of this module are left uncovered: up to about
0.045 s on a loaded 2-core machine (README, *The CLI*). A command that a signal stops says
so in one line: ``interrupted: nothing written``, or which folders and files it had
put in place before (:func:`chainopt.atomic.written`: a batch's finished runs, or
results whose swap the signal arrived just after).
"""

from __future__ import annotations

import signal


def _terminated(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM stops a command as Ctrl-C does (chainopt.interrupt)


def main() -> None:  # pragma: no cover - console script entry point (tests: a subprocess)
    """Run the command line (:func:`chainopt.cli.main`), an interrupt caught from the
    first import on (this module imports nothing else before: ``signal`` is loaded with
    Python)."""
    try:
        signal.signal(signal.SIGTERM, _terminated)
        from chainopt.cli import main as command_line  # lazy: an interrupt in it is caught
    except KeyboardInterrupt:
        from chainopt.interrupt import exit_interrupted  # lazy: as the line above

        exit_interrupted()
    code: str | int | None = 0
    try:
        command_line()
    except SystemExit as stop:
        code = stop.code
    finally:
        from chainopt.interrupt import ignore_signals  # lazy: loaded with the cli by now

        ignore_signals()  # ending: a signal now would come out of Python's shutdown
    leave(code)


def leave(code: str | int | None) -> None:
    """End the process with ``code`` (as ``sys.exit(code)`` would) without tearing the
    interpreter down: the exit functions run (``atexit``) and the standard streams are
    flushed, then the process ends at once (``os._exit``). Freeing every module and
    object one by one is work for nothing at the end of a command (about 0.05 s after a
    run of 100k variables, the modules of pandas, pyarrow and typer). While a thread other
    than a daemon still runs, Python's own exit, which waits for it, is taken instead."""
    import atexit  # lazy: this module imports nothing before it catches an interrupt
    import contextlib
    import os
    import sys
    import threading

    main_thread = threading.main_thread()
    if any(t is not main_thread and not t.daemon and t.is_alive()
           for t in threading.enumerate()):
        sys.exit(code)
    atexit._run_exitfuncs()
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = int(code)
    else:  # as Python says a SystemExit of text: on stderr, exit code 1
        print(code, file=sys.stderr)
        status = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing to say
            stream.flush()
    os._exit(status)
