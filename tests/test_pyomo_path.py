"""The Pyomo hand-over: the model with the case's names, the same answers as the matrix
hand-over on every shipped case and scenario, second solvers, the ``extend`` hook and
statuses (what the entry points import: ``tests/test_startup.py``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from chainopt import api
from chainopt.case.load import embedded_cases
from chainopt.cli import app
from chainopt.errors import InfeasibleError, InputError, SolverError, UnboundedError
from chainopt.solve import SolveOptions, available_solvers
from tests.conftest import edit_csv
from tests.toycase import fixed_charge_cost_case, write_case

pyo = pytest.importorskip("pyomo.environ")

ROOT = Path(__file__).resolve().parents[1]
# the shipped cases and examples, and four scenarios that hold every family and kind of
# integer decision a scenario adds (every project on; a chain of scenarios): the others
# switch the same projects or change coefficients, which the hand-over translates by the
# same code (as tests/models/test_registry.py found, building all 31, when it chose two)
SHIPPED = [*embedded_cases(), *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "examples")
                                      .iterdir() if (p / "case.yaml").is_file()),
           *(f"scenarios/{s}.yaml" for s in ("ru_all_projects", "proposal_portfolio",
                                             "small_port_expansion", "small_chained"))]
SMALL = ["small_chain", "examples/refinery_planning", "examples/petchem_investment"]
HAVE = set(available_solvers())
COMMODITIES = "commodity,unit,kind\ncrude,t,raw\n"


def _both(source: str):
    """(built, outcome) of the matrix path and of the Pyomo path with HiGHS."""
    case = api.load_case(str(ROOT / source) if "/" in source else source)
    direct = api.build_model(case)
    via = api.build_model(case, SolveOptions(solver="highs"))
    return direct, api.solve(direct), via, api.solve(via, SolveOptions(solver="highs"))


def test_pyomo_model_carries_the_case_names_and_the_matrix():
    """Variables and constraints are indexed by the families' key tuples; bounds, the
    constraint rows and the objective (with its constant) are the arrays'."""
    built = api.build_model(api.load_case("small_chain"))
    m = built.pyomo
    a = built.arrays
    fam = built.lp.family("conversion.activity")
    unit, mode, period = fam.keys.iloc[3]
    v = m.conversion.activity[unit, mode, period]
    assert v is pyo_columns(m)[fam.start + 3]
    assert (v.lb, v.ub) == (a.col_lb[fam.start + 3], None if np.isinf(a.col_ub[fam.start + 3])
                            else a.col_ub[fam.start + 3])
    assert set(m.conversion.ACTIVITY_KEYS) == set(map(tuple, fam.keys.to_numpy().tolist()))
    cap = built.lp.family("conversion.capacity_max")
    unit, period = cap.keys.iloc[0]
    con = m.conversion.capacity_max[unit, period]
    lo, hi = a.matrix.indptr[cap.start], a.matrix.indptr[cap.start + 1]
    from pyomo.repn import generate_standard_repn

    repn = generate_standard_repn(con.body)
    pos = {id(x): j for j, x in enumerate(pyo_columns(m))}
    cols = [pos[id(x)] for x in repn.linear_vars]
    assert sorted(zip(cols, repn.linear_coefs, strict=True)) == sorted(
        zip(a.matrix.indices[lo:hi].tolist(), a.matrix.data[lo:hi].tolist(), strict=True))
    assert pyo.value(con.upper) == pytest.approx(a.row_ub[cap.start])
    assert m.objective.sense == pyo.maximize
    repn = generate_standard_repn(m.objective.expr)
    assert repn.constant == pytest.approx(a.total_offset)
    assert len(repn.linear_vars) == np.count_nonzero(a.cost)
    # the variables are declared in column order: appsi's HiGHS sees the matrix's LP
    assert [id(x) for x in m.component_data_objects(pyo.Var, descend_into=True)] == [
        id(x) for x in pyo_columns(m)]


def pyo_columns(m):
    from chainopt.models.pyomo_model import columns

    return columns(m)


@pytest.mark.parametrize("source", SHIPPED)
def test_both_hand_overs_give_the_same_plan_and_marginal_values(source):
    """Matrix -> HiGHS and Pyomo -> HiGHS: same objective (1e-7), plan, balance shadow
    prices (and every other dual). MIPs: both report the MIP's objective and plan and
    the duals of the LP with the integer decisions fixed."""
    direct, out, _, pout = _both(source)
    assert out.info["path"] == "matrix" and pout.info["path"] == "pyomo"
    assert not direct.has_pyomo
    assert pout.objective == pytest.approx(out.objective, rel=1e-7)
    np.testing.assert_allclose(pout.col_value, out.col_value, rtol=1e-7, atol=1e-6)
    bal = direct.lp.family("balance.commodity")
    sl = slice(bal.start, bal.stop)
    np.testing.assert_allclose(pout.row_dual[sl], out.row_dual[sl], rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(pout.row_dual, out.row_dual, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(pout.col_dual, out.col_dual, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(pout.row_value, out.row_value, rtol=1e-7, atol=1e-6)
    assert pout.status == out.status


def test_results_tables_are_the_same_on_both_paths(tmp_path):
    """Through extraction: every table of a Pyomo run equals the matrix run's."""
    from chainopt.report.drift import compare_results

    a = api.run("small_chain", save=False)
    b = api.run("small_chain", save=False, options=SolveOptions(solver="highs"))
    assert len(compare_results(a, b, rtol=1e-9, atol=1e-9)) == 0
    assert (a.manifest["solve_path"], b.manifest["solve_path"]) == ("matrix", "pyomo")
    assert b.manifest["solver"] == "highs"


@pytest.mark.parametrize("solver", ["cbc", "glpk"])
@pytest.mark.parametrize("source", SMALL)
def test_second_solvers_reach_highs_objective(solver, source):
    """CBC and GLPK through Pyomo: the objective of HiGHS to 1e-6 (and on the refinery
    example, whose duals are unique, the same balance shadow prices: one sign
    convention for every solver)."""
    if solver not in HAVE:
        pytest.skip(f"{solver} is not installed (apt-get install coinor-cbc glpk-utils)")
    case = api.load_case(str(ROOT / source) if "/" in source else source)
    built = api.build_model(case)
    out = api.solve(built)
    opts = SolveOptions(solver=solver)
    other = api.solve(api.build_model(case, opts), opts)
    assert other.objective == pytest.approx(out.objective, rel=1e-6)
    assert other.info == {**other.info, "path": "pyomo", "solver": solver}
    if source == "examples/refinery_planning":
        bal = built.lp.family("balance.commodity")
        np.testing.assert_allclose(other.row_dual[bal.start:bal.stop],
                                   out.row_dual[bal.start:bal.stop], rtol=1e-6, atol=1e-7)


def _toy(tmp_path: Path) -> Path:
    """One site, crude bought at 100 USD/t (up to 10 kt/yr) and sold at 200 USD/t, one
    1-year period, no discounting (weight 1)."""
    return write_case(tmp_path / "toy", {
        "commodities": COMMODITIES, "sites": "site\na",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\na,crude,100,10",
        "markets": "site,commodity,price_usd_per_unit\na,crude,200",
    })


def test_extend_caps_a_sale_hand_checked(tmp_path):
    """Without the cap: 10 kt x (200 - 100) USD/t = 1.0 MUSD. A user constraint
    ``sales <= 4`` leaves 4 kt x 100 USD/t = 0.4 MUSD; the cap is worth 200 - 100 =
    100 USD/t = 0.1 MUSD per kt/yr (its dual), crude at the site is then worth what it
    costs, 100 USD/t (the purchase is between its bounds), and purchases fall to 4."""
    folder = _toy(tmp_path)
    assert api.run(folder, save=False).objective == pytest.approx(1.0, rel=1e-9)

    def cap(m, built):
        m.sales_cap = pyo.Constraint(expr=m.market.sales["a", "crude", "p1"] <= 4)

    res = api.run(folder, out=tmp_path / "out", extend=cap)
    assert res.objective == pytest.approx(0.4, rel=1e-9)
    assert res["sales"]["sales_k_per_yr"].tolist() == pytest.approx([4.0])
    assert res["purchases"]["purchase_k_per_yr"].tolist() == pytest.approx([4.0])
    assert res["balances"]["shadow_price_usd_per_unit"].tolist() == pytest.approx([100.0])
    ext = res["extension"]
    assert ext[["kind", "name"]].values.tolist() == [["constraint", "sales_cap"]]
    assert ext["value"].tolist() == pytest.approx([4.0])
    assert ext["marginal"].tolist() == pytest.approx([0.1])
    m = res.manifest
    assert (m["solve_path"], m["solver"], m["solver_info"]["extension"]) == (
        "pyomo", "highs", ["sales_cap"])
    assert m["insight"]["ranging_source"].startswith("unavailable")
    saved = json.loads((tmp_path / "out" / "toy" / "manifest.json").read_text())
    assert saved["solve_path"] == "pyomo"
    assert (tmp_path / "out" / "toy" / "extension.csv").is_file()


def test_a_plan_that_breaks_the_extended_model_is_refused(tmp_path, monkeypatch):
    """The plan of an extended model is checked against the Pyomo model as it stands (the
    extension may change chainopt's rows, so chainopt's matrix is no yardstick). The cap
    of the test above with a solver that returns sales of 5 kt/yr (purchases 4): the cap
    sales <= 4 is off by 1 in a body of size |1 x 5| = 5, 1 / (1 + 5) = 0.167 relative;
    the balance 4 - 5 = -1 is off by 1 / (1 + 4 + 5) = 0.1, less. The run stops naming
    the cap and nothing is written. The solver's own plan passes (the
    test above)."""
    from chainopt import solve as solve_mod
    from chainopt.errors import SolverError

    def cap(m, built):
        m.sales_cap = pyo.Constraint(expr=m.market.sales["a", "crude", "p1"] <= 4)

    run = solve_mod._run

    def off_by_one(plugin, opt, m, options, maximize=True):
        done = run(plugin, opt, m, options, maximize)
        m.market.sales["a", "crude", "p1"].set_value(5.0)
        return done

    monkeypatch.setattr(solve_mod, "_run", off_by_one)
    with pytest.raises(SolverError, match=r"highs returned a plan that breaks the extended "
                       r"model by 0\.167 .*: sales_cap is 5 against bounds \[None, 4(\.0)?\]"):
        api.run(_toy(tmp_path), out=tmp_path / "out", extend=cap)
    assert not (tmp_path / "out").exists()


def test_extend_may_replace_the_objective(tmp_path):
    """A user objective charging a further 50 USD/t on purchases: the margin is
    200 - 100 - 50 = 50 USD/t on 10 kt, 0.5 MUSD."""
    def charge(m, built):
        m.objective.deactivate()
        m.charged = pyo.Objective(
            expr=m.objective.expr - 0.05 * m.supply.purchase["a", "crude", "p1"],
            sense=pyo.maximize)

    res = api.run(_toy(tmp_path), save=False, extend=charge)
    assert res.objective == pytest.approx(0.5, rel=1e-9)
    assert res["purchases"]["purchase_k_per_yr"].tolist() == pytest.approx([10.0])


def test_extend_with_a_yes_no_decision(tmp_path):
    """A user binary: selling needs a licence costing 0.3 MUSD (sales <= 10 x licence).
    With it 1.0 - 0.3 = 0.7 MUSD, without it 0: the licence is bought. The model is a
    MIP now; its marginal values come from the LP with the licence fixed at 1, where
    both the supply limit and the licensed sales bind: crude at the site is worth any
    price between its cost (100) and its sales price (200)."""
    def licence(m, built):
        m.licence = pyo.Var(domain=pyo.Binary)
        m.licensed = pyo.Constraint(expr=m.market.sales["a", "crude", "p1"] <= 10 * m.licence)
        m.objective.expr = m.objective.expr - 0.3 * m.licence

    res = api.run(_toy(tmp_path), save=False, extend=licence)
    assert res.objective == pytest.approx(0.7, rel=1e-9)
    ext = res["extension"].set_index("name")
    assert ext.loc["licence", "value"] == pytest.approx(1.0)
    price = res["balances"]["shadow_price_usd_per_unit"].iloc[0]
    assert 100.0 - 1e-9 <= price <= 200.0 + 1e-9


def test_a_mip_is_restored_after_its_fixed_lp():
    """After the MIP and the LP with the integer decisions fixed, every integer variable
    has its domain and bounds back (the model can be solved again)."""
    from chainopt.models.pyomo_model import columns

    opts = SolveOptions(solver="highs")
    built = api.build_model(api.load_case(str(ROOT / "examples" / "petchem_investment")), opts)
    first = api.solve(built, opts)
    a = built.arrays
    ints = np.flatnonzero(a.integer)
    assert len(ints)
    for j in ints.tolist():
        v = columns(built.pyomo)[j]
        assert v.domain is pyo.Integers
        assert (v.lb, v.ub) == (a.col_lb[j], None if np.isinf(a.col_ub[j]) else a.col_ub[j])
    assert api.solve(built, opts).objective == pytest.approx(first.objective, rel=1e-9)


def test_extend_equals_the_same_cap_written_in_the_case(small_case_dir):
    """small_chain: capping domestic PP sales at 10 kt/yr (22.5 sold) through ``extend``
    gives the objective and plan of the case whose markets.csv says max 10."""
    def cap(m, built):
        periods = built.case.meta.period_names
        m.pp_cap = pyo.Constraint(periods, rule=lambda m, t: m.market.sales[
            "ru_dom", "pp", t] <= 10)

    extended = api.run("small_chain", save=False, extend=cap)
    edit_csv(small_case_dir / "markets.csv", "ru_dom,pp,880,400,0", "ru_dom,pp,880,10,0")
    edited = api.run(small_case_dir, save=False)
    base = api.run("small_chain", save=False)
    assert edited.objective < base.objective - 1.0  # the cap binds
    assert extended.objective == pytest.approx(edited.objective, rel=1e-9)
    pd_ = pytest.importorskip("pandas")
    pd_.testing.assert_frame_equal(extended["activity"], edited["activity"], atol=1e-6)


def test_hand_edits_of_the_pyomo_model_are_solved_through_pyomo(tmp_path):
    """Components added to ``built.pyomo`` by hand are seen: the default solve then
    goes through Pyomo, not past them to the matrix."""
    built = api.build_model(api.load_case(_toy(tmp_path)))
    built.pyomo.cap = pyo.Constraint(expr=built.pyomo.market.sales["a", "crude", "p1"] <= 4)
    out = api.solve(built)
    assert out.info["path"] == "pyomo"
    assert out.objective == pytest.approx(0.4, rel=1e-9)


def _two_refineries(tmp_path: Path) -> Path:
    """Crude refined 1:1 into prod (10 USD/t) at a (unit r1, 80 kt/yr, crude 50 USD/t up
    to 100 kt/yr) and b (r2, 50 kt/yr, crude 60 USD/t up to 100), prod sold at 100 USD/t
    at both; one 1-year period, rate 0. Margins: a 100 - 50 - 10 = 40 USD/t, b 30 USD/t;
    80 x 40 + 50 x 30 = 3.2 + 1.5 = 4.7 MUSD, capacity rents r1 40, r2 30 USD/t."""
    return write_case(tmp_path / "toy1", {
        "commodities": "commodity,unit,kind\ncrude,t,raw\nprod,t,product",
        "sites": "site\na\nb",
        "modes": "mode,process,variable_cost_usd_per_unit\nrun,refine,10",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,crude,in,1\n"
                      "run,prod,out,1",
        "units": "unit,site,process,capacity_k_per_yr\nr1,a,refine,80\nr2,b,refine,50",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\na,crude,50,100\n"
                    "b,crude,60,100",
        "markets": "site,commodity,price_usd_per_unit\na,prod,100\nb,prod,100",
    })


@pytest.mark.parametrize("solver", [None, "highs"])
@pytest.mark.parametrize(("change", "changed", "objective", "activity", "rents"), [
    # a's crude capped at 60: 60 x 40 + 50 x 30 = 3.9 MUSD; r1 idle capacity, no rent
    (lambda m: m.supply.purchase["a", "crude", "p1"].setub(60), ["supply.purchase"],
     3.9, [60, 50], [0, 30]),
    # r2 fixed at 20 kt/yr: 80 x 40 + 20 x 30 = 3.8 MUSD; r2's capacity no longer binds
    (lambda m: m.conversion.activity["r2", "run", "p1"].fix(20), ["conversion.activity"],
     3.8, [80, 20], [40, 0]),
    # r1's capacity row dropped: a runs up to its crude, 100 x 40 + 1.5 = 5.5 MUSD (the
    # row's value is not reported: 0)
    (lambda m: m.conversion.capacity_max["r1", "p1"].deactivate(),
     ["conversion.capacity_max"], 5.5, [100, 50], [0, 30]),
    # r1's capacity row given the bound 90: 90 x 40 + 1.5 = 5.1 MUSD, still worth 40
    (lambda m: m.conversion.capacity_max["r1", "p1"].set_value(
        (None, m.conversion.capacity_max["r1", "p1"].body, 90)),
     ["conversion.capacity_max"], 5.1, [90, 50], [40, 30]),
])
def test_chainopts_own_components_changed_by_hand_are_solved_as_changed(
        tmp_path, solver, change, changed, objective, activity, rents):
    """chainopt's own Pyomo components changed by hand (no ``extend``), hand values in
    :func:`_two_refineries` and each case's comment. With a solver named the plan was
    checked against chainopt's unchanged matrix and refused (exit 4, "highs returned
    marginal values that break the model by 0.0838 ... reduced cost 0.04" for the crude
    cap); without one the change was ignored (4.7). Now both solve the model as changed,
    reported as an extension that added nothing and changed the component named."""
    built = api.build_model(api.load_case(_two_refineries(tmp_path)))
    change(built.pyomo)
    out = api.solve(built, SolveOptions(solver=solver) if solver else None)
    res = api.extract_results(built, out)
    assert out.info["path"] == "pyomo"
    assert res.objective == pytest.approx(objective, abs=1e-9)
    assert res["activity"]["activity_k_per_yr"].tolist() == pytest.approx(activity)
    assert res["capacity"]["shadow_price_usd_per_unit_yr"].tolist() == pytest.approx(
        rents, abs=1e-9)
    info = res.manifest["solver_info"]
    assert (info["extension"], info["changed"]) == ([], changed)
    assert len(res["ranging"]) == 0  # chainopt's LP, without the change, is not ranged


def test_an_unchanged_pyomo_model_is_chainopts_lp(tmp_path):
    """Reading the Pyomo model, solving it through Pyomo (which loads values and adds the
    dual suffixes) and a MIP's fixed LP (which fixes and restores the integer columns)
    change none of chainopt's components: a solve then is no extension, and its plan is
    checked against the matrix, marginal values included."""
    from chainopt.models.pyomo_model import changed_components

    built = api.build_model(api.load_case(_two_refineries(tmp_path)))
    assert changed_components(built.pyomo, built.arrays) == []
    out = api.solve(built, SolveOptions(solver="highs"))
    assert out.objective == pytest.approx(4.7, abs=1e-9)
    assert (out.info["extension"], out.info["changed"]) == (None, None)
    mip = api.build_model(api.load_case(fixed_charge_cost_case(tmp_path / "fc")),
                          SolveOptions(solver="highs"))
    api.solve(mip, SolveOptions(solver="highs"))
    assert changed_components(mip.pyomo, mip.arrays) == []


def test_a_failed_solve_of_a_changed_model_names_the_change(tmp_path):
    """r1 fixed at 90 kt/yr above its 80 kt/yr capacity: no plan meets the capacity row,
    and the message names what was changed (a fixed conversion.activity), since the case
    alone solves."""
    built = api.build_model(api.load_case(_two_refineries(tmp_path)))
    built.pyomo.conversion.activity["r1", "run", "p1"].fix(90)
    with pytest.raises(InfeasibleError, match=r"extended through Pyomo \(added: none; "
                       r"changed: conversion.activity\)"):
        api.solve(built)


def test_statuses_map_to_the_same_errors_on_the_pyomo_path(tmp_path):
    opts = SolveOptions(solver="highs")
    unbounded = write_case(tmp_path / "u", {
        "commodities": COMMODITIES, "sites": "site\na\nb",
        "supplies": "site,commodity,cost_usd_per_unit\na,crude,100",
        "links": "link,from_site,to_site,commodities\nab,a,b,crude",
        "markets": "site,commodity,price_usd_per_unit\nb,crude,200"})
    with pytest.raises(UnboundedError, match="unbounded") as exc:
        api.solve(api.build_model(api.load_case(unbounded), opts), opts)
    assert exc.value.exit_code == 3
    infeasible = write_case(tmp_path / "i", {
        "commodities": COMMODITIES, "sites": "site\na",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\na,crude,100,10",
        "markets": "site,commodity,price_usd_per_unit,min_k_per_yr\na,crude,200,50"},
        demand_floors="hard")
    with pytest.raises(InfeasibleError, match="chainopt explain") as exc:
        api.solve(api.build_model(api.load_case(infeasible), opts), opts)
    assert exc.value.exit_code == 3
    with pytest.raises(SolverError, match="maxTimeLimit") as exc:
        limit = SolveOptions(solver="highs", time_limit_s=1e-9)
        api.solve(api.build_model(api.load_case("small_chain"), limit), limit)
    assert exc.value.exit_code == 4


def test_an_infeasible_extension_is_reported(tmp_path):
    """The toy sells at most the 10 kt/yr it can buy; an extension asking for 20 makes
    it infeasible. The error named the case alone and sent the user to `chainopt
    explain` on it, which says the case solves; it now names the extension's component
    and says that explain does not see it (exit 3). So does an unbounded one (a free
    variable worth 1 MUSD each)."""
    def impossible(m, built):
        m.too_much = pyo.Constraint(expr=m.market.sales["a", "crude", "p1"] >= 20)

    def endless(m, built):
        m.z = pyo.Var(bounds=(0, None))
        m.objective.expr = m.objective.expr + m.z

    folder = _toy(tmp_path)
    with pytest.raises(InfeasibleError, match=r"case 'toy' \(\S+toy\) extended through Pyomo "
                       r"\(added: too_much\) is infeasible.*explain` sees no extension") as exc:
        api.run(folder, save=False, extend=impossible)
    assert exc.value.exit_code == 3
    with pytest.raises(UnboundedError, match=r"extended through Pyomo \(added: z; changed: "
                       r"objective\) is "
                       "unbounded.*sees no extension"):
        api.run(folder, save=False, extend=endless)
    assert any("solves" in line for line in api.explain(str(folder)))


def test_unknown_solver_lists_the_solvers_found(tmp_path):
    with pytest.raises(InputError, match="solvers found: highs") as exc:
        api.run("small_chain", save=False, options=SolveOptions(solver="no_such_solver"))
    assert exc.value.exit_code == 1


@pytest.mark.parametrize("solver", ["highs", "cbc", "glpk"])
def test_cli_solver_in_a_fresh_process(solver, tmp_path):
    """The console entry point, with nothing imported beforehand (Pyomo's solver
    plugins must be registered by chainopt itself)."""
    if solver not in HAVE:
        pytest.skip(f"{solver} is not installed")
    done = subprocess.run([sys.executable, "-m", "chainopt.cli", "run", "small_chain",
                           "--solver", solver, "--out", str(tmp_path)], capture_output=True,
                          text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    manifest = json.loads((tmp_path / "small_chain" / "manifest.json").read_text())
    assert manifest["solver"] == solver and manifest["solve_path"] == "pyomo"
    assert manifest["objective"] == pytest.approx(api.run("small_chain", save=False).objective,
                                                  rel=1e-6)


def test_verify_replays_the_recorded_solver(tmp_path):
    """A GLPK run reproduces under ``verify`` (which re-runs with GLPK), although its
    degenerate duals differ from HiGHS's. Its ranging is left out and said so: HiGHS's
    basis is another vertex (the PE plant's value 301 there, 150 in GLPK's duals), so
    `explain --ranging` contradicted `explain` in one folder."""
    if "glpk" not in HAVE:
        pytest.skip("glpk is not installed")
    from chainopt.report.drift import compare_results

    saved = api.run("small_chain", out=tmp_path, options=SolveOptions(solver="glpk"))
    assert saved["ranging"].empty
    assert saved.manifest["insight"]["ranging_source"].startswith("unavailable: solved by glpk")
    assert len(compare_results(saved, api.run("small_chain", save=False), rtol=1e-6,
                               atol=1e-6)) > 0
    assert len(api.verify(tmp_path / "small_chain")) == 0


def test_terms_that_cancel_into_an_impossible_row_are_infeasible_on_every_path(tmp_path):
    """A user constraint production(light at plant) - production(light anywhere) >= 1,
    where only the plant makes light, is 0 >= 1: infeasible. The Pyomo model dropped the
    empty row and reported the case optimal."""
    from chainopt.errors import InfeasibleError
    from tests.toycase import write_case

    folder = write_case(tmp_path, {
        "commodities": "commodity,unit,kind\ncrude,t,raw\nlight,t,product",
        "sites": "site\nplant",
        "modes": "mode,process\nrun,cdu",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,crude,in,1\n"
                      "run,light,out,1",
        "units": "unit,site,process,capacity_k_per_yr\nu,plant,cdu,10",
        "supplies": "site,commodity,cost_usd_per_unit\nplant,crude,100",
        "markets": "site,commodity,price_usd_per_unit\nplant,light,150",
        "constraints": "constraint,sense,rhs\nsilly,>=,1",
        "constraint_terms": "constraint,term,quantity,coef,commodity,site\n"
                            "silly,1,production,1,light,plant\nsilly,2,production,-1,light,",
    })
    for solver in [None, *(s for s in ("highs", "cbc", "glpk") if s in HAVE)]:
        with pytest.raises(InfeasibleError):
            api.run(folder, options=SolveOptions(solver=solver) if solver else None,
                    save=False)


def test_cli_solver_option(tmp_path):
    runner = CliRunner()
    solver = "glpk" if "glpk" in HAVE else "highs"
    r = runner.invoke(app, ["run", "small_chain", "--solver", solver, "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    manifest = json.loads((tmp_path / "small_chain" / "manifest.json").read_text())
    assert (manifest["solver"], manifest["solve_path"]) == (solver, "pyomo")
    assert manifest["solver_options"]["solver"] == solver
    r = runner.invoke(app, ["run", "small_chain", "--solver", "no_such_solver", "--out",
                            str(tmp_path / "x")])
    assert r.exit_code == 1
    assert "solvers found" in r.output and not (tmp_path / "x").exists()
    r = runner.invoke(app, ["run", "small_chain", "--solver", "cbc", "--method", "ipm",
                            "--out", str(tmp_path / "x")])
    assert r.exit_code == 2


def test_the_fixed_lp_of_a_mip_is_not_stopped_by_a_spent_time_limit():
    """HiGHS's run clock counts on over the runs of one instance, so after a MIP stopped
    at its time limit the limit is spent and the LP with the integer decisions fixed
    stopped at once ('did not solve to optimality', exit 4, for a MIP with a plan).
    Here the MIP (petchem_investment) runs to optimality, then the limit is set below
    the time already run, as after a MIP stopped at it: the fixed LP still solves, and
    with the integers at the MIP's values its optimum is the MIP's objective."""
    import highspy

    from chainopt.solve import _fixed_lp, _set_options, run_highs

    built = api.build_model(api.load_case(str(ROOT / "examples" / "petchem_investment")))
    h = built.solver
    _set_options(h, SolveOptions().resolved(built), built)
    run_highs(h)
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    mip = h.getInfo().objective_function_value
    h.setOptionValue("time_limit", h.getRunTime() / 2)  # already spent
    sol = _fixed_lp(h, built)
    a = built.arrays
    assert a.cost @ np.asarray(sol.col_value) + a.total_offset == pytest.approx(mip, rel=1e-9)


def test_the_pyomo_fixed_lp_of_a_mip_has_no_time_limit(monkeypatch):
    """The Pyomo twin: the MIP gets the run's time limit (HiGHS's ``time_limit``, CBC's
    ``sec``, GLPK's ``tmlim``), the LP with the integers fixed none (HiGHS: inf), so a
    MIP stopped at its limit still gets its marginal values."""
    import chainopt.solve as solve

    seen = []
    real = solve._run

    def spy(plugin, opt, m, options, *args):
        seen.append(dict(options))
        return real(plugin, opt, m, options, *args)

    monkeypatch.setattr(solve, "_run", spy)
    case = api.load_case(str(ROOT / "examples" / "petchem_investment"))
    for solver, key in (("highs", "time_limit"), ("cbc", "sec"), ("glpk", "tmlim")):
        if solver not in HAVE:
            continue
        seen.clear()
        opts = SolveOptions(solver=solver, time_limit_s=100)
        api.solve(api.build_model(case, opts), opts)
        assert len(seen) == 2, solver
        assert seen[0][key] == 100
        assert seen[1].get(key, np.inf) == np.inf


def test_glpk_is_given_its_time_limit_in_whole_seconds_rounded_up(tmp_path, monkeypatch):
    """glpsol takes ``--tmlim`` in whole seconds, a C int: "--tmlim 1.5" is an "Invalid
    time limit", "--tmlim 0" stops at once (status undefined) and one above 2**31 - 1 is
    refused. So --time-limit 0.5 s is 1 s (never 0), 2.0 is 2, 2.1 is 3, and 1e10 s (317
    years) is no limit: it was passed as 10000000000, glpsol exited 1 and Pyomo raised
    ApplicationError (a traceback). The check that a verdict said once the limit is spent
    proves nothing uses the limit GLPK had: "infeasible" after 0.6 s of a 0.3 s limit,
    i.e. of 1 s, is a proof (exit 3), not "its time limit of 0.3 s spent" (exit 4)."""
    import chainopt.solve as solve

    opts = {"time_limit_s": 0.5, "threads": 1, "mip_gap": 1e-4, "random_seed": 0}
    for limit, tmlim in ((0.5, 1), (2.0, 2), (2.1, 3), (1e10, None), (np.inf, None)):
        assert solve._solver_options("glpk", {**opts, "time_limit_s": limit}, 0).get(
            "tmlim") == tmlim, limit
    assert solve._solver_options("cbc", {**opts, "time_limit_s": 0.5}, 0)["sec"] == 0.5
    if "glpk" not in HAVE:
        pytest.skip("glpk is not installed")
    folder = _toy(tmp_path)
    out = api.run(folder, save=False, options=SolveOptions(solver="glpk", time_limit_s=1e10))
    assert out.objective == pytest.approx(1.0, abs=1e-9)  # 10 kt x (200 - 100) USD/t

    def says_infeasible(plugin, opt, m, options, maximize=True):
        import time

        time.sleep(0.6)
        return solve._Run("infeasible", False)

    monkeypatch.setattr(solve, "_run", says_infeasible)
    with pytest.raises(InfeasibleError):
        api.run(folder, save=False, options=SolveOptions(solver="glpk", time_limit_s=0.3))


def test_appsi_highs_by_name_is_given_every_option(tmp_path, monkeypatch):
    """``--solver appsi_highs`` (Pyomo's HiGHS plugin by its own name) was given no option
    at all: a 0.01 s limit and the scenario's 1e-7 MIP gap never reached it (it solved
    ru_all_projects at HiGHS's own 1e-4, 2.66 s, exit 0) while the manifest recorded
    both. Now it gets HiGHS's options as ``highs`` does: here a limit of 7 s, gap 1e-7,
    seed 3, two threads, and records none as not passed. The toy: 10 kt x (200 - 100)
    USD/t = 1.0 MUSD."""
    import chainopt.solve as solve

    given = []
    real = solve._run

    def spy(plugin, opt, m, options, maximize=True):
        given.append(dict(options))
        return real(plugin, opt, m, options, maximize)

    monkeypatch.setattr(solve, "_run", spy)
    res = api.run(_toy(tmp_path), save=False, options=SolveOptions(
        solver="appsi_highs", time_limit_s=7, mip_gap=1e-7, random_seed=3, threads=2))
    assert res.objective == pytest.approx(1.0, abs=1e-9)
    o = given[0]
    assert (o["time_limit"], o["mip_rel_gap"], o["random_seed"], o["threads"]) == (
        7.0, 1e-7, 3, 2)
    info = res.manifest["solver_info"]
    assert info["options_passed"]["time_limit"] == 7.0
    assert info["options_not_passed"] is None


def _any_solver_is_highs(monkeypatch):
    """Every solver name solves with Pyomo's HiGHS plugin (so that options a solver has
    no name for can be tested without it): its options are still chosen by the name."""
    import chainopt.solve as solve

    real = solve.pyomo_solver
    monkeypatch.setattr(solve, "pyomo_solver", lambda name: real("highs"))


@pytest.mark.parametrize(("solver", "options", "where"), [
    ("glpk", {"threads": 2}, "--threads"),
    ("cbc", {"random_seed": 5}, "the seed"),
    ("xpress", {"time_limit_s": 30}, "--time-limit"),
    ("some_solver", {"mip_gap": 1e-7}, "the MIP gap"),
])
def test_an_option_a_solver_has_no_name_for_is_refused(tmp_path, monkeypatch, solver,
                                                        options, where):
    """GLPK has no thread option, CBC's seed is not passed, and chainopt knows no option
    names of xpress or any other solver outside its table: an option asked at another
    value than chainopt's default was dropped without a word while the manifest recorded
    it as used. Now it is refused before the solve (exit 1), naming the option and the
    solver."""
    _any_solver_is_highs(monkeypatch)
    with pytest.raises(InputError) as exc:
        api.run(_toy(tmp_path), save=False, options=SolveOptions(solver=solver, **options))
    text = str(exc.value)
    assert exc.value.exit_code == 1
    assert where in text and f"is not passed to solver '{solver}'" in text


def test_options_at_their_defaults_not_passed_are_recorded_and_warned(tmp_path, monkeypatch):
    """A solver chainopt knows no option names of, with every option at chainopt's
    default (600 s, one thread, gap 1e-4, seed 0): it runs with its own, which the
    manifest says (``options_not_passed``, no ``options_passed``) and the run warns of
    for the time limit it may run past. The toy still solves to 10 x (200 - 100) = 1.0
    MUSD. GLPK, which takes a limit and a gap, only records its threads and seed."""
    _any_solver_is_highs(monkeypatch)
    res = api.run(_toy(tmp_path), save=False, options=SolveOptions(solver="some_solver"))
    assert res.objective == pytest.approx(1.0, abs=1e-9)
    info = res.manifest["solver_info"]
    assert info["options_passed"] == {}
    assert info["options_not_passed"] == {"time_limit_s": 600.0, "threads": 1,
                                          "mip_gap": 1e-4, "random_seed": 0}
    assert any("'some_solver' was given no time limit" in w
               for w in res.manifest["warnings"])
    glpk = api.run(_toy(tmp_path), save=False, options=SolveOptions(solver="glpk"))
    assert glpk.manifest["solver_info"]["options_not_passed"] == {"threads": 1,
                                                                  "random_seed": 0}
    assert not any("given no" in w for w in glpk.manifest["warnings"])


def test_a_minimised_objective_gives_the_tables_of_the_maximised_one(tmp_path):
    """The toy with sales capped at 4 (as in ``test_extend_caps_a_sale_hand_checked``),
    its objective replaced by ``minimise -profit``: the same tables as maximising
    profit. Objective 4 kt x (200 - 100) USD/t = 0.4 MUSD (chainopt's sense, not
    -0.4); crude at the site worth 100 USD/t (not -100); the cap worth 0.1 MUSD per
    kt/yr (not -0.1). Pyomo's duals are in the active objective's own sense: they
    flipped quietly."""
    def cap(m, built):
        m.sales_cap = pyo.Constraint(expr=m.market.sales["a", "crude", "p1"] <= 4)

    def cap_and_minimise(m, built):
        cap(m, built)
        m.objective.deactivate()
        m.cost = pyo.Objective(expr=-m.objective.expr, sense=pyo.minimize)

    folder = _toy(tmp_path)
    for solver in ("highs", "cbc", "glpk"):
        if solver not in HAVE:
            continue
        opts = SolveOptions(solver=solver)
        most = api.run(folder, save=False, extend=cap, options=opts)
        least = api.run(folder, save=False, extend=cap_and_minimise, options=opts)
        assert least.objective == pytest.approx(0.4, rel=1e-9), solver
        assert least["balances"]["shadow_price_usd_per_unit"].tolist() == pytest.approx(
            [100.0]), solver
        ext = least["extension"].set_index("name")
        assert ext.loc["sales_cap", "marginal"] == pytest.approx(0.1), solver
        for table in ("balances", "purchases", "sales", "constraints"):
            pd_ = pytest.importorskip("pandas")
            pd_.testing.assert_frame_equal(least[table], most[table], atol=1e-9)


def test_mip_bound_is_placed_beyond_the_plan():
    """A MIP's bound lies beyond the incumbent z (>= z when maximising). CBC gave
    "best possible -3757.6424" (its minimising sense) for a maximum with z = 3481.82:
    negated, 3757.6424, a gap of (3757.6424 - 3481.82) / 3481.82 = 7.92 % (it said
    207.9 %). With a loss z = -3239.72, -3000 and 3000 both lie beyond z: CBC's sense
    cannot be told, no bound (HiGHS's is taken at its word). A bound short of z either
    way is none."""
    from chainopt.solve import _mip_bound

    bound, how = _mip_bound("cbc", -3757.6424, 3481.82, True)
    assert bound == 3757.6424 and "negated" in how
    assert (bound - 3481.82) / 3481.82 == pytest.approx(0.0792, abs=1e-4)
    assert _mip_bound("cbc", 3757.6424, 3481.82, True) == (3757.6424, "the solver's")
    assert _mip_bound("cbc", 3757.6424, -3239.72, True)[0] == 3757.6424  # -3757 is short
    assert _mip_bound("cbc", -3757.6424, -3239.72, True)[0] == 3757.6424
    assert _mip_bound("cbc", -3000.0, -3239.72, True)[0] is None
    assert _mip_bound("highs", -3000.0, -3239.72, True)[0] == -3000.0
    assert _mip_bound("cbc", 90.0, 100.0, False) == (90.0, "the solver's")  # a minimum
    assert _mip_bound("glpk", 3000.0, 3481.82, True)[0] is None
    assert _mip_bound("cbc", None, 3481.82, True)[0] is None


def test_cbc_stopped_at_a_limit_reports_a_gap_beyond_its_plan(monkeypatch):
    """CBC stopped at its node limit (maxNodes 0, cuts off: deterministic) with the
    optimal plan of petchem_investment and its root bound: the bound lies between the
    MIP's optimum (HiGHS, 3481.818) and the LP relaxation's (HiGHS --relax), and the
    gap is (bound - z) / z, 7.9 % (it was 207.9 %: the bound read in CBC's minimising
    sense, -3757.64)."""
    if "cbc" not in HAVE:
        pytest.skip("cbc is not installed")
    import chainopt.solve as solve

    real = solve._solver_options
    monkeypatch.setattr(solve, "_solver_options", lambda name, o, integers: {
        **real(name, o, integers), "maxNodes": 0, "cuts": "off"})
    case = api.load_case(str(ROOT / "examples" / "petchem_investment"))
    best = api.solve(api.build_model(case)).objective
    relaxed = SolveOptions(relax=True)
    top = api.solve(api.build_model(case, relaxed), relaxed).objective
    opts = SolveOptions(solver="cbc")
    out = api.solve(api.build_model(case, opts), opts)
    assert out.status == "feasible" and out.info["model_status"] == "maxEvaluations"
    assert out.objective == pytest.approx(best, rel=1e-6)
    bound = out.info["mip_bound"]
    assert best <= bound <= top + 1e-3
    assert out.mip_gap == pytest.approx((bound - out.objective) / out.objective, rel=1e-12)
    assert out.mip_gap == pytest.approx(0.0792, abs=1e-3)


def test_glpk_stopped_at_its_gap_gives_its_plan(tmp_path):
    """GLPK stops a MIP at the gap asked for (1 %) with status 'feasible' (Pyomo's name
    for a plan not proven optimal): that plan is reported, optimal within the gap as
    HiGHS says, with the gap (bound - z) / z read from GLPK's log (its bound at least
    the optimum 3481.818 found by HiGHS). It was 'without a usable plan' (exit 4)."""
    if "glpk" not in HAVE:
        pytest.skip("glpk is not installed")
    case = api.load_case(str(ROOT / "examples" / "petchem_investment"))
    best = api.solve(api.build_model(case)).objective
    opts = SolveOptions(solver="glpk", mip_gap=0.01)
    out = api.solve(api.build_model(case, opts), opts)
    assert out.info["model_status"] == "feasible" and out.status == "optimal"
    assert best * (1 - 0.01) <= out.objective <= best * (1 + 1e-9)
    bound = out.info["mip_bound"]
    assert bound >= best - 1e-6
    assert out.mip_gap == pytest.approx((bound - out.objective) / out.objective, rel=1e-12)
    assert out.mip_gap <= 0.01


@pytest.mark.parametrize("source", SMALL)
def test_cbc_objective_is_the_one_cbc_reports(source):
    """CBC 2.10 writes its plan with 8 significant digits (``%15.8g``; no option writes
    more), so the objective recomputed from it was off by up to 2.2e-4 MUSD
    (petchem_investment: 3481.818494 for the optimum 3481.818279). CBC's own objective
    (8 decimals) is taken: within 1e-7 MUSD of HiGHS's on each small case."""
    if "cbc" not in HAVE:
        pytest.skip("cbc is not installed")
    case = api.load_case(str(ROOT / source) if "/" in source else source)
    best = api.solve(api.build_model(case)).objective
    opts = SolveOptions(solver="cbc")
    assert abs(api.solve(api.build_model(case, opts), opts).objective - best) < 1e-7


@pytest.mark.parametrize("solver", ["highs", "cbc", "glpk"])
def test_a_nonlinear_extension_is_refused_naming_its_component(tmp_path, solver):
    """The toy with sales x purchase <= 50 (degree 2), a quadratic penalty -0.01 sales^2
    on the objective, or exp(v) <= sales in a block of one's own: HiGHS through Pyomo
    raised appsi's DegreeError ("does not support expressions of degree None"), CBC and
    GLPK Pyomo's InvalidConstraintError from its LP writer, a traceback that named no
    way out. Now an InputError (exit 1) before the solve, naming the component, what
    it is, and what to do: keep it linear, or a solver for nonlinear terms."""
    if solver not in HAVE:
        pytest.skip(f"{solver} is not installed")

    def product(m, built):
        m.quad = pyo.Constraint(expr=m.market.sales["a", "crude", "p1"]
                                * m.supply.purchase["a", "crude", "p1"] <= 50)

    def penalty(m, built):
        s = m.market.sales["a", "crude", "p1"]
        m.objective.expr = m.objective.expr - 0.01 * s * s

    def curve(m, built):
        m.mine = pyo.Block()
        m.mine.v = pyo.Var(bounds=(0, 5))
        m.mine.c = pyo.Constraint(expr=pyo.exp(m.mine.v) <= m.market.sales["a", "crude", "p1"])

    folder = _toy(tmp_path)
    for extend, what in ((product, "constraint 'quad' is quadratic (degree 2)"),
                         (penalty, "objective 'objective' is quadratic (degree 2)"),
                         (curve, "constraint 'mine.c' is nonlinear")):
        with pytest.raises(InputError) as exc:
            api.run(folder, save=False, extend=extend, options=SolveOptions(solver=solver))
        text = str(exc.value)
        assert exc.value.exit_code == 1 and f"extend: {what}" in text
        assert f"(here: {solver}) take linear terms only: keep the term linear" in text


@pytest.mark.parametrize("solver", ["highs", "cbc", "glpk"])
def test_a_product_a_zero_parameter_switches_off(tmp_path, solver):
    """A quadratic term switched off by its parameter: q x sales x sales <= 50 with q a
    mutable Param of 0 reads 0 <= 50 and changes nothing, so the toy keeps 10 kt x (200 -
    100) USD/t = 1.0 MUSD. Pyomo's polynomial degree counts q at its value (0: degree 0),
    and CBC and GLPK, through Pyomo's LP writer, solve it so; appsi's HiGHS reads the
    expression as written and raised its DegreeError ('does not support expressions of
    degree None', a traceback) past the check. Now refused by name there, as the
    nonlinear terms are."""
    if solver not in HAVE:
        pytest.skip(f"{solver} is not installed")

    def switched_off(m, built):
        m.q = pyo.Param(mutable=True, initialize=0.0)
        s = m.market.sales["a", "crude", "p1"]
        m.quad = pyo.Constraint(expr=m.q * s * s <= 50)

    def run():
        return api.run(_toy(tmp_path), save=False, extend=switched_off,
                       options=SolveOptions(solver=solver))

    if solver != "highs":
        assert run().objective == pytest.approx(1.0, rel=1e-7)
        return
    with pytest.raises(InputError) as exc:
        run()
    assert exc.value.exit_code == 1
    assert ("extend: constraint 'quad' is nonlinear as written (a product of variables, "
            "though a parameter or fixed variable of value 0 may make it vanish)"
            ) in str(exc.value)


@pytest.mark.parametrize("source", SMALL)
def test_cbc_plan_meets_every_row_to_its_stated_precision(source):
    """CBC 2.10 writes each value with 8 significant digits (``%15.8g``): x = d.ddddddd
    x 10^e is off by at most half a unit of its 8th digit, 0.5 x 10^(e-7) <= 5e-8 |x|.
    A row sum_j a_ij x_j then moves by at most 5e-8 sum_j |a_ij x_j| from CBC's own plan,
    which meets it to CBC's primal tolerance 1e-7: every row lies within its bounds to
    5e-8 sum_j |a_ij x_j| + 1e-7 (the README's stated tolerance; a balance of 15,200
    kt/yr of crude at small_chain is met to 3.9e-5, well inside 7.6e-4), and the
    ``npv_`` parts, made from the plan, add up to CBC's own objective to 5e-8 sum_j
    |c_j x_j| + 1e-7 MUSD. An absolute 1e-6, as the invariant tests use on HiGHS's
    plans, does not hold (petchem_investment: 1e-4 on a balance, 2.2e-4 MUSD on the
    parts)."""
    if "cbc" not in HAVE:
        pytest.skip("cbc is not installed")
    case = api.load_case(str(ROOT / source) if "/" in source else source)
    opts = SolveOptions(solver="cbc")
    built = api.build_model(case, opts)
    out = api.solve(built, opts)
    a, x = built.arrays, out.col_value
    m = a.matrix
    rows = np.repeat(np.arange(built.num_rows), np.diff(m.indptr))
    size = np.bincount(rows, weights=np.abs(m.data * x[m.indices]), minlength=built.num_rows)
    short = np.maximum(np.maximum(out.row_value - a.row_ub, a.row_lb - out.row_value), 0.0)
    assert (short <= 5e-8 * size + 1e-7).all()
    res = api.extract_results(built, out)
    k = res["kpis"]
    parts = k[k["kpi"].str.startswith("npv_")]["value"].sum()
    assert abs(parts - res.objective) <= 5e-8 * float(np.abs(a.cost * x).sum()) + 1e-7


def test_cbc_rounding_is_not_reported_as_the_extensions_value():
    """small_chain with the README's cap (at most 10 kt/yr of PP sold at ru_dom): a
    constraint, no objective term, so ``npv_extension`` is 0. Through CBC it was 1.1e-4
    MUSD: the objective minus chainopt's parts, i.e. the difference between CBC's own
    objective (8 decimals) and the value of its plan rounded to 8 digits. Now the
    extension's terms are the active objective minus chainopt's terms, both at the plan:
    0; the parts add up to CBC's objective within its rounding (README)."""
    if "cbc" not in HAVE:
        pytest.skip("cbc is not installed")

    def cap(m, built):
        m.pp_cap = pyo.Constraint(built.case.meta.period_names,
                                  rule=lambda m, t: m.market.sales["ru_dom", "pp", t] <= 10)

    res = api.run("small_chain", save=False, extend=cap, options=SolveOptions(solver="cbc"))
    kp = res["kpis"].set_index("kpi")["value"]
    assert kp["npv_extension"] == 0.0
    parts = kp[kp.index.str.startswith("npv_")].sum()
    assert parts == pytest.approx(res.objective, abs=1e-3)


@pytest.mark.parametrize("solver", ["highs", "cbc", "glpk"])
def test_a_mip_through_pyomo_reports_the_fixed_lp_and_its_parts(tmp_path, solver):
    """The fixed-charge cost case (hard demand 12 kt/yr of product, made 1:1 from feed at
    100 USD/t on a unit built at 100 USD per t/yr plus a 1 MUSD fixed charge): the MIP
    builds 12 with the flag at 1, total cost 12 x 100 / 1000 (feed) + 12 x 100 / 1000
    (capacity) + 1 = 3.4 MUSD, which the ``cost_`` parts (supply 1.2, capex 2.2) add up
    to. The marginal values are those of the LP with the flag fixed at 1: one more t/yr
    of product costs 100 of feed + 100 of capacity = 200 USD/t (the LP relaxation's,
    with the flag at 12 / 20 and 1 MUSD / 20 kt = 50 USD/t more, would be 250), the
    capacity row worth 100 USD per t/yr. The same with each solver through Pyomo."""
    if solver not in HAVE:
        pytest.skip(f"{solver} is not installed")
    res = api.run(fixed_charge_cost_case(tmp_path / "fc"), save=False,
                  options=SolveOptions(solver=solver))
    assert res.manifest["is_mip"] is True and res.manifest["solve_path"] == "pyomo"
    assert res.objective == pytest.approx(3.4, abs=1e-9)
    kp = res["kpis"].set_index("kpi")["value"]
    parts = kp[kp.index.str.startswith("cost_")]
    assert parts.sum() == pytest.approx(res.objective, abs=1e-9)
    assert (parts["cost_supply"], parts["cost_capex"]) == pytest.approx((1.2, 2.2), abs=1e-9)
    bal = res["balances"].set_index("commodity")["shadow_price_usd_per_unit"]
    assert (bal["feed"], bal["product"]) == pytest.approx((100.0, 200.0), abs=1e-6)
    cap = res["constraints"].set_index("family")["marginal_value"]
    assert cap["conversion.capacity_max"] == pytest.approx(100.0, abs=1e-6)


def test_an_extension_with_an_integer_variable_is_a_mip(tmp_path):
    """The licence toy (a user binary in a model with none of chainopt's): solved as a
    MIP, with a gap and the plan of the LP with the licence fixed, so the manifest
    says ``is_mip: true`` (it said false)."""
    def licence(m, built):
        m.licence = pyo.Var(domain=pyo.Binary)
        m.licensed = pyo.Constraint(expr=m.market.sales["a", "crude", "p1"] <= 10 * m.licence)

    res = api.run(_toy(tmp_path), save=False, extend=licence)
    assert res.manifest["is_mip"] is True
    assert res.manifest["mip_gap"] == pytest.approx(0.0, abs=1e-9)
    assert api.run(_toy(tmp_path), save=False).manifest["is_mip"] is False


def test_the_objective_parts_add_up_after_extend(tmp_path):
    """The licence toy: revenue 10 kt x 200 USD/t = 2.0 MUSD, supply 10 x 100 = -1.0,
    and the licence's -0.3, which is the extension's: ``npv_extension`` = 0.7 - (2.0
    - 1.0) = -0.3, and the ``npv_`` parts add up to the objective 0.7 (they added up
    to 1.0, with no row for the licence)."""
    def licence(m, built):
        m.licence = pyo.Var(domain=pyo.Binary)
        m.licensed = pyo.Constraint(expr=m.market.sales["a", "crude", "p1"] <= 10 * m.licence)
        m.objective.expr = m.objective.expr - 0.3 * m.licence

    res = api.run(_toy(tmp_path), save=False, extend=licence)
    kp = res["kpis"].set_index("kpi")["value"]
    parts = kp[kp.index.str.startswith("npv_")]
    assert kp["npv_extension"] == pytest.approx(-0.3, abs=1e-9)
    assert parts.drop("npv_extension").sum() == pytest.approx(1.0, abs=1e-9)
    assert parts.sum() == pytest.approx(res.objective, abs=1e-9)
    assert res.objective == pytest.approx(0.7, abs=1e-9)
    assert "npv_extension" not in set(api.run(_toy(tmp_path), save=False)["kpis"]["kpi"])


def test_relax_relaxes_an_extensions_integer_variables_too(tmp_path):
    """The toy (10 kt/yr of crude bought at 100 USD/t, sold at 200) with a user's binary
    licence: sales <= 40 x licence, the licence costing 0.3 MUSD. MIP: licence 1, 10 kt x
    100 USD/t - 0.3 = 0.7 MUSD. LP relaxation (every integer decision continuous): the
    licence need only be 10 / 40 = 0.25, 1.0 - 0.25 x 0.3 = 0.925 MUSD, an LP
    (``is_mip`` false) with one decision relaxed. ``--relax`` relaxed chainopt's
    integer columns before the extension was added, so the licence stayed binary: 0.7,
    ``relaxed`` 0 and ``is_mip`` true, reported as the LP relaxation."""
    def licence(m, built):
        m.licence = pyo.Var(domain=pyo.Binary)
        m.licensed = pyo.Constraint(expr=m.market.sales["a", "crude", "p1"] <= 40 * m.licence)
        m.objective.expr = m.objective.expr - 0.3 * m.licence

    folder = _toy(tmp_path)
    assert api.run(folder, save=False, extend=licence).objective == pytest.approx(0.7, abs=1e-9)
    res = api.run(folder, save=False, extend=licence, options=SolveOptions(relax=True))
    assert res.objective == pytest.approx(0.925, abs=1e-9)
    assert res["extension"].set_index("name").loc["licence", "value"] == pytest.approx(0.25)
    assert res.manifest["relaxed"] == 1 and res.manifest["is_mip"] is False
    assert "lp_relaxation" in set(res["kpis"]["kpi"])


@pytest.mark.parametrize("name", ["dual", "rc"])
def test_a_component_named_like_a_solver_suffix_is_refused(tmp_path, name):
    """The toy (10 kt/yr at most, bought at 100 USD/t, sold at 200) with the cap
    ``sales <= 4`` named ``dual`` (or ``rc``): capped, 4 kt x 100 USD/t = 0.4 MUSD. A solve
    replaces a component of that name by the suffix the solver's duals (reduced costs)
    are read into, so the cap was dropped without a word: 10 x 100 = 1.0 MUSD, sales 10.
    Now refused, naming the component."""
    def cap(m, built):
        m.add_component(name, pyo.Constraint(expr=m.market.sales["a", "crude", "p1"] <= 4))

    with pytest.raises(InputError, match=f"'{name}' \\(Constraint\\) has the name of the "
                       "suffix") as exc:
        api.run(_toy(tmp_path), save=False, extend=cap)
    assert exc.value.exit_code == 1


def test_replacing_or_removing_a_component_of_chainopt_is_refused(tmp_path):
    """``m.market = ...`` (Pyomo only warns) detaches chainopt's sales variables from the
    model: the solve stopped with a bare ``KeyError`` of an object id. Replacing
    ``m.objective`` by assignment solved, but the new objective was no component of the
    extension (``extension`` [], no row in extension.csv). Both, and a removed block, are
    refused naming the component (exit 1)."""
    def market(m, built):
        m.market = pyo.Var()

    def objective(m, built):
        m.objective = pyo.Objective(expr=m.objective.expr - 0.05 * m.supply.purchase[
            "a", "crude", "p1"], sense=pyo.maximize)

    def removed(m, built):
        m.del_component("supply")

    folder = _toy(tmp_path)
    for fn, name in ((market, "market"), (objective, "objective"), (removed, "supply")):
        with pytest.raises(InputError, match=f"chainopt's component '{name}' was replaced "
                           "or removed") as exc:
            api.run(folder, save=False, extend=fn)
        assert exc.value.exit_code == 1


def test_components_added_by_hand_are_reported_as_an_extension(tmp_path):
    """The toy with, added to ``built.pyomo`` by hand (no ``extend``), the cap ``sales
    <= 4`` and a charge of 0.1 MUSD in the objective: 4 kt x (200 - 100) USD/t - 0.1 =
    0.3 MUSD. Reported as ``extend`` reports it: ``npv_extension`` = 0.3 - (0.8 - 0.4) =
    -0.1 so that the parts add up to 0.3 (they added up to 0.4), the cap in the
    ``extension`` table worth 0.1 MUSD per kt/yr (no table), and no ranging of
    chainopt's LP without the cap (its 3 rows said the sales price could fall to 100
    USD/t with sales at 4)."""
    built = api.build_model(api.load_case(_toy(tmp_path)))
    m = built.pyomo
    m.cap = pyo.Constraint(expr=m.market.sales["a", "crude", "p1"] <= 4)
    m.objective.expr = m.objective.expr - 0.1
    out = api.solve(built)
    res = api.extract_results(built, out)
    assert res.objective == pytest.approx(0.3, abs=1e-9)
    kp = res["kpis"].set_index("kpi")["value"]
    assert kp["npv_extension"] == pytest.approx(-0.1, abs=1e-9)
    assert kp[kp.index.str.startswith("npv_")].sum() == pytest.approx(0.3, abs=1e-9)
    ext = res["extension"].set_index("name")
    assert ext.loc["cap", "marginal"] == pytest.approx(0.1)
    assert len(res["ranging"]) == 0
    assert res.manifest["solver_info"]["extension"] == ["cap"]


def test_a_solve_through_pyomo_adds_no_extension():
    """The ``dual``/``rc`` suffixes a Pyomo solve adds are chainopt's own: solving the
    same built model again without a solver named takes the matrix path (it went through
    Pyomo again, as if extended)."""
    built = api.build_model(api.load_case("small_chain"), SolveOptions(solver="highs"))
    first = api.solve(built, SolveOptions(solver="highs"))
    again = api.solve(built)
    assert again.info["path"] == "matrix"
    assert again.objective == pytest.approx(first.objective, rel=1e-9)


def test_an_extended_run_is_not_reused_as_the_case(tmp_path):
    """An extended run of the toy saved where the case's own run goes (``out/toy``):
    sales capped at 4, 4 kt x (200 - 100) USD/t = 0.4 MUSD. The case itself makes 10 x
    100 = 1.0 MUSD; ``compare`` and ``run A B`` (``reuse``) took the folder for the
    case's run and reported 0.4, an answer of a model the case alone does not make. Now
    the case is solved again (1.0) and the folder is said to hold an extended run (and
    kept: not replaced without --overwrite)."""
    def cap(m, built):
        m.cap = pyo.Constraint(expr=m.market.sales["a", "crude", "p1"] <= 4)

    folder = _toy(tmp_path)
    api.run(folder, out=tmp_path / "out", extend=cap)
    (done,) = api.run_many([str(folder)], out=tmp_path / "out", reuse=True)
    assert done.status == "solved"
    assert done.results.objective == pytest.approx(1.0, abs=1e-9)
    assert "extended through Pyomo (added: cap)" in done.note
    kept = json.loads((tmp_path / "out" / "toy" / "manifest.json").read_text())
    assert kept["objective"] == pytest.approx(0.4, abs=1e-9)


def test_verify_refuses_an_extended_run(tmp_path):
    """``verify`` re-runs the case from its source, without the extension: on the capped
    toy (0.4 MUSD; the case alone 1.0) it said "results differ ... 19 differences"
    (exit 5: the answer changed with the model, solver or a dependency), which is
    false. Now it says the run was extended and cannot be replayed (exit 1)."""
    def cap(m, built):
        m.cap = pyo.Constraint(expr=m.market.sales["a", "crude", "p1"] <= 4)

    api.run(_toy(tmp_path), out=tmp_path / "out", extend=cap)
    with pytest.raises(InputError, match=r"extended through Pyomo \(added: cap\).*cannot "
                       "re-run the extension") as exc:
        api.verify(tmp_path / "out" / "toy")
    assert exc.value.exit_code == 1
    done = CliRunner().invoke(app, ["verify", str(tmp_path / "out" / "toy")])
    assert done.exit_code == 1 and "cannot re-run the extension" in done.output


def test_explain_names_the_binding_constraints_of_an_extension(tmp_path):
    """The toy capped by an extension at 4 kt/yr of sales: one more kt/yr of room is
    one more kt sold at a margin of 200 - 100 USD/t, 0.1 MUSD a year (weight 1). explain
    said "No constraint binds with a value: the plan is shaped by prices and costs
    alone"; it now names the cap and its value."""
    def cap(m, built):
        m.cap = pyo.Constraint(expr=m.market.sales["a", "crude", "p1"] <= 4)

    api.run(_toy(tmp_path), out=tmp_path / "out", extend=cap)
    text = "\n".join(api.explain(str(tmp_path / "out" / "toy")))
    assert ("extension constraint cap binds at 4: raising its bound by one changes the "
            "objective by 0.1 MUSD (NPV)") in text
    assert "No constraint binds" not in text


def test_cbc_bound_of_an_optimal_loss_is_read_in_the_sense_its_status_allows(tmp_path):
    """A cost case (maximising -cost) solved to optimality by CBC: z = -3.4, "best
    possible" -3.4. Both -3.4 and 3.4 lie beyond z, so the values alone cannot tell CBC's
    sense; but CBC says optimal, i.e. its bound lies within the gap asked (1e-4 x 3.4)
    of z, which only -3.4 does (3.4 is 6.8 away). So the bound is -3.4 and the gap 0 (it
    was none: mip_gap empty and compare's NPV range unknown for every project). A bound
    from a solve stopped short (no status to go by) stays unavailable."""
    from chainopt.solve import _mip_bound

    assert _mip_bound("cbc", -3.4, -3.4, True, within=1e-4)[0] == -3.4
    assert _mip_bound("cbc", 3.4, -3.4, True, within=1e-4)[0] == -3.4
    assert _mip_bound("cbc", -3.4, -3.4, True)[0] is None
    assert _mip_bound("cbc", -3000.0, -3239.72, True, within=1e-4)[0] is None  # neither
    if "cbc" not in HAVE:
        return
    folder = write_case(tmp_path / "cost", {
        "commodities": "commodity,unit,kind\nfeed,t,raw\nproduct,t,product",
        "sites": "site\nplant", "modes": "mode,process\nrun,p",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,feed,in,1\n"
                      "run,product,out,1",
        "units": "unit,site,process,capacity_k_per_yr,capex_usd_per_unit_yr,"
                 "max_new_k_per_yr,build_fixed_musd,lifetime_yr\nu,plant,p,0,100,20,1,1",
        "supplies": "site,commodity,cost_usd_per_unit\nplant,feed,100",
        "demand": "site,commodity,amount_k_per_yr\nplant,product,12",
    }, objective="cost")
    res = api.run(folder, save=False, options=SolveOptions(solver="cbc"))
    assert res.objective == pytest.approx(3.4, abs=1e-6)  # 1.2 + 1.2 + 1 (hand)
    assert res.manifest["mip_gap"] == pytest.approx(0.0, abs=1e-9)
    assert res.net_value_bound == pytest.approx(-3.4, abs=1e-6)
