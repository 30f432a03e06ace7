"""chainopt compare / run with several scenarios / show: CLI, reuse, parallel = serial."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from chainopt import api
from chainopt.cli import app

SCEN = Path(__file__).resolve().parents[1] / "scenarios"
runner = CliRunner()


def test_compare_writes_tables_and_reuses_results(tmp_path):
    args = ["compare", "small_chain", str(SCEN / "small_port_expansion.yaml"), "--out",
            str(tmp_path), "--name", "port", "--jobs", "1"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    folder = tmp_path / "compare-port"
    for f in ("objective.csv", "economics.csv", "project_cashflows.csv", "comparison.md"):
        assert (folder / f).is_file(), f
    assert "Economics of each effect" in res.output
    m1 = json.loads((tmp_path / "small_port_expansion" / "manifest.json").read_text())
    econ1 = pd.read_csv(folder / "economics.csv")
    res = runner.invoke(app, args)  # the comparison exists: replaced only with --overwrite
    assert res.exit_code == 1 and "--overwrite" in res.output, res.output
    res = runner.invoke(app, [*args, "--overwrite"])  # same inputs: results are reused,
    assert res.exit_code == 0, res.output  # not solved again
    assert "reused" in res.output
    # reused results (read back from CSV at 10 significant digits) give the same numbers
    pd.testing.assert_frame_equal(pd.read_csv(folder / "economics.csv"), econ1, rtol=1e-7)
    m2 = json.loads((tmp_path / "small_port_expansion" / "manifest.json").read_text())
    assert m1["created_utc"] == m2["created_utc"]


def test_run_several_one_failing(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("base: small_chain\nchanges:\n  - table: markets\n    where: {commodity: "
                   "hdpx}\n    set: {price_usd_per_unit: 1}\n")
    res = runner.invoke(app, ["run", str(SCEN / "small_high_prices.yaml"), str(bad),
                              str(SCEN / "small_port_expansion.yaml"), "--out", str(tmp_path),
                              "--jobs", "2"])
    assert res.exit_code == 1, res.output
    text = " ".join(res.output.split())
    assert "matches no row of markets.csv" in text and "'hdpe'" in text
    assert (tmp_path / "small_high_prices" / "manifest.json").is_file()
    assert (tmp_path / "small_port_expansion" / "manifest.json").is_file()
    assert not (tmp_path / "bad").exists()


def test_parallel_equals_serial(tmp_path):
    src = ["small_chain", str(SCEN / "small_port_expansion.yaml"),
           str(SCEN / "small_chained.yaml")]
    par = api.run_many(src, out=tmp_path / "a", jobs=2)
    ser = api.run_many(src, out=tmp_path / "b", jobs=1)
    for p, s in zip(par, ser, strict=True):
        assert p.ok and s.ok
        assert p.results.objective == pytest.approx(s.results.objective, rel=1e-12)
        assert p.results["kpis"]["value"].to_numpy() == pytest.approx(
            s.results["kpis"]["value"].to_numpy(), rel=1e-12)


def test_show_and_validate_scenario():
    res = runner.invoke(app, ["show", str(SCEN / "small_chained.yaml")])
    assert res.exit_code == 0, res.output
    assert "small_high_prices" in res.output and "far_east_port" in res.output
    assert "forced p2031" in res.output
    assert "added" in res.output and "removed" in res.output
    res = runner.invoke(app, ["validate", str(SCEN / "small_high_prices.yaml")])
    assert res.exit_code == 0, res.output
    assert "scenario chain" in res.output


def test_compare_of_a_chain_without_units_links_or_emissions(tmp_path):
    """Crude bought at 100 (then 150 in the scenario) and sold at 200, 50 k t a year, one
    year, no discounting: NPV 0.05 x 100 = 5 against 0.05 x 50 = 2.5 MUSD, the supply
    cost 50,000 x 100 = 5 against 7.5 MUSD. Tables with no rows (flows, emissions,
    production) used to crash the comparison."""
    from tests.toycase import write_case

    case = write_case(tmp_path / "case", {
        "commodities": "commodity,unit,kind\ncrude,t,raw",
        "sites": "site\na",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\na,crude,100,50",
        "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\na,crude,200,100"})
    dear = tmp_path / "dear.yaml"
    dear.write_text(f"name: dear\nbase: {case}\nchanges:\n  - table: supplies\n"
                    "    set: {cost_usd_per_unit: 150}\n")
    res = runner.invoke(app, ["compare", str(case), str(dear), "--out", str(tmp_path),
                              "--name", "c", "--jobs", "1"])
    assert res.exit_code == 0, res.output
    obj = pd.read_csv(tmp_path / "compare-c" / "objective.csv").set_index("kpi (MUSD, NPV)")
    assert obj.loc["objective", ["toy", "dear", "Δ dear"]].tolist() == [5.0, 2.5, -2.5]
    assert obj.loc["npv_supply", ["toy", "dear"]].tolist() == [-5.0, -7.5]
    assert pd.read_csv(tmp_path / "compare-c" / "emissions.csv").empty
