"""Two published textbook LPs ported to the case format, against their known optima.

Each is stated as a planner porting it would (the README's case format, nothing else) and
solved by chainopt; the objective, the plan and the dual values must equal the book's to
1e-6. Quantities are the books' numbers read as k units/yr, so an amount in USD per unit
times k units/yr is kUSD/yr and the objective (MUSD) is the book's objective / 1000 when
the book counts in USD, or equal to it when the book counts in thousands.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.toycase import solve_case, value, write_case

TOL = 1e-6


def test_dantzig_transportation_problem(tmp_path):
    """Dantzig (1963), *Linear Programming and Extensions*, the transportation problem of
    GAMS's first model library entry (``trnsport``): canning plants Seattle (350 cases)
    and San Diego (600) supply markets New York (325), Chicago (300) and Topeka (275);
    freight 90 USD per case per 1000 miles over the distances (1000 miles)

        seattle    2.5 NY  1.7 Chicago  1.8 Topeka
        san_diego  2.5 NY  1.8 Chicago  1.4 Topeka

    so 225, 153, 162 / 225, 162, 126 USD per case. Minimise the freight bill.

    Port: a cost case (``objective: cost``); the plants are supplies at cost 0 capped at
    their capacity; the markets are hard demand (``demand.csv``, delivered exactly: the
    book's ">= demand" is met with equality at any optimum, every route costing > 0);
    one link per route. "cases" is no unit of the format: any unit will do (t).

    Known optimum 153.675 (k USD): Chicago from Seattle (153 < 162), Topeka from San
    Diego (126 < 162), New York split (both 225; the split is not unique: 50 / 275 in
    GAMS's listing): 300 * 153 + 275 * 126 + 325 * 225 = 45,900 + 34,650 + 73,125 =
    153,675 kUSD = 153.675 MUSD here (the book's cases read as k cases, its k USD as
    MUSD: the same number). Marginal costs of demand, as
    GAMS lists them: New York 225, Chicago 153, Topeka 126 (the plant not filled has
    value 0, so a market's value is its cheapest route's freight). Seattle -> Topeka
    costs 36 more than its alternative (reduced cost -36), San Diego -> Chicago 9.
    """
    res = solve_case(write_case(tmp_path, {
        "commodities": "commodity,unit,kind\ncases,t,product",
        "sites": "site\nseattle\nsan_diego\nnew_york\nchicago\ntopeka",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\n"
                    "seattle,cases,0,350\nsan_diego,cases,0,600",
        "demand": "site,commodity,amount_k_per_yr\n"
                  "new_york,cases,325\nchicago,cases,300\ntopeka,cases,275",
        "links": "link,from_site,to_site,transport_mode,commodities,cost_usd_per_unit\n"
                 "s_ny,seattle,new_york,road,cases,225\n"
                 "s_ch,seattle,chicago,road,cases,153\n"
                 "s_to,seattle,topeka,road,cases,162\n"
                 "d_ny,san_diego,new_york,road,cases,225\n"
                 "d_ch,san_diego,chicago,road,cases,162\n"
                 "d_to,san_diego,topeka,road,cases,126",
    }, objective="cost"))
    assert res.objective == pytest.approx(153.675, abs=TOL)
    flows = res["flows"].set_index("link")
    assert flows.at["s_ch", "flow_k_per_yr"] == pytest.approx(300, abs=TOL)
    assert flows.at["d_to", "flow_k_per_yr"] == pytest.approx(275, abs=TOL)
    for link in ("s_to", "d_ch"):
        assert flows.at[link, "flow_k_per_yr"] == pytest.approx(0, abs=TOL)
    ny = flows.at["s_ny", "flow_k_per_yr"] + flows.at["d_ny", "flow_k_per_yr"]
    assert ny == pytest.approx(325, abs=TOL)
    assert flows.at["s_ny", "flow_k_per_yr"] <= 50 + TOL  # Seattle has 50 left over
    assert flows.at["s_to", "reduced_cost_usd_per_unit"] == pytest.approx(-36, abs=TOL)
    assert flows.at["d_ch", "reduced_cost_usd_per_unit"] == pytest.approx(-9, abs=TOL)
    demand = res["demand"].set_index("site")["marginal_cost_usd_per_unit"]
    assert demand.to_dict() == pytest.approx({"new_york": 225, "chicago": 153,
                                              "topeka": 126}, abs=TOL)


def test_rardins_two_crude_petroleum(tmp_path):
    """Rardin (2017), *Optimization in Operations Research*, §2.1 "Two Crude Petroleum":
    a refinery distils Saudi crude (20 USD/bbl, at most 9 k bbl/day) into 0.3 gasoline,
    0.4 jet fuel, 0.2 lubricants (0.1 lost) and Venezuelan crude (15 USD/bbl, at most 6)
    into 0.4, 0.2, 0.3 (0.1 lost); contracts ask at least 2 k bbl/day of gasoline, 1.5 of
    jet fuel and 0.5 of lubricants. Minimise the cost of crude.

    Port: a cost case; one distillation unit with a mode per crude (its capacity, which
    the book does not have, set far above any use: a unit needs one); the crudes are
    supplies with their limits; each contract is a market at price 0 with a demand floor
    (``min_k_per_yr``), made hard (``demand_floors: hard``) as the book's ">=" is: what is
    made beyond a floor (lubricants) is sold at 0. Days read as years, k bbl.

    Known optimum: x_S = 2, x_V = 3.5 (k bbl), cost 20 * 2 + 15 * 3.5 = 92.5 kUSD =
    0.0925 MUSD, where the gasoline and jet fuel contracts bind: 0.3 x_S + 0.4 x_V = 2
    and 0.4 x_S + 0.2 x_V = 1.5; lubricants come out at 0.2 * 2 + 0.3 * 3.5 = 1.45. The
    book's dual values: 20 USD per bbl of gasoline, 35 per bbl of jet fuel (solving
    0.3 v_g + 0.4 v_j = 20, 0.4 v_g + 0.2 v_j = 15), 0 for lubricants.
    """
    res = solve_case(two_crude_case(tmp_path))
    assert res.objective == pytest.approx(0.0925, abs=TOL)
    act = res["activity"].set_index("mode")["activity_k_per_yr"]
    assert act.to_dict() == pytest.approx({"run_saudi": 2.0, "run_venezuelan": 3.5}, abs=TOL)
    sales = res["sales"].set_index("commodity")
    assert sales["sales_k_per_yr"].to_dict() == pytest.approx(
        {"gasoline": 2.0, "jet_fuel": 1.5, "lubricants": 1.45}, abs=TOL)
    assert sales["floor_cost_usd_per_unit"].to_dict() == pytest.approx(
        {"gasoline": 20.0, "jet_fuel": 35.0, "lubricants": 0.0}, abs=TOL)
    assert value(res["balances"], commodity="saudi")["shadow_price_usd_per_unit"] == \
        pytest.approx(20.0, abs=TOL)


def two_crude_case(folder: Path) -> Path:
    """Rardin's Two Crude Petroleum as a case folder (see the test above)."""
    return write_case(folder, {
        "commodities": "commodity,unit,kind\nsaudi,bbl,raw\nvenezuelan,bbl,raw\n"
                       "gasoline,bbl,product\njet_fuel,bbl,product\nlubricants,bbl,product",
        "sites": "site\nrefinery",
        "modes": "mode,process\nrun_saudi,distil\nrun_venezuelan,distil",
        "mode_flows": "mode,commodity,direction,amount_per_unit\n"
                      "run_saudi,saudi,in,1\nrun_saudi,gasoline,out,0.3\n"
                      "run_saudi,jet_fuel,out,0.4\nrun_saudi,lubricants,out,0.2\n"
                      "run_venezuelan,venezuelan,in,1\nrun_venezuelan,gasoline,out,0.4\n"
                      "run_venezuelan,jet_fuel,out,0.2\nrun_venezuelan,lubricants,out,0.3",
        "units": "unit,site,process,capacity_k_per_yr\ncdu,refinery,distil,1000",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\n"
                    "refinery,saudi,20,9\nrefinery,venezuelan,15,6",
        "markets": "site,commodity,price_usd_per_unit,min_k_per_yr\n"
                   "refinery,gasoline,0,2\nrefinery,jet_fuel,0,1.5\nrefinery,lubricants,0,0.5",
    }, objective="cost", demand_floors="hard")
