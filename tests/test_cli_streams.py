"""Where the command line writes: results, tables and summaries on stdout, every warning
(and error, progress bar, interrupted line) on stderr, so that a pipeline keeps them
apart; and a reader of stdout that goes away (``| head -1``) does not change a finished
command's exit code (README, *The CLI*).

The toy case of every test here: crude bought at ``a`` for 100 USD/t, at most 2 kt/yr,
and sold there for 150 with a soft floor of 20 kt/yr (one 1-year period, rate 0): it
sells its 2 kt (margin 2 x 50 / 1000 = 0.1 MUSD) and is short by 18 kt, for which the
objective pays the default penalty of 10,000 USD/t, 180 MUSD: objective 0.1 - 180 =
-179.9 MUSD, with one warning (``1 demand floor not met``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from chainopt.cli import app
from tests.toycase import badly_scaled_case, write_case

ROOT = Path(__file__).resolve().parents[1]

FLOOR = {"commodities": "commodity,unit,kind\ncrude,t,raw", "sites": "site\na",
         "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\na,crude,100,2",
         "markets": "site,commodity,price_usd_per_unit,min_k_per_yr\na,crude,150,20"}
#: a hard demand of 5 kt/yr with 2 to buy: infeasible (exit 3)
TOO_LITTLE = {"commodities": "commodity,unit,kind\ncrude,t,raw", "sites": "site\na",
              "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\na,crude,100,2",
              "demand": "site,commodity,amount_k_per_yr\na,crude,5"}
SHORT = "warning: 1 demand floor not met (crude at a in p1 short by 18 k t/yr; sales.csv"


def _chainopt(cwd: Path, *args: str, stdout=subprocess.PIPE, stderr=subprocess.PIPE):
    """``python -m chainopt.cli ARGS`` in a fresh process, this checkout's chainopt."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "chainopt.cli", *args], stdout=stdout,
                          stderr=stderr, cwd=cwd, env=env, timeout=300)


def _closed_pipe() -> int:
    """The write end of a pipe whose reader has gone (``| head -1`` after its line)."""
    read, write = os.pipe()
    os.close(read)
    return write


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())


def test_a_runs_warning_is_on_stderr_and_its_results_on_stdout(tmp_path: Path) -> None:
    """`chainopt run` printed its warnings on stdout among the results (stderr empty):
    a CI job could not keep them apart. Now the warning is on stderr alone, the summary
    (objective -179.9 MUSD, module docstring) and where the results are on stdout."""
    write_case(tmp_path / "one", FLOOR, name="one")
    done = _chainopt(tmp_path, "run", "one", "--out", "res")
    out, err = done.stdout.decode(), done.stderr.decode()
    assert done.returncode == 0, out + err
    assert SHORT in " ".join(err.split()), err
    assert "warning:" not in out, out
    assert "one: optimal, objective (NPV) -179.9 MUSD" in out
    assert "results written to res/one" in out
    assert _manifest(tmp_path / "res" / "one")["objective"] == -179.9


def test_every_commands_warnings_are_on_stderr(tmp_path: Path) -> None:
    """validate, a batch run, sweep, explain and export printed their warnings on
    stdout; now on stderr, each command's results on stdout. A batch's status lines
    are results (stdout, they were on stderr with the bar) and each of its warnings
    names its run, as stderr may be read apart: `warning: one: 1 demand floor ...`.
    The policies case (tests/test_cli.py IDLE_POLICY_CASE, objective 0.88 MUSD there)
    warns of a CH4 price where nothing emits; the tar case's yield of 5e-9 t/t makes
    coefficients span 1 / 5e-9 = 2e8 > 1e8."""
    from tests.case.test_reach import ETHANE, _gas
    from tests.test_cli import IDLE_POLICY_CASE

    runner = CliRunner(env={"COLUMNS": "2000"})

    def invoke(*args: str | Path):
        result = runner.invoke(app, [str(a) for a in args])
        assert result.exception is None or isinstance(result.exception, SystemExit), \
            result.exception
        assert result.exit_code == 0, result.output
        return " ".join(result.stdout.split()), " ".join(result.stderr.split())

    out, err = invoke("validate", _gas(tmp_path))
    assert f"warning: {ETHANE}" in err and "ok: case 'gas_small' is valid" in out
    assert "warning:" not in out, out

    one = write_case(tmp_path / "one", FLOOR, name="one")
    two = write_case(tmp_path / "two", FLOOR, name="two")
    out, err = invoke("run", one, two, "--out", tmp_path / "batch", "--jobs", "1")
    for name in ("one", "two"):
        assert f"solved {name}: objective -179.9 MUSD" in out, out
        assert SHORT.replace("warning: ", f"warning: {name}: ") in err, err
    assert "warning:" not in out and "solved" not in err, (out, err)

    idle = write_case(tmp_path / "idle", IDLE_POLICY_CASE, name="idle")
    out, err = invoke("sweep", idle, "--set", "markets.price_usd_per_unit*=1", "--out",
                      tmp_path, "--jobs", "1")
    assert "objective_musd │ 0.880 │ 0.880" in out, out
    assert ("warning: the base: policies.csv row ch4 (chain-wide: site blank): its carbon "
            "price on ch4 prices nothing") in err, err
    assert "warning:" not in out, out

    tar = badly_scaled_case(tmp_path / "tar")
    scaled = "warning: matrix coefficients span a ratio of 2e+08 (> 1e8): rescale"
    out, err = invoke("export", tar, "--ranges")
    assert "Coefficient ranges (absolute values):" in out and scaled in err, (out, err)
    assert "warning:" not in out, out
    invoke("run", tar, "--out", tmp_path / "res")
    out, err = invoke("explain", tmp_path / "res" / "tar")
    assert "Binding constraints" in out and scaled in err, (out, err)
    assert "warning:" not in out, out


def test_a_batch_and_a_resumed_sweep_say_nothing_on_a_redirected_stderr(
        tmp_path: Path) -> None:
    """Runs without warnings into files (80 columns): stderr held an empty line (the end
    of a progress bar that a file never shows) and the status line of a run with a long
    folder name was broken in two at column 80. Now stderr is empty and each run has its
    one line, `solved NAME: objective X MUSD (written to FOLDER)`."""
    out = tmp_path / ("a_results_folder_whose_name_is_long_enough_to_pass_column_80" * 2)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]), "COLUMNS": "80"}

    def chainopt(*args: str | Path) -> tuple[str, str]:
        done = subprocess.run([sys.executable, "-m", "chainopt.cli", *map(str, args)],
                              capture_output=True, cwd=tmp_path, env=env, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout.decode(), done.stderr.decode()

    stdout, stderr = chainopt("run", "small_chain", ROOT / "scenarios" / "small_high_prices.yaml",
                              "--out", out)
    assert stderr == "", stderr
    lines = stdout.splitlines()  # in the order the runs finish
    assert len(lines) == 2, lines
    assert f"solved small_chain: objective 7,784.9 MUSD (written to {out}/small_chain)" in lines
    sweep = ["sweep", "small_chain", "--set", "markets.price_usd_per_unit*=1,1.1", "--out",
             tmp_path, "--name", "s", "--jobs", "1"]
    assert chainopt(*sweep)[1] == ""
    stdout, stderr = chainopt("sweep", "--resume", tmp_path / "sweep-s")
    assert stderr == "" and stdout.startswith("nothing to resume: all 2 variants"), stderr


def test_a_closed_stdout_leaves_the_exit_code_and_the_results(tmp_path: Path) -> None:
    """`chainopt run CASE --overwrite 2>err.txt | head -1` exited 1 with nothing said,
    the results folder replaced: click's ending for a broken pipe. Now the command
    ends as it would have, exit 0, the folder written (objective -179.9, module
    docstring; it held case two's run), the warning on stderr and no word of the pipe
    (no traceback, no 'Exception ignored' at exit); with stderr closed too (`2>&1 |
    head -1`) likewise.
    The batch of that case and an infeasible one exits 3, the worst of 0 and 3, the
    first written, the infeasible one not (no partial results)."""
    write_case(tmp_path / "one", FLOOR, name="one")
    write_case(tmp_path / "two", FLOOR, name="two")
    write_case(tmp_path / "inf", TOO_LITTLE, name="inf")
    # res/one/ first holds the run of case two (the folder to replace)
    assert _chainopt(tmp_path, "run", "two", "--name", "one", "--out", "res").returncode == 0
    assert Path(_manifest(tmp_path / "res" / "one")["source"]).name == "two"

    pipe = _closed_pipe()
    try:
        done = _chainopt(tmp_path, "run", "one", "--out", "res", "--overwrite", stdout=pipe)
    finally:
        os.close(pipe)
    err = done.stderr.decode()
    assert done.returncode == 0, err
    assert SHORT in " ".join(err.split()), err
    assert not any(w in err for w in ("Traceback", "Exception ignored", "Broken")), err
    m = _manifest(tmp_path / "res" / "one")
    assert m["objective"] == -179.9 and Path(m["source"]).name == "one"  # replaced

    pipe = _closed_pipe()
    try:
        done = _chainopt(tmp_path, "run", "one", "--out", "both", stdout=pipe, stderr=pipe)
    finally:
        os.close(pipe)
    assert done.returncode == 0
    assert _manifest(tmp_path / "both" / "one")["objective"] == -179.9

    pipe = _closed_pipe()
    try:
        done = _chainopt(tmp_path, "run", "one", "inf", "--out", "batch", "--jobs", "1",
                         stdout=pipe)
    finally:
        os.close(pipe)
    err = done.stderr.decode()
    assert done.returncode == 3, err
    assert "failed inf (exit 3)" in err and "1 of 2 runs failed" in err, err
    assert _manifest(tmp_path / "batch" / "one")["objective"] == -179.9
    assert sorted(p.name for p in (tmp_path / "batch").iterdir()) == ["one"]


def test_a_stream_closed_at_the_start_or_a_full_stdout_leaves_the_exit_code(
        tmp_path: Path) -> None:
    """`chainopt run CASE >&-` (stdout closed before the command starts: Python's
    sys.stdout is None) ended in a traceback and exit 1 after writing the folder;
    `2>&- >out.txt` exited 1 with out.txt empty; `>/dev/full` a traceback (ENOSPC).
    Now each exits 0 with the folder written (objective -179.9, module docstring); with
    stderr closed the summary is still on stdout; a full stdout is named once on stderr."""
    write_case(tmp_path / "one", FLOOR, name="one")

    def close(fd: int):
        return lambda: os.close(fd)

    done = subprocess.run([sys.executable, "-m", "chainopt.cli", "run", "one", "--out", "a"],
                          cwd=tmp_path, stderr=subprocess.PIPE, preexec_fn=close(1),
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    assert done.returncode == 0, done.stderr.decode()
    assert "Traceback" not in done.stderr.decode()
    assert _manifest(tmp_path / "a" / "one")["objective"] == -179.9

    done = subprocess.run([sys.executable, "-m", "chainopt.cli", "run", "one", "--out", "b"],
                          cwd=tmp_path, stdout=subprocess.PIPE, preexec_fn=close(2),
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    assert done.returncode == 0
    assert "one: optimal, objective (NPV) -179.9 MUSD" in done.stdout.decode()
    assert _manifest(tmp_path / "b" / "one")["objective"] == -179.9

    if Path("/dev/full").exists():
        with open("/dev/full", "w") as full:
            done = _chainopt(tmp_path, "run", "one", "--out", "c", stdout=full)
        err = done.stderr.decode()
        assert done.returncode == 0, err
        assert "Traceback" not in err and "Exception ignored" not in err, err
        assert "warning: stdout could not be written (No space left on device)" in err, err
        assert _manifest(tmp_path / "c" / "one")["objective"] == -179.9
