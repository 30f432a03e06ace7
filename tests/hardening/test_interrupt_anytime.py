"""Ctrl-C / SIGTERM at any moment of a command (outside review "repro", F1 and F9).

* F1: a signal just after an ``--overwrite`` swap, while the replaced folder is being
  deleted, left a hidden ``.chainopt-tmp.<name>.old.*`` folder with an empty marker (the
  signal came between creating and filling it) or none (``rmtree`` deleted the marker
  first), which no later write removed. Now the old folder is marked whole while the
  signals are held, and its marker is deleted last.
* F9: a signal in the first 0.6 s (while typer, rich or the engine are imported) came out
  as a traceback, and one during a command said nothing. Now each is exit 130 and one
  line: ``interrupted: nothing written`` (or what had been written before it).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from chainopt import atomic
from tests.hardening.conftest import cli

ROOT = Path(__file__).resolve().parents[2]

# Replace a folder of 5 files and a subfolder; a real Ctrl-C (SIGINT, Python's own
# handler) is raised at one step of deleting the old folder, then the process ends.
REPLACE = """
import shutil, signal, sys
from pathlib import Path
# Python's own handler even when the suite runs as a background job, whose children
# start with SIGINT ignored (POSIX), as chainopt then leaves it
signal.signal(signal.SIGINT, signal.default_int_handler)
from chainopt import atomic
parent, step = Path(sys.argv[1]), sys.argv[2]

def fill(gen):
    def f(tmp):
        (tmp / "case.yaml").write_text(gen)
        for i in range(5):
            (tmp / f"t{i}.csv").write_text(gen)
        (tmp / "sub").mkdir()
        (tmp / "sub" / "a.csv").write_text(gen)
    return f

atomic.write_folder(parent / "r", fill("OLD"), kind="case")

def ctrl_c():
    signal.raise_signal(signal.SIGINT)

def in_old(path):
    return ".old." in str(path)

if step == "marker":  # the old folder's marker: its file made, not yet filled
    write_text = Path.write_text
    def patched(self, data, *a, **k):
        if in_old(self) and self.name.startswith(atomic.TMP_MARKER):
            self.open("w").close()
            ctrl_c()
        return write_text(self, data, *a, **k)
    Path.write_text = patched
elif step == "rmtree":  # deleting: the first entry (in name order) gone, then Ctrl-C
    rmtree = shutil.rmtree
    def patched(path, *a, **k):
        if in_old(path):
            first = sorted(Path(path).iterdir())[0]
            rmtree(first) if first.is_dir() else first.unlink()
            ctrl_c()
        return rmtree(path, *a, **k)
    shutil.rmtree = patched
elif step == "last":  # the marker itself, the last file
    unlink = Path.unlink
    def patched(self, *a, **k):
        if in_old(self) and self.name == atomic.TMP_MARKER:
            ctrl_c()
        return unlink(self, *a, **k)
    Path.unlink = patched
try:
    atomic.write_folder(parent / "r", fill("NEW"), kind="case", overwrite=True)
except KeyboardInterrupt:
    sys.exit(130)
"""


@pytest.mark.parametrize("step", ["marker", "rmtree", "last"])
def test_an_interrupt_while_the_replaced_folder_is_deleted_leaves_nothing_for_good(
        tmp_path, step):
    """A Ctrl-C at each step of deleting the replaced folder: while its marker is
    written (left empty before), after the first entry is deleted (the marker,
    ``.chainopt-tmp``, sorts first: left unmarked before), and while the marker itself is
    deleted. Each ends the writer (exit 130) with the new folder in place (``NEW``); the
    next write in the same folder, once the writer is gone, leaves exactly its own
    folder and ``r``: no ``.chainopt-tmp.*`` remains."""
    done = subprocess.run([sys.executable, "-c", REPLACE, str(tmp_path), step],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 130, done.stderr
    assert (tmp_path / "r" / "case.yaml").read_text() == "NEW"
    assert sorted((tmp_path / "r").iterdir()) == sorted(
        [tmp_path / "r" / n for n in ("case.yaml", "sub", "t0.csv", "t1.csv", "t2.csv",
                                      "t3.csv", "t4.csv")])
    atomic.write_folder(tmp_path / "next", lambda t: (t / "case.yaml").write_text("x"),
                        kind="case")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["next", "r"]


# The command line started as the console script starts it, with a real signal sent to
# itself when it first imports ``module`` (typer: loading the command line; pandas:
# loading the engine for a command).
STARTED = """
import importlib.abc, os, signal, sys
module, signum = sys.argv[1], getattr(signal, sys.argv[2])
signal.signal(signal.SIGINT, signal.default_int_handler)  # as in REPLACE: a background job

class Interrupt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == module:
            sys.meta_path.remove(self)
            os.kill(os.getpid(), signum)
        return None

sys.meta_path.insert(0, Interrupt())
sys.argv = ["chainopt", "validate", "small_chain"]
from chainopt.start import main
main()
"""


@pytest.mark.parametrize("module", ["typer", "pandas"])
@pytest.mark.parametrize("signum", ["SIGINT", "SIGTERM"])
def test_an_interrupt_while_chainopt_starts_is_one_line(module, signum):
    """Ctrl-C or SIGTERM while typer (the command line) or pandas (the engine) is being
    imported printed a traceback ending in ``KeyboardInterrupt``: now exit 130 and the
    one line ``interrupted: nothing written`` on stderr, nothing on stdout."""
    done = subprocess.run([sys.executable, "-c", STARTED, module, signum],
                          capture_output=True, text=True, cwd=ROOT)
    assert (done.returncode, done.stderr, done.stdout) == (
        130, "interrupted: nothing written\n", ""), done.stderr


def test_an_interrupt_during_a_command_says_so(tmp_path, monkeypatch):
    """typer ended a command stopped by Ctrl-C with exit 130 and not a word (a CI log
    showed nothing): now the one line ``interrupted: nothing written``."""
    from chainopt import api

    def interrupted(*_a, **_k):
        raise KeyboardInterrupt

    monkeypatch.setattr(api, "run", interrupted)
    code, text = cli("run", "small_chain", "--out", tmp_path)
    assert (code, text) == (130, "interrupted: nothing written")
    assert list(tmp_path.iterdir()) == []


def test_an_interrupt_after_the_results_are_written_names_them(tmp_path, monkeypatch):
    """A signal arriving once the results folder is in place (here while the summary is
    printed) must not say "nothing written": it names the folder written before it."""
    from chainopt import cli as command_line

    def interrupted(*_a, **_k):
        raise KeyboardInterrupt

    monkeypatch.setattr(command_line, "print_summary", interrupted)
    code, text = cli("run", "small_chain", "--out", tmp_path, "--name", "a")
    assert (code, text) == (130, f"interrupted: nothing more written ({tmp_path / 'a'} "
                                 "written before it)")
    assert (tmp_path / "a" / "manifest.json").is_file()
