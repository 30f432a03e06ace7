"""Comparison tables and project economics on the embedded case."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from chainopt import api
from chainopt.report import compare, economics
from chainopt.results import Results
from tests.toycase import FEED_TO_PRODUCT, write_case

SCEN = Path(__file__).resolve().parents[2] / "scenarios"


@pytest.fixture(scope="module")
def runs():
    return {"small_chain": api.run("small_chain", save=False),
            "small_port_expansion": api.run(SCEN / "small_port_expansion.yaml", save=False),
            "small_high_prices": api.run(SCEN / "small_high_prices.yaml", save=False)}


def test_irr_and_payback_by_hand():
    """Flows -100, +60, +60 at the starts of years 0, 1, 2:
    -100 + 60 x + 60 x^2 = 0 with x = 1/(1+i) -> x = (-60 + sqrt(60^2 + 4*60*100)) / 120
    = 0.884426 -> IRR = 1/x - 1 = 13.07 %.
    Payback: 100 paid at the start of year 0, 60 earned evenly in each year:
    after 1 year -40, the next 40 take 40/60 of year 1 -> 1.667 years. Spent over two
    years (50 at the starts of 2030 and 2031): -50 + 60 = +10 after 2030, so the second
    50 is recovered after 40/60 of 2031: 1.667 years from 2030 too."""
    x = (-60 + np.sqrt(60**2 + 4 * 60 * 100)) / 120
    assert economics.irr(np.array([-100.0, 60.0, 60.0])) == pytest.approx(1 / x - 1, abs=1e-9)
    op = pd.Series([60.0, 60.0, 60.0], index=[2030, 2031, 2032])
    assert economics.payback(op, pd.Series({2030: -100.0})) == pytest.approx(5 / 3)
    assert economics.payback(op, pd.Series({2030: -1000.0})) is None
    assert economics.payback(op, pd.Series({2030: -50.0, 2031: -50.0})) == pytest.approx(
        1 + 40 / 60)
    # a review's cost case: +2.78 earned in 2026, 4.94 spent at the start of 2027 (the
    # cumulative -2.16), a spend of 3.29 avoided at the start of 2028 (+1.13): back at
    # the start of 2028, 1 year after the first spend (it said 0)
    op = pd.Series([2.78, 0.0, 0.0, 0.5], index=[2026, 2027, 2028, 2029])
    assert economics.payback(op, pd.Series({2027: -4.94, 2028: 3.29})) == 1.0
    assert economics.irr(np.array([10.0, 5.0])) is None  # no sign change
    # borrowing-type (money received first), one root: the rate it pays, 1/(1 - 0.5) - 1
    assert economics.irr(np.array([10.0, -15.0])) == pytest.approx(0.5, abs=1e-9)


def test_payback_counts_from_the_projects_own_first_spend():
    """A review's case: debottle's own construction spends 5 in 2026, and its
    counterfactual builds another project in 2026 for 14 that the scenario builds only in
    2028: the incremental capex is +9 (a saving) in 2026 and -14 in 2028. With nothing
    earned in 2026-2027 and 10 a year from 2028, the cumulative flow is +9 from 2026,
    -5 at the start of 2028 and back after half of 2028: 2.5 years from 2026, when the
    project's construction starts (it said 0.5, from 2028, the first incremental spend).
    A start after the first spend changes nothing (1 year from 2026: -10, +10 a year)."""
    op = pd.Series([0.0, 0.0, 10.0, 10.0], index=[2026, 2027, 2028, 2029])
    capex = pd.Series({2026: 9.0, 2028: -14.0})
    assert economics.payback(op, capex, start=2026) == pytest.approx(2.5)
    assert economics.payback(op, capex) == pytest.approx(0.5)
    op = pd.Series([10.0, 10.0], index=[2026, 2027])
    assert economics.payback(op, pd.Series({2026: -10.0}), start=2027) == pytest.approx(1.0)


def test_irr_with_two_roots_reports_the_investment_type_one():
    """The reviewer's v5 equity flows as the owners' repayments after the horizon made
    them before review fin6 F2 (-15, -16.2, 12.8151, ..., 16.0689, then -3.5049 a
    year for six years after the horizon): NPV -> -inf as the rate -> -99 % (the late
    payments weigh most) and -> -15 as it -> 1000 %, so the old bisection on [-0.99, 10]
    returned None. NPV rises through 0 at -21.1 % and falls through 0 at 31.7 %: the
    largest falling root, 31.7 %, is the IRR. Flows -1, +2.3, -1.32 (roots 10 % and 20 %,
    NPV = -1.32 (x - 1/1.1)(x - 1/1.2) with x = 1/(1+i): rising through 0 at 10 %,
    falling at 20 %): 20 %. Both ends negative, the old bisection gave None. Each IRR's
    note says where the NPV is positive (review fin5 F6, fin7 F2): 'NPV > 0 only between
    -21.1 % and 31.7 %', 'NPV > 0 only between 10.0 % and 20.0 %'."""
    v5 = [-15.0, -16.2, 12.815114, 12.557435, 12.538343, 12.517723, 12.495454, 12.471403,
          12.445428, 12.417375, 16.068946] + [-3.504886] * 6
    r = economics.irr(np.array(v5))
    assert r == pytest.approx(0.317, abs=5e-4)
    assert economics.npv(np.array(v5), r) == pytest.approx(0.0, abs=1e-8)
    assert economics.npv(np.array(v5), -0.22) < 0 < economics.npv(np.array(v5), -0.20)
    assert economics.irr(np.array([-1.0, 2.3, -1.32])) == pytest.approx(0.2, abs=1e-9)
    assert economics.irr_note(np.array(v5)) == "NPV > 0 only between -21.1 % and 31.7 %"
    assert economics.irr_note(np.array([-1.0, 2.3, -1.32])) == (
        "NPV > 0 only between 10.0 % and 20.0 %")


def test_cashflow_kpis_reconcile_with_npv(runs):
    """sum_t w_t * cashflow_<category>_t = npv_<category>, and the net sums to the objective;
    the yearly stream (operating, overnight spend, residual value) is worth the objective."""
    for r in runs.values():
        per = economics.period_table(r).set_index("period")["weight"]
        cf = economics.cashflows(r)
        assert float((cf["net"] * per).sum()) == pytest.approx(r.objective, rel=1e-9)
        for cat in ("revenue", "capex", "fixed_om"):
            assert float((cf[cat] * per).sum()) == pytest.approx(r.kpi(f"npv_{cat}"), abs=1e-6)
        flows = economics.stream(r).sum(axis=1)
        assert economics.present_value(flows, economics.discounting(r)) == pytest.approx(
            r.objective, rel=1e-9)


def test_cashflows_table_by_hand(runs):
    """The ``cashflow_*`` KPIs as a table, by hand: one row per period of the run (in
    its order), one column per category in the objective's order (revenue before
    supply, net last), two rows of the same KPI and period added, a blank value 0, a
    period with no row 0, a KPI of a period the run does not have left out."""
    r = runs["small_chain"]
    kpis = pd.DataFrame({
        "kpi": ["objective", "cashflow_net", "cashflow_supply", "cashflow_revenue",
                "cashflow_revenue", "cashflow_supply", "cashflow_net", "cashflow_net"],
        "period": ["", "p2026", "p2031", "p2026", "p2026", "p2036", "p2031", "p2099"],
        "value": [1.0, 5.0, -2.0, 3.0, 4.0, np.nan, 6.0, 100.0], "unit": ""})
    cf = economics.cashflows(Results(tables={**r.tables, "kpis": kpis}, manifest=r.manifest))
    assert list(cf.index) == ["p2026", "p2031", "p2036"] and cf.index.name == "period"
    assert list(cf.columns) == ["revenue", "supply", "net"]
    assert cf.to_numpy().tolist() == [[7.0, 0.0, 5.0], [0.0, -2.0, 6.0], [0.0, 0.0, 0.0]]


def test_project_economics_of_the_port(runs):
    """Incremental NPV = objective difference. The port (25 MUSD, life 30, built 2026) is
    paid overnight in 2026; the yearly operating gain is the same in each year of a period,
    6.219 MUSD in 2026-2030, so the cumulative cash flow -25 + 4 x 6.219 = -0.124 after
    4 years and payback = 4 + 0.124/6.219 = 4.02 years. Its residual value at 2041 (15 of
    its 30 years left) is A * sum_{k<15} 1.1^-k with A = 25 / sum_{k<30} 1.1^-k."""
    base, scen = runs["small_chain"], runs["small_port_expansion"]
    summary, flows = economics.project_economics(base, scen)
    assert summary["projects"] == ["far_east_port"]
    assert summary["incremental_npv_musd"] == pytest.approx(scen.objective - base.objective)
    assert summary["stream_npv_musd"] == pytest.approx(summary["incremental_npv_musd"],
                                                       abs=1e-6)
    assert summary["overnight_capex_musd"] == pytest.approx(25.0)
    assert summary["build_year"] == 2026
    # its own spend (what its loan, depreciation and equipment follow): 25 in 2026
    own = economics.project_spend(base, scen)
    assert own.to_dict() == pytest.approx({2026: 25.0})
    f = flows.set_index("year")
    gain = f.loc[2026, "operating_musd"]
    assert f.loc[2026:2030, "operating_musd"].to_numpy() == pytest.approx(np.full(5, gain))
    assert summary["payback_yr"] == pytest.approx(4 + (25 - 4 * gain) / gain)
    a = 25 / sum(1.1 ** -k for k in range(30))
    assert f.loc[2041, "residual_musd"] == pytest.approx(a * sum(1.1 ** -k for k in range(15)),
                                                         rel=1e-9)
    assert economics.npv(flows["net_musd"].to_numpy(), summary["irr"]) == pytest.approx(
        0.0, abs=1e-6)
    assert (summary["irr"] > 0.1) == (summary["incremental_npv_musd"] > 0)
    print(f"port: dNPV {summary['incremental_npv_musd']:.2f} MUSD, IRR {summary['irr']:.2%}, "
          f"payback {summary['payback_yr']:.2f} yr")


def _plant(folder, price: float, tables: dict):
    """Feed at 100 USD/t made 1:1 into product sold at ``price`` at one plant, over two
    5-year periods (2026, 2031) at 10 %; ``tables``: units, projects and the like."""
    return write_case(folder, {
        "commodities": "commodity,unit,kind\nfeed,t,raw\nproduct,t,product",
        "sites": "site\nplant",
        "modes": "mode,process\nrun,make",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,feed,in,1\n"
                      "run,product,out,1",
        "supplies": "site,commodity,cost_usd_per_unit\nplant,feed,100",
        "markets": f"site,commodity,price_usd_per_unit\nplant,product,{price}", **tables},
        discount_rate=0.1, periods=[{"period": "p1", "start_year": 2026, "length_yr": 5},
                                    {"period": "p2", "start_year": 2031, "length_yr": 5}])


def test_capacity_built_is_what_construction_adds(tmp_path):
    """Two 5-year periods. Unit old (10 kt/yr) retires in 2029 and is extended; project pj
    (20 kt/yr, 3-year lead, ramp 0.5) is built from 2026; unit exp adds 5 in p1 only.
    Capacity built, by the period construction starts: pj 20 and exp 5 in p1, nothing
    else. The comparison took the change in total capacity: old's retirement and
    extension read as builds (the total falls and comes back), and pj's 20 was split
    across p1 and p2 by its in-period share and ramp-up."""
    folder = _plant(tmp_path, price=300, tables={
        "units": "unit,site,process,capacity_k_per_yr,retire_year,life_extension_yr,"
                 "life_extension_capex_usd_per_unit_yr,max_new_k_per_yr,"
                 "capex_usd_per_unit_yr,project\n"
                 "old,plant,make,10,2029,10,1,,,\nnew,plant,make,20,,,,,,pj\n"
                 "exp,plant,make,0,,,,5,1,",
        "units_by_period": "unit,period,max_new_k_per_yr\nexp,p2,0",
        "projects": "project,capex_musd,lead_time_yr,ramp_up,state,forced_period\n"
                    "pj,1,3,0.5,forced,p1"})
    res = api.run(folder, save=False)
    built = compare._built(res).set_index(["name", "period"])["built_k_per_yr"]
    assert built.to_dict() == pytest.approx({
        ("old", "p1"): 0.0, ("old", "p2"): 0.0, ("new", "p1"): 20.0, ("new", "p2"): 0.0,
        ("exp", "p1"): 5.0, ("exp", "p2"): 0.0})
    cap = res["capacity"].set_index(["name", "period"])
    assert cap.loc[("new", "p2"), "total_k_per_yr"] == pytest.approx(20.0)
    assert 0 < cap.loc[("new", "p1"), "total_k_per_yr"] < 20  # usable from 2029, ramping


def test_project_capex_and_the_change_in_spend(tmp_path):
    """Unit old (10 kt/yr, margin 100 USD/t) closes in 2031 unless extended for 10
    years at 100 USD per t/yr (1 MUSD, what the chain does without the project); project
    pj (capex 10 MUSD) retires old and brings 10 kt/yr of its own. Against that
    counterfactual pj costs 10 MUSD overnight but the chain spends 10 - 1 = 9 more: the
    economics said 'overnight capex' of the net spend (for MP4, 169 where its own capex
    is 240)."""
    def case(state: str):
        return _plant(tmp_path / state, price=200, tables={
            "units": "unit,site,process,capacity_k_per_yr,retire_year,life_extension_yr,"
                     "life_extension_capex_usd_per_unit_yr,project\n"
                     "old,plant,make,10,2031,10,100,\nnew,plant,make,10,,,,pj",
            "projects": "project,capex_musd,lifetime_yr,retires_units,state,forced_period\n"
                        f"pj,10,25,old,{state},{'p1' if state == 'forced' else ''}"})

    without, with_pj = api.run(case("off"), save=False), api.run(case("forced"), save=False)
    ext = without["investments"]
    assert ext.loc[ext["kind"] == "extension", "overnight_musd"].sum() == pytest.approx(1.0)
    summary, flows = economics.project_economics(without, with_pj)
    assert summary["projects"] == ["pj"]
    assert summary["overnight_capex_musd"] == pytest.approx(10.0)
    assert summary["capex_change_musd"] == pytest.approx(9.0)
    assert -flows["capex_musd"].sum() == pytest.approx(9.0)


def test_a_cost_case_compares_in_its_own_terms(tmp_path):
    """small_chain as a cost case: the objective is the total cost (minus the net value)
    and its parts are the cost_* rows, which add up to it. The comparison listed the
    npv_* parts (adding up to +7,784.9) under an objective of -7,784.9."""
    cost = tmp_path / "small_cost.yaml"
    cost.write_text("name: small_cost\nbase: small_chain\nchanges:\n"
                    "  - case: {objective: cost}\n")
    port = tmp_path / "small_cost_port.yaml"
    port.write_text("name: small_cost_port\nbase: small_cost.yaml\nchanges:\n"
                    "  - project: far_east_port\n    state: optional\n")
    runs = {"small_cost": api.run(cost, save=False), "small_cost_port": api.run(port, save=False)}
    obj = compare.compare(runs, api.counterfactuals(runs))["objective"].set_index(
        "kpi (MUSD, NPV)")
    parts = obj.drop(index="objective")
    assert all(k.startswith("cost_") for k in parts.index)
    for n, r in runs.items():
        assert obj.loc["objective", n] == pytest.approx(-r.net_value)
        assert parts[n].sum() == pytest.approx(obj.loc["objective", n], rel=1e-9)


def test_compare_sections_and_deltas(runs, tmp_path):
    s = compare.compare(runs, api.counterfactuals(runs))
    names = list(runs)
    for key in ("objective", "cashflow", "production", "capacity_built", "utilisation",
                "exports", "emissions", "shadow_prices", "economics", "project_cashflows",
                "chain_changes"):
        assert key in s, key
    obj = s["objective"].set_index("kpi (MUSD, NPV)")
    assert list(obj.columns) == [*names, "Δ small_port_expansion", "Δ small_high_prices"]
    assert obj.loc["objective", "Δ small_port_expansion"] == pytest.approx(
        runs["small_port_expansion"].objective - runs["small_chain"].objective)
    built = s["capacity_built"]
    port = built[(built["name"] == "fe_port_sea") & (built["period"] == "p2026")].iloc[0]
    assert port["small_chain"] == 0 and port["small_port_expansion"] == pytest.approx(800.0)
    econ = s["economics"].set_index("scenario")
    port = econ.loc["small_port_expansion"]
    assert port["effect"] == "far_east_port"
    assert port["against"] == "small_port_expansion without far_east_port"
    assert port["incremental NPV (MUSD)"] == pytest.approx(
        runs["small_port_expansion"].objective - runs["small_chain"].objective)
    assert econ.loc["small_high_prices", "effect"] == "all changes"
    ex = s["exports"]
    assert {"site", "commodity", "period", *names}.issubset(ex.columns)
    hp = s["emissions"]
    assert (hp["Δ small_high_prices"] == hp["small_high_prices"] - hp["small_chain"]).all()
    sp = s["shadow_prices"]
    assert len(sp) <= compare.TOP
    ch = s["chain_changes"]
    port_rows = ch[ch["scenario"] == "small_port_expansion"]
    assert "fe_port_sea / hdpe" in set(port_rows["item"])
    folder = compare.save(s, names, tmp_path / "compare-x")
    assert (folder / "comparison.md").read_text().startswith("# Comparison: small_chain")
    assert (folder / "economics.csv").is_file()
    assert not list(tmp_path.glob(".compare-x.*"))  # no temporary folder left behind


def test_cashflow_kpis_reconcile_on_lumpy_investment_example():
    """The MIP example (fixed charges, capex segments, minimum sizes) too."""
    root = Path(__file__).resolve().parents[2]
    r = api.run(root / "examples" / "petchem_investment", save=False)
    per = economics.period_table(r).set_index("period")["weight"]
    cf = economics.cashflows(r)
    assert float((cf["net"] * per).sum()) == pytest.approx(r.objective, rel=1e-9)
    assert float((cf["capex"] * per).sum()) == pytest.approx(r.kpi("npv_capex"), abs=1e-6)


def test_saved_comparison_tables_write_noise_as_zero(tmp_path):
    """A scenario that builds nothing has its base's plan; solved apart, its objective
    157,770.8471 MUSD came out 2.9e-11 MUSD off the base's, and ``objective.csv`` wrote
    the difference as -2.910383046e-11 (its fixed O&M, -1.364242053e-12), a number
    printed where 0 belongs. Saved as the results tables are: values below 1e-10 in
    magnitude are 0, and -0 is 0; the rest keeps 10 significant digits (157770.8471,
    -120.348689)."""
    base = 157770.84714143575
    noisy = base - 2.9103830456733704e-11
    table = pd.DataFrame({"kpi (MUSD, NPV)": ["objective", "npv_fixed_om", "zero"],
                          "base": [base, -26743.9, 0.0],
                          "same": [noisy, -26743.9 - 1.3642420526593924e-12, -0.0],
                          "mp2": [base - 120.348689, -26743.9, 0.0]})
    table["Δ same"] = table["same"] - table["base"]
    table["Δ mp2"] = table["mp2"] - table["base"]
    folder = compare.save({"objective": table}, ["base", "same", "mp2"],
                          tmp_path / "compare-x")
    lines = (folder / "objective.csv").read_text().splitlines()
    assert lines[1].split(",")[-2:] == ["0", "-120.348689"], lines
    assert lines[2].split(",")[-2:] == ["0", "0"], lines
    assert lines[3].split(",")[1:] == ["0"] * 5, lines


def test_a_delta_within_the_saved_rounding_is_zero():
    """A base re-used from its folder holds 15,704.22803 (10 significant digits) where the
    same plan solved fresh holds 15,704.228031483: the difference, 1.483e-06, is below
    1e-9 x 15,704.23 = 1.57e-05, the rounding of two saved numbers, so the Δ is 0 (the
    cash-flow CSV wrote -1.483460437e-06 for every scenario identical to the base). A
    change of 0.001 on 100 (1e-5 relative) is kept; a value missing in a period is NaN."""
    run = pd.Series([15704.228031483, 100.001, np.nan, -5.0])
    base = pd.Series([15704.22803, 100.0, 1.0, -5.0 - 4e-9])
    d = compare.delta(run, base)
    assert d.iloc[0] == 0.0 and d.iloc[3] == 0.0
    assert d.iloc[1] == pytest.approx(0.001, rel=1e-6)
    assert np.isnan(d.iloc[2])


def _kpi_run(sense: str, revenue: float, supply: float) -> object:
    """A run's KPI rows as chainopt writes them: npv_ parts adding up to the net value,
    and in a cost case also cost_ parts (minus them) and an objective = the total cost."""
    from chainopt.results import Results

    net = revenue + supply
    rows = [("npv_revenue", revenue), ("npv_supply", supply)]
    if sense == "cost":
        rows += [("objective", -net), ("cost_revenue", -revenue), ("cost_supply", -supply)]
    else:
        rows += [("objective", net)]
    kpis = pd.DataFrame({"kpi": [k for k, _ in rows], "period": None,
                         "value": [v for _, v in rows], "unit": "MUSD"})
    return Results(tables={"kpis": kpis}, manifest={
        "objective": -net if sense == "cost" else net, "objective_sense": sense,
        "periods": []})


def test_a_cost_case_against_a_profit_case_is_stated_in_the_base_sense():
    """The same chain (revenue 100, supply -60 MUSD NPV: net value 40, total cost -40)
    run as a profit case and as a cost case: every run is stated as the base states it.
    Base profit: objective 40 and 40, Δ 0 (it was 40 against -40: Δ -80); npv_revenue
    100 and 100. Base cost: objective -40 and -40, Δ 0; cost_supply 60 and 60 (the
    profit run had no cost_ rows: 0, Δ -60). A cost case whose supply costs 10 more
    (net 30, total cost -30) against a cost base: Δ +10, its cost_supply 70."""
    order: dict[str, int] = {}
    profit, cost = _kpi_run("profit", 100.0, -60.0), _kpi_run("cost", 100.0, -60.0)
    obj = compare._money_sections({"p": profit, "c": cost}, order)["objective"].set_index(
        "kpi (MUSD, NPV)")
    assert obj.loc["objective", ["p", "c", "Δ c"]].tolist() == pytest.approx([40, 40, 0])
    assert obj.loc["npv_revenue", ["p", "c", "Δ c"]].tolist() == pytest.approx([100, 100, 0])
    assert not any(i.startswith("cost_") for i in obj.index)
    obj = compare._money_sections({"c": cost, "p": profit}, order)["objective"].set_index(
        "kpi (MUSD, NPV)")
    assert obj.loc["objective", ["c", "p", "Δ p"]].tolist() == pytest.approx([-40, -40, 0])
    assert obj.loc["cost_supply", ["c", "p", "Δ p"]].tolist() == pytest.approx([60, 60, 0])
    assert not any(i.startswith("npv_") for i in obj.index)
    dearer = _kpi_run("cost", 100.0, -70.0)
    obj = compare._money_sections({"c": cost, "d": dearer}, order)["objective"].set_index(
        "kpi (MUSD, NPV)")
    assert obj.loc["objective", "Δ d"] == pytest.approx(10.0)
    assert obj.loc["cost_supply", "d"] == pytest.approx(70.0)


# -- commodity values: only where the commodity moves ---------------------------------------

def _value_run(values: dict[tuple[str, str], float], bought: list[str] = (),
               shipped_in: list[str] = ()) -> SimpleNamespace:
    """A run of one period p1: ``balances`` with ``values`` ((site, commodity) -> USD per
    unit); hdpe bought at each site of ``bought`` (purchases, 10 k t/yr) and shipped to
    each site of ``shipped_in`` (flows, 5 k t/yr delivered from a site 'x')."""
    bal = pd.DataFrame([{"site": s, "commodity": c, "period": "p1",
                         "shadow_price_usd_per_unit": v} for (s, c), v in values.items()])
    buy = pd.DataFrame({"site": list(bought), "commodity": "hdpe", "period": "p1",
                        "purchase_k_per_yr": 10.0})
    ship = pd.DataFrame({"link": [f"x_{s}" for s in shipped_in], "commodity": "hdpe",
                         "period": "p1", "from_site": "x", "to_site": list(shipped_in),
                         "flow_k_per_yr": 5.0, "delivered_k_per_yr": 5.0})
    sales = pd.DataFrame({"site": ["e"], "commodity": ["hdpe"], "period": ["p1"],
                          "sales_k_per_yr": [0.0]})
    kpis = pd.DataFrame({"kpi": pd.Series(dtype=str), "value": pd.Series(dtype=float),
                         "period": pd.Series(dtype=str)})
    return SimpleNamespace(manifest={"periods": ["p1"]}, tables={
        "balances": bal, "purchases": buy, "flows": ship, "sales": sales, "kpis": kpis})


def test_value_changes_count_only_where_the_commodity_moves():
    """The default case's MP3 comparison ranked first 'amur, ldpe: -173.9 -> 1,061' though
    no LDPE is made, bought, sold or shipped at Amur in either run: a degenerate dual,
    not an effect of the project. Hand case, period p1, three runs (base, r1, r2):

    * hdpe at a: bought in every run; 900 -> 950 (r1) and 930 (r2): Δ +50 and +30.
    * ldpe at b: nothing moves in any run; -174 -> 1,061 (r1): Δ 1,235, not a change.
    * hdpe at c: shipped in in r1 only; 100 -> 700 (r1): one-sided, not ranked.
    * hdpe at d: bought in base and r2, not in r1; 500 -> 9,000 (r1) and 520 (r2):
      r1's value is blank (a bound) and so is its Δ; Δ r2 = +20.
    * hdpe at e: bought in every run, 1,000 everywhere: no change.

    Ranked by the largest Δ where the commodity moves in both: a (50), then d (20)."""
    runs = {"base": _value_run({("a", "hdpe"): 900, ("b", "ldpe"): -174, ("c", "hdpe"): 100,
                                ("d", "hdpe"): 500, ("e", "hdpe"): 1000},
                               bought=["a", "d", "e"]),
            "r1": _value_run({("a", "hdpe"): 950, ("b", "ldpe"): 1061, ("c", "hdpe"): 700,
                              ("d", "hdpe"): 9000, ("e", "hdpe"): 1000},
                             bought=["a", "e"], shipped_in=["c"]),
            "r2": _value_run({("a", "hdpe"): 930, ("b", "ldpe"): -174, ("c", "hdpe"): 100,
                              ("d", "hdpe"): 520, ("e", "hdpe"): 1000},
                             bought=["a", "d", "e"])}
    t = compare._market_sections(runs, "base", {"p1": 0}, top=10)["shadow_prices"]
    assert list(zip(t["site"], t["commodity"], strict=True)) == [("a", "hdpe"), ("d", "hdpe")]
    a, d = t.iloc[0], t.iloc[1]
    assert (a["base"], a["r1"], a["r2"], a["Δ r1"], a["Δ r2"]) == (900, 950, 930, 50, 30)
    assert (d["base"], d["r2"], d["Δ r2"]) == (500, 520, 20)
    assert np.isnan(d["r1"]) and np.isnan(d["Δ r1"])


def test_sales_production_and_emissions_rows_carry_their_unit():
    """The comparison's sales table put hdpe (t) and sales gas (1000m3) in one column
    under 'k units/yr', with nothing to tell them apart. Each row now has its unit: the
    sales by the run's commodities table (hdpe in t -> 'k t/yr', sales_gas in 1000m3 ->
    'k 1000m3/yr'), production and emissions by their KPI's own unit; a folder written
    before the commodities table leaves it blank."""
    base = _value_run({("a", "hdpe"): 900}, bought=["a"])
    base.tables["sales"] = pd.DataFrame({"site": ["e", "e"], "commodity": ["hdpe",
                                                                          "sales_gas"],
                                         "period": ["p1", "p1"],
                                         "sales_k_per_yr": [3.0, 7.0]})
    base.tables["commodities"] = pd.DataFrame({"commodity": ["hdpe", "sales_gas"],
                                               "unit": ["t", "1000m3"]})
    base.tables["kpis"] = pd.DataFrame({"kpi": ["emissions_co2", "production_hdpe"],
                                        "period": ["p1", "p1"], "value": [2.0, 3.0],
                                        "unit": ["k t/yr", "k t/yr"]})
    old = SimpleNamespace(manifest=base.manifest, tables={
        k: v for k, v in base.tables.items() if k != "commodities"})
    t = compare._market_sections({"base": base, "old": old}, "base", {"p1": 0}, top=10)
    sales = t["exports"].set_index("commodity")
    assert sales.loc["hdpe", "unit"] == "k t/yr" and sales.loc["hdpe", "base"] == 3.0
    assert sales.loc["sales_gas", "unit"] == "k 1000m3/yr"
    assert t["emissions"]["unit"].tolist() == ["k t/yr"]
    only_old = compare._market_sections({"old": old}, "old", {"p1": 0}, top=10)
    assert only_old["exports"]["unit"].tolist() == ["", ""]


def test_constraint_rents_are_numbers_when_the_counterfactual_binds_nothing(tmp_path):
    """The base has no unit: nothing runs, no constraint binds, its constraints table is
    empty (text columns). Project x (0.5 MUSD, unit ux 5 kt/yr, life 1, no lead time) makes
    product at a margin of 400 - 100 = 300 USD/t, sales uncapped: ux's capacity binds with
    a value of 300 USD/t, a rent of 300 x 5 kt / 1000 = 1.5 MUSD/yr (0 without x). The
    merge with the empty table kept the values text, written to project_constraints.csv as
    Python's repr and shown so by the one-pager (the review's 0.9999999999999999); as
    numbers they read as the terminal writes them: 300.0 and 1.500."""
    import yaml

    from chainopt.report.html import compare_report_html

    case = write_case(tmp_path / "case", {
        **FEED_TO_PRODUCT,
        "units": "unit,site,process,capacity_k_per_yr,project\nux,plant,make,5,x",
        "projects": "project,capex_musd,earliest_period,lifetime_yr,lead_time_yr,"
                    "all_or_nothing,state\nx,0.5,p1,1,0,true,off"})
    scen = tmp_path / "x.yaml"
    scen.write_text(yaml.safe_dump({"base": str(case), "changes": [
        {"project": "x", "state": "optional"}]}))
    sections, _, _ = api.compare([str(case), str(scen)], out=tmp_path / "res")
    pc = sections["project_constraints"]
    for col in ("value without (USD/unit)", "value with (USD/unit)",
                "rent change (MUSD/yr)"):
        assert pd.api.types.is_float_dtype(pc[col]), col
    row = pc.set_index("constraint").loc["capacity of unit ux"]
    assert row["value with (USD/unit)"] == pytest.approx(300.0)
    assert row["rent change (MUSD/yr)"] == pytest.approx(1.5)
    page = compare_report_html(next((tmp_path / "res").glob("compare-*")))
    onepager = page[page.index('class="onepager"'):]
    assert "<td>300.0</td><td>1.500</td>" in onepager


def _with_optional(tmp_path: Path, case: Path, name: str, projects: list[str],
                   changes: list[dict] = ()) -> dict:
    """The sections of ``case`` compared with scenario ``name``: ``projects`` made
    optional, then ``changes``."""
    import yaml

    scen = tmp_path / f"{name}.yaml"
    scen.write_text(yaml.safe_dump({"name": name, "base": str(case), "changes": [
        *({"project": j, "state": "optional"} for j in projects), *changes]}))
    return api.compare([str(case), str(scen)], out=tmp_path / "res")[0]


def _a_and_b_requiring_it(tmp_path: Path) -> Path:
    """One year (2026), rate 0, product 400, feed 100 (FEED_TO_PRODUCT): project a (unit
    ua, make, 5 kt/yr, capex 1.0) and b (ub, the same, capex 0.5, requires a), both off;
    the case folder."""
    return write_case(tmp_path / "case", {
        **FEED_TO_PRODUCT,
        "units": "unit,site,process,capacity_k_per_yr,project\nua,plant,make,5,a\n"
                 "ub,plant,make,5,b",
        "projects": "project,capex_musd,earliest_period,lifetime_yr,lead_time_yr,"
                    "all_or_nothing,state,requires\na,1.0,p1,1,0,true,off,\n"
                    "b,0.5,p1,1,0,true,off,a"})


def test_a_required_projects_value_says_it_includes_the_one_requiring_it(tmp_path):
    """One year (2026), rate 0; product sells at 400, feed costs 100 (margin 300 USD/t,
    sales uncapped). Project a: unit ua (make, 5 kt/yr), capex 1.0; project b: unit ub
    (make, 5 kt/yr), capex 0.5, requires a. Both optional: both built, the chain gains
    2 x 5 x 0.3 - 1.0 - 0.5 = 1.5 MUSD. b against 'without b' (a kept): 1.5 - 0.5 = 1.0.
    a against 'without a' (and so without b): all of it, 1.5 (overnight capex 1.5). The
    two values sum to 2.5 against a gain of 1.5: a's holds b's. The summary now says
    so, 'a 1.500 (includes b), b 1.000', as economics' new includes column ('b' for a,
    '' for b) and comparison.md's summary do."""

    case = _a_and_b_requiring_it(tmp_path)
    sections = _with_optional(tmp_path, case, "ab", ["a", "b"])
    eco = sections["economics"].set_index("effect")
    assert eco.loc["a", "incremental NPV (MUSD)"] == pytest.approx(1.5, abs=1e-6)
    assert eco.loc["b", "incremental NPV (MUSD)"] == pytest.approx(1.0, abs=1e-6)
    assert eco.loc["a", "overnight capex (MUSD)"] == pytest.approx(1.5)
    assert list(eco["includes"]) == ["b", ""]
    # the against label says what a's counterfactual lacks too (review cmp F10)
    assert list(eco["against"]) == ["ab without a (and b, built only with it)",
                                    "ab without b"]
    line = compare.summary(sections, ["toy", "ab"]).set_index("scenario").loc["ab"]
    assert line["incremental NPV (MUSD)"] == "a 1.500 (includes b), b 1.000"
    folder = next((tmp_path / "res").glob("compare-*"))
    assert "a 1.500 (includes b), b 1.000" in (folder / "comparison.md").read_text()
    from chainopt.report.html import compare_report_html

    page = compare_report_html(folder)  # the economics cards read from the saved CSVs
    assert "<h3>a (includes b) · ab</h3>" in page and "<h3>b · ab</h3>" in page


def test_a_competing_projects_against_names_what_is_built_instead(tmp_path):
    """One year (2026), rate 0; product 400, feed 100 (margin 300 USD/t), sales capped at
    5 kt/yr. Project a: unit ua (make, 5 kt/yr), capex 1.0; project c: unit uc (the
    same), capex 0.8. Both optional: the plan builds c (5 x 0.3 - 0.8 = 0.7 MUSD); without
    c it builds a (1.5 - 1.0 = 0.5), so c is worth 0.7 - 0.5 = 0.2 over building a, not
    0.7 over doing nothing. Its against read only 'cc without c' (review cmp F10); now
    'cc without c (builds a instead)'."""

    case = write_case(tmp_path / "case", {
        **FEED_TO_PRODUCT,
        "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\nplant,product,400,5",
        "units": "unit,site,process,capacity_k_per_yr,project\nua,plant,make,5,a\n"
                 "uc,plant,make,5,c",
        "projects": "project,capex_musd,earliest_period,lifetime_yr,lead_time_yr,"
                    "all_or_nothing,state\na,1.0,p1,1,0,true,off\nc,0.8,p1,1,0,true,off"})
    sections = _with_optional(tmp_path, case, "cc", ["a", "c"])
    eco = sections["economics"].set_index("effect")
    assert eco.loc["c", "incremental NPV (MUSD)"] == pytest.approx(0.2, abs=1e-6)
    assert eco.loc["c", "against"] == "cc without c (builds a instead)"
    assert eco.loc["a", "built"] == "not built"


def test_editing_only_the_row_of_a_project_switched_on_gives_no_inputs_line(tmp_path):
    """The case of test_a_required_projects_value_says_it_includes_the_one_requiring_it
    (a: capex 1.0, b: capex 0.5 requires a, both off in the base), and a scenario that
    switches both on and sets b's capex to 0.4. With its projects off it is the base (an
    off project's row reaches no plan), yet compare solved it and wrote an 'inputs' line
    of 0 (review cmp F6). Now no inputs line: only a, against neither (the whole gain,
    2 x 5 x 0.3 - 1.0 - 0.4 = 1.6), and b, against a alone (1.6 - (1.5 - 1.0) = 1.1)."""

    case = _a_and_b_requiring_it(tmp_path)
    sections = _with_optional(tmp_path, case, "ab", ["a", "b"], [
        {"table": "projects", "where": {"project": "b"}, "set": {"capex_musd": "0.4"}}])
    eco = sections["economics"].set_index("effect")
    assert list(eco.index) == ["a", "b"]
    assert eco.loc["a", "incremental NPV (MUSD)"] == pytest.approx(1.6, abs=1e-6)
    assert eco.loc["b", "incremental NPV (MUSD)"] == pytest.approx(1.1, abs=1e-6)


@pytest.mark.parametrize("lead_b, warned", [(2, True), (5, False)])
def test_a_value_holding_a_project_starting_later_in_the_period_is_warned(tmp_path, lead_b,
                                                                          warned):
    """Periods p1 (2026-2030) and p2 (2031-2035), rate 10 %; product 400, feed 100.
    Project a (unit ua, 5 kt/yr, capex 1.0, lead 1, life 12) and b (ub, the same, capex
    0.5, life 10, requires a), both optional, both built in p1: a comes into use in 2027.
    With b's lead 2 it comes into use in 2028, inside p1 too: a's value includes b's,
    and their joint stream's yearly split in p1 is approximate (the review's 11.708 in
    2027 for 11.5 exact), said nowhere (review cmp F5). Now a warning names a (not b).
    With b's lead 5 it comes into use in 2031, p2's first year: each period holds one
    first use, no warning."""

    case = write_case(tmp_path / "case", {
        **FEED_TO_PRODUCT,
        "units": "unit,site,process,capacity_k_per_yr,project\nua,plant,make,5,a\n"
                 "ub,plant,make,5,b",
        "projects": "project,capex_musd,earliest_period,lifetime_yr,lead_time_yr,"
                    "all_or_nothing,state,requires\na,1.0,p1,12,1,true,off,\n"
                    f"b,0.5,p1,10,{lead_b},true,off,a"},
        discount_rate=0.1, periods=[{"period": "p1", "start_year": 2026, "length_yr": 5},
                                    {"period": "p2", "start_year": 2031, "length_yr": 5}])
    sections = _with_optional(tmp_path, case, "ab", ["a", "b"])
    eco = sections["economics"].set_index("effect")
    assert eco.loc["a", "first use"] == "2027"
    assert eco.loc["b", "first use"] == ("2028" if warned else "2031")
    marks = compare.project_warnings(sections)
    if warned:
        assert marks[("ab", "a")] == [
            "project a's value includes b, which comes into use in 2028 (a: 2027) inside "
            "the same period: the yearly split of their joint stream (IRR, payback, tax, "
            "the parties' flows) is approximate; the NPV is exact"]
        assert compare.warning_mark(marks[("ab", "a")]) == (
            "yearly cash flows approximate: see warnings")
    else:
        assert ("ab", "a") not in marks
    assert ("ab", "b") not in marks


def test_a_split_period_sorts_in_time_between_the_bases_periods(tmp_path):
    """small_chain has p2026, p2031, p2036 (5 years each); a scenario splitting p2026 at
    2029 has p2026 (2026-2028), p2029 (2029-2030), p2031, p2036. Compared with the base,
    the by-period tables list p2026, p2029, p2031, p2036: by start year (2026 < 2029 <
    2031 < 2036), as the years run. They put p2029, which the base lacks, after p2036
    (the base's order alone; the MP2 scenarios' p2029 and p2030 came after p2046).

    The base has no p2029, but its p2026 (2026-2030) holds it, and an average-year plan
    is the same in every year of a period: its p2026 values stand in its p2029 cells of
    the per-year tables (cash flow, production, sales, emissions, utilisation), where
    they were blank (review fin4 F3), so the split, which changes nothing, is Δ 0 there;
    what is built is built once: the base's capacity_built has no p2029 row of its own."""
    split = tmp_path / "split.yaml"
    split.write_text("description: small_chain, p2026 split at 2029\nbase: small_chain\n"
                     "changes:\n  - {split: p2026, at: 2029}\n")
    runs = {"small_chain": api.run("small_chain", save=False),
            "split": api.run(split, save=False)}
    s = compare.compare(runs)
    assert list(s["cashflow"]["period"]) == ["p2026", "p2029", "p2031", "p2036"]
    cf = s["cashflow"].set_index("period")
    assert cf.loc["p2029", "small_chain"] == cf.loc["p2026", "small_chain"]
    assert cf.loc["p2029", "Δ split"] == pytest.approx(0.0, abs=1e-6)
    made = s["production"]
    first = made[made["product"] == made["product"].iloc[0]]
    assert list(first["period"]) == ["p2026", "p2029", "p2031", "p2036"]
    for name in ("production", "exports", "emissions", "utilisation"):
        table = s[name]
        if len(table):
            at = table[table["period"] == "p2029"]
            assert len(at) and at["small_chain"].notna().all(), name
            assert at["Δ split"].abs().max() == pytest.approx(0.0, abs=1e-6), name
    built = s["capacity_built"]
    assert built[built["period"] == "p2029"]["small_chain"].isna().all()


def _three_years(tmp_path: Path, units: str, **tables: str) -> Path:
    """FEED_TO_PRODUCT (feed 100, product 400 USD/t, sales uncapped: 300 USD/t of margin)
    with ``units`` and ``tables``, one period p1 of 2026-2028, rate 0 (every year weighs
    1, a period's value is the plain mean of its years); the case folder."""
    return write_case(tmp_path / "case", {**FEED_TO_PRODUCT, "units": units, **tables},
                      periods=[{"period": "p1", "start_year": 2026, "length_yr": 3}])


def _scenario(tmp_path: Path, name: str, case: Path, changes: list[dict]):
    """``case`` with ``changes``, solved (not saved)."""
    import yaml

    scen = tmp_path / f"{name}.yaml"
    scen.write_text(yaml.safe_dump({"name": name, "base": str(case), "changes": changes}))
    return api.run(scen, save=False)


def test_splitting_a_period_alone_changes_no_constraint_rent(tmp_path):
    """Unit u0 (10 kt/yr) makes product 1:1 from feed bought at 100 and sold at 400 USD/t,
    sales uncapped: it runs full every year, its capacity binds at 400 - 100 = 300 USD/t,
    a rent of 300 x 10 / 1000 = 3 MUSD/yr. The scenario only splits p1 (2026-2028) at
    2027: p1 is 2026, p2027 2027-2028, the same plan, u0 binding at 300 in both. Against
    the base, whose p1 holds 2027-2028 and is the same in every year (nothing comes into
    use or retires in it), u0's value is 300 in p2027 with and without the split, a rent
    change of 300 x 10 / 1e3 - 300 x 10 / 1e3 = 0: no row. The constraints were merged on
    the period and on the key (unit=u0, period=p2027), the base's p2027 absent and read
    as 0: a false rent change of +3 MUSD/yr (review split F1)."""
    case = _three_years(tmp_path, "unit,site,process,capacity_k_per_yr\nu0,plant,make,10")
    runs = {"toy": api.run(case, save=False),
            "split": _scenario(tmp_path, "split", case, [{"split": "p1", "at": 2027}])}
    assert runs["split"].manifest["periods"] == ["p1", "p2027"]
    s = compare.compare(runs)
    assert s["project_constraints"].empty, s["project_constraints"]
    # the economics line is the split's against the base: worth 0
    eco = s["economics"].set_index("effect")
    assert eco.loc["all changes", "incremental NPV (MUSD)"] == pytest.approx(0.0, abs=1e-9)
    cc = economics.constraint_changes(runs["toy"], runs["split"])
    assert cc.empty, cc


def test_a_period_whose_years_differ_is_not_copied_into_the_parts_split_off_it(tmp_path):
    """p1 is 2026-2028, rate 0; unit u0 (10 kt/yr) makes product 1:1 at a margin of
    300 USD/t (sales uncapped, so it runs full). Project x (unit ux, 6 kt/yr, capex 0.6
    MUSD, lead time 1, life 10) is forced in p1: it comes into use in 2027, inside p1.

    * ``split`` (the base): x forced, p1 split at 2027: p1 = 2026 makes 10 kt/yr (u0),
      p2027 = 2027-2028 makes 10 + 6 = 16.
    * ``even``: no x, p1 whole: 10 in every year of 2026-2028, so its p1 is its value in
      2026 and in 2027-2028 alike: row p1 10 (Δ 0), row p2027 10 (Δ 10 - 16 = -6).
    * ``uneven``: x forced, p1 whole: 10 in 2026, 16 in 2027 and 2028, p1's average year
      (10 + 16 + 16) / 3 = 14 kt/yr, the value of none of its years. Copied into p2027 it
      gave Δ 14 - 16 = -2 where the years are the same plan (0), and -> 14 - 10 = +4 on
      the row p1 (2026), where both make 10 (review split F2). Its cells on both rows are
      now blank, and a warning says which run, which period and what differs in it.
    """
    units = ("unit,site,process,capacity_k_per_yr,project\nu0,plant,make,10,\n"
             "ux,plant,make,6,x")
    projects = ("project,capex_musd,earliest_period,lifetime_yr,lead_time_yr,"
                "all_or_nothing,state,forced_period\nx,0.6,p1,10,1,true,off,")
    case = _three_years(tmp_path, units, projects=projects)
    forced = {"project": "x", "state": "forced", "period": "p1"}
    runs = {"split": _scenario(tmp_path, "split", case, [forced,
                                                         {"split": "p1", "at": 2027}]),
            "even": api.run(case, save=False),
            "uneven": _scenario(tmp_path, "uneven", case, [forced])}
    assert runs["uneven"].manifest["uneven_periods"] == {
        "p1": ["project x comes into use in 2027"]}
    assert runs["even"].manifest["uneven_periods"] == {}
    assert runs["split"].manifest["uneven_periods"] == {}
    assert runs["uneven"].kpi("production_product", "p1") == pytest.approx(14.0)
    s = compare.compare(runs)
    made = s["production"].set_index("period")
    assert list(made.index) == ["p1", "p2027"]
    assert made["split"].to_list() == pytest.approx([10.0, 16.0])
    assert made["even"].to_list() == pytest.approx([10.0, 10.0])
    assert made["Δ even"].to_list() == pytest.approx([0.0, -6.0])
    assert made["uneven"].isna().all() and made["Δ uneven"].isna().all()
    cf = s["cashflow"].set_index("period")
    assert cf["uneven"].isna().all() and cf["even"].notna().all()
    notes = s["warnings"]
    mine = notes[(notes["scenario"] == "uneven") & (notes["said_by"] == "compare")]
    assert mine["warning"].to_list() == [
        "uneven's p1 (2026-2028) holds the other runs' p1 (2026) and p2027 (2027-2028), "
        "but its years differ (project x comes into use in 2027), so the value of its "
        "average year is not that of each year: its cells there are blank in the tables "
        "per year (cashflow, production, exports, emissions, utilisation) and its binding "
        "constraints there are not compared (project_constraints)"]
    assert notes[notes["scenario"] == "even"].empty


def _table(*spans: tuple[str, int, int]) -> list[dict]:
    return [{"period": p, "start_year": a, "length_yr": n} for p, a, n in spans]


def test_periods_of_one_name_and_no_common_year_are_matched_by_name():
    """Two cases of other horizons naming their periods alike: a's p1 is 2026-2030 and
    p2 2031-2035, b's p1 is 2026 and p2 2027. Row p1 is their common 2026, which a's p1
    holds (its years even). Row p2 has no common year (2031-2035 against 2027): each
    run's p2 is its own p2. Its rows were mapped to the period holding the empty span
    2031-2027, a's p1, so a's p2 cash flow read a's p1 value (3.0 for 4.0 on a toy;
    review s29 F1)."""
    from chainopt.report.holding import holding

    a = {"period_table": _table(("p1", 2026, 5), ("p2", 2031, 5)), "uneven_periods": {}}
    b = {"period_table": _table(("p1", 2026, 1), ("p2", 2027, 1)), "uneven_periods": {}}
    h = holding({"a": a, "b": b})
    assert h.periods == {"a": {"p1": "p1", "p2": "p2"}, "b": {"p1": "p1", "p2": "p2"}}
    assert h.notes == []


def test_a_run_written_before_uneven_periods_is_told_how_to_run_it_again():
    """A run whose manifest does not say whether its years differ holds the split run's
    rows p2026 (2026-2028) and p2029 (2029-2030) in its p2026 (2026-2030): blank, and
    the note gives the command that writes its results again in its folder, `chainopt
    run SOURCE --out OUT --name NAME --overwrite`. It said 'run it again with
    --overwrite', which a compare --overwrite does not do: it re-uses the folder
    (review s29 F2)."""
    from chainopt.report.holding import holding

    old = {"period_table": _table(("p2026", 2026, 5)), "source": "scenarios/my base.yaml",
           "results_dir": "results/base"}
    split = {"period_table": _table(("p2026", 2026, 3), ("p2029", 2029, 2)),
             "uneven_periods": {}}
    h = holding({"base": old, "mp2": split})
    assert h.periods["base"] == {}  # rows p2026 (2026-2028) and p2029 (2029-2030) too
    ((run, note),) = h.notes
    assert run == "base"
    assert "run it again, chainopt run 'scenarios/my base.yaml' --out results --name base " \
        "--overwrite, then compare" in note, note


def test_a_build_in_a_period_another_run_splits_off_is_compared_against_0():
    """The base's p2026 is 2026-2030; a scenario splits it at 2029 and starts a port's
    construction in p2029 (800 kt/yr). A build starts in the first year of its period,
    and no period of the base starts in 2029: the base builds 0 there, so the change is
    +800. It was blank, and its chart said the run had no value of its own there (review
    s30 F1). A period starting after a run's horizon (p2036, for a run ending with 2035)
    stays blank."""
    def run(*spans):
        table = _table(*spans)
        return SimpleNamespace(manifest={"periods": [r["period"] for r in table],
                                         "period_table": table})

    results = {"base": run(("p2026", 2026, 5), ("p2031", 2031, 5)),
               "split": run(("p2026", 2026, 3), ("p2029", 2029, 2), ("p2031", 2031, 5),
                            ("p2036", 2036, 5))}
    periods = compare._build_periods(results)
    assert periods == {"base": {"p2026", "p2029", "p2031"},
                       "split": {"p2026", "p2029", "p2031", "p2036"}}
    built = {"base": pd.DataFrame({"name": ["u"], "period": ["p2026"], "k": [100.0]}),
             "split": pd.DataFrame({"name": ["u", "port", "port"],
                                    "period": ["p2026", "p2029", "p2036"],
                                    "k": [100.0, 800.0, 50.0]})}
    out = compare._side(built, ["name", "period"], "k", periods=periods).set_index(
        ["name", "period"])
    assert out.loc[("port", "p2029"), "base"] == 0.0
    assert out.loc[("port", "p2029"), "Δ split"] == 800.0
    assert np.isnan(out.loc[("port", "p2036"), "base"])
    assert np.isnan(out.loc[("port", "p2036"), "Δ split"])


def test_a_scenario_of_one_project_and_other_changes_solves_its_counterfactual_once(
        tmp_path, monkeypatch):
    """Review verbs F2: small_port_expansion with HDPE's prices 10 % higher changes
    prices and may build one project, the port. Its project's counterfactual (the
    scenario without the port) and its inputs' (the scenario without all its projects,
    the port alone) are one case: it was solved twice. Solved once, and the two effects
    add up as by hand to the scenario's change: port = objective - objective without
    it, inputs = objective without it - base (each against the same solve); the values
    are those of the scenario without the port run apart (state: off)."""
    scen = tmp_path / "port_prices.yaml"
    scen.write_text(f"base: {SCEN / 'small_port_expansion.yaml'}\nchanges:\n"
                    "  - table: markets\n    where: {commodity: hdpe}\n"
                    "    scale: {price_usd_per_unit: 1.1}\n")
    off = tmp_path / "port_prices_off.yaml"
    off.write_text(f"base: {scen}\nchanges:\n  - project: far_east_port\n    state: 'off'\n")
    calls = []
    real = api._counterfactual

    def counted(case, name, projects, options):
        calls.append(list(projects))
        return real(case, name, projects, options)

    monkeypatch.setattr(api, "_counterfactual", counted)
    sections, _outcomes, _folder = api.compare(["small_chain", str(scen)], out=tmp_path,
                                               jobs=1)
    assert calls == [["far_east_port"]]
    econ = sections["economics"].set_index("effect")
    base = api.run("small_chain", save=False).manifest["objective"]
    with_port = api.run(str(scen), save=False).manifest["objective"]
    without = api.run(str(off), save=False).manifest["objective"]
    assert econ.loc["far_east_port", "incremental NPV (MUSD)"] == pytest.approx(
        with_port - without, abs=1e-6)
    inputs = econ.drop(index="far_east_port")
    assert len(inputs) == 1 and inputs["incremental NPV (MUSD)"].iloc[0] == pytest.approx(
        without - base, abs=1e-6)
