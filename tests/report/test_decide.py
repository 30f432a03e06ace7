"""Decision-ready outputs (issue 18): one-pagers, break-even and tornado, the comparison
summary. Expected numbers are derived by hand in the docstrings.

The toy chain (as in tests/models/test_investment_economics.py): 1 t feed (100 USD/t)
makes 1 t product at a unit of the project ``pj`` (10 kt/yr, capex 10 MUSD, life 10);
the product sells at 300 USD/t; one 10-year period from 2026, r = 10 %, cash flows at
the start of each year, so w = sum_{k<10} 1.1^-k = 6.759024.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rich.console import Console
from typer.testing import CliRunner

from chainopt import api, cli
from chainopt import sensitivity as sens
from chainopt.case.load import load_case
from chainopt.case.scenario import without_projects
from chainopt.cli import app
from chainopt.report import compare, economics, onepager
from tests.models.test_investment_economics import (
    FIVE_FIVE,
    TEN,
    _project_case,
    dsum,
    irr_by_hand,
)

SCEN = Path(__file__).resolve().parents[2] / "scenarios"
W = dsum(2026, 2035)


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    """The optional project (it pays: 10 * 200 * w / 1000 - 10 = 3.518 MUSD > 0)."""
    folder = tmp_path_factory.mktemp("toy")
    return _project_case(folder, "pj,10,p1,10,0,true,optional,,\n", margin=200.0,
                         periods=TEN)


@pytest.fixture(scope="module")
def setup(toy):
    return sens.setup(str(toy), "pj")


def test_waterfall_bars_add_to_the_incremental_npv_by_hand(tmp_path):
    """Project pj with a 3-year lead time in two 5-year periods (the case of
    test_lead_time_residual_value_and_one_stream): 9 MUSD spent 3/3/3 at the starts of
    2026-2028, usable 2029-2038, 10 kt/yr made and sold in each of 2029-2035.
    Bars: revenue = 10 * 300 * sum_{2029}^{2035} d / 1000, feed = -10 * 100 *
    sum_{2029}^{2035} d / 1000, capex = -3 (d(2026) + d(2027) + d(2028)), residual =
    A sum_{2036}^{2038} d with A sum_{2029}^{2038} d = the capex PV; nothing else moves.
    They add to the objective difference."""
    folder = _project_case(tmp_path, "pj,9,p1,10,3,true,optional,,\n", periods=FIVE_FIVE)
    case = load_case(folder)
    cf, sc = api.run(without_projects(case, ["pj"]), save=False), api.run(case, save=False)
    made = dsum(2029, 2035)
    spend = 3 * dsum(2026, 2028)
    hand = {"revenue": 10 * 300 * made / 1000, "feed / supply": -10 * 100 * made / 1000,
            "operating cost": 0.0, "transport": 0.0, "carbon": 0.0, "shortfall penalty": 0.0,
            "capex": -spend, "residual value": spend / dsum(2029, 2038) * dsum(2036, 2038)}
    wf = economics.waterfall(cf, sc).set_index("category")["npv_musd"]
    for k, v in hand.items():
        assert wf[k] == pytest.approx(v, abs=1e-9), k
    assert wf.sum() == pytest.approx(sc.objective - cf.objective, abs=1e-9)
    assert sum(hand.values()) == pytest.approx(sc.objective - cf.objective, abs=1e-9)


def test_waterfall_has_the_disposal_bar(tmp_path):
    """The same project, but 1.5 t of feed make 1 t of product and 0.5 t of waste,
    disposed of at 10 USD/t (the product sells at 400 USD/t: it still pays): the
    disposal bar is -10 * 0.5 * 10 * sum_{2029}^{2035} d / 1000 MUSD and
    the bars still add to the objective difference (there was no disposal bar: they
    missed it by exactly that amount)."""
    extra = {"commodities": "commodity,unit,kind,disposal,disposal_cost_usd_per_unit\n"
                            "feed,t,raw,false,0\nproduct,t,product,false,0\n"
                            "waste,t,intermediate,true,10\n",
             "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,feed,in,1.5\n"
                           "run,product,out,1\nrun,waste,out,0.5\n"}
    folder = _project_case(tmp_path, "pj,9,p1,10,3,true,optional,,\n", margin=300.0,
                           periods=FIVE_FIVE, extra=extra)
    case = load_case(folder)
    cf, sc = api.run(without_projects(case, ["pj"]), save=False), api.run(case, save=False)
    wf = economics.waterfall(cf, sc).set_index("category")["npv_musd"]
    assert wf["disposal"] == pytest.approx(-10 * 0.5 * 10 * dsum(2029, 2035) / 1000,
                                           abs=1e-9)
    assert wf.sum() == pytest.approx(sc.objective - cf.objective, abs=1e-9)


def test_waterfall_bars_cover_every_category_of_the_objective():
    """Every cash-flow category but capex (the stream's overnight spend) and net is in
    exactly one bar: a new objective category cannot be left out again."""
    cats = [c for _, cs in economics.WATERFALL for c in cs]
    assert sorted(cats) == sorted(set(economics.CATEGORIES) - {"capex", "net"})


@pytest.fixture(scope="module")
def port_compare(tmp_path_factory):
    """small_chain against three scenarios (the port one builds far_east_port)."""
    out = tmp_path_factory.mktemp("cmp")
    names = ["small_chain", str(SCEN / "small_port_expansion.yaml"),
             str(SCEN / "small_high_prices.yaml"), str(SCEN / "small_chained.yaml")]
    sections, outcomes, folder = api.compare(names, out=out, name="four", jobs=1)
    return sections, [o.name for o in outcomes], folder


def test_compare_sections_for_one_pagers(port_compare):
    """The port's waterfall adds to its incremental NPV; its cash flows mark payback."""
    sections, _names, folder = port_compare
    eco = sections["economics"]
    port = eco[(eco["scenario"] == "small_port_expansion")
               & (eco["effect"] == "far_east_port")].iloc[0]
    wf = sections["project_waterfall"]
    bars = wf[(wf["scenario"] == "small_port_expansion") & (wf["effect"] == "far_east_port")]
    assert list(bars["category"]) == [c for c, _ in economics.WATERFALL]
    assert bars["npv_musd"].sum() == pytest.approx(port["incremental NPV (MUSD)"], abs=1e-6)
    cc = sections["project_constraints"]
    mine = cc[(cc["scenario"] == "small_port_expansion") & (cc["effect"] == "far_east_port")]
    assert 0 < len(mine) <= 3
    tables = {p.stem: pd.read_csv(p, keep_default_na=False, na_values=[""])
              for p in folder.glob("*.csv")}
    pages = onepager.pages(tables)
    page = next(p for p in pages if p.project == "far_east_port"
                and p.scenario == "small_port_expansion")
    assert page.payback_from == 2026
    assert page.payback_year == pytest.approx(2026 + port["payback (yr)"])
    pe = tables["party_economics"]  # the cooperation economics: the page shows them
    mine = pe[(pe["scenario"] == "small_port_expansion") & (pe["project"] == "far_east_port")]
    assert list(onepager.party_rows(page)["NPV (MUSD)"]) == pytest.approx(
        list(mine["NPV (MUSD)"]))
    without = {k: v for k, v in tables.items() if k != "party_economics"}
    page = next(p for p in onepager.pages(without) if p.project == "far_east_port")
    assert page.parties is None  # no party table: the page leaves it out
    tables["party_economics"] = pd.DataFrame({
        "scenario": ["small_port_expansion"] * 2, "project": ["far_east_port"] * 2,
        "party": ["sponsor", "lender"], "NPV (MUSD)": [10.0, 2.3], "IRR": [0.2, 0.07]})
    page = next(p for p in onepager.pages(tables) if p.project == "far_east_port")
    assert list(onepager.party_rows(page)["party"]) == ["sponsor", "lender"]


def test_compare_summary_fits_100_columns(port_compare, monkeypatch):
    """Summary first, one line per scenario; detail only on request and, with four runs,
    one row per key and run; nothing cut to '…' at 100 columns."""
    sections, names, folder = port_compare
    s = compare.summary(sections, names)
    assert list(s["scenario"]) == names
    row = s.set_index("scenario").loc["small_port_expansion"]
    assert row["projects built"] == "far_east_port"
    obj = sections["objective"].set_index("kpi (MUSD, NPV)")
    assert row["Δ (MUSD)"] == pytest.approx(obj.loc["objective",
                                                    "Δ small_port_expansion"])
    buf = io.StringIO()
    monkeypatch.setattr(cli, "console", Console(file=buf, width=100, color_system=None))
    cli.print_comparison(sections, names, ["production", "economics"], rows=8)
    text = buf.getvalue()
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= 100
    assert text.lstrip().startswith("Summary")
    assert "Production by product" in text and " run " in text  # transposed: a run column
    buf.truncate(0)
    buf.seek(0)
    cli.print_comparison(sections, names, [], rows=8)
    assert "Production by product" not in buf.getvalue()
    assert "--detail" in buf.getvalue()
    md = (folder / "comparison.md").read_text()
    assert md.index("## Summary") < md.index("## Economics")
    assert "(production.csv)" in md and "(project_waterfall.csv)" in md
    assert len(md) < 20_000


def test_compare_cli_width_100(tmp_path, monkeypatch):
    """The CLI through CliRunner on a console 100 columns wide: no '…' anywhere, and no
    line wider than 100 but those naming the output folder, which are printed whole (a
    path copied from the terminal must not be cut: review cli F6) and hold pytest's long
    tmp_path here."""
    buf = io.StringIO()
    monkeypatch.setattr(cli, "console", Console(file=buf, width=100, color_system=None))
    res = CliRunner().invoke(app, ["compare", "small_chain",
                                   str(SCEN / "small_port_expansion.yaml"), "--out",
                                   str(tmp_path), "--jobs", "1", "--detail", "exports"])
    assert res.exit_code == 0, res.output
    text = buf.getvalue()
    assert "…" not in text and "Summary" in text and "Sales by market site" in text
    assert max(len(line) for line in text.splitlines() if str(tmp_path) not in line) <= 100


def test_break_even_by_hand(setup):
    """Held built, NPV(x) = 10 * margin(x) * w / 1000 - 10 (capex scaled: - 10 x):
    price factor p*: 10 (300 p - 100) w / 1000 = 10 -> p* = (100 + 1000 / w) / 300
    = 0.826501; feed factor f*: 300 - 100 f = 1000 / w -> f* = 1.520496; capex factor
    c* = 2 w / 10 = 1.351805; discount rate r*: the IRR of -10 + 2 (start of 2026) and
    2 in 2027-2035, i.e. of [-8, 2 x 9] = 20.24 %. No carbon price in the case: none."""
    assert setup.plan == {"p1": 1.0} and setup.products == ["product"]
    assert sens.npv(setup) == pytest.approx(2 * W - 10, abs=1e-9)
    hand = {"price": (100 + 1000 / W) / 300, "feed": (300 - 1000 / W) / 100,
            "capex": 2 * W / 10, "discount": irr_by_hand([2 - 10] + [2] * 9)}
    for driver, value in hand.items():
        be = sens.break_even(setup, driver)
        assert be["value"] == pytest.approx(value, rel=1e-6), driver
    assert sens.break_even(setup, "carbon")["value"] is None
    assert setup.warm == setup.solves  # every variant re-solved warm
    # ... each price, feed and capex variant from its driver's map, none built again
    assert {d: type(m).__name__ for d, m in setup.maps.items()} == dict.fromkeys(
        ("price", "feed", "capex"), "WarmMap")


def test_tornado_bar_equals_the_npv_of_a_resolved_variant(setup, toy):
    """The price +20 % bar: NPV = 10 (360 - 100) w / 1000 - 10 = 7.573 MUSD, and the same
    from two fresh runs (the scenario with the price scaled and pj forced, and with pj
    off); the capex -20 % bar: 2 w - 8."""
    tor = sens.tornado(setup, ["price", "capex"], 0.2).set_index("driver")
    assert tor.loc["price", "npv_high_musd"] == pytest.approx(10 * 260 * W / 1000 - 10,
                                                             abs=1e-9)
    assert tor.loc["capex", "npv_high_musd"] == pytest.approx(2 * W - 12, abs=1e-9)
    assert tor.loc["capex", "npv_low_musd"] == pytest.approx(2 * W - 8, abs=1e-9)
    case = load_case(toy)
    high = sens.validate(sens._apply(case.raw, [
        {"project": "pj", "state": "forced", "period": "p1"},
        {"table": "markets", "scale": {"price_usd_per_unit": 1.2}}], str(toy)))
    npv = (api.run(high, save=False).objective
           - api.run(without_projects(high, ["pj"]), save=False).objective)
    assert tor.loc["price", "npv_high_musd"] == pytest.approx(npv, abs=1e-9)
    assert tor.index[0] == "price"  # the widest swing first


def test_monte_carlo_percentiles():
    kp = pd.DataFrame({"variant": [f"s{i}" for i in range(10)], "status": "optimal",
                       "npv_pj_incremental_musd": np.arange(10.0),
                       "built_pj": [0, 0, 0, 1, 1, 1, 1, 1, 1, 1]})
    mc = sens.monte_carlo(kp).set_index("project").loc["pj"]
    assert mc["p10_musd"] == pytest.approx(0.9)  # numpy's linear rule: 0 + 0.9 (1 - 0)
    assert mc["p50_musd"] == pytest.approx(4.5)
    assert mc["p90_musd"] == pytest.approx(8.1)
    assert mc["p_built"] == pytest.approx(0.7)


def test_monte_carlo_p50_range_from_each_draws_range():
    """Five draws whose solves left each value in [v - 1, v + 3] (a counterfactual 1
    short of its bound, a scenario 3 short of its own): values 10, 20, 30, 40, 50, so
    P50 30, and the true median lies between the median of the lows, 29, and of the
    highs, 33: 4 wide, more than 1 % of 30 and of the P10-P90 spread (44 - 14 = 32)
    and than 1e-6 of the objective (1,000): open, and the warning says so. The same
    draws at [v, v + 0.1]: 0.1 < 0.32, settled. A sweep without the columns (written
    before): no range, no warning."""
    v = np.array([10.0, 20.0, 30.0, 40.0, 50.0])
    kp = pd.DataFrame({"variant": [f"s{i}" for i in range(5)], "status": "optimal",
                       "objective_musd": 1000.0, "npv_pj_incremental_musd": v,
                       "npv_pj_low_musd": v - 1, "npv_pj_high_musd": v + 3,
                       "built_pj": 1.0})
    mc = sens.monte_carlo(kp)
    row = mc.set_index("project").loc["pj"]
    assert (row["p50_musd"], row["p50_low_musd"], row["p50_high_musd"]) == (30.0, 29.0, 33.0)
    note = sens.open_medians(mc, kp)
    assert "pj P50 30.0 (anywhere from 29.0 to 33.0)" in note and "mip_gap" in note
    kp["npv_pj_low_musd"], kp["npv_pj_high_musd"] = v, v + 0.1
    assert sens.open_medians(sens.monte_carlo(kp), kp) == ""
    old = sens.monte_carlo(kp.drop(columns=["npv_pj_low_musd", "npv_pj_high_musd"]))
    assert np.isnan(old["p50_low_musd"].iloc[0]) and sens.open_medians(old, kp) == ""


def test_a_project_built_in_part_is_held_at_its_part(tmp_path):
    """Divisible pj (capex 10 MUSD for 10 kt/yr, margin 200) and a sales cap of 5 kt/yr:
    the scenario builds half of it. By hand, held at that half: NPV = 5 * 200 * w / 1000
    - 5 = 1.759 MUSD (forcing all of it, as before, gave 5 * 200 * w / 1000 - 10 < 0); the
    price factor that zeroes it: 5 (300 p - 100) w / 1000 = 5, p* = (100 + 1000 / w) / 300.
    """
    folder = _project_case(tmp_path, "pj,10,p1,10,0,false,optional,,\n", periods=TEN,
                           extra={"markets": "site,commodity,price_usd_per_unit,"
                                             "max_k_per_yr\nplant,product,300,5"})
    s = sens.setup(str(folder), "pj")
    assert s.plan == pytest.approx({"p1": 0.5})
    assert sens.npv(s) == pytest.approx(W - 5, abs=1e-9)
    assert sens.break_even(s, "price")["value"] == pytest.approx((100 + 1000 / W) / 300,
                                                                 rel=1e-6)


def test_discount_rate_zero_and_a_flat_npv(tmp_path):
    """At a discount rate of 0 the tornado moves the rate by ±20 % of 0 (both 0: no swing;
    it asked for 20 = 2000 %/yr and stopped). A project that earns nothing and costs
    nothing has NPV 0 whatever the capex factor: said so, not "NPV < 0"."""
    folder = _project_case(tmp_path / "r0", "pj,10,p1,10,0,true,forced,p1,\n", periods=TEN)
    case_yaml = folder / "case.yaml"
    case_yaml.write_text(case_yaml.read_text().replace("discount_rate: 0.1",
                                                       "discount_rate: 0.0"))
    s = sens.setup(str(folder), "pj")
    tor = sens.tornado(s, ["discount"], 0.2).set_index("driver")
    assert tor.loc["discount", ["low_value", "high_value"]].tolist() == [0.0, 0.0]
    flat = _project_case(tmp_path / "flat", "pj,0,p1,10,0,true,forced,p1,\n", margin=0.0,
                         periods=TEN)
    be = sens.break_even(sens.setup(str(flat), "pj"), "capex")
    assert be["value"] is None and "NPV is 0 at all 21 values scanned" in be["note"]


def test_carbon_driver_adds_one_price_on_top_of_site_and_period_prices(tmp_path):
    """pj (capex 10 MUSD, margin 200) emits 1 t CO2 per t at its plant. The case has a
    chain-wide CO2 row (cap only) and the plant's own price of 5 USD/t (site and
    chain-wide prices add up). The driver is an extra price x on every emission: NPV(x) =
    10 (200 - 5 - x) w / 1000 - 10, zero at x* = 195 - 1000 / w = 47.05. Setting every
    row to x, as before, made the plant pay 2x (break-even 97.5, half the true price).
    With a price path (blank default, 30 USD/t from 2031 by policies_by_period) the base
    is that path plus 0, not a flat 0."""
    co2 = {"commodities": "commodity,unit,kind\nfeed,t,raw\nproduct,t,product\n"
                          "co2,t,emission\n",
           "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,feed,in,1\n"
                         "run,product,out,1\nrun,co2,out,1",
           "policies": "commodity,site,carbon_price_usd_per_unit,cap_k_per_yr\n"
                       "co2,,,1000\nco2,plant,5,\n"}
    folder = _project_case(tmp_path / "a", "pj,10,p1,10,0,true,optional,,\n", periods=TEN,
                           extra=co2)
    s = sens.setup(str(folder), "pj")
    assert sens.npv(s) == pytest.approx(10 * 195 * W / 1000 - 10, abs=1e-9)
    be = sens.break_even(s, "carbon")
    assert be["base"] == 0.0 and be["value"] == pytest.approx(195 - 1000 / W, rel=1e-6)
    assert type(s.maps["carbon"]).__name__ == "WarmMap"  # the variants from its map
    path = {**co2, "policies": "commodity,carbon_price_usd_per_unit\nco2,",
            "policies_by_period": "commodity,period,carbon_price_usd_per_unit\nco2,p2,30"}
    folder = _project_case(tmp_path / "b", "pj,10,p1,10,0,true,optional,,\n",
                           periods=FIVE_FIVE, extra=path)
    s = sens.setup(str(folder), "pj")
    tor = sens.tornado(s, ["carbon"], 0.2).set_index("driver")
    w1, w2 = dsum(2026, 2030), dsum(2031, 2035)
    hand = 10 * (200 * w1 + (200 - 30) * w2) / 1000 - 10
    assert tor.loc["carbon", "npv_low_musd"] == pytest.approx(hand, abs=1e-9)
    assert tor.loc["carbon", "npv_high_musd"] == pytest.approx(hand - 10 * 20 * W / 1000,
                                                              abs=1e-9)
    assert type(s.maps["carbon"]).__name__ == "WarmMap"


def test_monte_carlo_counts_a_part_built_and_a_feasible_variant():
    """P(built) counts a built share above 1e-6 (half a project is built) and variants
    stopped with a usable plan (feasible), as the sweep's summary does."""
    kp = pd.DataFrame({"variant": ["s0", "s1", "s2", "s3"],
                       "status": ["optimal", "feasible", "optimal", "infeasible"],
                       "npv_pj_incremental_musd": [1.0, 2.0, 0.0, np.nan],
                       "built_pj": [0.5, 1.0, 0.0, np.nan]})
    mc = sens.monte_carlo(kp).set_index("project").loc["pj"]
    assert mc["samples"] == 3 and mc["p_built"] == pytest.approx(2 / 3)


def _annuity(r: float) -> float:
    """sum_{k<10} (1 + r)^-k: the toy's w at the discount rate r."""
    return sum((1 + r) ** -k for k in range(10))


def test_drivers_in_two_processes_give_the_numbers_of_one(toy):
    """``analyse`` spreads the drivers over processes. Each driver starts from the same
    state, so the two tables are the same to the last bit in one process and in two,
    and a driver's row is the same alone as after the others; the re-solves of the
    workers are counted. By hand: the break-evens of test_break_even_by_hand; the
    tornado's bars, NPV = 2 w(r) - 10 c at price margin 200: price +-20 %: 10 (360 -
    100) w / 1000 - 10 = 7.573 and 10 (240 - 100) w / 1000 - 10 = -0.5374; capex +-20 %:
    2 w - 12 and 2 w - 8; the discount rate at 8 % and 12 %: 2 w(0.08) - 10 = 4.494
    and 2 w(0.12) - 10 = 2.657 (w(r) the annuity of 10 yearly 1s from the start of
    2026); no carbon bar (no emission)."""
    drivers = list(sens.DRIVERS)
    alone = sens.setup(str(toy), "pj")
    one = sens.analyse(alone, drivers, 0.2, jobs=1)
    spread, said = sens.setup(str(toy), "pj"), []
    two = sens.analyse(spread, drivers, 0.2, jobs=2, progress=said.append)
    # what the terminal is told: the drivers handed out, then each as it ends but the last
    assert said[0] == ("break-evens and tornado of price, feed, capex, carbon, discount "
                       "in 2 processes")
    assert [m.split(": ")[1] for m in said[1:]] == [
        f"done, {k} of 5 drivers" for k in range(1, 5)]
    for a, b in zip(one, two, strict=True):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert spread.solves == alone.solves > 40 and spread.warm == spread.solves
    be, tor = one[0].set_index("driver"), one[1].set_index("driver")
    assert list(be.index) == drivers and pd.isna(be.loc["carbon", "value"])
    hand = {"price": (100 + 1000 / W) / 300, "feed": (300 - 1000 / W) / 100,
            "capex": 2 * W / 10, "discount": irr_by_hand([2 - 10] + [2] * 9)}
    for driver, value in hand.items():
        assert be.loc[driver, "value"] == pytest.approx(value, rel=1e-6), driver
    assert sorted(tor.index) == ["capex", "discount", "feed", "price"]
    assert tor.loc["price", ["npv_low_musd", "npv_high_musd"]].tolist() == pytest.approx(
        [10 * 140 * W / 1000 - 10, 10 * 260 * W / 1000 - 10], abs=1e-9)
    assert tor.loc["capex", ["npv_low_musd", "npv_high_musd"]].tolist() == pytest.approx(
        [2 * W - 8, 2 * W - 12], abs=1e-9)
    assert tor.loc["discount", ["npv_low_musd", "npv_high_musd"]].tolist() == pytest.approx(
        [2 * _annuity(0.08) - 10, 2 * _annuity(0.12) - 10], abs=1e-9)
    assert (tor["npv_base_musd"] == sens.npv(sens.setup(str(toy), "pj"))).all()
    capex = sens.analyse(sens.setup(str(toy), "pj"), ["capex"], 0.2, jobs=1)
    pd.testing.assert_frame_equal(capex[0], one[0][one[0]["driver"] == "capex"]
                                  .reset_index(drop=True), check_exact=True)


def test_a_driver_that_fails_in_a_worker_fails_the_analysis(toy, monkeypatch):
    """The feed driver's error (here made on purpose) reaches the caller from a worker
    process as from this one."""
    real = sens.break_even

    def failing(s, driver, **kw):
        if driver == "feed":
            raise sens.InputError([sens.Problem("feed", "broken on purpose")])
        return real(s, driver, **kw)

    monkeypatch.setattr(sens, "break_even", failing)
    for jobs in (1, 2):
        with pytest.raises(sens.InputError, match="broken on purpose"):
            sens.analyse(sens.setup(str(toy), "pj"), ["price", "feed", "capex"], jobs=jobs)


def test_sensitivity_cli(toy, tmp_path):
    res = CliRunner().invoke(app, ["sensitivity", str(toy), "--project", "pj", "--drivers",
                                   "price,capex", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "Break-even" in res.output and "0.8265" in res.output
    # by hand NPV = 10 x (300 p - 100) x w / 1000 - 10 c rises with the price factor p,
    # falls with the capex factor c: the project pays above the one, below the other
    text = " ".join(res.output.split())
    assert "0.8265 (pays above)" in text and "(pays below)" in text
    folder = next(tmp_path.glob("sensitivity-*"))
    for f in ("breakeven.csv", "tornado.csv", "tornado.png"):
        assert (folder / f).is_file()
    # what it was made from, for a comparison's deck (the same hash as a run of it)
    import json

    made = json.loads((folder / "sensitivity.json").read_text())
    assert made["input_hash"] == api.input_hash(load_case(toy))
    assert (made["project"], made["drivers"], made["swing"]) == ("pj", ["price", "capex"],
                                                                  0.2)
    res = CliRunner().invoke(app, ["sensitivity", str(toy), "--project", "nope"])
    assert res.exit_code == 1 and "no such project" in res.output
    assert "solving" not in res.output  # said before anything is solved
    from types import SimpleNamespace

    with pytest.raises(sens.InputError) as none:  # a case without projects says so
        sens.check_project(SimpleNamespace(name="bare", tables={}), "pj")
    assert none.value.problems[0].hint == "the case has no projects (projects.csv)"


def test_explain_says_not_available_instead_of_binds(tmp_path):
    """A unit of 10 kt/yr retiring in 2031 earns its margin of 130 USD/t in p1 (2026-30)
    and has no capacity in p2: its p2 capacity row has a marginal value (130: what a unit
    there would earn) but nothing binds there; explain says 'no longer available'."""
    from chainopt.report import explain as ex
    from tests.models.test_investment_economics import chain
    from tests.toycase import solve_case

    folder = chain(tmp_path, "unit,site,process,capacity_k_per_yr,retire_year\n"
                             "old,plant,make,10,2031\n")
    r = solve_case(folder)
    text = "\n".join(ex.why_lines(r.tables, r.manifest))
    assert "capacity of unit old binds in p1:" in text
    assert "binds in p1-p2" not in text and "binds in p2" not in text
    assert "capacity of unit old: no longer available from p2" in text
    lines = ex.binding_lines(r.tables["constraints"], ["p1", "p2"],
                             capacity=r.tables["capacity"].assign(
                                 total_k_per_yr=[0.0, 10.0]))
    assert any("not available until p2" in ln for ln in lines)


def test_near_misses_leave_out_units_without_capacity():
    """A mode of a unit with no capacity in that period is no near miss; a zero
    improvement is a tie, said so."""
    from chainopt.report import explain as ex

    rc = pd.DataFrame({"family": "conversion.activity",
                       "key": ["unit=a, mode=m1, period=p1", "unit=b, mode=m2, period=p1",
                               "unit=c, mode=m3, period=p1"],
                       "period": "p1", "improvement_needed": [0.5, 1.0, 0.0],
                       "value_unit": "USD per unit"})
    cap = pd.DataFrame({"kind": "unit", "name": ["a", "b", "c"], "period": "p1",
                        "total_k_per_yr": [0.0, 5.0, 5.0]})
    text = "\n".join(ex.almost_lines(rc, capacity=cap))
    assert "mode m1 of unit a" not in text and "mode m2 of unit b" in text
    assert "mode m3 of unit c: unused in p1, though as good as the modes in use" in text


@pytest.fixture(scope="module")
def port_report(port_compare):
    """port_compare's report with its deck (report --pptx), written once: the deck's
    test reads it, the browser's opens it."""
    from chainopt.report.html import write_report

    _sections, _names, folder = port_compare
    return folder, write_report(folder, pptx=True)


def test_deck_and_workbook_of_a_comparison(port_report):
    """report --pptx: title, key figures, the project table (the port's NPV as in
    economics.csv), one slide per one-pager; comparison.xlsx has the same project table
    first."""
    from openpyxl import load_workbook
    from pptx import Presentation

    folder, paths = port_report
    deck_path = folder / "report.pptx"
    assert deck_path in paths and (folder / "report-deck.html") in paths
    prs = Presentation(str(deck_path))
    titles = [s.shapes.title.text for s in prs.slides]
    assert titles[0].startswith("chainopt:")
    assert titles[1:3] == ["Key figures", "Projects"]
    assert "far_east_port in small_port_expansion" in titles
    eco = pd.read_csv(folder / "economics.csv")
    port = eco[(eco["scenario"] == "small_port_expansion")
               & (eco["effect"] == "far_east_port")].iloc[0]
    table = next(sh.table for sh in prs.slides[2].shapes if sh.has_table)
    cells = [[c.text for c in r.cells] for r in table.rows]
    row = next(r for r in cells if r[:2] == ["small_port_expansion", "far_east_port"])
    assert row[cells[0].index("NPV (MUSD)")] == f"{port['incremental NPV (MUSD)']:,.1f}"
    assert row[cells[0].index("IRR")] == f"{port['IRR']:.1%}"
    pictures = [sh for s in prs.slides for sh in s.shapes if sh.shape_type == 13]
    assert len(pictures) >= 2
    wb = load_workbook(folder / "comparison.xlsx", read_only=True)
    assert wb.sheetnames[:2] == ["projects", "summary"]
    wb.close()
    # (a blank cell is written as none: rows read in openpyxl's read-only mode end at
    # their last value; pandas reads the sheet as a user would)
    sheet = pd.read_excel(folder / "comparison.xlsx", sheet_name="projects")
    hit = sheet[(sheet["scenario"] == "small_port_expansion")
                & (sheet["project"] == "far_east_port")].iloc[0]
    assert hit["NPV (MUSD)"] == pytest.approx(port["incremental NPV (MUSD)"])


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """small_chain solved and saved, with its commodities table for the measures."""
    out = tmp_path_factory.mktemp("small")
    r = api.run("small_chain", out=out, name="small")
    r.tables["commodities"] = load_case("small_chain").tables["commodities"]
    return r, out / "small"


def test_measure_factors_by_hand():
    """t -> 1 kt per k t; 1000m3 at 0.72 kg/m3 -> 0.72 kt per k 1000m3; a 1000m3
    commodity without a density takes the median of the others (assumed); energy: kt x
    GJ/t = TJ, MWh x 3.6 GJ."""
    from chainopt.report import charts

    com = pd.DataFrame({"commodity": ["crude", "gas", "raw", "power", "pe"],
                        "unit": ["t", "1000m3", "1000m3", "MWh", "t"],
                        "density_t_per_m3": [0.86, 0.00072, None, None, None],
                        "energy_gj_per_t": [42.0, 47.2, None, None, None]})
    f, assumed, missing = charts.measure_factors({"commodities": com}, "mass")
    assert f == pytest.approx({"crude": 1.0, "gas": 0.72, "raw": 0.72, "pe": 1.0})
    assert assumed == ["raw"] and missing == ["power"]
    f, _, missing = charts.measure_factors({"commodities": com}, "energy")
    assert f == pytest.approx({"crude": 42.0, "gas": 0.72 * 47.2, "power": 3.6})
    assert missing == ["raw", "pe"]



def test_measure_factors_in_every_unit():
    """Every commodity unit a case may use is measured (they were left out of the Sankey
    but t, m3, 1000m3 and MWh: a polymer in kt, crude in bbl, gas in mcm or GJ vanished
    from the chart). Mass, kt per k units: kt 1000; kg 0.001; bbl at 0.85 t/m3
    0.158987294928 x 0.85 = 0.135139; mcm at 0.00072 t/m3 1e6 x 0.00072 = 720; GJ at
    50 GJ/t 1/50 = 0.02; TJ at 50 GJ/t 1000/50 = 20. Energy, TJ per k units: kt at
    42 GJ/t 42000; bbl at 0.85 t/m3 and 42.7 GJ/t 0.135139 x 42.7 = 5.77042; GJ 1;
    TJ 1000; kg without an energy content is left out."""
    from chainopt.report import charts

    com = pd.DataFrame({"commodity": ["pe", "cat", "crude", "gas", "lng", "heat"],
                        "unit": ["kt", "kg", "bbl", "mcm", "GJ", "TJ"],
                        "density_t_per_m3": [None, None, 0.85, 0.00072, None, None],
                        "energy_gj_per_t": [42.0, None, 42.7, None, 50.0, 50.0]})
    f, assumed, missing = charts.measure_factors({"commodities": com}, "mass")
    bbl_t = 0.158987294928 * 0.85
    assert f == pytest.approx({"pe": 1000.0, "cat": 0.001, "crude": bbl_t, "gas": 720.0,
                               "lng": 0.02, "heat": 20.0})
    assert assumed == [] and missing == []
    f, _, missing = charts.measure_factors({"commodities": com}, "energy")
    assert f == pytest.approx({"pe": 42000.0, "crude": bbl_t * 42.7, "lng": 1.0,
                               "heat": 1000.0})
    assert missing == ["cat", "gas"]


def test_segment_sankey_conserves_what_is_bought_and_sold(small):
    """Mass view: the overview's outflow from upstream is everything bought (purchases x
    t per unit) and its inflow into markets everything sold: commodity hubs pass their
    inflows on in proportion, and a hub balances."""
    from chainopt.report import charts

    r, _ = small
    f, _, _ = charts.measure_factors(r.tables, "mass")
    for period in ("p2026", r.manifest["periods"][-1]):
        views, _, gone, _ = charts.sankey_views(r.tables, period, "mass")
        ov = views["overview"]
        lab = ov.nodes["label"]
        links = ov.links.assign(src=ov.links["source"].map(lab),
                                dst=ov.links["target"].map(lab))
        pur = r.tables["purchases"]
        pur = pur[(pur["period"] == period) & ~pur["commodity"].isin(gone)]
        bought = float((pur["purchase_k_per_yr"] * pur["commodity"].map(f)).sum())
        sal = r.tables["sales"]
        sal = sal[(sal["period"] == period) & ~sal["commodity"].isin(gone)]
        sold = float((sal["sales_k_per_yr"] * sal["commodity"].map(f)).sum())
        assert links.loc[links["src"] == "upstream", "quantity_k_per_yr"].sum() == \
            pytest.approx(bought, rel=1e-9)
        assert links.loc[links["dst"] == "markets", "quantity_k_per_yr"].sum() == \
            pytest.approx(sold, rel=1e-9)
        assert set(views) - {"overview"} <= set(charts.SEGMENTS)
    fig = charts.segment_sankey_figure(r.tables, list(r.manifest["periods"]), "value")
    meta = fig.layout.meta
    assert meta["measure"] == "value (MUSD/yr)"
    assert len(meta["keys"]) == len(fig.data) and [0, 0] in meta["keys"]


# -- the map ----------------------------------------------------------------------------

def test_map_outlines_labels_and_colours():
    """The bundled outlines are small and cover the default case's region; labels of
    four sites 0.1° apart do not overlap; utilisation colours run green -> red."""
    from importlib.resources import files

    from chainopt.report import charts

    geo = files("chainopt.report.geo")
    assert len(geo.joinpath("world_110m.json").read_bytes()) < 150_000
    assert "public domain" in geo.joinpath("NOTICE.md").read_text()
    assert len(charts.world_rings()) == 287
    sites = load_case("ru_eastwest").tables["sites"][["site", "lat_deg", "lon_deg"]].astype(
        {"lat_deg": float, "lon_deg": float})
    view = charts.map_view(sites)
    xs, _ys = charts.coastlines(view)
    assert 1_000 < len(xs) < 12_000  # Eurasia's outlines, not the world's
    close = pd.DataFrame({"site": ["nakhodka", "nakhodka_sea", "vladivostok",
                                   "vladivostok_sea"], "lon_deg": [132.95, 133.05, 131.89,
                                                                    131.95],
                          "lat_deg": [42.8, 42.75, 43.12, 43.08]})
    for frame in (close, sites):
        v = charts.map_view(frame)
        width, cw, lh = 1100.0, 6.6, 14.0
        offs = charts.place_labels(frame, v, width, cw, lh)
        k = width / (v[1] - v[0])
        boxes = []
        for (_, r), (dx, dy) in zip(frame.iterrows(), offs, strict=True):
            x = (r["lon_deg"] - v[0]) * k + dx
            y = (r["lat_deg"] - v[2]) * k * charts.lat_ratio(v) + dy
            w = cw * len(r["site"]) + 4
            boxes.append((x - w / 2, y - lh / 2, x + w / 2, y + lh / 2))
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                assert min(a[2], b[2]) <= max(a[0], b[0]) or min(a[3], b[3]) <= max(
                    a[1], b[1]), (a, b)
    assert charts.utilisation_colour(0.0) == "#1a9850"
    assert charts.utilisation_colour(1.0) == "#d73027"
    assert charts.utilisation_colour(float("nan")) == charts.NO_LIMIT


# -- the default case in a real browser ------------------------------------------------

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@pytest.fixture(scope="module")
def default_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("default")
    api.run(None, out=out, name="default")
    paths = api.report(out / "default", pptx=True)
    return out / "default", paths


def test_default_report_data_part_under_1_mb(default_report):
    """Report size: plotly.js is embedded once (about 4.8 MB); the rest — styles, tables
    and the figure data of every chart — stays below 1 MB; the whole report below 6 MB
    (test_report's check of the default case's report, which solved and wrote the same
    report again)."""
    from plotly.offline import get_plotlyjs

    folder, paths = default_report
    assert paths[0].stat().st_size < 6_000_000  # ~4.8 MB of it is plotly.js
    html = paths[0].read_bytes()
    js = get_plotlyjs().encode()
    assert html.count(js[:2000]) == 1  # plotly.js once
    data = len(html) - len(js)
    print(f"default case report: {len(html):,} bytes, data part {data:,} bytes")
    assert data < 1_000_000
    prs_path = folder / "report.pptx"
    from pptx import Presentation

    prs = Presentation(str(prs_path))
    titles = [s.shapes.title.text for s in prs.slides]
    assert titles[:2] == ["chainopt: ru_eastwest", "Key figures"]
    # the Sankey and the map of one period (the map was of p2046, the Sankey of p2026)
    assert "Value chain by segment, p2026 (2026-30)" in titles
    assert "Sites and routes, p2026 (2026-30)" in titles


def _browser(url: str, tmp: Path, *args: str):
    import shutil
    import subprocess

    cmd = [shutil.which("chromium"), "--headless", "--no-sandbox", "--disable-gpu",
           "--disable-quic", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync",
           f"--user-data-dir={tmp / 'profile'}", "--enable-logging=stderr", "--v=0",
           *args, url]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=90)


def _problems(done) -> list[str]:
    return [ln for ln in done.stderr.splitlines() if "CONSOLE" in ln or "Uncaught" in ln]


def _requests(net_log: Path) -> set[str]:
    import json

    events = json.loads(net_log.read_text()).get("events", [])
    text = [json.dumps(e.get("params", {})) for e in events]
    return {u for t in text if "file://" in t for u in re.findall(r"https?://[\w.\-]+", t)}


@pytest.mark.skipif(__import__("shutil").which("chromium") is None,
                    reason="Debian's chromium is not installed (apt-get install -y chromium)")
def test_reports_and_deck_preview_in_headless_chromium(default_report, port_report,
                                                       tmp_path):
    """Each report and deck preview renders without console errors or network requests;
    screenshots of the one-pager, the Sankey (overview and petrochemicals drill-down), the
    map and the deck go to tests/artifacts/. One browser start per screenshot, which also
    dumps the page and logs its requests, and one for the run's deck, not shown."""
    folder, _paths = default_report
    cmp_folder, _cmp_paths = port_report
    ARTIFACTS.mkdir(exist_ok=True)
    views = {"sankey_overview": (folder / "report.html", "#only=sankey", "1400,1000"),
             "sankey_petrochemicals": (folder / "report.html",
                                       "#only=sankey&sankey=petrochemicals", "1400,1100"),
             "map": (folder / "report.html", "#only=map", "1400,1000"),
             "onepager": (cmp_folder / "report.html", "#only=projects", "1400,1300"),
             "deck": (cmp_folder / "report-deck.html", "", "1000,1700"),
             "run_deck": (folder / "report-deck.html", "", "")}
    for i, (name, (page, frag, size)) in enumerate(views.items()):
        net = tmp_path / f"net{i}.json"
        shot = ARTIFACTS / f"decide_{name}.png"
        shoot = [f"--window-size={size}", f"--screenshot={shot}"] if size else []
        done = _browser(page.resolve().as_uri() + frag, tmp_path, "--dump-dom",
                        f"--log-net-log={net}", *shoot)
        assert done.returncode == 0, done.stderr[-2000:]
        assert _problems(done) == [], name
        assert _requests(net) == set(), name
        if page.name == "report.html":
            assert "main-svg" in done.stdout, name  # plotly drew
        if size:
            assert shot.stat().st_size > 20_000, name


def test_constraint_changes_rank_rent_and_drop_degenerate_swaps():
    """Rent = marginal value x bound / 1000 (MUSD/yr). A plant's capacity (100 kt/yr) gains
    80.04 USD/t while the pipeline feeding it (100 kt/yr) loses 80 (a swap of the same
    rent to 0.1 %): both left out; a sales cap of 50 kt/yr from 10 to 30 USD/t: +1."""
    from types import SimpleNamespace

    def run(values):
        return SimpleNamespace(tables={"constraints": pd.DataFrame({
            "family": ["conversion.capacity_max", "transport.capacity_max", "market.sales"],
            "kind": "row", "key": ["unit=plant, period=p1", "link=pipe, period=p1",
                                   "site=s, commodity=c, period=p1"],
            "period": "p1", "side": "upper", "bound": [100.0, 100.0, 50.0],
            "marginal_value": values, "value_unit": "USD per unit"})})

    cc = economics.constraint_changes(run([0.0, 80.0, 10.0]), run([80.04, 0.0, 30.0]))
    assert list(cc["key"]) == ["site=s, commodity=c, period=p1"]
    assert cc["rent_change_musd_per_yr"].iloc[0] == pytest.approx(1.0)


def test_a_swap_is_a_change_another_cancels_to_a_thousandth_of_it():
    """By hand: 5 and -5.004 cancel both ways (|5 - 5.004| = 0.004 <= 0.005 and <= 0.005004);
    3 and -2.999 too (0.001); 7 has no partner. 1000 and -999.0005 sum to 0.9995: within
    a thousandth of 1000 (1.0) but not of 999.0005 (0.9990005): only 1000 is a swap, as
    the pairwise table said (row i against |r_i|). 40,000 changes of which none cancel
    (1, 2, ..., all positive): none is a swap; the pairwise table of them was 12.8 GB."""
    got = economics._swapped(np.array([5.0, -5.004, 3.0, 7.0, -2.999, 1000.0, -999.0005]))
    assert got.tolist() == [True, True, True, False, True, True, False]
    assert not economics._swapped(np.arange(1.0, 40_001.0)).any()


def test_a_capacity_rent_counts_the_capacity_there_is():
    """A capacity row's right side leaves out what investment adds (a new unit's row is
    'used - new <= 0') and counts a unit retiring mid-period whole. Unit new: 20 kt/yr
    built, worth 0 then 50 USD/t: rent +1 MUSD/yr (it was 0, from its bound 0). Unit old:
    1,200 by its row, 549.4 left in the period, worth 100 then 10: rent
    (10 - 100) x 549.4 / 1000 = -49.45 (it was -108, from the 1,200)."""
    from types import SimpleNamespace

    def run(values):
        cons = pd.DataFrame({
            "family": "conversion.capacity_max", "kind": "row",
            "key": ["unit=new, period=p1", "unit=old, period=p1"], "period": "p1",
            "side": "upper", "bound": [0.0, 1200.0], "marginal_value": values,
            "value_unit": "USD per t"})
        cap = pd.DataFrame({"kind": "unit", "name": ["new", "old"], "period": "p1",
                            "total_k_per_yr": [20.0, 549.4]})
        return SimpleNamespace(tables={"constraints": cons, "capacity": cap})

    cc = economics.constraint_changes(run([0.0, 100.0]), run([50.0, 10.0])).set_index("key")
    assert cc.loc["unit=old, period=p1", "rent_change_musd_per_yr"] == pytest.approx(-49.446)
    assert cc.loc["unit=new, period=p1", "rent_change_musd_per_yr"] == pytest.approx(1.0)


def test_monte_carlo_chart_from_a_sweep_of_a_scenario(tmp_path):
    """A Monte Carlo sweep over a scenario file (the port optional) and the spread of the
    port's incremental NPV from it: two draws of the HDPE price, x1.0 to x1.1, both build
    the port."""
    dists = tmp_path / "dists.yaml"
    dists.write_text("variables:\n  - target: markets.price_usd_per_unit[commodity=hdpe]\n"
                     "    op: scale\n    dist: {type: uniform, low: 1.0, high: 1.1}\n")
    kpis, _summary, folder = api.sweep(SCEN / "small_port_expansion.yaml", samples=2,
                                       distributions=dists, out=tmp_path, jobs=1)
    assert (kpis["status"] == "optimal").all()
    res = api.sensitivity(None, sweep_folder=folder)
    mc = res["monte_carlo"].set_index("project").loc["far_east_port"]
    assert mc["samples"] == 2 and mc["p_built"] == 1.0
    npv = kpis["npv_far_east_port_incremental_musd"]
    assert mc["p10_musd"] == pytest.approx(npv.quantile(0.1))
    assert (folder / "projects_mc.png").stat().st_size > 10_000


def test_a_capacity_that_is_not_there_has_no_value_on_a_one_pager():
    """The one-pager's 'what makes or breaks it' gave a unit with no capacity and nothing
    built its row's marginal value, which `chainopt run`, `explain` and the binding table
    leave out (it does not bind). Hand case: unit new, 0 kt/yr without the project (row
    value 70 USD/t) and 20 kt/yr with it (value 50): rent change 50 x 20 / 1000 - 0 =
    +1.0 MUSD/yr, its value without 0 (not 70). Unit ghost, 0 kt/yr in both (values 300
    and 200): no rent either side, not listed."""
    from types import SimpleNamespace

    def run(values, new_cap):
        cons = pd.DataFrame({
            "family": "conversion.capacity_max", "kind": "row",
            "key": ["unit=new, period=p1", "unit=ghost, period=p1"], "period": "p1",
            "side": "upper", "bound": [0.0, 0.0], "marginal_value": values,
            "value_unit": "USD per t"})
        cap = pd.DataFrame({"kind": "unit", "name": ["new", "ghost"], "period": "p1",
                            "total_k_per_yr": [new_cap, 0.0]})
        return SimpleNamespace(tables={"constraints": cons, "capacity": cap})

    cc = economics.constraint_changes(run([70.0, 300.0], 0.0), run([50.0, 200.0], 20.0))
    assert list(cc["key"]) == ["unit=new, period=p1"]
    row = cc.iloc[0]
    assert (row["marginal_value_without"], row["marginal_value_with"]) == (0.0, 50.0)
    assert row["rent_change_musd_per_yr"] == pytest.approx(1.0)


def test_the_summary_names_a_project_the_base_builds_too(toy, tmp_path):
    """The base builds its optional project pj (it pays 3.518 MUSD); a scenario raising
    the capex to 12 MUSD builds it too (10 * 200 * w / 1000 - 12 = 1.518 > 0). Neither
    switches pj on against the base, so no counterfactual values it: the summary said
    "projects built: -" for both, as if nothing were built. It names pj in both, "not
    valued", and projects_built holds its built share, 1 in p1, in both."""
    scen = tmp_path / "dearer.yaml"
    scen.write_text(f"name: dearer\nbase: {toy}\nchanges:\n  - table: projects\n"
                    "    where: {project: pj}\n    set: {capex_musd: 12}\n")
    sections, outcomes, _ = api.compare([str(toy), str(scen)], out=tmp_path / "r", jobs=1)
    names = [o.name for o in outcomes]
    s = compare.summary(sections, names).set_index("scenario")
    assert list(s["projects built"]) == ["pj", "pj"]
    assert list(s["incremental NPV (MUSD)"]) == ["pj not valued", "pj not valued"]
    obj = sections["objective"].set_index("kpi (MUSD, NPV)")
    assert obj.loc["objective", "Δ dearer"] == pytest.approx(-2.0, abs=1e-6)
    built = sections["projects_built"].set_index(["project", "period"])
    assert built.loc[("pj", "p1"), names[0]] == pytest.approx(1.0)
    assert built.loc[("pj", "p1"), "dearer"] == pytest.approx(1.0)
    # a project built in part says how much (half of it: 50.0% built)
    sections["projects_built"].loc[0, "dearer"] = 0.5
    s = compare.summary(sections, names).set_index("scenario")
    assert s.loc["dearer", "projects built"] == "pj (50.0% built)"


def test_a_break_even_at_an_end_of_the_range_says_so(tmp_path):
    """Project pj forced, its product sold at the feed's cost (a margin of 0): it earns
    nothing, so NPV = -10 x the capex factor c, 0 at c = 0 only, the end of the capex
    range scanned, and below 0 at every other value. The break-even read "0" with no
    word; it now says it touches 0 at that end only."""
    folder = _project_case(tmp_path / "flat", "pj,10,p1,10,0,true,forced,p1,\n", margin=0.0,
                           periods=TEN)
    be = sens.break_even(sens.setup(str(folder), "pj"), "capex")
    assert be["value"] == pytest.approx(0.0, abs=1e-9)
    assert be["npv_at_high_musd"] == pytest.approx(-10.0 * 20, rel=1e-6)  # c = 20, the top
    assert "NPV is 0 only at 0, an end of the range scanned, and < 0 at every other value " \
        "scanned" in be["note"]
