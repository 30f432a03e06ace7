"""Markets: sales at a price, a sales cap and a demand floor.

Variables ``market.sales[s,c,t] in [0, max_sct]`` earn ``price_sct * w_t / 1000``
MUSD and take -1 from the balance of (s, c, t). Where a floor ``min_sct > 0`` is set:

    market.demand_min[s,c,t]:  sales[s,c,t] + shortfall[s,c,t] >= min_sct

with ``market.shortfall[s,c,t] >= 0`` penalised at the case's
``shortfall_penalty_usd_per_unit`` (soft floors, the default), so an unmet floor
shows up as a reported shortfall. With ``demand_floors: hard`` there is no
shortfall variable and an unmeetable floor makes the case infeasible.
"""

from __future__ import annotations

from chainopt.case.index import ModelIndex
from chainopt.models import MUSD_PER_KUSD
from chainopt.models.lp import LinearProgram
from chainopt.models.spec import Bound, Cost, FamilySpec, Row, Var

SALES = Var(
    "market", "sales", dims=("site", "commodity", "period"),
    unit="k units/yr of the commodity", noun="sales of {commodity} at {site}",
    categories=("revenue",), vintage="period", results="sales",
    cost=Cost("price", 1.0, "price of {commodity} at {site}"),
    bound=Bound("upper", "sales cap", "sales cap for {commodity} at {site}",
                ranging=True, elastic=True),
    reduced_cost=True,
    missing_bound="markets.csv gives no max_k_per_yr (sales cap) for {commodity} at {site}")
SHORTFALL = Var(
    "market", "shortfall", dims=("site", "commodity", "period"),
    unit="k units/yr of the commodity", noun="shortfall of {commodity} at {site}",
    categories=("shortfall_penalty",), vintage="period", results="sales")
DEMAND_MIN = Row(
    "market", "demand_min", dims=("site", "commodity", "period"),
    unit="k units/yr of the commodity", sense=">=",
    noun="demand floor for {commodity} at {site}", vintage="period", results="sales",
    what="demand floor", ranging=True, elastic=True)
SPEC = FamilySpec("market", inputs="markets.csv (price_usd_per_unit, min/max_k_per_yr)",
                  variables=(SALES, SHORTFALL), rows=(DEMAND_MIN,))


def add(lp: LinearProgram, ix: ModelIndex) -> None:
    s = ix.sales
    keys = s[["site", "commodity", "period"]]
    w = ix.weight(s["period"])
    cols = lp.add_vars("market", "sales", keys, ub=s["max"])
    lp.add_balance(s["site"], s["commodity"], s["period"], cols, -1.0)
    lp.add_objective(cols, MUSD_PER_KUSD * s["price"].to_numpy() * w, "revenue",
                     ix.pos(s["period"]))
    floor = s["min"].to_numpy() > 0
    if not floor.any():
        return
    fk = keys[floor]
    rows = lp.add_rows("market", "demand_min", fk, lb=s["min"].to_numpy()[floor])
    lp.add_terms(rows, cols[floor], 1.0)
    if not ix.hard_floors:
        short = lp.add_vars("market", "shortfall", fk)
        lp.add_terms(rows, short, 1.0)
        lp.add_objective(short, -MUSD_PER_KUSD * ix.shortfall_penalty * w[floor],
                         "shortfall_penalty", ix.pos(s["period"])[floor])
