"""Errors raised by chainopt, each with the CLI exit code that reports it.

The library raises; only :mod:`chainopt.cli` prints a message and exits.
"""

from __future__ import annotations

import contextlib
import shlex
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from chainopt.controls import plain


class ChainoptError(Exception):
    """Base class of every error chainopt raises on purpose."""

    exit_code = 1


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is, what was found, what to do."""

    where: str  # file (and row/column) or YAML key
    message: str
    hint: str = ""

    def __str__(self) -> str:
        # the place is one line: a line feed in a file's name (``bad\n| x |.yaml``) split
        # the message's line of it in two
        text = f"{plain(self.where, one_line=True)}: {self.message}"
        return f"{text}; {self.hint}" if self.hint else text


#: whether the command line asks (:func:`command_line`), so that a message names what to
#: do as the user can do it: ``--overwrite`` on the command line, ``overwrite=True`` in
#: Python (one message in terms of both read as if the CLI took Python arguments)
_COMMAND_LINE: ContextVar[bool] = ContextVar("chainopt_command_line", default=False)


@contextlib.contextmanager
def command_line(on: bool = True) -> Iterator[None]:
    """Messages made in the block speak to a user of the command line (:func:`said`)."""
    token = _COMMAND_LINE.set(on)
    try:
        yield
    finally:
        _COMMAND_LINE.reset(token)


def asked_from_command_line() -> bool:
    """Whether the command line asks (:func:`command_line`): for a pool worker to say so too."""
    return _COMMAND_LINE.get()


def ask_from_command_line(on: bool) -> None:
    """In a pool worker, for its whole life: the command line asks (or not), as in its
    parent (:func:`asked_from_command_line`)."""
    _COMMAND_LINE.set(on)


def said(option: str, keyword: str) -> str:
    """How a message names a choice: ``option`` (``--overwrite``) when the command line
    asks, else ``keyword`` (``overwrite=True``), as a Python caller passes it."""
    return option if _COMMAND_LINE.get() else keyword


def shell_word(value: object) -> str:
    """``value`` (a path, a scenario file) as one word of a command a message tells to run,
    quoted for a POSIX shell where it must be (``'my case/s.yaml'``), so that the command
    can be pasted as it is; a plain path stays as it is."""
    return shlex.quote(str(value))


def columns_label(columns: Iterable[str]) -> str:
    """How a problem's place names its columns: ``column a`` or ``columns a, b``."""
    cols = list(columns)
    return f"column{'s' if len(cols) > 1 else ''} {', '.join(cols)}"


class InputError(ChainoptError):
    """The case, scenario or options are invalid. Holds every problem found."""

    exit_code = 1
    #: what the problems are with, in the message's first line
    about = "in the input"

    def __init__(self, problems: list[Problem] | str, summary: str | None = None):
        """``summary``: what the problems amount to, said before their count in the
        message's first line (``2 of 3 snapshots could not be re-run (2 problems in the
        input)``), not one of them."""
        if isinstance(problems, str):
            problems = [Problem("input", problems)]
        self.problems = list(problems)
        self.summary = summary
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} {self.about}"
        if summary:
            head = f"{summary} ({head})"
        super().__init__(head + ":\n" + "\n".join(f"  - {p}" for p in self.problems))

    def __reduce__(self):
        """Pickled as its problems (from a pool process), not as its message: read back as
        one problem, the message would have been said again inside another."""
        return type(self), (self.problems, self.summary)


class OutputError(InputError):
    """Where chainopt is to write cannot take it: a folder another chainopt run is
    writing, one it may not replace, a file where a folder belongs, no permission or no
    space. (An InputError, as the output location is an input of the command.)"""

    about = "with the output"


class DamagedResultsError(InputError):
    """A results folder (or a comparison's) that is not as chainopt wrote it: a table
    cut short or edited, a manifest edited by hand. The folder is the problem, not the
    command's input, and the message says so (``1 problem in the results folder:``); an
    InputError all the same (exit 1)."""

    about = "in the results folder"


class InfeasibleError(ChainoptError):
    """No plan satisfies all constraints."""

    exit_code = 3


class UnboundedError(ChainoptError):
    """The objective can grow without limit: a bound or cost is missing."""

    exit_code = 3


class SolverError(ChainoptError):
    """The solver failed or stopped at a limit without a usable plan."""

    exit_code = 4


class ResultsExistError(ChainoptError):
    """A results folder exists and overwriting was not asked for."""

    exit_code = 1


class ResultsDifferError(ChainoptError):
    """A re-run or snapshot check found results beyond tolerance: the model, solver or a
    dependency changed the answer."""

    exit_code = 5


class InputsChangedError(ChainoptError):
    """The recorded inputs no longer hash to the same value: someone edited the data."""

    exit_code = 6


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM) stopped a sweep whose finished variants are kept in ``folder``
    (``saved`` of ``total``): ``chainopt sweep --resume FOLDER`` solves the rest. A sweep
    replacing another (``replacing``, ``--overwrite``) keeps nothing: the old one stays."""

    def __init__(self, folder: object, saved: int, total: int, replacing: bool = False
                 ) -> None:
        super().__init__(
            f"interrupted: nothing saved; the sweep in {folder} is as it was (--overwrite "
            "replaces it only when the new sweep finishes)" if replacing else
            f"interrupted: {saved:,} of {total:,} variants saved in {folder}; finish with "
            f"chainopt sweep --resume {folder}")
        self.folder, self.saved, self.total = folder, saved, total
