"""What the commands that read a results folder (explain, report, verify) say of a folder
that is another one: a comparison, sweep or sensitivity folder, the folder holding the
results folders, or a mistyped run folder (review cli F1)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chainopt import api
from chainopt.cli import app

runner = CliRunner(env={"COLUMNS": "200"})
PORT = Path(__file__).resolve().parents[1] / "scenarios" / "small_port_expansion.yaml"


def invoke(*args: str | Path):
    result = runner.invoke(app, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result, " ".join(result.output.split())


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    """results/ with small_chain, small_port_expansion and their comparison (as chainopt
    compare writes them), a sweep folder and a sensitivity folder (their marker files:
    what tells them apart)."""
    out = tmp_path_factory.mktemp("targets") / "results"
    sections, outcomes, _ = api.compare(["small_chain", str(PORT)], out=out, jobs=1)
    assert sections and all(o.ok for o in outcomes)
    sweep = out / "sweep-small_chain"
    sweep.mkdir()
    (sweep / "sweep.json").write_text(json.dumps({"source": "small_chain", "sets": []}))
    sens = out / "sensitivity-small_port_expansion-far_east_port"
    sens.mkdir()
    (sens / "breakeven.csv").write_text("driver,meaning,base,value\n")
    (sens / "sensitivity.json").write_text(json.dumps(
        {"scenario": "small_port_expansion", "source": "scenarios/small_port_expansion.yaml",
         "project": "far_east_port"}))
    return out


def test_explain_names_the_runs_of_a_comparison_folder(results: Path) -> None:
    """The comparison compares small_chain and small_port_expansion, whose results
    folders compare wrote beside it: explain names them (it said "no case.yaml in this
    folder; a case folder needs case.yaml plus CSV tables")."""
    result, text = invoke("explain", results / "compare-small_chain-vs-small_port_expansion")
    assert result.exit_code == 1, text
    assert ("a comparison folder, not a results folder (no manifest.json) nor a case folder "
            "(no case.yaml)") in text, text
    assert (f"chainopt explain one of the runs it compares: {results / 'small_chain'}, "
            f"{results / 'small_port_expansion'}") in text, text
    assert "a case folder needs case.yaml" not in text


def test_explain_of_a_sweep_or_sensitivity_folder_says_how_to_get_a_plan(results: Path
                                                                        ) -> None:
    """A sweep keeps no plan (no variant saved with --full here): run its source,
    small_chain; a sensitivity's scenario was run beside it (the comparison's
    small_port_expansion): that folder is named."""
    result, text = invoke("explain", results / "sweep-small_chain")
    assert result.exit_code == 1
    assert "a sweep folder, not a results folder (no manifest.json)" in text, text
    assert "--full ID" in text and "(chainopt run small_chain)" in text, text
    result, text = invoke("explain", results / "sensitivity-small_port_expansion-far_east_port")
    assert result.exit_code == 1
    assert "a sensitivity folder, not a results folder" in text, text
    assert f"chainopt explain the run of its scenario: {results / 'small_port_expansion'}" \
        in text, text
    # a saved variant is named, not the way to save one
    variant = results / "sweep-small_chain" / "variants" / "v0003"
    shutil.copytree(results / "small_chain", variant)
    try:
        result, text = invoke("explain", results / "sweep-small_chain")
        assert f"chainopt explain a variant it saved in full (--full): {variant}" in text, text
    finally:
        shutil.rmtree(variant.parent)


def test_the_hint_for_a_sweep_names_its_source_as_found_not_as_typed(results: Path,
                                                                   tmp_path: Path) -> None:
    """A sweep started as ``chainopt sweep sc ...`` in /tmp/s27 hinted ``chainopt run sc``
    to an explain typed elsewhere, where sc is no path; sweep.json records the path found
    (source_abs), which the hint now gives. An embedded case (source_abs null) keeps its
    name (the test above)."""
    sweep = tmp_path / "sweep-sc"
    sweep.mkdir()
    record = json.loads((results / "sweep-small_chain" / "sweep.json").read_text())
    record.update(source="sc", source_abs=str(tmp_path / "cases" / "sc"))
    (sweep / "sweep.json").write_text(json.dumps(record))
    result, text = invoke("explain", sweep)
    assert result.exit_code == 1
    assert f"(chainopt run {tmp_path / 'cases' / 'sc'})" in text, text
    # a path with a space is quoted, so that the command can be pasted (review s28 F5)
    record.update(source_abs=str(tmp_path / "my cases" / "sc"))
    (sweep / "sweep.json").write_text(json.dumps(record))
    result, text = invoke("explain", sweep)
    assert f"(chainopt run '{tmp_path / 'my cases' / 'sc'}')" in text, text


def test_explain_of_the_results_parent_and_of_a_mistyped_run(results: Path) -> None:
    """results/ holds two results folders (small_chain, small_port_expansion: by name);
    a typo of one gets "did you mean", not the list of embedded cases."""
    result, text = invoke("explain", results)
    assert result.exit_code == 1
    assert "a folder of results folders, not a results folder itself" in text, text
    assert (f"chainopt explain {results / 'small_chain'}, "
            f"{results / 'small_port_expansion'}") in text, text
    result, text = invoke("explain", results / "smal_chain")
    assert result.exit_code == 1
    assert "smal_chain: no such results folder; did you mean 'small_chain'?" in text, text
    assert "embedded cases" not in text
    # verify and report say the same (report: nor a comparison folder)
    result, text = invoke("verify", results / "compare-small_chain-vs-small_port_expansion")
    assert result.exit_code == 1
    assert "a comparison folder, not a results folder (no manifest.json);" in text, text
    assert f"chainopt verify one of the runs it compares: {results / 'small_chain'}" in text
    result, text = invoke("report", results)
    assert result.exit_code == 1
    assert "nor a comparison folder (no comparison.md)" in text, text
    assert f"chainopt report {results / 'small_chain'}" in text, text
    result, text = invoke("report", results / "smal_chain")
    assert result.exit_code == 1 and "did you mean 'small_chain'?" in text, text


def test_verify_and_report_of_a_case_folder_say_to_run_it_first(results: Path) -> None:
    """`chainopt verify CASE_FOLDER` said only "not a results folder"; explain reads a
    case folder, and verify and report now say it is one and to run it first."""
    case = Path(api.__file__).parent / "data" / "small_chain"
    for command, nor in (("verify", ""), ("report", " nor a comparison folder (no "
                                                    "comparison.md)")):
        result, text = invoke(command, case)
        assert result.exit_code == 1
        assert (f"{case}: a case folder, not a results folder (no manifest.json){nor}; run it "
                f"first (chainopt run {case}) and chainopt {command} the results folder it "
                "writes") in text, text


def test_verify_and_report_of_a_scenario_file_say_to_run_it_first(tmp_path: Path) -> None:
    """`chainopt verify scenarios/x.yaml` said "no such folder" of a file that is there;
    it is a scenario, to run first (review s28 F5). Another file is named a file."""
    for command in ("verify", "report"):
        result, text = invoke(command, PORT)
        assert result.exit_code == 1
        assert (f"{PORT}: a scenario or case file, not a results folder; run it first "
                f"(chainopt run {PORT}) and chainopt {command} the results folder it "
                "writes") in text, text
    other = tmp_path / "notes.txt"
    other.write_text("x")
    result, text = invoke("verify", other)
    assert f"{other}: a file, not a results folder; give a folder written by chainopt run" \
        in text, text


def test_explain_of_a_plain_folder_names_both_readings(tmp_path: Path) -> None:
    result, text = invoke("explain", tmp_path)
    assert result.exit_code == 1
    assert ("neither a results folder (no manifest.json) nor a case folder (no case.yaml); "
            "give a folder chainopt run wrote (results/<name>), or a case folder") in text, text


def test_show_of_a_case_points_at_source_and_key_needs_source():
    """Review cli F8: `show small_chain` said only "not a scenario file", and `show
    small_chain --key x` the same (--key ignored): neither said that a case is shown with
    --source TABLE. Now the first names it (exit 1, as before), the second is a usage
    error (exit 2)."""
    result, text = invoke("show", "small_chain")
    assert result.exit_code == 1
    assert ("small_chain: not a scenario file (expected a .yaml/.yml file other than "
            "case.yaml); a case's tables are shown with --source TABLE (chainopt show "
            "small_chain --source units)") in text, text
    result, text = invoke("show", "small_chain", "--key", "x")
    assert result.exit_code == 2
    assert "--key selects the rows of --source TABLE; give --source too" in text, text


def test_a_mistyped_scenario_path_gets_did_you_mean(tmp_path, monkeypatch):
    """Review cli F9: scenarios/small_port_expanson.yaml (an 'i' left out) said "no such
    scenario file" alone; a mistyped case name lists the embedded cases and a mistyped
    base: gets "did you mean". Now the .yaml files of its folder are the options (the
    same helper, closest): small_port_expansion.yaml. A name close to none keeps the
    plain hint."""
    monkeypatch.chdir(PORT.parents[1])
    result, text = invoke("run", "scenarios/small_port_expanson.yaml", "--out", tmp_path)
    assert result.exit_code == 1
    assert ("scenarios/small_port_expanson.yaml: no such scenario file; did you mean "
            "'scenarios/small_port_expansion.yaml'?") in text, text
    result, text = invoke("run", "scenarios/zzz.yaml", "--out", tmp_path)
    assert result.exit_code == 1
    assert "no such scenario file; give the path of a .yaml scenario file" in text, text
    assert list(tmp_path.iterdir()) == []
