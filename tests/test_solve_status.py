"""Solver statuses map to outcomes and errors (exit codes in DESIGN.md)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from chainopt import api, solve
from chainopt.errors import InfeasibleError, SolverError, UnboundedError
from chainopt.solve import SolveOptions
from tests.toycase import fixed_charge_cost_case, write_case

#: HiGHS's own MIP settings, where chainopt's differ (solve.MIP_SETTINGS, the root
#: reduced-cost heuristic: solve.ROOT_REDUCED_COST_FROM), stated here, not read from them
HIGHS_OWN_MIP_SETTINGS = {"mip_heuristic_run_rins": True, "mip_heuristic_run_rens": True,
                          "mip_allow_restart": True,
                          "mip_heuristic_run_root_reduced_cost": True}


def _highs_own_mip_settings(monkeypatch) -> None:
    """Solve MIPs with :data:`HIGHS_OWN_MIP_SETTINGS`: ru_all_projects' MIP then takes
    about 1.7 s, long enough for a signal sent halfway to come in the middle of HiGHS's
    work (with chainopt's settings it takes 0.06 s)."""
    monkeypatch.setattr(solve, "MIP_SETTINGS", {key: True for key in solve.MIP_SETTINGS})
    monkeypatch.setattr(solve, "ROOT_REDUCED_COST_FROM", 0)

COMMODITIES = "commodity,unit,kind\ncrude,t,raw\n"


def test_time_limit_without_a_plan_is_a_solver_error(tmp_path):
    """The message names the method used and suggests the other one, as `run` takes it
    and as every command does (case.yaml: sweep, sensitivity and compare, which solve
    too, have no --method; it told them to use one)."""
    built = api.build_model(api.load_case("small_chain"))
    with pytest.raises(SolverError, match="Time limit") as exc:
        api.solve(built, SolveOptions(time_limit_s=1e-9))
    assert exc.value.exit_code == 4
    text = " ".join(str(exc.value).split())
    assert "(simplex)" in text and ("try method ipm (chainopt run --method ipm; for every "
                                    "command, method: ipm under solver: in case.yaml)") in text
    with pytest.raises(SolverError, match=r"\(ipm\).*try method simplex"):
        api.solve(built, SolveOptions(time_limit_s=1e-9, method="ipm"))


def test_auto_is_dual_simplex_and_ipm_reaches_the_same_optimum():
    """``auto`` is dual simplex at any size (interior point was its choice from 100,000
    columns on, until ten generated chains of 100k to 1M columns were solved 2.1 to 4.7
    times faster by dual simplex, to the same optima: README, *Big cases and the solver
    method*): the solve makes simplex iterations only. ``--method ipm`` makes interior
    point and crossover iterations and ends at the same objective."""
    case = api.load_case("small_chain")
    for size in (10, 99_999, 100_000, 2_000_000):  # no threshold: a model's size alone
        big = SimpleNamespace(case=case, num_vars=size, is_mip=False, relaxed=0)
        assert SolveOptions().resolved(big)["method"] == "simplex", size
    built = api.build_model(case)
    auto = api.solve(built)
    assert auto.options["method"] == "simplex"
    assert auto.info["simplex_iterations"] > 0 and auto.info["ipm_iterations"] == 0
    assert solve.highs_options(auto.options)["solver"] == "simplex"
    ipm = api.solve(built, SolveOptions(method="ipm"))
    assert ipm.options["method"] == "ipm" and ipm.info["ipm_iterations"] > 0
    assert ipm.objective == pytest.approx(auto.objective, rel=1e-9)


def test_time_limit_writes_nothing(tmp_path):
    with pytest.raises(SolverError):
        api.run("small_chain", out=tmp_path, options=SolveOptions(time_limit_s=1e-9))
    assert list(tmp_path.iterdir()) == []


def test_unbounded_case_is_reported(tmp_path):
    """Unlimited supply at 100, an uncapped link and unlimited sales at 200: the margin
    grows forever (at one site validation refuses it before solving)."""
    folder = write_case(tmp_path, {
        "commodities": COMMODITIES, "sites": "site\na\nb",
        "supplies": "site,commodity,cost_usd_per_unit\na,crude,100",
        "links": "link,from_site,to_site,commodities\nab,a,b,crude",
        "markets": "site,commodity,price_usd_per_unit\nb,crude,200",
    })
    with pytest.raises(UnboundedError, match="unbounded") as exc:
        api.solve(api.build_model(api.load_case(folder)))
    assert exc.value.exit_code == 3


def test_hard_floor_out_of_reach_is_infeasible(tmp_path):
    folder = write_case(tmp_path, {
        "commodities": COMMODITIES, "sites": "site\na",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\na,crude,100,10",
        "markets": "site,commodity,price_usd_per_unit,min_k_per_yr\na,crude,200,50",
    }, demand_floors="hard")
    with pytest.raises(InfeasibleError, match="chainopt explain") as exc:
        api.solve(api.build_model(api.load_case(folder)))
    assert exc.value.exit_code == 3


def test_pyomo_model_holds_the_solution():
    """The Pyomo model is real: its blocks, constraint families and variable values (a
    matrix solve loads its values into the Pyomo model once that has been built)."""
    built = api.build_model(api.load_case("small_chain"))
    m = built.pyomo
    out = api.solve(built)
    assert out.info["path"] == "matrix"
    fam = built.lp.family("conversion.activity")
    assert len(m.conversion.activity) == fam.stop - fam.start
    assert len(m.conversion.capacity_max) == len(built.index.unit_cap)
    first = tuple(fam.keys.iloc[0])
    assert m.conversion.activity[first].value == pytest.approx(out.col_value[fam.start])
    import pyomo.environ as pyo

    assert pyo.value(m.objective) == pytest.approx(out.objective, rel=1e-9)


def test_runs_after_a_diagnosis_in_one_process():
    """HiGHS's thread pool is per process: a diagnosis (HiGHS's default threads) first in
    a fresh process, then a run (one thread), must not make the run fail."""
    import subprocess
    import sys

    for options in ("None", "SolveOptions(solver='highs')"):
        code = ("from chainopt import api; from chainopt.solve import SolveOptions; "
                f"api.explain('small_chain'); print(api.run('small_chain', save=False, "
                f"options={options}).objective)")
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-2000:]
        assert float(done.stdout.split()[-1]) == pytest.approx(7784.9398710, rel=1e-9)


def test_solve_time_is_the_time_highs_took():
    """``solve_s`` is HiGHS's own time: positive and within the wall time of the call."""
    import time

    built = api.build_model(api.load_case("ru_eastwest"))
    t0 = time.perf_counter()
    out = api.solve(built)
    wall = time.perf_counter() - t0
    assert 0 < out.timings["solve_s"] <= wall


def test_ctrl_c_stops_the_solve_at_once(tmp_path):
    """Ctrl-C during a solve (here ``interrupt_main``, which acts as the signal does)
    stops HiGHS at once, not when it would have finished: KeyboardInterrupt is raised
    after HiGHS has stopped, sooner than the whole solve takes, and the same instance
    then solves normally again. (Before, the interrupt waited for HiGHS: 25 s at 300k.)"""
    import _thread
    import threading
    import time

    import highspy

    from benchmarks.generate import generate_case
    from chainopt.solve import run_interruptible

    case = generate_case(tmp_path / "case", sites=120, units_per_site=8, commodities=30,
                         periods=4, seed=1)
    h = api.build_model(api.load_case(case)).solver
    t0 = time.perf_counter()
    run_interruptible(h)
    full = time.perf_counter() - t0
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    h = api.build_model(api.load_case(case)).solver
    timer = threading.Timer(0.02, _thread.interrupt_main)
    timer.start()
    t0 = time.perf_counter()
    try:
        with pytest.raises(KeyboardInterrupt):
            run_interruptible(h)
    finally:
        timer.cancel()
    assert time.perf_counter() - t0 < full
    assert h.getModelStatus() == highspy.HighsModelStatus.kInterrupt
    run_interruptible(h)
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal


def _plant(tmp_path):
    """Feed at 100 USD/t made 1:1 into product sold at 300 USD/t (at most 12 kt/yr) by a
    unit built for it: 100 USD per t/yr, a 1 MUSD fixed charge (one binary), at most 20
    kt/yr, life 1 year; one 1-year period, rate 0. Optimum: build 12 and sell 12, 12 x
    (300 - 100 - 100) / 1000 - 1 = 0.2 MUSD. Its LP relaxation builds 12 with the flag
    at 12 / 20 = 0.6: 3.6 - 1.2 - 1.2 - 0.6 = 0.6 MUSD, a bound on the MIP."""
    return write_case(tmp_path / "plant", {
        "commodities": "commodity,unit,kind\nfeed,t,raw\nproduct,t,product",
        "sites": "site\nplant",
        "modes": "mode,process\nrun,p",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,feed,in,1\n"
                      "run,product,out,1",
        "units": "unit,site,process,capacity_k_per_yr,capex_usd_per_unit_yr,"
                 "max_new_k_per_yr,build_fixed_musd,lifetime_yr\nu,plant,p,0,100,20,1,1",
        "supplies": "site,commodity,cost_usd_per_unit\nplant,feed,100",
        "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\nplant,product,300,12",
    })


# a poor plan: the unit built at 20 kt/yr (flag 1), 5 kt/yr made and sold: 5 x 300 / 1000
# - 5 x 100 / 1000 - 20 x 100 / 1000 - 1 = 1.5 - 0.5 - 2.0 - 1.0 = -2.0 MUSD
POOR = {("supply", "purchase"): 5.0, ("conversion", "activity"): 5.0,
        ("market", "sales"): 5.0, ("investment", "unit_new"): 20.0,
        ("investment", "unit_build"): 1.0}


def _poor_plan(built) -> list[float]:
    x = [0.0] * built.num_vars
    for f in built.lp.var_families:
        for j in range(f.start, f.stop):
            x[j] = POOR[(f.block, f.name)]
    return x


def test_a_mip_stopped_before_any_bound_has_no_gap(tmp_path):
    """HiGHS given the poor plan (-2.0 MUSD) as its start and stopped at once (a time
    limit of 1e-9 s): a plan but no bound yet. Reported: the LP with the flag fixed at 1,
    0.2 MUSD (build 12, sell 12), ``feasible``, the incumbent -2.0 as ``mip_objective``,
    and neither bound nor gap (None: unknown). It recorded HiGHS's infinity for both
    (``Infinity`` in manifest.json, "MIP gap inf%" on the terminal)."""
    import highspy

    built = api.build_model(api.load_case(_plant(tmp_path)))
    opts = SolveOptions(time_limit_s=1e-9)
    h = solve.handover(built, opts)
    start = highspy.HighsSolution()
    start.col_value = _poor_plan(built)
    start.value_valid = True
    h.setSolution(start)
    out = api.solve(built, opts)
    assert out.status == "feasible"
    assert out.info["mip_objective"] == pytest.approx(-2.0, abs=1e-9)
    assert out.objective == pytest.approx(0.2, abs=1e-9)
    assert out.info["mip_bound"] is None and out.mip_gap is None


def test_mip_gap_is_measured_from_the_plan_reported():
    """ru_all_projects stopped at 0.03 s: HiGHS's incumbent 9,446.69 MUSD, its bound
    449,196.34; the LP with those builds fixed, the plan reported, is worth 157,770.85.
    The gap of that plan is (449,196.34 - 157,770.85) / 157,770.85 = 1.847; HiGHS's own,
    from its incumbent, (449,196.34 - 9,446.69) / 9,446.69 = 46.55, was recorded beside
    the objective 157,770.85. Within the gap asked for a stopped MIP is optimal; with no
    bound it stays feasible."""
    assert solve.mip_gap(449196.337, 157770.847) == pytest.approx(1.8471, abs=1e-4)
    assert solve.mip_gap(None, 157770.847) is None
    assert solve.mip_gap(-498.0, -500.0) == pytest.approx(2.0 / 500.0)  # a cost case
    assert solve.mip_status("feasible", 1e-5, 1e-4) == "optimal"
    assert solve.mip_status("feasible", 2e-4, 1e-4) == "feasible"
    assert solve.mip_status("feasible", None, 1e-4) == "feasible"
    assert solve.mip_status("optimal", None, 1e-4) == "optimal"


def test_pyomo_path_reports_the_plan_of_the_fixed_lp(tmp_path, monkeypatch):
    """HiGHS through Pyomo, made to stop (as at a time limit) with the poor plan, -2.0
    MUSD, and the LP relaxation's bound 0.6. The plan reported is the LP with the flag
    fixed at 1, worth 0.2 MUSD, and so is the objective, as on the matrix path (it was
    the incumbent's -2.0 beside a plan whose parts add up to 0.2); its gap is (0.6 - 0.2)
    / 0.2 = 2.0 (it was (0.6 + 2.0) / 2.0 = 1.3), status ``feasible``."""
    from chainopt.models.pyomo_model import columns

    real = solve._run
    calls = []

    def stopped(plugin, opt, m, options, maximize=True):
        calls.append(1)
        if len(calls) > 1:  # the LP with the flag fixed: solved for real
            return real(plugin, opt, m, options, maximize)
        for var, x in zip(columns(m), poor, strict=True):
            var.set_value(x)
        return solve._Run("maxTimeLimit", True, bound=0.6, objective=-2.0)

    monkeypatch.setattr(solve, "_run", stopped)
    opts = SolveOptions(solver="highs")
    built = api.build_model(api.load_case(_plant(tmp_path)), opts)
    poor = _poor_plan(built)
    out = api.solve(built, opts)
    assert out.status == "feasible"
    assert out.objective == pytest.approx(0.2, abs=1e-9)
    assert out.mip_gap == pytest.approx(2.0, abs=1e-9)
    assert out.info["mip_objective"] == pytest.approx(-2.0, abs=1e-9)
    assert out.col_value.tolist() == pytest.approx([12.0, 12.0, 12.0, 12.0, 1.0])


@pytest.mark.parametrize(("limit", "took", "error"), [
    (0.05, 0.06, SolverError), (600.0, 0.0, InfeasibleError)])
def test_infeasible_said_at_the_time_limit_is_no_proof(tmp_path, monkeypatch, limit, took,
                                                       error):
    """CBC 2.10 stopped by its time limit in preprocessing says "Pre-processing says
    infeasible or unbounded" (Pyomo: 'infeasible') of a feasible MIP: ru_all_projects
    with --solver cbc --time-limit 0.01 exited 3, "is infeasible". A solver saying so
    once its limit is spent (here 0.06 s of 0.05) stopped without a plan: exit 4, raise
    the limit. Said well within the limit, it is believed (exit 3)."""
    import time

    def says_infeasible(plugin, opt, m, options, maximize=True):
        time.sleep(took)
        return solve._Run("infeasible", False)

    monkeypatch.setattr(solve, "_run", says_infeasible)
    opts = SolveOptions(solver="highs", time_limit_s=limit)
    built = api.build_model(api.load_case(_plant(tmp_path)), opts)
    with pytest.raises(error) as exc:
        api.solve(built, opts)
    if error is SolverError:
        assert exc.value.exit_code == 4 and "raise --time-limit" in str(exc.value)


def test_a_mip_is_solved_without_sub_mip_heuristics_or_restarts():
    """The default case's all-projects MIP (28 build decisions) solved as chainopt sets
    HiGHS: RINS, RENS, restarts and (fewer than 300 integer columns) the root reduced-cost
    heuristic off, on the matrix hand-over and, by the same options, on Pyomo's. It
    reaches the optimum HiGHS reaches with its own settings, to 1e-9, with less work: 939
    LP iterations in 5 nodes against 4,722 at the root, of which 3,613 were spent in the
    heuristics' 42 sub-MIPs (HiGHS 1.16; 0.06 s against 1.7 s). Only those settings
    differ between the two solves."""
    from pathlib import Path

    case = api.load_case(Path(__file__).parents[1] / "scenarios" / "ru_all_projects.yaml")
    built = api.build_model(case)
    ours = api.solve(built)
    assert ours.status == "optimal" and built.is_mip
    for key in HIGHS_OWN_MIP_SETTINGS:
        assert built.solver.getOptionValue(key)[1] is False, key
    pyomo_options = solve._solver_options("highs", ours.options, 28)
    assert {k: pyomo_options[k] for k in HIGHS_OWN_MIP_SETTINGS} == {
        k: False for k in HIGHS_OWN_MIP_SETTINGS}

    h = solve.handover(api.build_model(case))
    for key, value in HIGHS_OWN_MIP_SETTINGS.items():
        h.setOptionValue(key, value)
    solve.run_highs(h)
    theirs = h.getInfo()
    assert ours.info["mip_objective"] == pytest.approx(theirs.objective_function_value,
                                                       rel=1e-9)
    assert ours.info["simplex_iterations"] < theirs.simplex_iteration_count


def test_the_root_reduced_cost_heuristic_runs_from_300_integer_columns():
    """It pays for itself only on a MIP of some hundreds of integer columns or more (a
    generated MIP of 4,000 binaries: 46 s with it, 60 s without): on from 300 integer
    columns, off below (an LP, 0 integer columns, ignores it), on either hand-over."""
    opts = SolveOptions().resolved_for(api.load_case("small_chain").meta.solver)
    for integers, on in ((0, False), (299, False), (300, True), (4000, True)):
        assert solve.highs_options(opts, integers)[
            "mip_heuristic_run_root_reduced_cost"] is on, integers
        assert solve._solver_options("highs", opts, integers)[
            "mip_heuristic_run_root_reduced_cost"] is on, integers


def test_a_mip_stopped_before_any_plan_is_told_to_raise_the_time_limit(tmp_path):
    """The plant's MIP stopped at once (1e-9 s, no start plan): exit 4, nothing written,
    and the message says to raise --time-limit, not to try --method ipm: HiGHS solves a
    MIP's LPs by dual simplex whatever the method (ru_all_projects: 3,878 simplex
    iterations and no interior point ones with --method simplex and with ipm alike)."""
    for method in ("simplex", "ipm"):
        opts = SolveOptions(time_limit_s=1e-9, method=method)
        with pytest.raises(SolverError, match=r"\(MIP\) before finding a plan; raise "
                                              r"--time-limit") as exc:
            api.run(_plant(tmp_path), out=tmp_path / "out", options=opts)
        assert exc.value.exit_code == 4 and "try method" not in str(exc.value)
    assert not (tmp_path / "out").exists()


def test_several_runs_say_which_stopped_short(monkeypatch):
    """``chainopt run A B``: one status line per run. A run stopped at its time limit
    (``feasible``, gap 1.847 of ru_all_projects at 0.03 s) said only "solved X:
    objective 157,770.8 MUSD", as an optimal one does; it now gives status and gap. An
    optimal run's line is as before."""
    from typer.testing import CliRunner

    from chainopt.batch import RunOutcome
    from chainopt.cli import app
    from chainopt.results import Results

    def fake_many(sources, on_done=None, **kw):
        out = []
        for name, status, gap in (("stopped", "feasible", 1.8471), ("done", "optimal", 0.0)):
            r = Results({}, {"objective": 157770.8, "status": status, "is_mip": True,
                             "mip_gap": gap})
            out.append(RunOutcome(name, name, r, status="solved"))
            on_done(out[-1])
        return out

    monkeypatch.setattr(api, "run_many", fake_many)
    monkeypatch.setattr("chainopt.cli.shortfall_note", lambda results: "")
    res = CliRunner().invoke(app, ["run", "a.yaml", "b.yaml", "--jobs", "1"])
    text = " ".join(res.output.split())
    assert "solved stopped: feasible, MIP gap 184.71%, objective 157,770.8 MUSD" in text
    assert "solved done: objective 157,770.8 MUSD" in text


def test_ctrl_c_stops_a_solve_through_pyomos_highs(tmp_path, monkeypatch):
    """Ctrl-C (``interrupt_main``, as the signal) during a MIP solved by HiGHS through
    Pyomo (appsi): KeyboardInterrupt (exit 130), sooner than the whole solve takes. It
    was raised inside highspy's interrupt callback, which HiGHS ends as a solve error:
    SolverError "stopped with status 'error' ... without a usable plan" (exit 4). The
    MIP is solved with HiGHS's own settings (:func:`_highs_own_mip_settings`), so that
    the signal comes in HiGHS's branch and cut, not in Pyomo's translation before it."""
    import _thread
    import threading
    import time

    _highs_own_mip_settings(monkeypatch)
    opts = SolveOptions(solver="highs")
    from pathlib import Path

    case = api.load_case(Path(__file__).parents[1] / "scenarios" / "ru_all_projects.yaml")
    built = api.build_model(case, opts)
    t0 = time.perf_counter()
    api.solve(built, opts)
    full = time.perf_counter() - t0
    built = api.build_model(case, opts)
    timer = threading.Timer(full / 2, _thread.interrupt_main)
    timer.start()
    t0 = time.perf_counter()
    try:
        with pytest.raises(KeyboardInterrupt):
            api.solve(built, opts)
    finally:
        timer.cancel()
    assert time.perf_counter() - t0 < full


def test_verify_refuses_a_run_stopped_at_its_time_limit(tmp_path):
    """The plant stopped at once with the poor start plan: a ``feasible`` run (the LP
    with the flag fixed, 0.2 MUSD). ``chainopt verify`` re-ran it with the recorded
    1e-9 s limit, which stops wherever the clock lets it: "HiGHS stopped ... raise
    --time-limit" (exit 4; verify has no such option), or other tables (exit 5). Now it
    is refused before solving, exit 1: nothing to verify against; solve to optimality."""
    import highspy
    from typer.testing import CliRunner

    from chainopt.cli import app

    case = api.load_case(_plant(tmp_path))
    built = api.build_model(case)
    opts = SolveOptions(time_limit_s=1e-9)
    start = highspy.HighsSolution()
    start.col_value = _poor_plan(built)
    start.value_valid = True
    solve.handover(built, opts).setSolution(start)
    res = api.extract_results(built, api.solve(built, opts))
    assert res.manifest["status"] == "feasible"
    res.manifest["source"] = str(tmp_path / "plant")
    folder = res.save(tmp_path / "out" / "plant")
    out = CliRunner().invoke(app, ["verify", str(folder)])
    assert out.exit_code == 1, out.output
    text = " ".join(out.output.split())
    assert "status 'feasible'" in text and "solve it to optimality" in text


def test_sigterm_stops_the_solve_at_once(tmp_path, monkeypatch):
    """SIGTERM (a cancelled CI job) with the CLI's handler, which raises
    KeyboardInterrupt: sent halfway through ru_all_projects' MIP (solved with HiGHS's own
    settings, :func:`_highs_own_mip_settings`: about 1.7 s), the solve stops sooner than it
    takes whole, as for Ctrl-C (the README: SIGTERM does the same). It was held until
    HiGHS had finished (31.6 s after the signal on a 13,720-column MIP)."""
    import os
    import signal
    import threading
    import time
    from pathlib import Path

    _highs_own_mip_settings(monkeypatch)
    case = api.load_case(Path(__file__).parents[1] / "scenarios" / "ru_all_projects.yaml")
    api.solve(api.build_model(case))  # warm: the first solve also starts HiGHS's threads
    built = api.build_model(case)
    t0 = time.perf_counter()
    api.solve(built)
    full = time.perf_counter() - t0

    def terminated(signum, frame):
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGTERM, terminated)
    built = api.build_model(case)
    timer = threading.Timer(full / 2, os.kill, (os.getpid(), signal.SIGTERM))
    timer.start()
    t0 = time.perf_counter()
    try:
        with pytest.raises(KeyboardInterrupt):
            api.solve(built)
    finally:
        timer.cancel()
        signal.signal(signal.SIGTERM, old)
    assert time.perf_counter() - t0 < full * 0.9


def _fixed_charge_cost_case(tmp_path):
    """:func:`tests.toycase.fixed_charge_cost_case`, loaded."""
    return api.load_case(fixed_charge_cost_case(tmp_path))


def test_relax_given_to_solve_relaxes_a_model_built_without_it(tmp_path):
    """The case of :func:`_fixed_charge_cost_case`: the MIP builds 12 kt/yr, costing
    12 x 100 (feed) + 12 x 100 (capex) + 1,000 (fixed charge) kUSD = 3.4 MUSD; its LP
    relaxation needs only 12 / 20 = 0.6 of the build decision: 1.2 + 1.2 + 0.6 = 3.0 MUSD.
    ``api.solve(built, SolveOptions(relax=True))`` on a model built without relax (and
    already solved once, so handed to HiGHS with its integer column) solved the MIP: 3.4
    with ``relax: true`` next to ``relaxed: 0`` in the manifest. A model built relaxed
    and solved without options recorded ``relax: false`` next to ``relaxed: 1``."""
    case = _fixed_charge_cost_case(tmp_path)
    built = api.build_model(case)
    mip = api.extract_results(built, api.solve(built))
    assert mip.manifest["objective"] == pytest.approx(3.4, rel=1e-9)
    relax = SolveOptions(relax=True)
    res = api.extract_results(built, api.solve(built, relax))
    assert res.manifest["objective"] == pytest.approx(3.0, rel=1e-9)
    assert res.manifest["relaxed"] == 1 and res.manifest["solver_options"]["relax"] is True
    assert res.manifest["is_mip"] is False
    built = api.build_model(case, relax)
    res = api.extract_results(built, api.solve(built))
    assert res.manifest["objective"] == pytest.approx(3.0, rel=1e-9)
    assert res.manifest["relaxed"] == 1 and res.manifest["solver_options"]["relax"] is True


def test_a_cost_cases_solver_info_is_in_the_net_value_sense(tmp_path):
    """The case of :func:`_fixed_charge_cost_case` (a MIP): total cost 3.4 MUSD (see
    :func:`test_relax_given_to_solve_relaxes_a_model_built_without_it`). The manifest's
    ``objective`` is that cost, 3.4; ``solver_info`` holds HiGHS's figures in the sense
    chainopt solves (the net value, maximised), as the README says: ``mip_objective``
    -3.4 and a ``mip_bound`` no plan beats, at least -3.4 and, solved to the 1e-4 gap,
    at most -3.4 + 1e-4 x 3.4; ``Results.net_value_bound`` reads it as -3.4."""
    built = api.build_model(_fixed_charge_cost_case(tmp_path))
    res = api.extract_results(built, api.solve(built))
    info = res.manifest["solver_info"]
    assert res.manifest["objective"] == pytest.approx(3.4, rel=1e-9)
    assert info["mip_objective"] == pytest.approx(-3.4, rel=1e-9)
    assert -3.4 - 1e-9 <= info["mip_bound"] <= -3.4 + 1e-4 * 3.4
    assert res.net_value_bound == pytest.approx(-3.4, rel=1e-4)


def _tampered(tmp_path, **change):
    """The fixed-charge cost case solved (:func:`_fixed_charge_cost_case`: purchase 12,
    activity 12, delivery 12, new capacity 12, build 1; objective -3.4 MUSD), then the
    plan changed as ``change`` says (column name -> value, or ``objective``)."""
    from chainopt.diagnose.names import column_names

    built = api.build_model(_fixed_charge_cost_case(tmp_path))
    out = api.solve(built)
    names = column_names(built)
    for name, v in change.items():
        if name == "objective":
            out.objective = v
        else:
            out.col_value[names.index(name)] = v
    return built, out


@pytest.mark.parametrize("change, said", [
    # feed bought 10 for 12 used: the feed balance purchase - activity = 0 reads 10 - 12
    # = -2; its terms' size is 10 + 12, so it breaks by 2 / (1 + 22) = 0.087. (The
    # objective, -0.1 x 10 - 0.1 x 12 - 1 = -3.2 against -3.4 reported, breaks by only
    # 0.2 / (1 + 1.0 + 1.2 + 1) = 0.048.)
    ({"supply.purchase(plant,feed,p1)": 10.0},
     "by 0.087 (relative; at most 1e-06 is accepted): balance.commodity(plant,feed,p1) is "
     "-2 against bounds [0, 0]"),
    # the build decision at 0.5: 0.5 from a whole number; the build limit new - 20 x build
    # <= 0 breaks by (12 - 10) / (1 + 22) = 0.087 and the objective (-2.9 against -3.4) by
    # 0.5 / 3.9 = 0.128: the integer is the worst
    ({"investment.unit_build(u,p1)": 0.5},
     "by 0.5 (relative; at most 1e-06 is accepted): investment.unit_build(u,p1) is 0.5 "
     "against bounds [0, 1] and must be a whole number"),
    # the objective reported 1 MUSD above the plan's -3.4: 1 / (1 + 3.4) = 0.227
    ({"objective": -2.4},
     "by 0.227 (relative; at most 1e-06 is accepted): the objective reported, -2.4 MUSD, "
     "is not the plan's, -3.4 MUSD"),
])
def test_a_plan_that_breaks_the_model_is_refused(tmp_path, change, said):
    """A solver's plan is checked against the model chainopt built, not trusted: each
    broken row, integer or objective stops the run (exit 4), the worst one named."""
    built, out = _tampered(tmp_path, **change)
    with pytest.raises(SolverError) as exc:
        solve.check_plan(built, out)
    assert exc.value.exit_code == 4
    assert "highs returned a plan that breaks the model " + said in str(exc.value)


def test_a_plan_within_the_tolerance_passes(tmp_path):
    """Feed bought 12 + 2e-5 for 12 used: the balance is off by 2e-5 / 25 = 8e-7 of its
    terms, below 1e-6 (a plan written to 8 digits, as CBC does, is off by about 1e-8);
    12 + 3e-5 is off by 1.2e-6 and refused."""
    built, out = _tampered(tmp_path, **{"supply.purchase(plant,feed,p1)": 12 + 2e-5})
    out.objective = float(built.arrays.cost @ out.col_value)  # the objective is not at issue
    solve.check_plan(built, out)
    out.col_value[0] = 12 + 3e-5
    out.objective = float(built.arrays.cost @ out.col_value)
    with pytest.raises(SolverError, match=r"by 1\.2e-06"):
        solve.check_plan(built, out)


def test_marginal_values_read_with_the_wrong_sign_are_refused(tmp_path):
    """The fixed-charge case's marginal values by hand (maximising -cost; the LP with the
    build decision fixed at 1): feed is worth y_f = -0.1 (a unit more to buy costs 0.1
    MUSD per kt), capacity y_cap = +0.1 (a kt/yr more spares 0.1 of new capacity), the
    product y_p = y_f - y_cap = -0.2, the demand row -0.2, the unused build limit 0;
    reduced costs 0 except the fixed build's, c - sum a y = -1 - (-20 x 0) = -1.

    All of them negated, as a minimising solver's duals read without the sign change:
    the build's reduced cost reads +1 where c - sum a y' = -1 - (-20 x 0) = -1, off by
    2 / (1 + |c| + 0) = 1, the worst (the purchase's and the new capacity's are off by
    0.2 / 1.2; the capacity row's -0.1 names its missing lower bound: 0.1 / 1.1)."""
    built, out = _tampered(tmp_path)
    out.row_dual, out.col_dual = -out.row_dual, -out.col_dual
    with pytest.raises(SolverError) as exc:
        solve.check_plan(built, out)
    assert ("highs returned marginal values that break the model by 1 (relative; at most "
            "1e-06 is accepted): investment.unit_build(u,p1) is 1 against bounds [0, 1] "
            "with reduced cost 1, where its cost less the rows' marginal values give -1"
            ) in str(exc.value)


def test_a_marginal_value_of_a_bound_not_reached_is_refused(tmp_path):
    """Complementary slackness: the build limit new - 20 x build <= 0 reads 12 - 20 = -8,
    so it is worth nothing. Given 0.05 (with reduced costs to match: the new capacity's
    -0.1 - (-y_cap + 0.05) = -0.05, the fixed build's exempt), the row claims 0.05 x 8 of
    an objective of size 1 + 1.2 + 1.2 + 1 = 4.4 (0.091), and the new capacity's -0.05
    says its lower bound 0 binds while it is 12: 0.05 x 12 / 4.4 = 0.136, the worst (its
    upper bound is the row's: a lumpy build's column has none of its own)."""
    from chainopt.diagnose.names import column_names, row_names

    built, out = _tampered(tmp_path)
    out.row_dual[row_names(built).index("investment.unit_new_max(u,p1)")] = 0.05
    cols = column_names(built)
    out.col_dual[cols.index("investment.unit_new(u,p1)")] = -0.05
    out.col_dual[cols.index("investment.unit_build(u,p1)")] = 0.0
    with pytest.raises(SolverError) as exc:
        solve.check_plan(built, out)
    assert ("marginal values that break the model by 0.136 (relative; at most 1e-06 is "
            "accepted): investment.unit_new(u,p1) is 12 against bounds [0, inf] with reduced "
            "cost -0.05") in str(exc.value)


def _two_modes(tmp_path, capacity: float, supply_max: float | str):
    """a bought at 1e8 USD/t (at most ``supply_max`` kt/yr; blank: no limit), made 1:1
    into b by mode m1 or m2 of unit u (``capacity`` kt/yr), b sold at 3e8; solved, with
    10 kt made either way (objective 2e6 MUSD). Returns the model, the solve, the
    capacity row's position and the two modes' columns."""
    from chainopt.diagnose.names import column_names, row_names

    built = api.build_model(api.load_case(write_case(tmp_path, {
        "commodities": "commodity,unit,kind\na,t,raw\nb,t,product",
        "sites": "site\ns",
        "modes": "mode,process\nm1,p\nm2,p",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nm1,a,in,1\nm1,b,out,1\n"
                      "m2,a,in,1\nm2,b,out,1",
        "units": f"unit,site,process,capacity_k_per_yr\nu,s,p,{capacity}",
        "supplies": f"site,commodity,cost_usd_per_unit,max_k_per_yr\ns,a,1e8,{supply_max}",
        "markets": "site,commodity,price_usd_per_unit\ns,b,3e8"})))
    out = api.solve(built)
    assert out.objective == pytest.approx(2e6)
    cap = row_names(built).index("conversion.capacity_max(u,p1)")
    modes = [column_names(built).index(f"conversion.activity(u,{m},p1)") for m in ("m1", "m2")]
    return built, out, cap, modes


def test_a_reduced_cost_of_rounding_noise_is_judged_by_its_terms(tmp_path):
    """a bought at 1e8 USD/t (1e5 MUSD per kt), made 1:1 into b by mode m1 or m2 of one
    unit of 10 kt/yr, b sold at 3e8 (3e5): 10 kt, objective 10 x 2e5 = 2e6 MUSD. By hand
    (rows a: purchase - m1 - m2 = 0, b: m1 + m2 - sales = 0, capacity m1 + m2 <= 10):
    y_a = -1e5, y_b = -3e5, y_cap = 2e5; each mode's reduced cost 0 - (2e5 + 1e5 - 3e5)
    = 0. The same duals right to 9 digits, y_cap = 2e5 (1 - 1e-9), give each mode c -
    sum a y = +2e-4, naming the modes' infinite upper bound: as the reduced cost is, a
    difference of terms of size 2e5 + 1e5 + 3e5, it is off by 2e-4 / (1 + 6e5) = 3.3e-10
    and passes (GLPK's duals of ru_all_projects at prices x 1e5 and capacities x 1e4
    read so: a reduced cost 2.66e-4 of terms 1.05e5). Measured against 1 + |d|, it was
    refused as off by 2e-4. A reduced cost of its terms' size stays refused: y_cap = 2e5 -
    6e4 gives +6e4, off by 6e4 / (1 + 1.4e5 + 1e5 + 3e5) = 0.111."""
    built, out, cap, modes = _two_modes(tmp_path, capacity=10, supply_max="")
    assert out.row_dual[cap] == pytest.approx(2e5)
    for y_cap, off in ((2e5 * (1 - 1e-9), 2e-4), (2e5 - 6e4, 6e4)):
        out.row_dual[cap] = y_cap
        out.col_dual[modes] = off  # c - sum a y, as the solver reports it
        worst = solve.dual_violations(built, out)["column dual"][modes]
        assert worst == pytest.approx([off / (1 + 6e5 - 2e5 + y_cap)] * 2)
    with pytest.raises(SolverError, match=r"by 0\.111 .*conversion\.activity\(u,m1,p1\)"):
        solve.check_plan(built, out)
    out.row_dual[cap] = 2e5 * (1 - 1e-9)
    out.col_dual[modes] = 2e-4
    solve.check_plan(built, out)


def _reversed_values(col_value, col_dual, row_value, row_dual):
    return col_value[::-1].copy(), col_dual, row_value, row_dual


def _negated_duals(col_value, col_dual, row_value, row_dual):
    return col_value, -col_dual, row_value, -row_dual


@pytest.mark.parametrize("defect, said", [
    (_reversed_values, "returned a plan that breaks the model"),
    (_negated_duals, "returned marginal values that break the model")])
def test_a_solution_mapped_wrong_stops_the_run(tmp_path, monkeypatch, defect, said):
    """A defect between a solver's answer and chainopt's columns and rows (here the Pyomo
    path's values handed back in reverse order, or its marginal values negated: a sign
    convention read the wrong way round) ran small_chain to exit 0 with a wrong plan, or
    every commodity's value of the wrong sign; now the run stops with exit 4 and writes
    nothing."""
    from typer.testing import CliRunner

    from chainopt.cli import app
    from chainopt.models import pyomo_model

    arrays = pyomo_model.solution_arrays
    monkeypatch.setattr(pyomo_model, "solution_arrays", lambda m, a: defect(*arrays(m, a)))
    out = tmp_path / "out"
    result = CliRunner(env={"COLUMNS": "200"}).invoke(
        app, ["run", "small_chain", "--solver", "highs", "--out", str(out)])
    assert result.exit_code == 4, result.output
    assert said in " ".join(result.output.split())
    assert not out.exists() or list(out.iterdir()) == []


def test_a_row_dual_of_rounding_noise_on_a_missing_bound_is_judged_by_its_terms(tmp_path):
    """a bought at 1e8 USD/t (1e5 MUSD per kt, at most 10 kt/yr), made 1:1 into b by m1 or
    m2 of unit u (capacity 100 kt/yr, slack), b sold at 3e8 (3e5): 10 kt. By hand: y_a =
    -3e5, y_b = -3e5 (rows a: purchase - m1 - m2 = 0, b: m1 + m2 - sales = 0), the
    capacity row m1 + m2 <= 100 worth y_cap = 0; each mode's terms 1 + 0 + |y_cap| + 3e5
    + 3e5. A y_cap of -2e-4 (rounding of duals of 3e5 to 9 digits) names the row's
    missing lower bound; it moves each mode's reduced cost by 2e-4 of terms 6e5: off by
    2e-4 / (1 + 6e5 + 2e-4) = 3.3e-10 and passes. Judged against 1 + |y| it was refused
    as off by 2e-4. A y_cap of -6e4 moves them by 6e4 / (1 + 6e5 + 6e4) = 0.0909 and is
    refused, naming the row."""
    built, out, cap, modes = _two_modes(tmp_path, capacity=100, supply_max=10)
    assert out.row_dual[cap] == pytest.approx(0, abs=1e-9)
    out.row_dual[cap] = -2e-4
    out.col_dual[modes] = 2e-4  # c - sum a y = 0 - (-2e-4 - y_a + y_b)
    assert solve.dual_violations(built, out)["row dual"][cap] == pytest.approx(
        2e-4 / (1 + 6e5 + 2e-4))
    solve.check_plan(built, out)
    out.row_dual[cap] = -6e4
    out.col_dual[modes] = 6e4
    with pytest.raises(SolverError, match=r"by 0\.0909 .*conversion\.capacity_max\(u,p1\) is "
                                          r"10 against bounds \[-inf, 100\] with marginal "
                                          r"value -60000"):
        solve.check_plan(built, out)


@pytest.mark.parametrize("seed", [-1, 2**31, 2**70])
def test_a_random_seed_highs_cannot_take_is_refused(seed):
    """HiGHS's random_seed runs from 0 to 2**31 - 1 = 2,147,483,647. A seed outside it was
    refused by HiGHS without a word (it kept its own seed) while the manifest recorded the
    seed given: now an input error naming it, before anything is solved. 2**31 - 1 runs."""
    from chainopt.errors import InputError

    with pytest.raises(InputError, match=f"random seed: must be a whole number from 0 to "
                       f"2,147,483,647 \\(found {seed}\\)"):
        api.run("small_chain", save=False, options=SolveOptions(random_seed=seed))
    res = api.run("small_chain", save=False, options=SolveOptions(random_seed=2**31 - 1))
    assert res.manifest["solver_options"]["random_seed"] == 2**31 - 1


def test_an_option_highs_refuses_is_a_solver_error(monkeypatch):
    """Any option value HiGHS refuses (here a MIP gap of -1, below its range 0 to inf)
    stops the solve naming it, never solved with HiGHS's default in its place."""
    h = solve.new_highs()
    built = api.build_model(api.load_case("small_chain"))
    monkeypatch.setattr(solve, "highs_options",
                        lambda options, integers: {"mip_rel_gap": -1.0})
    with pytest.raises(SolverError, match=r"HiGHS refused its option mip_rel_gap = -1\.0"):
        solve._set_options(h, {}, built)


def test_the_sums_the_checks_read_are_those_of_the_matrix_by_hand():
    """A = [[1, -2], [0, 3]], x = (4, 5), y = (-1, 2): A x = (4 - 10, 15) = (-6, 15),
    |A| |x| = (14, 15), A'y = (-1, 2 + 6) = (-1, 8), |A|'|y| = (1, 8). The terms are
    made absolute in place (one array of nonzeros): each sum is taken before that."""
    import numpy as np

    from chainopt.models.lp import Matrix

    m = Matrix.from_triplets(np.array([0, 0, 1]), np.array([0, 1, 1]),
                             np.array([1.0, -2.0, 3.0]), (2, 2))
    built = SimpleNamespace(arrays=SimpleNamespace(matrix=m), num_rows=2, num_vars=2)
    out = SimpleNamespace(col_value=np.array([4.0, 5.0]), row_dual=np.array([-1.0, 2.0]))
    sums = solve._Sums.of(built, out)
    assert (sums.act.tolist(), sums.size.tolist()) == ([-6.0, 15.0], [14.0, 15.0])
    assert (sums.aty.tolist(), sums.ysize.tolist()) == ([-1.0, 8.0], [1.0, 8.0])
    assert out.col_value.tolist() == [4.0, 5.0] and out.row_dual.tolist() == [-1.0, 2.0]
