"""Shared fixtures and helpers of the test suite."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

SMALL_CHAIN = Path(__file__).resolve().parents[1] / "chainopt" / "data" / "small_chain"


@pytest.fixture
def small_case_dir(tmp_path: Path) -> Path:
    """A private, editable copy of the embedded small_chain case (tmp_path/small_chain)."""
    return Path(shutil.copytree(SMALL_CHAIN, tmp_path / "small_chain"))


def edit_csv(path: Path, old: str, new: str) -> None:
    """Replace the first ``old`` by ``new`` in a case file (CSV or YAML); ``old`` must occur."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not found in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
