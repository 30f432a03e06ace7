"""A sweep's folder is never lost or mixed: a replacing sweep (--overwrite) is made
beside the old one and swapped in only when complete."""

from __future__ import annotations

import errno
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from chainopt import api
from chainopt import sweep as sw
from chainopt.atomic import TMP_MARKER
from chainopt.errors import InputError
from tests.hardening.conftest import cli

PRICES = "markets.price_usd_per_unit*=1,1.1,1.2"


def files(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by relative path, with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.startswith("."))


@pytest.fixture
def old_sweep(tmp_path) -> Path:
    """A complete sweep ``out/sweep-s2`` of three variants."""
    cli("sweep", "small_chain", "--set", PRICES, "--name", "s2", "--out", tmp_path / "out",
        "--jobs", "1", code=0)
    return tmp_path / "out" / "sweep-s2"


def test_failing_overwrite_keeps_the_old_sweep(old_sweep):
    """A replacing sweep whose every variant fails (exit 1) leaves the old sweep as it
    was (it was deleted before anything ran)."""
    before = files(old_sweep)
    _code, text = cli("sweep", "small_chain", "--set", "units.capacity_k_per_yr=-1,-2",
                      "--name", "s2", "--out", old_sweep.parent, "--jobs", "1",
                      "--overwrite", code=1)
    assert "every variant has bad input" in text
    assert files(old_sweep) == before
    assert leftovers(old_sweep.parent) == []


def test_interrupted_overwrite_keeps_the_old_sweep(old_sweep, monkeypatch):
    """Ctrl-C in the second variant of a replacing sweep: the old sweep is whole and
    nothing of the new one is left."""
    before = files(old_sweep)
    solve = sw.solve_variant
    calls = []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return solve(*args, **kwargs)

    monkeypatch.setattr(sw, "solve_variant", interrupted)
    with pytest.raises(KeyboardInterrupt):
        api.sweep("small_chain", sets=["markets.price_usd_per_unit*=0.8,0.9,1.3"],
                  name="s2", out=old_sweep.parent, jobs=1, overwrite=True)
    assert len(calls) == 2
    assert files(old_sweep) == before
    assert leftovers(old_sweep.parent) == []


def test_completed_overwrite_replaces_the_old_sweep(old_sweep):
    """A replacing sweep that completes is the only one left: its own request, variants
    and parts, nothing of the old."""
    cli("sweep", "small_chain", "--set", "markets.price_usd_per_unit*=0.5,0.6", "--name",
        "s2", "--out", old_sweep.parent, "--jobs", "1", "--overwrite", code=0)
    assert sorted(p.name for p in (old_sweep / "parts").iterdir()) == ["v00000.csv",
                                                                       "v00001.csv"]
    assert "0.5,0.6" in (old_sweep / "sweep.json").read_text()
    assert leftovers(old_sweep.parent) == []


def mark(folder: Path, pid: int) -> None:
    """The marker a chainopt run writing ``folder`` in place keeps there."""
    (folder / TMP_MARKER).write_text(json.dumps({"pid": pid, "host": socket.gethostname(),
                                                 "created": time.time()}))


def test_a_sweep_folder_being_written_is_refused(old_sweep):
    """Another live run holds the folder (its marker, as a running sweep keeps it): a
    replacing sweep, a resume and a new sweep of that name each fail with exit 1 naming
    the folder, and write nothing into it (a replacing sweep used to delete it)."""
    mark(old_sweep, os.getppid())  # a live process that is not this one
    before = files(old_sweep)
    for args in (["small_chain", "--set", PRICES, "--name", "s2", "--out", old_sweep.parent,
                  "--overwrite"],
                 ["--resume", old_sweep],
                 ["small_chain", "--set", PRICES, "--name", "s2", "--out", old_sweep.parent]):
        _code, text = cli("sweep", *args, "--jobs", "1", code=1)
        assert f"{old_sweep}: is being written by another chainopt run (process " \
               f"{os.getppid()}" in text, text
        # a problem with where to write, not with the case (it read "in the input")
        assert "1 problem with the output" in text and "in the input" not in text
        assert files(old_sweep) == before
    assert leftovers(old_sweep.parent) == []
    # sensitivity --sweep writes its Monte Carlo files into the sweep folder: held too
    _code, text = cli("sensitivity", "--sweep", old_sweep, code=1)
    assert f"{old_sweep}: is being written by another chainopt run" in text, text
    assert files(old_sweep) == before


def test_a_second_writer_of_a_running_sweep_fails_and_never_mixes(tmp_path, monkeypatch):
    """While sweep A solves its variants, sweep B of the same name with --overwrite
    starts: B fails (it used to delete A's folder and write its own beside A's parts,
    both exiting 0), and A completes with its own request and variants only."""
    out = tmp_path / "out"
    solve = sw.solve_variant
    second: list[BaseException] = []

    def with_a_second_writer(*args, **kwargs):
        if not second:  # B starts while A is in its first variant
            with pytest.raises(InputError) as exc:
                api.sweep("small_chain", sets=["markets.price_usd_per_unit*=0.5,0.6"],
                          name="s2", out=out, jobs=1, overwrite=True)
            second.append(exc.value)
        return solve(*args, **kwargs)

    monkeypatch.setattr(sw, "solve_variant", with_a_second_writer)
    kpis, _summary, folder = api.sweep("small_chain", sets=[PRICES], name="s2", out=out,
                                       jobs=1)
    assert f"{folder}: is being written by another chainopt run" in str(second[0])
    assert list(kpis["variant"]) == ["v00000", "v00001", "v00002"]
    on_disk = pd.read_csv(folder / "kpis.csv")
    assert on_disk["markets.price_usd_per_unit scale"].tolist() == [1.0, 1.1, 1.2]
    assert "1,1.1,1.2" in (folder / "sweep.json").read_text()
    assert not (folder / TMP_MARKER).exists()
    assert leftovers(out) == []


def test_the_marker_of_a_killed_sweep_is_taken_over(old_sweep):
    """A sweep killed (kill -9) leaves its marker; the process is gone, so --resume
    takes the folder over and removes the marker at the end."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    mark(old_sweep, gone.pid)
    (old_sweep / "parts" / "v00001.csv").unlink()
    cli("sweep", "--resume", old_sweep, "--jobs", "1", code=0)
    assert len(pd.read_csv(old_sweep / "kpis.csv")) == 3
    assert not (old_sweep / TMP_MARKER).exists()


def test_resume_solves_a_part_cut_mid_row_again(old_sweep):
    """A part cut in the middle of its row (a disk full, a copy stopped) still reads as
    one row of its variant, with a number cut short and empty cells after it; --resume
    used to keep it and put its wrong numbers in kpis.csv and the summary. It is damaged:
    --resume solves the variant again, and the kpis are those of the complete sweep."""
    clean = pd.read_csv(old_sweep / "kpis.csv")
    part = old_sweep / "parts" / "v00001.csv"
    text = part.read_text()
    header_end = text.index("\n") + 1
    cut = header_end + (len(text) - header_end) // 2
    part.write_text(text[:cut])
    (old_sweep / "kpis.csv").unlink()
    cli("sweep", "--resume", old_sweep, "--jobs", "1", code=0)
    again = pd.read_csv(old_sweep / "kpis.csv")
    numbers = [c for c in clean.columns if c.startswith(("npv_", "objective", "built_"))]
    assert list(again["variant"]) == ["v00000", "v00001", "v00002"]
    assert again[numbers].notna().all().all()
    for c in numbers:
        assert again[c].tolist() == pytest.approx(clean[c].tolist()), c
    assert part.read_text().startswith(text[:header_end].rstrip("\n"))


def test_a_full_disk_while_writing_a_part_is_exit_1_and_leaves_no_temporary_file(
        tmp_path, monkeypatch):
    """The disk fills up as the second part is written: exit 1 with the message of a
    failed write (it was a traceback ending in OSError: [Errno 28]), no temporary file
    left in parts/, and the variants written before it are kept: --resume finishes."""
    real_replace = os.replace
    writes = []

    def full_disk(src, dst, *args, **kwargs):
        if Path(dst).parent.name == "parts":
            writes.append(dst)
            if len(writes) == 2:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", full_disk)
    _code, text = cli("sweep", "small_chain", "--set", PRICES, "--name", "s2", "--out",
                      tmp_path / "out", "--jobs", "1", code=1)
    folder = tmp_path / "out" / "sweep-s2"
    assert f"{folder / 'parts' / 'v00001.csv'}: cannot write here: No space left on " \
           "device" in text
    assert sorted(p.name for p in (folder / "parts").iterdir()) == ["v00000.csv"]
    assert sorted(p.name for p in folder.iterdir()) == ["parts", "sweep.json"]
    monkeypatch.setattr(os, "replace", real_replace)
    cli("sweep", "--resume", folder, "--jobs", "1", code=0)
    assert len(pd.read_csv(folder / "kpis.csv")) == 3
