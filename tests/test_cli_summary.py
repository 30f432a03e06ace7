"""The run summary names what the plan sells beyond its Top products (review cli F7)."""

from __future__ import annotations

from typer.testing import CliRunner

from chainopt.cli import app


def test_the_run_summary_names_commodities_sold_that_are_no_top_product(tmp_path):
    """small_chain sells naphtha (kind intermediate) and fuel_gas (kind utility), which
    Top products, kpis.csv production_* and the product-mix chart leave out (they list
    the kind product): naphtha is the CDU's 0.17 x 7,600 kt/yr of crude = 1,292 kt/yr,
    none cracked, sold at 450 USD/t = 581.4 MUSD/yr, more than the hdpe sold; fuel_gas
    the ethane cracker's 0.19 x 760 = 144.4 kt/yr at 60 USD/t = 8.664 MUSD/yr. The same
    in every period. Nothing said so; now one line names them, naphtha first (the larger
    revenue). kpis.csv keeps production_* of the products alone: the default case's
    figures and the snapshots do not change."""
    done = CliRunner(env={"COLUMNS": "400"}).invoke(app, ["run", "small_chain", "--out",
                                                          str(tmp_path)])
    assert done.exit_code == 0, done.output
    assert ("also sold (not in Top products, which lists the commodities of kind product the "
            "plan makes): naphtha up to 1,292 k t/yr (581.4 MUSD/yr), fuel_gas up to 144.4 k "
            "t/yr (8.664 MUSD/yr) (sales.csv)") in " ".join(done.output.split())
    kpis = (tmp_path / "small_chain" / "kpis.csv").read_text()
    assert "production_naphtha" not in kpis and "production_hdpe" in kpis


def test_validate_of_a_scenario_names_the_scenario():
    """Review cli F11: `validate scenarios/small_port_expansion.yaml` said "ok: case
    'small_chain' is valid", naming the base case only. Now the scenario first, then its
    case; the counts are the effective case's (small_chain: 5 sites, 14 commodities)."""
    import pathlib

    scen = pathlib.Path(__file__).resolve().parents[1] / "scenarios" / "small_port_expansion.yaml"
    done = CliRunner(env={"COLUMNS": "300"}).invoke(app, ["validate", str(scen)])
    assert done.exit_code == 0, done.output
    assert ("ok: scenario 'small_port_expansion' (on case 'small_chain') is valid: 5 sites, "
            "14 commodities") in done.output
    done = CliRunner(env={"COLUMNS": "300"}).invoke(app, ["validate", "small_chain"])
    assert "ok: case 'small_chain' is valid: 5 sites" in done.output
