"""A run's and a comparison's charts drawn in several processes (``chainopt.forks.Shares``):
the same files, in the same order, as in one process."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainopt import api
from chainopt.report import static

SCEN = Path(__file__).resolve().parents[2] / "scenarios"


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
