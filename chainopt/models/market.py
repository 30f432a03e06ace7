"""Markets: sales at a price, a sales cap and a demand floor, by price tier.

A market is keyed by (site s, commodity c, tier r): several tiers of one site and
commodity are the steps of a demand curve, each with its own price, cap and floor (tier 1
when markets.csv has no tier column; tier 1 is ``market.sales[s,c,t]``, the others
``market.sales_tier[s,c,r,t]``, see :mod:`chainopt.models.tiers`). Variables
``market.sales[s,c,r,t] in [0, max_scrt]``
earn ``price_scrt * w_t / 1000`` MUSD and take -1 from the balance of (s, c, t). Where a
floor ``min_scrt > 0`` is set:

    market.demand_min[s,c,r,t]:  sales[s,c,r,t] + shortfall[s,c,r,t] >= min_scrt

with ``market.shortfall[s,c,r,t] >= 0`` penalised at the case's
``shortfall_penalty_usd_per_unit`` (soft floors, the default), so an unmet floor
shows up as a reported shortfall. With ``demand_floors: hard`` there is no
shortfall variable and an unmeetable floor makes the case infeasible.
"""

from __future__ import annotations

from typing import Any

from chainopt.case.index import ModelIndex
from chainopt.models import MUSD_PER_KUSD, tiers
from chainopt.models.lp import LinearProgram
from chainopt.models.spec import Bound, Cost, FamilySpec, Row, Var

_SALES: dict[str, Any] = dict(
    categories=("revenue",),
    results="sales", reduced_cost=True,
    missing_bound="markets.csv gives no max_k_per_yr (sales cap) for {commodity} at {site}")
SALES = Var(
    "market", "sales", dims=("site", "commodity", "period"),
    noun="sales of {commodity} at {site}",
    cost=Cost("price", 1.0, "price of {commodity} at {site}"),
    bound=Bound("upper", "sales cap", "sales cap for {commodity} at {site}",
                ranging=True, elastic=True, source=("markets", "max_k_per_yr")), **_SALES)
SALES_TIER = Var(
    "market", "sales_tier", dims=("site", "commodity", "tier", "period"),
    noun="sales of {commodity} at {site} (tier {tier})",
    cost=Cost("price", 1.0, "price of {commodity} at {site} (tier {tier})"),
    bound=Bound("upper", "sales cap", "sales cap for {commodity} at {site} (tier {tier})",
                ranging=True, elastic=True, source=("markets", "max_k_per_yr")),
    **(_SALES | {"missing_bound": "markets.csv gives no max_k_per_yr (sales cap) for "
                                  "{commodity} at {site} (tier {tier})"}))
SHORTFALL = Var(
    "market", "shortfall", dims=("site", "commodity", "period"),
    noun="shortfall of {commodity} at {site}",
    categories=("shortfall_penalty",), results="sales")
SHORTFALL_TIER = Var(
    "market", "shortfall_tier", dims=("site", "commodity", "tier", "period"),
    noun="shortfall of {commodity} at {site} (tier {tier})",
    categories=("shortfall_penalty",), results="sales")
_FLOOR: dict[str, Any] = dict(sense=">=", results="sales", what="demand floor",
                              ranging=True, elastic=True, source=("markets", "min_k_per_yr"))
DEMAND_MIN = Row(
    "market", "demand_min", dims=("site", "commodity", "period"),
    noun="demand floor for {commodity} at {site}", **_FLOOR)
DEMAND_MIN_TIER = Row(
    "market", "demand_min_tier", dims=("site", "commodity", "tier", "period"),
    noun="demand floor for {commodity} at {site} (tier {tier})", **_FLOOR)
SPEC = FamilySpec("market", inputs="markets.csv (price_usd_per_unit, min/max_k_per_yr)",
                  variables=(SALES, SALES_TIER, SHORTFALL, SHORTFALL_TIER),
                  rows=(DEMAND_MIN, DEMAND_MIN_TIER))


def add(lp: LinearProgram, ix: ModelIndex) -> None:
    s = ix.sales
    w = ix.weight(s["period"])
    cols = tiers.add_vars(lp, "market", "sales", s, ub=s["max"].to_numpy(float))
    lp.add_balance(s["site"], s["commodity"], s["period"], cols, -1.0)
    lp.add_objective(cols, MUSD_PER_KUSD * s["price"].to_numpy() * w, "revenue",
                     ix.pos(s["period"]))
    floor = s["min"].to_numpy() > 0
    if not floor.any():
        return
    fk = s[floor]
    rows = tiers.add_rows(lp, "market", "demand_min", fk, lb=s["min"].to_numpy()[floor])
    lp.add_terms(rows, cols[floor], 1.0)
    if not ix.hard_floors:
        short = tiers.add_vars(lp, "market", "shortfall", fk)
        lp.add_terms(rows, short, 1.0)
        lp.add_objective(short, -MUSD_PER_KUSD * ix.shortfall_penalty * w[floor],
                         "shortfall_penalty", ix.pos(s["period"])[floor])
