"""Comparison tables and project economics on the embedded case."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chainopt import api
from chainopt.report import compare, economics

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
    after 1 year -40, the next 40 take 40/60 of year 1 -> 1.667 years."""
    x = (-60 + np.sqrt(60**2 + 4 * 60 * 100)) / 120
    assert economics.irr(np.array([-100.0, 60.0, 60.0])) == pytest.approx(1 / x - 1, abs=1e-9)
    op = pd.Series([60.0, 60.0, 60.0], index=[2030, 2031, 2032])
    assert economics.payback(op, 100.0, 2030) == pytest.approx(5 / 3)
    assert economics.payback(op, 1000.0, 2030) is None
    assert economics.irr(np.array([10.0, 5.0])) is None  # no sign change


def test_cashflow_kpis_reconcile_with_npv(runs):
    """sum_t w_t * cashflow_<category>_t = npv_<category>, and the net sums to the objective."""
    for r in runs.values():
        per = economics.period_table(r).set_index("period")["weight"]
        cf = economics.cashflows(r)
        assert float((cf["net"] * per).sum()) == pytest.approx(r.objective, rel=1e-9)
        for cat in ("revenue", "capex", "fixed_om"):
            assert float((cf[cat] * per).sum()) == pytest.approx(r.kpi(f"npv_{cat}"), abs=1e-6)


def test_project_economics_of_the_port(runs):
    """Incremental NPV = objective difference (+10.27 MUSD). The project's annuity
    25 x CRF(10 %, 30) = 2.652 MUSD/yr is replaced by 25 MUSD overnight in 2026; the yearly
    operating gain is 6.219 MUSD in 2026-2030, so the cumulative cash flow -25 + 4 x 6.219
    = -0.124 after 4 years and payback = 4 + 0.124/6.219 = 4.02 years."""
    base, scen = runs["small_chain"], runs["small_port_expansion"]
    summary, flows = economics.project_economics(base, scen)
    assert summary["projects"] == ["far_east_port"]
    assert summary["incremental_npv_musd"] == pytest.approx(scen.objective - base.objective)
    assert summary["overnight_capex_musd"] == pytest.approx(25.0)
    assert summary["build_year"] == 2026
    op = flows.set_index("year")["operating_musd"]
    gain = op[2026]
    assert op.loc[2026:2030].to_numpy() == pytest.approx(np.full(5, gain))
    expected_payback = 4 + (25 - 4 * gain) / gain
    assert summary["payback_yr"] == pytest.approx(expected_payback)
    assert economics.npv(flows["net_musd"].to_numpy(), summary["irr"]) == pytest.approx(0.0,
                                                                                      abs=1e-6)
    # with annuities instead of the overnight capex the yearly flows discount to the NPV
    rate = scen.manifest["discount_rate"]
    delta = economics.cashflows(scen)["net"] - economics.cashflows(base)["net"]
    yearly = economics.yearly(delta, economics.period_table(scen))
    assert economics.npv(yearly.to_numpy(), rate) == pytest.approx(
        summary["incremental_npv_musd"], rel=1e-9)
    print(f"port: dNPV {summary['incremental_npv_musd']:.2f} MUSD, IRR {summary['irr']:.2%}, "
          f"payback {summary['payback_yr']:.2f} yr")


def test_compare_sections_and_deltas(runs, tmp_path):
    s = compare.compare(runs)
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
    assert econ.loc["small_port_expansion", "projects switched on"] == "far_east_port"
    assert econ.loc["small_high_prices", "projects switched on"] == ""
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
