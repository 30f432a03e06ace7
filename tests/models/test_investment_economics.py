"""Investment and project economics, derived by hand from year-by-year cash flows.

Every expected number below is computed in the test from explicit year loops with
the discount factor ``d(y) = 1.1^-(y - 2026)`` (cash flows at the start of each year),
never from chainopt's annuity or vintage code. The toy chain: 1 t feed (cost 100 USD/t)
makes 1 t product at a unit; the product sells at ``100 + margin``, so each t/yr of
usable capacity earns ``margin`` USD per year. Quantities in kt/yr, money in MUSD
(kt x USD/t / 1000). Periods are 5 years (2026-2030, 2031-2035) unless stated.

Each expected value counts output in the calendar years it is made: capacity usable
in years Y earns ``margin * sum_{y in Y} d(y)``, whatever the periods. (The model's
period quantities are discount-weighted averages over the period's years, README "Time,
money and investment": capacity usable in years Y of period t shows as
``sum_{y in Y and t} d(y) / w_t`` of it.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from chainopt import api
from chainopt.case.load import load_case
from chainopt.case.scenario import without_projects
from chainopt.errors import InputError
from chainopt.report import economics
from tests.toycase import FEED_TO_PRODUCT, solve_case, value, write_case

R = 0.1
FIVE_FIVE = [{"period": "p1", "start_year": 2026, "length_yr": 5},
             {"period": "p2", "start_year": 2031, "length_yr": 5}]
TEN = [{"period": "p1", "start_year": 2026, "length_yr": 10}]
COMMODITIES = "commodity,unit,kind\nfeed,t,raw\nmid,t,intermediate\nproduct,t,product\n"


def d(y: int) -> float:
    """Discount factor of calendar year y (start of year, base 2026, 10 %)."""
    return 1.1 ** -(y - 2026)


def dsum(first: int, last: int) -> float:
    """sum of d(y) for first <= y <= last, year by year."""
    return sum(d(y) for y in range(first, last + 1))


def chain(tmp_path, units: str, margin: float = 130.0, extra: dict | None = None,
          periods=FIVE_FIVE, **meta):
    """Feed -> product chain; ``units`` is the units.csv text (process ``make``)."""
    tables = {
        "commodities": COMMODITIES, "sites": "site\nplant\n",
        "modes": "mode,process\nrun,make",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,feed,in,1\n"
                      "run,product,out,1",
        "units": units,
        "supplies": "site,commodity,cost_usd_per_unit\nplant,feed,100",
        "markets": f"site,commodity,price_usd_per_unit\nplant,product,{100 + margin}",
    }
    tables.update(extra or {})
    return write_case(tmp_path, tables, periods=periods, **{"discount_rate": R, **meta})


def irr_by_hand(flows: list[float]) -> float:
    """The rate i in (-0.9, 1) with sum_k flows[k] (1+i)^-k = 0, by bisection."""
    f = lambda i: sum(v * (1 + i) ** -k for k, v in enumerate(flows))  # noqa: E731
    lo, hi = -0.9, 1.0
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if np.sign(f(mid)) == np.sign(f(lo)) else (lo, mid)
    return (lo + hi) / 2


# -- one capital-cost convention -------------------------------------------------------

def test_850_130_unit_is_built_and_costs_exactly_k(tmp_path):
    """Capex 850 USD per t/yr, 10-year life, margin 130 USD/t, r = 10 %, one 10-year period.

    Year by year per t/yr: -850 at the start of 2026, +130 at the start of 2026..2035:
    NPV = -850 + 130 * sum_{y=2026}^{2035} d(y) = -850 + 130 * 6.759024 = +28.673 > 0,
    so all 20 kt/yr allowed are built: objective = 20 * 28.673 / 1000 = 0.57346 MUSD.
    (An annuity with the end-of-year CRF would have charged 850 * 1.1 = 935 and not built.)
    """
    res = solve_case(chain(tmp_path, "unit,site,process,capacity_k_per_yr,"
                           "capex_usd_per_unit_yr,max_new_k_per_yr,lifetime_yr\n"
                           "u,plant,make,0,850,20,10", periods=TEN))
    npv = -850 + 130 * dsum(2026, 2035)
    assert npv == pytest.approx(28.673, abs=1e-3)
    assert value(res["capacity"], name="u")["new_k_per_yr"] == pytest.approx(20.0)
    assert res.objective == pytest.approx(20 * npv / 1000, rel=1e-9)
    inv = value(res["investments"], name="u")
    assert inv["overnight_musd"] == pytest.approx(17.0)
    assert inv["capex_npv_musd"] == pytest.approx(17.0, rel=1e-9)  # exactly K in PV
    assert inv["residual_musd"] == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("life", [1, 5, 6, 7, 12])
def test_lives_across_five_year_periods(tmp_path, life):
    """10 kt/yr built in p1 (2026), life L, capex 100 USD per t/yr, fixed O&M 10 USD
    per t/yr, margin 200 USD/t; no build in p2.

    Alive years: 2026 .. 2026+L-1, all usable. Operating value per t/yr: 200 in each
    usable year inside the horizon, 200 * sum_{2026}^{min(last, 2035)} d. Fixed O&M per
    t/yr: 10 * sum of d over the same years. Average capacity of period t: 10 kt/yr
    times sum of d over the usable years in t / w_t. Capex: A per year with
    A * sum_{alive} d = 100 * d(2026) (exactly K at the first year of use), charged in
    the alive years up to 2035; the rest (L = 12: years 2036, 2037) is the residual
    value at 2036,
    A * (d(2036) + d(2037)) / d(2036).
    """
    res = solve_case(chain(tmp_path, "unit,site,process,capacity_k_per_yr,capex_usd_per_unit_yr,"
                           "fixed_om_usd_per_unit_yr,max_new_k_per_yr,lifetime_yr\n"
                           f"u,plant,make,0,100,10,10,{life}",
                           margin=200.0, extra={
                               "units_by_period": "unit,period,max_new_k_per_yr\nu,p2,0"}))
    w1, w2 = dsum(2026, 2030), dsum(2031, 2035)
    last = 2026 + life - 1
    share1 = dsum(2026, min(last, 2030)) / w1
    share2 = dsum(2031, min(last, 2035)) / w2  # 0 when last < 2031 (an empty sum)
    annuity = 100 * d(2026) / dsum(2026, last)
    charged = annuity * dsum(2026, min(last, 2035))
    per_t = 200 * dsum(2026, min(last, 2035)) - 10 * dsum(2026, min(last, 2035)) - charged
    assert per_t > 0
    assert res.objective == pytest.approx(10 * per_t / 1000, rel=1e-9)
    cap = res["capacity"].set_index("period")
    cap = cap[cap["name"] == "u"]
    assert cap.loc["p1", "total_k_per_yr"] == pytest.approx(10 * share1)
    assert cap.loc["p2", "total_k_per_yr"] == pytest.approx(10 * share2)
    inv = value(res["investments"], name="u")
    residual = annuity * dsum(2036, last) / d(2036) if last >= 2036 else 0.0
    if life == 12:  # README: A = 100 / 7.4951 = 13.342, R = 13.342 * (1 + 1.1^-1) = 25.47
        assert residual == pytest.approx(25.4713, abs=1e-4)
    assert inv["residual_musd"] == pytest.approx(10 * residual / 1000, abs=1e-12)
    assert inv["capex_npv_musd"] == pytest.approx(10 * charged / 1000, rel=1e-9)
    # spend minus discounted residual = what the objective charges
    assert 10 * 100 / 1000 - inv["residual_musd"] * d(2036) == pytest.approx(
        inv["capex_npv_musd"], rel=1e-9)


def test_ramp_up_lowers_usable_capacity_not_cost(tmp_path):
    """Ramp-up 0.5: in 2026 half the capacity is usable, then all of it (10-year life,
    one 10-year period, capex 100). Per t/yr it earns 200 * (0.5 d(2026) + sum_{2027}^{2035}
    d); the cost is still exactly K = 100 per t/yr. The period's average capacity is
    10 kt/yr times (0.5 d(2026) + sum_{2027}^{2035} d) / w: 9.5 capacity-years of 10, the
    missing half year being the first (most valuable) one."""
    res = solve_case(chain(tmp_path, "unit,site,process,capacity_k_per_yr,capex_usd_per_unit_yr,"
                           "max_new_k_per_yr,lifetime_yr,ramp_up\nu,plant,make,0,100,10,10,0.5",
                           margin=200.0, periods=TEN))
    w = dsum(2026, 2035)
    usable = 0.5 * d(2026) + dsum(2027, 2035)
    assert res.objective == pytest.approx(10 * (200 * usable - 100) / 1000, rel=1e-9)
    assert value(res["capacity"], name="u")["total_k_per_yr"] == pytest.approx(10 * usable / w)
    assert 10 * usable / w < 9.5  # the lost half year is the first


# -- projects: lead time, residual value, one cash-flow stream ------------------------

PROJECT_UNIT = ("unit,site,process,capacity_k_per_yr,project\n"
                "new,plant,make,10,{project}\n")


def _project_case(tmp_path, row: str, units: str | None = None, margin: float = 200.0,
                  extra: dict | None = None, periods=FIVE_FIVE):
    tables = {"projects": "project,capex_musd,earliest_period,lifetime_yr,lead_time_yr,"
                          "all_or_nothing,state,forced_period,retires_units\n" + row}
    tables.update(extra or {})
    return chain(tmp_path, units or PROJECT_UNIT.format(project="pj"), margin=margin,
                 extra=tables, periods=periods)


def _pair(folder):
    """(counterfactual, scenario) runs of a case whose project pj is on."""
    case = load_case(folder)
    return (api.run(without_projects(case, ["pj"]), save=False), api.run(case, save=False))


def test_lead_time_residual_value_and_one_stream(tmp_path):
    """Project pj: 9 MUSD overnight, lead time 3 years, life 10, brings 10 kt/yr.

    Year by year: -3 MUSD at the starts of 2026, 2027, 2028 (construction); usable from
    2029 to 2038. Annuity A with A * sum_{2029}^{2038} d = 3 * (d(2026)+d(2027)+d(2028))
    (interest during construction included); charged 2029..2035 inside the horizon;
    residual value at 2036 = A * sum_{2036}^{2038} d / d(2036). Output: 10 kt/yr in
    each of 2029..2035, operating value = 10 * 200 * sum_{2029}^{2035} d / 1000. Without
    the project nothing is made (0).

    The incremental stream (spend 2026-2028, operating 2 MUSD in each year of use,
    nothing in the construction years, residual in 2036) has NPV = the objective
    difference, and IRR > 10 % because NPV > 0.
    """
    folder = _project_case(tmp_path, "pj,9,p1,10,3,true,optional,,\n")
    cf, sc = _pair(folder)
    spend_pv = 3 * dsum(2026, 2028)
    annuity = spend_pv / dsum(2029, 2038)
    objective = 10 * 200 * dsum(2029, 2035) / 1000 - annuity * dsum(2029, 2035)
    assert cf.objective == pytest.approx(0.0, abs=1e-9)
    assert sc.objective == pytest.approx(objective, rel=1e-9)
    summary, flows = economics.project_economics(cf, sc)
    assert summary["incremental_npv_musd"] == pytest.approx(objective, rel=1e-9)
    assert summary["stream_npv_musd"] == pytest.approx(objective, abs=1e-6)
    assert summary["build_year"] == 2026 and summary["first_use_year"] == 2029
    hand = [-3.0] * 3 + [2.0] * 7 + [annuity * dsum(2036, 2038) / d(2036)]
    f = flows.set_index("year")["net_musd"]
    assert f.loc[2026:2036].to_numpy() == pytest.approx(hand, abs=1e-9)
    assert sum(v * d(2026 + k) for k, v in enumerate(hand)) == pytest.approx(objective,
                                                                             rel=1e-9)
    assert summary["irr"] == pytest.approx(irr_by_hand(hand), abs=1e-7)
    assert summary["irr"] > R


def test_a_projects_stream_is_discounted_with_the_cases_timing_not_its_payback(tmp_path):
    """The project of :func:`test_lead_time_residual_value_and_one_stream` with
    ``cash_flow_timing: end``: d(y) = 1.1^-(y - 2025). The annuity solves A x sum d =
    3 x sum d over the spend years, where the timing's factor 1/1.1 cancels, so the yearly
    flows are the same: -3 in 2026-2028, +2 in 2029-2035, the residual in 2036. Their NPV
    is sum_k flow_k x 1.1^-(k+1), 1/1.1 of the start-of-year one. Payback keeps its own
    convention whatever the timing (spend at the start of its year, operating flow earned
    evenly through it): -9 by the start of 2029, +2 a year, even after 4.5 years of use:
    3 + 4.5 = 7.5 years from 2026 under either timing."""
    paybacks = {}
    for timing in ("start", "end"):
        folder = _project_case(tmp_path / timing, "pj,9,p1,10,3,true,optional,,\n")
        doc = yaml.safe_load((folder / "case.yaml").read_text())
        (folder / "case.yaml").write_text(yaml.safe_dump(doc | {"cash_flow_timing": timing}))
        cf, sc = _pair(folder)
        summary, flows = economics.project_economics(cf, sc)
        annuity = 3 * dsum(2026, 2028) / dsum(2029, 2038)
        hand = [-3.0] * 3 + [2.0] * 7 + [annuity * dsum(2036, 2038) / d(2036)]
        assert flows.set_index("year")["net_musd"].loc[2026:2036].to_numpy() == \
            pytest.approx(hand, abs=1e-9)
        shift = 1 if timing == "end" else 0
        npv = sum(v * 1.1 ** -(k + shift) for k, v in enumerate(hand))
        assert summary["incremental_npv_musd"] == pytest.approx(npv, rel=1e-9)
        assert summary["stream_npv_musd"] == pytest.approx(npv, abs=1e-6)
        paybacks[timing] = summary["payback_yr"]
    assert paybacks == pytest.approx({"start": 7.5, "end": 7.5})


# periods of 1, 5 and 10 years: 2026, 2027-2031, 2032-2041 (the horizon ends with 2041)
UNEQUAL = [{"period": "p1", "start_year": 2026, "length_yr": 1},
           {"period": "p2", "start_year": 2027, "length_yr": 5},
           {"period": "p3", "start_year": 2032, "length_yr": 10}]


def test_yearly_limits_hold_per_year_in_periods_of_1_5_and_10_years(tmp_path):
    """A supply limit and an emission cap are per year (``_k_per_yr``), in a period of any
    length: each period's representative year obeys them, and the objective weights that
    year by the period's discounted years w_t. Periods 2026, 2027-2031, 2032-2041, rate
    10 %, start of year: w1 = 1, w2 = sum_{k=1..5} 1.1^-k, w3 = sum_{k=6..15} 1.1^-k.

    Feed at 100 USD/t, at most 10 kt/yr; made 1:1 into product sold at 300 (margin 200),
    releasing 0.5 t co2 a t; co2 capped at 4 kt/yr: 8 kt/yr of product in every period
    (not 4 x 5 = 20 kt of co2 over p2, nor 40 over p3). Objective 8 x 200 x (w1 + w2 +
    w3) / 1000 = 1.6 x sum_{k=0..15} 1.1^-k MUSD; the co2 KPI 4 kt/yr and the cap worth
    200 / 0.5 = 400 USD per t a year in each period (in that period's money). Without the
    cap the supply limit binds: 10 kt/yr each period, 2 x the sum, 5 kt/yr of co2."""
    years = sum(1.1 ** -k for k in range(16))
    tables = {
        "commodities": COMMODITIES + "co2,t,emission\n", "sites": "site\nplant\n",
        "modes": "mode,process\nrun,make",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,feed,in,1\n"
                      "run,product,out,1\nrun,co2,out,0.5",
        "units": "unit,site,process,capacity_k_per_yr\nu,plant,make,20",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\nplant,feed,100,10",
        "markets": "site,commodity,price_usd_per_unit\nplant,product,300",
        "policies": "commodity,site,cap_k_per_yr\nco2,,4"}
    res = solve_case(write_case(tmp_path / "capped", tables, periods=UNEQUAL,
                                discount_rate=R))
    assert res.objective == pytest.approx(1.6 * years, rel=1e-9)
    for p in ("p1", "p2", "p3"):
        assert res.kpi("emissions_co2", p) == pytest.approx(4.0, rel=1e-9)
        assert value(res["purchases"], period=p)["purchase_k_per_yr"] == pytest.approx(8.0)
        cap = value(res["constraints"], family="emissions.cap_max", period=p)
        assert abs(cap["marginal_value"]) == pytest.approx(400.0, rel=1e-9)
    free = {k: v for k, v in tables.items() if k != "policies"}
    res = solve_case(write_case(tmp_path / "free", free, periods=UNEQUAL, discount_rate=R))
    assert res.objective == pytest.approx(2.0 * years, rel=1e-9)
    assert [res.kpi("emissions_co2", p) for p in ("p1", "p2", "p3")] == pytest.approx(
        [5.0, 5.0, 5.0])


def test_unequal_periods_a_project_first_allowed_in_the_last_period(tmp_path):
    """Periods of 1, 5 and 10 years at 10 %. Project pj (10 MUSD, lead time 2, life 20,
    10 kt/yr at a margin of 200 USD/t: 2 MUSD a year) may start only in p3 (2032).

    year       2032    2033    2034 .. 2041     2042
    capex      -5      -5
    operating                  2.0 a year
    residual                                    R
    d(y)       0.5645  0.5132  sum 2.7377       0.4241

    Spend PV 5 x (0.564474 + 0.513158) = 5.388160; alive 2034-2053, sum d = 4.368804,
    so A = 1.233326 a year; the horizon holds 2034-2041 (sum d 2.737661), the rest is
    R = A x (sum_{k<12} 1.1^-k = 7.495061) = 9.243854 in 2042. Objective = (2 - A) x
    2.737661 = 2.098893 (built: 2 > A), = -5.388160 + 2 x 2.737661 + 9.243854 x d(2042).
    IRR of -5, -5, 2 x 8, 9.243854: 16.62 %. Payback from 2032: 10 spent by the start of
    2033, recovered at 2 a year from 2034: 2 + 5 = 7.0 years."""
    folder = _project_case(tmp_path, "pj,10,p3,20,2,true,optional,,\n", periods=UNEQUAL)
    cf, sc = _pair(folder)
    assert sc.objective - cf.objective == pytest.approx(2.098893, abs=1e-6)
    inv = value(sc["investments"], name="pj")
    assert inv["first_use_year"] == 2034
    assert inv["annuity_musd_per_yr"] == pytest.approx(1.233326, abs=1e-6)
    assert inv["residual_musd"] == pytest.approx(9.243854, abs=1e-6)
    summary, flows = economics.project_economics(cf, sc)
    hand = [-5.0, -5.0] + [2.0] * 8 + [9.243854]
    assert flows.set_index("year")["net_musd"].loc[2032:2042].to_numpy() == pytest.approx(
        hand, abs=1e-6)
    assert flows.set_index("year")["net_musd"].loc[2026:2031].abs().max() == 0.0
    assert summary["stream_npv_musd"] == pytest.approx(2.098893, abs=1e-6)
    assert summary["irr"] == pytest.approx(0.166244, abs=1e-6)
    assert summary["payback_yr"] == pytest.approx(7.0, abs=1e-9)


@pytest.mark.parametrize(("rate", "objective"), [(0.1, 3.017115), (0.0, 4.5)])
def test_short_lives_rebuilt_across_unequal_periods(tmp_path, rate, objective):
    """Periods of 1, 5 and 10 years. Unit u (none yet; 300 USD per t/yr, life 3, no lead
    time, at most 10 kt/yr a period) and an existing unit old (5 kt/yr, fixed O&M 10 USD
    per t/yr, retire_year 2029: it stands in 2026-2028, two years into the 5-year p2);
    margin 130 USD/t. A build lives 3 years, so it is retired and rebuilt: p1's build
    (2026) is alive 2026-2028, p2's (2027) 2027-2029, p3's (2032) 2032-2034; 2030-2031 and
    2035-2041 have no new capacity. Each build pays A = 300 / ä3 a year while alive, ä3 =
    1 + 1.1^-1 + 1.1^-2 = 2.735537 (A = 109.668; at 0 %: 100), and earns 130 > A.

    At 10 %: sum d over 2026-2028 = 2.735537, 2027-2029 = 2.486852, 2032-2034 = 1.544139;
    new: 10 x (130 - 109.668) x 6.766528 / 1000 = 1.375793; old: 5 x (130 - 10) x
    2.735537 / 1000 = 1.641322; objective 3.017115.
    At 0 %: new 10 x 30 x 9 / 1000 = 2.7, old 5 x 120 x 3 / 1000 = 1.8: 4.5."""
    units = ("unit,site,process,capacity_k_per_yr,capex_usd_per_unit_yr,max_new_k_per_yr,"
             "lifetime_yr,fixed_om_usd_per_unit_yr,retire_year\n"
             "u,plant,make,0,300,10,3,0,\nold,plant,make,5,0,0,25,10,2029\n")
    res = solve_case(chain(tmp_path, units, periods=UNEQUAL, discount_rate=rate))
    assert res.objective == pytest.approx(objective, abs=1e-6)
    built = res["investments"].set_index("period")
    assert built["amount"].to_dict() == pytest.approx({"p1": 10.0, "p2": 10.0, "p3": 10.0})
    assert built["residual_musd"].abs().max() == 0.0  # every life ends inside the horizon


def test_ramp_up_shapes_the_yearly_stream(tmp_path):
    """The same project with ramp_up 0.5;0.8: 10 kt/yr x 200 USD/t makes 1.0 MUSD in 2029,
    1.6 in 2030, then 2.0 a year. Year by year: -3, -3, -3, 1.0, 1.6, 2.0 x 5, and the
    residual value in 2036. Its NPV is the objective difference; IRR and payback follow
    these flows (payback: after 2026-2030, 9 - 1.0 - 1.6 = 6.4 MUSD remain, recovered at
    2.0 a year: 5 + 3.2 = 8.2 years)."""
    folder = _project_case(tmp_path, "", extra={
        "projects": "project,capex_musd,earliest_period,lifetime_yr,lead_time_yr,"
                    "all_or_nothing,state,ramp_up\npj,9,p1,10,3,true,optional,0.5;0.8\n"})
    cf, sc = _pair(folder)
    annuity = 3 * dsum(2026, 2028) / dsum(2029, 2038)
    made = 0.5 * d(2029) + 0.8 * d(2030) + dsum(2031, 2035)
    objective = 10 * 200 * made / 1000 - annuity * dsum(2029, 2035)
    assert sc.objective - cf.objective == pytest.approx(objective, rel=1e-9)
    summary, flows = economics.project_economics(cf, sc)
    hand = [-3.0] * 3 + [1.0, 1.6] + [2.0] * 5 + [annuity * dsum(2036, 2038) / d(2036)]
    assert flows.set_index("year")["net_musd"].loc[2026:2036].to_numpy() == pytest.approx(
        hand, abs=1e-9)
    assert summary["stream_npv_musd"] == pytest.approx(objective, abs=1e-9)
    assert summary["irr"] == pytest.approx(irr_by_hand(hand), abs=1e-7)
    assert summary["payback_yr"] == pytest.approx(8.2, abs=1e-9)


def test_fixed_om_is_placed_in_the_years_alive_and_the_margin_by_ramp_up(tmp_path):
    """The ramp-up project above (9 MUSD, lead time 3, life 10, forced from 2026;
    ramp_up 0.5) with a fixed O&M of 20 USD per t/yr, paid on the whole 10 kt/yr from
    the first year of use whatever the ramp-up: 0.2 MUSD a year. Year by year:

    year        2026-2028  2029                    2030-2035         2036
    capex       -3 a year
    operating              10 x 0.5 x 200 - 0.2    10 x 200 - 0.2
                           = 0.8                   = 1.8 a year
    residual                                                         R

    (A = 3 x sum_{2026}^{2028} d / sum_{2029}^{2038} d, R = A x sum_{2036}^{2038} d /
    d(2036).) NPV = the objective difference;
    payback: 9 spent by 2028, 0.8 back in 2029, 1.8 a year in 2030-2033 (8.0 in all), the
    last 1.0 in 1.0 / 1.8 of 2034: 8 + 0.556 = 8.556 years. Spreading p1's whole
    operating difference, fixed O&M included, by the usable share (0.5 in 2029, 1 in
    2030: k = (0.8 d(2029) + 1.8 d(2030)) / (0.5 d(2029) + d(2030)) = 1.7290 a usable
    year) gave 2029 0.8645 and 2030 1.7290, and a payback of 8.559."""
    folder = _project_case(tmp_path, "", units=(
        "unit,site,process,capacity_k_per_yr,fixed_om_usd_per_unit_yr,project\n"
        "new,plant,make,10,20,pj\n"), extra={
        "projects": "project,capex_musd,earliest_period,lifetime_yr,lead_time_yr,"
                    "all_or_nothing,state,forced_period,ramp_up\n"
                    "pj,9,p1,10,3,true,forced,p1,0.5\n"})
    cf, sc = _pair(folder)
    annuity = 3 * dsum(2026, 2028) / dsum(2029, 2038)
    hand = [-3.0] * 3 + [0.8] + [1.8] * 6 + [annuity * dsum(2036, 2038) / d(2036)]
    npv = sum(v * d(2026 + k) for k, v in enumerate(hand))
    assert sc.objective - cf.objective == pytest.approx(npv, rel=1e-9)
    summary, flows = economics.project_economics(cf, sc)
    assert flows.set_index("year")["operating_musd"].loc[2026:2036].to_numpy() == (
        pytest.approx([0.0] * 3 + [0.8] + [1.8] * 6 + [0.0], abs=1e-9))
    assert flows.set_index("year")["net_musd"].loc[2026:2036].to_numpy() == pytest.approx(
        hand, abs=1e-9)
    assert summary["stream_npv_musd"] == pytest.approx(npv, abs=1e-9)
    assert summary["irr"] == pytest.approx(irr_by_hand(hand), abs=1e-7)
    assert summary["payback_yr"] == pytest.approx(8 + 1.0 / 1.8, abs=1e-9)


def test_output_late_in_a_period_is_valued_in_its_own_years(tmp_path):
    """The same project at a margin of 157 USD/t is not worth building.

    Year by year: -3 MUSD in each of 2026-2028, then 10 kt/yr x 157 = 1.57 MUSD in each
    of 2029-2035, and the residual value in 2036. Its NPV is
    1.57 * sum_{2029}^{2035} d - A * sum_{2029}^{2035} d = 6.317 - 6.502 < 0 (break-even
    margin 161.6), so the optimiser builds nothing and the objective is 0. Crediting the
    2029-2030 output as 2/5 of p1 at p1's average discount (as chainopt did before
    2026-12-03) valued it at 1.57 * (0.4 w1 + w2) = 6.684 > 6.502 and built it.
    """
    annuity = 3 * dsum(2026, 2028) / dsum(2029, 2038)
    hand = ([-3.0] * 3 + [1.57] * 7 + [annuity * dsum(2036, 2038) / d(2036)])
    npv = sum(v * d(2026 + k) for k, v in enumerate(hand))
    assert npv == pytest.approx(1.57 * dsum(2029, 2035) - annuity * dsum(2029, 2035))
    assert npv < 0 < 1.57 * (0.4 * dsum(2026, 2030) + dsum(2031, 2035)) - annuity * dsum(
        2029, 2035)
    res = solve_case(_project_case(tmp_path, "pj,9,p1,10,3,true,optional,,\n", margin=157.0))
    assert res.objective == pytest.approx(0.0, abs=1e-9)
    assert res["projects"]["built_share"].max() == pytest.approx(0.0, abs=1e-9)


#: a plant of capex 150 USD per t/yr, lead time 3, life 2 (usable 2029-2030), up to 20
#: kt/yr, turning free feed 1:1 into product; add its market
LATE_PLANT = {
    "commodities": COMMODITIES, "sites": "site\nplant\n", "modes": "mode,process\nrun,make",
    "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,feed,in,1\nrun,product,out,1",
    "units": "unit,site,process,capacity_k_per_yr,max_new_k_per_yr,capex_usd_per_unit_yr,"
             "lifetime_yr,lead_time_yr\nu,plant,make,0,20,150,2,3",
    "supplies": "site,commodity,cost_usd_per_unit\nplant,feed,0"}


@pytest.mark.parametrize(("periods", "built", "objective", "warned"), [
    ([{"period": "p1", "start_year": 2026, "length_yr": 5}], 12.5, 0.625, True),
    ([{"period": "p1", "start_year": 2026, "length_yr": 3},
      {"period": "p2", "start_year": 2029, "length_yr": 2}], 5.0, 0.25, False)])
def test_a_yearly_cap_in_a_period_where_capacity_arrives_holds_on_average(
        tmp_path, periods, built, objective, warned):
    """The relaxation the README states (Time model), on a case small enough to see it.

    A plant of capex 150 USD per t/yr, lead time 3, life 2 (usable 2029-2030, dead at the
    horizon: no residual), margin 100 USD/t, sales capped at 5 kt/yr, rate 0. Year by
    year the best plant is 5 kt/yr: sales 5 x 2 years x 100 = 1.0 MUSD less capex
    5 x 150 = 0.75, so 0.25 MUSD; a 12.5 kt/yr plant sells no more (the cap holds each
    year) and loses 1.0 - 1.875 = -0.875. In one 2026-2030 period the plant counts as
    2/5 of its capacity and the cap holds for the period's average year: 0.4 x 12.5 = 5,
    so the model builds 12.5 kt/yr and values it at 5 years x 0.4 x 12.5 x 100 / 1000 -
    1.875 = 0.625 MUSD. With a period of its own from 2029 (as the README advises) the
    plant counts fully there and the model finds the year-by-year plan, 5 kt/yr, 0.25.

    Nothing said so: the run now warns of the one-period plan and says how to check it,
    a period from 2029: read year by year, the plant runs its 12.5 kt/yr in 2029-2030
    (the average's 5 = 0.4 x 12.5), 7.5 over the cap in each. The split case, whose plant
    comes into use at a period's start, is not warned."""
    folder = write_case(tmp_path, {**LATE_PLANT, "markets": "site,commodity,price_usd_per_unit,"
                                                            "max_k_per_yr\nplant,product,100,5"},
                        periods=periods)
    res = solve_case(folder)
    assert res.objective == pytest.approx(objective, abs=1e-9)
    assert value(res["capacity"], name="u", period="p1")["new_k_per_yr"] == pytest.approx(
        built, abs=1e-9)
    assert res.manifest["warnings"] == ([
        "unit u comes into use in 2029, inside period p1 (2026-2030), and the plan uses it "
        "there beyond 1 other yearly limit of p1 year by year (market.sales (site=plant, "
        "commodity=product, period=p1), above its upper bound 5 by 7.5 in 2029-2030): it holds "
        "on the "
        "period's average year, but the plan read year by year, with the build in 2029-2030 "
        "only, breaks it, so the plan's value may be too high (README, Time model). To "
        "value it year by year, start a period in 2029 (a scenario change split: p1, at: "
        "2029) and compare"] if warned else [])


def test_capacity_arriving_in_a_period_without_another_binding_limit_is_exact(tmp_path):
    """The plant of the test above without the sales cap: year by year it is built to its
    20 kt/yr limit and earns 20 x 100 x 2 years = 4.0 MUSD for 20 x 150 = 3.0 of capex: 1.0.
    In the one 2026-2030 period it counts as 2/5: 5 years x 0.4 x 20 x 100 / 1000 - 3.0
    = 1.0, the same (nothing else holds its output on the period's average), so the run
    warns of nothing. A project's unit under the cap (project pj, 20 kt/yr, 2.0 MUSD, lead
    3, life 2) is warned as the unit was: the period's average lets it sell the cap's 5
    kt/yr for 5 years, 2.5 MUSD > 2.0, so it is built, though year by year it sells 5
    kt/yr in 2029-2030 only, 1.0 MUSD, and would not be: read year by year the plan's
    5 kt/yr on the average are 12.5 in each of 2029-2030 (5 / 0.4), 7.5 over the cap
    (no limit binds without the cap: the plant's 20 kt/yr sell 20 in 2029-2030)."""
    tables = {**LATE_PLANT, "markets": "site,commodity,price_usd_per_unit\nplant,product,100"}
    one = [{"period": "p1", "start_year": 2026, "length_yr": 5}]
    res = solve_case(write_case(tmp_path / "free", tables, periods=one))
    assert res.objective == pytest.approx(1.0, abs=1e-9)
    assert res.manifest["warnings"] == []
    # a unit v of no capacity beside it (review fin2 F5): its capacity row binds at 0 with
    # the value one t/yr there would earn (100), but nothing of v stands to be run past
    # year by year; it was named as the one other limit binding, now it is not
    idle = {**tables, "units": tables["units"] + "\nv,plant,make,0,,,,"}
    res = solve_case(write_case(tmp_path / "idle", idle, periods=one))
    assert res.objective == pytest.approx(1.0, abs=1e-9)
    assert value(res["constraints"], key="unit=v, period=p1")["marginal_value"] == (
        pytest.approx(100.0))
    assert res.manifest["warnings"] == []
    project = {**tables, "units": "unit,site,process,capacity_k_per_yr,project\n"
                                  "u,plant,make,20,pj",
               "projects": "project,capex_musd,earliest_period,lifetime_yr,lead_time_yr,"
                           "all_or_nothing,state\npj,2,p1,2,3,true,optional",
               "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\nplant,product,"
                          "100,5"}
    res = solve_case(write_case(tmp_path / "project", project, periods=one))
    assert res.objective == pytest.approx(0.5, abs=1e-9)
    (note,) = res.manifest["warnings"]
    assert note.startswith("project pj comes into use in 2029, inside period p1 "
                           "(2026-2030), and the plan uses it there beyond 1 other yearly "
                           "limit of p1 year by year (market.sales (site=plant, "
                           "commodity=product, period=p1), above its upper bound 5 by 7.5 "
                           "in 2029-2030)")



#: the review cmp's toy: u0 (100 kt/yr, in place) runs full; project pa (50 MUSD, lead 1,
#: life 12) brings ua (100 kt/yr, fixed O&M 5 USD per t/yr), usable from 2027, inside p1;
#: margin 120 USD/t, sales capped at 400 kt/yr
BESIDE_FULL = {
    "units": "unit,site,process,capacity_k_per_yr,fixed_om_usd_per_unit_yr,project\n"
             "u0,plant,make,100,0,\nua,plant,make,100,5,pa",
    "projects": "project,capex_musd,earliest_period,lifetime_yr,lead_time_yr,"
                "all_or_nothing,state\npa,50,p1,12,1,true,optional"}


@pytest.mark.parametrize("floor", [None, 150])
def test_a_project_coming_into_use_beside_a_full_unit_is_warned_only_of_a_real_break(
        tmp_path, floor):
    """Review cmp F1. Year by year the plan is feasible: in 2026 u0 makes 100 and 100 are
    sold (<= the cap of 400), in 2027-2030 u0 + ua make and sell 200; nothing else binds.
    pa is worth, year by year, -50 + (120 - 5) x 100 / 1000 = 11.5 a year in 2027-2035
    (x sum_{k=1..9} 1.1^-k = 5.759024) + the residual of the 3 years after 2035, the
    annuity A = 50 / sum_{k=1..12} 1.1^-k = 7.338166 x (1 + 1/1.1 + 1/1.21) = 20.073825
    at 2036 (x 1.1^-10): 23.968103, and the one-period plan's gain is exactly that. The
    run warned that u0's capacity row is broken by 52.79 in 2026: its reading put ua's
    missing 2026 output on every flow of the product balance in proportion to size, on
    u0 (full) as well as on sales. It now puts it first on the flows free to move (the
    sale, the feed bought), and warns of nothing.

    With a hard floor of 150 kt/yr the break is real: in 2026 only u0's 100 can be made,
    150 - 100 = 50 short of the floor (the average's 100 + 100 x (w - 1) / w = 178 holds
    it), and the run warns of that row."""
    markets = "site,commodity,price_usd_per_unit,max_k_per_yr,min_k_per_yr\n" + (
        f"plant,product,220,400,{floor or 0}")
    folder = chain(tmp_path, "", extra={**BESIDE_FULL, "markets": markets},
                   demand_floors="hard")
    res = solve_case(folder)
    warnings = res.manifest["warnings"]
    if floor:
        assert len(warnings) == 1
        assert warnings[0].startswith(
            "project pa comes into use in 2027, inside period p1 (2026-2030), and the plan "
            "uses it there beyond 1 other yearly limit of p1 year by year "
            "(market.demand_min (site=plant, commodity=product, period=p1), below its "
            "lower bound by 50 in 2026)")
        return
    annuity = 50 / sum(1.1 ** -k for k in range(1, 13))
    residual = annuity * dsum(2036, 2038) / d(2036)  # at 2036
    hand = -50 + 11.5 * dsum(2027, 2035) + residual * d(2036)
    assert (annuity, residual, hand) == pytest.approx((7.338166, 20.073825, 23.968103),
                                                      abs=1e-6)
    off = api.run(without_projects(load_case(folder), ["pa"]), save=False)
    assert res.objective - off.objective == pytest.approx(hand, abs=1e-6)
    assert warnings == []


#: the review's case r: plant u (feed 1:1 to product, 100 -> 300 USD/t, sales capped at
#: 10 kt/yr), 10 kt/yr in place (fixed O&M 20 USD per t/yr), expandable by up to 10 kt/yr
#: at 500 USD per t/yr (life 10, no lead time); p1 2026-2027, p2 2028-2030, rate 10 %
RETIRING = {**FEED_TO_PRODUCT,
            "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\nplant,product,300,10",
            "units": "unit,site,process,capacity_k_per_yr,fixed_om_usd_per_unit_yr,"
                     "capex_usd_per_unit_yr,max_new_k_per_yr,lifetime_yr,retire_year\n"
                     "u,plant,make,10,20,500,10,10,{retire}"}
P1_P2 = [{"period": "p1", "start_year": 2026, "length_yr": 2},
         {"period": "p2", "start_year": 2028, "length_yr": 3}]
RETIRES_IN_P2 = (
    "the existing capacity of unit u retires in 2029 (units.csv, retire_year), inside "
    "period p2 (2028-2030), and the plan uses it there beyond 1 other yearly limit of p2 "
    "year by year (market.sales (site=plant, commodity=product, period=p2), above its "
    "upper bound 10 by 6.344 in 2028): it holds on the period's average year, but that "
    "capacity is there in 2028 only, and the plan read year by year breaks it, so the plan "
    "as reported may be worth less than the objective says (README, Time model). To value "
    "it year by year, start a period in 2029 (a scenario change split: p2, at: 2029) and compare")


def _retiring(tmp_path, retire: str = "2029", cap: bool = True, **changes):
    """RETIRING with u retiring at the start of ``retire``, without the sales cap unless
    ``cap``, changed by ``changes`` (one scenario change)."""
    tables = {**RETIRING, "units": RETIRING["units"].format(retire=retire)}
    if not cap:
        tables["markets"] = "site,commodity,price_usd_per_unit\nplant,product,300"
    case = api.load_case(write_case(tmp_path, tables, periods=P1_P2, discount_rate=R))
    return api.change_case(case, [changes]) if changes else case


def test_capacity_retiring_inside_a_period_under_a_binding_cap_is_warned(tmp_path):
    """The review's F1: u's 10 kt/yr retire at the start of 2029, inside p2 (2028-2030).
    d(y) = 1.1^-(y - 2026); w_p2 = d28 + d29 + d30 = 0.826446 + 0.751315 + 0.683013 =
    2.260774. A new t/yr costs the annuity 500 / sum_{k<10} 1.1^-k = 500 / 6.759024 =
    73.98 USD a year and earns 300 - 100 - 20 = 180 under the cap.

    Year by year the best plan replaces u by 10 kt/yr from 2029: 1.8 MUSD a year in
    2026-2030 (10 kt at 180 USD/t), less the annuity 0.739752 in 2029-2030:
    1.8 x 4.169865 - 0.739752 x 1.434328 = 7.505757 - 1.061046 = 6.444711.

    The average year of p2 holds u's 10 kt/yr as 10 x d28 / w_p2 = 3.655589 (its 2028
    only) and the cap 10 on the average, so it builds the rest, 10 - 3.655589 = 6.344411
    kt/yr from 2028 (each such t/yr earns 180 - 73.98 > 0 on p2's average; none in p1,
    where u fills the cap), at the same objective 6.444711 (its annuity over w_p2:
    6.344411 x 73.98 x 2.260774 = 1.061046, as above). Built as reported, that plan
    sells u's 10 kt in 2028 (the new plant idle, paying its fixed O&M 0.126888) and
    6.344411 kt in 2029-2030 (1.141994 a year): 1.8 x (1 + d27) + (2.0 - 0.2 - 0.126888)
    x d28 + 1.141994 x (d29 + d30) - 1.061046 = 3.436364 + 1.382738 + 1.637994 - 1.061046
    = 5.396049, 1.05 less than reported, and the run said nothing. Now it warns and says
    to split p2 at 2029; so split, the model builds the year-by-year 10 kt/yr from 2029,
    at 6.444711, and does not warn."""
    res = api.run(_retiring(tmp_path / "r"), save=False)
    dd = {y: 1.1 ** -(y - 2026) for y in range(2026, 2031)}
    annuity = 500 / sum(1.1 ** -k for k in range(10))
    assert res.objective == pytest.approx(
        1.8 * sum(dd.values()) - 10 * annuity / 1000 * (dd[2029] + dd[2030]), abs=1e-6)
    assert res.objective == pytest.approx(6.444711, abs=1e-6)
    new = value(res["capacity"], name="u", period="p2")["new_k_per_yr"]
    assert new == pytest.approx(10 - 10 * dd[2028] / (dd[2028] + dd[2029] + dd[2030]),
                                abs=1e-6)
    assert new == pytest.approx(6.344411, abs=1e-6)
    assert res.manifest["warnings"] == [RETIRES_IN_P2]
    split = api.run(_retiring(tmp_path / "s", split="p2", at=2029), save=False)
    assert split.objective == pytest.approx(6.444711, abs=1e-6)
    assert value(split["capacity"], name="u", period="p2029")["new_k_per_yr"] == (
        pytest.approx(10, abs=1e-6))
    assert split.manifest["warnings"] == []


def test_capacity_retiring_at_a_period_start_or_without_a_binding_limit_is_not_warned(
        tmp_path):
    """u of the test above retiring at p2's start (2028): year by year and on the average
    alike the model replaces it by 10 kt/yr from 2028, 1.8 x 4.169865 - 0.739752 x
    2.260774 = 7.505758 - 1.672412 = 5.833346, not warned. Retiring in 2029 without the
    sales cap: nothing else holds u's output on the period's average (u's own capacity
    is its own), so the plan is exact and not warned either."""
    at_start = api.run(_retiring(tmp_path / "a", "2028"), save=False)
    assert at_start.objective == pytest.approx(5.833346, abs=1e-6)
    assert at_start.manifest["warnings"] == []
    res = api.run(_retiring(tmp_path / "b", cap=False), save=False)
    assert res.manifest["warnings"] == []


#: review walk3 F1: u0 (10 kt/yr, feed to product 1:1) retires in 2028, inside the one
#: period 2026-2030; g makes 3 kt/yr of feed from free raw; feed is also bought at 50
#: USD/t, at most 5 kt/yr; product sells at 400 USD/t without a cap; rate 10 %
BOTH_SIDES = {
    "commodities": "commodity,unit,kind\nraw,t,raw\nfeed,t,intermediate\nproduct,t,product",
    "sites": "site\nplant", "modes": "mode,process\nrun,make\ngrow,grow",
    "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,feed,in,1\n"
                  "run,product,out,1\ngrow,raw,in,1\ngrow,feed,out,1",
    "units": "unit,site,process,capacity_k_per_yr,retire_year\nu0,plant,make,10,2028\n"
             "g,plant,grow,3,",
    "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\nplant,feed,50,5\n"
                "plant,raw,0,",
    "markets": "site,commodity,price_usd_per_unit\nplant,product,400"}


def test_a_limit_broken_above_in_some_years_and_below_in_others_says_each_side(tmp_path):
    """Review walk3 F1: the warning joined two breaks of one bound into one number, the
    larger with the years of both (`broken by 3 in 2026-2030`), and did not say which
    side was broken; it now says each side with its own bound, size and years.

    d(y) = 1.1^-(y - 2026), w = d26 + ... + d30 = 4.169865. u0 stands in 2026-2027 only:
    on the average it counts (d26 + d27) / w = 1.909091 / 4.169865 = 0.457830 of its 10
    kt/yr, 4.578 kt/yr, all used (each t earns 400 - at most 50). g runs full (free
    feed): 3. Feed bought on the average: 4.578 - 3 = 1.578 <= 5, so no limit binds.

    Read year by year, u0 runs 10 in 2026-2027 and 0 in 2028-2030, g 3 throughout (full),
    and the feed balance makes the purchase u0's use less g's 3: 10 - 3 = 7 in 2026-2027,
    above the limit of 5 by 2, and 0 - 3 = -3 in 2028-2030, below its lower bound 0 by 3.
    (Their average: (7 x 1.909091 - 3 x 2.260774) / 4.169865 = 1.578, the plan's.)"""
    case = api.load_case(write_case(tmp_path, BOTH_SIDES, discount_rate=R, periods=[
        {"period": "p1", "start_year": 2026, "length_yr": 5}]))
    res = api.run(case, save=False)
    w = dsum(2026, 2030)
    share = dsum(2026, 2027) / w
    assert (w, share) == pytest.approx((4.169865, 0.457830), abs=1e-6)
    bought = value(res["purchases"], commodity="feed")["purchase_k_per_yr"]
    assert bought == pytest.approx(10 * share - 3, abs=1e-6)
    assert (7 * dsum(2026, 2027) - 3 * dsum(2028, 2030)) / w == pytest.approx(bought)
    assert res.manifest["warnings"] == [
        "the existing capacity of unit u0 retires in 2028 (units.csv, retire_year), inside "
        "period p1 (2026-2030), and the plan uses it there beyond 1 other yearly limit of "
        "p1 year by year (supply.purchase (site=plant, commodity=feed, period=p1), above "
        "its upper bound 5 by 2 in 2026-2027 and below its lower bound 0 by 3 in "
        "2028-2030): it holds on the period's average year, but that capacity is there in "
        "2026-2027 only, and the plan read year by year breaks it, so the plan as reported "
        "may be worth less than the objective says (README, Time model). To value it year "
        "by year, start a period in 2028 (a scenario change split: p1, at: 2028) and "
        "compare"]


#: review mip F1: feed (100 USD/t) to product 1:1 at plant, sold at 500 USD/t, at most 10
#: kt/yr; periods 2026-2028 and 2029-2031, rate 10 %; add the unit or project
CAP_SLACK_ON_AVERAGE = {**FEED_TO_PRODUCT, "markets": "site,commodity,price_usd_per_unit,"
                                                      "max_k_per_yr\nplant,product,500,10"}
THREE_THREE = [{"period": "p1", "start_year": 2026, "length_yr": 3},
               {"period": "p2", "start_year": 2029, "length_yr": 3}]


@pytest.mark.parametrize("kind", ["project", "unit"])
def test_a_build_used_in_one_year_of_a_period_past_a_cap_slack_on_the_average_is_warned(
        tmp_path, kind):
    """Review mip F1: a 20 kt/yr plant that comes into use in 2031, the last year of p2
    (2029-2031), under a 10 kt/yr sales cap. d(y) = 1.1^-(y - 2026): d29 = 0.751315, d30 =
    0.683013, d31 = 0.620921, w_p2 = 2.055249; the plant counts in p2 with d31 / w_p2 =
    0.302115 of its capacity, 6.0423 kt/yr on the average: the cap does not bind there,
    and the run said nothing. Year by year it runs in 2031 alone, 20 kt against the cap
    of 10.

    Project pr (capex 15 MUSD, lead 2 from 2029, life 4): annuity A = 7.5 (d29 + d30) /
    (d31 + .. + d34) = 10.757462 / 2.165061 = 4.968665 MUSD a year, 3.085150 charged in
    2031. Reported: 400 USD/t x 20 kt x d31 = 4.967371 less 3.085150 = 1.882220, built;
    year by year it sells 10 in 2031: 2.483685 - 3.085150 = -0.601465, not built (a
    period from 2031 finds 0). Unit u (0 in place, up to 20 kt/yr new in p2 at 1000 USD
    per t/yr and 1 MUSD fixed, lead 2, life 4): A = 0.331244 per MUSD of overnight cost
    (the same ratio), 21 MUSD for 20 kt/yr, 4.319210 in 2031: reported 4.967371 -
    4.319210 = 0.648160 (year by year the best is 10 kt/yr, 0.2212, review leadH3). Now
    both warn, 20 - 10 = 10 over the cap in 2031."""
    tables = dict(CAP_SLACK_ON_AVERAGE)
    if kind == "project":
        tables["units"] = "unit,site,process,capacity_k_per_yr,project\nu,plant,make,20,pr"
        tables["projects"] = ("project,capex_musd,earliest_period,lifetime_yr,lead_time_yr,"
                              "all_or_nothing,state\npr,15,p2,4,2,true,optional")
    else:
        tables["units"] = ("unit,site,process,capacity_k_per_yr,capex_usd_per_unit_yr,"
                           "max_new_k_per_yr,build_fixed_musd,lifetime_yr,lead_time_yr\n"
                           "u,plant,make,0,1000,20,1,4,2")
        tables["units_by_period"] = "unit,period,max_new_k_per_yr\nu,p1,0"
    case = api.load_case(write_case(tmp_path, tables, periods=THREE_THREE, discount_rate=R))
    res = api.run(case, save=False)
    d31 = d(2031)
    w_p2 = d(2029) + d(2030) + d31
    annuity = (d(2029) + d(2030)) / 2 / sum(d(y) for y in range(2031, 2035))
    overnight = 15.0 if kind == "project" else 21.0
    assert res.objective == pytest.approx(8 * d31 - overnight * annuity * d31, abs=1e-6)
    assert res.objective == pytest.approx(1.882220 if kind == "project" else 0.648160,
                                          abs=1e-6)
    sold = value(res["sales"], period="p2")["sales_k_per_yr"]
    assert sold == pytest.approx(20 * d31 / w_p2, abs=1e-6)
    assert sold == pytest.approx(6.0423, abs=1e-4)
    name = "pr" if kind == "project" else "u"
    (note,) = res.manifest["warnings"]
    assert note.startswith(
        f"{kind} {name} comes into use in 2031, inside period p2 (2029-2031), and the plan "
        "uses it there beyond 1 other yearly limit of p2 year by year (market.sales "
        "(site=plant, commodity=product, period=p2), above its upper bound 10 by 10 in 2031): "
        "it holds on "
        "the period's average year, but the plan read year by year, with the build in 2031 "
        "only, breaks it")
    assert note.endswith("start a period in 2031 (a scenario change split: p2, at: 2031) "
                         "and compare")
    if kind == "project":
        split = api.run(api.change_case(case, [{"split": "p2", "at": 2031}]), save=False)
        assert split.objective == pytest.approx(0.0, abs=1e-9)
        assert 400 * 10 * d31 / 1000 - 15 * annuity * d31 == pytest.approx(-0.601465,
                                                                           abs=1e-6)


def test_a_unit_retiring_inside_a_period_past_a_cap_slack_on_the_average_is_warned(tmp_path):
    """Review mip F1 (retR): u0 of 30 kt/yr retires at the start of 2029, inside one
    2028-2030 period (rate 0), under a 15 kt/yr sales cap at a margin of 200 USD/t. On the
    average u0 counts 30 x 1/3 = 10 kt/yr, under the cap: sales 10 in each year, 10 x 200
    x 3 = 6.0 MUSD, and the run said nothing. Year by year u0 runs in 2028 only and sells
    at most the cap's 15 there: 15 x 200 = 3.0 MUSD (a period from 2029 finds it). Now the
    run warns: the plan read year by year sells 30 in 2028, 15 over the cap."""
    tables = {**FEED_TO_PRODUCT,
              "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\nplant,product,300,15",
              "units": "unit,site,process,capacity_k_per_yr,retire_year\nu0,plant,make,30,2029"}
    case = api.load_case(write_case(tmp_path, tables, base_year=2028, periods=[
        {"period": "p1", "start_year": 2028, "length_yr": 3}]))
    res = api.run(case, save=False)
    assert res.objective == pytest.approx(6.0, abs=1e-9)
    assert value(res["sales"], period="p1")["sales_k_per_yr"] == pytest.approx(10.0)
    (note,) = res.manifest["warnings"]
    assert note.startswith(
        "the existing capacity of unit u0 retires in 2029 (units.csv, retire_year), inside "
        "period p1 (2028-2030), and the plan uses it there beyond 1 other yearly limit of "
        "p1 year by year (market.sales (site=plant, commodity=product, period=p1), above "
        "its upper bound 15 by 15 in 2028): it holds on the period's average year, but that "
        "capacity is there in 2028 only")
    split = api.run(api.change_case(case, [{"split": "p1", "at": 2029}]), save=False)
    assert split.objective == pytest.approx(3.0, abs=1e-9)
    assert split.manifest["warnings"] == []


def test_a_retirement_reads_the_capacity_of_its_period(tmp_path):
    """Review s24 F2 and F3: the capacity that retires is what stands in its last year,
    with units_by_period.csv applied. u at 0 in units.csv and 10 in both periods by
    period is the case above: the same plan (6.444711) and the same warning, which was
    missed (units.csv's 0 read as nothing to retire). u at 10 in units.csv but 6 in both
    periods, with a life extension of 5 years at 10 USD per t/yr that the plan takes for
    all 6 kt/yr (it earns 180 a t): nothing retires inside p2, and no warning, where
    one was given (6 < 10 read as a partial extension)."""
    by_period = "unit,period,capacity_k_per_yr\nu,p1,{c}\nu,p2,{c}"
    tables = {**RETIRING, "units": RETIRING["units"].format(retire="2029").replace(
        "u,plant,make,10,", "u,plant,make,0,"), "units_by_period": by_period.format(c=10)}
    res = api.run(write_case(tmp_path / "a", tables, periods=P1_P2, discount_rate=R),
                  save=False)
    assert res.objective == pytest.approx(6.444711, abs=1e-6)
    assert res.manifest["warnings"] == [RETIRES_IN_P2]
    units = ("unit,site,process,capacity_k_per_yr,fixed_om_usd_per_unit_yr,"
             "capex_usd_per_unit_yr,max_new_k_per_yr,lifetime_yr,retire_year,"
             "life_extension_yr,life_extension_capex_usd_per_unit_yr\n"
             "u,plant,make,10,20,500,10,10,2029,5,10")
    tables = {**RETIRING, "units": units, "units_by_period": by_period.format(c=6)}
    res = api.run(write_case(tmp_path / "b", tables, periods=P1_P2, discount_rate=R),
                  save=False)
    ext = res["investments"]
    assert ext.loc[ext["kind"] == "extension", "amount"].sum() == pytest.approx(6)
    assert res.manifest["warnings"] == []


def test_a_unit_a_project_retires_first_is_not_warned_at_its_retire_year(tmp_path):
    """Review s24 F4: e (10 kt/yr, retire_year 2029) is retired by project pj, forced in
    p1 with two construction years, so in use from 2028 (p1: 2026-2030). e stands in
    2026-2027 only: its p1 capacity is 10 x (d26 + d27) / w_p1 = 10 x 1.909091 /
    4.169865 = 4.578295. The run warned that 'the existing capacity of unit e retires in
    2029' and advised a split at 2029, which no longer applies. pj's own start (2028,
    inside p1) was warned of too, with e's capacity row as the other limit binding (review
    F3); but e stands in the years before pj's unit, its row binds on the average exactly
    as e runs year by year, and nothing else binds: no warning at all."""
    tables = {**FEED_TO_PRODUCT,
              "units": "unit,site,process,capacity_k_per_yr,fixed_om_usd_per_unit_yr,"
                       "retire_year,life_extension_yr,life_extension_capex_usd_per_unit_yr,"
                       "project\ne,plant,make,10,20,2029,3,100,\nup,plant,make,15,10,,,,pj",
              "projects": "project,capex_musd,earliest_period,lifetime_yr,lead_time_yr,"
                          "all_or_nothing,state,forced_period,retires_units\n"
                          "pj,10,p1,25,2,true,forced,p1,e"}
    res = api.run(write_case(tmp_path / "c", tables, periods=[
        {"period": "p1", "start_year": 2026, "length_yr": 5},
        {"period": "p2", "start_year": 2031, "length_yr": 5}], discount_rate=R), save=False)
    assert value(res["capacity"], name="e", period="p1")["existing_k_per_yr"] == (
        pytest.approx(10 * (1 + 1 / 1.1) / sum(1.1 ** -k for k in range(5)), abs=1e-6))
    assert res.manifest["warnings"] == []


#: the review's F1 case lr: crude bought at a (100 USD/t, at most 10 kt/yr) and sold at b
#: (200 USD/t, at most 4.8 kt/yr); link ab of no capacity, expandable by up to 10 kt/yr at
#: 30 USD per t/yr, life 3, loss 0.2, ramp_up 0.5;0.8; one period 2026-2028, rate 0
RAMPING_LINK = {
    "commodities": "commodity,unit,kind\ncrude,t,raw", "sites": "site\na\nb",
    "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\na,crude,100,10",
    "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\nb,crude,200,4.8",
    "links": "link,from_site,to_site,commodities,capacity_k_per_yr,cost_usd_per_unit,"
             "loss_fraction,capex_usd_per_unit_yr,max_new_k_per_yr,lifetime_yr,lead_time_yr,"
             "ramp_up\nab,a,b,crude,0,0,0.2,30,10,3,0,0.5;0.8"}
#: the same with a unit at plant: feed (100 USD/t) to product 1:1, sold at 200 USD/t, at
#: most 6 kt/yr; u of no capacity, expandable by up to 10 kt/yr at 30 USD per t/yr
RAMPING_UNIT = {
    **FEED_TO_PRODUCT,
    "units": "unit,site,process,capacity_k_per_yr,capex_usd_per_unit_yr,max_new_k_per_yr,"
             "lifetime_yr,ramp_up\nu,plant,make,0,30,10,3,0.5;0.8",
    "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\nplant,product,200,6"}
RAMPS_IN_P1 = (
    "link ab ramps up inside period p1 (2026-2028): usable at 50 % of its capacity in 2026, "
    "80 % in 2027 and 100 % in 2028 (links.csv, ramp_up 0.5;0.8), and the plan uses it "
    "there beyond 1 other yearly limit of p1 year by year (market.sales (site=b, "
    "commodity=crude, period=p1), above its upper bound 4.8 by 1.461 in 2027-2028): it holds on "
    "the period's "
    "average year, where the build counts with the average of its shares, but the plan "
    "read year by year, the build at each year's share, breaks it, so the plan's value "
    "may be too high (README, Time model). To value it year by year, start a period in "
    "each of 2027 and 2028 (scenario changes split: p1, at: 2028 and split: p1, at: 2027, "
    "in that order) and compare")


@pytest.mark.parametrize(("tables", "reported", "best", "warned"), [
    (RAMPING_LINK, 0.845217, 0.72, RAMPS_IN_P1),
    (RAMPING_UNIT, 1.565217, 1.4, "unit u ramps up inside period p1 (2026-2028): usable at "
                                  "50 % of its capacity in 2026, 80 % in 2027 and 100 % in "
                                  "2028 (units.csv, ramp_up 0.5;0.8), and the plan uses it "
                                  "there beyond 1 other yearly limit of p1 year by year "
                                  "(market.sales (site=plant, commodity=product, period=p1), "
                                  "above its upper bound 6 by 1.826 in 2027-2028)")])
def test_a_ramp_up_inside_a_period_under_a_binding_cap_is_warned(tmp_path, tables, reported,
                                                                 best, warned):
    """Review F1: a build of x t/yr with ramp_up 0.5;0.8 is usable 0.5x, 0.8x, x in
    2026-2028; in one 2026-2028 period it counts with the average share (0.5 + 0.8 + 1) / 3
    = 0.766667, while the sales cap holds on the average year too.

    Link ab: each t entering earns 0.8 x 200 - 100 = 60 USD; the cap of 4.8 delivered is 6
    entering. On the average the model builds 6 / 0.766667 = 7.826087 kt/yr and reports 3
    years x 6 x 60 - 30 x 7.826087 = 1.08 - 0.234783 = 0.845217 MUSD. Built as reported,
    ab carries 3.913043, 6, 6 (6.26 capped) in 2026-2028: 60 x 15.913043 - 0.234783 =
    0.72. The best plan year by year: x <= 6 earns 60 x 2.3x - 30x = 108x, at most 0.648;
    6 <= x <= 7.5 earns 60 (1.3x + 6) - 30x, at most 0.72 at 7.5; 7.5 <= x <= 10 earns
    60 (0.5x + 12) - 30x = 0.72 flat. So 0.72, which the split into 2026, 2027 and 2028
    finds, unwarned.

    Unit u: each t earns 200 - 100 = 100 USD, the cap 6: again 7.826087 kt/yr, reported
    1.8 - 0.234783 = 1.565217, worth 100 x 15.913043 - 0.234783 = 1.356522 as built; year
    by year 7.5 <= x <= 10 earns 100 (0.5x + 12) - 30x = 1.2 + 0.02x, best 1.4 at x = 10
    (6 <= x <= 7.5: 100 (1.3x + 6) - 30x at most 1.35; x <= 6: 200x at most 1.2). Nothing
    warned of either before. Read year by year (the plan's full use at each year's share)
    ab carries 3.913, 6.261 and 7.826 and delivers 0.8 of it, 5.009 and 6.261 in 2027-2028
    against the cap of 4.8: broken by 0.209 and 1.461 (u: 6.261 and 7.826 against 6, by
    0.261 and 1.826), the largest named."""
    case = api.load_case(write_case(tmp_path, tables, periods=[
        {"period": "p1", "start_year": 2026, "length_yr": 3}]))
    res = api.run(case, save=False)
    assert res.objective == pytest.approx(reported, abs=1e-6)
    assert res["investments"]["amount"].sum() == pytest.approx(6 / (2.3 / 3), abs=1e-6)
    (note,) = res.manifest["warnings"]
    assert note.startswith(warned)
    split = api.run(api.change_case(case, [{"split": "p1", "at": 2028},
                                           {"split": "p1", "at": 2027}]), save=False)
    assert split.objective == pytest.approx(best, abs=1e-6)
    assert split.manifest["warnings"] == []


def test_a_ramp_up_without_another_binding_limit_or_at_period_starts_is_not_warned(tmp_path):
    """Link ab of the test above without the sales cap: the supply's 10 kt/yr holds its
    use, and ab is built to its 10 kt/yr (each t/yr earns 60 x 2.3 - 30 = 108 USD over the
    three years): 108 x 10 / 1000 = 1.08 MUSD, year by year and on the average alike (on
    it ab carries 10 x 0.766667 = 7.666667; year by year 5, 8 and 10, within the supply's
    10 in each year), so nothing is warned.

    Ramping over 2026-2027 in periods 2026 and 2027-2028, its share in 2027-2028 is 0.8
    then 1 (average 0.9): a ramp step inside p2027. At 30 USD per t/yr the plan builds 10
    (on the average 60 (0.5x + 2 min(0.9x, 6)) - 30x, flat at 0.72 from x = 6.667: the
    model's pick is 10) and carries 6 in each of 2027 and 2028, within the 8 and 10 the
    link has there: exact (0.72, the year-by-year best of the test above), not warned,
    where the run warned because the cap binds on the average. At 31 USD per t/yr the
    flat part falls (60 x 0.5 - 31 < 0), the model builds 6 / 0.9 = 6.667 and carries it
    full, 5.333 and 6.667 kt in 2027 and 2028: 0.8 x 6.667 = 5.333 delivered in 2028
    against the cap of 4.8, broken by 0.5333, warned; with 1-year periods there is no
    step inside a period."""
    free = {**RAMPING_LINK, "markets": "site,commodity,price_usd_per_unit\nb,crude,200"}
    res = api.run(write_case(tmp_path / "free", free, periods=[
        {"period": "p1", "start_year": 2026, "length_yr": 3}]), save=False)
    assert res.objective == pytest.approx(1.08, abs=1e-6)
    assert res.manifest["warnings"] == []
    two = [{"period": "p1", "start_year": 2026, "length_yr": 1},
           {"period": "p2027", "start_year": 2027, "length_yr": 2}]
    res = api.run(write_case(tmp_path / "two", RAMPING_LINK, periods=two), save=False)
    assert res.objective == pytest.approx(0.72, abs=1e-6)
    assert res["investments"]["amount"].sum() == pytest.approx(10, abs=1e-6)
    assert res.manifest["warnings"] == []
    dearer = {**RAMPING_LINK, "links": RAMPING_LINK["links"].replace(",0.2,30,10,", ",0.2,31,10,")}
    res = api.run(write_case(tmp_path / "dearer", dearer, periods=two), save=False)
    assert res["investments"]["amount"].sum() == pytest.approx(6 / 0.9, abs=1e-6)
    (note,) = res.manifest["warnings"]
    assert note.startswith("link ab ramps up inside period p2027 (2027-2028): usable at 80 % "
                           "of its capacity in 2027 and 100 % in 2028 (links.csv, ramp_up "
                           "0.5;0.8), and the plan uses it there beyond 1 other yearly limit "
                           "of p2027 year by year (market.sales (site=b, commodity=crude, "
                           "period=p2027), above its upper bound 4.8 by 0.5333 in 2028)")
    assert note.endswith("start a period in 2028 (a scenario change split: p2027, at: 2028) "
                         "and compare")
    res = api.run(write_case(tmp_path / "three", RAMPING_LINK, periods=[
        {"period": f"p{y}", "start_year": y, "length_yr": 1} for y in (2026, 2027, 2028)]),
        save=False)
    assert res.objective == pytest.approx(0.72, abs=1e-6)
    assert res.manifest["warnings"] == []


def test_a_project_replacing_the_unit_it_retires_is_not_warned_of_that_units_limit(
        tmp_path):
    """Review F3: unit old (10 kt/yr, its mode 50 USD/t) is retired by project newp (1
    MUSD, lead 1, life 3), whose unit newu (10 kt/yr, mode at no cost) turns feed (100
    USD/t) into product (200 USD/t) with nothing else limiting; periods 2026-2027 and
    2028-2029, rate 0. Built in p1, newp is used from 2027: old makes 10 kt at 50 USD/t in
    2026 (0.5 MUSD), newu 10 kt at 100 in 2027-2029 (3.0), less 1.0: 2.5 (not built: 4 x
    0.5 = 2.0; built in p2, used from 2029: 1.5 + 1.0 - 1/3 of its annuities in the
    horizon = 2.166667). On p1's average year old counts 5 kt/yr and newu 5, both full:
    the same 2.5, exact. The run warned that 1 other yearly limit binds, old's capacity
    row; old stands in the years before newp's, so it is newp's own. Now nothing."""
    tables = {**FEED_TO_PRODUCT,
              "modes": "mode,process,variable_cost_usd_per_unit\nrun_old,mold,50\n"
                       "run,make,0",
              "mode_flows": "mode,commodity,direction,amount_per_unit\nrun_old,feed,in,1\n"
                            "run_old,product,out,1\nrun,feed,in,1\nrun,product,out,1",
              "markets": "site,commodity,price_usd_per_unit\nplant,product,200",
              "units": "unit,site,process,capacity_k_per_yr,project\nold,plant,mold,10,\n"
                       "newu,plant,make,10,newp",
              "projects": "project,capex_musd,earliest_period,lifetime_yr,lead_time_yr,"
                          "all_or_nothing,retires_units\nnewp,1,p1,3,1,true,old"}
    res = api.run(write_case(tmp_path, tables, periods=[
        {"period": "p1", "start_year": 2026, "length_yr": 2},
        {"period": "p2", "start_year": 2028, "length_yr": 2}]), save=False)
    assert res.objective == pytest.approx(2.5, abs=1e-6)
    assert value(res["investments"], name="newp")["first_use_year"] == 2027
    assert value(res["constraints"], key="unit=old, period=p1")["marginal_value"] == (
        pytest.approx(50.0))
    assert res.manifest["warnings"] == []


def test_forced_project_whose_irr_is_exactly_r(tmp_path):
    """A forced project of 10 MUSD, life 10, one 10-year period, bringing 10 kt/yr at a
    margin m with 10 * m * sum_{2026}^{2035} d / 1000 = 10: NPV 0, so IRR = 10 % exactly.
    m = 1000 / 6.759024 = 147.951 USD/t."""
    m = 1000 / dsum(2026, 2035)
    folder = _project_case(tmp_path, "pj,10,p1,10,0,true,forced,p1,\n", margin=m, periods=TEN)
    cf, sc = _pair(folder)
    summary, _flows = economics.project_economics(cf, sc)
    assert summary["incremental_npv_musd"] == pytest.approx(0.0, abs=1e-9)
    assert summary["irr"] == pytest.approx(R, abs=1e-7)
    assert summary["payback_yr"] == pytest.approx(10 / (10 * m / 1000))


def test_with_explicit_weights_irr_and_npv_need_not_agree(tmp_path):
    """One 10-year period of weight 10 (undiscounted: d(y) = 10 / 10 = 1) at a rate of 10 %.
    A forced project of 10 MUSD, life 10, no lead time, bringing 10 kt/yr at a margin of
    120 USD/t = 1.2 MUSD a year. Year by year: -10 + 1.2 = -8.8 in 2026, then +1.2 in each
    of 2027-2035, no residual (the life ends with the horizon): NPV = -10 + 10 * 1.2 = +2.0
    MUSD, while the IRR, -10 + 1.2 * sum_{k<10} (1+i)^-k = 0, is 4.30 % < 10 % (README:
    IRR > r exactly when NPV > 0 only in a case discounted at its rate)."""
    periods = [dict(TEN[0], weight=10.0)]
    folder = _project_case(tmp_path, "pj,10,p1,10,0,true,forced,p1,\n", margin=120.0,
                           periods=periods)
    cf, sc = _pair(folder)
    summary, flows = economics.project_economics(cf, sc)
    hand = [-8.8] + [1.2] * 9
    assert summary["incremental_npv_musd"] == pytest.approx(sum(hand), rel=1e-9)
    assert sum(hand) == pytest.approx(2.0)
    assert flows.set_index("year")["net_musd"].loc[2026:2035].to_numpy() == pytest.approx(hand)
    assert summary["irr"] == pytest.approx(irr_by_hand(hand), abs=1e-7)
    assert summary["irr"] == pytest.approx(0.0430, abs=1e-4) and summary["irr"] < R


def test_a_project_never_paid_back_names_the_horizons_end(tmp_path):
    """Forced pj (10 MUSD in 2026, life 30) at a margin of 50 USD/t over one 10-year
    period: +0.5 MUSD a year in 2026-2035, cumulative -10 + 10 x 0.5 = -5 at the end of
    2035, the horizon's last year; 2036 holds only the residual value 10 x sum_{k<20}
    1.1^-k / sum_{k<30} 1.1^-k = 10 x 9.364920 / 10.369606 = 9.031124 MUSD, which payback
    does not count. The note said 'not paid back by 2036' (the residual's year); it names
    2035 and says the residual is not counted."""
    folder = _project_case(tmp_path, "pj,10,p1,30,0,true,forced,p1,\n", margin=50.0,
                           periods=TEN)
    summary, flows = economics.project_economics(*_pair(folder))
    f = flows.set_index("year")
    assert f.loc[2036, "net_musd"] == pytest.approx(9.031124, abs=1e-6)
    assert f.loc[2035, "cumulative_musd"] == pytest.approx(-5.0, abs=1e-9)
    assert summary["payback_yr"] is None
    assert summary["payback_note"] == ("not paid back by 2035, the horizon's end; residual "
                                       "value not counted")


def test_forced_loser_and_partial_project(tmp_path):
    """Forced at a margin of 50 USD/t: NPV = 10 * 50 * w / 1000 - 10 < 0 (w over 10 years),
    built anyway; IRR below 10 %. Optional and divisible (all_or_nothing false) with a
    sales cap of 6 kt/yr at a margin of 200: building 60 % of it is best (each share of
    the project adds 10 * 200 * w / 1000 - 10 > 0 until the cap binds): objective
    = 0.6 * (2 * w - 10)."""
    w = dsum(2026, 2035)
    folder = _project_case(tmp_path, "pj,10,p1,10,0,true,forced,p1,\n", margin=50.0,
                           periods=TEN)
    cf, sc = _pair(folder)
    summary, _ = economics.project_economics(cf, sc)
    assert summary["incremental_npv_musd"] == pytest.approx(0.5 * w - 10, rel=1e-9)
    assert summary["irr"] < R
    part = _project_case(tmp_path / "part", "pj,10,p1,10,0,false,optional,,\n", periods=TEN,
                         extra={"markets": "site,commodity,price_usd_per_unit,max_k_per_yr\n"
                                           "plant,product,300,6"})
    res = solve_case(part)
    assert value(res["projects"], project="pj")["built_share"] == pytest.approx(0.6)
    assert res.objective == pytest.approx(0.6 * (2 * w - 10), rel=1e-9)


def test_retired_unit_stops_paying_fixed_om(tmp_path):
    """An old unit (10 kt/yr, variable cost 150 USD/t, fixed O&M 20 USD per t/yr) and a
    renewal project (5 MUSD, earliest p2, life 10) that retires it and brings a new unit
    (10 kt/yr, no variable cost, fixed O&M 10). Price 300, feed 100.

    Without the project: 10 * (50 - 20) * (w1 + w2) / 1000. With it, built in p2 (2031):
    p1 as before; p2: the new unit earns 10 * (200 - 10) * w2 / 1000 and the old one
    neither runs nor pays fixed O&M; capex: 5 MUSD at 2031 repaid by 10 annuities
    A = 5 d(2031) / sum_{2031}^{2040} d, of which 2031-2035 fall in the horizon.
    """
    units = ("unit,site,process,capacity_k_per_yr,fixed_om_usd_per_unit_yr,project\n"
             "old,plant,make,10,20,\nnew,plant,make2,10,10,pj\n")
    extra = {"modes": "mode,process,variable_cost_usd_per_unit\nrun,make,150\nrun2,make2,0",
             "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,feed,in,1\n"
                           "run,product,out,1\nrun2,feed,in,1\nrun2,product,out,1"}
    folder = _project_case(tmp_path, "pj,5,p2,10,0,true,optional,,old\n", units=units,
                           extra=extra)
    cf, sc = _pair(folder)
    w1, w2 = dsum(2026, 2030), dsum(2031, 2035)
    assert cf.objective == pytest.approx(10 * 30 * (w1 + w2) / 1000, rel=1e-9)
    capex = 5 * d(2031) * dsum(2031, 2035) / dsum(2031, 2040)
    expected = 10 * 30 * w1 / 1000 + 10 * 190 * w2 / 1000 - capex
    assert sc.objective == pytest.approx(expected, rel=1e-9)
    cap = sc["capacity"]
    old_p2 = cap[(cap["name"] == "old") & (cap["period"] == "p2")].iloc[0]
    assert old_p2["total_k_per_yr"] == pytest.approx(0.0, abs=1e-9)
    # retired, it is no existing capacity either (it read 10 with a total of 0)
    assert old_p2["existing_k_per_yr"] == pytest.approx(0.0, abs=1e-9)
    assert old_p2["new_k_per_yr"] == pytest.approx(0.0, abs=1e-9)
    old_p1 = cap[(cap["name"] == "old") & (cap["period"] == "p1")].iloc[0]
    assert old_p1["existing_k_per_yr"] == pytest.approx(10.0, abs=1e-9)


def test_a_unit_retired_by_a_project_mid_period_is_existing_until_then(tmp_path):
    """The renewal forced in p1 with a 2-year lead time: the new unit is usable from 2028
    and the old one (10 kt/yr) is retired from 2028. Existing capacity of the old unit
    in p1 = 10 * (d(2026) + d(2027)) / w1 (the discount-weighted share of its years), 0
    in p2; the new unit's total in p1 = 10 * sum_{2028}^{2030} d / w1, in p2 10."""
    units = ("unit,site,process,capacity_k_per_yr,fixed_om_usd_per_unit_yr,project\n"
             "old,plant,make,10,20,\nnew,plant,make,10,10,pj\n")
    folder = _project_case(tmp_path, "pj,5,p1,10,2,true,forced,p1,old\n", units=units)
    cap = api.run(load_case(folder), save=False)["capacity"].set_index(["name", "period"])
    w1 = dsum(2026, 2030)
    assert cap.loc[("old", "p1"), "existing_k_per_yr"] == pytest.approx(
        10 * dsum(2026, 2027) / w1, rel=1e-9)
    assert cap.loc[("old", "p1"), "total_k_per_yr"] == pytest.approx(
        10 * dsum(2026, 2027) / w1, rel=1e-9)
    assert cap.loc[("old", "p2"), "existing_k_per_yr"] == pytest.approx(0.0, abs=1e-9)
    assert cap.loc[("new", "p1"), "total_k_per_yr"] == pytest.approx(
        10 * dsum(2028, 2030) / w1, rel=1e-9)
    assert cap.loc[("new", "p2"), "total_k_per_yr"] == pytest.approx(10.0, rel=1e-9)


def test_retire_year_and_life_extension(tmp_path):
    """An existing unit (10 kt/yr, fixed O&M 20) retires at the start of 2029; a life
    extension of 5 years costs 80 USD per t/yr. Margin 150.

    Without extension: it runs 2026-2028 (p1's average capacity: 10 kt/yr times
    sum_{2026}^{2028} d / w1), earning 150 and paying 20 per t/yr in each of those years.
    The extension runs 2029-2033; its 5 annuities all fall in the horizon, so it costs
    exactly 80 * d(2029) per t/yr; its fixed O&M is 20 per year alive. Per t/yr it adds
    (150 - 20) * sum_{2029}^{2033} d - 80 d(2029) > 0: all 10 kt/yr are extended.
    """
    units = ("unit,site,process,capacity_k_per_yr,fixed_om_usd_per_unit_yr,retire_year,"
             "life_extension_yr,life_extension_capex_usd_per_unit_yr\n"
             "old,plant,make,10,20,2029,{ext},80\n")
    w1 = dsum(2026, 2030)
    base = 10 * (150 - 20) * dsum(2026, 2028) / 1000
    res = solve_case(chain(tmp_path / "a", units.format(ext=0), margin=150.0))
    assert res.objective == pytest.approx(base, rel=1e-9)
    assert value(res["capacity"][res["capacity"]["period"] == "p1"],
                 name="old")["total_k_per_yr"] == pytest.approx(10 * dsum(2026, 2028) / w1)
    res = solve_case(chain(tmp_path / "b", units.format(ext=5), margin=150.0))
    gain = (150 - 20) * dsum(2029, 2033) - 80 * d(2029)
    assert res.objective == pytest.approx(base + 10 * gain / 1000, rel=1e-9)
    assert value(res["investments"], kind="extension")["amount"] == pytest.approx(10.0)


def test_cashflow_kpis_are_the_periods_discount_weighted_average_year(tmp_path):
    """An existing unit (10 kt/yr) retiring at the start of 2029 sells product at 250 USD/t
    in 2026-2028, 3 of p1's 5 years. kpis.csv's ``cashflow_revenue`` of p1 is the period's
    discount-weighted average year: 10 x 250 / 1000 = 2.5 MUSD/yr times
    sum_{2026}^{2028} d / w1 = (1 + 1/1.1 + 1/1.21) / 4.169865 = 2.735537 / 4.169865
    = 0.656025, i.e. 1.640063 MUSD/yr, not the undiscounted average 2.5 x 3/5 = 1.5 the label
    "MUSD/yr undiscounted" promised; times w1 it is the revenue's present value."""
    units = ("unit,site,process,capacity_k_per_yr,retire_year\n"
             "old,plant,make,10,2029\n")
    res = solve_case(chain(tmp_path, units, margin=150.0))
    row = value(res["kpis"], kpi="cashflow_revenue", period="p1")
    assert row["value"] == pytest.approx(2.5 * dsum(2026, 2028) / dsum(2026, 2030), rel=1e-9)
    assert row["value"] == pytest.approx(1.640063, abs=1e-6)
    assert row["value"] * dsum(2026, 2030) == pytest.approx(res.kpi("npv_revenue"), rel=1e-9)
    units_of = set(res["kpis"].loc[res["kpis"]["kpi"].str.startswith("cashflow_"), "unit"])
    assert units_of == {"MUSD/yr, discount-weighted average year"}


def test_a_life_extension_has_no_lead_time(tmp_path):
    """The unit of :func:`test_retire_year_and_life_extension` with a lead time of 3
    years (``lead_time_yr``, for its expansions): the extension is still first used in
    the retire year 2029 with all of its capex spent then, 80 x d(2029) per t/yr; the
    objective is the same, base + 10 x gain / 1000, and investments.csv shows lead time 0,
    first use 2029 and a blank period."""
    units = ("unit,site,process,capacity_k_per_yr,fixed_om_usd_per_unit_yr,retire_year,"
             "life_extension_yr,life_extension_capex_usd_per_unit_yr,lead_time_yr\n"
             "old,plant,make,10,20,2029,5,80,3\n")
    res = solve_case(chain(tmp_path, units, margin=150.0))
    base = 10 * (150 - 20) * dsum(2026, 2028) / 1000
    gain = (150 - 20) * dsum(2029, 2033) - 80 * d(2029)
    assert res.objective == pytest.approx(base + 10 * gain / 1000, rel=1e-9)
    ext = value(res["investments"], kind="extension")
    assert (ext["lead_time_yr"], ext["first_use_year"]) == (0, 2029)
    assert ext["capex_npv_musd"] == pytest.approx(10 * 80 * d(2029) / 1000, rel=1e-9)
    assert pd.isna(ext["period"]) or ext["period"] == ""


def _derated(tmp_path, retire: int):
    """An existing unit of 10 kt/yr (fixed O&M 20 USD per t/yr) whose capacity is 6 kt/yr
    in p2 (units_by_period.csv), retiring at the start of ``retire``; a 5-year life
    extension at 100 USD per t/yr. Margin 100 USD/t, so each t/yr standing nets 80."""
    units = ("unit,site,process,capacity_k_per_yr,fixed_om_usd_per_unit_yr,retire_year,"
             "life_extension_yr,life_extension_capex_usd_per_unit_yr\n"
             f"old,plant,make,10,20,{retire},5,100\n")
    return solve_case(chain(tmp_path, units, margin=100.0, extra={
        "units_by_period": "unit,period,capacity_k_per_yr\nold,p2,6"}))


def test_a_life_extension_keeps_the_capacity_of_its_period(tmp_path):
    """The unit of :func:`_derated` retires at the start of 2033, inside p2, where its
    capacity is 6 kt/yr: extending keeps those 6 kt/yr (not the 10 of units.csv).

    Year by year: 10 kt/yr stand in 2026-2030 and 6 in 2031-2032; the extension keeps 6
    in 2033-2037, of which 2033-2035 fall in the horizon. Its annuity per t/yr:
    A = 100 d(2033) / sum_{2033}^{2037} d = 23.98 USD, charged for 2033-2035 on 6 kt/yr;
    each kept t/yr nets 80 - A > 0 a year, so all 6 are kept. Objective
    [10*80*w1 + 6*80*w2 - 6*A*sum_{2033}^{2035} d] / 1000 = 4.3767 MUSD (chainopt had
    kept 10 kt/yr: 8.17 kt/yr in p2 and 4.6912). Fixed O&M is paid on what stands:
    (10*20*w1 + 6*20*w2) / 1000.
    """
    res = _derated(tmp_path, 2033)
    w1, w2 = dsum(2026, 2030), dsum(2031, 2035)
    annuity = 100 * d(2033) / dsum(2033, 2037)
    assert annuity == pytest.approx(23.9816, abs=1e-4)
    capex = 6 * annuity * dsum(2033, 2035) / 1000
    expected = (10 * 80 * w1 + 6 * 80 * w2) / 1000 - capex
    assert expected == pytest.approx(4.3767, abs=1e-4)
    assert res.objective == pytest.approx(expected, rel=1e-9)
    ext = value(res["investments"], kind="extension")
    assert ext["amount"] == pytest.approx(6.0)
    assert ext["overnight_musd"] == pytest.approx(6 * 100 / 1000)
    assert ext["capex_npv_musd"] == pytest.approx(capex, rel=1e-9)
    assert ext["residual_musd"] == pytest.approx(
        6 * annuity * dsum(2036, 2037) / d(2036) / 1000, rel=1e-9)
    assert res.kpi("npv_capex") == pytest.approx(-capex, rel=1e-9)
    assert res.kpi("npv_fixed_om") == pytest.approx(-(10 * 20 * w1 + 6 * 20 * w2) / 1000,
                                                    rel=1e-9)
    p2 = value(res["capacity"][res["capacity"]["period"] == "p2"], name="old")
    assert p2["total_k_per_yr"] == pytest.approx(6.0)


def test_a_life_extension_follows_the_units_capacity_in_later_periods(tmp_path):
    """The unit of :func:`_derated` retires at the start of 2029, inside p1, where its
    capacity is 10 kt/yr: the extension keeps up to 10 kt/yr and pays its capex on them;
    in p2 the unit (and so what is kept of it) has 6 kt/yr.

    Year by year, all 10 kept: 10 kt/yr stand in 2026-2030, 6 in 2031-2033. Capex: the
    5 annuities of A = 100 d(2029) / sum_{2029}^{2033} d per t/yr all fall in the
    horizon, worth 100 d(2029) per t/yr kept, on 10 kt/yr. Each kt/yr kept adds
    80 * (sum_{2029}^{2030} d + 0.6 * sum_{2031}^{2033} d) - 100 d(2029) > 0 (x 1000 USD),
    so all 10 are kept. Objective [10*80*sum_{2026}^{2030} d + 6*80*sum_{2031}^{2033} d
    - 10*100 d(2029)] / 1000; p2's capacity 6 * sum_{2031}^{2033} d / w2 (chainopt had
    kept 10 kt/yr in p2 too, with their fixed O&M).
    """
    res = _derated(tmp_path, 2029)
    w2 = dsum(2031, 2035)
    assert 80 * (dsum(2029, 2030) + 0.6 * dsum(2031, 2033)) - 100 * d(2029) > 0
    capex = 10 * 100 * d(2029) / 1000
    expected = (10 * 80 * dsum(2026, 2030) + 6 * 80 * dsum(2031, 2033)) / 1000 - capex
    assert res.objective == pytest.approx(expected, rel=1e-9)
    ext = value(res["investments"], kind="extension")
    assert ext["amount"] == pytest.approx(10.0)
    assert ext["capex_npv_musd"] == pytest.approx(capex, rel=1e-9)
    assert res.kpi("npv_fixed_om") == pytest.approx(
        -(10 * 20 * dsum(2026, 2030) + 6 * 20 * dsum(2031, 2033)) / 1000, rel=1e-9)
    p2 = value(res["capacity"][res["capacity"]["period"] == "p2"], name="old")
    assert p2["total_k_per_yr"] == pytest.approx(6 * dsum(2031, 2033) / w2)


def _renewal(tmp_path, extension_yr: int, project_row: str):
    """An old unit (10 kt/yr, fixed O&M 20 USD per t/yr) retiring at the start of 2029,
    extendable ``extension_yr`` years at 80 USD per t/yr; project pj (5 MUSD, life 10, no
    lead time) retires it and brings a new unit (10 kt/yr, fixed O&M 10). Margin 150:
    a t/yr of the old unit nets 130 a year, of the new one 140."""
    units = ("unit,site,process,capacity_k_per_yr,fixed_om_usd_per_unit_yr,retire_year,"
             "life_extension_yr,life_extension_capex_usd_per_unit_yr,project\n"
             f"old,plant,make,10,20,2029,{extension_yr},80,\nnew,plant,make,10,10,,,,pj\n")
    return solve_case(_project_case(tmp_path, project_row, units=units, margin=150.0))


def test_a_project_used_after_the_extension_has_ended_leaves_it_open(tmp_path):
    """A 2-year extension (2029-2030) and pj, which may start in p1 or p2.

    Year by year, per option (MUSD): the old unit in 2026-2028, 1.3 * sum_{2026}^{2028} d;
    the extension adds 1.3 * sum_{2029}^{2030} d - 0.8 d(2029) (its two annuities both
    in the horizon); pj from 2031 adds 1.4 * sum_{2031}^{2035} d - 5 d(2031) *
    sum_{2031}^{2035} d / sum_{2031}^{2040} d; pj from 2026 (retiring the old unit at
    once) instead earns 1.4 * sum_{2026}^{2035} d - 5 and nothing else. The extension
    ends before pj's first year 2031, so both can be had, and that is best. chainopt let
    pj's build in p2 exclude the extension (because its build in p1 retires the old unit
    early): 5.2657 instead of 6.5293.
    """
    res = _renewal(tmp_path, 2, "pj,5,p1,10,0,true,optional,,old\n")
    old = 1.3 * dsum(2026, 2028)
    extension = 1.3 * dsum(2029, 2030) - 0.8 * d(2029)
    late = 1.4 * dsum(2031, 2035) - 5 * d(2031) * dsum(2031, 2035) / dsum(2031, 2040)
    early = 1.4 * dsum(2026, 2035) - 5
    best = old + extension + late
    assert best > max(early, old + late, old + extension)
    assert best == pytest.approx(6.5293, abs=1e-4)
    assert res.objective == pytest.approx(best, rel=1e-9)
    assert value(res["investments"], kind="extension")["amount"] == pytest.approx(10.0)
    assert value(res["projects"], project="pj", period="p2")["built_share"] == pytest.approx(1.0)


def test_a_project_used_before_the_extension_ends_excludes_it(tmp_path):
    """A 5-year extension (2029-2033) and pj forced in p2, used from 2031: the extension
    would keep the old unit running in 2031-2033, after pj has retired it, so it is
    excluded (an extension is not cut short). Objective: the old unit in 2026-2028,
    1.3 * sum_{2026}^{2028} d, plus pj's 1.4 * sum_{2031}^{2035} d - 5 d(2031) *
    sum_{2031}^{2035} d / sum_{2031}^{2040} d = 5.2657. chainopt added the extension
    (8.7374): pj's retirement span (2031 to the retire year 2029) was empty, so no
    exclusion was written.
    """
    res = _renewal(tmp_path, 5, "pj,5,p2,10,0,true,forced,p2,old\n")
    expected = (1.3 * dsum(2026, 2028) + 1.4 * dsum(2031, 2035)
                - 5 * d(2031) * dsum(2031, 2035) / dsum(2031, 2040))
    assert expected == pytest.approx(5.2657, abs=1e-4)
    assert res.objective == pytest.approx(expected, rel=1e-9)
    assert res["investments"].query("kind == 'extension'")["amount"].sum() == pytest.approx(
        0.0, abs=1e-9)


def test_a_life_extension_of_a_plant_closed_before_the_horizon_is_refused(tmp_path):
    """The extension runs from retire_year (docs/case_format.md); a plant that closed in
    2024 is closed when the 2026 horizon starts. It was extended from 2026 with its full
    5 years instead (2026-2030), worth more than the 2026-2028 the data say."""
    units = ("unit,site,process,capacity_k_per_yr,fixed_om_usd_per_unit_yr,retire_year,"
             "life_extension_yr,life_extension_capex_usd_per_unit_yr\n"
             "old,plant,make,10,20,2024,5,80\n")
    with pytest.raises(InputError, match="life extension runs from retire_year, which is "
                                         "before the first period \\(2026\\)"):
        solve_case(chain(tmp_path / "a", units, margin=150.0))


def test_precedence_requires_and_excludes(tmp_path):
    """Two projects over one 10-year period (w = sum_{2026}^{2035} d = 6.759024):
    a (1 MUSD) brings an idle unit; b (2 MUSD) brings 10 kt/yr at a margin of 200:
    b alone is worth 10*200*w/1000 - 2 = 11.518 MUSD. With b requiring a, both are built
    (11.518 - 1); with a off, b cannot be built (0). With a excluding b instead (and both
    optional), only b is built (11.518)."""
    w = dsum(2026, 2035)
    units = ("unit,site,process,capacity_k_per_yr,project\n"
             "ua,plant,idle,10,a\nub,plant,make,10,b\n")
    extra = {"modes": "mode,process\nrun,make\nstay,idle",
             "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,feed,in,1\n"
                           "run,product,out,1\nstay,feed,in,1\nstay,mid,out,1"}
    rows = ("project,capex_musd,lifetime_yr,requires,excludes\n"
            "a,1,10,,{ex}\nb,2,10,{req},\n")
    res = solve_case(chain(tmp_path / "r", units, margin=200.0, periods=TEN, extra={
        **extra, "projects": rows.format(req="a", ex=""),
        "modes": "mode,process\nrun,make\nstay,idle",
        "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\nplant,product,300,10"}))
    assert res.objective == pytest.approx(2 * w - 2 - 1, rel=1e-9)
    case = load_case(tmp_path / "r")
    assert api.run(without_projects(case, ["a"]), save=False).objective == pytest.approx(
        0.0, abs=1e-9)
    res = solve_case(chain(tmp_path / "x", units, margin=200.0, periods=TEN, extra={
        **extra, "projects": rows.format(req="", ex="b"),
        "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\nplant,product,300,10"}))
    assert res.objective == pytest.approx(2 * w - 2, rel=1e-9)
    built = set(economics.built_projects(res)["project"])
    assert built == {"b"}


def test_link_expansion(tmp_path):
    """Feed at site a (cost 100) sells at b (price 300); a new link costs 900 USD per
    t/yr, life 10, one 10-year period: per t/yr -900 + 200 * 6.759 = +451.8, so the 5 kt/yr
    allowed are built: objective = 5 * 451.8 / 1000."""
    folder = write_case(tmp_path, {
        "commodities": COMMODITIES, "sites": "site\na\nb\n",
        "supplies": "site,commodity,cost_usd_per_unit\na,feed,100",
        "markets": "site,commodity,price_usd_per_unit\nb,feed,300",
        "links": "link,from_site,to_site,commodities,capacity_k_per_yr,capex_usd_per_unit_yr,"
                 "max_new_k_per_yr,lifetime_yr\nab,a,b,feed,0,900,5,10",
        "units": "unit,site,process,capacity_k_per_yr\nu,a,make,0",
        "modes": "mode,process\nrun,make",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,feed,in,1\n"
                      "run,product,out,1",
    }, discount_rate=R, periods=TEN)
    res = solve_case(folder)
    assert res.objective == pytest.approx(5 * (-900 + 200 * dsum(2026, 2035)) / 1000,
                                          rel=1e-9)
    assert value(res["investments"], kind="link")["amount"] == pytest.approx(5.0)


def test_per_site_emission_cap_and_capacity_use(tmp_path):
    """Two sites make product (margin 100 USD/t, 1 t CO2 per t); site a is capped at
    3 kt CO2/yr, b is not; each unit has 20 units of capacity and a mode using 2 units
    of capacity per t (capacity_use 2): 10 kt/yr each at most. So a makes 3, b 10:
    objective = 13 * 100 / 1000 = 1.3 MUSD per year, one 1-year period, r = 0."""
    folder = write_case(tmp_path, {
        "commodities": COMMODITIES + "co2,t,emission\n", "sites": "site\na\nb\n",
        "modes": "mode,process,capacity_use\nrun,make,2",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,feed,in,1\n"
                      "run,product,out,1\nrun,co2,out,1",
        "units": "unit,site,process,capacity_k_per_yr\nua,a,make,20\nub,b,make,20",
        "supplies": "site,commodity,cost_usd_per_unit\na,feed,100\nb,feed,100",
        "markets": "site,commodity,price_usd_per_unit\na,product,200\nb,product,200",
        "policies": "commodity,site,cap_k_per_yr\nco2,a,3",
    })
    res = solve_case(folder)
    assert res.objective == pytest.approx(1.3, rel=1e-9)
    act = res["activity"].set_index("unit")["activity_k_per_yr"]
    assert act["ua"] == pytest.approx(3.0) and act["ub"] == pytest.approx(10.0)


# -- discounting conventions -----------------------------------------------------------

@pytest.mark.parametrize(("timing", "shift"), [("start", 0.0), ("mid", 0.5), ("end", 1.0)])
def test_cash_flow_timing(tmp_path, timing, shift):
    """An existing 10 kt/yr unit at a margin of 100 over two 5-year periods: the objective
    is 10 * 100 * sum_{y=2026}^{2035} 1.1^-(y - 2026 + s) / 1000 with s = 0, 0.5, 1."""
    res = solve_case(chain(tmp_path, "unit,site,process,capacity_k_per_yr\nu,plant,make,10",
                           margin=100.0, cash_flow_timing=timing))
    expected = sum(1.1 ** -(y - 2026 + shift) for y in range(2026, 2036))
    assert res.objective == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("rate", [1e-9, 1e-16])
def test_a_rate_near_zero_discounts_to_full_precision(tmp_path, rate):
    """An existing 10 kt/yr unit and a 10 kt/yr build in 2026 (capex 5000 USD per t/yr,
    100-year life) at a margin of 100 over one 10-year period, at r = 1e-9 and 1e-16.

    Year by year, d(y) = (1+r)^-(y - 2026): the build's annuity A = 5000 / sum_{k<100}
    (1+r)^-k (= 50.0000024750 at 1e-9: the sum is 100 - 4950e-9), and the objective is
    (10 * 100 + 10 * (100 - A)) * sum_{k<10} (1+r)^-k / 1000 MUSD: 14.999999685 at 1e-9
    (sum_{k<10} = 10 - 45e-9), 15 - 1e-14 at 1e-16. Summing (1 - v^n) / (1 - v) instead
    was off by 2e-9 relative at 1e-9 and gave nan at 1e-16, where 1 + r rounds to 1.
    """
    res = solve_case(chain(tmp_path, "unit,site,process,capacity_k_per_yr,"
                           "capex_usd_per_unit_yr,max_new_k_per_yr,lifetime_yr\n"
                           "u,plant,make,10,5000,10,100", margin=100.0, periods=TEN,
                           discount_rate=rate))
    annuity = 5000 / sum((1 + rate) ** -k for k in range(100))
    years = sum((1 + rate) ** -k for k in range(10))
    expected = (10 * 100 + 10 * (100 - annuity)) * years / 1000
    if rate == 1e-9:
        assert annuity == pytest.approx(50.000002475, abs=1e-9)
        assert expected == pytest.approx(14.999999685, abs=1e-9)
    assert value(res["capacity"], name="u")["new_k_per_yr"] == pytest.approx(10.0)
    assert res.objective == pytest.approx(expected, rel=1e-13)
    inv = value(res["investments"], name="u")
    assert inv["annuity_musd_per_yr"] == pytest.approx(10 * annuity / 1000, rel=1e-9)


def test_a_base_year_before_the_first_period_and_after_it(tmp_path):
    """The existing 10 kt/yr unit at a margin of 100 (1 MUSD a year, 2026-2035). Base year
    2020: every year is discounted 6 more years, 1 * sum_{y=2026}^{2035} 1.1^-(y - 2020)
    = 6.759024 * 1.1^-6 = 3.815293 MUSD. Base year 2027, after the first period's start,
    is refused at the periods key. With explicit weights (3.9 and 2.5) neither the base
    year nor cash_flow_timing enters d(y) = w_t / L_t: 1 * (3.9 + 2.5) = 6.4 MUSD."""
    unit = "unit,site,process,capacity_k_per_yr\nu,plant,make,10"
    res = solve_case(chain(tmp_path / "early", unit, margin=100.0, base_year=2020))
    expected = sum(1.1 ** -(y - 2020) for y in range(2026, 2036))
    assert expected == pytest.approx(3.815293, abs=1e-6)
    assert res.objective == pytest.approx(expected, rel=1e-12)
    with pytest.raises(InputError) as info:
        load_case(chain(tmp_path / "late", unit, margin=100.0, base_year=2027))
    (p,) = info.value.problems
    assert p.where == "case.yaml key periods"
    assert p.message.startswith("first period starts in 2026, before base_year 2027")
    periods = [dict(FIVE_FIVE[0], weight=3.9), dict(FIVE_FIVE[1], weight=2.5)]
    for base, timing in ((2026, "start"), (2020, "end")):
        res = solve_case(chain(tmp_path / f"w{base}", unit, margin=100.0, periods=periods,
                               base_year=base, cash_flow_timing=timing))
        assert res.objective == pytest.approx(6.4, rel=1e-12)


def test_explicit_period_weights_port_a_published_objective(tmp_path):
    """Weights length * 1.1^-(mid-year - base), as some published models use:
    p1: 5 * 1.1^-2.5, p2: 5 * 1.1^-7.5. A 10 kt/yr unit (margin 100) is worth
    10 * 100 * (w1 + w2) / 1000; a build in p1 of 5 kt/yr costing 100 per t/yr (life 10,
    inside the horizon) costs K * d(2026) with d(y) = w1 / 5 in p1's years."""
    w1, w2 = 5 * 1.1 ** -2.5, 5 * 1.1 ** -7.5
    periods = [dict(FIVE_FIVE[0], weight=w1), dict(FIVE_FIVE[1], weight=w2)]
    res = solve_case(chain(tmp_path, "unit,site,process,capacity_k_per_yr,capex_usd_per_unit_yr,"
                           "max_new_k_per_yr,lifetime_yr\nu,plant,make,10,100,5,10",
                           margin=100.0, periods=periods,
                           extra={"units_by_period": "unit,period,max_new_k_per_yr\nu,p2,0"}))
    assert res.objective == pytest.approx(15 * 100 * (w1 + w2) / 1000 - 5 * 100 * w1 / 5 / 1000,
                                          rel=1e-12)
    per = economics.period_table(res).set_index("period")["weight"]
    assert per["p1"] == pytest.approx(w1) and per["p2"] == pytest.approx(w2)


@pytest.mark.parametrize(("rate", "annuity"), [(0.0, 50.0), (0.1, 61.940342)])
def test_explicit_weights_discount_the_years_after_the_horizon_by_the_rate(tmp_path, rate,
                                                                         annuity):
    """One 10-year period of weight 6: d(y) = 6 / 10 = 0.6 in 2026-2035, and after the
    horizon d(2035 + k) = 0.6 x (1+r)^-k. A build of 10 kt/yr at 1,000 USD per t/yr (life
    20, first used 2026) pays A per t/yr with A x [0.6 x 10 + 0.6 x sum_{k=1}^{10}
    (1+r)^-k] = 1000 x 0.6:
    r = 0: A = 600 / (6 + 6) = 50; the horizon charges 10 x 50 x 6 / 1000 = 3 MUSD;
    r = 10 %: sum_{k=1}^{10} 1.1^-k = 6.144567, A = 600 / (6 + 3.686740) = 61.940342,
    charged 10 x 61.940342 x 6 / 1000 = 3.716420 MUSD.
    Margin 100 USD/t: revenue 10 x 100 x 6 / 1000 = 6, objective 3 or 2.283580 MUSD. So
    the rate still moves the objective when the weights are given (README, *Discounting*)."""
    res = solve_case(chain(tmp_path, "unit,site,process,capacity_k_per_yr,capex_usd_per_unit_yr,"
                           "max_new_k_per_yr,lifetime_yr\nu,plant,make,0,1000,10,20",
                           margin=100.0, periods=[dict(TEN[0], weight=6.0)],
                           discount_rate=rate))
    inv = value(res["investments"], name="u")
    assert inv["annuity_musd_per_yr"] == pytest.approx(10 * annuity / 1000, rel=1e-7)
    assert inv["capex_npv_musd"] == pytest.approx(10 * annuity * 6 / 1000, rel=1e-7)
    assert res.objective == pytest.approx(6 - 10 * annuity * 6 / 1000, rel=1e-7)


@pytest.mark.parametrize(("weights", "found"), [
    ((5 * 8760, 5 * 8760), "found 43800"), ((5.0, 5.5), "found 5.5"),
    ((float("inf"), 4.0), "found inf")])
def test_a_period_weight_above_its_years_is_an_error(tmp_path, weights, found):
    """A weight is the period's discounted years, w_t = sum_{y in t} d(y), and every d(y) is
    at most 1 (rate >= 0, base year at or before the period), so w_t <= L_t. The 10 kt/yr
    unit at a margin of 100 USD/t makes 10 * 100 / 1000 = 1 MUSD a year: over 2026-2035
    it is worth at most 10 MUSD (at 0 %). Weights in hours (5 * 8760 per 5-year period)
    gave 1 * (43800 + 43800) = 87600 MUSD without a word; 5.5 years in a 5-year period
    1 * (5 + 5.5) = 10.5 > 10; an infinite weight passed and the solver failed (exit 4,
    'raise --time-limit'). Refused at the weight; w_t = L_t (a 0 % rate: 10 MUSD) is fine."""
    def case(folder, w):
        periods = [dict(FIVE_FIVE[0], weight=w[0]), dict(FIVE_FIVE[1], weight=w[1])]
        return chain(folder, "unit,site,process,capacity_k_per_yr\nu,plant,make,10",
                     margin=100.0, periods=periods)

    with pytest.raises(InputError) as info:
        load_case(case(tmp_path, weights))
    bad = [k for k, w in enumerate(weights) if w > 5]
    assert [p.where for p in info.value.problems] == [f"case.yaml key periods.{k}.weight"
                                                      for k in bad]
    for p in info.value.problems:
        assert p.message.endswith(f"({found})")
        assert ("finite" in p.message if weights[0] == float("inf")
                else "at most its length_yr (5)" in p.message)
    assert solve_case(case(tmp_path / "ok", (5.0, 5.0))).objective == pytest.approx(10.0)


# -- no silent semantics -----------------------------------------------------------------

def test_forced_period_before_earliest_is_an_error(tmp_path):
    folder = _project_case(tmp_path, "pj,10,p2,10,0,true,forced,p1,\n")
    with pytest.raises(InputError, match="forced_period is before earliest_period"):
        load_case(folder)


@pytest.mark.parametrize(("b_row", "need", "said"), [
    ("b,1,p2,10,optional,,,true", "p2", "its earliest_period"),
    ("b,1,p1,10,forced,p2,,true", "p2", "its forced_period")])
def test_a_forced_project_requiring_one_that_starts_later_is_an_error(tmp_path, b_row, need,
                                                                      said):
    """Review (explain F5): a is forced to start in p1 and requires b started by then;
    b cannot start before p2 (its earliest_period, or its own forced start). No plan
    meets both: the solve said only 'project a requires project b in p1 (<= 0 project)',
    naming neither b's p2 nor what to change. Now validation names both periods."""
    folder = write_case(tmp_path, {
        **FEED_TO_PRODUCT,
        "units": "unit,site,process,capacity_k_per_yr,project\nua,plant,make,50,a\n"
                 "ub,plant,make,50,b",
        "projects": "project,capex_musd,earliest_period,lifetime_yr,state,forced_period,"
                    f"requires,all_or_nothing\na,1,p1,10,forced,p1,b,true\n{b_row}"},
        periods=[{"period": "p1", "start_year": 2026, "length_yr": 2},
                 {"period": "p2", "start_year": 2028, "length_yr": 3}])
    with pytest.raises(InputError) as info:
        load_case(folder)
    assert [(p.where, p.message, p.hint) for p in info.value.problems] == [(
        "projects.csv row 2, column requires",
        f"forced project 'a' starts in p1 and requires 'b', which cannot start before {need} "
        f"({said})", f"force 'a' in {need} or later, or let 'b' start by p1")]


def _precedence_case(tmp_path, rows: str):
    """Projects pa, pb, pc (units ua, ub, uc of 50 kt/yr at plant) from ``rows`` (project,
    capex_musd, earliest_period, lifetime_yr, state, forced_period, requires, excludes)."""
    return write_case(tmp_path, {
        **FEED_TO_PRODUCT,
        "units": "unit,site,process,capacity_k_per_yr,project\nua,plant,make,50,pa\n"
                 "ub,plant,make,50,pb\nuc,plant,make,50,pc",
        "projects": "project,capex_musd,earliest_period,lifetime_yr,state,forced_period,"
                    "requires,excludes,all_or_nothing\n" + rows},
        periods=[{"period": "p1", "start_year": 2026, "length_yr": 2}])


def test_two_forced_projects_that_exclude_each_other_are_an_error(tmp_path):
    """Review mip F3 (a): pb and pc are both forced in p1 and pb excludes pc: the model
    needs b_pb = b_pc = 1 and b_pb + b_pc <= 1, so every run was infeasible, while
    `validate` said ok. Now it is refused at pb's excludes, naming both."""
    folder = _precedence_case(tmp_path, "pa,2,p1,10,optional,,,,true\n"
                                        "pb,6,p1,10,forced,p1,,pc,true\n"
                                        "pc,7,p1,10,forced,p1,,,true")
    with pytest.raises(InputError) as info:
        load_case(folder)
    assert [(p.where, p.message, p.hint) for p in info.value.problems] == [(
        "projects.csv row 3, column excludes",
        "forced project 'pb' excludes 'pc', which is forced too: both must be built and "
        "they may not both be, so every run is infeasible",
        "set one of them optional or off, or remove 'pc' from excludes")]
    ok = _precedence_case(tmp_path / "ok", "pa,2,p1,10,optional,,,,true\n"
                                           "pb,6,p1,10,forced,p1,,pc,true\n"
                                           "pc,7,p1,10,optional,,,,true")
    load_case(ok)


@pytest.mark.parametrize(("rows", "said"), [
    ("pa,2,p1,10,optional,,,,true\npb,6,p1,10,optional,,pa,pa,true\n"
     "pc,7,p1,10,optional,,,,true", "its excludes names it too"),
    ("pa,2,p1,10,optional,,,pb,true\npb,6,p1,10,optional,,pa,,true\n"
     "pc,7,p1,10,optional,,,,true", "'pa' excludes it (row 2, column excludes)")])
def test_a_project_requiring_one_it_excludes_is_an_error(tmp_path, rows, said):
    """Review mip F3 (b): pb requires pa (b_pb <= b_pa) and the two exclude each other
    (b_pb + b_pa <= 1), in pb's row or in pa's (excludes holds both ways): b_pb = 1 would
    need b_pa = 1 and b_pa = 0, so pb can never be built, and the run said nothing. Now
    refused at pb's requires."""
    with pytest.raises(InputError) as info:
        load_case(_precedence_case(tmp_path, rows))
    assert [(p.where, p.message, p.hint) for p in info.value.problems] == [(
        "projects.csv row 3, column requires",
        f"project 'pb' requires 'pa' and {said}: excludes holds both ways, so it could "
        "never be built", "remove 'pa' from its requires or the exclusion between them")]


def test_blank_project_link_capacity_is_an_error(tmp_path):
    folder = write_case(tmp_path, {
        "commodities": COMMODITIES, "sites": "site\na\nb\n",
        "units": "unit,site,process,capacity_k_per_yr\nu,a,make,0",
        "modes": "mode,process\nrun,make",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,feed,in,1\n"
                      "run,product,out,1",
        "projects": "project,capex_musd\nport,10",
        "links": "link,from_site,to_site,commodities,project\nab,a,b,feed,port",
    })
    with pytest.raises(InputError, match="needs the capacity the project brings"):
        load_case(folder)


@pytest.mark.parametrize("expansion", ["default", "by_period"])
def test_an_unlimited_link_that_may_be_expanded_is_an_error(tmp_path, expansion):
    """Blank link capacity means unlimited; with an expansion option the capacity rows
    capped the link at what was built: 10 kt/yr worth 13.518 MUSD carried 5 (4.855), or
    nothing in p1 when the option was only in p2 (1.486). Now refused, naming the row."""
    links = ("link,from_site,to_site,commodities,capex_usd_per_unit_yr,lifetime_yr"
             + (",max_new_k_per_yr\nab,a,b,feed,500,8,5" if expansion == "default"
                else "\nab,a,b,feed,500,8"))
    extra = {} if expansion == "default" else {
        "links_by_period": "link,period,max_new_k_per_yr\nab,p2,5"}
    folder = write_case(tmp_path, {
        "commodities": COMMODITIES, "sites": "site\na\nb\n",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\na,feed,100,10",
        "markets": "site,commodity,price_usd_per_unit\nb,feed,300",
        "links": links, **extra}, discount_rate=R, periods=FIVE_FIVE)
    with pytest.raises(InputError, match=r"links.csv row 2, column capacity_k_per_yr: a link "
                                         r"that may be expanded .* \(it is blank\)"):
        load_case(folder)


@pytest.mark.parametrize(("table", "lead", "by_period", "hint", "fits"), [
    ("units", 12, "", "started in 2026 (the earliest it may be), it would be usable from "
     "2038: shorten lead_time_yr to 9 or less, or set max_new_k_per_yr to 0", 9),
    ("units", 5, "unit,period,max_new_k_per_yr\nu,p1,0", "started in 2031 (the earliest it "
     "may be), it would be usable from 2036: shorten lead_time_yr to 4 or less, or allow an "
     "earlier build (units_by_period.csv, max_new_k_per_yr)", 4),
    ("links", 10, "", "shorten lead_time_yr to 9 or less", 9),
])
def test_a_build_that_could_only_be_used_after_the_horizon_is_an_error(
        tmp_path, table, lead, by_period, hint, fits):
    """Lead time 12 years in a 2026-2035 horizon: no build could be used before it ends,
    so the option was dropped without a word (objective 0, nothing built). Likewise 5
    years when the unit may be built only from 2031 on, and a link's 10 years. Refused
    at the lead time, naming the horizon's last year; the longest lead time that fits
    (a build usable in 2035, the horizon's last year) is fine."""
    kind = table[:-1]

    def case(folder, years):
        unit_lead = years if kind == "unit" else 0
        units = ("unit,site,process,capacity_k_per_yr,capex_usd_per_unit_yr,"
                 f"max_new_k_per_yr,lifetime_yr,lead_time_yr\nu,plant,make,0,100,10,10,"
                 f"{unit_lead}")
        extra = {f"{table}_by_period": by_period} if by_period else {}
        if kind == "link":
            extra.update({"sites": "site\nplant\nmkt\n", "markets": "site,commodity,"
                          "price_usd_per_unit\nmkt,product,300",
                          "links": "link,from_site,to_site,commodities,capacity_k_per_yr,"
                                   "capex_usd_per_unit_yr,max_new_k_per_yr,lifetime_yr,"
                                   f"lead_time_yr\nl,plant,mkt,product,0,100,10,10,{years}"})
        return chain(folder, units, extra=extra)

    with pytest.raises(InputError) as info:
        load_case(case(tmp_path, lead))
    (p,) = info.value.problems
    assert p.where == f"{table}.csv row 2, column lead_time_yr"
    assert p.message == (f"no build of this {kind} could be used: it would come into use "
                         f"after the horizon's last year, 2035 (found '{lead}')")
    assert hint in p.hint
    assert load_case(case(tmp_path / "ok", fits)).tables[table]["lead_time_yr"].tolist() == [
        fits]


@pytest.mark.parametrize("lead", [5, 4])
def test_a_forced_project_usable_only_after_the_horizon_is_an_error(tmp_path, lead):
    """Forced in p2 (2031) with 5 years of construction it comes into use in 2036, after
    the horizon: refused (the rule the model drops such builds by); 4 years is fine."""
    folder = _project_case(tmp_path, f"pj,9,p1,10,{lead},true,forced,p2,")
    if lead == 4:
        assert load_case(folder).tables["projects"]["state"].tolist() == ["forced"]
        return
    with pytest.raises(InputError, match=r"projects.csv row 2, column lead_time_yr: a forced "
                                         r"project would come into use after the horizon "
                                         r"\(found '5'\)"):
        load_case(folder)


@pytest.mark.parametrize("lead", [9, 10])
def test_an_optional_project_usable_only_after_the_horizon_is_an_error(tmp_path, lead):
    """Optional from p1 (2026) in a horizon ending 2035: with 10 years of construction it
    would come into use in 2036 at the soonest, so no build could be used and the model
    dropped it without a word; 9 years (in use from 2035) is fine."""
    folder = _project_case(tmp_path, f"pj,9,p1,10,{lead},true,optional,,")
    if lead == 9:
        assert load_case(folder).tables["projects"]["state"].tolist() == ["optional"]
        return
    with pytest.raises(InputError, match=r"projects.csv row 2, column lead_time_yr: no build "
                                         r"of this optional project could be used: .* 2035 "
                                         r"\(found '10'\)"):
        load_case(folder)


def test_a_project_cannot_retire_another_projects_unit(tmp_path):
    """Project b retiring unit ua that project a brings forced a to be built too (b's
    retirement needs ua's capacity to take away): 10.518 instead of 11.518. Refused."""
    units = ("unit,site,process,capacity_k_per_yr,fixed_om_usd_per_unit_yr,project\n"
             "ua,plant,make,10,50,a\nub,plant,make,10,0,b\n")
    folder = chain(tmp_path, units, margin=200.0, periods=TEN, extra={
        "projects": "project,capex_musd,earliest_period,lifetime_yr,retires_units\n"
                    "a,1,p1,10,\nb,2,p1,10,ua\n"})
    with pytest.raises(InputError, match="project 'b' retires unit 'ua', which project 'a' "
                                         "brings"):
        load_case(folder)


ONE_YEAR = [{"period": "p1", "start_year": 2026, "length_yr": 1}]


def test_a_unit_is_retired_once(tmp_path):
    """One year (2026, d = 1). Unit old: 10 kt/yr existing, fixed O&M 20 USD per t/yr
    (new capacity too), may add up to 10 at no capex (life 1). Margin 50. Project a
    (forced, no capex, life 1) retires old; optional project b (0.1 MUSD, life 1) brings
    unit y (10 kt/yr, no fixed O&M) and retires old as well.

    Old's existing 10 are retired by a (its fixed O&M, 0.2, saved), so old runs on what
    is added: 10 * (50 - 20) / 1000 = 0.3. Building b would earn 10 * 50 / 1000 - 0.1
    = 0.4 more, but a unit is retired once: b's retirement cannot come on top of a's
    (investment.retire_once[old]), so b is not built: objective 0.3. Before, b retired
    old a second time: old added its 10 only to cancel that (10 * 20 / 1000 = 0.2),
    paid back by fixed O&M saved twice (0.2), and ran nothing: 0.4 with b built."""
    units = ("unit,site,process,capacity_k_per_yr,fixed_om_usd_per_unit_yr,"
             "capex_usd_per_unit_yr,max_new_k_per_yr,lifetime_yr,project\n"
             "old,plant,make,10,20,0,10,1,\ny,plant,make,10,0,,,,b\n")
    folder = chain(tmp_path, units, margin=50.0, periods=ONE_YEAR, extra={
        "projects": "project,capex_musd,lifetime_yr,state,forced_period,retires_units\n"
                    "a,0,1,forced,p1,old\nb,0.1,1,optional,,old\n"})
    res = solve_case(folder)
    assert res.objective == pytest.approx(0.3, rel=1e-9)
    pj = res["projects"].set_index("project")["built_share"]
    assert pj["a"] == pytest.approx(1.0) and pj["b"] == pytest.approx(0.0, abs=1e-9)
    act = res["activity"]
    assert act.loc[act["unit"] == "old", "activity_k_per_yr"].sum() == pytest.approx(10.0)


def test_two_forced_projects_cannot_retire_one_unit(tmp_path):
    """Both forced in p1 (2026-2035), both retiring old: old's capacity would be taken
    twice, which retire_once forbids, so the case would be infeasible. Refused at the
    second project's row, naming the first.

    A forced project in use only after old's own retire year retires nothing of it and
    may name it too: old (10 kt/yr, fixed O&M 20, retiring at the start of 2030) is
    retired by a (lead 2) from 2028, b (lead 5) is in use from 2031. Old runs in 2026
    and 2027 at margin 130 - 20: 10 * 110 * (d(2026) + d(2027)) / 1000."""
    units = ("unit,site,process,capacity_k_per_yr,fixed_om_usd_per_unit_yr,retire_year\n"
             "old,plant,make,10,20,{retire}\n")
    projects = ("project,capex_musd,lifetime_yr,lead_time_yr,state,forced_period,"
                "retires_units\na,0,10,{a},forced,p1,old\nb,0,10,{b},forced,p1,old\n")
    folder = chain(tmp_path / "twice", units.format(retire=""), periods=TEN,
                   extra={"projects": projects.format(a=0, b=0)})
    with pytest.raises(InputError) as info:
        load_case(folder)
    assert [str(p) for p in info.value.problems] == [
        "projects.csv row 3, column retires_units: forced project 'b' retires unit 'old', "
        "which forced project 'a' (row 2) retires too: a unit is retired once, so the two "
        "cannot both be built (the case would be infeasible); list 'old' in the "
        "retires_units of only one of them (the one that closes it)"]
    late = chain(tmp_path / "late", units.format(retire=2030), periods=TEN,
                 extra={"projects": projects.format(a=2, b=5)})
    assert solve_case(late).objective == pytest.approx(
        10 * 110 * dsum(2026, 2027) / 1000, rel=1e-9)


@pytest.mark.parametrize("where", ["units", "by_period"])
def test_a_smallest_build_above_the_largest_is_an_error(tmp_path, where):
    """min_new 8 with max_new 5 made the build's binary 0 (new >= 8 y and new <= 5 y):
    the unit was silently never built. Refused, naming the row; min_new = max_new is fine
    (exactly 8 built in each period: a margin of 200 per t against a capex of 100 per t/yr
    a year pays, so each period's option is taken whole)."""
    top = "5" if where == "units" else "9"
    units = ("unit,site,process,capacity_k_per_yr,capex_usd_per_unit_yr,max_new_k_per_yr,"
             f"min_new_k_per_yr,lifetime_yr\nu,plant,make,10,100,{top},8,10")
    extra = {} if where == "units" else {
        "units_by_period": "unit,period,max_new_k_per_yr\nu,p2,5"}
    with pytest.raises(InputError, match=rf"{where.replace('by_period', 'units_by_period')}"
                                         r".csv row 2, column max_new_k_per_yr: smaller|"
                                         r"units.csv row 2, column min_new_k_per_yr: the "
                                         r"smallest build is larger"):
        load_case(chain(tmp_path, units, margin=200.0, extra=extra))
    ok = chain(tmp_path / "ok", units.replace(f",{top},8,", ",8,8,"), margin=200.0)
    res = solve_case(ok)
    cap = res["capacity"]
    assert cap.loc[cap["name"] == "u", "new_k_per_yr"].tolist() == pytest.approx([8.0, 8.0])


@pytest.mark.parametrize(("table", "column", "value"), [
    ("units", "max_new_k_per_yr", "5"), ("units", "capex_usd_per_unit_yr", "100"),
    ("units", "lead_time_yr", "2"), ("links", "max_new_k_per_yr", "5")])
def test_build_options_on_a_projects_unit_are_an_error(tmp_path, table, column, value):
    """A project's unit or link is built by the project (its capex_musd, lead time and
    ramp-up): max_new 5 on the unit was ignored, so the unit could not grow and its own
    capex or lead time counted for nothing. Refused, naming the row and column."""
    units = "unit,site,process,capacity_k_per_yr,project\nu,plant,make,10,pj"
    links = ""
    if table == "units":
        units = units.replace(",project\n", f",project,{column}\n") + f",{value}"
    else:
        links = f"link,from_site,to_site,commodities,capacity_k_per_yr,project,{column}\n" \
                f"l,plant,plant2,product,10,pj,{value}"
    extra = {"projects": "project,capex_musd\npj,1"}
    if links:
        extra |= {"links": links, "sites": "site\nplant\nplant2\n"}
    with pytest.raises(InputError, match=rf"{table}.csv row 2, column {column}: this "
                                         rf"{table[:-1]} comes with a project"):
        load_case(chain(tmp_path, units, extra=extra))


def test_blank_unit_capacity_is_an_error(tmp_path):
    """A blank capacity of a link, supply or market is unlimited; a unit's is refused. A
    planner porting a process without a limit (Rardin's Two Crude distillation) left it
    blank and read only "a value is required here (it is blank)": the hint says what to
    give instead."""
    folder = chain(tmp_path, "unit,site,process,capacity_k_per_yr\nu,plant,make,")
    with pytest.raises(InputError) as info:
        load_case(folder)
    (p,) = info.value.problems
    assert p.where == "units.csv row 2, column capacity_k_per_yr"
    assert p.message == "a value is required here (it is blank)"
    assert p.hint.startswith("a unit's capacity is never unlimited (a blank one of a link, "
                             "supply or market is): give its existing capacity, 0 for a "
                             "unit that is only an expansion option")


def test_blank_capacity_of_a_projects_unit_asks_for_what_the_project_brings(tmp_path):
    """A project's unit with a blank capacity read the hint for a unit of its own ('0 for
    a unit that is only an expansion option'); written as told, 0 was accepted and the
    project, bringing nothing, was never built. Its hint asks for the capacity the
    project brings, as links.csv's message does."""
    folder = chain(tmp_path, "unit,site,process,capacity_k_per_yr,project\nu,plant,make,,pj",
                   extra={"projects": "project,capex_musd\npj,1"})
    with pytest.raises(InputError) as info:
        load_case(folder)
    (p,) = info.value.problems
    assert p.where == "units.csv row 2, column capacity_k_per_yr"
    assert p.message == "a value is required here (it is blank)"
    assert p.hint == ("this unit comes with a project: give the capacity the project brings "
                      "(above 0)")


def test_period_lists_with_spaces(tmp_path):
    """A user constraint on 'p1; p2' (with a space) caps production at 3 kt/yr in both
    periods: objective = 3 * 100 * (w1 + w2) / 1000."""
    folder = chain(tmp_path, "unit,site,process,capacity_k_per_yr\nu,plant,make,10",
                   margin=100.0, extra={
                       "constraints": "constraint,sense,rhs,periods\ncap,<=,3,p1; p2",
                       "constraint_terms": "constraint,term,quantity,coef,unit\n"
                                           "cap,1,activity,1,u"})
    res = solve_case(folder)
    assert res.objective == pytest.approx(3 * 100 * dsum(2026, 2035) / 1000, rel=1e-9)


def _blend_case(tmp_path):
    """Fuel (t) blended from a (t, sulfur 1 %) and b (m3, density 0.8, sulfur 0)."""
    return write_case(tmp_path, {
        "commodities": "commodity,unit,kind,density_t_per_m3\na,t,raw,\nb,m3,raw,0.8\n"
                       "fuel,t,product,",
        "sites": "site\nplant\n",
        "units": "unit,site,process,capacity_k_per_yr\nu,plant,none,0",
        "modes": "mode,process\nrun,none",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,a,in,1\nrun,fuel,out,1",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\nplant,a,10,\nplant,b,10,10",
        "markets": "site,commodity,price_usd_per_unit\nplant,fuel,500",
        "blends": "blend,site,product,components,basis\nmix,plant,fuel,a;b,mass",
        "qualities": "commodity,property,value\na,sulfur,1.0\nb,sulfur,0.0",
        "specs": "commodity,property,max_value\nfuel,sulfur,0.5",
    })


def test_mass_blend_converts_a_component_in_m3(tmp_path):
    """Product (t) from a (t, sulfur 1 %) and b (stated in m3, density 0.8, sulfur 0),
    mass basis, spec sulfur <= 0.5 %. 1 m3 of b is 0.8 t, so a <= 0.8 b_m3 by mass:
    with 10 k m3 of b, a = 8 kt and the product is 8 + 8 = 16 kt at 0.5 % exactly.
    (Counting b's m3 as tonnes would have allowed 10 kt of a: off spec.)"""
    res = solve_case(_blend_case(tmp_path))
    bl = res["blending"].set_index("component")["blend_k_per_yr"]
    assert bl["a"] == pytest.approx(8.0) and bl["b"] == pytest.approx(10.0)
    sold = value(res["sales"], commodity="fuel")["sales_k_per_yr"]
    assert sold == pytest.approx(16.0)


def test_blend_capacity_is_in_the_products_unit(tmp_path):
    """The same blend with a capacity of 12 kt of product: a = 0.8 b_m3 (on spec) and
    a + 0.8 b_m3 = 12 give b = 7.5 k m3, a = 6 kt (a capacity counted in component units
    would have allowed a + b = 12, i.e. 13.3 kt of product)."""
    folder = _blend_case(tmp_path)
    (folder / "blends.csv").write_text("blend,site,product,components,basis,capacity_k_per_yr\n"
                                       "mix,plant,fuel,a;b,mass,12\n")
    res = solve_case(folder)
    bl = res["blending"].set_index("component")["blend_k_per_yr"]
    assert bl["a"] == pytest.approx(6.0) and bl["b"] == pytest.approx(7.5)
    assert value(res["sales"], commodity="fuel")["sales_k_per_yr"] == pytest.approx(12.0)


def test_mip_parts_add_up_to_the_fixed_lp_objective():
    """After a MIP the plan is the LP with the integer decisions fixed: its objective is
    reported, equals the MIP's (gap 0 here) and is the sum of its parts."""
    from pathlib import Path

    r = api.run(Path(__file__).resolve().parents[2] / "examples" / "petchem_investment",
                save=False)
    parts = r["kpis"][r["kpis"]["kpi"].str.startswith("npv_")]["value"].sum()
    assert parts == pytest.approx(r.objective, rel=1e-9)
    assert r.manifest["solver_info"]["mip_objective"] == pytest.approx(r.objective, rel=1e-6)


def _build_limit_case(folder, kind: str):
    """Rate 0, one 2-year period p1 (2026-2027). ``kind`` unit: feed (100 USD/t) makes
    product (400 USD/t) at unit u, which has no capacity and may be built at no capex, at
    most 10 kt/yr per period. ``kind`` link: feed bought at a (100 USD/t) sells at b
    (400 USD/t) over link ab, likewise 0 capacity, max_new 10 per period, no capex. Each
    kt/yr built earns 300 USD/t x 1 kt = 0.3 MUSD in each year it is usable."""
    if kind == "unit":
        return write_case(folder, {
            **FEED_TO_PRODUCT,
            "units": "unit,site,process,capacity_k_per_yr,max_new_k_per_yr\nu,plant,make,0,10"},
            periods=[{"period": "p1", "start_year": 2026, "length_yr": 2}])
    return write_case(folder, {
        "commodities": "commodity,unit,kind\nfeed,t,raw", "sites": "site\na\nb",
        "supplies": "site,commodity,cost_usd_per_unit\na,feed,100",
        "markets": "site,commodity,price_usd_per_unit\nb,feed,400",
        "links": "link,from_site,to_site,commodities,cost_usd_per_unit,capacity_k_per_yr,"
                 "max_new_k_per_yr\nab,a,b,feed,0,0,10"},
        periods=[{"period": "p1", "start_year": 2026, "length_yr": 2}])


@pytest.mark.parametrize("kind", ["unit", "link"])
def test_a_split_keeps_the_build_limit_of_the_period(tmp_path, kind):
    """max_new_k_per_yr is a build limit per period. Unsplit, p1 builds at most 10 kt/yr,
    usable 2026-2027: 10 x 0.3 x 2 = 6 MUSD. Split at 2027 (p1 = 2026, p2027 = 2027),
    the limit of 10 held in each part: 10 from 2026 and 10 more from 2027, 10 x 0.3 + 20
    x 0.3 = 9 MUSD, 20 kt/yr in 2027 where the period allowed 10. The parts share it:
    6 MUSD again (10 built over the two). Where a later change lowers p1's limit to 4
    (p2027 keeps 10), the parts together take the larger, 10: 4 from 2026 and 6 more
    from 2027, 4 x 0.3 x 2 + 6 x 0.3 = 2.4 + 1.8 = 4.2 MUSD (not 4 x 0.6 + 10 x 0.3 =
    5.4)."""
    case = load_case(_build_limit_case(tmp_path / "c", kind))
    table, name = f"{kind}s", ("u" if kind == "unit" else "ab")
    assert api.run(case, save=False).objective == pytest.approx(6.0, abs=1e-6)
    split = api.change_case(case, [{"split": "p1", "at": 2027}], "split")
    res = api.run(split, save=False)
    assert res.objective == pytest.approx(6.0, abs=1e-6)
    new = res["capacity"].query(f"name == '{name}'")
    assert new["new_k_per_yr"].sum() == pytest.approx(10.0, abs=1e-6)
    lower = api.change_case(split, [{"table": table, "where": {kind: name}, "period": "p1",
                                     "set": {"max_new_k_per_yr": 4}}], "low")
    assert api.run(lower, save=False).objective == pytest.approx(4.2, abs=1e-6)


def test_project_build_candidates_retirements_and_precedence_by_hand(tmp_path):
    """The index's project sets, derived by hand. Periods p1, p2, p3 start in 2026, 2030
    and 2034, four years each: the horizon ends in 2038. A start in period t is usable
    from start_t + lead, and is a candidate only before 2038:

    - pa (optional, earliest p2, lead 3): p2 -> 2033, p3 -> 2037 (none in p1);
    - pb (forced in p1, lead 0): p1 -> 2026 only;
    - pc (optional, earliest blank = p1, lead 6): p1 -> 2032, p2 -> 2036; p3 -> 2040 is
      after the horizon.

    pb retires the existing unit uold; pa requires pb and pc excludes pa."""
    from chainopt.case.index import build_index

    folder = write_case(tmp_path, {
        **FEED_TO_PRODUCT,
        "units": "unit,site,process,capacity_k_per_yr,project\nua,plant,make,50,pa\n"
                 "ub,plant,make,50,pb\nuc,plant,make,50,pc\nuold,plant,make,50,",
        "projects": "project,capex_musd,earliest_period,lifetime_yr,lead_time_yr,state,"
                    "forced_period,requires,excludes,retires_units\n"
                    "pa,2,p2,10,3,optional,,pb,,\npb,6,,10,0,forced,p1,,,uold\n"
                    "pc,7,,10,6,optional,,,pa,"},
        periods=[{"period": "p1", "start_year": 2026, "length_yr": 4},
                 {"period": "p2", "start_year": 2030, "length_yr": 4},
                 {"period": "p3", "start_year": 2034, "length_yr": 4}])
    ix = build_index(load_case(folder))
    assert list(ix.project_build.itertuples(index=False, name=None)) == [
        ("pa", "p2", 2033.0), ("pa", "p3", 2037.0), ("pb", "p1", 2026.0),
        ("pc", "p1", 2032.0), ("pc", "p2", 2036.0)]
    assert list(ix.retire.itertuples(index=False, name=None)) == [("pb", "uold")]
    assert list(ix.precedence.itertuples(index=False, name=None)) == [
        ("pa", "pb", "requires"), ("pc", "pa", "excludes")]
