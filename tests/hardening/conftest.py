"""Shared helpers of the hardening tests: a CliRunner call that must end cleanly."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chainopt.cli import app

SMALL = Path(str(resources.files("chainopt.data") / "small_chain"))


def cli(*args: str, code: int | None = None):
    """Run ``chainopt ARGS``; assert it ended by exit code (never an uncaught exception,
    never a traceback) and, if given, with exit ``code``. Returns (exit code, output)."""
    # a wide terminal: rich must not break a long path inside a word
    res = CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "2000"})
    text = res.output  # stdout and stderr
    assert res.exception is None or isinstance(res.exception, SystemExit), \
        f"uncaught {type(res.exception).__name__}: {res.exception}\n{text}"
    assert "Traceback" not in text, text
    if code is not None:
        assert res.exit_code == code, f"exit {res.exit_code}, expected {code}:\n{text}"
    return res.exit_code, " ".join(text.split())


@pytest.fixture
def small_copy(tmp_path) -> Path:
    """A writable copy of the shipped small_chain case."""
    dst = tmp_path / "small"
    shutil.copytree(SMALL, dst)
    return dst
