"""Option values (review cli F3): an option whose values come from a fixed list or range
is a usage error (exit 2) checked before any work; a value checked against the case or
the results (a period, a project, a key) is bad input (exit 1). A script tells a mistyped
option from bad data by the exit code."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from chainopt.cli import app

runner = CliRunner(env={"COLUMNS": "300"})


def invoke(*args: str | Path):
    result = runner.invoke(app, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result, " ".join(result.output.split())


@pytest.mark.parametrize("args, says", [
    # the folder does not exist: read after the option is checked, so its error not shown
    (["report", "nothere", "--measure", "volume"],
     "Invalid value for '--measure': 'volume' is not one of mass, energy, value; did you "
     "mean 'value'?"),
    (["sensitivity", "nothere.yaml", "--project", "p", "--swing", "1.5"],
     "Invalid value for '--swing': must be a number above 0 and at most 1 (found 1.5)"),
    (["sensitivity", "nothere.yaml", "--project", "p", "--drivers", "price,fed"],
     "Invalid value for '--drivers': 'fed' is not one of price, feed, capex, carbon, "
     "discount; did you mean 'feed'?"),
    (["sensitivity", "nothere.yaml", "--project", "p", "--jobs", "0"],
     "Invalid value for '--jobs'"),
    (["show", "nothere", "--source", "market"],
     "Invalid value for '--source': 'market' is not one of commodities, sites"),
    (["compare", "a", "b", "--detail", "prod"],
     "Invalid value for '--detail': 'prod' is not one of objective"),
])
def test_a_value_outside_a_fixed_list_is_exit_2_before_any_work(args, says):
    """Each was exit 1 (--measure, --swing, --drivers, --source) or 0 (--detail) after
    reading the folder or case, or solving."""
    result, text = invoke(*args)
    assert result.exit_code == 2, text
    assert says in text, text
    assert "no such" not in text  # the missing folder, case or scenario: never reached


def test_a_value_checked_against_the_case_stays_bad_input():
    """--key matches no row of small_chain's markets.csv: a fact of that case, exit 1."""
    result, text = invoke("show", "small_chain", "--source", "markets", "--key", "zzz")
    assert result.exit_code == 1, text
    assert "--key zzz: no row of markets.csv has a key containing 'zzz'" in text


def test_paths_and_the_timing_line_are_never_wrapped_at_80_columns(tmp_path):
    """Review cli F6: at 80 columns (the width when piped) the status lines were broken
    inside words and paths ('extract' on a line of its own, '.../report-deck' over
    '.html'): a path copied from the terminal was cut. Now they are printed whole, one
    line each, and the terminal wraps them. The folder's path alone is over 80
    characters here."""
    import re

    out = tmp_path / ("a_long_folder_name_" * 4)
    narrow = CliRunner(env={"COLUMNS": "80"})
    done = narrow.invoke(app, ["run", "small_chain", "--out", str(out)])
    assert done.exit_code == 0, done.output
    lines = done.output.splitlines()
    folder = out / "small_chain"
    assert len(str(folder)) > 80
    assert f"results written to {folder}" in lines, done.output
    assert f"why this plan: chainopt explain {folder} [--ranging]" in lines
    assert any(re.fullmatch(r"  [\d,]+ variables, [\d,]+ constraints; load [\d.]+ s, build "
                            r"[\d.]+ s, solve [\d.]+ s, extract [\d.]+ s", line)
               for line in lines), done.output
    done = narrow.invoke(app, ["report", str(folder)])
    assert done.exit_code == 0, done.output
    assert f"report written to {folder / 'report.html'}" in done.output.splitlines()


def test_the_command_list_gives_each_command_one_line():
    """Review cli F11: the summaries of validate and sensitivity in `chainopt --help` broke
    mid-sentence ('(a mode that can' / 'never run') at any width: the docstrings' line
    breaks came through. Now each first paragraph is one line, so at 200 columns every
    row of the command list starts with its command."""
    done = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["--help"])
    assert done.exit_code == 0
    rows = done.output.split("Commands")[1].splitlines()[1:]
    rows = [r for r in rows if r.startswith("│")]
    assert len(rows) >= 12
    for row in rows:
        assert row[2:3] != " ", f"a summary broken over lines: {row!r}"
