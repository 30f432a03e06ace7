"""A loop's items shared out over copies of this process (forks): a report's pictures, a
comparison's scenarios. Standard library only.

Every process runs the loop, the same items in the same order, and works on the items
it claims (:meth:`Shares.take`): the first process to reach an item no process has
claimed yet, through a counter they share. A process busy with a slow item so leaves
the next ones to the others (taking turns instead, the 300k run's four maps, a second
each, fell to one process). Each item is worked on once, by the same code, so the
results are those of one process; they come back by number, in the loop's order
(:meth:`Shares.results`).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
from typing import Any

from chainopt.interrupt import end_with_parent

#: the most processes a loop is shared out over (:func:`processes`)
MAX_PROCESSES = 4


def processes() -> int:
    """How many processes share a loop (:class:`Shares`): one per core this process may
    run on, at most :data:`MAX_PROCESSES`; 1 off Linux (a fork there is not safe with
    every library, or does not exist) and in a process running other Python threads (a
    notebook's kernel, an application calling the api from a thread: a lock one of them
    held at the fork would stay held in the copy)."""
    import threading  # lazy: loaded by Python already

    if not sys.platform.startswith("linux") or threading.active_count() > 1:
        return 1
    return max(1, min(len(os.sched_getaffinity(0)), MAX_PROCESSES))


class Shares:
    """The items of one ``with`` block's loop shared out over ``n`` processes: this one
    and ``n - 1`` copies of it forked on entering (see the module). A copy ends at the
    block's end (``os._exit``: nothing after the block runs in it), handing what it
    recorded (:meth:`done`) to this process through a pipe, or its error, which this
    process then raises (one that does not pickle by its words). A copy ignores Ctrl-C
    and ends with this process; an error or interrupt here ends the copies at once
    (SIGKILL), so what the block writes must be written so that a part is never kept
    (a report: into a staging folder, :func:`chainopt.atomic.write_staged`)."""

    def __init__(self, n: int = 1) -> None:
        self.n, self.rank, self.count = max(1, n), 0, 0
        self._made: dict[int, Any] = {}
        self._copies: list[tuple[int, int]] = []  # (pid, read end of its pipe)
        self._out = -1
        self._next: Any = None  # the first item not yet claimed (shared, with its lock)

    def __enter__(self) -> Shares:
        if self.n > 1:
            import multiprocessing  # lazy: only for a loop over several processes

            self._next = multiprocessing.get_context("fork").Value("q", 0)
        parent = os.getpid()
        for rank in range(1, self.n):
            read, write = os.pipe()
            pid = os.fork()
            if pid == 0:  # the copy: its share, then what it made into the pipe
                os.close(read)
                for _pid, other in self._copies:
                    os.close(other)
                self.rank, self._out, self._copies = rank, write, []
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                end_with_parent(parent)
                return self
            os.close(write)
            self._copies.append((pid, read))
        return self

    def take(self) -> int | None:
        """The number of the next item if this process works on it (it is the first to
        reach it: every item before it is claimed, since each process passes them in
        order), else None."""
        i, self.count = self.count, self.count + 1
        if self._next is None:
            return i
        with self._next.get_lock():
            if self._next.value != i:
                return None
            self._next.value = i + 1
        return i

    def done(self, i: int, made: Any) -> None:
        """What item ``i`` (:meth:`take`) made (a path written, tables); it must pickle."""
        self._made[i] = made

    def results(self) -> list:
        """What every item made, in the loop's order (an item that recorded nothing has
        no entry)."""
        return [self._made[i] for i in sorted(self._made)]

    def __exit__(self, kind, error, _tb) -> None:
        if self.rank:
            self._hand_over(error)
        if kind is not None:
            self._end_copies()
            return
        try:
            while self._copies:
                pid, read = self._copies[0]
                self._copies[0] = (pid, -1)  # the pipe closed below, whatever comes
                with os.fdopen(read, "rb") as pipe:
                    said = pipe.read()
                os.waitpid(pid, 0)
                self._copies.pop(0)
                got: Any = pickle.loads(said) if said else ("error", RuntimeError(
                    f"a process sharing the work (pid {pid}) ended without handing "
                    "it over"))
                if got[0] == "error":
                    raise got[1]
                self._made.update(got[1])  # its items' numbers and what they made
        finally:
            self._end_copies()

    def _hand_over(self, error: BaseException | None) -> None:
        """In a copy: what it made, or its error, into the pipe; then end the process."""
        try:
            try:
                said = pickle.dumps(("ok", self._made) if error is None else ("error", error))
            except Exception:  # an error that does not pickle: its words
                said = pickle.dumps(("error", RuntimeError(f"{type(error).__name__}: "
                                                           f"{error}")))
            with os.fdopen(self._out, "wb") as pipe:
                pipe.write(said)
        finally:
            os._exit(0)

    def _end_copies(self) -> None:
        for pid, read in self._copies:
            if read >= 0:
                os.close(read)
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.waitpid(pid, 0)
        self._copies = []
