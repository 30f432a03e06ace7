"""A loop shared out over forks of this process (``chainopt.forks.Shares``): each item
worked on once, by the process that claims it first, the results in the loop's order;
errors and interrupts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from chainopt import forks


def _charts(shares: forks.Shares, folder: Path, n: int, fail_at: int | None = None
            ) -> None:
    """n stand-in charts: chart k is a file named after k and the process making it."""
    for k in range(n):
        i = shares.take()
        if i is None:
            continue
        if k == fail_at:
            raise RuntimeError(f"chart {k} failed")
        path = folder / f"c{k}-by-{os.getpid()}"
        path.write_text("")
        shares.done(i, path)


def test_each_chart_is_drawn_once_and_listed_in_order(tmp_path):
    """Three processes, ten charts: every chart made once (ten files, whichever process
    claimed it), the paths in the charts' order."""
    with forks.Shares(3) as shares:
        _charts(shares, tmp_path, 10)
    got = shares.results()
    assert [p.name.split("-")[0] for p in got] == [f"c{k}" for k in range(10)]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in got)


def test_a_process_drawing_a_slow_chart_leaves_the_next_ones_to_the_others(tmp_path):
    """Chart 0 takes 2 s in the process that claims it; charts 1-5 (a file each) are
    claimed meanwhile by the other process, not left to wait for it (taking turns, the
    300k run's four maps fell to one process)."""
    import time

    with forks.Shares(2) as shares:
        for k in range(6):
            i = shares.take()
            if i is not None:
                if k == 0:
                    time.sleep(2)
                path = tmp_path / f"c{k}-by-{os.getpid()}"
                path.write_text("")
                shares.done(i, path)
    by = [p.name.split("-by-")[1] for p in shares.results()]
    assert len(by) == 6 and all(pid != by[0] for pid in by[1:]), by


def _fail_in_the_copy(error: type[BaseException]) -> None:
    """Four charts on two processes, the one here slow (0.5 s a chart) so that the copy
    claims one: it fails there."""
    import time

    with forks.Shares(2) as shares:
        for _k in range(4):
            if shares.take() is None:
                continue
            if shares.rank:
                raise error("a chart failed in the copy")
            time.sleep(0.5)


def test_a_chart_failing_in_another_process_fails_here():
    """The copy's error is raised here (as itself), and one that does not pickle (a
    class of this function's own) by its words."""
    with pytest.raises(RuntimeError, match="a chart failed in the copy"):
        _fail_in_the_copy(RuntimeError)

    class Mine(Exception):
        pass

    with pytest.raises(RuntimeError, match="Mine: a chart failed in the copy"):
        _fail_in_the_copy(Mine)


def test_an_error_here_ends_the_other_processes_at_once(tmp_path):
    """Chart 0 fails here while the second process would go on for a minute: it is
    killed and reaped when the block is left (no process of it left)."""
    with pytest.raises(RuntimeError, match="chart 0 failed"), forks.Shares(2) as shares:
        others = [pid for pid, _read in shares._copies]
        if shares.rank:
            import time

            time.sleep(60)
        _charts(shares, tmp_path, 2, fail_at=0)
    assert len(others) == 1
    with pytest.raises(ProcessLookupError):
        os.kill(others[0], 0)


def test_no_fork_beside_another_thread_nor_off_linux(monkeypatch):
    """A process running another Python thread (a notebook's kernel) is not forked: a
    lock that thread held at the fork would stay held in the copy; else one process per
    core it may run on, at most 4. (The count of threads
    is set here: a thread an earlier test of this process left running counts too.)"""
    import threading

    monkeypatch.setattr(forks.sys, "platform", "linux")
    monkeypatch.setattr(forks.os, "sched_getaffinity", lambda _pid: {0, 1, 2, 3, 4, 5})
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    assert forks.processes() == forks.MAX_PROCESSES == 4
    monkeypatch.setattr(forks.os, "sched_getaffinity", lambda _pid: {3})
    assert forks.processes() == 1
    monkeypatch.setattr(forks.os, "sched_getaffinity", lambda _pid: {0, 1})
    assert forks.processes() == 2
    monkeypatch.setattr(threading, "active_count", lambda: 2)
    assert forks.processes() == 1
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    monkeypatch.setattr(forks.sys, "platform", "darwin")
    assert forks.processes() == 1
