"""The ``chainopt`` console script: Ctrl-C or SIGTERM at any moment ends a command with
exit 130 and one line, never a traceback.

The command line itself (:mod:`chainopt.cli`) imports typer and rich, and a command
then the engine (pandas, pyarrow, pydantic): about 0.6 s in which an interrupt would
come out of an ``import`` as a traceback. This module imports only the standard library
before it catches one, so only Python's own start (a few milliseconds, where Ctrl-C
ends the process without a word) is left uncovered. A command that a signal stops says
so in one line: ``interrupted: nothing written``, or which folders and files it had
put in place before (:func:`chainopt.atomic.written`: a batch's finished runs, or
results whose swap the signal arrived just after).
"""

from __future__ import annotations

import signal

from chainopt.interrupt import exit_interrupted, ignore_signals, terminated


def main() -> None:  # pragma: no cover - console script entry point (tests: a subprocess)
    """Run the command line (:func:`chainopt.cli.main`), an interrupt caught from the
    first import on."""
    try:
        signal.signal(signal.SIGTERM, terminated)
        from chainopt.cli import main as command_line  # lazy: an interrupt in it is caught
    except KeyboardInterrupt:
        exit_interrupted()
    try:
        command_line()
    finally:
        ignore_signals()  # ending: a signal now would come out of Python's shutdown
