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


def test_the_page_is_made_once_first_beside_the_charts(folders, tmp_path):
    """``page`` (the report's HTML) is one more item of the loop, the first: made by one
    of the three processes, once, its path first, the charts' after it as without it."""
    from chainopt.results import Results

    res = Results.load(folders[0])
    said = tmp_path / "said"

    def page() -> Path:
        with open(said, "a", encoding="utf-8") as f:  # one line per call, from any process
            f.write("made\n")
        (tmp_path / "with").mkdir(exist_ok=True)
        path = tmp_path / "with" / "report.html"
        path.write_text("<p>page</p>", encoding="utf-8")
        return path

    made = static.write_static(res.tables, res.manifest, tmp_path / "with", "png",
                               processes=3, page=page)
    charts_alone = static.write_static(res.tables, res.manifest, tmp_path / "alone", "png",
                                       processes=1)
    assert said.read_text(encoding="utf-8") == "made\n"
    assert made[0] == tmp_path / "with" / "report.html"
    assert made[0].read_text(encoding="utf-8") == "<p>page</p>"
    assert [p.name for p in made[1:]] == [p.name for p in charts_alone]


def test_a_page_that_fails_fails_the_charts_in_any_process(folders, tmp_path):
    """An error making the page, in whichever process made it, is the call's."""
    from chainopt.errors import InputError, Problem
    from chainopt.results import Results

    res = Results.load(folders[0])

    def page() -> Path:
        raise InputError([Problem("report.html", "cannot be written here")])

    for n in (1, 2):
        with pytest.raises(InputError, match="cannot be written here"):
            static.write_static(res.tables, res.manifest, tmp_path / str(n), "png",
                                processes=n, page=page)


def test_a_reports_page_is_the_same_with_its_pictures(folders, tmp_path):
    """``chainopt report --png`` writes the page beside the pictures: the same page
    (but the minute it was made in) as a report without them; the HTML first."""
    import re
    import shutil

    for name in ("bare", "png"):
        shutil.copytree(folders[0], tmp_path / name)
    bare = api.report(tmp_path / "bare")
    png = api.report(tmp_path / "png", static=("png",))
    assert png[0].name == "report.html" and len(png) > 10

    def text(p: Path) -> str:
        return re.sub(r"report \d{4}-\d\d-\d\d \d\d:\d\d UTC", "", p.read_text("utf-8"))

    assert text(bare[0]) == text(png[0])
