"""What the command line says to a new user's slips (review walk3 F3-F6, F9): each message
names the way forward, and a slip that would solve or overwrite something is refused
first. Every expected text is written out by hand from the slip it answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.main import get_command

from chainopt.cli import app
from tests.test_cli import invoke

PORT = ("description: the port built when it pays\nbase: small_chain\nchanges:\n"
        "  - project: far_east_port\n    state: optional\n")


def test_no_flag_is_shown_taking_a_value_in_help() -> None:
    """A flag takes no value: ``--overwrite`` is on, ``--no-overwrite`` off. Typer 0.29
    wrote ``--overwrite --no-overwrite <bool>``, as if it took one (``--overwrite true``),
    and ``<bool>`` after ``--help`` too. No command's help (``snapshot check`` among them)
    may show ``<bool>``; an option that takes a value keeps its type (``--out <path>``)."""
    group = get_command(app)
    names = [[c] for c in group.commands if c != "snapshot"]  # type: ignore[attr-defined]
    names += [["snapshot", "write"], ["snapshot", "check"], []]
    for name in names:
        result, text = invoke(*name, "--help")
        assert result.exit_code == 0, text
        assert "<bool>" not in text, (name, text)
    _, text = invoke("run", "--help")
    assert "--overwrite --no-overwrite Replace an existing results folder." in text, text
    assert "--out <path>" in text, text


def test_a_flags_value_read_as_a_case_is_refused_before_anything_is_solved(
        tmp_path: Path) -> None:
    """``chainopt run small_chain --overwrite true``: ``--overwrite`` takes no value, so
    ``true`` is a second source, and the batch solved small_chain, wrote it over the old
    results, then failed on a case named 'true' (exit 1). It is refused before anything
    runs: exit 1, nothing written, the message says to write the flag alone. The same
    for a single ``chainopt run no`` (any case: ``False``), but not for a case folder
    that is really named ``yes``."""
    out = tmp_path / "out"
    result, text = invoke("run", "small_chain", "--overwrite", "true", "--out", out)
    assert result.exit_code == 1, text
    assert ("true: a flag's value, not a case or scenario: flags take no value; write the "
            "flag alone: --overwrite, not --overwrite true (--no-overwrite turns it off)"
            ) in text, text
    assert not out.exists()
    result, text = invoke("run", "False", "--out", out)
    assert result.exit_code == 1 and "False: a flag's value, not a case" in text, text
    assert not out.exists()


def test_a_results_folder_given_as_a_source_names_the_source_to_give(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``compare small_chain results/port`` (port solved before) said first that the
    comparison folder exists (pass --overwrite), which does not help, then "no case.yaml
    in this folder". A results folder is recognised before the comparison folder is
    looked at, and the source its manifest.json records is named: the scenario file
    port.yaml (its path as found, written relative to the working directory:
    ``port.yaml``), and for the run of the embedded case its name, small_chain.
    ``chainopt run`` of a results folder says the same."""
    monkeypatch.chdir(tmp_path)
    Path("port.yaml").write_text(PORT)
    result, text = invoke("compare", "small_chain", "port.yaml", "--out", "out")
    assert result.exit_code == 0, text
    assert Path("out/compare-small_chain-vs-port").is_dir()  # the folder in the way
    assert json.loads(Path("out/port/manifest.json").read_text())["source"] == str(
        (tmp_path / "port.yaml").resolve())
    port = Path("out") / "port"
    for args in (("compare", "small_chain", port, "--out", "out"), ("run", port)):
        result, text = invoke(*args)
        assert result.exit_code == 1, text
        assert (f"{port}: a results folder (written by chainopt run), not a case or "
                "scenario; give the source it was run from, port.yaml (its manifest.json, "
                "key source)") in text, text
        assert "comparison folder" not in text, text
    result, text = invoke("run", Path("out") / "small_chain")
    assert result.exit_code == 1, text
    assert "give the source it was run from, small_chain (its manifest.json" in text, text


def test_a_mistyped_case_gets_did_you_mean(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A scenario's ``base: small_chian`` got "did you mean 'small_chain'?", the same name
    on the command line only the list of embedded cases. Now the same hint: small_chian
    (two letters swapped) and Small_Chain (other case) are small_chain; small_port_expansion
    is no case but the scenario file scenarios/small_port_expansion.yaml (its name without
    .yaml), suggested as the path to give."""
    monkeypatch.chdir(tmp_path)
    Path("scenarios").mkdir()
    Path("scenarios/small_port_expansion.yaml").write_text(PORT)
    for typed, meant in (("small_chian", "small_chain"), ("Small_Chain", "small_chain"),
                         ("small_port_expansion", "scenarios/small_port_expansion.yaml")):
        result, text = invoke("run", typed, "--out", "out")
        assert result.exit_code == 1, text
        assert (f"{typed}: no case folder or embedded case of this name; did you mean "
                f"'{meant}'?") in text, text
    Path("scenarios/typo.yaml").write_text("base: small_port_expansion\n")
    result, text = invoke("validate", "scenarios/typo.yaml")
    assert result.exit_code == 1, text
    assert "did you mean 'scenarios/small_port_expansion.yaml'?" in text, text
    assert not Path("out").exists()


def test_a_mistyped_method_or_project_gets_did_you_mean() -> None:
    """``--method simplx`` (a letter left out) is simplex and ``--method IPM`` is ipm, said
    as every option of fixed values says it (a usage error, exit 2). ``--project
    FAR_EAST_PORT`` (upper case, as a README writes MP2) is small_chain's far_east_port:
    it was refused as "not a valid name (snake_case)"."""
    for typed, meant in (("simplx", "simplex"), ("IPM", "ipm")):
        result, text = invoke("run", "small_chain", "--method", typed)
        assert result.exit_code == 2, text
        assert (f"'{typed}' is not one of auto, simplex, ipm; did you mean '{meant}'?"
                in text), text
    result, text = invoke("sensitivity", "small_chain", "--project", "FAR_EAST_PORT")
    assert result.exit_code == 1, text
    assert ("--project FAR_EAST_PORT: no such project in small_chain; did you mean "
            "'far_east_port'? projects: far_east_port") in text, text


def test_explain_of_a_feasible_case_names_the_case_to_run() -> None:
    """``chainopt explain small_chain`` (it solves) said to run `chainopt run`, which
    solves the default case, ru_eastwest; it names small_chain."""
    result, text = invoke("explain", "small_chain")
    assert result.exit_code == 0, text
    assert ("case 'small_chain' solves (its LP is feasible and bounded): run `chainopt run "
            "small_chain` and explain the results folder it writes.") in text, text


def test_compare_of_one_source_shows_how_to_give_two() -> None:
    """``chainopt compare small_chain`` needs a second source; the message shows a whole
    command: the base first, then a scenario."""
    result, text = invoke("compare", "small_chain")
    assert result.exit_code == 2, text
    assert ("compare needs at least two cases or scenarios, the base first, then the "
            "scenarios compared with it (chainopt compare small_chain "
            "scenarios/small_port_expansion.yaml)") in text, text
