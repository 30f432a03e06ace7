"""The tornado and break-even of a project whose solves stop within their MIP gaps.

The case ``two``: one site ``s``; feed ``a`` bought at 100 USD/t, product ``b`` sold at
300 USD/t up to 150 kt/yr; two all-or-nothing units of 100 kt/yr making 1 t of b from
1 t of a, each its own project, life 1 year: ``pj`` (10 MUSD, forced in p1, the project
tested) and ``pk`` (12 MUSD, optional). One period p1 of one year (2026, the base
year), r = 10 %, cash flows at the start of the year: d(2026) = 1 and a build's capex
annuity over its one year is its capex. Money in MUSD = kt x USD/t / 1000.

With the product prices scaled by p the margin is m = 300 p - 100 USD/t.

* pj held built: pj's 100 kt earn 0.1 m - 10; pk adds the 50 kt left in the market,
  0.05 m - 12, worth it when m > 240 (p > 1.133). Held objective
  H(p) = 0.1 m - 10 + max(0, 0.05 m - 12) (pj can idle too, but m > 0 here).
* pj off (the counterfactual): pk alone makes 100 kt, C(p) = max(0, 0.1 m - 12).
* NPV(p) = H - C: 0.1 m - 10 = 30 p - 20 for p <= 0.733 (pk idle in both), 2 on
  0.733..1.133 (pk replaces pj, 2 MUSD cheaper), 15 p - 15 above 1.133. At p = 0.8:
  H = 4, C = 2, NPV 2; p = 1: 10 - 8 = 2; p = 1.2 (m = 260): 17 - 14 = 3. The price
  break-even: 30 p - 20 = 0 at p = 2/3.
* capex factor k on pj: NPV = 20 - 10 k - 8 = 12 - 10 k: 4 at 0.8, 0 at 1.2, break-even
  1.2.
* feed factor f (m = 300 - 100 f): H = 20 - 10 f + max(0, 3 - 5 f), C = max(0, 18 - 10 f):
  NPV 2 at 0.8 and 1.2; 20 - 10 f on 1.8..3 (pk no longer pays), break-even f = 2.

**Loose gap.** The LP relaxation of the held model at p = 1.2 builds half of pk, its
50 kt for 6 MUSD: 0.1 x 260 - 10 + 0.05 x 260 - 6 = 23, while the plan with pk built
is worth 17: a gap of 6 / 17 = 35 %, within a mip_gap of 0.5, so HiGHS stops there
with F_s = 17 and B_s = 23. The counterfactual's relaxation is integral (pk whole,
14). The NPV 3 lies anywhere in [F_s - B_c, B_s - F_c] = [17 - 14, 23 - 14] = [3, 9].
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from typer.testing import CliRunner

from chainopt import sensitivity as sens
from chainopt.cli import app
from chainopt.report import economics
from tests.toycase import write_case

TWO = {
    "commodities": "commodity,unit,kind\na,t,raw\nb,t,product",
    "sites": "site\ns",
    "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\ns,a,100,1000",
    "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\ns,b,300,150",
    "modes": "mode,process,variable_cost_usd_per_unit\nm,p,0",
    "mode_flows": "mode,commodity,direction,amount_per_unit\nm,a,in,1\nm,b,out,1",
    "projects": "project,capex_musd,earliest_period,lifetime_yr,all_or_nothing,state,"
                "forced_period\npj,10,p1,1,true,forced,p1\npk,12,p1,1,true,optional,",
    "units": "unit,site,process,capacity_k_per_yr,lifetime_yr,project\n"
             "u,s,p,100,1,pj\nv,s,p,100,1,pk",
}
RANGES = ["npv_base_from_musd", "npv_base_to_musd", "npv_low_from_musd", "npv_low_to_musd",
          "npv_high_from_musd", "npv_high_to_musd"]


def two(folder, gap: float):
    return write_case(folder, TWO, discount_rate=0.1, solver={"mip_gap": gap})


def test_tornado_and_break_evens_by_hand_at_gap_0(tmp_path):
    """Solved to optimality every NPV is the docstring's and its range is the NPV
    itself; each break-even is a zero to the search's tolerance, so its bracket is the
    value itself, and nothing is open."""
    s = sens.setup(str(two(tmp_path, 0.0)), "pj")
    tor = sens.tornado(s, ["price", "feed", "capex"], 0.2).set_index("driver")
    hand = {"price": (2.0, 2.0, 3.0), "feed": (2.0, 2.0, 2.0), "capex": (2.0, 4.0, 0.0)}
    for d, (base, low, high) in hand.items():
        got = tor.loc[d, ["npv_base_musd", "npv_low_musd", "npv_high_musd"]].tolist()
        assert got == pytest.approx([base, low, high], abs=1e-9), d
        assert tor.loc[d, RANGES].tolist() == pytest.approx(
            [base, base, low, low, high, high], abs=1e-9), d
    rows = []
    for d, zero in (("price", 2 / 3), ("feed", 2.0), ("capex", 1.2)):
        be = sens.break_even(s, d)
        assert be["value"] == pytest.approx(zero, rel=1e-6), d
        assert (be["bracket_low"], be["bracket_high"]) == (be["value"], be["value"])
        assert be["note"] == "" and be["gaps"] == ""
        rows.append(be)
    assert sens.open_values(s, pd.DataFrame(rows), tor.reset_index()) == ""


def test_a_loose_gap_leaves_the_tornado_open_and_says_so(tmp_path):
    """At mip_gap 0.5 the held model at p = 1.2 stops at 17 with bound 23 (docstring):
    the tornado's NPV there is 3, anywhere from 3 to 9, and the command warns, naming
    the value, its range and the gap to set; every other NPV is proven (range = value).
    (It printed 3 and said nothing.)"""
    res = CliRunner().invoke(app, ["sensitivity", str(two(tmp_path / "case", 0.5)),
                                   "--project", "pj", "--drivers", "price,capex",
                                   "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    tor = pd.read_csv(next((tmp_path / "out").glob("sensitivity-*")) / "tornado.csv")
    tor = tor.set_index("driver")
    assert tor.loc["price", ["npv_high_musd", "npv_high_from_musd", "npv_high_to_musd"]
                   ].tolist() == pytest.approx([3.0, 3.0, 9.0], abs=1e-6)
    assert tor.loc["price", RANGES[:4]].tolist() == pytest.approx([2.0] * 4, abs=1e-6)
    assert tor.loc["capex", RANGES].tolist() == pytest.approx([2, 2, 4, 4, 0, 0], abs=1e-6)
    out = " ".join(res.output.split())
    assert "NPV price at 1.2 3.000 (anywhere from 3.000 to 9.000)" in out
    assert economics.SMALLER_GAP in out
    assert "NPV base" not in out and "capex at" not in out


def _stubbed(monkeypatch, rng, npv=lambda x: 4.5 - 2.0 * x):
    """A Setup whose NPV at capex factor x is F = ``npv(x)`` (default 4.5 - 2 x) with the
    range ``rng(F)`` (no solver): base objective 100, so a range wider than 1e-4 MUSD at
    NPV 0 is open."""
    s = sens.Setup(case=None, project="pj", plan={"p1": 1.0}, products=["b"], feeds=["a"],
                   base_values={"capex": 1.0}, objective=100.0)

    def npv_range(_s, driver, x, options=None):
        f = npv(x)
        return (f, *rng(f))

    monkeypatch.setattr(sens, "npv_range", npv_range)
    return s


def test_break_even_bracket_from_the_values_whose_sign_is_sure(monkeypatch):
    """F(x) = 4.5 - 2 x on the capex grid 0, 1, ..., 20: F(2) = 0.5, F(3) = -1.5; false
    position x = (2 (-1.5) - 3 (0.5)) / (-1.5 - 0.5) = 2.25, F = 0. Each NPV lies in
    [F - 0.5, F + 1.5] (F_s - B_c, B_s - F_c): at 2.25 anywhere from -0.5 to 1.5, open.
    The true NPV is sure > 0 where F - 0.5 > 0 (x < 2: the values 0 and 1 seen) and
    sure < 0 where F + 1.5 < 0 (x > 3: 4, 5, ...); 2, 2.25 and 3 are open. The
    bracket is the nearest sure values of opposite signs about 2.25: 1 and 4 (the true
    zero lies in 2..3, inside). At 1e-6 MUSD the search said 2.25 and nothing more."""
    s = _stubbed(monkeypatch, lambda f: (f - 0.5, f + 1.5))
    be = sens.break_even(s, "capex")
    assert be["value"] == pytest.approx(2.25)
    assert (be["npv_low_at_value_musd"], be["npv_high_at_value_musd"]) == pytest.approx(
        (-0.5, 1.5))
    assert (be["bracket_low"], be["bracket_high"]) == (1.0, 4.0)
    assert be["gaps"] == ("the MIP gaps leave NPV here anywhere from -0.500 to 1.500 (MUSD): "
                          "a true break-even lies between 1 and 4")
    text = sens.open_values(s, pd.DataFrame([be]), pd.DataFrame(columns=sens.TORNADO_COLUMNS))
    assert "the capex break-even 2.25 (the MIP gaps leave NPV here anywhere from -0.500 " \
           "to 1.500 (MUSD): a true break-even lies between 1 and 4)" in text
    assert text.endswith(economics.SMALLER_GAP)


def test_break_even_without_a_bound_or_within_the_solvers_tolerance(monkeypatch):
    """No MIP bound (a solver that gives none): the range is unknown, no value's sign
    is sure, no bracket, and the note says so. A range of 2e-5 MUSD about the zero is
    within 1e-6 of the objective 100 (the solvers' tolerance): not open, no note, and
    the bracket is the nearest sure values (2 and 3: F(2) - 1e-5 > 0 > F(3) + 1e-5)."""
    s = _stubbed(monkeypatch, lambda f: (math.nan, math.nan))
    be = sens.break_even(s, "capex")
    assert math.isnan(be["bracket_low"]) and math.isnan(be["bracket_high"])
    assert be["gaps"] == ("the MIP gaps leave NPV here no MIP bound: unknown (MUSD): no "
                          "bracket (they leave the NPV's sign open on one side of it)")
    s = _stubbed(monkeypatch, lambda f: (f - 1e-5, f + 1e-5))
    be = sens.break_even(s, "capex")
    assert be["gaps"] == "" and (be["bracket_low"], be["bracket_high"]) == (2.0, 3.0)
    assert sens.open_values(s, pd.DataFrame([be]),
                            pd.DataFrame(columns=sens.TORNADO_COLUMNS)) == ""


def test_no_break_even_but_the_gaps_leave_the_sign_open(monkeypatch):
    """F(x) = 0.1 (x - 10)^2 + 0.5 > 0 everywhere, each in [F - 1, F + 1]: "NPV > 0 at all
    21 values scanned" holds for the values found, but the true NPV may be below 0 where
    F < 1, (x - 10)^2 < 5, i.e. at 8, 9, 10, 11, 12 of the grid (F 0.9, 0.6, 0.5, 0.6,
    0.9); the gaps column says so and the warning lists it. (Nothing said it.)"""
    s = _stubbed(monkeypatch, lambda f: (f - 1.0, f + 1.0),
                 npv=lambda x: 0.1 * (x - 10.0) ** 2 + 0.5)
    be = sens.break_even(s, "capex")
    assert be["value"] is None and be["note"].startswith("NPV > 0 at all 21 values scanned")
    assert be["gaps"] == ("the MIP gaps leave the sign of NPV open at 5 of them (at 8 "
                          "anywhere from -0.100 to 1.900; at 9 anywhere from -0.400 to 1.600; "
                          "at 10 anywhere from -0.500 to 1.500; ...)")
    text = sens.open_values(s, pd.DataFrame([be]), pd.DataFrame(columns=sens.TORNADO_COLUMNS))
    assert text.startswith("the solves' MIP gaps") and "the capex break-even (the MIP " \
        "gaps leave the sign of NPV open at 5 of them" in text


def test_the_tornado_chart_draws_a_range_only_where_one_is_open():
    """One bar end proven (2 to 2), the other open (3, anywhere from 3 to 9): one
    whisker, from 3 to 9, and its label gives the range. A third driver's ends hold
    float noise (-0.3227 to -0.3227 + 3e-12, the reviewer's "-0.3 (-0.3 to -0.3)"),
    closed by the README's test (1 % of the value): no whisker. Numbers as the README
    writes them: three decimals below 10."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    from chainopt.report import risk

    row = {"driver": "price", "meaning": "factor on the product prices", "base_value": 1.0,
           "low_value": 0.8, "high_value": 1.2, "npv_base_musd": 2.0, "npv_low_musd": 2.0,
           "npv_high_musd": 3.0, "swing_musd": 1.0, "npv_base_from_musd": 2.0,
           "npv_base_to_musd": 2.0, "npv_low_from_musd": 2.0, "npv_low_to_musd": 2.0,
           "npv_high_from_musd": 3.0, "npv_high_to_musd": 9.0}
    noise = {**row, "driver": "feed", "npv_low_musd": -0.3227272727,
             "npv_low_from_musd": -0.3227272727, "npv_low_to_musd": -0.3227272727 + 3e-12,
             "npv_high_musd": 2.0, "npv_high_from_musd": 2.0, "npv_high_to_musd": 2.0}
    fig = risk.tornado_figure(pd.DataFrame([row, noise]), "t", plt, objective=50.0)
    try:
        ax = fig.axes[0]
        whiskers = [ln for ln in ax.get_lines() if ln.get_marker() == "|"]
        assert [list(ln.get_xdata()) for ln in whiskers] == [[3.0, 9.0]]
        texts = [t.get_text() for t in ax.texts]
        assert any("3.000 (3.000 to 9.000) (at 1.2)" in t for t in texts)
        assert any(t.strip() == "-0.323 (at 0.8)" for t in texts), texts
    finally:
        plt.close(fig)
    # a driver with no swing (a discount rate of 0 at ±20 % is 0 both ways): one label,
    # it was drawn twice on one spot
    flat = {**row, "driver": "discount", "low_value": 0.0, "high_value": 0.0,
            "npv_low_musd": 2.0, "npv_low_from_musd": 2.0, "npv_low_to_musd": 2.0,
            "npv_high_musd": 2.0, "npv_high_from_musd": 2.0, "npv_high_to_musd": 2.0}
    fig = risk.tornado_figure(pd.DataFrame([flat]), "t", plt)
    try:
        texts = [t.get_text().strip() for t in fig.axes[0].texts]
        assert texts.count("2.000 (at 0)") == 1, texts
    finally:
        plt.close(fig)


def test_a_re_solve_stopped_at_its_time_limit_is_kept_with_its_range(tmp_path, monkeypatch):
    """The model without the project, stopped at its time limit with a plan, is taken
    with its bound (as a sweep takes it): here its bound is stated 1 above its plan, so
    the base NPV 2 (10 - 8) lies in [10 - 9, 10 - 8] = [1, 2]. (A stopped re-solve
    failed the whole command, advising --time-limit, an option sensitivity did not
    have: it now has it.) One stopped without a plan fails naming the project and the
    driver value."""
    from chainopt import solve as solve_mod
    from chainopt.errors import SolverError

    s = sens.setup(str(two(tmp_path, 0.0)), "pj")
    real = solve_mod.solve_with_fixed

    def stopped(built, cols, value=0.0, options=None, stopped=False):
        assert stopped, "a re-solve stopped with a plan must be accepted"
        f, _ = real(built, cols, value, options, stopped=stopped)
        return f, f + 1.0

    monkeypatch.setattr(solve_mod, "solve_with_fixed", stopped)
    assert sens.npv_range(s) == pytest.approx((2.0, 1.0, 2.0), abs=1e-9)

    def no_plan(*_a, **_k):
        raise SolverError("the re-solve with 1 columns fixed ended with status 'Time limit "
                          "reached'; raise --time-limit")

    monkeypatch.setattr(solve_mod, "solve_with_fixed", no_plan)
    with pytest.raises(SolverError, match=r"valuing project pj with price at 1\.2 \(the "
                                          r"model without it\): the re-solve"):
        sens.npv(s, "price", 1.2)


def test_sensitivity_takes_a_time_limit(tmp_path, monkeypatch):
    """--time-limit reaches every solve (as run's and sweep's do); 0 is refused (exit 2)."""
    seen = {}

    def fake_setup(source, project, options=None, progress=None):
        seen["limit"] = options.time_limit_s
        raise SolverError("stop here")

    from chainopt.errors import SolverError

    monkeypatch.setattr(sens, "setup", fake_setup)
    case = two(tmp_path / "case", 0.0)
    res = CliRunner().invoke(app, ["sensitivity", str(case), "--project", "pj",
                                   "--time-limit", "7", "--out", str(tmp_path / "o")])
    assert seen == {"limit": 7.0} and res.exit_code == 4, res.output
    res = CliRunner().invoke(app, ["sensitivity", str(case), "--project", "pj",
                                   "--time-limit", "0", "--out", str(tmp_path / "o")])
    assert res.exit_code == 2


def test_npv_0_everywhere_is_said_to_be_unmoved_only_where_the_gaps_allow(monkeypatch):
    """F(x) = 0 at each of the 21 capex values 0, 1, ..., 20. Each in [F - 1, F + 1]
    (width 2 MUSD, open against 1e-6 x the objective 100): the true NPV may be anywhere
    from -1 to +1 at every value, so "the driver does not move it" is more than the
    solves tell; the note says the gaps leave it open, ``gaps`` names where, and the
    warning lists the break-even. It said "NPV is 0 at all 21 values scanned: the driver
    does not move it" and nothing else. Proven (range [0, 0]): as before."""
    s = _stubbed(monkeypatch, lambda f: (f - 1.0, f + 1.0), npv=lambda x: 0.0)
    be = sens.break_even(s, "capex")
    assert be["value"] is None
    assert be["note"] == ("NPV is 0 at all 21 values scanned, as far as the solves tell: the "
                          "MIP gaps leave open whether the driver moves it")
    assert be["gaps"] == ("the MIP gaps leave the sign of NPV open at 21 of them (at 0 "
                          "anywhere from -1.000 to 1.000; at 1 anywhere from -1.000 to "
                          "1.000; at 2 anywhere from -1.000 to 1.000; ...)")
    text = sens.open_values(s, pd.DataFrame([be]), pd.DataFrame(columns=sens.TORNADO_COLUMNS))
    assert "the capex break-even (the MIP gaps leave the sign of NPV open at 21" in text
    s = _stubbed(monkeypatch, lambda f: (f, f), npv=lambda x: 0.0)
    be = sens.break_even(s, "capex")
    assert be["note"] == "NPV is 0 at all 21 values scanned: the driver does not move it"
    assert be["gaps"] == ""
