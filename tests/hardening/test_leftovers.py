"""Item 8 of issue 13: leftovers of killed runs, permissions, escaping exactly once.

* A run killed with SIGKILL leaves its ``.chainopt-tmp.*`` folder; the next write in
  the same folder removes it. Folders that only look similar (no marker, or a marker
  of a live process) are left alone.
* Results folders get 0777/0666 minus the umask (0755/0644 under umask 022).
* The HTML report escapes text once: no ``&amp;quot;`` or ``&amp;#34;`` (which a browser
  shows as ``&quot;``); ``comparison.md`` escapes pipes, backticks and brackets.
"""

from __future__ import annotations

import json
import os
import re
import socket
import stat
import subprocess
import sys
import time

import pandas as pd
import pytest

from chainopt import api
from chainopt.atomic import TMP_MARKER, TMP_PREFIX, clean_leftovers, write_folder
from chainopt.report.compare import markdown, md_text
from tests.hardening.conftest import cli

KILLED = """
import sys, time
from chainopt.atomic import write_folder
def fill(tmp):
    (tmp / "started").write_text("x")
    time.sleep(600)
write_folder(sys.argv[1], fill)
"""


def test_killed_run_is_cleaned_by_the_next_one(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    proc = subprocess.Popen([sys.executable, "-c", KILLED, str(out / "small_chain")])
    try:
        deadline = time.time() + 60
        while not list(out.glob(f"{TMP_PREFIX}*/started")) and time.time() < deadline:
            time.sleep(0.05)
    finally:
        proc.kill()
        proc.wait()
    left = list(out.glob(f"{TMP_PREFIX}*"))
    assert len(left) == 1 and (left[0] / TMP_MARKER).is_file()
    (out / f"{TMP_PREFIX}lookalike").mkdir()  # no marker: not provably chainopt's
    live = out / f"{TMP_PREFIX}live"
    live.mkdir()
    (live / TMP_MARKER).write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                               "created": time.time()}))
    (out / "user_folder").mkdir()
    cli("run", "small_chain", "--out", out, code=0)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{TMP_PREFIX}lookalike", f"{TMP_PREFIX}live", "small_chain", "user_folder"])


def test_old_markers_are_stale(tmp_path):
    old = tmp_path / f"{TMP_PREFIX}x.1"
    old.mkdir()
    (old / TMP_MARKER).write_text(json.dumps({"pid": os.getpid(), "host": "elsewhere",
                                              "created": time.time() - 2 * 86400}))
    assert clean_leftovers(tmp_path) == [old] and not old.exists()


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_results_folders_get_ordinary_permissions(tmp_path, umask_022):
    cli("run", "small_chain", "--out", tmp_path, "--excel", code=0)
    folder = tmp_path / "small_chain"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755
    for f in folder.iterdir():
        assert stat.S_IMODE(f.stat().st_mode) == 0o644, f.name
    cli("report", folder, code=0)
    assert stat.S_IMODE((folder / "report.html").stat().st_mode) == 0o644


def test_write_folder_respects_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        write_folder(tmp_path / "x", lambda t: (t / "manifest.json").write_text("{}"))
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "x").stat().st_mode) == 0o750


def test_sweep_parts_are_readable(tmp_path, umask_022):
    cli("sweep", "small_chain", "--set", "markets.price_usd_per_unit*=1", "--out", tmp_path,
        "--jobs", "1", code=0)
    parts = list((tmp_path / "sweep-small_chain" / "parts").glob("*.csv"))
    assert parts and all(stat.S_IMODE(p.stat().st_mode) == 0o644 for p in parts)


def test_html_report_escapes_exactly_once(tmp_path):
    """The run table shows the versions as JSON: its quotes must reach the page as one
    entity each (shown as "), never as &amp;quot; (shown as &quot;)."""
    api.run("small_chain", out=tmp_path)
    cli("report", tmp_path / "small_chain", code=0)
    html = (tmp_path / "small_chain" / "report.html").read_text()
    assert not re.search(r"&amp;(#\d+|#x[0-9a-f]+|quot|lt|gt|amp|apos);", html)
    assert "{&#34;chainopt&#34;: &#34;" in html


def test_markdown_escapes_names():
    """A name with a pipe would split a table cell; with backticks or brackets it would
    render as code or a link. Each is backslash-escaped; a_b stays as it is."""
    assert md_text("a|b") == r"a\|b"
    assert md_text("`rm -rf`") == r"\`rm -rf\`"
    assert md_text("[x](http://e)") == r"\[x\](http://e)"
    assert md_text("<script>") == r"\<script\>"
    assert md_text("small_chain") == "small_chain"
    assert md_text("a\nb") == "a b"
    df = pd.DataFrame({"kpi": ["x|y", "`z`"], "a|b": [1.0, 2.0]})
    text = markdown({"objective": df}, ["a|b", "c"])
    assert text.startswith(r"# Comparison: a\|b, c")
    rows = [ln for ln in text.splitlines() if ln.startswith("| ")]
    # unescaped pipes delimit exactly 2 cells in every row (header and body)
    assert all(len(re.split(r"(?<!\\)\|", ln)) == 4 for ln in rows), rows


@pytest.mark.parametrize("signum", ["SIGINT", "SIGTERM"])
def test_a_signal_between_the_two_renames_waits_for_the_swap(tmp_path, monkeypatch, signum):
    """SIGTERM (CI cancel, docker stop) killed chainopt between moving the old folder
    aside and renaming the new one in: the results folder vanished. Now SIGTERM stops a
    command as Ctrl-C does, and both are held during the swap: the signal sent after the
    old folder moved aside arrives once the new one is in place, nothing else left."""
    import signal as sig

    from chainopt import atomic
    from chainopt.cli import _terminated

    old_term = sig.signal(sig.SIGTERM, _terminated)
    # Ctrl-C as a fresh process has it (Python's own handler), whatever an earlier test in
    # this worker left: the test is of what the swap does with the handler it finds
    old_int = sig.signal(sig.SIGINT, sig.default_int_handler)
    try:
        target = tmp_path / "r"
        atomic.write_folder(target, lambda t: (t / "manifest.json").write_text(json.dumps(
            {"case": "c", "input_hash": "h", "status": "optimal", "gen": "OLD"})),
            kind="results")
        orig = type(target).rename

        def rename(self, dest):
            done = orig(self, dest)
            if ".old." in str(dest):  # the old folder is aside: the signal comes now
                os.kill(os.getpid(), getattr(sig, signum))
            return done

        monkeypatch.setattr(type(target), "rename", rename)
        with pytest.raises(KeyboardInterrupt):
            atomic.write_folder(target, lambda t: (t / "manifest.json").write_text(json.dumps(
                {"case": "c", "input_hash": "h", "status": "optimal", "gen": "NEW"})),
                kind="results", overwrite=True)
        assert json.loads((target / "manifest.json").read_text())["gen"] == "NEW"
        assert [p.name for p in tmp_path.iterdir()] == ["r"]
    finally:
        sig.signal(sig.SIGTERM, old_term)
        sig.signal(sig.SIGINT, old_int)


KILLED_FILE = """
import sys, time
from pathlib import Path
from chainopt.atomic import write_file
def fill(tmp):
    tmp.write_text("x")
    Path(sys.argv[2]).write_text("started")
    time.sleep(600)
write_file(sys.argv[1], fill)
"""


def test_a_killed_file_write_is_cleaned_by_the_next_write(tmp_path):
    """A report killed while writing a chart left '.report-x.png.<random>.png' in the
    results folder for good. A file is now written in a marked temporary folder, which
    the next write there removes once its writer is gone."""
    from chainopt.atomic import write_text

    started = tmp_path / "started"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_FILE, str(tmp_path / "report.png"),
                             str(started)])
    try:
        deadline = time.time() + 60
        while not started.exists() and time.time() < deadline:
            time.sleep(0.05)
    finally:
        proc.kill()
        proc.wait()
    assert started.exists()
    left = [p for p in tmp_path.iterdir() if p.name.startswith(TMP_PREFIX)]
    assert len(left) == 1 and (left[0] / TMP_MARKER).is_file()
    write_text(tmp_path / "other.txt", "y")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.txt", "started"]


ORPHAN = """
import os, sys, time
from concurrent.futures import ProcessPoolExecutor
from chainopt.interrupt import end_with_parent
pool = ProcessPoolExecutor(1, initializer=end_with_parent, initargs=(os.getpid(),))
print(pool.submit(os.getpid).result(), flush=True)
pool.submit(time.sleep, 600)
time.sleep(0.5)
os._exit(0)  # as kill -9: no shutdown of the pool
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_pool_workers_do_not_outlive_a_killed_parent():
    """SIGTERM or SIGKILL to `run A B --jobs 2` left its pool workers running (parent
    1, about 280 MB each), still idle minutes later. A worker now gets SIGTERM when its
    parent dies."""
    out = subprocess.run([sys.executable, "-c", ORPHAN], capture_output=True, text=True,
                         timeout=120, check=True)
    worker = int(out.stdout.split()[0])
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.kill(worker, 9)
        pytest.fail("the pool worker outlived its parent")
