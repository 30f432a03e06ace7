"""A results folder is input too: ``chainopt verify`` replays the solver options its
manifest records, so a folder someone sent must not be able to name a program to run
(Pyomo's SolverFactory runs ``asl:PATH``) nor smuggle options of the wrong type."""

from __future__ import annotations

import json
import shutil
import stat

import pytest

from tests.hardening.conftest import cli


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    cli("run", "small_chain", "--out", out, code=0)
    return out / "small_chain"


def _with_options(saved, tmp_path, **options):
    """A copy of the saved folder whose manifest records ``options``."""
    folder = tmp_path / "sent"
    folder.mkdir()
    for f in saved.iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    m = json.loads((folder / "manifest.json").read_text())
    m["solver_options"].update(options)
    (folder / "manifest.json").write_text(json.dumps(m))
    return folder


def test_verify_never_runs_a_program_the_manifest_names(saved, tmp_path):
    program = tmp_path / "solver"
    marker = tmp_path / "ran"
    program.write_text(f"#!/bin/sh\ntouch {marker}\n")
    program.chmod(program.stat().st_mode | stat.S_IEXEC)
    for name in (f"asl:{program}", str(program), "./solver", "../x", "CBC"):
        folder = _with_options(saved, tmp_path, solver=name)
        _, text = cli("verify", folder, code=1)
        assert "damaged results" in text and "not a solver name" in text, text
        assert not marker.exists(), name
        shutil.rmtree(folder)


@pytest.mark.parametrize("options,words", [
    ({"random_seed": "x"}, "solver_options.random_seed is 'x'"),
    ({"time_limit_s": "10"}, "solver_options.time_limit_s is '10'"),
    ({"relax": "no"}, "solver_options.relax is 'no'"),
    ({"threads": True}, "solver_options.threads is True"),
    ({"method": "barrier"}, "solver_options.method is 'barrier'"),
])
def test_verify_refuses_recorded_options_of_the_wrong_type(saved, tmp_path, options, words):
    _, text = cli("verify", _with_options(saved, tmp_path, **options), code=1)
    assert words in text and "damaged results" in text, text


def test_run_refuses_a_solver_path(tmp_path):
    _, text = cli("run", "small_chain", "--solver", "asl:/bin/true", "--out", tmp_path, code=1)
    assert "is not a solver name" in text and not list(tmp_path.iterdir())
