"""chainopt compare / run with several scenarios / show: CLI, reuse, parallel = serial."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from chainopt import api
from chainopt.cli import app
from chainopt.errors import InputError, Problem

SCEN = Path(__file__).resolve().parents[1] / "scenarios"
runner = CliRunner()


def test_compare_writes_tables_and_reuses_results(tmp_path, port_compared, monkeypatch):
    args = ["compare", "small_chain", str(SCEN / "small_port_expansion.yaml"), "--out",
            str(tmp_path), "--name", "port", "--jobs", "1"]
    # runner.invoke(app, args) into tmp_path: port_compared ran it (exit 0), into a
    # folder copied here
    solved, output = port_compared
    shutil.copytree(solved, tmp_path, dirs_exist_ok=True)
    folder = tmp_path / "compare-port"
    for f in ("objective.csv", "economics.csv", "project_cashflows.csv", "comparison.md"):
        assert (folder / f).is_file(), f
    assert "Economics of each effect" in output
    m1 = json.loads((tmp_path / "small_port_expansion" / "manifest.json").read_text())
    econ1 = pd.read_csv(folder / "economics.csv")
    res = runner.invoke(app, args)  # the comparison exists: replaced only with --overwrite
    assert res.exit_code == 1 and "--overwrite" in res.output, res.output
    assert "running" not in res.output, res.output  # no progress bar of runs never started
    res = runner.invoke(app, [*args, "--overwrite"])  # same inputs: results are reused,
    assert res.exit_code == 0, res.output  # not solved again
    assert "reused" in res.output
    # reused results (read back from CSV at 10 significant digits) give the same numbers
    pd.testing.assert_frame_equal(pd.read_csv(folder / "economics.csv"), econ1, rtol=1e-7)
    m2 = json.loads((tmp_path / "small_port_expansion" / "manifest.json").read_text())
    assert m1["created_utc"] == m2["created_utc"]
    # the comparison folder given as a source (it was "no case.yaml in this folder"):
    # named as such, with the sources it compares, as the results folders beside it
    # record them, the base first, as typed in the project root (the embedded case by
    # its name: it read chainopt/data/small_chain, its folder relative to the root)
    monkeypatch.chdir(SCEN.parent)
    res = runner.invoke(app, ["run", str(folder)], env={"COLUMNS": "2000"})
    assert res.exit_code == 1, res.output
    assert (f"{folder}: a comparison folder (written by chainopt compare), not a case or "
            "scenario; give one of the sources it compares, small_chain or "
            "scenarios/small_port_expansion.yaml (the results folders beside it, "
            "manifest.json, key source)") in " ".join(res.output.split()), res.output
    res = runner.invoke(app, ["run", str(tmp_path / "small_chain")], env={"COLUMNS": "2000"})
    assert res.exit_code == 1, res.output
    assert ("not a case or scenario; give the source it was run from, small_chain (its "
            "manifest.json, key source)") in " ".join(res.output.split()), res.output


def test_run_several_one_failing(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("base: small_chain\nchanges:\n  - table: markets\n    where: {commodity: "
                   "hdpx}\n    set: {price_usd_per_unit: 1}\n")
    res = runner.invoke(app, ["run", str(SCEN / "small_high_prices.yaml"), str(bad),
                              str(SCEN / "small_port_expansion.yaml"), "--out", str(tmp_path),
                              "--jobs", "2"])
    assert res.exit_code == 1, res.output
    text = " ".join(res.output.split())
    assert "matches no row of markets.csv" in text and "'hdpe'" in text
    assert (tmp_path / "small_high_prices" / "manifest.json").is_file()
    assert (tmp_path / "small_port_expansion" / "manifest.json").is_file()
    assert not (tmp_path / "bad").exists()


def test_parallel_equals_serial(tmp_path):
    src = ["small_chain", str(SCEN / "small_port_expansion.yaml"),
           str(SCEN / "small_chained.yaml")]
    par = api.run_many(src, out=tmp_path / "a", jobs=2)
    ser = api.run_many(src, out=tmp_path / "b", jobs=1)
    for p, s in zip(par, ser, strict=True):
        assert p.ok and s.ok
        assert p.results.objective == pytest.approx(s.results.objective, rel=1e-12)
        assert p.results["kpis"]["value"].to_numpy() == pytest.approx(
            s.results["kpis"]["value"].to_numpy(), rel=1e-12)


def test_show_and_validate_scenario():
    res = runner.invoke(app, ["show", str(SCEN / "small_chained.yaml")])
    assert res.exit_code == 0, res.output
    assert "small_high_prices" in res.output and "far_east_port" in res.output
    assert "forced p2031" in res.output
    assert "added" in res.output and "removed" in res.output
    res = runner.invoke(app, ["validate", str(SCEN / "small_high_prices.yaml")])
    assert res.exit_code == 0, res.output
    assert "scenario chain" in res.output


def test_compare_of_a_chain_without_units_links_or_emissions(tmp_path):
    """Crude bought at 100 (then 150 in the scenario) and sold at 200, 50 k t a year, one
    year, no discounting: NPV 0.05 x 100 = 5 against 0.05 x 50 = 2.5 MUSD, the supply
    cost 50,000 x 100 = 5 against 7.5 MUSD. Tables with no rows (flows, emissions,
    production) used to crash the comparison."""
    from tests.toycase import write_case

    case = write_case(tmp_path / "case", {
        "commodities": "commodity,unit,kind\ncrude,t,raw",
        "sites": "site\na",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\na,crude,100,50",
        "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\na,crude,200,100"})
    dear = tmp_path / "dear.yaml"
    dear.write_text(f"name: dear\nbase: {case}\nchanges:\n  - table: supplies\n"
                    "    set: {cost_usd_per_unit: 150}\n")
    res = runner.invoke(app, ["compare", str(case), str(dear), "--out", str(tmp_path),
                              "--name", "c", "--jobs", "1"])
    assert res.exit_code == 0, res.output
    obj = pd.read_csv(tmp_path / "compare-c" / "objective.csv").set_index("kpi (MUSD, NPV)")
    assert obj.loc["objective", ["toy", "dear", "Δ dear"]].tolist() == [5.0, 2.5, -2.5]
    assert obj.loc["npv_supply", ["toy", "dear"]].tolist() == [-5.0, -7.5]
    assert pd.read_csv(tmp_path / "compare-c" / "emissions.csv").empty


def _min_build_case(folder: Path) -> Path:
    """One plant that may build 30 to 50 kt/yr of capacity (a minimum build size, so a
    binary build decision), crude limited to 15 kt/yr, one 10-year period, rate 0."""
    from tests.toycase import write_case

    cols = ("unit,site,process,capacity_k_per_yr,capex_usd_per_unit_yr,max_new_k_per_yr,"
            "min_new_k_per_yr,lifetime_yr")
    return write_case(folder, {
        "commodities": "commodity,unit,kind\ncrude,t,raw\nlight,t,product",
        "sites": "site\nplant",
        "modes": "mode,process,variable_cost_usd_per_unit\nrun,cdu,10",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,crude,in,1\n"
                      "run,light,out,0.9",
        "units": f"{cols}\nu1,plant,cdu,0,1000,50,30,10",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\nplant,crude,100,15",
        "markets": "site,commodity,price_usd_per_unit\nplant,light,267"},
        periods=[{"period": "p1", "start_year": 2026, "length_yr": 10}])


def test_compare_reuses_only_what_a_run_now_would_give(tmp_path):
    """Margin per t of crude: 0.9 x 267 - 100 - 10 = 130.3 USD, 1,303 USD per t/yr of
    capacity over the 10 years, against a capex of 1,000 USD per t/yr (rate 0, life 10:
    paid in full). The plan (MIP): a build is at least 30 kt/yr of which only 15 can be
    fed: 15 x 1,303 - 30 x 1,000 < 0, so nothing is built, objective 0. Its LP relaxation
    (``--relax``) builds 15 kt/yr with half a build decision: 15 x (1,303 - 1,000) =
    4,545 kUSD = 4.545 MUSD. The scenario ``dear`` (crude 101) builds nothing either: 0.

    compare reused ``toy``'s relaxed folder (same input hash) and showed a base of 4.545
    and a Δ of -4.545 MUSD for a scenario that changes nothing in the plan (Δ 0). Results
    made with other solver options, or by another chainopt version, are solved again."""
    _min_build_case(tmp_path / "toy")
    (tmp_path / "dear.yaml").write_text(
        "name: dear\nbase: toy\nchanges:\n  - table: supplies\n    where: {commodity: "
        "crude}\n    set: {cost_usd_per_unit: 101}\n")
    out = tmp_path / "res"
    done = runner.invoke(app, ["run", str(tmp_path / "toy"), "--out", str(out), "--relax"])
    assert done.exit_code == 0, done.output
    assert json.loads((out / "toy" / "manifest.json").read_text())["objective"] == \
        pytest.approx(4.545, abs=1e-9)
    args = ["compare", str(tmp_path / "toy"), str(tmp_path / "dear.yaml"), "--out", str(out),
            "--jobs", "1"]
    sections, outcomes, _ = api.compare(args[1:3], out=out, jobs=1, save=False)
    toy = outcomes[0]
    assert toy.status == "solved" and toy.results.objective == pytest.approx(0, abs=1e-9)
    assert "other solver options: relax True (now False)" in toy.note
    assert "not replaced" in toy.note  # the relaxed folder is kept without --overwrite
    obj = sections["objective"]
    assert obj[obj.columns[-1]].abs().max() == pytest.approx(0, abs=1e-9)  # Δ: 0
    done = runner.invoke(app, [*args, "--overwrite"])  # replaces the relaxed folder
    assert done.exit_code == 0, done.output
    mf = out / "dear" / "manifest.json"
    m = json.loads(mf.read_text())
    m["versions"]["chainopt"] = "0.0.1"  # as if written by an older chainopt
    mf.write_text(json.dumps(m))
    sections, outcomes, _ = api.compare(args[1:3], out=out, jobs=1, save=False)
    assert [o.status for o in outcomes] == ["reused", "solved"]
    assert "was written by chainopt 0.0.1" in outcomes[1].note


def test_compare_refuses_relax_before_solving(tmp_path):
    """``api.compare(..., options=SolveOptions(relax=True))`` valued projects on LP
    relaxations without saying so: small_port_expansion's far_east_port (a 25 MUSD port,
    NPV +12.3 MUSD as the case states it) came out at +30.3 MUSD for a capex of 2.6 MUSD
    — about a tenth of the port, built by a fractional build decision — in the terminal,
    comparison.md and economics.csv alike. compare now refuses relax as sweeps and
    sensitivity do (exit 1), before any run is solved or written."""
    from chainopt.errors import InputError
    from chainopt.solve import SolveOptions

    out = tmp_path / "res"
    with pytest.raises(InputError, match="relax") as exc:
        api.compare(["small_chain", str(SCEN / "small_port_expansion.yaml")], out=out, jobs=1,
                    options=SolveOptions(relax=True))
    assert "integer decisions included" in str(exc.value)
    assert not out.exists()


def test_a_cost_comparison_summary_says_total_cost(tmp_path):
    """A cost case: hard demand of 50 kt/yr of crude bought at 100 USD/t (then 150 in the
    scenario), one year, rate 0: total cost 50 x 100 / 1000 = 5 against 7.5 MUSD, Δ
    +2.5 (dearer). The summary's title said 'objective and Δ ... in MUSD, NPV', as for
    a profit case, and each run's line 'solved dear: objective 7.5 MUSD'; they now say
    total cost."""
    from tests.toycase import write_case

    case = write_case(tmp_path / "case", {
        "commodities": "commodity,unit,kind\ncrude,t,raw",
        "sites": "site\na",
        "supplies": "site,commodity,cost_usd_per_unit\na,crude,100",
        "demand": "site,commodity,amount_k_per_yr\na,crude,50"}, objective="cost")
    dear = tmp_path / "dear.yaml"
    dear.write_text(f"name: dear\nbase: {case}\nchanges:\n  - table: supplies\n"
                    "    set: {cost_usd_per_unit: 150}\n")
    res = runner.invoke(app, ["compare", str(case), str(dear), "--out", str(tmp_path),
                              "--name", "c", "--jobs", "1"], terminal_width=200)
    assert res.exit_code == 0, res.output
    obj = pd.read_csv(tmp_path / "compare-c" / "objective.csv").set_index("kpi (MUSD, NPV)")
    assert obj.loc["objective", ["toy", "dear", "Δ dear"]].tolist() == [5.0, 7.5, 2.5]
    text = " ".join(res.output.split())
    assert "Summary (total cost and Δ against the base in MUSD, NPV of costs" in text
    assert "objective and Δ" not in text
    assert "solved dear: total cost 7.500 MUSD" in text  # each run's line too


def test_a_project_without_which_the_scenario_is_infeasible_is_named(tmp_path):
    """Base: a hard demand of 10 kt/yr of light at a, met by 10 kt/yr of imports at 100
    USD/t; project p (off) would run a unit making light from crude. Scenario big: demand
    20 and p optional; it solves (p makes the other 10). p's value is big against big
    without p, where 20 must come from 10 of imports: infeasible. compare said 'scenario
    big ... is infeasible ... Run chainopt explain big.yaml', of a scenario that solves;
    it now names p as what big needs for a plan at all (exit 3, nothing written: with big
    left out, only the base remains)."""
    from tests.toycase import write_case

    case = write_case(tmp_path / "case", {
        "commodities": "commodity,unit,kind\ncrude,t,raw\nlight,t,product",
        "sites": "site\na",
        "modes": "mode,process\nrun,cdu",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,crude,in,1\n"
                      "run,light,out,1",
        "projects": "project,capex_musd,state\np,1,off",
        "units": "unit,site,process,capacity_k_per_yr,project\nu1,a,cdu,20,p",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\na,crude,50,\n"
                    "a,light,100,10",
        "demand": "site,commodity,amount_k_per_yr\na,light,10"}, objective="cost")
    big = tmp_path / "big.yaml"
    big.write_text(f"name: big\nbase: {case}\nchanges:\n  - table: demand\n"
                   "    set: {amount_k_per_yr: 20}\n  - table: projects\n"
                   "    set: {state: optional}\n")
    res = runner.invoke(app, ["compare", str(case), str(big), "--out", str(tmp_path),
                              "--name", "c", "--jobs", "1"], terminal_width=200)
    text = " ".join(res.output.split())
    assert res.exit_code == 3, res.output
    assert "valuing p in big: big without p is infeasible" in text
    assert "Run `chainopt explain" not in text
    assert not (tmp_path / "compare-c").exists()


def test_compare_deltas_by_hand_and_a_period_one_run_lacks(tmp_path):
    """Three tiny runs (tests/report/test_sensitivity_drivers.py: pj, 100 kt/yr of b
    from a, 10 MUSD, forced; r = 10 %, cash flows at the start of each year):

    * ca: one year 2026, b at 300 USD/t: revenue 30, supply -10, capex -10, objective
      10; cashflow_net p1 10.
    * cb: as ca with 0.5 t CO2 per t at 10 USD/t and b at 310.7: revenue 31.07, carbon
      -0.5 (50 kt x 10 / 1000), objective 10.57. ca has no npv_carbon (no carbon term):
      0 there, and Δ cb = 31.07 - 30 - 0.5 = 0.57, the Δ of the parts adding to it.
    * cc: two years (p2 = 2027, d = 1/1.1) and pj living both: capex annuity A with
      A (1 + 1/1.1) = 10, so 5.238 a year; cash flow 20 - 5.238 = 14.762 each year,
      objective 20 x 21/11 - 10 = 28.182, Δ 18.182.

    Every Δ is the run's kpis.csv value minus ca's. ca and cb have no period p2: their
    cash flow and production there were shown as 0 (Δ cc 14.762 and 100 against a year
    they never model); now blank, and so is the Δ."""
    from tests.report.test_sensitivity_drivers import CO2, TWO_YEARS, tiny

    def named(folder, name):
        (folder / "case.yaml").write_text((folder / "case.yaml").read_text()
                                          .replace("name: toy", f"name: {name}"))
        return str(folder)

    ca = named(tiny(tmp_path / "ca"), "ca")
    cb = named(tiny(tmp_path / "cb", policies="commodity,site,carbon_price_usd_per_unit\n"
                    "co2,,10", markets="site,commodity,price_usd_per_unit,max_k_per_yr\n"
                    "s,b,310.7,1000", **CO2), "cb")
    cc = named(tiny(tmp_path / "cc", periods=TWO_YEARS,
                    projects="project,capex_musd,earliest_period,lifetime_yr,all_or_nothing,"
                             "state,forced_period\npj,10,p1,2,true,forced,p1",
                    units="unit,site,process,capacity_k_per_yr,lifetime_yr,project\n"
                          "u,s,p,100,2,pj"), "cc")
    sections, _, _ = api.compare([ca, cb, cc], out=tmp_path / "out", jobs=1)
    obj = sections["objective"].set_index("kpi (MUSD, NPV)")
    a = 10 / (1 + 1 / 1.1)
    assert obj.loc["objective", ["ca", "cb", "cc", "Δ cb", "Δ cc"]].tolist() == pytest.approx(
        [10.0, 10.57, 20 * 21 / 11 - 10, 0.57, 20 * 21 / 11 - 20], abs=1e-9)
    assert obj.loc["npv_carbon", ["ca", "cb", "cc", "Δ cb", "Δ cc"]].tolist() == pytest.approx(
        [0.0, -0.5, 0.0, -0.5, 0.0], abs=1e-9)
    assert obj.loc["npv_revenue", "Δ cb"] == pytest.approx(1.07, abs=1e-9)
    for n in ("cb", "cc"):  # every Δ is B - A of the two runs' kpis.csv
        k = {name: pd.read_csv(tmp_path / "out" / name / "kpis.csv").fillna({"period": ""})
             for name in ("ca", n)}
        for kpi, row in obj.iterrows():
            want = [float(k[m].loc[(k[m]["kpi"] == kpi) & (k[m]["period"] == ""),
                                   "value"].sum()) for m in ("ca", n)]
            # (kpis.csv holds 10 significant digits)
            assert row[f"Δ {n}"] == pytest.approx(want[1] - want[0], rel=1e-9, abs=1e-9), \
                (n, kpi)
    cf = sections["cashflow"].set_index("period")
    assert cf.loc["p1", ["ca", "cc", "Δ cc"]].tolist() == pytest.approx(
        [10.0, 20 - a, 10 - a], abs=1e-9)
    assert cf.loc["p2", "cc"] == pytest.approx(20 - a, abs=1e-9)
    assert cf.loc["p2", ["ca", "cb", "Δ cb", "Δ cc"]].isna().all()
    prod = sections["production"].set_index(["product", "period"])
    assert prod.loc[("b", "p2"), "cc"] == pytest.approx(100.0)
    assert prod.loc[("b", "p2"), ["ca", "Δ cc"]].isna().all()
    assert prod.loc[("b", "p1"), "Δ cc"] == 0.0


def test_reused_results_are_valued_from_the_source_compared(tmp_path):
    """A scenario file moved (a/port.yaml copied to b/port.yaml) and the old copy edited
    afterwards (all market prices halved): compare of b/port.yaml reuses the results
    folder small_port_expansion (it hashes to b's inputs), but valued the port against
    'the scenario without the port' loaded from the path the folder recorded, a/port.yaml,
    whose inputs are others. The port's incremental NPV is the difference of two plans
    of the same inputs, so it must be the first compare's; it now is (the reused run's
    source is the one compared), and a recorded source that no longer holds the run's
    inputs is refused (exit 6) rather than valued against."""
    from chainopt.errors import InputsChangedError
    from chainopt.results import Results

    port = (Path(__file__).parents[1] / "scenarios" / "small_port_expansion.yaml").read_text()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "port.yaml").write_text(port)
    out = tmp_path / "out"

    def npv(sections) -> float:
        e = sections["economics"]
        return float(e.loc[e["effect"] == "far_east_port", "incremental NPV (MUSD)"].iloc[0])

    first, _, _ = api.compare(["small_chain", str(tmp_path / "a" / "port.yaml")], out=out,
                              jobs=1)
    (tmp_path / "b" / "port.yaml").write_text(port)
    (tmp_path / "a" / "port.yaml").write_text(
        port + "  - table: markets\n    scale: {price_usd_per_unit: 0.5}\n")
    again, outcomes, _ = api.compare(["small_chain", str(tmp_path / "b" / "port.yaml")],
                                     out=out, jobs=1, overwrite=True)
    assert [o.status for o in outcomes] == ["reused", "reused"]
    assert npv(again) == pytest.approx(npv(first), rel=1e-9)
    runs = {n: Results.load(out / n) for n in ("small_chain", "small_port_expansion")}
    with pytest.raises(InputsChangedError, match="no longer holds the inputs"):
        api.counterfactuals(runs)  # its manifest still names a/port.yaml


def test_compare_values_projects_against_the_case_each_run_was_made_from(tmp_path,
                                                                        monkeypatch):
    """compare's counterfactuals start from the case each run was solved from (in a
    worker process: --jobs 2) or reused from (in this one), not from the run's recorded
    source loaded again: a full read and validation, 0.2-0.4 s a scenario on the default
    case. The port's value is the same both times."""
    def loaded_again(*_args, **_kwargs):
        raise AssertionError("the scenario was loaded again")

    monkeypatch.setattr(api, "_recorded_case", loaded_again)
    port = str(Path(__file__).parents[1] / "scenarios" / "small_port_expansion.yaml")
    values = []
    for jobs, status in ((2, "solved"), (1, "reused")):
        sections, outcomes, _ = api.compare(["small_chain", port], out=tmp_path, jobs=jobs,
                                            overwrite=True)
        assert [o.status for o in outcomes] == [status, status]
        e = sections["economics"]
        values.append(float(e.loc[e["effect"] == "far_east_port",
                                  "incremental NPV (MUSD)"].iloc[0]))
    assert values[0] == pytest.approx(values[1], rel=1e-9)
    assert values[0] != 0


#: the terminal's sections of ``compare small_chain small_port_expansion --detail all`` in
#: the order printed, each with numbers read from the comparison's CSV files and written as
#: the terminal writes a number (1 decimal from 10, 3 below, IRR as a percentage)
_WHOLE = [
    ("Summary (", ["7,784.9", "7,797.2", "12.3"]),  # objective.csv: 7784.939871, ...
    ("Economics of each effect", ["12.3", "25.0", "23.8%", "4.020", "payback"]),
    ("Each project's parties", ["1.000", "12.3", "23.8%", "4.020", "payback"]),
    ("Objective (NPV, MUSD)", ["-45.1", "-65.3", "-20.2", "-1,405.2", "39,743.3",
                               "-23,260.5"]),
    ("Incremental cash flows", ["6.219", "-25.0", "-18.8", "-12.6", "-6.343", "-0.124",
                                "6.095", "2.519", "8.613"]),
    ("Each project's parties", ["10.0%", "23.8%", "4.020", "-18.8", "payback"]),
    ("Each party's yearly flows", ["6.219", "-25.0", "-18.8", "2.519"]),
]


@pytest.fixture(scope="module")
def port_compared(tmp_path_factory) -> tuple[Path, str]:
    """``compare small_chain small_port_expansion --name port`` once: its --out folder
    (both runs and compare-port) and its terminal output."""
    out = tmp_path_factory.mktemp("port")
    res = runner.invoke(app, ["compare", "small_chain", str(SCEN / "small_port_expansion.yaml"),
                              "--out", str(out), "--name", "port", "--jobs", "1"])
    assert res.exit_code == 0, res.output
    return out, res.output


@pytest.fixture(scope="module")
def port_runs(port_compared) -> Path:
    """small_chain and small_port_expansion solved once, for comparisons that reuse them."""
    return port_compared[0]


@pytest.mark.parametrize("columns", ["80", "120"])
def test_numbers_in_the_terminal_tables_are_never_broken(port_runs, columns):
    """small_chain against small_port_expansion (the 25 MUSD far_east_port), every table
    (--detail all). At 80 and at 120 columns rich broke numbers across lines: peak funding
    -18.78108376 (party_economics.csv) as '-18.' over '8', IRR 0.2380271001 as '23.8' over
    '%', cumulative -12.56216752 (project_cashflows.csv) as '-12' over '.6', and headers
    mid-word ('payba' / 'ck'). Now each number of the tables, read from the CSV files
    (economics.csv: NPV 12.28273721, overnight capex 25, IRR 0.2380271001, payback
    4.019993041; objective.csv: npv_fixed_om -1405.246294, npv_revenue 39743.25355,
    npv_supply -23260.50499, npv_capex -45.10329469 / -65.2744746, Δ -20.17117991;
    project_cashflows.csv: operating 6.218916238, net -18.78108376 in 2026, cumulative
    -12.56216752, -6.343251279, -0.124335041, 6.094581197, 8.613...; party_economics.csv:
    share 1, discount rate 0.1), is whole on one line of its section, between the
    column bars; a table too wide for that (project_cashflows at 80 columns) is printed
    stacked, a line per column, and nothing is cut to '…'."""
    import re

    res = CliRunner(env={"COLUMNS": columns}).invoke(app, [
        "compare", "small_chain", str(SCEN / "small_port_expansion.yaml"), "--out",
        str(port_runs), "--name", "port", "--jobs", "1", "--detail", "all", "--rows", "6",
        "--overwrite"])
    assert res.exit_code == 0, res.output
    out = res.output
    assert "…" not in out
    assert max(len(line) for line in out.splitlines() if "│" in line) <= int(columns)
    at = 0
    for title, numbers in _WHOLE:
        start = out.index(title, at)
        end = min((out.find(t, start + len(title)) for t, _ in _WHOLE
                   if out.find(t, start + len(title)) > 0), default=len(out))
        part, at = out[start:end], start + len(title)
        for number in numbers:
            assert re.search(rf"(^|[\s│┃]){re.escape(number)}($|[\s│┃])", part, re.M), (
                f"{number} not whole in {title}:\n{part}")


def test_compare_help_names_every_detail_table():
    """Review deck F9: `compare --help` listed the --detail tables by hand and left out
    projects_built, party_economics and party_cashflows, which the terminal's own hint
    lists and --detail accepts. Review cli F2: the help then named warnings and not
    economics, the warning for a wrong value the other way round. Now one list,
    DETAIL_TABLES: every section a comparison writes (its titles, but stream_warnings,
    an older folder's), named in the help in its order."""
    from chainopt.report.compare import TITLES
    from chainopt.report.sections import DETAIL_TABLES

    assert sorted(DETAIL_TABLES) == sorted(k for k in TITLES if k != "stream_warnings")
    done = runner.invoke(app, ["compare", "--help"], env={"COLUMNS": "400"})
    assert done.exit_code == 0
    assert ", ".join(DETAIL_TABLES) in " ".join(done.output.split())


def test_a_wrong_detail_table_is_a_usage_error_before_solving(tmp_path):
    """Review cli F2: `--detail prod` was a warning after every run was solved, exit 0,
    naming a list without warnings. Now exit 2 before anything is solved or written
    (no folder in --out), naming the tables of the help, economics and warnings too."""
    out = tmp_path / "out"
    res = CliRunner(env={"COLUMNS": "400"}).invoke(app, [
        "compare", "small_chain", str(SCEN / "small_port_expansion.yaml"), "--out", str(out),
        "--jobs", "1", "--detail", "production", "--detail", "prod"])
    text = " ".join(res.output.split())
    assert res.exit_code == 2, text
    assert "'prod' is not one of" in text and "economics, project_cashflows" in text, text
    assert "party_cashflows, warnings, all" in text, text
    assert not out.exists()


def test_detail_economics_prints_it_whole_and_warnings_says_none_warned(port_runs):
    """--detail economics printed nothing (the terminal's economics leaves out its
    against and includes columns): now the whole table, with against 'small_port_expansion
    without far_east_port'. --detail warnings of two runs that warned of nothing said
    "no detail table warnings"; now "no run warned"."""
    res = runner.invoke(app, ["compare", "small_chain", str(SCEN / "small_port_expansion.yaml"),
                              "--out", str(port_runs), "--name", "port", "--jobs", "1",
                              "--overwrite", "--detail", "economics", "--detail", "warnings"])
    text = " ".join(res.output.split())
    assert res.exit_code == 0, text
    assert "small_port_expansion without far_east_port" in text, text
    assert "--detail warnings: no run warned" in text
    assert "no detail table" not in text


def test_a_failed_run_keeps_its_place_in_the_default_folder_name(tmp_path):
    """`compare one two` writes compare-one-vs-two; then `compare one two bad.yaml`
    (bad: a change matching no row, exit 1) named its folder after the runs compared,
    compare-one-vs-two again: after solving it said that folder exists (exit 1), and
    with --overwrite replaced the complete comparison with one lacking bad (review cmp
    F4). Now the default name is of the runs asked for: compare-one-vs-two-vs-bad is
    written (exit 1, bad's code), compare-one-vs-two is untouched; and a folder of that
    name in the way is refused before anything is solved (no run folder written)."""
    from tests.test_cli import IDLE_POLICY_CASE
    from tests.toycase import write_case

    one = write_case(tmp_path / "one", IDLE_POLICY_CASE, name="one")
    two = write_case(tmp_path / "two", IDLE_POLICY_CASE, name="two")
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"base: {one}\nchanges:\n  - table: markets\n    where: {{commodity: "
                   "nothing}\n    set: {price_usd_per_unit: 1}\n")
    out = tmp_path / "cmp"
    res = runner.invoke(app, ["compare", str(one), str(two), "--out", str(out), "--jobs", "1"])
    assert res.exit_code == 0, res.output
    complete = (out / "compare-one-vs-two" / "comparison.md").read_text()
    res = runner.invoke(app, ["compare", str(one), str(two), str(bad), "--out", str(out),
                              "--jobs", "1"])
    assert res.exit_code == 1, res.output
    assert "exists" not in res.output, res.output
    assert (out / "compare-one-vs-two" / "comparison.md").read_text() == complete
    assert "Not compared" in (out / "compare-one-vs-two-vs-bad" / "comparison.md").read_text()
    # the asked-for name in the way: refused before solving (three = a fresh out folder)
    fresh = tmp_path / "fresh"
    (fresh / "compare-one-vs-two-vs-bad").mkdir(parents=True)
    res = runner.invoke(app, ["compare", str(one), str(two), str(bad), "--out", str(fresh),
                              "--jobs", "1"])
    text = " ".join(res.output.split())
    assert res.exit_code == 1 and "compare-one-vs-two-vs-bad: exists" in text, text
    assert sorted(p.name for p in fresh.iterdir()) == ["compare-one-vs-two-vs-bad"]


def test_a_folder_made_while_solving_exits_with_the_worst_run_code(tmp_path):
    """The folder the comparison goes to appears while the runs solve (another compare):
    found after solving, that error's exit 1 hid the infeasible run's 3 (review cmp F4).
    one, two (the idle-policy case, 8 kt/yr of crude giving 4.8 kt/yr of light) and inf:
    one with a hard floor of 100 kt/yr of light, more than 4.8: infeasible, exit 3. The
    clash is now exit max(1, 3) = 3."""
    from chainopt.errors import ChainoptError
    from tests.test_cli import IDLE_POLICY_CASE
    from tests.toycase import write_case

    one = write_case(tmp_path / "one", IDLE_POLICY_CASE, name="one")
    two = write_case(tmp_path / "two", IDLE_POLICY_CASE, name="two")
    inf = tmp_path / "inf.yaml"
    inf.write_text(f"base: {one}\nchanges:\n  - case: {{demand_floors: hard}}\n"
                   "  - table: markets\n    where: {commodity: light}\n"
                   "    set: {min_k_per_yr: 100}\n")
    out = tmp_path / "cmp"
    in_the_way = out / "compare-one-vs-two-vs-inf"

    def meanwhile(_outcome) -> None:
        in_the_way.mkdir(parents=True, exist_ok=True)

    with pytest.raises(ChainoptError, match="exists") as err:
        api.compare([str(one), str(two), str(inf)], out=out, jobs=1, on_done=meanwhile)
    assert err.value.exit_code == 3


def test_a_comparison_says_which_runs_failed_and_why(tmp_path):
    """`compare one two bad.yaml` where bad.yaml's change matches no row of markets.csv
    (exit 1): the comparison of one and two is written, exit 1, and its folder said
    nothing of bad (its title `# Comparison: one, two`, no file naming it). Now
    comparison.md says first that 1 of 3 runs asked for failed, naming bad, its source,
    exit 1 (bad input) and the error; text_columns.json records it under ``failed``
    (compared_failures reads it back), and `chainopt report --pptx` of the folder shows
    it in the HTML report and on a slide of the deck."""
    from chainopt.report import compare as cmp
    from tests.test_cli import IDLE_POLICY_CASE
    from tests.toycase import write_case

    one = write_case(tmp_path / "one", IDLE_POLICY_CASE, name="one")
    two = write_case(tmp_path / "two", IDLE_POLICY_CASE, name="two")
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"base: {one}\nchanges:\n  - table: markets\n    where: {{commodity: "
                   "nothing}\n    set: {price_usd_per_unit: 1}\n")
    res = runner.invoke(app, ["compare", str(one), str(two), str(bad), "--out",
                              str(tmp_path / "cmp"), "--jobs", "1"])
    assert res.exit_code == 1, res.output
    folder = tmp_path / "cmp" / "compare-one-vs-two-vs-bad"
    md = " ".join((folder / "comparison.md").read_text().split())
    assert "**Not compared: 1 of 3 runs asked for failed**" in md, md
    assert f"bad ({bad}): exit 1, bad input:" in md.replace("\\", ""), md
    assert "matches no row of markets.csv" in md, md
    failed = cmp.compared_failures(folder)
    assert [(f["name"], f["source"], f["exit_code"]) for f in failed] == [
        ("bad", str(bad), 1)]
    assert json.loads((folder / cmp.TEXT_FILE).read_text())["failed"] == failed
    res = runner.invoke(app, ["report", str(folder), "--pptx"])
    assert res.exit_code == 0, res.output
    page = next(folder.glob("*.html")).read_text()
    assert "Not compared: runs that failed" in page and "exit 1, bad input" in page
    from pptx import Presentation

    slides = [" ".join(sh.text_frame.text for sh in slide.shapes if sh.has_text_frame)
              for slide in Presentation(str(next(folder.glob("*.pptx")))).slides]
    assert any("Not compared" in t and "exit 1, bad input" in t for t in slides), slides
    # first, as the README says (it came after Key figures), and the title says it
    first = next(i for i, t in enumerate(slides) if "Not compared" in t)
    assert first < next(i for i, t in enumerate(slides) if "Key figures" in t), slides
    assert "1 scenario (1 more asked for failed: not compared)" in slides[0], slides[0]
    # comparison.xlsx: had no word of bad; now its first sheet names it (review cmp F8)
    from openpyxl import load_workbook

    wb = load_workbook(folder / "comparison.xlsx", read_only=True)
    assert wb.sheetnames[0] == "not compared", wb.sheetnames
    rows = list(wb["not compared"].iter_rows(values_only=True))
    assert rows[0] == ("run", "source", "exit code", "why")
    assert rows[1][:3] == ("bad", str(bad), 1) and "bad input" in rows[1][3], rows
    # comparison.md shown "as written by chainopt compare" also when edited (review cmp
    # F9): now only with the SHA-256 the folder records; an edited one is not shown
    assert "comparison.md (as written by chainopt compare)" in page
    md_file = folder / "comparison.md"
    md_file.write_text(md_file.read_text().replace("Not compared", "All compared"))
    res = runner.invoke(app, ["report", str(folder)])
    assert res.exit_code == 0, res.output
    page = next(folder.glob("*.html")).read_text()
    assert "as written by chainopt compare" not in page
    assert "comparison.md: not shown" in page and "All compared" not in page


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_scenario_whose_project_cannot_be_valued_drops_out_alone(tmp_path, jobs):
    """Product 400, feed 100, one year; no unit but ua of project a (5 kt/yr, capex 1.0).
    base: a off. s_a: a optional (builds it: 5 x 0.3 - 1.0 = 0.5 MUSD). s_need: s_a with
    a hard floor of 5 kt/yr of product, feasible only with a: valuing a there needs
    s_need without a, infeasible. That discarded the whole comparison, s_a's too (exit 3,
    no folder; review cmp F7). Now s_need drops out as a failed run does: exit 3, the
    comparison of base and s_a written (a 0.500), s_need named under Not compared. With
    two jobs the counterfactuals are solved in worker processes: the same value, and the
    error comes back from the worker as it was raised."""
    import yaml

    from tests.toycase import FEED_TO_PRODUCT, write_case

    case = write_case(tmp_path / "case", {
        **FEED_TO_PRODUCT,
        "units": "unit,site,process,capacity_k_per_yr,project\nua,plant,make,5,a",
        "projects": "project,capex_musd,earliest_period,lifetime_yr,lead_time_yr,"
                    "all_or_nothing,state\na,1.0,p1,1,0,true,off"}, name="base")
    s_a = tmp_path / "s_a.yaml"
    s_a.write_text(yaml.safe_dump({"name": "s_a", "base": str(case), "changes": [
        {"project": "a", "state": "optional"}]}))
    s_need = tmp_path / "s_need.yaml"
    s_need.write_text(yaml.safe_dump({"name": "s_need", "base": str(s_a), "changes": [
        {"case": {"demand_floors": "hard"}},
        {"table": "markets", "set": {"min_k_per_yr": "5"}}]}))
    out = tmp_path / "cmp"
    res = runner.invoke(app, ["compare", str(case), str(s_a), str(s_need), "--out",
                              str(out), "--jobs", jobs])
    assert res.exit_code == 3, res.output
    folder = out / "compare-base-vs-s_a-vs-s_need"
    eco = pd.read_csv(folder / "economics.csv")
    assert list(eco["scenario"]) == ["s_a"]
    assert eco["incremental NPV (MUSD)"].iloc[0] == pytest.approx(0.5, abs=1e-6)
    md = " ".join((folder / "comparison.md").read_text().split())
    assert "**Not compared: 1 of 3 runs asked for failed**" in md, md
    assert "valuing a in s_need: s_need without a is infeasible" in md, md


def _refuse(where: str) -> None:
    raise InputError([Problem(where, "is refused", "a hint")], summary="nothing solved")


def _double(x: int) -> int:
    return 2 * x


@pytest.mark.parametrize("jobs", [1, 2])
def test_call_many_returns_results_and_errors_in_order(jobs):
    """What compare's counterfactuals are solved with: each call's result in the order
    of the calls, a ChainoptError returned in its place. From a worker process an
    InputError comes back with its own problems and message (pickled as its message, it
    was read back as one problem holding the whole message)."""
    from chainopt import batch

    finished: list[int] = []
    got = batch.call_many(_double, [(1,), (2,), (3,)], jobs, finished.append)
    assert got == [2, 4, 6] and sorted(finished) == [0, 1, 2]  # each call said once
    errors = batch.call_many(_refuse, [("units.csv row 2",), ("links.csv row 3",)], jobs)
    for err, where in zip(errors, ("units.csv row 2", "links.csv row 3"), strict=True):
        assert isinstance(err, InputError)
        assert err.problems == [Problem(where, "is refused", "a hint")]
        assert str(err) == ("nothing solved (1 problem in the input):\n"
                            f"  - {where}: is refused; a hint"), str(err)


def _note_and_wait(path: str, k: int) -> int:
    with open(path, "a") as f:
        f.write(f"{k}\n")
    import time

    time.sleep(0.2)
    return k


def test_an_interrupted_call_many_leaves_the_calls_not_started(tmp_path):
    """Ctrl-C while the calls run (here an interrupt raised in this process after 0.5 s,
    as Python raises Ctrl-C): the calls not yet handed out are cancelled. 12 calls of
    0.2 s on 2 workers take 1.2 s; leaving the pool used to wait for all 12 to be made."""
    import signal

    from chainopt import batch

    def interrupt(_signum, _frame):
        raise KeyboardInterrupt

    notes = tmp_path / "made.txt"
    old = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.5)
        with pytest.raises(KeyboardInterrupt):
            batch.call_many(_note_and_wait, [(str(notes), k) for k in range(12)], 2)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    made = notes.read_text().split() if notes.exists() else []
    assert len(made) < 12, made


def test_a_worker_interrupted_once_makes_no_further_call(monkeypatch):
    """Ctrl-C reaches every process of the command; each worker already holds its next
    call, which it would make in full: after an interrupt in a worker, ``_guarded`` makes
    none (the flag is the worker's own: this test sets it here as a worker would)."""
    from chainopt import batch

    made = []

    def stopped():
        raise KeyboardInterrupt

    monkeypatch.setattr(batch, "_interrupted", False)
    assert batch._guarded(_double, 4) == 8
    with pytest.raises(KeyboardInterrupt):
        batch._guarded(stopped)
    with pytest.raises(KeyboardInterrupt):
        batch._guarded(made.append, 1)
    assert made == [] and batch._interrupted


def test_a_comparison_is_the_same_worked_out_in_one_process_or_in_three(tmp_path,
                                                                        monkeypatch):
    """small_chain against three of its scenarios (the port project valued against its
    counterfactual): the counterfactual cases and the sections made in one process and
    shared out over three (``chainopt.forks.Shares``) are the same tables, value for
    value, in the same order."""
    from chainopt import forks

    sources = ["small_chain", str(SCEN / "small_port_expansion.yaml"),
               str(SCEN / "small_chained.yaml"), str(SCEN / "small_high_prices.yaml")]
    got = {}
    for n in (1, 3):
        monkeypatch.setattr(forks, "processes", lambda n=n: n)
        got[n], _outcomes, _folder = api.compare(sources, out=tmp_path / str(n), jobs=1,
                                                 save=False)
    assert list(got[1]) == list(got[3]) and "economics" in got[1]
    assert "small_port_expansion" in set(got[1]["economics"]["scenario"])
    for name, table in got[1].items():
        pd.testing.assert_frame_equal(table, got[3][name], check_exact=True, obj=name)
