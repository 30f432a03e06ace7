"""Solver statuses map to outcomes and errors (exit codes in DESIGN.md)."""

from __future__ import annotations

import pytest

from chainopt import api
from chainopt.errors import InfeasibleError, SolverError, UnboundedError
from chainopt.solve import SolveOptions
from tests.toycase import write_case

COMMODITIES = "commodity,unit,kind\ncrude,t,raw\n"


def test_time_limit_without_a_plan_is_a_solver_error(tmp_path):
    """The message names the method used and suggests the other one."""
    built = api.build_model(api.load_case("small_chain"))
    with pytest.raises(SolverError, match="Time limit") as exc:
        api.solve(built, SolveOptions(time_limit_s=1e-9))
    assert exc.value.exit_code == 4
    assert "(simplex)" in str(exc.value) and "try --method ipm" in str(exc.value)
    with pytest.raises(SolverError, match=r"\(ipm\).*try --method simplex"):
        api.solve(built, SolveOptions(time_limit_s=1e-9, method="ipm"))


def test_time_limit_writes_nothing(tmp_path):
    with pytest.raises(SolverError):
        api.run("small_chain", out=tmp_path, options=SolveOptions(time_limit_s=1e-9))
    assert list(tmp_path.iterdir()) == []


def test_unbounded_case_is_reported(tmp_path):
    """Unlimited supply at 100 and unlimited sales at 200: the margin grows forever."""
    folder = write_case(tmp_path, {
        "commodities": COMMODITIES, "sites": "site\na",
        "supplies": "site,commodity,cost_usd_per_unit\na,crude,100",
        "markets": "site,commodity,price_usd_per_unit\na,crude,200",
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
