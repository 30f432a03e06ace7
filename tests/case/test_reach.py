"""What can ever flow (chainopt.case.reach): modes that can never run, markets and
supplies nothing can reach, said by validate, run and explain.

The cases are the newcomer's mistakes of the ``newcase`` review (F2, F3): a gas plant
whose ethane has no outlet, an ammonia plant needing nitrogen nothing brings, a market
no link reaches.
"""

from __future__ import annotations

import glob
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chainopt import api
from chainopt.case import reach
from chainopt.case.load import load_case
from chainopt.cli import app
from chainopt.report import explain as ex
from tests.toycase import FEED_TO_PRODUCT, write_case

#: the review's small gas case: one 5-year period from 2027 at 10 %, raw gas bought at
#: the field, a gas plant (4000 k 1000m3/yr, fixed O&M 2 USD per 1000m3/yr) making
#: methane and ethane, a pipeline of methane to europe's market
GAS = {
    "commodities": "commodity,unit,kind,disposal\nraw_gas,1000m3,raw,\n"
                   "methane,1000m3,product,\nethane,t,intermediate,",
    "sites": "site\nfield\neurope",
    "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\nfield,raw_gas,60,5000",
    "units": "unit,site,process,capacity_k_per_yr,availability,fixed_om_usd_per_unit_yr\n"
             "gpp1,field,gpp,4000,0.95,2",
    "modes": "mode,process,variable_cost_usd_per_unit\ngpp_run,gpp,5",
    "mode_flows": "mode,commodity,direction,amount_per_unit\ngpp_run,raw_gas,in,1\n"
                  "gpp_run,methane,out,0.9\ngpp_run,ethane,out,0.08",
    "links": "link,from_site,to_site,transport_mode,commodities,cost_usd_per_unit,"
             "loss_fraction\npipe,field,europe,pipeline,methane,15,0.01",
    "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\neurope,methane,250,3000",
}
GAS_META = {"name": "gas_small", "base_year": 2027, "discount_rate": 0.10,
            "periods": [{"period": "p2027", "start_year": 2027, "length_yr": 5}]}

ETHANE = ("mode gpp_run of unit gpp1 at field (units.csv row 2) can never run: nothing at "
          "field sells, uses, ships or disposes of the ethane (mode_flows.csv row 4) it "
          "makes; add a market, a link or a mode that uses ethane at field, or set "
          "disposal: true for ethane in commodities.csv")


def _gas(tmp_path: Path, **tables: str) -> Path:
    return write_case(tmp_path / "gas", {**GAS, **tables}, **GAS_META)


def test_a_co_product_with_no_outlet_stops_the_chain_and_is_said(tmp_path):
    """The gas plant makes 0.08 t of ethane per 1000 m3 of raw gas, and nothing at the
    field sells, uses, ships or disposes of ethane: the balance of ethane at the field
    (0.08 x activity = 0) holds the plant at zero, so nothing is bought, shipped or sold.
    What is left is the plant's fixed O&M, 2 USD per 1000m3/yr x 4000 k 1000m3/yr = 8
    MUSD a year, over the period's weight w = sum_{k=0..4} 1.1^-k = 1 + 0.909091 +
    0.826446 + 0.751315 + 0.683013 = 4.169865 (start-of-year cash flows): objective
    -8 x 4.169865 = -33.3589 MUSD. Before this check `run` said nothing and explain
    called the idle plant 'a tie'."""
    res = api.run(_gas(tmp_path), save=False)
    assert res.manifest["objective"] == pytest.approx(-8 * 4.169865, abs=1e-4)
    assert res.tables["activity"]["activity_k_per_yr"].abs().max() < 1e-9
    assert res.manifest["warnings"] == [
        ETHANE,
        "markets.csv row 2: methane can reach europe only from modes that can never run, "
        "so nothing is ever sold at this market",
        "supplies.csv row 2: raw_gas can go from field only to modes that can never run, "
        "so nothing is ever bought from this supply"]
    why = ("nothing at field sells, uses, ships or disposes of the ethane "
           "(mode_flows.csv row 4) it makes")
    assert res.manifest["blocked_modes"] == [{"unit": "gpp1", "mode": "gpp_run",
                                              "reason": why}]
    lines = ex.almost_lines(res.tables["reduced_costs"], capacity=res.tables["capacity"],
                            blocked=res.manifest["blocked_modes"])
    assert lines == [f"mode gpp_run of unit gpp1: unused in p2027: it can never run, as {why}"]


def test_with_ethane_disposed_of_nothing_is_said(tmp_path):
    """The same case with ``disposal: true`` on ethane (the review's case as it runs):
    every commodity has a source and an outlet, no warning, nothing blocked."""
    com = GAS["commodities"].replace("ethane,t,intermediate,", "ethane,t,intermediate,true")
    case = load_case(_gas(tmp_path, commodities=com))
    rch = reach.reach(case)
    assert rch.blocked.empty and rch.idle.empty
    assert reach.warnings(case) == []


def test_an_input_nothing_brings_is_said(tmp_path):
    """The plant also needs 0.01 t of nitrogen per 1000 m3, a commodity nothing supplies,
    makes or ships to the field (ethane now disposed of): the plant can never run."""
    com = (GAS["commodities"].replace("ethane,t,intermediate,", "ethane,t,intermediate,true")
           + "\nnitrogen,t,raw,")
    flows = GAS["mode_flows"] + "\ngpp_run,nitrogen,in,0.01"
    case = load_case(_gas(tmp_path, commodities=com, mode_flows=flows))
    assert reach.warnings(case)[0] == (
        "mode gpp_run of unit gpp1 at field (units.csv row 2) can never run: nothing "
        "supplies, makes or ships to field the nitrogen (mode_flows.csv row 5) it uses; add "
        "a supply of nitrogen at field, a link that brings it or a mode there that makes it")


def _two_sites(tmp_path: Path, **tables: str) -> Path:
    """FEED_TO_PRODUCT at plant (unit u, 10 kt/yr) plus a site far with a market of
    product at 500 USD/t and no link to it."""
    return write_case(tmp_path / "far", {
        **FEED_TO_PRODUCT, "sites": "site\nplant\nfar",
        "units": "unit,site,process,capacity_k_per_yr\nu,plant,make,10",
        "markets": "site,commodity,price_usd_per_unit\nplant,product,400\nfar,product,500",
        **tables})


def test_a_market_nothing_reaches_is_said_and_changes_nothing(tmp_path):
    """The market at far (markets.csv row 3) can never be served: no supply of product
    there, no unit there, no link into far. The plan sells at plant: 10 kt/yr x (400 -
    100) USD/t = 3 MUSD (one 1-year period at rate 0)."""
    res = api.run(_two_sites(tmp_path), save=False)
    assert res.manifest["objective"] == pytest.approx(3.0)
    assert res.manifest["warnings"] == [
        "markets.csv row 3: nothing can ever bring product to far (no supply there, no mode "
        "there makes it, no link carries it there), so nothing is ever sold at this market; "
        "add a link that carries product to far or a mode there that makes it, or check the "
        "site and commodity"]


def test_links_and_blends_carry_reach(tmp_path):
    """A link plant -> far carrying product serves the far market; a supply of feed at
    far with a blend there turning feed into product (a recipe of one component) is
    wanted through the blend: nothing is said."""
    case = load_case(_two_sites(
        tmp_path,
        links="link,from_site,to_site,transport_mode,commodities,cost_usd_per_unit\n"
              "road,plant,far,road,product,10",
        supplies="site,commodity,cost_usd_per_unit\nplant,feed,100\nfar,feed,100",
        blends="blend,site,product,components,basis,shares\nb,far,product,feed,recipe,1"))
    assert reach.warnings(case) == []


def test_an_emission_needs_no_outlet(tmp_path):
    """A mode that releases co2 (kind emission: no balance) runs without anything taking
    the co2: nothing is said."""
    case = load_case(_two_sites(
        tmp_path, commodities=FEED_TO_PRODUCT["commodities"] + "\nco2,t,emission",
        mode_flows=FEED_TO_PRODUCT["mode_flows"] + "\nrun,co2,out,0.5",
        markets="site,commodity,price_usd_per_unit\nplant,product,400"))
    assert reach.warnings(case) == []


def test_a_hard_demand_nothing_can_meet_is_said_by_validate(tmp_path):
    """demand.csv asks for 10 kt/yr of product at far, which nothing can bring: validate
    says so (exit 0: a warning); run then stops as infeasible (exit 3)."""
    folder = _two_sites(tmp_path, markets="site,commodity,price_usd_per_unit\n"
                                          "plant,product,400",
                        demand="site,commodity,amount_k_per_yr\nfar,product,10")
    out = CliRunner().invoke(app, ["validate", str(folder)], terminal_width=2000)
    assert out.exit_code == 0, out.output
    assert ("warning: demand.csv row 2: nothing can ever bring product to far (no supply "
            "there, no mode there makes it, no link carries it there), so this hard demand "
            "can never be met: the case is infeasible") in out.output
    assert CliRunner().invoke(app, ["run", str(folder), "--out", str(tmp_path / "r")]
                              ).exit_code == 3


@pytest.mark.parametrize("floors", ["hard", "soft"])
def test_a_market_floor_nothing_can_meet_is_said_as_a_hard_demand_is(tmp_path, floors):
    """Review infeas F3: the market at far with a floor of 10 kt/yr (markets.csv row 3),
    which nothing can bring, read "nothing is ever sold at this market", and validate
    said "ok: ... valid". Under hard floors it is a hard demand like demand.csv's: the
    case is infeasible (run: exit 3). Under soft floors it says the shortfall penalty is
    paid on all of it: 10 kt/yr x 1,000 USD/t = 10 MUSD in the one year (rate 0), the
    plan selling at plant: 10 x (400 - 100) / 1000 - 10 = -7 MUSD. The count reads
    "1 unit, 1 mode" (it said "1 units")."""
    folder = _two_sites(tmp_path, markets="site,commodity,price_usd_per_unit,min_k_per_yr\n"
                                          "plant,product,400,\nfar,product,500,10")
    doc = (folder / "case.yaml").read_text()
    (folder / "case.yaml").write_text(doc + f"demand_floors: {floors}\n"
                                      "shortfall_penalty_usd_per_unit: 1000\n")
    out = CliRunner().invoke(app, ["validate", str(folder)], terminal_width=2000)
    assert out.exit_code == 0, out.output
    assert "2 sites, 2 commodities, 1 unit, 1 mode, 0 links, 1 period" in out.output
    said = ("warning: markets.csv row 3: nothing can ever bring product to far (no supply "
            "there, no mode there makes it, no link carries it there), so ")
    said += ("the demand floor of this market can never be met: the case is infeasible "
             "(demand_floors: hard)" if floors == "hard" else
             "nothing is ever sold at this market and its demand floor is never met: the "
             "objective pays the shortfall penalty on all of it")
    assert said in out.output, out.output
    if floors == "hard":
        assert CliRunner().invoke(app, ["run", str(folder), "--out", str(tmp_path / "r")]
                                  ).exit_code == 3
    else:
        assert api.run(folder, save=False).manifest["objective"] == pytest.approx(-7.0)


def test_a_switched_off_project_idles_no_market_but_a_mode_it_stops_is_said(tmp_path):
    """Unit u at plant makes 0.9 t of product and 0.1 t of tar per t; only unit v of project
    upgrade (switched off) takes the tar, making oil sold at plant. With the project off
    the tar has no outlet, so u can never run: said, with the project named as the way
    out. The oil market waits for the project: an option, not said."""
    folder = write_case(tmp_path / "proj", {
        **FEED_TO_PRODUCT,
        "commodities": FEED_TO_PRODUCT["commodities"] + "\ntar,t,intermediate\noil,t,product",
        "modes": "mode,process\nrun,make\nupgrade_run,upgrader",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,feed,in,1\n"
                      "run,product,out,0.9\nrun,tar,out,0.1\n"
                      "upgrade_run,tar,in,1\nupgrade_run,oil,out,0.9",
        "units": "unit,site,process,capacity_k_per_yr,project\nu,plant,make,10,\n"
                 "v,plant,upgrader,1,upgrade",
        "projects": "project,capex_musd,state\nupgrade,1,off",
        "markets": "site,commodity,price_usd_per_unit\nplant,product,400\nplant,oil,300"})
    case = load_case(folder)
    assert reach.warnings(case) == [
        "mode run of unit u at plant (units.csv row 2) can never run: nothing at plant sells, "
        "uses, ships or disposes of the tar (mode_flows.csv row 4) it makes (it could run "
        "were the projects switched off, state: off, on); switch on a project that would "
        "take or bring it (projects.csv, column state)"]


def test_validate_prints_the_warnings(tmp_path):
    """On stderr, where every command's warnings go (the ok line is stdout's)."""
    out = CliRunner().invoke(app, ["validate", str(_gas(tmp_path))], terminal_width=2000)
    assert out.exit_code == 0, out.output
    assert f"warning: {ETHANE}" in out.stderr and "warning" not in out.stdout


def test_explain_names_the_commodity_not_a_tie(tmp_path):
    """`chainopt explain` of the saved run of the gas case: the idle plant's line gives
    the ethane with no outlet, not 'as good as the modes in use (a tie)'."""
    runner = CliRunner()
    assert runner.invoke(app, ["run", str(_gas(tmp_path)), "--out", str(tmp_path / "r")]
                         ).exit_code == 0
    out = runner.invoke(app, ["explain", str(tmp_path / "r" / "gas_small")],
                        terminal_width=2000)
    assert out.exit_code == 0, out.output
    assert ("mode gpp_run of unit gpp1: unused in p2027: it can never run, as nothing at field "
            "sells, uses, ships or disposes of the ethane") in out.output
    assert "a tie" not in out.output


@pytest.mark.parametrize("source", [None, "small_chain",
                                    *sorted(glob.glob("scenarios/*.yaml"))])
def test_shipped_cases_and_scenarios_have_no_dead_ends(source):
    """The default case, the small chain and every shipped scenario: every mode can run,
    every market and supply can be reached (the default case's markets waiting for its
    optional projects count as reachable: see reach.reach)."""
    assert reach.warnings(api.load_case(source)) == []


def test_a_mode_whose_process_no_unit_runs_is_warned(tmp_path):
    """A unit's process is checked against modes.csv, not the other way: small_chain with
    mode crack_naphtha's process typed 'crackr' validated and ran with the mode idle
    (96 variables for 99, fuzz review F3) without a word. Now validate warns, naming the
    modes.csv row (5: header = 1) and the process a unit runs that is closest."""
    import shutil

    folder = tmp_path / "x"
    shutil.copytree(Path(api.__file__).parent / "data" / "small_chain", folder)
    modes = folder / "modes.csv"
    modes.write_text(modes.read_text().replace("crack_naphtha,cracker,", "crack_naphtha,crackr,"))
    assert api.case_warnings(load_case(folder)) == [
        "modes.csv row 5: no unit in units.csv runs process 'crackr', so mode crack_naphtha "
        "never runs; did you mean 'cracker'?"]
