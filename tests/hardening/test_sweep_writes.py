"""A sweep's folder is never lost or mixed: a replacing sweep (--overwrite) is made
beside the old one and swapped in only when complete."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainopt import api
from chainopt import sweep as sw
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
