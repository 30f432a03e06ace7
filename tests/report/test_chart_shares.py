"""Charts drawn in several processes (``static.Shares``): each chart drawn once, by the
process whose turn it is, and the same files, in the same order, as in one process."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from chainopt import api
from chainopt.report import static

SCEN = Path(__file__).resolve().parents[2] / "scenarios"


def _charts(shares: static.Shares, folder: Path, n: int, fail_at: int | None = None
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
    with static.Shares(3) as shares:
        _charts(shares, tmp_path, 10)
    got = shares.paths()
    assert [p.name.split("-")[0] for p in got] == [f"c{k}" for k in range(10)]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in got)


def test_a_process_drawing_a_slow_chart_leaves_the_next_ones_to_the_others(tmp_path):
    """Chart 0 takes 2 s in the process that claims it; charts 1-5 (a file each) are
    claimed meanwhile by the other process, not left to wait for it (taking turns, the
    300k run's four maps fell to one process)."""
    import time

    with static.Shares(2) as shares:
        for k in range(6):
            i = shares.take()
            if i is not None:
                if k == 0:
                    time.sleep(2)
                path = tmp_path / f"c{k}-by-{os.getpid()}"
                path.write_text("")
                shares.done(i, path)
    by = [p.name.split("-by-")[1] for p in shares.paths()]
    assert len(by) == 6 and all(pid != by[0] for pid in by[1:]), by


def _fail_in_the_copy(error: type[BaseException]) -> None:
    """Four charts on two processes, the one here slow (0.5 s a chart) so that the copy
    claims one: it fails there."""
    import time

    with static.Shares(2) as shares:
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
    with pytest.raises(RuntimeError, match="chart 0 failed"), static.Shares(2) as shares:
        others = [pid for pid, _read in shares._copies]
        if shares.rank:
            import time

            time.sleep(60)
        _charts(shares, tmp_path, 2, fail_at=0)
    assert len(others) == 1
    with pytest.raises(ProcessLookupError):
        os.kill(others[0], 0)


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """small_chain run, and compared with its port expansion."""
    out = tmp_path_factory.mktemp("shares")
    _sections, _outcomes, folder = api.compare(
        ["small_chain", str(SCEN / "small_port_expansion.yaml")], out=out, jobs=1)
    return out / "small_chain", folder


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_a_runs_charts_are_the_same_files_in_one_process_and_in_three(folders, tmp_path, fmt):
    """small_chain's charts (Sankeys, maps, bars) written by one process and by three:
    the same files, the same bytes, listed in the same order."""
    from chainopt.results import Results

    res = Results.load(folders[0])
    one = static.write_static(res.tables, res.manifest, tmp_path / "one", fmt, processes=1)
    three = static.write_static(res.tables, res.manifest, tmp_path / "three", fmt,
                                processes=3)
    assert len(one) >= 10
    assert [p.name for p in one] == [p.name for p in three]
    for a, b in zip(one, three, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_a_comparisons_charts_are_the_same_files_in_one_process_and_in_two(folders,
                                                                            tmp_path):
    """The comparison's one-pagers, cash flows, objective and change charts: the same."""
    one = static.write_compare_static(folders[1], tmp_path / "one", "png", processes=1)
    two = static.write_compare_static(folders[1], tmp_path / "two", "png", processes=2)
    assert len(one) >= 5 and any(p.name.startswith("report-onepager") for p in one)
    assert [p.name for p in one] == [p.name for p in two]
    for a, b in zip(one, two, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_charts_are_drawn_here_alone_beside_another_thread(monkeypatch):
    """A process running another Python thread (a notebook's kernel) is not forked: a
    lock that thread held at the fork would stay held in the copy. (The count of threads
    is set here: a thread an earlier test of this process left running counts too.)"""
    import threading

    monkeypatch.setattr(static.sys, "platform", "linux")
    monkeypatch.setattr(static.os, "sched_getaffinity", lambda _pid: {0, 1, 2, 3, 4, 5})
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    assert static.drawers() == static.MAX_DRAWERS == 4
    monkeypatch.setattr(static.os, "sched_getaffinity", lambda _pid: {3})
    assert static.drawers() == 1
    monkeypatch.setattr(static.os, "sched_getaffinity", lambda _pid: {0, 1})
    assert static.drawers() == 2
    monkeypatch.setattr(threading, "active_count", lambda: 2)
    assert static.drawers() == 1
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    monkeypatch.setattr(static.sys, "platform", "darwin")
    assert static.drawers() == 1
