"""`chainopt sensitivity` tells what `run` tells (review sens2 F1, F3, F4, F5), on the
reviewer's toy worked by hand.

The toy: one 5-year period p1 (2026-2030), r = 10 %, cash flows at the start of each
year, so the period's weight is w = sum_{k<5} 1.1^-k = 4.169865. Feed bought at src for
100 USD/t, 10 by rail to plant; prod sold at mkt for 300 USD/t (at most 120 kt/yr), 15 by
rail. u_old (50 kt/yr) makes 1 t prod from 1.25 t feed at a variable cost of 60: margin
285 - 137.5 - 60 = 87.5 USD/t; project p (30 MUSD, life 5, lead 0) brings u_new
(100 kt/yr, the same recipe at 20: margin 127.5). u_w, unrelated to p, makes 10 kt/yr of
widget (100 USD/t) and emits 0.5 t co2 per t. Money in MUSD = kt x USD/t / 1000.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from chainopt import api
from chainopt import sensitivity as sens
from chainopt.cli import app
from tests.toycase import write_case

W = sum(1.1 ** -k for k in range(5))  # 4.169865
TOY = {
    "commodities": "commodity,unit,kind\nfeed,t,raw\nprod,t,product\nwidget,t,product\n"
                   "co2,t,emission",
    "sites": "site\nsrc\nplant\nmkt",
    "modes": "mode,process,variable_cost_usd_per_unit,capacity_use\nrun_old,conv_old,60,1\n"
             "run_new,conv_new,20,1\nmake_w,wproc,0,1",
    "mode_flows": "mode,commodity,direction,amount_per_unit\nrun_old,feed,in,1.25\n"
                  "run_old,prod,out,1\nrun_new,feed,in,1.25\nrun_new,prod,out,1\n"
                  "make_w,widget,out,1\nmake_w,co2,out,0.5",
    "units": "unit,site,process,capacity_k_per_yr,lifetime_yr,project\n"
             "u_old,plant,conv_old,50,30,\nu_new,plant,conv_new,100,,p\n"
             "u_w,mkt,wproc,10,30,",
    "supplies": "site,commodity,cost_usd_per_unit\nsrc,feed,100",
    "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\nmkt,prod,300,120\n"
               "mkt,widget,100,",
    "links": "link,from_site,to_site,transport_mode,commodities,cost_usd_per_unit\n"
             "l_feed,src,plant,rail,feed,10\nl_prod,plant,mkt,rail,prod,15",
    "policies": "commodity,site,carbon_price_usd_per_unit\nco2,,0",
}
FORCED = ("project,capex_musd,earliest_period,lifetime_yr,lead_time_yr,all_or_nothing,state,"
          "forced_period\np,30,p1,{life},{lead},false,forced,p1")
META = {"discount_rate": 0.1, "demand_floors": "soft",
        "periods": [{"period": "p1", "start_year": 2026, "length_yr": 5}],
        "solver": {"mip_gap": 1e-9}}


def toy(folder, life: int = 5, lead: int = 0, **tables):
    """The toy with p forced in p1 (``life``, ``lead``), ``tables`` replaced or added."""
    return write_case(folder, {**TOY, "projects": FORCED.format(life=life, lead=lead),
                               **tables}, **META)


def test_a_project_used_from_inside_a_period_is_warned_of_as_run_warns(tmp_path):
    """life10: p with life 10 and lead time 1, so u_new comes into use in 2027, inside p1.

    The model values p1 on its average year: u_new counts with its usable share
    s = sum_{k=1..4} 1.1^-k / w = 3.169865 / 4.169865 = 0.76018, i.e. 76.018 kt/yr, and
    the sales cap of 120 and u_old's 50 hold on that average only. The plan runs u_new at
    76.018 and u_old at 120 - 76.018 = 43.982: a gain over the 50 x 87.5 = 4,375 kUSD/yr
    of the plan without p of 76.018 x 127.5 + 43.982 x 87.5 - 4,375 = 9,165.6 kUSD/yr,
    x w = 38.219 MUSD. p's capex is an annuity A = 30 / sum_{k=1..10} 1.1^-k = 4.88233
    over its life from 2027, charged in 2027-2030: A x 3.169865 = 15.476. NPV = 38.219 -
    15.476 = 22.743, what sensitivity reports.

    Year by year the plan cannot be run so: in 2026 there is no u_new and u_old makes 50,
    not 43.98 + its share of u_new's; from 2027 u_new makes 100 and u_old 20 (the cap of
    120), a gain of 100 x 127.5 + 20 x 87.5 - 4,375 = 10,125 kUSD/yr for 2027-2030 only:
    10,125 x 3.169865 / 1000 = 32.095, NPV 32.095 - 15.476 = 16.62 (the reviewer's hand
    figure; the same toy with p1 split at 2027 gives it). So 22.74 is the average-year
    relaxation, 37 % above, and `run` warns of it ("project p comes into use in 2027,
    inside period p1 (2026-2030) ... the plan's value may be too high"); sensitivity gave
    no warning. It now says run's warning for its base solve with p held built, on the
    terminal and in sensitivity.json; the solve without p builds nothing, so it adds none.
    A case with p1 split at 2027 is exact: 16.62 and no warning."""
    case = toy(tmp_path / "life10", life=10, lead=1)
    res = api.sensitivity(case, "p", ["capex"], out=tmp_path / "out")
    s_use = sum(1.1 ** -k for k in range(1, 5)) / W
    annuity = 30 / sum(1.1 ** -k for k in range(1, 11))
    charged = annuity * sum(1.1 ** -k for k in range(1, 5))
    gain = (100 * s_use * 127.5 + (120 - 100 * s_use) * 87.5 - 50 * 87.5) * W / 1000
    assert res["tornado"]["npv_base_musd"].iloc[0] == pytest.approx(gain - charged, abs=1e-6)
    assert gain - charged == pytest.approx(22.743, abs=1e-3)
    said = ("project p comes into use in 2027, inside period p1 (2026-2030), and the plan "
            "uses it there beyond")
    assert len(res["warnings"]) == 1
    assert res["warnings"][0].startswith("the base solve, p held built: " + said)
    assert "so the plan's value may be too high" in res["warnings"][0]
    record = json.loads((res["folder"] / "sensitivity.json").read_text())
    assert record["warnings"] == res["warnings"]
    out = CliRunner().invoke(app, ["sensitivity", str(case), "--project", "p", "--drivers",
                                   "capex", "--out", str(tmp_path / "cli")])
    assert out.exit_code == 0, out.output
    assert "warning: the base solve, p held built: " + said in " ".join(out.output.split())

    split = tmp_path / "life10s"
    split.mkdir()
    (split / "s.yaml").write_text(f"name: life10s\nbase: {case}\nchanges:\n"
                                  "  - split: p1\n    at: 2027\n")
    exact = api.sensitivity(split / "s.yaml", "p", ["capex"], out=tmp_path / "out")
    year_by_year = 10_125 * sum(1.1 ** -k for k in range(1, 5)) / 1000 - charged
    assert year_by_year == pytest.approx(16.62, abs=5e-3)
    assert exact["tornado"]["npv_base_musd"].iloc[0] == pytest.approx(year_by_year, abs=1e-6)
    assert exact["warnings"] == []


def test_warnings_of_the_plan_without_the_project_are_said_as_such():
    """A warning only the solve without p gives is said as of that solve; one both
    give, once, as of both (stubbed plans: the two solves' warnings)."""
    s = sens.Setup(case=None, project="p", plan={"p1": 1.0}, products=[], feeds=[],
                   base_values={})
    with_it, without = ["a", "b"], ["b", "c"]
    said = sens.say_warnings(s, with_it, without)
    assert said == ["the base solve, p held built: a",
                    "the base solve with p held built and without it: b",
                    "the base solve without p: c"]


def test_a_project_the_scenario_does_not_build_is_refused_before_it_is_solved_held(
        tmp_path):
    """nobuild: p optional at 200 MUSD. Its annuity over its 5 years is 200 / w = 47.96
    MUSD/yr against at most 100 x 127.5 - 30 x 87.5 = 10,125 kUSD/yr (all of u_new, 30
    kt/yr of u_old's output displaced by the sales cap of 120) = 10.1 MUSD/yr: not built.
    The refusal came after a line "solving ... with p held built", the opposite of what
    happened; now the only solve announced is the one that finds where the scenario
    builds p."""
    case = write_case(tmp_path / "nobuild", {**TOY, "projects": (
        "project,capex_musd,earliest_period,lifetime_yr,all_or_nothing,state\n"
        "p,200,p1,5,false,optional")}, **META)
    out = CliRunner().invoke(app, ["sensitivity", str(case), "--project", "p", "--out",
                                   str(tmp_path / "out")])
    assert out.exit_code == 1, out.output
    text = " ".join(out.output.split())
    assert "--project p: the scenario does not build it; force it" in text
    assert "held built" not in text, text
    assert f"solving {case} to see where it builds p ..." in text


def test_a_driver_that_does_not_move_the_npv_says_so(tmp_path):
    """force_p: p held at 100 %. u_w is the only emitter and does not depend on p, so an
    extra carbon price moves the objectives with and without p alike: NPV = (100 x 127.5
    + 20 x 87.5 - 50 x 87.5) x w / 1000 - 30 = 10.125 x 4.169865 - 30 = 12.2199 at every
    value scanned. The note said "NPV > 0 at all 21 values scanned (step 50)", true but
    not that the driver does not move it (the README lists that note, which was given
    only for an NPV of 0 everywhere). The tornado's carbon bar draws one label, "no
    change (12.2 at 0 and 20)": its two labels, "12.2 (at 0)" and "12.2 (at 20)", were
    drawn on one spot, running into each other."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    from chainopt.report import risk

    s = sens.setup(str(toy(tmp_path / "force_p")), "p")
    npv = 10.125 * W - 30
    assert sens.npv(s) == pytest.approx(npv, abs=1e-6)
    be = sens.break_even(s, "carbon")
    assert be["value"] is None and be["gaps"] == ""
    assert be["note"] == ("NPV is 12.2 at all 21 values scanned: the driver does not "
                          "move it")
    assert be["npv_at_high_musd"] == pytest.approx(npv, abs=1e-6)
    tor = sens.tornado(s, ["carbon", "capex"], 0.2)
    fig = risk.tornado_figure(tor, "t", plt, objective=s.objective)
    try:
        texts = [t.get_text().strip() for t in fig.axes[0].texts]
    finally:
        plt.close(fig)
    assert "no change (12.2 at 0 and 20)" in texts, texts
    assert not any(t.startswith("12.2 (at") for t in texts), texts
    # capex moves it: 12.2199 -/+ 0.2 x 30, two labels
    assert "18.2 (at 0.8)" in texts and "6.220 (at 1.2)" in texts, texts


def test_a_constant_npv_left_open_by_the_gaps_is_not_said_to_be_unmoved(monkeypatch):
    """NPV 5 at every capex value, each anywhere in [4, 6] (open against 1e-6 of the
    objective 100): the solves do not tell whether the driver moves it."""
    s = sens.Setup(case=None, project="p", plan={"p1": 1.0}, products=[], feeds=[],
                   base_values={"capex": 1.0}, objective=100.0)
    monkeypatch.setattr(sens, "npv_range", lambda *_a, **_k: (5.0, 4.0, 6.0))
    be = sens.break_even(s, "capex")
    assert be["note"] == ("NPV is 5.000 at all 21 values scanned, as far as the solves "
                          "tell: the MIP gaps leave open whether the driver moves it")
