"""Sensitivity drivers on one-unit cases whose NPV is written out by hand.

The base case ``tiny``: one site ``s``; feed ``a`` bought at 100 USD/t (up to 1000
kt/yr), product ``b`` sold at 300 USD/t (up to 1000 kt/yr); project ``pj`` (10 MUSD,
life 1 year, all or nothing, forced in p1) is one unit of 100 kt/yr making 1 t of b
from 1 t of a. One period p1 of one year (2026, the base year), r = 10 %, cash flows at
the start of the year, so d(2026) = 1 and the capex annuity over one year is the
capex itself. Money in MUSD = kt x USD/t / 1000: the unit earns 100 x (300 - 100) /
1000 = 20 MUSD, so NPV = 20 - 10 = 10 MUSD; without the unit nothing is made (0).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from chainopt import sensitivity as sens
from chainopt.cli import app
from chainopt.results import stable_floats
from tests.toycase import write_case

TINY = {
    "commodities": "commodity,unit,kind\na,t,raw\nb,t,product",
    "sites": "site\ns",
    "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\ns,a,100,1000",
    "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\ns,b,300,1000",
    "modes": "mode,process,variable_cost_usd_per_unit\nm,p,0",
    "mode_flows": "mode,commodity,direction,amount_per_unit\nm,a,in,1\nm,b,out,1",
    "projects": "project,capex_musd,earliest_period,lifetime_yr,all_or_nothing,state,"
                "forced_period\npj,10,p1,1,true,forced,p1",
    "units": "unit,site,process,capacity_k_per_yr,lifetime_yr,project\nu,s,p,100,1,pj",
}
ONE_YEAR = [{"period": "p1", "start_year": 2026, "length_yr": 1}]
# the unit emits 0.5 t CO2 per t of b
CO2 = {"commodities": TINY["commodities"] + "\nco2,t,emission",
       "mode_flows": TINY["mode_flows"] + "\nm,co2,out,0.5"}


def tiny(folder, periods=ONE_YEAR, **tables):
    """The tiny case with ``tables`` (name -> CSV text) replaced or added."""
    return write_case(folder, {**TINY, **tables}, discount_rate=0.1, periods=periods)


def test_carbon_does_not_apply_to_a_case_without_emissions(tmp_path):
    """tiny has no emission commodity: no carbon price can move the NPV, and the carbon
    driver says why instead of 'NPV > 0 over the whole range'; the tornado has no
    carbon bar (it had one of swing 0)."""
    s = sens.setup(str(tiny(tmp_path)), "pj")
    be = sens.break_even(s, "carbon")
    assert be["value"] is None and be["note"] == "the case has no emission commodity"
    assert list(sens.tornado(s, ["price", "carbon"], 0.2)["driver"]) == ["price"]


@pytest.mark.parametrize("policies, site_price", [(None, 0.0), ("co2,s,5", 5.0)])
def test_carbon_prices_an_emission_without_a_chain_wide_row(tmp_path, policies,
                                                            site_price):
    """The unit emits 0.5 t CO2 per t; an extra price x USD/t on every emission costs it
    100 kt x 0.5 x x / 1000 MUSD: NPV(x) = 0.1 (200 - 0.5 (p_s + x)) - 10 with p_s the
    site's own price. No policies.csv (p_s = 0): base 10, zero at x = 200, 9.0 at x = 20;
    the site price 5 USD/t at s only (p_s = 5): base 9.75, zero at x = 195, 8.75 at
    x = 20. (Neither case has a chain-wide CO2 row; the driver failed on both, asking
    for the key column 'site' of the row it added.)"""
    extra = dict(CO2)
    if policies:
        extra["policies"] = "commodity,site,carbon_price_usd_per_unit\n" + policies
    s = sens.setup(str(tiny(tmp_path, **extra)), "pj")
    assert sens.npv(s) == pytest.approx(0.1 * (200 - 0.5 * site_price) - 10, abs=1e-9)
    be = sens.break_even(s, "carbon")
    assert be["value"] == pytest.approx(200 - site_price, rel=1e-6)
    tor = sens.tornado(s, ["carbon"], 0.2).set_index("driver")
    assert tor.loc["carbon", "npv_low_musd"] == pytest.approx(
        0.1 * (200 - 0.5 * site_price) - 10, abs=1e-9)
    assert tor.loc["carbon", "npv_high_musd"] == pytest.approx(
        0.1 * (200 - 0.5 * (site_price + 20)) - 10, abs=1e-9)


def test_a_factors_map_is_checked_at_1_by_the_scenarios_own_model(tmp_path, monkeypatch):
    """A driver's map is made from cold probes (each validated and built): price, a
    factor whose 1 lies inside its range 0..4, is probed at 0 and 4 and checked at 1
    against the scenario's own model (no midpoint probe); carbon, whose base 0 is an
    end of its range, at 0, 1000 and the midpoint 500. The values by hand (module doc,
    and the carbon test above): price factor p, NPV max(0, 30 p - 10) - 10 (the unit
    idles below p = 1/3; its CO2 is not priced): 10 at 1, 2 at 0.733.., -10 at 0, 100
    at 4; an extra carbon price x, NPV 10 - 0.05 x: 0 at 200."""
    from chainopt import warm

    made: list = []
    real = warm._probed
    monkeypatch.setattr(warm, "_probed", lambda raw, chs, v: made.append(float(v[0]))
                        or real(raw, chs, v))
    s = sens.setup(str(tiny(tmp_path, **CO2)), "pj")
    for p in (1.0, 11 / 15, 0.0, 4.0):
        assert sens.npv(s, "price", p) == pytest.approx(max(0, 30 * p - 10) - 10,
                                                        abs=1e-9), p
    assert made == [0.0, 4.0] and not isinstance(s.maps["price"], str)
    assert sens.npv(s, "carbon", 200.0) == pytest.approx(0.0, abs=1e-9)
    assert made == [0.0, 4.0, 0.0, 1000.0, 500.0]


def test_a_project_built_in_tranches_is_held_at_every_tranche(tmp_path):
    """Two 1-year periods (p1 = 2026, p2 = 2027; d = 1 and 1/1.1); b sells up to 50 kt
    in p1 and 100 kt in p2; pj is divisible (100 kt/yr for 10 MUSD, life 2 years,
    optional). A share x_t started in t pays an annuity A with A (1 + 1/1.1) = 10 in its
    two alive years: x_1 pays 10 within the horizon, x_2 only A / 1.1 = 4.7619 (2028 is
    after it). The plan: x_1 = 0.5 (the 50 kt of p1; more would replace x_2 at 10 >
    4.76 per share), x_2 = 0.5 (capacity 100 kt in p2). Held at both tranches:
    NPV(price factor p) = (300 p - 100) (50 + 100 / 1.1) / 1000 - (0.5 x 10 + 0.5 x
    4.7619) = 28.1818 p' - 7.3810 with p' = (300 p - 100) / 200: 20.801 at p = 1,
    12.346 at 0.8, 29.255 at 1.2. (Holding only the p1 tranche, as before, gave 14.09.)
    The case is an LP (pj divisible): each solve's bound is its plan, so every NPV's
    range is the NPV itself and nothing is open."""
    tranches = [{"period": "p1", "start_year": 2026, "length_yr": 1},
                {"period": "p2", "start_year": 2027, "length_yr": 1}]
    folder = tiny(tmp_path, periods=tranches,
                  markets="site,commodity,price_usd_per_unit,max_k_per_yr\ns,b,300,50",
                  markets_by_period="site,commodity,period,max_k_per_yr\ns,b,p2,100",
                  projects="project,capex_musd,earliest_period,lifetime_yr,all_or_nothing,"
                           "state\npj,10,p1,2,false,optional",
                  units="unit,site,process,capacity_k_per_yr,lifetime_yr,project\n"
                        "u,s,p,100,2,pj")
    s = sens.setup(str(folder), "pj")
    assert s.plan == pytest.approx({"p1": 0.5, "p2": 0.5})
    annuity = 10 / (1 + 1 / 1.1)
    capex = 0.5 * 10 + 0.5 * annuity / 1.1

    def npv(p: float) -> float:
        return (300 * p - 100) * (50 + 100 / 1.1) / 1000 - capex

    assert sens.npv(s) == pytest.approx(npv(1.0), abs=1e-9)
    tor = sens.tornado(s, ["price"], 0.2).set_index("driver")
    assert tor.loc["price", "npv_low_musd"] == pytest.approx(npv(0.8), abs=1e-9)
    assert tor.loc["price", "npv_high_musd"] == pytest.approx(npv(1.2), abs=1e-9)
    assert tor.loc["price", ["npv_base_from_musd", "npv_base_to_musd", "npv_low_from_musd",
                             "npv_low_to_musd", "npv_high_from_musd", "npv_high_to_musd"]
                   ].tolist() == [tor.loc["price", f"npv_{at}_musd"] for at in (
                       "base", "base", "low", "low", "high", "high")]
    assert not s.model.is_mip


CLEAN = {
    "commodities": "commodity,unit,kind\nfeed,t,raw\nprod,t,product\nco2,t,emission",
    "sites": "site\ns\nm",
    "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\ns,feed,100,1000",
    "markets": "site,commodity,price_usd_per_unit\nm,prod,200",
    "links": "link,from_site,to_site,transport_mode,commodities,cost_usd_per_unit,"
             "emission_commodity,emission_per_unit\nrail,s,m,rail,prod,0,co2,0.05",
    "modes": "mode,process,variable_cost_usd_per_unit\ndirty_run,dirty,10\n"
             "clean_run,clean,30",
    "mode_flows": "mode,commodity,direction,amount_per_unit\ndirty_run,feed,in,1\n"
                  "dirty_run,prod,out,1\ndirty_run,co2,out,1\nclean_run,feed,in,1\n"
                  "clean_run,prod,out,1\nclean_run,co2,out,0.2",
    "policies": "commodity,site,carbon_price_usd_per_unit\nco2,,0",
    "projects": "project,capex_musd,earliest_period,lifetime_yr,all_or_nothing,state,"
                "forced_period\ncleanproj,100,p1,10,true,forced,p1",
    "units": "unit,site,process,capacity_k_per_yr,lifetime_yr,project\n"
             "u_dirty,s,dirty,1000,100,\nu_clean,s,clean,1000,10,cleanproj",
}


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """A clean unit that pays only in a window of carbon prices. Rate 0, ten years
    (2 x 5), 1000 kt/yr of feed at 100 USD/t; prod sells at 200 USD/t at m, by rail
    (0.05 t CO2 per t). Per t and extra carbon price c: the dirty unit (existing)
    earns 200 - 100 - 10 - c (1 + 0.05) = 90 - 1.05 c, the clean one (cleanproj,
    100 MUSD, life 10, forced) 70 - 0.25 c. Ten years of 1000 kt: NPV(c) =
    10 [max(0, 70 - 0.25 c, 90 - 1.05 c) - max(0, 90 - 1.05 c)] - 100:
    -100 for c <= 25; 8 c - 300 on 25..85.7 (zero at 37.5); 600 - 2.5 c on 85.7..280
    (350 at 100, zero at 240); -100 from 280. Negative at both ends of 0..1000."""
    folder = write_case(tmp_path_factory.mktemp("clean"), CLEAN, discount_rate=0.0,
                        periods=[{"period": "p1", "start_year": 2026, "length_yr": 5},
                                 {"period": "p2", "start_year": 2031, "length_yr": 5}])
    return sens.setup(str(folder), "cleanproj")


def test_break_even_finds_both_ends_of_a_window(clean):
    """Both zeros of NPV(c) are found (the search compared the signs at 0 and 1000
    only and said 'NPV < 0 over the whole range'); 37.5, the nearer to the base 0, is
    the value, and the note says there are two."""
    assert sens.npv(clean, "carbon", 100.0) == pytest.approx(350.0, abs=1e-6)
    be = sens.break_even(clean, "carbon")
    assert be["value"] == pytest.approx(37.5, rel=1e-6)
    assert [float(v) for v in be["break_evens"].split(";")] == pytest.approx([37.5, 240.0],
                                                                             rel=1e-5)
    assert "2 break-evens" in be["note"] and "nearest the base value" in be["note"]


def test_break_even_says_when_it_stops_short_of_zero(clean):
    """Capped at one false-position step, the search of the bracket 0..50 (NPV -100 and
    +100) stops at c = 25, where NPV = 10 [63.75 - 63.75] - 100 = -100: it says the
    value is not a zero instead of returning 25 as one. The solves are proven optimal
    (the one binary, cleanproj's build, is fixed), so each NPV's range is the NPV: the
    bracket of a true break-even is 25 (NPV -100) to 50 (+100)."""
    be = sens.break_even(clean, "carbon", max_iter=1)
    assert be["value"] == pytest.approx(25.0) and be["npv_at_value_musd"] == pytest.approx(
        -100.0, abs=1e-6)
    assert "not converged: NPV = -100 MUSD" in be["note"]
    assert (be["bracket_low"], be["bracket_high"]) == pytest.approx((25.0, 50.0))
    assert be["gaps"] == ""


@pytest.mark.parametrize("args, says", [
    (["--swing", "nan"], "'--swing': must be a number above 0 and at most 1 (found nan)"),
    (["--swing", "inf"], "(found inf)"),
    (["--swing", "1.5"], "(found 1.5)"),
    (["--swing", "-0.5"], "(found -0.5)"),
    (["--swing", "0"], "(found 0.0)"),
    (["--drivers", "price,capex,price"], "'--drivers': price given more than once"),
    (["--drivers", "price,fed"], "'--drivers': 'fed' is not one of price, feed, capex, "
                                 "carbon, discount; did you mean 'feed'?"),
])
def test_a_bad_swing_or_a_driver_twice_is_refused_before_solving(tmp_path, monkeypatch,
                                                                 args, says):
    """A swing outside (0, 1] (nan, inf, 1.5 ran every break-even and then blamed
    markets.csv; -0.5 swapped the bar's ends) and a driver named twice (run twice) are
    refused naming the option, before anything is solved or written: a usage error,
    exit 2, as the values allowed are fixed (review cli F3: it was exit 1, bad input,
    which a script could not tell from bad case data)."""
    def no_solve(*_a, **_k):
        raise AssertionError("solved")

    monkeypatch.setattr(sens, "setup", no_solve)
    res = CliRunner(env={"COLUMNS": "250"}).invoke(app, [
        "sensitivity", str(tiny(tmp_path / "case")), "--project", "pj", "--out",
        str(tmp_path / "out"), *args])
    assert res.exit_code == 2, res.output
    assert says in " ".join(res.output.split())
    assert not (tmp_path / "out").exists()



def test_a_relaxed_sensitivity_is_refused(tmp_path):
    """``api.sensitivity(options=relax)`` solved the MIPs anyway and returned their
    numbers as asked. ``tiny`` with ``pj`` optional (all or nothing, life 2 years) in two
    1-year periods (d = 1, 1/1.1) and b capped at 50 kt/yr: pj in p1 earns 50 x 200 / 1000
    = 10 MUSD a year and costs 10 in present value, NPV 10 + 10 / 1.1 - 10 = 9.09 MUSD
    (in p2 only 10 / 1.1 - (10 / 1.909) / 1.1 = 4.33). The LP relaxation builds half of pj
    (50 kt/yr for 5 MUSD): 14.09. Asked for the relaxation, the NPV came back 9.09.
    Refused, like a relaxed sweep, before anything is solved or written."""
    from chainopt import api
    from chainopt.errors import InputError

    two = [{"period": "p1", "start_year": 2026, "length_yr": 1},
           {"period": "p2", "start_year": 2027, "length_yr": 1}]
    folder = tiny(tmp_path / "case", periods=two,
                  markets="site,commodity,price_usd_per_unit,max_k_per_yr\ns,b,300,50",
                  projects="project,capex_musd,earliest_period,lifetime_yr,all_or_nothing,"
                           "state\npj,10,p1,2,true,optional",
                  units="unit,site,process,capacity_k_per_yr,lifetime_yr,project\n"
                        "u,s,p,100,2,pj")
    with pytest.raises(InputError, match="relax"):
        api.sensitivity(str(folder), "pj", drivers=["capex"], out=tmp_path / "out",
                        options=api.solve_options(relax=True))
    assert not (tmp_path / "out").exists()
    done = api.sensitivity(str(folder), "pj", drivers=["capex"], out=tmp_path / "out")
    assert done["tornado"]["npv_base_musd"].iloc[0] == pytest.approx(10 + 10 / 1.1 - 10)


TWO_YEARS = [{"period": "p1", "start_year": 2026, "length_yr": 1},
             {"period": "p2", "start_year": 2027, "length_yr": 1}]


def test_a_project_needed_for_any_plan_is_said_so_and_the_run_finishes(tmp_path):
    """tiny with a hard floor of 50 kt/yr on b: pj's unit is the only source of b, so
    the scenario has no plan without pj (the re-solve with it held off is infeasible).
    `chainopt sensitivity` stopped at the first value scanned, exit 3 ("valuing project
    pj with price at 0 (the model without it): ... infeasible"); a sweep keeps such a
    variant with its npv_ blank. Now every break-even and tornado bar of a driver that
    applies says "needed for any plan" (no number: value and NPVs blank), the carbon
    driver still says the case has no emission, and the run writes its three files
    (exit 0). The drivers move prices and costs only, so the search stops at the first
    value: one re-solve per break-even, two per tornado bar and the base once."""
    folder = tiny(tmp_path / "case", markets="site,commodity,price_usd_per_unit,"
                  "max_k_per_yr,min_k_per_yr\ns,b,300,1000,50")
    (folder / "case.yaml").write_text((folder / "case.yaml").read_text()
                                      + "demand_floors: hard\n")
    res = CliRunner().invoke(app, ["sensitivity", str(folder), "--project", "pj",
                                   "--out", str(tmp_path / "out")], env={"COLUMNS": "2000"})
    assert res.exit_code == 0, res.output
    out = " ".join(res.output.split())
    assert "none: needed for any plan" in out  # (the rest folds with the table's width)
    assert "13 re-solves" in out  # 4 break-evens x 1, then 1 + 4 x 2 for the tornado
    folder = tmp_path / "out" / "sensitivity-toy-pj"
    assert sorted(p.name for p in folder.iterdir()) == ["breakeven.csv", "sensitivity.json",
                                                        "tornado.csv", "tornado.png"]
    be = pd.read_csv(folder / "breakeven.csv").set_index("driver")
    for d in ("price", "feed", "capex", "discount"):
        assert be.loc[d, "note"] == (
            f"needed for any plan: no plan without pj (infeasible with it held off, {d} at "
            "0; no driver changes what is feasible), so no NPV")
        assert np.isnan(be.loc[d, "value"]) and be.loc[d, "scanned"] == 1
    assert be.loc["carbon", "note"] == "the case has no emission commodity"
    tor = pd.read_csv(folder / "tornado.csv", keep_default_na=False, na_values=[""])
    assert tor["driver"].tolist() == ["price", "feed", "capex", "discount"]
    assert (tor["note"] == "needed for any plan").all()
    assert tor[["npv_base_musd", "npv_low_musd", "npv_high_musd", "swing_musd"]].isna().all(
        axis=None)


def test_the_price_driver_of_a_link_project_scales_what_its_links_carry(tmp_path):
    """tiny with the unit u an existing one (no project) and b sold at a second site m,
    which only pj's link (s -> m, b, 100 kt/yr, no cost) reaches: pj (10 MUSD, one
    year, forced in p1) is a link project with no unit of its own. Held built, u turns
    100 kt of a into b for m: 100 x (300 p - 100) / 1000 = 30 p - 10 MUSD a year less
    pj's 10 MUSD; without pj nothing reaches a market (0). NPV(p) = 30 p - 20 (for
    p >= 1/3, where u runs): 10 at p = 1, 4 at 0.8 and 16 at 1.2 (the tornado's ±20 %),
    break-even p* = 2/3. The price driver scaled nothing ("the project's units sell
    nothing": pj has no unit), though b is what pj's link carries to a market."""
    folder = tiny(tmp_path,
                  sites="site\ns\nm",
                  markets="site,commodity,price_usd_per_unit,max_k_per_yr\nm,b,300,1000",
                  units="unit,site,process,capacity_k_per_yr,lifetime_yr,project\n"
                        "u,s,p,100,30,",
                  links="link,from_site,to_site,transport_mode,commodities,"
                        "capacity_k_per_yr,cost_usd_per_unit,lifetime_yr,project\n"
                        "l,s,m,pipeline,b,100,0,,pj")
    s = sens.setup(str(folder), "pj")
    assert s.products == ["b"]
    assert sens.npv(s) == pytest.approx(10.0, abs=1e-9)
    be = sens.break_even(s, "price")
    assert be["value"] == pytest.approx(2 / 3, abs=1e-9) and be["note"] == ""
    bar = sens.tornado(s, ["price"], 0.2).set_index("driver").loc["price"]
    assert (bar["npv_low_musd"], bar["npv_high_musd"]) == pytest.approx((4.0, 16.0),
                                                                        abs=1e-9)


def test_break_even_by_hand_from_yearly_cash_flows(tmp_path):
    """pj (10 MUSD, life 2 years, forced in p1) in two 1-year periods, 2026 and 2027,
    r = 10 %, cash flows at the start of each year (d = 1, 1/1.1). Its capex is paid as
    an annuity A over its two alive years, A (1 + 1/1.1) = 10: 10 MUSD in present value.
    With the price of b scaled by p each year earns 100 kt x (300 p - 100) / 1000 =
    30 p - 10 MUSD; without pj nothing is made (0). By year:

        year  d       margin     capex annuity (A = 5.238)
        2026  1       30 p - 10  -5.238
        2027  1/1.1   30 p - 10  -5.238

    NPV(p) = (21/11) (30 p - 10) - 10: 28.18 at p = 1, 0 at p* = (10 + 110/21) / 30 =
    32/63 = 0.507937. The scan brackets it between 0.4 (NPV -10.0) and 0.6 (+5.27): the
    break-even is refined there to |NPV| <= 1e-6 MUSD, and breakeven.csv says so
    (tolerance_musd, refined_low..refined_high: it gave the value only)."""
    folder = tiny(tmp_path, periods=TWO_YEARS,
                  projects="project,capex_musd,earliest_period,lifetime_yr,all_or_nothing,"
                           "state,forced_period\npj,10,p1,2,true,forced,p1",
                  units="unit,site,process,capacity_k_per_yr,lifetime_yr,project\n"
                        "u,s,p,100,2,pj")
    s = sens.setup(str(folder), "pj")
    assert sens.npv(s) == pytest.approx(21 / 11 * 20 - 10, abs=1e-9)
    be = sens.break_even(s, "price")
    assert be["value"] == pytest.approx(32 / 63, abs=1e-9)
    assert abs(be["npv_at_value_musd"]) <= 1e-6 and be["tolerance_musd"] == 1e-6
    assert (be["refined_low"], be["refined_high"]) == pytest.approx((0.4, 0.6))
    assert be["note"] == ""


def test_break_even_where_the_plan_changes_with_the_price(tmp_path):
    """tiny (one year, d = 1) with b capped at 120 kt/yr and an existing unit u0 (60
    kt/yr, 1 t of a to 1 t of b at 110 USD/t variable cost): u0 earns 300 p - 210 USD/t,
    so runs only above p = 0.7; pj (forced) earns 300 p - 100 and fills the market
    first. Held: pj 100 kt, u0 the 20 kt left; without pj: u0 60 kt. NPV(p) =
    30 p - 20 (pj's margin less its 10 MUSD) for 1/3 <= p <= 0.7 and, above 0.7,
    30 p - 20 - 40 (300 p - 210) / 1000 = 18 p - 11.6 (u0 runs 40 kt less): piecewise,
    its zero 2/3 on the first piece (the second's, 0.644, is below 0.7). The scan
    brackets it by 0.6 (NPV -2) and 0.8 (+2.8), across the kink; the first chord lands
    at 0.6 + 0.2 x 2 / 4.8 = 0.68333 (NPV +0.5), the next on the linear piece at 2/3:
    break-even 2/3, refined within 0.6..0.68333 to 1e-6 MUSD."""
    folder = tiny(tmp_path,
                  markets="site,commodity,price_usd_per_unit,max_k_per_yr\ns,b,300,120",
                  modes="mode,process,variable_cost_usd_per_unit\nm,p,0\nm0,p0,110",
                  mode_flows=TINY["mode_flows"] + "\nm0,a,in,1\nm0,b,out,1",
                  units=TINY["units"] + "\nu0,s,p0,60,30,")
    s = sens.setup(str(folder), "pj")
    assert sens.npv(s) == pytest.approx(18 - 11.6, abs=1e-9)
    assert sens.npv(s, "price", 0.8) == pytest.approx(18 * 0.8 - 11.6, abs=1e-9)
    be = sens.break_even(s, "price")
    assert be["value"] == pytest.approx(2 / 3, abs=1e-9) and be["break_evens"] == "0.666667"
    assert (be["refined_low"], be["refined_high"]) == pytest.approx((0.6, 0.6 + 0.2 / 2.4))
    assert be["tolerance_musd"] == 1e-6 and be["note"] == ""


def test_a_driver_that_does_not_move_the_npv_has_a_bar_of_0(monkeypatch):
    """A project whose NPV no carbon price moves, in a chain of objective 157,000 MUSD
    (an isolated project added to ru_all_projects gave NPV 177.06708830842399 at the
    base and at an extra 0 USD/t, 177.06708830839489 at 20 USD/t: a swing of 2.9e-11,
    one step of the objective's last bit). Two re-solves that differ by less than
    1e-12 of the objective (1.57e-7 MUSD here) are rounding, as in a sweep: the bar is
    0. Stubbed: carbon high 1e-7 off the base NPV (tornado.csv wrote npv_high
    177.0670884 against 177.0670883 and a swing of 1e-07), capex high 1e-6 off (above
    the rounding: kept)."""
    base = 177.06708830842399
    s = sens.Setup(case=None, project="pj", plan={"p1": 1.0}, products=["b"], feeds=["a"],
                   base_values={"carbon": 0.0, "capex": 1.0}, emissions=["co2"],
                   objective=157_000.0)
    off = {("carbon", 20.0): 1e-7, ("capex", 1.2): -1e-6}

    def npv_range(_s, driver=None, x=None, options=None):
        v = base + off.get((driver, None if x is None else round(x, 9)), 0.0)
        return v, v, v

    monkeypatch.setattr(sens, "npv_range", npv_range)
    tor = sens.tornado(s, ["carbon", "capex"], 0.2).set_index("driver")
    assert tor.loc["carbon", "swing_musd"] == 0.0
    assert (tor.loc["carbon", ["npv_low_musd", "npv_high_musd", "npv_high_from_musd",
                               "npv_high_to_musd"]] == base).all()
    assert tor.loc["capex", "swing_musd"] == pytest.approx(1e-6, rel=1e-6)
    assert tor.index.tolist() == ["capex", "carbon"]
    csv = stable_floats(tor.reset_index())
    assert csv.set_index("driver").loc["carbon", "swing_musd"] == 0.0
