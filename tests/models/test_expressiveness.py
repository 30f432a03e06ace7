"""Issue 15: porting a planning model exactly and reading its answers in its own units.

Toy cases whose numbers are derived by hand below (one period of one year and discount
rate 0 unless stated, so w = 1; quantities in k units/yr, prices in USD per unit, hence
MUSD = k units x USD / 1000). Signs: every marginal value and reduced cost is what one
more unit adds to the objective (profit), in USD per unit of the commodity.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from chainopt import api
from chainopt.case.load import load_case
from chainopt.cli import app
from chainopt.diagnose.names import column_names, row_names
from chainopt.errors import InputError
from chainopt.report.explain import binding_lines, ranging_lines
from tests.toycase import fixed_charge_cost_case, solve_case, value, write_case

ONE_SITE = "site\nplant\n"
runner = CliRunner(env={"COLUMNS": "200"})


# -- 1. free disposal ------------------------------------------------------------------------
SPLITTER = {
    "sites": ONE_SITE,
    "modes": "mode,process\nsplit,cdu",
    "mode_flows": "mode,commodity,direction,amount_per_unit\nsplit,crude,in,1\n"
                  "split,light,out,0.5\nsplit,heavy,out,0.5",
    "units": "unit,site,process,capacity_k_per_yr\ncdu1,plant,cdu,10",
    "supplies": "site,commodity,cost_usd_per_unit\nplant,crude,100",
    "markets": "site,commodity,price_usd_per_unit\nplant,light,300",
}


def test_free_disposal_makes_the_balance_an_inequality(tmp_path):
    """1 t crude (100 USD) -> 0.5 t light (sold at 300) + 0.5 t heavy (no market).

    Without disposal heavy has nowhere to go: its balance (= 0) stops the unit,
    objective 0. With ``disposal: true`` at 20 USD/t the margin per t crude is
    0.5 * 300 - 100 - 0.5 * 20 = 40 > 0: the unit runs at 10 kt/yr, objective
    10 * 40 / 1000 = 0.4 MUSD; 5 kt/yr of heavy are disposed at 5 * 20 / 1000 = 0.1 MUSD
    (npv_disposal = -0.1); one more t of heavy at the plant is worth -20 USD (it must be
    disposed of).
    """
    com = "commodity,unit,kind,disposal,disposal_cost_usd_per_unit\ncrude,t,raw,,\n" \
          "light,t,product,,\nheavy,t,intermediate,{d}"
    shut = solve_case(write_case(tmp_path / "a", {**SPLITTER,
                                                  "commodities": com.format(d=",")}))
    assert shut.objective == pytest.approx(0.0, abs=1e-9)
    res = solve_case(write_case(tmp_path / "b", {**SPLITTER,
                                                 "commodities": com.format(d="true,20")}))
    assert res.objective == pytest.approx(0.4, rel=1e-9)
    d = value(res["disposal"], commodity="heavy")
    assert d["disposed_k_per_yr"] == pytest.approx(5.0)
    assert d["cost_musd_per_yr"] == pytest.approx(0.1)
    assert res.kpi("npv_disposal") == pytest.approx(-0.1)
    heavy = value(res["balances"], commodity="heavy")
    assert heavy["shadow_price_usd_per_unit"] == pytest.approx(-20.0)


# -- 2. price tiers: stepwise demand and supply curves ----------------------------------------
def test_market_and_supply_tiers_are_demand_and_supply_curves(tmp_path):
    """1 t crude -> 1 t product (capacity 20). Product: tier 1 at 300 USD/t up to 4 kt/yr,
    tier 2 at 200 unlimited. Crude: tier 1 at 100 up to 5, tier 2 at 250.

    Unit by unit: the first 4 t earn 300 - 100 = 200, the 5th 200 - 100 = 100, a 6th would
    earn 200 - 250 < 0. So 5 kt/yr: sales 4 (tier 1) + 1 (tier 2), purchases 5 (tier 1);
    objective (4*300 + 1*200 - 5*100) / 1000 = 0.9 MUSD. The product is worth 200 at the
    plant (tier 2 price, not at its cap), so crude is worth 200 too: tier-1 crude at its
    limit has reduced cost +100 (= its marginal value in constraints.csv, same sign), tier-2
    crude -50 (200 - 250: it would lose 50 per t); tier-1 sales at the cap: +100.
    """
    res = solve_case(write_case(tmp_path, {
        "commodities": "commodity,unit,kind\ncrude,t,raw\nproduct,t,product",
        "sites": ONE_SITE,
        "modes": "mode,process\nrun,p",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,crude,in,1\n"
                      "run,product,out,1",
        "units": "unit,site,process,capacity_k_per_yr\nu,plant,p,20",
        "supplies": "site,commodity,tier,cost_usd_per_unit,max_k_per_yr\n"
                    "plant,crude,1,100,5\nplant,crude,2,250,",
        "markets": "site,commodity,tier,price_usd_per_unit,max_k_per_yr\n"
                   "plant,product,1,300,4\nplant,product,2,200,",
    }))
    assert res.objective == pytest.approx(0.9, rel=1e-9)
    assert value(res["sales"], tier=1)["sales_k_per_yr"] == pytest.approx(4.0)
    assert value(res["sales"], tier=2)["sales_k_per_yr"] == pytest.approx(1.0)
    p1, p2 = value(res["purchases"], tier=1), value(res["purchases"], tier=2)
    assert p1["purchase_k_per_yr"] == pytest.approx(5.0)
    assert p2["purchase_k_per_yr"] == pytest.approx(0.0, abs=1e-9)
    assert p1["reduced_cost_usd_per_unit"] == pytest.approx(100.0)
    assert p2["reduced_cost_usd_per_unit"] == pytest.approx(-50.0)
    c = res["constraints"]
    # tier 1 of a curve with further tiers is keyed with its tier, as they are
    lim = value(c, family="supply.purchase",
                key="site=plant, commodity=crude, tier=1, period=p1")
    assert lim["marginal_value"] == pytest.approx(100.0)
    assert lim["value_unit"] == "USD per t"
    cap = value(c, family="market.sales",
                key="site=plant, commodity=product, tier=1, period=p1")
    assert cap["marginal_value"] == pytest.approx(100.0)
    assert value(res["balances"], commodity="product")["shadow_price_usd_per_unit"] == \
        pytest.approx(200.0)


def _one_tier_problem(tmp_path, tables: dict, table: str, rows: str, by_period: str,
                      message: str) -> None:
    """``tables`` with ``table``'s rows replaced by ``rows`` (and its by-period overrides
    ``by_period``), over two 1-year periods p1 and p2: loading it raises exactly one
    problem, matching ``message``."""
    tables[table] = tables[table].split("\n")[0] + "\n" + rows
    if by_period:
        tables[f"{table}_by_period"] = by_period
    periods = [{"period": "p1", "start_year": 2026, "length_yr": 1},
               {"period": "p2", "start_year": 2027, "length_yr": 1}]
    with pytest.raises(InputError, match=message) as info:
        load_case(write_case(tmp_path, tables, periods=periods))
    assert len(info.value.problems) == 1


@pytest.mark.parametrize(("table", "rows", "by_period", "message"), [
    ("markets", "plant,product,1,100,5\nplant,product,2,150,5", "",
     r"markets.csv row 3, column price_usd_per_unit: tier 2 of product at plant pays 150 "
     r"in p1 and p2, more than tier 1's 100"),
    ("supplies", "plant,crude,1,100,5\nplant,crude,2,50,5", "",
     r"supplies.csv row 3, column cost_usd_per_unit: tier 2 of crude at plant costs 50 in "
     r"p1 and p2, less than tier 1's 100"),
    ("markets", "plant,product,1,300,5\nplant,product,2,200,5",
     "site,commodity,tier,period,price_usd_per_unit\nplant,product,2,p2,350",
     r"markets_by_period.csv row 2, column price_usd_per_unit: tier 2 of product at plant "
     r"pays 350 in p2, more than tier 1's 300"),
    ("supplies", "plant,crude,1,10,5\nplant,crude,2,20,5\nplant,crude,3,30,5",
     "site,commodity,tier,period,cost_usd_per_unit\nplant,crude,3,p2,15",
     r"supplies_by_period.csv row 2, column cost_usd_per_unit: tier 3 of crude at plant "
     r"costs 15 in p2, less than tier 2's 20: .*or make a separate supply \(another site\)"),
    ("markets", "plant,product,1,300,5\nplant,product,2,200,5",
     "site,commodity,tier,period,price_usd_per_unit\nplant,product,1,p2,150",
     r"markets.csv row 3, column price_usd_per_unit: tier 2 of product at plant pays 200 "
     r"in p2, more than tier 1's 150")])
def test_tiers_out_of_order_are_an_error(tmp_path, table, rows, by_period, message):
    """Crude at 0 (at most 5) sold in tier 1 at 100 (cap 5) and tier 2 at 150 (cap 5):
    the LP sold the 5 kt in tier 2 first, 0.75 MUSD, where the first 5 kt of a demand
    curve sell at tier 1's price (0.50). Likewise a cheaper supply tier 2 was bought
    first. Refused, in every period, once for all the periods it holds in, at the row
    stating the later tier's price in that period: a by-period override where one
    gives it (whether it raises the later tier or, last case, lowers the earlier one,
    which leaves the later tier's price of markets.csv out of order)."""
    tables = {
        "commodities": "commodity,unit,kind\ncrude,t,raw\nproduct,t,product",
        "sites": ONE_SITE,
        "supplies": "site,commodity,tier,cost_usd_per_unit,max_k_per_yr\nplant,crude,1,0,5",
        "markets": "site,commodity,tier,price_usd_per_unit,max_k_per_yr\n"
                   "plant,crude,1,100,5"}
    _one_tier_problem(tmp_path, tables, table, rows, by_period, message)


@pytest.mark.parametrize(("table", "rows", "by_period", "message"), [
    ("supplies", "plant,crude,1,50,\nplant,crude,2,80,30",  "",
     r"- supplies.csv row 2, column max_k_per_yr: tier 1 of crude at plant has no "
     r"max_k_per_yr \(unlimited\) in p1 and p2, so tier 2 after it, which costs more, would "
     r"never be bought: the LP buys all it needs at tier 1's lower cost first; give tier 1 "
     r"its max_k_per_yr \(the size of that step of the curve\), or remove tier 2"),
    ("markets", "plant,crude,1,200,,0\nplant,crude,2,150,30,0", "",
     r"- markets.csv row 2, column max_k_per_yr: tier 1 of crude at plant has no "
     r"max_k_per_yr \(unlimited\) in p1 and p2, so tier 2 after it, which pays less, would "
     r"never be sold to: the LP sells all it can at tier 1's higher price first"),
    ("markets", "plant,crude,1,200,,0\nplant,crude,2,150,30,0",
     "site,commodity,tier,period,min_k_per_yr\nplant,crude,2,p1,10",
     r"- markets.csv row 2, column max_k_per_yr: tier 1 of crude at plant has no "
     r"max_k_per_yr \(unlimited\) in p2, so tier 2"),
    ("supplies", "plant,crude,1,50,\nplant,crude,2,80,30",
     "site,commodity,period,max_k_per_yr\nplant,crude,p2,20",
     r"- supplies.csv row 2, column max_k_per_yr: tier 1 of crude at plant has no "
     r"max_k_per_yr \(unlimited\) in p1, so tier 2")])
def test_a_tier_after_an_unlimited_tier_is_an_error(tmp_path, table, rows, by_period,
                                                     message):
    """Crude bought in tier 1 at 50 USD/t with no limit and tier 2 at 80 (up to 30): every
    t is bought at 50, so tier 2 was never bought and its cost and limit were ignored
    without a word (a market tier 2 at 150 below an unlimited tier 1 at 200 was never
    sold to). Refused at the row leaving tier 1's max_k_per_yr blank, in the periods it is
    blank: a by-period limit for tier 1 (20 in p2) makes it a step there. A market tier
    with a demand floor (10 in p1) sells by its floor, so it is refused only in p2."""
    tables = {
        "commodities": "commodity,unit,kind\ncrude,t,raw",
        "sites": ONE_SITE,
        "supplies": "site,commodity,tier,cost_usd_per_unit,max_k_per_yr\nplant,crude,1,0,5",
        "markets": "site,commodity,tier,price_usd_per_unit,max_k_per_yr,min_k_per_yr\n"
                   "plant,crude,1,100,5,0"}
    _one_tier_problem(tmp_path, tables, table, rows, by_period, message)


def test_an_unlimited_last_tier_or_a_tie_is_no_error(tmp_path):
    """Tier 2 unlimited after a capped tier 1 is the open end of the curve; tier 2 at the
    unlimited tier 1's own cost (a tie) may be bought as well as tier 1: both load."""
    tables = {
        "commodities": "commodity,unit,kind\ncrude,t,raw", "sites": ONE_SITE,
        "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\nplant,crude,100,40",
        "supplies": "site,commodity,tier,cost_usd_per_unit,max_k_per_yr\n"
                    "plant,crude,1,50,30\nplant,crude,2,80,"}  # capped market: no pump
    assert load_case(write_case(tmp_path / "open_end", tables))
    tables["supplies"] = ("site,commodity,tier,cost_usd_per_unit,max_k_per_yr\n"
                          "plant,crude,1,50,\nplant,crude,2,50,30")
    assert load_case(write_case(tmp_path / "tie", tables))


# -- 3. cost curves ------------------------------------------------------------------------
def _curve_case(folder, points: str, margin: float = 150.0):
    """A plant with no capacity that may expand up to 10 kt/yr (lifetime 1 year: built
    and used in 2026, so its annuity in the one year equals its overnight cost, no
    residual value); each t/yr of capacity earns ``margin`` USD per year."""
    return write_case(folder, {
        "commodities": "commodity,unit,kind\nfeed,t,raw\nproduct,t,product",
        "sites": ONE_SITE,
        "modes": "mode,process\nrun,p",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,feed,in,1\n"
                      "run,product,out,1",
        "units": "unit,site,process,capacity_k_per_yr,max_new_k_per_yr,lifetime_yr\n"
                 "u,plant,p,0,10,1",
        "supplies": "site,commodity,cost_usd_per_unit\nplant,feed,100",
        "markets": f"site,commodity,price_usd_per_unit\nplant,product,{100 + margin}",
        "capex_curve": "unit,point,size_k_per_yr,capex_musd\n" + points,
    })


def test_convex_breakpoint_curve_needs_no_binaries(tmp_path):
    """Breakpoints (4 kt/yr, 0.4 MUSD), (10, 1.6) from (0, 0): segment 1 is 4 kt/yr at
    0.4 / 4 = 100 USD per t/yr, segment 2 is 6 kt/yr at 1.2 / 6 = 200: unit cost rises
    (convex), so no binary. Margin 150 USD per t/yr: only segment 1 pays, build 4 kt/yr;
    objective 4 * 150 / 1000 - 0.4 = 0.2 MUSD; overnight cost 0.4 MUSD."""
    folder = _curve_case(tmp_path, "u,1,4,0.4\nu,2,10,1.6")
    built = api.build_model(load_case(folder))
    assert not built.is_mip
    res = api.extract_results(built, api.solve(built))
    assert res.objective == pytest.approx(0.2, rel=1e-9)
    assert value(res["capacity"], name="u")["new_k_per_yr"] == pytest.approx(4.0)
    assert value(res["investments"], name="u")["overnight_musd"] == pytest.approx(0.4)
    assert res.manifest["capex_curves"]["u"].startswith("convex")
    # exported names: segment numbers as integers, no data numbers
    names = column_names(built)
    assert "investment.segment(u,p1,1)" in names and not any("1.0" in n for n in names)


@pytest.mark.parametrize(("points", "min_new", "binaries", "says"), [
    ("u,1,4,0.4\nu,2,10,1.6", 0, 0, "convex (unit cost never falls): segments filled in "
                                    "order by the LP, no binaries"),
    ("u,1,0,2\nu,2,10,5", 0, 1, "convex (unit cost never falls): segments filled in order "
                                "by the LP, no ordering binaries; one binary build decision "
                                "per build (fixed charge 2 MUSD)"),
    ("u,1,4,0.4\nu,2,10,1.6", 2, 1, "convex (unit cost never falls): segments filled in "
                                    "order by the LP, no ordering binaries; one binary build "
                                    "decision per build (minimum size 2 k units/yr)"),
    ("u,1,4,1.2\nu,2,10,1.8", 0, 2, "unit cost falls (economies of scale): one binary build "
                                    "decision per build and ordering binaries per segment"),
])
def test_the_manifest_says_which_binaries_a_curve_gets(tmp_path, points, min_new, binaries,
                                                        says):
    """One build (one period, up to 10 kt/yr). Rising unit cost (100 then 200 USD per t/yr)
    needs no binary; a point at size 0 (2 MUSD, a fixed charge: the reviewer's
    t2c_curve_fixed) or a minimum size needs the build decision y (1 binary), still with
    no ordering binaries; falling unit cost (300 then 100) needs y and one ordering flag
    for segment 2 (2 binaries). The manifest said "no binaries" for the fixed charge
    while the model had one."""
    folder = _curve_case(tmp_path, points)
    if min_new:
        units = folder / "units.csv"
        units.write_text(units.read_text().replace("lifetime_yr\n", "lifetime_yr,"
                                                   "min_new_k_per_yr\n").replace(
            "u,plant,p,0,10,1", f"u,plant,p,0,10,1,{min_new}"))
    built = api.build_model(load_case(folder))
    assert int(built.arrays.integer.sum()) == binaries
    res = api.extract_results(built, api.solve(built))
    assert res.manifest["capex_curves"] == {"u": says}


def test_a_curve_with_only_a_point_at_size_0_is_refused(tmp_path):
    """A curve replaces the unit's linear capex; a point at size 0 is its fixed charge.
    Points (0, 2 MUSD) alone give no cost for any size: chainopt charged the fixed
    charge plus the linear capex a curve replaces (a 10 kt/yr build at 300 USD per t/yr:
    overnight 2 + 10 * 300 / 1000 = 5 MUSD). Refused, naming the row and column; the
    same build as a curve through (0, 2) and (10, 5) is accepted."""
    folder = _curve_case(tmp_path / "only0", "u,1,0,2")
    units = folder / "units.csv"
    units.write_text(units.read_text().replace("lifetime_yr\n", "lifetime_yr,"
                                               "capex_usd_per_unit_yr\n").replace(
        "u,plant,p,0,10,1", "u,plant,p,0,10,1,300"))
    with pytest.raises(InputError, match=r"capex_curve.csv row 2, column size_k_per_yr: "
                                         r"this unit's curve has no point above size 0"):
        load_case(folder)
    load_case(_curve_case(tmp_path / "curve", "u,1,0,2\nu,2,10,5"))


def test_fixed_charge_with_rising_segments_uses_one_binary_and_relax(tmp_path):
    """The same curve plus a point at size 0 costing 0.1 MUSD: a fixed charge, so one
    binary build decision (and no ordering binaries: the curve is convex).
    MIP: build 4 kt/yr, 0.6 - 0.4 - 0.1 = 0.1 MUSD.
    LP relaxation (``run --relax``): the build flag y may be fractional with
    new <= 10 y, so the fixed charge costs 0.1 / 10 MUSD per kt/yr = 10 USD per t/yr;
    segment 1 then costs 110 < 150: new = 4, y = 0.4, objective
    0.6 - 0.4 - 0.04 = 0.16 MUSD (>= the MIP's 0.1, as a relaxation must be).
    """
    folder = _curve_case(tmp_path / "case", "u,1,0,0.1\nu,2,4,0.5\nu,3,10,1.7")
    built = api.build_model(load_case(folder))
    assert int(built.arrays.integer.sum()) == 1
    res = api.extract_results(built, api.solve(built))
    assert res.objective == pytest.approx(0.1, rel=1e-9)
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(folder), "--relax", "--out", str(out),
                                 "--name", "rel"])
    assert result.exit_code == 0, result.output
    assert "LP relaxation" in " ".join(result.output.split())
    manifest = json.loads((out / "rel" / "manifest.json").read_text())  # OUT/<name>/
    assert manifest["relaxed"] == 1 and manifest["is_mip"] is False
    assert manifest["objective"] == pytest.approx(0.16, rel=1e-9)
    assert manifest["objective_unit"].startswith("MUSD (NPV")
    kpis = (out / "rel" / "kpis.csv").read_text()
    assert "lp_relaxation" in kpis


# -- 5. cost objective and hard demand ---------------------------------------------------------
def test_cost_case_reports_total_cost_with_its_parts(tmp_path):
    """Demand of 6 kt/yr of fuel at the plant, bought at 100 USD/t (tier 1, up to 4) and
    150 (tier 2); one period of 2 years from 2026, rate 10 %, cash flows at the start of
    each year. Each year costs 4 * 100 + 2 * 150 = 700 kUSD = 0.7 MUSD: 0.7 in 2026 and
    0.7 / 1.1 = 0.636364 in 2027, total cost 1.336364 MUSD (positive). One more t of
    demand costs 150 USD (the tier-2 price)."""
    res = solve_case(write_case(tmp_path, {
        "commodities": "commodity,unit,kind\nfuel,t,product",
        "sites": ONE_SITE,
        "supplies": "site,commodity,tier,cost_usd_per_unit,max_k_per_yr\n"
                    "plant,fuel,1,100,4\nplant,fuel,2,150,",
        "demand": "site,commodity,amount_k_per_yr\nplant,fuel,6",
    }, objective="cost", discount_rate=0.1,
        periods=[{"period": "p1", "start_year": 2026, "length_yr": 2}]))
    total = 0.7 + 0.7 / 1.1
    assert res.manifest["objective_sense"] == "cost"
    assert res.objective == pytest.approx(total, rel=1e-9)
    assert res.kpi("objective") == pytest.approx(total, rel=1e-9)
    assert res.kpi("cost_supply") == pytest.approx(total, rel=1e-9)
    assert res.net_value == pytest.approx(-total, rel=1e-9)
    d = value(res["demand"], commodity="fuel")
    assert d["delivered_k_per_yr"] == pytest.approx(6.0)
    assert d["marginal_cost_usd_per_unit"] == pytest.approx(150.0)


def test_a_cost_cases_lp_relaxation_is_a_lower_bound_on_its_total_cost(tmp_path):
    """Hard demand of 12 kt/yr of product, made 1:1 from feed at 100 USD/t by a unit built
    for it: 100 USD per t/yr, a 1 MUSD fixed charge, at most 20 kt/yr, life 1 year (one
    1-year period, rate 0). MIP: build 12, total cost 1.2 (feed) + 1.2 (capex) + 1 (fixed
    charge) = 3.4 MUSD. LP relaxation: the build flag need only be 12 / 20 = 0.6, so 0.6 of
    the fixed charge: 1.2 + 1.2 + 0.6 = 3.0 MUSD, below the MIP's cost (README: in a cost
    case the relaxation bounds the total cost from below, not above)."""
    folder = fixed_charge_cost_case(tmp_path)
    assert api.run(folder, save=False).objective == pytest.approx(3.4, rel=1e-9)
    relaxed = api.run(folder, save=False, options=api.solve_options(relax=True))
    assert relaxed.objective == pytest.approx(3.0, rel=1e-9)
    assert relaxed.manifest["relaxed"] == 1


# -- 6. recipes and blend selectors ----------------------------------------------------------
def test_recipe_blend_and_a_user_constraint_selecting_it(tmp_path):
    """Fuel oil = a : b in the fixed proportions 3 : 1 (t). a costs 100, b 200, fuel oil
    sells at 300: margin 300 - (0.75 * 100 + 0.25 * 200) = 175 USD/t. A user constraint
    selecting the blend (production, blend=fo_mix) caps it at 12 kt/yr: a = 9, b = 3,
    objective 12 * 175 / 1000 = 2.1 MUSD; the cap is worth 175 USD per t."""
    res = solve_case(write_case(tmp_path, {
        "commodities": "commodity,unit,kind\na,t,raw\nb,t,raw\nfuel_oil,t,product",
        "sites": ONE_SITE,
        "supplies": "site,commodity,cost_usd_per_unit\nplant,a,100\nplant,b,200",
        "markets": "site,commodity,price_usd_per_unit\nplant,fuel_oil,300",
        "blends": "blend,site,product,components,basis,shares\n"
                  "fo_mix,plant,fuel_oil,a;b,recipe,3;1",
        "constraints": "constraint,sense,rhs\nfo_cap,<=,12",
        "constraint_terms": "constraint,term,quantity,coef,blend\n"
                            "fo_cap,1,production,1,fo_mix",
    }))
    assert res.objective == pytest.approx(2.1, rel=1e-9)
    bl = res["blending"]
    assert value(bl, component="a")["blend_k_per_yr"] == pytest.approx(9.0)
    assert value(bl, component="b")["blend_k_per_yr"] == pytest.approx(3.0)
    cap = value(res["constraints"], family="user.relation")
    assert cap["marginal_value"] == pytest.approx(175.0)


# -- 7. answers in the user's units ----------------------------------------------------------
@pytest.mark.parametrize("stated_density", [0.745, 0.60])
def test_spec_value_across_unit_kinds_is_per_basis_unit_whatever_the_stated_density(
        tmp_path, stated_density):
    """Volume-basis petrol measured in t from a (t, 0.70 t/m3, octane 90, 400 USD/t) and b
    (t, 0.80 t/m3, octane 100, 600 USD/t); min octane 95; sales capped at 10 kt.

    By hand: the spec holds at a volume fraction f = (L - 90)/10 of b, 0.5 at L = 95. A t
    of petrol costs g(f) = (280 + 200 f) / (0.7 + 0.1 f) USD, g'(f) = 112 / (0.7 + 0.1 f)^2
    = 199.11 at f = 0.5, so each octane point costs g'/10 = 19.911 USD per t, and the
    blend holds 0.75 t per m3: 0.75 * 19.911 = 14.933 USD per m3 per octane. A t of
    petrol holds as many m3 as the blend's density gives (1/0.75), not its stated density,
    so the value is stated per m3 of the basis. It was scaled by the stated density
    (20.045 at 0.745, 24.889 at 0.60: a review found it)."""
    res = solve_case(write_case(tmp_path, {
        "commodities": "commodity,unit,kind,density_t_per_m3\na,t,raw,0.70\nb,t,raw,0.80\n"
                       f"pet,t,product,{stated_density}",
        "sites": ONE_SITE,
        "supplies": "site,commodity,cost_usd_per_unit\nplant,a,400\nplant,b,600",
        "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\nplant,pet,900,10",
        "blends": "blend,site,product,components,basis\nmix,plant,pet,a;b,volume",
        "qualities": "commodity,property,value\na,octane,90\nb,octane,100",
        "specs": "commodity,property,min_value\npet,octane,95",
    }))
    spec = value(res["constraints"], family="blending.spec_min")
    assert spec["marginal_value"] == pytest.approx(0.75 * 112 / 0.75**2 / 10, rel=1e-6)
    assert spec["value_unit"] == "USD per m3 per octane"


def test_blend_variable_cost_is_per_unit_of_product(tmp_path):
    """Fuel in m3 blended (volume basis, no spec) from a (t, 0.70 t/m3, 100 USD/t) alone:
    10 k m3 sold at 200 USD/m3 (cap) take 7 kt of a. A variable cost of 10 USD per m3 of
    fuel costs 10 * 10 / 1000 = 0.1 MUSD: objective 10 * 200 / 1000 - 7 * 100 / 1000 -
    0.1 = 1.2 (one 1-year period, no discounting). It was charged per t of component,
    7 * 10 / 1000 = 0.07 (objective 1.23)."""
    res = solve_case(write_case(tmp_path, {
        "commodities": "commodity,unit,kind,density_t_per_m3\na,t,raw,0.70\nfuel,m3,product,",
        "sites": ONE_SITE,
        "supplies": "site,commodity,cost_usd_per_unit\nplant,a,100",
        "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\nplant,fuel,200,10",
        "blends": "blend,site,product,components,basis,variable_cost_usd_per_unit\n"
                  "mix,plant,fuel,a,volume,10",
    }))
    assert res.objective == pytest.approx(1.2, rel=1e-9)


def test_blend_capacity_is_counted_in_the_product_unit(tmp_path):
    """Fuel in m3 blended on a volume basis from a in t (0.70 t/m3, 100 USD/t), sold at
    200 USD/m3; blend capacity 5 k/yr. The capacity row is ``sum_c k_cp blend <= 5`` with
    k = 1 / 0.70 m3 per t: counted in m3 of product, the unit ``quantity_unit`` gives
    (the registry's dropped ``unit`` text said "k units/yr of components blended", t
    here). A m3 costs 0.70 x 100 = 70 and sells at 200: 5 k m3/yr earn 5 x 130 / 1000 =
    0.65 MUSD, and one more m3/yr of capacity is worth 130 USD per m3."""
    from dataclasses import fields

    from chainopt.models.spec import Row, Var

    res = solve_case(write_case(tmp_path, {
        "commodities": "commodity,unit,kind,density_t_per_m3\na,t,raw,0.70\nfuel,m3,product,",
        "sites": ONE_SITE,
        "supplies": "site,commodity,cost_usd_per_unit\nplant,a,100",
        "markets": "site,commodity,price_usd_per_unit\nplant,fuel,200",
        "blends": "blend,site,product,components,basis,capacity_k_per_yr\n"
                  "mix,plant,fuel,a,volume,5",
    }))
    assert res.objective == pytest.approx(0.65, rel=1e-9)
    cap = value(res["constraints"], family="blending.capacity_max")
    assert (cap["quantity_unit"], cap["value_unit"]) == ("m3", "USD per m3")
    assert (cap["activity"], cap["bound"]) == pytest.approx((5.0, 5.0), rel=1e-9)
    assert cap["marginal_value"] == pytest.approx(130.0, rel=1e-9)
    # one rule for the unit shown: a spec declares none that could disagree with it
    assert not {"unit", "vintage"} & {f.name for f in (*fields(Row), *fields(Var))}


def test_spec_marginal_value_is_per_barrel_and_per_spec_unit(tmp_path):
    """Volume-basis petrol in bbl from c1 (octane 90, 50 USD/bbl) and c2 (octane 100,
    80 USD/bbl), all in bbl; min octane 95; sold at 100 USD/bbl; blend capacity 10 k bbl/yr.
    The spec binds at a 50/50 mix costing 65: margin 35, objective 10 * 35 / 1000 = 0.35.
    Loosening the spec to 94 allows 60 % c1: cost 0.6 * 50 + 0.4 * 80 = 62, 3 USD/bbl less,
    so the spec is worth 3 USD per bbl per octane point (not 3 / 0.159 = 18.9 per m3).
    The capacity is worth 35 USD per bbl (one more bbl/yr earns 35 a year)."""
    res = solve_case(write_case(tmp_path, {
        "commodities": "commodity,unit,kind\nc1,bbl,raw\nc2,bbl,raw\npetrol,bbl,product",
        "sites": ONE_SITE,
        "supplies": "site,commodity,cost_usd_per_unit\nplant,c1,50\nplant,c2,80",
        "markets": "site,commodity,price_usd_per_unit\nplant,petrol,100",
        "blends": "blend,site,product,components,basis,capacity_k_per_yr\n"
                  "mix,plant,petrol,c1;c2,volume,10",
        "qualities": "commodity,property,value\nc1,octane,90\nc2,octane,100",
        "specs": "commodity,property,min_value\npetrol,octane,95",
    }))
    assert res.objective == pytest.approx(0.35, rel=1e-9)
    c = res["constraints"]
    spec = value(c, family="blending.spec_min")
    assert spec["marginal_value"] == pytest.approx(3.0, rel=1e-9)
    assert spec["value_unit"] == "USD per bbl per octane"
    assert spec["quantity_unit"] == "bbl"
    cap = value(c, family="blending.capacity_max")
    assert cap["marginal_value"] == pytest.approx(35.0, rel=1e-9)
    assert cap["value_unit"] == "USD per bbl"
    assert (c["quantity_unit"] != "").all()
    lines = binding_lines(c, ["p1"])
    assert any("each extra bbl/yr is worth 35 USD per bbl a year" in x for x in lines), lines
    assert any("octane minimum of blend mix binds in p1: relaxing it by one octane unit is "
               "worth 3 USD per bbl blended a year" in x for x in lines), lines
    assert not any("k units" in x or "per unit" in x for x in lines), lines
    # a blend variable cost of 0 has no relative room: listed apart by its absolute room,
    # named as the input the case has (blends.csv's variable cost; review F11: a
    # "blending cost of c1 into blend mix" is no input the case format has)
    r = res["ranging"]
    zero = r[(r["kind"] == "cost") & (r["value"] == 0)]
    assert len(zero) and (zero["room_basis"] == "absolute").all()
    text = "\n".join(ranging_lines(r))
    assert "Inputs at 0" in text and "1e+" not in text
    assert "variable cost of blend mix (blends.csv) per unit of" in text
    assert "blending cost" not in text
    # no data number (the spec limit 95) in exported names
    assert not any("95" in n for n in row_names(api.build_model(load_case(tmp_path))))


# -- validation of the new forms, and the --out help ---------------------------------------
def test_new_forms_are_validated_with_where_and_what(tmp_path):
    """A recipe whose shares do not match its components, a cost curve whose total cost
    falls, and a unit with both a curve and segments: each is reported with file, row and
    column (all collected before stopping)."""
    from chainopt.errors import InputError

    folder = _curve_case(tmp_path, "u,1,4,0.4\nu,2,10,0.3")
    (folder / "capex_segments.csv").write_text(
        "unit,segment,size_k_per_yr,capex_usd_per_unit_yr\nu,1,5,100\n")
    (folder / "blends.csv").write_text(
        "blend,site,product,components,basis,shares\nb,plant,product,feed,recipe,1;2\n")
    with pytest.raises(InputError) as exc:
        load_case(folder)
    text = str(exc.value)
    assert "capex_curve.csv row 3, column capex_musd" in text
    assert "capex_curve.csv row 2, column unit" in text and "capex_segments" in text
    assert "blends.csv row 2, column shares" in text


UNIT_COLUMNS = "unit,site,process,capacity_k_per_yr,max_new_k_per_yr,min_new_k_per_yr,lifetime_yr"


@pytest.mark.parametrize(("curve", "limits", "by_period", "where", "found", "end"), [
    ("segments", "20,", "", "units.csv row 2, column max_new_k_per_yr", "20",
     "capex_segments.csv) ends at a build of 5"),
    ("points", "10,", "", "units.csv row 2, column max_new_k_per_yr", "10",
     "capex_curve.csv) ends at a build of 4"),
    ("segments", "5,", "unit,period,max_new_k_per_yr\nu,p1,8",
     "units_by_period.csv row 2, column max_new_k_per_yr", "8",
     "capex_segments.csv) ends at a build of 5"),
    ("points", "4,8", "", "units.csv row 2, column min_new_k_per_yr", "8",
     "capex_curve.csv) ends at a build of 4"),
])
def test_build_limits_beyond_the_cost_curve_are_errors(tmp_path, curve, limits, by_period,
                                                       where, found, end):
    """max_new 20 with segments of 5 in all: builds were cut to 5 without a word (the
    segments sum to the build); so with breakpoints ending at 4 under max_new 10, and a
    period's max_new of 8 over segments of 5. min_new 8 over a curve ending at 4: the
    unit could never be built, silently (also refused as a smallest build above the
    largest). Each refused where the limit is stated, with the curve's size. A limit
    within the curve is fine, and a blank max_new means no build, curve or not (as
    documented): the curve prices builds, it does not allow them."""
    folder = _curve_case(tmp_path, "u,1,4,0.4")
    (folder / "units.csv").write_text(f"{UNIT_COLUMNS}\nu,plant,p,0,{limits},1\n")
    if curve == "segments":
        (folder / "capex_curve.csv").unlink()
        (folder / "capex_segments.csv").write_text(
            "unit,segment,size_k_per_yr,capex_usd_per_unit_yr\nu,1,5,100\n")
    if by_period:
        (folder / "units_by_period.csv").write_text(by_period + "\n")
    with pytest.raises(InputError) as info:
        load_case(folder)
    # min_new 8 over max_new 4 is also the (older) smallest-above-largest problem
    (p,) = [p for p in info.value.problems if p.where == where and end in p.hint]
    assert len(info.value.problems) == (2 if "min_new" in where else 1)
    assert p.message.endswith(f"the unit's cost curve prices (found '{found}')") or \
        p.message.endswith(f"so the unit could never be built (found '{found}')")
    assert end in p.hint
    (folder / "units.csv").write_text(f"{UNIT_COLUMNS}\nu,plant,p,0,4,4,1\n")
    (folder / "units_by_period.csv").unlink(missing_ok=True)
    assert api.build_model(load_case(folder)).index.unit_new["max_new"].tolist() == [4.0]
    (folder / "units.csv").write_text(f"{UNIT_COLUMNS}\nu,plant,p,0,,,1\n")
    assert api.build_model(load_case(folder)).index.unit_new.empty


def test_linear_capex_beside_a_cost_curve_is_refused(tmp_path):
    """A curve of one point (4 kt/yr for 0.4 MUSD: 100 USD per t/yr) beside a linear
    capex of 300 USD per t/yr in units.csv. The curve replaces the linear capex, so the
    300 was dropped without a word: the plan built 4 kt/yr at a margin of 150 per t/yr,
    objective 4 x 150 / 1000 - 0.4 = 0.2 MUSD, where a user counting both (100 + 300 >
    150) expects no build. Now refused where the 300 is stated; blank (or 0) runs."""
    folder = _curve_case(tmp_path, "u,1,4,0.4")
    columns = "unit,site,process,capacity_k_per_yr,max_new_k_per_yr,lifetime_yr"
    (folder / "units.csv").write_text(f"{columns},capex_usd_per_unit_yr\nu,plant,p,0,4,1,300\n")
    with pytest.raises(InputError) as info:
        load_case(folder)
    (p,) = info.value.problems
    assert p.where == "units.csv row 2, column capex_usd_per_unit_yr"
    assert "replaces its linear capex" in p.message and "found '300'" in p.message
    assert "capex_curve.csv) ends at a build of 4" in p.hint
    (folder / "units.csv").write_text(f"{columns},capex_usd_per_unit_yr\nu,plant,p,0,4,1,0\n")
    res = solve_case(folder)
    assert res.objective == pytest.approx(0.2, rel=1e-9)


def test_run_out_help_says_where_results_go():
    """``run --out DIR`` writes DIR/<name>/ (see the --relax test), and its help says so."""
    result = runner.invoke(app, ["run", "--help"])
    assert "OUT/<name>/" in " ".join(result.output.split())


# -- 8. the edges a port leans on ---------------------------------------------------------------
FEED_PRODUCT = {
    "commodities": "commodity,unit,kind\nfeed,t,raw\nproduct,t,product", "sites": ONE_SITE,
    "modes": "mode,process\nrun,make",
    "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,feed,in,1\nrun,product,out,1",
    "supplies": "site,commodity,cost_usd_per_unit\nplant,feed,100"}
ONE_YEAR_PERIODS = [{"period": f"p{i}", "start_year": 2025 + i, "length_yr": 1}
                    for i in (1, 2, 3)]


def test_a_ratio_between_two_flows(tmp_path):
    """10 kt/yr of oil at a hub (100 USD/t) go to a (300 USD/t) or b (200), free links;
    what enters lb is at least 0.4 x what enters la (two flow terms, coef 1 and -0.4,
    >= 0). Without it all goes to a; with it fa + fb = 10, fb = 0.4 fa: fa = 10 / 1.4 =
    7.142857, fb = 2.857143, objective (7.142857 * 200 + 2.857143 * 100) / 1000 =
    1.714286 MUSD. Loosening it by one (rhs -1: fb - 0.4 fa >= -1) shifts 1 / 1.4 t from b
    to a, each worth 100 more: 71.43 USD per t, stated >= 0 as every constraint's."""
    res = solve_case(write_case(tmp_path, {
        "commodities": "commodity,unit,kind\noil,t,product", "sites": "site\nhub\na\nb",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\nhub,oil,100,10",
        "markets": "site,commodity,price_usd_per_unit\na,oil,300\nb,oil,200",
        "links": "link,from_site,to_site,transport_mode,commodities,cost_usd_per_unit\n"
                 "la,hub,a,road,oil,0\nlb,hub,b,road,oil,0",
        "constraints": "constraint,sense,rhs\nratio,>=,0",
        "constraint_terms": "constraint,term,quantity,coef,link\n"
                            "ratio,1,flow,1,lb\nratio,2,flow,-0.4,la"}))
    assert res.objective == pytest.approx((10 / 1.4 * 200 + 4 / 1.4 * 100) / 1000, rel=1e-9)
    flows = res["flows"].set_index("link")["flow_k_per_yr"]
    assert flows.to_dict() == pytest.approx({"la": 10 / 1.4, "lb": 4 / 1.4})
    ratio = value(res["constraints"], family="user.relation")
    assert ratio["marginal_value"] == pytest.approx(100 / 1.4, rel=1e-9)


def test_a_cap_on_imports_into_a_site_selects_flows_by_destination(tmp_path):
    """Imports into market m capped at 40 kt/yr: one flow term with ``to_site`` m. A flow
    term could select by origin (``site``), link and commodity only, so imports from
    several origins needed a term per link; ``site`` m selects flows leaving m (none here:
    an error whose hint now points to ``to_site``).

    prod bought at a (100 USD/t, at most 50) and at c (120, at most 50), each shipped to m
    at 10 USD/t and sold there at 300 (at most 60). Without the cap: 50 from a (margin
    190) and 10 from c (170), 11.2 MUSD. With it, the 40 from a: 40 x 190 = 7,600 kUSD,
    7.6 MUSD; the cap worth 190 USD per t (a t more would come from a)."""
    tables = {
        "commodities": "commodity,unit,kind\nprod,t,product", "sites": "site\na\nc\nm",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\na,prod,100,50\n"
                    "c,prod,120,50",
        "links": "link,from_site,to_site,commodities,cost_usd_per_unit\nam,a,m,prod,10\n"
                 "cm,c,m,prod,10",
        "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\nm,prod,300,60",
        "constraints": "constraint,sense,rhs\nimports_m,<=,40",
        "constraint_terms": "constraint,term,quantity,coef,to_site\nimports_m,1,flow,1,m"}
    res = solve_case(write_case(tmp_path / "to", tables))
    assert res.objective == pytest.approx(7.6, rel=1e-9)
    flows = res["flows"].set_index("link")["flow_k_per_yr"]
    assert flows.to_dict() == pytest.approx({"am": 40.0, "cm": 0.0}, abs=1e-9)
    cap = value(res["constraints"], family="user.relation")
    assert cap["marginal_value"] == pytest.approx(190.0, rel=1e-9)
    with pytest.raises(InputError) as info:
        load_case(write_case(tmp_path / "from", {
            **tables, "constraint_terms": "constraint,term,quantity,coef,site\n"
                                          "imports_m,1,flow,1,m"}))
    (p,) = info.value.problems
    assert p.where == "constraint_terms.csv row 2, column site"
    assert p.hint.endswith("(a flow's site is where its link starts, from_site; to select "
                           "flows into a site, name it in to_site)")


def test_a_sum_of_activities_of_two_units_with_a_rhs_by_period(tmp_path):
    """Units u1 (makes x, 200 USD/t) and u2 (makes y, 150 USD/t) from feed at 100, 10 kt/yr
    each; 2 x activity(u1) + activity(u2) <= 16 in p1, 30 in p2 (constraints_by_period).
    p1: per unit of the bound u1 earns 100 / 2 = 50, u2 50 / 1: either way 16 * 50 / 1000
    = 0.8 MUSD, the bound worth 50 USD per unit; p2: 30 = 2 * 10 + 10 lets both run full,
    (10 * 100 + 10 * 50) / 1000 = 1.5. Objective 2.3 (two 1-year periods, rate 0)."""
    res = solve_case(write_case(tmp_path, {
        **FEED_PRODUCT,
        "commodities": "commodity,unit,kind\nfeed,t,raw\nx,t,product\ny,t,product",
        "modes": "mode,process\nmp,p\nmq,q",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nmp,feed,in,1\nmp,x,out,1\n"
                      "mq,feed,in,1\nmq,y,out,1",
        "units": "unit,site,process,capacity_k_per_yr\nu1,plant,p,10\nu2,plant,q,10",
        "markets": "site,commodity,price_usd_per_unit\nplant,x,200\nplant,y,150",
        "constraints": "constraint,sense,rhs\ncap,<=,16",
        "constraints_by_period": "constraint,period,rhs\ncap,p2,30",
        "constraint_terms": "constraint,term,quantity,coef,unit\n"
                            "cap,1,activity,2,u1\ncap,2,activity,1,u2"},
        periods=ONE_YEAR_PERIODS[:2]))
    assert res.objective == pytest.approx(2.3, rel=1e-9)
    cap = value(res["constraints"], family="user.relation", period="p1")
    assert (cap["activity"], cap["marginal_value"]) == pytest.approx((16.0, 50.0))


def test_a_yield_by_period_as_a_mode_per_period(tmp_path):
    """Yields have no by-period table: a yield of 0.8 in p1 and 0.9 in p2 is a mode per
    yield held at 0 outside its periods by a user constraint (``=``, rhs 0, ``periods``).
    10 kt/yr of feed at 100 USD/t, product at 200: (10 * (160 - 100) + 10 * (180 - 100))
    / 1000 = 1.4 MUSD over two 1-year periods (with both modes always open, 0.9 in both:
    1.6)."""
    res = solve_case(write_case(tmp_path, {
        **FEED_PRODUCT,
        "modes": "mode,process\nrun_p1,make\nrun_p2,make",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nrun_p1,feed,in,1\n"
                      "run_p1,product,out,0.8\nrun_p2,feed,in,1\nrun_p2,product,out,0.9",
        "units": "unit,site,process,capacity_k_per_yr\nu,plant,make,10",
        "markets": "site,commodity,price_usd_per_unit\nplant,product,200",
        "constraints": "constraint,sense,rhs,periods\nonly_p1,=,0,p2\nonly_p2,=,0,p1",
        "constraint_terms": "constraint,term,quantity,coef,mode\n"
                            "only_p1,1,activity,1,run_p1\nonly_p2,1,activity,1,run_p2"},
        periods=ONE_YEAR_PERIODS[:2]))
    assert res.objective == pytest.approx(1.4, rel=1e-9)
    act = res["activity"].set_index(["mode", "period"])["activity_k_per_yr"]
    assert act.to_dict() == pytest.approx({("run_p1", "p1"): 10, ("run_p1", "p2"): 0,
                                           ("run_p2", "p1"): 0, ("run_p2", "p2"): 10})


@pytest.mark.parametrize(("ramp_up", "price", "objective", "usable"), [
    ("", 300, 0.5, 10.0), ("0.5", 500, 0.5, 5.0), ("0.5", 300, 0.0, 0.0)])
def test_a_lead_time_longer_than_a_period_and_ramp_up_in_the_first_period_of_use(
        tmp_path, ramp_up, price, objective, usable):
    """1-year periods 2026-2028, rate 0; a build (300 USD per t/yr, life 2, lead time 2,
    up to 10 kt/yr) started in p1 is usable in 2028 and 2029; one started later would be
    usable after the horizon. Its annuity is 300 / 2 = 150 a year of use, one (2028) in
    the horizon, the other its residual value. Margin 200 (price 300): 10 * (200 - 150)
    / 1000 = 0.5 MUSD, capacity 10 in p3 only. With ramp-up 0.5 half of it is usable in
    2028: at margin 400 (price 500) 10 * (0.5 * 400 - 150) / 1000 = 0.5 with 5 usable;
    at margin 200, 0.5 * 200 < 150: not built."""
    res = solve_case(write_case(tmp_path, {
        **FEED_PRODUCT,
        "units": "unit,site,process,capacity_k_per_yr,capex_usd_per_unit_yr,"
                 f"max_new_k_per_yr,lifetime_yr,lead_time_yr,ramp_up\n"
                 f"u,plant,make,0,300,10,2,2,{ramp_up}",
        "markets": f"site,commodity,price_usd_per_unit\nplant,product,{price}"},
        periods=ONE_YEAR_PERIODS))
    assert res.objective == pytest.approx(objective, abs=1e-9)
    cap = res["capacity"].set_index("period")["total_k_per_yr"]
    assert cap.to_dict() == pytest.approx({"p1": 0, "p2": 0, "p3": usable})


@pytest.mark.parametrize(("min_new", "objective", "builds"), [
    ("5", 1.6, {"p1": 8.0, "p2": 0.0}), ("", 1.65, {"p1": 5.0, "p2": 3.0})])
def test_lumpy_builds_with_a_fixed_charge_against_growing_demand(tmp_path, min_new,
                                                                 objective, builds):
    """Sales capped at 5 kt/yr in p1 and 8 in p2 (1-year periods, rate 0), margin 200;
    builds at 100 USD per t/yr plus 0.2 MUSD each, life 2 (annuity 50 per t/yr and 0.1
    MUSD a year of use). Build 8 in p1: 2.6 - 0.8 - 0.2 = 1.6. Build 5 in p1 and 3 in p2:
    p1's 0.5 + 0.2 in both years, p2's 3 * 50 / 1000 + 0.1 in 2027 only (2028 is its
    residual): 2.6 - 0.7 - 0.25 = 1.65, the better; with a smallest build of 5, 5 + 5
    costs 2.6 - 0.7 - 0.35 = 1.55 < 1.6: build 8 once."""
    res = solve_case(write_case(tmp_path, {
        **FEED_PRODUCT,
        "units": "unit,site,process,capacity_k_per_yr,capex_usd_per_unit_yr,max_new_k_per_yr,"
                 f"min_new_k_per_yr,build_fixed_musd,lifetime_yr\nu,plant,make,0,100,10,"
                 f"{min_new},0.2,2",
        "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\nplant,product,300,5",
        "markets_by_period": "site,commodity,period,max_k_per_yr\nplant,product,p2,8"},
        periods=ONE_YEAR_PERIODS[:2]))
    assert res.objective == pytest.approx(objective, rel=1e-9)
    assert res["capacity"].set_index("period")["new_k_per_yr"].to_dict() == \
        pytest.approx(builds)


@pytest.mark.parametrize(("segments", "cap", "objective", "built"), [
    ("u,1,4,300\nu,2,6,100", "6", 0.1, 6.0), ("u,1,4,300\nu,2,6,100", "", 0.7, 10.0),
    ("u,1,4,100\nu,2,6,300", "", 0.6, 4.0)])
def test_concave_and_convex_segments_under_a_sales_cap(tmp_path, segments, cap, objective,
                                                       built):
    """Margin 250 per t/yr (life 1, one year, rate 0), up to 10 kt/yr. Falling unit cost
    (4 at 300, then 6 at 100): under a 6 kt/yr cap, building 6 costs 4 * 300 + 2 * 100 =
    1400 kUSD, objective 1.5 - 1.4 = 0.1 (an LP free to fill the cheap segment first
    would read 1.5 - 0.6 = 0.9); uncapped, 10 costs 1800: 2.5 - 1.8 = 0.7. Rising unit
    cost (4 at 100, then 6 at 300): only the first pays, 4 * 150 / 1000 = 0.6."""
    res = solve_case(write_case(tmp_path, {
        **FEED_PRODUCT,
        "units": "unit,site,process,capacity_k_per_yr,max_new_k_per_yr,lifetime_yr\n"
                 "u,plant,make,0,10,1",
        "capex_segments": "unit,segment,size_k_per_yr,capex_usd_per_unit_yr\n" + segments,
        "markets": f"site,commodity,price_usd_per_unit,max_k_per_yr\nplant,product,350,{cap}"}))
    assert res.objective == pytest.approx(objective, rel=1e-9)
    assert value(res["capacity"], name="u")["new_k_per_yr"] == pytest.approx(built)


@pytest.mark.parametrize(("segments", "warned"), [
    ("u,1,3,500\nu,2,7,1500", True), ("u,1,3,1500\nu,2,7,500", False)])
def test_each_periods_build_starts_the_capex_curve_from_0(tmp_path, segments, warned):
    """Review mip F2 (capG3): u (up to 10 kt/yr a period, life 10, no lead time) on the
    curve 3 kt/yr at 500 USD per t/yr, then 7 at 1500; product sold at a margin of 200
    USD/t, at most 3 kt/yr in p1 (2026-2030) and 6 in p2 (2031-2035), rate 0. Each
    period's build starts the curve from 0: 3 in p1 (1.5 MUSD, all of its 10 years in
    the horizon) and 3 more in p2 at 500 again (1.5, half charged in the horizon: 0.75);
    sales 3 x 200 x 5 + 6 x 200 x 5 = 9.0 MUSD: 9 - 1.5 - 0.75 = 6.75 (read as the unit's
    cumulative cost, the p2 build would pay 1500: 9 - 1.5 - 2.25 = 5.25). The README and
    case_format say so, and the run warns of a rising curve built in two periods. A
    falling curve (1500 then 500: economies of scale per build) is what the restart
    means, and is not warned of: builds of 3 cost 4.5 each, 9 - 4.5 - 2.25 = 2.25 against
    one build of 6 at 3 x 1500 + 3 x 500 = 6.0, in p1 (9 - 6 = 3.0) or in p2 (sales 6.0,
    half the 6.0 charged: 3.0), the better: built in one period."""
    case = api.load_case(write_case(tmp_path, {
        **FEED_PRODUCT,
        "units": "unit,site,process,capacity_k_per_yr,max_new_k_per_yr,lifetime_yr\n"
                 "u,plant,make,0,10,10",
        "capex_segments": "unit,segment,size_k_per_yr,capex_usd_per_unit_yr\n" + segments,
        "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\nplant,product,300,3",
        "markets_by_period": "site,commodity,period,max_k_per_yr\nplant,product,p2,6"},
        periods=[{"period": "p1", "start_year": 2026, "length_yr": 5},
                 {"period": "p2", "start_year": 2031, "length_yr": 5}]))
    res = api.run(case, save=False)
    assert res.objective == pytest.approx(6.75 if warned else 3.0, abs=1e-9)
    built = res["capacity"].set_index("period")["new_k_per_yr"]
    if warned:
        assert built.to_dict() == pytest.approx({"p1": 3.0, "p2": 3.0})
    else:
        assert sorted(built.round(9)) == pytest.approx([0.0, 6.0])
    assert res.manifest["warnings"] == ([
        "unit u is built in p1 and p2 on a capex curve that rises (its first 3 k units/yr "
        "at 500 USD per unit/yr, up to 1500 after): each period's build starts the curve "
        "from 0, so each buys its cheaper segments again (3 k units/yr in p1, 3 in p2); if "
        "the curve is the unit's cumulative cost (a debottleneck, then a new train), the "
        "later builds are priced too low (README, Cost curves and lumpy investment). To "
        "price them on the rest of the curve, let the unit be built in one period "
        "(units_by_period.csv, max_new_k_per_yr 0 in the others) or make the new train a "
        "unit of its own, and compare"] if warned else [])


def test_hard_demand_reached_only_over_two_lossy_links(tmp_path):
    """Oil bought at a (100 USD/t) reaches c only over ab (10 USD/t, 10 % lost) and bc
    (20 USD/t, 20 % lost); c takes 7.2 kt/yr exactly. bc carries 7.2 / 0.8 = 9, ab
    9 / 0.9 = 10 (flows enter a link before its loss); cost 10 * 100 + 10 * 10 + 9 * 20 =
    1280 kUSD = 1.28 MUSD. One more t at c costs ((100 + 10) / 0.9 + 20) / 0.8 = 177.78
    USD."""
    res = solve_case(write_case(tmp_path, {
        "commodities": "commodity,unit,kind\noil,t,product", "sites": "site\na\nb\nc",
        "supplies": "site,commodity,cost_usd_per_unit\na,oil,100",
        "links": "link,from_site,to_site,transport_mode,commodities,cost_usd_per_unit,"
                 "loss_fraction\nab,a,b,pipeline,oil,10,0.1\nbc,b,c,rail,oil,20,0.2",
        "demand": "site,commodity,amount_k_per_yr\nc,oil,7.2"}, objective="cost"))
    assert res.objective == pytest.approx(1.28, rel=1e-9)
    flows = res["flows"].set_index("link")
    assert flows["flow_k_per_yr"].to_dict() == pytest.approx({"ab": 10.0, "bc": 9.0})
    assert flows["delivered_k_per_yr"].to_dict() == pytest.approx({"ab": 9.0, "bc": 7.2})
    assert value(res["demand"], site="c")["marginal_cost_usd_per_unit"] == \
        pytest.approx((110 / 0.9 + 20) / 0.8, rel=1e-9)


def test_a_floor_in_tier_2_of_a_demand_curve(tmp_path):
    """Product at margin 200 in tier 1 (300 USD/t, cap 4) and -20 in tier 2 (80 USD/t, cap
    10, floor 6, hard): tier 1 is filled, tier 2 sells its floor at a loss,
    (4 * 200 - 6 * 20) / 1000 = 0.68 MUSD; the floor costs 20 USD per t."""
    res = solve_case(write_case(tmp_path, {
        **FEED_PRODUCT,
        "units": "unit,site,process,capacity_k_per_yr\nu,plant,make,20",
        "markets": "site,commodity,tier,price_usd_per_unit,max_k_per_yr,min_k_per_yr\n"
                   "plant,product,1,300,4,\nplant,product,2,80,10,6"}, demand_floors="hard"))
    assert res.objective == pytest.approx(0.68, rel=1e-9)
    sales = res["sales"].set_index("tier")
    assert sales["sales_k_per_yr"].to_dict() == pytest.approx({1: 4.0, 2: 6.0})
    assert sales.at[2, "floor_cost_usd_per_unit"] == pytest.approx(20.0)


def test_a_floor_on_rail_selects_flows_by_transport_mode(tmp_path):
    """A rail commitment: at least 30 kt/yr by rail, one flow term with
    ``transport_mode`` rail (it had to name every rail link). oil bought at a (0 USD/t,
    at most 100) goes to market m (100 USD/t) by a pipeline (10 USD/t) or by either of
    two rail links (20 and 25 USD/t). Without the floor all 100 kt go by pipeline:
    100 x 90 = 9.0 MUSD. With it, 30 kt by the cheaper rail link and 70 by pipeline:
    10,000 - 30 x 20 - 70 x 10 = 8,700 kUSD, 8.7 MUSD; loosening the floor by a t is
    worth 10 USD (it moves back to the pipeline), stated >= 0 as every constraint's. A
    sales term cannot be selected by transport_mode: an error naming the cell."""
    tables = {
        "commodities": "commodity,unit,kind\noil,t,product", "sites": "site\na\nm",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\na,oil,0,100",
        "markets": "site,commodity,price_usd_per_unit\nm,oil,100",
        "links": "link,from_site,to_site,transport_mode,commodities,cost_usd_per_unit\n"
                 "pipe,a,m,pipeline,oil,10\nrail1,a,m,rail,oil,20\nrail2,a,m,rail,oil,25",
        "constraints": "constraint,sense,rhs\nby_rail,>=,30",
        "constraint_terms": "constraint,term,quantity,coef,transport_mode\n"
                            "by_rail,1,flow,1,rail"}
    res = solve_case(write_case(tmp_path / "rail", tables))
    assert res.objective == pytest.approx(8.7, rel=1e-9)
    flows = res["flows"].set_index("link")["flow_k_per_yr"]
    assert flows.to_dict() == pytest.approx({"pipe": 70.0, "rail1": 30.0, "rail2": 0.0},
                                            abs=1e-9)
    floor = value(res["constraints"], family="user.relation")
    assert floor["marginal_value"] == pytest.approx(10.0, rel=1e-9)
    with pytest.raises(InputError) as info:
        load_case(write_case(tmp_path / "sales", {
            **tables, "constraint_terms": "constraint,term,quantity,coef,transport_mode\n"
                                          "by_rail,1,sales,1,rail"}))
    (p,) = info.value.problems
    assert p.where == "constraint_terms.csv row 2, column transport_mode"
    assert "a 'sales' term cannot be selected by transport_mode" in p.message
