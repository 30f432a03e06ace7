"""Shared fixtures and helpers of the test suite."""

from __future__ import annotations

import compileall
import gc
import shutil
import sys
from pathlib import Path

import pytest

SMALL_CHAIN = Path(__file__).resolve().parents[1] / "chainopt" / "data" / "small_chain"


def pytest_configure(config: pytest.Config) -> None:
    """Byte code cached where the environment sets PYTHONDONTWRITEBYTECODE (some
    sandboxes and CI images do): chainopt compiled once, before the workers start, so
    that every Python process the suite starts (the xdist workers, the CLI runs in
    subprocesses, the Dask workers) does not compile its 35,000 lines anew, about 0.4 s
    each (``compileall`` writes what the flag only stops imports from writing); and in
    each pytest process the flag lifted, so that pytest keeps the test modules it
    rewrites for their asserts (each worker collects all of them: 10.3 s without the
    cache, 3.6 s with it). The caches go to ``__pycache__`` folders, which git
    ignores.

    The collector runs as in a ``chainopt`` command (:data:`chainopt.cli.GC_THRESHOLD`):
    a worker lives through a thousand tests, keeps what the modules and their memos
    hold, and at Python's default (700 allocations) spent about 6 % of its CPU time in
    garbage collections, most of them full ones over all it keeps (50 of them, 7.4 s
    in a 165 s run of three modules; with these thresholds and what collecting made
    frozen, 4 taking 0.4 s). It builds the CLI once (:func:`_one_command_per_app`) and
    keeps more by content (:func:`_keep_more`)."""
    from chainopt.cli import GC_THRESHOLD

    gc.set_threshold(*GC_THRESHOLD)
    _one_command_per_app()
    _keep_more()
    if not sys.dont_write_bytecode:
        return
    if not hasattr(config, "workerinput"):
        compileall.compile_dir(Path(__file__).resolve().parents[1] / "chainopt", quiet=1)
    sys.dont_write_bytecode = False


def pytest_collection_finish(session: pytest.Session) -> None:
    """What collecting made (the imported modules, pandas and chainopt among them, and
    the test functions) is kept to the end: frozen out of the collections that follow
    (``gc.freeze``), as a command freezes what its imports made."""
    gc.collect()
    gc.freeze()


def _one_command_per_app() -> None:
    """``CliRunner.invoke(app, ...)`` builds the click command of the whole app from its
    functions' signatures on every call (``typer.main.get_command``, about 50 ms: some
    800 calls made it about 2.7 % of the suite's CPU time); the tests invoke one app, so
    each worker builds it once. A click command keeps nothing of a call: each call
    parses into a context of its own. ``typer.main.get_command`` itself, which some
    tests read commands from, still builds afresh."""
    import functools

    import typer.testing

    if callable(getattr(typer.testing, "_get_command", None)):
        typer.testing._get_command = functools.cache(typer.testing._get_command)


def _keep_more() -> None:
    """A worker keeps four times the validated cases, models, parsed and typed tables a
    process keeps by content (``chainopt.case.memo``). It runs the shipped
    cases again and again between hundreds of toy cases, which pushed them out. Counted
    in one whole run, the larger memos spared about 70 validations, 55 builds and 650
    parses of content kept before and pushed out since (some 20 s of CPU time;
    benchmarks/HISTORY.md). What is kept is the same either way (copies, by content); only
    how many."""
    from chainopt.case import load, memo
    from chainopt.case import validate as validation
    from chainopt.models import build

    for kept in (memo._cases, build.KEPT, load.PARSED, validation.TYPED):
        kept.size *= 4


@pytest.fixture
def small_case_dir(tmp_path: Path) -> Path:
    """A private, editable copy of the embedded small_chain case (tmp_path/small_chain)."""
    return Path(shutil.copytree(SMALL_CHAIN, tmp_path / "small_chain"))


def count_calls(monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> list[int]:
    """Replace ``owner.name`` (a function of a module) by one counting its calls, for
    the test: the count is the returned list's one item."""
    n = [0]
    real = getattr(owner, name)

    def counted(*args, **kwargs):
        n[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return n


def edit_csv(path: Path, old: str, new: str) -> None:
    """Replace the first ``old`` by ``new`` in a case file (CSV or YAML); ``old`` must occur."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not found in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def reseal(folder: Path) -> None:
    """Record the bytes and row counts of a results folder's tables, as they are now, in
    its manifest (``table_files``): for a test that edits a table to stand for another
    answer chainopt wrote, not for a damaged folder."""
    import hashlib
    import json

    import pandas as pd

    mf = folder / "manifest.json"
    manifest = json.loads(mf.read_text(encoding="utf-8"))
    files = {}
    for p in sorted([*folder.glob("*.csv"), *folder.glob("*.parquet")]):
        df = pd.read_parquet(p) if p.suffix == ".parquet" else pd.read_csv(p)
        files[p.stem] = {"file": p.name, "rows": len(df),
                         "sha256": hashlib.sha256(p.read_bytes()).hexdigest()}
    manifest["table_files"] = files
    mf.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def as_written_before_checksums(folder: Path) -> None:
    """Make a results folder one written before the manifest recorded its tables'
    checksums (``table_files``), to test how such folders are still read."""
    import json

    mf = folder / "manifest.json"
    manifest = json.loads(mf.read_text(encoding="utf-8"))
    manifest.pop("table_files", None)
    mf.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
