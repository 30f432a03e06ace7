"""Insight: marginal values, ranging, binding constraints and infeasibility diagnosis.

Conventions as in tests/models/test_families.py: one one-year period at a zero
discount rate (weight w = 1), kt/yr and USD/t, so MUSD = kt x USD/t / 1000 and a
dual of x MUSD per kt/yr is 1000 x USD per t.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import highspy
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from chainopt import api, diagnose
from chainopt import solve as solve_mod
from chainopt.case.load import load_case
from chainopt.cli import app
from chainopt.diagnose import infeasibility, insight, names
from chainopt.diagnose.forced import forced_to_zero
from chainopt.diagnose.infeasibility import _family_filter
from chainopt.errors import InputError, OutputError, SolverError
from chainopt.models.build import KEPT, build
from chainopt.models.lp import Matrix
from chainopt.report import explain as ex
from chainopt.results import Results
from chainopt.solve import basic_masks, highs_ranging
from tests.toycase import (
    FEED_TO_PRODUCT,
    fixed_charge_cost_case,
    solve_case,
    value,
    write_case,
)

COMMODITIES = """
commodity,unit,kind
crude,t,raw
light,t,product
heavy,t,product
co2,t,emission
"""

REFINERY = {
    "commodities": COMMODITIES, "sites": "site\nplant",
    "modes": "mode,process,variable_cost_usd_per_unit\nrun,cdu,10",
    "mode_flows": """mode,commodity,direction,amount_per_unit
                     run,crude,in,1
                     run,light,out,0.6
                     run,heavy,out,0.3""",
    "units": "unit,site,process,capacity_k_per_yr\ncdu1,plant,cdu,8",
    "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\nplant,crude,100,10",
    "markets": "site,commodity,price_usd_per_unit\nplant,light,300\nplant,heavy,200",
}


def _infeasible(tmp_path):
    """Hard floor of 50 kt/yr of light at mkt; cdu1 (40 kt/yr of crude, yield 0.5 light)
    can make only 20."""
    return write_case(tmp_path / "infeasible", {
        "commodities": COMMODITIES, "sites": "site\nplant\nmkt",
        "modes": "mode,process\nrun,cdu",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,crude,in,1\n"
                      "run,light,out,0.5",
        "units": "unit,site,process,capacity_k_per_yr\ncdu1,plant,cdu,40",
        "supplies": "site,commodity,cost_usd_per_unit\nplant,crude,100",
        "links": "link,from_site,to_site,commodities,cost_usd_per_unit\npm,plant,mkt,light,10",
        "markets": "site,commodity,price_usd_per_unit,min_k_per_yr\nmkt,light,300,50",
    }, demand_floors="hard")


def _unbounded(tmp_path):
    """Unlimited crude at 100 at a, shipped to b on a link of no capacity and sold there on
    an uncapped market at 200: a margin of 100 per t (at one site, with no link, validation
    refuses it before solving)."""
    return write_case(tmp_path / "unbounded", {
        "commodities": COMMODITIES, "sites": "site\na\nb",
        "supplies": "site,commodity,cost_usd_per_unit\na,crude,100",
        "links": "link,from_site,to_site,commodities\nab,a,b,crude",
        "markets": "site,commodity,price_usd_per_unit\nb,crude,200",
    })


def _netback(lines: list[str], c: str) -> list[str]:
    """Commodity ``c``'s lines of explain's netbacks or deliveries: its name (and the
    unit its values are per), then one part a line."""
    at = next(i for i, x in enumerate(lines) if x.startswith((f"  {c}:", f"  {c} (USD per ")))
    end = next((i for i in range(at + 1, len(lines)) if not lines[i].startswith("    ")),
               len(lines))
    return lines[at:end]


def _constraint(res, family, **key):
    c = res["constraints"]
    c = c[c["family"] == family]
    for k, v in key.items():
        c = c[c["key"].str.contains(f"{k}={v}", regex=False)]
    assert len(c) == 1, c
    return c.iloc[0]


def test_the_value_a_group_agrees_on_leaves_out_disagreeing_and_missing_ones():
    """``names._agreed`` by hand: m1's rows all say t, m2's say t and bbl (disagree), m3's
    t and nothing (a value missing), m4's only bbl, a row of no group is no group's; the
    groups in the order they first appear."""
    groups = pd.Series(["m1", "m2", "m1", "m3", None, "m2", "m4", "m3", "m1"], dtype=object)
    values = pd.Series(["t", "t", "t", "t", "bbl", "bbl", "bbl", None, "t"], dtype=object)
    out = names._agreed(groups, values)
    assert out.to_dict() == {"m1": "t", "m4": "bbl"}
    assert list(out.index) == ["m1", "m4"]
    assert names._agreed(groups.iloc[:0], values.iloc[:0]).empty


def test_commodity_value_is_supply_cost_plus_transport_and_cap_value_is_margin(tmp_path):
    """Crude at a costs 100, the link ab costs 10 per t (no loss); b buys at most 90 at
    200 and must take at least 30 (hard floor, not binding).

    One more t at b is delivered from a: value 100 + 10 = 110 USD/t. The sales cap
    blocks a margin of 200 - 110 = 90 USD/t: its marginal value is 90 per t/yr.
    """
    res = solve_case(write_case(tmp_path, {
        "commodities": COMMODITIES, "sites": "site\na\nb",
        "supplies": "site,commodity,cost_usd_per_unit\na,crude,100",
        "markets": "site,commodity,price_usd_per_unit,max_k_per_yr,min_k_per_yr\n"
                   "b,crude,200,90,30",
        "links": "link,from_site,to_site,commodities,cost_usd_per_unit\nab,a,b,crude,10",
    }, demand_floors="hard"))
    assert value(res["balances"], site="b")["shadow_price_usd_per_unit"] == pytest.approx(110)
    cap = _constraint(res, "market.sales", site="b")
    assert (cap["kind"], cap["side"]) == ("bound", "upper")
    assert cap["marginal_value"] == pytest.approx(90)
    assert "market.demand_min" not in set(res["constraints"]["family"])


def test_capacity_value_is_the_margin_it_blocks(tmp_path):
    """The refinery of test_families: margin 0.6*300 + 0.3*200 - 100 - 10 = 130 USD per t
    of crude; cdu1 (8 kt/yr) binds, crude (10 kt/yr) does not: capacity worth 130."""
    res = solve_case(write_case(tmp_path, REFINERY))
    cap = _constraint(res, "conversion.capacity_max", unit="cdu1")
    assert cap["marginal_value"] == pytest.approx(130)
    assert cap["slack"] == pytest.approx(0)
    assert cap["value_unit"] == "USD per t"  # per t of crude, the unit's activity unit
    assert res.manifest["insight"]["ranging_source"] == "lp"


def test_demand_floor_and_emission_cap_values(tmp_path):
    """A losing market and an emission cap.

    Floor: b must take 30 kt/yr at 50 USD/t of crude costing 100 + 10 transport: the
    floor binds and lowering it by one t saves 110 - 50 = 60 USD.
    Cap: mode run makes 1 t light (300) from 1 t crude (100) and emits 0.5 t co2; co2 is
    capped at 5 kt/yr, so run = 10 and each t of co2 allowed is worth 200 / 0.5 = 400.
    Crude is limited to 70 kt/yr (40 used). Ranging: the floor's value holds from 0 up
    to 70 - 10 = 60 kt/yr; the cap's from 0 up to (70 - 30) x 0.5 = 20 kt/yr.
    """
    res = solve_case(write_case(tmp_path, {
        "commodities": COMMODITIES, "sites": "site\na\nb",
        "modes": "mode,process\nrun,cdu",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,crude,in,1\n"
                      "run,light,out,1\nrun,co2,out,0.5",
        "units": "unit,site,process,capacity_k_per_yr\ncdu1,a,cdu,100",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\na,crude,100,70",
        "markets": "site,commodity,price_usd_per_unit,min_k_per_yr\nb,crude,50,30\n"
                   "a,light,300,",
        "links": "link,from_site,to_site,commodities,cost_usd_per_unit\nab,a,b,crude,10",
        "policies": "commodity,site,cap_k_per_yr\nco2,,5",
    }, demand_floors="hard"))
    floor = _constraint(res, "market.demand_min", site="b")
    assert floor["side"] == "lower"
    assert floor["marginal_value"] == pytest.approx(60)
    assert value(res["sales"], site="b")["floor_cost_usd_per_unit"] == pytest.approx(60)
    cap = _constraint(res, "emissions.cap_max", commodity="co2")
    assert cap["marginal_value"] == pytest.approx(400)
    assert cap["quantity_unit"] == "t"
    r = res["ranging"]
    fl = value(r, family="market.demand_min")
    assert (fl["value"], fl["lower"], fl["upper"], fl["marginal_value"]) == \
        pytest.approx((30, 0, 60, 60))
    em = value(r, family="emissions.cap_max")
    assert (em["value"], em["lower"], em["upper"], em["marginal_value"]) == \
        pytest.approx((5, 0, 20, 400))


@pytest.mark.parametrize("release,fresh", [(False, False), (True, False), (True, True)],
                         ids=["kept", "released", "released-fresh"])
def test_ranging_on_the_refinery(tmp_path, monkeypatch, release, fresh):
    """Ranging of the refinery (margin 130 per t crude, cdu1 = 8 binding, crude 10 max).

    The plan (run cdu1 full) stays optimal while the margin stays >= 0:
    crude cost <= 100 + 130 = 230; variable cost <= 10 + 130 = 140;
    light price >= 300 - 130/0.6 = 83.33; heavy price >= 200 - 130/0.3 = -233.33.
    The capacity's value 130 holds from 0 up to the crude limit, 10 kt/yr.

    ``released``: as ``chainopt run`` makes it: the solve's HiGHS instance ranged, then
    dropped. ``released-fresh``: as a run of a model of ``LEAN_FROM_COLUMNS`` columns or
    more makes it: the solve's instance dropped first and a fresh one, holding the model
    and the optimal basis (factorised, no iteration), ranged.
    """
    if fresh:
        monkeypatch.setattr(insight, "LEAN_FROM_COLUMNS", 0)
        made = []
        real = insight._fresh_lp
        monkeypatch.setattr(insight, "_fresh_lp", lambda *a: made.append(1) or real(*a))
    built = api.build_model(load_case(write_case(tmp_path, REFINERY)))
    res = api.extract_results(built, api.solve(built), release_solver=release)
    assert (built.solver is None) == release
    assert res.manifest["insight"]["ranging_source"] == "lp"
    if fresh:
        assert made == [1]  # the fresh instance was ranged
    r = res["ranging"]
    crude = value(r, family="supply.purchase")
    assert (crude["value"], crude["upper"]) == pytest.approx((100, 230))
    assert crude["lower"] == -math.inf
    assert value(r, family="conversion.activity")["upper"] == pytest.approx(140)
    light = r[r["key"].str.contains("light")].iloc[0]
    assert light["lower"] == pytest.approx(300 - 130 / 0.6)
    heavy = r[r["key"].str.contains("heavy")].iloc[0]
    assert heavy["lower"] == pytest.approx(200 - 130 / 0.3)
    cap = value(r, family="conversion.capacity_max")
    assert (cap["value"], cap["lower"], cap["upper"], cap["marginal_value"]) == \
        pytest.approx((8, 0, 10, 130))
    lines = ex.ranging_lines(r)
    assert "capacity of unit cdu1 in p1: 8 k t/yr" in lines[1]  # room 2/8 = 25 %, first


def test_infeasible_case_names_the_floor_and_the_capacity(tmp_path):
    built = build(load_case(_infeasible(tmp_path)), pyomo=False)
    d = diagnose.diagnose(built, relax=True)
    assert d.status == "infeasible"
    main = d.members[d.members["family"] != "balance.commodity"]
    assert sorted(main["family"]) == ["conversion.capacity_max", "market.demand_min"]
    lines = ex.infeasible_lines(d.members, d.method)
    text = "\n".join(lines)
    # each with the file and row stating it (review infeas F4): the one row of each
    assert "demand floor for light at mkt in p1 (>= 50 k t/yr, markets.csv row 2)" in text
    assert "capacity of unit cdu1 in p1 (<= 40 k t/yr, units.csv row 2)" in text  # t of crude


def test_infeasible_projects_and_blend_specs_are_stated_in_their_own_terms(tmp_path):
    """A forced project excluding one that another forced project requires (two forced
    projects excluding each other directly are refused at load): the IIS named each
    forced build "between 1 and 1 k project share/yr". A blend of c1 (octane 90) and c2
    (100, at most 4 kt/yr) cannot make the 5 kt/yr floor at octane 99 (it needs 4.5 of c2): the
    diagnosis named the spec row by its right side, "(>= 0 k t/yr)", whatever the spec.
    Now: "forced", "<= 1 project", and the spec's own limit."""
    proj = write_case(tmp_path / "proj", {
        "commodities": COMMODITIES, "sites": "site\nplant",
        "units": "unit,site,process,capacity_k_per_yr,project\nua,plant,cdu,10,a\n"
                 "ub,plant,cdu,10,b\nuc,plant,cdu,10,c",
        "modes": "mode,process\nrun,cdu",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,crude,in,1\n"
                      "run,light,out,1",
        "projects": "project,capex_musd,state,forced_period,excludes,requires\n"
                    "a,1,forced,p1,b,\nb,1,optional,,,\nc,1,forced,p1,,b"})
    d = diagnose.diagnose(build(load_case(proj), pyomo=False))
    text = "\n".join(ex.infeasible_lines(d.members, d.method))
    assert "projects a and b exclude each other (<= 1 project)" in text
    # with the row (review diag2 F4): a is projects.csv row 2, c row 4
    assert "project a in p1 is forced (state forced in projects.csv row 2)" in text
    assert "project c in p1 is forced (state forced in projects.csv row 4)" in text
    assert "between" not in text and "share/yr" not in text
    blend = write_case(tmp_path / "blend", {
        "commodities": "commodity,unit,kind\nc1,t,raw\nc2,t,raw\npetrol,t,product",
        "sites": "site\nplant",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\nplant,c1,50,\n"
                    "plant,c2,80,4",
        "markets": "site,commodity,price_usd_per_unit,min_k_per_yr\nplant,petrol,100,5",
        "blends": "blend,site,product,components,basis\nmix,plant,petrol,c1;c2,mass",
        "qualities": "commodity,property,value\nc1,octane,90\nc2,octane,100",
        "specs": "commodity,property,min_value\npetrol,octane,99"}, demand_floors="hard")
    d = diagnose.diagnose(build(load_case(blend), pyomo=False))
    text = "\n".join(ex.infeasible_lines(d.members, d.method))
    assert "octane minimum of blend mix in p1 (>= 99, specs.csv row 2)" in text
    assert "demand floor for petrol at plant in p1 (>= 5 k t/yr, markets.csv row 2)" in text
    # the period's limit from specs_by_period.csv row 2 (review diag2 F4: cited as
    # specs.csv with no row): 98.5 needs 90 + 10 x >= 98.5, x = 0.85 of c2, 4.25 > 4
    (blend / "specs_by_period.csv").write_text("commodity,property,period,min_value\n"
                                               "petrol,octane,p1,98.5\n")
    d = diagnose.diagnose(build(load_case(blend), pyomo=False))
    text = "\n".join(ex.infeasible_lines(d.members, d.method))
    assert "octane minimum of blend mix in p1 (>= 98.5, specs_by_period.csv row 2)" in text, \
        text


def test_explain_says_when_values_are_the_shortfall_penalty(tmp_path):
    """The floor of 50 kt/yr of light is soft (penalty 1,000 USD/t) and cdu1 makes 20:
    one more t of light at mkt earns its price 300 and saves the penalty 1,000 (worth
    1,300 there, 1,290 at plant after the 10 of transport), and cdu1's crude capacity
    0.5 x 1,290 - 100 = 545 USD per t; objective 20 x 300 - 40 x 100 - 20 x 10 -
    30 x 1,000 = -28.2 MUSD. Explain gave these numbers without a
    word on where these values come from; now it says first that they include the
    penalty."""
    folder = _infeasible(tmp_path)
    meta = (folder / "case.yaml").read_text().replace("demand_floors: hard",
                                                      "demand_floors: soft")
    (folder / "case.yaml").write_text(meta + "shortfall_penalty_usd_per_unit: 1000\n")
    res = solve_case(folder)
    assert value(res["sales"], site="mkt")["shortfall_k_per_yr"] == pytest.approx(30.0)
    text = "\n".join(ex.why_lines(res.tables, res.manifest))
    assert ("Note: demand floors are not met (light at mkt in p1 short by 30 k t/yr; sales "
            "table, shortfall_k_per_yr). The values below that these floors reach include "
            "their shortfall penalty (up to 1,000 USD per t, floor_cost_usd_per_unit)") in text
    assert res.objective == pytest.approx(-28.2)
    assert "each extra t/yr is worth 545 USD per t a year" in text
    met = solve_case(write_case(tmp_path / "met", {**REFINERY}))
    assert "Note: demand floors" not in "\n".join(ex.why_lines(met.tables, met.manifest))


def test_a_hard_demand_has_one_sign_in_constraints_and_ranging(tmp_path):
    """Crude bought at 76 USD/t meets a hard demand of 4 kt/yr: one t/yr more demand
    costs 76, so both tables give -76 (the right side raised by one). The ranging
    table gave +76 and explain said 'one t/yr more room is worth 76'."""
    res = solve_case(write_case(tmp_path, {
        "commodities": COMMODITIES, "sites": "site\nplant",
        "supplies": "site,commodity,cost_usd_per_unit\nplant,crude,76",
        "demand": "site,commodity,amount_k_per_yr\nplant,crude,4"}))
    assert res.objective == pytest.approx(-4 * 76 / 1000)
    assert value(res["constraints"], family="demand.required")["marginal_value"] == \
        pytest.approx(-76.0)
    rg = res["ranging"]
    assert value(rg, family="demand.required")["marginal_value"] == pytest.approx(-76.0)
    text = "\n".join(ex.ranging_lines(rg))
    assert "demand for crude at plant in p1: 4 k t/yr; one t/yr more is worth -76 USD" in text


def test_elastic_relaxation_is_the_smallest(tmp_path):
    """cdu1 makes at most 40 x 0.5 = 20 kt/yr of light against a floor of 50. Lowering
    the floor by 30 costs 30 units of relaxation; raising the capacity instead would
    need 60 (30 / 0.5): the floor is lowered to 20."""
    built = build(load_case(_infeasible(tmp_path)), pyomo=False)
    relax = diagnose.elastic(built)
    assert len(relax) == 1
    r = relax.iloc[0]
    assert r["family"] == "market.demand_min"
    assert (r["bound"], r["relaxed_to"], r["relaxation"]) == pytest.approx((50, 20, 30))
    assert ("lower the demand floor for light at mkt in p1 from 50 to 20 k t/yr (by 30; "
            "markets.csv row 2)") in ex.elastic_lines(relax)[1]


def test_unbounded_case_names_the_runaway_columns(tmp_path):
    d = diagnose.diagnose(build(load_case(_unbounded(tmp_path)), pyomo=False))
    assert d.status == "unbounded"
    assert set(d.runaway["family"]) == {"supply.purchase", "transport.flow", "market.sales"}
    assert d.runaway["at_bound"].all()
    text = "\n".join(ex.unbounded_lines(d.runaway))
    assert "supplies.csv gives no max_k_per_yr for crude at a" in text
    assert "link ab has no capacity_k_per_yr" in text
    assert "markets.csv gives no max_k_per_yr (sales cap) for crude at b" in text


def test_unbounded_tiers_and_links_are_each_named_as_a_missing_bound(tmp_path):
    """Product bought at a (tier 2 unlimited at 150), shipped on a link of blank
    capacity, sold at b (tier 2 unlimited at 190): any one of the three bounds would
    end the runaway. Only the link was named (the column at the artificial bound), and
    the tiers' hints had no tier."""
    folder = write_case(tmp_path / "tiers", {
        "commodities": "commodity,unit,kind\nproduct,t,product", "sites": "site\na\nb",
        "supplies": "site,commodity,cost_usd_per_unit,tier,max_k_per_yr\n"
                    "a,product,100,1,5\na,product,150,2,",
        "links": "link,from_site,to_site,commodities\nab,a,b,product",
        "markets": "site,commodity,price_usd_per_unit,tier,max_k_per_yr\n"
                   "b,product,200,1,5\nb,product,190,2,"})
    d = diagnose.diagnose(build(load_case(folder), pyomo=False))
    assert d.status == "unbounded"
    text = "\n".join(ex.unbounded_lines(d.runaway))
    assert text.split("Missing bound (add one of these):\n")[1].splitlines() == [
        "  - link ab has no capacity_k_per_yr",
        "  - supplies.csv gives no max_k_per_yr for product at a (tier 2)",
        "  - markets.csv gives no max_k_per_yr (sales cap) for product at b (tier 2)"]


def test_a_salvage_value_that_pays_a_runaway_is_named_with_what_to_do(tmp_path):
    """scrap is discarded at a salvage value (disposal_cost_usd_per_unit -50) and bought at
    a for 20 USD/t without limit; a user constraint asks for at least 1 kt/yr of it (so
    validation, which refuses the plain pump, leaves the supply to the solve: a purchase
    term might have bounded it). Each t earns 50 - 20 = 30 USD: purchase and disposal run
    away together (1e9 k t/yr each at the artificial bound). Explain named only the
    supply's missing cap; discarding had no hint, though raising its cost to 0 ends the
    runaway as well. The run's error now names a negative disposal cost among the causes."""
    folder = write_case(tmp_path / "salvage", {
        "commodities": "commodity,unit,kind,disposal,disposal_cost_usd_per_unit\n"
                       "scrap,t,raw,true,-50",
        "sites": "site\na",
        "supplies": "site,commodity,cost_usd_per_unit\na,scrap,20",
        "constraints": "constraint,sense,rhs\nbuy_some,>=,1",
        "constraint_terms": "constraint,term,quantity,coef,site,commodity\n"
                            "buy_some,1,purchase,1,a,scrap"})
    with pytest.raises(api.UnboundedError, match="or a negative disposal_cost_usd_per_unit: "
                       "a salvage value"):
        solve_case(folder)
    d = diagnose.diagnose(build(load_case(folder), pyomo=False))
    assert d.status == "unbounded"
    lines = ex.unbounded_lines(d.runaway)
    assert lines[1:] == [
        "  - supply of scrap at a in p1: 1,000,000,000 k t/yr (at the artificial bound)",
        "  - disposal of scrap at a in p1: 1,000,000,000 k t/yr (at the artificial bound)",
        "Missing bound (add one of these):",
        "  - supplies.csv gives no max_k_per_yr for scrap at a",
        "Paid to discard (a salvage value):",
        "  - commodities.csv gives scrap a disposal_cost_usd_per_unit of -50 (a salvage "
        "value): discarding scrap at a pays more than it costs to bring there; raise it to 0 "
        "or more, or bound what makes, buys or ships scrap to a"]


def test_unbounded_quantities_are_named_in_their_own_units(tmp_path):
    """Crude counted in bbl, bought at a without limit (50 USD/bbl), shipped on link ab
    (no capacity, half of it lost) and sold at b for 200 USD/bbl: every barrel bought
    earns 0.5 x 200 - 50 = 50 USD, so purchase, flow and sales run away along the ray 1 :
    1 : 0.5. With the artificial bound of 1e9 k bbl/yr, purchase and flow reach 1e9 k
    bbl/yr and sales 0.5 x 1e9 = 5e8. Explain said "k units/yr" of each; now each in
    the unit its commodity is counted in, k bbl/yr."""
    folder = write_case(tmp_path / "bbl", {
        "commodities": "commodity,unit,kind\ncrude,bbl,raw", "sites": "site\na\nb",
        "supplies": "site,commodity,cost_usd_per_unit\na,crude,50",
        "links": "link,from_site,to_site,commodities,loss_fraction\nab,a,b,crude,0.5",
        "markets": "site,commodity,price_usd_per_unit\nb,crude,200"})
    d = diagnose.diagnose(build(load_case(folder), pyomo=False))
    assert d.status == "unbounded"
    assert list(d.runaway["quantity_unit"]) == ["bbl", "bbl", "bbl"]
    lines = ex.unbounded_lines(d.runaway)
    assert lines[1:4] == [
        "  - supply of crude at a in p1: 1,000,000,000 k bbl/yr (at the artificial bound)",
        "  - flow of crude on link ab in p1: 1,000,000,000 k bbl/yr (at the artificial bound)",
        "  - sales of crude at b in p1: 500,000,000 k bbl/yr"]
    assert "k units/yr" not in "\n".join(lines)


def test_binding_constraints_merge_consecutive_periods():
    import pandas as pd

    c = pd.DataFrame({
        "family": "transport.capacity_max", "kind": "row",
        "key": [f"link=port_sea, period={p}" for p in ("p1", "p2", "p3", "p5")],
        "period": ["p1", "p2", "p3", "p5"], "side": "upper", "activity": 1.0, "bound": 1.0,
        "slack": 0.0, "marginal_value": [38.0, 38.0, 38.0, 12.0], "value_unit": "USD per unit",
        "quantity_unit": "t"})
    lines = ex.binding_lines(c, ["p1", "p2", "p3", "p4", "p5"])
    assert lines[0] == ("capacity of link port_sea binds in p1-p3: each extra t/yr is worth "
                        "38 USD per t a year")
    assert lines[1].startswith("capacity of link port_sea binds in p5")


def test_export_names_and_coefficient_ranges(tmp_path):
    built = build(load_case(write_case(tmp_path / "c", REFINERY)), pyomo=False)
    path = tmp_path / "m.lp"
    diagnose.export_model(built, str(path))
    text = path.read_text()
    assert "conversion.capacity_max(cdu1,p1): +1 conversion.activity(cdu1,run,p1) <= +8" in text
    diagnose.export_model(built, str(tmp_path / "m.mps"))
    assert "supply.purchase(plant,crude,p1)" in (tmp_path / "m.mps").read_text()
    cr = diagnose.coefficient_ranges(built).set_index("what")
    # matrix: 0.3 (heavy yield) .. 1; cost: 0.01 (variable cost 10 USD/t) .. 0.3 (light)
    assert cr.loc["matrix", "min_abs"] == pytest.approx(0.3)
    assert cr.loc["cost", "ratio"] == pytest.approx(30)
    assert "conversion.activity(cdu1,run,p1)" in cr.loc["cost", "min_at"]


def _refinery_with_fixed_om(tmp_path: Path) -> Path:
    """REFINERY with a fixed O&M of 5 USD per t/yr on cdu1's 8 kt/yr: each t of crude
    gives 0.6 x 300 + 0.3 x 200 = 240 USD for 100 + 10, a margin of 130 USD/t on 8 kt =
    1.04 MUSD, less 8 x 5 / 1000 = 0.04 MUSD of fixed O&M, a constant no decision
    changes: 1.00 MUSD."""
    return write_case(tmp_path / "fom", {
        **REFINERY, "units": "unit,site,process,capacity_k_per_yr,fixed_om_usd_per_unit_yr\n"
                             "cdu1,plant,cdu,8,5"})


def _file_optimum(path: Path) -> tuple[float, bool]:
    """HiGHS's optimum of a model file as HiGHS reads it, and whether it minimised."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    assert h.readModel(str(path)) != highspy.HighsStatus.kError
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return h.getInfo().objective_function_value, h.getLp().sense_ == highspy.ObjSense.kMinimize


def test_an_exported_scenario_says_it_is_the_scenarios_model(tmp_path):
    """Review s26 F4: the note of an exported scenario named its base case ("for case
    'fom'"), though the file is the scenario's model, with its own optimum. The fixed-O&M
    refinery (1.00 MUSD, :func:`_refinery_with_fixed_om`) and a scenario ``big`` on it
    with cdu1 at 10 kt/yr: 10 x 130 / 1000 = 1.30 of margin less 10 x 5 / 1000 = 0.05 of
    fixed O&M, 1.25 MUSD, so its file reads as a minimum of -1.25. Its note names
    ``scenario 'big' on case 'fom'``; the case's own note still ``case 'fom'``."""
    folder = _refinery_with_fixed_om(tmp_path)
    name = load_case(folder).name
    scenario = tmp_path / "big.yaml"
    scenario.write_text(f"name: big\nbase: {folder}\nchanges:\n  - table: units\n"
                        "    where: {unit: cdu1}\n    set: {capacity_k_per_yr: 10}\n")
    written, lines = api.export(scenario, mps=tmp_path / "s.mps")
    assert f"chainopt maximises for scenario 'big' on case '{name}' (" in lines[0], lines[0]
    (path,) = written
    assert _file_optimum(path) == (pytest.approx(-1.25, abs=1e-9), True)
    assert f"scenario 'big' on case '{name}'" in " ".join(
        ln.lstrip("* ") for ln in path.read_text().splitlines()[:6])
    _, lines = api.export(folder, mps=tmp_path / "c.mps")
    assert f"chainopt maximises for case '{name}' (" in lines[0], lines[0]


def test_exported_files_are_a_minimisation_every_reader_takes_alike(tmp_path):
    """The exported MPS/LP maximised with an ``OBJSENSE MAX`` section (CBC 2.10 ignored it
    and minimised: "Optimal objective 0" for a 4.7 MUSD toy; GLPK 5.0 could not read it)
    and carried the objective's constant as the objective row's RHS (GLPK read it with
    the other sign: 7784.94 + 2 x 1388.87) or, in the LP file, as a bare number (GLPK:
    "missing variable name"). Now both files minimise minus the objective, the constant
    the cost of a column fixed at 1, and say so in a comment at the top: the fixed-O&M
    refinery (:func:`_refinery_with_fixed_om`, 1.00 MUSD) reads as a minimum of -1.00,
    its column objective_constant costing +0.04. The fixed-charge cost case (hand: 1.2 +
    1.2 + 1.0 = 3.4 MUSD of cost) reads as a minimum of +3.4 with its build decision a
    binary (its LP relaxation is 3.0), in the LP file under ``binaries``, which every
    reader knows (CBC's reads neither HiGHS's ``bin`` nor ``gen``)."""
    folder = _refinery_with_fixed_om(tmp_path)
    assert api.run(folder, save=False).objective == pytest.approx(1.0, abs=1e-9)
    written, lines = api.export(folder, mps=tmp_path / "m.mps", lp=tmp_path / "m.lp")
    assert lines[0].startswith("note: the file minimises minus the objective")
    assert "C = -0.04 MUSD" in lines[0] and "objective_constant" in lines[0]
    for path in written:
        optimum, minimised = _file_optimum(path)
        assert (optimum, minimised) == (pytest.approx(-1.0, abs=1e-9), True), path
        text = path.read_text()
        assert text.startswith("\\ chainopt:" if path.suffix == ".lp" else "* chainopt:")
        assert "OBJSENSE" not in text and "objective_constant" in text
    lp_text = (tmp_path / "m.lp").read_text()
    assert re.search(r"\+0\.0400000\d* objective_constant", lp_text), lp_text
    assert "objective_constant = 1" in lp_text
    cost = fixed_charge_cost_case(tmp_path / "fc")
    written, lines = api.export(cost, mps=tmp_path / "c.mps", lp=tmp_path / "c.lp")
    assert "the total cost chainopt reports is the file's optimum" in lines[0]
    for path in written:
        assert _file_optimum(path)[0] == pytest.approx(3.4, abs=1e-9), path
    sections = [x.strip() for x in (tmp_path / "c.lp").read_text().splitlines()]
    assert "binaries" in sections and not {"bin", "gen", "semi"} & set(sections)


@pytest.mark.parametrize("reader", ["cbc", "glpsol"])
def test_exported_files_read_alike_in_cbc_and_glpk(tmp_path, reader):
    """The same files in CBC and GLPK, where installed (CI installs neither: the test
    above holds the format): the refinery's minimum is -1.00 and the cost case's 3.4
    (hand values there), from the MPS and the LP file alike."""
    import shutil
    import subprocess

    exe = shutil.which(reader)
    if exe is None:
        pytest.skip(f"{reader} is not installed (apt-get install coinor-cbc glpk-utils)")
    for name, folder, want in (("fom", _refinery_with_fixed_om(tmp_path), -1.0),
                               ("fc", fixed_charge_cost_case(tmp_path / "fc"), 3.4)):
        api.export(folder, mps=tmp_path / f"{name}.mps", lp=tmp_path / f"{name}.lp")
        for ext in ("mps", "lp"):
            path = tmp_path / f"{name}.{ext}"
            if reader == "cbc":
                out = subprocess.run([exe, str(path), "solve", "solu", str(tmp_path / "s")],
                                     capture_output=True, text=True, check=True).stdout
                got = float((tmp_path / "s").read_text().split("objective value")[1].split()[0])
            else:
                flag = "--freemps" if ext == "mps" else "--lp"
                out = subprocess.run([exe, flag, str(path), "-o", str(tmp_path / "s")],
                                     capture_output=True, text=True, check=True).stdout
                got = float((tmp_path / "s").read_text().split("Objective:")[1]
                            .split("=")[1].split()[0])
            assert got == pytest.approx(want, abs=1e-6), (path, out)


def test_export_names_tiers_by_their_numbers_and_refuses_tiers_beyond_1000(tmp_path):
    """Supply tiers 1, 999 and 1000 are three columns: supply.purchase(a,crude,p1) and
    supply.purchase_tier(a,crude,T,p1) for T = 999 and 1000, the names the LP file and
    constraints.csv use. The marginal value of tier 999's limit is what one more t of it
    saves against tier 1000: 120 - 110 = 10 USD/t (the market, 12 kt/yr at 200, takes
    5 + 5 + 2). Tiers of 1e19 and 2e19 (which, cast to a 64-bit integer, once wrapped to
    one name) are now refused at load: a tier is at most 1000."""
    supplies = ("site,commodity,tier,cost_usd_per_unit,max_k_per_yr\na,crude,1,100,5\n"
                "a,crude,{0},110,5\na,crude,{1},120,5")
    markets = "site,commodity,price_usd_per_unit,max_k_per_yr\na,crude,200,12"
    huge = write_case(tmp_path / "huge", {
        "commodities": COMMODITIES, "sites": "site\na", "markets": markets,
        "supplies": supplies.format(10000000000000000000, 20000000000000000000)})
    with pytest.raises(InputError, match=r"supplies.csv row 3, column tier: must be at most "
                                         r"1000 \(found '10000000000000000000'\)"):
        load_case(huge)
    folder = write_case(tmp_path / "c", {
        "commodities": COMMODITIES, "sites": "site\na", "markets": markets,
        "supplies": supplies.format(999, 1000)})
    built = build(load_case(folder), pyomo=False)
    big = ["supply.purchase_tier(a,crude,999,p1)", "supply.purchase_tier(a,crude,1000,p1)"]
    assert names.column_names(built) == ["supply.purchase(a,crude,p1)", *big,
                                         "market.sales(a,crude,p1)"]
    diagnose.export_model(built, str(tmp_path / "m.lp"))
    text = (tmp_path / "m.lp").read_text()
    assert all(f" {n} <= 5" in text for n in big), text
    res = solve_case(folder)
    tier = _constraint(res, "supply.purchase_tier")
    assert "tier=999," in tier["key"]
    assert tier["marginal_value"] == pytest.approx(10)


def _tier_case(tmp_path, supplies: str, markets: str, **meta):
    return write_case(tmp_path, {
        "commodities": "commodity,unit,kind\ncrude,t,raw", "sites": "site\na",
        "supplies": supplies, "markets": markets}, **meta)


def test_tier_1_of_a_supply_with_further_tiers_is_named_tier_1(tmp_path):
    """Crude at a: tier 1 at 100 (at most 5), tier 2 at 110 (at most 5), sold at 200
    (at most 12): both tiers are bought in full (10 < 12), so the value of crude at a is
    its price 200 and each tier's limit is worth 200 - cost: 100 (tier 1) and 90 (tier
    2). Tier 2's lines said "(tier 2)", tier 1's nothing: "supply limit of crude at a
    binds" could be either; now "(tier 1)" in explain's binding, netback and ranging
    lines and ``tier=1`` in the key of constraints.csv. Infeasible with a hard floor of
    12 (at most 5 + 5 = 10): the conflict and the smallest relaxation (2 more of the
    cheaper tier 1) name the tier as well."""
    supplies = ("site,commodity,tier,cost_usd_per_unit,max_k_per_yr\n"
                "a,crude,1,100,5\na,crude,2,110,5")
    res = solve_case(_tier_case(tmp_path / "c", supplies,
                                "site,commodity,price_usd_per_unit,max_k_per_yr\na,crude,200,12"))
    assert _constraint(res, "supply.purchase")["key"] == \
        "site=a, commodity=crude, tier=1, period=p1"
    lines = ex.why_lines(res.tables, res.manifest)
    assert ("  supply limit of crude at a (tier 1) binds in p1: each extra t/yr is worth 100 "
            "USD per t a year") in lines
    assert ("  supply limit of crude at a (tier 2) binds in p1: each extra t/yr is worth 90 "
            "USD per t a year") in lines
    assert _netback(lines, "crude") == [
        "  crude (USD per t):", "    sold at a for 200 (worth 200 there)",
        "    bought at a (tier 1) for 100, 100 supply limit rent",
        "    bought at a (tier 2) for 110, 90 supply limit rent"]
    ranging = "\n".join(ex.ranging_lines(res.tables["ranging"]))
    assert "supply cost of crude at a (tier 1) in p1: 100 USD per t" in ranging
    assert "supply limit of crude at a (tier 1) in p1: 5 k t/yr" in ranging
    hard = _tier_case(tmp_path / "h", supplies, "site,commodity,price_usd_per_unit,"
                      "min_k_per_yr\na,crude,200,12", demand_floors="hard")
    text = api.explain(hard, elastic=True)
    # read as a row's limit reads, with its row (it was "must stay <= 5 k t/yr")
    assert "  - supply limit of crude at a (tier 1) in p1 (<= 5 k t/yr, supplies.csv row 2)" \
        in text
    assert ("  - raise the supply limit of crude at a (tier 1) in p1 from 5 to 7 k t/yr "
            "(by 2; supplies.csv row 2)") in text


def test_tier_1_of_a_market_with_further_tiers_is_named_and_a_single_tier_is_not(tmp_path):
    """Crude bought at a at 100 (at most 8), sold in tier 1 at 200 (at most 5) and tier
    2 at 190 (at most 10): 5 + 3 sold, tier 2 not full, so crude is worth 190 at a, tier
    1's cap 200 - 190 = 10 and the supply limit 190 - 100 = 90. The market's tiers are
    named (tier 1 included), the supply, with one tier, is not, though its table has a
    tier column. With 4 to buy and a floor of 5 on tier 1, the unmet floor is named with
    its tier too: short by 5 - 4 = 1. A sale's price apart from the value there is said
    to be the cap's rent (tier 1: 200 less 10) or the floor's value (short: 200 plus the
    penalty of 10,000); explain gave the two numbers alone."""
    res = solve_case(_tier_case(
        tmp_path, "site,commodity,tier,cost_usd_per_unit,max_k_per_yr\na,crude,1,100,8",
        "site,commodity,tier,price_usd_per_unit,max_k_per_yr\na,crude,1,200,5\n"
        "a,crude,2,190,10"))
    lines = ex.why_lines(res.tables, res.manifest)
    assert ("  sales cap for crude at a (tier 1) binds in p1: each extra t/yr is worth 10 "
            "USD per t a year") in lines
    assert ("  supply limit of crude at a binds in p1: each extra t/yr is worth 90 USD per "
            "t a year") in lines
    assert _netback(lines, "crude") == [
        "  crude (USD per t):",
        "    sold at a (tier 1) for 200 less 10 sales cap rent (worth 190 there)",
        "    sold at a (tier 2) for 190 (worth 190 there)",
        "    bought at a for 100, 90 supply limit rent"]
    assert _constraint(res, "supply.purchase")["key"] == "site=a, commodity=crude, period=p1"
    # 4 to buy against tier 1's floor of 5: short by 1, named with its tier
    short = solve_case(_tier_case(
        tmp_path / "short", "site,commodity,tier,cost_usd_per_unit,max_k_per_yr\n"
        "a,crude,1,100,4", "site,commodity,tier,price_usd_per_unit,max_k_per_yr,"
        "min_k_per_yr\na,crude,1,200,5,5\na,crude,2,190,10,0"))
    text = "\n".join(ex.why_lines(short.tables, short.manifest))
    assert "(crude at a (tier 1) in p1 short by 1 k t/yr;" in text, text
    # tier 1 sells all 4 (its column basic), 1 short of its floor: crude at a is worth
    # its price plus the floor's value, the shortfall penalty (10,000): 10,200
    assert ("    sold at a (tier 1) for 200 plus 10,000 demand floor value (worth 10,200 "
            "there)") in text.split("\n"), text


def test_coefficient_ratio_warning(tmp_path):
    """A yield of 1e-9 next to a yield of 1: the matrix ratio 1e9 exceeds 1e8."""
    tables = dict(REFINERY)
    tables["mode_flows"] = ("mode,commodity,direction,amount_per_unit\nrun,crude,in,1\n"
                            "run,light,out,0.6\nrun,heavy,out,0.000000001")
    built = build(load_case(write_case(tmp_path, tables)), pyomo=False)
    lines = ex.numerics_lines(diagnose.coefficient_ranges(built), only_warnings=True)
    assert len(lines) == 1 and "matrix coefficients span a ratio of 1e+09" in lines[0]
    assert "mode_flows.csv" in lines[0]


def test_a_ratio_warning_names_one_input_once(tmp_path):
    """Capacities of 1e-4 and 1e8 kt/yr: the row bounds span 1e8 / 1e-4 = 1e12 > 1e8, both
    from units.csv; the warning said "rescale <units.csv input> or <units.csv input>"."""
    tables = dict(REFINERY)
    tables["units"] = "unit,site,process,capacity_k_per_yr\ncdu1,plant,cdu,1e-4\n" \
                      "cdu2,plant,cdu,1e8"
    built = build(load_case(write_case(tmp_path, tables)), pyomo=False)
    (line,) = [x for x in ex.numerics_lines(diagnose.coefficient_ranges(built),
                                            only_warnings=True) if "row bound" in x]
    assert "span a ratio of 1e+12" in line
    assert line.count("units.csv capacity_k_per_yr") == 1, line


def _trace_case(tmp_path, unit: str, yield_: str, price: str):
    """1 t crude (0.05 USD/t, unlimited) -> a trace of tar, 1000 kt/yr of capacity."""
    return write_case(tmp_path, {
        "commodities": f"commodity,unit,kind\ncrude,t,raw\ntar,{unit},product",
        "sites": "site\nplant", "modes": "mode,process\nrun,cdu",
        "mode_flows": f"mode,commodity,direction,amount_per_unit\nrun,crude,in,1\n"
                      f"run,tar,out,{yield_}",
        "units": "unit,site,process,capacity_k_per_yr\ncdu,plant,cdu,1000",
        "supplies": "site,commodity,cost_usd_per_unit\nplant,crude,0.05",
        "markets": f"site,commodity,price_usd_per_unit\nplant,tar,{price}"})


def test_a_coefficient_highs_would_drop_is_refused_not_solved_as_zero(tmp_path):
    """Tar is 1e-10 t per t of crude and sells at 1e9 USD/t: each t of crude earns
    1e-10 x 1e9 - 0.05 = 0.05 USD, so the plan runs the 1000 kt/yr unit (1e6 t) for
    0.05 MUSD/yr (tar 1e-4 t = 1e-7 kt/yr, worth 0.1 MUSD). HiGHS drops matrix
    coefficients of at most 1e-9 as 0: the run reported an 'optimal' objective of 0 with
    the unit idle. Now, since the dropped yield matters (the tar balance's dual is at
    least the tar price, 1e6 MUSD per kt, and 1e-10 x 1e6 = 1e-4 > HiGHS's 1e-7 tolerance
    on a reduced cost), the run is refused with exit 1, naming the coefficient and how to
    rescale, and nothing is written. Stated in kg (1e-7 kg/t at 1e6 USD/kg) the same
    chain solves to the hand value, 0.05 MUSD, and a yield of 1e15 m3 per t (HiGHS
    refuses coefficients of 1e15 or more, which read 'a chainopt bug', exit 4) is
    refused likewise. Through Pyomo, HiGHS read 0 too (GLPK and CBC keep the coefficient
    and find 0.05: they are not stopped). A dropped yield that does not matter passes:
    tar at 1 USD/t beside light at 1 USD/t from 500 kt/yr of crude moves the tar row by
    1e-10 x 500 = 5e-8 kt/yr and a reduced cost by 1e-10 x 1e-3 MUSD per kt, both within
    1e-7: the plan, 500 x (1 - 0.05) / 1000 = 0.475 MUSD (+5e-11 of tar), stands."""
    out = tmp_path / "res"
    done = runner.invoke(app, ["run", str(_trace_case(tmp_path / "t", "t", "1e-10", "1e9")),
                               "--out", str(out)])
    assert done.exit_code == 1, done.output
    text = " ".join(done.output.split())
    assert ("mode_flows.csv amount_per_unit, modes.csv, units.csv capacity_k_per_yr: "
            "coefficient 1e-10 of balance.commodity(plant,tar,p1) x "
            "conversion.activity(cdu,run,p1) is at most 1e-09 in magnitude, which HiGHS "
            "drops as 0") in text
    assert "smaller unit (kg for t" in text
    assert not out.exists() or not any(out.iterdir())
    done = runner.invoke(app, ["run", str(tmp_path / "t"), "--out", str(out), "--solver",
                               "highs"])  # HiGHS through Pyomo: read 0 likewise
    assert done.exit_code == 1, done.output
    res = solve_case(_trace_case(tmp_path / "kg", "kg", "1e-7", "1e6"))
    assert res.objective == pytest.approx(0.05, rel=1e-9)
    assert value(res["activity"], mode="run")["activity_k_per_yr"] == pytest.approx(1000)
    done = runner.invoke(app, ["run", str(_trace_case(tmp_path / "m3", "m3", "1e15", "1e-9")),
                               "--out", str(out)])
    assert done.exit_code == 1, done.output
    assert "1e+15 or more in magnitude, beyond what HiGHS accepts" in " ".join(
        done.output.split())
    harmless = write_case(tmp_path / "h", {
        "commodities": "commodity,unit,kind\ncrude,t,raw\nlight,t,product\ntar,t,product",
        "sites": "site\nplant", "modes": "mode,process\nrun,cdu",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,crude,in,1\n"
                      "run,light,out,1\nrun,tar,out,1e-10",
        "units": "unit,site,process,capacity_k_per_yr\ncdu,plant,cdu,500",
        "supplies": "site,commodity,cost_usd_per_unit\nplant,crude,0.05",
        "markets": "site,commodity,price_usd_per_unit\nplant,light,1\nplant,tar,1"})
    assert solve_case(harmless).objective == pytest.approx(0.475, rel=1e-9)


def test_a_tiny_usable_share_of_a_period_is_no_reason_to_refuse(tmp_path):
    """At r = 99.9 % over one 40-year period (2026-2065), a build started in 2026 with a
    39-year lead time is usable in 2065 only: its share of the period's capacity is
    d(2065) / w = 1.999^-39 / sum_{k<40} 1.999^-k = 9.3e-13, a matrix coefficient HiGHS
    drops. It does not matter: the build (1 USD per t/yr spent 1/39 a year over
    2026-2064, PV (1/39) sum_{k<39} 1.999^-k = 0.0513) earns 100 x 1.999^-39 = 1.8e-10
    USD per t/yr and is not built, so the plan is the same with or without it:
    objective 0, no build."""
    folder = write_case(tmp_path, {
        "commodities": "commodity,unit,kind\ncrude,t,raw\nlight,t,product",
        "sites": "site\nplant", "modes": "mode,process\nrun,cdu",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,crude,in,1\n"
                      "run,light,out,1",
        "units": "unit,site,process,capacity_k_per_yr,capex_usd_per_unit_yr,max_new_k_per_yr,"
                 "lifetime_yr,lead_time_yr\ncdu,plant,cdu,0,1,10,25,39",
        "supplies": "site,commodity,cost_usd_per_unit\nplant,crude,100",
        "markets": "site,commodity,price_usd_per_unit\nplant,light,200"},
        discount_rate=0.999, periods=[{"period": "p1", "start_year": 2026, "length_yr": 40}])
    res = solve_case(folder)
    assert res.objective == 0.0
    assert res["investments"].empty


def test_a_cost_highs_would_take_as_infinite_is_refused(tmp_path):
    """Tar at 1e25 USD/t: its sales column's objective coefficient is 1e25 x 1000 t/kt
    / 1e6 = 1e22 MUSD per kt, beyond HiGHS's infinite_cost (1e20). The run stopped with
    "HiGHS stopped with status 'Unknown' ...; raise --time-limit" (exit 4), which no time
    limit helps; then exit 1 named the column's coefficient; now validation refuses the
    price at its cell, a number beyond 1e15 (exit 1). The model's own check stays behind
    it (a coefficient can grow past the cells, through a currency or a unit)."""
    done = runner.invoke(app, ["run", str(_trace_case(tmp_path / "c", "t", "1", "1e25")),
                               "--out", str(tmp_path / "res")])
    assert done.exit_code == 1, done.output
    assert ("markets.csv row 2, column price_usd_per_unit: must be at most 1e+15 in size "
            "(found '1e25')") in " ".join(done.output.split())


runner = CliRunner()


def test_cli_run_then_explain_saved_results(tmp_path):
    folder = write_case(tmp_path / "case", REFINERY)
    done = runner.invoke(app, ["run", str(folder), "--out", str(tmp_path / "res"),
                               "--name", "r"])
    assert done.exit_code == 0, done.output
    res = Results.load(tmp_path / "res" / "r")
    assert {"constraints", "reduced_costs", "ranging", "coefficient_ranges"} <= set(res.tables)
    assert res.manifest["insight"]["binding_constraints"] == 1
    done = runner.invoke(app, ["explain", str(tmp_path / "res" / "r")])
    assert done.exit_code == 0, done.output
    assert "capacity of unit cdu1 binds in p1: each extra t/yr is worth 130 USD per t a " \
           "year" in done.output
    assert "  light (USD per t):\n    sold at plant for 300" in done.output
    done = runner.invoke(app, ["explain", str(tmp_path / "res" / "r"), "--ranging"])
    assert done.exit_code == 0, done.output
    assert ("supply cost of crude at plant in p1: 100 USD per t, plan holds at least "
            "for [-inf, 230]") in done.output


def test_cli_infeasible_run_points_to_explain_which_names_the_conflict(tmp_path):
    """explain names the conflict and suggests the elastic relaxation with the case's own
    argument (it said `chainopt explain CASE --elastic`, and said so again when --elastic
    was given)."""
    folder = _infeasible(tmp_path)
    done = runner.invoke(app, ["run", str(folder), "--out", str(tmp_path / "res")])
    assert done.exit_code == 3
    assert "chainopt explain" in " ".join(done.output.split())
    done = runner.invoke(app, ["explain", str(folder)])
    assert done.exit_code == 0, done.output
    assert (f"Run `chainopt explain {folder} --elastic` for the smallest relaxation"
            in " ".join(done.output.split()))
    done = runner.invoke(app, ["explain", str(folder), "--elastic"])
    assert done.exit_code == 0, done.output
    assert "demand floor for light at mkt in p1 (>= 50 k t/yr, markets.csv row 2)" in \
        " ".join(done.output.split())
    assert "from 50 to 20" in done.output
    assert "--elastic` for the smallest" not in " ".join(done.output.split())


def test_cli_export(tmp_path):
    folder = write_case(tmp_path / "case", REFINERY)
    done = runner.invoke(app, ["export", str(folder), "--lp", str(tmp_path / "m.lp"),
                               "--ranges"])
    assert done.exit_code == 0, done.output
    assert (tmp_path / "m.lp").is_file()
    assert "Coefficient ranges" in done.output
    done = runner.invoke(app, ["export", str(folder), "--lp", str(tmp_path / "m.txt")])
    assert done.exit_code == 2


def test_export_ranges_alone_writes_no_file_and_prints_the_report(tmp_path):
    """``chainopt export CASE --ranges`` (the README's numerics check) asks for no MPS or
    LP file. Crude bought at a, made into light 2 t for 1 by unit u, sold at a: the
    matrix holds 1 (purchase and sales in their balances, light made, the capacity row)
    and 2 (crude used per unit of activity, in the crude balance): ratio 2. It crashed
    with a traceback (IndexError) once the files went through write_files, which renamed
    the first of no files; now exit 0 with the report and no file written. Each end
    names the input behind it, as the README says (it printed only the row and column):
    the 2 is an amount_per_unit of mode_flows.csv."""
    folder = write_case(tmp_path / "case", {
        "commodities": "commodity,unit,kind\ncrude,t,raw\nlight,t,product",
        "sites": "site\na",
        "modes": "mode,process\nrun,p",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,crude,in,2\n"
                      "run,light,out,1",
        "units": "unit,site,process,capacity_k_per_yr\nu,a,p,10",
        "supplies": "site,commodity,cost_usd_per_unit\na,crude,100",
        "markets": "site,commodity,price_usd_per_unit\na,light,300"})
    before = sorted(tmp_path.rglob("*"))
    done = runner.invoke(app, ["export", str(folder), "--ranges"])
    assert done.exit_code == 0, done.output
    text = " ".join(done.output.split())
    assert "matrix: 1 (" in text, text
    assert (".. 2 (balance.commodity(a,crude,p1) x conversion.activity(u,run,p1); from "
            "mode_flows.csv amount_per_unit, modes.csv, units.csv capacity_k_per_yr), ratio 2"
            ) in text, text
    assert "model written" not in text
    assert sorted(tmp_path.rglob("*")) == before


def test_export_replaces_a_file_only_when_asked_and_never_leaves_half_of_one(
        tmp_path, monkeypatch):
    """An existing m.lp (the user's notes) is refused without --overwrite (exit 1, kept
    as it was; it was silently replaced) and replaced with it. An export cut short while
    HiGHS writes (here after one line, by Ctrl-C) leaves neither a partial file (it left
    'NAME partial') nor a changed old one."""
    folder = write_case(tmp_path / "case", REFINERY)
    target = tmp_path / "m.lp"
    target.write_text("my notes\n")
    done = runner.invoke(app, ["export", str(folder), "--lp", str(target)])
    assert done.exit_code == 1
    assert "pass --overwrite" in " ".join(done.output.split())
    assert target.read_text() == "my notes\n"
    done = runner.invoke(app, ["export", str(folder), "--lp", str(target), "--overwrite"])
    assert done.exit_code == 0, done.output
    assert "File written by HiGHS" in target.read_text()

    class CutShort:
        def writeModel(self, path):
            with open(path, "w") as f:
                f.write("NAME partial\n")
            raise KeyboardInterrupt

    import chainopt.diagnose.export as export

    monkeypatch.setattr(export, "named_highs", lambda built: CutShort())
    target.write_text("my notes\n")
    with pytest.raises(KeyboardInterrupt):
        api.export(folder, mps=tmp_path / "new.mps")
    with pytest.raises(KeyboardInterrupt):
        api.export(folder, lp=target, overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case", "m.lp"]
    assert target.read_text() == "my notes\n"



def test_export_writes_its_mps_and_lp_files_both_or_neither(tmp_path, monkeypatch):
    """--mps m.mps --lp m.lp where HiGHS cannot write the LP file: m.mps was left
    complete beside no m.lp (exit 4), a pair that is not one export's; with both files
    there (--overwrite), the new m.mps replaced the old beside the old m.lp. Now neither
    is written and the old pair stays as it was. So too when the LP's rename fails after
    the MPS's: the MPS replaced is put back."""

    import chainopt.atomic as atomic
    import chainopt.diagnose.export as export

    folder = write_case(tmp_path / "case", REFINERY)
    real = export.named_highs

    class NoLp:
        def __init__(self, built):
            self.h = real(built)

        def writeModel(self, path):
            return highspy.HighsStatus.kError if path.endswith(".lp") else \
                self.h.writeModel(path)

    monkeypatch.setattr(export, "named_highs", NoLp)
    out = tmp_path / "out"
    out.mkdir()
    mps, lp = out / "m.mps", out / "m.lp"
    done = runner.invoke(app, ["export", str(folder), "--mps", str(mps), "--lp", str(lp)])
    assert done.exit_code == 4, done.output
    assert "HiGHS could not write the model" in done.output
    assert sorted(p.name for p in out.iterdir()) == []
    mps.write_text("old mps\n")
    lp.write_text("old lp\n")
    with pytest.raises(SolverError):
        api.export(folder, mps=mps, lp=lp, overwrite=True)
    assert (mps.read_text(), lp.read_text()) == ("old mps\n", "old lp\n")
    assert sorted(p.name for p in out.iterdir()) == ["m.lp", "m.mps"]
    monkeypatch.setattr(export, "named_highs", real)
    replace = atomic.os.replace

    def lp_rename_fails(src, dst):
        if str(dst).endswith(".lp") and str(src).endswith(".tmp.lp"):
            raise OSError(28, "No space left on device")
        return replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", lp_rename_fails)
    with pytest.raises(OutputError, match="No space left on device"):
        api.export(folder, mps=mps, lp=lp, overwrite=True)
    monkeypatch.setattr(atomic.os, "replace", replace)
    assert (mps.read_text(), lp.read_text()) == ("old mps\n", "old lp\n")
    assert sorted(p.name for p in out.iterdir()) == ["m.lp", "m.mps"]
    api.export(folder, mps=mps, lp=lp, overwrite=True)
    assert mps.read_text().startswith("* chainopt:") and "File written by HiGHS" in lp.read_text()

def test_mip_marginal_values_and_ranging_come_from_the_fixed_lp():
    """The petchem_investment example is a MIP (fixed charges, minimum sizes): ranging
    is computed on the LP with the integer decisions fixed, and the objective of that
    LP equals the MIP's."""
    from pathlib import Path

    from chainopt import api

    case = Path(__file__).resolve().parents[1] / "examples" / "petchem_investment"
    res = api.run(case, save=False)
    assert res.manifest["is_mip"]
    assert res.manifest["insight"]["ranging_source"] == "fixed_lp"
    r = res["ranging"]
    assert len(r[r["kind"] == "cost"]) > 0
    # every cost interval contains the current value
    cost = r[r["kind"] == "cost"]
    assert ((cost["lower"] <= cost["value"] + 1e-6) & (cost["value"] <= cost["upper"] + 1e-6)).all()


def test_report_side_imports_no_solver():
    import subprocess
    import sys

    code = ("import sys, chainopt.report.explain; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('pyomo', 'highspy') "
            "or m in ('chainopt.api', 'chainopt.cli', 'chainopt.diagnose')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_unused_mode_needs_the_margin_gap(tmp_path):
    """cdu1 (8 kt/yr) runs 'run' (margin 130 per t crude, as in the refinery) or 'lite':
    1 t crude -> 0.8 t heavy, margin 0.8*200 - 100 = 60 USD. The capacity is worth 130,
    so 'lite' would need 130 - 60 = 70 USD per unit more margin before it is used."""
    tables = dict(REFINERY)
    tables["modes"] = "mode,process,variable_cost_usd_per_unit\nrun,cdu,10\nlite,cdu,0"
    tables["mode_flows"] = REFINERY["mode_flows"] + "\n  lite,crude,in,1\n  lite,heavy,out,0.8"
    res = solve_case(write_case(tmp_path, tables))
    rc = res["reduced_costs"]
    lite = rc[(rc["family"] == "conversion.activity") & rc["key"].str.contains("mode=lite")]
    assert lite["improvement_needed"].iloc[0] == pytest.approx(70)
    line = ex.almost_lines(rc)[0]
    assert line.startswith("mode lite of unit cdu1: unused in p1; its margin must improve by "
                           "70")
    assert " a year" not in line  # a margin per unit made, not a yearly value


def _unit_pe_from_p2() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The constraints and capacity tables of unit pe, built for p2 (no capacity in p1,
    100 kt/yr in p2): its p1 row worth 740 USD per t a year, its p2 row 20."""
    cons = pd.DataFrame({"family": "conversion.capacity_max", "kind": "row",
                         "key": ["unit=pe, period=p1", "unit=pe, period=p2"],
                         "period": ["p1", "p2"], "side": "upper",
                         "marginal_value": [740.0, 20.0], "value_unit": "USD per t",
                         "quantity_unit": "t"})
    cap = pd.DataFrame({"kind": "unit", "name": "pe", "period": ["p1", "p2"],
                        "total_k_per_yr": [0.0, 100.0]})
    return cons, cap


def test_a_unit_not_yet_built_is_worth_so_much_per_t_a_year():
    """Unit pe is built for p2 (no capacity in p1); its p1 capacity row has a marginal
    value of 740 USD per t a year. Explain said 'one unit there would be worth 740 USD
    per t a year', 'unit' as in unit pe; now in the capacity's unit as a binding line
    says it ('each extra t/yr'): 'one t/yr there would be worth 740 USD per t a year'."""
    cons, cap = _unit_pe_from_p2()
    assert ex.binding_lines(cons, ["p1", "p2"], capacity=cap) == [
        "capacity of unit pe binds in p2: each extra t/yr is worth 20 USD per t a year",
        "capacity of unit pe: not available until p2 (no capacity in p1; one t/yr there "
        "would be worth 740 USD per t a year)"]


def test_a_capacity_of_zero_is_worth_the_margin_it_would_earn_in_a_mip(tmp_path):
    """A forced all-or-nothing project (a MIP) brings unit u (10 t/yr) from p2 to the end
    of its 3-year life in p2; in p1 and p3 u has no capacity. By hand, one t/yr of it in
    p1 would turn 1 t of feed bought at 100 USD/t into 1 t of product sold at 400: worth
    400 - 100 = 300 USD per t a year, and feed is worth its price, 100, where it is
    bought. At this degenerate optimum (nothing is bought or made in p1) HiGHS's fixed-LP
    solve reported the other end of the interval, 400 (feed worth 0), in constraints.csv
    and explain ('would be worth 400'), while the ranging table, from a second solve of
    the fixed LP, said 300: two marginal values for one row. Now every table takes the
    duals of the LP ranged: 300 in constraints, ranging and explain, feed 100."""
    case = write_case(tmp_path / "b", {
        **FEED_TO_PRODUCT,
        "units": "unit,site,process,capacity_k_per_yr,fixed_om_usd_per_unit_yr,project\n"
                 "u,plant,make,10,20,pj",
        "projects": "project,capex_musd,earliest_period,lifetime_yr,lead_time_yr,"
                    "all_or_nothing,state,forced_period,ramp_up\npj,10,p2,3,1,true,forced,p2,"
                    "0.5",
    }, base_year=2025, cash_flow_timing="mid", discount_rate=0.1,
        periods=[{"period": "p1", "start_year": 2026, "length_yr": 3},
                 {"period": "p2", "start_year": 2029, "length_yr": 4},
                 {"period": "p3", "start_year": 2033, "length_yr": 3}],
        solver={"mip_gap": 1e-9})
    res = solve_case(case)
    assert res.manifest["is_mip"]
    cons = res["constraints"].set_index("key")["marginal_value"]
    rng = res["ranging"]
    rng = rng[rng["family"] == "conversion.capacity_max"].set_index("key")["marginal_value"]
    for p in ("p1", "p2", "p3"):
        assert cons[f"unit=u, period={p}"] == pytest.approx(300)
        assert rng[f"unit=u, period={p}"] == pytest.approx(300)
    feed = res["balances"][res["balances"]["commodity"] == "feed"]
    assert feed["shadow_price_usd_per_unit"].tolist() == pytest.approx([100, 100, 100])
    lines = ex.binding_lines(res["constraints"], ["p1", "p2", "p3"],
                             capacity=res["capacity"], ranging=res["ranging"])
    assert ("capacity of unit u: not available until p2 (no capacity in p1; one t/yr there "
            "would be worth 300 USD per t a year)") in lines


def test_a_capacity_of_zero_whose_value_holds_only_for_less_room_is_at_most_it():
    """Unit pe has no capacity in p1, its row's marginal value 740 USD per t a year; the
    ranging table says that value holds only for less room (its interval's upper end is
    the bound, 0): one t/yr more is worth 740 or less (a degenerate optimum: the value of
    the first unit is the interval's other end). Explain said 'would be worth 740' as a
    fact; now 'at most 740'."""
    cons, cap = _unit_pe_from_p2()
    rng = pd.DataFrame({"kind": "bound", "family": "conversion.capacity_max",
                        "key": ["unit=pe, period=p1", "unit=pe, period=p2"],
                        "value": [0.0, 100.0], "lower": [-5.0, 90.0],
                        "upper": [0.0, 110.0]})
    assert ex.binding_lines(cons, ["p1", "p2"], capacity=cap, ranging=rng)[1] == (
        "capacity of unit pe: not available until p2 (no capacity in p1; one t/yr there "
        "would be worth at most 740 USD per t a year)")


def test_explain_of_a_scenario_names_it_as_run_does():
    """Three scenarios on ru_eastwest, explained one after the other, all began
    'ru_eastwest: optimal, objective ...', their case's name, while run's summary said
    'proposal_x (scenario on ru_eastwest)'. Now explain says it as run does; a case
    alone keeps its name. 7,797.2 MUSD reads 7,797.2, as run's summary and the reports
    write it (explain wrote it whole, 7,797)."""
    m = {"case": "small_chain", "scenario": "small_port_expansion", "status": "optimal",
         "objective": 7797.2}
    assert ex.why_lines({}, m)[0] == ("small_port_expansion (scenario on small_chain): "
                                      "optimal, objective 7,797.2 MUSD (NPV)")
    assert ex.why_lines({}, dict(m, scenario=None))[0] == ("small_chain: optimal, objective "
                                                           "7,797.2 MUSD (NPV)")


def test_a_near_miss_names_the_periods_it_is_unused_in():
    """Mode homo of unit pp runs in p1 and p4 and stands idle in p2 and p3 (its rows in
    reduced_costs, the columns at 0), where its margin is 1.27 short; explain said
    'unused; ... (closest in p2)', which the netback of p1 ('made ... by mode homo')
    contradicts. Now 'unused in p2-p3'. Mode lite idles in p1-p4, 3 short in p2 and 5
    elsewhere: 'by 3 to 5 USD per t (least in p2)'. Mode tie idles in p1 and p3 at no
    loss in p3 only: 'unused in p1, p3 ... (a tie in p3)'."""
    keys = [("lite", "p1", 5.0), ("tie", "p1", 2.0), ("homo", "p2", 1.27), ("lite", "p2", 3.0),
            ("homo", "p3", 1.27), ("lite", "p3", 5.0), ("tie", "p3", 0.0), ("lite", "p4", 5.0)]
    rc = pd.DataFrame({"family": "conversion.activity",
                       "key": [f"unit=pp, mode={m}, period={p}" for m, p, _ in keys],
                       "period": [p for _, p, _ in keys],
                       "improvement_needed": [x for _, _, x in keys],
                       "value_unit": "USD per t", "quantity_unit": "t"})
    assert ex.almost_lines(rc) == [
        "mode tie of unit pp: unused in p1, p3, though as good as the modes in use (a tie "
        "in p3)",
        "mode homo of unit pp: unused in p2-p3; its margin must improve by 1.27 USD per t",
        "mode lite of unit pp: unused in p1-p4; its margin must improve by 3 to 5 USD per t "
        "(least in p2)"]


def test_independent_conflicts_are_each_named(tmp_path):
    """Two markets, each short on its own: west's cdu_w takes at most 40 kt/yr of crude
    at a yield of 0.5, 20 kt/yr of light against a hard floor of 50; east's cdu_e 30 ->
    15 against 20. No flow links them, so these are two conflicts: relaxing either pair
    leaves the other. Explain named one (east's) as if it were the only one; now both,
    each with its capacity, floor and balance, and says that without them the case is
    feasible. With at most one conflict sought, it says there may be more."""
    folder = write_case(tmp_path / "two", {
        "commodities": COMMODITIES, "sites": "site\nwest\neast",
        "modes": "mode,process\nrun,cdu",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,crude,in,1\n"
                      "run,light,out,0.5",
        "units": "unit,site,process,capacity_k_per_yr\ncdu_w,west,cdu,40\ncdu_e,east,cdu,30",
        "supplies": "site,commodity,cost_usd_per_unit\nwest,crude,100\neast,crude,100",
        "markets": "site,commodity,price_usd_per_unit,min_k_per_yr\n"
                   "west,light,300,50\neast,light,300,20",
    }, demand_floors="hard")
    d = diagnose.diagnose(build(load_case(folder), pyomo=False))
    assert d.status == "infeasible" and d.complete
    by = {k: sorted(zip(g["family"], g["key"].str.extract(r"(west|east|cdu_w|cdu_e)")[0],
                        strict=True))
          for k, g in d.members.groupby("conflict")}
    assert sorted(by.values()) == [
        [("balance.commodity", "east"), ("conversion.capacity_max", "cdu_e"),
         ("market.demand_min", "east")],
        [("balance.commodity", "west"), ("conversion.capacity_max", "cdu_w"),
         ("market.demand_min", "west")]]
    text = "\n".join(ex.infeasible_lines(d.members, d.method, d.complete))
    assert text.startswith("The case is infeasible: 2 conflicts")
    for line in ("capacity of unit cdu_w in p1 (<= 40 k t/yr, units.csv row 2)",
                 "demand floor for light at west in p1 (>= 50 k t/yr, markets.csv row 2)",
                 "capacity of unit cdu_e in p1 (<= 30 k t/yr, units.csv row 3)",
                 "demand floor for light at east in p1 (>= 20 k t/yr, markets.csv row 3)"):
        assert line in text
    assert "no other conflict is left" in text
    one, method, complete = diagnose.infeasible_subsets(build(load_case(folder), pyomo=False),
                                                        limit=1)
    assert set(one["conflict"]) == {1} and not complete
    assert "There may be more conflicts than the 1 shown" in "\n".join(
        ex.infeasible_lines(one, method, complete))


def test_family_deletion_filter_fallback(tmp_path):
    """Without HiGHS's IIS: dropping whole families while the case stays infeasible
    leaves the capacities, the demand floors and the balances that link them."""
    built = build(load_case(_infeasible(tmp_path)), pyomo=False)
    fams = _family_filter(built)
    assert set(fams["family"]) == {"conversion.capacity_max", "market.demand_min",
                                   "balance.commodity"}
    assert "the constraints of family market.demand_min (some of them)" in "\n".join(
        ex.infeasible_lines(fams, "deletion filter"))


def test_user_constraint_value(tmp_path):
    """premium >= 0.4 x regular, 100 kt/yr of feed (100 USD/t) shared; regular sells at
    200 (margin 100), premium at 150 (margin 50). With λ the value of feed and μ that
    of the relation: regular 100 = λ + 0.4 μ, premium 50 = λ - μ -> μ = 50 / 1.4 =
    35.71 USD per t/yr of relaxation (premium - 0.4 regular >= -1), λ = 85.71."""
    res = solve_case(write_case(tmp_path, {
        "commodities": "commodity,unit,kind\nfeed,t,raw\nregular,t,product\npremium,t,product",
        "sites": "site\nplant",
        "modes": "mode,process\nmake_regular,reg\nmake_premium,prem",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nmake_regular,feed,in,1\n"
                      "make_regular,regular,out,1\nmake_premium,feed,in,1\n"
                      "make_premium,premium,out,1",
        "units": "unit,site,process,capacity_k_per_yr\nu_reg,plant,reg,100\n"
                 "u_prem,plant,prem,100",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\nplant,feed,100,100",
        "markets": "site,commodity,price_usd_per_unit\nplant,regular,200\nplant,premium,150",
        "constraints": "constraint,sense,rhs\npremium_share,>=,0",
        "constraint_terms": "constraint,term,quantity,coef,commodity\n"
                            "premium_share,1,production,1,premium\n"
                            "premium_share,2,production,-0.4,regular",
    }))
    rel = _constraint(res, "user.relation", constraint="premium_share")
    assert rel["marginal_value"] == pytest.approx(50 / 1.4)
    feed = _constraint(res, "supply.purchase", commodity="feed")
    assert feed["marginal_value"] == pytest.approx(100 - 0.4 * 50 / 1.4)
    lines = ex.binding_lines(res["constraints"], ["p1"])
    assert lines[1] == ("user constraint premium_share binds in p1: each t/yr lower is "
                        "worth 35.71 USD per t a year")


def test_cli_explain_unbounded_and_feasible_cases(tmp_path):
    done = runner.invoke(app, ["run", str(_unbounded(tmp_path)), "--out", str(tmp_path / "r")])
    assert done.exit_code == 3
    done = runner.invoke(app, ["explain", str(_unbounded(tmp_path))])
    assert done.exit_code == 0, done.output
    assert "supply of crude at a in p1: 1,000,000,000 k t/yr (at the artificial bound)" \
        in done.output
    assert "Missing bound" in done.output
    done = runner.invoke(app, ["explain", str(write_case(tmp_path / "ok", REFINERY))])
    assert done.exit_code == 0 and "solves" in done.output


def test_released_solver_gives_the_same_insight_tables():
    """The default case's insight tables are the same whether the solve's HiGHS instance is
    kept (sweeps) or dropped for a fresh one holding its basis (``chainopt run``)."""
    tables = {}
    for release in (False, True):
        built = api.build_model(load_case("ru_eastwest"))
        res = api.extract_results(built, api.solve(built), release_solver=release)
        assert (built.solver is None) == release
        tables[release] = res
    assert len(tables[True]["ranging"]) > 100
    for name in ("ranging", "constraints", "reduced_costs", "coefficient_ranges"):
        pd.testing.assert_frame_equal(tables[False][name], tables[True][name])


@pytest.mark.parametrize("source", ["ru_eastwest", "refinery"])
def test_basic_masks_are_the_basis_statuses(tmp_path, source):
    """The basic rows and columns read from HiGHS's list of basic variables are exactly
    those whose basis status is ``kBasic`` (the statuses listed one by one), and there
    are as many as rows: on the default case and on the refinery."""
    folder = "ru_eastwest" if source == "ru_eastwest" else write_case(tmp_path, REFINERY)
    built = api.build_model(load_case(folder))
    api.solve(built)
    rows, cols = basic_masks(built.solver, built.num_rows, built.num_vars)
    b = built.solver.getBasis()
    basic = highspy.HighsBasisStatus.kBasic
    assert rows.tolist() == [s == basic for s in b.row_status]
    assert cols.tolist() == [s == basic for s in b.col_status]
    assert rows.sum() + cols.sum() == built.num_rows
    if source == "refinery":  # by hand, from the plan: cdu1 runs at its capacity of 8
        # a column strictly between its bounds is basic: the activity (8 in [0, inf)) and
        # the crude bought (8 in [0, 10]); a row with a nonzero dual is not: the
        # capacity (value 130 per t)
        for label, basic_expected, mask in (("conversion.activity", True, cols),
                                            ("supply.purchase", True, cols),
                                            ("conversion.capacity_max", False, rows)):
            fam = built.lp.family(label)
            assert fam.stop > fam.start
            assert (mask[fam.start:fam.stop] == basic_expected).all(), label


def test_basic_masks_without_a_list_of_basic_variables_read_the_statuses(tmp_path):
    """When HiGHS cannot list its basic variables (no factored basis), the masks come from
    the basis statuses, the same ones."""
    built = api.build_model(load_case(write_case(tmp_path, REFINERY)))
    api.solve(built)
    listed = basic_masks(built.solver, built.num_rows, built.num_vars)

    class Unlisted:  # the instance, with the list refused
        def __init__(self, h):
            self.h = h

        def getBasicVariables(self):
            return highspy.HighsStatus.kError, np.zeros(0, dtype=np.int32)

        def getBasis(self):
            return self.h.getBasis()

    read = basic_masks(Unlisted(built.solver), built.num_rows, built.num_vars)
    assert [m.tolist() for m in read] == [m.tolist() for m in listed]


def test_coded_text_selects_like_the_plain_column():
    """A ``Coded`` column gives, for any mask or slice, the strings the plain column does."""
    plain = np.array(["p2026", "p2031", "p2026", "", "p2041", "p2031"], dtype=object)
    coded = names.Coded(plain)
    assert len(coded) == 6 and len(coded.values) == 4
    for mask in (np.array([1, 0, 1, 1, 0, 1], dtype=bool), slice(None), slice(2, 4)):
        assert list(coded[mask]) == list(plain[mask])
    spread = names.Coded(np.array(["a", "a"], dtype=object), np.array([0, 1, 1, 0]))
    assert list(spread[slice(None)]) == ["a"] * 4 and len(spread.values) == 1


@pytest.mark.parametrize("source", ["ru_eastwest", "examples/petchem_investment"])
def test_text_made_during_the_solve_is_all_the_insight_tables_use(source, monkeypatch):
    """``prepare_text`` (run on the free core while HiGHS solves) makes the text of every
    family and unit the insight tables then ask for, so they make none themselves; and
    the tables are the same as when each makes its own text (a MIP's come from its
    fixed LP)."""
    from pathlib import Path

    from chainopt.diagnose.insight import prepare_text

    root = Path(__file__).resolve().parents[1]
    src = root / source if "/" in source else source
    tables = {}
    for ahead in (False, True):
        KEPT.clear()  # a model of its own: none of the text the other one made
        built = api.build_model(load_case(src))
        if ahead:
            prepare_text(built)
            made = set(built.derived["element_text"])
            asked: list = []
            real = names.element_text

            def spy(b, fam, unit, real=real, asked=asked):
                asked.append((fam.label, unit))
                return real(b, fam, unit)

            monkeypatch.setattr(diagnose.insight, "element_text", spy)
        res = api.extract_results(built, api.solve(built), release_solver=True)
        if ahead:
            assert set(built.derived["element_text"]) == made  # nothing new was made
            assert asked and set(asked) <= made
            assert any(unit == diagnose.insight.COST_UNIT for _, unit in asked)
        tables[ahead] = res
    for name in ("ranging", "constraints", "reduced_costs"):
        assert len(tables[True][name]) > 0
        pd.testing.assert_frame_equal(tables[False][name], tables[True][name])


def test_a_value_that_holds_only_for_less_room_is_said_so(tmp_path):
    """small_chain's PE plant (600 kt/yr, availability 0.9, fixed O&M 40 USD per t/yr)
    binds in p2026 at 301 USD per t a year, but HiGHS's ranging says that value holds
    only below 600 (a degenerate optimum). A re-solve with 1 kt/yr more in p2026 earns
    far less: rent = ΔNPV x 1000 / w_p2026 + 40 (the extra capacity's own fixed O&M) is
    about 150 USD per t a year, not 301. explain says so instead of "each extra t/yr is
    worth 301"; the cdu's 25.47, which holds both ways, gets no note."""
    from chainopt.report import economics

    base = api.run("small_chain", save=False)
    order = [str(p) for p in base.manifest["periods"]]
    lines = ex.binding_lines(base["constraints"], order, ranging=base["ranging"])
    pe = next(x for x in lines if "unit tob_pe" in x)
    cdu = next(x for x in lines if "unit tob_cdu" in x)
    # in the capacity's unit: 'one unit more' read as one more process unit
    assert pe.endswith("worth 301 USD per t a year (only for less room: one t/yr more is "
                       "worth less)"), pe
    assert "only for less room" not in cdu, cdu
    more = tmp_path / "more.yaml"
    more.write_text("description: 1 kt/yr more PE capacity in p2026\nbase: small_chain\n"
                    "changes:\n  - {table: units, where: {unit: tob_pe}, period: p2026, "
                    "add: {capacity_k_per_yr: 1}}\n")
    w = economics.period_table(base).set_index("period").loc["p2026", "weight"]
    rent = (api.run(more, save=False).objective - base.objective) * 1000 / w + 40
    assert 0 < rent < 301 - 100


def test_capacity_of_a_unit_with_capacity_use_is_in_capacity_units(tmp_path):
    """small_chain's cracker with capacity_use 2 (one t of feed uses 2 capacity units):
    its capacity's value is per capacity unit, not "per t" (a planner comparing it with a
    capex per t of feed capacity would be off by 2). The cdu keeps its t."""
    sc = tmp_path / "cu2.yaml"
    sc.write_text("description: x\nbase: small_chain\nchanges:\n"
                  "  - {table: modes, where: {process: cracker}, set: {capacity_use: 2}}\n"
                  "  - {table: units, where: {unit: tob_cracker}, "
                  "set: {capacity_k_per_yr: 900}}\n")
    c = api.run(sc, save=False)["constraints"]
    cap = c[c["family"] == "conversion.capacity_max"].set_index("key")
    cracker = cap.loc["unit=tob_cracker, period=p2026"]
    assert (cracker["quantity_unit"], cracker["value_unit"]) == (
        "capacity unit", "USD per capacity unit")
    assert cap.loc["unit=tob_cdu, period=p2026", "value_unit"] == "USD per t"


def test_netback_legs_show_losses_and_capacity_rent():
    """A netback step is value there x delivered share - transport - rent: small_chain's
    sales gas, 56 at ru_dom, 1 % lost on the grid, 8 transport: 56 x 0.99 - 8 = 47.44 at
    tobolsk. A full link whose capacity is worth 12 (ru_eastwest's wsib_ustluga_bps:
    crude worth 460 at the port, 28 transport, 420 at the field) keeps 12 as its rent;
    12 left on a link whose capacity is worth nothing is not its rent. Sales gas is
    counted in 1000m3 (commodities.csv), diesel in t: each commodity's values are said
    per its unit ('sales_gas (USD per 1000m3):'), not only 'USD per unit' for all (no
    constraint names diesel: its unit comes from its price's ranging row)."""
    from types import SimpleNamespace

    res = api.run("small_chain", save=False)
    lines = ex.netback_lines(res.tables, "p2026")
    gas = _netback(lines, "sales_gas")
    assert "    back: 47.44 at tobolsk (via gas_grid to ru_dom, 8 transport, 1 % lost)" in gas
    assert gas[0] == "  sales_gas (USD per 1000m3):"
    assert "  diesel (USD per t):" in lines
    leg = SimpleNamespace(flow_k_per_yr=100.0, delivered_k_per_yr=100.0,
                          cost_usd_per_unit=28.0)
    full = ex.LinkValues(capacity_rent=12.0)
    assert ex._leg(leg, 460.0, 420.0, full) == "28 transport, 12 capacity rent"
    assert ex._leg(leg, 460.0, 420.0, ex.LinkValues()) == "28 transport, 12 other limits"
    assert ex._leg(leg, 448.0, 420.0, ex.LinkValues()) == "28 transport"


def test_elastic_says_when_nothing_it_may_relax_helps_and_which_way(tmp_path):
    """A sulfur maximum of 20 and an octane minimum of 97 that components of (50, 100)
    and (10, 90) cannot meet together (sulfur needs 3/4 of c2, octane 7/10 of c1),
    against a user constraint pet >= 10: none may be relaxed, so --elastic must say it
    cannot help.
    It printed "lower the demand floor for c1 ... (by 5)" and "lower the user constraint
    min_pet ... (by 10)", read off HiGHS's infeasible point. A hard demand of 10 behind a
    link of 8 losing half: lower it to 4 (it said "raise ... from 10 to 4")."""
    c = "commodity,unit,kind\nc1,t,raw\nc2,t,raw\npet,t,product"
    spec = write_case(tmp_path / "spec", {
        "commodities": c, "sites": "site\na",
        "supplies": "site,commodity,cost_usd_per_unit\na,c1,100\na,c2,120",
        "blends": "blend,site,product,components,basis\nb,a,pet,c1;c2,mass",
        "qualities": "commodity,property,value\nc1,sulfur,50\nc2,sulfur,10\n"
                     "c1,octane,100\nc2,octane,90",
        "specs": "commodity,property,min_value,max_value\npet,sulfur,,20\npet,octane,97,",
        "markets": "site,commodity,price_usd_per_unit,min_k_per_yr,max_k_per_yr\n"
                   "a,pet,300,,\na,c1,150,5,100",  # capped: c1 bought at 100 is no pump
        "constraints": "constraint,sense,rhs\nmin_pet,>=,10",
        "constraint_terms": "constraint,term,quantity,coef,commodity\nmin_pet,1,production,1,pet",
    }, demand_floors="hard")
    text = "\n".join(api.explain(spec, elastic=True))
    assert "cannot make this case feasible" in text and "lower the" not in text, text
    demand = write_case(tmp_path / "demand", {
        "commodities": "commodity,unit,kind\ncrude,t,raw", "sites": "site\na\nb",
        "supplies": "site,commodity,cost_usd_per_unit\na,crude,100",
        "links": "link,from_site,to_site,commodities,cost_usd_per_unit,capacity_k_per_yr,"
                 "loss_fraction\nab,a,b,crude,10,8,0.5",
        "demand": "site,commodity,amount_k_per_yr\nb,crude,10"}, objective="cost")
    text = "\n".join(api.explain(demand, elastic=True))
    assert ("lower the demand for crude at b in p1 from 10 to 4 k t/yr (by 6; demand.csv row "
            "2)") in text, text


def test_diagnosis_speaks_of_capacity_beyond_what_a_project_brings_or_retires(tmp_path):
    """A forced project brings cdu2 (10 kt/yr of crude, yield 0.5 light); a user minimum
    of 15 kt/yr of light needs 30 of crude: cdu2 must hold 20 more than the 10 the
    project brings. A project's unit has no capacity of its own in its row (0; the
    build adds the 10), so the diagnosis said "capacity of unit cdu2 (<= 0 k t/yr)" and
    "raise ... from 0 to 20", against 10 in units.csv. Now: "at most what project renew
    brings" and "by 20 ... beyond what project renew brings", now with its number ("the
    10 k t/yr project renew brings"). The same for a link: the
    project's link pm brings 10 kt/yr, a user minimum of 15 sold at mkt needs 5 more.

    When renew also retires cdu1 (40 kt/yr) from 2026 and cdu2 is available half the
    time (5 of its 10), the 30 of crude take 25 more: on cdu1 25 units of relaxation,
    on cdu2 50 (each gives 0.5), so cdu1's row is relaxed by 25. It said "raise the
    capacity of unit cdu1 from 40 to 65", but renew retires all of a unit's
    capacity_k_per_yr, 65 as well as 40: the case stays infeasible. Now: "by 25 k t/yr
    beyond 40 k t/yr less what project renew retires"."""
    c = "commodity,unit,kind\ncrude,t,raw\nlight,t,product"
    unit = write_case(tmp_path / "unit", {
        "commodities": c, "sites": "site\nplant",
        "modes": "mode,process\nrun,cdu",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,crude,in,1\n"
                      "run,light,out,0.5",
        "units": "unit,site,process,capacity_k_per_yr,project\ncdu2,plant,cdu,10,renew",
        "projects": "project,capex_musd,state,forced_period\nrenew,1,forced,p1",
        "supplies": "site,commodity,cost_usd_per_unit\nplant,crude,100",
        "markets": "site,commodity,price_usd_per_unit\nplant,light,300",
        "constraints": "constraint,sense,rhs\nmin_light,>=,15",
        "constraint_terms": "constraint,term,quantity,coef,commodity\n"
                            "min_light,1,production,1,light"})
    text = "\n".join(api.explain(unit, elastic=True))
    assert ("capacity of unit cdu2 in p1 (at most the 10 k t/yr project renew brings, "
            "units.csv row 2)") in text, text
    assert ("raise the capacity of unit cdu2 in p1 by 20 k t/yr beyond the 10 k t/yr project "
            "renew brings (units.csv row 2)") in text, text
    assert "from 0" not in text and "<= 0" not in text
    link = write_case(tmp_path / "link", {
        "commodities": c, "sites": "site\nplant\nmkt",
        "supplies": "site,commodity,cost_usd_per_unit\nplant,light,100",
        "links": "link,from_site,to_site,commodities,capacity_k_per_yr,project\n"
                 "pm,plant,mkt,light,10,port",
        "projects": "project,capex_musd,state,forced_period\nport,1,forced,p1",
        "markets": "site,commodity,price_usd_per_unit\nmkt,light,300",
        "constraints": "constraint,sense,rhs\nmin_sales,>=,15",
        "constraint_terms": "constraint,term,quantity,coef,site\nmin_sales,1,sales,1,mkt"})
    text = "\n".join(api.explain(link, elastic=True))
    assert ("capacity of link pm in p1 (at most the 10 k t/yr project port brings, links.csv "
            "row 2)") in text, text
    assert ("raise the capacity of link pm in p1 by 5 k t/yr beyond the 10 k t/yr project "
            "port brings (links.csv row 2)") in text, text
    for f in ("units", "projects"):
        text = (unit / f"{f}.csv").read_text()
        (unit / f"{f}.csv").write_text(
            text.replace("capacity_k_per_yr,project\n", "capacity_k_per_yr,project,availability\n"
                         "cdu1,plant,cdu,40,,1\n").replace("cdu2,plant,cdu,10,renew",
                                                           "cdu2,plant,cdu,10,renew,0.5")
            .replace("forced_period\n", "forced_period,retires_units\n")
            .replace("renew,1,forced,p1", "renew,1,forced,p1,cdu1"))
    text = "\n".join(api.explain(unit, elastic=True))
    assert ("capacity of unit cdu1 in p1 (at most 40 k t/yr less what project renew "
            "retires, units.csv row 2)") in text, text
    assert ("capacity of unit cdu2 in p1 (at most the 10 k t/yr project renew brings x "
            "availability 0.5 = 5, units.csv row 3)") in text, text
    assert ("raise the capacity of unit cdu1 in p1 by 25 k t/yr beyond 40 k t/yr less what "
            "project renew retires (units.csv row 2)") in text, text


def test_diagnosis_speaks_of_the_capacity_in_units_csv_for_a_unit_that_retires(tmp_path):
    """40 kt/yr in units.csv, retiring in 2029: 3 of the 5 years, so 24 on average, below
    a user minimum of 30 (rate 0: plain shares). The diagnosis showed "<= 24" and asked
    for 30, which still fails: the stated capacity must reach 50 = 30 / 0.6."""
    folder = write_case(tmp_path, {
        "commodities": "commodity,unit,kind\ncrude,t,raw\nprod,t,product",
        "sites": "site\na", "modes": "mode,process\nrun,cdu",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,crude,in,1\n"
                      "run,prod,out,1",
        "units": "unit,site,process,capacity_k_per_yr,retire_year\nu1,a,cdu,40,2029",
        "supplies": "site,commodity,cost_usd_per_unit\na,crude,100",
        "markets": "site,commodity,price_usd_per_unit\na,prod,300",
        "constraints": "constraint,sense,rhs\nmin_prod,>=,30",
        "constraint_terms": "constraint,term,quantity,coef,commodity\n"
                            "min_prod,1,production,1,prod",
    }, periods=[{"period": "p1", "start_year": 2026, "length_yr": 5}])
    text = "\n".join(api.explain(folder, elastic=True))
    # the 24 it holds said with the 40 (review infeas F1: the number alone read as no
    # conflict beside a minimum above what the row holds)
    assert ("capacity of unit u1 in p1 (<= 40 k t/yr x 0.6 of the period in service = 24, "
            "units.csv row 2)") in text, text
    assert ("raise the capacity of unit u1 in p1 from 40 to 50 k t/yr (by 10; units.csv row "
            "2)") in text, text


def test_a_capacity_row_shows_the_use_and_the_capacity_there_is(tmp_path):
    """cdu1 (10 kt/yr, availability 0.8) makes light at a, link ab (4 kt/yr) takes it
    to b, which buys at most 12; both may expand (capex 10 USD per t/yr, 10 years at
    rate 0: 1 a year, far below the margin). So ab carries 12 on 4 + 8 new, and cdu1
    runs 12 on 10 + 5 new, 15 x 0.8 = 12 available. The capacity rows read
    ``use <= capacity``: ab 12 <= 12, cdu1 12 / 0.8 = 15 <= 15 (a unit's row counts
    available capacity, per unit of capacity). They showed the rows' own algebra,
    use - new <= existing: 4 <= 4 and 10 <= 10."""
    res = solve_case(write_case(tmp_path, {
        "commodities": COMMODITIES, "sites": "site\na\nb",
        "modes": "mode,process\nrun,cdu",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,crude,in,1\n"
                      "run,light,out,1",
        "units": "unit,site,process,capacity_k_per_yr,availability,capex_usd_per_unit_yr,"
                 "max_new_k_per_yr,lifetime_yr\ncdu1,a,cdu,10,0.8,10,100,10",
        "supplies": "site,commodity,cost_usd_per_unit\na,crude,100",
        "links": "link,from_site,to_site,commodities,capacity_k_per_yr,cost_usd_per_unit,"
                 "capex_usd_per_unit_yr,max_new_k_per_yr,lifetime_yr\nab,a,b,light,4,10,10,"
                 "100,10",
        "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\nb,light,200,12",
    }))
    link = _constraint(res, "transport.capacity_max", link="ab")
    unit = _constraint(res, "conversion.capacity_max", unit="cdu1")
    assert (link["activity"], link["bound"], link["slack"]) == pytest.approx((12, 12, 0))
    assert (unit["activity"], unit["bound"], unit["slack"]) == pytest.approx((15, 15, 0))
    cap = res["capacity"].set_index("name")
    assert cap.loc["ab", "total_k_per_yr"] == pytest.approx(link["bound"])
    assert cap.loc["cdu1", "total_k_per_yr"] == pytest.approx(unit["bound"])


def _carbon_chain(tmp_path):
    """Crude at a (100, at most 10 kt/yr) made into light, 1 for 1, by a dirty mode
    (variable cost 10, 1 t co2 per t) or a clean one (30, 0.2 t), carried to b (5 per t,
    0.05 t co2 per t) and sold there at 200. co2 costs 10 USD/t chain-wide and is capped
    at 6 kt/yr.

    Per t: the dirty mode pays 10 carbon, the clean 2, the link 0.5. Crude 10 kt/yr
    (it earns more than it costs) emits d + 0.2 (10 - d) + 0.05 x 10 <= 6: dirty 4.375,
    clean 5.625. The dirty mode earns 12 more per t (30 + 2 - 10 - 10) and emits 0.8
    more: the cap is worth 15 per t co2. Light at b is worth 200; at a, 200 - 5 - 0.5
    carbon - 0.05 x 15 cap = 193.75; crude 193.75 - 30 - 2 - 0.2 x 15 = 158.75, its
    limit 58.75 over its cost."""
    return write_case(tmp_path, {
        "commodities": COMMODITIES, "sites": "site\na\nb",
        "modes": "mode,process,variable_cost_usd_per_unit\ndirty,pd,10\nclean,pc,30",
        "mode_flows": """mode,commodity,direction,amount_per_unit
                         dirty,crude,in,1
                         dirty,light,out,1
                         dirty,co2,out,1
                         clean,crude,in,1
                         clean,light,out,1
                         clean,co2,out,0.2""",
        "units": "unit,site,process,capacity_k_per_yr\nud,a,pd,100\nuc,a,pc,100",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\na,crude,100,10",
        "links": "link,from_site,to_site,commodities,cost_usd_per_unit,emission_commodity,"
                 "emission_per_unit\nab,a,b,light,5,co2,0.05",
        "markets": "site,commodity,price_usd_per_unit\nb,light,200",
        "policies": "commodity,site,carbon_price_usd_per_unit,cap_k_per_yr\nco2,,10,6",
    })


def test_cost_ranging_speaks_of_the_input_the_carbon_price_apart(tmp_path):
    """_carbon_chain's costs ranged as the user sets them, its carbon price apart.

    Dirty variable cost 10 + x: the cap is worth (12 - x) / 0.8 >= 0, so x <= 12; the
    crude limit (58.75) gains 0.25 x (15 - that): 58.75 + 0.3125 x >= 0, x >= -188.
    Interval [-178, 22] (the coefficient's, carbon in: [-168, 32] around 20, as it was
    shown). Clean 30 + x: cap (12 + x) / 0.8 >= 0, x >= -12; limit 58.75 - x - 0.25 x /
    0.8 >= 0, x <= 44.76: [18, 74.76]. Transport 5 + x: the limit pays it, x <= 58.75:
    up to 63.75 (not 5.5 up to 64.25)."""
    res = solve_case(_carbon_chain(tmp_path))
    r = res["ranging"]
    r = r[r["kind"] == "cost"]
    dirty = value(r, family="conversion.activity", key="unit=ud, mode=dirty, period=p1")
    clean = value(r, family="conversion.activity", key="unit=uc, mode=clean, period=p1")
    link = value(r, family="transport.flow")
    crude = value(r, family="supply.purchase")
    cols = ["value", "lower", "upper", "carbon_usd_per_unit"]
    assert list(dirty[cols]) == pytest.approx([10, -178, 22, 10])
    assert list(clean[cols]) == pytest.approx([30, 18, 30 + 58.75 / 1.3125, 2])
    assert (link["value"], link["upper"], link["carbon_usd_per_unit"]) == \
        pytest.approx((5, 63.75, 0.5))
    assert link["lower"] == -math.inf
    assert (crude["value"], crude["upper"], crude["carbon_usd_per_unit"]) == \
        pytest.approx((100, 158.75, 0))
    text = "\n".join(ex.ranging_lines(res["ranging"]))
    assert ("variable cost of mode dirty of unit ud in p1: 10 USD per t (plus 10 carbon "
            "price), plan holds at least for [-178, 22] USD per t (room "
            "120.0%)") in text, text
    assert "supply cost of crude at a in p1: 100 USD per t, plan holds at least" in text, text
    # a folder written before: the whole cost per unit, said to include the carbon price
    old = ex.ranging_lines(res["ranging"].drop(columns="carbon_usd_per_unit"))
    assert any("variable cost of mode dirty of unit ud in p1 (including any carbon price): "
               "10 USD per t" in x for x in old), old
    assert not any("crude at a in p1 (including" in x for x in old), old


def test_netback_legs_name_carbon_caps_capacity_and_other_limits(tmp_path):
    """x at src (100, unlimited) is sold at mkt (300, at most 150) over four links; l0
    (60 per t, unlimited, clean) carries the rest, so x is worth 100 + 60 = 160 at mkt,
    its price 300 less the sales cap's rent of 140.
    What a unit leaves on each other link, 160 x delivered share - transport - 100:

    * l1 (20, 5 % lost, 0.02 t co2 per t, room for 100): 152 - 20 - 100 = 32: carbon
      0.02 x (10 chain-wide + 100 at src) = 2.2, and the cap of 1 kt co2 at src (l1
      carries 1 / 0.02 = 50) worth (32 - 2.2) / 0.02 = 1,490 per t co2: 0.02 x 1,490 =
      29.8. No capacity rent: l1 is half used.
    * l2 (40, 30 kt/yr, full): 20, its capacity rent.
    * l3 (10, 100 kt/yr, 20 used): 50, the value of user constraint capf (flow on l3
      <= 20), not a capacity rent (its capacity is worth 0).
    explain called all of these "capacity rent" (32, 20, 50)."""
    res = solve_case(write_case(tmp_path, {
        "commodities": COMMODITIES, "sites": "site\nsrc\nmkt",
        "supplies": "site,commodity,cost_usd_per_unit\nsrc,crude,100",
        "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\nmkt,crude,300,150",
        "links": """link,from_site,to_site,commodities,capacity_k_per_yr,cost_usd_per_unit,\
loss_fraction,emission_commodity,emission_per_unit
                    l0,src,mkt,crude,,60,0,,
                    l1,src,mkt,crude,100,20,0.05,co2,0.02
                    l2,src,mkt,crude,30,40,0,,
                    l3,src,mkt,crude,100,10,0,,""",
        "policies": "commodity,site,carbon_price_usd_per_unit,cap_k_per_yr\nco2,,10,\n"
                    "co2,src,100,1",
        "constraints": "constraint,sense,rhs\ncapf,<=,20",
        "constraint_terms": "constraint,term,quantity,coef,link\ncapf,1,flow,1,l3",
    }))
    assert list(res["flows"]["carbon_usd_per_unit"]) == pytest.approx([0, 2.2, 0, 0])
    lines = _netback(ex.netback_lines(res.tables), "crude")
    assert lines == [
        "  crude (USD per t):",
        "    sold at mkt for 300 less 140 sales cap rent (worth 160 there)",
        "    back: 100 at src (via l0 to mkt, 60 transport)",
        "    back: 100 at src (via l1 to mkt, 20 transport, 5 % lost, 2.2 carbon cost, 29.8 "
        "emission cap rent)",
        "    back: 100 at src (via l2 to mkt, 40 transport, 20 capacity rent)",
        "    back: 100 at src (via l3 to mkt, 10 transport, 50 other limits: user "
        "constraint capf)",
        "    bought at src for 100"], lines
    # results saved before flows had carbon_usd_per_unit: the carbon price is unknown
    old = dict(res.tables, flows=res["flows"].drop(columns="carbon_usd_per_unit"))
    lines = _netback(ex.netback_lines(old), "crude")
    assert lines[3] == ("    back: 100 at src (via l1 to mkt, 20 transport, 5 % lost, 29.8 "
                        "emission cap rent, 2.2 carbon cost and other limits: user constraint "
                        "capf)")
    assert lines[4] == "    back: 100 at src (via l2 to mkt, 40 transport, 20 capacity rent)"


def test_netback_legs_name_the_site_they_end_at():
    """small_port_expansion, p2026: hdpe goes from tobolsk to ru_dom on rail_dom (71 per
    t) and to chn by fe_rail (tobolsk -> nakhodka, 160) then fe_port_sea (nakhodka ->
    chn, 25). At chn it is worth its price, 950 (the cap of 1,500 is far); at nakhodka
    950 - 25 = 925; at tobolsk 925 - 160 = 765, and so at ru_dom 765 + 71 = 836: the
    price 900 less 64, the rent of its cap of 500. Two legs start at tobolsk; the lines
    said 'back: 765 at tobolsk (via fe_rail, 160 transport)', leaving the reader to
    find that fe_rail ends at nakhodka (925 - 160), not at ru_dom (836 - 160 = 676);
    now each leg names the site it ends at."""
    scenario = Path(__file__).parents[1] / "scenarios" / "small_port_expansion.yaml"
    res = api.run(scenario, save=False)
    hdpe = _netback(ex.netback_lines(res.tables, "p2026"), "hdpe")
    assert hdpe[:6] == [
        "  hdpe (USD per t):",
        "    sold at ru_dom for 900 less 64 sales cap rent (worth 836 there)",
        "    sold at chn for 950 (worth 950 there)",
        "    back: 765 at tobolsk (via rail_dom to ru_dom, 71 transport)",
        "    back: 925 at nakhodka (via fe_port_sea to chn, 25 transport)",
        "    back: 765 at tobolsk (via fe_rail to nakhodka, 160 transport)"], hdpe


def test_netback_leg_with_a_chain_wide_carbon_price_and_cap(tmp_path):
    """_carbon_chain: light worth 200 at b, 193.75 at a = 200 - 5 transport - 0.05 x 10
    carbon - 0.05 x 15 chain-wide cap; 193.75 shows as 194. Made at a from crude worth
    158.75 (159): by the clean mode 30 variable cost, 0.2 x 10 = 2 carbon cost and
    0.2 x 15 = 3 of the cap (158.75 + 35 = 193.75), by the dirty one 10, 1 x 10 = 10 and
    1 x 15 = 15 (158.75 + 35)."""
    res = solve_case(_carbon_chain(tmp_path))
    lines = _netback(ex.netback_lines(res.tables), "light")
    assert lines[2:] == [
        "    back: 194 at a (via ab to b, 5 transport, 0.5 carbon cost, 0.75 emission cap rent)",
        "    made at a by mode clean of unit uc: 194 = 159 inputs (1 crude at 159) + 30 "
        "variable cost + 2 carbon cost + 3 other limits: emission cap on co2 (chain-wide)",
        "    made at a by mode dirty of unit ud: 194 = 159 inputs (1 crude at 159) + 10 "
        "variable cost + 10 carbon cost + 15 other limits: emission cap on co2 "
        "(chain-wide)"], lines


def test_numbers_round_half_away_from_zero():
    """198.5 (200 less a carbon cost of 1.5) read 198: Python rounds a binary half to
    even. Halves go away from zero, as written: 199, -199, 1,235; 63.745 (stored just
    below) 63.75; two decimals below 100, three significant digits below 1."""
    from chainopt.report.numbers import exact

    assert not hasattr(ex, "_num")  # explain formats with numbers.py, no rule of its own
    assert [exact(x) for x in (198.5, -198.5, 1234.5, 63.745, 2.5, 0.125, 100.0)] == [
        "199", "-199", "1,235", "63.75", "2.5", "0.125", "100"]


def test_a_recipe_amount_reads_as_the_case_states_it():
    """The default case's HDPE lines take 1.015 t of ethylene per t: explain read "1.02
    ethylene at 600" for one plant and "1.01" for another (per t of HDPE it divides the
    flows, which gave 1.0149999999999997 there), and 0.5 x 60 + 1.02 x 600 = 642 beside
    the inputs it printed, 639 = 30 + 1.015 x 600. Amounts read to four significant
    digits (1.015, 1/0.6 = 1.667, 1/0.35 = 2.857, 1.53e-5 = 0.0000153; from 1,000 up
    whole), and a half is decided on the number as written, not on its noise."""
    assert [ex._amount(y) for y in (1.0149999999999997, 1.015, 1 / 0.6, 1 / 0.35, 1.53e-5,
                                    12345.6, 2.0)] == [
        "1.015", "1.015", "1.667", "2.857", "0.0000153", "12,346", "2"]
    from chainopt.report import numbers

    assert numbers.exact(1.0149999999999997) == numbers.exact(1.015) == "1.02"


def test_explain_a_saved_plan_where_nothing_binds(tmp_path):
    """Crude costs 100 and sells for 50: nothing is bought, no constraint holds the plan
    and constraints.csv is saved empty. explain stopped with a traceback (the empty
    table's number columns read back as text)."""
    folder = write_case(tmp_path / "case", {
        "commodities": COMMODITIES, "sites": "site\na",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\na,crude,100,10",
        "markets": "site,commodity,price_usd_per_unit\na,crude,50"})
    api.run(folder, out=tmp_path / "res", name="r")
    text = "\n".join(api.explain(tmp_path / "res" / "r"))
    assert "No constraint binds with a value" in text and "Nothing is sold." in text, text


def _crude_run(tmp_path, **meta) -> None:
    """Crude bought at a for 100 USD/t (at most 10 kt/yr) and sold there for 150, rate 0
    (one 1-year period unless ``meta`` gives others): saved as ``tmp_path/res/r``."""
    folder = write_case(tmp_path / "case", {
        "commodities": COMMODITIES, "sites": "site\na",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\na,crude,100,10",
        "markets": "site,commodity,price_usd_per_unit\na,crude,150"}, **meta)
    api.run(folder, out=tmp_path / "res", name="r")


def test_ranging_lists_as_many_items_as_top_asks(tmp_path):
    """``explain --ranging --top N`` lists N ranged inputs (it listed at least 15 whatever
    N was: ``--top 1`` was ignored without a word).

    Crude bought at a for 100 USD/t (at most 10 k t/yr) and sold there for 150, one
    year at rate 0. All 10 are bought and sold; the ranged inputs and their rooms:
    the price 150 holds the plan down to the cost, [100, +inf]: room 50 / 150 = 33.3 %;
    the cost 100 up to the price, [-inf, 150]: room 50 / 100 = 50 %; the supply limit
    10 keeps its value 150 - 100 = 50 from 0 up: room 10 / 10 = 100 %. So ``--top 1``
    prints the price alone and "2 more"; the default (15) prints all three."""
    _crude_run(tmp_path)
    runner = CliRunner()
    one = runner.invoke(app, ["explain", str(tmp_path / "res" / "r"), "--ranging",
                              "--top", "1"])
    assert one.exit_code == 0, one.output
    listed = [ln for ln in one.output.splitlines() if "(room " in ln]
    assert len(listed) == 1 and "price of crude at a in p1: 150 USD per t" in listed[0]
    assert "(room 33.3%)" in listed[0], listed
    assert "... 2 more in the ranging table" in one.output, one.output
    every = runner.invoke(app, ["explain", str(tmp_path / "res" / "r"), "--ranging"])
    rooms = [ln.rsplit("(room ", 1)[1] for ln in every.output.splitlines() if "(room " in ln]
    assert rooms == ["33.3%)", "50.0%)", "100.0%)"], every.output


def test_explain_refuses_a_period_the_results_do_not_have(tmp_path):
    """``--period p2`` on results of one period, p1: the netbacks came out empty under
    "netbacks in p2" with exit 0, as if nothing were sold. Now exit 1 naming the option,
    the value and the periods there are. With p1: crude bought for 100 and sold for 150
    at a, so it is worth the price, 150, there."""
    _crude_run(tmp_path)
    runner = CliRunner()
    bad = runner.invoke(app, ["explain", str(tmp_path / "res" / "r"), "--period", "p2"])
    assert bad.exit_code == 1, bad.output
    assert "--period: no period 'p2' in" in bad.output and "give one of p1" in bad.output
    good = runner.invoke(app, ["explain", str(tmp_path / "res" / "r"), "--period", "p1"])
    assert good.exit_code == 0, good.output
    assert "  crude (USD per t):\n    sold at a for 150 (worth 150 there)" in good.output, \
        good.output


def test_explain_ranging_keeps_to_the_period_asked(tmp_path):
    """``--ranging --period p2`` listed every period's inputs (the option was ignored with
    --ranging). Crude bought for 100 (at most 10 kt/yr) and sold for 150 at a in p1 and
    p2: in each period the price may fall 50 (room 33.3 %), the cost rise 50 (50 %) and
    the limit fall 10 (100 %) before the plan changes; with p2 asked, those three of p2
    alone; a period the results lack is refused as without --ranging."""
    _crude_run(tmp_path, periods=[{"period": "p1", "start_year": 2026, "length_yr": 1},
                                  {"period": "p2", "start_year": 2027, "length_yr": 1}])
    runner = CliRunner()
    res = runner.invoke(app, ["explain", str(tmp_path / "res" / "r"), "--ranging",
                              "--period", "p2"])
    assert res.exit_code == 0, res.output
    listed = [ln for ln in res.output.splitlines() if "(room " in ln]
    assert len(listed) == 3 and all(" in p2" in ln for ln in listed), res.output
    assert [ln.rsplit("(room ", 1)[1] for ln in listed] == ["33.3%)", "50.0%)", "100.0%)"]
    bad = runner.invoke(app, ["explain", str(tmp_path / "res" / "r"), "--ranging",
                              "--period", "p3"])
    assert bad.exit_code == 1 and "no period 'p3'" in bad.output, bad.output


def test_a_cost_case_explains_the_marginal_cost_of_each_delivery(tmp_path):
    """Hard demand of 12 kt/yr of fuel at city (cost case, one 1-year period, rate 0).
    Unit u at refinery makes 1 t of fuel from 1.25 t of crude (bought at 100 USD/t) at a
    variable cost of 20, at most 10 kt/yr; link l1 ships fuel to city at 15 USD/t,
    losing 4 %; fuel can also be bought at city for 300. Made and shipped, a t at city
    costs (1.25 x 100 + 20 + 15) / 0.96 = 166.7 < 300, so u runs full: 10 kt sent, 9.6
    delivered, 2.4 bought at 300. Total cost 10 x 145 + 10 x 15 + 2.4 x 300 = 2,320 kUSD
    = 2.32 MUSD. One more t at city is bought: 300 (the delivery's marginal cost). Back
    at refinery fuel is worth 300 x 0.96 - 15 = 273; made there from 1.25 x 100 = 125 of
    crude and 20 of variable cost, the rest 273 - 145 = 128 is u's capacity rent. explain
    said 'Nothing is sold.' and called the total cost 'objective ... (NPV)'."""
    folder = write_case(tmp_path / "cost", {
        "commodities": "commodity,unit,kind\ncrude,t,raw\nfuel,t,product",
        "sites": "site\nrefinery\ncity",
        "modes": "mode,process,variable_cost_usd_per_unit\nrun,p,20",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,crude,in,1.25\n"
                      "run,fuel,out,1",
        "units": "unit,site,process,capacity_k_per_yr\nu,refinery,p,10",
        "supplies": "site,commodity,cost_usd_per_unit\nrefinery,crude,100\ncity,fuel,300",
        "links": "link,from_site,to_site,commodities,cost_usd_per_unit,loss_fraction\n"
                 "l1,refinery,city,fuel,15,0.04",
        "demand": "site,commodity,amount_k_per_yr\ncity,fuel,12"}, objective="cost")
    res = api.run(folder, out=tmp_path / "out")
    assert res.objective == pytest.approx(2.32)
    text = "\n".join(api.explain(tmp_path / "out" / "toy"))
    assert "toy: optimal, total cost 2.320 MUSD (NPV of costs)" in text  # as the reports write it
    assert "Nothing is sold." not in text
    assert _netback(text.split("\n"), "fuel") == [
        "  fuel (USD per t):", "    delivered at city (12 k t/yr), one more costs 300",
        "    back: 273 at refinery (via l1 to city, 15 transport, 4 % lost)",
        "    bought at city for 300",
        "    made at refinery by mode run of unit u: 273 = 125 inputs (1.25 crude at 100) "
        "+ 20 variable cost + 128 capacity rent"]


def test_deliveries_and_unmet_floors_are_counted_in_the_commodity_s_unit(tmp_path):
    """Water is counted in m3. Cost case: a hard demand of 5 k m3/yr at a, bought there
    at 2 USD/m3 (unlimited): 5 delivered, one more costs 2. Profit case: sold at a for 3
    with a soft floor of 6, at most 4 to buy: short by 6 - 4 = 2 k m3/yr. Both said
    "k/yr", which could be any unit; other explain lines say "k m3/yr"."""
    water = {"commodities": "commodity,unit,kind\nwater,m3,raw", "sites": "site\na"}
    cost = write_case(tmp_path / "cost", {
        **water, "supplies": "site,commodity,cost_usd_per_unit\na,water,2",
        "demand": "site,commodity,amount_k_per_yr\na,water,5"}, objective="cost")
    res = solve_case(cost)
    assert _netback(ex.why_lines(res.tables, res.manifest), "water") == [
        "  water (USD per m3):", "    delivered at a (5 k m3/yr), one more costs 2",
        "    bought at a for 2"]
    short = solve_case(write_case(tmp_path / "short", {
        **water, "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\na,water,2,4",
        "markets": "site,commodity,price_usd_per_unit,min_k_per_yr\na,water,3,6"}))
    text = "\n".join(ex.why_lines(short.tables, short.manifest))
    assert "(water at a in p1 short by 2 k m3/yr; sales table" in text, text


def test_a_joint_product_s_value_is_a_sum_on_lines_of_its_own(tmp_path):
    """REFINERY: cdu1 (8 kt/yr, full) runs 1 t of crude (worth 100: its supply of 10 is
    not used up) into 0.6 light (300) and 0.3 heavy (200) at a variable cost of 10, so
    its capacity is worth 0.6 x 300 + 0.3 x 200 - 100 - 10 = 130 per t. Per t of light
    (divided by 0.6): 1.67 t of crude, 166.67 of inputs, 16.67 variable cost, 216.67
    capacity rent, and the heavy made with it, 0.5 t at 200 = 100, shares the cost:
    166.67 + 16.67 + 216.67 - 100 = 300, light's value. Per t of heavy (/ 0.3): 333.33
    + 33.33 + 433.33 - 2 x 300 = 200. explain put it all on one line per product with
    the sales and legs ("...: 167 inputs (1.67 crude at 100), 16.67 variable cost, less
    100 other outputs, 217 capacity rent"): now the sum, what it sums to and which other
    outputs share it, on lines of their own."""
    res = solve_case(write_case(tmp_path, REFINERY))
    lines = ex.netback_lines(res.tables)
    assert _netback(lines, "light") == [
        "  light (USD per t):", "    sold at plant for 300 (worth 300 there)",
        "    made at plant by mode run of unit cdu1 (0.6 light per unit of activity; per "
        "unit of light):",
        "      300 = 167 inputs (1.667 crude at 100) + 16.67 variable cost + 217 capacity rent",
        "          - 100 other outputs (0.5 heavy at 200)"]
    assert _netback(lines, "heavy")[2:] == [
        "    made at plant by mode run of unit cdu1 (0.3 heavy per unit of activity; per "
        "unit of heavy):",
        "      200 = 333 inputs (3.333 crude at 100) + 33.33 variable cost + 433 capacity rent",
        "          - 600 other outputs (2 light at 300)"]


def _two_modes(**tables) -> dict:
    """Unit u at refinery, 10 kt/yr of capacity, availability 0.8: 8 of capacity usable.
    Mode run: capacity_use 2, 0.625 t of crude (100 USD/t) -> 0.5 t of fuel, variable cost
    10 per unit of activity. Mode fast: capacity_use 1, 1.5 crude -> 1 fuel, variable
    cost 20; user constraint capf: activity of fast <= 2. Link l1 ships fuel to city at
    15 USD/t losing 4 %; fuel is worth 300 at city (``tables`` say why)."""
    return {
        "commodities": "commodity,unit,kind\ncrude,t,raw\nfuel,t,product",
        "sites": "site\nrefinery\ncity",
        "modes": "mode,process,variable_cost_usd_per_unit,capacity_use\nrun,p,10,2\n"
                 "fast,p,20,1",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,crude,in,0.625\n"
                      "run,fuel,out,0.5\nfast,crude,in,1.5\nfast,fuel,out,1",
        "units": "unit,site,process,capacity_k_per_yr,availability\nu,refinery,p,10,0.8",
        "supplies": "site,commodity,cost_usd_per_unit\nrefinery,crude,100",
        "links": "link,from_site,to_site,commodities,cost_usd_per_unit,loss_fraction\n"
                 "l1,refinery,city,fuel,15,0.04",
        "constraints": "constraint,sense,rhs\ncapf,<=,2",
        "constraint_terms": "constraint,term,quantity,coef,unit,mode\n"
                            "capf,1,activity,1,u,fast", **tables}


MADE = ["    back: 273 at refinery (via l1 to city, 15 transport, 4 % lost)",
        "    made at refinery by mode fast of unit u: 273 = 150 inputs (1.5 crude at 100) + "
        "20 variable cost + 32 capacity rent + 71 other limits: user constraint capf",
        "    made at refinery by mode run of unit u: 273 = 125 inputs (1.25 crude at 100) + "
        "20 variable cost + 128 capacity rent"]


def test_a_mode_s_capacity_rent_counts_its_capacity_use_and_the_unit_s_availability(
        tmp_path):
    """Cost case on :func:`_two_modes`: hard demand of 12 kt/yr of fuel at city, where
    fuel can also be bought at 300. Per unit of fuel, run costs (62.5 + 10) / 0.5 = 145
    and uses 2 / 0.5 = 4 of capacity; fast costs 170 and uses 1. Fuel at refinery is
    worth 300 x 0.96 - 15 = 273 (one more t at city is bought), so fast earns 103 per
    unit of capacity, run (273 - 145) / 4 = 32: fast runs to its limit, 2, run takes
    the rest of the capacity, 2 x a + 2 = 8, a = 3. Made 2 + 1.5 = 3.5, delivered 3.36,
    bought 8.64. Total cost 100 x (3 + 1.875) + 20 x 2 + 10 x 3 + 15 x 3.5 + 300 x 8.64
    = 487.5 + 70 + 52.5 + 2,592 = 3,202 kUSD.

    Duals, from the optimality of the two modes in use (value of outputs = inputs +
    variable cost + use x d + other limits), d the capacity row's dual per unit of
    capacity used: run 0.5 x 273 = 62.5 + 10 + 2 d, d = 32 (25.6 per t of nameplate
    capacity, x 0.8); fast 273 = 150 + 20 + 32 + mu, mu = 71 the dual of capf. Per t of
    fuel: run's capacity rent 2 x 32 / 0.5 = 128, fast's 1 x 32 / 1 = 32 and 71 other
    limits. explain lumped them: '103 capacity rent and other limits' for fast and
    '128 capacity rent and other limits' for run, which no user constraint touches.
    Results saved before ``capacity_use`` and ``availability`` still leave it lumped."""
    folder = write_case(tmp_path / "cost", _two_modes(
        demand="site,commodity,amount_k_per_yr\ncity,fuel,12",
        supplies="site,commodity,cost_usd_per_unit\nrefinery,crude,100\ncity,fuel,300"),
        objective="cost")
    res = api.run(folder, out=tmp_path / "out")
    assert res.objective == pytest.approx(3.202)
    cap = value(res.tables["capacity"], name="u")
    assert cap["shadow_price_usd_per_unit_yr"] == pytest.approx(25.6)
    assert cap["availability"] == pytest.approx(0.8)
    lines = _netback(api.explain(tmp_path / "out" / "toy"), "fuel")
    assert lines == ["  fuel (USD per t):", "    delivered at city (12 k t/yr), one more costs 300",
                     MADE[0], "    bought at city for 300", *MADE[1:]], lines
    old = dict(Results.load(tmp_path / "out" / "toy").tables)
    old["activity"] = old["activity"].drop(columns="capacity_use")
    old["capacity"] = old["capacity"].drop(columns="availability")
    text = "\n".join(ex.netback_lines(old))
    assert ("fast of unit u: 273 = 150 inputs (1.5 crude at 100) + 20 variable cost + 103 "
            "capacity rent and other limits: user constraint capf\n") in text


def test_a_sale_s_netback_says_how_the_product_is_made(tmp_path):
    """Profit case on :func:`_two_modes`: fuel sold at city for 300 without a cap. The
    plan and the values are those of the cost case above (fuel worth 300 at city, 273
    at refinery): 3.36 sold, profit 1,008 - 487.5 - 70 - 52.5 = 398 kUSD. The netback
    now goes on to how fuel is made at refinery, split as a delivery's is."""
    folder = write_case(tmp_path / "profit", _two_modes(
        markets="site,commodity,price_usd_per_unit\ncity,fuel,300"))
    res = api.run(folder, out=tmp_path / "out")
    assert res.objective == pytest.approx(0.398)
    lines = _netback(api.explain(tmp_path / "out" / "toy"), "fuel")
    assert lines == ["  fuel (USD per t):", "    sold at city for 300 (worth 300 there)",
                     *MADE], lines


def test_the_shortfall_penalty_is_given_per_unit_of_each_commodity(tmp_path):
    """Two soft floors of 20 k/yr with 2 to sell of each: crude counted in t, condensate
    in bbl, penalty 1,000 USD per unit short (shortfall_penalty_usd_per_unit). Each is
    short by 18; one more unit of either floor is one more unit short, so each floor costs
    1,000 USD per unit of its commodity. The note said "up to 1,000 USD per unit": per t
    and per bbl have no common largest, so now one penalty per unit, in the order of the
    sales table: 1,000 USD per t, 1,000 USD per bbl."""
    folder = write_case(tmp_path / "two_units", {
        "commodities": "commodity,unit,kind\ncrude,t,raw\ncond,bbl,raw", "sites": "site\na",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\na,crude,100,2\n"
                    "a,cond,50,2",
        "markets": "site,commodity,price_usd_per_unit,min_k_per_yr\na,crude,150,20\n"
                   "a,cond,60,20"}, shortfall_penalty_usd_per_unit=1000)
    res = solve_case(folder)
    sales = res["sales"].set_index("commodity")
    assert list(sales.loc[["crude", "cond"], "shortfall_k_per_yr"]) == pytest.approx([18, 18])
    assert list(sales.loc[["crude", "cond"], "floor_cost_usd_per_unit"]) == pytest.approx(
        [1000, 1000])
    text = " ".join("\n".join(ex.why_lines(res.tables, res.manifest)).split())
    assert ("include their shortfall penalty (up to 1,000 USD per t, 1,000 USD per bbl, "
            "floor_cost_usd_per_unit)") in text, text


def test_commodity_units_read_keys_of_tables_in_several_chunks():
    """The unit of each commodity keyed in ``ranging`` and ``constraints``: a later row
    wins (constraints after ranging), a key without ``commodity=`` (``to_commodity=`` is
    not it) or a row without a unit says nothing. The tables are concatenated, so their
    Arrow strings come in several chunks, as a run's own tables do (the first vectorised
    version failed on those)."""
    def part(keys, units):
        return pd.DataFrame({"key": pd.Series(keys, dtype="str"),
                             "quantity_unit": pd.Series(units, dtype="str")})
    ranging = pd.concat([part(["site=a, commodity=crude, period=p1", "unit=u1, period=p1"],
                              ["bbl", "t"]),
                         part(["commodity=gas", "link=l, to_commodity=naphtha"],
                              ["bcm", "t"])], ignore_index=True)
    constraints = pd.concat([part(["site=a, commodity=crude, period=p2"], ["t"]),
                             part(["site=b, commodity=petrol, period=p1"], [""])],
                            ignore_index=True)
    tables = {"ranging": ranging, "constraints": constraints}
    assert ex.commodity_units(tables) == {"crude": "t", "gas": "bcm"}
    # one commodity's (the run's shortfall warning): "commodity=gas" is in the key of
    # gas_oil too, whose unit is not gas's
    tables["ranging"] = pd.concat([ranging, part(["commodity=gas_oil"], ["m3"])],
                                  ignore_index=True)
    assert ex.commodity_units(tables, only="gas") == {"gas": "bcm"}
    assert ex.commodity_units(tables, only="gas_oil") == {"gas_oil": "m3"}
    assert ex.commodity_units(tables, only="petrol") == {}


def test_commodity_units_come_from_the_commodities_table_when_saved(tmp_path):
    """A folder with the ``commodities`` table (every run writes it): each commodity's
    unit from there, a commodity that no constraint or ranging row names included; the
    keys are not parsed (a ranging table of nonsense changes nothing)."""
    com = pd.DataFrame({"commodity": ["crude", "gas", "lng"], "unit": ["t", "bcm", "t"]})
    junk = pd.DataFrame({"key": ["commodity=crude"], "quantity_unit": ["bbl"]})
    tables = {"commodities": com, "ranging": junk, "constraints": junk}
    assert ex.commodity_units(tables) == {"crude": "t", "gas": "bcm", "lng": "t"}
    assert ex.commodity_units(tables, only="lng") == {"lng": "t"}
    assert ex.commodity_units(tables, only="petrol") == {}
    res = solve_case(write_case(tmp_path, REFINERY))  # a run's: as its rows state
    units = ex.commodity_units(res.tables)
    assert units == {"crude": "t", "light": "t", "heavy": "t", "co2": "t"}
    rows = ex.commodity_units({n: res.tables[n] for n in ("ranging", "constraints")})
    assert rows and all(units[c] == u for c, u in rows.items())


def test_a_commodity_value_that_holds_one_way_is_said_and_not_shown_as_a_price(tmp_path):
    """Feed is bought at 100 USD/t up to 10 kt/yr and unit u makes product 1:1 up to 10
    kt/yr, sold at 400 USD/t without limit: both limits bind on the same 10 kt of feed.
    By hand, one more t of feed at the plant, free, saves buying one: +100 USD; one t
    less makes one t less product (the supply is at its cap): -400 USD. No single price:
    the LP's value of feed is one end of [100, 400] and holds one way only, 100 'one
    more', 400 'one less'. Product is worth 400 both ways (one t more or less sold).
    The run report's commodity values show product and not feed; against the same case
    with product at 500 USD/t (product worth 500, feed one end of [100, 500]) a
    comparison's largest value changes rank product's +100 and leave feed out."""
    from chainopt.report import charts, compare, moving

    tables = {**FEED_TO_PRODUCT,
              "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\nplant,feed,100,10",
              "units": "unit,site,process,capacity_k_per_yr\nu,plant,make,10"}
    res = solve_case(write_case(tmp_path / "c", tables))
    dearer = solve_case(write_case(tmp_path / "d", {
        **tables, "markets": "site,commodity,price_usd_per_unit\nplant,product,500"}))
    b = res["balances"].set_index("commodity")
    feed, holds = b.loc["feed", "shadow_price_usd_per_unit"], b.loc["feed", "value_holds_for"]
    assert (round(feed, 6), holds) in ((100.0, "one more"), (400.0, "one less"))
    assert b.loc["product", "shadow_price_usd_per_unit"] == pytest.approx(400)
    assert b.loc["product", "value_holds_for"] == "both"
    assert moving.moves(res["balances"], res.tables).all()  # both move: 10 kt/yr each
    assert moving.priced(res["balances"], res.tables).tolist() == [
        c == "product" for c in res["balances"]["commodity"]]
    shown = charts.shadow_price_data(res.tables, ["p1"])
    assert list(shown.index) == ["product @ plant"]
    changes = compare._value_changes({"a": res, "b": dearer}, top=10)
    assert changes[["commodity", "Δ b"]].values.tolist() == [["product", 100.0]]
    said = {"one more": "for one unit more only", "one less": "for one unit less only"}
    assert ex.netback_lines(res.tables, "p1")[-1].endswith(
        f"value_holds_for): feed at plant {feed:.0f} ({said[holds]})")


def test_a_folder_without_value_holds_for_reads_every_value_as_holding():
    """A results folder written before balances.value_holds_for (or a run without
    ranging, whose column is blank) is read as before: every moving value a price."""
    from chainopt.report import moving

    frame = pd.DataFrame({"site": ["s"], "commodity": ["c"], "period": ["p1"]})
    old = {"balances": frame.assign(shadow_price_usd_per_unit=1.0)}
    blank = {"balances": frame.assign(shadow_price_usd_per_unit=1.0, value_holds_for="")}
    assert moving.holds_both_ways(frame, old).tolist() == [True]
    assert moving.holds_both_ways(frame, blank).tolist() == [True]
    one_way = {"balances": frame.assign(value_holds_for="one less")}
    assert moving.holds_both_ways(frame, one_way).tolist() == [False]


def _build_case(tmp_path, name: str, fixed_musd: str) -> Path:
    """FEED_TO_PRODUCT (feed 100, product 400) with unit u of no capacity that may be
    built up to 20 kt/yr at a capex of 100 USD per t/yr, a life of 1 year (one 1-year
    period, rate 0), for a fixed charge of ``fixed_musd`` MUSD (blank: none, an LP),
    run and saved; returns the results folder."""
    case = write_case(tmp_path / f"{name}_case", {
        **FEED_TO_PRODUCT,
        "units": "unit,site,process,capacity_k_per_yr,capex_usd_per_unit_yr,max_new_k_per_yr,"
                 f"build_fixed_musd,lifetime_yr\nu,plant,make,0,100,20,{fixed_musd},1"})
    api.run(case, out=tmp_path / "res", name=name)
    return tmp_path / "res" / name


def test_the_ranging_of_a_mip_says_its_intervals_hold_with_the_builds_fixed(tmp_path):
    """A fixed charge of 1 MUSD (a MIP): u is built to 20 kt/yr and earns 20 x (400 -
    100 - 100) kUSD - 1 MUSD = 3 MUSD. By hand building pays only while 20 x (p - 200)
    >= 1000 kUSD, a price p >= 250, but the ranging (the LP with the build decision
    fixed, where the fixed charge is sunk) reads [200, +inf] for the price: explain
    said nothing of it. Now its ranging says, under the header, that the intervals hold
    with the yes/no decisions fixed and a build may change inside them; an LP's
    ranging (no fixed charge) does not."""
    mip = api.explain(_build_case(tmp_path, "m3", "1"), ranging=True)
    assert mip[0] == "toy: optimal, objective 3.000 MUSD (NPV)"  # the run ranged
    # relaxed: u's one yes/no build decision (one unit, one period) made a fraction
    api.run(tmp_path / "m3_case", out=tmp_path / "res", name="m3r",
            options=api.solve_options(relax=True))
    assert api.explain(tmp_path / "res" / "m3r", ranging=True)[0].startswith(
        "toy: optimal, LP relaxation (1 integer decisions relaxed), objective")
    assert mip[1] == "periods: p1 (2026)"  # its periods, with their years
    assert mip[3] == ex.FIXED_DECISIONS_NOTE
    assert "yes/no decisions (builds, projects) fixed" in mip[3]
    assert ("  price of product at plant in p1: 400 USD per t, plan holds at least "
            "for [200, +inf] USD per t (room 50.0%)") in mip
    lp = api.explain(_build_case(tmp_path, "m2", ""), ranging=True)
    assert ex.FIXED_DECISIONS_NOTE not in lp
    # the "why this plan" values too: said above the binding constraints of a MIP only
    why = api.explain(_build_case(tmp_path, "m3b", "1"))
    at = why.index(ex.FIXED_VALUES_NOTE)
    assert why[at + 1].startswith("Binding constraints")
    assert ex.FIXED_VALUES_NOTE not in api.explain(_build_case(tmp_path, "m2b", ""))


def test_a_unit_not_built_in_a_mip_has_its_expansion_value_hedged(tmp_path):
    """A fixed charge of 10 MUSD: u is not built (20 x 200 kUSD = 4 MUSD < 10). The LP
    of the values fixes the build decision at no, so the expansion limit's row reads
    new <= 20 x 0. By hand one t/yr of build allowed there earns the margin 400 - 100 =
    300 less the capex 100: 200 USD per t/yr (NPV), before the fixed charge. The row's
    dual is 300: the capacity's degenerate 400 (feed valued 0, nothing bought) less the
    capex. Explain said "expansion limit of unit u: never available (no capacity in p1;
    ... would be worth 300 USD per t/yr (NPV))", a build limit called a capacity and a
    loose end stated as a value. Now: not built, its build decision no, worth *at most*
    300 (the capacity's value holds only for less room), and no "never available" for
    it. The capacity's own line keeps its "at most 400" (one t/yr of it is worth 300);
    the only mode cannot run (u has no capacity), which is no longer "Every mode is used
    somewhere"."""
    lines = api.explain(_build_case(tmp_path, "m1", "10"))
    assert ("  expansion limit of unit u: not built in p1 (its yes/no build decision is no); "
            "one t/yr built there would be worth at most 300 USD per t/yr (NPV), before the "
            "build's fixed charge and minimum size") in lines
    assert ("  capacity of unit u: never available (no capacity in p1; one t/yr there would "
            "be worth at most 400 USD per t a year)") in lines
    assert not any("expansion limit" in x and "available" in x for x in lines), lines
    assert "Every mode is used somewhere." not in "\n".join(lines)
    assert ("  Every mode is used where its unit has capacity (the others' units have none "
            "then: capacity.csv).") in lines


def _cost_interval(ranging: pd.DataFrame, what: str, key: str) -> tuple[float, float]:
    """The ``[lower, upper]`` of the one cost row of ``ranging`` for ``what`` whose key
    holds ``key``."""
    row = ranging[(ranging["what"] == what) & ranging["key"].str.contains(key, regex=False)]
    assert len(row) == 1, (what, key, ranging)
    return float(row["lower"].iloc[0]), float(row["upper"].iloc[0])


def test_forced_to_zero_follows_a_chain_of_rows():
    """Seven columns, x >= 0 (x5 fixed at 3), four rows, by hand:
    r0: x0 + x1 <= 0 forces x0 and x1 (positive terms, no room);
    r1: x1 - x2 >= 0, with x1 now 0, reads -x2 >= 0: forces x2 (a second pass);
    r2: x3 + x4 <= 5 has room: forces nothing;
    r3: x5 + x6 <= 3 with the fixed x5 = 3 leaves x6 <= 0: forces x6.
    Forced: x0, x1, x2, x6 (not x5, fixed by its bounds already). Rows whose columns
    are then all fixed: r0, r1, r3."""
    a = Matrix.from_triplets(np.array([0, 0, 1, 1, 2, 2, 3, 3]),
                             np.array([0, 1, 1, 2, 3, 4, 5, 6]),
                             np.array([1.0, 1, 1, -1, 1, 1, 1, 1]), (4, 7))
    lo = np.array([0.0, 0, 0, 0, 0, 3, 0])
    hi = np.array([np.inf] * 5 + [3.0, np.inf])
    forced, idle = forced_to_zero(a, lo, hi, np.array([-np.inf, 0, -np.inf, -np.inf]),
                                  np.array([0.0, np.inf, 5, 3]))
    assert np.flatnonzero(forced).tolist() == [0, 1, 2, 6]
    assert np.flatnonzero(idle).tolist() == [0, 1, 3]
    # a column that may go negative is never forced by a sign argument
    lo[0] = -1.0
    forced, _ = forced_to_zero(a, lo, hi, np.array([-np.inf, 0, -np.inf, -np.inf]),
                               np.array([0.0, np.inf, 5, 3]))
    assert np.flatnonzero(forced).tolist() == [6]


def test_a_mip_s_cost_intervals_leave_out_the_build_it_did_not_make(tmp_path, monkeypatch):
    """u1 (500 kt/yr, built) makes product 1:1 from feed at 100 USD/t, sold at 400 (at
    most 600 kt/yr). u2 could add 100 kt/yr for 250 USD per t/yr and a fixed charge of
    10 MUSD: 100 x (300 - 250) kUSD = 5 MUSD < 10, not built (a MIP); objective 500 x
    300 / 1000 = 150 MUSD. With u2's build decision fixed at no, u2 can neither be
    built nor run, and by hand the plan (u1 at 500) holds while u1's margin p - f - v1
    >= 0: price p in [100, +inf], feed cost f in [-inf, 400], u1's variable cost v1 in
    [-inf, 300]; u2's variable cost may be anything, [-inf, +inf].

    The optimal basis alone read [350, +inf] for the price: u2's expansion limit (build
    <= 100 x 0) binds with the value of one unit built, p - 100 - 250, and the interval
    ended where that reaches 0 (review expl F1). Re-solving at a price of 200, outside
    [350, +inf], gives the same plan: objective 500 x 100 / 1000 = 50, u2 not built."""
    case = tmp_path / "case"
    write_case(case, {
        **FEED_TO_PRODUCT,
        "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\nplant,product,400,600",
        "units": "unit,site,process,capacity_k_per_yr,capex_usd_per_unit_yr,max_new_k_per_yr,"
                 "build_fixed_musd,lifetime_yr\nu1,plant,make,500,0,0,,30\n"
                 "u2,plant,make,0,250,100,10,1"})
    res = api.run(case, out=tmp_path / "res", name="mip")
    assert res.manifest["objective"] == pytest.approx(150.0)
    # forced to 0: u2's build (build <= 100 y, y = 0) and then its mode's activity
    assert res.manifest["insight"]["forced_zero_columns"] == 2
    assert res.manifest["insight"]["cost_ranging"] == "widened"
    r = res.tables["ranging"]
    assert _cost_interval(r, "price", "product") == pytest.approx((100.0, math.inf))
    assert _cost_interval(r, "supply cost", "feed") == pytest.approx((-math.inf, 400.0))
    assert _cost_interval(r, "variable cost", "unit=u1") == pytest.approx((-math.inf, 300.0))
    assert _cost_interval(r, "variable cost", "unit=u2") == (-math.inf, math.inf)
    lines = api.explain(tmp_path / "res" / "mip", ranging=True)
    assert ("  price of product at plant in p1: 400 USD per t, plan holds at least for [100, "
            "+inf] USD per t (room 75.0%)") in lines
    assert not any(line.startswith(ex.BASIS_NOTE) for line in lines)
    assert not any("unit u2" in line and "variable cost" in line for line in lines)  # any
    # the same plan at a price outside the basis's interval
    write_case(case, {"markets": "site,commodity,price_usd_per_unit,max_k_per_yr\n"
                                 "plant,product,200,600"})
    low = api.run(case, out=tmp_path / "res", name="low")
    assert low.manifest["objective"] == pytest.approx(50.0)
    assert value(low.tables["capacity"], name="u2")["total_k_per_yr"] == 0
    # the basis's own intervals (a model too large to range again): its note, and why
    monkeypatch.setattr(insight, "WIDEN_BELOW_COLUMNS", 6)
    write_case(case, {"markets": "site,commodity,price_usd_per_unit,max_k_per_yr\n"
                                 "plant,product,400,600"})
    basis = api.run(case, out=tmp_path / "res", name="basis")
    lo, hi = _cost_interval(basis.tables["ranging"], "price", "product")
    assert 100.0 <= lo <= 400.0 and hi == math.inf  # within the plan's own interval
    lines = api.explain(tmp_path / "res" / "basis", ranging=True)
    assert lines[3:5] == [ex.FIXED_DECISIONS_NOTE, f"{ex.BASIS_NOTE} (a model of 6 columns; "
                          "one of fewer than 6 is ranged again without them)."]


def test_an_lp_s_cost_intervals_leave_out_a_unit_of_no_capacity(tmp_path):
    """An LP: u1 (500 kt/yr) runs mode run (no variable cost); u2 has no capacity and
    cannot be built, its mode slow costs 50 USD/t. By hand the plan (u1 at 500, sold at
    400 of a 600 kt/yr market) holds for a price in [100, +inf], a feed cost in
    [-inf, 400]; u2 runs at no cost at all: slow's variable cost in [-inf, +inf]. The
    basis HiGHS ends at binds u2's capacity (0) with the value p - 100 - 50, and read
    the price's interval [150, +inf], slow's [-inf, 300] (a cost of an idle unit whose
    rise would change the plan)."""
    case = write_case(tmp_path / "case", {
        **FEED_TO_PRODUCT,
        "modes": "mode,process,variable_cost_usd_per_unit\nrun,make,0\nslow,make2,50",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,feed,in,1\n"
                      "run,product,out,1\nslow,feed,in,1\nslow,product,out,1",
        "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\nplant,product,400,600",
        "units": "unit,site,process,capacity_k_per_yr\nu1,plant,make,500\nu2,plant,make2,0"})
    res = api.run(case, out=tmp_path / "res", name="lp")
    assert not res.manifest["is_mip"] and res.manifest["objective"] == pytest.approx(150.0)
    assert res.manifest["insight"]["forced_zero_columns"] == 1  # slow's activity
    r = res.tables["ranging"]
    assert _cost_interval(r, "price", "product") == pytest.approx((100.0, math.inf))
    assert _cost_interval(r, "supply cost", "feed") == pytest.approx((-math.inf, 400.0))
    assert _cost_interval(r, "variable cost", "mode=slow") == (-math.inf, math.inf)


def test_a_basis_interval_says_the_plan_and_its_values_hold_for_it(tmp_path):
    """small_chain is an LP whose cost intervals are the optimal basis's (nothing forced
    to 0: ``cost_ranging`` ``basis``). The hdpe price at chn in p2026 (950 USD/t) reads
    [-131, 1,088]; at -131 the basis changes at a degenerate optimum (the tob_pe and
    tob_gpp capacities both bind, their values change), not the plan (review sens3 F1):
    at -200 the plan is the same. By hand a plan that does not change moves the
    objective by the price change x the plan's chn hdpe sales x the period's weight:
    p2026 is 5 years from 2026 at 10 %, weight 1 + 1/1.1 + ... + 1/1.1^4 = 4.16987, so
    the objective at -200 is the base's + (-200 - 950) x sales_kt x 4.16987 / 1000 MUSD,
    with the same sales and activity. explain said "plan holds for [-131, 1,088]", read
    as "the plan changes at -131"; then "plan holds at least for", false
    too (review s32 F2): at 1,000, inside, the plan holds but chn's hdpe value moves
    with its price, 950 to 1,000 (hdpe sold at chn: its value is the price). Now "plan
    holds at least for", with a note under the header that the plan may hold beyond an
    end and a marginal value move inside."""
    base = api.run("small_chain", out=tmp_path, name="base")
    assert base.manifest["insight"]["cost_ranging"] == "basis"
    lines = api.explain(tmp_path / "base", ranging=True, top=40)
    assert ex.DEGENERATE_NOTE in lines[3:5]
    assert ("  price of hdpe at chn in p2026: 950 USD per t, plan holds at least for [-131, "
            "1,088] USD per t (room 14.5%)") in lines, lines
    assert not any("marginal values hold" in line for line in lines)
    (tmp_path / "low.yaml").write_text(
        "name: low\nbase: small_chain\nchanges:\n  - {table: markets, where: {site: chn, "
        "commodity: hdpe}, period: p2026, set: {price_usd_per_unit: -200}}\n")
    low = api.run(tmp_path / "low.yaml", out=tmp_path, name="low")
    sales = value(base.tables["sales"], site="chn", commodity="hdpe", period="p2026")
    weight = sum(1.1 ** -y for y in range(5))
    assert weight == pytest.approx(4.16987, abs=1e-5)
    assert low.manifest["objective"] == pytest.approx(
        base.manifest["objective"] - 1150 * sales["sales_k_per_yr"] * weight / 1000, rel=1e-9)
    for table, col in (("sales", "sales_k_per_yr"), ("activity", "activity_k_per_yr")):
        assert np.allclose(low.tables[table][col], base.tables[table][col], rtol=1e-7,
                           atol=1e-6), table
    (tmp_path / "high.yaml").write_text(
        "name: high\nbase: small_chain\nchanges:\n  - {table: markets, where: {site: chn, "
        "commodity: hdpe}, period: p2026, set: {price_usd_per_unit: 1000}}\n")
    high = api.run(tmp_path / "high.yaml", out=tmp_path, name="high")
    assert high.tables["sales"]["sales_k_per_yr"].to_numpy() == pytest.approx(
        base.tables["sales"]["sales_k_per_yr"].to_numpy(), rel=1e-7, abs=1e-6)
    assert [value(r.tables["balances"], site="chn", commodity="hdpe", period="p2026")[
        "shadow_price_usd_per_unit"] for r in (base, high)] == pytest.approx([950.0, 1000.0])


def test_cost_intervals_are_wider_without_forced_columns_on_the_default_case(monkeypatch):
    """The default case (an LP of 1,791 columns; 405 forced to 0 by capacities of 0).
    Ranged again without them, every cost interval holds the basis's interval (it is
    the hull of the two), and dozens end further out. Each is where the plan x stays
    optimal, checked by solving again: a cost coefficient c_j moved to c'_j, between
    the basis's end and the new one, has the optimum c'x = objective + (c'_j - c_j)
    x_j, which it is only if x is still optimal (a better plan would give more)."""
    built = api.build_model(load_case(None))
    out = api.solve(built)
    assert out.status == "optimal"
    h = insight._optimal_lp(built, out)
    r = highs_ranging(h)
    lo, hi, how, forced = insight.cost_intervals(built, out, h, out, r)
    assert (how, forced) == ("widened", 405)
    monkeypatch.setattr(insight, "WIDEN_BELOW_COLUMNS", 0)
    lo0, hi0, how0, _ = insight.cost_intervals(built, out, h, out, r)
    assert how0.startswith("basis: ")
    assert (lo <= lo0).all() and (hi >= hi0).all()
    wider_lo = np.flatnonzero((lo < lo0 - 1e-9) & np.isfinite(lo) & (np.abs(lo) < 1e20))
    wider_hi = np.flatnonzero((hi > hi0 + 1e-9) & np.isfinite(hi) & (np.abs(hi) < 1e20))
    assert len(wider_lo) + len(wider_hi) >= 20  # 58 with HiGHS 1.x; forced ones: +-inf
    c = built.arrays.cost
    for j, moved in [*((j, (lo[j] + lo0[j]) / 2) for j in wider_lo[:3]),
                     *((j, (hi[j] + hi0[j]) / 2) for j in wider_hi[:3])]:
        g = highspy.Highs()
        g.setOptionValue("output_flag", False)
        solve_mod.pass_model(g, built)
        g.changeColCost(int(j), float(moved))
        g.run()
        expected = out.objective + (moved - c[j]) * out.col_value[j]
        assert g.getInfo().objective_function_value == pytest.approx(expected, rel=1e-9,
                                                                     abs=1e-6), j


def _expansion_runs(tmp_path: Path, cap: int, fixed: str = "") -> list[float]:
    """FEED_TO_PRODUCT sold at 300 USD/t (at most ``cap`` kt/yr) by a unit u built at 500
    USD per t/yr (fixed O&M 20, life 10; a fixed charge of ``fixed`` MUSD if given), at
    10 %, cash at the start of each year, p1 = 2026-27, p2 = 2028-30; the objectives with
    u's expansion limit at 9, 10 and 11 kt/yr (run as m9, m10, m11 into tmp_path/res)."""
    out = []
    for max_new in (9, 10, 11):
        case = write_case(tmp_path / f"m{max_new}", {
            **FEED_TO_PRODUCT,
            "units": "unit,site,process,capacity_k_per_yr,fixed_om_usd_per_unit_yr,"
                     "capex_usd_per_unit_yr,max_new_k_per_yr,lifetime_yr,build_fixed_musd\n"
                     f"u,plant,make,0,20,500,{max_new},10,{fixed}",
            "markets": f"site,commodity,price_usd_per_unit,max_k_per_yr\nplant,product,300,"
                       f"{cap}"},
            discount_rate=0.1, cash_flow_timing="start",
            periods=[{"period": "p1", "start_year": 2026, "length_yr": 2},
                     {"period": "p2", "start_year": 2028, "length_yr": 3}])
        out.append(api.run(case, out=tmp_path / "res", name=f"m{max_new}").manifest[
            "objective"])
    return out


def test_an_expansion_limit_worth_its_value_only_for_less_room_says_so(tmp_path):
    """Review econ F2. A unit u (none existing) may be built up to 10 kt/yr a period at
    500 USD per t/yr (life 10, fixed O&M 20), making product 1:1 from feed at 100 USD/t
    sold at 300, at most 10 kt/yr; rate 10 %, cash at the start of each year, p1 =
    2026-27, p2 = 2028-30. By hand u is built to 10 in p1: 1.8 MUSD a year for 5 years
    (sum of 1.1^-k, k = 0..4: 4.169865) less the capex annuity 5 / 6.759024 = 0.739752
    a year over the same years: 7.505757 - 3.084665 = 4.421092 MUSD.

    A limit of 9 builds 1 kt/yr in p2 instead: it loses 180 kUSD a year in 2026-27,
    0.18 x 1.909091 = 0.343636, and saves that kt/yr's annuity then, 0.0739752 x
    1.909091 = 0.141225: 0.202411 less, the 202 USD per t/yr explain gives. A limit of
    11 gains nothing (the sales cap of 10 binds): one t/yr more is worth 0. Explain
    said "each extra t/yr is worth 202" without the hedge its capacity line has: the
    expansion limit had no ranging. It has now, and says "only for less room"."""
    less, base, more = _expansion_runs(tmp_path, cap=10)
    assert base == pytest.approx(4.421092, abs=1e-6)
    assert more == pytest.approx(base, abs=1e-9)
    assert base - less == pytest.approx(0.202411, abs=1e-6)
    lines = api.explain(tmp_path / "res" / "m10")
    assert ("  expansion limit of unit u binds in p1: each extra t/yr is worth 202 USD per "
            "t/yr (NPV) (only for less room: one t/yr more is worth less)") in lines


def test_a_mip_build_made_to_its_limit_is_worth_its_value_for_one_more(tmp_path):
    """Review s24 F1. The case above with a sales cap of 15 kt/yr and a fixed charge of
    0.01 MUSD per build (a MIP): u is built to 10 in p1 and 5 in p2. By hand, 2026-27
    earn 10 x 180 kUSD = 1.8 MUSD a year, 2028-30 15 x 180 = 2.7 (9.540454 discounted);
    the capex annuities are 0.739752 a year over 2026-30 and 0.369876 over 2028-30, and
    each fixed charge 0.01 / 6.759024 a year over its build's years: 3.930385 in all;
    objective 5.610069. A limit of 11 moves one t/yr from the p2 build to p1: +0.343636
    earned in 2026-27, 0.141225 more annuity, +0.202411; a limit of 9, the same less.

    ``max_new`` bounded the column and, through the build decision's row (new <= 10 y),
    the row: with y fixed at 1 both bound, and explain hedged the column's 202 "only for
    less room", and named the row "also at its limit, with a value of 0". A lumpy
    build's column is now bounded by the row alone."""
    less, base, more = _expansion_runs(tmp_path, cap=15, fixed="0.01")
    assert base == pytest.approx(5.610069, abs=1e-6)
    assert more - base == pytest.approx(0.202411, abs=1e-6)
    assert base - less == pytest.approx(0.202411, abs=1e-6)
    lines = api.explain(tmp_path / "res" / "m10")
    assert ("  expansion limit of unit u binds in p1: each extra t/yr is worth 202 USD per "
            "t/yr (NPV)") in lines
    assert not any("also at its limit" in line and "expansion limit" in line for line in lines)


def test_a_capacity_of_zero_ranged_only_for_less_room_is_worth_at_most_its_value(tmp_path):
    """The case of the test above (u not built, a MIP). The ranging of u's capacity row
    (0 k t/yr) ends at 0 upwards, [0, 0]: its value, 400, does not hold for one t/yr
    more, which is worth 400 - 100 = 300 by hand. The ranging line said "one t/yr more
    room is worth 400 ... while it stays in [0, 0]" with no hedge, while the binding
    section said "at most"; now it says "at most" too, by the same test (ex.ends_at)."""
    lines = api.explain(_build_case(tmp_path, "m1", "10"), ranging=True)
    assert ("  capacity of unit u in p1: 0 k t/yr; one t/yr more room is worth at most 400 "
            "USD per t a year; its value holds in [0, 0] k t/yr, not for more room (room 0 k "
            "t/yr)") in lines


def test_the_ranging_of_a_built_unit_s_capacity_names_the_existing_capacity(tmp_path):
    """An LP build (no fixed charge): u, of no existing capacity, is built to 20 kt/yr
    (capacity.csv: existing 0, new 20, total 20). The capacity row's bound is the
    existing capacity, 0 (builds are columns of their own), ranged [-20, +inf]: the line
    read "capacity of unit u in p1: 0 k t/yr ... [-20, +inf]" as if u had none. Now it
    is the existing capacity, with the 20 in place; the value, 300 = 400 - 100 per t a
    year, as before."""
    lines = api.explain(_build_case(tmp_path, "m2", ""), ranging=True)
    assert ("  existing capacity of unit u in p1: 0 k t/yr (20 in place with what is built); "
            "one t/yr more room is worth 300 USD per t a year while it stays in [-20, +inf] "
            "k t/yr (room 20 k t/yr)") in lines


def test_a_gap_in_a_unit_s_capacity_is_not_available_in_that_period():
    """Unit u has 50 kt/yr in p1 and p3 and none in p2 (units_by_period.csv); its p2
    row is worth 480. Explain said "not available until p3", as if u came only in p3;
    now "not available in p2"."""
    cons = pd.DataFrame({"family": "conversion.capacity_max", "kind": "row",
                         "key": ["unit=u, period=p1", "unit=u, period=p2",
                                 "unit=u, period=p3"], "period": ["p1", "p2", "p3"],
                         "side": "upper", "marginal_value": [300.0, 480.0, 300.0],
                         "value_unit": "USD per t", "quantity_unit": "t"})
    cap = pd.DataFrame({"kind": "unit", "name": "u", "period": ["p1", "p2", "p3"],
                        "total_k_per_yr": [50.0, 0.0, 50.0]})
    assert ex.binding_lines(cons, ["p1", "p2", "p3"], capacity=cap)[-1] == (
        "capacity of unit u: not available in p2 (no capacity in p2; one t/yr there would "
        "be worth 480 USD per t a year)")


def test_a_mode_s_variable_cost_is_ranged_per_its_activity_unit(tmp_path):
    """Mode run of unit u (100 capacity units, availability 0.8) takes 1 t of feed (100)
    and gives 0.5 t of product (400) and 0.5 t of waste (free disposal), using 2
    capacity units per unit of activity. By hand its margin is 0.5 x 400 - 100 = 100 per
    unit of activity (per t of feed), so the plan holds while its variable cost stays
    <= 100 USD per t; per capacity unit it would be 50. The ranging line said "USD per
    capacity unit" (the unit's capacity unit, as its capacity is counted); now per t,
    the mode's activity unit, while u's capacity stays per capacity unit (worth 0.8 / 2
    x 100 = 40)."""
    res = solve_case(write_case(tmp_path, {
        **FEED_TO_PRODUCT,
        "commodities": "commodity,unit,kind,disposal\nfeed,t,raw,false\n"
                       "product,t,product,false\nwaste,t,intermediate,true",
        "modes": "mode,process,variable_cost_usd_per_unit,capacity_use\nrun,make,0,2",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,feed,in,1\n"
                      "run,product,out,0.5\nrun,waste,out,0.5",
        "units": "unit,site,process,capacity_k_per_yr,availability\nu,plant,make,100,0.8"}))
    lines = ex.ranging_lines(res["ranging"])
    assert ("  variable cost of mode run of unit u in p1: 0 USD per t, plan holds at "
            "least for [-inf, "
            "100] USD per t (room 100 USD per t)") in lines
    assert any(x.startswith("  capacity of unit u in p1: 100 k capacity unit/yr; one "
                            "capacity unit/yr more room is worth 40 USD per capacity unit")
               for x in lines), lines


def test_elastic_says_it_relaxes_hard_demand_and_what_it_leaves(tmp_path):
    """--elastic relaxes hard demands too (a hard demand of 10 behind a link of 8 losing
    half is lowered to 4, the test above), but its words named demand floors,
    capacities, emission caps, supply limits and sales caps only; and a blend whose
    specs cannot hold together read "lower the demand for fuel from 10 to 0" with no
    word that specs are not relaxed. Now both the relaxation's header and the
    nothing-helps sentence name hard demands and what is left as it is."""
    built = build(load_case(_infeasible(tmp_path)), pyomo=False)
    head = ex.elastic_lines(diagnose.elastic(built))[0]
    assert head.startswith("Smallest relaxation of hard demands, demand floors, capacities")
    assert "blend specs, user constraints, projects' rules and minimum build sizes are left "\
        "as they are" in head
    assert ex.elastic_lines(pd.DataFrame()) == [
        "Relaxing hard demands, demand floors, capacities, emission caps, supply limits and "
        "sales caps cannot make this case feasible: the conflict lies in what --elastic "
        "leaves as it is (blend specs, user constraints, projects' rules and minimum build "
        "sizes)."]


def test_an_option_explain_cannot_use_on_its_target_is_refused(tmp_path):
    """--elastic relaxes a case that does not solve, --ranging ranges a solved plan: each
    given with the other kind of target was ignored without a word (exit 0)."""
    folder = _build_case(tmp_path, "m4", "")
    bad = runner.invoke(app, ["explain", str(folder), "--elastic"])
    assert bad.exit_code == 1 and "--elastic" in bad.output and "results folder" in bad.output
    bad = runner.invoke(app, ["explain", str(tmp_path / "m4_case"), "--ranging"])
    assert bad.exit_code == 1 and "--ranging" in bad.output and "chainopt run" in bad.output
    # a typo, or a folder that is neither: not told to run it as a case
    for other in (tmp_path / "m4_typo", tmp_path):
        bad = runner.invoke(app, ["explain", str(other), "--ranging"])
        text = " ".join(bad.output.split())
        assert bad.exit_code == 1 and "not a results folder (no manifest.json)" in text
        assert "chainopt run" in text and "run it" not in text


def test_a_limit_binding_with_a_value_of_0_beside_a_degenerate_one_is_named(tmp_path):
    """The refinery with its crude limited to 8 kt/yr, cdu1's capacity: both bind on the
    one flow. By hand one more t/yr of either alone is worth 0 (the other holds the
    flow), one less of either costs the margin, 130; HiGHS puts the 130 on one of them,
    the other reads 0. "Why this plan" named only the one with the value ("only for less
    room"); it now names the other too, at its limit with a value of 0."""
    case = write_case(tmp_path / "case", {
        **REFINERY,
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\nplant,crude,100,8"})
    api.run(case, out=tmp_path / "res", name="degen")
    lines = api.explain(tmp_path / "res" / "degen")
    binds = [x for x in lines if " binds in p1: " in x]
    assert len(binds) == 1 and "worth 130 USD per t" in binds[0], lines
    assert "only for less room" in binds[0]
    also = [x for x in lines if x.strip().startswith("also at its limit, with a value of 0")]
    assert len(also) == 1, lines
    names = ("supply limit of crude at plant", "capacity of unit cdu1")
    one = next(n for n in names if n in binds[0])
    other = next(n for n in names if n != one)
    assert also[0].strip().endswith(f"{other} in p1") and one not in also[0]


def test_an_iis_says_a_quantity_that_cannot_be_negative_links_rather_than_relaxes(tmp_path):
    """Two modes of cdu1 (capacity 500): run_a makes 0.6 heavy per t of crude, run_b 0.5;
    a hard floor of 400 heavy is more than 0.6 x 500 = 300. The IIS needs run_b >= 0 (run
    backwards it would free capacity), and listed it among the constraints to "relax or
    remove": no planner relaxes it. It is now said under "linked through", with the
    balance; the capacity and the floor are the ones to relax."""
    case = write_case(tmp_path / "case", {
        **REFINERY,
        "modes": "mode,process,variable_cost_usd_per_unit\nrun_a,cdu,10\nrun_b,cdu,50",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nrun_a,crude,in,1\n"
                      "run_a,light,out,0.4\nrun_a,heavy,out,0.6\nrun_b,crude,in,1\n"
                      "run_b,light,out,0.5\nrun_b,heavy,out,0.5",
        "units": "unit,site,process,capacity_k_per_yr\ncdu1,plant,cdu,500",
        "supplies": "site,commodity,cost_usd_per_unit\nplant,crude,100",
        "markets": "site,commodity,price_usd_per_unit,min_k_per_yr\nplant,light,300,\n"
                   "plant,heavy,200,400"}, demand_floors="hard")
    lines = api.explain(case)
    relax = lines[1:lines.index("  linked through:")]
    assert relax == ["  - capacity of unit cdu1 in p1 (<= 500 k t/yr, units.csv row 2)",
                     "  - demand floor for heavy at plant in p1 (>= 400 k t/yr, markets.csv "
                     "row 3)"], lines
    linked = lines[lines.index("  linked through:") + 1:]
    assert "    mode run_b of unit cdu1 in p1 cannot be negative" in linked


def test_a_netback_whose_rounded_terms_would_not_add_up_takes_one_more_decimal(tmp_path):
    """Crude 100 at the field, 5 by pipe to the refinery; cdu1 (500) runs run_a: 1 crude
    -> 0.4 light + 0.6 heavy, 10 per t; light 300 at the city less 20 rail = 280 at the
    refinery, heavy 150 there. Margin 0.4 x 280 + 0.6 x 150 - 10 - 105 = 87 per t of
    crude, the capacity's rent. Per t of light: 2.5 crude at 105 = 262.5, variable cost
    25, rent 87 x 2.5 = 217.5, heavy 1.5 x 150 = 225: 262.5 + 25 + 217.5 - 225 = 280.
    Written whole, 263 + 25 + 218 - 225 = 281 read as 280: one more decimal now."""
    case = write_case(tmp_path / "case", {
        "commodities": "commodity,unit,kind\ncrude,t,raw\nlight,t,product\nheavy,t,product",
        "sites": "site\nfield\nref\ncity",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\nfield,crude,100,1000",
        "links": "link,from_site,to_site,transport_mode,commodities,cost_usd_per_unit\n"
                 "pipe,field,ref,pipeline,crude,5\nrail,ref,city,rail,light,20",
        "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\ncity,light,300,250\n"
                   "ref,heavy,150,",
        "modes": "mode,process,variable_cost_usd_per_unit\nrun_a,cdu,10",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nrun_a,crude,in,1\n"
                      "run_a,light,out,0.4\nrun_a,heavy,out,0.6",
        "units": "unit,site,process,capacity_k_per_yr\ncdu1,ref,cdu,500"})
    api.run(case, out=tmp_path / "res", name="halves")
    text = "\n".join(api.explain(tmp_path / "res" / "halves"))
    assert ("280 = 262.5 inputs (2.5 crude at 105) + 25 variable cost + 217.5 capacity "
            "rent\n") in text
    assert "- 225 other outputs (1.5 heavy at 150)" in text


def test_a_family_added_to_chainopt_is_named_in_netbacks_and_elastic(monkeypatch):
    """A family added as the README says (its row ``site_cap.throughput_max``, the
    throughput cap of a site, marked ``elastic``): with the cap of site a binding in p1
    at 40 USD per unit (a's margin 100 - 50 - 10 on its capped throughput), a netback's
    rest read "40 other limits" without a name although the binding constraints named
    it, and `explain --elastic`'s header listed the shipped bounds only. Now the rest
    names it by its spec's noun, and the header is read from the specs: the shipped six,
    then the site throughput caps. Binding rows of the shipped transport or market
    families are not a mode's limits and stay unnamed."""
    from chainopt.models import registry
    from chainopt.models.spec import Row

    cap = Row("site_cap", "throughput_max", dims=("site", "period"),
              sense="<=", noun="throughput cap of site {site}",
              results="constraints", what="site throughput cap",
              ranging=True, elastic=True)
    monkeypatch.setitem(registry.ROWS, cap.label, cap)
    cons = pd.DataFrame({
        "family": [cap.label, "transport.capacity_max", "conversion.capacity_max"],
        "kind": "row", "key": ["site=a, period=p1", "link=l, period=p1",
                               "unit=r2, period=p1"],
        "period": "p1", "marginal_value": [40.0, 5.0, 30.0]})
    rents, limits = ex._unit_rents(cons, "p1")
    assert rents == {"r2": 30.0}
    assert limits == ("throughput cap of site a",)
    assert ex.elastic_relaxes() == (
        "hard demands, demand floors, capacities, emission caps, supply limits, sales caps "
        "and site throughput caps")


def _sens_toy(tmp_path: Path) -> Path:
    """The sensitivity review's toy (tests/report/test_sensitivity_review.py) with p
    optional and divisible, run; its results folder."""
    from tests.report.test_sensitivity_review import META, TOY

    case = write_case(tmp_path / "toy", {**TOY, "projects": (
        "project,capex_musd,earliest_period,lifetime_yr,all_or_nothing,state\n"
        "p,30,p1,5,false,optional")}, **META)
    api.run(case, out=tmp_path / "res", name="toy")
    return tmp_path / "res" / "toy"


def test_a_netback_whose_terms_have_more_decimals_than_its_value_adds_up(tmp_path):
    """The review's toy (review sens2 F6): p divisible, built at 0.7, u_new's capacity
    binding at its capex annuity 300 USD per t/yr / w = 300 / 4.169865 = 71.9448 per t a
    year. prod at plant is worth 137.5 (1.25 feed at 100 + 10 rail) + 20 (run_new's
    variable cost) + 71.9448 = 229.4448; by run_old 137.5 + 60 + 31.9448 (= 71.9448 - 40,
    u_old's rent). Written as every number is (whole from 100, two decimals from 1), it
    read "229 = 138 + 20 + 71.94", whose terms add up to 229.94, and one more decimal
    (229.4 = 137.5 + 20 + 71.945, 229.445) did not help either. All at two decimals, the
    most any term has, they add up: 137.50 + 20.00 + 71.94 = 229.44, written "229.44 =
    137.5 + 20 + 71.94"; likewise 137.50 + 60.00 + 31.94 = 229.44."""
    from chainopt.results import Results
    from tests.report.test_sensitivity_review import W

    folder = _sens_toy(tmp_path)
    bal = Results.load(folder).tables["balances"]
    at_plant = bal[(bal["commodity"] == "prod") & (bal["site"] == "plant")]
    assert at_plant["shadow_price_usd_per_unit"].iloc[0] == pytest.approx(
        137.5 + 20 + 300 / W, abs=1e-6)  # 229.4448
    text = "\n".join(api.explain(folder))
    assert ("made at plant by mode run_new of unit u_new: 229.44 = 137.5 inputs (1.25 feed "
            "at 110) + 20 variable cost + 71.94 capacity rent\n") in text, text
    assert ("made at plant by mode run_old of unit u_old: 229.44 = 137.5 inputs (1.25 feed "
            "at 110) + 60 variable cost + 31.94 capacity rent\n") in text, text


def test_top_says_how_many_netbacks_it_leaves_out(tmp_path):
    """The toy sells prod (120 kt/yr x 300 = 36 MUSD a year) and widget (10 x 100 = 1):
    ``--top 1`` shows prod's netback and said nothing of widget's (review sens2 F7); it
    now ends the netbacks with "... and 1 more commodity sold (sales.csv)", as the
    binding constraints end theirs. Without --top both are shown, and no such line."""
    folder = _sens_toy(tmp_path)
    lines = api.explain(folder, top=1)
    start = next(i for i, x in enumerate(lines) if x.startswith("netbacks in p1"))
    end = lines.index("", start)  # the netbacks end at an empty line
    shown = [x.strip() for x in lines[start:end] if x.startswith("  ") and
             not x.startswith("    ")]
    assert shown == ["prod (USD per t):", "... and 1 more commodity sold (sales.csv)"], lines
    text = "\n".join(api.explain(folder))
    assert "widget (USD per t):" in text and "more commodity sold" not in text


def test_a_conflict_states_what_availability_leaves_and_is_sought_on_the_rays_rows(
        tmp_path, monkeypatch):
    """Review infeas F1 and F2. cdu1 (80 kt/yr of crude, availability 0.9) holds at most
    80 x 0.9 = 72 kt/yr; a user minimum run of 80 (activity of cdu1 >= 80) cannot hold.
    The member read "(<= 80 k t/yr)" beside ">= 80": no conflict to the eye. It states
    the availability and what it leaves, 72; the relaxation raises the stated capacity
    to 80 / 0.9 = 88.89.

    100 more sites each buy and sell their own crude (a balance row each, all
    feasible). HiGHS's IIS of the whole LP runs a deletion filter, one LP per row: a
    30k-column case took 5 to 9 minutes a conflict. It is asked of the rows of HiGHS's
    dual ray alone (a proof of infeasibility: here the capacity row and the user
    constraint, which contradict each other through cdu1's activity): never of an LP of
    more than a few rows, and the conflict is the same."""
    sites = [f"s{i:03d}" for i in range(100)]
    folder = write_case(tmp_path, {
        "commodities": "commodity,unit,kind\ncrude,t,raw\nlight,t,product",
        "sites": "site\nplant\n" + "\n".join(sites),
        "modes": "mode,process\nrun,cdu",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,crude,in,1\n"
                      "run,light,out,1",
        "units": "unit,site,process,capacity_k_per_yr,availability\ncdu1,plant,cdu,80,0.9",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\nplant,crude,100,200\n"
                    + "\n".join(f"{s},crude,100,10" for s in sites),
        "markets": "site,commodity,price_usd_per_unit\nplant,light,300\n"
                   + "\n".join(f"{s},crude,150" for s in sites),
        "constraints": "constraint,sense,rhs\nminrun,>=,80",
        "constraint_terms": "constraint,term,quantity,coef,unit\nminrun,1,activity,1,cdu1"})
    asked: list[int] = []
    whole = infeasibility.irreducible_iis

    def counted(h):
        asked.append(h.getNumRow())
        return whole(h)

    monkeypatch.setattr(infeasibility, "irreducible_iis", counted)
    text = "\n".join(api.explain(folder, elastic=True))
    assert ("capacity of unit cdu1 in p1 (<= 80 k t/yr x availability 0.9 = 72, units.csv row "
            "2)") in text, text
    assert ("user constraint minrun in p1 (>= 80 k activity unit/yr, constraints.csv row 2)"
            in text), text
    assert ("raise the capacity of unit cdu1 in p1 from 80 to 88.89 k t/yr (by 8.89; units.csv "
            "row 2)") in text
    built = api.build_model(api.load_case(folder))
    assert built.num_rows > 100 and asked and max(asked) <= 5, (built.num_rows, asked)


def test_a_conflict_names_the_row_of_a_table_by_period_where_it_sets_the_number(tmp_path):
    """Review infeas F4: _infeasible's floor of 50 (markets.csv row 2) in p1 and 60 in
    p2 from markets_by_period.csv row 2 (cdu1 makes at most 20 in each): each period's
    conflict names the row that sets its floor; the capacity, not by period, units.csv
    row 2 in both."""
    folder = _infeasible(tmp_path)
    doc = (folder / "case.yaml").read_text().replace(
        "- length_yr: 1\n  period: p1\n  start_year: 2026\n",
        "- length_yr: 1\n  period: p1\n  start_year: 2026\n"
        "- length_yr: 1\n  period: p2\n  start_year: 2027\n")
    assert "p2" in doc
    (folder / "case.yaml").write_text(doc)
    (folder / "markets_by_period.csv").write_text(
        "site,commodity,period,min_k_per_yr\nmkt,light,p2,60\n")
    text = " ".join(" ".join(api.explain(folder, elastic=True)).split())
    assert "demand floor for light at mkt in p1 (>= 50 k t/yr, markets.csv row 2)" in text
    assert ("demand floor for light at mkt in p2 (>= 60 k t/yr, markets_by_period.csv row 2)"
            in text), text
    assert text.count("capacity of unit cdu1 in p") == 2
    assert text.count("(<= 40 k t/yr, units.csv row 2)") == 2
    assert ("lower the demand floor for light at mkt in p2 from 60 to 20 k t/yr (by 40; "
            "markets_by_period.csv row 2)") in text, text


def test_a_tiered_floor_cites_its_tier_and_a_second_conflict_is_not_hidden(tmp_path):
    """Review diag2 F1, F2, F5.

    Tiers: light at mkt sold in tier 2 (markets.csv row 3, floor 20; 25 in p2 from
    markets_by_period.csv row 2) and tier 1 (row 4, floor 20). cdu1 (80 kt/yr x 0.9 = 72
    of crude, 0.5 light) makes 36 < 40 (45 in p2). Tier 1's floor cited row 3, the
    first row of mkt and light, which is tier 2's; and in p2 tier 2's override.

    Hidden conflict: crude at plant has a floor of 200 against a supply of 100 (cdu1's
    modes cannot make crude, unless run backwards), and light at mkt a floor of 50
    against cdu1's 80 x 0.5 = 40: two conflicts, each linked through modes that cannot
    be negative. The first found dropped those bounds too: m2 run backwards (3 bbl of
    heavy, bought freely, into 1 t of crude) met the light floor, and explain said no
    other conflict was left. Both are named now.

    An optional project's build that cannot be negative read "forced project renew".
    """
    base = {"commodities": "commodity,unit,kind\ncrude,t,raw\nlight,t,product\n"
                           "heavy,t,product",
            "sites": "site\nplant\nmkt",
            "links": "link,from_site,to_site,commodities,cost_usd_per_unit\n"
                     "l1,plant,mkt,light,10",
            "modes": "mode,process,variable_cost_usd_per_unit\nrun,cdu,8",
            "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,crude,in,1\n"
                          "run,light,out,0.5\nrun,heavy,out,0.5",
            "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\nplant,crude,100,100",
            "units": "unit,site,process,capacity_k_per_yr,availability\ncdu1,plant,cdu,80,0.9"}
    tiers = write_case(tmp_path / "tiers", {
        **base,
        "markets": "site,commodity,tier,price_usd_per_unit,max_k_per_yr,min_k_per_yr\n"
                   "plant,heavy,1,200,,0\nmkt,light,2,300,,20\nmkt,light,1,400,30,20",
        "markets_by_period": "site,commodity,tier,period,min_k_per_yr\nmkt,light,2,p2,25"},
        demand_floors="hard", periods=[{"period": "p1", "start_year": 2026, "length_yr": 1},
                                       {"period": "p2", "start_year": 2027, "length_yr": 1}])
    text = " ".join(" ".join(api.explain(tiers)).split())
    for period in ("p1", "p2"):
        assert (f"demand floor for light at mkt (tier 1) in {period} (>= 20 k t/yr, "
                "markets.csv row 4)") in text, text
    assert ("demand floor for light at mkt (tier 2) in p1 (>= 20 k t/yr, markets.csv row 3)"
            in text), text
    assert ("demand floor for light at mkt (tier 2) in p2 (>= 25 k t/yr, markets_by_period.csv "
            "row 2)") in text, text
    two = write_case(tmp_path / "two", {
        **base, "commodities": base["commodities"].replace("heavy,t", "heavy,bbl"),
        "modes": "mode,process,variable_cost_usd_per_unit\nm1,cdu,1\nm2,cdu,1",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nm1,crude,in,1\n"
                      "m1,light,out,0.5\nm2,crude,in,1\nm2,heavy,out,3",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\nplant,crude,100,100\n"
                    "plant,heavy,1,",
        "units": "unit,site,process,capacity_k_per_yr\ncdu1,plant,cdu,80",
        "markets": "site,commodity,price_usd_per_unit,min_k_per_yr\nmkt,light,400,50\n"
                   "plant,crude,50,200"}, demand_floors="hard")
    d = diagnose.diagnose(build(load_case(two), pyomo=False))
    assert d.complete and set(d.members["conflict"]) == {1, 2}
    text = " ".join(" ".join(api.explain(two)).split())
    assert "demand floor for crude at plant in p1 (>= 200 k t/yr, markets.csv row 3)" in text
    assert "supply limit of crude at plant in p1 (<= 100 k t/yr, supplies.csv row 2)" in text
    assert "capacity of unit cdu1 in p1 (<= 80 k t/yr, units.csv row 2)" in text
    assert "demand floor for light at mkt in p1 (>= 50 k t/yr, markets.csv row 2)" in text
    # a project's build linking a conflict (review diag2's case pj: renew optional)
    build_of = pd.Series({"family": "investment.project_build", "kind": "bound",
                          "key": "project=renew, period=p2", "period": "p2", "side": "lower",
                          "bound": 0.0, "quantity_unit": "project share"})
    assert ex._member_text(build_of) == "project renew in p2 cannot be negative"


def test_a_unit_out_of_service_all_the_period_is_said_so(tmp_path):
    """Review diag2 F3. cdu1 (80 kt/yr of crude, availability 0.9) retires in 2029, cdu2
    (10, availability 0.8) stays; periods 2026-30 and 2031-35 at 10 %; light (0.5 t per
    t of crude) has a hard floor of 30 at mkt. In p1 cdu1 is in service 3 of the 5 years:
    by present value (1 + 1/1.1 + 1/1.1^2) / (1 + ... + 1/1.1^4) = 2.7355 / 4.1699 =
    0.656, so it holds 80 x 0.9 x 0.656 = 47.23 and with cdu2's 8, 55.23 x 0.5 = 27.6 <
    30 of light. In p2 it is gone: its member read "(<= 0 k t/yr x availability 0.9 =
    0, units.csv row 2)", against the 80 that row states; it says the unit is not in
    service then."""
    folder = write_case(tmp_path / "ret", {
        "commodities": "commodity,unit,kind\ncrude,t,raw\nlight,t,product\nheavy,t,product",
        "sites": "site\nplant\nmkt",
        "links": "link,from_site,to_site,commodities,cost_usd_per_unit\nl1,plant,mkt,light,10",
        "modes": "mode,process,variable_cost_usd_per_unit\nrun,cdu,8",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,crude,in,1\n"
                      "run,light,out,0.5\nrun,heavy,out,0.5",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\nplant,crude,100,1000",
        "units": "unit,site,process,capacity_k_per_yr,availability,retire_year\n"
                 "cdu1,plant,cdu,80,0.9,2029\ncdu2,plant,cdu,10,0.8,",
        "markets": "site,commodity,price_usd_per_unit,min_k_per_yr\nmkt,light,400,30\n"
                   "plant,heavy,200,0"},
        demand_floors="hard", discount_rate=0.1,
        periods=[{"period": "p1", "start_year": 2026, "length_yr": 5},
                 {"period": "p2", "start_year": 2031, "length_yr": 5}])
    text = " ".join(" ".join(api.explain(folder)).split())
    share = (1 + 1 / 1.1 + 1 / 1.1**2) / sum(1 / 1.1**y for y in range(5))
    assert f"{share:.3f}" == "0.656" and f"{80 * 0.9 * share:.2f}" == "47.23"
    assert ("capacity of unit cdu1 in p1 (<= 80 k t/yr x availability 0.9 x 0.656 of the "
            "period in service = 47.23, units.csv row 2)") in text, text
    assert ("capacity of unit cdu1 in p2 (<= 0 k t/yr: not in service in the period, "
            "units.csv row 2)") in text, text
    assert "capacity of unit cdu2 in p2 (<= 10 k t/yr x availability 0.8 = 8, units.csv row 3)" \
        in text


def test_a_case_infeasible_only_in_its_integer_decisions_names_them(tmp_path):
    """Review diag2 F6. All-or-nothing projects a and b exclude each other (a + b <= 1)
    and each brings a unit of 40 kt/yr; user constraints ask 20 of each unit's activity,
    so each project is needed at 20 / 40 = 0.5 at least: the LP relaxation solves only at
    a = b = 0.5, no plan builds whole projects. Explain said to check min_new_k_per_yr
    and the build periods; it names the two decisions the relaxation takes in part."""
    folder = write_case(tmp_path / "mip", {
        "commodities": "commodity,unit,kind\ncrude,t,raw\nlight,t,product",
        "sites": "site\nplant",
        "modes": "mode,process,variable_cost_usd_per_unit\nrun,cdu,8",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,crude,in,1\n"
                      "run,light,out,1",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\nplant,crude,100,100",
        "markets": "site,commodity,price_usd_per_unit\nplant,light,400",
        "units": "unit,site,process,capacity_k_per_yr,project\nua,plant,cdu,40,a\n"
                 "ub,plant,cdu,40,b",
        "projects": "project,capex_musd,earliest_period,lifetime_yr,all_or_nothing,state,"
                    "excludes\na,1,p1,25,true,optional,b\nb,1,p1,25,true,optional,",
        "constraints": "constraint,sense,rhs\nrun_a,>=,20\nrun_b,>=,20",
        "constraint_terms": "constraint,term,quantity,coef,unit\nrun_a,1,activity,1,ua\n"
                            "run_b,1,activity,1,ub"})
    lines = api.explain(folder)
    assert lines[0].startswith("case 'toy': its LP relaxation is feasible but no plan meets "
                               "the integer decisions"), lines
    assert lines[1:] == ["The relaxation takes these in part, where the rules ask all or "
                         "nothing:", "  - project a in p1: 0.5", "  - project b in p1: 0.5"]


def test_the_ranging_arrays_are_highs_own_numbers_each_converted_once():
    """``highs_ranging`` hands HiGHS's ranging over as numpy arrays, the numbers of
    highspy's lists, each made once (highspy makes a new list on every access)."""
    built = api.build_model(load_case("small_chain"))
    api.solve(built)
    raw = built.solver.getRanging()[1]
    r = highs_ranging(built.solver)
    for name in ("col_cost_dn", "col_cost_up", "col_bound_dn", "col_bound_up",
                 "row_bound_dn", "row_bound_up"):
        values = getattr(r, name)
        assert values.tolist() == list(getattr(raw, name).value_)
        assert getattr(r, name) is values


#: product made at plant from feed bought at 100 USD/t (unit u, 100 kt/yr, not binding)
#: and carried to a, b and c at 10 USD/t on links pa, pb and pc (no market at plant)
_THREE_MARKETS = {
    **{k: v for k, v in FEED_TO_PRODUCT.items() if k != "markets"},
    "sites": "site\nplant\na\nb\nc",
    "units": "unit,site,process,capacity_k_per_yr\nu,plant,make,100",
    "links": "link,from_site,to_site,commodities,cost_usd_per_unit\npa,plant,a,product,10\n"
             "pb,plant,b,product,10\npc,plant,c,product,10",
}


def test_top_cuts_a_commodity_sold_at_many_markets_to_its_largest_sales(tmp_path):
    """product is sold at a (10 kt/yr at 400 USD/t: 4 MUSD a year), b (20 x 500 = 10) and c
    (30 x 450 = 13.5), each market capped; made at plant for 100 (the feed; u's capacity
    of 100 kt/yr holds the 60 sold) and carried for 10, it is worth 110 at each market,
    and each sale earns its price less 110 as its cap's rent (500 - 110 = 390 at b). A
    commodity of a large case was sold at 500 markets and explain printed every one and
    every chain back from them (28,537 lines at 300k variables): ``--top 2`` keeps the
    two largest sales by revenue, c and b, in the table's order (b, then c), says the
    third is left out, and walks back from b and c alone (no leg via pa). The default
    (10) shows all three and no such line."""
    folder = write_case(tmp_path / "case", {**_THREE_MARKETS, "markets": (
        "site,commodity,price_usd_per_unit,max_k_per_yr\na,product,400,10\n"
        "b,product,500,20\nc,product,450,30")})
    api.run(folder, out=tmp_path / "res", name="three")
    lines = _netback(api.explain(tmp_path / "res" / "three", top=2), "product")
    assert lines[:4] == [
        "  product (USD per t):",
        "    sold at b for 500 less 390 sales cap rent (worth 110 there)",
        "    sold at c for 450 less 340 sales cap rent (worth 110 there)",
        "    ... and 1 more sale, and the chains back from it (sales.csv)"], lines
    legs = [x for x in lines if x.startswith("    back: ")]
    assert [x.split(" (via ")[1].split(",")[0] for x in legs] == ["pb to b", "pc to c"], legs
    every = _netback(api.explain(tmp_path / "res" / "three"), "product")
    assert [x for x in every if "sold at" in x] == [
        "    sold at a for 400 less 290 sales cap rent (worth 110 there)",
        "    sold at b for 500 less 390 sales cap rent (worth 110 there)",
        "    sold at c for 450 less 340 sales cap rent (worth 110 there)"], every
    assert not any("more sale" in x for x in every), every
    assert len([x for x in every if x.startswith("    back: ")]) == 3, every


def test_top_cuts_a_commodity_delivered_to_many_demands_to_its_largest(tmp_path):
    """A cost case: hard demands of 10, 20 and 30 kt/yr of product at a, b and c, made
    at plant for 100 USD/t and carried for 10: one more t costs 110 at each. ``--top 1``
    keeps the largest delivery (c, 30 kt/yr), says the two others are left out and walks
    back from c alone."""
    folder = write_case(tmp_path / "case", {**_THREE_MARKETS, "demand": (
        "site,commodity,amount_k_per_yr\na,product,10\nb,product,20\nc,product,30")},
        objective="cost")
    api.run(folder, out=tmp_path / "res", name="three")
    lines = _netback(api.explain(tmp_path / "res" / "three", top=1), "product")
    assert lines[:3] == [
        "  product (USD per t):",
        "    delivered at c (30 k t/yr), one more costs 110",
        "    ... and 2 more deliveries, and the chains back from them (demand.csv)"], lines
    legs = [x for x in lines if x.startswith("    back: ")]
    assert len(legs) == 1 and "(via pc to c, " in legs[0], legs
