"""Re-solving a variant on the previous model and basis gives the cold-solve answer; a
MIP whose integer decisions are all fixed is re-solved as the LP it equals."""

from __future__ import annotations

import highspy
import numpy as np
import pytest

from chainopt import api
from chainopt.case.load import read_raw
from chainopt.case.schema import RawCase
from chainopt.case.validate import validate
from chainopt.models.build import build
from chainopt.solve import handover, resolve, solve, whole_fixed
from tests.toycase import write_case


def _variant(factor: float):
    raw = read_raw("small_chain")
    tables = dict(raw.tables)
    mk = tables["markets"].copy()
    hdpe = mk["commodity"] == "hdpe"
    mk.loc[hdpe, "price_usd_per_unit"] = (mk.loc[hdpe, "price_usd_per_unit"].astype(float)
                                          * factor).astype(str)
    tables["markets"] = mk
    return validate(RawCase(meta=raw.meta, tables=tables, origin=raw.origin))


@pytest.mark.parametrize("factor", [0.6, 0.9, 1.3])
def test_warm_resolve_matches_cold_solve(factor):
    base = api.build_model(api.load_case("small_chain"))
    api.solve(base)
    variant = build(_variant(factor), pyomo=False)
    warm = resolve(base, variant)
    assert variant.timings["warm_start"] == 1.0
    cold_built = api.build_model(_variant(factor))
    cold = api.solve(cold_built)
    assert warm.objective == pytest.approx(cold.objective, rel=1e-9)
    w = api.extract_results(variant, warm)["activity"]["activity_k_per_yr"]
    c = api.extract_results(cold_built, cold)["activity"]["activity_k_per_yr"]
    assert w.to_numpy() == pytest.approx(c.to_numpy(), abs=1e-6)


def test_whole_fixed_by_hand():
    """Columns 1 and 3 are integer. Both fixed at whole numbers (0 and 2, or 1 and 1):
    they are returned; one free (ub 1 > lb 0), one fixed at 0.5 (no integer meets it),
    one fixed at an infinite bound, or no integer column: None."""
    integer = np.array([False, True, False, True])
    lb = np.array([0.0, 0.0, 5.0, 2.0])
    assert whole_fixed(integer, lb, np.array([9.0, 0.0, 5.0, 2.0])).tolist() == [1, 3]
    assert whole_fixed(integer, np.ones(4), np.ones(4)).tolist() == [1, 3]
    assert whole_fixed(integer, lb, np.array([9.0, 1.0, 5.0, 2.0])) is None
    assert whole_fixed(integer, lb + 0.5, np.array([9.0, 0.5, 5.5, 2.5])) is None
    inf = np.array([0.0, np.inf, 0.0, np.inf])
    assert whole_fixed(integer, inf, inf) is None
    assert whole_fixed(np.zeros(4, dtype=bool), lb, lb) is None


def _forced(folder, price: float):
    """One site: a bought at 100 USD/t, b sold at ``price`` up to 1,000 kt/yr; unit u
    (100 kt/yr, 1 t of a to 1 t of b) is project pj, all or nothing, forced in p1 (10
    MUSD, life 1 year): its one binary is fixed at 1. One 1-year period, rate 0: the
    objective is 100 kt x (price - 100) / 1000 - 10 MUSD while the margin is positive,
    else -10 (u idles, the capex paid)."""
    return build(validate(read_raw(str(write_case(folder, {
        "commodities": "commodity,unit,kind\na,t,raw\nb,t,product", "sites": "site\ns",
        "supplies": "site,commodity,cost_usd_per_unit\ns,a,100",
        "markets": f"site,commodity,price_usd_per_unit,max_k_per_yr\ns,b,{price},1000",
        "modes": "mode,process\nm,p",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nm,a,in,1\nm,b,out,1",
        "projects": "project,capex_musd,earliest_period,lifetime_yr,all_or_nothing,state,"
                    "forced_period\npj,10,p1,1,true,forced,p1",
        "units": "unit,site,process,capacity_k_per_yr,lifetime_yr,project\nu,s,p,100,1,pj",
    })))))


def test_a_warm_re_solve_of_a_mip_whose_integers_are_all_fixed_is_its_lp(tmp_path):
    """pj's binary is fixed at 1, so the MIP is its LP. The cold solve stays a MIP (the
    plan a run reports); a warm re-solve is the LP from the last basis: the same model
    needs no simplex iteration, its bound is its objective (gap 0), and its marginal
    values are checked as an LP's (check_plan). By hand (_forced): at 300 USD/t 20 - 10
    = 10 MUSD; at 450, 35 - 10 = 25; at 60 u idles: -10. The same as cold solves."""
    base = _forced(tmp_path / "c300", 300)
    a = base.arrays
    assert base.is_mip and whole_fixed(a.integer, a.col_lb, a.col_ub) is not None
    handover(base)
    cold = solve(base)
    assert cold.objective == pytest.approx(10.0, abs=1e-9)
    again = _forced(tmp_path / "again", 300)
    warm = resolve(base, again)
    assert again.timings["warm_start"] == 1.0 and warm.info["simplex_iterations"] == 0
    assert warm.objective == pytest.approx(10.0, abs=1e-9)
    assert warm.info["mip_bound"] == warm.info["mip_objective"] == warm.objective
    assert warm.mip_gap == 0.0 and warm.status == "optimal"
    prev = again
    for price, hand in ((450, 25.0), (60, -10.0)):
        variant = _forced(tmp_path / f"c{price}", price)
        got = resolve(prev, variant)
        assert variant.timings["warm_start"] == 1.0
        assert got.objective == pytest.approx(hand, abs=1e-9), price
        fresh = _forced(tmp_path / f"fresh{price}", price)
        assert solve(fresh).objective == pytest.approx(hand, abs=1e-9), price
        prev = variant
    ints = np.flatnonzero(a.integer)  # a MIP again after the re-solve
    assert [prev.solver.getLp().integrality_[k] for k in ints] == \
        [highspy.HighsVarType.kInteger] * len(ints)


def test_a_basis_as_whole_numbers_starts_another_instance_where_the_first_ended(tmp_path):
    """``basis_statuses`` of a solved instance, given to a new instance of the same model
    (``set_basis_statuses``), makes its solve take 0 simplex iterations and end at the
    same objective (u at 100 kt/yr: 100 x (300 - 100) / 1000 - 10 = 10 MUSD); the
    statuses are plain whole numbers (they pickle, for worker processes); an instance
    that has solved nothing holds no basis: None."""
    import pickle

    from chainopt.solve import basis_statuses, set_basis_statuses

    built = _forced(tmp_path / "a", 300.0)
    handover(built)
    assert basis_statuses(built.solver) is None
    first = solve(built)
    got = basis_statuses(built.solver)
    assert got is not None and pickle.loads(pickle.dumps(got)) == got
    assert all(type(v) is int for part in got for v in part)
    assert len(got[0]) == len(built.arrays.cost) and len(got[1]) == len(built.arrays.row_lb)
    again = _forced(tmp_path / "b", 300.0)
    h = handover(again)  # (its binary fixed at 1: the LP)
    h.changeColsIntegrality(len(again.arrays.cost), np.arange(len(again.arrays.cost)),
                            np.zeros(len(again.arrays.cost), dtype=np.uint8))
    set_basis_statuses(h, got)
    h.run()
    assert h.getInfo().simplex_iteration_count == 0
    assert h.getInfo().objective_function_value == pytest.approx(first.objective) \
        == pytest.approx(10.0)
