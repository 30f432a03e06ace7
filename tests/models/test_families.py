"""Hand-checkable toy cases, one per constraint family.

Conventions used in the arithmetic: one period of one year and discount rate 0 unless
stated, so the period weight w = 1; quantities in kt/yr and prices in USD/t, hence
MUSD = kt x USD/t / 1000.
"""

from __future__ import annotations

import numpy as np
import pytest

from chainopt import api
from chainopt.case.load import load_case
from tests.toycase import solve_case, value, write_case

COMMODITIES = """
commodity,unit,kind
crude,t,raw
ethane,t,raw
naphtha,t,raw
light,t,product
heavy,t,product
ethylene,t,product
fuel,t,product
co2,t,emission
"""
ONE_SITE = "site\nplant\n"


def test_conversion_yields_and_binding_capacity(tmp_path):
    """One refinery mode: 1 t crude -> 0.6 t light + 0.3 t heavy (0.1 t lost).

    Margin per t crude = 0.6*300 + 0.3*200 - 100 (crude) - 10 (variable) = 130 USD.
    Positive, so the unit runs at its capacity of 8 kt/yr (crude up to 10 kt/yr):
    objective = 8 * 130 / 1000 = 1.04 MUSD; light = 4.8, heavy = 2.4 kt/yr;
    capacity value = 130 USD per t/yr; crude is not scarce, so its value at the
    plant equals its cost, 100 USD/t; light's value is its price, 300.
    """
    res = solve_case(write_case(tmp_path, {
        "commodities": COMMODITIES, "sites": ONE_SITE,
        "modes": "mode,process,variable_cost_usd_per_unit\nrun,cdu,10",
        "mode_flows": """mode,commodity,direction,amount_per_unit
                         run,crude,in,1
                         run,light,out,0.6
                         run,heavy,out,0.3""",
        "units": "unit,site,process,capacity_k_per_yr\ncdu1,plant,cdu,8",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\nplant,crude,100,10",
        "markets": "site,commodity,price_usd_per_unit\nplant,light,300\nplant,heavy,200",
    }))
    assert res.objective == pytest.approx(1.04, rel=1e-9)
    assert value(res["sales"], commodity="light")["sales_k_per_yr"] == pytest.approx(4.8)
    assert value(res["sales"], commodity="heavy")["sales_k_per_yr"] == pytest.approx(2.4)
    cap = value(res["capacity"], name="cdu1")
    assert cap["utilisation"] == pytest.approx(1.0)
    assert cap["shadow_price_usd_per_unit_yr"] == pytest.approx(130.0)
    bal = res["balances"]
    assert value(bal, commodity="crude")["shadow_price_usd_per_unit"] == pytest.approx(100.0)
    assert value(bal, commodity="light")["shadow_price_usd_per_unit"] == pytest.approx(300.0)


def test_two_modes_share_one_capacity(tmp_path):
    """A cracker of 100 kt/yr feed runs on ethane (A) or naphtha (B).

    A: 1 t ethane (200 USD) -> 0.8 t ethylene (1000 USD): margin 600 per t feed.
    B: 1 t naphtha (300 USD) -> 0.33 ethylene + 0.6 fuel (100): margin 90.
    Ethane is limited to 50 kt/yr, so A = 50, B fills the rest: B = 50.
    objective = (50*600 + 50*90)/1000 = 34.5 MUSD. The capacity is worth B's
    margin, 90 USD per t/yr. One more free t of ethane replaces 1 t of B:
    value = 800 - (330 + 60 - 300) = 710 USD/t.
    """
    res = solve_case(write_case(tmp_path, {
        "commodities": COMMODITIES, "sites": ONE_SITE,
        "modes": "mode,process\nethane_feed,cracker\nnaphtha_feed,cracker",
        "mode_flows": """mode,commodity,direction,amount_per_unit
                         ethane_feed,ethane,in,1
                         ethane_feed,ethylene,out,0.8
                         naphtha_feed,naphtha,in,1
                         naphtha_feed,ethylene,out,0.33
                         naphtha_feed,fuel,out,0.6""",
        "units": "unit,site,process,capacity_k_per_yr\nsc1,plant,cracker,100",
        "supplies": """site,commodity,cost_usd_per_unit,max_k_per_yr
                       plant,ethane,200,50
                       plant,naphtha,300,""",
        "markets": "site,commodity,price_usd_per_unit\nplant,ethylene,1000\nplant,fuel,100",
    }))
    assert res.objective == pytest.approx(34.5, rel=1e-9)
    act = res["activity"]
    assert value(act, mode="ethane_feed")["activity_k_per_yr"] == pytest.approx(50)
    assert value(act, mode="naphtha_feed")["activity_k_per_yr"] == pytest.approx(50)
    assert value(res["capacity"], name="sc1")["shadow_price_usd_per_unit_yr"] == pytest.approx(90)
    assert value(res["balances"], commodity="ethane")["shadow_price_usd_per_unit"] == \
        pytest.approx(710)


def test_transport_loss_and_delivered_value(tmp_path):
    """Ship from A to B on a link losing 10 %, costing 10 USD per t entering it.

    B buys at most 90 kt/yr at 200 USD/t; crude costs 100 at A. To deliver 90,
    100 must enter the link: objective = (90*200 - 100*100 - 100*10)/1000 = 7 MUSD.
    The value of one more tonne at B is what it costs to deliver it:
    (100 + 10) / 0.9 = 122.22 USD/t (the market is capped, so not the price).
    """
    res = solve_case(write_case(tmp_path, {
        "commodities": COMMODITIES, "sites": "site\na\nb",
        "supplies": "site,commodity,cost_usd_per_unit\na,crude,100",
        "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\nb,crude,200,90",
        "links": """link,from_site,to_site,commodities,cost_usd_per_unit,loss_fraction
                    ab,a,b,crude,10,0.1""",
    }))
    assert res.objective == pytest.approx(7.0, rel=1e-9)
    f = value(res["flows"], link="ab")
    assert f["flow_k_per_yr"] == pytest.approx(100)
    assert f["delivered_k_per_yr"] == pytest.approx(90)
    assert value(res["balances"], site="b")["shadow_price_usd_per_unit"] == \
        pytest.approx(110 / 0.9)


def test_link_capacity_binds(tmp_path):
    """The same route limited to 50 kt/yr entering: 45 delivered.

    objective = (45*200 - 50*110)/1000 = 3.5 MUSD; one more t/yr of link capacity
    delivers 0.9 t worth 200: 180 - 110 = 70 USD per t/yr.
    """
    res = solve_case(write_case(tmp_path, {
        "commodities": COMMODITIES, "sites": "site\na\nb",
        "supplies": "site,commodity,cost_usd_per_unit\na,crude,100",
        "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\nb,crude,200,90",
        "links": "link,from_site,to_site,commodities,capacity_k_per_yr,cost_usd_per_unit,"
                 "loss_fraction\nab,a,b,crude,50,10,0.1",
    }))
    assert res.objective == pytest.approx(3.5, rel=1e-9)
    cap = value(res["capacity"], name="ab")
    assert cap["shadow_price_usd_per_unit_yr"] == pytest.approx(70)
    assert cap["utilisation"] == pytest.approx(1.0)


def test_shared_link_capacity_and_what_it_uses(tmp_path):
    """Crude (100 USD/t at A, sold at B for 200, at most 30) and naphtha (150, sold for
    300, at most 40 delivered) share a 50 kt/yr link losing 10 %, 10 USD per t entering.

    Per t entering: crude 0.9 x 200 - 100 - 10 = 70, naphtha 0.9 x 300 - 150 - 10 = 110.
    Naphtha fills its cap first: 40 / 0.9 = 44.44 enter; crude takes the rest, 5.56
    (5 delivered). Objective = (44.44 x 110 + 5.56 x 70) / 1000 = 5.2778 MUSD; the
    capacity is worth crude's 70 USD per t/yr; used 50 (t of both).

    The same link without a capacity, carrying crude (t) and oil (bbl, 10 USD/bbl, sold
    for 20, at most 70): 90 kt and 70 k bbl enter, which add up to no quantity, so its
    used capacity is blank (it read 160).
    """
    res = solve_case(write_case(tmp_path / "shared", {
        "commodities": COMMODITIES, "sites": "site\na\nb",
        "supplies": "site,commodity,cost_usd_per_unit\na,crude,100\na,naphtha,150",
        "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\nb,crude,200,30\n"
                   "b,naphtha,300,40",
        "links": "link,from_site,to_site,commodities,capacity_k_per_yr,cost_usd_per_unit,"
                 "loss_fraction\nab,a,b,crude;naphtha,50,10,0.1",
    }))
    assert res.objective == pytest.approx((40 / 0.9 * 110 + (50 - 40 / 0.9) * 70) / 1000)
    assert value(res["flows"], commodity="crude")["delivered_k_per_yr"] == pytest.approx(5)
    cap = value(res["capacity"], name="ab")
    assert cap["used_k_per_yr"] == pytest.approx(50)
    assert cap["shadow_price_usd_per_unit_yr"] == pytest.approx(70)
    res = solve_case(write_case(tmp_path / "mixed", {
        "commodities": COMMODITIES + "oil,bbl,raw\n", "sites": "site\na\nb",
        "supplies": "site,commodity,cost_usd_per_unit\na,crude,100\na,oil,10",
        "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\nb,crude,200,90\n"
                   "b,oil,20,70",
        "links": "link,from_site,to_site,commodities,cost_usd_per_unit\nab,a,b,crude;oil,1",
    }))
    assert res.objective == pytest.approx((90 * 99 + 70 * 9) / 1000)
    assert value(res["flows"], commodity="oil")["flow_k_per_yr"] == pytest.approx(70)
    assert np.isnan(value(res["capacity"], name="ab")["used_k_per_yr"])


def test_demand_floor_shortfall_is_penalised(tmp_path):
    """B must get 50 kt/yr but only 30 can be bought; the floor is soft.

    Shortfall = 20 kt/yr at the penalty of 5000 USD/t:
    objective = (30*200 - 30*100 - 20*5000)/1000 = -97 MUSD. Raising the floor by
    one t costs the penalty, 5000 USD.
    """
    res = solve_case(write_case(tmp_path, {
        "commodities": COMMODITIES, "sites": "site\nb",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\nb,crude,100,30",
        "markets": "site,commodity,price_usd_per_unit,min_k_per_yr\nb,crude,200,50",
    }, shortfall_penalty_usd_per_unit=5000))
    s = value(res["sales"], site="b")
    assert s["shortfall_k_per_yr"] == pytest.approx(20)
    assert s["floor_cost_usd_per_unit"] == pytest.approx(5000)
    assert res.objective == pytest.approx(-97.0, rel=1e-9)
    assert res.kpi("npv_shortfall_penalty") == pytest.approx(-100.0)
    k = value(res["kpis"], kpi="shortfall_total")
    assert (k["value"], k["unit"]) == (pytest.approx(20.0), "k t over the horizon (each "
                                       "period's k t/yr x its years)")


def test_shortfall_total_is_the_demand_unmet_over_the_horizon(tmp_path):
    """The floor of test_soft_floor_shortfall (50 kt/yr at b, 30 to buy) in a 2-year and a
    3-year period: 20 kt/yr short in each, 20 x 2 + 20 x 3 = 100 kt unmet over the
    horizon. shortfall_total was 40 'k t/yr summed over periods', a sum of rates of
    periods of different lengths, no quantity. A run short of nothing says so."""
    periods = [{"period": "p1", "start_year": 2026, "length_yr": 2},
               {"period": "p2", "start_year": 2028, "length_yr": 3}]
    tables = {"commodities": COMMODITIES, "sites": "site\nb",
              "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\nb,crude,100,30",
              "markets": "site,commodity,price_usd_per_unit,min_k_per_yr\nb,crude,200,50"}
    res = solve_case(write_case(tmp_path / "short", tables, periods=periods,
                                shortfall_penalty_usd_per_unit=5000))
    k = value(res["kpis"], kpi="shortfall_total")
    assert k["value"] == pytest.approx(100.0)
    assert k["unit"] == "k t over the horizon (each period's k t/yr x its years)"
    tables["markets"] = tables["markets"].replace(",50", ",20")
    res = solve_case(write_case(tmp_path / "met", tables, periods=periods))
    k = value(res["kpis"], kpi="shortfall_total")
    assert (k["value"], k["unit"]) == (0.0, "no demand floor is short")


def test_shortfalls_in_different_units_are_not_summed(tmp_path):
    """Floors of 5 kt/yr of light (t) and 3 k bbl/yr of naphtha (bbl) at mkt, nothing to
    sell: both short in full, objective -(5 + 3) x 10,000 / 1000 = -80 MUSD (default
    penalty). shortfall_total said 8 'k units/yr', t plus bbl; 5 kt and 3 k bbl have no
    sum: the value is blank (NaN) and its unit names both units."""
    res = solve_case(write_case(tmp_path, {
        "commodities": "commodity,unit,kind\nlight,t,product\nnaphtha,bbl,product",
        "sites": "site\nmkt",
        "markets": "site,commodity,price_usd_per_unit,min_k_per_yr\nmkt,light,300,5\n"
                   "mkt,naphtha,50,3"}))
    assert res.objective == pytest.approx(-80.0)
    k = value(res["kpis"], kpi="shortfall_total")
    assert np.isnan(k["value"])
    assert k["unit"] == ("not summed: shortfalls in k t/yr, k bbl/yr (sales.csv, "
                         "shortfall_k_per_yr)")


def _invest_case(tmp_path, capex: float):
    return write_case(tmp_path, {
        "commodities": COMMODITIES, "sites": ONE_SITE,
        "modes": "mode,process,variable_cost_usd_per_unit\nrun,cdu,10",
        "mode_flows": """mode,commodity,direction,amount_per_unit
                         run,crude,in,1
                         run,light,out,0.6
                         run,heavy,out,0.3""",
        "units": "unit,site,process,capacity_k_per_yr,capex_usd_per_unit_yr,max_new_k_per_yr,"
                 f"lifetime_yr\ncdu1,plant,cdu,0,{capex},20,10",
        "supplies": "site,commodity,cost_usd_per_unit\nplant,crude,100",
        "markets": "site,commodity,price_usd_per_unit\nplant,light,300\nplant,heavy,200",
    }, periods=[{"period": "p1", "start_year": 2026, "length_yr": 10}])


@pytest.mark.parametrize(("capex", "built", "objective"), [(1000.0, 20.0, 6.0),
                                                            (1500.0, 0.0, 0.0)])
def test_investment_pays_back_or_not(tmp_path, capex, built, objective):
    """New capacity (lifetime 10 yr) in one 10-year period, discount rate 0.

    Margin 130 USD/t for 10 years = 1300 USD per t/yr of capacity. The capex is paid
    back as capex / 10 per year for its 10 years = capex. At 1000 USD per
    t/yr building the full 20 kt/yr pays: objective = 20 * (1300 - 1000)/1000 = 6 MUSD.
    At 1500 it does not: nothing is built and the objective is 0.
    """
    res = solve_case(_invest_case(tmp_path, capex))
    cap = value(res["capacity"], name="cdu1")
    assert cap["new_k_per_yr"] == pytest.approx(built)
    assert cap["total_k_per_yr"] == pytest.approx(built)
    assert res.objective == pytest.approx(objective, abs=1e-9)


def test_emissions_reported_and_priced(tmp_path):
    """A mode emitting 0.5 t CO2 per t crude, carbon price 40 USD/t CO2.

    Margin 130 - 0.5*40 = 110 USD/t: still runs at 8 kt/yr, emits 4 kt/yr;
    objective = 8*110/1000 = 0.88 MUSD, of which carbon -0.16.
    """
    res = solve_case(write_case(tmp_path, {
        "commodities": COMMODITIES, "sites": ONE_SITE,
        "modes": "mode,process,variable_cost_usd_per_unit\nrun,cdu,10",
        "mode_flows": """mode,commodity,direction,amount_per_unit
                         run,crude,in,1
                         run,light,out,0.6
                         run,heavy,out,0.3
                         run,co2,out,0.5""",
        "units": "unit,site,process,capacity_k_per_yr\ncdu1,plant,cdu,8",
        "supplies": "site,commodity,cost_usd_per_unit\nplant,crude,100",
        "markets": "site,commodity,price_usd_per_unit\nplant,light,300\nplant,heavy,200",
        "policies": "commodity,site,carbon_price_usd_per_unit\nco2,,40",
    }))
    assert res.objective == pytest.approx(0.88, rel=1e-9)
    assert res.kpi("npv_carbon") == pytest.approx(-0.16)
    assert value(res["emissions"], source="cdu1")["emission_k_per_yr"] == pytest.approx(4.0)


def test_a_capture_unit_counts_negative_in_emissions_caps_and_carbon_cost(tmp_path):
    """A capture mode lists co2 as an input (``in``: captured, -1 t per activity unit),
    burning 2 GJ of power (5 USD/GJ) a t: capture costs 10 USD/t, at most 10 kt/yr. A
    plant makes prod from feed 1:1 (margin 300 - 100 = 200 USD/t, at most 40 kt/yr),
    releasing 0.5 t co2 a t; carbon price 50 USD/t chain-wide. Emissions, the cap and
    the carbon cost must all count the capture as negative, the same net amount.

    No cap: make 40 (20 kt co2), capture 10 (saves 50 for 10): net 10 kt/yr. Objective
    40 x 200 - 10 x 50 (carbon on the net) - 10 x 10 (power) = 7,400 kUSD = 7.4 MUSD;
    npv_carbon -0.5; emissions_co2 10 (u_make +20, u_cap -10).
    Cap 5 kt/yr: 0.5 make - 10 <= 5, make 30: 6,000 - 250 - 100 = 5,650 kUSD = 5.65; a t
    more of cap lets 2 t more of prod through, each worth 200 - 25 = 175: 350 USD/t.
    Capture is bounded by what its site emits (``emissions.capture_max``: 10 <= 20, and
    10 <= 15 under the cap): the bound is built but does not bind (not among the binding
    constraints) and both objectives are those of before the bound existed."""
    tables = {
        "commodities": "commodity,unit,kind\nfeed,t,raw\nprod,t,product\nco2,t,emission\n"
                       "power,GJ,utility",
        "sites": ONE_SITE,
        "modes": "mode,process\nmake,plant\ncapture,ccs",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nmake,feed,in,1\n"
                      "make,prod,out,1\nmake,co2,out,0.5\ncapture,co2,in,1\n"
                      "capture,power,in,2",
        "units": "unit,site,process,capacity_k_per_yr\nu_make,plant,plant,40\n"
                 "u_cap,plant,ccs,10",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\nplant,feed,100,\n"
                    "plant,power,5,",
        "markets": "site,commodity,price_usd_per_unit\nplant,prod,300",
        "policies": "commodity,site,carbon_price_usd_per_unit\nco2,,50"}
    res = solve_case(write_case(tmp_path / "priced", tables))
    assert res.objective == pytest.approx(7.4, rel=1e-9)
    assert res.kpi("npv_carbon") == pytest.approx(-0.5, rel=1e-9)
    assert res.kpi("emissions_co2", "p1") == pytest.approx(10.0, rel=1e-9)
    em = res["emissions"].set_index("source")["emission_k_per_yr"]
    assert em.to_dict() == pytest.approx({"u_make": 20.0, "u_cap": -10.0})
    capped = {**tables, "policies": "commodity,site,carbon_price_usd_per_unit,cap_k_per_yr\n"
                                    "co2,,50,5"}
    res = solve_case(write_case(tmp_path / "capped", capped))
    assert res.objective == pytest.approx(5.65, rel=1e-9)
    assert res.kpi("emissions_co2", "p1") == pytest.approx(5.0, rel=1e-9)
    assert res.kpi("npv_carbon") == pytest.approx(-0.25, rel=1e-9)
    cap = value(res["constraints"], family="emissions.cap_max")
    assert abs(cap["marginal_value"]) == pytest.approx(350.0, rel=1e-9)
    assert "emissions.capture_max" not in set(res["constraints"]["family"])  # not binding
    lp = api.build_model(load_case(tmp_path / "capped")).lp
    assert len(lp.family("emissions.capture_max").keys) == 1  # built: (co2, plant, p1)


CAPTURE_AT_A = {
    "commodities": "commodity,unit,kind\nfeed,t,raw\nprod,t,product\nco2,t,emission\n"
                   "fuel,t,raw",
    "sites": "site\na\nb",
    "supplies": "site,commodity,cost_usd_per_unit\na,feed,100\na,fuel,50",
    "markets": "site,commodity,price_usd_per_unit\na,prod,200\nb,prod,300",
    "modes": "mode,process,variable_cost_usd_per_unit\nm,simple,0\ncc,capture,5",
    "mode_flows": "mode,commodity,direction,amount_per_unit\nm,feed,in,1\nm,prod,out,1\n"
                  "m,co2,out,0.5\ncc,co2,in,1\ncc,fuel,in,0.1",
    "units": "unit,site,process,capacity_k_per_yr\nua,a,simple,10\nuc,a,capture,50",
    "links": "link,from_site,to_site,commodities,cost_usd_per_unit,emission_commodity,"
             "emission_per_unit\nab,a,b,prod,10,co2,0.2",
    "policies": "commodity,site,carbon_price_usd_per_unit,cap_k_per_yr\nco2,,20,\n"
                "co2,a,10,4"}


def test_capture_is_bounded_by_what_its_site_emits(tmp_path):
    """ua at a makes prod from feed 1:1 (at most 10 kt/yr), releasing 0.5 t co2 a t; link
    ab ships prod to b (10 USD/t), releasing 0.2 t co2 a t, counted at its origin a.
    Capture unit uc at a takes co2 (in, 1 t a unit) for 5 USD + 0.1 t fuel at 50 = 10 USD/t,
    up to 50 kt/yr. Carbon 20 USD/t chain-wide + 10 at a = 30 USD/t; cap at a 4 kt/yr.

    Before the bound uc ran to its 50 kt/yr with nothing to capture (a -50 kt/yr
    emission at a, every t paid 30 USD): 2.69 MUSD, chain emissions -43 kt/yr. Now
    captured <= emitted at a: shipping all 10 to b earns 300 - 100 - 10 = 190 a t (selling
    at a 200 - 100 = 100), emitting 10 x 0.5 + 10 x 0.2 = 7 kt/yr at a. Capture costs 10 a t and
    saves 30: capture all 7 (net 0 <= cap 4). Objective 10 x 190 - 7 x 10 = 1,830 kUSD
    = 1.83 MUSD; carbon cost 0; emissions at a: ab +2, ua +5, uc -7. One t/yr more room
    in the bound would capture one t more, saving 30 for 10: marginal value 20 USD/t."""
    res = solve_case(write_case(tmp_path, CAPTURE_AT_A))
    assert res.objective == pytest.approx(1.83, rel=1e-9)
    assert value(res["activity"], unit="uc")["activity_k_per_yr"] == pytest.approx(7.0)
    em = res["emissions"].set_index("source")["emission_k_per_yr"]
    assert em.to_dict() == pytest.approx({"ab": 2.0, "ua": 5.0, "uc": -7.0})
    assert res.kpi("emissions_co2", "p1") == pytest.approx(0.0, abs=1e-9)
    assert res.kpi("npv_carbon") == pytest.approx(0.0, abs=1e-9)
    bound = value(res["constraints"], family="emissions.capture_max")
    assert bound["key"] == "commodity=co2, site=a, period=p1"
    assert abs(bound["marginal_value"]) == pytest.approx(20.0, rel=1e-9)


def test_cap_and_price_cover_link_flows_as_the_docstring_states(tmp_path):
    """The emissions module's formulas, term by term, on :data:`CAPTURE_AT_A` (one
    period, w_t = 1). The cap row of (co2, a, p1) is ``sum_{k in E_et(a)} a_ke x_k``: ua's
    mode m +0.5, uc's capture mode cc -1 (captures negative), and link ab's flow +0.2 (its
    emission_per_unit, counted at its origin a). The carbon price (20 chain-wide + 10 at
    a = 30 USD/t) costs ``-price * a_ke * w_t / 1000``: m -30 x 0.5 / 1000 = -0.015, cc
    +0.03 (a capture earns it), the flow on ab -30 x 0.2 / 1000 = -0.006 MUSD a unit."""
    built = api.build_model(load_case(write_case(tmp_path, CAPTURE_AT_A)))
    lp, arrays = built.lp, built.arrays
    act, flow = lp.family("conversion.activity"), lp.family("transport.flow")
    cols = {"m": act.start, "cc": act.start + 1, "ab": flow.start}
    assert act.keys["mode"].tolist() == ["m", "cc"]
    assert flow.keys["link"].tolist() == ["ab"]
    cap = lp.family("emissions.cap_max")
    assert cap.keys.values.tolist() == [["co2", "a", "p1"]]
    row = arrays.matrix.toarray()[cap.start]
    assert {k: row[c] for k, c in cols.items()} == pytest.approx(
        {"m": 0.5, "cc": -1.0, "ab": 0.2})
    assert np.count_nonzero(row) == 3
    carbon = arrays.cost_by_category["carbon"].toarray()[0]
    assert {k: carbon[c] for k, c in cols.items()} == pytest.approx(
        {"m": -0.015, "cc": 0.03, "ab": -0.006})
    assert np.count_nonzero(carbon) == 3


def test_explain_names_the_capture_bound(tmp_path):
    """The plan of :func:`test_capture_is_bounded_by_what_its_site_emits`: prod is worth
    300 at b and 288 at a; a t shipped on ab pays 10 transport and 0.2 x 30 = 6 carbon,
    and its 0.2 t co2 let 0.2 t more be captured at a, each worth the bound's 20: -4, the
    rest (-4) named as the capture bound. A t made by ua: 100 feed, 0.5 x 30 = 15 carbon,
    183 rent of ua's capacity (190 - 0.7 x 10 of capture), -0.5 x 20 = -10 of the bound.
    Forcing uc to 10 kt/yr (a user constraint) with 7 emitted at a is infeasible: the
    conflict names the bound."""
    from chainopt import diagnose
    from chainopt.report import explain as ex

    res = solve_case(write_case(tmp_path / "plan", CAPTURE_AT_A))
    text = "\n".join(ex.netback_lines(res.tables))
    assert ("back: 288 at a (via ab to b, 10 transport, 6 carbon cost, -4 other limits: "
            "capture of co2 at a within what is emitted there)") in text
    assert ("made at a by mode m of unit ua: 288 = 100 inputs (1 feed at 100) + 0 variable "
            "cost + 15 carbon cost + 183 capacity rent - 10 other limits: capture of co2 at "
            "a within what is emitted there") in text
    forced = write_case(tmp_path / "forced", {
        **CAPTURE_AT_A, "constraints": "constraint,sense,rhs\nforce,>=,10",
        "constraint_terms": "constraint,term,quantity,coef,unit\nforce,1,activity,1,uc"})
    d = diagnose.diagnose(api.build_model(load_case(forced)))
    text = "\n".join(ex.infeasible_lines(d.members, d.method))
    assert "capture of co2 at a within what is emitted there in p1 (<= 0 k t/yr)" in text


def test_a_capture_unit_where_nothing_emits_captures_nothing_and_is_warned_of(tmp_path):
    """uc moved to b, where no unit's mode nor link from b emits co2 (ab's emissions count
    at its origin a): it captures nothing (before the bound it ran to 50 kt/yr and was
    paid 20 USD/t chain-wide carbon for 10 USD/t). Without capture, carbon at a costs 30:
    shipping s to b earns 190 - 0.7 x 30 = 169 a t, selling r at a 100 - 0.5 x 30 = 85;
    s + r <= 10 and the cap at a 0.7 s + 0.5 r <= 4. Per t of cap shipping earns 241,
    selling 170, and the cap binds before the capacity (s = 40/7, r = 0; with s + r = 10
    the cap asks 0.2 s <= -1): objective 40/7 x 169 = 965.71 kUSD. The run warns of uc
    by name."""
    tables = {**CAPTURE_AT_A,
              "units": "unit,site,process,capacity_k_per_yr\nua,a,simple,10\n"
                       "uc,b,capture,50"}
    res = solve_case(write_case(tmp_path, tables))
    assert res.objective == pytest.approx(40 / 7 * 169 / 1000, rel=1e-9)
    assert value(res["activity"], unit="uc")["activity_k_per_yr"] == pytest.approx(0.0)
    warnings = "\n".join(res.manifest["warnings"])
    assert "unit uc (mode cc) captures co2 at site b, where no unit's mode nor link" in warnings


def test_a_tiny_capacity_used_in_full_reads_full(tmp_path):
    """Crude at a (100 USD/t) made 1:1 into light by unit u, shipped on link ab to b and
    sold there at 300: every t earns 200, so u and ab run full whatever their size. At
    1e-6 kt/yr (1 t a year) each: used 1e-6 of 1e-6, utilisation 1 for both (not 0 from
    a threshold, nor a noisy ratio). (Checked when a review asked; it held. Below HiGHS's
    feasibility tolerance, 1e-7 kt/yr, the plan itself is within tolerance of 0.)"""
    res = solve_case(write_case(tmp_path, {
        "commodities": COMMODITIES, "sites": "site\na\nb",
        "modes": "mode,process\nrun,p",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,crude,in,1\n"
                      "run,light,out,1",
        "units": "unit,site,process,capacity_k_per_yr\nu,a,p,0.000001",
        "supplies": "site,commodity,cost_usd_per_unit\na,crude,100",
        "links": "link,from_site,to_site,commodities,capacity_k_per_yr\nab,a,b,light,0.000001",
        "markets": "site,commodity,price_usd_per_unit\nb,light,300"}))
    cap = res["capacity"].set_index("name")
    assert cap.loc[["u", "ab"], "used_k_per_yr"].tolist() == pytest.approx([1e-6, 1e-6])
    assert cap.loc[["u", "ab"], "utilisation"].tolist() == [1.0, 1.0]


def test_a_link_of_no_capacity_is_unused_not_unlimited(tmp_path):
    """Crude (at most 5 kt/yr at 100 USD/t) shipped from a to b, sold there at 300, on
    link ab (no capacity limit) or ab0 (capacity 0): all 5 go on ab. ab's utilisation is
    blank (no limit); ab0's is 0, as a unit's of capacity 0 is. It was blank too, and the
    report's map said 'no capacity limit' of a link that can carry nothing."""
    res = solve_case(write_case(tmp_path, {
        "commodities": COMMODITIES, "sites": "site\na\nb",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\na,crude,100,5",
        "links": "link,from_site,to_site,commodities,capacity_k_per_yr\nab,a,b,crude,\n"
                 "ab0,a,b,crude,0",
        "markets": "site,commodity,price_usd_per_unit\nb,crude,300"}))
    ab, ab0 = value(res["capacity"], name="ab"), value(res["capacity"], name="ab0")
    assert ab["used_k_per_yr"] == pytest.approx(5.0) and np.isnan(ab["utilisation"])
    assert (ab0["total_k_per_yr"], ab0["utilisation"]) == (0.0, 0.0)
