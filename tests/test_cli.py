"""The ``chainopt`` command line through typer's CliRunner: exit codes and key output.

Exit codes: 0 ok, 1 bad input, 2 usage, 3 infeasible or unbounded, 4 solver failure.
Rich wraps long lines, so output is compared with its whitespace collapsed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.main import get_command
from typer.testing import CliRunner

from chainopt.cli import app
from tests.conftest import edit_csv

runner = CliRunner(env={"COLUMNS": "200"})


def invoke(*args: str | Path):
    """Run ``chainopt ARGS``; returns the result and its output with whitespace collapsed."""
    result = runner.invoke(app, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # a crash, not a reported error: show its traceback
    return result, " ".join(result.output.split())


# -- run ------------------------------------------------------------------------------------

def test_run_small_case_writes_results(small_case_dir: Path, tmp_path: Path) -> None:
    """The summary states each quantity in its unit (commodities.csv): sales_gas in k
    1000m3/yr beside products in k t/yr (the table was headed "k units/yr"), and the
    value of tob_gpp's capacity, counted in its raw_gas input, per 1000m3/yr (it said
    "USD per unit/yr" of every unit and link)."""
    out = tmp_path / "out"
    result, text = invoke("run", small_case_dir, "--out", out)
    assert result.exit_code == 0, text
    assert "small_chain: optimal" in text
    assert "Top products (per year)" in text and "sales_gas │ k 1000m3/yr" in text
    assert "diesel │ k t/yr" in text
    assert re.search(r"tob_gpp │ p2026-p2036 │ [\d.,]+ per 1000m3/yr of capacity", text), text
    assert re.search(r"tob_cdu │ p2026-p2036 │ [\d.,]+ per t/yr of capacity", text), text
    assert "results written to" in text
    folder = out / "small_chain"
    assert "".join(str(folder).split()) in "".join(text.split())
    assert (folder / "manifest.json").is_file()
    assert [p.name for p in out.iterdir()] == ["small_chain"]  # no temporary folder left


def test_rerun_refuses_to_overwrite_without_the_flag(small_case_dir: Path,
                                                     tmp_path: Path) -> None:
    out = tmp_path / "out"
    manifest = out / "small_chain" / "manifest.json"
    assert invoke("run", small_case_dir, "--out", out)[0].exit_code == 0
    before = manifest.read_bytes()

    result, text = invoke("run", small_case_dir, "--out", out)
    assert result.exit_code == 1, text
    assert "exists" in text
    assert "--overwrite" in text
    assert manifest.read_bytes() == before  # the earlier results are untouched

    result, text = invoke("run", small_case_dir, "--out", out, "--overwrite")
    assert result.exit_code == 0, text
    assert "optimal" in text
    assert manifest.is_file()
    assert [p.name for p in out.iterdir()] == ["small_chain"]


def test_results_written_next_to_the_source_name_do_not_shadow_the_case(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``chainopt run small_chain --out .`` writes ./small_chain (results); re-running it,
    or comparing the case with a scenario there, still means the embedded case, not that
    folder (it used to stop with "small_chain: no case.yaml in this folder")."""
    monkeypatch.chdir(tmp_path)
    assert invoke("run", "small_chain", "--out", ".")[0].exit_code == 0
    result, text = invoke("run", "small_chain", "--out", ".", "--overwrite")
    assert result.exit_code == 0, text
    (tmp_path / "port.yaml").write_text("description: x\nbase: small_chain\nchanges:\n"
                                        "  - project: far_east_port\n    state: optional\n")
    result, text = invoke("compare", "small_chain", "port.yaml", "--out", ".")
    assert result.exit_code == 0, text
    assert (tmp_path / "compare-small_chain-vs-port" / "economics.csv").is_file()
    (tmp_path / "mine").mkdir()  # a folder without case.yaml is still an error
    result, text = invoke("run", "mine", "--out", "out")
    assert result.exit_code == 1 and "no case.yaml" in text, text


def test_infeasible_case_exits_3_and_writes_nothing(small_case_dir: Path,
                                                    tmp_path: Path) -> None:
    """A hard demand floor of 50 Mt/yr of PP in China; the chain makes well under 1 Mt/yr
    (the PP plant has 250 kt/yr), so no plan meets it."""
    edit_csv(small_case_dir / "case.yaml", "demand_floors: soft", "demand_floors: hard")
    edit_csv(small_case_dir / "markets.csv", "chn,pp,930,800,0", "chn,pp,930,,50000")
    out = tmp_path / "out"
    result, text = invoke("run", small_case_dir, "--out", out)
    assert result.exit_code == 3, text
    assert "infeasible" in text
    assert "chainopt explain" in text
    assert not (out / "small_chain").exists()
    assert not out.exists() or not any(out.iterdir())  # no temporary folder either


def test_an_infeasible_scenario_points_explain_at_the_scenario(tmp_path: Path) -> None:
    """small_chain itself solves. A scenario with hard floors asks 1,400 kt/yr of HDPE in
    China. The cracker tob_cracker takes at most 1,200 x availability 0.9 = 1,080 kt of
    naphtha a year, 0.33 t of ethylene each: 356.4 kt, and 1.015 t of ethylene make 1 t
    of HDPE: at most 351.1 kt/yr < 1,400, so no plan meets it (a second conflict shares
    the floor: port_sea, 600 kt/yr plus at most 600 built is 1,200 < 1,400; the floor
    dropped with the first, it is not shown). The message named case 'small_chain' and
    said to explain "the case", which solves; it names the scenario and the file to give
    explain."""
    scenario = tmp_path / "china_floor.yaml"
    scenario.write_text("base: small_chain\nchanges:\n  - case: {demand_floors: hard}\n"
                        "  - table: markets\n    where: {site: chn, commodity: hdpe}\n"
                        "    set: {min_k_per_yr: 1400}\n")
    result, text = invoke("run", scenario, "--out", tmp_path / "out")
    assert result.exit_code == 3, text
    assert "scenario 'china_floor' (on case 'small_chain') is infeasible" in text, text
    assert f"Run `chainopt explain {scenario}`" in text, text
    result, text = invoke("explain", scenario)
    assert result.exit_code == 0, text
    # the floor set by the scenario, said by its key (no row of the effective case is a
    # file's row); the cracker's row of small_chain's units.csv likewise; the scenario
    # named as run names it (review infeas F6: "The case is infeasible")
    said = " ".join(text.split())
    assert said.startswith("Scenario 'china_floor' (on case 'small_chain') is infeasible"), \
        text
    assert "demand floor for hdpe at chn in p2026 (>= 1,400 k t/yr, markets.csv row " \
        "chn/hdpe/1)" in said, text
    assert ("capacity of unit tob_cracker in p2026 (<= 1,200 k t/yr x availability 0.9 = "
            "1,080, units.csv row tob_cracker)") in said, text


def test_bad_method_is_a_usage_error(small_case_dir: Path, tmp_path: Path) -> None:
    result, text = invoke("run", small_case_dir, "--out", tmp_path / "out", "--method", "fast")
    assert result.exit_code == 2, text
    assert "--method" in text
    assert "'fast'" in text
    assert not (tmp_path / "out").exists()


def test_unknown_option_is_a_usage_error() -> None:
    result, _text = invoke("run", "--no-such-option")
    assert result.exit_code == 2


# -- validate -------------------------------------------------------------------------------

def test_validate_valid_case(small_case_dir: Path) -> None:
    result, text = invoke("validate", small_case_dir)
    assert result.exit_code == 0, text
    assert "case 'small_chain' is valid" in text
    assert "5 sites" in text


def test_validate_broken_case_lists_the_problem(small_case_dir: Path) -> None:
    edit_csv(small_case_dir / "mode_flows.csv", "crack_naphtha,naphtha,in",
             "crack_naphtha,naptha,in")
    result, text = invoke("validate", small_case_dir)
    assert result.exit_code == 1, text
    assert "1 problem in the input" in text
    assert ("mode_flows.csv row 18, column commodity: unknown commodity name "
            "(found 'naptha'); did you mean 'naphtha'?") in text


def test_validate_prints_bracketed_user_text_verbatim(small_case_dir: Path) -> None:
    """Column headers like 'capacity [kt/yr]' are user text, not Rich markup."""
    edit_csv(small_case_dir / "units.csv", "capacity_k_per_yr", "capacity [kt/yr]")
    result, text = invoke("validate", small_case_dir)
    assert result.exit_code == 1, text
    assert ("units.csv, column capacity [kt/yr]: unknown column; "
            "did you mean 'capacity_k_per_yr'?") in text


def test_validate_missing_folder(tmp_path: Path) -> None:
    result, text = invoke("validate", tmp_path / "no_such_case")
    assert result.exit_code == 1, text
    assert "no case folder or embedded case of this name" in text


# -- help -----------------------------------------------------------------------------------

COMMANDS = sorted(get_command(app).commands)  # type: ignore[attr-defined]


def test_the_main_commands_exist() -> None:
    assert {"run", "validate", "explain"} <= set(COMMANDS)


@pytest.mark.parametrize("command", [None, *COMMANDS], ids=lambda c: c or "chainopt")
def test_help_shows_an_example(command: str | None) -> None:
    result, text = invoke(*([command] if command else []), "--help")
    assert result.exit_code == 0, text
    assert "Example" in text


def test_help_example_keeps_its_brackets() -> None:
    """Rich markup must not swallow the row selector of the sweep example."""
    _result, text = invoke("sweep", "--help")
    assert "markets.price_usd_per_unit[commodity=hdpe]*=0.7:1.3:13" in text


def test_sensitivity_help_example_names_a_scenario_that_builds_its_project() -> None:
    """``chainopt sensitivity`` holds the project built as its scenario builds it and
    refuses one the scenario does not build (exit 1, "the scenario does not build it").
    The help's example gave scenarios/ru_mp2_nakhodka_methanol_urea.yaml, where MP2 is
    only optional and, at central prices, not built (the README: worth -163.1 MUSD when
    forced), so the example exited 1. Its scenario must force the project it names, as
    proposal_nakhodka_methanol_urea forces mp2 from p2026 (the README's own example)."""
    from chainopt.safe_yaml import read_mapping

    _result, text = invoke("sensitivity", "--help")
    example = text.split("Example: chainopt sensitivity ", 1)[1].split()
    scenario, project = Path(example[0]), example[example.index("--project") + 1]
    root = Path(__file__).resolve().parents[1]
    changes = read_mapping(root / scenario)["changes"]
    states = [c.get("state") for c in changes if c.get("project") == project]
    assert states == ["forced"], (scenario, states)


@pytest.mark.parametrize("command", ["validate", "sweep", "export"])
def test_case_argument_help_names_scenarios(command: str, tmp_path: Path) -> None:
    """validate, sweep and export take a scenario wherever a case goes (the README's sweep
    of scenarios/small_port_expansion.yaml); their CASE help listed folders, workbooks and
    embedded names only. validate of small_port_expansion reports its chain."""
    _result, text = invoke(command, "--help")
    assert "or scenario .yaml" in text, text
    if command == "validate":
        root = Path(__file__).resolve().parents[1]
        result, said = invoke("validate", root / "scenarios" / "small_port_expansion.yaml")
        assert result.exit_code == 0 and "small_chain (embedded case) -> " in said, said


#: site a: crude bought at 100 USD/t becomes light (1 t per t) by process p (mode run),
#: light sold at 200 USD/t without limit; add the units a test needs
CRUDE_TO_LIGHT = {
    "commodities": "commodity,unit,kind\ncrude,t,raw\nlight,t,product",
    "sites": "site\na",
    "modes": "mode,process\nrun,p",
    "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,crude,in,1\n"
                  "run,light,out,1",
    "supplies": "site,commodity,cost_usd_per_unit\na,crude,100",
    "markets": "site,commodity,price_usd_per_unit\na,light,200",
}


def test_run_summary_lists_no_unit_as_binding_where_it_has_no_capacity(tmp_path):
    """Crude bought at a for 100 USD/t becomes light (1 t per t) in unit u, sold at a
    for 200 USD/t without limit; rate 0, periods p1 (2026) and p2 (2027). u has no
    capacity in p1 and 10 kt/yr in p2 (units_by_period.csv). Its capacity row in p2
    binds at 10 and is worth 200 - 100 = 100 USD per t/yr; in p1 the row 0 <= 0 has the
    same marginal value, but there is no capacity to bind: explain says "not available
    until p2". The run summary listed u as binding in p1-p2; now in p2 alone."""
    from tests.toycase import write_case

    folder = write_case(tmp_path / "case", {
        **CRUDE_TO_LIGHT,
        "units": "unit,site,process,capacity_k_per_yr\nu,a,p,0",
        "units_by_period": "unit,period,capacity_k_per_yr\nu,p2,10",
    }, periods=[{"period": "p1", "start_year": 2026, "length_yr": 1},
                {"period": "p2", "start_year": 2027, "length_yr": 1}])
    result, text = invoke("run", folder, "--out", tmp_path / "out")
    assert result.exit_code == 0, text
    assert "unit │ u │ p2 │ 100.0" in text, text
    _result, said = invoke("explain", tmp_path / "out" / "toy")
    assert "capacity of unit u: not available until p2" in said, said


def _builds_case(folder: Path, capex: list[int]) -> Path:
    """Crude bought at 100 USD/t becomes light (1 t per t) in new units u1, u2, ... (no
    capacity of their own, at most 10 kt/yr each, capex ``capex`` USD per t/yr, life
    1 year), light sold at 200 USD/t without limit; one 1-year period (2026), rate 0."""
    from tests.toycase import write_case

    units = "\n".join(f"u{i},a,p,0,{c},10,1" for i, c in enumerate(capex, 1))
    return write_case(folder, {
        **CRUDE_TO_LIGHT,
        "units": "unit,site,process,capacity_k_per_yr,capex_usd_per_unit_yr,"
                 f"max_new_k_per_yr,lifetime_yr\n{units}"})


def test_run_summary_says_what_the_plan_builds(tmp_path):
    """Six units u1..u6 at 10, 20, ..., 60 USD per t/yr (life 1 year, rate 0: that is
    their yearly charge) each earn 200 - 100 = 100 USD per t/yr: all six are built to
    their 10 kt/yr limit, u6 for 10,000 t/yr x 60 USD = 0.6 MUSD overnight, u5 0.5, ...
    u1 0.1, first used in 2026. The summary said nothing of them; now its Builds table
    names the five largest (u6 10 k t/yr 0.600 MUSD first, then u5 ... u2) and '... and 1
    more (investments.csv)' for u1. With capex 150 USD per t/yr (more than the 100 a
    unit earns) nothing is built, and the summary says so."""
    result, text = invoke("run", _builds_case(tmp_path / "six", [10, 20, 30, 40, 50, 60]),
                          "--out", tmp_path / "out")
    assert result.exit_code == 0, text
    assert ("Builds (overnight cost, undiscounted) kind ┃ name ┃ amount ┃ overnight (MUSD) "
            "┃ first use") in text, text
    for i, cost in ((6, "0.600"), (5, "0.500"), (4, "0.400"), (3, "0.300"), (2, "0.200")):
        assert f"unit │ u{i} │ 10 k t/yr │ {cost} │ 2026" in text, text
    builds = text[text.index("Builds ("):text.index("Binding capacities")]
    assert builds.index("u6 │") < builds.index("u5 │") < builds.index("u2 │")
    assert "u1 │" not in builds and builds.endswith("... and 1 more (investments.csv) "), text
    result, text = invoke("run", _builds_case(tmp_path / "none", [150]), "--out",
                          tmp_path / "none_out")
    assert result.exit_code == 0, text
    assert "builds nothing" in text and "Builds (" not in text, text


def test_show_prints_where_a_number_came_from():
    """Provenance of the default case: the Amur cracker's capacity cites source s07."""
    from typer.testing import CliRunner

    from chainopt.cli import app

    res = CliRunner(env={"COLUMNS": "250"}).invoke(
        app, ["show", "ru_eastwest", "--source", "units", "--key", "amur_sc"])
    assert res.exit_code == 0, res.output
    assert "capacity_k_per_yr=2300" in res.output and "s07 S" in res.output
    # a table name is one of a fixed list: a usage error (review cli F3: it was exit 1)
    bad = CliRunner(env={"COLUMNS": "250"}).invoke(app, ["show", "ru_eastwest", "--source",
                                                         "unitz"])
    assert bad.exit_code == 2 and "did you mean 'units'" in " ".join(bad.output.split())


def _column(output: str, index: int) -> str:
    """The text of column ``index`` of the table rows in ``output`` (lines between the
    bars), joined without whitespace: what a reader gets from its folded lines."""
    return "".join("".join(parts[index].split()) for line in output.splitlines()
                   if len(parts := line.split("│")) > index)


def test_show_source_folds_long_values_at_80_columns_and_cuts_nothing(tmp_path):
    """A unit with a life extension (5 years at 777 USD per t/yr, retire_year 2030) and a
    117-character source. At 80 columns show cut its values to
    'life_extension_capex_usd_per…' (rich's default for a cell wider than its column):
    the value was lost. Now the values and the source fold onto further lines; read
    across them they hold every value and the whole source, and nothing ends in '…'."""
    from tests.toycase import write_case

    source = ("capacity from the operator annual report 2024 page 17 table 3; life "
              "extension cost from the vendor quotation of March 2025")
    folder = write_case(tmp_path / "case", {
        **CRUDE_TO_LIGHT,
        "units": "unit,site,process,capacity_k_per_yr,retire_year,life_extension_yr,"
                 f"life_extension_capex_usd_per_unit_yr,source\nu,a,p,10,2030,5,777,{source}"})
    res = CliRunner(env={"COLUMNS": "80"}).invoke(app, ["show", str(folder), "--source",
                                                        "units"])
    assert res.exit_code == 0, res.output
    assert "…" not in res.output
    assert max(len(line) for line in res.output.splitlines()) <= 80
    values = _column(res.output, 1)
    for pair in ("capacity_k_per_yr=10,", "retire_year=2030,", "life_extension_yr=5,",
                 "life_extension_capex_usd_per_unit_yr=777"):
        assert pair in values, res.output
    assert _column(res.output, 2) == "".join(source.split()), res.output


def test_show_source_keys_read_as_written_and_a_key_matching_nothing_is_refused():
    """small_chain's HDPE market in China is tier 1 at 950 USD/t: its key read
    chn/hdpe/1.0 (the loaded tier, a float), and --key zzz printed an empty table with
    exit 0, as if the table had no such rows to show. Now chn/hdpe/1, and zzz (or the old
    1.0 spelling) is exit 1 with the keys there are."""
    from typer.testing import CliRunner

    from chainopt.cli import app

    runner = CliRunner(env={"COLUMNS": "250"})
    res = runner.invoke(app, ["show", "small_chain", "--source", "markets", "--key", "chn/hdpe"])
    assert res.exit_code == 0, res.output
    assert "chn/hdpe/1 " in res.output and "price_usd_per_unit=950" in res.output
    bad = runner.invoke(app, ["show", "small_chain", "--source", "markets", "--key", "zzz"])
    assert bad.exit_code == 1, bad.output
    assert "no row of markets.csv has a key containing 'zzz'" in " ".join(bad.output.split())
    old = runner.invoke(app, ["show", "small_chain", "--source", "markets", "--key",
                              "chn/hdpe/1.0"])
    assert old.exit_code == 1 and "did you mean 'chn/hdpe/1'" in " ".join(old.output.split())


def test_unmet_floors_are_warned_in_single_and_batch_runs(tmp_path: Path) -> None:
    """A soft floor of 20 with 2 to sell: the run warns, names the floor and says what to
    do (explain of the results folder, and of the case with --elastic); a batch run (two
    sources) warned nothing, and one floor read "1 demand floors". The penalty the
    objective pays is stated (it gave no number): 18 k t short x the default 10,000
    USD/t = 180 MUSD in the one-year period p1 of the base year."""
    from tests.toycase import write_case

    tables = {"commodities": "commodity,unit,kind\ncrude,t,raw", "sites": "site\na",
              "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\na,crude,100,2",
              "markets": "site,commodity,price_usd_per_unit,min_k_per_yr\na,crude,150,20"}
    one = write_case(tmp_path / "one", tables, name="one")
    two = write_case(tmp_path / "two", tables, name="two")
    result, text = invoke("run", one, "--out", tmp_path / "out")
    assert result.exit_code == 0, text
    assert ("warning: 1 demand floor not met (crude at a in p1 short by 18 k t/yr; sales.csv"
            in text), text
    # the folder and the source named (review infeas F5: `explain CASE`, and "raise
    # supply or capacity" where any limit may hold them)
    said = " ".join(text.split())
    assert (f"`chainopt explain {tmp_path / 'out' / 'one'}` names what holds them (a supply, "
            f"a capacity, a cap); or set demand_floors: hard and run `chainopt explain {one} "
            "--elastic` for the smallest change that meets them") in said, text
    assert "pays their penalty of 180.0 MUSD (NPV, kpis.csv npv_shortfall_penalty)" in text
    result, text = invoke("run", one, two, "--out", tmp_path / "batch")
    assert result.exit_code == 0, text
    assert text.count("demand floor not met") == 2, text


#: the case of test_a_policy_where_nothing_emits_is_warned: a unit at plant, nothing at
#: depot; policies rows: a price paid at plant, a cap at depot and a CH4 price that change
#: nothing
IDLE_POLICY_CASE = {
    "commodities": "commodity,unit,kind\ncrude,t,raw\nlight,t,product\nheavy,t,product\n"
                   "co2,t,emission\nch4,t,emission",
    "sites": "site\nplant\ndepot",
    "modes": "mode,process,variable_cost_usd_per_unit\nrun,cdu,10",
    "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,crude,in,1\n"
                  "run,light,out,0.6\nrun,heavy,out,0.3\nrun,co2,out,0.5",
    "units": "unit,site,process,capacity_k_per_yr\ncdu1,plant,cdu,8",
    "supplies": "site,commodity,cost_usd_per_unit\nplant,crude,100",
    "markets": "site,commodity,price_usd_per_unit\nplant,light,300\nplant,heavy,200",
    "policies": "commodity,site,carbon_price_usd_per_unit,cap_k_per_yr\nco2,plant,40,\n"
                "co2,depot,,1\nch4,,30,"}


def test_a_policy_where_nothing_emits_is_warned(tmp_path: Path) -> None:
    """One unit at plant: 1 t crude (100 USD/t) -> 0.6 t light (300) + 0.3 t heavy (200),
    10 USD/t to run, 0.5 t CO2 per t crude, capacity 8 kt/yr; a second site, depot, where
    nothing runs. Margin 130 USD/t, or 130 - 0.5 x 40 = 110 with the plant's carbon price
    of 40: it runs at 8 kt/yr, objective 8 x 110 / 1000 = 0.88 MUSD, emitting 4 kt/yr
    (within a chain-wide cap of 100, which bounds the plant's emission: no warning).
    The cap of 1 kt/yr of CO2 was written at depot (meant for plant, where it would
    allow 2 kt/yr of crude), and a chain-wide price of 30 on CH4, which nothing emits:
    both change nothing (still 0.88, 4 kt/yr) and the run said nothing. Now it warns of
    each, naming the row, the site and what to check; in a batch run too."""
    from tests.toycase import write_case

    tables = {**IDLE_POLICY_CASE,
              "policies": IDLE_POLICY_CASE["policies"] + "\nco2,,,100"}
    case = write_case(tmp_path / "one", tables, name="one")
    result, text = invoke("run", case, "--out", tmp_path / "out")
    assert result.exit_code == 0, text
    assert "objective (NPV) 0.880 MUSD" in text
    ch4 = ("warning: policies.csv row ch4 (chain-wide: site blank): its carbon price on ch4 "
           "prices nothing, as no unit's mode nor link anywhere in the chain emits ch4; "
           "check the row's site and commodity (the site or emission meant), or remove the "
           "row")
    co2 = ("warning: policies.csv row co2/depot: its cap on co2 bounds nothing, as no "
           "unit's mode nor link at site depot emits co2;")
    assert ch4 in text and co2 in text and text.index(ch4) < text.index(co2), text
    assert "co2/plant" not in text  # its price is paid: 0.5 x 40 per t crude
    assert "co2 (chain-wide" not in text  # a chain-wide cap of 100 over plant's 4 kt/yr
    manifest = json.loads((tmp_path / "out" / "one" / "manifest.json").read_text())
    assert manifest["objective"] == pytest.approx(0.88)
    assert len(manifest["warnings"]) == 2
    em = pd.read_csv(tmp_path / "out" / "one" / "emissions.csv")
    assert em["emission_k_per_yr"].sum() == pytest.approx(4.0)
    two = write_case(tmp_path / "two", tables, name="two")
    result, text = invoke("run", case, two, "--out", tmp_path / "batch")
    assert result.exit_code == 0, text
    assert text.count("bounds nothing") == 2 and text.count("prices nothing") == 2, text


def test_a_small_objective_is_printed_as_explain_says_it(tmp_path: Path) -> None:
    """5 kt/yr of crude bought at 100 USD/t and sold at 290: 5 x 190 / 1000 = 0.95 MUSD
    (one 1-year period, rate 0). The terminal wrote objectives with one decimal, "0.9"
    or "1.0" MUSD, where explain says 0.95: now as every report writes it, three
    decimals below 10 (0.950; one decimal as before for a large objective: 157,770.8)
    wherever the terminal gives an objective: a run, each run of a batch, and a sweep's
    summary table (a grid of one point, x1: its range's min and max both 0.950)."""
    from tests.toycase import write_case

    tables = {"commodities": "commodity,unit,kind\ncrude,t,raw", "sites": "site\na",
              "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\na,crude,100,5",
              "markets": "site,commodity,price_usd_per_unit\na,crude,290"}
    one = write_case(tmp_path / "one", tables, name="one")
    two = write_case(tmp_path / "two", tables, name="two")
    result, text = invoke("run", one, "--out", tmp_path / "out")
    assert result.exit_code == 0, text
    assert "one: optimal, objective (NPV) 0.950 MUSD" in text
    result, text = invoke("run", one, two, "--out", tmp_path / "batch")
    assert result.exit_code == 0, text
    assert "one: objective 0.950 MUSD" in text and "two: objective 0.950 MUSD" in text
    result, text = invoke("sweep", one, "--set", "markets.price_usd_per_unit*=1", "--out",
                          tmp_path / "sweep", "--jobs", "1")
    assert result.exit_code == 0, text
    assert "objective_musd │ 0.950 │ 0.950" in text and "p50" not in text


def test_small_quantities_in_the_run_summary_keep_four_significant_digits(
        tmp_path: Path) -> None:
    """Rardin's Two Crude refinery, ported (tests/examples/test_textbook_ports.py): 2 k bbl
    of Saudi crude (0.3 gasoline, 0.4 jet fuel, 0.2 lubricants) and 3.5 of Venezuelan
    (0.4, 0.2, 0.3) make 0.6 + 1.4 = 2 gasoline, 0.8 + 0.7 = 1.5 jet fuel and 0.4 + 1.05 =
    1.45 lubricants. The summary's product table wrote whole numbers, "jet_fuel │ 2",
    "lubricants │ 1", a plan the book does not have; now four significant digits, as an
    objective has (2, 1.5, 1.45), whole from 1,000 as before (small_chain's table)."""
    from tests.examples.test_textbook_ports import two_crude_case

    result, text = invoke("run", two_crude_case(tmp_path / "case"), "--out", tmp_path / "out")
    assert result.exit_code == 0, text
    for product, made in (("gasoline", "2"), ("jet_fuel", "1.5"), ("lubricants", "1.45")):
        assert f"{product} │ {made} " in text, text


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_policy_where_nothing_emits_is_warned_once_by_compare_and_sweep(
        tmp_path: Path, jobs: str) -> None:
    """The case of test_a_policy_where_nothing_emits_is_warned (objective 8 x 110 / 1000 =
    0.88 MUSD; at twice the prices 8 x (0.6 x 600 + 0.3 x 400 - 100 - 10 - 0.5 x 40) /
    1000 = 2.8) with its two policies rows that change nothing. `run` and `run A B`
    warned of each; `sweep` said nothing (each variant is solved without a manifest).
    Now a sweep warns of each once for its base, not once per variant, in one process
    or several; `compare` of two runs warns of each once per run, and again when it
    reuses their results."""
    from tests.toycase import write_case

    tables = IDLE_POLICY_CASE
    one = write_case(tmp_path / "one", tables, name="one")
    two = write_case(tmp_path / "two", tables, name="two")
    result, text = invoke("sweep", one, "--set", "markets.price_usd_per_unit*=1,2", "--out",
                          tmp_path, "--jobs", jobs)
    assert result.exit_code == 0, text
    kpis = pd.read_csv(tmp_path / "sweep-one" / "kpis.csv")
    assert list(kpis["objective_musd"]) == pytest.approx([0.88, 2.8])
    assert text.count("warning: the base: policies.csv row ch4 (chain-wide: site blank): "
                      "its carbon price on ch4 prices nothing") == 1, text
    assert text.count("warning: the base: policies.csv row co2/depot: its cap on co2 "
                      "bounds nothing") == 1, text
    for _ in ("solved", "reused"):
        result, text = invoke("compare", one, two, "--out", tmp_path / "cmp", "--jobs", jobs,
                              "--overwrite")
        assert result.exit_code == 0, text
        assert text.count("prices nothing") == 2 and text.count("bounds nothing") == 2, text


def test_a_badly_scaled_case_is_warned_by_run(tmp_path: Path) -> None:
    """A crude unit yielding 0.6 t light and 5e-9 t tar per t crude: the matrix holds 1
    (crude in, capacity use) down to 5e-9, a ratio of 1 / 5e-9 = 2e8, above the 1e8 that
    explain warns of; run said nothing of it (only `chainopt explain` or `export --ranges`
    did). Now run warns too, naming the inputs to rescale."""
    from tests.toycase import badly_scaled_case

    case = badly_scaled_case(tmp_path / "tar")
    result, text = invoke("run", case, "--out", tmp_path / "out")
    assert result.exit_code == 0, text
    assert ("warning: matrix coefficients span a ratio of 2e+08 (> 1e8): rescale "
            "mode_flows.csv amount_per_unit") in text, text
    result, text = invoke("run", "small_chain", "--out", tmp_path / "small")
    assert result.exit_code == 0 and "span a ratio" not in text, text


def test_one_floor_short_in_two_periods_is_one_floor(tmp_path: Path) -> None:
    """A soft floor of 20 on crude at a with 2 to sell, in both periods p1 and p2, and one
    of 5 on lpg at a with none: two floors, short by 18 and 18, and 5 and 5. The run said
    "4 demand floors not met (crude at a in p1 short by 18 k t/yr, and 3 more", counting
    a floor once per period; now "2 demand floors not met (crude at a in p1 short by 18
    k t/yr, also in p2, and 1 more floor"; explain's note likewise."""
    from tests.toycase import write_case

    case = write_case(tmp_path / "two", {
        "commodities": "commodity,unit,kind\ncrude,t,raw\nlpg,t,raw", "sites": "site\na",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\na,crude,100,2",
        "markets": "site,commodity,price_usd_per_unit,min_k_per_yr\na,crude,150,20\n"
                   "a,lpg,300,5"},
        name="two", periods=[{"period": "p1", "start_year": 2026, "length_yr": 1},
                             {"period": "p2", "start_year": 2027, "length_yr": 1}])
    result, text = invoke("run", case, "--out", tmp_path / "out")
    assert result.exit_code == 0, text
    assert ("warning: 2 demand floors not met (crude at a in p1 short by 18 k t/yr, also in "
            "p2, and 1 more floor; sales.csv") in text, text
    result, text = invoke("explain", tmp_path / "out" / "two")
    assert ("Note: demand floors are not met (crude at a in p1 short by 18 k t/yr, also in "
            "p2, and 1 more floor; sales table") in text, text


def test_text_is_printed_as_given_not_as_emoji(tmp_path: Path) -> None:
    """A path or cell holding an emoji code (``:fire:``) is printed as it is: rich would
    otherwise print a flame in its place."""
    folder = tmp_path / "case:fire:"
    folder.mkdir()
    result, text = invoke("validate", folder)
    assert result.exit_code == 1
    assert "case:fire:" in text and "\N{FIRE}" not in text


def _stopped_at_time_limit(monkeypatch) -> None:
    """``api.solve`` as if HiGHS stopped every MIP at a 0.5 s time limit with its plan
    0.05 % from the best possible: status ``feasible``, gap 0.0005, as
    ``run scenarios/ru_all_projects.yaml --time-limit 0.5`` gives (HiGHS's own status
    'Time limit reached'); the plan itself as solved."""
    from chainopt import api

    real = api.solve

    def stopped(built, options=None):
        out = real(built, options)
        out.status, out.mip_gap = "feasible", 0.0005
        out.options["time_limit_s"] = 0.5
        out.info["model_status"] = "Time limit reached"
        return out

    monkeypatch.setattr(api, "solve", stopped)


def test_a_run_stopped_at_its_time_limit_warns_and_exits_0(tmp_path: Path,
                                                             monkeypatch) -> None:
    """A run stopped at its 0.5 s time limit with a plan 0.05 % (gap 0.0005) from the
    best possible: exit 0 (a usable plan, written), as before, but now a warning line
    says so (only the word 'feasible' in the status line did): at its time limit (0.5 s),
    within 0.05 %, not proven optimal, raise --time-limit. A batch (`run A B --jobs 1`)
    prints it once per run, naming the run (`warning: one: the solver stopped ...`), and
    `compare` once per run on the terminal and in its comparison.md and warnings.csv;
    the single run's HTML report shows it."""
    from tests.toycase import write_case

    _stopped_at_time_limit(monkeypatch)
    tables = IDLE_POLICY_CASE
    one = write_case(tmp_path / "one", tables, name="one")
    two = write_case(tmp_path / "two", tables, name="two")
    said = ("warning: the solver stopped at its time limit (0.5 s) with a plan within "
            "0.05% of the best possible (MIP gap): not proven optimal")
    result, text = invoke("run", one, "--out", tmp_path / "out")
    assert result.exit_code == 0, text
    assert said in text and "raise --time-limit" in text, text
    for args in (("run", one, two, "--out", tmp_path / "batch"),
                 ("compare", one, two, "--out", tmp_path / "cmp")):
        result, text = invoke(*args, "--jobs", "1")
        assert result.exit_code == 0, text
        for run_name in ("one", "two"):
            assert text.count(said.replace("warning: ", f"warning: {run_name}: ")) == 1, text
    folder = tmp_path / "cmp" / "compare-one-vs-two"
    md = " ".join((folder / "comparison.md").read_text().split())
    assert md.count("stopped at its time limit (0.5 s)") == 2, md
    warned = pd.read_csv(folder / "warnings.csv")
    assert warned["warning"].str.contains("stopped at its time limit").sum() == 2
    result, text = invoke("report", tmp_path / "out" / "one")
    assert result.exit_code == 0, text
    page = next((tmp_path / "out" / "one").glob("*.html")).read_text()
    assert "stopped at its time limit (0.5 s)" in page
