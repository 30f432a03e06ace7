"""Write tiny hand-checkable cases from CSV snippets."""

from __future__ import annotations

import textwrap
from pathlib import Path

import yaml

from chainopt import api
from chainopt.case.load import load_case


def write_case(folder: Path, tables: dict[str, str], **meta) -> Path:
    """A case folder with ``tables`` (name -> CSV text) and ``case.yaml`` from ``meta``.

    Defaults: one 1-year period ``p1`` starting 2026, discount rate 0, soft floors.
    """
    folder.mkdir(parents=True, exist_ok=True)
    doc = {"format_version": 1, "name": "toy", "base_year": 2026, "discount_rate": 0.0,
           "periods": [{"period": "p1", "start_year": 2026, "length_yr": 1}]}
    doc.update(meta)
    (folder / "case.yaml").write_text(yaml.safe_dump(doc))
    for name, text in tables.items():
        (folder / f"{name}.csv").write_text(textwrap.dedent(text).strip() + "\n")
    return folder


#: a one-step chain at site plant: mode run (process make) turns 1 t of feed, bought at
#: 100 USD/t without limit, into 1 t of product, sold at 400 USD/t (a margin of 300 USD/t
#: before the units that run it); add units, projects, parties as a test needs
#: two 1-year periods from 2026, p1 and p2
TWO_PERIODS = [{"period": "p1", "start_year": 2026, "length_yr": 1},
               {"period": "p2", "start_year": 2027, "length_yr": 1}]

FEED_TO_PRODUCT = {
    "commodities": "commodity,unit,kind\nfeed,t,raw\nproduct,t,product",
    "sites": "site\nplant", "modes": "mode,process\nrun,make",
    "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,feed,in,1\n"
                  "run,product,out,1",
    "supplies": "site,commodity,cost_usd_per_unit\nplant,feed,100",
    "markets": "site,commodity,price_usd_per_unit\nplant,product,400",
}


def fixed_charge_cost_case(folder: Path) -> Path:
    """A cost case: hard demand of 12 kt/yr of product, made 1:1 from feed at 100 USD/t
    by a unit built for it at 100 USD per t/yr with a 1 MUSD fixed charge (a binary build
    decision), at most 20 kt/yr, life 1 year; one 1-year period, rate 0."""
    return write_case(folder, {
        "commodities": "commodity,unit,kind\nfeed,t,raw\nproduct,t,product",
        "sites": "site\nplant",
        "modes": "mode,process\nrun,p",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,feed,in,1\n"
                      "run,product,out,1",
        "units": "unit,site,process,capacity_k_per_yr,capex_usd_per_unit_yr,max_new_k_per_yr,"
                 "build_fixed_musd,lifetime_yr\nu,plant,p,0,100,20,1,1",
        "supplies": "site,commodity,cost_usd_per_unit\nplant,feed,100",
        "demand": "site,commodity,amount_k_per_yr\nplant,product,12",
    }, objective="cost")


def solve_case(folder: Path, **meta_tables):
    """Load, build, solve and extract a case folder; return the Results."""
    case = load_case(folder)
    built = api.build_model(case)
    outcome = api.solve(built)
    return api.extract_results(built, outcome)


def value(df, **where) -> float:
    """The single row of ``df`` matching ``where`` -> that row (as a Series)."""
    sel = df
    for k, v in where.items():
        sel = sel[sel[k] == v]
    assert len(sel) == 1, f"expected one row for {where}, found {len(sel)}"
    return sel.iloc[0]


def two_sites_case(folder: Path) -> Path:
    """Sites a and b, each with a unit making product 1:1 from feed: a buys feed at 100
    USD/t and sells at most 50 k t/yr at 400 (unit 80 k t/yr); b buys at 120 and sells
    at most 40 at 380 (unit 100). One 1-year period, rate 0: each site sells its market
    cap, a 50 x 300 / 1000 = 15 and b 40 x 260 / 1000 = 10.4, objective 25.4 MUSD."""
    return write_case(folder, {
        "commodities": "commodity,unit,kind\nfeed,t,raw\nproduct,t,product",
        "sites": "site\na\nb", "modes": "mode,process\nrun,make",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,feed,in,1\n"
                      "run,product,out,1",
        "units": "unit,site,process,capacity_k_per_yr\nua,a,make,80\nub,b,make,100",
        "supplies": "site,commodity,cost_usd_per_unit\na,feed,100\nb,feed,120",
        "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\na,product,400,50\n"
                   "b,product,380,40",
    })


def badly_scaled_case(folder: Path) -> Path:
    """A crude unit (8 k t/yr) yielding 0.6 t light and 5e-9 t tar per t crude: the
    matrix holds 1 (crude in, capacity use) down to 5e-9, a coefficient ratio of
    1 / 5e-9 = 2e8, above the 1e8 that chainopt warns of."""
    return write_case(folder, {
        "commodities": "commodity,unit,kind\ncrude,t,raw\nlight,t,product\ntar,t,product",
        "sites": "site\nplant",
        "modes": "mode,process,variable_cost_usd_per_unit\nrun,cdu,10",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,crude,in,1\n"
                      "run,light,out,0.6\nrun,tar,out,5e-9",
        "units": "unit,site,process,capacity_k_per_yr\ncdu1,plant,cdu,8",
        "supplies": "site,commodity,cost_usd_per_unit\nplant,crude,100",
        "markets": "site,commodity,price_usd_per_unit\nplant,light,300\nplant,tar,1"},
        name="tar")


def t1_case(folder: Path) -> Path:
    """The Excel review's toy case (one site ``a``, two 1-year periods p1 and p2,
    discount rate 0): crude bought at 100 USD/t (at most 10 kt/yr), unit ``u1`` (8 kt/yr)
    turns 1 t of crude into 1 t of ``prod`` at 20 USD/t, prod sells at 200 USD/t in p1
    and 250 in p2 (``markets_by_period``), at most 100 kt/yr. The plan runs u1 full: p1
    8 x (200 - 100 - 20) = 640 kUSD, p2 8 x (250 - 120) = 1,040 kUSD: 1.680 MUSD."""
    return write_case(folder, {
        "commodities": "commodity,unit,kind\ncrude,t,raw\nprod,t,product",
        "sites": "site\na",
        "modes": "mode,process,variable_cost_usd_per_unit\nrun,conv,20",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,crude,in,1\n"
                      "run,prod,out,1",
        "units": "unit,site,process,capacity_k_per_yr,availability\nu1,a,conv,8,",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\na,crude,100,10",
        "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\na,prod,200,100",
        "markets_by_period": "site,commodity,period,price_usd_per_unit\na,prod,p2,250",
    }, name="t1", periods=TWO_PERIODS)
