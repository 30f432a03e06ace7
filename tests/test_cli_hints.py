"""What the command line says to a new user's slips (review walk3 F3-F6, F9): each message
names the way forward, and a slip that would solve or overwrite something is refused
first. Every expected text is written out by hand from the slip it answers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.main import get_command

from chainopt.case.load import resolve_case_path
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
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``chainopt run small_chain --overwrite true``: ``--overwrite`` takes no value, so
    ``true`` is a second source, and the batch solved small_chain, wrote it over the old
    results, then failed on a case named 'true' (exit 1). It is refused before anything
    runs: exit 1, nothing written, the message says to write the flag alone. The same
    for a single ``chainopt run no`` (any case: ``False``), but not for a case folder
    that is really named ``yes``."""
    out = tmp_path / "out"
    result, text = invoke("run", "small_chain", "--overwrite", "true", "--out", out)
    assert result.exit_code == 1, text
    assert ("true: a flag's value: --overwrite takes no value; write --overwrite alone, "
            "not --overwrite true (--no-overwrite turns it off)") in text, text
    assert not out.exists()
    result, text = invoke("run", "False", "--out", out)
    assert result.exit_code == 1 and "False: a flag's value, not a case" in text, text
    assert not out.exists()
    # review s33 F7: a folder named true that is no case (an earlier --out true made it)
    # was read as a source: "true: no case.yaml", and small_chain was solved with --excel
    (tmp_path / "true" / "small_chain").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    result, text = invoke("run", "--excel", "true", "small_chain", "--out", out)
    assert result.exit_code == 1, text
    assert ("true: a flag's value: --excel takes no value; write --excel alone, not --excel "
            "true (--no-excel turns it off)") in text, text
    assert not out.exists()
    shutil.copytree(resolve_case_path("small_chain"), tmp_path / "yes")  # a case named yes
    result, text = invoke("validate", "yes")
    assert result.exit_code == 0, text
    # a results folder really named true is read after a flag (explain --ranging true)
    (tmp_path / "runs").mkdir()
    monkeypatch.chdir(tmp_path / "runs")
    result, text = invoke("run", "small_chain", "--out", ".", "--name", "true")
    assert result.exit_code == 0, text
    result, text = invoke("explain", "--ranging", "true")
    assert result.exit_code == 0 and "flag's value" not in text, text


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


def test_a_mistyped_path_with_a_folder_part_gets_did_you_mean(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Review s33 F7: ``small_port`` got "did you mean 'scenarios/small_port_expansion.yaml'?"
    but ``scenarios/small_port`` (the folder typed, .yaml left out) nothing. A name with a
    folder part is looked for in that folder: scenarios/ holds small_port_expansion.yaml,
    ru_mp4_a.yaml and ru_mp4_b.yaml, so scenarios/small_port starts one file's name and
    scenarios/ru_mp4 two (named in sorted order); cases/ holds the case folder
    petchem_investment, which cases/petchem_invest starts and cases/petchem_investmnt
    (one letter left out) nearly spells; scenarios/zzz is near nothing: the general hint.
    A scenario's base with a folder part is looked for from the scenario's folder."""
    monkeypatch.chdir(tmp_path)
    Path("scenarios").mkdir()
    for name in ("small_port_expansion", "ru_mp4_a", "ru_mp4_b"):
        Path(f"scenarios/{name}.yaml").write_text(PORT)
    Path("cases/petchem_investment").mkdir(parents=True)
    Path("cases/petchem_investment/case.yaml").write_text("name: x\n")
    for typed, meant in (
            ("scenarios/small_port", "'scenarios/small_port_expansion.yaml'"),
            ("scenarios/ru_mp4", "'scenarios/ru_mp4_a.yaml' or 'scenarios/ru_mp4_b.yaml'"),
            ("cases/petchem_invest", "'cases/petchem_investment'"),
            ("cases/petchem_investmnt", "'cases/petchem_investment'")):
        result, text = invoke("run", typed, "--out", "out")
        assert result.exit_code == 1, text
        assert (f"{typed}: no case folder or embedded case of this name; did you mean "
                f"{meant}?") in " ".join(text.split()), text
    result, text = invoke("run", "scenarios/zzz", "--out", "out")
    assert result.exit_code == 1, text
    assert "did you mean" not in text and "give a folder holding case.yaml" in text, text
    Path("scenarios/typo.yaml").write_text("base: ../cases/petchem_invest\n")
    result, text = invoke("validate", "scenarios/typo.yaml")
    assert result.exit_code == 1, text
    assert "did you mean 'cases/petchem_investment'?" in text, text
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


def test_a_flags_value_names_the_flag_written_before_it(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Review s32 F4: the refusal named ``--overwrite`` whatever flag stood before the
    word, and in ``validate``, which has no such flag. The flag written just before the
    word is named, with what its other form does (``--excel``'s is ``--no-excel``, which
    turns it off; ``--no-excel``'s is ``--excel``, which turns it on). With no flag just
    before it (``validate Yes``; ``explain true --ranging``, the flag after) the rule is
    said in general, with what the command reads there: a case or scenario, a results
    folder or case (explain), a scenario file (show), a results or comparison folder
    (report), a results folder (verify: both had said "no such folder"). ``explain
    --ranging true`` said "--ranging: true is not a results folder", as if --ranging took
    a folder, and ``show true`` "not a scenario file" (about .yaml files). Exit 1 each,
    nothing written. A
    word after an option that takes a value is its value (``--name yes``)."""
    monkeypatch.chdir(tmp_path)
    expected = {
        ("run", "small_chain", "--excel", "no"):
            "no: a flag's value: --excel takes no value; write --excel alone, not --excel "
            "no (--no-excel turns it off)",
        ("run", "small_chain", "--relax", "yes"):
            "yes: a flag's value: --relax takes no value; write --relax alone, not --relax "
            "yes (--no-relax turns it off)",
        ("run", "small_chain", "--no-excel", "YES"):
            "YES: a flag's value: --no-excel takes no value; write --no-excel alone, not "
            "--no-excel YES (--excel turns it on)",
        ("explain", "--ranging", "true"):
            "true: a flag's value: --ranging takes no value; write --ranging alone, not "
            "--ranging true (--no-ranging turns it off)",
        ("validate", "Yes"):
            "Yes: a flag's value, not a case or scenario: flags take no value; write a flag "
            "alone (--flag, not --flag Yes)",
        ("explain", "true", "--ranging"):
            "true: a flag's value, not a results folder or case: flags take no value; write "
            "a flag alone (--flag, not --flag true)",
        ("show", "true"):
            "true: a flag's value, not a scenario file: flags take no value; write a flag "
            "alone (--flag, not --flag true)",
        ("report", "true"):
            "true: a flag's value, not a results or comparison folder: flags take no value; "
            "write a flag alone (--flag, not --flag true)",
        ("verify", "False"):
            "False: a flag's value, not a results folder: flags take no value; write a flag "
            "alone (--flag, not --flag False)",
    }
    for args, says in expected.items():
        result, text = invoke(*args)
        assert result.exit_code == 1, (args, text)
        assert says in text, (args, text)
        assert "--overwrite" not in text, (args, text)
    assert not Path("results").exists()
    from chainopt.cli import flag_before

    run = get_command(app).commands["run"]  # type: ignore[attr-defined]
    assert flag_before(run, ["small_chain", "--name", "yes"]) is None
    assert flag_before(run, ["--excel", "small_chain"]) is None
    assert flag_before(run, ["small_chain", "--excel", "No"]) == (
        "No", "--excel", "--no-excel turns it off")


def test_a_sweep_or_its_variant_given_as_a_source_says_what_to_give(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Review s32 F5. A sweep's ``--full`` variant was called "a results folder (written
    by chainopt run)" and the hint gave its base, small_chain, whose plan is not the
    variant's. It is named as the variant of the sweep it is, with the setting its
    manifest.json records (key variant, settings): hdpe's price scaled by 1.2, the grid's
    second value of 0.8,1.2, so id v00001. The ways to make it again are named: a
    scenario on small_chain (``*=`` is ``scale``), or a sweep of that one value, whose
    only variant is v00000. Both are followed here and reproduce the variant's objective
    to the digit (the same case solved). The sweep folder itself got "no case.yaml in
    this folder"; it is named a sweep folder, with the source it varies (sweep.json,
    key source: small_chain)."""
    monkeypatch.chdir(tmp_path)
    hdpe = "markets.price_usd_per_unit[commodity=hdpe]"
    result, text = invoke("sweep", "small_chain", "--set", f"{hdpe}*=0.8,1.2", "--full",
                          "v00001", "--out", ".")
    assert result.exit_code == 0, text
    variant = Path("sweep-small_chain/variants/v00001")
    for args in (("run", variant), ("compare", "small_chain", variant)):
        result, text = invoke(*args)
        assert result.exit_code == 1, text
        assert (f"{variant}: variant v00001 of sweep small_chain (saved by chainopt sweep "
                "--full), not a case or scenario; it is small_chain with "
                f"{hdpe}*=1.2 (its manifest.json, key variant): give a scenario on "
                "small_chain making those changes (*= is scale, += add, = set), or save the "
                f"variant again with chainopt sweep small_chain --set '{hdpe}*=1.2' --full "
                "v00000") in text, text
        assert "chainopt run" not in text, text
    result, text = invoke("run", "sweep-small_chain")
    assert result.exit_code == 1, text
    assert ("sweep-small_chain: a sweep folder (written by chainopt sweep), not a case or "
            "scenario; give the source it varies, small_chain (its sweep.json, key source)"
            ) in text, text
    # the two ways named make the variant again
    objective = json.loads((variant / "manifest.json").read_text())["objective"]
    Path("again").mkdir()
    result, text = invoke("sweep", "small_chain", "--set", f"{hdpe}*=1.2", "--full", "v00000",
                          "--out", "again")
    assert result.exit_code == 0, text
    again = json.loads(Path("again/sweep-small_chain/variants/v00000/manifest.json")
                       .read_text())["objective"]
    Path("hdpe.yaml").write_text("base: small_chain\nchanges:\n  - table: markets\n"
                                 "    where: {commodity: hdpe}\n"
                                 "    scale: {price_usd_per_unit: 1.2}\n")
    result, text = invoke("run", "hdpe.yaml", "--out", "again")
    assert result.exit_code == 0, text
    scenario = json.loads(Path("again/hdpe/manifest.json").read_text())["objective"]
    assert again == scenario == objective


def test_resuming_a_sweep_an_older_chainopt_took_says_to_start_a_new_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Review s32 F6. An older chainopt took a grid value twice (1.1,1.1,1.2) and a
    uniform of low = high; this one refuses both. ``--resume`` of such a sweep blamed a
    ``--set`` the user never typed ("give each value once"), or sent the user to edit
    sweep.json ("give low below high"). Both say the sweep's sweep.json holds it, that
    the sweep cannot be finished, and to start a new one of its source with the request
    corrected. The old sweeps are made here as an older chainopt wrote them: a sweep this
    one takes, its sweep.json then given the old request (nothing else of it is read
    before the request is refused)."""
    monkeypatch.chdir(tmp_path)
    hdpe = "markets.price_usd_per_unit[commodity=hdpe]"
    result, text = invoke("sweep", "small_chain", "--set", f"{hdpe}*=1.1,1.2", "--out", "old",
                          "--name", "dup")
    assert result.exit_code == 0, text
    Path("d.yaml").write_text(f"variables:\n  - target: {hdpe}\n    op: scale\n"
                              "    dist: {type: uniform, low: 1.0, high: 1.2}\n")
    result, text = invoke("sweep", "small_chain", "--samples", "2", "--distributions",
                          "d.yaml", "--out", "old", "--name", "uni")
    assert result.exit_code == 0, text
    for name, edit in (("dup", {"sets": [f"{hdpe}*=1.1,1.1,1.2"]}),
                       ("uni", {"distributions": {"variables": [{
                           "target": hdpe, "op": "scale",
                           "dist": {"type": "uniform", "low": 1.1, "high": 1.1}}]}})):
        meta = Path(f"old/sweep-{name}/sweep.json")
        meta.write_text(json.dumps({**json.loads(meta.read_text()), **edit}))
    result, text = invoke("sweep", "--resume", "old/sweep-dup")
    assert result.exit_code == 1, text
    assert (f"old/sweep-dup/sweep.json: sets '{hdpe}*=1.1,1.1,1.2': the value 1.1 is given "
            "twice: the same case would be solved twice and counted twice in the grid's "
            "statistics; the sweep in old/sweep-dup was started with this (by an older "
            "chainopt, which took it), so it cannot be resumed: start a new sweep of "
            "small_chain with its settings corrected (give each value once)") in text, text
    assert "--set" not in text, text
    result, text = invoke("sweep", "--resume", "old/sweep-uni")
    assert result.exit_code == 1, text
    assert ("old/sweep-uni/sweep.json: distributions: variables[0].dist: needs low < high "
            "(found low 1.1, high 1.1); the sweep in old/sweep-uni was started with this (by "
            "an older chainopt, which took it), so it cannot be resumed: start a new sweep "
            "of small_chain with its distributions corrected (give low below high)"
            ) in text, text


def test_a_mistyped_scenario_gets_the_files_its_name_starts_first(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Review s32 F7. ``chainopt run ru_mp4`` got "did you mean 'scenarios/ru_mp6_mto.yaml'?"
    (difflib on the file names: ru_mp4.yaml shares ru_mp and .yaml with it, 2*10/(11+15)
    = 0.77, and ru_mp4 and .yaml with ru_mp4_equipment_renewal.yaml, 2*11/(11+29) =
    0.55), not the two files whose names start with ru_mp4. Those come first, by name, up to three
    and how many more: ``ru_mp`` starts five here. No file starts with ru_mp6_mt... but
    ru_mp6_mto.yaml is still the near spelling of ``ru_mp6_mtx``. And
    ``small_port_expansion.yaml`` written in the project root, which holds it in
    scenarios/, got no hint: the same name in scenarios/ is suggested."""
    monkeypatch.chdir(tmp_path)
    Path("scenarios").mkdir()
    for n in ("ru_mp1_a", "ru_mp2_b", "ru_mp4_equipment_renewal", "ru_mp4_renewal_cp_high",
              "ru_mp6_mto"):
        Path(f"scenarios/{n}.yaml").write_text(PORT)
    Path("scenarios/small_port_expansion.yaml").write_text(PORT)
    for typed, says in (
            ("ru_mp4", "ru_mp4: no case folder or embedded case of this name; did you mean "
                       "'scenarios/ru_mp4_equipment_renewal.yaml' or "
                       "'scenarios/ru_mp4_renewal_cp_high.yaml'?"),
            ("scenarios/ru_mp4.yaml", "scenarios/ru_mp4.yaml: no such scenario file; did you "
                                      "mean 'scenarios/ru_mp4_equipment_renewal.yaml' or "
                                      "'scenarios/ru_mp4_renewal_cp_high.yaml'?"),
            ("ru_mp", "did you mean 'scenarios/ru_mp1_a.yaml', 'scenarios/ru_mp2_b.yaml' or "
                      "'scenarios/ru_mp4_equipment_renewal.yaml' (2 more start with "
                      "'ru_mp')?"),
            ("ru_mp6_mtx", "did you mean 'scenarios/ru_mp6_mto.yaml'?"),
            ("small_port_expansion.yaml", "small_port_expansion.yaml: no such scenario file; "
                                          "did you mean "
                                          "'scenarios/small_port_expansion.yaml'?")):
        result, text = invoke("run", typed, "--out", "out")
        assert result.exit_code == 1, text
        assert says in text, (typed, text)
    assert not Path("out").exists()
